/* testsuite/oracles/dd.h: double-double arithmetic, the error-free transformations the fast
 * exact path (exact.c) is built on, and the test that decides a correctly rounded double.
 *
 * A value is hi + lo with hi = RN(hi + lo), plus a radius r: the exact value lies in
 * [hi + lo - r, hi + lo + r]. u = 2^-53 is the unit roundoff of round to nearest.
 *
 * The transformations are exact only in IEEE double with round to nearest and no
 * contraction of a * b + c into one fused operation: the Makefile compiles with
 * -ffp-contract=off (GCC's -std=c11 implies it, clang's default does not). An exact zero
 * keeps the sign IEEE arithmetic (and MPFR) gives it: a zero error term never renormalizes. */
#ifndef BPCHECK_DD_H
#define BPCHECK_DD_H

#include <math.h>

#define DD_U 0x1p-53
#define DD_U2 0x1p-106

/* s + e = a + b exactly, for any a, b whose sum does not overflow (Knuth's TwoSum) */
static inline void dd_two_sum(double a, double b, double *s, double *e)
{
    double x = a + b, bb = x - a;
    *e = (a - (x - bb)) + (b - bb);
    *s = x;
}

/* a = h + l, h holding the upper 26 bits (Veltkamp's split; |a| < 2^995) */
static inline void dd_split(double a, double *h, double *l)
{
    double c = 134217729.0 * a, d = c - a; /* 2^27 + 1 */
    *h = c - d;
    *l = a - *h;
}

/* p + e = a b exactly, if |a b| >= 2^-969 (Dekker's TwoProduct, or one FMA where it is
 * fast), with a's split (ah, al) done once by the caller */
static inline void dd_two_prod_split(double a, double ah, double al, double b, double *p, double *e)
{
    double x = a * b;
#ifdef __FP_FAST_FMA
    (void)ah, (void)al;
    *e = fma(a, b, -x);
#else
    double bh, bl;
    dd_split(b, &bh, &bl);
    *e = ((ah * bh - x) + ah * bl + al * bh) + al * bl;
#endif
    *p = x;
}

/* p + e = a b exactly, as dd_two_prod_split */
static inline void dd_two_prod(double a, double b, double *p, double *e)
{
    double ah, al;
    dd_split(a, &ah, &al);
    dd_two_prod_split(a, ah, al, b, p, e);
}

/* (hi, lo) = s + e normalized; s itself, its sign kept, when e is zero */
static inline void dd_norm(double s, double e, double *hi, double *lo)
{
    double h = s + e;
    h = e == 0 ? s : h;
    double bb = h - s;
    *lo = (s - (h - bb)) + (e - bb);
    *hi = h;
}

/* (hi, lo) += (ph, pl), where |lo| <= u |hi| and |pl| <= c u |ph|. The only roundings are
 * t = lo + pl and e + t, so the error is at most u (2|lo| + 2|pl| + |e|) with |e| <= u |s|:
 * at most u^2 (3 |hi| + (2c + 1) |ph|), to first order (exact.c carries the rest). */
static inline void dd_add(double *hi, double *lo, double ph, double pl)
{
    double s, e;
    dd_two_sum(*hi, ph, &s, &e);
    e += *lo + pl;
    dd_norm(s, e, hi, lo);
}

/* The double nearest every value in [hi + lo - r, hi + lo + r], into *out: 1 when they all
 * round to the same one (r = 0: the value hi + lo is exact and hi is its rounding, ties to
 * even included), 0 when the interval holds a midpoint between doubles, a zero of either
 * sign, or reaches the subnormal or overflow range. */
static inline int dd_decide(double hi, double lo, double r, double *out)
{
    if (r == 0) {
        *out = hi;
        return 1;
    }
    if (!(fabs(hi) >= 0x1p-1000 && fabs(hi) <= 0x1p1000))
        return 0;
    /* the spacing above and below hi (exact differences of neighbours); the interval must lie
     * strictly inside (hi - below/2, hi + above/2). fl(x) understates x by at most u|x|. */
    double above = nextafter(hi, INFINITY) - hi, below = hi - nextafter(hi, -INFINITY);
    double up = lo + r, down = r - lo;
    if (!(up + fabs(up) * 0x1p-52 < above / 2 && down + fabs(down) * 0x1p-52 < below / 2))
        return 0;
    *out = hi;
    return 1;
}

#endif
