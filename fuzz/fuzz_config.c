/* libFuzzer: hls4ml-style configurations (JSON or YAML text). */
#include <stdint.h>

#include "nnfirm/convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nf_config *c = NULL;
  nf_error err = {0};
  if (nf_config_parse((const char *)data, size, "fuzz.yml", &c, &err) == NF_OK) nf_config_free(c);
  return 0;
}
