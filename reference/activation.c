/* reference/activation.c: the activations and their derivatives (activation.h). */
#include "activation.h"

#include <math.h>
#include <string.h>

static const char *const names[BP_NACTS] = {"default",    "sigmoid",  "tanh",   "relu",
                                            "leaky-relu", "identity", "softmax"};

const char *bp_act_name(bp_act f) { return f < BP_NACTS ? names[f] : "?"; }

bp_act bp_act_lookup(const char *s)
{
    for (int i = 0; i < BP_NACTS; i++)
        if (strcmp(s, names[i]) == 0)
            return (bp_act)i;
    return BP_NACTS;
}

double bp_sigmoid(double z)
{
    /* For z < 0, e^{-z} overflows once z < -709.78; e^{z} / (1 + e^{z}) is the same value and
     * underflows gracefully instead. Both branches are correct to a few ulps. */
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

double bp_sigmoid_prime(double z)
{
    /* 1 - sigma(z) == sigma(-z) exactly in real arithmetic, but in doubles 1 - sigma(z)
     * cancels: at z = 40, sigma(z) rounds to 1 and the textbook sigma(1 - sigma) is 0 while the
     * true value is 4.2e-18. sigma(z) * sigma(-z) keeps full relative accuracy for all z. */
    return bp_sigmoid(z) * bp_sigmoid(-z);
}

double bp_act_f(bp_act f, double slope, double z)
{
    switch (f) {
    case BP_ACT_TANH:
        return tanh(z);
    case BP_ACT_RELU:
        /* max(z, 0); written as a comparison so that relu(-0) = 0 and NaN stays NaN */
        return z > 0.0 ? z : (z != z ? z : 0.0);
    case BP_ACT_LEAKY_RELU:
        return z > 0.0 ? z : slope * z;
    case BP_ACT_IDENTITY:
        return z;
    default:
        return bp_sigmoid(z);
    }
}

double bp_act_prime(bp_act f, double slope, double z)
{
    switch (f) {
    case BP_ACT_TANH: {
        /* 1 - tanh^2 z cancels where |tanh z| ~ 1 (at z = 20 it is 0, the true value 1.7e-17);
         * sech^2 z = 4 e^{-2|z|} / (1 + e^{-2|z|})^2 keeps full relative accuracy */
        double e = exp(-2.0 * fabs(z));
        return 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    case BP_ACT_RELU:
        return z > 0.0 ? 1.0 : (z != z ? z : 0.0); /* relu'(0) = 0 */
    case BP_ACT_LEAKY_RELU:
        return z > 0.0 ? 1.0 : (z != z ? z : slope); /* leaky'(0) = slope */
    case BP_ACT_IDENTITY:
        return 1.0;
    default:
        return bp_sigmoid_prime(z);
    }
}
