/* testsuite/tolerance.h: the tolerance model of the fixtures (fixtures/FORMAT.md, "Tolerances"):
 * for every expected value of a case, a bound on |got - expected| that every implementation in
 * the accepted class meets, in a given precision. A running error analysis (Higham, Accuracy
 * and Stability of Numerical Algorithms, ch. 3) walks the forward and backward pass once per
 * sample, carrying for each intermediate the exact value (from the MPFR trace) and the worst
 * absolute error any member of the class may have in it; where members differ (sigma' stably
 * or as s(1 - s), a - y or the softmax Jacobian, stable or naive logarithms) it takes the
 * largest. */
#ifndef BPCHECK_TOLERANCE_H
#define BPCHECK_TOLERANCE_H

#include "fixture.h"

typedef struct {
    const char *name; /* "float64", "float32": the profile's name in fixtures and --profile */
    double u;         /* unit roundoff: 2^-53, 2^-24 */
    double tiny;      /* the smallest normal number: what one operation may lose to underflow,
                         flush-to-zero included */
    double big;       /* the largest finite number: beyond it the precision cannot go */
    double in;        /* relative rounding of the double-precision inputs into the working
                         precision: 0 for float64, u for float32 */
} bp_profile;

extern const bp_profile bp_profiles[BP_NPROFILES]; /* indexed by bp_precision */

/* Derive the bounds of case c (its params, batch and exact expected values, trace included)
 * under profile pr into a new bp_bounds, each bound rounded up to 2 significant digits (the
 * form the fixtures print exactly). Returns NULL, with the reason in why, when no correct
 * implementation in that precision can meet the case: an input or an exact value beyond the
 * precision's range, or an error bound that does not stay finite. Returns NULL with err set
 * (and why untouched) when memory runs out. */
bp_bounds *bp_bounds_derive(const bp_case *c, const bp_profile *pr, char *why, size_t len,
                            bp_error *err);

/* The resolving power of case c under precision p: over the gradient entries whose expected
 * value e is not 0, the smallest and the median of bound / |e|, the relative change of that one
 * entry beyond which the case rejects it. Returns the number of such entries (0: best and
 * median are NAN), or 0 with both NAN where the case is unmeetable in that precision. */
size_t bp_resolving_power(const bp_case *c, bp_precision p, double *best, double *median);

/* x rounded up to 2 significant decimal digits: the smallest d.d x 10^e >= x (x >= 0). */
double bp_round_up2(double x);

#endif
