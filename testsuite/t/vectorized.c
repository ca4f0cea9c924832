/* testsuite/t/vectorized.c: the matrix forms on GSL BLAS (reference/vectorized.c) equal the
 * literal loops of every document, property style: seeded random networks whose every layer
 * is non-square (n_l != n_{l-1}: a square layer hides a transposition), batches of 1 to 64,
 * both reductions, all three models, both the batched (dgemm) and the per-sample (dgemv, dger)
 * forms. And what 000:7 as printed computes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "activation.h"
#include "tap.h"
#include "testutil.h"
#include "train.h"
#include "vectorized.h"

#define U DBL_EPSILON
#define CASES 400 /* per model: 1,200 random cases in all */

/* Random sizes, L from 1 to 4, widths 1 to 9, no layer square. */
static void random_sizes(gsl_rng *rng, size_t *L, size_t n[BP_MAX_LAYERS + 1])
{
    *L = 1 + gsl_rng_uniform_int(rng, 4);
    for (size_t l = 0; l <= *L; l++)
        do
            n[l] = 1 + gsl_rng_uniform_int(rng, 9);
        while (l > 0 && n[l] == n[l - 1]);
}

/* Targets for the model: in (0, 1), sometimes exactly 0 or 1; for cross-entropy one-hot or
 * soft rows that sum to 1. */
static void set_targets(bp_batch *b, bp_cost model, gsl_rng *rng)
{
    int kind = (int)gsl_rng_uniform_int(rng, 2);
    for (size_t p = 0; p < b->m; p++) {
        double *y = b->y + p * b->n_out, s = 0.0;
        size_t hot = gsl_rng_uniform_int(rng, b->n_out);
        for (size_t j = 0; j < b->n_out; j++) {
            if (model == BP_CROSS_ENTROPY && kind == 0)
                y[j] = j == hot;
            else if (model != BP_CROSS_ENTROPY && kind == 0)
                y[j] = y[j] > 0.5;
            s += y[j];
        }
        if (model == BP_CROSS_ENTROPY && kind == 1)
            for (size_t j = 0; j < b->n_out; j++)
                y[j] /= s;
    }
}

/* How far the vectorized result may be from the literal one, from the literal trace t.
 * Gradient: the two sum the same terms in other orders and groupings: within (roundings) u of
 * the magnitude pass, where roundings counts the sums on one term's path (m samples, the
 * widths, n_L for 001's per-output sums, 16 for the fixed factors). Each also rounds z^l_j
 * differently, by dz <= 2 (K+1) u (sum_k |w_jk a_k| + |b_j|) (Higham 3.1); every later factor
 * (sigma, sigma', softmax) moves by at most dz relative to its size, at most 4 factors per
 * layer, so 4 sum_l max dz^l joins the relative bound. Twice, one for each side.
 * Cost: sum over layers of sum_p,j |dC_x/dz^l_j| dz^l_j (first order), plus the cost's own
 * 2 (m n_L + 8) u |C| (its terms are all >= 0, so the sum does not cancel). */
static void tolerances(double *gtol, double *ctol, bp_cost model, const bp_model *params,
                       const bp_batch *b, const bp_trace *t, bp_reduction red, double cost)
{
    bp_error err;
    size_t L = params->L, m = b->m, NL = params->n[L];
    double *DL = malloc(m * NL * sizeof *DL), zterm = 0.0, dcost = 0.0;
    for (size_t i = 0; i < m * NL; i++) {
        double a = t->a[L][i], y = fabs(b->y[i]);
        DL[i] = model == BP_QUADRATIC ? (a + y) * bp_sigmoid_prime(t->z[L][i]) : a + y;
    }
    for (size_t l = 1; l <= L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        double dzmax = 0.0;
        for (size_t p = 0; p < m; p++)
            for (size_t j = 0; j < J; j++) {
                double s = fabs(params->b[l][j]);
                for (size_t k = 0; k < K; k++)
                    s += fabs(params->W[l][j * K + k] * t->a[l - 1][p * K + k]);
                double dz = 2.0 * (double)(K + 1) * U * s;
                dzmax = fmax(dzmax, dz);
                dcost += fabs(t->delta[l][p * J + j]) * dz;
            }
        zterm += 4.0 * dzmax;
    }
    double roundings = (double)(m + NL + 16);
    for (size_t l = 0; l <= L; l++)
        roundings += (double)params->n[l];
    double scale = red == BP_MEAN ? (double)m : 1.0;
    double r = 2.0 * (roundings * U + zterm) / scale;
    bp_model *mag = bp_model_alloc_like(params, &err);
    tu_magnitude(mag, params, t, DL);
    for (size_t i = 0; i < params->nparams; i++)
        gtol[i] = r * mag->theta[i];
    *ctol = dcost / scale + 2.0 * (double)(m * NL + 8) * U * fabs(cost);
    bp_model_free(mag);
    free(DL);
}

typedef struct {
    size_t agree, cases, worst_case;
    double worst; /* largest |difference| / tolerance seen */
} tally;

static void compare(tally *ty, size_t id, const bp_model *lit, double lcost, const bp_model *vec,
                    double vcost, const double *gtol, double ctol)
{
    double worst = fabs(vcost - lcost) / ctol;
    int ok = fabs(vcost - lcost) <= ctol;
    for (size_t i = 0; i < lit->nparams; i++) {
        double d = fabs(vec->theta[i] - lit->theta[i]);
        ok &= d <= gtol[i];
        if (gtol[i] > 0)
            worst = fmax(worst, d / gtol[i]);
        else if (d > 0)
            worst = INFINITY;
    }
    ty->cases++;
    ty->agree += (size_t)ok;
    if (!(worst <= ty->worst))
        ty->worst = worst, ty->worst_case = id;
}

int main(void)
{
    const bp_cost models[] = {BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY};
    static const char *const ids[] = {
        "000:1 000:4 000:5 000:6 000:7 002:alg 003:d2 003:d1 003:gW2 003:gW1",
        "001:9 001:12 (canonical loglik)",
        "004:7 004:8 004:9 004:10 004:11 004:12 004:13"};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5005);
    size_t total = 0;
    for (size_t mi = 0; mi < 3; mi++) {
        bp_cost model = models[mi];
        tally batched = {0, 0, 0, 0.0}, per_sample = {0, 0, 0, 0.0};
        size_t sizes_seen = 0, max_m = 0, square = 0;
        for (size_t c = 0; c < CASES; c++) {
            bp_error err;
            size_t L, n[BP_MAX_LAYERS + 1];
            random_sizes(rng, &L, n);
            bp_model *params = bp_model_alloc(L, n, &err);
            bp_model_init(params, rng);
            size_t m = 1 + gsl_rng_uniform_int(rng, 64);
            bp_batch *b = bp_batch_alloc(m, n[0], n[L], &err);
            bp_batch_fill(b, rng);
            set_targets(b, model, rng);
            bp_reduction red = gsl_rng_uniform_int(rng, 2) ? BP_MEAN : BP_SUM;
            bp_model *gl = bp_model_alloc_like(params, &err), *gv = bp_model_alloc_like(params, &err);
            bp_trace *t = bp_trace_alloc(params, m, &err);
            double *gtol = malloc(params->nparams * sizeof *gtol), lc, vc, ctol;
            if (bp_gradient(model, gl, &lc, t, params, b, red, &err))
                tap_bail_out("literal %s: %s", bp_cost_name(model), err.msg);
            tolerances(gtol, &ctol, model, params, b, t, red, lc);
            if (vec_gradient(model, gv, &vc, NULL, params, b, red, &err))
                tap_bail_out("vectorized %s: %s", bp_cost_name(model), err.msg);
            compare(&batched, c, gl, lc, gv, vc, gtol, ctol);
            if (vec_gradient_per_sample(model, gv, &vc, params, b, red, &err))
                tap_bail_out("vectorized per sample %s: %s", bp_cost_name(model), err.msg);
            compare(&per_sample, c, gl, lc, gv, vc, gtol, ctol);
            for (size_t l = 1; l <= L; l++)
                square += n[l] == n[l - 1];
            sizes_seen += L;
            max_m = m > max_m ? m : max_m;
            free(gtol);
            bp_trace_free(t), bp_batch_free(b);
            bp_model_free(params), bp_model_free(gl), bp_model_free(gv);
        }
        total += batched.cases;
        if (!tap_is_int((long)batched.agree, CASES,
                        "%s vectorized (dgemm over the batch) == literal, %s: %d random cases, "
                        "1-4 layers, non-square, batches 1-%zu, both reductions",
                        ids[mi], bp_cost_name(model), CASES, max_m))
            tap_diag("worst case %zu at %.3g tolerances", batched.worst_case, batched.worst);
        if (!tap_is_int((long)per_sample.agree, CASES,
                        "%s vectorized per sample (dgemv, dger) == literal, %s: %d random cases",
                        ids[mi], bp_cost_name(model), CASES))
            tap_diag("worst case %zu at %.3g tolerances", per_sample.worst_case, per_sample.worst);
        tap_note("%s: worst difference %.3g (batched) and %.3g (per sample) of the tolerance",
                 bp_cost_name(model), batched.worst, per_sample.worst);
        tap_is_int((long)square, 0, "%s: none of the %zu layers drawn is square", bp_cost_name(model),
                   sizes_seen);
    }
    tap_ok(total >= 1000, "vectorized == literal on %zu random cases across the three models", total);

    /* The trace of the vectorized pass is the literal trace (checked on one case). */
    {
        bp_error err;
        bp_model *p = tu_model("3,5,2", 77), *g = bp_model_alloc_like(p, &err);
        bp_batch *b = tu_batch(p, 6, 77);
        bp_trace *tl = bp_trace_alloc(p, 6, &err), *tv = bp_trace_alloc(p, 6, &err);
        bp_gradient(BP_QUADRATIC, g, NULL, tl, p, b, BP_SUM, &err);
        vec_gradient(BP_QUADRATIC, g, NULL, tv, p, b, BP_SUM, &err);
        size_t bad = 0;
        for (size_t l = 1; l <= 2; l++)
            for (size_t i = 0; i < 6 * p->n[l]; i++)
                bad += !(fabs(tv->z[l][i] - tl->z[l][i]) <= 64 * U * (1 + fabs(tl->z[l][i])) &&
                         fabs(tv->delta[l][i] - tl->delta[l][i]) <= 64 * U * (1 + fabs(tl->delta[l][i])));
        tap_is_int((long)bad, 0, "vectorized trace: z and delta per sample equal the literal ones "
                   "(3-5-2, m=6; within 64 u of 1 + |value|, the values being O(1))");
        bp_trace_free(tl), bp_trace_free(tv), bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }

    /* 000:7 as printed: a^{l-1} delta^l read as an outer product is n_{l-1} x n_l, the
     * TRANSPOSE of dC/dw^l (n_l x n_{l-1}); laid over W's layout it is not the gradient. */
    {
        bp_error err;
        bp_model *p = tu_model("3,4,2", 70), *g = bp_model_alloc_like(p, &err);
        bp_batch *b = tu_batch(p, 1, 70);
        bp_trace *t = bp_trace_alloc(p, 1, &err);
        bp_gradient(BP_QUADRATIC, g, NULL, t, p, b, BP_SUM, &err);
        double printed[12];
        vec_000_7_as_printed(printed, t->a[0], t->delta[1], 3, 4);
        size_t transposed = 0, same = 0;
        for (size_t k = 0; k < 3; k++)
            for (size_t j = 0; j < 4; j++) {
                double gjk = g->W[1][j * 3 + k];
                /* both are the one product a_k delta_j: within one rounding of each other */
                transposed += fabs(printed[k * 4 + j] - gjk) <= 2 * U * fabs(gjk);
                same += fabs(printed[k * 4 + j] - g->W[1][k * 4 + j]) <= 1e-3 * fabs(g->W[1][k * 4 + j]);
            }
        tap_ok(transposed == 12, "000:7 as printed, a^{l-1} (delta^l)^T, is 3x4 for a 4x3 W^1: "
               "entry [k][j] is dC/dw^1_jk, the transpose of the gradient");
        tap_ok(same < 12, "000:7 as printed, laid over W^1's row-major layout, is not the gradient "
               "(%zu of 12 entries agree by accident)", same);
        bp_trace_free(t), bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }

    /* Bad input is refused, not computed. */
    {
        bp_error err = {""};
        bp_model *p = tu_model("3,2", 1), *g = bp_model_alloc_like(p, &err);
        bp_batch *b = tu_batch(p, 2, 1); /* y in (0,1), not summing to 1 */
        tap_ok(vec_gradient(BP_CROSS_ENTROPY, g, NULL, NULL, p, b, BP_SUM, &err) == -1 &&
                   strstr(err.msg, "sum to 1"),
               "vectorized cross-entropy refuses targets that do not sum to 1");
        tap_ok(isnan(vec_cost(BP_CROSS_ENTROPY, p, b, BP_SUM)),
               "vectorized cost of a batch it refuses is NaN");
        bp_batch_free(b), bp_model_free(p), bp_model_free(g);
    }
    gsl_rng_free(rng);
    return tap_done();
}
