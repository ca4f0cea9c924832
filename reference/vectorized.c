/* reference/vectorized.c: the canonical models on GSL BLAS (vectorized.h).
 * Legend: m samples (rows), n_l neurons in layer l (columns); W^l is n_l x n_{l-1}. */
#include "vectorized.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "activation.h"
#include "loglik.h"
#include "softmax_ce.h"

static int vec_check(bp_cost model, const bp_model *params, const bp_batch *batch,
                     bp_error *err)
{
    size_t NL = params->n[params->L];
    if (bp_acts_check(params, model, err))
        return -1;
    if (batch->n_in != params->n[0] || batch->n_out != NL)
        return bp_fail(err, "batch: x and y have %zu and %zu columns; the model needs %zu and %zu",
                       batch->n_in, batch->n_out, params->n[0], NL);
    if (model == BP_CROSS_ENTROPY)
        for (size_t p = 0; p < batch->m; p++) {
            double s = 0.0;
            for (size_t i = 0; i < NL; i++)
                s += batch->y[p * NL + i];
            if (!(fabs(s - 1.0) <= (double)NL * DBL_EPSILON))
                return bp_fail(err, "batch: the targets of sample %zu sum to %.17g; 004:7 "
                                    "(dL/dz = a - y) needs them to sum to 1",
                               p, s);
        }
    return 0;
}

/* The output activation of one sample (row): softmax for cross-entropy, else the output
 * layer's elementwise f (sigmoid by default). */
static void output_activation(bp_cost model, const bp_model *params, double *a, const double *z,
                              size_t n)
{
    if (model == BP_CROSS_ENTROPY)
        sce_softmax(a, z, n);
    else
        for (size_t j = 0; j < n; j++)
            a[j] = bp_act_f(bp_layer_act(params, model, params->L), params->slope, z[j]);
}

/* a = f(z) and d *= f'(z) for a hidden layer l, one row of n */
static void hidden_activation(bp_cost model, const bp_model *params, size_t l, double *a,
                              const double *z, size_t n)
{
    bp_act f = bp_layer_act(params, model, l);
    for (size_t j = 0; j < n; j++)
        a[j] = bp_act_f(f, params->slope, z[j]); /* 000:1  a^l = sigma(z^l) */
}
static void hidden_prime(bp_cost model, const bp_model *params, size_t l, double *d,
                         const double *z, size_t n)
{
    bp_act f = bp_layer_act(params, model, l);
    for (size_t j = 0; j < n; j++)
        d[j] *= bp_act_prime(f, params->slope, z[j]); /* ⊙ sigma'(z^l) */
}

/* The cost of one sample from its output z, a and target y. */
static double sample_cost(bp_cost model, const double *z, const double *a, const double *y,
                          size_t n)
{
    double c = 0.0;
    switch (model) {
    case BP_QUADRATIC: /* 000:2  1/2 ||y - a^L||^2 */
        for (size_t j = 0; j < n; j++)
            c += 0.5 * (y[j] - a[j]) * (y[j] - a[j]);
        return c;
    case BP_LOGLIK: /* 001:12 negated: -[y ln a + (1-y) ln(1-a)], from z (loglik.c) */
        for (size_t j = 0; j < n; j++)
            c -= ll_c(y[j], z[j]);
        return c;
    case BP_CROSS_ENTROPY: /* 004:cost  -sum y ln a, from z (softmax_ce.c) */
        return sce_loss(y, z, n);
    }
    return NAN;
}

/* The output error delta^L = dC_x/dz^L of one sample. */
static void output_error(bp_cost model, const bp_model *params, double *d, const double *z,
                         const double *a, const double *y, size_t n)
{
    bp_act f = bp_layer_act(params, model, params->L);
    for (size_t j = 0; j < n; j++)
        switch (model) {
        case BP_QUADRATIC: /* 000:4 002:BP1 003:d2  delta^L = (a^L - y) ⊙ sigma'(z^L) */
            d[j] = (a[j] - y[j]) * bp_act_prime(f, params->slope, z[j]);
            break;
        case BP_LOGLIK: /* 001:12 negated: a - y, without cancellation (loglik.c) */
            d[j] = -ll_dc_dzL(y[j], z[j]);
            break;
        case BP_CROSS_ENTROPY: /* 004:7  a^L - y */
            d[j] = a[j] - y[j];
            break;
        }
}

typedef struct {
    size_t L, m;
    gsl_matrix *Z[BP_MAX_LAYERS + 1], *A[BP_MAX_LAYERS + 1], *D[BP_MAX_LAYERS + 1];
    gsl_vector *ones;
} vec_work;

static void vec_work_free(vec_work *w)
{
    for (size_t l = 0; l <= w->L; l++) {
        if (w->Z[l])
            gsl_matrix_free(w->Z[l]);
        if (w->A[l])
            gsl_matrix_free(w->A[l]);
        if (w->D[l])
            gsl_matrix_free(w->D[l]);
    }
    if (w->ones)
        gsl_vector_free(w->ones);
}

static int vec_work_alloc(vec_work *w, const bp_model *params, size_t m, bp_error *err)
{
    memset(w, 0, sizeof *w);
    w->L = params->L, w->m = m;
    int ok = (w->ones = gsl_vector_alloc(m)) != NULL;
    for (size_t l = 0; l <= params->L && ok; l++) {
        ok = (w->A[l] = gsl_matrix_alloc(m, params->n[l])) != NULL;
        if (ok && l > 0)
            ok = (w->Z[l] = gsl_matrix_alloc(m, params->n[l])) != NULL &&
                 (w->D[l] = gsl_matrix_alloc(m, params->n[l])) != NULL;
    }
    if (!ok) {
        vec_work_free(w);
        return bp_fail(err, "vectorized: out of memory for a batch of %zu", m);
    }
    gsl_vector_set_all(w->ones, 1.0);
    return 0;
}

/* The forward pass of a whole batch into w: Z^l and A^l for every layer. */
static void vec_forward(bp_cost model, vec_work *w, const bp_model *params, const bp_batch *batch)
{
    size_t L = params->L, m = batch->m, NL = params->n[L];
    gsl_matrix_const_view X = gsl_matrix_const_view_array(batch->x, m, params->n[0]);
    gsl_matrix_memcpy(w->A[0], &X.matrix);
    for (size_t l = 1; l <= L; l++) {
        gsl_matrix_const_view W = gsl_matrix_const_view_array(params->W[l], params->n[l],
                                                              params->n[l - 1]);
        gsl_vector_const_view b = gsl_vector_const_view_array(params->b[l], params->n[l]);
        /* 000:1 002:ff 003  Z^l = 1 (b^l)^T + A^{l-1} (W^l)^T: each row z = w a + b;
         * the bias by a rank-1 update (dger), the weights by dgemm */
        gsl_matrix_set_zero(w->Z[l]);
        gsl_blas_dger(1.0, w->ones, &b.vector, w->Z[l]);
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, w->A[l - 1], &W.matrix, 1.0, w->Z[l]);
        for (size_t p = 0; p < m; p++) {
            double *z = gsl_matrix_ptr(w->Z[l], p, 0), *a = gsl_matrix_ptr(w->A[l], p, 0);
            if (l < L)
                hidden_activation(model, params, l, a, z, params->n[l]);
            else
                output_activation(model, params, a, z, NL);
        }
    }
}

/* Forward pass, output error and backward pass of a whole batch, into w; returns the summed
 * cost. */
static double vec_batch(bp_cost model, vec_work *w, const bp_model *params,
                        const bp_batch *batch)
{
    size_t L = params->L, m = batch->m, NL = params->n[L];
    vec_forward(model, w, params, batch);
    double total = 0.0;
    for (size_t p = 0; p < m; p++) {
        const double *z = gsl_matrix_const_ptr(w->Z[L], p, 0);
        const double *a = gsl_matrix_const_ptr(w->A[L], p, 0), *y = batch->y + p * NL;
        total += sample_cost(model, z, a, y, NL);
        output_error(model, params, gsl_matrix_ptr(w->D[L], p, 0), z, a, y, NL);
    }
    for (size_t l = L - 1; l >= 1; l--) {
        gsl_matrix_const_view W = gsl_matrix_const_view_array(params->W[l + 1], params->n[l + 1],
                                                              params->n[l]);
        /* 000:5 002:BP2 003:d1 004:12 004:13  D^l = (D^{l+1} W^{l+1}) ⊙ sigma'(Z^l): each row
         * delta^l = ((w^{l+1})^T delta^{l+1}) ⊙ sigma'(z^l) */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->D[l + 1], &W.matrix, 0.0, w->D[l]);
        for (size_t p = 0; p < m; p++) {
            double *d = gsl_matrix_ptr(w->D[l], p, 0);
            const double *z = gsl_matrix_const_ptr(w->Z[l], p, 0);
            hidden_prime(model, params, l, d, z, params->n[l]);
        }
    }
    return total;
}

int vec_gradient(bp_cost model, bp_model *grad, double *cost, bp_trace *trace,
                 const bp_model *params, const bp_batch *batch, bp_reduction red, bp_error *err)
{
    if (!bp_model_same_shape(grad, params))
        return bp_fail(err, "vectorized: the gradient's shape differs from the parameters'");
    if (vec_check(model, params, batch, err))
        return -1;
    if (trace && (trace->m != batch->m || trace->L != params->L))
        return bp_fail(err, "vectorized: the trace holds %zu samples of %zu layers; need %zu of "
                            "%zu",
                       trace->m, trace->L, batch->m, params->L);
    vec_work w;
    if (vec_work_alloc(&w, params, batch->m, err))
        return -1;
    size_t L = params->L, m = batch->m;
    double total = vec_batch(model, &w, params, batch);
    for (size_t l = 1; l <= L; l++) {
        gsl_matrix_view gW = gsl_matrix_view_array(grad->W[l], params->n[l], params->n[l - 1]);
        gsl_vector_view gb = gsl_vector_view_array(grad->b[l], params->n[l]);
        /* 000:7 (conformable) 002:sgd 003:gW 004:8 004:10  dC/dW^l = sum_x delta^l (a^{l-1})^T
         * = (D^l)^T A^{l-1} */
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, w.D[l], w.A[l - 1], 0.0, &gW.matrix);
        /* 000:6 002:BP3 003:gb 004:9 004:11  dC/db^l = sum_x delta^l = (D^l)^T 1 */
        gsl_blas_dgemv(CblasTrans, 1.0, w.D[l], w.ones, 0.0, &gb.vector);
    }
    if (red == BP_MEAN) {
        for (size_t i = 0; i < grad->nparams; i++)
            grad->theta[i] /= (double)m;
        total /= (double)m;
    }
    if (cost)
        *cost = total;
    if (trace)
        for (size_t l = 0; l <= L; l++)
            for (size_t p = 0; p < m; p++) {
                size_t n = params->n[l];
                memcpy(trace->a[l] + p * n, gsl_matrix_const_ptr(w.A[l], p, 0), n * sizeof(double));
                if (l) {
                    memcpy(trace->z[l] + p * n, gsl_matrix_const_ptr(w.Z[l], p, 0),
                           n * sizeof(double));
                    memcpy(trace->delta[l] + p * n, gsl_matrix_const_ptr(w.D[l], p, 0),
                           n * sizeof(double));
                }
            }
    vec_work_free(&w);
    return 0;
}

int vec_gradient_per_sample(bp_cost model, bp_model *grad, double *cost,
                            const bp_model *params, const bp_batch *batch, bp_reduction red,
                            bp_error *err)
{
    if (!bp_model_same_shape(grad, params))
        return bp_fail(err, "vectorized: the gradient's shape differs from the parameters'");
    if (vec_check(model, params, batch, err))
        return -1;
    size_t L = params->L, NL = params->n[L];
    gsl_vector *z[BP_MAX_LAYERS + 1] = {NULL}, *a[BP_MAX_LAYERS + 1] = {NULL};
    gsl_vector *d[BP_MAX_LAYERS + 1] = {NULL};
    int ok = 1;
    for (size_t l = 0; l <= L && ok; l++) {
        ok = (a[l] = gsl_vector_alloc(params->n[l])) != NULL;
        if (ok && l)
            ok = (z[l] = gsl_vector_alloc(params->n[l])) && (d[l] = gsl_vector_alloc(params->n[l]));
    }
    double total = 0.0;
    if (!ok) {
        bp_fail(err, "vectorized: out of memory");
        goto done;
    }
    bp_model_zero(grad);
    for (size_t p = 0; p < batch->m; p++) {
        const double *y = batch->y + p * NL;
        gsl_vector_const_view x = gsl_vector_const_view_array(batch->x + p * params->n[0],
                                                              params->n[0]);
        gsl_vector_memcpy(a[0], &x.vector);
        for (size_t l = 1; l <= L; l++) {
            gsl_matrix_const_view W = gsl_matrix_const_view_array(params->W[l], params->n[l],
                                                                  params->n[l - 1]);
            gsl_vector_const_view b = gsl_vector_const_view_array(params->b[l], params->n[l]);
            /* 000:1  a^l = sigma(w^l a^{l-1} + b^l): z = b, then z += W a (dgemv) */
            gsl_vector_memcpy(z[l], &b.vector);
            gsl_blas_dgemv(CblasNoTrans, 1.0, &W.matrix, a[l - 1], 1.0, z[l]);
            if (l < L)
                hidden_activation(model, params, l, a[l]->data, z[l]->data, params->n[l]);
            else
                output_activation(model, params, a[L]->data, z[L]->data, NL);
        }
        total += sample_cost(model, z[L]->data, a[L]->data, y, NL);
        output_error(model, params, d[L]->data, z[L]->data, a[L]->data, y, NL);
        for (size_t l = L; l >= 1; l--) {
            gsl_matrix_view gW = gsl_matrix_view_array(grad->W[l], params->n[l], params->n[l - 1]);
            gsl_vector_view gb = gsl_vector_view_array(grad->b[l], params->n[l]);
            /* 000:7 (conformable)  dC/dw^l += delta^l (a^{l-1})^T, a rank-1 update (dger) */
            gsl_blas_dger(1.0, d[l], a[l - 1], &gW.matrix);
            /* 000:6  dC/db^l += delta^l */
            gsl_blas_daxpy(1.0, d[l], &gb.vector);
            if (l == 1)
                break;
            gsl_matrix_const_view W = gsl_matrix_const_view_array(params->W[l], params->n[l],
                                                                  params->n[l - 1]);
            /* 000:5  delta^{l-1} = ((w^l)^T delta^l) ⊙ sigma'(z^{l-1}) */
            gsl_blas_dgemv(CblasTrans, 1.0, &W.matrix, d[l], 0.0, d[l - 1]);
            hidden_prime(model, params, l - 1, d[l - 1]->data, z[l - 1]->data, params->n[l - 1]);
        }
    }
    if (red == BP_MEAN) {
        for (size_t i = 0; i < grad->nparams; i++)
            grad->theta[i] /= (double)batch->m;
        total /= (double)batch->m;
    }
    if (cost)
        *cost = total;
done:
    for (size_t l = 0; l <= L; l++) {
        if (a[l])
            gsl_vector_free(a[l]);
        if (z[l])
            gsl_vector_free(z[l]);
        if (d[l])
            gsl_vector_free(d[l]);
    }
    return ok ? 0 : -1;
}

double vec_cost(bp_cost model, const bp_model *params, const bp_batch *batch, bp_reduction red)
{
    if (vec_check(model, params, batch, NULL))
        return NAN;
    vec_work w;
    if (vec_work_alloc(&w, params, batch->m, NULL))
        return NAN;
    size_t L = params->L, m = batch->m, NL = params->n[L];
    vec_forward(model, &w, params, batch);
    double total = 0.0;
    for (size_t p = 0; p < m; p++)
        total += sample_cost(model, gsl_matrix_const_ptr(w.Z[L], p, 0),
                             gsl_matrix_const_ptr(w.A[L], p, 0), batch->y + p * NL, NL);
    vec_work_free(&w);
    return red == BP_MEAN ? total / (double)m : total;
}

void vec_000_7_as_printed(double *out, const double *a_prev, const double *delta, size_t K,
                          size_t J)
{
    /* 000:7 as printed, dC/dw^l = a^{l-1} delta^l, read as the outer product a (delta)^T */
    gsl_matrix_view O = gsl_matrix_view_array(out, K, J);
    gsl_vector_const_view a = gsl_vector_const_view_array(a_prev, K);
    gsl_vector_const_view d = gsl_vector_const_view_array(delta, J);
    gsl_matrix_set_zero(&O.matrix);
    gsl_blas_dger(1.0, &a.vector, &d.vector, &O.matrix);
}
