/* testsuite/conform/run.c: the run of `bpcheck conform` (runner.h): every selected case in
 * turn, sent to the child (or the implementation in this process), answered and judged; a
 * failing case asked again with z, a and delta; a run that hangs stopped. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <math.h>
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

static void run_case_sent(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                          const cf_opts *o)
{
    memset(res, 0, sizeof *res);
    if (unmeetable(res, c, o))
        return;
    size_t nwant = o->deep ? 6 : 3;
    res->v = R_FAIL, res->protocol = 1;
    if (cf_inproc) {
        json_t *r = cf_inproc_answer(c, nwant);
        cf_framed fr = {NULL, NULL, NULL, {0}};
        if (!r)
            snprintf(res->message, sizeof res->message, "out of memory for the answer");
        else
            cf_judge(res, c, prev, r, &fr, o, nwant);
        return;
    }
    char msg[512], *answer = NULL;
    bp_child_status st = ch->pid == 0 ? cf_negotiate(ch, o, msg, sizeof msg) : CHILD_OK;
    if (st != CHILD_OK) {
        res->timed_out = st == CHILD_TIMEOUT;
        if (ch->start_failed)
            snprintf(res->message, sizeof res->message, "the implementation could not be started: %.400s",
                     msg);
        else
            snprintf(res->message, sizeof res->message, "%.400s, at its first request after starting, "
                     "which offered binary frames (--frames off leaves the offer out)", msg);
        return;
    }
    int framing = 0;
    st = cf_send_case(ch, c, nwant, &framing, msg, sizeof msg);
    if (st == CHILD_OK)
        st = bp_child_recv(ch, &answer, o->timeout, msg, sizeof msg);
    if (st != CHILD_OK) {
        snprintf(res->message, sizeof res->message, "%s", msg);
        res->timed_out = st == CHILD_TIMEOUT;
        return;
    }
    cf_read_answer(res, ch, c, prev, answer, framing, o, nwant);
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
    if (res->v == R_FAIL && !res->protocol && !res->marginal && !o->deep && o->retry_deep && !deep_refused)
        retry_deep(res, ch, c, o);
}

/* The implementation cannot answer any more: every case left is failed with why (1), not run. */
static int not_run(cf_result *res, const cf_report *r)
{
    if (!r->stop_msg[0])
        return 0;
    memset(res, 0, sizeof *res);
    res->v = R_FAIL, res->protocol = 1;
    snprintf(res->message, sizeof res->message, "not run: %s", r->stop_msg);
    return 1;
}

void cf_run_all(cf_report *r, bp_child *ch, const bp_fixture_set *fs, cf_id_list *xf, const cf_opts *o)
{
    const bp_case *prev = NULL;
    size_t in_a_row = 0; /* cases timed out one after another */
    for (size_t fi = 0; fi < fs->nfiles; fi++)
        for (size_t ci = 0; ci < fs->files[fi]->ncases; ci++) {
            const bp_case *c = &fs->files[fi]->cases[ci];
            if (!cf_selected(o, c->id))
                continue;
            cf_result res;
            int skipped_run = not_run(&res, r);
            if (skipped_run)
                r->not_run++;
            else
                run_case(&res, ch, c, prev, o);
            in_a_row = res.timed_out ? in_a_row + 1 : 0;
            if (o->hangs && in_a_row == o->hangs && !r->stop_msg[0])
                snprintf(r->stop_msg, sizeof r->stop_msg, "the implementation hangs: %zu cases in a row got "
                         "no answer within %g s (--hangs %zu)", o->hangs, o->timeout, o->hangs);
            prev = c;
            res.xfail = o->xfail_path && cf_xfail_listed(xf, c->id);
            cf_report_case(r, c, &res, !skipped_run);
        }
}
