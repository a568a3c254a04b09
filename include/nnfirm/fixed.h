/* nnfirm — exact fixed-point arithmetic, bit for bit equal to Xilinx ap_fixed.
 *
 * A fixed-point type is (W, I, signed, Q, O): W total bits, I integer bits
 * (sign included; may be negative or exceed W). A value is an integer code k
 * times 2^-(W-I); k lies in [-2^(W-1), 2^(W-1)-1] when signed, [0, 2^W-1]
 * otherwise. Conversions quantize the exact value first (Q), then handle
 * overflow on the integer (O). See SPEC §2.
 *
 * Codes are held in nf_code (128-bit) so that products of two 64-bit values
 * and wide accumulators are exact. Types written by users are limited to
 * W <= 64; internal types (products, sums) may reach NF_FIXED_MAX_WIDTH.
 */
#ifndef NNFIRM_FIXED_H
#define NNFIRM_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include "nnfirm/error.h"

typedef __int128 nf_code;

enum { NF_FIXED_MAX_USER_WIDTH = 64, NF_FIXED_MAX_WIDTH = 128 };
/* Integer bits are limited to a generous window so every exact value prints
 * in a bounded number of digits. */
enum { NF_FIXED_MAX_ABS_INT_BITS = 1024 };

typedef enum {
  NF_Q_TRN,         /* floor */
  NF_Q_TRN_ZERO,    /* toward zero */
  NF_Q_RND,         /* nearest, ties toward +inf */
  NF_Q_RND_ZERO,    /* nearest, ties toward zero */
  NF_Q_RND_MIN_INF, /* nearest, ties toward -inf */
  NF_Q_RND_INF,     /* nearest, ties away from zero */
  NF_Q_RND_CONV,    /* nearest, ties to even */
} nf_qmode;

typedef enum {
  NF_O_WRAP,     /* two's-complement wrap to W bits */
  NF_O_SAT,      /* clamp to [min, max] */
  NF_O_SAT_ZERO, /* out of range becomes 0 */
  NF_O_SAT_SYM,  /* clamp to [-max, max] (signed) */
} nf_omode;

typedef struct nf_fixed_type {
  int width;     /* W */
  int int_bits;  /* I */
  bool is_signed;
  nf_qmode q;
  nf_omode o;
} nf_fixed_type;

/* ---- Types ---------------------------------------------------------------- */

/* ap_fixed<W,I> with AP_TRN / AP_WRAP. */
nf_fixed_type nf_fixed_type_make(int width, int int_bits, bool is_signed);
static inline int nf_fixed_frac_bits(const nf_fixed_type *t) { return t->width - t->int_bits; }

/* Parses hls4ml / Vivado type strings: ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<…>,
 * ap_int<W>, ap_uint<W>, and the aliases fixed<…>, ufixed<…>, int<W>, uint<W>.
 * Spaces are allowed around tokens. Rejects W outside 1..64, unknown modes and
 * saturation bits N > 0, with a message saying which part is wrong. */
int nf_fixed_type_parse(const char *s, nf_fixed_type *t, nf_error *err);

/* Canonical string: "ap_fixed<16,6>" with modes only when not the defaults
 * (e.g. "ap_ufixed<8,3,AP_RND,AP_SAT>"). Returns the length written. */
int nf_fixed_type_format(const nf_fixed_type *t, char *buf, size_t n);

bool nf_fixed_type_equal(const nf_fixed_type *a, const nf_fixed_type *b);

/* Smallest and largest codes of the type. */
nf_code nf_fixed_min_code(const nf_fixed_type *t);
nf_code nf_fixed_max_code(const nf_fixed_type *t);

/* Exact type of a product and of a sum of two values (no rounding, no
 * overflow); may exceed 64 bits. Fails only past NF_FIXED_MAX_WIDTH. */
int nf_fixed_mul_type(const nf_fixed_type *a, const nf_fixed_type *b, nf_fixed_type *out, nf_error *err);
int nf_fixed_add_type(const nf_fixed_type *a, const nf_fixed_type *b, nf_fixed_type *out, nf_error *err);

/* ---- Conversions ---------------------------------------------------------- */

/* Exact decimal string ("-1.375", "3e-2", "+.5") to the type's code. Rejects
 * NaN, inf, hex, empty or trailing text, and decimal exponents beyond ±10000. */
int nf_fixed_from_decimal(const nf_fixed_type *t, const char *s, nf_code *out, nf_error *err);

/* Exact double to code (a double is itself a binary fraction). Rejects
 * non-finite values. */
int nf_fixed_from_double(const nf_fixed_type *t, double x, nf_code *out, nf_error *err);

/* The general cast: value code*2^-frac_bits (any exact binary value) to type t. */
nf_code nf_fixed_cast_code(const nf_fixed_type *t, nf_code code, int frac_bits);

/* Cast a value of type `from` to type `to` (quantize, then overflow). */
static inline nf_code nf_fixed_cast(const nf_fixed_type *to, nf_code code, const nf_fixed_type *from) {
  return nf_fixed_cast_code(to, code, nf_fixed_frac_bits(from));
}

/* Exact product / sum codes in nf_fixed_mul_type / nf_fixed_add_type. */
nf_code nf_fixed_mul(nf_code a, nf_code b);
nf_code nf_fixed_add(nf_code a, const nf_fixed_type *ta, nf_code b, const nf_fixed_type *tb,
                     const nf_fixed_type *tsum);

double nf_fixed_to_double(const nf_fixed_type *t, nf_code code);

/* Exact decimal text of a value: all digits, no exponent, no trailing zeros
 * ("-0.328125", "0", "12"). Returns the length, or -1 if buf is too small
 * (1100 bytes always suffice). */
int nf_fixed_format_value(const nf_fixed_type *t, nf_code code, char *buf, size_t n);
int nf_fixed_format_code(nf_code code, int frac_bits, char *buf, size_t n);

#endif
