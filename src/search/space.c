/* The candidate space: specs, ids, the default grid. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/rng.h"
#include "nnfirm/search.h"
#include "nnfirm/util.h"

static void candidate_id(nf_search_candidate *c) {
  char h[32];
  snprintf(h, sizeof h, "%s", c->hidden);
  for (char *p = h; *p; p++)
    if (*p == ',') *p = 'x';
  size_t n = sizeof c->id;
  int k = snprintf(c->id, n, "h%s_b%d_p%02d_r%d_i%d", h, c->bits, (int)lround(c->prune * 100), c->reuse, c->in_bits);
  if (c->hgq > 0 && (size_t)k < n) k += snprintf(c->id + k, n - (size_t)k, "_q%.0e", c->hgq);
  if (c->seed != NF_SEARCH_DEFAULT_SEED && (size_t)k < n) snprintf(c->id + k, n - (size_t)k, "_s%ld", c->seed);
}

static const char SPEC_FORM[] = "hidden=W[,W...];bits=B;prune=P[;reuse=R][;in=I][;hgq=BETA][;seed=S] (B 2..16, P in "
                                "[0,1), R 1..4096, I 4..16 input bits, BETA per-weight bit penalty in [0,1))";

int nf_search_parse_spec(const char *s, nf_search_candidate *c, nf_error *err) {
  memset(c, 0, sizeof *c);
  c->reuse = 1;
  c->in_bits = 16;
  c->seed = NF_SEARCH_DEFAULT_SEED;
  char buf[256], *save = NULL;
  if (strlen(s) >= sizeof buf) return nf_fail(err, NF_EINPUT, "candidate spec too long (%zu characters)", strlen(s));
  snprintf(buf, sizeof buf, "%s", s);
  int seen = 0;
  for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) return nf_fail(err, NF_EINPUT, "candidate '%s': '%s' is not KEY=VALUE; expected %s", s, kv, SPEC_FORM);
    *eq++ = '\0';
    long v;
    bool ok = true;
    if (!strcmp(kv, "hidden") && strspn(eq, "0123456789,") == strlen(eq) && *eq && strlen(eq) < sizeof c->hidden)
      snprintf(c->hidden, sizeof c->hidden, "%s", eq), seen |= 1;
    else if (!strcmp(kv, "bits") && nf_parse_long(eq, &v) && v >= 2 && v <= 16) c->bits = (int)v, seen |= 2;
    else if (!strcmp(kv, "prune") && nf_parse_double(eq, &c->prune) && c->prune >= 0 && c->prune < 1) seen |= 4;
    else if (!strcmp(kv, "reuse") && nf_parse_long(eq, &v) && v >= 1 && v <= 4096) c->reuse = (int)v;
    else if (!strcmp(kv, "in") && nf_parse_long(eq, &v) && v >= 4 && v <= 16) c->in_bits = (int)v;
    else if (!strcmp(kv, "hgq") && nf_parse_double(eq, &c->hgq) && c->hgq >= 0 && c->hgq < 1) continue;
    else if (!strcmp(kv, "seed") && nf_parse_long(eq, &c->seed) && c->seed >= 0) continue;
    else ok = false;
    if (!ok) return nf_fail(err, NF_EINPUT, "candidate '%s': bad item '%s=%s'; expected %s", s, kv, eq, SPEC_FORM);
  }
  if (seen != 7) return nf_fail(err, NF_EINPUT, "candidate '%s': hidden, bits and prune are required; expected %s", s, SPEC_FORM);
  candidate_id(c);
  return NF_OK;
}

void nf_search_format_spec(const nf_search_candidate *c, char *buf, size_t n) {
  int k = snprintf(buf, n, "hidden=%s;bits=%d;prune=%.2f;reuse=%d;in=%d", c->hidden, c->bits, c->prune, c->reuse,
                   c->in_bits);
  if (c->hgq > 0 && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ";hgq=%g", c->hgq);
  if (c->seed != NF_SEARCH_DEFAULT_SEED && k >= 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ";seed=%ld", c->seed);
}

/* The default space, centred where small QAT + pruned jet taggers stay
 * above 74% on synthetic jets (measured: 32-16 hidden, 3-4 bits, 75% sparse,
 * 8-bit inputs: ~74-75% at ~0.2% LUT+FF of a VU9P). ReuseFactor stays 1:
 * time-shared multipliers cost LUTs and latency here (docs/firmware.md). */
int nf_search_default_space(nf_search_candidate *out, int max, uint64_t seed) {
  static const char *const hidden[] = {"64,32,32", "64,32", "48,24", "32,16", "24,12", "16,8", "32"};
  static const int bits[] = {3, 4, 5};
  static const double prune[] = {0.5, 0.7, 0.75, 0.8};
  static const int in_bits[] = {8, 6};
  int n = 0;
  for (size_t h = 0; h < sizeof hidden / sizeof *hidden; h++)
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++)
      for (size_t p = 0; p < sizeof prune / sizeof *prune; p++)
        for (size_t i = 0; i < sizeof in_bits / sizeof *in_bits && n < max; i++) {
          nf_search_candidate *c = &out[n++];
          memset(c, 0, sizeof *c);
          snprintf(c->hidden, sizeof c->hidden, "%s", hidden[h]);
          c->bits = bits[b];
          c->prune = prune[p];
          c->reuse = 1;
          c->in_bits = in_bits[i];
          c->seed = NF_SEARCH_DEFAULT_SEED;
          candidate_id(c);
        }
  /* A seeded shuffle: a budget that ends early still saw the whole space. */
  nf_rng r;
  nf_rng_seed(&r, seed);
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(nf_rng_u64(&r) % (uint64_t)(i + 1));
    nf_search_candidate t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return n;
}
