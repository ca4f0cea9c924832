/* testsuite/gradcheck.c: central differences with an honest error estimate (gradcheck.h).
 *
 * How the tolerance is derived. The analytic gradient g_i and the finite difference fd_i both
 * approximate the true derivative d_i, so |g_i - fd_i| <= |g_i - d_i| + |fd_i - d_i|.
 *
 * |fd_i - d_i|: gsl_deriv_central evaluates the 5-point rule r5 (truncation error O(h^4)) and
 * reports fd_err = |r5 - r3| / h (the difference from the 3-point rule, an O(h^2) quantity that
 * over-estimates the O(h^4) truncation error) plus a rounding estimate that assumes each value
 * of C is correct to about one ulp of |C|. Our C is not: it is a sum over m samples and n_L
 * outputs of values computed through L layers of dot products of length n_{l-1}, so its
 * rounding error is up to about kappa ulps with kappa ~ m n_L + sum_l n_l (the gamma_n bound of
 * a length-n summation, Higham, Accuracy and Stability, 2nd ed., sec. 3.1). The rounding part of
 * the estimate grows linearly with kappa; GC_ROUND_FACTOR = 64 covers kappa <= 64, which holds
 * for every architecture and batch the tests use (at most 5 wide, 4 layers, m <= 5: kappa <= 40),
 * and leaves the already conservative truncation part conservative.
 *
 * |g_i - d_i|: backpropagation computes g_i by sums of at most m (K + I) products whose terms
 * are bounded by the largest gradient entry times O(1) factors (sigma' <= 1/4, weights O(1)),
 * so its error is below n eps max_j |g_j| with n <= 1024 for the same architectures.
 *
 * What the tolerance can miss: with the step sizes GSL chooses here fd_err is around 1e-10
 * relative, so the tolerance is ~1e-8 of the gradient's scale, while every classic bug (a sign,
 * a missing sigma' <= 1/4, a transpose, a factor m) changes an entry by O(1) relative. Tests
 * that use it also assert that the tolerance stayed this small, so it can never pass vacuously.
 */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>

typedef struct {
    gc_cost_fn cost;
    void *ctx;
    double *theta;   /* a private copy; coordinate i is varied */
    size_t i;
} gc_slice;

/* C as a function of theta_i alone, for gsl_function */
static double gc_slice_eval(double x, void *p)
{
    gc_slice *s = p;
    double saved = s->theta[s->i];
    s->theta[s->i] = x;
    double c = s->cost(s->theta, s->ctx);
    s->theta[s->i] = saved;
    return c;
}

int gc_central(double *fd, double *fd_err, gc_cost_fn cost, void *ctx, const double *theta,
               size_t n, bp_error *err)
{
    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return bp_fail(err, "gradcheck: out of memory for %zu parameters", n);
    memcpy(copy, theta, n * sizeof *copy);
    gc_slice s = {cost, ctx, copy, 0};
    gsl_function F = {gc_slice_eval, &s};
    for (size_t i = 0; i < n; i++) {
        s.i = i;
        double h = GC_STEP * fmax(1.0, fabs(theta[i]));
        gsl_deriv_central(&F, theta[i], h, &fd[i], &fd_err[i]);
    }
    free(copy);
    return 0;
}

void gc_tolerance(double *tol, const double *fd_err, const double *g, size_t n)
{
    double gmax = 0.0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs(g[i])); /* fmax ignores a NaN g; the comparison will not */
    for (size_t i = 0; i < n; i++)
        tol[i] = GC_ROUND_FACTOR * fd_err[i] + GC_GRAD_ULPS * DBL_EPSILON * gmax;
}
