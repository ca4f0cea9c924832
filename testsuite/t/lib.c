/* testsuite/t/lib.c: libbpcheck's in-process API (bpcheck(3)) as a user's test program calls
 * it (helpers/libcheck.c): bpc_gradcheck passes the reference's gradient and fails a wrong
 * one naming the entry, an unsupported one and one whose cost fails; bpc_fixture_for writes a
 * fixture that bpc_conform then runs with the step and trace callbacks, failing NaN in the
 * trace and a failing step; every unusable argument is exit 2 with a message. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

static const char *helper;

/* run the helper with args: its exit status is want, and its output (both streams) holds
 * each of the texts (NULL-terminated) */
static void expect(const char *args, int want, const char *const *texts)
{
    char *out;
    int rc = tu_sh(&out, "'%s' %s", helper, args);
    int ok = rc == want;
    for (size_t i = 0; texts[i]; i++)
        if (!strstr(out, texts[i])) {
            ok = 0;
            tap_diag("missing: %s", texts[i]);
        }
    if (!tap_ok(ok, "libcheck %s: exit %d, and says so", args, want))
        tap_diag("exit %d; output:\n%s", rc, out);
    free(out);
}

#define SAYS(...) ((const char *const[]){__VA_ARGS__, NULL})

int main(void)
{
    char h[512], dir[512], path[600], args[1400];
    snprintf(h, sizeof h, "%s/libcheck", tu_env("BPCHECK_HELPERS"));
    helper = h;
    snprintf(dir, sizeof dir, "%s/lib.XXXXXX", tu_env("BPCHECK_TESTDIR"));
    if (!mkdtemp(dir))
        tap_bail_out("cannot create a directory in %s", tu_env("BPCHECK_TESTDIR"));
    snprintf(path, sizeof path, "%s/net.json", dir);

    expect("gradcheck GOOD", 0,
           SAYS("ok 1 - the gradient agrees with the complex oracle",
                "ok 2 - the gradient agrees with the dual oracle",
                "ok 3 - the gradient agrees with central differences of its own cost", "1..3"));
    expect("gradcheck WRONG", 1,
           SAYS("not ok 1 - the gradient agrees with the complex oracle", "# worst entry b^1[0]",
                "not ok 3 - the gradient agrees with central differences"));
    expect("gradcheck UNSUPPORTED", 1,
           SAYS("not ok 1 - the implementation gives a gradient (unsupported: no such model here)"));
    expect("gradcheck COSTFAIL", 1,
           SAYS("ok 1 - the gradient agrees with the complex oracle",
                "not ok 3 - central differences of its own cost: the cost alone is not implemented"));
    expect("gradcheck-noimpl", 2, SAYS("bpc_gradcheck: the implementation has no gradient callback"));
    expect("gradcheck-badnet", 2, SAYS("bpc_gradcheck: net: batch 0; expected 1 to"));

    snprintf(args, sizeof args, "fixture-for '%s'", path);
    expect(args, 0, SAYS(""));
    snprintf(args, sizeof args, "fixture-for '%s/other.json' bogus,sigmoid", dir);
    expect(args, 2, SAYS("bpc_fixture_for: activations: unknown activation 'bogus'"));
    expect("fixture-for /nonexistent/x.json", 2, SAYS("bpc_fixture_for: /nonexistent/x.json: cannot write"));

    snprintf(args, sizeof args, "conform GOOD '%s'", path);
    expect(args, 0, SAYS("ok 1 - quadratic/3-4-2/m3/sum/typical/seed5", "1 passed, 0 failed, 0 skipped"));
    snprintf(args, sizeof args, "conform NANTRACE '%s'", path);
    expect(args, 1, SAYS("not ok 1 - quadratic/3-4-2/m3/sum/typical/seed5",
                         "message: \"delta out of tolerance; NaN in delta: 1 of 18 entries\""));
    snprintf(args, sizeof args, "conform STEPFAIL '%s'", path);
    expect(args, 1, SAYS("not ok 1 - quadratic/3-4-2/m3/sum/typical/seed5",
                         "the implementation reported an error: the step is broken"));
    snprintf(args, sizeof args, "conform-noimpl '%s'", path);
    expect(args, 2, SAYS("bpc_conform: the implementation has no gradient callback"));
    snprintf(args, sizeof args, "conform-impl '%s'", path);
    expect(args, 2, SAYS("--impl does not apply in-process (libbpcheck)"));

    char *out;
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    return tap_done();
}
