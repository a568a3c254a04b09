/* Internal to src/model: the model stage's operations per layer kind and
 * per activation, one table each, built from include/nnfirm/layers.def and
 * activations.def. */
#ifndef NNFIRM_MODEL_LAYERS_H
#define NNFIRM_MODEL_LAYERS_H

#include "nnfirm/model.h"

typedef struct nf_model_layer_ops {
  /* The output shape for input shape `in`; NF_EINPUT naming the layer when
   * the kind cannot take that input. */
  int (*infer_shape)(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err);
  /* Parameters present and finite (NULL: the kind has none). */
  int (*check_params)(const nf_layer *l, nf_error *err);
  /* Keras' counts (NULL: none). */
  void (*param_count)(const nf_layer *l, long *trainable, long *non_trainable);
  /* Per-call state the forward pass reads (NULL: none), freed by release. */
  int (*prepare)(const nf_layer *l, void **state, nf_error *err);
  void (*release)(void *state);
  /* y[n_out] = layer(x[n_in]) in double precision. */
  void (*forward)(const nf_layer *l, const void *state, const double *x, double *y);
  /* Optional: the same on n rows at once, x [n][n_in] to y [n][n_out]
   * (Dense: one BLAS matrix product); NULL: forward row by row. */
  void (*forward_rows)(const nf_layer *l, const void *state, const double *x, double *y, int n);
} nf_model_layer_ops;

#define NF_LAYER_KIND(ID, NAME, MODEL, ...) extern const nf_model_layer_ops nf_model_##MODEL##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND

/* The model stage's operations for kind k. */
const nf_model_layer_ops *nf_model_layer_ops_of(nf_layer_kind k);

/* An activation's float forward: y[n] = f(x[n]) (softmax reads the whole
 * vector; the others are element-wise). */
typedef void nf_model_act_fn(const nf_layer *l, const double *x, double *y, int n);
#define NF_ACTIVATION(ID, NAME, MODEL, ...) nf_model_act_fn nf_model_act_##MODEL;
#include "nnfirm/activations.def"
#undef NF_ACTIVATION

/* Shape inference of the kinds that keep their input's shape. */
int nf_model_same_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err);
/* All n values finite (true for NULL). */
bool nf_model_all_finite(const float *p, size_t n);

#endif
