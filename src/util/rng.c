#include "nnfirm/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void nf_rng_seed(nf_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

void nf_rng_seed_stream(nf_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(&x);
  nf_rng_seed(r, x + stream);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nf_rng_u64(nf_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double nf_rng_uniform(nf_rng *r) { return (double)(nf_rng_u64(r) >> 11) * 0x1.0p-53; }

double nf_rng_normal(nf_rng *r) {
  double u1;
  do u1 = nf_rng_uniform(r);
  while (u1 <= 0.0);
  double u2 = nf_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t nf_rng_below(nf_rng *r, uint64_t n) {
  if (n == 0) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
  do x = nf_rng_u64(r);
  while (x >= limit);
  return x % n;
}

void nf_rng_shuffle_long(nf_rng *r, long *a, long n) {
  for (long i = n - 1; i > 0; i--) {
    long j = (long)nf_rng_below(r, (uint64_t)i + 1);
    long t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
