/* testsuite/oracles/gradcheck.c: central differences with an honest error estimate (gradcheck.h).
 *
 * How the tolerance is derived. The analytic gradient g_i and the finite difference fd_i both
 * approximate the true derivative d_i, so |g_i - fd_i| <= |g_i - d_i| + |fd_i - d_i|.
 *
 * |fd_i - d_i|: gsl_deriv_central evaluates the 5-point rule r5 (truncation error O(h^4)) and
 * reports fd_err = |r5 - r3| / h (the difference from the 3-point rule, an O(h^2) quantity that
 * over-estimates the O(h^4) truncation error) plus a rounding estimate that assumes each value
 * of C is correct to about one ulp of |C|. Our C is not: it is a sum over m samples and n_L
 * outputs of values computed through L layers of dot products of length n_{l-1}, so its
 * rounding error is up to about kappa ulps with kappa ~ m n_L + sum_l n_l (the gamma_n bound of
 * a length-n summation, Higham, Accuracy and Stability, 2nd ed., sec. 3.1). The rounding part of
 * the estimate grows linearly with kappa; GC_ROUND_FACTOR = 64 covers kappa <= 64, which holds
 * for every architecture and batch the tests use (at most 5 wide, 4 layers, m <= 5: kappa <= 40),
 * and leaves the already conservative truncation part conservative.
 *
 * |g_i - d_i|: backpropagation computes g_i by sums of at most m (K + I) products whose terms
 * are bounded by the largest gradient entry times O(1) factors (sigma' <= 1/4, weights O(1)),
 * so its error is below n eps max_j |g_j| with n <= 1024 for the same architectures.
 *
 * What the tolerance can miss: with the step sizes GSL chooses here fd_err is around 1e-10
 * relative, so the tolerance is ~1e-8 of the gradient's scale, while every classic bug (a sign,
 * a missing sigma' <= 1/4, a transpose, a factor m) changes an entry by O(1) relative. Tests
 * that use it also assert that the tolerance stayed this small, so it can never pass vacuously.
 */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_errno.h>

typedef struct {
    gc_cost_fn cost;
    void *ctx;
    double *theta;   /* a private copy; coordinate i is varied */
    size_t i;
} gc_slice;

/* C as a function of theta_i alone, for gsl_function */
static double gc_slice_eval(double x, void *p)
{
    gc_slice *s = p;
    double saved = s->theta[s->i];
    s->theta[s->i] = x;
    double c = s->cost(s->theta, s->ctx);
    s->theta[s->i] = saved;
    return c;
}

int gc_central(double *fd, double *fd_err, gc_cost_fn cost, void *ctx, const double *theta,
               size_t n, bp_error *err)
{
    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return bp_fail(err, "gradcheck: out of memory for %zu parameters", n);
    memcpy(copy, theta, n * sizeof *copy);
    gc_slice s = {cost, ctx, copy, 0};
    gsl_function F = {gc_slice_eval, &s};
    for (size_t i = 0; i < n; i++) {
        s.i = i;
        double h = GC_STEP * fmax(1.0, fabs(theta[i]));
        gsl_deriv_central(&F, theta[i], h, &fd[i], &fd_err[i]);
    }
    free(copy);
    return 0;
}

void gc_tolerance(double *tol, const double *fd_err, const double *g, size_t n)
{
    double gmax = 0.0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs(g[i])); /* fmax ignores a NaN g; the comparison will not */
    for (size_t i = 0; i < n; i++)
        tol[i] = GC_ROUND_FACTOR * fd_err[i] + GC_GRAD_ULPS * DBL_EPSILON * gmax;
}

double gc_rho(const bp_model *shape, size_t m)
{
    double k = (double)(m + 16);
    for (size_t l = 0; l <= shape->L; l++)
        k += (double)shape->n[l];
    return GC_RHO_ULPS * k * DBL_EPSILON;
}

void gc_report_init(gc_report *r, const char *method)
{
    *r = (gc_report){method, 1, 0.0, 0.0, 0.0, 0, 0.0, NAN, NAN, 0, 0};
}

void gc_judge(gc_report *rep, const bp_model *shape, const double *g, const double *r,
              const double *e, double rho)
{
    gc_judge_masked(rep, shape, g, r, e, rho, NULL);
}

/* the larger of m and v, keeping m when v is NaN: fmax's result for an m that is not NaN, which
 * every accumulator below is (they start at 0), inline where fmax is a call */
static inline double larger(double m, double v)
{
    return v > m ? v : m;
}

/* gc_judge_masked, the estimate of entry i e[i], or e_rel |r[i]| when e is NULL */
static void judge(gc_report *rep, const bp_model *shape, const double *g, const double *r,
                  const double *e, double e_rel, double rho, const unsigned char *skip)
{
    double worst = -1.0;
    for (size_t l = 1; l <= shape->L; l++)
        for (int part = 0; part < 2; part++) {
            size_t from = (size_t)((part ? shape->b[l] : shape->W[l]) - shape->theta);
            size_t len = part ? shape->n[l] : shape->n[l] * shape->n[l - 1];
            double scale = 0.0;
            for (size_t i = from; i < from + len; i++)
                if (!skip || !skip[i])
                    scale = larger(scale, fabs(r[i]));
            for (size_t i = from; i < from + len; i++) {
                if (skip && skip[i]) {
                    rep->kinks++;
                    continue;
                }
                double d = fabs(g[i] - r[i]), ei = e ? e[i] : e_rel * fabs(r[i]);
                double allowed = ei + rho * (fabs(r[i]) + scale);
                if (!(d <= allowed)) /* NaN fails here */
                    rep->pass = 0;
                double rel = scale > 0.0 ? d / scale : (d > 0.0 ? INFINITY : 0.0);
                if (isnan(d))
                    rel = INFINITY;
                rep->max_abs = larger(rep->max_abs, isnan(d) ? INFINITY : d);
                rep->max_rel = larger(rep->max_rel, rel);
                if (scale > 0.0)
                    rep->estimate = larger(rep->estimate, ei / scale);
                if (rel > worst)
                    worst = rel, rep->worst = i;
            }
        }
}

void gc_judge_masked(gc_report *rep, const bp_model *shape, const double *g, const double *r,
                     const double *e, double rho, const unsigned char *skip)
{
    judge(rep, shape, g, r, e, 0.0, rho, skip);
}

void gc_judge_exact(gc_report *rep, const bp_model *shape, const double *g, const double *r,
                    double rho)
{
    judge(rep, shape, g, r, NULL, rho, rho, NULL);
}

int gc_central_plain(double *fd, double *est, gc_cost_fn cost, void *ctx, const double *theta,
                     size_t n, bp_error *err)
{
    double *t = malloc(n * sizeof *t);
    if (!t)
        return bp_fail(err, "gradcheck: out of memory for %zu parameters", n);
    memcpy(t, theta, n * sizeof *t);
    double c0 = cost(t, ctx);
    for (size_t i = 0; i < n; i++) {
        double h = cbrt(DBL_EPSILON) * fmax(1.0, fabs(theta[i])), f[4];
        static const double steps[4] = {1, -1, 2, -2};
        for (int s = 0; s < 4; s++) {
            t[i] = theta[i] + steps[s] * h;
            f[s] = cost(t, ctx);
        }
        t[i] = theta[i];
        double d1 = (f[0] - f[1]) / (2 * h), d2 = (f[2] - f[3]) / (4 * h);
        fd[i] = d1;
        /* truncation of D(h) ~ |D(2h) - D(h)| / 3; rounding 64 u |C| / h (see above) */
        est[i] = fabs(d2 - d1) / 3.0 + GC_ROUND_FACTOR * DBL_EPSILON * fabs(c0) / h;
    }
    free(t);
    return 0;
}

typedef struct {
    gc_cost_fn cost;
    void *ctx;
    const double *theta, *u;
    double *t;
    size_t n, evals;
} line_ctx;

/* C(theta + s u) */
static double line_eval(double s, void *p)
{
    line_ctx *c = p;
    for (size_t i = 0; i < c->n; i++)
        c->t[i] = c->theta[i] + s * c->u[i];
    c->evals++;
    return c->cost(c->t, c->ctx);
}

int gc_directional(gc_report *rep, gc_cost_fn cost, void *ctx, const double *theta,
                   const double *g, size_t n, size_t dirs, unsigned long seed, double rho,
                   bp_error *err)
{
    double *u = malloc(n * sizeof *u), *t = malloc(n * sizeof *t);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!u || !t || !rng) {
        free(u), free(t);
        if (rng)
            gsl_rng_free(rng);
        return bp_fail(err, "gradcheck: out of memory");
    }
    gsl_rng_set(rng, seed);
    line_ctx c = {cost, ctx, theta, u, t, n, 0};
    gsl_function F = {line_eval, &c};
    double tau = 0.0, g2 = 0.0, tmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        g2 += g[i] * g[i];
        tmax = fmax(tmax, fabs(theta[i]));
    }
    for (size_t d = 0; d < dirs; d++) {
        double gu = 0.0, mag = 0.0, slope, abserr;
        for (size_t i = 0; i < n; i++) {
            u[i] = gsl_ran_gaussian(rng, 1.0);
            gu += g[i] * u[i];
            mag += fabs(g[i] * u[i]);
        }
        gsl_deriv_central(&F, 0.0, GC_STEP * fmax(1.0, tmax), &slope, &abserr);
        double diff = fabs(gu - slope), allowed = GC_ROUND_FACTOR * abserr + rho * mag;
        if (!(diff <= allowed))
            rep->pass = 0;
        tau = fmax(tau, allowed);
        rep->max_abs = fmax(rep->max_abs, isnan(diff) ? INFINITY : diff);
        rep->max_rel = fmax(rep->max_rel, mag > 0 ? diff / mag : (diff > 0 ? INFINITY : 0.0));
        if (mag > 0)
            rep->estimate = fmax(rep->estimate, GC_ROUND_FACTOR * abserr / mag);
    }
    double per = 0.79788456080286535588 /* sqrt(2/pi) */ * tau / (1e-6 * sqrt(g2));
    rep->p_miss = pow(fmin(1.0, per), (double)dirs);
    rep->evaluations += c.evals;
    free(u), free(t);
    gsl_rng_free(rng);
    return 0;
}

int gc_taylor(gc_report *rep, gc_cost_fn cost, void *ctx, const double *theta, const double *g,
              size_t n, unsigned long seed, bp_error *err)
{
    double *u = malloc(n * sizeof *u), *t = malloc(n * sizeof *t);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!u || !t || !rng) {
        free(u), free(t);
        if (rng)
            gsl_rng_free(rng);
        return bp_fail(err, "gradcheck: out of memory");
    }
    gsl_rng_set(rng, seed);
    double norm = 0.0, gu = 0.0;
    for (size_t i = 0; i < n; i++) {
        u[i] = gsl_ran_gaussian(rng, 1.0);
        norm += u[i] * u[i];
    }
    norm = sqrt(norm);
    for (size_t i = 0; i < n; i++) {
        u[i] /= norm;
        gu += g[i] * u[i];
    }
    line_ctx c = {cost, ctx, theta, u, t, n, 0};
    double c0 = line_eval(0.0, &c), floor = GC_ROUND_FACTOR * DBL_EPSILON * fabs(c0);
    double lh[30], lr[30];
    size_t k = 0;
    for (int e = 1; e <= 30; e++) {
        double h = ldexp(1.0, -e), r = fabs(line_eval(h, &c) - c0 - h * gu);
        if (r > 100.0 * floor && isfinite(r))
            lh[k] = log(h), lr[k] = log(r), k++;
    }
    /* the slope over the (up to) 6 smallest valid h: where the leading term shows */
    size_t from = k > 6 ? k - 6 : 0, cnt = k - from;
    double order = NAN;
    if (cnt >= 3) {
        double mx = 0, my = 0, sxy = 0, sxx = 0;
        for (size_t i = from; i < k; i++)
            mx += lh[i], my += lr[i];
        mx /= (double)cnt, my /= (double)cnt;
        for (size_t i = from; i < k; i++)
            sxy += (lh[i] - mx) * (lr[i] - my), sxx += (lh[i] - mx) * (lh[i] - mx);
        order = sxy / sxx;
    }
    rep->order = order;
    rep->pass = order >= 1.8; /* NaN (too few points) fails */
    rep->max_abs = rep->max_rel = rep->estimate = NAN;
    rep->evaluations += c.evals;
    free(u), free(t);
    gsl_rng_free(rng);
    return 0;
}
