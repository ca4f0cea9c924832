/* reference/train.c: one interface to the three models, SGD training (004:train, 002:sgd)
 * and the CSV loader (train.h). */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "loglik.h"
#include "quadratic.h"
#include "softmax_ce.h"

int bp_gradient(bp_cost model, bp_model *grad, double *cost, bp_trace *trace,
                const bp_model *params, const bp_batch *batch, bp_reduction red, bp_error *err)
{
    switch (model) {
    case BP_QUADRATIC:
        return quad_backprop(grad, cost, trace, params, batch, red, err);
    case BP_LOGLIK:
        return ll_canonical(grad, cost, trace, params, batch, red, err);
    case BP_CROSS_ENTROPY:
        return sce_gradient(grad, cost, trace, params, batch, red, SCE_SIMPLIFIED, err);
    }
    return bp_fail(err, "model: unknown model %d", (int)model);
}

double bp_cost_value(bp_cost model, const bp_model *params, const bp_batch *batch,
                     bp_reduction red)
{
    switch (model) {
    case BP_QUADRATIC:
        return quad_cost(params, batch, red);
    case BP_LOGLIK:
        return ll_canonical_cost(params, batch, red);
    case BP_CROSS_ENTROPY:
        return sce_cost(params, batch, red);
    }
    return NAN;
}

static size_t argmax(const double *v, size_t n)
{
    size_t at = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[at])
            at = i;
    return at;
}

int bp_predicts(const double *a, const double *y, size_t n)
{
    if (n == 1)
        return (a[0] >= 0.5) == (y[0] >= 0.5);
    return argmax(a, n) == argmax(y, n);
}

/* Samples order[from .. from+m-1] of data into batch (whose m is set to that count). */
static void gather(bp_batch *batch, const bp_batch *data, const size_t *order, size_t from,
                   size_t m)
{
    batch->m = m;
    for (size_t p = 0; p < m; p++) {
        memcpy(batch->x + p * data->n_in, data->x + order[from + p] * data->n_in,
               data->n_in * sizeof(double));
        memcpy(batch->y + p * data->n_out, data->y + order[from + p] * data->n_out,
               data->n_out * sizeof(double));
    }
}

static size_t chunk_of(const bp_batch *b) { return b->m < 256 ? b->m : 256; }

/* The mean cost and the accuracy of params over data, in chunks of at most `chunk` samples
 * (trace holds at least that many rows). */
static int evaluate(bp_cost model, const bp_model *params, const bp_batch *data, bp_model *grad,
                    bp_trace *trace, size_t chunk, double *cost, double *accuracy, bp_error *err)
{
    size_t N = data->m, NL = params->n[params->L], right = 0, cap = trace->m;
    double total = 0.0;
    if (chunk > cap)
        chunk = cap;
    for (size_t from = 0; from < N; from += chunk) {
        size_t m = N - from < chunk ? N - from : chunk;
        bp_batch view = {m, data->n_in, data->n_out, data->x + from * data->n_in,
                         data->y + from * data->n_out};
        double c;
        trace->m = m;
        if (bp_gradient(model, grad, &c, trace, params, &view, BP_SUM, err)) {
            trace->m = cap;
            return -1;
        }
        total += c;
        for (size_t p = 0; p < m; p++)
            right += (size_t)bp_predicts(trace->a[params->L] + p * NL, view.y + p * NL, NL);
    }
    trace->m = cap;
    *cost = total / (double)N;
    *accuracy = (double)right / (double)N;
    return 0;
}

int bp_train(bp_model *params, bp_cost model, const bp_batch *data, const bp_train_opts *o,
             bp_epoch_fn report, void *ctx, bp_epoch_report *last, bp_error *err)
{
    if (o->batch < 1 || o->window < 1 || !(o->eta > 0.0) || !isfinite(o->eta))
        return bp_fail(err, "train: batch and window must be at least 1 and eta positive and "
                            "finite (got batch %zu, window %zu, eta %g)",
                       o->batch, o->window, o->eta);
    size_t N = data->m, B = o->batch < N ? o->batch : N, L = params->L, NL = params->n[L];
    /* evaluation after each epoch goes through the data in chunks of at most 256 samples */
    size_t chunk = N < 256 ? N : 256, cap = B > chunk ? B : chunk;
    int rc = -1;
    size_t *order = malloc(N * sizeof *order);
    unsigned char *window = calloc(o->window, 1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    bp_batch *mb = bp_batch_alloc(cap, data->n_in, data->n_out, err);
    bp_model *grad = bp_model_alloc_like(params, err);
    bp_trace *trace = bp_trace_alloc(params, cap, err);
    if (!order || !window || !rng || !mb || !grad || !trace) {
        if (!order || !window || !rng)
            bp_fail(err, "train: out of memory");
        goto done;
    }
    gsl_rng_set(rng, o->seed);
    for (size_t i = 0; i < N; i++)
        order[i] = i;
    size_t seen = 0; /* samples pushed into the window, ever */
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        gsl_ran_shuffle(rng, order, N, sizeof *order);
        double cost_sum = 0.0;
        for (size_t from = 0; from < N; from += B) {
            size_t m = N - from < B ? N - from : B;
            gather(mb, data, order, from, m);
            trace->m = m; /* the trace holds cap rows, one per sample; use the first m */
            /* 004:train  1. feed the sample(s) forward, storing the activations (the trace);
             *            2. the cost, kept for reference;
             *            3-6. the gradient of the last layer, of the activations of the layer
             *            before, of its weights and biases, down to the input layer (for
             *            cross-entropy these are 004:8 .. 004:13, in sce_backward_simplified) */
            double cost;
            if (bp_gradient(model, grad, &cost, trace, params, mb, BP_MEAN, err))
                goto done;
            cost_sum += cost * (double)m;
            /* 004:train  2. how many of the last x samples were guessed correctly */
            for (size_t p = 0; p < m; p++, seen++)
                window[seen % o->window] =
                    (unsigned char)bp_predicts(trace->a[L] + p * NL, mb->y + p * NL, NL);
            /* 004:train  7. subtract the gradient times the learning rate; over m samples
             * with the mean gradient this is 002:sgd, w -> w - (eta/m) sum_x delta^x (a^x)^T */
            bp_model_step(params, params, grad, o->eta);
            /* 004:train  8. go back to 1 */
        }
        bp_epoch_report r = {epoch, o->epochs, cost_sum / (double)N, 0.0, 0, 0.0, 0.0, NAN, NAN};
        r.window_seen = seen < o->window ? seen : o->window;
        size_t right = 0;
        for (size_t i = 0; i < r.window_seen; i++)
            right += window[i];
        r.window_accuracy = (double)right / (double)r.window_seen;
        /* 004:train  the global accuracy, logged every epoch: the whole data, as it is now */
        if (evaluate(model, params, data, grad, trace, chunk, &r.cost, &r.accuracy, err))
            goto done;
        r.test_cost = r.test_accuracy = NAN;
        if (o->held_out && evaluate(model, params, o->held_out, grad, trace, chunk_of(o->held_out),
                                    &r.test_cost, &r.test_accuracy, err))
            goto done;
        if (report)
            report(&r, ctx);
        if (last)
            *last = r;
    }
    rc = 0;
done:
    free(order), free(window);
    gsl_rng_free(rng);
    bp_batch_free(mb), bp_model_free(grad), bp_trace_free(trace);
    return rc;
}

/* Split line into comma-separated fields in place; returns the count (at most max). */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n < max)
            fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int parse_number(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || errno == ERANGE)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    return *end == '\0' && isfinite(*out) ? 0 : -1;
}

bp_batch *bp_data_read_csv(FILE *f, const char *fname, size_t n_in, size_t n_out,
                           bp_error *err)
{
    return bp_data_read_csv_header(f, fname, n_in, n_out, 0, err);
}

/* The first field (1-based) of the line (split into n fields) that is not a number at all, as
 * in a header; 0 if there is none. */
static size_t looks_like_header(char **fields, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        double v;
        const char *s = fields[k];
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s && parse_number(s, &v) && !strchr("+-.0123456789", *s))
            return k + 1;
    }
    return 0;
}

/* One line of f into line (cap bytes, its newline kept): its length; -1 at the end of the
 * file; -2 for a line that does not fit (read past, to its end). *nul: it holds a NUL byte. */
static long csv_line(FILE *f, char *line, size_t cap, int *nul)
{
    size_t n = 0;
    int c = EOF;
    *nul = 0;
    while ((c = getc(f)) != EOF) {
        if (n + 1 >= cap) {
            while (c != EOF && c != '\n')
                c = getc(f);
            return -2;
        }
        *nul |= c == '\0';
        line[n++] = (char)c;
        if (c == '\n')
            break;
    }
    if (n == 0 && c == EOF)
        return -1;
    line[n] = '\0';
    return (long)n;
}

bp_batch *bp_data_read_csv_header(FILE *f, const char *fname, size_t n_in, size_t n_out,
                                  int header, bp_error *err)
{
    int first = 1;
    size_t cap = 64, m = 0, lineno = 0, width = n_in + n_out;
    double *x = malloc(cap * n_in * sizeof *x), *y = malloc(cap * n_out * sizeof *y);
    char *fields[4096];
    char line[65536];
    if (!x || !y) {
        bp_fail(err, "%s: out of memory", fname);
        goto fail;
    }
    if (width > sizeof fields / sizeof *fields) {
        bp_fail(err, "%s: %zu columns; at most %zu are supported", fname, width,
                sizeof fields / sizeof *fields);
        goto fail;
    }
    int b0 = getc(f);
    if (b0 == 0x1f) { /* gzip's first byte (0x1f 0x8b): refused by name, not read as garbled text */
        if (getc(f) == 0x8b)
            bp_fail(err, "%s: gzip-compressed data; decompress it first (gunzip -k %s, or zcat %s | bpcheck "
                         "train --data - ...)", fname, fname, fname);
        else
            bp_fail(err, "%s: starts with the control byte 0x1f; a CSV file is text", fname);
        goto fail;
    }
    if (b0 != EOF)
        ungetc(b0, f);
    long got;
    int nul;
    while ((got = csv_line(f, line, sizeof line, &nul)) != -1) {
        lineno++;
        if (got == -2) { /* refused, not split into two samples */
            bp_fail(err, "%s:%zu: line longer than %zu characters", fname, lineno,
                    sizeof line - 2);
            goto fail;
        }
        if (nul) { /* strlen would drop the rest of the line without a word */
            bp_fail(err, "%s:%zu: a NUL byte; a CSV file is text (is this a binary file?)", fname, lineno);
            goto fail;
        }
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0'; /* Unix or DOS line ends */
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
            continue;
        size_t n = split(line, fields, sizeof fields / sizeof *fields);
        if (first) {
            first = 0;
            if (header)
                continue;
            size_t h = looks_like_header(fields, n < sizeof fields / sizeof *fields ? n : 0);
            if (h) {
                bp_fail(err, "%s:%zu: the first line looks like a header (field %zu is '%s', not "
                             "a number); skip it with --header",
                        fname, lineno, h, fields[h - 1]);
                goto fail;
            }
        }
        int label = n_out > 1 && n == n_in + 1;
        if (n != width && !label) {
            if (n_out > 1)
                bp_fail(err, "%s:%zu: %zu fields; expected %zu features then a class label "
                             "(%zu fields) or %zu target values (%zu fields)",
                        fname, lineno, n, n_in, n_in + 1, n_out, width);
            else
                bp_fail(err, "%s:%zu: %zu fields; expected %zu features then 1 target value",
                        fname, lineno, n, n_in);
            goto fail;
        }
        if (m == cap) {
            cap *= 2;
            double *x2 = realloc(x, cap * n_in * sizeof *x);
            if (x2)
                x = x2;
            double *y2 = x2 ? realloc(y, cap * n_out * sizeof *y) : NULL;
            if (y2)
                y = y2;
            if (!x2 || !y2 || m >= BP_MAX_BATCH) {
                bp_fail(err, "%s:%zu: too many samples (out of memory or over %u)", fname,
                        lineno, BP_MAX_BATCH);
                goto fail;
            }
        }
        for (size_t k = 0; k < n_in; k++)
            if (parse_number(fields[k], &x[m * n_in + k])) {
                bp_fail(err, "%s:%zu: field %zu (feature %zu) '%s' is not a finite number",
                        fname, lineno, k + 1, k + 1, fields[k]);
                goto fail;
            }
        if (label) {
            double v;
            if (parse_number(fields[n_in], &v) || v != floor(v) || v < 0 || v >= (double)n_out) {
                bp_fail(err, "%s:%zu: field %zu (class label) '%s'; expected an integer from 0 "
                             "to %zu",
                        fname, lineno, n_in + 1, fields[n_in], n_out - 1);
                goto fail;
            }
            for (size_t j = 0; j < n_out; j++)
                y[m * n_out + j] = j == (size_t)v ? 1.0 : 0.0;
        } else {
            for (size_t j = 0; j < n_out; j++)
                if (parse_number(fields[n_in + j], &y[m * n_out + j])) {
                    bp_fail(err, "%s:%zu: field %zu (target %zu) '%s' is not a finite number",
                            fname, lineno, n_in + j + 1, j + 1, fields[n_in + j]);
                    goto fail;
                }
        }
        m++;
    }
    if (ferror(f)) {
        bp_fail(err, "%s: read error after line %zu", fname, lineno);
        goto fail;
    }
    if (m == 0) {
        bp_fail(err, "%s: no samples", fname);
        goto fail;
    }
    bp_batch *b = bp_batch_alloc(m, n_in, n_out, err);
    if (!b)
        goto fail;
    memcpy(b->x, x, m * n_in * sizeof *x);
    memcpy(b->y, y, m * n_out * sizeof *y);
    free(x), free(y);
    return b;
fail:
    free(x), free(y);
    return NULL;
}

int bp_data_split(const bp_batch *data, double fraction, unsigned long seed, bp_batch **train,
                  bp_batch **test, bp_error *err)
{
    *train = *test = NULL;
    size_t N = data->m, nt = (size_t)ceil(fraction * (double)N);
    if (!(fraction > 0.0 && fraction < 1.0))
        return bp_fail(err, "test fraction %g; expected a number between 0 and 1", fraction);
    if (nt < 1 || nt >= N)
        return bp_fail(err, "a test fraction of %g leaves %zu of %zu samples for testing; both "
                            "parts need at least one",
                       fraction, nt, N);
    size_t *order = malloc(N * sizeof *order);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!order || !rng) {
        free(order);
        if (rng)
            gsl_rng_free(rng);
        return bp_fail(err, "out of memory");
    }
    for (size_t i = 0; i < N; i++)
        order[i] = i;
    gsl_rng_set(rng, seed);
    gsl_ran_shuffle(rng, order, N, sizeof *order);
    gsl_rng_free(rng);
    *test = bp_batch_alloc(nt, data->n_in, data->n_out, err);
    *train = *test ? bp_batch_alloc(N - nt, data->n_in, data->n_out, err) : NULL;
    if (!*train) {
        bp_batch_free(*test), *test = NULL;
        free(order);
        return -1;
    }
    gather(*test, data, order, 0, nt);
    gather(*train, data, order, nt, N - nt);
    free(order);
    return 0;
}

void bp_data_standardize(bp_batch *train, bp_batch *test)
{
    size_t K = train->n_in;
    for (size_t k = 0; k < K; k++) {
        double mean = 0.0, var = 0.0;
        for (size_t p = 0; p < train->m; p++)
            mean += train->x[p * K + k];
        mean /= (double)train->m;
        for (size_t p = 0; p < train->m; p++)
            var += (train->x[p * K + k] - mean) * (train->x[p * K + k] - mean);
        double sd = sqrt(var / (double)train->m);
        if (!(sd > 0.0))
            sd = 1.0; /* constant in the training part: centred only */
        for (size_t p = 0; p < train->m; p++)
            train->x[p * K + k] = (train->x[p * K + k] - mean) / sd;
        for (size_t p = 0; test && p < test->m; p++)
            test->x[p * K + k] = (test->x[p * K + k] - mean) / sd;
    }
}
