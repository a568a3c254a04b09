/* Keras entry points: JSON + HDF5 weights, full-model .h5, Keras 3 .keras. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "import_internal.h"

static int open_h5(const char *path, hid_t *f, nf_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (access(path, R_OK) != 0) return nf_fail(err, NF_EINPUT, "%s: cannot open (missing or unreadable)", path);
  if (H5Fis_hdf5(path) <= 0) return nf_fail(err, NF_EINPUT, "%s: not an HDF5 file", path);
  *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*f < 0) return nf_fail(err, NF_EINPUT, "%s: cannot open as HDF5 (truncated or corrupt?)", path);
  return NF_OK;
}

/* Builds from config JSON text, then fills weights from an open HDF5 file. */
static int build_and_fill(const char *json, size_t len, const char *origin, hid_t f, const char *wpath,
                          nf_model **out, nf_error *err) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root) return nf_fail(err, NF_EINPUT, "%s: model config is not valid JSON", origin);
  keras_pending *pend = NULL;
  int np = 0;
  nf_model *m = NULL;
  int rc = nf_keras_build_from_config(root, origin, &m, &pend, &np, err);
  cJSON_Delete(root);
  if (!rc) rc = nf_keras_load_weights((long long)f, wpath, m, pend, np, err);
  if (!rc && (rc = nf_model_validate(m, err)) && !strstr(err->msg, wpath)) nf_fail_context(err, "%s", wpath);
  if (!rc) rc = nf_keras_hgq_finish(m, wpath, err);
  free(pend);
  if (rc) {
    nf_model_free(m);
    return rc;
  }
  *out = m;
  return NF_OK;
}

/* "<stem>_weights.h5" beside "<stem>.json", the hls4ml example-model naming. */
static char *default_weights_path(const char *json_path) {
  size_t n = strlen(json_path);
  if (n < 5 || strcmp(json_path + n - 5, ".json")) return NULL;
  char *p = malloc(n + 16);
  if (p) snprintf(p, n + 16, "%.*s_weights.h5", (int)(n - 5), json_path);
  return p;
}

int nf_import_keras_json(const char *json_path, const char *weights_path, nf_model **out, nf_error *err) {
  char *text = NULL;
  size_t len = 0;
  int rc = nf_read_file(json_path, &text, &len, err);
  if (rc) return rc;
  char *guessed = weights_path ? NULL : default_weights_path(json_path);
  const char *wpath = weights_path ? weights_path : guessed;
  if (!wpath || access(wpath, R_OK) != 0) {
    rc = nf_fail(err, NF_EINPUT, "%s: no weights file (pass --weights W.h5%s%s)", json_path,
                 guessed ? "; tried " : "", guessed ? guessed : "");
  }
  hid_t f = -1;
  if (!rc) rc = open_h5(wpath, &f, err);
  if (!rc) rc = build_and_fill(text, len, json_path, f, wpath, out, err);
  if (f >= 0) H5Fclose(f);
  free(guessed);
  free(text);
  return rc;
}

/* A full-model .h5 held in memory (the fuzz harness's way in). */
int nf_keras_h5_from_image(const void *data, size_t len, const char *origin, nf_model **out, nf_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (len < 8) return nf_fail(err, NF_EINPUT, "%s: not an HDF5 file", origin);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  H5Pset_file_image(fapl, (void *)data, len);
  hid_t f = H5Fopen("fuzz-image.h5", H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (f < 0) return nf_fail(err, NF_EINPUT, "%s: not a readable HDF5 image", origin);
  char *json = NULL;
  int rc = nf_keras_h5_model_config((long long)f, origin, &json, err);
  if (!rc) rc = build_and_fill(json, strlen(json), origin, f, origin, out, err);
  free(json);
  H5Fclose(f);
  return rc;
}

int nf_import_keras_h5(const char *path, nf_model **out, nf_error *err) {
  hid_t f;
  int rc = open_h5(path, &f, err);
  if (rc) return rc;
  char *json = NULL;
  rc = nf_keras_h5_model_config((long long)f, path, &json, err);
  if (!rc) rc = build_and_fill(json, strlen(json), path, f, path, out, err);
  free(json);
  H5Fclose(f);
  return rc;
}

/* Reads one member of a zip archive into memory. */
static int zip_member(zip_t *z, const char *path, const char *name, char **data, size_t *len, nf_error *err) {
  zip_stat_t st;
  if (zip_stat(z, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return nf_fail(err, NF_EINPUT, "%s: archive has no '%s' (not a Keras 3 .keras file?)", path, name);
  if (st.size > (zip_uint64_t)1 << 31) return nf_fail(err, NF_EINPUT, "%s: '%s' is too large", path, name);
  zip_file_t *zf = zip_fopen(z, name, 0);
  char *buf = zf ? nf_malloc((size_t)st.size + 1, err) : NULL;
  zip_int64_t got = buf ? zip_fread(zf, buf, st.size) : -1;
  if (zf) zip_fclose(zf);
  if (!buf || got != (zip_int64_t)st.size) {
    free(buf);
    return nf_fail(err, NF_EINPUT, "%s: cannot read '%s' from the archive", path, name);
  }
  buf[st.size] = '\0';
  *data = buf;
  *len = (size_t)st.size;
  return NF_OK;
}

int nf_import_keras_v3(const char *path, nf_model **out, nf_error *err) {
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    /* A file that opens as a zip but lacks the directory at its end was cut short. */
    char head[4] = {0};
    FILE *fp = zerr == ZIP_ER_NOZIP ? fopen(path, "rb") : NULL;
    bool cut = fp && fread(head, 1, 4, fp) == 4 && !memcmp(head, "PK\3\4", 4);
    if (fp) fclose(fp);
    int rc = cut ? nf_fail(err, NF_EINPUT, "%s: zip archive without its central directory at the end of the file "
                                           "(truncated .keras file?)", path)
                 : nf_fail(err, NF_EINPUT, "%s: not a readable zip archive (.keras files are zips): %s", path,
                           zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
  }
  char *config = NULL, *weights = NULL;
  size_t clen = 0, wlen = 0;
  int rc = zip_member(z, path, "config.json", &config, &clen, err);
  if (!rc) rc = zip_member(z, path, "model.weights.h5", &weights, &wlen, err);
  zip_close(z);
  /* The weights are an HDF5 image in memory: open it with the core driver's
   * file-image support rather than extracting to disk. */
  hid_t f = -1;
  if (!rc) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 20, 0);
    H5Pset_file_image(fapl, weights, wlen);
    char name[64];
    snprintf(name, sizeof name, "keras3-weights-%p", (void *)weights);
    f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) rc = nf_fail(err, NF_EINPUT, "%s: model.weights.h5 in the archive is not valid HDF5", path);
  }
  char origin[4200];
  snprintf(origin, sizeof origin, "%s (config.json)", path);
  if (!rc) rc = build_and_fill(config, clen, origin, f, path, out, err);
  if (f >= 0) H5Fclose(f);
  free(config);
  free(weights);
  return rc;
}
