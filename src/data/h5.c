/* HDF5 jet files (libhdf5): the hls4ml release layout (a `jets` table whose
 * columns `jetFeatureNames` names, one-hot j_g..j_t among them) and nnfirm's
 * own (`features` [n][16] float32, `labels` [n] int32, names as attributes). */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "data_internal.h"
#include "nnfirm/util.h"

static bool exists(hid_t f, const char *name) { return H5Lexists(f, name, H5P_DEFAULT) > 0; }

/* Reads a 2-D float dataset as float32: rows x cols. */
static int read_matrix(hid_t f, const char *name, float **out, hsize_t *rows, hsize_t *cols, const char *path,
                       nf_error *err) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t s = d >= 0 ? H5Dget_space(d) : -1;
  hsize_t dims[2] = {0, 1};
  int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
  int rc = NF_OK;
  if (rank < 1 || rank > 2) rc = nf_fail(err, NF_EINPUT, "%s: data set '%s' is not a 1-D or 2-D array", path, name);
  else H5Sget_simple_extent_dims(s, dims, NULL);
  if (!rc && (dims[0] == 0 || dims[0] > 100000000ull || dims[1] > 4096))
    rc = nf_fail(err, NF_EINPUT, "%s: data set '%s' has an unusable shape", path, name);
  /* Numbers of at most 8 bytes, and no more of them than the file stores
   * (deflate, the strongest filter such files use, packs at most ~1030:1):
   * a damaged header must not make us allocate terabytes. */
  hid_t t = rc ? -1 : H5Dget_type(d);
  H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
  size_t esize = t >= 0 ? H5Tget_size(t) : 0;
  /* Its bits inside its bytes (libhdf5's integer conversion trusts them). */
  size_t bits = t >= 0 ? H5Tget_precision(t) + H5Tget_offset(t) : 0;
  if (t >= 0) H5Tclose(t);
  if (!rc && ((cls != H5T_FLOAT && cls != H5T_INTEGER) || esize < 1 || esize > 8 || bits > 8 * esize))
    rc = nf_fail(err, NF_EINPUT, "%s: data set '%s' is not an array of numbers", path, name);
  if (!rc && (double)dims[0] * (double)dims[1] * (double)esize > 1100.0 * (double)H5Dget_storage_size(d))
    rc = nf_fail(err, NF_EINPUT, "%s: data set '%s' declares %llux%llu values but the file holds far fewer "
                 "(truncated or damaged?)", path, name, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  float *v = rc ? NULL : nf_malloc((size_t)(dims[0] * dims[1]) * sizeof *v, err);
  if (!rc && !v) rc = NF_EINTERNAL;
  if (!rc && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
    rc = nf_fail(err, NF_EINPUT, "%s: cannot read data set '%s' (truncated or not numeric?)", path, name);
  if (s >= 0) H5Sclose(s);
  if (d >= 0) H5Dclose(d);
  if (rc) {
    free(v);
    return rc;
  }
  *out = v;
  *rows = dims[0];
  *cols = dims[1];
  return NF_OK;
}

/* Every string libhdf5 allocates while reading variable-length strings, so
 * that all of them are freed even when the read fails half-way (libhdf5
 * then drops the ones it converted into its own buffers). */
typedef struct {
  void **blocks;
  size_t n, cap;
} vlen_pool;

static void *vlen_alloc(size_t size, void *info) {
  vlen_pool *v = info;
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 64;
    void **b = realloc(v->blocks, cap * sizeof *b);
    if (!b) return NULL;
    v->blocks = b, v->cap = cap;
  }
  void *m = malloc(size);
  if (m) v->blocks[v->n++] = m;
  return m;
}

static void vlen_free(void *mem, void *info) {
  vlen_pool *v = info;
  for (size_t i = v->n; mem && i-- > 0;)
    if (v->blocks[i] == mem) {
      v->blocks[i] = NULL;
      break;
    }
  free(mem);
}

/* jetFeatureNames: fixed-length or variable-length strings. */
static int read_names(hid_t f, const char *name, char ***out, int *n, const char *path, nf_error *err) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t t = d >= 0 ? H5Dget_type(d) : -1, s = d >= 0 ? H5Dget_space(d) : -1;
  hssize_t count = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
  int rc = (t < 0 || H5Tget_class(t) != H5T_STRING || count < 1 || count > 4096)
               ? nf_fail(err, NF_EINPUT, "%s: '%s' is not a list of names", path, name)
               : NF_OK;
  char **names = rc ? NULL : nf_calloc((size_t)count, sizeof *names, err);
  if (!rc && !names) rc = NF_EINTERNAL;
  if (!rc && H5Tis_variable_str(t) > 0) {
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, H5T_VARIABLE);
    char **raw = nf_calloc((size_t)count, sizeof *raw, err);
    vlen_pool pool = {0};
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    if (xfer < 0 || H5Pset_vlen_mem_manager(xfer, vlen_alloc, &pool, vlen_free, &pool) < 0 || !raw ||
        H5Dread(d, mem, H5S_ALL, H5S_ALL, xfer, raw) < 0)
      rc = nf_fail(err, NF_EINPUT, "%s: cannot read '%s'", path, name);
    for (hssize_t i = 0; !rc && i < count; i++)
      if (!(names[i] = nf_strdup(raw[i] ? raw[i] : "", err))) rc = NF_EINTERNAL;
    for (size_t i = 0; i < pool.n; i++) free(pool.blocks[i]);
    free(pool.blocks);
    if (xfer >= 0) H5Pclose(xfer);
    free(raw);
    H5Tclose(mem);
  } else if (!rc) {
    size_t size = H5Tget_size(t);
    if (size < 1 || size > 1024) rc = nf_fail(err, NF_EINPUT, "%s: '%s' holds names of %zu bytes", path, name, size);
    char *raw = rc ? NULL : nf_calloc((size_t)count, size + 1, err);
    if (!rc && (!raw || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)) rc = nf_fail(err, NF_EINPUT, "%s: cannot read '%s'", path, name);
    for (hssize_t i = 0; !rc && i < count; i++)
      if (!(names[i] = strndup(raw + i * size, size))) rc = nf_fail_oom(err, "names");
    free(raw);
  }
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  if (d >= 0) H5Dclose(d);
  if (rc) {
    for (hssize_t i = 0; names && i < count; i++) free(names[i]);
    free(names);
    return rc;
  }
  *out = names;
  *n = (int)count;
  return NF_OK;
}

static int load_hls4ml(hid_t f, const char *path, nf_dataset *ds, nf_error *err) {
  char **names = NULL;
  int n_names = 0;
  float *jets = NULL;
  hsize_t rows, cols;
  int rc = read_names(f, "jetFeatureNames", &names, &n_names, path, err);
  if (!rc) rc = read_matrix(f, "jets", &jets, &rows, &cols, path, err);
  if (!rc && (int)cols != n_names)
    rc = nf_fail(err, NF_EINPUT, "%s: 'jets' has %llu columns but jetFeatureNames names %d", path,
                 (unsigned long long)cols, n_names);
  int fcol[NF_JET_FEATURES], ccol[NF_JET_CLASSES];
  for (int k = 0; !rc && k < NF_JET_FEATURES; k++) {
    fcol[k] = -1;
    for (int i = 0; i < n_names; i++)
      if (!strcasecmp(names[i], NF_JET_FEATURE_NAMES[k])) fcol[k] = i;
    if (fcol[k] < 0) rc = nf_fail(err, NF_EINPUT, "%s: jetFeatureNames lacks '%s'", path, NF_JET_FEATURE_NAMES[k]);
  }
  for (int c = 0; !rc && c < NF_JET_CLASSES; c++) {
    char want[8];
    snprintf(want, sizeof want, "j_%s", NF_JET_CLASS_NAMES[c]);
    ccol[c] = -1;
    for (int i = 0; i < n_names; i++)
      if (!strcasecmp(names[i], want)) ccol[c] = i;
    if (ccol[c] < 0) rc = nf_fail(err, NF_EINPUT, "%s: jetFeatureNames lacks the one-hot column '%s'", path, want);
  }
  nf_data_builder b;
  if (!rc) rc = nf_data_builder_init(&b, err);
  for (hsize_t r = 0; !rc && r < rows; r++) {
    const float *row = jets + r * cols;
    float x[NF_JET_FEATURES];
    int cls = -1;
    for (int k = 0; k < NF_JET_FEATURES; k++) x[k] = row[fcol[k]];
    for (int c = 0; c < NF_JET_CLASSES; c++)
      if (row[ccol[c]] == 1) cls = cls < 0 ? c : -2;
    for (int k = 0; k < NF_JET_FEATURES && cls >= 0; k++)
      if (!(x[k] == x[k]) || x[k] > 3e38f || x[k] < -3e38f) cls = -3;
    if (cls < 0)
      rc = nf_fail(err, NF_EINPUT, "%s: jets row %llu: %s", path, (unsigned long long)r,
                   cls == -3 ? "non-finite feature" : "one-hot label is not exactly one class");
    else
      rc = nf_data_builder_add(&b, x, cls, err);
    if (rc) nf_data_builder_finish(&b, rc, path, ds, err);
  }
  if (!rc) rc = nf_data_builder_finish(&b, rc, path, ds, err);
  for (int i = 0; i < n_names; i++) free(names[i]);
  free(names);
  free(jets);
  return rc;
}

static int load_native(hid_t f, const char *path, nf_dataset *ds, nf_error *err) {
  float *x = NULL, *y = NULL;
  hsize_t rows, cols, yrows, ycols;
  int rc = read_matrix(f, "features", &x, &rows, &cols, path, err);
  if (!rc) rc = read_matrix(f, "labels", &y, &yrows, &ycols, path, err);
  if (!rc && (cols != NF_JET_FEATURES || yrows != rows || ycols != 1))
    rc = nf_fail(err, NF_EINPUT, "%s: expected features [n][16] and labels [n] (got %llux%llu and %llu)", path,
                 (unsigned long long)rows, (unsigned long long)cols, (unsigned long long)yrows);
  nf_data_builder b;
  if (!rc) rc = nf_data_builder_init(&b, err);
  for (hsize_t r = 0; !rc && r < rows; r++) {
    int cls = (int)y[r];
    if ((float)cls != y[r] || cls < 0 || cls >= NF_JET_CLASSES) {
      rc = nf_fail(err, NF_EINPUT, "%s: labels[%llu] = %g is not a class index 0..4", path, (unsigned long long)r, y[r]);
      nf_data_builder_finish(&b, rc, path, ds, err);
      break;
    }
    rc = nf_data_builder_add(&b, x + r * cols, cls, err);
    if (rc) nf_data_builder_finish(&b, rc, path, ds, err);
  }
  if (!rc) rc = nf_data_builder_finish(&b, rc, path, ds, err);
  free(x);
  free(y);
  return rc;
}

int nf_data_load_h5(const char *path, nf_dataset *ds, nf_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (H5Fis_hdf5(path) <= 0) return nf_fail(err, NF_EINPUT, "%s: not an HDF5 file", path);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return nf_fail(err, NF_EINPUT, "%s: cannot open as HDF5 (truncated?)", path);
  int rc;
  if (exists(f, "jets") && exists(f, "jetFeatureNames")) rc = load_hls4ml(f, path, ds, err);
  else if (exists(f, "features") && exists(f, "labels")) rc = load_native(f, path, ds, err);
  else rc = nf_fail(err, NF_EINPUT, "%s: neither the hls4ml layout (jets + jetFeatureNames) nor nnfirm's "
                                    "(features + labels)", path);
  H5Fclose(f);
  return rc;
}

int nf_data_save_h5(const char *path, const nf_dataset *ds, nf_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return nf_fail(err, NF_EINPUT, "%s: cannot create", path);
  hsize_t dims[2] = {(hsize_t)ds->n_rows, (hsize_t)ds->n_features};
  hid_t s2 = H5Screate_simple(2, dims, NULL), s1 = H5Screate_simple(1, dims, NULL);
  hid_t dx = H5Dcreate2(f, "features", H5T_IEEE_F32LE, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t dy = H5Dcreate2(f, "labels", H5T_STD_I32LE, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  bool ok = dx >= 0 && dy >= 0 && H5Dwrite(dx, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->x) >= 0 &&
            H5Dwrite(dy, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->y) >= 0;
  if (dx >= 0) H5Dclose(dx);
  if (dy >= 0) H5Dclose(dy);
  H5Sclose(s1);
  H5Sclose(s2);
  ok = H5Fclose(f) >= 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return nf_fail(err, NF_EINTERNAL, "%s: HDF5 write failed", path);
  }
  return NF_OK;
}
