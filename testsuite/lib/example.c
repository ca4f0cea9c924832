/* example.c: checking your own backward pass in-process with libbpcheck (bpcheck(3)).
 *
 *     cc example.c $(pkg-config --cflags --libs bpcheck) -o example
 *     ./example                     # every bundled case, TAP on standard output
 *     ./example --only 'quadratic/[0-9]*' --deep
 *     ./example gradcheck           # the gradient oracles on a 5-7-3 tanh network
 *
 * "my_gradient" stands for your code: a plain MLP with the quadratic cost, whatever activation
 * each layer declares. It answers BPC_UNSUPPORTED for the other costs, which bpcheck counts
 * as skipped, never passed. Replace its body with a call into your implementation, converting
 * to and from the canonical layout (W^l[j][k] = W[l][j * n_{l-1} + k], one row per sample). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bpcheck/bpcheck.h>

static double f(bp_act a, double slope, double z)
{
    switch (a) {
    case BP_ACT_TANH: return tanh(z);
    case BP_ACT_RELU: return z > 0 ? z : 0;
    case BP_ACT_LEAKY_RELU: return z > 0 ? z : slope * z;
    case BP_ACT_IDENTITY: return z;
    default: return 1 / (1 + exp(-z));
    }
}

static double fprime(bp_act a, double slope, double z, double y) /* y = f(z) */
{
    switch (a) {
    case BP_ACT_TANH: return 1 - y * y;
    case BP_ACT_RELU: return z > 0 ? 1 : 0;
    case BP_ACT_LEAKY_RELU: return z > 0 ? 1 : slope;
    case BP_ACT_IDENTITY: return 1;
    default: return y * (1 - y);
    }
}

/* ---- your implementation goes here ---- */
static int my_gradient(const bp_case *c, double *cost, bp_model *grad, void *ctx, bp_error *err)
{
    (void)ctx;
    if (c->cost != BP_QUADRATIC) {
        snprintf(err->msg, sizeof err->msg, "only the quadratic cost");
        return BPC_UNSUPPORTED;
    }
    const bp_model *P = c->params;
    size_t L = P->L, total = 0;
    for (size_t l = 0; l <= L; l++)
        total += P->n[l];
    double *z = calloc(total, sizeof *z), *a = calloc(total, sizeof *a), *d = calloc(total, sizeof *d);
    size_t off[BP_MAX_LAYERS + 1];
    for (size_t l = 0, o = 0; l <= L; o += P->n[l], l++)
        off[l] = o;
    memset(grad->theta, 0, grad->nparams * sizeof(double));
    *cost = 0;
    for (size_t p = 0; p < c->batch->m; p++) {
        memcpy(a, c->batch->x + p * P->n[0], P->n[0] * sizeof(double));
        for (size_t l = 1; l <= L; l++) /* forward */
            for (size_t j = 0; j < P->n[l]; j++) {
                double s = P->b[l][j];
                for (size_t k = 0; k < P->n[l - 1]; k++)
                    s += P->W[l][j * P->n[l - 1] + k] * a[off[l - 1] + k];
                z[off[l] + j] = s;
                a[off[l] + j] = f(bp_layer_act(P, c->cost, l), P->slope, s);
            }
        const double *y = c->batch->y + p * P->n[L];
        for (size_t j = 0; j < P->n[L]; j++) { /* the output error */
            double aj = a[off[L] + j];
            *cost += 0.5 * (y[j] - aj) * (y[j] - aj);
            d[off[L] + j] = (aj - y[j]) * fprime(bp_layer_act(P, c->cost, L), P->slope, z[off[L] + j], aj);
        }
        for (size_t l = L; l >= 1; l--) { /* backward, and the gradient */
            size_t J = P->n[l], K = P->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                grad->b[l][j] += d[off[l] + j];
                for (size_t k = 0; k < K; k++)
                    grad->W[l][j * K + k] += d[off[l] + j] * a[off[l - 1] + k];
            }
            if (l == 1)
                break;
            for (size_t k = 0; k < K; k++) {
                double s = 0;
                for (size_t j = 0; j < J; j++)
                    s += P->W[l][j * K + k] * d[off[l] + j];
                d[off[l - 1] + k] = s * fprime(bp_layer_act(P, c->cost, l - 1), P->slope,
                                                 z[off[l - 1] + k], a[off[l - 1] + k]);
            }
        }
    }
    if (c->red == BP_MEAN) {
        for (size_t i = 0; i < grad->nparams; i++)
            grad->theta[i] /= (double)c->batch->m;
        *cost /= (double)c->batch->m;
    }
    free(z), free(a), free(d);
    return 0;
}

/* the SGD step, as your training loop takes it */
static int my_step(const bp_case *c, const bp_model *grad, bp_model *step, void *ctx, bp_error *err)
{
    (void)ctx, (void)err;
    for (size_t i = 0; i < step->nparams; i++)
        step->theta[i] = c->params->theta[i] - c->eta * grad->theta[i];
    return 0;
}

int main(int argc, char **argv)
{
    bpc_impl mine = {my_gradient, my_step, NULL, NULL};
    if (argc > 1 && strcmp(argv[1], "gradcheck") == 0) {
        bpc_net net = {BP_QUADRATIC, "5,7,3", "tanh,identity", 4, BP_MEAN, 1};
        return bpc_gradcheck(&mine, &net);
    }
    return bpc_conform(&mine, argc, argv);
}
