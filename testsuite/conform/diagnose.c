/* testsuite/conform/diagnose.c: evidence about a wrong answer (diagnose.h).
 * Legend: l = layer (1..L), a tensor is rows x cols: W^l is n_l x n_{l-1} (j, k), b^l is n_l,
 * z, a, delta of layer l are m x n_l (sample p, neuron j). An entry is wrong when it is beyond
 * its bound (NaN always is). */
#include "diagnose.h"

#include "bugs.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* The equation of each step of the pass, by model: what a user looks up. */
typedef enum { EQ_Z, EQ_A, EQ_DELTA_OUT, EQ_DELTA_HIDDEN, EQ_GRAD_B, EQ_GRAD_W, EQ_COST, EQ_STEP } step_id;

static const char *equation(bp_cost cost, step_id s, int output_layer)
{
    static const char *const quad[] = {"000:1 / 002:ff", "000:1 (sigma)", "000:4 / 002:BP1",
                                       "000:5 / 002:BP2", "000:6 / 002:BP3", "000:7 / 002:BP4",
                                       "000:2 / 002:cost", "002:sgd"};
    static const char *const ll[] = {"001:1", "001:13 (sigma)", "001:12", "001:7, 001:8 (000:5)",
                                     "001:5 (000:6)", "001:6 (000:7)", "001:12", "002:sgd"};
    static const char *const ce[] = {"000:1 / 002:ff", "000:1 (sigma)", "004:7", "004:12 (000:5)",
                                     "004:11 (000:6)", "004:10 (000:7)", "004:cost", "002:sgd"};
    if (cost == BP_CROSS_ENTROPY && output_layer) {
        if (s == EQ_A)
            return "the softmax (004)";
        if (s == EQ_GRAD_B)
            return "004:9";
        if (s == EQ_GRAD_W)
            return "004:8";
    }
    return (cost == BP_QUADRATIC ? quad : cost == BP_LOGLIK ? ll : ce)[s];
}

static int wrong(double got, double exp, double bound)
{
    return !(fabs(got - exp) <= bound);
}

/* Same value up to a relative 1e-6 (a shape of the error, not a verdict). */
static int near(double x, double y)
{
    return fabs(x - y) <= 1e-6 * fmax(fabs(x), fabs(y));
}

/* One tensor: how many entries are wrong, which, and in what shape, as a line into out.
 * rows x cols row-major; rname/cname say what a row and a column are ("row", "sample"...).
 * Returns the number of wrong entries. */
static size_t tensor(char *out, size_t len, const char *name, const double *got, const double *exp,
                     const double *bound, size_t rows, size_t cols, const char *rname,
                     const char *cname)
{
    size_t bad = 0, first = 0, n = rows * cols;
    int one_row = 1, one_col = 1;
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        if (bad == 0)
            first = i;
        one_row &= i / cols == first / cols;
        one_col &= i % cols == first % cols;
        bad++;
    }
    if (bad == 0)
        return 0;
    char which[96], shape[120] = "";
    size_t r = first / cols, cidx = first % cols;
    if (bad == 1)
        snprintf(which, sizeof which, cols > 1 ? "one entry, [%zu][%zu]" : "one entry, [%zu]", r, cidx);
    else if (bad == n)
        snprintf(which, sizeof which, "every entry");
    else if (one_row && rows > 1)
        snprintf(which, sizeof which, "%s of %s %zu", bad == cols ? "all" : "some", rname, r);
    else if (one_col && cols > 1)
        snprintf(which, sizeof which, "%s of %s %zu", bad == rows ? "all" : "some", cname, cidx);
    else
        snprintf(which, sizeof which, "scattered");
    /* the shape, over the wrong entries: zeros, a constant ratio (a sign), the transpose */
    int zeros = 1, ratio_ok = 1, nonfinite = 0;
    double ratio = NAN, worst_rel = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        nonfinite |= !isfinite(got[i]);
        zeros &= got[i] == 0.0 && exp[i] != 0.0;
        if (exp[i] != 0.0) {
            double q = got[i] / exp[i];
            if (isnan(ratio))
                ratio = q;
            ratio_ok &= near(q, ratio);
            worst_rel = fmax(worst_rel, fabs(got[i] - exp[i]) / fabs(exp[i]));
        } else {
            ratio_ok = 0;
        }
    }
    int transposed = rows == cols && rows > 1;
    for (size_t i = 0; transposed && i < n; i++)
        transposed = !wrong(got[i], exp[(i % cols) * cols + i / cols], bound[i]);
    if (nonfinite)
        snprintf(shape, sizeof shape, "; NaN or Inf among them");
    else if (zeros)
        snprintf(shape, sizeof shape, "; 0 where a non-zero value is expected");
    else if (transposed)
        snprintf(shape, sizeof shape, "; the answer is the transpose of the expected matrix");
    else if (ratio_ok && !isnan(ratio) && bad > 1 && near(ratio, -1.0))
        snprintf(shape, sizeof shape, "; the sign flipped (got = -expected)");
    else if (ratio_ok && !isnan(ratio) && bad > 1 && !near(ratio, 1.0))
        snprintf(shape, sizeof shape, "; a constant factor: got = %.6g x expected", ratio);
    else if (worst_rel > 0)
        snprintf(shape, sizeof shape, "; errors up to %.2g relative", worst_rel);
    snprintf(out, len, "%s (%zu x %zu): %zu of %zu entries wrong, %s%s", name, rows, cols, bad, n,
             which, shape);
    return bad;
}

static void add(bp_findings *f, const char *line)
{
    if (f->n < BP_MAX_EVIDENCE)
        snprintf(f->evidence[f->n++], sizeof f->evidence[0], "%s", line);
    f->wrong++;
}

void bp_diagnose(bp_findings *f, const bp_answer *ans)
{
    memset(f, 0, sizeof *f);
    const bp_case *c = ans->c;
    const bp_bounds *B = ans->B;
    const bp_model *P = c->params;
    size_t L = P->L, m = c->batch->m;
    char line[200], name[32];
    int cost_bad = ans->cost && wrong(*ans->cost, c->cost_value, B->cost);
    if (cost_bad) {
        snprintf(line, sizeof line, "cost: got %.17g, expected %.17g (bound %.2g)", *ans->cost,
                 c->cost_value, B->cost);
        add(f, line);
    }
    /* per layer: which of z, a, delta, dC/dW, dC/db, the step are wrong */
    int zb[BP_MAX_LAYERS + 1] = {0}, ab[BP_MAX_LAYERS + 1] = {0}, db[BP_MAX_LAYERS + 1] = {0};
    int gw[BP_MAX_LAYERS + 1] = {0}, gb[BP_MAX_LAYERS + 1] = {0}, step_bad = 0;
    double *const *tr[3] = {ans->z, ans->a, ans->delta};
    double *const *ex[3] = {c->trace->z, c->trace->a, c->trace->delta};
    double *const *bd[3] = {B->trace->z, B->trace->a, B->trace->delta};
    int *flag[3] = {zb, ab, db};
    static const char *const qn[3] = {"z", "a", "delta"};
    const bp_model *pm[2] = {ans->grad, ans->step}, *pe[2] = {c->grad, c->step}, *pb[2] = {B->grad, B->step};
    static const char *const pn[2] = {"grad", "step"};
    /* the gradient first, then z, a and delta, then the step (which follows the gradient) */
    for (int q = 0; q < 2; q++) {
        for (size_t l = 1; q == 1 && l <= L; l++)
            for (int k = 0; k < 3; k++)
                if (tr[k]) {
                    snprintf(name, sizeof name, "%s^%zu", qn[k], l);
                    flag[k][l] = tensor(line, sizeof line, name, tr[k][l], ex[k][l], bd[k][l], m, P->n[l],
                                        "sample", "neuron") > 0;
                    if (flag[k][l])
                        add(f, line);
                }
        for (size_t l = 1; pm[q] && l <= L; l++) {
            size_t J = P->n[l], K = P->n[l - 1];
            snprintf(name, sizeof name, "%s W^%zu", pn[q], l);
            size_t w = tensor(line, sizeof line, name, pm[q]->W[l], pe[q]->W[l], pb[q]->W[l], J, K, "row",
                              "column");
            if (w)
                add(f, line);
            snprintf(name, sizeof name, "%s b^%zu", pn[q], l);
            size_t b = tensor(line, sizeof line, name, pm[q]->b[l], pe[q]->b[l], pb[q]->b[l], J, 1, "entry",
                              "");
            if (b)
                add(f, line);
            if (q == 0)
                gw[l] = w > 0, gb[l] = b > 0;
            else
                step_bad |= w || b;
        }
    }
    /* where the pass first goes wrong: forward from layer 1, then backward from L */
    bp_cost C = c->cost;
    for (size_t l = 1; l <= L && !f->first[0]; l++) {
        if (zb[l])
            snprintf(f->first, sizeof f->first, "z^%zu wrong, %s right: %s at l = %zu", l,
                     l == 1 ? "the input a^0 = x" : "a^{l-1}", equation(C, EQ_Z, l == L), l);
        else if (ab[l] && ans->z)
            snprintf(f->first, sizeof f->first, "a^%zu wrong, z^%zu right: the activation, %s at l = %zu",
                     l, l, equation(C, EQ_A, l == L), l);
    }
    if (!f->first[0] && ans->delta) {
        if (db[L])
            snprintf(f->first, sizeof f->first, "delta^%zu wrong (the output error)%s: %s", L,
                     ans->z ? ", the forward pass right" : "", equation(C, EQ_DELTA_OUT, 1));
        for (size_t l = L - 1; l >= 1 && !f->first[0]; l--)
            if (db[l])
                snprintf(f->first, sizeof f->first, "delta^%zu wrong, delta^%zu right: %s at l = %zu", l,
                         l + 1, equation(C, EQ_DELTA_HIDDEN, 0), l);
    }
    for (size_t l = L; l >= 1 && !f->first[0]; l--) {
        if (!gw[l] && !gb[l])
            continue;
        const char *what = gw[l] && gb[l] ? "dC/dW and dC/db" : gw[l] ? "dC/dW" : "dC/db";
        const char *eq = gw[l] && gb[l] ? "" : equation(C, gw[l] ? EQ_GRAD_W : EQ_GRAD_B, l == L);
        if (ans->delta)
            snprintf(f->first, sizeof f->first, "delta right, %s of layer %zu wrong%s%s", what, l,
                     *eq ? ": " : "", eq);
        else
            snprintf(f->first, sizeof f->first, "%s of %s %zu wrong%s%s%s (add --deep to compare z, a "
                     "and delta)", what, l == L ? "the output layer," : "layer", l,
                     l == L ? "" : ", the layers above right", *eq ? "; the gradient formula is " : "", eq);
    }
    if (!f->first[0] && step_bad)
        snprintf(f->first, sizeof f->first, "the gradient right, the step wrong: %s", equation(C, EQ_STEP, 0));
    if (!f->first[0] && cost_bad)
        snprintf(f->first, sizeof f->first, "only the cost wrong%s: %s",
                 ans->grad ? ", the gradient right" : "", equation(C, EQ_COST, 0));
}

/* ---- answers in the wrong shapes (the fitted hypotheses are in hypotheses.c) ---- */

const char *bp_match_shapes(const bp_case *c, const bp_case *prev, json_t *W, int prev_shapes,
                            char *buf, size_t len)
{
    if (prev_shapes && prev)
        return bp_bug_describe(bp_bug_find("stale"), buf, len);
    for (size_t l = 1; json_is_array(W) && l <= c->params->L; l++) {
        json_t *Wl = json_array_get(W, l - 1);
        size_t J = c->params->n[l], K = c->params->n[l - 1];
        size_t rows = json_array_size(Wl), cols = json_array_size(json_array_get(Wl, 0));
        if (J != K && rows == K && cols == J)
            return bp_bug_describe(bp_bug_find("transposed-grad"), buf, len);
        if (rows == J && cols != K && cols == J)
            return bp_bug_describe(bp_bug_find("wrong-layer-activations"), buf, len);
    }
    return NULL;
}

/* ---- the run ---- */

static void tally(bp_tally *t, size_t *n, const char *key, int failed)
{
    size_t i = 0;
    while (i < *n && strcmp(t[i].key, key) != 0)
        i++;
    if (i == *n) {
        if (*n == BP_SUMMARY_KEYS)
            return;
        snprintf(t[i].key, sizeof t[i].key, "%s", key);
        t[i].failed = t[i].total = 0;
        (*n)++;
    }
    t[i].total++;
    t[i].failed += failed != 0;
}

void bp_summary_add(bp_summary *s, const bp_case *c, size_t n, int failed, const char *hint,
                    int marginal)
{
    char depth[24];
    const char *regime = strrchr(c->id, '/');
    snprintf(depth, sizeof depth, "L = %zu", c->params->L);
    tally(s->model, &s->nmodel, bp_cost_name(c->cost), failed);
    tally(s->regime, &s->nregime, regime ? regime + 1 : c->id, failed);
    tally(s->depth, &s->ndepth, depth, failed);
    s->cases++;
    if (!failed)
        return;
    s->failed++;
    s->marginal += marginal != 0;
    if (hint)
        tally(s->hint, &s->nhint, hint, 1);
    else
        s->unnamed++;
    double size = (double)c->params->nparams * (double)c->batch->m;
    if (!s->look_at[0] || size < s->look_size) {
        snprintf(s->look_at, sizeof s->look_at, "%s", c->id);
        s->look_size = size, s->look_n = n;
    }
}

/* "quadratic 20 of 66, loglik 0 of 66": the keys with a failure, then how many keys had none */
static size_t tallies(char *out, size_t len, const bp_tally *t, size_t n)
{
    size_t o = 0, clean = 0;
    for (size_t i = 0; i < n && o < len; i++) {
        if (!t[i].failed) {
            clean++;
            continue;
        }
        o += (size_t)snprintf(out + o, len - o, "%s%s %zu of %zu", o ? ", " : "", t[i].key, t[i].failed,
                              t[i].total);
    }
    if (clean && o < len)
        o += (size_t)snprintf(out + o, len - o, "%s%zu other%s without a failure", o ? "; " : "", clean,
                              clean == 1 ? "" : "s");
    return o;
}

void bp_summary_format(const bp_summary *s, const char *prefix, char *out, size_t len)
{
    out[0] = '\0';
    if (!s->failed)
        return;
    size_t o = 0;
    char line[2048];
#define PUT(...) (o < len ? (o += (size_t)snprintf(out + o, len - o, __VA_ARGS__)) : 0)
    PUT("%sSummary: %zu of %zu cases fail", prefix, s->failed, s->cases);
    if (s->marginal)
        PUT(" (%zu of them marginally: within 10 x their bounds)", s->marginal);
    PUT(".\n");
    tallies(line, sizeof line, s->model, s->nmodel);
    PUT("%s  by model:  %s\n", prefix, line);
    tallies(line, sizeof line, s->regime, s->nregime);
    PUT("%s  by regime: %s\n", prefix, line);
    tallies(line, sizeof line, s->depth, s->ndepth);
    PUT("%s  by depth:  %s\n", prefix, line);
    /* the hints, most frequent first (at most two), and how many failures none explains */
    size_t best[2] = {SIZE_MAX, SIZE_MAX};
    for (size_t i = 0; i < s->nhint; i++) {
        if (best[0] == SIZE_MAX || s->hint[i].failed > s->hint[best[0]].failed)
            best[1] = best[0], best[0] = i;
        else if (best[1] == SIZE_MAX || s->hint[i].failed > s->hint[best[1]].failed)
            best[1] = i;
    }
    for (int k = 0; k < 2; k++)
        if (best[k] != SIZE_MAX)
            PUT("%s  %s: \"%s\" on %zu of %zu failing cases%s\n", prefix, k ? "then" : "likely bug",
                s->hint[best[k]].key, s->hint[best[k]].failed, s->failed,
                s->hint[best[k]].failed == s->failed ? " (all of them)" : "");
    if (s->unnamed)
        PUT("%s  no bug named on %zu failing case%s: read their evidence\n", prefix, s->unnamed,
            s->unnamed == 1 ? "" : "s");
    PUT("%s  look first at: %s (test %zu, the smallest failing case)\n", prefix, s->look_at, s->look_n);
#undef PUT
}

static json_t *tallies_json(const bp_tally *t, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, t[i].key, json_pack("{s:I, s:I}", "failed", (json_int_t)t[i].failed, "cases",
                                                   (json_int_t)t[i].total));
    return o;
}

json_t *bp_summary_json(const bp_summary *s)
{
    json_t *hints = json_array();
    for (size_t i = 0; i < s->nhint; i++)
        json_array_append_new(hints, json_pack("{s:s, s:I}", "hint", s->hint[i].key, "cases",
                                               (json_int_t)s->hint[i].failed));
    json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I}", "cases", (json_int_t)s->cases,
                          "failed", (json_int_t)s->failed, "marginal", (json_int_t)s->marginal, "by_model",
                          tallies_json(s->model, s->nmodel), "by_regime", tallies_json(s->regime, s->nregime),
                          "by_depth", tallies_json(s->depth, s->ndepth), "hints", hints, "unnamed",
                          (json_int_t)s->unnamed);
    if (s->look_at[0])
        json_object_set_new(o, "look_at", json_pack("{s:s, s:I}", "id", s->look_at, "n", (json_int_t)s->look_n));
    return o;
}

/* ---- what a hint names ---- */

int bp_hint_names(const char *hint, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!hint)
        return 0;
    size_t o = 0;
    int amb = strncmp(hint, "consistent with", 15) == 0;
    const char *p = amb ? strstr(hint, ": ") : hint;
    if (!p)
        return 0;
    p += amb ? 2 : 0;
    while (*p && o < len) {
        size_t n = strcspn(p, amb ? " ;" : ":");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        if (bp_hint_model(name))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", name);
        if (!amb) /* composed: "A: ...; and B: ..." names the next one after "; and " */
            p = strstr(p, "; and ") ? strstr(p, "; and ") + 6 : "";
        else if (strncmp(p + n, " or ", 4) == 0)
            p += n + 4;
        else
            break;
    }
    return amb;
}

int bp_hint_model(const char *name)
{
    return bp_bug_find(name) != NULL;
}
