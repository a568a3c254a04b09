/* Convolutional nodes below the command line: the pooling semantics worked
 * out by hand (hls4ml's nnet_pooling.h: padded cells ignored, the average
 * truncated toward zero at accum_t's fraction bits), a design of the jet-image
 * CNN surviving the project directory (save, load, the same codes), the
 * model stage refusing shapes it cannot take, and average pooling's RTL
 * divider plan exact on every value it can be given. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/util.h"
#include "rtl/emit.h"
#include "test_util.h"

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

/* A one-node design: pooling of a (1, 3, 1) row with window 2, stride 2,
 * "same" padding (one padded cell on the right). */
static void run_pool(nf_pool_op op, const int64_t *in, int64_t *out) {
  nf_design d = {.n_inputs = 3, .n_outputs = 2, .n_layers = 1, .n_hw = 1};
  nf_design_layer l = {.kind = NF_LAYER_POOL, .n_in = 3, .n_out = 2, .pool_op = op};
  l.in_shape = (nf_shape){.rank = 2, .dim = {3, 1}};
  l.out_shape = (nf_shape){.rank = 2, .dim = {2, 1}};
  l.ksize[0] = l.stride[0] = 1;
  l.ksize[1] = l.stride[1] = 2;
  l.pad[3] = 1;
  l.input_t = l.accum_t = l.result_t = parse("ap_fixed<8,4>"); /* 4 fraction bits */
  d.input_t = l.input_t;
  d.layers = &l;
  nf_error err = {0};
  assert_int_equal(nf_emulate(&d, in, 1, -1, out, &err), 0);
}

static void test_pool_semantics(void **state) {
  (void)state;
  int64_t out[2];
  /* codes -3, 0, -7 (= -3/16, 0, -7/16) */
  const int64_t in[3] = {-3, 0, -7};
  run_pool(NF_POOL_AVG, in, out);
  assert_int_equal(out[0], -1); /* (-3 + 0) / 2 = -1.5 -> toward zero: -1 (floor would give -2) */
  assert_int_equal(out[1], -7); /* one cell inside the input: divided by 1, the pad ignored */
  run_pool(NF_POOL_MAX, in, out);
  assert_int_equal(out[0], 0);
  assert_int_equal(out[1], -7); /* the padded cell does not count as 0 */
}

/* The jet-image CNN (standalone BatchNormalization, two strided "same"
 * convolutions) through convert's project files: identical codes after a
 * save and a load. */
static void test_design_round_trip(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = NULL;
  assert_int_equal(nf_model_open(shared_path("models/keras/jetTagger_Conv2D_Small.json"), NULL, &m, &err), 0);
  nf_config *c = nf_config_default(&err);
  assert_non_null(c);
  nf_design *d = NULL, *back = NULL;
  assert_int_equal(nf_design_build(m, c, NULL, 0, &d, &err), 0);
  int kinds[NF_LAYER_KIND_COUNT] = {0};
  for (int i = 0; i < d->n_layers; i++) kinds[d->layers[i].kind]++;
  assert_int_equal(kinds[NF_LAYER_CONV], 2);
  assert_int_equal(kinds[NF_LAYER_BATCHNORM], 2); /* neither follows a convolution: both stand alone */
  char dir[] = "/tmp/nnfirm_cnn_XXXXXX";
  assert_non_null(mkdtemp(dir));
  assert_int_equal(nf_design_save(d, dir, &err), 0);
  if (nf_design_load(dir, &back, &err)) fail_msg("load: %s", err.msg);
  assert_int_equal(back->n_layers, d->n_layers);
  long n = 8;
  float *x = malloc((size_t)n * 625 * sizeof *x);
  int64_t *in = malloc((size_t)n * 625 * sizeof *in), *a = malloc((size_t)n * 5 * sizeof *a), *b = malloc((size_t)n * 5 * sizeof *b);
  assert_true(x && in && a && b);
  for (long i = 0; i < n * 625; i++) x[i] = (float)((i * 7919) % 997) / 300.0f - 1.0f;
  assert_int_equal(nf_emulate_inputs(d, x, n, in, &err), 0);
  int last = nf_design_find_layer(d, "output_softmax");
  assert_true(last > 0);
  assert_int_equal(nf_emulate(d, in, n, last, a, &err), 0);
  assert_int_equal(nf_emulate(back, in, n, last, b, &err), 0);
  assert_memory_equal(a, b, (size_t)n * 5 * sizeof *a);
  for (int i = 0; i < d->n_layers; i++) assert_true(nf_shape_equal(d->layers[i].out_shape, back->layers[i].out_shape));
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
  free(x);
  free(in);
  free(a);
  free(b);
  nf_design_free(d);
  nf_design_free(back);
  nf_config_free(c);
  nf_model_free(m);
}

static void test_shapes_refused(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = nf_model_new(16, &err);
  const int k[2] = {1, 3}, s[2] = {1, 1}, p[4] = {0, 0, 0, 0};
  assert_null(nf_model_add_conv(m, "c", 4, k, s, p, true, &err)); /* a flat input has no window */
  assert_non_null(strstr(err.msg, "rank-2 or rank-3 input"));
  nf_model_free(m);
  m = nf_model_new(12, &err);
  m->input_shape = (nf_shape){.rank = 2, .dim = {4, 3}};
  const int big[2] = {1, 5};
  assert_null(nf_model_add_conv(m, "c", 2, big, s, p, true, &err));
  assert_non_null(strstr(err.msg, "larger than its padded input (4, 3)"));
  const int k3[2] = {1, 3};
  nf_layer *l = nf_model_add_conv(m, "c", 2, k3, s, p, true, &err);
  assert_non_null(l);
  assert_int_equal(l->out_shape.dim[0], 2);
  assert_int_equal(l->out_shape.dim[1], 2);
  assert_int_equal((int)nf_layer_kernel_count(l), 3 * 3 * 2);
  assert_null(nf_model_add_dense(m, "d", 3, true, &err)); /* Dense on (2, 2) needs a Flatten */
  assert_non_null(nf_model_add_reshape(m, "f", nf_shape_1d(4), &err));
  assert_non_null(nf_model_add_dense(m, "d", 3, true, &err));
  assert_int_equal(nf_model_validate(m, &err), 0);
  nf_model_free(m);
}

/* The divider: (a * m) >> s == a / d for every 0 <= a <= M. Exhaustive for
 * every cell count d <= 64 and every M below 2^16 (the plan for M = 2^16 - 1
 * covers all smaller a), and for d in {9, 25, 49, 24, 6} up to 2^22; then
 * random and edge values of a for wide sums up to 2^62 with random d up to
 * 4096. A wrong plan (m one less) fails. */
static void test_div_plan(void **state) {
  (void)state;
  for (nf_code d = 1; d <= 64; d++) {
    nf_code m;
    int s;
    assert_int_equal(nf_rtl_div_plan(((nf_code)1 << 16) - 1, d, &m, &s), 0);
    for (nf_code a = 0; a < ((nf_code)1 << 16); a++)
      if ((a * m) >> s != a / d) fail_msg("d %d a %d: m %lld s %d", (int)d, (int)a, (long long)m, s);
    if (d > 1 && (d & (d - 1))) { /* m - 1 is wrong somewhere below M (not for a power of two, where m = 1) */
      bool wrong = false;
      for (nf_code a = 0; a < ((nf_code)1 << 16) && !wrong; a++) wrong = (a * (m - 1)) >> s != a / d;
      assert_true(wrong);
    }
  }
  const nf_code ds[] = {9, 25, 49, 24, 6};
  for (size_t k = 0; k < sizeof ds / sizeof *ds; k++) {
    nf_code m, M = ((nf_code)1 << 22) - 1;
    int s;
    assert_int_equal(nf_rtl_div_plan(M, ds[k], &m, &s), 0);
    for (nf_code a = 0; a <= M; a++)
      if ((a * m) >> s != a / ds[k]) fail_msg("d %d a %lld", (int)ds[k], (long long)a);
  }
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int it = 0; it < 20000; it++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    nf_code d = (nf_code)(x % 4096) + 1;
    int bits = 8 + (int)((x >> 20) % 55);
    nf_code M = ((nf_code)1 << bits) - 1 - (nf_code)((x >> 40) % 7), m;
    int s;
    assert_int_equal(nf_rtl_div_plan(M, d, &m, &s), 0);
    nf_code edge[] = {0, 1, d - 1, d, d + 1, M, M - 1, M - d, M / d * d, M / d * d - 1};
    for (size_t e = 0; e < sizeof edge / sizeof *edge; e++) {
      nf_code a = edge[e];
      if (a < 0 || a > M) continue;
      if ((a * m) >> s != a / d) fail_msg("d %lld M %lld a %lld", (long long)d, (long long)M, (long long)a);
    }
    for (int r = 0; r < 50; r++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      nf_code a = (nf_code)(x % (uint64_t)M);
      if ((a * m) >> s != a / d) fail_msg("d %lld M %lld a %lld", (long long)d, (long long)M, (long long)a);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool_semantics),
      cmocka_unit_test(test_design_round_trip),
      cmocka_unit_test(test_shapes_refused),
      cmocka_unit_test(test_div_plan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
