/* testsuite/t/quadratic.c: documents 000 and 002 (reference/quadratic.c) against independent
 * evidence: every gradient entry against central differences of the cost, every delta against
 * a perturbation of z itself (000:3), the per-index forward pass against the vector form on
 * GSL BLAS, the batch against its samples. Architectures 1-1, 2-2-1, 3-4-2, 4-5-3-2; batches
 * of 1 and 5; both reductions. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>

#include "activation.h"
#include "gradcheck.h"
#include "quadratic.h"
#include "tap.h"
#include "testutil.h"

/* C_x of sample p as a function of z^l_j alone (000:3 defines delta^l_j = dC/dz^l_j): run the
 * forward pass, overwrite z^l_j, and carry on from there. */
typedef struct {
    const bp_model *params;
    const bp_batch *batch;
    size_t p, l, j;
    double *z, *a; /* scratch, one layer wide enough for any */
    double *a_prev;
} z_ctx;

static double cost_of_z(const double *zlj, void *ptr)
{
    z_ctx *c = ptr;
    const bp_model *m = c->params;
    memcpy(c->a_prev, c->batch->x + c->p * m->n[0], m->n[0] * sizeof(double));
    for (size_t l = 1; l <= m->L; l++) {
        quad_feedforward_layer(c->z, c->a, m->W[l], m->b[l], c->a_prev, m->n[l], m->n[l - 1],
                               BP_ACT_SIGMOID, 0.0);
        if (l == c->l) {
            c->z[c->j] = zlj[0];
            c->a[c->j] = bp_sigmoid(zlj[0]);
        }
        memcpy(c->a_prev, c->a, m->n[l] * sizeof(double));
    }
    return quad_cost_sample(c->a_prev, c->batch->y + c->p * m->n[m->L], m->n[m->L]);
}

/* Largest tolerance relative to the largest |value|: the check's resolving power. */
static double sharpness(const double *tol, const double *g, size_t n)
{
    double tmax = 0.0, gmax = 0.0;
    for (size_t i = 0; i < n; i++)
        tmax = fmax(tmax, tol[i]), gmax = fmax(gmax, fabs(g[i]));
    return gmax > 0.0 ? tmax / gmax : INFINITY;
}

/* A check has power if its tolerance is below 1e-6 of the values it compares: every classic
 * bug changes an entry by O(1) relative, a million times more. */
#define POWER 1e-6

static void check_case(const char *sizes, size_t m, bp_reduction red, unsigned long seed)
{
    bp_error err;
    bp_model *params = tu_model(sizes, seed), *grad = bp_model_alloc_like(params, &err);
    bp_batch *batch = tu_batch(params, m, seed);
    bp_trace *trace = bp_trace_alloc(params, m, &err);
    size_t L = params->L, n = params->nparams;
    char arch[64], where[128];
    bp_sizes_format(params, arch, sizeof arch);
    snprintf(where, sizeof where, "%s m=%zu %s", arch, m, bp_reduction_name(red));

    double cost;
    if (!grad || !trace || quad_backprop(grad, &cost, trace, params, batch, red, &err))
        tap_bail_out("%s: %s", where, err.msg);

    /* 000:2 and 002:cost recomputed here from the trace's a^L, independently of
     * quad_cost_sample: the same sum in the same order, so equal to the last bit. */
    double c = 0.0;
    for (size_t p = 0; p < m; p++)
        for (size_t j = 0; j < params->n[L]; j++) {
            double d = batch->y[p * params->n[L] + j] - trace->a[L][p * params->n[L] + j];
            c += 0.5 * d * d;
        }
    if (red == BP_MEAN)
        c /= (double)m;
    /* Both sum the same terms over the same samples; 1/2 (a+b) and 1/2 a + 1/2 b differ by at
     * most one rounding per term, so 2 (m n_L) eps |C| bounds the difference. */
    tap_is_double(cost, c, 2.0 * (double)(m * params->n[L]) * DBL_EPSILON, 0.0,
                  "000:2 002:cost C = (1/n) sum_x 1/2 ||y - a^L||^2, %s", where);
    tap_is_double(quad_cost(params, batch, red), cost, 0.0, 0.0,
                  "000:2 quad_cost equals the cost of 002:alg (same operations), %s", where);

    /* Every parameter: central differences of quad_cost. */
    double *fd = malloc(n * sizeof *fd), *fd_err = malloc(n * sizeof *fd_err);
    double *tol = malloc(n * sizeof *tol);
    tu_cost_ctx cc = {BP_QUADRATIC, bp_model_alloc_like(params, &err), batch, red};
    if (!fd || !fd_err || !tol || !cc.work ||
        gc_central(fd, fd_err, tu_cost_of_theta, &cc, params->theta, n, &err))
        tap_bail_out("%s: %s", where, err.msg);
    gc_tolerance(tol, fd_err, grad->theta, n);
    for (size_t l = 1; l <= L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        size_t w0 = bp_model_w_index(params, l, 0, 0), b0 = bp_model_b_index(params, l, 0);
        tap_is_double_array(grad->theta + w0, fd + w0, tol + w0, J, K, 0, 0,
                            "000:7 002:BP4 002:alg dC/dw^%zu_jk = a^%zu_k delta^%zu_j vs "
                            "central differences, %s",
                            l, l - 1, l, where);
        tap_is_double_array(grad->theta + b0, fd + b0, tol + b0, J, 1, 0, 0,
                            "000:6 002:BP3 002:alg dC/db^%zu_j = delta^%zu_j vs central "
                            "differences, %s",
                            l, l, where);
    }
    double power = sharpness(tol, grad->theta, n);
    tap_note("largest tolerance / largest |gradient| = %.3g, %s", power, where);
    if (!tap_ok(power < POWER, "gradient check resolves 1e-6 of max |dC/dtheta|, %s", where))
        tap_diag("largest tolerance / largest gradient = %.3g", power);

    /* Every delta^l_j of every sample against a perturbation of z^l_j itself (000:3). The
     * trace's delta is per sample, dC_x/dz, whatever the reduction. */
    size_t wmax = 0;
    for (size_t l = 0; l <= L; l++)
        wmax = params->n[l] > wmax ? params->n[l] : wmax;
    double *scratch = malloc(3 * wmax * sizeof *scratch);
    z_ctx zc = {params, batch, 0, 0, 0, scratch, scratch + wmax, scratch + 2 * wmax};
    for (size_t l = L; l >= 1; l--) {
        size_t J = params->n[l];
        double *dz = malloc(m * J * sizeof *dz), *dz_err = malloc(m * J * sizeof *dz_err);
        double *dtol = malloc(m * J * sizeof *dtol);
        for (zc.p = 0; zc.p < m; zc.p++)
            for (zc.j = 0; zc.j < J; zc.j++) {
                zc.l = l;
                size_t i = zc.p * J + zc.j;
                gc_central(dz + i, dz_err + i, cost_of_z, &zc, trace->z[l] + i, 1, &err);
            }
        gc_tolerance(dtol, dz_err, trace->delta[l], m * J);
        if (l == L)
            tap_is_double_array(trace->delta[l], dz, dtol, m, J, 0, 0,
                                "000:3 000:4 002:BP1 delta^L_j = (a^L_j - y_j) sigma'(z^L_j) "
                                "= dC_x/dz^L_j, [p][j], %s",
                                where);
        else
            tap_is_double_array(trace->delta[l], dz, dtol, m, J, 0, 0,
                                "000:3 000:5 002:BP2 delta^%zu_j = sum_i w^%zu_ij delta^%zu_i "
                                "sigma'(z^%zu_j) = dC_x/dz^%zu_j, [p][j], %s",
                                l, l + 1, l + 1, l, l, where);
        free(dz), free(dz_err), free(dtol);
    }
    free(scratch);

    /* 000:1, 002:ff per index against the vector form a^l = sigma(w^l a^{l-1} + b^l) computed
     * by gsl_blas_dgemv from the same a^{l-1}. Both are dot products of length K plus b: each
     * is within K+1 roundings of the exact value relative to sum_k |w_jk a_k| + |b_j| (Higham
     * 3.1), so they differ by at most 2 (K+1) eps times that. */
    for (size_t l = 1; l <= L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        double *zv = malloc(m * J * sizeof *zv), *ztol = malloc(m * J * sizeof *ztol);
        gsl_matrix_const_view W = gsl_matrix_const_view_array(params->W[l], J, K);
        for (size_t p = 0; p < m; p++) {
            gsl_vector_const_view ap = gsl_vector_const_view_array(trace->a[l - 1] + p * K, K);
            gsl_vector_view zp = gsl_vector_view_array(zv + p * J, J);
            gsl_vector_const_view b = gsl_vector_const_view_array(params->b[l], J);
            gsl_vector_memcpy(&zp.vector, &b.vector);
            gsl_blas_dgemv(CblasNoTrans, 1.0, &W.matrix, &ap.vector, 1.0, &zp.vector);
            for (size_t j = 0; j < J; j++) {
                double s = fabs(params->b[l][j]);
                for (size_t k = 0; k < K; k++)
                    s += fabs(params->W[l][j * K + k] * trace->a[l - 1][p * K + k]);
                ztol[p * J + j] = 2.0 * (double)(K + 1) * DBL_EPSILON * s;
            }
        }
        tap_is_double_array(trace->z[l], zv, ztol, m, J, 0, 0,
                            "000:1 002:ff z^%zu_j = sum_k w^%zu_jk a^%zu_k + b^%zu_j equals the "
                            "vector form w^%zu a^%zu + b^%zu (gsl_blas_dgemv), [p][j], %s",
                            l, l, l - 1, l, l, l - 1, l, where);
        free(zv), free(ztol);
    }

    /* 002:alg over a batch is the sum of the algorithm over each sample: the same products
     * added in the same order, so equal to the last bit (m = 1 is trivially so). */
    if (m > 1 && red == BP_SUM) {
        bp_model *sum = bp_model_alloc_like(params, &err), *one = bp_model_alloc_like(params, &err);
        for (size_t p = 0; p < m; p++) {
            bp_batch b1 = {1, batch->n_in, batch->n_out, batch->x + p * batch->n_in,
                           batch->y + p * batch->n_out};
            quad_backprop(one, NULL, NULL, params, &b1, BP_SUM, &err);
            for (size_t i = 0; i < n; i++)
                sum->theta[i] += one->theta[i];
        }
        tap_is_double_array(grad->theta, sum->theta, NULL, n, 1, 0, 0,
                            "002:alg the batch gradient is the sum of the per-sample "
                            "gradients, %s",
                            where);
        bp_model_free(sum), bp_model_free(one);
    }

    free(fd), free(fd_err), free(tol);
    bp_model_free(cc.work);
    bp_trace_free(trace);
    bp_batch_free(batch);
    bp_model_free(grad);
    bp_model_free(params);
}

int main(void)
{
    static const char *const archs[] = {"1,1", "2,2,1", "3,4,2", "4,5,3,2"};
    static const size_t batches[] = {1, 5};
    unsigned long seed = 2385;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 2; b++)
            for (int r = 0; r < 2; r++)
                check_case(archs[a], batches[b], r ? BP_MEAN : BP_SUM, seed++);

    /* Bad input is an error with a message, not a crash. */
    bp_error err = {""};
    bp_model *p = tu_model("3,2", 1), *g = tu_model("3,3", 1);
    bp_batch *wrong = tu_batch(g, 2, 1); /* 3 inputs, 3 outputs: y does not fit 3-2 */
    tap_ok(quad_backprop(p, NULL, NULL, p, wrong, BP_SUM, &err) == -1 &&
               strstr(err.msg, "y has 3 columns") != NULL,
           "quadratic: a batch whose y does not fit the output layer is refused");
    tap_ok(quad_backprop(g, NULL, NULL, p, wrong, BP_SUM, &err) == -1 &&
               strstr(err.msg, "shape") != NULL,
           "quadratic: a gradient of another shape is refused");
    tap_ok(isnan(quad_cost(p, wrong, BP_SUM)), "quadratic: the cost of a misfit batch is NaN");
    bp_model_free(p), bp_model_free(g), bp_batch_free(wrong);
    return tap_done();
}
