/* testsuite/t/train.c: training (reference/train.c, 004:train with 002:sgd's mini-batches) and
 * `bpcheck train`: a separable problem is learnt to 100% accuracy by every model, a step is
 * params - eta * grad, runs are reproducible, and bad data or options are refused clearly. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "tap.h"
#include "testutil.h"
#include "train.h"

/* Two Gaussian clouds (sd 0.5) around (-1.5, -1) and (1.5, 1), 40 samples, classes 0 and 1
 * alternating, one-hot over two outputs: linearly separable with a margin of ~3.6 sd. */
static bp_batch *separable(unsigned long seed)
{
    bp_error err;
    bp_batch *b = bp_batch_alloc(40, 2, 2, &err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t p = 0; p < 40; p++) {
        int c = (int)(p % 2);
        b->x[2 * p] = (c ? 1.5 : -1.5) + gsl_ran_gaussian(rng, 0.5);
        b->x[2 * p + 1] = (c ? 1.0 : -1.0) + gsl_ran_gaussian(rng, 0.5);
        b->y[2 * p] = c ? 0.0 : 1.0;
        b->y[2 * p + 1] = c ? 1.0 : 0.0;
    }
    gsl_rng_free(rng);
    return b;
}

static void train_to_100(bp_cost model, size_t batch, double eta, const char *ids)
{
    bp_error err;
    bp_batch *data = separable(11);
    bp_model *m = tu_model("2,3,2", 5);
    bp_train_opts o = {60, batch, 10, eta, 7, NULL};
    bp_epoch_report r = {0};
    if (bp_train(m, model, data, &o, NULL, NULL, &r, &err))
        tap_bail_out("train: %s", err.msg);
    if (!tap_ok(r.accuracy == 1.0 && r.window_accuracy == 1.0 && r.window_seen == 10,
                "%s %s trains 2-3-2 on a separable problem (40 samples) to 100%% accuracy "
                "(batch %zu, eta %g, 60 epochs)", ids, bp_cost_name(model), batch, eta))
        tap_diag("accuracy %.3f, last-%zu accuracy %.3f, cost %.6g", r.accuracy, r.window_seen,
                 r.window_accuracy, r.cost);
    bp_batch_free(data), bp_model_free(m);
}

/* Run bpcheck with args; stdout into *out; stderr into *errout if not NULL. */
static int bpcheck(const char *args, char **out, char **errout)
{
    char cmd[4096], errfile[] = "/tmp/bpcheck-train-err-XXXXXX";
    int fd = mkstemp(errfile);
    if (fd < 0)
        tap_bail_out("mkstemp failed");
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", tu_env("BPCHECK"), args, errfile);
    int status = tu_run(cmd, out);
    if (errout) {
        snprintf(cmd, sizeof cmd, "cat '%s'", errfile);
        tu_run(cmd, errout);
    }
    unlink(errfile);
    return status;
}

/* `bpcheck train ARGS` on a data file with `text` exits 2 and says `what` on stderr. */
static void refused(const char *text, const char *args, const char *what, const char *label)
{
    const char *file = tu_temp_file(text);
    char full[2048], *out, *err;
    snprintf(full, sizeof full, "train --data '%s' %s", file, args);
    int status = bpcheck(full, &out, &err);
    if (!tap_ok(status == 2 && strstr(err, what) != NULL,
                "bpcheck train refuses %s: exit 2, message names '%s'", label, what))
        tap_diag("exit %d, stderr: %s", status, err);
    unlink(file);
    free(out), free(err);
}

/* Held-out data, standardization, CSV headers, plots, and a real data set (issue 16). */
static void real_data(void)
{
    bp_error err;
    bp_batch *d = bp_batch_alloc(10, 2, 1, &err), *tr = NULL, *te = NULL;
    for (size_t p = 0; p < 10; p++)
        d->x[2 * p] = (double)p, d->x[2 * p + 1] = 5.0, d->y[p] = (double)p;
    int rc = bp_data_split(d, 0.25, 3, &tr, &te, &err);
    double seen = 0.0;
    for (size_t p = 0; rc == 0 && p < tr->m; p++)
        seen += tr->y[p];
    for (size_t p = 0; rc == 0 && p < te->m; p++)
        seen += te->y[p];
    tap_ok(rc == 0 && te->m == 3 && tr->m == 7 && seen == 45.0,
           "bp_data_split: a fraction of 0.25 holds out ceil(2.5) = 3 of 10, every sample in exactly "
           "one part");
    bp_batch *tr2, *te2;
    bp_data_split(d, 0.25, 3, &tr2, &te2, &err);
    tap_ok(rc == 0 && memcmp(te->y, te2->y, 3 * sizeof(double)) == 0, "bp_data_split: the same seed, "
           "the same split");
    bp_batch_free(tr2), bp_batch_free(te2);
    tap_ok(bp_data_split(d, 1.0, 3, &tr2, &te2, &err) != 0 && strstr(err.msg, "between 0 and 1") &&
               bp_data_split(d, 0.01, 3, &tr2, &te2, &err) == 0 && te2->m == 1,
           "bp_data_split: a fraction of 1 is refused; 0.01 of 10 holds out one");
    bp_batch_free(tr2), bp_batch_free(te2);
    double mean_tr = 0.0, var = 0.0, x0_test = te->x[0], mu = 0.0, sd = 0.0;
    for (size_t p = 0; p < tr->m; p++)
        mu += tr->x[2 * p];
    mu /= (double)tr->m;
    for (size_t p = 0; p < tr->m; p++)
        sd += (tr->x[2 * p] - mu) * (tr->x[2 * p] - mu);
    sd = sqrt(sd / (double)tr->m);
    bp_data_standardize(tr, te);
    for (size_t p = 0; p < tr->m; p++)
        mean_tr += tr->x[2 * p], var += tr->x[2 * p] * tr->x[2 * p];
    int constant_centred = 1;
    for (size_t p = 0; p < tr->m; p++)
        constant_centred &= tr->x[2 * p + 1] == 0.0;
    tap_ok(fabs(mean_tr) < 1e-12 && fabs(var / (double)tr->m - 1.0) < 1e-12 &&
               fabs(te->x[0] - (x0_test - mu) / sd) < 1e-12 && constant_centred,
           "bp_data_standardize: the training features to mean 0 and sd 1, the held-out ones by the "
           "training statistics, a constant feature centred");
    bp_batch_free(tr), bp_batch_free(te), bp_batch_free(d);

    /* in a private directory: the mutation runs run two copies of the suite side by side */
    char *prog = realpath(tu_env("BPCHECK"), NULL), *out, dir[] = "/tmp/bpcheck-train-XXXXXX",
         *back = getcwd(NULL, 0);
    if (!prog || !back || !mkdtemp(dir) || chdir(dir) != 0)
        tap_bail_out("cannot make a private directory for the train tests");
    FILE *f = fopen("header.csv", "w");
    fprintf(f, "x1,x2,class\n0.5,1,0\n-1,2,1\n1,-1,0\n2,2,1\n");
    fclose(f);
    rc = tu_sh(&out, "'%s' train --sizes 2,3,2 --data header.csv --epochs 1", prog);
    tap_ok(rc == 2 && strstr(out, "header.csv:1: the first line looks like a header (field 1 "
                                  "is 'x1', not a number); skip it with --header"),
           "train: a CSV header is a clear error naming the file, line and field");
    free(out);
    rc = tu_sh(&out, "'%s' train --sizes 2,3,2 --data - --header --epochs 2 --test-fraction 0.25 "
               "--standardize < header.csv", prog);
    tap_ok(rc == 0 && strstr(out, "# 4 samples: 3 for training, 1 held out") &&
               strstr(out, "epoch 2/2") && strstr(out, "test-accuracy"),
           "train --header --test-fraction --standardize, data on standard input: the header "
           "skipped, a sample held out and reported each epoch");
    free(out);
    rc = tu_sh(&out, "'%s' train --sizes 2,3,2 --data header.csv --header "
               "--test-fraction 1.5", prog);
    tap_ok(rc == 2 && strstr(out, "--test-fraction '1.5'"), "train: --test-fraction 1.5 is a usage error");
    free(out);
    rc = tu_sh(&out, "'%s' train --sizes 2,3,2 --data header.csv --header --plot x.pdf", prog);
    tap_ok(rc == 2 && strstr(out, ".svg or .png"), "train --plot x.pdf: the format must be .svg or .png");
    free(out);

    /* plots: drawn where gnuplot is, a clear message and no file where it is not */
    rc = tu_sh(&out, "command -v gnuplot");
    free(out);
    if (rc != 0) {
        tap_skip("train --plot and gradcheck --plot: gnuplot is not installed (gnuplot-nox)");
        tap_skip("gradcheck --plot: gnuplot is not installed");
    } else {
        rc = tu_sh(&out, "rm -f t.svg; '%s' train --sizes 2,3,2 --data "
                   "header.csv --header --epochs 3 --plot t.svg && "
                   "grep -c '<svg' t.svg", prog);
        tap_ok(rc == 0 && strstr(out, "plotted t.svg"), "train --plot FILE.svg draws "
               "the cost and accuracy per epoch with gnuplot");
        free(out);
        rc = tu_sh(&out, "rm -f g.png; '%s' gradcheck --method complex --plot "
                   "g.png && head -c 4 g.png | od -c | head -1", prog);
        tap_ok(rc == 0 && strstr(out, "plotted g.png") && strstr(out, "P   N   G"),
               "gradcheck --plot FILE.png draws the error against h as a PNG");
        free(out);
    }
    rc = tu_sh(&out, "rm -f n.svg; PATH=/nonexistent '%s' train --sizes 2,3,2 --data "
               "header.csv --header --epochs 1 --plot n.svg 2>&1; "
               "test ! -e n.svg", prog);
    tap_ok(rc == 0 && strstr(out, "no plot: gnuplot is not installed"), "train --plot without "
           "gnuplot: the run trains, says there is no plot and why, and writes no file");
    free(out);
    unlink("header.csv"), unlink("t.svg"), unlink("g.png");
    if (chdir(back) != 0 || rmdir(dir) != 0)
        tap_diag("cannot clean up %s", dir);
    free(back);

    /* real data: scikit-learn's digits as Debian installs them (python3-sklearn) */
    const char *digits = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
    if (access(digits, R_OK) != 0) {
        if (getenv("BPCHECK_REQUIRE_SKLEARN"))
            tap_ok(0, "digits: %s is required here (BPCHECK_REQUIRE_SKLEARN) but missing", digits);
        else
            tap_skip("digits: %s is not installed (python3-sklearn)", digits);
        free(prog);
        return;
    }
    rc = tu_sh(&out, "zcat '%s' | '%s' train --sizes 64,30,10 --data - --test-fraction 0.2 "
               "--standardize --epochs 30 --batch 10 | tail -1", digits, prog);
    char *acc = strstr(out, "test-accuracy ");
    double a = acc ? strtod(acc + 14, NULL) : 0.0;
    tap_ok(rc == 0 && a >= 93.0, "digits, 64-30-10 (the README's command): %.1f%% held-out accuracy "
           "after 30 epochs (at least 93%%)", a);
    free(out);
    free(prog);
}

int main(void)
{
    /* 004:train, per sample, with the model 004 trains; and 002:sgd's mini-batches for all */
    train_to_100(BP_CROSS_ENTROPY, 1, 0.5, "004:train the 8-step per-sample loop:");
    train_to_100(BP_CROSS_ENTROPY, 5, 2.0, "002:sgd mini-batch SGD:");
    train_to_100(BP_QUADRATIC, 5, 3.0, "002:sgd mini-batch SGD:");
    train_to_100(BP_LOGLIK, 5, 2.0, "002:sgd mini-batch SGD:");

    /* One sample, one epoch: the parameters become params - eta * grad exactly (the same
     * operations as bp_model_step on the gradient of that sample). */
    {
        bp_error err;
        bp_batch *data = separable(3);
        data->m = 1;
        bp_model *m = tu_model("2,3,2", 9), *want = tu_model("2,3,2", 9);
        bp_model *g = bp_model_alloc_like(m, &err);
        bp_gradient(BP_CROSS_ENTROPY, g, NULL, NULL, want, data, BP_MEAN, &err);
        bp_model_step(want, want, g, 0.25);
        bp_train_opts o = {1, 1, 1, 0.25, 1, NULL};
        bp_train(m, BP_CROSS_ENTROPY, data, &o, NULL, NULL, NULL, &err);
        tap_ok(memcmp(m->theta, want->theta, m->nparams * sizeof(double)) == 0,
               "004:train step 7: after one sample the parameters are params - eta * grad, bit "
               "for bit");
        data->m = 40;
        bp_batch_free(data), bp_model_free(m), bp_model_free(want), bp_model_free(g);
    }

    /* Three samples, batch 3, one epoch: params - eta * (1/3) sum_p g_p (002:sgd). The trainer
     * sums in its shuffled order; a sum of 3 terms in another order moves by at most
     * 2u sum_p |g_p|, the 1/3, eta and the subtraction add a rounding each. */
    {
        bp_error err;
        bp_batch *data = separable(4);
        data->m = 3;
        bp_model *m = tu_model("2,3,2", 9), *want = tu_model("2,3,2", 9);
        bp_model *g = bp_model_alloc_like(m, &err), *gp = bp_model_alloc_like(m, &err);
        double eta = 0.75, U = 0x1p-52, tol[64] = {0};
        bp_gradient(BP_CROSS_ENTROPY, g, NULL, NULL, want, data, BP_MEAN, &err);
        for (size_t p = 0; p < 3; p++) {
            bp_batch one = {1, 2, 2, data->x + 2 * p, data->y + 2 * p};
            bp_gradient(BP_CROSS_ENTROPY, gp, NULL, NULL, want, &one, BP_SUM, &err);
            for (size_t i = 0; i < m->nparams; i++)
                tol[i] += 4 * U * eta * fabs(gp->theta[i]) / 3.0;
        }
        bp_model_step(want, want, g, eta);
        for (size_t i = 0; i < m->nparams; i++)
            tol[i] += 2 * U * fabs(want->theta[i]);
        bp_train_opts o = {1, 3, 1, eta, 1, NULL};
        bp_train(m, BP_CROSS_ENTROPY, data, &o, NULL, NULL, NULL, &err);
        tap_is_double_array(m->theta, want->theta, tol, m->nparams, 1, 0, 0,
                            "002:sgd 004:train a batch of 3 moves the parameters by eta times "
                            "the MEAN gradient");
        data->m = 40;
        bp_batch_free(data), bp_model_free(m), bp_model_free(want), bp_model_free(g);
        bp_model_free(gp);
    }

    /* Reproducible: the same seed gives the same parameters, another seed others. */
    {
        bp_error err;
        bp_batch *data = separable(11);
        bp_model *a = tu_model("2,3,2", 5), *b = tu_model("2,3,2", 5), *c = tu_model("2,3,2", 5);
        bp_train_opts o = {5, 3, 10, 0.5, 7, NULL}, o2 = {5, 3, 10, 0.5, 8, NULL};
        bp_train(a, BP_CROSS_ENTROPY, data, &o, NULL, NULL, NULL, &err);
        bp_train(b, BP_CROSS_ENTROPY, data, &o, NULL, NULL, NULL, &err);
        bp_train(c, BP_CROSS_ENTROPY, data, &o2, NULL, NULL, NULL, &err);
        tap_ok(memcmp(a->theta, b->theta, a->nparams * sizeof(double)) == 0 &&
                   memcmp(a->theta, c->theta, a->nparams * sizeof(double)) != 0,
               "004:train is deterministic for a seed (the sample order), and seeds differ");
        bp_batch_free(data), bp_model_free(a), bp_model_free(b), bp_model_free(c);
    }

    /* bpcheck train on a CSV file: labels, comments, blank lines. */
    bp_batch *data = separable(11);
    size_t cap = 40 * 80 + 200, used = 0;
    char *csv = malloc(cap);
    used += (size_t)snprintf(csv + used, cap - used, "# x1, x2, class\n\n");
    for (size_t p = 0; p < 40; p++)
        used += (size_t)snprintf(csv + used, cap - used, "%.17g,%.17g,%d\n", data->x[2 * p],
                                 data->x[2 * p + 1], data->y[2 * p + 1] == 1.0);
    char file[64], args[1024], *out, *out2, *err;
    snprintf(file, sizeof file, "%s", tu_temp_file(csv));
    snprintf(args, sizeof args, "train --sizes 2,3,2 --data '%s' --epochs 30 --seed 3", file);
    int status = bpcheck(args, &out, &err);
    size_t lines = 0;
    for (char *p = out; (p = strstr(p, "epoch ")) != NULL; p++)
        lines++;
    char *last = strstr(out, "epoch 30/30");
    tap_ok(status == 0 && lines == 30 && last && strstr(last, " accuracy 100.0%\n"),
           "004:train bpcheck train: one progress line per epoch, 100%% accuracy after 30 "
           "epochs (per-sample, cross-entropy)");
    bpcheck(args, &out2, NULL);
    tap_ok(strcmp(out, out2) == 0, "bpcheck train: the same seed prints the same lines");
    free(out), free(out2), free(err);

    /* --save writes a parameter file that reads back with the right sizes */
    char saved[] = "/tmp/bpcheck-saved-XXXXXX";
    int fd = mkstemp(saved);
    close(fd);
    snprintf(args, sizeof args, "train --sizes 2,3,2 --data '%s' --epochs 2 --save '%s'", file,
             saved);
    status = bpcheck(args, &out, NULL);
    FILE *f = fopen(saved, "r");
    bp_error e;
    bp_model *m = f ? bp_model_read(f, saved, &e) : NULL;
    tap_ok(status == 0 && m && m->L == 2 && m->n[0] == 2 && m->n[1] == 3 && m->n[2] == 2,
           "bpcheck train --save writes a bpcheck-params/1 file of the trained sizes");
    if (f)
        fclose(f);
    bp_model_free(m);
    unlink(saved);
    free(out);

    /* The CSV reader: targets given as values are kept; a label becomes one-hot. */
    {
        FILE *t = tmpfile();
        fputs("1,2,0.25,0.75\n3,4,2\n", t);
        rewind(t);
        bp_batch *b = bp_data_read_csv(t, "t.csv", 2, 3, &e);
        fclose(t);
        tap_ok(b == NULL && strstr(e.msg, "t.csv:1: 4 fields"),
               "csv: 2 target values where 3 outputs need 3 (or a label) are refused");
        bp_batch_free(b);
        t = tmpfile();
        fputs("1,2,0.25,0.75\r\n  # comment\n3,4,1\r\n", t); /* DOS line ends too */
        rewind(t);
        b = bp_data_read_csv(t, "t.csv", 2, 2, &e);
        fclose(t);
        tap_ok(b && b->m == 2 && b->y[0] == 0.25 && b->y[1] == 0.75 && b->y[2] == 0.0 &&
                   b->y[3] == 1.0 && b->x[2] == 3.0,
               "csv: target values are kept, label 1 of 2 classes becomes (0, 1), comments skipped");
        bp_batch_free(b);
    }

    /* Bad data and bad options: exit 2 and a message that names what is wrong. */
    refused("1,2,0\n1,x,1\n", "--sizes 2,3,2", ":2: field 2 (feature 2) 'x' is not a finite number",
            "a non-number, naming file, line and field");
    refused("1,2,0\n1,2,5\n", "--sizes 2,3,2", ":2: field 3 (class label) '5'",
            "a class label out of range");
    refused("1,2,0\n1,nan,1\n", "--sizes 2,3,2", "'nan' is not a finite number", "NaN");
    refused("1,2,0\n1,1e999,1\n", "--sizes 2,3,2", "'1e999' is not a finite number", "an overflow");
    refused("1,2,0\n1,2,3,0,1\n", "--sizes 2,3,2", ":2: 5 fields", "a row of the wrong width");
    refused("# only a comment\n", "--sizes 2,3,2", "no samples", "a file without samples");
    refused("1,2,0.5,0.6\n", "--sizes 2,3,2", "sum to 1", "cross-entropy targets not summing to 1");
    refused("1,2,0\n", "--sizes 2,0,2", "sizes", "a zero layer size");
    refused("1,2,0\n", "--sizes 2,3,2 --eta -1", "--eta '-1'", "a negative eta");
    refused("1,2,0\n", "--sizes 2,3,2 --eta nan", "--eta 'nan'", "a NaN eta");
    refused("1,2,0\n", "--sizes 2,3,2 --epochs 0", "--epochs '0'", "zero epochs");
    refused("1,2,0\n", "--sizes 2,3,2 --batch x", "--batch 'x'", "a batch that is not a number");
    refused("1,2,0\n", "--sizes 2,3,2 --model softmax", "unknown cost 'softmax'", "an unknown model");
    refused("1,2,0\n", "--sizes 2,3,2 --frob", "unknown option '--frob'", "an unknown option");
    refused("1,2,0\n", "--sizes", "--sizes needs a value", "an option without its value");
    status = bpcheck("train --sizes 2,3,2 --data /nonexistent/data.csv", &out, &err);
    tap_ok(status == 2 && strstr(err, "/nonexistent/data.csv: No such file"),
           "bpcheck train refuses a missing file, naming it");
    free(out), free(err);
    status = bpcheck("train --data x.csv", &out, &err);
    tap_ok(status == 2 && strstr(err, "--sizes is required"), "bpcheck train needs --sizes");
    free(out), free(err);
    status = bpcheck("help train", &out, &err);
    tap_ok(status == 0 && strstr(out, "Usage: bpcheck train") && strstr(out, "class label"),
           "bpcheck help train shows the options and the data format");
    free(out), free(err);

    unlink(file);
    free(csv);
    bp_batch_free(data);
    real_data();
    return tap_done();
}
