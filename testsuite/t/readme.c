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
    same("the errata points", "is a TODO point: what\nis wrong, the corrected form (whose check passes), and the printed reading's error. There are\n",
         counted(cmd, "# TODO"));
    free(readme);
    return tap_done();
}
