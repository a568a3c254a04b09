/* nf_model_open: every command's way in, whatever the model file is. */
#include <string.h>
#include <sys/stat.h>

#include "nnfirm/import.h"
#include "nnfirm/util.h"

int nf_model_open(const char *path, const char *weights_path, nf_model **out, nf_error *err) {
  struct stat st;
  if (stat(path, &st) != 0) return nf_fail(err, NF_EINPUT, "%s: no such model file", path);
  if (S_ISDIR(st.st_mode)) return nf_fail(err, NF_EINPUT, "%s: is a directory, expected a model file", path);
  if (weights_path && !nf_has_suffix(path, ".json"))
    return nf_fail(err, NF_EINPUT, "%s: --weights applies only to a Keras .json architecture", path);
  if (nf_has_suffix(path, ".nnf")) return nf_model_load(path, out, err);
  if (nf_has_suffix(path, ".json")) return nf_import_keras_json(path, weights_path, out, err);
  if (nf_has_suffix(path, ".h5") || nf_has_suffix(path, ".hdf5")) return nf_import_keras_h5(path, out, err);
  if (nf_has_suffix(path, ".keras")) return nf_import_keras_v3(path, out, err);
  if (nf_has_suffix(path, ".onnx")) return nf_import_onnx(path, out, err);
  return nf_fail(err, NF_EINPUT, "%s: unknown model format (expected .nnf, .json [+ --weights], .h5, .keras or .onnx)",
                 path);
}
