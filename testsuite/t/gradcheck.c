/* testsuite/t/gradcheck.c: the gradient oracles (testsuite/oracles/gradcheck.c, testsuite/oracles/oracle.c):
 * each on functions with known derivatives (exp, log, sin, a rational function at 2.385, 0.7,
 * 4.1), GSL's own error estimate tested for honesty, every oracle against the analytic
 * gradient of all three models, the complex step to a few ulps, dC_x/dz checked at z itself
 * (000:3, 001:12, 004:7), a deliberately wrong gradient caught by every method, and
 * `bpcheck gradcheck`. */
#define _POSIX_C_SOURCE 200809L
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>

#include "gradcheck.h"
#include "oracle.h"
#include "tap.h"
#include "testutil.h"
#include "train.h"

#define U DBL_EPSILON

/* ---- functions with known derivatives, in each arithmetic ---- */
static double f_real(int k, double x)
{
    switch (k) {
    case 0: return exp(x);
    case 1: return log(x);
    case 2: return sin(x);
    default: return x * x / (1.0 + x * x * x);
    }
}
static double f_prime(int k, double x)
{
    switch (k) {
    case 0: return exp(x);
    case 1: return 1.0 / x;
    case 2: return cos(x);
    default: return (2.0 * x - x * x * x * x) / ((1.0 + x * x * x) * (1.0 + x * x * x));
    }
}
static int fk; /* which function the adapters below evaluate */
static double complex f_cx(double complex x)
{
    switch (fk) {
    case 0: return cexp(x);
    case 1: return clog(x);
    case 2: return csin(x);
    default: return x * x / (1.0 + x * x * x);
    }
}
static or_dual f_du(or_dual x)
{
    switch (fk) {
    case 0: return or_dual_exp(x);
    case 1: return or_dual_log1p(or_dual_sub(x, or_dual_lift(1.0)));
    case 2: return or_dual_sin(x);
    default: {
        or_dual x2 = or_dual_mul(x, x);
        return or_dual_div(x2, or_dual_add(or_dual_lift(1.0), or_dual_mul(x2, x)));
    }
    }
}
static double f_theta(const double *theta, void *unused)
{
    (void)unused;
    return f_real(fk, theta[0]);
}
static double f_gsl(double x, void *unused)
{
    (void)unused;
    return f_real(fk, x);
}

static void check_known(void)
{
    static const char *const names[] = {"exp", "log", "sin", "x^2/(1+x^3)"};
    static const double xs[] = {2.385, 0.7, 4.1};
    for (fk = 0; fk < 4; fk++) {
        size_t plain_bad = 0, gsl_bad = 0, cx_bad = 0, du_bad = 0;
        double worst_cx = 0.0, worst_du = 0.0;
        for (size_t i = 0; i < 3; i++) {
            double x = xs[i], want = f_prime(fk, x), fd, est, r, abserr;
            bp_error err;
            gc_central_plain(&fd, &est, f_theta, NULL, &x, 1, &err);
            plain_bad += !(fabs(fd - want) <= est);
            gsl_function F = {f_gsl, NULL};
            gsl_deriv_central(&F, x, GC_STEP * fmax(1.0, fabs(x)), &r, &abserr);
            gsl_bad += !(fabs(r - want) <= abserr); /* GSL's RAW estimate, no safety factor */
            double cs = or_complex_step_1d(f_cx, x), du = or_dual_1d(f_du, x);
            worst_cx = fmax(worst_cx, fabs(cs - want) / fabs(want));
            worst_du = fmax(worst_du, fabs(du - want) / fabs(want));
            /* a few ulps: the derivative of a handful of correctly rounded operations, plus
             * the rounding of the exact derivative computed here (another few) */
            cx_bad += !(fabs(cs - want) <= 8 * U * fabs(want));
            du_bad += !(fabs(du - want) <= 8 * U * fabs(want));
        }
        tap_is_int((long)plain_bad, 0, "oracle central differences: d/dx %s at 2.385, 0.7, 4.1 "
                   "within their own error estimate", names[fk]);
        tap_is_int((long)gsl_bad, 0, "oracle richardson: GSL's error estimate is honest for d/dx "
                   "%s at 2.385, 0.7, 4.1 (actual error <= abserr)", names[fk]);
        tap_is_int((long)cx_bad, 0, "oracle complex step: d/dx %s at 2.385, 0.7, 4.1 within 8 ulps "
                   "(worst %.2g)", names[fk], worst_cx);
        tap_is_int((long)du_bad, 0, "oracle dual numbers: d/dx %s at 2.385, 0.7, 4.1 within 8 ulps "
                   "(worst %.2g)", names[fk], worst_du);
    }
}

/* ---- the oracles on the three models ---- */
static bp_batch *model_batch(const bp_model *m, bp_cost model, size_t n, unsigned long seed)
{
    bp_batch *b = tu_batch(m, n, seed);
    if (model == BP_CROSS_ENTROPY)
        for (size_t p = 0; p < n; p++) {
            double s = 0.0;
            for (size_t j = 0; j < b->n_out; j++)
                s += b->y[p * b->n_out + j];
            for (size_t j = 0; j < b->n_out; j++)
                b->y[p * b->n_out + j] /= s;
        }
    return b;
}

/* Run all six oracles on g; reps[6] gets the reports. */
static void run_all(gc_report reps[6], bp_cost model, const bp_model *params, const bp_batch *b,
                    bp_reduction red, const double *g, int reuse)
{
    static const char *const names[] = {"central", "richardson", "complex", "dual",
                                        "directional", "taylor"};
    bp_error err;
    double rho = gc_rho(params, b->m);
    double *r = malloc(params->nparams * sizeof *r), *e = malloc(params->nparams * sizeof *e);
    tu_cost_ctx cc = {model, bp_model_alloc_like(params, &err), b, red};
    for (int k = 0; k < 6; k++) {
        gc_report_init(&reps[k], names[k]);
        if (k < 4) {
            if (or_gradient((or_method)k, r, e, &reps[k].evaluations, model, params, b, red, reuse,
                            &err))
                tap_bail_out("%s: %s", names[k], err.msg);
            if (k >= 2)
                for (size_t i = 0; i < params->nparams; i++)
                    e[i] = rho * fabs(r[i]);
            gc_judge(&reps[k], params, g, r, e, rho);
        } else if (k == 4) {
            gc_directional(&reps[k], tu_cost_of_theta, &cc, params->theta, g, params->nparams, 4, 11, rho,
                           &err);
        } else {
            gc_taylor(&reps[k], tu_cost_of_theta, &cc, params->theta, g, params->nparams, 11, &err);
        }
    }
    bp_model_free(cc.work);
    free(r), free(e);
}

int main(void)
{
    check_known();

    const bp_cost models[] = {BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY};
    static const char *const archs[] = {"4,8,3", "3,5,4,2"};
    static const char *const ids[] = {"000:3 002:alg", "001:9 001:12", "004:7 004:1"};
    unsigned long seed = 600;
    double worst_cx = 0.0;
    for (size_t mi = 0; mi < 3; mi++)
        for (size_t a = 0; a < 2; a++)
            for (int r = 0; r < 2; r++)
                for (size_t m = 1; m <= 5; m += 4) {
                    bp_error err;
                    bp_model *p = tu_model(archs[a], seed), *g = bp_model_alloc_like(p, &err);
                    bp_batch *b = model_batch(p, models[mi], m, seed++);
                    bp_reduction red = r ? BP_MEAN : BP_SUM;
                    bp_gradient(models[mi], g, NULL, NULL, p, b, red, &err);
                    gc_report reps[6];
                    run_all(reps, models[mi], p, b, red, g->theta, OR_INCREMENTAL);
                    for (int k = 0; k < 6; k++)
                        if (!tap_ok(reps[k].pass && (k != 5 || reps[k].order < 2.5),
                                    "oracle %s agrees with the %s gradient (%s), %s m=%zu %s",
                                    reps[k].method, bp_cost_name(models[mi]), ids[mi], archs[a], m,
                                    bp_reduction_name(red)))
                            tap_diag("max rel %.3g, estimate %.3g, order %.3g", reps[k].max_rel,
                                     reps[k].estimate, reps[k].order);
                    worst_cx = fmax(worst_cx, reps[2].max_rel);
                    bp_batch_free(b), bp_model_free(p), bp_model_free(g);
                }
    /* normwise: max |g - r| / max |r| per tensor, over 24 networks and batches */
    if (!tap_ok(worst_cx <= 16 * U, "oracle complex step: the analytic gradients of all three "
                "models agree within 16 ulps normwise (worst %.2g = %.1f ulps)", worst_cx,
                worst_cx / U))
        tap_diag("worst %.3g", worst_cx);

    /* reuse changes nothing but the work: each method incrementally, from layer l, and by the
     * whole pass, on deep networks (the layers above l + 1 recomputed) with every activation */
    {
        static const struct {
            bp_cost cost;
            const char *sizes, *acts;
        } nets[] = {{BP_CROSS_ENTROPY, "5,7,3", NULL},
                    {BP_QUADRATIC, "4,6,5,4,3", "tanh,relu,leaky-relu:0.2,identity"},
                    {BP_LOGLIK, "3,5,4,2", "relu,tanh,sigmoid"}};
        for (size_t q = 0; q < sizeof nets / sizeof nets[0]; q++)
            for (or_method k = OR_CENTRAL; k <= OR_DUAL; k++) {
                bp_error err;
                bp_model *p = tu_model(nets[q].sizes, 9 + q);
                if (nets[q].acts && bp_acts_parse(nets[q].acts, p, &err))
                    tap_bail_out("%s", err.msg);
                bp_batch *b = model_batch(p, nets[q].cost, 4, 9 + q);
                size_t P = p->nparams, e[3];
                double *r[3], *est[3];
                for (int mode = OR_WHOLE; mode <= OR_INCREMENTAL; mode++) {
                    r[mode] = malloc(P * sizeof(double)), est[mode] = malloc(P * sizeof(double));
                    if (or_gradient(k, r[mode], est[mode], &e[mode], nets[q].cost, p, b, BP_SUM,
                                    mode, &err))
                        tap_bail_out("%s", err.msg);
                }
                /* two evaluations of one derivative differ by at most the sum of their error
                 * estimates (0 for the exact methods) plus the rounding allowance rho */
                double rho = gc_rho(p, 4), *tol[2] = {malloc(P * sizeof(double)), malloc(P * sizeof(double))};
                for (size_t i = 0; i < P; i++) {
                    tol[0][i] = est[OR_INCREMENTAL][i] + est[OR_WHOLE][i];
                    tol[1][i] = est[OR_REUSE_LAYER][i] + est[OR_WHOLE][i];
                }
                gc_report r1, r2;
                gc_report_init(&r1, "incremental"), gc_report_init(&r2, "layer");
                gc_judge(&r1, p, r[OR_INCREMENTAL], r[OR_WHOLE], tol[0], rho);
                gc_judge(&r2, p, r[OR_REUSE_LAYER], r[OR_WHOLE], tol[1], rho);
                /* (GSL's Richardson rule takes a second step where its first estimate is
                 * poor, so its count may differ by a few where rounding differs) */
                int same = k == OR_RICHARDSON || (e[0] == e[1] && e[1] == e[2]);
                if (!tap_ok(r1.pass && r2.pass && same,
                       "oracle reuse (%s, %s %s): incremental and from-layer-l evaluations equal "
                       "the whole pass's (max rel %.2g, %.2g; %zu evaluations)",
                       or_method_name(k), nets[q].sizes, nets[q].acts ? nets[q].acts : "sigmoid",
                       r1.max_rel, r2.max_rel, e[0]))
                    tap_diag("pass %d %d, evaluations %zu %zu %zu, worst at %zu: %.17g %.17g",
                             r1.pass, r2.pass, e[0], e[1], e[2], r1.worst, r[2][r1.worst],
                             r[0][r1.worst]);
                for (int mode = 0; mode < 3; mode++)
                    free(r[mode]), free(est[mode]);
                free(tol[0]), free(tol[1]);
                bp_batch_free(b), bp_model_free(p);
            }
    }

    /* Vector mode: dual numbers, a neuron's parameters at a time (vdual.c), give every
     * derivative one at a time gives, to the value (a lane runs or_dual's very operations),
     * on networks of every activation and cost, both reductions, a batch, a neuron with fewer
     * weights than lanes, rows of more than OR_VLANES lanes (150 inputs: a block of 128 and
     * one of 23), a layer wide enough that the lanes shrink (600: 64 a block), and a deep
     * net; with the AVX2 loops where the CPU has them, then with the plain ones. */
    for (int plain = 0; plain < 2; plain++) {
        static const struct {
            bp_cost cost;
            const char *sizes, *acts;
        } nets[] = {{BP_CROSS_ENTROPY, "5,7,3", NULL},
                    {BP_CROSS_ENTROPY, "37,9,4", "relu,softmax"},
                    {BP_QUADRATIC, "4,6,5,4,3", "tanh,relu,leaky-relu:0.2,identity"},
                    {BP_LOGLIK, "3,5,4,2", "relu,tanh,sigmoid"},
                    {BP_LOGLIK, "20,17,1", NULL},
                    {BP_CROSS_ENTROPY, "150,3,4", "tanh,softmax"},
                    {BP_QUADRATIC, "2,600,3", "leaky-relu,sigmoid"}};
        if (plain)
            setenv("BPCHECK_VDUAL_NO_AVX2", "1", 1);
        size_t cases = 0, differ = 0, params = 0;
        for (size_t q = 0; q < sizeof nets / sizeof nets[0]; q++)
            for (int red = 0; red < 2; red++) {
                bp_error err;
                bp_model *p = tu_model(nets[q].sizes, 21 + q);
                if (nets[q].acts && bp_acts_parse(nets[q].acts, p, &err))
                    tap_bail_out("%s", err.msg);
                bp_batch *b = model_batch(p, nets[q].cost, 3, 21 + q);
                size_t P = p->nparams, e1 = 0, e2 = 0;
                double *one = malloc(P * sizeof(double)), *vec = malloc(P * sizeof(double));
                if (or_gradient(OR_DUAL, one, NULL, &e1, nets[q].cost, p, b, (bp_reduction)red,
                                OR_INCREMENTAL, &err) ||
                    or_gradient(OR_DUAL, vec, NULL, &e2, nets[q].cost, p, b, (bp_reduction)red,
                                OR_VECTOR, &err))
                    tap_bail_out("%s", err.msg);
                for (size_t i = 0; i < P; i++)
                    if (memcmp(&one[i], &vec[i], sizeof(double)) != 0 && differ++ < 3)
                        tap_diag("%s %s: theta[%zu] one at a time %a, vector %a", nets[q].sizes,
                                 bp_reduction_name((bp_reduction)red), i, one[i], vec[i]);
                differ += e1 != e2 || e1 != P;
                cases++, params += P;
                free(one), free(vec);
                bp_batch_free(b), bp_model_free(p);
            }
        unsetenv("BPCHECK_VDUAL_NO_AVX2");
        tap_ok(differ == 0, "oracle dual, vector mode (up to %d lanes, %s loops): every derivative "
               "is one at a time's, bit for bit, %zu parameters of %zu networks and reductions "
               "(%zu differ)", OR_VLANES, plain ? "plain" : "the CPU's", params, cases, differ);
    }

    /* Kinks: with z^1_0 = 0 exactly (x = 0, b^1_0 = 0) the central difference in b^1_0 is the
     * mean of relu's one-sided slopes, 1/2, not relu'(0) = 0; or_kinks finds that entry and
     * only it, and the judge leaves it out. The complex step takes relu'(0) = 0 exactly. */
    {
        bp_error err;
        bp_model *p = tu_model("3,4,2", 21), *g = bp_model_alloc_like(p, &err);
        if (bp_acts_parse("relu,identity", p, &err))
            tap_bail_out("%s", err.msg);
        bp_batch *b = model_batch(p, BP_QUADRATIC, 3, 21);
        memset(b->x, 0, b->m * b->n_in * sizeof(double));
        p->b[1][0] = 0.0, p->b[1][1] = 1e-3; /* exactly at the kink, and clear of it */
        bp_gradient(BP_QUADRATIC, g, NULL, NULL, p, b, BP_SUM, &err);
        size_t P = p->nparams, at = bp_model_b_index(p, 1, 0);
        unsigned char *kink = malloc(P);
        double *r = malloc(P * sizeof *r), *e = malloc(P * sizeof *e);
        size_t n = or_kinks(kink, 2.0 * cbrt(DBL_EPSILON), BP_QUADRATIC, p, b, &err);
        or_gradient(OR_CENTRAL, r, e, NULL, BP_QUADRATIC, p, b, BP_SUM, OR_INCREMENTAL, &err);
        gc_report plain, masked;
        gc_report_init(&plain, "central"), gc_report_init(&masked, "central");
        gc_judge(&plain, p, g->theta, r, e, gc_rho(p, 3));
        gc_judge_masked(&masked, p, g->theta, r, e, gc_rho(p, 3), kink);
        tap_ok(n == 1 && kink[at] && !plain.pass && masked.pass && masked.kinks == 1,
               "gradcheck kinks: z = 0 exactly at one relu neuron: the one entry whose stencil "
               "crosses it is found (%zu of %zu) and left out; judged, it fails (central gives "
               "%.3g, relu'(0) = 0 gives %.3g)", n, P, r[at], g->theta[at]);
        or_gradient(OR_COMPLEX, r, NULL, NULL, BP_QUADRATIC, p, b, BP_SUM, OR_INCREMENTAL, &err);
        tap_ok(r[at] == g->theta[at], "gradcheck kinks: the complex step takes relu'(0) = 0 there "
               "(%.3g = %.3g)", r[at], g->theta[at]);
        unsigned char none[64];
        bp_model *q = tu_model("3,4,2", 21);
        tap_ok(or_kinks(none, 1.0, BP_QUADRATIC, q, b, &err) == 0,
               "gradcheck kinks: a sigmoid network has none, whatever the step");
        free(kink), free(r), free(e), bp_model_free(q);
        bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }

    /* dC_x/dz^l_j at z itself, every sample and layer, by the complex step */
    static const char *const zids[] = {"000:3 delta^l_j = dC_x/dz^l_j (quadratic)",
                                       "001:12 dc/dz^L = y - h and 001:9's deltas (loglik)",
                                       "004:7 dL/dz^L = a - y and 004:12 (cross-entropy)"};
    for (size_t mi = 0; mi < 3; mi++) {
        bp_error err;
        bp_model *p = tu_model("4,6,5,3", 31), *g = bp_model_alloc_like(p, &err);
        bp_batch *b = model_batch(p, models[mi], 5, 31);
        bp_trace *t = bp_trace_alloc(p, 5, &err), *o = bp_trace_alloc(p, 5, &err);
        bp_gradient(models[mi], g, NULL, t, p, b, BP_SUM, &err);
        or_delta(o, models[mi], p, b, &err);
        double rho = gc_rho(p, 5);
        size_t bad = 0;
        for (size_t l = 1; l <= p->L; l++) {
            double scale = 0.0;
            for (size_t i = 0; i < 5 * p->n[l]; i++)
                scale = fmax(scale, fabs(o->delta[l][i]));
            for (size_t i = 0; i < 5 * p->n[l]; i++)
                bad += !(fabs(t->delta[l][i] - o->delta[l][i]) <= rho * (fabs(o->delta[l][i]) + scale));
        }
        tap_is_int((long)bad, 0, "oracle at z: %s, every sample and layer vs the complex step in z",
                   zids[mi]);
        bp_trace_free(t), bp_trace_free(o), bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }

    /* A deliberately wrong gradient: every method must fail, the Taylor test at order 1. */
    for (size_t mi = 0; mi < 3; mi++)
        for (int bug = 0; bug < 2; bug++) {
            bp_error err;
            bp_model *p = tu_model("4,8,3", 77), *g = bp_model_alloc_like(p, &err);
            bp_batch *b = model_batch(p, models[mi], 5, 77);
            bp_gradient(models[mi], g, NULL, NULL, p, b, BP_MEAN, &err);
            const char *what;
            if (bug == 0) {
                size_t at = 0;
                for (size_t i = 1; i < p->nparams; i++)
                    if (fabs(g->theta[i]) > fabs(g->theta[at]))
                        at = i;
                g->theta[at] *= 1.01; /* one entry off by 1% */
                what = "one entry 1% off";
            } else {
                for (size_t j = 0; j < p->n[2]; j++)
                    g->b[2][j] = -g->b[2][j]; /* a sign flipped in one layer */
                what = "the output bias gradient's sign flipped";
            }
            gc_report reps[6];
            run_all(reps, models[mi], p, b, BP_MEAN, g->theta, 1);
            size_t caught = 0;
            for (int k = 0; k < 6; k++)
                caught += !reps[k].pass;
            if (!tap_ok(caught == 6 && reps[5].order > 0.8 && reps[5].order < 1.2,
                        "oracles: a wrong %s gradient (%s) fails all 6 methods, the Taylor test "
                        "at order %.2f", bp_cost_name(models[mi]), what, reps[5].order))
                tap_diag("caught by %zu of 6", caught);
            bp_batch_free(b), bp_model_free(p), bp_model_free(g);
        }

    /* bpcheck gradcheck */
    {
        char cmd[1024], *out;
        const char *prog = tu_env("BPCHECK");
        snprintf(cmd, sizeof cmd, "'%s' gradcheck --model cross-entropy --sizes 4,8,3 --batch 5 "
                 "--seed 7 --method all 2>&1", prog);
        int status = tu_run(cmd, &out);
        double abs_cx = 1, rel_cx = 1, abs_du = 1, rel_du = 1;
        char *c = strstr(out, "\ncomplex"), *d = strstr(out, "\ndual");
        int parsed = c && d && sscanf(c, " complex %lf %lf", &abs_cx, &rel_cx) == 2 &&
                     sscanf(d, " dual %lf %lf", &abs_du, &rel_du) == 2;
        size_t rows = 0;
        for (char *q = out; (q = strstr(q, "  pass")) != NULL; q++)
            rows++;
        if (!tap_ok(status == 0 && parsed && rel_cx <= 1e-13 && rel_du <= 1e-13 && rows == 6,
                    "bpcheck gradcheck --model cross-entropy --sizes 4,8,3 --batch 5 --seed 7 "
                    "--method all: exit 0, 6 passes, complex and dual at %.2g and %.2g <= 1e-13",
                    rel_cx, rel_du))
            tap_diag("exit %d, output:\n%s", status, out);
        free(out);
        snprintf(cmd, sizeof cmd, "'%s' gradcheck --inject 1e-2 2>&1", prog);
        status = tu_run(cmd, &out);
        rows = 0;
        for (char *q = out; (q = strstr(q, "  FAIL")) != NULL; q++)
            rows++;
        tap_ok(status == 1 && rows == 6, "bpcheck gradcheck --inject 1e-2: exit 1, all 6 methods "
               "FAIL");
        free(out);
        snprintf(cmd, sizeof cmd, "'%s' gradcheck --method simplex 2>&1", prog);
        status = tu_run(cmd, &out);
        tap_ok(status == 2 && strstr(out, "--method 'simplex'"), "bpcheck gradcheck: an unknown "
               "method is a usage error (exit 2)");
        free(out);
    }
    return tap_done();
}
