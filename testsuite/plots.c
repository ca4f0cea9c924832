/* testsuite/plots.c: the gnuplot scripts of `train --plot` and `gradcheck --plot` (plots.h).
 * Labels are gnuplot enhanced text: "h^2" draws a superscript. */
#define _POSIX_C_SOURCE 200809L
#include "plots.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_deriv.h>

#include "gradcheck.h"
#include "oracle.h"

static FILE *script_open(char **buf, size_t *len, bp_error *err)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        bp_fail(err, "out of memory writing a plot script");
    return f;
}

/* A script is written to a memory stream, whose buffer *buf is set when it is closed; NULL
 * with err when it cannot be. */
static char *script_close(FILE *f, char **buf, bp_error *err)
{
    int bad = ferror(f);
    if (fclose(f) || bad) {
        free(*buf);
        bp_fail(err, "out of memory writing a plot script");
        return NULL;
    }
    return *buf;
}

char *bp_train_plot_script(const bp_train_plot *info, const bp_epoch_report *r, size_t n,
                           bp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = script_open(&buf, &len, err);
    if (!f)
        return NULL;
    int test = info->test_m > 0;
    size_t window = n ? r[n - 1].window_seen : 0;
    /* the printed columns, in the printed order, with the printed names */
    fprintf(f, "# epoch train-cost last-%zu-accuracy(%%) cost accuracy(%%)%s\n$d << EOD\n", window,
            test ? " test-cost test-accuracy(%)" : "");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%zu %.9g %.9g %.9g %.9g", r[i].epoch, r[i].train_cost,
                100.0 * r[i].window_accuracy, r[i].cost, 100.0 * r[i].accuracy);
        if (test)
            fprintf(f, " %.9g %.9g", r[i].test_cost, 100.0 * r[i].test_accuracy);
        fprintf(f, "\n");
    }
    fprintf(f, "EOD\n"
               "set multiplot layout 2,1 title \"bpcheck train: %s %s\\neta %g, batch %zu, %zu "
               "epochs, %zu training samples, %zu held out\"\n",
            info->model, info->net, info->eta, info->batch, info->epochs, info->train_m,
            info->test_m);
    fprintf(f, "set grid\nset key below left vertical Left reverse\n%s"
               "set xlabel 'epoch'\nset logscale y\nset ylabel 'mean cost per sample'\n"
               "plot $d using 1:2 with linespoints pt 7 title \"train-cost: during the epoch, each sample "
               "as it was fed forward\", \\\n"
               "     $d using 1:4 with linespoints pt 5 title \"cost: the training data after "
               "the epoch\"%s\n",
            info->epochs <= 20 ? "set xtics 1\n" : "",
            test ? ", \\\n     $d using 1:6 with linespoints pt 9 title \"test-cost: the held-out "
                   "data after the epoch\"" : "");
    fprintf(f, "unset logscale y\nset ylabel 'accuracy (%%)'\n"
               "plot $d using 1:3 with linespoints pt 7 title \"last-%zu accuracy: the last %zu "
               "samples, as each was fed forward%s\", \\\n"
               "     $d using 1:5 with linespoints pt 5 title \"accuracy: the training data after "
               "the epoch\"%s\nunset multiplot\n",
            window, window, n && r[0].window_seen < window ? " (fewer, all so far, in the first epochs)" : "",
            test ? ", \\\n     $d using 1:7 with linespoints pt 9 title \"test-accuracy: the "
                   "held-out data after the epoch\"" : "");
    return script_close(f, &buf, err);
}

/* ---- gradcheck --plot ---------------------------------------------------------------------- */

enum { FD_COMPLEX, FD_RICHARDSON, FD_CENTRAL, FD_METHODS }; /* in drawing order: the first lowest */
#define FD_POINTS 41     /* h = 10^(-k/2), k = 2..42: from 0.1 down past the complex step's 1e-20 */
#define FD_FLOOR 1e-18   /* an error of exactly 0 (or below) is drawn here */

static const char *const fd_name[FD_METHODS] = {"complex step", "5-point (richardson)", "central"};
static const char *const fd_color[FD_METHODS] = {"#56b4e9", "#009e73", "#d55e00"};
static const char *const fd_style[FD_METHODS] = {
    "lw 6 pt 9 ps 1.8", /* wide and pale: a curve drawn on top of it still shows it */
    "lw 3 pt 5 ps 1.1", "lw 1.2 pt 7 ps 0.6"};

/* GSL's 5-point rule at h (deriv.c's central_deriv: x +- h, x +- h/2, the centre unused) */
static double gsl_5point(const bp_fd_plot *p, double h)
{
    double fm1 = p->cost(-h, p->ctx), fp1 = p->cost(h, p->ctx);
    double fmh = p->cost(-h / 2, p->ctx), fph = p->cost(h / 2, p->ctx);
    double r3 = 0.5 * (fp1 - fm1), r5 = (4.0 / 3.0) * (fph - fmh) - (1.0 / 3.0) * r3;
    return r5 / h;
}

typedef struct {
    const bp_fd_plot *p;
    double last_h; /* the 6th evaluation's x, x + h_opt with x = 0: GSL's second step, if any */
    int evals;
} fd_record;

static double fd_record_eval(double x, void *ctx)
{
    fd_record *r = ctx;
    if (++r->evals == 6) /* GSL evaluates x - h, x + h, x - h/2, x + h/2, then again at h_opt */
        r->last_h = x;
    return r->p->cost(x, r->p->ctx);
}

/* The step gsl_deriv_central ended with (its first, or the h_opt it moved to when that was
 * better: its result equals the 5-point rule at that step) and its result. */
static double richardson_used(const bp_fd_plot *p, double *h_used)
{
    double h0 = GC_STEP * fmax(1.0, fabs(p->theta)), result, abserr;
    fd_record rec = {p, 0.0, 0};
    gsl_function F = {fd_record_eval, &rec};
    gsl_deriv_central(&F, 0.0, h0, &result, &abserr);
    *h_used = h0;
    if (rec.evals == 8 && rec.last_h > 0.0 &&
        fabs(gsl_5point(p, rec.last_h) - result) < fabs(gsl_5point(p, h0) - result))
        *h_used = rec.last_h;
    return result;
}

static double rel_error(double D, double d)
{
    return fabs(D - d) / fmax(fabs(d), DBL_MIN);
}

/* D(h) of method q */
static double fd_value(const bp_fd_plot *p, int q, double h)
{
    if (q == FD_COMPLEX)
        return p->cstep(h, p->ctx);
    if (q == FD_RICHARDSON)
        return gsl_5point(p, h);
    return (p->cost(h, p->ctx) - p->cost(-h, p->ctx)) / (2 * h);
}

/* The legend note of curve q drawn under a later one: where the two cannot be told apart
 * (both at the floor, or within 12%, a twentieth of a decade), if at two points or more. */
static void fd_hidden_note(FILE *f, double e[][FD_METHODS], const double *h, const int *on, int q)
{
    for (int above = q + 1; above < FD_METHODS; above++) {
        if (!on[above])
            continue;
        int count = 0;
        double lo = 0.0, hi = 0.0;
        for (int k = 0; k < FD_POINTS; k++) {
            double a = e[k][q], b = e[k][above];
            int same = (a <= FD_FLOOR && b <= FD_FLOOR) ||
                       (a > FD_FLOOR && b > FD_FLOOR && fabs(log10(a / b)) < 0.05);
            if (same) {
                hi = count++ ? hi : h[k];
                lo = h[k];
            }
        }
        if (count >= 2)
            fprintf(f, " (under %s at %d steps, h from %.2g to %.2g)", fd_name[above], count, lo, hi);
    }
}

static void fd_guides(FILE *f, const int *on, const double *anchor, double roundoff)
{
    if (on[FD_CENTRAL] || on[FD_COMPLEX])
        fprintf(f, ", \\\n  %.6g*(x/0.01)**2 dt (10,6) lw 2 lc rgb '#777777' title "
                   "\"slope 2: h^2, the truncation of %s\"",
                anchor[on[FD_CENTRAL] ? FD_CENTRAL : FD_COMPLEX],
                on[FD_CENTRAL] && on[FD_COMPLEX] ? "central and complex step"
                : on[FD_CENTRAL] ? "central" : "complex step");
    if (on[FD_RICHARDSON])
        fprintf(f, ", \\\n  %.6g*(x/0.01)**4 dt (16,4,3,4) lw 1.5 lc rgb '#000000' title "
                   "\"slope 4: h^4, the truncation of 5-point\"", anchor[FD_RICHARDSON]);
    if (on[FD_CENTRAL] || on[FD_RICHARDSON])
        fprintf(f, ", \\\n  %.6g/x dt (3,4) lw 2 lc rgb '#cc79a7' title "
                   "\"slope -1: u|C|/(h|d|), the round-off of the differences\"", roundoff);
}

/* What is drawn: each method's error on the grid of steps, and at the step the table used */
typedef struct {
    int on[FD_METHODS];
    double h[FD_POINTS], e[FD_POINTS][FD_METHODS]; /* NaN where a method did not run */
    double anchor[FD_METHODS];                    /* the error at h = 0.01, each guide's anchor */
    double used[FD_METHODS], used_e[FD_METHODS];
    double roundoff; /* u |C| / |d|: the round-off guide is roundoff / h */
    int zero;        /* some error was exactly 0 (or below the floor) */
} fd_data;

static void fd_measure(const bp_fd_plot *p, fd_data *m)
{
    for (int k = 0; k < FD_POINTS; k++) {
        m->h[k] = pow(10.0, -0.5 * (k + 2));
        for (int q = 0; q < FD_METHODS; q++) {
            m->e[k][q] = NAN;
            if (!m->on[q])
                continue;
            double v = rel_error(fd_value(p, q, m->h[k]), p->d);
            m->zero |= v <= FD_FLOOR;
            m->e[k][q] = isnan(v) ? v : fmax(v, FD_FLOOR);
            if (k == 2) /* h = 0.01: where each guide passes through its method's curve */
                m->anchor[q] = m->e[k][q];
        }
    }
    /* the steps the table used, and their errors */
    m->used[FD_COMPLEX] = OR_COMPLEX_H;
    m->used[FD_CENTRAL] = cbrt(DBL_EPSILON) * fmax(1.0, fabs(p->theta));
    if (m->on[FD_COMPLEX])
        m->used_e[FD_COMPLEX] = fmax(rel_error(p->cstep(OR_COMPLEX_H, p->ctx), p->d), FD_FLOOR);
    if (m->on[FD_RICHARDSON])
        m->used_e[FD_RICHARDSON] =
            fmax(rel_error(richardson_used(p, &m->used[FD_RICHARDSON]), p->d), FD_FLOOR);
    if (m->on[FD_CENTRAL])
        m->used_e[FD_CENTRAL] =
            fmax(rel_error(fd_value(p, FD_CENTRAL, m->used[FD_CENTRAL]), p->d), FD_FLOOR);
    m->roundoff = DBL_EPSILON / 2 * fabs(p->cost(0.0, p->ctx)) / fmax(fabs(p->d), DBL_MIN);
}

char *bp_fd_plot_script(const bp_fd_plot *p, bp_error *err)
{
    fd_data m = {{p->cstep != NULL, p->richardson, p->central}, {0}, {{0}}, {0}, {0}, {0}, 0, 0};
    const int *on = m.on;
    if (!on[0] && !on[1] && !on[2]) {
        bp_fail(err, "--plot draws central, richardson and the complex step; none of them ran");
        return NULL;
    }
    fd_measure(p, &m);
    const double *h = m.h, *used = m.used, *used_e = m.used_e;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = script_open(&buf, &len, err);
    if (!f)
        return NULL;
    fprintf(f, "# h, then |D(h) - d| / |d| of: complex step, 5-point, central (NaN: did not run)\n"
               "$d << EOD\n");
    for (int k = 0; k < FD_POINTS; k++) {
        fprintf(f, "%.6g", h[k]);
        for (int q = 0; q < FD_METHODS; q++)
            if (on[q])
                fprintf(f, " %.6g", m.e[k][q]);
            else
                fprintf(f, " NaN");
        fprintf(f, "\n");
    }
    fprintf(f, "EOD\n$used << EOD\n");
    for (int q = 0; q < FD_METHODS; q++)
        if (on[q])
            fprintf(f, "%d %.6g %.6g\n", q, used[q], used_e[q]);
    fprintf(f, "EOD\nset logscale xy\nset format x '10^{%%L}'\nset format y '10^{%%L}'\n"
               "set xrange [1e-21:0.3]\nset yrange [%g:10]\nset grid\n"
               "set key below left vertical maxcols 1 Left reverse\n"
               "set xlabel \"step h%s\"\nset ylabel \"|D(h) - d| / |d|, d = dC/d%s by dual numbers\"\n"
               "set title \"bpcheck gradcheck: finite-difference error against the step, at %s\\n%s\"\n",
            FD_FLOOR, m.zero ? "   (an error of exactly 0 is drawn at the bottom edge, 10^{-18})" : "",
            p->entry, p->entry, p->what);
    fprintf(f, "plot NaN notitle");
    for (int q = 0; q < FD_METHODS; q++) {
        if (!on[q])
            continue;
        fprintf(f, ", \\\n  $d using 1:%d with linespoints lc rgb '%s' %s title \"%s", q + 2,
                fd_color[q], fd_style[q], fd_name[q]);
        fd_hidden_note(f, m.e, h, on, q);
        fprintf(f, "\", \\\n  $used using ($1 == %d ? $2 : NaN):3 with points lc rgb '%s' pt 6 ps 4 lw 2 "
                   "title \"%s: the step the table used, h = %.3g\"",
                q, fd_color[q], fd_name[q], used[q]);
    }
    fd_guides(f, on, m.anchor, m.roundoff);
    fprintf(f, "\n");
    return script_close(f, &buf, err);
}
