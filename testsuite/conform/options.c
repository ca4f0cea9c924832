/* testsuite/conform/options.c: what the user asked `bpcheck conform` for: the command line, the
 * cases selected by --only and --exclude, and the xfail list (runner.h). */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck conform [--impl CMD] [OPTIONS]\n"
            "\n"
            "Run an implementation of backpropagation against the golden-value fixtures, over\n"
            "bpcheck-protocol/1 (testsuite/PROTOCOL.md): it is started once with /bin/sh -c CMD\n"
            "and answers one JSON request per line; its first request (the hello) invites it to\n"
            "declare its capabilities, and a case outside them is skipped with the reason.\n"
            "Output: TAP, one point per case, a YAML\n"
            "block under every failure (where, how much, and a hint at the likely bug), and a\n"
            "closing line 'N passed, N failed, N skipped'.\n"
            "\n"
            "Options:\n"
            "  --impl CMD          the implementation (default: the bundled reference,\n"
            "                      'bpcheck serve')\n"
            "  --fixtures PATH     the fixtures: every PATH/*.json of a directory, or one file\n"
            "                      such as 'bpcheck fixtures' writes (default:\n"
            "                      $BPCHECK_FIXTURES, else ./fixtures if it holds bpcheck\n"
            "                      fixtures, else the set installed beside this program)\n"
            "  --only GLOB         only the cases whose id matches GLOB (fnmatch); repeatable\n"
            "  --exclude GLOB      leave out the cases whose id matches GLOB; repeatable (a\n"
            "                      pattern of either that matches no case is an error)\n"
            "  --allow-empty       exit 0 when no case was judged (every case skipped);\n"
            "                      without it such a run exits 1\n"
            "  --deep              also ask for z, a and delta, to place a failure in a layer\n"
            "  --no-retry-deep     without --deep, a failing case is asked again with z, a and\n"
            "                      delta, and reported from that answer when the\n"
            "                      implementation gives them (once it does not, never again);\n"
            "                      this turns that off\n"
            "  --profile P         float64 (default) or float32: the per-entry tolerances\n"
            "                      derived for that precision (fixtures/FORMAT.md); a case\n"
            "                      no float32 implementation can meet is a counted SKIP\n"
            "  --rtol X, --atol X  replace every per-entry tolerance by atol + rtol |expected|\n"
            "                      (an option not given counts as 0)\n"
            "  --timeout SEC       seconds per case before the implementation is killed\n"
            "                      (default 60)\n"
            "  --hangs N           stop when N cases in a row time out: 'the implementation\n"
            "                      hangs', the rest reported as not run (default 3; 0: never)\n"
            "  --max-response MIB  the longest answer accepted (default 256)\n"
            "  --frames MODE       auto (default): offer binary frames, exact little-endian\n"
            "                      arrays after a JSON line, to an implementation that accepts\n"
            "                      them (bpcheck-protocol/2); off: JSON lines only (/1)\n"
            "  --xfail FILE        case ids expected to fail, one per line; strict: an\n"
            "                      unexpected pass, an unknown id, or a crash of a listed case\n"
            "                      fails the run\n"
            "  --xfail-update      rewrite the --xfail FILE with the cases that fail now\n"
            "  --junit FILE        also write a JUnit XML report: whole or not at all (a\n"
            "                      temporary file renamed); until the run ends it says\n"
            "                      that the run did not finish\n"
            "  --format F          tap (default), or json: one JSON object per case, one\n"
            "                      line each, then one with the counts and the summary\n"
            "  -h, --help          show this help\n"
            "\n"
            "Exit status: 0 every case passes (or fails as listed), 1 a failure or no case\n"
            "judged (unless --allow-empty), 2 usage error or unusable input (fixtures, xfail\n"
            "file, a pattern that matches no case), a report that cannot be written, or the\n"
            "runner out of memory.\n");
}

/* v is a or b: 0 or 1; otherwise a message naming the option, and -1 */
static int one_of(const char *opt, const char *v, const char *a, const char *b)
{
    if (strcmp(v, a) == 0 || strcmp(v, b) == 0)
        return strcmp(v, b) == 0;
    fprintf(stderr, "bpcheck conform: %s '%s': expected %s or %s\n", opt, v, a, b);
    return -1;
}

static const char *const with_value[] = {"--impl", "--fixtures", "--only", "--profile",
                                         "--rtol", "--atol", "--timeout", "--xfail",
                                         "--junit", "--max-response", "--format",
                                         "--frames", "--hangs", "--exclude"};

/* A pattern of --only (which 2) or --exclude (13). */
static int add_pattern(cf_opts *o, size_t which, const char *v)
{
    const char **list = which == 2 ? o->only : o->exclude;
    size_t *count = which == 2 ? &o->nonly : &o->nexclude;
    if (*count == 64) {
        fprintf(stderr, "bpcheck conform: at most 64 %s patterns\n", with_value[which]);
        return 2;
    }
    list[(*count)++] = v;
    return 0;
}

/* Option with_value[which] given the value v: 0, or 2 with the error said. */
static int set_value(cf_opts *o, size_t which, const char *v)
{
    char *end;
    double num = strtod(v, &end);
    int numeric = end != v && *end == '\0' && isfinite(num);
    switch (which) {
    case 0: o->impl = v; break;
    case 1: o->fixtures = v; break;
    case 2:
    case 13: return add_pattern(o, which, v);
    case 3:
        if ((o->float32 = one_of("--profile", v, "float64", "float32")) < 0)
            return 2;
        break;
    case 4:
    case 5:
        if (!numeric || num < 0) {
            fprintf(stderr, "bpcheck conform: %s '%s': expected a non-negative number\n", with_value[which], v);
            return 2;
        }
        *(which == 4 ? &o->rtol : &o->atol) = num;
        break;
    case 6: /* a week at most: the deadline's milliseconds must fit poll's int */
        if (!numeric || num <= 0 || num > CF_MAX_TIMEOUT) {
            fprintf(stderr, "bpcheck conform: --timeout '%s': expected seconds, more than 0 and at most %d\n",
                    v, CF_MAX_TIMEOUT);
            return 2;
        }
        o->timeout = num;
        break;
    case 9: /* whole MiB, so that none rounds to 0; at most 64 GiB, so that none overflows */
        if (!numeric || num < 1 || num > CF_MAX_RESPONSE_MIB || num != floor(num)) {
            fprintf(stderr, "bpcheck conform: --max-response '%s': expected a whole number of MiB from 1 "
                    "to %d\n", v, CF_MAX_RESPONSE_MIB);
            return 2;
        }
        o->max_response = (size_t)num;
        break;
    case 7: o->xfail_path = v; break;
    case 8: o->junit_path = v; break;
    case 10:
        if ((o->json = one_of("--format", v, "tap", "json")) < 0)
            return 2;
        break;
    case 11:
        if ((o->frames = one_of("--frames", v, "off", "auto")) < 0)
            return 2;
        break;
    case 12:
        if (!numeric || num < 0 || num != floor(num) || num > 1e6) {
            fprintf(stderr, "bpcheck conform: --hangs '%s': expected a whole number from 0\n", v);
            return 2;
        }
        o->hangs = (size_t)num;
        break;
    }
    return 0;
}

/* A flag (an option without a value): 1 if a is one, and set; 0 if not. */
static int set_flag(cf_opts *o, const char *a)
{
    int *flag = strcmp(a, "--deep") == 0           ? &o->deep
                : strcmp(a, "--xfail-update") == 0 ? &o->xfail_update
                : strcmp(a, "--allow-empty") == 0  ? &o->allow_empty
                                                   : NULL;
    if (flag)
        *flag = 1;
    else if (strcmp(a, "--no-retry-deep") == 0)
        o->retry_deep = 0;
    else
        return 0;
    return 1;
}

int cf_parse_args(int argc, char **argv, cf_opts *o)
{
    *o = (cf_opts){NULL, NULL, NULL, NULL, {NULL}, {NULL}, 0, 0, 0, 0, 0, 0, 0, 1, NAN, NAN, 60.0, 256, 1, 3, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (set_flag(o, a))
            continue;
        size_t which = 99;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) {
            size_t n = strlen(with_value[k]);
            if (strncmp(a, with_value[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                which = k;
                v = a[n] == '=' ? a + n + 1 : (i + 1 < argc ? argv[++i] : NULL);
                break;
            }
        }
        if (which == 99) {
            fprintf(stderr, "bpcheck conform: unknown option '%s'\nTry 'bpcheck conform --help'.\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "bpcheck conform: option %s needs a value\n", a);
            return 2;
        }
        if (set_value(o, which, v))
            return 2;
    }
    if (o->xfail_update && !o->xfail_path) {
        fprintf(stderr, "bpcheck conform: --xfail-update needs --xfail FILE\n");
        return 2;
    }
    return 0;
}

int cf_selected(const cf_opts *o, const char *id)
{
    int in = o->nonly == 0;
    for (size_t k = 0; k < o->nonly; k++)
        in |= fnmatch(o->only[k], id, 0) == 0;
    for (size_t k = 0; in && k < o->nexclude; k++)
        in = fnmatch(o->exclude[k], id, 0) != 0;
    return in;
}

/* A pattern that matches no case of the fixtures is a mistake (a typo selects nothing, and a
 * run of nothing would pass): named on stderr; 1 if there is one, or if nothing is selected. */
int cf_patterns_unmatched(const bp_fixture_set *fs, const cf_opts *o)
{
    int bad = 0;
    size_t cases = 0, chosen = 0;
    for (int list = 0; list < 2; list++) {
        const char *const *pat = list ? o->exclude : o->only;
        for (size_t k = 0; k < (list ? o->nexclude : o->nonly); k++) {
            int hit = 0;
            for (size_t fi = 0; fi < fs->nfiles && !hit; fi++)
                for (size_t ci = 0; ci < fs->files[fi]->ncases && !hit; ci++)
                    hit = fnmatch(pat[k], fs->files[fi]->cases[ci].id, 0) == 0;
            if (!hit) {
                fprintf(stderr, "bpcheck conform: %s '%s' matches no case of %s\n", list ? "--exclude" : "--only",
                        pat[k], o->fixtures);
                bad = 1;
            }
        }
    }
    for (size_t fi = 0; fi < fs->nfiles; fi++)
        for (size_t ci = 0; ci < fs->files[fi]->ncases; ci++)
            cases++, chosen += cf_selected(o, fs->files[fi]->cases[ci].id);
    if (!bad && cases && !chosen) {
        fprintf(stderr, "bpcheck conform: --only and --exclude together leave none of the %zu cases\n", cases);
        bad = 1;
    }
    return bad;
}

/* ---- the xfail list ---- */

int cf_xfail_load(cf_id_list *x, const char *path)
{
    memset(x, 0, sizeof *x);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a FIFO hangs, /dev/zero never ends */
        fprintf(stderr, "bpcheck conform: --xfail %s: not a regular file; the xfail list is a file of "
                "case ids\n", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0; /* no list yet: nothing expected to fail */
        fprintf(stderr, "bpcheck conform: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    for (size_t lineno = 1; fgets(line, sizeof line, f); lineno++) {
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(stderr, "bpcheck conform: %s:%zu: a line longer than %zu bytes; a case id is "
                    "shorter\n", path, lineno, sizeof line - 2);
            fclose(f);
            cf_xfail_free(x);
            return -1;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        x->ids = realloc(x->ids, (x->n + 1) * sizeof *x->ids);
        x->seen = realloc(x->seen, (x->n + 1) * sizeof *x->seen);
        x->ids[x->n] = strdup(s);
        x->seen[x->n++] = 0;
    }
    fclose(f);
    return 0;
}

int cf_xfail_listed(cf_id_list *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->ids[i], id) == 0) {
            x->seen[i] = 1;
            return 1;
        }
    return 0;
}

void cf_xfail_free(cf_id_list *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->ids[i]);
    free(x->ids), free(x->seen);
    memset(x, 0, sizeof *x);
}
