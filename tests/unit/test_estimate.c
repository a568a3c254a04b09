/* The resource estimator: the generator's counts (CSD digits, sharing,
 * zero weights, adders) against hand-computed cases, and the estimate's
 * direction under changes whose effect on hardware is known (wider types,
 * zero weights, ReuseFactor, DSP use). No synthesis here: the error against
 * Yosys is measured by bench/calibrate_estimate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/synth.h"

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

/* Dense(n0 -> n1) + ReLU + Dense(n1 -> n2), every type ap_fixed<W, I>. */
typedef struct net3 {
  nf_design_layer layers[3];
  int64_t *w1, *b1, *w2, *b2;
  nf_design net;
} net3;

static void make_net3(net3 *n, int n0, int n1, int n2, const char *type, int reuse, uint64_t seed, double zero_frac) {
  memset(n, 0, sizeof *n);
  nf_fixed_type t = parse(type);
  n->w1 = calloc((size_t)n0 * n1, 8), n->b1 = calloc((size_t)n1, 8);
  n->w2 = calloc((size_t)n1 * n2, 8), n->b2 = calloc((size_t)n2, 8);
  assert_non_null(n->w1), assert_non_null(n->b1), assert_non_null(n->w2), assert_non_null(n->b2);
  nf_rng r;
  nf_rng_seed(&r, seed);
  /* weights of a trained net's magnitude: |w| < 1, in the type's resolution */
  int64_t one = (int64_t)1 << nf_fixed_frac_bits(&t);
  for (long i = 0; i < (long)n0 * n1; i++)
    n->w1[i] = nf_rng_uniform(&r) < zero_frac ? 0 : (int64_t)((2 * nf_rng_uniform(&r) - 1) * (double)one);
  for (long i = 0; i < (long)n1 * n2; i++)
    n->w2[i] = nf_rng_uniform(&r) < zero_frac ? 0 : (int64_t)((2 * nf_rng_uniform(&r) - 1) * (double)one);
  n->layers[0] = (nf_design_layer){.kind = NF_LAYER_DENSE, .name = "fc1", .n_in = n0, .n_out = n1, .weights = n->w1,
                                .bias = n->b1, .input_t = t, .weight_t = t, .bias_t = t, .accum_t = t, .result_t = t,
                                .reuse_factor = reuse};
  n->layers[1] = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_RELU, .name = "relu1", .n_in = n1, .n_out = n1, .input_t = t, .result_t = t};
  n->layers[2] = (nf_design_layer){.kind = NF_LAYER_DENSE, .name = "fc2", .n_in = n1, .n_out = n2, .weights = n->w2,
                                .bias = n->b2, .input_t = t, .weight_t = t, .bias_t = t, .accum_t = t, .result_t = t,
                                .reuse_factor = reuse};
  n->net = (nf_design){.project = "myproject", .n_layers = 3, .n_hw = 3, .layers = n->layers, .clock_period_ns = 5.0};
}

static void free_net3(net3 *n) { free(n->w1), free(n->b1), free(n->w2), free(n->b2); }

static nf_estimate estimate(const nf_design *net, bool use_dsp) {
  nf_estimate e;
  nf_error err = {0};
  int rc = nf_estimate_design(net, "xcvu9p", use_dsp, &e, &err);
  if (rc) fprintf(stderr, "estimate: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return e;
}

/* One Dense layer: n_in inputs of ap_int<8>-like type, given integer weights. */
static nf_design_layer int_dense(int n_in, int n_out, int64_t *w, int64_t *b) {
  nf_fixed_type x = parse("ap_fixed<8,8>"), wt = parse("ap_fixed<8,8>"), acc = parse("ap_fixed<32,32>");
  return (nf_design_layer){.kind = NF_LAYER_DENSE, .name = "fc", .n_in = n_in, .n_out = n_out, .weights = w, .bias = b,
                        .input_t = x, .weight_t = wt, .bias_t = wt, .accum_t = acc, .result_t = acc, .reuse_factor = 1};
}

static nf_rtl_cost layer_cost_cmm(nf_design_layer *L, int cmm) {
  nf_design net = {.project = "t", .n_layers = 1, .n_hw = 1, .layers = L, .clock_period_ns = 5.0, .cmm = cmm};
  nf_rtl_cost c;
  nf_error err = {0};
  int rc = nf_rtl_costs(&net, &c, &err);
  if (rc) fprintf(stderr, "costs: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return c;
}

static nf_rtl_cost layer_cost(nf_design_layer *L) { return layer_cost_cmm(L, NF_CMM_CSD); }

/* CSD digits by hand: 11 = 16 - 4 - 1 (3 digits), 7 = 8 - 1 (2), 5 = 4 + 1
 * (2), 3 = 4 - 1 (2), 1 (1); a product with d digits takes d - 1 adders,
 * and a negative weight alone on its output one negation more; but 85 =
 * (x + 4x) + ((x + 4x) << 4) builds x + 4x twice, which synthesis merges:
 * the cost counts it once (2 adders, not 3). These are the CSD path's counts
 * (ConstantMatrix csd, the default); with auto (the cheaper of the two) the
 * shared adder graph finds the repeat in -45 = -(3x << 4) + 3x: 2 adders. */
static void test_csd_digits(void **state) {
  (void)state;
  int64_t w[][1] = {{11}, {7}, {5}, {3}, {1}, {85} /* 1010101b: 4 digits */, {-45} /* 64-16-4+1: 4 */};
  const int want_digits[] = {3, 2, 2, 2, 1, 4, 4}, want_adders[] = {2, 1, 1, 1, 0, 2, 4};
  for (size_t k = 0; k < sizeof want_digits / sizeof *want_digits; k++) {
    int64_t b = 0;
    nf_design_layer L = int_dense(1, 1, w[k], &b);
    nf_rtl_cost c = layer_cost(&L), a = layer_cost_cmm(&L, NF_CMM_AUTO);
    assert_int_equal(c.csd_digits, want_digits[k]);
    assert_int_equal(c.nnz_weights, 1);
    assert_int_equal(c.adders, want_adders[k]); /* one output, no bias: no tree adders */
    assert_int_equal(a.adders, w[k][0] == -45 ? 2 : want_adders[k]);
  }
}

/* One input times 3, 6 = 3*2, -3 and 12 = 3*4 share one x*3 tree (2
 * digits); 7 adds its own (2 digits). Four outputs from one input. */
static void test_csd_sharing(void **state) {
  (void)state;
  int64_t w[] = {3, 6, -3, 12, 7};
  int64_t b[5] = {0};
  nf_design_layer L = int_dense(1, 5, w, b);
  nf_rtl_cost c = layer_cost(&L);
  assert_int_equal(c.nnz_weights, 5);
  assert_int_equal(c.csd_digits, 4);
}

/* Weights that are zero cost nothing: an input whose weights are all zero
 * adds no adder and no register bit; an all-zero layer has no logic. */
static void test_zero_weights_cost_nothing(void **state) {
  (void)state;
  enum { N_IN = 6, N_OUT = 4 };
  int64_t w[(N_IN + 1) * N_OUT], b[N_OUT] = {3, -2, 0, 1};
  nf_rng r;
  nf_rng_seed(&r, 5);
  for (int i = 0; i < (N_IN + 1) * N_OUT; i++) w[i] = (int64_t)nf_rng_below(&r, 200) - 100;
  for (int j = 0; j < N_OUT; j++) w[N_IN * N_OUT + j] = 0; /* the extra input's row */
  nf_design_layer small = int_dense(N_IN, N_OUT, w, b), big = int_dense(N_IN + 1, N_OUT, w, b);
  nf_rtl_cost cs = layer_cost(&small), cb = layer_cost(&big);
  assert_true(cs.add_bits > 0);
  assert_int_equal(cs.add_bits, cb.add_bits);
  assert_int_equal(cs.adders, cb.adders);
  assert_int_equal(cs.reg_bits, cb.reg_bits);
  assert_int_equal(cs.csd_digits, cb.csd_digits);

  int64_t zeros[N_IN * N_OUT] = {0}, zb[N_OUT] = {0};
  nf_design_layer z = int_dense(N_IN, N_OUT, zeros, zb);
  nf_design net = {.project = "t", .n_layers = 1, .n_hw = 1, .layers = &z, .clock_period_ns = 5.0};
  nf_estimate e = estimate(&net, false);
  assert_true(e.lut == 0);
  assert_int_equal(e.layers[0].cost.reg_bits, 0);
  assert_int_equal(e.layers[0].cost.nnz_weights, 0);
  nf_estimate_free(&e);

  /* zeroing half the weights of a random net lowers the estimate */
  net3 dense, sparse;
  make_net3(&dense, 12, 10, 4, "ap_fixed<10,3>", 1, 9, 0.0);
  make_net3(&sparse, 12, 10, 4, "ap_fixed<10,3>", 1, 9, 0.0);
  for (int i = 0; i < 12 * 10; i += 2) sparse.w1[i] = 0;
  nf_estimate ed = estimate(&dense.net, false), es = estimate(&sparse.net, false);
  assert_true(es.layers[0].lut < 0.75 * ed.layers[0].lut);
  assert_true(es.lut < ed.lut);
  nf_estimate_free(&ed), nf_estimate_free(&es);
  free_net3(&dense), free_net3(&sparse);
}

/* A hidden neuron nothing reads (its weights in the next layer all zero) is
 * removed by synthesis: it costs what a neuron with no inputs costs. */
static void test_unread_neuron_costs_nothing(void **state) {
  (void)state;
  net3 a, b;
  make_net3(&a, 8, 6, 3, "ap_fixed<8,3>", 1, 11, 0.0);
  make_net3(&b, 8, 6, 3, "ap_fixed<8,3>", 1, 11, 0.0);
  for (int k = 0; k < 3; k++) a.w2[2 * 3 + k] = b.w2[2 * 3 + k] = 0; /* neuron 2 unread */
  for (int i = 0; i < 8; i++) b.w1[i * 6 + 2] = 0;                    /* and, in b, not computed */
  b.b1[2] = 0;
  nf_estimate ea = estimate(&a.net, false), eb = estimate(&b.net, false);
  assert_true(ea.lut == eb.lut && ea.ff == eb.ff);
  assert_int_equal(ea.layers[0].cost.add_bits, eb.layers[0].cost.add_bits);
  nf_estimate_free(&ea), nf_estimate_free(&eb);
  free_net3(&a), free_net3(&b);
}

/* Softmax tables: large ones go to block RAM (no LUTs), small ones to LUT
 * ROMs; one exp table per class plus the inverse table. */
static void test_softmax_tables(void **state) {
  (void)state;
  double lut[2], bram[2];
  for (int k = 0; k < 2; k++) {
    int bits = k == 0 ? 10 : 6;
    net3 n;
    make_net3(&n, 6, 4, 3, "ap_fixed<8,3>", 1, 4, 0.0);
    int64_t *exp_table = calloc((size_t)1 << bits, 8), *inv_table = calloc((size_t)1 << bits, 8);
    assert_non_null(exp_table), assert_non_null(inv_table);
    for (int i = 0; i < 1 << bits; i++) exp_table[i] = i % 97, inv_table[i] = 1000 - i % 991;
    nf_design_layer layers[4];
    memcpy(layers, n.layers, sizeof n.layers);
    layers[3] = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_SOFTMAX, .name = "softmax", .n_in = 3, .n_out = 3,
                               .input_t = layers[2].result_t, .result_t = parse("ap_fixed<16,6>"), .softmax.index_bits = bits,
                               .softmax.exp_t = parse("ap_fixed<18,8>"), .softmax.inv_t = parse("ap_fixed<18,8>"),
                               .softmax.exp_table = exp_table, .softmax.inv_table = inv_table};
    nf_design net = n.net;
    net.layers = layers;
    net.n_layers = net.n_hw = 4;
    nf_estimate e = estimate(&net, false);
    assert_int_equal(e.layers[3].cost.roms, 4);
    assert_int_equal(e.layers[3].cost.rom_bits, 4L * 18 << bits);
    assert_int_equal(e.layers[3].cost.muls, 3);
    lut[k] = e.layers[3].lut, bram[k] = e.bram;
    nf_estimate_free(&e);
    free(exp_table), free(inv_table);
    free_net3(&n);
  }
  assert_true(bram[0] == 4 * 0.5); /* 1024 x 18 bits: a RAMB18 each */
  assert_true(bram[1] == 0 && lut[1] > lut[0]);
}

/* Same network values at more bits: more LUTs and more FFs, in every Dense. */
static void test_monotonic_in_width(void **state) {
  (void)state;
  const char *types[] = {"ap_fixed<4,2>", "ap_fixed<6,2>", "ap_fixed<8,2>", "ap_fixed<12,2>", "ap_fixed<16,2>"};
  double prev_lut = -1, prev_ff = -1, prev_l0 = -1;
  for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
    net3 n;
    make_net3(&n, 10, 8, 3, types[k], 1, 77, 0.1);
    nf_estimate e = estimate(&n.net, false);
    assert_true(e.lut > prev_lut);
    assert_true(e.ff > prev_ff);
    assert_true(e.layers[0].lut > prev_l0);
    prev_lut = e.lut, prev_ff = e.ff, prev_l0 = e.layers[0].lut;
    /* the layers add up to the totals */
    double sum = 0;
    for (int i = 0; i < e.n_layers; i++) sum += e.layers[i].lut;
    assert_true(sum > e.lut - 1e-6 && sum < e.lut + 1e-6);
    nf_estimate_free(&e);
    free_net3(&n);
  }
}

/* ReuseFactor 4 shares n_out x ceil(n_in / 4) multipliers. With DSPs
 * (--dsp) the layer needs fewer LUTs than the parallel one; in LUTs a
 * variable multiplier costs more than the CSD constant products it
 * replaces, as measured (tests/data/estimate/yosys_counts.tsv: h32_r4_w8 17,864
 * LUTs against h32_w8 8,835), and the estimate must say so. */
static void test_reuse_factor(void **state) {
  (void)state;
  net3 p, r;
  make_net3(&p, 16, 16, 5, "ap_fixed<8,3>", 1, 3, 0.0);
  make_net3(&r, 16, 16, 5, "ap_fixed<8,3>", 4, 3, 0.0);
  nf_estimate ep = estimate(&p.net, false), er = estimate(&r.net, false), ed = estimate(&r.net, true);
  assert_true(ed.layers[0].lut < ep.layers[0].lut);
  assert_true(er.layers[0].lut > ep.layers[0].lut);
  assert_true(ep.dsp == 0 && er.dsp == 0);
  /* n_out x ceil(n_in / R) multipliers at 10 ns; at 5 ns those of weights wider than a 4-bit digit
   * are split into partial products (7 partial-product rows, 3 adder levels, do not fit a stage:
   * src/rtl/reuse.c), so there are more */
  assert_true(er.layers[0].cost.muls > 16 * 4 && er.layers[0].cost.muls <= 16 * 4 * 2);
  r.net.clock_period_ns = 10.0;
  nf_estimate e10 = estimate(&r.net, false);
  assert_true(e10.layers[0].cost.muls == 16 * 4);
  nf_estimate_free(&e10);
  assert_true(ed.dsp >= 16 * 4 && ed.lut < er.lut);
  nf_estimate_free(&ep), nf_estimate_free(&er), nf_estimate_free(&ed);
  free_net3(&p), free_net3(&r);
}

/* Agilex figures follow the stated model; percentages use the part. */
static void test_agilex_and_part(void **state) {
  (void)state;
  net3 n;
  make_net3(&n, 10, 8, 3, "ap_fixed<8,3>", 1, 1, 0.0);
  nf_estimate e = estimate(&n.net, false);
  assert_true(e.alm > 0 && e.alm < e.lut);
  assert_true(e.reg == e.ff);
  assert_true(e.alm >= e.reg / 4);
  assert_true(e.lut_pct > 0 && e.lut_pct == 100.0 * e.lut / e.device->luts);
  assert_true(e.alm_pct == 100.0 * e.alm / NF_AGILEX_ALMS);
  nf_estimate_free(&e);

  nf_error err = {0};
  assert_int_equal(nf_estimate_design(&n.net, "xc9999", false, &e, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "unknown part"));
  nf_estimate_free(&e);
  free_net3(&n);
}

/* The calibration columns read back to the counts they were written from. */
static void test_features_roundtrip(void **state) {
  (void)state;
  net3 n;
  make_net3(&n, 6, 5, 3, "ap_fixed<8,3>", 1, 2, 0.2);
  nf_estimate e = estimate(&n.net, false);
  char head[1024], line[1024];
  nf_estimate_features_header(head, sizeof head);
  nf_estimate_features_line(&e, line, sizeof line);
  const char *names[64], *vals[64];
  int nn = 0, nv = 0;
  for (char *t = strtok(head, "\t"); t && nn < 64; t = strtok(NULL, "\t")) names[nn++] = t;
  for (char *t = strtok(line, "\t"); t && nv < 64; t = strtok(NULL, "\t")) vals[nv++] = t;
  assert_int_equal(nn, nv);
  nf_rtl_cost c;
  nf_error err = {0};
  assert_int_equal(nf_estimate_features_parse(names, vals, nn, &c, &err), 0);
  long add_bits = 0, regs = 0;
  for (int i = 0; i < e.n_layers; i++) add_bits += e.layers[i].cost.add_bits, regs += e.layers[i].cost.reg_bits;
  assert_int_equal(c.add_bits, add_bits);
  assert_int_equal(c.reg_bits, regs);
  assert_int_equal(nf_estimate_features_parse(names, vals, nn - 1, &c, &err), NF_EINPUT);
  nf_estimate_free(&e);
  free_net3(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csd_digits),        cmocka_unit_test(test_csd_sharing),
      cmocka_unit_test(test_zero_weights_cost_nothing), cmocka_unit_test(test_monotonic_in_width),
      cmocka_unit_test(test_reuse_factor), cmocka_unit_test(test_agilex_and_part),
      cmocka_unit_test(test_features_roundtrip), cmocka_unit_test(test_unread_neuron_costs_nothing),
      cmocka_unit_test(test_softmax_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
