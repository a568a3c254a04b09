/* The synthetic jet generator (SPEC §4, docs/data.md): same seed same bytes,
 * rows independent of the row count, equal class shares, the real feature
 * names, and the physics the calibration rests on: W and Z groomed-mass peaks
 * at their masses with a resolution that keeps them apart, light tails of
 * W/Z jets that lost a prong, QCD jets under the W/Z and top peaks, gluon jets
 * with more particles than quark jets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nnfirm/data.h"

enum { G, Q, W, Z, T };
enum { MASS = 14, MULT = 15 };

static const char *const spec_names[16] = {
    "j_zlogz",         "j_c1_b0_mmdt",    "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",    "j_d2_b2_mmdt",    "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",    "j_n2_b2_mmdt",    "j_mass_mmdt",  "j_multiplicity"};

static nf_dataset big; /* 100k jets, seed 11, shared by the physics tests */

static int setup(void **state) {
  (void)state;
  return nf_data_synth(100000, 11, &big, NULL);
}
static int teardown(void **state) {
  (void)state;
  nf_dataset_free(&big);
  return 0;
}

static void test_names_and_shares(void **state) {
  (void)state;
  assert_int_equal(big.n_features, 16);
  assert_int_equal(big.n_classes, 5);
  for (int k = 0; k < 16; k++) assert_string_equal(big.feature_names[k], spec_names[k]);
  const char *cls[5] = {"g", "q", "w", "z", "t"};
  for (int c = 0; c < 5; c++) assert_string_equal(big.class_names[c], cls[c]);
  nf_dataset odd;
  assert_int_equal(nf_data_synth(10003, 5, &odd, NULL), 0);
  long count[5] = {0};
  for (long i = 0; i < odd.n_rows; i++) {
    assert_true(odd.y[i] >= 0 && odd.y[i] < 5);
    count[odd.y[i]]++;
    for (int k = 0; k < 16; k++) assert_true(isfinite(odd.x[i * 16 + k]));
    assert_true(odd.x[i * 16 + MULT] >= 1 && odd.x[i * 16 + MULT] == floorf(odd.x[i * 16 + MULT]));
    assert_true(odd.x[i * 16 + MASS] >= 0);
  }
  for (int c = 0; c < 5; c++) assert_true(count[c] == 2000 || count[c] == 2001);
  nf_dataset_free(&odd);
}

static void test_same_seed_same_bytes(void **state) {
  (void)state;
  nf_dataset a, b, c, head;
  assert_int_equal(nf_data_synth(9000, 42, &a, NULL), 0);
  assert_int_equal(nf_data_synth(9000, 42, &b, NULL), 0);
  assert_int_equal(nf_data_synth(9000, 43, &c, NULL), 0);
  assert_int_equal(nf_data_synth(5000, 42, &head, NULL), 0);
  size_t bytes = (size_t)9000 * 16 * sizeof(float);
  assert_memory_equal(a.x, b.x, bytes);
  assert_memory_equal(a.y, b.y, 9000 * sizeof(int));
  assert_memory_not_equal(a.x, c.x, bytes);
  /* A jet depends on the seed and its row only, not on how many are made. */
  assert_memory_equal(a.x, head.x, (size_t)5000 * 16 * sizeof(float));
  nf_dataset_free(&a);
  nf_dataset_free(&b);
  nf_dataset_free(&c);
  nf_dataset_free(&head);
  nf_error err = {0};
  nf_dataset bad;
  assert_int_equal(nf_data_synth(0, 1, &bad, &err), NF_EINPUT);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Masses of class c in [lo, hi), sorted; returns how many. */
static long masses(int c, double lo, double hi, double *out) {
  long n = 0;
  for (long i = 0; i < big.n_rows; i++) {
    double m = big.x[i * 16 + MASS];
    if (big.y[i] == c && m >= lo && m < hi) out[n++] = m;
  }
  qsort(out, (size_t)n, sizeof *out, cmp_double);
  return n;
}

static long class_count(int c) {
  long n = 0;
  for (long i = 0; i < big.n_rows; i++) n += big.y[i] == c;
  return n;
}

static double frac_in(int c, double lo, double hi) {
  long n = 0;
  for (long i = 0; i < big.n_rows; i++) {
    double m = big.x[i * 16 + MASS];
    n += big.y[i] == c && m >= lo && m < hi;
  }
  return (double)n / class_count(c);
}

static void test_w_z_peaks(void **state) {
  (void)state;
  double *m = malloc(sizeof(double) * (size_t)big.n_rows);
  assert_non_null(m);
  const double peak[2] = {80.4, 91.2};
  for (int v = 0; v < 2; v++) {
    /* The peak: median and half the interquartile range of the jets within
     * +-25% of the mass; the resolution must be a few percent (it is what
     * keeps W and Z apart), not the ~10% that would mix them. */
    long n = masses(W + v, 0.75 * peak[v], 1.25 * peak[v], m);
    double med = m[n / 2], sigma = (m[3 * n / 4] - m[n / 4]) / 1.349;
    print_message("%s peak %.1f GeV, resolution %.1f%% (%ld jets)\n", v ? "Z" : "W", med, 100 * sigma / med, n);
    assert_true(fabs(med - peak[v]) < 0.02 * peak[v] + (v ? 1.5 : 0)); /* Z's low shoulder pulls it down a little */
    assert_true(sigma / med > 0.015 && sigma / med < 0.06);
    /* Most W/Z jets are in the peak; a light tail (a lost prong) holds 15-35%. */
    double tail = frac_in(W + v, 0, 0.65 * peak[v]);
    print_message("  light tail %.3f\n", tail);
    assert_true(tail > 0.15 && tail < 0.35);
  }
  /* W and Z apart: few W jets above the midpoint, few Z jets below it. */
  double mid = 0.5 * (80.4 + 91.2);
  double w_hi = frac_in(W, mid, 120) / frac_in(W, 60, 120), z_lo = frac_in(Z, 60, mid) / frac_in(Z, 60, 120);
  print_message("W above %.1f GeV: %.3f, Z below: %.3f\n", mid, w_hi, z_lo);
  assert_true(w_hi < 0.10 && z_lo < 0.15);
  free(m);
}

static void test_qcd_tails_and_top(void **state) {
  (void)state;
  /* Light-quark and gluon jets reach under the W/Z peaks and the top peak. */
  for (int c = G; c <= Q; c++) {
    double vz = frac_in(c, 70, 100), top = frac_in(c, 140, 210);
    print_message("%s: %.3f in 70-100 GeV, %.3f in 140-210 GeV\n", c == G ? "g" : "q", vz, top);
    assert_true(vz > 0.04 && vz < 0.25);
    assert_true(top > 0.03 && top < 0.20);
  }
  /* Tops peak at 173 GeV; some are groomed down to their W (a peak near 80). */
  double t_peak = frac_in(T, 150, 200), t_w = frac_in(T, 70, 92);
  print_message("t: %.3f in 150-200 GeV, %.3f in 70-92 GeV\n", t_peak, t_w);
  assert_true(t_peak > 0.55 && t_w > 0.05 && t_w < 0.25);
}

static void test_gluons_radiate_more(void **state) {
  (void)state;
  double sum[5] = {0};
  long n[5] = {0};
  for (long i = 0; i < big.n_rows; i++) {
    sum[big.y[i]] += big.x[i * 16 + MULT];
    n[big.y[i]]++;
  }
  double g = sum[G] / n[G], q = sum[Q] / n[Q];
  print_message("mean multiplicity g %.1f q %.1f\n", g, q);
  assert_true(g > 1.25 * q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_and_shares),   cmocka_unit_test(test_same_seed_same_bytes),
      cmocka_unit_test(test_w_z_peaks),          cmocka_unit_test(test_qcd_tails_and_top),
      cmocka_unit_test(test_gluons_radiate_more),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
