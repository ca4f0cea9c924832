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

#define U DBL_EPSILON

/* ---- the networks and their oracles ---- */

typedef struct {
    bp_cost model;
    bp_reduction red;
    bp_model *params, *grad, *cs_grad, *mp_grad, *mp_step;
    bp_batch *batch;
    bp_trace *trace, *cs_delta, *mp_trace;
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
    bp_gradient(model, s->grad, &s->cost, s->trace, s->params, s->batch, red, &err);
    or_gradient(OR_COMPLEX, s->cs_grad->theta, NULL, NULL, model, s->params, s->batch, red,
                OR_INCREMENTAL, &err);
    or_delta(s->cs_delta, model, s->params, s->batch, &err);
    s->mp_cost = mp_evaluate(s->params, s->batch, model, red, 0.5, s->mp_grad, NULL, s->mp_step,
                             s->mp_trace);
    s->rho = gc_rho(s->params, m);
}

static void setup_free(setup *s)
{
    bp_model_free(s->params), bp_model_free(s->grad), bp_model_free(s->cs_grad);
    bp_model_free(s->mp_grad), bp_model_free(s->mp_step);
    bp_batch_free(s->batch);
    bp_trace_free(s->trace), bp_trace_free(s->cs_delta), bp_trace_free(s->mp_trace);
}

static setup Q, QM, N11, LL, LL4, LL1, LL221, CE;

/* ---- a check's result ---- */

typedef struct {
    double err, bound;       /* normwise: max |x - r| / max |r| */
    const char *oracle;
    int pass;
    char detail[256];
    /* errata */
    const char *wrong, *corrected;
    double printed_err;      /* the printed reading's error (NAN: notation only, no reading) */
} check;

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

/* 001: c^p_{n_L} of one data point, with one quantity of layer l set to v: z^l_j (what = 0),
 * w^{l-1}_{k j} (what = 1, k = 0 the bias), or (what = 2) z^{l+1}_k itself returned instead of
 * the cost. */
typedef struct {
    const ll_net *net;
    const double *x, *y;
    size_t p, nL, l, j, k;
    int what;
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
            if (c->what == 2 && l + 1 == c->l + 1 && n1 == c->k)
                return z; /* z^{l+1}_k, from z^l_j = v (set just below) */
            zL[n1] = z;
            cur[n1] = l + 1 == L ? bp_sigmoid(z) : net->f->f(z);
            if (c->what == 2 && l + 1 == c->l && n1 == c->j)
                cur[n1] = net->f->f(v);
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

static void chk_forward(check *c, int doc)
{
    setup *s = doc == 1 ? &LL : &Q;
    if (doc == 1) { /* 001:1 through 001's own forward pass, 1-based, bias as weight 0 */
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
        c->wrong = "the bias is printed w^l_{n_0 n_{l+1}} (and then without its layer), but n_0 "
                   "is the input index q of 001:14; the text's own name for it is index 0";
        c->corrected = "z^{p,l+1}_{n_{l+1}} = w^l_{0 n_{l+1}} + sum_{n_l=1}^{N_l} w^l_{n_l n_{l+1}} "
                       "a^{p,l}_{n_l}, the bias as weight 0 (the code's reading, checked here)";
        snprintf(c->detail, sizeof c->detail, "z of every layer and data point, 001's forward pass");
        bp_trace_free(ct), ll_trace_free(t), ll_free(net);
        return;
    }
    check a;
    trace_part(c, s, s->trace->z, s->mp_trace->z, 1, s->params->L, "MPFR at 2048 bits");
    trace_part(&a, s, s->trace->a, s->mp_trace->a, 1, s->params->L, "MPFR at 2048 bits");
    c->err = fmax(c->err, a.err), c->pass &= a.pass;
    snprintf(c->detail, sizeof c->detail, "z and a of every layer and sample");
}

static void chk_cost(check *c, int which)
{
    setup *s = which == 0 ? &Q : which == 1 ? &QM : which == 2 ? &LL : &CE;
    double x = s->cost, r = s->mp_cost;
    against(c, &x, &r, 1, 2 * s->rho, "MPFR at 2048 bits");
}

static void chk_delta(check *c, int sel) /* sel: 0 all layers, 1 output, 2 hidden; +10 loglik */
{
    setup *s = sel >= 10 ? &LL : &Q;
    sel %= 10;
    size_t L = s->params->L, l0 = sel == 1 ? L : 1, l1 = sel == 2 ? L - 1 : L;
    trace_part(c, s, s->trace->delta, s->cs_delta->delta, l0, l1, "complex step in z itself");
}

static void chk_grad(check *c, int arg) /* arg: which (0 W, 1 b) + 10 * setup (0 Q, 1 QM) */
{
    setup *s = arg >= 10 ? &QM : &Q;
    grad_part(c, s, s->grad, arg % 10, 1, s->params->L);
}

static void chk_000_7(check *c, int unused)
{
    (void)unused;
    chk_grad(c, 0);
    /* the printed matrix form a^{l-1} delta^l read as an outer product: (n_{l-1} x n_l) laid
     * over W's layout: compare with the gradient entry for entry */
    setup *s = &Q;
    double *x = malloc(s->params->nparams * sizeof *x), *r = malloc(s->params->nparams * sizeof *r);
    size_t k = 0;
    for (size_t l = 1; l <= s->params->L; l++) {
        size_t J = s->params->n[l], K = s->params->n[l - 1];
        for (size_t f = 0; f < J * K; f++, k++) {
            size_t kk = f / J, jj = f % J; /* row kk, column jj of the K x J outer product */
            double v = 0.0;
            for (size_t p = 0; p < s->batch->m; p++)
                v += s->trace->a[l - 1][p * K + kk] * s->trace->delta[l][p * J + jj];
            x[k] = v;
            r[k] = s->cs_grad->W[l][f];
        }
    }
    c->printed_err = normwise(x, r, k);
    c->wrong = "the matrix form dC/dw^l = a^{l-1} delta^l is not conformable (n_{l-1} x 1 times "
               "n_l x 1); read as the outer product a^{l-1} (delta^l)^T it is n_{l-1} x n_l, the "
               "transpose of dC/dw^l";
    c->corrected = "dC/dw^l = delta^l (a^{l-1})^T (the per-index form a^{l-1}_k delta^l_j is right)";
    free(x), free(r);
}

static void chk_002_alg(check *c, int unused)
{
    (void)unused;
    grad_part(c, &QM, QM.grad, 0, 1, QM.params->L);
    check b;
    grad_part(&b, &QM, QM.grad, 1, 1, QM.params->L);
    c->err = fmax(c->err, b.err), c->pass &= b.pass;
    snprintf(c->detail, sizeof c->detail, "the whole gradient of 002's algorithm, mean reduction");
}

static void chk_002_sgd(check *c, int unused)
{
    (void)unused;
    bp_error err;
    bp_model *p = bp_model_alloc_like(QM.params, &err);
    bp_model_copy(p, QM.params);
    quad_sgd_update(p, QM.batch, 0.5, &err);
    against(c, p->theta, QM.mp_step->theta, p->nparams, 2 * QM.rho, "MPFR at 2048 bits");
    snprintf(c->detail, sizeof c->detail, "w - (eta/m) sum_x delta (a)^T with eta = 0.5, m = 3");
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
            if (what == 3) {
                /* 003 never defines L; a mean would divide by m: the gap that reading leaves */
                double *x = malloc(n2 * sizeof *x);
                for (size_t j = 0; j < n2; j++)
                    x[j] = back->b[2][j] / (double)m;
                c->printed_err = normwise(x, s->cs_grad->b[2], n2);
                c->wrong = "003 never defines its loss L; the printed sums over the batch (dL/db, "
                           "the update without 1/m) are right only if L is the SUM over the batch";
                c->corrected = "L = 1/2 sum_p sum_j (a_2 - y)^2 (the canonical quadratic cost, sum "
                               "reduction); read as a mean the gradients are off by 1/m";
                free(x);
            }
        }
        bp_model_free(back);
    }
    q003_free(q), q003_free(g);
}

static double complex cx_sigmoid(double complex z) { return 1.0 / (1.0 + cexp(-z)); }

static void chk_sigma_prime(check *c, int doc) /* 003:sig (printed form) or 004:sig */
{
    static const double zs[] = {-7.5, -2.385, -0.3, 0.0, 1.1, 2.385, 9.0};
    double x[7], r[7], pr[7];
    for (int i = 0; i < 7; i++) {
        x[i] = doc == 3 ? q003_sigma_prime(zs[i]) : bp_sigmoid_prime(zs[i]);
        r[i] = or_complex_step_1d(cx_sigmoid, zs[i]);
        pr[i] = bp_sigmoid_prime(bp_sigmoid(zs[i])); /* the derivative taken at a = sigma(z) */
    }
    /* 003's s(1 - s) loses e^{|z|} u to cancellation at z = 9: (15 + 3 e^9) u, derived for
     * 003:sig in t/quadratic_003.c */
    against(c, x, r, 7, doc == 3 ? (15 + 3 * exp(9.0)) * U : 16 * U, "complex step, one variable");
    snprintf(c->detail, sizeof c->detail, "at z = -7.5, -2.385, -0.3, 0, 1.1, 2.385, 9");
    if (doc == 4) {
        c->printed_err = normwise(pr, r, 7);
        c->wrong = "printed sigma'(a) = sigma(a) ⊙ (1 - sigma(a)), the argument named a as the "
                   "activations are: evaluated at the activation a^l it is wrong";
        c->corrected = "sigma'(z^l) = sigma(z^l) ⊙ (1 - sigma(z^l)), at the weighted input";
    }
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
        snprintf(c->detail, sizeof c->detail, "the 1-1 network over 5 samples: its cost (MPFR) and "
                 "the corrected chain rule (complex step, error %.2g)", ge);
        c->wrong = "the chain rule printed for it, dC/dw_1 = dC/da_i da_i/db db/dx dx/dw_1, uses "
                   "symbols (a_i, b as a variable, x) that its equations 1 to 4 never define";
        c->corrected = "dC/dw_1 = sum (sigma(z) - y_1) sigma'(z) x_1 (dC/da da/dz dz/dw_1), dC/db "
                       "likewise with dz/db = 1";
        return;
    }
    /* a product and a sum: 2 roundings; sigma: 4 */
    against(c, x, ref, 5, (what == 1 ? 2 : 4) * U, "MPFR at 2048 bits");
    if (what == 3) {
        c->wrong = "printed 'e^- x' (the exponent's braces lost)";
        c->corrected = "sigma(x) = 1/(1 + e^{-x})";
    }
}

/* 001 */
static ll_net *net_of(const setup *s, const ll_activation *f)
{
    bp_error err;
    ll_net *net = ll_alloc(s->params->L, s->params->n, f, &err);
    ll_from_canonical(net, s->params, &err);
    return net;
}

typedef int (*ll_special)(ll_net *, double *, const ll_net *, const double *, const double *,
                          size_t, bp_error *);

/* a 001 system's gradient, mapped to the canonical loglik (sign, transpose, bias), vs CS */
static void chk_001_system(check *c, int which) /* 0 general, 1 sigmoid 001:13, 2 one-output, 3 two-layer */
{
    setup *s = which == 2 ? &LL1 : which == 4 ? &LL4 : &LL;
    bp_error err;
    ll_net *net = net_of(s, &ll_sigmoid), *g = ll_alloc_like(net, &err);
    bp_model *cg = bp_model_alloc_like(s->params, &err);
    int rc = which == 1   ? ll_backprop_sigmoid(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
             : which == 2 ? ll_backprop_one_output(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
             : which == 3 ? ll_backprop_two_layer(g, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err)
                          : ll_backprop(g, NULL, NULL, net, s->batch->x, s->batch->y, s->batch->m, &err);
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    double bound = 2 * s->rho;
    if (which == 1) /* a(1 - a) against sigma sigma': the gap of t/loglik, at |z| <= 5 here */
        bound += 2 * (15 + 3 * exp(5.0)) * U;
    against(c, cg->theta, s->cs_grad->theta, cg->nparams, rc ? -1 : bound, "complex step per parameter");
    if (which == 2) {
        /* the printed first line drops the sum over n_l below the last hidden layer: keep only
         * the term n_l = 1 there (what a free index would give) and see */
        ll_trace *t = ll_trace_alloc(net, s->batch->m, &err);
        ll_forward(t, net, s->batch->x, s->batch->m, &err);
        size_t L = net->L;
        double *pr = calloc(cg->nparams, sizeof *pr);
        ll_net *gp = ll_alloc_like(net, &err);
        memset(gp->mem, 0, gp->nparams * sizeof(double));
        double D[8][16];
        for (size_t p = 1; p <= s->batch->m; p++) {
            D[L][1] = ll_dc_dzL(LL_X(s->batch->y, 1, p, 1), LL_Z(t, p, L, 1));
            for (size_t l = L; l >= 1; l--) {
                for (size_t nl = 1; nl <= net->N[l]; nl++) {
                    LL_W(gp, l - 1, 0, nl) += D[l][nl];
                    for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                        LL_W(gp, l - 1, nm, nl) += LL_A(t, p, l - 1, nm) * D[l][nl];
                }
                if (l < 2)
                    break;
                for (size_t nm = 1; nm <= net->N[l - 1]; nm++) /* one term, n_l = 1, as printed */
                    D[l - 1][nm] = net->f->fprime(LL_Z(t, p, l - 1, nm)) * LL_W(net, l - 1, nm, 1) * D[l][1];
            }
        }
        ll_gradient_to_canonical(cg, gp, s->batch->m, BP_SUM, &err);
        c->printed_err = normwise(cg->theta, s->cs_grad->theta, cg->nparams);
        c->wrong = "'N_l = 1' for one output neuron should be N_L = 1; and its first line drops the "
                   "sum over n_l, right only when layer l is the output layer";
        c->corrected = "dc^p/dz^{p,l-1}_{n_{l-1}} = f'(z) sum_{n_l} w^{l-1}_{n_{l-1} n_l} dc^p/dz^{p,l}_{n_l}"
                       " for l < L (one term only at l = L)";
        free(pr), ll_free(gp), ll_trace_free(t);
        snprintf(c->detail, sizeof c->detail, "3-4-3-1: a hidden layer between the last hidden "
                 "layer and the output");
    }
    if (which == 3) {
        c->wrong = "001:14's indices are mixed: the first line sums over n_l a term in n_2, the "
                   "next lines keep the general z^{p,l-1}, n_L, n_{l-1}";
        c->corrected = "dc_{n_2}/dz^{p,1}_{n_1} = f'(z^{p,1}_{n_1}) w^1_{n_1 n_2} dc_{n_2}/dz^{p,2}_{n_2}; "
                       "dC/dw^0_{q n_1} = sum_p x^p_q sum_{n_2} dc_{n_2}/dz^{p,1}_{n_1}";
        c->printed_err = NAN;
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
    snprintf(c->detail, sizeof c->detail, "a step that minimises C (eta = 0.05) RAISES the negated "
             "log-likelihood by %.3g", rise);
    c->printed_err = rise > 0 ? rise : NAN;
    c->wrong = "C (and c of 001:12) is a log-LIKELIHOOD, to be maximised; called a cost, "
               "minimising it makes the model worse";
    c->corrected = "the loss is -C; its gradient is -(the document's), the descent direction";
    bp_model_free(step);
    ll_trace_free(t), ll_free(net);
}

/* 001's per-output chain pieces by Richardson: what = 0 D (001:7), 1 weight pieces (001:4,
 * 001:6), 2 bias pieces (001:5), 3 dz/dz (001:8), 4 the dz/dw factor alone (001:6) */
static void chk_001_pieces(check *c, int what)
{
    bp_error err;
    ll_net *net = net_of(&LL, &ll_sigmoid);
    ll_trace *t = ll_trace_alloc(net, LL.batch->m, &err);
    ll_forward(t, net, LL.batch->x, LL.batch->m, &err);
    double **D = ll_scratch_alloc(net, &err), est;
    triples tr = {NULL, NULL, NULL, 0, 0};
    size_t L = net->L, NL = net->N[L];
    ll_ctx cx = {net, LL.batch->x, LL.batch->y, 0, 0, 0, 0, 0, 0};
    for (size_t p = 1; p <= LL.batch->m; p++)
        for (size_t nL = 1; nL <= NL; nL++) {
            ll_backward_point(D, net, t, LL.batch->y, p, nL, 0);
            cx.p = p, cx.nL = nL;
            for (size_t l = 1; l <= L; l++)
                for (size_t j = 1; j <= net->N[l]; j++) {
                    cx.l = l, cx.j = j;
                    if (what == 0) {
                        cx.what = 0;
                        double r = richardson(ll_point, &cx, LL_Z(t, p, l, j), &est);
                        push(&tr, D[l][j], r, est);
                    } else if (what == 3 && l < L) {
                        cx.what = 2;
                        for (size_t k = 1; k <= net->N[l + 1]; k++) {
                            cx.k = k;
                            double r = richardson(ll_point, &cx, LL_Z(t, p, l, j), &est);
                            push(&tr, ll_dz_dz(LL_W(net, l, j, k), net->f->fprime(LL_Z(t, p, l, j))), r, est);
                        }
                    } else if (what == 1 || what == 2 || what == 4) {
                        cx.what = 1;
                        for (size_t k = (what == 2 ? 0 : 1); k <= (what == 2 ? 0 : net->N[l - 1]); k++) {
                            cx.k = k;
                            double r = richardson(ll_point, &cx, LL_W(net, l - 1, k, j), &est);
                            double dzdw = k ? ll_dz_dw(LL_A(t, p, l - 1, k)) : ll_dz_dw0();
                            if (what == 4) /* dz/dw alone: dc/dw over dc/dz, both by Richardson */
                                push(&tr, dzdw * D[l][j], r, est);
                            else
                                push(&tr, D[l][j] * dzdw, r, est);
                        }
                    }
                }
        }
    judge_triples(c, &tr, LL.rho);
    snprintf(c->detail, sizeof c->detail, "3-5-2, every data point p, output n_L and %s",
             what == 0 ? "z^{p,l}_{n_l}" : what == 3 ? "pair z^{l+1}, z^{l+2}" : what == 2 ? "bias" : "weight");
    if (what == 3) {
        c->wrong = "printed dz^{p,l+2}/z^{p,l+1}: the d of the denominator lost";
        c->corrected = "dz^{p,l+2}_{n_{l+2}}/dz^{p,l+1}_{n_{l+1}} = w^{l+1}_{n_{l+1} n_{l+2}} f'(z^{p,l+1}_{n_{l+1}})";
        c->printed_err = NAN;
    }
    ll_scratch_free(D), ll_trace_free(t), ll_free(net);
}

static void chk_001_12(check *c, int unused)
{
    (void)unused;
    static const double zs[] = {-40, -2.385, 0.7, 40}, ys[] = {0, 0.3, 1};
    double x[12], r[12];
    mpfr_t Z, h, Y;
    mpfr_inits2(MP_PREC, Z, h, Y, (mpfr_ptr)0);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) {
            mpfr_set_d(Z, zs[i], MPFR_RNDN);
            mp_sigmoid(h, Z);
            mpfr_set_d(Y, ys[k], MPFR_RNDN);
            mpfr_sub(Y, Y, h, MPFR_RNDN); /* y - h */
            r[i * 3 + k] = mpfr_get_d(Y, MPFR_RNDN);
            x[i * 3 + k] = ll_dc_dzL(ys[k], zs[i]);
        }
    mpfr_clears(Z, h, Y, (mpfr_ptr)0);
    against(c, x, r, 12, 16 * U, "MPFR at 2048 bits");
    snprintf(c->detail, sizeof c->detail, "dc/dz^L = y - h at z = -40 .. 40, y = 0, 0.3, 1");
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
    c->err = fmax(c->err, b.err), c->pass &= b.pass;
    c->bound += 2 * (15 + 3 * exp(5.0)) * U; /* its a(1 - a), as 001:13 */
    c->pass = c->err <= c->bound;
    ll_closed_form_221(g, net, s->batch->x, s->batch->y, s->batch->m, 2, &err);
    ll_gradient_to_canonical(cg, g, s->batch->m, BP_SUM, &err);
    double x[6], r[6];
    gather(s->params, cg->theta, 0, 1, 1, x);
    gather(s->params, s->cs_grad->theta, 0, 1, 1, r);
    c->printed_err = normwise(x, r, 4);
    c->wrong = "the sums run over p = 1..2, the document's example, not over the P data points";
    c->corrected = "dC/dw^0_{q n_1} = w^1_{n_1 1} sum_{p=1}^{P} x^p_q a(1-a)(y^p - h^p), likewise for "
                   "w^0_{0 n_1}; also w^1_{n_1} lacks its output index and 'a^{p1}' its comma";
    snprintf(c->detail, sizeof c->detail, "2-2-1 with P = 3 data points");
    ll_free(net), ll_free(g), bp_model_free(cg);
}

/* 004 on CE: the chain path (0 W, 1 b), the simplified path (2 W^L, 3 b^L, 4 hidden W, 5 hidden b) */
static void chk_004_grad(check *c, int what)
{
    bp_error err;
    bp_model *g = bp_model_alloc_like(CE.params, &err);
    sce_gradient(g, NULL, NULL, CE.params, CE.batch, CE.red, what <= 1 ? SCE_CHAIN : SCE_SIMPLIFIED, &err);
    size_t L = CE.params->L;
    if (what <= 1)
        grad_part(c, &CE, g, what, 1, L);
    else if (what <= 3)
        grad_part(c, &CE, g, what - 2, L, L);
    else
        grad_part(c, &CE, g, what - 4, 1, L - 1);
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
        c->printed_err = normwise(v->theta, CE.cs_grad->theta, v->nparams);
        c->wrong = "the chain rule 004:1 with an elementwise da^l_i/dz^l_i is wrong at the softmax, "
                   "whose outputs depend on every logit (the document sidesteps it with 004:7)";
        c->corrected = "at the softmax the last two factors are sum_k da_k/dz_i dC/da_k with the full "
                       "Jacobian da_k/dz_i = a_k (delta_ki - a_i)";
        sce_work_free(w), bp_model_free(v);
    }
    bp_model_free(g);
}

/* dC/da^l by the chain path (004:3, 004:6) or the simplified path (004:12 l < L-1, 004:13) */
static void chk_004_dCda(check *c, int what) /* 0 chain all hidden, 1 simplified l < L-1, 2 simplified l = L-1 */
{
    bp_error err;
    bp_model *g = bp_model_alloc_like(CE.params, &err);
    sce_work *w = sce_work_alloc(CE.params, &err);
    size_t L = CE.params->L, NL = CE.params->n[L];
    triples tr = {NULL, NULL, NULL, 0, 0};
    for (size_t p = 0; p < CE.batch->m; p++) {
        const double *x = CE.batch->x + p * CE.params->n[0], *y = CE.batch->y + p * NL;
        sce_forward(w, CE.params, x);
        if (what == 0)
            sce_backward_chain(g, w, CE.params, y);
        else
            sce_backward_simplified(g, w, CE.params, y);
        ce_ctx cx = {CE.params, x, y, 0, 0};
        size_t l0 = what == 2 ? L - 1 : 1, l1 = what == 1 ? L - 2 : L - 1;
        for (size_t l = l0; l <= l1; l++)
            for (size_t i = 0; i < CE.params->n[l]; i++) {
                double est;
                cx.l = l, cx.i = i;
                double r = richardson(ce_point, &cx, w->a[l][i], &est);
                push(&tr, w->dC_da[l][i], r, est);
            }
    }
    judge_triples(c, &tr, CE.rho);
    snprintf(c->detail, sizeof c->detail, "4-6-5-3, every sample, in a^l_i itself");
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
    c->printed_err = normwise(amy, o->delta[L], n);
    c->wrong = "dL/dz = a - y needs each sample's targets to sum to 1, a condition never stated";
    c->corrected = "dL/dz_k = a_k sum_i y_i - y_k; a - y when sum_i y_i = 1 (one-hot or a "
                   "probability vector)";
    snprintf(c->detail, sizeof c->detail, "targets summing to 1; the printed reading measured with "
             "targets summing to %.1f", 0.7 * (double)b->n_out);
    free(amy), bp_model_free(g), bp_trace_free(t), bp_trace_free(o), bp_batch_free(b);
}

static void chk_004_train(check *c, int unused)
{
    (void)unused;
    bp_error err;
    size_t sz[3] = {2, 3, 2};
    bp_model *m = bp_model_alloc(2, sz, &err);
    bp_model_init_seed(m, 5, &err);
    bp_batch *d = bp_batch_alloc(40, 2, 2, &err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    for (size_t p = 0; p < 40; p++) {
        int cl = (int)(p % 2);
        d->x[2 * p] = (cl ? 1.5 : -1.5) + gsl_rng_uniform(rng) - 0.5;
        d->x[2 * p + 1] = (cl ? 1.0 : -1.0) + gsl_rng_uniform(rng) - 0.5;
        d->y[2 * p] = !cl, d->y[2 * p + 1] = cl;
    }
    gsl_rng_free(rng);
    bp_train_opts o = {30, 1, 10, 0.5, 7, NULL};
    bp_epoch_report r = {0};
    bp_train(m, BP_CROSS_ENTROPY, d, &o, NULL, NULL, &r, &err);
    c->err = 1.0 - r.accuracy, c->bound = 0.0, c->pass = r.accuracy == 1.0;
    c->oracle = "training: 100% accuracy on a separable problem";
    snprintf(c->detail, sizeof c->detail, "2-3-2, 40 samples, 30 epochs of per-sample SGD: accuracy "
             "%.3f, cost %.3g", r.accuracy, r.cost);
    bp_model_free(m), bp_batch_free(d);
}

/* ---- the table: every ID, its check ---- */

typedef struct {
    const char *id;
    check_fn fn;
    int arg;
} entry;

static const entry table[] = {
    {"000:1", chk_forward, 0}, {"000:2", chk_cost, 0}, {"000:3", chk_delta, 0},
    {"000:4", chk_delta, 1}, {"000:5", chk_delta, 2}, {"000:6", chk_grad, 1},
    {"000:7", chk_000_7, 0},
    {"001:1", chk_forward, 1}, {"001:2", chk_001_cost, 0}, {"001:3", chk_001_system, 0},
    {"001:4", chk_001_pieces, 1}, {"001:5", chk_001_pieces, 2}, {"001:6", chk_001_pieces, 4},
    {"001:7", chk_001_pieces, 0}, {"001:8", chk_001_pieces, 3}, {"001:9", chk_001_system, 0},
    {"001:10", chk_001_system, 4}, {"001:11", chk_001_system, 2}, {"001:12", chk_001_12, 0},
    {"001:13", chk_001_system, 1}, {"001:14", chk_001_system, 3}, {"001:15", chk_001_15, 0},
    {"002:ff", chk_forward, 0}, {"002:cost", chk_cost, 1}, {"002:BP1", chk_delta, 1},
    {"002:BP2", chk_delta, 2}, {"002:BP3", chk_grad, 1}, {"002:BP4", chk_grad, 0},
    {"002:alg", chk_002_alg, 0}, {"002:sgd", chk_002_sgd, 0},
    {"003:d2", chk_003, 0}, {"003:gW2", chk_003, 2}, {"003:gb2", chk_003, 3}, {"003:d1", chk_003, 1},
    {"003:gW1", chk_003, 4}, {"003:gb1", chk_003, 5}, {"003:sig", chk_sigma_prime, 3},
    {"003:upd", chk_003, 6}, {"003:1", chk_003_neuron, 1}, {"003:2", chk_003_neuron, 2},
    {"003:3", chk_003_neuron, 3}, {"003:4", chk_003_neuron, 4},
    {"004:1", chk_004_grad, 0}, {"004:2", chk_004_grad, 1}, {"004:3", chk_004_dCda, 0},
    {"004:4", chk_004_grad, 0}, {"004:5", chk_004_grad, 1}, {"004:6", chk_004_dCda, 0},
    {"004:cost", chk_cost, 3}, {"004:7", chk_004_7, 0}, {"004:8", chk_004_grad, 2},
    {"004:9", chk_004_grad, 3}, {"004:sig", chk_sigma_prime, 4}, {"004:10", chk_004_grad, 4},
    {"004:11", chk_004_grad, 5}, {"004:12", chk_004_dCda, 1}, {"004:13", chk_004_dCda, 2},
    {"004:train", chk_004_train, 0},
};

/* 004:4 repeats 004:1's check with the substituted factor; its erratum belongs to 004:1 */
static int erratum_owner(const char *id)
{
    return strcmp(id, "004:4") != 0;
}

static void yaml_quoted(FILE *f, const char *key, const char *s)
{
    fprintf(f, "  %s: \"", key);
    for (; s && *s; s++)
        fputs(*s == '"' ? "\\\"" : (char[2]){*s, 0}, f);
    fputs("\"\n", f);
}

static void md_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputs(*s == '|' ? "\\|" : (char[2]){*s, 0}, f);
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
            "point per equation ID with a YAML block (the measured error, its bound, the\n"
            "oracle); an equation wrong or ambiguous as printed is a TODO point saying what is\n"
            "wrong, the corrected form, and the error of each.\n"
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
    FILE *md = report ? fopen(report, "w") : NULL;
    if (report && !md) {
        fprintf(stderr, "bpcheck derivations: cannot write %s\n", report);
        return 2;
    }
    if (md)
        fprintf(md, "# Every equation checked: the derivations report\n\n"
                    "Written by `make derivations` (`bpcheck derivations --report`) from the checks "
                    "themselves; `make check` fails when this file is out of date. Each equation "
                    "of the five documents is checked on its own against an independent oracle; "
                    "errors are normwise (max |x - r| / max |r| over the quantities compared). "
                    "The errata have a TODO status and give the error of the printed reading where "
                    "there is one to compute. The pages `000.md` ... `004.md` map each ID to its "
                    "code and tests.\n\n"
                    "| ID | equation | status | check | oracle | error | bound | printed reading |\n"
                    "|---|---|---|---|---|---|---|---|\n");
    const char *v = getenv("TAP_VERSION");
    printf("TAP version %s\n", v && strcmp(v, "14") == 0 ? "14" : "13");
    size_t n = 0, failed = 0, todo = 0;
    check *res = calloc(bp_nequations, sizeof *res);
    int *ran = calloc(bp_nequations, sizeof *ran);
    for (size_t e = 0; e < bp_nequations; e++) {
        const bp_equation *q = &bp_equations[e];
        if (doc && strcmp(q->doc, doc) != 0)
            continue;
        const entry *t = NULL;
        for (size_t k = 0; k < sizeof table / sizeof *table; k++)
            if (strcmp(table[k].id, q->id) == 0)
                t = &table[k];
        check *c = &res[e];
        c->printed_err = NAN;
        c->oracle = "no check for this ID";
        if (t)
            t->fn(c, t->arg);
        ran[e] = 1;
        int erratum = c->wrong && erratum_owner(q->id);
        if (!erratum)
            c->wrong = NULL;
        n++;
        if (!t || !c->pass) {
            failed++;
            printf("not ok %zu - %s %s\n", n, q->id, q->formula);
        } else if (erratum) {
            todo++;
            printf("not ok %zu - %s %s # TODO erratum: %s\n", n, q->id, q->formula, c->wrong);
        } else {
            printf("ok %zu - %s %s\n", n, q->id, q->formula);
        }
        printf("  ---\n");
        yaml_quoted(stdout, "oracle", c->oracle);
        printf("  error: %.2g\n  bound: %.2g\n", c->err, c->bound);
        if (c->detail[0])
            yaml_quoted(stdout, "checked", c->detail);
        if (erratum) {
            yaml_quoted(stdout, "wrong", c->wrong);
            yaml_quoted(stdout, "corrected", c->corrected);
            if (!isnan(c->printed_err))
                printf("  printed_reading_error: %.2g\n", c->printed_err);
        }
        printf("  ...\n");
        fflush(stdout);
    }
    if (md) {
        for (size_t e = 0; e < bp_nequations; e++) {
            const bp_equation *q = &bp_equations[e];
            const check *c = &res[e];
            if (!ran[e])
                continue;
            char pr[32] = "";
            if (c->wrong && !isnan(c->printed_err))
                snprintf(pr, sizeof pr, "%.2g", c->printed_err);
            fprintf(md, "| %s | `", q->id);
            md_escaped(md, q->formula);
            fprintf(md, "` | %s | ", !c->pass ? "FAILS" : c->wrong ? "erratum"
                                     : strcmp(q->doc, "004") == 0 ? "verified (reconstructed)"
                                                                  : "verified");
            md_escaped(md, c->detail);
            fprintf(md, " | %s | %.2g | %.2g | %s |\n", c->oracle, c->err, c->bound, pr);
        }
        fprintf(md, "\n## Errata\n\n");
        for (size_t e = 0; e < bp_nequations; e++) {
            const check *c = &res[e];
            if (!ran[e] || !c->wrong)
                continue;
            fprintf(md, "- **%s**: %s. Corrected: %s. The corrected form's error: %.2g",
                    bp_equations[e].id, c->wrong, c->corrected, c->err);
            if (!isnan(c->printed_err))
                fprintf(md, "; the printed reading's: %.2g", c->printed_err);
            fprintf(md, ".\n");
        }
        fclose(md);
    }
    free(res), free(ran);
    printf("1..%zu\n# %zu equations, %zu errata (TODO), %zu failing\n", n, n, todo, failed);
    setup_free(&Q), setup_free(&QM), setup_free(&N11), setup_free(&LL), setup_free(&LL4);
    setup_free(&LL1), setup_free(&LL221), setup_free(&CE);
    mp_done();
    return failed ? 1 : 0;
}
