/* testsuite/conform/hypotheses.c: the bug models of the catalogue (testsuite/bugs/bugs.h) as
 * hypotheses about a wrong answer, each fitted to the evidence (diagnose.h, bp_match_bugs).
 *
 * An answer is a set of quantities: the cost, the gradient, the step, and with --deep z, a and
 * delta. For each model, its effect on the case is computed (bp_bug_eval, its parameter
 * fitted first where it has one) and compared with the answer quantity by quantity:
 *   FITS   the answer's quantity is the model's, within 10 x the bounds (a correct
 *          implementation of the model rounds too) plus 1e-9 relative (the model's own
 *          evaluation), NaN and Inf in the same places;
 *   APART  the model moves the quantity from the right value by more than 100 x that slack
 *          somewhere: only there can the evidence tell the model from a right answer.
 * A model explains the whole answer when every given quantity FITS and one is APART; it
 * explains one quantity when that quantity is wrong, FITS and is APART. One model explaining
 * the whole answer is named; several are an ambiguity; none, and the wrong quantities each
 * explained by exactly one model (the step may instead follow the answered gradient), are a
 * composition that names one model per quantity. Otherwise nothing is named.
 * Lower precision (float32, float16, bfloat16) is no formula but a signature, tested apart
 * (lower_precision below): errors spread like rounding over most entries of every quantity.
 * A parameter fitted continuously must come out where the code that has it puts it: lambda in
 * (0, 1], beta in (0, 1); any other value is no such code.
 * Legend: q = quantity, i = entry, m = samples, n_L = outputs. */
#include "diagnose.h"

#include "bugs.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Q_COST, Q_GRAD, Q_STEP, Q_Z, Q_A, Q_DELTA, NQ };
static const char *const qname[NQ] = {"cost", "gradient", "step", "z", "a", "delta"};

/* The answer's quantities, flat: got (NULL: not given), expected, bound; and an effect. */
typedef struct {
    size_t n[NQ];
    const double *got[NQ], *exp[NQ], *bnd[NQ];
    double *own[3 * NQ]; /* flattened copies of the trace, freed with the set */
    int wrong[NQ];
} qset;

/* layers 1..L of a trace-shaped array, one after another, into a new buffer */
static double *flat(double *const *arr, const bp_model *P, size_t m)
{
    size_t n = 0;
    for (size_t l = 1; l <= P->L; l++)
        n += m * P->n[l];
    double *v = malloc((n ? n : 1) * sizeof *v), *o = v;
    for (size_t l = 1; v && l <= P->L; l++)
        memcpy(o, arr[l], m * P->n[l] * sizeof *v), o += m * P->n[l];
    return v;
}

static int is_wrong(double got, double exp, double bound)
{
    return !(fabs(got - exp) <= bound);
}

/* The quantities of ans under bounds B; 0, or -1 when out of memory. */
static int qset_init(qset *A, const bp_answer *ans, const bp_bounds *B)
{
    memset(A, 0, sizeof *A);
    const bp_case *c = ans->c;
    const bp_model *P = c->params;
    size_t m = c->batch->m, k = 0;
    A->n[Q_COST] = 1, A->got[Q_COST] = ans->cost, A->exp[Q_COST] = &c->cost_value, A->bnd[Q_COST] = &B->cost;
    A->n[Q_GRAD] = A->n[Q_STEP] = P->nparams;
    A->got[Q_GRAD] = ans->grad ? ans->grad->theta : NULL, A->exp[Q_GRAD] = c->grad->theta;
    A->bnd[Q_GRAD] = B->grad->theta;
    A->got[Q_STEP] = ans->step ? ans->step->theta : NULL, A->exp[Q_STEP] = c->step->theta;
    A->bnd[Q_STEP] = B->step->theta;
    double *const *tg[3] = {ans->z, ans->a, ans->delta};
    double *const *te[3] = {c->trace->z, c->trace->a, c->trace->delta};
    double *const *tb[3] = {B->trace->z, B->trace->a, B->trace->delta};
    for (int t = 0; t < 3; t++) {
        if (!tg[t])
            continue;
        int q = Q_Z + t;
        A->n[q] = 0;
        for (size_t l = 1; l <= P->L; l++)
            A->n[q] += m * P->n[l];
        A->got[q] = A->own[k++] = flat(tg[t], P, m);
        A->exp[q] = A->own[k++] = flat(te[t], P, m);
        A->bnd[q] = A->own[k++] = flat(tb[t], P, m);
        if (!A->own[k - 1] || !A->own[k - 2] || !A->own[k - 3])
            return -1;
    }
    for (int q = 0; q < NQ; q++)
        for (size_t i = 0; A->got[q] && i < A->n[q] && !A->wrong[q]; i++)
            A->wrong[q] = is_wrong(A->got[q][i], A->exp[q][i], A->bnd[q][i]);
    return 0;
}

static void qset_free(qset *A)
{
    for (int k = 0; k < 3 * NQ; k++)
        free(A->own[k]);
}

/* ---- one quantity against one effect ---- */

#define FIT_K 10.0    /* a model's effect matches within 10 x the bounds ... */
#define FIT_REL 1e-9  /* ... plus 1e-9 relative: the model's evaluation rounds otherwise */
#define APART_K 100.0 /* it is told from the right answer beyond 100 x that slack */

/* Does got fit the effect eff (NaN and Inf where eff has them), and is eff apart from the
 * right values somewhere? */
static void fit(const double *got, const double *eff, const double *exp, const double *bnd, size_t n,
                int *fits, int *apart)
{
    *fits = 1, *apart = 0;
    for (size_t i = 0; i < n && *fits; i++) {
        double slack = FIT_K * bnd[i] + FIT_REL * fabs(eff[i]);
        int gf = isfinite(got[i]), ef = isfinite(eff[i]);
        if (gf != ef || (gf && !(fabs(got[i] - eff[i]) <= slack)))
            *fits = 0;
        /* a zero the model puts where a value belongs is exact in every implementation of it
         * (nothing was computed there): an answer merely near 0 is not that model's */
        if (eff[i] == 0.0 && exp[i] != 0.0 && got[i] != 0.0)
            *fits = 0;
        if (!ef || !(fabs(eff[i] - exp[i]) <= APART_K * slack))
            *apart = 1;
    }
}

/* A model's effect, flat, in the shapes of the answer's quantities. */
typedef struct {
    double cost;
    bp_model *grad, *step;
    bp_trace *t;
    double *tr[3];
} effect;

typedef struct {
    int full;            /* explains every given quantity */
    int explains[NQ];    /* explains this wrong quantity */
    int moves_trace;     /* its z, a or delta are apart from the right ones (--deep tells it) */
} verdict;

/* Is the effect's step params - eta x its own gradient (as fit's slack)? Then the model moves
 * the step only through the gradient, and code that forms its step apart (document 002's
 * update, say, from its own sums) may answer the right step beside the model's gradient. */
static int step_derived(const effect *E, const bp_case *c, const double *bnd)
{
    const double *th = c->params->theta;
    for (size_t i = 0; i < c->params->nparams; i++) {
        double want = th[i] - c->eta * E->grad->theta[i];
        double slack = FIT_K * bnd[i] + FIT_REL * fabs(want);
        if (!(fabs(E->step->theta[i] - want) <= slack))
            return 0;
    }
    return 1;
}

static void judge(verdict *v, const qset *A, const effect *E, const bp_case *c)
{
    const bp_model *P = c->params;
    size_t m = c->batch->m;
    memset(v, 0, sizeof *v);
    const double *eff[NQ] = {&E->cost, E->grad->theta, E->step->theta, NULL, NULL, NULL};
    int all = 1, any = 0;
    for (int q = 0; q < NQ; q++) {
        if (!A->got[q])
            continue;
        if (q >= Q_Z) {
            double *const *arr = q == Q_Z ? E->t->z : q == Q_A ? E->t->a : E->t->delta;
            size_t o = 0;
            for (size_t l = 1; l <= P->L; l++)
                memcpy(E->tr[q - Q_Z] + o, arr[l], m * P->n[l] * sizeof(double)), o += m * P->n[l];
            eff[q] = E->tr[q - Q_Z];
        }
        int fits, apart;
        fit(A->got[q], eff[q], A->exp[q], A->bnd[q], A->n[q], &fits, &apart);
        if (q == Q_STEP && !fits && !A->wrong[Q_STEP] && step_derived(E, c, A->bnd[Q_STEP]))
            fits = 1, apart = 0; /* the right step, formed apart from the model's gradient */
        all &= fits;
        any |= fits && apart;
        v->explains[q] = A->wrong[q] && fits && apart;
    }
    v->full = all && any;
}

/* ---- lower precision: a signature, not a formula ---- */

/* Rounding in a precision of unit roundoff u (float32's 2^-24, say) perturbs nearly every
 * entry whose value that precision can hold by about u relative, in both directions; a bug
 * moves entries by their own size, or moves a few, or all one way. So lower precision is named
 * only when, in EVERY given quantity (at least two of them), at least half of the entries
 * whose expected value is a normal number of that precision are wrong under the float64
 * bounds; every entry is within that precision's bounds; none of those entries is 0 where the
 * expected value is not; and the relative errors take both signs, each on at least 10% of the
 * wrong entries and on at least one (so one entry, a constant factor, zeros, one quantity
 * alone, or entries below the normal range are never enough). Returns the name, or NULL;
 * *u_fit the effective unit roundoff: the smallest over the quantities of the median relative
 * error (rounding's median is a fraction of u: the fitted value says how much). */
typedef struct {
    const char *name;
    double u;          /* unit roundoff */
    double min_normal;
    int bits;          /* significant bits */
} precision;

static const precision precisions[] = {
    {"float32", 0x1p-24, FLT_MIN, 24},
    {"float16", 0x1p-11, 0x1p-14, 11},
    {"bfloat16", 0x1p-8, FLT_MIN, 8},
};

/* Is v a number of `bits` significant bits (what an answer stored in that format holds)? */
static int representable(double v, int bits)
{
    if (!isfinite(v) || v == 0.0)
        return 1;
    int e;
    double f = frexp(v, &e);
    double s = ldexp(f, bits);
    return s == nearbyint(s);
}

/* The share of the answer's gradient (and trace) entries that are numbers of `bits`
 * significant bits: the cost and the step are left out, as mixed-precision code keeps its
 * master weights, and so its step, in float64, and a scalar cost is often formed there too. */
static double held_share(const qset *A, int bits)
{
    size_t held = 0, entries = 0;
    for (int q = 0; q < NQ; q++)
        for (size_t i = 0; q != Q_STEP && q != Q_COST && A->got[q] && i < A->n[q]; i++)
            entries++, held += representable(A->got[q][i], bits);
    return entries ? (double)held / (double)entries : 0.0;
}

/* The median of n values (v is reordered); 0 for none. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (!n)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

static const char *lower_precision(const qset *A, const bp_case *c, int profile32, double *u_fit)
{
    const bp_bounds *B32 = c->bounds[BP_FLOAT32];
    size_t most = 0;
    for (int q = 0; q < NQ; q++)
        most = A->got[q] && A->n[q] > most ? A->n[q] : most;
    double *rel = malloc((most ? most : 1) * sizeof *rel);
    const char *found = NULL;
    /* the format is the narrowest whose numbers the answer holds (99% of its entries): a
     * bfloat16 answer's numbers are float16's and float32's too, never the other way round */
    size_t narrowest = profile32 ? 1 : 0;
    for (size_t p = 0; p < sizeof precisions / sizeof *precisions; p++)
        if (held_share(A, precisions[p].bits) >= 0.99)
            narrowest = p;
    for (size_t p = narrowest; rel && !found && p == narrowest; p++) {
        const precision *pr = &precisions[p];
        /* the bound of each entry in this precision: float32's own where the fixture has it,
         * else the profile's scaled by the ratio of unit roundoffs (first order) */
        double scale = pr->u / (profile32 ? 0x1p-24 : 0x1p-53), fitted = INFINITY;
        int given = 0, ok = 1;
        size_t pos = 0, neg = 0, moved = 0;
        for (int q = 0; q < NQ && ok; q++) {
            if (!A->got[q])
                continue;
            given++;
            const double *b32 = NULL;
            if (p == 0 && B32)
                b32 = q == Q_COST ? &B32->cost : q == Q_GRAD ? B32->grad->theta : q == Q_STEP ? B32->step->theta : NULL;
            size_t normal = 0, wrong = 0;
            for (size_t i = 0; i < A->n[q] && ok; i++) {
                double g = A->got[q][i], e = A->exp[q][i], d = fabs(g - e);
                double bound = b32 ? b32[i] : scale * A->bnd[q][i];
                ok = isfinite(g) && d <= bound;
                if (!ok || !(fabs(e) >= pr->min_normal))
                    continue;
                rel[normal++] = d / fabs(e);
                if (!is_wrong(g, e, A->bnd[q][i]))
                    continue;
                wrong++;
                ok = g != 0.0;
                pos += g > e, neg += g < e;
            }
            if (normal == 0 || 2 * wrong < normal)
                ok = 0;
            /* the median relative error: rounding moves most entries by a good part of u */
            double r = ok ? median(rel, normal) : 0.0;
            ok &= r >= pr->u / 64;
            fitted = fmin(fitted, r);
            moved += wrong;
        }
        size_t least = pos < neg ? pos : neg;
        ok &= given >= 2 && least >= 1 && 10 * least >= moved;
        /* the narrower formats only where the answer holds numbers of theirs: so wide a bound
         * admits many a bug, but no bug rounds every number it prints to 8 or 11 bits */
        ok &= held_share(A, pr->bits) >= 0.99;
        if (ok)
            found = pr->name, *u_fit = fitted;
    }
    free(rel);
    return found;
}

/* ---- the step follows the answered gradient ---- */

int bp_step_follows(const bp_answer *ans)
{
    const bp_case *c = ans->c;
    if (!ans->step || !ans->grad)
        return 0;
    const double *th = c->params->theta, *g = ans->grad->theta, *st = ans->step->theta;
    const double *bs = ans->B->step->theta, *bg = ans->B->grad->theta;
    for (size_t i = 0; i < c->params->nparams; i++) {
        double want = th[i] - c->eta * g[i];
        double slack = FIT_K * (bs[i] + fabs(c->eta) * bg[i]) + FIT_REL * fabs(want);
        if (!isfinite(st[i]) ? isfinite(want) : !(fabs(st[i] - want) <= slack))
            return 0;
    }
    return 1;
}

/* ---- a family's parameter: the values it is tried at ---- */

/* A value tried: v (NaN: a fixed formula), fitted (computed from the answer, not listed), and
 * what the value is known as. */
typedef struct {
    double v;
    int fitted;
    const char *note;
} tried;

#define MAX_TRIES 16

/* A fitted value rounded to 1, 2, 2.5 or 5 x 10^k when it is within 1e-6 of it: the value the
 * code was written with (what is left is rounding in the answer). */
static double snap(double v)
{
    if (!isfinite(v) || v == 0.0)
        return v;
    double e = pow(10.0, floor(log10(fabs(v))));
    static const double mant[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    for (size_t i = 0; i < sizeof mant / sizeof *mant; i++)
        if (fabs(fabs(v) - mant[i] * e) <= 1e-6 * mant[i] * e)
            return copysign(mant[i] * e, v);
    return v;
}

/* Of the weights, the entry with the largest |lever[i]| (its theta index), or -1 when fewer
 * than three are not 0: a value fitted there is least disturbed by the answer's rounding, and
 * two more entries that it moves are left to test it on (one equation in one unknown always
 * has a solution: a 1-1 network's one weight fits any lambda). */
static long largest_weight(const bp_model *P, const double *lever)
{
    long best = -1;
    double most = 0.0;
    size_t levers = 0;
    for (size_t l = 1; l <= P->L; l++)
        for (size_t i = 0; i < P->n[l] * P->n[l - 1]; i++) {
            size_t k = (size_t)(P->W[l] - P->theta) + i;
            levers += lever[k] != 0.0;
            if (fabs(lever[k]) > most)
                most = fabs(lever[k]), best = (long)k;
        }
    return levers >= 3 ? best : -1;
}

/* The parameters fitted continuously, each from the entry with the largest lever, then
 * checked on every entry by the judge like any other value:
 *   weight-decay    lambda = (theta - eta g - step) / (eta W)     (the step; g the right one)
 *   l2-in-gradient  lambda = (grad - g) / W
 *   momentum        beta   = (theta - eta g - step) / (eta v)     (v = (theta' - step') / eta',
 *                                                                  the previous answer's) */
static int fit_continuous(const bp_bug *b, const bp_answer *ans, const bp_model *vel, double *v)
{
    const bp_case *c = ans->c;
    const bp_model *P = c->params;
    const double *th = P->theta, *g = c->grad->theta;
    if (strcmp(b->name, "l2-in-gradient") == 0) {
        long i = ans->grad ? largest_weight(P, th) : -1;
        *v = i < 0 ? NAN : (ans->grad->theta[i] - g[i]) / th[i];
    } else if (strcmp(b->name, "weight-decay") == 0) {
        long i = ans->step && c->eta != 0.0 ? largest_weight(P, th) : -1;
        *v = i < 0 ? NAN : (th[i] - c->eta * g[i] - ans->step->theta[i]) / (c->eta * th[i]);
    } else if (strcmp(b->name, "momentum") == 0) {
        long i = ans->step && vel && c->eta != 0.0 ? largest_weight(P, vel->theta) : -1;
        *v = i < 0 ? NAN : (th[i] - c->eta * g[i] - ans->step->theta[i]) / (c->eta * vel->theta[i]);
    } else {
        return 0;
    }
    *v = snap(*v);
    int momentum = strcmp(b->name, "momentum") == 0;
    return isfinite(*v) && *v > 0.0 && (momentum ? *v < 1.0 : *v <= 1.0);
}

/* The values model b is tried at on this answer: one (NaN) for a fixed formula; a fitted
 * value; or the family's list. Returns how many. */
static size_t model_tries(tried *T, const bp_bug *b, const bp_answer *ans, const bp_model *vel)
{
    if (!b->param) {
        T[0] = (tried){NAN, 0, NULL};
        return 1;
    }
    if (bp_bug_continuous(b)) {
        double v;
        if (!fit_continuous(b, ans, vel, &v))
            return 0;
        T[0] = (tried){v, 1, NULL};
        return 1;
    }
    /* "every layer" is "the hidden layers" where the output's delta has no sigma' in it (the
     * cost cancels it): one hypothesis there, not two values of one */
    int one_layer_set = strcmp(b->param, "layers") == 0 && ans->c->cost != BP_QUADRATIC;
    size_t n = 0;
    for (const bp_bug_value *bv = b->values; bv && bv->v != 0.0 && n < MAX_TRIES; bv++)
        if (!(one_layer_set && bv->v == 3.0))
            T[n++] = (tried){bv->v, 0, bv->note};
    return n;
}

/* Does case c have a z where sigma' as s (1 - s) departs from the stable sigma' by more than
 * the effect's slack (FIT_REL)? Beyond |z| = 10, 1 - s carries a relative error of
 * u / e^-10 = 2.4e-12 and grows from there (by 36.7 s rounds to 1): below it the two agree
 * to far better than FIT_REL, so the second variant is run only where it can differ. */
static int saturated(const bp_case *c)
{
    for (size_t l = 1; l <= c->params->L; l++)
        for (size_t i = 0; i < c->batch->m * c->params->n[l]; i++)
            if (!(fabs(c->trace->z[l][i]) <= 10.0))
                return 1;
    return 0;
}

/* ---- the hint ---- */

static void add_name(bp_matches *mt, const char *name)
{
    for (size_t i = 0; i < mt->n && i < BP_MAX_MATCHES; i++)
        if (strcmp(mt->name[i], name) == 0)
            return;
    if (mt->n < BP_MAX_MATCHES)
        mt->name[mt->n] = name;
    mt->n++;
}

/* "name: explanation (lambda = 5e-4, fitted: note) (equations)" into buf */
static size_t say_model(char *buf, size_t len, const bp_bug *b, const tried *t)
{
    char val[200] = "";
    /* an enumerated parameter (the layers, the table) is said by its meaning alone */
    int enumerated = b->param && (strcmp(b->param, "layers") == 0 || strcmp(b->param, "table") == 0 ||
                                  strcmp(b->param, "form") == 0);
    if (enumerated && t && t->note)
        snprintf(val, sizeof val, " (%s: %s)", b->param, t->note);
    else if (b->param && t && !isnan(t->v))
        snprintf(val, sizeof val, " (%s = %.3g%s%s%s)", b->param, t->v, t->fitted ? ", fitted" : "",
                 t->note ? ": " : "", t->note ? t->note : "");
    int n = snprintf(buf, len, "%s: %s%s (%s)", b->name, b->explain, val, b->equations);
    return n < 0 ? 0 : (size_t)n;
}

static void say_one(bp_matches *mt, const bp_bug *b, const tried *t)
{
    say_model(mt->hint, sizeof mt->hint, b, t);
}

/* "consistent with 2 bug models: A (eps = 1e-15) or B (eps = 1e-15)": each at its fitted value */
static void say_ambiguous(bp_matches *mt, const bp_answer *ans, int deep_helps, const tried *vals)
{
    size_t o = (size_t)snprintf(mt->hint, sizeof mt->hint, "consistent with %zu bug models: ", mt->n);
    for (size_t i = 0; i < mt->n && i < BP_MAX_MATCHES && o < sizeof mt->hint; i++) {
        const bp_bug *b = bp_bug_find(mt->name[i]);
        char val[64] = "";
        if (b && b->param && !isnan(vals[i].v) && strcmp(b->family, "precision") != 0)
            snprintf(val, sizeof val, " (%s = %.3g)", b->param, vals[i].v);
        o += (size_t)snprintf(mt->hint + o, sizeof mt->hint - o, "%s%s%s", i ? " or " : "", mt->name[i], val);
    }
    if (o < sizeof mt->hint)
        snprintf(mt->hint + o, sizeof mt->hint - o, "%s",
                 ans->delta || !deep_helps ? "" : "; add --deep (z, a and delta) to separate them");
    mt->ambiguous = 1;
}

/* effect buffers for case c */
static int effect_alloc(effect *E, const bp_case *c)
{
    memset(E, 0, sizeof *E);
    E->grad = bp_model_alloc_like(c->params, NULL), E->step = bp_model_alloc_like(c->params, NULL);
    E->t = bp_trace_alloc(c->params, c->batch->m, NULL);
    size_t n = 0;
    for (size_t l = 1; l <= c->params->L; l++)
        n += c->batch->m * c->params->n[l];
    for (int k = 0; k < 3; k++)
        E->tr[k] = malloc((n ? n : 1) * sizeof(double));
    return E->grad && E->step && E->t && E->tr[0] && E->tr[1] && E->tr[2] ? 0 : -1;
}

static void effect_free(effect *E)
{
    bp_model_free(E->grad), bp_model_free(E->step), bp_trace_free(E->t);
    for (int k = 0; k < 3; k++)
        free(E->tr[k]);
}

/* Are the effect's z, a or delta apart from the case's (as fit's APART)? Then an answer with
 * them (--deep) can tell this model from another that leaves them right. */
static int trace_apart(const effect *E, const bp_case *c, const bp_bounds *B)
{
    double *const *eff[3] = {E->t->z, E->t->a, E->t->delta};
    double *const *exp[3] = {c->trace->z, c->trace->a, c->trace->delta};
    double *const *bnd[3] = {B->trace->z, B->trace->a, B->trace->delta};
    for (int q = 0; q < 3; q++)
        for (size_t l = 1; l <= c->params->L; l++)
            for (size_t i = 0; i < c->batch->m * c->params->n[l]; i++) {
                double e = eff[q][l][i], slack = FIT_K * bnd[q][l][i] + FIT_REL * fabs(e);
                if (!(fabs(e - exp[q][l][i]) <= APART_K * slack))
                    return 1;
            }
    return 0;
}

/* Model b at value t, in each sigma' variant (stably, and as s (1 - s)), judged against the
 * answer: what it explains in any variant. */
static void try_model(verdict *v, const bp_bug *b, const tried *t, int variants, const qset *A,
                      effect *E, const bp_case *c, const bp_case *prev, const bp_bounds *B)
{
    memset(v, 0, sizeof *v);
    bp_bug_param(t->v);
    for (int variant = 0; variant < variants; variant++) {
        bp_error err;
        bp_bug_variant(variant);
        if (bp_bug_eval(b, c, prev, &E->cost, E->grad, E->step, E->t, &err) == 1)
            break;
        verdict v2;
        judge(&v2, A, E, c);
        v->moves_trace |= trace_apart(E, c, B);
        v->full |= v2.full;
        for (int q = 0; q < NQ; q++)
            v->explains[q] |= v2.explains[q];
    }
    bp_bug_variant(0);
    bp_bug_param(NAN);
}

/* What trying the catalogue on an answer found. */
typedef struct {
    const bp_bug *only[NQ]; /* the one model that explains each wrong quantity (per[q] == 1) */
    tried onlyv[NQ];
    size_t per[NQ];
    const bp_bug *first; /* the first model named alone, at firstv */
    tried firstv;
    int deep_helps;                      /* a named model moves the trace: --deep tells them apart */
    tried namedv[BP_MAX_MATCHES + 1];    /* the value each name is at */
    const bp_bug *unfixed[BP_MAX_MATCHES]; /* families that fit at several values */
    size_t nunfixed;
} search;

/* Momentum's velocity, from the previous request's answered step (NULL: none to fit). */
static bp_model *velocity_of(const bp_answer *ans, const bp_case *prev)
{
    const bp_case *c = ans->c;
    bp_model *vel = NULL;
    if (prev && !prev->params_dropped && ans->prev_step && prev->eta != 0.0 && bp_model_same_shape(prev->params, c->params) &&
        (vel = bp_model_alloc_like(c->params, NULL)) != NULL)
        for (size_t i = 0; i < c->params->nparams; i++)
            vel->theta[i] = (prev->params->theta[i] - ans->prev_step->theta[i]) / prev->eta;
    return vel;
}

/* Model b at every value of its parameter: named in mt where exactly one value explains the
 * whole answer; and, per quantity, counted where one value explains it. Every value is tried:
 * where several fit (a threshold no entry of the case lies between), the evidence does not
 * determine the parameter, and so does not tell this family from code that merely acts like
 * it there (the sigmoid as 1/2 (1 + tanh(z/2)) is exactly 0 below z = -37.4, say). */
static void try_family(search *S, bp_matches *mt, const bp_bug *b, const bp_answer *ans, const bp_model *vel,
                       const qset *A, effect *E, const bp_case *prev, int variants)
{
    tried T[MAX_TRIES];
    size_t nt = model_tries(T, b, ans, vel), full = 0, explains[NQ] = {0};
    tried at = {NAN, 0, NULL}, atq[NQ];
    int moves = 0;
    for (size_t k = 0; k < nt; k++) {
        verdict v = {0, {0}, 0};
        try_model(&v, b, &T[k], variants, A, E, ans->c, prev, ans->B);
        if (v.full && full++ == 0)
            at = T[k], moves = v.moves_trace;
        for (int q = 0; q < NQ; q++)
            if (v.explains[q] && explains[q]++ == 0)
                atq[q] = T[k];
    }
    if (full == 1) {
        if (!S->first)
            S->first = b, S->firstv = at;
        S->deep_helps |= moves;
        if (mt->n < BP_MAX_MATCHES)
            S->namedv[mt->n] = at;
        add_name(mt, b->name);
    } else if (full > 1 && S->nunfixed < BP_MAX_MATCHES) {
        S->unfixed[S->nunfixed++] = b; /* not named, but no other model is named alone beside it */
    }
    for (int q = 0; q < NQ; q++)
        if (explains[q] == 1 && S->per[q]++ == 0)
            S->only[q] = b, S->onlyv[q] = atq[q];
}

/* Lower precision, named from its signature alone (with u fitted). */
static void try_precision(search *S, bp_matches *mt, const qset *A, const bp_case *c, int profile32)
{
    static char note[120]; /* firstv points at it until the hint is said */
    double u_fit = 0.0;
    const char *low = lower_precision(A, c, profile32, &u_fit);
    if (!low)
        return;
    const precision *pr = precisions;
    while (strcmp(pr->name, low) != 0)
        pr++;
    snprintf(note, sizeof note, "the median relative error, %.2g of %s's unit roundoff %.2g", u_fit / pr->u,
             low, pr->u);
    if (!S->first)
        S->first = bp_bug_find(low), S->firstv = (tried){u_fit, 1, note};
    if (mt->n < BP_MAX_MATCHES)
        S->namedv[mt->n] = (tried){NAN, 0, NULL};
    add_name(mt, low);
}

/* No model explains the whole answer: a composition, each wrong quantity explained by one
 * model (the step by the gradient); otherwise nothing is said. */
static void say_composition(bp_matches *mt, const search *S, const qset *A, const bp_answer *ans)
{
    int follows = A->wrong[Q_STEP] && A->wrong[Q_GRAD] && bp_step_follows(ans), ok = 1, parts = 0;
    for (int q = 0; q < NQ; q++)
        if (A->got[q] && A->wrong[q] && !(q == Q_STEP && follows) && S->per[q] != 1)
            ok = 0;
    size_t o = 0;
    for (int q = 0; ok && q < NQ; q++) {
        if (!A->got[q] || !A->wrong[q] || (q == Q_STEP && follows))
            continue;
        add_name(mt, S->only[q]->name);
        o += (size_t)snprintf(mt->hint + o, o < sizeof mt->hint ? sizeof mt->hint - o : 0, "%sthe %s as ",
                              parts++ ? "; and " : "", qname[q]);
        o += say_model(mt->hint + (o < sizeof mt->hint ? o : sizeof mt->hint - 1),
                       o < sizeof mt->hint ? sizeof mt->hint - o : 1, S->only[q], &S->onlyv[q]);
    }
    if (ok && parts >= 2 && follows && o < sizeof mt->hint)
        snprintf(mt->hint + o, sizeof mt->hint - o, "; the step follows the answered gradient");
    if (!ok || parts < 2) { /* one quantity alone explained is no composition: say nothing */
        mt->n = 0, mt->hint[0] = '\0';
    } else {
        mt->composed = 1;
    }
}

void bp_match_bugs(bp_matches *mt, const bp_answer *ans, const bp_case *prev)
{
    memset(mt, 0, sizeof *mt);
    const bp_case *c = ans->c;
    qset A;
    effect E;
    if (qset_init(&A, ans, ans->B) || effect_alloc(&E, c)) {
        qset_free(&A), effect_free(&E);
        return;
    }
    /* which models explain the whole answer, and which explain each wrong quantity */
    search S;
    memset(&S, 0, sizeof S);
    S.firstv = (tried){NAN, 0, NULL};
    for (size_t k = 0; k <= BP_MAX_MATCHES; k++)
        S.namedv[k] = (tried){NAN, 0, NULL};
    bp_model *vel = velocity_of(ans, prev);
    bp_bug_velocity(vel);
    for (size_t i = 0; i < bp_nbugs; i++)
        if (strcmp(bp_bugs[i].family, "precision") != 0) /* a signature: below */
            try_family(&S, mt, &bp_bugs[i], ans, vel, &A, &E, prev, saturated(c) ? 2 : 1);
    bp_bug_velocity(NULL);
    bp_model_free(vel);
    try_precision(&S, mt, &A, c, ans->B == c->bounds[BP_FLOAT32]);
    /* a family the evidence fits but does not fix is still a hypothesis: beside one named model
     * it makes an ambiguity; alone, nothing is named */
    for (size_t k = 0; mt->n >= 1 && k < S.nunfixed; k++) {
        if (mt->n < BP_MAX_MATCHES)
            S.namedv[mt->n] = (tried){NAN, 0, NULL};
        add_name(mt, S.unfixed[k]->name);
    }
    if (mt->n == 1)
        say_one(mt, S.first, &S.firstv);
    else if (mt->n > 1)
        say_ambiguous(mt, ans, S.deep_helps, S.namedv);
    else
        say_composition(mt, &S, &A, ans);
    qset_free(&A), effect_free(&E);
}
