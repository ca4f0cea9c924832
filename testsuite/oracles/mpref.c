/* testsuite/oracles/mpref.c: the canonical models in MPFR (mpref.h).
 * Legend: l = layer, j = neuron in layer l (J), k = neuron in layer l-1 (K), p = sample. */
#include "mpref.h"

#include <math.h>
#include <stdlib.h>

#include <mpfr.h>

#define R MPFR_RNDN

void mp_sigmoid(mpfr_t r, const mpfr_t z)
{
    mpfr_t t;
    mpfr_init2(t, MP_PREC);
    mpfr_neg(t, z, R);
    mpfr_exp(t, t, R);
    mpfr_add_ui(t, t, 1, R);
    mpfr_ui_div(r, 1, t, R);
    mpfr_clear(t);
}

/* r = a (1 - a) */
static void mp_sigma_prime_of_a(mpfr_t r, const mpfr_t a)
{
    mpfr_t t;
    mpfr_init2(t, MP_PREC);
    mpfr_ui_sub(t, 1, a, R);
    mpfr_mul(r, a, t, R);
    mpfr_clear(t);
}

/* a = f(z) for an elementwise activation, exactly as defined (activation.h) */
static void mp_act(mpfr_t a, const mpfr_t z, bp_act f, double slope)
{
    switch (f) {
    case BP_ACT_TANH:
        mpfr_tanh(a, z, R);
        break;
    case BP_ACT_RELU:
        if (mpfr_sgn(z) > 0)
            mpfr_set(a, z, R);
        else
            mpfr_set_zero(a, 1);
        break;
    case BP_ACT_LEAKY_RELU:
        if (mpfr_sgn(z) > 0)
            mpfr_set(a, z, R);
        else
            mpfr_mul_d(a, z, slope, R);
        break;
    case BP_ACT_IDENTITY:
        mpfr_set(a, z, R);
        break;
    default:
        mp_sigmoid(a, z);
    }
}

/* r = f'(z) from z and a = f(z): a (1 - a) for the sigmoid, 1 - a^2 for tanh, the left
 * derivative at the kinks (relu'(0) = 0, leaky'(0) = slope) */
static void mp_act_prime(mpfr_t r, const mpfr_t z, const mpfr_t a, bp_act f, double slope)
{
    switch (f) {
    case BP_ACT_TANH:
        mpfr_sqr(r, a, R);
        mpfr_ui_sub(r, 1, r, R);
        break;
    case BP_ACT_RELU:
        mpfr_set_ui(r, mpfr_sgn(z) > 0 ? 1 : 0, R);
        break;
    case BP_ACT_LEAKY_RELU:
        if (mpfr_sgn(z) > 0)
            mpfr_set_ui(r, 1, R);
        else
            mpfr_set_d(r, slope, R);
        break;
    case BP_ACT_IDENTITY:
        mpfr_set_ui(r, 1, R);
        break;
    default:
        mp_sigma_prime_of_a(r, a);
    }
}

double mp_model(bp_model *grad, bp_model *gabs, const bp_model *m, const bp_batch *b,
                bp_cost cost, bp_reduction red)
{
    return mp_evaluate(m, b, cost, red, 0.0, grad, gabs, NULL, NULL);
}

double mp_evaluate(const bp_model *m, const bp_batch *b, bp_cost cost, bp_reduction red,
                   double eta, bp_model *grad, bp_model *gabs, bp_model *step, bp_trace *trace)
{
    size_t L = m->L, wmax = 0, NL = m->n[L];
    for (size_t l = 0; l <= L; l++)
        wmax = m->n[l] > wmax ? m->n[l] : wmax;
    size_t nz = (L + 1) * wmax;
    /* z, a, delta and |delta| per layer for one sample; the gradient and its magnitude */
    mpfr_t *z = malloc(nz * sizeof *z), *a = malloc(nz * sizeof *a);
    mpfr_t *d = malloc(nz * sizeof *d), *da = malloc(nz * sizeof *da);
    mpfr_t *dCda = malloc(wmax * sizeof *dCda);
    mpfr_t *g = malloc(m->nparams * sizeof *g), *ga = malloc(m->nparams * sizeof *ga);
    mpfr_t C, t, s, sa, Y, sumy;
    if (!z || !a || !d || !da || !dCda || !g || !ga) {
        free(z), free(a), free(d), free(da), free(dCda), free(g), free(ga);
        return NAN;
    }
    for (size_t i = 0; i < nz; i++)
        mpfr_inits2(MP_PREC, z[i], a[i], d[i], da[i], (mpfr_ptr)0);
    for (size_t i = 0; i < wmax; i++)
        mpfr_init2(dCda[i], MP_PREC);
    for (size_t i = 0; i < m->nparams; i++) {
        mpfr_inits2(MP_PREC, g[i], ga[i], (mpfr_ptr)0);
        mpfr_set_zero(g[i], 1), mpfr_set_zero(ga[i], 1);
    }
    mpfr_inits2(MP_PREC, C, t, s, sa, Y, sumy, (mpfr_ptr)0);
    mpfr_set_zero(C, 1);
#define AT(v, l, j) (v)[(l) * wmax + (j)]
    for (size_t p = 0; p < b->m; p++) {
        const double *y = b->y + p * NL;
        for (size_t k = 0; k < m->n[0]; k++)
            mpfr_set_d(AT(a, 0, k), b->x[p * m->n[0] + k], R);
        /* forward: z^l = W^l a^{l-1} + b^l; sigmoid, or softmax at a cross-entropy output */
        for (size_t l = 1; l <= L; l++) {
            size_t J = m->n[l], K = m->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                mpfr_set_d(s, m->b[l][j], R);
                for (size_t k = 0; k < K; k++) {
                    mpfr_mul_d(t, AT(a, l - 1, k), m->W[l][j * K + k], R);
                    mpfr_add(s, s, t, R);
                }
                mpfr_set(AT(z, l, j), s, R);
                if (l < L || cost != BP_CROSS_ENTROPY)
                    mp_act(AT(a, l, j), s, bp_layer_act(m, cost, l), m->slope);
            }
        }
        if (cost == BP_CROSS_ENTROPY) {
            mpfr_set_zero(s, 1);
            for (size_t j = 0; j < NL; j++) {
                mpfr_exp(AT(a, L, j), AT(z, L, j), R);
                mpfr_add(s, s, AT(a, L, j), R);
            }
            for (size_t j = 0; j < NL; j++)
                mpfr_div(AT(a, L, j), AT(a, L, j), s, R);
        }
        /* the cost of the sample, and dC/da^L */
        mpfr_set_zero(sumy, 1);
        for (size_t j = 0; j < NL; j++) {
            mpfr_set_d(Y, y[j], R);
            mpfr_add_d(sumy, sumy, fabs(y[j]), R);
            if (cost == BP_QUADRATIC) {
                mpfr_sub(t, AT(a, L, j), Y, R);          /* dC/da = a - y */
                mpfr_set(dCda[j], t, R);
                mpfr_sqr(t, t, R);
                mpfr_div_ui(t, t, 2, R);
                mpfr_add(C, C, t, R);                    /* 1/2 (y - a)^2 */
            } else if (cost == BP_LOGLIK) {
                mpfr_log(t, AT(a, L, j), R);
                mpfr_mul(t, t, Y, R);
                mpfr_sub(C, C, t, R);                    /* -y ln a */
                mpfr_ui_sub(s, 1, AT(a, L, j), R);
                mpfr_log(s, s, R);
                mpfr_ui_sub(t, 1, Y, R);
                mpfr_mul(s, s, t, R);
                mpfr_sub(C, C, s, R);                    /* -(1 - y) ln(1 - a) */
                /* dC/da = -(y/a - (1 - y)/(1 - a)) */
                mpfr_div(t, Y, AT(a, L, j), R);
                mpfr_ui_sub(s, 1, AT(a, L, j), R);
                mpfr_ui_sub(sa, 1, Y, R);
                mpfr_div(s, sa, s, R);
                mpfr_sub(t, s, t, R);
                mpfr_set(dCda[j], t, R);
            } else {
                if (y[j] != 0.0) {                       /* 0 ln a = 0 */
                    mpfr_log(t, AT(a, L, j), R);
                    mpfr_mul(t, t, Y, R);
                    mpfr_sub(C, C, t, R);                /* -y ln a */
                    mpfr_div(t, Y, AT(a, L, j), R);
                    mpfr_neg(dCda[j], t, R);             /* dC/da = -y/a */
                } else {
                    mpfr_set_zero(dCda[j], 1);
                }
            }
        }
        /* delta^L = (da/dz)^T dC/da; |delta^L| bound: a + |y| for the elementwise outputs
         * (delta = a - y or (a - y) sigma'), sum|y| (1 + a_k) for the softmax */
        for (size_t k = 0; k < NL; k++) {
            if (cost == BP_CROSS_ENTROPY) {
                mpfr_set_zero(s, 1);
                for (size_t i = 0; i < NL; i++) {
                    /* a_i (delta_ik - a_k) dC/da_i */
                    mpfr_ui_sub(t, i == k ? 1 : 0, AT(a, L, k), R);
                    mpfr_mul(t, t, AT(a, L, i), R);
                    mpfr_mul(t, t, dCda[i], R);
                    mpfr_add(s, s, t, R);
                }
                mpfr_set(AT(d, L, k), s, R);
                mpfr_add_ui(t, AT(a, L, k), 1, R);
                mpfr_mul(AT(da, L, k), t, sumy, R);
            } else {
                mp_act_prime(t, AT(z, L, k), AT(a, L, k), bp_layer_act(m, cost, L), m->slope);
                mpfr_mul(AT(d, L, k), dCda[k], t, R);
                mpfr_abs(t, t, R); /* (a leaky slope may be negative) */
                mpfr_abs(AT(da, L, k), AT(a, L, k), R);
                mpfr_add_d(AT(da, L, k), AT(da, L, k), fabs(y[k]), R);
                if (cost == BP_QUADRATIC)
                    mpfr_mul(AT(da, L, k), AT(da, L, k), t, R);
            }
        }
        /* backward: gradients, then delta^{l-1} = ((W^l)^T delta^l) ⊙ a(1 - a) */
        for (size_t l = L; l >= 1; l--) {
            size_t J = m->n[l], K = m->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                size_t bi = bp_model_b_index(m, l, j);
                mpfr_add(g[bi], g[bi], AT(d, l, j), R);
                mpfr_add(ga[bi], ga[bi], AT(da, l, j), R);
                for (size_t k = 0; k < K; k++) {
                    size_t wi = bp_model_w_index(m, l, j, k);
                    mpfr_mul(t, AT(d, l, j), AT(a, l - 1, k), R);
                    mpfr_add(g[wi], g[wi], t, R);
                    mpfr_mul(t, AT(da, l, j), AT(a, l - 1, k), R);
                    mpfr_abs(t, t, R);
                    mpfr_add(ga[wi], ga[wi], t, R);
                }
            }
            if (l == 1)
                break;
            for (size_t k = 0; k < K; k++) {
                mpfr_set_zero(s, 1), mpfr_set_zero(sa, 1);
                for (size_t j = 0; j < J; j++) {
                    mpfr_mul_d(t, AT(d, l, j), m->W[l][j * K + k], R);
                    mpfr_add(s, s, t, R);
                    mpfr_mul_d(t, AT(da, l, j), fabs(m->W[l][j * K + k]), R);
                    mpfr_add(sa, sa, t, R);
                }
                mp_act_prime(t, AT(z, l - 1, k), AT(a, l - 1, k), bp_layer_act(m, cost, l - 1),
                             m->slope);
                mpfr_mul(AT(d, l - 1, k), s, t, R);
                mpfr_mul(AT(da, l - 1, k), sa, t, R);
                mpfr_abs(AT(da, l - 1, k), AT(da, l - 1, k), R);
            }
        }
        if (trace)
            for (size_t l = 0; l <= L; l++)
                for (size_t j = 0; j < m->n[l]; j++) {
                    size_t i = p * m->n[l] + j;
                    trace->a[l][i] = mpfr_get_d(AT(a, l, j), R);
                    if (l) {
                        trace->z[l][i] = mpfr_get_d(AT(z, l, j), R);
                        trace->delta[l][i] = mpfr_get_d(AT(d, l, j), R);
                    }
                }
    }
#undef AT
    if (red == BP_MEAN) {
        mpfr_div_ui(C, C, (unsigned long)b->m, R);
        for (size_t i = 0; i < m->nparams; i++) {
            mpfr_div_ui(g[i], g[i], (unsigned long)b->m, R);
            mpfr_div_ui(ga[i], ga[i], (unsigned long)b->m, R);
        }
    }
    for (size_t i = 0; i < m->nparams; i++) {
        if (grad)
            grad->theta[i] = mpfr_get_d(g[i], R);
        if (gabs)
            gabs->theta[i] = mpfr_get_d(ga[i], MPFR_RNDU);
        if (step) { /* params - eta * grad, with the exact gradient: rounded once */
            mpfr_mul_d(t, g[i], eta, R);
            mpfr_d_sub(t, m->theta[i], t, R);
            step->theta[i] = mpfr_get_d(t, R);
        }
        mpfr_clears(g[i], ga[i], (mpfr_ptr)0);
    }
    double result = mpfr_get_d(C, R);
    for (size_t i = 0; i < nz; i++)
        mpfr_clears(z[i], a[i], d[i], da[i], (mpfr_ptr)0);
    for (size_t i = 0; i < wmax; i++)
        mpfr_clear(dCda[i]);
    mpfr_clears(C, t, s, sa, Y, sumy, (mpfr_ptr)0);
    free(z), free(a), free(d), free(da), free(dCda), free(g), free(ga);
    return result;
}

void mp_done(void)
{
    mpfr_free_cache();
}
