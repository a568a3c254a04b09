/* Activation layers in the training network: each activation of
 * activations.def (train column) as a float32 forward and backward, then
 * the layer's output quantizer (QActivation) with its straight-through
 * gradient. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "net.h"

static void softmax_rows(const float *x, float *y, int n, int w) {
  for (int r = 0; r < n; r++) {
    const float *xr = x + (size_t)r * w;
    float *yr = y + (size_t)r * w;
    float mx = xr[0];
    for (int j = 1; j < w; j++) mx = xr[j] > mx ? xr[j] : mx;
    float s = 0;
    for (int j = 0; j < w; j++) s += (yr[j] = expf(xr[j] - mx));
    for (int j = 0; j < w; j++) yr[j] /= s;
  }
}

/* Branch-free ReLU pieces, on the float's bits. ReLU inputs are positive or
 * negative at random, and a mispredicted branch per element (what compilers
 * make of `x > 0 ? x : 0` at -O2) was half the epoch time. Written by hand
 * because fmaxf would turn a NaN into 0 and hide a diverging run. */
static inline uint32_t float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
static inline float bits_float(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}
/* all ones when x > 0 (or x is a NaN, which must survive), else zero */
static inline uint32_t pass_mask(float x) {
  uint32_t u = float_bits(x);
  return 0u - (uint32_t)(((int32_t)u > 0) | ((u & 0x7fffffffu) > 0x7f800000u));
}
static inline float relu_one(float x) { return bits_float(float_bits(x) & pass_mask(x)); }
/* 1 where the ReLU passes, `a` elsewhere (leaky slope; 0 for ReLU) */
static inline float slope_one(float x, float a) {
  uint32_t m = pass_mask(x);
  return bits_float((float_bits(1.0f) & m) | (float_bits(a) & ~m));
}

/* ---- The activations: y = f(x), dx = dy * f'(x) ---------------------------- */
static void linear_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  memcpy(y, x, (size_t)n * w * sizeof *y);
}
static void linear_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)x, (void)y;
  memcpy(dx, dy, (size_t)n * w * sizeof *dx);
}

static void relu_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  for (long k = 0; k < (long)n * w; k++) y[k] = relu_one(x[k]);
}
/* pass dy where x > 0: a mask on the bits */
static void relu_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)y;
  for (long k = 0; k < (long)n * w; k++)
    dx[k] = bits_float(float_bits(dy[k]) & (0u - (uint32_t)((int32_t)float_bits(x[k]) > 0)));
}

static void leaky_relu_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  float a = l->act_alpha;
  for (long k = 0; k < (long)n * w; k++) y[k] = x[k] * slope_one(x[k], a);
}
static void leaky_relu_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n,
                           int w) {
  (void)y;
  float a = l->act_alpha;
  for (long k = 0; k < (long)n * w; k++) dx[k] = dy[k] * slope_one(x[k], a);
}

static void thresholded_relu_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  for (long k = 0; k < (long)n * w; k++) y[k] = x[k] > l->act_alpha ? x[k] : 0.0f;
}
static void thresholded_relu_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n,
                                 int w) {
  (void)y;
  for (long k = 0; k < (long)n * w; k++) dx[k] = x[k] > l->act_alpha ? dy[k] : 0.0f;
}

static void tanh_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  for (long k = 0; k < (long)n * w; k++) y[k] = tanhf(x[k]);
}
/* f' from the output: 1 - y^2 */
static void tanh_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)x;
  for (long k = 0; k < (long)n * w; k++) dx[k] = dy[k] * (1 - y[k] * y[k]);
}

static void sigmoid_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  for (long k = 0; k < (long)n * w; k++) y[k] = 1.0f / (1.0f + expf(-x[k]));
}
/* f' from the output: y (1 - y) */
static void sigmoid_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)x;
  for (long k = 0; k < (long)n * w; k++) dx[k] = dy[k] * y[k] * (1 - y[k]);
}

static void softplus_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  for (long k = 0; k < (long)n * w; k++) y[k] = x[k] > 0 ? x[k] + log1pf(expf(-x[k])) : log1pf(expf(x[k]));
}
/* f' = sigmoid(x) */
static void softplus_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)y;
  for (long k = 0; k < (long)n * w; k++) dx[k] = dy[k] / (1.0f + expf(-x[k]));
}

/* elu: x above 0, a (e^x - 1) else; f' = 1 above 0, a e^x else (from x:
 * y may be an output quantizer's) */
static void elu_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  float a = l->act_alpha;
  for (long k = 0; k < (long)n * w; k++) y[k] = x[k] > 0 ? x[k] : a * expm1f(x[k]);
}
static void elu_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)y;
  float a = l->act_alpha;
  for (long k = 0; k < (long)n * w; k++) dx[k] = x[k] > 0 ? dy[k] : dy[k] * a * expf(x[k]);
}

/* selu = lambda elu_alpha: f' = lambda above 0, lambda alpha e^x else */
static void selu_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  const float lam = (float)NF_SELU_LAMBDA, la = (float)(NF_SELU_LAMBDA * NF_SELU_ALPHA);
  for (long k = 0; k < (long)n * w; k++) y[k] = x[k] > 0 ? lam * x[k] : la * expm1f(x[k]);
}
static void selu_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l;
  const float lam = (float)NF_SELU_LAMBDA, la = (float)(NF_SELU_LAMBDA * NF_SELU_ALPHA);
  (void)y;
  for (long k = 0; k < (long)n * w; k++) dx[k] = dy[k] * (x[k] > 0 ? lam : la * expf(x[k]));
}

/* hard_sigmoid = clip(0.2 x + 0.5, 0, 1): f' = 0.2 inside (|x| < 2.5), 0 outside */
static void hard_sigmoid_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  for (long k = 0; k < (long)n * w; k++) {
    float v = 0.2f * x[k] + 0.5f;
    y[k] = v > 1 ? 1.0f : v < 0 ? 0.0f : v;
  }
}
static void hard_sigmoid_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n,
                             int w) {
  (void)l, (void)y;
  for (long k = 0; k < (long)n * w; k++) {
    float v = 0.2f * x[k] + 0.5f;
    dx[k] = v > 0 && v < 1 ? 0.2f * dy[k] : 0.0f;
  }
}

static void softmax_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  (void)l;
  softmax_rows(x, y, n, w);
}
/* a softmax inside the network: dx = y * (dy - sum(dy*y)) */
static void softmax_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w) {
  (void)l, (void)x;
  for (int r = 0; r < n; r++) {
    const float *yr = y + (size_t)r * w, *dyr = dy + (size_t)r * w;
    float s = 0;
    for (int j = 0; j < w; j++) s += dyr[j] * yr[j];
    for (int j = 0; j < w; j++) dx[(size_t)r * w + j] = yr[j] * (dyr[j] - s);
  }
}

/* binary_tanh / ternary_tanh forward (as the model stage's), and the
 * straight-through gradient of the hard tanh both are trained through:
 * dy where |x| <= 1, else 0. */
static void sign_ste_fwd(const nf_layer *l, const float *x, float *y, int n, int w) {
  bool ternary = l->act == NF_ACT_TERNARY_TANH;
  for (long k = 0; k < (long)n * w; k++)
    y[k] = ternary ? (x[k] > 0.5f ? 1.0f : x[k] < -0.5f ? -1.0f : 0.0f) : (x[k] > 0 ? 1.0f : -1.0f);
}
static void sign_ste_bwd(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n,
                         int w) {
  (void)l, (void)y;
  for (long k = 0; k < (long)n * w; k++) dx[k] = fabsf(x[k]) <= 1.0f ? dy[k] : 0.0f;
}

const nf_train_act_ops nf_train_act_linear = {linear_fwd, linear_bwd};
const nf_train_act_ops nf_train_act_relu = {relu_fwd, relu_bwd};
const nf_train_act_ops nf_train_act_leaky_relu = {leaky_relu_fwd, leaky_relu_bwd};
const nf_train_act_ops nf_train_act_tanh = {tanh_fwd, tanh_bwd};
const nf_train_act_ops nf_train_act_sigmoid = {sigmoid_fwd, sigmoid_bwd};
const nf_train_act_ops nf_train_act_softmax = {softmax_fwd, softmax_bwd};
const nf_train_act_ops nf_train_act_softplus = {softplus_fwd, softplus_bwd};
const nf_train_act_ops nf_train_act_thresholded_relu = {thresholded_relu_fwd, thresholded_relu_bwd};
const nf_train_act_ops nf_train_act_sign_ste = {sign_ste_fwd, sign_ste_bwd};
const nf_train_act_ops nf_train_act_elu = {elu_fwd, elu_bwd};
const nf_train_act_ops nf_train_act_selu = {selu_fwd, selu_bwd};
const nf_train_act_ops nf_train_act_hard_sigmoid = {hard_sigmoid_fwd, hard_sigmoid_bwd};
const nf_train_act_ops nf_train_act_none = {NULL, NULL};

static const nf_train_act_ops *const ACT_OPS[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, ...) [NF_ACT_##ID] = &nf_train_act_##TRAIN,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

/* ---- The layer ---------------------------------------------------------------- */
static void activation_forward(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  (void)seed;
  const nf_layer *l = t->l;
  ACT_OPS[l->act]->forward(l, x, t->y, n, l->n_out);
  if (t->aq.kind != NF_QUANT_NONE) nf_qfast_apply(&t->aq, t->y, t->y, (long)n * l->n_out);
  if (nt->act_forward) nt->act_forward(nt->m, index, t->y, n, train, nt->act_ctx);
}

/* The effective kernel [w][n_next] of the Dense that reads layer i (through
 * Dropout), or NULL. */
static const float *next_kernel(const net *nt, int i, int *n_next) {
  for (int k = i + 1; k < nt->m->n_layers; k++) {
    const tlayer *t = &nt->t[k];
    if (t->l->kind == NF_LAYER_DENSE) {
      *n_next = t->l->n_out;
      return t->w_eff;
    }
    if (t->l->kind != NF_LAYER_DROPOUT) break;
  }
  *n_next = 0;
  return NULL;
}

/* The straight-through gradient of an output quantizer: quantized_relu
 * passes it where its unquantized value is unclipped (0 < x <= the top of the
 * grid, QKeras' x_u), the others pass it everywhere. */
static void quantizer_backward(const tlayer *t, const float *x, float *dx, long len) {
  if (t->aq.kind != NF_QUANT_RELU) return;
  float hi = t->aq.ste_hi;
  for (long k = 0; k < len; k++)
    if (!(x[k] > 0 && x[k] <= hi)) dx[k] = 0;
}

static void activation_backward(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n) {
  if (nt->act_backward) {
    int i = (int)(t - nt->t), n_next;
    const float *w_next = next_kernel(nt, i, &n_next);
    nt->act_backward(nt->m, i, x, t->y, dy, n, w_next, n_next, nt->act_ctx);
  }
  if (!dx) return;
  const nf_layer *l = t->l;
  ACT_OPS[l->act]->backward(l, x, t->y, dy, dx, n, l->n_out);
  quantizer_backward(t, x, dx, (long)n * l->n_out);
  if (nt->act_clip) nt->act_clip(nt->m, (int)(t - nt->t), x, dx, n, nt->act_ctx);
}

static bool activation_init(net *nt, tlayer *t, nf_error *err) {
  (void)nt;
  if ((unsigned)t->l->act >= NF_ACT_COUNT || !ACT_OPS[t->l->act]->forward) {
    nf_fail(err, NF_EINPUT, "layer '%s': activation %s cannot be trained", t->l->name, nf_activation_name(t->l->act));
    return false;
  }
  nf_qfast_init(&t->aq, &t->l->act_q);
  return true;
}

const nf_train_layer_ops nf_train_activation_ops = {
    .init = activation_init,
    .forward = activation_forward,
    .backward = activation_backward,
};
