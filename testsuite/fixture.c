/* testsuite/fixture.c: read and write golden-value fixtures (fixture.h, fixtures/FORMAT.md). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#define _DEFAULT_SOURCE /* madvise */
#include "fixture.h"

#include "frame.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- reading: every failure names where ("FILE: case ID"), the field, and what was wanted */

const char *bp_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static json_t *field(json_t *obj, const char *key, json_type want, const char *what,
                     const char *path, bp_error *err)
{
    static const char *const names[] = {"an object", "an array", "a string", "a number",
                                        "a number", "a boolean", "a boolean", "null"};
    json_t *v = json_object_get(obj, key);
    if (!v) {
        bp_fail(err, "%s: field '%s%s' is missing", what, path, key);
        return NULL;
    }
    int ok = json_typeof(v) == want || (want == JSON_REAL && json_is_number(v));
    if (!ok) {
        bp_fail(err, "%s: field '%s%s' is %s; expected %s", what, path, key, bp_json_type_name(v),
                names[want]);
        return NULL;
    }
    return v;
}

/* a finite number into *out (out NULL: checked only) */
static int number(json_t *v, double *out, const char *what, const char *path, bp_error *err)
{
    if (!json_is_number(v))
        return bp_fail(err, "%s: field '%s' is %s; expected a number", what, path, bp_json_type_name(v));
    double x = json_number_value(v);
    if (!isfinite(x))
        return bp_fail(err, "%s: field '%s' is not finite", what, path);
    if (out)
        *out = x;
    return 0;
}

/* The one profile whose bounds a large case (one with a binary companion) has read
 * (bp_fixture_only_profile), or -1 for both. A plain JSON file always gives both: the
 * diagnosis of 'float32 arithmetic in a float64 build' judges an answer by the float32 bounds. */
static int only_profile = -1;

void bp_fixture_only_profile(int p)
{
    only_profile = p;
}

/* The binary companion of the fixture being read (FORMAT.md, "Binary companion"), or NULL;
 * its name and size for the messages. One file is read at a time. */
static struct {
    FILE *f;
    const char *name;
    long long size;
} companion;

/* rows x cols numbers from {"offset": BYTES, "count": N} in the companion: N little-endian
 * float64 values at that byte offset, N = rows x cols */
static int from_companion(json_t *ref, double *out, size_t rows, size_t cols, const char *what,
                          const char *path, const char *shape, bp_error *err)
{
    json_t *off = json_object_get(ref, "offset"), *cnt = json_object_get(ref, "count");
    size_t n = rows * (cols ? cols : 1), got, bad;
    if (!companion.f)
        return bp_fail(err, "%s: field '%s' is an object; expected an array (%s) (an "
                            "{\"offset\", \"count\"} reference needs the file's 'binary' "
                            "companion)", what, path, shape);
    if (!json_is_integer(off) || !json_is_integer(cnt) || json_object_size(ref) != 2)
        return bp_fail(err, "%s: field '%s' must be {\"offset\": BYTES, \"count\": N}", what, path);
    long long o = json_integer_value(off), k = json_integer_value(cnt);
    if (k < 0 || (unsigned long long)k != n)
        return bp_fail(err, "%s: field '%s' refers to %lld values in %s; expected %zu (%s)", what,
                       path, k, companion.name, n, shape);
    if (o < 0 || o > companion.size || (companion.size - o) / 8 < k)
        return bp_fail(err, "%s: field '%s' refers to bytes %lld to %lld of %s, which has %lld",
                       what, path, o, o + 8 * k, companion.name, companion.size);
    if (!out) /* checked only: the shape and the place */
        return 0;
    if (fseeko(companion.f, (off_t)o, SEEK_SET) ||
        bp_frame_read(companion.f, out, n, BP_F64, &got, &bad))
        return bp_fail(err, "%s: field '%s': cannot read %s at byte %lld", what, path,
                       companion.name, o);
    if (bad < n)
        return bp_fail(err, "%s: field '%s' (%s, byte %lld) holds NaN or Inf at entry %zu", what,
                       path, companion.name, o + 8 * (long long)bad, bad);
    return 0;
}

/* rows x cols numbers from an array of row arrays (cols == 0: a flat array of rows numbers) */
static int matrix(json_t *arr, double *out, size_t rows, size_t cols, const char *what,
                  const char *path, const char *shape, bp_error *err)
{
    if (json_is_object(arr))
        return from_companion(arr, out, rows, cols, what, path, shape, err);
    if (!json_is_array(arr))
        return bp_fail(err, "%s: field '%s' is %s; expected an array (%s)", what, path,
                       bp_json_type_name(arr), shape);
    if (json_array_size(arr) != rows)
        return bp_fail(err, "%s: field '%s' has %zu %s; expected %zu (%s)", what, path,
                       json_array_size(arr), cols ? "rows" : "entries", rows, shape);
    char sub[256];
    for (size_t r = 0; r < rows; r++) {
        json_t *row = json_array_get(arr, r);
        if (cols == 0) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, r);
            if (number(row, out ? &out[r] : NULL, what, sub, err))
                return -1;
            continue;
        }
        snprintf(sub, sizeof sub, "%s[%zu]", path, r);
        if (!json_is_array(row) || json_array_size(row) != cols)
            return bp_fail(err, "%s: field '%s' is %s of %zu; expected an array of %zu (%s)",
                           what, sub, bp_json_type_name(row), json_is_array(row) ? json_array_size(row) : 0,
                           cols, shape);
        for (size_t c = 0; c < cols; c++) {
            char cell[300];
            snprintf(cell, sizeof cell, "%s[%zu]", sub, c);
            if (number(json_array_get(row, c), out ? &out[r * cols + c] : NULL, what, cell, err))
                return -1;
        }
    }
    return 0;
}

/* {"W": [n_l x n_{l-1} ...], "b": [n_l ...]} for sizes n[0..L] into m's arrays (m NULL:
 * checked only, so that nothing is allocated for a shape the JSON does not hold) */
static int params_from(bp_model *m, size_t L, const size_t *n, json_t *obj, const char *what,
                       const char *path, bp_error *err)
{
    char sub[256], shape[64];
    snprintf(sub, sizeof sub, "%s.", path);
    json_t *W = field(obj, "W", JSON_ARRAY, what, sub, err), *b;
    if (!W || !(b = field(obj, "b", JSON_ARRAY, what, sub, err)))
        return -1;
    if (json_array_size(W) != L || json_array_size(b) != L)
        return bp_fail(err, "%s: fields '%s.W' and '%s.b' hold %zu and %zu layers; expected %zu",
                       what, path, path, json_array_size(W), json_array_size(b), L);
    for (size_t l = 1; l <= L; l++) {
        snprintf(sub, sizeof sub, "%s.W[%zu]", path, l - 1);
        snprintf(shape, sizeof shape, "n_%zu x n_%zu = %zu x %zu", l, l - 1, n[l], n[l - 1]);
        if (matrix(json_array_get(W, l - 1), m ? m->W[l] : NULL, n[l], n[l - 1], what, sub, shape, err))
            return -1;
        snprintf(sub, sizeof sub, "%s.b[%zu]", path, l - 1);
        snprintf(shape, sizeof shape, "n_%zu = %zu", l, n[l]);
        if (matrix(json_array_get(b, l - 1), m ? m->b[l] : NULL, n[l], 0, what, sub, shape, err))
            return -1;
    }
    return 0;
}

int bp_params_from_json(bp_model *m, json_t *obj, const char *what, const char *path,
                       bp_error *err)
{
    return params_from(m, m->L, m->n, obj, what, path, err);
}

static int sizes_from(json_t *arr, size_t *L, size_t n[BP_MAX_LAYERS + 1], const char *what,
                      bp_error *err)
{
    size_t count = json_array_size(arr);
    if (count < 2 || count > BP_MAX_LAYERS + 1)
        return bp_fail(err, "%s: field 'model.sizes' has %zu entries; expected 2 to %d", what,
                       count, BP_MAX_LAYERS + 1);
    for (size_t l = 0; l < count; l++) {
        json_t *v = json_array_get(arr, l);
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > (json_int_t)BP_MAX_WIDTH)
            return bp_fail(err, "%s: field 'model.sizes[%zu]' must be an integer from 1 to %u", what,
                           l, BP_MAX_WIDTH);
        n[l] = (size_t)json_integer_value(v);
    }
    *L = count - 1;
    size_t nparams;
    bp_error e2;
    if (bp_sizes_check(*L, n, &nparams, &e2))
        return bp_fail(err, "%s: field 'model.sizes': %s", what, e2.msg);
    return 0;
}

/* model.activations (optional: one name per layer after the input) and model.leaky_slope
 * (optional, where a layer is leaky-relu) into m */
static int activations_from(bp_model *m, bp_cost cost, json_t *model, const char *what,
                            bp_error *err)
{
    json_t *acts = json_object_get(model, "activations"), *v;
    if (acts) {
        if (!json_is_array(acts) || json_array_size(acts) != m->L)
            return bp_fail(err, "%s: field 'model.activations' must list %zu names, one per layer "
                                "after the input",
                           what, m->L);
        for (size_t l = 1; l <= m->L; l++) {
            v = json_array_get(acts, l - 1);
            bp_act f = json_is_string(v) ? bp_act_lookup(json_string_value(v)) : BP_NACTS;
            if (f == BP_NACTS || f == BP_ACT_DEFAULT)
                return bp_fail(err, "%s: field 'model.activations[%zu]' must be one of sigmoid, "
                                    "tanh, relu, leaky-relu, identity, softmax",
                               what, l - 1);
            m->act[l] = f;
        }
    }
    if ((v = json_object_get(model, "leaky_slope"))) {
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return bp_fail(err, "%s: field 'model.leaky_slope' must be a finite number", what);
        m->slope = json_number_value(v);
    }
    bp_error e2;
    if (bp_acts_check(m, cost, &e2))
        return bp_fail(err, "%s: model.%s", what, e2.msg);
    return 0;
}

int bp_case_from_json_input(bp_case *c, json_t *obj, const char *what, bp_error *err)
{
    memset(c, 0, sizeof *c);
    if (!json_is_object(obj))
        return bp_fail(err, "%s: is %s; expected an object", what, bp_json_type_name(obj));
    json_t *id = field(obj, "id", JSON_STRING, what, "", err), *model, *v, *batch, *x, *y;
    if (!id || !(model = field(obj, "model", JSON_OBJECT, what, "", err)))
        return -1;
    if (!(c->id = strdup(json_string_value(id))))
        return bp_fail(err, "%s: out of memory", what);
    if (!(v = field(model, "cost", JSON_STRING, what, "model.", err)))
        return -1;
    bp_error e2;
    if (bp_cost_parse(json_string_value(v), &c->cost, &e2))
        return bp_fail(err, "%s: field 'model.cost': %s", what, e2.msg);
    if (!(v = field(model, "reduction", JSON_STRING, what, "model.", err)))
        return -1;
    if (bp_reduction_parse(json_string_value(v), &c->red, &e2))
        return bp_fail(err, "%s: field 'model.reduction': %s", what, e2.msg);
    size_t L = 0, n[BP_MAX_LAYERS + 1];
    if (!(v = field(model, "sizes", JSON_ARRAY, what, "model.", err)) ||
        sizes_from(v, &L, n, what, err))
        return -1;
    /* the parameters' shapes first: a few bytes of JSON must not make us allocate gigabytes */
    if (!json_object_get(obj, "payload") &&
        (!(v = field(obj, "params", JSON_OBJECT, what, "", err)) ||
         params_from(NULL, L, n, v, what, "params", err)))
        return -1;
    if (!(c->params = bp_model_alloc(L, n, err)))
        return -1;
    if (activations_from(c->params, c->cost, model, what, err))
        return -1;
    if (json_object_get(obj, "payload")) {
        /* a framed request (PROTOCOL.md, "Binary frames"): the arrays follow the line; here
         * only the batch's size, to allocate them */
        if (!(v = field(obj, "batch_size", JSON_INTEGER, what, "", err)))
            return -1;
        json_int_t m = json_integer_value(v);
        if (m < 1 || m > BP_MAX_BATCH)
            return bp_fail(err, "%s: field 'batch_size' is %lld; expected 1 to %u", what,
                           (long long)m, BP_MAX_BATCH);
        if (!(c->batch = bp_batch_alloc((size_t)m, n[0], n[L], err)))
            return -1;
        if (!(v = field(obj, "eta", JSON_REAL, what, "", err)) || number(v, &c->eta, what, "eta", err))
            return -1;
        return 0;
    }
    if (!(v = field(obj, "params", JSON_OBJECT, what, "", err)) ||
        bp_params_from_json(c->params, v, what, "params", err))
        return -1;
    if (!(batch = field(obj, "batch", JSON_OBJECT, what, "", err)))
        return -1;
    x = json_object_get(batch, "x"), y = json_object_get(batch, "y");
    /* arrays of rows, or (with a binary companion) {"offset", "count"} references */
    if (!json_is_object(x) && !(x = field(batch, "x", JSON_ARRAY, what, "batch.", err)))
        return -1;
    if (!json_is_object(y) && !(y = field(batch, "y", JSON_ARRAY, what, "batch.", err)))
        return -1;
    json_t *cnt = json_object_get(x, "count");
    size_t m = json_is_object(x) ? (json_is_integer(cnt) && json_integer_value(cnt) > 0
                                        ? (size_t)json_integer_value(cnt) / n[0]
                                        : 0)
                                 : json_array_size(x);
    if (m < 1 || m > BP_MAX_BATCH)
        return bp_fail(err, "%s: field 'batch.x' has %zu rows; expected 1 to %u", what, m,
                       BP_MAX_BATCH);
    char shape[64];
    snprintf(shape, sizeof shape, "m x n_0 = %zu x %zu", m, n[0]);
    if (matrix(x, NULL, m, n[0], what, "batch.x", shape, err)) /* checked before allocating */
        return -1;
    if (!(c->batch = bp_batch_alloc(m, n[0], n[L], err)))
        return -1;
    if (matrix(x, c->batch->x, m, n[0], what, "batch.x", shape, err))
        return -1;
    snprintf(shape, sizeof shape, "m x n_L = %zu x %zu", m, n[L]);
    if (matrix(y, c->batch->y, m, n[L], what, "batch.y", shape, err))
        return -1;
    if (!(v = field(obj, "eta", JSON_REAL, what, "", err)) || number(v, &c->eta, what, "eta", err))
        return -1;
    return 0;
}

/* a list over layers 1..L of m x n_l matrices into arr[l] */
int bp_layers_from_json(double **arr, const bp_model *m, size_t batch, json_t *list,
                        const char *what, const char *name, bp_error *err)
{
    if (!json_is_array(list) || json_array_size(list) != m->L)
        return bp_fail(err, "%s: field '%s' must list %zu layers (1..L)", what, name, m->L);
    for (size_t l = 1; l <= m->L; l++) {
        char sub[300], shape[64];
        snprintf(sub, sizeof sub, "%s[%zu]", name, l - 1);
        snprintf(shape, sizeof shape, "m x n_%zu = %zu x %zu", l, batch, m->n[l]);
        if (matrix(json_array_get(list, l - 1), arr[l], batch, m->n[l], what, sub, shape, err))
            return -1;
    }
    return 0;
}

static char **strings_from(json_t *arr, size_t *count, const char *what, const char *name,
                           bp_error *err)
{
    *count = json_array_size(arr);
    char **out = calloc(*count + 1, sizeof *out);
    if (!out)
        bp_fail(err, "%s: out of memory", what);
    for (size_t i = 0; out && i < *count; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s))
            bp_fail(err, "%s: field '%s[%zu]' is %s; expected a string", what, name, i,
                    bp_json_type_name(s));
        else if (!(out[i] = strdup(json_string_value(s))))
            bp_fail(err, "%s: out of memory", what);
        if (!out[i]) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    }
    return out;
}

bp_bounds *bp_bounds_alloc(const bp_model *shape, size_t batch, bp_error *err)
{
    bp_bounds *b = calloc(1, sizeof *b);
    if (!b || !(b->grad = bp_model_alloc_like(shape, err)) ||
        !(b->step = bp_model_alloc_like(shape, err)) || !(b->trace = bp_trace_alloc(shape, batch, err))) {
        if (!b)
            bp_fail(err, "out of memory");
        bp_bounds_free(b);
        return NULL;
    }
    return b;
}

void bp_bounds_free(bp_bounds *b)
{
    if (!b)
        return;
    bp_model_free(b->grad), bp_model_free(b->step), bp_trace_free(b->trace);
    free(b);
}

static void scalar_fill(double *bound, const double *e, size_t n, double rtol, double atol)
{
    for (size_t i = 0; i < n; i++)
        bound[i] = atol + rtol * fabs(e[i]);
}

bp_bounds *bp_bounds_scalar(const bp_case *c, double rtol, double atol)
{
    bp_bounds *b = bp_bounds_alloc(c->params, c->batch->m, NULL);
    if (!b)
        return NULL;
    b->cost = atol + rtol * fabs(c->cost_value);
    scalar_fill(b->grad->theta, c->grad->theta, c->params->nparams, rtol, atol);
    scalar_fill(b->step->theta, c->step->theta, c->params->nparams, rtol, atol);
    for (size_t l = 1; l <= c->params->L; l++) {
        size_t n = c->batch->m * c->params->n[l];
        scalar_fill(b->trace->z[l], c->trace->z[l], n, rtol, atol);
        scalar_fill(b->trace->a[l], c->trace->a[l], n, rtol, atol);
        scalar_fill(b->trace->delta[l], c->trace->delta[l], n, rtol, atol);
    }
    return b;
}

/* Every bound >= 0; otherwise name the entry (of the parameters m, or flat index i). */
static int nonnegative(const double *v, size_t n, const bp_model *m, const char *what,
                       const char *path, bp_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0) {
            char at[64];
            if (m)
                bp_model_param_name(m, i, at, sizeof at);
            else
                snprintf(at, sizeof at, "entry %zu", i);
            return bp_fail(err, "%s: field '%s' holds a negative bound at %s (%g); a bound is >= 0",
                           what, path, at, v[i]);
        }
    return 0;
}

/* tolerance.<profile>: {"cost", "grad", "step", "z", "a", "delta"} in the expected shapes, or
 * {"unmeetable": "why"} */
static int bounds_from_json(bp_case *c, bp_precision pi, json_t *tol, const char *what, bp_error *err)
{
    static const char *const names[BP_NPROFILES] = {"float64", "float32"};
    char path[128], sub[160];
    snprintf(path, sizeof path, "tolerance.%s", names[pi]);
    snprintf(sub, sizeof sub, "tolerance.");
    json_t *o = field(tol, names[pi], JSON_OBJECT, what, sub, err), *v;
    if (!o)
        return -1;
    json_t *why = json_object_get(o, "unmeetable");
    if (why) {
        if (!json_is_string(why))
            return bp_fail(err, "%s: field '%s.unmeetable' is %s; expected a string", what, path,
                           bp_json_type_name(why));
        c->unmeetable[pi] = strdup(json_string_value(why));
        return c->unmeetable[pi] ? 0 : bp_fail(err, "%s: out of memory", what);
    }
    bp_bounds *b = c->bounds[pi] = bp_bounds_alloc(c->params, c->batch->m, err);
    if (!b)
        return -1;
    snprintf(sub, sizeof sub, "%s.", path);
    size_t P = c->params->nparams;
    const char *q[] = {"z", "a", "delta"};
    double **arr[] = {b->trace->z, b->trace->a, b->trace->delta};
    if (!(v = field(o, "cost", JSON_REAL, what, sub, err)))
        return -1;
    snprintf(sub, sizeof sub, "%s.cost", path);
    if (number(v, &b->cost, what, sub, err) || nonnegative(&b->cost, 1, NULL, what, sub, err))
        return -1;
    const char *pq[] = {"grad", "step"};
    bp_model *pm[] = {b->grad, b->step};
    for (size_t i = 0; i < 2; i++) {
        snprintf(sub, sizeof sub, "%s.", path);
        if (!(v = field(o, pq[i], JSON_OBJECT, what, sub, err)))
            return -1;
        snprintf(sub, sizeof sub, "%s.%s", path, pq[i]);
        if (bp_params_from_json(pm[i], v, what, sub, err) || nonnegative(pm[i]->theta, P, c->params, what, sub, err))
            return -1;
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s.", path);
        if (!(v = field(o, q[i], JSON_ARRAY, what, sub, err)))
            return -1;
        snprintf(sub, sizeof sub, "%s.%s", path, q[i]);
        if (bp_layers_from_json(arr[i], c->params, c->batch->m, v, what, sub, err))
            return -1;
        for (size_t l = 1; l <= c->params->L; l++)
            if (nonnegative(arr[i][l], c->batch->m * c->params->n[l], NULL, what, sub, err))
                return -1;
    }
    return 0;
}

/* The byte offset of the parameters in the companion when params.W[l] and params.b[l] lie
 * one after another in theta's order (as bpcheck fixtures writes them); -1 otherwise. */
static long long params_block(json_t *params, const bp_model *m)
{
    json_t *W = json_object_get(params, "W"), *b = json_object_get(params, "b");
    long long first = -1, at = -1;
    for (size_t l = 1; l <= m->L; l++)
        for (int wb = 0; wb < 2; wb++) {
            json_t *ref = json_array_get(wb ? b : W, l - 1), *o = json_object_get(ref, "offset");
            if (!json_is_integer(o))
                return -1;
            long long off = json_integer_value(o);
            if (first < 0)
                first = at = off;
            if (off != at)
                return -1;
            at += 8 * (long long)(wb ? m->n[l] : m->n[l] * m->n[l - 1]);
        }
    return first;
}

void bp_case_params_drop(bp_case *c)
{
    if (!c->params_file || c->params_dropped)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)c->params->theta + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t to = ((uintptr_t)(c->params->theta + c->params->nparams)) & ~((uintptr_t)page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED); /* read back as zeros until restored */
    c->params_dropped = 1;
}

int bp_case_params_restore(bp_case *c, bp_error *err)
{
    if (!c->params_dropped)
        return 0;
    FILE *f = fopen(c->params_file, "rb");
    size_t got, bad;
    int rc = !f || fseeko(f, (off_t)c->params_offset, SEEK_SET) ||
             bp_frame_read(f, c->params->theta, c->params->nparams, BP_F64, &got, &bad) || bad < got;
    if (f)
        fclose(f);
    if (rc)
        return bp_fail(err, "%s: the parameters of '%s' can no longer be read back (was the file "
                            "changed during the run?)", c->params_file, c->id);
    c->params_dropped = 0;
    return 0;
}

static int case_from_json(bp_case *c, json_t *obj, const char *what, int version, bp_error *err)
{
    if (bp_case_from_json_input(c, obj, what, err))
        return -1;
    long long block = companion.f ? params_block(json_object_get(obj, "params"), c->params) : -1;
    if (block >= 0) {
        if (!(c->params_file = strdup(companion.name)))
            return bp_fail(err, "%s: out of memory", what);
        c->params_offset = block;
    }
    json_t *e = field(obj, "expected", JSON_OBJECT, what, "", err), *v, *tol, *fl, *eq;
    if (!e || !(v = field(e, "cost", JSON_REAL, what, "expected.", err)) ||
        number(v, &c->cost_value, what, "expected.cost", err))
        return -1;
    c->grad = bp_model_alloc_like(c->params, err);
    c->step = bp_model_alloc_like(c->params, err);
    c->trace = bp_trace_alloc(c->params, c->batch->m, err);
    if (!c->grad || !c->step || !c->trace)
        return -1;
    if (!(v = field(e, "grad", JSON_OBJECT, what, "expected.", err)) ||
        bp_params_from_json(c->grad, v, what, "expected.grad", err) ||
        !(v = field(e, "step", JSON_OBJECT, what, "expected.", err)) ||
        bp_params_from_json(c->step, v, what, "expected.step", err))
        return -1;
    if (!(v = field(e, "z", JSON_ARRAY, what, "expected.", err)) ||
        bp_layers_from_json(c->trace->z, c->params, c->batch->m, v, what, "expected.z", err) ||
        !(v = field(e, "a", JSON_ARRAY, what, "expected.", err)) ||
        bp_layers_from_json(c->trace->a, c->params, c->batch->m, v, what, "expected.a", err) ||
        !(v = field(e, "delta", JSON_ARRAY, what, "expected.", err)) ||
        bp_layers_from_json(c->trace->delta, c->params, c->batch->m, v, what, "expected.delta", err))
        return -1;
    memcpy(c->trace->a[0], c->batch->x, c->batch->m * c->params->n[0] * sizeof(double));
    if (!(tol = field(obj, "tolerance", JSON_OBJECT, what, "", err)))
        return -1;
    if (version == 2) {
        c->rtol = c->atol = NAN;
        for (int p = 0; p < BP_NPROFILES; p++)
            if ((only_profile < 0 || p == only_profile || !companion.f) &&
                bounds_from_json(c, (bp_precision)p, tol, what, err))
                return -1;
        if (c->unmeetable[BP_FLOAT64])
            return bp_fail(err, "%s: field 'tolerance.float64' is unmeetable (%s); a fixture case must "
                           "be meetable in float64", what, c->unmeetable[BP_FLOAT64]);
    } else {
        if (!(v = field(tol, "rtol", JSON_REAL, what, "tolerance.", err)) ||
            number(v, &c->rtol, what, "tolerance.rtol", err) ||
            !(v = field(tol, "atol", JSON_REAL, what, "tolerance.", err)) ||
            number(v, &c->atol, what, "tolerance.atol", err))
            return -1;
        if (c->rtol < 0 || c->atol < 0)
            return bp_fail(err, "%s: field 'tolerance' has a negative rtol or atol", what);
        /* format /1: the scalar model, and float32 as its blanket 2^29 (u_32 / u_64) */
        c->bounds[BP_FLOAT64] = bp_bounds_scalar(c, c->rtol, c->atol);
        c->bounds[BP_FLOAT32] = bp_bounds_scalar(c, c->rtol * 0x1p29, c->atol * 0x1p29);
        if (!c->bounds[BP_FLOAT64] || !c->bounds[BP_FLOAT32])
            return bp_fail(err, "%s: out of memory", what);
    }
    if (!(fl = field(obj, "flags", JSON_ARRAY, what, "", err)) ||
        !(c->flags = strings_from(fl, &c->nflags, what, "flags", err)) ||
        !(eq = field(obj, "equations", JSON_ARRAY, what, "", err)) ||
        !(c->equations = strings_from(eq, &c->nequations, what, "equations", err)))
        return -1;
    return 0;
}

void bp_case_clear(bp_case *c)
{
    free(c->id);
    bp_model_free(c->params), bp_model_free(c->grad), bp_model_free(c->step);
    bp_batch_free(c->batch);
    bp_trace_free(c->trace);
    for (size_t i = 0; c->flags && i < c->nflags; i++)
        free(c->flags[i]);
    for (size_t i = 0; c->equations && i < c->nequations; i++)
        free(c->equations[i]);
    free(c->flags), free(c->equations);
    for (size_t p = 0; p < BP_NPROFILES; p++)
        bp_bounds_free(c->bounds[p]), free(c->unmeetable[p]);
    free(c->params_file);
    memset(c, 0, sizeof *c);
}

void bp_fixture_free(bp_fixture *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ncases; i++)
        bp_case_clear(&f->cases[i]);
    for (size_t i = 0; i < f->nnotes; i++)
        free(f->note_flags[i]), free(f->note_texts[i]);
    free(f->cases), free(f->note_flags), free(f->note_texts), free(f->generator);
    free(f);
}

static bp_fixture *from_root(json_t *root, const char *path, bp_error *err);

bp_fixture *bp_fixture_load(const char *path, bp_error *err)
{
    json_error_t je;
    struct stat fst;
    /* the JSON is read whole (a tree of about 10 times its size): larger cases go in a binary
     * companion, which is read array by array */
    if (stat(path, &fst) == 0 && fst.st_size > BP_FIXTURE_MAX_JSON) {
        bp_fail(err, "%s: %lld bytes of JSON; a fixture's JSON may hold at most %d MiB (put the "
                     "arrays in a binary companion: bpcheck fixtures --binary yes)",
                path, (long long)fst.st_size, BP_FIXTURE_MAX_JSON >> 20);
        return NULL;
    }
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        bp_fail(err, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    return from_root(root, path, err);
}

bp_fixture *bp_fixture_parse(const char *text, size_t len, const char *path, bp_error *err)
{
    json_error_t je;
    if (len > BP_FIXTURE_MAX_JSON) {
        bp_fail(err, "%s: %zu bytes of JSON; a fixture's JSON may hold at most %d MiB", path, len,
                BP_FIXTURE_MAX_JSON >> 20);
        return NULL;
    }
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        bp_fail(err, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    return from_root(root, path, err);
}

/* A fixture from its parsed JSON (root is consumed); path names it in messages and locates a
 * binary companion. */
static bp_fixture *from_root(json_t *root, const char *path, bp_error *err)
{
    char binpath[4200];
    bp_fixture *f = calloc(1, sizeof *f);
    json_t *v, *notes, *cases;
    if (!f) {
        bp_fail(err, "%s: out of memory", path);
        goto fail;
    }
    if (!(v = field(root, "format", JSON_STRING, path, "", err)))
        goto fail;
    int version = strcmp(json_string_value(v), BP_FIXTURE_FORMAT) == 0     ? 2
                  : strcmp(json_string_value(v), BP_FIXTURE_FORMAT_1) == 0 ? 1
                                                                           : 0;
    if (!version) {
        bp_fail(err, "%s: field 'format' is '%s'; this reader knows '%s' and '%s'", path,
                json_string_value(v), BP_FIXTURE_FORMAT, BP_FIXTURE_FORMAT_1);
        goto fail;
    }
    if (!(v = field(root, "generator", JSON_STRING, path, "", err)) ||
        !(notes = field(root, "notes", JSON_OBJECT, path, "", err)) ||
        !(cases = field(root, "cases", JSON_ARRAY, path, "", err)))
        goto fail;
    json_t *bin = json_object_get(root, "binary");
    if (bin) {
        const char *name = json_string_value(bin), *slash = strrchr(path, '/');
        if (!name || !*name || strchr(name, '/')) {
            bp_fail(err, "%s: field 'binary' must name a file beside this one", path);
            goto fail;
        }
        snprintf(binpath, sizeof binpath, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, name);
        struct stat st;
        if (!(companion.f = fopen(binpath, "rb")) || fstat(fileno(companion.f), &st)) {
            bp_fail(err, "%s: its binary companion %s cannot be read: %s", path, binpath, strerror(errno));
            goto fail;
        }
        companion.name = binpath, companion.size = (long long)st.st_size;
    }
    f->generator = strdup(json_string_value(v));
    f->nnotes = json_object_size(notes);
    f->note_flags = calloc(f->nnotes + 1, sizeof *f->note_flags);
    f->note_texts = calloc(f->nnotes + 1, sizeof *f->note_texts);
    f->cases = calloc(json_array_size(cases) + 1, sizeof *f->cases);
    if (!f->generator || !f->note_flags || !f->note_texts || !f->cases) {
        f->nnotes = 0;
        bp_fail(err, "%s: out of memory", path);
        goto fail;
    }
    const char *key;
    json_t *text;
    size_t k = 0;
    json_object_foreach(notes, key, text) {
        if (!json_is_string(text)) {
            bp_fail(err, "%s: field 'notes.%s' is %s; expected a string", path, key, bp_json_type_name(text));
            f->nnotes = k;
            goto fail;
        }
        f->note_flags[k] = strdup(key);
        f->note_texts[k] = strdup(json_string_value(text));
        if (!f->note_flags[k++] || !f->note_texts[k - 1]) {
            f->nnotes = k;
            bp_fail(err, "%s: out of memory", path);
            goto fail;
        }
    }
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i), *id = json_object_get(c, "id");
        char what[512];
        snprintf(what, sizeof what, "%s: case %zu ('%s')", path, i,
                 json_is_string(id) ? json_string_value(id) : "no id");
        f->ncases = i + 1;
        if (case_from_json(&f->cases[i], c, what, version, err))
            goto fail;
    }
    json_decref(root);
    if (companion.f)
        fclose(companion.f);
    companion.f = NULL;
    return f;
fail:
    json_decref(root);
    if (companion.f)
        fclose(companion.f);
    companion.f = NULL;
    bp_fixture_free(f);
    return NULL;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    const char *id, *file;
} id_at;

static int id_cmp(const void *a, const void *b)
{
    return strcmp(((const id_at *)a)->id, ((const id_at *)b)->id);
}

/* Every case id once in the set: an id names a case in verdicts, xfail lists and --only. */
static int unique_ids(bp_fixture_set *fs, const char *const *paths, bp_error *err)
{
    size_t n = 0, k = 0;
    for (size_t f = 0; f < fs->nfiles; f++)
        n += fs->files[f]->ncases;
    id_at *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return bp_fail(err, "out of memory");
    for (size_t f = 0; f < fs->nfiles; f++)
        for (size_t c = 0; c < fs->files[f]->ncases; c++)
            all[k++] = (id_at){fs->files[f]->cases[c].id, paths[f]};
    qsort(all, n, sizeof *all, id_cmp);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++)
        if (strcmp(all[i - 1].id, all[i].id) == 0)
            rc = bp_fail(err, "%s: case id '%s' appears twice (also in %s); every case needs an id "
                              "of its own", all[i].file, all[i].id, all[i - 1].file);
    free(all);
    return rc;
}

int bp_fixture_load_dir(bp_fixture_set *fs, const char *dir, bp_error *err)
{
    fs->files = NULL, fs->nfiles = 0;
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) { /* one file: `bpcheck fixtures -o FILE` */
        if (!(fs->files = calloc(1, sizeof *fs->files)))
            return bp_fail(err, "out of memory");
        if (!(fs->files[0] = bp_fixture_load(dir, err))) {
            free(fs->files), fs->files = NULL;
            return -1;
        }
        fs->nfiles = 1;
        if (unique_ids(fs, &dir, err)) {
            bp_fixture_set_free(fs);
            return -1;
        }
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d)
        return bp_fail(err, "cannot open the fixtures directory %s: %s", dir, strerror(errno));
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && !(names[n++] = strdup(e->d_name))) {
            closedir(d);
            while (n > 0)
                free(names[--n]);
            return bp_fail(err, "out of memory");
        }
    }
    closedir(d);
    if (n == 0)
        return bp_fail(err, "no *.json fixtures in %s", dir);
    qsort(names, n, sizeof *names, name_cmp);
    fs->files = calloc(n, sizeof *fs->files);
    char **paths = calloc(n, sizeof *paths);
    int rc = fs->files && paths ? 0 : bp_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && !(paths[i] = malloc(strlen(dir) + strlen(names[i]) + 2)))
            rc = bp_fail(err, "out of memory");
        else if (rc == 0)
            sprintf(paths[i], "%s/%s", dir, names[i]);
        if (rc == 0 && !(fs->files[fs->nfiles++] = bp_fixture_load(paths[i], err)))
            rc = -1;
        free(names[i]);
    }
    if (rc == 0)
        rc = unique_ids(fs, (const char *const *)paths, err);
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    if (rc)
        bp_fixture_set_free(fs);
    return rc;
}

void bp_fixture_set_free(bp_fixture_set *fs)
{
    for (size_t i = 0; i < fs->nfiles; i++)
        bp_fixture_free(fs->files[i]);
    free(fs->files);
    fs->files = NULL, fs->nfiles = 0;
}

/* ---- writing ---- */

typedef struct {
    char *text;
    size_t len, cap;
    int failed; /* sticky: jansson does not always stop at a failed write */
} dump_buf;

static int dump_more(const char *buf, size_t n, void *p)
{
    dump_buf *d = p;
    if (!d->failed && d->len + n + 1 > d->cap) {
        size_t cap = 2 * (d->len + n + 1);
        char *bigger = realloc(d->text, cap);
        if (bigger)
            d->text = bigger, d->cap = cap;
        else
            d->failed = 1;
    }
    if (d->failed)
        return -1;
    memcpy(d->text + d->len, buf, n);
    d->text[d->len += n] = '\0';
    return 0;
}

char *bp_json_dumps(const json_t *j, size_t flags)
{
    dump_buf d = {NULL, 0, 0, 0};
    if (json_dump_callback(j, dump_more, &d, flags) || d.failed || !d.text) {
        free(d.text);
        return NULL;
    }
    return d.text;
}

/* While a fixture with a binary companion is written: where its arrays go, and how many
 * bytes are in it so far. */
static struct {
    FILE *f;
    long long at;
    int failed;
} sink;

/* NULL if any value is not finite: JSON cannot hold NaN or Inf, and jansson would otherwise
 * drop the element silently; NULL too when memory runs out. While a companion is written, the values go there and the JSON
 * is the reference {"offset": BYTES, "count": N}. */
json_t *bp_json_matrix(const double *v, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows * (cols ? cols : 1); i++)
        if (!isfinite(v[i]))
            return NULL;
    if (sink.f) {
        size_t n = rows * (cols ? cols : 1);
        json_t *ref = json_pack("{s:I, s:I}", "offset", (json_int_t)sink.at, "count", (json_int_t)n);
        sink.failed |= bp_frame_write(sink.f, v, n, BP_F64) != 0;
        sink.at += 8 * (long long)n;
        return ref;
    }
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t r = 0; r < rows && !bad; r++) {
        if (cols == 0) {
            bad = json_array_append_new(arr, json_real(v[r]));
            continue;
        }
        json_t *row = json_array();
        for (size_t c = 0; c < cols && row && !bad; c++)
            bad = json_array_append_new(row, json_real(v[r * cols + c]));
        bad |= json_array_append_new(arr, row); /* -1 (and row freed) if row is NULL or bad */
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

json_t *bp_json_params(const bp_model *m)
{
    json_t *W = json_array(), *b = json_array();
    int bad = !W || !b;
    for (size_t l = 1; l <= m->L && !bad; l++) {
        bad |= json_array_append_new(W, bp_json_matrix(m->W[l], m->n[l], m->n[l - 1]));
        bad |= json_array_append_new(b, bp_json_matrix(m->b[l], m->n[l], 0));
    }
    if (bad) {
        json_decref(W), json_decref(b);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "W", W, "b", b);
}

json_t *bp_json_layers(double *const *arr, const bp_model *m, size_t batch)
{
    json_t *list = json_array();
    for (size_t l = 1; l <= m->L; l++)
        if (!list || json_array_append_new(list, bp_json_matrix(arr[l], batch, m->n[l]))) {
            json_decref(list);
            return NULL;
        }
    return list;
}

static json_t *json_strings(char *const *s, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        if (!arr || json_array_append_new(arr, json_string(s[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* model.activations (and leaky_slope) where they are not the model's own: a file without them
 * means the canonical model's (format /1 and the first 211 cases). o, or NULL if o was NULL
 * or memory ran out (o freed). */
static json_t *add_activations(json_t *o, const bp_case *c)
{
    if (!o || bp_acts_canonical(c->params, c->cost))
        return o;
    json_t *model = json_object_get(o, "model"), *acts = json_array();
    int bad = !acts;
    for (size_t l = 1; l <= c->params->L && !bad; l++)
        bad = json_array_append_new(acts, json_string(bp_act_name(bp_layer_act(c->params, c->cost, l))));
    bad |= json_object_set_new(model, "activations", acts);
    for (size_t l = 1; l <= c->params->L; l++)
        if (bp_layer_act(c->params, c->cost, l) == BP_ACT_LEAKY_RELU) {
            bad |= json_object_set_new(model, "leaky_slope", json_real(c->params->slope));
            break;
        }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *sizes_json(const bp_case *c)
{
    json_t *sizes = json_array();
    for (size_t l = 0; l <= c->params->L; l++)
        if (!sizes || json_array_append_new(sizes, json_integer((json_int_t)c->params->n[l]))) {
            json_decref(sizes);
            return NULL;
        }
    return sizes;
}

json_t *bp_case_header_json(const bp_case *c)
{
    json_t *o = json_pack("{s:s, s:{s:s, s:o, s:s}, s:f}", "id", c->id, "model", "cost",
                          bp_cost_name(c->cost), "sizes", sizes_json(c), "reduction",
                          bp_reduction_name(c->red), "eta", c->eta);
    return add_activations(o, c);
}

json_t *bp_case_to_json(const bp_case *c, int with_expected)
{
    size_t m = c->batch->m;
    json_t *o = json_pack("{s:s, s:{s:s, s:o, s:s}, s:o, s:{s:o, s:o}, s:f}", "id", c->id,
                          "model", "cost", bp_cost_name(c->cost), "sizes", sizes_json(c), "reduction",
                          bp_reduction_name(c->red), "params", bp_json_params(c->params), "batch",
                          "x", bp_json_matrix(c->batch->x, m, c->batch->n_in), "y",
                          bp_json_matrix(c->batch->y, m, c->batch->n_out), "eta", c->eta);
    o = add_activations(o, c);
    if (!with_expected || !o)
        return o;
    /* json_pack fails (NULL) when a value is NULL, i.e. not finite; so does set_new */
    int bad = !isfinite(c->cost_value);
    bad |= json_object_set_new(o, "expected",
                               json_pack("{s:f, s:o, s:o, s:o, s:o, s:o}", "cost", c->cost_value,
                                         "grad", bp_json_params(c->grad), "step",
                                         bp_json_params(c->step), "z",
                                         bp_json_layers(c->trace->z, c->params, m), "a",
                                         bp_json_layers(c->trace->a, c->params, m), "delta",
                                         bp_json_layers(c->trace->delta, c->params, m)));
    bad |= json_object_set_new(o, "flags", json_strings(c->flags, c->nflags));
    bad |= json_object_set_new(o, "equations", json_strings(c->equations, c->nequations));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* {"float64": {...}, "float32": {...} or {"unmeetable": "why"}} */
static json_t *tolerance_json(const bp_case *c)
{
    static const char *const names[BP_NPROFILES] = {"float64", "float32"};
    json_t *tol = json_object();
    size_t m = c->batch->m;
    for (size_t p = 0; p < BP_NPROFILES && tol; p++) {
        const bp_bounds *b = c->bounds[p];
        json_t *o = b ? json_pack("{s:f, s:o, s:o, s:o, s:o, s:o}", "cost", b->cost, "grad",
                                  bp_json_params(b->grad), "step", bp_json_params(b->step), "z",
                                  bp_json_layers(b->trace->z, c->params, m), "a",
                                  bp_json_layers(b->trace->a, c->params, m), "delta",
                                  bp_json_layers(b->trace->delta, c->params, m))
                      : json_pack("{s:s}", "unmeetable", c->unmeetable[p] ? c->unmeetable[p] : "?");
        if (json_object_set_new(tol, names[p], o)) {
            json_decref(tol);
            return NULL;
        }
    }
    return tol;
}

/* The file is written piecewise so that the values print with 17 significant digits (every
 * double round-trips) and the bounds, already rounded up to 2 digits, print with 2. */
int bp_fixture_write_binary(const char *path, const char *binpath, const char *generator,
                            size_t nnotes, const char *const *note_flags,
                            const char *const *note_texts, const bp_case *cases, size_t ncases,
                            bp_error *err)
{
    const char *slash = binpath ? strrchr(binpath, '/') : NULL, *base = slash ? slash + 1 : binpath;
    if (binpath && (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0))
        return bp_fail(err, "%s: not a file name for the binary companion", binpath);
    FILE *f = fopen(path, "w");
    if (!f)
        return bp_fail(err, "%s: cannot write", path);
    if (binpath && !(sink.f = fopen(binpath, "wb"))) {
        fclose(f);
        return bp_fail(err, "%s: cannot write", binpath);
    }
    sink.at = 0, sink.failed = 0;
    json_t *notes = json_object(), *gen = json_string(generator);
    int bad = !notes;
    for (size_t i = 0; i < nnotes && !bad; i++)
        bad = json_object_set_new(notes, note_flags[i], json_string(note_texts[i]));
    char *ntext = bad ? NULL : bp_json_dumps(notes, JSON_INDENT(1));
    char *gtext = gen ? bp_json_dumps(gen, JSON_ENCODE_ANY) : NULL;
    int rc = !ntext || !gtext ? bp_fail(err, "%s: out of memory", path) : 0;
    if (!rc) {
        fprintf(f, "{\n \"format\": \"%s\",\n \"generator\": %s,\n \"notes\": %s,\n",
                BP_FIXTURE_FORMAT, gtext, ntext);
        if (binpath) /* beside the JSON: the reader looks for it in the JSON file's directory */
            fprintf(f, " \"binary\": \"%s\",\n", base);
        fprintf(f, " \"cases\": [\n");
    }
    free(ntext), free(gtext);
    json_decref(notes), json_decref(gen);
    for (size_t i = 0; i < ncases && rc == 0; i++) {
        json_t *c = bp_case_to_json(&cases[i], 1), *tol = tolerance_json(&cases[i]);
        char *ctext = c ? bp_json_dumps(c, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
        char *ttext = tol ? bp_json_dumps(tol, JSON_INDENT(1) | JSON_REAL_PRECISION(2)) : NULL;
        if (!ctext || !ttext) { /* json_real refuses NaN and Inf: the case is broken */
            rc = bp_fail(err, "%s: case '%s' has a value JSON cannot hold (NaN or Inf), or memory "
                              "ran out", path, cases[i].id);
        } else {
            size_t n = strlen(ctext);
            while (n > 0 && ctext[n - 1] != '}') /* the case object's closing brace, */
                n--;
            while (n > 1 && (ctext[n - 2] == '\n' || ctext[n - 2] == ' ')) /* and the blank before it */
                n--;
            fprintf(f, "%.*s,\n \"tolerance\": %s\n}%s\n", (int)(n - 1), ctext, ttext,
                    i + 1 < ncases ? "," : "");
        }
        free(ctext), free(ttext);
        json_decref(c), json_decref(tol);
    }
    if (!rc)
        fprintf(f, "]}\n");
    if (fclose(f) && rc == 0)
        rc = bp_fail(err, "%s: cannot write", path);
    if (sink.f && (fclose(sink.f) || sink.failed) && rc == 0)
        rc = bp_fail(err, "%s: cannot write", binpath);
    sink.f = NULL;
    return rc;
}
