/* testsuite/oracles/oracle_template.h: the forward pass and cost of the canonical models in an
 * arithmetic T other than double, written ONCE and included by oracle.c for each T (double,
 * double complex, dual numbers), so that the complex-step and dual-number oracles cannot drift
 * apart. No include guard: it is a template.
 *
 * The includer defines T, TN(name) (a per-type function name), and the operations
 * T_LIFT(double), T_ADD, T_SUB, T_MUL, T_DIV, T_EXP, T_LOG1P, T_TANH and T_RE (the real part,
 * used only for branch decisions, never in a value: the function stays analytic on each piece;
 * relu and leaky-relu branch on it, so they are exact away from 0 and take the left derivative
 * at 0, as activation.h states).
 *
 * TN(cost_perturbed) evaluates the cost with ONE quantity moved by eps: a weight W^l[j][k], a
 * bias b^l[j], or z^l_j of one sample p itself. With reuse it starts from the cached real
 * forward pass (a bp_trace). OR_INCREMENTAL: a change in layer l leaves every layer below l
 * unchanged; a change in W^l[j][k] or b^l[j] moves only z^l_j, hence only a^l_j, so z^{l+1}
 * moves by the column W^{l+1}[:, j] times the change of a^l_j (n_{l+1} products, not
 * n_{l+1} n_l), and only the layers above l+1 are recomputed whole. OR_REUSE_LAYER (the
 * earlier method, kept as the benchmark's baseline) starts at layer l from the cache and
 * recomputes every layer above it. OR_WHOLE runs the whole forward pass in T.
 *
 * TN(sample_incremental) is the incremental step for one sample on its own. vdual_lanes.h
 * restates it, step for step, on tangent lanes held as arrays (vector-mode dual numbers): a
 * change here is a change there, and t/gradcheck's vector-mode test tells if they part. */

static T TN(sigmoid)(T z)
{
    /* the two branches of activation.c, on the real part */
    if (T_RE(z) >= 0.0)
        return T_DIV(T_LIFT(1.0), T_ADD(T_LIFT(1.0), T_EXP(T_SUB(T_LIFT(0.0), z))));
    T e = T_EXP(z);
    return T_DIV(e, T_ADD(T_LIFT(1.0), e));
}

/* a = f(z) for layer l's elementwise activation */
static T TN(act)(const bp_model *m, bp_cost model, size_t l, T z)
{
    switch (bp_layer_act(m, model, l)) {
    case BP_ACT_TANH:
        return T_TANH(z);
    case BP_ACT_RELU:
        return T_RE(z) > 0.0 ? z : T_LIFT(0.0);
    case BP_ACT_LEAKY_RELU:
        return T_RE(z) > 0.0 ? z : T_MUL(T_LIFT(m->slope), z);
    case BP_ACT_IDENTITY:
        return z;
    default:
        return TN(sigmoid)(z);
    }
}

static T TN(softplus)(T x)
{
    /* ln(1 + e^x) as in loglik.c */
    if (T_RE(x) > 0.0)
        return T_ADD(x, T_LOG1P(T_EXP(T_SUB(T_LIFT(0.0), x))));
    return T_LOG1P(T_EXP(x));
}

/* The cost of one sample from its output-layer z (n entries) and target y. */
static T TN(sample_cost)(bp_cost model, const bp_model *m, const T *z, const double *y, size_t n)
{
    T c = T_LIFT(0.0);
    if (model == BP_QUADRATIC) {
        for (size_t j = 0; j < n; j++) { /* 1/2 (y - f(z))^2, f the output's (sigma) */
            T d = T_SUB(T_LIFT(y[j]), TN(act)(m, model, m->L, z[j]));
            c = T_ADD(c, T_MUL(T_LIFT(0.5), T_MUL(d, d)));
        }
    } else if (model == BP_LOGLIK) {
        for (size_t j = 0; j < n; j++) /* y softplus(-z) + (1 - y) softplus(z) */
            c = T_ADD(c, T_ADD(T_MUL(T_LIFT(y[j]), TN(softplus)(T_SUB(T_LIFT(0.0), z[j]))),
                               T_MUL(T_LIFT(1.0 - y[j]), TN(softplus)(z[j]))));
    } else {
        /* -sum_i y_i ln a_i with ln a_i = (z_i - z_at) - ln(1 + sum_{k != at} e^{z_k - z_at}):
         * logsumexp(z) = z_at + ln(1 + sum_{k != at} e^{z_k - z_at}) for ANY index at, so
         * choosing at by the real parts (the largest logit) keeps it analytic and finite */
        size_t at = 0;
        for (size_t k = 1; k < n; k++)
            if (T_RE(z[k]) > T_RE(z[at]))
                at = k;
        T rest = T_LIFT(0.0);
        for (size_t k = 0; k < n; k++)
            if (k != at)
                rest = T_ADD(rest, T_EXP(T_SUB(z[k], z[at])));
        T shift = T_LOG1P(rest);
        for (size_t i = 0; i < n; i++)
            if (y[i] != 0.0) /* 0 ln a = 0 */
                c = T_SUB(c, T_MUL(T_LIFT(y[i]), T_SUB(T_SUB(z[i], z[at]), shift)));
    }
    return c;
}

/* Layers l0..L in T from a^{l0-1} in prev, z^L into cur (both scratch of the widest layer) */
static void TN(forward_from)(bp_cost model, const bp_model *params, size_t l0, T *prev, T *cur)
{
    for (size_t l = l0; l <= params->L; l++) {
        size_t J = params->n[l], K = params->n[l - 1];
        for (size_t j = 0; j < J; j++) {
            T s = T_LIFT(params->b[l][j]);
            for (size_t k = 0; k < K; k++)
                s = T_ADD(s, T_MUL(T_LIFT(params->W[l][j * K + k]), prev[k]));
            cur[j] = s;
        }
        if (l == params->L)
            break;
        for (size_t j = 0; j < J; j++)
            prev[j] = TN(act)(params, model, l, cur[j]);
    }
}

/* OR_INCREMENTAL: the cost of sample p with z^tl_tj of the cached pass moved to zj. Every
 * layer below tl is unchanged and only a^tl_j moves, so z^{tl+1} is the cached one plus the
 * column W^{tl+1}[:, tj] times the change of a^tl_tj; the layers above it are recomputed. */
static T TN(sample_incremental)(bp_cost model, const bp_model *params, const bp_batch *b,
                                const bp_trace *cache, size_t p, size_t tl, size_t tj, T zj,
                                T *prev, T *cur)
{
    size_t L = params->L, J = params->n[tl];
    if (tl == L) {
        for (size_t j = 0; j < J; j++)
            cur[j] = T_LIFT(cache->z[L][p * J + j]);
        cur[tj] = zj;
    } else {
        /* z^{l+1} = z^{l+1} as it was + W^{l+1}[:, j] (f(z^l_j + dz) - a^l_j) */
        size_t I = params->n[tl + 1];
        T da = T_SUB(TN(act)(params, model, tl, zj), T_LIFT(cache->a[tl][p * J + tj]));
        for (size_t i = 0; i < I; i++)
            cur[i] = T_ADD(T_LIFT(cache->z[tl + 1][p * I + i]),
                           T_MUL(T_LIFT(params->W[tl + 1][i * J + tj]), da));
        if (tl + 2 <= L) {
            for (size_t i = 0; i < I; i++)
                prev[i] = TN(act)(params, model, tl + 1, cur[i]);
            TN(forward_from)(model, params, tl + 2, prev, cur);
        }
    }
    return TN(sample_cost)(model, params, cur, b->y + p * params->n[L], params->n[L]);
}

T TN(cost_perturbed)(bp_cost model, const bp_model *params, const bp_batch *b,
                     const bp_trace *cache, bp_reduction red, const or_target *tgt, T eps,
                     int reuse)
{
    size_t L = params->L, wmax = 0;
    for (size_t l = 0; l <= L; l++)
        wmax = params->n[l] > wmax ? params->n[l] : wmax;
    T *prev = malloc(wmax * sizeof *prev), *cur = malloc(wmax * sizeof *cur);
    if (!prev || !cur) {
        free(prev), free(cur);
        return T_LIFT(NAN);
    }
    size_t first = tgt->kind == OR_Z ? tgt->p : 0, last = tgt->kind == OR_Z ? tgt->p + 1 : b->m;
    size_t tl = tgt->l, tj = tgt->j;
    T total = T_LIFT(0.0);
    for (size_t p = first; p < last; p++) {
        if (reuse == OR_INCREMENTAL) {
            /* the one change: dz^l_j = eps a^{l-1}_k, eps, or eps on z itself */
            size_t J = params->n[tl], Kp = params->n[tl - 1];
            T dz = tgt->kind == OR_WEIGHT ? T_MUL(eps, T_LIFT(cache->a[tl - 1][p * Kp + tgt->k]))
                                          : eps;
            T zj = T_ADD(T_LIFT(cache->z[tl][p * J + tj]), dz);
            total = T_ADD(total, TN(sample_incremental)(model, params, b, cache, p, tl, tj, zj,
                                                        prev, cur));
            continue;
        }
        /* the whole pass, or (OR_REUSE_LAYER) from layer l with a^{l-1} and z^l cached */
        size_t l0 = reuse == OR_REUSE_LAYER ? tl : 1;
        size_t K0 = params->n[l0 - 1];
        const double *below = l0 > 1 ? cache->a[l0 - 1] + p * K0 : b->x + p * K0;
        for (size_t k = 0; k < K0; k++)
            prev[k] = T_LIFT(below[k]);
        /* the layers up to tl, the one change in the pass at tl, the layers above as they come */
        for (size_t l = l0; l <= tl; l++) {
            size_t J = params->n[l], K = params->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                if (reuse == OR_REUSE_LAYER && l == tl) {
                    cur[j] = T_LIFT(cache->z[l][p * J + j]); /* z^l as it was */
                } else {
                    T s = T_LIFT(params->b[l][j]);
                    for (size_t k = 0; k < K; k++)
                        s = T_ADD(s, T_MUL(T_LIFT(params->W[l][j * K + k]), prev[k]));
                    cur[j] = s;
                }
            }
            if (l == tl) {
                T dz = tgt->kind == OR_WEIGHT ? T_MUL(eps, prev[tgt->k]) : eps;
                cur[tj] = T_ADD(cur[tj], dz);
            }
            if (l == L)
                break;
            for (size_t j = 0; j < J; j++)
                prev[j] = TN(act)(params, model, l, cur[j]);
        }
        if (tl < L)
            TN(forward_from)(model, params, tl + 1, prev, cur);
        total = T_ADD(total, TN(sample_cost)(model, params, cur, b->y + p * params->n[L],
                                             params->n[L]));
    }
    free(prev), free(cur);
    return red == BP_MEAN ? T_DIV(total, T_LIFT((double)b->m)) : total;
}
