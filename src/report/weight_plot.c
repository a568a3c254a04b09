/* Weight distributions before and after pruning, one plot per Dense layer
 * (the hls4ml tutorial's figure). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

enum { PLOT_BINS = 100, MAX_GRID_BINS = 256 };

static void histogram(const float *w, long n, double lo, double hi, int bins, double *counts) {
  for (int b = 0; b < bins; b++) counts[b] = 0;
  for (long k = 0; k < n; k++) {
    int b = (int)floor((w[k] - lo) / (hi - lo) * bins);
    counts[b < 0 ? 0 : b >= bins ? bins - 1 : b] += 1;
  }
}

/* The grid step of quantized_bits weights, or 0: quantized weights get one
 * bin per representable value, so the plot shows the values themselves. */
static double grid_step(const nf_layer *l) {
  const nf_quantizer *q = &l->kernel_q;
  if (q->kind != NF_QUANT_BITS || q->alpha != 1) return 0;
  int u = q->bits - (q->keep_negative ? 1 : 0);
  return u > 0 ? ldexp(1.0, q->integer - u) : 0;
}

static int plot_layer(const char *dir, const nf_layer *l, const float *before, const float *after, nf_error *err) {
  long n = (long)l->n_in * l->n_out, z0 = 0, z1 = 0;
  double lo = INFINITY, hi = -INFINITY, edges[MAX_GRID_BINS + 1], c0[MAX_GRID_BINS], c1[MAX_GRID_BINS];
  for (long k = 0; k < n; k++) {
    lo = fmin(lo, fmin(before[k], after[k]));
    hi = fmax(hi, fmax(before[k], after[k]));
    z0 += before[k] == 0, z1 += after[k] == 0;
  }
  double step = grid_step(l);
  int bins = PLOT_BINS;
  if (step > 0 && (hi - lo) / step + 1 <= MAX_GRID_BINS) {
    bins = (int)((hi - lo) / step + 1.5);
    lo -= step / 2, hi = lo + bins * step;
  } else {
    double pad = hi > lo ? 0.02 * (hi - lo) : 0.5;
    lo -= pad, hi += pad;
  }
  for (int b = 0; b <= bins; b++) edges[b] = lo + (hi - lo) * b / bins;
  histogram(before, n, lo, hi, bins, c0);
  histogram(after, n, lo, hi, bins, c1);
  char lab0[96], lab1[96], title[160], path[4200];
  snprintf(lab0, sizeof lab0, "before pruning (%.1f%% zero)", 100.0 * z0 / n);
  snprintf(lab1, sizeof lab1, "after pruning (%.1f%% zero)", 100.0 * z1 / n);
  snprintf(title, sizeof title, "%s: weight distribution (%ld weights)", l->name, n);
  const double *counts[2] = {c0, c1};
  const char *labels[2] = {lab0, lab1};
  nf_plot_opts o = {.title = title, .xlabel = "weight value", .ylabel = "number of weights (log)", .logy = true};
  static const char *const exts[] = {"png", "svg"};
  int rc = NF_OK;
  for (int e = 0; !rc && e < 2; e++) {
    snprintf(path, sizeof path, "%s/weights_%s.%s", dir, l->name, exts[e]);
    rc = nf_plot_histograms(path, &o, edges, bins, counts, labels, 2, err);
  }
  return rc;
}

int nf_plot_weights(const char *dir, const nf_model *m, const float *const *before, nf_error *err) {
  int rc = nf_mkdir_p(dir, err), plotted = 0;
  for (int i = 0; !rc && i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    const float *w0 = before ? before[i] : NULL;
    if (l->kind != NF_LAYER_DENSE || !w0) continue;
    long n = (long)l->n_in * l->n_out;
    float *after = nf_malloc((size_t)n * sizeof *after, err);
    if (!after) return NF_EINTERNAL;
    for (long k = 0; k < n; k++)
      after[k] = l->mask && !l->mask[k] ? 0.0f : (float)nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
    rc = plot_layer(dir, l, w0, after, err);
    free(after);
    plotted++;
  }
  if (!rc && !plotted)
    rc = nf_fail(err, NF_EINPUT, "%s: pruning never began (its begin step was not reached), no weight plot to draw", dir);
  return rc;
}
