/* Metrics: accuracy and confusion by hand, ROC AUC against the pairwise
 * (Mann-Whitney) definition, rejection at fixed efficiency. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nnfirm/metrics.h"
#include "nnfirm/rng.h"

static void test_small_by_hand(void **state) {
  /* 4 rows, 2 classes; predictions: 0, 1, 1, 0 */
  double p[] = {0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.7, 0.3};
  int y[] = {0, 0, 1, 1};
  nf_metrics m;
  nf_error err = {0};
  assert_int_equal(nf_metrics_compute(p, y, 4, 2, &m, &err), 0);
  assert_true(fabs(m.accuracy - 0.5) < 1e-12);
  long want[] = {1, 1, 1, 1};
  for (int k = 0; k < 4; k++) assert_int_equal(m.confusion[k], want[k]);
  /* class 1 scores: signal {0.8, 0.3}, background {0.1, 0.6}: pairs won 3 of 4 */
  assert_true(fabs(m.roc[1].auc - 0.75) < 1e-12);
  assert_true(fabs(m.roc[0].auc - 0.75) < 1e-12);
  /* at 50% signal efficiency (threshold 0.8) no background passes */
  assert_true(nf_roc_mistag_at(&m.roc[1], 0.5) == 0);
  assert_true(isinf(m.roc[1].rejection[0]));
  nf_metrics_free(&m);
}

static void test_auc_matches_pairwise(void **state) {
  enum { N = 600, C = 3 };
  double *p = malloc(sizeof(double) * N * C);
  int *y = malloc(sizeof(int) * N);
  assert_non_null(p);
  assert_non_null(y);
  nf_rng r;
  nf_rng_seed(&r, 4);
  for (int i = 0; i < N; i++) {
    y[i] = (int)nf_rng_below(&r, C);
    for (int c = 0; c < C; c++) /* coarse scores so that ties occur */
      p[i * C + c] = floor(10 * (nf_rng_uniform(&r) + (c == y[i] ? 0.4 : 0))) / 10;
  }
  nf_metrics m;
  nf_error err = {0};
  assert_int_equal(nf_metrics_compute(p, y, N, C, &m, &err), 0);
  for (int c = 0; c < C; c++) {
    double won = 0, pairs = 0;
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++)
        if (y[i] == c && y[j] != c) {
          pairs++;
          double a = p[i * C + c], b = p[j * C + c];
          won += a > b ? 1 : a == b ? 0.5 : 0;
        }
    assert_true(fabs(m.roc[c].auc - won / pairs) < 1e-12);
    assert_true(m.roc[c].auc > 0.6);
    /* the curve ends at (1,1) and rises monotonically */
    assert_true(m.roc[c].eff[m.roc[c].n - 1] == 1 && m.roc[c].mistag[m.roc[c].n - 1] == 1);
    for (int k = 1; k < m.roc[c].n; k++) assert_true(m.roc[c].eff[k] >= m.roc[c].eff[k - 1]);
    assert_true(m.roc[c].rejection[1] >= 1 && m.roc[c].rejection[0] >= m.roc[c].rejection[1]);
  }
  long total = 0, diag = 0;
  for (int a = 0; a < C; a++)
    for (int b = 0; b < C; b++) {
      total += m.confusion[a * C + b];
      if (a == b) diag += m.confusion[a * C + b];
    }
  assert_int_equal(total, N);
  assert_true(fabs(m.accuracy - (double)diag / N) < 1e-12);
  nf_metrics_free(&m);
  free(p);
  free(y);
}

static void test_bad_label(void **state) {
  double p[] = {0.5, 0.5};
  int y[] = {3};
  nf_metrics m;
  nf_error err = {0};
  assert_int_equal(nf_metrics_compute(p, y, 1, 2, &m, &err), NF_EINPUT);
}

/* Wilson score intervals worked by hand (z = 1.96): k = 0 and k = n have
 * closed forms, z^2/(n+z^2) and n/(n+z^2); 50 of 100 gives 0.5 -/+ 0.09617;
 * 1 of 10 gives [0.01788, 0.40416]. */
static void test_wilson_by_hand(void **state) {
  (void)state;
  double lo, hi;
  nf_wilson_interval(0, 10, 1.96, &lo, &hi);
  assert_true(lo == 0 && fabs(hi - 3.8416 / 13.8416) < 1e-9);
  nf_wilson_interval(10, 10, 1.96, &lo, &hi);
  assert_true(fabs(lo - 10 / 13.8416) < 1e-9 && hi == 1);
  nf_wilson_interval(50, 100, 1.96, &lo, &hi);
  assert_true(fabs(lo - 0.40383) < 1e-5 && fabs(hi - 0.59617) < 1e-5);
  nf_wilson_interval(1, 10, 1.96, &lo, &hi);
  assert_true(fabs(lo - 0.01788) < 1e-5 && fabs(hi - 0.40416) < 1e-5);
  /* 74% of 40,000 rows: about +/- 0.43 points, as the issue says */
  nf_wilson_interval(29600, 40000, NF_Z95, &lo, &hi);
  assert_true(fabs((hi - lo) / 2 - 0.0043) < 0.0001);
  nf_wilson_interval(0, 0, NF_Z95, &lo, &hi);
  assert_true(isnan(lo) && isnan(hi));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_by_hand),
      cmocka_unit_test(test_wilson_by_hand),
      cmocka_unit_test(test_auc_matches_pairwise),
      cmocka_unit_test(test_bad_label),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
