/* testsuite/tolerance.c: per-entry tolerances from a running error analysis (tolerance.h,
 * fixtures/FORMAT.md "Tolerances", which states the accepted class and every constant below).
 *
 * Legend: l = layer, j = neuron in layer l (J of them), k = neuron in layer l-1 (K), p =
 * sample. For each intermediate v of the pass the analysis carries e(v), a bound on
 * |computed v - exact v| for every implementation in the class. Exact values come from the
 * case (the MPFR trace, rounded once); the few the trace lacks (1 - sigma(z), ln a) are formed
 * here from it. The bounds are computed in double with +, x, / and correctly rounded exp, log,
 * log1p and expm1 (MPFR at 53 bits), so they are the same on every machine.
 *
 * The rules, for a computed x^ = x + dx with |dx| <= e(x):
 *   - products: |x^ y^ - x y| <= |x| e(y) + |y| e(x) + e(x) e(y) (second order kept: near
 *     saturation an error can be as large as its value);
 *   - a sum of n terms in any order, blocking, FMA or wider accumulator: at most
 *     gamma(n) = n u / (1 - n u) times the sum of the terms' magnitudes (Higham, Lemma 3.1);
 *   - every operation may also lose `tiny` (the smallest normal number) to underflow;
 *   - a function f of a perturbed argument: |f(z^) - f(z)| <= e(z) max |f'| over
 *     [z - e(z), z + e(z)]; for sigma and sigma', |f'| <= sigma'(z) e^{e(z)} there, since
 *     |d ln sigma'(t) / dt| = |1 - 2 sigma(t)| <= 1. */
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpfr.h>

const bp_profile bp_profiles[BP_NPROFILES] = {
    {"float64", 0x1p-53, DBL_MIN, DBL_MAX, 0.0},
    {"float32", 0x1p-24, FLT_MIN, FLT_MAX, 0x1p-24},
};

/* Elementary functions (exp, log, log1p, expm1) of every library we know are accurate to
 * 1 ulp; we allow 2 ulps, and an ulp is at most 2u relative: E = 4u. */
#define ELEM(u) (4.0 * (u))
/* sigma evaluated from a (computed) z: as 1/(1 + e^{-z}) or e^z/(1 + e^z), the error of the
 * exponential enters at most twice, plus three roundings (+, /, and the branch's e^z / (.)):
 * E_sigma = 2E + 3u (fixtures/FORMAT.md). */
#define ESIG(u) (2.0 * ELEM(u) + 3.0 * (u))
/* sigma' stably (sigma(z) sigma(-z), or e^{-|z|} / (1 + e^{-|z|})^2): two sigmas and a
 * product: 2 E_sigma + u. */
#define ESIGP(u) (2.0 * ESIG(u) + (u))

static double gam(double n, double u)
{
    return n * u / (1.0 - n * u);
}

/* ---- correctly rounded elementary functions, the same bits on every machine ---- */

static mpfr_t cr_t;

static double cr(int (*f)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t), double x)
{
    mpfr_set_d(cr_t, x, MPFR_RNDN);
    f(cr_t, cr_t, MPFR_RNDN);
    return mpfr_get_d(cr_t, MPFR_RNDN);
}
#define EXP(x) cr(mpfr_exp, (x))
#define LOG(x) cr(mpfr_log, (x))
#define LOG1P(x) cr(mpfr_log1p, (x))
#define EXPM1(x) cr(mpfr_expm1, (x))

/* 1 - sigma(z) = sigma(-z) = 1 / (1 + e^z), accurate to a few ulps even where sigma(z) ~ 1 */
static double one_minus_sigma(double z)
{
    return z > 0 ? EXP(-z) / (1.0 + EXP(-z)) : 1.0 / (1.0 + EXP(z));
}

/* softplus(x) = ln(1 + e^x) = -ln sigma(-x), without overflow */
static double softplus(double x)
{
    return fmax(x, 0.0) + LOG1P(EXP(-fabs(x)));
}

/* e(z) times the largest |f'| near z, for f = sigma or sigma' (banner); capped at what the
 * function can change by at all. */
static double through(double ez, double sp, double cap)
{
    if (ez >= 1.0)
        return cap;
    return fmin(ez * sp * EXP(ez), cap);
}

double bp_round_up2(double x)
{
    if (!(x > 0.0) || !isfinite(x))
        return x;
    char buf[40];
    snprintf(buf, sizeof buf, "%.1e", x);
    double v = strtod(buf, NULL);
    while (v < x) { /* one unit up in the second digit: d.d -> d.d + 0.1 */
        int d1, d2, e;
        if (sscanf(buf, "%d.%de%d", &d1, &d2, &e) != 3)
            return nextafter(x, INFINITY);
        int mant = 10 * d1 + d2 + 1;
        if (mant == 100)
            mant = 10, e++;
        snprintf(buf, sizeof buf, "%d.%de%d", mant / 10, mant % 10, e);
        v = strtod(buf, NULL);
    }
    return v;
}

/* ---- the analysis ---- */

typedef struct {
    const bp_profile *pr;
    double u, tiny, in, E, Es, Esp;
} ctx;

/* One neuron of an elementwise layer: from the exact z and a = f(z) (the trace) and the bound
 * ez on the computed z, the exact f'(z) into *s, and the bounds on the computed a and f'(z)
 * into *ea and *es (fixtures/FORMAT.md, "Activations"). */
static void elementwise(const ctx *x, bp_act f, double slope, double z, double a, double ez,
                        double *s, double *ea, double *es)
{
    double u = x->u, tiny = x->tiny;
    switch (f) {
    case BP_ACT_TANH: {
        /* tanh' = sech^2 z = 4 e^{-2|z|} / (1 + e^{-2|z|})^2; |d ln sech^2 t / dt| =
         * 2 |tanh t| <= 2, so on [z - ez, z + ez] |tanh'| <= s e^{2 ez}, and |tanh''| =
         * 2 sech^2 |tanh| <= 2 s e^{2 ez} */
        double e2 = EXP(-2.0 * fabs(z)), sv = 4.0 * e2 / ((1.0 + e2) * (1.0 + e2));
        *s = sv;
        double pa = through(2.0 * ez, sv / 2.0, 1.0) * 2.0; /* ez s e^{2 ez}, capped at 2 */
        /* tanh evaluated by a library (E relative) or from exponentials, (e^{2z} - 1) /
         * (e^{2z} + 1) or 2 sigma(2z) - 1, whose error is E_sigma ABSOLUTE near z = 0 */
        *ea = pa + x->Es * (1.0 + pa) + tiny;
        /* tanh' stably (sech^2: E_sigma' relative), or as 1 - a^2 from the computed a, whose
         * error ea passes through d(1 - a^2)/da = -2a whole: absolute near |a| = 1 */
        double ps = fmin(2.0 * through(2.0 * ez, sv / 2.0, 1.0), 1.0);
        double stable = x->Esp * (sv + ps);
        double aa = fabs(a) + *ea;
        double textbook = 2.0 * fabs(a) * *ea + *ea * *ea + 2.0 * u * (aa * aa + 1.0);
        *es = ps + fmax(stable, textbook) + 2.0 * tiny;
        return;
    }
    case BP_ACT_RELU:
    case BP_ACT_LEAKY_RELU: {
        /* exact arithmetic away from the kink; the slope's product rounds (u) and the slope
         * itself is rounded into the precision (in). Where the computed z can lie on either
         * side of 0 (ez >= |z|, ez > 0) f' may be either branch's: the bound is the jump. */
        double lo = f == BP_ACT_RELU ? 0.0 : slope, lip = fmax(1.0, fabs(lo));
        *s = z > 0.0 ? 1.0 : lo;
        int sure = ez < fabs(z) || ez == 0.0;
        *es = sure ? 0.0 : fabs(1.0 - lo);
        if (sure && z > 0.0)
            *ea = ez; /* a = z */
        else if (sure && f == BP_ACT_RELU)
            *ea = 0.0; /* a = 0 exactly */
        else
            *ea = lip * ez + (x->in + u) * (fabs(a) + lip * ez) + tiny;
        return;
    }
    case BP_ACT_IDENTITY:
        *s = 1.0, *es = 0.0, *ea = ez;
        return;
    default: {
        double sv = a * one_minus_sigma(z); /* sigma'(z), exact to a few ulps */
        *s = sv;
        /* a = sigma(z^): the propagated error, then sigma's own (E_sigma relative) */
        double pa = through(ez, sv, 1.0);
        *ea = pa + x->Es * (a + pa) + tiny;
        /* sigma'(z^): stably, relative E_sigma'; or as s (1 - s), where the error of s
         * itself, up to E_sigma s, passes through d(s(1-s))/ds = 1 - 2s whole: near
         * s = 1 that is an ABSOLUTE error of about E_sigma, not a relative one */
        double ps = through(ez, sv, 0.25);
        double stable = x->Esp * (sv + ps);
        double ds = x->Es * (a + pa);
        double s1s = ds + ds * ds + 2.0 * u * (sv + ps + ds);
        *es = ps + fmax(stable, s1s) + 2.0 * tiny;
    }
    }
}

/* Per sample p: the forward errors e(z), e(a) and e(sigma'), then the backward e(delta),
 * into B (z, a, delta of sample p) and esp (sigma' errors, per layer, n_l each). */
static void sample_pass(const ctx *x, const bp_case *c, size_t p, bp_bounds *B, double **esp,
                        double **sp)
{
    const bp_model *m = c->params;
    const bp_trace *t = c->trace;
    size_t L = m->L, NL = m->n[L];
    double u = x->u, in = x->in, tiny = x->tiny;
    const double *y = c->batch->y + p * NL;
    /* forward: z^l_j = b_j + sum_k W_jk a_k, K + 1 terms */
    for (size_t l = 1; l <= L; l++) {
        size_t J = m->n[l], K = m->n[l - 1];
        const double *a0 = t->a[l - 1] + p * K;
        const double *ea0 = l > 1 ? B->trace->a[l - 1] + p * K : NULL;
        for (size_t j = 0; j < J; j++) {
            const double *w = m->W[l] + j * K;
            double mag = fabs(m->b[l][j]), prop = 0.0;
            for (size_t k = 0; k < K; k++) {
                double ea = ea0 ? ea0[k] : in * fabs(a0[k]) + (in > 0 && a0[k] != 0.0 ? tiny : 0.0);
                mag += fabs(w[k]) * fabs(a0[k]);
                prop += fabs(w[k]) * ea;
            }
            /* the inputs W, b rounded into the precision (in), the errors of a^{l-1}, and the
             * rounding of K products and K sums in any order */
            /* (where every term is an exact zero, z is exactly 0 in any order: no underflow) */
            double ez = in * mag + (1.0 + in) * prop + gam((double)K + 1, u) * ((1.0 + in) * mag + prop) +
                        (mag + prop > 0.0 ? 2.0 * ((double)K + 1) * tiny : 0.0);
            B->trace->z[l][p * J + j] = ez;
        }
        if (l < L || c->cost != BP_CROSS_ENTROPY) {
            bp_act f = bp_layer_act(m, c->cost, l);
            for (size_t j = 0; j < J; j++) {
                double z = t->z[l][p * J + j], a = t->a[l][p * J + j];
                elementwise(x, f, m->slope, z, a, B->trace->z[l][p * J + j], &sp[l][j],
                            &B->trace->a[l][p * J + j], &esp[l][j]);
            }
        } else {
            /* softmax: a_j = e^{z_j - M} / sum_i e^{z_i - M}, M the largest z; ln a_j moves by
             * at most e(z_j) + max_i e(z_i) when z moves. Evaluation: the argument z_i - M is
             * rounded (relative u |z_i - M| after exp), exp (E), the positive sum (gamma(J)),
             * the division (u). The same bound holds for no M at all where nothing
             * overflows. */
            const double *z = t->z[L] + p * J;
            double M = -INFINITY, emax = 0.0, mix = 0.0;
            for (size_t j = 0; j < J; j++) {
                M = fmax(M, z[j]);
                emax = fmax(emax, B->trace->z[L][p * J + j]);
            }
            for (size_t j = 0; j < J; j++)
                mix += t->a[L][p * J + j] * (x->E + u * (fabs(z[j] - M) + 2.0 * emax));
            for (size_t j = 0; j < J; j++) {
                double a = t->a[L][p * J + j], ez = B->trace->z[L][p * J + j];
                double D = ez + emax;
                double pa = D >= 1.0 ? a * (EXP(D) - 1.0) : a * EXPM1(D);
                double rel = x->E + u * (fabs(z[j] - M) + 2.0 * emax) + mix + gam((double)J, u) + 2.0 * u;
                B->trace->a[L][p * J + j] = fmin(pa + rel * (a + pa), 1.0) + ((double)J + 2) * tiny;
            }
        }
    }
    /* delta^L, by the output */
    {
        size_t J = NL;
        double sy = 0.0;
        for (size_t j = 0; j < J; j++)
            sy += fabs(y[j]);
        for (size_t j = 0; j < J; j++) {
            double a = t->a[L][p * J + j], z = t->z[L][p * J + j], ea = B->trace->a[L][p * J + j];
            double ey = in * fabs(y[j]), e;
            if (c->cost == BP_QUADRATIC) {
                /* (a - y) sigma'(z) */
                double d = a - y[j], ed = ea + ey + u * (fabs(d) + ea + ey);
                double s = sp[L][j], es = esp[L][j];
                e = fabs(d) * es + s * ed + ed * es + u * (fabs(d) * s + fabs(d) * es + s * ed);
            } else if (c->cost == BP_LOGLIK) {
                /* a - y, or (1 - y) sigma(z) - y sigma(-z): the error of sigma(z) or of
                 * sigma(-z) (each a propagated part and E_sigma of the larger of a, 1 - a),
                 * weighted by |1 - y| + |y| */
                double pa = through(B->trace->z[L][p * J + j], sp[L][j], 1.0);
                double es = pa + x->Es * (fmax(a, one_minus_sigma(z)) + pa);
                e = (fabs(1.0 - y[j]) + fabs(y[j])) * es + ey + 3.0 * u * (a + fabs(y[j]) + fabs(1.0 - y[j]));
            } else {
                /* a sum(y) - y (a - y where the targets sum to 1), or through the full
                 * Jacobian sum_i a_i (delta_ik - a_k)(-y_i / a_i): J + 3 roundings */
                e = ea * sy * (1.0 + in) + in * (fabs(y[j]) + a * sy) +
                    gam((double)J + 3, u) * (fabs(y[j]) + a * sy + ea * sy);
            }
            B->trace->delta[L][p * J + j] = e + 2.0 * tiny;
        }
    }
    /* backward: delta^l_k = (sum_j W^{l+1}_jk delta^{l+1}_j) sigma'(z^l_k), J terms */
    for (size_t l = L - 1; l >= 1; l--) {
        size_t J = m->n[l + 1], K = m->n[l];
        for (size_t k = 0; k < K; k++) {
            double mag = 0.0, prop = 0.0, s = 0.0;
            for (size_t j = 0; j < J; j++) {
                double w = m->W[l + 1][j * K + k], d = t->delta[l + 1][p * J + j];
                mag += fabs(w) * fabs(d);
                prop += fabs(w) * B->trace->delta[l + 1][p * J + j];
                s += w * d;
            }
            double gJ = gam((double)J, u);
            double as = fabs(s) + gJ * mag; /* |sum| bounded above: s here is rounded */
            double es = in * mag + (1.0 + in) * prop + gJ * ((1.0 + in) * mag + prop) + 2.0 * (double)J * tiny;
            double spk = sp[l][k], espk = esp[l][k];
            double e = as * espk + spk * es + es * espk;
            B->trace->delta[l][p * K + k] = e + u * (as * spk + e) + tiny;
        }
        if (l == 1)
            break;
    }
}

/* Does every value of v[0..n) fit the precision? Otherwise name the first that does not. */
static int fits(const double *v, size_t n, double big, const char *what, char *why, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(v[i]) <= big)) {
            snprintf(why, len, "%s holds %.3g, beyond the largest number of the precision (%.3g)",
                     what, v[i], big);
            return 0;
        }
    return 1;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* The bound as stored: plus the rounding of the expected value itself (half an ulp of a
 * double, at most u64 |e|), plus 2^-40 relative for the bound's own double arithmetic (a few
 * hundred roundings at most), rounded up to 2 digits. */
static void finish(double *bound, const double *expected, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bound[i] = bp_round_up2((bound[i] + 0x1p-53 * fabs(expected[i])) * (1.0 + 0x1p-40));
}

bp_bounds *bp_bounds_derive(const bp_case *c, const bp_profile *pr, char *why, size_t len,
                            bp_error *err)
{
    const bp_model *m = c->params;
    const bp_batch *bt = c->batch;
    size_t L = m->L, NL = m->n[L], mm = bt->m, P = m->nparams;
    /* what no implementation in this precision can hold */
    if (!fits(m->theta, P, pr->big, "params", why, len) ||
        !fits(bt->x, mm * bt->n_in, pr->big, "batch.x", why, len) ||
        !fits(bt->y, mm * NL, pr->big, "batch.y", why, len) ||
        !fits(&c->eta, 1, pr->big, "eta", why, len) ||
        !fits(&c->cost_value, 1, pr->big, "expected.cost", why, len) ||
        !fits(c->grad->theta, P, pr->big, "expected.grad", why, len) ||
        !fits(c->step->theta, P, pr->big, "expected.step", why, len))
        return NULL;
    for (size_t l = 1; l <= L; l++) {
        char what[64];
        size_t n = mm * m->n[l];
        snprintf(what, sizeof what, "expected.z[%zu]", l - 1);
        if (!fits(c->trace->z[l], n, pr->big, what, why, len))
            return NULL;
        snprintf(what, sizeof what, "expected.delta[%zu]", l - 1);
        if (!fits(c->trace->delta[l], n, pr->big, what, why, len))
            return NULL;
    }
    bp_bounds *B = bp_bounds_alloc(m, mm, err);
    bp_model *T = B ? bp_model_alloc_like(m, err) : NULL; /* sum over p of the terms' magnitudes */
    double *esp[BP_MAX_LAYERS + 1] = {NULL}, *sp[BP_MAX_LAYERS + 1] = {NULL};
    int ok = B && T;
    for (size_t l = 1; ok && l <= L; l++)
        ok = (esp[l] = calloc(m->n[l], sizeof(double))) && (sp[l] = calloc(m->n[l], sizeof(double)));
    if (!ok) {
        bp_fail(err, "%s: out of memory for the bounds", c->id);
        bp_bounds_free(B), bp_model_free(T);
        for (size_t l = 1; l <= L; l++)
            free(esp[l]), free(sp[l]);
        return NULL;
    }
    mpfr_init2(cr_t, 53);
    ctx x = {pr, pr->u, pr->tiny, pr->in, ELEM(pr->u), ESIG(pr->u), ESIGP(pr->u)};
    double u = x.u, in = x.in, tiny = x.tiny;
    double Csum = 0.0, eC = 0.0; /* sum over p of |C_x| and of e(C_x) */
    for (size_t p = 0; p < mm; p++) {
        sample_pass(&x, c, p, B, esp, sp);
        const double *y = bt->y + p * NL, *a = c->trace->a[L] + p * NL, *z = c->trace->z[L] + p * NL;
        const double *ea = B->trace->a[L] + p * NL, *ez = B->trace->z[L] + p * NL;
        /* the cost of the sample */
        double Cx = 0.0, eCx = 0.0;
        if (c->cost == BP_QUADRATIC) {
            for (size_t j = 0; j < NL; j++) { /* 1/2 (y - a)^2 */
                double d = a[j] - y[j], ed = ea[j] + in * fabs(y[j]) + u * fabs(d);
                Cx += 0.5 * d * d;
                eCx += fabs(d) * ed + 0.5 * ed * ed;
            }
            eCx += gam((double)NL + 2, u) * (Cx + eCx) + (double)NL * tiny;
        } else if (c->cost == BP_LOGLIK) {
            for (size_t j = 0; j < NL; j++) {
                /* c_j = y softplus(-z) + (1 - y) softplus(z) = -y ln a - (1 - y) ln(1 - a) */
                double spm = softplus(-z[j]), spp = softplus(z[j]), Y = fabs(y[j]), Y1 = fabs(1.0 - y[j]);
                double cj = Y * spm + Y1 * spp;
                /* from z stably (log-sigmoid; or the logits form max(z,0) - z y + log1p(e^-|z|),
                 * whose terms are as large as |z|): dc/dz = a - y, d2c/dz2 = sigma' <= 1/4 */
                double stable = ez[j] * fabs(a[j] - y[j]) + ez[j] * ez[j] / 8.0 +
                                (2.0 * x.E + 6.0 * u) * (cj + fabs(z[j]) * (1.0 + Y) + 0.6931471805599453);
                /* naively from a: ln a^ and ln(1 - a^), where neither can be ln 0: the
                 * relative errors r of a and 1 - a move ln by at most 2 r (r < 1/2) */
                double oma = one_minus_sigma(z[j]), e1 = ea[j] + u * oma, naive = 0.0;
                if (ea[j] < a[j] / 2 && e1 < oma / 2 && a[j] >= tiny && oma >= tiny)
                    naive = Y * 2.0 * ea[j] / a[j] + Y1 * 2.0 * e1 / oma + (x.E + 3.0 * u) * cj;
                Cx += cj;
                eCx += fmax(stable, naive) + in * Y * fabs(z[j]) + tiny;
            }
            eCx += gam((double)NL + 1, u) * (Cx + eCx);
        } else {
            /* c = -sum_j y_j ln a_j; ln a_j = z_j - M - ln sum_i e^{z_i - M} */
            double M = -INFINITY, emax = 0.0, s = 0.0;
            for (size_t j = 0; j < NL; j++)
                M = fmax(M, z[j]), emax = fmax(emax, ez[j]);
            for (size_t j = 0; j < NL; j++)
                s += EXP(z[j] - M);
            double lse = LOG(s);
            for (size_t j = 0; j < NL; j++) {
                if (y[j] == 0.0)
                    continue; /* 0 ln a = 0, the convention every member keeps */
                double lna = z[j] - M - lse, Y = fabs(y[j]);
                double stable = ez[j] + emax + (2.0 * x.E + ((double)NL + 4) * u) *
                                                   (fabs(z[j] - M) + lse + 2.0 * emax);
                double r = a[j] > 0 ? ea[j] / a[j] : INFINITY, naive = 0.0;
                if (r < 0.5 && a[j] >= tiny)
                    naive = 2.0 * r + (x.E + u) * fabs(lna);
                Cx += Y * fabs(lna);
                eCx += Y * fmax(stable, naive) + in * Y * fabs(lna);
            }
            eCx += gam((double)NL + 1, u) * (Cx + eCx) + tiny;
        }
        Csum += Cx, eC += eCx;
        /* the gradient terms of the sample: delta_j a_k for W, delta_j for b */
        for (size_t l = 1; l <= L; l++) {
            size_t J = m->n[l], K = m->n[l - 1];
            const double *d = c->trace->delta[l] + p * J, *ed = B->trace->delta[l] + p * J;
            const double *a0 = c->trace->a[l - 1] + p * K;
            const double *ea0 = l > 1 ? B->trace->a[l - 1] + p * K : NULL;
            for (size_t j = 0; j < J; j++) {
                size_t bi = bp_model_b_index(m, l, j);
                B->grad->theta[bi] += ed[j];
                T->theta[bi] += fabs(d[j]);
                for (size_t k = 0; k < K; k++) {
                    size_t wi = bp_model_w_index(m, l, j, k);
                    double eak = ea0 ? ea0[k] : in * fabs(a0[k]) + (in > 0 && a0[k] != 0.0 ? tiny : 0.0);
                    double e = fabs(a0[k]) * ed[j] + fabs(d[j]) * eak + ed[j] * eak;
                    B->grad->theta[wi] += e + u * (fabs(d[j] * a0[k]) + e) + tiny;
                    T->theta[wi] += fabs(d[j] * a0[k]);
                }
            }
        }
    }
    /* the sums over the batch, in any order (m terms); the mean's 1/m, applied to the cost,
     * the gradient, delta^L or eta, costs at most 2 roundings per term */
    double mean = c->red == BP_MEAN ? (double)mm : 1.0, gm = gam((double)mm, u);
    double redr = c->red == BP_MEAN ? 2.0 * u : 0.0;
    B->cost = (eC + gm * (Csum + eC) + redr * (Csum + eC)) / mean + tiny;
    for (size_t i = 0; i < P; i++) {
        double e = B->grad->theta[i], mag = T->theta[i];
        B->grad->theta[i] = (e + gm * (mag + e) + redr * (mag + e)) / mean + 2.0 * (double)mm * tiny;
    }
    /* the step theta - eta g: theta and eta rounded into the precision, eta times the error of
     * g, the product and the difference rounded (and eta / m under the mean: 3 roundings) */
    for (size_t i = 0; i < P; i++) {
        double th = m->theta[i], g = fabs(c->grad->theta[i]), eg = B->grad->theta[i];
        double eta = fabs(c->eta), st = fabs(c->step->theta[i]);
        B->step->theta[i] = in * fabs(th) + eta * eg * (1.0 + in) + in * eta * g +
                            3.0 * u * eta * (g + eg) + u * (st + eta * eg) + 2.0 * tiny;
    }
    /* plus the rounding of the expected values, rounded up to the printed form */
    B->cost = bp_round_up2((B->cost + 0x1p-53 * fabs(c->cost_value)) * (1.0 + 0x1p-40));
    finish(B->grad->theta, c->grad->theta, P);
    finish(B->step->theta, c->step->theta, P);
    ok = isfinite(B->cost) && all_finite(B->grad->theta, P) && all_finite(B->step->theta, P);
    for (size_t l = 1; l <= L; l++) {
        size_t n = mm * m->n[l];
        finish(B->trace->z[l], c->trace->z[l], n);
        finish(B->trace->a[l], c->trace->a[l], n);
        finish(B->trace->delta[l], c->trace->delta[l], n);
        ok = ok && all_finite(B->trace->z[l], n) && all_finite(B->trace->a[l], n) &&
             all_finite(B->trace->delta[l], n);
        free(esp[l]), free(sp[l]);
    }
    memset(B->trace->a[0], 0, mm * m->n[0] * sizeof(double));
    mpfr_clear(cr_t);
    bp_model_free(T);
    if (!ok) {
        snprintf(why, len, "the error bound of a %s evaluation does not stay finite", pr->name);
        bp_bounds_free(B);
        return NULL;
    }
    return B;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t bp_resolving_power(const bp_case *c, bp_precision p, double *best, double *median)
{
    *best = *median = NAN;
    const bp_bounds *B = c->bounds[p];
    size_t P = c->params->nparams, n = 0;
    double *r = B ? malloc(P * sizeof *r) : NULL;
    for (size_t i = 0; r && i < P; i++)
        if (c->grad->theta[i] != 0.0)
            r[n++] = B->grad->theta[i] / fabs(c->grad->theta[i]);
    if (n) {
        qsort(r, n, sizeof *r, dbl_cmp);
        *best = r[0], *median = r[n / 2];
    }
    free(r);
    return n;
}
