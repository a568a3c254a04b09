/* Shared between the Keras config reader and the HDF5 weight readers. */
#ifndef NNFIRM_IMPORT_INTERNAL_H
#define NNFIRM_IMPORT_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "nnfirm/import.h"
#include "nnfirm/util.h"

typedef enum { KERAS_W_DENSE, KERAS_W_BATCHNORM, KERAS_W_FPQ, KERAS_W_PRELU } keras_weight_kind;

/* A layer of the config that owns weights, to be filled from HDF5. */
typedef struct keras_pending {
  char name[NF_NAME_MAX]; /* the Keras layer name (HDF5 group) */
  char cls[NF_NAME_MAX];  /* its class_name (Keras 3 names weight groups after it) */
  int layer;              /* index in the model */
  keras_weight_kind kind;
  bool has_gamma, has_beta; /* BatchNormalization scale / center */
} keras_pending;

int nf_keras_build_from_config(const cJSON *root, const char *origin, nf_model **out, keras_pending **pending,
                            int *n_pending, nf_error *err);
/* A QKeras quantizer object or string of a layer config (`where` names it). */
int nf_keras_parse_quantizer(const cJSON *v, nf_quantizer *q, const char *where, nf_error *err);
/* An Activation layer for Keras activation name `act`. */
int nf_keras_add_activation(nf_model *m, const char *name, const char *act, const char *where, nf_error *err);
/* The convolutional layers (keras_conv.c): *handled = false when cls is not
 * one of them; otherwise appends it (and its split activation) to m and
 * sets pend for the weights of a convolution. */
int nf_keras_add_windowed(nf_model *m, const char *cls, const char *name, const cJSON *cfg, const char *where,
                          keras_pending *pend, bool *handled, nf_error *err);

/* A BinaryDense (binary true) or TernaryDense layer of hls4ml's binary and
 * ternary example models (keras_sign_dense.c): a Dense whose kernel and bias
 * hls4ml quantizes to +-1 (BinaryQuantizer) or -1/0/+1 (TernaryQuantizer,
 * threshold 0.5), appended to m. `where` prefixes errors. */
int nf_keras_add_sign_dense(nf_model *m, const char *name, const cJSON *cfg, bool binary, const char *where,
                            nf_error *err);

/* HGQ's FixedPointQuantizer (keras_hgq.c): its RND / SAT modes and the
 * shape of its stored types (one for all values, or one per value) from
 * the layer config, appended to m; the types come with the weights. */
int nf_keras_add_fpq(nf_model *m, const char *name, const cJSON *cfg, const char *where, nf_error *err);
/* After the weights of a model with FixedPointQuantizer layers (HGQ's
 * proxy) are read and checked: each Dense without a quantizer gets the
 * narrowest quantized_bits that holds its stored (already quantized)
 * weights and biases exactly, and a ReLU right after a quantizer the
 * quantized_relu that holds its outputs exactly, so the design computes
 * exactly what the proxy does. Errors name `origin` and the layer. No-op
 * without such layers. */
int nf_keras_hgq_finish(nf_model *m, const char *origin, nf_error *err);

/* Fills the pending layers' weights from an open HDF5 file: Keras 2 layout
 * (root or "model_weights" group, per-layer "weight_names" attribute) or
 * Keras 3 layout ("layers/<name>/vars/<i>"). */
int nf_keras_load_weights(long long file_id, const char *path, nf_model *m, const keras_pending *p, int n,
                       nf_error *err);

/* The root attribute "model_config" of a full-model .h5 (JSON text). */
int nf_keras_h5_model_config(long long file_id, const char *path, char **json, nf_error *err);

/* A full-model .h5 from memory (for the fuzz harness). */
int nf_keras_h5_from_image(const void *data, size_t len, const char *origin, nf_model **out, nf_error *err);

#endif
