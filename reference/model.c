/* reference/model.c: allocation, initialisation and I/O of the canonical model (model.h). */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "mt19937.h"

int bp_fail(bp_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *const cost_names[] = {"quadratic", "loglik", "cross-entropy"};
static const char *const reduction_names[] = {"sum", "mean"};

const char *bp_cost_name(bp_cost c) { return cost_names[c]; }
const char *bp_reduction_name(bp_reduction r) { return reduction_names[r]; }

int bp_cost_parse(const char *s, bp_cost *out, bp_error *err)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, cost_names[i]) == 0) {
            *out = (bp_cost)i;
            return 0;
        }
    return bp_fail(err, "model: unknown cost '%s' (expected quadratic, loglik or cross-entropy)",
                   s);
}

int bp_reduction_parse(const char *s, bp_reduction *out, bp_error *err)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(s, reduction_names[i]) == 0) {
            *out = (bp_reduction)i;
            return 0;
        }
    return bp_fail(err, "reduction: unknown value '%s' (expected sum or mean)", s);
}

/* Check sizes and count parameters without overflow. */
int bp_sizes_check(size_t L, const size_t *n, size_t *nparams, bp_error *err)
{
    if (L < 1 || L > BP_MAX_LAYERS)
        return bp_fail(err, "sizes: %zu layers of weights; expected 1 to %d (at least two sizes)",
                       L, BP_MAX_LAYERS);
    size_t total = 0;
    for (size_t l = 0; l <= L; l++) {
        if (n[l] < 1 || n[l] > BP_MAX_WIDTH)
            return bp_fail(err, "sizes: n_%zu = %zu; expected 1 to %u", l, n[l], BP_MAX_WIDTH);
        if (l == 0)
            continue;
        /* n_l, n_{l-1} <= 1e6 so the product fits in 64 bits; the running total is capped */
        size_t layer = n[l] * n[l - 1] + n[l];
        if (layer > BP_MAX_PARAMS || total + layer > BP_MAX_PARAMS)
            return bp_fail(err, "sizes: more than %u parameters; refusing to allocate",
                           BP_MAX_PARAMS);
        total += layer;
    }
    *nparams = total;
    return 0;
}

bp_model *bp_model_alloc(size_t L, const size_t *n, bp_error *err)
{
    size_t nparams;
    if (bp_sizes_check(L, n, &nparams, err))
        return NULL;
    bp_model *m = calloc(1, sizeof *m);
    double *theta = calloc(nparams, sizeof *theta);
    if (!m || !theta) {
        free(m);
        free(theta);
        bp_fail(err, "model: out of memory for %zu parameters", nparams);
        return NULL;
    }
    m->L = L;
    m->slope = BP_LEAKY_SLOPE;
    m->nparams = nparams;
    m->theta = theta;
    size_t off = 0;
    for (size_t l = 0; l <= L; l++) {
        m->n[l] = n[l];
        if (l == 0)
            continue;
        m->W[l] = theta + off;
        off += n[l] * n[l - 1];
        m->b[l] = theta + off;
        off += n[l];
    }
    return m;
}

bp_model *bp_model_alloc_like(const bp_model *m, bp_error *err)
{
    bp_model *c = bp_model_alloc(m->L, m->n, err);
    if (c)
        bp_acts_copy(c, m);
    return c;
}

void bp_acts_copy(bp_model *dst, const bp_model *src)
{
    memcpy(dst->act, src->act, sizeof dst->act);
    dst->slope = src->slope;
}

bp_act bp_layer_act(const bp_model *m, bp_cost cost, size_t l)
{
    if (m->act[l] != BP_ACT_DEFAULT)
        return m->act[l];
    return l == m->L && cost == BP_CROSS_ENTROPY ? BP_ACT_SOFTMAX : BP_ACT_SIGMOID;
}

int bp_acts_canonical(const bp_model *m, bp_cost cost)
{
    for (size_t l = 1; l <= m->L; l++) {
        bp_act f = bp_layer_act(m, cost, l);
        if (f != (l == m->L && cost == BP_CROSS_ENTROPY ? BP_ACT_SOFTMAX : BP_ACT_SIGMOID))
            return 0;
    }
    return 1;
}

int bp_acts_check(const bp_model *m, bp_cost cost, bp_error *err)
{
    for (size_t l = 1; l <= m->L; l++) {
        bp_act f = bp_layer_act(m, cost, l);
        if (f >= BP_NACTS)
            return bp_fail(err, "activations[%zu]: unknown activation %d", l - 1, (int)f);
        if (l < m->L && f == BP_ACT_SOFTMAX)
            return bp_fail(err, "activations[%zu]: softmax is an output activation; hidden "
                                "layers take sigmoid, tanh, relu, leaky-relu or identity",
                           l - 1);
        if (l == m->L && cost == BP_LOGLIK && f != BP_ACT_SIGMOID)
            return bp_fail(err, "activations[%zu]: the loglik output is sigmoid (its cost takes "
                                "ln a and ln(1 - a)), not %s",
                           l - 1, bp_act_name(f));
        if (l == m->L && cost == BP_CROSS_ENTROPY && f != BP_ACT_SOFTMAX)
            return bp_fail(err, "activations[%zu]: the cross-entropy output is softmax, not %s",
                           l - 1, bp_act_name(f));
        if (l == m->L && cost == BP_QUADRATIC && f == BP_ACT_SOFTMAX)
            return bp_fail(err, "activations[%zu]: a quadratic output is elementwise (sigmoid, "
                                "tanh, relu, leaky-relu or identity), not softmax",
                           l - 1);
    }
    if (!isfinite(m->slope))
        return bp_fail(err, "leaky_slope: %g is not finite", m->slope);
    return 0;
}

int bp_acts_parse(const char *s, bp_model *m, bp_error *err)
{
    return bp_acts_parse_list(s, m->L, m->act, &m->slope, err);
}

int bp_acts_parse_list(const char *s, size_t L, bp_act *act, double *slope, bp_error *err)
{
    size_t l = 1;
    const char *p = s;
    char name[32];
    int slope_set = 0;
    while (1) {
        size_t len = strcspn(p, ",");
        if (l > L)
            return bp_fail(err, "activations: more than the %zu the sizes give (one per layer "
                                "after the input)",
                           L);
        if (len == 0 || len >= sizeof name)
            return bp_fail(err, "activations: entry %zu is %s; expected sigmoid, tanh, relu, "
                                "leaky-relu[:SLOPE], identity or softmax",
                           l, len ? "too long" : "empty");
        memcpy(name, p, len);
        name[len] = '\0';
        char *colon = strchr(name, ':');
        if (colon) {
            *colon = '\0';
            char *end;
            errno = 0;
            double v = strtod(colon + 1, &end);
            if (strcmp(name, "leaky-relu") || end == colon + 1 || *end || errno ||
                !isfinite(v))
                return bp_fail(err, "activations: '%s:%s'; only leaky-relu takes a slope, as "
                                    "leaky-relu:0.01",
                               name, colon + 1);
            if (slope_set && v != *slope)
                return bp_fail(err, "activations: two leaky-relu slopes (%g and %g); one slope "
                                    "serves every leaky layer",
                               *slope, v);
            *slope = v, slope_set = 1;
        }
        bp_act f = bp_act_lookup(name);
        if (f == BP_NACTS || f == BP_ACT_DEFAULT)
            return bp_fail(err, "activations: unknown activation '%s' (expected sigmoid, tanh, "
                                "relu, leaky-relu, identity or softmax)",
                           name);
        act[l++] = f;
        if (!p[len])
            break;
        p += len + 1;
    }
    if (l != L + 1)
        return bp_fail(err, "activations: %zu given; the sizes have %zu layers after the input",
                       l - 1, L);
    return 0;
}

char *bp_acts_format(const bp_model *m, bp_cost cost, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t l = 1; l <= m->L && off < len; l++) {
        bp_act f = bp_layer_act(m, cost, l);
        int w = f == BP_ACT_LEAKY_RELU
                    ? snprintf(buf + off, len - off, "%s%s:%g", l > 1 ? "," : "", bp_act_name(f),
                               m->slope)
                    : snprintf(buf + off, len - off, "%s%s", l > 1 ? "," : "", bp_act_name(f));
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

void bp_model_free(bp_model *m)
{
    if (!m)
        return;
    free(m->theta);
    free(m);
}

int bp_sizes_parse(const char *s, size_t *L, size_t n[BP_MAX_LAYERS + 1], bp_error *err)
{
    size_t count = 0;
    const char *p = s;
    if (!s || !*s)
        return bp_fail(err, "sizes: empty; expected comma-separated layer sizes such as 4,8,3");
    for (;;) {
        if (count > BP_MAX_LAYERS)
            return bp_fail(err, "sizes '%s': more than %d layers", s, BP_MAX_LAYERS + 1);
        if (*p < '0' || *p > '9')
            return bp_fail(err, "sizes '%s': expected a positive integer at '%s'", s, p);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v < 1 || v > BP_MAX_WIDTH)
            return bp_fail(err, "sizes '%s': layer %zu is %.*s; expected 1 to %u", s, count,
                           (int)(end - p), p, BP_MAX_WIDTH);
        n[count++] = (size_t)v;
        p = end;
        if (*p == '\0')
            break;
        if (*p != ',')
            return bp_fail(err, "sizes '%s': expected ',' at '%s'", s, p);
        p++;
    }
    if (count < 2)
        return bp_fail(err, "sizes '%s': need at least an input and an output size", s);
    *L = count - 1;
    size_t nparams;
    return bp_sizes_check(*L, n, &nparams, err);
}

char *bp_sizes_format(const bp_model *m, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l <= m->L && used < len; l++) {
        int w = snprintf(buf + used, len - used, l ? "-%zu" : "%zu", m->n[l]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

/* W^l[j][k] ~ N(0, 1/K), then b^l_j ~ N(0, 1), neuron by neuron: fill(state, sigma, out, n)
 * draws n in order */
static void init_by(bp_model *m, void (*fill)(void *, double, double *, size_t), void *state)
{
    for (size_t l = 1; l <= m->L; l++) {
        size_t J = m->n[l], K = m->n[l - 1];
        double sd = 1.0 / sqrt((double)K);
        for (size_t j = 0; j < J; j++) {
            fill(state, sd, &m->W[l][j * K], K);
            fill(state, 1.0, &m->b[l][j], 1);
        }
    }
}

static void fill_gsl(void *rng, double sigma, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = gsl_ran_gaussian(rng, sigma);
}

static void fill_mt(void *rng, double sigma, double *out, size_t n)
{
    bp_mt_gaussians(rng, sigma, out, n);
}

void bp_model_init(bp_model *m, gsl_rng *rng)
{
    init_by(m, fill_gsl, rng);
}

/* bp_model_init with gsl_rng_mt19937 set to seed, drawn by mt19937.c's restatement of it (the
 * same numbers, t/model; less than half the time) */
int bp_model_init_seed(bp_model *m, unsigned long seed, bp_error *err)
{
    (void)err; /* nothing to allocate any more; kept for the callers' error paths */
    bp_mt19937 rng;
    bp_mt_set(&rng, seed);
    init_by(m, fill_mt, &rng);
    return 0;
}

int bp_model_same_shape(const bp_model *a, const bp_model *b)
{
    if (a->L != b->L)
        return 0;
    for (size_t l = 0; l <= a->L; l++)
        if (a->n[l] != b->n[l])
            return 0;
    return 1;
}

void bp_model_copy(bp_model *dst, const bp_model *src)
{
    memcpy(dst->theta, src->theta, src->nparams * sizeof *src->theta);
}

void bp_model_zero(bp_model *m)
{
    memset(m->theta, 0, m->nparams * sizeof *m->theta);
}

void bp_model_get(const bp_model *m, double *theta)
{
    memcpy(theta, m->theta, m->nparams * sizeof *theta);
}

void bp_model_set(bp_model *m, const double *theta)
{
    memcpy(m->theta, theta, m->nparams * sizeof *theta);
}

size_t bp_model_w_index(const bp_model *m, size_t l, size_t j, size_t k)
{
    return (size_t)(m->W[l] - m->theta) + j * m->n[l - 1] + k;
}

size_t bp_model_b_index(const bp_model *m, size_t l, size_t j)
{
    return (size_t)(m->b[l] - m->theta) + j;
}

char *bp_model_param_name(const bp_model *m, size_t i, char *buf, size_t len)
{
    for (size_t l = 1; l <= m->L; l++) {
        size_t w0 = (size_t)(m->W[l] - m->theta), b0 = (size_t)(m->b[l] - m->theta);
        size_t K = m->n[l - 1];
        if (i >= w0 && i < b0) {
            snprintf(buf, len, "W^%zu[%zu][%zu]", l, (i - w0) / K, (i - w0) % K);
            return buf;
        }
        if (i >= b0 && i < b0 + m->n[l]) {
            snprintf(buf, len, "b^%zu[%zu]", l, i - b0);
            return buf;
        }
    }
    snprintf(buf, len, "theta[%zu] (out of range)", i);
    return buf;
}

void bp_model_step(bp_model *out, const bp_model *params, const bp_model *grad, double eta)
{
    for (size_t i = 0; i < params->nparams; i++)
        out->theta[i] = params->theta[i] - eta * grad->theta[i];
}

int bp_model_write(FILE *f, const bp_model *m)
{
    fprintf(f, "bpcheck-params/1 %zu", m->L);
    for (size_t l = 0; l <= m->L; l++)
        fprintf(f, " %zu", m->n[l]);
    fputc('\n', f);
    for (size_t l = 1; l <= m->L; l++) {
        size_t J = m->n[l], K = m->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            for (size_t k = 0; k < K; k++)
                fprintf(f, "%s%.17g", k ? " " : "", m->W[l][j * K + k]);
            fputc('\n', f);
        }
        for (size_t j = 0; j < J; j++)
            fprintf(f, "%s%.17g", j ? " " : "", m->b[l][j]);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

bp_model *bp_model_read(FILE *f, const char *fname, bp_error *err)
{
    char magic[32];
    size_t L, n[BP_MAX_LAYERS + 1];
    if (fscanf(f, "%31s %zu", magic, &L) != 2 || strcmp(magic, "bpcheck-params/1") != 0) {
        bp_fail(err, "%s: header: expected 'bpcheck-params/1 L n_0 ... n_L'", fname);
        return NULL;
    }
    if (L < 1 || L > BP_MAX_LAYERS) {
        bp_fail(err, "%s: header: L = %zu; expected 1 to %d", fname, L, BP_MAX_LAYERS);
        return NULL;
    }
    for (size_t l = 0; l <= L; l++)
        if (fscanf(f, "%zu", &n[l]) != 1) {
            bp_fail(err, "%s: header: size n_%zu missing or not an integer", fname, l);
            return NULL;
        }
    bp_error e2;
    bp_model *m = bp_model_alloc(L, n, &e2);
    if (!m) {
        bp_fail(err, "%s: %s", fname, e2.msg);
        return NULL;
    }
    for (size_t i = 0; i < m->nparams; i++) {
        char name[64];
        if (fscanf(f, "%lf", &m->theta[i]) != 1) {
            bp_fail(err, "%s: parameter %s (number %zu of %zu): missing or not a number", fname,
                    bp_model_param_name(m, i, name, sizeof name), i + 1, m->nparams);
            bp_model_free(m);
            return NULL;
        }
        if (!isfinite(m->theta[i])) {
            bp_fail(err, "%s: parameter %s: %g; expected a finite number", fname,
                    bp_model_param_name(m, i, name, sizeof name), m->theta[i]);
            bp_model_free(m);
            return NULL;
        }
    }
    int c;
    while ((c = fgetc(f)) != EOF)
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            bp_fail(err, "%s: trailing data after %zu parameters", fname, m->nparams);
            bp_model_free(m);
            return NULL;
        }
    return m;
}

bp_batch *bp_batch_alloc(size_t m, size_t n_in, size_t n_out, bp_error *err)
{
    if (m < 1 || m > BP_MAX_BATCH) {
        bp_fail(err, "batch: m = %zu samples; expected 1 to %u", m, BP_MAX_BATCH);
        return NULL;
    }
    if (n_in < 1 || n_in > BP_MAX_WIDTH || n_out < 1 || n_out > BP_MAX_WIDTH) {
        bp_fail(err, "batch: widths %zu and %zu; expected 1 to %u", n_in, n_out, BP_MAX_WIDTH);
        return NULL;
    }
    if (m * (n_in + n_out) > BP_MAX_PARAMS) {
        bp_fail(err, "batch: %zu x (%zu + %zu) values; refusing more than %u", m, n_in, n_out,
                BP_MAX_PARAMS);
        return NULL;
    }
    bp_batch *b = calloc(1, sizeof *b);
    double *x = calloc(m * n_in, sizeof *x), *y = calloc(m * n_out, sizeof *y);
    if (!b || !x || !y) {
        free(b), free(x), free(y);
        bp_fail(err, "batch: out of memory");
        return NULL;
    }
    b->m = m, b->n_in = n_in, b->n_out = n_out, b->x = x, b->y = y;
    return b;
}

void bp_batch_free(bp_batch *b)
{
    if (!b)
        return;
    free(b->x);
    free(b->y);
    free(b);
}

void bp_batch_fill(bp_batch *b, gsl_rng *rng)
{
    for (size_t i = 0; i < b->m * b->n_in; i++)
        b->x[i] = gsl_ran_flat(rng, -2.5, 2.5);
    for (size_t i = 0; i < b->m * b->n_out; i++)
        b->y[i] = gsl_rng_uniform_pos(rng);
}

bp_trace *bp_trace_alloc(const bp_model *model, size_t m, bp_error *err)
{
    if (m < 1 || m > BP_MAX_BATCH) {
        bp_fail(err, "trace: m = %zu samples; expected 1 to %u", m, BP_MAX_BATCH);
        return NULL;
    }
    size_t per_sample = model->n[0];
    for (size_t l = 1; l <= model->L; l++)
        per_sample += 3 * model->n[l];
    if (per_sample > BP_MAX_PARAMS / m) {
        bp_fail(err, "trace: %zu samples x %zu values; refusing more than %u", m, per_sample,
                BP_MAX_PARAMS);
        return NULL;
    }
    bp_trace *t = calloc(1, sizeof *t);
    double *mem = calloc(per_sample * m, sizeof *mem);
    if (!t || !mem) {
        free(t), free(mem);
        bp_fail(err, "trace: out of memory");
        return NULL;
    }
    t->L = model->L, t->m = m, t->mem = mem;
    size_t off = 0;
    for (size_t l = 0; l <= model->L; l++) {
        t->n[l] = model->n[l];
        t->a[l] = mem + off, off += m * model->n[l];
        if (l == 0)
            continue;
        t->z[l] = mem + off, off += m * model->n[l];
        t->delta[l] = mem + off, off += m * model->n[l];
    }
    return t;
}

void bp_trace_free(bp_trace *t)
{
    if (!t)
        return;
    free(t->mem);
    free(t);
}
