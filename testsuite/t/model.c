/* testsuite/t/model.c: the canonical model (reference/model.c): layout of the one allocation,
 * sizes and their errors, seeded initialisation, whole-parameter-set read and write. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model.h"
#include "mt19937.h"
#include "tap.h"
#include "testutil.h"

/* bp_sizes_parse(s) fails and its message contains `text`. */
static void sizes_rejected(const char *s, const char *text)
{
    size_t L, n[BP_MAX_LAYERS + 1];
    bp_error err = {""};
    int rc = bp_sizes_parse(s, &L, n, &err);
    if (!tap_ok(rc != 0 && strstr(err.msg, text) != NULL,
                "model: sizes '%s' rejected, message names '%s'", s, text))
        tap_diag("rc %d, message: %s", rc, err.msg);
}

/* Reading `text` as a parameter file fails and the message contains `what`. */
static void read_rejected(const char *text, const char *what, const char *label)
{
    FILE *f = tmpfile();
    if (!f)
        tap_bail_out("tmpfile failed");
    fputs(text, f);
    rewind(f);
    bp_error err = {""};
    bp_model *m = bp_model_read(f, "params.txt", &err);
    if (!tap_ok(m == NULL && strstr(err.msg, "params.txt") && strstr(err.msg, what),
                "model: read rejects %s, naming the file and '%s'", label, what))
        tap_diag("message: %s", err.msg);
    bp_model_free(m);
    fclose(f);
}

int main(void)
{
    bp_error err;

    /* Layout of 4-5-3-2: W^1 (5x4) at 0, b^1 at 20, W^2 (3x5) at 25, b^2 at 40,
     * W^3 (2x3) at 43, b^3 at 49; 51 parameters in all. */
    bp_model *m = tu_model("4,5,3,2", 1);
    tap_is_int((long)m->nparams, 51, "model: 4-5-3-2 has 5*4+5 + 3*5+3 + 2*3+2 = 51 parameters");
    tap_ok(m->W[1] == m->theta && m->b[1] == m->theta + 20 && m->W[2] == m->theta + 25 &&
               m->b[2] == m->theta + 40 && m->W[3] == m->theta + 43 && m->b[3] == m->theta + 49,
           "model: theta holds W^1, b^1, W^2, b^2, W^3, b^3 in that order");
    tap_is_int((long)bp_model_w_index(m, 2, 1, 3), 25 + 1 * 5 + 3,
               "model: W^2[1][3] is theta[25 + 1*n_1 + 3] (row-major, n_l x n_{l-1})");
    tap_is_int((long)bp_model_b_index(m, 3, 1), 50, "model: b^3[1] is theta[50]");
    char name[64];
    tap_ok(strcmp(bp_model_param_name(m, 33, name, sizeof name), "W^2[1][3]") == 0 &&
               strcmp(bp_model_param_name(m, 50, name, sizeof name), "b^3[1]") == 0,
           "model: parameter names W^2[1][3] and b^3[1]");
    char sz[64];
    tap_ok(strcmp(bp_sizes_format(m, sz, sizeof sz), "4-5-3-2") == 0, "model: sizes format 4-5-3-2");

    /* Seeded initialisation: reproducible, and seeds differ. */
    bp_model *same = tu_model("4,5,3,2", 1), *other = tu_model("4,5,3,2", 2);
    tap_ok(memcmp(m->theta, same->theta, m->nparams * sizeof(double)) == 0,
           "model: the same seed gives bit-identical parameters");
    tap_ok(memcmp(m->theta, other->theta, m->nparams * sizeof(double)) != 0,
           "model: another seed gives other parameters");

    /* bp_model_init_seed draws by mt19937.c's restatement of GSL's MT19937 and polar Gaussian:
     * the very numbers of bp_model_init on gsl_rng_mt19937 set to the same seed, compared
     * bit for bit. Seed 0 (GSL reads it as 4357), seeds past 2^32 (GSL keeps the low 32 bits)
     * and the largest; 784-30-10 alone draws about 60,000 words, about 97 regenerations. */
    {
        static const struct {
            unsigned long seed;
            const char *sizes;
        } cases[] = {{0, "4,5,3,2"},         {1, "4,5,3,2"},     {7, "784,30,10"},
                     {4357, "9,2"},           {4294967296UL + 7, "30,40,3"},
                     {(unsigned long)-1, "50,1"}, {123456789, "1,1"}};
        size_t differ = 0, draws = 0;
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            size_t L, n[BP_MAX_LAYERS + 1];
            if (!g || bp_sizes_parse(cases[c].sizes, &L, n, &err))
                tap_bail_out("model: %s", g ? err.msg : "out of memory");
            bp_model *ours = bp_model_alloc(L, n, &err), *gsl = bp_model_alloc(L, n, &err);
            if (!ours || !gsl || bp_model_init_seed(ours, cases[c].seed, &err))
                tap_bail_out("model: %s", err.msg);
            gsl_rng_set(g, cases[c].seed);
            bp_model_init(gsl, g);
            for (size_t i = 0; i < ours->nparams; i++)
                if (memcmp(&ours->theta[i], &gsl->theta[i], sizeof(double)) != 0 && differ++ < 3)
                    tap_diag("seed %lu, %s: theta[%zu] %.17g here, %.17g by GSL", cases[c].seed,
                             cases[c].sizes, i, ours->theta[i], gsl->theta[i]);
            draws += ours->nparams;
            bp_model_free(ours), bp_model_free(gsl);
        }
        gsl_rng_free(g);
        tap_ok(differ == 0, "model: seeded networks are GSL's mt19937 + gsl_ran_gaussian bit for "
               "bit: %zu draws over 7 seeds (0, past 2^32, the largest), %zu differ", draws,
               differ);
    }

    /* bp_mt_gaussians (the draws of a row at once) against bp_mt_gaussian n times, from the
     * same state: the same numbers and the generator left in the same place, starting at the
     * buffer's first word, its middle, its last two, past its end (regeneration first), and
     * with words that are 0 (uniform_pos draws again) at a pair's first and second place */
    {
        static const int starts[] = {0, 1, 300, 622, 623, BP_MT_N};
        size_t differ = 0, runs = 0;
        for (size_t st = 0; st < sizeof starts / sizeof starts[0]; st++)
            for (int zero = 0; zero < 3; zero++) {
                bp_mt19937 one, all;
                bp_mt_set(&one, 11 + st);
                one.mti = starts[st];
                if (zero && starts[st] + 7 < BP_MT_N)
                    one.mt[starts[st] + (zero == 1 ? 4 : 7)] = 0; /* temper(0) = 0 */
                all = one;
                double a[1000], b[1000];
                for (size_t i = 0; i < 1000; i++)
                    a[i] = bp_mt_gaussian(&one, 0.3);
                bp_mt_gaussians(&all, 0.3, b, 1000);
                differ += memcmp(a, b, sizeof a) != 0 || memcmp(&one, &all, sizeof one) != 0;
                runs++;
            }
        tap_ok(differ == 0, "model: 1000 draws at once are 1000 one by one, the generator left where "
               "they leave it, %zu starts and 0 words (%zu differ)", runs, differ);
    }

    /* W^1 of 784-100 has 78,400 draws from N(0, 1/784): the sample variance has relative
     * standard deviation sqrt(2/78400) = 0.5%, so 5% is ten standard deviations. */
    bp_model *wide = tu_model("784,100", 7);
    double s2 = 0.0;
    for (size_t i = 0; i < 78400; i++)
        s2 += wide->W[1][i] * wide->W[1][i];
    tap_is_double(s2 / 78400, 1.0 / 784, 0.05, 0.0, "model: Var W^1 of 784-100 is 1/n_0 (5%%)");
    bp_model_free(wide);

    /* get / set / copy / zero / step */
    double *theta = malloc(m->nparams * sizeof *theta);
    bp_model_get(m, theta);
    bp_model_zero(other);
    tap_ok(other->theta[0] == 0.0 && other->theta[50] == 0.0, "model: zero clears every entry");
    bp_model_set(other, theta);
    tap_ok(memcmp(other->theta, m->theta, m->nparams * sizeof(double)) == 0,
           "model: set(get(theta)) round-trips the whole parameter set");
    bp_model_zero(other);
    bp_model_copy(other, m);
    tap_ok(memcmp(other->theta, m->theta, m->nparams * sizeof(double)) == 0,
           "model: copy copies the whole parameter set");
    for (size_t i = 0; i < m->nparams; i++)
        same->theta[i] = 1.5; /* the "gradient" */
    m->theta[7] = 2.385;
    bp_model_step(other, m, same, 0.5);
    /* 2.385 - 0.75: both exactly representable to within one rounding of the result */
    tap_is_double(other->theta[7], 1.635, 2 * DBL_EPSILON, 0.0,
                  "model: step gives params - eta*grad (2.385 - 0.5*1.5)");
    bp_model *shorter = tu_model("4,5,3", 1);
    tap_ok(bp_model_same_shape(m, other) && !bp_model_same_shape(m, shorter),
           "model: same_shape compares every size");
    bp_model_free(shorter);

    /* Write and read back: bit-identical (17 significant digits round-trip). */
    m->theta[3] = 0.1;
    m->theta[4] = -1e-300;
    m->theta[5] = 5e-324;
    FILE *f = tmpfile();
    bp_model_write(f, m);
    rewind(f);
    bp_model *back = bp_model_read(f, "tmp", &err);
    tap_ok(back && bp_model_same_shape(back, m) &&
               memcmp(back->theta, m->theta, m->nparams * sizeof(double)) == 0,
           "model: write then read is bit-identical (0.1, -1e-300, 5e-324 included)");
    fclose(f);
    bp_model_free(back);

    read_rejected("bpcheck-params/2 1 1 1\n1 2\n", "header", "a wrong format version");
    read_rejected("bpcheck-params/1 1 1\n", "n_1", "a missing size");
    read_rejected("bpcheck-params/1 1 1 2\n1 2\n3\n", "b^1[1]", "a missing parameter");
    read_rejected("bpcheck-params/1 1 1 1\nnan 2\n", "W^1[0][0]", "NaN");
    read_rejected("bpcheck-params/1 1 1 1\n1 inf\n", "b^1[0]", "Inf");
    read_rejected("bpcheck-params/1 1 1 1\n1 2 3\n", "trailing", "trailing data");
    read_rejected("bpcheck-params/1 1 0 1\n", "n_0 = 0", "a zero size");
    read_rejected("bpcheck-params/1 99 1 1\n", "L = 99", "absurd depth");
    read_rejected("bpcheck-params/1 2 1000000 1000000 1000000\n", "parameters",
                  "absurd width (2e12 parameters)");

    /* Sizes: the CLI's --sizes parser */
    size_t L, n[BP_MAX_LAYERS + 1];
    tap_ok(bp_sizes_parse("784,30,10", &L, n, &err) == 0 && L == 2 && n[0] == 784 &&
               n[1] == 30 && n[2] == 10,
           "model: sizes '784,30,10' parse to L = 2, n = 784, 30, 10");
    sizes_rejected("", "empty");
    sizes_rejected("4", "at least an input and an output");
    sizes_rejected("4,", "positive integer");
    sizes_rejected("4,,3", "positive integer");
    sizes_rejected("4,x", "positive integer");
    sizes_rejected("-1,3", "positive integer");
    sizes_rejected("0,3", "layer 0 is 0");
    sizes_rejected("4;3", "expected ','");
    sizes_rejected("99999999999999999999999,2", "expected 1 to");
    sizes_rejected("1000000,1000000", "parameters");

    bp_batch *bad = bp_batch_alloc(0, 1, 1, &err);
    tap_ok(bad == NULL && strstr(err.msg, "m = 0"), "model: a batch of 0 samples is refused");
    bp_trace *t = bp_trace_alloc(m, 3, &err);
    tap_ok(t && t->a[0] && t->z[3] && t->delta[3] && t->z[0] == NULL &&
               t->a[3] + 3 * 2 <= t->mem + 3 * (4 + 3 * (5 + 3 + 2)),
           "model: a trace holds a^0..a^L and z, delta for 1..L inside one allocation");
    bp_trace_free(t);
    tap_ok(!bp_batch_alloc(2, 0, 1, &err) && strstr(err.msg, "batch: widths 0 and 1") &&
               !bp_batch_alloc(10000, 100000, 100000, &err) && strstr(err.msg, "refusing more than") &&
               !bp_trace_alloc(m, 0, &err) && strstr(err.msg, "trace: m = 0 samples"),
           "model: a batch of width 0, a batch of 2e9 values and a trace of 0 samples are refused");

    /* activation lists: each mistake named (--activations and fixtures' model.activations) */
    static const struct {
        const char *list, *sizes, *msg;
        bp_cost cost;
    } acts[] = {
        {"softmax,sigmoid", "3,4,2", "activations[0]: softmax is an output activation", BP_QUADRATIC},
        {"sigmoid,softmax", "3,4,2", "a quadratic output is elementwise", BP_QUADRATIC},
        {"sigmoid,tanh", "3,4,2", "the loglik output is sigmoid", BP_LOGLIK},
        {"sigmoid,sigmoid", "3,4,2", "the cross-entropy output is softmax, not sigmoid", BP_CROSS_ENTROPY},
        {"sigmoid,sigmoid,sigmoid", "3,4,2", "more than the 2 the sizes give", BP_QUADRATIC},
        {"sigmoid,,", "3,4,2", "entry 2 is empty", BP_QUADRATIC},
        {"tanh:0.5,sigmoid", "3,4,2", "'tanh:0.5'; only leaky-relu takes a slope", BP_QUADRATIC},
        {"leaky-relu:0.1,leaky-relu:0.2,sigmoid", "3,4,4,2", "two leaky-relu slopes (0.1 and 0.2)",
         BP_QUADRATIC},
        {"swish,sigmoid", "3,4,2", "unknown activation 'swish'", BP_QUADRATIC},
    };
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
        size_t L2, n2[BP_MAX_LAYERS + 1];
        bp_model *am = NULL;
        bp_error e2 = {""};
        int rc = bp_sizes_parse(acts[i].sizes, &L2, n2, &e2) || !(am = bp_model_alloc(L2, n2, &e2)) ||
                 bp_acts_parse(acts[i].list, am, &e2) || bp_acts_check(am, acts[i].cost, &e2);
        if (!tap_ok(rc && strstr(e2.msg, acts[i].msg), "model: activations '%s' for %s %s refused: '%s'",
                    acts[i].list, bp_cost_name(acts[i].cost), acts[i].sizes, acts[i].msg))
            tap_diag("got: %s", e2.msg);
        bp_model_free(am);
    }
    bp_model *sm = tu_model("3,2", 1);
    sm->slope = NAN;
    tap_ok(bp_acts_check(sm, BP_QUADRATIC, &err) && strstr(err.msg, "leaky_slope: nan is not finite"),
           "model: a slope that is not finite is refused");
    bp_model_free(sm);

    free(theta);
    bp_model_free(m);
    bp_model_free(same);
    bp_model_free(other);
    return tap_done();
}
