/* testsuite/t/tap.c: the TAP producer's own test. It runs testsuite/helpers/tap_demo, a
 * program that fails on purpose, and checks its exact TAP text and its exit status. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

/* The stream tap_demo must print, point by point: the specification of tap.c's output. */
static const char expected_fail[] =
    "TAP version 13\n"
    "ok 1 - passes\n"
    "ok 2 - 2.385 within a relative 1e-14\n"
    "ok 3 - +Inf equals +Inf\n"
    "not ok 4 - integers that differ\n"
    "  ---\n"
    "  message: \"integers differ\"\n"
    "  got: 3\n"
    "  expected: 4\n"
    "  ...\n"
    "not ok 5 - NaN never equals NaN\n"
    "  ---\n"
    "  message: \"doubles differ beyond tolerance\"\n"
    "  got: .nan\n"
    "  expected: .nan\n"
    "  abs_error: .nan\n"
    "  rel_error: .nan\n"
    "  rtol: 1\n"
    "  atol: 1\n"
    "  ...\n"
    "not ok 6 - -Inf is not +Inf\n"
    "  ---\n"
    "  message: \"doubles differ beyond tolerance\"\n"
    "  got: -.inf\n"
    "  expected: .inf\n"
    "  abs_error: .inf\n"
    "  rel_error: .nan\n"
    "  rtol: 1\n"
    "  atol: 1\n"
    "  ...\n"
    "not ok 7 - 0.5 apart with atol 0.25\n"
    "  ---\n"
    "  message: \"doubles differ beyond tolerance\"\n"
    "  got: 1\n"
    "  expected: 1.5\n"
    "  abs_error: 0.5\n"
    "  rel_error: 0.33333333333333331\n"
    "  rtol: 0\n"
    "  atol: 0.25\n"
    "  ...\n"
    "not ok 8 - a 2x3 array with two bad entries\n"
    "  ---\n"
    "  message: \"entries differ beyond tolerance\"\n"
    "  index: [1, 2]\n"
    "  got: .nan\n"
    "  expected: 6\n"
    "  abs_error: .nan\n"
    "  rel_error: .nan\n"
    "  allowed: 0.10000000000000001\n"
    "  out_of_tolerance: 2\n"
    "  entries: 6\n"
    "  ...\n"
    "not ok 9 - per-entry tolerance, NaN expected\n"
    "  ---\n"
    "  message: \"entries differ beyond tolerance\"\n"
    "  index: [1]\n"
    "  got: 2\n"
    "  expected: .nan\n"
    "  abs_error: .nan\n"
    "  rel_error: .nan\n"
    "  allowed: 0.5\n"
    "  out_of_tolerance: 2\n"
    "  entries: 3\n"
    "  ...\n"
    "ok 10 # SKIP nothing to run here\n"
    "not ok 11 - a known failure # TODO not fixed yet\n"
    "ok 12 - a % in a description is not a directive\n"
    "# a note in the stream\n"
    "1..12\n";

static const char expected_bail[] =
    "TAP version 13\n"
    "1..3\n"
    "ok 1 - before the bail-out\n"
    "Bail out! cannot continue: demo\n";

/* Run a command, stderr discarded. */
static int run(const char *cmd, char **out)
{
    char full[4096];
    snprintf(full, sizeof full, "%s 2>/dev/null", cmd);
    return tu_run(full, out);
}

/* One point: the two texts are equal; on failure, the first line that differs. */
static void same_text(const char *got, const char *want, const char *what)
{
    if (tap_ok(strcmp(got, want) == 0, "%s", what))
        return;
    int line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n')
            line++;
        g++, w++;
    }
    const char *ge = strchr(g, '\n'), *we = strchr(w, '\n');
    tap_diag("first difference on line %d: got '%.*s', expected '%.*s'", line,
             (int)(ge ? ge - g : (long)strlen(g)), g, (int)(we ? we - w : (long)strlen(w)), w);
}

int main(void)
{
    const char *dir = tu_env("BPCHECK_HELPERS");
    char cmd[2048], *out;
    tap_plan(8);

    snprintf(cmd, sizeof cmd, "'%s/tap_demo'", dir);
    int status = run(cmd, &out);
    same_text(out, expected_fail,
              "tap: a failing program's TAP text (ok, is_int, is_double with NaN and Inf, "
              "arrays, skip, todo, note, YAML blocks)");
    free(out);
    tap_is_int(status, 1, "tap: a program with failures (TODO excluded) exits 1");

    snprintf(cmd, sizeof cmd, "'%s/tap_demo' pass", dir);
    status = run(cmd, &out);
    tap_ok(strstr(out, "not ok") == NULL && strstr(out, "\n1..3\n") != NULL,
           "tap: a passing program prints no 'not ok' and a trailing plan 1..3");
    free(out);
    tap_is_int(status, 0, "tap: a passing program exits 0");

    snprintf(cmd, sizeof cmd, "'%s/tap_demo' bail", dir);
    status = run(cmd, &out);
    same_text(out, expected_bail, "tap: bail_out prints 'Bail out!' and stops");
    free(out);
    tap_is_int(status, 255, "tap: bail_out exits 255");

    snprintf(cmd, sizeof cmd, "TAP_VERSION=14 '%s/tap_demo' pass", dir);
    run(cmd, &out);
    tap_ok(strncmp(out, "TAP version 14\n", 15) == 0, "tap: TAP_VERSION=14 prints version 14");
    free(out);
    snprintf(cmd, sizeof cmd, "TAP_VERSION= '%s/tap_demo' pass", dir);
    run(cmd, &out);
    tap_ok(strncmp(out, "TAP version 13\n", 15) == 0,
           "tap: by default the version line says 13 (what Debian 12's prove accepts)");
    free(out);
    return tap_done();
}
