/* testsuite/hints.c: the likely bug behind a wrong answer (hints.h).
 *
 * Legend: l = layer, j = neuron in layer l (J), k = neuron in layer l-1 (K), p = sample (m).
 * The variants below are the canonical backward pass with one classic bug each; an answer that
 * equals a variant to 1e-9 (normwise) is taken to have that bug. */
#include "hints.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "softmax_ce.h"

enum {
    V_SP_OF_A = 1,      /* sigma'(a) used for sigma'(z) */
    V_NO_SP_OUT = 2,    /* sigma' missing at the output (quadratic) */
    V_NO_SP_HIDDEN = 4, /* sigma' missing in the hidden layers */
    V_SP_ON_TOP = 8,    /* a(1 - a) multiplied onto a - y (loglik, cross-entropy) */
    V_BIAS_LAST = 16,   /* the bias gradient is the last sample's delta, not the sum */
    V_BIAS_FIRST = 32   /* ... the first sample's */
};

/* The gradient of case c with the given bugs, into out (same shape as c->params). */
static void variant(bp_model *out, const bp_case *c, unsigned bugs)
{
    const bp_model *P = c->params;
    size_t L = P->L, wmax = 0, m = c->batch->m;
    for (size_t l = 0; l <= L; l++)
        wmax = P->n[l] > wmax ? P->n[l] : wmax;
    double *z = calloc((L + 1) * wmax, sizeof *z), *a = calloc((L + 1) * wmax, sizeof *a);
    double *d = calloc((L + 1) * wmax, sizeof *d);
#define AT(v, l, j) (v)[(l) * wmax + (j)]
    bp_model_zero(out);
    for (size_t p = 0; p < m; p++) {
        for (size_t k = 0; k < P->n[0]; k++)
            AT(a, 0, k) = c->batch->x[p * P->n[0] + k];
        for (size_t l = 1; l <= L; l++) {
            size_t J = P->n[l], K = P->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                double s = P->b[l][j];
                for (size_t k = 0; k < K; k++)
                    s += P->W[l][j * K + k] * AT(a, l - 1, k);
                AT(z, l, j) = s;
                AT(a, l, j) = bp_sigmoid(s);
            }
            if (l == L && c->cost == BP_CROSS_ENTROPY)
                sce_softmax(&AT(a, L, 0), &AT(z, L, 0), J);
        }
        const double *y = c->batch->y + p * P->n[L];
        for (size_t j = 0; j < P->n[L]; j++) {
            double e = AT(a, L, j) - y[j], sp = bp_sigmoid_prime(AT(z, L, j));
            if (bugs & V_SP_OF_A)
                sp = bp_sigmoid_prime(AT(a, L, j));
            if (c->cost == BP_QUADRATIC)
                e *= (bugs & V_NO_SP_OUT) ? 1.0 : sp;
            else if (bugs & V_SP_ON_TOP)
                e *= AT(a, L, j) * (1.0 - AT(a, L, j));
            AT(d, L, j) = e;
        }
        for (size_t l = L; l >= 1; l--) {
            size_t J = P->n[l], K = P->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                double dj = AT(d, l, j);
                int last = p + 1 == m, first = p == 0;
                if (bugs & V_BIAS_LAST)
                    out->b[l][j] = last ? dj : out->b[l][j];
                else if (bugs & V_BIAS_FIRST)
                    out->b[l][j] = first ? dj : out->b[l][j];
                else
                    out->b[l][j] += dj;
                for (size_t k = 0; k < K; k++)
                    out->W[l][j * K + k] += dj * AT(a, l - 1, k);
            }
            if (l == 1)
                break;
            for (size_t k = 0; k < K; k++) {
                double s = 0.0;
                for (size_t j = 0; j < J; j++)
                    s += P->W[l][j * K + k] * AT(d, l, j);
                double sp = (bugs & V_SP_OF_A) ? bp_sigmoid_prime(AT(a, l - 1, k))
                                               : bp_sigmoid_prime(AT(z, l - 1, k));
                AT(d, l - 1, k) = (bugs & V_NO_SP_HIDDEN) ? s : s * sp;
            }
        }
    }
#undef AT
    if (c->red == BP_MEAN)
        for (size_t i = 0; i < out->nparams; i++)
            out->theta[i] /= (double)m;
    free(z), free(a), free(d);
}

/* got equals scale * want (entry map optional) to 1e-9 normwise, and is not ~0 */
static int matches(const double *got, const double *want, size_t n, double scale)
{
    double dmax = 0.0, wmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        dmax = fmax(dmax, fabs(got[i] - scale * want[i]));
        wmax = fmax(wmax, fabs(scale * want[i]));
    }
    return wmax > 0.0 && dmax <= 1e-9 * wmax;
}

/* Every non-square-safe layer's W equals the transpose of the expected one, read in order. */
static int transposed(const bp_model *g, const bp_model *want)
{
    int any = 0;
    for (size_t l = 1; l <= g->L; l++) {
        size_t J = g->n[l], K = g->n[l - 1];
        double dmax = 0.0, wmax = 0.0;
        for (size_t j = 0; j < J; j++)
            for (size_t k = 0; k < K; k++) {
                /* the answer laid out as K x J, read back as J x K */
                size_t flat = j * K + k, r = flat / J, s = flat % J;
                dmax = fmax(dmax, fabs(g->W[l][flat] - want->W[l][s * K + r]));
                wmax = fmax(wmax, fabs(want->W[l][flat]));
            }
        if (!(dmax <= 1e-9 * wmax))
            return 0;
        any |= J > 1 && K > 1;
    }
    return any;
}

const char *bp_hint_grad(const bp_case *c, const bp_model *g, int cost_ok,
                         const bp_model *prev_grad, size_t bad)
{
    const double *G = g->theta, *E = c->grad->theta;
    size_t n = g->nparams, m = c->batch->m;
    if (matches(G, E, n, -1.0))
        return "sign flipped: the gradient has the opposite sign (y - a for a - y, or 001's "
               "ascent direction of the log-likelihood)";
    if (m > 1 && c->red == BP_MEAN && matches(G, E, n, (double)m))
        return "factor m: the gradient is summed over the batch where the mean was asked "
               "(sum vs mean)";
    if (m > 1 && c->red == BP_SUM && matches(G, E, n, 1.0 / (double)m))
        return "factor 1/m: the gradient is averaged over the batch where the sum was asked "
               "(sum vs mean)";
    if (c->cost == BP_QUADRATIC && matches(G, E, n, 2.0))
        return "factor 2: the 1/2 of the quadratic cost was dropped from the gradient";
    if (c->cost == BP_QUADRATIC && matches(G, E, n, 0.5))
        return "factor 1/2: a spurious 1/2 in the gradient";
    if (prev_grad && prev_grad->nparams == n && matches(G, prev_grad->theta, n, 1.0))
        return "stale: this is the previous request's gradient (state kept between requests)";
    if (transposed(g, c->grad))
        return "W transposed: dC/dW^l is laid out n_{l-1} x n_l (source by destination)";
    static const struct {
        unsigned bugs;
        const char *hint;
    } variants[] = {
        {V_SP_OF_A, "sigma'(a) used for sigma'(z): the derivative evaluated at the activation"},
        {V_NO_SP_OUT, "sigma' missing at the output: delta^L = a - y for the quadratic cost"},
        {V_NO_SP_HIDDEN, "sigma' missing in the hidden layers: delta^l = (W^{l+1})^T delta^{l+1}"},
        {V_SP_ON_TOP, "sigma' applied on top of a - y: the output delta is already dC/dz"},
        {V_BIAS_LAST, "bias gradient not summed over the batch (the last sample's delta only)"},
        {V_BIAS_FIRST, "bias gradient not summed over the batch (the first sample's delta only)"},
    };
    bp_model *v = bp_model_alloc_like(c->params, NULL);
    const char *found = NULL;
    for (size_t i = 0; v && !found && i < sizeof variants / sizeof variants[0]; i++) {
        variant(v, c, variants[i].bugs);
        if (!matches(v->theta, E, n, 1.0) && matches(G, v->theta, n, 1.0))
            found = variants[i].hint;
    }
    bp_model_free(v);
    if (found)
        return found;
    /* the first layer's gradient 0 and the rest right: the recursion stopped a layer early */
    if (c->params->L >= 2) {
        size_t first = c->params->n[1] * (c->params->n[0] + 1), zero = 1;
        for (size_t i = 0; i < first; i++)
            zero &= G[i] == 0.0;
        if (zero && matches(G + first, E + first, n - first, 1.0))
            return "off by one layer: the backward recursion stops before the first layer "
                   "(dC/dW^1 and dC/db^1 are 0)";
    }
    if (bad <= 2 && n > 20)
        return "one wrong entry among many: an indexing bug at the entry named";
    /* noise of ~1e-7 relative everywhere: single precision */
    double dmax = 0.0, emax = 0.0;
    for (size_t i = 0; i < n; i++)
        dmax = fmax(dmax, fabs(G[i] - E[i])), emax = fmax(emax, fabs(E[i]));
    if (dmax > 1e-11 * emax && dmax < 1e-5 * emax)
        return "errors of about 1e-7 relative throughout: float32 arithmetic (try --profile "
               "float32)";
    if (cost_ok)
        return "cost right but gradient wrong: the forward pass is right, the backward pass not";
    return NULL;
}

const char *bp_hint_step(const bp_case *c, const bp_model *step)
{
    size_t n = step->nparams, m = c->batch->m;
    double *v = malloc(n * sizeof *v);
    const char *hint = "gradient right but the SGD step wrong";
    const double *P = c->params->theta, *G = c->grad->theta;
    struct {
        double factor;
        const char *hint;
    } tries[] = {
        {-1.0, "the step is added: params + eta * grad (ascent instead of descent)"},
        {(double)m, "eta not divided by m: the step uses the summed gradient (w - eta sum_x)"},
        {1.0 / (double)m, "eta divided by m twice: (eta/m) times the mean gradient"},
        {0.0, "the step is not taken: step = params"},
    };
    for (size_t t = 0; v && t < sizeof tries / sizeof tries[0]; t++) {
        if ((t == 1 || t == 2) && (m == 1 || c->red != BP_MEAN))
            continue;
        for (size_t i = 0; i < n; i++)
            v[i] = P[i] - c->eta * tries[t].factor * G[i];
        double dmax = 0.0, vmax = 0.0;
        for (size_t i = 0; i < n; i++)
            dmax = fmax(dmax, fabs(step->theta[i] - v[i])), vmax = fmax(vmax, fabs(v[i]));
        if (dmax <= 1e-12 * vmax) {
            hint = tries[t].hint;
            break;
        }
    }
    free(v);
    return hint;
}

const char *bp_hint_cost(const bp_case *c, double cost)
{
    double e = c->cost_value, m = (double)c->batch->m;
    if (fabs(cost + e) <= 1e-9 * fabs(e))
        return c->cost == BP_LOGLIK ? "sign: the log-likelihood itself, not its negation"
                                    : "sign of the cost flipped";
    if (c->batch->m > 1 && fabs(cost - m * e) <= 1e-9 * fabs(m * e))
        return "factor m: the cost is summed where the mean was asked";
    if (c->batch->m > 1 && fabs(cost - e / m) <= 1e-9 * fabs(e / m))
        return "factor 1/m: the cost is averaged where the sum was asked";
    if (c->cost == BP_QUADRATIC && fabs(cost - 2 * e) <= 1e-9 * fabs(2 * e))
        return "factor 2: the 1/2 of the quadratic cost was dropped";
    return NULL;
}

const char *bp_hint_nonfinite(const bp_case *c)
{
    for (size_t i = 0; i < c->nflags; i++) {
        if (strcmp(c->flags[i], "logits-1000") == 0)
            return "softmax without the maximum subtracted: e^{1000} overflows";
        if (strcmp(c->flags[i], "saturated") == 0 || strcmp(c->flags[i], "hard-targets") == 0)
            return "ln 0 in the cost: the logarithm of a saturated output (compute it from z)";
    }
    return "NaN or Inf in the output";
}
