/* The Verilog generator against the SPEC §3 reference: random small networks
 * over the type situations that need different hardware (truncated
 * products, exact products, saturating and rounding casts, unsigned types,
 * ReuseFactor > 1), simulated with Icarus and Verilator; every output code
 * must agree, and latency/II must be what the generator states. */
#define _POSIX_C_SOURCE 200809L
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
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

typedef struct netcfg {
  const char *name;
  const char *in_t, *w_t, *b_t, *acc_t, *res_t, *relu_t;
  int n0, n1, n2;
  int reuse;
  double zero_frac;
} netcfg;

typedef struct built {
  nf_design_layer layers[3];
  int64_t *w1, *b1, *w2, *b2;
  nf_design net;
} built;

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

static int64_t rand_code(nf_rng *r, const nf_fixed_type *t) {
  int64_t lo = (int64_t)nf_fixed_min_code(t), hi = (int64_t)nf_fixed_max_code(t);
  return lo + (int64_t)(nf_rng_below(r, (uint64_t)(hi - lo + 1)));
}

static void fill(nf_rng *r, int64_t *w, long n, const nf_fixed_type *t, double zero_frac) {
  for (long i = 0; i < n; i++) w[i] = nf_rng_uniform(r) < zero_frac ? 0 : rand_code(r, t);
}

static void build(const netcfg *c, built *b, uint64_t seed) {
  memset(b, 0, sizeof *b);
  nf_rng r;
  nf_rng_seed(&r, seed);
  nf_fixed_type in = parse(c->in_t), w = parse(c->w_t), bi = parse(c->b_t), acc = parse(c->acc_t),
                res = parse(c->res_t), relu = parse(c->relu_t);
  b->w1 = calloc((size_t)c->n0 * c->n1, 8), b->b1 = calloc((size_t)c->n1, 8);
  b->w2 = calloc((size_t)c->n1 * c->n2, 8), b->b2 = calloc((size_t)c->n2, 8);
  assert_non_null(b->w1), assert_non_null(b->b1), assert_non_null(b->w2), assert_non_null(b->b2);
  fill(&r, b->w1, (long)c->n0 * c->n1, &w, c->zero_frac);
  fill(&r, b->b1, c->n1, &bi, 0);
  fill(&r, b->w2, (long)c->n1 * c->n2, &w, c->zero_frac);
  fill(&r, b->b2, c->n2, &bi, 0);
  b->layers[0] = (nf_design_layer){.kind = NF_LAYER_DENSE, .name = "fc1", .n_in = c->n0, .n_out = c->n1, .weights = b->w1,
                                .bias = b->b1, .input_t = in, .weight_t = w, .bias_t = bi, .accum_t = acc,
                                .result_t = res, .reuse_factor = c->reuse};
  b->layers[1] = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_RELU, .name = "relu1", .n_in = c->n1, .n_out = c->n1, .input_t = res,
                                .result_t = relu};
  b->layers[2] = (nf_design_layer){.kind = NF_LAYER_DENSE, .name = "fc2", .n_in = c->n1, .n_out = c->n2, .weights = b->w2,
                                .bias = b->b2, .input_t = relu, .weight_t = w, .bias_t = bi, .accum_t = acc,
                                .result_t = res, .reuse_factor = c->reuse};
  b->net = (nf_design){.project = "myproject", .n_layers = 3, .n_hw = 3, .layers = b->layers, .clock_period_ns = 3.0};
}

static void unbuild(built *b) { free(b->w1), free(b->b1), free(b->w2), free(b->b2); }

/* Generates, simulates and compares; returns the mismatch count. */
static long cosim(const built *b, nf_simulator sim, long rows, uint64_t seed, bool corrupt_expected) {
  char dir[] = "/tmp/nnfirm-rtl-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char rtl[256], tb[256], work[256];
  snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir), snprintf(work, sizeof work, "%s/work", dir);
  nf_error err = {0};
  assert_int_equal(nf_mkdir_p(rtl, &err), 0);
  assert_int_equal(nf_mkdir_p(tb, &err), 0);
  assert_int_equal(nf_mkdir_p(work, &err), 0);
  nf_rtl_info info;
  int rc = nf_rtl_generate(&b->net, rtl, &info, &err);
  if (rc) fprintf(stderr, "generate: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(nf_rtl_write_testbench("myproject", &info, tb, &err), 0);

  int n_in = b->layers[0].n_in, n_out = b->layers[2].n_out;
  int64_t *in = calloc((size_t)rows * n_in, 8), *want = calloc((size_t)rows * n_out, 8);
  assert_non_null(in), assert_non_null(want);
  nf_rng r;
  nf_rng_seed(&r, seed);
  for (long i = 0; i < rows * n_in; i++) in[i] = rand_code(&r, &b->layers[0].input_t);
  for (long i = 0; i < rows; i++) assert_int_equal(nf_rtl_reference(&b->net, in + i * n_in, want + i * n_out, &err), 0);
  if (corrupt_expected) want[(rows / 2) * n_out + 1] ^= 1;
  nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = "myproject", .work_dir = work, .simulator = sim,
                     .info = &info, .n_rows = rows, .in_codes = in, .expected = want, .quiet = true};
  nf_cosim_result res;
  rc = nf_cosim_run(&o, &res, &err);
  if (rc) fprintf(stderr, "cosim: %s\n", err.msg);
  assert_int_equal(rc, 0);
  if (res.mismatches)
    fprintf(stderr, "  %ld mismatches, first row %ld output %ld: got %lld want %lld\n", res.mismatches,
            res.first_bad_row, res.first_bad_output, (long long)res.first_bad_got, (long long)res.first_bad_want);
  assert_int_equal(res.rows, rows);
  assert_int_equal(res.outputs, rows);
  assert_int_equal(res.latency, info.latency);
  assert_true(res.ii > info.ii - 1e-9 && res.ii < info.ii + 1e-9);
  free(in), free(want);
  nf_rm_rf(dir);
  return res.mismatches;
}

static const netcfg CASES[] = {
    /* hls4ml default: every type ap_fixed<16,6>; products lose 10 bits in accum */
    {"default16_6", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>",
     "ap_fixed<16,6>", 8, 6, 3, 1, 0.1},
    /* exact accumulation (accum keeps every product bit), rounding + saturating results */
    {"exact_rnd_sat", "ap_fixed<8,3>", "ap_fixed<6,1>", "ap_fixed<8,3>", "ap_fixed<24,10>",
     "ap_fixed<8,3,AP_RND,AP_SAT>", "ap_ufixed<6,2,AP_RND_CONV,AP_SAT>", 9, 7, 4, 1, 0.3},
    /* saturating accumulator wide enough never to saturate; unsigned ReLU; other rounding */
    {"sat_acc_ufixed", "ap_fixed<10,4>", "ap_fixed<5,1>", "ap_fixed<10,4>", "ap_fixed<20,9,AP_RND_ZERO,AP_SAT>",
     "ap_fixed<9,4,AP_RND_INF,AP_SAT_SYM>", "ap_ufixed<7,3,AP_TRN_ZERO,AP_SAT_ZERO>", 6, 5, 3, 1, 0.2},
    /* narrow wrapping accumulator: overflow wraps in the middle of the sum */
    {"wrap_narrow", "ap_fixed<8,4>", "ap_fixed<8,4>", "ap_fixed<8,4>", "ap_fixed<10,6>", "ap_fixed<6,3,AP_RND_MIN_INF>",
     "ap_fixed<6,3>", 7, 5, 3, 1, 0.0},
    /* ReuseFactor 4: time-shared multipliers, II = 4 */
    {"reuse4", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>",
     "ap_fixed<16,6>", 8, 6, 3, 4, 0.2},
    {"reuse3_exact", "ap_fixed<8,3>", "ap_fixed<6,1>", "ap_fixed<8,3>", "ap_fixed<24,10>", "ap_fixed<8,3,AP_RND,AP_SAT>",
     "ap_ufixed<6,2,AP_RND_CONV,AP_SAT>", 7, 5, 3, 3, 0.3},
};

static void test_cases_iverilog(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
    built b;
    build(&CASES[c], &b, 100 + c);
    fprintf(stderr, "case %s (iverilog)\n", CASES[c].name);
    assert_int_equal(cosim(&b, NF_SIM_IVERILOG, 60, 7 + c, false), 0);
    unbuild(&b);
  }
}

static void test_cases_verilator(void **state) {
  (void)state;
  /* Verilator builds take about two seconds each; the sanitizer pass runs two */
  size_t pick[] = {0, 4, 1, 2, 3, 5};
  size_t n = getenv("NNFIRM_SANITIZED") ? 2 : sizeof pick / sizeof *pick;
  for (size_t q = 0; q < n; q++) {
    built b;
    build(&CASES[pick[q]], &b, 200 + q);
    fprintf(stderr, "case %s (verilator)\n", CASES[pick[q]].name);
    assert_int_equal(cosim(&b, NF_SIM_VERILATOR, 200, 11 + q, false), 0);
    unbuild(&b);
  }
}

/* The comparison can fail: one flipped expected bit is one mismatch. */
static void test_detects_mismatch(void **state) {
  (void)state;
  built b;
  build(&CASES[0], &b, 300);
  assert_int_equal(cosim(&b, NF_SIM_IVERILOG, 20, 3, true), 1);
  unbuild(&b);
}

/* A saturating accumulator that can saturate mid-sum is refused, by name. */
static void test_refuses_saturating_midsum(void **state) {
  (void)state;
  netcfg c = CASES[0];
  c.acc_t = "ap_fixed<12,4,AP_TRN,AP_SAT>";
  built b;
  build(&c, &b, 400);
  nf_error err = {0};
  assert_int_equal(nf_rtl_check(&b.net, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "fc1"));
  assert_non_null(strstr(err.msg, "saturat"));
  unbuild(&b);
}

static void test_missing_simulator(void **state) {
  (void)state;
  built b;
  build(&CASES[0], &b, 500);
  char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  setenv("PATH", "/nonexistent", 1);
  char dir[] = "/tmp/nnfirm-rtl-XXXXXX";
  assert_non_null(mkdtemp(dir));
  nf_rtl_info info;
  nf_error err = {0};
  assert_int_equal(nf_rtl_plan(&b.net, &info, &err), 0);
  int64_t in[8] = {0}, want[3] = {0};
  nf_cosim_opts o = {.rtl_dir = dir, .tb_dir = dir, .top = "myproject", .work_dir = dir, .simulator = NF_SIM_VERILATOR,
                     .info = &info, .n_rows = 1, .in_codes = in, .expected = want};
  FILE *fp = fopen("/dev/null", "r");
  (void)fp;
  if (fp) fclose(fp);
  char v[300];
  snprintf(v, sizeof v, "%s/x.v", dir);
  fp = fopen(v, "w");
  assert_non_null(fp);
  fputs("module x; endmodule\n", fp);
  fclose(fp);
  nf_cosim_result r;
  assert_int_equal(nf_cosim_run(&o, &r, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "verilator not found"));
  if (old) setenv("PATH", old, 1), free(old);
  nf_rm_rf(dir);
  unbuild(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refuses_saturating_midsum),
      cmocka_unit_test(test_missing_simulator),
      cmocka_unit_test(test_detects_mismatch),
      cmocka_unit_test(test_cases_iverilog),
      cmocka_unit_test(test_cases_verilator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
