/* testsuite/frame.c: binary frames (frame.h). Byte order is fixed (little-endian), whatever
 * the host's: each value goes through its bytes one at a time, which compilers turn into a
 * plain load or store on a little-endian machine. */
#include "frame.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const char *const names[BP_NDTYPES] = {"f64", "f32"};

const char *bp_dtype_name(bp_dtype d)
{
    return d < BP_NDTYPES ? names[d] : "?";
}

bp_dtype bp_dtype_lookup(const char *name)
{
    for (int d = 0; d < BP_NDTYPES; d++)
        if (name && strcmp(name, names[d]) == 0)
            return (bp_dtype)d;
    return BP_NDTYPES;
}

size_t bp_dtype_size(bp_dtype d)
{
    return d == BP_F32 ? 4 : 8;
}

size_t bp_frame_count(const bp_model *shape, size_t m, const char *q)
{
    if (strcmp(q, "params") == 0 || strcmp(q, "grad") == 0 || strcmp(q, "step") == 0)
        return shape->nparams;
    if (strcmp(q, "batch") == 0)
        return m * (shape->n[0] + shape->n[shape->L]);
    if (strcmp(q, "z") == 0 || strcmp(q, "a") == 0 || strcmp(q, "delta") == 0) {
        size_t s = 0;
        for (size_t l = 1; l <= shape->L; l++)
            s += shape->n[l];
        return m * s;
    }
    return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1 /* float64 frames are the host's own bytes: a copy, no shuffling */
#else
#define HOST_LE 0
#endif

void bp_frame_encode(unsigned char *out, const double *v, size_t n, bp_dtype d)
{
    if (HOST_LE && d == BP_F64) {
        memcpy(out, v, n * 8);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (d == BP_F32) {
            float f = (float)v[i];
            uint32_t u;
            memcpy(&u, &f, 4);
            for (int b = 0; b < 4; b++)
                *out++ = (unsigned char)(u >> (8 * b));
        } else {
            uint64_t u;
            memcpy(&u, &v[i], 8);
            for (int b = 0; b < 8; b++)
                *out++ = (unsigned char)(u >> (8 * b));
        }
    }
}

size_t bp_frame_decode(double *out, const unsigned char *in, size_t n, bp_dtype d)
{
    size_t bad = n;
    if (HOST_LE && d == BP_F64) {
        if ((const void *)out != (const void *)in)
            memmove(out, in, n * 8);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(out[i]))
                return i;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (d == BP_F32) {
            uint32_t u = 0;
            for (int b = 0; b < 4; b++)
                u |= (uint32_t)in[b] << (8 * b);
            float f;
            memcpy(&f, &u, 4);
            out[i] = f;
            in += 4;
        } else {
            uint64_t u = 0;
            for (int b = 0; b < 8; b++)
                u |= (uint64_t)in[b] << (8 * b);
            memcpy(&out[i], &u, 8);
            in += 8;
        }
        if (bad == n && !isfinite(out[i]))
            bad = i;
    }
    return bad;
}

#define CHUNK 8192 /* values per write or read: 64 KiB of float64 */

int bp_frame_write(FILE *f, const double *v, size_t n, bp_dtype d)
{
    unsigned char buf[CHUNK * 8];
    size_t size = bp_dtype_size(d);
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        bp_frame_encode(buf, v + i, k, d);
        if (fwrite(buf, size, k, f) != k)
            return -1;
    }
    return 0;
}

int bp_frame_read(FILE *f, double *out, size_t n, bp_dtype d, size_t *got, size_t *bad)
{
    unsigned char buf[CHUNK * 8];
    size_t size = bp_dtype_size(d);
    *got = 0, *bad = n;
    if (d == BP_F64) { /* straight into out, then decoded in place (each value's own bytes) */
        *got = fread(out, 8, n, f);
        *bad = bp_frame_decode(out, (const unsigned char *)out, *got, d);
        if (*bad == *got)
            *bad = n;
        return *got == n ? 0 : -1;
    }
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK, r = fread(buf, size, k, f);
        size_t b = bp_frame_decode(out + i, buf, r, d);
        if (*bad == n && b < r)
            *bad = i + b;
        *got += r;
        if (r != k)
            return -1;
    }
    return 0;
}

int bp_frame_write_model(FILE *f, const bp_model *m, bp_dtype d)
{
    return bp_frame_write(f, m->theta, m->nparams, d);
}

int bp_frame_write_layers(FILE *f, double *const *arr, const bp_model *shape, size_t m, bp_dtype d)
{
    for (size_t l = 1; l <= shape->L; l++)
        if (bp_frame_write(f, arr[l], m * shape->n[l], d))
            return -1;
    return 0;
}
