/* template.c: a bpcheck-protocol/1 adapter in C with jansson (PROTOCOL.md), to copy and edit.
 *
 *     cc -std=c11 -O2 template.c $(pkg-config --cflags --libs jansson) -lm -o my_adapter
 *     bpcheck conform --impl ./my_adapter
 *
 * It reads one JSON request per line, computes what the request wants with the MLP in
 * `compute` (marked YOUR CODE), and prints one JSON answer per line. As shipped it is a plain,
 * correct implementation of the three models with any activation per layer, and passes the
 * whole bundled suite (with --deep too); replace `compute` with a call into your own code.
 * Layouts (canonical): W^l is n_l x n_{l-1}, W^l[j][k] joins neuron k of layer l-1 to neuron j
 * of layer l; x and y have one row per sample; z, a, delta are m x n_l per layer. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MAXL 64

typedef struct {
    const char *cost, *red;           /* "quadratic" | "loglik" | "cross-entropy"; "sum" | "mean" */
    size_t L, n[MAXL + 1], m;         /* layers 0..L, batch size m */
    const char *act[MAXL + 1];        /* act[1..L] */
    double slope, eta;
    double *W[MAXL + 1], *b[MAXL + 1], *x, *y;
    /* results */
    double cost_value, *gW[MAXL + 1], *gb[MAXL + 1];
    double *z[MAXL + 1], *a[MAXL + 1], *d[MAXL + 1]; /* m x n_l each */
} net;

static double act(const char *f, double slope, double z)
{
    if (!strcmp(f, "tanh"))
        return tanh(z);
    if (!strcmp(f, "relu"))
        return z > 0 ? z : 0;
    if (!strcmp(f, "leaky-relu"))
        return z > 0 ? z : slope * z;
    if (!strcmp(f, "identity"))
        return z;
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); /* sigmoid, both branches */
}

static double act_prime(const char *f, double slope, double z)
{
    if (!strcmp(f, "tanh")) {
        double c = cosh(z);
        return 1 / (c * c);
    }
    if (!strcmp(f, "relu"))
        return z > 0 ? 1 : 0; /* relu'(0) = 0 */
    if (!strcmp(f, "leaky-relu"))
        return z > 0 ? 1 : slope;
    if (!strcmp(f, "identity"))
        return 1;
    return act("sigmoid", 0, z) * act("sigmoid", 0, -z);
}

static double softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }

/* ---- YOUR CODE: the cost, the gradient and the trace of the batch, into N ---- */
static int compute(net *N, char *err, size_t errlen)
{
    size_t L = N->L, m = N->m, NL = N->n[L];
    N->cost_value = 0;
    for (size_t p = 0; p < m; p++) {
        for (size_t l = 1; l <= L; l++) { /* forward */
            size_t J = N->n[l], K = N->n[l - 1];
            const double *prev = l == 1 ? N->x + p * K : N->a[l - 1] + p * K;
            double *z = N->z[l] + p * J, *a = N->a[l] + p * J;
            for (size_t j = 0; j < J; j++) {
                double s = N->b[l][j];
                for (size_t k = 0; k < K; k++)
                    s += N->W[l][j * K + k] * prev[k];
                z[j] = s;
            }
            if (strcmp(N->act[l], "softmax") == 0) {
                double M = z[0], s = 0;
                for (size_t j = 1; j < J; j++)
                    M = z[j] > M ? z[j] : M;
                for (size_t j = 0; j < J; j++)
                    s += (a[j] = exp(z[j] - M));
                for (size_t j = 0; j < J; j++)
                    a[j] /= s;
            } else {
                for (size_t j = 0; j < J; j++)
                    a[j] = act(N->act[l], N->slope, z[j]);
            }
        }
        const double *z = N->z[L] + p * NL, *a = N->a[L] + p * NL, *y = N->y + p * NL;
        double *d = N->d[L] + p * NL, sy = 0;
        for (size_t j = 0; j < NL; j++)
            sy += y[j];
        double M = z[0], lse = 0;
        for (size_t j = 1; j < NL; j++)
            M = z[j] > M ? z[j] : M;
        for (size_t j = 0; j < NL; j++)
            lse += exp(z[j] - M);
        lse = M + log(lse);
        for (size_t j = 0; j < NL; j++) { /* the cost of the sample and delta^L */
            if (!strcmp(N->cost, "quadratic")) {
                N->cost_value += 0.5 * (y[j] - a[j]) * (y[j] - a[j]);
                d[j] = (a[j] - y[j]) * act_prime(N->act[L], N->slope, z[j]);
            } else if (!strcmp(N->cost, "loglik")) {
                N->cost_value += y[j] * softplus(-z[j]) + (1 - y[j]) * softplus(z[j]);
                d[j] = (1 - y[j]) * act("sigmoid", 0, z[j]) - y[j] * act("sigmoid", 0, -z[j]);
            } else {
                if (y[j] != 0)
                    N->cost_value -= y[j] * (z[j] - lse);
                d[j] = a[j] * sy - y[j];
            }
        }
        for (size_t l = L - 1; l >= 1; l--) { /* backward */
            size_t J = N->n[l + 1], K = N->n[l];
            for (size_t k = 0; k < K; k++) {
                double s = 0;
                for (size_t j = 0; j < J; j++)
                    s += N->W[l + 1][j * K + k] * N->d[l + 1][p * J + j];
                N->d[l][p * K + k] = s * act_prime(N->act[l], N->slope, N->z[l][p * K + k]);
            }
        }
        for (size_t l = 1; l <= L; l++) { /* the gradient, summed over the samples */
            size_t J = N->n[l], K = N->n[l - 1];
            const double *prev = l == 1 ? N->x + p * K : N->a[l - 1] + p * K;
            for (size_t j = 0; j < J; j++) {
                N->gb[l][j] += N->d[l][p * J + j];
                for (size_t k = 0; k < K; k++)
                    N->gW[l][j * K + k] += N->d[l][p * J + j] * prev[k];
            }
        }
    }
    if (!strcmp(N->red, "mean")) {
        for (size_t l = 1; l <= L; l++) {
            for (size_t i = 0; i < N->n[l] * N->n[l - 1]; i++)
                N->gW[l][i] /= (double)m;
            for (size_t j = 0; j < N->n[l]; j++)
                N->gb[l][j] /= (double)m;
        }
        N->cost_value /= (double)m;
    }
    (void)err, (void)errlen;
    return 0;
}
/* ---- end of YOUR CODE ---- */

/* rows x cols numbers of a JSON matrix into out (calloc'd); NULL on a wrong shape */
static double *matrix(json_t *v, size_t rows, size_t cols)
{
    double *out = calloc(rows * cols + 1, sizeof *out);
    if (!out || !json_is_array(v) || json_array_size(v) != rows)
        return free(out), NULL;
    for (size_t r = 0; r < rows; r++) {
        json_t *row = json_array_get(v, r);
        if (!json_is_array(row) || json_array_size(row) != cols)
            return free(out), NULL;
        for (size_t c = 0; c < cols; c++)
            out[r * cols + c] = json_number_value(json_array_get(row, c));
    }
    return out;
}

static json_t *rows(const double *v, size_t r, size_t c)
{
    json_t *m = json_array();
    for (size_t i = 0; i < r; i++) {
        json_t *row = json_array();
        for (size_t j = 0; j < c; j++)
            json_array_append_new(row, json_real(v[i * c + j]));
        json_array_append_new(m, row);
    }
    return m;
}

static json_t *params_json(const net *N, double *const *W, double *const *b)
{
    json_t *jw = json_array(), *jb = json_array();
    for (size_t l = 1; l <= N->L; l++) {
        json_array_append_new(jw, rows(W[l], N->n[l], N->n[l - 1]));
        json_array_append_new(jb, rows(b[l], 1, N->n[l]));
        json_t *flat = json_array_get(json_array_get(jb, l - 1), 0); /* b^l is a flat list */
        json_incref(flat);
        json_array_set_new(jb, l - 1, flat);
    }
    return json_pack("{s:o, s:o}", "W", jw, "b", jb);
}

/* What this adapter supports, declared when the runner's first request (the hello) invites
 * it (PROTOCOL.md, "Capabilities"): cases outside are then never sent, but skipped with the
 * reason. EDIT to what your code does: a list left out means "all". */
static json_t *capabilities(void)
{
    return json_pack("{s:[sss], s:[ssssss], s:[ss], s:[ssssss], s:[s]}",
                     "costs", "quadratic", "loglik", "cross-entropy",
                     "activations", "sigmoid", "tanh", "relu", "leaky-relu", "identity", "softmax",
                     "reductions", "sum", "mean",
                     "want", "cost", "grad", "step", "z", "a", "delta",
                     "precision", "float64");
}

static json_t *answer(json_t *req)
{
    net N = {0};
    char err[256] = "";
    json_t *out = json_pack("{s:O}", "id", json_object_get(req, "id")), *model = json_object_get(req, "model");
    json_t *sizes = json_object_get(model, "sizes"), *acts = json_object_get(model, "activations");
    N.cost = json_string_value(json_object_get(model, "cost"));
    N.red = json_string_value(json_object_get(model, "reduction"));
    N.slope = json_object_get(model, "leaky_slope") ? json_number_value(json_object_get(model, "leaky_slope")) : 0.01;
    N.eta = json_number_value(json_object_get(req, "eta"));
    N.L = json_array_size(sizes) - 1;
    if (!N.cost || !N.red || json_array_size(sizes) < 2 || N.L > MAXL) {
        json_object_set_new(out, "error", json_string("a malformed request"));
        return out;
    }
    for (size_t l = 0; l <= N.L; l++)
        N.n[l] = (size_t)json_integer_value(json_array_get(sizes, l));
    for (size_t l = 1; l <= N.L; l++)
        N.act[l] = acts ? json_string_value(json_array_get(acts, l - 1))
                        : l == N.L && !strcmp(N.cost, "cross-entropy") ? "softmax" : "sigmoid";
    json_t *x = json_object_get(json_object_get(req, "batch"), "x");
    N.m = json_array_size(x);
    N.x = matrix(x, N.m, N.n[0]);
    N.y = matrix(json_object_get(json_object_get(req, "batch"), "y"), N.m, N.n[N.L]);
    int ok = N.x && N.y && N.m > 0;
    for (size_t l = 1; l <= N.L; l++) {
        size_t J = N.n[l], K = N.n[l - 1];
        json_t *jb = json_array_get(json_object_get(json_object_get(req, "params"), "b"), l - 1);
        json_t *wrap = json_pack("[O]", jb);
        N.W[l] = matrix(json_array_get(json_object_get(json_object_get(req, "params"), "W"), l - 1), J, K);
        N.b[l] = matrix(wrap, 1, J);
        json_decref(wrap);
        N.gW[l] = calloc(J * K + 1, sizeof(double)), N.gb[l] = calloc(J + 1, sizeof(double));
        N.z[l] = calloc(N.m * J + 1, sizeof(double)), N.a[l] = calloc(N.m * J + 1, sizeof(double));
        N.d[l] = calloc(N.m * J + 1, sizeof(double));
        ok = ok && N.W[l] && N.b[l] && N.act[l];
    }
    if (!ok)
        json_object_set_new(out, "error", json_string("a malformed request"));
    else if (compute(&N, err, sizeof err))
        json_object_set_new(out, "error", json_string(err));
    else {
        json_t *want = json_object_get(req, "want"), *w;
        size_t i;
        json_array_foreach(want, i, w) {
            const char *k = json_string_value(w);
            if (!k)
                continue;
            if (!strcmp(k, "cost"))
                json_object_set_new(out, k, json_real(N.cost_value));
            else if (!strcmp(k, "grad"))
                json_object_set_new(out, k, params_json(&N, N.gW, N.gb));
            else if (!strcmp(k, "step")) { /* params - eta grad, in place of the gradient */
                for (size_t l = 1; l <= N.L; l++) {
                    for (size_t q = 0; q < N.n[l] * N.n[l - 1]; q++)
                        N.gW[l][q] = N.W[l][q] - N.eta * N.gW[l][q];
                    for (size_t j = 0; j < N.n[l]; j++)
                        N.gb[l][j] = N.b[l][j] - N.eta * N.gb[l][j];
                }
                json_object_set_new(out, k, params_json(&N, N.gW, N.gb));
            } else if (!strcmp(k, "z") || !strcmp(k, "a") || !strcmp(k, "delta")) {
                json_t *layers = json_array();
                for (size_t l = 1; l <= N.L; l++)
                    json_array_append_new(layers, rows(!strcmp(k, "z") ? N.z[l] : !strcmp(k, "a") ? N.a[l] : N.d[l],
                                                       N.m, N.n[l]));
                json_object_set_new(out, k, layers);
            }
        }
    }
    if (json_object_get(req, "capabilities")) /* the hello's invitation */
        json_object_set_new(out, "capabilities", capabilities());
    free(N.x), free(N.y);
    for (size_t l = 1; l <= N.L; l++)
        free(N.W[l]), free(N.b[l]), free(N.gW[l]), free(N.gb[l]), free(N.z[l]), free(N.a[l]), free(N.d[l]);
    return out;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        json_error_t je;
        json_t *req = json_loadb(line, (size_t)len, 0, &je);
        json_t *out = req ? answer(req) : json_pack("{s:s, s:s}", "id", "", "error", "not JSON");
        char *text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(17));
        printf("%s\n", text ? text : "{\"id\": \"\", \"error\": \"NaN or Inf in the answer\"}");
        fflush(stdout);
        free(text);
        json_decref(out), json_decref(req);
    }
    free(line);
    return 0;
}
