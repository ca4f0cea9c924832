/* testsuite/plot.h: plots drawn by gnuplot (Debian gnuplot-nox), for `bpcheck train --plot`
 * and `bpcheck gradcheck --plot`. The format follows the file's extension: .svg or .png, or
 * .gp for the gnuplot script itself (`gnuplot FILE.gp` then draws FILE.png). */
#ifndef BPCHECK_PLOT_H
#define BPCHECK_PLOT_H

#include "model.h"

/* Is path's extension one we can write (.svg, .png, .gp)? Non-zero with err if not. */
int bp_plot_check_path(const char *path, bp_error *err);

/* Run gnuplot on script (the plot commands; the terminal, its size in pixels and the output
 * are set here from path), or, for .gp, write the whole script to path. Returns 0 when the
 * file is written, 1 when gnuplot is not installed (nothing drawn; say so), -1 on a failure
 * (err says what). */
int bp_plot(const char *path, const char *script, int width, int height, bp_error *err);

#endif
