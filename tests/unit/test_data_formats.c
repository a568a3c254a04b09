/* The hls4ml release HDF5 layout: a `jets` table whose columns are named by
 * `jetFeatureNames` (extra columns, one-hot j_g..j_t among them, in any
 * order), built here with libhdf5; plus the split and scaler contracts. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nnfirm/data.h"

/* Columns: an unrelated one first, the one-hot labels, then the features in reverse order. */
static void write_hls4ml_file(const char *path, int rows) {
  enum { COLS = 1 + 5 + 16 };
  static char names[COLS][24];
  snprintf(names[0], 24, "j_pt");
  const char *onehot[5] = {"j_t", "j_z", "j_w", "j_q", "j_g"}; /* not the canonical order */
  for (int c = 0; c < 5; c++) snprintf(names[1 + c], 24, "%s", onehot[c]);
  for (int k = 0; k < 16; k++) snprintf(names[6 + k], 24, "%s", NF_JET_FEATURE_NAMES[15 - k]);
  float data[64][COLS];
  for (int r = 0; r < rows; r++) {
    data[r][0] = 1000.0f + r;
    for (int c = 0; c < 5; c++) data[r][1 + c] = (c == r % 5) ? 1.0f : 0.0f; /* class onehot[r % 5] */
    for (int k = 0; k < 16; k++) data[r][6 + k] = (float)(100 * r + (15 - k));  /* feature f = 100r + f */
  }
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d2[2] = {(hsize_t)rows, COLS}, d1[1] = {COLS};
  hid_t s2 = H5Screate_simple(2, d2, NULL), s1 = H5Screate_simple(1, d1, NULL);
  hid_t d = H5Dcreate2(f, "jets", H5T_IEEE_F32LE, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(d);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, 24);
  d = H5Dcreate2(f, "jetFeatureNames", t, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names);
  H5Dclose(d);
  H5Tclose(t);
  H5Sclose(s1);
  H5Sclose(s2);
  H5Fclose(f);
}

static void test_hls4ml_layout(void **state) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/nnfirm-hls4ml-%ld.h5", (long)getpid());
  write_hls4ml_file(path, 50);
  nf_dataset ds;
  nf_error err = {0};
  if (nf_data_load(path, &ds, &err)) fail_msg("%s", err.msg);
  assert_int_equal(ds.n_rows, 50);
  const char *onehot[5] = {"t", "z", "w", "q", "g"};
  for (int r = 0; r < 50; r++) {
    for (int k = 0; k < 16; k++) assert_true(ds.x[r * 16 + k] == (float)(100 * r + k)); /* picked by name */
    assert_string_equal(NF_JET_CLASS_NAMES[ds.y[r]], onehot[r % 5]);                     /* mapped by name */
  }
  nf_dataset_free(&ds);
  unlink(path);
}

static void test_split_and_scaler(void **state) {
  nf_dataset ds;
  assert_int_equal(nf_data_synth(10000, 3, &ds, NULL), 0);
  nf_split s;
  assert_int_equal(nf_data_split(&ds, 0.2, 0.2, 7, &s, NULL), 0);
  assert_int_equal(s.n_train + s.n_val + s.n_test, 10000);
  long per_class[5] = {0};
  for (long i = 0; i < s.n_test; i++) per_class[ds.y[s.test[i]]]++;
  for (int c = 0; c < 5; c++) assert_int_equal(per_class[c], 400); /* stratified: 20% of 2000 each */
  nf_scaler sc;
  assert_int_equal(nf_scaler_fit(&ds, s.train, s.n_train, &sc, NULL), 0);
  /* Fitted on the training rows only: their standardized mean is 0, sd 1. */
  for (int k = 0; k < 16; k++) {
    double m = 0, v = 0;
    for (long i = 0; i < s.n_train; i++) m += (ds.x[s.train[i] * 16 + k] - sc.mean[k]) / sc.scale[k];
    m /= s.n_train;
    for (long i = 0; i < s.n_train; i++) {
      double z = (ds.x[s.train[i] * 16 + k] - sc.mean[k]) / sc.scale[k] - m;
      v += z * z;
    }
    assert_true(fabs(m) < 1e-4 && fabs(sqrt(v / s.n_train) - 1) < 1e-3);
  }
  nf_error err = {0};
  nf_split bad;
  assert_int_equal(nf_data_split(&ds, 0.6, 0.5, 1, &bad, &err), NF_EINPUT);
  nf_scaler_free(&sc);
  nf_split_free(&s);
  nf_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_hls4ml_layout), cmocka_unit_test(test_split_and_scaler)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
