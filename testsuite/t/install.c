/* testsuite/t/install.c: `make install` into a staging directory gives what a user of a C tool
 * expects: bpcheck, libbpcheck (static and shared, with its soname), the headers under
 * include/bpcheck/, bpcheck.pc, the man pages bpcheck(1) and bpcheck(3), the fixtures, and a
 * worked example that builds with pkg-config and prints TAP that passes. bpcheck(1) covers
 * every option every command's --help lists. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

/* Every --option the help of command cmd lists appears in the man page text. */
static void man_covers(const char *prog, const char *cmd, const char *man)
{
    char *out;
    tu_sh(&out, "'%s' help %s | grep -oE -- '--[a-z0-9-]+' | sort -u", prog, cmd);
    size_t missing = 0, n = 0;
    for (char *opt = strtok(out, "\n"); opt; opt = strtok(NULL, "\n")) {
        char roff[64];
        size_t r = 0;
        n++;
        for (const char *p = opt; *p && r < 60; p++) { /* man writes - as \- */
            if (*p == '-')
                roff[r++] = '\\';
            roff[r++] = *p;
        }
        roff[r] = '\0';
        if (!strstr(man, roff) && strcmp(opt, "--help") != 0) {
            missing++;
            tap_diag("bpcheck(1) does not mention %s %s", cmd, opt);
        }
    }
    tap_ok(n > 0 && missing == 0, "bpcheck(1) covers the %zu options of 'bpcheck %s --help'", n, cmd);
    free(out);
}

/* Every field of each `typedef struct { ... } NAME;` of header that names is in the man page
 * text: the word itself, set in italics (".I f", ".IR f ..."). */
static void fields_documented(const char *header, const char *man)
{
    FILE *f = fopen(header, "r");
    char line[512], missing[600] = "";
    size_t fields = 0, bad = 0;
    int in = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "typedef struct {", 16) == 0) {
            in = 1;
            continue;
        }
        if (in && line[0] == '}') {
            in = 0;
            continue;
        }
        const char *first = line + strspn(line, " \t");
        if (!in || *first == '*') /* a comment's next line */
            continue;
        char *c = strstr(line, "/*"), *fp;
        if (c)
            *c = '\0';
        char decl[512];
        size_t d = 0;
        for (char *p = line; *p; p++) { /* no array bounds, no parameter lists */
            if (*p == '[') {
                while (*p && *p != ']')
                    p++;
                continue;
            }
            decl[d++] = *p;
        }
        decl[d] = '\0';
        if ((fp = strstr(decl, "(*"))) { /* a callback: int (*name)(...) */
            char *e = strchr(fp + 2, ')');
            if (e)
                *e = '\0', memmove(decl, fp + 2, strlen(fp + 2) + 1), strcat(decl, ";");
        }
        for (char *tok = strtok(decl, ",;"); tok; tok = strtok(NULL, ",;")) {
            char *end = tok + strlen(tok);
            while (end > tok && !(end[-1] == '_' || (end[-1] >= 'a' && end[-1] <= 'z') ||
                                  (end[-1] >= 'A' && end[-1] <= 'Z') || (end[-1] >= '0' && end[-1] <= '9')))
                *--end = '\0';
            char *start = end;
            while (start > tok && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                                   (start[-1] >= 'A' && start[-1] <= 'Z') || (start[-1] >= '0' && start[-1] <= '9')))
                start--;
            if (!*start)
                continue;
            char a[80], b[80];
            snprintf(a, sizeof a, ".I %s", start);
            snprintf(b, sizeof b, ".IR %s", start);
            fields++;
            if (!strstr(man, a) && !strstr(man, b)) {
                bad++;
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %s", start);
            }
        }
    }
    if (f)
        fclose(f);
    if (!tap_ok(fields > 0 && bad == 0, "bpcheck(3) documents all %zu fields of the structs of %s", fields, header))
        tap_diag("not in bpcheck(3):%s", missing);
}

int main(void)
{
    const char *prog = tu_env("BPCHECK");
    FILE *f = fopen("doc/bpcheck.1", "r");
    char *man = calloc(1, 1 << 18);
    if (!f || !man)
        tap_bail_out("cannot read doc/bpcheck.1");
    man[fread(man, 1, (1 << 18) - 1, f)] = '\0';
    fclose(f);
    static const char *const cmds[] = {"conform", "fixtures", "gradcheck", "train", "tolerances",
                                       "bugs", "derivations", "serve"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char sect[64];
        snprintf(sect, sizeof sect, ".SS %s", cmds[i]);
        tap_ok(strstr(man, sect) != NULL, "bpcheck(1) has a section for 'bpcheck %s'", cmds[i]);
        man_covers(prog, cmds[i], man);
    }
    free(man);
    FILE *m3 = fopen("doc/bpcheck.3", "r");
    char *man3 = calloc(1, 1 << 18);
    if (!m3 || !man3)
        tap_bail_out("cannot read doc/bpcheck.3");
    man3[fread(man3, 1, (1 << 18) - 1, m3)] = '\0';
    fclose(m3);
    fields_documented("reference/model.h", man3);
    fields_documented("testsuite/lib/bpcheck.h", man3);
    free(man3);

    const char *san = getenv("BPCHECK_SANITIZE");
    if (san && *san) {
        tap_skip("make install and the example: the sanitizer build links differently");
        return tap_done();
    }
    char dir[] = "/tmp/bpcheck-install-XXXXXX", *out;
    if (!mkdtemp(dir))
        tap_bail_out("mkdtemp failed");
    int rc = tu_sh(&out, "make -s install %s DESTDIR='%s' 2>&1", tu_env("BPCHECK_MAKE_ARGS"), dir);
    if (!tap_ok(rc == 0, "make install DESTDIR=... succeeds"))
        tap_diag("%s", out);
    free(out);
    static const char *const files[] = {
        "bin/bpcheck", "lib/libbpcheck.a", "lib/libbpcheck.so", "lib/libbpcheck.so.0",
        "lib/pkgconfig/bpcheck.pc", "include/bpcheck/bpcheck.h", "include/bpcheck/model.h",
        "share/man/man1/bpcheck.1", "share/man/man3/bpcheck.3",
        "share/bpcheck/fixtures/activations.json", "share/doc/bpcheck/examples/example.c",
        "share/doc/bpcheck/examples/Makefile", "share/doc/bpcheck/FORMAT.md",
        "share/bpcheck/adapters/template.c", "share/bpcheck/adapters/numpy_adapter.py",
        "share/bpcheck/adapters/torch_adapter.py", "share/bpcheck/adapters/bpcheck_protocol.py"};
    size_t missing = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/usr/local/%s", dir, files[i]);
        if (access(path, R_OK) != 0) {
            missing++;
            tap_diag("not installed: %s", files[i]);
        }
    }
    tap_ok(missing == 0, "make install puts the program, the library (static, shared, soname link), "
           "bpcheck.pc, the headers, both man pages, the fixtures and the example in place");
    rc = tu_sh(&out, "command -v objdump >/dev/null || exit 77; objdump -p "
               "'%s/usr/local/lib/libbpcheck.so' | grep SONAME", dir);
    if (rc == 77)
        tap_skip("libbpcheck.so's soname: objdump is not installed");
    else
        tap_ok(rc == 0 && strstr(out, "libbpcheck.so.0"), "libbpcheck.so's soname is libbpcheck.so.0");
    free(out);

    /* the example, as a user builds it: pkg-config finds the staged library */
    const char *env = "PKG_CONFIG_SYSROOT_DIR='%s' PKG_CONFIG_PATH='%s/usr/local/lib/pkgconfig' "
                      "LD_LIBRARY_PATH='%s/usr/local/lib'";
    char e[2048];
    snprintf(e, sizeof e, env, dir, dir, dir);
    rc = tu_sh(&out, "cp -r '%s/usr/local/share/doc/bpcheck/examples' '%s/ex' && cd '%s/ex' && "
               "%s make -s example 2>&1 && %s ./example --fixtures '%s/usr/local/share/bpcheck/fixtures' "
               "--only 'quadratic/3-4-2*' --only 'cross-entropy/3-4-2/m1/*'", dir, dir, dir, e, e, dir);
    tap_ok(rc == 0 && strstr(out, "TAP version") && strstr(out, "ok 1 - quadratic/3-4-2") &&
               strstr(out, "SKIP unsupported: only the quadratic cost") && strstr(out, " 0 failed"),
           "the installed example builds with pkg-config and passes its cases in-process, skipping "
           "the costs it lacks");
    if (rc)
        tap_diag("%s", out);
    free(out);
    rc = tu_sh(&out, "cd '%s/ex' && %s ./example gradcheck", dir, e);
    tap_ok(rc == 0 && strstr(out, "ok 3 - the gradient agrees with central differences") &&
               strstr(out, "1..3"),
           "the example's gradient passes the complex-step, dual and central-difference oracles "
           "(bpc_gradcheck)");
    free(out);
    /* a wrong gradient in-process fails, and is named */
    rc = tu_sh(&out, "cd '%s/ex' && sed 's/grad->b\\[l\\]\\[j\\] += d/grad->b[l][j] -= d/' example.c "
               "> bad.c && %s sh -c 'cc -std=c11 bad.c $(pkg-config --cflags --libs bpcheck) -lm -o bad' "
               "&& %s ./bad --fixtures '%s/usr/local/share/bpcheck/fixtures' --only 'quadratic/3-4-2*'",
               dir, e, e, dir);
    tap_ok(rc == 1 && strstr(out, "not ok 1") && strstr(out, "bias-sign"),
           "the same example with the bias gradient's sign flipped fails in-process, named bias-sign");
    free(out);
    /* the adapter templates, copied out of the install as a user would: the C one builds with
     * jansson alone; the numpy one finds bpcheck_protocol on Python's path */
    rc = tu_sh(&out, "cd '%s' && cp usr/local/share/bpcheck/adapters/template.c usr/local/share/bpcheck/"
               "adapters/numpy_adapter.py . && cc -std=c11 -O2 template.c $(pkg-config --cflags --libs "
               "jansson) -lm -o my_adapter && usr/local/bin/bpcheck conform --fixtures "
               "usr/local/share/bpcheck/fixtures --impl ./my_adapter --deep --only '*/4-6-5-3*'", dir);
    tap_ok(rc == 0 && strstr(out, " passed, 0 failed, 0 skipped"), "the installed C adapter template "
           "builds with jansson alone and passes the 4-6-5-3 cases, --deep");
    free(out);
    rc = tu_sh(&out, "cd '%s' && PYTHONPATH=$(ls -d usr/local/lib/python3*/dist-packages) "
               "usr/local/bin/bpcheck conform --fixtures usr/local/share/bpcheck/fixtures --impl '%s "
               "numpy_adapter.py' --only '*/3-4-2*'", dir, tu_env("BPCHECK_PYTHON"));
    if (strstr(out, "No module named 'numpy'"))
        tap_skip("the installed numpy template: no numpy here");
    else
        tap_ok(rc == 0 && strstr(out, " passed, 0 failed, 0 skipped"), "the installed numpy template, "
               "copied away from bpcheck_protocol.py, finds the protocol on Python's path and passes");
    free(out);
    rc = tu_sh(&out, "cd '%s' && PYTHONPATH=$(ls -d usr/local/lib/python3*/dist-packages) %s -c 'import numpy_adapter "
               "as a; print(a.bp.__name__, a.bp.__file__)'", dir, tu_env("BPCHECK_PYTHON"));
    if (strstr(out, "No module named 'numpy'"))
        tap_skip("the installed numpy template's import: no numpy here");
    else
        tap_ok(rc == 0 && strstr(out, "bpcheck.protocol ") && strstr(out, "-packages/bpcheck/protocol.py"),
               "... and that protocol is the installed bpcheck package's: %s", out);
    free(out);
    /* the package's source, installed, pip-installs into a virtualenv with no network */
    rc = tu_sh(&out, "%s -c 'import ensurepip' 2>/dev/null || exit 77; cd '%s' && %s -m venv venv && venv/bin/pip "
               "install -q --no-index usr/local/share/bpcheck/python && cd / && '%s/venv/bin/python' -c 'import "
               "bpcheck; print(bpcheck.__file__)'", tu_env("BPCHECK_PYTHON"), dir, tu_env("BPCHECK_PYTHON"), dir);
    if (rc == 77)
        tap_skip("pip install of share/bpcheck/python: python3-venv is not installed here");
    else
        tap_ok(rc == 0 && strstr(out, "/venv/lib/"), "pip install share/bpcheck/python puts the package into a "
               "virtualenv, offline: %s", out);
    free(out);
    rc = tu_sh(&out, "command -v man >/dev/null || exit 77; MANPATH='%s/usr/local/share/man' man -w "
               "bpcheck && MANPATH='%s/usr/local/share/man' man -w 3 bpcheck", dir, dir);
    if (rc == 77)
        tap_skip("man -w bpcheck: man is not installed here");
    else
        tap_ok(rc == 0, "man finds bpcheck(1) and bpcheck(3) under the installed prefix");
    free(out);
    tu_sh(&out, "rm -rf '%s'", dir);
    free(out);
    return tap_done();
}
