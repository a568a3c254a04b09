/* Projects and 'nnfirm cosim' end to end: a generated project co-simulates
 * with 0 mismatches on both simulators from a CSV of real numbers; a
 * hand-edited, incomplete or foreign project, bad rows and a missing
 * simulator are refused with exit 2 and leave no cosim/ directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnfirm/project.h"
#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

static char dir[64];
static char project[128];

static nf_fixed_type parse(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  assert_int_equal(nf_fixed_type_parse(s, &t, &err), 0);
  return t;
}

/* A 6-4-3 network with ReLU, 6-bit weights (the QKeras style). */
static void write_project(void) {
  static int64_t w1[24], b1[4], w2[12], b2[3];
  nf_rng r;
  nf_rng_seed(&r, 5);
  for (int i = 0; i < 24; i++) w1[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 12; i++) w2[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 4; i++) b1[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  for (int i = 0; i < 3; i++) b2[i] = (int64_t)nf_rng_below(&r, 64) - 32;
  nf_fixed_type in = parse("ap_fixed<12,4>"), w = parse("ap_fixed<6,0>"), acc = parse("ap_fixed<24,10>"),
                res = parse("ap_fixed<12,5>"), relu = parse("ap_ufixed<6,2,AP_RND,AP_SAT>");
  nf_design_layer L[3] = {
      {.kind = NF_LAYER_DENSE, .name = "fc1", .n_in = 6, .n_out = 4, .weights = w1, .bias = b1, .input_t = in,
       .weight_t = w, .bias_t = w, .accum_t = acc, .result_t = res, .reuse_factor = 1},
      {.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_RELU, .name = "relu1", .n_in = 4, .n_out = 4, .input_t = res, .result_t = relu},
      {.kind = NF_LAYER_DENSE, .name = "fc2", .n_in = 4, .n_out = 3, .weights = w2, .bias = b2, .input_t = relu,
       .weight_t = w, .bias_t = w, .accum_t = acc, .result_t = res, .reuse_factor = 2},
  };
  /* a design built by hand: the project holds it without a config.json */
  nf_design net = {.project = "jets", .n_inputs = 6, .n_outputs = 3, .input_t = in, .n_layers = 3, .n_hw = 3,
                   .layers = L, .strategy = "Latency", .io_type = "io_parallel", .part = "xcvu9p", .clock_period_ns = 5};
  nf_rtl_info info;
  nf_error err = {0};
  nf_project_spec spec = {.design = &net, .rtl = true};
  int rc = nf_project_write(&spec, project, &info, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(info.ii, 2);
  assert_int_equal(info.wi, 12);
  assert_int_equal(info.wo, 12);
}

static void write_csv(const char *name, long rows, bool bad) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp, "a,b,c,d,e,f,label\n");
  nf_rng r;
  nf_rng_seed(&r, 9);
  for (long i = 0; i < rows; i++) {
    for (int k = 0; k < 6; k++) fprintf(fp, "%.6f,", (nf_rng_uniform(&r) - 0.5) * 20); /* beyond the range: wraps */
    fprintf(fp, "%d\n", (int)(i % 3));
  }
  if (bad) fprintf(fp, "1,2,x,4,5,6,0\n");
  fclose(fp);
}

/* Runs the CLI; returns its exit status, output in dir/out and dir/err. */
static int run(const char *args, const char *env) {
  const char *bin = getenv("NNFIRM");
  assert_non_null(bin);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s '%s' %s >%s/out 2>%s/err", env ? env : "", bin, args, dir, dir);
  int st = system(cmd);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (code) { /* shown to explain a failing assertion */
    char path[256], *text;
    snprintf(path, sizeof path, "%s/err", dir);
    nf_error err = {0};
    if (!nf_read_file(path, &text, NULL, &err)) fprintf(stderr, "[exit %d] %s", code, text), free(text);
  }
  return code;
}

static bool file_contains(const char *name, const char *text) {
  char path[256], *s;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  nf_error err = {0};
  if (nf_read_file(path, &s, NULL, &err)) return false;
  bool found = strstr(s, text) != NULL;
  if (!found) fprintf(stderr, "%s: %s\n", name, s);
  free(s);
  return found;
}

static void test_cosim_both_simulators(void **state) {
  (void)state;
  char args[512];
  long rows = getenv("NNFIRM_SANITIZED") ? 50 : 300;
  write_csv("x.csv", rows, false);
  const char *sims[] = {"iverilog", "verilator"};
  for (int s = 0; s < 2; s++) {
    snprintf(args, sizeof args, "cosim %s --input %s/x.csv --simulator %s --json --quiet", project, dir, sims[s]);
    assert_int_equal(run(args, NULL), 0);
    assert_true(file_contains("out", "\"mismatches\":\t0"));
    char want[64];
    snprintf(want, sizeof want, "\"rows\":\t%ld", rows);
    assert_true(file_contains("out", want));
    assert_true(file_contains("out", "\"ii\":\t2"));
  }
  char path[256];
  snprintf(path, sizeof path, "%s/cosim/report.json", project);
  assert_int_equal(access(path, R_OK), 0);
}

static void test_bad_inputs(void **state) {
  (void)state;
  char args[512], path[256], save[256];
  write_csv("bad.csv", 3, true);
  snprintf(path, sizeof path, "%s/cosim", project);
  nf_rm_rf(path);

  snprintf(args, sizeof args, "cosim %s --input %s/bad.csv --simulator iverilog --quiet", project, dir);
  assert_int_equal(run(args, NULL), 2);
  assert_true(file_contains("err", "bad.csv:5: column 3"));

  snprintf(args, sizeof args, "cosim %s --input %s/x.csv --quiet", project, dir);
  assert_int_equal(run(args, "PATH=/nonexistent"), 2);
  assert_true(file_contains("err", "verilator not found"));

  /* a hand edit of the RTL */
  snprintf(path, sizeof path, "%s/rtl/jets_fc1.v", project);
  snprintf(save, sizeof save, "%s/saved.v", dir);
  char *text;
  size_t n;
  nf_error err = {0};
  assert_int_equal(nf_read_file(path, &text, &n, &err), 0);
  assert_int_equal(nf_write_file_atomic(save, text, n, &err), 0);
  FILE *fp = fopen(path, "a");
  assert_non_null(fp);
  fputs("// tweak\n", fp);
  fclose(fp);
  snprintf(args, sizeof args, "cosim %s --input %s/x.csv --simulator iverilog --quiet", project, dir);
  assert_int_equal(run(args, NULL), 2);
  assert_true(file_contains("err", "jets_fc1.v: modified"));
  /* removed */
  unlink(path);
  assert_int_equal(run(args, NULL), 2);
  assert_true(file_contains("err", "jets_fc1.v: missing"));
  assert_int_equal(nf_write_file_atomic(path, text, n, &err), 0);
  free(text);
  /* an extra module */
  snprintf(path, sizeof path, "%s/rtl/extra.v", project);
  assert_int_equal(nf_write_file_atomic(path, "module extra; endmodule\n", 24, &err), 0);
  assert_int_equal(run(args, NULL), 2);
  assert_true(file_contains("err", "extra.v: not part of the generated design"));
  unlink(path);
  /* not a project */
  snprintf(args, sizeof args, "cosim %s --input %s/x.csv --quiet", dir, dir);
  assert_int_equal(run(args, NULL), 2);
  assert_true(file_contains("err", "not a project written by 'nnfirm convert'"));
  /* usage */
  snprintf(args, sizeof args, "cosim %s", project);
  assert_int_equal(run(args, NULL), 2);
  snprintf(path, sizeof path, "%s/cosim", project);
  assert_int_not_equal(access(path, F_OK), 0); /* nothing half-written */
  /* the restored project works again */
  snprintf(args, sizeof args, "cosim %s --input %s/x.csv --simulator iverilog --rows 20 --quiet", project, dir);
  assert_int_equal(run(args, NULL), 0);
  assert_true(file_contains("out", "20 rows"));
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/nnfirm-proj-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(project, sizeof project, "%s/proj", dir);
  write_project();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  nf_rm_rf(dir);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cosim_both_simulators),
      cmocka_unit_test(test_bad_inputs),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
