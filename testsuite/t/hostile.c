/* testsuite/t/hostile.c: the hostile-input catalogue (issue 19). Each point feeds the runner one
 * hostile input - a fixture file, an implementation's answer, an implementation's behaviour,
 * a command line, a CSV file - and asserts the clear result it must give: a failing result
 * with a message saying what is wrong (or, where the input is harmless, the pass it deserves,
 * named as such), never a crash, a hang or a wrong pass. Every point runs the program under
 * `timeout`, so a hang fails the point instead of the suite.
 *
 * Implementations misbehave through testsuite/helpers/hostile.c MODE: they answer like the
 * reference except on the cases whose id contains /m1/, two of the six 3-4-2 cases. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

static const char *prog, *helpers;
static char dir[] = "/tmp/bpcheck-hostile-XXXXXX";

/* Run cmd (a shell command, under a 60 s timeout); 1 when its exit status is want_rc and its
 * output holds every one of the NULL-terminated strings; the output is shown when not. */
static int expect(int want_rc, const char *what, const char *cmd, ...)
{
    char *out;
    int rc = tu_sh(&out, "timeout -s KILL 60 sh -c %s 2>&1", cmd), ok = rc == want_rc;
    va_list ap;
    va_start(ap, cmd);
    const char *s;
    char missing[300] = "";
    while ((s = va_arg(ap, const char *)))
        if (!strstr(out, s)) {
            ok = 0;
            snprintf(missing, sizeof missing, "%s", s);
        }
    va_end(ap);
    if (!tap_ok(ok, "%s", what))
        tap_diag("exit %d (wanted %d)%s%s; output:\n%.3000s", rc, want_rc, *missing ? ", missing: " : "",
                 missing, out);
    free(out);
    return ok;
}

/* the shell word for s: single-quoted */
static char *q(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(4 * n + 3), *p = o;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'')
            memcpy(p, "'\\''", 4), p += 4;
        else
            *p++ = *s;
    }
    *p++ = '\'', *p = '\0';
    return o;
}

/* a fixture file dir/name with text, then conform on it: exit 2 and the messages */
static void fixture(const char *what, const char *text, const char *msg)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/f.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        tap_bail_out("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' conform --fixtures %s", prog, path);
    char *c = q(cmd);
    char label[300];
    snprintf(label, sizeof label, "fixture: %s: exit 2, '%s', naming the file", what, msg);
    expect(2, label, c, msg, path, NULL);
    free(c);
}

/* a well-formed case around the given fragments (model, params, batch, the rest) */
static char *fcase(const char *model, const char *params, const char *batch, const char *rest)
{
    static const char *const head = "{\"format\": \"bpcheck-fixture/1\", \"generator\": \"t\", \"notes\": {}, \"cases\": [";
    static const char *const tail = ", \"flags\": [], \"equations\": []";
    char *s = malloc(strlen(head) + strlen(model) + strlen(params) + strlen(batch) + strlen(rest) + 1024);
    sprintf(s, "%s{\"id\": \"x\", \"model\": %s, \"params\": %s, \"batch\": %s, \"eta\": 0.5, %s%s}]}",
            head, model, params, batch, rest, tail);
    return s;
}

/* an implementation in MODE: the /m1/ cases fail (or pass) with the message */
static void answer(const char *mode, const char *summary, const char *msg, const char *extra)
{
    char cmd[1024], label[400];
    snprintf(cmd, sizeof cmd, "'%s' conform --fixtures fixtures/quadratic.json --impl '%s/hostile %s' "
             "--only 'quadratic/3-4-2/*' --timeout 0.5 --max-response 1 %s", prog, helpers, mode,
             extra ? extra : "");
    char *c = q(cmd);
    int want = strstr(summary, " 0 failed") ? 0 : 1;
    snprintf(label, sizeof label, "implementation '%s': '%s'%s%s%s", mode, summary,
             msg ? ", '" : "", msg ? msg : "", msg ? "'" : "");
    expect(want, label, c, summary, msg ? msg : summary, NULL);
    free(c);
}

int main(void)
{
    /* The mutation runner (BPCHECK_QUICK) plants bugs in the reference and the oracles, never in
     * the handling of input: the catalogue would only cost its 15 s of timeouts per mutant. */
    if (getenv("BPCHECK_QUICK") && *getenv("BPCHECK_QUICK")) {
        printf("1..0 # SKIP the hostile catalogue under the mutation runner (BPCHECK_QUICK)\n");
        return 0;
    }
    /* Under valgrind only this program is watched, which does little but wait: the hostile
     * inputs meet bpcheck itself in make check and under the sanitizers (check-sanitize). */
    if (getenv("BPCHECK_LIGHT") && *getenv("BPCHECK_LIGHT") &&
        !(getenv("BPCHECK_SANITIZE") && *getenv("BPCHECK_SANITIZE"))) {
        printf("1..0 # SKIP the hostile catalogue under valgrind (it meets bpcheck, not valgrind)\n");
        return 0;
    }
    prog = tu_env("BPCHECK");
    helpers = tu_env("BPCHECK_HELPERS");
    if (!mkdtemp(dir))
        tap_bail_out("mkdtemp failed");
    const char *model = "{\"cost\": \"quadratic\", \"sizes\": [2, 1], \"reduction\": \"sum\"}";
    const char *params = "{\"W\": [[[0.5, -0.25]]], \"b\": [[0.125]]}";
    const char *batch = "{\"x\": [[1.0, 2.0]], \"y\": [[0.5]]}";
    const char *rest = "\"expected\": {\"cost\": 0.0, \"grad\": {\"W\": [[[0, 0]]], \"b\": [[0]]}, "
                       "\"step\": {\"W\": [[[0.5, -0.25]]], \"b\": [[0.125]]}, \"z\": [[[0.125]]], "
                       "\"a\": [[[0.53]]], \"delta\": [[[0]]]}, \"tolerance\": {\"rtol\": 1e-9, \"atol\": 1e-12}";
    char *s;

    /* ---- fixture files ---- */
    s = fcase(model, params, batch, rest);
    s[strlen(s) / 2] = '\0';
    fixture("truncated", s, "not valid JSON");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": \"2,1\", \"reduction\": \"sum\"}", params, batch, rest);
    fixture("sizes as a string (a wrong type)", s, "field 'model.sizes' is a string; expected an array");
    free(s);
    s = fcase(model, "{\"W\": [[[NaN, -0.25]]], \"b\": [[0.125]]}", batch, rest);
    fixture("a NaN literal", s, "not valid JSON");
    free(s);
    s = fcase(model, "{\"W\": [[[Infinity, -0.25]]], \"b\": [[0.125]]}", batch, rest);
    fixture("an Infinity literal", s, "not valid JSON");
    free(s);
    s = fcase(model, params, "{\"x\": [[1.0, 2e400]], \"y\": [[0.5]]}", rest);
    fixture("a number beyond the doubles (2e400)", s, "not valid JSON");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [20000000, 1], \"reduction\": \"sum\"}", params, batch, rest);
    fixture("a huge layer size", s, "'model.sizes[0]' must be an integer from 1 to 1000000");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [-2, 1], \"reduction\": \"sum\"}", params, batch, rest);
    fixture("a negative size", s, "'model.sizes[0]' must be an integer from 1");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [1000000, 1000000, 1000000], \"reduction\": \"sum\"}",
              params, batch, rest);
    fixture("sizes whose products overflow the memory (10^12 weights)", s, "field 'model.sizes'");
    free(s);
    s = fcase(model, "{\"W\": [[[0.5]]], \"b\": [[0.125]]}", batch, rest);
    fixture("a row of W too short for the sizes", s, "field 'params.W[0][0]' is an array of 1; expected an array of 2");
    free(s);
    s = fcase(model, params, "{\"x\": [[1.0, 2.0]], \"y\": [[0.5], [0.5]]}", rest);
    fixture("y with more rows than x", s, "batch.y");
    free(s);
    {
        char *one = fcase(model, params, batch, rest), *two = malloc(2 * strlen(one) + 8);
        char *open = strchr(one, '['), *body = open + 1;
        size_t n = strlen(body);
        sprintf(two, "%.*s%.*s, %s", (int)(body - one), one, (int)(n - 2), body, body);
        fixture("two cases with the same id", two, "case id 'x' appears twice");
        free(one), free(two);
    }
    {
        size_t depth = 100000;
        s = malloc(2 * depth + 200);
        char *p = s + sprintf(s, "{\"format\": ");
        for (size_t i = 0; i < depth; i++)
            *p++ = '[';
        for (size_t i = 0; i < depth; i++)
            *p++ = ']';
        strcpy(p, "}");
        fixture("arrays nested 100,000 deep", s, "not valid JSON");
        free(s);
    }
    s = fcase(model, params, batch, rest);
    s[strstr(s, "\"x\"") - s + 1] = (char)0xff; /* "\xff" is not UTF-8 */
    fixture("a byte that is not UTF-8", s, "not valid JSON");
    free(s);
    {
        char *one = fcase(model, params, batch, rest);
        s = malloc(strlen(one) + 4);
        sprintf(s, "\xef\xbb\xbf%s", one);
        fixture("a byte-order mark before the JSON", s, "not valid JSON");
        free(s), free(one);
    }
    {
        size_t big = 100u << 20;
        char *one = fcase(model, params, batch, rest), *eta = strstr(one, "\"eta\": 0.5");
        s = malloc(strlen(one) + big + 8);
        size_t k = (size_t)(eta - one) + 7;
        memcpy(s, one, k);
        s[k] = '"';
        memset(s + k + 1, 'a', big);
        s[k + 1 + big] = '"';
        strcpy(s + k + 2 + big, eta + 10);
        fixture("a 100 MB string where eta belongs", s, "field 'eta' is a string; expected a number");
        free(s), free(one);
    }
    fixture("an empty file", "", "not valid JSON");
    {   /* found by the fuzzer: 150 bytes announcing 123 M parameters once cost 10 s and 1 GB */
        char path[256], cmd[600];
        snprintf(path, sizeof path, "%s/f.json", dir);
        FILE *f = fopen(path, "w");
        fputs("{\"format\": \"bpcheck-fixture/2\", \"generator\": \"0\", \"notes\": {}, \"cases\": "
              "[{\"id\": \"c\", \"model\": {\"cost\": \"cross-entropy\", \"sizes\": [524146, 235], "
              "\"reduction\": \"mean\"}}]}", f);
        fclose(f);
        /* ASan reserves terabytes of address space for its shadow: no limit under it */
        int asan = getenv("BPCHECK_SANITIZE") && *getenv("BPCHECK_SANITIZE");
        snprintf(cmd, sizeof cmd, "%s'%s' conform --fixtures %s", asan ? "" : "ulimit -v 400000; ",
                 prog, path);
        char *c = q(cmd);
        expect(2, asan ? "fixture: 150 bytes announcing 123 M parameters: refused, 'field 'params' is "
                         "missing' (the 400 MB limit is left out under ASan)"
                       : "fixture: 150 bytes announcing 123 M parameters: refused before allocating "
                         "them (under a 400 MB limit), 'field 'params' is missing'",
               c, "field 'params' is missing", NULL);
        free(c);
    }
    fixture("another format", "{\"format\": \"bpcheck-fixture/9\", \"generator\": \"t\", \"notes\": {}, \"cases\": []}",
            "this reader knows");
    fixture("a note that is not a string",
            "{\"format\": \"bpcheck-fixture/2\", \"generator\": \"t\", \"notes\": {\"a\": 1}, \"cases\": []}",
            "field 'notes.a' is a number; expected a string");
    fixture("a case that is null", "{\"format\": \"bpcheck-fixture/2\", \"generator\": \"t\", \"notes\": {}, "
            "\"cases\": [null]}", "is null; expected an object");
    s = fcase("{\"cost\": true, \"sizes\": [2, 1], \"reduction\": \"sum\"}", params, batch, rest);
    fixture("the cost a boolean", s, "field 'model.cost' is a boolean; expected a string");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [2], \"reduction\": \"sum\"}", params, batch, rest);
    fixture("one layer size", s, "field 'model.sizes' has 1 entries; expected 2 to");
    free(s);
    s = fcase("{\"cost\": \"hinge\", \"sizes\": [2, 1], \"reduction\": \"sum\"}", params, batch, rest);
    fixture("an unknown cost", s, "field 'model.cost': ");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [2, 1], \"reduction\": \"median\"}", params, batch, rest);
    fixture("an unknown reduction", s, "field 'model.reduction': ");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [2, 1], \"reduction\": \"sum\", \"activations\": [\"sigmoid\", "
              "\"relu\"]}", params, batch, rest);
    fixture("more activations than layers", s, "field 'model.activations' must list 1 names");
    free(s);
    s = fcase("{\"cost\": \"quadratic\", \"sizes\": [2, 1], \"reduction\": \"sum\", \"activations\": [\"swish\"]}",
              params, batch, rest);
    fixture("an unknown activation", s, "field 'model.activations[0]' must be one of sigmoid");
    free(s);

    /* binary companions */
    {
        static const char *const damage[][3] = {
            {"a companion cut short", "truncate -s 100 c.bin", "refers to bytes"},
            {"a missing companion", "rm c.bin", "its binary companion"},
            {"a count that does not match the shape", "sed -i 's/\"count\": 15$/\"count\": 14/' c.json", "refers to 14 values in"},
            {"a NaN inside the companion", "printf '\\000\\000\\000\\000\\000\\000\\370\\177' | dd of=c.bin bs=1 conv=notrunc 2>/dev/null", "holds NaN or Inf at entry 0"},
            {"a companion outside the file's directory", "sed -i 's/\"binary\": \"c.bin\"/\"binary\": \"..\\/c.bin\"/' c.json", "must name a file beside this one"},
            {"an offset past the end", "sed -i 's/\"offset\": 0,/\"offset\": 99999999,/' c.json", "refers to bytes 99999999"},
        };
        for (size_t k = 0; k < sizeof damage / sizeof *damage; k++) {
            char cmd[2048], label[300];
            snprintf(cmd, sizeof cmd, "'%s' fixtures --model loglik --sizes 3,5,4,2 --batch 7 --binary yes -o "
                     "%s/c.json >/dev/null && cd %s && %s && cd - >/dev/null && '%s' conform --fixtures %s/c.json",
                     prog, dir, dir, damage[k][1], prog, dir);
            char *c = q(cmd);
            snprintf(label, sizeof label, "fixture: %s: exit 2, '%s'", damage[k][0], damage[k][2]);
            expect(2, label, c, damage[k][2], "c.json", NULL);
            free(c);
        }
    }

    /* ---- answers ---- */
    answer("garbage", "4 passed, 2 failed", "not valid JSON", NULL);
    answer("binary", "4 passed, 2 failed", "not valid JSON", NULL);
    answer("shape", "4 passed, 2 failed", "has 3 rows; expected 4", NULL);
    answer("dupkey", "4 passed, 2 failed", "duplicate object key", NULL);
    answer("missing", "4 passed, 2 failed", "the answer has no 'grad'", NULL);
    answer("strnum", "4 passed, 2 failed", "'cost' is a string; expected a number", NULL);
    answer("nanstr", "4 passed, 2 failed", "cost out of tolerance; NaN in the cost", NULL);
    answer("negzero", "4 passed, 2 failed", "out of tolerance", NULL);
    answer("denormal", "4 passed, 2 failed", "grad out of tolerance", NULL);
    answer("huge", "4 passed, 2 failed", "grad out of tolerance", NULL);
    answer("nan", "4 passed, 2 failed", "got: .nan", NULL);
    answer("several", "failed", "the answer's id is 'quadratic/3-4-2/m1/", NULL);
    answer("truncate", "4 passed, 2 failed", "the answer was cut off after", NULL);
    answer("oversize", "4 passed, 2 failed", "longer than 1048576 bytes without a newline", NULL);
    answer("nonewline", "4 passed, 2 failed", "no answer within 0.5 s", NULL);
    answer("id", "4 passed, 2 failed", "id is 'someone-else'", NULL);
    answer("error", "4 passed, 2 failed", "reported an error: out of GPU memory", NULL);
    answer("unsupported", "4 passed, 0 failed, 2 skipped", "SKIP unsupported", NULL);
    answer("noise", "6 passed, 0 failed, 0 skipped", NULL, NULL); /* stderr is the user's */
    {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "'%s' conform --impl 'cat /dev/zero' --only 'quadratic/1-1/m1/sum/*' "
                 "--max-response 64", prog);
        char *c = q(cmd);
        expect(1, "an endless answer (gigabytes, no newline): refused at --max-response 64, the child "
               "killed", c, "longer than 67108864 bytes without a newline", NULL);
        free(c);
    }

    /* ---- the child's behaviour ---- */
    static const char *const sigs[][2] = {{"SEGV", "SIGSEGV"}, {"ABRT", "SIGABRT"}, {"BUS", "SIGBUS"},
                                          {"FPE", "SIGFPE"}, {"ILL", "SIGILL"}, {"KILL", "SIGKILL"},
                                          {"TERM", "SIGTERM"}, {"PIPE", "SIGPIPE"}, {"INT", "SIGINT"},
                                          {"XCPU", "SIGXCPU"}, {"SYS", "a signal"}};
    for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
        char mode[32], msg[64];
        snprintf(mode, sizeof mode, "sig-%s", sigs[k][0]);
        snprintf(msg, sizeof msg, "was killed by %s", sigs[k][1]);
        answer(mode, "4 passed, 2 failed", msg, NULL);
    }
    answer("exit0", "failed", "exited with status 0", NULL);
    answer("exit", "0 passed, 6 failed", "exited with status 3", NULL);
    answer("hang", "4 passed, 2 failed", "no answer within 0.5 s", NULL);
    answer("sleep1", "6 passed, 0 failed, 0 skipped", NULL, "--timeout 1"); /* 0.3 s: within */
    answer("sleep3", "4 passed, 2 failed", "no answer within 0.5 s", NULL); /* 2 s: past it */
    /* the request is in the pipe before the child closes its end: no answer comes */
    answer("stdinclosed", "4 passed, 2 failed", "no answer within 0.5 s", NULL);
    { /* exec'd: the implementation itself dies by the signal (not a shell's status 128 + N) */
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "'%s' conform --impl 'exec %s/hostile sig-SEGV' --only 'quadratic/3-4-2/*' "
                 "--timeout 0.5", prog, helpers);
        char *c = q(cmd);
        expect(1, "implementation exec'd, killed by SIGSEGV: 'was killed by SIGSEGV (Segmentation fault, signal 11)'",
               c, "4 passed, 2 failed", "was killed by SIGSEGV (", NULL);
        free(c);
    }
    { /* exec: no shell left holding the output open */
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "'%s' conform --impl 'exec %s/hostile closeout' --only 'quadratic/3-4-2/*' "
                 "--timeout 0.5", prog, helpers);
        char *c = q(cmd);
        expect(1, "implementation 'closeout' (closes its output, runs on): its cases fail, 'closed its output but "
               "kept running (it was killed)'", c, "4 passed, 2 failed", "closed its output but kept running", NULL);
        free(c);
    }
    answer("crash", "4 passed, 2 failed", "killed by SIGSEGV", NULL);
    { /* a child that leaves a background process holding the pipe, then exits: no answer
       * comes and no end of file either (the background process holds the pipe; it could
       * be the one to answer), so each case waits --timeout, the hang rule stops the run
       * after 3, and the whole group is killed: nothing is left behind */
        char cmd[1024], *c;
        snprintf(cmd, sizeof cmd, "'%s' conform --fixtures fixtures/quadratic.json --impl "
                 "'sleep 297.5 & exit 0' --only 'quadratic/3-4-2/*' --timeout 1; true", prog);
        c = q(cmd);
        /* which of two ways the first case fails is a race: the hello written before the shell
         * exits waits out --timeout; after, it meets a closed input (the background job reads
         * /dev/null). Either way the run fails, and stops */
        expect(0, "child that forks a background process holding the pipe, then exits: every case "
                  "fails, and nothing is left running", c, "0 passed, 6 failed", NULL);
        /* (the pattern 29[7][.]5 matches the sleep, not the shell command that holds it) */
        char *out;
        tu_sh(&out, "pgrep -f 'sleep 29[7][.]5'; pkill -f 'sleep 29[7][.]5'; true");
        tap_ok(out[0] == '\0', "no process of that child is left after the run");
        free(out), free(c);
        /* no file descriptor to spare: the runner cannot make the pipes (its 3: the request,
         * the answer, stderr; 4 descriptors leave none, 5 and 6 one, 7 two); says so, fails */
        for (int fds = 4; fds <= 7; fds++) {
            char label[300];
            snprintf(cmd, sizeof cmd, "ulimit -n %d; exec '%s' conform --fixtures fixtures/quadratic.json "
                     "--impl '%s/hostile none' --only 'quadratic/3-4-2/*'", fds, prog, helpers);
            c = q(cmd);
            snprintf(label, sizeof label, "runner with %d file descriptors (ulimit -n %d): the run stops at the "
                     "first case, 'could not be started: cannot create pipes', the rest not run", fds, fds);
            expect(1, label, c, "0 passed, 6 failed",
                   "the implementation could not be started: cannot create pipes: Too many open files", NULL);
            free(c);
        }
    }

    /* ---- command lines ---- */
    static const char *const cli[][3] = {
        {"conform --frobnicate", "2", "unknown option '--frobnicate'"},
        {"conform --timeout", "2", "option --timeout needs a value"},
        {"conform --timeout -1", "2", "--timeout '-1': expected seconds, more than 0"},
        {"conform --hangs x", "2", "--hangs 'x': expected a whole number"},
        {"conform --timeout 1e10", "2", "--timeout '1e10': expected seconds, more than 0 and at most 604800"},
        {"conform --max-response 0.5", "2", "--max-response '0.5': expected a whole number of MiB"},
        {"conform --max-response 17592186044416", "2", "expected a whole number of MiB from 1 to 65536"},
        {"conform --max-response 1e300", "2", "expected a whole number of MiB from 1 to 65536"},
        {"conform --rtol nan", "2", "--rtol 'nan': expected a non-negative number"},
        {"conform --xfail-update", "2", "--xfail-update needs --xfail FILE"},
        {"conform --profile float16", "2", "expected float64 or float32"},
        {"fixtures --model quadratic --sizes 3,2", "2", "-o FILE is required"},
        {"fixtures --model quadratic --sizes 3,2 -o /tmp/x.json --binary maybe", "2", "--binary 'maybe': expected auto, yes or no"},
        {"train --sizes 2,1", "2", "--data is required"},
        {"gradcheck --no-such-option", "2", "unknown"},
        {"gradcheck --timeout 1e10", "2", "--timeout '1e10': expected seconds, more than 0 and at most 604800"},
        {"derivations --doc 9", "2", "expected 000, 001, 002, 003 or 004"},
        {"no-such-command", "2", "no-such-command"},
    };
    for (size_t k = 0; k < sizeof cli / sizeof *cli; k++) {
        char cmd[512], label[400];
        snprintf(cmd, sizeof cmd, "'%s' %s", prog, cli[k][0]);
        char *c = q(cmd);
        snprintf(label, sizeof label, "command line 'bpcheck %s': exit %s, '%s'", cli[k][0], cli[k][1], cli[k][2]);
        expect(atoi(cli[k][1]), label, c, cli[k][2], NULL);
        free(c);
    }

    /* ---- outputs, false greens, deadlines, forged reports (issue 27) ---- */
    {
        char cmd[1600], *c;
        const char *one = "--only 'quadratic/3-4-2/m1/*'";
        snprintf(cmd, sizeof cmd, "'%s' conform %s --junit /dev/full", prog, one);
        c = q(cmd);
        expect(2, "output: --junit /dev/full: exit 2, the file and the error named, nothing run", c,
               "--junit: /dev/full: cannot write: No space left on device", NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "'%s' conform %s --junit %s/no/such/dir/r.xml", prog, one, dir);
        c = q(cmd);
        expect(2, "output: --junit in a directory that does not exist: exit 2, named", c, "r.xml: cannot write",
               NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "'%s' conform %s > /dev/full", prog, one);
        c = q(cmd);
        expect(2, "output: the TAP to /dev/full: exit 2, 'cannot write the report to standard output'", c,
               "cannot write the report to standard output", NULL);
        free(c);
        /* an interrupted run: the previous run's green report does not stay in place; the
         * cases run are reported and the rest listed, in the TAP and the JUnit file. The signal
         * is sent once the implementation has started, so inside the run: "# fixtures" on the
         * TAP is not proof of that (a sanitized runner under load took over 30 s to load the
         * fixtures and was killed there, before it handles the signal, in one CI run) */
        snprintf(cmd, sizeof cmd, "echo '<testsuite tests=\"12\" failures=\"0\"/>' > %s/j.xml; rm -f %s/j.started; "
                 "'%s' conform --impl 'touch %s/j.started; exec %s/hostile hang' --only 'quadratic/3-4-2/*' "
                 "--timeout 30 --junit %s/j.xml > %s/j.out & "
                 "for i in $(seq 1200); do test -e %s/j.started && break; sleep 0.1; done; "
                 "sleep 0.3; kill -TERM $!; wait $!; echo \"exit $?\"; cat %s/j.xml %s/j.out", dir, dir, prog, dir,
                 helpers, dir, dir, dir, dir, dir);
        c = q(cmd);
        expect(0, "output: a run interrupted by SIGTERM (exit 143): its JUnit file has an error for the run and one "
               "for each case not run (the previous run's 12 green tests are gone)", c, "exit 143",
               "<error message=\"the run was interrupted by SIGTERM after 0 of 6 cases: 6 not run",
               "name=\"quadratic/3-4-2/m32/mean/typical\"><error message=\"not run: the run was interrupted", NULL);
        expect(0, "output: ... and its TAP lists every case, each not run, with why", c,
               "not ok 6 - quadratic/3-4-2/m32/mean/typical (not run)",
               "# 6 cases not run (counted as failed): the run was interrupted by SIGTERM", NULL);
        free(c);
        /* a case read again at its turn (beyond BPCHECK_KEEP_MIB) from a file changed since */
        snprintf(cmd, sizeof cmd, "cp fixtures/quadratic.json %s/c.json; BPCHECK_KEEP_MIB=0 '%s' conform --fixtures "
                 "%s/c.json --impl 'printf x > %s/c.json; exec %s/hostile none' --only 'quadratic/3-4-2/*'", dir, prog,
                 dir, dir, helpers);
        c = q(cmd);
        expect(1, "input: a fixture file changed during the run (BPCHECK_KEEP_MIB=0: each case read at its turn): "
               "the cases read after fail, naming the file and the case", c, "1 passed, 5 failed",
               "c.json: case 'quadratic/3-4-2/m7/sum/typical' cannot be read again as it was when the run began", NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "BPCHECK_KEEP_MIB=lots '%s' conform %s", prog, one);
        c = q(cmd);
        expect(2, "input: BPCHECK_KEEP_MIB not a number: exit 2, said", c,
               "BPCHECK_KEEP_MIB is 'lots'; expected a whole number of MiB", NULL);
        free(c);
        /* the same run, every case kept or every case read again at its turn: the same report,
         * the diagnosis included (it reads the previous case: a stale answer is its) */
        snprintf(cmd, sizeof cmd, "for k in 64 0; do BPCHECK_KEEP_MIB=$k '%s' conform --impl '%s/mutant stale' "
                 "--only 'quadratic/*' > %s/k$k.out; done; cmp %s/k64.out %s/k0.out && echo same; tail -1 %s/k0.out",
                 prog, tu_env("BPCHECK_ADAPTERS"), dir, dir, dir, dir);
        c = q(cmd);
        expect(0, "input: cases read again at their turn (BPCHECK_KEEP_MIB=0) give the very report of cases kept, "
               "for a stale implementation (whose diagnosis reads the previous case)", c, "same\n", " failed", NULL);
        free(c);
        /* a testee that reads its request slowly holds the runner no longer than --timeout */
        snprintf(cmd, sizeof cmd, "'%s' fixtures --model quadratic --sizes 500,1 --batch 200 -o %s/big.json "
                 ">/dev/null && '%s' conform --fixtures %s/big.json --impl '%s/hostile slowread' --timeout 1 "
                 "--frames off", prog, dir, prog, dir, helpers);
        c = q(cmd);
        expect(1, "deadline: a testee that reads 1 KiB a second of a 2 MB request (as text: more than the 1 MiB "
               "pipe): the case fails at --timeout 1 (not in 45 minutes)", c,
               "did not read its request within the case's 1 s", "0 passed, 1 failed", NULL);
        free(c);
        /* ... one that writes while the runner still sends: read as it comes, and cut */
        snprintf(cmd, sizeof cmd, "'%s' conform --fixtures %s/big.json --impl '%s/hostile flood' --timeout 5 "
                 "--max-response 1 --frames off", prog, dir, helpers);
        c = q(cmd);
        expect(1, "deadline: a testee that writes without end, reading nothing, while its 2 MB request is sent: "
               "its output is read meanwhile (up to --max-response: no deadlock, no unbounded buffer) and the case "
               "fails at its deadline", c, "did not read its request within the case's 5 s", NULL);
        free(c);
        /* ... one that is gone before its request is all written: the write fails, and says so */
        snprintf(cmd, sizeof cmd, "'%s' conform --fixtures %s/big.json --impl '%s/hostile quit' --timeout 5 "
                 "--frames off", prog, dir, helpers);
        c = q(cmd);
        expect(1, "child: a testee that exits after the hello, its 2 MB request half written: the case fails, "
               "the exit named", c, "0 passed, 1 failed", "exited with status 0", NULL);
        free(c);
        /* where the fixtures are looked for: BPCHECK_FIXTURES, ./fixtures holding bpcheck
         * fixtures, the set installed beside the program (a relocated install), BPCHECK_DATADIR */
        snprintf(cmd, sizeof cmd, "mkdir -p %s/r/bin %s/r/share/bpcheck %s/p/fixtures && cp '%s' %s/r/bin/ && cp -r "
                 "fixtures %s/r/share/bpcheck/ && echo '{\"name\": \"mine\"}' > %s/p/fixtures/model.json && cd %s/p && "
                 "unset BPCHECK_FIXTURES; %s/r/bin/bpcheck conform %s", dir, dir, dir, prog, dir, dir, dir, dir, dir, one);
        c = q(cmd);
        expect(0, "lookup: a project's own fixtures/ (not bpcheck's) gets a note, and the set installed beside the "
               "program is used (a relocated install finds its own)", c, "./fixtures holds no bpcheck fixtures",
               "2 passed, 0 failed", NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "cd %s/p && cp -r %s/r/share/bpcheck/fixtures/quadratic.json fixtures/ && "
                 "BPCHECK_FIXTURES=%s/r/share/bpcheck/fixtures/loglik.json %s/r/bin/bpcheck conform", dir, dir, dir, dir);
        c = q(cmd);
        expect(0, "lookup: BPCHECK_FIXTURES wins over ./fixtures", c, "# fixtures: ", "loglik.json", NULL);
        free(c);
        if (access("/usr/local/share/bpcheck/fixtures", F_OK) == 0)
            tap_skip("lookup: nothing found: this machine has an installed set under /usr/local");
        else {
            snprintf(cmd, sizeof cmd, "mkdir -p %s/n/bin %s/n/fixtures && cp '%s' %s/n/bin/ && cd %s/n && unset "
                     "BPCHECK_FIXTURES; %s/n/bin/bpcheck conform", dir, dir, prog, dir, dir, dir);
            c = q(cmd);
            expect(2, "lookup: no fixtures anywhere: exit 2, and the message names the four places and --fixtures",
                   c, "Looked for, in this order: --fixtures (not given); $BPCHECK_FIXTURES (not set); ./fixtures",
                   "the installed set", "--fixtures DIR or FILE", NULL);
            free(c);
        }
        /* one extra answer line fails one case, not every later one */
        snprintf(cmd, sizeof cmd, "'%s' conform --impl '%s/hostile several' --only 'quadratic/3-4-2/*'", prog, helpers);
        c = q(cmd);
        expect(1, "report: an implementation that answers twice: each extra line fails the one case it meets "
               "(the child restarted), the rest pass", c, "4 passed, 2 failed", "a line behind", NULL);
        free(c);
        if (getenv("BPCHECK_SANITIZE") && *getenv("BPCHECK_SANITIZE"))
            tap_skip("the runner out of memory under ulimit -v: the sanitizers' shadow memory needs more");
        else {
            snprintf(cmd, sizeof cmd, "ulimit -v 400000; '%s' conform --impl '%s/hostile flood' --only "
                     "'quadratic/3-4-2/*' --max-response 4096", prog, helpers);
            c = q(cmd);
            expect(2, "memory: the runner out of memory on an endless answer line (ulimit -v 400000): exit 2, a "
                   "resource error, not the implementation's verdict", c, "a resource error, not a verdict", NULL);
            free(c);
        }
        snprintf(cmd, sizeof cmd, "rm -f %s/p.json; mkfifo %s/p.json; '%s' conform --fixtures %s/p.json", dir, dir,
                 prog, dir);
        c = q(cmd);
        expect(2, "input: a FIFO as the fixture file: refused at once, exit 2", c, "not a regular file (a FIFO)", NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "'%s' conform %s --xfail %s/p.json; '%s' conform %s --xfail /dev/zero", prog,
                 one, dir, prog, one);
        c = q(cmd);
        expect(2, "input: a FIFO, and /dev/zero, as the xfail file: refused at once, exit 2", c,
               "--xfail /dev/zero: not a regular file", NULL);
        free(c);
        snprintf(cmd, sizeof cmd, "printf '{\"format\": \"bpcheck-fixture/2\", \"generator\": \"x\", \"notes\": "
                 "{}, \"cases\": []}' > %s/e.json; '%s' conform --fixtures %s/e.json", dir, prog, dir);
        c = q(cmd);
        expect(2, "input: a fixture with no cases: an error, never a pass of nothing", c,
               "field 'cases' is an empty list", NULL);
        free(c);
        /* 300 one-case fixture files in one folder: every one is read and run */
        snprintf(cmd, sizeof cmd, "mkdir -p %s/many && '%s' fixtures --model quadratic --sizes 1,1 --batch 1 -o "
                 "%s/one.json >/dev/null && for i in $(seq 1 300); do sed \"s#quadratic/1-1#q$i/1-1#\" %s/one.json > "
                 "%s/many/f$i.json; done; '%s' conform --fixtures %s/many | tail -1", dir, prog, dir, dir, dir, prog, dir);
        c = q(cmd);
        expect(0, "input: a folder of 300 fixture files: all 300 are run (there was a silent limit of 256)", c,
               "300 passed, 0 failed, 0 skipped", NULL);
        free(c);
        /* a worker in a session of its own (setsid) does not survive the run */
        snprintf(cmd, sizeof cmd, "'%s' conform --impl 'setsid sleep $((296)).75 & exec %s/hostile none' %s | tail -1; "
                 "sleep 0.3; if pgrep -f 'sleep 29[6][.]75'; then echo SURVIVED; pkill -f 'sleep 29[6][.]75'; "
                 "else echo 'none left'; fi", prog, helpers, one);
        c = q(cmd);
        expect(0, "child: a worker started with setsid is killed at the end of the run (the runner is the "
               "subreaper of what the implementation leaves)", c, "none left", NULL);
        free(c);
        /* a forged TAP line in an "unsupported" reason, and ESC in an error for the JUnit file */
        snprintf(cmd, sizeof cmd, "'%s' conform --impl '%s/hostile forge' --only 'quadratic/3-4-2/*' --junit "
                 "%s/f.xml; grep -c '^ok 99' || true; tr -d '\\n\\t' < %s/f.xml | LC_ALL=C grep -c '[[:cntrl:]]' || "
                 "echo 'no control characters'", prog, helpers, dir, dir);
        c = q(cmd);
        expect(0, "report: a newline and 'ok 99' in an unsupported reason start no TAP line of their own, and "
               "ESC in an error leaves the JUnit file without control characters", c,
               "# SKIP unsupported: no ok 99 - forged", "\n0\n", "no control characters", NULL);
        free(c);
    }

    /* ---- CSV data ---- */
    static const char *const csv[][3] = {
        {"ragged rows", "1,2,0\n1,2\n", "d.csv:2: 2 fields; expected 2 features then a class label"},
        {"a label out of range", "1,2,7\n", "label"},
        {"an empty file", "", "no samples"},
        {"a header without --header", "a,b,label\n1,2,0\n", "--header"},
        {"a NaN feature", "1,2,0\n1,nan,0\n", "d.csv:2:"},
        {"a line of 70,000 characters", NULL, "d.csv:2: line longer than 65534 characters"},
        {"a NUL byte in a line", NULL, "d.csv:2: a NUL byte"},
        {"gzip-compressed data", "\x1f\x8b\x08\x00", "d.csv: gzip-compressed data; decompress it first"},
    };
    for (size_t k = 0; k < sizeof csv / sizeof *csv; k++) {
        char path[256], cmd[600], label[300];
        snprintf(path, sizeof path, "%s/d.csv", dir);
        FILE *f = fopen(path, "w");
        if (csv[k][1])
            fputs(csv[k][1], f);
        else if (strstr(csv[k][0], "NUL")) /* 1,2,0 then 1,2<NUL>,junk: strlen would stop at "1,2" */
            fwrite("1,2,0\n1,2\0,9\n", 1, 13, f);
        else { /* a line that fgets would read as two: "1,2,0" then padding and a second sample */
            fputs("1,2,0\n1,2,", f);
            for (int i = 0; i < 70000; i++)
                fputc(' ', f);
            fputs("0\n", f);
        }
        fclose(f);
        snprintf(cmd, sizeof cmd, "'%s' train --sizes 2,3 --data %s --epochs 1", prog, path);
        char *c = q(cmd);
        snprintf(label, sizeof label, "CSV: %s: exit 2, '%s', naming the file", csv[k][0], csv[k][2]);
        expect(2, label, c, csv[k][2], "d.csv", NULL);
        free(c);
    }
    {
        char path[256], cmd[600];
        snprintf(path, sizeof path, "%s/wide.csv", dir);
        FILE *f = fopen(path, "w");
        for (int i = 0; i < 1000000; i++)
            fputs("1,", f);
        fputs("0\n", f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "'%s' train --sizes 2,3 --data %s --epochs 1", prog, path);
        char *c = q(cmd);
        expect(2, "CSV: a line of 1,000,000 columns for 2 features: exit 2, naming the file", c, "wide.csv", NULL);
        free(c);
    }

    char *out;
    tu_sh(&out, "rm -rf %s", dir);
    free(out);
    return tap_done();
}
