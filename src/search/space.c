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
  if (c->lbits[0] && (size_t)k < n) {
    k += snprintf(c->id + k, n - (size_t)k, "_l");
    for (const char *p = c->lbits; *p && (size_t)k + 1 < n; p++) c->id[k++] = *p == ',' ? 'x' : *p;
    c->id[k] = '\0';
  }
  if (c->hgq > 0 && (size_t)k < n) k += snprintf(c->id + k, n - (size_t)k, "_q%.0e", c->hgq);
  if (c->hgq_act > 0 && (size_t)k < n) k += snprintf(c->id + k, n - (size_t)k, "_a%.0e", c->hgq_act);
  if (c->fan_in[0] && (size_t)k < n) {
    k += snprintf(c->id + k, n - (size_t)k, "_f");
    for (const char *p = c->fan_in; *p && (size_t)k + 1 < n; p++) c->id[k++] = *p == ',' ? 'x' : *p;
    c->id[k] = '\0';
  }
  if (c->seed != NF_SEARCH_DEFAULT_SEED && (size_t)k < n) snprintf(c->id + k, n - (size_t)k, "_s%ld", c->seed);
}

static const char SPEC_FORM[] = "hidden=W[,W...];bits=B;prune=P[;lbits=B,B...][;reuse=R][;in=I][;hgq=BETA][;hgqa=BETA][;fanin=F][;seed=S] "
                                "(B 2..16, lbits one per Dense with the output, P in [0,1), R 1..4096, I 4..16 input "
                                "bits, BETA in [0,1): hgq per-weight bit penalty, hgqa per-neuron activation bits' one, F 1..64 "
                                "inputs per hidden neuron at most, or one per hidden layer, 0 = no cap)";

/* Number of comma-separated items of s that are whole numbers in lo..hi, or -1. */
static int count_list(const char *s, long lo, long hi) {
  int k = 0;
  for (const char *p = s;; k++) {
    char *e;
    long v = strtol(p, &e, 10);
    if (e == p || v < lo || v > hi) return -1;
    if (*e == '\0') return k + 1;
    if (*e != ',') return -1;
    p = e + 1;
  }
}

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
    else if (!strcmp(kv, "lbits") && strlen(eq) < sizeof c->lbits && count_list(eq, 2, 16) > 0)
      snprintf(c->lbits, sizeof c->lbits, "%s", eq);
    else if (!strcmp(kv, "prune") && nf_parse_double(eq, &c->prune) && c->prune >= 0 && c->prune < 1) seen |= 4;
    else if (!strcmp(kv, "reuse") && nf_parse_long(eq, &v) && v >= 1 && v <= 4096) c->reuse = (int)v;
    else if (!strcmp(kv, "in") && nf_parse_long(eq, &v) && v >= 4 && v <= 16) c->in_bits = (int)v;
    else if (!strcmp(kv, "hgq") && nf_parse_double(eq, &c->hgq) && c->hgq >= 0 && c->hgq < 1) continue;
    else if (!strcmp(kv, "hgqa") && nf_parse_double(eq, &c->hgq_act) && c->hgq_act >= 0 && c->hgq_act < 1) continue;
    else if (!strcmp(kv, "fanin") && strlen(eq) < sizeof c->fan_in && count_list(eq, 0, 64) > 0 &&
             (strchr(eq, ',') || atoi(eq) >= 1))
      snprintf(c->fan_in, sizeof c->fan_in, "%s", eq);
    else if (!strcmp(kv, "seed") && nf_parse_long(eq, &c->seed) && c->seed >= 0) continue;
    else ok = false;
    if (!ok) return nf_fail(err, NF_EINPUT, "candidate '%s': bad item '%s=%s'; expected %s", s, kv, eq, SPEC_FORM);
  }
  if (seen != 7) return nf_fail(err, NF_EINPUT, "candidate '%s': hidden, bits and prune are required; expected %s", s, SPEC_FORM);
  if (c->lbits[0] && count_list(c->lbits, 2, 16) != count_list(c->hidden, 1, 1 << 20) + 1)
    return nf_fail(err, NF_EINPUT, "candidate '%s': lbits needs one bit width per Dense: %d hidden and the output", s,
                   count_list(c->hidden, 1, 1 << 20));
  if (strchr(c->fan_in, ',') && count_list(c->fan_in, 0, 64) != count_list(c->hidden, 1, 1 << 20))
    return nf_fail(err, NF_EINPUT, "candidate '%s': fanin as a list needs one value per hidden layer (%d)", s,
                   count_list(c->hidden, 1, 1 << 20));
  candidate_id(c);
  return NF_OK;
}

void nf_search_format_spec(const nf_search_candidate *c, char *buf, size_t n) {
  int k = snprintf(buf, n, "hidden=%s;bits=%d;prune=%.2f;reuse=%d;in=%d", c->hidden, c->bits, c->prune, c->reuse,
                   c->in_bits);
  if (c->lbits[0] && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ";lbits=%s", c->lbits);
  if (c->hgq > 0 && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ";hgq=%g", c->hgq);
  if (c->hgq_act > 0 && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ";hgqa=%g", c->hgq_act);
  if (c->fan_in[0] && k >= 0 && (size_t)k < n) k += snprintf(buf + k, n - (size_t)k, ";fanin=%s", c->fan_in);
  if (c->seed != NF_SEARCH_DEFAULT_SEED && k >= 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ";seed=%ld", c->seed);
}

/* The default space (the grid, then the LUT-neuron family below), centred where small QAT + pruned jet taggers stay
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
  /* LUT-native neurons: the first hidden layer's inputs are wide (adders), every later hidden
   * neuron reads two inputs (3 or 4 bits each: truth tables); 80 epochs of training bring such
   * 3-bit 32-16 designs to ~73 % (docs/training.md "Fan-in caps") */
  static const char *const lut_hidden[] = {"32,16", "48,16", "32,16,16"};
  static const char *const lut_fan[] = {"0,2", "0,2", "0,2,2"};
  for (size_t h = 0; h < sizeof lut_hidden / sizeof *lut_hidden; h++)
    for (int b = 3; b <= 4 && n < max; b++) {
      nf_search_candidate *c = &out[n++];
      memset(c, 0, sizeof *c);
      snprintf(c->hidden, sizeof c->hidden, "%s", lut_hidden[h]);
      snprintf(c->fan_in, sizeof c->fan_in, "%s", lut_fan[h]);
      c->bits = b, c->prune = 0.5, c->reuse = 1, c->in_bits = 6, c->seed = NF_SEARCH_DEFAULT_SEED;
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

/* ---- The evolutionary loop's children ------------------------------------------ */

static bool known(const char *id, const nf_search_result *r, int n, const nf_search_candidate *t, int nt,
                  const nf_search_candidate *out, int m) {
  for (int i = 0; i < n; i++)
    if (!strcmp(r[i].id, id)) return true;
  for (int i = 0; i < nt; i++)
    if (!strcmp(t[i].id, id)) return true;
  for (int i = 0; i < m; i++)
    if (!strcmp(out[i].id, id)) return true;
  return false;
}

static int by_est_cost(const void *a, const void *b) {
  const nf_search_result *x = *(const nf_search_result *const *)a, *y = *(const nf_search_result *const *)b;
  double u = x->est_lut_pct + x->est_ff_pct, v = y->est_lut_pct + y->est_ff_pct;
  int c = (u > v) - (u < v);
  return c ? c : strcmp(x->id, y->id);
}

static int by_accuracy(const void *a, const void *b) {
  const nf_search_result *x = *(const nf_search_result *const *)a, *y = *(const nf_search_result *const *)b;
  double u = x->accuracy_validation, v = y->accuracy_validation;
  int c = (u < v) - (u > v);
  return c ? c : strcmp(x->id, y->id);
}

/* The moves. A parent above the floor gets the ones that cut LUTs and FFs (it already passes: find the
 * cheapest neighbour that still does); a parent below it, cheaper than the cheapest above, the ones that buy
 * accuracy back at a small cost, since it is already where the search wants to be on cost. */
enum {
  NARROWER,        /* above: hidden widths to 3/4 (at least 4) */
  LAYER_BITS,      /* one layer's bits, -1 above the floor, +1 below it */
  SPARSER,         /* above: prune + 0.05 */
  NARROWER_INPUTS, /* above: input bits - 1 */
  HGQ_STRONGER,    /* above: per-weight bit penalty on (1e-6) or x3 */
  HGQA_STRONGER,   /* above: per-neuron activation bit penalty on (1e-5) or x3 */
  FEWER_FAN_IN,    /* above: fan-in cap on at 4, or one fewer */
  FIRST_UNCAPPED,  /* both: the first hidden layer's cap lifted */
  WIDER,           /* below: hidden widths x4/3 */
  DENSER,          /* below: prune - 0.05 */
  HGQ_WEAKER,      /* below: per-weight bit penalty /3, off under 1e-6 */
  HGQA_WEAKER,     /* below: activation bit penalty /3, off under 1e-5 */
  MORE_FAN_IN,     /* below: every cap one more, uncapped from 4 */
  RESEED,          /* below, near the floor: training seed NF_SEARCH_DEFAULT_SEED + 1 */
  RESEED_AGAIN,    /* below, near the floor: training seed NF_SEARCH_DEFAULT_SEED + 2 */
  N_MUTATIONS
};
#define HGQ_MIN 1e-6  /* where HGQ_STRONGER switches the weight penalty on */
#define HGQA_MIN 1e-5 /* and HGQA_STRONGER the activation one */
#define RESEED_WITHIN 0.003 /* a below-floor parent this close to the floor may be retrained with another seed */

/* Hidden widths to 3/4 (at least 4) or, wider, x4/3 rounded (each at least one wider), into c->hidden; false
 * when none changes or the list does not fit. */
static bool scale_widths(const int *widths, int nw, bool wider, nf_search_candidate *c) {
  int q = 0;
  bool changed = false;
  for (int i = 0; i < nw; i++) {
    int w = wider ? (int)lround(widths[i] * 4.0 / 3) : widths[i] * 3 / 4;
    if (wider && w == widths[i]) w++;
    if (!wider && w < 4) w = 4;
    changed |= w != widths[i];
    q += snprintf(c->hidden + q, sizeof c->hidden - (size_t)q, "%s%d", i ? "," : "", w);
    if ((size_t)q >= sizeof c->hidden) return false;
  }
  return changed;
}

/* Every capped layer's fan-in moved by step (0 stays uncapped); below 1 refuses, from 4 up uncapped (the
 * inverse of FEWER_FAN_IN's switching on at 4); "" when no layer keeps a cap. False for an uncapped parent. */
static bool step_fan_in(const char *fan_in, int step, nf_search_candidate *c) {
  if (!fan_in[0]) return false;
  int q = 0;
  bool capped = false;
  for (const char *f = fan_in; *f;) {
    char *e;
    long v = strtol(f, &e, 10);
    if (v > 0) {
      v = step < 0 || v < 4 ? v + step : 0;
      if (v < 1 && step < 0) return false;
    }
    capped |= v > 0;
    q += snprintf(c->fan_in + q, sizeof c->fan_in - (size_t)q, "%s%ld", q ? "," : "", v);
    f = *e ? e + 1 : e;
  }
  if (!capped) c->fan_in[0] = '\0';
  return true;
}

/* Mutation k (0 .. N_MUTATIONS - 1) of parent p into *c, for a parent whose validation accuracy is short of
 * the floor by short_by (<= 0: above it); false when the move does not apply or changes nothing. */
static bool mutate(const nf_search_candidate *p, double short_by, int k, int layer, nf_search_candidate *c) {
  bool feasible = short_by <= 0;
  *c = *p;
  c->seed = NF_SEARCH_DEFAULT_SEED; /* a neighbour is a new design: the default seed unless reseeded */
  int widths[8], nw = 0, lb[9];
  for (const char *s = p->hidden; *s && nw < 8;) {
    widths[nw++] = atoi(s);
    const char *comma = strchr(s, ',');
    if (!comma) break;
    s = comma + 1;
  }
  for (int i = 0; i <= nw; i++) lb[i] = p->bits;
  int nl = 0;
  for (const char *s = p->lbits; *s && nl <= nw;) {
    lb[nl++] = atoi(s);
    const char *comma = strchr(s, ',');
    if (!comma) break;
    s = comma + 1;
  }
  switch (k) {
  case NARROWER: /* every hidden layer to 3/4, at least 4 wide */
    if (!feasible || !scale_widths(widths, nw, false, c)) return false;
    break;
  case LAYER_BITS: { /* one layer's bits, down (or up below the floor) */
    int i = layer % (nw + 1), b = lb[i] + (feasible ? -1 : 1);
    if (b < 2 || b > 16) return false;
    lb[i] = b;
    int q = 0;
    for (int j = 0; j <= nw; j++) q += snprintf(c->lbits + q, sizeof c->lbits - (size_t)q, "%s%d", j ? "," : "", lb[j]);
    break;
  }
  case SPARSER:
    if (!feasible || p->prune + 0.05 > 0.951) return false;
    c->prune = round((p->prune + 0.05) * 100) / 100;
    break;
  case NARROWER_INPUTS:
    if (!feasible || p->in_bits <= 4) return false;
    c->in_bits = p->in_bits - 1;
    break;
  case HGQ_STRONGER: /* HGQ's bit penalty on, or stronger */
    c->hgq = p->hgq > 0 ? p->hgq * 3 : HGQ_MIN;
    if (!feasible || c->hgq >= 1e-3) return false;
    break;
  case HGQA_STRONGER: /* HGQ's activation bit penalty on (per-neuron bits), or stronger */
    c->hgq_act = p->hgq_act > 0 ? p->hgq_act * 3 : HGQA_MIN;
    if (!feasible || c->hgq_act >= 1e-2) return false;
    break;
  case FEWER_FAN_IN: /* fewer inputs per hidden neuron (LUT-native neurons where the tables are cheaper): on at 4,
                      * then every capped layer one fewer, down to 1 */
    if (!feasible) return false;
    if (!p->fan_in[0]) snprintf(c->fan_in, sizeof c->fan_in, "4");
    else if (!step_fan_in(p->fan_in, -1, c)) return false;
    break;
  case FIRST_UNCAPPED: /* the first hidden layer uncapped, the later ones as capped (its inputs are wide: adders
                        * there); both sides of the floor: it costs adders and buys accuracy */
    if (!p->fan_in[0] || strchr(p->fan_in, ',') || nw < 2) return false;
    {
      int q = snprintf(c->fan_in, sizeof c->fan_in, "0");
      for (int i = 1; i < nw; i++) q += snprintf(c->fan_in + q, sizeof c->fan_in - (size_t)q, ",%s", p->fan_in);
    }
    break;
  case WIDER: /* every hidden layer x4/3 (rounded, at least one wider): the cheapest accuracy there is */
    if (feasible || !scale_widths(widths, nw, true, c)) return false;
    break;
  case DENSER: /* 0.05 less sparse, not below none */
    if (feasible || p->prune <= 0) return false;
    c->prune = p->prune > 0.05 ? round((p->prune - 0.05) * 100) / 100 : 0;
    break;
  case HGQ_WEAKER: /* the weight bit penalty a third, off where it would fall under where it starts */
    if (feasible || p->hgq <= 0) return false;
    c->hgq = p->hgq / 3 < HGQ_MIN * 0.999 ? 0 : p->hgq / 3;
    break;
  case HGQA_WEAKER: /* the activation bit penalty likewise */
    if (feasible || p->hgq_act <= 0) return false;
    c->hgq_act = p->hgq_act / 3 < HGQA_MIN * 0.999 ? 0 : p->hgq_act / 3;
    break;
  case MORE_FAN_IN: /* one fan-in step back: every capped layer one more input, uncapped from 4 */
    if (feasible || !step_fan_in(p->fan_in, 1, c)) return false;
    break;
  case RESEED:       /* the same design trained with another seed, at most two more per design (the id carries */
  case RESEED_AGAIN: /* the seed, so a tried one is known). Honest: the choice is on the validation split, and the
                      * winner's reported accuracy is on the test split, which no seed was picked on. Only for a
                      * cheap design just short of the floor, where the seed's spread can carry it over */
    if (feasible || short_by > RESEED_WITHIN + 1e-9) return false;
    c->seed = NF_SEARCH_DEFAULT_SEED + (k == RESEED ? 1 : 2);
    break;
  default: return false;
  }
  candidate_id(c);
  return true;
}

/* Parent p's children not yet known into out[*m..max), its mutations in an order drawn from g. */
static void children_of(const nf_search_result *p, double min_acc, nf_rng *g, const nf_search_result *r, int n,
                        const nf_search_candidate *tried, int n_tried, nf_search_candidate *out, int *m, int max) {
  nf_search_candidate pc;
  nf_error e = {0};
  if (nf_search_parse_spec(p->spec, &pc, &e)) return;
  int order[N_MUTATIONS];
  for (int a = 0; a < N_MUTATIONS; a++) order[a] = a;
  for (int a = N_MUTATIONS - 1; a > 0; a--) {
    int b = (int)(nf_rng_u64(g) % (uint64_t)(a + 1)), t = order[a];
    order[a] = order[b], order[b] = t;
  }
  int layer = (int)(nf_rng_u64(g) % 8);
  for (int a = 0; a < N_MUTATIONS && *m < max; a++) {
    nf_search_candidate c;
    if (mutate(&pc, min_acc - p->accuracy_validation, order[a], layer, &c) &&
        !known(c.id, r, n, tried, n_tried, out, *m))
      out[(*m)++] = c;
  }
}

int nf_search_mutate(const nf_search_result *r, int n, double min_acc, int parents, const nf_search_candidate *tried,
                     int n_tried, uint64_t seed, nf_search_candidate *out, int max) {
  if (max < 1) return 0;
  const nf_search_result **feas = malloc((size_t)(n ? n : 1) * sizeof *feas), **below = malloc((size_t)(n ? n : 1) * sizeof *below);
  if (!feas || !below) {
    free(feas), free(below);
    return 0;
  }
  int nf = 0, nb = 0;
  for (int i = 0; i < n; i++) {
    if (r[i].failed[0] || !isfinite(r[i].accuracy_validation) || !isfinite(r[i].est_lut_pct)) continue;
    if (r[i].accuracy_validation >= min_acc) feas[nf++] = &r[i];
  }
  qsort(feas, (size_t)nf, sizeof *feas, by_est_cost);
  /* below the floor, only those cheaper than the cheapest above it: a dearer one's children are dearer still
   * than a design that already passes */
  double cheapest = nf ? feas[0]->est_lut_pct + feas[0]->est_ff_pct : INFINITY;
  for (int i = 0; i < n; i++)
    if (!r[i].failed[0] && isfinite(r[i].accuracy_validation) && isfinite(r[i].est_lut_pct) &&
        r[i].accuracy_validation < min_acc && r[i].est_lut_pct + r[i].est_ff_pct < cheapest)
      below[nb++] = &r[i];
  qsort(below, (size_t)nb, sizeof *below, by_accuracy);
  nf_rng g;
  nf_rng_seed(&g, seed);
  int m = 0;
  /* parent by parent, cheapest above the floor first, then the most accurate below it; mutations in a seeded
   * order. When these parents have no new child (every neighbour tried), twice as many from each list, and so
   * on until some child is found or every parent has been tried: the loop stops only when nothing reasonable
   * is left, not when the nearest neighbourhood is used up. */
  for (int fi = 0, bi = 0, want = parents > 0 ? parents : 1; m == 0 && (fi < nf || bi < nb); want *= 2) {
    for (; fi < nf && fi < want && m < max; fi++) children_of(feas[fi], min_acc, &g, r, n, tried, n_tried, out, &m, max);
    for (; bi < nb && bi < want && m < max; bi++) children_of(below[bi], min_acc, &g, r, n, tried, n_tried, out, &m, max);
    if (want > n) want = n; /* no overflow: the lists are no longer than n */
  }
  free(feas), free(below);
  return m;
}
