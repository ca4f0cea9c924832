/* testsuite/lib/libbpcheck.c: libbpcheck's in-process checks (bpcheck.h): the gradient
 * oracles on a user's implementation, and an exact fixture for a network. bpc_conform, the
 * fixture run, is in conform.c beside `bpcheck conform`, whose judge it shares. */
#define _POSIX_C_SOURCE 200809L
#include "bpcheck.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "gradcheck.h"
#include "mpref.h"
#include "oracle.h"
#include "tap.h"

/* The network of net, with its random parameters and batch (as `bpcheck gradcheck` draws
 * them), into c's params and batch. Non-zero with err on an unusable net. */
static int net_case(bp_case *c, const bpc_net *net, bp_error *err)
{
    size_t L, n[BP_MAX_LAYERS + 1];
    memset(c, 0, sizeof *c);
    if (!net || !net->sizes)
        return bp_fail(err, "net: no sizes");
    if (bp_sizes_parse(net->sizes, &L, n, err))
        return -1;
    if (net->batch < 1 || net->batch > BP_MAX_BATCH)
        return bp_fail(err, "net: batch %zu; expected 1 to %u", net->batch, BP_MAX_BATCH);
    c->id = strdup("bpc_gradcheck");
    c->cost = net->cost, c->red = net->red, c->eta = 0.5;
    if (!(c->params = bp_model_alloc(L, n, err)) ||
        (net->activations && bp_acts_parse(net->activations, c->params, err)) ||
        bp_acts_check(c->params, net->cost, err) ||
        bp_model_init_seed(c->params, net->seed, err) ||
        !(c->batch = bp_batch_alloc(net->batch, n[0], n[L], err)))
        return -1;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return bp_fail(err, "out of memory");
    gsl_rng_set(rng, net->seed + 1);
    bp_batch_fill(c->batch, rng);
    gsl_rng_free(rng);
    if (net->cost == BP_CROSS_ENTROPY) /* each row of targets sums to 1 */
        for (size_t p = 0; p < net->batch; p++) {
            double s = 0.0;
            for (size_t j = 0; j < n[L]; j++)
                s += c->batch->y[p * n[L] + j];
            for (size_t j = 0; j < n[L]; j++)
                c->batch->y[p * n[L] + j] /= s;
        }
    return 0;
}

typedef struct {
    const bpc_impl *impl;
    bp_case *c;         /* params replaced by work while a cost is asked for */
    bp_model *work, *g; /* the perturbed parameters; the gradient they give */
    int failed;
    char why[512];
} cost_ctx;

/* impl's own cost at theta */
static double impl_cost(const double *theta, void *p)
{
    cost_ctx *x = p;
    bp_model *keep = x->c->params;
    bp_model_set(x->work, theta);
    x->c->params = x->work;
    double cost = NAN;
    bp_error err = {""};
    int rc = x->impl->gradient(x->c, &cost, x->g, x->impl->ctx, &err);
    x->c->params = keep;
    if (rc && !x->failed)
        x->failed = 1, snprintf(x->why, sizeof x->why, "%s", err.msg);
    return rc ? NAN : cost;
}

int bpc_gradcheck(const bpc_impl *impl, const bpc_net *net)
{
    bp_case c;
    bp_error err = {""};
    if (!impl || !impl->gradient) {
        fprintf(stderr, "bpc_gradcheck: the implementation has no gradient callback\n");
        return 2;
    }
    if (net_case(&c, net, &err)) {
        fprintf(stderr, "bpc_gradcheck: %s\n", err.msg);
        bp_case_clear(&c);
        return 2;
    }
    size_t P = c.params->nparams;
    bp_model *g = bp_model_alloc_like(c.params, &err);
    cost_ctx x = {impl, &c, bp_model_alloc_like(c.params, &err), bp_model_alloc_like(c.params, &err), 0, ""};
    double *r = malloc(P * sizeof *r), *e = malloc(P * sizeof *e), cost = NAN;
    unsigned char *kink = malloc(P);
    if (!g || !x.work || !x.g || !r || !e || !kink) {
        fprintf(stderr, "bpc_gradcheck: out of memory\n");
        bp_model_free(g), bp_model_free(x.work), bp_model_free(x.g);
        free(r), free(e), free(kink), bp_case_clear(&c);
        return 2;
    }
    char sizes[128];
    bp_sizes_format(c.params, sizes, sizeof sizes);
    int rc = impl->gradient(&c, &cost, g, impl->ctx, &err);
    tap_note("bpc_gradcheck: %s %s, batch %zu (%s), seed %lu: %zu parameters", bp_cost_name(c.cost),
             sizes, c.batch->m, bp_reduction_name(c.red), net->seed, P);
    if (rc) {
        tap_ok(0, "the implementation gives a gradient (%s: %s)",
               rc == BPC_UNSUPPORTED ? "unsupported" : "error", err.msg);
    } else {
        double rho = gc_rho(c.params, c.batch->m);
        static const or_method exact[] = {OR_COMPLEX, OR_DUAL};
        for (int k = 0; k < 2; k++) {
            gc_report rep;
            gc_report_init(&rep, or_method_name(exact[k]));
            if (or_gradient(exact[k], r, NULL, NULL, c.cost, c.params, c.batch, c.red, OR_VECTOR,
                            &err)) {
                tap_ok(0, "%s oracle: %s", or_method_name(exact[k]), err.msg);
                continue;
            }
            gc_judge_exact(&rep, c.params, g->theta, r, rho);
            char name[64];
            if (!tap_ok(rep.pass, "the gradient agrees with the %s oracle of the exact model (max rel "
                        "err %.3g, normwise per tensor)", or_method_name(exact[k]), rep.max_rel))
                tap_diag("worst entry %s: got %.17g, oracle %.17g",
                         bp_model_param_name(c.params, rep.worst, name, sizeof name),
                         g->theta[rep.worst], r[rep.worst]);
        }
        /* central differences of the implementation's own cost: its gradient is that of its
         * cost, whatever model it computes */
        gc_report rep;
        gc_report_init(&rep, "central");
        int fail = gc_central_plain(r, e, impl_cost, &x, c.params->theta, P, &err) ||
                   or_kinks(kink, 2.0 * cbrt(DBL_EPSILON), c.cost, c.params, c.batch, &err) == (size_t)-1;
        if (!fail && !x.failed) {
            gc_judge_masked(&rep, c.params, g->theta, r, e, rho, kink);
            tap_ok(rep.pass, "the gradient agrees with central differences of its own cost (max rel "
                   "err %.3g; kink: %zu skipped)", rep.max_rel, rep.kinks);
        } else {
            tap_ok(0, "central differences of its own cost: %s", x.failed ? x.why : err.msg);
        }
    }
    bp_model_free(g), bp_model_free(x.work), bp_model_free(x.g);
    free(r), free(e), free(kink);
    bp_case_clear(&c);
    mp_done();
    return tap_done();
}

int bpc_fixture_for(const bpc_net *net, const char *path)
{
    bp_gen_spec s;
    bp_error err = {""};
    memset(&s, 0, sizeof s);
    s.slope = BP_LEAKY_SLOPE;
    if (!net || !net->sizes || bp_sizes_parse(net->sizes, &s.L, s.n, &err) ||
        (net->activations && bp_acts_parse_list(net->activations, s.L, s.act, &s.slope, &err))) {
        fprintf(stderr, "bpc_fixture_for: %s\n", net && net->sizes ? err.msg : "no sizes");
        return 2;
    }
    s.cost = net->cost, s.red = net->red, s.m = net->batch, s.regime = BP_R_TYPICAL, s.eta = 0.5;
    s.seeded = 1, s.seed = net->seed;
    bp_case c;
    int rc = bp_gen_case(&s, &c, &err) || bp_gen_write(path, NULL, &c, 1, &err);
    if (rc)
        fprintf(stderr, "bpc_fixture_for: %s\n", err.msg);
    bp_case_clear(&c);
    mp_done();
    return rc ? 2 : 0;
}
