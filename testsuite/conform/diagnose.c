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

/* ---- a constant factor, fitted, and recognised as a simple number of the case ---- */

/* What the evidence is judged against: the case (its m, n_L, eta) and the unit roundoff of
 * the profile, so that a float32 answer's ratios are compared at float32's precision. */
typedef struct {
    const bp_case *c;
    double u;
} ctx;

/* Does got = k x exp hold on every wrong entry, within k x its bound (the bound scales with
 * the value) plus 4 units of the profile's roundoff (the one more rounding of the scaling)? */
static int is_factor(const double *got, const double *exp, const double *bound, size_t n, double k,
                     double u)
{
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        double want = k * exp[i];
        if (!(fabs(got[i] - want) <= 10.0 * fabs(k) * bound[i] + 4.0 * u * fabs(want)))
            return 0;
    }
    return 1;
}

/* The least-squares factor over the wrong entries into *k (NAN when one of them is expected
 * to be 0, or is not finite), and whether every wrong entry fits it. */
static int fit_factor(const double *got, const double *exp, const double *bound, size_t n, double u,
                      double *k)
{
    double ge = 0.0, ee = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        if (exp[i] == 0.0 || !isfinite(got[i])) {
            *k = NAN;
            return 0;
        }
        ge += got[i] * exp[i], ee += exp[i] * exp[i];
    }
    *k = ee > 0 ? ge / ee : NAN;
    return isfinite(*k) && is_factor(got, exp, bound, n, *k, u);
}

/* The simple numbers a factor is recognised as ("2", "1/m", "n_L m", "eta", ...): those that
 * fit every wrong entry, joined by " = " ("2 = m = n_L" when m = n_L = 2), into label, and the
 * value of the first into *v. 0 when none fits. */
static int recognise(const ctx *x, const double *got, const double *exp, const double *bound, size_t n,
                     char *label, size_t len, double *v)
{
    double m = (double)x->c->batch->m, nl = (double)x->c->params->n[x->c->params->L], eta = x->c->eta;
    const struct {
        double v;
        const char *s;
    } cand[] = {{-1.0, "-1"}, {2.0, "2"}, {0.5, "1/2"}, {m, "m"}, {1 / m, "1/m"}, {nl, "n_L"}, {1 / nl, "1/n_L"},
                {nl * m, "n_L m"}, {1 / (nl * m), "1/(n_L m)"}, {eta, "eta"}, {1 / eta, "1/eta"}, {-eta, "-eta"}};
    size_t o = 0;
    label[0] = '\0';
    for (size_t i = 0; i < sizeof cand / sizeof *cand; i++) {
        if (cand[i].v == 1.0 || !isfinite(cand[i].v) || !is_factor(got, exp, bound, n, cand[i].v, x->u))
            continue;
        if (!o)
            *v = cand[i].v;
        o += (size_t)snprintf(label + o, o < len ? len - o : 0, "%s%s", o ? " = " : "", cand[i].s);
    }
    return o > 0;
}

/* The factor as words: "got = 2 x expected (2 = m)", "got = expected / 3 (1/n_L)". */
static void say_factor(char *out, size_t len, double k, const char *label)
{
    double r = 1.0 / k;
    if (label && fabs(k) < 1.0 && fabs(r - nearbyint(r)) <= 1e-9 * fabs(r))
        snprintf(out, len, "got = expected / %.6g (%s)", r, label);
    else if (label)
        snprintf(out, len, "got = %.6g x expected (%s)", k, label);
    else
        snprintf(out, len, "got = %.6g x expected", k);
}

/* What a recognised factor of the cost means, in words ("" when nothing simple). */
static const char *cost_meaning(const bp_case *c, double v)
{
    double m = (double)c->batch->m, nl = (double)c->params->n[c->params->L];
    if (v == -1.0)
        return "the sign flipped";
    if (v == 2.0 && c->cost == BP_QUADRATIC)
        return "the 1/2 of the quadratic cost left out";
    if (v == 1 / nl)
        return "a mean over the outputs as well";
    if (v == 1 / (nl * m))
        return c->red == BP_SUM ? "a mean over every output of every sample, where the sum was asked"
                                : "a mean over the outputs as well";
    if (v == 1 / m && c->red == BP_SUM)
        return "a mean over the batch where the sum was asked";
    if (v == m && c->red == BP_MEAN)
        return "the sum over the batch where the mean was asked";
    return "";
}

/* One tensor: how many entries are wrong, which, and in what shape, as a line into out.
 * rows x cols row-major; rname/cname say what a row and a column are ("row", "sample"...).
 * Returns the number of wrong entries. */
static size_t tensor(const ctx *x, char *out, size_t len, const char *name, const double *got,
                     const double *exp, const double *bound, size_t rows, size_t cols, const char *rname,
                     const char *cname)
{
    size_t bad = 0, first = 0, n = rows * cols, nan = 0, inf = 0;
    int one_row = 1, one_col = 1;
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        if (bad == 0)
            first = i;
        one_row &= i / cols == first / cols;
        one_col &= i % cols == first % cols;
        nan += isnan(got[i]), inf += isinf(got[i]);
        bad++;
    }
    if (bad == 0)
        return 0;
    char which[96], shape[160] = "";
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
    /* the shape, over the wrong entries: NaN, zeros, the transpose, a constant factor */
    int zeros = 1;
    double worst_rel = 0.0, k, v;
    for (size_t i = 0; i < n; i++) {
        if (!wrong(got[i], exp[i], bound[i]))
            continue;
        zeros &= got[i] == 0.0 && exp[i] != 0.0;
        if (exp[i] != 0.0)
            worst_rel = fmax(worst_rel, fabs(got[i] - exp[i]) / fabs(exp[i]));
    }
    int transposed = rows == cols && rows > 1;
    for (size_t i = 0; transposed && i < n; i++)
        transposed = !wrong(got[i], exp[(i % cols) * cols + i / cols], bound[i]);
    char label[64], words[120];
    if (nan || inf)
        snprintf(shape, sizeof shape, "; %s in %zu of them", !inf ? "NaN" : !nan ? "Inf" : "NaN or Inf",
                 nan + inf);
    else if (zeros)
        snprintf(shape, sizeof shape, "; 0 where a non-zero value is expected");
    else if (transposed)
        snprintf(shape, sizeof shape, "; the answer is the transpose of the expected matrix");
    else if (bad > 1 && fit_factor(got, exp, bound, n, x->u, &k)) {
        int known = recognise(x, got, exp, bound, n, label, sizeof label, &v);
        if (known && v == -1.0) {
            snprintf(shape, sizeof shape, "; the sign flipped (got = -expected)");
        } else {
            say_factor(words, sizeof words, known ? v : k, known ? label : NULL);
            snprintf(shape, sizeof shape, "; a constant factor: %s", words);
        }
    } else if (worst_rel > 0)
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

/* Which tensors of an answer are wrong, layer by layer (for where the pass first goes wrong). */
typedef struct {
    int z[BP_MAX_LAYERS + 1], a[BP_MAX_LAYERS + 1], delta[BP_MAX_LAYERS + 1];
    int gw[BP_MAX_LAYERS + 1], gb[BP_MAX_LAYERS + 1];
    int step, cost;
} wrongs;

/* The cost's line: got and expected, and their ratio, recognised, and what it means. */
static void describe_cost(bp_findings *f, const ctx *x, const bp_answer *ans)
{
    const bp_case *c = ans->c;
    char line[BP_EVIDENCE_LEN], label[64], words[200] = "";
    double v;
    if (isfinite(*ans->cost) && c->cost_value != 0.0) {
        if (recognise(x, ans->cost, &c->cost_value, &ans->B->cost, 1, label, sizeof label, &v)) {
            const char *mean = cost_meaning(c, v);
            say_factor(words, sizeof words, v, label);
            if (*mean)
                snprintf(words + strlen(words), sizeof words - strlen(words), ": %s", mean);
        } else {
            say_factor(words, sizeof words, *ans->cost / c->cost_value, NULL);
        }
    }
    snprintf(line, sizeof line, "cost: got %.17g, expected %.17g (bound %.2g)%s%s", *ans->cost,
             c->cost_value, ans->B->cost, *words ? "; " : "", words);
    add(f, line);
}

/* z, a and delta of every layer given, a line for each wrong one, into w. */
static void describe_trace(bp_findings *f, const ctx *x, const bp_answer *ans, wrongs *w)
{
    const bp_case *c = ans->c;
    const bp_bounds *B = ans->B;
    double *const *tr[3] = {ans->z, ans->a, ans->delta};
    double *const *ex[3] = {c->trace->z, c->trace->a, c->trace->delta};
    double *const *bd[3] = {B->trace->z, B->trace->a, B->trace->delta};
    int *flag[3] = {w->z, w->a, w->delta};
    static const char *const qn[3] = {"z", "a", "delta"};
    char line[BP_EVIDENCE_LEN], name[32];
    for (size_t l = 1; l <= c->params->L; l++)
        for (int k = 0; k < 3; k++)
            if (tr[k]) {
                snprintf(name, sizeof name, "%s^%zu", qn[k], l);
                flag[k][l] = tensor(x, line, sizeof line, name, tr[k][l], ex[k][l], bd[k][l], c->batch->m,
                                    c->params->n[l], "sample", "neuron") > 0;
                if (flag[k][l])
                    add(f, line);
            }
}

/* The gradient (q 0) or the step (q 1), a line for each wrong W^l and b^l, into w; a step that
 * is wrong only as the answered gradient is gets one line saying so. */
static void describe_params(bp_findings *f, const ctx *x, const bp_answer *ans, int q, wrongs *w)
{
    const bp_case *c = ans->c;
    const bp_model *P = c->params, *got = q ? ans->step : ans->grad, *exp = q ? c->step : c->grad,
                   *bnd = q ? ans->B->step : ans->B->grad;
    const char *pn = q ? "step" : "grad";
    char line[BP_EVIDENCE_LEN], name[32];
    int follows = q == 1 && got && bp_step_follows(ans);
    for (size_t l = 1; got && l <= P->L; l++) {
        size_t J = P->n[l], K = P->n[l - 1];
        snprintf(name, sizeof name, "%s W^%zu", pn, l);
        size_t bw = tensor(x, line, sizeof line, name, got->W[l], exp->W[l], bnd->W[l], J, K, "row", "column");
        if (bw)
            add(f, line);
        snprintf(name, sizeof name, "%s b^%zu", pn, l);
        size_t bb = tensor(x, line, sizeof line, name, got->b[l], exp->b[l], bnd->b[l], J, 1, "entry", "");
        if (bb)
            add(f, line);
        if (q == 0)
            w->gw[l] = bw > 0, w->gb[l] = bb > 0;
        else
            w->step |= bw || bb;
    }
    if (follows && w->step) { /* one line for the step: it is the gradient's doing */
        while (f->n && strncmp(f->evidence[f->n - 1], "step ", 5) == 0)
            f->n--, f->wrong--;
        add(f, "step: wrong as the gradient is: params - eta x the answered gradient");
    }
}

/* Where the forward pass first goes wrong (z, then a, from layer 1), into f->first. */
static void first_forward(bp_findings *f, const bp_answer *ans, const wrongs *w)
{
    const bp_case *c = ans->c;
    bp_cost C = c->cost;
    size_t L = c->params->L;
    for (size_t l = 1; l <= L && !f->first[0]; l++) {
        if (w->z[l])
            snprintf(f->first, sizeof f->first, "z^%zu wrong, %s right: %s at l = %zu", l,
                     l == 1 ? "the input a^0 = x" : "a^{l-1}", equation(C, EQ_Z, l == L), l);
        else if (w->a[l] && ans->z) {
            bp_act fl = bp_layer_act(c->params, C, l);
            char eq[64];
            if (C == BP_CROSS_ENTROPY && l == L)
                snprintf(eq, sizeof eq, "%s", equation(C, EQ_A, 1));
            else /* the layer's own f: "000:1 (sigma)" would be wrong for an identity layer */
                snprintf(eq, sizeof eq, "%s (f = %s)", C == BP_LOGLIK ? "001:13" : "000:1", bp_act_name(fl));
            snprintf(f->first, sizeof f->first, "a^%zu wrong, z^%zu right: the activation, %s at l = %zu",
                     l, l, eq, l);
        }
    }
}

/* Where the backward pass first goes wrong (delta from L down, then dC/dW and dC/db, then the
 * step and the cost), into f->first unless the forward pass was. */
static void first_backward(bp_findings *f, const bp_answer *ans, const wrongs *w)
{
    bp_cost C = ans->c->cost;
    size_t L = ans->c->params->L;
    if (!f->first[0] && ans->delta) {
        if (w->delta[L])
            snprintf(f->first, sizeof f->first, "delta^%zu wrong (the output error)%s: %s", L,
                     ans->z ? ", the forward pass right" : "", equation(C, EQ_DELTA_OUT, 1));
        for (size_t l = L - 1; l >= 1 && !f->first[0]; l--)
            if (w->delta[l])
                snprintf(f->first, sizeof f->first, "delta^%zu wrong, delta^%zu right: %s at l = %zu", l,
                         l + 1, equation(C, EQ_DELTA_HIDDEN, 0), l);
    }
    for (size_t l = L; l >= 1 && !f->first[0]; l--) {
        if (!w->gw[l] && !w->gb[l])
            continue;
        const char *what = w->gw[l] && w->gb[l] ? "dC/dW and dC/db" : w->gw[l] ? "dC/dW" : "dC/db";
        const char *eq = w->gw[l] && w->gb[l] ? "" : equation(C, w->gw[l] ? EQ_GRAD_W : EQ_GRAD_B, l == L);
        if (ans->delta)
            snprintf(f->first, sizeof f->first, "delta right, %s of layer %zu wrong%s%s", what, l,
                     *eq ? ": " : "", eq);
        else
            snprintf(f->first, sizeof f->first, "%s of %s %zu%s wrong%s%s%s (add --deep to compare z, a "
                     "and delta)", what, l == L ? "the output layer (layer" : "layer", l, l == L ? ")" : "",
                     l == L ? "" : ", the layers above right", *eq ? "; the gradient formula is " : "", eq);
    }
    if (!f->first[0] && w->step)
        snprintf(f->first, sizeof f->first, "the gradient right, the step wrong: %s", equation(C, EQ_STEP, 0));
    if (!f->first[0] && w->cost)
        snprintf(f->first, sizeof f->first, "only the cost wrong%s: %s",
                 ans->grad ? ", the gradient right" : "", equation(C, EQ_COST, 0));
}

void bp_diagnose(bp_findings *f, const bp_answer *ans)
{
    memset(f, 0, sizeof *f);
    const bp_case *c = ans->c;
    ctx x = {c, ans->B == c->bounds[BP_FLOAT32] ? 0x1p-24 : 0x1p-53};
    wrongs w;
    memset(&w, 0, sizeof w);
    w.cost = ans->cost && wrong(*ans->cost, c->cost_value, ans->B->cost);
    if (w.cost)
        describe_cost(f, &x, ans);
    /* the gradient first, then z, a and delta, then the step (which follows the gradient) */
    describe_params(f, &x, ans, 0, &w);
    describe_trace(f, &x, ans, &w);
    describe_params(f, &x, ans, 1, &w);
    first_forward(f, ans, &w);
    first_backward(f, ans, &w);
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

static void tally(bp_tally *t, size_t *n, const char *key, int failed);

/* A composed hint ("the cost as A: ...; and the gradient as B: ...", hypotheses.c): each
 * (quantity, model) pair, and the whole, tallied */
/* The index of t's commonest key (n > 0). */
static size_t most(const bp_tally *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (t[i].failed > t[k].failed)
            k = i;
    return k;
}

static void compositions(bp_summary *s, const char *hint, const char *names)
{
    if (!hint || !names || !*names || strncmp(hint, "the ", 4) != 0)
        return;
    char combo[200] = "";
    size_t o = 0;
    for (const char *p = hint; p && strncmp(p, "the ", 4) == 0;) {
        const char *as = strstr(p, " as "), *colon = as ? strchr(as, ':') : NULL;
        if (!colon)
            break;
        char pair[128];
        snprintf(pair, sizeof pair, "%.*s: %.*s", (int)(as - p - 4), p + 4, (int)(colon - as - 4), as + 4);
        tally(s->pair, &s->npair, pair, 1);
        o += (size_t)snprintf(combo + o, o < sizeof combo ? sizeof combo - o : 0, "%s%.*s", o ? " and " : "",
                              (int)(colon - p), p);
        p = strstr(colon, "; and ");
        p = p ? p + 6 : NULL;
    }
    if (o && o < sizeof combo)
        tally(s->combo, &s->ncombo, combo, 1);
}

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

/* Case c under each activation it uses: "the model's own" (sigmoid, softmax at a cross-entropy
 * output) for a case without model.activations, else once under each distinct one. */
static void tally_acts(bp_summary *s, const bp_case *c, int failed)
{
    if (bp_acts_canonical(c->params, c->cost)) {
        tally(s->acts, &s->nacts, "the model's own", failed);
        return;
    }
    unsigned set = 0;
    for (size_t l = 1; l <= c->params->L; l++)
        set |= 1u << bp_layer_act(c->params, c->cost, l);
    for (int f = 1; f < BP_NACTS; f++)
        if (set >> f & 1)
            tally(s->acts, &s->nacts, bp_act_name((bp_act)f), failed);
}

/* What a failing case with an answer tells: its hint, the models it names, where it first goes
 * wrong */
static void evidence(bp_summary *s, const char *hint, const char *names, const char *first)
{
    if (hint)
        tally(s->hint, &s->nhint, hint, 1);
    if (!names || !*names)
        s->unnamed++;
    compositions(s, hint, names);
    for (const char *p = names; p && *p;) { /* each model the case names */
        size_t k = strcspn(p, ",");
        char one[64];
        snprintf(one, sizeof one, "%.*s", (int)k, p);
        tally(s->named, &s->nnamed, one, 1);
        p += k;
        p += strspn(p, ", ");
    }
    if (first && *first) { /* "..., the layers above right (add --deep ...)": the place alone */
        const char *cut = strstr(first, " (add --deep");
        char place[200];
        snprintf(place, sizeof place, "%.*s", cut ? (int)(cut - first) : (int)strlen(first), first);
        tally(s->first, &s->nfirst, place, 1);
    }
}

void bp_summary_add(bp_summary *s, const bp_case *c, size_t n, int failed, const char *hint,
                    const char *names, const char *first, int marginal)
{
    char depth[24];
    const char *regime = strrchr(c->id, '/');
    snprintf(depth, sizeof depth, "L = %zu", c->params->L);
    tally(s->model, &s->nmodel, bp_cost_name(c->cost), failed);
    tally(s->regime, &s->nregime, regime ? regime + 1 : c->id, failed);
    tally(s->depth, &s->ndepth, depth, failed);
    tally_acts(s, c, failed);
    s->cases++;
    if (!failed)
        return;
    s->failed++;
    s->marginal += marginal != 0;
    if (failed == BP_FAILED_PROTOCOL)
        s->protocol++;
    else
        evidence(s, hint, names, first);
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

/* The failing cases a model's share is of: those with an answer (one without is no evidence
 * either way) */
static size_t with_answer(const bp_summary *s)
{
    return s->failed - s->protocol;
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
    tallies(line, sizeof line, s->acts, s->nacts);
    PUT("%s  by activations: %s\n", prefix, line);
    /* the models named, most often first: a likely bug only where one explains most failures */
    size_t best[2] = {SIZE_MAX, SIZE_MAX};
    for (size_t i = 0; i < s->nnamed; i++) {
        if (best[0] == SIZE_MAX || s->named[i].failed > s->named[best[0]].failed)
            best[1] = best[0], best[0] = i;
        else if (best[1] == SIZE_MAX || s->named[i].failed > s->named[best[1]].failed)
            best[1] = i;
    }
    char desc[400];
    const bp_bug *b0 = best[0] != SIZE_MAX ? bp_bug_find(s->named[best[0]].key) : NULL;
    size_t judged = with_answer(s);
    const char *of = s->protocol ? "failing cases with an answer" : "failing cases";
    if (!judged) {
        /* every failure is without an answer: nothing to fit a model to */
    } else if (s->ncombo && (double)s->combo[most(s->combo, s->ncombo)].failed >= BP_LIKELY_SHARE * (double)judged) {
        /* one composition on most failures: its parts, together */
        size_t k = most(s->combo, s->ncombo);
        PUT("%s  likely bugs: %s, on %zu of %zu %s\n", prefix, s->combo[k].key, s->combo[k].failed, judged, of);
    } else if (b0 && (double)s->named[best[0]].failed >= BP_LIKELY_SHARE * (double)judged) {
        PUT("%s  likely bug: \"%s\" on %zu of %zu %s%s\n", prefix, bp_bug_describe(b0, desc, sizeof desc),
            s->named[best[0]].failed, judged, of, s->named[best[0]].failed == judged ? " (all of them)" : "");
        if (best[1] != SIZE_MAX)
            PUT("%s  also named: %s on %zu\n", prefix, s->named[best[1]].key, s->named[best[1]].failed);
    } else {
        PUT("%s  no single model explains them", prefix);
        for (int k = 0; k < 2; k++)
            if (best[k] != SIZE_MAX)
                PUT("%s %s on %zu", k ? "," : " (named:", s->named[best[k]].key, s->named[best[k]].failed);
        PUT("%s\n", best[0] != SIZE_MAX ? ")" : "");
        size_t f = SIZE_MAX; /* the commonest evidence: where most failing cases first go wrong */
        for (size_t i = 0; i < s->nfirst; i++)
            if (f == SIZE_MAX || s->first[i].failed > s->first[f].failed)
                f = i;
        if (f != SIZE_MAX)
            PUT("%s  commonest evidence: \"%s\" on %zu of %zu %s\n", prefix, s->first[f].key,
                s->first[f].failed, judged, of);
        if (s->npair) { /* the (quantity, model) pairs the compositions name, most often first */
            PUT("%s  explained in parts:", prefix);
            size_t used[4], nu = 0;
            for (; nu < 4 && nu < s->npair; nu++) {
                size_t k = SIZE_MAX;
                for (size_t i = 0; i < s->npair; i++) {
                    int taken = 0;
                    for (size_t j = 0; j < nu; j++)
                        taken |= used[j] == i;
                    if (!taken && (k == SIZE_MAX || s->pair[i].failed > s->pair[k].failed))
                        k = i;
                }
                used[nu] = k;
                PUT("%s %s on %zu", nu ? "," : "", s->pair[k].key, s->pair[k].failed);
            }
            PUT("\n");
        }
    }
    if (s->unnamed)
        PUT("%s  no bug named on %zu failing case%s: read their evidence\n", prefix, s->unnamed,
            s->unnamed == 1 ? "" : "s");
    if (s->protocol)
        PUT("%s  no answer to judge on %zu failing case%s (a crash, a timeout, or an answer the "
            "protocol refuses): read their messages\n", prefix, s->protocol, s->protocol == 1 ? "" : "s");
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
    json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I}", "cases", (json_int_t)s->cases,
                          "failed", (json_int_t)s->failed, "marginal", (json_int_t)s->marginal, "by_model",
                          tallies_json(s->model, s->nmodel), "by_regime", tallies_json(s->regime, s->nregime),
                          "by_depth", tallies_json(s->depth, s->ndepth), "hints", hints, "unnamed",
                          (json_int_t)s->unnamed, "protocol", (json_int_t)s->protocol);
    json_t *named = json_array();
    size_t top = SIZE_MAX;
    for (size_t i = 0; i < s->nnamed; i++) {
        json_array_append_new(named, json_pack("{s:s, s:I}", "model", s->named[i].key, "cases",
                                               (json_int_t)s->named[i].failed));
        if (top == SIZE_MAX || s->named[i].failed > s->named[top].failed)
            top = i;
    }
    json_object_set_new(o, "named", named);
    json_object_set_new(o, "by_activations", tallies_json(s->acts, s->nacts));
    double judged = (double)with_answer(s);
    json_object_set_new(o, "likely", top != SIZE_MAX && judged > 0 &&
                                             (double)s->named[top].failed >= BP_LIKELY_SHARE * judged
                                         ? json_string(s->named[top].key) : json_null());
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
        if (bp_bug_find(name))
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
