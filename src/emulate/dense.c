/* Dense in the emulator, two paths that compute the same bits:
 *  - the reference (per row, dense_exact): SPEC §3 literally, 128-bit codes
 *    and the fixed.h casts, for every quantization and overflow mode; the
 *    per-row forward always runs it (nf_emulate_reference, and the block
 *    driver's fallback);
 *  - the block kernels (dense_block_*: a block of NF_EMU_BLOCK rows at once,
 *    feature-major, the inner loop across rows on int16/int32 lanes) when the
 *    input and weight codes fit 16 bits and the accumulator 32:
 *      wrapping accum_t: two's-complement wrap is reduction modulo 2^W, which
 *      commutes with addition, so the sum runs in wrapping machine integers
 *      (16-bit lanes when accum_t has at most 16 bits and truncates, else 32)
 *      and is wrapped to W bits once at the end; a product's cast to accum_t
 *      is an arithmetic shift (AP_TRN: floor) or a shift after adding the
 *      rounding mode's constant (see nf_emu_lane_cast_plan in fast.c);
 *      saturating accum_t: every product and every partial sum is clamped
 *      (or zeroed) in order, as SPEC §3 says, in 32-bit lanes;
 *    outputs go four at a time, and inputs whose four weights are all zero
 *    are skipped (a pruned model's products are exactly zero).
 * Compiled at -O3 (src/CMakeLists.txt); on x86-64 each kernel is also built
 * for AVX2 and x86-64-v4 (AVX-512) and chosen at load time (target_clones), the default
 * build flags stay portable. */
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* ---- The reference --------------------------------------------------------- */

/* SPEC §3 literally: acc = (accum_t) b; acc = (accum_t)(acc + (accum_t)(x*w)); y = (result_t) acc. */
static void dense_exact(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int fp = nf_fixed_frac_bits(&d->input_t) + nf_fixed_frac_bits(&d->weight_t);
  int fa = nf_fixed_frac_bits(&d->accum_t);
  for (int j = 0; j < d->n_out; j++) {
    nf_code acc = nf_fixed_cast(&d->accum_t, d->bias[j], &d->bias_t);
    for (int i = 0; i < d->n_in; i++) {
      nf_code p = nf_fixed_cast_code(&d->accum_t, nf_fixed_mul(x[i], d->weights[(size_t)i * d->n_out + j]), fp);
      acc = nf_fixed_cast_code(&d->accum_t, acc + p, fa);
    }
    y[j] = (int64_t)nf_fixed_cast(&d->result_t, acc, &d->accum_t);
  }
}

/* ---- The block kernels ----------------------------------------------------- */

typedef enum {
  DK_NONE,
  DK_W16P16, /* accum_t <= 16 bits, wraps, truncates; products fit int16; shift 0..15 */
  DK_W16,    /* accum_t <= 16 bits, wraps, truncates; shift 0..30 */
  DK_W32,    /* accum_t <= 32 bits, wraps; any rounding; shift -31..30 */
  DK_SAT,    /* accum_t <= 31 bits, saturates (SAT, SAT_SYM, SAT_ZERO); any rounding; shift -32..30 */
  DK_PAIR,   /* pairs (AVX2 / AVX-512): accum_t <= 32 bits, wraps; shift -31..0 (exact products) */
  DK_PAIR_LOW, /* pairs: wraps, TRN / RND / RND_MIN_INF; shift 1..16, accum width + shift <= 32 */
} dense_kernel;

/* Per-layer data prepared once per call. */
typedef struct {
  dense_kernel kernel;
  int shift;              /* product frac bits minus accum frac bits */
  int32_t k, nm, om;      /* the per-product rounding constants (shift > 0) */
  int32_t lo, hi;         /* DK_SAT: accum_t's range; lo_to/hi_to what out-of-range values become */
  int32_t lo_to, hi_to;
  int acc_width;
  bool acc_signed;
  int groups;             /* outputs in fours: ceil(n_out / G) */
  int *start;             /* [groups + 1]: group g's inputs are [start[g], start[g+1]) */
  int *off;               /* an input's lanes: its index times NB */
  int16_t *val;           /* [G] per input: the four outputs' weight codes (0: none) */
  int32_t *bias_acc;      /* [groups * G]: the bias cast to accum_t (0 past n_out) */
  /* DK_PAIR, DK_PAIR_LOW: inputs in pairs (2i, 2i+1), int16 codes
   * interleaved per row; group g's pairs [pstart[g], pstart[g+1]) */
  nf_emu_isa_level isa;
  int chunk;              /* DK_PAIR_LOW: pairs summed in 16-bit lanes before they widen */
  int *pstart, *poff;     /* poff: a pair's lanes, its index times 2 NB */
  int32_t *wpair;         /* [G] per pair: the four outputs' two weight codes, low half first */
  nf_emu_lane_cast out;   /* accum_t -> result_t */
  nf_emulate_block_ops ops;
} dense_prep;

static nf_code max_abs_code(const nf_fixed_type *t) {
  nf_code lo = -nf_fixed_min_code(t), hi = nf_fixed_max_code(t);
  return lo > hi ? lo : hi;
}

/* Which kernel layer l takes (DK_NONE: the per-row reference). */
static dense_kernel choose(const nf_design_layer *l, dense_prep *p) {
  const nf_fixed_type *a = &l->accum_t;
  if (!nf_emu_fits16(&l->input_t) || !nf_emu_fits16(&l->weight_t) || !nf_emu_fits32(a)) return DK_NONE;
  int s = nf_fixed_frac_bits(&l->input_t) + nf_fixed_frac_bits(&l->weight_t) - nf_fixed_frac_bits(a);
  p->shift = s;
  p->acc_width = a->width;
  p->acc_signed = a->is_signed;
  if (!nf_emu_lane_cast_plan(&l->result_t, a, &p->out) || s > 30) return DK_NONE;
  if (s > 0) {
    int64_t k, nm, om;
    nf_emu_round_consts(a->q, s, &k, &nm, &om);
    p->k = (int32_t)k, p->nm = (int32_t)nm, p->om = (int32_t)om;
  }
  bool trn = s <= 0 || a->q == NF_Q_TRN;
  p->isa = nf_emu_isa();
  if (a->o == NF_O_WRAP && p->isa >= NF_EMU_ISA_AVX2) {
    if (s <= 0 && s >= -31) return DK_PAIR;
    /* the rounding constant alone (no sign- or parity-dependent term) */
    if (s >= 1 && s <= 16 && a->width + s <= 32 && !p->nm && !p->om) {
      p->chunk = (int)(65535 / (((int32_t)1 << s) - 1)); /* lanes of (p + k) mod 2^s */
      return DK_PAIR_LOW;
    }
  }
  if (a->o == NF_O_WRAP) {
    if (a->width <= 16 && trn && s >= 0) {
      nf_code bound = max_abs_code(&l->input_t) * max_abs_code(&l->weight_t);
      return bound < 32768 && s <= 15 ? DK_W16P16 : DK_W16;
    }
    return s >= -31 ? DK_W32 : DK_NONE;
  }
  if (a->width > (a->is_signed ? 31 : 30) || s < -32) return DK_NONE;
  p->lo = (int32_t)nf_fixed_min_code(a);
  p->hi = (int32_t)nf_fixed_max_code(a);
  if (a->o == NF_O_SAT_SYM && a->is_signed) p->lo = -p->hi;
  bool zero = a->o == NF_O_SAT_ZERO;
  p->lo_to = zero ? 0 : p->lo;
  p->hi_to = zero ? 0 : p->hi;
  return DK_SAT;
}

#define NB NF_EMU_BLOCK
#define G 4
#define LANES _Pragma("omp simd")

/* Every kernel takes the outputs four at a time (one load of an input's
 * lanes feeds four accumulators): group g holds outputs 4g..4g+3 and the
 * inputs where any of them has a nonzero weight; a zero weight among them
 * contributes exactly 0 in every mode (its rounded product is 0, inside
 * every accum_t's range). GROUP runs UPDATE(acc, x, w) on the four
 * accumulators of type T for each such input and lane, then STORE(acc, j)
 * for the outputs that exist. */
#define GROUP(T, WT, UPDATE, STORE)                                                                 \
  for (int g = 0; g < p->groups; g++) {                                                             \
    T a0[NB], a1[NB], a2[NB], a3[NB];                                                               \
    const int32_t *bg = p->bias_acc + (size_t)g * G;                                                \
    for (int b = 0; b < NB; b++) a0[b] = (T)bg[0], a1[b] = (T)bg[1], a2[b] = (T)bg[2], a3[b] = (T)bg[3]; \
    for (int k = p->start[g]; k < p->start[g + 1]; k++) {                                           \
      const int16_t *xi = x + p->off[k];                                                            \
      const int16_t *wk = p->val + (size_t)k * G;                                                   \
      WT w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3];                                            \
      LANES for (int b = 0; b < NB; b++) {                                                          \
        WT v = xi[b];                                                                               \
        UPDATE(a0[b], v, w0);                                                                       \
        UPDATE(a1[b], v, w1);                                                                       \
        UPDATE(a2[b], v, w2);                                                                       \
        UPDATE(a3[b], v, w3);                                                                       \
      }                                                                                             \
    }                                                                                               \
    int j = g * G;                                                                                  \
    STORE(a0, j);                                                                                   \
    if (j + 1 < n_out) STORE(a1, j + 1);                                                            \
    if (j + 2 < n_out) STORE(a2, j + 2);                                                            \
    if (j + 3 < n_out) STORE(a3, j + 3);                                                            \
  }

/* 16-bit lanes, wrapping: floor(x * w / 2^s) with the shift a constant so
 * that the lanes stay 16 bits wide: the product itself when it fits 16 bits
 * (p16), else its high and low halves (s < 16) or its high half alone. */
#define UPD_P16(a, v, w) a += (uint16_t)((int16_t)(v * w) >> s)
/* (the high half is shifted as uint32_t: a uint16_t promotes to int, and
 * shifting 16 places at s = 0 would overflow it) */
#define UPD_HL(a, v, w) a += (uint16_t)((uint16_t)((uint32_t)(uint16_t)(int16_t)((v * w) >> 16) << (16 - s)) | (uint16_t)((uint16_t)(v * w) >> s))
#define UPD_HI(a, v, w) a += (uint16_t)((int16_t)((v * w) >> 16) >> (s - 16))
/* Sign-extends (or masks) the low acc_width bits into int32. */
#define STORE16(a, j)                                                                              \
  do {                                                                                             \
    int32_t *aj = acc + (size_t)(j) * NB;                                                          \
    if (p->acc_signed)                                                                             \
      for (int b = 0; b < NB; b++) aj[b] = (int32_t)((uint32_t)a[b] << up) >> up;                  \
    else                                                                                           \
      for (int b = 0; b < NB; b++) aj[b] = (int32_t)(a[b] & (0xffffu >> (16 - p->acc_width)));     \
  } while (0)

static inline __attribute__((always_inline)) void w16_body(const dense_prep *p, int n_out, const int16_t *restrict x,
                                                           int32_t *restrict acc, const int s, const bool p16) {
  int up = 32 - p->acc_width;
  if (p16) {
    GROUP(uint16_t, int16_t, UPD_P16, STORE16)
  } else if (s < 16) {
    GROUP(uint16_t, int16_t, UPD_HL, STORE16)
  } else {
    GROUP(uint16_t, int16_t, UPD_HI, STORE16)
  }
}

#define W16_CASE(S)                      \
  case S:                                \
    w16_body(p, n_out, x, acc, S, false); \
    break;
NF_CLONES static void dense_w16(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc) {
  switch (p->shift) {
    W16_CASE(0) W16_CASE(1) W16_CASE(2) W16_CASE(3) W16_CASE(4) W16_CASE(5) W16_CASE(6) W16_CASE(7)
    W16_CASE(8) W16_CASE(9) W16_CASE(10) W16_CASE(11) W16_CASE(12) W16_CASE(13) W16_CASE(14) W16_CASE(15)
    W16_CASE(16) W16_CASE(17) W16_CASE(18) W16_CASE(19) W16_CASE(20) W16_CASE(21) W16_CASE(22) W16_CASE(23)
    W16_CASE(24) W16_CASE(25) W16_CASE(26) W16_CASE(27) W16_CASE(28) W16_CASE(29) W16_CASE(30)
  default: break; /* choose() allows 0..30 only */
  }
}
#undef W16_CASE

#define P16_CASE(S)                     \
  case S:                               \
    w16_body(p, n_out, x, acc, S, true); \
    break;
NF_CLONES static void dense_w16p16(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc) {
  switch (p->shift) {
    P16_CASE(0) P16_CASE(1) P16_CASE(2) P16_CASE(3) P16_CASE(4) P16_CASE(5) P16_CASE(6) P16_CASE(7)
    P16_CASE(8) P16_CASE(9) P16_CASE(10) P16_CASE(11) P16_CASE(12) P16_CASE(13) P16_CASE(14) P16_CASE(15)
  default: break; /* choose() allows 0..15 only */
  }
}
#undef P16_CASE

/* 32-bit wrapping lanes, any rounding mode: r = (p + k + (p < 0 ? nm : 0) +
 * (floor odd ? om : 0)) >> s, or p << -s; |p| <= 2^30 and s <= 30 keep every
 * term inside int32. */
#define UPD_LEFT(a, v, w) a += (uint32_t)(v * w) << -s
#define UPD_TRN(a, v, w) a += (uint32_t)((v * w) >> s)
#define UPD_RND(a, v, w)                                                             \
  do {                                                                               \
    int32_t q_ = v * w;                                                              \
    a += (uint32_t)((q_ + kk + ((q_ >> 31) & nm) + ((q_ >> s) & om)) >> s);          \
  } while (0)
#define STORE32(a, j)                                                                \
  do {                                                                               \
    int32_t *aj = acc + (size_t)(j) * NB;                                            \
    if (p->acc_signed)                                                               \
      for (int b = 0; b < NB; b++) aj[b] = (int32_t)(a[b] << up) >> up;              \
    else                                                                             \
      for (int b = 0; b < NB; b++) aj[b] = (int32_t)(a[b] & (0xffffffffu >> up));    \
  } while (0)
NF_CLONES static void dense_w32(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc) {
  int s = p->shift, up = 32 - p->acc_width;
  int32_t kk = p->k, nm = p->nm, om = p->om;
  if (s <= 0) {
    GROUP(uint32_t, int32_t, UPD_LEFT, STORE32)
  } else if (!kk && !nm && !om) {
    GROUP(uint32_t, int32_t, UPD_TRN, STORE32)
  } else {
    GROUP(uint32_t, int32_t, UPD_RND, STORE32)
  }
}

/* Saturating accum_t: each product rounded (64-bit: a left shift may pass
 * 32 bits) and brought into range, then each partial sum, in order. */
#define UPD_SAT(a, v, w)                                                                          \
  do {                                                                                            \
    int64_t q_ = v * w;                                                                           \
    q_ = s > 0 ? (q_ + kk + ((q_ >> 63) & nm) + ((q_ >> s) & om)) >> s : (int64_t)((uint64_t)q_ << -s); \
    q_ = q_ < lo ? lo_to : q_ > hi ? hi_to : q_;                                                  \
    q_ += a;                                                                                      \
    a = (int32_t)(q_ < lo ? lo_to : q_ > hi ? hi_to : q_);                                        \
  } while (0)
#define STORE_SAT(a, j) memcpy(acc + (size_t)(j) * NB, a, sizeof a)
NF_CLONES static void dense_sat(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc) {
  int s = p->shift;
  int64_t kk = p->k, nm = p->nm, om = p->om, lo = p->lo, hi = p->hi, lo_to = p->lo_to, hi_to = p->hi_to;
  GROUP(int32_t, int64_t, UPD_SAT, STORE_SAT)
}

/* The pair kernels: inputs 2i and 2i+1 side by side in each row's two
 * int16 lanes, so that one multiply-add of int16 pairs (vpmaddwd, or
 * vpdpwssd with VNNI) gives x[2i] w[2i] + x[2i+1] w[2i+1] in an int32 lane,
 * modulo 2^32 (so even its one overflow, (-2^15)^2 * 2, is right).
 *  - DK_PAIR (shift s <= 0, the product's cast to accum_t exact): the sum
 *    of the products modulo 2^32, shifted left by -s, plus the bias, wrapped
 *    to accum_t's W bits once: every term is exact and wrapping is
 *    reduction modulo 2^W, which commutes with the sum.
 *  - DK_PAIR_LOW (s >= 1, each product floored separately after adding the
 *    mode's constant k < 2^s): with q = p + k, sum floor(q / 2^s) =
 *    (sum q - sum (q mod 2^s)) / 2^s, exactly. sum q is the pairs' sum
 *    (plus k per product at the end); q mod 2^s comes from the product's
 *    low 16 bits (vpmullw, s <= 16) plus k, masked, summed in 16-bit lanes
 *    for `chunk` pairs (they cannot carry out) and subtracted from the
 *    32-bit sums. Modulo 2^32 the difference is right, it is divisible by
 *    2^s, and shifted right (logically) it is right modulo 2^(32-s), which
 *    covers accum_t's W <= 32 - s bits.
 * Outputs go four at a time, as in GROUP; zero pairs of the four are
 * skipped (their products and rounded products are 0). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* AVX-512: a block's 32 rows are two vectors of 16 rows' pairs. */
#define MADD512(a, x, w) _mm512_add_epi32(a, _mm512_madd_epi16(x, w))
#define VNNI512(a, x, w) _mm512_dpwssd_epi32(a, x, w)
#define PAIR512(NAME, TARGET, MADD)                                                                 \
  __attribute__((target(TARGET), always_inline)) static inline void NAME##_body(                    \
      const dense_prep *p, int n_out, const int16_t *x, int32_t *acc, const bool low, const bool addk) {\
    const int s = p->shift, up = 32 - p->acc_width;                                                 \
    const __m128i sh = _mm_cvtsi32_si128(low ? s : -s), upv = _mm_cvtsi32_si128(up);                \
    const __m512i mask = _mm512_set1_epi16((short)(((int32_t)1 << (low ? s : 0)) - 1));             \
    const __m512i kv = _mm512_set1_epi16((short)p->k), m16 = _mm512_set1_epi32(0xffff);             \
    for (int g = 0; g < p->groups; g++) {                                                           \
      __m512i a[G][2], l[G][2];                                                                     \
      for (int j = 0; j < G; j++) a[j][0] = a[j][1] = l[j][0] = l[j][1] = _mm512_setzero_si512();   \
      int k0 = p->pstart[g], k1 = p->pstart[g + 1], chunk = low ? p->chunk : k1 - k0 + 1;           \
      for (int c0 = k0; c0 < k1; c0 += chunk) {                                                     \
        int c1 = k1 - c0 < chunk ? k1 : c0 + chunk;                                                 \
        for (int k = c0; k < c1; k++) {                                                             \
          const int16_t *xk = x + p->poff[k];                                                       \
          __m512i x0 = _mm512_load_si512(xk), x1 = _mm512_load_si512(xk + 32);                      \
          const int32_t *wk = p->wpair + (size_t)k * G;                                             \
          for (int j = 0; j < G; j++) {                                                             \
            __m512i w = _mm512_set1_epi32(wk[j]);                                                   \
            a[j][0] = MADD(a[j][0], x0, w);                                                         \
            a[j][1] = MADD(a[j][1], x1, w);                                                         \
            if (low) {                                                                              \
              __m512i t0 = _mm512_mullo_epi16(x0, w), t1 = _mm512_mullo_epi16(x1, w);               \
              if (addk) t0 = _mm512_add_epi16(t0, kv), t1 = _mm512_add_epi16(t1, kv);               \
              l[j][0] = _mm512_add_epi16(l[j][0], _mm512_and_si512(t0, mask));                      \
              l[j][1] = _mm512_add_epi16(l[j][1], _mm512_and_si512(t1, mask));                      \
            }                                                                                       \
          }                                                                                         \
        }                                                                                           \
        if (low)                                                                                    \
          for (int j = 0; j < G; j++)                                                               \
            for (int h = 0; h < 2; h++) {                                                           \
              a[j][h] = _mm512_sub_epi32(a[j][h], _mm512_and_si512(l[j][h], m16));                  \
              a[j][h] = _mm512_sub_epi32(a[j][h], _mm512_srli_epi32(l[j][h], 16));                  \
              l[j][h] = _mm512_setzero_si512();                                                     \
            }                                                                                       \
      }                                                                                             \
      /* k per product: two per pair */                                                             \
      __m512i kk = _mm512_set1_epi32((int)((uint32_t)p->k * 2u * (uint32_t)(k1 - k0)));             \
      for (int j = 0; j < G && g * G + j < n_out; j++)                                              \
        for (int h = 0; h < 2; h++) {                                                               \
          __m512i v = low ? _mm512_srl_epi32(_mm512_add_epi32(a[j][h], kk), sh) : _mm512_sll_epi32(a[j][h], sh);\
          v = _mm512_add_epi32(v, _mm512_set1_epi32(p->bias_acc[g * G + j]));                       \
          v = p->acc_signed ? _mm512_sra_epi32(_mm512_sll_epi32(v, upv), upv)                       \
                            : _mm512_and_si512(v, _mm512_set1_epi32((int)(0xffffffffu >> up)));     \
          _mm512_store_si512(acc + (size_t)(g * G + j) * NB + 16 * h, v);                           \
        }                                                                                           \
    }                                                                                               \
  }                                                                                                 \
  /* (the variants as constants, so that the inner loops have no branches) */                       \
  __attribute__((target(TARGET))) static void NAME(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc,\
                                                  bool low) {                                       \
    if (!low) NAME##_body(p, n_out, x, acc, false, false);                                          \
    else if (p->k) NAME##_body(p, n_out, x, acc, true, true);                                       \
    else NAME##_body(p, n_out, x, acc, true, false);                                                \
  }
PAIR512(pair_avx512, "avx512f,avx512bw", MADD512)
PAIR512(pair_vnni, "avx512f,avx512bw,avx512vnni", VNNI512)

/* AVX2: eight rows' pairs a vector, the block in four quarters. */
__attribute__((target("avx2"), always_inline)) static inline void pair_avx2_body(const dense_prep *p, int n_out,
                                                                                const int16_t *x, int32_t *acc,
                                                                                const bool low, const bool addk) {
  const int s = p->shift, up = 32 - p->acc_width;
  const __m128i sh = _mm_cvtsi32_si128(low ? s : -s), upv = _mm_cvtsi32_si128(up);
  const __m256i mask = _mm256_set1_epi16((short)(((int32_t)1 << (low ? s : 0)) - 1));
  const __m256i kv = _mm256_set1_epi16((short)p->k), m16 = _mm256_set1_epi32(0xffff);
  for (int g = 0; g < p->groups; g++) {
    int k0 = p->pstart[g], k1 = p->pstart[g + 1], chunk = low ? p->chunk : k1 - k0 + 1;
    for (int q = 0; q < 4; q++) {
      __m256i a[G], l[G];
      for (int j = 0; j < G; j++) a[j] = l[j] = _mm256_setzero_si256();
      for (int c0 = k0; c0 < k1; c0 += chunk) {
        int c1 = k1 - c0 < chunk ? k1 : c0 + chunk;
        for (int k = c0; k < c1; k++) {
          __m256i xv = _mm256_load_si256((const __m256i *)(x + p->poff[k] + 16 * q));
          const int32_t *wk = p->wpair + (size_t)k * G;
          for (int j = 0; j < G; j++) {
            __m256i w = _mm256_set1_epi32(wk[j]);
            a[j] = _mm256_add_epi32(a[j], _mm256_madd_epi16(xv, w));
            if (low) {
              __m256i t = _mm256_mullo_epi16(xv, w);
              if (addk) t = _mm256_add_epi16(t, kv);
              l[j] = _mm256_add_epi16(l[j], _mm256_and_si256(t, mask));
            }
          }
        }
        if (low)
          for (int j = 0; j < G; j++) {
            a[j] = _mm256_sub_epi32(a[j], _mm256_and_si256(l[j], m16));
            a[j] = _mm256_sub_epi32(a[j], _mm256_srli_epi32(l[j], 16));
            l[j] = _mm256_setzero_si256();
          }
      }
      __m256i kk = _mm256_set1_epi32((int)((uint32_t)p->k * 2u * (uint32_t)(k1 - k0)));
      for (int j = 0; j < G && g * G + j < n_out; j++) {
        __m256i v = low ? _mm256_srl_epi32(_mm256_add_epi32(a[j], kk), sh) : _mm256_sll_epi32(a[j], sh);
        v = _mm256_add_epi32(v, _mm256_set1_epi32(p->bias_acc[g * G + j]));
        v = p->acc_signed ? _mm256_sra_epi32(_mm256_sll_epi32(v, upv), upv)
                          : _mm256_and_si256(v, _mm256_set1_epi32((int)(0xffffffffu >> up)));
        _mm256_store_si256((__m256i *)(acc + (size_t)(g * G + j) * NB + 8 * q), v);
      }
    }
  }
}
__attribute__((target("avx2"))) static void pair_avx2(const dense_prep *p, int n_out, const int16_t *x, int32_t *acc,
                                                      bool low) {
  if (!low) pair_avx2_body(p, n_out, x, acc, false, false);
  else if (p->k) pair_avx2_body(p, n_out, x, acc, true, true);
  else pair_avx2_body(p, n_out, x, acc, true, false);
}
#endif

/* The pair kernels' input: x[i][r] as xp[i / 2][r][i % 2], n_in padded to even with zeros. */
NF_CLONES static void to_pairs(const int32_t *restrict x, int n_in, int16_t *restrict xp) {
  uint32_t *o = (uint32_t *)(void *)xp; /* a row's pair as one word, the first input in the low half (little-endian) */
  for (int i = 0; i + 1 < n_in; i += 2, o += NB) {
    const int32_t *x0 = x + (size_t)i * NB, *x1 = x0 + NB;
    for (int r = 0; r < NB; r++) o[r] = (uint16_t)x0[r] | (uint32_t)x1[r] << 16;
  }
  if (n_in % 2)
    for (int r = 0; r < NB; r++) o[r] = (uint16_t)x[(size_t)(n_in - 1) * NB + r];
}

static void dense_block_forward(const nf_design_layer *l, const void *state, const int32_t *x, int32_t *y,
                                void *scratch) {
  const dense_prep *p = state;
  int16_t *x16 = scratch;
  int32_t *acc = (int32_t *)(x16 + (size_t)(l->n_in + 1) / 2 * 2 * NB); /* NB int16 = 64 bytes: stays aligned */
  if (p->kernel == DK_PAIR || p->kernel == DK_PAIR_LOW) {
    to_pairs(x, l->n_in, x16);
    bool low = p->kernel == DK_PAIR_LOW;
#if defined(__x86_64__) && defined(__GNUC__)
    if (p->isa >= NF_EMU_ISA_AVX512_VNNI) pair_vnni(p, l->n_out, x16, acc, low);
    else if (p->isa == NF_EMU_ISA_AVX512) pair_avx512(p, l->n_out, x16, acc, low);
    else pair_avx2(p, l->n_out, x16, acc, low);
#endif
    nf_emu_lane_cast_run(&p->out, acc, y, l->n_out * NB);
    return;
  }
  for (size_t k = 0; k < (size_t)l->n_in * NB; k++) x16[k] = (int16_t)x[k];
  switch (p->kernel) {
  case DK_W16P16: dense_w16p16(p, l->n_out, x16, acc); break;
  case DK_W16: dense_w16(p, l->n_out, x16, acc); break;
  case DK_W32: dense_w32(p, l->n_out, x16, acc); break;
  case DK_SAT: dense_sat(p, l->n_out, x16, acc); break;
  case DK_PAIR:
  case DK_PAIR_LOW:
  case DK_NONE: return;
  }
  nf_emu_lane_cast_run(&p->out, acc, y, l->n_out * NB);
}

/* ---- Operations ------------------------------------------------------------ */

static void dense_release(void *state) {
  dense_prep *p = state;
  if (!p) return;
  free(p->start);
  free(p->off);
  free(p->val);
  free(p->bias_acc);
  free(p->pstart);
  free(p->poff);
  free(p->wpair);
  free(p);
}

/* The pair kernels' weights: per group, the pairs where any of its four
 * outputs has a nonzero weight. */
static int64_t weight_or_0(const nf_design_layer *l, int i, int j) {
  return i < l->n_in && j < l->n_out ? l->weights[(size_t)i * l->n_out + j] : 0;
}

static int pair_prepare(const nf_design_layer *l, dense_prep *p, dense_kernel k, nf_error *err) {
  int pairs = (l->n_in + 1) / 2;
  size_t used = 0;
  for (int pass = 0; pass < 2; pass++) {
    size_t at = 0;
    for (int g = 0; g < p->groups; g++) {
      if (pass) p->pstart[g] = (int)at;
      for (int q = 0; q < pairs; q++) {
        bool any = false;
        for (int j = g * G; j < g * G + G; j++) any |= weight_or_0(l, 2 * q, j) || weight_or_0(l, 2 * q + 1, j);
        if (!any) continue;
        if (pass) {
          p->poff[at] = q * 2 * NB;
          for (int j = 0; j < G; j++)
            p->wpair[at * G + (size_t)j] = (int32_t)((uint32_t)(uint16_t)weight_or_0(l, 2 * q, g * G + j) |
                                                     (uint32_t)(uint16_t)weight_or_0(l, 2 * q + 1, g * G + j) << 16);
        }
        at++;
      }
    }
    if (pass) {
      p->pstart[p->groups] = (int)at;
      break;
    }
    used = at;
    p->pstart = nf_malloc(((size_t)p->groups + 1) * sizeof *p->pstart, err);
    p->poff = nf_malloc((used ? used : 1) * sizeof *p->poff, err);
    p->wpair = nf_malloc((used ? used : 1) * G * sizeof *p->wpair, err);
    p->bias_acc = nf_calloc((size_t)p->groups * G, sizeof *p->bias_acc, err);
    if (!p->pstart || !p->poff || !p->wpair || !p->bias_acc) return NF_EINTERNAL; /* the caller releases */
  }
  for (int j = 0; j < l->n_out; j++) p->bias_acc[j] = (int32_t)nf_fixed_cast(&l->accum_t, l->bias[j], &l->bias_t);
  p->ops.forward = dense_block_forward;
  p->kernel = k;
  return NF_OK;
}

bool nf_emu_dense_pairs(const void *state) {
  const dense_prep *p = state;
  return p && (p->kernel == DK_PAIR || p->kernel == DK_PAIR_LOW);
}

static int dense_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  dense_prep *p = nf_calloc(1, sizeof *p, err);
  if (!p) return NF_EINTERNAL;
  *state = p;
  dense_kernel k = choose(l, p);
  if (k == DK_NONE) return NF_OK;
  p->groups = (l->n_out + G - 1) / G;
  if (k == DK_PAIR || k == DK_PAIR_LOW) return pair_prepare(l, p, k, err);
  size_t used = 0; /* (group, input) pairs with a nonzero weight */
  for (int g = 0; g < p->groups; g++)
    for (int i = 0; i < l->n_in; i++) {
      bool any = false;
      for (int j = g * G; j < g * G + G && j < l->n_out; j++) any |= l->weights[(size_t)i * l->n_out + j] != 0;
      used += any;
    }
  p->start = nf_malloc(((size_t)p->groups + 1) * sizeof *p->start, err);
  p->off = nf_malloc((used ? used : 1) * sizeof *p->off, err);
  p->val = nf_calloc((used ? used : 1) * G, sizeof *p->val, err);
  p->bias_acc = nf_calloc((size_t)p->groups * G, sizeof *p->bias_acc, err);
  if (!p->start || !p->off || !p->val || !p->bias_acc) return NF_EINTERNAL; /* the caller releases */
  size_t at = 0;
  for (int g = 0; g < p->groups; g++) {
    p->start[g] = (int)at;
    for (int i = 0; i < l->n_in; i++) {
      bool any = false;
      for (int j = g * G; j < g * G + G && j < l->n_out; j++) any |= l->weights[(size_t)i * l->n_out + j] != 0;
      if (!any) continue;
      p->off[at] = i * NB;
      for (int j = g * G; j < g * G + G && j < l->n_out; j++)
        p->val[at * G + (size_t)(j - g * G)] = (int16_t)l->weights[(size_t)i * l->n_out + j];
      at++;
    }
  }
  p->start[p->groups] = (int)at;
  for (int j = 0; j < l->n_out; j++) p->bias_acc[j] = (int32_t)nf_fixed_cast(&l->accum_t, l->bias[j], &l->bias_t);
  p->ops.forward = dense_block_forward;
  p->kernel = k;
  return NF_OK;
}

static void dense_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  (void)state;
  (void)scratch;
  dense_exact(l, x, y);
}

static const nf_emulate_block_ops *dense_block(const nf_design_layer *l, const void *state) {
  (void)l;
  const dense_prep *p = state;
  return p && p->kernel != DK_NONE ? &p->ops : NULL;
}

const nf_emulate_layer_ops nf_emulate_dense_ops = {
    .prepare = dense_prepare,
    .release = dense_release,
    .forward = dense_forward,
    .block = dense_block,
};
