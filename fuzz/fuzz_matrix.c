/* libFuzzer: the numeric row readers of predict --input (a plain matrix)
 * and cosim --input (rows of at least n numbers, comments, quotes). */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "nnfirm/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[128];
  if (!fuzz_temp_file(path, sizeof path, "rows", ".csv", data, size)) return 0;
  nf_error err = {0};
  float *x = NULL;
  long rows = 0;
  int cols = 0;
  if (nf_data_load_matrix(path, &x, &rows, &cols, &err) == NF_OK) free(x);
  double *r = NULL;
  for (int n = 1; n <= 16; n += 15) {
    if (nf_data_load_rows(path, n, n == 1 ? 0 : 4, &r, &rows, &err) == NF_OK) free(r);
    r = NULL;
  }
  unlink(path);
  return 0;
}
