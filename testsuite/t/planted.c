/* testsuite/t/planted.c: the diagnosis measured on the planted source edits (issue 25). Each
 * bug model with a plant (bugs.h: "FILE ||| OLD ||| NEW", what `make check-mutants` applies)
 * is planted in a copy of its reference/ file; `make planted` links that copy into a bundled
 * reference of its own, and `bpcheck conform --impl 'PLANTED serve'` runs it over every
 * bundled case. The reference is a code path of its own (the literal per-index loops of the
 * documents), not bugs.c's pass, so this measures the naming on code the catalogue did not
 * compute:
 *   - every plant is caught (the run fails);
 *   - at least 90% of the planted models are named on at least half of their failing cases
 *     (a case NAMES the model when `named:` lists it alone; tu_count_names);
 *   - no name anywhere is misleading.
 * The table per model is printed as TAP notes; the README quotes its totals. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bugs.h"
#include "tap.h"
#include "testutil.h"

/* The file's text, or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n;
    char *text = malloc(cap);
    n = text ? fread(text, 1, cap - 1, f) : 0;
    fclose(f);
    if (text)
        text[n] = '\0';
    return text;
}

/* Plant b in a copy of its file, in dir: the copy's path into out (its base name, so that the
 * copy's own #include "x.h" finds the headers through -Ireference). 0, or -1 with a note. */
static int plant(const bp_bug *b, const char *dir, char *out, size_t len)
{
    const char *s1 = strstr(b->plant, " ||| "), *s2 = s1 ? strstr(s1 + 5, " ||| ") : NULL;
    if (!s2)
        return tap_diag("%s: the plant is not FILE ||| OLD ||| NEW", b->name), -1;
    char file[256], old[512];
    snprintf(file, sizeof file, "%.*s", (int)(s1 - b->plant), b->plant);
    snprintf(old, sizeof old, "%.*s", (int)(s2 - s1 - 5), s1 + 5);
    const char *repl = s2 + 5;
    char *text = slurp(file);
    const char *at = text ? strstr(text, old) : NULL;
    if (!at || strstr(at + 1, old)) {
        free(text);
        return tap_diag("%s: the plant's text is not in %s exactly once", b->name, file), -1;
    }
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    snprintf(out, len, "%s/%s", dir, base);
    FILE *f = fopen(out, "w");
    if (!f) {
        free(text);
        return tap_diag("cannot write %s", out), -1;
    }
    fprintf(f, "%.*s%s%s", (int)(at - text), text, repl, at + strlen(old));
    fclose(f);
    free(text);
    return 0;
}

int main(void)
{
    const char *prog = tu_env("BPCHECK"), *make_args = tu_env("BPCHECK_MAKE_ARGS");
    if (getenv("BPCHECK_QUICK") || getenv("BPCHECK_LIGHT")) {
        tap_skip("the diagnosis on the planted edits: BPCHECK_QUICK or BPCHECK_LIGHT is set "
                 "(make check measures it)");
        return tap_done();
    }
    char dir[] = "/tmp/bpcheck-planted.XXXXXX";
    if (!mkdtemp(dir))
        tap_bail_out("cannot make a temporary directory");
    /* build each planted reference (one file compiled, a few hundred ms each) */
    size_t nplants = 0;
    char list[8192] = "";
    size_t o = 0;
    for (size_t i = 0; i < bp_nbugs; i++) {
        const bp_bug *b = &bp_bugs[i];
        char src[512], *out;
        if (!b->plant)
            continue;
        nplants++;
        int ok = plant(b, dir, src, sizeof src) == 0;
        if (ok) {
            int rc = tu_sh(&out, "make -s %s planted PLANT_SRC='%s' PLANT_OUT='%s/%s' 2>&1", make_args, src, dir,
                           b->name);
            ok = rc == 0;
            if (!ok)
                tap_diag("%s: the planted reference does not build:\n%s", b->name, out);
            free(out);
            unlink(src);
        }
        tap_ok(ok, "%s is planted in the reference and builds", b->name);
        if (ok && o < sizeof list)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s\n", b->name);
    }
    /* the runs, two at a time (the machine's two cores), each into its own file */
    char *runs;
    tu_sh(&runs, "printf '%%s' '%s' | xargs -P2 -I{} sh -c \"'%s' conform --impl '%s/{} serve' > '%s/{}.out' "
          "2>&1; echo \\$? > '%s/{}.rc'\"", list, prog, dir, dir, dir);
    free(runs);
    size_t caught = 0, named = 0, failing_models = 0, misleading = 0;
    tap_note("%-30s %8s %6s %6s %6s %6s", "planted model", "failing", "named", "ambig.", "wrong", "likely");
    char *save = NULL;
    for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        char *out, *rcs;
        tu_sh(&out, "cat '%s/%s.out'", dir, name);
        tu_sh(&rcs, "cat '%s/%s.rc'", dir, name);
        int rc = atoi(rcs);
        free(rcs);
        tu_tally t;
        tu_count_names(out, name, &t);
        free(out);
        tap_note("%-30s %8zu %5.0f%% %6zu %6zu %6s", name, t.failing,
                 t.failing ? 100.0 * (double)t.named / (double)t.failing : 0.0, t.ambiguous,
                 t.misleading + (size_t)t.likely_wrong, t.likely[0] ? t.likely : "-");
        caught += rc == 1 && t.failing > 0;
        failing_models += t.failing > 0;
        named += t.failing > 0 && 2 * t.named >= t.failing;
        misleading += t.misleading + (size_t)t.likely_wrong;
    }
    char *rm;
    tu_sh(&rm, "rm -rf '%s'", dir);
    free(rm);
    tap_ok(nplants >= 15 && caught == nplants, "%zu of %zu planted models are caught", caught, nplants);
    tap_ok(10 * named >= 9 * failing_models, "%zu of %zu planted models (%.0f%%) are named on at least half of "
           "their failing cases (target: 90%%)", named, failing_models,
           failing_models ? 100.0 * (double)named / (double)failing_models : 0.0);
    tap_ok(misleading == 0, "misleading names over the planted models: %zu (target: 0)", misleading);
    return tap_done();
}
