/* hls4ml's binary and ternary example models (BinaryDense / TernaryDense,
 * BatchNormalization + binary_tanh / ternary_tanh, a final
 * BatchNormalization) through every stage:
 *  - the float model against the numpy references of
 *    tests/data/refs/make_sign_dense_refs.py (all 200 rows);
 *  - the emulator against an exact integer implementation written here from
 *    the model's float parameters and the default types (ap_fixed<16,6>,
 *    AP_TRN, AP_WRAP), bit for bit;
 *  - the RTL generator's reference against the emulator, and the Verilog in
 *    co-simulation (Verilator and Icarus), 0 mismatches;
 *  - bad input refused with a message naming the file and the layer. */
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

#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"
#include "test_util.h"

enum { ROWS = 200, NF = 16 };

static const char *const MODELS[2] = {"KERAS_3layer_binary_smaller", "KERAS_3layer_ternary_small"};

static nf_model *open_model(int which) {
  char rel[256];
  snprintf(rel, sizeof rel, "models/keras/%s.json", MODELS[which]);
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_open(shared_path(rel), NULL, &m, &err)) fail_msg("%s: %s", rel, err.msg);
  return m;
}

static float *inputs(void) {
  double *d;
  int cols;
  assert_int_equal(read_csv_doubles(shared_path("refs/inputs16.csv"), &d, &cols), ROWS);
  assert_int_equal(cols, NF);
  float *x = malloc(ROWS * NF * sizeof *x);
  assert_non_null(x);
  for (int i = 0; i < ROWS * NF; i++) x[i] = (float)d[i];
  free(d);
  return x;
}

/* ---- Float ----------------------------------------------------------------------- */

static void float_check(int which) {
  nf_model *m = open_model(which);
  /* fc1 bn1 act1 fc2 bn2 act2 fc3 bn3 act3 output bn */
  assert_int_equal(m->n_layers, 11);
  assert_int_equal(m->layers[0].kind, NF_LAYER_DENSE);
  assert_true(m->layers[0].kernel_q.dense_class);
  assert_int_equal(m->layers[0].kernel_q.kind, which ? NF_QUANT_TERNARY : NF_QUANT_BINARY);
  assert_null(m->layers[0].bias); /* use_bias false */
  float *x = inputs();
  double *y = malloc(ROWS * 5 * sizeof *y), *want;
  nf_error err = {0};
  assert_int_equal(nf_model_forward(m, x, ROWS, -1, false, y, &err), 0);
  char rel[256];
  snprintf(rel, sizeof rel, "refs/%s.float.csv", MODELS[which]);
  int cols;
  assert_int_equal(read_csv_doubles(shared_path(rel), &want, &cols), ROWS);
  assert_int_equal(cols, 5);
  double worst = 0;
  for (int k = 0; k < ROWS * 5; k++) worst = fmax(worst, fabs(y[k] - want[k]));
  if (!(worst <= 1e-9)) fail_msg("%s: max |delta| %g from the numpy reference", MODELS[which], worst);
  free(x), free(y), free(want);
  nf_model_free(m);
}

static void test_float_binary(void **state) {
  (void)state;
  float_check(0);
}
static void test_float_ternary(void **state) {
  (void)state;
  float_check(1);
}

/* ---- The exact integer reference ------------------------------------------------------
 * Default types: ap_fixed<16,6> (10 fraction bits), truncation, wrap. The
 * network as hls4ml reads it with nnfirm's exact accumulators: inputs
 * quantized; each Dense a sum of +-x (or 0) with nothing dropped; each
 * BatchNormalization + sign activation the model's own decision on the exact
 * sum; the final BatchNormalization y = x s + c with s and c in
 * ap_fixed<16,6>, the result cast to ap_fixed<16,6>. */

static long long wrap16(long long v) {
  long long u = v & 0xffff;
  return u >= 0x8000 ? u - 0x10000 : u;
}

static long long floor_code(double v, int frac) { return (long long)floor(ldexp(v, frac)); }

static int q_weight(bool ternary, float w) {
  if (!ternary) return w >= 0 ? 1 : -1;
  return w > 0.5f ? 1 : w <= -0.5f ? -1 : 0;
}

/* One row: out[5] codes of ap_fixed<16,6>. */
static void reference_row(const nf_model *m, bool ternary, const float *x, long long *out) {
  long long a[64], b[64];
  int n = NF, frac = 10; /* the values are a[i] / 2^frac */
  for (int i = 0; i < n; i++) a[i] = wrap16(floor_code(x[i], 10));
  for (int li = 0; li < m->n_layers; li++) {
    const nf_layer *l = &m->layers[li];
    if (l->kind == NF_LAYER_DENSE) {
      for (int j = 0; j < l->n_out; j++) {
        long long s = 0;
        for (int i = 0; i < l->n_in; i++) s += q_weight(ternary, l->kernel[(size_t)i * l->n_out + j]) * a[i];
        b[j] = s;
      }
    } else if (l->kind == NF_LAYER_BATCHNORM && li + 1 < m->n_layers) { /* + the sign activation */
      for (int j = 0; j < l->n_out; j++) {
        long double v = ldexpl((long double)a[j], -frac);
        long double bn = (long double)l->gamma[j] * (v - l->moving_mean[j]) /
                             sqrtl((long double)l->moving_var[j] + (long double)l->epsilon) +
                         l->beta[j];
        b[j] = ternary ? (bn > 0.5L ? 1 : bn < -0.5L ? -1 : 0) : (bn > 0 ? 1 : -1);
      }
      li++;
      frac = 0;
    } else if (l->kind == NF_LAYER_BATCHNORM) { /* the final one, on an integer sum */
      assert_int_equal(frac, 0);
      for (int j = 0; j < l->n_out; j++) {
        double s = (double)l->gamma[j] / sqrt((double)l->moving_var[j] + (double)l->epsilon);
        double c = (double)l->beta[j] - (double)l->moving_mean[j] * s;
        b[j] = wrap16(a[j] * wrap16(floor_code(s, 10)) + wrap16(floor_code(c, 10)));
      }
      frac = 10;
    } else {
      fail_msg("unexpected layer %s", l->name);
    }
    n = l->n_out;
    memcpy(a, b, sizeof a);
  }
  assert_int_equal(n, 5);
  assert_int_equal(frac, 10);
  for (int j = 0; j < 5; j++) out[j] = a[j];
}

static nf_design *design_of(const nf_model *m) {
  nf_error err = {0};
  nf_config *c = nf_config_default(&err);
  assert_non_null(c);
  nf_design *d = NULL;
  if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("design: %s", err.msg);
  nf_config_free(c);
  return d;
}

static void emulate_check(int which, bool cosim) {
  nf_model *m = open_model(which);
  nf_design *d = design_of(m);
  /* fc1 bn1 fc2 bn2 fc3 bn3 output bn: the normalizations stay, the sign
   * activations fold into them */
  assert_int_equal(d->n_layers, 8);
  assert_int_equal(d->n_hw, 8);
  for (int i = 0; i < 8; i++) assert_int_equal(d->layers[i].kind, i % 2 ? NF_LAYER_BATCHNORM : NF_LAYER_DENSE);
  assert_int_equal(d->layers[1].act, which ? NF_ACT_TERNARY_TANH : NF_ACT_BINARY_TANH);
  assert_int_equal(d->layers[7].act, NF_ACT_LINEAR);
  /* the weights are -1, 0, +1 codes */
  for (int i = 0; i < 8; i += 2)
    for (long k = 0; k < (long)d->layers[i].n_in * d->layers[i].n_out; k++)
      assert_true(d->layers[i].weights[k] >= -1 && d->layers[i].weights[k] <= 1);
  float *x = inputs();
  int64_t *in = malloc(ROWS * NF * sizeof *in), *emu = malloc(ROWS * 5 * sizeof *emu), ref[5];
  nf_error err = {0};
  assert_int_equal(nf_emulate_inputs(d, x, ROWS, in, &err), 0);
  assert_int_equal(nf_emulate(d, in, ROWS, -1, emu, &err), 0);
  long zeros = 0;
  for (int r = 0; r < ROWS; r++) {
    long long want[5];
    reference_row(m, which == 1, x + r * NF, want);
    for (int j = 0; j < 5; j++)
      if (emu[r * 5 + j] != want[j])
        fail_msg("%s row %d output %d: emulator %lld, exact reference %lld", MODELS[which], r, j,
                 (long long)emu[r * 5 + j], want[j]);
    assert_int_equal(nf_rtl_reference(d, in + r * NF, ref, &err), 0);
    for (int j = 0; j < 5; j++) assert_int_equal(ref[j], emu[r * 5 + j]);
  }
  (void)zeros;
  /* the project's design.json keeps the thresholds and the affine */
  char pdir[] = "/tmp/nnfirm-signdesign-XXXXXX";
  assert_non_null(mkdtemp(pdir));
  assert_int_equal(nf_design_save(d, pdir, &err), 0);
  nf_design *back = NULL;
  if (nf_design_load(pdir, &back, &err)) fail_msg("load: %s", err.msg);
  int64_t *again = malloc(ROWS * 5 * sizeof *again);
  assert_non_null(again);
  assert_int_equal(nf_emulate(back, in, ROWS, -1, again, &err), 0);
  assert_memory_equal(again, emu, ROWS * 5 * sizeof *again);
  assert_int_equal(back->layers[1].kind, NF_LAYER_BATCHNORM);
  assert_int_equal(back->layers[1].act, d->layers[1].act);
  free(again);
  nf_design_free(back);
  nf_rm_rf(pdir);
  if (cosim) {
    char dir[] = "/tmp/nnfirm-signdense-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char work[256], rtl[256], tb[256];
    snprintf(work, sizeof work, "%s/work", dir);
    snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir);
    assert_int_equal(nf_mkdir_p(work, &err), 0);
    nf_rtl_info info;
    int rc = nf_rtl_write_project(d, dir, &info, &err);
    if (rc) fail_msg("rtl: %s", err.msg);
    for (int s = 0; s < 2; s++) {
      nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = d->project, .work_dir = work,
                         .simulator = s ? NF_SIM_IVERILOG : NF_SIM_VERILATOR, .info = &info,
                         .n_rows = s ? 40 : ROWS, .in_codes = in, .expected = emu, .quiet = true};
      nf_cosim_result res;
      rc = nf_cosim_run(&o, &res, &err);
      if (rc) fail_msg("cosim (%s): %s", nf_simulator_name(o.simulator), err.msg);
      assert_int_equal(res.rows, o.n_rows);
      assert_int_equal(res.mismatches, 0);
      assert_int_equal(res.latency, info.latency);
    }
    nf_rm_rf(dir);
  }
  free(x), free(in), free(emu);
  nf_design_free(d);
  nf_model_free(m);
}

static void test_exact_binary(void **state) {
  (void)state;
  emulate_check(0, false);
}
static void test_exact_ternary(void **state) {
  (void)state;
  emulate_check(1, false);
}
static void test_cosim_binary(void **state) {
  (void)state;
  emulate_check(0, true);
}
static void test_cosim_ternary(void **state) {
  (void)state;
  emulate_check(1, true);
}

/* ---- The threshold node on every code of a small input type ---------------------------
 * A TernaryDense feeding BatchNormalization + ternary_tanh, with an input
 * type narrow enough to enumerate: every code against the float model. */
static void test_thresholds_every_code(void **state) {
  (void)state;
  nf_error err = {0};
  for (int t = 0; t < 2; t++) {
    nf_model *m = nf_model_new(1, &err);
    nf_layer *fc = nf_model_add_dense(m, "fc", 3, false, &err);
    assert_non_null(fc);
    fc->kernel_q = (nf_quantizer){.kind = t ? NF_QUANT_TERNARY : NF_QUANT_BINARY, .bits = 2, .alpha = 1,
                                  .threshold = t ? 0.5 : 0, .dense_class = true};
    fc->kernel[0] = 1, fc->kernel[1] = -1, fc->kernel[2] = 0.75f;
    nf_layer *bn = nf_model_add_batchnorm(m, "bn", 1e-3f, &err);
    assert_non_null(bn);
    const float g[3] = {0.7f, 2.5f, 0.3f}, be[3] = {0.1f, -0.3f, 0.05f}, mu[3] = {0.33f, -1.1f, 2.0f},
                var[3] = {1.3f, 0.2f, 4.0f};
    memcpy(bn->gamma, g, sizeof g), memcpy(bn->beta, be, sizeof be);
    memcpy(bn->moving_mean, mu, sizeof mu), memcpy(bn->moving_var, var, sizeof var);
    assert_non_null(nf_model_add_activation(m, "act", t ? NF_ACT_TERNARY_TANH : NF_ACT_BINARY_TANH, &err));
    nf_config *c = NULL;
    const char *cfg = "{\"Model\": {\"Precision\": \"ap_fixed<8,3>\"}}";
    assert_int_equal(nf_config_parse(cfg, strlen(cfg), "cfg", &c, &err), 0);
    nf_design *d = NULL;
    if (nf_design_build(m, c, NULL, 0, &d, &err)) fail_msg("%s", err.msg);
    assert_int_equal(d->n_layers, 2);
    int64_t in[256], out[256 * 3];
    float xf[256];
    double y[256 * 3];
    for (int k = 0; k < 256; k++) in[k] = k - 128, xf[k] = (float)(k - 128) / 32;
    assert_int_equal(nf_emulate(d, in, 256, -1, out, &err), 0);
    assert_int_equal(nf_model_forward(m, xf, 256, -1, false, y, &err), 0);
    for (int k = 0; k < 256 * 3; k++)
      if ((double)out[k] != y[k]) fail_msg("code %d output %d: emulator %lld, model %g", k / 3 - 128, k % 3,
                                          (long long)out[k], y[k]);
    for (int k = 0; k < 256; k++) {
      int64_t ref[3];
      assert_int_equal(nf_rtl_reference(d, in + k, ref, &err), 0);
      for (int j = 0; j < 3; j++) assert_int_equal(ref[j], out[k * 3 + j]);
    }
    nf_design_free(d);
    nf_config_free(c);
    nf_model_free(m);
  }
}

/* ---- Bad input -------------------------------------------------------------------------- */

static const char *const DENSE_JSON =
    "{\"class_name\": \"Sequential\", \"config\": [{\"class_name\": \"%s\", \"config\": {\"name\": \"fc1\", "
    "\"units\": 4, \"use_bias\": false, \"batch_input_shape\": [null, 3]%s}}]}";

static int import_text(const char *cls, const char *extra, nf_error *err) {
  char json[1024];
  snprintf(json, sizeof json, DENSE_JSON, cls, extra);
  nf_model *m = NULL;
  int rc = nf_import_keras_config_text(json, strlen(json), "bad.json", &m, err);
  nf_model_free(m);
  return rc;
}

static void test_bad_input(void **state) {
  (void)state;
  nf_error err = {0};
  assert_int_equal(import_text("BinaryDense", ", \"H\": 1", &err), 0);
  assert_int_equal(import_text("TernaryDense", "", &err), 0);
  assert_int_equal(import_text("BinaryDense", ", \"H\": 2.5", &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "bad.json"));
  assert_non_null(strstr(err.msg, "fc1"));
  assert_non_null(strstr(err.msg, "H=2.5"));
  assert_int_equal(import_text("TernaryDense", ", \"H\": \"Glorot\"", &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "Glorot"));
  /* a negative BatchNormalization scale before a sign activation */
  nf_model *m = open_model(0);
  m->layers[1].gamma[3] = -0.5f;
  nf_config *c = nf_config_default(&err);
  nf_design *d = NULL;
  assert_int_equal(nf_design_build(m, c, NULL, 0, &d, &err), NF_EINPUT);
  assert_null(d);
  assert_non_null(strstr(err.msg, "'bn1'"));
  assert_non_null(strstr(err.msg, "feature 3"));
  nf_config_free(c);
  nf_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_binary),  cmocka_unit_test(test_float_ternary),
      cmocka_unit_test(test_exact_binary),  cmocka_unit_test(test_exact_ternary),
      cmocka_unit_test(test_thresholds_every_code), cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_cosim_binary),  cmocka_unit_test(test_cosim_ternary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
