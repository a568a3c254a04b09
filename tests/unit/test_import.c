/* Import of the real Keras, QKeras and ONNX models in tests/data/models:
 * class probabilities match the independent references to 1e-5 on all 200
 * rows; structure and parameter counts are right; bad files are refused
 * with a message naming the file and layer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nnfirm/import.h"
#include "test_util.h"

static float *inputs(long *rows) {
  double *d;
  int cols;
  *rows = read_csv_doubles(shared_path("refs/inputs16.csv"), &d, &cols);
  assert_true(*rows == 200 && cols == 16);
  float *x = malloc((size_t)*rows * 16 * sizeof *x);
  for (long i = 0; i < *rows * 16; i++) x[i] = (float)d[i];
  free(d);
  return x;
}

/* Max |difference| between the model's output and a reference CSV. */
static double max_delta(const nf_model *m, const char *ref) {
  long rows;
  float *x = inputs(&rows);
  double *want, *got = malloc((size_t)rows * m->n_outputs * sizeof *got);
  int cols;
  assert_int_equal(read_csv_doubles(shared_path(ref), &want, &cols), rows);
  assert_int_equal(cols, m->n_outputs);
  nf_error err = {0};
  assert_int_equal(nf_model_forward(m, x, rows, -1, false, got, &err), 0);
  double worst = 0;
  for (long i = 0; i < rows * cols; i++) worst = fmax(worst, fabs(got[i] - want[i]));
  free(x);
  free(want);
  free(got);
  return worst;
}

static nf_model *open_model(const char *rel, const char *weights_rel) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_open(shared_path(rel), weights_rel ? shared_path(weights_rel) : NULL, &m, &err))
    fail_msg("%s: %s", rel, err.msg);
  return m;
}

static void check(const char *rel, const char *weights, const char *ref) {
  nf_model *m = open_model(rel, weights);
  double d = max_delta(m, ref);
  if (!(d <= 1e-5)) fail_msg("%s: max |delta| %g > 1e-5", rel, d);
  nf_model_free(m);
}

static long total_params(const nf_model *m) {
  long total = 0;
  for (int i = 0; i < m->n_layers; i++) {
    long t, nt;
    nf_layer_param_count(&m->layers[i], &t, &nt);
    total += t + nt;
  }
  return total;
}

static void test_keras_3layer(void **state) {
  check("models/keras/KERAS_3layer.json", NULL, "refs/KERAS_3layer.float.csv");
  nf_model *m = open_model("models/keras/KERAS_3layer.json", "models/keras/KERAS_3layer_weights.h5");
  /* 16*64+64 + 64*32+32 + 32*32+32 + 32*5+5 = 4389 (Keras' summary). */
  assert_int_equal(total_params(m), 4389);
  assert_int_equal(m->n_layers, 8);
  assert_string_equal(m->layers[0].name, "fc1_relu");
  assert_string_equal(m->layers[1].name, "fc1_relu_relu"); /* hls4ml's name for the fused activation */
  assert_int_equal(m->layers[7].act, NF_ACT_SOFTMAX);
  nf_model_free(m);
}

static void test_keras_pruned(void **state) {
  check("models/keras/KERAS_3layer.json", "models/keras/KERAS_3layer_70pruned_retrained_weights.h5",
        "refs/KERAS_3layer_70pruned.float.csv");
}

static void test_keras_batchnorm(void **state) {
  check("models/keras/KERAS_3layer_batch_norm.json", NULL, "refs/KERAS_3layer_batch_norm.float.csv");
  nf_model *m = open_model("models/keras/KERAS_3layer_batch_norm.json", NULL);
  assert_int_equal(total_params(m), 4389 + 4 * (64 + 32 + 32 + 5)); /* BN: 2 trainable + 2 moving per unit */
  nf_model_free(m);
}

static void test_qkeras(void **state) {
  check("models/keras/qkeras_3layer.json", NULL, "refs/qkeras_3layer.float.csv");
  nf_model *m = open_model("models/keras/qkeras_3layer.json", NULL);
  assert_int_equal(m->layers[0].kernel_q.kind, NF_QUANT_BITS);
  assert_int_equal(m->layers[0].kernel_q.bits, 6);
  assert_int_equal(m->layers[1].act_q.kind, NF_QUANT_RELU);
  nf_model_free(m);
}

static void test_onnx(void **state) {
  check("models/onnx/three_layer_keras.onnx", NULL, "refs/three_layer_keras.float.csv");
  check("models/onnx/three_layer_pytorch.onnx", NULL, "refs/three_layer_pytorch.float.csv");
  check("models/onnx/three_layer_bn_pytorch.onnx", NULL, "refs/three_layer_bn_pytorch.float.csv");
}

/* KERAS_3layer through its ONNX twin gives the same answers as through Keras. */
static void test_onnx_twin(void **state) {
  nf_model *k = open_model("models/keras/KERAS_3layer.json", NULL);
  nf_model *o = open_model("models/onnx/three_layer_keras.onnx", NULL);
  long rows;
  float *x = inputs(&rows);
  double *a = malloc((size_t)rows * 5 * sizeof *a), *b = malloc((size_t)rows * 5 * sizeof *b);
  assert_int_equal(nf_model_forward(k, x, rows, -1, false, a, NULL), 0);
  assert_int_equal(nf_model_forward(o, x, rows, -1, false, b, NULL), 0);
  double worst = 0;
  for (long i = 0; i < rows * 5; i++) worst = fmax(worst, fabs(a[i] - b[i]));
  assert_true(worst <= 1e-5);
  free(a);
  free(b);
  free(x);
  nf_model_free(k);
  nf_model_free(o);
}

static void expect_refused(const char *path, const char *weights, const char *needle) {
  nf_model *m = NULL;
  nf_error err = {0};
  int rc = nf_model_open(path, weights, &m, &err);
  if (rc != NF_EINPUT) fail_msg("%s: expected NF_EINPUT, got %d (%s)", path, rc, err.msg);
  if (!strstr(err.msg, needle)) fail_msg("%s: message '%s' lacks '%s'", path, err.msg, needle);
  assert_null(m);
}

static void test_unsupported(void **state) {
  nf_model *m = NULL;
  nf_error err = {0};
  const char *lstm = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"LSTM\", "
                     "\"config\": {\"name\": \"rnn\", \"batch_input_shape\": [null, 10, 4], \"units\": 8}}]}}";
  assert_int_equal(nf_import_keras_config_text(lstm, strlen(lstm), "lstm.json", &m, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "unsupported layer class 'LSTM'"));
  assert_null(m);
  expect_refused(shared_path("hostile/onnx/onnx_prelu_bad_slope.onnx"), NULL,
                 "node 'prelu_bad': PRelu slope of shape [4] does not broadcast to the input's shape [1, 6]");
  expect_refused("/nonexistent.json", NULL, "no such model file");
  expect_refused(shared_path("refs/inputs16.csv"), NULL, "unknown model format");
  expect_refused(shared_path("models/keras/KERAS_3layer.json"), shared_path("models/keras/qkeras_3layer_weights.h5"),
                 "fc1_relu");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keras_3layer), cmocka_unit_test(test_keras_pruned), cmocka_unit_test(test_keras_batchnorm),
      cmocka_unit_test(test_qkeras),       cmocka_unit_test(test_onnx),         cmocka_unit_test(test_onnx_twin),
      cmocka_unit_test(test_unsupported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
