/* testsuite/t/conform.c: the conformance runner, `bpcheck conform` (testsuite/conform/conform.c):
 * the bundled reference and the independent numpy adapter pass every case; every mutant of
 * testsuite/mutants/ is rejected and diagnosed by its hint; hostile implementations (crash,
 * hang, garbage, truncation, an oversized line, NaN, wrong shapes, a wrong id, an error, early
 * exit) fail exactly their cases with a precise message and never stop the run; the xfail list
 * is strict; JUnit, profiles, overrides and usage errors; `bpcheck gradcheck --impl`. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "child.h"
#include "tap.h"
#include "testutil.h"

static const char *prog, *python, *helpers;

/* bp_child_exec and bp_child_prestart: the runner's own 'bpcheck serve' is exec'd without a
 * shell, started before its first request. /bin/echo with an argument a shell would expand or
 * split: it must arrive as it is, from a child running before anything is sent. */
static void child_exec(void)
{
    bp_child ch;
    char msg[256], *line = NULL;
    bp_child_init(&ch, "exit 3", 1 << 20); /* its name; run through sh it would say nothing */
    int ok = bp_child_exec(&ch, "/bin/echo", "$0;|x *") == 0;
    bp_child_prestart(&ch);
    int ahead = ch.pid != 0 && ch.prestarted;
    bp_child_status st = ok ? bp_child_recv(&ch, &line, 10.0, msg, sizeof msg) : CHILD_ERROR;
    tap_ok(ok && ahead && st == CHILD_OK && line && strcmp(line, "$0;|x *") == 0,
           "child: bp_child_exec runs the program itself, its argument unexpanded (no shell), and "
           "bp_child_prestart starts it before any request (got '%s')", line ? line : msg);
    free(line);
    bp_child_free(&ch);
}

/* conform on a fixtures directory holding one file, name, with text; extra options in args.
 * The directory is removed after; returns conform's exit status, its output in *out. */
static int conform_on_file(char **out, const char *name, const char *text, const char *args)
{
    char dir[] = "/tmp/bpcheck-fx-XXXXXX", path[128];
    if (!mkdtemp(dir))
        tap_bail_out("mkdtemp failed");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        tap_bail_out("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    int rc = tu_sh(out, "'%s' conform --fixtures '%s' %s", prog, dir, args);
    unlink(path);
    rmdir(dir);
    return rc;
}

static void hostile_with(const char *helper, const char *mode, const char *want_summary,
                         const char *want_message)
{
    char *out;
    int rc = tu_sh(&out, "'%s' conform --impl '%s/%s %s' --only 'quadratic/3-4-2/*' --timeout 2 "
                "--max-response 1", prog, helpers, helper, mode);
    int expect_rc = strstr(want_summary, " 0 failed") ? 0 : 1;
    if (!tap_ok(rc == expect_rc && strstr(out, want_summary) && (!want_message || strstr(out, want_message)),
                "conform: a %s%s implementation: '%s'%s%s, exit %d, the rest of the run goes on",
                strcmp(helper, "framed") == 0 ? "framed, " : "", mode,
                want_summary, want_message ? ", message '" : "", want_message ? want_message : "",
                expect_rc))
        tap_diag("exit %d, output:\n%s", rc, out);
    free(out);
}

static void hostile(const char *mode, const char *want_summary, const char *want_message)
{
    hostile_with("hostile", mode, want_summary, want_message);
}

/* The test vector of PROTOCOL.md ("Binary frames"), byte for byte, through `bpcheck serve`. */
static void test_vector(void)
{
    static const char req[] = "{\"protocol\":\"bpcheck-protocol/2\",\"id\":\"vector\",\"model\":"
        "{\"cost\":\"quadratic\",\"sizes\":[1,1],\"reduction\":\"sum\"},\"eta\":0.5,\"want\":"
        "[\"cost\",\"grad\",\"step\"],\"frames\":\"f64\",\"batch_size\":1,\"payload\":32}\n";
    static const unsigned char in[32] = {0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xd0, 0x3f,
                                         0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f};
    static const char head[] = "{\"id\":\"vector\",\"cost\":0.016052503119092985,\"frames\":\"f64\","
                               "\"arrays\":[\"grad\",\"step\"],\"payload\":32}\n";
    static const unsigned char ans[32] = {0xf7, 0xf8, 0x26, 0xe2, 0x54, 0xfd, 0xa3, 0x3f,
                                          0xf7, 0xf8, 0x26, 0xe2, 0x54, 0xfd, 0xa3, 0x3f,
                                          0x71, 0x90, 0xdd, 0xb1, 0x2a, 0xc0, 0xde, 0x3f,
                                          0xe1, 0x20, 0xbb, 0x63, 0x55, 0x80, 0xcd, 0x3f};
    char ip[] = "/tmp/bpcheck-vec-XXXXXX", op[] = "/tmp/bpcheck-vec-XXXXXX";
    int fi = mkstemp(ip), fo = mkstemp(op);
    if (fi < 0 || fo < 0)
        tap_bail_out("mkstemp failed");
    FILE *f = fdopen(fi, "wb");
    fwrite(req, 1, strlen(req), f), fwrite(in, 1, 32, f);
    fclose(f), close(fo);
    char *out;
    tu_sh(&out, "'%s' serve < %s > %s", prog, ip, op);
    free(out);
    unsigned char got[512];
    f = fopen(op, "rb");
    size_t n = f ? fread(got, 1, sizeof got, f) : 0;
    if (f)
        fclose(f);
    size_t hl = strlen(head);
    int same = n == hl + 32 && memcmp(got, head, hl) == 0 && memcmp(got + hl, ans, 32) == 0;
    if (!tap_ok(same, "PROTOCOL.md's test vector: bpcheck serve answers the framed request byte for byte"))
        tap_diag("got %zu bytes: %.*s", n, (int)(n < 200 ? n : 200), (const char *)got);
    unlink(ip), unlink(op);
}

int main(void)
{
    prog = tu_env("BPCHECK");
    helpers = tu_env("BPCHECK_HELPERS");
    python = getenv("BPCHECK_PYTHON") ? getenv("BPCHECK_PYTHON") : "/usr/bin/python3";
    char *out;
    long p = -1, f = -1, s = -1;
    child_exec();

    /* The bundled reference is green, and shows what success looks like. */
    int rc = tu_sh(&out, "'%s' conform", prog);
    int parsed = tu_summary(out, &p, &f, &s); /* before p is printed: argument order is unspecified */
    tap_ok(rc == 0 && parsed && p >= 200 && f == 0 && s == 0 && !strstr(out, "Summary:"),
           "conform: 'bpcheck conform' alone (the bundled reference) passes all %ld cases, with no "
           "failure summary", p);
    free(out);
    rc = tu_sh(&out, "'%s' conform --deep --only 'loglik/*'", prog);
    tap_ok(rc == 0 && tu_summary(out, &p, &f, &s) && p == 79 && f == 0,
           "conform: --deep (z, a and delta too) passes the 79 loglik cases (13 with their own activations)");
    free(out);

    if (getenv("BPCHECK_QUICK")) {
        tap_skip("the numpy adapter, the mutants and hostile implementations: BPCHECK_QUICK is set");
        return tap_done();
    }

    /* Usage and unusable input: exit 2 with a message. */
    rc = tu_sh(&out, "'%s' conform --frobnicate", prog);
    tap_ok(rc == 2 && strstr(out, "unknown option '--frobnicate'"), "conform: an unknown option: exit 2");
    free(out);
    rc = tu_sh(&out, "'%s' conform --profile float16", prog);
    tap_ok(rc == 2 && strstr(out, "expected float64 or float32"), "conform: a bad --profile: exit 2");
    free(out);
    rc = tu_sh(&out, "'%s' conform --format xml", prog);
    tap_ok(rc == 2 && strstr(out, "--format 'xml': expected tap or json"), "conform: a bad --format: exit 2");
    free(out);
    /* --exclude, and no green on nothing: a pattern that selects nothing is an error, and a run
     * that judged no case exits 1 unless --allow-empty */
    rc = tu_sh(&out, "'%s' conform --only 'quadratic/*' --exclude '*:*' --exclude '*/m7/*'", prog);
    tap_ok(rc == 0 && tu_summary(out, &p, &f, &s) && p > 0 && f == 0 && s == 0 && !strstr(out, ":sigmoid") &&
               !strstr(out, "/m7/"),
           "conform: --exclude (repeatable) leaves its cases out: %ld run", p);
    free(out);
    rc = tu_sh(&out, "'%s' conform --only 'quadratc/*' 2>&1", prog);
    tap_ok(rc == 2 && strstr(out, "--only 'quadratc/*' matches no case of"),
           "conform: an --only pattern that matches no case is an error (exit 2), named");
    free(out);
    rc = tu_sh(&out, "'%s' conform --exclude 'nothing/*' 2>&1", prog);
    tap_ok(rc == 2 && strstr(out, "--exclude 'nothing/*' matches no case of"),
           "conform: so is an --exclude pattern that matches none");
    free(out);
    rc = tu_sh(&out, "'%s' conform --only 'loglik/*' --exclude 'loglik/*' 2>&1", prog);
    tap_ok(rc == 2 && strstr(out, "leave none of the"), "conform: --only and --exclude that leave nothing: exit 2");
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile unsupported' --only 'quadratic/3-4-2/m1/*' 2>&1", prog, helpers);
    {
        int counted = tu_summary(out, &p, &f, &s);
        tap_ok(rc == 1 && counted && p == 0 && f == 0 && s > 0 && strstr(out, "# no case was judged"),
               "conform: a run in which every case is skipped (%ld) exits 1, and says so", s);
    }
    free(out);
    rc = tu_sh(&out, "'%s' conform --allow-empty --impl '%s/hostile unsupported' --only 'quadratic/3-4-2/m1/*' 2>&1",
               prog, helpers);
    tap_ok(rc == 0 && !strstr(out, "no case was judged"), "conform: --allow-empty accepts a run of nothing");
    free(out);
    /* Fail fast (issue 26): an implementation that cannot start stops the run at its first
     * case, which shows the exit status, the child's last lines on stderr and what to try;
     * the rest are failed as not run, one line each. */
    rc = tu_sh(&out, "'%s' conform --impl ./no-such-adapter --fixtures fixtures/quadratic.json 2>/dev/null", prog);
    {
        long p = -1, f = -1, s = -1;
        int counted = tu_summary(out, &p, &f, &s);
        tap_ok(rc == 1 && counted && p == 0 && f > 1 && strstr(out, "did not start: exited with status 127") &&
                   strstr(out, "./no-such-adapter: not found") && strstr(out, "the shell found no such command") &&
                   strstr(out, "(not run)\n") && !strstr(out, "\nnot ok 2 - quadratic/3-4-2:tanh,sigmoid/m7/mean/typical\n  ---") &&
                   strstr(out, " cases not run (counted as failed): the implementation cannot be run (case 1"),
               "conform --impl ./no-such-adapter: stops at case 1 (status 127, the shell's message, what to "
               "try); %ld cases failed, the rest as not run", f);
        if (!counted || p != 0)
            tap_diag("%s", out);
    }
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile diesay' --only 'quadratic/3-4-2/*' 2>/dev/null", prog, helpers);
    tap_ok(rc == 1 && strstr(out, "exited with status 1") && strstr(out, "    - \"ModuleNotFoundError: No module named 'numpy'\"") &&
               strstr(out, "its interpreter lacks a module") && strstr(out, "0 passed, 6 failed"),
           "conform: an implementation that dies at start (a missing module): its stderr's last lines "
           "in the YAML, the advice names the interpreter, the run stops");
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile banner' --only 'quadratic/3-4-2/*' 2>/dev/null", prog, helpers);
    tap_ok(rc == 1 && strstr(out, "first line on stdout is not an answer") && strstr(out, "began \\\"Loading model...\\\\n") &&
               strstr(out, "print that to stderr") && strstr(out, "0 passed, 6 failed"),
           "conform: a line printed on stdout before the first answer: named, its first bytes shown, the run stops");
    free(out);
    hostile("several", "failed", "it answers the previous request, so the answers are a line behind");
    /* Capabilities (PROTOCOL.md): what is declared is all that is sent */
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile caps' 2>/dev/null", prog, helpers);
    {
        long p = -1, f = -1, s = -1;
        int counted = tu_summary(out, &p, &f, &s);
        tap_ok(rc == 0 && counted && p > 0 && f == 0 && s > 0 &&
                   strstr(out, "SKIP outside the implementation's capabilities: it declares costs [quadratic]; "
                               "this case's cost is loglik") &&
                   strstr(out, "# step never asked: the implementation's capabilities leave it out") &&
                   strstr(out, "skipped as outside the capabilities"),
               "conform: an implementation that declares the quadratic cost, and cost and grad: the other "
               "costs are skipped with the reason (%ld), the step never asked and said so (%ld passed)", s, p);
    }
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile badcaps' --only 'quadratic/3-4-2/*' 2>/dev/null", prog, helpers);
    tap_ok(rc == 1 && strstr(out, "'capabilities.costs' is not a list of names") && strstr(out, "0 passed, 6 failed"),
           "conform: malformed capabilities: named, and the run stops");
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl 'tee /tmp/bpcheck-hello-%ld | %s/hostile none' --only 'quadratic/3-4-2/m1/*' "
               "--frames off >/dev/null; head -1 /tmp/bpcheck-hello-%ld; rm -f /tmp/bpcheck-hello-%ld",
               prog, (long)getpid(), helpers, (long)getpid(), (long)getpid());
    tap_ok(strstr(out, "\"id\": \"bpcheck:hello\"") && strstr(out, "\"capabilities\": [\"costs\", \"activations\", "
                                                                 "\"reductions\", \"want\", \"precision\", \"frames\"]") &&
               !strstr(out, "\"frames\": ["),
           "conform --frames off: the hello invites the capabilities and offers no frames");
    free(out);
    rc = tu_sh(&out, "'%s' conform --fixtures /nonexistent/dir", prog);
    tap_ok(rc == 2 && strstr(out, "/nonexistent/dir"), "conform: a missing fixtures directory: exit 2, named");
    free(out);
    rc = conform_on_file(&out, "broken.json", "{\"format\": \"bpcheck-fixture/1\", \"cases\": [", "");
    tap_ok(rc == 2 && strstr(out, "broken.json") && strstr(out, "not valid JSON"),
           "conform: a malformed fixture file: exit 2, naming the file");
    free(out);

    /* Hostile implementations: the m1 cases misbehave, the others answer right. */
    hostile("crash", "4 passed, 2 failed, 0 skipped", "killed by SIGSEGV");
    hostile("hang", "4 passed, 2 failed, 0 skipped", "no answer within 2 s");
    hostile("garbage", "4 passed, 2 failed, 0 skipped", "not valid JSON");
    hostile("truncate", "4 passed, 2 failed, 0 skipped", "cut off after");
    hostile("oversize", "4 passed, 2 failed, 0 skipped", "longer than 1048576 bytes");
    hostile("nan", "4 passed, 2 failed, 0 skipped", "got: .nan");
    hostile("shape", "4 passed, 2 failed, 0 skipped", "has 3 rows; expected 4");
    hostile("id", "4 passed, 2 failed, 0 skipped", "id is 'someone-else'");
    hostile("error", "4 passed, 2 failed, 0 skipped", "reported an error: out of GPU memory");
    hostile("unsupported", "4 passed, 0 failed, 2 skipped", "SKIP unsupported: no batches of one");
    hostile("partial", "6 passed, 0 failed, 0 skipped", NULL);
    hostile("exit", "0 passed, 6 failed, 0 skipped", "exited with status 3");
    hostile("noise", "6 passed, 0 failed, 0 skipped", NULL);

    /* Binary frames: the test vector, the same verdicts with and without them, and hostile
     * frames, each a failed case with its message, the run going on */
    test_vector();
    rc = tu_sh(&out, "'%s' conform --deep --frames off | tail -1; '%s' conform --deep --impl "
               "'%s serve | tee /tmp/bpcheck-frames-%ld' | tail -1; head -c 200 /tmp/bpcheck-frames-%ld "
               "| sed -n 2p | cut -c1-300; rm -f /tmp/bpcheck-frames-%ld", prog, prog, prog,
               (long)getpid(), (long)getpid(), (long)getpid());
    tap_ok(rc == 0 && strstr(out, "281 passed, 0 failed, 0 skipped\n281 passed, 0 failed, 0 skipped\n") &&
           strstr(out, "\"frames\":\"f64\",\"arrays\":[\"grad\",\"step\",\"z\",\"a\",\"delta\"]"),
           "conform --deep: 281 of 281 over JSON lines (--frames off) and over frames (the answers "
           "framed, every array in the payload)");
    free(out);
    rc = tu_sh(&out, "'%s' conform --frames sometimes 2>&1", prog);
    tap_ok(rc == 2 && strstr(out, "--frames 'sometimes': expected off or auto"), "conform: a bad --frames: exit 2");
    free(out);
    hostile_with("framed", "none", "6 passed, 0 failed, 0 skipped", NULL);
    hostile_with("framed", "length", "4 passed, 2 failed, 0 skipped", "payload is 424 bytes; grad, step for");
    hostile_with("framed", "arrays", "4 passed, 2 failed, 0 skipped", "'arrays' lists a name that is not a wanted array, or one twice");
    hostile_with("framed", "type", "4 passed, 2 failed, 0 skipped", "'frames' is not the element type of the session");
    hostile_with("framed", "cut", "4 passed, 2 failed, 0 skipped", "the payload was cut off after 0 of 208 bytes");
    hostile_with("framed", "stall", "4 passed, 2 failed, 0 skipped", "the payload stopped after 0 of 208 bytes for 2 s");
    hostile_with("framed", "nan", "4 passed, 2 failed, 0 skipped", "NaN in grad: 1 of 26 entries");
    hostile_with("framed", "unasked", "4 passed, 2 failed, 0 skipped", "this session speaks JSON lines");

    /* A program that keeps hanging: after --hangs cases in a row time out, the run stops and
     * says so; the rest are counted, not waited for */
    rc = tu_sh(&out, "'%s' conform --impl 'sleep 1000' --timeout 0.3 --only 'quadratic/*' 2>&1", prog);
    tap_ok(rc == 1 && strstr(out, "# 100 cases not run (counted as failed): the implementation hangs: 3 "
                                  "cases in a row got no answer within 0.3 s (--hangs 3)") &&
               strstr(out, "0 passed, 103 failed, 0 skipped"),
           "conform: a hung implementation: 3 timeouts, then 'the implementation hangs' and 100 cases "
           "counted as not run");
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl 'sleep 1000' --timeout 0.2 --hangs 0 --only 'quadratic/1-1/*' "
               "2>&1 | tail -1", prog);
    tap_ok(rc == 0 && strstr(out, "0 passed, 4 failed, 0 skipped"), "conform --hangs 0: every case "
           "waited for (4 timeouts)");
    free(out);
    /* No implementation left behind: SIGTERM to the runner kills the implementation's whole
     * process group, a background process it started included; so does the end of a run */
    {
        long me = (long)getpid();
        rc = tu_sh(&out, "rm -f /tmp/bpcheck-pg-%ld-*; '%s' conform --only 'quadratic/3-4-2/*' --impl "
                   "'sleep 1000 & echo $! > /tmp/bpcheck-pg-%ld-bg; echo $$ > /tmp/bpcheck-pg-%ld-sh; exec sleep 1000' "
                   ">/dev/null 2>&1 & r=$!; for i in $(seq 50); do [ -s /tmp/bpcheck-pg-%ld-bg ] && break; sleep 0.1; done; "
                   "kill -TERM $r; wait $r 2>/dev/null; echo \"runner $?\"; sleep 0.2; for f in bg sh; do kill -0 $(cat "
                   "/tmp/bpcheck-pg-%ld-$f) 2>/dev/null && echo \"$f alive\"; done; rm -f /tmp/bpcheck-pg-%ld-*",
                   me, prog, me, me, me, me, me);
        tap_ok(strstr(out, "runner 143") && !strstr(out, "alive"), "conform killed by SIGTERM: the "
               "implementation and the background process it started are killed too");
        if (!strstr(out, "runner 143") || strstr(out, "alive"))
            tap_diag("%s", out);
        free(out);
        rc = tu_sh(&out, "rm -f /tmp/bpcheck-pg-%ld-*; '%s' conform --only 'quadratic/3-4-2/*' --impl "
                   "'sleep 1000 & echo $! > /tmp/bpcheck-pg-%ld-bg; exec %s serve' 2>&1 | tail -1; sleep 0.2; "
                   "kill -0 $(cat /tmp/bpcheck-pg-%ld-bg) 2>/dev/null && echo 'bg alive'; rm -f /tmp/bpcheck-pg-%ld-*",
                   me, prog, me, prog, me, me);
        tap_ok(strstr(out, "6 passed, 0 failed, 0 skipped") && !strstr(out, "alive"), "conform: an "
               "implementation that leaves a background process holding its output: the run ends, and "
               "the process is killed with its group");
        free(out);
    }

    /* A binary fixture (FORMAT.md, "Binary companion"): passes as its JSON twin does; a
     * damaged companion is refused naming the file, case and field */
    {
        char dir[] = "/tmp/bpcheck-bin-XXXXXX";
        if (!mkdtemp(dir))
            tap_bail_out("mkdtemp failed");
        rc = tu_sh(&out, "'%s' fixtures --model loglik --sizes 3,5,4,2 --batch 7 --activations "
                   "tanh,relu,sigmoid --binary yes -o %s/c.json >/dev/null && ls %s && '%s' conform --deep "
                   "--fixtures %s/c.json | tail -1", prog, dir, dir, prog, dir);
        tap_ok(rc == 0 && strstr(out, "c.bin\nc.json\n1 passed, 0 failed, 0 skipped"),
               "fixtures --binary yes: c.json and its companion c.bin, which conform --deep passes");
        free(out);
        /* its parameters leave memory once sent and come back for the diagnosis */
        rc = tu_sh(&out, "'%s' conform --deep --fixtures %s/c.json --impl '%s/mutant bias-sign'",
                   prog, dir, tu_env("BPCHECK_ADAPTERS"));
        tap_ok(rc == 1 && strstr(out, "hint: \"bias-sign:"), "a binary fixture's case, failed by the "
               "bias-sign mutant: the bug is named (the parameters read back for the diagnosis)");
        free(out);
        static const char *const damage[][2] = {
            {"truncate -s 100 c.bin", "refers to bytes"},
            {"rm c.bin", "its binary companion"},
            {"sed -i 's/\"count\": 15$/\"count\": 14/' c.json", "refers to 14 values in"},
            {"printf '\\000\\000\\000\\000\\000\\000\\370\\177' | dd of=c.bin bs=1 seek=0 conv=notrunc 2>/dev/null", "holds NaN or Inf at entry 0"},
            {"sed -i 's/\"binary\": \"c.bin\"/\"binary\": \"..\\/c.bin\"/' c.json", "field 'binary' must name a file beside this one"},
        };
        for (size_t k = 0; k < sizeof damage / sizeof *damage; k++) {
            rc = tu_sh(&out, "'%s' fixtures --model loglik --sizes 3,5,4,2 --batch 7 --binary yes -o "
                       "%s/c.json >/dev/null && (cd %s && %s) && '%s' conform --fixtures %s/c.json 2>&1",
                       prog, dir, dir, damage[k][0], prog, dir);
            if (!tap_ok(rc == 2 && strstr(out, damage[k][1]) && strstr(out, "c.json"),
                        "conform: a binary fixture damaged by '%s': exit 2, '%s', naming the file",
                        damage[k][0], damage[k][1]))
                tap_diag("exit %d: %s", rc, out);
            free(out);
        }
        tu_sh(&out, "rm -rf %s", dir);
        free(out);
    }

    /* The independent numpy adapter. */
    rc = tu_sh(&out, "'%s' -c 'import numpy'", python);
    free(out);
    if (rc != 0) {
        if (getenv("BPCHECK_REQUIRE_NUMPY"))
            tap_ok(0, "conform: %s with numpy is required here (BPCHECK_REQUIRE_NUMPY) but missing", python);
        else
            tap_skip("the numpy adapter and the mutants: %s has no numpy (apt-get install python3-numpy)",
                     python);
        return tap_done();
    }
    rc = tu_sh(&out, "'%s' conform --deep --impl '%s testsuite/adapters/numpy_adapter.py'", prog, python);
    parsed = tu_summary(out, &p, &f, &s);
    tap_ok(rc == 0 && parsed && p >= 200 && f == 0 && s == 0,
           "conform: the independent numpy adapter passes all %ld cases, --deep", p);
    free(out);
    rc = tu_sh(&out, "'%s' gradcheck --impl '%s testsuite/adapters/numpy_adapter.py' --model loglik "
            "--sizes 3,5,4,2", prog, python);
    tap_ok(rc == 0 && strstr(out, "order 2.00"), "gradcheck --impl: the numpy adapter's gradient "
           "against finite differences of its own cost passes (Taylor order 2)");
    free(out);
    rc = tu_sh(&out, "'%s' gradcheck --impl '%s testsuite/mutants/mutant.py sigma-prime-of-a' "
            "--model quadratic", prog, python);
    tap_ok(rc == 1 && strstr(out, "order 1.00") && strstr(out, "FAIL"), "gradcheck --impl: a mutant's "
           "gradient fails against its own cost, Taylor order 1");
    free(out);

    /* A failing run ends with its summary; with --deep each failure says where it starts. */
    rc = tu_sh(&out, "'%s' conform --deep --impl '%s testsuite/mutants/mutant.py sigma-prime-missing' "
               "--only 'quadratic/4-6-5-3/*' --only 'loglik/4-6-5-3/*'", prog, python);
    tap_ok(rc == 1 && strstr(out, "# Summary: 13 of 28 cases fail.") &&
               strstr(out, "#   by model:  quadratic 13 of 14; 1 other without a failure") &&
               strstr(out, "#   likely bug: \"no-sigma-prime-output: sigma' missing at the output") &&
               strstr(out, "#   look first at: quadratic/4-6-5-3/m1/") &&
               strstr(out, "  evidence:\n    - \"grad W^1 (6 x 4)") &&
               strstr(out, "  first_wrong: \"delta^3 wrong (the output error), the forward pass right: "
                           "000:4 / 002:BP1\""),
           "conform: sigma' missing at the output, --deep: each failure's evidence and first wrong "
           "quantity (000:4), and the run's summary (the model, the bug, the case to look at)");
    free(out);

    /* Without --deep, a failing case is asked again with z, a and delta: first_wrong then places
     * the bug; --no-retry-deep leaves the first answer's report; an implementation that does not
     * give them is asked again once in the run, not once a case. */
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py sign' --only 'quadratic/3-4-2/*'",
               prog, python);
    tap_ok(rc == 1 && strstr(out, "retried: \"asked again with z, a and delta (--deep) to place the failure") &&
               strstr(out, "first_wrong: \"delta^2 wrong (the output error)") && !strstr(out, "add --deep"),
           "conform: a failing case is asked again with z, a and delta, which place it (delta^2)");
    free(out);
    rc = tu_sh(&out, "'%s' conform --no-retry-deep --impl '%s testsuite/mutants/mutant.py sign' "
               "--only 'quadratic/3-4-2/*'", prog, python);
    tap_ok(rc == 1 && !strstr(out, "retried:") && strstr(out, "(add --deep to compare z, a and delta)"),
           "conform: --no-retry-deep: the first answer's report, which suggests --deep");
    free(out);
    {
        char script[] = "/tmp/bpcheck-shallow.XXXXXX";
        int fd = mkstemp(script);
        FILE *sf = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (sf) { /* the numpy adapter with its gradient doubled, and no z, a or delta */
            fprintf(sf, "import sys\nsys.path.insert(0, 'testsuite/adapters')\n"
                        "import numpy_adapter as na, bpcheck_protocol as bp\n"
                        "def answer(req):\n"
                        "    req['want'] = ['cost', 'grad', 'step']\n"
                        "    out = na.answer(req)\n"
                        "    out['grad'] = {'W': [2 * g for g in out['grad']['W']], 'b': out['grad']['b']}\n"
                        "    return out\n"
                        "bp.serve(answer)\n");
            fclose(sf);
        }
        rc = tu_sh(&out, "'%s' conform --impl '%s %s' --only 'quadratic/3-4-2/*'", prog, python, script);
        const char *once = strstr(out, "retried: \"asked again with z, a and delta: not given");
        int counted = tu_summary(out, &p, &f, &s); /* before f is printed */
        tap_ok(rc == 1 && once && !strstr(once + 1, "retried:") && counted && f >= 2,
               "conform: an implementation that does not give z, a and delta is asked again once, not "
               "once per failing case (%ld fail)", f);
        free(out);
        remove(script);
    }

    /* --format json: one object per case, then one with the counts and the summary */
    rc = tu_sh(&out, "'%s' conform --format json --impl '%s testsuite/mutants/mutant.py sign' --only "
               "'quadratic/3-4-2/*'", prog, python);
    {
        size_t lines = 0, objects = 0, failing = 0;
        int closing = 0;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            json_t *j = json_loads(line, 0, NULL);
            lines++;
            objects += json_is_object(j);
            json_t *v = json_object_get(j, "verdict");
            failing += json_is_string(v) && strcmp(json_string_value(v), "fail") == 0 &&
                       json_is_string(json_object_get(j, "hint")) &&
                       strncmp(json_string_value(json_object_get(j, "hint")), "sign-flipped:", 13) == 0;
            json_t *sum = json_object_get(j, "summary"), *h = json_array_get(json_object_get(sum, "hints"), 0);
            closing |= json_integer_value(json_object_get(j, "failed")) == 6 &&
                       strncmp(json_string_value(json_object_get(h, "hint")) ? json_string_value(json_object_get(h, "hint")) : "",
                               "sign-flipped:", 13) == 0;
            json_decref(j);
        }
        tap_ok(rc == 1 && lines == 7 && objects == 7 && failing == 6 && closing,
               "conform --format json: 6 lines, one JSON object per case (fail, hint sign-flipped), and a "
               "closing object with the counts and the summary (%zu lines, %zu objects)", lines, objects);
    }
    free(out);

    /* Every mutant is rejected, and named. */
    FILE *list = fopen("testsuite/mutants/mutants.txt", "r");
    if (!list)
        tap_bail_out("cannot read testsuite/mutants/mutants.txt");
    char line[1024];
    size_t mutants = 0, diagnosed = 0;
    while (fgets(line, sizeof line, list)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *field[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4; k++) {
            char *sep = field[k - 1] ? strstr(field[k - 1], " ||| ") : NULL;
            if (!sep)
                tap_bail_out("mutants.txt: a line without 4 fields");
            *sep = '\0';
            field[k] = sep + 5;
        }
        char only[1024] = "";
        for (char *g = strtok(field[2], " "); g; g = strtok(NULL, " "))
            snprintf(only + strlen(only), sizeof only - strlen(only), " --only '%s'", g);
        rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py %s'%s", prog, python,
                field[0], only);
        int named = strstr(out, field[3]) != NULL;
        mutants++;
        diagnosed += named && rc == 1;
        if (!tap_ok(rc == 1 && named, "conform: mutant '%s' (%s) is rejected, hint '%s'", field[0],
                    field[1], field[3]))
            tap_diag("exit %d, output:\n%s", rc, out);
        free(out);
    }
    fclose(list);
    tap_ok(mutants >= 15 && diagnosed * 10 >= mutants * 8, "conform: %zu mutants, %zu diagnosed by "
           "the right hint (at least 80%%)", mutants, diagnosed);

    /* The xfail list is strict. */
    const char *signed_cases = "--only 'quadratic/3-4-2/m7/*/typical'";
    const char *xf = tu_temp_file("quadratic/3-4-2/m7/sum/typical\nquadratic/3-4-2/m7/mean/typical\n");
    char xpath[64];
    snprintf(xpath, sizeof xpath, "%s", xf);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py sign' %s --xfail %s", prog,
            python, signed_cases, xpath);
    tap_ok(rc == 0 && strstr(out, "# TODO expected failure") && strstr(out, "2 expected failures"),
           "conform --xfail: failures that are listed are expected (exit 0)");
    free(out);
    rc = tu_sh(&out, "'%s' conform %s --xfail %s", prog, signed_cases, xpath);
    tap_ok(rc == 1 && strstr(out, "unexpected pass"), "conform --xfail: a listed case that passes "
           "fails the run");
    free(out);
    unlink(xpath);
    xf = tu_temp_file("no/such/case\n");
    snprintf(xpath, sizeof xpath, "%s", xf);
    rc = tu_sh(&out, "'%s' conform %s --xfail %s", prog, signed_cases, xpath);
    tap_ok(rc == 1 && strstr(out, "'no/such/case' is not a case id"), "conform --xfail: an unknown "
           "id fails the run");
    free(out);
    unlink(xpath);
    xf = tu_temp_file("quadratic/3-4-2/m1/sum/typical\nquadratic/3-4-2/m1/mean/typical\n");
    snprintf(xpath, sizeof xpath, "%s", xf);
    rc = tu_sh(&out, "'%s' conform --impl '%s/hostile crash' --only 'quadratic/3-4-2/*' --xfail %s", prog,
            helpers, xpath);
    tap_ok(rc == 1 && strstr(out, "killed by SIGSEGV"), "conform --xfail: a crash where a failure "
           "was listed fails the run");
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py factor-2' --only 'quadratic/*/m7/*/typical' "
            "--xfail %s --xfail-update", prog, python, xpath);
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py factor-2' --only 'quadratic/*/m7/*/typical' "
            "--xfail %s", prog, python, xpath);
    tap_ok(rc == 0 && tu_summary(out, &p, &f, &s) && f == 0 && strstr(out, "expected failures"),
           "conform --xfail-update: rewrites the list with today's failures; the next run passes");
    free(out);
    unlink(xpath);

    /* JUnit, the float32 profile, tolerance overrides */
    char junit[] = "/tmp/bpcheck-junit-XXXXXX";
    int fd = mkstemp(junit);
    close(fd);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py sign' %s --junit %s", prog,
            python, signed_cases, junit);
    free(out);
    tu_sh(&out, "cat %s", junit);
    tap_ok(rc == 1 && strstr(out, "<testsuite name=\"bpcheck conform\" tests=\"2\" failures=\"2\"") &&
               strstr(out, "<failure message=") && strstr(out, "sign-flipped:") &&
               strstr(out, "<system-out>Summary: 2 of 2 cases fail") &&
               strstr(out, "likely bug: &quot;sign-flipped:"),
           "conform --junit: a JUnit XML report with the counts, each failure's diagnosis, and the "
           "run's summary");
    free(out);
    /* a skip in JUnit; the peak memory a run reports when asked (BPCHECK_PEAK_MEMORY, for make
     * bench) */
    rc = tu_sh(&out, "BPCHECK_PEAK_MEMORY=1 '%s' conform --impl '%s/hostile unsupported' --fixtures "
               "fixtures/quadratic.json --only 'quadratic/3-4-2/m1/sum/*' --allow-empty --junit %s", prog, helpers,
               junit);
    long kib = strstr(out, "peak memory ") ? atol(strstr(out, "peak memory ") + 12) : -1;
    free(out);
    tu_sh(&out, "cat %s", junit);
    tap_ok(rc == 0 && kib > 1000 && strstr(out, "tests=\"1\" failures=\"0\" skipped=\"1\"") &&
               strstr(out, "<skipped message=\"unsupported: no batches of one\"/>"),
           "conform --junit: a skipped case with its reason; BPCHECK_PEAK_MEMORY prints the peak (%ld KiB)",
           kib);
    free(out);
    unlink(junit);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py float32' --profile float32 "
            "--only 'quadratic/3-4-2/m7/*/typical'", prog, python);
    tap_ok(rc == 0, "conform --profile float32: a float32 implementation passes (the float32 bounds)");
    free(out);

    /* a case no float32 implementation can meet: a counted SKIP under --profile float32 */
    rc = conform_on_file(&out, "unmeetable.json",
        "{\"format\": \"bpcheck-fixture/2\", \"generator\": \"t\", \"notes\": {}, \"cases\": [{\"id\": "
        "\"quadratic/2-1/m1/sum/big\", \"model\": {\"cost\": \"quadratic\", \"sizes\": [2, 1], "
        "\"reduction\": \"sum\"}, \"params\": {\"W\": [[[1.5, -2]]], \"b\": [[0.5]]}, \"batch\": "
        "{\"x\": [[1e39, 2]], \"y\": [[0.5]]}, \"eta\": 0.5, \"expected\": {\"cost\": 0.125, \"grad\": "
        "{\"W\": [[[0, 0]]], \"b\": [[0]]}, \"step\": {\"W\": [[[1.5, -2]]], \"b\": [[0.5]]}, \"z\": "
        "[[[1.5e39]]], \"a\": [[[1]]], \"delta\": [[[0]]]}, \"flags\": [], \"equations\": [], "
        "\"tolerance\": {\"float64\": {\"cost\": 1e-16, \"grad\": {\"W\": [[[1e-300, 1e-300]]], \"b\": "
        "[[1e-300]]}, \"step\": {\"W\": [[[1e-16, 1e-16]]], \"b\": [[1e-16]]}, \"z\": [[[1e24]]], \"a\": "
        "[[[1e-16]]], \"delta\": [[[1e-300]]]}, \"float32\": {\"unmeetable\": \"batch.x holds 1e+39, beyond "
        "the largest number of the precision (3.4e+38)\"}}}]}\n",
        "--profile float32 --allow-empty");
    tap_ok(rc == 0 && strstr(out, "ok 1 - quadratic/2-1/m1/sum/big # SKIP no correct float32 implementation "
                                  "can meet this case: batch.x holds 1e+39") &&
               strstr(out, "# 1 skipped as unmeetable in float32") && strstr(out, "0 passed, 0 failed, 1 skipped"),
           "conform --profile float32: a case float32 cannot hold is a SKIP with its reason, counted");
    free(out);

    /* marginal: a gradient a few bounds off is said to be so, with the factor, and unnamed */
    rc = tu_sh(&out, "'%s' conform --impl '%s/variant --variant nudge' --only 'quadratic/*'", prog,
               tu_env("BPCHECK_ADAPTERS"));
    size_t marginal = 0, named = 0, factored = 0;
    for (char *blk = strstr(out, "\nnot ok"); blk; blk = strstr(blk + 1, "\nnot ok")) {
        char *end = strstr(blk + 1, "\n  ...");
        if (!end)
            break;
        char saved = *end;
        *end = '\0';
        if (strstr(blk, "verdict: \"marginal")) {
            marginal++;
            named += strstr(blk, "hint:") != NULL;
            factored += strstr(blk, "marginally: the worst error is") && strstr(blk, "error_over_bound:");
        }
        *end = saved;
    }
    if (!tap_ok(rc == 1 && marginal >= 10 && named == 0 && factored == marginal,
                "conform: a gradient off by 2^-44 relative fails as marginal on %zu cases, each with its "
                "factor, none with a bug hint (%zu named)", marginal, named))
        tap_diag("exit %d", rc);
    free(out);
    rc = tu_sh(&out, "'%s' conform --impl '%s testsuite/mutants/mutant.py factor-2' --rtol 2 --atol 1 "
            "--only 'quadratic/3-4-2/m7/*/typical'", prog, python);
    tap_ok(rc == 0, "conform --rtol/--atol: override every case's tolerance");
    free(out);
    return tap_done();
}
