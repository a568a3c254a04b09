/* BatchNormalization in the model stage, per feature (the last axis):
 * y = gamma (x - mean) / sqrt(var + eps) + beta. */
#include <math.h>

#include "layers.h"

static int batchnorm_check(const nf_layer *l, nf_error *err) {
  size_t no = (size_t)l->n_out;
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
  *trainable = 2L * l->n_out;     /* gamma, beta */
  *non_trainable = 2L * l->n_out; /* moving mean and variance */
}

static void batchnorm_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  for (int j = 0; j < l->n_out; j++)
    y[j] = (double)l->gamma[j] * (x[j] - l->moving_mean[j]) / sqrt((double)l->moving_var[j] + l->epsilon) +
           l->beta[j];
}

const nf_model_layer_ops nf_model_batchnorm_ops = {
    .infer_shape = nf_model_same_shape,
    .check_params = batchnorm_check,
    .param_count = batchnorm_params,
    .forward = batchnorm_forward,
};
