/* libFuzzer: Keras HDF5 weights (the _weights.h5 beside a Keras .json)
 * from arbitrary bytes. The architectures are the real Keras configs of the
 * test data, read once; each input is opened as an in-memory HDF5 image and
 * filled into every architecture (the one it was saved for gets furthest). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hdf5.h"
#include "import/import_internal.h"

enum { MAX_CONFIGS = 16 };
static cJSON *configs[MAX_CONFIGS];
static int n_configs;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = NNFIRM_FUZZ_TESTDATA "/models/keras";
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) && n_configs < MAX_CONFIGS) {
    if (!nf_has_suffix(e->d_name, ".json")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = NULL;
    size_t len = 0;
    if (nf_read_file(path, &text, &len, NULL)) continue;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (root) configs[n_configs++] = root;
  }
  closedir(d);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (size < 8) return 0;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  H5Pset_file_image(fapl, (void *)data, size);
  hid_t f = H5Fopen("fuzz-weights.h5", H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (f < 0) return 0;
  for (int i = 0; i < n_configs; i++) {
    nf_model *m = NULL;
    keras_pending *pend = NULL;
    int np = 0;
    nf_error err = {0};
    int rc = nf_keras_build_from_config(configs[i], "fuzz.json", &m, &pend, &np, &err);
    if (!rc) rc = nf_keras_load_weights((long long)f, "fuzz_weights.h5", m, pend, np, &err);
    if (!rc) rc = nf_model_validate(m, &err);
    free(pend);
    nf_model_free(m);
  }
  H5Fclose(f);
  fuzz_hdf5_all_closed();
  return 0;
}
