/* Building the tutorial's MLP and initializing its weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/rng.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

nf_model *nf_mlp_build(int n_features, const int *hidden, int n_hidden, int n_classes, bool batchnorm,
                       float dropout, nf_error *err) {
  if (n_classes < 2) {
    nf_fail(err, NF_EINPUT, "a classifier needs at least 2 classes (got %d)", n_classes);
    return NULL;
  }
  nf_model *m = nf_model_new(n_features, err);
  if (!m) return NULL;
  char name[NF_NAME_MAX];
  bool ok = true;
  for (int i = 0; ok && i < n_hidden; i++) {
    snprintf(name, sizeof name, "fc%d", i + 1);
    ok = nf_model_add_dense(m, name, hidden[i], true, err) != NULL;
    if (ok && batchnorm) {
      snprintf(name, sizeof name, "bn%d", i + 1);
      ok = nf_model_add_batchnorm(m, name, 1e-3f, err) != NULL; /* Keras' epsilon */
    }
    snprintf(name, sizeof name, "relu%d", i + 1);
    ok = ok && nf_model_add_activation(m, name, NF_ACT_RELU, err) != NULL;
    if (ok && dropout > 0) {
      snprintf(name, sizeof name, "dropout%d", i + 1);
      ok = nf_model_add_dropout(m, name, dropout, err) != NULL;
    }
  }
  ok = ok && nf_model_add_dense(m, "output", n_classes, true, err) != NULL;
  ok = ok && nf_model_add_activation(m, "softmax", NF_ACT_SOFTMAX, err) != NULL;
  if (!ok) {
    nf_model_free(m);
    return NULL;
  }
  snprintf(m->source, sizeof m->source, "nnfirm train");
  return m;
}

/* Does the Dense at index i feed a ReLU-like activation (through BN/Dropout)? */
static bool feeds_relu(const nf_model *m, int i) {
  for (int k = i + 1; k < m->n_layers; k++) {
    const nf_layer *l = &m->layers[k];
    if (l->kind == NF_LAYER_ACTIVATION) return l->act == NF_ACT_RELU || l->act == NF_ACT_LEAKY_RELU;
    if (l->kind == NF_LAYER_DENSE) return false;
  }
  return false;
}

/* Keras' truncated normal: resample beyond two standard deviations. */
static double truncated_normal(nf_rng *r) {
  for (;;) {
    double z = nf_rng_normal(r);
    if (fabs(z) <= 2) return z;
  }
}

int nf_model_init_weights(nf_model *m, uint64_t seed, nf_error *err) {
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    nf_rng r;
    nf_rng_seed_stream(&r, seed, (uint64_t)i);
    long nk = (long)l->n_in * l->n_out;
    if (l->kind == NF_LAYER_DENSE) {
      if (feeds_relu(m, i)) {
        /* he_normal: truncated normal, stddev sqrt(2/fan_in) corrected for the truncation */
        double sd = sqrt(2.0 / l->n_in) / 0.87962566103423978;
        for (long k = 0; k < nk; k++) l->kernel[k] = (float)(sd * truncated_normal(&r));
      } else {
        /* glorot_uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
        double a = sqrt(6.0 / (l->n_in + l->n_out));
        for (long k = 0; k < nk; k++) l->kernel[k] = (float)(a * (2 * nf_rng_uniform(&r) - 1));
      }
      if (l->mask)
        for (long k = 0; k < nk; k++)
          if (!l->mask[k]) l->kernel[k] = 0;
      if (l->bias) memset(l->bias, 0, (size_t)l->n_out * sizeof(float));
    } else if (l->kind == NF_LAYER_BATCHNORM) {
      for (int j = 0; j < l->n_out; j++) {
        l->gamma[j] = l->moving_var[j] = 1;
        l->beta[j] = l->moving_mean[j] = 0;
      }
    }
  }
  (void)err;
  return NF_OK;
}

int nf_parse_hidden(const char *s, int *widths, int max, int *n, nf_error *err) {
  *n = 0;
  if (!s || !*s) return nf_fail(err, NF_EINPUT, "--hidden: empty list (expected e.g. 64,32,32)");
  const char *p = s;
  for (int item = 1;; item++) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char buf[32];
    long v;
    if (len == 0 || len >= sizeof buf)
      return nf_fail(err, NF_EINPUT, "--hidden '%s': item %d is empty or too long (expected e.g. 64,32,32)", s, item);
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (!nf_parse_long(buf, &v) || v < 1 || v > 65536)
      return nf_fail(err, NF_EINPUT, "--hidden '%s': item %d '%s' is not a layer width in 1..65536", s, item, buf);
    if (*n == max) return nf_fail(err, NF_EINPUT, "--hidden '%s': more than %d layers", s, max);
    widths[(*n)++] = (int)v;
    if (!end) break;
    p = end + 1;
  }
  return NF_OK;
}
