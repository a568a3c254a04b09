/* Keras weights from HDF5 (libhdf5): Keras 2 `save_weights` / full-model
 * layouts and Keras 3 `.weights.h5`. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"

/* Silences HDF5's own error printing: we report errors ourselves. */
static void quiet_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static bool link_exists(hid_t loc, const char *path) {
  /* H5Lexists fails on intermediate missing groups; walk the path. */
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf; (p = strchr(p, '/')); p++) {
    *p = '\0';
    if (buf[0] && H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return false;
    *p = '/';
  }
  return H5Lexists(loc, buf, H5P_DEFAULT) > 0;
}

/* Reads a float dataset of exactly `count` elements (any rank). */
static int read_floats(hid_t loc, const char *dset, float *dst, size_t count, const char *path, const char *layer,
                       nf_error *err) {
  hid_t d = H5Dopen2(loc, dset, H5P_DEFAULT);
  if (d < 0) return nf_fail(err, NF_EINPUT, "%s: layer '%s': weight '%s' not found", path, layer, dset);
  hid_t space = H5Dget_space(d);
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  /* A number of at most 8 bytes: libhdf5 sizes its conversion buffer by
   * the file's element size, which a damaged file can make gigabytes. */
  hid_t type = H5Dget_type(d);
  H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  size_t esize = type >= 0 ? H5Tget_size(type) : 0;
  /* Its bits inside its bytes (libhdf5's integer conversion trusts them). */
  size_t bits = type >= 0 ? H5Tget_precision(type) + H5Tget_offset(type) : 0;
  if (type >= 0) H5Tclose(type);
  int rc = NF_OK;
  if (n != (hssize_t)count)
    rc = nf_fail(err, NF_EINPUT, "%s: layer '%s': weight '%s' has %lld values, the architecture needs %zu", path,
                 layer, dset, (long long)n, count);
  else if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || esize < 1 || esize > 8 || bits > 8 * esize)
    rc = nf_fail(err, NF_EINPUT, "%s: layer '%s': weight '%s' is not an array of numbers", path, layer, dset);
  else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
    rc = nf_fail(err, NF_EINPUT, "%s: layer '%s': cannot read weight '%s'", path, layer, dset);
  if (space >= 0) H5Sclose(space);
  H5Dclose(d);
  return rc;
}

/* Reads a string attribute (scalar or 1-D, fixed or variable length) into a
 * NULL-terminated array of strings. */
static int read_string_attr(hid_t obj, const char *name, char ***out, int *count, const char *path, nf_error *err) {
  *out = NULL;
  *count = 0;
  if (H5Aexists(obj, name) <= 0) return nf_fail(err, NF_EINPUT, "%s: attribute '%s' missing", path, name);
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t type = H5Aget_type(a), space = H5Aget_space(a);
  int rc = NF_OK;
  hssize_t n = H5Sget_simple_extent_npoints(space);
  if (a < 0 || type < 0 || n < 0 || n > 100000 || H5Tget_class(type) != H5T_STRING) {
    rc = nf_fail(err, NF_EINPUT, "%s: attribute '%s' is not a string", path, name);
    goto done;
  }
  char **list = nf_calloc((size_t)n + 1, sizeof *list, err);
  if (!list) {
    rc = NF_EINTERNAL;
    goto done;
  }
  if (H5Tis_variable_str(type) > 0) {
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5Tget_cset(type));
    char **raw = nf_calloc((size_t)n + 1, sizeof *raw, err);
    if (raw && H5Aread(a, mem, raw) >= 0) {
      for (hssize_t i = 0; i < n && !rc; i++)
        if (!(list[i] = nf_strdup(raw[i] ? raw[i] : "", err))) rc = NF_EINTERNAL;
      H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
    } else if (raw) {
      rc = nf_fail(err, NF_EINPUT, "%s: cannot read attribute '%s'", path, name);
    } else {
      rc = NF_EINTERNAL;
    }
    free(raw);
    H5Tclose(mem);
  } else {
    size_t size = H5Tget_size(type);
    char *raw = size > 0 && size < (1 << 24) ? nf_calloc((size_t)n, size + 1, err) : NULL;
    if (raw && H5Aread(a, type, raw) >= 0) {
      for (hssize_t i = 0; i < n && !rc; i++) {
        char *s = nf_malloc(size + 1, err);
        if (!s) {
          rc = NF_EINTERNAL;
          break;
        }
        memcpy(s, raw + (size_t)i * size, size);
        s[size] = '\0';
        list[i] = s;
      }
    } else {
      rc = nf_fail(err, NF_EINPUT, "%s: cannot read attribute '%s'", path, name);
    }
    free(raw);
  }
  if (rc) {
    for (hssize_t i = 0; i < n; i++) free(list[i]);
    free(list);
  } else {
    *out = list;
    *count = (int)n;
  }
done:
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (a >= 0) H5Aclose(a);
  return rc;
}

static void free_strings(char **list, int n) {
  for (int i = 0; i < n; i++) free(list[i]);
  free(list);
}

int nf_keras_h5_model_config(long long file_id, const char *path, char **json, nf_error *err) {
  quiet_hdf5();
  char **list;
  int n;
  int rc = read_string_attr((hid_t)file_id, "model_config", &list, &n, path, err);
  if (rc) return nf_fail(err, NF_EINPUT, "%s: no 'model_config' attribute: not a full Keras model file "
                                         "(for weights-only files pass the .json architecture with --weights)", path);
  if (n != 1) {
    free_strings(list, n);
    return nf_fail(err, NF_EINPUT, "%s: 'model_config' is not a single string", path);
  }
  *json = list[0];
  free(list);
  return NF_OK;
}

/* Base name of a Keras 2 weight name: "fc1/kernel:0" -> "kernel". */
static void weight_role(const char *full, char *role, size_t n) {
  const char *slash = strrchr(full, '/');
  snprintf(role, n, "%s", slash ? slash + 1 : full);
  char *colon = strchr(role, ':');
  if (colon) *colon = '\0';
}

/* Where each array of a layer goes, in Keras' storage order. */
static int layer_targets(nf_layer *l, const keras_pending *p, float **dst, size_t *len, const char **roles) {
  int n = 0;
  size_t no = (size_t)nf_layer_channels(l); /* per-channel arrays: bias, BatchNormalization's */
  if (p->kind == KERAS_W_FPQ) { /* HGQ's stored types */
    size_t nt = (size_t)l->fpq_n;
    dst[n] = l->fpq, len[n] = nt, roles[n++] = "keep_negative";
    dst[n] = l->fpq + nt, len[n] = nt, roles[n++] = "bits";
    dst[n] = l->fpq + 2 * nt, len[n] = nt, roles[n++] = "integers";
  } else if (p->kind == KERAS_W_PRELU) { /* one alpha per element */
    dst[n] = l->kernel, len[n] = nf_layer_kernel_count(l), roles[n++] = "alpha";
  } else if (p->kind == KERAS_W_DENSE) { /* Dense and Conv */
    dst[n] = l->kernel, len[n] = nf_layer_kernel_count(l), roles[n++] = "kernel";
    if (l->bias) dst[n] = l->bias, len[n] = no, roles[n++] = "bias";
  } else {
    if (p->has_gamma) dst[n] = l->gamma, len[n] = no, roles[n++] = "gamma";
    if (p->has_beta) dst[n] = l->beta, len[n] = no, roles[n++] = "beta";
    dst[n] = l->moving_mean, len[n] = no, roles[n++] = "moving_mean";
    dst[n] = l->moving_var, len[n] = no, roles[n++] = "moving_variance";
  }
  return n;
}

static int load_keras2_layer(hid_t root, const char *path, nf_layer *l, const keras_pending *p, nf_error *err) {
  if (!link_exists(root, p->name))
    return nf_fail(err, NF_EINPUT, "%s: no weights for layer '%s'", path, p->name);
  hid_t g = H5Gopen2(root, p->name, H5P_DEFAULT);
  if (g < 0) return nf_fail(err, NF_EINPUT, "%s: layer '%s' is not a group", path, p->name);
  char **names;
  int nn;
  int rc = read_string_attr(g, "weight_names", &names, &nn, path, err);
  float *dst[4];
  size_t len[4];
  const char *roles[4];
  int nt = layer_targets(l, p, dst, len, roles);
  if (!rc && nn != nt)
    rc = nf_fail(err, NF_EINPUT, "%s: layer '%s' stores %d weight arrays, the architecture needs %d", path, p->name,
                 nn, nt);
  for (int t = 0; !rc && t < nt; t++) {
    /* Match by role, not position: files in the wild differ in order. */
    int found = -1;
    for (int k = 0; k < nn && found < 0; k++) {
      char role[128];
      weight_role(names[k], role, sizeof role);
      if (!strcmp(role, roles[t])) found = k;
    }
    if (found < 0) rc = nf_fail(err, NF_EINPUT, "%s: layer '%s': no '%s' weight", path, p->name, roles[t]);
    else rc = read_floats(g, names[found], dst[t], len[t], path, p->name, err);
  }
  free_strings(names, nn); /* also the empty list of an attribute with no names */
  H5Gclose(g);
  return rc;
}

/* Keras 3's key for a class: its name in snake case ("QDense" -> "q_dense",
 * "BatchNormalization" -> "batch_normalization", "Conv2D" -> "conv2d"). */
static void snake_case(const char *cls, char *out, size_t n) {
  size_t o = 0, len = strlen(cls);
  for (size_t i = 0; i < len && o + 2 < n; i++) {
    char c = cls[i];
    bool upper = c >= 'A' && c <= 'Z';
    bool lower_next = i + 1 < len && cls[i + 1] >= 'a' && cls[i + 1] <= 'z';
    bool lower_prev = i > 0 && cls[i - 1] >= 'a' && cls[i - 1] <= 'z';
    if (upper && i > 0 && (lower_next || lower_prev)) out[o++] = '_';
    out[o++] = upper ? (char)(c - 'A' + 'a') : c;
  }
  out[o] = '\0';
}

/* The "name" attribute Keras 3 writes on a layer's vars group (the layer's
 * own name), or "" when the group has none. */
static void vars_name(hid_t root, const char *vars, char *out, size_t n, const char *path) {
  out[0] = '\0';
  if (!link_exists(root, vars)) return;
  hid_t g = H5Gopen2(root, vars, H5P_DEFAULT);
  if (g < 0) return;
  char **list;
  int count;
  nf_error scratch = {0};
  if (H5Aexists(g, "name") > 0 && !read_string_attr(g, "name", &list, &count, path, &scratch)) {
    if (count == 1) snprintf(out, n, "%s", list[0]);
    free_strings(list, count);
  }
  H5Gclose(g);
}

/* Where a Keras 3 file keeps layer p's variables: the group under layers/
 * whose vars are named after the layer (Keras 3.x writes that name); else
 * the group Keras 3 names after the class, counted in model order
 * ("q_dense", "q_dense_1", ...: index = earlier layers of that class), when
 * it is not named after another layer; else layers/<layer name>. */
static int keras3_vars(hid_t root, const char *path, const keras_pending *all, int index, char *vars, size_t n,
                       nf_error *err) {
  const keras_pending *p = &all[index];
  char got[NF_NAME_MAX];
  hid_t layers = link_exists(root, "layers") ? H5Gopen2(root, "layers", H5P_DEFAULT) : -1;
  H5G_info_t info;
  if (layers >= 0 && H5Gget_info(layers, &info) >= 0 && info.nlinks < 100000) {
    for (hsize_t k = 0; k < info.nlinks; k++) {
      char child[200];
      ssize_t len = H5Lget_name_by_idx(layers, ".", H5_INDEX_NAME, H5_ITER_INC, k, child, sizeof child, H5P_DEFAULT);
      if (len <= 0 || (size_t)len >= sizeof child) continue;
      snprintf(vars, n, "layers/%s/vars", child);
      vars_name(root, vars, got, sizeof got, path);
      if (!strcmp(got, p->name)) {
        H5Gclose(layers);
        return NF_OK;
      }
    }
  }
  if (layers >= 0) H5Gclose(layers);
  int same = 0;
  for (int i = 0; i < index; i++) same += !strcmp(all[i].cls, p->cls);
  char key[2 * NF_NAME_MAX];
  snake_case(p->cls, key, sizeof key);
  if (same) snprintf(key + strlen(key), sizeof key - strlen(key), "_%d", same);
  snprintf(vars, n, "layers/%s/vars", key);
  if (link_exists(root, vars)) {
    vars_name(root, vars, got, sizeof got, path);
    if (!got[0] || !strcmp(got, p->name)) return NF_OK;
  }
  snprintf(vars, n, "layers/%s/vars", p->name);
  if (link_exists(root, vars)) return NF_OK;
  return nf_fail(err, NF_EINPUT,
                 "%s: no weights for layer '%s' (no vars group under layers/ named '%s', nor layers/%s or layers/%s)",
                 path, p->name, p->name, key, p->name);
}

static int load_keras3_layer(hid_t root, const char *path, nf_layer *l, const keras_pending *all, int index,
                             nf_error *err) {
  const keras_pending *p = &all[index];
  char vars[512];
  int rc = keras3_vars(root, path, all, index, vars, sizeof vars, err);
  if (rc) return rc;
  float *dst[4];
  size_t len[4];
  const char *roles[4];
  int nt = layer_targets(l, p, dst, len, roles);
  for (int t = 0; t < nt; t++) {
    char d[600];
    snprintf(d, sizeof d, "%s/%d", vars, t);
    rc = read_floats(root, d, dst[t], len[t], path, p->name, err);
    if (rc) return rc;
  }
  return NF_OK;
}

int nf_keras_load_weights(long long file_id, const char *path, nf_model *m, const keras_pending *p, int n,
                       nf_error *err) {
  quiet_hdf5();
  hid_t f = (hid_t)file_id;
  bool keras3 = link_exists(f, "layers") && !link_exists(f, "model_weights");
  hid_t root = link_exists(f, "model_weights") ? H5Gopen2(f, "model_weights", H5P_DEFAULT) : H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) return nf_fail(err, NF_EINPUT, "%s: cannot open the weights group", path);
  int rc = NF_OK;
  for (int i = 0; i < n && !rc; i++) {
    nf_layer *l = &m->layers[p[i].layer];
    rc = keras3 ? load_keras3_layer(root, path, l, p, i, err) : load_keras2_layer(root, path, l, &p[i], err);
  }
  H5Gclose(root);
  return rc;
}
