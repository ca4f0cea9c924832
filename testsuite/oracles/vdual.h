/* testsuite/oracles/vdual.h: dual numbers in vector mode for or_gradient (oracle.c): every
 * parameter of one neuron its own tangent lane, the lanes of one value contiguous arrays. */
#ifndef BPCHECK_VDUAL_H
#define BPCHECK_VDUAL_H

#include <stddef.h>

#include "model.h"

/* g[i] = dC/dtheta_i for every parameter by forward-mode dual numbers, from the real forward
 * pass in cache (oracle.c's forward_cache): each lane runs or_dual's very operations on its own
 * seed, so every derivative equals or_cost_dual's one at a time, to the last bit (t/gradcheck).
 * *evals += the parameters done. 0, or -1 with err set (out of memory). */
int or_vdual_gradient(double *g, size_t *evals, bp_cost model, const bp_model *params,
                      const bp_batch *b, const bp_trace *cache, bp_reduction red, bp_error *err);

#endif
