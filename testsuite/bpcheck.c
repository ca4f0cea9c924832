/* testsuite/bpcheck.c: bin/bpcheck, the project's one command-line program.
 * Subcommands are a table; later issues add rows (conform, gradcheck, train, derivations).
 * Exit status: 0 success, 1 a check failed, 2 usage error or unusable input.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "train.h"

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

static const bp_command commands[] = {
    {"help", "show this help, or a command's help", cmd_help},
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
            "  -h, --help    show this help\n"
            "\n"
            "Data: one sample per line, comma-separated: N0 features, then either NL target\n"
            "values or, when NL > 1, one class label from 0 to NL-1 (a one-hot target).\n"
            "Blank lines and lines starting with # are ignored. For cross-entropy the targets\n"
            "of a sample must sum to 1.\n"
            "\n"
            "Output, one line per epoch:\n"
            "  epoch E/N  train-cost C  last-X accuracy A%%  cost C  accuracy A%%\n"
            "train-cost is the mean cost of the epoch's samples when each was fed forward, and\n"
            "last-X accuracy is over the last X samples at that moment; cost and accuracy are\n"
            "over the whole data after the epoch. The same seed gives the same output.\n"
            "\n"
            "Exit status: 0 trained, 2 usage error or unusable data.\n");
}

static void train_progress(const bp_epoch_report *r, void *ctx)
{
    (void)ctx;
    printf("epoch %zu/%zu  train-cost %.6f  last-%zu accuracy %.1f%%  cost %.6f  "
           "accuracy %.1f%%\n",
           r->epoch, r->epochs, r->train_cost, r->window_seen, 100.0 * r->window_accuracy,
           r->cost, 100.0 * r->accuracy);
    fflush(stdout);
}

static int cmd_train(int argc, char **argv)
{
    const char *model_s = "cross-entropy", *sizes_s = NULL, *data_s = NULL, *save_s = NULL;
    const char *epochs_s = "30", *batch_s = "1", *eta_s = "0.5", *seed_s = "1";
    const char *window_s = "100";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            train_usage(stdout);
            return 0;
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
    bp_train_opts o;
    char *end;
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

    FILE *f = fopen(data_s, "r");
    if (!f) {
        fprintf(stderr, "bpcheck train: %s: %s\n", data_s, strerror(errno));
        return 2;
    }
    bp_batch *data = bp_data_read_csv(f, data_s, n[0], n[L], &err);
    fclose(f);
    if (!data) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        return 2;
    }
    bp_model *params = bp_model_alloc(L, n, &err);
    int rc = 2;
    if (!params || bp_model_init_seed(params, o.seed, &err) ||
        bp_train(params, model, data, &o, train_progress, NULL, NULL, &err)) {
        fprintf(stderr, "bpcheck train: %s\n", err.msg);
        goto done;
    }
    if (save_s) {
        FILE *out = fopen(save_s, "w");
        if (!out || bp_model_write(out, params) || fclose(out)) {
            fprintf(stderr, "bpcheck train: cannot write %s: %s\n", save_s, strerror(errno));
            goto done;
        }
    }
    rc = 0;
done:
    bp_model_free(params);
    bp_batch_free(data);
    return rc;
}

int main(int argc, char **argv)
{
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
