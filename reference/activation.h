/* reference/activation.h: the activation functions a layer may use, and their derivatives,
 * one neuron at a time (README "Activations").
 *
 * Every document uses the sigmoid; 000 and 001 state backpropagation for a general activation
 * f (000:4 and 000:5 with sigma' read as f', 001:9 with f'), so the literal references take f
 * per layer. The derivative at a kink is the left derivative, stated once here and used by
 * every part of bpcheck (reference, oracles, exact model, tolerances):
 *   relu'(0) = 0, leaky-relu'(0) = slope.
 * softmax is an output activation only: it is not elementwise, and softmax_ce.c and the
 * cross-entropy model handle it with its Jacobian (004:10). */
#ifndef BPCHECK_ACTIVATION_H
#define BPCHECK_ACTIVATION_H

typedef enum {
    BP_ACT_DEFAULT,    /* the model's own: sigmoid, and softmax at a cross-entropy output */
    BP_ACT_SIGMOID,    /* 1 / (1 + e^{-z}) */
    BP_ACT_TANH,       /* tanh z */
    BP_ACT_RELU,       /* max(z, 0); relu'(0) = 0 */
    BP_ACT_LEAKY_RELU, /* z > 0 ? z : slope z; its derivative at 0 is slope */
    BP_ACT_IDENTITY,   /* z */
    BP_ACT_SOFTMAX,    /* e^{z_j} / sum_i e^{z_i}, output layer only */
    BP_NACTS
} bp_act;

#define BP_LEAKY_SLOPE 0.01 /* the slope of leaky-relu when none is given */

/* "sigmoid", "tanh", "relu", "leaky-relu", "identity", "softmax" ("default" for the default) */
const char *bp_act_name(bp_act f);
/* The activation named s, or BP_NACTS if there is none. */
bp_act bp_act_lookup(const char *s);

/* sigma(z) = 1 / (1 + e^{-z}), evaluated so that e^{-z} never overflows. */
double bp_sigmoid(double z);

/* sigma'(z) = sigma(z) (1 - sigma(z)) (003:sig, 004:sig), computed as sigma(z) sigma(-z). */
double bp_sigmoid_prime(double z);

/* f(z) and f'(z) for an elementwise activation f (not softmax, not default); slope is the
 * leaky-relu's and is ignored by the others. */
double bp_act_f(bp_act f, double slope, double z);
double bp_act_prime(bp_act f, double slope, double z);

#endif
