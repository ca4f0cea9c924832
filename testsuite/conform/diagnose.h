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
    const bp_model *prev_step; /* the previous request's answered step (momentum), or NULL */
} bp_answer;

#define BP_MAX_EVIDENCE 8
#define BP_EVIDENCE_LEN 320

typedef struct {
    size_t n;                          /* wrong tensors described (at most BP_MAX_EVIDENCE) */
    size_t wrong;                      /* wrong tensors in all */
    char evidence[BP_MAX_EVIDENCE][BP_EVIDENCE_LEN]; /* one line each: "grad W^2 (3 x 4): ..." */
    char first[240];                   /* where the pass first goes wrong, with equation IDs */
} bp_findings;

/* Describe what is wrong in ans into f (all zero when nothing is). */
void bp_diagnose(bp_findings *f, const bp_answer *ans);

/* ---- which bug models of the catalogue (bugs.h) the answer matches (hypotheses.c) ---- */

#define BP_MAX_MATCHES 4

typedef struct {
    size_t n;                         /* models named (at most BP_MAX_MATCHES kept) */
    const char *name[BP_MAX_MATCHES]; /* their names */
    int ambiguous;                    /* several explain the answer: none is named */
    int composed;                     /* one model per wrong quantity (name[] in quantity order) */
    char hint[600];                   /* what to say: one model named, an ambiguity, or "" */
} bp_matches;

/* Compare the answer with each model's effect on the case, quantity by quantity (prev: the
 * previous request's case, for a stale answer; NULL if none), as hypotheses.c describes: the
 * model that alone explains the whole answer is named; several are stated as an ambiguity;
 * otherwise the wrong quantities each explained by exactly one model are named as a
 * composition; else no hint. Lower precision is named from its signature alone. */
void bp_match_bugs(bp_matches *mt, const bp_answer *ans, const bp_case *prev);

/* Is the answer's step params - eta x the answer's own gradient, within the step's and the
 * gradient's bounds (10 x, as a model's effect)? Then a wrong step is the wrong gradient's
 * consequence, not a bug of its own. */
int bp_step_follows(const bp_answer *ans);

/* An answer in the wrong shapes: a model's signature (transposed-grad, wrong-layer-activations,
 * stale), described into buf, or NULL. what is "grad" or "step"; W the answer's "W" list;
 * prev the previous request's case (NULL: none), whose shapes a stale answer has. */
const char *bp_match_shapes(const bp_case *c, const bp_case *prev, json_t *W, int prev_shapes,
                            char *buf, size_t len);

/* The models a hint names, comma-separated into buf ("" when it names none). Returns 1 when
 * the hint is an ambiguity ("consistent with ...: A or B"), 0 when it names its models as the
 * explanation. */
int bp_hint_names(const char *hint, char *buf, size_t len);

/* ---- the run: what the failures have in common ---- */

#define BP_SUMMARY_KEYS 64

typedef struct {
    char key[200];
    size_t failed, total;
} bp_tally;

typedef struct {
    bp_tally model[BP_SUMMARY_KEYS], regime[BP_SUMMARY_KEYS], depth[BP_SUMMARY_KEYS];
    bp_tally acts[BP_SUMMARY_KEYS];  /* by activation: "the model's own", or each one a case uses */
    bp_tally hint[BP_SUMMARY_KEYS];  /* failed counts the cases given that hint */
    bp_tally named[BP_SUMMARY_KEYS]; /* ... the cases that name that model (alone or composed) */
    bp_tally first[BP_SUMMARY_KEYS]; /* ... the cases whose first wrong quantity reads so */
    bp_tally pair[BP_SUMMARY_KEYS];  /* ... a composition names that (quantity, model): "cost: A" */
    bp_tally combo[BP_SUMMARY_KEYS]; /* ... that whole composition: "the cost as A and the gradient as B" */
    size_t nmodel, nregime, ndepth, nacts, nhint, nnamed, nfirst, npair, ncombo;
    size_t cases, failed, marginal, unnamed;
    size_t protocol; /* failed with no answer to judge (BP_FAILED_PROTOCOL) */
    char look_at[256]; /* the smallest failing case (fewest parameters x samples) */
    double look_size;
    size_t look_n;     /* its test number */
} bp_summary;

/* bp_summary_add's failed: the case passed; its answer was judged wrong; or it failed with no
 * answer to judge (a crash, a timeout, an answer the protocol refuses), which is no evidence:
 * it names no model and counts against none, and the summary says so apart. */
enum { BP_PASSED = 0, BP_FAILED = 1, BP_FAILED_PROTOCOL = 2 };

/* Count case c, the n-th test point: failed or not (above), its hint (NULL: none), the models
 * the hint names (comma-separated, "" for none or for an ambiguity), where it first goes wrong
 * (NULL: not placed), marginal or not. */
void bp_summary_add(bp_summary *s, const bp_case *c, size_t n, int failed, const char *hint,
                    const char *names, const char *first, int marginal);

/* A "likely bug" is named for a run only when one model is named on at least this share of
 * its failing cases: a model that explains a few of many failures is a coincidence of those
 * cases (m = n_L = 2, say), not the run's bug. */
#define BP_LIKELY_SHARE 0.8

/* The summary as lines each starting with prefix ("# " for TAP, "" for JUnit), into out;
 * empty when nothing failed. */
void bp_summary_format(const bp_summary *s, const char *prefix, char *out, size_t len);

/* The same as a JSON object (counts per family, hints with their counts, the case to look at). */
json_t *bp_summary_json(const bp_summary *s);

#endif
