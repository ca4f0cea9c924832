/* testsuite/t/old_adapters.c: adapters written before activations existed (issue 26), as the
 * small stand-ins of testsuite/adapters/old/: the numpy adapter of the first release, a
 * PyTorch adapter, and wrappers around network.py, genann, KANN and scikit-learn. None reads
 * model.activations. Each is run through `bpcheck conform` over every bundled case:
 *   - it fails, every failing case names activations-ignored alone, and none is left
 *     unnamed; the cases it answers otherwise pass or are skipped (unsupported);
 *   - the summary's likely bug is activations-ignored, and it has a line by activations;
 *   - with --declare (its capabilities at the hello, the fix the hint names) nothing fails:
 *     the cases with other activations are skipped, each with the reason. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

static const char *const stand_ins[][2] = {
    {"numpy_first", "numpy"}, {"torch_old", "torch"}, {"network_py", "numpy"},
    {"genann_wrap", "numpy"}, {"kann_wrap", "numpy"}, {"sklearn_wrap", "numpy"},
};

int main(void)
{
    const char *prog = tu_env("BPCHECK"), *python = tu_env("BPCHECK_PYTHON");
    char dir[] = "/tmp/bpcheck-old.XXXXXX", *out;
    if (getenv("BPCHECK_QUICK")) { /* the mutation runs: no mutant there touches the naming */
        tap_skip("the old adapters' stand-ins: BPCHECK_QUICK is set (make check runs them)");
        return tap_done();
    }
    if (!mkdtemp(dir))
        tap_bail_out("cannot make a temporary directory");
    /* every run at once, two at a time, each into its own file */
    tu_sh(&out, "for f in numpy_first torch_old network_py genann_wrap kann_wrap sklearn_wrap; do "
                "echo \"$f.py\"; echo \"$f.py --declare\"; done | xargs -P2 -I{} sh -c \"n=\\$(echo '{}' | "
                "sed 's/[.]py//' | tr ' ' _); "
                "'%s' conform --impl \\\"'%s' testsuite/adapters/old/{}\\\" > '%s/'\\$n.out 2>'%s/'\\$n.err; "
                "echo \\$? > '%s/'\\$n.rc\"", prog, python, dir, dir, dir);
    free(out);
    for (size_t k = 0; k < sizeof stand_ins / sizeof *stand_ins; k++) {
        const char *name = stand_ins[k][0], *module = stand_ins[k][1];
        char *probe;
        if (tu_sh(&probe, "'%s' -c 'import %s' 2>&1", python, module) != 0) {
            free(probe);
            if (getenv("BPCHECK_REQUIRE_NUMPY"))
                tap_bail_out("%s has no %s, and BPCHECK_REQUIRE_NUMPY is set", python, module);
            tap_skip("%s needs %s in %s", name, module, python);
            continue;
        }
        free(probe);
        char *rcs;
        long p = -1, f = -1, s = -1;
        tu_sh(&out, "cat '%s/%s.out'", dir, name);
        tu_sh(&rcs, "cat '%s/%s.rc'", dir, name);
        tu_tally t;
        tu_count_names(out, "activations-ignored", &t);
        int counted = tu_summary(out, &p, &f, &s);
        if (!tap_ok(atoi(rcs) == 1 && counted && f > 0 && t.failing == (size_t)f && t.named == t.failing &&
                        t.misleading == 0 && !strstr(out, "no bug named") && p + f + s == 281,
                    "%s: %ld of 281 cases fail, every one named activations-ignored (%zu), none unnamed; "
                    "%ld pass, %ld skipped", name, f, t.named, p, s))
            tap_diag("%s", out);
        tap_ok(strstr(out, "likely bug: \"activations-ignored") && strstr(out, "  by activations: ") &&
                   strstr(out, "declare capabilities.activations at the hello"),
               "%s: the summary's likely bug is activations-ignored, its hint names the fix, and the "
               "summary has a line by activations", name);
        free(out), free(rcs);
        tu_sh(&out, "cat '%s/%s_--declare.out'", dir, name);
        tu_sh(&rcs, "cat '%s/%s_--declare.rc'", dir, name);
        long p2 = -1, f2 = -1, s2 = -1;
        counted = tu_summary(out, &p2, &f2, &s2);
        tap_ok(atoi(rcs) == 0 && counted && f2 == 0 && p2 == p && s2 == s + f &&
                   strstr(out, "SKIP outside the implementation's capabilities: it declares activations ["),
               "%s --declare: its capabilities declared, nothing fails: %ld pass as before, %ld skipped "
               "(the %ld it got wrong among them, each with the reason)", name, p2, s2, f);
        free(out), free(rcs);
    }
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    return tap_done();
}
