/* reference/loglik.h: document 001 literally: backpropagation for a general activation f, the
 * sigmoid log-likelihood, and the special cases the document works out; plus the mapping to
 * the canonical `loglik` model.
 *
 * 001's notation, kept here (README "Conventions" maps it):
 *   layers l = 0..L, layer 0 the input (001:14: a^{p,0}_q = x^p_q), layer L the output h;
 *   N_l nodes in layer l, numbered n_l = 1..N_l; index 0 is the bias: w^l_{0 n_{l+1}};
 *   w^l_{n_l n_{l+1}} multiplies a^{p,l}_{n_l}: FROM node n_l of layer l TO node n_{l+1} of
 *   layer l+1, so 001's w^l is the canonical W^{l+1} transposed, with b^{l+1} as its row 0;
 *   data points p = 1..P with Q = N_0 features; every index here is 1-based like the document's.
 *   c = y log h + (1-y) log(1-h) is a LOG-LIKELIHOOD (001:12): C is to be maximised and its
 *   gradient is the ascent direction. The canonical `loglik` cost is -C (sum) or -C/P (mean).
 *   Hidden layers 1..L-1 use the activation pair (f, f') given; the output layer is sigmoid,
 *   as 001:12 requires (h must lie in (0, 1) for the logarithms).
 *
 * Legend: p = data point (P), q = feature (Q = N_0), n_l = node of layer l (N_l),
 * n_L = output node (N_L).
 */
#ifndef BPCHECK_LOGLIK_H
#define BPCHECK_LOGLIK_H

#include <stddef.h>

#include "model.h"

typedef struct {
    const char *name;
    double (*f)(double z);
    double (*fprime)(double z);
} ll_activation;

extern const ll_activation ll_sigmoid; /* f = sigma, f' = sigma(z) sigma(-z) */
extern const ll_activation ll_tanh;    /* f = tanh, f' = 1 - tanh^2 */

typedef struct {
    size_t L;                          /* layers 0..L */
    size_t N[BP_MAX_LAYERS + 1];       /* N_l */
    const ll_activation *f;            /* hidden layers 1..L-1 */
    /* a layer's own activation where kind[l] is not BP_ACT_DEFAULT (the canonical model's
     * activations, ll_from_canonical), with leaky-relu's slope */
    bp_act kind[BP_MAX_LAYERS + 1];
    double slope;
    double *w[BP_MAX_LAYERS];          /* w[l], l = 0..L-1: (N_l + 1) x N_{l+1} row-major */
    size_t nparams;
    double *mem;                       /* w[0], w[1], ... contiguous: nparams doubles */
} ll_net;

/* w^l_{i j} with i = n_l in 0..N_l (0: the bias) and j = n_{l+1} in 1..N_{l+1} */
/* f and f' of hidden layer l: the layer's kind, or the network's f */
double ll_f(const ll_net *net, size_t l, double z);
double ll_fprime(const ll_net *net, size_t l, double z);

#define LL_W(net, l, i, j) ((net)->w[l][(size_t)(i) * (net)->N[(l) + 1] + (size_t)(j) - 1])

/* z^{p,l}_{n} and a^{p,l}_{n} for p = 1..P, n = 1..N_l; a^{p,l}_0 = 1 (the bias's input) */
typedef struct {
    size_t L, P;
    size_t N[BP_MAX_LAYERS + 1];
    double *z[BP_MAX_LAYERS + 1];      /* z[l], l = 1..L: P x (N_l + 1) */
    double *a[BP_MAX_LAYERS + 1];      /* a[l], l = 0..L: P x (N_l + 1) */
    double *mem;
} ll_trace;

#define LL_Z(t, p, l, n) ((t)->z[l][((size_t)(p) - 1) * ((t)->N[l] + 1) + (size_t)(n)])
#define LL_A(t, p, l, n) ((t)->a[l][((size_t)(p) - 1) * ((t)->N[l] + 1) + (size_t)(n)])
/* x^p_q in a P x Q row-major array; y^p_{n_L} in a P x N_L one */
#define LL_X(x, Q, p, q) ((x)[((size_t)(p) - 1) * (Q) + (size_t)(q) - 1])

ll_net *ll_alloc(size_t L, const size_t *N, const ll_activation *f, bp_error *err);
ll_net *ll_alloc_like(const ll_net *net, bp_error *err);
void ll_free(ll_net *net);
ll_trace *ll_trace_alloc(const ll_net *net, size_t P, bp_error *err);
void ll_trace_free(ll_trace *t);

/* Parameters: canonical (W^l[j][k], b^l[j], l = 1..L) <-> 001 (w^{l-1}_{k+1, j+1},
 * w^{l-1}_{0, j+1}). The same sizes are required. */
int ll_from_canonical(ll_net *out, const bp_model *m, bp_error *err);
int ll_to_canonical(bp_model *out, const ll_net *net, bp_error *err);

/* Gradients: the one place where sign, transpose and bias extraction meet.
 * canonical dC~/dW^l[j][k] = -s dC/dw^{l-1}_{k+1, j+1} and dC~/db^l[j] = -s dC/dw^{l-1}_{0, j+1},
 * with C~ the canonical loglik cost (-C) and s = 1 for `sum`, 1/P for `mean`. */
int ll_gradient_to_canonical(bp_model *out, const ll_net *g, size_t P, bp_reduction red,
                             bp_error *err);
int ll_gradient_from_canonical(ll_net *out, const bp_model *g, size_t P, bp_reduction red,
                               bp_error *err);

/* softplus(x) = ln(1 + e^x) without overflow or loss of small values */
double ll_softplus(double x);

/* 001:12  c = y log h + (1-y) log(1-h), h = sigma(z), evaluated from z (see loglik.c) */
double ll_c(double y, double z);
/* 001:12  dc/dz^L = y - h, evaluated so that it keeps its relative accuracy when h saturates */
double ll_dc_dzL(double y, double z);
/* the honest chain rule beside it: dc/dh * dh/dz = (y/h - (1-y)/(1-h)) sigma'(z); finite only
 * while neither h nor 1 - h rounds to 0 */
double ll_dc_dzL_chain(double y, double z);

/* 001:14, 001:1  forward pass of every data point: x is P x Q */
int ll_forward(ll_trace *t, const ll_net *net, const double *x, size_t P, bp_error *err);
/* 001:2  C = sum_p sum_{n_L} c(y^p_{n_L}, h^p_{n_L}) from a forward trace; y is P x N_L */
double ll_cost(const ll_trace *t, const double *y);

/* 001:4  dc^p_{n_L}/dw^l_{n_l n_{l+1}} = dc^p_{n_L}/dz^{p,l+1}_{n_{l+1}} dz^{p,l+1}_{n_{l+1}}/dw^l_{n_l n_{l+1}},
 * the chain rule for one weight from its two factors */
double ll_dc_dw(double dc_dz, double dz_dw);
/* 001:5  dz^{p,l+1}/dw^l_{0 n_{l+1}} = 1 */
double ll_dz_dw0(void);
/* 001:6  dz^{p,l+1}/dw^l_{n_l n_{l+1}} = a^{p,l}_{n_l} */
double ll_dz_dw(double a);
/* 001:8  dz^{p,l+2}_{n_{l+2}}/dz^{p,l+1}_{n_{l+1}} = w^{l+1}_{n_{l+1} n_{l+2}} f'(z^{p,l+1}_{n_{l+1}}) */
double ll_dz_dz(double w, double fprime_z);

/* Scratch for ll_backward_point: D[l] with N_l + 1 entries for l = 0..L, one allocation. */
double **ll_scratch_alloc(const ll_net *net, bp_error *err);
void ll_scratch_free(double **D);

/* 001:7 with 001:8 (the first line of 001:9, run backwards from L as in 001:10): for data point
 * p and output n_L, D[l][n_l] = dc^p_{n_L}/dz^{p,l}_{n_l} for l = L..1, n_l = 1..N_l, from a
 * forward trace. With sigmoid_form, 001:13's f' = a(1 - a) and dc/dz^L = y - h as printed. */
void ll_backward_point(double **D, const ll_net *net, const ll_trace *t, const double *y,
                       size_t p, size_t nL, int sigmoid_form);

/* The general system, 001:9 written backwards from L as 001:10, run for every data point p
 * and every output n_L separately, exactly as printed (dc^p_{n_L}/dz for each n_L), with the
 * chain-rule pieces 001:3 .. 001:8. grad gets dC/dw (ascent), *C the log-likelihood; the trace
 * (may be NULL) the forward values. */
int ll_backprop(ll_net *grad, double *C, ll_trace *t, const ll_net *net, const double *x,
                const double *y, size_t P, bp_error *err);

/* 001:13  the same system with sigmoid everywhere: f'(z) = a(1 - a) from the activations and
 * dc/dz^L = y - h. Requires net->f == &ll_sigmoid. */
int ll_backprop_sigmoid(ll_net *grad, double *C, const ll_net *net, const double *x,
                        const double *y, size_t P, bp_error *err);

/* The usual simplification beside the literal system: sum over n_L FIRST, then one backward
 * pass per data point (the recursion is linear in dc/dz^L). Also the per-point
 * sum_{n_L} dc^p_{n_L}/dz^{p,l}_{n_l} into dz (P x (N_l + 1) per layer, like ll_trace's z) if
 * dz is not NULL. */
int ll_backprop_summed(ll_net *grad, double *C, double **dz, const ll_net *net, const double *x,
                       const double *y, size_t P, bp_error *err);

/* 001:11  one output neuron (N_L = 1): no sum over n_L. */
int ll_backprop_one_output(ll_net *grad, double *C, const ll_net *net, const double *x,
                           const double *y, size_t P, bp_error *err);

/* 001:14  the two-layer network (L = 2), the input layer being x itself (n_0 = q). */
int ll_backprop_two_layer(ll_net *grad, double *C, const ll_net *net, const double *x,
                          const double *y, size_t P, bp_error *err);

/* 001:15  the 2-2-1 sigmoid network in closed form: dC/dw^0 only (first-layer weights and
 * biases), summed over p = 1..p_last. The document prints p_last = 2; the test shows it must
 * be P. p_last > P is an error (there is no such data point). */
int ll_closed_form_221(ll_net *grad_w0, const ll_net *net, const double *x, const double *y,
                       size_t P, size_t p_last, bp_error *err);

/* The canonical `loglik` model (sigmoid everywhere, negated log-likelihood) computed through
 * 001's literal system and the mappings: grad (canonical shape), *cost (may be NULL) and, if
 * trace is not NULL, z, a and delta = dC~_x/dz per sample in canonical layout. */
int ll_canonical(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                 const bp_batch *batch, bp_reduction red, bp_error *err);
/* The canonical loglik cost alone (NaN if the batch does not fit or memory runs out). */
double ll_canonical_cost(const bp_model *params, const bp_batch *batch, bp_reduction red);

#endif
