/* testsuite/bench.c: `make bench`: gradient and forward times of the literal and vectorized
 * references, measured in one process run, as a table of medians and ratios. Nothing here
 * asserts on time; the ratios are what to read (they travel between machines better than
 * microseconds).
 *
 * For each model on 784-100-10 and 784-30-10, per sample (m = 1) and per batch of 32:
 *   literal and vectorized gradient time per sample, the speed-up of vectorized over literal,
 *   and gradient time / forward time (the cheap-gradient principle: a correct reverse pass
 *   costs a small constant times the forward pass, about 2-3 for an MLP).
 * Every time is the median of REPEATS runs, each run repeating the call until it has taken
 * at least MIN_RUN seconds.
 *
 * Then the oracles: a full per-parameter check of 784-30-10 (23,860 parameters, one sample,
 * cross-entropy), each method once with the whole forward pass per evaluation and once
 * reusing the cached one (a change in W^l[j][k] only moves z^l_j), beside the naive
 * 2P full forward passes of a plain central difference. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_version.h>

#include "model.h"
#include "oracle.h"
#include "testutil.h"
#include "train.h"
#include "vectorized.h"

#define REPEATS 9
#define MIN_RUN 0.02

typedef enum { LIT_GRAD, LIT_FWD, VEC_GRAD, VEC_FWD } op;

typedef struct {
    op what;
    bp_cost model;
    const bp_model *params;
    bp_model *grad;
    const bp_batch *batch;
} job;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile double sink; /* keeps the compiler from dropping a cost nobody reads */

static void run(const job *j)
{
    bp_error err;
    int rc = 0;
    switch (j->what) {
    case LIT_GRAD:
        rc = bp_gradient(j->model, j->grad, NULL, NULL, j->params, j->batch, BP_MEAN, &err);
        break;
    case LIT_FWD:
        sink = bp_cost_value(j->model, j->params, j->batch, BP_MEAN);
        break;
    case VEC_GRAD:
        rc = j->batch->m == 1
                 ? vec_gradient_per_sample(j->model, j->grad, NULL, j->params, j->batch, BP_MEAN,
                                           &err)
                 : vec_gradient(j->model, j->grad, NULL, NULL, j->params, j->batch, BP_MEAN, &err);
        break;
    case VEC_FWD:
        sink = vec_cost(j->model, j->params, j->batch, BP_MEAN);
        break;
    }
    if (rc) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call. */
static double measure(const job *j)
{
    size_t reps = 1;
    for (;;) { /* calibrate: enough calls for MIN_RUN seconds */
        double t0 = now();
        for (size_t r = 0; r < reps; r++)
            run(j);
        if (now() - t0 >= MIN_RUN)
            break;
        reps *= 2;
    }
    double t[REPEATS];
    for (int k = 0; k < REPEATS; k++) {
        double t0 = now();
        for (size_t r = 0; r < reps; r++)
            run(j);
        t[k] = (now() - t0) / (double)reps;
    }
    qsort(t, REPEATS, sizeof *t, cmp);
    return t[REPEATS / 2];
}

int main(void)
{
    const bp_cost models[] = {BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY};
    static const char *const archs[] = {"784,100,10", "784,30,10"};
    static const size_t ms[] = {1, 32};
    printf("bpcheck bench: seconds per sample, medians of %d runs of >= %g s each, one process\n",
           REPEATS, MIN_RUN);
    printf("(GSL %s CBLAS; literal = the per-index reference loops, vector = GSL BLAS;\n"
           " grad/fwd = gradient time / forward time of the same implementation)\n\n",
           GSL_VERSION);
    printf("%-14s %-11s %3s  %12s %12s %9s  %13s %13s\n", "model", "arch", "m", "literal grad",
           "vector grad", "speed-up", "lit grad/fwd", "vec grad/fwd");
    for (size_t mi = 0; mi < 3; mi++)
        for (size_t a = 0; a < 2; a++)
            for (size_t k = 0; k < 2; k++) {
                bp_error err;
                bp_model *params = tu_model(archs[a], 1);
                bp_model *grad = bp_model_alloc_like(params, &err);
                bp_batch *b = tu_batch(params, ms[k], 1);
                if (models[mi] == BP_CROSS_ENTROPY) /* one-hot targets */
                    for (size_t p = 0; p < b->m; p++)
                        for (size_t j = 0; j < 10; j++)
                            b->y[p * 10 + j] = j == p % 10;
                job jobs[4];
                double t[4];
                for (int w = 0; w < 4; w++) {
                    jobs[w] = (job){(op)w, models[mi], params, grad, b};
                    t[w] = measure(&jobs[w]) / (double)ms[k];
                }
                char arch[32];
                bp_sizes_format(params, arch, sizeof arch);
                printf("%-14s %-11s %3zu  %10.3g s %10.3g s %8.1fx  %13.2f %13.2f\n",
                       bp_cost_name(models[mi]), arch, ms[k], t[LIT_GRAD], t[VEC_GRAD],
                       t[LIT_GRAD] / t[VEC_GRAD], t[LIT_GRAD] / t[LIT_FWD],
                       t[VEC_GRAD] / t[VEC_FWD]);
                fflush(stdout);
                bp_batch_free(b), bp_model_free(params), bp_model_free(grad);
            }

    /* The oracles on 784-30-10 */
    bp_error err;
    bp_model *params = tu_model("784,30,10", 2);
    bp_batch *b = tu_batch(params, 1, 2);
    for (size_t j = 0; j < 10; j++)
        b->y[j] = j == 3;
    size_t P = params->nparams;
    double *g = malloc(P * sizeof *g), *est = malloc(P * sizeof *est);
    job fwd = {LIT_FWD, BP_CROSS_ENTROPY, params, NULL, b};
    double one_pass = measure(&fwd);
    printf("\nper-parameter gradient check of 784-30-10 (%zu parameters, m = 1, cross-entropy)\n",
           P);
    printf("naive central differences, 2P full forward passes: %.3g s (%zu passes x %.3g s)\n\n",
           2.0 * (double)P * one_pass, 2 * P, one_pass);
    printf("%-12s %12s %12s %13s %12s %9s\n", "method", "evaluations", "whole pass",
           "reusing cache", "per eval", "speed-up");
    const or_method methods[] = {OR_CENTRAL, OR_COMPLEX, OR_DUAL};
    for (size_t k = 0; k < 3; k++) {
        double t[2];
        size_t evals = 0;
        for (int reuse = 0; reuse < 2; reuse++) {
            double t0 = now();
            if (or_gradient(methods[k], g, est, &evals, BP_CROSS_ENTROPY, params, b, BP_SUM, reuse,
                            &err)) {
                fprintf(stderr, "bench: %s\n", err.msg);
                return 1;
            }
            t[reuse] = now() - t0;
        }
        printf("%-12s %12zu %10.3g s %11.3g s %10.3g s %8.0fx\n", or_method_name(methods[k]),
               evals, t[0], t[1], t[1] / (double)evals, t[0] / t[1]);
        fflush(stdout);
    }
    free(g), free(est);
    bp_batch_free(b), bp_model_free(params);
    return 0;
}
