/* testsuite/bugs/bugs.h: the catalogue of bug models: classic ways to get backpropagation wrong,
 * each with its name, family, the equation IDs it violates, a one-line explanation, and its
 * effect on a case, computed by one buggy pass (bugs.c) in which the model is a switch. The
 * same catalogue serves the mutant adapter (testsuite/adapters/mutant.c, which answers the
 * conformance protocol with a model's effect, so every model is proven to be caught) and the
 * diagnosis (which compares a wrong answer with each model's effect). */
#ifndef BPCHECK_BUGS_H
#define BPCHECK_BUGS_H

#include "fixture.h"

/* One value a family's parameter may take, and what it is known as ("float64's machine
 * epsilon: scikit-learn's log_loss"), or NULL. */
typedef struct {
    double v;
    const char *note;
} bp_bug_value;

typedef struct {
    const char *name;      /* "sigma-prime-of-a" */
    const char *family;    /* "activation derivatives" */
    const char *equations; /* "000:4, 000:5" */
    const char *explain;   /* one line, for a student */
    /* where the bug can be planted in the reference, as "FILE ||| OLD ||| NEW" (the source
     * edit `make check-mutants` applies, testsuite/mutate/run.pl), or NULL */
    const char *plant;
    /* NULL: a fixed formula; else what is fitted to the answer ("eps", "lambda", "u", ...) */
    const char *param;
    /* the evidence the model needs to be told apart: the quantities it changes, and where */
    const char *needs;
    /* the values the parameter is tried at, the first its default, ended by {0, NULL}; NULL
     * for a fixed formula, or for a parameter fitted continuously (one value, the default) */
    const bp_bug_value *values;
} bp_bug;

extern const bp_bug bp_bugs[];
extern const size_t bp_nbugs;

/* "name: explanation (equations)" into buf; returns buf. */
const char *bp_bug_describe(const bp_bug *b, char *buf, size_t len);

/* The model named name, or NULL. */
const bp_bug *bp_bug_find(const char *name);

/* What an implementation with bug b answers for case c (prev: the previous request's case, for
 * a stale answer; NULL if none): cost, gradient, step, and the trace z, a, delta (delta
 * unreduced). Returns 0; 1 when the model does not apply to this case (its shapes, say: the
 * answer would be a shape error), with the reason in err; 2 when the outputs are not finite
 * (the implementation would print NaN or Inf). */
int bp_bug_eval(const bp_bug *b, const bp_case *c, const bp_case *prev, double *cost,
                bp_model *grad, bp_model *step, bp_trace *t, bp_error *err);

/* How the passes of bp_bug_eval compute sigma': 0 stably (the default), 1 as s (1 - s) from the
 * rounded s, as much code of the accepted class does (exactly 0 where s rounds to 1). The
 * diagnosis tries both: a model's effect is what any correct implementation of it computes. */
void bp_bug_variant(int v);

/* The parameter value of a family (bp_bug.param) that the next bp_bug_eval uses; NaN (the
 * start) restores each family's default, its first value. */
void bp_bug_param(double v);

/* The velocity a model of momentum carries into the next bp_bug_eval: the previous step's
 * (params - step) / eta, of the case's shapes; NULL (the start) for none, as at a first step,
 * where momentum's step is the plain one. The diagnosis fits it from the previous answer, the
 * mutant adapter keeps its own. */
void bp_bug_velocity(const bp_model *v);

/* Is b's parameter fitted continuously from the answer (its list holds only the default)? */
int bp_bug_continuous(const bp_bug *b);

/* The default parameter of b: its first value (0 for a fixed formula). */
double bp_bug_default(const bp_bug *b);

#endif
