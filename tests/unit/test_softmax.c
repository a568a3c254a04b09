/* hls4ml's lookup-table softmax in the emulator, on cases small enough to
 * work out by hand: a 3-class identity Dense feeding the softmax, with
 * data_t = ap_fixed<6,3> (3 fractional bits), table_size 8 (3 address bits),
 * exp_table_t = ap_fixed<8,4> (4 fractional bits).
 *
 * Exp table (index = top 3 bits of the 6-bit input code):
 *   i      0    1     2     3     4     5     6     7
 *   x      0    1     2     3    -4    -3    -2    -1
 *   e^x    1  2.718 7.389 20.09 .0183 .0498 .1353 .3679
 *   code  16   43   118   65*    0     0     2     5      (* 321 wraps to 65)
 * Inverse table (index = top 3 bits of the 8-bit exp code, x = i*32/16):
 *   i      0    1     2     3     4     5     6     7
 *   x      0    2     4     6    -8    -6    -4    -2
 *   1/x   inf  .5   .25  .1667 -.125 -.1667 -.25  -.5
 * with inv_table_t = ap_fixed<8,2> (6 fractional bits, truncating):
 *   code  0|127 32   16    10    -8   -11   -16   -32    (inf: 0 wrapping, 127 saturating)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"

static nf_model *identity_model(void) {
  nf_error err = {0};
  nf_model *m = nf_model_new(3, &err);
  assert_non_null(m);
  nf_layer *d = nf_model_add_dense(m, "fc", 3, true, &err);
  assert_non_null(d);
  for (int i = 0; i < 3; i++) d->kernel[i * 3 + i] = 1.0f;
  assert_non_null(nf_model_add_activation(m, "softmax", NF_ACT_SOFTMAX, &err));
  return m;
}

static nf_design *build(const nf_model *m, const char *impl, const char *inv_t, const char *extra) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"Model\": {\"Precision\": \"ap_fixed<6,3>\"}, %s"
           " \"LayerName\": {\"fc\": {\"Precision\": {\"weight\": \"ap_fixed<8,2>\"}},"
           " \"softmax\": {\"Precision\": {\"result\": \"ap_fixed<16,6>\"}, \"table_size\": 8,"
           " \"exp_table_t\": \"ap_fixed<8,4>\", \"inv_table_t\": \"%s\", \"implementation\": \"%s\"}}}",
           extra, inv_t, impl);
  nf_error err = {0};
  nf_config *c = NULL;
  nf_design *d = NULL;
  assert_int_equal(nf_config_parse(text, strlen(text), "(test)", &c, &err), 0);
  int rc = nf_design_build(m, c, NULL, 0, &d, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  nf_config_free(c);
  return d;
}

static void expect_probs(const nf_design *d, float a, float b, float c, double p0, double p1, double p2) {
  float x[3] = {a, b, c};
  double y[3];
  nf_error err = {0};
  assert_int_equal(nf_emulate_values(d, x, 1, d->n_layers - 1, y, &err), 0);
  assert_true(y[0] == p0);
  assert_true(y[1] == p1);
  assert_true(y[2] == p2);
}

static void test_tables(void **state) {
  (void)state;
  nf_model *m = identity_model();
  nf_design *d = build(m, "latency", "ap_fixed<8,2>", "");
  const nf_softmax_tables *s = &d->layers[1].softmax;
  const int64_t exp_codes[8] = {16, 43, 118, 65, 0, 0, 2, 5};
  const int64_t inv_codes[8] = {0, 32, 16, 10, -8, -11, -16, -32};
  assert_int_equal(s->index_bits, 3);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(s->exp_table[i], exp_codes[i]);
    assert_int_equal(s->inv_table[i], inv_codes[i]);
  }
  /* The softmax stays out of hardware unless the configuration says so. */
  assert_int_equal(d->n_hw, 1);
  nf_design_free(d);
  nf_model_free(m);
}

static void test_latency(void **state) {
  (void)state;
  nf_model *m = identity_model();
  nf_design *d = build(m, "latency", "ap_fixed<8,2>", "");
  /* exp = 43, 16, 5; sum 59 + 5 = 64 (index 2: inverse 16 = 0.25);
   * products 688, 256, 80 at 10 fractional bits. */
  expect_probs(d, 1.0f, 0.0f, -1.0f, 0.671875, 0.25, 0.078125);
  /* exp = 65, 65, 16: the sum wraps in exp_table_t (130 -> -126, then
   * -110: index 4, inverse -8), as hls4ml's adder tree does. */
  expect_probs(d, 3.0f, 3.0f, 0.0f, -0.5078125, -0.5078125, -0.125);
  nf_design_free(d);
  nf_model_free(m);
}

static void test_stable(void **state) {
  (void)state;
  nf_model *m = identity_model();
  /* Differences to the maximum 0, -1, -2: exp = 16, 5, 2, sum 23 (index 0):
   * 1/0 wraps to 0 in a wrapping inverse type, saturates to 127 otherwise. */
  nf_design *d = build(m, "stable", "ap_fixed<8,2>", "");
  expect_probs(d, 1.0f, 0.0f, -1.0f, 0, 0, 0);
  nf_design_free(d);
  d = build(m, "stable", "ap_fixed<8,2,AP_TRN,AP_SAT>", "");
  expect_probs(d, 1.0f, 0.0f, -1.0f, 2032 / 1024.0, 635 / 1024.0, 254 / 1024.0);
  nf_design_free(d);
  nf_model_free(m);
}

/* An input narrower than the address: read as if extended with zero low
 * bits. ap_fixed<2,2> codes -2..1 at table_size 8: index = code bits << 1,
 * so the values 1, 0, -1 address entries 2, 0, 6 of an exp table built for
 * x = i / 2 (e^1, e^0, e^-1 in ap_fixed<8,4>: 43, 16, 5). */
static void test_narrow_input(void **state) {
  (void)state;
  nf_model *m = identity_model();
  const char *cfg = "{\"Model\": {\"Precision\": \"ap_fixed<2,2>\"}, \"LayerName\": {\"softmax\": {"
                    "\"table_size\": 8, \"exp_table_t\": \"ap_fixed<8,4>\", \"implementation\": \"latency\"}}}";
  nf_error err = {0};
  nf_config *c = NULL;
  nf_design *d = NULL;
  assert_int_equal(nf_config_parse(cfg, strlen(cfg), "(test)", &c, &err), 0);
  assert_int_equal(nf_design_build(m, c, NULL, 0, &d, &err), 0);
  const int64_t *e = d->layers[1].softmax.exp_table;
  assert_int_equal(e[2], 43);
  assert_int_equal(e[0], 16);
  assert_int_equal(e[6], 5);
  nf_design_free(d);
  nf_config_free(c);
  nf_model_free(m);
}

static void test_in_hardware(void **state) {
  (void)state;
  nf_model *m = identity_model();
  nf_design *d = build(m, "stable", "ap_fixed<8,2>", "\"Softmax\": true,");
  assert_int_equal(d->n_hw, 2);
  nf_design_free(d);
  nf_model_free(m);
}

static void expect_refused(const char *layer_settings, const char *what) {
  nf_model *m = identity_model();
  char text[512];
  snprintf(text, sizeof text, "{\"LayerName\": {\"softmax\": {%s}}}", layer_settings);
  nf_error err = {0};
  nf_config *c = NULL;
  nf_design *d = NULL;
  assert_int_equal(nf_config_parse(text, strlen(text), "(test)", &c, &err), 0);
  assert_int_equal(nf_design_build(m, c, NULL, 0, &d, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, what));
  nf_config_free(c);
  nf_model_free(m);
}

static void test_bad_settings(void **state) {
  (void)state;
  expect_refused("\"table_size\": 1000", "power of two");
  expect_refused("\"implementation\": \"legacy\"", "implementation");
  expect_refused("\"inv_table_t\": \"ap_fixed<60,8>\"", "62 bits");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),      cmocka_unit_test(test_latency),      cmocka_unit_test(test_stable),
      cmocka_unit_test(test_in_hardware), cmocka_unit_test(test_narrow_input), cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
