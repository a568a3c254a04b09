/* BatchNormalization in the training network. */
#include <math.h>
#include <stdlib.h>

#include "net.h"

/* ---- BatchNormalization --------------------------------------------------- */

/* Train mode: mean/var over the batch (biased variance, as Keras),
 * y = gamma * (x - mean) / sqrt(var + eps) + beta, and the moving averages
 * move by Keras' momentum 0.99. Inference mode uses the moving averages. */
static void batchnorm_forward(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  (void)nt, (void)seed, (void)index;
  nf_layer *l = t->l;
  int w = l->n_out;
  if (train) {
    for (int j = 0; j < w; j++) {
      double s = 0, ss = 0;
      for (int r = 0; r < n; r++) s += x[(size_t)r * w + j];
      double mu = s / n;
      for (int r = 0; r < n; r++) {
        double d = x[(size_t)r * w + j] - mu;
        ss += d * d;
      }
      double var = ss / n;
      t->mean[j] = (float)mu;
      t->invstd[j] = (float)(1.0 / sqrt(var + l->epsilon));
      l->moving_mean[j] = 0.99f * l->moving_mean[j] + 0.01f * (float)mu;
      l->moving_var[j] = 0.99f * l->moving_var[j] + 0.01f * (float)var;
    }
  } else {
    for (int j = 0; j < w; j++) {
      t->mean[j] = l->moving_mean[j];
      t->invstd[j] = (float)(1.0 / sqrt((double)l->moving_var[j] + l->epsilon));
    }
  }
  for (int r = 0; r < n; r++)
    for (int j = 0; j < w; j++) {
      size_t k = (size_t)r * w + j;
      t->xhat[k] = (x[k] - t->mean[j]) * t->invstd[j];
      t->y[k] = l->gamma[j] * t->xhat[k] + l->beta[j];
    }
}

/* dgamma = sum dy*xhat; dbeta = sum dy;
 * dx = invstd/n * (n*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)), dxhat = dy*gamma. */
static void batchnorm_backward(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n) {
  (void)nt, (void)x;
  const nf_layer *l = t->l;
  int w = l->n_out;
  for (int j = 0; j < w; j++) {
    double sg = 0, sb = 0;
    for (int r = 0; r < n; r++) {
      size_t k = (size_t)r * w + j;
      sg += (double)dy[k] * t->xhat[k];
      sb += dy[k];
    }
    t->dgamma[j] = (float)sg;
    t->dbeta[j] = (float)sb;
    if (!dx) continue;
    /* sum(dxhat) = gamma*sb, sum(dxhat*xhat) = gamma*sg */
    double g = l->gamma[j], k1 = g * sb / n, k2 = g * sg / n;
    for (int r = 0; r < n; r++) {
      size_t k = (size_t)r * w + j;
      dx[k] = (float)(t->invstd[j] * (g * dy[k] - k1 - t->xhat[k] * k2));
    }
  }
}

static bool batchnorm_init(net *nt, tlayer *t, nf_error *err) {
  nf_layer *l = t->l;
  size_t no = (size_t)l->n_out, act = (size_t)nt->cap * l->n_out;
  bool ok = (t->xhat = nf_malloc(act * sizeof(float), err)) && (t->mean = nf_malloc(no * sizeof(float), err)) &&
            (t->invstd = nf_malloc(no * sizeof(float), err)) && (t->dgamma = nf_calloc(no, sizeof(float), err)) &&
            (t->dbeta = nf_calloc(no, sizeof(float), err));
  if (ok) {
    nf_net_add_param(nt, l->gamma, t->dgamma, (long)no, false, l);
    nf_net_add_param(nt, l->beta, t->dbeta, (long)no, false, l);
  }
  return ok;
}

const nf_train_layer_ops nf_train_batchnorm_ops = {
    .init = batchnorm_init,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
};
