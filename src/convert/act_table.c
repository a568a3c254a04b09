/* hls4ml's lookup-table activations (sigmoid, tanh, softplus), as its Vivado
 * templates build and address them (nnet_activation.h, read for the
 * semantics):
 *
 *   table[i]: in = (float)(2 * (R/2) * (i - N/2.0) / N)   (double arithmetic, stored in a float)
 *             sigmoid: (float)(1.0 / (1 + expf(-in)))      (float exp, double division, float result)
 *             tanh:    tanh((double)in)                      (the C library's double tanh)
 *             softplus: (float)log(expf(in) + 1.)            (float exp, double log, float result)
 *             then converted to table_t (its rounding and overflow modes)
 *   index:    trunc(x * N / R) + (R/2 * N) / R, clamped to [0, N - 1]
 *
 * with R = 16 for sigmoid and softplus, 8 for tanh, x the input's exact value, trunc
 * toward zero (the int conversion of an ap_fixed), N the table size.
 *
 * ELU and SELU tabulate their negative side only, over [-8, 0):
 *
 *   table[i]: in = (float)(-8.0 * i / (float)N)                 (double arithmetic, stored in a float)
 *             elu:  (float)(expf(in) - 1.)                       (float exp, double subtraction)
 *             selu: (float)(lambda * (alpha * (expf(in) - 1.)))  (the constants in double)
 *   index:    trunc(x * N / -8), at most N - 1, for x < 0 (x >= 0 does not read the table) */
#include <math.h>
#include <stdlib.h>

#include "nnfirm/convert.h"
#include "nnfirm/util.h"

bool nf_act_has_table(nf_activation a) {
  return nf_act_table_range(a, NULL) || a == NF_ACT_ELU || a == NF_ACT_SELU;
}

bool nf_act_table_range(nf_activation a, int *range) {
  int r = a == NF_ACT_SIGMOID || a == NF_ACT_SOFTPLUS ? 16 : a == NF_ACT_TANH ? 8 : 0;
  if (range) *range = r;
  return r != 0;
}

int nf_act_table_build(nf_act_table *t, nf_activation a, const char *layer, nf_error *err) {
  int range = 0;
  bool negative = a == NF_ACT_ELU || a == NF_ACT_SELU;
  if (!nf_act_table_range(a, &range) && !negative)
    return nf_fail(err, NF_EINTERNAL, "layer '%s': %s has no lookup table", layer, nf_activation_name(a));
  if (t->size < 2 || t->size > (1 << 20))
    return nf_fail(err, NF_EINPUT, "layer '%s': table_size %d outside 2..%d", layer, t->size, 1 << 20);
  if (t->table_t.width > 62)
    return nf_fail(err, NF_EINPUT, "layer '%s': table_t wider than 62 bits", layer);
  t->codes = nf_malloc((size_t)t->size * sizeof *t->codes, err);
  if (!t->codes) return NF_EINTERNAL;
  float n = (float)t->size;
  for (int i = 0; i < t->size; i++) {
    float in = negative ? (float)(-8.0 * i / (double)n) : (float)(2 * (range / 2.0) * (i - n / 2.0) / n);
    double v = a == NF_ACT_SIGMOID    ? (double)(float)(1.0 / (double)(1 + expf(-in)))
               : a == NF_ACT_SOFTPLUS ? (double)(float)log((double)expf(in) + 1.)
               : a == NF_ACT_ELU      ? (double)(float)((double)expf(in) - 1.)
               : a == NF_ACT_SELU     ? (double)(float)(NF_SELU_LAMBDA * (NF_SELU_ALPHA * ((double)expf(in) - 1.)))
                                      : tanh((double)in);
    nf_code k;
    if (nf_fixed_from_double(&t->table_t, v, &k, err)) {
      free(t->codes);
      t->codes = NULL;
      return nf_fail_context(err, "layer '%s': table entry %d", layer, i);
    }
    t->codes[i] = (int64_t)k;
  }
  return NF_OK;
}

int nf_act_table_index(const nf_act_table *t, int range, int64_t x, const nf_fixed_type *in_t) {
  int f = nf_fixed_frac_bits(in_t);
  /* x 2^-f N / R, truncated toward zero (C's integer division) */
  nf_code num = (nf_code)x * t->size, den = range;
  if (f >= 0) den <<= f;
  else num <<= -f;
  nf_code q = num / den + (nf_code)(range / 2) * t->size / range;
  return q < 0 ? 0 : q > t->size - 1 ? t->size - 1 : (int)q;
}

int nf_act_table_neg_index(const nf_act_table *t, int64_t x, const nf_fixed_type *in_t) {
  int f = nf_fixed_frac_bits(in_t);
  /* -x 2^-f N / 8 >= 0, truncated (C's integer division) */
  nf_code num = -(nf_code)x * t->size, den = 8;
  if (f >= 0) den <<= f;
  else num <<= -f;
  nf_code q = num / den;
  return q < 0 ? 0 : q > t->size - 1 ? t->size - 1 : (int)q;
}
