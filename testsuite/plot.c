/* testsuite/plot.c: gnuplot, driven through a script file (plot.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') ? dot + 1 : "";
}

int bp_plot_check_path(const char *path, bp_error *err)
{
    const char *e = extension(path);
    if (strcmp(e, "svg") != 0 && strcmp(e, "png") != 0 && strcmp(e, "gp") != 0)
        return bp_fail(err, "--plot %s: the format follows the extension, .svg or .png (or .gp "
                            "for the gnuplot script)", path);
    return 0;
}

/* Is gnuplot on PATH? */
static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char dir[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof dir, "%.*s/gnuplot", (int)n, path);
        if (n && access(dir, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* path's first n characters and then tail, quoted for gnuplot: a quote in the name doubled */
static void put_quoted(FILE *f, const char *path, size_t n, const char *tail)
{
    fputc('\'', f);
    for (size_t i = 0; i < n && path[i]; i++)
        fprintf(f, path[i] == '\'' ? "''" : "%c", path[i]);
    fprintf(f, "%s'", tail);
}

/* FILE.gp: the script as it would run, drawing FILE.png */
static int write_script(const char *path, const char *script, int width, int height, bp_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return bp_fail(err, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# by bpcheck: `gnuplot %s` draws the PNG named below\nset terminal pngcairo size %d,%d\n"
               "set output ", path, width, height);
    put_quoted(f, path, strlen(path) - strlen("gp"), "png");
    int bad = fprintf(f, "\n%s\nset output\n", script) < 0;
    if (fclose(f) || bad)
        return bp_fail(err, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

int bp_plot(const char *path, const char *script, int width, int height, bp_error *err)
{
    if (bp_plot_check_path(path, err))
        return -1;
    if (strcmp(extension(path), "gp") == 0)
        return write_script(path, script, width, height, err) ? -1 : 0;
    if (!have_gnuplot())
        return 1;
    char name[] = "/tmp/bpcheck-plot-XXXXXX";
    int fd = mkstemp(name);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd), unlink(name);
        return bp_fail(err, "cannot write a temporary gnuplot script");
    }
    int svg = strcmp(extension(path), "svg") == 0;
    fprintf(f, "set terminal %s size %d,%d%s\nset output ", svg ? "svg" : "pngcairo", width, height,
            svg ? " dynamic background rgb 'white'" : "");
    put_quoted(f, path, strlen(path), "");
    fprintf(f, "\n%s\nset output\n", script);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", name);
    FILE *g = popen(cmd, "r");
    char out[512] = "";
    size_t got = g ? fread(out, 1, sizeof out - 1, g) : 0;
    out[got] = '\0';
    int st = g ? pclose(g) : -1;
    unlink(name);
    if (!g || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return bp_fail(err, "gnuplot failed drawing %s: %s", path, got ? out : "no message");
    return 0;
}
