/* libFuzzer: the jet CSV reader on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  nf_dataset ds;
  nf_error err = {0};
  if (nf_data_load_csv("fuzz.csv", text, &ds, &err) == NF_OK) nf_dataset_free(&ds);
  free(text);
  return 0;
}
