/* testsuite/t/naming.c: the diagnosis measured on code the catalogue did not write (issue 25).
 * testsuite/adapters/indep_panel.py is an MLP of its own structure (an object per layer,
 * samples as columns) with each catalogue bug written from its one-line explanation, bugs
 * the catalogue does not model, and a sigmoid computed as 1/2 (1 + tanh(z/2)). Each is run
 * through `bpcheck conform` over every bundled case, and the names its failures get are
 * counted from the YAML's `named:` and `candidates:` lines and the summary's `likely bug:`:
 *   - every bug is caught (the run fails);
 *   - a catalogue bug is NAMED on a case when the case names it alone; a name of another
 *     model, alone or in an ambiguity that leaves the true one out, is MISLEADING;
 *   - at least 90% of the catalogue bugs that fail are named on at least half of their
 *     failing cases, and no name anywhere is misleading;
 *   - a bug outside the catalogue, and the tanh sigmoid, fail with first_wrong on every
 *     failing case and get no name at all.
 * The table per bug is printed as TAP notes; the README quotes its totals. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

int main(void)
{
    const char *prog = tu_env("BPCHECK"), *python = tu_env("BPCHECK_PYTHON");
    char *list;
    if (getenv("BPCHECK_QUICK") || getenv("BPCHECK_LIGHT")) {
        tap_skip("the diagnosis on the independent panel: BPCHECK_QUICK or BPCHECK_LIGHT is set "
                 "(make check measures it)");
        return tap_done();
    }
    if (tu_sh(&list, "'%s' -c 'import numpy' 2>&1", python) != 0) {
        free(list);
        if (getenv("BPCHECK_REQUIRE_NUMPY"))
            tap_bail_out("%s has no numpy, and BPCHECK_REQUIRE_NUMPY is set", python);
        tap_skip("the independent panel needs numpy in %s", python);
        return tap_done();
    }
    free(list);
    const char *panel = "testsuite/adapters/indep_panel.py";
    if (tu_sh(&list, "'%s' %s --list", python, panel) != 0)
        tap_bail_out("%s --list failed: %s", panel, list);
    /* every run at once, two at a time (the machine's two cores), each into its own file */
    char dir[] = "/tmp/bpcheck-naming.XXXXXX";
    if (!mkdtemp(dir))
        tap_bail_out("cannot make a temporary directory");
    char *runs;
    /* the files are named by the bug with '/' (NAME/VALUE) as '_' */
    tu_sh(&runs, "'%s' %s --list | grep -vx none | xargs -P2 -I{} sh -c "
          "\"f=\\$(echo '{}' | tr / _); '%s' conform --impl \\\"'%s' %s '{}'\\\" > '%s/'\\$f.out 2>&1; "
          "echo \\$? > '%s/'\\$f.rc\"",
          python, panel, prog, python, panel, dir, dir);
    free(runs);
    size_t cat = 0, cat_failing = 0, cat_named = 0, outside = 0, misleading_all = 0;
    size_t outside_clean = 0;
    tap_note("%-30s %8s %6s %6s %6s %6s", "bug", "failing", "named", "ambig.", "wrong", "likely");
    char *save = NULL;
    for (char *bug = strtok_r(list, "\n", &save); bug; bug = strtok_r(NULL, "\n", &save)) {
        if (strcmp(bug, "none") == 0)
            continue;
        int is_outside = strncmp(bug, "outside:", 8) == 0 || strcmp(bug, "tanh-sigmoid") == 0;
        char *out, *rcs, file[128];
        snprintf(file, sizeof file, "%s", bug);
        for (char *q = file; *q; q++)
            *q = *q == '/' ? '_' : *q;
        tu_sh(&out, "cat '%s/%s.out'", dir, file);
        tu_sh(&rcs, "cat '%s/%s.rc'", dir, file);
        int rc = atoi(rcs);
        free(rcs);
        tu_tally t;
        char truth[64]; /* a family's bug at a value of its own, NAME/VALUE: the model is NAME */
        snprintf(truth, sizeof truth, "%.*s", (int)strcspn(bug, "/"), bug);
        tu_count_names(out, is_outside ? "" : truth, &t);
        free(out);
        tap_note("%-30s %8zu %5.0f%% %6zu %6zu %6s", bug, t.failing,
                 t.failing ? 100.0 * (double)t.named / (double)t.failing : 0.0, t.ambiguous,
                 t.misleading + (size_t)t.likely_wrong, t.likely[0] ? t.likely : "-");
        tap_ok(rc == 1 && t.failing > 0, "%s is caught: %zu cases fail", bug, t.failing);
        misleading_all += t.misleading + (size_t)t.likely_wrong;
        if (is_outside) {
            outside++;
            int clean = t.hinted == 0 && !t.likely[0] && t.localised == t.failing;
            outside_clean += clean;
            if (!clean)
                tap_diag("%s: %zu of %zu failing cases localised, %zu with a hint, likely bug '%s'", bug,
                         t.localised, t.failing, t.hinted, t.likely);
        } else {
            cat++;
            cat_failing += t.failing > 0;
            cat_named += t.failing > 0 && 2 * t.named >= t.failing;
        }
    }
    free(list);
    char *rm;
    tu_sh(&rm, "rm -rf '%s'", dir);
    free(rm);
    tap_ok(cat >= 30, "the independent panel has %zu catalogue bugs (at least 30)", cat);
    tap_ok(outside >= 16, "and %zu outside the catalogue, the tanh sigmoid among them (at least 16)", outside);
    tap_ok(10 * cat_named >= 9 * cat_failing, "%zu of %zu catalogue bugs (%.0f%%) are named on at least half "
           "of their failing cases (target: 90%%)", cat_named, cat_failing,
           cat_failing ? 100.0 * (double)cat_named / (double)cat_failing : 0.0);
    tap_ok(misleading_all == 0, "misleading names over the whole panel: %zu (target: 0)", misleading_all);
    tap_ok(outside_clean == outside, "%zu of %zu bugs outside the catalogue fail localised and unnamed",
           outside_clean, outside);
    return tap_done();
}
