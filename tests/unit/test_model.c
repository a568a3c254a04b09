/* The native model format (.nnf): every field survives a round trip; a
 * truncated, corrupted, future-version or foreign file is a clear NF_EINPUT
 * naming the file; the summary counts parameters as Keras does. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnfirm/rng.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

static char dir[] = "/tmp/nnfirm-test-model.XXXXXX";

static const char *tmp(const char *name) {
  static char buf[4][512];
  static int slot;
  char *p = buf[slot++ % 4];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

/* Every layer kind, quantizers, a mask, names, a scaler, random parameters. */
static nf_model *rich_model(void) {
  nf_error err = {0};
  int hidden[] = {6, 4};
  nf_model *m = nf_mlp_build(3, hidden, 2, 3, true, 0.25f, &err);
  assert_non_null(m);
  assert_int_equal(nf_model_init_weights(m, 9, &err), 0);
  nf_rng r;
  nf_rng_seed(&r, 1);
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    for (int j = 0; l->moving_mean && j < l->n_out; j++) {
      l->moving_mean[j] = (float)nf_rng_normal(&r);
      l->moving_var[j] = (float)(1 + nf_rng_uniform(&r));
      l->beta[j] = (float)nf_rng_normal(&r);
    }
    for (int j = 0; l->bias && j < l->n_out; j++) l->bias[j] = (float)nf_rng_normal(&r);
  }
  nf_layer *fc2 = &m->layers[nf_model_find_layer(m, "fc2")];
  fc2->kernel_q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = 6, .symmetric = true, .keep_negative = true, .alpha = 1};
  fc2->bias_q = (nf_quantizer){.kind = NF_QUANT_TERNARY, .bits = 2, .keep_negative = true, .alpha = 0.5, .threshold = 0.3};
  fc2->mask = malloc((size_t)fc2->n_in * fc2->n_out);
  assert_non_null(fc2->mask);
  for (int k = 0; k < fc2->n_in * fc2->n_out; k++) fc2->mask[k] = (uint8_t)(k % 4 != 0);
  m->layers[nf_model_find_layer(m, "relu1")].act_q = (nf_quantizer){.kind = NF_QUANT_RELU, .bits = 4, .integer = 1, .alpha = 1};
  m->layers[nf_model_find_layer(m, "relu2")].act = NF_ACT_LEAKY_RELU;
  m->layers[nf_model_find_layer(m, "relu2")].act_alpha = 0.125f;
  const char *feat[] = {"pt", "eta", "phi"}, *cls[] = {"a", "b", "c"};
  float mean[] = {1, -2, 3.5f}, scale[] = {0.5f, 2, 7};
  assert_int_equal(nf_model_set_feature_names(m, feat, 3, &err), 0);
  assert_int_equal(nf_model_set_class_names(m, cls, 3, &err), 0);
  assert_int_equal(nf_model_set_scaler(m, mean, scale, &err), 0);
  snprintf(m->source, sizeof m->source, "unit test");
  return m;
}

static void same_floats(const float *a, const float *b, int n) {
  assert_true((a == NULL) == (b == NULL));
  if (a) assert_memory_equal(a, b, (size_t)n * sizeof(float));
}

static void same_quantizer(const nf_quantizer *a, const nf_quantizer *b) {
  assert_int_equal(a->kind, b->kind);
  assert_int_equal(a->bits, b->bits);
  assert_int_equal(a->integer, b->integer);
  assert_int_equal(a->symmetric, b->symmetric);
  assert_int_equal(a->keep_negative, b->keep_negative);
  assert_true(a->alpha == b->alpha && a->threshold == b->threshold);
}

static void test_round_trip(void **state) {
  nf_model *m = rich_model();
  nf_error err = {0};
  assert_int_equal(nf_model_save(m, tmp("m.nnf"), &err), 0);
  nf_model *b = NULL;
  assert_int_equal(nf_model_load(tmp("m.nnf"), &b, &err), 0);
  assert_int_equal(b->n_features, 3);
  assert_int_equal(b->n_layers, m->n_layers);
  assert_string_equal(b->source, "unit test");
  assert_string_equal(b->feature_names[1], "eta");
  assert_string_equal(b->class_names[2], "c");
  same_floats(m->scaler_mean, b->scaler_mean, 3);
  same_floats(m->scaler_scale, b->scaler_scale, 3);
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *x = &m->layers[i], *y = &b->layers[i];
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->kind, y->kind);
    assert_int_equal(x->n_in, y->n_in);
    assert_int_equal(x->n_out, y->n_out);
    assert_int_equal(x->act, y->act);
    assert_true(x->act_alpha == y->act_alpha && x->rate == y->rate && x->epsilon == y->epsilon);
    same_floats(x->kernel, y->kernel, x->n_in * x->n_out);
    same_floats(x->bias, y->bias, x->n_out);
    same_floats(x->gamma, y->gamma, x->n_out);
    same_floats(x->beta, y->beta, x->n_out);
    same_floats(x->moving_mean, y->moving_mean, x->n_out);
    same_floats(x->moving_var, y->moving_var, x->n_out);
    assert_true((x->mask == NULL) == (y->mask == NULL));
    if (x->mask) assert_memory_equal(x->mask, y->mask, (size_t)x->n_in * x->n_out);
    same_quantizer(&x->kernel_q, &y->kernel_q);
    same_quantizer(&x->bias_q, &y->bias_q);
    same_quantizer(&x->act_q, &y->act_q);
  }
  /* and the loaded model predicts the same */
  float in[] = {0.3f, -1, 2, 5, 5, -5};
  double p1[6], p2[6];
  assert_int_equal(nf_model_forward(m, in, 2, -1, true, p1, &err), 0);
  assert_int_equal(nf_model_forward(b, in, 2, -1, true, p2, &err), 0);
  assert_memory_equal(p1, p2, sizeof p1);
  nf_model_free(m);
  nf_model_free(b);
}

/* The encoding is explicit little-endian: fixed bytes at known offsets. */
static void test_header_bytes(void **state) {
  nf_model *m = rich_model();
  nf_error err = {0};
  assert_int_equal(nf_model_save(m, tmp("h.nnf"), &err), 0);
  char *data;
  size_t n;
  assert_int_equal(nf_read_file(tmp("h.nnf"), &data, &n, &err), 0);
  assert_memory_equal(data, "NNFIRMv\x1a", 8);
  assert_int_equal((unsigned char)data[8], 3); /* version 3, LE */
  assert_int_equal(data[9] | data[10] | data[11], 0);
  uint32_t plen = (uint32_t)(unsigned char)data[12] | (uint32_t)(unsigned char)data[13] << 8 |
                  (uint32_t)(unsigned char)data[14] << 16 | (uint32_t)(unsigned char)data[15] << 24;
  assert_int_equal(plen, n - 20);
  /* payload starts with n_features = 3 as a LE u32 */
  assert_int_equal((unsigned char)data[20], 3);
  free(data);
  nf_model_free(m);
}

static void expect_load_error(const char *path, const char *needle) {
  nf_model *b = NULL;
  nf_error err = {0};
  assert_int_equal(nf_model_load(path, &b, &err), NF_EINPUT);
  assert_null(b);
  if (!strstr(err.msg, path) || !strstr(err.msg, needle))
    print_error("message '%s' lacks '%s' or '%s'\n", err.msg, path, needle);
  assert_non_null(strstr(err.msg, path));
  assert_non_null(strstr(err.msg, needle));
}

static void test_bad_files(void **state) {
  nf_model *m = rich_model();
  nf_error err = {0};
  assert_int_equal(nf_model_save(m, tmp("g.nnf"), &err), 0);
  nf_model_free(m);
  char *data;
  size_t n;
  assert_int_equal(nf_read_file(tmp("g.nnf"), &data, &n, &err), 0);
  /* every truncation is refused */
  for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 7)) {
    assert_int_equal(nf_write_file_atomic(tmp("t.nnf"), data, cut, &err), 0);
    expect_load_error(tmp("t.nnf"), cut < 8 ? "not an nnfirm model" : "truncated");
  }
  /* a future version */
  data[8] = 4;
  assert_int_equal(nf_write_file_atomic(tmp("v.nnf"), data, n, &err), 0);
  expect_load_error(tmp("v.nnf"), "version 4 is newer");
  data[8] = 3;
  /* a flipped payload byte */
  data[n / 2] ^= 0x40;
  assert_int_equal(nf_write_file_atomic(tmp("c.nnf"), data, n, &err), 0);
  expect_load_error(tmp("c.nnf"), "corrupt");
  free(data);
  /* not a model at all */
  const char *csv = "a,b,c\n1,2,3\n";
  assert_int_equal(nf_write_file_atomic(tmp("x.nnf"), csv, strlen(csv), &err), 0);
  expect_load_error(tmp("x.nnf"), "not an nnfirm model");
  /* missing file */
  nf_model *b = NULL;
  assert_int_not_equal(nf_model_load(tmp("missing.nnf"), &b, &err), 0);
  assert_non_null(strstr(err.msg, "missing.nnf"));
}

static void test_summary_counts(void **state) {
  nf_error err = {0};
  int hidden[] = {64, 32, 32};
  nf_model *m = nf_mlp_build(16, hidden, 3, 5, true, 0, &err);
  assert_non_null(m);
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  assert_non_null(fp);
  nf_model_summary(m, fp);
  fclose(fp);
  /* Keras: Dense 1088 + 2080 + 1056 + 165 = 4389 trainable, BN 2*(64+32+32)
   * trainable + 2*(64+32+32) non-trainable */
  assert_non_null(strstr(text, "Total params: 4901"));
  assert_non_null(strstr(text, "Trainable params: 4645"));
  assert_non_null(strstr(text, "Non-trainable params: 256"));
  assert_non_null(strstr(text, "fc1 (Dense)"));
  assert_non_null(strstr(text, "(None, 64)"));
  free(text);
  nf_model_free(m);
}

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **state) { return nf_rm_rf(dir); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_header_bytes),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_summary_counts),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
