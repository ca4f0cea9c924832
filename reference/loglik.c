/* reference/loglik.c: document 001 literally (loglik.h).
 *
 * Legend: p = data point 1..P, q = feature 1..Q, n_l = node 1..N_l of layer l (0 = the bias),
 * n_L = output node 1..N_L. Every index is 1-based, as in 001; LL_W, LL_Z, LL_A and LL_X in
 * loglik.h turn them into offsets. D[l][n_l] holds dc^p_{n_L}/dz^{p,l}_{n_l} for the data
 * point and output being worked on.
 */
#include "loglik.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"

static double sigmoid_f(double z) { return bp_sigmoid(z); }
static double sigmoid_fprime(double z) { return bp_sigmoid_prime(z); }
static double tanh_f(double z) { return tanh(z); }
static double tanh_fprime(double z)
{
    /* tanh'(z) = 1 - tanh^2(z) = 1 / cosh^2(z); the second form does not cancel as
     * tanh(z) -> +-1 (1 - tanh^2 is 0 for |z| > 19 where the true value is 4e^{-2|z|}) */
    double c = cosh(z);
    return 1.0 / (c * c);
}

const ll_activation ll_sigmoid = {"sigmoid", sigmoid_f, sigmoid_fprime};
const ll_activation ll_tanh = {"tanh", tanh_f, tanh_fprime};

ll_net *ll_alloc(size_t L, const size_t *N, const ll_activation *f, bp_error *err)
{
    size_t nparams;
    if (bp_sizes_check(L, N, &nparams, err)) /* (N_l + 1) N_{l+1} summed: the canonical count */
        return NULL;
    ll_net *net = calloc(1, sizeof *net);
    double *mem = calloc(nparams, sizeof *mem);
    if (!net || !mem) {
        free(net), free(mem);
        bp_fail(err, "001: out of memory for %zu parameters", nparams);
        return NULL;
    }
    net->L = L, net->f = f, net->nparams = nparams, net->mem = mem;
    size_t off = 0;
    for (size_t l = 0; l <= L; l++) {
        net->N[l] = N[l];
        if (l < L) {
            net->w[l] = mem + off;
            off += (N[l] + 1) * N[l + 1];
        }
    }
    return net;
}

ll_net *ll_alloc_like(const ll_net *net, bp_error *err)
{
    ll_net *c = ll_alloc(net->L, net->N, net->f, err);
    if (c) {
        memcpy(c->kind, net->kind, sizeof c->kind);
        c->slope = net->slope;
    }
    return c;
}

double ll_f(const ll_net *net, size_t l, double z)
{
    return net->kind[l] != BP_ACT_DEFAULT ? bp_act_f(net->kind[l], net->slope, z) : net->f->f(z);
}

double ll_fprime(const ll_net *net, size_t l, double z)
{
    return net->kind[l] != BP_ACT_DEFAULT ? bp_act_prime(net->kind[l], net->slope, z)
                                          : net->f->fprime(z);
}

/* The name of layer l's f */
static const char *ll_f_name(const ll_net *net, size_t l)
{
    return net->kind[l] != BP_ACT_DEFAULT ? bp_act_name(net->kind[l]) : net->f->name;
}

/* Is every hidden layer the sigmoid (001:13's system)? */
static int ll_all_sigmoid(const ll_net *net)
{
    for (size_t l = 1; l < net->L; l++)
        if (strcmp(ll_f_name(net, l), "sigmoid") != 0)
            return 0;
    return 1;
}

void ll_free(ll_net *net)
{
    if (!net)
        return;
    free(net->mem);
    free(net);
}

ll_trace *ll_trace_alloc(const ll_net *net, size_t P, bp_error *err)
{
    if (P < 1 || P > BP_MAX_BATCH) {
        bp_fail(err, "001: P = %zu data points; expected 1 to %u", P, BP_MAX_BATCH);
        return NULL;
    }
    size_t per_point = 0;
    for (size_t l = 0; l <= net->L; l++)
        per_point += (l ? 2 : 1) * (net->N[l] + 1);
    if (per_point > BP_MAX_PARAMS / P) {
        bp_fail(err, "001: a trace of %zu x %zu values is too large", P, per_point);
        return NULL;
    }
    ll_trace *t = calloc(1, sizeof *t);
    double *mem = calloc(P * per_point, sizeof *mem);
    if (!t || !mem) {
        free(t), free(mem);
        bp_fail(err, "001: out of memory for a trace of %zu data points", P);
        return NULL;
    }
    t->L = net->L, t->P = P, t->mem = mem;
    size_t off = 0;
    for (size_t l = 0; l <= net->L; l++) {
        t->N[l] = net->N[l];
        t->a[l] = mem + off, off += P * (net->N[l] + 1);
        if (l)
            t->z[l] = mem + off, off += P * (net->N[l] + 1);
    }
    return t;
}

void ll_trace_free(ll_trace *t)
{
    if (!t)
        return;
    free(t->mem);
    free(t);
}

static int ll_check_shape(const ll_net *net, const bp_model *m, bp_error *err)
{
    if (net->L != m->L)
        return bp_fail(err, "001 mapping: 001's network has layers 0..%zu, the canonical "
                            "model 0..%zu",
                       net->L, m->L);
    for (size_t l = 0; l <= m->L; l++)
        if (net->N[l] != m->n[l])
            return bp_fail(err, "001 mapping: layer %zu has N_%zu = %zu nodes in 001's network "
                                "and n_%zu = %zu in the canonical model",
                           l, l, net->N[l], l, m->n[l]);
    return 0;
}

int ll_from_canonical(ll_net *out, const bp_model *m, bp_error *err)
{
    if (ll_check_shape(out, m, err))
        return -1;
    for (size_t l = 1; l <= m->L; l++) {
        size_t J = m->n[l], K = m->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            LL_W(out, l - 1, 0, j + 1) = m->b[l][j]; /* the bias is weight 0 */
            for (size_t k = 0; k < K; k++)
                LL_W(out, l - 1, k + 1, j + 1) = m->W[l][j * K + k]; /* from-to = (to-from)^T */
        }
    }
    /* the hidden layers' activations (001's f per layer; the output stays sigma, 001:12) */
    for (size_t l = 1; l < m->L; l++)
        out->kind[l] = m->act[l];
    out->slope = m->slope;
    return 0;
}

int ll_to_canonical(bp_model *out, const ll_net *net, bp_error *err)
{
    if (ll_check_shape(net, out, err))
        return -1;
    for (size_t l = 1; l <= out->L; l++) {
        size_t J = out->n[l], K = out->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            out->b[l][j] = LL_W(net, l - 1, 0, j + 1);
            for (size_t k = 0; k < K; k++)
                out->W[l][j * K + k] = LL_W(net, l - 1, k + 1, j + 1);
        }
    }
    return 0;
}

int ll_gradient_to_canonical(bp_model *out, const ll_net *g, size_t P, bp_reduction red,
                             bp_error *err)
{
    if (ll_check_shape(g, out, err))
        return -1;
    if (P < 1)
        return bp_fail(err, "001 mapping: P = 0 data points");
    /* The canonical loglik cost is C~ = -C (sum) or -C/P (mean): the sign turns 001's ascent
     * direction into a descent gradient, P the sum into a mean. Divide (exactly rounded)
     * rather than multiply by a rounded 1/P. */
    double P_or_1 = red == BP_MEAN ? (double)P : 1.0;
    for (size_t l = 1; l <= out->L; l++) {
        size_t J = out->n[l], K = out->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            out->b[l][j] = -LL_W(g, l - 1, 0, j + 1) / P_or_1;
            for (size_t k = 0; k < K; k++)
                out->W[l][j * K + k] = -LL_W(g, l - 1, k + 1, j + 1) / P_or_1;
        }
    }
    return 0;
}

int ll_gradient_from_canonical(ll_net *out, const bp_model *g, size_t P, bp_reduction red,
                               bp_error *err)
{
    if (ll_check_shape(out, g, err))
        return -1;
    if (P < 1)
        return bp_fail(err, "001 mapping: P = 0 data points");
    double P_or_1 = red == BP_MEAN ? (double)P : 1.0;
    for (size_t l = 1; l <= g->L; l++) {
        size_t J = g->n[l], K = g->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            LL_W(out, l - 1, 0, j + 1) = -g->b[l][j] * P_or_1;
            for (size_t k = 0; k < K; k++)
                LL_W(out, l - 1, k + 1, j + 1) = -g->W[l][j * K + k] * P_or_1;
        }
    }
    return 0;
}

double ll_softplus(double x)
{
    /* ln(1 + e^x). For x > 0 it is x + ln(1 + e^{-x}), so e^x never overflows (it would for
     * x > 709.78); log1p keeps ln(1 + t) accurate for tiny t = e^{-|x|}, where log(1 + t)
     * returns 0 once t < eps/2 and so loses the whole value at x = -40. */
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double ll_c(double y, double z)
{
    /* ln h = ln sigma(z) = -softplus(-z) and ln(1 - h) = ln sigma(-z) = -softplus(z), taken
     * from z rather than from h = sigma(z): h rounds to 1 for z > 37, where ln(1 - h) would
     * be ln 0 = -Inf instead of about -z, and to 0 for z < -745, where ln h would be -Inf
     * instead of about z. Both logarithms are finite for every finite z, so a target of
     * exactly 0 or 1 multiplies a finite number by 0, never 0 * Inf = NaN. */
    double log_h = -ll_softplus(-z), log_1mh = -ll_softplus(z);
    /* 001:12  c = y log h + (1 - y) log(1 - h) */
    return y * log_h + (1.0 - y) * log_1mh;
}

double ll_dc_dzL(double y, double z)
{
    /* 001:12  dc/dz^L = y - h, written y (1 - h) - (1 - y) h with 1 - h = sigma(-z) computed
     * directly, not by subtraction: for y = 1, z = 40 this gives sigma(-40) = 4.2e-18 where
     * 1 - sigma(40) rounds to 0. */
    return y * bp_sigmoid(-z) - (1.0 - y) * bp_sigmoid(z);
}

double ll_dc_dzL_chain(double y, double z)
{
    double h = bp_sigmoid(z);
    /* dc/dh = y/h - (1 - y)/(1 - h) (from 001:12), dh/dz = sigma'(z) */
    double dc_dh = y / h - (1.0 - y) / (1.0 - h);
    return dc_dh * bp_sigmoid_prime(z);
}

int ll_forward(ll_trace *t, const ll_net *net, const double *x, size_t P, bp_error *err)
{
    if (t->P != P || t->L != net->L)
        return bp_fail(err, "001: the trace holds %zu points of %zu layers; need %zu of %zu",
                       t->P, t->L, P, net->L);
    size_t L = net->L, Q = net->N[0];
    for (size_t p = 1; p <= P; p++) {
        /* 001:14  the input layer has no activation: a^{p,0}_q = x^p_q */
        LL_A(t, p, 0, 0) = 1.0;
        for (size_t q = 1; q <= Q; q++)
            LL_A(t, p, 0, q) = LL_X(x, Q, p, q);
        for (size_t l = 0; l < L; l++) {
            LL_A(t, p, l + 1, 0) = 1.0; /* what the bias multiplies: 001:5 is 001:6 with a_0 = 1 */
            for (size_t n1 = 1; n1 <= net->N[l + 1]; n1++) {
                /* 001:1  z^{p,l+1}_{n_{l+1}} = w^l_{0 n_{l+1}}
                 *                             + sum_{n_l=1}^{N_l} w^l_{n_l n_{l+1}} a^{p,l}_{n_l} */
                double z = LL_W(net, l, 0, n1);
                for (size_t n = 1; n <= net->N[l]; n++)
                    z += LL_W(net, l, n, n1) * LL_A(t, p, l, n);
                LL_Z(t, p, l + 1, n1) = z;
                /* a^{p,l+1} = f(z^{p,l+1}); the output is h = sigma(z^{p,L}) (001:12) */
                LL_A(t, p, l + 1, n1) = l + 1 == L ? bp_sigmoid(z) : ll_f(net, l + 1, z);
            }
        }
    }
    return 0;
}

double ll_cost(const ll_trace *t, const double *y)
{
    size_t L = t->L, NL = t->N[L];
    double C = 0.0;
    for (size_t p = 1; p <= t->P; p++)
        for (size_t nL = 1; nL <= NL; nL++)
            /* 001:2  C = sum_p sum_{n_L} c(y^p_{n_L}, h^p_{n_L}), c from z^{p,L} (001:12) */
            C += ll_c(LL_X(y, NL, p, nL), LL_Z(t, p, L, nL));
    return C;
}

double ll_dc_dw(double dc_dz, double dz_dw)
{
    /* 001:4  dc/dw = dc/dz * dz/dw */
    return dc_dz * dz_dw;
}

double ll_dz_dw0(void)
{
    /* 001:5  dz^{p,l+1}_{n_{l+1}} / dw^l_{0 n_{l+1}} = 1 */
    return 1.0;
}

double ll_dz_dw(double a)
{
    /* 001:6  dz^{p,l+1}_{n_{l+1}} / dw^l_{n_l n_{l+1}} = a^{p,l}_{n_l} */
    return a;
}

double ll_dz_dz(double w, double fprime_z)
{
    /* 001:8  dz^{p,l+2}_{n_{l+2}} / dz^{p,l+1}_{n_{l+1}} = w^{l+1}_{n_{l+1} n_{l+2}} f'(z^{p,l+1}_{n_{l+1}}) */
    return w * fprime_z;
}

double **ll_scratch_alloc(const ll_net *net, bp_error *err)
{
    size_t total = 0;
    for (size_t l = 0; l <= net->L; l++)
        total += net->N[l] + 1;
    double **D = calloc(net->L + 1, sizeof *D);
    double *mem = calloc(total, sizeof *mem);
    if (!D || !mem) {
        free(D), free(mem);
        bp_fail(err, "001: out of memory");
        return NULL;
    }
    for (size_t l = 0, off = 0; l <= net->L; l++)
        D[l] = mem + off, off += net->N[l] + 1;
    return D;
}

void ll_scratch_free(double **D)
{
    if (D)
        free(D[0]);
    free(D);
}

void ll_backward_point(double **D, const ll_net *net, const ll_trace *t, const double *y,
                       size_t p, size_t nL, int sigmoid_form)
{
    size_t L = net->L, NL = net->N[L];
    /* dc^p_{n_L}/dz^{p,L}_m is 0 unless m = n_L */
    for (size_t m = 1; m <= NL; m++)
        D[L][m] = 0.0;
    double yv = LL_X(y, NL, p, nL);
    if (sigmoid_form)
        /* 001:13  dc^p_{n_L}/dz^{p,L}_{n_L} = y^p_{n_L} - h^p_{n_L} */
        D[L][nL] = yv - LL_A(t, p, L, nL);
    else
        /* 001:12  dc/dz^L = y - h (the general system starts from it too) */
        D[L][nL] = ll_dc_dzL(yv, LL_Z(t, p, L, nL));
    /* 001:10  from the last layer back to layer 1; 001:9 is the same line indexed from l+1 */
    for (size_t l = L; l >= 2; l--)
        for (size_t nm = 1; nm <= net->N[l - 1]; nm++) {
            double fprime;
            if (sigmoid_form) {
                /* 001:13  f'(z) = a (1 - a) for the sigmoid */
                double a = LL_A(t, p, l - 1, nm);
                fprime = a * (1.0 - a);
            } else {
                fprime = ll_fprime(net, l - 1, LL_Z(t, p, l - 1, nm));
            }
            /* 001:7  dc/dz^{p,l-1}_{n_{l-1}} = sum_{n_l} dc/dz^{p,l}_{n_l}
             *                                 * dz^{p,l}_{n_l}/dz^{p,l-1}_{n_{l-1}},
             * with 001:8 for the last factor; 001:9 and 001:10 write f' outside the sum */
            double s = 0.0;
            for (size_t nl = 1; nl <= net->N[l]; nl++)
                s += D[l][nl] * ll_dz_dz(LL_W(net, l - 1, nm, nl), fprime);
            D[l - 1][nm] = s;
        }
}

/* The system of 001:9 / 001:10, and with sigmoid_form its sigmoid version 001:13, run for
 * every data point p and every output n_L separately, as printed. */
static int ll_system(ll_net *grad, double *C, ll_trace *trace, const ll_net *net,
                     const double *x, const double *y, size_t P, int sigmoid_form,
                     bp_error *err)
{
    size_t L = net->L, NL = net->N[L];
    if (grad->L != L || memcmp(grad->N, net->N, (L + 1) * sizeof *net->N) != 0)
        return bp_fail(err, "001: the gradient's shape differs from the network's");
    for (size_t l = 1; sigmoid_form && l < L; l++)
        if (strcmp(ll_f_name(net, l), "sigmoid") != 0)
            return bp_fail(err, "001:13 is the sigmoid system; the network's f is %s in layer %zu",
                           ll_f_name(net, l), l);
    ll_trace *t = trace ? trace : ll_trace_alloc(net, P, err);
    double **D = t ? ll_scratch_alloc(net, err) : NULL;
    if (!D || ll_forward(t, net, x, P, err)) {
        ll_scratch_free(D);
        if (t != trace)
            ll_trace_free(t);
        return -1;
    }
    memset(grad->mem, 0, grad->nparams * sizeof *grad->mem);
    for (size_t p = 1; p <= P; p++)
        for (size_t nL = 1; nL <= NL; nL++) {
            ll_backward_point(D, net, t, y, p, nL, sigmoid_form);
            for (size_t l = L; l >= 1; l--)
                for (size_t nl = 1; nl <= net->N[l]; nl++) {
                    /* 001:3, 001:4, 001:5  dC/dw^{l-1}_{0 n_l} += dc^p_{n_L}/dz^{p,l}_{n_l} * 1 */
                    LL_W(grad, l - 1, 0, nl) += ll_dc_dw(D[l][nl], ll_dz_dw0());
                    for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                        /* 001:3, 001:4, 001:6  dC/dw^{l-1}_{n_{l-1} n_l}
                         *                      += dc^p_{n_L}/dz^{p,l}_{n_l} * a^{p,l-1}_{n_{l-1}} */
                        LL_W(grad, l - 1, nm, nl) += ll_dc_dw(D[l][nl], ll_dz_dw(LL_A(t, p, l - 1, nm)));
                }
        }
    if (C)
        *C = ll_cost(t, y);
    ll_scratch_free(D);
    if (t != trace)
        ll_trace_free(t);
    return 0;
}

int ll_backprop(ll_net *grad, double *C, ll_trace *t, const ll_net *net, const double *x,
                const double *y, size_t P, bp_error *err)
{
    return ll_system(grad, C, t, net, x, y, P, 0, err);
}

int ll_backprop_sigmoid(ll_net *grad, double *C, const ll_net *net, const double *x,
                        const double *y, size_t P, bp_error *err)
{
    return ll_system(grad, C, NULL, net, x, y, P, 1, err);
}

/* One forward pass into a fresh trace, for the special cases; NULL on failure. */
static ll_trace *ll_run_forward(const ll_net *net, const double *x, size_t P, bp_error *err)
{
    ll_trace *t = ll_trace_alloc(net, P, err);
    if (t && ll_forward(t, net, x, P, err)) {
        ll_trace_free(t);
        return NULL;
    }
    return t;
}

int ll_backprop_summed(ll_net *grad, double *C, double **dz, const ll_net *net, const double *x,
                       const double *y, size_t P, bp_error *err)
{
    size_t L = net->L, NL = net->N[L];
    ll_trace *t = ll_run_forward(net, x, P, err);
    double **D = t ? ll_scratch_alloc(net, err) : NULL;
    if (!D) {
        ll_trace_free(t);
        return -1;
    }
    memset(grad->mem, 0, grad->nparams * sizeof *grad->mem);
    for (size_t p = 1; p <= P; p++) {
        /* sum over n_L first: sum_{n_L} dc^p_{n_L}/dz^{p,L}_m = dc^p_m/dz^{p,L}_m (001:12) */
        for (size_t m = 1; m <= NL; m++)
            D[L][m] = ll_dc_dzL(LL_X(y, NL, p, m), LL_Z(t, p, L, m));
        for (size_t l = L; l >= 1; l--) {
            for (size_t nl = 1; nl <= net->N[l]; nl++) {
                if (dz)
                    dz[l][(p - 1) * (net->N[l] + 1) + nl] = D[l][nl];
                LL_W(grad, l - 1, 0, nl) += D[l][nl];
                for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                    LL_W(grad, l - 1, nm, nl) += D[l][nl] * LL_A(t, p, l - 1, nm);
            }
            if (l < 2)
                break;
            for (size_t nm = 1; nm <= net->N[l - 1]; nm++) {
                double s = 0.0;
                for (size_t nl = 1; nl <= net->N[l]; nl++)
                    s += LL_W(net, l - 1, nm, nl) * D[l][nl];
                D[l - 1][nm] = ll_fprime(net, l - 1, LL_Z(t, p, l - 1, nm)) * s;
            }
        }
    }
    if (C)
        *C = ll_cost(t, y);
    ll_scratch_free(D);
    ll_trace_free(t);
    return 0;
}

int ll_backprop_one_output(ll_net *grad, double *C, const ll_net *net, const double *x,
                           const double *y, size_t P, bp_error *err)
{
    size_t L = net->L;
    if (net->N[L] != 1)
        return bp_fail(err, "001:11 needs one output neuron; this network has N_L = %zu",
                       net->N[L]);
    ll_trace *t = ll_run_forward(net, x, P, err);
    double **D = t ? ll_scratch_alloc(net, err) : NULL;
    if (!D) {
        ll_trace_free(t);
        return -1;
    }
    memset(grad->mem, 0, grad->nparams * sizeof *grad->mem);
    for (size_t p = 1; p <= P; p++) {
        /* dc^p/dz^{p,L} = y^p - h^p (001:12); no index n_L: there is one output */
        D[L][1] = ll_dc_dzL(LL_X(y, 1, p, 1), LL_Z(t, p, L, 1));
        for (size_t l = L; l >= 1; l--) {
            for (size_t nl = 1; nl <= net->N[l]; nl++) {
                /* 001:11  dC/dw^{l-1}_{0 n_l} = sum_p dc^p/dz^{p,l}_{n_l} (no sum over n_L) */
                LL_W(grad, l - 1, 0, nl) += D[l][nl];
                for (size_t nm = 1; nm <= net->N[l - 1]; nm++)
                    /* 001:11  dC/dw^{l-1}_{n_{l-1} n_l} = sum_p a^{p,l-1}_{n_{l-1}} dc^p/dz^{p,l}_{n_l} */
                    LL_W(grad, l - 1, nm, nl) += LL_A(t, p, l - 1, nm) * D[l][nl];
            }
            if (l < 2)
                break;
            for (size_t nm = 1; nm <= net->N[l - 1]; nm++) {
                double fprime = ll_fprime(net, l - 1, LL_Z(t, p, l - 1, nm)), s;
                if (l == L) {
                    /* 001:11  dc^p/dz^{p,L-1}_{n_{L-1}} = f'(z^{p,L-1}_{n_{L-1}}) w^{L-1}_{n_{L-1} 1}
                     * dc^p/dz^{p,L}_1: one term, as printed */
                    s = LL_W(net, l - 1, nm, 1) * D[l][1];
                } else {
                    /* Below the last hidden layer the printed line's n_l is a free index: the
                     * sum over the N_l nodes of layer l must stay (derivations/001.md). */
                    s = 0.0;
                    for (size_t nl = 1; nl <= net->N[l]; nl++) /* keep the sum over n_l */
                        s += LL_W(net, l - 1, nm, nl) * D[l][nl];
                }
                D[l - 1][nm] = fprime * s;
            }
        }
    }
    if (C)
        *C = ll_cost(t, y);
    ll_scratch_free(D);
    ll_trace_free(t);
    return 0;
}

int ll_backprop_two_layer(ll_net *grad, double *C, const ll_net *net, const double *x,
                          const double *y, size_t P, bp_error *err)
{
    if (net->L != 2)
        return bp_fail(err, "001:14 is the two-layer network (L = 2); this one has L = %zu",
                       net->L);
    size_t Q = net->N[0], N1 = net->N[1], N2 = net->N[2];
    ll_trace *t = ll_run_forward(net, x, P, err);
    if (!t)
        return -1;
    memset(grad->mem, 0, grad->nparams * sizeof *grad->mem);
    for (size_t p = 1; p <= P; p++)
        for (size_t n2 = 1; n2 <= N2; n2++) {
            /* dc^p_{n_2}/dz^{p,2}_{n_l} is y - h for n_l = n_2 and 0 otherwise (001:12) */
            double dc_dz2 = ll_dc_dzL(LL_X(y, N2, p, n2), LL_Z(t, p, 2, n2));
            /* output weights w^1: 001:9 with l = 1, a^{p,1} the hidden activations */
            LL_W(grad, 1, 0, n2) += dc_dz2;
            for (size_t n1 = 1; n1 <= N1; n1++)
                LL_W(grad, 1, n1, n2) += LL_A(t, p, 1, n1) * dc_dz2;
            for (size_t n1 = 1; n1 <= N1; n1++) {
                /* 001:14  dc^p_{n_2}/dz^{p,1}_{n_1} = f'(z^{p,1}_{n_1})
                 *         sum_{n_l=1}^{N_2} w^1_{n_1 n_l} dc^p_{n_2}/dz^{p,2}_{n_l}: one term */
                double d1 = ll_fprime(net, 1, LL_Z(t, p, 1, n1)) * LL_W(net, 1, n1, n2) * dc_dz2;
                /* 001:14  dC/dw^0_{0 n_1} = sum_p sum_{n_2} dc^p_{n_2}/dz^{p,1}_{n_1} */
                LL_W(grad, 0, 0, n1) += d1;
                for (size_t q = 1; q <= Q; q++)
                    /* 001:14  dC/dw^0_{q n_1} = sum_p x^p_q sum_{n_2} dc^p_{n_2}/dz^{p,1}_{n_1} */
                    LL_W(grad, 0, q, n1) += LL_X(x, Q, p, q) * d1;
            }
        }
    if (C)
        *C = ll_cost(t, y);
    ll_trace_free(t);
    return 0;
}

int ll_closed_form_221(ll_net *grad_w0, const ll_net *net, const double *x, const double *y,
                       size_t P, size_t p_last, bp_error *err)
{
    if (net->L != 2 || net->N[0] != 2 || net->N[1] != 2 || net->N[2] != 1 ||
        !ll_all_sigmoid(net))
        return bp_fail(err, "001:15 is the 2-2-1 sigmoid network");
    if (p_last > P)
        return bp_fail(err, "001:15: the sum runs to p = %zu but there are only P = %zu data "
                            "points",
                       p_last, P);
    ll_trace *t = ll_run_forward(net, x, P, err);
    if (!t)
        return -1;
    memset(grad_w0->mem, 0, grad_w0->nparams * sizeof *grad_w0->mem);
    for (size_t n1 = 1; n1 <= 2; n1++) {
        double w1 = LL_W(net, 1, n1, 1); /* 001:15 writes w^1_{n_1}: the one output is implied */
        double s0 = 0.0, sq[3] = {0.0, 0.0, 0.0};
        for (size_t p = 1; p <= p_last; p++) {
            double a = LL_A(t, p, 1, n1), h = LL_A(t, p, 2, 1), yp = LL_X(y, 1, p, 1);
            /* 001:15  a^{p,1}_{n_1} (1 - a^{p,1}_{n_1}) (y^p - h^p) */
            double common = a * (1.0 - a) * (yp - h);
            s0 += common;
            for (size_t q = 1; q <= 2; q++)
                sq[q] += LL_X(x, 2, p, q) * common;
        }
        /* 001:15  dC/dw^0_{0 n_1} = w^1_{n_1} sum_p a (1 - a) (y - h) */
        LL_W(grad_w0, 0, 0, n1) = w1 * s0;
        for (size_t q = 1; q <= 2; q++)
            /* 001:15  dC/dw^0_{q n_1} = w^1_{n_1} sum_p x^p_q a (1 - a) (y - h) */
            LL_W(grad_w0, 0, q, n1) = w1 * sq[q];
    }
    ll_trace_free(t);
    return 0;
}

static int ll_check_batch(const bp_model *params, const bp_batch *batch, bp_error *err)
{
    if (bp_acts_check(params, BP_LOGLIK, err))
        return -1;
    if (batch->n_in != params->n[0] || batch->n_out != params->n[params->L])
        return bp_fail(err, "batch: x and y have %zu and %zu columns; the model needs %zu and %zu",
                       batch->n_in, batch->n_out, params->n[0], params->n[params->L]);
    return 0;
}

int ll_canonical(bp_model *grad, double *cost, bp_trace *trace, const bp_model *params,
                 const bp_batch *batch, bp_reduction red, bp_error *err)
{
    if (!bp_model_same_shape(grad, params))
        return bp_fail(err, "loglik: the gradient's shape differs from the parameters'");
    if (ll_check_batch(params, batch, err))
        return -1;
    if (trace && (trace->m != batch->m || trace->L != params->L))
        return bp_fail(err, "loglik: the trace holds %zu samples of %zu layers; need %zu of %zu",
                       trace->m, trace->L, batch->m, params->L);
    size_t P = batch->m, L = params->L;
    int rc = -1;
    ll_net *net = ll_alloc(L, params->n, &ll_sigmoid, err);
    ll_net *g = net ? ll_alloc_like(net, err) : NULL;
    ll_trace *t = net ? ll_trace_alloc(net, P, err) : NULL;
    double C;
    if (!g || !t || ll_from_canonical(net, params, err) ||
        ll_backprop(g, &C, t, net, batch->x, batch->y, P, err) ||
        ll_gradient_to_canonical(grad, g, P, red, err))
        goto done;
    if (cost)
        *cost = red == BP_MEAN ? -C / (double)P : -C;
    if (trace) {
        /* z and a per sample, 1-based columns to 0-based; delta = dC~_x/dz = -sum_{n_L} dc/dz */
        double *dz[BP_MAX_LAYERS + 1] = {NULL};
        size_t total = 0;
        for (size_t l = 1; l <= L; l++)
            total += P * (params->n[l] + 1);
        double *mem = calloc(total, sizeof *mem);
        if (!mem) {
            bp_fail(err, "loglik: out of memory");
            goto done;
        }
        for (size_t l = 1, off = 0; l <= L; l++)
            dz[l] = mem + off, off += P * (params->n[l] + 1);
        if (ll_backprop_summed(g, NULL, dz, net, batch->x, batch->y, P, err)) {
            free(mem);
            goto done;
        }
        for (size_t p = 1; p <= P; p++)
            for (size_t l = 0; l <= L; l++)
                for (size_t n = 1; n <= params->n[l]; n++) {
                    size_t i = (p - 1) * params->n[l] + (n - 1);
                    trace->a[l][i] = LL_A(t, p, l, n);
                    if (l) {
                        trace->z[l][i] = LL_Z(t, p, l, n);
                        trace->delta[l][i] = -dz[l][(p - 1) * (params->n[l] + 1) + n];
                    }
                }
        free(mem);
    }
    rc = 0;
done:
    ll_trace_free(t);
    ll_free(g);
    ll_free(net);
    return rc;
}

double ll_canonical_cost(const bp_model *params, const bp_batch *batch, bp_reduction red)
{
    if (ll_check_batch(params, batch, NULL))
        return NAN;
    ll_net *net = ll_alloc(params->L, params->n, &ll_sigmoid, NULL);
    ll_trace *t = net ? ll_trace_alloc(net, batch->m, NULL) : NULL;
    double C = NAN;
    if (t && ll_from_canonical(net, params, NULL) == 0 &&
        ll_forward(t, net, batch->x, batch->m, NULL) == 0)
        C = ll_cost(t, batch->y);
    ll_trace_free(t);
    ll_free(net);
    return red == BP_MEAN ? -C / (double)batch->m : -C;
}
