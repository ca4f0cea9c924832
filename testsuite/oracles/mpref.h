/* testsuite/oracles/mpref.h: the canonical models evaluated literally in MPFR, the high-precision
 * reference the tests compare the double-precision code with (and the seed of the golden-
 * fixture generator). Every equation is taken as printed, with no numerical simplification:
 * sigma(z) = 1/(1 + e^{-z}); softmax a_i = e^{z_i} / sum_k e^{z_k}; the output error by the
 * honest chain rule (dC/da times sigma' = a(1-a), or times the softmax Jacobian
 * a_i (delta_ik - a_k)); delta^l = ((W^{l+1})^T delta^{l+1}) ⊙ a(1-a). MP_PREC bits make all
 * of that exact to far beyond a double even at |z| = 1000 (1 - sigma(800) needs ~1155 bits). */
#ifndef BPCHECK_MPREF_H
#define BPCHECK_MPREF_H

#include "model.h"

#define MP_PREC 2048

/* The cost of params on the batch, returned, and the gradient into grad, each rounded once
 * to the nearest double. gabs (may be NULL) gets, per entry, an upper bound on the sum of the
 * absolute values of the terms that make it up (a magnitude pass with |W| and |delta|), the
 * scale against which a double-precision evaluation's rounding is measured. */
double mp_model(bp_model *grad, bp_model *gabs, const bp_model *params, const bp_batch *batch,
                bp_cost cost, bp_reduction red);

/* Everything a golden fixture holds, each computed at MP_PREC bits and rounded once to the
 * nearest double: the cost (returned), the gradient, params - eta * grad, and per sample
 * z^l, a^l and delta^l = dC_x/dz^l (unreduced) for l = 1..L (trace->a[0] is set to x). Any
 * output pointer may be NULL. NaN, nothing written, when memory runs out. */
double mp_evaluate(const bp_model *params, const bp_batch *batch, bp_cost cost,
                   bp_reduction red, double eta, bp_model *grad, bp_model *gabs, bp_model *step,
                   bp_trace *trace);

/* r = sigma(z) = 1/(1 + e^{-z}) at the precision of r (MP_PREC bits wanted) */
#include <mpfr.h>
void mp_sigmoid(mpfr_t r, const mpfr_t z);

/* One sample at a time, for a caller that wants only some of mp_evaluate's values (the fast
 * exact path's fallback, testsuite/oracles/exact.c): the very operations mp_evaluate performs,
 * in its order, so every value is the same to the last of its MP_PREC bits. */
typedef struct mp_work mp_work;
/* magnitudes: also the |delta| bounds that gabs needs. NULL when memory runs out. */
mp_work *mp_work_alloc(const bp_model *params, int magnitudes);
void mp_work_free(mp_work *w);
/* Sample p's forward and backward pass into w; its cost added to C (C may be NULL). */
void mp_sample(mp_work *w, const bp_model *params, const bp_batch *batch, size_t p, bp_cost cost,
               mpfr_ptr C);
/* Sample p's z^l, a^l and delta^l rounded into trace (a^0 too). */
void mp_work_store(const mp_work *w, const bp_model *params, bp_trace *trace, size_t p);
#define MP_BIAS ((size_t)-1)
/* g += sample's term of dC/dW^l[j][k] (delta^l_j a^{l-1}_k), or of dC/db^l[j] when k is
 * MP_BIAS; t is scratch at MP_PREC bits. */
void mp_accumulate(const mp_work *w, size_t l, size_t j, size_t k, mpfr_ptr g, mpfr_ptr t);
/* The summed gradient entry g divided by mdiv (the batch under mean, else 1) rounded into
 * *grad, and theta - eta g into *step (either may be NULL); t is scratch. */
void mp_finish(mpfr_ptr g, mpfr_ptr t, double theta, size_t mdiv, double eta, double *grad,
               double *step);

/* Call once at the end of a program that used MPFR, so valgrind sees no cached memory. */
void mp_done(void);

#endif
