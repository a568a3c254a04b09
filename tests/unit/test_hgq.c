/* HGQ proxy models (FixedPointQuantizer with per-element types) through
 * every stage:
 *  - the jet classifier (tests/data/models/keras/hgq_jet_classifier.h5)
 *    imports with its stored types; its float outputs and its fixed-point
 *    (emulator) outputs equal the references of
 *    tests/data/refs/gen/hgq_refs.py (numpy float64 with HGQ's formulas, and
 *    exact rationals) on all 400 rows, exactly;
 *  - the RTL generator's reference equals the emulator; the project's
 *    design.json round trip keeps the per-element types; co-simulation
 *    (Verilator, Icarus) 0 mismatches;
 *  - every rounding and overflow mode on every code of a 16-bit input: the
 *    float model (HGQ's formulas), the emulator and the RTL reference agree,
 *    and the Verilog too (co-simulation of a few modes);
 *  - bad input refused naming the file and the layer. */
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

enum { ROWS = 400, NF = 16, NO = 5 };

static nf_model *open_model(void) {
  nf_model *m = NULL;
  nf_error err = {0};
  if (nf_model_open(shared_path("models/keras/hgq_jet_classifier.h5"), NULL, &m, &err)) fail_msg("%s", err.msg);
  return m;
}

static float *inputs(void) {
  double *d;
  int cols;
  assert_int_equal(read_csv_doubles(shared_path("refs/hgq_jet_classifier.inputs.csv"), &d, &cols), ROWS);
  assert_int_equal(cols, NF);
  float *x = malloc(ROWS * NF * sizeof *x);
  assert_non_null(x);
  for (int i = 0; i < ROWS * NF; i++) x[i] = (float)d[i];
  free(d);
  return x;
}

static double *reference(const char *which) {
  char rel[128];
  snprintf(rel, sizeof rel, "refs/hgq_jet_classifier.%s.csv", which);
  double *d;
  int cols;
  assert_int_equal(read_csv_doubles(shared_path(rel), &d, &cols), ROWS);
  assert_int_equal(cols, NO);
  return d;
}

static void test_import(void **state) {
  (void)state;
  nf_model *m = open_model();
  /* inp_q, then (Dense, quantizer, ReLU, quantizer) x 3, Dense, quantizer */
  assert_int_equal(m->n_layers, 15);
  assert_int_equal(m->layers[0].kind, NF_LAYER_QUANT);
  assert_int_equal(m->layers[0].fpq_n, 16);
  assert_int_equal(m->layers[0].fpq_q, NF_FPQ_TRN);
  assert_int_equal(m->layers[0].fpq_o, NF_FPQ_WRAP);
  assert_int_equal(m->layers[2].kind, NF_LAYER_QUANT);
  assert_int_equal(m->layers[2].fpq_n, 1); /* dense_1_quantizer: one type for all */
  int k, b, i;
  nf_fpq_elem(&m->layers[0], 14, &k, &b, &i); /* the widest input: fixed<12,5> */
  assert_int_equal(k, 1), assert_int_equal(b, 12), assert_int_equal(i, 5);
  nf_fpq_elem(&m->layers[4], 0, &k, &b, &i); /* dense_1_relu_quantizer: most elements pruned */
  assert_int_equal(b, 0);
  /* HGQ's result types (its overrides in the file say the same) */
  assert_true(nf_fpq_union_kif(&m->layers[0], &k, &i, &b));
  assert_int_equal(k, 1), assert_int_equal(i, 4), assert_int_equal(b, 7);  /* fixed<12,5> */
  assert_true(nf_fpq_union_kif(&m->layers[4], &k, &i, &b));
  assert_int_equal(k, 0), assert_int_equal(i, 8), assert_int_equal(b, 3);  /* ufixed<11,8> */
  /* the proxy's stored weights are exact in the quantizers derived for them:
   * dense_1's are fixed<10,5> (its overrides' weight_t) */
  assert_int_equal(m->layers[1].kernel_q.kind, NF_QUANT_BITS);
  assert_int_equal(m->layers[1].kernel_q.bits, 10);
  assert_int_equal(m->layers[1].kernel_q.integer, 4);
  nf_model_free(m);
}

static void test_float(void **state) {
  (void)state;
  nf_model *m = open_model();
  float *x = inputs();
  double *y = malloc(ROWS * NO * sizeof *y), *want = reference("float");
  nf_error err = {0};
  assert_int_equal(nf_model_forward(m, x, ROWS, -1, false, y, &err), 0);
  long nonzero = 0;
  for (int k = 0; k < ROWS * NO; k++) {
    if (y[k] != want[k]) fail_msg("row %d output %d: float model %.17g, reference %.17g", k / NO, k % NO, y[k], want[k]);
    nonzero += y[k] != 0;
  }
  assert_true(nonzero > ROWS); /* not a degenerate network */
  free(x), free(y), free(want);
  nf_model_free(m);
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

static void run_cosim(const nf_design *d, const int64_t *in, const int64_t *want, long rows, bool icarus_too) {
  nf_error err = {0};
  char dir[] = "/tmp/nnfirm-hgq-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char work[256], rtl[256], tb[256];
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir);
  assert_int_equal(nf_mkdir_p(work, &err), 0);
  nf_rtl_info info;
  if (nf_rtl_write_project(d, dir, &info, &err)) fail_msg("rtl: %s", err.msg);
  for (int s = 0; s < (icarus_too ? 2 : 1); s++) {
    nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = d->project, .work_dir = work,
                       .simulator = s ? NF_SIM_IVERILOG : NF_SIM_VERILATOR, .info = &info,
                       .n_rows = s && rows > 100 ? 100 : rows, .in_codes = in, .expected = want, .quiet = true};
    nf_cosim_result res;
    if (nf_cosim_run(&o, &res, &err)) fail_msg("cosim (%s): %s", nf_simulator_name(o.simulator), err.msg);
    assert_int_equal(res.rows, o.n_rows);
    if (res.mismatches)
      fail_msg("cosim (%s): %ld mismatches, first row %ld output %ld: %lld, want %lld", nf_simulator_name(o.simulator),
               res.mismatches, res.first_bad_row, res.first_bad_output, (long long)res.first_bad_got,
               (long long)res.first_bad_want);
    assert_int_equal(res.latency, info.latency);
  }
  nf_rm_rf(dir);
}

static void jet_fixed(bool cosim) {
  nf_model *m = open_model();
  nf_design *d = design_of(m);
  /* every node stays: the quantizers are nodes of their own */
  assert_int_equal(d->n_layers, 15);
  assert_int_equal(d->layers[0].kind, NF_LAYER_QUANT);
  assert_true(nf_fixed_type_equal(&d->input_t, &d->layers[0].result_t));
  char t[96];
  nf_fixed_type_format(&d->input_t, t, sizeof t);
  assert_string_equal(t, "ap_fixed<12,5>");
  nf_fixed_type_format(&d->layers[14].result_t, t, sizeof t);
  assert_string_equal(t, "ap_fixed<11,5>");
  float *x = inputs();
  double *want = reference("fixed");
  int64_t *in = malloc(ROWS * NF * sizeof *in), *emu = malloc(ROWS * NO * sizeof *emu), ref[NO];
  nf_error err = {0};
  assert_int_equal(nf_emulate_inputs(d, x, ROWS, in, &err), 0);
  assert_int_equal(nf_emulate(d, in, ROWS, -1, emu, &err), 0);
  for (int k = 0; k < ROWS * NO; k++) {
    double v = nf_fixed_to_double(&d->layers[14].result_t, emu[k]);
    if (v != want[k]) fail_msg("row %d output %d: emulator %.17g, exact reference %.17g", k / NO, k % NO, v, want[k]);
  }
  /* the per-row reference and the block path agree */
  int64_t *exact = malloc(ROWS * NO * sizeof *exact);
  assert_int_equal(nf_emulate_reference(d, in, ROWS, -1, exact, &err), 0);
  assert_memory_equal(exact, emu, ROWS * NO * sizeof *exact);
  free(exact);
  for (int r = 0; r < ROWS; r++) {
    assert_int_equal(nf_rtl_reference(d, in + r * NF, ref, &err), 0);
    for (int j = 0; j < NO; j++) assert_int_equal(ref[j], emu[r * NO + j]);
  }
  /* the project's design.json keeps every element's type */
  char pdir[] = "/tmp/nnfirm-hgqdesign-XXXXXX";
  assert_non_null(mkdtemp(pdir));
  assert_int_equal(nf_design_save(d, pdir, &err), 0);
  nf_design *back = NULL;
  if (nf_design_load(pdir, &back, &err)) fail_msg("load: %s", err.msg);
  int64_t *again = malloc(ROWS * NO * sizeof *again);
  assert_non_null(again);
  assert_int_equal(nf_emulate(back, in, ROWS, -1, again, &err), 0);
  assert_memory_equal(again, emu, ROWS * NO * sizeof *again);
  for (int j = 0; j < 64; j++) assert_true(nf_fixed_type_equal(&back->layers[4].elem_t[j], &d->layers[4].elem_t[j]) ||
                                           (!back->layers[4].elem_t[j].width && !d->layers[4].elem_t[j].width));
  free(again);
  nf_design_free(back);
  nf_rm_rf(pdir);
  if (cosim) run_cosim(d, in, emu, ROWS, true);
  free(x), free(in), free(emu), free(want);
  nf_design_free(d);
  nf_model_free(m);
}

static void test_fixed(void **state) {
  (void)state;
  jet_fixed(false);
}
static void test_cosim(void **state) {
  (void)state;
  jet_fixed(true);
}

/* ---- Every mode on every code ------------------------------------------------------
 * x (every code of the default input type ap_fixed<16,6>) -> Dense 1 -> 6
 * (weights 1, -1, 2, 0.5, 1, -2: exact) -> FixedPointQuantizer with six
 * element types, one of them pruned, in mode (q, o). */
static const int ELEMS[6][3] = {{1, 4, 2}, {0, 3, 1}, {1, 6, -1}, {0, 5, 7}, {1, 1, 1}, {0, 0, 0}};

static nf_model *mode_model(nf_fpq_round q, nf_fpq_overflow o) {
  nf_error err = {0};
  nf_model *m = nf_model_new(1, &err);
  nf_layer *fc = nf_model_add_dense(m, "fc", 6, true, &err);
  assert_non_null(fc);
  const float w[6] = {1, -1, 2, 0.5f, 1, -2};
  memcpy(fc->kernel, w, sizeof w);
  fc->kernel_q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = 5, .integer = 2, .keep_negative = true, .alpha = 1};
  fc->bias_q = fc->kernel_q;
  nf_layer *l = nf_model_add_fpq(m, "q", 6, q, o, &err);
  assert_non_null(l);
  for (int j = 0; j < 6; j++)
    for (int a = 0; a < 3; a++) l->fpq[a * 6 + j] = (float)ELEMS[j][a];
  assert_int_equal(nf_model_validate(m, &err), 0);
  return m;
}

static void test_every_mode(void **state) {
  (void)state;
  enum { N = 1 << 16 };
  int64_t *in = malloc(N * sizeof *in), *out = malloc(N * 6 * sizeof *out);
  float *xf = malloc(N * sizeof *xf);
  double *y = malloc(N * 6 * sizeof *y);
  assert_true(in && out && xf && y);
  for (int k = 0; k < N; k++) in[k] = k - N / 2, xf[k] = (float)(k - N / 2) / 1024;
  nf_error err = {0};
  int cosims = 0;
  for (int q = NF_FPQ_TRN; q <= NF_FPQ_RND_CONV; q++)
    for (int o = NF_FPQ_WRAP; o <= NF_FPQ_SAT_SYM; o++) {
      nf_model *m = mode_model((nf_fpq_round)q, (nf_fpq_overflow)o);
      nf_design *d = design_of(m);
      assert_int_equal(d->n_layers, 2);
      assert_int_equal(nf_emulate(d, in, N, -1, out, &err), 0);
      assert_int_equal(nf_model_forward(m, xf, N, -1, false, y, &err), 0);
      for (long k = 0; k < (long)N * 6; k++) {
        double v = nf_fixed_to_double(&d->layers[1].result_t, out[k]);
        if (v != y[k])
          fail_msg("%s/%s: input %g element %ld: emulator %g, model %g", nf_fpq_round_name((nf_fpq_round)q),
                   nf_fpq_overflow_name((nf_fpq_overflow)o), xf[k / 6], k % 6, v, y[k]);
      }
      for (int k = 0; k < N; k += 7) {
        int64_t ref[6];
        assert_int_equal(nf_rtl_reference(d, in + k, ref, &err), 0);
        for (int j = 0; j < 6; j++) assert_int_equal(ref[j], out[k * 6 + j]);
      }
      /* the Verilog of a few modes, on a stride of the codes */
      if ((q == NF_FPQ_TRN && o == NF_FPQ_WRAP) || (q == NF_FPQ_RND_CONV && o == NF_FPQ_SAT_SYM) ||
          (q == NF_FPQ_RND_INF && o == NF_FPQ_SAT_ZERO) || (q == NF_FPQ_TRN_ZERO && o == NF_FPQ_SAT)) {
        enum { S = 4096 };
        int64_t *ci = malloc(S * sizeof *ci), *co = malloc(S * 6 * sizeof *co);
        assert_true(ci && co);
        for (int k = 0; k < S; k++) {
          ci[k] = in[(k * 16 + k % 16) % N];
          memcpy(co + k * 6, out + (size_t)((k * 16 + k % 16) % N) * 6, 6 * sizeof *co);
        }
        run_cosim(d, ci, co, S, cosims++ == 1);
        free(ci), free(co);
      }
      nf_design_free(d);
      nf_model_free(m);
    }
  free(in), free(out), free(xf), free(y);
}

/* ---- Bad input --------------------------------------------------------------------- */
static const char *const FPQ_JSON =
    "{\"class_name\": \"Functional\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": "
    "{\"name\": \"in\", \"batch_input_shape\": [null, 4]}}, {\"class_name\": \"FixedPointQuantizer\", \"config\": "
    "{\"name\": \"inp_q\", \"RND\": \"%s\", \"SAT\": \"%s\", \"shape\": [1, %d]}}]}}";

static int import_fpq(const char *rnd, const char *sat, int n, nf_error *err) {
  char json[1024];
  snprintf(json, sizeof json, FPQ_JSON, rnd, sat, n);
  nf_model *m = NULL;
  int rc = nf_import_keras_config_text(json, strlen(json), "bad.json", &m, err);
  nf_model_free(m);
  return rc;
}

static void test_bad_input(void **state) {
  (void)state;
  nf_error err = {0};
  assert_int_equal(import_fpq("RND_CONV", "SAT_SYM", 4, &err), 0);
  assert_int_equal(import_fpq("TRN", "WRAP", 1, &err), 0);
  assert_int_equal(import_fpq("STOCHASTIC", "WRAP", 4, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "bad.json"));
  assert_non_null(strstr(err.msg, "inp_q"));
  assert_non_null(strstr(err.msg, "RND=STOCHASTIC"));
  assert_int_equal(import_fpq("TRN", "WRAP_SM", 4, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "unsupported overflow mode SAT=WRAP_SM"));
  assert_int_equal(import_fpq("TRN", "WRAP", 3, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "3 stored types for 4 values"));
  /* a Precision for a quantizer layer: the stored types decide */
  nf_model *m = open_model();
  const char *cfg = "{\"LayerName\": {\"dense_1_quantizer\": {\"Precision\": \"ap_fixed<8,3>\"}}}";
  nf_config *c = NULL;
  assert_int_equal(nf_config_parse(cfg, strlen(cfg), "q.json", &c, &err), 0);
  nf_design *d = NULL;
  assert_int_equal(nf_design_build(m, c, NULL, 0, &d, &err), NF_EINPUT);
  assert_null(d);
  assert_non_null(strstr(err.msg, "q.json"));
  assert_non_null(strstr(err.msg, "'dense_1_quantizer'"));
  nf_config_free(c);
  /* stored types out of range */
  m->layers[4].fpq[64 + 7] = 40; /* bits of element 7 */
  assert_int_equal(nf_model_validate(m, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "'dense_1_relu_quantizer'"));
  assert_non_null(strstr(err.msg, "element 7"));
  nf_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_import),     cmocka_unit_test(test_float), cmocka_unit_test(test_fixed),
      cmocka_unit_test(test_every_mode), cmocka_unit_test(test_cosim), cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
