/* bpcheck.h: libbpcheck, the conformance suite in-process (bpcheck(3)).
 *
 * Installed as <bpcheck/bpcheck.h>; build with
 *     cc my_test.c $(pkg-config --cflags --libs bpcheck)
 *
 * A C or C++ project checks its own backward pass without the subprocess protocol: it gives
 * callbacks that compute, for one case (a model, its parameters and a batch, in the canonical
 * layout of model.h), the cost and the gradient, and optionally the SGD step and the per-layer
 * z, a and delta. libbpcheck runs them on the exact golden fixtures (the bundled ones, a file
 * `bpcheck fixtures` wrote, or a case generated in-process) and against the gradient oracles,
 * judges every value by its derived per-entry bound, names the likely bug of a failure, and
 * prints TAP on standard output for prove or any TAP harness.
 *
 * The types come from the headers beside this one:
 *   model.h    bp_model (the parameters W^l, b^l, one allocation theta), bp_batch, bp_trace,
 *              bp_cost, bp_reduction, bp_error, and the activations (activation.h);
 *   fixture.h  bp_case (one case: id, cost, reduction, params, batch, eta, expected values,
 *              bounds), bp_fixture, bp_fixture_set and their loaders;
 *   generate.h bp_gen_spec and bp_gen_case: an exact case for any architecture.
 * Conventions: W^l is n_l x n_{l-1} row-major, W^l[j][k] = W[l][j * n_{l-1} + k] joins neuron
 * k of layer l-1 to neuron j of layer l; a batch has one row per sample; the cost is reduced
 * over the batch by sum or mean as the case says (README "Conventions").
 */
#ifndef BPCHECK_BPCHECK_H
#define BPCHECK_BPCHECK_H

#include "fixture.h"
#include "generate.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BPC_VERSION "0.1.0"

/* What a callback returns: 0 done; BPC_UNSUPPORTED when the implementation does not handle
 * this case (an activation, a model, a batch size it lacks; the case is a SKIP, never a pass,
 * with err->msg as the reason); -1 on an error (err->msg says what; the case fails). */
#define BPC_UNSUPPORTED 1

/* The implementation under test. gradient is required; step and trace may be NULL, and what
 * they would give is then not checked. Each callback gets the case read-only (c->params,
 * c->batch, c->cost, c->red, c->eta, and the layers' activations in c->params->act) and
 * output storage already shaped like the case (grad and step like c->params; t with z, a and
 * delta for layers 1..L, m rows of n_l each). ctx is passed through. */
typedef struct {
    /* the reduced cost of the batch into *cost, dC/dW and dC/db into grad */
    int (*gradient)(const bp_case *c, double *cost, bp_model *grad, void *ctx, bp_error *err);
    /* params - eta * grad into step, grad being what gradient just returned */
    int (*step)(const bp_case *c, const bp_model *grad, bp_model *step, void *ctx, bp_error *err);
    /* z^l, a^l and delta^l = dC_x/dz^l (per sample, NOT reduced) for l = 1..L into t */
    int (*trace)(const bp_case *c, bp_trace *t, void *ctx, bp_error *err);
    void *ctx;
} bpc_impl;

/* Run impl on fixtures, exactly as `bpcheck conform` runs a program: argv holds conform's
 * options (argv[0] is ignored, argc may be 0): --fixtures PATH (a directory of *.json or one
 * file; default $BPCHECK_FIXTURES, else ./fixtures holding bpcheck fixtures, else the
 * installed set), --only GLOB,
 * --deep, --profile float64|float32, --rtol, --atol, --xfail FILE, --junit FILE,
 * --format tap|json; --impl, --timeout and --max-response do not apply. Prints one TAP
 * document on standard output: a point per case, a YAML block under each failure (the
 * entry, got, expected, bound, evidence, where the pass first goes wrong, the likely bug),
 * and the closing line 'N passed, N failed, N skipped'. Returns 0 when every case passes, 1
 * on a failure, 2 on a usage error or unusable fixtures. */
int bpc_conform(const bpc_impl *impl, int argc, char **argv);

/* A network for bpc_gradcheck: the model, sizes "n_0,...,n_L", activations (NULL: the
 * model's own; else as `bpcheck fixtures --activations`), batch size, reduction and seed of
 * the random parameters and batch. */
typedef struct {
    bp_cost cost;
    const char *sizes, *activations;
    size_t batch;
    bp_reduction red;
    unsigned long seed;
} bpc_net;

/* impl's gradient on a random network against three oracles, one TAP document of three
 * points: the complex step and dual numbers of the exact model (its own forward pass in
 * complex and dual arithmetic), and central differences of impl's OWN cost (entries whose
 * stencil crosses a relu kink are left out and counted). The criterion is that of `bpcheck
 * gradcheck`. Returns 0 when all pass, 1 when one fails, 2 on an unusable net. */
int bpc_gradcheck(const bpc_impl *impl, const bpc_net *net);

/* An exact case for net (as `bpcheck fixtures` writes it, regime typical, eta 0.5) written to
 * path as a fixture file that bpc_conform's --fixtures takes. Returns 0, or 2 with a message
 * on standard error. */
int bpc_fixture_for(const bpc_net *net, const char *path);

#ifdef __cplusplus
}
#endif

#endif
