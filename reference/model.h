/* reference/model.h: the canonical model, batch and per-sample trace that every derivation,
 * the fixtures and the conformance runner share (README "Conventions").
 *
 * Legend: layers l = 0..L with n_l neurons; W^l (l = 1..L) is n_l x n_{l-1} row-major, so
 * W^l[j][k] = W[l][j*n_{l-1} + k] joins neuron k of layer l-1 to neuron j of layer l;
 * b^l has n_l entries. All parameters live in ONE allocation, theta, in the order
 * W^1, b^1, W^2, b^2, ..., W^L, b^L: a gradient is a model of the same shape, and the
 * flat vector is what a gradient checker perturbs.
 *
 * Errors: functions that can fail take a bp_error * and return NULL or non-zero with a
 * message naming the field and what was expected; only main decides to exit.
 */
#ifndef BPCHECK_MODEL_H
#define BPCHECK_MODEL_H

#include <stddef.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "activation.h"

#define BP_MAX_LAYERS 64              /* L at most (weight layers) */
#define BP_MAX_WIDTH 1000000u         /* n_l at most */
#define BP_MAX_PARAMS (1u << 28)      /* 2 GiB of doubles: the largest model we allocate */
#define BP_MAX_BATCH 1000000u         /* m at most */

typedef struct {
    char msg[512];
} bp_error;

/* Write a message into err (err may be NULL); returns -1 so callers can `return bp_fail(...)`. */
int bp_fail(bp_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

typedef enum { BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY } bp_cost;
typedef enum { BP_SUM, BP_MEAN } bp_reduction;

const char *bp_cost_name(bp_cost c);           /* "quadratic", "loglik", "cross-entropy" */
int bp_cost_parse(const char *s, bp_cost *out, bp_error *err);
const char *bp_reduction_name(bp_reduction r); /* "sum", "mean" */
int bp_reduction_parse(const char *s, bp_reduction *out, bp_error *err);

typedef struct {
    size_t L;                         /* weight layers; layers are 0..L */
    size_t n[BP_MAX_LAYERS + 1];      /* n[l] = n_l */
    size_t nparams;                   /* sum over l of n_l * n_{l-1} + n_l */
    double *theta;                    /* the one allocation, nparams doubles */
    double *W[BP_MAX_LAYERS + 1];     /* W[l] -> theta, (n_l, n_{l-1}); W[0] = NULL */
    double *b[BP_MAX_LAYERS + 1];     /* b[l] -> theta, (n_l); b[0] = NULL */
    /* the activation of each layer l = 1..L (act[0] unused), and leaky-relu's slope;
     * BP_ACT_DEFAULT everywhere (what bp_model_alloc gives) is the cost's canonical model */
    bp_act act[BP_MAX_LAYERS + 1];
    double slope;
} bp_model;

/* The activation layer l (1..L) uses under cost: m->act[l], or where that is BP_ACT_DEFAULT the
 * canonical model's (sigmoid; softmax at a cross-entropy output). */
bp_act bp_layer_act(const bp_model *m, bp_cost cost, size_t l);
/* Does every layer use the canonical model's activation? */
int bp_acts_canonical(const bp_model *m, bp_cost cost);
/* Check the activations against the cost: hidden layers take sigmoid, tanh, relu, leaky-relu
 * or identity; the output of quadratic any of those, of loglik sigmoid (001:12 takes ln a and
 * ln(1 - a)), of cross-entropy softmax (004:7); a leaky slope is finite. */
int bp_acts_check(const bp_model *m, bp_cost cost, bp_error *err);
/* "tanh,relu,identity" (one per layer 1..L; "leaky-relu:0.2" also sets the slope) into
 * act[1..L] and *slope (left as it is unless a slope is given). */
int bp_acts_parse_list(const char *s, size_t L, bp_act *act, double *slope, bp_error *err);
/* The same into m->act and m->slope. */
int bp_acts_parse(const char *s, bp_model *m, bp_error *err);
/* The resolved list as "sigmoid,sigmoid,softmax" (leaky-relu with its slope) into buf. */
char *bp_acts_format(const bp_model *m, bp_cost cost, char *buf, size_t len);
void bp_acts_copy(bp_model *dst, const bp_model *src); /* act[] and slope */

/* Sizes n[0..L]; parameters set to zero, activations BP_ACT_DEFAULT. NULL (and err) on absurd sizes or no memory. */
bp_model *bp_model_alloc(size_t L, const size_t *n, bp_error *err);
bp_model *bp_model_alloc_like(const bp_model *m, bp_error *err); /* activations too */
void bp_model_free(bp_model *m);

/* Check sizes n[0..L] (L from 1 to BP_MAX_LAYERS, each n_l from 1 to BP_MAX_WIDTH, at most
 * BP_MAX_PARAMS parameters) and count the parameters, sum_l n_l n_{l-1} + n_l, into *nparams. */
int bp_sizes_check(size_t L, const size_t *n, size_t *nparams, bp_error *err);

/* Parse "784,30,10" into L = 2, n = {784, 30, 10}. */
int bp_sizes_parse(const char *s, size_t *L, size_t n[BP_MAX_LAYERS + 1], bp_error *err);
/* "784-30-10" into buf; returns buf. */
char *bp_sizes_format(const bp_model *m, char *buf, size_t len);

/* Seeded initialisation: W^l[j][k] ~ N(0, 1/n_{l-1}), b^l_j ~ N(0, 1) (Nielsen's network.py
 * scaled so that z stays O(1) in wide layers). Same seed, same parameters, on any machine. */
void bp_model_init(bp_model *m, gsl_rng *rng);
int bp_model_init_seed(bp_model *m, unsigned long seed, bp_error *err);

int bp_model_same_shape(const bp_model *a, const bp_model *b);
void bp_model_copy(bp_model *dst, const bp_model *src);  /* same shape */
void bp_model_zero(bp_model *m);
/* The whole parameter set as one flat vector, in theta order. */
void bp_model_get(const bp_model *m, double *theta);
void bp_model_set(bp_model *m, const double *theta);
/* Index into theta of W^l[j][k] and of b^l[j]. */
size_t bp_model_w_index(const bp_model *m, size_t l, size_t j, size_t k);
size_t bp_model_b_index(const bp_model *m, size_t l, size_t j);
/* Name the parameter at theta index i, e.g. "W^2[1][0]" or "b^1[3]". */
char *bp_model_param_name(const bp_model *m, size_t i, char *buf, size_t len);

/* out = params - eta * grad (the canonical SGD step; out may be params). */
void bp_model_step(bp_model *out, const bp_model *params, const bp_model *grad, double eta);

/* Text form "bpcheck-params/1": a header line with L and the sizes, then every parameter
 * in theta order with 17 significant digits (round-trip exact). */
int bp_model_write(FILE *f, const bp_model *m);
bp_model *bp_model_read(FILE *f, const char *fname, bp_error *err);

typedef struct {
    size_t m, n_in, n_out;            /* samples, n_0, n_L */
    double *x;                        /* (m, n_in) row-major: x[p*n_in + k] */
    double *y;                        /* (m, n_out) row-major: y[p*n_out + j] */
} bp_batch;

bp_batch *bp_batch_alloc(size_t m, size_t n_in, size_t n_out, bp_error *err);
void bp_batch_free(bp_batch *b);
/* Reproducible test data: x uniform in (-2.5, 2.5); y uniform in (0, 1) (quadratic and loglik
 * targets; a later model may renormalise). */
void bp_batch_fill(bp_batch *b, gsl_rng *rng);

/* Everything a forward and backward pass computes, per layer and per sample p:
 * z[l], delta[l] for l = 1..L and a[l] for l = 0..L, each (m, n_l) row-major. */
typedef struct {
    size_t L, m;
    size_t n[BP_MAX_LAYERS + 1];
    double *z[BP_MAX_LAYERS + 1];
    double *a[BP_MAX_LAYERS + 1];
    double *delta[BP_MAX_LAYERS + 1];
    double *mem;
} bp_trace;

bp_trace *bp_trace_alloc(const bp_model *m, size_t batch, bp_error *err);
void bp_trace_free(bp_trace *t);

#endif
