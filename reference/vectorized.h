/* reference/vectorized.h: the three canonical models as matrix operations on GSL BLAS, the
 * documents' VECTOR equations (000:1, 000:4 .. 000:7 in vector form, 002's algorithm over a
 * mini-batch, 003's row-per-sample products, 001:12 and 004:7 .. 004:13), and the fast second
 * implementation beside the literal loops.
 *
 * A batch is a matrix with ONE ROW PER SAMPLE, as in document 003 and in bp_batch:
 *   A^0 = X (m x n_0); Z^l = A^{l-1} (W^l)^T + 1 (b^l)^T and A^l = f(Z^l) (m x n_l);
 *   D^l = dC_x/dZ^l row by row; dC/dW^l = (D^l)^T A^{l-1} (n_l x n_{l-1}, the shape of W^l);
 *   dC/db^l = (D^l)^T 1.
 * Each row of these is the column-vector equation of 000 and 002 for one sample, transposed.
 *
 * 000:7 prints dC/dw^l = a^{l-1} delta^l. With column vectors that product is not
 * conformable; read as the outer product a^{l-1} (delta^l)^T it is n_{l-1} x n_l, the
 * TRANSPOSE of dC/dw^l (it is 003's dL/dW = a^T delta, in 003's inputs-by-outputs layout). The
 * conformable form, used here, is delta^l (a^{l-1})^T, summed over a batch (D^l)^T A^{l-1}.
 */
#ifndef BPCHECK_VECTORIZED_H
#define BPCHECK_VECTORIZED_H

#include "model.h"

/* The gradient of the reduced cost of a canonical model over a whole batch with dgemm, dger and
 * dgemv; the cost into *cost (may be NULL); z, a and delta per sample into trace (may be
 * NULL). Cross-entropy needs each sample's targets to sum to 1 (004:7). */
int vec_gradient(bp_cost model, bp_model *grad, double *cost, bp_trace *trace,
                 const bp_model *params, const bp_batch *batch, bp_reduction red, bp_error *err);

/* The same, one sample at a time with dgemv and dger: 000's vector equations as printed
 * (a^l = sigma(w^l a^{l-1} + b^l), delta^l = ((w^{l+1})^T delta^{l+1}) ⊙ sigma'(z^l), and the
 * conformable outer product of 000:7). */
int vec_gradient_per_sample(bp_cost model, bp_model *grad, double *cost,
                            const bp_model *params, const bp_batch *batch, bp_reduction red,
                            bp_error *err);

/* The cost alone, by the batched forward pass (NaN if the batch does not fit). */
double vec_cost(bp_cost model, const bp_model *params, const bp_batch *batch, bp_reduction red);

/* 000:7 as printed, read as an outer product: out (n_{l-1} x n_l) = a (delta)^T. Kept to show
 * what it computes (the transpose of the gradient); nothing uses it as the gradient. */
void vec_000_7_as_printed(double *out, const double *a_prev, const double *delta, size_t K,
                          size_t J);

#endif
