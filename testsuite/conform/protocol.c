/* testsuite/conform/protocol.c: the runner's side of bpcheck-protocol/1 and /2 (PROTOCOL.md):
 * the hello that offers binary frames, a case sent as a request, and an answer line read
 * (JSON with every spelling of NaN and Inf, and a framed answer's payload) and handed to
 * judge.c (runner.h). */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "generate.h"

/* The answer with every bare NaN, Infinity or inf token outside strings put in quotes, so
 * that JSON can hold it ("NaN", "Infinity", "-Infinity": PROTOCOL.md, "Non-finite values");
 * NULL when it has none, or on a failed allocation. */
static char *nonfinite_quoted(const char *answer)
{
    static const char *const tokens[] = {"-Infinity", "Infinity", "-NaN", "NaN", "-nan", "nan", "-inf", "inf"};
    size_t n = strlen(answer), o = 0, found = 0;
    char *text = malloc(3 * n + 1);
    int in_string = 0;
    for (size_t i = 0; text && i < n;) {
        if (in_string) {
            if (answer[i] == '\\' && i + 1 < n)
                text[o++] = answer[i++];
            else if (answer[i] == '"')
                in_string = 0;
            text[o++] = answer[i++];
            continue;
        }
        if (answer[i] == '"')
            in_string = 1;
        size_t t = 0, tl = 0;
        for (; t < sizeof tokens / sizeof *tokens; t++)
            if (strncmp(answer + i, tokens[t], tl = strlen(tokens[t])) == 0)
                break;
        if (t < sizeof tokens / sizeof *tokens) {
            text[o++] = '"';
            memcpy(text + o, tokens[t], tl), o += tl, i += tl;
            text[o++] = '"';
            found++;
            continue;
        }
        text[o++] = answer[i++];
    }
    if (text)
        text[o] = '\0';
    if (!found) {
        free(text);
        return NULL;
    }
    return text;
}


/* ---- the hello (PROTOCOL.md): frames offered, capabilities invited, at each start ---- */

/* What the running child said at its hello. A set is a bit set over an enum (bp_cost,
 * bp_act, bp_reduction, cf_want, precision: bit 0 float64, bit 1 float32); a key not
 * declared is every bit. */
static struct {
    int framed;     /* the running child accepted frames */
    bp_dtype dtype; /* in this element type */
    int declared;   /* its answer had "capabilities" */
    unsigned set[5];
} session;

enum { CAP_COSTS, CAP_ACTIVATIONS, CAP_REDUCTIONS, CAP_WANT, CAP_PRECISION, CAP_FRAMES };
static const char *const cap_key[] = {"costs", "activations", "reductions", "want", "precision", "frames"};

/* The index of name among the values of key k, or -1. */
static int cap_value(int k, const char *name)
{
    static const char *const precision[] = {"float64", "float32"};
    for (int i = 0; i < 8; i++) {
        const char *v = k == CAP_COSTS        ? (i < 3 ? bp_cost_name((bp_cost)i) : NULL)
                        : k == CAP_ACTIVATIONS ? (i >= 1 && i < BP_NACTS ? bp_act_name((bp_act)i) : NULL)
                        : k == CAP_REDUCTIONS  ? (i < 2 ? bp_reduction_name((bp_reduction)i) : NULL)
                        : k == CAP_WANT        ? (i < 6 ? cf_want[i] : NULL)
                        : k == CAP_PRECISION   ? (i < 2 ? precision[i] : NULL)
                        : k == CAP_FRAMES      ? (i < 2 ? bp_dtype_name(i ? BP_F32 : BP_F64) : NULL)
                                               : NULL;
        if (v && strcmp(v, name) == 0)
            return i;
    }
    return -1;
}

/* The names of the set of key k, comma-separated, into buf. */
static void cap_names(int k, unsigned set, char *buf, size_t len)
{
    static const char *const precision[] = {"float64", "float32"};
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < 8 && o < len; i++)
        if (set >> i & 1) {
            const char *v = k == CAP_COSTS ? bp_cost_name((bp_cost)i) : k == CAP_ACTIVATIONS ? bp_act_name((bp_act)i)
                            : k == CAP_REDUCTIONS ? bp_reduction_name((bp_reduction)i)
                            : k == CAP_WANT ? cf_want[i] : precision[i];
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", v);
        }
}

/* The hello's "capabilities" (NULL: none) into session: 0, or -1 with what is wrong in msg.
 * A name bpcheck does not know is left out (an adapter may support more than is ever sent);
 * a key that is not a list of names is an error. *frames gets the frame types listed. */
static int read_capabilities(json_t *caps, unsigned *frames, char *msg, size_t msglen)
{
    for (int k = 0; k < 5; k++)
        session.set[k] = ~0u;
    *frames = ~0u;
    session.declared = caps != NULL;
    if (!caps)
        return 0;
    if (!json_is_object(caps)) {
        snprintf(msg, msglen, "the hello's answer has 'capabilities' %s; expected an object of lists "
                 "(PROTOCOL.md, \"Capabilities\")", bp_json_type_name(caps));
        return -1;
    }
    for (int k = 0; k < 6; k++) {
        json_t *list = json_object_get(caps, cap_key[k]), *v;
        size_t i;
        if (!list)
            continue;
        unsigned set = 0;
        int bad = !json_is_array(list);
        json_array_foreach(bad ? NULL : list, i, v) {
            int at = json_is_string(v) ? cap_value(k, json_string_value(v)) : -2;
            bad |= at == -2;
            set |= at >= 0 ? 1u << at : 0;
        }
        if (bad) {
            snprintf(msg, msglen, "the hello's answer: 'capabilities.%s' is not a list of names "
                     "(PROTOCOL.md, \"Capabilities\")", cap_key[k]);
            return -1;
        }
        if (k == CAP_FRAMES)
            *frames = set;
        else
            session.set[k] = set;
    }
    return 0;
}

/* The hello's answer r, as the protocol has it: a JSON object with the hello's id (or, for an
 * error or unsupported answer, none). NULL when it is not; msg says what came instead. */
static json_t *hello_answer(const bp_child *ch, const char *answer, char *msg, size_t msglen)
{
    json_t *r = json_loads(answer, 0, NULL);
    if (!r) { /* NaN as a bare token is data, as in any answer */
        char *quoted = nonfinite_quoted(answer);
        r = quoted ? json_loads(quoted, 0, NULL) : NULL;
        free(quoted);
    }
    json_t *id = json_object_get(r, "id");
    int ok = json_is_object(r) && (json_is_string(id) ? strcmp(json_string_value(id), "bpcheck:hello") == 0
                                   : !id && (json_object_get(r, "error") || json_object_get(r, "unsupported")));
    if (ok)
        return r;
    char first[700];
    bp_child_first_bytes(ch, first, sizeof first);
    snprintf(msg, msglen, "the implementation's first line on stdout is not an answer (%s); it "
             "began \"%.480s\"", !json_is_object(r) ? "not a JSON object" : "not the hello's id", first);
    json_decref(r);
    return NULL;
}

/* The first line a started child gets: a small valid /1 request that also offers frames and
 * invites the capabilities. A /1 implementation answers it as any request and the session
 * stays JSON; one that speaks /2 names the element type it takes in "frames"; one that
 * declares what it supports says so in "capabilities". Its numbers are not judged. */
bp_child_status cf_negotiate(bp_child *ch, const cf_opts *o, int *garbled, char *msg, size_t msglen)
{
    session.framed = 0, *garbled = 0;
    unsigned frames = ~0u;
    read_capabilities(NULL, &frames, msg, msglen);
    char line[700], *answer = NULL;
    snprintf(line, sizeof line, "{\"protocol\": \"bpcheck-protocol/1\", \"id\": \"bpcheck:hello\", "
             "\"model\": {\"cost\": \"quadratic\", \"sizes\": [1, 1], \"reduction\": \"sum\"}, "
             "\"params\": {\"W\": [[[0.5]]], \"b\": [[0.25]]}, \"batch\": {\"x\": [[1.0]], \"y\": [[0.5]]}, "
             "\"eta\": 0.5, \"want\": [\"cost\"], \"capabilities\": [\"costs\", \"activations\", "
             "\"reductions\", \"want\", \"precision\", \"frames\"]%s%s}",
             !o->frames ? "" : ", \"frames\": ", !o->frames ? "" : o->float32 ? "[\"f32\", \"f64\"]" : "[\"f64\"]");
    bp_child_status st = bp_child_send(ch, line, strlen(line), msg, msglen);
    if (st == CHILD_OK)
        st = bp_child_recv(ch, &answer, o->timeout, msg, msglen);
    if (st != CHILD_OK) {
        free(answer);
        return st; /* the case fails with this: no second wait for a child that hangs */
    }
    json_t *r = hello_answer(ch, answer, msg, msglen), *f = json_object_get(r, "frames");
    free(answer);
    if (!r || read_capabilities(json_object_get(r, "capabilities"), &frames, msg, msglen)) {
        json_decref(r);
        bp_child_kill(ch); /* out of step, or not to be trusted: the next case starts it again */
        *garbled = 1;
        return CHILD_ERROR;
    }
    bp_dtype d = json_is_string(f) ? bp_dtype_lookup(json_string_value(f))
                 : frames != ~0u && o->float32 && (frames & 2) ? BP_F32
                 : frames != ~0u && (frames & 1)              ? BP_F64 : BP_NDTYPES;
    if (o->frames && (d == BP_F64 || (d == BP_F32 && o->float32)))
        session.framed = 1, session.dtype = d;
    json_decref(r);
    return CHILD_OK;
}

int cf_session_declared(void)
{
    return session.declared;
}

unsigned cf_session_want(unsigned want)
{
    return want & session.set[CAP_WANT];
}

int cf_session_declares(const bp_case *c, const cf_opts *o, char *why, size_t len)
{
    char names[200];
    unsigned acts = 0;
    for (size_t l = 1; l <= c->params->L; l++)
        acts |= 1u << bp_layer_act(c->params, c->cost, l);
    int k = !(session.set[CAP_COSTS] >> c->cost & 1)                       ? CAP_COSTS
            : (acts & ~session.set[CAP_ACTIVATIONS])                         ? CAP_ACTIVATIONS
            : !(session.set[CAP_REDUCTIONS] >> c->red & 1)                  ? CAP_REDUCTIONS
            : !(session.set[CAP_WANT] & CF_WANT_BASIC)                       ? CAP_WANT
            : !(session.set[CAP_PRECISION] & (o->float32 ? 3u : 1u))         ? CAP_PRECISION
                                                                              : -1;
    if (k < 0)
        return 1;
    cap_names(k, session.set[k], names, sizeof names);
    char has[200];
    cap_names(k, k == CAP_COSTS ? 1u << c->cost : k == CAP_ACTIVATIONS ? acts & ~session.set[k]
                 : k == CAP_REDUCTIONS ? 1u << c->red   : k == CAP_WANT ? CF_WANT_BASIC : o->float32 ? 2u : 1u,
              has, sizeof has);
    static const char *const what[] = {"this case's cost is", "this case's layers use", "this case's reduction is",
                                       "a case wants one of", "this run judges in"};
    snprintf(why, len, "outside the implementation's capabilities: it declares %s [%s]; %s %s%s", cap_key[k], names,
             what[k], has, k == CAP_PRECISION && !o->float32 ? " (--profile float32 judges in float32)" : "");
    return 0;
}

/* n values to the child in the session's element type, 64 KiB at a time */
static bp_child_status send_values(bp_child *ch, const double *v, size_t n, char *msg, size_t len)
{
    static unsigned char buf[8192 * 8];
    size_t size = bp_dtype_size(session.dtype);
    for (size_t i = 0; i < n; i += 8192) {
        size_t k = n - i < 8192 ? n - i : 8192;
        bp_frame_encode(buf, v + i, k, session.dtype);
        bp_child_status st = bp_child_send_raw(ch, buf, k * size, msg, len);
        if (st != CHILD_OK)
            return st;
    }
    return CHILD_OK;
}

/* n values from the child into dst; *bad gets the first non-finite index (n: none). float64
 * is read in place and decoded in place (each value's 8 bytes become that value). */
static bp_child_status recv_values(bp_child *ch, double *dst, size_t n, double timeout, size_t *bad,
                                   char *msg, size_t len)
{
    static unsigned char buf[8192 * 4];
    *bad = n;
    if (session.dtype == BP_F64) {
        bp_child_status st = bp_child_recv_raw(ch, dst, n * 8, timeout, msg, len);
        if (st == CHILD_OK)
            *bad = bp_frame_decode(dst, (const unsigned char *)dst, n, BP_F64);
        return st;
    }
    for (size_t i = 0; i < n; i += 8192) {
        size_t k = n - i < 8192 ? n - i : 8192, b;
        bp_child_status st = bp_child_recv_raw(ch, buf, k * 4, timeout, msg, len);
        if (st != CHILD_OK)
            return st;
        b = bp_frame_decode(dst + i, buf, k, BP_F32);
        if (*bad == n && b < k)
            *bad = i + b;
    }
    return CHILD_OK;
}

/* The payload of a framed answer, after its header r: the header's "arrays" must be wanted
 * quantities, each once, and "payload" exactly their size. 0, or -1 with res->message set
 * (a payload that cannot be read leaves the stream out of step: the child is killed). */
static int read_payload(cf_result *res, bp_child *ch, const bp_case *c, json_t *r, cf_framed *fr,
                        const cf_opts *o, unsigned want)
{
    json_t *arrays = json_object_get(r, "arrays"), *p = json_object_get(r, "payload"),
           *f = json_object_get(r, "frames"), *a;
    size_t i, expect = 0, size = bp_dtype_size(session.dtype), m = c->batch->m;
    char names[128] = "";
    const char *why = NULL;
    if (!session.framed)
        why = "the answer has a payload, but this session speaks JSON lines (frames were not "
              "accepted)";
    else if (!json_is_string(f) || bp_dtype_lookup(json_string_value(f)) != session.dtype)
        why = "the answer's 'frames' is not the element type of the session";
    else if (!json_is_array(arrays) || !json_is_integer(p) || json_integer_value(p) < 0)
        why = "a framed answer needs 'arrays' (a list of names) and 'payload' (a byte count)";
    json_array_foreach(why ? NULL : arrays, i, a) {
        size_t q = 6;
        for (size_t k = 1; json_is_string(a) && k < 6; k++) /* 0 is cost: never an array */
            if ((want >> k & 1) && strcmp(json_string_value(a), cf_want[k]) == 0)
                q = k;
        if (q == 6 || fr->has[q]) {
            why = "'arrays' lists a name that is not a wanted array, or one twice";
            break;
        }
        fr->has[q] = 1;
        expect += bp_frame_count(c->params, m, cf_want[q]) * size;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", cf_want[q]);
    }
    if (!why && (size_t)json_integer_value(p) != expect) {
        snprintf(res->message, sizeof res->message, "the answer's payload is %lld bytes; %s for %s "
                 "at m = %zu take %zu bytes of %s (the implementation was killed)",
                 (long long)json_integer_value(p), *names ? names : "no arrays", c->id, m, expect,
                 bp_dtype_name(session.dtype));
        bp_child_kill(ch);
        return -1;
    }
    if (!why && expect > o->max_response << 20)
        why = "the payload is larger than --max-response";
    if (why) {
        snprintf(res->message, sizeof res->message, "%s (the implementation was killed)", why);
        bp_child_kill(ch);
        return -1;
    }
    char msg[512];
    size_t from = 0; /* NaN and Inf in the arrays are data, judged as any value */
    json_array_foreach(arrays, i, a) {
        const char *name = json_string_value(a);
        size_t n = bp_frame_count(c->params, m, name), bad = n;
        bp_child_status st = CHILD_OK;
        if (strcmp(name, "grad") == 0 || strcmp(name, "step") == 0) {
            bp_model *dst = strcmp(name, "grad") == 0 ? fr->grad : fr->step;
            st = recv_values(ch, dst->theta, n, o->timeout, &bad, msg, sizeof msg);
        } else {
            double **arr = strcmp(name, "z") == 0 ? fr->trace->z : strcmp(name, "a") == 0 ? fr->trace->a
                                                                                           : fr->trace->delta;
            for (size_t l = 1, off = 0; st == CHILD_OK && l <= c->params->L; l++) {
                size_t b, k = m * c->params->n[l];
                st = recv_values(ch, arr[l], k, o->timeout, &b, msg, sizeof msg);
                if (bad == n && b < k)
                    bad = off + b;
                off += k;
            }
        }
        if (st != CHILD_OK) {
            snprintf(res->message, sizeof res->message, "in the payload's '%s' (bytes %zu to %zu of "
                     "%zu): %s", name, from, from + n * size, expect, msg);
            res->timed_out = st == CHILD_TIMEOUT;
            return -1;
        }
        (void)bad;
        from += n * size;
    }
    return 0;
}

int cf_session_framed(void)
{
    return session.framed;
}

bp_child_status cf_send_case(bp_child *ch, const bp_case *c, unsigned want, int *framing, char *msg,
                             size_t msglen)
{
    *framing = session.framed && ch->pid != 0;
    json_t *req = *framing ? bp_case_header_json(c) : bp_case_to_json(c, 0), *w = json_array();
    for (size_t i = 0; i < 6; i++)
        if (want >> i & 1)
            json_array_append_new(w, json_string(cf_want[i]));
    json_object_set_new(req, "want", w);
    size_t np = c->params->nparams, nx = c->batch->m * c->batch->n_in, ny = c->batch->m * c->batch->n_out;
    if (*framing) {
        json_object_set_new(req, "protocol", json_string("bpcheck-protocol/2"));
        json_object_set_new(req, "frames", json_string(bp_dtype_name(session.dtype)));
        json_object_set_new(req, "batch_size", json_integer((json_int_t)c->batch->m));
        json_object_set_new(req, "payload", json_integer((json_int_t)((np + nx + ny) * bp_dtype_size(session.dtype))));
    } else {
        json_object_set_new(req, "protocol", json_string("bpcheck-protocol/1"));
    }
    char *line = bp_json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(req);
    if (!line) {
        snprintf(msg, msglen, "cannot build the request");
        return CHILD_ERROR;
    }
    bp_child_status st = bp_child_send(ch, line, strlen(line), msg, msglen);
    free(line);
    if (*framing && st == CHILD_OK)
        st = send_values(ch, c->params->theta, np, msg, msglen);
    if (*framing && st == CHILD_OK) /* c is the fixture set's: run.c restores what it drops */
        bp_case_params_drop((bp_case *)c);
    if (*framing && st == CHILD_OK)
        st = send_values(ch, c->batch->x, nx, msg, msglen);
    if (*framing && st == CHILD_OK)
        st = send_values(ch, c->batch->y, ny, msg, msglen);
    return st;
}

/* The judgement of an answer line (freed here): JSON, and in a framed session its payload,
 * read from ch (NULL: there is no child to read one from). */
void cf_read_answer(cf_result *res, bp_child *ch, const bp_case *c, const bp_case *prev, char *answer,
                    int framing, const cf_opts *o, unsigned want)
{
    cf_framed fr = {NULL, NULL, NULL, {0}};
    res->v = R_FAIL, res->protocol = 1;
    json_error_t je;
    json_t *r = json_loads(answer, JSON_REJECT_DUPLICATES, &je);
    if (!r) { /* NaN, Infinity, -Infinity as bare tokens (Python's json): read as their strings */
        char *quoted = nonfinite_quoted(answer);
        r = quoted ? json_loads(quoted, JSON_REJECT_DUPLICATES, NULL) : NULL;
        free(quoted);
    }
    if (!r || !json_is_object(r)) {
        if (!r)
            snprintf(res->message, sizeof res->message, "the answer is not valid JSON (column %d: %s)",
                     je.column, je.text);
        else
            snprintf(res->message, sizeof res->message, "the answer is %s; expected a JSON object",
                     bp_json_type_name(r));
        if (framing && ch && strstr(answer, "\"payload\"")) /* its payload, if any, is unreadable */
            bp_child_kill(ch);
        json_decref(r);
        free(answer);
        return;
    }
    free(answer);
    if (json_object_get(r, "payload")) {
        if (!ch) {
            snprintf(res->message, sizeof res->message, "the answer has a payload, but no child to "
                     "read it from");
            json_decref(r);
            return;
        }
        fr.grad = bp_model_alloc_like(c->params, NULL);
        fr.step = bp_model_alloc_like(c->params, NULL);
        fr.trace = bp_trace_alloc(c->params, c->batch->m, NULL);
        if (!fr.grad || !fr.step || !fr.trace || read_payload(res, ch, c, r, &fr, o, want)) {
            if (!fr.grad || !fr.step || !fr.trace) {
                snprintf(res->message, sizeof res->message, "out of memory for the answer's payload");
                res->ours = 1;
                bp_child_kill(ch);
            }
            bp_model_free(fr.grad), bp_model_free(fr.step), bp_trace_free(fr.trace);
            json_decref(r);
            return;
        }
    }
    cf_judge(res, c, prev, r, &fr, o, want);
}

/* What a testee's words may never do to the report (t/hostile's forged lines, as invariants
 * for the fuzzer): a raw control character in the YAML, or a line of it that is not indented
 * (it would be a TAP line of its own: "ok 99"); a message that stays raw once quoted. */
static void report_safe(const cf_result *res)
{
    char quoted[sizeof res->message * 4 + 8];
    cf_yaml_str(quoted, sizeof quoted, res->message);
    for (const char *p = quoted; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    for (const char *p = res->yaml; p && *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n') || (*p == '\n' && p[1] && strncmp(p + 1, "  ", 2) != 0))
            abort();
}

/* One answer line to case c (prev the request before), judged and checked: its verdict. */
static int fuzz_line(const char *data, size_t len, const bp_case *c, const bp_case *prev, const cf_opts *o,
                     char *msg, size_t msglen)
{
    char *answer = malloc(len + 1);
    if (!answer)
        return -1;
    memcpy(answer, data, len);
    answer[len] = '\0';
    cf_result res;
    memset(&res, 0, sizeof res);
    cf_read_answer(&res, NULL, c, prev, answer, 0, o, CF_WANT_ALL); /* answer freed there */
    if (res.v == R_FAIL && !res.yaml)
        cf_protocol_block(&res, c);
    report_safe(&res);
    if (msg)
        snprintf(msg, msglen, "%s", res.message);
    free(res.yaml);
    json_decref(res.detail);
    return res.v == R_PASS ? 0 : res.v == R_FAIL ? 1 : 2;
}

int bp_conform_fuzz_answer(const char *data, size_t len, char *msg, size_t msglen)
{
    static bp_case c, other;
    static int made;
    static cf_opts o;
    if (!data) {
        if (made)
            bp_case_clear(&c);
        made = 0;
        cf_forget_step();
        return 0;
    }
    if (!made) { /* one small case, its exact values, for every input */
        bp_gen_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.cost = BP_QUADRATIC, sp.red = BP_SUM, sp.m = 2, sp.regime = BP_R_TYPICAL;
        sp.slope = BP_LEAKY_SLOPE, sp.eta = 0.5;
        bp_error err;
        if (bp_sizes_parse("3,4,2", &sp.L, sp.n, &err) || bp_gen_case(&sp, &c, &err))
            return -1;
        other = c; /* the same values under another id: the request before, or after */
        other.id = "quadratic/3-4-2/m2/sum/the-other";
        char *argv[] = {"conform", NULL};
        cf_parse_args(1, argv, &o);
        made = 1;
    }
    /* one line: the answer to c. Several: a stream, each line the answer to the next request,
     * c and the other in turn, so that an extra or a missing line puts the rest out of step;
     * the verdict is the first failing line's */
    const char *nl = memchr(data, '\n', len);
    if (!nl || (size_t)(nl - data) + 1 == len)
        return fuzz_line(data, len, &c, &c, &o, msg, msglen);
    int worst = 0, k = 0;
    for (const char *p = data, *end = data + len; p < end; k++) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        char m[sizeof ((cf_result *)0)->message];
        int v = fuzz_line(p, n, k % 2 ? &other : &c, k % 2 ? &c : &other, &o, m, sizeof m);
        if (v == -1 || (v == 1 && worst != 1) || (v == 2 && worst == 0)) {
            worst = v;
            if (msg)
                snprintf(msg, msglen, "%s", m);
        }
        if (v == -1)
            return -1;
        p += n + (e != NULL);
    }
    return worst;
}
