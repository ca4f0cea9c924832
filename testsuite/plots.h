/* testsuite/plots.h: what `bpcheck train --plot` and `bpcheck gradcheck --plot` draw: the data,
 * the labels, the title and the legend, as a gnuplot script for bp_plot (plot.h). Each script
 * is returned malloc'd (the caller frees it); NULL with err on failure. */
#ifndef BPCHECK_PLOTS_H
#define BPCHECK_PLOTS_H

#include <stddef.h>

#include "model.h"
#include "train.h"

/* The training run, for the title: "cross-entropy 2-3-2 (sigmoid,softmax)", eta, ... */
typedef struct {
    const char *model, *net; /* the model's name; sizes and activations, "2-3-2 (sigmoid,softmax)" */
    double eta;
    size_t batch, epochs, train_m, test_m; /* test_m = 0: no held-out data */
} bp_train_plot;

/* Two panels, cost (log scale) over accuracy, per epoch. Each curve is one column of the
 * printed line, named as it is printed (train-cost, cost, test-cost; last-X accuracy,
 * accuracy, test-accuracy), and drawn from the same numbers. */
char *bp_train_plot_script(const bp_train_plot *info, const bp_epoch_report *r, size_t n,
                           bp_error *err);

/* C as a function of one entry moved by eps (the entry's value is theta + eps), and, where the
 * engine has complex arithmetic, Im C(theta + i h) / h. */
typedef double (*bp_fd_cost)(double eps, void *ctx);
typedef double (*bp_fd_cstep)(double h, void *ctx);

/* The finite-difference error plot of one entry. Draws only the methods the table ran. */
typedef struct {
    const char *entry;   /* its name, "W^2[1][0]" */
    const char *what;    /* the title's second line: the model, the network, the batch, whose C */
    double theta;        /* the entry's value */
    double d;            /* its exact derivative, by dual numbers: the plot's reference */
    int central;         /* the table's central: (C(h) - C(-h)) / 2h at h = cbrt(u) max(1, |theta|) */
    int richardson;      /* GSL's gsl_deriv_central from h = GC_STEP max(1, |theta|) */
    bp_fd_cost cost;     /* always */
    bp_fd_cstep cstep;   /* Im C(theta + i h) / h at any h; NULL when the complex step did not run */
    void *ctx;
} bp_fd_plot;

/* |D(h) - d| / |d| against h for each method that ran, its h marked; slope guides h^2, h^4
 * and the round-off u|C|/h, each its own style and legend entry; a legend note on any curve
 * that lies under another, and on errors of exactly 0 (drawn at the floor, 1e-18). */
char *bp_fd_plot_script(const bp_fd_plot *p, bp_error *err);

#endif
