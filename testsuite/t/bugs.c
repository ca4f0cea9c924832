/* testsuite/t/bugs.c: the catalogue of bug models (testsuite/bugs/bugs.c), planted through the
 * mutant adapter (testsuite/adapters/mutant.c) and run through `bpcheck conform` over every
 * bundled case: every model is caught; the diagnosis names it on at least half of the cases
 * it fails for at least 90% of the models; it names another model almost never; and a
 * near-correct implementation (the variant's nudge, a few bounds off) is named nothing. The
 * table of accuracy per model is printed as TAP notes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bugs.h"
#include "tap.h"
#include "testutil.h"

/* In conform's output: failing cases, and the hints that name `name`, another model, or an
 * ambiguity that includes it. */
static void count(const char *out, const char *name, size_t *failing, size_t *named, size_t *other,
                  size_t *ambiguous)
{
    *failing = *named = *other = *ambiguous = 0;
    char want[96];
    snprintf(want, sizeof want, "  hint: \"%s:", name);
    for (const char *p = out; (p = strstr(p, "\nnot ok ")) != NULL; p++)
        (*failing)++;
    for (const char *p = out; (p = strstr(p, "\n  hint: \"")) != NULL; p++) {
        const char *h = p + 10;
        if (strncmp(p + 1, want, strlen(want)) == 0)
            (*named)++;
        else if (strncmp(h, "consistent with", 15) == 0) {
            const char *end = strchr(h, '\n');
            char line[512];
            snprintf(line, sizeof line, "%.*s", end ? (int)(end - h) : 400, h);
            if (strstr(line, name))
                (*ambiguous)++;
            else
                (*other)++;
        } else
            (*other)++;
    }
}

int main(void)
{
    const char *prog = tu_env("BPCHECK"), *adapters = tu_env("BPCHECK_ADAPTERS");
    if (getenv("BPCHECK_QUICK")) { /* the mutation runs */
        tap_skip("the catalogue of bug models through conform: BPCHECK_QUICK is set");
        return tap_done();
    }
    /* BPCHECK_LIGHT (the valgrind and sanitizer re-runs, there for memory errors): every fourth
     * model, and no accuracy figures; make check measures them all */
    size_t stride = getenv("BPCHECK_LIGHT") ? 4 : 1;
    tap_ok(bp_nbugs >= 30, "the catalogue has %zu bug models (at least 30)", bp_nbugs);
    /* the plants (make check-mutants applies them): each one's text is in its file once */
    size_t plants = 0, rotten = 0;
    for (size_t i = 0; i < bp_nbugs; i++) {
        const char *pl = bp_bugs[i].plant, *s1 = pl ? strstr(pl, " ||| ") : NULL;
        const char *s2 = s1 ? strstr(s1 + 5, " ||| ") : NULL;
        if (!pl)
            continue;
        plants++;
        char file[256], old[512], *text = NULL;
        snprintf(file, sizeof file, "%.*s", s1 ? (int)(s1 - pl) : 0, pl);
        snprintf(old, sizeof old, "%.*s", s2 ? (int)(s2 - s1 - 5) : 0, s1 ? s1 + 5 : "");
        FILE *f = fopen(file, "r");
        if (f) {
            text = calloc(1, 1 << 20);
            fread(text, 1, (1 << 20) - 1, f);
            fclose(f);
        }
        const char *at = text && *old ? strstr(text, old) : NULL;
        if (!at || strstr(at + 1, old)) {
            rotten++;
            tap_diag("%s: the plant's text is not in %s exactly once: %s", bp_bugs[i].name, file, old);
        }
        free(text);
    }
    tap_ok(plants >= 10 && rotten == 0, "%zu models have a plant in the reference, each text found once "
           "(make check-mutants plants them)", plants);
    size_t models_named = 0, failing_all = 0, other_all = 0;
    tap_note("%-32s %-24s %8s %8s %6s %6s", "model", "family", "failing", "named", "ambig.", "other");
    for (size_t i = 0; i < bp_nbugs; i += stride) {
        const bp_bug *b = &bp_bugs[i];
        char *out;
        int rc = tu_sh(&out, "'%s' conform --deep --impl '%s/mutant %s'", prog, adapters, b->name);
        size_t failing, named, other, ambiguous;
        count(out, b->name, &failing, &named, &other, &ambiguous);
        free(out);
        tap_ok(rc == 1 && failing > 0, "bug model %s (%s) is caught: %zu cases fail", b->name, b->family,
               failing);
        tap_note("%-32s %-24s %8zu %7.0f%% %6zu %6zu", b->name, b->family, failing,
                 failing ? 100.0 * (double)named / (double)failing : 0.0, ambiguous, other);
        models_named += 2 * named >= failing && failing > 0;
        failing_all += failing, other_all += other;
    }
    if (stride > 1) {
        tap_skip("the accuracy over every model: BPCHECK_LIGHT is set (make check measures it)");
        tap_skip("models named in error: BPCHECK_LIGHT is set");
    }
    if (stride == 1)
        tap_ok(10 * models_named >= 9 * bp_nbugs, "the diagnosis names %zu of %zu models (%.0f%%) on at least "
           "half of the cases each fails (target: 90%%)", models_named, bp_nbugs,
           100.0 * (double)models_named / (double)bp_nbugs);
    if (stride == 1)
        tap_ok(100 * other_all <= failing_all, "another model is named on %zu of %zu failing cases (at most 1%%)",
           other_all, failing_all);

    /* a near-correct answer: failures, some not marginal, and no bug named */
    char *out;
    int rc = tu_sh(&out, "'%s' conform --impl '%s/variant --variant nudge'", prog, adapters);
    size_t failing, named, other, ambiguous;
    count(out, "-", &failing, &named, &other, &ambiguous);
    tap_ok(rc == 1 && failing > 0 && other == 0 && ambiguous == 0 && !strstr(out, "likely bug:"),
           "a gradient off by 2^-44 relative fails %zu cases and is named as no bug (%zu named)", failing,
           other);
    free(out);
    return tap_done();
}
