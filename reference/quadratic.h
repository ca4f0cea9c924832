/* reference/quadratic.h: documents 000 and 002 literally: sigmoid network, quadratic cost
 * C_x = 1/2 ||y - a^L||^2, backpropagation by per-index scalar loops.
 *
 * Activations: 000 derives BP1-BP4 for "the activation function" sigma without using its form,
 * so each layer may take its own elementwise f (activation.h) with sigma' read as f'; the
 * model's act[] chooses, and the default is the documents' sigmoid. With an identity output
 * and this cost the network is least-squares regression.
 *
 * Legend: l = layer (1..L), j = neuron in layer l (J of them), k = neuron in layer l-1
 * (K of them), p = sample in the batch (m of them). Shapes as in model.h.
 */
#ifndef BPCHECK_QUADRATIC_H
#define BPCHECK_QUADRATIC_H

#include "model.h"

/* 000:1, 002:ff  z^l_j = sum_k w^l_jk a^{l-1}_k + b^l_j,  a^l_j = f(z^l_j)  (one sample; f is
 * the layer's activation, sigma in the documents, slope leaky-relu's) */
void quad_feedforward_layer(double *z, double *a, const double *w, const double *b,
                            const double *a_prev, size_t J, size_t K, bp_act f, double slope);

/* 000:2  C_x = 1/2 sum_j (y_j - a^L_j)^2  (one sample) */
double quad_cost_sample(const double *a, const double *y, size_t J);

/* 000:4, 002:BP1  delta^L_j = (a^L_j - y_j) sigma'(z^L_j)  (f' for the output's f) */
void quad_output_error(double *delta, const double *a, const double *y, const double *z,
                       size_t J, bp_act f, double slope);

/* 000:5, 002:BP2  delta^l_j = sum_i w^{l+1}_ij delta^{l+1}_i sigma'(z^l_j)
 * (J = n_l, I = n_{l+1}; w_next is (I, J)) */
void quad_backprop_error(double *delta, const double *w_next, const double *delta_next,
                         const double *z, size_t J, size_t I, bp_act f, double slope);

/* 000:6, 002:BP3  dC/db^l_j += delta^l_j  (accumulated over the samples of a batch) */
void quad_grad_b(double *db, const double *delta, size_t J);

/* 000:7, 002:BP4  dC/dw^l_jk += a^{l-1}_k delta^l_j */
void quad_grad_w(double *dw, const double *delta, const double *a_prev, size_t J, size_t K);

/* 000:2, 002:cost  the cost over a batch: sum_x C_x, or (1/m) sum_x C_x for BP_MEAN. */
double quad_cost(const bp_model *params, const bp_batch *batch, bp_reduction red);

/* 002:alg  the 5-step algorithm for every sample of the batch: gradient of the reduced cost
 * into grad (same shape as params), the cost into *cost (may be NULL), and z, a, delta per
 * sample into trace (may be NULL). */
int quad_backprop(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                  const bp_batch *batch, bp_reduction red, bp_error *err);

/* 002:sgd  one mini-batch step: w^l -> w^l - (eta/m) sum_x delta^{x,l} (a^{x,l-1})^T,
 * b^l -> b^l - (eta/m) sum_x delta^{x,l}, in place. */
int quad_sgd_update(bp_model *params, const bp_batch *batch, double eta, bp_error *err);

#endif
