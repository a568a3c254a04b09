/* hls4ml's lookup-table softmax (its "latency" and "stable" implementations),
 * built exactly as hls4ml builds its tables, so that the emulator and the RTL
 * reproduce the probabilities an hls4ml design would give, bit for bit.
 *
 * A table is addressed by the top N = ceil(log2(table_size)) bits of a code:
 *  - exp table, addressed by the softmax input type (data_t): entry i holds
 *    exp(x_i) cast to exp_table_t, where x_i is the data_t value whose top N
 *    bits are i and whose other bits are 0;
 *  - inverse table, addressed by exp_table_t: entry i holds 1 / x_i cast to
 *    inv_table_t, x_i the exp_table_t value built the same way.
 * hls4ml computes both in single precision (float exp, float division), and
 * so do we: the cast then applies the table type's own Q/O modes to the
 * float's exact value. 1/0 is +inf, which ap_fixed reads as 2^1024: zero
 * after a wrap, the largest value after saturation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

int nf_softmax_index_bits(int table_size) {
  int n = 0;
  while ((1L << n) < table_size) n++;
  return n;
}

/* The value of type t whose top n bits are i (the rest zero). A type
 * narrower than n bits is read as if extended with zero low bits (hls4ml
 * needs W >= n; this keeps narrow designs usable when the softmax is only
 * emulated). */
static double value_from_index(const nf_fixed_type *t, unsigned i, int n) {
  int w = t->width > n ? t->width : n, extra = w - t->width;
  nf_code code = (nf_code)i << (w - n);
  if (t->is_signed && (code >> (w - 1)) & 1) code -= (nf_code)1 << w;
  return ldexp((double)code, -(nf_fixed_frac_bits(t) + extra));
}

/* ap_fixed's conversion of a float: exact value, then t's Q/O modes. */
static int cast_float(const nf_fixed_type *t, float v, int64_t *out, nf_error *err) {
  if (isinf(v)) {
    bool wraps = t->o == NF_O_WRAP || t->o == NF_O_SAT_ZERO;
    nf_code max = nf_fixed_max_code(t), min = t->o == NF_O_SAT_SYM && t->is_signed ? -max : nf_fixed_min_code(t);
    *out = wraps ? 0 : (int64_t)(v > 0 ? max : min);
    return NF_OK;
  }
  nf_code k;
  int rc = nf_fixed_from_double(t, (double)v, &k, err);
  *out = (int64_t)k;
  return rc;
}

int nf_softmax_tables_build(nf_softmax_tables *s, const nf_fixed_type *data_t, const char *layer, nf_error *err) {
  int n = nf_softmax_index_bits(s->table_size);
  if (s->table_size < 2 || s->table_size > (1 << 20) || (1 << n) != s->table_size)
    return nf_fail(err, NF_EINPUT, "layer '%s': table_size %d must be a power of two in 2..1048576", layer,
                   s->table_size);
  if (s->exp_t.width + s->inv_t.width > 62)
    return nf_fail(err, NF_EINPUT, "layer '%s': exp_table_t and inv_table_t together wider than 62 bits are not "
                   "supported", layer);
  s->index_bits = n;
  free(s->exp_table);
  free(s->inv_table);
  s->exp_table = nf_malloc((size_t)s->table_size * sizeof(int64_t), err);
  s->inv_table = nf_malloc((size_t)s->table_size * sizeof(int64_t), err);
  if (!s->exp_table || !s->inv_table) return NF_EINTERNAL;
  for (unsigned i = 0; i < (unsigned)s->table_size; i++) {
    float x = (float)value_from_index(data_t, i, n);
    float e = (float)value_from_index(&s->exp_t, i, n);
    int rc = cast_float(&s->exp_t, expf(x), &s->exp_table[i], err);
    if (!rc) rc = cast_float(&s->inv_t, 1.0f / e, &s->inv_table[i], err);
    if (rc) return nf_fail_context(err, "layer '%s': softmax table entry %u", layer, i);
  }
  return NF_OK;
}

int nf_softmax_parse_implementation(const char *s, bool *stable) {
  if (!strcmp(s, "stable")) *stable = true;
  else if (!strcmp(s, "latency")) *stable = false;
  else return NF_EINPUT;
  return NF_OK;
}
