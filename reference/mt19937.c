/* reference/mt19937.c: GSL's MT19937 and its polar Gaussian (mt19937.h); the names are GSL's
 * (rng/mt.c, randist/gaussian.c) so that the two read side by side. */
#include "mt19937.h"

#include <math.h>

#define M 397
#define UPPER_MASK 0x80000000u
#define LOWER_MASK 0x7fffffffu
#define MAGIC(y) (((y) & 1u) ? 0x9908b0dfu : 0u)

void bp_mt_set(bp_mt19937 *s, unsigned long seed)
{
    if (seed == 0)
        seed = 4357; /* GSL's default seed */
    s->mt[0] = (uint32_t)(seed & 0xffffffffUL);
    for (int i = 1; i < BP_MT_N; i++) /* Knuth, TAOCP vol. 2, 3rd ed., p. 106; mod 2^32 */
        s->mt[i] = (uint32_t)(1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + (uint32_t)i);
    s->mti = BP_MT_N;
}

/* the next 624 words at once, as mt_get does when it runs out */
static void regenerate(bp_mt19937 *s)
{
    uint32_t *mt = s->mt, y;
    int kk;
    for (kk = 0; kk < BP_MT_N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >> 1) ^ MAGIC(y);
    }
    for (; kk < BP_MT_N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - BP_MT_N)] ^ (y >> 1) ^ MAGIC(y);
    }
    y = (mt[BP_MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[BP_MT_N - 1] = mt[M - 1] ^ (y >> 1) ^ MAGIC(y);
    s->mti = 0;
}

static inline uint32_t mt_get(bp_mt19937 *s)
{
    if (s->mti >= BP_MT_N)
        regenerate(s);
    uint32_t k = s->mt[s->mti++]; /* tempering */
    k ^= k >> 11;
    k ^= (k << 7) & 0x9d2c5680u;
    k ^= (k << 15) & 0xefc60000u;
    k ^= k >> 18;
    return k;
}

/* gsl_rng_uniform_pos: (0, 1), by mt_get_double's division */
static inline double uniform_pos(bp_mt19937 *s)
{
    double x;
    do
        x = mt_get(s) / 4294967296.0;
    while (x == 0);
    return x;
}

double bp_mt_gaussian(bp_mt19937 *s, double sigma)
{
    double x, y, r2;
    do { /* x, y uniform in the square (-1, 1)^2, until inside the unit circle */
        x = -1 + 2 * uniform_pos(s);
        y = -1 + 2 * uniform_pos(s);
        r2 = x * x + y * y;
    } while (r2 > 1.0 || r2 == 0);
    return sigma * y * sqrt(-2.0 * log(r2) / r2); /* Box-Muller */
}
