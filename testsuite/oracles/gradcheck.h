/* testsuite/oracles/gradcheck.h: gradient oracles that need only the cost function C(theta) (central
 * differences, Richardson extrapolation through GSL, the directional test, the Taylor test),
 * and the one criterion every oracle is judged by. The complex-step and dual-number oracles,
 * which need a forward pass of their own, are in oracle.h.
 */
#ifndef BPCHECK_GRADCHECK_H
#define BPCHECK_GRADCHECK_H

#include <stddef.h>

#include "model.h"

/* The cost at a parameter vector theta (nparams entries); ctx is the caller's. */
typedef double (*gc_cost_fn)(const double *theta, void *ctx);

/* d C / d theta_i for every i by gsl_deriv_central, starting from the step
 * h_i = GC_STEP * max(1, |theta_i|); fd[i] is the estimate and fd_err[i] GSL's estimate of its
 * absolute error (truncation + rounding). theta is not modified. */
#define GC_STEP 1e-4
int gc_central(double *fd, double *fd_err, gc_cost_fn cost, void *ctx, const double *theta,
               size_t n, bp_error *err);

/* Per-entry absolute tolerance for comparing an analytic gradient g with fd (see gradcheck.c
 * for the derivation): tol[i] = GC_ROUND_FACTOR * fd_err[i] + GC_GRAD_ULPS * eps * max_j |g_j|. */
#define GC_ROUND_FACTOR 64.0
#define GC_GRAD_ULPS 1024.0
void gc_tolerance(double *tol, const double *fd_err, const double *g, size_t n);

/* ---- The criterion ------------------------------------------------------------------------
 * A claimed gradient g is compared with an oracle's r tensor by tensor (each W^l and b^l): for
 * every entry i of tensor T,
 *     |g_i - r_i| <= e_i + rho (|r_i| + max_T |r|)
 * where e_i is the oracle's own estimate of its absolute error and rho = GC_RHO_ULPS
 * (m + sum_l n_l + 16) u allows the claimed gradient its rounding: a sum over m samples of
 * chains through every layer, each term bounded by the tensor's largest entry. The absolute
 * part is thus scaled by the tensor being compared, so a tiny entry of a large tensor is judged
 * at the tensor's scale and a tensor of tiny entries at its own. NaN never passes.
 * Reported: max |g - r|; the normwise relative error max_T max_i |g_i - r_i| / max_T |r|; and
 * the oracle's estimate, max_T max_i e_i / max_T |r|. */
#define GC_RHO_ULPS 4.0
double gc_rho(const bp_model *shape, size_t m);

typedef struct {
    const char *method;
    int pass;
    double max_abs, max_rel, estimate; /* NAN where a method has none (Taylor) */
    size_t evaluations;
    double seconds;
    double order;  /* the Taylor test's fitted order; NAN otherwise */
    double p_miss; /* the directional test's bound on missing an error of 1e-6 |g|; NAN else */
    size_t worst;  /* the theta index of the worst entry */
    size_t kinks;  /* entries not judged: their stencil crosses a relu kink (gc_judge_masked) */
} gc_report;

void gc_report_init(gc_report *r, const char *method);

/* Judge g against r (with e, NULL for 0) by the criterion, tensor by tensor over shape. */
void gc_judge(gc_report *rep, const bp_model *shape, const double *g, const double *r,
              const double *e, double rho);
/* The same, leaving out (and counting in rep->kinks) every entry i with skip[i] set: a
 * finite difference across a kink estimates neither one-sided derivative (or_kinks). */
void gc_judge_masked(gc_report *rep, const bp_model *shape, const double *g, const double *r,
                     const double *e, double rho, const unsigned char *skip);
/* The same against an oracle without truncation or cancellation (complex step, dual numbers):
 * its own error is rounding, given g's allowance, e_i = rho |r_i|. No estimate array. */
void gc_judge_exact(gc_report *rep, const bp_model *shape, const double *g, const double *r,
                    double rho);

/* Plain central differences, h_i = cbrt(u) max(1, |theta_i|); est_i from D(2h) vs D(h) and
 * the rounding 64 u |C| / h (as in gradcheck.c). 5 evaluations per coordinate. */
int gc_central_plain(double *fd, double *est, gc_cost_fn cost, void *ctx, const double *theta,
                     size_t n, bp_error *err);

/* The directional (dot-product) test: for `dirs` random directions u with independent
 * standard Gaussian entries (seeded), g . u against the derivative of C(theta + t u) at t = 0
 * (gsl_deriv_central, its error estimate times 64). A wrong gradient g + e escapes one
 * direction only if |e . u| <= tau, and e . u is N(0, |e|^2): probability <= sqrt(2/pi)
 * tau / |e|, so all `dirs` with probability <= (sqrt(2/pi) tau / |e|)^dirs; rep->p_miss is that
 * bound for |e| = 1e-6 |g|. */
int gc_directional(gc_report *rep, gc_cost_fn cost, void *ctx, const double *theta,
                   const double *g, size_t n, size_t dirs, unsigned long seed, double rho,
                   bp_error *err);

/* The Taylor test: r(h) = |C(theta + h u) - C(theta) - h g . u| over h = 2^-1 .. 2^-30 along a
 * unit Gaussian direction; r is O(h^2) for a right gradient and O(h) for a wrong one. The
 * order is the least-squares slope of log r against log h over the smallest h whose r is
 * still 100 times above the rounding floor 64 u |C|; it passes at >= 1.8. */
int gc_taylor(gc_report *rep, gc_cost_fn cost, void *ctx, const double *theta, const double *g,
              size_t n, unsigned long seed, bp_error *err);

#endif
