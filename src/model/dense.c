/* Dense in the model stage: y = x · kernel + bias on a rank-1 input, with the
 * weights as the model computes them (QKeras quantizers, pruning mask); on
 * a block of rows, one double-precision matrix product (OpenBLAS dgemm). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

static int dense_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  if (in.rank != 1) {
    char s[64];
    nf_shape_format(in, s, sizeof s);
    return nf_fail(err, NF_EINPUT, "layer '%s': Dense on a rank-%d input %s is not supported (flatten it first)",
                   l->name, in.rank, s);
  }
  *out = nf_shape_1d(l->n_out);
  return NF_OK;
}

static int dense_check(const nf_layer *l, nf_error *err) {
  size_t nk = (size_t)l->n_in * l->n_out;
  if (!l->kernel || !nf_model_all_finite(l->kernel, nk) || !nf_model_all_finite(l->bias, (size_t)l->n_out))
    return nf_fail(err, NF_EINPUT, "layer '%s': missing or non-finite weights", l->name);
  return NF_OK;
}

static void dense_params(const nf_layer *l, long *trainable, long *non_trainable) {
  *trainable = (long)l->n_in * l->n_out + (l->bias ? l->n_out : 0);
  *non_trainable = 0;
}

/* The weights as the forward pass uses them: quantized and masked once per
 * call rather than per row. */
typedef struct {
  double *kernel; /* [n_in][n_out] */
  double *bias;   /* [n_out] */
} dense_eff;

static void dense_release(void *state) {
  dense_eff *e = state;
  if (!e) return;
  free(e->kernel);
  free(e->bias);
  free(e);
}

static int dense_prepare(const nf_layer *l, void **state, nf_error *err) {
  size_t nk = (size_t)l->n_in * l->n_out;
  dense_eff *e = nf_calloc(1, sizeof *e, err);
  if (!e) return NF_EINTERNAL;
  e->kernel = nf_malloc(nk * sizeof *e->kernel, err);
  e->bias = nf_malloc((size_t)l->n_out * sizeof *e->bias, err);
  if (!e->kernel || !e->bias) {
    dense_release(e);
    return NF_EINTERNAL;
  }
  for (size_t k = 0; k < nk; k++)
    e->kernel[k] = l->mask && !l->mask[k] ? 0.0 : nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
  for (int j = 0; j < l->n_out; j++) e->bias[j] = l->bias ? nf_quantizer_apply(&l->bias_q, l->bias[j]) : 0.0;
  *state = e;
  return NF_OK;
}

/* y[n_out] = x[n_in] · kernel + bias */
static void dense_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  const dense_eff *e = state;
  memcpy(y, e->bias, (size_t)l->n_out * sizeof *y);
  for (int i = 0; i < l->n_in; i++) {
    const double *row = e->kernel + (size_t)i * l->n_out;
    for (int j = 0; j < l->n_out; j++) y[j] += x[i] * row[j];
  }
}

/* y[n][n_out] = x[n][n_in] · kernel + bias */
static void dense_forward_rows(const nf_layer *l, const void *state, const double *x, double *y, int n) {
  const dense_eff *e = state;
  for (int r = 0; r < n; r++) memcpy(y + (size_t)r * l->n_out, e->bias, (size_t)l->n_out * sizeof *y);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, l->n_out, l->n_in, 1.0, x, l->n_in, e->kernel, l->n_out,
              1.0, y, l->n_out);
}

const nf_model_layer_ops nf_model_dense_ops = {
    .infer_shape = dense_shape,
    .check_params = dense_check,
    .param_count = dense_params,
    .prepare = dense_prepare,
    .release = dense_release,
    .forward = dense_forward,
    .forward_rows = dense_forward_rows,
};
