/* Dropout in the training network. */
#include <string.h>

#include "net.h"
#include "nnfirm/rng.h"

/* Inverted dropout: kept units are scaled by 1/(1-rate) in training, so
 * inference is the identity (as Keras). */
static void dropout_forward(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  (void)nt;
  const nf_layer *l = t->l;
  long len = (long)n * l->n_out;
  if (!train || l->rate <= 0) {
    memcpy(t->y, x, (size_t)len * sizeof *x);
    for (long k = 0; k < len; k++) t->keep[k] = 1;
    return;
  }
  nf_rng r;
  nf_rng_seed_stream(&r, seed, (uint64_t)index);
  float scale = 1.0f / (1.0f - l->rate);
  for (long k = 0; k < len; k++) {
    t->keep[k] = nf_rng_uniform(&r) < l->rate ? 0.0f : scale;
    t->y[k] = x[k] * t->keep[k];
  }
}

/* dx = dy where the unit was kept, scaled as the forward scaled it */
static void dropout_backward(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n) {
  (void)nt, (void)x;
  if (!dx) return;
  for (long k = 0; k < (long)n * t->l->n_out; k++) dx[k] = dy[k] * t->keep[k];
}

static bool dropout_init(net *nt, tlayer *t, nf_error *err) {
  return (t->keep = nf_malloc((size_t)nt->cap * t->l->n_out * sizeof(float), err)) != NULL;
}

const nf_train_layer_ops nf_train_dropout_ops = {
    .init = dropout_init,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
