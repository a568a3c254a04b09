/* libFuzzer: the .npy reader (features file; a labels sibling is absent, so
 * the 17-column form and every header path are exercised). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "nnfirm/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/nnfirm-fuzz-%ld.npy", (long)getpid());
  FILE *fp = fopen(path, "wb");
  if (!fp) return 0;
  fwrite(data, 1, size, fp);
  fclose(fp);
  nf_dataset ds;
  nf_error err = {0};
  if (nf_data_load(path, &ds, &err) == NF_OK) nf_dataset_free(&ds);
  unlink(path);
  return 0;
}
