/* testsuite/t/fuzz_corpus.c: every input of the fuzzers' corpora (testsuite/fuzz/corpus/, the
 * seeds and what `make fuzz` found worth keeping, minimised with -merge=1) replayed through
 * the code each fuzz target drives, without libFuzzer: a regression test for every input the
 * fuzzers ever kept, run by make check under gcc, and by check-valgrind and check-sanitize
 * under their memory checks. Beyond "no crash", each input must get a clear result:
 *   fixture  a fixture, or a refusal whose message starts with the file's name;
 *   answer   a pass, a skip, or a failure with a message;
 *   csv      a batch of finite values, or a refusal whose message starts with the file's name. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "fixture.h"
#include "mpref.h"
#include "tap.h"
#include "train.h"

/* the bytes of path, NUL-terminated (not counted in *len); NULL if it cannot be read */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[*len = (size_t)n] = '\0';
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static int fixture_input(const char *data, size_t len, char *why, size_t wlen)
{
    bp_error err = {""};
    bp_fixture *f = bp_fixture_parse(data, len, "fuzz.json", &err);
    int ok = f || strncmp(err.msg, "fuzz.json", 9) == 0;
    if (!ok)
        snprintf(why, wlen, "refused with '%s'", err.msg);
    bp_fixture_free(f);
    return ok;
}

static int answer_input(const char *data, size_t len, char *why, size_t wlen)
{
    char msg[512] = "";
    int v = bp_conform_fuzz_answer(data, len, msg, sizeof msg);
    int ok = v == 0 || v == 2 || (v == 1 && msg[0]);
    if (!ok)
        snprintf(why, wlen, "verdict %d, message '%s'", v, msg);
    return ok;
}

/* as the csv target: the first byte chooses --header, the rest is the file */
static int csv_input(const char *data, size_t len, char *why, size_t wlen)
{
    if (len == 0)
        return 1;
    FILE *f = fmemopen((void *)(data + 1), len - 1, "r");
    if (!f) /* glibc refuses a zero-length buffer */
        return len == 1;
    bp_error err = {""};
    bp_batch *b = bp_data_read_csv_header(f, "fuzz.csv", 2, 3, data[0] & 1, &err);
    fclose(f);
    int ok = b ? b->m > 0 : strncmp(err.msg, "fuzz.csv", 8) == 0;
    for (size_t i = 0; b && i < b->m * 2; i++)
        ok &= isfinite(b->x[i]);
    for (size_t i = 0; b && i < b->m * 3; i++)
        ok &= isfinite(b->y[i]);
    if (!ok && b)
        snprintf(why, wlen, "a batch of %zu samples with a value not finite", b->m);
    else if (!ok)
        snprintf(why, wlen, "refused with '%s'", err.msg);
    bp_batch_free(b);
    return ok;
}

static void replay(const char *name, int (*input)(const char *, size_t, char *, size_t))
{
    char dir[256];
    snprintf(dir, sizeof dir, "testsuite/fuzz/corpus/%s", name);
    DIR *d = opendir(dir);
    if (!d)
        tap_bail_out("cannot open %s (run from the top of the project)", dir);
    size_t n = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], why[600] = "";
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data = slurp(path, &len);
        n++;
        if (!data) {
            bad++;
            tap_diag("%s: cannot be read", path);
        } else if (!input(data, len, why, sizeof why)) {
            bad++;
            tap_diag("%s: %s", path, why);
        }
        free(data);
    }
    closedir(d);
    tap_ok(n > 0 && bad == 0, "the %s fuzzer's corpus: each of its %zu inputs gets a clear result", name,
           n);
}

int main(void)
{
    /* The mutation runner (BPCHECK_QUICK) plants bugs in the reference and the oracles, never in
     * the reading of input, and its private copy of the tree leaves the corpora out. */
    if (getenv("BPCHECK_QUICK") && *getenv("BPCHECK_QUICK")) {
        printf("1..0 # SKIP the fuzz corpora under the mutation runner (BPCHECK_QUICK)\n");
        return 0;
    }
    replay("fixture", fixture_input);
    replay("answer", answer_input);
    replay("csv", csv_input);
    bp_conform_fuzz_answer(NULL, 0, NULL, 0);
    mp_done();
    return tap_done();
}
