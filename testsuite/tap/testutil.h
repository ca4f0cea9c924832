/* testsuite/tap/testutil.h: what several test programs share: running a program and reading
 * its output, and seeded random models and batches. */
#ifndef BPCHECK_TESTUTIL_H
#define BPCHECK_TESTUTIL_H

#include "model.h"

/* Run `cmd` with /bin/sh; its stdout into *out (caller frees). Returns its exit status, or -1
 * if it did not exit normally. The caller's redirections (2>&1 >/dev/null etc.) apply. Bails
 * out of the TAP stream if the command cannot be started. */
int tu_run(const char *cmd, char **out);

/* Run a shell command line made like printf; stdout and stderr together into *out (caller
 * frees); the exit status, as tu_run. */
int tu_sh(char **out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The last closing line "P passed, F failed, S skipped" of a conformance run's output: 1 and
 * the counts if there is one, else 0. */
int tu_summary(const char *out, long *p, long *f, long *s);

/* The names a conformance run's output gives, for a bug whose true model is `truth` ("" for
 * a bug outside the catalogue: then every name is misleading), counted from each failing
 * case's YAML (`named: [...]`, `candidates: [...]`, `first_wrong:`, `hint:`) and the summary's
 * `likely bug:`. A case NAMES the truth when `named:` lists it alone; a name of another model,
 * or candidates that leave the truth out, MISLEAD; candidates with the truth are ambiguous. */
typedef struct {
    size_t failing, named, ambiguous, misleading, localised, hinted;
    int likely_wrong; /* the summary's likely bug is another model */
    char likely[64];  /* the summary's likely bug, or "" */
} tu_tally;
void tu_count_names(const char *out, const char *truth, tu_tally *t);

/* A directory or program the test needs from the environment (set by make check); bails out
 * with a message naming the variable if it is missing. */
const char *tu_env(const char *name);

/* A model of the given sizes ("2,2,1") initialised from seed, and a batch of m samples for
 * it (bp_batch_fill), from seed + 1. Bail out on failure. */
bp_model *tu_model(const char *sizes, unsigned long seed);
bp_batch *tu_batch(const bp_model *model, size_t m, unsigned long seed);

/* The cost of a canonical model as a function of its flat parameter vector, for the oracles
 * (a gc_cost_fn): work receives theta, then bp_cost_value (each model's literal reference). */
typedef struct {
    bp_cost model;
    bp_model *work;
    const bp_batch *batch;
    bp_reduction red;
} tu_cost_ctx;
double tu_cost_of_theta(const double *theta, void *ctx);

/* A new temporary file holding text; its name, valid until the next call (the caller unlinks). */
const char *tu_temp_file(const char *text);

/* The magnitude pass of a canonical model over a trace: output magnitudes DL (m x n_L, one
 * row per sample) propagated to the layers below with |W| and sigma'(z), accumulated as
 * sum_p D^l_i |a^{l-1}_j| (W) and sum_p D^l_i (b) into g. With DL bounding |delta^L| and the
 * scale of its rounding, g bounds every term of every gradient entry, which is what two
 * evaluations that differ only in rounding are compared against. */
void tu_magnitude(bp_model *g, const bp_model *m, const bp_trace *t, const double *DL);

#endif
