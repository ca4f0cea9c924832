/* reference/softmax_ce.h: document 004 literally: sigmoid hidden layers, a softmax output
 * layer and the cross-entropy cost, with BOTH backward paths of the document:
 *
 *   the chain rule 004:1 .. 004:6, with the full softmax Jacobian
 *     da_i/dz_k = a_i (delta_ik - a_k) applied to dL/da_i = -y_i / a_i;
 *   the simplification 004:7, dL/dz^L = a - y, and the vectorized formulas 004:8 .. 004:13
 *     written as loops.
 *
 * 004's notation is the canonical one (w^l_ij joins neuron j of layer l-1 to neuron i of
 * layer l; each row of dC/dw is a destination neuron), so this file works on bp_model directly.
 * Cost: per sample L = -sum_i y_i ln a^L_i; C = sum_x L_x or (1/n) sum_x L_x (004:cost).
 *
 * 004:7 holds only when the targets of a sample sum to 1 (one-hot or a probability vector):
 * in general the chain rule gives dL/dz_k = a_k sum_i y_i - y_k. The simplified path refuses
 * targets that do not sum to 1; the chain path takes any.
 *
 * Legend: l = layer (1..L), i = neuron in layer l (I), j = neuron in layer l-1 (J),
 * k = neuron in layer l+1 (K) or, at the output, the neuron differentiated against.
 */
#ifndef BPCHECK_SOFTMAX_CE_H
#define BPCHECK_SOFTMAX_CE_H

#include "model.h"

typedef enum { SCE_CHAIN, SCE_SIMPLIFIED } sce_path;

/* z_i = sum_j w_ij a_j + b_i for one layer of one sample; w is (I, J) */
void sce_weighted_input(double *z, const double *w, const double *b, const double *a_prev,
                        size_t I, size_t J);

/* softmax: a_i = e^{z_i} / sum_k e^{z_k}, with the maximum subtracted first */
void sce_softmax(double *a, const double *z, size_t n);
/* ln a_i = z_i - logsumexp(z), finite for every finite z */
void sce_log_softmax(double *log_a, const double *z, size_t n);

/* 004:cost  L = -sum_i y_i ln a_i for one sample, from the logits z */
double sce_loss(const double *y, const double *z, size_t n);

/* The chain-rule factors (004, section 3): dz^l_i/dw^l_ij = a^{l-1}_j, dz^l_i/db^l_i = 1,
 * dz^{l+1}_k/da^l_i = w^{l+1}_ki */
double sce_dz_dw(double a_prev_j);
double sce_dz_db(void);
double sce_dz_da(double w_ki);

/* The last two factors of 004:1 and 004:2, da^l_i/dz^l_i * dC/da^l_i, for a whole layer:
 *   sigmoid layer (004:sig): e_i = sigma'(z_i) dC/da_i (f'(z_i) for a layer with its own f);
 *   softmax layer (the honest replacement): e_k = sum_i da_i/dz_k dC/da_i with the Jacobian
 *   da_i/dz_k = a_i (delta_ik - a_k). */
void sce_sigmoid_factor(double *e, const double *z, const double *dC_da, size_t I, bp_act f,
                        double slope);
void sce_softmax_factor(double *e, const double *a, const double *dC_da, size_t I);

/* Per-sample workspace: z, a, dC/da and e = dC/dz for every layer. */
typedef struct {
    size_t L;
    size_t n[BP_MAX_LAYERS + 1];
    double *z[BP_MAX_LAYERS + 1];      /* l = 1..L */
    double *a[BP_MAX_LAYERS + 1];      /* l = 0..L */
    double *dC_da[BP_MAX_LAYERS + 1];  /* l = 1..L (the chain path fills L too) */
    double *e[BP_MAX_LAYERS + 1];      /* l = 1..L: dC/dz^l, "the last two factors" */
    double *mem;
} sce_work;

sce_work *sce_work_alloc(const bp_model *m, bp_error *err);
void sce_work_free(sce_work *w);

/* Forward pass of one sample x: sigmoid hidden layers, softmax output. */
void sce_forward(sce_work *w, const bp_model *params, const double *x);

/* Backward pass of one sample (after sce_forward), ADDING dL/dtheta into grad.
 * The chain path: 004:1 .. 004:6 (dL/da^L_i = -y_i / a_i: not finite where a_i underflows
 * and y_i > 0). The simplified path: 004:7 .. 004:13. */
void sce_backward_chain(bp_model *grad, sce_work *w, const bp_model *params, const double *y);
void sce_backward_simplified(bp_model *grad, sce_work *w, const bp_model *params,
                             const double *y);

/* Over a batch: the gradient of the reduced cost by the chosen path, the cost, and (trace may
 * be NULL) z, a and delta = dL_x/dz per sample. The simplified path fails with a message if a
 * row of y does not sum to 1 within n_L ulps. */
int sce_gradient(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                 const bp_batch *batch, bp_reduction red, sce_path path, bp_error *err);
/* The cost alone (NaN if the batch does not fit or memory runs out). */
double sce_cost(const bp_model *params, const bp_batch *batch, bp_reduction red);

#endif
