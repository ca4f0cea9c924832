/* reference/quadratic_003.c: document 003 literally (quadratic_003.h).
 *
 * Legend: p = sample (row of a batch matrix, m of them), k = column of the layer before (K),
 * j = column of the layer after (J). Row-major: A[p][k] = A[p*K + k], W[k][j] = W[k*J + j].
 */
#include "quadratic_003.h"

#include <math.h>
#include <stdlib.h>

q003_params *q003_alloc(size_t n0, size_t n1, size_t n2, bp_error *err)
{
    size_t n[3] = {n0, n1, n2}, total;
    if (bp_sizes_check(2, n, &total, err)) /* the same limits as the canonical model */
        return NULL;
    q003_params *p = calloc(1, sizeof *p);
    double *mem = calloc(total, sizeof *mem);
    if (!p || !mem) {
        free(p), free(mem);
        bp_fail(err, "003: out of memory");
        return NULL;
    }
    p->n0 = n0, p->n1 = n1, p->n2 = n2, p->mem = mem;
    p->W1 = mem;
    p->b1 = p->W1 + n0 * n1;
    p->W2 = p->b1 + n1;
    p->b2 = p->W2 + n1 * n2;
    return p;
}

void q003_free(q003_params *p)
{
    if (!p)
        return;
    free(p->mem);
    free(p);
}

static int q003_check(const q003_params *q, const bp_model *m, bp_error *err)
{
    if (m->L != 2 || m->n[0] != q->n0 || m->n[1] != q->n1 || m->n[2] != q->n2)
        return bp_fail(err, "003 mapping: 003's network is %zu-%zu-%zu (two layers of "
                            "weights); the canonical model has %zu layers of weights",
                       q->n0, q->n1, q->n2, m->L);
    return 0;
}

int q003_from_canonical(q003_params *out, const bp_model *m, bp_error *err)
{
    if (q003_check(out, m, err))
        return -1;
    if (!bp_acts_canonical(m, BP_QUADRATIC))
        return bp_fail(err, "003 mapping: 003's network is sigmoid throughout (003:sig); this "
                            "model declares other activations");
    size_t n[3] = {out->n0, out->n1, out->n2};
    double *W[3] = {NULL, out->W1, out->W2}, *b[3] = {NULL, out->b1, out->b2};
    for (size_t l = 1; l <= 2; l++) {
        size_t J = n[l], K = n[l - 1];
        for (size_t j = 0; j < J; j++) {
            for (size_t k = 0; k < K; k++)
                W[l][k * J + j] = m->W[l][j * K + k]; /* W_l = (W^l)^T */
            b[l][j] = m->b[l][j];
        }
    }
    return 0;
}

int q003_to_canonical(bp_model *out, const q003_params *in, bp_error *err)
{
    if (q003_check(in, out, err))
        return -1;
    size_t n[3] = {in->n0, in->n1, in->n2};
    const double *W[3] = {NULL, in->W1, in->W2}, *b[3] = {NULL, in->b1, in->b2};
    for (size_t l = 1; l <= 2; l++) {
        size_t J = n[l], K = n[l - 1];
        for (size_t j = 0; j < J; j++) {
            for (size_t k = 0; k < K; k++)
                out->W[l][j * K + k] = W[l][k * J + j]; /* W^l = (W_l)^T */
            out->b[l][j] = b[l][j];
        }
    }
    return 0;
}

double q003_sigma(double x)
{
    /* 003:3  sigma(x) = 1 / (1 + e^{-x}). For x < -709.78, e^{-x} overflows to +Inf and the
     * quotient is +0, where the true value is below 1e-308: harmless for this document's use. */
    return 1.0 / (1.0 + exp(-x));
}

double q003_sigma_prime(double x)
{
    /* 003:sig  sigma'(x) = sigma(x)(1 - sigma(x)): the printed form, kept as printed; 1 - sigma
     * cancels for x > ~36 (reference/activation.c has the saturation-safe form) */
    double s = q003_sigma(x);
    return s * (1.0 - s);
}

void q003_forward_layer(double *z, double *a, const double *a_prev, const double *W,
                        const double *b, size_t m, size_t K, size_t J)
{
    /* a_prev (m,K), W (K,J), b (J), z and a (m,J) */
    for (size_t p = 0; p < m; p++)
        for (size_t j = 0; j < J; j++) {
            double s = 0.0;
            for (size_t k = 0; k < K; k++)
                s += a_prev[p * K + k] * W[k * J + j];
            z[p * J + j] = s + b[j];
            a[p * J + j] = q003_sigma(z[p * J + j]);
        }
}

void q003_output_delta(double *delta2, const double *a2, const double *y, const double *z2,
                       size_t m, size_t J)
{
    for (size_t p = 0; p < m; p++)
        for (size_t j = 0; j < J; j++)
            /* 003:d2  delta_2 = (a_2 - y) ⊙ sigma'(z_2) */
            delta2[p * J + j] = (a2[p * J + j] - y[p * J + j]) * q003_sigma_prime(z2[p * J + j]);
}

void q003_hidden_delta(double *delta1, const double *delta2, const double *W2, const double *z1,
                       size_t m, size_t K, size_t J)
{
    /* delta2 (m,J), W2 (K,J), z1 and delta1 (m,K) */
    for (size_t p = 0; p < m; p++)
        for (size_t k = 0; k < K; k++) {
            /* (delta_2 W_2^T)[p][k] = sum_j delta_2[p][j] W_2[k][j] */
            double s = 0.0;
            for (size_t j = 0; j < J; j++)
                s += delta2[p * J + j] * W2[k * J + j];
            /* 003:d1  delta_1 = (delta_2 W_2^T) ⊙ sigma'(z_1) */
            delta1[p * K + k] = s * q003_sigma_prime(z1[p * K + k]);
        }
}

void q003_grad_W(double *dW, const double *a, const double *delta, size_t m, size_t K, size_t J)
{
    /* a (m,K), delta (m,J), dW (K,J) */
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < J; j++) {
            /* 003:gW2, 003:gW1  dL/dW = a^T delta: dW[k][j] = sum_p a[p][k] delta[p][j] */
            double s = 0.0;
            for (size_t p = 0; p < m; p++)
                s += a[p * K + k] * delta[p * J + j];
            dW[k * J + j] = s;
        }
}

void q003_grad_b(double *db, const double *delta, size_t m, size_t J)
{
    for (size_t j = 0; j < J; j++) {
        /* 003:gb2, 003:gb1  dL/db = sum over the batch dimension of delta */
        double s = 0.0;
        for (size_t p = 0; p < m; p++)
            s += delta[p * J + j];
        db[j] = s;
    }
}

int q003_backprop(q003_params *grad, double *loss, const q003_params *params, const double *X,
                  const double *Y, size_t m, bp_error *err)
{
    size_t n0 = params->n0, n1 = params->n1, n2 = params->n2;
    if (grad->n0 != n0 || grad->n1 != n1 || grad->n2 != n2)
        return bp_fail(err, "003: the gradient's shape differs from the parameters'");
    if (m < 1 || m > BP_MAX_BATCH)
        return bp_fail(err, "003: batch of %zu rows; expected 1 to %u", m, BP_MAX_BATCH);
    /* z1, a1, delta1 (m,n1); z2, a2, delta2 (m,n2) */
    double *ws = calloc(3 * m * (n1 + n2), sizeof *ws);
    if (!ws)
        return bp_fail(err, "003: out of memory for a batch of %zu rows", m);
    double *z1 = ws, *a1 = z1 + m * n1, *d1 = a1 + m * n1;
    double *z2 = d1 + m * n1, *a2 = z2 + m * n2, *d2 = a2 + m * n2;

    q003_forward_layer(z1, a1, X, params->W1, params->b1, m, n0, n1);
    q003_forward_layer(z2, a2, a1, params->W2, params->b2, m, n1, n2);
    if (loss) {
        double s = 0.0;
        for (size_t i = 0; i < m * n2; i++)
            s += (a2[i] - Y[i]) * (a2[i] - Y[i]);
        *loss = 0.5 * s;
    }
    /* step 1 */ q003_output_delta(d2, a2, Y, z2, m, n2);
    /* step 2 */ q003_grad_W(grad->W2, a1, d2, m, n1, n2);
    q003_grad_b(grad->b2, d2, m, n2);
    /* step 3 */ q003_hidden_delta(d1, d2, params->W2, z1, m, n1, n2);
    /* step 4 */ q003_grad_W(grad->W1, X, d1, m, n0, n1);
    q003_grad_b(grad->b1, d1, m, n1);
    free(ws);
    return 0;
}

void q003_update(q003_params *params, const q003_params *grad, double eta)
{
    size_t total = params->n0 * params->n1 + params->n1 + params->n1 * params->n2 + params->n2;
    /* 003:upd  W = W - eta dL/dW ; b = b - eta dL/db (W1, b1, W2, b2 are contiguous in mem) */
    for (size_t i = 0; i < total; i++)
        params->mem[i] -= eta * grad->mem[i];
}

double q003_neuron_z(double w1, double x1, double b)
{
    /* 003:1  z = w_1 x_1 + b */
    return w1 * x1 + b;
}

double q003_neuron_f(double w1, double x1, double b)
{
    /* 003:2  f(w_1, b) = sigma(z) */
    return q003_sigma(q003_neuron_z(w1, x1, b));
}

double q003_neuron_cost(double w1, double b, const double *x1, const double *y1, size_t m)
{
    /* 003:4  C(w_1) = 1/2 sum (sigma(z) - y_1)^2, the sum over the m samples */
    double s = 0.0;
    for (size_t p = 0; p < m; p++) {
        double d = q003_neuron_f(w1, x1[p], b) - y1[p];
        s += d * d;
    }
    return 0.5 * s;
}

void q003_neuron_grad(double *dC_dw1, double *dC_db, double w1, double b, const double *x1,
                      const double *y1, size_t m)
{
    double gw = 0.0, gb = 0.0;
    for (size_t p = 0; p < m; p++) {
        double z = q003_neuron_z(w1, x1[p], b);
        double dC_da = q003_sigma(z) - y1[p]; /* from 003:4 */
        double da_dz = q003_sigma_prime(z);   /* 003:sig */
        /* dz/dw_1 = x_1 and dz/db = 1, from 003:1 */
        gw += dC_da * da_dz * x1[p];
        gb += dC_da * da_dz;
    }
    *dC_dw1 = gw;
    *dC_db = gb;
}
