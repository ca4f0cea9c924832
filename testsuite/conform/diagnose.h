/* testsuite/conform/diagnose.h: evidence about a wrong answer, from the answer, the expected values and
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

/* ---- which bug models of the catalogue (bugs.h) the answer matches ---- */

#define BP_MAX_MATCHES 4

typedef struct {
    size_t n;                         /* models matched (at most BP_MAX_MATCHES kept) */
    const char *name[BP_MAX_MATCHES]; /* their names, catalogue order */
    char hint[400];                   /* what to say: one model named, an ambiguity, or "" */
} bp_matches;

/* Compare the answer with each model's effect on the case (prev: the previous request's case,
 * for a stale answer; NULL if none). A model matches when its effect differs from the right
 * answer beyond the bounds here, and every quantity the answer gave is within 10 x its bound
 * of that effect (float32: when the answer is within the case's float32 bounds). One match is
 * named; several are stated as an ambiguity; none gives no hint. */
void bp_match_bugs(bp_matches *mt, const bp_answer *ans, const bp_case *prev);

/* An answer that is not JSON because of NaN or Inf. cost_only: whether only the cost is not
 * finite (1), something else is too (0), or unknown (-1). From the case's exact values: a
 * softmax without its maximum can overflow only where a logit exceeds 709.78, and poisons the
 * gradient; ln 0 arises only where an output rounds to 0 or 1, and poisons only the cost. The
 * model that fits, described into buf, an ambiguity, or a plain statement. Returns buf. */
const char *bp_match_nonfinite(const bp_case *c, int cost_only, char *buf, size_t len);

/* An answer in the wrong shapes: a model's signature (transposed-grad, wrong-layer-activations,
 * stale), described into buf, or NULL. what is "grad" or "step"; W the answer's "W" list;
 * prev the previous request's case (NULL: none), whose shapes a stale answer has. */
const char *bp_match_shapes(const bp_case *c, const bp_case *prev, json_t *W, int prev_shapes,
                            char *buf, size_t len);

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

/* The same as a JSON object (counts per family, hints with their counts, the case to look at). */
json_t *bp_summary_json(const bp_summary *s);

#endif
