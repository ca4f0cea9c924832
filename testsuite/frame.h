/* testsuite/frame.h: the binary frames of bpcheck-protocol/2 (PROTOCOL.md, "Binary frames"):
 * arrays as little-endian IEEE-754 float64 (or float32) after a JSON header line, in a fixed
 * order that the header's shapes imply, so that no number is printed or parsed as decimal
 * text. Also the companion file of a large fixture (fixtures/FORMAT.md), which stores its
 * arrays the same way.
 *
 * Orders (each array row-major):
 *   params, grad, step:  W^1, b^1, W^2, b^2, ..., W^L, b^L (bp_model's theta, as laid out)
 *   batch:               x (m x n_0), then y (m x n_L)
 *   z, a, delta:         layer 1 (m x n_1), ..., layer L (m x n_L) */
#ifndef BPCHECK_FRAME_H
#define BPCHECK_FRAME_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

typedef enum { BP_F64, BP_F32, BP_NDTYPES } bp_dtype;

/* "f64", "f32"; bp_dtype_lookup gives BP_NDTYPES for any other name */
const char *bp_dtype_name(bp_dtype d);
bp_dtype bp_dtype_lookup(const char *name);
size_t bp_dtype_size(bp_dtype d);

/* How many numbers a quantity holds: "params", "grad", "step" (nparams), "batch"
 * (m (n_0 + n_L)), "z", "a", "delta" (m (n_1 + ... + n_L)); 0 for any other name. */
size_t bp_frame_count(const bp_model *shape, size_t m, const char *quantity);

/* Convert n doubles to n little-endian values of dtype d at out (n * size bytes); float32
 * rounds to nearest. */
void bp_frame_encode(unsigned char *out, const double *v, size_t n, bp_dtype d);
/* The reverse; returns the index of the first value that is NaN or infinite, or n. */
size_t bp_frame_decode(double *out, const unsigned char *in, size_t n, bp_dtype d);

/* Write n doubles to f as dtype d, in chunks (no buffer of the whole array); 0 or -1. */
int bp_frame_write(FILE *f, const double *v, size_t n, bp_dtype d);
/* Read n values of dtype d from f into out; 0, or -1 with *got the values read whole and
 * *bad the index of a non-finite value (n when all were finite). */
int bp_frame_read(FILE *f, double *out, size_t n, bp_dtype d, size_t *got, size_t *bad);

/* A quantity of a case written or read in the frames' order: params/grad/step (a model),
 * z/a/delta (layers 1..L of a trace-shaped array list), batch (x then y). */
int bp_frame_write_model(FILE *f, const bp_model *m, bp_dtype d);
int bp_frame_write_layers(FILE *f, double *const *arr, const bp_model *shape, size_t m, bp_dtype d);

#endif
