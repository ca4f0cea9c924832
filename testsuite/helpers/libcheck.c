/* testsuite/helpers/libcheck.c MODE [ARGS]: libbpcheck's in-process API (lib/bpcheck.h) called
 * as a user's test program would, with implementations right and wrong; t/lib runs it and
 * checks its TAP and exit status. Each bpc_* call prints its own TAP document, hence a
 * program apart rather than calls inside a test.
 *   gradcheck GOOD|WRONG|UNSUPPORTED|COSTFAIL  bpc_gradcheck on a 3-4-2 tanh network
 *   gradcheck-noimpl | gradcheck-badnet        unusable arguments
 *   fixture-for PATH [ACTIVATIONS]             bpc_fixture_for
 *   conform GOOD|NANTRACE|STEPFAIL FIXTURES    bpc_conform with the step and trace callbacks
 *   conform-noimpl | conform-impl FIXTURES     unusable arguments */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bpcheck.h"
#include "train.h"

/* the reference's own gradient, the right answer; ctx says how to spoil it */
static int gradient(const bp_case *c, double *cost, bp_model *grad, void *ctx, bp_error *err)
{
    const char *how = ctx;
    static int calls;
    if (strcmp(how, "UNSUPPORTED") == 0) {
        bp_fail(err, "no such model here");
        return BPC_UNSUPPORTED;
    }
    if (strcmp(how, "COSTFAIL") == 0 && calls++ > 0) /* the first call (the gradient) only */
        return bp_fail(err, "the cost alone is not implemented");
    if (bp_gradient(c->cost, grad, cost, NULL, c->params, c->batch, c->red, err))
        return -1;
    if (strcmp(how, "WRONG") == 0)
        grad->b[1][0] *= 2;
    return 0;
}

static int step(const bp_case *c, const bp_model *grad, bp_model *out, void *ctx, bp_error *err)
{
    if (strcmp(ctx, "STEPFAIL") == 0)
        return bp_fail(err, "the step is broken");
    bp_model_step(out, c->params, grad, c->eta);
    return 0;
}

static int trace(const bp_case *c, bp_trace *t, void *ctx, bp_error *err)
{
    bp_model *g = bp_model_alloc_like(c->params, err);
    double cost;
    int rc = !g || bp_gradient(c->cost, g, &cost, t, c->params, c->batch, c->red, err);
    bp_model_free(g);
    if (!rc && strcmp(ctx, "NANTRACE") == 0)
        t->delta[1][0] = NAN;
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : "GOOD";
    bpc_net net = {BP_QUADRATIC, "3,4,2", "tanh,sigmoid", 3, BP_SUM, 5};
    bpc_impl impl = {gradient, step, trace, (void *)arg};
    if (strcmp(mode, "gradcheck") == 0)
        return bpc_gradcheck(&impl, &net);
    if (strcmp(mode, "gradcheck-noimpl") == 0)
        return bpc_gradcheck(NULL, &net);
    if (strcmp(mode, "gradcheck-badnet") == 0) {
        bpc_net bad = net;
        bad.batch = 0;
        return bpc_gradcheck(&impl, &bad);
    }
    if (strcmp(mode, "fixture-for") == 0 && argc > 2) {
        net.activations = argc > 3 ? argv[3] : NULL;
        return bpc_fixture_for(&net, argv[2]);
    }
    if (strcmp(mode, "conform") == 0 && argc > 3) {
        impl.ctx = argv[2];
        char *args[] = {"conform", "--fixtures", argv[3], "--deep", NULL};
        return bpc_conform(&impl, 4, args);
    }
    if (strcmp(mode, "conform-noimpl") == 0 && argc > 2) {
        char *args[] = {"conform", "--fixtures", argv[2], NULL};
        return bpc_conform(NULL, 3, args);
    }
    if (strcmp(mode, "conform-impl") == 0 && argc > 2) {
        char *args[] = {"conform", "--fixtures", argv[2], "--impl", "true", NULL};
        return bpc_conform(&impl, 5, args);
    }
    fprintf(stderr, "usage: libcheck MODE [ARGS] (see the source)\n");
    return 64;
}
