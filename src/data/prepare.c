/* Preparation shared by training and evaluation: a stratified split by row
 * index (no copies of the data) and the standard scaler. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/data.h"
#include "nnfirm/rng.h"

int nf_data_split(const nf_dataset *ds, double val_frac, double test_frac, uint64_t seed, nf_split *s,
                  nf_error *err) {
  memset(s, 0, sizeof *s);
  if (!(val_frac >= 0 && test_frac >= 0 && val_frac + test_frac < 1))
    return nf_fail(err, NF_EINPUT, "split fractions %g (validation) + %g (test) must be >= 0 and sum below 1", val_frac,
                   test_frac);
  long n = ds->n_rows;
  s->train = nf_malloc((size_t)n * sizeof(long), err);
  s->val = nf_malloc((size_t)n * sizeof(long), err);
  s->test = nf_malloc((size_t)n * sizeof(long), err);
  long *idx = nf_malloc((size_t)n * sizeof(long), err);
  if (!s->train || !s->val || !s->test || !idx) {
    free(idx);
    nf_split_free(s);
    return NF_EINTERNAL;
  }
  nf_rng r;
  nf_rng_seed(&r, seed);
  /* Per class: shuffle its rows, then deal them out in proportion. */
  for (int c = 0; c < ds->n_classes; c++) {
    long m = 0;
    for (long i = 0; i < n; i++)
      if (ds->y[i] == c) idx[m++] = i;
    nf_rng_shuffle_long(&r, idx, m);
    long n_test = (long)llround(m * test_frac), n_val = (long)llround(m * val_frac);
    for (long k = 0; k < m; k++) {
      if (k < n_test) s->test[s->n_test++] = idx[k];
      else if (k < n_test + n_val) s->val[s->n_val++] = idx[k];
      else s->train[s->n_train++] = idx[k];
    }
  }
  free(idx);
  /* Mix the classes within each part so minibatches see all of them. */
  nf_rng_shuffle_long(&r, s->train, s->n_train);
  nf_rng_shuffle_long(&r, s->val, s->n_val);
  nf_rng_shuffle_long(&r, s->test, s->n_test);
  return NF_OK;
}

int nf_data_holdout(const nf_dataset *ds, double val_frac, double test_frac, nf_split *out, nf_error *err) {
  return nf_data_split(ds, val_frac, test_frac, NF_SPLIT_SEED, out, err);
}

void nf_split_free(nf_split *s) {
  free(s->train);
  free(s->val);
  free(s->test);
  memset(s, 0, sizeof *s);
}

int nf_scaler_fit(const nf_dataset *ds, const long *rows, long n_rows, nf_scaler *s, nf_error *err) {
  int f = ds->n_features;
  memset(s, 0, sizeof *s);
  if (n_rows < 2) return nf_fail(err, NF_EINPUT, "need at least 2 rows to fit a scaler (got %ld)", n_rows);
  s->n = f;
  s->mean = nf_calloc((size_t)f, sizeof(float), err);
  s->scale = nf_calloc((size_t)f, sizeof(float), err);
  if (!s->mean || !s->scale) {
    nf_scaler_free(s);
    return NF_EINTERNAL;
  }
  for (int k = 0; k < f; k++) {
    /* Two passes in double: the mean, then the spread around it. */
    double sum = 0, ss = 0;
    for (long i = 0; i < n_rows; i++) sum += ds->x[(size_t)rows[i] * f + k];
    double mean = sum / n_rows;
    for (long i = 0; i < n_rows; i++) {
      double d = ds->x[(size_t)rows[i] * f + k] - mean;
      ss += d * d;
    }
    double sd = sqrt(ss / n_rows);
    s->mean[k] = (float)mean;
    s->scale[k] = sd > 0 ? (float)sd : 1.0f; /* a constant feature passes through centred */
  }
  return NF_OK;
}

void nf_scaler_apply(const nf_scaler *s, float *x, long n_rows) {
  for (long i = 0; i < n_rows; i++)
    for (int k = 0; k < s->n; k++) x[(size_t)i * s->n + k] = (x[(size_t)i * s->n + k] - s->mean[k]) / s->scale[k];
}

void nf_scaler_free(nf_scaler *s) {
  free(s->mean);
  free(s->scale);
  memset(s, 0, sizeof *s);
}

int nf_data_score_rows(const nf_dataset *ds, bool test, float **x, int **y, long *n, nf_error *err) {
  nf_split s = {0};
  if (test && nf_data_holdout(ds, NF_SPLIT_VAL_FRAC, NF_SPLIT_TEST_FRAC, &s, err)) return err->code;
  long m = test ? s.n_test : ds->n_rows;
  *x = nf_malloc((size_t)m * ds->n_features * sizeof **x, err);
  *y = nf_malloc((size_t)m * sizeof **y, err);
  if (!*x || !*y) {
    nf_split_free(&s);
    return NF_EINTERNAL;
  }
  for (long i = 0; i < m; i++) {
    long r = test ? s.test[i] : i;
    memcpy(*x + (size_t)i * ds->n_features, ds->x + (size_t)r * ds->n_features, ds->n_features * sizeof(float));
    (*y)[i] = ds->y[r];
  }
  *n = m;
  nf_split_free(&s);
  return NF_OK;
}
