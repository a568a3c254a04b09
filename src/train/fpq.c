/* HGQ's FixedPointQuantizer in the training network: each element cast to
 * its own type (the model stage's nf_fpq_value, in double precision, then
 * float32), so a model with quantizer layers (an HGQ proxy, or a model
 * trained with per-neuron activation bits, hgq_act.c) is evaluated and
 * fine-tuned as it computes. The gradient passes straight through (HGQ's
 * own quantizers are trained with the surrogate of hgq_act.c; a stored
 * quantizer's types are fixed). */
#include <string.h>

#include "net.h"

/* y[n][w] = Q_j(x[n][w]) element by element */
static void fpq_forward(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  (void)nt, (void)train, (void)seed, (void)index;
  const nf_layer *l = t->l;
  int w = l->n_out;
  for (int r = 0; r < n; r++)
    for (int j = 0; j < w; j++) t->y[(size_t)r * w + j] = (float)nf_fpq_value(l, j, x[(size_t)r * w + j]);
}

/* straight through: dx = dy */
static void fpq_backward(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n) {
  (void)nt, (void)x;
  if (dx) memcpy(dx, dy, (size_t)n * t->l->n_out * sizeof *dx);
}

static bool fpq_init(net *nt, tlayer *t, nf_error *err) {
  (void)nt, (void)t, (void)err;
  return true;
}

const nf_train_layer_ops nf_train_fpq_ops = {
    .init = fpq_init,
    .forward = fpq_forward,
    .backward = fpq_backward,
};
