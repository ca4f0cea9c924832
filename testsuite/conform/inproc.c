/* testsuite/conform/inproc.c: the implementation in this process (libbpcheck, lib/bpcheck.h):
 * its callbacks answer as an adapter would, and bpc_conform runs `bpcheck conform` on them. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

const bpc_impl *cf_inproc;


/* The answer an adapter would give, from cf_inproc's callbacks, NaN and Inf written as their
 * strings (PROTOCOL.md), as an adapter's would be. */
json_t *cf_inproc_answer(const bp_case *c, unsigned want)
{
    json_t *r = json_pack("{s:s}", "id", c->id), *unsup = json_array();
    bp_error err = {""};
    bp_model *g = bp_model_alloc_like(c->params, &err), *st = bp_model_alloc_like(c->params, &err);
    bp_trace *t = bp_trace_alloc(c->params, c->batch->m, &err);
    double cost = NAN;
    int rc = g && st && t ? cf_inproc->gradient(c, &cost, g, cf_inproc->ctx, &err) : -1;
    int have_step = 0, have_trace = 0;
    if (rc == 0 && cf_inproc->step)
        rc = cf_inproc->step(c, g, st, cf_inproc->ctx, &err), have_step = rc == 0;
    if (rc == 0 && cf_inproc->trace && (want & CF_WANT_DEEP))
        rc = cf_inproc->trace(c, t, cf_inproc->ctx, &err), have_trace = rc == 0;
    if (rc == BPC_UNSUPPORTED) {
        json_object_set_new(r, "unsupported", json_string(err.msg[0] ? err.msg : "unsupported"));
    } else if (rc) {
        json_object_set_new(r, "error", json_string(err.msg[0] ? err.msg : "the callback failed"));
    } else {
        bp_json_nonfinite(1);
        for (size_t i = 0; i < 6; i++) {
            const char *k = cf_want[i];
            if (!(want >> i & 1))
                continue;
            json_t *v = strcmp(k, "cost") == 0   ? (isfinite(cost) ? json_real(cost)
                                                    : json_string(isnan(cost) ? "NaN" : cost > 0 ? "Infinity"
                                                                                                : "-Infinity"))
                        : strcmp(k, "grad") == 0 ? bp_json_params(g)
                        : strcmp(k, "step") == 0 ? (have_step ? bp_json_params(st) : NULL)
                        : !have_trace            ? NULL
                        : strcmp(k, "z") == 0    ? bp_json_layers(t->z, c->params, c->batch->m)
                        : strcmp(k, "a") == 0    ? bp_json_layers(t->a, c->params, c->batch->m)
                                                 : bp_json_layers(t->delta, c->params, c->batch->m);
            if (v)
                json_object_set_new(r, k, v);
            else
                json_array_append_new(unsup, json_string(k));
        }
        bp_json_nonfinite(0);
        json_object_set(r, "unsupported", unsup);
    }
    json_decref(unsup);
    bp_model_free(g), bp_model_free(st), bp_trace_free(t);
    return r;
}

int bpc_conform(const bpc_impl *impl, int argc, char **argv)
{
    if (!impl || !impl->gradient) {
        fprintf(stderr, "bpc_conform: the implementation has no gradient callback\n");
        return 2;
    }
    char *args[130] = {"conform"};
    if (argc > 129) {
        fprintf(stderr, "bpc_conform: more than 128 options\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    cf_inproc = impl;
    int rc = bp_conform_main(argc > 0 ? argc : 1, args, "bpcheck");
    cf_inproc = NULL;
    return rc;
}
