/* Plain float inference in double precision: the reference forward pass that
 * import tests, predict and the emulator's float comparison use. Training has
 * its own batched float32 path (src/train). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/model.h"

static int max_width(const nf_model *m) {
  int w = m->n_features;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].n_out > w) w = m->layers[i].n_out;
  return w;
}

/* A Dense layer's weights as the forward pass uses them: quantized by the
 * layer's QKeras quantizers and masked, once per call rather than per row. */
typedef struct {
  double *kernel; /* [n_in][n_out] */
  double *bias;   /* [n_out] */
} dense_eff;

static int dense_prepare(const nf_layer *l, dense_eff *e) {
  size_t nk = (size_t)l->n_in * l->n_out;
  e->kernel = malloc(nk * sizeof *e->kernel);
  e->bias = malloc((size_t)l->n_out * sizeof *e->bias);
  if (!e->kernel || !e->bias) return NF_EINTERNAL;
  for (size_t k = 0; k < nk; k++)
    e->kernel[k] = l->mask && !l->mask[k] ? 0.0 : nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
  for (int j = 0; j < l->n_out; j++) e->bias[j] = l->bias ? nf_quantizer_apply(&l->bias_q, l->bias[j]) : 0.0;
  return NF_OK;
}

/* y[n_out] = x[n_in] · kernel + bias */
static void dense_forward(const nf_layer *l, const dense_eff *e, const double *x, double *y) {
  memcpy(y, e->bias, (size_t)l->n_out * sizeof *y);
  for (int i = 0; i < l->n_in; i++) {
    const double *row = e->kernel + (size_t)i * l->n_out;
    for (int j = 0; j < l->n_out; j++) y[j] += x[i] * row[j];
  }
}

static void batchnorm_forward(const nf_layer *l, const double *x, double *y) {
  for (int j = 0; j < l->n_out; j++)
    y[j] = (double)l->gamma[j] * (x[j] - l->moving_mean[j]) / sqrt((double)l->moving_var[j] + l->epsilon) +
           l->beta[j];
}

static void activation_forward(const nf_layer *l, const double *x, double *y) {
  int n = l->n_out;
  switch (l->act) {
  case NF_ACT_LINEAR: memcpy(y, x, (size_t)n * sizeof *y); break;
  case NF_ACT_RELU:
    for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : 0;
    break;
  case NF_ACT_LEAKY_RELU:
    for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? x[j] : l->act_alpha * x[j];
    break;
  case NF_ACT_TANH:
    for (int j = 0; j < n; j++) y[j] = tanh(x[j]);
    break;
  case NF_ACT_SIGMOID:
    for (int j = 0; j < n; j++) y[j] = 1.0 / (1.0 + exp(-x[j]));
    break;
  case NF_ACT_SOFTMAX: {
    double mx = x[0], sum = 0;
    for (int j = 1; j < n; j++) mx = x[j] > mx ? x[j] : mx;
    for (int j = 0; j < n; j++) sum += (y[j] = exp(x[j] - mx));
    for (int j = 0; j < n; j++) y[j] /= sum;
    break;
  }
  }
  if (l->act_q.kind != NF_QUANT_NONE)
    for (int j = 0; j < n; j++) y[j] = nf_quantizer_apply(&l->act_q, y[j]);
}

static void layer_forward(const nf_layer *l, const dense_eff *e, const double *x, double *y) {
  switch (l->kind) {
  case NF_LAYER_DENSE: dense_forward(l, e, x, y); break;
  case NF_LAYER_BATCHNORM: batchnorm_forward(l, x, y); break;
  case NF_LAYER_ACTIVATION: activation_forward(l, x, y); break;
  case NF_LAYER_DROPOUT: memcpy(y, x, (size_t)l->n_out * sizeof *y); break;
  }
}

int nf_model_forward(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, double *out,
                     nf_error *err) {
  if (upto < 0) upto = m->n_layers - 1;
  if (upto >= m->n_layers) return nf_fail(err, NF_EINPUT, "layer index %d out of range", upto);
  int w = max_width(m), n_out = m->layers[upto].n_out;
  int status = NF_OK;
  dense_eff *eff = calloc((size_t)upto + 1, sizeof *eff);
  if (!eff) return nf_fail_oom(err, "forward pass");
  for (int li = 0; li <= upto && !status; li++)
    if (m->layers[li].kind == NF_LAYER_DENSE) status = dense_prepare(&m->layers[li], &eff[li]);
#pragma omp parallel if (status == NF_OK)
  {
    double *a = status ? NULL : malloc((size_t)w * sizeof *a), *b = status ? NULL : malloc((size_t)w * sizeof *b);
    if (!a || !b) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long r = 0; r < n; r++) {
      if (!a || !b) continue;
      const float *xr = x + (size_t)r * m->n_features;
      for (int i = 0; i < m->n_features; i++) {
        double v = xr[i];
        if (apply_scaler && m->scaler_mean) v = (v - m->scaler_mean[i]) / m->scaler_scale[i];
        a[i] = v;
      }
      double *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        layer_forward(&m->layers[li], &eff[li], cur, next);
        double *t = cur;
        cur = next;
        next = t;
      }
      memcpy(out + (size_t)r * n_out, cur, (size_t)n_out * sizeof *out);
    }
    free(a);
    free(b);
  }
  for (int li = 0; li <= upto; li++) {
    free(eff[li].kernel);
    free(eff[li].bias);
  }
  free(eff);
  if (status) return nf_fail(err, status, "out of memory in forward pass");
  return NF_OK;
}
