/* libFuzzer: Keras 3 .keras archives (a zip of config.json and
 * model.weights.h5) from arbitrary bytes, through the importer's own path
 * (libzip on a file, the weights as an in-memory HDF5 image). */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_hdf5.h"
#include "fuzz_util.h"
#include "nnfirm/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[128];
  if (!fuzz_temp_file(path, sizeof path, "model", ".keras", data, size)) return 0;
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_open(path, NULL, &m, &err) == NF_OK) nf_model_free(m);
  unlink(path);
  fuzz_hdf5_all_closed();
  return 0;
}
