/* Activation layers in the model stage: the float forward of every
 * activation of activations.def (double precision, the reference the
 * emulator and the importers are compared with), then the layer's QKeras
 * output quantizer when it has one. */
#include <math.h>
#include <string.h>

#include "layers.h"

void nf_model_act_linear(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  memcpy(y, x, (size_t)n * sizeof *y);
}

void nf_model_act_relu(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : 0;
}

void nf_model_act_leaky_relu(const nf_layer *l, const double *x, double *y, int n) {
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : l->act_alpha * x[j];
}

/* Keras' ThresholdedReLU: x where x > theta (act_alpha), else 0 */
void nf_model_act_thresholded_relu(const nf_layer *l, const double *x, double *y, int n) {
  for (int j = 0; j < n; j++) y[j] = x[j] > l->act_alpha ? x[j] : 0;
}

void nf_model_act_tanh(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = tanh(x[j]);
}

void nf_model_act_sigmoid(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = 1.0 / (1.0 + exp(-x[j]));
}

/* log(1 + e^x), written so that large |x| neither overflows nor loses digits */
void nf_model_act_softplus(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] + log1p(exp(-x[j])) : log1p(exp(x[j]));
}

/* Keras' elu: x above 0, alpha (e^x - 1) at and below (act_alpha) */
void nf_model_act_elu(const nf_layer *l, const double *x, double *y, int n) {
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : l->act_alpha * expm1(x[j]);
}

/* Keras' selu: lambda elu_alpha(x) with its two constants */
void nf_model_act_selu(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = NF_SELU_LAMBDA * (x[j] > 0 ? x[j] : NF_SELU_ALPHA * expm1(x[j]));
}

/* Keras 2's hard_sigmoid (and hls4ml's): clip(0.2 x + 0.5, 0, 1) */
void nf_model_act_hard_sigmoid(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) {
    double v = 0.2 * x[j] + 0.5;
    y[j] = v > 1 ? 1 : v < 0 ? 0 : v;
  }
}

/* Keras' PReLU: x above 0, alpha_j x elsewhere (alpha in the kernel) */
void nf_model_act_prelu(const nf_layer *l, const double *x, double *y, int n) {
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : (double)l->kernel[j] * x[j];
}

/* y_j = exp(x_j - max x) / sum_k exp(x_k - max x) */
void nf_model_act_softmax(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  double mx = x[0], sum = 0;
  for (int j = 1; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  for (int j = 0; j < n; j++) sum += (y[j] = exp(x[j] - mx));
  for (int j = 0; j < n; j++) y[j] /= sum;
}

/* The binary example models' binary_tanh, 2 round(hard_sigmoid(x)) - 1
 * with round half to even: +1 above 0, -1 at and below 0. */
void nf_model_act_binary_tanh(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? 1 : -1;
}

/* The ternary example models' ternary_tanh, ternarize(clip(x, -1, 1)) at
 * threshold 0.5: +1 above 0.5, -1 below -0.5, 0 between. */
void nf_model_act_ternary_tanh(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = x[j] > 0.5 ? 1 : x[j] < -0.5 ? -1 : 0;
}

/* QONNX's BipolarQuant (scale 1): +1 at and above 0, -1 below. */
void nf_model_act_bipolar(const nf_layer *l, const double *x, double *y, int n) {
  (void)l;
  for (int j = 0; j < n; j++) y[j] = x[j] >= 0 ? 1 : -1;
}

static nf_model_act_fn *const ACT_FORWARD[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, MODEL, ...) [NF_ACT_##ID] = nf_model_act_##MODEL,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

static int activation_check(const nf_layer *l, nf_error *err) {
  if ((unsigned)l->act >= NF_ACT_COUNT)
    return nf_fail(err, NF_EINPUT, "layer '%s': unknown activation %d", l->name, (int)l->act);
  if (l->act == NF_ACT_PRELU && (!l->kernel || !nf_model_all_finite(l->kernel, (size_t)l->n_in)))
    return nf_fail(err, NF_EINPUT, "layer '%s': PReLU without finite alpha weights", l->name);
  return NF_OK;
}

static void activation_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  ACT_FORWARD[l->act](l, x, y, l->n_out);
  if (l->act_q.kind != NF_QUANT_NONE) nf_quantizer_apply_n(&l->act_q, y, y, l->n_out);
}

/* y[n][n_out] = act(x[n][n_out]): the element-wise activations on the whole
 * block at once, softmax and PReLU (per-position alpha) row by row; then the
 * output quantizer on the whole block. */
static void activation_forward_rows(const nf_layer *l, const void *state, const double *x, double *y, int n) {
  (void)state;
  size_t total = (size_t)n * l->n_out;
  if (l->act == NF_ACT_SOFTMAX || l->act == NF_ACT_PRELU)
    for (int r = 0; r < n; r++) ACT_FORWARD[l->act](l, x + (size_t)r * l->n_in, y + (size_t)r * l->n_out, l->n_out);
  else
    ACT_FORWARD[l->act](l, x, y, (int)total);
  if (l->act_q.kind != NF_QUANT_NONE) nf_quantizer_apply_n(&l->act_q, y, y, (long)total);
}

/* PReLU's alpha weights */
static void activation_params(const nf_layer *l, long *trainable, long *non_trainable) {
  *trainable = l->act == NF_ACT_PRELU ? l->n_in : 0;
  *non_trainable = 0;
}

const nf_model_layer_ops nf_model_activation_ops = {
    .infer_shape = nf_model_same_shape,
    .check_params = activation_check,
    .param_count = activation_params,
    .forward = activation_forward,
    .forward_rows = activation_forward_rows,
};
