/* reference/train.h: the three canonical models behind one interface, stochastic gradient
 * descent over a data set (004:train, generalised to mini-batches by 002:sgd), and the CSV
 * data loader of `bpcheck train`. */
#ifndef BPCHECK_TRAIN_H
#define BPCHECK_TRAIN_H

#include <stdio.h>

#include "model.h"

/* The reference gradient of a canonical model: quadratic by quad_backprop (000, 002), loglik
 * by ll_canonical (001), cross-entropy by sce_gradient's simplified path (004:7 .. 004:13). */
int bp_gradient(bp_cost model, bp_model *grad, double *cost, bp_trace *trace,
                const bp_model *params, const bp_batch *batch, bp_reduction red, bp_error *err);
/* The cost alone (NaN if the batch does not fit). */
double bp_cost_value(bp_cost model, const bp_model *params, const bp_batch *batch,
                     bp_reduction red);

/* Is the output a a correct prediction of the target y? With several outputs: the largest a
 * is where the largest y is (first index on ties). With one output: a and y on the same side
 * of 1/2. */
int bp_predicts(const double *a, const double *y, size_t n);

typedef struct {
    size_t epochs;      /* passes over the data */
    size_t batch;       /* samples per update; 1 is 004's per-sample training */
    size_t window;      /* 004:train's x: accuracy over the last x samples */
    double eta;         /* learning rate */
    unsigned long seed; /* the sample order of every epoch */
    const bp_batch *held_out; /* evaluated after each epoch, never trained on; may be NULL */
} bp_train_opts;

typedef struct {
    size_t epoch, epochs;
    double train_cost;      /* mean cost of the epoch's samples, each taken at its forward pass */
    double window_accuracy; /* over the last `window` samples seen, at their forward passes */
    size_t window_seen;     /* how many samples that window holds (< window early on) */
    double cost;            /* mean cost over the whole data after the epoch */
    double accuracy;        /* over the whole data after the epoch */
    double test_cost, test_accuracy; /* over held_out after the epoch; NAN without one */
} bp_epoch_report;

typedef void (*bp_epoch_fn)(const bp_epoch_report *r, void *ctx);

/* Train params in place on data; after each epoch call report(r, ctx) if report is not NULL
 * and leave the last report in *last if last is not NULL. Deterministic for a given seed. */
int bp_train(bp_model *params, bp_cost model, const bp_batch *data, const bp_train_opts *o,
             bp_epoch_fn report, void *ctx, bp_epoch_report *last, bp_error *err);

/* Read a CSV data set: one sample per line, n_in features then either n_out target values or
 * (when n_out > 1) one class label 0..n_out-1, turned into a one-hot target. Blank lines and
 * lines starting with '#' are skipped. Errors name the file, the line and the field. */
bp_batch *bp_data_read_csv(FILE *f, const char *fname, size_t n_in, size_t n_out,
                           bp_error *err);
/* The same; with header, the first line that is not blank or a comment is skipped. Without
 * it, a first line that is not numbers is refused as a header ("use --header"). */
bp_batch *bp_data_read_csv_header(FILE *f, const char *fname, size_t n_in, size_t n_out,
                                  int header, bp_error *err);

/* Split data at random (seeded) into a training part and a held-out part of
 * ceil(fraction * m) samples, 0 < fraction < 1, both non-empty. */
int bp_data_split(const bp_batch *data, double fraction, unsigned long seed, bp_batch **train,
                  bp_batch **test, bp_error *err);

/* Standardize the features: x_k -> (x_k - mean_k) / sd_k with the mean and the (population)
 * standard deviation of the TRAINING part only, applied to both parts (test may be NULL); a
 * feature constant in the training part is only centred (sd taken as 1). */
void bp_data_standardize(bp_batch *train, bp_batch *test);

#endif
