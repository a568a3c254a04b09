/* nnfirm — jet data: the synthetic generator, file loaders and writers, the
 * OpenML download, and the preparation that training and evaluation share
 * (stratified split, standard scaler). SPEC §4.
 *
 * Class indices are always in the canonical order g, q, w, z, t (SPEC §4);
 * loaders map a file's own label order (ARFF's {g,q,t,w,z}, HDF5's one-hot
 * j_g…j_t, numeric labels) onto it by name.
 */
#ifndef NNFIRM_DATA_H
#define NNFIRM_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include "nnfirm/error.h"

enum { NF_JET_FEATURES = 16, NF_JET_CLASSES = 5 };

/* The real data set's feature names in order (HDF5 spelling, with "j_"). */
extern const char *const NF_JET_FEATURE_NAMES[NF_JET_FEATURES];
/* Canonical class names: "g", "q", "w", "z", "t". */
extern const char *const NF_JET_CLASS_NAMES[NF_JET_CLASSES];

typedef struct nf_dataset {
  long n_rows;
  int n_features;
  int n_classes;
  float *x;             /* [n_rows][n_features], row-major */
  int *y;               /* [n_rows] class index in 0..n_classes-1 */
  char **feature_names; /* [n_features] */
  char **class_names;   /* [n_classes] */
} nf_dataset;

void nf_dataset_free(nf_dataset *ds);

/* ---- Synthetic jets -------------------------------------------------------
 * Physics-motivated stand-in for the hls4ml LHC jet data: same 16 features,
 * 5 classes in equal shares, realistic overlap. Same seed, same values. */
int nf_data_synth(long n_rows, uint64_t seed, nf_dataset *out, nf_error *err);

/* ---- Files ----------------------------------------------------------------
 * Format chosen by extension: .csv, .npy (features; labels in a sibling
 * <name>.labels.npy or a last label column), .h5/.hdf5, .arff. Errors name the
 * file and the line / field / data set. */
int nf_data_load(const char *path, nf_dataset *out, nf_error *err);
/* Writers for .csv, .npy and .h5 (atomic: temp file + rename). */
int nf_data_save(const char *path, const nf_dataset *ds, nf_error *err);

/* Reads a plain numeric matrix (CSV without labels, header optional), e.g.
 * the --input of predict. *x is [*rows][*cols]. */
int nf_data_load_matrix(const char *path, float **x, long *rows, int *cols, nf_error *err);
/* Rows of at least n_cols numbers (the first n_cols kept, in double
 * precision), e.g. the --input of cosim: a header line, blank lines and
 * '#' comments are skipped, fields may be quoted; max_rows > 0 stops there.
 * *x is [*rows][n_cols]. Errors name the line and column. */
int nf_data_load_rows(const char *path, int n_cols, long max_rows, double **x, long *rows, nf_error *err);

/* ---- Download -------------------------------------------------------------
 * Fetches OpenML's hls4ml_lhc_jets_hlf ARFF into dir (resume-safe, checked).
 * url may be NULL for the default OpenML address; tests pass a loopback URL. */
typedef struct nf_fetch_opts {
  const char *dir;
  const char *url;
  const char *sha256; /* expected checksum, NULL to skip verification */
  bool quiet;
  long timeout_s;
} nf_fetch_opts;
int nf_data_fetch(const nf_fetch_opts *o, char *out_path, size_t out_len, nf_error *err);
/* Where the fetched file is cached when present (for the embedded default). */
bool nf_data_cached_path(char *out_path, size_t out_len);

/* ---- Preparation ----------------------------------------------------------*/

/* Row indices of a stratified split (no copies of the data). */
typedef struct nf_split {
  long *train, *val, *test;
  long n_train, n_val, n_test;
} nf_split;
int nf_data_split(const nf_dataset *ds, double val_frac, double test_frac, uint64_t seed, nf_split *out,
                  nf_error *err);
/* The train / validation / test split every nnfirm stage and command uses
 * (training, evaluation, the bit-width scan, the search): nf_data_split with
 * the fixed NF_SPLIT_SEED, so that evaluation finds the rows training held
 * out whatever the training seed was. Default fractions 60/20/20. */
#define NF_SPLIT_SEED 7ULL
#define NF_SPLIT_VAL_FRAC 0.2
#define NF_SPLIT_TEST_FRAC 0.2
int nf_data_holdout(const nf_dataset *ds, double val_frac, double test_frac, nf_split *out, nf_error *err);
void nf_split_free(nf_split *s);
/* The rows a scoring command uses: every row, or (test_only) the test part
 * of nf_data_holdout's default split; copies of features x [n][n_features]
 * and labels y [n] (free both). */
int nf_data_score_rows(const nf_dataset *ds, bool test_only, float **x, int **y, long *n, nf_error *err);

/* Standard scaler: x' = (x - mean) / scale, fitted on the given rows only. */
typedef struct nf_scaler {
  int n;
  float *mean;
  float *scale;
} nf_scaler;
int nf_scaler_fit(const nf_dataset *ds, const long *rows, long n_rows, nf_scaler *out, nf_error *err);
void nf_scaler_apply(const nf_scaler *s, float *x, long n_rows);
void nf_scaler_free(nf_scaler *s);

#endif
