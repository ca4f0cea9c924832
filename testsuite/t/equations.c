/* testsuite/t/equations.c: every equation ID of an implemented document sits on the code in
 * reference/ that computes it AND in the description of a TAP point that verifies it. The IDs
 * come from derivations/equations.tsv (the catalogue of the source documents); the TAP
 * descriptions from running every other test program in $BPCHECK_TESTDIR. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

/* Documents implemented: all five. */
static const char *const implemented[] = {"000", "001", "002", "003", "004"};

typedef struct {
    char *s;
    size_t len, cap;
} text;

static void append(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        char *bigger = realloc(t->s, t->cap);
        if (!bigger)
            tap_bail_out("out of memory");
        t->s = bigger;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void append_file(text *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        tap_bail_out("cannot read %s", path);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        append(t, buf, n);
    fclose(f);
}

/* The ID as a whole token: not preceded or followed by a letter, digit or ':' ("001:1" must
 * not match inside "001:10"). */
static int has_id(const char *hay, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = strstr(hay, id); p; p = strstr(p + 1, id)) {
        int before = p > hay && (isalnum((unsigned char)p[-1]) || p[-1] == ':');
        int after = isalnum((unsigned char)p[n]) || p[n] == ':';
        if (!before && !after)
            return 1;
    }
    return 0;
}

int main(void)
{
    const char *testdir = tu_env("BPCHECK_TESTDIR");
    text src = {0}, tap = {0};

    /* The reference sources */
    DIR *d = opendir("reference");
    if (!d)
        tap_bail_out("cannot open reference/: run from the top of the tree (make check does)");
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".c") || strstr(e->d_name, ".h")) {
            char path[1024];
            snprintf(path, sizeof path, "reference/%s", e->d_name);
            append_file(&src, path);
        }
    closedir(d);

    /* The TAP descriptions of every other test program */
    size_t programs = 0;
    if (!(d = opendir(testdir)))
        tap_bail_out("cannot open %s", testdir);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "equations") == 0)
            continue;
        char cmd[2048], *out;
        snprintf(cmd, sizeof cmd, "BPCHECK_QUICK=1 '%s/%s' 2>/dev/null", testdir, e->d_name);
        tu_run(cmd, &out);
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
                append(&tap, line, strlen(line));
                append(&tap, "\n", 1);
            }
        free(out);
        programs++;
    }
    closedir(d);
    tap_ok(programs >= 5 && tap.len > 0, "equations: read the TAP of %zu other test programs",
           programs);

    FILE *f = fopen("derivations/equations.tsv", "r");
    if (!f)
        tap_bail_out("cannot read derivations/equations.tsv");
    char line[1024];
    size_t ids = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *id = strtok(line, "\t"), *doc = strtok(NULL, "\t");
        if (!id || !doc)
            tap_bail_out("derivations/equations.tsv: a line without ID and document");
        ids++;
        int done = 0;
        for (size_t i = 0; i < sizeof implemented / sizeof *implemented; i++)
            done |= strcmp(doc, implemented[i]) == 0;
        if (!done) {
            tap_skip("%s: document %s is not implemented yet", id, doc);
            continue;
        }
        int in_src = has_id(src.s, id), in_tap = has_id(tap.s, id);
        if (!tap_ok(in_src && in_tap, "equations: %s is on its code in reference/ and in a TAP "
                                      "description", id))
            tap_diag("%s: %s in reference/, %s in a TAP description", id,
                     in_src ? "found" : "NOT found", in_tap ? "found" : "NOT found");
    }
    fclose(f);
    tap_is_int((long)ids, 58, "equations: the catalogue has 58 equation IDs");
    free(src.s), free(tap.s);
    return tap_done();
}
