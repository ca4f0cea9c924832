/* testsuite/adapters/reference.c: the bundled reference as an implementation of
 * bpcheck-protocol/1 and /2 (testsuite/PROTOCOL.md: JSON lines, and binary frames when the
 * runner offers them), run by `bpcheck serve` and so by `bpcheck conform` when no --impl is
 * given. It is also the template for an adapter in C: read a
 * request per line, compute what it wants, print one line, flush. */
#define _POSIX_C_SOURCE 200809L
#include "adapters.h"

#include <string.h>

#include "fixture.h"
#include "frame.h"
#include "quadratic.h"
#include "train.h"

/* The reference: the literal gradient, and the step: document 002's own mini-batch update
 * (quad_sgd_update, w -> w - (eta/m) sum_x ...) where it is defined, the quadratic cost under
 * the mean; the canonical params - eta grad elsewhere. */
int bp_adapter_reference_fn(const bp_case *c, double *cost, bp_model *grad, bp_model *step,
                            bp_trace *t, void *ctx, bp_error *err)
{
    (void)ctx;
    if (bp_gradient(c->cost, grad, cost, t, c->params, c->batch, c->red, err))
        return -1;
    if (c->cost == BP_QUADRATIC && c->red == BP_MEAN) {
        bp_model_copy(step, c->params);
        return quad_sgd_update(step, c->batch, c->eta, err);
    }
    bp_model_step(step, c->params, grad, c->eta);
    return 0;
}

json_t *bp_adapter_answer(const char *line, size_t len)
{
    return bp_adapter_answer_with(line, len, bp_adapter_reference_fn, NULL);
}

int bp_adapter_reference(FILE *in, FILE *out)
{
    return bp_adapter_loop(in, out, bp_adapter_reference_fn, NULL);
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

/* A framed request (PROTOCOL.md, "Binary frames"): its header req, then its payload from in.
 * The answer goes to out as a header line and its payload; returns NULL then, or an error
 * answer for the caller to print as a JSON line. */
json_t *bp_adapter_framed_answer(json_t *req, FILE *in, FILE *out, bp_adapter_fn f, void *ctx)
{
    json_t *id = json_object_get(req, "id");
    json_t *resp = json_pack("{s:s}", "id", json_is_string(id) ? json_string_value(id) : "");
    bp_case c = {0};
    bp_error err;
    bp_dtype d = bp_dtype_lookup(json_string_value(json_object_get(req, "frames")));
    json_int_t declared = json_integer_value(json_object_get(req, "payload"));
    bp_model *grad = NULL, *step = NULL;
    bp_trace *t = NULL;
    double cost;
    if (d == BP_NDTYPES) {
        json_object_set_new(resp, "error", json_string("'frames' must be f64 or f32"));
    } else if (bp_case_from_json_input(&c, req, "request", &err)) {
        json_object_set_new(resp, "error", json_string(err.msg));
    } else {
        size_t np = c.params->nparams, nx = c.batch->m * c.batch->n_in, ny = c.batch->m * c.batch->n_out;
        size_t need = (np + nx + ny) * bp_dtype_size(d), got, bad1, bad2, bad3;
        if (declared < 0 || (size_t)declared != need) {
            json_object_set_new(resp, "error", json_sprintf("'payload' is %lld bytes; the model and "
                                                            "batch_size need %zu", (long long)declared, need));
            bp_case_clear(&c);
            return resp; /* out of step: the runner kills us, as it must */
        }
        if (bp_frame_read(in, c.params->theta, np, d, &got, &bad1) ||
            bp_frame_read(in, c.batch->x, nx, d, &got, &bad2) ||
            bp_frame_read(in, c.batch->y, ny, d, &got, &bad3)) {
            json_object_set_new(resp, "error", json_string("the payload was cut off"));
        } else if (bad1 < np || bad2 < nx || bad3 < ny) {
            json_object_set_new(resp, "error", json_string("the payload holds NaN or Inf"));
        } else if (!(grad = bp_model_alloc_like(c.params, &err)) ||
                   !(step = bp_model_alloc_like(c.params, &err)) ||
                   !(t = bp_trace_alloc(c.params, c.batch->m, &err)) ||
                   f(&c, &cost, grad, step, t, ctx, &err)) {
            json_object_set_new(resp, "error", json_string(err.msg));
        } else {
            json_t *want = json_object_get(req, "want"), *w, *arrays = json_array();
            size_t i, bytes = 0;
            json_array_foreach(want, i, w) {
                const char *k = json_string_value(w);
                size_t cnt = k ? bp_frame_count(c.params, c.batch->m, k) : 0;
                if (k && strcmp(k, "cost") == 0) {
                    json_object_set_new(resp, "cost", json_real(cost));
                } else if (cnt && strcmp(k, "params") && strcmp(k, "batch")) {
                    json_array_append_new(arrays, json_string(k));
                    bytes += cnt * bp_dtype_size(d);
                } else {
                    json_object_set_new(resp, "error", json_sprintf("cannot give '%s'", k ? k : "?"));
                }
            }
            if (!json_object_get(resp, "error")) {
                json_object_set_new(resp, "frames", json_string(bp_dtype_name(d)));
                json_object_set_new(resp, "arrays", arrays);
                json_object_set_new(resp, "payload", json_integer((json_int_t)bytes));
                char *text = bp_json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
                fprintf(out, "%s\n", text ? text : "{\"error\": \"cannot print the answer\"}");
                free(text);
                json_array_foreach(arrays, i, w) {
                    const char *k = json_string_value(w);
                    if (strcmp(k, "grad") == 0 || strcmp(k, "step") == 0)
                        bp_frame_write_model(out, strcmp(k, "grad") == 0 ? grad : step, d);
                    else
                        bp_frame_write_layers(out, strcmp(k, "z") == 0 ? t->z : strcmp(k, "a") == 0 ? t->a
                                                                                                    : t->delta,
                                              c.params, c.batch->m, d);
                }
                fflush(out);
                json_decref(resp);
                resp = NULL;
            } else {
                json_decref(arrays);
            }
        }
    }
    bp_model_free(grad), bp_model_free(step), bp_trace_free(t);
    bp_case_clear(&c);
    return resp;
}

int bp_adapter_loop(FILE *in, FILE *out, bp_adapter_fn f, void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        json_t *req = json_loadb(line, (size_t)n, 0, NULL), *resp;
        if (json_is_integer(json_object_get(req, "payload"))) {
            resp = bp_adapter_framed_answer(req, in, out, f, ctx);
        } else {
            resp = bp_adapter_answer_with(line, (size_t)n, f, ctx);
            /* the hello (or any request) offering frames: take float64 when offered, else
             * float32; this adapter reads and writes both */
            json_t *offer = json_object_get(req, "frames"), *o;
            size_t i;
            const char *pick = NULL;
            json_array_foreach(offer, i, o) {
                const char *name = json_string_value(o);
                if (name && bp_dtype_lookup(name) != BP_NDTYPES && (!pick || strcmp(name, "f64") == 0))
                    pick = name;
            }
            if (pick)
                json_object_set_new(resp, "frames", json_string(pick));
        }
        json_decref(req);
        if (!resp)
            continue;
        char *text = bp_json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
        fprintf(out, "%s\n", text ? text : "{\"error\": \"cannot print the answer\"}");
        fflush(out);
        free(text);
        json_decref(resp);
    }
    free(line);
    return 0;
}
