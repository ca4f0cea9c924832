/* reference/activation.c: the sigmoid and its derivative (activation.h). */
#include "activation.h"

#include <math.h>

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
