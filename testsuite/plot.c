/* testsuite/plot.c: gnuplot, driven through a script file (plot.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

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
    if (strcmp(e, "svg") != 0 && strcmp(e, "png") != 0)
        return bp_fail(err, "--plot %s: the format follows the extension, .svg or .png", path);
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

int bp_plot(const char *path, const char *script, bp_error *err)
{
    if (bp_plot_check_path(path, err))
        return -1;
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
    fprintf(f, "set terminal %s size 900,600%s\nset output '", svg ? "svg" : "png",
            svg ? " dynamic background rgb 'white'" : "");
    for (const char *p = path; *p; p++) /* a quote in the name, doubled for gnuplot */
        fprintf(f, *p == '\'' ? "''" : "%c", *p);
    fprintf(f, "'\n%s\nset output\n", script);
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
