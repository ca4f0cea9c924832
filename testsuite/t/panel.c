/* testsuite/t/panel.c: the panel of correct variants (fixtures/FORMAT.md, "The accepted
 * class"): implementations that are correct but differ from the reference in every way the
 * class allows (summation order, blocking, FMA, wider accumulators, s(1 - s), the softmax
 * Jacobian, deltas from z, naive logarithms, per-sample accumulation, BLAS, numpy, PyTorch in
 * float64 and float32, C in float32) each pass every bundled case through `bpcheck conform
 * --deep`; the same engines with a planted bug are rejected, in both precisions. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"
#include "testutil.h"

static const char *prog, *adapters, *python;
static long ncases;

/* impl passes every case under profile, with --deep: "N passed, 0 failed, 0 skipped" */
static void passes(const char *label, const char *profile, const char *fmt, const char *arg)
{
    char impl[1024], *out;
    snprintf(impl, sizeof impl, fmt, arg);
    int rc = tu_sh(&out, "'%s' conform --deep --profile %s --impl '%s'", prog, profile, impl);
    long p = -1, f = -1, s = -1;
    tu_summary(out, &p, &f, &s);
    if (!tap_ok(rc == 0 && p == ncases && f == 0 && s == 0,
                "panel (%s): %s passes all %ld cases, --deep (%ld passed, %ld failed, %ld skipped)",
                profile, label, ncases, p, f, s)) {
        const char *first = strstr(out, "not ok");
        tap_diag("exit %d; first failure:\n%.1500s", rc, first ? first : out);
    }
    free(out);
}

/* impl, with a planted bug, fails most cases under profile */
static void rejected(const char *label, const char *profile, const char *impl)
{
    char *out;
    int rc = tu_sh(&out, "'%s' conform --profile %s --impl '%s'", prog, profile, impl);
    long p = -1, f = -1, s = -1;
    tu_summary(out, &p, &f, &s);
    if (!tap_ok(rc == 1 && f > ncases / 2, "panel (%s): %s is rejected (%ld of %ld cases fail)",
                profile, label, f, ncases))
        tap_diag("exit %d, %ld passed, %ld failed, %ld skipped", rc, p, f, s);
    free(out);
}

/* Is module importable by python? If not: skip n points, or fail one where REQUIRE is set. */
static int have_module(const char *module, const char *require, const char *package, int n)
{
    char *out;
    int rc = tu_sh(&out, "'%s' -c 'import %s'", python, module);
    free(out);
    if (rc == 0)
        return 1;
    if (getenv(require)) {
        tap_ok(0, "panel: %s with %s is required here (%s) but missing", python, module, require);
        return 0;
    }
    for (int i = 0; i < n; i++)
        tap_skip("panel: %s has no %s (apt-get install %s)", python, module, package);
    return 0;
}

/* The FMA build really fuses: on the 784-input case its answer differs from the plain build's
 * (so the pass of the FMA variant is evidence about contraction, not a copy of plain). */
static void fma_differs(void)
{
    char fma[1024];
    snprintf(fma, sizeof fma, "%s/variant-fma", adapters);
    if (access(fma, X_OK) != 0) {
        tap_skip("panel: the -ffp-contract=fast -mfma build: this CPU has no FMA");
        tap_skip("panel: the -ffp-contract=fast -mfma build differs from plain: no FMA");
        return;
    }
    passes("the -ffp-contract=fast -mfma build", "float64", "%s", fma);
    bp_error err;
    bp_fixture *fx = bp_fixture_load("fixtures/cross-entropy.json", &err);
    if (!fx)
        tap_bail_out("%s", err.msg);
    const bp_case *c = NULL;
    for (size_t i = 0; i < fx->ncases; i++)
        if (strstr(fx->cases[i].id, "784-30-10"))
            c = &fx->cases[i];
    json_t *req = bp_case_to_json(c, 0);
    json_object_set_new(req, "want", json_pack("[s, s]", "cost", "grad"));
    char *line = json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char name[64], *a, *b;
    snprintf(name, sizeof name, "%s", tu_temp_file(line));
    tu_sh(&a, "'%s/variant' < '%s'", adapters, name);
    tu_sh(&b, "'%s' < '%s'", fma, name);
    tap_ok(strlen(a) > 1000 && strstr(a, "\"grad\"") && strcmp(a, b) != 0,
           "panel: the FMA build's answer to %s differs from the plain build's (contraction happened)",
           c ? c->id : "(no 784-30-10 case)");
    unlink(name);
    free(a), free(b), free(line);
    json_decref(req);
    bp_fixture_free(fx);
}

int main(void)
{
    prog = tu_env("BPCHECK");
    adapters = tu_env("BPCHECK_ADAPTERS");
    python = tu_env("BPCHECK_PYTHON");
    if (getenv("BPCHECK_QUICK")) { /* the mutation runs: each of 19 runs re-runs every case */
        tap_skip("the panel of correct variants: BPCHECK_QUICK is set");
        return tap_done();
    }
    char *out;
    long p = -1, f = -1, s = -1;
    int rc = tu_sh(&out, "'%s' conform", prog);
    tu_summary(out, &p, &f, &s);
    free(out);
    if (rc != 0 || f != 0 || p < 200)
        tap_bail_out("the bundled reference does not pass its own fixtures (%ld passed, %ld failed)", p, f);
    ncases = p;

    /* C, double: one engine, each switch a way a correct implementation may differ */
    static const char *const c64[][2] = {
        {"plain", "the plain C variant (stable sigma', a - y, sums in order)"},
        {"reversed", "reversed summation"},
        {"pairwise", "pairwise summation"},
        {"longdouble", "long double accumulation"},
        {"s1s", "the textbook sigma = 1/(1+e^-z) with sigma' = s(1 - s)"},
        {"jacobian", "the softmax delta through the full Jacobian"},
        {"from-z", "output deltas formed from z"},
        {"naive-log", "naive ln a and ln(1 - a) where far from ln 0"},
        {"per-sample", "per-sample accumulation, 1/m applied to delta^L"},
        {"blas", "the vectorized GSL BLAS form"},
        {"s1s,jacobian,from-z,naive-log,per-sample,pairwise", "all the forms at once, pairwise"},
    };
    char impl[512];
    for (size_t i = 0; i < sizeof c64 / sizeof c64[0]; i++) {
        snprintf(impl, sizeof impl, "%s/variant --variant %s", adapters, c64[i][0]);
        passes(c64[i][1], "float64", "%s", impl);
    }
    fma_differs();

    /* C, float: the float32 profile, derived for u = 2^-24 and float's range */
    snprintf(impl, sizeof impl, "%s/variant32", adapters);
    passes("the C variant in float", "float32", "%s", impl);
    snprintf(impl, sizeof impl, "%s/variant32 --variant s1s,jacobian,from-z,naive-log,per-sample,reversed",
             adapters);
    passes("the C variant in float, every alternative form, reversed", "float32", "%s", impl);

    /* the C adapter template as shipped (share/bpcheck/adapters/template.c) */
    snprintf(impl, sizeof impl, "%s/template", adapters);
    passes("the C adapter template (jansson), as shipped", "float64", "%s", impl);

    /* the bundled numpy adapter, PyTorch autograd in float64 and float32 (not in the valgrind
     * and sanitizer re-runs, BPCHECK_LIGHT: they are for memory errors, and these members run
     * no C code of ours; make check has run them) */
    if (getenv("BPCHECK_LIGHT")) {
        tap_skip("panel: the Python members (numpy, PyTorch): BPCHECK_LIGHT is set");
    } else if (have_module("numpy", "BPCHECK_REQUIRE_NUMPY", "python3-numpy", 1))
        passes("the bundled numpy adapter", "float64", "%s testsuite/adapters/numpy_adapter.py", python);
    if (!getenv("BPCHECK_LIGHT") && have_module("torch", "BPCHECK_REQUIRE_TORCH", "python3-torch", 4)) {
        passes("PyTorch autograd, float64", "float64", "%s testsuite/adapters/torch_adapter.py", python);
        passes("PyTorch autograd, float32", "float32", "%s testsuite/adapters/torch_adapter.py --float32",
               python);
        /* the bounds themselves: float32 arithmetic that does not say so fails the float64 profile */
        snprintf(impl, sizeof impl, "%s testsuite/adapters/torch_adapter.py --float32 --no-capabilities", python);
        rejected("PyTorch float32, declaring nothing, judged by the float64 profile", "float64", impl);
        /* one that declares its precision is not judged by the float64 profile at all */
        char *out;
        int rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/adapters/torch_adapter.py --float32' "
                       "--only 'quadratic/*'", prog, python);
        long p = -1, f = -1, s = -1;
        tu_summary(out, &p, &f, &s);
        tap_ok(rc == 1 && p == 0 && f == 0 && s > 0 && strstr(out, "it declares precision [float32]; this run "
                                                               "judges in float64") && strstr(out, "no case was judged"),
               "panel: PyTorch float32 declaring its precision: every case of the float64 profile skipped "
               "with the reason (%ld), and the run of nothing exits 1", s);
        free(out);
    }

    /* a real bug is still caught, in either precision */
    snprintf(impl, sizeof impl, "%s/variant --variant s1s,bug-sp-of-a", adapters);
    rejected("the s(1 - s) variant with sigma'(a) for sigma'(z)", "float64", impl);
    snprintf(impl, sizeof impl, "%s/variant32 --variant bug-sp-of-a", adapters);
    rejected("the float variant with sigma'(a) for sigma'(z)", "float32", impl);
    snprintf(impl, sizeof impl, "%s/variant32 --variant bug-step-sign", adapters);
    rejected("the float variant with the step added", "float32", impl);
    snprintf(impl, sizeof impl, "%s/variant32", adapters);
    rejected("the float variant judged by the float64 profile", "float64", impl);
    return tap_done();
}
