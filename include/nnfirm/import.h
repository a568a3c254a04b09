/* nnfirm — model import: Keras (JSON + HDF5 weights, full-model .h5, Keras 3
 * .keras), QKeras, ONNX, and nnfirm's own .nnf, into the model graph.
 *
 * nf_model_open is what every command that takes a model calls: it picks the
 * reader by extension (.nnf, .json [+ weights], .h5/.hdf5, .keras, .onnx).
 * Errors name the file and, where it applies, the layer or node. */
#ifndef NNFIRM_IMPORT_H
#define NNFIRM_IMPORT_H

#include "nnfirm/error.h"
#include "nnfirm/model.h"

/* weights_path: the HDF5 weights for a Keras .json architecture; NULL
 * otherwise (for a .json, "<stem>_weights.h5" beside it is tried). */
int nf_model_open(const char *path, const char *weights_path, nf_model **out, nf_error *err);

int nf_import_keras_json(const char *json_path, const char *weights_path, nf_model **out, nf_error *err);
int nf_import_keras_h5(const char *path, nf_model **out, nf_error *err);
int nf_import_keras_v3(const char *path, nf_model **out, nf_error *err);
int nf_import_onnx(const char *path, nf_model **out, nf_error *err);

/* From memory, for the fuzz harnesses: a Keras model config (JSON text) with
 * no weights checks structure only; ONNX bytes parse a whole model. */
int nf_import_keras_config_text(const char *json, size_t len, const char *origin, nf_model **out, nf_error *err);
int nf_import_onnx_bytes(const void *data, size_t len, const char *origin, nf_model **out, nf_error *err);

#endif
