/* libFuzzer: HDF5 data files (the hls4ml layout, jets + jetFeatureNames,
 * and nnfirm's own, features + labels) from arbitrary bytes. */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_hdf5.h"
#include "fuzz_util.h"
#include "nnfirm/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[128];
  if (!fuzz_temp_file(path, sizeof path, "data", ".h5", data, size)) return 0;
  nf_dataset ds;
  nf_error err = {0};
  if (nf_data_load(path, &ds, &err) == NF_OK) nf_dataset_free(&ds);
  unlink(path);
  fuzz_hdf5_all_closed();
  return 0;
}
