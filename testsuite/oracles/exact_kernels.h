/* testsuite/oracles/exact_kernels.h: exact.c's loops over every weight, the time of the fast
 * exact path, included twice by exact.c: as the build compiles them, and with EXK_FMA for a CPU
 * that has FMA (and AVX2), where TwoProduct is one fused operation instead of Dekker's 17.
 * Both compute the same bits: every operation is exact or rounded to nearest as written. */

#define EXK_CAT2(a, b) a##b
#define EXK_CAT(a, b) EXK_CAT2(a, b)
#define EXK(name) EXK_CAT(name, EXK_SUFFIX)

#undef EXK_TWO_PROD
#if EXK_FMA
#define EXK_TWO_PROD(a, a1, a2, b, p, e) \
    ((void)(a1), (void)(a2), *(p) = (a) * (b), *(e) = __builtin_fma((a), (b), -*(p)))
#else
#define EXK_TWO_PROD(a, a1, a2, b, p, e) dd_two_prod_split(a, a1, a2, b, p, e)
#endif

/* z^l for the block's nq samples: z_j = b_j + sum_k W_jk a_k in double-double. A term w a
 * (a = (h, l)) is w h exactly plus w l; its roundings and the sum's (dd_add, c = 2) come to
 * u^2 (3 |s| + 8 |w h|), and a's radius adds |w| r_a. The terms go to 4 partial sums by k mod 4
 * (vectors of 4 lanes) over TILE inputs at a time (the block's a^{l-1} for them stays in
 * cache), each partial then added to z (c = 1: u^2 (3 |z| + 3 |partial|)). */
EXK_TARGET static void EXK(forward_layer)(ex_ctx *c, size_t l, size_t nq)
{
    size_t J = c->P->n[l], K = c->P->n[l - 1];
    const double *W = c->P->W[l];
    double *ZHl = c->q[ZH][l], *ZLl = c->q[ZL][l], *ZRl = c->q[ZR][l];
    for (size_t q = 0; q < nq; q++)
        for (size_t j = 0; j < J; j++)
            ZHl[q * J + j] = c->P->b[l][j], ZLl[q * J + j] = 0, ZRl[q * J + j] = 0;
    for (size_t k0 = 0; k0 < K; k0 += TILE) {
        size_t k1 = k0 + TILE < K ? k0 + TILE : K, k4 = k0 + (k1 - k0) / 4 * 4;
        for (size_t j = 0; j < J; j++) {
            const double *w = W + j * K;
            for (size_t q = 0; q < nq; q++) {
                const double *ah = c->q[AH][l - 1] + q * K, *al = c->q[AL][l - 1] + q * K;
                const double *ar = c->q[AR][l - 1] + q * K;
                double sh[4] = {0, 0, 0, 0}, sl[4] = {0, 0, 0, 0}, sr[4] = {0, 0, 0, 0};
                for (size_t k = k0; k < k4; k += 4)
                    for (size_t v = 0; v < 4; v++) {
                        size_t kk = k + v;
                        double wk = w[kk], p, e, w1, w2;
                        dd_split(wk, &w1, &w2);
                        EXK_TWO_PROD(wk, w1, w2, ah[kk], &p, &e);
                        sr[v] += fabs(wk) * (ar[kk] + 8 * U2 * fabs(ah[kk])) + 3 * U2 * fabs(sh[v]);
                        dd_add(&sh[v], &sl[v], p, e + wk * al[kk]);
                    }
                for (size_t k = k4; k < k1; k++) {
                    double wk = w[k], p, e, w1, w2;
                    dd_split(wk, &w1, &w2);
                    EXK_TWO_PROD(wk, w1, w2, ah[k], &p, &e);
                    sr[0] += fabs(wk) * (ar[k] + 8 * U2 * fabs(ah[k])) + 3 * U2 * fabs(sh[0]);
                    dd_add(&sh[0], &sl[0], p, e + wk * al[k]);
                }
                size_t i = q * J + j;
                for (size_t v = 0; v < 4; v++) {
                    ZRl[i] += sr[v] + 3 * U2 * (fabs(ZHl[i]) + fabs(sh[v]));
                    dd_add(&ZHl[i], &ZLl[i], sh[v], sl[v]);
                }
            }
        }
    }
    /* an exact zero from b = -0 and zero terms only: -0 when every term is -0 (IEEE, MPFR),
     * which the partial sums, starting at +0, do not keep */
    for (size_t j = 0; j < J; j++)
        if (c->P->b[l][j] == 0 && signbit(c->P->b[l][j]))
            for (size_t q = 0; q < nq; q++) {
                size_t i = q * J + j;
                if (ZHl[i] != 0 || ZRl[i] != 0)
                    continue;
                int neg = 1;
                for (size_t k = 0; k < K && neg; k++) {
                    double t = W[j * K + k] * c->q[AH][l - 1][q * K + k];
                    neg = t == 0 && signbit(t);
                }
                ZHl[i] = neg ? -0.0 : 0.0;
            }
}

/* s_k = sum_j W_jk delta_j over the delta_j of one sample (dh, dl, dr, J of them) into
 * (sh, sl, sr), K sums from +0: the terms as forward_layer's, exact zeros skipped (adding one
 * changes no bit, every sum starting at +0 as mpref.c's) */
EXK_TARGET static void EXK(backward_sums)(const double *W, size_t J, size_t K, const double *DHq,
                                         const double *DLq, const double *DRq, double *sh,
                                         double *sl, double *sr)
{
    for (size_t k = 0; k < K; k++)
        sh[k] = 0, sl[k] = 0, sr[k] = 0;
    for (size_t j = 0; j < J; j++) {
        double dh = DHq[j], dl = DLq[j], dr = DRq[j], d1, d2;
        if (dh == 0 && dr == 0)
            continue;
        double rd = dr + 8 * U2 * fabs(dh);
        dd_split(dh, &d1, &d2);
        const double *w = W + j * K;
        for (size_t k = 0; k < K; k++) {
            double p, e;
            EXK_TWO_PROD(dh, d1, d2, w[k], &p, &e);
            sr[k] += fabs(w[k]) * rd + 3 * U2 * fabs(sh[k]);
            dd_add(&sh[k], &sl[k], p, e + w[k] * dl);
        }
    }
}

/* The block's terms of the gradient added to its sums: delta_j for b_j, delta_j a_k for
 * W_jk. A term's roundings and the sum's (dd_add, c = 3) come to u^2 (3 |s| + 15 |d_h a_h|);
 * the radii add |d| r_a + r_d (|a| + r_a). Exact zeros are skipped (backward_sums). */
EXK_TARGET static void EXK(grad_block)(ex_ctx *c, size_t nq)
{
    for (size_t l = 1; l <= c->L; l++) {
        size_t J = c->P->n[l], K = c->P->n[l - 1];
        size_t w0 = (size_t)(c->P->W[l] - c->P->theta), b0 = (size_t)(c->P->b[l] - c->P->theta);
        const double *AHl = c->q[AH][l - 1], *ALl = c->q[AL][l - 1], *ARl = c->q[AR][l - 1];
        const double *DHl = c->q[DH][l], *DLl = c->q[DL][l], *DRl = c->q[DR][l];
        for (size_t j = 0; j < J; j++)
            for (size_t q = 0; q < nq; q++) {
                size_t i = q * J + j, bi = b0 + j;
                if (DHl[i] == 0 && DRl[i] == 0)
                    continue;
                c->gr[bi] += DRl[i] + 3 * U2 * (fabs(DHl[i]) + fabs(c->gh[bi]));
                dd_add(&c->gh[bi], &c->gl[bi], DHl[i], DLl[i]);
            }
        /* TILE inputs at a time (forward_layer); each sum takes the samples in order */
        for (size_t k0 = 0; k0 < K; k0 += TILE) {
            size_t k1 = k0 + TILE < K ? k0 + TILE : K;
            for (size_t j = 0; j < J; j++) {
                double *H = c->gh + w0 + j * K, *Lo = c->gl + w0 + j * K, *Rr = c->gr + w0 + j * K;
                for (size_t q = 0; q < nq; q++) {
                    size_t i = q * J + j;
                    double dh = DHl[i], dl = DLl[i], dr = DRl[i], d1, d2;
                    if (dh == 0 && dr == 0)
                        continue;
                    double adh = fabs(dh);
                    dd_split(dh, &d1, &d2);
                    const double *ah = AHl + q * K, *al = ALl + q * K, *ar = ARl + q * K;
                    for (size_t k = k0; k < k1; k++) {
                        double p, e;
                        EXK_TWO_PROD(dh, d1, d2, ah[k], &p, &e);
                        Rr[k] += adh * (ar[k] + 15 * U2 * fabs(ah[k])) +
                                 dr * (fabs(ah[k]) + ar[k]) + 3 * U2 * fabs(H[k]);
                        dd_add(&H[k], &Lo[k], p, e + (dh * al[k] + dl * ah[k]));
                    }
                }
            }
        }
    }
}
