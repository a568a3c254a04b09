/* The emulator's block path: rows in blocks of NF_EMU_BLOCK, feature-major
 * int32 codes, each layer run by its block kernel when it has one for its
 * types (dense.c; relu and linear here) and by its per-row forward (the
 * reference) otherwise, gathered and scattered row by row; blocks in
 * parallel (OpenMP). Also the lane cast every block kernel ends with.
 * Compiled at -O3 (src/CMakeLists.txt). */
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* ---- Instruction sets ---------------------------------------------------------- */

static int isa_cap = -1;

void nf_emu_isa_force(int cap) { isa_cap = cap; }

nf_emu_isa_level nf_emu_isa(void) {
  nf_emu_isa_level have = NF_EMU_ISA_GENERIC;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) have = NF_EMU_ISA_AVX2;
  if (have && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) have = NF_EMU_ISA_AVX512;
  if (have == NF_EMU_ISA_AVX512 && __builtin_cpu_supports("avx512vnni")) have = NF_EMU_ISA_AVX512_VNNI;
#endif
  return isa_cap >= 0 && isa_cap < (int)have ? (nf_emu_isa_level)isa_cap : have;
}

/* ---- Casts on lanes ---------------------------------------------------------- */

void nf_emu_round_consts(nf_qmode q, int shift, int64_t *k, int64_t *nm, int64_t *om) {
  int64_t half = INT64_C(1) << (shift - 1);
  *k = *nm = *om = 0;
  switch (q) {
  case NF_Q_TRN: break;                                               /* floor */
  case NF_Q_TRN_ZERO: *nm = (INT64_C(1) << shift) - 1; break;         /* negative: ceiling */
  case NF_Q_RND: *k = half; break;                                    /* ties up */
  case NF_Q_RND_ZERO: *k = half - 1, *nm = 1; break;                  /* ties up only when negative */
  case NF_Q_RND_MIN_INF: *k = half - 1; break;                        /* ties down */
  case NF_Q_RND_INF: *k = half, *nm = -1; break;                      /* ties down only when negative */
  case NF_Q_RND_CONV: *k = half - 1, *om = 1; break;                  /* ties up only from an odd floor */
  }
}

bool nf_emu_lane_cast_plan(const nf_fixed_type *to, const nf_fixed_type *from, nf_emu_lane_cast *c) {
  int s = nf_fixed_frac_bits(from) - nf_fixed_frac_bits(to);
  if (!nf_emu_fits32(to) || !nf_emu_fits32(from) || s < -32 || s > 62) return false;
  *c = (nf_emu_lane_cast){.shift = s, .o = (int)to->o, .width = to->width, .is_signed = to->is_signed};
  c->lo = (int64_t)nf_fixed_min_code(to);
  c->hi = (int64_t)nf_fixed_max_code(to);
  if (to->o == NF_O_SAT_SYM && to->is_signed) c->lo = -c->hi;
  if (s > 0) nf_emu_round_consts(to->q, s, &c->k, &c->nm, &c->om);
  /* No shift and every code of `from` in range: the cast changes nothing. */
  /* 32-bit lanes suffice when `from`'s codes have at most 29 bits (|x| +
   * k + |nm| + om < 2^31 with k, |nm| < 2^29 at s <= 30), or when shifted
   * left they stay inside int32 (a wrap: any shift) */
  int fw = from->width + !from->is_signed;
  c->narrow = to->width <= 31 && (s > 0 ? fw <= 29 && s <= 30 : to->o == NF_O_WRAP ? s >= -31 : fw - s <= 31);
  c->identity = s == 0 && (int64_t)nf_fixed_min_code(from) >= c->lo && (int64_t)nf_fixed_max_code(from) <= c->hi;
  return true;
}

/* The quantization as one shift after adding the mode's constants (s > 0),
 * or a left shift; then the overflow mode. Loops without branches, per
 * shift direction and overflow mode, so that they vectorize. */
#define LANE_LOOP(QUANT, OVERFLOW)                  \
  for (int i = 0; i < n; i++) {                     \
    int64_t x = v[i], q = QUANT;                    \
    y[i] = (int32_t)(OVERFLOW);                     \
  }
#define Q_RIGHT ((x + k + ((x >> 63) & nm) + ((x >> s) & om)) >> s)
#define Q_LEFT ((int64_t)((uint64_t)x << -s))
#define O_WRAP_S ((int64_t)((uint64_t)q << up) >> up)
#define O_WRAP_U (q & mask)
#define O_ZERO (q < lo || q > hi ? 0 : q)
#define O_SAT (q < lo ? lo : q > hi ? hi : q)
#define LANE_MODES(QUANT)                                           \
  if (c->o == NF_O_WRAP && c->is_signed) LANE_LOOP(QUANT, O_WRAP_S) \
  else if (c->o == NF_O_WRAP) LANE_LOOP(QUANT, O_WRAP_U)            \
  else if (c->o == NF_O_SAT_ZERO) LANE_LOOP(QUANT, O_ZERO)          \
  else LANE_LOOP(QUANT, O_SAT) /* AP_SAT, AP_SAT_SYM (lo = -hi when signed) */

/* The same in 32-bit lanes (twice the lanes a vector) when every term fits
 * (lane_cast32 below). */
#define LANE_LOOP32(QUANT, OVERFLOW)                \
  for (int i = 0; i < n; i++) {                     \
    int32_t x = v[i], q = QUANT;                    \
    y[i] = (OVERFLOW);                              \
  }
#define Q_RIGHT32 ((x + k + ((x >> 31) & nm) + ((x >> s) & om)) >> s)
#define Q_LEFT32 ((int32_t)((uint32_t)x << -s))
#define O_WRAP_S32 ((int32_t)((uint32_t)q << up) >> up)
#define O_WRAP_U32 (q & mask)
#define LANE_MODES32(QUANT)                                             \
  if (c->o == NF_O_WRAP && c->is_signed) LANE_LOOP32(QUANT, O_WRAP_S32) \
  else if (c->o == NF_O_WRAP) LANE_LOOP32(QUANT, O_WRAP_U32)            \
  else if (c->o == NF_O_SAT_ZERO) LANE_LOOP32(QUANT, O_ZERO)            \
  else LANE_LOOP32(QUANT, O_SAT)

/* (static: the layering check reads an exported clone as undefined) */
NF_CLONES static void lane_cast32(const nf_emu_lane_cast *c, const int32_t *v, int32_t *y, int n) {
  int s = c->shift, up = 32 - c->width;
  int32_t k = (int32_t)c->k, nm = (int32_t)c->nm, om = (int32_t)c->om, lo = (int32_t)c->lo, hi = (int32_t)c->hi;
  int32_t mask = (int32_t)((UINT32_C(1) << (c->width & 31)) - 1);
  if (s > 0) {
    LANE_MODES32(Q_RIGHT32)
  } else {
    LANE_MODES32(Q_LEFT32)
  }
}

NF_CLONES static void lane_cast(const nf_emu_lane_cast *c, const int32_t *v, int32_t *y, int n) {
  int s = c->shift, up = 64 - c->width;
  int64_t k = c->k, nm = c->nm, om = c->om, lo = c->lo, hi = c->hi, mask = (INT64_C(1) << c->width) - 1;
  if (c->narrow) {
    lane_cast32(c, v, y, n);
    return;
  }
  if (s > 0) {
    LANE_MODES(Q_RIGHT)
  } else {
    LANE_MODES(Q_LEFT)
  }
}

void nf_emu_lane_cast_run(const nf_emu_lane_cast *c, const int32_t *v, int32_t *y, int n) {
  if (!c->identity) lane_cast(c, v, y, n);
  else if (y != v) memcpy(y, v, (size_t)n * sizeof *y);
}

/* ---- relu and linear on blocks ------------------------------------------------ */

/* y = (result_t) x */
static void block_linear(const nf_design_layer *l, const void *state, const int32_t *x, int32_t *y, void *scratch) {
  (void)state, (void)scratch;
  nf_emu_lane_cast c;
  nf_emu_lane_cast_plan(&l->result_t, &l->input_t, &c); /* nf_emulate_act_block checked it */
  nf_emu_lane_cast_run(&c, x, y, l->n_out * NF_EMU_BLOCK);
}

/* y = (result_t) max(x, 0) */
NF_CLONES static void block_relu(const nf_design_layer *l, const void *state, const int32_t *x, int32_t *y,
                                 void *scratch) {
  (void)state, (void)scratch;
  nf_emu_lane_cast c;
  nf_emu_lane_cast_plan(&l->result_t, &l->input_t, &c);
  int n = l->n_out * NF_EMU_BLOCK;
  for (int i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
  nf_emu_lane_cast_run(&c, y, y, n);
}

static const nf_emulate_block_ops BLOCK_LINEAR = {.forward = block_linear}, BLOCK_RELU = {.forward = block_relu};

const nf_emulate_block_ops *nf_emulate_act_block(const nf_design_layer *l, const void *state) {
  (void)state;
  nf_emu_lane_cast c;
  if (!nf_emu_lane_cast_plan(&l->result_t, &l->input_t, &c)) return NULL;
  return l->act == NF_ACT_RELU ? &BLOCK_RELU : l->act == NF_ACT_LINEAR ? &BLOCK_LINEAR : NULL;
}

/* ---- The driver ----------------------------------------------------------------- */

bool nf_emulate_blocks_fit(const nf_design *d, int upto) {
  if (!nf_emu_fits32(&d->input_t)) return false;
  for (int li = 0; li <= upto; li++)
    if (!nf_emu_fits32(&d->layers[li].result_t)) return false;
  return true;
}

/* A layer without a block kernel: its per-row forward on each of the nb
 * rows (the rest of the block zeros). */
static void rows_forward(const nf_design_layer *l, const nf_emulate_layer_ops *ops, const void *state,
                         const int32_t *x, int32_t *y, int nb, int64_t *rx, int64_t *ry, void *row_scratch) {
  memset(y, 0, (size_t)l->n_out * NF_EMU_BLOCK * sizeof *y);
  for (int r = 0; r < nb; r++) {
    for (int i = 0; i < l->n_in; i++) rx[i] = x[(size_t)i * NF_EMU_BLOCK + r];
    ops->forward(l, state, rx, ry, row_scratch);
    for (int j = 0; j < l->n_out; j++) y[(size_t)j * NF_EMU_BLOCK + r] = (int32_t)ry[j];
  }
}

int nf_emulate_blocks(const nf_design *d, const nf_emulate_layer_ops *const *ops, void *const *state, const int64_t *in,
                      long n, int upto, int64_t *out, int width, size_t row_scratch) {
  const nf_emulate_block_ops **bk = calloc((size_t)upto + 1, sizeof *bk);
  if (!bk) return NF_EINTERNAL;
  for (int li = 0; li <= upto; li++) bk[li] = ops[li]->block ? ops[li]->block(&d->layers[li], state[li]) : NULL;
  int n_in = d->n_inputs, n_out = d->layers[upto].n_out, status = NF_OK;
  long blocks = (n + NF_EMU_BLOCK - 1) / NF_EMU_BLOCK;
  size_t lanes = (size_t)width * NF_EMU_BLOCK * sizeof(int32_t); /* a multiple of 64 */
#pragma omp parallel
  {
    int32_t *a = aligned_alloc(64, lanes), *b = aligned_alloc(64, lanes);
    void *scratch = aligned_alloc(64, NF_EMU_BLOCK_SCRATCH(width)), *rs = malloc(row_scratch);
    int64_t *rx = malloc((size_t)width * sizeof *rx), *ry = malloc((size_t)width * sizeof *ry);
    bool ok = a && b && scratch && rs && rx && ry;
    if (!ok) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long blk = 0; blk < blocks; blk++) {
      if (!ok) continue;
      long r0 = blk * NF_EMU_BLOCK;
      int nb = n - r0 < NF_EMU_BLOCK ? (int)(n - r0) : NF_EMU_BLOCK;
      /* row by row, so that the reads go in order (the input streams from memory) */
      if (nb < NF_EMU_BLOCK) memset(a, 0, (size_t)n_in * NF_EMU_BLOCK * sizeof *a);
      for (int r = 0; r < nb; r++) {
        const int64_t *row = in + (size_t)(r0 + r) * n_in;
        for (int i = 0; i < n_in; i++) a[(size_t)i * NF_EMU_BLOCK + r] = (int32_t)row[i];
      }
      int32_t *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        const nf_design_layer *l = &d->layers[li];
        if (bk[li]) bk[li]->forward(l, state[li], cur, next, scratch);
        else rows_forward(l, ops[li], state[li], cur, next, nb, rx, ry, rs);
        int32_t *t = cur;
        cur = next;
        next = t;
      }
      for (int r = 0; r < nb; r++)
        for (int j = 0; j < n_out; j++) out[(size_t)(r0 + r) * n_out + j] = cur[(size_t)j * NF_EMU_BLOCK + r];
    }
    free(a);
    free(b);
    free(scratch);
    free(rs);
    free(rx);
    free(ry);
  }
  free(bk);
  return status;
}
