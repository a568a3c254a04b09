/* libFuzzer: a full-model Keras .h5 (config attribute + weight groups) from
 * arbitrary bytes, read through libhdf5's in-memory file image. */
#include <stdint.h>

#include "fuzz_hdf5.h"
#include "import/import_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_keras_h5_from_image(data, size, "fuzz.h5", &m, &err) == NF_OK) nf_model_free(m);
  fuzz_hdf5_all_closed();
  return 0;
}
