/* reference/activation.h: the sigmoid and its derivative, shared by every derivation. */
#ifndef BPCHECK_ACTIVATION_H
#define BPCHECK_ACTIVATION_H

/* sigma(z) = 1 / (1 + e^{-z}), evaluated so that e^{-z} never overflows. */
double bp_sigmoid(double z);

/* sigma'(z) = sigma(z) (1 - sigma(z)) (003:sig, 004:sig), computed as sigma(z) sigma(-z). */
double bp_sigmoid_prime(double z);

#endif
