/* reference/quadratic.c: documents 000 and 002 literally (quadratic.h).
 *
 * Legend: l = layer (1..L), j = neuron in layer l (J), k = neuron in layer l-1 (K),
 * i = neuron in layer l+1 (I), p = sample (m). W^l[j][k] = w[j*K + k].
 */
#include "quadratic.h"

#include <math.h>

#include "activation.h"

void quad_feedforward_layer(double *z, double *a, const double *w, const double *b,
                            const double *a_prev, size_t J, size_t K, bp_act f, double slope)
{
    /* w is (J,K) row-major; b, z, a are (J); a_prev is (K) */
    for (size_t j = 0; j < J; j++) {
        /* 000:1  z^l_j = sum_k w^l_jk a^{l-1}_k + b^l_j */
        double s = 0.0;
        for (size_t k = 0; k < K; k++)
            s += w[j * K + k] * a_prev[k];
        z[j] = s + b[j];
        /* 000:1  a^l_j = sigma(z^l_j), with the layer's f in place of sigma */
        a[j] = bp_act_f(f, slope, z[j]);
    }
}

double quad_cost_sample(const double *a, const double *y, size_t J)
{
    /* 000:2  C = 1/2 sum_j (y_j - a^L_j)^2 */
    double s = 0.0;
    for (size_t j = 0; j < J; j++) {
        double d = y[j] - a[j];
        s += d * d;
    }
    return 0.5 * s;
}

void quad_output_error(double *delta, const double *a, const double *y, const double *z,
                       size_t J, bp_act f, double slope)
{
    for (size_t j = 0; j < J; j++) {
        /* 002:BP1  grad_a C for C = 1/2 ||y - a||^2 is dC/da^L_j = a^L_j - y_j */
        double dC_da = a[j] - y[j];
        /* 000:4  delta^L_j = (a^L_j - y_j) sigma'(z^L_j)  (f'(z^L_j) for the output's f) */
        delta[j] = dC_da * bp_act_prime(f, slope, z[j]);
    }
}

void quad_backprop_error(double *delta, const double *w_next, const double *delta_next,
                         const double *z, size_t J, size_t I, bp_act f, double slope)
{
    /* w_next is W^{l+1}, (I,J) row-major: w_next[i*J + j] = w^{l+1}_ij */
    for (size_t j = 0; j < J; j++) {
        /* 000:5  ((w^{l+1})^T delta^{l+1})_j = sum_i w^{l+1}_ij delta^{l+1}_i */
        double s = 0.0;
        for (size_t i = 0; i < I; i++)
            s += w_next[i * J + j] * delta_next[i];
        /* 000:5, 002:BP2  delta^l_j = (sum_i w^{l+1}_ij delta^{l+1}_i) sigma'(z^l_j) */
        delta[j] = s * bp_act_prime(f, slope, z[j]);
    }
}

void quad_grad_b(double *db, const double *delta, size_t J)
{
    /* 000:6, 002:BP3  dC/db^l_j = delta^l_j */
    for (size_t j = 0; j < J; j++)
        db[j] += delta[j];
}

void quad_grad_w(double *dw, const double *delta, const double *a_prev, size_t J, size_t K)
{
    /* dw is (J,K) row-major, like W^l */
    for (size_t j = 0; j < J; j++)
        for (size_t k = 0; k < K; k++)
            /* 000:7, 002:BP4  dC/dw^l_jk = a^{l-1}_k delta^l_j */
            dw[j * K + k] += a_prev[k] * delta[j];
}

static int check_batch(const bp_model *params, const bp_batch *batch, bp_error *err)
{
    if (bp_acts_check(params, BP_QUADRATIC, err))
        return -1;
    if (batch->n_in != params->n[0])
        return bp_fail(err, "batch: x has %zu columns; the model's input layer has %zu",
                       batch->n_in, params->n[0]);
    if (batch->n_out != params->n[params->L])
        return bp_fail(err, "batch: y has %zu columns; the model's output layer has %zu",
                       batch->n_out, params->n[params->L]);
    return 0;
}

/* One sample through the network (002:alg steps 1 and 2), into row p of the trace. */
static void forward_sample(bp_trace *t, const bp_model *params, const bp_batch *batch,
                           size_t p)
{
    size_t L = params->L;
    /* 002:alg step 1  a^0 = x (the document numbers the input layer 1; we number it 0) */
    for (size_t k = 0; k < params->n[0]; k++)
        t->a[0][p * params->n[0] + k] = batch->x[p * batch->n_in + k];
    /* 002:alg step 2  feedforward, l = 1..L */
    for (size_t l = 1; l <= L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        /* 002:ff  z^l = w^l a^{l-1} + b^l, a^l = sigma(z^l) */
        quad_feedforward_layer(t->z[l] + p * J, t->a[l] + p * J, params->W[l], params->b[l],
                               t->a[l - 1] + p * K, J, K, bp_layer_act(params, BP_QUADRATIC, l),
                               params->slope);
    }
}

double quad_cost(const bp_model *params, const bp_batch *batch, bp_reduction red)
{
    /* Returns NaN if the batch does not fit the model or memory runs out: NaN never passes. */
    if (check_batch(params, batch, NULL))
        return NAN;
    bp_trace *t = bp_trace_alloc(params, 1, NULL);
    if (!t)
        return NAN;
    double total = 0.0;
    size_t L = params->L;
    for (size_t p = 0; p < batch->m; p++) {
        bp_batch one = {1, batch->n_in, batch->n_out, batch->x + p * batch->n_in,
                        batch->y + p * batch->n_out};
        forward_sample(t, params, &one, 0);
        /* 002:cost  C = (1/n) sum_x C_x, with C_x from 000:2 */
        total += quad_cost_sample(t->a[L], one.y, params->n[L]);
    }
    bp_trace_free(t);
    return red == BP_MEAN ? total / (double)batch->m : total;
}

int quad_backprop(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                  const bp_batch *batch, bp_reduction red, bp_error *err)
{
    if (!bp_model_same_shape(grad, params))
        return bp_fail(err, "backprop: the gradient's shape differs from the parameters'");
    if (check_batch(params, batch, err))
        return -1;
    bp_trace *t = trace;
    if (t && (t->m != batch->m || t->L != params->L))
        return bp_fail(err, "backprop: trace holds %zu samples of %zu layers; need %zu of %zu",
                       t->m, t->L, batch->m, params->L);
    if (!t && !(t = bp_trace_alloc(params, batch->m, err)))
        return -1;

    size_t L = params->L, m = batch->m;
    double total = 0.0;
    bp_model_zero(grad);
    for (size_t p = 0; p < m; p++) {
        /* 002:alg steps 1-2  input and feedforward */
        forward_sample(t, params, batch, p);
        total += quad_cost_sample(t->a[L] + p * params->n[L], batch->y + p * batch->n_out,
                                  params->n[L]);
        /* 002:alg step 3  output error delta^L; the trace keeps every delta^l_j of every
         * sample, which is 000:3's dC_x/dz^l_j (the tests perturb z to check it) */
        quad_output_error(t->delta[L] + p * params->n[L], t->a[L] + p * params->n[L],
                          batch->y + p * batch->n_out, t->z[L] + p * params->n[L],
                          params->n[L], bp_layer_act(params, BP_QUADRATIC, L), params->slope);
        /* 002:alg step 4  backpropagate, l = L-1 .. 1 */
        for (size_t l = L - 1; l >= 1; l--) {
            size_t J = params->n[l], I = params->n[l + 1];
            quad_backprop_error(t->delta[l] + p * J, params->W[l + 1], t->delta[l + 1] + p * I,
                                t->z[l] + p * J, J, I, bp_layer_act(params, BP_QUADRATIC, l),
                                params->slope);
        }
        /* 002:alg step 5  output: the gradient, summed over the samples */
        for (size_t l = 1; l <= L; l++) {
            size_t J = params->n[l], K = params->n[l - 1];
            quad_grad_b(grad->b[l], t->delta[l] + p * J, J);
            quad_grad_w(grad->W[l], t->delta[l] + p * J, t->a[l - 1] + p * K, J, K);
        }
    }
    if (red == BP_MEAN) {
        /* 002:cost  C = (1/n) sum_x C_x, so every derivative carries the same 1/m */
        for (size_t i = 0; i < grad->nparams; i++)
            grad->theta[i] /= (double)m;
        total /= (double)m;
    }
    if (cost)
        *cost = total;
    if (t != trace)
        bp_trace_free(t);
    return 0;
}

int quad_sgd_update(bp_model *params, const bp_batch *batch, double eta, bp_error *err)
{
    bp_model *sum = bp_model_alloc_like(params, err);
    if (!sum)
        return -1;
    /* sum_x delta^{x,l} (a^{x,l-1})^T and sum_x delta^{x,l}: the gradient under BP_SUM */
    if (quad_backprop(sum, NULL, NULL, params, batch, BP_SUM, err)) {
        bp_model_free(sum);
        return -1;
    }
    double rate = eta / (double)batch->m;
    for (size_t l = 1; l <= params->L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            for (size_t k = 0; k < K; k++)
                /* 002:sgd  w^l -> w^l - (eta/m) sum_x delta^{x,l} (a^{x,l-1})^T */
                params->W[l][j * K + k] -= rate * sum->W[l][j * K + k];
            /* 002:sgd  b^l -> b^l - (eta/m) sum_x delta^{x,l} */
            params->b[l][j] -= rate * sum->b[l][j];
        }
    }
    bp_model_free(sum);
    return 0;
}
