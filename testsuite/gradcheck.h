/* testsuite/gradcheck.h: gradient oracles that need only the cost function C(theta).
 * This first version has central differences (GSL's 5-point rule with its error estimate)
 * and the tolerance derived from it; the complex-step, dual-number, directional and Taylor
 * oracles join it later (issue 6).
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

#endif
