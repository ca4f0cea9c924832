/* testsuite/oracle_template.h: the forward pass and cost of the canonical models in an
 * arithmetic T other than double, written ONCE and included by oracle.c for each T (double,
 * double complex, dual numbers), so that the complex-step and dual-number oracles cannot drift
 * apart. No include guard: it is a template.
 *
 * The includer defines T, TN(name) (a per-type function name), and the operations
 * T_LIFT(double), T_ADD, T_SUB, T_MUL, T_DIV, T_EXP, T_LOG1P and T_RE (the real part, used only
 * for branch decisions, never in a value: the function stays analytic on each piece).
 *
 * TN(cost_perturbed) evaluates the cost with ONE quantity moved by eps: a weight W^l[j][k], a
 * bias b^l[j], or z^l_j of one sample p itself. With reuse it starts from the cached real
 * forward pass (a bp_trace): a change in layer l leaves every layer below l unchanged, and a
 * change in W^l[j][k] or b^l[j] changes only z^l_j, so layer l costs one update and only the
 * layers above it are recomputed. Without reuse it runs the whole forward pass in T. */

static T TN(sigmoid)(T z)
{
    /* the two branches of activation.c, on the real part */
    if (T_RE(z) >= 0.0)
        return T_DIV(T_LIFT(1.0), T_ADD(T_LIFT(1.0), T_EXP(T_SUB(T_LIFT(0.0), z))));
    T e = T_EXP(z);
    return T_DIV(e, T_ADD(T_LIFT(1.0), e));
}

static T TN(softplus)(T x)
{
    /* ln(1 + e^x) as in loglik.c */
    if (T_RE(x) > 0.0)
        return T_ADD(x, T_LOG1P(T_EXP(T_SUB(T_LIFT(0.0), x))));
    return T_LOG1P(T_EXP(x));
}

/* The cost of one sample from its output-layer z (n entries) and target y. */
static T TN(sample_cost)(bp_cost model, const T *z, const double *y, size_t n)
{
    T c = T_LIFT(0.0);
    if (model == BP_QUADRATIC) {
        for (size_t j = 0; j < n; j++) { /* 1/2 (y - sigma(z))^2 */
            T d = T_SUB(T_LIFT(y[j]), TN(sigmoid)(z[j]));
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
    T total = T_LIFT(0.0);
    for (size_t p = first; p < last; p++) {
        size_t l0 = reuse ? tgt->l : 1;
        /* the layer below the first one computed: cached, or the input */
        size_t K0 = params->n[l0 - 1];
        const double *below = reuse ? cache->a[l0 - 1] + p * K0 : b->x + p * K0;
        for (size_t k = 0; k < K0; k++)
            prev[k] = T_LIFT(below[k]);
        for (size_t l = l0; l <= L; l++) {
            size_t J = params->n[l], K = params->n[l - 1];
            for (size_t j = 0; j < J; j++) {
                if (reuse && l == tgt->l) {
                    cur[j] = T_LIFT(cache->z[l][p * J + j]); /* z^l as it was */
                } else {
                    T s = T_LIFT(params->b[l][j]);
                    for (size_t k = 0; k < K; k++)
                        s = T_ADD(s, T_MUL(T_LIFT(params->W[l][j * K + k]), prev[k]));
                    cur[j] = s;
                }
            }
            if (l == tgt->l) {
                /* the one change: dz^l_j = eps a^{l-1}_k, eps, or eps on z itself */
                T dz = tgt->kind == OR_WEIGHT ? T_MUL(eps, prev[tgt->k]) : eps;
                cur[tgt->j] = T_ADD(cur[tgt->j], dz);
            }
            if (l == L)
                break;
            for (size_t j = 0; j < J; j++)
                prev[j] = TN(sigmoid)(cur[j]);
        }
        total = T_ADD(total, TN(sample_cost)(model, cur, b->y + p * params->n[L], params->n[L]));
    }
    free(prev), free(cur);
    return red == BP_MEAN ? T_DIV(total, T_LIFT((double)b->m)) : total;
}
