/* nnfirm_fuzz_seeds HARNESS DIR: writes seed inputs for one harness into
 * DIR, made from the real files of the test data (tests/data) through the
 * library's own writers, for the inputs the repository holds no file of:
 * full-model Keras .h5, Keras 3 .keras archives, HDF5 and CSV data, hls4ml
 * configurations generated for real models, .nnf files of every imported
 * model, and project directories packed as the project harness reads them
 * (manifest, "@@@" line, network). Harnesses whose seeds are real files
 * used as they are get nothing here (fuzz/run.sh copies those). */
#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/project.h"
#include "nnfirm/util.h"

#define TESTDATA NNFIRM_FUZZ_TESTDATA

static const char *const KERAS[] = {"KERAS_3layer", "KERAS_3layer_batch_norm", "KERAS_3layer_binary_smaller",
                                    "KERAS_3layer_ternary_small", "qkeras_3layer"};
enum { N_KERAS = sizeof KERAS / sizeof *KERAS };

static void say(const char *what, const nf_error *err) {
  fprintf(stderr, "nnfirm_fuzz_seeds: %s: %s\n", what, err && err->msg[0] ? err->msg : "failed");
}

static void write_string_attr(hid_t obj, const char *name, const char *text) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(text) + 1);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, text);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
}

static void write_floats(hid_t loc, const char *name, const float *v, int rank, const hsize_t *dims) {
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Sclose(s);
}

static herr_t copy_link(hid_t src, const char *name, const H5L_info_t *info, void *dst) {
  return H5Ocopy(src, name, *(hid_t *)dst, name, H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
}

/* Keras 2 full model: the architecture JSON as the root attribute
 * model_config, the weights file's groups under model_weights/. */
static void keras_h5(const char *out) {
  for (int i = 0; i < N_KERAS; i++) {
    char json_path[4096], w_path[4096], path[4096], *json = NULL;
    snprintf(json_path, sizeof json_path, "%s/models/keras/%s.json", TESTDATA, KERAS[i]);
    snprintf(w_path, sizeof w_path, "%s/models/keras/%s_weights.h5", TESTDATA, KERAS[i]);
    snprintf(path, sizeof path, "%s/%s.h5", out, KERAS[i]);
    if (nf_read_file(json_path, &json, NULL, NULL)) continue;
    hid_t src = H5Fopen(w_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dst = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (src >= 0 && dst >= 0) {
      write_string_attr(dst, "model_config", json);
      hid_t mw = H5Gcreate2(dst, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Literate(src, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, copy_link, &mw);
      H5Gclose(mw);
    }
    if (dst >= 0) H5Fclose(dst);
    if (src >= 0) H5Fclose(src);
    free(json);
  }
}

/* Keras 3: config.json and model.weights.h5 (layers/<name>/vars/<i>),
 * stored uncompressed so that mutations reach the members. */
static void keras_v3(const char *out) {
  for (int i = 0; i < N_KERAS; i++) {
    char json_path[4096], weights[4096], archive[4096], *json = NULL;
    snprintf(json_path, sizeof json_path, "%s/models/keras/%s.json", TESTDATA, KERAS[i]);
    snprintf(weights, sizeof weights, "%s/%s.weights.h5", out, KERAS[i]);
    snprintf(archive, sizeof archive, "%s/%s.keras", out, KERAS[i]);
    nf_model *m = NULL;
    nf_error err = {0};
    if (nf_model_open(json_path, NULL, &m, &err) || nf_read_file(json_path, &json, NULL, &err)) {
      say(json_path, &err);
      nf_model_free(m);
      continue;
    }
    hid_t f = H5Fcreate(weights, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t layers = H5Gcreate2(f, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int k = 0; k < m->n_layers; k++) {
      const nf_layer *l = &m->layers[k];
      if (l->kind != NF_LAYER_DENSE && l->kind != NF_LAYER_BATCHNORM) continue;
      hid_t g = H5Gcreate2(layers, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      hid_t v = H5Gcreate2(g, "vars", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      hsize_t kd[2] = {(hsize_t)l->n_in, (hsize_t)l->n_out}, bd[1] = {(hsize_t)l->n_out};
      if (l->kind == NF_LAYER_DENSE) {
        write_floats(v, "0", l->kernel, 2, kd);
        if (l->bias) write_floats(v, "1", l->bias, 1, bd);
      } else {
        const float *p[4] = {l->gamma, l->beta, l->moving_mean, l->moving_var};
        for (int t = 0; t < 4; t++) {
          char name[4] = {(char)('0' + t), 0};
          write_floats(v, name, p[t], 1, bd);
        }
      }
      H5Gclose(v);
      H5Gclose(g);
    }
    H5Gclose(layers);
    H5Fclose(f);
    int zerr;
    zip_t *z = zip_open(archive, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (z) {
      zip_source_t *cs = zip_source_buffer(z, json, strlen(json), 0);
      zip_int64_t a = cs ? zip_file_add(z, "config.json", cs, ZIP_FL_OVERWRITE) : -1;
      zip_source_t *ws = zip_source_file(z, weights, 0, -1);
      zip_int64_t b = ws ? zip_file_add(z, "model.weights.h5", ws, ZIP_FL_OVERWRITE) : -1;
      if (a >= 0) zip_set_file_compression(z, (zip_uint64_t)a, ZIP_CM_STORE, 0);
      if (b >= 0) zip_set_file_compression(z, (zip_uint64_t)b, ZIP_CM_STORE, 0);
      if (zip_close(z) != 0) zip_discard(z);
    }
    remove(weights);
    free(json);
    nf_model_free(m);
  }
}

/* HDF5 data in the hls4ml layout: jets [n][cols] with jetFeatureNames
 * (the 16 features, the one-hot j_g..j_t and an extra column), names as
 * variable- or fixed-length strings. */
static void h5_hls4ml(const char *path, const nf_dataset *ds, bool vlen) {
  enum { COLS = NF_JET_FEATURES + NF_JET_CLASSES + 1 };
  const char *names[COLS];
  char cls[NF_JET_CLASSES][8];
  names[0] = "j_index";
  for (int k = 0; k < NF_JET_FEATURES; k++) names[1 + k] = NF_JET_FEATURE_NAMES[k];
  for (int c = 0; c < NF_JET_CLASSES; c++) {
    snprintf(cls[c], sizeof cls[c], "j_%s", NF_JET_CLASS_NAMES[c]);
    names[1 + NF_JET_FEATURES + c] = cls[c];
  }
  float *jets = calloc((size_t)ds->n_rows * COLS, sizeof *jets);
  if (!jets) return;
  for (long r = 0; r < ds->n_rows; r++) {
    float *row = jets + r * COLS;
    row[0] = (float)r;
    for (int k = 0; k < NF_JET_FEATURES; k++) row[1 + k] = ds->x[r * NF_JET_FEATURES + k];
    row[1 + NF_JET_FEATURES + ds->y[r]] = 1;
  }
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {(hsize_t)ds->n_rows, COLS}, nd[1] = {COLS};
  write_floats(f, "jets", jets, 2, dims);
  hid_t t = H5Tcopy(H5T_C_S1);
  char fixed[COLS][16];
  if (vlen) {
    H5Tset_size(t, H5T_VARIABLE);
  } else {
    H5Tset_size(t, 16);
    memset(fixed, 0, sizeof fixed);
    for (int i = 0; i < COLS; i++) snprintf(fixed[i], 16, "%s", names[i]);
  }
  hid_t s = H5Screate_simple(1, nd, NULL);
  hid_t d = H5Dcreate2(f, "jetFeatureNames", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, vlen ? (const void *)names : (const void *)fixed);
  H5Dclose(d);
  H5Sclose(s);
  H5Tclose(t);
  H5Fclose(f);
  free(jets);
}

static void data_files(const char *out, const char *ext) {
  nf_dataset ds;
  nf_error err = {0};
  if (nf_data_synth(6, 1, &ds, &err)) {
    say("synthetic jets", &err);
    return;
  }
  char path[4096];
  if (!strcmp(ext, ".h5")) {
    snprintf(path, sizeof path, "%s/hls4ml_vlen.h5", out);
    h5_hls4ml(path, &ds, true);
    snprintf(path, sizeof path, "%s/hls4ml_fixed.h5", out);
    h5_hls4ml(path, &ds, false);
  }
  snprintf(path, sizeof path, "%s/native%s", out, ext);
  if (nf_data_save(path, &ds, &err)) say(path, &err);
  nf_dataset_free(&ds);
}

/* Every model of the test data that imports, as the models to configure
 * and to save as .nnf. */
static int open_models(nf_model **ms, const char **names, int max) {
  static char paths[32][4096];
  int n = 0;
  snprintf(paths[n++], 4096, "%s/projects/tiny.nnf", TESTDATA);
  for (int i = 0; i < N_KERAS; i++) snprintf(paths[n++], 4096, "%s/models/keras/%s.json", TESTDATA, KERAS[i]);
  snprintf(paths[n++], 4096, "%s/models/keras/hgq_jet_classifier.h5", TESTDATA);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/models/onnx", TESTDATA);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 32)
    if (nf_has_suffix(e->d_name, ".onnx")) snprintf(paths[n++], 4096, "%s/%s", dir, e->d_name);
  if (d) closedir(d);
  int got = 0;
  for (int i = 0; i < n && got < max; i++) {
    nf_error err = {0};
    nf_model *m = NULL;
    if (nf_model_open(paths[i], NULL, &m, &err)) continue; /* e.g. the CNNs, not supported yet */
    const char *slash = strrchr(paths[i], '/');
    names[got] = slash ? slash + 1 : paths[i];
    ms[got++] = m;
  }
  return got;
}

static void nnf_files(const char *out) {
  nf_model *ms[32];
  const char *names[32];
  int n = open_models(ms, names, 32);
  for (int i = 0; i < n; i++) {
    char path[4096];
    nf_error err = {0};
    snprintf(path, sizeof path, "%s/%s.nnf", out, names[i]);
    if (nf_model_save(ms[i], path, &err)) say(path, &err);
    nf_model_free(ms[i]);
  }
}

static void configs(const char *out) {
  nf_model *ms[32];
  const char *names[32];
  int n = open_models(ms, names, 32);
  for (int i = 0; i < n; i++) {
    for (int g = NF_GRAN_MODEL; g <= NF_GRAN_NAME; g++)
      for (int a = 0; a < 2; a++) {
        nf_error err = {0};
        char *text = nf_config_generate(ms[i], (nf_granularity)g, a, &err);
        if (!text) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.g%d%s.json", out, names[i], g, a ? ".auto" : "");
        nf_write_file_atomic(path, text, strlen(text), NULL);
        free(text);
      }
    nf_model_free(ms[i]);
  }
}

/* A project directory packed as the harness reads it. */
static void pack(const char *dir, const char *network, const char *out) {
  char path[4200], *m = NULL, *n = NULL;
  size_t ml = 0, nl = 0;
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  if (nf_read_file(path, &m, &ml, NULL)) return;
  snprintf(path, sizeof path, "%s/%s", dir, network);
  if (!nf_read_file(path, &n, &nl, NULL)) {
    char *buf = malloc(ml + nl + 8);
    if (buf) {
      memcpy(buf, m, ml);
      memcpy(buf + ml, "\n@@@\n", 5);
      memcpy(buf + ml + 5, n, nl);
      nf_write_file_atomic(out, buf, ml + 5 + nl, NULL);
      free(buf);
    }
    free(n);
  }
  free(m);
}

static void projects(const char *out) {
  char path[4200];
  snprintf(path, sizeof path, "%s/v1_tiny.project", out);
  pack(TESTDATA "/projects/v1_tiny", "design.json", path);
  nf_model *ms[32];
  const char *names[32];
  int n = open_models(ms, names, 2); /* tiny.nnf and the Keras 3-layer tagger */
  for (int i = 0; i < n; i++) {
    for (int rtl = 0; rtl < 2; rtl++) {
      nf_error err = {0};
      nf_config *c = nf_config_default(&err);
      nf_design *d = NULL;
      char dir[4200];
      snprintf(dir, sizeof dir, "%s/tmp-project", out);
      nf_project_spec s = {.design = NULL, .model_path = names[i], .config_text = "{}", .rtl = rtl};
      if (c && !nf_design_build(ms[i], c, NULL, 0, &d, &err)) {
        s.design = d;
        if (!nf_project_write(&s, dir, NULL, &err)) {
          snprintf(path, sizeof path, "%s/%s%s.project", out, names[i], rtl ? ".rtl" : "");
          pack(dir, "design.json", path);
        } else {
          say(dir, &err);
        }
        nf_rm_rf(dir);
      } else {
        say(names[i], &err);
      }
      nf_design_free(d);
      nf_config_free(c);
    }
    nf_model_free(ms[i]);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: nnfirm_fuzz_seeds HARNESS DIR\n");
    return 2;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  const char *h = argv[1], *out = argv[2];
  nf_error err = {0};
  if (nf_mkdir_p(out, &err)) {
    say(out, &err);
    return 1;
  }
  if (!strcmp(h, "keras_h5")) keras_h5(out);
  else if (!strcmp(h, "keras_v3")) keras_v3(out);
  else if (!strcmp(h, "h5data")) data_files(out, ".h5");
  else if (!strcmp(h, "csv")) data_files(out, ".csv");
  else if (!strcmp(h, "nnf")) nnf_files(out);
  else if (!strcmp(h, "config")) configs(out);
  else if (!strcmp(h, "project")) projects(out);
  return 0;
}
