/* testsuite/oracles/exact.c: mp_evaluate's values, fast (exact.h).
 * Legend: l = layer, j = neuron in layer l (J), k = neuron in layer l-1 (K), p = sample,
 * q = sample within the block. A value is three doubles (h, l, r): h + l, within r of the
 * exact value (dd.h). fixtures/FORMAT.md, "Exact values fast", derives every constant. */
#include "exact.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpfr.h>

#include "cpu.h"
#include "dd.h"
#include "mpref.h"

#define R MPFR_RNDN
#define EX_PREC 256        /* the elementary functions' precision */
#define EPS 0x1p-256       /* one rounding at EX_PREC bits: relative error at most 2^-256 */
#define U DD_U
#define U2 DD_U2
#define BLOCK 32           /* samples at a time, a multiple of LANES */
#define LANES 4            /* samples side by side in the forward pass */
#define TILE 512           /* inputs at a time: the block's a^{l-1} for them stays in cache */
/* A radius is a sum of bounds computed in double with rounding to nearest, and the bounds
 * drop factors (1 + k u), k <= 64; compounded over fewer than 2^40 operations they stay
 * below 1 + 2^-7. A value is decided with twice its radius. */
#define SLACK 2.0
#define TINY 0x1p-400      /* the range the bounds hold in: products stay above 2^-969 */
#define HUGE_ 0x1p400
#define RMAX 0x1p-20       /* a z's radius at most: e^r <= 1 + 2r and the like hold */

enum { ZH, ZL, ZR, AH, AL, AR, FH, FL, FR, DH, DL, DR, NQ };

typedef struct {
    const bp_model *P;
    const bp_batch *B;
    bp_cost cost;
    size_t L, m, wmax;
    double *q[NQ][BP_MAX_LAYERS + 1]; /* one block, [q * n_l + j]; F for l < L only */
    double *mem, *sh, *sl, *sr;       /* the block; the backward pass's sums, wmax each */
    unsigned char *redo;              /* per sample: its z, a or delta left open */
    double *gh, *gl, *gr, *own;       /* the gradient's sums, per parameter */
    mpfr_t t[8], *X, *E;              /* scratch; a softmax's exponents and exponentials */
    mpfr_t C;                         /* the cost, within Cr */
    double Cr;
    char why[160];                    /* set: the whole case goes to mp_evaluate */
    const struct ex_kernels *k;       /* the loops over every weight */
} ex_ctx;

/* |v| rounded up */
static double mag(mpfr_srcptr v) { return fabs(mpfr_get_d(v, MPFR_RNDA)); }

static int in_range(double h) { return h == 0 || (fabs(h) >= TINY && fabs(h) <= HUGE_); }

static int whole(ex_ctx *c, const char *what, size_t l, size_t j, size_t p)
{
    if (!c->why[0] && l == 0) /* (not a neuron's: the inputs themselves) */
        snprintf(c->why, sizeof c->why, "%s", what);
    else if (!c->why[0])
        snprintf(c->why, sizeof c->why, "%s of neuron %zu of layer %zu, sample %zu", what, j, l, p);
    return -1;
}

/* v into d = (h, l, r) with r = rv plus the rounding of the low part (v - h is exact at
 * EX_PREC bits, so h = RN(h + l)); r = Inf for a v out of the range, which the callers'
 * checks send to MPFR; tmp is scratch */
static void to_dd(mpfr_srcptr v, double rv, double d[3], mpfr_ptr tmp)
{
    if (!mpfr_zero_p(v) && !(mpfr_get_exp(v) > -400 && mpfr_get_exp(v) < 400)) {
        d[0] = mpfr_get_d(v, R), d[1] = 0, d[2] = INFINITY;
        return;
    }
    d[0] = mpfr_get_d(v, R);
    mpfr_sub_d(tmp, v, d[0], R);
    d[1] = mpfr_get_d(tmp, R);
    d[2] = rv + U * fabs(d[1]);
}

/* v = h + l, returning the radius its rounding adds */
static double from_dd(mpfr_ptr v, double h, double l)
{
    mpfr_set_d(v, h, R);
    return mpfr_add_d(v, v, l, R) ? EPS * mag(v) : 0.0;
}

/* a = f(z), fp = f'(z) (f' at the kinks: the left derivative, as mpref.c). The sigmoid and
 * tanh in MPFR: a's computed error (4 and 1 roundings), fp's (12 and 5), plus z's radius
 * times the slope over [z - r, z + r]: sigma'(z + t) <= sigma'(z) e^|t|, |sigma''| <= sigma',
 * tanh'(z + t) <= tanh'(z) e^{2|t|}, |tanh''| <= 2 tanh'. */
static int act(ex_ctx *c, bp_act f, const double z[3], double a[3], double fp[3])
{
    double zr = z[2];
    if (f == BP_ACT_SIGMOID || f == BP_ACT_TANH) {
        mpfr_ptr v = c->t[0], x = c->t[1], y = c->t[2], tmp = c->t[3];
        zr += from_dd(v, z[0], z[1]);
        int ex;
        if (f == BP_ACT_SIGMOID) {
            mpfr_neg(x, v, R);
            ex = mpfr_exp(x, x, R);               /* e = e^{-z} */
            ex |= mpfr_add_ui(y, x, 1, R);
            ex |= mpfr_ui_div(y, 1, y, R);        /* a = 1 / (1 + e) */
            ex |= mpfr_mul(x, x, y, R);           /* 1 - a = e a */
            ex |= mpfr_mul(x, x, y, R);           /* a (1 - a) */
        } else {
            ex = mpfr_tanh(y, v, R);
            ex |= mpfr_cosh(x, v, R);
            ex |= mpfr_sqr(x, x, R);
            ex |= mpfr_ui_div(x, 1, x, R);        /* 1 / cosh^2 = 1 - tanh^2 */
        }
        double s = mpfr_get_d(x, MPFR_RNDU), k = f == BP_ACT_SIGMOID ? 1 : 2;
        double slope = zr * s * (1 + 2 * k * zr);
        to_dd(y, (ex ? (f == BP_ACT_SIGMOID ? 4 : 1) * EPS * mag(y) : 0) + slope, a, tmp);
        to_dd(x, (ex ? (f == BP_ACT_SIGMOID ? 12 : 5) * EPS * s : 0) + k * slope, fp, tmp);
        return 0;
    }
    if (f == BP_ACT_IDENTITY) {
        memcpy(a, z, 3 * sizeof *a);
        fp[0] = 1, fp[1] = 0, fp[2] = 0;
        return 0;
    }
    /* relu, leaky relu: which side of 0 the whole interval lies on */
    double up = z[2] - z[1], dn = z[2] + z[1];
    int pos = z[0] > 0 && (z[2] == 0 || up + fabs(up) * 0x1p-52 < z[0]);
    int neg = z[0] <= 0 && (z[2] == 0 || dn + fabs(dn) * 0x1p-52 < -z[0]);
    if (!pos && !neg)
        return -1;
    if (pos) {
        memcpy(a, z, 3 * sizeof *a);
        fp[0] = 1, fp[1] = 0, fp[2] = 0;
    } else if (f == BP_ACT_RELU) {
        a[0] = 0, a[1] = 0, a[2] = 0;
        fp[0] = 0, fp[1] = 0, fp[2] = 0;
    } else { /* slope z: the product's roundings, 3 u^2 */
        double p, e, s = c->P->slope;
        dd_two_prod(s, z[0], &p, &e);
        dd_norm(p, e + s * z[1], &a[0], &a[1]);
        a[2] = fabs(s) * z[2] + 3 * U2 * fabs(p);
        fp[0] = s, fp[1] = 0, fp[2] = 0;
    }
    return 0;
}

/* d = x y for values x, y: |x| r_y + |y| r_x + r_x r_y and the product's 8 u^2 */
static void mul(const double x[3], const double y[3], double d[3])
{
    double p, e;
    dd_two_prod(x[0], y[0], &p, &e);
    dd_norm(p, e + (x[0] * y[1] + x[1] * y[0]), &d[0], &d[1]);
    d[2] = fabs(x[0]) * y[2] + fabs(y[0]) * x[2] + x[2] * y[2] + 8 * U2 * fabs(p);
}

/* the cost's term t, within rt, added to C */
static void add_cost(ex_ctx *c, mpfr_srcptr t, double rt)
{
    c->Cr += rt + (mpfr_add(c->C, c->C, t, R) ? EPS * mag(c->C) : 0.0);
}

/* The output layer of sample q (p in the batch): a^L, delta^L and the cost's terms. Quadratic:
 * delta = (a - y) f', C_x += (a - y)^2 / 2; loglik: delta = a - y, C_x += y sp(-z) + (1 - y)
 * sp(z), sp(t) = ln(1 + e^t) (= -y ln a - (1 - y) ln(1 - a)); cross-entropy: the softmax from
 * z - max z, delta_j = a_j sum_i y_i - y_j, C_x -= y_j (z_j - max z - ln sum_i e^{z_i - max z}). */
static int output_elementwise(ex_ctx *c, size_t q, size_t p)
{
    size_t L = c->L, J = c->P->n[L];
    bp_act f = bp_layer_act(c->P, c->cost, L);
    mpfr_ptr D = c->t[4], F = c->t[5], T = c->t[6], tmp = c->t[7];
    for (size_t j = 0; j < J; j++) {
        size_t i = q * J + j;
        double z[3] = {c->q[ZH][L][i], c->q[ZL][L][i], c->q[ZR][L][i]}, a[3], fp[3], d[3];
        double y = c->B->y[p * J + j];
        if (act(c, f, z, a, fp))
            return whole(c, "z within its error bound of the kink", L, j, p);
        c->q[AH][L][i] = a[0], c->q[AL][L][i] = a[1], c->q[AR][L][i] = a[2];
        double rD = a[2] + from_dd(D, a[0], a[1]);
        rD += mpfr_sub_d(D, D, y, R) ? EPS * mag(D) : 0.0;    /* a - y */
        if (c->cost == BP_QUADRATIC) {
            double rF = fp[2] + from_dd(F, fp[0], fp[1]);
            double mD = mag(D), mF = mag(F);
            int ex = mpfr_mul(T, D, F, R);
            double rT = mD * rF + mF * rD + rD * rF + (ex ? EPS * mag(T) : 0.0);
            /* a zero delta whose sign the interval leaves open: MPFR's sign decides */
            if (mpfr_zero_p(T) && ((mpfr_zero_p(F) && rD >= mD) || (mpfr_zero_p(D) && rF >= mF)))
                c->redo[p] = 1;
            to_dd(T, rT, d, tmp);
            ex = mpfr_sqr(T, D, R);
            mpfr_div_2ui(T, T, 1, R);
            add_cost(c, T, (2 * mD * rD + rD * rD) / 2 + (ex ? EPS * mag(T) : 0.0));
        } else { /* loglik */
            to_dd(D, rD, d, tmp);
            double rz = z[2] + from_dd(F, z[0], z[1]), s1, s2;
            mpfr_neg(T, F, R);
            int ex = mpfr_exp(T, T, R) | mpfr_log1p(T, T, R);        /* sp(-z) */
            s1 = mag(T);
            ex |= mpfr_mul_d(T, T, y, R);
            ex |= mpfr_exp(F, F, R) | mpfr_log1p(F, F, R);           /* sp(z) */
            s2 = mag(F);
            mpfr_set_d(D, y, R);
            mpfr_ui_sub(D, 1, D, R);                                  /* 1 - y, exact */
            ex |= mpfr_mul(F, F, D, R);
            ex |= mpfr_add(T, T, F, R);
            double ry = fabs(y) * (rz + 3 * EPS * s1) + fabs(1 - y) * 1.01 * (rz + 3 * EPS * s2);
            add_cost(c, T, ry + (ex ? 3 * EPS * (fabs(y) * s1 + fabs(1 - y) * 1.01 * s2 + mag(T)) : 0.0));
        }
        c->q[DH][L][i] = d[0], c->q[DL][L][i] = d[1], c->q[DR][L][i] = d[2];
    }
    return 0;
}

/* The softmax output of sample q (p in the batch), a cross-entropy's: output_elementwise's
 * comment. X_j = z_j - max z to within xr_j, e^{X_j} and their sum S to relative rho;
 * a_j = e^{X_j} / S to relative rho + 2 max r(z) (ln a_j moves by 2 max r(z) at most). */
static int output_softmax(ex_ctx *c, size_t q, size_t p)
{
    size_t L = c->L, J = c->P->n[L];
    const double *y = c->B->y + p * J;
    double zmax = -INFINITY, rmax = 0, xrmax = 0, rsum = 0;
    for (size_t j = 0; j < J; j++) {
        zmax = fmax(zmax, c->q[ZH][L][q * J + j]);
        rmax = fmax(rmax, c->q[ZR][L][q * J + j]);
    }
    mpfr_ptr S = c->t[4], Sy = c->t[5], T = c->t[6], tmp = c->t[7];
    mpfr_set_zero(S, 1), mpfr_set_zero(Sy, 1);
    int exy = 0;
    for (size_t j = 0; j < J; j++) {
        size_t i = q * J + j;
        double xr = from_dd(c->X[j], c->q[ZH][L][i], c->q[ZL][L][i]);
        xr += mpfr_sub_d(c->X[j], c->X[j], zmax, R) ? EPS * mag(c->X[j]) : 0.0;
        xrmax = fmax(xrmax, xr);
        mpfr_exp(c->E[j], c->X[j], R);
        mpfr_add(S, S, c->E[j], R);
        if (y[j] != 0.0)
            exy |= mpfr_add_d(Sy, Sy, y[j], R);
        rsum += fabs(y[j]);
    }
    /* X's rounding moves e^X by xr relatively (twice: e^X and S); exp, the J - 1 additions of
     * positives, the division: one rounding each */
    double rho = EPS * ((double)J + 4) + 2.01 * xrmax, lnS, rSy = exy ? EPS * rsum * 1.01 : 0.0;
    mpfr_log(T, S, R);
    lnS = mag(T);
    mpfr_ptr A = c->t[0], D = c->t[1], LN = c->t[2];
    for (size_t j = 0; j < J; j++) {
        size_t i = q * J + j;
        double a[3], d[3];
        mpfr_div(A, c->E[j], S, R);
        double mA = mag(A), rA = mA * (rho + 2 * rmax * (1 + 4 * rmax));
        to_dd(A, rA, a, tmp);
        c->q[AH][L][i] = a[0], c->q[AL][L][i] = a[1], c->q[AR][L][i] = a[2];
        int ex = mpfr_mul(D, A, Sy, R);                           /* a_j sum y */
        double rD = mA * rSy + mag(Sy) * rA + rA * rSy + (ex ? EPS * mag(D) : 0.0);
        rD += mpfr_sub_d(D, D, y[j], R) ? EPS * mag(D) : 0.0;     /* - y_j */
        to_dd(D, rD, d, tmp);
        c->q[DH][L][i] = d[0], c->q[DL][L][i] = d[1], c->q[DR][L][i] = d[2];
        if (y[j] != 0.0) { /* -y ln a, ln a = X - ln S */
            mpfr_sub(LN, c->X[j], T, R);
            double rLN = xrmax + rho + EPS * (lnS + mag(LN)) + 2 * rmax;
            mpfr_mul_d(LN, LN, -y[j], R);
            add_cost(c, LN, fabs(y[j]) * rLN + EPS * mag(LN));
        }
    }
    return 0;
}

/* the kernels, and the table that picks them once (exact_kernels.h) */
typedef struct ex_kernels {
    void (*forward_layer)(ex_ctx *c, size_t l, size_t nq);
    void (*backward_sums)(const double *W, size_t J, size_t K, const double *DHq,
                          const double *DLq, const double *DRq, double *sh, double *sl, double *sr);
    void (*grad_block)(ex_ctx *c, size_t nq);
} ex_kernels;

#define EXK_SUFFIX _plain
#define EXK_TARGET
#define EXK_FMA 0
#include "exact_kernels.h"
#undef EXK_SUFFIX
#undef EXK_TARGET
#undef EXK_FMA
#if BP_CPU_X86
#define EX_HAVE_FMA_KERNELS 1
#define EXK_SUFFIX _fma
#define EXK_TARGET __attribute__((target("avx2,fma")))
#define EXK_FMA 1
#include "exact_kernels.h"
#endif

static const ex_kernels *kernels(void)
{
    static const ex_kernels plain = {forward_layer_plain, backward_sums_plain, grad_block_plain};
#ifdef EX_HAVE_FMA_KERNELS
    static const ex_kernels fused = {forward_layer_fma, backward_sums_fma, grad_block_fma};
    if (!getenv("BPCHECK_EXACT_NO_FMA") && bp_cpu_fma() && bp_cpu_avx2())
        return &fused;
#endif
    return &plain;
}

/* a^l and f'(z^l) of a hidden layer from z^l, the range checked */
static int hidden_layer(ex_ctx *c, size_t l, size_t nq, size_t p0)
{
    size_t J = c->P->n[l];
    bp_act f = bp_layer_act(c->P, c->cost, l);
    for (size_t q = 0; q < nq; q++)
        for (size_t j = 0; j < J; j++) {
            size_t i = q * J + j;
            double z[3] = {c->q[ZH][l][i], c->q[ZL][l][i], c->q[ZR][l][i]}, a[3], fp[3];
            if (!in_range(z[0]) || !(z[2] <= RMAX))
                return whole(c, "z out of the fast path's range", l, j, p0 + q);
            if (act(c, f, z, a, fp))
                return whole(c, "z within its error bound of the kink", l, j, p0 + q);
            if (!in_range(a[0]) || !in_range(fp[0]) || !isfinite(a[2]) || !isfinite(fp[2]))
                return whole(c, "a or f'(z) out of the fast path's range", l, j, p0 + q);
            c->q[AH][l][i] = a[0], c->q[AL][l][i] = a[1], c->q[AR][l][i] = a[2];
            c->q[FH][l][i] = fp[0], c->q[FL][l][i] = fp[1], c->q[FR][l][i] = fp[2];
        }
    return 0;
}

/* delta^{l-1} = (W^l)^T delta^l ⊙ f'(z^{l-1}) for the block: the sums as forward_layer's,
 * a sample at a time, skipping exact zeros (adding one changes no bit: every sum starts at
 * +0, as mpref.c's). A product with an exactly zero f' is an exact zero whose sign is the
 * sum's: left to MPFR when the interval does not fix it. */
static int backward_layer(ex_ctx *c, size_t l, size_t nq, size_t p0)
{
    size_t J = c->P->n[l], K = c->P->n[l - 1];
    const double *W = c->P->W[l];
    for (size_t q = 0; q < nq; q++) {
        double *sh = c->sh, *sl = c->sl, *sr = c->sr;
        c->k->backward_sums(W, J, K, c->q[DH][l] + q * J, c->q[DL][l] + q * J, c->q[DR][l] + q * J,
                            sh, sl, sr);
        for (size_t k = 0; k < K; k++) {
            size_t i = q * K + k;
            double s[3] = {sh[k], sl[k], sr[k]}, d[3];
            double fp[3] = {c->q[FH][l - 1][i], c->q[FL][l - 1][i], c->q[FR][l - 1][i]};
            mul(s, fp, d);
            if (d[0] == 0 && d[2] == 0 && fp[0] == 0 && s[2] >= fabs(s[0]) && s[2] > 0)
                c->redo[p0 + q] = 1;
            if (!in_range(d[0]) || !isfinite(d[2]))
                return whole(c, "delta out of the fast path's range", l - 1, k, p0 + q);
            c->q[DH][l - 1][i] = d[0], c->q[DL][l - 1][i] = d[1], c->q[DR][l - 1][i] = d[2];
        }
    }
    return 0;
}

/* The block's z, a and delta into the trace; a sample with one left open is redone */
static void store_trace(ex_ctx *c, bp_trace *trace, size_t nq, size_t p0)
{
    for (size_t q = 0; q < nq; q++) {
        size_t p = p0 + q;
        for (size_t k = 0; k < c->P->n[0]; k++)
            trace->a[0][p * c->P->n[0] + k] = c->B->x[p * c->P->n[0] + k];
        for (size_t l = 1; l <= c->L && !c->redo[p]; l++)
            for (size_t j = 0; j < c->P->n[l] && !c->redo[p]; j++) {
                size_t i = q * c->P->n[l] + j, o = p * c->P->n[l] + j;
                if (!dd_decide(c->q[ZH][l][i], c->q[ZL][l][i], SLACK * c->q[ZR][l][i], &trace->z[l][o]) ||
                    !dd_decide(c->q[AH][l][i], c->q[AL][l][i], SLACK * c->q[AR][l][i], &trace->a[l][o]) ||
                    !dd_decide(c->q[DH][l][i], c->q[DL][l][i], SLACK * c->q[DR][l][i],
                               &trace->delta[l][o]))
                    c->redo[p] = 1;
            }
    }
}

/* One block: forward, output, backward, trace, gradient. -1: the whole case to MPFR. */
static int block(ex_ctx *c, size_t p0, size_t nq, bp_trace *trace, int want_grad)
{
    size_t n0 = c->P->n[0];
    memset(c->q[AH][0], 0, BLOCK * n0 * sizeof(double));
    memcpy(c->q[AH][0], c->B->x + p0 * n0, nq * n0 * sizeof(double));
    for (size_t l = 1; l <= c->L; l++) {
        c->k->forward_layer(c, l, nq);
        if (l < c->L && hidden_layer(c, l, nq, p0))
            return -1;
    }
    for (size_t q = 0; q < nq; q++) {
        for (size_t j = 0; j < c->P->n[c->L]; j++) {
            size_t i = q * c->P->n[c->L] + j;
            if (!in_range(c->q[ZH][c->L][i]) || !(c->q[ZR][c->L][i] <= RMAX))
                return whole(c, "z out of the fast path's range", c->L, j, p0 + q);
        }
        if ((c->cost == BP_CROSS_ENTROPY ? output_softmax : output_elementwise)(c, q, p0 + q))
            return -1;
        for (size_t j = 0; j < c->P->n[c->L]; j++) {
            size_t i = q * c->P->n[c->L] + j;
            if (!in_range(c->q[AH][c->L][i]) || !in_range(c->q[DH][c->L][i]) ||
                !isfinite(c->q[AR][c->L][i]) || !isfinite(c->q[DR][c->L][i]))
                return whole(c, "a or delta out of the fast path's range", c->L, j, p0 + q);
        }
    }
    for (size_t l = c->L; l >= 2; l--)
        if (backward_layer(c, l, nq, p0))
            return -1;
    if (trace)
        store_trace(c, trace, nq, p0);
    if (want_grad)
        c->k->grad_block(c, nq);
    return 0;
}

/* One gradient entry's sum (h, l, r) divided by mdiv and rounded into *g, theta - eta g into
 * *s (either may be NULL); 0 when both are decided. The quotient: q1 = h / m, the remainder
 * h - q1 m + l to 2 roundings, q2 = remainder / m: 5 u^2 |q1| in all. The step: eta g to
 * 3 u^2 |eta g| (forward_layer's product), theta - eta g to u^2 (|theta| + 3 |eta g|). */
static int finish(double h, double l, double r, double theta, size_t mdiv, double eta, double *g,
                  double *s)
{
    if (mdiv != 1) {
        double m = (double)mdiv, q1 = h / m, p, e;
        dd_two_prod(q1, m, &p, &e);
        double q2 = (((h - p) - e) + l) / m;
        dd_norm(q1, q2, &h, &l);
        r = r / m * (1 + 2 * U) + 6 * U2 * fabs(q1);
    }
    int ok = 1;
    if (g)
        ok &= dd_decide(h, l, SLACK * r, g);
    if (s) {
        double p, e, th, tl, sh, se, out = 0;
        dd_two_prod(eta, h, &p, &e);
        dd_norm(p, e + eta * l, &th, &tl);
        double rt = fabs(eta) * r + 3 * U2 * fabs(p);
        dd_two_sum(theta, -th, &sh, &se);
        dd_norm(sh, se - tl, &sh, &se);
        ok &= dd_decide(sh, se, SLACK * (rt + U2 * (2 * fabs(theta) + 4 * fabs(th))), &out);
        *s = out;
    }
    return ok ? 0 : -1;
}

typedef struct {
    size_t i, l, j, k;
} ex_open;

/* MPFR at 2048 bits for what the bounds left open: the samples to redo (all of them when a
 * gradient entry, a step or the cost is open), their trace, the open entries' sums. The same
 * operations as mp_evaluate's, so the same bits. -1 when memory runs out. */
static int fallback(ex_ctx *c, const ex_open *open, size_t nopen, int cost_open, bp_reduction red,
                    double eta, bp_model *grad, bp_model *step, bp_trace *trace, double *cost,
                    ex_stats *st)
{
    int all = nopen > 0 || cost_open;
    mp_work *w = mp_work_alloc(c->P, 0);
    mpfr_t *g = nopen ? malloc(nopen * sizeof *g) : NULL, C, t;
    if (!w || (nopen && !g)) {
        mp_work_free(w), free(g);
        return -1;
    }
    mpfr_inits2(MP_PREC, C, t, (mpfr_ptr)0);
    mpfr_set_zero(C, 1);
    for (size_t u = 0; u < nopen; u++)
        mpfr_init2(g[u], MP_PREC), mpfr_set_zero(g[u], 1);
    size_t per_sample = 0;
    for (size_t l = 1; l <= c->L; l++)
        per_sample += 3 * c->P->n[l];
    for (size_t p = 0; p < c->m; p++) {
        if (!all && !c->redo[p])
            continue;
        mp_sample(w, c->P, c->B, p, c->cost, cost_open ? C : NULL);
        st->mpfr_samples++;
        if (c->redo[p] && trace) {
            mp_work_store(w, c->P, trace, p);
            st->mpfr_values += per_sample;
        }
        for (size_t u = 0; u < nopen; u++)
            mp_accumulate(w, open[u].l, open[u].j, open[u].k, g[u], t);
    }
    size_t mdiv = red == BP_MEAN ? c->m : 1;
    for (size_t u = 0; u < nopen; u++) {
        size_t i = open[u].i;
        mp_finish(g[u], t, c->P->theta[i], mdiv, eta, grad ? &grad->theta[i] : NULL,
                  step ? &step->theta[i] : NULL);
        mpfr_clear(g[u]);
    }
    st->mpfr_values += nopen * ((grad != NULL) + (step != NULL));
    if (cost_open) {
        if (mdiv != 1)
            mpfr_div_ui(C, C, (unsigned long)mdiv, R);
        *cost = mpfr_get_d(C, R);
        st->mpfr_values++;
    }
    mpfr_clears(C, t, (mpfr_ptr)0);
    mp_work_free(w), free(g);
    return 0;
}

static void ctx_free(ex_ctx *c)
{
    free(c->mem), free(c->sh), free(c->redo), free(c->own);
    for (size_t i = 0; i < 8; i++)
        mpfr_clear(c->t[i]);
    for (size_t j = 0; c->X && j < c->P->n[c->L]; j++)
        mpfr_clears(c->X[j], c->E[j], (mpfr_ptr)0);
    free(c->X), free(c->E);
    mpfr_clear(c->C);
}

/* The block's arrays, the sums (when the gradient or step is wanted), the scratch; -1 when
 * memory runs out */
static int ctx_alloc(ex_ctx *c, bp_model *grad, bp_model *step)
{
    int want_grad = grad || step;
    size_t per = 0, L = c->L, NL = c->P->n[L];
    for (size_t l = 0; l <= L; l++)
        per += c->P->n[l], c->wmax = c->P->n[l] > c->wmax ? c->P->n[l] : c->wmax;
    for (size_t i = 0; i < 8; i++)
        mpfr_init2(c->t[i], EX_PREC);
    mpfr_init2(c->C, EX_PREC);
    mpfr_set_zero(c->C, 1);
    c->mem = calloc(NQ * BLOCK * per, sizeof(double));
    c->sh = malloc(3 * c->wmax * sizeof(double));
    c->redo = calloc(c->m, 1);
    c->X = malloc(NL * sizeof *c->X), c->E = malloc(NL * sizeof *c->E);
    size_t P = want_grad ? c->P->nparams : 0, nown = (grad ? 0 : 1) + (step ? 0 : 1) + 1;
    c->own = calloc(nown * P + 1, sizeof(double));
    if (!c->mem || !c->sh || !c->redo || !c->X || !c->E || !c->own) {
        free(c->X), free(c->E);
        c->X = c->E = NULL;
        return -1;
    }
    for (size_t j = 0; j < NL; j++)
        mpfr_inits2(EX_PREC, c->X[j], c->E[j], (mpfr_ptr)0);
    c->sl = c->sh + c->wmax, c->sr = c->sl + c->wmax;
    double *o = c->own;
    c->gr = o, o += P;
    c->gh = grad ? grad->theta : (o += P) - P;
    c->gl = step ? step->theta : (o += P) - P;
    memset(c->gh, 0, P * sizeof(double)), memset(c->gl, 0, P * sizeof(double));
    double *next = c->mem;
    for (size_t l = 0; l <= L; l++)
        for (size_t v = 0; v < NQ; v++)
            c->q[v][l] = next, next += BLOCK * c->P->n[l];
    return 0;
}

/* every parameter, input and target in the range the bounds hold in */
static int inputs_in_range(const bp_model *P, const bp_batch *B)
{
    for (size_t i = 0; i < P->nparams; i++)
        if (!in_range(P->theta[i]))
            return 0;
    for (size_t i = 0; i < B->m * B->n_in; i++)
        if (!in_range(B->x[i]))
            return 0;
    for (size_t i = 0; i < B->m * B->n_out; i++)
        if (!in_range(B->y[i]))
            return 0;
    return 1;
}

/* The gradient and step decided, the open entries listed; -1 when memory runs out */
static int decide_grad(ex_ctx *c, bp_reduction red, double eta, bp_model *grad, bp_model *step,
                       ex_open **open, size_t *nopen)
{
    size_t cap = 0, mdiv = red == BP_MEAN ? c->m : 1;
    *open = NULL, *nopen = 0;
    for (size_t l = 1; l <= c->L; l++)
        for (size_t j = 0; j < c->P->n[l]; j++)
            for (size_t k = 0; k <= c->P->n[l - 1]; k++) { /* k = n_{l-1}: the bias */
                int bias = k == c->P->n[l - 1];
                size_t i = bias ? bp_model_b_index(c->P, l, j) : bp_model_w_index(c->P, l, j, k);
                if (!finish(c->gh[i], c->gl[i], c->gr[i], c->P->theta[i], mdiv, eta,
                            grad ? &grad->theta[i] : NULL, step ? &step->theta[i] : NULL))
                    continue;
                if (*nopen == cap) {
                    ex_open *more = realloc(*open, (2 * cap + 16) * sizeof *more);
                    if (!more)
                        return -1;
                    *open = more, cap = 2 * cap + 16;
                }
                (*open)[(*nopen)++] = (ex_open){i, l, j, bias ? MP_BIAS : k};
            }
    return 0;
}

double ex_evaluate(const bp_model *params, const bp_batch *batch, bp_cost cost, bp_reduction red,
                   double eta, bp_model *grad, bp_model *step, bp_trace *trace, ex_stats *st)
{
    ex_stats dummy;
    st = st ? st : &dummy;
    memset(st, 0, sizeof *st);
    ex_ctx c;
    memset(&c, 0, sizeof c);
    c.P = params, c.B = batch, c.cost = cost, c.L = params->L, c.m = batch->m, c.k = kernels();
    int want_grad = grad || step;
    size_t per_sample = 0;
    for (size_t l = 1; l <= c.L; l++)
        per_sample += 3 * params->n[l];
    st->values = 1 + (grad ? params->nparams : 0) + (step ? params->nparams : 0) +
                 (trace ? c.m * per_sample : 0);
    if (ctx_alloc(&c, grad, step)) {
        ctx_free(&c);
        return NAN;
    }
    int rc = inputs_in_range(params, batch) && isfinite(eta)
                 ? 0
                 : whole(&c, "a parameter, input or target out of the fast path's range", 0, 0, 0);
    for (size_t p0 = 0; rc == 0 && p0 < c.m; p0 += BLOCK)
        rc = block(&c, p0, c.m - p0 < BLOCK ? c.m - p0 : BLOCK, trace, want_grad);
    double result = NAN;
    if (rc) { /* the whole case by mp_evaluate */
        st->whole = 1;
        snprintf(st->why, sizeof st->why, "%s", c.why);
        ctx_free(&c);
        st->mpfr_values = st->values, st->mpfr_samples = batch->m;
        return mp_evaluate(params, batch, cost, red, eta, grad, NULL, step, trace);
    }
    ex_open *open = NULL;
    size_t nopen = 0;
    if (want_grad && decide_grad(&c, red, eta, grad, step, &open, &nopen)) {
        free(open), ctx_free(&c);
        return NAN;
    }
    double h, l, r = c.Cr;
    if (red == BP_MEAN)
        r = r / (double)c.m + (mpfr_div_ui(c.C, c.C, (unsigned long)c.m, R) ? EPS * mag(c.C) : 0.0);
    double d[3];
    to_dd(c.C, r, d, c.t[0]);
    h = d[0], l = d[1], r = d[2];
    int cost_open = !dd_decide(h, l, SLACK * r, &result);
    int redo = 0;
    for (size_t p = 0; p < c.m; p++)
        redo |= c.redo[p];
    if ((nopen || cost_open || redo) &&
        fallback(&c, open, nopen, cost_open, red, eta, grad, step, trace, &result, st))
        result = NAN;
    free(open), ctx_free(&c);
    return result;
}
