/* testsuite/t/frame.c: the binary frames (frame.h, PROTOCOL.md "Binary frames"): the dtype
 * names, the counts each quantity implies, the bytes of known values in float64 and float32
 * (little-endian IEEE-754 whatever the host), non-finite values found by index, and writing
 * and reading arrays longer than one chunk, whole and cut short. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "tap.h"
#include "testutil.h"

int main(void)
{
    tap_ok(bp_dtype_lookup("f64") == BP_F64 && bp_dtype_lookup("f32") == BP_F32 &&
               bp_dtype_lookup("f16") == BP_NDTYPES && bp_dtype_size(BP_F64) == 8 &&
               bp_dtype_size(BP_F32) == 4 && strcmp(bp_dtype_name(BP_F32), "f32") == 0,
           "frame: the dtypes f64 and f32 by name and size; f16 is none");

    bp_model *m = tu_model("3,4,2", 1); /* 26 parameters */
    tap_ok(bp_frame_count(m, 5, "params") == 26 && bp_frame_count(m, 5, "grad") == 26 &&
               bp_frame_count(m, 5, "step") == 26 && bp_frame_count(m, 5, "batch") == 5 * (3 + 2) &&
               bp_frame_count(m, 5, "z") == 5 * (4 + 2) && bp_frame_count(m, 5, "delta") == 30 &&
               bp_frame_count(m, 5, "weights") == 0,
           "frame: the count of each quantity of a 3-4-2 network, batch 5; 0 for an unknown name");

    /* known bytes: 1.0 and -2.5 in float64, 1.0 and 0.1 (rounded to float) in float32 */
    const double v[2] = {1.0, -2.5}, w[2] = {1.0, 0.1};
    unsigned char b64[16], b32[8];
    bp_frame_encode(b64, v, 2, BP_F64);
    bp_frame_encode(b32, w, 2, BP_F32);
    static const unsigned char e64[16] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x04, 0xc0};
    static const unsigned char e32[8] = {0, 0, 0x80, 0x3f, 0xcd, 0xcc, 0xcc, 0x3d};
    tap_ok(memcmp(b64, e64, 16) == 0, "frame: 1.0 and -2.5 as little-endian float64 bytes");
    tap_ok(memcmp(b32, e32, 8) == 0, "frame: 1.0 and 0.1 as little-endian float32 bytes (0.1 rounded)");
    double back[2];
    tap_ok(bp_frame_decode(back, b32, 2, BP_F32) == 2 && back[0] == 1.0 && back[1] == (double)0.1f,
           "frame: float32 bytes decode to the float's exact double");

    /* arrays longer than a chunk (8192 values), a NaN at 15000 */
    size_t n = 20000, got, bad;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y)
        tap_bail_out("out of memory");
    for (size_t i = 0; i < n; i++)
        x[i] = (double)i / 7.0 - 1000.0;
    for (int d = 0; d < 2; d++) {
        bp_dtype t = d ? BP_F32 : BP_F64;
        FILE *f = tmpfile();
        if (!f)
            tap_bail_out("tmpfile failed");
        x[15000] = NAN;
        int wrote = bp_frame_write(f, x, n, t);
        x[15000] = 15000 / 7.0 - 1000.0;
        rewind(f);
        int rc = bp_frame_read(f, y, n, t, &got, &bad);
        size_t same = 0;
        for (size_t i = 0; i < n; i++)
            same += i == 15000 || y[i] == (t == BP_F32 ? (double)(float)x[i] : x[i]);
        tap_ok(wrote == 0 && rc == 0 && got == n && bad == 15000 && same == n,
               "frame: %zu values written and read as %s, each exact%s, the NaN found at 15000", n,
               bp_dtype_name(t), t == BP_F32 ? " to float" : "");
        rewind(f);
        if (ftruncate(fileno(f), (off_t)(1000 * bp_dtype_size(t))) != 0)
            tap_bail_out("ftruncate failed");
        rc = bp_frame_read(f, y, n, t, &got, &bad);
        tap_ok(rc == -1 && got == 1000 && bad == n,
               "frame: a %s file cut after 1000 values reads 1000 and fails", bp_dtype_name(t));
        fclose(f);
    }

    /* a model and layers in the frames' order */
    FILE *f = tmpfile();
    bp_trace *tr = NULL;
    bp_error err;
    if (!f || !(tr = bp_trace_alloc(m, 5, &err)))
        tap_bail_out("cannot make a trace");
    for (size_t l = 1; l <= m->L; l++)
        for (size_t i = 0; i < 5 * m->n[l]; i++)
            tr->z[l][i] = (double)(l * 100 + i);
    int wrote = bp_frame_write_model(f, m, BP_F64) || bp_frame_write_layers(f, tr->z, m, 5, BP_F32);
    long size = ftell(f);
    tap_ok(wrote == 0 && size == 26 * 8 + 30 * 4,
           "frame: a model (26 float64) then the layers of z (30 float32): %ld bytes", size);
    rewind(f);
    double theta[26], z[30];
    tap_ok(bp_frame_read(f, theta, 26, BP_F64, &got, &bad) == 0 &&
               memcmp(theta, m->theta, sizeof theta) == 0 &&
               bp_frame_read(f, z, 30, BP_F32, &got, &bad) == 0 && z[0] == 100 && z[19] == 119 &&
               z[20] == 200 && z[29] == 209,
           "frame: read back in order: theta, then z^1 (5 x 4) and z^2 (5 x 2)");
    fclose(f);
    bp_trace_free(tr);
    bp_model_free(m);
    free(x), free(y);
    return tap_done();
}
