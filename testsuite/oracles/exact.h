/* testsuite/oracles/exact.h: the golden values of mpref.h, fast. Every value mp_evaluate
 * gives, the same bytes, 20 to 40 times sooner: the sums of products in double-double with a
 * rigorous error bound, the elementary functions in MPFR at 256 bits with theirs, and each
 * value rounded once when its whole error interval rounds to one double (dd.h). What that
 * bound cannot decide, MPFR at 2048 bits decides: the samples whose z, a or delta it left
 * open, the gradient entries, steps and the cost it left open (mp_sample, the very operations
 * of mp_evaluate); and the whole case when a value leaves the range the bound covers
 * (|x| outside [2^-400, 2^400]), a relu's z lies within its error of 0 or a radius is not
 * small. fixtures/FORMAT.md, "Exact values fast", derives the bounds. */
#ifndef BPCHECK_EXACT_H
#define BPCHECK_EXACT_H

#include "model.h"

typedef struct {
    size_t values;            /* the values computed: cost, gradient, step, trace */
    size_t mpfr_values;       /* of them, decided by MPFR at 2048 bits */
    size_t mpfr_samples;      /* samples MPFR evaluated (forward and backward) */
    int whole;                /* 1: the whole case by mp_evaluate */
    char why[160];            /* why, when whole */
} ex_stats;

/* As mp_evaluate (mpref.h) without gabs: the cost returned, grad, step and trace (each may be
 * NULL) rounded once to the nearest double, identical to mp_evaluate's. st (may be NULL) says
 * what MPFR decided. NaN, when memory runs out. */
double ex_evaluate(const bp_model *params, const bp_batch *batch, bp_cost cost, bp_reduction red,
                   double eta, bp_model *grad, bp_model *step, bp_trace *trace, ex_stats *st);

#endif
