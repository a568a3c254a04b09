/* Binary casts: quantization (Q) of the exact value, then overflow (O) on
 * the integer, as Xilinx ap_fixed does (SPEC §2). */
#include <math.h>
#include <string.h>

#include "fixed_internal.h"

bool nf_round_up(nf_qmode mode, bool negative, bool q_odd, nf_fraction f) {
  if (f.exact) return false;
  switch (mode) {
  case NF_Q_TRN: return false;
  case NF_Q_TRN_ZERO: return negative;
  case NF_Q_RND: return f.cmp_half >= 0;
  case NF_Q_RND_ZERO: return f.cmp_half > 0 || (f.cmp_half == 0 && negative);
  case NF_Q_RND_MIN_INF: return f.cmp_half > 0;
  case NF_Q_RND_INF: return f.cmp_half > 0 || (f.cmp_half == 0 && !negative);
  case NF_Q_RND_CONV: return f.cmp_half > 0 || (f.cmp_half == 0 && q_odd);
  }
  return false;
}

static nf_ucode low_mask(int bits) {
  return bits >= 128 ? ~(nf_ucode)0 : (((nf_ucode)1 << bits) - 1);
}

nf_code nf_fixed_max_code(const nf_fixed_type *t) {
  return (nf_code)low_mask(t->is_signed ? t->width - 1 : t->width);
}

nf_code nf_fixed_min_code(const nf_fixed_type *t) {
  return t->is_signed ? -nf_fixed_max_code(t) - 1 : 0;
}

static nf_code wrap(const nf_fixed_type *t, nf_code q) {
  nf_ucode mask = low_mask(t->width);
  nf_ucode u = (nf_ucode)q & mask;
  if (t->is_signed && t->width < 128 && (u >> (t->width - 1)) & 1) u |= ~mask;
  return (nf_code)u;
}

nf_code nf_apply_overflow(const nf_fixed_type *t, nf_code q, int beyond) {
  nf_code lo = nf_fixed_min_code(t), hi = nf_fixed_max_code(t);
  int dir = beyond ? beyond : q > hi ? 1 : q < lo ? -1 : 0;
  if (t->o == NF_O_SAT_SYM && t->is_signed) lo = -hi;
  switch (t->o) {
  case NF_O_WRAP: return dir ? wrap(t, q) : q;
  case NF_O_SAT_ZERO: return dir ? 0 : q;
  case NF_O_SAT:
  case NF_O_SAT_SYM:
    if (dir > 0) return hi;
    if (dir < 0 || q < lo) return lo;
    return q;
  }
  return q;
}

/* Splits code * 2^-shift (shift > 0) into floor and fraction. */
static nf_code floor_shift(nf_code code, int shift, nf_fraction *f) {
  if (shift >= 128) {
    /* |code| < 2^127 <= 2^(shift-1): the floor is 0 or -1. */
    f->exact = code == 0;
    if (code >= 0) {
      f->cmp_half = -1;
      return 0;
    }
    f->cmp_half = (shift == 128 && code == (nf_code)((nf_ucode)1 << 127)) ? 0 : 1;
    return -1;
  }
  nf_ucode rem = (nf_ucode)code & low_mask(shift);
  nf_ucode half = (nf_ucode)1 << (shift - 1);
  f->exact = rem == 0;
  f->cmp_half = f->exact ? -1 : rem < half ? -1 : rem == half ? 0 : 1;
  return code >> shift; /* arithmetic shift: floor */
}

nf_code nf_fixed_cast_code(const nf_fixed_type *t, nf_code code, int frac_bits) {
  int shift = frac_bits - nf_fixed_frac_bits(t);
  if (shift <= 0) {
    int left = -shift;
    if (left == 0) return nf_apply_overflow(t, code, 0);
    nf_ucode shifted = left >= 128 ? 0 : (nf_ucode)code << left;
    bool fits = left < 128 && ((nf_code)shifted >> left) == code;
    return nf_apply_overflow(t, (nf_code)shifted, fits ? 0 : (code < 0 ? -1 : 1));
  }
  nf_fraction f;
  nf_code q = floor_shift(code, shift, &f);
  if (nf_round_up(t->q, code < 0, q & 1, f)) q += 1;
  return nf_apply_overflow(t, q, 0);
}

int nf_fixed_from_double(const nf_fixed_type *t, double x, nf_code *out, nf_error *err) {
  if (!isfinite(x)) return nf_fail(err, NF_EINPUT, "value is not a finite number");
  int e;
  double m = frexp(x, &e); /* x = m * 2^e, 0.5 <= |m| < 1 */
  long long mant = (long long)ldexp(m, 53);
  *out = nf_fixed_cast_code(t, (nf_code)mant, 53 - e);
  return NF_OK;
}

double nf_fixed_to_double(const nf_fixed_type *t, nf_code code) {
  return ldexp((double)code, -nf_fixed_frac_bits(t));
}

nf_code nf_fixed_mul(nf_code a, nf_code b) {
  return (nf_code)((nf_ucode)a * (nf_ucode)b);
}

int nf_fixed_mul_type(const nf_fixed_type *a, const nf_fixed_type *b, nf_fixed_type *out, nf_error *err) {
  int w = a->width + b->width;
  if (w > NF_FIXED_MAX_WIDTH)
    return nf_fail(err, NF_EINPUT, "product of %d- and %d-bit values exceeds %d bits", a->width, b->width,
                   NF_FIXED_MAX_WIDTH);
  *out = nf_fixed_type_make(w, a->int_bits + b->int_bits, a->is_signed || b->is_signed);
  return NF_OK;
}

int nf_fixed_add_type(const nf_fixed_type *a, const nf_fixed_type *b, nf_fixed_type *out, nf_error *err) {
  int fa = nf_fixed_frac_bits(a), fb = nf_fixed_frac_bits(b);
  int frac = fa > fb ? fa : fb;
  bool sign = a->is_signed || b->is_signed;
  /* An unsigned operand needs one more integer bit to sit in a signed sum. */
  int ia = a->int_bits + (sign && !a->is_signed), ib = b->int_bits + (sign && !b->is_signed);
  int ibits = (ia > ib ? ia : ib) + 1;
  int w = ibits + frac;
  if (w > NF_FIXED_MAX_WIDTH || w < 1)
    return nf_fail(err, NF_EINPUT, "sum type needs %d bits (limit %d)", w, NF_FIXED_MAX_WIDTH);
  *out = nf_fixed_type_make(w, ibits, sign);
  return NF_OK;
}

nf_code nf_fixed_add(nf_code a, const nf_fixed_type *ta, nf_code b, const nf_fixed_type *tb,
                     const nf_fixed_type *tsum) {
  int f = nf_fixed_frac_bits(tsum);
  nf_ucode ua = (nf_ucode)a << (f - nf_fixed_frac_bits(ta));
  nf_ucode ub = (nf_ucode)b << (f - nf_fixed_frac_bits(tb));
  return (nf_code)(ua + ub);
}
