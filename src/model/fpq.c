/* HGQ's FixedPointQuantizer in the model stage: the element types as the
 * file stores them (keep_negative, bits, integers per element or one for
 * all), their checks, and the float forward value HGQ's proxy computes:
 * x scaled by 2^(bits - integers), rounded in the layer's RND mode, its
 * overflow handled in the SAT mode on the range of a bits-wide code
 * (signed when keep_negative), scaled back; 0 where bits is 0. */
#include <math.h>
#include <string.h>

#include "layers.h"

static const char *const ROUND_NAMES[] = {"TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"};
static const char *const OVERFLOW_NAMES[] = {"WRAP", "SAT", "SAT_ZERO", "SAT_SYM"};
enum { N_ROUND = sizeof ROUND_NAMES / sizeof *ROUND_NAMES, N_OVERFLOW = sizeof OVERFLOW_NAMES / sizeof *OVERFLOW_NAMES };

int nf_fpq_parse_round(const char *s, nf_fpq_round *out) {
  for (int i = 0; s && i < N_ROUND; i++)
    if (!strcmp(s, ROUND_NAMES[i])) {
      *out = (nf_fpq_round)i;
      return NF_OK;
    }
  return NF_EINPUT;
}

int nf_fpq_parse_overflow(const char *s, nf_fpq_overflow *out) {
  for (int i = 0; s && i < N_OVERFLOW; i++)
    if (!strcmp(s, OVERFLOW_NAMES[i])) {
      *out = (nf_fpq_overflow)i;
      return NF_OK;
    }
  return NF_EINPUT;
}

const char *nf_fpq_round_name(nf_fpq_round q) { return (unsigned)q < N_ROUND ? ROUND_NAMES[q] : "?"; }
const char *nf_fpq_overflow_name(nf_fpq_overflow o) { return (unsigned)o < N_OVERFLOW ? OVERFLOW_NAMES[o] : "?"; }

void nf_fpq_elem(const nf_layer *l, int j, int *keep_negative, int *bits, int *integers) {
  int e = l->fpq_n == 1 ? 0 : j;
  *keep_negative = (int)l->fpq[e];
  *bits = (int)l->fpq[l->fpq_n + e];
  *integers = (int)l->fpq[2 * l->fpq_n + e];
}

bool nf_fpq_union_kif(const nf_layer *l, int *k, int *i, int *f) {
  bool any = false;
  for (int j = 0; j < l->n_out; j++) {
    int kj, bj, ij;
    nf_fpq_elem(l, j, &kj, &bj, &ij);
    if (bj == 0) continue;
    int ii = ij - kj, ff = bj - ij;
    if (!any || kj > *k) *k = kj;
    if (!any || ii > *i) *i = ii;
    if (!any || ff > *f) *f = ff;
    any = true;
  }
  return any;
}

static int fpq_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  if (l->fpq_n != 1 && l->fpq_n != nf_shape_size(in))
    return nf_fail(err, NF_EINPUT, "layer '%s': %d element types for %ld values", l->name, l->fpq_n,
                   nf_shape_size(in));
  *out = in;
  return NF_OK;
}

/* Whole numbers in range: keep_negative 0 or 1, bits 0..32, integers
 * -64..64 (a code of at most 32 bits, its point at most 64 places away). */
static int fpq_check(const nf_layer *l, nf_error *err) {
  if (!l->fpq || l->fpq_n < 1) return nf_fail(err, NF_EINPUT, "layer '%s': no element types", l->name);
  if ((unsigned)l->fpq_q >= N_ROUND || (unsigned)l->fpq_o >= N_OVERFLOW)
    return nf_fail(err, NF_EINPUT, "layer '%s': unknown rounding or overflow mode", l->name);
  static const char *const WHAT[3] = {"keep_negative", "bits", "integers"};
  static const float LO[3] = {0, 0, -64}, HI[3] = {1, 32, 64};
  for (int a = 0; a < 3; a++)
    for (int e = 0; e < l->fpq_n; e++) {
      float v = l->fpq[a * l->fpq_n + e];
      if (!(v >= LO[a] && v <= HI[a]) || v != floorf(v))
        return nf_fail(err, NF_EINPUT, "layer '%s': element %d: %s %g is not a whole number in %g..%g", l->name, e,
                       WHAT[a], (double)v, (double)LO[a], (double)HI[a]);
    }
  return NF_OK;
}

static void fpq_count(const nf_layer *l, long *trainable, long *non_trainable) {
  *trainable = 0;
  *non_trainable = 3L * l->fpq_n;
}

/* v rounded to a whole number in HGQ's mode q (v exact; beyond 2^52 every
 * double is whole already). */
static double round_whole(double v, nf_fpq_round q) {
  if (fabs(v) >= 0x1p52) return v;
  double s = v < 0 ? -1 : 1, a = fabs(v);
  switch (q) {
  case NF_FPQ_TRN: return floor(v);
  case NF_FPQ_TRN_ZERO: return s * floor(a);
  case NF_FPQ_RND: return floor(v + 0.5);
  case NF_FPQ_RND_ZERO: return -s * floor(-a + 0.5);
  case NF_FPQ_RND_MIN_INF: return -floor(-v + 0.5);
  case NF_FPQ_RND_INF: return s * floor(a + 0.5);
  case NF_FPQ_RND_CONV: return nearbyint(v);
  }
  return v;
}

/* A whole number v kept within the codes [low, high] of a bits-wide code in mode o. */
static double overflow_whole(double v, int keep_negative, int bits, nf_fpq_overflow o) {
  double high = ldexp(1, bits - keep_negative) - 1, low = keep_negative ? -(high + 1) : 0;
  switch (o) {
  case NF_FPQ_WRAP: {
    double span = high - low + 1, r = fmod(fmod(v, span) - low, span); /* fmod is exact */
    return (r < 0 ? r + span : r) + low;
  }
  case NF_FPQ_SAT: return v > high ? high : v < low ? low : v;
  case NF_FPQ_SAT_ZERO: return v > high || v < low ? 0 : v;
  case NF_FPQ_SAT_SYM: {
    double lo = keep_negative ? -high : 0;
    return v > high ? high : v < lo ? lo : v;
  }
  }
  return v;
}

double nf_fpq_value(const nf_layer *l, int j, double x) {
  int k, b, i;
  nf_fpq_elem(l, j, &k, &b, &i);
  if (!isfinite(x)) return NAN;
  if (b == 0) return 0;
  return ldexp(overflow_whole(round_whole(ldexp(x, b - i), l->fpq_q), k, b, l->fpq_o), i - b);
}

static void fpq_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  for (int j = 0; j < l->n_out; j++) y[j] = nf_fpq_value(l, j, x[j]);
}

const nf_model_layer_ops nf_model_fpq_ops = {
    .infer_shape = fpq_shape,
    .check_params = fpq_check,
    .param_count = fpq_count,
    .forward = fpq_forward,
};
