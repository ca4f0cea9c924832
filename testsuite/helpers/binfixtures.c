/* testsuite/helpers/binfixtures.c IN OUT: every fixture IN/NAME.json written again as
 * OUT/NAME.json with its arrays in the binary companion OUT/NAME.bin (fixtures/FORMAT.md,
 * "Binary companion"): the same cases and the same numbers, to the bit, read without parsing
 * 17 MB of decimal text. The Makefile makes $(BUILD)/fixtures-bin with it for the tests,
 * which run `bpcheck conform` over the bundled cases some hundreds of times (t/fixtures
 * checks that a run's report on the copy is the report on the JSON, line for line). */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

/* IN/name written as OUT/name and OUT/NAME.bin: 0, or 1 with the reason on stderr. */
static int convert(const char *in, const char *out, const char *name)
{
    char src[4096], dst[4096], bin[4096];
    size_t n = strlen(name) - strlen(".json");
    snprintf(src, sizeof src, "%s/%s", in, name);
    snprintf(dst, sizeof dst, "%s/%s", out, name);
    snprintf(bin, sizeof bin, "%s/%.*s.bin", out, (int)n, name);
    bp_error err;
    bp_fixture *f = bp_fixture_load(src, &err);
    int rc = !f || bp_fixture_write_binary(dst, bin, f->generator, f->nnotes, (const char *const *)f->note_flags,
                                           (const char *const *)f->note_texts, f->cases, f->ncases, &err);
    if (rc)
        fprintf(stderr, "binfixtures: %s\n", err.msg);
    bp_fixture_free(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: binfixtures IN OUT\n\nEvery fixture IN/NAME.json written again as OUT/NAME.json, its "
               "arrays in the\nbinary companion OUT/NAME.bin (the directory OUT must exist).\n");
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "Usage: binfixtures IN OUT (--help: what it does)\n");
        return 2;
    }
    char pattern[4096];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/*.json", argv[1]);
    if (glob(pattern, 0, NULL, &g) != 0) {
        fprintf(stderr, "binfixtures: %s: no fixture (*.json) there\n", argv[1]);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && !rc; i++)
        rc = convert(argv[1], argv[2], strrchr(g.gl_pathv[i], '/') + 1);
    globfree(&g);
    return rc;
}
