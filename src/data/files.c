/* Jet data files by extension, and the growing row buffer readers share. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data_internal.h"
#include "nnfirm/util.h"

int nf_data_builder_init(nf_data_builder *b, nf_error *err) {
  b->n = 0;
  b->cap = 4096;
  b->x = nf_malloc((size_t)b->cap * NF_JET_FEATURES * sizeof(float), err);
  b->y = nf_malloc((size_t)b->cap * sizeof(int), err);
  if (!b->x || !b->y) {
    free(b->x);
    free(b->y);
    b->x = NULL;
    b->y = NULL;
    return NF_EINTERNAL;
  }
  return NF_OK;
}

int nf_data_builder_add(nf_data_builder *b, const float *x, int cls, nf_error *err) {
  if (b->n == b->cap) {
    long cap = b->cap * 2;
    float *nx = nf_realloc(b->x, (size_t)cap * NF_JET_FEATURES * sizeof(float), err);
    if (!nx) return NF_EINTERNAL;
    b->x = nx;
    int *ny = nf_realloc(b->y, (size_t)cap * sizeof(int), err);
    if (!ny) return NF_EINTERNAL;
    b->y = ny;
    b->cap = cap;
  }
  memcpy(b->x + (size_t)b->n * NF_JET_FEATURES, x, NF_JET_FEATURES * sizeof(float));
  b->y[b->n++] = cls;
  return NF_OK;
}

static int jet_names(nf_dataset *ds, nf_error *err) {
  ds->feature_names = nf_calloc(NF_JET_FEATURES, sizeof(char *), err);
  ds->class_names = nf_calloc(NF_JET_CLASSES, sizeof(char *), err);
  if (!ds->feature_names || !ds->class_names) return NF_EINTERNAL;
  for (int k = 0; k < NF_JET_FEATURES; k++)
    if (!(ds->feature_names[k] = nf_strdup(NF_JET_FEATURE_NAMES[k], err))) return NF_EINTERNAL;
  for (int c = 0; c < NF_JET_CLASSES; c++)
    if (!(ds->class_names[c] = nf_strdup(NF_JET_CLASS_NAMES[c], err))) return NF_EINTERNAL;
  return NF_OK;
}

int nf_data_builder_finish(nf_data_builder *b, int rc, const char *path, nf_dataset *ds, nf_error *err) {
  memset(ds, 0, sizeof *ds);
  if (!rc && b->n == 0) rc = nf_fail(err, NF_EINPUT, "%s: no data rows (empty file?)", path);
  if (rc) {
    free(b->x);
    free(b->y);
    return rc;
  }
  ds->n_rows = b->n;
  ds->n_features = NF_JET_FEATURES;
  ds->n_classes = NF_JET_CLASSES;
  ds->x = b->x;
  ds->y = b->y;
  rc = jet_names(ds, err);
  if (rc) nf_dataset_free(ds);
  return rc;
}

int nf_data_load(const char *path, nf_dataset *ds, nf_error *err) {
  memset(ds, 0, sizeof *ds);
  struct stat st;
  if (stat(path, &st) != 0) return nf_fail(err, NF_EINPUT, "%s: no such data file", path);
  if (S_ISDIR(st.st_mode)) return nf_fail(err, NF_EINPUT, "%s: is a directory, expected a data file", path);
  if (nf_has_suffix(path, ".h5") || nf_has_suffix(path, ".hdf5")) return nf_data_load_h5(path, ds, err);
  if (nf_has_suffix(path, ".npy")) return nf_data_load_npy(path, ds, err);
  bool csv = nf_has_suffix(path, ".csv"), arff = nf_has_suffix(path, ".arff");
  if (!csv && !arff)
    return nf_fail(err, NF_EINPUT, "%s: unknown data format (expected .csv, .arff, .npy, .h5 or .hdf5)", path);
  char *text;
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return rc;
  rc = csv ? nf_data_load_csv(path, text, ds, err) : nf_data_load_arff(path, text, ds, err);
  free(text);
  return rc;
}

int nf_data_save(const char *path, const nf_dataset *ds, nf_error *err) {
  if (nf_has_suffix(path, ".csv")) return nf_data_save_csv(path, ds, err);
  if (nf_has_suffix(path, ".h5") || nf_has_suffix(path, ".hdf5")) return nf_data_save_h5(path, ds, err);
  if (nf_has_suffix(path, ".npy")) return nf_data_save_npy(path, ds, err);
  return nf_fail(err, NF_EINPUT, "%s: unknown output format (expected .csv, .npy, .h5 or .hdf5)", path);
}
