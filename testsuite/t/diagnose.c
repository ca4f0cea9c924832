/* testsuite/t/diagnose.c: the evidence module (testsuite/conform/diagnose.c), on answers made from a
 * fixture case's expected values with one thing changed: a right answer has no findings; each
 * pattern (every entry, a row, a column, a sample, one entry, scattered) and each shape (a
 * sign, a constant factor, zeros, the transpose, NaN) is named; the first wrong quantity is
 * placed by its equation ID, forward before backward, for each model. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bugs.h"
#include "diagnose.h"
#include "tap.h"

static bp_fixture *fx[3];

static const bp_case *find(const char *id)
{
    for (int i = 0; i < 3; i++)
        for (size_t k = 0; k < fx[i]->ncases; k++)
            if (strcmp(fx[i]->cases[k].id, id) == 0)
                return &fx[i]->cases[k];
    tap_bail_out("no fixture case %s", id);
    return NULL;
}

static void hypotheses(const bp_case *q);

/* A right answer to c: every quantity, copied from the expected values, into owned copies. */
typedef struct {
    double cost;
    bp_model *grad, *step;
    bp_trace *t;
    bp_answer ans;
} answer;

static void answer_init(answer *w, const bp_case *c, int deep)
{
    w->cost = c->cost_value;
    w->grad = bp_model_alloc_like(c->params, NULL);
    w->step = bp_model_alloc_like(c->params, NULL);
    w->t = bp_trace_alloc(c->params, c->batch->m, NULL);
    bp_model_copy(w->grad, c->grad);
    bp_model_copy(w->step, c->step);
    for (size_t l = 1; l <= c->params->L; l++) {
        size_t n = c->batch->m * c->params->n[l] * sizeof(double);
        memcpy(w->t->z[l], c->trace->z[l], n);
        memcpy(w->t->a[l], c->trace->a[l], n);
        memcpy(w->t->delta[l], c->trace->delta[l], n);
    }
    w->ans = (bp_answer){c, c->bounds[BP_FLOAT64], &w->cost, w->grad, w->step, deep ? w->t->z : NULL,
                         deep ? w->t->a : NULL, deep ? w->t->delta : NULL, NULL};
}

static void answer_free(answer *w)
{
    bp_model_free(w->grad), bp_model_free(w->step), bp_trace_free(w->t);
}

/* The findings contain every one of the (NULL-ended) strings, in the evidence or the first. */
static void says(const answer *w, const char *label, ...)
    __attribute__((sentinel));
#include <stdarg.h>
static void says(const answer *w, const char *label, ...)
{
    bp_findings f;
    bp_diagnose(&f, &w->ans);
    char all[BP_MAX_EVIDENCE * (BP_EVIDENCE_LEN + 10) + 300] = "";
    for (size_t i = 0; i < f.n; i++)
        strcat(strcat(all, f.evidence[i]), " | ");
    strcat(strcat(all, "first: "), f.first);
    va_list ap;
    va_start(ap, label);
    int ok = 1;
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL)
        if (!strstr(all, want)) {
            ok = 0;
            tap_diag("missing: '%s'", want);
        }
    va_end(ap);
    if (!tap_ok(ok, "diagnose: %s", label))
        tap_diag("findings: %s", all);
}

int main(void)
{
    static const char *const files[3] = {"quadratic", "loglik", "cross-entropy"};
    for (int i = 0; i < 3; i++) {
        char path[64];
        bp_error err;
        snprintf(path, sizeof path, "fixtures/%s.json", files[i]);
        if (!(fx[i] = bp_fixture_load(path, &err)))
            tap_bail_out("%s", err.msg);
    }
    const bp_case *q = find("quadratic/4-6-5-3/m7/sum/typical");
    answer w;

    answer_init(&w, q, 1);
    bp_findings f;
    bp_diagnose(&f, &w.ans);
    tap_ok(f.n == 0 && f.wrong == 0 && f.first[0] == '\0', "diagnose: a right answer has no findings");
    answer_free(&w);

    answer_init(&w, q, 0);
    for (size_t i = 0; i < 5 * 6; i++)
        w.grad->W[2][i] = -w.grad->W[2][i];
    says(&w, "a sign flip of dC/dW^2 alone: every entry, the sign, layer 2 and 000:7",
         "grad W^2 (5 x 6): 30 of 30 entries wrong, every entry; the sign flipped",
         "first: dC/dW of layer 2 wrong, the layers above right", "000:7 / 002:BP4", "add --deep", NULL);
    answer_free(&w);

    answer_init(&w, q, 0);
    w.grad->W[1][1 * 4 + 2] *= 1.01;
    says(&w, "one entry of W^1", "grad W^1 (6 x 4): 1 of 24 entries wrong, one entry, [1][2]",
         "errors up to 0.01 relative", NULL);
    answer_free(&w);

    answer_init(&w, q, 0);
    for (size_t k = 0; k < 4; k++)
        w.grad->W[1][3 * 4 + k] *= 2.0;
    says(&w, "one row of W^1, doubled", "all of row 3; a constant factor: got = 2 x expected", NULL);
    answer_free(&w);

    answer_init(&w, q, 0);
    for (size_t j = 0; j < 6; j++)
        w.grad->W[1][j * 4 + 1] = 0.0;
    says(&w, "one column of W^1 zeroed", "all of column 1; 0 where a non-zero value is expected", NULL);
    answer_free(&w);

    answer_init(&w, q, 0);
    w.grad->b[3][0] = NAN, w.grad->b[3][2] *= 1.5;
    says(&w, "NaN in dC/db^3", "grad b^3 (3 x 1): 2 of 3 entries wrong, scattered; NaN in 1 of them",
         "first: dC/db of the output layer (layer 3) wrong; the gradient formula is 000:6", NULL);
    answer_free(&w);

    /* --deep: the first wrong quantity, forward before backward */
    answer_init(&w, q, 1);
    for (size_t j = 0; j < 6; j++)
        w.t->delta[1][2 * 6 + j] *= 1.5; /* sample 2 of delta^1 */
    says(&w, "delta^1 wrong in one sample, delta^2 right", "delta^1 (7 x 6): 6 of 42 entries wrong, all of sample 2",
         "first: delta^1 wrong, delta^2 right: 000:5 / 002:BP2 at l = 1", NULL);
    answer_free(&w);

    answer_init(&w, q, 1);
    for (size_t p = 0; p < 7; p++)
        w.t->z[2][p * 5 + 4] += 0.25, w.t->delta[1][p * 6] *= 3; /* neuron 4 of z^2, and delta^1 */
    says(&w, "z^2 wrong in one neuron: the forward pass comes first", "z^2 (7 x 5): 7 of 35 entries wrong, all of neuron 4",
         "first: z^2 wrong, a^{l-1} right: 000:1 / 002:ff at l = 2", NULL);
    answer_free(&w);

    answer_init(&w, q, 1);
    for (size_t i = 0; i < 7 * 3; i++)
        w.t->delta[3][i] = -w.t->delta[3][i];
    says(&w, "delta^L sign-flipped, the forward pass right",
         "first: delta^3 wrong (the output error), the forward pass right: 000:4 / 002:BP1", NULL);
    answer_free(&w);

    answer_init(&w, q, 1);
    w.step->b[2][1] += 0.1;
    says(&w, "only the step", "step b^2 (5 x 1): 1 of 5 entries wrong", "first: the gradient right, the step wrong: 002:sgd",
         NULL);
    answer_free(&w);

    answer_init(&w, q, 1);
    w.cost *= 2;
    says(&w, "only the cost", "first: only the cost wrong, the gradient right: 000:2 / 002:cost", NULL);
    answer_free(&w);

    /* the transpose of a square matrix; the equations of the other models */
    const bp_case *sq = find("quadratic/2-2-1/m7/sum/typical");
    answer_init(&w, sq, 0);
    double t01 = w.grad->W[1][1];
    w.grad->W[1][1] = w.grad->W[1][2], w.grad->W[1][2] = t01;
    says(&w, "dC/dW^1 transposed (2 x 2)", "the answer is the transpose of the expected matrix", NULL);
    answer_free(&w);

    answer_init(&w, find("loglik/4-6-5-3/m7/sum/typical"), 1);
    for (size_t i = 0; i < 7 * 3; i++)
        w.t->delta[3][i] *= 0.5;
    says(&w, "loglik: delta^L wrong is 001:12", "first: delta^3 wrong (the output error), the forward pass right: 001:12",
         NULL);
    answer_free(&w);

    const bp_case *ce = find("cross-entropy/4-6-5-3/m7/sum/soft-targets");
    answer_init(&w, ce, 1);
    for (size_t p = 0; p < 7; p++)
        w.t->a[3][p * 3] *= 1.1;
    says(&w, "cross-entropy: a^L wrong with z^L right is the softmax",
         "first: a^3 wrong, z^3 right: the activation, the softmax (004) at l = 3", NULL);
    answer_free(&w);
    answer_init(&w, ce, 0);
    for (size_t i = 0; i < 3 * 5; i++)
        w.grad->W[3][i] *= 3;
    says(&w, "cross-entropy: dC/dW^L wrong is 004:8", "the gradient formula is 004:8", NULL);
    answer_free(&w);

    /* the run's summary: families, the likely bug, the smallest failing case */
    static bp_summary sum;
    char text[8192];
    bp_summary_format(&sum, "# ", text, sizeof text);
    tap_ok(text[0] == '\0', "summary: nothing when nothing failed");
    /* a model named on 18 of 27 failing cases (67%) is no likely bug: below 80%, the summary
     * says no single model explains them, and gives the commonest first wrong quantity */
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        for (size_t k = 0; k < fx[i]->ncases; k++) {
            const bp_case *c = &fx[i]->cases[k];
            int fails = strstr(c->id, "saturated") != NULL; /* the saturated ones fail */
            const char *names = !fails ? "" : strstr(c->id, "/sum/") ? "factor-2" : "";
            const char *first = strstr(c->id, "saturated-800") ? "delta^1 wrong" : "dC/dW of layer 1 wrong (add --deep ...)";
            bp_summary_add(&sum, c, ++n, fails, *names ? "factor-2: ..." : NULL, names, fails ? first : NULL,
                           strstr(c->id, "saturated-30") != NULL);
        }
    bp_summary_format(&sum, "# ", text, sizeof text);
    int ok = strstr(text, "# Summary: 27 of 211 cases fail (9 of them marginally") &&
             strstr(text, "by model:  quadratic 9 of 66, loglik 9 of 66, cross-entropy 9 of 79") &&
             strstr(text, "by regime: saturated-30 9 of 9, saturated-100 9 of 9, saturated-800 9 of 9; "
                          "8 others without a failure") &&
             !strstr(text, "likely bug") &&
             strstr(text, "no single model explains them (named: factor-2 on 18)\n") &&
             strstr(text, "commonest evidence: \"dC/dW of layer 1 wrong\" on 18 of 27 failing cases") &&
             strstr(text, "no bug named on 9 failing cases") &&
             strstr(text, "look first at: quadratic/2-2-1/m7/sum/saturated-30");
    if (!tap_ok(ok, "summary: failing families by model, regime and depth; a model on 67%% of the failures "
                "is no likely bug; the commonest evidence; the unnamed; the smallest failing case"))
        tap_diag("%s", text);
    /* at 80% it is */
    memset(&sum, 0, sizeof sum);
    for (size_t k = 0; k < 10; k++)
        bp_summary_add(&sum, &fx[0]->cases[k], k + 1, 1, "x", k < 8 ? "factor-2" : k == 8 ? "sign-flipped" : "", NULL, 0);
    bp_summary_format(&sum, "# ", text, sizeof text);
    ok = strstr(text, "likely bug: \"factor-2: the 1/2 of the quadratic cost dropped") &&
         strstr(text, "on 8 of 10 failing cases\n") && strstr(text, "also named: sign-flipped on 1") &&
         strstr(text, "no bug named on 1 failing case:");
    if (!tap_ok(ok, "summary: a model named on 8 of 10 failing cases (80%%) is the likely bug"))
        tap_diag("%s", text);
    /* a failure without an answer (a crash, a timeout) is no evidence: 7 cases named factor-2,
     * 1 unnamed and 2 without an answer make factor-2 the likely bug on 7 of the 8 with one
     * (on 7 of 10 it would not be), and the 2 are said apart, not as unnamed */
    memset(&sum, 0, sizeof sum);
    for (size_t k = 0; k < 10; k++)
        bp_summary_add(&sum, &fx[0]->cases[k], k + 1, k < 8 ? BP_FAILED : BP_FAILED_PROTOCOL,
                       k < 7 ? "x" : NULL, k < 7 ? "factor-2" : "", NULL, 0);
    bp_summary_format(&sum, "# ", text, sizeof text);
    json_t *js = bp_summary_json(&sum);
    ok = strstr(text, "# Summary: 10 of 10 cases fail") && strstr(text, "likely bug: \"factor-2") &&
         strstr(text, "on 7 of 8 failing cases with an answer\n") &&
         strstr(text, "no bug named on 1 failing case:") &&
         strstr(text, "no answer to judge on 2 failing cases (a crash, a timeout") &&
         json_integer_value(json_object_get(js, "protocol")) == 2 &&
         json_integer_value(json_object_get(js, "unnamed")) == 1 &&
         json_is_string(json_object_get(js, "likely"));
    json_decref(js);
    if (!tap_ok(ok, "summary: failures without an answer are no evidence: the likely bug on 7 of the "
                "8 with one, the 2 said apart (text and JSON)"))
        tap_diag("%s", text);
    /* and a run whose every failure is without an answer fits no model and names none */
    memset(&sum, 0, sizeof sum);
    for (size_t k = 0; k < 3; k++)
        bp_summary_add(&sum, &fx[0]->cases[k], k + 1, BP_FAILED_PROTOCOL, NULL, "", NULL, 0);
    bp_summary_format(&sum, "# ", text, sizeof text);
    js = bp_summary_json(&sum);
    ok = strstr(text, "# Summary: 3 of 3 cases fail") &&
         strstr(text, "no answer to judge on 3 failing cases") && !strstr(text, "likely") &&
         !strstr(text, "no single model") && !strstr(text, "no bug named") &&
         !strstr(text, "commonest") && json_is_null(json_object_get(js, "likely"));
    json_decref(js);
    if (!tap_ok(ok, "summary: failures that are all without an answer: no model fitted, none named"))
        tap_diag("%s", text);

    hypotheses(q);
    for (int i = 0; i < 3; i++)
        bp_fixture_free(fx[i]);
    return tap_done();
}

/* The families of hypotheses.c: a parameter fitted and said; one equation in one unknown is
 * no fit; the values of an ambiguity stated. */
static void weight_decay(answer *w, double lambda)
{
    const bp_model *P = w->ans.c->params;
    for (size_t l = 1; l <= P->L; l++)
        for (size_t i = 0; i < P->n[l] * P->n[l - 1]; i++)
            w->step->W[l][i] -= w->ans.c->eta * lambda * P->W[l][i];
}

static void hypotheses(const bp_case *q)
{
    answer w;
    bp_matches mt;
    answer_init(&w, q, 0);
    weight_decay(&w, 1e-4);
    bp_match_bugs(&mt, &w.ans, NULL);
    tap_ok(mt.n == 1 && !mt.ambiguous && strcmp(mt.name[0], "weight-decay") == 0 &&
               strstr(mt.hint, "(lambda = 0.0001, fitted)"),
           "hypotheses: weight decay at 1e-4 is named with lambda fitted: %s", mt.hint);
    answer_free(&w);

    answer_init(&w, q, 0);
    weight_decay(&w, -1e-4); /* a negative penalty is no such code */
    bp_match_bugs(&mt, &w.ans, NULL);
    tap_ok(mt.n == 0, "hypotheses: a 'weight decay' of -1e-4 is named nothing (%s)", mt.hint);
    answer_free(&w);

    answer_init(&w, find("quadratic/1-1/m7/sum/typical"), 0);
    weight_decay(&w, 1e-4);
    bp_match_bugs(&mt, &w.ans, NULL);
    tap_ok(mt.n == 0, "hypotheses: on a 1-1 network one weight fits any lambda: nothing named (%s)", mt.hint);
    answer_free(&w);

    /* the cost alone, as clipped at 1e-15: the same number as ln(a + 1e-15) on this case */
    const bp_case *sat = find("cross-entropy/4-6-5-3/m7/sum/saturated-30");
    const bp_bug *clip = bp_bug_find("clipped-probabilities");
    answer_init(&w, sat, 0);
    bp_model *g = bp_model_alloc_like(sat->params, NULL), *st = bp_model_alloc_like(sat->params, NULL);
    bp_trace *t = bp_trace_alloc(sat->params, sat->batch->m, NULL);
    bp_error err;
    bp_bug_param(1e-15);
    bp_bug_eval(clip, sat, NULL, &w.cost, g, st, t, &err);
    bp_bug_param(NAN);
    bp_match_bugs(&mt, &w.ans, NULL);
    tap_ok(mt.ambiguous && strstr(mt.hint, "clipped-probabilities (eps = 1e-15) or log-eps (eps = 1e-15)") &&
               !strstr(mt.hint, "--deep"),
           "hypotheses: an ambiguity states each model's value, and no --deep where z, a and delta "
           "cannot tell: %s", mt.hint);
    answer_free(&w);

    /* two deviations in one case: the cost without its 1/2 beside the gradient's factor 2 */
    answer_init(&w, q, 0);
    double c2;
    bp_bug_eval(bp_bug_find("cost-no-half"), q, NULL, &c2, g, st, t, &err);
    w.cost = c2;
    bp_bug_eval(bp_bug_find("factor-2"), q, NULL, &c2, w.grad, w.step, t, &err);
    bp_match_bugs(&mt, &w.ans, NULL);
    int ok = mt.composed && mt.n == 2 && strstr(mt.hint, "the cost as cost-no-half: ") &&
             strstr(mt.hint, "; and the gradient as factor-2: ") &&
             strstr(mt.hint, "; the step follows the answered gradient");
    tap_ok(ok, "hypotheses: the cost as one model and the gradient as another name both: %s", mt.hint);
    static bp_summary sum;
    char text[8192];
    for (size_t k = 0; k < 10; k++)
        bp_summary_add(&sum, q, k + 1, 1, mt.hint, k < 9 ? "cost-no-half, factor-2" : "", NULL, 0);
    bp_summary_format(&sum, "# ", text, sizeof text);
    if (!tap_ok(strstr(text, "likely bugs: the cost as cost-no-half and the gradient as factor-2, on 9 of 10 "
                             "failing cases\n") != NULL,
                "summary: a composition on 9 of 10 failing cases is the likely pair of bugs"))
        tap_diag("%s", text);
    bp_model_free(g), bp_model_free(st), bp_trace_free(t);
    answer_free(&w);
}
