/* Dense in the emulator, two paths that compute the same bits:
 *  - the exact path follows SPEC §3 literally with 128-bit codes and the
 *    fixed.h casts, for every quantization and overflow mode;
 *  - the fast path serves the common case (accum_t truncates with AP_TRN and
 *    wraps with AP_WRAP, products fit in 32 or 64 bits): flooring a product
 *    is an arithmetic shift, and two's-complement wrap is reduction modulo
 *    2^W, which commutes with addition — so the sum can run in wrapping
 *    machine integers and be wrapped to W bits once at the end. The inner
 *    loop is a multiply-shift-add over contiguous weights: vectorized.
 * NNFIRM_EMULATE_EXACT=1 in the environment forces the exact path. */
#include <stdlib.h>
#include <string.h>

#include "layers.h"

typedef struct {
  int shift;     /* product frac bits minus accum frac bits (> 0: floor shift right) */
  bool narrow;   /* products fit in int32 (then the sum wraps mod 2^32) */
} fast_plan;

/* Whether layer d can take the fast path, and how. */
static bool fast_dense(const nf_design_layer *d, fast_plan *p) {
  const nf_fixed_type *a = &d->accum_t;
  int fp = nf_fixed_frac_bits(&d->input_t) + nf_fixed_frac_bits(&d->weight_t);
  p->shift = fp - nf_fixed_frac_bits(a);
  if (a->o != NF_O_WRAP || (p->shift > 0 && a->q != NF_Q_TRN)) return false;
  if (d->input_t.width > 62 || d->weight_t.width > 62 || a->width > 62 || p->shift < -30) return false;
  /* The largest product magnitude decides the machine width. */
  nf_code bx = -nf_fixed_min_code(&d->input_t), bw = -nf_fixed_min_code(&d->weight_t);
  if (nf_fixed_max_code(&d->input_t) > bx) bx = nf_fixed_max_code(&d->input_t);
  if (nf_fixed_max_code(&d->weight_t) > bw) bw = nf_fixed_max_code(&d->weight_t);
  nf_code bound = bx * bw;
  if (bound >= ((nf_code)1 << 62)) return false;
  p->narrow = bound < ((nf_code)1 << 31) && a->width <= 32 && p->shift >= 0;
  return true;
}

__attribute__((target_clones("avx2", "default")))
static void mac_narrow(const int32_t *w, int32_t x, int shift, int n, uint32_t *acc) {
  /* acc[j] += floor(x * w[j] / 2^shift), wrapping mod 2^32 */
  for (int j = 0; j < n; j++) acc[j] += (uint32_t)((x * w[j]) >> shift);
}

static void dense_fast(const nf_design_layer *d, const fast_plan *p, const int32_t *w32, const int64_t *x,
                       int64_t *y, int64_t *bias_acc, void *scratch) {
  int n_in = d->n_in, n_out = d->n_out;
  /* With accum_t == result_t (hls4ml's default) the result cast is the identity. */
  bool same = nf_fixed_type_equal(&d->accum_t, &d->result_t);
  int fa = nf_fixed_frac_bits(&d->accum_t);
  if (p->narrow) {
    uint32_t *acc = scratch;
    for (int j = 0; j < n_out; j++) acc[j] = (uint32_t)bias_acc[j];
    for (int i = 0; i < n_in; i++)
      if (x[i]) mac_narrow(w32 + (size_t)i * n_out, (int32_t)x[i], p->shift, n_out, acc);
    for (int j = 0; j < n_out; j++) {
      int64_t a = nf_emu_wrap(&d->accum_t, (int32_t)acc[j]);
      y[j] = same ? a : nf_emu_cast(&d->result_t, a, fa);
    }
    return;
  }
  uint64_t *acc = scratch;
  for (int j = 0; j < n_out; j++) acc[j] = (uint64_t)bias_acc[j];
  for (int i = 0; i < n_in; i++) {
    if (!x[i]) continue;
    const int64_t *wr = d->weights + (size_t)i * n_out;
    for (int j = 0; j < n_out; j++) {
      int64_t prod = x[i] * wr[j];
      acc[j] += p->shift >= 0 ? (uint64_t)(prod >> p->shift) : (uint64_t)prod << -p->shift;
    }
  }
  for (int j = 0; j < n_out; j++) {
    int64_t a = nf_emu_wrap(&d->accum_t, (int64_t)acc[j]);
    y[j] = same ? a : nf_emu_cast(&d->result_t, a, fa);
  }
}

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


/* Per-layer data prepared once: the fast plan, int32 weights, the bias cast
 * to accum_t. */
typedef struct {
  bool fast;
  fast_plan plan;
  int32_t *w32;
  int64_t *bias_acc;
} dense_prep;

static void dense_release(void *state) {
  dense_prep *p = state;
  if (!p) return;
  free(p->w32);
  free(p->bias_acc);
  free(p);
}

static int dense_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  dense_prep *p = nf_calloc(1, sizeof *p, err);
  if (!p) return NF_EINTERNAL;
  *state = p;
  if (!fast_dense(l, &p->plan) || getenv("NNFIRM_EMULATE_EXACT")) return NF_OK;
  size_t nk = (size_t)l->n_in * l->n_out;
  p->bias_acc = nf_malloc((size_t)l->n_out * sizeof(int64_t), err);
  if (p->plan.narrow) p->w32 = nf_malloc(nk * sizeof(int32_t), err);
  if (!p->bias_acc || (p->plan.narrow && !p->w32)) return NF_EINTERNAL; /* the caller releases */
  for (size_t k = 0; p->w32 && k < nk; k++) p->w32[k] = (int32_t)l->weights[k];
  for (int j = 0; j < l->n_out; j++) p->bias_acc[j] = (int64_t)nf_fixed_cast(&l->accum_t, l->bias[j], &l->bias_t);
  p->fast = true;
  return NF_OK;
}

static void dense_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  const dense_prep *p = state;
  if (p->fast) dense_fast(l, &p->plan, p->w32, x, y, p->bias_acc, scratch);
  else dense_exact(l, x, y);
}

const nf_emulate_layer_ops nf_emulate_dense_ops = {
    .prepare = dense_prepare,
    .release = dense_release,
    .forward = dense_forward,
};
