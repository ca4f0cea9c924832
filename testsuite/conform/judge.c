/* testsuite/conform/judge.c: an answer against the case's bounds (runner.h). Every wanted
 * quantity is compared entry by entry, |got - expected| <= bound (NaN never within); the worst
 * entry and the quantities out of tolerance go to report.c, which also asks the diagnosis. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Compare values with their per-entry bounds (NaN never within); remember the worst one, by
 * the ratio error / bound, and raise *ratio to it; raise *used to the largest ratio of the
 * entries within their bound. */
static size_t compare(const double *got, const double *exp, const double *bound, size_t n,
                      size_t *worst, double *ratio, double *used)
{
    size_t bad = 0;
    double worst_r = -1.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - exp[i]);
        if (d <= bound[i]) {
            if (bound[i] > 0 && d / bound[i] > *used)
                *used = d / bound[i];
            continue;
        }
        double r = isnan(d) ? INFINITY : bound[i] > 0 ? d / bound[i] : INFINITY;
        if (bad == 0 || r > worst_r)
            worst_r = r, *worst = i;
        bad++;
    }
    if (bad && worst_r > *ratio)
        *ratio = worst_r;
    return bad;
}

/* The trace array an answer's quantity name is read into, or NULL for cost, grad, step. */
static double **arr_of(const char *name, bp_trace *t)
{
    return strcmp(name, "z") == 0 ? t->z : strcmp(name, "a") == 0 ? t->a : strcmp(name, "delta") == 0 ? t->delta : NULL;
}

/* "; NaN in grad: 3 of 12 entries" appended to note where a quantity holds NaN or Inf (g,
 * total: its flat values; or the layers of arr). NaN and Inf in an answer are data: the
 * other quantities are judged all the same. */
static void nonfinite_note(char *note, size_t len, const char *name, const double *g, size_t total,
                           const bp_case *c, double **arr)
{
    size_t nan = 0, inf = 0, n = 0;
    if (arr) {
        for (size_t l = 1; l <= c->params->L; l++)
            for (size_t i = 0; i < c->batch->m * c->params->n[l]; i++, n++)
                nan += isnan(arr[l][i]), inf += isinf(arr[l][i]);
    } else {
        for (size_t i = 0; g && i < total; i++, n++)
            nan += isnan(g[i]), inf += isinf(g[i]);
    }
    if (!nan && !inf)
        return;
    size_t o = strlen(note);
    const char *what = !inf ? "NaN" : !nan ? "Inf" : "NaN or Inf";
    if (strcmp(name, "cost") == 0)
        snprintf(note + o, len - o, "; %s in the cost", what);
    else
        snprintf(note + o, len - o, "; %s in %s: %zu of %zu entries", what, name, nan + inf, n);
}

/* The tensor-wide criteria of the case last judged under the float32 profile (tensor.h),
 * derived once per case. */
static struct {
    const bp_case *c;
    bp_tensor_tests *T;
} tensor;

/* The last answered step and the case it answered (a model of momentum fits its velocity
 * from it: hypotheses.c); remember_step(NULL, NULL) lets it go. */
static struct {
    const bp_case *c;
    bp_model *step;
} last;

/* Keep *step (the answer's own, taken: *step is NULL after) as case c's; a copy would be a
 * seventh array of the case's size held at the runner's peak (2.33x the case's raw data,
 * not 2x). */
static void remember_step(const bp_case *c, bp_model **step)
{
    bp_model_free(last.step);
    last.c = NULL, last.step = NULL;
    if (c && step && *step)
        last.c = c, last.step = *step, *step = NULL;
}

/* FNV-1a, a double's 64 bits at a time (not byte by byte: at 2M values the bytes' chain of
 * multiplies cost a fifth of a backprop pass), over the answer's cost, gradient and step: two
 * answers to one case that agree there hash alike */
static uint64_t fingerprint(const bp_answer *ans)
{
    uint64_t h = 14695981039346656037u;
    const double *v[3] = {ans->cost, ans->grad ? ans->grad->theta : NULL, ans->step ? ans->step->theta : NULL};
    size_t n[3] = {1, ans->c->params->nparams, ans->c->params->nparams};
    for (int q = 0; q < 3; q++)
        for (size_t i = 0; v[q] && i < n[q]; i++) {
            uint64_t w;
            memcpy(&w, &v[q][i], sizeof w);
            h = (h ^ w) * 1099511628211u;
        }
    return h;
}

void cf_forget_step(void)
{
    remember_step(NULL, NULL);
    bp_tensor_tests_free(tensor.T);
    tensor.c = NULL, tensor.T = NULL;
}

const bp_tensor_tests *cf_tensor_tests(const bp_case *c, const cf_opts *o, bp_error *err)
{
    err->msg[0] = '\0';
    if (!o->float32 || !isnan(o->rtol) || !isnan(o->atol) || !c->bounds[BP_FLOAT32])
        return NULL;
    if (tensor.c == c && tensor.T)
        return tensor.T;
    bp_tensor_tests_free(tensor.T);
    tensor.c = NULL, tensor.T = NULL;
    if (bp_case_params_restore((bp_case *)c, err)) /* a large case sends, then drops, them */
        return NULL;
    tensor.T = bp_tensor_tests_derive(c, &bp_profiles[BP_FLOAT32], err);
    tensor.c = tensor.T ? c : NULL;
    return tensor.T;
}

/* Of a tensor's scale (criterion a) and shift (b), both failing: the one whose model, fitted,
 * also explains the other's S within its threshold while the other's does not; else w. */
static size_t scale_or_shift(const bp_tensor_tests *T, const bp_case *c, const bp_model *got, size_t a,
                             size_t b, size_t w)
{
    double Sa, Sb, se = bp_tensor_test_sum(&T->t[a], c);
    bp_tensor_test_eval(&T->t[a], c, got, &Sa);
    bp_tensor_test_eval(&T->t[b], c, got, &Sb);
    int scale_fits = fabs(Sb - Sa / T->t[a].norm * se) <= T->t[b].thr; /* got - e = eps e */
    int shift_fits = fabs(Sa - Sb / T->t[b].norm * se) <= T->t[a].thr; /* got - e = c */
    return scale_fits && !shift_fits ? a : shift_fits && !scale_fits ? b : w;
}

/* Of T's criteria, the one to report where criterion w fails by the widest margin: w, or where
 * w is a row (a column) of dC/dW^l, the scale of dC/dW^l as a whole if it fails too with more
 * than half of the rows (columns) that have criteria; where w is a tensor's scale or shift
 * and the other fails too, the one that explains both (scale_or_shift). */
static size_t reported(const bp_tensor_tests *T, const bp_case *c, const bp_model *got, size_t w)
{
    const bp_tt *t = &T->t[w];
    if (t->kind == BP_TT_SCALE || t->kind == BP_TT_OFFSET) {
        size_t other = w;
        double S;
        for (size_t i = 0; i < T->n; i++)
            if (T->t[i].l == t->l && T->t[i].bias == t->bias && T->t[i].kind != t->kind &&
                (T->t[i].kind == BP_TT_SCALE || T->t[i].kind == BP_TT_OFFSET))
                other = i;
        if (other == w || bp_tensor_test_eval(&T->t[other], c, got, &S))
            return w;
        return t->kind == BP_TT_SCALE ? scale_or_shift(T, c, got, w, other, w) : scale_or_shift(T, c, got, other, w, w);
    }
    if (t->kind != BP_TT_ROW && t->kind != BP_TT_COLUMN)
        return w;
    size_t all = 0, fail = 0, whole = w;
    int whole_fails = 0;
    for (size_t i = 0; i < T->n; i++) {
        const bp_tt *q = &T->t[i];
        double S;
        if (q->l != t->l || q->bias)
            continue;
        if (q->kind == t->kind)
            all++, fail += !bp_tensor_test_eval(q, c, got, &S);
        else if (q->kind == BP_TT_SCALE)
            whole = i, whole_fails = !bp_tensor_test_eval(q, c, got, &S);
    }
    return whole_fails && 2 * fail > all ? whole : w;
}

/* The gradient got, within every per-entry bound, against the tensor-wide criteria: the one
 * it fails by the widest margin into res (message and notes) and 1, or 0; 1 too, a failure of
 * ours, where the criteria could not be derived. */
static int judge_tensor(cf_result *res, const bp_case *c, const bp_model *got, const cf_opts *o)
{
    bp_error err;
    const bp_tensor_tests *T = cf_tensor_tests(c, o, &err);
    if (!T && err.msg[0]) { /* ours, not the implementation's: never a pass */
        res->v = R_FAIL, res->protocol = 1, res->ours = 1;
        snprintf(res->message, sizeof res->message, "%s", err.msg);
        cf_protocol_block(res, c);
        return 1;
    }
    size_t bad = 0, worst = 0, kinds[4] = {0};
    double S0 = 0.0, r0 = -1.0;
    for (size_t i = 0; T && i < T->n; i++) {
        double S;
        int within = bp_tensor_test_eval(&T->t[i], c, got, &S);
        double r = T->t[i].thr > 0.0 && !isnan(S) ? fabs(S) / T->t[i].thr : INFINITY;
        if (within) {
            res->used_tensor = fmax(res->used_tensor, r == INFINITY ? 0.0 : r); /* (thr 0, S 0) */
            continue;
        }
        kinds[T->t[i].kind]++;
        if (bad++ == 0 || r > r0)
            worst = i, S0 = S, r0 = r;
    }
    if (!bad)
        return 0;
    /* the criterion failed by the widest margin points at the bug (one row scaled moves its
     * tensor's scale too, but less), but for the exceptions reported() makes */
    size_t shown = reported(T, c, got, worst);
    if (shown != worst)
        bp_tensor_test_eval(&T->t[shown], c, got, &S0), r0 = fabs(S0) / T->t[shown].thr, worst = shown;
    const bp_tt *t = &T->t[worst];
    char name[96], note[600];
    bp_tensor_test_name(t, name, sizeof name);
    res->v = R_FAIL, res->protocol = 0;
    snprintf(res->message, sizeof res->message, "grad out of tolerance as a whole: every entry is within its "
             "own bound, but %s by %.2g%s, %.3g x the %.2g that float32 rounding reaches", name, S0 / t->norm,
             t->kind == BP_TT_OFFSET ? " on average" : " (relative)", r0, t->thr / t->norm);
    cf_protocol_block(res, c);
    snprintf(note, sizeof note, "%zu of the case's %zu tensor-wide criteria fail (%zu whole-tensor scales, %zu "
             "shifts, %zu rows, %zu columns); each is S = sum_i w_i (got_i - e_i) over its entries, |S| <= a "
             "threshold that rounding passes with probability 1 - %.0e per case (fixtures/FORMAT.md, "
             "\"Tensor-wide criteria\"); here S = %.3g, threshold %.2g", bad, T->n, kinds[BP_TT_SCALE],
             kinds[BP_TT_OFFSET], kinds[BP_TT_ROW], kinds[BP_TT_COLUMN], BP_TENSOR_FALSE_FAIL, S0, t->thr);
    cf_add_note(res, "criterion", note);
    return 1;
}

/* What judging one answer gathers, quantity by quantity. */
typedef struct {
    cf_result *res;
    const bp_case *c, *prev;
    const bp_bounds *B;
    cf_failure f;          /* the first wrong quantity's worst entry */
    char failed_list[128]; /* the quantities out of tolerance, comma-separated */
    char nf_note[300];     /* where NaN and Inf are */
    double ratio;          /* the worst error / bound over every quantity */
    double cost_got;
    bp_answer ans;         /* what the answer gave, for the diagnosis (diagnose.h) */
    bp_model *grad, *step;
    bp_trace *t;
} judging;

static void list_failed(judging *J, const char *name)
{
    if (*J->failed_list)
        strcat(J->failed_list, ", ");
    strcat(J->failed_list, name);
}

/* The cost v: the number of entries out of tolerance, or -1 (the protocol's failure, said). */
static long judge_cost(judging *J, json_t *v)
{
    cf_result *res = J->res;
    if (!json_is_number(v) && !bp_json_nonfinite_value(v, &J->cost_got)) {
        snprintf(res->message, sizeof res->message, "'cost' is %s; expected a number (or "
                 "NaN, Infinity, -Infinity, null: PROTOCOL.md)", bp_json_type_name(v));
        return -1;
    }
    if (json_is_number(v))
        J->cost_got = json_number_value(v);
    J->ans.cost = &J->cost_got;
    size_t worst = 0, bad = compare(&J->cost_got, &J->c->cost_value, &J->B->cost, 1, &worst, &J->ratio, &res->used);
    if (bad && !J->f.quantity)
        J->f = (cf_failure){"cost", "", J->cost_got, J->c->cost_value, J->B->cost, 1, 1, NULL};
    return (long)bad;
}

/* An answer's grad or step that does not parse: the right numbers in the wrong shapes
 * (transposed, or the previous request's) are a bug's signature; anything else the
 * protocol's failure. */
static long params_misshapen(judging *J, const char *name, json_t *v, bp_model *got, const char *what)
{
    cf_result *res = J->res;
    bp_error err;
    bp_model *tr = NULL;
    int prev_shapes = J->prev && (tr = bp_model_alloc_like(J->prev->params, NULL)) &&
                      bp_params_from_json(tr, v, what, name, &err) == 0;
    bp_model_free(tr);
    static char shape_hint[400];
    const char *hint = bp_match_shapes(J->c, J->prev, json_object_get(v, "W"), prev_shapes, shape_hint,
                                       sizeof shape_hint);
    bp_params_from_json(got, v, what, name, &err); /* the first message again */
    snprintf(res->message, sizeof res->message, "%s", err.msg);
    if (!hint)
        return -1;
    res->v = R_FAIL, res->protocol = 0;
    J->f = (cf_failure){name, "", NAN, NAN, NAN, 0, 0, hint};
    res->ambiguous = bp_hint_names(hint, res->names, sizeof res->names);
    J->ratio = INFINITY;
    strcat(J->failed_list, name);
    return -2;
}

/* The gradient or the step v (or in the frame): entries out of tolerance; -1 the protocol's
 * failure; -2 a failure of shapes, reported as such. */
static long judge_params(judging *J, const char *name, json_t *v, int in_frame, const char *what)
{
    int is_grad = strcmp(name, "grad") == 0;
    bp_model *got = is_grad ? J->grad : J->step;
    bp_error err;
    if (!in_frame && bp_params_from_json(got, v, what, name, &err))
        return params_misshapen(J, name, v, got, what);
    if (is_grad)
        J->ans.grad = got;
    else
        J->ans.step = got;
    const bp_model *want_m = is_grad ? J->c->grad : J->c->step;
    const double *bound = is_grad ? J->B->grad->theta : J->B->step->theta, *g = got->theta;
    size_t worst = 0, total = got->nparams;
    size_t bad = compare(g, want_m->theta, bound, total, &worst, &J->ratio, &J->res->used);
    if (bad && !J->f.quantity) {
        J->f = (cf_failure){name, "", g[worst], want_m->theta[worst], bound[worst], bad, total, NULL};
        bp_model_param_name(J->c->params, worst, J->f.where, sizeof J->f.where);
    }
    return (long)bad;
}

/* z, a or delta v (or in the frame), layer by layer: entries out of tolerance, or -1. */
static long judge_layers(judging *J, const char *name, json_t *v, int in_frame, const char *what)
{
    const bp_case *c = J->c;
    double **arr = arr_of(name, J->t), **exp = arr_of(name, c->trace), **bnd = arr_of(name, J->B->trace);
    bp_error err;
    if (!in_frame && bp_layers_from_json(arr, c->params, c->batch->m, v, what, name, &err)) {
        snprintf(J->res->message, sizeof J->res->message, "%s", err.msg);
        return -1;
    }
    if (name[0] == 'z')
        J->ans.z = arr;
    else if (name[0] == 'a')
        J->ans.a = arr;
    else
        J->ans.delta = arr;
    size_t bad = 0, total = 0;
    for (size_t l = 1; l <= c->params->L; l++) {
        size_t n = c->batch->m * c->params->n[l], w = 0;
        size_t b = compare(arr[l], exp[l], bnd[l], n, &w, &J->ratio, &J->res->used);
        bad += b, total += n;
        if (b && !J->f.quantity) {
            J->f = (cf_failure){name, "", arr[l][w], exp[l][w], bnd[l][w], 0, 0, NULL};
            snprintf(J->f.where, sizeof J->f.where, "layer %zu, sample %zu, neuron %zu", l,
                     w / c->params->n[l], w % c->params->n[l]);
        }
    }
    if (bad && J->f.quantity == name)
        J->f.bad = bad, J->f.total = total;
    return (long)bad;
}

/* Is name listed in the answer's "unsupported" array? */
static int unsupported(json_t *unsup, const char *name)
{
    size_t k;
    json_t *u;
    int listed = 0;
    json_array_foreach(unsup, k, u) listed |= json_is_string(u) && strcmp(json_string_value(u), name) == 0;
    return listed;
}

/* Each wanted quantity of r in turn; *checked counts those judged. 0, or -1 when the answer
 * fails the protocol (the message says how). */
static int judge_quantities(judging *J, json_t *r, const cf_framed *fr, unsigned want, size_t *checked)
{
    json_t *unsup = json_object_get(r, "unsupported");
    for (size_t q = 0; q < 6; q++) {
        const char *name = cf_want[q];
        if (!(want >> q & 1) || unsupported(unsup, name))
            continue;
        json_t *v = json_object_get(r, name);
        int in_frame = fr && fr->has[q]; /* decoded already, in J->grad, J->step or J->t */
        char what[600];
        snprintf(what, sizeof what, "answer to '%s'", J->c->id);
        if (!v && !in_frame) {
            snprintf(J->res->message, sizeof J->res->message, "the answer has no '%s' (and does not "
                     "list it as unsupported)", name);
            return -1;
        }
        (*checked)++;
        long bad = q == 0 ? judge_cost(J, v) : q < 3 ? judge_params(J, name, v, in_frame, what)
                                                     : judge_layers(J, name, v, in_frame, what);
        if (bad == -2)
            return 0; /* a failure of shapes: reported as it is */
        if (bad < 0)
            return -1;
        if (bad)
            list_failed(J, name);
        const bp_model *flat = q == 1 ? J->grad : q == 2 ? J->step : NULL;
        nonfinite_note(J->nf_note, sizeof J->nf_note, name, q == 0 ? &J->cost_got : flat ? flat->theta : NULL,
                       q == 0 ? 1 : flat ? flat->nparams : 0, J->c, arr_of(name, J->t));
    }
    return 0;
}

static void evaluate(cf_result *res, const bp_case *c, const bp_case *prev, json_t *r, cf_framed *fr,
                     const cf_opts *o, unsigned want, size_t *checked)
{
    /* the case's per-entry bounds for the profile, or the scalar model of --rtol/--atol */
    bp_bounds *scalar = NULL;
    const bp_bounds *B = c->bounds[o->float32 ? BP_FLOAT32 : BP_FLOAT64];
    if (!isnan(o->rtol) || !isnan(o->atol))
        B = scalar = bp_bounds_scalar(c, isnan(o->rtol) ? 0.0 : o->rtol, isnan(o->atol) ? 0.0 : o->atol);
    judging J = {res, c, prev, B, {NULL, "", 0, 0, 0, 0, 0, NULL}, "", "", 0.0, NAN,
                 {c, B, NULL, NULL, NULL, NULL, NULL, NULL, prev && prev != c && prev == last.c ? last.step : NULL},
                 fr ? fr->grad : bp_model_alloc_like(c->params, NULL),
                 fr ? fr->step : bp_model_alloc_like(c->params, NULL),
                 fr ? fr->trace : bp_trace_alloc(c->params, c->batch->m, NULL)};
    /* (asked again, the previous request is this case: a velocity from it is the answer's own
     * gradient over again, so no momentum is fitted to it) */
    if (!J.grad || !J.step || !J.t) { /* ours, not the implementation's */
        res->v = R_FAIL, res->protocol = 1, res->ours = 1;
        snprintf(res->message, sizeof res->message, "out of memory for the answer");
    } else if (judge_quantities(&J, r, fr, want, checked))
        res->v = R_FAIL, res->protocol = 1;
    int marginal = J.f.quantity && J.ratio <= CF_MARGINAL;
    /* within every bound: the tensor-wide criteria (they report themselves) */
    int whole = res->v != R_FAIL && !J.f.quantity && J.ans.grad && judge_tensor(res, c, J.ans.grad, o);
    if (res->v != R_FAIL && J.f.quantity) {
        res->v = R_FAIL;
        if (marginal)
            snprintf(res->message, sizeof res->message, "%s out of tolerance, marginally: the worst "
                     "error is %.2g x its bound", J.failed_list, J.ratio);
        else
            snprintf(res->message, sizeof res->message, "%s out of tolerance%s", J.failed_list, J.nf_note);
    }
    if (res->v == R_FAIL && !whole)
        cf_report_failure(res, c, prev, &J.f, &J.ans, J.failed_list, J.ratio, scalar != NULL, o);
    res->deep_given = J.ans.z || J.ans.a || J.ans.delta;
    res->print = fingerprint(&J.ans);
    remember_step(J.ans.step ? c : NULL, fr ? &fr->step : &J.step); /* J.ans.step is J.step */
    if (!fr) {
        bp_model_free(J.grad), bp_model_free(J.step);
        bp_trace_free(J.t);
    }
    bp_bounds_free(scalar);
}

/* The judgement of an answer given as a JSON object r (consumed), with the arrays of its
 * payload in fr (freed) where it had one. */
void cf_judge(cf_result *res, const bp_case *c, const bp_case *prev, json_t *r, cf_framed *fr,
              const cf_opts *o, unsigned want)
{
    json_t *id = json_object_get(r, "id"), *u = json_object_get(r, "unsupported"),
           *e = json_object_get(r, "error");
    if (!json_is_string(id) || strcmp(json_string_value(id), c->id) != 0) {
        const char *was = json_string_value(id);
        res->behind = was && (strcmp(was, "bpcheck:hello") == 0 || (prev && prev != c && strcmp(was, prev->id) == 0));
        snprintf(res->message, sizeof res->message, "the answer's id is %s%s%s; expected '%s'%s",
                 was ? "'" : "", was ? was : "missing", was ? "'" : "", c->id,
                 res->behind ? ": it answers the previous request, so the answers are a line behind "
                               "(the implementation printed a line that is not an answer: a print on "
                               "stdout?); it was restarted to get back in step" : "");
    } else if (json_is_string(u)) {
        res->v = R_SKIP, res->protocol = 0;
        snprintf(res->message, sizeof res->message, "unsupported: %s", json_string_value(u));
    } else if (e) {
        snprintf(res->message, sizeof res->message, "the implementation reported an error: %s",
                 json_is_string(e) ? json_string_value(e) : "(not a string)");
    } else {
        res->v = R_PASS, res->protocol = 0;
        size_t checked = 0;
        bp_json_nonfinite(1); /* NaN and Inf in an answer are data (PROTOCOL.md) */
        evaluate(res, c, prev, r, fr->grad ? fr : NULL, o, want, &checked);
        bp_json_nonfinite(0);
        if (res->v == R_PASS && checked == 0) {
            res->v = R_SKIP;
            snprintf(res->message, sizeof res->message, "every wanted quantity is unsupported");
        }
    }
    bp_model_free(fr->grad), bp_model_free(fr->step), bp_trace_free(fr->trace);
    json_decref(r);
}
