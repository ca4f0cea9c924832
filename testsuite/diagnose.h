/* testsuite/diagnose.h: evidence about a wrong answer, from the answer, the expected values and
 * their bounds alone: which tensor is wrong, which of its entries (all, a row, a column, a
 * sample, one, scattered), in what shape (a sign, a constant factor, zeros, the transpose), and
 * where in the pass it first goes wrong, by equation ID. It names no bug: it states what the
 * numbers show, so that a hint (hints.h) is never the only thing a user reads. */
#ifndef BPCHECK_DIAGNOSE_H
#define BPCHECK_DIAGNOSE_H

#include "fixture.h"

/* What an implementation answered for case c, judged by bounds B. Any pointer may be NULL:
 * that quantity was not asked for, or not given. z, a, delta are layers 1..L. */
typedef struct {
    const bp_case *c;
    const bp_bounds *B;
    const double *cost;
    const bp_model *grad, *step;
    double *const *z, *const *a, *const *delta;
} bp_answer;

#define BP_MAX_EVIDENCE 8

typedef struct {
    size_t n;                          /* wrong tensors described (at most BP_MAX_EVIDENCE) */
    size_t wrong;                      /* wrong tensors in all */
    char evidence[BP_MAX_EVIDENCE][200]; /* one line each: "grad W^2 (3 x 4): ..." */
    char first[240];                   /* where the pass first goes wrong, with equation IDs */
} bp_findings;

/* Describe what is wrong in ans into f (all zero when nothing is). */
void bp_diagnose(bp_findings *f, const bp_answer *ans);

/* ---- the run: what the failures have in common ---- */

#define BP_SUMMARY_KEYS 64

typedef struct {
    char key[200];
    size_t failed, total;
} bp_tally;

typedef struct {
    bp_tally model[BP_SUMMARY_KEYS], regime[BP_SUMMARY_KEYS], depth[BP_SUMMARY_KEYS];
    bp_tally hint[BP_SUMMARY_KEYS]; /* failed counts the cases given that hint */
    size_t nmodel, nregime, ndepth, nhint;
    size_t cases, failed, marginal, unnamed;
    char look_at[256]; /* the smallest failing case (fewest parameters x samples) */
    double look_size;
    size_t look_n;     /* its test number */
} bp_summary;

/* Count case c, the n-th test point: failed or not, its hint (NULL: none), marginal or not. */
void bp_summary_add(bp_summary *s, const bp_case *c, size_t n, int failed, const char *hint,
                    int marginal);

/* The summary as lines each starting with prefix ("# " for TAP, "" for JUnit), into out;
 * empty when nothing failed. */
void bp_summary_format(const bp_summary *s, const char *prefix, char *out, size_t len);

#endif
