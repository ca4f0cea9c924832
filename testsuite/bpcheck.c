/* testsuite/bpcheck.c: bin/bpcheck, the project's one command-line program.
 * Subcommands are a table; later issues add rows (conform, gradcheck, train, derivations).
 * Exit status: 0 success, 1 a check failed, 2 usage error or unusable input.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <gsl/gsl_rng.h>

#include <unistd.h>

#include "adapters/adapters.h"
#include "bugs.h"
#include "conform.h"
#include "checks.h"
#include "child.h"
#include "atomic.h"
#include "fixture.h"
#include "generate.h"
#include "gradcheck.h"
#include "model.h"
#include "mpref.h"
#include "oracle.h"
#include "plot.h"
#include "plots.h"
#include "tolerance.h"
#include "tensor.h"
#include "train.h"

#include "config.h" /* BPCHECK_DATADIR, written by make */
#ifndef BPCHECK_VERSION
#define BPCHECK_VERSION "unknown"
#endif

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} bp_command;

static int cmd_help(int argc, char **argv);
static int cmd_train(int argc, char **argv);
static int cmd_gradcheck(int argc, char **argv);
static int cmd_conform(int argc, char **argv);
static int cmd_serve(int argc, char **argv);
static int cmd_tolerances(int argc, char **argv);
static int cmd_bugs(int argc, char **argv);
static int cmd_fixtures(int argc, char **argv);
static int cmd_derivations(int argc, char **argv) { return bp_derivations_main(argc, argv); }

static const bp_command commands[] = {
    {"bugs", "list the bug models the diagnosis can name (the catalogue)", cmd_bugs},
    {"conform", "run an implementation against the golden fixtures (the main job)", cmd_conform},
    {"fixtures", "write exact fixtures for your own network (sizes, activations, batch)",
     cmd_fixtures},
    {"help", "show this help, or a command's help", cmd_help},
    {"derivations", "check every equation of the five documents on its own (TAP, report)",
     cmd_derivations},
    {"gradcheck", "check the reference's gradient with six independent oracles", cmd_gradcheck},
    {"serve", "be the reference implementation over bpcheck-protocol/1 (stdin/stdout)", cmd_serve},
    {"tolerances", "what each fixture case can resolve, per precision (resolving power)",
     cmd_tolerances},
    {"train", "train a network on a CSV data set by SGD (004:train, 002:sgd)", cmd_train},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "bpcheck is a literal reference for backpropagation in multilayer perceptrons\n"
            "and a conformance suite for other implementations of it.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Options:\n"
            "  -h, --help     show this help and exit\n"
            "  -V, --version  show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 a check failed, 2 usage error or unusable input.\n"
            "Run 'bpcheck help COMMAND' for a command's options.\n");
}

static const bp_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "bpcheck: unknown command '%s'\nTry 'bpcheck --help'.\n", name);
    return 2;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "bpcheck help: expected at most one command name\n");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "help") != 0) {
        const bp_command *c = find_command(argv[1]);
        if (!c)
            return unknown_command(argv[1]);
        char *sub[] = {(char *)c->name, "--help", NULL};
        return c->run(2, sub);
    }
    usage(stdout);
    return 0;
}

/* ---- option parsing shared by the subcommands ------------------------------------------ */

/* If argv[*i] is --name VALUE or --name=VALUE, store VALUE and return 1 (advancing *i past a
 * separate value); a missing value is a usage error (-1). */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bpcheck %s: option %s needs a value\n", argv[0], name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_count(const char *cmd, const char *opt, const char *s, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v < 1 || v > max) {
        fprintf(stderr, "bpcheck %s: %s '%s': expected an integer from 1 to %zu\n", cmd, opt, s,
                max);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* ---- bpcheck train ------------------------------------------------------------------------ */

static void train_usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck train --sizes N0,...,NL --data FILE [OPTIONS]\n"
            "\n"
            "Train a network on a CSV data set by stochastic gradient descent: document 004's\n"
            "per-sample loop (004:train) with --batch 1, document 002's mini-batch SGD\n"
            "(002:sgd, the mean gradient) otherwise. One progress line per epoch.\n"
            "\n"
            "Options:\n"
            "  --model M     quadratic, loglik or cross-entropy (default cross-entropy)\n"
            "  --sizes LIST  layer sizes, input first, e.g. 4,8,3 (required); N0 is the number\n"
            "                of features, NL the number of outputs\n"
            "  --data FILE   the training data (required; format below)\n"
            "  --epochs N    passes over the data (default 30)\n"
            "  --batch B     samples per update (default 1: per-sample training)\n"
            "  --eta X       learning rate (default 0.5)\n"
            "  --seed S      seed of the initial parameters and of the sample order (default 1)\n"
            "  --window X    also report the accuracy over the last X samples (default 100)\n"
            "  --save FILE   write the trained parameters to FILE (format bpcheck-params/1)\n"
            "  --test-fraction F  hold out a fraction F (0 < F < 1) of the data, chosen at\n"
            "                random with --seed, never trained on; its cost and accuracy are\n"
            "                reported each epoch\n"
            "  --standardize scale each feature to mean 0 and standard deviation 1, with the\n"
            "                statistics of the training part only (a constant feature is centred)\n"
            "  --header      skip the first line (a CSV header); without it a header is an error\n"
            "  --plot FILE   draw the cost and the accuracy per epoch, each printed column a curve,\n"
            "                with gnuplot; SVG or PNG by FILE's extension, or .gp for the gnuplot\n"
            "                script (gnuplot FILE.gp draws FILE.png)\n"
            "  -h, --help    show this help\n"
            "\n"
            "Data (FILE, or - for standard input): one sample per line, comma-separated: N0\n"
            "features, then either NL target\n"
            "values or, when NL > 1, one class label from 0 to NL-1 (a one-hot target).\n"
            "Blank lines and lines starting with # are ignored. For cross-entropy the targets\n"
            "of a sample must sum to 1.\n"
            "\n"
            "Output, one line per epoch:\n"
            "  epoch E/N  train-cost C  last-X accuracy A%%  cost C  accuracy A%%\n"
            "            [test-cost C  test-accuracy A%%]\n"
            "train-cost is the mean cost of the epoch's samples when each was fed forward, and\n"
            "last-X accuracy is over the last X samples at that moment; cost and accuracy are\n"
            "over the whole data after the epoch. The same seed gives the same output.\n"
            "\n"
            "Exit status: 0 trained, 2 usage error or unusable data.\n");
}

typedef struct {
    bp_epoch_report *r; /* every epoch's report, for --plot */
    size_t n;
} train_log;

static void train_progress(const bp_epoch_report *r, void *ctx)
{
    train_log *log = ctx;
    printf("epoch %zu/%zu  train-cost %.6f  last-%zu accuracy %.1f%%  cost %.6f  "
           "accuracy %.1f%%",
           r->epoch, r->epochs, r->train_cost, r->window_seen, 100.0 * r->window_accuracy,
           r->cost, 100.0 * r->accuracy);
    if (!isnan(r->test_cost))
        printf("  test-cost %.6f  test-accuracy %.1f%%", r->test_cost, 100.0 * r->test_accuracy);
    printf("\n");
    fflush(stdout);
    bp_epoch_report *grown = realloc(log->r, (log->n + 1) * sizeof *grown);
    if (grown)
        log->r = grown, log->r[log->n++] = *r;
}

/* Draw (or write) a plot script; say what happened. 0, or -1 on a failure. */
static int draw(const char *cmd, const char *path, char *script, int width, int height,
                const char *what, const bp_error *script_err)
{
    if (!script) {
        fprintf(stderr, "bpcheck %s: %s\n", cmd, script_err->msg);
        return -1;
    }
    bp_error err;
    int rc = bp_plot(path, script, width, height, &err);
    free(script);
    if (rc == 1)
        fprintf(stderr, "bpcheck %s: no plot: gnuplot is not installed (Debian: apt-get install "
                        "gnuplot-nox)\n", cmd);
    else if (rc)
        fprintf(stderr, "bpcheck %s: %s\n", cmd, err.msg);
    else
        printf("plotted %s%s\n", path, what);
    return rc < 0 ? -1 : 0;
}

/* --plot: cost (log scale) and accuracy per epoch, each curve a printed column (plots.h) */
static int train_plot(const char *path, const bp_train_plot *info, const train_log *log)
{
    bp_error err;
    char *s = bp_train_plot_script(info, log->r, log->n, &err);
    return draw("train", path, s, 900, 900, "", &err);
}

static int cmd_train(int argc, char **argv)
{
    const char *model_s = "cross-entropy", *sizes_s = NULL, *data_s = NULL, *save_s = NULL;
    const char *epochs_s = "30", *batch_s = "1", *eta_s = "0.5", *seed_s = "1";
    const char *window_s = "100", *fraction_s = NULL, *plot_s = NULL;
    int standardize = 0, header = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            train_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--standardize") == 0 || strcmp(a, "--header") == 0) {
            *(strcmp(a, "--header") == 0 ? &header : &standardize) = 1;
            continue;
        }
        int r;
        if ((r = opt_value(argc, argv, &i, "--model", &model_s)) ||
            (r = opt_value(argc, argv, &i, "--sizes", &sizes_s)) ||
            (r = opt_value(argc, argv, &i, "--data", &data_s)) ||
            (r = opt_value(argc, argv, &i, "--epochs", &epochs_s)) ||
            (r = opt_value(argc, argv, &i, "--batch", &batch_s)) ||
            (r = opt_value(argc, argv, &i, "--eta", &eta_s)) ||
            (r = opt_value(argc, argv, &i, "--seed", &seed_s)) ||
            (r = opt_value(argc, argv, &i, "--window", &window_s)) ||
            (r = opt_value(argc, argv, &i, "--test-fraction", &fraction_s)) ||
            (r = opt_value(argc, argv, &i, "--plot", &plot_s)) ||
            (r = opt_value(argc, argv, &i, "--save", &save_s))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "bpcheck train: unknown option '%s'\nTry 'bpcheck train --help'.\n", a);
        return 2;
    }
    if (!sizes_s || !data_s) {
        fprintf(stderr, "bpcheck train: %s is required\nTry 'bpcheck train --help'.\n",
                !sizes_s ? "--sizes" : "--data");
        return 2;
    }
    bp_error err;
    bp_cost model;
    size_t L, n[BP_MAX_LAYERS + 1];
    bp_train_opts o = {0};
    char *end;
    double fraction = 0.0;
    if (fraction_s) {
        errno = 0;
        fraction = strtod(fraction_s, &end);
        if (end == fraction_s || *end || errno || !(fraction > 0.0 && fraction < 1.0)) {
            fprintf(stderr, "bpcheck train: --test-fraction '%s': expected a number between 0 "
                            "and 1\n", fraction_s);
            return 2;
        }
    }
    if (plot_s && bp_plot_check_path(plot_s, &err)) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        return 2;
    }
    if (bp_cost_parse(model_s, &model, &err) || bp_sizes_parse(sizes_s, &L, n, &err)) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        return 2;
    }
    if (parse_count("train", "--epochs", epochs_s, 1000000, &o.epochs) ||
        parse_count("train", "--batch", batch_s, BP_MAX_BATCH, &o.batch) ||
        parse_count("train", "--window", window_s, BP_MAX_BATCH, &o.window))
        return 2;
    errno = 0;
    o.eta = strtod(eta_s, &end);
    if (end == eta_s || *end || errno || !isfinite(o.eta) || o.eta <= 0.0) {
        fprintf(stderr, "bpcheck train: --eta '%s': expected a positive finite number\n", eta_s);
        return 2;
    }
    errno = 0;
    unsigned long long seed = strtoull(seed_s, &end, 10);
    if (*seed_s < '0' || *seed_s > '9' || *end || errno) {
        fprintf(stderr, "bpcheck train: --seed '%s': expected a non-negative integer\n", seed_s);
        return 2;
    }
    o.seed = (unsigned long)seed;

    int stdin_data = strcmp(data_s, "-") == 0;
    FILE *f = stdin_data ? stdin : fopen(data_s, "r");
    if (!f) {
        fprintf(stderr, "bpcheck train: %s: %s\n", data_s, strerror(errno));
        return 2;
    }
    bp_batch *data = bp_data_read_csv_header(f, stdin_data ? "(standard input)" : data_s, n[0],
                                             n[L], header, &err);
    if (!stdin_data)
        fclose(f);
    if (!data) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        return 2;
    }
    bp_batch *train = data, *test = NULL;
    train_log log = {NULL, 0};
    bp_model *params = NULL;
    int rc = 2;
    if (fraction_s) { /* the split: the same seed, a different stream from the sample order */
        if (bp_data_split(data, fraction, o.seed ^ 0x5eedu, &train, &test, &err)) {
            fprintf(stderr, "bpcheck train: --test-fraction: %s\n", err.msg);
            train = data;
            goto done;
        }
        o.held_out = test;
        printf("# %zu samples: %zu for training, %zu held out\n", data->m, train->m, test->m);
    }
    if (standardize)
        bp_data_standardize(train, test);
    params = bp_model_alloc(L, n, &err);
    if (!params || bp_model_init_seed(params, o.seed, &err) ||
        bp_train(params, model, train, &o, train_progress, &log, NULL, &err)) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        goto done;
    }
    char net[160], acts[96];
    bp_sizes_format(params, net, sizeof net);
    snprintf(net + strlen(net), sizeof net - strlen(net), " (%s)",
             bp_acts_format(params, model, acts, sizeof acts));
    bp_train_plot info = {model_s, net, o.eta, o.batch, o.epochs, train->m, test ? test->m : 0};
    if (plot_s && train_plot(plot_s, &info, &log))
        goto done;
    if (save_s) {
        bp_atomic a; /* whole or not at all: a full disk leaves the old file as it was */
        FILE *out = bp_atomic_open(&a, save_s, "w", &err);
        if (out && bp_model_write(out, params)) {
            bp_atomic_abort(&a);
            fprintf(stderr, "bpcheck train: cannot write %s: %s\n", save_s, strerror(errno));
            goto done;
        }
        if (!out || bp_atomic_commit(&a, &err)) {
            fprintf(stderr, "bpcheck train: %s\n", err.msg);
            goto done;
        }
    }
    rc = 0;
done:
    bp_model_free(params);
    if (train != data)
        bp_batch_free(train);
    bp_batch_free(test);
    bp_batch_free(data);
    free(log.r);
    return rc;
}

/* ---- bpcheck conform and bpcheck serve ------------------------------------------------------ */

static char self_path[4096] = "bpcheck";

static int cmd_conform(int argc, char **argv)
{
    return bp_conform_main(argc, argv, self_path);
}

static int cmd_serve(int argc, char **argv)
{
    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "Usage: bpcheck serve\n\nRead bpcheck-protocol/1 requests (testsuite/PROTOCOL.md), one "
                "JSON object per line,\nfrom standard input and answer each on standard output with the "
                "bundled\nreference implementation. This is what 'bpcheck conform' runs when no --impl\n"
                "is given.\n");
        return help ? 0 : 2;
    }
    return bp_adapter_reference(stdin, stdout);
}

/* ---- bpcheck fixtures -------------------------------------------------------------------- */

static void fixtures_usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck fixtures --model COST --sizes N0,...,NL -o FILE [--batch B]\n"
            "                        [--activations LIST] [--reduction sum|mean] [--regime NAME]\n"
            "                        [--seed S] [--eta X]\n"
            "\n"
            "Write one exact golden-value case for your own network, with its per-entry\n"
            "tolerances for float64 and float32, as a fixture file (fixtures/FORMAT.md) that\n"
            "'bpcheck conform --fixtures FILE' runs. The generator is the one of the bundled\n"
            "fixtures: every expected value is exact, rounded once (double-double with a proven\n"
            "error bound, MPFR at 2048 bits where that bound cannot decide).\n"
            "\n"
            "  --model COST        quadratic, loglik or cross-entropy\n"
            "  --sizes LIST        the layer sizes n_0,...,n_L, e.g. 784,100,10\n"
            "  -o, --output FILE   where to write the fixture\n"
            "  --batch B           samples in the batch (default 32)\n"
            "  --activations LIST  one per layer after the input: sigmoid, tanh, relu,\n"
            "                      leaky-relu[:SLOPE] (default slope 0.01), identity, softmax\n"
            "                      (default: sigmoid, and softmax at a cross-entropy output)\n"
            "  --reduction R       sum or mean (default mean)\n"
            "  --regime NAME       the inputs (default typical): typical, inputs-2.385,\n"
            "                      zero-inputs, saturated-30, saturated-100, saturated-800,\n"
            "                      near-zero-gradient, soft-targets, hard-targets,\n"
            "                      logits-1000-one-hot, logits-1000-soft, kink-at-zero,\n"
            "                      kink-near-zero (fixtures/FORMAT.md, \"Flags\")\n"
            "  --seed S            seed the random inputs with S (default: a hash of the id,\n"
            "                      so the same options give the same file on any machine)\n"
            "  --eta X             the learning rate of the expected step (default 0.5)\n"
            "  --binary WHEN       auto (default), yes or no: put the arrays in a binary\n"
            "                      companion FILE.bin beside FILE (little-endian float64,\n"
            "                      fixtures/FORMAT.md); auto does from 1,000,000 parameters\n"
            "\n"
            "Exit status: 0 written, 2 usage error or a case that cannot be built.\n");
}

static int cmd_fixtures(int argc, char **argv)
{
    const char *model = NULL, *sizes = NULL, *out = NULL, *batch = "32", *acts = NULL,
               *red = "mean", *regime = "typical", *seed = NULL, *eta = NULL, *binary = "auto";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fixtures_usage(stdout);
            return 0;
        }
        int r = 0;
        if ((r = opt_value(argc, argv, &i, "--model", &model)) ||
            (r = opt_value(argc, argv, &i, "--sizes", &sizes)) ||
            (r = opt_value(argc, argv, &i, "--output", &out)) ||
            (r = opt_value(argc, argv, &i, "-o", &out)) ||
            (r = opt_value(argc, argv, &i, "--batch", &batch)) ||
            (r = opt_value(argc, argv, &i, "--activations", &acts)) ||
            (r = opt_value(argc, argv, &i, "--reduction", &red)) ||
            (r = opt_value(argc, argv, &i, "--regime", &regime)) ||
            (r = opt_value(argc, argv, &i, "--seed", &seed)) ||
            (r = opt_value(argc, argv, &i, "--eta", &eta)) ||
            (r = opt_value(argc, argv, &i, "--binary", &binary))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "bpcheck fixtures: unknown argument '%s'\n", a);
        fixtures_usage(stderr);
        return 2;
    }
    if (!model || !sizes || !out) {
        fprintf(stderr, "bpcheck fixtures: %s is required\nTry 'bpcheck fixtures --help'.\n",
                !model ? "--model" : !sizes ? "--sizes" : "-o FILE");
        return 2;
    }
    if (strcmp(binary, "auto") && strcmp(binary, "yes") && strcmp(binary, "no")) {
        fprintf(stderr, "bpcheck fixtures: --binary '%s': expected auto, yes or no\n", binary);
        return 2;
    }
    bp_gen_spec s;
    memset(&s, 0, sizeof s);
    s.slope = BP_LEAKY_SLOPE;
    bp_error err;
    if (bp_cost_parse(model, &s.cost, &err) || bp_sizes_parse(sizes, &s.L, s.n, &err) ||
        bp_reduction_parse(red, &s.red, &err) || bp_regime_parse(regime, &s.regime, &err)) {
        fprintf(stderr, "bpcheck fixtures: %s\n", err.msg);
        return 2;
    }
    if (parse_count("fixtures", "--batch", batch, BP_MAX_BATCH, &s.m))
        return 2;
    if (seed) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed, &end, 10);
        if (*seed < '0' || *seed > '9' || *end || errno || v > 0xffffffffULL) {
            fprintf(stderr, "bpcheck fixtures: --seed '%s': expected an integer from 0 to "
                            "4294967295\n", seed);
            return 2;
        }
        s.seeded = 1, s.seed = (unsigned long)v;
    }
    if (acts && bp_acts_parse_list(acts, s.L, s.act, &s.slope, &err)) {
        fprintf(stderr, "bpcheck fixtures: %s\n", err.msg);
        return 2;
    }
    double eta_v = 0.5;
    if (eta) {
        char *end;
        eta_v = strtod(eta, &end);
        if (end == eta || *end || !isfinite(eta_v)) {
            fprintf(stderr, "bpcheck fixtures: --eta '%s': expected a finite number\n", eta);
            return 2;
        }
    }
    s.eta = eta_v;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bp_case c;
    if (bp_gen_case(&s, &c, &err)) {
        fprintf(stderr, "bpcheck fixtures: %s\n", err.msg);
        mp_done();
        return 2;
    }
    /* the companion: FILE.json -> FILE.bin, any other name + .bin */
    char binpath[4200] = "";
    int use_bin = strcmp(binary, "yes") == 0 || (strcmp(binary, "auto") == 0 && c.params->nparams >= 1000000);
    size_t olen = strlen(out);
    if (use_bin)
        snprintf(binpath, sizeof binpath, "%.*s.bin",
                 (int)(olen > 5 && strcmp(out + olen - 5, ".json") == 0 ? olen - 5 : olen), out);
    int rc = bp_gen_write(out, use_bin ? binpath : NULL, &c, 1, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc)
        fprintf(stderr, "bpcheck fixtures: %s\n", err.msg);
    else
        printf("%s%s%s: 1 case, %s, %zu parameters, batch %zu; float32: %s (%.1f s)\n", out,
               use_bin ? " and " : "", binpath, c.id, c.params->nparams, s.m,
               c.bounds[BP_FLOAT32] ? "meetable" : c.unmeetable[BP_FLOAT32],
               (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    bp_case_clear(&c);
    mp_done();
    bp_peak_memory_report("bpcheck fixtures");
    return rc ? 2 : 0;
}

/* ---- bpcheck bugs ------------------------------------------------------------------------ */

/* Under a model of `bpcheck bugs --verbose`: the evidence it needs, its parameter's values. */
static void bug_details(const bp_bug *b)
{
    printf("%31s needs: %s\n", "", b->needs);
    if (!b->param)
        return;
    printf("%31s %s: ", "", b->param);
    if (strcmp(b->family, "precision") == 0) {
        printf("fitted: the median relative error, against the format's unit roundoff\n");
        return;
    }
    if (bp_bug_continuous(b)) {
        printf("fitted from the answer (default %.3g)\n", b->values[0].v);
        return;
    }
    for (const bp_bug_value *v = b->values; v->v != 0.0; v++)
        printf("%s%.3g%s%s%s", v == b->values ? "" : ", ", v->v, v->note ? " (" : "", v->note ? v->note : "",
               v->note ? ")" : "");
    putchar('\n');
}

static int cmd_bugs(int argc, char **argv)
{
    int plants = argc == 2 && strcmp(argv[1], "--plants") == 0;
    int verbose = argc == 2 && strcmp(argv[1], "--verbose") == 0;
    if (argc > 1 && !plants && !verbose) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "Usage: bpcheck bugs [--verbose | --plants]\n\nList the catalogue of bug models that the "
                "diagnosis of 'bpcheck conform' can name:\nname, family, the equation IDs it violates, and "
                "what it is.\n"
                "\n  --verbose  also, under each: the evidence it needs, and for a family its parameter\n"
                "             and the values it is tried at (or 'fitted' where it is computed)\n"
                "  --plants   the source edits that plant each model in the reference, in the list\n"
                "             format of testsuite/mutate/run.pl (what 'make check-mutants' runs)\n");
        return help ? 0 : 2;
    }
    for (size_t i = 0; i < bp_nbugs; i++) {
        const bp_bug *b = &bp_bugs[i];
        if (!plants) {
            printf("%-31s %-23s %-22s %s\n", b->name, b->family, b->equations, b->explain);
            if (verbose)
                bug_details(b);
            continue;
        }
        const char *sep = b->plant ? strstr(b->plant, " ||| ") : NULL;
        if (sep) /* FILE ||| what ||| OLD ||| NEW */
            printf("%.*s ||| bug model %s ||| %s\n", (int)(sep - b->plant), b->plant, b->name, sep + 5);
    }
    return 0;
}

/* ---- bpcheck tolerances ------------------------------------------------------------------ */

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The resolving powers of one case, in columns: per entry (best, median), per tensor
 * (best, median) and per row (best), with the tensor-wide criteria if criteria; into v[0..5)
 * for the distribution. 1, 0 when the case has no non-zero gradient entry, -1 (said) when the
 * criteria cannot be derived. */
static int tolerance_row(const bp_case *c, bp_precision p, int criteria, int summary, double v[5])
{
    bp_error err;
    bp_tensor_tests *T = criteria ? bp_tensor_tests_derive(c, &bp_profiles[p], &err) : NULL;
    if (criteria && !T) {
        fprintf(stderr, "bpcheck tolerances: %s\n", err.msg);
        return -1;
    }
    size_t k = bp_resolving_power(c, p, &v[0], &v[1]);
    bp_tensor_resolving_power(c, p, T, &v[2], &v[3], &v[4]);
    if (!summary)
        printf("%-54s %9.2g %9.2g %9.2g %9.2g %9.2g %8zu\n", c->id, v[0], v[1], v[2], v[3], v[4], k);
    bp_tensor_tests_free(T);
    return k > 0;
}

static int cmd_tolerances(int argc, char **argv)
{
    const char *dir = NULL, *only = NULL;
    int f32 = 0, summary = 0, criteria = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("Usage: bpcheck tolerances [--fixtures DIR] [--profile float64|float32] [--only GLOB]\n"
                   "                          [--summary] [--entries-only]\n"
                   "\n"
                   "For each fixture case, its resolving power under the profile's tolerances\n"
                   "(fixtures/FORMAT.md), the smallest relative change that the case rejects:\n"
                   "  best, median  of ONE gradient entry, over the entries that are not 0, by the\n"
                   "                per-entry bounds: the best entry and the median one;\n"
                   "  tensor        of one whole tensor (dC/dW^l or dC/db^l) scaled together, by\n"
                   "                the per-entry bounds or (float32) the tensor-wide criteria,\n"
                   "                whichever is finer: the best tensor, and the median one;\n"
                   "  row           of one row of a dC/dW^l scaled together: the best row.\n"
                   "A case the precision cannot meet says why. The closing lines give the\n"
                   "distribution over the cases (min, quartiles, max).\n"
                   "\n"
                   "  --fixtures DIR  the fixtures (default: ./fixtures, else the installed set)\n"
                   "  --profile P     float64 (default) or float32\n"
                   "  --only GLOB     only the cases whose id matches GLOB\n"
                   "  --summary       only the distribution\n"
                   "  --entries-only  the per-entry bounds alone, without the tensor-wide criteria\n"
                   "                  (what float32 resolved before them)\n");
            return 0;
        }
        if (strcmp(a, "--summary") == 0) {
            summary = 1;
        } else if (strcmp(a, "--entries-only") == 0) {
            criteria = 0;
        } else if (i + 1 < argc && strcmp(a, "--fixtures") == 0) {
            dir = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--only") == 0) {
            only = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--profile") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "float32") && strcmp(v, "float64")) {
                fprintf(stderr, "bpcheck tolerances: --profile '%s': expected float64 or float32\n", v);
                return 2;
            }
            f32 = strcmp(v, "float32") == 0;
        } else {
            fprintf(stderr, "bpcheck tolerances: unknown option or missing value '%s'\n"
                            "Try 'bpcheck tolerances --help'.\n", a);
            return 2;
        }
    }
    if (!dir) {
        DIR *d = opendir("fixtures");
        const char *env = getenv("BPCHECK_FIXTURES");
        dir = d ? "fixtures" : env ? env : BPCHECK_DATADIR "/fixtures";
        if (d)
            closedir(d);
    }
    bp_fixture_set fs;
    bp_error err;
    if (bp_fixture_load_dir(&fs, dir, &err)) {
        fprintf(stderr, "bpcheck tolerances: %s\n", err.msg);
        return 2;
    }
    bp_precision p = f32 ? BP_FLOAT32 : BP_FLOAT64;
    criteria = criteria && f32; /* the float64 profile has none */
    size_t n = 0, unmeetable = 0, cap = 0;
    int failed = 0;
    double *v[5] = {NULL};
    printf("# bpcheck tolerances: %s, profile %s%s\n", dir, f32 ? "float32" : "float64",
           criteria ? ", with the tensor-wide criteria" : ", per-entry bounds alone");
    if (!summary)
        printf("# %-52s %9s %9s %9s %9s %9s %8s\n", "case", "best", "median", "tensor", "tensor-med", "row",
               "entries");
    for (size_t fi = 0; fi < fs.nfiles; fi++)
        for (size_t ci = 0; ci < fs.files[fi]->ncases; ci++) {
            const bp_case *c = &fs.files[fi]->cases[ci];
            if (only && fnmatch(only, c->id, 0) != 0)
                continue;
            if (!c->bounds[p]) {
                unmeetable++;
                if (!summary)
                    printf("%-54s unmeetable: %s\n", c->id, c->unmeetable[p]);
                continue;
            }
            if (n == cap) {
                cap = 2 * cap + 64;
                for (int q = 0; q < 5; q++) {
                    double *g = realloc(v[q], cap * sizeof(double));
                    if (!g) {
                        fprintf(stderr, "bpcheck tolerances: out of memory\n");
                        for (int r = 0; r < 5; r++)
                            free(v[r]);
                        bp_fixture_set_free(&fs);
                        return 2;
                    }
                    v[q] = g;
                }
            }
            double row[5];
            int got = tolerance_row(c, p, criteria, summary, row);
            failed |= got < 0;
            if (got > 0) { /* (a case with no non-zero entry resolves nothing) */
                for (int q = 0; q < 5; q++)
                    v[q][n] = row[q];
                n++;
            }
        }
    if (n) {
        const char *what[5] = {"best entry", "median entry", "best tensor", "median tensor", "best row"};
        printf("# resolving power over %zu cases (min, 25%%, 50%%, 75%%, max):\n", n);
        for (int q = 0; q < 5; q++) {
            qsort(v[q], n, sizeof *v[q], dbl_cmp);
            printf("# %-13s %9.2g %9.2g %9.2g %9.2g %9.2g\n", what[q], v[q][0], v[q][n / 4], v[q][n / 2],
                   v[q][(3 * n) / 4], v[q][n - 1]);
        }
    }
    if (unmeetable)
        printf("# %zu cases unmeetable in %s\n", unmeetable, f32 ? "float32" : "float64");
    for (int q = 0; q < 5; q++)
        free(v[q]);
    bp_fixture_set_free(&fs);
    return failed ? 2 : 0;
}

/* ---- bpcheck gradcheck -------------------------------------------------------------------- */

/* The entries whose stencil crosses a kink, for method k: central reaches 2h, h = cbrt(u)
 * max(1, |theta|); Richardson (GSL's rule) h = GC_STEP max(1, |theta|). */
static int fd_kinks(unsigned char *kink, int k, bp_cost model, const bp_model *params,
                    const bp_batch *batch, bp_error *err)
{
    double reach = k == 0 ? 2.0 * cbrt(DBL_EPSILON) : GC_STEP;
    return or_kinks(kink, reach, model, params, batch, err) == (size_t)-1 ? -1 : 0;
}

/* One entry of the cost, for --plot: the bundled reference's by the oracle's arithmetic, or,
 * under --impl, the implementation's own (ctx). */
typedef struct {
    bp_cost model;
    const bp_model *params;
    const bp_batch *batch;
    bp_reduction red;
    or_target t;
    void *ctx;     /* --impl: a gradcheck_ctx */
    double *theta; /* --impl: a copy of the parameters, the entry at moved */
    size_t at;
} plot_entry;

static double gradcheck_cost(const double *theta, void *p);

static double plot_cost(double eps, void *p)
{
    plot_entry *e = p;
    if (!e->ctx)
        return or_cost_real(e->model, e->params, e->batch, NULL, e->red, &e->t, eps, OR_WHOLE);
    double saved = e->theta[e->at];
    e->theta[e->at] = saved + eps;
    double c = gradcheck_cost(e->theta, e->ctx);
    e->theta[e->at] = saved;
    return c;
}

static double plot_cstep(double h, void *p)
{
    plot_entry *e = p;
    return cimag(or_cost_complex(e->model, e->params, e->batch, NULL, e->red, &e->t, CMPLX(0.0, h),
                                 OR_WHOLE)) / h;
}

/* --plot: the error of each step method that ran against its step, at the entry with the
 * largest |g|, measured from its derivative by dual numbers (plots.h) */
static int gradcheck_plot(const char *path, const int *want, const char *what,
                          const bp_model *params, plot_entry *e, const double *g)
{
    size_t at = 0;
    for (size_t i = 1; i < params->nparams; i++)
        if (fabs(g[i]) > fabs(g[at]))
            at = i;
    e->t = or_target_of(params, at), e->at = at;
    char name[64];
    bp_model_param_name(params, at, name, sizeof name);
    or_dual d = or_cost_dual(e->model, params, e->batch, NULL, e->red, &e->t, (or_dual){0.0, 1.0},
                             OR_WHOLE);
    bp_fd_plot p = {name, what, params->theta[at], d.d, want[0], want[1], plot_cost,
                    want[2] && !e->ctx ? plot_cstep : NULL, e};
    bp_error err;
    char *s = bp_fd_plot_script(&p, &err), tail[96];
    snprintf(tail, sizeof tail, " (the entry %s)", name);
    return draw("gradcheck", path, s, 1000, 900, tail, &err);
}

static void gradcheck_usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck gradcheck [OPTIONS]\n"
            "\n"
            "Check the reference's gradient of one model on a random network and batch with\n"
            "independent oracles, and print a table: method, max abs error, max rel error\n"
            "(normwise per tensor), the oracle's own error estimate, cost evaluations,\n"
            "seconds and the verdict.\n"
            "\n"
            "Options:\n"
            "  --model M       quadratic, loglik or cross-entropy (default cross-entropy)\n"
            "  --sizes LIST    layer sizes, input first (default 4,8,3)\n"
            "  --activations LIST  one per layer after the input: sigmoid, tanh, relu,\n"
            "                  leaky-relu[:SLOPE], identity, softmax (default: the model's)\n"
            "  --batch M       samples (default 5)\n"
            "  --reduction R   sum or mean (default mean)\n"
            "  --seed S        seed of the parameters, the batch and the directions (default 7)\n"
            "  --method M      central, richardson, complex, dual, directional, taylor or all\n"
            "                  (default all)\n"
            "  --directions K  random directions of the directional test (default 4)\n"
            "  --no-reuse      run the whole forward pass for every evaluation\n"
            "  --inject REL    add REL times max|g| to the largest gradient entry first: a\n"
            "                  deliberately wrong gradient, to see the checks fail\n"
            "  --impl CMD      check a third party's gradient instead, against finite\n"
            "                  differences of ITS OWN cost: CMD speaks bpcheck-protocol/1\n"
            "                  (testsuite/PROTOCOL.md) and is asked for grad once and for cost\n"
            "                  at perturbed parameters; complex and dual do not apply\n"
            "  --timeout SEC   seconds per request to --impl (default 60)\n"
            "  --plot FILE     draw the error of each step method that ran (central, richardson,\n"
            "                  complex) against its step h (log-log) for the largest gradient\n"
            "                  entry, from its dual-number derivative, the step used marked, with\n"
            "                  the truncation and round-off slopes, by gnuplot; SVG or PNG by\n"
            "                  FILE's extension, or .gp for the script (gnuplot FILE.gp draws\n"
            "                  FILE.png)\n"
            "  -h, --help      show this help\n"
            "\n"
            "Methods: central (h = cbrt(eps) max(1,|theta|)); richardson (GSL's gsl_deriv_central);\n"
            "complex (Im C(theta + i h e_i)/h, h = 1e-20); dual (forward-mode dual numbers);\n"
            "directional (g.u against the derivative along random Gaussian u); taylor (the order\n"
            "of |C(theta + h u) - C(theta) - h g.u|: 2 for a right gradient, 1 for a wrong one).\n"
            "Criterion: |g - r| <= estimate + rho (|r| + max|r| of the tensor), with rho the\n"
            "gradient's own rounding allowance (testsuite/oracles/gradcheck.h).\n"
            "Kinks: with relu or leaky-relu layers, an entry whose finite-difference stencil\n"
            "can move some such neuron's z across 0 (a rigorous bound through the layers above)\n"
            "estimates neither one-sided derivative: central and richardson leave it out and\n"
            "count it ('kink: N skipped'). complex and dual branch on z itself, exact away\n"
            "from 0 and with the stated derivative at 0 (relu'(0) = 0, leaky'(0) = slope).\n"
            "Data: x uniform in (-2.5, 2.5), targets uniform in (0, 1), rows normalised to sum\n"
            "to 1 for cross-entropy.\n"
            "\n"
            "Exit status: 0 every method passes, 1 one fails, 2 usage error.\n");
}

typedef struct {
    bp_cost model;
    bp_model *work;
    const bp_batch *batch;
    bp_reduction red;
    bp_child *child; /* --impl: ask it instead of computing */
    double timeout;
    size_t requests;
    char failure[512]; /* the first thing that went wrong with the child */
} gradcheck_ctx;

/* Ask the child for want ("cost" or "grad") at c->work's parameters; NULL on failure. */
static json_t *ask(gradcheck_ctx *c, const char *want)
{
    bp_case q = {.id = "gradcheck", .cost = c->model, .red = c->red, .params = c->work,
                 .batch = (bp_batch *)c->batch, .eta = 0.5};
    json_t *req = bp_case_to_json(&q, 0), *r = NULL;
    json_object_set_new(req, "want", json_pack("[s]", want));
    char *line = bp_json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(17)), *answer = NULL, msg[512];
    json_decref(req);
    c->requests++;
    if (line && bp_child_send(c->child, line, strlen(line), msg, sizeof msg) == CHILD_OK &&
        bp_child_recv(c->child, &answer, c->timeout, msg, sizeof msg) == CHILD_OK) {
        json_error_t je;
        r = json_loads(answer, 0, &je);
        if (!r)
            snprintf(msg, sizeof msg, "the answer is not valid JSON: %s", je.text);
        else if (json_object_get(r, "error"))
            snprintf(msg, sizeof msg, "the implementation reported an error: %s",
                     json_string_value(json_object_get(r, "error")));
    }
    if ((!r || json_object_get(r, "error")) && !c->failure[0])
        snprintf(c->failure, sizeof c->failure, "%s", msg);
    if (r && json_object_get(r, "error"))
        json_decref(r), r = NULL;
    free(line), free(answer);
    return r;
}

static double gradcheck_cost(const double *theta, void *p)
{
    gradcheck_ctx *c = p;
    bp_model_set(c->work, theta);
    if (!c->child)
        return bp_cost_value(c->model, c->work, c->batch, c->red);
    json_t *r = ask(c, "cost"), *v = r ? json_object_get(r, "cost") : NULL;
    double cost = json_is_number(v) ? json_number_value(v) : NAN; /* NaN fails every check */
    if (r && !json_is_number(v) && !c->failure[0])
        snprintf(c->failure, sizeof c->failure, "the answer has no number 'cost'");
    json_decref(r);
    return cost;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void print_number(double v)
{
    if (isnan(v))
        printf("  %-12s", "-");
    else
        printf("  %-12.3g", v);
}

/* bpcheck gradcheck's options, as given and as parsed */
typedef struct {
    const char *model_s, *sizes_s, *batch_s, *red_s, *seed_s, *method_s, *dirs_s, *inject_s,
        *impl_s, *acts_s, *plot_s, *timeout_s;
    int reuse, want[6]; /* want: gc_methods[k] runs */
    bp_cost model;
    bp_reduction red;
    size_t L, n[BP_MAX_LAYERS + 1], m, dirs;
    unsigned long long seed;
    double timeout, inject;
} gc_options;

static const char *const gc_methods[] = {"central", "richardson", "complex", "dual", "directional",
                                         "taylor"};

/* o's strings checked and converted: -1 when they are good, else 2, the message printed */
static int gradcheck_convert(gc_options *o)
{
    int any = 0;
    for (int k = 0; k < 6; k++)
        any |= o->want[k] = strcmp(o->method_s, "all") == 0 || strcmp(o->method_s, gc_methods[k]) == 0;
    bp_error err = {""};
    if (any && o->plot_s && !o->want[0] && !o->want[1] && (!o->want[2] || o->impl_s)) {
        fprintf(stderr, "bpcheck gradcheck: --plot draws the methods with a step: central, "
                        "richardson%s; --method %s has none\n", o->impl_s ? "" : " and complex",
                o->method_s);
        return 2;
    }
    if (!any) {
        fprintf(stderr, "bpcheck gradcheck: --method '%s': expected central, richardson, complex, "
                        "dual, directional, taylor or all\n", o->method_s);
        return 2;
    }
    if (bp_cost_parse(o->model_s, &o->model, &err) || bp_sizes_parse(o->sizes_s, &o->L, o->n, &err) ||
        bp_reduction_parse(o->red_s, &o->red, &err)) {
        fprintf(stderr, "bpcheck gradcheck: %s\n", err.msg);
        return 2;
    }
    if (parse_count("gradcheck", "--batch", o->batch_s, 100000, &o->m) ||
        parse_count("gradcheck", "--directions", o->dirs_s, 1000, &o->dirs))
        return 2;
    char *end;
    errno = 0;
    o->seed = strtoull(o->seed_s, &end, 10);
    if (*o->seed_s < '0' || *o->seed_s > '9' || *end || errno) {
        fprintf(stderr, "bpcheck gradcheck: --seed '%s': expected a non-negative integer\n", o->seed_s);
        return 2;
    }
    o->timeout = strtod(o->timeout_s, &end);
    if (end == o->timeout_s || *end || !(o->timeout > 0) || !(o->timeout <= 604800)) { /* a week, as conform's */
        fprintf(stderr, "bpcheck gradcheck: --timeout '%s': expected seconds, more than 0 and at most 604800\n",
                o->timeout_s);
        return 2;
    }
    o->inject = o->inject_s ? strtod(o->inject_s, &end) : 0.0;
    if (o->inject_s && (end == o->inject_s || *end || !isfinite(o->inject))) {
        fprintf(stderr, "bpcheck gradcheck: --inject '%s': expected a finite number\n", o->inject_s);
        return 2;
    }
    return -1;
}

/* argv into o: -1 to run, else the exit status (0 after --help, 2 on a usage error) */
static int gradcheck_options(int argc, char **argv, gc_options *o)
{
    *o = (gc_options){.model_s = "cross-entropy", .sizes_s = "4,8,3", .batch_s = "5",
                      .red_s = "mean", .seed_s = "7", .method_s = "all", .dirs_s = "4",
                      .timeout_s = "60", .reuse = OR_VECTOR};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            gradcheck_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--no-reuse") == 0) {
            o->reuse = OR_WHOLE;
            continue;
        }
        int r;
        if ((r = opt_value(argc, argv, &i, "--model", &o->model_s)) ||
            (r = opt_value(argc, argv, &i, "--sizes", &o->sizes_s)) ||
            (r = opt_value(argc, argv, &i, "--activations", &o->acts_s)) ||
            (r = opt_value(argc, argv, &i, "--batch", &o->batch_s)) ||
            (r = opt_value(argc, argv, &i, "--reduction", &o->red_s)) ||
            (r = opt_value(argc, argv, &i, "--seed", &o->seed_s)) ||
            (r = opt_value(argc, argv, &i, "--plot", &o->plot_s)) ||
            (r = opt_value(argc, argv, &i, "--method", &o->method_s)) ||
            (r = opt_value(argc, argv, &i, "--directions", &o->dirs_s)) ||
            (r = opt_value(argc, argv, &i, "--inject", &o->inject_s)) ||
            (r = opt_value(argc, argv, &i, "--impl", &o->impl_s)) ||
            (r = opt_value(argc, argv, &i, "--timeout", &o->timeout_s))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "bpcheck gradcheck: unknown option '%s'\nTry 'bpcheck gradcheck --help'.\n",
                a);
        return 2;
    }
    return gradcheck_convert(o);
}

/* The network and batch of the seed (and --activations): 0, or -1 with the message printed */
static int gradcheck_data(const gc_options *o, bp_model *params, bp_batch *batch)
{
    bp_error err = {""};
    int rc = -1;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng || bp_model_init_seed(params, (unsigned long)o->seed, &err))
        fprintf(stderr, "bpcheck gradcheck: %s\n", rng ? err.msg : "out of memory");
    else if (o->plot_s && bp_plot_check_path(o->plot_s, &err))
        fprintf(stderr, "bpcheck gradcheck: %s\n", err.msg);
    else if (o->acts_s && (bp_acts_parse(o->acts_s, params, &err) ||
                           bp_acts_check(params, o->model, &err)))
        fprintf(stderr, "bpcheck gradcheck: --activations: %s\n", err.msg);
    else {
        gsl_rng_set(rng, (unsigned long)o->seed + 1);
        bp_batch_fill(batch, rng);
        size_t J = o->n[o->L];
        if (o->model == BP_CROSS_ENTROPY)
            for (size_t p = 0; p < o->m; p++) {
                double sum = 0.0;
                for (size_t j = 0; j < J; j++)
                    sum += batch->y[p * J + j];
                for (size_t j = 0; j < J; j++)
                    batch->y[p * J + j] /= sum;
            }
        rc = 0;
    }
    if (rng)
        gsl_rng_free(rng);
    return rc;
}

/* The gradient to check into grad: the implementation's (--impl: asked once, at the
 * parameters in ctx->work) or the bundled reference's, then --inject's error. 0; 1 when the
 * implementation gave none (said on stdout, FAIL); 2 when the reference failed. */
static int gradcheck_gradient(const gc_options *o, gradcheck_ctx *ctx, const bp_model *params,
                              bp_model *grad)
{
    bp_error err = {""};
    if (o->impl_s) {
        bp_model_copy(ctx->work, params);
        json_t *ans = ask(ctx, "grad"), *gj = ans ? json_object_get(ans, "grad") : NULL;
        int bad = !gj || bp_params_from_json(grad, gj, "the answer", "grad", &err);
        json_decref(ans);
        if (bad) {
            fprintf(stderr, "bpcheck gradcheck: --impl: %s\n",
                    ctx->failure[0] ? ctx->failure : gj ? err.msg : "the answer has no 'grad'");
            printf("bpcheck gradcheck: the implementation gave no usable gradient: FAIL\n");
            return 1;
        }
    } else if (bp_gradient(o->model, grad, NULL, NULL, params, ctx->batch, o->red, &err)) {
        fprintf(stderr, "bpcheck gradcheck: %s\n", err.msg);
        return 2;
    }
    if (o->inject != 0.0) {
        size_t at = 0;
        for (size_t i = 1; i < params->nparams; i++)
            if (fabs(grad->theta[i]) > fabs(grad->theta[at]))
                at = i;
        char name[64];
        printf("injected: %s += %g x %.3g\n", bp_model_param_name(params, at, name, sizeof name),
               o->inject, fabs(grad->theta[at]));
        grad->theta[at] += o->inject * fabs(grad->theta[at]);
    }
    return 0;
}

/* What the methods share: the network, the gradient to check, the oracle's values r, their
 * estimates e and the kink mask (central and richardson alone), the rounding allowance */
typedef struct {
    const gc_options *o;
    gradcheck_ctx *ctx;
    const bp_model *params, *grad;
    double *r, *e, rho;
    unsigned char *kink;
} gc_run;

/* Method k of gc_methods into rep: 0, or -1 with err set */
static int gradcheck_method(const gc_run *g, int k, gc_report *rep, bp_error *err)
{
    const gc_options *o = g->o;
    const bp_model *params = g->params;
    size_t P = params->nparams;
    int fail;
    if (o->impl_s && k < 2) { /* central, richardson on the implementation's own cost */
        size_t before = g->ctx->requests;
        fail = k == 0 ? gc_central_plain(g->r, g->e, gradcheck_cost, g->ctx, params->theta, P, err)
                      : gc_central(g->r, g->e, gradcheck_cost, g->ctx, params->theta, P, err);
        if (!fail && !(fail = fd_kinks(g->kink, k, o->model, params, g->ctx->batch, err))) {
            if (k == 1)
                for (size_t i = 0; i < P; i++)
                    g->e[i] *= GC_ROUND_FACTOR; /* as gc_tolerance scales GSL's estimate */
            gc_judge_masked(rep, params, g->grad->theta, g->r, g->e, g->rho, g->kink);
        }
        rep->evaluations = g->ctx->requests - before;
    } else if (k < 4) {
        fail = or_gradient((or_method)k, g->r, k < 2 ? g->e : NULL, &rep->evaluations, o->model,
                           params, g->ctx->batch, o->red, o->reuse, err);
        if (!fail && k >= 2) /* complex, dual: their own rounding, the same allowance as g's */
            gc_judge_exact(rep, params, g->grad->theta, g->r, g->rho);
        else if (!fail && !(fail = fd_kinks(g->kink, k, o->model, params, g->ctx->batch, err)))
            gc_judge_masked(rep, params, g->grad->theta, g->r, g->e, g->rho, g->kink);
    } else if (k == 4) {
        fail = gc_directional(rep, gradcheck_cost, g->ctx, params->theta, g->grad->theta, P,
                              o->dirs, (unsigned long)o->seed, g->rho, err);
    } else {
        fail = gc_taylor(rep, gradcheck_cost, g->ctx, params->theta, g->grad->theta, P,
                         (unsigned long)o->seed, err);
    }
    return fail ? -1 : 0;
}

/* Method k's row of the table */
static void gradcheck_row(const gc_run *g, int k, const gc_report *rep)
{
    printf("%-12s", gc_methods[k]);
    if (k == 5) {
        char order[32];
        snprintf(order, sizeof order, "order %.2f", rep->order);
        printf("  %-26s", order);
        print_number(NAN);
    } else {
        print_number(rep->max_abs);
        print_number(rep->max_rel);
        print_number(rep->estimate);
    }
    printf("  %-9zu  %-9.3g  %s", rep->evaluations, rep->seconds, rep->pass ? "pass" : "FAIL");
    if (rep->kinks)
        printf("  (kink: %zu skipped)", rep->kinks);
    if (k == 4)
        printf("  (P(miss an error of norm 1e-6 |g|) <= %.2g)", rep->p_miss);
    if (!rep->pass && k < 4 && rep->worst < g->params->nparams) { /* where: the tensor, its entry */
        char where[64];
        printf("  worst: %s, g = %.6g, %s %.6g",
               bp_model_param_name(g->params, rep->worst, where, sizeof where),
               g->grad->theta[rep->worst], k < 2 ? "differences" : "oracle", g->r[rep->worst]);
    }
    printf("\n");
}

/* The header and every method's row: 0 when every method passes, 1 when one fails, 2 when
 * one could not run (the message printed) */
static int gradcheck_table(const gc_run *g, const char *sz)
{
    const gc_options *o = g->o;
    printf("bpcheck gradcheck: %s %s, batch %zu (%s), seed %llu: %zu parameters%s\n", o->model_s,
           sz, o->m, o->red_s, o->seed, g->params->nparams, o->reuse ? "" : " (no reuse)");
    printf("the gradient checked: %s\n", o->impl_s ? o->impl_s : "the bundled reference's");
    printf("criterion: |g - r| <= estimate + rho (|r| + max|r| of the tensor), rho = %.3g\n\n",
           g->rho);
    printf("%-12s  %-12s  %-12s  %-12s  %-9s  %-9s  %s\n", "method", "max abs err",
           "max rel err", "estimate", "evals", "seconds", "verdict");
    int all = 1;
    for (int k = 0; k < 6; k++) {
        if (!o->want[k])
            continue;
        if (o->impl_s && k >= 2 && k < 4) {
            printf("%-12s  not applicable to --impl: it needs the implementation's own %s\n",
                   gc_methods[k], k == 2 ? "complex arithmetic" : "dual-number arithmetic");
            continue;
        }
        gc_report rep;
        gc_report_init(&rep, gc_methods[k]);
        bp_error err = {""};
        double t0 = seconds_now();
        if (gradcheck_method(g, k, &rep, &err)) {
            fprintf(stderr, "bpcheck gradcheck: %s: %s\n", gc_methods[k], err.msg);
            return 2;
        }
        rep.seconds = seconds_now() - t0;
        if (o->impl_s && g->ctx->failure[0]) {
            rep.pass = 0;
            fprintf(stderr, "bpcheck gradcheck: %s: the implementation: %s\n", gc_methods[k],
                    g->ctx->failure);
            g->ctx->failure[0] = '\0';
        }
        all &= rep.pass;
        gradcheck_row(g, k, &rep);
    }
    return all ? 0 : 1;
}

/* --plot after the table: rc, or 2 when it cannot be drawn, 1 when the implementation failed */
static int gradcheck_plot_after(const gc_run *g, const char *sz, int rc)
{
    const gc_options *o = g->o;
    char what[256], acts[96];
    snprintf(what, sizeof what, "%s %s (%s), batch %zu (%s); C from %s", o->model_s, sz,
             bp_acts_format(g->params, o->model, acts, sizeof acts), o->m, o->red_s,
             o->impl_s ? o->impl_s : "the bundled reference");
    plot_entry pe = {o->model, g->params, g->ctx->batch, o->red, {0}, o->impl_s ? g->ctx : NULL,
                     NULL, 0};
    if (o->impl_s && (pe.theta = malloc(g->params->nparams * sizeof *pe.theta)))
        memcpy(pe.theta, g->params->theta, g->params->nparams * sizeof *pe.theta);
    if (o->impl_s && !pe.theta)
        fprintf(stderr, "bpcheck gradcheck: out of memory for the plot\n");
    if ((o->impl_s && !pe.theta) || gradcheck_plot(o->plot_s, o->want, what, g->params, &pe,
                                                   g->grad->theta))
        rc = 2;
    free(pe.theta);
    if (o->impl_s && g->ctx->failure[0]) {
        fprintf(stderr, "bpcheck gradcheck: --plot: the implementation: %s\n", g->ctx->failure);
        rc = 1;
    }
    return rc;
}

static int cmd_gradcheck(int argc, char **argv)
{
    gc_options o;
    int rc = gradcheck_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    rc = 2;
    bp_error err = {""};
    bp_child child;
    gradcheck_ctx ctx = {o.model, NULL, NULL, o.red, NULL, o.timeout, 0, ""};
    bp_model *params = bp_model_alloc(o.L, o.n, &err), *grad = NULL, *work = NULL;
    bp_batch *batch = params ? bp_batch_alloc(o.m, o.n[0], o.n[o.L], &err) : NULL;
    double *r = NULL, *e = NULL;
    unsigned char *kink = NULL;
    if (!batch) {
        fprintf(stderr, "bpcheck gradcheck: %s\n", err.msg);
        goto done;
    }
    if (gradcheck_data(&o, params, batch))
        goto done;
    /* what only some methods use is allocated for them alone: on a VM an untouched mapping
     * still costs its mmap and munmap, a touched one 2.6 us a page */
    int need_fd = o.want[0] || o.want[1], need_work = o.impl_s || o.want[4] || o.want[5] || o.plot_s;
    grad = bp_model_alloc_like(params, &err);
    work = need_work ? bp_model_alloc_like(params, &err) : NULL;
    r = malloc(params->nparams * sizeof *r);
    e = need_fd ? malloc(params->nparams * sizeof *e) : NULL;
    kink = need_fd ? malloc(params->nparams) : NULL;
    ctx = (gradcheck_ctx){o.model, work, batch, o.red, NULL, o.timeout, 0, ""};
    if (o.impl_s) {
        bp_child_init(&child, o.impl_s, (size_t)256 << 20);
        ctx.child = &child;
    }
    if (!grad || (need_work && !work) || !r || (need_fd && (!e || !kink))) {
        fprintf(stderr, "bpcheck gradcheck: %s\n", err.msg[0] ? err.msg : "out of memory");
        goto done;
    }
    if ((rc = gradcheck_gradient(&o, &ctx, params, grad)) != 0)
        goto done;
    gc_run g = {&o, &ctx, params, grad, r, e, gc_rho(params, o.m), kink};
    char sz[64];
    bp_sizes_format(params, sz, sizeof sz);
    rc = gradcheck_table(&g, sz);
    if (rc != 2 && o.plot_s)
        rc = gradcheck_plot_after(&g, sz, rc);
done:
    if (ctx.child)
        bp_child_free(ctx.child);
    free(r), free(e), free(kink);
    bp_batch_free(batch);
    bp_model_free(params), bp_model_free(grad), bp_model_free(work);
    return rc;
}

int main(int argc, char **argv)
{
    /* this program's own path, for the default --impl of conform */
    ssize_t len = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len > 0)
        self_path[len] = '\0';
    else
        snprintf(self_path, sizeof self_path, "%s", argv[0]);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("bpcheck %s\n", BPCHECK_VERSION);
        return 0;
    }
    if (arg[0] == '-') {
        fprintf(stderr, "bpcheck: unknown option '%s'\nTry 'bpcheck --help'.\n", arg);
        return 2;
    }
    const bp_command *c = find_command(arg);
    if (!c)
        return unknown_command(arg);
    return c->run(argc - 1, argv + 1);
}
