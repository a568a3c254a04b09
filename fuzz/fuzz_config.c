/* libFuzzer: hls4ml configurations (YAML or JSON text, sniffed as the
 * loader does). A configuration that parses is then resolved against real
 * models (the test data's tiny.nnf and the Keras 3-layer tagger): every
 * key, precision string, ReuseFactor, Strategy and softmax setting goes
 * through the same checks as in 'nnfirm convert', with a few calibration
 * rows for "auto" precisions. */
#include <stdint.h>
#include <stdlib.h>

#include "nnfirm/convert.h"
#include "nnfirm/import.h"

static nf_model *models[2];
static float calib[4 * 16];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  nf_error err = {0};
  nf_model_open(NNFIRM_FUZZ_TESTDATA "/projects/tiny.nnf", NULL, &models[0], &err);
  nf_model_open(NNFIRM_FUZZ_TESTDATA "/models/keras/KERAS_3layer.json", NULL, &models[1], &err);
  for (int i = 0; i < 4 * 16; i++) calib[i] = (float)((i * 37) % 23 - 11) / 4.0f;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nf_config *c = NULL;
  nf_error err = {0};
  if (nf_config_parse((const char *)data, size, "fuzz.yml", &c, &err) != NF_OK) return 0;
  for (int i = 0; i < 2; i++) {
    nf_design *d = NULL;
    if (models[i] && nf_design_build(models[i], c, calib, 4, &d, &err) == NF_OK) nf_design_free(d);
  }
  nf_config_free(c);
  return 0;
}
