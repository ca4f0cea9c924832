/* testsuite/t/readme.c: the counts the README quotes are what the programs say today: the
 * closing line of `bpcheck conform`, the cases of the fixtures, the bug models of the
 * catalogue, the equations `bpcheck derivations` checks and its TODO errata points. A README
 * that drifts from the code fails here, with the line to fix. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

static char *readme;

/* The number in the README right after `before` (the first occurrence), or -1. */
static long quoted(const char *before)
{
    const char *p = strstr(readme, before);
    return p ? strtol(p + strlen(before), NULL, 10) : -1;
}

/* The number of output lines of the shell command cmd that match the grep pattern. */
static long counted(const char *cmd, const char *pattern)
{
    char *out;
    tu_sh(&out, "%s | grep -c -- '%s'", cmd, pattern);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

static void same(const char *what, const char *before, long actual)
{
    long q = quoted(before);
    if (!tap_ok(q == actual, "README: %s: it says %ld, the program %ld", what, q, actual))
        tap_diag("fix the README where it says '%s%ld'", before, q);
}

int main(void)
{
    FILE *f = fopen("README.md", "r");
    readme = calloc(1, 1 << 20);
    if (!f || !readme)
        tap_bail_out("cannot read README.md");
    readme[fread(readme, 1, (1 << 20) - 1, f)] = '\0';
    fclose(f);
    const char *prog = tu_env("BPCHECK");
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "'%s' conform | tail -1", prog);
    tu_sh(&out, "%s", cmd);
    long passed = strtol(out, NULL, 10);
    free(out);
    same("the closing line of the main job", "It ends with `", passed);
    same("the closing line in 'five minutes'", "bin/bpcheck conform | tail -1        # ", passed);
    same("the fixtures' cases", "`fixtures/` holds ", passed);
    snprintf(cmd, sizeof cmd, "'%s' bugs", prog);
    same("the bug models", "each of the ", counted(cmd, "."));
    same("the bug models (Status)", "a catalogue of ", counted(cmd, "."));
    snprintf(cmd, sizeof cmd, "'%s' derivations 2>/dev/null", prog);
    same("the equations checked", "This checks each of the ", counted(cmd, "^\\(not \\)\\?ok "));
    same("the errata points", "evidence for the printed reading. There are\n", counted(cmd, "# TODO"));
    same("the equations with findings", "wrong or unclear in ", counted(cmd, "# TODO"));
    same("the findings", "`bpcheck derivations` finds ", counted(cmd, "^    - class: "));
    static const char *const classes[] = {"error", "ambiguity", "unstated assumption", "notation"};
    long by[4];
    for (int k = 0; k < 4; k++) {
        char pat[64];
        snprintf(pat, sizeof pat, "^    - class: %s$", classes[k]);
        by[k] = counted(cmd, pat);
    }
    {
        long e = -1, a = -1, u = -1, n = -1;
        const char *at = strstr(readme, "notation** (a slip whose only reading with a value is the right\none): ");
        if (at)
            sscanf(strchr(at, ':') + 2, "%ld, %ld, %ld and %ld", &e, &a, &u, &n);
        tap_ok(e == by[0] && a == by[1] && u == by[2] && n == by[3], "README: the findings by class "
               "(%ld, %ld, %ld, %ld) are what bpcheck derivations prints (%ld, %ld, %ld, %ld)",
               e, a, u, n, by[0], by[1], by[2], by[3]);
    }
    static const char *const docs[] = {"000", "001", "002", "003", "004"};
    for (int d = 0; d < 5; d++) {
        char doccmd[1024], before[64], what[64];
        snprintf(doccmd, sizeof doccmd, "'%s' derivations --doc %s 2>/dev/null", prog, docs[d]);
        snprintf(before, sizeof before, "- **%s**: ", docs[d]);
        snprintf(what, sizeof what, "the equations with findings in %s", docs[d]);
        same(what, before, counted(doccmd, "# TODO"));
    }
    free(readme);
    return tap_done();
}
