/* testsuite/t/plots.c: what `train --plot` and `gradcheck --plot` draw (testsuite/plots.c):
 * both render to PNG; the scripts (written as FILE.gp) carry the labels, the title, a legend
 * entry per curve, only the methods that ran, the step each used, a style per guide, and a
 * note on a curve that lies under another; the training curves are the printed numbers. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

static char *slurp(const char *path)
{
    char *out;
    return tu_sh(&out, "cat '%s'", path) == 0 ? out : (free(out), NULL);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s ? strstr(s, what) : NULL; p; p = strstr(p + 1, what))
        n++;
    return n;
}

static int is_png(const char *path)
{
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    return got == 8 && memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* Every printed epoch line's four figures against the script's data row of that epoch:
 * printed to 6 decimals (%.6f, accuracies %.1f), so within half a unit of the last place. */
static int agrees(const char *printed, const char *script, size_t *rows)
{
    *rows = 0;
    const char *data = script ? strstr(script, "$d << EOD\n") : NULL;
    for (const char *l = printed; data && (l = strstr(l, "epoch ")); l++) {
        size_t e, n, w;
        double tc, wa, c, a, ttc, ta;
        if (sscanf(l, "epoch %zu/%zu  train-cost %lf  last-%zu accuracy %lf%%  cost %lf  accuracy "
                      "%lf%%  test-cost %lf  test-accuracy %lf%%",
                   &e, &n, &tc, &w, &wa, &c, &a, &ttc, &ta) != 9)
            continue;
        const char *row = data + strlen("$d << EOD\n");
        for (size_t i = 1; i < e && row; i++)
            row = strchr(row, '\n'), row = row ? row + 1 : NULL;
        double v[7];
        size_t re;
        if (!row || sscanf(row, "%zu %lf %lf %lf %lf %lf %lf", &re, v, v + 1, v + 2, v + 3, v + 4,
                           v + 5) != 7 || re != e)
            return 0;
        if (fabs(v[0] - tc) > 5e-7 || fabs(v[1] - wa) > 0.05 || fabs(v[2] - c) > 5e-7 ||
            fabs(v[3] - a) > 0.05 || fabs(v[4] - ttc) > 5e-7 || fabs(v[5] - ta) > 0.05)
            return 0;
        (*rows)++;
    }
    return *rows > 0;
}

static void train_plot(const char *prog)
{
    char *out, *out2;
    int rc = tu_sh(&out, "'%s' train --sizes 2,3,2 --data d.csv --epochs 4 --batch 2 --eta 0.7 "
                   "--test-fraction 0.25 --plot t.png", prog);
    tap_ok(rc == 0 && strstr(out, "plotted t.png") && is_png("t.png"), "train --plot t.png draws a PNG");
    int rc2 = tu_sh(&out2, "'%s' train --sizes 2,3,2 --data d.csv --epochs 4 --batch 2 --eta 0.7 "
                    "--test-fraction 0.25 --plot t.gp", prog);
    char *s = slurp("t.gp");
    const char *first_plot = s ? strstr(s, "\nplot ") : NULL, *xl = s ? strstr(s, "set xlabel 'epoch'") : NULL;
    tap_ok(rc2 == 0 && s && count(s, "\nplot ") == 2 && xl && xl < first_plot &&
               !strstr(s, "unset xlabel") && strstr(s, "set ylabel 'mean cost per sample'") &&
               strstr(s, "set ylabel 'accuracy (%)'"),
           "train --plot: both panels have an x label (epoch, set before the first) and a y label");
    tap_ok(s && strstr(s, "title \"bpcheck train: cross-entropy 2-3-2 (sigmoid,softmax)") &&
               strstr(s, "eta 0.7, batch 2, 4 epochs, 30 training samples, 10 held out"),
           "train --plot: the title gives the model, the architecture, eta, the batch, the epochs "
           "and the data");
    tap_ok(s && strstr(s, "title \"train-cost: during the epoch") &&
               strstr(s, "title \"cost: the training data after the epoch") &&
               strstr(s, "title \"test-cost: the held-out data") &&
               strstr(s, "title \"last-100 accuracy: the last 100 samples, as each was fed forward "
                         "(fewer, all so far, in the first epochs)") &&
               strstr(s, "title \"accuracy: the training data") &&
               strstr(s, "title \"test-accuracy: the held-out data"),
           "train --plot: each curve's legend entry is the printed column's name and says what it is");
    size_t rows = 0;
    int same = agrees(out2, s, &rows);
    tap_ok(same && rows == 4,
           "train --plot: every curve is its printed figure, epoch by epoch (%zu of 4 rows)", rows);
    free(out), free(out2), free(s);
    rc = tu_sh(&out, "rm -f t.png && gnuplot t.gp");
    tap_ok(rc == 0 && is_png("t.png"), "train --plot t.gp: `gnuplot t.gp` draws t.png as written");
    free(out);
}

/* the plot command's text: the curves, without the data */
static const char *plot_cmd(const char *s)
{
    const char *p = s ? strstr(s, "\nplot ") : NULL;
    return p ? p : "";
}

static void gradcheck_plot(const char *prog, const char *adapters)
{
    char *out;
    int rc = tu_sh(&out, "'%s' gradcheck --plot g.png", prog);
    tap_ok(rc == 0 && strstr(out, "plotted g.png (the entry ") && is_png("g.png"),
           "gradcheck --plot g.png draws a PNG");
    free(out);
    rc = tu_sh(&out, "'%s' gradcheck --plot g.gp", prog);
    char *s = slurp("g.gp");
    const char *p = plot_cmd(s);
    tap_ok(rc == 0 && strstr(s, "set xlabel \"step h") && strstr(s, "set ylabel \"|D(h) - d| / |d|") &&
               strstr(s, "by dual numbers") && strstr(s, "cross-entropy 4-8-3 (sigmoid,softmax), batch 5 (mean); "
                                                    "C from the bundled reference"),
           "gradcheck --plot: labels on both axes, the reference named, a title with the case");
    tap_ok(count(p, "title \"central") == 2 && count(p, "title \"5-point (richardson)") == 2 &&
               count(p, "title \"complex step") == 2 && count(p, "the step the table used, h = ") == 3 &&
               strstr(p, "central: the step the table used, h = 6.06e-06"),
           "gradcheck --plot, every method: central, 5-point and complex step, each with its "
           "own marker at the step the table used (central's cbrt(u) = 6.06e-06)");
    const char *g2 = strstr(p, "title \"slope 2: h^2"), *g4 = strstr(p, "title \"slope 4: h^4"),
               *gr = strstr(p, "title \"slope -1: u|C|/(h|d|)");
    tap_ok(g2 && g4 && gr && strstr(p, "dt (10,6) lw 2 lc rgb '#777777' title \"slope 2") &&
               strstr(p, "dt (16,4,3,4) lw 1.5 lc rgb '#000000' title \"slope 4") &&
               strstr(p, "dt (3,4) lw 2 lc rgb '#cc79a7' title \"slope -1"),
           "gradcheck --plot: the guides h^2, h^4 and u|C|/h each have their own dash, colour "
           "and legend entry");
    tap_ok(strstr(p, "title \"complex step (under central at ") != NULL,
           "gradcheck --plot: the complex step, which lies under central where both err by "
           "h^2 |C'''|/6, says so in its legend entry");
    free(out), free(s);
    rc = tu_sh(&out, "rm -f g.png && gnuplot g.gp");
    tap_ok(rc == 0 && is_png("g.png"), "gradcheck --plot g.gp: `gnuplot g.gp` draws g.png as written");
    free(out);

    rc = tu_sh(&out, "'%s' gradcheck --method central --plot c.gp", prog);
    s = slurp("c.gp"), p = plot_cmd(s);
    tap_ok(rc == 0 && count(p, "title \"central") == 2 && !strstr(p, "5-point") &&
               !strstr(p, "complex") && !strstr(p, "(under ") && strstr(p, "slope 2: h^2, the truncation of central\"") &&
               !strstr(p, "slope 4") && strstr(p, "slope -1"),
           "gradcheck --method central --plot: only central, its guides, and no note");
    free(out), free(s);

    char impl[4096];
    snprintf(impl, sizeof impl, "%s/variant", adapters);
    rc = tu_sh(&out, "'%s' gradcheck --impl '%s' --plot i.gp", prog, impl);
    s = slurp("i.gp"), p = plot_cmd(s);
    tap_ok(rc == 0 && s && strstr(s, "C from ") && strstr(s, "/variant") && !strstr(p, "complex") &&
               count(p, "title \"central") == 2 && count(p, "title \"5-point") == 2,
           "gradcheck --impl --plot: the implementation's own cost, central and 5-point only: no "
           "complex step, which the table calls not applicable");
    free(out), free(s);

    rc = tu_sh(&out, "rm -f x.png; '%s' gradcheck --method taylor --plot x.png 2>&1; test ! -e x.png", prog);
    int taylor = rc == 0 && strstr(out, "--plot draws the methods with a step: central, richardson and complex;");
    free(out);
    int rc2 = tu_sh(&out, "'%s' gradcheck --method complex --impl '%s' --plot x.png 2>&1; test ! -e x.png",
                    prog, impl);
    tap_ok(taylor && rc2 == 0 && strstr(out, "--plot draws the methods with a step: central, richardson;"),
           "gradcheck --plot with no step method run (taylor; complex under --impl) is a usage "
           "error, and writes nothing");
    free(out);
}

int main(void)
{
    char *prog = realpath(tu_env("BPCHECK"), NULL), *adapters = realpath(tu_env("BPCHECK_ADAPTERS"), NULL), *out, dir[] = "/tmp/bpcheck-plots-XXXXXX",
         *back = getcwd(NULL, 0);
    if (!prog || !adapters || !back || !mkdtemp(dir) || chdir(dir) != 0)
        tap_bail_out("cannot make a private directory for the plot tests");
    int have = tu_sh(&out, "command -v gnuplot") == 0;
    free(out);
    if (!have) {
        tap_skip("the plots: gnuplot is not installed (Debian: gnuplot-nox)");
        if (chdir(back) != 0 || rmdir(dir) != 0)
            tap_diag("cannot clean up %s", dir);
        free(back), free(prog), free(adapters);
        return tap_done();
    }
    FILE *f = fopen("d.csv", "w"); /* 40 samples of two classes, x1 + x2 > 1 or not */
    for (int i = 0; f && i < 40; i++) {
        double a = (double)((i * 37) % 40) / 40.0, b = (double)((i * 11 + 5) % 40) / 40.0;
        fprintf(f, "%.3f,%.3f,%d\n", a, b, a + b > 1.0);
    }
    if (!f || fclose(f))
        tap_bail_out("cannot write d.csv");
    train_plot(prog);
    gradcheck_plot(prog, adapters);
    tu_sh(&out, "rm -f d.csv t.png t.gp g.png g.gp c.gp i.gp x.png");
    free(out);
    if (chdir(back) != 0 || rmdir(dir) != 0)
        tap_diag("cannot clean up %s", dir);
    free(back), free(prog), free(adapters);
    return tap_done();
}
