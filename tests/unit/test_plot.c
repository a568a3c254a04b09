/* PLplot cairo plots: every plot kind writes a valid, non-trivial PNG (or SVG),
 * and bad arguments fail without leaving a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <cmocka.h>

#include "nnfirm/report.h"

static char dir[] = "/tmp/nnfirm-plot-XXXXXX";

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

/* A valid PNG starts with the 8-byte signature and an IHDR chunk whose width and
 * height we check; "non-trivial" = bigger than a blank canvas would compress to. */
static void assert_png(const char *path, int w, int h) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char b[24];
  assert_int_equal(fread(b, 1, 24, f), 24);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  assert_memory_equal(b, sig, 8);
  assert_memory_equal(b + 12, "IHDR", 4);
  int pw = (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
  int ph = (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
  assert_int_equal(pw, w);
  assert_int_equal(ph, h);
  assert_true(size > 5000);
  unlink(path);
}

static void test_lines(void **state) {
  (void)state;
  double x[50], y1[50], y2[50];
  for (int i = 0; i < 50; i++) x[i] = i / 49.0, y1[i] = sqrt(x[i]), y2[i] = x[i];
  nf_series s[2] = {{"roc", x, y1, 50, NF_LINE_SOLID, -1}, {"chance", x, y2, 50, NF_LINE_DASHED, -1}};
  nf_plot_opts o = {.title = "ROC", .xlabel = "fpr", .ylabel = "tpr"};
  char p[256];
  path_in(p, sizeof p, "lines.png");
  nf_error err = {0};
  assert_int_equal(nf_plot_lines(p, &o, s, 2, &err), 0);
  assert_png(p, 800, 600);
  path_in(p, sizeof p, "lines.svg");
  assert_int_equal(nf_plot_lines(p, &o, s, 2, &err), 0);
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  char head[512] = {0};
  assert_true(fread(head, 1, sizeof head - 1, f) > 0);
  fclose(f);
  assert_non_null(strstr(head, "<svg"));
  unlink(p);
}

static void test_histograms(void **state) {
  (void)state;
  double edges[21], a[20], b[20];
  for (int i = 0; i <= 20; i++) edges[i] = i * 10.0;
  for (int i = 0; i < 20; i++) a[i] = exp(-i / 5.0), b[i] = exp(-(i - 8) * (i - 8) / 4.0);
  const double *counts[2] = {a, b};
  const char *labels[2] = {"g", "w"};
  nf_plot_opts o = {.title = "mass", .xlabel = "GeV", .ylabel = "fraction", .width = 640, .height = 480};
  char p[256];
  path_in(p, sizeof p, "hist.png");
  nf_error err = {0};
  assert_int_equal(nf_plot_histograms(p, &o, edges, 20, counts, labels, 2, &err), 0);
  assert_png(p, 640, 480);
}

static void test_heatmap(void **state) {
  (void)state;
  double z[9] = {0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.0, 0.1, 0.9};
  const char *lab[3] = {"g", "q", "w"};
  nf_plot_opts o = {.title = "confusion"};
  char p[256];
  path_in(p, sizeof p, "heat.png");
  nf_error err = {0};
  assert_int_equal(nf_plot_heatmap(p, &o, z, 3, 3, lab, lab, &err), 0);
  assert_png(p, 800, 600);
}

static void test_boxes(void **state) {
  (void)state;
  nf_box_row rows[2] = {{"fc1 w", {1e-4, 1e-3, 1e-2, 0.1, 1.0}, 1.0 / 1024, 32},
                        {"fc2 w", {1e-3, 1e-2, 0.05, 0.2, 2.0}, NAN, NAN}};
  nf_plot_opts o = {.title = "profile", .logx = true};
  char p[256];
  path_in(p, sizeof p, "box.png");
  nf_error err = {0};
  assert_int_equal(nf_plot_boxes(p, &o, rows, 2, &err), 0);
  assert_png(p, 800, 600);
}

static void test_bad_extension_leaves_nothing(void **state) {
  (void)state;
  double x[2] = {0, 1};
  nf_series s = {NULL, x, x, 2, NF_LINE_SOLID, -1};
  nf_plot_opts o = {0};
  char p[256];
  path_in(p, sizeof p, "plot.bmp");
  nf_error err = {0};
  assert_int_not_equal(nf_plot_lines(p, &o, &s, 1, &err), 0);
  assert_int_not_equal(access(p, F_OK), 0);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),   cmocka_unit_test(test_histograms),
      cmocka_unit_test(test_heatmap), cmocka_unit_test(test_boxes),
      cmocka_unit_test(test_bad_extension_leaves_nothing),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  rmdir(dir);
  return rc;
}
