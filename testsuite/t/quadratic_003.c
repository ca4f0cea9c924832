/* testsuite/t/quadratic_003.c: document 003 (reference/quadratic_003.c): the mapping to and
 * from the canonical layout both ways, 003's row-per-sample backward pass against the
 * canonical 000/002 one after mapping and against central differences of 003's own loss,
 * sigma and sigma' as printed, the update, and the one-neuron section. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "gradcheck.h"
#include "quadratic.h"
#include "quadratic_003.h"
#include "tap.h"
#include "testutil.h"

#define U DBL_EPSILON

/* How far 003's sigma'(x) = s(1 - s) may be from the canonical sigma(x) sigma(-x), relative:
 * s carries <= 3 roundings (exp, +, /); 1 - s turns s's absolute error 3u s into a relative
 * 3u s/(1-s) = 3u e^x, plus its own rounding; the product adds one. The canonical form has
 * <= 7 roundings. Sum: (15 + 3 e^{max(x,0)}) u. */
static double sigma_prime_gap(double x)
{
    return (15.0 + 3.0 * exp(fmax(x, 0.0))) * U;
}

/* 003's loss as a function of its flat parameters (W1, b1, W2, b2 contiguous in mem). */
typedef struct {
    q003_params *work, *scratch;
    const double *X, *Y;
    size_t m;
} loss_ctx;

static double loss_of_theta(const double *theta, void *p)
{
    loss_ctx *c = p;
    q003_params *w = c->work;
    memcpy(w->mem, theta, (w->n0 * w->n1 + w->n1 + w->n1 * w->n2 + w->n2) * sizeof(double));
    double loss = NAN;
    q003_backprop(c->scratch, &loss, w, c->X, c->Y, c->m, NULL);
    return loss;
}

static void check_case(const char *sizes, size_t m, unsigned long seed)
{
    bp_error err;
    bp_model *canon = tu_model(sizes, seed), *cgrad = bp_model_alloc_like(canon, &err);
    bp_model *back = bp_model_alloc_like(canon, &err);
    bp_batch *batch = tu_batch(canon, m, seed);
    bp_trace *t = bp_trace_alloc(canon, m, &err);
    size_t n0 = canon->n[0], n1 = canon->n[1], n2 = canon->n[2], n = canon->nparams;
    q003_params *q = q003_alloc(n0, n1, n2, &err), *qg = q003_alloc(n0, n1, n2, &err);
    char arch[64], where[128];
    bp_sizes_format(canon, arch, sizeof arch);
    snprintf(where, sizeof where, "%s m=%zu", arch, m);
    double canon_cost, loss;
    if (!cgrad || !back || !t || !q || !qg ||
        quad_backprop(cgrad, &canon_cost, t, canon, batch, BP_SUM, &err) ||
        q003_from_canonical(q, canon, &err) ||
        q003_backprop(qg, &loss, q, batch->x, batch->y, m, &err))
        tap_bail_out("003 %s: %s", where, err.msg);

    /* The mapping: W_l[k][j] = W^l[j][k], checked on one entry of a non-square layer, then
     * both round trips bit for bit. */
    tap_ok(q->W1[(n0 - 1) * n1 + 0] == canon->W[1][0 * n0 + (n0 - 1)] &&
               q->W2[(n1 - 1) * n2 + (n2 - 1)] == canon->W[2][(n2 - 1) * n1 + (n1 - 1)],
           "003 mapping: W_l[k][j] (inputs x outputs) = W^l[j][k] (canonical), %s", where);
    q003_to_canonical(back, q, &err);
    tap_ok(memcmp(back->theta, canon->theta, n * sizeof(double)) == 0,
           "003 mapping: canonical -> 003 -> canonical is the identity, %s", where);
    q003_params *q2 = q003_alloc(n0, n1, n2, &err);
    q003_from_canonical(q2, back, &err);
    tap_ok(memcmp(q2->mem, q->mem, n * sizeof(double)) == 0,
           "003 mapping: 003 -> canonical -> 003 is the identity, %s", where);
    q003_free(q2);

    /* Error bounds between the two implementations, from a magnitude pass over the trace:
     * D^2 = |a_2 - y| sigma'(z_2), D^1 = sigma'(z_1) sum_j |W^2_jk| D^2_j bound |delta| and
     * its propagated rounding; the implementations differ by the sigma' gap (above) and by
     * summation order over at most m + n0 + n1 + n2 terms, each side, hence the factor 2. */
    double gap = 0.0;
    for (size_t l = 1; l <= 2; l++)
        for (size_t i = 0; i < m * canon->n[l]; i++)
            gap = fmax(gap, sigma_prime_gap(t->z[l][i]));
    double rel = 2.0 * (gap + (double)(m + n0 + n1 + n2 + 4) * U);
    double *D2 = calloc(m * n2, sizeof *D2), *D1 = calloc(m * n1, sizeof *D1);
    for (size_t p = 0; p < m; p++) {
        for (size_t j = 0; j < n2; j++)
            D2[p * n2 + j] = fabs(t->a[2][p * n2 + j] - batch->y[p * n2 + j]) *
                             bp_sigmoid_prime(t->z[2][p * n2 + j]);
        for (size_t k = 0; k < n1; k++) {
            double s = 0.0;
            for (size_t j = 0; j < n2; j++)
                s += fabs(canon->W[2][j * n1 + k]) * D2[p * n2 + j];
            D1[p * n1 + k] = bp_sigmoid_prime(t->z[1][p * n1 + k]) * s;
        }
    }

    /* 003:d2 and 003:d1 on 003's own forward pass, against the canonical trace: both are
     * (m, n) with one row per sample, so no mapping is needed for deltas. */
    double *z1 = malloc(m * n1 * sizeof *z1), *a1 = malloc(m * n1 * sizeof *a1);
    double *z2 = malloc(m * n2 * sizeof *z2), *a2 = malloc(m * n2 * sizeof *a2);
    double *d1 = malloc(m * n1 * sizeof *d1), *d2 = malloc(m * n2 * sizeof *d2);
    double *tol1 = malloc(m * n1 * sizeof *tol1), *tol2 = malloc(m * n2 * sizeof *tol2);
    q003_forward_layer(z1, a1, batch->x, q->W1, q->b1, m, n0, n1);
    q003_forward_layer(z2, a2, a1, q->W2, q->b2, m, n1, n2);
    q003_output_delta(d2, a2, batch->y, z2, m, n2);
    q003_hidden_delta(d1, d2, q->W2, z1, m, n1, n2);
    for (size_t i = 0; i < m * n2; i++)
        tol2[i] = rel * D2[i];
    for (size_t i = 0; i < m * n1; i++)
        tol1[i] = rel * D1[i];
    tap_is_double_array(d2, t->delta[2], tol2, m, n2, 0, 0,
                        "003:d2 delta_2 = (a_2 - y) ⊙ sigma'(z_2) equals 000:4's delta^L, "
                        "[p][j], %s",
                        where);
    tap_is_double_array(d1, t->delta[1], tol1, m, n1, 0, 0,
                        "003:d1 delta_1 = (delta_2 W_2^T) ⊙ sigma'(z_1) equals 000:5's "
                        "delta^1, [p][k], %s",
                        where);

    /* 003:gW2, 003:gb2, 003:gW1, 003:gb1 mapped to canonical, against 000/002 with `sum`:
     * entry (j,k) is a sum over p of D_j a_k, so rel times that sum bounds the gap. */
    q003_to_canonical(back, qg, &err);
    double *gtol = malloc(n * sizeof *gtol);
    for (size_t l = 1; l <= 2; l++) {
        size_t J = canon->n[l], K = canon->n[l - 1];
        const double *D = l == 2 ? D2 : D1;
        for (size_t j = 0; j < J; j++) {
            double sb = 0.0;
            for (size_t k = 0; k < K; k++) {
                double s = 0.0;
                for (size_t p = 0; p < m; p++)
                    s += D[p * J + j] * fabs(t->a[l - 1][p * K + k]);
                gtol[bp_model_w_index(canon, l, j, k)] = rel * s;
            }
            for (size_t p = 0; p < m; p++)
                sb += D[p * J + j];
            gtol[bp_model_b_index(canon, l, j)] = rel * sb;
        }
    }
    for (size_t l = 2; l >= 1; l--) {
        size_t J = canon->n[l], K = canon->n[l - 1];
        size_t w0 = bp_model_w_index(canon, l, 0, 0), b0 = bp_model_b_index(canon, l, 0);
        tap_is_double_array(back->theta + w0, cgrad->theta + w0, gtol + w0, J, K, 0, 0,
                            "003:gW%zu dL/dW_%zu = a_%zu^T delta_%zu equals 000:7's "
                            "(dC/dw^%zu)^T after mapping, %s",
                            l, l, l - 1, l, l, where);
        tap_is_double_array(back->theta + b0, cgrad->theta + b0, gtol + b0, J, 1, 0, 0,
                            "003:gb%zu dL/db_%zu = sum over the batch of delta_%zu equals "
                            "000:6's dC/db^%zu with sum reduction, %s",
                            l, l, l, l, where);
    }
    /* 003's unnamed loss is the canonical quadratic cost with sum reduction: the same terms
     * summed in another grouping (m n2 terms), and sigma by 003:3 vs the two-branch form
     * (<= 4u each): within (m n2 + 8) u relative, twice. */
    tap_is_double(loss, canon_cost, 2.0 * (double)(m * n2 + 8) * U, 0.0,
                  "003: L = 1/2 sum_p sum_j (a_2 - y)^2 equals 000:2 with sum reduction, %s",
                  where);

    /* 003's gradients against central differences of 003's own loss: confirms that the
     * unnamed L is a SUM over the batch (a mean would be off by m). */
    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    double *tol = malloc(n * sizeof *tol);
    loss_ctx lc = {q003_alloc(n0, n1, n2, &err), q003_alloc(n0, n1, n2, &err), batch->x,
                   batch->y, m};
    gc_central(fd, fd_err, loss_of_theta, &lc, q->mem, n, &err);
    gc_tolerance(tol, fd_err, qg->mem, n);
    tap_is_double_array(qg->mem, fd, tol, n, 1, 0, 0,
                        "003:gW1 003:gb1 003:gW2 003:gb2 003:d1 003:d2 (W1, b1, W2, b2) vs "
                        "central differences of L summed over the batch, %s",
                        where);
    q003_free(lc.work), q003_free(lc.scratch);

    /* 003:upd W = W - eta dL/dW, b = b - eta dL/db: a small step lowers L by about
     * eta ||g||^2 (first order); with eta = 1e-3 / ||g||^2 the decrease is 1e-3 to within
     * O(eta^2 ||g||^2 |H|) ~ 1e-6, so it lies in (0.5e-3, 1.5e-3); a wrong sign raises L. */
    double g2 = 0.0;
    for (size_t i = 0; i < n; i++)
        g2 += qg->mem[i] * qg->mem[i];
    double eta = 1e-3 / g2;
    q003_params *stepped = q003_alloc(n0, n1, n2, &err), *scratch = q003_alloc(n0, n1, n2, &err);
    memcpy(stepped->mem, q->mem, n * sizeof(double));
    q003_update(stepped, qg, eta);
    double after;
    q003_backprop(scratch, &after, stepped, batch->x, batch->y, m, &err);
    if (!tap_ok(loss - after > 0.5e-3 && loss - after < 1.5e-3,
                "003:upd W = W - eta dL/dW lowers L by eta ||g||^2 = 1e-3, %s", where))
        tap_diag("L went from %.17g to %.17g", loss, after);
    q003_free(stepped), q003_free(scratch);

    free(fd), free(fd_err), free(tol), free(gtol);
    free(z1), free(a1), free(z2), free(a2), free(d1), free(d2), free(tol1), free(tol2);
    free(D1), free(D2);
    q003_free(q), q003_free(qg);
    bp_trace_free(t);
    bp_batch_free(batch);
    bp_model_free(canon), bp_model_free(cgrad), bp_model_free(back);
}

/* 003:3 and 003:sig, one input at a time, for the oracle. */
static double sigma_of(const double *x, void *unused)
{
    (void)unused;
    return q003_sigma(x[0]);
}

typedef struct {
    const double *x1, *y1;
    size_t m;
    int wrt_b;
    double w1, b;
} neuron_ctx;

static double neuron_cost_of(const double *v, void *p)
{
    neuron_ctx *c = p;
    return c->wrt_b ? q003_neuron_cost(c->w1, v[0], c->x1, c->y1, c->m)
                    : q003_neuron_cost(v[0], c->b, c->x1, c->y1, c->m);
}

int main(void)
{
    static const char *const archs[] = {"1,1,1", "2,2,1", "3,4,2", "2,3,4"};
    unsigned long seed = 3003;
    for (size_t a = 0; a < 4; a++) {
        check_case(archs[a], 1, seed++);
        check_case(archs[a], 5, seed++);
    }

    /* 003:3 against the canonical two-branch sigmoid: identical operations for x >= 0; for
     * x < 0, e^x/(1 + e^x) and 1/(1 + e^{-x}) are each within 3 roundings, so 6u relative. */
    static const double xs[] = {-30.0, -2.385, -0.7, 0.0, 0.7, 2.385, 30.0};
    double s3[7], sc[7], d3[7], dc[7], fd[7], fd_err[7], tol[7];
    bp_error err;
    for (size_t i = 0; i < 7; i++) {
        s3[i] = q003_sigma(xs[i]), sc[i] = bp_sigmoid(xs[i]);
        d3[i] = q003_sigma_prime(xs[i]), dc[i] = bp_sigmoid_prime(xs[i]);
        gc_central(&fd[i], &fd_err[i], sigma_of, NULL, &xs[i], 1, &err);
    }
    tap_is_double_array(s3, sc, NULL, 7, 1, 6 * U, 0, "003:3 sigma(x) = 1/(1 + e^{-x}) equals "
                        "the canonical sigmoid at x = -30 .. 30");
    gc_tolerance(tol, fd_err, d3, 7);
    tap_is_double_array(d3, fd, tol, 7, 1, 0, 0,
                        "003:sig sigma'(x) = sigma(x)(1 - sigma(x)) vs central differences of "
                        "003:3 at x = -30 .. 30");
    for (size_t i = 0; i < 7; i++)
        tol[i] = 2.0 * sigma_prime_gap(xs[i]) * fabs(dc[i]);
    tap_is_double_array(d3, dc, tol, 7, 1, 0, 0,
                        "003:sig sigma(1 - sigma) equals the canonical sigma(x) sigma(-x) "
                        "within the cancellation of 1 - sigma");
    /* Saturation: at x = 40, sigma'(40) = e^{-40}/(1 + e^{-40})^2 = 4.248354255291589e-18 to
     * 16 digits; the printed form returns 0 there, the canonical form the value. */
    double want = exp(-40.0) / ((1.0 + exp(-40.0)) * (1.0 + exp(-40.0)));
    tap_is_double(bp_sigmoid_prime(40.0), want, 8 * U, 0,
                  "sigma'(40) by sigma(z) sigma(-z) keeps full relative accuracy");
    tap_ok(q003_sigma_prime(40.0) == 0.0,
           "003:sig as printed, sigma(1 - sigma), cancels to 0 at x = 40 (why activation.c "
           "uses sigma(z) sigma(-z))");

    /* Section 1, one neuron: 003:1 z = w_1 x_1 + b, 003:2 f = sigma(z), 003:4 the cost, and
     * the chain rule read as dC/dw_1 = sum (sigma(z) - y_1) sigma'(z) x_1, against central
     * differences and against the canonical 1-1 network with sum reduction. */
    bp_model *one = tu_model("1,1", 31), *g = tu_model("1,1", 31);
    bp_batch *b = tu_batch(one, 5, 31);
    double w1 = one->W[1][0], bias = one->b[1][0];
    tap_is_double(q003_neuron_z(w1, b->x[2], bias), w1 * b->x[2] + bias, 0, 0,
                  "003:1 z = w_1 x_1 + b");
    tap_is_double(q003_neuron_f(w1, b->x[2], bias), q003_sigma(w1 * b->x[2] + bias), 0, 0,
                  "003:2 f(w_1, b) = sigma(z)");
    double cq = quad_cost(one, b, BP_SUM);
    /* The same five terms; sigma by two formulas (<= 6u apart, above) moves each term
     * 1/2 (sigma - y)^2 by <= 6u |sigma - y| sigma <= 6u, so 5 * 6u + 10u of roundings. */
    tap_is_double(q003_neuron_cost(w1, bias, b->x, b->y, 5), cq, 0, 40 * U,
                  "003:4 C(w_1) = 1/2 sum (sigma(z) - y_1)^2 equals 000:2 for a 1-1 network");
    double gw, gb;
    q003_neuron_grad(&gw, &gb, w1, bias, b->x, b->y, 5);
    neuron_ctx nc = {b->x, b->y, 5, 0, w1, bias};
    double fw, fw_err, fb, fb_err, tw, tb;
    gc_central(&fw, &fw_err, neuron_cost_of, &nc, &w1, 1, &err);
    nc.wrt_b = 1;
    gc_central(&fb, &fb_err, neuron_cost_of, &nc, &bias, 1, &err);
    gc_tolerance(&tw, &fw_err, &gw, 1);
    gc_tolerance(&tb, &fb_err, &gb, 1);
    tap_is_double(gw, fw, 0, tw, "003:1 003:2 003:4 dC/dw_1 = sum (sigma(z) - y_1) sigma'(z) "
                  "x_1 (the garbled chain rule, read) vs central differences");
    tap_is_double(gb, fb, 0, tb, "003:1 003:2 003:4 dC/db = sum (sigma(z) - y_1) sigma'(z) vs "
                  "central differences");
    quad_backprop(g, NULL, NULL, one, b, BP_SUM, &err);
    /* The same five terms (sigma(z) - y) sigma'(z) x, sigma' by two formulas: they differ by
     * 2 (gap(z) + 10 u) relative per term, so by that times sum_p |term_p| in all. */
    double bound = 0.0;
    for (size_t p = 0; p < 5; p++) {
        double z = w1 * b->x[p] + bias;
        double term = fabs((bp_sigmoid(z) - b->y[p]) * bp_sigmoid_prime(z) * b->x[p]);
        bound += 2.0 * (sigma_prime_gap(z) + 10 * U) * term;
    }
    tap_is_double(gw, g->W[1][0], 0, bound,
                  "003 one neuron: dC/dw_1 equals 000:7 for a 1-1 network");
    bp_model_free(one), bp_model_free(g), bp_batch_free(b);

    /* The mapping refuses a network that is not two layers of weights. */
    bp_model *deep = tu_model("2,2,2,2", 1);
    q003_params *q = q003_alloc(2, 2, 2, &err);
    err.msg[0] = '\0';
    tap_ok(q003_from_canonical(q, deep, &err) == -1 && strstr(err.msg, "two layers") != NULL,
           "003 mapping: a 4-layer canonical model is refused with a message");
    q003_free(q), bp_model_free(deep);
    return tap_done();
}
