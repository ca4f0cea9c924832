/* derivations/checks.c: `bpcheck derivations`: one check per equation ID, aimed at that
 * equation itself, against an independent oracle: MPFR at 2048 bits for values (forward pass,
 * costs, steps), the complex step in z itself for deltas, the complex step per parameter for
 * gradients, GSL's Richardson extrapolation for the chain-rule pieces that are per output or
 * per activation (perturbing exactly that quantity). An equation that is wrong or ambiguous as
 * printed is a TODO point: what is wrong, the corrected form, and the check of both.
 *
 * The networks: quadratic 3-4-2 (m = 3, sum and mean), 1-1 (m = 5); loglik 3-5-2, 3-5-4-2,
 * 3-4-3-1, 2-2-1 (P = 3); cross-entropy 4-6-5-3 (m = 3). Inputs are kept away from 0 and 1
 * (|x| in [1.5, 3]), targets in (0.05, 0.95) (rows summing to 1 for cross-entropy). */
#define _POSIX_C_SOURCE 200809L
#include "checks.h"

#include <complex.h>
#undef I /* the imaginary unit: CMPLX is used instead (see oracle.h) */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>
#include <gsl/gsl_rng.h>
#include <mpfr.h>

#include "activation.h"
#include "gradcheck.h"
#include "loglik.h"
#include "mpref.h"
#include "oracle.h"
#include "quadratic.h"
#include "quadratic_003.h"
#include "softmax_ce.h"
#include "train.h"
#include "vectorized.h"

#define U DBL_EPSILON

/* ---- the networks and their oracles ---- */

typedef struct {
    bp_cost model;
    bp_reduction red;
    bp_model *params, *grad, *cs_grad, *mp_grad, *mp_step;
    bp_model *vgrad; /* the vectorized reference's gradient (the documents' matrix forms) */
    bp_batch *batch;
    bp_trace *trace, *cs_delta, *mp_trace, *vtrace;
    double cost, mp_cost, rho;
} setup;

static void setup_make(setup *s, bp_cost model, const char *sizes, size_t m, bp_reduction red,
                       unsigned long seed)
{
    bp_error err;
    size_t L, n[BP_MAX_LAYERS + 1];
    bp_sizes_parse(sizes, &L, n, &err);
    memset(s, 0, sizeof *s);
    s->model = model, s->red = red;
    s->params = bp_model_alloc(L, n, &err);
    bp_model_init_seed(s->params, seed, &err);
    s->batch = bp_batch_alloc(m, n[0], n[L], &err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed + 1);
    for (size_t i = 0; i < m * n[0]; i++)
        s->batch->x[i] = (gsl_rng_uniform(rng) < 0.5 ? -1 : 1) * (1.5 + 1.5 * gsl_rng_uniform(rng));
    for (size_t p = 0; p < m; p++) {
        double sum = 0.0, *y = s->batch->y + p * n[L];
        for (size_t j = 0; j < n[L]; j++)
            sum += y[j] = 0.05 + 0.9 * gsl_rng_uniform(rng);
        if (model == BP_CROSS_ENTROPY)
            for (size_t j = 0; j < n[L]; j++)
                y[j] /= sum;
    }
    gsl_rng_free(rng);
    s->grad = bp_model_alloc_like(s->params, &err);
    s->cs_grad = bp_model_alloc_like(s->params, &err);
    s->mp_grad = bp_model_alloc_like(s->params, &err);
    s->mp_step = bp_model_alloc_like(s->params, &err);
    s->trace = bp_trace_alloc(s->params, m, &err);
    s->cs_delta = bp_trace_alloc(s->params, m, &err);
    s->mp_trace = bp_trace_alloc(s->params, m, &err);
    s->vgrad = bp_model_alloc_like(s->params, &err);
    s->vtrace = bp_trace_alloc(s->params, m, &err);
    vec_gradient(model, s->vgrad, NULL, s->vtrace, s->params, s->batch, red, &err);
    bp_gradient(model, s->grad, &s->cost, s->trace, s->params, s->batch, red, &err);
    or_gradient(OR_COMPLEX, s->cs_grad->theta, NULL, NULL, model, s->params, s->batch, red,
                OR_VECTOR, &err);
    or_delta(s->cs_delta, model, s->params, s->batch, &err);
    s->mp_cost = mp_evaluate(s->params, s->batch, model, red, 0.5, s->mp_grad, NULL, s->mp_step,
                             s->mp_trace);
    s->rho = gc_rho(s->params, m);
}

static void setup_free(setup *s)
{
    bp_model_free(s->params), bp_model_free(s->grad), bp_model_free(s->cs_grad);
    bp_model_free(s->mp_grad), bp_model_free(s->mp_step), bp_model_free(s->vgrad);
    bp_batch_free(s->batch);
    bp_trace_free(s->trace), bp_trace_free(s->cs_delta), bp_trace_free(s->mp_trace);
    bp_trace_free(s->vtrace);
}

static setup Q, QM, N11, LL, LL4, LL1, LL221, CE, CEM;

/* ---- a check's result ---- */

/* The class of a finding (derivations/README.md defines them):
 *   error: read literally, the printed form gives a wrong value (or none, where a right one
 *          was meant and a wrong one is the only conformable reading);
 *   ambiguity: the text admits more than one reading and does not say which; one is right;
 *   unstated assumption: right only under a condition the document never states;
 *   notation: a symbol, index or typesetting slip; the only reading that has a value is the
 *             right one. */
typedef enum { F_ERROR, F_AMBIGUITY, F_ASSUMPTION, F_NOTATION } fclass;
static const char *const class_name[] = {"error", "ambiguity", "unstated assumption", "notation"};

typedef struct {
    fclass cls;
    const char *wrong, *corrected;
    char evidence[200]; /* the printed reading measured, in comparable units, or why not */
    double printed_err; /* its normwise relative error (NAN: not a relative error) */
} finding;

#define MAX_FINDINGS 2

typedef struct {
    double err, bound;       /* normwise: max |x - r| / max |r| */
    const char *oracle;
    int pass;
    char detail[256];        /* the quantity compared */
    finding f[MAX_FINDINGS];
    size_t nf;
} check;

/* Record a finding; its evidence is a normwise relative error (rel >= 0) or, rel NAN, the
 * statement given in fmt (printf-style, may be NULL: "no reading has a value"). */
static finding *add_finding(check *c, fclass cls, const char *wrong, const char *corrected,
                            double rel, const char *fmt, ...)
{
    finding *f = &c->f[c->nf < MAX_FINDINGS ? c->nf++ : MAX_FINDINGS - 1];
    f->cls = cls, f->wrong = wrong, f->corrected = corrected, f->printed_err = rel;
    if (!isnan(rel)) {
        snprintf(f->evidence, sizeof f->evidence, "the printed reading's normwise relative "
                 "error: %.2g", rel);
    } else if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->evidence, sizeof f->evidence, fmt, ap);
        va_end(ap);
    } else {
        snprintf(f->evidence, sizeof f->evidence, "no reading of the printed form has a value "
                 "but the corrected one");
    }
    return f;
}

static double normwise(const double *x, const double *r, size_t n)
{
    double d = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(x[i] - r[i]);
        d = isnan(e) ? INFINITY : fmax(d, e);
        s = fmax(s, fabs(r[i]));
    }
    return s > 0.0 ? d / s : (d > 0.0 ? INFINITY : 0.0);
}

static void against(check *c, const double *x, const double *r, size_t n, double bound,
                    const char *oracle)
{
    c->err = normwise(x, r, n), c->bound = bound, c->oracle = oracle;
    c->pass = c->err <= bound;
}

/* The W (which = 0) or b (which = 1) entries of layers [l0, l1] of theta, gathered. */
static size_t gather(const bp_model *m, const double *theta, int which, size_t l0, size_t l1,
                     double *out)
{
    size_t k = 0;
    for (size_t l = l0; l <= l1; l++) {
        size_t from = which ? bp_model_b_index(m, l, 0) : bp_model_w_index(m, l, 0, 0);
        size_t len = which ? m->n[l] : m->n[l] * m->n[l - 1];
        for (size_t i = 0; i < len; i++)
            out[k++] = theta[from + i];
    }
    return k;
}

/* Compare the W or b of layers [l0, l1] of a gradient with the complex step's. */
static void grad_part(check *c, const setup *s, const bp_model *g, int which, size_t l0, size_t l1)
{
    double *x = malloc(s->params->nparams * sizeof *x), *r = malloc(s->params->nparams * sizeof *r);
    size_t n = gather(s->params, g->theta, which, l0, l1, x);
    gather(s->params, s->cs_grad->theta, which, l0, l1, r);
    against(c, x, r, n, 2 * s->rho, "complex step per parameter");
    free(x), free(r);
}

/* Compare trace layers [l0, l1] of one kind (z, a or delta) with a reference trace. */
static void trace_part(check *c, const setup *s, double **x, double **r, size_t l0, size_t l1,
                       const char *oracle)
{
    size_t total = 0;
    for (size_t l = l0; l <= l1; l++)
        total += s->batch->m * s->params->n[l];
    double *a = malloc(total * sizeof *a), *b = malloc(total * sizeof *b);
    size_t k = 0;
    for (size_t l = l0; l <= l1; l++)
        for (size_t i = 0; i < s->batch->m * s->params->n[l]; i++, k++)
            a[k] = x[l][i], b[k] = r[l][i];
    against(c, a, b, total, 2 * s->rho, oracle);
    free(a), free(b);
}

/* ---- Richardson in one quantity: per-output, per-activation chain pieces ---- */

typedef double (*scalar_fn)(double v, void *ctx);

/* d f / d v at v0 by gsl_deriv_central; *err_est its error estimate (x 64, as gradcheck.c) */
static double richardson(scalar_fn f, void *ctx, double v0, double *err_est)
{
    gsl_function F = {f, ctx};
    double r, abserr;
    gsl_deriv_central(&F, v0, GC_STEP * fmax(1.0, fabs(v0)), &r, &abserr);
    *err_est = GC_ROUND_FACTOR * abserr;
    return r;
}

/* 001: c^p_{n_L} of one data point, with one quantity of layer l set to v: z^l_j (what = 0)
 * or w^{l-1}_{k j} (what = 1, k = 0 the bias); with out_l > 0, z^{out_l}_{out_k} is returned
 * instead of the cost. */
typedef struct {
    const ll_net *net;
    const double *x, *y;
    size_t p, nL, l, j, k;
    int what;
    size_t out_l, out_k;
} ll_ctx;

static double ll_point(double v, void *ptr)
{
    ll_ctx *c = ptr;
    const ll_net *net = c->net;
    size_t L = net->L;
    double prev[64], cur[64];
    for (size_t q = 1; q <= net->N[0]; q++)
        prev[q] = LL_X(c->x, net->N[0], c->p, q);
    double zL[64];
    for (size_t l = 0; l < L; l++) {
        for (size_t n1 = 1; n1 <= net->N[l + 1]; n1++) {
            double w0 = LL_W(net, l, 0, n1);
            if (c->what == 1 && l + 1 == c->l && n1 == c->j && c->k == 0)
                w0 = v;
            double z = w0;
            for (size_t n = 1; n <= net->N[l]; n++) {
                double w = LL_W(net, l, n, n1);
                if (c->what == 1 && l + 1 == c->l && n1 == c->j && c->k == n)
                    w = v;
                z += w * prev[n];
            }
            if (c->what == 0 && l + 1 == c->l && n1 == c->j)
                z = v;
            if (c->out_l == l + 1 && c->out_k == n1)
                return z;
            zL[n1] = z;
            cur[n1] = l + 1 == L ? bp_sigmoid(z) : net->f->f(z);
        }
        memcpy(prev + 1, cur + 1, net->N[l + 1] * sizeof(double));
    }
    return ll_c(LL_X(c->y, net->N[L], c->p, c->nL), zL[c->nL]);
}

/* 004: the loss of sample p with a^l_i set to v (l < L). */
typedef struct {
    const bp_model *m;
    const double *x, *y;
    size_t l, i;
} ce_ctx;

static double ce_point(double v, void *ptr)
{
    ce_ctx *c = ptr;
    const bp_model *m = c->m;
    size_t L = m->L;
    double a[64], z[64], prev[64];
    memcpy(prev, c->x, m->n[0] * sizeof(double));
    for (size_t l = 1; l <= L; l++) {
        sce_weighted_input(z, m->W[l], m->b[l], prev, m->n[l], m->n[l - 1]);
        if (l == L)
            break;
        for (size_t i = 0; i < m->n[l]; i++)
            a[i] = bp_sigmoid(z[i]);
        if (l == c->l)
            a[c->i] = v;
        memcpy(prev, a, m->n[l] * sizeof(double));
    }
    return sce_loss(c->y, z, m->n[L]);
}

/* Collect (value, oracle, estimate) triples, then judge: each |x - r| <= est + rho |r|. */
typedef struct {
    double *x, *r, *e;
    size_t n, cap;
} triples;

static void push(triples *t, double x, double r, double e)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->x = realloc(t->x, t->cap * sizeof *t->x);
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        t->e = realloc(t->e, t->cap * sizeof *t->e);
    }
    t->x[t->n] = x, t->r[t->n] = r, t->e[t->n++] = e;
}

static void judge_triples(check *c, triples *t, double rho)
{
    double scale = 0.0, emax = 0.0;
    int ok = 1;
    for (size_t i = 0; i < t->n; i++)
        scale = fmax(scale, fabs(t->r[i]));
    for (size_t i = 0; i < t->n; i++) {
        ok &= fabs(t->x[i] - t->r[i]) <= t->e[i] + rho * (fabs(t->r[i]) + scale);
        emax = fmax(emax, t->e[i]);
    }
    c->err = normwise(t->x, t->r, t->n);
    c->bound = scale > 0 ? emax / scale + 2 * rho : 2 * rho;
    c->oracle = "Richardson extrapolation (gsl_deriv_central) in that one quantity";
    c->pass = ok;
    free(t->x), free(t->r), free(t->e);
}

/* ---- the checks ---- */

typedef void (*check_fn)(check *c, int arg);

/* fold a second comparison into c: the larger error, both must pass */
static void fold(check *c, const check *b)
{
    c->err = fmax(c->err, b->err), c->bound = fmax(c->bound, b->bound), c->pass &= b->pass;
}

/* 000:1 (the per-index loop and the vector form), 001:1 (001's own pass), 002:ff (the vector
 * form over 002's mini-batch) */
static void chk_forward(check *c, int doc)
{
    if (doc == 1) { /* 001:1 through 001's own forward pass, 1-based, bias as weight 0 */
        setup *s = &LL;
        bp_error err;
        ll_net *net = ll_alloc(s->params->L, s->params->n, &ll_sigmoid, &err);
        ll_trace *t = ll_trace_alloc(net, s->batch->m, &err);
        ll_from_canonical(net, s->params, &err);
        ll_forward(t, net, s->batch->x, s->batch->m, &err);
        bp_trace *ct = bp_trace_alloc(s->params, s->batch->m, &err);
        for (size_t l = 1; l <= net->L; l++)
            for (size_t p = 1; p <= s->batch->m; p++)
                for (size_t j = 1; j <= net->N[l]; j++)
                    ct->z[l][(p - 1) * net->N[l] + j - 1] = LL_Z(t, p, l, j);
        trace_part(c, s, ct->z, s->mp_trace->z, 1, s->params->L, "MPFR at 2048 bits");
        add_finding(c, F_NOTATION,
                    "the bias is printed w^l_{n_0 n_{l+1}} (and then without its layer), but n_0 "
                    "is the input index q of 001:14; the text's own name for it is index 0",
                    "z^{p,l+1}_{n_{l+1}} = w^l_{0 n_{l+1}} + sum_{n_l=1}^{N_l} w^l_{n_l n_{l+1}} "
                    "a^{p,l}_{n_l}, the bias as weight 0 (the code's reading, checked here)",
                    NAN, "notation only: read with n_0 = q the bias would be an input weight; no "
                    "network of the document has a value for w^l_{q n_{l+1}} beside its weights");
        snprintf(c->detail, sizeof c->detail, "z of every layer and data point, 001's forward pass "
                 "(ll_forward), 3-5-2");
        bp_trace_free(ct), ll_trace_free(t), ll_free(net);
        return;
    }
    setup *s = doc == 2 ? &QM : &Q;
    check a;
    if (doc == 0) { /* the per-index loop, then the vector form */
        trace_part(c, s, s->trace->z, s->mp_trace->z, 1, s->params->L, "MPFR at 2048 bits");
        trace_part(&a, s, s->trace->a, s->mp_trace->a, 1, s->params->L, "MPFR at 2048 bits");
        fold(c, &a);
        trace_part(&a, s, s->vtrace->z, s->mp_trace->z, 1, s->params->L, "MPFR at 2048 bits");
        fold(c, &a);
    } else {
        trace_part(c, s, s->vtrace->z, s->mp_trace->z, 1, s->params->L, "MPFR at 2048 bits");
    }
    trace_part(&a, s, s->vtrace->a, s->mp_trace->a, 1, s->params->L, "MPFR at 2048 bits");
    fold(c, &a);
    snprintf(c->detail, sizeof c->detail, doc == 0
             ? "z and a of every layer and sample: the per-index loop (quad_feedforward_layer) "
               "and the vector form (vec_gradient)"
             : "z^l = w^l a^{l-1} + b^l and a^l of every layer, as matrices over the mini-batch "
               "(vec_gradient)");
}

static void chk_cost(check *c, int which)
{
    if (which == 3) { /* 004:cost: the sum and the mean (1/n), the value and its gradient */
        double x[2] = {CE.cost, CEM.cost}, r[2] = {CE.mp_cost, CEM.mp_cost};
        against(c, x, r, 2, 2 * CE.rho, "MPFR at 2048 bits; the complex step");
        check g;
        grad_part(&g, &CEM, CEM.grad, 0, 1, CEM.params->L);
        fold(c, &g);
        grad_part(&g, &CEM, CEM.grad, 1, 1, CEM.params->L);
        fold(c, &g);
        snprintf(c->detail, sizeof c->detail, "C over 3 samples with and without 1/n (MPFR), and "
                 "the gradient of the mean (complex step), 4-6-5-3");
        return;
    }
    setup *s = which == 0 ? &Q : &QM;
    double x = s->cost, r = s->mp_cost;
    against(c, &x, &r, 1, 2 * s->rho, "MPFR at 2048 bits");
    snprintf(c->detail, sizeof c->detail, which == 0
             ? "C summed over 3 samples, 3-4-2 (quad_cost_sample)"
             : "C = 1/n sum_x C_x over 3 samples, 3-4-2");
}

/* deltas. sel: 0 000:3 every layer; 1 000:4 and 2 000:5 (the per-index loop and the vector
 * form); 11 002:BP1 and 12 002:BP2 on 002's mean-reduced mini-batch */
static void chk_delta(check *c, int sel)
{
    setup *s = sel >= 10 ? &QM : &Q;
    int part = sel % 10;
    size_t L = s->params->L, l0 = part == 1 ? L : 1, l1 = part == 2 ? L - 1 : L;
    trace_part(c, s, s->trace->delta, s->cs_delta->delta, l0, l1, "complex step in z itself");
    if (sel == 1 || sel == 2) {
        check v;
        trace_part(&v, s, s->vtrace->delta, s->cs_delta->delta, l0, l1, "complex step in z itself");
        fold(c, &v);
    }
    snprintf(c->detail, sizeof c->detail, "%s of every sample, 3-4-2%s",
             part == 0 ? "delta^l_j = dC_x/dz^l_j of every layer (quad_backprop)"
             : part == 1 ? "delta^L (quad_output_error)" : "delta^l of the hidden layer (quad_backprop_error)",
             sel == 1 || sel == 2 ? ", and the vector form (vec_gradient)"
             : sel >= 10 ? ", mean reduction (002's mini-batch)" : "");
    if (sel == 11)
        add_finding(c, F_AMBIGUITY, "grad_a C is printed with the C of 002:cost, the MEAN over n "
                    "training examples, where the four equations hold for one example's C_x (the "
                    "algorithm's step 3 and the SGD section use C_x)",
                    "delta^{x,L} = grad_a C_x ⊙ sigma'(z^{x,L}), one example; the gradient of C is "
                    "then 1/n sum_x of the per-example gradients", NAN,
                    "read with C the mean, grad_a C with respect to one example's a^L is (1/n) "
                    "grad_a C_x: every delta scaled by the constant 1/n (here 1/3), a scale, not a "
                    "wrong direction");
}

/* gradients. arg: 0 W, 1 b of Q (with the vector form); 10 W, 11 b of QM */
static void chk_grad(check *c, int arg)
{
    setup *s = arg >= 10 ? &QM : &Q;
    grad_part(c, s, s->grad, arg % 10, 1, s->params->L);
    if (arg < 10) {
        check v;
        grad_part(&v, s, s->vgrad, arg % 10, 1, s->params->L);
        fold(c, &v);
    }
    snprintf(c->detail, sizeof c->detail, "dC/d%s of every layer, 3-4-2, %s", arg % 10 ? "b" : "w",
             arg < 10 ? "summed over 3 samples: the per-index loop and the vector form"
                      : "mean over 3 samples (quad_grad_b, quad_grad_w)");
    if (arg == 1)
        add_finding(c, F_NOTATION, "its middle step differentiates w^l a^{l-1} + b^l_j, a vector "
                    "plus a scalar", "dC/db^l_j = dC/dz^l_j dz^l_j/db^l_j with z^l_j = "
                    "sum_k w^l_jk a^{l-1}_k + b^l_j, so dz^l_j/db^l_j = 1", NAN, NULL);
}

static void chk_000_7(check *c, int unused)
{
    (void)unused;
    chk_grad(c, 0);
    /* the printed matrix form a^{l-1} delta^l, read as the outer product (vec_000_7_as_printed,
     * n_{l-1} x n_l) laid over W's layout: compared with the gradient entry for entry */
    setup *s = &Q;
    double *x = calloc(s->params->nparams, sizeof *x), *r = malloc(s->params->nparams * sizeof *r);
    double *o = malloc(s->params->nparams * sizeof *o);
    size_t k = 0;
    for (size_t l = 1; l <= s->params->L; l++) {
        size_t J = s->params->n[l], K = s->params->n[l - 1];
        for (size_t p = 0; p < s->batch->m; p++) {
            vec_000_7_as_printed(o, s->trace->a[l - 1] + p * K, s->trace->delta[l] + p * J, K, J);
            for (size_t f = 0; f < J * K; f++)
                x[k + f] += o[f];
        }
        for (size_t f = 0; f < J * K; f++)
            r[k + f] = s->cs_grad->W[l][f];
        k += J * K;
    }
    add_finding(c, F_ERROR, "the matrix form dC/dw^l = a^{l-1} delta^l is not conformable "
                "(n_{l-1} x 1 times n_l x 1); read as the outer product a^{l-1} (delta^l)^T it is "
                "n_{l-1} x n_l, the transpose of dC/dw^l",
                "dC/dw^l = delta^l (a^{l-1})^T (the per-index form a^{l-1}_k delta^l_j is right)",
                normwise(x, r, k), NULL);
    snprintf(c->detail, sizeof c->detail, "dC/dw^l of every layer, 3-4-2, summed over 3 samples: "
             "the per-index loop (quad_grad_w) and the vector form (vec_gradient)");
    free(x), free(r), free(o);
}

static void chk_002_alg(check *c, int unused)
{
    (void)unused;
    grad_part(c, &QM, QM.vgrad, 0, 1, QM.params->L);
    check b;
    grad_part(&b, &QM, QM.vgrad, 1, 1, QM.params->L);
    fold(c, &b);
    snprintf(c->detail, sizeof c->detail, "the whole gradient of the 5 steps run over the "
             "mini-batch as matrices (vec_gradient), mean reduction, 3-4-2");
}

static void chk_002_sgd(check *c, int unused)
{
    (void)unused;
    bp_error err;
    bp_model *p = bp_model_alloc_like(QM.params, &err);
    bp_model_copy(p, QM.params);
    quad_sgd_update(p, QM.batch, 0.5, &err);
    against(c, p->theta, QM.mp_step->theta, p->nparams, 2 * QM.rho, "MPFR at 2048 bits");
    snprintf(c->detail, sizeof c->detail, "w and b after one step w - (eta/m) sum_x delta (a)^T "
             "(quad_sgd_update), eta = 0.5, m = 3");
    /* m, never defined: read as the n of 002:cost (the whole training set) the step shrinks */
    add_finding(c, F_AMBIGUITY, "m is never defined: the text says 'a set of training examples' "
                "and its cost 002:cost averages over n examples",
                "m = the number of examples in the set taken at step 1 (the mini-batch); the step "
                "is then eta times the gradient of the mean cost over that mini-batch", NAN,
                "read with m = n, the size of the training set of 002:cost, every step is scaled by "
                "the constant m/n (here 3/n): a learning rate, not a relative error");
    bp_model_free(p);
}

/* 003 on Q (two layers, sum): its own functions, then mapped */
static void chk_003(check *c, int what) /* 0 d2, 1 d1, 2 gW2, 3 gb2, 4 gW1, 5 gb1, 6 upd */
{
    setup *s = &Q;
    bp_error err;
    size_t n0 = s->params->n[0], n1 = s->params->n[1], n2 = s->params->n[2], m = s->batch->m;
    q003_params *q = q003_alloc(n0, n1, n2, &err), *g = q003_alloc(n0, n1, n2, &err);
    q003_from_canonical(q, s->params, &err);
    static const char *const what_name[] = {
        "delta_2, every sample (q003_output_delta)", "delta_1, every sample (q003_hidden_delta)",
        "dL/dW_2 (q003_backprop)", "dL/db_2 (q003_backprop)", "dL/dW_1 (q003_backprop)",
        "dL/db_1 (q003_backprop)", "W and b after one step (q003_update), eta = 0.5"};
    snprintf(c->detail, sizeof c->detail, "%s, 3-4-2 as 3 rows of samples, L summed", what_name[what]);
    if (what <= 1) {
        double *z1 = malloc(m * n1 * sizeof *z1), *a1 = malloc(m * n1 * sizeof *a1);
        double *z2 = malloc(m * n2 * sizeof *z2), *a2 = malloc(m * n2 * sizeof *a2);
        double *d1 = malloc(m * n1 * sizeof *d1), *d2 = malloc(m * n2 * sizeof *d2);
        q003_forward_layer(z1, a1, s->batch->x, q->W1, q->b1, m, n0, n1);
        q003_forward_layer(z2, a2, a1, q->W2, q->b2, m, n1, n2);
        q003_output_delta(d2, a2, s->batch->y, z2, m, n2);
        q003_hidden_delta(d1, d2, q->W2, z1, m, n1, n2);
        if (what == 0)
            against(c, d2, s->cs_delta->delta[2], m * n2, 2 * s->rho, "complex step in z itself");
        else
            against(c, d1, s->cs_delta->delta[1], m * n1, 2 * s->rho, "complex step in z itself");
        free(z1), free(a1), free(z2), free(a2), free(d1), free(d2);
    } else {
        bp_model *back = bp_model_alloc_like(s->params, &err);
        q003_backprop(g, NULL, q, s->batch->x, s->batch->y, m, &err);
        if (what == 6) {
            q003_update(q, g, 0.5);
            q003_to_canonical(back, q, &err);
            against(c, back->theta, s->mp_step->theta, back->nparams, 2 * s->rho, "MPFR at 2048 bits");
        } else {
            q003_to_canonical(back, g, &err);
            static const int layer[] = {0, 0, 2, 2, 1, 1};
            grad_part(c, s, back, what % 2 == 0 ? 0 : 1, (size_t)layer[what], (size_t)layer[what]);
            if (what == 3)
                add_finding(c, F_AMBIGUITY, "003 never defines its loss L; the printed sums over "
                            "the batch (dL/db, the update without 1/m) are right only if L is the "
                            "SUM over the batch",
                            "L = 1/2 sum_p sum_j (a_2 - y)^2 (the canonical quadratic cost, sum "
                            "reduction)", NAN, "read with L the MEAN over the batch, every entry "
                            "of every gradient is off by the same factor m = %zu (relative error "
                            "1 - 1/m = %.2g whatever the data): a scale, not a wrong direction",
                            m, 1.0 - 1.0 / (double)m);
        }
        bp_model_free(back);
    }
    q003_free(q), q003_free(g);
}

static double complex cx_sigmoid(double complex z) { return 1.0 / (1.0 + cexp(-z)); }

static void chk_sigma_prime(check *c, int doc) /* 003:sig (printed form) or 004:sig */
{
    static const double zs[] = {-7.5, -2.385, -0.3, 0.0, 1.1, 2.385, 9.0};
    double x[7], r[7];
    for (int i = 0; i < 7; i++) {
        x[i] = doc == 3 ? q003_sigma_prime(zs[i]) : bp_sigmoid_prime(zs[i]);
        r[i] = or_complex_step_1d(cx_sigmoid, zs[i]);
    }
    /* 003's s(1 - s) loses e^{|z|} u to cancellation at z = 9: (15 + 3 e^9) u, derived for
     * 003:sig in t/quadratic_003.c */
    against(c, x, r, 7, doc == 3 ? (15 + 3 * exp(9.0)) * U : 16 * U, "complex step, one variable");
    snprintf(c->detail, sizeof c->detail, "sigma'(z) at z = -7.5, -2.385, -0.3, 0, 1.1, 2.385, 9 "
             "(%s)%s", doc == 3 ? "q003_sigma_prime" : "bp_sigmoid_prime",
             doc == 4 ? "; the printed argument a is a dummy name: the formulas 004:10-12 apply it "
                        "at z^l" : "");
}

/* 003:1 .. 003:4, one neuron, against MPFR */
static void chk_003_neuron(check *c, int what)
{
    setup *s = &N11;
    double w = s->params->W[1][0], b = s->params->b[1][0];
    mpfr_t t, zz, r;
    mpfr_inits2(MP_PREC, t, zz, r, (mpfr_ptr)0);
    double x[5], ref[5];
    for (size_t p = 0; p < 5; p++) {
        double xp = s->batch->x[p];
        mpfr_set_d(zz, w, MPFR_RNDN);
        mpfr_mul_d(zz, zz, xp, MPFR_RNDN);
        mpfr_add_d(zz, zz, b, MPFR_RNDN); /* exact z = w x + b */
        if (what == 1) {
            x[p] = q003_neuron_z(w, xp, b), ref[p] = mpfr_get_d(zz, MPFR_RNDN);
        } else {
            mp_sigmoid(r, zz);
            x[p] = q003_neuron_f(w, xp, b), ref[p] = mpfr_get_d(r, MPFR_RNDN);
            if (what == 3) {
                mpfr_set_d(t, xp, MPFR_RNDN);
                mp_sigmoid(r, t);
                x[p] = q003_sigma(xp), ref[p] = mpfr_get_d(r, MPFR_RNDN);
            }
        }
    }
    mpfr_clears(t, zz, r, (mpfr_ptr)0);
    if (what == 4) {
        double cost = q003_neuron_cost(w, b, s->batch->x, s->batch->y, 5), g[2], r[2];
        against(c, &cost, &s->mp_cost, 1, 2 * s->rho, "MPFR at 2048 bits; the complex step");
        /* the chain rule printed beside it, read as dC/dw_1 = sum (sigma(z) - y) sigma'(z) x */
        q003_neuron_grad(&g[0], &g[1], w, b, s->batch->x, s->batch->y, 5);
        r[0] = s->cs_grad->W[1][0], r[1] = s->cs_grad->b[1][0];
        double ge = normwise(g, r, 2);
        c->err = fmax(c->err, ge), c->pass &= ge <= 2 * s->rho;
        snprintf(c->detail, sizeof c->detail, "the 1-1 network over 5 samples: its cost "
                 "(q003_neuron_cost, MPFR) and the corrected chain rule (q003_neuron_grad, "
                 "complex step, error %.2g)", ge);
        /* read with 003:1's meanings, b is a parameter and x_1 an input: neither depends on the
         * other nor on w_1, so db/dx = dx/dw_1 = 0 and the printed product is 0 */
        add_finding(c, F_ERROR, "the chain rule printed for it, dC/dw_1 = dC/da_i da_i/db db/dx "
                    "dx/dw_1, read with the meanings 003:1 gives its symbols (b the bias, x_1 the "
                    "input) has db/dx = dx/dw_1 = 0: it is 0 for every network",
                    "dC/dw_1 = sum (sigma(z) - y_1) sigma'(z) x_1 (dC/da da/dz dz/dw_1), dC/db "
                    "likewise with dz/db = 1", normwise((double[2]){0.0, 0.0}, r, 2), NULL);
        add_finding(c, F_AMBIGUITY, "its sum has no range, and y_1 no sample index",
                    "C(w_1) = 1/2 sum_{p=1}^{m} (sigma(w_1 x^p_1 + b) - y^p_1)^2, over the samples",
                    NAN, "read over one sample (no sum) C is one term of the five: a different "
                    "function, not a rounding of this one");
        return;
    }
    /* a product and a sum: 2 roundings; sigma: 4 */
    against(c, x, ref, 5, (what == 1 ? 2 : 4) * U, "MPFR at 2048 bits");
    snprintf(c->detail, sizeof c->detail, "%s for 5 inputs of the 1-1 network",
             what == 1 ? "z = w_1 x_1 + b (q003_neuron_z)" : what == 2 ? "sigma(z) (q003_neuron_f)"
                                                                 : "sigma(x) (q003_sigma)");
    if (what == 3)
        add_finding(c, F_NOTATION, "printed 'e^- x' (the exponent's braces lost)",
                    "sigma(x) = 1/(1 + e^{-x})", NAN, "notation only: e^- x has no value but "
                    "e^{-x}");
}

/* 001 */
static ll_net *net_of(const setup *s, const ll_activation *f)
{
    bp_error err;
    ll_net *net = ll_alloc(s->params->L, s->params->n, f, &err);
    ll_from_canonical(net, s->params, &err);
    return net;
}

/* The literal readings of three printed systems, evaluated for every data point p and outer
 * output n_L: at l = L, 001:10's sum runs over n_L, the outer index of c_{n_L}, so the term is
 * w dc_{n}/dz^L_{n} for EVERY output n; 001:11's first line keeps one term, n_l = 1, below the
 * output layer too; 001:14's first line sums w^1_{n_1 n_l} over n_l against the fixed
 * dc_{n_2}/dz^2_{n_2}. The gradient goes to cg in the canonical layout. */
typedef enum { LIT_001_10, LIT_001_11, LIT_001_14 } literal_reading;

static void ll_literal(bp_model *cg, const setup *s, const ll_net *net, literal_reading reading)
{
    bp_error err;
    ll_trace *t = ll_trace_alloc(net, s->batch->m, &err);
    ll_forward(t, net, s->batch->x, s->batch->m, &err);
    ll_net *g = ll_alloc_like(net, &err);
    memset(g->mem, 0, g->nparams * sizeof(double));
    size_t L = net->L, NL = net->N[L];
    double D[BP_MAX_LAYERS + 1][64];
    for (size_t p = 1; p <= s->batch->m; p++)
        for (size_t nL = 1; nL <= NL; nL++) {
            for (size_t n = 1; n <= NL; n++) /* dc_{n_L}/dz^L_n: one term, n = n_L */
                D[L][n] = n == nL ? ll_dc_dzL(LL_X(s->batch->y, NL, p, n), LL_Z(t, p, L, n)) : 0.0;
            for (size_t l = L; l >= 1; l--) {
                for (size_t nl = 1; nl <= net->N[l]; nl++) {
                    LL_W(g, l - 1, 0, nl) += D[l][nl];
                    for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                        LL_W(g, l - 1, nm, nl) += LL_A(t, p, l - 1, nm) * D[l][nl];
                }
                if (l < 2)
                    break;
                for (size_t nm = 1; nm <= net->N[l - 1]; nm++) {
                    double s2 = 0.0;
                    for (size_t n = 1; n <= net->N[l]; n++) {
                        double term = D[l][n];
                        if (reading == LIT_001_14) /* w^1_{n_1 n_l} dc_{n_2}/dz^2_{n_2} */
                            term = D[l][nL];
                        else if (reading == LIT_001_10 && l == L) /* the bound n_L: every n */
                            term = ll_dc_dzL(LL_X(s->batch->y, NL, p, n), LL_Z(t, p, L, n));
                        s2 += LL_W(net, l - 1, nm, n) * term;
                        if (reading == LIT_001_11) /* one term, n_l = 1, as printed */
                            break;
                    }
                    D[l - 1][nm] = net->f->fprime(LL_Z(t, p, l - 1, nm)) * s2;
                }
            }
        }
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    ll_free(g), ll_trace_free(t);
}

typedef int (*ll_special)(ll_net *, double *, const ll_net *, const double *, const double *,
                          size_t, bp_error *);

/* a 001 system's gradient, mapped to the canonical loglik (sign, transpose, bias), vs CS.
 * which: 0 001:3 (ll_backprop, per term), 1 001:13 (sigmoid), 2 001:11 (one output),
 * 3 001:14 (two layers), 4 001:10 (backwards, 3-5-4-2), 5 001:9 (ll_backprop_summed) */
static void chk_001_system(check *c, int which)
{
    setup *s = which == 2 ? &LL1 : which == 4 ? &LL4 : &LL;
    bp_error err;
    ll_net *net = net_of(s, &ll_sigmoid), *g = ll_alloc_like(net, &err);
    bp_model *cg = bp_model_alloc_like(s->params, &err);
    double **dz = NULL;
    if (which == 5) {
        dz = calloc(s->params->L + 1, sizeof *dz);
        for (size_t l = 1; l <= s->params->L; l++)
            dz[l] = calloc(s->batch->m * (s->params->n[l] + 1), sizeof **dz);
    }
    int rc = which == 1   ? ll_backprop_sigmoid(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
             : which == 2 ? ll_backprop_one_output(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
             : which == 3 ? ll_backprop_two_layer(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
             : which == 5 ? ll_backprop_summed(g, NULL, dz, net, s->batch->x, s->batch->y, s->batch->m, &err)
                          : ll_backprop(g, NULL, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err);
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    double bound = 2 * s->rho;
    if (which == 1) /* a(1 - a) against sigma sigma': the gap of t/loglik, at |z| <= 5 here */
        bound += 2 * (15 + 3 * exp(5.0)) * U;
    against(c, cg->theta, s->cs_grad->theta, cg->nparams, rc ? -1 : bound, "complex step per parameter");
    static const char *const what[] = {
        "dC/dw^l, the sum over p and n_L of the per-term gradients (ll_backprop), 3-5-2, P = 3",
        "the sigmoid system's gradient (ll_backprop_sigmoid), 3-5-2, P = 3",
        "the one-output system's gradient (ll_backprop_one_output), 3-4-3-1: a hidden layer "
        "between the last hidden layer and the output",
        "the two-layer system's gradient (ll_backprop_two_layer), 3-5-2, P = 3",
        "the system run backwards from L (ll_backprop), 3-5-4-2, P = 3",
        "the system with f' outside the sum (ll_backprop_summed): its gradient, and dc^p/dz^{p,l} "
        "against the complex step in z, 3-5-2"};
    snprintf(c->detail, sizeof c->detail, "%s", what[which]);
    if (which == 5) { /* dz[l] holds sum_{n_L} dc^p_{n_L}/dz^{p,l}: the ascent, so -delta */
        check d;
        bp_trace *t = bp_trace_alloc(s->params, s->batch->m, &err);
        for (size_t l = 1; l <= s->params->L; l++)
            for (size_t p = 0; p < s->batch->m; p++)
                for (size_t j = 0; j < s->params->n[l]; j++)
                    t->delta[l][p * s->params->n[l] + j] = -dz[l][p * (s->params->n[l] + 1) + j + 1];
        trace_part(&d, s, t->delta, s->cs_delta->delta, 1, s->params->L, "complex step in z itself");
        fold(c, &d);
        c->oracle = "complex step per parameter and in z itself";
        bp_trace_free(t);
        for (size_t l = 1; l <= s->params->L; l++)
            free(dz[l]);
        free(dz);
    }
    if (which == 2) {
        /* the printed first line drops the sum over n_l below the last hidden layer: keep only
         * the term n_l = 1 there (what a free index would give) and see */
        ll_literal(cg, s, net, LIT_001_11);
        add_finding(c, F_ERROR, "its first line drops the sum over n_l, right only when layer l is "
                    "the output layer",
                    "dc^p/dz^{p,l-1}_{n_{l-1}} = f'(z) sum_{n_l} w^{l-1}_{n_{l-1} n_l} "
                    "dc^p/dz^{p,l}_{n_l} for l < L (one term only at l = L)",
                    normwise(cg->theta, s->cs_grad->theta, cg->nparams), NULL);
        add_finding(c, F_NOTATION, "'N_l = 1' for one output neuron should be N_L = 1",
                    "N_L = 1", NAN, "notation only: with N_l = 1 for every l the sentence would "
                    "describe a chain of single neurons, which the lines do not treat");
    }
    if (which == 3 || which == 4) {
        ll_literal(cg, s, net, which == 3 ? LIT_001_14 : LIT_001_10);
        double rel = normwise(cg->theta, s->cs_grad->theta, cg->nparams);
        if (which == 3)
            add_finding(c, F_ERROR, "the first line sums over n_l a term whose last factor is the "
                        "fixed dc_{n_2}/dz^{p,2}_{n_2}: read literally it multiplies that one term "
                        "by the sum of the weights w^1_{n_1 n_l}; the next lines keep the general "
                        "z^{p,l-1}, n_L, n_{l-1}",
                        "dc_{n_2}/dz^{p,1}_{n_1} = f'(z^{p,1}_{n_1}) w^1_{n_1 n_2} dc_{n_2}/dz^{p,2}_{n_2}; "
                        "dC/dw^0_{q n_1} = sum_p x^p_q sum_{n_2} dc_{n_2}/dz^{p,1}_{n_1}", rel, NULL);
        else
            add_finding(c, F_ERROR, "at l = L the first line's sum runs over n_L, the index of "
                        "c_{n_L} already bound outside: read literally every output's term "
                        "w dc_n/dz^L_n enters the sum for each n_L, and the sums over n_L in the "
                        "next lines count each N_L times below the output layer",
                        "at l = L sum over a fresh index m: dc^p_{n_L}/dz^{p,L-1}_{n_{L-1}} = "
                        "f'(z^{p,L-1}_{n_{L-1}}) sum_{m=1}^{N_L} w^{L-1}_{n_{L-1} m} "
                        "dc^p_{n_L}/dz^{p,L}_m (one term, m = n_L)", rel, NULL);
    }
    ll_free(net), ll_free(g), bp_model_free(cg);
}

static void chk_001_cost(check *c, int unused)
{
    (void)unused;
    bp_error err;
    ll_net *net = net_of(&LL, &ll_sigmoid);
    ll_trace *t = ll_trace_alloc(net, LL.batch->m, &err);
    ll_forward(t, net, LL.batch->x, LL.batch->m, &err);
    double C = -ll_cost(t, LL.batch->y), r = LL.mp_cost; /* C is a likelihood: its negation */
    against(c, &C, &r, 1, 2 * LL.rho, "MPFR at 2048 bits");
    /* minimising C as a cost: theta - eta dC/dtheta, i.e. + eta times the canonical gradient */
    bp_model *step = bp_model_alloc_like(LL.params, &err);
    bp_model_step(step, LL.params, LL.grad, -0.05);
    double rise = ll_canonical_cost(step, LL.batch, BP_SUM) - LL.cost;
    snprintf(c->detail, sizeof c->detail, "-C over 3 data points, 3-5-2 (ll_cost)");
    add_finding(c, F_ERROR, "C (and c of 001:12) is a log-LIKELIHOOD, to be maximised; called a "
                "cost, minimising it makes the model worse",
                "the loss is -C; its gradient is -(the document's), the descent direction", NAN,
                "a change of the cost, not a relative error: one step that minimises C "
                "(eta = 0.05) RAISES the negated log-likelihood from %.4g by %.3g", LL.cost, rise);
    c->pass &= rise > 0; /* the evidence must hold */
    bp_model_free(step);
    ll_trace_free(t), ll_free(net);
}

/* 001's per-output chain pieces by Richardson, 3-5-2, every p and n_L: what = 0 dc/dz (001:7),
 * 1 dc/dw = dc/dz dz/dw for every weight and bias (001:4), 2 dz/dw_0 alone (001:5), 3 dz/dz
 * (001:8), 4 dz/dw alone (001:6) */
static void chk_001_pieces(check *c, int what)
{
    bp_error err;
    ll_net *net = net_of(&LL, &ll_sigmoid);
    ll_trace *t = ll_trace_alloc(net, LL.batch->m, &err);
    ll_forward(t, net, LL.batch->x, LL.batch->m, &err);
    double **D = ll_scratch_alloc(net, &err), est;
    triples tr = {NULL, NULL, NULL, 0, 0};
    size_t L = net->L, NL = net->N[L];
    ll_ctx cx = {net, LL.batch->x, LL.batch->y, 0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t p = 1; p <= LL.batch->m; p++)
        for (size_t nL = 1; nL <= NL; nL++) {
            ll_backward_point(D, net, t, LL.batch->y, p, nL, 0);
            cx.p = p, cx.nL = nL;
            for (size_t l = 1; l <= L; l++)
                for (size_t j = 1; j <= net->N[l]; j++) {
                    cx.l = l, cx.j = j, cx.out_l = 0;
                    if (what == 0) {
                        cx.what = 0;
                        double r = richardson(ll_point, &cx, LL_Z(t, p, l, j), &est);
                        push(&tr, D[l][j], r, est);
                    } else if (what == 3 && l < L) {
                        cx.what = 0, cx.out_l = l + 1;
                        for (size_t k = 1; k <= net->N[l + 1]; k++) {
                            cx.out_k = k;
                            double r = richardson(ll_point, &cx, LL_Z(t, p, l, j), &est);
                            push(&tr, ll_dz_dz(LL_W(net, l, j, k), net->f->fprime(LL_Z(t, p, l, j))), r, est);
                        }
                    } else if (what == 1 || (nL == 1 && (what == 2 || what == 4))) {
                        cx.what = 1;
                        if (what != 1) /* the factor alone: z^l_j itself */
                            cx.out_l = l, cx.out_k = j;
                        size_t k0 = what == 4 ? 1 : 0, k1 = what == 2 ? 0 : net->N[l - 1];
                        for (size_t k = k0; k <= k1; k++) {
                            cx.k = k;
                            double r = richardson(ll_point, &cx, LL_W(net, l - 1, k, j), &est);
                            double dzdw = k ? ll_dz_dw(LL_A(t, p, l - 1, k)) : ll_dz_dw0();
                            push(&tr, what == 1 ? ll_dc_dw(D[l][j], dzdw) : dzdw, r, est);
                        }
                    }
                }
        }
    judge_triples(c, &tr, LL.rho);
    static const char *const name[] = {
        "dc^p_{n_L}/dz^{p,l}_{n_l} of every layer (ll_backward_point), in z itself",
        ("dc^p_{n_L}/dw^{l-1}_{n_{l-1} n_l} for every weight and bias, in the weight itself: the "
         "product dc/dz dz/dw (ll_dc_dw of ll_backward_point and ll_dz_dw)"),
        "dz^{p,l}_{n_l}/dw^{l-1}_{0 n_l} (ll_dz_dw0), in the bias itself",
        "dz^{p,l+2}/dz^{p,l+1} for every pair (ll_dz_dz), in z^{l+1} itself",
        "dz^{p,l}_{n_l}/dw^{l-1}_{n_{l-1} n_l} (ll_dz_dw), in the weight itself"};
    snprintf(c->detail, sizeof c->detail, "%s, 3-5-2, every data point%s", name[what],
             what == 2 || what == 4 ? "" : " and output n_L");
    if (what == 3)
        add_finding(c, F_NOTATION, "printed dz^{p,l+2}/z^{p,l+1}: the d of the denominator lost",
                    "dz^{p,l+2}_{n_{l+2}}/dz^{p,l+1}_{n_{l+1}} = w^{l+1}_{n_{l+1} n_{l+2}} "
                    "f'(z^{p,l+1}_{n_{l+1}})", NAN, "notation only: a quotient by z^{p,l+1} would "
                    "not be the factor 001:7 needs, and the text uses it as that factor");
    ll_scratch_free(D), ll_trace_free(t), ll_free(net);
}

/* 001:12: the term c itself and its derivative y - h, both against MPFR */
static void chk_001_12(check *c, int unused)
{
    (void)unused;
    static const double zs[] = {-40, -2.385, 0.7, 40}, ys[] = {0, 0.3, 1};
    double x[12], r[12], cx[12], cr[12];
    mpfr_t Z, h, Y, t;
    mpfr_inits2(MP_PREC, Z, h, Y, t, (mpfr_ptr)0);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) {
            mpfr_set_d(Z, zs[i], MPFR_RNDN);
            mp_sigmoid(h, Z);
            /* c = y ln h + (1 - y) ln(1 - h) */
            mpfr_log(t, h, MPFR_RNDN);
            mpfr_mul_d(Y, t, ys[k], MPFR_RNDN);
            mpfr_ui_sub(t, 1, h, MPFR_RNDN);
            mpfr_log(t, t, MPFR_RNDN);
            mpfr_mul_d(t, t, 1.0 - ys[k], MPFR_RNDN);
            mpfr_add(t, t, Y, MPFR_RNDN);
            cr[i * 3 + k] = mpfr_get_d(t, MPFR_RNDN);
            cx[i * 3 + k] = ll_c(ys[k], zs[i]);
            mpfr_set_d(Y, ys[k], MPFR_RNDN);
            mpfr_sub(Y, Y, h, MPFR_RNDN); /* y - h */
            r[i * 3 + k] = mpfr_get_d(Y, MPFR_RNDN);
            x[i * 3 + k] = ll_dc_dzL(ys[k], zs[i]);
        }
    mpfr_clears(Z, h, Y, t, (mpfr_ptr)0);
    /* each a few roundings of its own magnitude (softplus: 4; y - h as y sigma(-z) - ...: 4) */
    against(c, x, r, 12, 16 * U, "MPFR at 2048 bits");
    check v;
    against(&v, cx, cr, 12, 16 * U, "MPFR at 2048 bits");
    fold(c, &v);
    snprintf(c->detail, sizeof c->detail, "c (ll_c) and dc/dz^L = y - h (ll_dc_dzL) at z = -40 .. "
             "40, y = 0, 0.3, 1");
}

static void chk_001_15(check *c, int unused)
{
    (void)unused;
    setup *s = &LL221;
    bp_error err;
    ll_net *net = net_of(s, &ll_sigmoid), *g = ll_alloc_like(net, &err);
    bp_model *cg = bp_model_alloc_like(s->params, &err);
    ll_closed_form_221(g, net, s->batch->x, s->batch->y, s->batch->m, s->batch->m, &err);
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    grad_part(c, s, cg, 0, 1, 1);
    check b;
    grad_part(&b, s, cg, 1, 1, 1);
    fold(c, &b);
    c->bound += 2 * (15 + 3 * exp(5.0)) * U; /* its a(1 - a), as 001:13 */
    c->pass = c->err <= c->bound;
    ll_closed_form_221(g, net, s->batch->x, s->batch->y, s->batch->m, 2, &err);
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    double x[6], r[6];
    gather(s->params, cg->theta, 0, 1, 1, x);
    gather(s->params, s->cs_grad->theta, 0, 1, 1, r);
    add_finding(c, F_ERROR, "the sums run over p = 1..2, the document's example, not over the P "
                "data points", "dC/dw^0_{q n_1} = w^1_{n_1 1} sum_{p=1}^{P} x^p_q a(1-a)(y^p - h^p), "
                "likewise for w^0_{0 n_1}", normwise(x, r, 4), NULL);
    add_finding(c, F_NOTATION, "w^1_{n_1} lacks its output index and 'a^{p1}' its comma",
                "w^1_{n_1 1}, a^{p,1}_{n_1}", NAN, "notation only: with one output the missing "
                "index has one value");
    snprintf(c->detail, sizeof c->detail, "the first layer's weights and biases in closed form "
             "(ll_closed_form_221), 2-2-1 with P = 3 data points");
    ll_free(net), ll_free(g), bp_model_free(cg);
}

/* 004 on CE: the chain path (0 W, 1 b), the simplified path (2 W^L, 3 b^L, 4 hidden W, 5 hidden
 * b), the latter four also through the vectorized reference */
static void chk_004_grad(check *c, int what)
{
    bp_error err;
    bp_model *g = bp_model_alloc_like(CE.params, &err);
    sce_gradient(g, NULL, NULL, CE.params, CE.batch, CE.red, what <= 1 ? SCE_CHAIN : SCE_SIMPLIFIED, &err);
    size_t L = CE.params->L;
    size_t l0 = what <= 1 ? 1 : what <= 3 ? L : 1, l1 = what <= 3 ? L : L - 1;
    grad_part(c, &CE, g, what % 2, l0, l1);
    if (what >= 2) {
        check v;
        grad_part(&v, &CE, CE.vgrad, what % 2, l0, l1);
        fold(c, &v);
    }
    static const char *const name[] = {
        "dC/dw^l of every layer by the chain rule (sce_backward_chain)",
        "dC/db^l of every layer by the chain rule (sce_backward_chain)",
        "dC/dw^L (sce_backward_simplified) and as matrices (vec_gradient)",
        "dC/db^L (sce_backward_simplified) and as matrices (vec_gradient)",
        "dC/dw^l of the hidden layers (sce_backward_simplified) and as matrices (vec_gradient)",
        "dC/db^l of the hidden layers (sce_backward_simplified) and as matrices (vec_gradient)"};
    snprintf(c->detail, sizeof c->detail, "%s, 4-6-5-3, summed over 3 samples", name[what]);
    if (what == 0) {
        /* as printed for the last layer: an elementwise da_i/dz_i = a_i (1 - a_i) */
        bp_model *v = bp_model_alloc_like(CE.params, &err);
        sce_work *w = sce_work_alloc(CE.params, &err);
        bp_model_zero(v);
        for (size_t p = 0; p < CE.batch->m; p++) {
            const double *y = CE.batch->y + p * CE.params->n[L];
            sce_forward(w, CE.params, CE.batch->x + p * CE.params->n[0]);
            for (size_t l = L; l >= 1; l--) {
                size_t I = CE.params->n[l], J = CE.params->n[l - 1];
                for (size_t i = 0; i < I; i++) {
                    if (l == L)
                        w->e[l][i] = w->a[l][i] * (1 - w->a[l][i]) * (-y[i] / w->a[l][i]);
                    else
                        w->e[l][i] = bp_sigmoid_prime(w->z[l][i]) * w->dC_da[l][i];
                    v->b[l][i] += w->e[l][i];
                    for (size_t j = 0; j < J; j++)
                        v->W[l][i * J + j] += w->e[l][i] * w->a[l - 1][j];
                }
                if (l > 1)
                    for (size_t j = 0; j < J; j++) {
                        double s = 0;
                        for (size_t i = 0; i < I; i++)
                            s += CE.params->W[l][i * J + j] * w->e[l][i];
                        w->dC_da[l - 1][j] = s;
                    }
            }
        }
        add_finding(c, F_ERROR, "the chain rule 004:1 with an elementwise da^l_i/dz^l_i is wrong at "
                    "the softmax, whose outputs depend on every logit (the document sidesteps it "
                    "with 004:7)", "at the softmax the last two factors are sum_k da_k/dz_i dC/da_k "
                    "with the full Jacobian da_k/dz_i = a_k (delta_ki - a_i)",
                    normwise(v->theta, CE.cs_grad->theta, v->nparams), NULL);
        sce_work_free(w), bp_model_free(v);
    }
    bp_model_free(g);
}

/* z^l_i = sum_j w_ij a_j + b_i (sce_weighted_input, one row) with w_ij (what 0), b_i (1) or a_j
 * (2) set to v: the single factors 004:4, 004:5, 004:6 perturb exactly that quantity */
typedef struct {
    const double *w, *a;
    double b;
    size_t J, j;
    int what;
} row_ctx;

static double row_z(double v, void *ptr)
{
    row_ctx *c = ptr;
    double w[64], a[64], b = c->what == 1 ? v : c->b, z;
    memcpy(w, c->w, c->J * sizeof *w), memcpy(a, c->a, c->J * sizeof *a);
    if (c->what == 0)
        w[c->j] = v;
    if (c->what == 2)
        a[c->j] = v;
    sce_weighted_input(&z, w, &b, a, 1, c->J);
    return z;
}

/* 004:4 dz^l_i/dw^l_ij = a^{l-1}_j, 004:5 dz^l_i/db^l_i = 1, 004:6 dz^{l+1}_k/da^l_i = w^{l+1}_ki:
 * each factor as the code gives it against Richardson in that quantity, every sample */
static void chk_004_factor(check *c, int what)
{
    bp_error err;
    sce_work *w = sce_work_alloc(CE.params, &err);
    size_t L = CE.params->L;
    triples tr = {NULL, NULL, NULL, 0, 0};
    double est;
    for (size_t p = 0; p < CE.batch->m; p++) {
        sce_forward(w, CE.params, CE.batch->x + p * CE.params->n[0]);
        for (size_t l = 1; l <= L; l++) {
            size_t I = CE.params->n[l], J = CE.params->n[l - 1];
            for (size_t i = 0; i < I; i++) {
                row_ctx rc = {CE.params->W[l] + i * J, w->a[l - 1], CE.params->b[l][i], J, 0, what};
                if (what == 1) {
                    double r = richardson(row_z, &rc, rc.b, &est);
                    push(&tr, sce_dz_db(), r, est);
                    continue;
                }
                for (size_t j = 0; j < J; j++) {
                    rc.j = j;
                    if (what == 0) {
                        double r = richardson(row_z, &rc, rc.w[j], &est);
                        push(&tr, sce_dz_dw(w->a[l - 1][j]), r, est);
                    } else if (l >= 2) { /* dz^l_i/da^{l-1}_j = w^l_ij: 004:6 with l+1 -> l */
                        double r = richardson(row_z, &rc, rc.a[j], &est);
                        push(&tr, sce_dz_da(rc.w[j]), r, est);
                    }
                }
            }
        }
    }
    judge_triples(c, &tr, CE.rho);
    static const char *const name[] = {
        "dz^l_i/dw^l_ij (sce_dz_dw), in each weight itself",
        "dz^l_i/db^l_i (sce_dz_db), in each bias itself",
        "dz^{l+1}_k/da^l_i (sce_dz_da), in each hidden activation itself"};
    snprintf(c->detail, sizeof c->detail, "%s, 4-6-5-3, every sample", name[what]);
    sce_work_free(w);
}

/* dC/da^l by the chain path (004:3) or the simplified path (004:12 l < L-1, 004:13 l = L-1),
 * per index against Richardson in a^l_i; 004:12 and 004:13 also as matrices: the vectorized
 * delta^l = sigma'(z^l) ⊙ dC/da^l against the complex step in z */
static void chk_004_dCda(check *c, int what) /* 0 chain all hidden, 1 simplified l < L-1, 2 simplified l = L-1 */
{
    bp_error err;
    bp_model *g = bp_model_alloc_like(CE.params, &err);
    sce_work *w = sce_work_alloc(CE.params, &err);
    size_t L = CE.params->L, NL = CE.params->n[L];
    size_t l0 = what == 2 ? L - 1 : 1, l1 = what == 1 ? L - 2 : L - 1;
    triples tr = {NULL, NULL, NULL, 0, 0};
    for (size_t p = 0; p < CE.batch->m; p++) {
        const double *x = CE.batch->x + p * CE.params->n[0], *y = CE.batch->y + p * NL;
        sce_forward(w, CE.params, x);
        if (what == 0)
            sce_backward_chain(g, w, CE.params, y);
        else
            sce_backward_simplified(g, w, CE.params, y);
        ce_ctx cx = {CE.params, x, y, 0, 0};
        for (size_t l = l0; l <= l1; l++)
            for (size_t i = 0; i < CE.params->n[l]; i++) {
                double est;
                cx.l = l, cx.i = i;
                double r = richardson(ce_point, &cx, w->a[l][i], &est);
                push(&tr, w->dC_da[l][i], r, est);
            }
    }
    judge_triples(c, &tr, CE.rho);
    snprintf(c->detail, sizeof c->detail, "dC/da^l_i of %s, every sample, in a^l_i itself (%s)%s, "
             "4-6-5-3", what == 0 ? "every hidden layer" : what == 1 ? "layer 1 (l + 1 < L)"
                                                                   : "layer L - 1",
             what == 0 ? "sce_backward_chain" : "sce_backward_simplified",
             what ? "; delta^l as matrices (vec_gradient)" : "");
    if (what) {
        check v;
        trace_part(&v, &CE, CE.vtrace->delta, CE.cs_delta->delta, l0, l1, "complex step in z itself");
        fold(c, &v);
        c->oracle = "Richardson extrapolation (gsl_deriv_central) in that one quantity; the "
                    "complex step in z";
    }
    if (what == 2) {
        /* as printed, w^{T l+1} . a^{l+1} - y: (w^L)^T a^L is n_{L-1} x 1, y is n_L x 1 */
        size_t rows = CE.params->n[L - 1];
        if (rows != NL)
            add_finding(c, F_NOTATION, "printed without parentheses, w^{T l+1} . a^{l+1} - y: "
                        "(w^{l+1})^T a^{l+1} minus y is not conformable",
                        "dC/da^l = (w^{l+1})^T . (a^{l+1} - y)", NAN,
                        "as printed, (w^%zu)^T a^%zu is %zu x 1 and y is %zu x 1 on 4-6-5-3: no "
                        "value; the only conformable reading is the corrected one", L, L, rows, NL);
        else
            c->pass = 0; /* the shape check needs n_{L-1} != n_L */
    }
    sce_work_free(w), bp_model_free(g);
}

static void chk_004_7(check *c, int unused)
{
    (void)unused;
    size_t L = CE.params->L;
    trace_part(c, &CE, CE.trace->delta, CE.cs_delta->delta, L, L, "complex step in z itself");
    /* targets that do not sum to 1: a - y against the truth */
    bp_error err;
    bp_batch *b = bp_batch_alloc(CE.batch->m, CE.batch->n_in, CE.batch->n_out, &err);
    memcpy(b->x, CE.batch->x, b->m * b->n_in * sizeof(double));
    for (size_t i = 0; i < b->m * b->n_out; i++)
        b->y[i] = 0.7 * CE.batch->y[i] * (double)b->n_out; /* rows sum to 0.7 n_L */
    bp_trace *t = bp_trace_alloc(CE.params, b->m, &err), *o = bp_trace_alloc(CE.params, b->m, &err);
    bp_model *g = bp_model_alloc_like(CE.params, &err);
    sce_gradient(g, NULL, t, CE.params, b, BP_SUM, SCE_CHAIN, &err);
    or_delta(o, BP_CROSS_ENTROPY, CE.params, b, &err);
    size_t n = b->m * b->n_out;
    double *amy = malloc(n * sizeof *amy);
    for (size_t i = 0; i < n; i++)
        amy[i] = t->a[L][i] - b->y[i];
    finding *f = add_finding(c, F_ASSUMPTION, "dL/dz = a - y needs each sample's targets to sum to "
                             "1, a condition never stated",
                             "dL/dz_k = a_k sum_i y_i - y_k; a - y when sum_i y_i = 1 (one-hot or a "
                             "probability vector)", normwise(amy, o->delta[L], n), NULL);
    snprintf(f->evidence + strlen(f->evidence), sizeof f->evidence - strlen(f->evidence),
             ", with targets summing to %.1f (0 with targets summing to 1)", 0.7 * (double)b->n_out);
    snprintf(c->detail, sizeof c->detail, "dL/dz^L = a - y (sce_backward_simplified), every sample, "
             "targets summing to 1, 4-6-5-3");
    free(amy), bp_model_free(g), bp_trace_free(t), bp_trace_free(o), bp_batch_free(b);
}

/* 004:train: one step of the loop in every layer against MPFR, then the loop learning */
static void chk_004_train(check *c, int unused)
{
    (void)unused;
    bp_error err;
    /* one sample, one epoch of batch 1: theta - eta dL/dtheta, every layer (MPFR) */
    bp_batch *one = bp_batch_alloc(1, CE.batch->n_in, CE.batch->n_out, &err);
    memcpy(one->x, CE.batch->x, one->n_in * sizeof(double));
    memcpy(one->y, CE.batch->y, one->n_out * sizeof(double));
    bp_model *p = bp_model_alloc_like(CE.params, &err), *mg = bp_model_alloc_like(CE.params, &err);
    bp_model *ms = bp_model_alloc_like(CE.params, &err);
    bp_model_copy(p, CE.params);
    bp_trace *mt = bp_trace_alloc(CE.params, 1, &err);
    mp_evaluate(CE.params, one, BP_CROSS_ENTROPY, BP_MEAN, 0.5, mg, NULL, ms, mt);
    bp_train_opts o1 = {1, 1, 1, 0.5, 7, NULL};
    bp_train(p, BP_CROSS_ENTROPY, one, &o1, NULL, NULL, NULL, &err);
    against(c, p->theta, ms->theta, p->nparams, 2 * gc_rho(CE.params, 1), "MPFR at 2048 bits; "
            "training: 100% accuracy on a separable problem");
    bp_model_free(p), bp_model_free(mg), bp_model_free(ms), bp_trace_free(mt), bp_batch_free(one);

    size_t sz[3] = {2, 3, 2};
    bp_model *m = bp_model_alloc(2, sz, &err);
    bp_model_init_seed(m, 5, &err);
    bp_batch *d = bp_batch_alloc(40, 2, 2, &err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    for (size_t q = 0; q < 40; q++) {
        int cl = (int)(q % 2);
        d->x[2 * q] = (cl ? 1.5 : -1.5) + gsl_rng_uniform(rng) - 0.5;
        d->x[2 * q + 1] = (cl ? 1.0 : -1.0) + gsl_rng_uniform(rng) - 0.5;
        d->y[2 * q] = !cl, d->y[2 * q + 1] = cl;
    }
    gsl_rng_free(rng);
    bp_train_opts o = {30, 1, 10, 0.5, 7, NULL};
    bp_epoch_report r = {0};
    bp_train(m, BP_CROSS_ENTROPY, d, &o, NULL, NULL, &r, &err);
    c->pass &= r.accuracy == 1.0;
    snprintf(c->detail, sizeof c->detail, "every layer after one step of the loop (bp_train), "
             "4-6-5-3, eta = 0.5; then 2-3-2, 40 samples, 30 epochs of per-sample SGD: accuracy "
             "%.3f, cost %.3g", r.accuracy, r.cost);
    bp_model_free(m), bp_batch_free(d);
}

/* ---- the table: every ID, its check ---- */

typedef struct {
    const char *id;
    check_fn fn;
    const char *name; /* the check's function, for the report */
    int arg;
} entry;

#define E(id, fn, arg) {id, fn, #fn, arg}
static const entry table[] = {
    E("000:1", chk_forward, 0), E("000:2", chk_cost, 0), E("000:3", chk_delta, 0),
    E("000:4", chk_delta, 1), E("000:5", chk_delta, 2), E("000:6", chk_grad, 1),
    E("000:7", chk_000_7, 0),
    E("001:1", chk_forward, 1), E("001:2", chk_001_cost, 0), E("001:3", chk_001_system, 0),
    E("001:4", chk_001_pieces, 1), E("001:5", chk_001_pieces, 2), E("001:6", chk_001_pieces, 4),
    E("001:7", chk_001_pieces, 0), E("001:8", chk_001_pieces, 3), E("001:9", chk_001_system, 5),
    E("001:10", chk_001_system, 4), E("001:11", chk_001_system, 2), E("001:12", chk_001_12, 0),
    E("001:13", chk_001_system, 1), E("001:14", chk_001_system, 3), E("001:15", chk_001_15, 0),
    E("002:ff", chk_forward, 2), E("002:cost", chk_cost, 1), E("002:BP1", chk_delta, 11),
    E("002:BP2", chk_delta, 12), E("002:BP3", chk_grad, 11), E("002:BP4", chk_grad, 10),
    E("002:alg", chk_002_alg, 0), E("002:sgd", chk_002_sgd, 0),
    E("003:d2", chk_003, 0), E("003:gW2", chk_003, 2), E("003:gb2", chk_003, 3),
    E("003:d1", chk_003, 1), E("003:gW1", chk_003, 4), E("003:gb1", chk_003, 5),
    E("003:sig", chk_sigma_prime, 3), E("003:upd", chk_003, 6), E("003:1", chk_003_neuron, 1),
    E("003:2", chk_003_neuron, 2), E("003:3", chk_003_neuron, 3), E("003:4", chk_003_neuron, 4),
    E("004:1", chk_004_grad, 0), E("004:2", chk_004_grad, 1), E("004:3", chk_004_dCda, 0),
    E("004:4", chk_004_factor, 0), E("004:5", chk_004_factor, 1), E("004:6", chk_004_factor, 2),
    E("004:cost", chk_cost, 3), E("004:7", chk_004_7, 0), E("004:8", chk_004_grad, 2),
    E("004:9", chk_004_grad, 3), E("004:sig", chk_sigma_prime, 4), E("004:10", chk_004_grad, 4),
    E("004:11", chk_004_grad, 5), E("004:12", chk_004_dCda, 1), E("004:13", chk_004_dCda, 2),
    E("004:train", chk_004_train, 0),
};
#undef E

static void yaml_quoted(FILE *f, const char *key, const char *s)
{
    fprintf(f, "%s: \"", key);
    for (; s && *s; s++)
        fputs(*s == '"' ? "\\\"" : (char[2]){*s, 0}, f);
    fputs("\"\n", f);
}

static void md_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputs(*s == '|' ? "\\|" : (char[2]){*s, 0}, f);
}

/* derivations/REPORT.md: per document, a row per ID, then every finding in full */
static void write_report(FILE *md, const check *res, const entry *const *ran)
{
    fprintf(md, "# Every equation checked: the derivations report\n\n"
                "Written by `make derivations` (`bpcheck derivations --report`) from the checks "
                "themselves; `make check` fails when this file is out of date. Each equation "
                "of the five documents is checked on its own, through the code that implements it, "
                "against an independent oracle (MPFR at 2048 bits, the complex step, Richardson "
                "extrapolation in the one quantity the equation differentiates by). Evidence is a "
                "normwise relative error, max |x - r| / max |r| over the quantities compared, "
                "beside the bound it must stay under; where a figure is something else (a change "
                "of the cost, a constant factor, a shape) the row says so.\n\n"
                "A finding is one of four classes (derivations/README.md): **error** (read "
                "literally, the printed form gives a wrong value), **ambiguity** (two readings, "
                "the text does not say which), **unstated assumption** (right only under a "
                "condition never stated), **notation** (a slip whose only reading with a value is "
                "the right one). Each finding is a TODO point of `bpcheck derivations`; the "
                "corrected form is what is checked. Document 004's formulas were lost in "
                "extraction: its printed column shows what the text kept, and the catalogue's "
                "reconstruction is what is checked. The pages `000.md` ... `004.md` map each ID to "
                "its code and tests.\n");
    static const char *const docs[] = {"000", "001", "002", "003", "004"};
    for (size_t d = 0; d < 5; d++) {
        size_t rows = 0;
        for (size_t e = 0; e < bp_nequations; e++)
            rows += ran[e] && strcmp(bp_equations[e].doc, docs[d]) == 0;
        if (!rows)
            continue;
        fprintf(md, "\n## Document %s\n\n| ID | printed | corrected | class | compared | check | "
                    "evidence |\n|---|---|---|---|---|---|---|\n", docs[d]);
        for (size_t e = 0; e < bp_nequations; e++) {
            const bp_equation *q = &bp_equations[e];
            const check *c = &res[e];
            if (!ran[e] || strcmp(q->doc, docs[d]) != 0)
                continue;
            fprintf(md, "| %s | `", q->id);
            md_escaped(md, q->printed);
            fprintf(md, "` | ");
            if (c->nf) {
                for (size_t k = 0; k < c->nf; k++) {
                    fputs(k ? "; " : "`", md);
                    md_escaped(md, c->f[k].corrected);
                }
                fputs("`", md);
            } else if (strncmp(q->printed, "(", 1) == 0 || strncmp(q->printed, "...", 3) == 0) {
                fputs("reconstructed: `", md);
                md_escaped(md, q->formula);
                fputs("`", md);
            } else {
                fputs("as printed", md);
            }
            fputs(" | ", md);
            if (!c->pass)
                fputs("**FAILS** ", md);
            for (size_t k = 0; k < c->nf; k++)
                fprintf(md, "%s%s", k ? ", " : "", class_name[c->f[k].cls]);
            if (!c->nf)
                fputs("verified", md);
            fputs(" | ", md);
            md_escaped(md, c->detail);
            fprintf(md, " | `%s(%d)` | %.2g (bound %.2g; ", ran[e]->name, ran[e]->arg, c->err, c->bound);
            md_escaped(md, c->oracle);
            fputs(")", md);
            for (size_t k = 0; k < c->nf; k++) {
                fputs(c->nf > 1 ? (k ? "; " : ". Printed: ") : ". Printed: ", md);
                md_escaped(md, c->f[k].evidence);
            }
            fputs(" |\n", md);
        }
    }
    fprintf(md, "\n## The findings in full\n\n");
    for (size_t e = 0; e < bp_nequations; e++)
        for (size_t k = 0; ran[e] && k < res[e].nf; k++) {
            const finding *f = &res[e].f[k];
            fprintf(md, "- **%s** (%s): %s. Corrected: %s. Evidence: %s.\n", bp_equations[e].id,
                    class_name[f->cls], f->wrong, f->corrected, f->evidence);
        }
    fclose(md);
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck derivations [--doc 000|001|002|003|004] [--report FILE]\n"
            "\n"
            "Check every equation of the five source documents on its own: an intermediate\n"
            "quantity perturbed directly (z^l_j for a delta, a^l_i for 004:3 and 004:6, one\n"
            "weight for a weight gradient) or an exact evaluation, against an independent\n"
            "oracle (MPFR at 2048 bits, the complex step, Richardson extrapolation). TAP: one\n"
            "point per equation ID with a YAML block (the printed form, the quantity compared,\n"
            "the check's function, the oracle, the measured error and its bound). An equation\n"
            "with a finding is a TODO point; each finding has a class (error, ambiguity,\n"
            "unstated assumption, notation), what is wrong, the corrected form (the one\n"
            "checked), and the evidence for the printed reading.\n"
            "\n"
            "  --doc D        only document D's equations\n"
            "  --report FILE  also write the report in Markdown (derivations/REPORT.md)\n"
            "  -h, --help     show this help\n"
            "\n"
            "Exit status: 0 every check passes (TODO errata with their corrected form passing),\n"
            "1 a check fails, 2 usage.\n");
}

int bp_derivations_main(int argc, char **argv)
{
    const char *doc = NULL, *report = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--doc") == 0 && i + 1 < argc) {
            doc = argv[++i];
            if (strcmp(doc, "000") && strcmp(doc, "001") && strcmp(doc, "002") &&
                strcmp(doc, "003") && strcmp(doc, "004")) {
                fprintf(stderr, "bpcheck derivations: --doc '%s': expected 000, 001, 002, 003 or 004\n", doc);
                return 2;
            }
        } else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
            report = argv[++i];
        } else {
            fprintf(stderr, "bpcheck derivations: unknown option '%s'\nTry 'bpcheck derivations --help'.\n",
                    argv[i]);
            return 2;
        }
    }
    setup_make(&Q, BP_QUADRATIC, "3,4,2", 3, BP_SUM, 100);
    setup_make(&QM, BP_QUADRATIC, "3,4,2", 3, BP_MEAN, 100);
    setup_make(&N11, BP_QUADRATIC, "1,1", 5, BP_SUM, 101);
    setup_make(&LL, BP_LOGLIK, "3,5,2", 3, BP_SUM, 102);
    setup_make(&LL4, BP_LOGLIK, "3,5,4,2", 3, BP_SUM, 103);
    setup_make(&LL1, BP_LOGLIK, "3,4,3,1", 3, BP_SUM, 104);
    setup_make(&LL221, BP_LOGLIK, "2,2,1", 3, BP_SUM, 105);
    setup_make(&CE, BP_CROSS_ENTROPY, "4,6,5,3", 3, BP_SUM, 106);
    setup_make(&CEM, BP_CROSS_ENTROPY, "4,6,5,3", 3, BP_MEAN, 106);
    FILE *md = report ? fopen(report, "w") : NULL;
    if (report && !md) {
        fprintf(stderr, "bpcheck derivations: cannot write %s\n", report);
        return 2;
    }
    const char *v = getenv("TAP_VERSION");
    printf("TAP version %s\n", v && strcmp(v, "14") == 0 ? "14" : "13");
    size_t n = 0, failed = 0, todo = 0, by_class[4] = {0};
    check *res = calloc(bp_nequations, sizeof *res);
    const entry **ran = calloc(bp_nequations, sizeof *ran);
    for (size_t e = 0; e < bp_nequations; e++) {
        const bp_equation *q = &bp_equations[e];
        if (doc && strcmp(q->doc, doc) != 0)
            continue;
        const entry *t = NULL;
        for (size_t k = 0; k < sizeof table / sizeof *table; k++)
            if (strcmp(table[k].id, q->id) == 0)
                t = &table[k];
        check *c = &res[e];
        c->oracle = "no check for this ID";
        if (t)
            t->fn(c, t->arg);
        ran[e] = t;
        /* every check names what it compared: one that does not is incomplete */
        if (!c->detail[0])
            c->pass = 0;
        n++;
        if (!t || !c->pass) {
            failed++;
            printf("not ok %zu - %s %s\n", n, q->id, q->formula);
        } else if (c->nf) {
            todo++;
            printf("not ok %zu - %s %s # TODO erratum (%s): %s\n", n, q->id, q->formula,
                   class_name[c->f[0].cls], c->f[0].wrong);
        } else {
            printf("ok %zu - %s %s\n", n, q->id, q->formula);
        }
        printf("  ---\n");
        yaml_quoted(stdout, "  printed", q->printed);
        yaml_quoted(stdout, "  checked", c->detail);
        if (t)
            printf("  check: %s(%d)\n", t->name, t->arg);
        yaml_quoted(stdout, "  oracle", c->oracle);
        printf("  error: %.2g\n  bound: %.2g\n", c->err, c->bound);
        if (c->nf)
            printf("  findings:\n");
        for (size_t k = 0; k < c->nf; k++) {
            const finding *f = &c->f[k];
            by_class[f->cls]++;
            printf("    - class: %s\n", class_name[f->cls]);
            yaml_quoted(stdout, "      wrong", f->wrong);
            yaml_quoted(stdout, "      corrected", f->corrected);
            yaml_quoted(stdout, "      evidence", f->evidence);
            if (!isnan(f->printed_err))
                printf("      printed_reading_error: %.2g\n", f->printed_err);
        }
        printf("  ...\n");
        fflush(stdout);
    }
    if (md)
        write_report(md, res, ran);
    free(res), free(ran);
    printf("1..%zu\n# %zu equations, %zu errata (TODO), %zu failing\n", n, n, todo, failed);
    printf("# findings by class: error %zu, ambiguity %zu, unstated assumption %zu, notation %zu\n",
           by_class[F_ERROR], by_class[F_AMBIGUITY], by_class[F_ASSUMPTION], by_class[F_NOTATION]);
    setup_free(&Q), setup_free(&QM), setup_free(&N11), setup_free(&LL), setup_free(&LL4);
    setup_free(&LL1), setup_free(&LL221), setup_free(&CE), setup_free(&CEM);
    mp_done();
    return failed ? 1 : 0;
}
