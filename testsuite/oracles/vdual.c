/* testsuite/oracles/vdual.c: dual numbers in vector mode (vdual.h). For each neuron j of each
 * layer l, its K weights and its bias, up to `lanes` of them at once, one per tangent lane:
 * lane q seeds dz^l_j = a^{l-1}_k (W^l[j][k]) or 1 (b^l[j]) as or_cost_dual does, and every
 * sample's cost follows incrementally (vdual_lanes.h), the value once for all the lanes.
 *
 * The lanes of a value are an array, so one operation is one loop the compiler runs as SIMD,
 * on AVX2 where the CPU has it (the same operations, so the same bits). The earlier form, a
 * struct of 16 lanes passed by value through oracle_template.h, compiled to scalar code:
 * 0.69 ms for 784-30-10's 23,860 derivatives, warm, against 0.43 ms here (AVX2, 128 lanes;
 * the median of 21 calls). A lane is never reverse-accumulated: nothing of backprop. */
#include "vdual.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "oracle.h"

typedef struct {
    double v;
    double *d; /* n tangent lanes */
} lv;

typedef struct {
    size_t n, lanes; /* lanes in use in this block; the most */
    const double *zero;
    bp_cost model;
    bp_reduction red;
    const bp_model *params;
    const bp_batch *b;
    const bp_trace *cache;
    lv *cur, *prev, *top, *t, zj, out, total; /* t: 3 scratch values */
} vd_ctx;

/* a constant: its value, every lane 0.0 (read only) */
static inline lv lift(const vd_ctx *c, double x)
{
    return (lv){x, (double *)c->zero};
}

#define VN(name) vd_##name##_plain
#define VD_TARGET
#include "vdual_lanes.h"
#undef VN
#undef VD_TARGET

#if BP_CPU_X86
#define VN(name) vd_##name##_avx2
#define VD_TARGET __attribute__((target("avx2")))
#include "vdual_lanes.h"
#undef VN
#undef VD_TARGET
#endif

int or_vdual_gradient(double *g, size_t *evals, bp_cost model, const bp_model *params,
                      const bp_batch *b, const bp_trace *cache, bp_reduction red, bp_error *err)
{
    size_t w = params->n[params->L]; /* the widest layer above the first hidden one */
    for (size_t l = 2; l <= params->L; l++)
        w = params->n[l] > w ? params->n[l] : w;
    /* The lane arrays: the zero lanes, cur and prev (w each), t[0..2], zj, out and total;
     * OR_VLANES lanes, fewer where they would pass 1 MiB: the values' work (about 11 exp a
     * block at 784-30-10) is shared by the lanes, and the arrays stay in cache. */
    size_t arrays = 2 * w + 7, lanes = OR_VLANES;
    while (lanes > 8 && arrays * lanes * sizeof(double) > ((size_t)1 << 20))
        lanes /= 2;
    double *pool = calloc(arrays * lanes, sizeof *pool);
    lv *vals = malloc((3 * w + 3) * sizeof *vals);
    if (!pool || !vals) {
        free(pool), free(vals);
        return bp_fail(err, "dual oracle: out of memory");
    }
    vd_ctx c = {.lanes = lanes, .zero = pool, .model = model, .red = red, .params = params,
                .b = b, .cache = cache, .cur = vals, .prev = vals + w, .top = vals + 2 * w,
                .t = vals + 3 * w};
    double *next = pool + lanes; /* pool[0 .. lanes): the zero lanes */
    for (size_t i = 0; i < 2 * w; i++, next += lanes)
        vals[i].d = next; /* cur, then prev */
    for (size_t i = 0; i < 3; i++, next += lanes)
        c.t[i].d = next; /* (top has no arrays: its entries are lifted, or zj) */
    c.zj.d = next, c.out.d = next + lanes, c.total.d = next + 2 * lanes;
#if BP_CPU_X86
    if (bp_cpu_avx2() && !getenv("BPCHECK_VDUAL_NO_AVX2")) /* (t/gradcheck runs both) */
        vd_all_avx2(&c, g, evals);
    else
#endif
        vd_all_plain(&c, g, evals);
    free(pool), free(vals);
    return 0;
}
