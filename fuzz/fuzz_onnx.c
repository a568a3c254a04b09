/* libFuzzer: ONNX protobuf bytes into the model graph. */
#include <stdint.h>

#include "nnfirm/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_import_onnx_bytes(data, size, "fuzz.onnx", &m, &err) == NF_OK) nf_model_free(m);
  return 0;
}
