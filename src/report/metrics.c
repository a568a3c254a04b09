/* Accuracy, confusion matrix, one-vs-rest ROC curves, AUC, background
 * rejection at fixed signal efficiency. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/metrics.h"

const double NF_WORKING_POINTS[NF_N_WORKING_POINTS] = {0.5, 0.9};

typedef struct scored {
  double score;
  int signal;
} scored;

/* Descending score; ties are later grouped, so their order does not matter. */
static int by_score_desc(const void *a, const void *b) {
  double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
  return (x < y) - (x > y);
}

double nf_roc_mistag_at(const nf_roc *r, double eff) {
  if (r->n < 2) return NAN;
  for (int i = 1; i < r->n; i++) {
    if (r->eff[i] < eff) continue;
    double e0 = r->eff[i - 1], e1 = r->eff[i];
    if (e1 == e0) return r->mistag[i];
    double t = (eff - e0) / (e1 - e0);
    return r->mistag[i - 1] + t * (r->mistag[i] - r->mistag[i - 1]);
  }
  return r->mistag[r->n - 1];
}

/* One threshold per distinct score, sweeping from the highest: each point is
 * (signal kept / signal, background kept / background). AUC by trapezoids,
 * which counts tied signal/background pairs as one half. */
static int roc_for_class(scored *s, long n, nf_roc *r, nf_error *err) {
  qsort(s, (size_t)n, sizeof *s, by_score_desc);
  long pos = 0;
  for (long i = 0; i < n; i++) pos += s[i].signal;
  long neg = n - pos;
  r->eff = nf_malloc((size_t)(n + 1) * sizeof(double), err);
  r->mistag = nf_malloc((size_t)(n + 1) * sizeof(double), err);
  if (!r->eff || !r->mistag) return NF_EINTERNAL;
  r->eff[0] = r->mistag[0] = 0;
  r->n = 1;
  long tp = 0, fp = 0;
  double auc = 0;
  for (long i = 0; i < n;) {
    long j = i;
    while (j < n && s[j].score == s[i].score) {
      tp += s[j].signal;
      fp += !s[j].signal;
      j++;
    }
    double e = pos ? (double)tp / pos : 0, m = neg ? (double)fp / neg : 0;
    auc += (m - r->mistag[r->n - 1]) * (e + r->eff[r->n - 1]) / 2;
    r->eff[r->n] = e;
    r->mistag[r->n] = m;
    r->n++;
    i = j;
  }
  r->auc = pos && neg ? auc : NAN;
  for (int k = 0; k < NF_N_WORKING_POINTS; k++) {
    double m = pos && neg ? nf_roc_mistag_at(r, NF_WORKING_POINTS[k]) : NAN;
    r->rejection[k] = m > 0 ? 1 / m : m == 0 ? INFINITY : NAN;
  }
  return NF_OK;
}

int nf_metrics_compute(const double *probs, const int *labels, long n, int n_classes, nf_metrics *out,
                       nf_error *err) {
  memset(out, 0, sizeof *out);
  if (n < 1 || n_classes < 2) return nf_fail(err, NF_EINPUT, "metrics need rows and at least 2 classes");
  out->n_classes = n_classes;
  out->n_rows = n;
  out->confusion = nf_calloc((size_t)n_classes * n_classes, sizeof(long), err);
  out->roc = nf_calloc((size_t)n_classes, sizeof(nf_roc), err);
  scored *s = nf_malloc((size_t)n * sizeof *s, err);
  if (!out->confusion || !out->roc || !s) {
    free(s);
    nf_metrics_free(out);
    return NF_EINTERNAL;
  }
  long correct = 0;
  for (long i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] >= n_classes) {
      free(s);
      nf_metrics_free(out);
      return nf_fail(err, NF_EINPUT, "row %ld: label %d outside 0..%d", i + 1, labels[i], n_classes - 1);
    }
    const double *p = probs + (size_t)i * n_classes;
    int best = 0;
    for (int c = 1; c < n_classes; c++)
      if (p[c] > p[best]) best = c;
    out->confusion[(size_t)labels[i] * n_classes + best]++;
    correct += best == labels[i];
  }
  out->accuracy = (double)correct / n;
  int rc = NF_OK;
  for (int c = 0; c < n_classes && !rc; c++) {
    for (long i = 0; i < n; i++) s[i] = (scored){probs[(size_t)i * n_classes + c], labels[i] == c};
    rc = roc_for_class(s, n, &out->roc[c], err);
  }
  free(s);
  if (rc) nf_metrics_free(out);
  return rc;
}

void nf_metrics_free(nf_metrics *m) {
  for (int c = 0; m->roc && c < m->n_classes; c++) {
    free(m->roc[c].eff);
    free(m->roc[c].mistag);
  }
  free(m->roc);
  free(m->confusion);
  memset(m, 0, sizeof *m);
}

void nf_wilson_interval(long correct, long n, double z, double *lo, double *hi) {
  if (n < 1 || correct < 0 || correct > n) {
    *lo = *hi = NAN;
    return;
  }
  double p = (double)correct / (double)n, z2n = z * z / (double)n;
  double centre = (p + z2n / 2) / (1 + z2n);
  double half = z / (1 + z2n) * sqrt(p * (1 - p) / (double)n + z2n / (4 * (double)n));
  *lo = fmax(0, centre - half);
  *hi = fmin(1, centre + half);
}
