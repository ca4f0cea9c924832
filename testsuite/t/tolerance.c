/* testsuite/t/tolerance.c: the tolerance model (fixtures/tolerance.c, fixtures/FORMAT.md
 * "Tolerances"): bounds rounded UP to 2 digits; a case beyond float32's range is unmeetable
 * there with a reason, and meetable in float64; sound on random networks at every degree of
 * saturation, for the literal, vectorized and Jacobian references (each entry within its
 * bound); tight enough to see bugs (sigma'(a), one entry off by 1e-6 among the 23,860 of
 * 784-30-10). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fixture.h"
#include "mpref.h"
#include "softmax_ce.h"
#include "tap.h"
#include "testutil.h"
#include "tolerance.h"
#include "train.h"
#include "vectorized.h"

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* FORMAT.md's table of resolving power ("after" rows) is what the fixtures of the sigmoid
 * networks (the 211 cases format /1 had, to compare with its "before" rows) give now. */
static void format_md_current(void)
{
    bp_fixture_set fs;
    bp_error err;
    if (bp_fixture_load_dir(&fs, "fixtures", &err))
        tap_bail_out("%s", err.msg);
    FILE *f = fopen("fixtures/FORMAT.md", "r");
    char *doc = calloc(1, 1 << 20);
    size_t len = f ? fread(doc, 1, (1 << 20) - 1, f) : 0;
    doc[len] = '\0';
    if (f)
        fclose(f);
    const char *pname[2] = {"float64", "float32"}, *ename[2] = {"best", "median"};
    int all = 1;
    for (int p = 0; p < BP_NPROFILES; p++) {
        double *v[2] = {calloc(1000, sizeof(double)), calloc(1000, sizeof(double))};
        size_t n = 0;
        for (size_t fi = 0; fi < fs.nfiles; fi++)
            for (size_t ci = 0; ci < fs.files[fi]->ncases && n < 1000; ci++) {
                const bp_case *c = &fs.files[fi]->cases[ci];
                if (bp_acts_canonical(c->params, c->cost) &&
                    bp_resolving_power(c, (bp_precision)p, &v[0][n], &v[1][n]))
                    n++;
            }
        for (int q = 0; q < 2; q++) {
            qsort(v[q], n, sizeof(double), dbl_cmp);
            char row[256];
            snprintf(row, sizeof row, "| %s, after | %s | %.2g | %.2g | %.2g | %.2g | %.2g |", pname[p],
                     ename[q], v[q][0], v[q][n / 4], v[q][n / 2], v[q][(3 * n) / 4], v[q][n - 1]);
            if (!strstr(doc, row)) {
                all = 0;
                tap_diag("FORMAT.md lacks the row: %s", row);
            }
            free(v[q]);
        }
    }
    tap_ok(all, "FORMAT.md's resolving-power table (the 'after' rows) is what the fixtures give");
    free(doc);
    bp_fixture_set_free(&fs);
}

/* A case of the given sizes, its inputs from seed, biases offset by +-sat (alternating), with
 * its exact expected values (mpref) and bounds for both precisions. */
static bp_case *make_case_acts(bp_cost cost, const char *sizes, size_t m, bp_reduction red,
                               double sat, unsigned long seed, const char *acts)
{
    bp_error err;
    bp_case *c = calloc(1, sizeof *c);
    c->id = strdup("t/tolerance");
    c->cost = cost, c->red = red, c->eta = 0.5;
    c->params = tu_model(sizes, seed);
    if (acts && bp_acts_parse(acts, c->params, &err))
        tap_bail_out("%s", err.msg);
    c->batch = tu_batch(c->params, m, seed);
    size_t L = c->params->L, NL = c->params->n[L];
    for (size_t l = 1; l <= L; l++)
        for (size_t j = 0; j < c->params->n[l]; j++)
            c->params->b[l][j] += (j % 2 ? -sat : sat);
    if (cost == BP_CROSS_ENTROPY) /* targets summing to 1 */
        for (size_t p = 0; p < m; p++) {
            double s = 0.0;
            for (size_t j = 0; j < NL; j++)
                s += c->batch->y[p * NL + j];
            for (size_t j = 0; j < NL; j++)
                c->batch->y[p * NL + j] /= s;
        }
    c->grad = bp_model_alloc_like(c->params, &err);
    c->step = bp_model_alloc_like(c->params, &err);
    c->trace = bp_trace_alloc(c->params, m, &err);
    c->cost_value = mp_evaluate(c->params, c->batch, cost, red, c->eta, c->grad, NULL, c->step, c->trace);
    for (size_t p = 0; p < BP_NPROFILES; p++) {
        char why[256];
        if (!(c->bounds[p] = bp_bounds_derive(c, &bp_profiles[p], why, sizeof why, &err)))
            c->unmeetable[p] = strdup(why);
    }
    return c;
}

static bp_case *make_case(bp_cost cost, const char *sizes, size_t m, bp_reduction red, double sat,
                          unsigned long seed)
{
    return make_case_acts(cost, sizes, m, red, sat, seed, NULL);
}

static void free_case(bp_case *c)
{
    bp_case_clear(c);
    free(c);
}

/* How many of got's values are beyond their float64 bound; the worst ratio into *worst. */
static size_t beyond(const double *got, const double *exp, const double *bound, size_t n, double *worst)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - exp[i]);
        bad += !(d <= bound[i]);
        *worst = fmax(*worst, isnan(d) ? INFINITY : d / bound[i]);
    }
    return bad;
}

/* An implementation's cost, gradient, step and trace against the case's float64 bounds. */
static size_t check(const bp_case *c, double cost, const bp_model *g, const bp_trace *t, double *worst)
{
    const bp_bounds *B = c->bounds[BP_FLOAT64];
    bp_model *s = bp_model_alloc_like(c->params, NULL);
    bp_model_step(s, c->params, g, c->eta);
    size_t bad = beyond(&cost, &c->cost_value, &B->cost, 1, worst) +
                 beyond(g->theta, c->grad->theta, B->grad->theta, g->nparams, worst) +
                 beyond(s->theta, c->step->theta, B->step->theta, s->nparams, worst);
    for (size_t l = 1; t && l <= c->params->L; l++) {
        size_t n = c->batch->m * c->params->n[l];
        bad += beyond(t->z[l], c->trace->z[l], B->trace->z[l], n, worst) +
               beyond(t->a[l], c->trace->a[l], B->trace->a[l], n, worst) +
               beyond(t->delta[l], c->trace->delta[l], B->trace->delta[l], n, worst);
    }
    bp_model_free(s);
    return bad;
}

static void round_up2_as_printed(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 29);
    size_t n = 0, bad = 0;
    for (int e = -320; e <= 308; e++)
        for (int t = 0; t < 400; t++) {
            double x;
            if (t < 270) { /* at a two-digit decimal, one and two doubles either side */
                double d = (10 + t % 90) * pow(10.0, e - 1);
                int side = t / 90; /* 0, 1, 2 */
                x = side == 0 ? d : side == 1 ? nextafter(nextafter(d, 0), 0) : nextafter(d, INFINITY);
                if (t % 2)
                    x = nextafter(x, side == 1 ? INFINITY : 0);
            } else {
                x = (1 + 9 * gsl_rng_uniform(rng)) * pow(10.0, e);
            }
            if (!(x > 0) || !isfinite(x))
                continue;
            double v = bp_round_up2(x), w = bp_round_up2_printed(x);
            n++;
            if (memcmp(&v, &w, sizeof v) != 0 && bad++ < 5)
                tap_diag("bp_round_up2(%.17g) = %.17g; printed: %.17g", x, v, w);
        }
    gsl_rng_free(rng);
    tap_ok(bad == 0 && n > 200000, "bp_round_up2 gives the printed rounding's bits: %zu of %zu values "
           "differ (1e-320 to 1e308, at every two-digit decimal and its neighbours)", bad, n);
}

int main(void)
{
    /* 2 significant digits, never below the value */
    struct {
        double x, want;
    } r2[] = {{1.23e-14, 1.3e-14}, {1.2e-14, 1.2e-14}, {9.95, 10.0}, {9.91e-300, 1e-299},
              {0.0, 0.0}, {2.385, 2.4}, {DBL_MIN, 2.3e-308}};
    int ok = 1;
    for (size_t i = 0; i < sizeof r2 / sizeof r2[0]; i++) {
        double v = bp_round_up2(r2[i].x);
        ok &= v == r2[i].want && v >= r2[i].x;
        if (v != r2[i].want)
            tap_diag("bp_round_up2(%.17g) = %.17g; expected %.17g", r2[i].x, v, r2[i].want);
    }
    tap_ok(ok, "bp_round_up2: the smallest 2-digit decimal >= x, on 7 values from 0 to 9.95");
    round_up2_as_printed();

    /* unmeetable: an input beyond float's range */
    bp_case *c = make_case(BP_QUADRATIC, "3,4,2", 2, BP_SUM, 0.0, 11);
    tap_ok(c->bounds[BP_FLOAT64] && c->bounds[BP_FLOAT32] && !c->unmeetable[BP_FLOAT32],
           "bounds: an ordinary case is meetable in float64 and in float32");
    c->batch->x[1] = 1e39; /* |x| > FLT_MAX: no float holds it */
    c->cost_value = mp_evaluate(c->params, c->batch, c->cost, c->red, c->eta, c->grad, NULL, c->step, c->trace);
    char why[256] = "";
    bp_error e2 = {""};
    bp_bounds *b32 = bp_bounds_derive(c, &bp_profiles[BP_FLOAT32], why, sizeof why, &e2);
    bp_bounds *b64 = bp_bounds_derive(c, &bp_profiles[BP_FLOAT64], why + 128, 128, &e2);
    if (!tap_ok(!b32 && strstr(why, "batch.x holds 1e+39") && b64,
                "bounds: x = 1e39 is unmeetable in float32 (reason names batch.x), meetable in float64"))
        tap_diag("float32: %s", why);
    bp_bounds_free(b32), bp_bounds_free(b64);
    free_case(c);

    /* sound: the references stay within every bound, at every degree of saturation */
    static const double sats[] = {0.0, 5.0, 15.0, 25.0, 34.0, 37.0, 45.0, 100.0, 720.0};
    static const char *const archs[] = {"2,3,2", "4,5,3,2", "3,4,1"};
    size_t cases = 0, bad_lit = 0, bad_vec = 0, bad_chain = 0, chain_cases = 0;
    double worst = 0.0;
    for (int model = 0; model < 3; model++)
        for (size_t s = 0; s < sizeof sats / sizeof sats[0]; s++)
            for (size_t a = 0; a < 3; a++) {
                bp_cost cost = (bp_cost)model;
                c = make_case(cost, archs[a], a + 2, a % 2 ? BP_MEAN : BP_SUM, sats[s], 100 + 7 * s + a);
                bp_error err;
                bp_model *g = bp_model_alloc_like(c->params, &err);
                bp_trace *t = bp_trace_alloc(c->params, c->batch->m, &err);
                double C;
                cases++;
                if (bp_gradient(cost, g, &C, t, c->params, c->batch, c->red, &err) == 0)
                    bad_lit += check(c, C, g, t, &worst) > 0;
                else
                    bad_lit++;
                if (vec_gradient(cost, g, &C, t, c->params, c->batch, c->red, &err) == 0)
                    bad_vec += check(c, C, g, t, &worst) > 0;
                else
                    bad_vec++;
                if (cost == BP_CROSS_ENTROPY && sats[s] < 300) { /* where -y/a is finite */
                    chain_cases++;
                    if (sce_gradient(g, &C, t, c->params, c->batch, c->red, SCE_CHAIN, &err) == 0)
                        bad_chain += check(c, C, g, t, &worst) > 0;
                    else
                        bad_chain++;
                }
                bp_model_free(g), bp_trace_free(t);
                free_case(c);
            }
    tap_ok(bad_lit == 0 && bad_vec == 0 && bad_chain == 0,
           "bounds are sound: on %zu random cases (3 models, biases +-0 to +-720) the literal and "
           "vectorized references, and on %zu the softmax Jacobian path, keep every entry within "
           "its bound (failing: %zu, %zu, %zu)", cases, chain_cases, bad_lit, bad_vec, bad_chain);
    tap_note("largest error / bound seen: %.3g", worst);

    /* the same with every activation, biases from 0 (relu kinks crossed by the rounding of z)
     * to +-100 (tanh saturated, relu dead or linear) */
    static const struct {
        bp_cost cost;
        const char *sizes, *acts;
    } nets[] = {{BP_QUADRATIC, "4,5,3,2", "tanh,relu,identity"},
                {BP_QUADRATIC, "2,3,2", "leaky-relu:0.3,tanh"},
                {BP_QUADRATIC, "3,4,1", "identity,relu"},
                {BP_LOGLIK, "4,5,3,2", "relu,tanh,sigmoid"},
                {BP_LOGLIK, "3,4,1", "tanh,sigmoid"},
                {BP_CROSS_ENTROPY, "4,5,3,2", "leaky-relu,relu,softmax"},
                {BP_CROSS_ENTROPY, "2,3,2", "identity,softmax"}};
    static const double asats[] = {0.0, 1e-9, 5.0, 25.0, 100.0};
    size_t acases = 0, abad = 0;
    worst = 0.0;
    for (size_t q = 0; q < sizeof nets / sizeof nets[0]; q++)
        for (size_t s = 0; s < sizeof asats / sizeof asats[0]; s++) {
            c = make_case_acts(nets[q].cost, nets[q].sizes, 3 + s % 3, s % 2 ? BP_MEAN : BP_SUM,
                               asats[s], 300 + 11 * q + s, nets[q].acts);
            bp_error err;
            bp_model *g = bp_model_alloc_like(c->params, &err);
            bp_trace *t = bp_trace_alloc(c->params, c->batch->m, &err);
            double C;
            acases++;
            abad += bp_gradient(c->cost, g, &C, t, c->params, c->batch, c->red, &err) != 0 ||
                    check(c, C, g, t, &worst) > 0;
            abad += vec_gradient(c->cost, g, &C, t, c->params, c->batch, c->red, &err) != 0 ||
                    check(c, C, g, t, &worst) > 0;
            abad += vec_gradient_per_sample(c->cost, g, &C, c->params, c->batch, c->red, &err) != 0 ||
                    check(c, C, g, NULL, &worst) > 0;
            bp_model_free(g), bp_trace_free(t);
            free_case(c);
        }
    tap_ok(abad == 0, "bounds are sound with tanh, relu, leaky-relu and identity layers: on %zu "
           "random cases (biases +-0 to +-100) the literal and both vectorized references keep "
           "every entry within its bound (%zu failing; largest error / bound %.3g)", acases, abad,
           worst);

    /* tight: sigma'(a) for sigma'(z) in the hidden layer (a classic bug) breaks a bound */
    c = make_case(BP_QUADRATIC, "4,5,3,2", 3, BP_SUM, 0.0, 5);
    {
        bp_error err;
        bp_model *g = bp_model_alloc_like(c->params, &err);
        double C;
        bp_gradient(c->cost, g, &C, NULL, c->params, c->batch, c->red, &err);
        double w = 0.0;
        size_t good = check(c, C, g, NULL, &w);
        /* rebuild delta^1 with sigma'(a^1) in place of sigma'(z^1) and the W^1, b^1 rows */
        const bp_trace *T = c->trace;
        size_t K = c->params->n[0], J = c->params->n[1], J2 = c->params->n[2];
        for (size_t j = 0; j < J; j++) {
            double gb = 0.0, gw[64] = {0};
            for (size_t p = 0; p < c->batch->m; p++) {
                double s = 0.0, a = T->a[1][p * J + j], sa = 1.0 / (1.0 + exp(-a));
                for (size_t i = 0; i < J2; i++)
                    s += c->params->W[2][i * J + j] * T->delta[2][p * J2 + i];
                double d = s * sa * (1.0 - sa);
                gb += d;
                for (size_t k = 0; k < K; k++)
                    gw[k] += d * c->batch->x[p * K + k];
            }
            g->b[1][j] = gb;
            for (size_t k = 0; k < K; k++)
                g->W[1][j * K + k] = gw[k];
        }
        w = 0.0;
        size_t bad = check(c, C, g, NULL, &w);
        tap_ok(good == 0 && bad > 0, "bounds see a bug: sigma'(a) for sigma'(z) in layer 1 puts %zu "
               "entries beyond their bound (the worst %.3g x), the correct gradient none", bad, w);
        bp_model_free(g);
    }
    free_case(c);

    /* tight: on 784-30-10, a change of 1e-6 relative in ANY one gradient entry is rejected */
    bp_error err;
    bp_fixture *fx = bp_fixture_load("fixtures/cross-entropy.json", &err);
    if (!fx)
        tap_bail_out("%s", err.msg);
    const bp_case *big = NULL;
    for (size_t i = 0; i < fx->ncases; i++)
        if (strstr(fx->cases[i].id, "/784-30-10/"))
            big = &fx->cases[i];
    size_t caught = 0, n = big ? big->params->nparams : 0;
    double loosest = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = big->grad->theta[i], moved = e * (1.0 + 1e-6);
        caught += !(fabs(moved - e) <= big->bounds[BP_FLOAT64]->grad->theta[i]);
        loosest = fmax(loosest, big->bounds[BP_FLOAT64]->grad->theta[i] / fabs(e));
    }
    tap_ok(big && n == 23860 && caught == n, "bounds see one entry: on %s, each of the %zu gradient "
           "entries moved by 1e-6 relative alone is rejected (%zu; loosest bound %.2g relative)",
           big ? big->id : "(no 784-30-10 case)", n, caught, loosest);
    bp_fixture_free(fx);
    format_md_current();
    mp_done();
    return tap_done();
}
