/* reference/mt19937.h: GSL's gsl_rng_mt19937 and gsl_ran_gaussian, restated so that a seeded
 * network (bp_model_init_seed) costs a third as much to draw, with the very same numbers.
 *
 * GSL reaches its generator through two function calls per uniform (gsl_rng_uniform_pos, then
 * the type's get_double, then mt_get): drawing the 23,860 Gaussians of a 784-30-10 network took
 * 1.0 ms of the 4.2 ms a whole `bpcheck gradcheck` took; 0.55 ms here one by one, and 0.36 ms
 * a row at a time (bp_mt_gaussians), warm. The stream is GSL's bit for bit: the same seeding
 * (Knuth's multiplier, 0 read as 4357, only the low 32 bits of the seed), the same 624-word
 * regeneration and tempering, the same division by 2^32, the same polar (Marsaglia) method and
 * the same expression for the result. t/model checks that against GSL itself, draw by draw, on
 * seeds 0, 1, 2^32 + 7 and others, several sigmas and more than one regeneration. GSL stays the
 * authority: bp_model_init takes any gsl_rng, and a difference from it is a bug here. */
#ifndef BPCHECK_MT19937_H
#define BPCHECK_MT19937_H

#include <stddef.h>
#include <stdint.h>

#define BP_MT_N 624

typedef struct {
    uint32_t mt[BP_MT_N];
    int mti; /* the next word; BP_MT_N: regenerate first */
} bp_mt19937;

/* gsl_rng_set(r, seed) for gsl_rng_mt19937 */
void bp_mt_set(bp_mt19937 *s, unsigned long seed);
/* gsl_ran_gaussian(r, sigma): a draw of N(0, sigma^2) */
double bp_mt_gaussian(bp_mt19937 *s, double sigma);
/* n such draws into out, in order: the same numbers, the generator left where n calls of
 * bp_mt_gaussian leave it (mt19937.c says how it is faster) */
void bp_mt_gaussians(bp_mt19937 *s, double sigma, double *out, size_t n);

#endif
