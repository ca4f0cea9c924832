/* testsuite/t/derivations.c: `bpcheck derivations`: a point for every equation ID of the five
 * documents, all passing (errata as TODO points whose corrected form passes and whose printed
 * reading, where there is one, is measurably wrong); the compiled-in catalogue equals
 * derivations/equations.tsv; and derivations/REPORT.md is what the checks write today. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "tap.h"
#include "testutil.h"

/* the first occurrence of s within the len bytes at p, or NULL */
static char *within(char *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, s, n) == 0)
            return p + i;
    return NULL;
}

int main(void)
{
    const char *prog = tu_env("BPCHECK");
    char cmd[2048], *out;

    /* the catalogue compiled in is derivations/equations.tsv */
    FILE *f = fopen("derivations/equations.tsv", "r");
    if (!f)
        tap_bail_out("cannot read derivations/equations.tsv");
    char line[1024];
    size_t k = 0, mismatch = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char want[1024];
        if (k < bp_nequations)
            snprintf(want, sizeof want, "%s\t%s\t%s", bp_equations[k].id, bp_equations[k].doc,
                     bp_equations[k].formula);
        if (k >= bp_nequations || strcmp(line, want) != 0) {
            mismatch++;
            tap_diag("equations.tsv line for entry %zu: '%s'", k, line);
        }
        k++;
    }
    fclose(f);
    tap_ok(mismatch == 0 && k == bp_nequations && k == 58,
           "derivations: the compiled-in catalogue is derivations/equations.tsv (58 IDs)");

    /* every ID a point, the run green; errata as TODO points */
    snprintf(cmd, sizeof cmd, "'%s' derivations 2>&1; echo \"exit $?\"", prog);
    tu_run(cmd, &out);
    size_t points = 0, todo = 0, failing = 0, with_fix = 0, measured = 0;
    for (char *p = out; (p = strstr(p, "ok ")) != NULL; p += 3) {
        if (p != out && p[-1] != '\n' && !(p >= out + 4 && strncmp(p - 4, "not ", 4) == 0))
            continue;
        points++;
        char *eol = strchr(p, '\n');
        int is_not = p >= out + 4 && strncmp(p - 4, "not ", 4) == 0;
        int is_todo = eol && within(p, (size_t)(eol - p), "# TODO erratum") != NULL;
        todo += is_todo;
        failing += is_not && !is_todo;
        if (is_todo) {
            char *end = strstr(eol, "\n  ...");
            size_t len = end ? (size_t)(end - eol) : 0;
            with_fix += len && within(eol, len, "corrected:") && within(eol, len, "wrong:");
            char *pr = len ? within(eol, len, "printed_reading_error: ") : NULL;
            if (pr) {
                double v = atof(pr + 23);
                measured += v > 1e-3; /* the printed reading is wrong by far more than rounding */
            }
        }
    }
    tap_ok(strstr(out, "exit 0") && points == 58 && failing == 0,
           "derivations: a point for each of the 58 equation IDs, none failing (exit 0)");
    tap_ok(todo >= 10 && with_fix == todo, "derivations: %zu errata, each a TODO point that says what "
           "is wrong and the corrected form, whose check passes", todo);
    tap_ok(measured >= 8, "derivations: %zu errata show the printed reading wrong by more than 1e-3 "
           "(the rest are notational, with the corrected reading checked)", measured);
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' derivations --doc 004 2>&1 | grep -c '^\\(not \\)\\?ok'", prog);
    tu_run(cmd, &out);
    tap_is_int(atol(out), 16, "derivations --doc 004: the 16 equations of document 004 (1-13, cost, sig, train)");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' derivations --doc 005 >/dev/null 2>&1; echo $?", prog);
    tu_run(cmd, &out);
    tap_is_int(atol(out), 2, "derivations --doc 005: a usage error (exit 2)");
    free(out);

    /* derivations/REPORT.md is current */
    char report[] = "/tmp/bpcheck-report-XXXXXX";
    int fd = mkstemp(report);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' derivations --report %s >/dev/null 2>&1; cmp -s %s "
             "derivations/REPORT.md && echo same", prog, report, report);
    tu_run(cmd, &out);
    if (!tap_ok(strncmp(out, "same", 4) == 0, "derivations/REPORT.md is what the checks write today"))
        tap_diag("run 'make derivations' and commit derivations/REPORT.md");
    free(out);
    unlink(report);
    return tap_done();
}
