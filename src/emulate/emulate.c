/* The bit-accurate emulator (SPEC §3), on integer codes.
 *
 * Two paths compute the same bits:
 *  - the exact path follows SPEC §3 literally with 128-bit codes and the
 *    fixed.h casts, for every quantization and overflow mode;
 *  - the fast path serves the common case (accum_t truncates with AP_TRN and
 *    wraps with AP_WRAP, products fit in 32 or 64 bits): flooring a product
 *    is an arithmetic shift, and two's-complement wrap is reduction modulo
 *    2^W, which commutes with addition — so the sum can run in wrapping
 *    machine integers and be wrapped to W bits once at the end. The inner
 *    loop is a multiply-shift-add over contiguous weights: vectorized. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/emulate.h"

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

static int64_t wrap_to(const nf_fixed_type *t, int64_t v) {
  uint64_t mask = t->width >= 64 ? ~0ull : (1ull << t->width) - 1;
  uint64_t u = (uint64_t)v & mask;
  if (t->is_signed && t->width < 64 && (u >> (t->width - 1)) & 1) u |= ~mask;
  return (int64_t)u;
}

/* A cast of a 64-bit code: inline for the common modes (a shift for AP_TRN,
 * wrap or clamp for AP_WRAP / AP_SAT), the general 128-bit cast otherwise. */
static inline int64_t cast64(const nf_fixed_type *to, int64_t v, int from_frac) {
  int shift = from_frac - nf_fixed_frac_bits(to);
  if (shift < 0 || shift > 62 || to->width > 62 || (shift > 0 && to->q != NF_Q_TRN) ||
      (to->o != NF_O_WRAP && to->o != NF_O_SAT))
    return (int64_t)nf_fixed_cast_code(to, v, from_frac);
  int64_t q = v >> shift; /* floor */
  int64_t hi = to->is_signed ? (INT64_C(1) << (to->width - 1)) - 1 : (INT64_C(1) << to->width) - 1;
  int64_t lo = to->is_signed ? -hi - 1 : 0;
  if (q >= lo && q <= hi) return q;
  if (to->o == NF_O_SAT) return q > hi ? hi : lo;
  return wrap_to(to, q);
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
      int64_t a = wrap_to(&d->accum_t, (int32_t)acc[j]);
      y[j] = same ? a : cast64(&d->result_t, a, fa);
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
    int64_t a = wrap_to(&d->accum_t, (int64_t)acc[j]);
    y[j] = same ? a : cast64(&d->result_t, a, fa);
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

static void activation(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int from = nf_fixed_frac_bits(&d->input_t);
  bool same = nf_fixed_type_equal(&d->input_t, &d->result_t);
  for (int j = 0; j < d->n_out; j++) {
    int64_t v = d->act == NF_ACT_RELU && x[j] < 0 ? 0 : x[j];
    y[j] = same ? v : cast64(&d->result_t, v, from);
  }
}

/* hls4ml's balanced adder tree over exp_t codes: the first half is the
 * largest power of two below n, every partial sum cast back to exp_t. */
static int64_t exp_sum_tree(const nf_fixed_type *t, const int64_t *v, int n) {
  if (n == 1) return v[0];
  int left = 1;
  while (left * 2 < n) left *= 2; /* pow2(floorlog2(n - 1)) */
  int64_t a = exp_sum_tree(t, v, left), b = exp_sum_tree(t, v + left, n - left);
  return cast64(t, a + b, nf_fixed_frac_bits(t));
}

/* The table softmax of SPEC §3 (hls4ml's "latency" / "stable"). */
static void softmax(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  const nf_softmax_tables *s = &d->softmax;
  const nf_fixed_type *in = &d->input_t;
  int n = d->n_out, nb = s->index_bits, fin = nf_fixed_frac_bits(in);
  int64_t xmax = x[0];
  for (int j = 1; j < n; j++) xmax = x[j] > xmax ? x[j] : xmax;
  /* The stable difference's type: the input's W and I, rounding, saturating. */
  nf_fixed_type diff_t = nf_fixed_type_make(in->width, in->int_bits, true);
  diff_t.q = NF_Q_RND;
  diff_t.o = NF_O_SAT;
  for (int j = 0; j < n; j++) {
    int64_t a = x[j];
    if (s->stable) a = cast64(in, cast64(&diff_t, x[j] - xmax, fin), fin);
    y[j] = s->exp_table[nf_softmax_index(a, in, nb)];
  }
  int64_t sum = exp_sum_tree(&s->exp_t, y, n);
  int64_t inv = s->inv_table[nf_softmax_index(sum, &s->exp_t, nb)];
  int fp = nf_fixed_frac_bits(&s->exp_t) + nf_fixed_frac_bits(&s->inv_t);
  for (int j = 0; j < n; j++) y[j] = cast64(&d->result_t, y[j] * inv, fp);
}

/* Per-layer data prepared once: the fast plan, int32 weights, the bias cast
 * to accum_t (then pre-shifted to the sum's scale). */
typedef struct {
  bool fast;
  fast_plan plan;
  int32_t *w32;
  int64_t *bias_acc;
} layer_prep;

static void free_prep(layer_prep *p, int n) {
  for (int i = 0; p && i < n; i++) {
    free(p[i].w32);
    free(p[i].bias_acc);
  }
  free(p);
}

static layer_prep *prepare(const nf_design *d, int upto, nf_error *err) {
  layer_prep *p = nf_calloc((size_t)upto + 1, sizeof *p, err);
  for (int li = 0; p && li <= upto; li++) {
    const nf_design_layer *l = &d->layers[li];
    if (l->kind != NF_DL_DENSE || !fast_dense(l, &p[li].plan) || getenv("NNFIRM_EMULATE_EXACT")) continue;
    size_t nk = (size_t)l->n_in * l->n_out;
    p[li].bias_acc = nf_malloc((size_t)l->n_out * sizeof(int64_t), err);
    if (p[li].plan.narrow) p[li].w32 = nf_malloc(nk * sizeof(int32_t), err);
    if (!p[li].bias_acc || (p[li].plan.narrow && !p[li].w32)) {
      free_prep(p, upto + 1);
      return NULL;
    }
    for (size_t k = 0; p[li].w32 && k < nk; k++) p[li].w32[k] = (int32_t)l->weights[k];
    for (int j = 0; j < l->n_out; j++)
      p[li].bias_acc[j] = (int64_t)nf_fixed_cast(&l->accum_t, l->bias[j], &l->bias_t);
    p[li].fast = true;
  }
  return p;
}

int nf_emulate(const nf_design *d, const int64_t *in, long n, int upto, int64_t *out, nf_error *err) {
  if (upto < 0) upto = d->n_layers - 1;
  if (upto >= d->n_layers) return nf_fail(err, NF_EINPUT, "layer index %d out of range", upto);
  int width = d->n_inputs;
  for (int i = 0; i < d->n_layers; i++) width = d->layers[i].n_out > width ? d->layers[i].n_out : width;
  layer_prep *prep = prepare(d, upto, err);
  if (!prep) return NF_EINTERNAL;
  int n_out = d->layers[upto].n_out, status = NF_OK;
#pragma omp parallel
  {
    int64_t *a = malloc((size_t)width * sizeof *a), *b = malloc((size_t)width * sizeof *b);
    void *scratch = malloc((size_t)width * sizeof(uint64_t));
    if (!a || !b || !scratch) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long r = 0; r < n; r++) {
      if (!a || !b || !scratch) continue;
      memcpy(a, in + (size_t)r * d->n_inputs, (size_t)d->n_inputs * sizeof *a);
      int64_t *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        const nf_design_layer *l = &d->layers[li];
        if (l->kind == NF_DL_DENSE && prep[li].fast)
          dense_fast(l, &prep[li].plan, prep[li].w32, cur, next, prep[li].bias_acc, scratch);
        else if (l->kind == NF_DL_DENSE)
          dense_exact(l, cur, next);
        else if (l->act == NF_ACT_SOFTMAX)
          softmax(l, cur, next);
        else
          activation(l, cur, next);
        int64_t *t = cur;
        cur = next;
        next = t;
      }
      memcpy(out + (size_t)r * n_out, cur, (size_t)n_out * sizeof *out);
    }
    free(a);
    free(b);
    free(scratch);
  }
  free_prep(prep, upto + 1);
  return status ? nf_fail(err, status, "out of memory in the emulator") : NF_OK;
}

int nf_emulate_inputs(const nf_design *d, const float *x, long n, int64_t *codes, nf_error *err) {
  int f = d->n_inputs;
  for (long r = 0; r < n; r++)
    for (int i = 0; i < f; i++) {
      double v = x[(size_t)r * f + i];
      if (d->scaler_mean) v = (v - d->scaler_mean[i]) / d->scaler_scale[i];
      nf_code k;
      if (nf_fixed_from_double(&d->input_t, v, &k, err))
        return nf_fail(err, NF_EINPUT, "row %ld, feature %d: value is not finite", r + 1, i + 1);
      codes[(size_t)r * f + i] = (int64_t)k;
    }
  return NF_OK;
}

int nf_emulate_values(const nf_design *d, const float *x, long n, int upto, double *out, nf_error *err) {
  if (upto < 0) upto = d->n_layers - 1;
  int n_out = d->layers[upto].n_out;
  int64_t *in = malloc((size_t)n * d->n_inputs * sizeof *in), *codes = malloc((size_t)n * n_out * sizeof *codes);
  int rc = (!in || !codes) ? nf_fail_oom(err, "emulator buffers") : NF_OK;
  if (!rc) rc = nf_emulate_inputs(d, x, n, in, err);
  if (!rc) rc = nf_emulate(d, in, n, upto, codes, err);
  for (long k = 0; !rc && k < (long)n * n_out; k++) out[k] = nf_fixed_to_double(&d->layers[upto].result_t, codes[k]);
  free(in);
  free(codes);
  return rc;
}
