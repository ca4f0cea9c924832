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

struct mp_work {
    size_t wmax, nz;
    int magnitudes;
    /* z, a, delta and |delta| per layer for one sample, (L + 1) x wmax; dCda per output */
    mpfr_t *z, *a, *d, *da, *dCda;
    mpfr_t t, s, sa, Y, sumy;
};

mp_work *mp_work_alloc(const bp_model *m, int magnitudes)
{
    mp_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    for (size_t l = 0; l <= m->L; l++)
        w->wmax = m->n[l] > w->wmax ? m->n[l] : w->wmax;
    size_t nz = w->nz = (m->L + 1) * w->wmax;
    w->magnitudes = magnitudes;
    w->z = malloc(nz * sizeof *w->z), w->a = malloc(nz * sizeof *w->a);
    w->d = malloc(nz * sizeof *w->d), w->da = malloc(nz * sizeof *w->da);
    w->dCda = malloc(w->wmax * sizeof *w->dCda);
    if (!w->z || !w->a || !w->d || !w->da || !w->dCda) {
        free(w->z), free(w->a), free(w->d), free(w->da), free(w->dCda), free(w);
        return NULL;
    }
    for (size_t i = 0; i < nz; i++)
        mpfr_inits2(MP_PREC, w->z[i], w->a[i], w->d[i], w->da[i], (mpfr_ptr)0);
    for (size_t i = 0; i < w->wmax; i++)
        mpfr_init2(w->dCda[i], MP_PREC);
    mpfr_inits2(MP_PREC, w->t, w->s, w->sa, w->Y, w->sumy, (mpfr_ptr)0);
    /* the rows of a layer narrower than wmax are never read; zero them all the same */
    for (size_t i = 0; i < nz; i++)
        mpfr_set_zero(w->z[i], 1), mpfr_set_zero(w->a[i], 1), mpfr_set_zero(w->d[i], 1),
            mpfr_set_zero(w->da[i], 1);
    return w;
}

void mp_work_free(mp_work *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nz; i++)
        mpfr_clears(w->z[i], w->a[i], w->d[i], w->da[i], (mpfr_ptr)0);
    for (size_t i = 0; i < w->wmax; i++)
        mpfr_clear(w->dCda[i]);
    mpfr_clears(w->t, w->s, w->sa, w->Y, w->sumy, (mpfr_ptr)0);
    free(w->z), free(w->a), free(w->d), free(w->da), free(w->dCda), free(w);
}

#define AT(v, l, j) (v)[(l) * w->wmax + (j)]


/* forward: z^l = W^l a^{l-1} + b^l; the activation, or softmax at a cross-entropy output */
static void mp_forward(mp_work *w, const bp_model *m, const double *x, bp_cost cost)
{
    size_t L = m->L, NL = m->n[L];
    mpfr_ptr s = w->s, t = w->t;
    for (size_t k = 0; k < m->n[0]; k++)
        mpfr_set_d(AT(w->a, 0, k), x[k], R);
    for (size_t l = 1; l <= L; l++) {
        size_t J = m->n[l], K = m->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            mpfr_set_d(s, m->b[l][j], R);
            for (size_t k = 0; k < K; k++) {
                mpfr_mul_d(t, AT(w->a, l - 1, k), m->W[l][j * K + k], R);
                mpfr_add(s, s, t, R);
            }
            mpfr_set(AT(w->z, l, j), s, R);
            if (l < L || cost != BP_CROSS_ENTROPY)
                mp_act(AT(w->a, l, j), s, bp_layer_act(m, cost, l), m->slope);
        }
    }
    if (cost == BP_CROSS_ENTROPY) {
        mpfr_set_zero(s, 1);
        for (size_t j = 0; j < NL; j++) {
            mpfr_exp(AT(w->a, L, j), AT(w->z, L, j), R);
            mpfr_add(s, s, AT(w->a, L, j), R);
        }
        for (size_t j = 0; j < NL; j++)
            mpfr_div(AT(w->a, L, j), AT(w->a, L, j), s, R);
    }
}

/* the cost of the sample added to C (C may be NULL), and dC/da^L */
static void mp_output_cost(mp_work *w, const bp_model *m, const double *y, bp_cost cost, mpfr_ptr C)
{
    size_t L = m->L, NL = m->n[L];
    mpfr_ptr s = w->s, t = w->t, sa = w->sa, Y = w->Y;
    mpfr_set_zero(w->sumy, 1);
    for (size_t j = 0; j < NL; j++) {
        mpfr_set_d(Y, y[j], R);
        mpfr_add_d(w->sumy, w->sumy, fabs(y[j]), R);
        if (cost == BP_QUADRATIC) {
            mpfr_sub(t, AT(w->a, L, j), Y, R);          /* dC/da = a - y */
            mpfr_set(w->dCda[j], t, R);
            mpfr_sqr(t, t, R);
            mpfr_div_ui(t, t, 2, R);
            if (C)
                mpfr_add(C, C, t, R);                   /* 1/2 (y - a)^2 */
        } else if (cost == BP_LOGLIK) {
            mpfr_log(t, AT(w->a, L, j), R);
            mpfr_mul(t, t, Y, R);
            if (C)
                mpfr_sub(C, C, t, R);                   /* -y ln a */
            mpfr_ui_sub(s, 1, AT(w->a, L, j), R);
            mpfr_log(s, s, R);
            mpfr_ui_sub(t, 1, Y, R);
            mpfr_mul(s, s, t, R);
            if (C)
                mpfr_sub(C, C, s, R);                   /* -(1 - y) ln(1 - a) */
            /* dC/da = -(y/a - (1 - y)/(1 - a)) */
            mpfr_div(t, Y, AT(w->a, L, j), R);
            mpfr_ui_sub(s, 1, AT(w->a, L, j), R);
            mpfr_ui_sub(sa, 1, Y, R);
            mpfr_div(s, sa, s, R);
            mpfr_sub(t, s, t, R);
            mpfr_set(w->dCda[j], t, R);
        } else if (y[j] != 0.0) {                       /* 0 ln a = 0 */
            mpfr_log(t, AT(w->a, L, j), R);
            mpfr_mul(t, t, Y, R);
            if (C)
                mpfr_sub(C, C, t, R);                   /* -y ln a */
            mpfr_div(t, Y, AT(w->a, L, j), R);
            mpfr_neg(w->dCda[j], t, R);                 /* dC/da = -y/a */
        } else {
            mpfr_set_zero(w->dCda[j], 1);
        }
    }
}

/* delta^L = (da/dz)^T dC/da; |delta^L| bound: a + |y| for the elementwise outputs (delta =
 * a - y or (a - y) sigma'), sum|y| (1 + a_k) for the softmax */
static void mp_output_delta(mp_work *w, const bp_model *m, const double *y, bp_cost cost)
{
    size_t L = m->L, NL = m->n[L];
    mpfr_ptr s = w->s, t = w->t;
    for (size_t k = 0; k < NL; k++) {
        if (cost == BP_CROSS_ENTROPY) {
            mpfr_set_zero(s, 1);
            for (size_t i = 0; i < NL; i++) {
                /* a_i (delta_ik - a_k) dC/da_i */
                mpfr_ui_sub(t, i == k ? 1 : 0, AT(w->a, L, k), R);
                mpfr_mul(t, t, AT(w->a, L, i), R);
                mpfr_mul(t, t, w->dCda[i], R);
                mpfr_add(s, s, t, R);
            }
            mpfr_set(AT(w->d, L, k), s, R);
            if (w->magnitudes) {
                mpfr_add_ui(t, AT(w->a, L, k), 1, R);
                mpfr_mul(AT(w->da, L, k), t, w->sumy, R);
            }
        } else {
            mp_act_prime(t, AT(w->z, L, k), AT(w->a, L, k), bp_layer_act(m, cost, L), m->slope);
            mpfr_mul(AT(w->d, L, k), w->dCda[k], t, R);
            if (w->magnitudes) {
                mpfr_abs(t, t, R); /* (a leaky slope may be negative) */
                mpfr_abs(AT(w->da, L, k), AT(w->a, L, k), R);
                mpfr_add_d(AT(w->da, L, k), AT(w->da, L, k), fabs(y[k]), R);
                if (cost == BP_QUADRATIC)
                    mpfr_mul(AT(w->da, L, k), AT(w->da, L, k), t, R);
            }
        }
    }
}

/* backward: delta^{l-1} = ((W^l)^T delta^l) ⊙ f'(z^{l-1}), l = L..2 */
static void mp_backward(mp_work *w, const bp_model *m, bp_cost cost)
{
    mpfr_ptr s = w->s, sa = w->sa, t = w->t;
    for (size_t l = m->L; l >= 2; l--) {
        size_t J = m->n[l], K = m->n[l - 1];
        for (size_t k = 0; k < K; k++) {
            mpfr_set_zero(s, 1), mpfr_set_zero(sa, 1);
            for (size_t j = 0; j < J; j++) {
                mpfr_mul_d(t, AT(w->d, l, j), m->W[l][j * K + k], R);
                mpfr_add(s, s, t, R);
                if (w->magnitudes) {
                    mpfr_mul_d(t, AT(w->da, l, j), fabs(m->W[l][j * K + k]), R);
                    mpfr_add(sa, sa, t, R);
                }
            }
            mp_act_prime(t, AT(w->z, l - 1, k), AT(w->a, l - 1, k), bp_layer_act(m, cost, l - 1),
                         m->slope);
            mpfr_mul(AT(w->d, l - 1, k), s, t, R);
            if (w->magnitudes) {
                mpfr_mul(AT(w->da, l - 1, k), sa, t, R);
                mpfr_abs(AT(w->da, l - 1, k), AT(w->da, l - 1, k), R);
            }
        }
    }
}

void mp_sample(mp_work *w, const bp_model *m, const bp_batch *b, size_t p, bp_cost cost, mpfr_ptr C)
{
    mp_forward(w, m, b->x + p * m->n[0], cost);
    mp_output_cost(w, m, b->y + p * m->n[m->L], cost, C);
    mp_output_delta(w, m, b->y + p * m->n[m->L], cost);
    mp_backward(w, m, cost);
}

void mp_work_store(const mp_work *w, const bp_model *m, bp_trace *trace, size_t p)
{
    for (size_t l = 0; l <= m->L; l++)
        for (size_t j = 0; j < m->n[l]; j++) {
            size_t i = p * m->n[l] + j;
            trace->a[l][i] = mpfr_get_d(AT(w->a, l, j), R);
            if (l) {
                trace->z[l][i] = mpfr_get_d(AT(w->z, l, j), R);
                trace->delta[l][i] = mpfr_get_d(AT(w->d, l, j), R);
            }
        }
}

void mp_accumulate(const mp_work *w, size_t l, size_t j, size_t k, mpfr_ptr g, mpfr_ptr t)
{
    if (k != MP_BIAS) {
        mpfr_mul(t, AT(w->d, l, j), AT(w->a, l - 1, k), R);
        mpfr_add(g, g, t, R);
    } else {
        mpfr_add(g, g, AT(w->d, l, j), R);
    }
}

double mp_evaluate(const bp_model *m, const bp_batch *b, bp_cost cost, bp_reduction red,
                   double eta, bp_model *grad, bp_model *gabs, bp_model *step, bp_trace *trace)
{
    mp_work *w = mp_work_alloc(m, gabs != NULL);
    mpfr_t *g = malloc(m->nparams * sizeof *g), *ga = gabs ? malloc(m->nparams * sizeof *ga) : NULL;
    if (!w || !g || (gabs && !ga)) {
        mp_work_free(w), free(g), free(ga);
        return NAN;
    }
    for (size_t i = 0; i < m->nparams; i++) {
        mpfr_init2(g[i], MP_PREC), mpfr_set_zero(g[i], 1);
        if (ga)
            mpfr_init2(ga[i], MP_PREC), mpfr_set_zero(ga[i], 1);
    }
    mpfr_t C, t;
    mpfr_inits2(MP_PREC, C, t, (mpfr_ptr)0);
    mpfr_set_zero(C, 1);
    for (size_t p = 0; p < b->m; p++) {
        mp_sample(w, m, b, p, cost, C);
        /* the gradient: dC/db^l_j += delta^l_j, dC/dW^l_jk += delta^l_j a^{l-1}_k */
        for (size_t l = m->L; l >= 1; l--) {
            size_t J = m->n[l], K = m->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                size_t bi = bp_model_b_index(m, l, j);
                mpfr_add(g[bi], g[bi], AT(w->d, l, j), R);
                if (ga)
                    mpfr_add(ga[bi], ga[bi], AT(w->da, l, j), R);
                for (size_t k = 0; k < K; k++) {
                    size_t wi = bp_model_w_index(m, l, j, k);
                    mpfr_mul(t, AT(w->d, l, j), AT(w->a, l - 1, k), R);
                    mpfr_add(g[wi], g[wi], t, R);
                    if (ga) {
                        mpfr_mul(t, AT(w->da, l, j), AT(w->a, l - 1, k), R);
                        mpfr_abs(t, t, R);
                        mpfr_add(ga[wi], ga[wi], t, R);
                    }
                }
            }
        }
        if (trace)
            mp_work_store(w, m, trace, p);
    }
    if (red == BP_MEAN)
        mpfr_div_ui(C, C, (unsigned long)b->m, R);
    for (size_t i = 0; i < m->nparams; i++) {
        mp_finish(g[i], t, m->theta[i], red == BP_MEAN ? b->m : 1, eta, grad ? &grad->theta[i] : NULL,
                  step ? &step->theta[i] : NULL);
        if (ga) {
            if (red == BP_MEAN)
                mpfr_div_ui(ga[i], ga[i], (unsigned long)b->m, R);
            gabs->theta[i] = mpfr_get_d(ga[i], MPFR_RNDU);
            mpfr_clear(ga[i]);
        }
        mpfr_clear(g[i]);
    }
    double result = mpfr_get_d(C, R);
    mpfr_clears(C, t, (mpfr_ptr)0);
    mp_work_free(w), free(g), free(ga);
    return result;
}
#undef AT

void mp_finish(mpfr_ptr g, mpfr_ptr t, double theta, size_t mdiv, double eta, double *grad,
               double *step)
{
    if (mdiv != 1)
        mpfr_div_ui(g, g, (unsigned long)mdiv, R);
    if (grad)
        *grad = mpfr_get_d(g, R);
    if (step) { /* params - eta * grad, with the exact gradient: rounded once */
        mpfr_mul_d(t, g, eta, R);
        mpfr_d_sub(t, theta, t, R);
        *step = mpfr_get_d(t, R);
    }
}

void mp_done(void)
{
    mpfr_free_cache();
}
