/* testsuite/adapters/variant.c: the panel of correct variants (fixtures/FORMAT.md, "The accepted
 * class"): one small MLP, written independently of reference/, whose every choice that a
 * correct implementation may make differently is a switch. Each build and switch set is an
 * implementation that must pass every bundled case; the bug switches make one that must not.
 *
 *   variant [--variant LIST]     LIST: comma-separated switches (default: plain)
 *
 * Built three times from this file (Makefile): `variant` (double), `variant-fma` (double with
 * -ffp-contract=fast -mfma: every a*b+c may become one fused operation) and `variant32`
 * (VARIANT_FLOAT: every value and operation in float, the inputs rounded into it).
 *
 * Legend: l = layer, j = neuron in layer l (J), k = neuron in layer l-1 (K), p = sample. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "vectorized.h"

#ifdef VARIANT_FLOAT
typedef float real;
#define EXP expf
#define LOG logf
#define LOG1P log1pf
#define TANH tanhf
#define PRECISION "float32"
#define SAFE_LOG 0x1p-19f /* 32 u: 1 - a above it is more than twice its error (about 11 u) */
#else
typedef double real;
#define EXP exp
#define LOG log
#define LOG1P log1p
#define TANH tanh
#define PRECISION "float64"
#define SAFE_LOG 0x1p-48
#endif

static const char *const switches[][2] = {
    {"plain", "stable sigmoid, sigma' = sigma(z) sigma(-z), a - y, stable logs, sums in order"},
    {"reversed", "every sum taken from its last term to its first"},
    {"pairwise", "every sum taken pairwise (halves, recursively)"},
    {"longdouble", "every sum accumulated in long double"},
    {"s1s", "the textbook sigma = 1/(1 + e^-z) and sigma' = s (1 - s) from the forward activation"},
    {"jacobian", "the softmax output delta through the full softmax Jacobian J^T (-y / a)"},
    {"from-z", "output deltas recomputed from z: (sigma(z) - y) sigma'(z), (1-y) sigma(z) - y sigma(-z)"},
    {"naive-log", "ln a and ln(1 - a) taken naively wherever they are well away from ln 0"},
    {"per-sample", "per-sample gradients accumulated in turn, the mean's 1/m applied to delta^L"},
    {"blas", "the vectorized GSL BLAS form of reference/vectorized.c (double only)"},
    {"bug-sp-of-a", "BUG: sigma'(a) for sigma'(z) in the hidden layers"},
    {"bug-step-sign", "BUG: the step added, params + eta grad"},
    {"nudge", "every gradient entry times 1 + 2^-44: a few bounds off, for marginal verdicts"},
};
#define NSWITCH (sizeof switches / sizeof switches[0])

typedef struct {
    int on[NSWITCH];
} variant;

static int has(const variant *v, const char *name)
{
    for (size_t i = 0; i < NSWITCH; i++)
        if (strcmp(switches[i][0], name) == 0)
            return v->on[i];
    return 0;
}

/* ---- sums: every sum in the pass goes through here, so a switch changes all of them ---- */

static real pairwise(const real *t, size_t n)
{
    if (n <= 2)
        return n == 0 ? 0 : n == 1 ? t[0] : t[0] + t[1];
    return pairwise(t, n / 2) + pairwise(t + n / 2, n - n / 2);
}

static real vsum(const variant *v, const real *t, size_t n)
{
    if (has(v, "longdouble")) {
        long double s = 0;
        for (size_t i = 0; i < n; i++)
            s += t[i];
        return (real)s;
    }
    if (has(v, "pairwise"))
        return pairwise(t, n);
    real s = 0;
    if (has(v, "reversed"))
        for (size_t i = n; i-- > 0;)
            s += t[i];
    else
        for (size_t i = 0; i < n; i++)
            s += t[i];
    return s;
}

/* init + sum_i x[i sx] y[i sy]: a running s += x y where the order allows (so that a
 * -ffp-contract=fast build fuses each step into one FMA), else the terms through vsum */
static real dot(const variant *v, const real *x, size_t sx, const real *y, size_t sy, size_t n,
                real init, real *T)
{
    if (has(v, "pairwise") || has(v, "longdouble")) {
        for (size_t i = 0; i < n; i++)
            T[i] = x[i * sx] * y[i * sy];
        T[n] = init;
        return vsum(v, T, n + 1);
    }
    real s = init;
    if (has(v, "reversed"))
        for (size_t i = n; i-- > 0;)
            s += x[i * sx] * y[i * sy];
    else
        for (size_t i = 0; i < n; i++)
            s += x[i * sx] * y[i * sy];
    return s;
}

/* ---- the functions ---- */

static real sigmoid(const variant *v, real z)
{
    if (has(v, "s1s"))
        return 1 / (1 + EXP(-z)); /* the textbook form; e^{-z} = Inf gives the right 0 */
    if (z >= 0)
        return 1 / (1 + EXP(-z));
    real e = EXP(z);
    return e / (1 + e);
}

/* sigma'(z), or s (1 - s) from the activation a = sigma(z) */
static real sigma_prime(const variant *v, real z, real a)
{
    if (has(v, "s1s"))
        return a * (1 - a);
    return sigmoid(v, z) * sigmoid(v, -z);
}

/* layer l's activation f(z), and f'(z) (or, with s1s, from a = f(z) where the textbook does:
 * s (1 - s) for the sigmoid, 1 - a^2 for tanh, and tanh itself as 2 sigma(2z) - 1) */
static real act(const variant *v, const bp_model *P, bp_cost cost, size_t l, real z)
{
    real slope = (real)P->slope;
    switch (bp_layer_act(P, cost, l)) {
    case BP_ACT_TANH:
        return has(v, "s1s") ? 2 / (1 + EXP(-2 * z)) - 1 : TANH(z);
    case BP_ACT_RELU:
        return z > 0 ? z : 0;
    case BP_ACT_LEAKY_RELU:
        return z > 0 ? z : slope * z;
    case BP_ACT_IDENTITY:
        return z;
    default:
        return sigmoid(v, z);
    }
}

static real act_prime(const variant *v, const bp_model *P, bp_cost cost, size_t l, real z, real a)
{
    switch (bp_layer_act(P, cost, l)) {
    case BP_ACT_TANH: {
        if (has(v, "s1s"))
            return 1 - a * a;
        real e = EXP(-2 * (z < 0 ? -z : z));
        return 4 * e / ((1 + e) * (1 + e));
    }
    case BP_ACT_RELU:
        return z > 0 ? 1 : 0;
    case BP_ACT_LEAKY_RELU:
        return z > 0 ? 1 : (real)P->slope;
    case BP_ACT_IDENTITY:
        return 1;
    default:
        return sigma_prime(v, z, a);
    }
}

static real softplus(real x) /* ln(1 + e^x) */
{
    return (x > 0 ? x : 0) + LOG1P(EXP(-(real)fabs((double)x)));
}

/* ---- one request ---- */

typedef struct {
    size_t L, m, n[BP_MAX_LAYERS + 1];
    real *W[BP_MAX_LAYERS + 1], *b[BP_MAX_LAYERS + 1];
    real *z[BP_MAX_LAYERS + 1], *a[BP_MAX_LAYERS + 1], *d[BP_MAX_LAYERS + 1]; /* m x n_l */
    real *gW[BP_MAX_LAYERS + 1], *gb[BP_MAX_LAYERS + 1];
    real *y, *cx, *terms; /* targets, per-sample costs, a scratch buffer for one sum */
} net;

static real *to_real(const double *x, size_t n)
{
    real *r = malloc((n ? n : 1) * sizeof *r);
    for (size_t i = 0; r && i < n; i++)
        r[i] = (real)x[i];
    return r;
}

static void out_double(double *dst, const real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (double)x[i];
}

static int compute(const bp_case *c, double *cost, bp_model *grad, bp_model *step, bp_trace *t,
                   void *ctx, bp_error *err)
{
    const variant *v = ctx;
    const bp_model *P = c->params;
    if (has(v, "blas")) {
#ifdef VARIANT_FLOAT
        return bp_fail(err, "the blas switch is double only");
#else
        if (vec_gradient(c->cost, grad, cost, t, P, c->batch, c->red, err))
            return -1;
        bp_model_step(step, P, grad, c->eta);
        return 0;
#endif
    }
    net N = {.L = P->L, .m = c->batch->m};
    size_t L = N.L, m = N.m, NL = P->n[L], wmax = 1;
    memcpy(N.n, P->n, sizeof N.n);
    for (size_t l = 0; l <= L; l++)
        wmax = N.n[l] > wmax ? N.n[l] : wmax;
    N.a[0] = to_real(c->batch->x, m * N.n[0]);
    N.y = to_real(c->batch->y, m * NL);
    N.cx = calloc(m, sizeof(real));
    N.terms = calloc(wmax + m + 1, sizeof(real));
    for (size_t l = 1; l <= L; l++) {
        N.W[l] = to_real(P->W[l], N.n[l] * N.n[l - 1]);
        N.b[l] = to_real(P->b[l], N.n[l]);
        N.z[l] = calloc(m * N.n[l], sizeof(real));
        N.a[l] = calloc(m * N.n[l], sizeof(real));
        N.d[l] = calloc(m * N.n[l], sizeof(real));
        N.gW[l] = calloc(N.n[l] * N.n[l - 1], sizeof(real));
        N.gb[l] = calloc(N.n[l], sizeof(real));
    }
    real *T = N.terms, inv_m = (real)1 / (real)m;
    int mean = c->red == BP_MEAN;
    for (size_t p = 0; p < m; p++) {
        /* forward: z^l_j = sum_k W_jk a_k + b_j */
        for (size_t l = 1; l <= L; l++) {
            size_t J = N.n[l], K = N.n[l - 1];
            real *a0 = N.a[l - 1] + p * K, *z = N.z[l] + p * J, *a = N.a[l] + p * J;
            for (size_t j = 0; j < J; j++)
                z[j] = dot(v, N.W[l] + j * K, 1, a0, 1, K, N.b[l][j], T);
            if (l == L && c->cost == BP_CROSS_ENTROPY) { /* softmax, the maximum subtracted */
                real M = z[0];
                for (size_t j = 1; j < J; j++)
                    M = z[j] > M ? z[j] : M;
                for (size_t j = 0; j < J; j++)
                    T[j] = a[j] = EXP(z[j] - M);
                real s = vsum(v, T, J);
                for (size_t j = 0; j < J; j++)
                    a[j] /= s;
            } else {
                for (size_t j = 0; j < J; j++)
                    a[j] = act(v, P, c->cost, l, z[j]);
            }
        }
        /* the cost of the sample and delta^L */
        real *z = N.z[L] + p * NL, *a = N.a[L] + p * NL, *y = N.y + p * NL, *d = N.d[L] + p * NL;
        if (c->cost == BP_QUADRATIC) {
            for (size_t j = 0; j < NL; j++) {
                real aj = has(v, "from-z") ? act(v, P, c->cost, L, z[j]) : a[j];
                T[j] = (real)0.5 * (y[j] - a[j]) * (y[j] - a[j]);
                d[j] = (aj - y[j]) * act_prime(v, P, c->cost, L, z[j], aj);
            }
        } else if (c->cost == BP_LOGLIK) {
            for (size_t j = 0; j < NL; j++) {
                real oma = 1 - a[j];
                if (has(v, "naive-log") && a[j] > SAFE_LOG && oma > SAFE_LOG)
                    T[j] = -(y[j] * LOG(a[j]) + (1 - y[j]) * LOG(oma));
                else
                    T[j] = y[j] * softplus(-z[j]) + (1 - y[j]) * softplus(z[j]);
                d[j] = has(v, "from-z") ? (1 - y[j]) * sigmoid(v, z[j]) - y[j] * sigmoid(v, -z[j])
                                        : a[j] - y[j];
            }
        } else {
            real M = z[0];
            for (size_t j = 1; j < NL; j++)
                M = z[j] > M ? z[j] : M;
            for (size_t j = 0; j < NL; j++)
                T[j] = EXP(z[j] - M);
            real lse = LOG(vsum(v, T, NL));
            for (size_t j = 0; j < NL; j++) /* 0 ln a = 0 */
                T[j] = y[j] == 0 ? 0
                       : has(v, "naive-log") && a[j] > 0 ? -y[j] * LOG(a[j])
                                                          : -y[j] * (z[j] - M - lse);
        }
        N.cx[p] = vsum(v, T, NL);
        if (c->cost == BP_CROSS_ENTROPY) {
            /* a sum(y) - y; or J^T (-y / a) with J_ik = a_i (delta_ik - a_k), where every a_i
             * with y_i != 0 is > 0 (else -y_i / a_i is infinite: log-softmax's Jacobian,
             * sum_i (delta_ik - a_k)(-y_i), the same product with a_i cancelled) */
            int finite = 1;
            for (size_t i = 0; i < NL; i++)
                finite &= y[i] == 0 || a[i] > 0;
            for (size_t k = 0; k < NL; k++) {
                if (!has(v, "jacobian")) {
                    for (size_t i = 0; i < NL; i++)
                        T[i] = y[i];
                    d[k] = a[k] * vsum(v, T, NL) - y[k];
                    continue;
                }
                for (size_t i = 0; i < NL; i++) {
                    real kron = i == k ? 1 : 0;
                    T[i] = y[i] == 0 ? 0
                           : finite  ? a[i] * (kron - a[k]) * (-y[i] / a[i])
                                     : (kron - a[k]) * (-y[i]);
                }
                d[k] = vsum(v, T, NL);
            }
        }
        /* backward: delta^l_k = (sum_j W^{l+1}_jk delta^{l+1}_j) sigma'(z^l_k) */
        for (size_t l = L - 1; l >= 1; l--) {
            size_t J = N.n[l + 1], K = N.n[l];
            for (size_t k = 0; k < K; k++) {
                real s = dot(v, N.W[l + 1] + k, K, N.d[l + 1] + p * J, 1, J, 0, T);
                real zk = N.z[l][p * K + k], ak = N.a[l][p * K + k];
                real sp = has(v, "bug-sp-of-a") ? act_prime(v, P, c->cost, l, ak, act(v, P, c->cost, l, ak))
                                                : act_prime(v, P, c->cost, l, zk, ak);
                N.d[l][p * K + k] = s * sp;
            }
            if (l == 1)
                break;
        }
        if (has(v, "per-sample")) /* this sample's gradient, added in turn */
            for (size_t l = 1; l <= L; l++) {
                size_t J = N.n[l], K = N.n[l - 1];
                for (size_t j = 0; j < J; j++) {
                    real dj = N.d[l][p * J + j] * (mean ? inv_m : 1);
                    N.gb[l][j] += dj;
                    for (size_t k = 0; k < K; k++)
                        N.gW[l][j * K + k] += dj * N.a[l - 1][p * K + k];
                }
            }
    }
    /* the gradient: sum over the batch of delta_j a_k, and of delta_j */
    if (!has(v, "per-sample"))
        for (size_t l = 1; l <= L; l++) {
            size_t J = N.n[l], K = N.n[l - 1];
            for (size_t j = 0; j < J; j++) {
                for (size_t k = 0; k < K; k++)
                    N.gW[l][j * K + k] = dot(v, N.d[l] + j, J, N.a[l - 1] + k, K, m, 0, T) *
                                         (mean ? inv_m : 1);
                for (size_t p = 0; p < m; p++)
                    T[p] = N.d[l][p * J + j];
                N.gb[l][j] = vsum(v, T, m) * (mean ? inv_m : 1);
            }
        }
    *cost = (double)(vsum(v, N.cx, m) * (mean ? inv_m : 1));
    if (has(v, "nudge"))
        for (size_t l = 1; l <= L; l++) {
            for (size_t i = 0; i < N.n[l] * N.n[l - 1]; i++)
                N.gW[l][i] *= (real)(1 + 0x1p-44);
            for (size_t j = 0; j < N.n[l]; j++)
                N.gb[l][j] *= (real)(1 + 0x1p-44);
        }
    /* the step, after the whole gradient is formed */
    real eta = (real)c->eta * (has(v, "bug-step-sign") ? -1 : 1);
    for (size_t l = 1; l <= L; l++) {
        size_t J = N.n[l], K = N.n[l - 1];
        out_double(grad->W[l], N.gW[l], J * K);
        out_double(grad->b[l], N.gb[l], J);
        for (size_t i = 0; i < J * K; i++)
            step->W[l][i] = (double)(N.W[l][i] - eta * N.gW[l][i]);
        for (size_t j = 0; j < J; j++)
            step->b[l][j] = (double)(N.b[l][j] - eta * N.gb[l][j]);
        out_double(t->z[l], N.z[l], m * J);
        out_double(t->a[l], N.a[l], m * J);
        out_double(t->delta[l], N.d[l], m * J);
        free(N.W[l]), free(N.b[l]), free(N.z[l]), free(N.a[l]), free(N.d[l]), free(N.gW[l]), free(N.gb[l]);
    }
    free(N.a[0]), free(N.y), free(N.cx), free(N.terms);
    (void)err;
    return 0;
}

int main(int argc, char **argv)
{
    variant v = {{0}};
    const char *list = "plain";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("Usage: %s [--variant LIST]\n\nA correct MLP (" PRECISION ") that speaks "
                   "bpcheck-protocol/1 on stdin/stdout, its choices set by\nLIST, comma-separated "
                   "switches:\n", argv[0]);
            for (size_t s = 0; s < NSWITCH; s++)
                printf("  %-14s %s\n", switches[s][0], switches[s][1]);
            return 0;
        }
        if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) {
            list = argv[++i];
            continue;
        }
        fprintf(stderr, "%s: unknown argument '%s'; try --help\n", argv[0], argv[i]);
        return 2;
    }
    char *copy = strdup(list), *save = NULL;
    for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < NSWITCH && strcmp(switches[k][0], s) != 0)
            k++;
        if (k == NSWITCH) {
            fprintf(stderr, "%s: unknown switch '%s'; try --help\n", argv[0], s);
            free(copy);
            return 2;
        }
        v.on[k] = 1;
    }
    free(copy);
    return bp_adapter_loop(stdin, stdout, compute, &v);
}
