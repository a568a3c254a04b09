/* libFuzzer: Keras model configs (JSON text) into the model graph. */
#include <stdint.h>

#include "nnfirm/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_import_keras_config_text((const char *)data, size, "fuzz.json", &m, &err) == NF_OK) nf_model_free(m);
  return 0;
}
