/* Per-weight bit widths learned in training: high-granularity quantization
 * (HGQ, Sun et al., arXiv 2308.04723) for Dense kernels. Each weight has a
 * real fractional-bit parameter f; the forward pass uses the weight rounded
 * to its own grid 2^-round(f); f follows HGQ's surrogate gradient of the
 * loss plus a penalty, with its own Adam: beta per bit of every weight, or
 * beta per bit operation the generator will build for it (train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/train.h"
#include "nnfirm/util.h"

typedef struct hgq_layer {
  bool on;       /* quantized_bits kernel: per-weight bits */
  int integer;   /* the kernel quantizer's integer bits (sign extra when signed) */
  bool sign;
  int f_max;     /* full precision: the quantizer's fractional bits */
  float *f;      /* [n] fractional bits (real; used rounded) */
  float *f_best; /* [n] f at the last snapshot (the best epoch) */
  float *m, *v;  /* Adam moments */
  int prev;      /* the layer whose outputs it reads (ops penalty), or -1 */
  int in_bits;   /* their quantizer's bits (ops penalty) */
} hgq_layer;

struct nf_hgq {
  const nf_model *m; /* the model trained: the transform finds its layer by address */
  int n_layers;
  int first;         /* the first layer with per-weight bits (counts Adam's steps) */
  hgq_layer *l;
  double beta, lr;
  nf_hgq_penalty penalty;
  const nf_hgq_act *act; /* per-neuron bits of the inputs (ops penalty), or NULL */
  long t; /* Adam steps of f (counted on the first layer) */
  bool snapshot; /* f_best holds a snapshot */
};

/* The coarsest grid a kept weight may use: 2 bits in all (sign + one), so
 * that the exported quantized_bits never degenerates to QKeras' 1-bit sign
 * quantizer. Below it (f rounded under f_lo) the weight is 0: HGQ's way of
 * pruning. */
static int f_lo(const hgq_layer *h) { return 2 - (h->sign ? 1 : 0) - h->integer; }

/* round(f) within [f_lo - 1, f_max]; f_lo - 1 means "no bits": zero. */
static int rounded_f(const hgq_layer *h, float f) {
  int F = (int)nearbyintf(f);
  return F < f_lo(h) - 1 ? f_lo(h) - 1 : F > h->f_max ? h->f_max : F;
}

/* quantized_bits on the weight's own grid: clip(round(w 2^F), lo, hi) 2^-F. */
static float quantize_weight(const hgq_layer *h, float w, int F) {
  if (F < f_lo(h)) return 0.0f;
  float scale = ldexpf(1.0f, F), top = ldexpf(1.0f, h->integer);
  float code = nearbyintf(w * scale), hi = top * scale - 1, lo = h->sign ? -top * scale : 0;
  code = code < lo ? lo : code > hi ? hi : code;
  return code / scale;
}

void nf_hgq_free(nf_hgq *h) {
  if (!h) return;
  for (int i = 0; h->l && i < h->n_layers; i++) {
    free(h->l[i].f);
    free(h->l[i].f_best);
    free(h->l[i].m);
    free(h->l[i].v);
  }
  free(h->l);
  free(h);
}

/* Bits of the values layer p outputs: a quantized
 * activation's (the input layer, a quantized ReLU), else NF_HGQ_FLOAT_BITS
 * (a float input: the converter's default width). */
static int output_bits(const nf_layer *p) {
  const nf_quantizer *q = &p->act_q;
  if (p->kind == NF_LAYER_ACTIVATION && (q->kind == NF_QUANT_BITS || q->kind == NF_QUANT_RELU) && q->bits > 0)
    return q->bits;
  return NF_HGQ_FLOAT_BITS;
}

nf_hgq *nf_hgq_new(nf_model *m, double beta, double lr, nf_hgq_penalty penalty, nf_error *err) {
  if (!(beta >= 0) || !(lr > 0)) {
    nf_fail(err, NF_EINPUT, "HGQ: the bit penalty must be >= 0 and the step size > 0 (got %g, %g)", beta, lr);
    return NULL;
  }
  if (penalty != NF_HGQ_PENALTY_BITS && penalty != NF_HGQ_PENALTY_OPS) {
    nf_fail(err, NF_EINPUT, "HGQ: unknown penalty %d", (int)penalty);
    return NULL;
  }
  nf_hgq *h = nf_calloc(1, sizeof *h, err);
  if (!h) return NULL;
  h->m = m;
  h->n_layers = m->n_layers;
  h->beta = beta;
  h->lr = lr;
  h->penalty = penalty;
  h->l = nf_calloc((size_t)m->n_layers, sizeof *h->l, err);
  bool ok = h->l != NULL, any = false;
  for (int i = 0; ok && i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    const nf_quantizer *q = &l->kernel_q;
    if (l->kind != NF_LAYER_DENSE || q->kind != NF_QUANT_BITS) continue;
    hgq_layer *hl = &h->l[i];
    size_t n = (size_t)l->n_in * l->n_out;
    if (!any) h->first = i;
    hl->on = any = true;
    hl->integer = q->integer;
    hl->sign = q->keep_negative;
    hl->f_max = q->bits - (q->keep_negative ? 1 : 0) - q->integer;
    ok = (hl->f = nf_malloc(n * sizeof *hl->f, err)) && (hl->f_best = nf_malloc(n * sizeof *hl->f, err)) &&
         (hl->m = nf_calloc(n, sizeof *hl->m, err)) &&
         (hl->v = nf_calloc(n, sizeof *hl->v, err));
    for (size_t k = 0; ok && k < n; k++) hl->f[k] = (float)hl->f_max;
    hl->prev = i - 1;
    hl->in_bits = i > 0 ? output_bits(&m->layers[i - 1]) : NF_HGQ_FLOAT_BITS;
  }
  if (ok && !any) ok = !nf_fail(err, NF_EINPUT, "HGQ needs quantized_bits kernels (e.g. --bits 8) to start from");
  if (!ok) {
    nf_hgq_free(h);
    return NULL;
  }
  return h;
}

static const hgq_layer *layer_of(const nf_hgq *h, const nf_layer *l) {
  long i = l - h->m->layers;
  return i >= 0 && i < h->n_layers && h->l[i].on ? &h->l[i] : NULL;
}

static void hgq_transform(const nf_layer *l, const float *w, float *w_eff, long n, void *ctx) {
  const hgq_layer *hl = layer_of(ctx, l);
  if (!hl) { /* not quantized_bits: the layer's own quantizer */
    for (long k = 0; k < n; k++) w_eff[k] = (float)nf_quantizer_apply(&l->kernel_q, w[k]);
    return;
  }
  for (long k = 0; k < n; k++) w_eff[k] = quantize_weight(hl, w[k], rounded_f(hl, hl->f[k]));
}

void nf_hgq_set_act(nf_hgq *h, const nf_hgq_act *a) { h->act = a; }

/* Bits of input r of layer hl: the per-neuron bits HGQ activations give it
 * now, else its quantizer's. */
static int input_bits(const nf_hgq *h, const hgq_layer *hl, int r) {
  int b = h->act && hl->prev >= 0 ? nf_hgq_act_neuron_bits(h->act, hl->prev, r) : -1;
  return b >= 0 ? b : hl->in_bits;
}

/* The ops penalty's slope in f for weight w at grid F reading b bits: the
 * bit operations b D(w_q) the last bit costs, b (D(w at F) - D(w at F-1))
 * (all of b D(w_q) when one bit less is zero; for a zero weight, what the
 * first bit would cost), at least b / 3 (a NAF digit per three bits on
 * average: the expected cost of a bit where this one's digit is 0). */
static float ops_slope(const hgq_layer *hl, float w, int F, int b) {
  int lo = f_lo(hl);
  float d_at = (float)nf_hgq_csd_digits(quantize_weight(hl, w, F < lo ? lo : F));
  float d_less = F < lo ? 0.0f : (float)nf_hgq_csd_digits(quantize_weight(hl, w, F - 1));
  float slope = (float)b * (d_at - d_less), least = (float)b / 3.0f;
  return slope > least ? slope : least;
}

float nf_hgq_ops_slope(float w, int F, int integer, bool sign, int b) {
  hgq_layer hl = {.integer = integer, .sign = sign};
  return ops_slope(&hl, w, F, b);
}

/* dL/df = -ln2 (w_q - w) dL/dw_q + beta s (HGQ's surrogate gradient and the
 * penalty's slope: s = 1 per bit, or ops_slope), then an Adam step on f
 * (Keras' constants). */
static void hgq_gradients(nf_model *m, int layer, const float *w_eff, const float *dw, void *ctx) {
  nf_hgq *h = ctx;
  hgq_layer *hl = &h->l[layer];
  if (!hl->on) return;
  const nf_layer *l = &m->layers[layer];
  if (layer == h->first) h->t++;
  double b1 = 0.9, b2 = 0.999;
  float lr_t = (float)(h->lr * sqrt(1 - pow(b2, (double)h->t)) / (1 - pow(b1, (double)h->t)));
  float lo = (float)(f_lo(hl) - 1) - 0.49f, hi = (float)hl->f_max + 0.49f, beta = (float)h->beta;
  const float ln2 = 0.69314718f;
  bool ops = h->penalty == NF_HGQ_PENALTY_OPS;
  for (long k = 0; k < (long)l->n_in * l->n_out; k++) {
    if (l->mask && !l->mask[k]) continue;
    float s = ops ? ops_slope(hl, l->kernel[k], rounded_f(hl, hl->f[k]), input_bits(h, hl, (int)(k / l->n_out))) : 1.0f;
    float g = -ln2 * (w_eff[k] - l->kernel[k]) * dw[k] + beta * s;
    hl->m[k] = 0.9f * hl->m[k] + 0.1f * g;
    hl->v[k] = 0.999f * hl->v[k] + 0.001f * g * g;
    float f = hl->f[k] - lr_t * hl->m[k] / (sqrtf(hl->v[k]) + 1e-7f);
    hl->f[k] = f < lo ? lo : f > hi ? hi : f;
  }
}

void nf_hgq_attach(nf_hgq *h, nf_train_opts *o) {
  o->transform = hgq_transform;
  o->transform_ctx = h;
  o->on_gradients = hgq_gradients;
  o->grad_ctx = h;
}

void nf_hgq_snapshot(nf_hgq *h) {
  for (int i = 0; i < h->n_layers; i++) {
    const hgq_layer *hl = &h->l[i];
    const nf_layer *l = &h->m->layers[i];
    if (hl->on) memcpy(hl->f_best, hl->f, (size_t)l->n_in * l->n_out * sizeof *hl->f);
  }
  h->snapshot = true;
}

void nf_hgq_export(const nf_hgq *h, nf_model *m) {
  for (int i = 0; i < m->n_layers && i < h->n_layers; i++) {
    const hgq_layer *hl = &h->l[i];
    nf_layer *l = &m->layers[i];
    if (!hl->on) continue;
    const float *f = h->snapshot ? hl->f_best : hl->f;
    int widest = f_lo(hl);
    for (long k = 0; k < (long)l->n_in * l->n_out; k++) {
      int F = rounded_f(hl, f[k]);
      l->kernel[k] = quantize_weight(hl, l->kernel[k], F);
      if (l->kernel[k] != 0 && F > widest) widest = F;
    }
    /* the widest grid a nonzero weight uses: every weight is on it, in range */
    l->kernel_q.bits = (hl->sign ? 1 : 0) + hl->integer + widest;
  }
}
