/* Pieces of the cast shared by the binary (cast.c) and decimal (decimal.c)
 * conversion paths: both reduce a value to "floor plus a described fraction"
 * and then apply the same rounding and overflow rules. */
#ifndef NNFIRM_FIXED_INTERNAL_H
#define NNFIRM_FIXED_INTERNAL_H

#include "nnfirm/fixed.h"

typedef unsigned __int128 nf_ucode;

/* The fraction left below the floor of an exact value, described exactly. */
typedef struct {
  bool exact;   /* fraction is zero */
  int cmp_half; /* fraction compared with 1/2: -1, 0, +1 (-1 when exact) */
} nf_fraction;

/* Whether quantization moves the floor q up by one LSB. */
bool nf_round_up(nf_qmode mode, bool negative, bool q_odd, nf_fraction frac);

/* Overflow handling of a quantized integer. `beyond` is 0 when q is the
 * true integer, or ±1 when the true integer lies beyond the 128-bit range in
 * that direction (then q holds it modulo 2^128, which WRAP still needs). */
nf_code nf_apply_overflow(const nf_fixed_type *t, nf_code q, int beyond);

#endif
