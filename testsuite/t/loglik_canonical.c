/* testsuite/t/loglik_canonical.c: document 001 seen from the canonical side: the mapping
 * (sign, transpose, bias) both ways, the canonical `loglik` model computed through 001 against
 * central differences, and the numerics of 001:12 against a literal MPFR evaluation at 2048
 * bits: softplus, c and dc/dz at z = +-0.7 .. +-800, and whole networks whose output (and
 * hidden) layers saturate at |z| ~ 40 and ~ 800 with targets 0, 1 and soft. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mpfr.h>

#include "activation.h"
#include "gradcheck.h"
#include "loglik.h"
#include "mpref.h"
#include "quadratic.h"
#include "tap.h"
#include "testutil.h"

#define U DBL_EPSILON
/* the scalar checks use the precision of testsuite/oracles/mpref.c (see there) */
#define PREC MP_PREC

/* c = y log h + (1 - y) log(1 - h), h = 1/(1 + e^{-z}), literally; and y - h */
static void mp_c_and_dc(double y, double z, double *c, double *dc)
{
    mpfr_t Z, h, t, s, Y;
    mpfr_inits2(PREC, Z, h, t, s, Y, (mpfr_ptr)0);
    mpfr_set_d(Z, z, MPFR_RNDN);
    mpfr_set_d(Y, y, MPFR_RNDN);
    mp_sigmoid(h, Z);
    mpfr_log(t, h, MPFR_RNDN);
    mpfr_mul(s, Y, t, MPFR_RNDN);               /* y log h */
    mpfr_ui_sub(t, 1, h, MPFR_RNDN);
    mpfr_log(t, t, MPFR_RNDN);                  /* log(1 - h) */
    mpfr_ui_sub(Y, 1, Y, MPFR_RNDN);
    mpfr_mul(t, Y, t, MPFR_RNDN);
    mpfr_add(s, s, t, MPFR_RNDN);
    *c = mpfr_get_d(s, MPFR_RNDN);
    mpfr_set_d(Y, y, MPFR_RNDN);
    mpfr_sub(t, Y, h, MPFR_RNDN);
    *dc = mpfr_get_d(t, MPFR_RNDN);
    mpfr_clears(Z, h, t, s, Y, (mpfr_ptr)0);
}

static double mp_softplus(double x)
{
    mpfr_t t;
    mpfr_init2(t, PREC);
    mpfr_set_d(t, x, MPFR_RNDN);
    mpfr_exp(t, t, MPFR_RNDN);
    mpfr_log1p(t, t, MPFR_RNDN);
    double r = mpfr_get_d(t, MPFR_RNDN);
    mpfr_clear(t);
    return r;
}

static void harden(bp_batch *b)
{
    for (size_t i = 0; i < b->m * b->n_out; i++)
        b->y[i] = b->y[i] > 0.5 ? 1.0 : 0.0;
}

/* Output biases +-Z (alternating); hidden weights scaled by `hidden`. */
static void saturate(bp_model *m, double Z, double hidden)
{
    for (size_t l = 1; l < m->L; l++)
        for (size_t i = 0; i < m->n[l] * m->n[l - 1]; i++)
            m->W[l][i] *= hidden;
    for (size_t j = 0; j < m->n[m->L]; j++)
        m->b[m->L][j] = j % 2 ? -Z : Z;
}

/* ll_canonical (sum) against MPFR: cost and every gradient entry. */
static void check_mpfr(const char *sizes, double Z, double hidden, int hard, unsigned long seed)
{
    bp_error err;
    bp_model *m = tu_model(sizes, seed), *g = bp_model_alloc_like(m, &err);
    bp_model *mg = bp_model_alloc_like(m, &err), *ga = bp_model_alloc_like(m, &err);
    size_t P = 7;
    bp_batch *b = tu_batch(m, P, seed);
    if (hard)
        harden(b);
    if (Z > 0)
        saturate(m, Z, hidden);
    char where[160];
    snprintf(where, sizeof where, "%s P=7 %s targets, z^L ~ +-%g, hidden W x%g", sizes,
             hard ? "0/1" : "soft", Z, hidden);
    double cost;
    if (ll_canonical(g, &cost, NULL, m, b, BP_SUM, &err))
        tap_bail_out("loglik %s: %s", where, err.msg);
    double mcost = mp_model(mg, ga, m, b, BP_LOGLIK, BP_SUM);

    /* Every term of C~ is -ln(probability) >= 0, so the sum does not cancel: each term is
     * within ~7u (softplus 3u, the products and the sum of two same-signed logs), and summing
     * P n_L of them adds P n_L u. */
    double nterms = (double)(P * m->n[m->L]);
    tap_is_double(cost, mcost, (8.0 + nterms) * U, 0,
                  "001:2 001:12 loglik cost -C equals a 2048-bit evaluation, %s", where);
    /* Each gradient term is a chain of at most 16 roundings (dc/dz 4u, sigma' 7u, products)
     * plus one per layer width and per sample summed; twice for safety of the bound's
     * constants, times the sum of |terms| (MPFR magnitude pass). */
    double r = 16.0 + (double)P;
    for (size_t l = 0; l <= m->L; l++)
        r += (double)m->n[l];
    double *tol = malloc(m->nparams * sizeof *tol);
    size_t finite = 0;
    for (size_t i = 0; i < m->nparams; i++) {
        tol[i] = 2.0 * r * U * ga->theta[i];
        finite += isfinite(g->theta[i]) ? 1 : 0;
    }
    tap_is_int((long)finite, (long)m->nparams, "001:12 every gradient entry is finite, %s", where);
    tap_is_double_array(g->theta, mg->theta, tol, m->nparams, 1, 0, 0,
                        "001:9 001:12 every loglik gradient entry equals a 2048-bit "
                        "evaluation, %s",
                        where);
    free(tol);
    bp_batch_free(b);
    bp_model_free(m), bp_model_free(g), bp_model_free(mg), bp_model_free(ga);
}

static void check_canonical(const char *sizes, size_t P, bp_reduction red, int hard,
                            unsigned long seed)
{
    bp_error err;
    bp_model *m = tu_model(sizes, seed), *g = bp_model_alloc_like(m, &err);
    bp_batch *b = tu_batch(m, P, seed);
    if (hard)
        harden(b);
    bp_trace *t = bp_trace_alloc(m, P, &err);
    size_t n = m->nparams, L = m->L;
    char where[160];
    snprintf(where, sizeof where, "%s P=%zu %s %s targets", sizes, P, bp_reduction_name(red),
             hard ? "0/1" : "soft");
    double cost;
    if (!t || ll_canonical(g, &cost, t, m, b, red, &err))
        tap_bail_out("loglik %s: %s", where, err.msg);

    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    double *tol = malloc(n * sizeof *tol);
    tu_cost_ctx cc = {BP_LOGLIK, bp_model_alloc_like(m, &err), b, red}; /* ll_canonical_cost */
    gc_central(fd, fd_err, tu_cost_of_theta, &cc, m->theta, n, &err);
    gc_tolerance(tol, fd_err, g->theta, n);
    tap_is_double_array(g->theta, fd, tol, n, 1, 0, 0,
                        "loglik (canonical: -C, W^l[j][k], b apart) gradient through 001's "
                        "system and the mapping vs central differences, %s",
                        where);
    tap_is_double(cost, ll_canonical_cost(m, b, red), 0, 0,
                  "loglik cost from ll_canonical equals ll_canonical_cost, %s", where);

    /* Descent: a step of eta = 1e-3 / ||g||^2 lowers the canonical cost by 1e-3 to first
     * order (second order ~1e-6); 001's own gradient, its negative (times P for the mean),
     * RAISES 001's C along +g: the ascent direction of a likelihood. */
    double g2 = 0.0;
    for (size_t i = 0; i < n; i++)
        g2 += g->theta[i] * g->theta[i];
    bp_model *step = bp_model_alloc_like(m, &err);
    bp_model_step(step, m, g, 1e-3 / g2);
    double drop = cost - ll_canonical_cost(step, b, red);
    if (!tap_ok(drop > 0.5e-3 && drop < 1.5e-3,
                "loglik: params - eta * grad lowers the negated log-likelihood by 1e-3 "
                "(001's gradient is the ascent direction of C), %s",
                where))
        tap_diag("the cost fell by %.17g", drop);

    /* The trace: delta^L = a^L - y (the canonical output error of sigmoid + loglik, within
     * 4 roundings of max(a, y)); hidden deltas obey 000:5's recursion with the canonical W
     * (001:9 and 000:5 are one equation), within the magnitude of their terms. */
    size_t bad = 0;
    for (size_t i = 0; i < P * m->n[L]; i++)
        bad += !(fabs(t->delta[L][i] - (t->a[L][i] - b->y[i])) <=
                 4 * U * fmax(t->a[L][i], fabs(b->y[i])));
    for (size_t l = 1; l < L; l++)
        for (size_t p = 0; p < P; p++)
            for (size_t j = 0; j < m->n[l]; j++) {
                double s = 0.0, sa = 0.0;
                for (size_t i = 0; i < m->n[l + 1]; i++) {
                    double term = m->W[l + 1][i * m->n[l] + j] * t->delta[l + 1][p * m->n[l + 1] + i];
                    s += term, sa += fabs(term);
                }
                double sp = bp_sigmoid_prime(t->z[l][p * m->n[l] + j]);
                double want = s * sp;
                double r = 4.0 * (double)(m->n[l + 1] + 16) * U * sa * sp;
                bad += !(fabs(t->delta[l][p * m->n[l] + j] - want) <= r);
            }
    tap_is_int((long)bad, 0, "loglik trace: delta^L = a^L - y and delta^l = ((W^{l+1})^T "
               "delta^{l+1}) ⊙ sigma'(z^l) (000:5) for every sample, %s", where);

    free(fd), free(fd_err), free(tol);
    bp_model_free(cc.work), bp_model_free(step);
    bp_trace_free(t), bp_batch_free(b), bp_model_free(m), bp_model_free(g);
}

static void check_mapping(void)
{
    bp_error err = {""};
    bp_model *m = tu_model("3,5,2", 42), *back = tu_model("3,5,2", 43);
    ll_net *net = ll_alloc(m->L, m->n, &ll_sigmoid, &err), *net2 = ll_alloc_like(net, &err);
    ll_from_canonical(net, m, &err);
    tap_ok(LL_W(net, 1, 3, 2) == m->W[2][1 * 5 + 2] && LL_W(net, 0, 0, 4) == m->b[1][3] &&
               LL_W(net, 0, 3, 1) == m->W[1][0 * 3 + 2],
           "001 mapping: w^{l-1}_{k+1, j+1} = W^l[j][k] (from-to is to-from transposed) and "
           "w^{l-1}_{0, j+1} = b^l[j] (the bias is weight 0)");
    ll_to_canonical(back, net, &err);
    tap_ok(memcmp(back->theta, m->theta, m->nparams * sizeof(double)) == 0,
           "001 mapping: canonical -> 001 -> canonical is the identity (parameters)");
    ll_from_canonical(net2, back, &err);
    tap_ok(memcmp(net2->mem, net->mem, net->nparams * sizeof(double)) == 0,
           "001 mapping: 001 -> canonical -> 001 is the identity (parameters)");

    /* Gradients: sign, transpose, bias, and 1/P for the mean. */
    for (size_t i = 0; i < net->nparams; i++)
        net->mem[i] = 2.385 * (double)(i + 1) - 7.0;
    ll_gradient_to_canonical(back, net, 7, BP_MEAN, &err);
    tap_ok(back->W[2][1 * 5 + 2] == -LL_W(net, 1, 3, 2) / 7.0 &&
               back->b[1][3] == -LL_W(net, 0, 0, 4) / 7.0,
           "001 gradient mapping: dC~/dW^l[j][k] = -(1/P) dC/dw^{l-1}_{k+1, j+1}, bias from "
           "row 0 (mean)");
    ll_gradient_from_canonical(net2, back, 7, BP_MEAN, &err);
    /* x / 7 * 7 is within one rounding of x per operation: 2u relative */
    double tol[32];
    for (size_t i = 0; i < net->nparams; i++)
        tol[i] = 2 * U * fabs(net->mem[i]);
    tap_is_double_array(net2->mem, net->mem, tol, net->nparams, 1, 0, 0,
                        "001 gradient mapping: to canonical and back (mean) is the identity "
                        "within 2 roundings");
    ll_gradient_to_canonical(back, net, 7, BP_SUM, &err);
    ll_gradient_from_canonical(net2, back, 7, BP_SUM, &err);
    tap_ok(memcmp(net2->mem, net->mem, net->nparams * sizeof(double)) == 0 &&
               back->b[2][0] == -LL_W(net, 1, 0, 1),
           "001 gradient mapping: to canonical and back (sum) is the identity, negation only");

    bp_model *other = tu_model("3,4,2", 1);
    tap_ok(ll_from_canonical(net, other, &err) == -1 &&
               strstr(err.msg, "N_1 = 5") && strstr(err.msg, "n_1 = 4"),
           "001 mapping: different sizes are refused, naming the layer and both sizes");
    bp_model_free(other);
    ll_free(net), ll_free(net2), bp_model_free(m), bp_model_free(back);
}

int main(void)
{
    check_mapping();

    /* softplus, c and dc/dz against MPFR at moderate and saturated z, targets 0, 0.3, 1. */
    static const double zs[] = {-800, -40, -2.385, -0.7, 0.7, 2.385, 40, 800};
    static const double ys[] = {0.0, 0.3, 1.0};
    double sp[8], msp[8], c[24], mc[24], dc[24], mdc[24], ctol[24], dtol[24];
    for (size_t i = 0; i < 8; i++) {
        sp[i] = ll_softplus(zs[i]);
        msp[i] = mp_softplus(zs[i]);
        for (size_t k = 0; k < 3; k++) {
            size_t j = i * 3 + k;
            double y = ys[k], z = zs[i];
            c[j] = ll_c(y, z);
            dc[j] = ll_dc_dzL(y, z);
            mp_c_and_dc(y, z, &mc[j], &mdc[j]);
            /* c: both logs are <= 0, so y ln h + (1-y) ln(1-h) does not cancel: softplus 3u,
             * the two products and the sum 3u more, 1 - y 1u: 7u, and 8u allowed */
            ctol[j] = 8 * U * fabs(mc[j]);
            /* dc = y sigma(-z) - (1-y) sigma(z): each product within 4u (sigma 3u, times 1u,
             * 1 - y 1u), the difference 1u of the result: cancellation is bounded by the
             * terms' own sizes, which the tolerance uses */
            dtol[j] = 5 * U * (fabs(y * bp_sigmoid(-z)) + fabs((1 - y) * bp_sigmoid(z))) +
                      U * fabs(mdc[j]);
        }
    }
    /* log1p(e^x) and x + log1p(e^{-x}): exp, log1p, + each within about 1u */
    tap_is_double_array(sp, msp, NULL, 8, 1, 3 * U, 0,
                        "softplus(x) = ln(1 + e^x) equals a 2048-bit evaluation at x = -800 .. 800");
    tap_is_double_array(c, mc, ctol, 8, 3, 0, 0,
                        "001:12 c = y log h + (1 - y) log(1 - h) from z equals the literal formula "
                        "at 2048 bits, z = -800 .. 800 (rows) x y = 0, 0.3, 1 (columns)");
    tap_is_double_array(dc, mdc, dtol, 8, 3, 0, 0,
                        "001:12 dc/dz^L = y - h equals a 2048-bit evaluation, z = -800 .. 800 x "
                        "y = 0, 0.3, 1 (sigma(-40) = 4.2e-18 kept where 1 - sigma(40) is 0)");
    /* The honest chain rule beside it, where it is finite (|z| <= 2.385): dc/dh * sigma'
     * against y - h; dc/dh = y/h - (1-y)/(1-h) cancels by at most (y/h + (1-y)/(1-h)) times
     * its terms' 4u each, times sigma' (7u more). */
    size_t bad = 0;
    for (size_t i = 2; i < 6; i++)
        for (size_t k = 0; k < 3; k++) {
            double y = ys[k], z = zs[i], h = bp_sigmoid(z);
            double scale = (y / h + (1 - y) / (1 - h)) * bp_sigmoid_prime(z);
            bad += !(fabs(ll_dc_dzL_chain(y, z) - ll_dc_dzL(y, z)) <= 12 * U * scale);
        }
    tap_is_int((long)bad, 0, "001:12 the chain rule (y/h - (1-y)/(1-h)) sigma'(z) equals the "
               "simplification y - h at z = +-0.7, +-2.385");
    tap_ok(isnan(ll_dc_dzL_chain(0.0, 800.0)) || isinf(ll_dc_dzL_chain(0.0, 800.0)),
           "001:12 the chain rule is not finite at z = 800 (h = 1: 1/(1-h)), the simplification "
           "is (-1)");

    /* Whole networks against MPFR: moderate, z^L ~ +-40 and +-800; hidden saturated too. */
    static const char *const archs[] = {"2,2,1", "3,5,2", "4,6,5,3"};
    unsigned long seed = 5001;
    for (size_t a = 0; a < 3; a++)
        for (int hard = 0; hard < 2; hard++) {
            check_mpfr(archs[a], 0.0, 1.0, hard, seed++);
            check_mpfr(archs[a], 40.0, 1.0, hard, seed++);
            check_mpfr(archs[a], 800.0, 1.0, hard, seed++);
        }
    check_mpfr("4,6,5,3", 40.0, 15.0, 1, seed++);
    check_mpfr("3,5,2", 800.0, 15.0, 0, seed++);

    /* The canonical model through 001: central differences, descent, trace. */
    static const size_t Ps[] = {1, 7};
    for (size_t a = 0; a < 3; a++)
        for (size_t p = 0; p < 2; p++)
            for (int r = 0; r < 2; r++)
                check_canonical(archs[a], Ps[p], r ? BP_MEAN : BP_SUM, p == 1 && r == 1, seed++);
    mp_done();
    return tap_done();
}
