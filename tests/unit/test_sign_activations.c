/* binary_tanh and ternary_tanh (the sign activations of hls4ml's binary and
 * ternary example models) through every stage that has them: the float
 * model, the emulator (hls4ml's semantics, worked out by hand below), the
 * RTL generator's own reference, and the Verilog itself in co-simulation. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/emulate.h"
#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

static void test_float_model(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = nf_model_new(7, &err);
  assert_non_null(m);
  nf_activation a;
  assert_int_equal(nf_activation_parse("binary_tanh", &a), 0);
  assert_non_null(nf_model_add_activation(m, "bin", a, &err));
  assert_int_equal(nf_activation_parse("ternary_tanh", &a), 0);
  assert_non_null(nf_model_add_activation(m, "tern", a, &err));
  const float x[7] = {-2.0f, -0.5f, -0.25f, 0.0f, 1e-6f, 0.5f, 0.75f};
  double y[7];
  /* binary: +1 above 0, -1 at and below 0 */
  assert_int_equal(nf_model_forward(m, x, 1, 0, false, y, &err), 0);
  const double want_bin[7] = {-1, -1, -1, -1, 1, 1, 1};
  for (int i = 0; i < 7; i++) assert_true(y[i] == want_bin[i]);
  /* ternary of those: +1 above 0.5, -1 below -0.5, else 0 (all +-1 here) */
  assert_int_equal(nf_model_forward(m, x, 1, 1, false, y, &err), 0);
  for (int i = 0; i < 7; i++) assert_true(y[i] == want_bin[i]);
  nf_model_free(m);
}

/* One activation layer alone, input ap_fixed<6,2> (codes -32..31, value
 * code/16), result ap_fixed<4,2>. */
static void one_layer(nf_design *d, nf_design_layer *L, nf_activation act, const char *in_t) {
  *L = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = act, .name = "act", .n_in = 1, .n_out = 1,
                         .input_t = parse(in_t), .result_t = parse("ap_fixed<4,2>")};
  *d = (nf_design){.project = "t", .n_inputs = 1, .n_outputs = 1, .input_t = L->input_t, .n_layers = 1, .n_hw = 1,
                   .layers = L};
}

static void check_codes(nf_activation act, const char *in_t, const int64_t *in, const int64_t *want, int n) {
  nf_design d;
  nf_design_layer L;
  one_layer(&d, &L, act, in_t);
  nf_error err = {0};
  for (int i = 0; i < n; i++) {
    int64_t y = 99;
    assert_int_equal(nf_emulate(&d, &in[i], 1, 0, &y, &err), 0);
    if (y != want[i]) fprintf(stderr, "%s input code %lld: got %lld want %lld\n", nf_activation_name(act),
                              (long long)in[i], (long long)y, (long long)want[i]);
    assert_int_equal(y, want[i]);
  }
}

static void test_emulator_by_hand(void **state) {
  (void)state;
  /* result ap_fixed<4,2>: 1.0 is code 4, -1.0 code -4, 0 code 0 */
  const int64_t in[] = {-32, -9, -8, -7, -1, 0, 1, 7, 8, 9, 15, 16, 17, 31};
  /* binary_tanh: x > 0 */
  const int64_t bin[] = {-4, -4, -4, -4, -4, -4, 4, 4, 4, 4, 4, 4, 4, 4};
  check_codes(NF_ACT_BINARY_TANH, "ap_fixed<6,2>", in, bin, 14);
  /* ternary_tanh, input ap_fixed<6,2> wrapping: d = 2x wrapped to 6 bits;
   * thresholds +-1 = codes +-16. x=-32 -> d=-64 wraps to 0 -> 0;
   * x=-9 -> -18 -> -1; -8 -> -16 (not > -16) -> -1; -7 -> -14 -> 0;
   * 8 -> 16 (not > 16) -> 0; 9 -> 18 -> 1; 15 -> 30 -> 1; 16 -> 32 wraps
   * to -32 -> -1; 17 -> 34 wraps to -30 -> -1; 31 -> 62 wraps to -2 -> 0. */
  const int64_t tern[] = {0, -4, -4, 0, 0, 0, 0, 0, 0, 4, 4, -4, -4, 0};
  check_codes(NF_ACT_TERNARY_TANH, "ap_fixed<6,2>", in, tern, 14);
  /* the same input type saturating: 2x clips at 31 / -32 instead */
  const int64_t tern_sat[] = {-4, -4, -4, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4};
  check_codes(NF_ACT_TERNARY_TANH, "ap_fixed<6,2,AP_TRN,AP_SAT>", in, tern_sat, 14);
}

/* Dense(5 -> 6) then the activation then Dense(6 -> 3): the RTL's reference
 * equals the emulator, and the Verilog equals both (Icarus). */
static void cosim_net(nf_activation act) {
  nf_rng r;
  nf_rng_seed(&r, 11 + (uint64_t)act);
  static int64_t w1[30], b1[6], w2[18], b2[3];
  for (int i = 0; i < 30; i++) w1[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 18; i++) w2[i] = (int64_t)nf_rng_below(&r, 8) - 4;
  for (int i = 0; i < 6; i++) b1[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 3; i++) b2[i] = (int64_t)nf_rng_below(&r, 8) - 4;
  nf_fixed_type in = parse("ap_fixed<8,3>"), w = parse("ap_fixed<6,1>"), acc = parse("ap_fixed<9,3>"),
                sgn = parse("ap_fixed<2,2>"), out = parse("ap_fixed<12,6>");
  nf_design_layer L[3] = {
      {.kind = NF_LAYER_DENSE, .name = "fc1", .n_in = 5, .n_out = 6, .weights = w1, .bias = b1, .input_t = in,
       .weight_t = w, .bias_t = w, .accum_t = acc, .result_t = acc, .reuse_factor = 1},
      {.kind = NF_LAYER_ACTIVATION, .act = act, .name = "act1", .n_in = 6, .n_out = 6, .input_t = acc, .result_t = sgn},
      {.kind = NF_LAYER_DENSE, .name = "fc2", .n_in = 6, .n_out = 3, .weights = w2, .bias = b2, .input_t = sgn,
       .weight_t = w, .bias_t = w, .accum_t = out, .result_t = out, .reuse_factor = 1},
  };
  nf_design d = {.project = "signnet", .n_inputs = 5, .n_outputs = 3, .input_t = in, .n_layers = 3, .n_hw = 3,
                 .layers = L, .clock_period_ns = 5};
  enum { ROWS = 300 };
  int64_t *x = calloc(ROWS * 5, 8), *emu = calloc(ROWS * 3, 8), *ref = calloc(3, 8);
  assert_non_null(x), assert_non_null(emu), assert_non_null(ref);
  for (long i = 0; i < ROWS * 5; i++) x[i] = (int64_t)nf_rng_below(&r, 256) - 128;
  nf_error err = {0};
  assert_int_equal(nf_emulate(&d, x, ROWS, -1, emu, &err), 0);
  for (long i = 0; i < ROWS; i++) {
    assert_int_equal(nf_rtl_reference(&d, x + i * 5, ref, &err), 0);
    for (int k = 0; k < 3; k++) assert_int_equal(ref[k], emu[i * 3 + k]);
  }
  char dir[] = "/tmp/nnfirm-sign-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char work[256];
  snprintf(work, sizeof work, "%s/work", dir);
  assert_int_equal(nf_mkdir_p(work, &err), 0);
  nf_rtl_info info;
  int rc = nf_rtl_write_project(&d, dir, &info, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  char rtl[256], tb[256];
  snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir);
  nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = "signnet", .work_dir = work, .simulator = NF_SIM_IVERILOG,
                     .info = &info, .n_rows = ROWS, .in_codes = x, .expected = emu, .quiet = true};
  nf_cosim_result res;
  rc = nf_cosim_run(&o, &res, &err);
  if (rc) fprintf(stderr, "cosim: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(res.rows, ROWS);
  assert_int_equal(res.mismatches, 0);
  nf_rm_rf(dir);
  free(x), free(emu), free(ref);
}

static void test_cosim_binary(void **state) {
  (void)state;
  cosim_net(NF_ACT_BINARY_TANH);
}

static void test_cosim_ternary(void **state) {
  (void)state;
  cosim_net(NF_ACT_TERNARY_TANH);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_model),
      cmocka_unit_test(test_emulator_by_hand),
      cmocka_unit_test(test_cosim_binary),
      cmocka_unit_test(test_cosim_ternary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
