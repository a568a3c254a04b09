/* nnfirm — figures and reports: PNG/SVG plots through PLplot's cairo driver,
 * and the metrics physicists read (accuracy, ROC, confusion).
 *
 * Every plot is written atomically; the format follows the extension
 * (.png or .svg). */
#ifndef NNFIRM_REPORT_H
#define NNFIRM_REPORT_H

#include <stdbool.h>
#include "nnfirm/error.h"

/* ---- Plots ---------------------------------------------------------------- */
typedef enum { NF_LINE_SOLID, NF_LINE_DASHED, NF_LINE_DOTTED, NF_LINE_POINTS } nf_line_style;

typedef struct nf_series {
  const char *label; /* legend entry; NULL = none */
  const double *x, *y;
  int n;
  nf_line_style style;
  int color; /* index into a fixed colour-blind-safe palette; -1 = automatic */
} nf_series;

typedef struct nf_plot_opts {
  const char *title, *xlabel, *ylabel;
  bool logx, logy;
  /* Axis limits; min == max means automatic. */
  double xmin, xmax, ymin, ymax;
  int width, height; /* pixels; 0 = 800 x 600 */
  const char *legend_pos; /* "tr", "tl", "br", "bl"; NULL = "tr" */
} nf_plot_opts;

/* Lines (or points) on one axis, e.g. ROC curves or a bit-width scan. */
int nf_plot_lines(const char *path, const nf_plot_opts *o, const nf_series *s, int n_series, nf_error *err);

/* Overlaid step histograms over shared bins: edges[n_bins + 1], counts[k][n_bins]
 * for each series k (normalized by the caller if wanted). */
int nf_plot_histograms(const char *path, const nf_plot_opts *o, const double *edges, int n_bins,
                       const double *const *counts, const char *const *labels, int n_series, nf_error *err);

/* Annotated heat map, e.g. a confusion matrix: z[rows][cols], row 0 at top. */
int nf_plot_heatmap(const char *path, const nf_plot_opts *o, const double *z, int rows, int cols,
                    const char *const *row_labels, const char *const *col_labels, nf_error *err);

/* Horizontal box-and-whisker rows (hls4ml-style numerical profiling): per row
 * the 5 values min, q1, median, q3, max, and an optional shaded band
 * [band_lo, band_hi] showing the representable range of the chosen type
 * (NaN = none). Usually with logx. */
typedef struct nf_box_row {
  const char *label;
  double stats[5];
  double band_lo, band_hi;
} nf_box_row;
int nf_plot_boxes(const char *path, const nf_plot_opts *o, const nf_box_row *rows, int n_rows, nf_error *err);

#endif
