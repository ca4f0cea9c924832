/* testsuite/oracles/oracle.h: gradient oracles for the canonical models that need more than C(theta):
 * the complex step and forward-mode dual numbers, each with its own forward pass in its own
 * arithmetic (oracle_template.h), and central differences and Richardson extrapolation that
 * reuse the cached forward pass (a change in layer l leaves the layers below unchanged; a
 * change in W^l[j][k] changes only z^l_j). All of them give every dC/dtheta_i, and dC_x/dz^l_j
 * of every sample (000:3, 001:12, 004:7 checked at the z they are stated for). */
#ifndef BPCHECK_ORACLE_H
#define BPCHECK_ORACLE_H

#include <complex.h>
/* complex.h's macro I (the imaginary unit) would rewrite every parameter named I in the
 * reference headers; the code here writes CMPLX(re, im) instead */
#ifndef CMPLX /* C11's, missing from glibc's header under some compilers (clang 14) */
static inline double complex bp_cmplx(double re, double im)
{
    double complex z;
    ((double *)&z)[0] = re, ((double *)&z)[1] = im; /* C11 6.2.5: two doubles, real first */
    return z;
}
#define CMPLX(re, im) bp_cmplx((re), (im))
#endif
#undef I

#include "model.h"

typedef enum { OR_WEIGHT, OR_BIAS, OR_Z } or_kind;

/* What one perturbation moves: W^l[j][k], b^l[j], or z^l_j of sample p alone. */
typedef struct {
    or_kind kind;
    size_t l, j, k, p;
} or_target;

typedef struct {
    double v, d; /* value, derivative along the chosen direction */
} or_dual;

/* The complex step's h: Im C(theta + i h e_i) / h has no subtractive cancellation, so h can
 * be far below any rounding of theta; 1e-20 leaves the O(h^2) truncation at 1e-40. */
#define OR_COMPLEX_H 1e-20

/* Dual-number arithmetic: (v, d) carries f and f' along together. */
or_dual or_dual_lift(double v);
or_dual or_dual_add(or_dual a, or_dual b);
or_dual or_dual_sub(or_dual a, or_dual b);
or_dual or_dual_mul(or_dual a, or_dual b);
or_dual or_dual_div(or_dual a, or_dual b);
or_dual or_dual_exp(or_dual a);
or_dual or_dual_log1p(or_dual a);
or_dual or_dual_tanh(or_dual a);
or_dual or_dual_sin(or_dual a);

/* f'(x) of a function of one variable by the complex step and by dual numbers: the oracles on
 * their own, for tests against known derivatives. */
double or_complex_step_1d(double complex (*f)(double complex), double x);
double or_dual_1d(or_dual (*f)(or_dual), double x);

or_target or_target_of(const bp_model *m, size_t i); /* the parameter at theta index i */

double or_cost_real(bp_cost model, const bp_model *params, const bp_batch *b,
                    const bp_trace *cache, bp_reduction red, const or_target *tgt, double eps,
                    int reuse);
double complex or_cost_complex(bp_cost model, const bp_model *params, const bp_batch *b,
                               const bp_trace *cache, bp_reduction red, const or_target *tgt,
                               double complex eps, int reuse);
or_dual or_cost_dual(bp_cost model, const bp_model *params, const bp_batch *b,
                     const bp_trace *cache, bp_reduction red, const or_target *tgt, or_dual eps,
                     int reuse);

typedef enum { OR_CENTRAL, OR_RICHARDSON, OR_COMPLEX, OR_DUAL } or_method;

/* How an evaluation reuses the cached forward pass (the reuse argument below): not at all;
 * from layer l on, every layer above recomputed; or incrementally (oracle_template.h). */
enum { OR_WHOLE = 0, OR_REUSE_LAYER = 1, OR_INCREMENTAL = 2, OR_VECTOR = 3 };
/* OR_VECTOR: incrementally, and for dual numbers every parameter of one neuron at once (up
 * to OR_VLANES), one per tangent lane of a vector-mode dual number (vdual.h: the same
 * derivatives as one at a time; the other methods take it as OR_INCREMENTAL) */
#define OR_VLANES 128
const char *or_method_name(or_method m);

/* Every dC/dtheta_i by one method into g, an absolute error estimate per entry into est
 * (NULL allowed), and the number of cost evaluations into *evals (NULL allowed; a lane of a
 * vector evaluation counts as one). reuse is OR_VECTOR (the default everywhere),
 * OR_INCREMENTAL, OR_REUSE_LAYER, or OR_WHOLE (every evaluation the
 * whole forward pass: the naive 2P passes of a central difference). */
int or_gradient(or_method method, double *g, double *est, size_t *evals, bp_cost model,
                const bp_model *params, const bp_batch *b, bp_reduction red, int reuse,
                bp_error *err);

/* Which finite differences cross a kink. A stencil that moves theta_i by up to
 * reach * max(1, |theta_i|) moves z^l_j of sample p by up to that times |dz^l_j/dtheta_i|
 * (a^{l-1}_k, or 1), and every z above it by at most sum |W| Lip(f) times the movement
 * below (Lip: sigmoid 1/4, tanh, relu, identity 1, leaky-relu max(1, |slope|)): a rigorous
 * bound, not a linearisation. kink[i] = 1 where some relu or leaky-relu neuron's z can reach 0
 * that way; returns how many, or (size_t)-1 with err. 0 at once for a network without
 * kinks. The complex step and dual numbers need none of this: they branch on z itself. */
size_t or_kinks(unsigned char *kink, double reach, bp_cost model, const bp_model *params,
                const bp_batch *b, bp_error *err);

/* dC_x/dz^l_j for every sample and neuron by the complex step, into delta (a trace's layout:
 * delta[l][p * n_l + j]); compare with a reference's trace->delta. */
int or_delta(bp_trace *out, bp_cost model, const bp_model *params, const bp_batch *b,
             bp_error *err);

#endif
