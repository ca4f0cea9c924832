/* testsuite/t/exact.c: the fast exact path (testsuite/oracles/exact.c) gives mp_evaluate's
 * bytes: the cost, gradient, step and every z, a and delta, signs of zero included, on random
 * cases of every model, activation and regime (two seeds; one under BPCHECK_LIGHT); on exact ties and near-ties of a midpoint
 * between doubles, where the bound must hand the value to MPFR; and it decides nearly all of
 * an ordinary case itself (a path that always fell back would pass the first points). */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exact.h"
#include "generate.h"
#include "mpref.h"
#include "tap.h"
#include "testutil.h"

typedef struct {
    bp_model *grad, *step;
    bp_trace *trace;
    double cost;
} values;

static void values_alloc(values *v, const bp_model *P, size_t m)
{
    bp_error err;
    if (!(v->grad = bp_model_alloc_like(P, &err)) || !(v->step = bp_model_alloc_like(P, &err)) ||
        !(v->trace = bp_trace_alloc(P, m, &err)))
        tap_bail_out("%s", err.msg);
}

static void values_free(values *v)
{
    bp_model_free(v->grad), bp_model_free(v->step), bp_trace_free(v->trace);
}

/* the entries whose bytes differ, the first few named into diag */
static size_t differ(const double *a, const double *b, size_t n, const char *what, const char *id)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof *a) != 0 && d++ < 3)
            tap_diag("%s: %s[%zu] fast %.17g, MPFR %.17g", id, what, i, b[i], a[i]);
    return d;
}

/* mp_evaluate and ex_evaluate on the same case: the number of values that differ; the fast
 * path's values into *keep (the caller frees them) when keep is not NULL */
static size_t compare(const bp_model *P, const bp_batch *B, bp_cost cost, bp_reduction red,
                      double eta, const char *id, ex_stats *st, values *keep)
{
    values mp, ex;
    values_alloc(&mp, P, B->m), values_alloc(&ex, P, B->m);
    mp.cost = mp_evaluate(P, B, cost, red, eta, mp.grad, NULL, mp.step, mp.trace);
    ex.cost = ex_evaluate(P, B, cost, red, eta, ex.grad, ex.step, ex.trace, st);
    size_t d = differ(&mp.cost, &ex.cost, 1, "cost", id);
    d += differ(mp.grad->theta, ex.grad->theta, P->nparams, "grad", id);
    d += differ(mp.step->theta, ex.step->theta, P->nparams, "step", id);
    for (size_t l = 0; l <= P->L; l++) {
        size_t n = B->m * P->n[l];
        d += differ(mp.trace->a[l], ex.trace->a[l], n, "a", id);
        if (l)
            d += differ(mp.trace->z[l], ex.trace->z[l], n, "z", id),
                d += differ(mp.trace->delta[l], ex.trace->delta[l], n, "delta", id);
    }
    values_free(&mp);
    if (keep)
        *keep = ex;
    else
        values_free(&ex);
    return d;
}

/* Every cost with every activation it takes, in every regime, two seeds, two sizes */
static void every_model(void)
{
    static const struct {
        bp_cost cost;
        const char *sizes, *acts; /* NULL: the model's own */
    } nets[] = {
        {BP_QUADRATIC, "4,6,5,3", NULL},
        {BP_QUADRATIC, "4,6,5,3", "relu,relu,identity"},
        {BP_QUADRATIC, "4,6,5,3", "tanh,leaky-relu,tanh"},
        {BP_QUADRATIC, "5,4,1", "leaky-relu:0.2,relu"},
        {BP_LOGLIK, "4,6,5,3", NULL},
        {BP_LOGLIK, "3,5,5,5,5,5,2", NULL},
        {BP_LOGLIK, "4,6,5,3", "tanh,identity,sigmoid"},
        {BP_CROSS_ENTROPY, "4,6,5,3", NULL},
        {BP_CROSS_ENTROPY, "4,6,5,3", "relu,tanh,softmax"},
        {BP_CROSS_ENTROPY, "8,1", NULL},
    };
    size_t cases = 0, bad = 0, values_n = 0, fell = 0, whole = 0;
    unsigned long seeds = getenv("BPCHECK_LIGHT") ? 1 : 2; /* (under valgrind: one) */
    for (size_t n = 0; n < sizeof nets / sizeof nets[0]; n++)
        for (int r = 0; r < BP_NREGIMES; r++)
            for (unsigned long seed = 1; seed <= seeds; seed++) {
                bp_gen_spec sp;
                bp_error err;
                memset(&sp, 0, sizeof sp);
                sp.cost = nets[n].cost, sp.red = seed == 1 ? BP_MEAN : BP_SUM, sp.m = 5;
                sp.regime = (bp_regime)r, sp.slope = BP_LEAKY_SLOPE, sp.eta = 0.5;
                sp.seeded = 1, sp.seed = seed;
                if (bp_sizes_parse(nets[n].sizes, &sp.L, sp.n, &err) ||
                    (nets[n].acts && bp_acts_parse_list(nets[n].acts, sp.L, sp.act, &sp.slope, &err)))
                    tap_bail_out("%s", err.msg);
                bp_case c;
                if (bp_gen_case(&sp, &c, &err)) /* (a regime the cost does not take) */
                    continue;
                ex_stats st;
                size_t d = compare(c.params, c.batch, c.cost, c.red, c.eta, c.id, &st, NULL);
                cases++, bad += d != 0, values_n += st.values, fell += st.mpfr_values;
                whole += (size_t)st.whole;
                bp_case_clear(&c);
            }
    tap_ok(cases >= 125 * seeds && bad == 0,
           "fast exact path = MPFR, byte for byte, on %zu cases of 3 costs, 10 networks (sigmoid, "
           "tanh, relu, leaky-relu, identity, softmax), 13 regimes, %lu seed(s): %zu differ "
           "(%zu of %zu values from MPFR, %zu cases whole)", cases, seeds, bad, fell, values_n,
           whole);
}

/* A case of ordinary size, where MPFR should decide nothing */
static void ordinary(bp_cost cost, const char *acts)
{
    bp_gen_spec sp;
    bp_error err;
    memset(&sp, 0, sizeof sp);
    sp.cost = cost, sp.red = BP_MEAN, sp.m = 16, sp.regime = BP_R_TYPICAL, sp.eta = 0.5;
    sp.slope = BP_LEAKY_SLOPE;
    if (bp_sizes_parse("100,30,10", &sp.L, sp.n, &err) ||
        (acts && bp_acts_parse_list(acts, sp.L, sp.act, &sp.slope, &err)))
        tap_bail_out("%s", err.msg);
    bp_case c;
    if (bp_gen_case(&sp, &c, &err))
        tap_bail_out("%s", err.msg);
    ex_stats st;
    size_t d = compare(c.params, c.batch, c.cost, c.red, c.eta, c.id, &st, NULL);
    tap_ok(d == 0 && st.mpfr_values == 0 && !st.whole,
           "%s: all %zu values by the fast path alone (%zu from MPFR), byte for byte MPFR's (%zu "
           "differ)", c.id, st.values, st.mpfr_values, d);
    bp_case_clear(&c);
}

/* One linear neuron, quadratic cost with an identity output, y = 0: z = a = delta = dC/db =
 * b + x1 w1 + x2 w2 + x3 w3, all at once; 1 + 2^-53 is the midpoint between 1 and its
 * successor. A tie moved by 2^-300 needs ~300 bits, which double-double cannot hold; an exact
 * tie is within any bound of the midpoint: MPFR must decide them all, up, down or to even. A
 * quarter of an ulp from 1 is far from any midpoint: the bound decides it. */
static void ties(void)
{
    static const struct {
        double w2, w3, want; /* the second and third weights (x = 1), z's correct rounding */
        int mpfr;        /* MPFR must decide */
        const char *what;
    } t[] = {
        {0x1p-53, 0x1p-300, 1.0 + 0x1p-52, 1, "a tie plus 2^-300 rounds up"},
        {0x1p-53, -0x1p-300, 1.0, 1, "a tie minus 2^-300 rounds down"},
        {0x1p-53, 0x1p-390, 1.0 + 0x1p-52, 1, "a tie plus 2^-390 rounds up"},
        {0x1p-53, 0.0, 1.0, 1, "an exact tie rounds to even (1)"},
        {0x1p-53, 0x1p-52, 1.0 + 0x1p-51, 1, "1 + 3 2^-53, an exact tie, rounds to even (1 + 2^-51)"},
        {0x1p-54, 0x1p-60, 1.0, 0, "1 + 2^-54 + 2^-60, no value near a midpoint, rounds down"},
    };
    size_t L = 1, n[2] = {3, 1};
    bp_error err;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bp_model *P = bp_model_alloc(L, n, &err);
        bp_batch *B = P ? bp_batch_alloc(1, 3, 1, &err) : NULL;
        if (!B)
            tap_bail_out("%s", err.msg);
        P->act[1] = BP_ACT_IDENTITY;
        P->W[1][0] = 1.0, P->W[1][1] = t[i].w2, P->W[1][2] = t[i].w3, P->b[1][0] = 0.0;
        B->x[0] = B->x[1] = B->x[2] = 1.0, B->y[0] = 0.0;
        values ex;
        ex_stats st;
        size_t d = compare(P, B, BP_QUADRATIC, BP_SUM, 0.5, t[i].what, &st, &ex);
        double z = ex.trace->z[1][0], g = ex.grad->theta[bp_model_b_index(P, 1, 0)];
        tap_ok(d == 0 && z == t[i].want && g == t[i].want && (st.mpfr_values > 0) == t[i].mpfr,
               "ties: %s (z %.17g, dC/db %.17g; %zu values from MPFR, as %s); = MPFR (%zu differ)",
               t[i].what, z, g, st.mpfr_values, t[i].mpfr ? "it must" : "none needed", d);
        values_free(&ex), bp_batch_free(B), bp_model_free(P);
    }
}

/* Values the bound does not cover go whole to MPFR, and still match */
static void whole_case(void)
{
    size_t L = 2, n[3] = {2, 3, 2};
    bp_error err;
    bp_model *P = bp_model_alloc(L, n, &err);
    bp_batch *B = P ? bp_batch_alloc(2, 2, 2, &err) : NULL;
    if (!B)
        tap_bail_out("%s", err.msg);
    for (size_t i = 0; i < P->nparams; i++)
        P->theta[i] = 0.25 * (double)(i % 5) - 0.5;
    P->b[1][1] = 900.0; /* e^{-900} < 2^-400: out of the range */
    for (size_t i = 0; i < 4; i++)
        B->x[i] = 0.5 + (double)i, B->y[i] = (double)(i % 2);
    ex_stats st;
    size_t d = compare(P, B, BP_LOGLIK, BP_MEAN, 0.5, "saturated-900", &st, NULL);
    tap_ok(d == 0 && st.whole && strstr(st.why, "range"),
           "a sigmoid at z = 900 (e^-900 below 2^-400) sends the whole case to MPFR (%s), which "
           "matches (%zu differ)", st.why, d);
    bp_batch_free(B), bp_model_free(P);
}

int main(void)
{
    every_model();
    ordinary(BP_CROSS_ENTROPY, "relu,softmax");
    ordinary(BP_QUADRATIC, "tanh,identity");
    ordinary(BP_LOGLIK, NULL);
    ties();
    whole_case();
    /* the loops as the build compiles them, where the first run took the FMA ones (exact.c
     * picks those on a CPU with FMA and AVX2): the same bytes again */
    setenv("BPCHECK_EXACT_NO_FMA", "1", 1);
    ordinary(BP_CROSS_ENTROPY, "relu,softmax");
    ordinary(BP_LOGLIK, NULL);
    ties();
    mp_done();
    return tap_done();
}
