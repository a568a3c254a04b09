/* Internal to src/emulate: the emulator's operations per layer kind and per
 * activation (layers.def's and activations.def's emulate columns), and the
 * casts of 64-bit codes they share. */
#ifndef NNFIRM_EMULATE_LAYERS_H
#define NNFIRM_EMULATE_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

#include "nnfirm/emulate.h"

struct nf_emulate_block_ops;
typedef struct nf_emulate_layer_ops {
  /* Per-call state the forward reads (NULL: none); NF_EINPUT naming the
   * layer when it cannot be emulated. */
  int (*prepare)(const nf_design_layer *l, void **state, nf_error *err);
  void (*release)(void *state);
  /* The 64-bit words of scratch the forward needs beyond the widest
   * node's width (NULL: none). */
  size_t (*scratch)(const nf_design_layer *l);
  /* y[n_out] = layer(x[n_in]) on codes; scratch holds at least max-width
   * uint64 (and what `scratch` asks for). */
  void (*forward)(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch);
  /* Optional: the block kernel (fast.c) for this layer as prepared, or NULL
   * when its types need the per-row forward. */
  const struct nf_emulate_block_ops *(*block)(const nf_design_layer *l, const void *state);
} nf_emulate_layer_ops;

/* ---- The block path (fast.c) -------------------------------------------------
 * Rows in blocks of NF_EMU_BLOCK, held feature-major as int32 codes:
 * v[feature * NF_EMU_BLOCK + row]. A block kernel computes exactly what the
 * layer's per-row forward computes, on all NF_EMU_BLOCK rows at once (rows
 * past the end of the data are zeros and are computed and dropped), so that
 * its inner loops run across rows on int16/int32 lanes. scratch holds
 * NF_EMU_BLOCK_SCRATCH(width) bytes, 64-byte aligned. */
enum { NF_EMU_BLOCK = 32 };
/* The block kernels are built for x86-64-v4 (AVX-512), AVX2 and the default
 * target and chosen when the library loads (the build flags stay portable). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(NNFIRM_NO_TARGET_CLONES)
#define NF_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define NF_CLONES
#endif
/* The instruction sets the pair kernels of dense.c are written for (the
 * integer multiply-add of int16 pairs into int32: vpmaddwd, vpdpwssd),
 * detected at run time (__builtin_cpu_supports): GENERIC runs the portable
 * kernels only. nf_emu_isa_force caps the level (tests; -1: no cap). */
typedef enum { NF_EMU_ISA_GENERIC, NF_EMU_ISA_AVX2, NF_EMU_ISA_AVX512, NF_EMU_ISA_AVX512_VNNI } nf_emu_isa_level;
nf_emu_isa_level nf_emu_isa(void);
void nf_emu_isa_force(int cap);
/* Whether a Dense layer as prepared (its state) runs a pair kernel. */
bool nf_emu_dense_pairs(const void *state);
#define NF_EMU_BLOCK_SCRATCH(width) ((size_t)(width) * NF_EMU_BLOCK * 8)
typedef struct nf_emulate_block_ops {
  void (*forward)(const nf_design_layer *l, const void *state, const int32_t *x, int32_t *y, void *scratch);
} nf_emulate_block_ops;

/* Whether every code of type t fits in an int32 / int16 lane. */
static inline bool nf_emu_fits32(const nf_fixed_type *t) { return t->width <= (t->is_signed ? 32 : 31); }
static inline bool nf_emu_fits16(const nf_fixed_type *t) { return t->width <= (t->is_signed ? 16 : 15); }

/* A cast (SPEC §2, every Q and O mode) of int32 lanes holding codes of type
 * `from` to type `to`, whose codes fit int32: prepared once (false when the
 * shift is outside what the lanes take exactly), then applied to n lanes. */
typedef struct nf_emu_lane_cast {
  bool identity, narrow; /* narrow: 32-bit arithmetic is exact */
  int shift, o, width;
  bool is_signed;
  int64_t k, nm, om, lo, hi;
} nf_emu_lane_cast;
bool nf_emu_lane_cast_plan(const nf_fixed_type *to, const nf_fixed_type *from, nf_emu_lane_cast *c);
/* Rounding by shift > 0 bits in mode q as one shift: floor((v + k + (v < 0 ?
 * nm : 0) + (floor(v / 2^shift) odd ? om : 0)) / 2^shift). */
void nf_emu_round_consts(nf_qmode q, int shift, int64_t *k, int64_t *nm, int64_t *om);
void nf_emu_lane_cast_run(const nf_emu_lane_cast *c, const int32_t *v, int32_t *y, int n);

/* The block path over the layers [0, upto] already prepared (emulate.c),
 * when every layer's codes fit int32 lanes (nf_emulate_blocks_fit): width is
 * the widest layer, row_scratch the per-row forwards' scratch in bytes.
 * NF_EINTERNAL when out of memory. */
bool nf_emulate_blocks_fit(const nf_design *d, int upto);
int nf_emulate_blocks(const nf_design *d, const nf_emulate_layer_ops *const *ops, void *const *state, const int64_t *in,
                      long n, int upto, int64_t *out, int width, size_t row_scratch);
/* The activation layer's block kernel (relu, linear), or NULL. */
const nf_emulate_block_ops *nf_emulate_act_block(const nf_design_layer *l, const void *state);

#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, EMULATE, ...) \
  extern const nf_emulate_layer_ops nf_emulate_##EMULATE##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
/* nf_emulate_none_ops (all NULL): the kinds a design never holds. */

/* An activation on codes: y[n_out] = f(x[n_in]) of types input_t -> result_t
 * (NULL in nf_emulate_act_none: the emulator has no such activation). */
typedef struct nf_emulate_act_ops {
  void (*forward)(const nf_design_layer *l, const int64_t *x, int64_t *y);
} nf_emulate_act_ops;
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, ...) extern const nf_emulate_act_ops nf_emulate_act_##EMULATE;
#include "nnfirm/activations.def"
#undef NF_ACTIVATION

static inline int64_t nf_emu_wrap(const nf_fixed_type *t, int64_t v) {
  uint64_t mask = t->width >= 64 ? ~0ull : (1ull << t->width) - 1;
  uint64_t u = (uint64_t)v & mask;
  if (t->is_signed && t->width < 64 && (u >> (t->width - 1)) & 1) u |= ~mask;
  return (int64_t)u;
}

/* A cast of a 64-bit code: inline for the common modes (a shift for AP_TRN,
 * wrap or clamp for AP_WRAP / AP_SAT), the general 128-bit cast otherwise. */
static inline int64_t nf_emu_cast(const nf_fixed_type *to, int64_t v, int from_frac) {
  int shift = from_frac - nf_fixed_frac_bits(to);
  if (shift < 0 || shift > 62 || to->width > 62 || (shift > 0 && to->q != NF_Q_TRN) ||
      (to->o != NF_O_WRAP && to->o != NF_O_SAT))
    return (int64_t)nf_fixed_cast_code(to, v, from_frac);
  int64_t q = v >> shift; /* floor */
  int64_t hi = to->is_signed ? (INT64_C(1) << (to->width - 1)) - 1 : (INT64_C(1) << to->width) - 1;
  int64_t lo = to->is_signed ? -hi - 1 : 0;
  if (q >= lo && q <= hi) return q;
  if (to->o == NF_O_SAT) return q > hi ? hi : lo;
  return nf_emu_wrap(to, q);
}


#endif
