/* libFuzzer harness for the native model reader (.nnf): any bytes must give
 * a valid model or a clean error, never a crash or a leak. Seeds in
 * fuzz/corpus/nnf/ are real files (checksums included), so mutations get
 * past the CRC only rarely; a second entry point reparses with the checksum
 * recomputed so the payload parser itself is exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nnfirm/model.h"

static void try_load(const uint8_t *data, size_t size) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_load_bytes(data, size, "fuzz.nnf", &m, &err) == 0) {
    double out[64];
    float in[64] = {0};
    if (m->n_features <= 64 && m->n_outputs <= 64) nf_model_forward(m, in, 1, -1, true, out, &err);
    nf_model_free(m);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_load(data, size);
  /* Same bytes with a correct header (length + CRC) in front of the payload. */
  if (size >= 20) {
    uint8_t *fixed = malloc(size);
    if (!fixed) return 0;
    memcpy(fixed, data, size);
    memcpy(fixed, "NNFIRMv\x1a", 8);
    uint32_t plen = (uint32_t)(size - 20), crc = (uint32_t)crc32(0L, fixed + 20, (uInt)plen);
    fixed[8] = 1, fixed[9] = fixed[10] = fixed[11] = 0;
    for (int i = 0; i < 4; i++) {
      fixed[12 + i] = (uint8_t)(plen >> (8 * i));
      fixed[16 + i] = (uint8_t)(crc >> (8 * i));
    }
    try_load(fixed, size);
    free(fixed);
  }
  return 0;
}
