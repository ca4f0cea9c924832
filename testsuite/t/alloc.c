/* testsuite/t/alloc.c: running out of memory. Each allocation that the reference, the
 * generator, the fixture writer and reader, the oracles, training and the CSV loader make is
 * made to fail in turn: the 1st, then the 2nd, ... to the last the undisturbed run makes.
 * Every run in which an allocation failed must return an error with a message (never a
 * crash, never a success built on a NULL), or, where a library absorbs the failure (jansson's
 * parser does at a few points), give exactly the undisturbed run's result; and every run,
 * failed or not, must leave nothing allocated: make check-valgrind and make check-sanitize
 * (LeakSanitizer) run this program too, and a leak on any error path fails them.
 *
 * What fails: malloc, calloc, realloc and strdup called from the project's code, and
 * gsl_matrix_alloc, gsl_vector_alloc and gsl_rng_alloc (the link wraps them:
 * -Wl,--wrap=..., see the Makefile), and jansson's allocations (json_set_alloc_funcs).
 * MPFR's are not made to fail: GMP aborts on an allocation failure by design. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>
#include <jansson.h>

#include "fixture.h"
#include "generate.h"
#include "tensor.h"
#include "loglik.h"
#include "model.h"
#include "mpref.h"
#include "oracle.h"
#include "quadratic_003.h"
#include "tap.h"
#include "testutil.h"
#include "train.h"
#include "vectorized.h"

/* ---- the failing allocator ---- */

static long fail_at; /* the allocation to fail, counted from 1 since arming; 0: none */
static long made;    /* allocations asked for since arming */

static int failing(void)
{
    return fail_at > 0 && ++made == fail_at; /* fail_at LONG_MAX: only count */
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
gsl_matrix *__real_gsl_matrix_alloc(size_t r, size_t c);
gsl_vector *__real_gsl_vector_alloc(size_t n);
gsl_rng *__real_gsl_rng_alloc(const gsl_rng_type *t);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
gsl_matrix *__wrap_gsl_matrix_alloc(size_t r, size_t c);
gsl_vector *__wrap_gsl_vector_alloc(size_t n);
gsl_rng *__wrap_gsl_rng_alloc(const gsl_rng_type *t);

void *__wrap_malloc(size_t n) { return failing() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return failing() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return failing() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return failing() ? NULL : __real_strdup(s); }
gsl_matrix *__wrap_gsl_matrix_alloc(size_t r, size_t c)
{
    return failing() ? NULL : __real_gsl_matrix_alloc(r, c);
}
gsl_vector *__wrap_gsl_vector_alloc(size_t n) { return failing() ? NULL : __real_gsl_vector_alloc(n); }
gsl_rng *__wrap_gsl_rng_alloc(const gsl_rng_type *t)
{
    return failing() ? NULL : __real_gsl_rng_alloc(t);
}
static void *json_alloc(size_t n) { return failing() ? NULL : __real_malloc(n); }

static char dir[64], json_path[96], bin_path[96], csv_text[256];
/* ---- the sweep ---- */

/* What a run gives: each scenario mixes its result into this digest (FNV-1a), so that a
 * failed allocation a function absorbs (it gives the very same result) tells apart from one
 * it ignores (it gives another, or claims success on a result it does not have). */
static unsigned long long digest;
static int digested;

static void result(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        digest = (digest ^ b[i]) * 1099511628211ULL;
    digested = 1;
}

typedef int (*scenario)(bp_error *err);

/* Every allocation fails in turn under make check. The valgrind and sanitizer re-runs
 * (BPCHECK_LIGHT) are there for the leaks and memory errors of the error paths, and under
 * valgrind each run costs 50 times more: there a sweep of more than 200 allocations fails
 * every k-th, k = ceil(total / 200), from the first. */
static long stride(long total)
{
    const char *light = getenv("BPCHECK_LIGHT");
    return light && *light && total > 200 ? (total + 199) / 200 : 1;
}

typedef struct {
    long total, silent, quiet, absorbed, first_silent;
    int undisturbed_failed;
    char why[256];
} sweep_stats;

/* Run f undisturbed, counting its allocations, then once with each of them failing, then
 * undisturbed again. Each disturbed run must return non-zero with a message, or succeed with
 * the undisturbed result exactly (the failure absorbed); both undisturbed runs must succeed
 * and agree (no failure left state behind). 1 when all of that holds. */
static int sweep_run(scenario f, sweep_stats *st)
{
    memset(st, 0, sizeof *st);
    bp_error e0 = {""}, e1 = {""};
    digest = 14695981039346656037ULL, digested = 0, made = 0, fail_at = LONG_MAX;
    int rc0 = f(&e0);
    fail_at = 0;
    st->total = made;
    unsigned long long want = digest;
    for (long k = 1; k <= st->total; k += stride(st->total)) {
        bp_error err = {""};
        digest = 14695981039346656037ULL, digested = 0, made = 0, fail_at = k;
        int rc = f(&err);
        fail_at = 0;
        if (rc == 0 && digested && digest == want)
            st->absorbed++;
        else if (rc == 0 && !st->silent++)
            st->first_silent = k;
        else if (rc != 0 && !err.msg[0])
            st->quiet++;
    }
    digest = 14695981039346656037ULL, digested = 0;
    int rc1 = f(&e1);
    st->undisturbed_failed = rc0 || rc1 || digest != want;
    snprintf(st->why, sizeof st->why, "%.255s", e0.msg[0] ? e0.msg : e1.msg);
    return !st->undisturbed_failed && st->silent == 0 && st->quiet == 0;
}

/* sweep_run as one TAP point */
static void sweep(const char *what, scenario f)
{
    sweep_stats st;
    int ok = sweep_run(f, &st);
    char every[64] = "";
    if (stride(st.total) > 1)
        snprintf(every, sizeof every, " (every %ldth: BPCHECK_LIGHT)", stride(st.total));
    if (!tap_ok(ok,
                "%s: each of its %ld allocations made to fail%s gives an error with a message%s", what,
                st.total, every, st.absorbed ? " or the same result" : "")) {
        if (st.undisturbed_failed)
            tap_diag("an undisturbed run failed or the two differed: %s", st.why);
        if (st.silent)
            tap_diag("%ld failed allocations went unnoticed (success, another result), the first: #%ld",
                     st.silent, st.first_silent);
        if (st.quiet)
            tap_diag("%ld errors without a message", st.quiet);
    }
    if (st.absorbed)
        tap_note("%s: %ld failed allocations absorbed (the same result)", what, st.absorbed);
}

/* the sweep's own checks, on functions that handle a failure wrongly */
static int s_ignores(bp_error *err) /* success whatever happened */
{
    (void)err;
    char *s = strdup("a result");
    result(s ? s : "", s ? strlen(s) : 0);
    free(s);
    return 0;
}

static int s_mute(bp_error *err) /* an error without a message */
{
    (void)err;
    char *s = strdup("a result");
    result(s ? s : "", s ? strlen(s) : 0);
    free(s);
    return s ? 0 : -1;
}

/* ---- what is swept ---- */

static bp_model *P[3], *G[3]; /* a 3-4-2 network per model, and gradient storage */
static bp_batch *B[3];
static bp_trace *T;
static const bp_cost COSTS[3] = {BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY};
static bp_cost cost_now;

static int s_alloc(bp_error *err)
{
    size_t n[3] = {3, 4, 2};
    bp_model *m = bp_model_alloc(2, n, err), *like = m ? bp_model_alloc_like(m, err) : NULL;
    bp_batch *b = bp_batch_alloc(5, 3, 2, err);
    bp_trace *t = m ? bp_trace_alloc(m, 5, err) : NULL;
    int rc = m && like && b && t && !bp_model_init_seed(m, 7, err) ? 0 : -1;
    bp_model_free(m), bp_model_free(like), bp_batch_free(b), bp_trace_free(t);
    return rc;
}

static int s_gradient(bp_error *err)
{
    size_t i = (size_t)cost_now;
    double c;
    int rc = bp_gradient(cost_now, G[i], &c, T, P[i], B[i], BP_MEAN, err);
    result(G[i]->theta, G[i]->nparams * sizeof(double)), result(&c, sizeof c);
    return rc;
}

static int s_vectorized(bp_error *err)
{
    size_t i = (size_t)cost_now;
    double c;
    if (vec_gradient(cost_now, G[i], &c, T, P[i], B[i], BP_SUM, err) ||
        vec_gradient_per_sample(cost_now, G[i], &c, P[i], B[i], BP_SUM, err))
        return -1;
    result(G[i]->theta, G[i]->nparams * sizeof(double)), result(&c, sizeof c);
    if (isnan(c = vec_cost(cost_now, P[i], B[i], BP_SUM)))
        return bp_fail(err, "vec_cost: NaN");
    result(&c, sizeof c);
    return 0;
}

static int s_cost_value(bp_error *err)
{
    size_t i = (size_t)cost_now;
    double c = bp_cost_value(cost_now, P[i], B[i], BP_SUM);
    result(&c, sizeof c);
    return isnan(c) ? bp_fail(err, "cost: NaN") : 0;
}

static int s_q003(bp_error *err)
{
    q003_params *p = q003_alloc(3, 4, 2, err), *g = p ? q003_alloc(3, 4, 2, err) : NULL;
    double loss;
    int rc = !p || !g || q003_from_canonical(p, P[0], err) ||
             q003_backprop(g, &loss, p, B[0]->x, B[0]->y, B[0]->m, err) ||
             q003_to_canonical(G[0], g, err);
    result(G[0]->theta, G[0]->nparams * sizeof(double));
    q003_free(p), q003_free(g);
    return rc ? -1 : 0;
}

static int s_loglik(bp_error *err)
{
    ll_net *net = ll_alloc(P[1]->L, P[1]->n, &ll_sigmoid, err);
    ll_net *g = net ? ll_alloc_like(net, err) : NULL;
    ll_trace *t = net ? ll_trace_alloc(net, B[1]->m, err) : NULL;
    double C;
    int rc = !net || !g || !t || ll_from_canonical(net, P[1], err) ||
             ll_backprop(g, &C, t, net, B[1]->x, B[1]->y, B[1]->m, err) ||
             ll_backprop_summed(g, &C, NULL, net, B[1]->x, B[1]->y, B[1]->m, err) ||
             ll_gradient_to_canonical(G[1], g, B[1]->m, BP_SUM, err);
    result(G[1]->theta, G[1]->nparams * sizeof(double)), result(&C, sizeof C);
    if (!rc && isnan(C = ll_canonical_cost(P[1], B[1], BP_SUM)))
        rc = bp_fail(err, "ll_canonical_cost: NaN");
    result(&C, sizeof C);
    ll_trace_free(t), ll_free(g), ll_free(net);
    return rc ? -1 : 0;
}

static int s_oracles(bp_error *err)
{
    size_t i = (size_t)cost_now, np = P[i]->nparams;
    double *g = malloc(np * sizeof *g), *e = malloc(np * sizeof *e);
    unsigned char *kink = malloc(np);
    int rc = !g || !e || !kink ? bp_fail(err, "out of memory") : 0;
    static const or_method all[] = {OR_CENTRAL, OR_RICHARDSON, OR_COMPLEX, OR_DUAL};
    for (size_t k = 0; k < 4 && !rc; k++)
        rc = or_gradient(all[k], g, e, NULL, cost_now, P[i], B[i], BP_MEAN, OR_INCREMENTAL, err);
    if (!rc && or_kinks(kink, 1e-5, cost_now, P[i], B[i], err) == (size_t)-1)
        rc = -1;
    if (!rc && or_delta(T, cost_now, P[i], B[i], err))
        rc = -1;
    if (!rc)
        result(g, np * sizeof *g), result(e, np * sizeof *e), result(kink, np);
    free(g), free(e), free(kink);
    return rc;
}

static int s_train(bp_error *err)
{
    bp_model *m = bp_model_alloc_like(P[0], err);
    if (!m)
        return -1;
    bp_model_copy(m, P[0]);
    bp_train_opts o = {2, 2, 3, 0.5, 11, B[0]};
    bp_epoch_report last;
    int rc = bp_train(m, BP_QUADRATIC, B[0], &o, NULL, NULL, &last, err);
    result(m->theta, m->nparams * sizeof(double));
    bp_model_free(m);
    return rc;
}

static int s_csv(bp_error *err)
{
    FILE *f = fmemopen(csv_text, strlen(csv_text), "r");
    if (!f)
        return bp_fail(err, "fmemopen failed");
    bp_batch *b = bp_data_read_csv_header(f, "data.csv", 3, 2, 1, err), *train = NULL, *test = NULL;
    fclose(f);
    int rc = !b || bp_data_split(b, 0.25, 3, &train, &test, err);
    if (!rc) {
        bp_data_standardize(train, test);
        result(train->x, train->m * 3 * sizeof(double)), result(test->y, test->m * 2 * sizeof(double));
    }
    bp_batch_free(b), bp_batch_free(train), bp_batch_free(test);
    return rc ? -1 : 0;
}

static int s_model_file(bp_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/model.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f || bp_model_write(f, P[2]) || fclose(f))
        return bp_fail(err, "cannot write %s", path);
    f = fopen(path, "r");
    if (!f)
        return bp_fail(err, "cannot read %s", path);
    bp_model *m = bp_model_read(f, path, err);
    fclose(f);
    if (m)
        result(m->theta, m->nparams * sizeof(double));
    bp_model_free(m);
    return m ? 0 : -1;
}

static bp_gen_spec spec(bp_cost cost, const char *acts)
{
    bp_gen_spec s;
    bp_error err = {""};
    memset(&s, 0, sizeof s);
    s.cost = cost, s.red = BP_SUM, s.m = 2, s.regime = BP_R_TYPICAL, s.slope = BP_LEAKY_SLOPE;
    s.eta = 0.5;
    if (bp_sizes_parse("3,4,2", &s.L, s.n, &err) ||
        (acts && bp_acts_parse_list(acts, s.L, s.act, &s.slope, &err)))
        tap_bail_out("%s", err.msg);
    return s;
}

static bp_case made_case[3]; /* each model's case, generated undisturbed, for the writer */

static void case_result(const bp_case *c);

static int s_generate(bp_error *err)
{
    bp_gen_spec s = spec(cost_now, cost_now == BP_QUADRATIC ? "relu,tanh" : NULL);
    bp_case c;
    int rc = bp_gen_case(&s, &c, err);
    if (!rc)
        case_result(&c);
    bp_case_clear(&c);
    return rc;
}

/* the tensor-wide criteria of a case, float32 (tensor.h) */
static int s_tensor(bp_error *err)
{
    bp_tensor_tests *T = bp_tensor_tests_derive(&made_case[cost_now], &bp_profiles[BP_FLOAT32], err);
    if (!T)
        return -1;
    for (size_t i = 0; i < T->n; i++)
        result(&T->t[i].thr, sizeof T->t[i].thr);
    bp_tensor_tests_free(T);
    return 0;
}

/* write a case with its binary companion, then as plain JSON */
static int s_write(bp_error *err)
{
    const bp_case *c = &made_case[cost_now];
    int rc = bp_gen_write(json_path, bin_path, c, 1, err) || bp_gen_write(json_path, NULL, c, 1, err);
    if (!rc) /* what was written */
        for (int i = 0; i < 2; i++) {
            FILE *f = fopen(i ? bin_path : json_path, "rb");
            char buf[4096];
            size_t n;
            while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
                result(buf, n);
            if (f)
                fclose(f);
        }
    return rc ? -1 : 0;
}

static void case_result(const bp_case *c)
{
    result(c->id, strlen(c->id)), result(c->params->theta, c->params->nparams * sizeof(double));
    result(c->grad->theta, c->grad->nparams * sizeof(double));
    result(c->step->theta, c->step->nparams * sizeof(double)), result(&c->cost_value, sizeof(double));
    result(c->batch->x, c->batch->m * c->batch->n_in * sizeof(double));
    result(c->batch->y, c->batch->m * c->batch->n_out * sizeof(double));
    for (size_t l = 1; l <= c->params->L; l++) {
        size_t n = c->batch->m * c->params->n[l] * sizeof(double);
        result(c->trace->z[l], n), result(c->trace->a[l], n), result(c->trace->delta[l], n);
    }
    for (size_t p = 0; p < BP_NPROFILES; p++)
        if (c->bounds[p])
            result(c->bounds[p]->grad->theta, c->params->nparams * sizeof(double));
        else
            result(c->unmeetable[p], strlen(c->unmeetable[p]));
    for (size_t i = 0; i < c->nflags; i++)
        result(c->flags[i], strlen(c->flags[i]));
    for (size_t i = 0; i < c->nequations; i++)
        result(c->equations[i], strlen(c->equations[i]));
}

static int s_read(bp_error *err)
{
    bp_fixture *f = bp_fixture_load(json_path, err);
    for (size_t i = 0; f && i < f->ncases; i++)
        case_result(&f->cases[i]);
    bp_fixture_free(f);
    return f ? 0 : -1;
}

static int s_read_dir(bp_error *err)
{
    bp_fixture_set fs;
    int rc = bp_fixture_load_dir(&fs, dir, err);
    if (!rc) {
        for (size_t i = 0; i < fs.nfiles; i++)
            for (size_t j = 0; j < fs.files[i]->ncases; j++)
                case_result(&fs.files[i]->cases[j]);
        bp_fixture_set_free(&fs);
    }
    return rc;
}

int main(void)
{
    json_set_alloc_funcs(json_alloc, free);
    snprintf(dir, sizeof dir, "%s/alloc.XXXXXX", tu_env("BPCHECK_TESTDIR"));
    if (!mkdtemp(dir))
        tap_bail_out("cannot create a directory under %s", tu_env("BPCHECK_TESTDIR"));
    snprintf(json_path, sizeof json_path, "%s/case.json", dir);
    snprintf(bin_path, sizeof bin_path, "%s/case.bin", dir);
    snprintf(csv_text, sizeof csv_text,
             "x1,x2,x3,class\n0.1,0.2,0.3,0\n# a comment\n\n1,2,3,1\n-1,0.5,2,0\n4,4,4,1\n");

    T = NULL;
    for (size_t i = 0; i < 3; i++) {
        P[i] = tu_model("3,4,2", 3 + i);
        B[i] = tu_batch(P[i], 4, 5 + i);
        G[i] = tu_model("3,4,2", 1);
    }
    for (size_t p = 0; p < B[2]->m; p++) { /* cross-entropy: each target row sums to 1 */
        double *y = B[2]->y + 2 * p, s = y[0] + y[1];
        y[0] /= s, y[1] /= s;
    }
    bp_error err = {""};
    if (!(T = bp_trace_alloc(P[0], 4, &err)))
        tap_bail_out("%s", err.msg);

    sweep_stats st;
    int ok = !sweep_run(s_ignores, &st) && st.silent == 1;
    ok &= !sweep_run(s_mute, &st) && st.quiet == 1 && st.silent == 0;
    tap_ok(ok, "the sweep fails a function that ignores a failed allocation, and one that fails "
               "without a message");
    sweep("bp_model_alloc, bp_batch_alloc, bp_trace_alloc", s_alloc);
    for (size_t i = 0; i < 3; i++) {
        char what[96];
        cost_now = COSTS[i];
        snprintf(what, sizeof what, "bp_gradient (%s)", bp_cost_name(cost_now));
        sweep(what, s_gradient);
        snprintf(what, sizeof what, "bp_cost_value (%s)", bp_cost_name(cost_now));
        sweep(what, s_cost_value);
        snprintf(what, sizeof what, "vec_gradient, per sample, vec_cost (%s)", bp_cost_name(cost_now));
        sweep(what, s_vectorized);
        snprintf(what, sizeof what, "the oracles: central, Richardson, complex, dual, kinks, delta (%s)",
                 bp_cost_name(cost_now));
        sweep(what, s_oracles);
    }
    sweep("003's batch backpropagation and its mapping", s_q003);
    sweep("001's backpropagation, summed form and mapping", s_loglik);
    sweep("bp_train (2 epochs, a held-out part)", s_train);
    sweep("the CSV loader, the split and standardization", s_csv);
    sweep("bp_model_write then bp_model_read", s_model_file);
    for (size_t i = 0; i < 3; i++) {
        char what[128];
        cost_now = COSTS[i];
        snprintf(what, sizeof what, "bp_gen_case (%s)", bp_cost_name(cost_now));
        sweep(what, s_generate);
        bp_gen_spec s = spec(cost_now, cost_now == BP_QUADRATIC ? "relu,tanh" : NULL);
        if (bp_gen_case(&s, &made_case[cost_now], &err))
            tap_bail_out("%s", err.msg);
        snprintf(what, sizeof what, "bp_gen_write, with a binary companion and plain (%s)",
                 bp_cost_name(cost_now));
        sweep(what, s_write);
        snprintf(what, sizeof what, "bp_tensor_tests_derive, float32 (%s)", bp_cost_name(cost_now));
        sweep(what, s_tensor);
    }
    sweep("bp_fixture_load of a fixture", s_read);
    { /* the last sweep left plain JSON: write a case with its companion for the reader */
        bp_gen_spec s = spec(BP_LOGLIK, NULL);
        bp_case c;
        if (bp_gen_case(&s, &c, &err) || bp_gen_write(json_path, bin_path, &c, 1, &err))
            tap_bail_out("%s", err.msg);
        bp_case_clear(&c);
    }
    sweep("bp_fixture_load of a fixture with a binary companion", s_read);
    sweep("bp_fixture_load_dir", s_read_dir);

    for (size_t i = 0; i < 3; i++)
        bp_model_free(P[i]), bp_model_free(G[i]), bp_batch_free(B[i]), bp_case_clear(&made_case[i]);
    bp_trace_free(T);
    char *out;
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    mp_done();
    return tap_done();
}
