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
    char line[2048];
    size_t k = 0, mismatch = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char want[2048];
        if (k < bp_nequations)
            snprintf(want, sizeof want, "%s\t%s\t%s\t%s", bp_equations[k].id, bp_equations[k].doc,
                     bp_equations[k].formula, bp_equations[k].printed);
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
    size_t points = 0, todo = 0, failing = 0, with_fix = 0, measured = 0, described = 0;
    size_t classed = 0, findings = 0;
    for (char *p = out; (p = strstr(p, "ok ")) != NULL; p += 3) {
        if (p != out && p[-1] != '\n' && !(p >= out + 4 && strncmp(p - 4, "not ", 4) == 0))
            continue;
        points++;
        char *eol = strchr(p, '\n');
        int is_not = p >= out + 4 && strncmp(p - 4, "not ", 4) == 0;
        int is_todo = eol && within(p, (size_t)(eol - p), "# TODO erratum (") != NULL;
        todo += is_todo;
        failing += is_not && !is_todo;
        char *end = eol ? strstr(eol, "\n  ...") : NULL;
        size_t len = end ? (size_t)(end - eol) : 0;
        /* every point says what was compared, by which function, and the printed form */
        described += len && within(eol, len, "\n  printed: \"") && within(eol, len, "\n  checked: \"")
                     && within(eol, len, "\n  check: chk_");
        for (char *q = eol; len && (q = within(q, len - (size_t)(q - eol), "    - class: ")); q++) {
            findings++;
            q += 13;
            classed += strncmp(q, "error\n", 6) == 0 || strncmp(q, "ambiguity\n", 10) == 0 ||
                       strncmp(q, "unstated assumption\n", 20) == 0 || strncmp(q, "notation\n", 9) == 0;
        }
        if (is_todo) {
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
           "(the rest state what their figure is, or that no reading has a value)", measured);
    tap_ok(described == points, "derivations: %zu of %zu points name the printed form, the quantity "
           "compared and the check's function", described, points);
    tap_ok(findings >= todo && classed == findings, "derivations: each of the %zu findings is an "
           "error, an ambiguity, an unstated assumption or notation (%zu classed)", findings, classed);
    {
        size_t e = 0, a = 0, u = 0, nt = 0;
        char *cl = strstr(out, "# findings by class: ");
        int got = cl ? sscanf(cl, "# findings by class: error %zu, ambiguity %zu, unstated "
                              "assumption %zu, notation %zu", &e, &a, &u, &nt) : 0;
        tap_ok(got == 4 && e + a + u + nt == findings, "derivations: the closing line counts the "
               "%zu findings by class (%zu + %zu + %zu + %zu)", findings, e, a, u, nt);
    }
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' derivations --doc 004 2>&1 | grep -c '^\\(not \\)\\?ok'", prog);
    tu_run(cmd, &out);
    tap_is_int(atol(out), 16, "derivations --doc 004: the 16 equations of document 004 (1-13, cost, sig, train)");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' derivations --doc 005 >/dev/null 2>&1; echo $?", prog);
    tu_run(cmd, &out);
    tap_is_int(atol(out), 2, "derivations --doc 005: a usage error (exit 2)");
    free(out);

    /* every equation ID has its mutation in testsuite/mutate/equations.txt, whose expected
     * failing set holds that ID (make check-mutants runs them) */
    f = fopen("testsuite/mutate/equations.txt", "r");
    if (!f)
        tap_bail_out("cannot read testsuite/mutate/equations.txt");
    size_t *count = calloc(bp_nequations, sizeof *count), bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *what = strstr(line, " ||| "), *ids = strrchr(line, '|');
        size_t e;
        for (e = 0; what && e < bp_nequations; e++) {
            size_t n = strlen(bp_equations[e].id);
            if (strncmp(what + 5, bp_equations[e].id, n) == 0 && what[5 + n] == ' ')
                break;
        }
        int listed = 0; /* the ID is an element of the expected set */
        if (what && e < bp_nequations && ids) {
            char set[1024];
            snprintf(set, sizeof set, ",%s", ids + 2);
            set[strcspn(set, "\n")] = '\0';
            strcat(set, ",");
            char elem[32];
            snprintf(elem, sizeof elem, ",%s,", bp_equations[e].id);
            listed = strstr(set, elem) != NULL;
        }
        if (!listed) {
            bad++;
            tap_diag("equations.txt: no ID, or its expected set does not hold it: %s", line);
            continue;
        }
        count[e]++;
    }
    fclose(f);
    size_t once = 0;
    for (size_t e = 0; e < bp_nequations; e++)
        once += count[e] == 1;
    free(count);
    tap_ok(bad == 0 && once == bp_nequations, "testsuite/mutate/equations.txt: one mutation for "
           "each of the %zu IDs (%zu have exactly one)", bp_nequations, once);

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
