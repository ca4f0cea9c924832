/* testsuite/conform/report.c: what a user of `bpcheck conform` reads (runner.h): the YAML block
 * under a failed case (and the same as JSON), one TAP point or JSON line per case, the JUnit
 * file, and the closing lines with the counts and the diagnosis of the run. */
#define _POSIX_C_SOURCE 200809L
#include "conform.h"
#include "runner.h"

#include "atomic.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

void cf_yaml_str(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 5 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            out[o++] = '\\';
        if (ch == '\n' || ch == '\t' || ch == '\r')
            out[o++] = ' '; /* no string of the implementation's can start a line */
        else if (ch < 32 || ch == 127)
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch); /* YAML's own escape */
        else
            out[o++] = (char)ch;
    }
    out[o] = '\0';
}

/* s on one line, for a TAP test point: every control character a space (a newline in an
 * implementation's "unsupported" reason would otherwise start a line of TAP of its own). */
static void tap_line(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < len; s++)
        out[o++] = (unsigned char)*s < 32 || *s == 127 ? ' ' : *s;
    out[o] = '\0';
}

/* The YAML lines that say, for tools and tests, which models a hint names: "named: [a]" when
 * it names one (or, composed, one per quantity), "candidates: [a, b]" for an ambiguity. */
static size_t yaml_names(char *out, size_t len, const char *names, int ambiguous)
{
    if (!names || !names[0])
        return 0;
    return (size_t)snprintf(out, len, "  %s: [%s]\n", ambiguous ? "candidates" : "named", names);
}

/* The names of mt, comma-separated, into buf. */
static void match_names(const bp_matches *mt, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < mt->n && i < BP_MAX_MATCHES && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", mt->name[i]);
}

/* A number for YAML: fmt for a finite one, and YAML's .nan, .inf, -.inf otherwise. */
static void yaml_num(char *buf, size_t len, const char *fmt, double x)
{
    if (isfinite(x))
        snprintf(buf, len, fmt, x);
    else
        snprintf(buf, len, "%s", isnan(x) ? ".nan" : x > 0 ? ".inf" : "-.inf");
}

/* A YAML block being written: text, its length, its JSON twin. */
typedef struct {
    char text[8192];
    size_t o;
    json_t *dj;
} block;

#define PUT(b, ...) \
    ((b)->o < sizeof (b)->text ? ((b)->o += (size_t)snprintf((b)->text + (b)->o, sizeof (b)->text - (b)->o, __VA_ARGS__)) : 0)

/* The worst entry f: where, got, expected, the errors, the bound. */
static void put_entry(block *b, const cf_failure *f)
{
    char got[32], ae[32], re[32];
    double d = fabs(f->got - f->expected);
    yaml_num(got, sizeof got, "%.17g", f->got), yaml_num(ae, sizeof ae, "%.3g", d);
    yaml_num(re, sizeof re, "%.3g", f->expected != 0 ? d / fabs(f->expected) : INFINITY);
    PUT(b, "  where: \"%s\"\n  got: %s\n  expected: %.17g\n  abs_error: %s\n  rel_error: %s\n"
           "  out_of_tolerance: %zu\n  entries: %zu\n", f->where, got, f->expected, ae, re, f->bad, f->total);
    json_object_set_new(b->dj, "where", json_string(f->where));
    if (isfinite(f->got))
        json_object_set_new(b->dj, "got", json_real(f->got));
    else
        json_object_set_new(b->dj, "got", json_string(isnan(f->got) ? "NaN" : f->got > 0 ? "Infinity" : "-Infinity"));
    json_object_set_new(b->dj, "expected", json_real(f->expected));
    json_object_set_new(b->dj, "bound", json_real(f->bound));
    json_object_set_new(b->dj, "out_of_tolerance", json_integer((json_int_t)f->bad));
    json_object_set_new(b->dj, "entries", json_integer((json_int_t)f->total));
    PUT(b, "  bound: %.2g\n", f->bound);
}

/* The quantities out of tolerance, the worst entry, the tolerance used, the worst ratio. */
static void put_numbers(block *b, const cf_failure *f, const char *failed_list, double ratio, int marginal,
                        int scalar, const cf_opts *o)
{
    PUT(b, "  failed: [%s]\n  quantity: %s\n", failed_list, f->quantity);
    json_object_set_new(b->dj, "failed", json_string(failed_list));
    json_object_set_new(b->dj, "quantity", json_string(f->quantity));
    if (f->total)
        put_entry(b, f);
    PUT(b, "  tolerance: \"%s\"\n", scalar ? "the scalar model of --rtol/--atol"
                                    : o->float32 ? "per entry, profile float32" : "per entry, profile float64");
    if (isfinite(ratio)) {
        PUT(b, "  error_over_bound: %.3g\n", ratio);
        json_object_set_new(b->dj, "error_over_bound", json_real(ratio));
    }
    json_object_set_new(b->dj, "marginal", json_boolean(marginal));
    if (marginal)
        PUT(b, "  verdict: \"marginal: every error is within %g x its bound; no bug is named on such "
               "evidence\"\n", CF_MARGINAL);
}

/* The diagnosis of ans: the evidence, where the pass first goes wrong, the bug models it
 * matches (into res; hint: a hint of the shapes already, which stands). */
static void put_diagnosis(block *b, cf_result *res, const bp_case *c, const bp_case *prev,
                          const bp_answer *ans, const char **hint)
{
    bp_error rerr; /* the diagnosis replays bugs on the parameters: have them back */
    bp_case_params_restore((bp_case *)c, &rerr);
    bp_findings fd;
    static bp_matches mt; /* the hint points into it until the next failure */
    bp_diagnose(&fd, ans);
    bp_match_bugs(&mt, ans, prev);
    if (!*hint && mt.n) {
        *hint = mt.hint;
        match_names(&mt, res->names, sizeof res->names);
        res->ambiguous = mt.ambiguous;
    }
    if (fd.n)
        PUT(b, "  evidence:\n");
    json_t *ev = json_array();
    for (size_t i = 0; i < fd.n; i++) {
        char e[BP_EVIDENCE_LEN + 20];
        json_array_append_new(ev, json_string(fd.evidence[i]));
        cf_yaml_str(e, sizeof e, fd.evidence[i]);
        PUT(b, "    - \"%s\"\n", e);
    }
    json_object_set_new(b->dj, "evidence", ev);
    if (fd.wrong > fd.n)
        PUT(b, "    - \"and %zu more tensors\"\n", fd.wrong - fd.n);
    snprintf(res->first, sizeof res->first, "%s", fd.first);
    if (fd.first[0]) {
        char e[260];
        json_object_set_new(b->dj, "first_wrong", json_string(fd.first));
        cf_yaml_str(e, sizeof e, fd.first);
        PUT(b, "  first_wrong: \"%s\"\n", e);
    }
}

void cf_report_failure(cf_result *res, const bp_case *c, const bp_case *prev, const cf_failure *f,
                       const bp_answer *ans, const char *failed_list, double ratio, int scalar,
                       const cf_opts *o)
{
    static block b; /* 8 KiB: not on the stack of every case */
    char msg[1100];
    b.o = 0, b.dj = res->detail = json_object();
    cf_yaml_str(msg, sizeof msg, res->message);
    PUT(&b, "  message: \"%s\"\n  case: \"%s\"\n", msg, c->id);
    int marginal = f->quantity && ratio <= CF_MARGINAL;
    const char *hint = f->hint;
    if (f->quantity)
        put_numbers(&b, f, failed_list, ratio, marginal, scalar, o);
    if (f->quantity && f->total && !res->protocol) /* the evidence, and where it starts */
        put_diagnosis(&b, res, c, prev, ans, &hint);
    res->marginal = marginal;
    if (hint && !marginal) {
        char h[700];
        json_object_set_new(b.dj, "hint", json_string(hint));
        snprintf(res->hint_text, sizeof res->hint_text, "%s", hint);
        res->hint = res->hint_text;
        cf_yaml_str(h, sizeof h, hint);
        PUT(&b, "  hint: \"%s\"\n", h);
        if (b.o < sizeof b.text)
            yaml_names(b.text + b.o, sizeof b.text - b.o, res->names, res->ambiguous);
    }
    res->yaml = strdup(b.text);
}

void cf_protocol_block(cf_result *res, const bp_case *c)
{
    char m[1100], y[1400];
    cf_yaml_str(m, sizeof m, res->message);
    snprintf(y, sizeof y, "  message: \"%s\"\n  case: \"%s\"\n", m, c->id);
    free(res->yaml);
    res->yaml = strdup(y);
    if (!res->detail)
        res->detail = json_object();
}

void cf_add_lines(cf_result *res, const char *key, const char *text)
{
    size_t n = res->yaml ? strlen(res->yaml) : 0, nl = 1;
    for (const char *s = text; *s; s++)
        nl += *s == '\n';
    size_t cap = n + strlen(key) + 8 + 2 * strlen(text) + 10 * nl;
    char *y = realloc(res->yaml, cap), line[600];
    if (!y)
        return;
    res->yaml = y;
    json_t *lines = json_array();
    n += (size_t)snprintf(y + n, cap - n, "  %s:\n", key);
    for (const char *s = text; *s;) {
        size_t k = strcspn(s, "\n");
        char raw[600];
        snprintf(raw, sizeof raw, "%.*s", (int)(k < sizeof raw - 1 ? k : sizeof raw - 1), s);
        cf_yaml_str(line, sizeof line, raw);
        json_array_append_new(lines, json_string(raw));
        n += (size_t)snprintf(y + n, cap - n, "    - \"%s\"\n", line);
        s += k + (s[k] == '\n');
    }
    if (res->detail)
        json_object_set_new(res->detail, key, lines);
    else
        json_decref(lines);
}

void cf_add_note(cf_result *res, const char *key, const char *text)
{
    char line[1400], quoted[1300];
    cf_yaml_str(quoted, sizeof quoted, text);
    snprintf(line, sizeof line, "  %s: \"%s\"\n", key, quoted);
    size_t n = res->yaml ? strlen(res->yaml) : 0;
    char *y = realloc(res->yaml, n + strlen(line) + 1);
    if (y) {
        memcpy(y + n, line, strlen(line) + 1);
        res->yaml = y;
    }
    if (res->detail)
        json_object_set_new(res->detail, key, json_string(text));
}


static void xml_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\n': case '\t': case '\r': fputc(*s, f); break;
        default: /* XML 1.0 has no place for another control character, not even as &#N; */
            fputc((unsigned char)*s < 32 || *s == 127 ? '?' : *s, f);
        }
}

static int junit_file(cf_report *r, const char *body);

int cf_junit_unfinished(const cf_opts *o)
{
    static cf_report r; /* only its options and its failure are used */
    r.o = o, r.output_failed = 0;
    return junit_file(&r, NULL);
}

void cf_report_begin(cf_report *r, const cf_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->junit = o->junit_path ? open_memstream(&r->junit_buf, &r->junit_len) : NULL;
    const char *v = getenv("TAP_VERSION");
    if (!o->json)
        printf("TAP version %s\n# bpcheck conform: %s\n# fixtures: %s\n", v && strcmp(v, "14") == 0 ? "14" : "13",
               o->impl, o->fixtures);
}

/* One JSON line: the case, its verdict, and what the YAML says. */
static void json_case(const cf_report *r, const bp_case *c, const cf_result *res)
{
    const char *verdict = res->v == R_PASS ? (res->xfail ? "unexpected-pass" : "pass")
                          : res->v == R_SKIP ? "skip"
                          : res->xfail && !res->protocol ? "xfail" : "fail";
    json_t *line = json_pack("{s:I, s:s, s:s}", "n", (json_int_t)r->n, "id", c->id, "verdict", verdict);
    if (res->v != R_PASS)
        json_object_set_new(line, "message", json_string(res->message));
    if (res->v == R_FAIL)
        json_object_set_new(line, "protocol", json_boolean(res->protocol));
    if (res->detail)
        json_object_update(line, res->detail);
    char *text = bp_json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17));
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(line);
}

/* The TAP point of the case (with --format json, only the counts), counted. */
static void tap_case(cf_report *r, const bp_case *c, cf_result *res)
{
    int tap = !r->o->json;
    if (res->v == R_PASS && res->xfail) {
        if (tap)
            printf("not ok %zu - %s\n  ---\n  message: \"an unexpected pass: the case is in the "
                   "xfail list\"\n  ...\n", r->n, c->id);
        r->failed++;
    } else if (res->v == R_PASS) {
        if (tap)
            printf("ok %zu - %s\n", r->n, c->id);
        r->passed++;
    } else if (res->v == R_SKIP) {
        char line[sizeof res->message];
        tap_line(line, sizeof line, res->message);
        if (tap)
            printf("ok %zu - %s # SKIP %s\n", r->n, c->id, line);
        r->skipped++;
        r->unmeetable += res->unmeetable;
        r->outside += res->outside;
    } else if (res->xfail && !res->protocol) {
        if (tap)
            printf("not ok %zu - %s # TODO expected failure (xfail list)\n", r->n, c->id);
        r->xfailed++;
    } else if (res->not_run) { /* the case that stopped the run says why, once */
        if (tap)
            printf("not ok %zu - %s (not run)\n", r->n, c->id);
        r->failed++;
    } else {
        if (!res->yaml) /* a protocol failure: the message is the diagnosis */
            cf_protocol_block(res, c);
        if (tap)
            printf("not ok %zu - %s\n  ---\n%s  ...\n", r->n, c->id, res->yaml);
        r->failed++;
    }
}

static void junit_case(FILE *junit, const bp_case *c, const cf_result *res, int interrupted_run)
{
    fprintf(junit, "  <testcase classname=\"bpcheck.%s\" name=\"", bp_cost_name(c->cost));
    xml_escaped(junit, c->id);
    fprintf(junit, "\">");
    if (res->v == R_SKIP) {
        fprintf(junit, "<skipped message=\"");
        xml_escaped(junit, res->message);
        fprintf(junit, "\"/>");
    } else if (res->not_run && interrupted_run) {
        fprintf(junit, "<error message=\"");
        xml_escaped(junit, res->message);
        fprintf(junit, "\"/>");
    } else if (res->v == R_FAIL && !(res->xfail && !res->protocol)) {
        fprintf(junit, "<failure message=\"");
        xml_escaped(junit, res->message);
        fprintf(junit, "\">");
        xml_escaped(junit, res->yaml);
        fprintf(junit, "</failure>");
    }
    fprintf(junit, "</testcase>\n");
}

void cf_report_case(cf_report *r, const bp_case *c, cf_result *res, int summarise)
{
    r->n++;
    r->ours += res->ours != 0;
    if (res->v != R_SKIP && summarise)
        bp_summary_add(&r->sum, c, r->n,
                       res->v != R_FAIL || (res->xfail && !res->protocol) ? BP_PASSED
                       : res->protocol                                     ? BP_FAILED_PROTOCOL
                                                                           : BP_FAILED,
                       res->hint, res->ambiguous ? "" : res->names, res->first, res->marginal);
    if (res->v == R_PASS && res->used > r->used) /* a passing case: a failed one is past it */
        r->used = res->used, r->used_at = c->id;
    if (res->v == R_PASS && res->used_tensor > r->used_tensor)
        r->used_tensor = res->used_tensor, r->used_tensor_at = c->id;
    if (res->v == R_FAIL && !res->protocol) {
        r->now_failing = realloc(r->now_failing, (r->nfailing + 1) * sizeof *r->now_failing);
        r->now_failing[r->nfailing++] = (char *)c->id;
    }
    if (r->o->json)
        json_case(r, c, res);
    tap_case(r, c, res);
    fflush(stdout);
    if (r->junit)
        junit_case(r->junit, c, res, r->interrupted);
    r->errors += res->not_run && r->interrupted;
    free(res->yaml);
    json_decref(res->detail);
    res->yaml = NULL, res->detail = NULL;
}

/* The xfail list's ids that name no case: each a failure. */
static void xfail_unknown(cf_report *r, const bp_fixture_set *fs, const cf_id_list *xf)
{
    for (size_t i = 0; i < xf->n; i++) {
        if (xf->seen[i] || r->o->xfail_update)
            continue;
        int exists = 0;
        for (size_t fi = 0; fi < fs->nfiles; fi++)
            for (size_t ci = 0; ci < fs->files[fi]->ncases; ci++)
                exists |= strcmp(fs->files[fi]->cases[ci].id, xf->ids[i]) == 0;
        if (exists)
            continue;
        if (r->o->json) {
            json_t *line = json_pack("{s:I, s:s, s:s, s:s}", "n", (json_int_t)++r->n, "id", xf->ids[i],
                                     "verdict", "fail", "message", "the xfail list names an unknown case id");
            char *text = bp_json_dumps(line, JSON_COMPACT);
            printf("%s\n", text ? text : "{}");
            free(text);
            json_decref(line);
        } else
            printf("not ok %zu - xfail list: '%s' is not a case id\n", ++r->n, xf->ids[i]);
        r->failed++;
    }
}

static void xfail_update(cf_report *r)
{
    const cf_opts *o = r->o;
    bp_atomic a;
    bp_error err;
    FILE *f = bp_atomic_open(&a, o->xfail_path, "w", &err);
    if (f) {
        fprintf(f, "# cases expected to fail (bpcheck conform --xfail-update)\n");
        for (size_t i = 0; i < r->nfailing; i++)
            fprintf(f, "%s\n", r->now_failing[i]);
    }
    if (!f || bp_atomic_commit(&a, &err)) {
        fprintf(stderr, "bpcheck conform: --xfail-update: %s (the old list is as it was)\n", err.msg);
        r->output_failed = 1;
        return;
    }
    fprintf(o->json ? stderr : stdout, "# wrote %zu expected failures to %s\n", r->nfailing, o->xfail_path);
}

/* The JUnit file: the cases (body), or, with body NULL, a report that the run did not finish,
 * which stands until the real one replaces it: an interrupted run never leaves the previous
 * run's report as though it were this one's. */
static int junit_file(cf_report *r, const char *body)
{
    bp_atomic a;
    bp_error err;
    FILE *f = bp_atomic_open(&a, r->o->junit_path, "w", &err);
    if (f && !body) {
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"bpcheck conform\" tests=\"1\" "
                   "failures=\"0\" errors=\"1\" skipped=\"0\">\n  <testcase classname=\"bpcheck\" name=\"the run\">"
                   "<error message=\"the run did not finish (interrupted, or still running): its cases were not "
                   "all run, and this is not their report\"/></testcase>\n</testsuite>\n");
    } else if (f) {
        static char text[8192];
        bp_summary_format(&r->sum, "", text, sizeof text);
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"bpcheck "
                   "conform\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"%zu\">\n%s",
                r->n + (r->interrupted != 0), r->failed - r->errors, r->skipped, r->errors + (r->interrupted != 0),
                body);
        if (r->interrupted) { /* not a verdict: the cases not run say so one by one, above */
            fprintf(f, "  <testcase classname=\"bpcheck\" name=\"the run\"><error message=\"");
            char m[800];
            snprintf(m, sizeof m, "%s after %zu of %zu cases: %zu not run; this report is of the cases run",
                     r->stop_msg, r->n - r->errors, r->n, r->errors);
            xml_escaped(f, m);
            fprintf(f, "\"/></testcase>\n");
        }
        if (text[0]) { /* the run's diagnosis, as the suite's output */
            fprintf(f, "  <system-out>");
            xml_escaped(f, text);
            fprintf(f, "</system-out>\n");
        }
        fprintf(f, "</testsuite>\n");
    }
    if (!f || bp_atomic_commit(&a, &err)) {
        fprintf(stderr, "bpcheck conform: --junit: %s\n", err.msg);
        r->output_failed = 1;
        return -1;
    }
    return 0;
}

static void junit_write(cf_report *r)
{
    fclose(r->junit);
    r->junit = NULL;
    junit_file(r, r->junit_buf ? r->junit_buf : "");
}

static void run_text(const cf_report *r, const char *prefix, char *out, size_t len);

/* The closing object: the counts, the diagnosis of the run, and its closing lines as text. */
static void json_end(const cf_report *r)
{
    static char lines[16384];
    run_text(r, "", lines, sizeof lines);
    json_t *end = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "cases", (json_int_t)r->n, "passed",
                            (json_int_t)r->passed, "failed", (json_int_t)r->failed, "skipped", (json_int_t)r->skipped,
                            "xfailed", (json_int_t)r->xfailed, "unmeetable", (json_int_t)r->unmeetable,
                            "summary", bp_summary_json(&r->sum));
    if (r->used_at)
        json_object_set_new(end, "closest_to_bound", json_pack("{s:f, s:s}", "ratio", r->used, "id", r->used_at));
    if (r->used_tensor_at)
        json_object_set_new(end, "closest_to_tensor_threshold",
                            json_pack("{s:f, s:s}", "ratio", r->used_tensor, "id", r->used_tensor_at));
    if (r->outside)
        json_object_set_new(end, "outside_capabilities", json_integer((json_int_t)r->outside));
    if (r->not_run)
        json_object_set_new(end, "not_run", json_pack("{s:I, s:s}", "cases", (json_int_t)r->not_run,
                                                      "why", r->stop_msg));
    json_object_set_new(end, "text", json_string(lines));
    char *text = bp_json_dumps(end, JSON_COMPACT | JSON_REAL_PRECISION(17));
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(end);
}

/* The closing lines of the run, each starting with prefix ("# " in the TAP): the summary of
 * the failures, then the notes on what was skipped, never asked or not run, and the counts
 * ("N passed, N failed, N skipped", never prefixed: the TAP's last line); into out. The TAP
 * prints them, and the JSON's closing object holds them as "text", so that a program reading
 * the JSON (the Python package's conform) shows the same words. */
static void run_text(const cf_report *r, const char *prefix, char *out, size_t len)
{
    size_t at;
    /* the notes after the summary (stop_msg 600, a case id, six short lines) and the counts
     * always fit in the 2 KiB kept back */
    bp_summary_format(&r->sum, prefix, out, len - 2048);
#define ADD(...) (at = strlen(out), at < len ? (void)snprintf(out + at, len - at, __VA_ARGS__) : (void)0)
    if (r->xfailed)
        ADD("%s%zu expected failures (xfail list)\n", prefix, r->xfailed);
    if (r->used_at)
        ADD("%sclosest to a bound: an error %.2g x its bound, in %s\n", prefix, r->used, r->used_at);
    if (r->used_tensor_at)
        ADD("%sclosest to a tensor-wide threshold: |S| %.2g x its threshold, in %s\n", prefix, r->used_tensor,
            r->used_tensor_at);
    if (r->unmeetable)
        ADD("%s%zu skipped as unmeetable in %s (no correct implementation in that precision "
            "can meet them)\n", prefix, r->unmeetable, r->o->float32 ? "float32" : "float64");
    if (r->outside)
        ADD("%s%zu skipped as outside the capabilities the implementation declares (each SKIP "
            "says which)\n", prefix, r->outside);
    unsigned asked = cf_session_want(r->o->deep ? CF_WANT_ALL : CF_WANT_BASIC);
    for (int q = 0; q < (r->o->deep ? 6 : 3) && cf_session_declared() && !cf_inproc; q++)
        if (!(asked >> q & 1))
            ADD("%s%s never asked: the implementation's capabilities leave it out\n", prefix, cf_want[q]);
    if (r->not_run)
        ADD("%s%zu cases not run (counted as failed): %s\n", prefix, r->not_run, r->stop_msg);
    ADD("%zu passed, %zu failed, %zu skipped\n", r->passed, r->failed, r->skipped);
#undef ADD
}

static void tap_end(const cf_report *r)
{
    static char text[16384];
    printf("1..%zu\n", r->n);
    run_text(r, "# ", text, sizeof text);
    fputs(text, stdout);
}

/* For make bench: the runner's own peak, children apart. VmHWM is this program's since its
 * exec; getrusage's ru_maxrss would carry over the peak of whoever forked it. */
void bp_peak_memory_report(const char *who)
{
    if (!getenv("BPCHECK_PEAK_MEMORY"))
        return;
    FILE *st = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (st && fgets(line, sizeof line, st))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    if (st)
        fclose(st);
    if (kib < 0) {
        struct rusage ru;
        kib = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
    }
    fprintf(stderr, "%s: peak memory %ld KiB\n", who, kib);
}

void cf_report_end(cf_report *r, const bp_fixture_set *fs, cf_id_list *xf)
{
    if (r->output_failed)
        return;
    xfail_unknown(r, fs, xf);
    if (r->o->xfail_update)
        xfail_update(r);
    if (r->junit)
        junit_write(r);
    if (r->o->json)
        json_end(r);
    else
        tap_end(r);
    bp_peak_memory_report("bpcheck conform");
}

int cf_report_status(const cf_report *r)
{
    if (fflush(stdout) != 0 || ferror(stdout)) { /* the TAP itself did not get out */
        fprintf(stderr, "bpcheck conform: cannot write the report to standard output: %s\n", strerror(errno));
        return 2;
    }
    if (r->output_failed) /* a report file could not be written: said above */
        return 2;
    if (r->ours) { /* a resource error of the runner's is not the implementation's failure */
        fprintf(stderr, "bpcheck conform: the runner ran out of memory on %zu case%s (their messages say "
                "where): a resource error, not a verdict on the implementation; exit 2\n", r->ours,
                r->ours == 1 ? "" : "s");
        return 2;
    }
    if (!r->failed && r->passed == 0 && r->xfailed == 0 && !r->o->allow_empty) { /* no green on nothing */
        fprintf(r->o->json ? stderr : stdout, "%sno case was judged (%zu skipped): exit 1; --allow-empty "
                "accepts a run of nothing\n", r->o->json ? "bpcheck conform: " : "# ", r->skipped);
        return 1;
    }
    return r->failed ? 1 : 0;
}

void cf_report_free(cf_report *r)
{
    if (r->junit)
        fclose(r->junit);
    free(r->junit_buf);
    free(r->now_failing);
    memset(r, 0, sizeof *r);
}
