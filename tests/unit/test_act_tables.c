/* hls4ml's lookup-table sigmoid, tanh and softplus: every one of the 1,024
 * codes of ap_fixed<10,4> through the emulator equals an implementation of hls4ml's
 * table formula written here (nnet_activation.h's init_*_table and index
 * arithmetic, in C's float and double as the templates compute them), for
 * hls4ml's defaults (1,024 entries of ap_fixed<18,8>) and for a configured
 * table (256 entries of a rounding, saturating type, a narrower result);
 * the RTL generator's reference agrees on every code; the Verilog of a
 * Dense -> sigmoid / tanh design co-simulates with 0 mismatches in Icarus
 * and Verilator. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
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
#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

/* ---- hls4ml's formula, written out ---------------------------------------------- */

/* init_sigmoid_table / init_tanh_table entry i of n, as a double (the float
 * the template computes; tanh in double: the C library's tanh of the float). */
static double table_value(nf_activation act, int i, int n) {
  double span = act == NF_ACT_TANH ? 4.0 : 8.0;
  float in_val = (float)(2 * span * (i - (float)n / 2.0) / (float)n);
  if (act == NF_ACT_SIGMOID) {
    float e = expf(-in_val);
    float den = 1 + e;
    float r = (float)(1.0 / den);
    return r;
  }
  if (act == NF_ACT_SOFTPLUS) { /* std::log(std::exp(input) + 1.) returned as a float */
    float e = expf(in_val);
    double sum = e + 1.;
    float r = (float)log(sum);
    return r;
  }
  return tanh((double)in_val);
}

/* A double to ap_fixed<W,I> with truncation (floor) or rounding (half up),
 * wrapping or saturating: the code. */
static long long to_code(double v, int w, int i, bool rnd, bool sat) {
  double s = ldexp(v, w - i);
  long long c = (long long)floor(rnd ? s + 0.5 : s);
  long long lo = -(1LL << (w - 1)), hi = (1LL << (w - 1)) - 1;
  if (sat) return c < lo ? lo : c > hi ? hi : c;
  long long u = c & ((1LL << w) - 1);
  return u > hi ? u - (1LL << w) : u;
}

/* The index of input value x: data_round = (int)(x * N / R); index =
 * data_round + (R/2) * N / R, clamped. */
static int table_index(nf_activation act, double x, int n) {
  int range = act == NF_ACT_TANH ? 8 : 16;
  int data_round = (int)(x * n / range);
  int index = data_round + (range / 2) * n / range;
  return index < 0 ? 0 : index > n - 1 ? n - 1 : index;
}

/* ---- Through the design pass and the emulator ------------------------------------------ */

typedef struct {
  int size;               /* table_size */
  int tw, ti;             /* table_t ap_fixed<tw,ti> */
  bool t_rnd, t_sat;
  int rw, ri;             /* result_t, AP_TRN AP_WRAP */
  const char *cfg_extra;  /* the layer's settings */
} variant;

static const variant VARIANTS[2] = {
    {1024, 18, 8, false, false, 18, 8, "\"Precision\": {\"result\": \"ap_fixed<18,8>\"}"},
    {256, 12, 2, true, true, 8, 2,
     "\"Precision\": {\"result\": \"ap_fixed<8,2>\"}, \"table_size\": 256, "
     "\"table_t\": \"ap_fixed<12,2,AP_RND,AP_SAT>\""},
};

static nf_design *one_activation(nf_activation act, const variant *v) {
  nf_error err = {0};
  nf_model *m = nf_model_new(1, &err);
  assert_non_null(m);
  assert_non_null(nf_model_add_activation(m, "act", act, &err));
  char cfg[512];
  snprintf(cfg, sizeof cfg, "{\"Model\": {\"Precision\": \"ap_fixed<10,4>\"}, \"LayerName\": {\"act\": {%s}}}",
           v->cfg_extra);
  nf_config *c = NULL;
  if (nf_config_parse(cfg, strlen(cfg), "cfg.json", &c, &err)) fail_msg("%s", err.msg);
  nf_design *d = NULL;
  if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
  nf_config_free(c);
  nf_model_free(m);
  assert_int_equal(d->n_layers, 1);
  assert_int_equal(d->layers[0].table.size, v->size);
  return d;
}

static void every_code(nf_activation act) {
  for (int k = 0; k < 2; k++) {
    const variant *v = &VARIANTS[k];
    nf_design *d = one_activation(act, v);
    int64_t in[1024], out[1024];
    for (int c = 0; c < 1024; c++) in[c] = c - 512; /* every code of ap_fixed<10,4>: value c / 64 */
    nf_error err = {0};
    assert_int_equal(nf_emulate(d, in, 1024, -1, out, &err), 0);
    int distinct = 0;
    for (int c = 0; c < 1024; c++) {
      double x = ldexp((double)in[c], -6);
      long long t = to_code(table_value(act, table_index(act, x, v->size), v->size), v->tw, v->ti, v->t_rnd, v->t_sat);
      /* (result_t) of the table_t value: truncation and wrap */
      long long want = to_code(ldexp((double)t, -(v->tw - v->ti)), v->rw, v->ri, false, false);
      if (out[c] != want)
        fail_msg("%s variant %d, x = %g (code %lld): emulator %lld, hls4ml's formula %lld", nf_activation_name(act), k, x,
                 (long long)in[c], (long long)out[c], want);
      distinct += c == 0 || out[c] != out[c - 1];
      int64_t ref;
      assert_int_equal(nf_rtl_reference(d, &in[c], &ref, &err), 0);
      assert_int_equal(ref, out[c]);
    }
    assert_true(distinct > 50); /* a table, not a constant */
    nf_design_free(d);
  }
}

static void test_sigmoid_every_code(void **state) {
  (void)state;
  every_code(NF_ACT_SIGMOID);
}
static void test_tanh_every_code(void **state) {
  (void)state;
  every_code(NF_ACT_TANH);
}
static void test_softplus_every_code(void **state) {
  (void)state;
  every_code(NF_ACT_SOFTPLUS);
}

/* ---- ELU, SELU, hard_sigmoid, PReLU: hls4ml's formulas, written out -------------------------
 * init_elu_table / init_selu_table: in = -8.0 * i / float(N) (double, kept
 * as a float); elu entry (float)(expf(in) - 1.), selu entry (float)(1.0507...
 * * (1.6732... * (expf(in) - 1.))); then table_t. For x < 0: index =
 * trunc(x * N / -8), at most N - 1; elu gives alpha * entry (alpha in
 * param_t, the exact product cast to result_t), selu the entry; for x >= 0
 * elu gives x, selu lambda x with lambda in ap_ufixed<16,1>.
 * hard_sigmoid: slope 0.2 in ap_ufixed<16,0>, shift 0.5 in ap_ufixed<2,0>,
 * d = slope x + shift exactly, 1 above 1, 0 below 0, cast to result_t. */
static double neg_table_value(nf_activation act, int i, int n) {
  float in_val = (float)(-8.0 * i / (double)(float)n);
  float e = expf(in_val);
  if (act == NF_ACT_ELU) return (float)((double)e - 1.);
  return (float)(1.0507009873554804934193349852946 * (1.6732632423543772848170429916717 * ((double)e - 1.)));
}

static int neg_table_index(double x, int n) {
  int index = (int)(x * n / -8);
  return index > n - 1 ? n - 1 : index;
}

/* ap_fixed<W,I> code to its value */
static double value_of(long long code, int w, int i) { return ldexp((double)code, -(w - i)); }

/* A table_t as fine as a float (30 fraction bits): the entries show
 * whether the float exp and the float rounding of the template are followed. */
static const variant FINE = {1024, 32, 2, false, false, 32, 2,
                             "\"Precision\": {\"result\": \"ap_fixed<32,2>\"}, \"table_t\": \"ap_fixed<32,2>\""};

static void exp_table_every_code(nf_activation act, float alpha) {
  for (int k = 0; k < 3; k++) {
    const variant *v = k < 2 ? &VARIANTS[k] : &FINE;
    nf_error err = {0};
    nf_model *m = nf_model_new(1, &err);
    nf_layer *l = nf_model_add_activation(m, "act", act, &err);
    assert_non_null(l);
    if (act == NF_ACT_ELU) assert_true(l->act_alpha == 1.0f); /* Activation('elu') */
    l->act_alpha = alpha;
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"Model\": {\"Precision\": \"ap_fixed<10,4>\"}, \"LayerName\": {\"act\": {%s}}}",
             v->cfg_extra);
    nf_config *c = NULL;
    if (nf_config_parse(cfg, strlen(cfg), "cfg.json", &c, &err)) fail_msg("%s", err.msg);
    nf_design *d = NULL;
    if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
    assert_int_equal(d->layers[0].table.size, v->size);
    int64_t in[1024], out[1024];
    for (int i = 0; i < 1024; i++) in[i] = i - 512;
    assert_int_equal(nf_emulate(d, in, 1024, -1, out, &err), 0);
    /* param_t: the model precision ap_fixed<10,4> unless set: alpha's code, truncated */
    long long a_code = (long long)floor((double)alpha * 64.0);
    long long lam_code = (long long)floor(1.0507009873554805 * 32768.0);
    assert_int_equal(lam_code, 34429);
    int distinct = 0;
    for (int i = 0; i < 1024; i++) {
      double x = value_of(in[i], 10, 4), want_v;
      bool rnd = false, sat = false;
      if (x >= 0) {
        want_v = act == NF_ACT_ELU ? x : (double)lam_code / 32768.0 * x;
      } else {
        long long t = to_code(neg_table_value(act, neg_table_index(x, v->size), v->size), v->tw, v->ti, v->t_rnd, v->t_sat);
        want_v = value_of(t, v->tw, v->ti);
        if (act == NF_ACT_ELU) want_v *= (double)a_code / 64.0;
      }
      long long want = to_code(want_v, v->rw, v->ri, rnd, sat);
      if (out[i] != want)
        fail_msg("%s variant %d alpha %g, x = %g: emulator %lld, hls4ml's formula %lld", nf_activation_name(act), k,
                 (double)alpha, x, (long long)out[i], want);
      distinct += i == 0 || out[i] != out[i - 1];
      int64_t ref;
      assert_int_equal(nf_rtl_reference(d, &in[i], &ref, &err), 0);
      if (ref != out[i]) fail_msg("%s x = %g: RTL reference %lld, emulator %lld", nf_activation_name(act), x, (long long)ref,
                                  (long long)out[i]);
    }
    assert_true(distinct > 50);
    nf_design_free(d);
    nf_config_free(c);
    nf_model_free(m);
  }
}

static void test_elu_every_code(void **state) {
  (void)state;
  exp_table_every_code(NF_ACT_ELU, 1.0f);
  exp_table_every_code(NF_ACT_ELU, 0.7f);
}
static void test_selu_every_code(void **state) {
  (void)state;
  exp_table_every_code(NF_ACT_SELU, 0);
}

/* hard_sigmoid over every code of ap_fixed<10,4>, into ap_fixed<10,4> and
 * into ap_ufixed<8,0,AP_RND,AP_SAT> (where 1 saturates) */
static void test_hard_sigmoid_every_code(void **state) {
  (void)state;
  const char *res[2] = {"ap_fixed<10,4>", "ap_ufixed<8,0,AP_RND,AP_SAT>"};
  for (int k = 0; k < 2; k++) {
    nf_error err = {0};
    nf_model *m = nf_model_new(1, &err);
    assert_non_null(nf_model_add_activation(m, "act", NF_ACT_HARD_SIGMOID, &err));
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"Model\": {\"Precision\": \"ap_fixed<10,4>\"}, \"LayerName\": {\"act\": "
                              "{\"Precision\": {\"result\": \"%s\"}}}}", res[k]);
    nf_config *c = NULL;
    assert_int_equal(nf_config_parse(cfg, strlen(cfg), "cfg.json", &c, &err), 0);
    nf_design *d = NULL;
    if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
    int64_t in[1024], out[1024];
    for (int i = 0; i < 1024; i++) in[i] = i - 512;
    assert_int_equal(nf_emulate(d, in, 1024, -1, out, &err), 0);
    double slope = floor(0.2 * 65536.0) / 65536.0;
    int ones = 0, zeros = 0;
    for (int i = 0; i < 1024; i++) {
      double x = value_of(in[i], 10, 4), v = slope * x + 0.5;
      v = v > 1 ? 1 : v < 0 ? 0 : v;
      long long want = k ? to_code(v, 9, 1, true, true) : to_code(v, 10, 4, false, false);
      if (k && want < 0) want = 0; /* ap_ufixed<8,0>: codes 0..255, as ap_fixed<9,1> saturating at 255 */
      if (out[i] != want) fail_msg("hard_sigmoid into %s, x = %g: emulator %lld, want %lld", res[k], x, (long long)out[i], want);
      ones += v == 1, zeros += v == 0;
      int64_t ref;
      assert_int_equal(nf_rtl_reference(d, &in[i], &ref, &err), 0);
      assert_int_equal(ref, out[i]);
    }
    assert_true(ones > 100 && zeros > 100); /* both clamps reached */
    nf_design_free(d);
    nf_config_free(c);
    nf_model_free(m);
  }
}

/* PReLU: each of 4 elements with its own alpha, every code of ap_fixed<10,4> */
static void test_prelu_every_code(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = nf_model_new(4, &err);
  nf_layer *l = nf_model_add_activation(m, "act", NF_ACT_PRELU, &err);
  assert_non_null(l);
  const float alpha[4] = {0.25f, -0.5f, 1.3f, 0.01f};
  memcpy(l->kernel, alpha, sizeof alpha);
  const char *cfg = "{\"Model\": {\"Precision\": \"ap_fixed<10,4>\"}, \"LayerName\": {\"act\": {\"Precision\": "
                    "{\"weight\": \"ap_fixed<12,2>\"}}}}";
  nf_config *c = NULL;
  assert_int_equal(nf_config_parse(cfg, strlen(cfg), "cfg.json", &c, &err), 0);
  nf_design *d = NULL;
  if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
  static int64_t in[4096], out[4096];
  for (int i = 0; i < 4096; i++) in[i] = i / 4 - 512;
  assert_int_equal(nf_emulate(d, in, 1024, -1, out, &err), 0);
  for (int i = 0; i < 4096; i++) {
    int j = i % 4;
    long long a = (long long)floor((double)alpha[j] * 1024.0); /* ap_fixed<12,2>: 10 fraction bits */
    double x = value_of(in[i], 10, 4);
    long long want = to_code(x > 0 ? x : x * ((double)a / 1024.0), 10, 4, false, false);
    if (out[i] != want) fail_msg("prelu element %d, x = %g: emulator %lld, want %lld", j, x, (long long)out[i], want);
  }
  int64_t ref[4];
  for (int r = 0; r < 1024; r++) {
    assert_int_equal(nf_rtl_reference(d, in + 4 * r, ref, &err), 0);
    assert_memory_equal(ref, out + 4 * r, sizeof ref);
  }
  /* the project round trip keeps the four parameters */
  char dir[] = "/tmp/nnfirm-prelu-XXXXXX";
  assert_non_null(mkdtemp(dir));
  assert_int_equal(nf_design_save(d, dir, &err), 0);
  nf_design *back = NULL;
  assert_int_equal(nf_design_load(dir, &back, &err), 0);
  static int64_t again[4096];
  assert_int_equal(nf_emulate(back, in, 1024, -1, again, &err), 0);
  assert_memory_equal(again, out, sizeof out);
  nf_rm_rf(dir);
  nf_design_free(back);
  nf_design_free(d);
  nf_config_free(c);
  nf_model_free(m);
}

/* ---- Co-simulation of Dense -> table activation -------------------------------------------- */

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

/* Dense -> the activation layer `a` (its act and parameters set by the
 * caller; types, name and shape here): the emulator and the generator's
 * reference agree on 300 random rows, and the Verilog co-simulates with 0
 * mismatches in Icarus and Verilator. */
static void cosim_layer(nf_design_layer a) {
  nf_activation act = a.act;
  nf_rng r;
  nf_rng_seed(&r, 5 + (uint64_t)act);
  static int64_t w[12], b[3];
  for (int i = 0; i < 12; i++) w[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 3; i++) b[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  nf_fixed_type in = parse("ap_fixed<8,3>"), wt = parse("ap_fixed<6,1>"), acc = parse("ap_fixed<10,4>"),
                res = parse("ap_fixed<9,1>");
  snprintf(a.name, sizeof a.name, "act1");
  a.kind = NF_LAYER_ACTIVATION, a.n_in = a.n_out = 3, a.input_t = acc;
  if (!a.result_t.width) a.result_t = res;
  nf_design_layer L[2] = {
      {.kind = NF_LAYER_DENSE, .name = "fc1", .n_in = 4, .n_out = 3, .weights = w, .bias = b, .input_t = in,
       .weight_t = wt, .bias_t = wt, .accum_t = acc, .result_t = acc, .reuse_factor = 1},
      a,
  };
  nf_error err = {0};
  if (nf_act_has_table(act)) assert_int_equal(nf_act_table_build(&L[1].table, act, "act1", &err), 0);
  nf_design d = {.project = "lut", .n_inputs = 4, .n_outputs = 3, .input_t = in, .n_layers = 2, .n_hw = 2,
                 .layers = L, .clock_period_ns = 5};
  enum { ROWS = 300 };
  int64_t *x = calloc(ROWS * 4, 8), *emu = calloc(ROWS * 3, 8), ref[3];
  assert_non_null(x), assert_non_null(emu);
  for (long i = 0; i < ROWS * 4; i++) x[i] = (int64_t)nf_rng_below(&r, 256) - 128;
  assert_int_equal(nf_emulate(&d, x, ROWS, -1, emu, &err), 0);
  int distinct = 0;
  for (long i = 0; i < ROWS; i++) {
    assert_int_equal(nf_rtl_reference(&d, x + i * 4, ref, &err), 0);
    for (int k = 0; k < 3; k++) assert_int_equal(ref[k], emu[i * 3 + k]);
    distinct += i > 0 && emu[i * 3] != emu[i * 3 - 3];
  }
  assert_true(distinct > 20); /* the rows exercise the activation */
  char dir[] = "/tmp/nnfirm-lut-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char work[256], rtl[256], tb[256];
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir);
  assert_int_equal(nf_mkdir_p(work, &err), 0);
  nf_rtl_info info;
  if (nf_rtl_write_project(&d, dir, &info, &err)) fail_msg("rtl: %s", err.msg);
  for (int s = 0; s < 2; s++) {
    nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = "lut", .work_dir = work,
                       .simulator = s ? NF_SIM_VERILATOR : NF_SIM_IVERILOG, .info = &info, .n_rows = ROWS,
                       .in_codes = x, .expected = emu, .quiet = true};
    nf_cosim_result res_c;
    if (nf_cosim_run(&o, &res_c, &err)) fail_msg("cosim (%s): %s", nf_simulator_name(o.simulator), err.msg);
    assert_int_equal(res_c.rows, ROWS);
    if (res_c.mismatches) fail_msg("%s: %ld mismatches in %s", nf_activation_name(act), (long)res_c.mismatches,
                                   nf_simulator_name(o.simulator));
  }
  /* its resource count */
  nf_rtl_cost costs[2];
  assert_int_equal(nf_rtl_costs(&d, costs, &err), 0);
  assert_true(costs[1].reg_bits > 0);
  nf_rm_rf(dir);
  free(L[1].table.codes);
  free(x), free(emu);
}

static void cosim(nf_activation act) {
  cosim_layer((nf_design_layer){.act = act, .table = {.size = 1024, .table_t = parse("ap_fixed<18,8>")}});
}

static void test_cosim_sigmoid(void **state) {
  (void)state;
  cosim(NF_ACT_SIGMOID);
}
static void test_cosim_tanh(void **state) {
  (void)state;
  cosim(NF_ACT_TANH);
}

/* The parameter activations: the parameter(s) in param_t ap_fixed<8,2> */
static void cosim_param(nf_activation act, const int64_t *param, const char *result) {
  nf_design_layer a = {.act = act, .weights = (int64_t *)param, .weight_t = parse("ap_fixed<8,2>")};
  if (result) a.result_t = parse(result);
  if (act == NF_ACT_ELU || act == NF_ACT_SELU) a.table = (nf_act_table){.size = 256, .table_t = parse("ap_fixed<12,2,AP_RND>")};
  cosim_layer(a);
}

static void test_cosim_leaky_relu(void **state) {
  (void)state;
  static const int64_t alpha = 19; /* 0.296875 */
  cosim_param(NF_ACT_LEAKY_RELU, &alpha, NULL);
}
static void test_cosim_thresholded_relu(void **state) {
  (void)state;
  static const int64_t theta = 37; /* 0.578125 */
  cosim_param(NF_ACT_THRESHOLDED_RELU, &theta, NULL);
}
static void test_cosim_prelu(void **state) {
  (void)state;
  static const int64_t alpha[3] = {16, -27, 81};
  cosim_param(NF_ACT_PRELU, alpha, "ap_fixed<9,3,AP_RND,AP_SAT>");
}
static void test_cosim_elu(void **state) {
  (void)state;
  static const int64_t alpha = 45; /* 0.703125 */
  cosim_param(NF_ACT_ELU, &alpha, NULL);
}
static void test_cosim_selu(void **state) {
  (void)state;
  cosim_param(NF_ACT_SELU, NULL, "ap_fixed<9,3>");
}
static void test_cosim_hard_sigmoid(void **state) {
  (void)state;
  cosim_param(NF_ACT_HARD_SIGMOID, NULL, "ap_ufixed<8,0,AP_RND,AP_SAT>");
}

/* A table size the RTL cannot address by shifts is refused there by name
 * (the emulator takes it). */
static void test_rtl_refuses_odd_size(void **state) {
  (void)state;
  variant v = VARIANTS[0];
  v.size = 1000;
  v.cfg_extra = "\"table_size\": 1000";
  nf_design *d = one_activation(NF_ACT_TANH, &v);
  nf_error err = {0};
  int64_t in = 100, out, w = 1, b = 0;
  assert_int_equal(nf_emulate(d, &in, 1, -1, &out, &err), 0);
  nf_fixed_type t = d->layers[0].input_t;
  nf_design_layer L[2] = {{.kind = NF_LAYER_DENSE, .name = "fc", .n_in = 1, .n_out = 1, .weights = &w, .bias = &b,
                           .input_t = t, .weight_t = t, .bias_t = t, .accum_t = t, .result_t = t, .reuse_factor = 1},
                          d->layers[0]};
  nf_design two = {.project = "odd", .n_inputs = 1, .n_outputs = 1, .input_t = t, .n_layers = 2, .n_hw = 2, .layers = L};
  nf_rtl_info info;
  assert_int_equal(nf_rtl_plan(&two, &info, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "power of two"));
  nf_design_free(d);
}

/* ---- LeakyReLU and ThresholdedReLU, exact ------------------------------------------------
 * hls4ml: y = x > 0 ? x : alpha x, and y = x > theta ? x : 0, alpha and theta
 * in param_t (here the layer's weight precision, ap_fixed<16,6>: codes
 * floor(0.3 * 1024) = 307 and floor(0.7f * 1024) = 716), the product exact,
 * the result cast to ap_fixed<10,4> (truncation). */
static void test_leaky_thresholded_every_code(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    nf_error err = {0};
    nf_model *m = nf_model_new(1, &err);
    nf_layer *l = nf_model_add_activation(m, "act", k ? NF_ACT_THRESHOLDED_RELU : NF_ACT_LEAKY_RELU, &err);
    assert_non_null(l);
    l->act_alpha = k ? 0.7f : 0.3f;
    const char *cfg = "{\"Model\": {\"Precision\": \"ap_fixed<10,4>\"}, \"LayerName\": {\"act\": {\"Precision\": "
                      "{\"weight\": \"ap_fixed<16,6>\", \"result\": \"ap_fixed<10,4>\"}}}}";
    nf_config *c = NULL;
    assert_int_equal(nf_config_parse(cfg, strlen(cfg), "cfg.json", &c, &err), 0);
    nf_design *d = NULL;
    if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
    int64_t in[1024], out[1024];
    for (int i = 0; i < 1024; i++) in[i] = i - 512;
    assert_int_equal(nf_emulate(d, in, 1024, -1, out, &err), 0);
    long long alpha = (long long)floor(0.3f * 1024.0), theta = (long long)floor(0.7f * 1024.0);
    assert_int_equal(alpha, 307);
    assert_int_equal(theta, 716);
    for (int i = 0; i < 1024; i++) {
      long long x = in[i], want;
      if (k) want = x * 16 > theta ? x : 0; /* x at 6 fraction bits, theta at 10 */
      else want = x > 0 ? x : (long long)floor((double)(x * alpha) / 1024.0);
      if (out[i] != want) fail_msg("%s x code %lld: emulator %lld, want %lld", k ? "thresholded_relu" : "leaky_relu", x,
                                   (long long)out[i], want);
    }
    if (k) { /* Keras' ThresholdedReLU layer reads into the same activation */
      const char *json = "{\"class_name\": \"Sequential\", \"config\": [{\"class_name\": \"ThresholdedReLU\", \"config\": "
                         "{\"name\": \"act\", \"theta\": 0.7, \"batch_input_shape\": [null, 1]}}]}";
      nf_model *km = NULL;
      assert_int_equal(nf_import_keras_config_text(json, strlen(json), "t.json", &km, &err), 0);
      assert_int_equal(km->layers[0].act, NF_ACT_THRESHOLDED_RELU);
      assert_true(km->layers[0].act_alpha == 0.7f);
      const float xs[3] = {0.5f, 0.7f, 0.75f};
      double ys[3];
      assert_int_equal(nf_model_forward(km, xs, 3, -1, false, ys, &err), 0);
      assert_true(ys[0] == 0 && ys[1] == 0 && ys[2] == 0.75);
      nf_model_free(km);
    }
    /* the project round trip keeps the parameter */
    char dir[] = "/tmp/nnfirm-param-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(nf_design_save(d, dir, &err), 0);
    nf_design *back = NULL;
    assert_int_equal(nf_design_load(dir, &back, &err), 0);
    int64_t again[1024];
    assert_int_equal(nf_emulate(back, in, 1024, -1, again, &err), 0);
    assert_memory_equal(again, out, sizeof out);
    nf_rm_rf(dir);
    nf_design_free(back);
    nf_design_free(d);
    nf_config_free(c);
    nf_model_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigmoid_every_code), cmocka_unit_test(test_tanh_every_code),
      cmocka_unit_test(test_softplus_every_code), cmocka_unit_test(test_leaky_thresholded_every_code),
      cmocka_unit_test(test_rtl_refuses_odd_size), cmocka_unit_test(test_cosim_sigmoid),
      cmocka_unit_test(test_cosim_tanh), cmocka_unit_test(test_elu_every_code),
      cmocka_unit_test(test_selu_every_code), cmocka_unit_test(test_hard_sigmoid_every_code),
      cmocka_unit_test(test_prelu_every_code), cmocka_unit_test(test_cosim_leaky_relu),
      cmocka_unit_test(test_cosim_thresholded_relu), cmocka_unit_test(test_cosim_prelu),
      cmocka_unit_test(test_cosim_elu), cmocka_unit_test(test_cosim_selu),
      cmocka_unit_test(test_cosim_hard_sigmoid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
