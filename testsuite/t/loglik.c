/* testsuite/t/loglik.c: document 001 (reference/loglik.c) in its own notation: every gradient
 * entry against central differences of 001's C, every dc^p_{n_L}/dz against a perturbation of
 * that z (001:7, 001:8), the sigmoid system 001:13 and the sum-over-n_L-first shortcut against
 * the literal general system, the forward pass against the canonical one, and the special
 * cases 001:11, 001:14, 001:15. Architectures 2-2-1, 3-5-2, 4-6-5-3; P = 1, 2, 7; f = sigmoid
 * and tanh; soft targets in (0, 1) and targets exactly 0 or 1. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "gradcheck.h"
#include "loglik.h"
#include "quadratic.h"
#include "tap.h"
#include "testutil.h"

#define U DBL_EPSILON
#define POWER 1e-6 /* see t/quadratic.c: a check must resolve 1e-6 of the gradient's scale */

/* A seeded 001 network with activation f, built from a canonical model through the mapping. */
static ll_net *net_from(const bp_model *m, const ll_activation *f)
{
    bp_error err;
    ll_net *net = ll_alloc(m->L, m->n, f, &err);
    if (!net || ll_from_canonical(net, m, &err))
        tap_bail_out("001: %s", err.msg);
    return net;
}

/* Targets exactly 0 or 1 instead of soft ones. */
static void harden(bp_batch *b)
{
    for (size_t i = 0; i < b->m * b->n_out; i++)
        b->y[i] = b->y[i] > 0.5 ? 1.0 : 0.0;
}

/* A magnitude pass: the literal system run on absolute values, started from |y| + h (which
 * bounds |y - h| and the scale of its rounding). gabs bounds every term of every gradient
 * entry in absolute value, so two implementations that differ only in rounding are within
 * (their roundings per term) * u * gabs. */
static void magnitude(ll_net *gabs, const ll_net *net, const ll_trace *t, const double *y,
                      size_t P)
{
    size_t L = net->L, NL = net->N[L];
    double **D = ll_scratch_alloc(net, NULL);
    memset(gabs->mem, 0, gabs->nparams * sizeof(double));
    for (size_t p = 1; p <= P; p++) {
        for (size_t m = 1; m <= NL; m++)
            D[L][m] = fabs(LL_X(y, NL, p, m)) + LL_A(t, p, L, m);
        for (size_t l = L; l >= 1; l--) {
            for (size_t nl = 1; nl <= net->N[l]; nl++) {
                LL_W(gabs, l - 1, 0, nl) += D[l][nl];
                for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                    LL_W(gabs, l - 1, nm, nl) += D[l][nl] * fabs(LL_A(t, p, l - 1, nm));
            }
            if (l < 2)
                break;
            for (size_t nm = 1; nm <= net->N[l - 1]; nm++) {
                double s = 0.0;
                for (size_t nl = 1; nl <= net->N[l]; nl++)
                    s += fabs(LL_W(net, l - 1, nm, nl)) * D[l][nl];
                D[l - 1][nm] = fabs(net->f->fprime(LL_Z(t, p, l - 1, nm))) * s;
            }
        }
    }
    ll_scratch_free(D);
}

/* Roundings along one term of a gradient entry: a product chain through every layer, sums of
 * at most N_l terms per layer, P data points, N_L outputs; 16 for the constant factors. */
static double roundings(const ll_net *net, size_t P)
{
    double n = (double)(P + 16);
    for (size_t l = 0; l <= net->L; l++)
        n += (double)net->N[l];
    return n;
}

/* How far 001:13's a(1 - a) may be from the canonical sigma(z) sigma(-z), relative (the same
 * reasoning as for 003:sig in t/quadratic_003.c): (15 + 3 e^{max(z,0)}) u. */
static double sigma_prime_gap(double z)
{
    return (15.0 + 3.0 * exp(fmax(z, 0.0))) * U;
}

/* C as a function of 001's flat parameters. */
typedef struct {
    ll_net *work;
    ll_trace *t;
    const double *x, *y;
    size_t P;
} c_ctx;

static double C_of(const double *theta, void *ptr)
{
    c_ctx *c = ptr;
    memcpy(c->work->mem, theta, c->work->nparams * sizeof(double));
    if (ll_forward(c->t, c->work, c->x, c->P, NULL))
        return NAN;
    return ll_cost(c->t, c->y);
}

/* c^p_{n_L} as a function of z^{p,l}_n alone: 001:1 for data point p, z^{p,l}_n overwritten. */
typedef struct {
    const ll_net *net;
    const double *x, *y;
    size_t p, nL, l, n;
    double *prev, *cur; /* scratch, 1-based, wide enough for any layer */
} z_ctx;

static double c_of_z(const double *v, void *ptr)
{
    z_ctx *c = ptr;
    const ll_net *net = c->net;
    size_t L = net->L;
    for (size_t q = 1; q <= net->N[0]; q++)
        c->prev[q] = LL_X(c->x, net->N[0], c->p, q);
    double zL = 0.0;
    for (size_t l = 0; l < L; l++) {
        for (size_t n1 = 1; n1 <= net->N[l + 1]; n1++) {
            double z = LL_W(net, l, 0, n1);
            for (size_t n = 1; n <= net->N[l]; n++)
                z += LL_W(net, l, n, n1) * c->prev[n];
            if (l + 1 == c->l && n1 == c->n)
                z = v[0];
            if (l + 1 == L && n1 == c->nL)
                zL = z;
            c->cur[n1] = l + 1 == L ? bp_sigmoid(z) : net->f->f(z);
        }
        memcpy(c->prev + 1, c->cur + 1, net->N[l + 1] * sizeof(double));
    }
    return ll_c(LL_X(c->y, net->N[L], c->p, c->nL), zL);
}

/* Compare two 001 gradients (or any two ll_net-shaped arrays) layer by layer. */
static void same_gradient(const ll_net *got, const ll_net *want, const ll_net *tol,
                          const char *what, const char *where)
{
    int ok = 1;
    size_t layer = 0;
    for (size_t l = 0; l < got->L && ok; l++) {
        size_t n = (got->N[l] + 1) * got->N[l + 1];
        for (size_t i = 0; i < n && ok; i++)
            if (!(fabs(got->w[l][i] - want->w[l][i]) <= tol->w[l][i]))
                ok = 0, layer = l;
    }
    if (ok) {
        tap_ok(1, "%s, %s", what, where);
        return;
    }
    /* name the first failing layer with its worst entry */
    tap_is_double_array(got->w[layer], want->w[layer], tol->w[layer], got->N[layer] + 1,
                        got->N[layer + 1], 0, 0, "%s (w^%zu, [n_l, n_{l+1} - 1]), %s", what,
                        layer, where);
}

/* sat > 0: saturate the network: output biases +-sat (alternating), hidden weights x10 so
 * that most hidden |z| exceed 10 (sigma' < 5e-5, tanh' < 1e-8). */
static void saturate(ll_net *net, bp_model *m, double sat)
{
    size_t L = net->L;
    for (size_t l = 0; l + 1 < L; l++)
        for (size_t i = 0; i < (net->N[l] + 1) * net->N[l + 1]; i++)
            net->w[l][i] *= 10.0;
    for (size_t j = 1; j <= net->N[L]; j++)
        LL_W(net, L - 1, 0, j) = j % 2 ? sat : -sat;
    ll_to_canonical(m, net, NULL); /* keep the canonical copy in step */
}

static void check_case(const char *sizes, size_t P, const ll_activation *f, int hard,
                       double sat, unsigned long seed)
{
    bp_error err;
    bp_model *m = tu_model(sizes, seed);
    bp_batch *b = tu_batch(m, P, seed);
    if (hard)
        harden(b);
    ll_net *net = net_from(m, f), *g = ll_alloc_like(net, &err), *gs = ll_alloc_like(net, &err);
    if (sat > 0)
        saturate(net, m, sat);
    ll_net *gabs = ll_alloc_like(net, &err), *tol = ll_alloc_like(net, &err);
    ll_trace *t = ll_trace_alloc(net, P, &err);
    size_t L = net->L, NL = net->N[L], n = net->nparams;
    char arch[64], where[160];
    bp_sizes_format(m, arch, sizeof arch);
    int len = snprintf(where, sizeof where, "%s P=%zu f=%s %s targets", arch, P, f->name,
                       hard ? "0/1" : "soft");
    if (sat > 0)
        snprintf(where + len, sizeof where - (size_t)len, ", saturated: z^L ~ +-%g, hidden W x10",
                 sat);
    double C, Cs;
    if (!g || !gs || !gabs || !tol || !t || ll_backprop(g, &C, t, net, b->x, b->y, P, &err) ||
        ll_backprop_summed(gs, &Cs, NULL, net, b->x, b->y, P, &err))
        tap_bail_out("001 %s: %s", where, err.msg);
    magnitude(gabs, net, t, b->y, P);
    double rel = 2.0 * roundings(net, P) * U;

    /* Every parameter against central differences of C (001:2). */
    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    double *ftol = malloc(n * sizeof *ftol);
    c_ctx cc = {ll_alloc_like(net, &err), ll_trace_alloc(net, P, &err), b->x, b->y, P};
    gc_central(fd, fd_err, C_of, &cc, net->mem, n, &err);
    gc_tolerance(ftol, fd_err, g->mem, n);
    double tmax = 0.0, gmax = 0.0;
    for (size_t l = 0, off = 0; l < L; l++) {
        size_t rows = net->N[l] + 1, cols = net->N[l + 1];
        tap_is_double_array(g->w[l], fd + off, ftol + off, rows, cols, 0, 0,
                            "001:9 001:10 001:3 001:4 001:5 001:6 dC/dw^%zu_{n_%zu n_%zu} "
                            "(row 0 the bias) vs central differences, %s",
                            l, l, l + 1, where);
        off += rows * cols;
    }
    for (size_t i = 0; i < n; i++)
        tmax = fmax(tmax, ftol[i]), gmax = fmax(gmax, fabs(g->mem[i]));
    /* At |z^L| ~ 800 with misclassified soft targets |C| is ~1e4 (c ~ -800 (1 - y) per output)
     * where elsewhere it is ~10. The best central difference balances truncation against the
     * rounding u |C| / h, so its error grows like |C|^{2/3}: ~500 times the moderate regime's.
     * There the guard is 1e-4, still four orders of magnitude below any O(1) bug; the VALUES in
     * this regime are checked to a few ulps against MPFR in t/loglik_canonical.c. */
    double power = sat >= 100.0 ? 1e-4 : POWER;
    if (!tap_ok(tmax < power * gmax, "001 gradient check resolves %g of max |dC/dw|, %s", power,
                where))
        tap_diag("largest tolerance %.3g, largest gradient %.3g", tmax, gmax);

    /* The shortcut (sum over n_L first) against the literal per-output system. */
    for (size_t i = 0; i < n; i++)
        tol->mem[i] = rel * gabs->mem[i];
    same_gradient(gs, g, tol, "001:9 summing over n_L first equals the per-output system", where);
    tap_is_double(Cs, C, rel, 0, "001:2 C is the same from both systems, %s", where);

    /* 001:13, the sigmoid system, against the general one. */
    if (f == &ll_sigmoid) {
        ll_net *g13 = ll_alloc_like(net, &err);
        double gap = 0.0;
        for (size_t l = 1; l < L; l++)
            for (size_t p = 1; p <= P; p++)
                for (size_t k = 1; k <= net->N[l]; k++)
                    gap = fmax(gap, sigma_prime_gap(LL_Z(t, p, l, k)));
        for (size_t i = 0; i < n; i++)
            tol->mem[i] = 2.0 * (gap + roundings(net, P) * U) * gabs->mem[i];
        ll_backprop_sigmoid(g13, NULL, net, b->x, b->y, P, &err);
        same_gradient(g13, g, tol, "001:13 the sigmoid system, f' = a(1 - a) and y - h, equals "
                      "the general system", where);
        ll_free(g13);
    }

    /* 001:7 with 001:8: every dc^p_{n_L}/dz^{p,l}_{n_l} against a perturbation of z itself. */
    double **D = ll_scratch_alloc(net, &err);
    size_t wmax = 0, cnt = 0;
    for (size_t l = 0; l <= L; l++)
        wmax = net->N[l] > wmax ? net->N[l] : wmax;
    for (size_t l = 1; l <= L; l++)
        cnt += P * NL * net->N[l];
    double *dz = malloc(cnt * sizeof *dz), *dfd = malloc(cnt * sizeof *dfd);
    double *derr = malloc(cnt * sizeof *derr), *dtol = malloc(cnt * sizeof *dtol);
    double *scratch = malloc(2 * (wmax + 1) * sizeof *scratch);
    z_ctx zc = {net, b->x, b->y, 0, 0, 0, 0, scratch, scratch + wmax + 1};
    size_t i = 0;
    for (zc.p = 1; zc.p <= P; zc.p++)
        for (zc.nL = 1; zc.nL <= NL; zc.nL++) {
            ll_backward_point(D, net, t, b->y, zc.p, zc.nL, 0);
            for (zc.l = 1; zc.l <= L; zc.l++)
                for (zc.n = 1; zc.n <= net->N[zc.l]; zc.n++, i++) {
                    dz[i] = D[zc.l][zc.n];
                    gc_central(&dfd[i], &derr[i], c_of_z, &zc, &LL_Z(t, zc.p, zc.l, zc.n), 1,
                               &err);
                }
        }
    gc_tolerance(dtol, derr, dz, cnt);
    tap_is_double_array(dz, dfd, dtol, cnt, 1, 0, 0,
                        "001:7 001:8 001:12 dc^p_{n_L}/dz^{p,l}_{n_l} for every p, n_L, l, n_l "
                        "vs central differences in z itself, %s",
                        where);

    /* 001:1 and 001:14 against the canonical forward pass (000:1) of the same parameters:
     * both are dot products of length N_l plus a bias, summed in another order, so within
     * 2 (N_l + 1) u of sum |w a| + |b|. Sigmoid networks only (the canonical one is). */
    if (f == &ll_sigmoid) {
        bp_model *cg = bp_model_alloc_like(m, &err);
        bp_trace *ct = bp_trace_alloc(m, P, &err);
        quad_backprop(cg, NULL, ct, m, b, BP_SUM, &err);
        size_t bad = 0;
        for (size_t l = 1; l <= L; l++)
            for (size_t p = 1; p <= P; p++)
                for (size_t j = 1; j <= net->N[l]; j++) {
                    double s = fabs(LL_W(net, l - 1, 0, j));
                    for (size_t k = 1; k <= net->N[l - 1]; k++)
                        s += fabs(LL_W(net, l - 1, k, j) * LL_A(t, p, l - 1, k));
                    double canon = ct->z[l][(p - 1) * net->N[l] + (j - 1)];
                    bad += !(fabs(LL_Z(t, p, l, j) - canon) <= 2.0 * (double)(net->N[l - 1] + 1) * U * s);
                }
        tap_ok(bad == 0, "001:1 001:14 z^{p,l+1} = w^l_0 + sum w^l a^{p,l} (a^{p,0} = x^p) equals "
               "the canonical 000:1 after mapping, every p, l, node, %s", where);
        bp_trace_free(ct), bp_model_free(cg);
    }

    /* Saturated: the direct formula below is exactly what breaks (log(1 - h) = log 0 once h
     * rounds to 1); ll_c works from z instead. The cost and every entry must stay finite
     * (their VALUES are checked against MPFR in t/loglik_canonical.c). */
    if (sat > 0) {
        size_t finite = isfinite(C) ? 1 : 0;
        for (size_t k = 0; k < n; k++)
            finite += isfinite(g->mem[k]) ? 1 : 0;
        tap_is_int((long)finite, (long)n + 1,
                   "001:12 C and all %zu entries of dC/dw finite, %s", n, where);
        goto cleanup;
    }
    /* 001:2 with 001:12 against the direct formula y log h + (1 - y) log(1 - h): while h is
     * far from 0 and 1 both are within 8 roundings of each |term| (+1 for the log's scale). */
    double direct = 0.0, scale = 0.0;
    for (size_t p = 1; p <= P; p++)
        for (size_t k = 1; k <= NL; k++) {
            double h = LL_A(t, p, L, k), yv = LL_X(b->y, NL, p, k);
            double a1 = yv * log(h), a2 = (1.0 - yv) * log(1.0 - h);
            direct += a1 + a2;
            scale += fabs(a1) + fabs(a2) + 1.0;
        }
    tap_is_double(C, direct, 0, 8.0 * (double)(P * NL + 2) * U * scale,
                  "001:2 001:12 C = sum_p sum_{n_L} [y log h + (1 - y) log(1 - h)], %s", where);
cleanup:
    free(dz), free(dfd), free(derr), free(dtol), free(scratch);
    ll_scratch_free(D);
    free(fd), free(fd_err), free(ftol);
    ll_free(cc.work), ll_trace_free(cc.t);
    ll_trace_free(t);
    ll_free(net), ll_free(g), ll_free(gs), ll_free(gabs), ll_free(tol);
    bp_batch_free(b), bp_model_free(m);
}

/* A special case against the general system and against central differences. */
typedef int (*special_fn)(ll_net *, double *, const ll_net *, const double *, const double *,
                          size_t, bp_error *);

static void check_special(special_fn fn, const char *id, const char *sizes, size_t P,
                          const ll_activation *f, unsigned long seed)
{
    bp_error err;
    bp_model *m = tu_model(sizes, seed);
    bp_batch *b = tu_batch(m, P, seed);
    ll_net *net = net_from(m, f), *g = ll_alloc_like(net, &err), *gsp = ll_alloc_like(net, &err);
    ll_net *gabs = ll_alloc_like(net, &err), *tol = ll_alloc_like(net, &err);
    ll_trace *t = ll_trace_alloc(net, P, &err);
    size_t n = net->nparams;
    char where[160];
    snprintf(where, sizeof where, "%s P=%zu f=%s", sizes, P, f->name);
    if (ll_backprop(g, NULL, t, net, b->x, b->y, P, &err) ||
        fn(gsp, NULL, net, b->x, b->y, P, &err))
        tap_bail_out("%s %s: %s", id, where, err.msg);
    magnitude(gabs, net, t, b->y, P);
    for (size_t i = 0; i < n; i++)
        tol->mem[i] = 2.0 * roundings(net, P) * U * gabs->mem[i];
    char what[128];
    snprintf(what, sizeof what, "%s equals the general system 001:9", id);
    same_gradient(gsp, g, tol, what, where);

    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    c_ctx cc = {ll_alloc_like(net, &err), ll_trace_alloc(net, P, &err), b->x, b->y, P};
    gc_central(fd, fd_err, C_of, &cc, net->mem, n, &err);
    gc_tolerance(tol->mem, fd_err, gsp->mem, n);
    tap_is_double_array(gsp->mem, fd, tol->mem, n, 1, 0, 0,
                        "%s every dC/dw vs central differences, %s", id, where);
    free(fd), free(fd_err);
    ll_free(cc.work), ll_trace_free(cc.t), ll_trace_free(t);
    ll_free(net), ll_free(g), ll_free(gsp), ll_free(gabs), ll_free(tol);
    bp_batch_free(b), bp_model_free(m);
}

/* 001:15: the closed form summed over p = 1..P agrees with the general system's w^0; summed
 * over p = 1..2 as printed it agrees only when P = 2. */
static void check_closed_form(size_t P, unsigned long seed)
{
    bp_error err = {""};
    bp_model *m = tu_model("2,2,1", seed);
    bp_batch *b = tu_batch(m, P, seed);
    ll_net *net = net_from(m, &ll_sigmoid), *g = ll_alloc_like(net, &err);
    ll_net *gc = ll_alloc_like(net, &err), *gabs = ll_alloc_like(net, &err);
    ll_trace *t = ll_trace_alloc(net, P, &err);
    ll_backprop(g, NULL, t, net, b->x, b->y, P, &err);
    magnitude(gabs, net, t, b->y, P);
    /* the closed form's a(1 - a) may be sigma_prime_gap from sigma(z) sigma(-z) */
    double gap = 0.0;
    for (size_t p = 1; p <= P; p++)
        for (size_t k = 1; k <= 2; k++)
            gap = fmax(gap, sigma_prime_gap(LL_Z(t, p, 1, k)));
    double tol[6];
    for (size_t i = 0; i < 6; i++)
        tol[i] = 2.0 * (gap + roundings(net, P) * U) * gabs->w[0][i];

    if (ll_closed_form_221(gc, net, b->x, b->y, P, P, &err))
        tap_bail_out("001:15: %s", err.msg);
    tap_is_double_array(gc->w[0], g->w[0], tol, 3, 2, 0, 0,
                        "001:15 the 2-2-1 closed form summed over p = 1..P equals 001:9's "
                        "dC/dw^0, P=%zu", P);
    int rc = ll_closed_form_221(gc, net, b->x, b->y, P, 2, &err);
    if (P < 2) {
        tap_ok(rc == -1 && strstr(err.msg, "only P = 1") != NULL,
               "001:15 as printed (sum_{p=1}^{2}) is undefined for P=1: there is no data point 2");
    } else if (P == 2) {
        tap_is_double_array(gc->w[0], g->w[0], tol, 3, 2, 0, 0,
                            "001:15 as printed (sum_{p=1}^{2}) is right when P=2");
    } else {
        size_t far = 0;
        for (size_t i = 0; i < 6; i++)
            far += fabs(gc->w[0][i] - g->w[0][i]) > 1e3 * tol[i];
        tap_ok(far == 6, "001:15 as printed (sum_{p=1}^{2}) is wrong when P=%zu: %zu of 6 "
               "entries off by > 1000 tolerances (the range must be p = 1..P)", P, far);
    }
    ll_trace_free(t);
    ll_free(net), ll_free(g), ll_free(gc), ll_free(gabs);
    bp_batch_free(b), bp_model_free(m);
}

int main(void)
{
    static const char *const archs[] = {"2,2,1", "3,5,2", "4,6,5,3"};
    static const size_t Ps[] = {1, 2, 7};
    const ll_activation *fs[] = {&ll_sigmoid, &ll_tanh};
    unsigned long seed = 1001;
    for (size_t a = 0; a < 3; a++)
        for (size_t p = 0; p < 3; p++)
            for (size_t f = 0; f < 2; f++)
                check_case(archs[a], Ps[p], fs[f], Ps[p] == 7, 0.0, seed++);
    /* saturated regimes: |z^L| ~ 35 with 0/1 targets, ~ 800 with soft ones; P = 7 */
    for (size_t a = 0; a < 3; a++)
        for (size_t f = 0; f < 2; f++) {
            check_case(archs[a], 7, fs[f], 1, 35.0, seed++);
            check_case(archs[a], 7, fs[f], 0, 800.0, seed++);
        }

    /* 001:11, one output neuron: a network where the output follows the last hidden layer
     * directly (2-3-1) and one where a hidden layer sits between (3-4-3-1). */
    static const char *const one_out[] = {"2,3,1", "3,4,3,1"};
    for (size_t a = 0; a < 2; a++)
        for (size_t p = 0; p < 3; p++)
            for (size_t f = 0; f < 2; f++)
                check_special(ll_backprop_one_output, "001:11 one output neuron", one_out[a],
                              Ps[p], fs[f], seed++);
    /* 001:14, the two-layer network */
    static const char *const two[] = {"2,2,1", "3,5,2"};
    for (size_t a = 0; a < 2; a++)
        for (size_t p = 0; p < 3; p++)
            for (size_t f = 0; f < 2; f++)
                check_special(ll_backprop_two_layer, "001:14 two-layer network, a^{p,0}_q = x^p_q",
                              two[a], Ps[p], fs[f], seed++);
    /* 001:15, the closed form and its summation range */
    for (size_t p = 0; p < 3; p++)
        check_closed_form(Ps[p], seed++);

    /* The special cases refuse networks they do not describe. */
    bp_error err = {""};
    bp_model *m = tu_model("2,3,2", 1);
    bp_batch *b = tu_batch(m, 2, 1);
    ll_net *net = net_from(m, &ll_tanh), *g = ll_alloc_like(net, &err);
    tap_ok(ll_backprop_one_output(g, NULL, net, b->x, b->y, 2, &err) == -1 &&
               strstr(err.msg, "N_L = 2"),
           "001:11 refuses a network with two outputs");
    tap_ok(ll_closed_form_221(g, net, b->x, b->y, 2, 2, &err) == -1 &&
               strstr(err.msg, "2-2-1"),
           "001:15 refuses a network that is not 2-2-1 sigmoid");
    tap_ok(ll_backprop_sigmoid(g, NULL, net, b->x, b->y, 2, &err) == -1 &&
               strstr(err.msg, "tanh"),
           "001:13 refuses a network whose f is tanh");

    /* The API refuses what does not fit, naming it. */
    bp_model *m3 = tu_model("2,3,3,2", 1), *g3 = tu_model("2,3,3,2", 2), *g2 = tu_model("2,4,2", 2);
    ll_net *net3 = net_from(m3, &ll_tanh), *g4 = ll_alloc_like(net3, &err);
    ll_trace *t1 = ll_trace_alloc(net, 1, &err);
    tap_ok(!ll_trace_alloc(net, 0, &err) && strstr(err.msg, "P = 0 data points"),
           "001: a trace of 0 data points is refused");
    tap_ok(ll_from_canonical(net, m3, &err) == -1 && strstr(err.msg, "001 mapping: 001's network has layers 0..2"),
           "001 mapping: a canonical model of another depth is refused");
    tap_ok(ll_gradient_to_canonical(m, g, 0, BP_SUM, &err) == -1 && strstr(err.msg, "P = 0 data points"),
           "001 mapping: a gradient over 0 data points is refused");
    tap_ok(t1 && ll_forward(t1, net, b->x, 2, &err) == -1 && strstr(err.msg, "the trace holds 1 points"),
           "001: a forward pass into a trace of the wrong size is refused");
    tap_ok(ll_backprop(g4, NULL, NULL, net, b->x, b->y, 2, &err) == -1 &&
               strstr(err.msg, "the gradient's shape differs from the network's"),
           "001: a gradient of another shape is refused");
    tap_ok(ll_backprop_two_layer(g4, NULL, net3, b->x, b->y, 2, &err) == -1 &&
               strstr(err.msg, "001:14 is the two-layer network (L = 2); this one has L = 3"),
           "001:14 refuses a network of three layers");
    bp_trace *tr = bp_trace_alloc(m, 1, &err);
    bp_batch *b3 = tu_batch(m3, 2, 1);
    int r1 = ll_canonical(g2, NULL, NULL, m, b, BP_SUM, &err) == -1 &&
             strstr(err.msg, "loglik: the gradient's shape differs");
    int r2 = ll_canonical(g3, NULL, tr, m3, b3, BP_SUM, &err) == -1 && strstr(err.msg, "loglik: the trace holds");
    bp_batch *wide = bp_batch_alloc(2, 3, 2, &err); /* 3 inputs for a 2-input network */
    int r3 = wide && ll_canonical(g3, NULL, NULL, m3, wide, BP_SUM, &err) == -1 &&
             strstr(err.msg, "batch: x and y have 3 and 2 columns");
    if (!tap_ok(r1 && r2 && r3 && isnan(ll_canonical_cost(m3, wide, BP_SUM)),
                "loglik (canonical): a gradient, a trace and a batch of other shapes are refused; "
                "the cost of a batch that does not fit is NaN"))
        tap_diag("%d %d %d: %s", r1, r2, r3, err.msg);
    bp_trace_free(tr), bp_batch_free(b3), bp_batch_free(wide), ll_trace_free(t1);
    ll_free(net3), ll_free(g4), bp_model_free(m3), bp_model_free(g3), bp_model_free(g2);
    ll_free(net), ll_free(g), bp_batch_free(b), bp_model_free(m);
    return tap_done();
}
