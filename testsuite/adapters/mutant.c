/* testsuite/adapters/mutant.c: a model of the bug catalogue (testsuite/bugs/bugs.h) as an
 * implementation of bpcheck-protocol/1: `mutant NAME` answers every request as an
 * implementation with that one bug would (bp_bug_eval). `make check` runs every model through
 * `bpcheck conform` (t/bugs), so every bug the catalogue describes is proven to be caught.
 * As a real implementation would: where the outputs are not finite it prints NaN (not JSON,
 * like Python's json.dumps); a stale answer keeps the previous request's shapes; where a model
 * cannot run on a case (its shapes) the answer is an error, as a crash would be. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "bugs.h"

typedef struct {
    const bp_bug *bug;
    bp_case prev; /* the previous request (params, batch, cost, reduction, eta): for "stale" */
    int have_prev;
    int nonfinite, other_shapes; /* this answer: NaN in it; stale with the previous shapes */
    json_t *wide;                /* this answer's dC/dW^L with a^L, n_L x n_L (or NULL) */
    bp_model *velocity;          /* momentum's: (params - step) / eta of the last answer */
} mutant_ctx;

/* The last request's outputs, kept for an answer with NaN in it (printed by hand: JSON has no
 * NaN, and the runner is to see where it is, as in a Python implementation's json.dumps). */
static struct {
    double cost;
    bp_model *grad, *step;
    bp_trace *t;
} out;

static void put(double v)
{
    if (isnan(v))
        fputs("NaN", stdout);
    else if (isinf(v))
        fputs(v > 0 ? "Infinity" : "-Infinity", stdout);
    else
        printf("%.17g", v);
}

static void put_matrix(const double *v, size_t rows, size_t cols)
{
    putchar('[');
    for (size_t r = 0; r < rows; r++) {
        if (cols)
            printf("%s[", r ? ", " : "");
        for (size_t k = 0; k < (cols ? cols : 1); k++) {
            if (cols ? k : r)
                fputs(", ", stdout);
            put(v[r * (cols ? cols : 1) + k]);
        }
        if (cols)
            putchar(']');
    }
    putchar(']');
}

static void put_params(const bp_model *m)
{
    fputs("{\"W\": [", stdout);
    for (size_t l = 1; l <= m->L; l++)
        fputs(l > 1 ? ", " : "", stdout), put_matrix(m->W[l], m->n[l], m->n[l - 1]);
    fputs("], \"b\": [", stdout);
    for (size_t l = 1; l <= m->L; l++)
        fputs(l > 1 ? ", " : "", stdout), put_matrix(m->b[l], m->n[l], 0);
    fputs("]}", stdout);
}

static void put_nonfinite(const char *id, const bp_model *shape, size_t m)
{
    printf("{\"id\": \"%s\", \"cost\": ", id);
    put(out.cost);
    fputs(", \"grad\": ", stdout), put_params(out.grad);
    fputs(", \"step\": ", stdout), put_params(out.step);
    double **tr[3] = {out.t->z, out.t->a, out.t->delta};
    static const char *const names[3] = {"z", "a", "delta"};
    for (int q = 0; q < 3; q++) {
        printf(", \"%s\": [", names[q]);
        for (size_t l = 1; l <= shape->L; l++)
            fputs(l > 1 ? ", " : "", stdout), put_matrix(tr[q][l], m, shape->n[l]);
        putchar(']');
    }
    puts("}");
}

static int answer(const bp_case *c, double *cost, bp_model *grad, bp_model *step, bp_trace *t,
                  void *ctx, bp_error *err)
{
    mutant_ctx *mc = ctx;
    bp_bug_velocity(mc->velocity);
    int rc = bp_bug_eval(mc->bug, c, mc->have_prev ? &mc->prev : NULL, cost, grad, step, t, err);
    bp_bug_velocity(NULL);
    bp_model_free(mc->velocity), mc->velocity = NULL;
    if (rc != 1 && c->eta != 0.0 && (mc->velocity = bp_model_alloc_like(c->params, NULL)) != NULL)
        for (size_t i = 0; i < c->params->nparams; i++)
            mc->velocity->theta[i] = (c->params->theta[i] - step->theta[i]) / c->eta;
    mc->nonfinite = rc == 2;
    if (mc->nonfinite) { /* keep the outputs to print them with their NaN */
        bp_model_free(out.grad), bp_model_free(out.step), bp_trace_free(out.t);
        out.cost = *cost;
        out.grad = bp_model_alloc_like(grad, NULL), out.step = bp_model_alloc_like(step, NULL);
        out.t = bp_trace_alloc(c->params, c->batch->m, NULL);
        bp_model_copy(out.grad, grad), bp_model_copy(out.step, step);
        for (size_t l = 1; l <= c->params->L; l++) {
            size_t n = c->batch->m * c->params->n[l] * sizeof(double);
            memcpy(out.t->z[l], t->z[l], n), memcpy(out.t->a[l], t->a[l], n), memcpy(out.t->delta[l], t->delta[l], n);
        }
    }
    mc->other_shapes = rc == 1 && strcmp(mc->bug->name, "stale") == 0;
    if (mc->other_shapes) /* answered below with the previous answer's gradient and step */
        rc = bp_bug_eval(NULL, c, NULL, cost, grad, step, t, err);
    else if (rc == 1 && strcmp(mc->bug->name, "wrong-layer-activations") == 0) {
        /* the matrix such code returns: sum_p delta^L (a^L)^T, n_L x n_L */
        rc = bp_bug_eval(NULL, c, NULL, cost, grad, step, t, err);
        size_t L = c->params->L, N = c->params->n[L], m = c->batch->m;
        double *g = calloc(N * N, sizeof *g);
        for (size_t p = 0; p < m; p++)
            for (size_t j = 0; j < N; j++)
                for (size_t k = 0; k < N; k++)
                    g[j * N + k] += t->delta[L][p * N + j] * t->a[L][p * N + k] / (c->red == BP_MEAN ? (double)m : 1.0);
        mc->wide = bp_json_matrix(g, N, N);
        free(g);
    } else if (rc == 1)
        bp_fail(err, "%s does not apply: %s", mc->bug->name, err->msg);
    /* remember this request */
    bp_model_free(mc->prev.params), bp_batch_free(mc->prev.batch);
    mc->prev = *c;
    mc->prev.id = NULL, mc->prev.flags = NULL, mc->prev.equations = NULL;
    mc->prev.params = bp_model_alloc_like(c->params, NULL);
    mc->prev.batch = bp_batch_alloc(c->batch->m, c->batch->n_in, c->batch->n_out, NULL);
    bp_model_copy(mc->prev.params, c->params);
    memcpy(mc->prev.batch->x, c->batch->x, c->batch->m * c->batch->n_in * sizeof(double));
    memcpy(mc->prev.batch->y, c->batch->y, c->batch->m * c->batch->n_out * sizeof(double));
    mc->have_prev = 1;
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    const bp_bug *bug = argc == 2 ? bp_bug_find(argv[1]) : NULL;
    if (!bug) {
        int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fprintf(help ? stdout : stderr, "Usage: %s BUG\n\nAnswer bpcheck-protocol/1 as an implementation "
                "with one bug of the catalogue (testsuite/bugs/bugs.c):\n", argv[0]);
        for (size_t i = 0; i < bp_nbugs; i++)
            fprintf(help ? stdout : stderr, "  %-30s %s\n", bp_bugs[i].name, bp_bugs[i].explain);
        return help ? 0 : 2;
    }
    mutant_ctx mc = {bug, {0}, 0, 0, 0, NULL, NULL};
    json_t *last = NULL; /* the previous answer */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_t *resp = bp_adapter_answer_with(line, (size_t)n, answer, &mc);
        if (mc.wide) {
            json_array_set_new(json_object_get(json_object_get(resp, "grad"), "W"),
                               json_array_size(json_object_get(json_object_get(resp, "grad"), "W")) - 1, mc.wide);
            mc.wide = NULL;
        }
        if (mc.other_shapes && last)
            for (const char *k[] = {"grad", "step"}, **q = k; q < k + 2; q++)
                if (json_object_get(last, *q))
                    json_object_set(resp, *q, json_object_get(last, *q));
        if (mc.nonfinite) {
            put_nonfinite(json_string_value(json_object_get(resp, "id")), mc.prev.params, mc.prev.batch->m);
        } else {
            char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
            printf("%s\n", text ? text : "{\"error\": \"cannot print the answer\"}");
            free(text);
        }
        fflush(stdout);
        json_decref(last);
        last = resp;
    }
    json_decref(last);
    free(line);
    bp_model_free(out.grad), bp_model_free(out.step), bp_trace_free(out.t);
    bp_model_free(mc.prev.params), bp_batch_free(mc.prev.batch), bp_model_free(mc.velocity);
    return 0;
}
