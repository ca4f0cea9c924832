/* reference/quadratic_003.h: document 003 literally: a two-layer sigmoid network whose
 * batches are matrices with one ROW PER SAMPLE, and the one-neuron cost of its section 1.
 *
 * 003's notation (kept here; README "Conventions" maps it to the canonical one):
 *   a_0 = X is (m, n0); W_1 is (n0, n1) and W_2 is (n1, n2): rows are INPUTS, columns OUTPUTS,
 *   the transpose of the canonical W^l; b_1 (n1), b_2 (n2) broadcast over the rows;
 *   z_1 = a_0 W_1 + b_1, a_1 = sigma(z_1), z_2 = a_1 W_2 + b_2, a_2 = sigma(z_2), each (m, n).
 * 003 never writes its loss L down; its gradients (dL/db = a sum over the batch, the update
 * without 1/m) are those of L = 1/2 sum_p sum_j (a_2[p][j] - y[p][j])^2, the canonical
 * quadratic cost with `sum` reduction. Tests check that reading against finite differences.
 *
 * Legend: p = sample (row, m of them), k = input column (K), j = output column (J).
 */
#ifndef BPCHECK_QUADRATIC_003_H
#define BPCHECK_QUADRATIC_003_H

#include <stddef.h>

#include "model.h"

typedef struct {
    size_t n0, n1, n2;
    double *W1;  /* (n0, n1): W1[k*n1 + j] joins input k to hidden j */
    double *b1;  /* (n1) */
    double *W2;  /* (n1, n2) */
    double *b2;  /* (n2) */
    double *mem;
} q003_params;

q003_params *q003_alloc(size_t n0, size_t n1, size_t n2, bp_error *err);
void q003_free(q003_params *p);

/* The mapping (the only place 003's layout meets the canonical one): W_l = (W^l)^T, b the
 * same. Needs a canonical model with L = 2 of the same sizes. */
int q003_from_canonical(q003_params *out, const bp_model *m, bp_error *err);
int q003_to_canonical(bp_model *out, const q003_params *in, bp_error *err);

/* 003:3  sigma(x) = 1 / (1 + e^{-x}), exactly as printed (with "e^- x" read as e^{-x}) */
double q003_sigma(double x);
/* 003:sig  sigma'(x) = sigma(x)(1 - sigma(x)), exactly as printed */
double q003_sigma_prime(double x);

/* The forward pass 003 implies (it never prints it): z = a_prev W + b, a = sigma(z), with
 * a_prev (m, K), W (K, J), b (J), z and a (m, J). */
void q003_forward_layer(double *z, double *a, const double *a_prev, const double *W,
                        const double *b, size_t m, size_t K, size_t J);

/* 003:d2  delta_2 = (a_2 - y) ⊙ sigma'(z_2); all (m, J) */
void q003_output_delta(double *delta2, const double *a2, const double *y, const double *z2,
                       size_t m, size_t J);
/* 003:d1  delta_1 = (delta_2 W_2^T) ⊙ sigma'(z_1); delta_2 (m, J), W_2 (K, J), z_1 (m, K) */
void q003_hidden_delta(double *delta1, const double *delta2, const double *W2, const double *z1,
                       size_t m, size_t K, size_t J);
/* 003:gW2, 003:gW1  dL/dW = a^T delta: a (m, K), delta (m, J), dW (K, J) */
void q003_grad_W(double *dW, const double *a, const double *delta, size_t m, size_t K, size_t J);
/* 003:gb2, 003:gb1  dL/db = sum over the batch of delta: delta (m, J), db (J) */
void q003_grad_b(double *db, const double *delta, size_t m, size_t J);

/* Forward, the loss L (above) and steps 1-4 of 003 for a whole batch: X (m, n0), Y (m, n2). */
int q003_backprop(q003_params *grad, double *loss, const q003_params *params, const double *X,
                  const double *Y, size_t m, bp_error *err);

/* 003:upd  W = W - eta dL/dW, b = b - eta dL/db (no 1/m: L is a sum over the batch) */
void q003_update(q003_params *params, const q003_params *grad, double eta);

/* Section 1, one neuron with one input, over m samples (x1[p], y1[p]):
 * 003:1 z = w_1 x_1 + b; 003:2 f(w_1, b) = sigma(z); 003:4 C(w_1) = 1/2 sum (sigma(z) - y_1)^2 */
double q003_neuron_z(double w1, double x1, double b);
double q003_neuron_f(double w1, double x1, double b);
double q003_neuron_cost(double w1, double b, const double *x1, const double *y1, size_t m);
/* The chain rule 003 garbles as dC/dw_1 = dC/da da/db db/dx dx/dw_1, read as
 * dC/dw_1 = sum dC/da * da/dz * dz/dw_1 = sum (sigma(z) - y_1) sigma'(z) x_1, and likewise
 * dC/db with dz/db = 1. */
void q003_neuron_grad(double *dC_dw1, double *dC_db, double w1, double b, const double *x1,
                      const double *y1, size_t m);

#endif
