/* testsuite/t/sgd.c: the mini-batch SGD update of document 002 (002:sgd, reference/quadratic.c)
 * equals the canonical step params - eta * grad with the MEAN reduction, i.e. eta/m times the
 * summed gradient, and it descends. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "quadratic.h"
#include "tap.h"
#include "testutil.h"

#define U DBL_EPSILON

static void check_case(const char *sizes, size_t m, double eta, unsigned long seed)
{
    bp_error err;
    bp_model *params = tu_model(sizes, seed), *stepped = tu_model(sizes, seed);
    bp_model *gmean = bp_model_alloc_like(params, &err), *gsum = bp_model_alloc_like(params, &err);
    bp_model *want = bp_model_alloc_like(params, &err), *wrong = bp_model_alloc_like(params, &err);
    bp_batch *batch = tu_batch(params, m, seed);
    size_t n = params->nparams;
    char arch[64];
    bp_sizes_format(params, arch, sizeof arch);
    double before, after;
    if (!gmean || !gsum || !want || !wrong ||
        quad_backprop(gmean, &before, NULL, params, batch, BP_MEAN, &err) ||
        quad_backprop(gsum, NULL, NULL, params, batch, BP_SUM, &err) ||
        quad_sgd_update(stepped, batch, eta, &err))
        tap_bail_out("sgd %s: %s", arch, err.msg);

    /* w - (eta/m) S against w - eta (S/m): the subtracted terms are each two roundings from
     * eta S/m, so within 4u |eta g|; each result adds one rounding of |w'| <= |w| + |eta g|. */
    double *tol = malloc(n * sizeof *tol);
    bp_model_step(want, params, gmean, eta);
    for (size_t i = 0; i < n; i++) {
        double step = fabs(eta * gmean->theta[i]);
        tol[i] = 4 * U * step + 2 * U * (fabs(params->theta[i]) + step);
    }
    tap_is_double_array(stepped->theta, want->theta, tol, n, 1, 0, 0,
                        "002:sgd w -> w - (eta/m) sum_x delta^x (a^x)^T, b -> b - (eta/m) "
                        "sum_x delta^x equals params - eta * grad (mean), %s m=%zu eta=%g",
                        arch, m, eta);

    /* The same step without the 1/m differs by (m - 1) eta |g|: far outside the tolerance
     * for m > 1, so the check above really sees the 1/m. */
    if (m > 1) {
        bp_model_step(wrong, params, gsum, eta);
        size_t far = 0;
        for (size_t i = 0; i < n; i++)
            far += fabs(stepped->theta[i] - wrong->theta[i]) > 1e3 * tol[i];
        tap_ok(far > n / 2, "002:sgd the step is NOT params - eta * grad (sum) when m = %zu: "
               "%zu of %zu entries differ by > 1000 tolerances, %s", m, far, n, arch);
    }

    /* Descent: with eta' = 1e-3 / ||g||^2 the cost drops by 1e-3 to first order; the second
     * order term eta'^2 g^T H g / 2 is ~1e-6 here, so the drop lies in (0.5e-3, 1.5e-3). */
    double g2 = 0.0;
    for (size_t i = 0; i < n; i++)
        g2 += gmean->theta[i] * gmean->theta[i];
    bp_model_copy(stepped, params);
    quad_sgd_update(stepped, batch, 1e-3 / g2, &err);
    after = quad_cost(stepped, batch, BP_MEAN);
    if (!tap_ok(before - after > 0.5e-3 && before - after < 1.5e-3,
                "002:sgd a step of eta = 1e-3/||grad||^2 lowers the mean cost by 1e-3, %s m=%zu",
                arch, m))
        tap_diag("cost went from %.17g to %.17g", before, after);

    free(tol);
    bp_batch_free(batch);
    bp_model_free(params), bp_model_free(stepped), bp_model_free(gmean), bp_model_free(gsum);
    bp_model_free(want), bp_model_free(wrong);
}

int main(void)
{
    static const char *const archs[] = {"1,1", "2,2,1", "3,4,2", "4,5,3,2"};
    static const size_t batches[] = {1, 5, 7};
    unsigned long seed = 7002;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 3; b++)
            check_case(archs[a], batches[b], 0.5 + 0.25 * (double)b, seed++);
    return tap_done();
}
