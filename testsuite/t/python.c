/* testsuite/t/python.c: the Python package bpcheck (testsuite/python) installs with pip, with
 * no network, into a virtualenv, and works there: its pytest tests
 * (testsuite/python/tests/test_bpcheck.py: a correct numpy answer passes, planted bugs fail
 * with their names, fixtures for one's own network, timeouts, errors) pass under the package
 * just installed; the README's pytest example runs as written, and fails with the bug's name
 * when the network it imports has one. Also: a bare virtualenv (no setuptools, no wheel, no
 * site packages) installs it too; pip install -e points at the tree; pip uninstall removes
 * it; installing writes nothing into the tree; the package's version is the Makefile's. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

/* The README's pytest example: the first ```python block after "From Python: a pytest test",
 * malloc'd; NULL when there is none. */
static char *readme_example(void)
{
    FILE *f = fopen("README.md", "r");
    char *text = calloc(1, 1 << 20), *out = NULL;
    if (!f || !text)
        tap_bail_out("cannot read README.md");
    text[fread(text, 1, (1 << 20) - 1, f)] = '\0';
    fclose(f);
    const char *p = strstr(text, "**From Python: a pytest test.**"), *end;
    if (p && (p = strstr(p, "```python\n")) && (end = strstr(p + 10, "```"))) {
        out = malloc((size_t)(end - p - 10) + 1);
        memcpy(out, p + 10, (size_t)(end - p - 10));
        out[end - p - 10] = '\0';
    }
    free(text);
    return out;
}

/* Each "PASSED name" and "FAILED name" line of pytest -rA as a test point; the number passed. */
static int pytest_points(const char *out)
{
    int passed = 0;
    for (const char *p = out; (p = strstr(p, "\n")); p++) {
        int pass = strncmp(p + 1, "PASSED ", 7) == 0, fail = strncmp(p + 1, "FAILED ", 7) == 0 ||
                                                             strncmp(p + 1, "ERROR ", 6) == 0;
        if (!pass && !fail)
            continue;
        const char *name = strchr(p + 1, ' ') + 1, *nl = strchr(name, '\n');
        tap_ok(pass, "pytest: %.*s", (int)(nl ? nl - name : (long)strlen(name)), name);
        passed += pass;
    }
    return passed;
}

int main(void)
{
    if ((getenv("BPCHECK_QUICK") && *getenv("BPCHECK_QUICK")) || (getenv("BPCHECK_LIGHT") && *getenv("BPCHECK_LIGHT"))) {
        printf("1..0 # SKIP the Python package: virtualenvs and pip installs, made once by make check\n");
        return 0;
    }
    const char *py = tu_env("BPCHECK_PYTHON"), *prog = tu_env("BPCHECK");
    char *out, cwd[4096], dir[] = "/tmp/bpcheck-python-XXXXXX";
    if (tu_sh(&out, "'%s' -c 'import venv, ensurepip, pytest, numpy'", py) != 0) {
        if (getenv("BPCHECK_REQUIRE_PYTEST") && *getenv("BPCHECK_REQUIRE_PYTEST")) /* CI: never a skip */
            tap_bail_out("BPCHECK_REQUIRE_PYTEST is set, and %s lacks venv, pytest or numpy: %.300s", py, out);
        printf("1..0 # SKIP %s lacks venv, pytest or numpy (make deps: python3-venv python3-pytest "
               "python3-numpy)\n", py);
        free(out);
        return 0;
    }
    free(out);
    if (!getcwd(cwd, sizeof cwd) || !mkdtemp(dir))
        tap_bail_out("getcwd or mkdtemp failed");
    char listing[] = "find testsuite/python testsuite/adapters | sort";
    char *before;
    tu_sh(&before, "%s", listing);

    /* a virtualenv with the system's packages (numpy, pytest), and the package pip-installed */
    int rc = tu_sh(&out, "'%s' -m venv --system-site-packages '%s/venv' && '%s/venv/bin/pip' install -q --no-index "
                   "testsuite/python", py, dir, dir);
    if (!tap_ok(rc == 0, "pip install --no-index testsuite/python, into a virtualenv"))
        tap_diag("exit %d:\n%.3000s", rc, out);
    free(out);
    rc = tu_sh(&out, "cd / && '%s/venv/bin/python' -c 'import bpcheck, bpcheck_protocol; print(bpcheck.__version__, "
               "bpcheck.__file__, bpcheck_protocol.serve is bpcheck.serve)'", dir);
    char want[4800];
    snprintf(want, sizeof want, "%s %s/venv/lib/", BPCHECK_VERSION, dir);
    tap_ok(rc == 0 && strncmp(out, want, strlen(want)) == 0 && strstr(out, " True\n"),
           "the virtualenv imports bpcheck %s from its own site-packages, and bpcheck_protocol is its protocol: %s",
           BPCHECK_VERSION, out);
    free(out);

    /* the package's own tests, under pytest, with the program just built */
    rc = tu_sh(&out, "PYTHONDONTWRITEBYTECODE=1 BPCHECK='%s/%s' '%s/venv/bin/python' -m pytest -q -rA -p no:cacheprovider "
               "testsuite/python/tests 2>&1", cwd, prog, dir);
    int passed = pytest_points(out);
    if (!tap_ok(rc == 0 && passed >= 13, "pytest testsuite/python/tests: exit %d, %d passed", rc, passed))
        tap_diag("%.6000s", out);
    free(out);

    /* the README's example, as written, in a project of its own beside the user's my_net.py */
    char *example = readme_example();
    int lines = 0;
    for (const char *p = example; p && *p; p++)
        lines += *p == '\n';
    tap_ok(example && lines == 10, "the README's first Python example is a pytest test of %d lines", lines);
    FILE *f = fopen(strcat(strcpy(want, dir), "/test_readme.py"), "w");
    if (f)
        fputs(example ? example : "", f), fclose(f);
    free(example);
    /* my_net is the tree's (testsuite/python/tests/my_net.py), found on PYTHONPATH */
    const char *run = "cd '%s' && PYTHONPATH='%s/testsuite/python/tests' PYTHONDONTWRITEBYTECODE=1 BPCHECK='%s/%s' "
                      "BPCHECK_FIXTURES='%s/fixtures' %s "
                      "'%s/venv/bin/python' -m pytest -q -p no:cacheprovider test_readme.py 2>&1";
    rc = tu_sh(&out, run, dir, cwd, cwd, prog, cwd, "", dir);
    if (!tap_ok(rc == 0 && strstr(out, "1 passed"), "the README's example passes on a correct network"))
        tap_diag("exit %d:\n%.3000s", rc, out);
    free(out);
    rc = tu_sh(&out, run, dir, cwd, cwd, prog, cwd, "BPCHECK_PLANT=transpose", dir);
    if (!tap_ok(rc == 1 && strstr(out, "1 failed") && strstr(out, "likely bug: \"transposed-grad"),
                "... and fails, naming transposed-grad, on a network that returns dC/dW transposed"))
        tap_diag("exit %d:\n%.3000s", rc, out);
    free(out);

    /* a bare virtualenv: no site packages, so no setuptools or wheel beyond its own */
    rc = tu_sh(&out, "'%s' -m venv '%s/bare' && '%s/bare/bin/pip' install -q --no-index testsuite/python && cd / && "
               "'%s/bare/bin/python' -c 'import bpcheck; print(bpcheck.__file__)'", py, dir, dir, dir);
    snprintf(want, sizeof want, "%s/bare/lib/", dir);
    if (!tap_ok(rc == 0 && strncmp(out, want, strlen(want)) == 0, "a bare virtualenv installs it too, offline"))
        tap_diag("exit %d:\n%.3000s", rc, out);
    free(out);
    rc = tu_sh(&out, "'%s/bare/bin/pip' uninstall -q -y bpcheck && cd / && '%s/bare/bin/python' -c 'import bpcheck' 2>&1",
               dir, dir);
    tap_ok(rc == 1 && strstr(out, "No module named 'bpcheck'"), "pip uninstall removes it");
    free(out);
    rc = tu_sh(&out, "'%s/bare/bin/pip' install -q --no-index -e testsuite/python && cd / && "
               "'%s/bare/bin/python' -c 'import bpcheck; print(bpcheck.__file__)'", dir, dir);
    snprintf(want, sizeof want, "%s/testsuite/python/bpcheck/__init__.py\n", cwd);
    if (!tap_ok(rc == 0 && strcmp(out, want) == 0, "pip install -e imports the tree's own files: %s", out))
        tap_diag("exit %d", rc);
    free(out);

    char *after;
    tu_sh(&after, "%s", listing);
    if (!tap_ok(strcmp(before, after) == 0, "installing and testing wrote nothing into testsuite/python or adapters"))
        tap_diag("before:\n%s\nafter:\n%s", before, after);
    free(before), free(after);
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    return tap_done();
}
