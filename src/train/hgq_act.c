/* Per-neuron activation bit widths learned in training: high-granularity
 * quantization (HGQ, Sun et al., arXiv 2308.04723) of the hidden ReLU
 * outputs. Each neuron j has a real fractional-bit parameter f_j (used
 * rounded, F_j = round(f_j)) and an integer-bit count I_j from the range it
 * was seen to take; its output is quantized to its own grid,
 *   TRN/WRAP: code = floor(y 2^F) mod 2^b      RND/SAT: code = min(floor(y 2^F + 1/2), 2^b - 1)
 *   y_q = code 2^-F,  b = I + F bits (0 bits: the neuron is the constant 0),
 * and after training the model gets a FixedPointQuantizer layer with these
 * element types after each such ReLU, so the float model, the emulator and
 * the RTL compute what training computed.
 *
 * Integer bits (HGQ sets them from the largest activation seen in
 * training): I_j is the fewest bits with 2^I_j > (1 + margin) * max_j, max_j
 * the largest ReLU output of neuron j over the training rows of this epoch
 * so far and of the whole previous epoch (HGQ resets its range every epoch);
 * margin 0.25 under WRAP (a value beyond the range wraps around), 0 under
 * SAT (it saturates). A neuron never positive in that window has 0 bits.
 *
 * The loss adds beta * sum_j b_j * D_j, the bits the generator builds for
 * neuron j: the RTL (src/rtl/dense.c) builds each nonzero weight w_jk of the
 * next Dense as a canonical-signed-digit shift-add of x_j, one b_j-wide
 * operand per nonzero digit (phase 1's trees of x_j, then phase 2's adder
 * tree of output k), so D_j is the number of nonzero CSD digits of the
 * weights reading j (at least its fan-out: the nonzero weights reading it).
 * Not modelled: the sharing of equal constants between outputs (the RTL
 * builds x_j * c once per distinct |c|), the widening of each adder by the
 * weight's own bits and by carries, pipeline registers, and the rounding
 * and saturation logic of RND/SAT (TRN/WRAP is a bit slice, free).
 *
 * f_j learns from HGQ's surrogate gradient (the quantization error
 * d = y_q - y shrinks like 2^-f: dL/df = sum over rows of -ln2 d dL/dy_q)
 * plus beta D_j, with its own Adam; y keeps the straight-through gradient
 * (nothing is clipped in training: the range includes the current batch). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/train.h"
#include "nnfirm/util.h"

typedef struct act_layer {
  bool on;      /* a ReLU after a quantized Dense: per-neuron bits */
  int dense;    /* the Dense that reads it (fan-out), or -1 */
  int n;        /* neurons */
  int f_max;    /* start and upper bound of f */
  float *f, *f_best;          /* [n] fractional bits (real; used rounded) */
  float *m, *v;               /* [n] Adam moments */
  float *max_prev, *max_cur;  /* [n] largest output: the previous epoch, this one so far */
  float *max_best;            /* [n] the range at the snapshot */
  float *digits;              /* [n] D_j of the last backward pass */
  int relu_integer;           /* the ReLU quantizer's integer bits (NF_HGQ_ACT_NO_CAP: none) */
} act_layer;

struct nf_hgq_act {
  const nf_model *m;
  int n_layers;
  int last; /* the last layer with per-neuron bits: the first the backward pass visits (counts Adam's steps) */
  act_layer *l;
  double beta, lr, margin;
  bool sat; /* RND/SAT, else TRN/WRAP */
  bool relu_range; /* integer bits at most the ReLU quantizer's (nf_hgq_act_keep_relu_range) */
  long t;
  bool snapshot;
};

/* ---- The quantizer ------------------------------------------------------------ */

int nf_hgq_act_integer_bits(float max, double margin) {
  double r = (1 + margin) * (double)max;
  if (!(r > 0)) return -64; /* never positive: no bits */
  int I = (int)floor(log2(r)) + 1;
  while (ldexp(1, I) <= r) I++; /* 2^I > r */
  while (I > -63 && ldexp(1, I - 1) > r) I--;
  return I;
}

int nf_hgq_act_bits(int integer, int F) {
  int b = integer + F;
  return integer <= -64 || b < 0 ? 0 : b;
}

float nf_hgq_act_quantize(float y, int integer, int F, bool sat) {
  int b = nf_hgq_act_bits(integer, F);
  if (b == 0 || !(y > 0)) return y != y ? y : 0.0f; /* a NaN survives (a diverging run must show) */
  double code = floor(ldexp((double)y, F) + (sat ? 0.5 : 0.0)), top = ldexp(1, b);
  code = sat ? (code > top - 1 ? top - 1 : code) : fmod(code, top);
  return (float)ldexp(code, -F);
}

/* Nonzero canonical-signed-digit (NAF) digits of |w| on its own grid:
 * popcount((3c ^ c) >> 1) for the whole number c = |w| 2^k. */
int nf_hgq_csd_digits(float w) {
  if (w == 0 || !isfinite(w)) return 0;
  int e;
  uint64_t c = (uint64_t)ldexp(frexp(fabs((double)w), &e), 30); /* float's 24 bits, whole */
  uint64_t h = ((3 * c) ^ c) >> 1;
  int n = 0;
  for (; h; h &= h - 1) n++;
  return n;
}

float nf_hgq_act_f_grad(const float *x, const float *y_q, const float *dy, int n, int w, int j, float top) {
  const float ln2 = 0.69314718f;
  float g = 0;
  for (int r = 0; r < n; r++) {
    size_t e = (size_t)r * w + j;
    if (x[e] > top) continue; /* saturated: an error no fraction bit changes */
    float y = x[e] > 0 ? x[e] : 0; /* relu(x): the value before its quantization */
    g += -ln2 * (y_q[e] - y) * dy[e];
  }
  return g;
}

/* ---- Set-up ----------------------------------------------------------------- */

void nf_hgq_act_free(nf_hgq_act *h) {
  if (!h) return;
  for (int i = 0; h->l && i < h->n_layers; i++) {
    act_layer *a = &h->l[i];
    free(a->f);
    free(a->f_best);
    free(a->m);
    free(a->v);
    free(a->max_prev);
    free(a->max_cur);
    free(a->max_best);
    free(a->digits);
  }
  free(h->l);
  free(h);
}

/* The Dense before ReLU li (through Dropout), or -1; and the one after it. */
static int dense_before(const nf_model *m, int li) {
  for (int k = li - 1; k >= 0; k--) {
    nf_layer_kind kind = m->layers[k].kind;
    if (kind == NF_LAYER_DENSE) return k;
    if (kind != NF_LAYER_DROPOUT) return -1;
  }
  return -1;
}

static int dense_after(const nf_model *m, int li) {
  for (int k = li + 1; k < m->n_layers; k++) {
    nf_layer_kind kind = m->layers[k].kind;
    if (kind == NF_LAYER_DENSE) return k;
    if (kind != NF_LAYER_DROPOUT) return -1;
  }
  return -1;
}

static bool alloc_layer(act_layer *a, int n, nf_error *err) {
  float **arrays[] = {&a->f, &a->f_best, &a->m, &a->v, &a->max_prev, &a->max_cur, &a->max_best, &a->digits};
  for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
    if (!(*arrays[k] = nf_calloc((size_t)n, sizeof(float), err))) return false;
  return true;
}

nf_hgq_act *nf_hgq_act_new(nf_model *m, double beta, double lr, bool sat, nf_error *err) {
  if (!(beta >= 0) || !(lr > 0)) {
    nf_fail(err, NF_EINPUT, "HGQ activations: the bit penalty must be >= 0 and the step size > 0 (got %g, %g)", beta,
            lr);
    return NULL;
  }
  nf_hgq_act *h = nf_calloc(1, sizeof *h, err);
  if (!h) return NULL;
  h->m = m;
  h->n_layers = m->n_layers;
  h->beta = beta;
  h->lr = lr;
  h->sat = sat;
  h->margin = sat ? 0 : 0.25;
  h->last = -1;
  bool ok = (h->l = nf_calloc((size_t)m->n_layers, sizeof *h->l, err)) != NULL;
  for (int i = 0; ok && i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    int d = l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_RELU ? dense_before(m, i) : -1;
    if (d < 0 || m->layers[d].kernel_q.kind != NF_QUANT_BITS) continue;
    act_layer *a = &h->l[i];
    a->on = true;
    a->n = l->n_out;
    a->dense = dense_after(m, i);
    /* start at the ReLU quantizer's fraction bits (--bits N: N), else 8 */
    a->f_max = l->act_q.kind == NF_QUANT_RELU ? l->act_q.bits - l->act_q.integer : 8;
    a->relu_integer = l->act_q.kind == NF_QUANT_RELU ? l->act_q.integer : NF_HGQ_ACT_NO_CAP;
    if (a->f_max < 1) a->f_max = 1;
    h->last = i;
    ok = alloc_layer(a, a->n, err);
    for (int j = 0; ok && j < a->n; j++) a->f[j] = a->f_best[j] = (float)a->f_max;
    l->act_q = (nf_quantizer){0}; /* the per-neuron grid replaces the layer's quantizer */
  }
  if (ok && h->last < 0)
    ok = !nf_fail(err, NF_EINPUT, "HGQ activations need ReLUs after quantized_bits Dense kernels (e.g. --bits 8)");
  if (ok && nf_model_find_layer(m, NF_QAT_INPUT_LAYER) < 0)
    ok = !nf_fail(err, NF_EINPUT, "HGQ activations need the quantized input layer '%s' (QAT)", NF_QAT_INPUT_LAYER);
  if (!ok) {
    nf_hgq_act_free(h);
    return NULL;
  }
  return h;
}

/* ---- Training hooks ----------------------------------------------------------- */

static int rounded_f(const act_layer *a, float f) {
  int F = (int)nearbyintf(f);
  return F > a->f_max ? a->f_max : F;
}

static int neuron_integer(const nf_hgq_act *h, const act_layer *a, int j, bool best) {
  float mx = best ? a->max_best[j] : a->max_prev[j] > a->max_cur[j] ? a->max_prev[j] : a->max_cur[j];
  int I = nf_hgq_act_integer_bits(mx, h->margin);
  return h->relu_range && I > a->relu_integer ? a->relu_integer : I;
}

/* the top of neuron j's grid at integer bits I: (2^(I+F) - 1) 2^-F (0 without bits) */
static float neuron_top(const act_layer *a, int j, int I) {
  int F = rounded_f(a, a->f[j]);
  return nf_hgq_act_bits(I, F) > 0 ? ldexpf(1.0f, I) - ldexpf(1.0f, -F) : 0.0f;
}

int nf_hgq_act_keep_relu_range(nf_hgq_act *h, nf_error *err) {
  if (!h->sat) return nf_fail(err, NF_EINPUT, "HGQ activations: the ReLU's range needs RND/SAT (a wrap is no clip)");
  h->relu_range = true;
  return NF_OK;
}

/* y[n][w]: the range first (training rows only), then each value on its grid */
static void act_forward(const nf_model *m, int layer, float *y, int n, bool train, void *ctx) {
  (void)m;
  nf_hgq_act *h = ctx;
  act_layer *a = &h->l[layer];
  if (!a->on) return;
  int w = a->n;
  for (int r = 0; train && r < n; r++)
    for (int j = 0; j < w; j++)
      if (y[(size_t)r * w + j] > a->max_cur[j]) a->max_cur[j] = y[(size_t)r * w + j];
  for (int j = 0; j < w; j++) {
    int I = neuron_integer(h, a, j, false), F = rounded_f(a, a->f[j]);
    for (int r = 0; r < n; r++) y[(size_t)r * w + j] = nf_hgq_act_quantize(y[(size_t)r * w + j], I, F, h->sat);
  }
}

/* x[n][w] the ReLU's input, y[n][w] its quantized output, dy[n][w] the loss
 * gradient at y; w_next[w][n_next] the next Dense's effective kernel.
 * dL/df_j = sum_r -ln2 (y_q - relu(x)) dy + beta D_j, then Adam. */
static void act_backward(nf_model *m, int layer, const float *x, const float *y, const float *dy, int n,
                         const float *w_next, int n_next, void *ctx) {
  (void)m;
  nf_hgq_act *h = ctx;
  act_layer *a = &h->l[layer];
  if (!a->on) return;
  if (layer == h->last) h->t++;
  double b1 = 0.9, b2 = 0.999;
  float lr_t = (float)(h->lr * sqrt(1 - pow(b2, (double)h->t)) / (1 - pow(b1, (double)h->t)));
  int w = a->n;
  for (int j = 0; j < w; j++) {
    float D = 0;
    for (int k = 0; w_next && k < n_next; k++) D += (float)nf_hgq_csd_digits(w_next[(size_t)j * n_next + k]);
    a->digits[j] = D;
    int I = neuron_integer(h, a, j, false);
    float g = nf_hgq_act_f_grad(x, y, dy, n, w, j, h->relu_range ? neuron_top(a, j, I) : INFINITY) + (float)h->beta * D;
    if (I <= -64) continue; /* never positive yet: no bits, nothing to learn */
    a->m[j] = 0.9f * a->m[j] + 0.1f * g;
    a->v[j] = 0.999f * a->v[j] + 0.001f * g * g;
    float f = a->f[j] - lr_t * a->m[j] / (sqrtf(a->v[j]) + 1e-7f);
    /* down to no bits at all (F = -I - 1 at the widest range seen), up to the start */
    float lo = (float)(-I - 1) - 0.49f, hi = (float)a->f_max + 0.49f;
    a->f[j] = f < lo ? lo : f > hi ? hi : f;
  }
}

int nf_hgq_act_neuron_bits(const nf_hgq_act *h, int layer, int j) {
  if (!h || layer < 0 || layer >= h->n_layers || !h->l[layer].on || j < 0 || j >= h->l[layer].n) return -1;
  const act_layer *a = &h->l[layer];
  int I = neuron_integer(h, a, j, false);
  return I <= -64 ? 0 : nf_hgq_act_bits(I, rounded_f(a, a->f[j]));
}

/* With the ReLU's range: no gradient where x is past neuron j's top,
 * (2^(I+F) - 1) 2^-F (it saturates there), as quantized_relu's x_u
 * (activation.c). */
static void act_clip(const nf_model *m, int layer, const float *x, float *dx, int n, void *ctx) {
  (void)m;
  const nf_hgq_act *h = ctx;
  const act_layer *a = &h->l[layer];
  if (!a->on || !h->relu_range) return;
  for (int j = 0; j < a->n; j++) {
    float top = neuron_top(a, j, neuron_integer(h, a, j, false));
    for (int r = 0; r < n; r++)
      if (x[(size_t)r * a->n + j] > top) dx[(size_t)r * a->n + j] = 0;
  }
}

void nf_hgq_act_attach(nf_hgq_act *h, nf_train_opts *o) {
  o->act_forward = act_forward;
  o->act_backward = act_backward;
  o->act_clip = act_clip;
  o->act_ctx = h;
}

void nf_hgq_act_epoch(nf_hgq_act *h) {
  for (int i = 0; i < h->n_layers; i++) {
    act_layer *a = &h->l[i];
    if (!a->on) continue;
    memcpy(a->max_prev, a->max_cur, (size_t)a->n * sizeof *a->max_cur);
    memset(a->max_cur, 0, (size_t)a->n * sizeof *a->max_cur);
  }
}

void nf_hgq_act_snapshot(nf_hgq_act *h) {
  for (int i = 0; i < h->n_layers; i++) {
    act_layer *a = &h->l[i];
    if (!a->on) continue;
    memcpy(a->f_best, a->f, (size_t)a->n * sizeof *a->f);
    for (int j = 0; j < a->n; j++) a->max_best[j] = a->max_prev[j] > a->max_cur[j] ? a->max_prev[j] : a->max_cur[j];
  }
  h->snapshot = true;
}

/* ---- Export ------------------------------------------------------------------- */

/* The fraction bits and largest |value| of element j of the layer before a
 * Dense (the quantized input, a quantized ReLU or a FixedPointQuantizer);
 * false when it is not on a fixed grid. */
static bool elem_grid(const nf_layer *p, int j, int *frac, double *maxabs) {
  const nf_quantizer *q = &p->act_q;
  if (p->kind == NF_LAYER_ACTIVATION && q->kind == NF_QUANT_BITS && q->alpha == 1) {
    *frac = q->bits - (q->keep_negative ? 1 : 0) - q->integer;
    *maxabs = ldexp(1, q->integer);
    return true;
  }
  if (p->kind == NF_LAYER_ACTIVATION && q->kind == NF_QUANT_RELU) {
    *frac = q->bits - q->integer;
    *maxabs = ldexp(1, q->integer);
    return true;
  }
  if (p->kind == NF_LAYER_QUANT) {
    int k, b, i;
    nf_fpq_elem(p, j, &k, &b, &i);
    *frac = b - i;
    *maxabs = b ? ldexp(1, i) : 0;
    return true;
  }
  return false;
}

/* A quantized_relu that holds every value Dense d can output exactly: its
 * fraction bits those of the products and the bias, its integer bits the
 * bound sum_i |w_ij| max|x_i| + |b_j| over the outputs j. */
static int exact_relu_type(const nf_model *m, int d, nf_quantizer *out, nf_error *err) {
  const nf_layer *l = &m->layers[d];
  int p = d - 1;
  while (p >= 0 && m->layers[p].kind == NF_LAYER_DROPOUT) p--;
  const nf_quantizer *kq = &l->kernel_q, *bq = &l->bias_q;
  int fw = kq->bits - (kq->keep_negative ? 1 : 0) - kq->integer, F = -64;
  if (bq->kind == NF_QUANT_BITS && l->bias) F = bq->bits - (bq->keep_negative ? 1 : 0) - bq->integer;
  double bound = 0;
  for (int j = 0; j < l->n_out; j++) {
    double s = l->bias ? fabs((double)l->bias[j]) : 0;
    for (int i = 0; i < l->n_in; i++) {
      int fi;
      double mx;
      if (p < 0 || !elem_grid(&m->layers[p], i, &fi, &mx))
        return nf_fail(err, NF_EINPUT, "layer '%s': HGQ activations need a quantized input to this Dense", l->name);
      float w = l->kernel[(size_t)i * l->n_out + j];
      if (w == 0 || mx == 0) continue;
      if (fi + fw > F) F = fi + fw;
      s += fabs((double)w) * mx;
    }
    if (s > bound) bound = s;
  }
  if (F < 0) F = 0;
  int I = 0;
  while (ldexp(1, I) - ldexp(1, -F) < bound) I++;
  *out = (nf_quantizer){.kind = NF_QUANT_RELU, .bits = I + F, .integer = I, .alpha = 1};
  if (I + F < 1) out->bits = 1, out->integer = 1 - F;
  char where[NF_NAME_MAX + 64];
  snprintf(where, sizeof where, "layer '%s': the exact ReLU type", l->name);
  return nf_quantizer_check(out, where, err);
}

int nf_hgq_act_export(const nf_hgq_act *h, nf_model *m, nf_error *err) {
  int added = 0; /* FixedPointQuantizer layers inserted so far: model index = i + added */
  for (int i = 0; i < h->n_layers; i++) {
    const act_layer *a = &h->l[i];
    if (!a->on) continue;
    int li = i + added, d = dense_before(m, li);
    nf_layer *relu = &m->layers[li];
    if (d < 0 || relu->n_out != a->n) return nf_fail(err, NF_EINTERNAL, "HGQ activations: the model changed shape");
    char name[NF_NAME_MAX];
    snprintf(name, sizeof name, "%.*s_quantizer", NF_NAME_MAX - 12, relu->name);
    if (h->sat) {
      /* RND/SAT on the Dense's sum is the ReLU too (a negative code saturates
       * to 0): the quantizer takes the ReLU's place, so the RTL registers
       * each neuron at its own width, not at the sum's. */
      nf_model_remove_layer(m, li);
      li--, added--;
    } else { /* TRN/WRAP would wrap negatives: the ReLU stays, with a type holding every sum */
      int rc = exact_relu_type(m, d, &relu->act_q, err);
      if (rc) return rc;
    }
    nf_layer *q = nf_model_insert_fpq(m, li + 1, name, h->sat ? NF_FPQ_RND : NF_FPQ_TRN,
                                      h->sat ? NF_FPQ_SAT : NF_FPQ_WRAP, err);
    if (!q) return err->code ? err->code : NF_EINTERNAL;
    added++;
    const float *f = h->snapshot ? a->f_best : a->f;
    for (int j = 0; j < a->n; j++) {
      int I = neuron_integer(h, a, j, h->snapshot);
      int F = rounded_f(a, f[j]), b = nf_hgq_act_bits(I, F);
      if (b > 32 || (b && (I < -64 || I > 64)))
        return nf_fail(err, NF_EINPUT, "layer '%s': neuron %d needs %d bits (integer %d): more than a quantizer holds",
                       name, j, b, I);
      q->fpq[j] = 0;                      /* keep_negative */
      q->fpq[a->n + j] = (float)b;        /* bits */
      q->fpq[2 * a->n + j] = b ? (float)I : 0; /* integers */
    }
  }
  return nf_model_validate(m, err);
}

int nf_hgq_act_total_bits(const nf_model *m, long *total, int *n_neurons) {
  *total = 0;
  *n_neurons = 0;
  int layers = 0;
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    if (l->kind != NF_LAYER_QUANT || i == 0 || l->fpq_n != l->n_out) continue; /* not the input's, not one type */
    for (int j = 0; j < l->n_out; j++) {
      int k, b, in;
      nf_fpq_elem(l, j, &k, &b, &in);
      *total += b;
    }
    *n_neurons += l->n_out;
    layers++;
  }
  return layers;
}
