/* testsuite/conform/run.c: the run of `bpcheck conform` (runner.h): every selected case in
 * turn, sent to the child (or the implementation in this process), answered and judged; a
 * failing case asked again with z, a and delta; a run that hangs stopped. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

const char *const cf_want[6] = {"cost", "grad", "step", "z", "a", "delta"};

/* Set when an implementation asked again with z, a and delta did not give them: it is not
 * asked again in this run. */
static int deep_refused;

void cf_run_reset(void)
{
    deep_refused = 0;
}

/* A case the profile's precision cannot meet: a SKIP, said so (1); 0 otherwise. */
static int unmeetable(cf_result *res, const bp_case *c, const cf_opts *o)
{
    if (c->bounds[o->float32 ? BP_FLOAT32 : BP_FLOAT64] || !isnan(o->rtol) || !isnan(o->atol))
        return 0;
    res->v = R_SKIP, res->unmeetable = 1;
    snprintf(res->message, sizeof res->message, "no correct %s implementation can meet this case: %s",
             o->float32 ? "float32" : "float64", c->unmeetable[o->float32 ? BP_FLOAT32 : BP_FLOAT64]);
    return 1;
}

/* What to try when the implementation did not start: by its exit status (the shell's 127
 * and 126) and what it said on stderr. */
static void advice(char *out, size_t len, const bp_child *ch, const char *err, const cf_opts *o)
{
    const char *path = getenv("PATH");
    if (ch->start_failed)
        snprintf(out, len, "the runner could not start any process (out of file descriptors or "
                 "processes? ulimit -n, ulimit -u)");
    else if (ch->exit_status == 127)
        snprintf(out, len, "the shell found no such command: check the first word of --impl '%.300s' "
                 "(a path relative to %s?), or PATH (%.300s)", o->impl, "the current directory",
                 path ? path : "unset");
    else if (ch->exit_status == 126)
        snprintf(out, len, "the command is there but cannot be run: make it executable (chmod +x) or "
                 "name its interpreter (--impl 'python3 adapter.py')");
    else if (strstr(err, "No module named") || strstr(err, "ImportError") || strstr(err, "cannot open shared"))
        snprintf(out, len, "its interpreter lacks a module or library it loads (above): install it for "
                 "that interpreter, or name the interpreter that has it in --impl (/usr/bin/python3 "
                 "adapter.py); run it by hand to see: echo | %.300s", o->impl);
    else
        snprintf(out, len, "run it by hand to see it fail: echo | %.300s (for a script, check that its "
                 "interpreter is the one with its modules: command -v python3)", o->impl);
}

/* The implementation cannot be run (it did not start, died before any answer, or its first
 * line is not the protocol): the case says so once, with the child's last lines on stderr and
 * what to try, and the run stops (res->stop). */
static void fail_fast(cf_result *res, const bp_case *c, const bp_child *ch, int garbled, const cf_opts *o)
{
    char err[1200], try_[800], msg[sizeof res->message];
    bp_child_stderr_tail(ch, 8, err, sizeof err);
    snprintf(msg, sizeof msg, "%s", res->message);
    if (garbled)
        snprintf(res->message, sizeof res->message, "%.700s: something in it prints to stdout (a debug "
                 "print, a banner, a library's notice), so every answer would be a line behind; print "
                 "that to stderr (Python: print(..., file=sys.stderr)); the run stops", msg);
    else if (strncmp(msg, "the implementation could not be started: ", 41) == 0) /* said already */
        snprintf(res->message, sizeof res->message, "%.800s; the run stops", msg);
    else
        snprintf(res->message, sizeof res->message, "the implementation did not start: %.800s; the run "
                 "stops", strncmp(msg, "no answer: the implementation ", 30) == 0 ? msg + 30 : msg);
    res->stop = 1;
    cf_protocol_block(res, c);
    cf_add_note(res, "command", o->impl);
    if (err[0])
        cf_add_lines(res, "stderr", err);
    if (!garbled) {
        advice(try_, sizeof try_, ch, err, o);
        cf_add_note(res, "try", try_);
    }
}

/* Start the child when it is not running: its hello. 0, or -1 with the case failed. */
static int started(cf_result *res, bp_child *ch, const bp_case *c, const cf_opts *o)
{
    if (ch->pid != 0 && !ch->prestarted) /* running, its hello done */
        return 0;
    char msg[900];
    int garbled = 0;
    size_t before = ch->answers;
    bp_child_status st = cf_negotiate(ch, o, &garbled, msg, sizeof msg);
    if (st == CHILD_OK)
        return 0;
    res->timed_out = st == CHILD_TIMEOUT;
    if (ch->start_failed)
        snprintf(res->message, sizeof res->message, "the implementation could not be started: %.400s", msg);
    else
        snprintf(res->message, sizeof res->message, "%.800s, at the hello (the first request it gets: "
                 "PROTOCOL.md)", msg);
    /* never answered in this run, it died or could not start; or its first line is not the protocol */
    if (before == 0 && st != CHILD_TIMEOUT)
        fail_fast(res, c, ch, garbled, o);
    return -1;
}

static void run_case_sent(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                          const cf_opts *o)
{
    memset(res, 0, sizeof *res);
    if (unmeetable(res, c, o))
        return;
    unsigned want = o->deep ? CF_WANT_ALL : CF_WANT_BASIC;
    res->v = R_FAIL, res->protocol = 1;
    if (cf_inproc) {
        json_t *r = cf_inproc_answer(c, want);
        cf_framed fr = {NULL, NULL, NULL, {0}};
        if (!r)
            snprintf(res->message, sizeof res->message, "out of memory for the answer"), res->ours = 1;
        else
            cf_judge(res, c, prev, r, &fr, o, want);
        return;
    }
    bp_child_deadline(ch, o->timeout); /* the hello has a deadline of its own */
    int down = started(res, ch, c, o);
    bp_child_deadline(ch, o->timeout); /* one deadline: the request, the computation, the answer */
    if (down) {
        bp_child_deadline(ch, 0);
        return;
    }
    if (!cf_session_declares(c, o, res->message, sizeof res->message)) {
        res->v = R_SKIP, res->protocol = 0, res->outside = 1;
        bp_child_deadline(ch, 0);
        return;
    }
    char msg[512], *answer = NULL;
    int framing = 0;
    bp_error terr;
    cf_tensor_tests(c, o, &terr); /* while the parameters are here (the send may drop them) */
    bp_child_status st = cf_send_case(ch, c, cf_session_want(want), &framing, msg, sizeof msg);
    if (st == CHILD_OK)
        st = bp_child_recv(ch, &answer, o->timeout, msg, sizeof msg);
    if (st != CHILD_OK) {
        snprintf(res->message, sizeof res->message, "%s", msg);
        res->timed_out = st == CHILD_TIMEOUT;
        res->ours = ch->oom;
        ch->oom = 0;
        bp_child_deadline(ch, 0);
        return;
    }
    cf_read_answer(res, ch, c, prev, answer, framing, o, cf_session_want(want));
    bp_child_deadline(ch, 0);
    if (res->behind)
        bp_child_kill(ch); /* the stream is out of step: the next case starts afresh */
}

/* One case. A large case's parameters (in a binary companion) leave memory once sent, while
 * the answer is read and compared, and come back after: the runner then holds about twice the
 * case's data, not two and a third times. */
static void run_case_restored(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                              const cf_opts *o)
{
    run_case_sent(res, ch, c, prev, o);
    bp_error err;
    if (bp_case_params_restore((bp_case *)c, &err) && res->v != R_FAIL) {
        res->v = R_FAIL, res->protocol = 1;
        snprintf(res->message, sizeof res->message, "%s", err.msg);
    }
}

/* A failing case asked again with z, a and delta (--deep), so that first_wrong places the bug
 * in a layer without the user knowing about --deep. The second answer's report replaces the
 * first when it fails too and gives them; the implementation's previous request is then this
 * case (a stateful one answers from it). */
static void retry_deep(cf_result *res, bp_child *ch, const bp_case *c, const cf_opts *o)
{
    cf_opts od = *o;
    od.deep = 1;
    cf_result r2;
    run_case_restored(&r2, ch, c, c, &od);
    if (r2.v == R_FAIL && !r2.protocol && r2.deep_given && r2.print != res->print) {
        /* the second answer's cost, gradient or step differ from the first's: state kept
         * between requests. The first report stands, placed by the second */
        char note[400];
        snprintf(note, sizeof note, "asked again with z, a and delta (--deep), it answered otherwise (state "
                 "kept between requests?), with first_wrong: %s", r2.first);
        cf_add_note(res, "retried", note);
    } else if (r2.v == R_FAIL && !r2.protocol && r2.deep_given) {
        free(res->yaml), json_decref(res->detail);
        *res = r2;
        if (res->hint) /* it pointed into r2 */
            res->hint = res->hint_text;
        cf_add_note(res, "retried", "asked again with z, a and delta (--deep) to place the failure; "
                                 "--no-retry-deep turns this off");
        return;
    } else if (r2.v == R_PASS)
        cf_add_note(res, "retried", "asked again with z, a and delta, it passed: two asks of one case got "
                                 "different answers (state kept between requests?)");
    else if (!r2.deep_given || r2.protocol) {
        deep_refused = 1;
        cf_add_note(res, "retried", "asked again with z, a and delta: not given, so no case is asked again");
    }
    free(r2.yaml), json_decref(r2.detail);
}

static void run_case(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev, const cf_opts *o)
{
    run_case_restored(res, ch, c, prev, o);
    if (res->v == R_FAIL && !res->protocol && !res->marginal && !o->deep && o->retry_deep && !deep_refused &&
        (cf_inproc || (cf_session_want(CF_WANT_ALL) & CF_WANT_DEEP)))
        retry_deep(res, ch, c, o);
}

/* The implementation cannot answer any more: every case left is failed with why (1), not run. */
static int not_run(cf_result *res, const cf_report *r)
{
    if (!r->stop_msg[0])
        return 0;
    memset(res, 0, sizeof *res);
    res->v = R_FAIL, res->protocol = 1, res->not_run = 1;
    snprintf(res->message, sizeof res->message, "not run: %s", r->stop_msg);
    return 1;
}

/* Case ci of file f in memory for its turn: 1, or 0 with res failed (the file changed). */
static int case_read(cf_result *res, bp_fixture *f, size_t ci)
{
    bp_error err;
    if (bp_fixture_case_load(f, ci, &err) == 0)
        return 1;
    memset(res, 0, sizeof *res);
    res->v = R_FAIL, res->protocol = 1;
    snprintf(res->message, sizeof res->message, "%s", err.msg);
    cf_protocol_block(res, &f->cases[ci]);
    return 0;
}

/* Was the run interrupted (SIGINT, SIGTERM, SIGHUP: child.h)? The rest is then not run. */
static int interrupted(cf_report *r)
{
    int sig = bp_child_interrupted();
    if (!sig || r->interrupted)
        return sig != 0;
    r->interrupted = sig;
    if (!r->stop_msg[0]) /* a run already stopped says why it stopped */
        snprintf(r->stop_msg, sizeof r->stop_msg, "the run was interrupted by %s", sig == SIGINT ? "SIGINT (Ctrl-C)"
                 : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal");
    return 1;
}

void cf_run_all(cf_report *r, bp_child *ch, const bp_fixture_set *fs, cf_id_list *xf, const cf_opts *o)
{
    const bp_case *prev = NULL;
    bp_fixture *prev_f = NULL; /* the previous case stays read while this one runs (a stale answer is its) */
    size_t prev_ci = 0;
    size_t in_a_row = 0; /* cases timed out one after another */
    for (size_t fi = 0; fi < fs->nfiles; fi++)
        for (size_t ci = 0; ci < fs->files[fi]->ncases; ci++) {
            const bp_case *c = &fs->files[fi]->cases[ci];
            if (!cf_selected(o, c->id)) { /* held from the load (the first case is): let go */
                bp_fixture_case_unload(fs->files[fi], ci);
                continue;
            }
            cf_result res;
            interrupted(r);
            int skipped_run = not_run(&res, r), read = 0;
            if (!skipped_run && (read = case_read(&res, fs->files[fi], ci)))
                run_case(&res, ch, c, prev, o);
            if (!skipped_run && interrupted(r)) { /* during this case: its verdict is the signal's */
                free(res.yaml), json_decref(res.detail);
                skipped_run = not_run(&res, r), read = 0;
            }
            if (skipped_run)
                r->not_run++;
            in_a_row = res.timed_out ? in_a_row + 1 : 0;
            if (o->hangs && in_a_row == o->hangs && !r->stop_msg[0])
                snprintf(r->stop_msg, sizeof r->stop_msg, "the implementation hangs: %zu cases in a row got "
                         "no answer within %g s (--hangs %zu)", o->hangs, o->timeout, o->hangs);
            if (res.stop && !r->stop_msg[0])
                snprintf(r->stop_msg, sizeof r->stop_msg, "the implementation cannot be run (case %zu, %s, "
                         "says why)", r->n + 1, c->id);
            res.xfail = o->xfail_path && cf_xfail_listed(xf, c->id);
            cf_report_case(r, c, &res, read && !res.ours); /* the runner's own failure is no evidence */
            if (prev_f)
                bp_fixture_case_unload(prev_f, prev_ci);
            prev = read ? c : NULL, prev_f = read ? fs->files[fi] : NULL, prev_ci = ci;
        }
    if (prev_f)
        bp_fixture_case_unload(prev_f, prev_ci);
}
