/* nnfirm — classifier metrics physicists read: accuracy, confusion matrix,
 * one-vs-rest ROC curves with their AUC, and background rejection at fixed
 * signal efficiency (the hls4ml tutorial's figures of merit). */
#ifndef NNFIRM_METRICS_H
#define NNFIRM_METRICS_H

#include "nnfirm/error.h"

/* Signal efficiencies at which background rejection (1 / mistag rate) is
 * reported. */
enum { NF_N_WORKING_POINTS = 2 };
extern const double NF_WORKING_POINTS[NF_N_WORKING_POINTS]; /* 0.5, 0.9 */

typedef struct nf_roc {
  int n;         /* points, from (0,0) to (1,1) */
  double *eff;   /* [n] signal efficiency (true-positive rate) */
  double *mistag; /* [n] background mistag rate (false-positive rate) */
  double auc;    /* NaN when the class has no signal or no background rows */
  double rejection[NF_N_WORKING_POINTS]; /* 1/mistag at NF_WORKING_POINTS (inf if 0) */
} nf_roc;

typedef struct nf_metrics {
  int n_classes;
  long n_rows;
  double accuracy;
  long *confusion; /* [n_classes][n_classes], rows = true class, cols = predicted */
  nf_roc *roc;     /* [n_classes], class c as signal, all others background */
} nf_metrics;

/* probs [n][n_classes] (any scores, larger = more signal-like), labels [n]. */
int nf_metrics_compute(const double *probs, const int *labels, long n, int n_classes, nf_metrics *out,
                       nf_error *err);
void nf_metrics_free(nf_metrics *m);

/* Wilson score interval for a proportion: `correct` successes of n trials,
 * z the normal quantile (NF_Z95 for a 95% interval). The interval of an
 * accuracy measured on n rows: [*lo, *hi] within [0, 1]. n < 1 gives NaN. */
#define NF_Z95 1.959963984540054
void nf_wilson_interval(long correct, long n, double z, double *lo, double *hi);

/* Linear interpolation of the mistag rate at a signal efficiency. */
double nf_roc_mistag_at(const nf_roc *r, double eff);

#endif
