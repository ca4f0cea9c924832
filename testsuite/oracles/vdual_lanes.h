/* testsuite/oracles/vdual_lanes.h: the lane arithmetic and the incremental cost of vdual.c,
 * written once and included once per instruction set (VN(name) its names, VD_TARGET its
 * attribute): the same C, the same IEEE operations lane by lane (no FMA: -ffp-contract=off and
 * no "fma" target), so the same bits, only wider. No include guard: it is a template.
 *
 * Each operation is or_dual's (oracle.c) on the value, and on every lane q of the tangents:
 *   add  v = a + b         d_q = a.d_q + b.d_q
 *   mul  v = a b           d_q = a.v b.d_q + a.d_q b.v
 *   div  v = a / b         d_q = (a.d_q b.v - a.v b.d_q) / (b.v b.v)
 *   exp, tanh, log1p as or_dual_exp, or_dual_tanh, or_dual_log1p.
 * A lifted constant (lift: value x, every lane 0.0, from the shared zero lanes) enters them as
 * one, so even its 0.0 * b.v terms are computed, as or_dual computes them. A result is written
 * to r's lanes, which may be an operand's (each lane is read before it is written), never to
 * the zero lanes. oracle_template.h's sample_incremental, step for step, is VN(sample). */

static VD_TARGET void VN(add)(const vd_ctx *c, lv *r, lv a, lv b)
{
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.d[q] + b.d[q];
    r->v = a.v + b.v;
}
static VD_TARGET void VN(sub)(const vd_ctx *c, lv *r, lv a, lv b)
{
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.d[q] - b.d[q];
    r->v = a.v - b.v;
}
static VD_TARGET void VN(mul)(const vd_ctx *c, lv *r, lv a, lv b)
{
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.v * b.d[q] + a.d[q] * b.v;
    r->v = a.v * b.v;
}
static VD_TARGET void VN(div)(const vd_ctx *c, lv *r, lv a, lv b)
{
    double den = b.v * b.v;
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = (a.d[q] * b.v - a.v * b.d[q]) / den;
    r->v = a.v / b.v;
}
static VD_TARGET void VN(exp)(const vd_ctx *c, lv *r, lv a)
{
    double e = exp(a.v);
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.d[q] * e;
    r->v = e;
}
static VD_TARGET void VN(tanh)(const vd_ctx *c, lv *r, lv a)
{
    double e = exp(-2.0 * fabs(a.v)), den = (1.0 + e) * (1.0 + e);
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.d[q] * 4.0 * e / den;
    r->v = tanh(a.v);
}
static VD_TARGET void VN(log1p)(const vd_ctx *c, lv *r, lv a)
{
    double den = 1.0 + a.v;
    for (size_t q = 0; q < c->n; q++)
        r->d[q] = a.d[q] / den;
    r->v = log1p(a.v);
}
static VD_TARGET void VN(copy)(const vd_ctx *c, lv *r, lv a)
{
    memcpy(r->d, a.d, c->n * sizeof *r->d);
    r->v = a.v;
}
/* r = lift(x), into r's own lanes (which a later operation writes) */
static VD_TARGET void VN(set)(const vd_ctx *c, lv *r, double x)
{
    memset(r->d, 0, c->n * sizeof *r->d);
    r->v = x;
}

/* r = f(z) for layer l's activation (oracle_template.h's act and sigmoid); t: scratch lanes */
static VD_TARGET void VN(act)(const vd_ctx *c, size_t l, lv z, lv *r, lv *t)
{
    switch (bp_layer_act(c->params, c->model, l)) {
    case BP_ACT_TANH:
        VN(tanh)(c, r, z);
        return;
    case BP_ACT_RELU:
        if (z.v > 0.0)
            VN(copy)(c, r, z);
        else
            VN(set)(c, r, 0.0);
        return;
    case BP_ACT_LEAKY_RELU:
        if (z.v > 0.0)
            VN(copy)(c, r, z);
        else
            VN(mul)(c, r, lift(c, c->params->slope), z);
        return;
    case BP_ACT_IDENTITY:
        VN(copy)(c, r, z);
        return;
    default:
        if (z.v >= 0.0) { /* 1 / (1 + e^{0 - z}) */
            VN(sub)(c, r, lift(c, 0.0), z);
            VN(exp)(c, r, *r);
            VN(add)(c, r, lift(c, 1.0), *r);
            VN(div)(c, r, lift(c, 1.0), *r);
        } else { /* e^z / (1 + e^z) */
            VN(exp)(c, r, z);
            VN(add)(c, t, lift(c, 1.0), *r);
            VN(div)(c, r, *r, *t);
        }
    }
}

/* r = ln(1 + e^x) (oracle_template.h's softplus); r is not x */
static VD_TARGET void VN(softplus)(const vd_ctx *c, lv x, lv *r)
{
    if (x.v > 0.0) { /* x + ln(1 + e^{0 - x}) */
        VN(sub)(c, r, lift(c, 0.0), x);
        VN(exp)(c, r, *r);
        VN(log1p)(c, r, *r);
        VN(add)(c, r, x, *r);
    } else {
        VN(exp)(c, r, x);
        VN(log1p)(c, r, *r);
    }
}

/* *out = the cost of one sample from its z^L (n entries) and target y (oracle_template.h's
 * sample_cost); t[0..2] scratch */
static VD_TARGET void VN(cost)(const vd_ctx *c, const lv *z, const double *y, size_t n, lv *out,
                               lv *t)
{
    VN(set)(c, out, 0.0);
    if (c->model == BP_QUADRATIC) {
        for (size_t j = 0; j < n; j++) { /* c + 0.5 (d d), d = y - f(z) */
            VN(act)(c, c->params->L, z[j], &t[0], &t[1]);
            VN(sub)(c, &t[0], lift(c, y[j]), t[0]);
            VN(mul)(c, &t[1], t[0], t[0]);
            VN(mul)(c, &t[1], lift(c, 0.5), t[1]);
            VN(add)(c, out, *out, t[1]);
        }
    } else if (c->model == BP_LOGLIK) {
        for (size_t j = 0; j < n; j++) { /* c + (y softplus(0 - z) + (1 - y) softplus(z)) */
            VN(sub)(c, &t[0], lift(c, 0.0), z[j]);
            VN(softplus)(c, t[0], &t[1]);
            VN(mul)(c, &t[1], lift(c, y[j]), t[1]);
            VN(softplus)(c, z[j], &t[2]);
            VN(mul)(c, &t[2], lift(c, 1.0 - y[j]), t[2]);
            VN(add)(c, &t[1], t[1], t[2]);
            VN(add)(c, out, *out, t[1]);
        }
    } else { /* c - y_i ((z_i - z_at) - ln(1 + sum_{k != at} e^{z_k - z_at})) */
        size_t at = 0;
        for (size_t k = 1; k < n; k++)
            if (z[k].v > z[at].v)
                at = k;
        VN(set)(c, &t[0], 0.0);
        for (size_t k = 0; k < n; k++)
            if (k != at) {
                VN(sub)(c, &t[1], z[k], z[at]);
                VN(exp)(c, &t[1], t[1]);
                VN(add)(c, &t[0], t[0], t[1]);
            }
        VN(log1p)(c, &t[0], t[0]); /* the shift */
        for (size_t i = 0; i < n; i++)
            if (y[i] != 0.0) { /* 0 ln a = 0 */
                VN(sub)(c, &t[1], z[i], z[at]);
                VN(sub)(c, &t[1], t[1], t[0]);
                VN(mul)(c, &t[1], lift(c, y[i]), t[1]);
                VN(sub)(c, out, *out, t[1]);
            }
    }
}

/* *out = the cost of sample p with z^tl_tj moved to zj (oracle_template.h's
 * sample_incremental and forward_from): z^{tl+1} = the cached one + W^{tl+1}[:, tj] (f(zj) -
 * a^tl_tj), the layers above recomputed whole */
static VD_TARGET void VN(sample)(const vd_ctx *c, size_t p, size_t tl, size_t tj, lv zj, lv *out)
{
    const bp_model *m = c->params;
    const bp_trace *cache = c->cache;
    size_t L = m->L, J = m->n[tl];
    lv *cur = c->cur, *prev = c->prev, *t = c->t;
    const lv *z = cur;
    if (tl == L) { /* read only: the lifted entries share the zero lanes */
        for (size_t j = 0; j < J; j++)
            c->top[j] = lift(c, cache->z[L][p * J + j]);
        c->top[tj] = zj;
        z = c->top;
    } else {
        size_t I = m->n[tl + 1];
        VN(act)(c, tl, zj, &t[0], &t[1]);
        VN(sub)(c, &t[0], t[0], lift(c, cache->a[tl][p * J + tj])); /* da */
        for (size_t i = 0; i < I; i++) {
            VN(mul)(c, &cur[i], lift(c, m->W[tl + 1][i * J + tj]), t[0]);
            VN(add)(c, &cur[i], lift(c, cache->z[tl + 1][p * I + i]), cur[i]);
        }
        for (size_t l = tl + 2; l <= L; l++) {
            size_t Jl = m->n[l], K = m->n[l - 1];
            for (size_t k = 0; k < K; k++)
                VN(act)(c, l - 1, cur[k], &prev[k], &t[1]);
            for (size_t j = 0; j < Jl; j++) {
                VN(set)(c, &cur[j], m->b[l][j]);
                for (size_t k = 0; k < K; k++) {
                    VN(mul)(c, &t[0], lift(c, m->W[l][j * K + k]), prev[k]);
                    VN(add)(c, &cur[j], cur[j], t[0]);
                }
            }
        }
    }
    VN(cost)(c, z, c->b->y + p * m->n[L], m->n[L], out, t);
}

/* The derivatives of lanes k0 .. k0 + c->n - 1 of neuron j of layer l (k = K: its bias), summed
 * over the batch (and divided by m for the mean) as or_cost_dual does, into g */
static VD_TARGET void VN(block)(vd_ctx *c, double *g, size_t l, size_t j, size_t k0)
{
    const bp_model *m = c->params;
    const bp_trace *cache = c->cache;
    size_t J = m->n[l], K = m->n[l - 1];
    size_t w0 = (size_t)(m->W[l] - m->theta), b0 = (size_t)(m->b[l] - m->theta);
    lv zj = c->zj, out = c->out, total = c->total;
    VN(set)(c, &total, 0.0);
    for (size_t p = 0; p < c->b->m; p++) {
        zj.v = cache->z[l][p * J + j] + 0.0;
        for (size_t q = 0; q < c->n; q++) { /* dz^l_j: 0 + (0 * 0 + 1 * a^{l-1}_k), or 1 */
            size_t k = k0 + q;
            double seed = k < K ? 0.0 * 0.0 + 1.0 * cache->a[l - 1][p * K + k] : 1.0;
            zj.d[q] = 0.0 + seed;
        }
        VN(sample)(c, p, l, j, zj, &out);
        VN(add)(c, &total, total, out);
    }
    if (c->red == BP_MEAN)
        VN(div)(c, &total, total, lift(c, (double)c->b->m));
    for (size_t q = 0; q < c->n; q++)
        g[k0 + q < K ? w0 + j * K + k0 + q : b0 + j] = total.d[q];
}

static VD_TARGET void VN(all)(vd_ctx *c, double *g, size_t *evals)
{
    for (size_t l = 1; l <= c->params->L; l++) {
        size_t J = c->params->n[l], K = c->params->n[l - 1];
        for (size_t j = 0; j < J; j++)
            for (size_t k0 = 0; k0 <= K; k0 += c->lanes) {
                c->n = K + 1 - k0 < c->lanes ? K + 1 - k0 : c->lanes;
                VN(block)(c, g, l, j, k0);
                *evals += c->n;
            }
    }
}
