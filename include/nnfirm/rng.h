/* nnfirm — deterministic random numbers: same seed, same stream, on any
 * machine (xoshiro256** seeded through splitmix64; written here because the
 * C library's rand() is neither portable in sequence nor good enough). */
#ifndef NNFIRM_RNG_H
#define NNFIRM_RNG_H

#include <stdint.h>

typedef struct nf_rng {
  uint64_t s[4];
} nf_rng;

void nf_rng_seed(nf_rng *r, uint64_t seed);
/* An independent stream for sub-task `stream` (e.g. one per thread or block). */
void nf_rng_seed_stream(nf_rng *r, uint64_t seed, uint64_t stream);
uint64_t nf_rng_u64(nf_rng *r);
double nf_rng_uniform(nf_rng *r);            /* [0, 1) with 53 random bits */
double nf_rng_normal(nf_rng *r);             /* standard normal (no cached pair: reproducible) */
uint64_t nf_rng_below(nf_rng *r, uint64_t n); /* uniform in [0, n), unbiased */
void nf_rng_shuffle_long(nf_rng *r, long *a, long n);

#endif
