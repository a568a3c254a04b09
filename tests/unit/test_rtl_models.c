/* The generated RTL of the real jet-tagger models, co-simulated:
 *   KERAS_3layer at ap_fixed<16,6> (Verilator) and KERAS_3layer_batch_norm
 *   (Icarus) against tests/data/refs/<model>.fixed16_6.logits.csv, the independent
 *   implementation's exact outputs; KERAS_3layer with a 6-bit
 *   configuration, the 70%-pruned weights, qkeras_3layer with its hls4ml
 *   configuration's types, and ReuseFactor 4, against the SPEC §3 model.
 * The Keras weights are read straight from the HDF5 files here (test-only
 * reader) so that this stage is tested independently of the importer. */
#include <hdf5.h>
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

#include "nnfirm/model.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

static const char *shared(void) {
  const char *s = getenv("TESTDATA");
  return s ? s : "../tests/data";
}

/* dataset -> floats; returns the element count */
static long read_ds(const char *file, const char *path, float **out) {
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  long n = (long)H5Sget_simple_extent_npoints(sp);
  *out = malloc((size_t)n * sizeof **out);
  assert_non_null(*out);
  assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0);
  H5Sclose(sp), H5Dclose(d), H5Fclose(f);
  return n;
}

typedef struct types {
  const char *input, *weight, *bias, *accum, *result, *relu;
  nf_quantizer wq; /* QKeras quantizer applied to weights and biases first */
  int reuse;
} types;

typedef struct model {
  nf_design_layer layers[7];
  int64_t *arrays[8];
  nf_design net;
} model;

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

static int64_t quant(const nf_fixed_type *t, const nf_quantizer *q, double v) {
  if (q->kind != NF_QUANT_NONE) v = nf_quantizer_apply(q, v);
  nf_code c;
  nf_error err = {0};
  assert_int_equal(nf_fixed_from_double(t, v, &c, &err), 0);
  return (int64_t)c;
}

/* names[l] = Keras layer name of Dense l; bn[l] = BatchNormalization to fold, or NULL */
static void load(model *m, const char *weights_file, const char *const names[4], const char *const bn[4],
                 const types *ty) {
  static const int sizes[] = {16, 64, 32, 32, 5};
  memset(m, 0, sizeof *m);
  char file[1024], path[256];
  snprintf(file, sizeof file, "%s/models/keras/%s", shared(), weights_file);
  nf_fixed_type in = parse(ty->input), w = parse(ty->weight), b = parse(ty->bias), acc = parse(ty->accum),
                res = parse(ty->result), relu = parse(ty->relu);
  int n = 0;
  for (int l = 0; l < 4; l++) {
    int a = sizes[l], o = sizes[l + 1];
    float *k, *bias;
    snprintf(path, sizeof path, "/%s/%s/kernel:0", names[l], names[l]);
    assert_int_equal(read_ds(file, path, &k), (long)a * o);
    snprintf(path, sizeof path, "/%s/%s/bias:0", names[l], names[l]);
    assert_int_equal(read_ds(file, path, &bias), o);
    double *kd = malloc((size_t)a * o * sizeof *kd), *bd = malloc((size_t)o * sizeof *bd);
    assert_non_null(kd), assert_non_null(bd);
    for (long i = 0; i < (long)a * o; i++) kd[i] = k[i];
    for (int j = 0; j < o; j++) bd[j] = bias[j];
    if (bn[l]) { /* fold y = gamma (x - mean) / sqrt(var + eps) + beta, in float as Keras computes */
      float *g, *be, *mu, *var;
      const char *fields[] = {"gamma", "beta", "moving_mean", "moving_variance"};
      float **dst[] = {&g, &be, &mu, &var};
      for (int q = 0; q < 4; q++) {
        snprintf(path, sizeof path, "/%s/%s/%s:0", bn[l], bn[l], fields[q]);
        assert_int_equal(read_ds(file, path, dst[q]), o);
      }
      for (int j = 0; j < o; j++) {
        float s = g[j] / sqrtf(var[j] + 1e-6f);
        for (int i = 0; i < a; i++) kd[(size_t)i * o + j] = (float)(k[(size_t)i * o + j] * s);
        bd[j] = (float)((bias[j] - mu[j]) * s + be[j]);
      }
      free(g), free(be), free(mu), free(var);
    }
    int64_t *wc = malloc((size_t)a * o * 8), *bc = malloc((size_t)o * 8);
    assert_non_null(wc), assert_non_null(bc);
    for (long i = 0; i < (long)a * o; i++) wc[i] = quant(&w, &ty->wq, kd[i]);
    for (int j = 0; j < o; j++) bc[j] = quant(&b, &ty->wq, bd[j]);
    free(k), free(bias), free(kd), free(bd);
    m->arrays[2 * l] = wc, m->arrays[2 * l + 1] = bc;
    m->layers[n] = (nf_design_layer){.kind = NF_LAYER_DENSE, .n_in = a, .n_out = o, .weights = wc, .bias = bc,
                                  .input_t = l ? relu : in, .weight_t = w, .bias_t = b, .accum_t = acc,
                                  .result_t = res, .reuse_factor = ty->reuse};
    snprintf(m->layers[n++].name, 64, "fc%d", l + 1);
    if (l < 3) {
      m->layers[n] = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_RELU, .n_in = o, .n_out = o, .input_t = res, .result_t = relu};
      snprintf(m->layers[n++].name, 64, "relu%d", l + 1);
    }
  }
  m->net = (nf_design){.project = "myproject", .n_layers = n, .n_hw = n, .layers = m->layers, .clock_period_ns = 5};
}

static void unload(model *m) {
  for (int i = 0; i < 8; i++) free(m->arrays[i]);
}

/* inputs16.csv rows -> codes of the input type (parsed as double, SPEC §3) */
static int64_t *read_inputs(const nf_fixed_type *t, long rows) {
  char path[1024];
  snprintf(path, sizeof path, "%s/refs/inputs16.csv", shared());
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  int64_t *v = malloc((size_t)rows * 16 * 8);
  assert_non_null(v);
  for (long i = 0; i < rows * 16; i++) {
    double d;
    assert_int_equal(fscanf(fp, " %lf ,", &d), 1);
    nf_code c;
    nf_error err = {0};
    assert_int_equal(nf_fixed_from_double(t, d, &c, &err), 0);
    v[i] = (int64_t)c;
  }
  fclose(fp);
  return v;
}

/* refs logits (exact decimals) -> codes of the result type */
static int64_t *read_logits(const char *name, const nf_fixed_type *t, long rows) {
  char path[1024], line[1024];
  snprintf(path, sizeof path, "%s/refs/%s", shared(), name);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  int64_t *v = malloc((size_t)rows * 5 * 8);
  assert_non_null(v);
  for (long r = 0; r < rows; r++) {
    assert_non_null(fgets(line, sizeof line, fp));
    char *save = NULL, *tok = strtok_r(line, ",\n", &save);
    for (int k = 0; k < 5; k++, tok = strtok_r(NULL, ",\n", &save)) {
      assert_non_null(tok);
      nf_code c;
      nf_error err = {0};
      assert_int_equal(nf_fixed_from_decimal(t, tok, &c, &err), 0);
      v[r * 5 + k] = (int64_t)c;
    }
  }
  fclose(fp);
  return v;
}

/* Generates, co-simulates `rows` rows, returns mismatches against `want`
 * (NULL: the SPEC §3 model). */
static long cosim(const model *m, nf_simulator sim, long rows, const int64_t *want, nf_rtl_info *info_out) {
  char dir[] = "/tmp/nnfirm-models-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char work[128];
  snprintf(work, sizeof work, "%s/work", dir);
  nf_error err = {0};
  nf_rtl_info info;
  int rc = nf_rtl_write_project(&m->net, dir, &info, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(nf_mkdir_p(work, &err), 0);
  int64_t *in = read_inputs(&m->layers[0].input_t, rows), *ref = malloc((size_t)rows * 5 * 8);
  assert_non_null(ref);
  for (long r = 0; r < rows; r++) assert_int_equal(nf_rtl_reference(&m->net, in + r * 16, ref + r * 5, &err), 0);
  if (want) /* the SPEC §3 model itself must agree with the independent one */
    for (long i = 0; i < rows * 5; i++) assert_int_equal(ref[i], want[i]);
  char rtl[128], tb[128];
  snprintf(rtl, sizeof rtl, "%s/rtl", dir), snprintf(tb, sizeof tb, "%s/tb", dir);
  nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = "myproject", .work_dir = work, .simulator = sim,
                     .info = &info, .n_rows = rows, .in_codes = in, .expected = ref, .quiet = true};
  nf_cosim_result r;
  rc = nf_cosim_run(&o, &r, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  fprintf(stderr, "  %s: %ld rows, %ld mismatches, latency %d (planned %d), II %.2f, %ld adders, build %.1f s, %.0f rows/s\n",
          nf_simulator_name(sim), r.rows, r.mismatches, r.latency, info.latency, r.ii, info.adders, r.build_seconds,
          r.rows_per_second);
  assert_int_equal(r.rows, rows);
  assert_int_equal(r.latency, info.latency);
  assert_true(fabs(r.ii - info.ii) < 1e-9);
  if (info_out) *info_out = info;
  free(in), free(ref);
  nf_rm_rf(dir);
  return r.mismatches;
}

static const char *const PLAIN[4] = {"fc1_relu", "fc2_relu", "fc3_relu", "output_softmax"};
static const char *const NO_BN[4] = {NULL, NULL, NULL, NULL};
static const types T16 = {"ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>",
                          "ap_fixed<16,6>", {.kind = NF_QUANT_NONE}, 1};

static bool sanitized(void) { return getenv("NNFIRM_SANITIZED") != NULL; }

static void test_keras_3layer_default_vs_refs(void **state) {
  (void)state;
  model m;
  load(&m, "KERAS_3layer_weights.h5", PLAIN, NO_BN, &T16);
  nf_fixed_type t = parse("ap_fixed<16,6>");
  int64_t *want = read_logits("KERAS_3layer.fixed16_6.logits.csv", &t, 50);
  assert_int_equal(cosim(&m, NF_SIM_VERILATOR, 50, want, NULL), 0);
  free(want);
  unload(&m);
}

static void test_batch_norm_vs_refs(void **state) {
  (void)state;
  model m;
  static const char *const BN[4] = {"bn1", "bn2", "bn3", "bn4"};
  load(&m, "KERAS_3layer_batch_norm_weights.h5", PLAIN, BN, &T16);
  nf_fixed_type t = parse("ap_fixed<16,6>");
  long rows = sanitized() ? 10 : 30; /* Icarus runs ~30 rows/s on this design */
  int64_t *want = read_logits("KERAS_3layer_batch_norm.fixed16_6.logits.csv", &t, rows);
  assert_int_equal(cosim(&m, NF_SIM_IVERILOG, rows, want, NULL), 0);
  free(want);
  unload(&m);
}

static void test_six_bit_config(void **state) {
  (void)state;
  model m;
  types t6 = {"ap_fixed<6,3>", "ap_fixed<6,1>", "ap_fixed<6,1>", "ap_fixed<6,3>", "ap_fixed<6,3>",
              "ap_ufixed<6,3,AP_RND,AP_SAT>", {.kind = NF_QUANT_NONE}, 1};
  load(&m, "KERAS_3layer_weights.h5", PLAIN, NO_BN, &t6);
  assert_int_equal(cosim(&m, NF_SIM_IVERILOG, sanitized() ? 50 : 200, NULL, NULL), 0);
  unload(&m);
}

static void test_pruned_70(void **state) {
  (void)state;
  model full, pruned;
  load(&full, "KERAS_3layer_weights.h5", PLAIN, NO_BN, &T16);
  load(&pruned, "KERAS_3layer_70pruned_retrained_weights.h5", PLAIN, NO_BN, &T16);
  long zeros = 0;
  for (long i = 0; i < 16 * 64; i++) zeros += pruned.arrays[0][i] == 0;
  assert_true(zeros > 16 * 64 / 2); /* the pruned weights really are mostly zero */
  nf_rtl_info a, b;
  nf_error err = {0};
  assert_int_equal(nf_rtl_plan(&full.net, &a, &err), 0);
  assert_int_equal(cosim(&pruned, NF_SIM_IVERILOG, sanitized() ? 10 : 40, NULL, &b), 0);
  assert_true(b.adders < a.adders / 2); /* zero weights cost nothing */
  unload(&full), unload(&pruned);
}

static void test_qkeras_3layer(void **state) {
  (void)state;
  model m;
  static const char *const Q[4] = {"fc1", "fc2", "fc3", "output"};
  /* qkeras_3layer_config.yml: inputs and accumulators ap_fixed<16,6>,
   * weights/biases ap_fixed<6,1> (quantized_bits(6,0)), ReLU outputs
   * ap_fixed<7,1,AP_RND_CONV,AP_SAT> */
  types tq = {"ap_fixed<16,6>", "ap_fixed<6,1>", "ap_fixed<6,1>", "ap_fixed<16,6>", "ap_fixed<16,6>",
              "ap_fixed<7,1,AP_RND_CONV,AP_SAT>",
              {.kind = NF_QUANT_BITS, .bits = 6, .integer = 0, .keep_negative = true, .alpha = 1}, 1};
  load(&m, "qkeras_3layer_weights.h5", Q, NO_BN, &tq);
  assert_int_equal(cosim(&m, NF_SIM_VERILATOR, 200, NULL, NULL), 0);
  assert_int_equal(cosim(&m, NF_SIM_IVERILOG, sanitized() ? 20 : 100, NULL, NULL), 0);
  unload(&m);
}

static void test_reuse_4(void **state) {
  (void)state;
  model m;
  types t = T16;
  t.reuse = 4;
  load(&m, "KERAS_3layer_weights.h5", PLAIN, NO_BN, &t);
  nf_fixed_type r = parse("ap_fixed<16,6>");
  long rows = sanitized() ? 10 : 25;
  int64_t *want = read_logits("KERAS_3layer.fixed16_6.logits.csv", &r, rows);
  nf_rtl_info info;
  assert_int_equal(cosim(&m, NF_SIM_IVERILOG, rows, want, &info), 0);
  assert_int_equal(info.ii, 4);
  free(want);
  unload(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keras_3layer_default_vs_refs), cmocka_unit_test(test_batch_norm_vs_refs),
      cmocka_unit_test(test_six_bit_config),               cmocka_unit_test(test_pruned_70),
      cmocka_unit_test(test_qkeras_3layer),                cmocka_unit_test(test_reuse_4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
