/* testsuite/bugs/bugs.c: the catalogue of bug models and the one buggy pass that computes each
 * model's effect (bugs.h).
 * Legend: l = layer, j = neuron in layer l (J), k = neuron in layer l-1 (K), p = sample (m).
 * The pass is the canonical one (README "Conventions"), layer by layer over the whole batch so
 * that a bug in the order of updates can be expressed; each model is a test of `is(...)` at
 * the line it changes. */
#define _POSIX_C_SOURCE 200809L
#include "bugs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"

/* The values a family's parameter is tried at (bugs.h, bp_bug_value), its default first. A
 * value taken from one number (the cost) must be one of these: one equation in one unknown
 * always has a solution, so only a value code is known to use is evidence. */
static const bp_bug_value eps_log[] = {
    {0x1p-52, "float64's machine epsilon (scikit-learn's log_loss clips at it)"},
    {1e-15, "scikit-learn's log_loss before 1.3"},
    {1e-12, NULL},
    {1e-10, NULL},
    {1e-9, "KANN's binary cross-entropy clamps at it"},
    {1e-8, NULL},
    {0x1p-23, "float32's machine epsilon"},
    {1e-7, "Keras' and TensorFlow.js's epsilon: tf.losses.logLoss adds it"},
    {1e-6, NULL},
    {1e-5, NULL},
    {0, NULL},
};
static const bp_bug_value eps_log_add[] = { /* the same, TensorFlow.js's default first */
    {1e-7, "TensorFlow.js's tf.losses.logLoss adds it (Keras' epsilon)"},
    {0x1p-52, "float64's machine epsilon"},
    {1e-15, NULL},
    {1e-12, NULL},
    {1e-10, NULL},
    {1e-9, NULL},
    {1e-8, NULL},
    {0x1p-23, "float32's machine epsilon"},
    {1e-6, NULL},
    {1e-5, NULL},
    {0, NULL},
};
static const bp_bug_value sp_clip[] = {
    {0.01, "FANN's flat-spot fix: fann_activation_derived clips a to [0.01, 0.99]"},
    {0.001, NULL}, {0.05, NULL}, {0.1, NULL}, {0, NULL},
};
static const bp_bug_value flat_spot[] = {
    {0.1, "Fahlman's flat-spot elimination (1988)"}, {0.01, NULL}, {0.05, NULL}, {0, NULL},
};
static const bp_bug_value clamp_at[] = {
    {45, "genann's genann_act_sigmoid"}, {40, NULL}, {36, NULL}, {30, NULL}, {20, NULL},
    {15, NULL}, {10, NULL}, {0, NULL},
};
static const bp_bug_value lut_table[] = { /* an index into lut_spec (below) */
    {1, "a table of step 1/16 on [-8, 8], linearly interpolated"},
    {2, "genann's cached sigmoid: 4096 entries on [-15, 15), nearest"},
    {0, NULL},
};
static const bp_bug_value approx_form[] = { /* an index: approx_sigmoid below */
    {1, "Keras' hard_sigmoid, clip(0.2 z + 0.5, 0, 1)"},
    {2, "PyTorch's hardsigmoid, clip(z / 6 + 1/2, 0, 1)"},
    {3, "the fast sigmoid 1/2 (1 + z / (1 + |z|))"},
    {0, NULL},
};
static const bp_bug_value smooth_eps[] = {
    {0.1, "PyTorch's CrossEntropyLoss(label_smoothing=0.1), the usual choice"},
    {0.05, NULL}, {0.01, NULL}, {0.2, NULL}, {0.3, NULL}, {0, NULL},
};
static const bp_bug_value clip_norm[] = { /* max_norm, as torch.nn.utils.clip_grad_norm_ */
    {1, NULL}, {0.5, NULL}, {5, NULL}, {0.1, NULL}, {0.25, NULL}, {2, NULL}, {10, NULL}, {0, NULL},
};
static const bp_bug_value clip_value[] = {
    {1, NULL}, {0.5, NULL}, {5, NULL}, {0.1, NULL}, {0.25, NULL}, {2, NULL}, {10, NULL}, {0, NULL},
};
static const bp_bug_value layers[] = { /* 1, 2, 3: which layers (act_prime below) */
    {1, "the hidden layers"},
    {2, "the output layer only"},
    {3, "every layer"},
    {0, NULL},
};
static const bp_bug_value decay[] = {{5e-4, NULL}, {0, NULL}};   /* fitted: hypotheses.c */
static const bp_bug_value l2[] = {{1e-3, NULL}, {0, NULL}};      /* fitted */
static const bp_bug_value momentum[] = {{0.9, NULL}, {0, NULL}}; /* fitted */

const bp_bug bp_bugs[] = {
    /* layout */
    {"transposed-grad", "layout", "000:7",
     "dC/dW^l laid out n_{l-1} x n_l (source by destination) and read back in order", NULL, NULL, "grad (the shapes, when W^l is not square)", NULL},
    {"column-major", "layout", "000:1, 000:7",
     "W^l read and written column by column: every weight taken from the wrong place", NULL, NULL, "grad", NULL},
    {"wrong-layer-activations", "layout", "000:7",
     "a^l where a^{l-1} belongs in dC/dW^L: the activations of the wrong layer (n_L columns)", NULL, NULL, "the shape of dC/dW^L", NULL},
    {"w-not-transposed", "layout", "000:5",
     "W^{l+1} in place of its transpose in the backward recursion (only square layers run)",
     "reference/quadratic.c ||| s += w_next[i * J + j] * delta_next[i]; ||| s += w_next[(i * J + j) % I * J + (i * J + j) / I] * delta_next[i];", NULL, "grad", NULL},
    /* reductions */
    {"sum-for-mean", "reductions", "002:cost, 002:sgd", "the batch summed where the mean was asked", NULL, NULL, "cost, grad", NULL},
    {"mean-for-sum", "reductions", "002:cost", "the batch averaged where the sum was asked", NULL, NULL, "cost, grad", NULL},
    {"grad-sum-cost-mean", "reductions", "002:BP3, 002:BP4",
     "the cost averaged over the batch, the gradient summed",
     "reference/quadratic.c ||| grad->theta[i] /= (double)m; ||| (void)grad;", NULL, "grad", NULL},
    {"cost-sum-grad-mean", "reductions", "002:cost", "the gradient averaged over the batch, the cost summed", NULL, NULL, "cost", NULL},
    {"mean-over-outputs", "reductions", "000:2", "the cost and gradient divided by n_L too (a mean over outputs)", NULL, NULL, "cost, grad", NULL},
    {"factor-2", "reductions", "000:4", "the 1/2 of the quadratic cost dropped from its derivative: dC/da = 2 (a - y)",
     "reference/quadratic.c ||| double dC_da = a[j] - y[j]; ||| double dC_da = 2 * (a[j] - y[j]);", NULL, "grad", NULL},
    {"bias-not-over-m", "reductions", "000:6, 002:sgd", "dC/db not divided by m under the mean (1/m on W only)", NULL, NULL, "grad", NULL},
    /* signs */
    {"sign-flipped", "signs", "000:4, 002:BP1", "y - a for a - y: the output error, and so the whole gradient, negated",
     "reference/quadratic.c ||| double dC_da = a[j] - y[j]; ||| double dC_da = y[j] - a[j];", NULL, "grad", NULL},
    /* activation derivatives */
    {"sigma-prime-of-a", "activation derivatives", "000:4, 000:5, 004:sig",
     "sigma'(a) for sigma'(z): the derivative evaluated at the activation, in some layers or all",
     "reference/quadratic.c ||| delta[j] = dC_da * bp_act_prime(f, slope, z[j]); ||| delta[j] = dC_da * bp_act_prime(f, slope, a[j]);", "layers", "grad", layers},
    {"no-sigma-prime-output", "activation derivatives", "000:4",
     "sigma' missing at the output: delta^L = a - y for the quadratic cost",
     "reference/quadratic.c ||| delta[j] = dC_da * bp_act_prime(f, slope, z[j]); ||| delta[j] = dC_da;", NULL, "grad", NULL},
    {"no-sigma-prime-hidden", "activation derivatives", "000:5",
     "sigma' missing in the hidden layers: delta^l = (W^{l+1})^T delta^{l+1}",
     "reference/quadratic.c ||| delta[j] = s * bp_act_prime(f, slope, z[j]); ||| delta[j] = s;", NULL, "grad", NULL},
    {"sigma-prime-layer-above", "activation derivatives", "000:5",
     "sigma' of layer l+1 in the recursion for delta^l: the derivative of the wrong layer", NULL, NULL, "grad", NULL},
    {"sigma-prime-on-top", "activation derivatives", "001:12, 004:7",
     "sigma' applied on top of a - y: the output delta is already dC/dz", NULL, NULL, "grad", NULL},
    /* forward pass */
    {"z-for-a", "forward pass", "000:7", "z^{l-1} where a^{l-1} belongs in dC/dW^l",
     "reference/quadratic.c ||| quad_grad_w(grad->W[l], t->delta[l] + p * J, t->a[l - 1] + p * K, J, K); ||| quad_grad_w(grad->W[l], t->delta[l] + p * J, (l > 1 ? t->z[l - 1] : t->a[0]) + p * K, J, K);", NULL, "grad", NULL},
    {"activation-on-input", "forward pass", "000:1", "sigma applied to the input: a^0 = sigma(x)", NULL, NULL, "cost, grad", NULL},
    {"tanh-hidden", "forward pass", "000:1", "tanh in the hidden layers where sigma belongs", NULL, NULL, "cost, grad", NULL},
    /* biases */
    {"bias-last-sample", "biases", "000:6, 002:BP3", "dC/db is the last sample's delta, not summed over the batch",
     "reference/quadratic.c ||| db[j] += delta[j]; ||| db[j] = delta[j];", NULL, "grad", NULL},
    {"bias-sign", "biases", "000:6", "dC/db with the wrong sign",
     "reference/quadratic.c ||| db[j] += delta[j]; ||| db[j] -= delta[j];", NULL, "grad", NULL},
    /* updates */
    {"params-changed-during-backprop", "updates", "002:alg, 002:sgd",
     "W^{l+1} stepped before delta^l is formed from it", NULL, NULL, "grad", NULL},
    {"sequential-steps", "updates", "002:sgd",
     "one step per sample, in turn, presented as one batch step", NULL, NULL, "grad, step", NULL},
    {"step-added", "updates", "002:sgd", "the step added: params + eta grad (ascent)",
     "reference/quadratic.c ||| double rate = eta / (double)batch->m; ||| double rate = -eta / (double)batch->m;", NULL, "step", NULL},
    {"eta-not-over-m", "updates", "002:sgd", "the step with the summed gradient under the mean",
     "reference/quadratic.c ||| double rate = eta / (double)batch->m; ||| double rate = eta;", NULL, "step", NULL},
    {"eta-over-m-twice", "updates", "002:sgd", "eta divided by m twice: (eta/m) times the mean gradient", NULL, NULL, "step", NULL},
    {"weight-decay", "updates", "002:sgd",
     "weight decay left on in the step: step = params - eta (grad + lambda W)", NULL, "lambda", "step", decay},
    {"l2-in-gradient", "updates", "000:7, 002:sgd",
     "an L2 penalty's derivative in the gradient: dC/dW + lambda W (and the step follows it)", NULL, "lambda",
     "grad", l2},
    {"momentum", "updates", "002:sgd",
     "momentum left on: step = params - eta (grad + beta v), v = (params - step) / eta of the previous request",
     NULL, "beta", "step, the previous request's answer", momentum},
    {"clip-by-norm", "updates", "000:7",
     "the gradient clipped to a maximum norm: every entry times max_norm / (||grad|| + 1e-6)", NULL, "max_norm",
     "grad (every tensor scaled by one k < 1)", clip_norm},
    {"clip-by-value", "updates", "000:7", "each gradient entry clipped to [-c, c]", NULL, "c",
     "grad, an entry beyond c", clip_value},
    {"stale", "updates", "-", "the previous request's gradient: state kept between requests", NULL, NULL, "grad, the previous request", NULL},
    {"step-not-taken", "updates", "002:sgd", "the step not taken: step = params", NULL, NULL, "step", NULL},
    /* numerics */
    {"naive-softmax", "numerics", "004:cost", "the softmax without the maximum subtracted: e^z overflows", NULL, NULL, "NaN or Inf where a logit exceeds 709.78", NULL},
    {"ln-zero", "numerics", "001:12, 004:cost", "ln of a saturated output: ln 0 in the cost", NULL, NULL, "a non-finite cost where an output rounds to 0 or 1", NULL},
    {"clipped-probabilities", "numerics", "001:12, 004:cost",
     "probabilities clipped to [eps, 1 - eps] in the cost", NULL, "eps", "cost, saturated outputs", eps_log},
    {"log-eps", "numerics", "001:12, 004:cost", "eps added inside the cost's logarithms: ln(a + eps)", NULL, "eps",
     "cost", eps_log_add},
    {"lut-sigmoid", "numerics", "000:1", "sigma from a lookup table, its derivative a (1 - a)", NULL, "table",
     "cost, grad", lut_table},
    {"sigmoid-approx", "numerics", "000:1, 004:sig",
     "sigma replaced by a cheaper function of its shape, its derivative by that function's (a loglik cost from "
     "a, each ln clamped at -100 as torch's BCELoss does)", NULL, "form",
     "cost, grad (z and a tell it best)", approx_form},
    {"sigmoid-clamped", "numerics", "000:1, 004:sig",
     "sigma clamped: exactly 0 below z = -T and 1 above T, its derivative 0 there", NULL, "T",
     "grad, a |z| beyond T", clamp_at},
    {"sigma-prime-clipped", "activation derivatives", "000:4, 000:5, 004:sig",
     "sigma' as a (1 - a) with a clipped to [lo, 1 - lo] first", NULL, "lo", "grad, a saturated sigmoid", sp_clip},
    {"flat-spot", "activation derivatives", "000:4, 000:5, 004:sig",
     "a constant added to sigma': sigma'(z) + c, so that saturated units still learn", NULL, "c", "grad",
     flat_spot},
    {"label-smoothing", "numerics", "000:2, 004:cost",
     "the targets smoothed: y (1 - eps) + eps / n_L (eps / 2 for sigmoid outputs), in cost and gradient", NULL,
     "eps", "cost, grad", smooth_eps},
    {"float32", "precision", "-", "float32 arithmetic in a float64 build", NULL, "u",
     "errors spread like rounding over most entries of every quantity, within float32's bounds", NULL},
    {"float16", "precision", "-", "float16 (half precision) arithmetic in a float64 build", NULL, "u",
     "errors spread like rounding over most entries of every quantity, within 2^-11 relative", NULL},
    {"bfloat16", "precision", "-", "bfloat16 arithmetic (8 significant bits) in a float64 build", NULL, "u",
     "errors spread like rounding over most entries of every quantity, within 2^-8 relative", NULL},
    /* activations (the cases with their own activations, fixtures/activations.json) */
    {"sigmoid-prime-everywhere", "activations", "000:4, 000:5",
     "sigma' hard-coded in the backward pass where the layer's f' belongs (tanh, relu, ...)",
     "reference/quadratic.c ||| delta[j] = s * bp_act_prime(f, slope, z[j]); ||| delta[j] = s * bp_sigmoid_prime(z[j]);", NULL, "grad, a layer that is not sigmoid", NULL},
    {"relu-prime-at-zero-one", "activations", "000:5",
     "relu'(0) taken as 1 (z >= 0) where the convention is 0, the left derivative",
     "reference/activation.c ||| return z > 0.0 ? 1.0 : (z != z ? z : 0.0); /* relu'(0) = 0 */ ||| return z >= 0.0 ? 1.0 : (z != z ? z : 0.0);", NULL, "grad, a relu z exactly 0", NULL},
    {"leaky-slope-wrong-side", "activations", "000:1, 000:5",
     "leaky-relu's slope applied above 0 and 1 below: f(z) = z > 0 ? slope z : z",
     NULL, NULL, "cost, grad, a leaky-relu layer", NULL},
    {"activations-ignored", "activations", "000:1, 000:5",
     "model.activations ignored: the answer is the network's with sigmoid everywhere (softmax at a "
     "cross-entropy output), as an adapter written before activations existed gives; declare "
     "capabilities.activations at the hello, or answer unsupported for the layers it lacks (PROTOCOL.md)",
     NULL, NULL, "cost, grad, a layer that is not the model's own", NULL},
    /* softmax */
    {"diagonal-jacobian", "softmax", "004:1, 004:7",
     "the softmax Jacobian's diagonal only: delta_k = -y_k (1 - a_k)", NULL, NULL, "grad", NULL},
    /* single quantity */
    {"cost-no-half", "single quantity", "000:2",
     "only the cost wrong: the quadratic cost without its 1/2, ||y - a||^2", NULL, NULL, "cost", NULL},
    {"cost-mean-over-all", "single quantity", "000:2, 002:cost",
     "only the cost wrong: the total divided by m n_L, a mean over every entry of y", NULL, NULL, "cost", NULL},
    {"cost-mse", "single quantity", "000:2",
     "only the cost wrong: the mean squared error over every entry, sum (y - a)^2 / (m n_L)", NULL, NULL, "cost",
     NULL},
    {"cost-sign", "single quantity", "000:2, 001:2", "only the cost wrong: its sign flipped", NULL, NULL, "cost", NULL},
    {"one-wrong-entry", "single quantity", "000:7", "one wrong entry of dC/dW^1: an indexing bug", NULL, NULL, "grad", NULL},
    {"off-by-one-layer", "single quantity", "000:5",
     "the backward recursion stops before the first layer: dC/dW^1 and dC/db^1 are 0",
     "reference/quadratic.c ||| for (size_t l = L - 1; l >= 1; l--) { ||| for (size_t l = L - 1; l >= 2; l--) {", NULL, "grad", NULL},
};
const size_t bp_nbugs = sizeof bp_bugs / sizeof bp_bugs[0];

const char *bp_bug_describe(const bp_bug *b, char *buf, size_t len)
{
    snprintf(buf, len, "%s: %s (%s)", b->name, b->explain, b->equations);
    return buf;
}

const bp_bug *bp_bug_find(const char *name)
{
    for (size_t i = 0; i < bp_nbugs; i++)
        if (strcmp(bp_bugs[i].name, name) == 0)
            return &bp_bugs[i];
    return NULL;
}

/* ---- the buggy pass ---- */

typedef struct {
    const char *bug;
    int bits; /* every stored value rounded to this many significant bits (0: float64's own) */
    double v; /* a family's parameter (bp_bug_param) */
} pass_ctx;

/* Is the bug x's the one named? The first byte first (a literal's, known when compiled):
 * strcmp is called only for names that begin alike. The loops over weights below take their
 * answers once, before the loop: a strcmp per multiply-add was a quarter of a diagnosing
 * run's time. */
static inline int is(const pass_ctx *x, const char *name)
{
    return x->bug && x->bug[0] == name[0] && strcmp(x->bug, name) == 0;
}

/* every stored value rounded, for the lower precisions: float32 by the hardware; float16 and
 * bfloat16 to their significant bits (11, 8), nearest, their exponent range aside */
static double R(const pass_ctx *x, double v)
{
    if (x->bits == 24)
        return (double)(float)v;
    if (x->bits == 0 || !isfinite(v) || v == 0.0)
        return v;
    int e;
    frexp(v, &e);
    return ldexp(nearbyint(ldexp(v, x->bits - e)), e - x->bits);
}

/* the tables of lut-sigmoid (lut_table above): 1, step 1/16 on [-8, 8], linear; 2, genann's
 * (genann.c, genann_act_sigmoid_cached): 4096 entries sigma(-15 + 30 i / 4096), nearest,
 * the end entries outside [-15, 15) */
/* sigmoid-approx's forms (approx_form above) and their derivatives */
static double approx_sigmoid(double form, double z, int prime)
{
    if (form == 3.0) {
        double d = 1.0 + fabs(z);
        return prime ? 0.5 / (d * d) : 0.5 * (1.0 + z / d);
    }
    double k = form == 1.0 ? 0.2 : 1.0 / 6.0, v = k * z + 0.5;
    if (prime)
        return v > 0.0 && v < 1.0 ? k : 0.0;
    return fmin(fmax(v, 0.0), 1.0);
}

static double lut_sigmoid(double table, double z)
{
    if (table == 2.0) {
        const double lo = -15.0, hi = 15.0, size = 4096.0, interval = size / (hi - lo);
        if (z < lo)
            return bp_sigmoid(lo);
        double j = z >= hi ? size - 1.0 : floor((z - lo) * interval + 0.5);
        return bp_sigmoid(lo + (fmin(j, size - 1.0)) / interval);
    }
    double t = fmin(fmax(z, -8.0), 8.0) * 16.0, lo = floor(t);
    double s0 = bp_sigmoid(lo / 16.0), s1 = bp_sigmoid((lo + 1.0) / 16.0);
    return s0 + (t - lo) * (s1 - s0);
}

/* layer l's activation f (the bug models are stated for the sigmoid; another f is taken as
 * declared, with the bugs that make sense for it) */
static double act(const pass_ctx *x, const bp_model *P, bp_cost cost, size_t l, double z)
{
    bp_act f = bp_layer_act(P, cost, l);
    int hidden = l < P->L;
    if (f == BP_ACT_LEAKY_RELU && is(x, "leaky-slope-wrong-side"))
        return z > 0 ? P->slope * z : z;
    if (hidden && is(x, "tanh-hidden") && f != BP_ACT_TANH)
        return tanh(z);
    if (f != BP_ACT_SIGMOID)
        return bp_act_f(f, P->slope, z);
    if (hidden && is(x, "tanh-hidden"))
        return tanh(z);
    if (is(x, "lut-sigmoid"))
        return lut_sigmoid(x->v, z);
    if (is(x, "sigmoid-approx"))
        return approx_sigmoid(x->v, z, 0);
    if (is(x, "sigmoid-clamped") && fabs(z) > x->v)
        return z > 0 ? 1.0 : 0.0;
    return bp_sigmoid(z);
}

/* sigma' as the accepted class computes it: stably (0, the default), or as s (1 - s) from the
 * rounded s (1), which is exactly 0 where s rounds to 1; and in variant 1 a naive softmax's
 * cost from its a, not from z; bp_bug_variant */
static int naive_prime;

void bp_bug_variant(int v)
{
    naive_prime = v;
}

static double param_v = NAN;
static const bp_model *velocity;

void bp_bug_velocity(const bp_model *v)
{
    velocity = v;
}

void bp_bug_param(double v)
{
    param_v = v;
}

int bp_bug_continuous(const bp_bug *b)
{
    return b && b->values && b->values[0].v != 0.0 && b->values[1].v == 0.0;
}

double bp_bug_default(const bp_bug *b)
{
    return b && b->values ? b->values[0].v : 0.0;
}

static double sig_prime(double z)
{
    if (!naive_prime)
        return bp_sigmoid_prime(z);
    double s = bp_sigmoid(z);
    return s * (1.0 - s);
}

/* the derivative of the activation at layer l's z (or, for one bug, at its a) */
static double act_prime(const pass_ctx *x, const bp_model *P, bp_cost cost, size_t l, double z,
                        double a)
{
    bp_act f = bp_layer_act(P, cost, l);
    int hidden = l < P->L;
    int of_a = is(x, "sigma-prime-of-a") && (x->v == 3.0 || x->v == (hidden ? 1.0 : 2.0));
    if (hidden && is(x, "tanh-hidden") && f != BP_ACT_TANH)
        return 1.0 - a * a;
    if (hidden && is(x, "sigmoid-prime-everywhere"))
        return sig_prime(z);
    if (f == BP_ACT_RELU && is(x, "relu-prime-at-zero-one"))
        return z >= 0 ? 1.0 : 0.0;
    if (f == BP_ACT_LEAKY_RELU && is(x, "leaky-slope-wrong-side"))
        return z > 0 ? P->slope : 1.0;
    if (f != BP_ACT_SIGMOID || (!hidden && cost == BP_CROSS_ENTROPY))
        return bp_act_prime(f, P->slope, of_a ? a : z);
    if (hidden && is(x, "tanh-hidden"))
        return 1.0 - a * a;
    if (is(x, "lut-sigmoid"))
        return a * (1.0 - a);
    if (is(x, "sigmoid-approx"))
        return approx_sigmoid(x->v, z, 1);
    if (is(x, "sigma-prime-clipped")) {
        double ac = fmin(fmax(a, x->v), 1.0 - x->v);
        return ac * (1.0 - ac);
    }
    if (is(x, "sigmoid-clamped") && fabs(z) > x->v)
        return 0.0;
    if (is(x, "flat-spot"))
        return sig_prime(z) + x->v;
    if (of_a)
        return sig_prime(a);
    return sig_prime(z);
}

/* the cost of one sample's outputs */
static double sample_cost(const pass_ctx *x, bp_cost cost, const double *z, const double *a,
                          const double *y, size_t n)
{
    double C = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (cost == BP_QUADRATIC) {
            C += (is(x, "cost-no-half") || is(x, "cost-mse") ? 1.0 : 0.5) * (y[j] - a[j]) * (y[j] - a[j]);
        } else if (cost == BP_LOGLIK) {
            double h = a[j];
            if (is(x, "clipped-probabilities"))
                h = fmin(fmax(h, x->v), 1.0 - x->v);
            if (is(x, "log-eps"))
                C -= y[j] * log(h + x->v) + (1.0 - y[j]) * log(1.0 - h + x->v);
            else if (is(x, "sigmoid-approx")) /* from a, each ln clamped at -100 (torch's BCELoss) */
                C -= y[j] * fmax(log(h), -100.0) + (1.0 - y[j]) * fmax(log(1.0 - h), -100.0);
            else if (is(x, "ln-zero") || is(x, "clipped-probabilities") || is(x, "lut-sigmoid"))
                /* from a, as it must be where a is the table's */
                C -= y[j] * log(h) + (1.0 - y[j]) * log(1.0 - h);
            else /* -y ln sigma(z) - (1 - y) ln sigma(-z), stably */
                C += y[j] * (fmax(-z[j], 0.0) + log1p(exp(-fabs(z[j])))) +
                     (1.0 - y[j]) * (fmax(z[j], 0.0) + log1p(exp(-fabs(z[j]))));
        } else if (is(x, "ln-zero") || (is(x, "naive-softmax") && naive_prime)) {
            /* every output, as naive code sums y ln a (0 ln 0 is NaN); a naive softmax's cost
             * is that in the naive variant, and the stable one from z in the other */
            C -= y[j] * log(a[j]);
        } else if (y[j] != 0.0) {
            if (is(x, "clipped-probabilities")) {
                C -= y[j] * log(fmin(fmax(a[j], x->v), 1.0 - x->v));
            } else if (is(x, "log-eps")) {
                C -= y[j] * log(a[j] + x->v);
            } else {
                double M = z[0], s = 0.0;
                for (size_t i = 1; i < n; i++)
                    M = fmax(M, z[i]);
                for (size_t i = 0; i < n; i++)
                    s += exp(z[i] - M);
                C -= y[j] * (z[j] - M - log(s));
            }
        }
    }
    return C;
}

/* The pass with bug x over the whole batch at params P: cost, grad (reduced), trace. */
static void pass(const pass_ctx *x, const bp_case *c, const bp_model *P0, double *cost, bp_model *G,
                 bp_trace *t)
{
    const bp_batch *bt = c->batch;
    size_t L = P0->L, m = bt->m, NL = P0->n[L];
    bp_model *P = bp_model_alloc_like(P0, NULL);
    bp_model_copy(P, P0);
    if (is(x, "column-major")) /* W'[j][k] = W_flat[k J + j] */
        for (size_t l = 1; l <= L; l++) {
            size_t J = P->n[l], K = P->n[l - 1];
            for (size_t j = 0; j < J; j++)
                for (size_t k = 0; k < K; k++)
                    P->W[l][j * K + k] = P0->W[l][k * J + j];
        }
    for (size_t i = 0; i < P->nparams; i++)
        P->theta[i] = R(x, P->theta[i]);
    if (is(x, "activations-ignored")) /* an adapter that never reads model.activations */
        for (size_t l = 1; l <= L; l++)
            P->act[l] = BP_ACT_DEFAULT;
    int mean = c->red == BP_MEAN;
    if (is(x, "sum-for-mean"))
        mean = 0;
    if (is(x, "mean-for-sum"))
        mean = 1;
    /* forward */
    for (size_t i = 0; i < m * P->n[0]; i++)
        t->a[0][i] = R(x, is(x, "activation-on-input") ? bp_sigmoid(bt->x[i]) : bt->x[i]);
    for (size_t l = 1; l <= L; l++) {
        size_t J = P->n[l], K = P->n[l - 1];
        for (size_t p = 0; p < m; p++) {
            double *z = t->z[l] + p * J, *a = t->a[l] + p * J;
            for (size_t j = 0; j < J; j++) {
                double s = P->b[l][j];
                for (size_t k = 0; k < K; k++)
                    s += P->W[l][j * K + k] * t->a[l - 1][p * K + k];
                z[j] = R(x, s);
            }
            if (l == L && c->cost == BP_CROSS_ENTROPY) {
                double M = is(x, "naive-softmax") ? 0.0 : z[0], s = 0.0;
                for (size_t j = 1; j < J && !is(x, "naive-softmax"); j++)
                    M = fmax(M, z[j]);
                for (size_t j = 0; j < J; j++)
                    s += (a[j] = exp(z[j] - M));
                for (size_t j = 0; j < J; j++)
                    a[j] = R(x, a[j] / s);
            } else {
                for (size_t j = 0; j < J; j++)
                    a[j] = R(x, act(x, P, c->cost, l, z[j]));
            }
        }
    }
    /* the cost, and delta^L */
    double C = 0.0;
    for (size_t p = 0; p < m; p++) {
        const double *y = bt->y + p * NL, *z = t->z[L] + p * NL, *a = t->a[L] + p * NL;
        double *d = t->delta[L] + p * NL;
        C += sample_cost(x, c->cost, z, a, y, NL);
        double sy = 0.0;
        for (size_t j = 0; j < NL; j++)
            sy += y[j];
        for (size_t j = 0; j < NL; j++) {
            double e;
            if (c->cost == BP_QUADRATIC) {
                e = (a[j] - y[j]) * (is(x, "factor-2") ? 2.0 : 1.0);
                if (!is(x, "no-sigma-prime-output") && !is(x, "no-sigma-prime"))
                    e *= act_prime(x, P, c->cost, L, z[j], a[j]);
            } else if (c->cost == BP_CROSS_ENTROPY && is(x, "diagonal-jacobian")) {
                e = -y[j] * (1.0 - a[j]);
            } else {
                e = c->cost == BP_CROSS_ENTROPY ? a[j] * sy - y[j] : a[j] - y[j];
                if (is(x, "sigma-prime-on-top"))
                    e *= a[j] * (1.0 - a[j]);
            }
            d[j] = R(x, is(x, "sign-flipped") ? -e : e);
        }
    }
    /* backward, layer by layer over the batch: dC/dW^l, dC/db^l, then delta^{l-1} */
    double scale = mean ? 1.0 / (double)m : 1.0;
    if (is(x, "mean-over-outputs"))
        scale /= (double)NL, C /= (double)NL;
    bp_model_zero(G);
    const int last_sample = is(x, "bias-last-sample"), z_for_a = is(x, "z-for-a"),
              wrong_layer = is(x, "wrong-layer-activations"), not_transposed = is(x, "w-not-transposed"),
              prime_above = is(x, "sigma-prime-layer-above"),
              no_prime_hidden = is(x, "no-sigma-prime-hidden") || is(x, "no-sigma-prime") || prime_above;
    for (size_t l = L; l >= 1; l--) {
        size_t J = P->n[l], K = P->n[l - 1];
        int bias_scale_m = is(x, "bias-not-over-m") && mean;
        for (size_t j = 0; j < J; j++) {
            double gb = 0.0;
            for (size_t p = 0; p < m; p++) {
                double dj = t->delta[l][p * J + j];
                gb = last_sample ? dj : gb + dj;
                for (size_t k = 0; k < K; k++) {
                    double ak = z_for_a && l > 1          ? t->z[l - 1][p * K + k]
                                : wrong_layer && l == L ? t->a[l][p * J + k]
                                                        : t->a[l - 1][p * K + k];
                    G->W[l][j * K + k] += dj * ak;
                }
            }
            G->b[l][j] = gb * (bias_scale_m ? 1.0 : scale) * (is(x, "bias-sign") ? -1.0 : 1.0);
            for (size_t k = 0; k < K; k++)
                G->W[l][j * K + k] = R(x, G->W[l][j * K + k] * scale);
        }
        if (is(x, "params-changed-during-backprop")) /* W^l stepped before delta^{l-1} uses it */
            for (size_t i = 0; i < J * K; i++)
                P->W[l][i] -= c->eta * G->W[l][i];
        if (l == 1)
            break;
        int skip = is(x, "off-by-one-layer") && l == 2;
        for (size_t p = 0; p < m; p++)
            for (size_t k = 0; k < K; k++) {
                double s = 0.0;
                for (size_t j = 0; j < J; j++) {
                    double w = not_transposed ? P->W[l][k * K + j] : P->W[l][j * K + k];
                    double dj = t->delta[l][p * J + j];
                    if (prime_above)
                        dj *= act_prime(x, P, c->cost, l, t->z[l][p * J + j], t->a[l][p * J + j]);
                    s += w * dj;
                }
                double zk = t->z[l - 1][p * K + k], ak = t->a[l - 1][p * K + k];
                double sp = no_prime_hidden ? 1.0 : act_prime(x, P, c->cost, l - 1, zk, ak);
                t->delta[l - 1][p * K + k] = skip ? 0.0 : R(x, s * sp);
            }
    }
    if (is(x, "grad-sum-cost-mean") && c->red == BP_MEAN)
        for (size_t i = 0; i < G->nparams; i++)
            G->theta[i] *= (double)m;
    if (is(x, "off-by-one-layer") && L >= 2) {
        memset(G->W[1], 0, P->n[1] * P->n[0] * sizeof(double));
        memset(G->b[1], 0, P->n[1] * sizeof(double));
    }
    *cost = C * (mean && !is(x, "cost-sum-grad-mean") ? 1.0 / (double)m : 1.0) *
            (is(x, "cost-sign") ? -1.0 : 1.0);
    if (is(x, "cost-mean-over-all") || (is(x, "cost-mse") && c->cost == BP_QUADRATIC)) /* over every y_j */
        *cost = C / ((double)m * (double)NL);
    if (is(x, "column-major")) /* written back column by column */
        for (size_t l = 1; l <= L; l++) {
            size_t J = P->n[l], K = P->n[l - 1];
            double *g = malloc(J * K * sizeof *g);
            memcpy(g, G->W[l], J * K * sizeof *g);
            for (size_t j = 0; j < J; j++)
                for (size_t k = 0; k < K; k++)
                    G->W[l][k * J + j] = g[j * K + k];
            free(g);
        }
    bp_model_free(P);
}

/* the batch with its targets smoothed by eps: y (1 - eps) + eps / n_L, or eps / 2 for
 * sigmoid outputs (each a two-class problem of its own) */
static bp_batch *smoothed(const bp_case *c, double eps)
{
    const bp_batch *b = c->batch;
    bp_batch *s = bp_batch_alloc(b->m, b->n_in, b->n_out, NULL);
    if (!s)
        return NULL;
    memcpy(s->x, b->x, b->m * b->n_in * sizeof(double));
    double k = c->cost == BP_CROSS_ENTROPY ? (double)b->n_out : 2.0;
    for (size_t i = 0; i < b->m * b->n_out; i++)
        s->y[i] = b->y[i] * (1.0 - eps) + eps / k;
    return s;
}

/* the gradient's post-processing models: an L2 penalty's derivative added, clipping by norm
 * (torch.nn.utils.clip_grad_norm_: every entry times max_norm / (||g|| + 1e-6) when that is
 * below 1) or by value */
static void clip_or_penalise(const pass_ctx *x, const bp_model *P, bp_model *G)
{
    if (is(x, "l2-in-gradient"))
        for (size_t l = 1; l <= P->L; l++)
            for (size_t i = 0; i < P->n[l] * P->n[l - 1]; i++)
                G->W[l][i] += x->v * P->W[l][i];
    if (is(x, "clip-by-norm")) {
        double ss = 0.0;
        for (size_t i = 0; i < G->nparams; i++)
            ss += G->theta[i] * G->theta[i];
        double k = x->v / (sqrt(ss) + 1e-6);
        for (size_t i = 0; k < 1.0 && i < G->nparams; i++)
            G->theta[i] *= k;
    }
    if (is(x, "clip-by-value"))
        for (size_t i = 0; i < G->nparams; i++)
            G->theta[i] = fmin(fmax(G->theta[i], -x->v), x->v);
}

static int finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int bp_bug_eval(const bp_bug *b, const bp_case *c, const bp_case *prev, double *cost,
                bp_model *grad, bp_model *step, bp_trace *t, bp_error *err)
{
    int bits = !b ? 0 : strcmp(b->name, "float32") == 0 ? 24 : strcmp(b->name, "float16") == 0 ? 11
                      : strcmp(b->name, "bfloat16") == 0 ? 8 : 0;
    pass_ctx x = {b ? b->name : NULL, bits, isnan(param_v) ? bp_bug_default(b) : param_v};
    const bp_model *P = c->params;
    size_t L = P->L;
    if (is(&x, "w-not-transposed"))
        for (size_t l = 2; l <= L; l++)
            if (P->n[l] != P->n[l - 1]) {
                bp_fail(err, "W^%zu is %zu x %zu: its untransposed product does not conform", l, P->n[l],
                        P->n[l - 1]);
                return 1;
            }
    if (is(&x, "wrong-layer-activations") && P->n[L] != P->n[L - 1]) {
        bp_fail(err, "dC/dW^L with a^L is %zu x %zu, not %zu x %zu", P->n[L], P->n[L], P->n[L], P->n[L - 1]);
        return 1;
    }
    bp_model *stale = NULL; /* the previous request's gradient, where its shapes fit */
    if (is(&x, "stale") && prev) { /* the first request: nothing kept */
        if (!bp_model_same_shape(prev->params, P)) {
            bp_fail(err, "the previous request's gradient has other shapes");
            return 1;
        }
        double c0;
        bp_trace *t0 = bp_trace_alloc(prev->params, prev->batch->m, NULL);
        bp_model *s0 = bp_model_alloc_like(P, NULL);
        stale = bp_model_alloc_like(P, NULL);
        bp_bug_eval(NULL, prev, NULL, &c0, stale, s0, t0, err);
        bp_trace_free(t0), bp_model_free(s0);
    }
    bp_batch *smooth = is(&x, "label-smoothing") ? smoothed(c, x.v) : NULL;
    bp_case sc = *c;
    sc.batch = smooth ? smooth : c->batch;
    pass(&x, &sc, P, cost, grad, t);
    bp_batch_free(smooth);
    if (stale) {
        bp_model_copy(grad, stale);
        bp_model_free(stale);
    }
    clip_or_penalise(&x, P, grad);
    /* the step: theta - eta g, unless the model changes it */
    double eta = c->eta, m = (double)c->batch->m;
    int mean = c->red == BP_MEAN;
    if (is(&x, "step-added"))
        eta = -eta;
    if (is(&x, "eta-not-over-m") && mean)
        eta *= m;
    if (is(&x, "eta-over-m-twice") && mean)
        eta /= m;
    bp_model *g = grad;
    bp_model *right = NULL; /* the step follows the right gradient where only the layout is wrong */
    if (is(&x, "transposed-grad")) {
        right = bp_model_alloc_like(P, NULL);
        bp_model_copy(right, grad);
        g = right;
    }
    if (is(&x, "one-wrong-entry")) { /* an indexing bug: the step takes the wrong entry too */
        double gmax = 0.0;
        for (size_t i = 0; i < P->n[1] * P->n[0]; i++)
            gmax = fmax(gmax, fabs(grad->W[1][i]));
        grad->W[1][0] += 1e-3 * (gmax > 0 ? gmax : 1.0);
    }
    for (size_t i = 0; i < P->nparams; i++)
        step->theta[i] = is(&x, "step-not-taken") ? P->theta[i] : P->theta[i] - eta * g->theta[i];
    if (is(&x, "weight-decay"))
        for (size_t l = 1; l <= L; l++)
            for (size_t i = 0; i < P->n[l] * P->n[l - 1]; i++)
                step->W[l][i] -= eta * x.v * P->W[l][i];
    if (is(&x, "momentum") && velocity && bp_model_same_shape(velocity, P))
        for (size_t i = 0; i < P->nparams; i++)
            step->theta[i] -= eta * x.v * velocity->theta[i];
    if (is(&x, "sequential-steps")) { /* m steps of one sample each, eta / m under the mean */
        bp_case one = *c;
        bp_batch *b1 = bp_batch_alloc(1, c->batch->n_in, c->batch->n_out, NULL);
        bp_model *w = bp_model_alloc_like(P, NULL), *g1 = bp_model_alloc_like(P, NULL);
        bp_trace *t1 = bp_trace_alloc(P, 1, NULL);
        bp_model_copy(w, P);
        bp_model_zero(grad);
        one.batch = b1, one.red = BP_SUM;
        for (size_t p = 0; p < c->batch->m; p++) {
            memcpy(b1->x, c->batch->x + p * b1->n_in, b1->n_in * sizeof(double));
            memcpy(b1->y, c->batch->y + p * b1->n_out, b1->n_out * sizeof(double));
            double c1;
            pass_ctx none = {NULL, 0, 0.0};
            pass(&none, &one, w, &c1, g1, t1);
            for (size_t i = 0; i < P->nparams; i++) {
                double gi = g1->theta[i] / (mean ? m : 1.0);
                grad->theta[i] += gi;
                w->theta[i] -= c->eta * gi;
            }
        }
        bp_model_copy(step, w);
        bp_model_free(w), bp_model_free(g1), bp_trace_free(t1), bp_batch_free(b1);
    }
    if (is(&x, "transposed-grad")) /* laid out K x J, read back in order as J x K */
        for (size_t l = 1; l <= L; l++) {
            size_t J = P->n[l], K = P->n[l - 1];
            for (size_t i = 0; i < J * K; i++)
                grad->W[l][i] = right->W[l][(i % J) * K + i / J];
        }
    bp_model_free(right);
    if (x.bits) { /* what a lower-precision implementation prints: numbers of its own */
        *cost = R(&x, *cost);
        for (size_t i = 0; i < P->nparams; i++)
            grad->theta[i] = R(&x, grad->theta[i]), step->theta[i] = R(&x, step->theta[i]);
    }
    int finite = isfinite(*cost) && finite_all(grad->theta, P->nparams) && finite_all(step->theta, P->nparams);
    for (size_t l = 1; l <= L; l++) {
        size_t n = c->batch->m * P->n[l];
        finite = finite && finite_all(t->z[l], n) && finite_all(t->a[l], n) && finite_all(t->delta[l], n);
    }
    return finite ? 0 : 2;
}
