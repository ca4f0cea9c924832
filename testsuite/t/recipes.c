/* testsuite/t/recipes.c: the CI recipes of the README ("Use it in your CI") run as written.
 * Their shell steps are read out of README.md itself, so that the README cannot drift from
 * what works: the GitHub job's `run:` steps and the GitLab job's `script:` lines must be the
 * same commands, and they are run in a temporary directory, with BPCHECK_REPO a clone of this
 * repository's HEAD, the installation under a staging PREFIX, and the installed numpy adapter
 * copied as my_adapter.py, as a user would copy it. What this machine leaves to CI: the
 * apt-get steps and `make deps-runtime` (root and the network), and `uses:` actions. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

#define MAX_STEPS 16

/* The shell steps of the block that follows the line holding `after` in text: the text after
 * `prefix` on each line of the yaml block, into steps (each malloc'd); their count. */
static size_t steps_of(const char *text, const char *after, const char *prefix, char **steps)
{
    const char *p = strstr(text, after), *end;
    size_t n = 0;
    if (!p || !(p = strstr(p, "```yaml\n")) || !(end = strstr(p + 8, "```")))
        return 0;
    for (p += 8; p < end && n < MAX_STEPS;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), k = strlen(prefix);
        if (len > k && strncmp(p, prefix, k) == 0) {
            steps[n] = malloc(len - k + 1);
            memcpy(steps[n], p + k, len - k);
            steps[n++][len - k] = '\0';
        }
        p += len + 1;
    }
    return n;
}

/* step with every `from` replaced by `to` (a new string) */
static char *replaced(const char *step, const char *from, const char *to)
{
    size_t n = strlen(step) + 1, lf = strlen(from), lt = strlen(to);
    for (const char *p = step; (p = strstr(p, from)); p += lf)
        n += lt;
    char *out = malloc(n), *o = out;
    for (const char *p = step, *q; ; p = q + lf) {
        if (!(q = strstr(p, from))) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(q - p)), o += q - p;
        memcpy(o, to, lt), o += lt;
    }
    return out;
}

int main(void)
{
    if ((getenv("BPCHECK_QUICK") && *getenv("BPCHECK_QUICK")) || (getenv("BPCHECK_LIGHT") && *getenv("BPCHECK_LIGHT"))) {
        printf("1..0 # SKIP the README's CI recipes: a clone and a build, made once by make check\n");
        return 0;
    }
    FILE *f = fopen("README.md", "r");
    char *readme = calloc(1, 1 << 20);
    if (!f || !readme)
        tap_bail_out("cannot read README.md");
    readme[fread(readme, 1, (1 << 20) - 1, f)] = '\0';
    fclose(f);
    char *gh[MAX_STEPS], *gl[MAX_STEPS];
    size_t ngh = steps_of(readme, "GitHub Actions (", "      - run: ", gh);
    size_t ngl = steps_of(readme, "GitLab CI (", "    - ", gl);
    int same = ngh == ngl && ngh >= 3;
    for (size_t i = 0; same && i < ngh; i++)
        same = strcmp(gh[i], gl[i]) == 0;
    tap_ok(same, "the GitHub and the GitLab recipe run the same %zu shell steps", ngh);
    int placeholders = 0;
    for (size_t i = 0; i < ngh; i++)
        placeholders |= strchr(gh[i], '<') != NULL || strchr(gh[i], '>') != NULL;
    tap_ok(ngh > 0 && !placeholders, "no step holds a < or > (a placeholder a shell reads as a redirect)");

    /* the README's count of the template a user copies is the file's */
    const char *at = strstr(readme, "`testsuite/adapters/numpy_adapter.py` (");
    long said = at ? atol(at + strlen("`testsuite/adapters/numpy_adapter.py` (")) : -1, lines = 0;
    FILE *ad = fopen("testsuite/adapters/numpy_adapter.py", "r");
    for (int ch; ad && (ch = fgetc(ad)) != EOF;)
        lines += ch == '\n';
    if (ad)
        fclose(ad);
    tap_ok(said == lines, "the README's line count of numpy_adapter.py (%ld) is the file's (%ld)", said, lines);

    char dir[] = "/tmp/bpcheck-recipes-XXXXXX", *out;
    if (!mkdtemp(dir))
        tap_bail_out("mkdtemp failed");
    char cwd[4096], env[12000];
    if (!getcwd(cwd, sizeof cwd))
        tap_bail_out("getcwd failed");
    /* the user's project: their adapter, copied from the installed template after the install
     * step; python3 is the one with numpy (Debian's); the installed fixtures, not the tests' copy */
    snprintf(env, sizeof env, "mkdir -p '%s/project' '%s/py' && ln -sf '%s' '%s/py/python3' && cd '%s/project' && "
             "unset BPCHECK_FIXTURES && export BPCHECK_REPO='%s' PREFIX='%s/prefix' PATH='%s/prefix/bin:%s/py':\"$PATH\"", dir, dir,
             tu_env("BPCHECK_PYTHON"), dir, dir, cwd, dir, dir, dir);
    size_t ran = 0;
    int ok = 1;
    for (size_t i = 0; i < ngh && ok; i++) {
        if (strstr(gh[i], "apt-get")) /* root and the network: CI's */
            continue;
        char *a = replaced(gh[i], "/opt/bpcheck", "../opt-bpcheck");
        char *b = replaced(a, "make -C ../opt-bpcheck deps-runtime && ", "");
        char *step = strstr(b, "bpcheck conform") == b ? replaced(b, "bpcheck conform", "cp \"$PREFIX/share/bpcheck/"
                     "adapters/numpy_adapter.py\" my_adapter.py && cp \"$PREFIX/share/bpcheck/adapters/bpcheck_protocol.py\" "
                     ". && bpcheck conform") : strdup(b);
        int rc = tu_sh(&out, "%s && (%s) 2>&1", env, step);
        ran++;
        if (!tap_ok(rc == 0, "recipe step %zu runs: %s", i + 1, gh[i]))
            tap_diag("exit %d:\n%.4000s", rc, out), ok = 0;
        else if (strstr(b, "bpcheck conform") == b)
            tap_ok(strstr(out, "281 passed, 0 failed, 0 skipped") != NULL,
                   "... the numpy adapter, as my_adapter.py, passes every bundled case through the installed bpcheck");
        free(out), free(a), free(b), free(step);
    }
    tap_ok(ran >= 2, "the recipe's clone-and-build and its conform step both ran (%zu steps)", ran);
    /* the same tree installed again under another prefix, after its build for the first: the
     * files refer to the new one (the program finds its fixtures beside it, bpcheck.pc says so) */
    int rc2 = tu_sh(&out, "cd '%s/opt-bpcheck' && unset PREFIX && make -s install PREFIX='%s/p2' >/dev/null 2>&1 && "
                    "mkdir -p '%s/empty' && cd '%s/empty' && env -u BPCHECK_FIXTURES '%s/p2/bin/bpcheck' conform "
                    "--only 'quadratic/3-4-2/m1/*' && grep '^prefix=' '%s/p2/lib/pkgconfig/bpcheck.pc'", dir, dir, dir,
                    dir, dir, dir);
    char want[600];
    snprintf(want, sizeof want, "prefix=%s/p2\n", dir);
    tap_ok(ran >= 2 && rc2 == 0 && strstr(out, "2 passed, 0 failed") && strstr(out, "/p2/bin/../share/bpcheck/fixtures") &&
               strstr(out, want), "make install PREFIX=P2 after a build for another prefix: the installed bpcheck finds "
           "P2's fixtures, and P2's bpcheck.pc says prefix=P2");
    if (rc2 || !strstr(out, want))
        tap_diag("exit %d:\n%.3000s", rc2, out);
    free(out);
    int xml = tu_sh(&out, "grep -c '<testcase' '%s/project/bpcheck.xml'", dir) == 0 && atoi(out) == 281;
    free(out);
    tap_ok(xml, "... and its JUnit report, bpcheck.xml, holds the 281 cases");
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    for (size_t i = 0; i < ngh; i++)
        free(gh[i]);
    for (size_t i = 0; i < ngl; i++)
        free(gl[i]);
    free(readme);
    return tap_done();
}
