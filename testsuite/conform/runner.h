/* testsuite/conform/runner.h: the parts of `bpcheck conform` (conform.h), one job a file, and
 * what they pass each other. Not installed; the prefix cf_ marks the runner's own names.
 *
 *   options.c   the command line, the case selection (--only, --exclude), the xfail list
 *   run.c       the run: the loop over the cases, one case, the retry with z, a and delta
 *   protocol.c  the child's side: the handshake, the request, binary frames, reading an answer
 *   judge.c     an answer against the case's bounds, quantity by quantity
 *   report.c    what a user reads: the YAML block of a failure, the TAP, JSON and JUnit output
 *   inproc.c    the implementation in this process (libbpcheck's bpc_conform)
 *
 * The diagnosis (diagnose.h: the evidence, the bug models, the summary) is apart: report.c
 * asks it about a failure, and never the other way round. */
#ifndef BPCHECK_RUNNER_H
#define BPCHECK_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "child.h"
#include "diagnose.h"
#include "fixture.h"
#include "frame.h"
#include "lib/bpcheck.h"
#include "tensor.h"

/* ---- options.c ---- */

typedef struct {
    const char *impl, *fixtures, *xfail_path, *junit_path;
    const char *only[64], *exclude[64];
    size_t nonly, nexclude;
    int allow_empty; /* a run that judged no case exits 0 (--allow-empty) */
    int float32, deep, xfail_update, json; /* json: --format json */
    int retry_deep; /* a failing case is asked again with z, a and delta (--no-retry-deep: 0) */
    double rtol, atol, timeout; /* rtol, atol: NAN unless overridden */
    size_t max_response;
    int frames; /* offer binary frames (PROTOCOL.md): 1 auto, 0 off */
    size_t hangs; /* stop after this many cases in a row time out (0: never) */
    const char *self; /* no --impl: this program, run as 'self serve' without a shell */
} cf_opts;

/* The largest --timeout (seconds: a week) and --max-response (MiB: 64 GiB) accepted. */
#define CF_MAX_TIMEOUT 604800
#define CF_MAX_RESPONSE_MIB 65536

/* 0: go on; 1: --help was shown (exit 0); 2: a usage error, said on stderr. */
int cf_parse_args(int argc, char **argv, cf_opts *o);
/* Is case id run: matched by an --only pattern (or there is none), and by no --exclude? */
int cf_selected(const cf_opts *o, const char *id);
/* 1 (each named on stderr) when an --only or --exclude pattern matches no case of fs, or
 * when together they leave none. */
int cf_patterns_unmatched(const bp_fixture_set *fs, const cf_opts *o);

typedef struct {
    char **ids;
    int *seen;
    size_t n;
} cf_id_list;

/* The xfail file at path (none there: an empty list). -1, said on stderr, when unreadable. */
int cf_xfail_load(cf_id_list *x, const char *path);
/* Is id listed? (It is then marked seen.) */
int cf_xfail_listed(cf_id_list *x, const char *id);
void cf_xfail_free(cf_id_list *x);

/* ---- the verdict of one case, as run.c, judge.c and report.c fill it ---- */

typedef enum { R_PASS, R_FAIL, R_SKIP } cf_verdict;

typedef struct {
    cf_verdict v;
    int protocol;      /* a failure of the protocol (crash, hang, garbage): never an xfail */
    int xfail;         /* listed in the xfail file */
    int unmeetable;    /* a SKIP: no correct implementation in the profile's precision can
                          meet the case (fixtures/FORMAT.md) */
    double used;       /* the largest error / bound among the entries within their bound */
    double used_tensor; /* the largest |S| / threshold of the tensor-wide criteria (float32) */
    const char *hint;  /* the bug named (-> hint_text), or NULL */
    char hint_text[600];
    char names[300];   /* the models the hint names, comma-separated (YAML "named:") */
    char first[240];   /* where the pass first goes wrong (first_wrong), or "" */
    int ambiguous;     /* ... as an ambiguity ("candidates:") */
    int marginal;      /* failed, but every error within CF_MARGINAL x its bound */
    char message[1024];
    int timed_out;     /* the implementation did not answer (or read) within --timeout */
    int deep_given;    /* the answer gave z, a or delta */
    int outside;       /* a SKIP: outside the capabilities the implementation declares */
    int stop;          /* the implementation cannot be run: the run stops (run.c) */
    int not_run;       /* failed, not run: after a stop (the stopping case says why) */
    int ours;          /* the runner's own failure (out of memory): the run exits 2 */
    int behind;        /* the answer is the previous request's: the stream is out of step */
    uint64_t print;    /* a hash of the answer's cost, gradient and step (FNV-1a of their bits) */
    char *yaml;        /* the YAML body (without --- and ...), or NULL */
    json_t *detail;    /* the same as JSON (--format json), or NULL */
} cf_result;

/* A failure whose every error is within this factor of its bound is "marginal": reported as
 * such, with the factor, and never given a bug hint on that evidence alone. A bound is a worst
 * case over the accepted class, so a correct member can come close to it but not past; a
 * real bug is rarely that close (a wrong term, factor or sign moves an entry by its own size,
 * which is 1e10 bounds and more on ordinary cases). */
#define CF_MARGINAL 10.0

/* The quantities a request may want, in this order; a set of them is a bit set, bit q for
 * cf_want[q]: the first 3 by default, all 6 with --deep. */
extern const char *const cf_want[6];
#define CF_WANT_BASIC 0x07u
#define CF_WANT_DEEP 0x38u /* z, a, delta */
#define CF_WANT_ALL 0x3fu

/* ---- protocol.c ---- */

/* The arrays of a framed answer (PROTOCOL.md, "Binary frames"), decoded; has[q] says which of
 * want[q] came in the payload. */
typedef struct {
    bp_model *grad, *step;
    bp_trace *trace;
    int has[6];
} cf_framed;

/* The first line a started child gets (the hello), and what its answer says: frames taken,
 * capabilities declared. *garbled: the answer is not the protocol's (msg shows its first
 * bytes), or its capabilities are malformed; the child is then killed. */
bp_child_status cf_negotiate(bp_child *ch, const cf_opts *o, int *garbled, char *msg, size_t msglen);
/* Did the child declare its capabilities at its last hello? */
int cf_session_declared(void);
/* The quantities of want the running child declares it gives (every one, if it declares none). */
unsigned cf_session_want(unsigned want);
/* Is case c inside the running child's declared capabilities (under o's profile)? 0 with the
 * reason in why when it is not: the case is then not sent. */
int cf_session_declares(const bp_case *c, const cf_opts *o, char *why, size_t len);
/* Does the running child's session speak binary frames? */
int cf_session_framed(void);
/* Send case c wanting the quantities of the set want, framed when the session is; *framing says which. The
 * case's parameters leave memory once sent framed (run.c restores them). */
bp_child_status cf_send_case(bp_child *ch, const bp_case *c, unsigned want, int *framing, char *msg,
                             size_t msglen);
/* The judgement of an answer line (freed here): JSON, and in a framed session its payload,
 * read from ch (NULL: there is no child to read one from). */
void cf_read_answer(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev, char *answer,
                    int framing, const cf_opts *o, unsigned want);

/* ---- judge.c ---- */

/* The judgement of an answer given as a JSON object r (consumed), with the arrays of its
 * payload in fr (freed) where it had one. */
void cf_judge(cf_result *res, const bp_case *c, const bp_case *prev, json_t *r, cf_framed *fr,
              const cf_opts *o, unsigned want);
/* Let go of the step the last answer gave (kept for the momentum model: hypotheses.c). */
void cf_forget_step(void);
/* The tensor-wide criteria of case c under o's profile (tensor.h), derived on first use and
 * kept until the next case's or cf_forget_step: NULL with err->msg "" where the profile has
 * none (float64, --rtol/--atol), NULL with the reason in err where they cannot be derived (out
 * of memory). Derived before the case is sent, a large case's parameters need not come back
 * to be read. */
const bp_tensor_tests *cf_tensor_tests(const bp_case *c, const cf_opts *o, bp_error *err);

/* ---- report.c ---- */

/* The first wrong entry of an answer, as judge.c found it. */
typedef struct {
    const char *quantity;
    char where[96];   /* "W^2[1][0]", "b^1[3]", "layer 2, sample 4, neuron 1" */
    double got, expected, bound;
    size_t bad, total;
    const char *hint; /* a hint of the answer's shapes (bp_match_shapes), or NULL */
} cf_failure;

/* The YAML block and JSON detail of a failed case into res: the worst entry f, the quantities
 * failed_list out of tolerance, the worst ratio, the evidence and the bug models of ans (the
 * diagnosis) unless the failure is the protocol's. scalar: the tolerance is --rtol/--atol's. */
void cf_report_failure(cf_result *res, const bp_case *c, const bp_case *prev, const cf_failure *f,
                       const bp_answer *ans, const char *failed_list, double ratio, int scalar,
                       const cf_opts *o);
/* res's YAML block and JSON detail for a failure of the protocol: its message and case. */
void cf_protocol_block(cf_result *res, const bp_case *c);
/* text's lines as a YAML list (and a JSON array) under key, after res's YAML. */
void cf_add_lines(cf_result *res, const char *key, const char *text);
/* A note for the case's YAML and JSON: why the report reads as it does. */
void cf_add_note(cf_result *res, const char *key, const char *text);
/* YAML-safe double-quoted string */
void cf_yaml_str(char *out, size_t len, const char *s);

/* The run's output as it goes: TAP or JSON lines on stdout, the JUnit cases to memory. */
typedef struct {
    const cf_opts *o;
    size_t n, passed, failed, skipped, xfailed, unmeetable, outside, not_run;
    bp_summary sum;    /* what the failures have in common (diagnose.h) */
    double used;       /* the closest any passing entry came to its bound, and where */
    const char *used_at;
    double used_tensor; /* the closest a passing case came to a tensor-wide threshold, where */
    const char *used_tensor_at;
    char *junit_buf;   /* <testsuite> carries the counts, known at the end */
    size_t junit_len;
    FILE *junit;
    char **now_failing; /* for --xfail-update */
    size_t nfailing;
    char stop_msg[600]; /* why the rest of the run is not run ("" while it runs) */
    int output_failed;  /* a report file could not be written (the run exits 2) */
    size_t ours;        /* cases the runner itself failed (out of memory): the run exits 2 */
    int interrupted;    /* the signal that stopped the run (the rest is not run), or 0 */
    size_t errors;      /* cases not run after it: JUnit errors, not failures */
} cf_report;

/* The --junit file, at once, before anything is loaded or run: a report that the run did not
 * finish, which stands until the real one replaces it, so that an interrupted run never
 * leaves the previous run's report. 0, or -1 (said on stderr) when it cannot be written. */
int cf_junit_unfinished(const cf_opts *o);
void cf_report_begin(cf_report *r, const cf_opts *o);
/* Case c's verdict res (res->xfail set), as the next test point, and in the run's summary
 * when summarise (a case not run is not); res's YAML and JSON are freed. */
void cf_report_case(cf_report *r, const bp_case *c, cf_result *res, int summarise);
/* The xfail list's unknown ids, the xfail update, the JUnit file, the closing lines. */
void cf_report_end(cf_report *r, const bp_fixture_set *fs, cf_id_list *xf);
/* The run's exit status (and, for a run of nothing, why): 2 when the report could not be
 * written, to standard output or to a file. */
int cf_report_status(const cf_report *r);
void cf_report_free(cf_report *r);

/* ---- run.c ---- */

/* Every selected case of fs, run against ch, into r. */
void cf_run_all(cf_report *r, bp_child *ch, const bp_fixture_set *fs, cf_id_list *xf, const cf_opts *o);
/* Forget what a run learnt about the implementation (a new run starts afresh). */
void cf_run_reset(void);

/* ---- inproc.c ---- */

/* libbpcheck (lib/bpcheck.h): the implementation in this process, or NULL for a child */
extern const bpc_impl *cf_inproc;
/* The answer an adapter would give, from cf_inproc's callbacks. */
json_t *cf_inproc_answer(const bp_case *c, unsigned want);

#endif
