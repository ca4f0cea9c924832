/* testsuite/conform/conform.c: `bpcheck conform`: run an implementation against the golden fixtures
 * over bpcheck-protocol/1 (testsuite/PROTOCOL.md), one TAP point per case, a YAML block with
 * the place, the size and the likely cause of every failure. */
#define _POSIX_C_SOURCE 200809L
#include "conform.h"

#include <dirent.h> /* opendir: is ./fixtures there */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "child.h"
#include "fixture.h"
#include "frame.h"
#include "generate.h"
#include "diagnose.h"
#include "lib/bpcheck.h"

#include "config.h" /* BPCHECK_DATADIR: $(PREFIX)/share/bpcheck, written by make */

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
} opts;

typedef enum { R_PASS, R_FAIL, R_SKIP } verdict;

typedef struct {
    verdict v;
    int protocol;      /* a failure of the protocol (crash, hang, garbage): never an xfail */
    int xfail;         /* listed in the xfail file */
    int unmeetable;    /* a SKIP: no correct implementation in the profile's precision can
                          meet the case (fixtures/FORMAT.md) */
    double used;       /* the largest error / bound among the entries within their bound */
    const char *hint;  /* the bug named (-> hint_text), or NULL */
    char hint_text[600];
    char names[300];   /* the models the hint names, comma-separated (YAML "named:") */
    char first[240];   /* where the pass first goes wrong (first_wrong), or "" */
    int ambiguous;     /* ... as an ambiguity ("candidates:") */
    int marginal;      /* failed, but every error within MARGINAL x its bound */
    char message[1024];
    int timed_out;     /* the implementation did not answer (or read) within --timeout */
    int deep_given;    /* the answer gave z, a or delta */
    uint64_t print;    /* a hash of the answer's cost, gradient and step (FNV-1a of their bits) */
    char *yaml;        /* the YAML body (without --- and ...), or NULL */
    json_t *detail;    /* the same as JSON (--format json), or NULL */
} result;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck conform [--impl CMD] [OPTIONS]\n"
            "\n"
            "Run an implementation of backpropagation against the golden-value fixtures, over\n"
            "bpcheck-protocol/1 (testsuite/PROTOCOL.md): it is started once with /bin/sh -c CMD\n"
            "and answers one JSON request per line. Output: TAP, one point per case, a YAML\n"
            "block under every failure (where, how much, and a hint at the likely bug), and a\n"
            "closing line 'N passed, N failed, N skipped'.\n"
            "\n"
            "Options:\n"
            "  --impl CMD          the implementation (default: the bundled reference,\n"
            "                      'bpcheck serve')\n"
            "  --fixtures PATH     the fixtures: every PATH/*.json of a directory, or one file\n"
            "                      such as 'bpcheck fixtures' writes (default: ./fixtures if\n"
            "                      it exists, else $BPCHECK_FIXTURES, else the installed set)\n"
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
            "  --junit FILE        also write a JUnit XML report\n"
            "  --format F          tap (default), or json: one JSON object per case, one\n"
            "                      line each, then one with the counts and the summary\n"
            "  -h, --help          show this help\n"
            "\n"
            "Exit status: 0 every case passes (or fails as listed), 1 a failure or no case\n"
            "judged (unless --allow-empty), 2 usage error or unusable input (fixtures, xfail\n"
            "file, a pattern that matches no case).\n");
}

/* v is a or b: 0 or 1; otherwise a message naming the option, and -1 */
static int one_of(const char *opt, const char *v, const char *a, const char *b)
{
    if (strcmp(v, a) == 0 || strcmp(v, b) == 0)
        return strcmp(v, b) == 0;
    fprintf(stderr, "bpcheck conform: %s '%s': expected %s or %s\n", opt, v, a, b);
    return -1;
}

static int parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){NULL, NULL, NULL, NULL, {NULL}, {NULL}, 0, 0, 0, 0, 0, 0, 0, 1, NAN, NAN, 60.0, 256, 1, 3};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--deep") == 0) {
            o->deep = 1;
            continue;
        }
        if (strcmp(a, "--no-retry-deep") == 0) {
            o->retry_deep = 0;
            continue;
        }
        if (strcmp(a, "--xfail-update") == 0) {
            o->xfail_update = 1;
            continue;
        }
        if (strcmp(a, "--allow-empty") == 0) {
            o->allow_empty = 1;
            continue;
        }
        static const char *const with_value[] = {"--impl", "--fixtures", "--only", "--profile",
                                                 "--rtol", "--atol", "--timeout", "--xfail",
                                                 "--junit", "--max-response", "--format",
                                                 "--frames", "--hangs", "--exclude"};
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
        char *end;
        double num = strtod(v, &end);
        int numeric = end != v && *end == '\0' && isfinite(num);
        switch (which) {
        case 0: o->impl = v; break;
        case 1: o->fixtures = v; break;
        case 2:
        case 13: {
            const char **list = which == 2 ? o->only : o->exclude;
            size_t *count = which == 2 ? &o->nonly : &o->nexclude;
            if (*count == 64) {
                fprintf(stderr, "bpcheck conform: at most 64 %s patterns\n", with_value[which]);
                return 2;
            }
            list[(*count)++] = v;
            break;
        }
        case 3:
            if ((o->float32 = one_of("--profile", v, "float64", "float32")) < 0)
                return 2;
            break;
        case 4:
        case 5:
        case 6:
        case 9:
            if (!numeric || num < 0 || (which >= 6 && num <= 0)) {
                fprintf(stderr, "bpcheck conform: %s '%s': expected a %s number\n",
                        with_value[which], v, which >= 6 ? "positive" : "non-negative");
                return 2;
            }
            if (which == 4)
                o->rtol = num;
            else if (which == 5)
                o->atol = num;
            else if (which == 6)
                o->timeout = num;
            else
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
    }
    if (o->xfail_update && !o->xfail_path) {
        fprintf(stderr, "bpcheck conform: --xfail-update needs --xfail FILE\n");
        return 2;
    }
    return 0;
}

/* ---- the xfail list ---- */

typedef struct {
    char **ids;
    int *seen;
    size_t n;
} id_list;

static int load_xfail(id_list *x, const char *path)
{
    memset(x, 0, sizeof *x);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0; /* no list yet: nothing expected to fail */
        fprintf(stderr, "bpcheck conform: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
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

static int listed(id_list *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->ids[i], id) == 0) {
            x->seen[i] = 1;
            return 1;
        }
    return 0;
}

/* ---- one case ---- */


/* YAML-safe double-quoted string */
static void yaml_str(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < len; s++) {
        if (*s == '"' || *s == '\\')
            out[o++] = '\\';
        out[o++] = (*s == '\n' || *s == '\t') ? ' ' : *s;
    }
    out[o] = '\0';
}

typedef struct {
    const char *quantity;
    char where[96];   /* "W^2[1][0]", "b^1[3]", "layer 2, sample 4, neuron 1" */
    double got, expected, bound;
    size_t bad, total;
    const char *hint;
} failure;

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

/* A failure whose every error is within this factor of its bound is "marginal": reported as
 * such, with the factor, and never given a bug hint on that evidence alone. A bound is a worst
 * case over the accepted class, so a correct member can come close to it but not past; a
 * real bug is rarely that close (a wrong term, factor or sign moves an entry by its own size,
 * which is 1e10 bounds and more on ordinary cases). */
#define MARGINAL 10.0

/* Compare values with their per-entry bounds (NaN never within); remember the worst one, by
 * the ratio error / bound, and raise *ratio to it; raise *used to the largest ratio of the
 * entries within their bound. */
static size_t compare(const double *got, const double *exp, const double *bound, size_t n,
                      size_t *worst, double *ratio, double *used)
{
    size_t bad = 0;
    double worst_r = -1.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - exp[i]);
        if (d <= bound[i]) {
            if (bound[i] > 0 && d / bound[i] > *used)
                *used = d / bound[i];
            continue;
        }
        double r = isnan(d) ? INFINITY : bound[i] > 0 ? d / bound[i] : INFINITY;
        if (bad == 0 || r > worst_r)
            worst_r = r, *worst = i;
        bad++;
    }
    if (bad && worst_r > *ratio)
        *ratio = worst_r;
    return bad;
}

static void params_where(char *buf, size_t len, const bp_model *m, size_t i)
{
    bp_model_param_name(m, i, buf, len);
}

/* The arrays of a framed answer (PROTOCOL.md, "Binary frames"), decoded; has[q] says which of
 * want[q] came in the payload. */
typedef struct {
    bp_model *grad, *step;
    bp_trace *trace;
    int has[6];
} framed;

/* A number for YAML: fmt for a finite one, and YAML's .nan, .inf, -.inf otherwise. */
static void yaml_num(char *buf, size_t len, const char *fmt, double x)
{
    if (isfinite(x))
        snprintf(buf, len, fmt, x);
    else
        snprintf(buf, len, "%s", isnan(x) ? ".nan" : x > 0 ? ".inf" : "-.inf");
}

/* The trace array an answer's quantity name is read into, or NULL for cost, grad, step. */
static double **arr_of(const char *name, bp_trace *t)
{
    return strcmp(name, "z") == 0 ? t->z : strcmp(name, "a") == 0 ? t->a : strcmp(name, "delta") == 0 ? t->delta : NULL;
}

/* "; NaN in grad: 3 of 12 entries" appended to note where a quantity holds NaN or Inf (g,
 * total: its flat values; or the layers of arr). NaN and Inf in an answer are data: the
 * other quantities are judged all the same. */
static void nonfinite_note(char *note, size_t len, const char *name, const double *g, size_t total,
                           const bp_case *c, double **arr)
{
    size_t nan = 0, inf = 0, n = 0;
    if (arr) {
        for (size_t l = 1; l <= c->params->L; l++)
            for (size_t i = 0; i < c->batch->m * c->params->n[l]; i++, n++)
                nan += isnan(arr[l][i]), inf += isinf(arr[l][i]);
    } else {
        for (size_t i = 0; g && i < total; i++, n++)
            nan += isnan(g[i]), inf += isinf(g[i]);
    }
    if (!nan && !inf)
        return;
    size_t o = strlen(note);
    const char *what = !inf ? "NaN" : !nan ? "Inf" : "NaN or Inf";
    if (strcmp(name, "cost") == 0)
        snprintf(note + o, len - o, "; %s in the cost", what);
    else
        snprintf(note + o, len - o, "; %s in %s: %zu of %zu entries", what, name, nan + inf, n);
}

/* The last answered step and the case it answered (a model of momentum fits its velocity
 * from it: hypotheses.c); remember_step(NULL, NULL) lets it go. */
static struct {
    const bp_case *c;
    bp_model *step;
} last;

static void remember_step(const bp_case *c, const bp_model *step)
{
    bp_model_free(last.step);
    last.c = NULL, last.step = NULL;
    if (c && step && (last.step = bp_model_alloc_like(step, NULL)) != NULL) {
        bp_model_copy(last.step, step);
        last.c = c;
    }
}

/* FNV-1a over the bits of the answer's cost, gradient and step: two answers to one case that
 * agree there hash alike */
static uint64_t fingerprint(const bp_answer *ans)
{
    uint64_t h = 14695981039346656037u;
    const double *v[3] = {ans->cost, ans->grad ? ans->grad->theta : NULL, ans->step ? ans->step->theta : NULL};
    size_t n[3] = {1, ans->c->params->nparams, ans->c->params->nparams};
    for (int q = 0; q < 3; q++)
        for (size_t i = 0; v[q] && i < n[q]; i++) {
            unsigned char b[sizeof(double)];
            memcpy(b, &v[q][i], sizeof b);
            for (size_t k = 0; k < sizeof b; k++)
                h = (h ^ b[k]) * 1099511628211u;
        }
    return h;
}

static void evaluate(result *res, const bp_case *c, const bp_case *prev, json_t *r, const framed *fr,
                     const opts *o, const char **want, size_t nwant, size_t *checked)
{
    /* the case's per-entry bounds for the profile, or the scalar model of --rtol/--atol */
    bp_bounds *scalar = NULL;
    const bp_bounds *B = c->bounds[o->float32 ? BP_FLOAT32 : BP_FLOAT64];
    if (!isnan(o->rtol) || !isnan(o->atol))
        B = scalar = bp_bounds_scalar(c, isnan(o->rtol) ? 0.0 : o->rtol, isnan(o->atol) ? 0.0 : o->atol);
    double ratio = 0.0; /* the worst error / bound over every quantity */
    json_t *unsup = json_object_get(r, "unsupported");
    failure f = {NULL, "", 0, 0, 0, 0, 0, NULL};
    char failed_list[128] = "", nf_note[300] = "";
    double cost_got = NAN;
    bp_model *got_grad = fr ? fr->grad : bp_model_alloc_like(c->params, NULL);
    bp_model *got_step = fr ? fr->step : bp_model_alloc_like(c->params, NULL);
    bp_trace *t = fr ? fr->trace : bp_trace_alloc(c->params, c->batch->m, NULL);
    /* what the answer gave, for the diagnosis (diagnose.h); NULL: not given */
    bp_answer ans = {c, B, NULL, NULL, NULL, NULL, NULL, NULL, prev && prev != c && prev == last.c ? last.step : NULL};
    /* (asked again, the previous request is this case: a velocity from it is the answer's own
     * gradient over again, so no momentum is fitted to it) */
    for (size_t q = 0; q < nwant; q++) {
        const char *name = want[q];
        int skipped = 0;
        size_t k;
        json_t *u;
        json_array_foreach(unsup, k, u) skipped |= json_is_string(u) && strcmp(json_string_value(u), name) == 0;
        if (skipped)
            continue;
        json_t *v = json_object_get(r, name);
        int in_frame = fr && fr->has[q]; /* decoded already, in got_grad, got_step or t */
        bp_error err;
        char what[600];
        snprintf(what, sizeof what, "answer to '%s'", c->id);
        if (!v && !in_frame) {
            snprintf(res->message, sizeof res->message, "the answer has no '%s' (and does not list it "
                     "as unsupported)", name);
            res->v = R_FAIL, res->protocol = 1;
            break;
        }
        (*checked)++;
        size_t bad = 0, total = 0, worst = 0;
        const double *g = NULL, *e = NULL;
        if (strcmp(name, "cost") == 0) {
            if (!json_is_number(v) && !bp_json_nonfinite_value(v, &cost_got)) {
                snprintf(res->message, sizeof res->message, "'cost' is %s; expected a number (or "
                         "NaN, Infinity, -Infinity, null: PROTOCOL.md)", bp_json_type_name(v));
                res->v = R_FAIL, res->protocol = 1;
                break;
            }
            if (json_is_number(v))
                cost_got = json_number_value(v);
            ans.cost = &cost_got;
            g = &cost_got, e = &c->cost_value, total = 1;
            bad = compare(g, e, &B->cost, 1, &worst, &ratio, &res->used);
            if (bad && !f.quantity) {
                f = (failure){"cost", "", cost_got, c->cost_value, B->cost, 1, 1, NULL};
            }
        } else if (strcmp(name, "grad") == 0 || strcmp(name, "step") == 0) {
            bp_model *got = strcmp(name, "grad") == 0 ? got_grad : got_step;
            if (!in_frame && bp_params_from_json(got, v, what, name, &err)) {
                /* the right numbers in the wrong shapes: transposed, or the previous request's */
                bp_model *tr = NULL;
                int prev_shapes = prev && (tr = bp_model_alloc_like(prev->params, NULL)) &&
                                  bp_params_from_json(tr, v, what, name, &err) == 0;
                bp_model_free(tr);
                static char shape_hint[400];
                const char *hint = bp_match_shapes(c, prev, json_object_get(v, "W"), prev_shapes, shape_hint,
                                                   sizeof shape_hint);
                bp_error e2;
                bp_params_from_json(got, v, what, name, &e2); /* the first message again */
                snprintf(res->message, sizeof res->message, "%s", e2.msg);
                res->v = R_FAIL, res->protocol = hint == NULL;
                if (hint) {
                    f = (failure){name, "", NAN, NAN, NAN, 0, 0, hint};
                    res->ambiguous = bp_hint_names(hint, res->names, sizeof res->names);
                    ratio = INFINITY;
                    strcat(failed_list, name);
                }
                break;
            }
            int is_grad = strcmp(name, "grad") == 0;
            if (is_grad)
                ans.grad = got;
            else
                ans.step = got;
            bp_model *want_m = is_grad ? c->grad : c->step;
            const double *bound = is_grad ? B->grad->theta : B->step->theta;
            g = got->theta, e = want_m->theta, total = got->nparams;
            bad = compare(g, e, bound, total, &worst, &ratio, &res->used);
            if (bad && !f.quantity) {
                f = (failure){name, "", g[worst], e[worst], bound[worst], bad, total, NULL};
                params_where(f.where, sizeof f.where, c->params, worst);
            }
        } else {
            double **arr = strcmp(name, "z") == 0 ? t->z : strcmp(name, "a") == 0 ? t->a : t->delta;
            double **exp = strcmp(name, "z") == 0   ? c->trace->z
                           : strcmp(name, "a") == 0 ? c->trace->a
                                                    : c->trace->delta;
            double **bnd = strcmp(name, "z") == 0   ? B->trace->z
                           : strcmp(name, "a") == 0 ? B->trace->a
                                                    : B->trace->delta;
            if (!in_frame && bp_layers_from_json(arr, c->params, c->batch->m, v, what, name, &err)) {
                snprintf(res->message, sizeof res->message, "%s", err.msg);
                res->v = R_FAIL, res->protocol = 1;
                break;
            }
            if (arr == t->z)
                ans.z = t->z;
            else if (arr == t->a)
                ans.a = t->a;
            else
                ans.delta = t->delta;
            for (size_t l = 1; l <= c->params->L; l++) {
                size_t n = c->batch->m * c->params->n[l], w = 0;
                size_t b = compare(arr[l], exp[l], bnd[l], n, &w, &ratio, &res->used);
                bad += b, total += n;
                if (b && !f.quantity) {
                    f = (failure){name, "", arr[l][w], exp[l][w], bnd[l][w], 0, 0, NULL};
                    snprintf(f.where, sizeof f.where, "layer %zu, sample %zu, neuron %zu", l,
                             w / c->params->n[l], w % c->params->n[l]);
                }
            }
            if (bad && f.quantity == name)
                f.bad = bad, f.total = total;
        }
        if (bad) {
            if (*failed_list)
                strcat(failed_list, ", ");
            strcat(failed_list, name);
        }
        nonfinite_note(nf_note, sizeof nf_note, name, g, total, c, arr_of(name, t));
    }
    int marginal = f.quantity && ratio <= MARGINAL;
    if (res->v != R_FAIL && f.quantity) {
        res->v = R_FAIL;
        if (marginal)
            snprintf(res->message, sizeof res->message, "%s out of tolerance, marginally: the worst "
                     "error is %.2g x its bound", failed_list, ratio);
        else
            snprintf(res->message, sizeof res->message, "%s out of tolerance%s", failed_list, nf_note);
    }
    if (res->v == R_FAIL) {
        json_t *dj = res->detail = json_object();
        char msg[1100], hint[700], yaml[8192];
        yaml_str(msg, sizeof msg, res->message);
        size_t o2 = (size_t)snprintf(yaml, sizeof yaml, "  message: \"%s\"\n  case: \"%s\"\n", msg, c->id);
        if (f.quantity) {
            o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  failed: [%s]\n  quantity: %s\n",
                                   failed_list, f.quantity);
            json_object_set_new(dj, "failed", json_string(failed_list));
            json_object_set_new(dj, "quantity", json_string(f.quantity));
            if (f.total) {
                char got[32], ae[32], re[32];
                double d = fabs(f.got - f.expected);
                yaml_num(got, sizeof got, "%.17g", f.got), yaml_num(ae, sizeof ae, "%.3g", d);
                yaml_num(re, sizeof re, "%.3g", f.expected != 0 ? d / fabs(f.expected) : INFINITY);
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2,
                                       "  where: \"%s\"\n  got: %s\n  expected: %.17g\n"
                                       "  abs_error: %s\n  rel_error: %s\n"
                                       "  out_of_tolerance: %zu\n  entries: %zu\n",
                                       f.where, got, f.expected, ae, re, f.bad, f.total);
                json_object_set_new(dj, "where", json_string(f.where));
                if (isfinite(f.got))
                    json_object_set_new(dj, "got", json_real(f.got));
                else
                    json_object_set_new(dj, "got", json_string(isnan(f.got) ? "NaN" : f.got > 0 ? "Infinity" : "-Infinity"));
                json_object_set_new(dj, "expected", json_real(f.expected));
                json_object_set_new(dj, "bound", json_real(f.bound));
                json_object_set_new(dj, "out_of_tolerance", json_integer((json_int_t)f.bad));
                json_object_set_new(dj, "entries", json_integer((json_int_t)f.total));
            }
            if (f.total)
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  bound: %.2g\n", f.bound);
            o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  tolerance: \"%s\"\n",
                                   scalar ? "the scalar model of --rtol/--atol"
                                   : o->float32 ? "per entry, profile float32"
                                                : "per entry, profile float64");
            if (isfinite(ratio)) {
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  error_over_bound: %.3g\n", ratio);
                json_object_set_new(dj, "error_over_bound", json_real(ratio));
            }
            json_object_set_new(dj, "marginal", json_boolean(marginal));
            if (marginal)
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2,
                                       "  verdict: \"marginal: every error is within %g x its bound; "
                                       "no bug is named on such evidence\"\n", MARGINAL);
        }
        bp_matches mt; /* the bug models the answer matches: named only when one does */
        if (f.quantity && f.total && !res->protocol) { /* the evidence, and where it starts */
            bp_error rerr; /* the diagnosis replays bugs on the parameters: have them back */
            bp_case_params_restore((bp_case *)c, &rerr);
            bp_findings fd;
            bp_diagnose(&fd, &ans);
            bp_match_bugs(&mt, &ans, prev);
            if (!f.hint && mt.n) {
                f.hint = mt.hint;
                match_names(&mt, res->names, sizeof res->names);
                res->ambiguous = mt.ambiguous;
            }
            if (fd.n)
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  evidence:\n");
            json_t *ev = json_array();
            for (size_t i = 0; i < fd.n; i++)
                json_array_append_new(ev, json_string(fd.evidence[i]));
            json_object_set_new(dj, "evidence", ev);
            if (fd.first[0])
                json_object_set_new(dj, "first_wrong", json_string(fd.first));
            snprintf(res->first, sizeof res->first, "%s", fd.first);
            for (size_t i = 0; i < fd.n && o2 < sizeof yaml; i++) {
                char e[BP_EVIDENCE_LEN + 20];
                yaml_str(e, sizeof e, fd.evidence[i]);
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "    - \"%s\"\n", e);
            }
            if (fd.wrong > fd.n && o2 < sizeof yaml)
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "    - \"and %zu more tensors\"\n",
                                       fd.wrong - fd.n);
            if (fd.first[0] && o2 < sizeof yaml) {
                char e[260];
                yaml_str(e, sizeof e, fd.first);
                o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  first_wrong: \"%s\"\n", e);
            }
        }
        res->marginal = marginal;
        if (f.hint && !marginal)
            json_object_set_new(dj, "hint", json_string(f.hint));
        if (f.hint && !marginal) {
            snprintf(res->hint_text, sizeof res->hint_text, "%s", f.hint);
            res->hint = res->hint_text;
        }
        if (f.hint && !marginal && o2 < sizeof yaml) {
            yaml_str(hint, sizeof hint, f.hint);
            o2 += (size_t)snprintf(yaml + o2, sizeof yaml - o2, "  hint: \"%s\"\n", hint);
            if (o2 < sizeof yaml)
                yaml_names(yaml + o2, sizeof yaml - o2, res->names, res->ambiguous);
        }
        res->yaml = strdup(yaml);
    }
    remember_step(ans.step ? c : NULL, ans.step);
    res->deep_given = ans.z || ans.a || ans.delta;
    res->print = fingerprint(&ans);
    if (!fr) {
        bp_model_free(got_grad), bp_model_free(got_step);
        bp_trace_free(t);
    }
    bp_bounds_free(scalar);
}

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

/* Send one case, read the answer, judge it. */
/* libbpcheck (lib/bpcheck.h): the implementation in this process, or NULL for a child */
static const bpc_impl *inproc;

/* The answer an adapter would give, from inproc's callbacks, NaN and Inf written as their
 * strings (PROTOCOL.md), as an adapter's would be. */
static json_t *inproc_answer(const bp_case *c, const char **want, size_t nwant)
{
    json_t *r = json_pack("{s:s}", "id", c->id), *unsup = json_array();
    bp_error err = {""};
    bp_model *g = bp_model_alloc_like(c->params, &err), *st = bp_model_alloc_like(c->params, &err);
    bp_trace *t = bp_trace_alloc(c->params, c->batch->m, &err);
    double cost = NAN;
    int rc = g && st && t ? inproc->gradient(c, &cost, g, inproc->ctx, &err) : -1;
    int have_step = 0, have_trace = 0;
    if (rc == 0 && inproc->step)
        rc = inproc->step(c, g, st, inproc->ctx, &err), have_step = rc == 0;
    if (rc == 0 && inproc->trace && nwant > 3)
        rc = inproc->trace(c, t, inproc->ctx, &err), have_trace = rc == 0;
    if (rc == BPC_UNSUPPORTED) {
        json_object_set_new(r, "unsupported", json_string(err.msg[0] ? err.msg : "unsupported"));
    } else if (rc) {
        json_object_set_new(r, "error", json_string(err.msg[0] ? err.msg : "the callback failed"));
    } else {
        bp_json_nonfinite(1);
        for (size_t i = 0; i < nwant; i++) {
            const char *k = want[i];
            json_t *v = strcmp(k, "cost") == 0   ? (isfinite(cost) ? json_real(cost)
                                                    : json_string(isnan(cost) ? "NaN" : cost > 0 ? "Infinity"
                                                                                                : "-Infinity"))
                        : strcmp(k, "grad") == 0 ? bp_json_params(g)
                        : strcmp(k, "step") == 0 ? (have_step ? bp_json_params(st) : NULL)
                        : !have_trace            ? NULL
                        : strcmp(k, "z") == 0    ? bp_json_layers(t->z, c->params, c->batch->m)
                        : strcmp(k, "a") == 0    ? bp_json_layers(t->a, c->params, c->batch->m)
                                                 : bp_json_layers(t->delta, c->params, c->batch->m);
            if (v)
                json_object_set_new(r, k, v);
            else
                json_array_append_new(unsup, json_string(k));
        }
        bp_json_nonfinite(0);
        json_object_set(r, "unsupported", unsup);
    }
    json_decref(unsup);
    bp_model_free(g), bp_model_free(st), bp_trace_free(t);
    return r;
}

/* ---- binary frames (PROTOCOL.md): offered at each start of the child ---- */

static struct {
    int framed;     /* the running child accepted frames */
    bp_dtype dtype; /* in this element type */
} session;

/* The first line a started child gets: a small valid /1 request that also offers frames. A
 * /1 implementation answers it as any request and the session stays JSON; one that speaks /2
 * names the element type it takes in "frames". Its numbers are not judged. */
static bp_child_status negotiate(bp_child *ch, const opts *o, char *msg, size_t msglen)
{
    session.framed = 0;
    if (!o->frames)
        return CHILD_OK;
    char line[600], *answer = NULL;
    snprintf(line, sizeof line, "{\"protocol\": \"bpcheck-protocol/1\", \"id\": \"bpcheck:hello\", "
             "\"model\": {\"cost\": \"quadratic\", \"sizes\": [1, 1], \"reduction\": \"sum\"}, "
             "\"params\": {\"W\": [[[0.5]]], \"b\": [[0.25]]}, \"batch\": {\"x\": [[1.0]], \"y\": [[0.5]]}, "
             "\"eta\": 0.5, \"want\": [\"cost\"], \"frames\": [%s]}",
             o->float32 ? "\"f32\", \"f64\"" : "\"f64\"");
    bp_child_status st = bp_child_send(ch, line, strlen(line), msg, msglen);
    if (st == CHILD_OK)
        st = bp_child_recv(ch, &answer, o->timeout, msg, msglen);
    if (st != CHILD_OK) {
        free(answer);
        return st; /* the case fails with this: no second wait for a child that hangs */
    }
    json_t *r = json_loads(answer, 0, NULL), *id = json_object_get(r, "id"),
           *f = json_object_get(r, "frames");
    if (json_is_string(id) && strcmp(json_string_value(id), "bpcheck:hello") == 0 && json_is_string(f)) {
        bp_dtype d = bp_dtype_lookup(json_string_value(f));
        if (d == BP_F64 || (d == BP_F32 && o->float32))
            session.framed = 1, session.dtype = d;
    }
    json_decref(r);
    free(answer);
    return CHILD_OK;
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
static int read_payload(result *res, bp_child *ch, const bp_case *c, json_t *r, framed *fr,
                        const opts *o, const char **want, size_t nwant)
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
        size_t q = nwant;
        for (size_t k = 1; json_is_string(a) && k < nwant; k++) /* 0 is cost: never an array */
            if (strcmp(json_string_value(a), want[k]) == 0)
                q = k;
        if (q == nwant || fr->has[q]) {
            why = "'arrays' lists a name that is not a wanted array, or one twice";
            break;
        }
        fr->has[q] = 1;
        expect += bp_frame_count(c->params, m, want[q]) * size;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", want[q]);
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

/* The judgement of an answer given as a JSON object r (consumed), with the arrays of its
 * payload in fr (freed) where it had one. */
static void judge_object(result *res, const bp_case *c, const bp_case *prev, json_t *r, framed *fr,
                         const opts *o, const char **want, size_t nwant)
{
    json_t *id = json_object_get(r, "id"), *u = json_object_get(r, "unsupported"),
           *e = json_object_get(r, "error");
    if (!json_is_string(id) || strcmp(json_string_value(id), c->id) != 0) {
        snprintf(res->message, sizeof res->message, "the answer's id is %s%s%s; expected '%s'",
                 json_is_string(id) ? "'" : "", json_is_string(id) ? json_string_value(id) : "missing",
                 json_is_string(id) ? "'" : "", c->id);
    } else if (json_is_string(u)) {
        res->v = R_SKIP, res->protocol = 0;
        snprintf(res->message, sizeof res->message, "unsupported: %s", json_string_value(u));
    } else if (e) {
        snprintf(res->message, sizeof res->message, "the implementation reported an error: %s",
                 json_is_string(e) ? json_string_value(e) : "(not a string)");
    } else {
        res->v = R_PASS, res->protocol = 0;
        size_t checked = 0;
        bp_json_nonfinite(1); /* NaN and Inf in an answer are data (PROTOCOL.md) */
        evaluate(res, c, prev, r, fr->grad ? fr : NULL, o, want, nwant, &checked);
        bp_json_nonfinite(0);
        if (res->v == R_PASS && checked == 0) {
            res->v = R_SKIP;
            snprintf(res->message, sizeof res->message, "every wanted quantity is unsupported");
        }
    }
    bp_model_free(fr->grad), bp_model_free(fr->step), bp_trace_free(fr->trace);
    json_decref(r);
}

/* The judgement of an answer line (freed here): JSON, and in a framed session its payload,
 * read from ch (NULL: there is no child to read one from). */
static void judge_text(result *res, bp_child *ch, const bp_case *c, const bp_case *prev, char *answer,
                       int framing, const opts *o, const char **want, size_t nwant)
{
    framed fr = {NULL, NULL, NULL, {0}};
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
        if (!fr.grad || !fr.step || !fr.trace || read_payload(res, ch, c, r, &fr, o, want, nwant)) {
            if (!fr.grad || !fr.step || !fr.trace) {
                snprintf(res->message, sizeof res->message, "out of memory for the answer's payload");
                bp_child_kill(ch);
            }
            bp_model_free(fr.grad), bp_model_free(fr.step), bp_trace_free(fr.trace);
            json_decref(r);
            return;
        }
    }
    judge_object(res, c, prev, r, &fr, o, want, nwant);
}

int bp_conform_fuzz_answer(const char *data, size_t len, char *msg, size_t msglen)
{
    static bp_case c;
    static int made;
    static opts o;
    if (!data) {
        if (made)
            bp_case_clear(&c);
        made = 0;
        remember_step(NULL, NULL);
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
        char *argv[] = {"conform", NULL};
        parse_args(1, argv, &o);
        made = 1;
    }
    const char *want[6] = {"cost", "grad", "step", "z", "a", "delta"};
    char *answer = malloc(len + 1);
    if (!answer)
        return -1;
    memcpy(answer, data, len);
    answer[len] = '\0';
    result res;
    memset(&res, 0, sizeof res);
    judge_text(&res, NULL, &c, &c, answer, 0, &o, want, 6); /* answer freed there */
    if (msg)
        snprintf(msg, msglen, "%s", res.message);
    free(res.yaml);
    json_decref(res.detail);
    return res.v == R_PASS ? 0 : res.v == R_FAIL ? 1 : 2;
}

static void run_case_sent(result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                          const opts *o);

/* One case. A large case's parameters (in a binary companion) leave memory once sent, while
 * the answer is read and compared, and come back after: the runner then holds about twice the
 * case's data, not two and a third times. */
static void run_case_restored(result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                              const opts *o)
{
    run_case_sent(res, ch, c, prev, o);
    bp_error err;
    if (bp_case_params_restore((bp_case *)c, &err) && res->v != R_FAIL) {
        res->v = R_FAIL, res->protocol = 1;
        snprintf(res->message, sizeof res->message, "%s", err.msg);
    }
}

/* Set when an implementation asked again with z, a and delta did not give them: it is not
 * asked again in this run. */
static int deep_refused;

/* A note for the case's YAML and JSON: why the report reads as it does. */
static void add_note(result *res, const char *key, const char *text)
{
    char line[400];
    snprintf(line, sizeof line, "  %s: \"%s\"\n", key, text);
    size_t n = res->yaml ? strlen(res->yaml) : 0;
    char *y = realloc(res->yaml, n + strlen(line) + 1);
    if (y) {
        memcpy(y + n, line, strlen(line) + 1);
        res->yaml = y;
    }
    if (res->detail)
        json_object_set_new(res->detail, key, json_string(text));
}

/* A failing case asked again with z, a and delta (--deep), so that first_wrong places the bug
 * in a layer without the user knowing about --deep. The second answer's report replaces the
 * first when it fails too and gives them; the implementation's previous request is then this
 * case (a stateful one answers from it). */
static void retry_deep(result *res, bp_child *ch, const bp_case *c, const opts *o)
{
    opts od = *o;
    od.deep = 1;
    result r2;
    run_case_restored(&r2, ch, c, c, &od);
    if (r2.v == R_FAIL && !r2.protocol && r2.deep_given && r2.print != res->print) {
        /* the second answer's cost, gradient or step differ from the first's: state kept
         * between requests. The first report stands, placed by the second */
        char note[400];
        snprintf(note, sizeof note, "asked again with z, a and delta (--deep), it answered otherwise (state "
                 "kept between requests?), with first_wrong: %s", r2.first);
        add_note(res, "retried", note);
    } else if (r2.v == R_FAIL && !r2.protocol && r2.deep_given) {
        free(res->yaml), json_decref(res->detail);
        *res = r2;
        if (res->hint) /* it pointed into r2 */
            res->hint = res->hint_text;
        add_note(res, "retried", "asked again with z, a and delta (--deep) to place the failure; "
                                 "--no-retry-deep turns this off");
        return;
    } else if (r2.v == R_PASS)
        add_note(res, "retried", "asked again with z, a and delta, it passed: two asks of one case got "
                                 "different answers (state kept between requests?)");
    else if (!r2.deep_given || r2.protocol) {
        deep_refused = 1;
        add_note(res, "retried", "asked again with z, a and delta: not given, so no case is asked again");
    }
    free(r2.yaml), json_decref(r2.detail);
}

static void run_case(result *res, bp_child *ch, const bp_case *c, const bp_case *prev, const opts *o)
{
    run_case_restored(res, ch, c, prev, o);
    if (res->v == R_FAIL && !res->protocol && !res->marginal && !o->deep && o->retry_deep && !deep_refused)
        retry_deep(res, ch, c, o);
}

static void run_case_sent(result *res, bp_child *ch, const bp_case *c, const bp_case *prev,
                          const opts *o)
{
    memset(res, 0, sizeof *res);
    if (!c->bounds[o->float32 ? BP_FLOAT32 : BP_FLOAT64] && isnan(o->rtol) && isnan(o->atol)) {
        res->v = R_SKIP, res->unmeetable = 1;
        snprintf(res->message, sizeof res->message, "no correct %s implementation can meet this case: %s",
                 o->float32 ? "float32" : "float64", c->unmeetable[o->float32 ? BP_FLOAT32 : BP_FLOAT64]);
        return;
    }
    const char *want[6] = {"cost", "grad", "step", "z", "a", "delta"};
    size_t nwant = o->deep ? 6 : 3;
    json_t *r = NULL;
    framed fr = {NULL, NULL, NULL, {0}};
    if (inproc) {
        res->v = R_FAIL, res->protocol = 1;
        if (!(r = inproc_answer(c, want, nwant))) {
            snprintf(res->message, sizeof res->message, "out of memory for the answer");
            return;
        }
        judge_object(res, c, prev, r, &fr, o, want, nwant);
        return;
    }
    char msg[512], *answer = NULL;
    bp_child_status st = ch->pid == 0 ? negotiate(ch, o, msg, sizeof msg) : CHILD_OK;
    if (st != CHILD_OK) {
        res->v = R_FAIL, res->protocol = 1, res->timed_out = st == CHILD_TIMEOUT;
        if (ch->start_failed)
            snprintf(res->message, sizeof res->message, "the implementation could not be started: %.400s",
                     msg);
        else
            snprintf(res->message, sizeof res->message, "%.400s, at its first request after starting, "
                     "which offered binary frames (--frames off leaves the offer out)", msg);
        return;
    }
    int framing = session.framed && ch->pid != 0;
    json_t *req = framing ? bp_case_header_json(c) : bp_case_to_json(c, 0), *w = json_array();
    for (size_t i = 0; i < nwant; i++)
        json_array_append_new(w, json_string(want[i]));
    json_object_set_new(req, "want", w);
    size_t np = c->params->nparams, nx = c->batch->m * c->batch->n_in, ny = c->batch->m * c->batch->n_out;
    if (framing) {
        json_object_set_new(req, "protocol", json_string("bpcheck-protocol/2"));
        json_object_set_new(req, "frames", json_string(bp_dtype_name(session.dtype)));
        json_object_set_new(req, "batch_size", json_integer((json_int_t)c->batch->m));
        json_object_set_new(req, "payload", json_integer((json_int_t)((np + nx + ny) * bp_dtype_size(session.dtype))));
    } else {
        json_object_set_new(req, "protocol", json_string("bpcheck-protocol/1"));
    }
    char *line = bp_json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(req);
    res->v = R_FAIL, res->protocol = 1;
    if (!line) {
        snprintf(res->message, sizeof res->message, "cannot build the request");
        return;
    }
    st = bp_child_send(ch, line, strlen(line), msg, sizeof msg);
    free(line);
    if (framing && st == CHILD_OK)
        st = send_values(ch, c->params->theta, np, msg, sizeof msg);
    if (framing && st == CHILD_OK) /* c is the fixture set's: run_case restores what it drops */
        bp_case_params_drop((bp_case *)c);
    if (framing && st == CHILD_OK)
        st = send_values(ch, c->batch->x, nx, msg, sizeof msg);
    if (framing && st == CHILD_OK)
        st = send_values(ch, c->batch->y, ny, msg, sizeof msg);
    if (st == CHILD_OK)
        st = bp_child_recv(ch, &answer, o->timeout, msg, sizeof msg);
    if (st != CHILD_OK) {
        snprintf(res->message, sizeof res->message, "%s", msg);
        res->timed_out = st == CHILD_TIMEOUT;
        return;
    }
    judge_text(res, ch, c, prev, answer, framing, o, want, nwant);
}

static void xml_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* Is case id run: matched by an --only pattern (or there is none), and by no --exclude? */
static int selected(const opts *o, const char *id)
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
static int patterns_unmatched(const bp_fixture_set *fs, const opts *o)
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
            cases++, chosen += selected(o, fs->files[fi]->cases[ci].id);
    if (!bad && cases && !chosen) {
        fprintf(stderr, "bpcheck conform: --only and --exclude together leave none of the %zu cases\n", cases);
        bad = 1;
    }
    return bad;
}

int bp_conform_main(int argc, char **argv, const char *self)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    deep_refused = 0;
    char default_impl[4200];
    if (inproc && o.impl) {
        fprintf(stderr, "bpcheck conform: --impl does not apply in-process (libbpcheck)\n");
        return 2;
    }
    if (inproc)
        o.impl = "in-process (libbpcheck)";
    if (!o.impl) {
        snprintf(default_impl, sizeof default_impl, "'%s' serve", self);
        o.impl = default_impl;
    }
    if (!o.fixtures) {
        const char *env = getenv("BPCHECK_FIXTURES");
        DIR *d = opendir("fixtures");
        o.fixtures = d ? "fixtures" : env ? env : BPCHECK_DATADIR "/fixtures";
        if (d)
            closedir(d);
    }
    bp_fixture_set fs = {NULL, 0};
    id_list xf = {NULL, NULL, 0};
    bp_error ferr;
    /* only the profile judged: a 4 M-parameter case's other bounds are 64 MB not to hold */
    bp_fixture_only_profile(o.float32 ? BP_FLOAT32 : BP_FLOAT64);
    int loaded = bp_fixture_load_dir(&fs, o.fixtures, &ferr);
    bp_fixture_only_profile(-1);
    if (loaded) {
        fprintf(stderr, "bpcheck conform: %s\n", ferr.msg);
        return 2;
    }
    if (o.xfail_path && load_xfail(&xf, o.xfail_path)) {
        bp_fixture_set_free(&fs);
        return 2;
    }
    if (patterns_unmatched(&fs, &o)) {
        bp_fixture_set_free(&fs);
        for (size_t i = 0; i < xf.n; i++)
            free(xf.ids[i]);
        free(xf.ids), free(xf.seen);
        return 2;
    }
    bp_child ch;
    bp_child_init(&ch, inproc ? "true" : o.impl, o.max_response << 20); /* started on first use */
    ch.send_timeout = o.timeout;
    if (!inproc)
        bp_child_kill_on_signals(); /* a cancelled run leaves no implementation behind */
    const char *v = getenv("TAP_VERSION");
    if (!o.json)
        printf("TAP version %s\n# bpcheck conform: %s\n# fixtures: %s\n", v && strcmp(v, "14") == 0 ? "14" : "13",
           o.impl, o.fixtures);
    size_t n = 0, passed = 0, failed = 0, skipped = 0, xfailed = 0, unmeetable = 0;
    static bp_summary sum; /* what the failures have in common (diagnose.h); large, so static */
    memset(&sum, 0, sizeof sum);
    double used = 0.0; /* the closest any passing entry came to its bound, and where */
    const char *used_at = NULL;
    /* the JUnit cases go to memory first: <testsuite> carries the counts, known at the end */
    char *junit_buf = NULL;
    size_t junit_len = 0;
    FILE *junit = o.junit_path ? open_memstream(&junit_buf, &junit_len) : NULL;
    char **now_failing = NULL;
    size_t nfailing = 0;
    const bp_case *prev = NULL;
    size_t in_a_row = 0, not_run = 0; /* cases timed out one after another; cases not run */
    char hang_msg[300] = "";
    for (size_t fi = 0; fi < fs.nfiles; fi++)
        for (size_t ci = 0; ci < fs.files[fi]->ncases; ci++) {
            const bp_case *c = &fs.files[fi]->cases[ci];
            if (!selected(&o, c->id))
                continue;
            result res;
            int skipped_run = *hang_msg != '\0';
            if (skipped_run) { /* the implementation hangs: the rest is not run, and counted */
                memset(&res, 0, sizeof res);
                res.v = R_FAIL, res.protocol = 1;
                snprintf(res.message, sizeof res.message, "not run: %s", hang_msg);
                not_run++;
            } else {
                run_case(&res, &ch, c, prev, &o);
            }
            in_a_row = res.timed_out ? in_a_row + 1 : 0;
            if (o.hangs && in_a_row == o.hangs && !*hang_msg)
                snprintf(hang_msg, sizeof hang_msg, "the implementation hangs: %zu cases in a row got "
                         "no answer within %g s (--hangs %zu)", o.hangs, o.timeout, o.hangs);
            prev = c;
            if (res.v == R_PASS && res.used > used) /* a passing case: a failed one is past it */
                used = res.used, used_at = c->id;
            n++;
            res.xfail = o.xfail_path && listed(&xf, c->id);
            if (res.v != R_SKIP && !skipped_run)
                bp_summary_add(&sum, c, n, res.v == R_FAIL && !(res.xfail && !res.protocol), res.hint,
                               res.ambiguous ? "" : res.names, res.first, res.marginal);
            if (res.v == R_FAIL && !res.protocol) {
                now_failing = realloc(now_failing, (nfailing + 1) * sizeof *now_failing);
                now_failing[nfailing++] = c->id;
            }
            if (o.json) { /* one object a line: the case, its verdict, and what the YAML says */
                const char *verdict = res.v == R_PASS ? (res.xfail ? "unexpected-pass" : "pass")
                                      : res.v == R_SKIP ? "skip"
                                      : res.xfail && !res.protocol ? "xfail" : "fail";
                json_t *line = json_pack("{s:I, s:s, s:s}", "n", (json_int_t)n, "id", c->id, "verdict", verdict);
                if (res.v != R_PASS)
                    json_object_set_new(line, "message", json_string(res.message));
                if (res.v == R_FAIL)
                    json_object_set_new(line, "protocol", json_boolean(res.protocol));
                if (res.detail)
                    json_object_update(line, res.detail);
                char *text = bp_json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17));
                printf("%s\n", text ? text : "{}");
                free(text);
                json_decref(line);
            }
            if (res.v == R_PASS && res.xfail) {
                if (!o.json)
                    printf("not ok %zu - %s\n  ---\n  message: \"an unexpected pass: the case is in the "
                           "xfail list\"\n  ...\n", n, c->id);
                failed++;
            } else if (res.v == R_PASS) {
                if (!o.json)
                    printf("ok %zu - %s\n", n, c->id);
                passed++;
            } else if (res.v == R_SKIP) {
                if (!o.json)
                    printf("ok %zu - %s # SKIP %s\n", n, c->id, res.message);
                skipped++;
                unmeetable += res.unmeetable;
            } else if (res.xfail && !res.protocol) {
                if (!o.json)
                    printf("not ok %zu - %s # TODO expected failure (xfail list)\n", n, c->id);
                xfailed++;
            } else {
                if (!res.yaml) { /* a protocol failure: the message is the diagnosis */
                    char m[1100], y[1400];
                    yaml_str(m, sizeof m, res.message);
                    snprintf(y, sizeof y, "  message: \"%s\"\n  case: \"%s\"\n", m, c->id);
                    res.yaml = strdup(y);
                }
                if (!o.json)
                    printf("not ok %zu - %s\n  ---\n%s  ...\n", n, c->id, res.yaml);
                failed++;
            }
            fflush(stdout);
            if (junit) {
                fprintf(junit, "  <testcase classname=\"bpcheck.%s\" name=\"", bp_cost_name(c->cost));
                xml_escaped(junit, c->id);
                fprintf(junit, "\">");
                if (res.v == R_SKIP) {
                    fprintf(junit, "<skipped message=\"");
                    xml_escaped(junit, res.message);
                    fprintf(junit, "\"/>");
                } else if (res.v == R_FAIL && !(res.xfail && !res.protocol)) {
                    fprintf(junit, "<failure message=\"");
                    xml_escaped(junit, res.message);
                    fprintf(junit, "\">");
                    xml_escaped(junit, res.yaml);
                    fprintf(junit, "</failure>");
                }
                fprintf(junit, "</testcase>\n");
            }
            free(res.yaml);
            json_decref(res.detail);
        }
    bp_child_free(&ch);
    for (size_t i = 0; i < xf.n; i++)
        if (!xf.seen[i] && !o.xfail_update) {
            int exists = 0;
            for (size_t fi = 0; fi < fs.nfiles; fi++)
                for (size_t ci = 0; ci < fs.files[fi]->ncases; ci++)
                    exists |= strcmp(fs.files[fi]->cases[ci].id, xf.ids[i]) == 0;
            if (!exists) {
                if (o.json) {
                    json_t *line = json_pack("{s:I, s:s, s:s, s:s}", "n", (json_int_t)++n, "id", xf.ids[i],
                                             "verdict", "fail", "message", "the xfail list names an unknown case id");
                    char *text = bp_json_dumps(line, JSON_COMPACT);
                    printf("%s\n", text ? text : "{}");
                    free(text);
                    json_decref(line);
                } else
                    printf("not ok %zu - xfail list: '%s' is not a case id\n", ++n, xf.ids[i]);
                failed++;
            }
        }
    if (o.xfail_update) {
        FILE *f = fopen(o.xfail_path, "w");
        if (f) {
            fprintf(f, "# cases expected to fail (bpcheck conform --xfail-update)\n");
            for (size_t i = 0; i < nfailing; i++)
                fprintf(f, "%s\n", now_failing[i]);
            fclose(f);
            fprintf(o.json ? stderr : stdout, "# wrote %zu expected failures to %s\n", nfailing, o.xfail_path);
        } else {
            fprintf(stderr, "bpcheck conform: cannot write %s: %s\n", o.xfail_path, strerror(errno));
        }
    }
    if (junit) {
        fclose(junit);
        FILE *f = fopen(o.junit_path, "w");
        if (f) {
            char text[8192];
            bp_summary_format(&sum, "", text, sizeof text);
            fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"bpcheck "
                       "conform\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n%s",
                    n, failed, skipped, junit_buf ? junit_buf : "");
            if (text[0]) { /* the run's diagnosis, as the suite's output */
                fprintf(f, "  <system-out>");
                xml_escaped(f, text);
                fprintf(f, "</system-out>\n");
            }
            fprintf(f, "</testsuite>\n");
            fclose(f);
        } else {
            fprintf(stderr, "bpcheck conform: cannot write %s: %s\n", o.junit_path, strerror(errno));
        }
        free(junit_buf);
    }
    if (o.json) { /* the closing object: the counts and the diagnosis of the run */
        json_t *end = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "cases", (json_int_t)n, "passed",
                                (json_int_t)passed, "failed", (json_int_t)failed, "skipped", (json_int_t)skipped,
                                "xfailed", (json_int_t)xfailed, "unmeetable", (json_int_t)unmeetable,
                                "summary", bp_summary_json(&sum));
        if (used_at)
            json_object_set_new(end, "closest_to_bound", json_pack("{s:f, s:s}", "ratio", used, "id", used_at));
        if (not_run)
            json_object_set_new(end, "not_run", json_pack("{s:I, s:s}", "cases", (json_int_t)not_run,
                                                          "why", hang_msg));
        char *text = bp_json_dumps(end, JSON_COMPACT | JSON_REAL_PRECISION(17));
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(end);
    } else {
        printf("1..%zu\n", n);
        char text[8192];
        bp_summary_format(&sum, "# ", text, sizeof text);
        fputs(text, stdout);
        if (xfailed)
            printf("# %zu expected failures (xfail list)\n", xfailed);
        if (used_at)
            printf("# closest to a bound: an error %.2g x its bound, in %s\n", used, used_at);
        if (unmeetable)
            printf("# %zu skipped as unmeetable in %s (no correct implementation in that precision "
                   "can meet them)\n", unmeetable, o.float32 ? "float32" : "float64");
        if (not_run)
            printf("# %zu cases not run (counted as failed): %s\n", not_run, hang_msg);
        printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    }
    if (getenv("BPCHECK_PEAK_MEMORY")) {
        /* for make bench: the runner's own peak, children apart. VmHWM is this program's since
         * its exec; getrusage's ru_maxrss would carry over the peak of whoever forked it. */
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
        fprintf(stderr, "bpcheck conform: peak memory %ld KiB\n", kib);
    }
    free(now_failing);
    remember_step(NULL, NULL);
    for (size_t i = 0; i < xf.n; i++)
        free(xf.ids[i]);
    free(xf.ids), free(xf.seen);
    bp_fixture_set_free(&fs);
    if (!failed && passed == 0 && xfailed == 0 && !o.allow_empty) { /* nothing judged: no green on nothing */
        fprintf(o.json ? stderr : stdout, "%sno case was judged (%zu skipped): exit 1; --allow-empty accepts "
                "a run of nothing\n", o.json ? "bpcheck conform: " : "# ", skipped);
        return 1;
    }
    return failed ? 1 : 0;
}

int bpc_conform(const bpc_impl *impl, int argc, char **argv)
{
    if (!impl || !impl->gradient) {
        fprintf(stderr, "bpc_conform: the implementation has no gradient callback\n");
        return 2;
    }
    char *args[130] = {"conform"};
    if (argc > 129) {
        fprintf(stderr, "bpc_conform: more than 128 options\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    inproc = impl;
    int rc = bp_conform_main(argc > 0 ? argc : 1, args, "bpcheck");
    inproc = NULL;
    return rc;
}
