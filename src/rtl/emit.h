/* Internal to src/rtl: a netlist of signed Verilog signals whose exact value
 * range is tracked, so every wire is as wide as its value can be and no wider. */
#ifndef NNFIRM_RTL_EMIT_H
#define NNFIRM_RTL_EMIT_H

#include <stdio.h>
#include "nnfirm/fixed.h"
#include "nnfirm/rtl.h"

/* Every signal is a signed Verilog wire or reg s<id>, wide enough for [lo, hi]. */
typedef struct rtl_sig {
  nf_code lo, hi;
  int width;
} rtl_sig;

typedef struct rtl_gen {
  FILE *fp;
  rtl_sig *sigs;
  int n_sigs, cap_sigs;
  long adders;     /* adders/subtractors emitted */
  long regs;       /* register bits emitted */
  bool oom;
  nf_error *err;
  /* Value ranges between layers: on entry to an emitter the codes its inputs
   * can take (from the previous layer; NULL = the input type's range), on
   * return the codes its outputs can take. Narrower than the types when,
   * e.g., a ReLU feeds a Dense: its adders then drop the sign bit. */
  nf_code *range_lo, *range_hi;
  unsigned style; /* NF_RTL_STYLE_* */
  /* Register placement (Dense, II = 1): a first pass records the live bits
   * after every adder level; the second places registers at the levels
   * chosen from them (reg_at). */
  long *level_bits;
  const bool *reg_at;
  int levels; /* adder levels of the last layer emitted */
  nf_rtl_cost *cost; /* NULL, or where the layer's resource features are counted */
} rtl_gen;

enum { RTL_MAX_LEVELS = 256 };

static inline nf_code rtl_in_lo(const rtl_gen *g, int i, const nf_fixed_type *t) {
  return g->range_lo ? g->range_lo[i] : nf_fixed_min_code(t);
}
static inline nf_code rtl_in_hi(const rtl_gen *g, int i, const nf_fixed_type *t) {
  return g->range_hi ? g->range_hi[i] : nf_fixed_max_code(t);
}
static inline void rtl_out_range(rtl_gen *g, int j, int sig) {
  if (g->range_lo) g->range_lo[j] = g->sigs[sig].lo, g->range_hi[j] = g->sigs[sig].hi;
}

/* A term of a sum: sign * (sig << shift); sig < 0 means the constant cval. */
typedef struct rtl_term {
  int sig;
  int shift;
  int sign;
  nf_code cval;
} rtl_term;

int rtl_signed_width(nf_code lo, nf_code hi);
void rtl_literal(char *buf, size_t n, nf_code v, int width);
int rtl_new_sig(rtl_gen *g, nf_code lo, nf_code hi);
void rtl_term_range(const rtl_gen *g, const rtl_term *t, nf_code *lo, nf_code *hi);
rtl_term rtl_add(rtl_gen *g, rtl_term a, rtl_term b);
int rtl_materialize(rtl_gen *g, rtl_term t);
int rtl_register(rtl_gen *g, int sig);
/* Bits of a signal that are not constant by its range (see nf_rtl_cost). */
int rtl_live_bits(const rtl_gen *g, int sig);
/* Counts an adder whose result is sig and whose low `pass` bits come
 * unchanged from one operand (no-op when g->cost is NULL). */
void rtl_cost_adder(rtl_gen *g, int sig, int pass, bool constant);
/* Counts a variable x variable multiplier of signals x and y. */
void rtl_cost_multiplier(rtl_gen *g, int x, int y);
/* Quantizes (and, if `overflow`, handles overflow of) sig, a value with
 * `frac` fraction bits, into type t's code; returns the new signal. */
int rtl_cast(rtl_gen *g, int sig, int frac, const nf_fixed_type *t, bool overflow);
/* Exact range of the cast of [lo, hi] (monotone quantization; overflow
 * widens to the type's range unless the values fit). */
void rtl_cast_range(nf_code lo, nf_code hi, int frac, const nf_fixed_type *t, bool overflow, nf_code *olo,
                    nf_code *ohi);
nf_code rtl_quantize(nf_code v, int drop, nf_qmode q);

/* Whole-design pieces. */
int rtl_levels_per_stage(double clock_ns);
int rtl_emit_dense(rtl_gen *g, const char *top, const nf_rtl_layer *L, int levels_per_stage, int *latency);
int rtl_emit_dense_reuse(rtl_gen *g, const char *top, const nf_rtl_layer *L, int levels_per_stage,
                         int *latency);
int rtl_emit_relu(rtl_gen *g, const char *top, const nf_rtl_layer *L);
int rtl_emit_softmax(rtl_gen *g, const char *top, const nf_rtl_layer *L, int *latency);
/* The softmax's two table ROM modules (<top>_<layer>_exp / _inv). */
void rtl_softmax_roms(FILE *fp, const char *top, const nf_rtl_layer *L);
/* Bits a value of type t occupies in the interface (its code width). */
static inline int rtl_type_width(const nf_fixed_type *t) { return t->width; }

#endif
