/* testsuite/adapters/reference.c: the bundled reference as an implementation of
 * bpcheck-protocol/1 (testsuite/PROTOCOL.md), run by `bpcheck serve` and so by `bpcheck
 * conform` when no --impl is given. It is also the template for an adapter in C: read a
 * request per line, compute what it wants, print one line, flush. */
#define _POSIX_C_SOURCE 200809L
#include "adapters.h"

#include <string.h>

#include "fixture.h"
#include "train.h"

/* The reference: the literal gradient, and the canonical step. */
static int reference(const bp_case *c, double *cost, bp_model *grad, bp_model *step, bp_trace *t,
                     void *ctx, bp_error *err)
{
    (void)ctx;
    if (bp_gradient(c->cost, grad, cost, t, c->params, c->batch, c->red, err))
        return -1;
    bp_model_step(step, c->params, grad, c->eta);
    return 0;
}

json_t *bp_adapter_answer(const char *line, size_t len)
{
    return bp_adapter_answer_with(line, len, reference, NULL);
}

int bp_adapter_reference(FILE *in, FILE *out)
{
    return bp_adapter_loop(in, out, reference, NULL);
}

json_t *bp_adapter_answer_with(const char *line, size_t len, bp_adapter_fn f, void *ctx)
{
    json_error_t je;
    json_t *req = json_loadb(line, len, 0, &je), *id = json_object_get(req, "id");
    json_t *resp = json_pack("{s:s}", "id", json_is_string(id) ? json_string_value(id) : "");
    bp_case c = {0};
    bp_error err;
    if (!req) {
        json_object_set_new(resp, "error", json_sprintf("not JSON: %s", je.text));
        return resp;
    }
    bp_model *grad = NULL, *step = NULL;
    bp_trace *t = NULL;
    double cost;
    if (bp_case_from_json_input(&c, req, "request", &err) ||
        !(grad = bp_model_alloc_like(c.params, &err)) || !(step = bp_model_alloc_like(c.params, &err)) ||
        !(t = bp_trace_alloc(c.params, c.batch->m, &err)) ||
        f(&c, &cost, grad, step, t, ctx, &err)) {
        json_object_set_new(resp, "error", json_string(err.msg));
    } else {
        json_t *want = json_object_get(req, "want"), *w;
        size_t i;
        json_array_foreach(want, i, w) {
            const char *k = json_string_value(w);
            json_t *v = !k ? NULL
                        : strcmp(k, "cost") == 0  ? json_real(cost)
                        : strcmp(k, "grad") == 0  ? bp_json_params(grad)
                        : strcmp(k, "step") == 0  ? bp_json_params(step)
                        : strcmp(k, "z") == 0     ? bp_json_layers(t->z, c.params, c.batch->m)
                        : strcmp(k, "a") == 0     ? bp_json_layers(t->a, c.params, c.batch->m)
                        : strcmp(k, "delta") == 0 ? bp_json_layers(t->delta, c.params, c.batch->m)
                                                  : NULL;
            if (k && v)
                json_object_set_new(resp, k, v);
            else
                json_object_set_new(resp, "error", json_sprintf("cannot give '%s'", k ? k : "?"));
        }
    }
    bp_model_free(grad), bp_model_free(step), bp_trace_free(t);
    bp_case_clear(&c);
    json_decref(req);
    return resp;
}

int bp_adapter_loop(FILE *in, FILE *out, bp_adapter_fn f, void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        json_t *resp = bp_adapter_answer_with(line, (size_t)n, f, ctx);
        char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
        fprintf(out, "%s\n", text ? text : "{\"error\": \"cannot print the answer\"}");
        fflush(out);
        free(text);
        json_decref(resp);
    }
    free(line);
    return 0;
}
