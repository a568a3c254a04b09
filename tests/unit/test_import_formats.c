/* The full-model .h5 (config in the root attribute, weights under
 * model_weights/) and the Keras 3 .keras archive (config.json +
 * model.weights.h5 with layers/<name>/vars/<i>), built here from the shared
 * KERAS_3layer files with libhdf5 and libzip: each must import to the same
 * model as the JSON + weights pair. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <zip.h>
#include <cmocka.h>

#include "nnfirm/import.h"
#include "nnfirm/util.h"
#include "test_util.h"

static char dir[] = "/tmp/nnfirm-formats-XXXXXX";

static void write_string_attr(hid_t obj, const char *name, const char *text) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(text) + 1);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(a >= 0);
  assert_true(H5Awrite(a, t, text) >= 0);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
}

static void write_floats(hid_t loc, const char *name, const float *v, int rank, const hsize_t *dims) {
  hid_t s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Dclose(d);
  H5Sclose(s);
}

static nf_model *open_ref(void) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_open(shared_path("models/keras/KERAS_3layer.json"), NULL, &m, &err)) fail_msg("%s", err.msg);
  return m;
}

static void assert_same_model(const nf_model *a, const nf_model *b) {
  assert_int_equal(a->n_layers, b->n_layers);
  for (int i = 0; i < a->n_layers; i++) {
    const nf_layer *x = &a->layers[i], *y = &b->layers[i];
    assert_int_equal(x->kind, y->kind);
    assert_int_equal(x->n_out, y->n_out);
    if (x->kind == NF_LAYER_DENSE) {
      assert_memory_equal(x->kernel, y->kernel, (size_t)x->n_in * x->n_out * sizeof(float));
      assert_memory_equal(x->bias, y->bias, (size_t)x->n_out * sizeof(float));
    }
  }
}

/* Keras 2 full model: the JSON text as model_config, weights copied under model_weights/. */
static void test_full_h5(void **state) {
  char path[256], *json;
  snprintf(path, sizeof path, "%s/full.h5", dir);
  assert_int_equal(nf_read_file(shared_path("models/keras/KERAS_3layer.json"), &json, NULL, NULL), 0);
  hid_t src = H5Fopen(shared_path("models/keras/KERAS_3layer_weights.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dst = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(src >= 0 && dst >= 0);
  write_string_attr(dst, "model_config", json);
  hid_t mw = H5Gcreate2(dst, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char *layers[] = {"fc1_relu", "fc2_relu", "fc3_relu", "output_softmax"};
  for (int i = 0; i < 4; i++) assert_true(H5Ocopy(src, layers[i], mw, layers[i], H5P_DEFAULT, H5P_DEFAULT) >= 0);
  H5Gclose(mw);
  H5Fclose(dst);
  H5Fclose(src);
  free(json);
  nf_model *a = open_ref(), *b = NULL;
  nf_error err = {0};
  if (nf_model_open(path, NULL, &b, &err)) fail_msg("%s", err.msg);
  assert_same_model(a, b);
  nf_model_free(a);
  nf_model_free(b);
  unlink(path);
}

static const char KERAS3_CONFIG[] =
    "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", \"layers\": ["
    "{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 16], "
    "\"dtype\": \"float32\", \"name\": \"input_layer\"}},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"name\": \"fc1_relu\", \"units\": 64, "
    "\"activation\": \"relu\", \"use_bias\": true}},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"name\": \"fc2_relu\", \"units\": 32, "
    "\"activation\": \"relu\", \"use_bias\": true}},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"name\": \"fc3_relu\", \"units\": 32, "
    "\"activation\": \"relu\", \"use_bias\": true}},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"name\": \"output_softmax\", "
    "\"units\": 5, \"activation\": \"softmax\", \"use_bias\": true}}]}}";

/* Keras 3: a zip of config.json and model.weights.h5 (layers/<name>/vars/<i>). */
static void test_keras_v3(void **state) {
  nf_model *a = open_ref();
  char weights[256], archive[256];
  snprintf(weights, sizeof weights, "%s/model.weights.h5", dir);
  snprintf(archive, sizeof archive, "%s/model.keras", dir);
  hid_t f = H5Fcreate(weights, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t layers = H5Gcreate2(f, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (int i = 0; i < a->n_layers; i++) {
    const nf_layer *l = &a->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    hid_t g = H5Gcreate2(layers, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t v = H5Gcreate2(g, "vars", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t kd[2] = {(hsize_t)l->n_in, (hsize_t)l->n_out}, bd[1] = {(hsize_t)l->n_out};
    write_floats(v, "0", l->kernel, 2, kd);
    write_floats(v, "1", l->bias, 1, bd);
    H5Gclose(v);
    H5Gclose(g);
  }
  H5Gclose(layers);
  H5Fclose(f);
  int zerr;
  zip_t *z = zip_open(archive, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  assert_non_null(z);
  zip_source_t *cs = zip_source_buffer(z, KERAS3_CONFIG, sizeof KERAS3_CONFIG - 1, 0);
  assert_true(zip_file_add(z, "config.json", cs, ZIP_FL_OVERWRITE) >= 0);
  zip_source_t *ws = zip_source_file(z, weights, 0, -1);
  assert_true(zip_file_add(z, "model.weights.h5", ws, ZIP_FL_OVERWRITE) >= 0);
  assert_int_equal(zip_close(z), 0);
  nf_model *b = NULL;
  nf_error err = {0};
  if (nf_model_open(archive, NULL, &b, &err)) fail_msg("%s", err.msg);
  assert_same_model(a, b);
  assert_string_equal(b->input_name, "input_layer");
  /* A damaged archive is refused with the file named. */
  char junk[256];
  snprintf(junk, sizeof junk, "%s/junk.keras", dir);
  assert_int_equal(nf_write_file_atomic(junk, "PK\3\4garbage", 11, NULL), 0);
  nf_model *c = NULL;
  assert_int_equal(nf_model_open(junk, NULL, &c, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "junk.keras"));
  nf_model_free(a);
  nf_model_free(b);
  unlink(weights);
  unlink(archive);
  unlink(junk);
}

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **state) { return rmdir(dir); }

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_full_h5), cmocka_unit_test(test_keras_v3)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
