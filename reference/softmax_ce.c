/* reference/softmax_ce.c: document 004 literally (softmax_ce.h).
 *
 * Legend: l = layer (1..L), i = neuron in layer l (I), j = neuron in layer l-1 (J),
 * k = neuron in layer l+1 (K), or at the softmax the output differentiated against.
 * W^l[i][j] = W[l][i*J + j].
 */
#include "softmax_ce.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"

void sce_weighted_input(double *z, const double *w, const double *b, const double *a_prev,
                        size_t I, size_t J)
{
    /* w is (I,J) row-major; z, b are (I); a_prev is (J) */
    for (size_t i = 0; i < I; i++) {
        /* 004, section 3: z^l_i = sum_j w^l_ij a^{l-1}_j + b^l_i */
        double s = 0.0;
        for (size_t j = 0; j < J; j++)
            s += w[i * J + j] * a_prev[j];
        z[i] = s + b[i];
    }
}

/* The largest z and its first index; the running maximum starts at the first element. */
static double max_logit(const double *z, size_t n, size_t *at)
{
    double m = z[0];
    *at = 0;
    for (size_t i = 1; i < n; i++)
        if (z[i] > m)
            m = z[i], *at = i;
    return m;
}

void sce_softmax(double *a, const double *z, size_t n)
{
    /* softmax(z) = softmax(z - c) for any c. e^{z} overflows for z > 709.78 and underflows
     * to 0 for all z < -745; with c = max z every exponent is <= 0, the largest term is
     * e^0 = 1 exactly and the sum lies in [1, n]: no overflow, and never 0/0. */
    size_t at;
    double m = max_logit(z, n, &at), s = 0.0;
    for (size_t i = 0; i < n; i++) {
        a[i] = exp(z[i] - m);
        s += a[i];
    }
    for (size_t i = 0; i < n; i++)
        a[i] /= s;
}

void sce_log_softmax(double *log_a, const double *z, size_t n)
{
    /* ln a_i = z_i - logsumexp(z) = (z_i - m) - ln(1 + s), s = sum_{k != argmax} e^{z_k - m}:
     * the maximum's own term is exactly 1, and log1p keeps ln(1 + s) accurate when one logit
     * dominates (s tiny), where log(1 + s) would round to 0. Finite for every finite z, so a
     * logit of -1000 gives ln a = -2000, not ln 0 = -Inf. */
    size_t at;
    double m = max_logit(z, n, &at), s = 0.0;
    for (size_t k = 0; k < n; k++)
        if (k != at)
            s += exp(z[k] - m);
    double shift = log1p(s);
    for (size_t i = 0; i < n; i++)
        log_a[i] = (z[i] - m) - shift;
}

double sce_loss(const double *y, const double *z, size_t n)
{
    size_t at;
    double m = max_logit(z, n, &at), s = 0.0;
    for (size_t k = 0; k < n; k++)
        if (k != at)
            s += exp(z[k] - m);
    double shift = log1p(s), L = 0.0;
    for (size_t i = 0; i < n; i++)
        /* 004:cost  L = -sum_i y_i ln a_i, ln a_i as in sce_log_softmax. ln a_i is finite,
         * so a zero target adds exactly 0: 0 ln 0 = 0, the limit of y ln a as y -> 0. */
        L -= y[i] * ((z[i] - m) - shift);
    return L;
}

double sce_dz_dw(double a_prev_j)
{
    /* dz^l_i/dw^l_ij = a^{l-1}_j */
    return a_prev_j;
}

double sce_dz_db(void)
{
    /* dz^l_i/db^l_i = 1 */
    return 1.0;
}

double sce_dz_da(double w_ki)
{
    /* dz^{l+1}_k/da^l_i = w^{l+1}_ki */
    return w_ki;
}

void sce_sigmoid_factor(double *e, const double *z, const double *dC_da, size_t I, bp_act f,
                        double slope)
{
    for (size_t i = 0; i < I; i++)
        /* 004:sig  da_i/dz_i = sigma'(z_i) = sigma(z_i)(1 - sigma(z_i)), times dC/da_i
         * (f'(z_i) for the layer's own f) */
        e[i] = bp_act_prime(f, slope, z[i]) * dC_da[i];
}

void sce_softmax_factor(double *e, const double *a, const double *dC_da, size_t I)
{
    for (size_t k = 0; k < I; k++) {
        /* softmax Jacobian: da_i/dz_k = a_i (delta_ik - a_k); e_k = sum_i da_i/dz_k dC/da_i */
        double s = 0.0;
        for (size_t i = 0; i < I; i++)
            s += a[i] * ((i == k ? 1.0 : 0.0) - a[k]) * dC_da[i];
        e[k] = s;
    }
}

sce_work *sce_work_alloc(const bp_model *m, bp_error *err)
{
    size_t total = m->n[0];
    for (size_t l = 1; l <= m->L; l++)
        total += 4 * m->n[l];
    sce_work *w = calloc(1, sizeof *w);
    double *mem = calloc(total, sizeof *mem);
    if (!w || !mem) {
        free(w), free(mem);
        bp_fail(err, "004: out of memory for the workspace");
        return NULL;
    }
    w->L = m->L, w->mem = mem;
    size_t off = 0;
    for (size_t l = 0; l <= m->L; l++) {
        w->n[l] = m->n[l];
        w->a[l] = mem + off, off += m->n[l];
        if (l == 0)
            continue;
        w->z[l] = mem + off, off += m->n[l];
        w->dC_da[l] = mem + off, off += m->n[l];
        w->e[l] = mem + off, off += m->n[l];
    }
    return w;
}

void sce_work_free(sce_work *w)
{
    if (!w)
        return;
    free(w->mem);
    free(w);
}

void sce_forward(sce_work *w, const bp_model *params, const double *x)
{
    size_t L = params->L;
    memcpy(w->a[0], x, params->n[0] * sizeof *x);
    for (size_t l = 1; l <= L; l++) {
        size_t I = params->n[l], J = params->n[l - 1];
        sce_weighted_input(w->z[l], params->W[l], params->b[l], w->a[l - 1], I, J);
        if (l < L)
            for (size_t i = 0; i < I; i++)
                /* sigmoid hidden layers (or the layer's own activation) */
                w->a[l][i] = bp_act_f(bp_layer_act(params, BP_CROSS_ENTROPY, l), params->slope,
                                      w->z[l][i]);
        else
            sce_softmax(w->a[L], w->z[L], I); /* the softmax output layer */
    }
}

/* dL/dw and dL/db of layer l from e = dC/dz^l (the last two factors), by 004:1 and 004:2 with
 * the factors 004:4 and 004:5 substitute. */
static void chain_layer_gradient(bp_model *grad, const sce_work *w, size_t l)
{
    size_t I = w->n[l], J = w->n[l - 1];
    for (size_t i = 0; i < I; i++) {
        for (size_t j = 0; j < J; j++)
            /* 004:1  dC/dw^l_ij = dz^l_i/dw^l_ij * da^l_i/dz^l_i * dC/da^l_i,
             * 004:4  = a^{l-1}_j * (da^l_i/dz^l_i * dC/da^l_i) */
            grad->W[l][i * J + j] += sce_dz_dw(w->a[l - 1][j]) * w->e[l][i];
        /* 004:2  dC/db^l_i = dz^l_i/db^l_i * da^l_i/dz^l_i * dC/da^l_i,
         * 004:5  = da^l_i/dz^l_i * dC/da^l_i */
        grad->b[l][i] += sce_dz_db() * w->e[l][i];
    }
}

void sce_backward_chain(bp_model *grad, sce_work *w, const bp_model *params, const double *y)
{
    size_t L = params->L, NL = params->n[L];
    for (size_t i = 0; i < NL; i++)
        /* dL/da^L_i = -y_i / a^L_i, the derivative of 004:cost; a zero target contributes 0
         * (the limit of y ln a), even where a_i has underflowed to 0 */
        w->dC_da[L][i] = y[i] == 0.0 ? 0.0 : -y[i] / w->a[L][i];
    for (size_t l = L; l >= 1; l--) {
        size_t I = params->n[l], J = params->n[l - 1];
        /* the last two factors of 004:1 .. 004:3 for layer l: at the softmax the full
         * Jacobian, elsewhere the sigmoid's diagonal one */
        if (l == L)
            sce_softmax_factor(w->e[l], w->a[l], w->dC_da[l], I);
        else
            sce_sigmoid_factor(w->e[l], w->z[l], w->dC_da[l], I,
                               bp_layer_act(params, BP_CROSS_ENTROPY, l), params->slope);
        chain_layer_gradient(grad, w, l);
        if (l == 1)
            break;
        for (size_t j = 0; j < J; j++) {
            /* 004:3  dC/da^{l-1}_j = sum_i dz^l_i/da^{l-1}_j * da^l_i/dz^l_i * dC/da^l_i,
             * 004:6  = sum_i w^l_ij * (da^l_i/dz^l_i * dC/da^l_i) */
            double s = 0.0;
            for (size_t i = 0; i < I; i++)
                s += sce_dz_da(params->W[l][i * J + j]) * w->e[l][i];
            w->dC_da[l - 1][j] = s;
        }
    }
}

void sce_backward_simplified(bp_model *grad, sce_work *w, const bp_model *params,
                             const double *y)
{
    size_t L = params->L, NL = params->n[L], JL = params->n[L - 1];
    for (size_t i = 0; i < NL; i++) {
        /* 004:7  dL/dz^L_i = a^L_i - y_i (softmax followed by cross-entropy) */
        w->e[L][i] = w->a[L][i] - y[i];
        for (size_t j = 0; j < JL; j++)
            /* 004:8  dC/dw^L = (a^L - y) . (a^{L-1})^T */
            grad->W[L][i * JL + j] += w->e[L][i] * w->a[L - 1][j];
        /* 004:9  dC/db^L = a^L - y */
        grad->b[L][i] += w->e[L][i];
    }
    if (L == 1)
        return;
    for (size_t j = 0; j < JL; j++) {
        /* 004:13  the next layer is the softmax output: dC/da^{L-1} = (w^L)^T . (a^L - y) */
        double s = 0.0;
        for (size_t i = 0; i < NL; i++)
            s += params->W[L][i * JL + j] * w->e[L][i];
        w->dC_da[L - 1][j] = s;
    }
    for (size_t l = L - 1; l >= 1; l--) {
        size_t I = params->n[l], J = params->n[l - 1];
        bp_act f = bp_layer_act(params, BP_CROSS_ENTROPY, l); /* sigma, or the layer's own */
        for (size_t i = 0; i < I; i++) {
            /* 004:sig  sigma'(z^l) = sigma(z^l) ⊙ (1 - sigma(z^l));
             * 004:11  dC/db^l = sigma'(z^l) ⊙ dC/da^l */
            w->e[l][i] = bp_act_prime(f, params->slope, w->z[l][i]) * w->dC_da[l][i];
            grad->b[l][i] += w->e[l][i];
            for (size_t j = 0; j < J; j++)
                /* 004:10  dC/dw^l = (sigma'(z^l) ⊙ dC/da^l) . (a^{l-1})^T */
                grad->W[l][i * J + j] += w->e[l][i] * w->a[l - 1][j];
        }
        if (l == 1)
            break;
        for (size_t j = 0; j < J; j++) {
            /* 004:12  the next layer is sigmoid: dC/da^{l-1} = (w^l)^T . (sigma'(z^l) ⊙ dC/da^l) */
            double s = 0.0;
            for (size_t i = 0; i < I; i++)
                s += params->W[l][i * J + j] * w->e[l][i];
            w->dC_da[l - 1][j] = s;
        }
    }
}

static int sce_check_batch(const bp_model *params, const bp_batch *batch, bp_error *err)
{
    if (bp_acts_check(params, BP_CROSS_ENTROPY, err))
        return -1;
    if (batch->n_in != params->n[0] || batch->n_out != params->n[params->L])
        return bp_fail(err, "batch: x and y have %zu and %zu columns; the model needs %zu and %zu",
                       batch->n_in, batch->n_out, params->n[0], params->n[params->L]);
    return 0;
}

int sce_gradient(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                 const bp_batch *batch, bp_reduction red, sce_path path, bp_error *err)
{
    if (!bp_model_same_shape(grad, params))
        return bp_fail(err, "cross-entropy: the gradient's shape differs from the parameters'");
    if (sce_check_batch(params, batch, err))
        return -1;
    if (trace && (trace->m != batch->m || trace->L != params->L))
        return bp_fail(err, "cross-entropy: the trace holds %zu samples of %zu layers; need "
                            "%zu of %zu",
                       trace->m, trace->L, batch->m, params->L);
    size_t L = params->L, NL = params->n[L], m = batch->m;
    if (path == SCE_SIMPLIFIED)
        for (size_t p = 0; p < m; p++) {
            /* n_L values in [0, 1] sum with at most n_L - 1 roundings of at most u each */
            double s = 0.0;
            for (size_t i = 0; i < NL; i++)
                s += batch->y[p * NL + i];
            if (!(fabs(s - 1.0) <= (double)NL * DBL_EPSILON))
                return bp_fail(err, "batch: the targets of sample %zu sum to %.17g; 004:7 "
                                    "(dL/dz = a - y) needs them to sum to 1 (normalise them, "
                                    "or use the chain path)",
                               p, s);
        }
    sce_work *w = sce_work_alloc(params, err);
    if (!w)
        return -1;
    bp_model_zero(grad);
    double total = 0.0;
    for (size_t p = 0; p < m; p++) {
        const double *y = batch->y + p * NL;
        sce_forward(w, params, batch->x + p * params->n[0]);
        total += sce_loss(y, w->z[L], NL);
        if (path == SCE_CHAIN)
            sce_backward_chain(grad, w, params, y);
        else
            sce_backward_simplified(grad, w, params, y);
        if (trace)
            for (size_t l = 0; l <= L; l++) {
                size_t n = params->n[l];
                memcpy(trace->a[l] + p * n, w->a[l], n * sizeof(double));
                if (l) {
                    memcpy(trace->z[l] + p * n, w->z[l], n * sizeof(double));
                    memcpy(trace->delta[l] + p * n, w->e[l], n * sizeof(double));
                }
            }
    }
    if (red == BP_MEAN) {
        /* 004:cost  C = -(1/n) sum_x sum_i y_i ln a_i: every derivative carries the 1/n too */
        for (size_t i = 0; i < grad->nparams; i++)
            grad->theta[i] /= (double)m;
        total /= (double)m;
    }
    if (cost)
        *cost = total;
    sce_work_free(w);
    return 0;
}

double sce_cost(const bp_model *params, const bp_batch *batch, bp_reduction red)
{
    if (sce_check_batch(params, batch, NULL))
        return NAN;
    sce_work *w = sce_work_alloc(params, NULL);
    if (!w)
        return NAN;
    size_t L = params->L, NL = params->n[L];
    double total = 0.0;
    for (size_t p = 0; p < batch->m; p++) {
        sce_forward(w, params, batch->x + p * params->n[0]);
        total += sce_loss(batch->y + p * NL, w->z[L], NL);
    }
    sce_work_free(w);
    return red == BP_MEAN ? total / (double)batch->m : total;
}
