/* Per-feature histograms of a jet data set, one PNG per feature with the
 * classes overlaid (normalized to unit area), as physicists first look at
 * a new sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/data.h"
#include "nnfirm/report.h"
#include "nnfirm/util.h"

enum { N_BINS = 60 };

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* The 0.5% and 99.5% quantiles: the plotted range, so long tails do not
 * squeeze the bulk into a few bins. */
static void plot_range(const nf_dataset *ds, int k, float *scratch, double *lo, double *hi) {
  for (long i = 0; i < ds->n_rows; i++) scratch[i] = ds->x[(size_t)i * ds->n_features + k];
  qsort(scratch, (size_t)ds->n_rows, sizeof *scratch, cmp_float);
  *lo = scratch[(long)(0.005 * (ds->n_rows - 1))];
  *hi = scratch[(long)(0.995 * (ds->n_rows - 1))];
  if (*hi <= *lo) *hi = *lo + 1;
}

static bool integer_valued(const nf_dataset *ds, int k) {
  for (long i = 0; i < ds->n_rows && i < 5000; i++) {
    float v = ds->x[(size_t)i * ds->n_features + k];
    if (v != floorf(v)) return false;
  }
  return true;
}

static int plot_feature(const nf_dataset *ds, int k, const char *dir, float *scratch, nf_error *err) {
  double lo, hi, edges[N_BINS + 1];
  plot_range(ds, k, scratch, &lo, &hi);
  int n_bins = N_BINS;
  if (integer_valued(ds, k)) { /* counts: bins centred on integers, never split */
    double step = ceil((hi - lo + 1) / N_BINS);
    lo = floor(lo) - 0.5;
    n_bins = (int)ceil((hi + 0.5 - lo) / step);
    if (n_bins > N_BINS) n_bins = N_BINS;
    hi = lo + n_bins * step;
  }
  for (int b = 0; b <= n_bins; b++) edges[b] = lo + (hi - lo) * b / n_bins;
  int C = ds->n_classes;
  double *counts = calloc((size_t)C * N_BINS, sizeof *counts);
  const double **rows = calloc((size_t)C, sizeof *rows);
  long *totals = calloc((size_t)C, sizeof *totals);
  if (!counts || !rows || !totals) {
    free(counts), free(rows), free(totals);
    return nf_fail_oom(err, "histograms");
  }
  for (long i = 0; i < ds->n_rows; i++) {
    double v = ds->x[(size_t)i * ds->n_features + k];
    int b = (int)floor((v - lo) / (hi - lo) * n_bins);
    if (b < 0 || b >= n_bins) continue;
    counts[(size_t)ds->y[i] * N_BINS + b] += 1;
    totals[ds->y[i]]++;
  }
  double width = (hi - lo) / n_bins;
  for (int c = 0; c < C; c++) {
    for (int b = 0; b < n_bins; b++) counts[(size_t)c * N_BINS + b] /= totals[c] > 0 ? totals[c] * width : 1;
    rows[c] = counts + (size_t)c * N_BINS;
  }
  const char *name = ds->feature_names ? ds->feature_names[k] : "feature";
  char path[4300], title[160];
  snprintf(path, sizeof path, "%s/%s.png", dir, name);
  snprintf(title, sizeof title, "%s by jet class", name);
  nf_plot_opts o = {.title = title, .xlabel = name, .ylabel = "normalized density"};
  int rc = nf_plot_histograms(path, &o, edges, n_bins, rows, (const char *const *)ds->class_names, C, err);
  free(counts);
  free(rows);
  free(totals);
  return rc;
}

int nf_data_plot(const nf_dataset *ds, const char *dir, nf_error *err) {
  char *tmp = NULL;
  int rc = nf_outdir_begin(dir, &tmp, err);
  float *scratch = rc ? NULL : nf_malloc((size_t)ds->n_rows * sizeof *scratch, err);
  if (!rc && !scratch) rc = NF_EINTERNAL;
  for (int k = 0; !rc && k < ds->n_features; k++) rc = plot_feature(ds, k, tmp, scratch, err);
  free(scratch);
  if (!rc) rc = nf_outdir_commit(tmp, dir, err);
  else if (tmp) nf_outdir_abort(tmp);
  free(tmp);
  return rc;
}
