/* Float32 batch inference (issue 19): the same kind of computation the
 * trainer does (src/train: batch-major float32, OpenBLAS sgemm), for
 * nf_model_forward_f32. Rows go in blocks of BLOCK, blocks in parallel on
 * the OpenMP threads (each sgemm stays on its calling thread: OpenBLAS runs
 * single-threaded inside an OpenMP parallel region). A Dense layer is one
 * sgemm then one plain loop adding the bias and applying the following
 * Activation layer (fused). nf_model_forward_f32_reference beside it is the
 * same computation written naively (triple loop, one layer at a time), in
 * the manner of llm.c, for the tests.
 *
 * Taken: Dense (any weight quantizers and masks: the weights are quantized
 * once, in double, as nf_model_forward does, then rounded to float32),
 * Activation linear/relu/leaky_relu/tanh/sigmoid/softmax without an output
 * quantizer, Dropout (the identity at inference). Every other model (other
 * layer kinds, other activations, a QKeras activation quantizer, whose codes
 * could flip at a rounding boundary under float32 sums) goes through the
 * double path, nf_model_forward, and its outputs are rounded to float32. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

enum { BLOCK = 512 }; /* rows per block: 512 x 64 floats = 128 KiB per buffer */

typedef enum { ACT_NONE, ACT_RELU, ACT_LEAKY, ACT_TANH, ACT_SIGMOID, ACT_SOFTMAX } act32;

/* One fused step: y[n][n_out] = act(x[n][n_in] · kernel + bias), or an
 * activation alone (kernel NULL, n_in == n_out). */
typedef struct {
  int n_in, n_out;
  float *kernel; /* [n_in][n_out], NULL: no product */
  float *bias;   /* [n_out] */
  act32 act;
  float alpha;   /* leaky_relu slope */
} step32;

static bool act_of(const nf_layer *l, act32 *a) {
  if (l->act_q.kind != NF_QUANT_NONE) return false;
  switch (l->act) {
  case NF_ACT_LINEAR: *a = ACT_NONE; return true;
  case NF_ACT_RELU: *a = ACT_RELU; return true;
  case NF_ACT_LEAKY_RELU: *a = ACT_LEAKY; return true;
  case NF_ACT_TANH: *a = ACT_TANH; return true;
  case NF_ACT_SIGMOID: *a = ACT_SIGMOID; return true;
  case NF_ACT_SOFTMAX: *a = ACT_SOFTMAX; return true;
  default: return false;
  }
}

bool nf_model_forward_f32_takes(const nf_model *m, int upto) {
  if (upto < 0) upto = m->n_layers - 1;
  if (upto >= m->n_layers || m->input_shape.rank != 1) return false;
  for (int li = 0; li <= upto; li++) {
    const nf_layer *l = &m->layers[li];
    act32 a;
    if (l->kind == NF_LAYER_DENSE || l->kind == NF_LAYER_DROPOUT) continue;
    if (l->kind == NF_LAYER_ACTIVATION && act_of(l, &a)) continue;
    return false;
  }
  return true;
}

static void free_steps(step32 *s, int n) {
  for (int i = 0; s && i < n; i++) {
    free(s[i].kernel);
    free(s[i].bias);
  }
  free(s);
}

/* The model's layers 0..upto as steps; fuse: an Activation right after a
 * Dense goes into the Dense's step. */
static int build_steps(const nf_model *m, int upto, bool fuse, step32 **out, int *n_steps, nf_error *err) {
  step32 *s = nf_calloc((size_t)upto + 1, sizeof *s, err);
  if (!s) return NF_EINTERNAL;
  int k = 0;
  for (int li = 0; li <= upto; li++) {
    const nf_layer *l = &m->layers[li];
    if (l->kind == NF_LAYER_DROPOUT) continue;
    act32 a = ACT_NONE;
    if (l->kind == NF_LAYER_ACTIVATION) {
      act_of(l, &a);
      s[k] = (step32){.n_in = l->n_in, .n_out = l->n_out, .act = a, .alpha = l->act_alpha};
      s[k].bias = nf_calloc((size_t)l->n_out, sizeof *s[k].bias, err); /* zeros: the same loops as a Dense's */
      if (!s[k++].bias) {
        free_steps(s, k);
        return NF_EINTERNAL;
      }
      continue;
    }
    step32 *st = &s[k++];
    size_t nk = (size_t)l->n_in * l->n_out;
    *st = (step32){.n_in = l->n_in, .n_out = l->n_out};
    st->kernel = nf_malloc(nk * sizeof *st->kernel, err);
    st->bias = nf_malloc((size_t)l->n_out * sizeof *st->bias, err);
    if (!st->kernel || !st->bias) {
      free_steps(s, k);
      return NF_EINTERNAL;
    }
    for (size_t q = 0; q < nk; q++)
      st->kernel[q] = l->mask && !l->mask[q] ? 0.0f : (float)nf_quantizer_apply(&l->kernel_q, l->kernel[q]);
    for (int j = 0; j < l->n_out; j++) st->bias[j] = l->bias ? (float)nf_quantizer_apply(&l->bias_q, l->bias[j]) : 0.0f;
    if (fuse && li < upto && m->layers[li + 1].kind == NF_LAYER_ACTIVATION) {
      act_of(&m->layers[li + 1], &st->act);
      st->alpha = m->layers[li + 1].act_alpha;
      li++;
    }
  }
  *out = s;
  *n_steps = k;
  return NF_OK;
}

/* y[n_out] = softmax(y[n_out]) in place */
static void softmax_row(float *y, int n_out) {
  float mx = y[0], sum = 0;
  for (int j = 1; j < n_out; j++) mx = y[j] > mx ? y[j] : mx;
  for (int j = 0; j < n_out; j++) sum += (y[j] = expf(y[j] - mx));
  float inv = 1.0f / sum;
  for (int j = 0; j < n_out; j++) y[j] *= inv;
}

/* y[n][n_out] = act(y[n][n_out] + bias[n_out]), one plain loop per
 * activation so that each vectorizes. */
static void bias_act(const step32 *s, float *y, int n) {
  const int o = s->n_out;
  const float *b = s->bias;
    switch (s->act) {
  case ACT_NONE:
  case ACT_SOFTMAX:
    for (int r = 0; r < n; r++) {
      float *yr = y + (size_t)r * o;
      for (int j = 0; j < o; j++) yr[j] += b[j];
    }
    break;
  case ACT_RELU:
    for (int r = 0; r < n; r++) {
      float *yr = y + (size_t)r * o;
      for (int j = 0; j < o; j++) {
        float v = yr[j] + b[j];
        yr[j] = v > 0 ? v : 0;
      }
    }
    break;
  case ACT_LEAKY:
    for (int r = 0; r < n; r++) {
      float *yr = y + (size_t)r * o;
      for (int j = 0; j < o; j++) {
        float v = yr[j] + b[j];
        yr[j] = v > 0 ? v : s->alpha * v;
      }
    }
    break;
  case ACT_TANH:
    for (int r = 0; r < n; r++) {
      float *yr = y + (size_t)r * o;
      for (int j = 0; j < o; j++) yr[j] = tanhf(yr[j] + b[j]);
    }
    break;
  case ACT_SIGMOID:
    for (int r = 0; r < n; r++) {
      float *yr = y + (size_t)r * o;
      for (int j = 0; j < o; j++) yr[j] = 1.0f / (1.0f + expf(-(yr[j] + b[j])));
    }
    break;
  }
  if (s->act == ACT_SOFTMAX)
    for (int r = 0; r < n; r++) softmax_row(y + (size_t)r * o, o);
}

/* x [n][n_features] (scaled when asked) into a [n][n_features] */
static void load_inputs(const nf_model *m, const float *x, int n, bool apply_scaler, float *a) {
  const int f = m->n_features;
  if (!apply_scaler || !m->scaler_mean) {
    memcpy(a, x, (size_t)n * f * sizeof *a);
    return;
  }
  for (int r = 0; r < n; r++)
    for (int i = 0; i < f; i++) /* in double, as nf_model_forward does, then rounded */
      a[(size_t)r * f + i] = (float)(((double)x[(size_t)r * f + i] - m->scaler_mean[i]) / m->scaler_scale[i]);
}

static int widest(const nf_model *m, int upto) {
  int w = m->n_features;
  for (int i = 0; i <= upto; i++) w = m->layers[i].n_out > w ? m->layers[i].n_out : w;
  return w;
}

/* The double path, rounded to float32: models the fast path does not take. */
static int fallback(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, float *out, nf_error *err) {
  int n_out = m->layers[upto].n_out;
  double *v = nf_malloc((size_t)n * n_out * sizeof *v, err);
  if (!v) return NF_EINTERNAL;
  int rc = nf_model_forward(m, x, n, upto, apply_scaler, v, err);
  for (size_t k = 0; !rc && k < (size_t)n * n_out; k++) out[k] = (float)v[k];
  free(v);
  return rc;
}

/* What both entry points do first: the layer index checked, the steps up to
 * it built (fused or not), the widest activation; or, for a model the fast
 * path does not take, out written the double way and *done set. */
static int begin(const nf_model *m, const float *x, long n, int *upto, bool apply_scaler, float *out, bool fuse,
                 step32 **steps, int *n_steps, int *w, bool *done, nf_error *err) {
  *done = false;
  if (*upto < 0) *upto = m->n_layers - 1;
  if (*upto >= m->n_layers) return nf_fail(err, NF_EINPUT, "layer index %d out of range", *upto);
  if (!nf_model_forward_f32_takes(m, *upto)) {
    *done = true;
    return fallback(m, x, n, *upto, apply_scaler, out, err);
  }
  *w = widest(m, *upto);
  return build_steps(m, *upto, fuse, steps, n_steps, err);
}

int nf_model_forward_f32(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, float *out,
                         nf_error *err) {
  step32 *steps = NULL;
  int n_steps = 0, w = 0;
  bool done;
  int rc = begin(m, x, n, &upto, apply_scaler, out, true, &steps, &n_steps, &w, &done, err);
  if (rc || done) return rc;
  int n_out = m->layers[upto].n_out;
  long blocks = (n + BLOCK - 1) / BLOCK;
  int status = NF_OK;
#pragma omp parallel
  {
    float *a = malloc((size_t)BLOCK * w * sizeof *a), *b = malloc((size_t)BLOCK * w * sizeof *b);
    if (!a || !b) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long blk = 0; blk < blocks; blk++) {
      if (!a || !b) continue;
      long r0 = blk * BLOCK;
      int nb = n - r0 < BLOCK ? (int)(n - r0) : BLOCK;
      load_inputs(m, x + (size_t)r0 * m->n_features, nb, apply_scaler, a); /* a [nb][n_features] */
      float *cur = a, *next = b;
      for (int si = 0; si < n_steps; si++) {
        const step32 *s = &steps[si];
        if (s->kernel) { /* next [nb][n_out] = cur [nb][n_in] · kernel [n_in][n_out] */
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, s->n_out, s->n_in, 1.0f, cur, s->n_in, s->kernel,
                      s->n_out, 0.0f, next, s->n_out);
          float *t = cur;
          cur = next;
          next = t;
        }
        bias_act(s, cur, nb); /* cur [nb][n_out] = act(cur + bias), in place */
      }
      memcpy(out + (size_t)r0 * n_out, cur, (size_t)nb * n_out * sizeof *out);
    }
    free(a);
    free(b);
  }
  free_steps(steps, n_steps);
  if (status) return nf_fail(err, status, "out of memory in the float32 forward pass");
  return NF_OK;
}

/* ---- Naive reference: the same steps, unfused, one row and one sum at a time ---- */

int nf_model_forward_f32_reference(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, float *out,
                                   nf_error *err) {
  step32 *steps = NULL;
  int n_steps = 0, w = 0;
  bool done;
  int rc = begin(m, x, n, &upto, apply_scaler, out, false, &steps, &n_steps, &w, &done, err);
  if (rc || done) return rc;
  int n_out = m->layers[upto].n_out;
  float *a = nf_malloc((size_t)w * sizeof *a, err), *b = nf_malloc((size_t)w * sizeof *b, err);
  if (!a || !b) rc = NF_EINTERNAL;
  for (long r = 0; !rc && r < n; r++) {
    load_inputs(m, x + (size_t)r * m->n_features, 1, apply_scaler, a);
    for (int si = 0; si < n_steps; si++) {
      const step32 *s = &steps[si];
      if (s->kernel) { /* b[o] = bias[o] + sum_i a[i] kernel[i][o] */
        for (int o = 0; o < s->n_out; o++) {
          float sum = s->bias[o];
          for (int i = 0; i < s->n_in; i++) sum += a[i] * s->kernel[(size_t)i * s->n_out + o];
          b[o] = sum;
        }
      } else {
        for (int o = 0; o < s->n_out; o++) {
          float v = a[o];
          switch (s->act) {
          case ACT_NONE:
          case ACT_SOFTMAX: b[o] = v; break;
          case ACT_RELU: b[o] = v > 0 ? v : 0; break;
          case ACT_LEAKY: b[o] = v > 0 ? v : s->alpha * v; break;
          case ACT_TANH: b[o] = tanhf(v); break;
          case ACT_SIGMOID: b[o] = 1.0f / (1.0f + expf(-v)); break;
          }
        }
        if (s->act == ACT_SOFTMAX) softmax_row(b, s->n_out);
      }
      float *t = a;
      a = b;
      b = t;
    }
    memcpy(out + (size_t)r * n_out, a, (size_t)n_out * sizeof *out);
  }
  free(a);
  free(b);
  free_steps(steps, n_steps);
  return rc;
}
