/* testsuite/oracles/oracle.c: the oracles of oracle.h. The forward pass in each arithmetic comes from
 * oracle_template.h, included once per type. */
#include "oracle.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>

#include "gradcheck.h"
#include "softmax_ce.h"
#include "train.h"
#include "vdual.h"

/* ---- T = double: central differences and Richardson extrapolation ----------------------- */
#define T double
#define TN(name) real_##name
#define T_LIFT(x) ((double)(x))
#define T_ADD(a, b) ((a) + (b))
#define T_SUB(a, b) ((a) - (b))
#define T_MUL(a, b) ((a) * (b))
#define T_DIV(a, b) ((a) / (b))
#define T_EXP(a) exp(a)
#define T_LOG1P(a) log1p(a)
#define T_TANH(a) tanh(a)
#define T_RE(a) (a)
#include "oracle_template.h"
#include "oracle_template_end.h"

/* ---- T = double complex: the complex step ------------------------------------------------ */
/* ln(1 + z) for complex z: C has no clog1p. Only the imaginary part matters to the complex
 * step, and arg(1 + z) = atan2(Im z, 1 + Re z) keeps its relative accuracy; the real part is
 * taken by log1p of |1 + z| - 1 computed without cancellation for tiny Im z. */
static double complex cx_log1p(double complex z)
{
    double re = creal(z), im = cimag(z);
    double real = 0.5 * log1p(re * (2.0 + re) + im * im); /* ln |1 + z| */
    return CMPLX(real, atan2(im, 1.0 + re));
}

#define T double complex
#define TN(name) cx_##name
#define T_LIFT(x) CMPLX((double)(x), 0.0)
#define T_ADD(a, b) ((a) + (b))
#define T_SUB(a, b) ((a) - (b))
#define T_MUL(a, b) ((a) * (b))
#define T_DIV(a, b) ((a) / (b))
#define T_EXP(a) cexp(a)
#define T_LOG1P(a) cx_log1p(a)
#define T_TANH(a) ctanh(a)
#define T_RE(a) creal(a)
#include "oracle_template.h"
#include "oracle_template_end.h"

/* ---- T = dual numbers: forward-mode automatic differentiation ---------------------------- */
or_dual or_dual_lift(double v) { return (or_dual){v, 0.0}; }
or_dual or_dual_add(or_dual a, or_dual b) { return (or_dual){a.v + b.v, a.d + b.d}; }
or_dual or_dual_sub(or_dual a, or_dual b) { return (or_dual){a.v - b.v, a.d - b.d}; }
or_dual or_dual_mul(or_dual a, or_dual b) { return (or_dual){a.v * b.v, a.v * b.d + a.d * b.v}; }
or_dual or_dual_div(or_dual a, or_dual b)
{
    return (or_dual){a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)};
}
or_dual or_dual_exp(or_dual a)
{
    double e = exp(a.v);
    return (or_dual){e, a.d * e};
}
or_dual or_dual_tanh(or_dual a)
{
    double t = tanh(a.v), e = exp(-2.0 * fabs(a.v));
    return (or_dual){t, a.d * 4.0 * e / ((1.0 + e) * (1.0 + e))}; /* sech^2, no cancellation */
}
or_dual or_dual_log1p(or_dual a) { return (or_dual){log1p(a.v), a.d / (1.0 + a.v)}; }
or_dual or_dual_sin(or_dual a) { return (or_dual){sin(a.v), a.d * cos(a.v)}; }

double or_complex_step_1d(double complex (*f)(double complex), double x)
{
    return cimag(f(CMPLX(x, OR_COMPLEX_H))) / OR_COMPLEX_H;
}

double or_dual_1d(or_dual (*f)(or_dual), double x)
{
    return f((or_dual){x, 1.0}).d;
}

#define T or_dual
#define TN(name) du_##name
#define T_LIFT(x) or_dual_lift((double)(x))
#define T_ADD(a, b) or_dual_add((a), (b))
#define T_SUB(a, b) or_dual_sub((a), (b))
#define T_MUL(a, b) or_dual_mul((a), (b))
#define T_DIV(a, b) or_dual_div((a), (b))
#define T_EXP(a) or_dual_exp(a)
#define T_LOG1P(a) or_dual_log1p(a)
#define T_TANH(a) or_dual_tanh(a)
#define T_RE(a) ((a).v)
#include "oracle_template.h"
#include "oracle_template_end.h"

double or_cost_real(bp_cost model, const bp_model *params, const bp_batch *b,
                    const bp_trace *cache, bp_reduction red, const or_target *tgt, double eps,
                    int reuse)
{
    return real_cost_perturbed(model, params, b, cache, red, tgt, eps, reuse);
}

double complex or_cost_complex(bp_cost model, const bp_model *params, const bp_batch *b,
                               const bp_trace *cache, bp_reduction red, const or_target *tgt,
                               double complex eps, int reuse)
{
    return cx_cost_perturbed(model, params, b, cache, red, tgt, eps, reuse);
}

or_dual or_cost_dual(bp_cost model, const bp_model *params, const bp_batch *b,
                     const bp_trace *cache, bp_reduction red, const or_target *tgt, or_dual eps,
                     int reuse)
{
    return du_cost_perturbed(model, params, b, cache, red, tgt, eps, reuse);
}

or_target or_target_of(const bp_model *m, size_t i)
{
    or_target t = {OR_WEIGHT, 0, 0, 0, 0};
    for (size_t l = 1; l <= m->L; l++) {
        size_t w0 = (size_t)(m->W[l] - m->theta), b0 = (size_t)(m->b[l] - m->theta);
        size_t K = m->n[l - 1];
        if (i >= w0 && i < b0)
            return (or_target){OR_WEIGHT, l, (i - w0) / K, (i - w0) % K, 0};
        if (i >= b0 && i < b0 + m->n[l])
            return (or_target){OR_BIAS, l, i - b0, 0, 0};
    }
    return t;
}

const char *or_method_name(or_method m)
{
    static const char *const names[] = {"central", "richardson", "complex", "dual"};
    return names[m];
}

typedef struct {
    bp_cost model;
    const bp_model *params;
    const bp_batch *b;
    const bp_trace *cache;
    bp_reduction red;
    const or_target *tgt;
    int reuse;
    size_t evals;
    int nonfinite; /* an evaluation was not finite (each allocates: NaN when it cannot) */
} real_ctx;

static double real_of(double eps, void *p)
{
    real_ctx *c = p;
    c->evals++;
    double v = or_cost_real(c->model, c->params, c->b, c->cache, c->red, c->tgt, eps, c->reuse);
    c->nonfinite |= !isfinite(v);
    return v;
}

/* d C / d (the target) by one method, with its error estimate. */
static double derivative(or_method method, double *est, real_ctx *c, double value)
{
    if (method == OR_COMPLEX) {
        c->evals++;
        double complex v = or_cost_complex(c->model, c->params, c->b, c->cache, c->red, c->tgt,
                                           CMPLX(0.0, OR_COMPLEX_H), c->reuse);
        c->nonfinite |= !isfinite(creal(v)) || !isfinite(cimag(v));
        *est = 0.0; /* no truncation, no cancellation: only the rounding the criterion allows */
        return cimag(v) / OR_COMPLEX_H;
    }
    if (method == OR_DUAL) {
        c->evals++;
        or_dual v = or_cost_dual(c->model, c->params, c->b, c->cache, c->red, c->tgt,
                                 (or_dual){0.0, 1.0}, c->reuse);
        c->nonfinite |= !isfinite(v.v) || !isfinite(v.d);
        *est = 0.0;
        return v.d;
    }
    if (method == OR_CENTRAL) {
        /* h = cbrt(eps) max(1, |theta|) balances the O(h^2) truncation against the rounding
         * u |C| / h. The truncation of D(h) is about |D(2h) - D(h)| / 3 (D(2h) has four times
         * D(h)'s h^2 error); the rounding, as in gradcheck.c, 64 u |C| / h. */
        double h = cbrt(DBL_EPSILON) * fmax(1.0, fabs(value));
        double fp = real_of(h, c), fm = real_of(-h, c), f2p = real_of(2 * h, c),
               f2m = real_of(-2 * h, c), f0 = real_of(0.0, c);
        double d1 = (fp - fm) / (2 * h), d2 = (f2p - f2m) / (4 * h);
        *est = fabs(d2 - d1) / 3.0 + GC_ROUND_FACTOR * DBL_EPSILON * fabs(f0) / h;
        return d1;
    }
    /* Richardson: GSL's 5-point rule with its error estimate, scaled as in gradcheck.c */
    gsl_function F = {real_of, c};
    double r, abserr;
    gsl_deriv_central(&F, 0.0, GC_STEP * fmax(1.0, fabs(value)), &r, &abserr);
    *est = GC_ROUND_FACTOR * abserr;
    return r;
}

/* The real forward pass every evaluation starts from: z and a of every layer, computed here
 * with the oracle's own arithmetic (oracle_template.h in double), never by the reference's
 * code: a fault in a reference's forward pass must not move the point the oracle
 * differentiates at, or the oracle would agree with it. At a softmax output a^L is the
 * softmax of z^L (only z^L enters the cost). */
static int forward_cache(bp_cost model, bp_trace *cache, const bp_model *params,
                         const bp_batch *b, bp_error *err)
{
    size_t L = params->L;
    if (bp_acts_check(params, model, err))
        return -1;
    if (b->n_in != params->n[0] || b->n_out != params->n[L] || cache->m != b->m ||
        cache->L != L)
        return bp_fail(err, "oracle: a batch of %zu x %zu in, %zu x %zu out for a %zu-input, "
                            "%zu-output model", b->m, b->n_in, b->m, b->n_out, params->n[0],
                       params->n[L]);
    for (size_t p = 0; p < b->m; p++) {
        memcpy(cache->a[0] + p * params->n[0], b->x + p * b->n_in, params->n[0] * sizeof(double));
        for (size_t l = 1; l <= L; l++) {
            size_t J = params->n[l], K = params->n[l - 1];
            double *z = cache->z[l] + p * J, *a = cache->a[l] + p * J;
            const double *below = cache->a[l - 1] + p * K;
            for (size_t j = 0; j < J; j++) {
                double s = params->b[l][j];
                for (size_t k = 0; k < K; k++)
                    s += params->W[l][j * K + k] * below[k];
                z[j] = s;
            }
            if (l == L && model == BP_CROSS_ENTROPY) {
                double zmax = z[0], sum = 0.0;
                for (size_t j = 1; j < J; j++)
                    zmax = fmax(zmax, z[j]);
                for (size_t j = 0; j < J; j++)
                    sum += a[j] = exp(z[j] - zmax);
                for (size_t j = 0; j < J; j++)
                    a[j] /= sum;
            } else {
                for (size_t j = 0; j < J; j++)
                    a[j] = real_act(params, model, l, z[j]);
            }
        }
    }
    return 0;
}

int or_gradient(or_method method, double *g, double *est, size_t *evals, bp_cost model,
                const bp_model *params, const bp_batch *b, bp_reduction red, int reuse,
                bp_error *err)
{
    bp_trace *cache = bp_trace_alloc(params, b->m, err);
    if (!cache || forward_cache(model, cache, params, b, err)) {
        bp_trace_free(cache);
        return -1;
    }
    if (method == OR_DUAL && reuse == OR_VECTOR) {
        size_t n = 0;
        int rc = or_vdual_gradient(g, &n, model, params, b, cache, red, err);
        for (size_t i = 0; rc == 0 && i < params->nparams; i++) {
            if (est)
                est[i] = 0.0; /* as one at a time: only the rounding the criterion allows */
            if (!isfinite(g[i])) {
                char name[64];
                rc = bp_fail(err, "dual oracle: the derivative in %s is not finite (a cost that "
                                  "is not finite there)", bp_model_param_name(params, i, name, sizeof name));
            }
        }
        if (evals)
            *evals = n;
        bp_trace_free(cache);
        return rc;
    }
    if (reuse == OR_VECTOR)
        reuse = OR_INCREMENTAL;
    real_ctx c = {model, params, b, cache, red, NULL, reuse, 0, 0};
    for (size_t i = 0; i < params->nparams; i++) {
        or_target t = or_target_of(params, i);
        double e;
        c.tgt = &t;
        g[i] = derivative(method, &e, &c, params->theta[i]);
        if (est)
            est[i] = e;
        if (c.nonfinite || !isfinite(g[i]) || !isfinite(e)) {
            char name[64];
            bp_trace_free(cache);
            return bp_fail(err, "%s oracle: the derivative in %s is not finite (out of memory, or "
                                "a cost that is not finite there)", or_method_name(method),
                           bp_model_param_name(params, i, name, sizeof name));
        }
    }
    if (evals)
        *evals = c.evals;
    bp_trace_free(cache);
    return 0;
}

static int kinked(bp_act f) { return f == BP_ACT_RELU || f == BP_ACT_LEAKY_RELU; }

static double lipschitz(bp_act f, double slope)
{
    return f == BP_ACT_SIGMOID ? 0.25 : f == BP_ACT_LEAKY_RELU ? fmax(1.0, fabs(slope)) : 1.0;
}

size_t or_kinks(unsigned char *kink, double reach, bp_cost model, const bp_model *params,
                const bp_batch *b, bp_error *err)
{
    size_t L = params->L, any = 0, count = 0, wmax = 0;
    memset(kink, 0, params->nparams);
    for (size_t l = 1; l <= L; l++) {
        any |= kinked(bp_layer_act(params, model, l));
        wmax = params->n[l] > wmax ? params->n[l] : wmax;
    }
    if (!any)
        return 0;
    bp_trace *cache = bp_trace_alloc(params, b->m, err);
    double *D = malloc(wmax * sizeof *D), *Dn = malloc(wmax * sizeof *Dn);
    if (!cache || !D || !Dn || forward_cache(model, cache, params, b, err)) {
        bp_trace_free(cache), free(D), free(Dn);
        return (size_t)-1;
    }
    for (size_t i = 0; i < params->nparams; i++) {
        or_target t = or_target_of(params, i);
        double h = reach * fmax(1.0, fabs(params->theta[i]));
        for (size_t p = 0; p < b->m && !kink[i]; p++) {
            /* layer l: only z^l_j moves */
            size_t J = params->n[t.l];
            double dz = h * (t.kind == OR_WEIGHT ? fabs(cache->a[t.l - 1][p * params->n[t.l - 1] + t.k]) : 1.0);
            bp_act f = bp_layer_act(params, model, t.l);
            if (kinked(f) && dz > 0.0 && fabs(cache->z[t.l][p * J + t.j]) <= dz) {
                kink[i] = 1;
                break;
            }
            for (size_t j = 0; j < J; j++)
                D[j] = j == t.j ? dz : 0.0;
            /* the layers above: |dz^{l+1}| <= |W^{l+1}| Lip(f_l) |dz^l| */
            for (size_t l = t.l + 1; l <= L && !kink[i]; l++) {
                size_t I = params->n[l], K = params->n[l - 1];
                double lip = lipschitz(bp_layer_act(params, model, l - 1), params->slope);
                bp_act fl = bp_layer_act(params, model, l);
                for (size_t r = 0; r < I; r++) {
                    double s = 0.0;
                    for (size_t k = 0; k < K; k++)
                        s += fabs(params->W[l][r * K + k]) * D[k];
                    Dn[r] = lip * s * (1.0 + 1e-12); /* (the bound's own rounding) */
                    if (kinked(fl) && Dn[r] > 0.0 && fabs(cache->z[l][p * I + r]) <= Dn[r])
                        kink[i] = 1;
                }
                memcpy(D, Dn, I * sizeof *D);
            }
        }
        count += kink[i];
    }
    bp_trace_free(cache), free(D), free(Dn);
    return count;
}

int or_delta(bp_trace *out, bp_cost model, const bp_model *params, const bp_batch *b,
             bp_error *err)
{
    bp_trace *cache = bp_trace_alloc(params, b->m, err);
    if (!cache || forward_cache(model, cache, params, b, err)) {
        bp_trace_free(cache);
        return -1;
    }
    for (size_t l = 1; l <= params->L; l++)
        for (size_t p = 0; p < b->m; p++)
            for (size_t j = 0; j < params->n[l]; j++) {
                or_target t = {OR_Z, l, j, 0, p};
                double complex v = or_cost_complex(model, params, b, cache, BP_SUM, &t,
                                                   CMPLX(0.0, OR_COMPLEX_H), OR_INCREMENTAL);
                out->delta[l][p * params->n[l] + j] = cimag(v) / OR_COMPLEX_H;
                if (!isfinite(creal(v)) || !isfinite(cimag(v))) { /* NaN: out of memory */
                    bp_trace_free(cache);
                    return bp_fail(err, "complex-step oracle: delta^%zu of sample %zu, neuron %zu is "
                                        "not finite (out of memory, or a cost that is not finite "
                                        "there)", l, p, j);
                }
            }
    bp_trace_free(cache);
    return 0;
}
