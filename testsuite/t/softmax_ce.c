/* testsuite/t/softmax_ce.c: document 004 (reference/softmax_ce.c): both backward paths (the
 * chain rule with the full softmax Jacobian, 004:1 .. 004:6, and the simplification 004:7 ..
 * 004:13) against central differences and against each other, every intermediate derivative
 * against a perturbation of that quantity itself, and the numerics (logits of +-1000, zero
 * targets, one output neuron) against a 2048-bit evaluation. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mpfr.h>

#include "activation.h"
#include "gradcheck.h"
#include "mpref.h"
#include "softmax_ce.h"
#include "tap.h"
#include "testutil.h"

#define U DBL_EPSILON
#define POWER 1e-6 /* see t/quadratic.c */

typedef enum { ONE_HOT, SOFT, UNNORMALISED } targets;
static const char *const target_names[] = {"one-hot", "soft", "unnormalised"};

/* one-hot at the largest drawn value; soft: rows scaled to sum to 1; unnormalised: as drawn */
static void set_targets(bp_batch *b, targets kind)
{
    for (size_t p = 0; p < b->m; p++) {
        double *y = b->y + p * b->n_out, s = 0.0;
        size_t at = 0;
        for (size_t j = 0; j < b->n_out; j++) {
            s += y[j];
            if (y[j] > y[at])
                at = j;
        }
        for (size_t j = 0; j < b->n_out; j++)
            y[j] = kind == ONE_HOT ? (j == at) : kind == SOFT ? y[j] / s : y[j];
    }
}

/* Both paths' output terms are bounded by sum_i |y_i| (1 + a_k): the chain rule sums
 * -y_i (delta_ik - a_k), the simplification is a_k - y_k. */
static double *output_scale(const bp_model *m, const bp_batch *b, const bp_trace *t)
{
    size_t NL = m->n[m->L];
    double *DL = malloc(b->m * NL * sizeof *DL);
    for (size_t p = 0; p < b->m; p++) {
        double sy = 0.0;
        for (size_t i = 0; i < NL; i++)
            sy += fabs(b->y[p * NL + i]);
        for (size_t k = 0; k < NL; k++)
            DL[p * NL + k] = sy * (1.0 + t->a[m->L][p * NL + k]);
    }
    return DL;
}

/* Roundings along one term: the softmax (n_L + 4), a chain through every layer, P samples. */
static double roundings(const bp_model *m, size_t P)
{
    double r = (double)(2 * m->n[m->L] + P + 16);
    for (size_t l = 0; l <= m->L; l++)
        r += (double)m->n[l];
    return r;
}

/* The chain path and the simplified path agree within 2 roundings(m) u of the magnitudes. */
static int paths_agree(const bp_model *m, const bp_batch *b, bp_reduction red, size_t *bad_out)
{
    bp_error err;
    bp_model *gc = bp_model_alloc_like(m, &err), *gs = bp_model_alloc_like(m, &err);
    bp_model *mag = bp_model_alloc_like(m, &err);
    bp_trace *t = bp_trace_alloc(m, b->m, &err);
    double cc, cs;
    if (sce_gradient(gc, &cc, NULL, m, b, red, SCE_CHAIN, &err) ||
        sce_gradient(gs, &cs, t, m, b, red, SCE_SIMPLIFIED, &err))
        tap_bail_out("004: %s", err.msg);
    double *DL = output_scale(m, b, t);
    tu_magnitude(mag, m, t, DL);
    double r = 2.0 * roundings(m, b->m) * U / (red == BP_MEAN ? (double)b->m : 1.0);
    size_t bad = 0;
    for (size_t i = 0; i < m->nparams; i++)
        bad += !(fabs(gc->theta[i] - gs->theta[i]) <= r * mag->theta[i]);
    bad += !(cc == cs); /* the cost does not depend on the path: the same operations */
    free(DL);
    bp_model_free(gc), bp_model_free(gs), bp_model_free(mag), bp_trace_free(t);
    *bad_out = bad;
    return bad == 0;
}

/* L_x as a function of a^l_i (l < L) or of z^L_i: the forward pass of one sample with that
 * one quantity overwritten. */
typedef struct {
    const bp_model *m;
    const double *x, *y;
    size_t l, i;
    int at_z; /* perturb z^l_i (with l = L) instead of a^l_i */
    sce_work *w;
} q_ctx;

static double loss_of_q(const double *v, void *ptr)
{
    q_ctx *c = ptr;
    const bp_model *m = c->m;
    size_t L = m->L;
    memcpy(c->w->a[0], c->x, m->n[0] * sizeof(double));
    for (size_t l = 1; l <= L; l++) {
        size_t I = m->n[l], J = m->n[l - 1];
        sce_weighted_input(c->w->z[l], m->W[l], m->b[l], c->w->a[l - 1], I, J);
        if (c->at_z && l == c->l)
            c->w->z[l][c->i] = v[0];
        if (l < L) {
            for (size_t i = 0; i < I; i++)
                c->w->a[l][i] = bp_sigmoid(c->w->z[l][i]);
            if (!c->at_z && l == c->l)
                c->w->a[l][c->i] = v[0];
        } else {
            sce_softmax(c->w->a[l], c->w->z[l], I);
        }
    }
    return sce_loss(c->y, c->w->z[L], m->n[L]);
}

static void check_case(const char *sizes, size_t m, bp_reduction red, targets kind,
                       unsigned long seed)
{
    bp_error err;
    bp_model *params = tu_model(sizes, seed);
    bp_model *gc = bp_model_alloc_like(params, &err), *gs = bp_model_alloc_like(params, &err);
    bp_batch *b = tu_batch(params, m, seed);
    set_targets(b, kind);
    size_t L = params->L, n = params->nparams;
    char where[160];
    snprintf(where, sizeof where, "%s m=%zu %s %s targets", sizes, m, bp_reduction_name(red),
             target_names[kind]);
    if (sce_gradient(gc, NULL, NULL, params, b, red, SCE_CHAIN, &err) ||
        sce_gradient(gs, NULL, NULL, params, b, red, SCE_SIMPLIFIED, &err))
        tap_bail_out("004 %s: %s", where, err.msg);

    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    double *tol = malloc(n * sizeof *tol);
    tu_cost_ctx cc = {BP_CROSS_ENTROPY, bp_model_alloc_like(params, &err), b, red};
    gc_central(fd, fd_err, tu_cost_of_theta, &cc, params->theta, n, &err);
    gc_tolerance(tol, fd_err, gs->theta, n);
    for (size_t l = L; l >= 1; l--) {
        size_t I = params->n[l], J = params->n[l - 1];
        size_t w0 = bp_model_w_index(params, l, 0, 0), b0 = bp_model_b_index(params, l, 0);
        if (l == L) {
            tap_is_double_array(gs->theta + w0, fd + w0, tol + w0, I, J, 0, 0,
                                "004:7 004:8 dC/dw^L = (a^L - y) . (a^{L-1})^T vs central "
                                "differences, %s", where);
            tap_is_double_array(gs->theta + b0, fd + b0, tol + b0, I, 1, 0, 0,
                                "004:7 004:9 dC/db^L = a^L - y vs central differences, %s",
                                where);
        } else {
            tap_is_double_array(gs->theta + w0, fd + w0, tol + w0, I, J, 0, 0,
                                "004:10 004:12 004:13 004:sig dC/dw^%zu = (sigma'(z) ⊙ dC/da) . "
                                "(a^%zu)^T vs central differences, %s", l, l - 1, where);
            tap_is_double_array(gs->theta + b0, fd + b0, tol + b0, I, 1, 0, 0,
                                "004:11 dC/db^%zu = sigma'(z) ⊙ dC/da vs central differences, %s",
                                l, where);
        }
    }
    gc_tolerance(tol, fd_err, gc->theta, n);
    tap_is_double_array(gc->theta, fd, tol, n, 1, 0, 0,
                        "004:1 004:2 004:3 004:4 004:5 004:6 the chain rule with the full "
                        "softmax Jacobian, every entry vs central differences, %s", where);
    double tmax = 0.0, gmax = 0.0;
    for (size_t i = 0; i < n; i++)
        tmax = fmax(tmax, tol[i]), gmax = fmax(gmax, fabs(gc->theta[i]));
    tap_ok(tmax < POWER * gmax, "004 gradient check resolves 1e-6 of max |dC/dw|, %s", where);
    size_t bad;
    if (!tap_ok(paths_agree(params, b, red, &bad),
                "004 the two paths agree: chain rule (004:1 .. 004:6) = simplification "
                "(004:7 .. 004:13), %s", where))
        tap_diag("%zu entries apart beyond the derived bound", bad);
    free(fd), free(fd_err), free(tol);
    bp_model_free(cc.work), bp_model_free(gc), bp_model_free(gs);
    bp_batch_free(b), bp_model_free(params);
}

/* Every dL/dz^L_k and every dC/da^l_i of both paths against a perturbation of that quantity. */
static void check_intermediates(const char *sizes, targets kind, unsigned long seed)
{
    bp_error err;
    bp_model *params = tu_model(sizes, seed), *g = bp_model_alloc_like(params, &err);
    bp_batch *b = tu_batch(params, 3, seed);
    set_targets(b, kind);
    size_t L = params->L, NL = params->n[L];
    sce_work *w = sce_work_alloc(params, &err), *scratch = sce_work_alloc(params, &err);
    size_t count = 0;
    for (size_t l = 1; l < L; l++)
        count += params->n[l];
    count = 3 * (count + NL);
    double *chain = malloc(count * sizeof *chain), *simple = malloc(count * sizeof *simple);
    double *fd = malloc(count * sizeof *fd), *fd_err = malloc(count * sizeof *fd_err);
    double *tol = malloc(count * sizeof *tol);
    size_t at = 0;
    for (size_t p = 0; p < 3; p++) {
        const double *x = b->x + p * params->n[0], *y = b->y + p * NL;
        q_ctx qc = {params, x, y, L, 0, 1, scratch};
        sce_forward(w, params, x);
        sce_backward_chain(g, w, params, y);
        /* per sample: dL/dz^L (NL values), then dC/da^l for l = 1 .. L-1 */
        memcpy(chain + at, w->e[L], NL * sizeof(double));
        for (size_t l = 1, off = at + NL; l < L; off += params->n[l], l++)
            memcpy(chain + off, w->dC_da[l], params->n[l] * sizeof(double));
        sce_forward(w, params, x);
        sce_backward_simplified(g, w, params, y);
        memcpy(simple + at, w->e[L], NL * sizeof(double));
        for (size_t l = 1, off = at + NL; l < L; off += params->n[l], l++)
            memcpy(simple + off, w->dC_da[l], params->n[l] * sizeof(double));
        for (qc.i = 0; qc.i < NL; qc.i++, at++)
            gc_central(&fd[at], &fd_err[at], loss_of_q, &qc, &w->z[L][qc.i], 1, &err);
        qc.at_z = 0;
        for (qc.l = 1; qc.l < L; qc.l++)
            for (qc.i = 0; qc.i < params->n[qc.l]; qc.i++, at++)
                gc_central(&fd[at], &fd_err[at], loss_of_q, &qc, &w->a[qc.l][qc.i], 1, &err);
    }
    gc_tolerance(tol, fd_err, chain, count);
    tap_is_double_array(chain, fd, tol, count, 1, 0, 0,
                        "004:3 004:6 softmax Jacobian: dL/dz^L_k and dC/da^l_i of the chain "
                        "rule vs central differences in z^L_k and a^l_i themselves, %s %s "
                        "targets", sizes, target_names[kind]);
    gc_tolerance(tol, fd_err, simple, count);
    tap_is_double_array(simple, fd, tol, count, 1, 0, 0,
                        "004:7 004:12 004:13 dL/dz^L = a - y and dC/da^l of the simplification "
                        "vs central differences in z^L_k and a^l_i themselves, %s %s targets",
                        sizes, target_names[kind]);
    free(chain), free(simple), free(fd), free(fd_err), free(tol);
    sce_work_free(w), sce_work_free(scratch);
    bp_batch_free(b), bp_model_free(params), bp_model_free(g);
}

/* Output biases +-Z, alternating: logits of about +-Z. */
static void push_logits(bp_model *m, double Z)
{
    for (size_t j = 0; j < m->n[m->L]; j++)
        m->b[m->L][j] = j % 2 ? -Z : Z;
}

/* Cost and gradient (simplified path) against MPFR at logits of about +-1000. The forward
 * pass rounds z^L_k by dz_k <= 2 (K+1) u (sum_j |w_kj a_j| + |b_k|) (the 000:1 bound); a
 * softmax moves by da_k = a_k (dz_k - sum_i a_i dz_i), so delta^L = a - y carries that on top
 * of its own rounding, and the loss moves by sum_k |a_k - y_k| dz_k. Both are propagated with
 * the magnitude pass; the rest is 2 roundings(m) u of the terms, as for the two paths. */
static void check_extreme(const char *sizes, double Z, targets kind, size_t m,
                          unsigned long seed)
{
    bp_error err;
    bp_model *params = tu_model(sizes, seed), *g = bp_model_alloc_like(params, &err);
    bp_model *mg = bp_model_alloc_like(params, &err), *mag = bp_model_alloc_like(params, &err);
    bp_model *fwd = bp_model_alloc_like(params, &err);
    bp_batch *b = tu_batch(params, m, seed);
    set_targets(b, kind);
    push_logits(params, Z);
    bp_trace *t = bp_trace_alloc(params, m, &err);
    size_t L = params->L, NL = params->n[L], K = params->n[L - 1], n = params->nparams;
    char where[160];
    snprintf(where, sizeof where, "%s m=%zu logits ~ +-%g, %s targets", sizes, m, Z,
             target_names[kind]);
    double cost;
    if (sce_gradient(g, &cost, t, params, b, BP_SUM, SCE_SIMPLIFIED, &err))
        tap_bail_out("004 %s: %s", where, err.msg);
    double mcost = mp_model(mg, NULL, params, b, BP_CROSS_ENTROPY, BP_SUM);

    double *DL = output_scale(params, b, t), *DZ = malloc(m * NL * sizeof *DZ);
    double cost_tol = 0.0;
    for (size_t p = 0; p < m; p++) {
        const double *a = t->a[L] + p * NL, *ap = t->a[L - 1] + p * K;
        double dz[64], mix = 0.0;
        for (size_t k = 0; k < NL; k++) {
            double s = fabs(params->b[L][k]);
            for (size_t j = 0; j < K; j++)
                s += fabs(params->W[L][k * K + j] * ap[j]);
            dz[k] = 2.0 * (double)(K + 1) * U * s;
            mix += a[k] * dz[k];
            cost_tol += fabs(a[k] - b->y[p * NL + k]) * dz[k];
        }
        for (size_t k = 0; k < NL; k++)
            DZ[p * NL + k] = a[k] * (dz[k] + mix);
    }
    cost_tol += roundings(params, m) * U * fabs(mcost);
    tu_magnitude(mag, params, t, DL);
    tu_magnitude(fwd, params, t, DZ);
    double r = 2.0 * roundings(params, m) * U, *tol = malloc(n * sizeof *tol);
    size_t finite = isfinite(cost) ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        tol[i] = r * mag->theta[i] + 2.0 * fwd->theta[i];
        finite += isfinite(g->theta[i]) ? 1 : 0;
    }
    tap_is_int((long)finite, (long)n + 1, "004:cost 004:7 cost and every gradient entry finite, %s",
               where);
    tap_is_double(cost, mcost, 0, cost_tol,
                  "004:cost C = -sum y ln a (ln a = z - logsumexp z) equals a 2048-bit "
                  "evaluation, %s", where);
    tap_is_double_array(g->theta, mg->theta, tol, n, 1, 0, 0,
                        "004:7 .. 004:13 every gradient entry equals a 2048-bit evaluation of the "
                        "chain rule, %s", where);
    if (kind == SOFT) {
        bp_model *gc = bp_model_alloc_like(params, &err);
        sce_gradient(gc, NULL, NULL, params, b, BP_SUM, SCE_CHAIN, &err);
        size_t nonfinite = 0;
        for (size_t i = 0; i < n; i++)
            nonfinite += !isfinite(gc->theta[i]);
        if (2.0 * Z > 745.0)
            /* a logit gap over 745 underflows e^{z - max} to 0; with soft targets every
             * y_i > 0, so the chain rule's -y_i / a_i is -Inf there */
            tap_ok(nonfinite > 0, "004:1 .. 004:6 the chain rule is NOT finite at logits of "
                   "+-%g (-y/a with a = 0: %zu of %zu entries); the simplification is", Z,
                   nonfinite, n);
        else
            tap_is_double_array(gc->theta, mg->theta, tol, n, 1, 0, 0,
                                "004:1 .. 004:6 where nothing underflows the chain rule equals "
                                "the 2048-bit evaluation too, %s", where);
        bp_model_free(gc);
    }
    free(DL), free(DZ), free(tol);
    bp_trace_free(t), bp_batch_free(b);
    bp_model_free(params), bp_model_free(g), bp_model_free(mg), bp_model_free(mag);
    bp_model_free(fwd);
}

static double sigma_of(const double *z, void *unused)
{
    (void)unused;
    return bp_sigmoid(z[0]);
}

/* ln a_i = z_i - ln sum_k e^{z_k} and L = -sum_i y_i ln a_i, literally, at MP_PREC bits */
static void mp_log_softmax_loss(double *log_a, double *loss, const double *z, const double *y,
                                size_t n)
{
    mpfr_t s, t, L;
    mpfr_inits2(MP_PREC, s, t, L, (mpfr_ptr)0);
    mpfr_set_zero(s, 1);
    for (size_t k = 0; k < n; k++) {
        mpfr_set_d(t, z[k], MPFR_RNDN);
        mpfr_exp(t, t, MPFR_RNDN);
        mpfr_add(s, s, t, MPFR_RNDN);
    }
    mpfr_log(s, s, MPFR_RNDN);
    mpfr_set_zero(L, 1);
    for (size_t i = 0; i < n; i++) {
        mpfr_set_d(t, z[i], MPFR_RNDN);
        mpfr_sub(t, t, s, MPFR_RNDN);
        log_a[i] = mpfr_get_d(t, MPFR_RNDN);
        mpfr_mul_d(t, t, y[i], MPFR_RNDN);
        mpfr_sub(L, L, t, MPFR_RNDN);
    }
    *loss = mpfr_get_d(L, MPFR_RNDN);
    mpfr_clears(s, t, L, (mpfr_ptr)0);
}

/* sce_log_softmax and sce_loss on logit vectors where one logit dominates, against MPFR. The
 * reference computes ln a_i = (z_i - m) - log1p(s): z_i - m rounds by u |z_i - m|, s carries
 * (n + 2) roundings, so log1p(s) is within (n + 3) u of itself, and the difference adds
 * u |ln a_i|; the loss sums n such terms times |y_i| and adds n u |L|. An exponential that
 * underflows into the subnormals is off by up to half the smallest subnormal in ABSOLUTE terms
 * (Higham's fl(x) = x(1 + d) + e, |e| <= 2^-1075), e^{-745} for one: n + 2 of those more. */
static void check_logsumexp(void)
{
    static const double zs[][3] = {{40, 0, -3}, {1000, -1000, 3}, {0.3, -2.385, 1.1},
                                   {-1000, -1000, -1000}, {800, 799, -800}, {745, 0, 0}};
    static const double ys[][3] = {{1, 0, 0}, {0, 1, 0}, {0.2, 0.3, 0.5}};
    double got[18 * 3], want[18 * 3], tol[18 * 3], lg[18], lw[18], lt[18];
    size_t c = 0;
    for (size_t a = 0; a < 6; a++)
        for (size_t b = 0; b < 3; b++, c++) {
            const double *z = zs[a], *y = ys[b];
            double m = fmax(z[0], fmax(z[1], z[2])), s = -1.0; /* the max's own term is 1 */
            for (size_t k = 0; k < 3; k++)
                s += exp(z[k] - m);
            sce_log_softmax(got + 3 * c, z, 3);
            lg[c] = sce_loss(y, z, 3);
            mp_log_softmax_loss(want + 3 * c, &lw[c], z, y, 3);
            lt[c] = 3 * U * fabs(lw[c]);
            for (size_t i = 0; i < 3; i++) {
                tol[3 * c + i] = U * fabs(z[i] - m) + 6 * U * log1p(fmax(s, 0.0)) +
                                 U * fabs(want[3 * c + i]) + 5 * DBL_TRUE_MIN;
                lt[c] += fabs(y[i]) * tol[3 * c + i];
            }
        }
    tap_is_double_array(got, want, tol, 18, 3, 0, 0,
                        "004:cost ln a_i = z_i - logsumexp(z) equals a 2048-bit evaluation, "
                        "logits up to +-1000 and gaps of 40 (rows: logit vector x target)");
    tap_is_double_array(lg, lw, lt, 18, 1, 0, 0,
                        "004:cost L = -sum_i y_i ln a_i equals a 2048-bit evaluation: 4.2e-18 "
                        "at logits (40, 0, -3) with y = (1, 0, 0), 2000 at (1000, -1000, 3) "
                        "with y = (0, 1, 0)");
}

/* A seeded random architecture: 1 to 3 layers of weights, widths 1 to 6. */
static void random_sizes(gsl_rng *rng, char *buf, size_t len)
{
    size_t L = 1 + gsl_rng_uniform_int(rng, 3), used = 0;
    for (size_t l = 0; l <= L; l++)
        used += (size_t)snprintf(buf + used, len - used, l ? ",%lu" : "%lu",
                                 1 + gsl_rng_uniform_int(rng, 6));
}

int main(void)
{
    static const char *const archs[] = {"2,3,2", "4,6,5,3", "10,20,10"};
    static const size_t ms[] = {1, 7};
    unsigned long seed = 4004;
    for (size_t a = 0; a < 3; a++)
        for (size_t m = 0; m < 2; m++)
            for (int r = 0; r < 2; r++)
                for (int k = 0; k < 2; k++)
                    check_case(archs[a], ms[m], r ? BP_MEAN : BP_SUM, k ? SOFT : ONE_HOT, seed++);

    for (size_t a = 0; a < 3; a++) {
        check_intermediates(archs[a], ONE_HOT, seed++);
        check_intermediates(archs[a], SOFT, seed++);
    }

    /* The two paths on 500 random networks, batches and targets. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 404);
    size_t agree = 0, cases = 500;
    for (size_t c = 0; c < cases; c++) {
        char sizes[64];
        random_sizes(rng, sizes, sizeof sizes);
        bp_model *m = tu_model(sizes, 10000 + c);
        bp_batch *b = tu_batch(m, 1 + gsl_rng_uniform_int(rng, 7), 10000 + c);
        set_targets(b, gsl_rng_uniform_int(rng, 2) ? SOFT : ONE_HOT);
        size_t bad;
        if (paths_agree(m, b, gsl_rng_uniform_int(rng, 2) ? BP_MEAN : BP_SUM, &bad))
            agree++;
        else
            tap_diag("case %zu (%s): %zu entries apart", c, sizes, bad);
        bp_batch_free(b), bp_model_free(m);
    }
    gsl_rng_free(rng);
    tap_is_int((long)agree, (long)cases, "004 the chain rule and the simplification agree on %zu "
               "random networks (1-3 layers, widths 1-6, batches 1-7, one-hot and soft targets, "
               "both reductions)", cases);

    /* 004:sig as the reference computes it, against central differences of sigma */
    {
        static const double zs[] = {-7.5, -2.385, -0.3, 0.0, 1.1, 2.385, 9.0};
        double sp[7], fd[7], fd_err[7], tol[7];
        bp_error err;
        for (size_t i = 0; i < 7; i++) {
            sp[i] = bp_sigmoid_prime(zs[i]);
            gc_central(&fd[i], &fd_err[i], sigma_of, NULL, &zs[i], 1, &err);
        }
        gc_tolerance(tol, fd_err, sp, 7);
        tap_is_double_array(sp, fd, tol, 7, 1, 0, 0, "004:sig sigma'(z) = sigma(z)(1 - sigma(z)) "
                            "vs central differences of sigma at z = -7.5 .. 9");
    }

    /* One output neuron: softmax is the constant 1, so the cost and the gradient are 0. */
    static const char *const one_out[] = {"3,4,1", "2,1"};
    for (size_t a = 0; a < 2; a++)
        for (size_t m = 0; m < 2; m++) {
            bp_error err;
            bp_model *p = tu_model(one_out[a], seed++), *gc = bp_model_alloc_like(p, &err);
            bp_model *gs = bp_model_alloc_like(p, &err);
            bp_batch *b = tu_batch(p, ms[m], seed);
            set_targets(b, ONE_HOT); /* y = 1: the only target that sums to 1 */
            double cc = -1, cs = -1;
            sce_gradient(gc, &cc, NULL, p, b, BP_MEAN, SCE_CHAIN, &err);
            sce_gradient(gs, &cs, NULL, p, b, BP_MEAN, SCE_SIMPLIFIED, &err);
            size_t nonzero = 0;
            for (size_t i = 0; i < p->nparams; i++)
                nonzero += gc->theta[i] != 0.0 || gs->theta[i] != 0.0;
            tap_ok(cc == 0.0 && cs == 0.0 && nonzero == 0,
                   "004 one output neuron (%s, m=%zu): softmax = 1, cost 0 and every gradient "
                   "entry exactly 0 by both paths", one_out[a], ms[m]);
            bp_batch_free(b), bp_model_free(p), bp_model_free(gc), bp_model_free(gs);
        }

    /* Targets that do not sum to 1: 004:7 does not hold; the chain rule gives
     * dL/dz_k = a_k sum_i y_i - y_k, and the simplified path refuses. */
    {
        bp_error err = {""};
        bp_model *p = tu_model("3,4,3", seed++), *g = bp_model_alloc_like(p, &err);
        bp_batch *b = tu_batch(p, 5, seed);
        set_targets(b, UNNORMALISED);
        tap_ok(sce_gradient(g, NULL, NULL, p, b, BP_SUM, SCE_SIMPLIFIED, &err) == -1 &&
                   strstr(err.msg, "sum to 1") != NULL,
               "004:7 the simplification refuses targets that do not sum to 1, with a message");
        bp_trace *t = bp_trace_alloc(p, 5, &err);
        sce_gradient(g, NULL, t, p, b, BP_SUM, SCE_CHAIN, &err);
        size_t bad = 0, far = 0;
        for (size_t q = 0; q < 5; q++) {
            double sy = 0.0;
            for (size_t i = 0; i < 3; i++)
                sy += b->y[q * 3 + i];
            for (size_t k = 0; k < 3; k++) {
                double a = t->a[2][q * 3 + k], y = b->y[q * 3 + k], e = t->delta[2][q * 3 + k];
                /* three terms of size <= sy (1 + a), each within 4 roundings */
                bad += !(fabs(e - (a * sy - y)) <= 12 * U * sy * (1 + a));
                far += fabs(e - (a - y)) > 1e-3 * fabs(a - y);
            }
        }
        tap_ok(bad == 0 && far > 0, "004:7 with targets summing to S != 1 the chain rule gives "
               "dL/dz = a S - y, not a - y (%zu of 15 entries differ from a - y by > 0.1%%)",
               far);
        bp_model_free(g);
        g = bp_model_alloc_like(p, &err);
        sce_gradient(g, NULL, NULL, p, b, BP_SUM, SCE_CHAIN, &err);
        double fd[64], fd_err[64], tol[64];
        tu_cost_ctx cc = {BP_CROSS_ENTROPY, bp_model_alloc_like(p, &err), b, BP_SUM};
        gc_central(fd, fd_err, tu_cost_of_theta, &cc, p->theta, p->nparams, &err);
        gc_tolerance(tol, fd_err, g->theta, p->nparams);
        tap_is_double_array(g->theta, fd, tol, p->nparams, 1, 0, 0,
                            "004:1 .. 004:6 the chain rule is right for any targets: "
                            "unnormalised ones vs central differences");
        bp_model_free(cc.work), bp_trace_free(t);
        bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }

    /* Logits of +-1000 (and +-40), zero targets and soft ones, against MPFR. */
    for (size_t a = 0; a < 3; a++) {
        check_extreme(archs[a], 1000.0, ONE_HOT, 7, seed++);
        check_extreme(archs[a], 1000.0, SOFT, 7, seed++);
        check_extreme(archs[a], 40.0, SOFT, 1, seed++);
    }
    check_extreme("2,3,2", 0.0, SOFT, 7, seed++); /* the moderate regime, for reference */
    check_logsumexp();
    mp_done();
    return tap_done();
}
