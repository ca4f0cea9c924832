/* testsuite/hints.h: name the likely bug behind a wrong answer, from the pattern of the error.
 * Each classic bug is recomputed (a small backward pass with that one bug) or recognised
 * directly (a sign, a factor, a transpose), and the answer is matched against it. */
#ifndef BPCHECK_HINTS_H
#define BPCHECK_HINTS_H

#include "fixture.h"

/* The likely bug behind a wrong gradient g of case c, or NULL. cost_ok says whether the cost
 * was right; prev_grad (NULL if none) is the previous request's expected gradient, for a
 * stale answer; bad is the number of entries out of tolerance. */
const char *bp_hint_grad(const bp_case *c, const bp_model *g, int cost_ok,
                         const bp_model *prev_grad, size_t bad);

/* The likely bug behind a wrong step when the gradient was right, or NULL. */
const char *bp_hint_step(const bp_case *c, const bp_model *step);

/* The likely bug behind a wrong cost, or NULL. */
const char *bp_hint_cost(const bp_case *c, double cost);

/* The likely bug behind an answer that is not valid JSON because of a NaN or Inf. */
const char *bp_hint_nonfinite(const bp_case *c);

#endif
