/* BatchNormalization in the model stage, per channel (the last axis; a
 * flat input's every feature is a channel):
 * y[..][ch] = gamma[ch] (x[..][ch] - mean[ch]) / sqrt(var[ch] + eps) + beta[ch]. */
#include <math.h>

#include "layers.h"

static int batchnorm_check(const nf_layer *l, nf_error *err) {
  size_t no = (size_t)nf_layer_channels(l);
  if (!l->gamma || !l->beta || !l->moving_mean || !l->moving_var || !nf_model_all_finite(l->gamma, no) ||
      !nf_model_all_finite(l->beta, no) || !nf_model_all_finite(l->moving_mean, no) ||
      !nf_model_all_finite(l->moving_var, no))
    return nf_fail(err, NF_EINPUT, "layer '%s': missing or non-finite batch-norm parameters", l->name);
  for (size_t j = 0; j < no; j++)
    if (l->moving_var[j] + l->epsilon <= 0)
      return nf_fail(err, NF_EINPUT, "layer '%s': variance + epsilon is not positive", l->name);
  return NF_OK;
}

static void batchnorm_params(const nf_layer *l, long *trainable, long *non_trainable) {
  *trainable = 2L * nf_layer_channels(l);     /* gamma, beta */
  *non_trainable = 2L * nf_layer_channels(l); /* moving mean and variance */
}

double nf_batchnorm_value(const nf_layer *l, int ch, double x) {
  return (double)l->gamma[ch] * (x - l->moving_mean[ch]) / sqrt((double)l->moving_var[ch] + l->epsilon) + l->beta[ch];
}

static void batchnorm_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  int nc = nf_layer_channels(l);
  for (int j = 0; j < l->n_out; j++) y[j] = nf_batchnorm_value(l, j % nc, x[j]);
}

const nf_model_layer_ops nf_model_batchnorm_ops = {
    .infer_shape = nf_model_same_shape,
    .check_params = batchnorm_check,
    .param_count = batchnorm_params,
    .forward = batchnorm_forward,
};
