/* nnfirm — figures and reports: PNG/SVG plots through PLplot's cairo driver,
 * and the metrics physicists read (accuracy, ROC, confusion).
 *
 * Every plot is written atomically; the format follows the extension
 * (.png or .svg). */
#ifndef NNFIRM_REPORT_H
#define NNFIRM_REPORT_H

#include <stdbool.h>
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/metrics.h"
#include "nnfirm/model.h"
#include "nnfirm/project.h"
#include "nnfirm/train.h"
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

/* Markers with optional vertical error bars and a text beside each marker,
 * e.g. accuracy with its interval against cost; drawn over lines (a floor, a
 * front) that may be none. Error bars and texts count towards the axis range. */
typedef struct nf_point_series {
  const char *label; /* legend entry; NULL = none */
  const double *x, *y;
  const double *ylo, *yhi;  /* error bar ends; NULL = no bars */
  const char *const *texts; /* beside each marker; NULL (or a NULL entry) = none */
  int n;
  int color;  /* palette index, as nf_series' */
  int marker; /* PLplot symbol code (plpoin); 0 = a filled circle */
  double size; /* marker scale; 0 = 1.8 */
} nf_point_series;
int nf_plot_points(const char *path, const nf_plot_opts *o, const nf_point_series *p, int n_points,
                   const nf_series *lines, int n_lines, nf_error *err);

/* Overlaid step histograms over shared bins: edges[n_bins + 1], counts[k][n_bins]
 * for each series k (normalized by the caller if wanted). With o->logy the
 * counts go on a log axis (empty bins at 0.5). */
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

/* ---- Numerical profiling (nnfirm profile) -------------------------------------
 * hls4ml-style: for each layer a box plot (min, quartiles, median, max) of the
 * absolute non-zero weights and biases, and of the layer's outputs on the data
 * (the float model), on a log axis; with a configuration, the span each
 * variable's fixed-point type represents (its LSB to its maximum) is shaded
 * behind its row. Writes out_dir/weights.png, activations.png (and .svg)
 * whole or not at all. */
typedef struct nf_profile_opts {
  const char *model, *weights; /* as nf_model_open */
  const char *data;            /* rows of features */
  const char *config;          /* NULL: no type spans */
  long max_rows;               /* rows of the data used (0 = 20000) */
  const char *out_dir;
} nf_profile_opts;

typedef struct nf_profile_result {
  int weight_rows, activation_rows;
} nf_profile_result;

int nf_profile_run(const nf_profile_opts *o, nf_profile_result *r, nf_error *err);

/* ---- The bit-width scan's figure ------------------------------------------------
 * dir/scan.png and .svg (written whole or not at all): accuracy against the
 * total width W of the k scan points, the float accuracy as a dashed line. */
int nf_plot_scan(const char *dir, const nf_scan_point *pts, int k, double float_acc, nf_error *err);

/* ---- HTML report ------------------------------------------------------------
 * A self-contained page: text, tables and PNG figures embedded as data: URLs,
 * so index.html can be mailed or archived alone. */
typedef struct nf_html nf_html;

nf_html *nf_html_begin(const char *title, nf_error *err);
void nf_html_heading(nf_html *h, int level, const char *text);
/* Paragraph; the formatted text is HTML-escaped. */
void nf_html_paragraph(nf_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Table of rows x cols cells (row-major); row 0 is the header. */
void nf_html_table(nf_html *h, const char *caption, int rows, int cols, const char *const *cells);
/* Embeds a PNG file; a missing file is an error (the report must not lie). */
int nf_html_image(nf_html *h, const char *png_path, const char *caption, nf_error *err);
/* Raw, trusted HTML (e.g. a <pre> block built by the caller, already escaped). */
void nf_html_raw(nf_html *h, const char *html);
/* Writes the page atomically. Reports any earlier out-of-memory. */
int nf_html_write(nf_html *h, const char *path, nf_error *err);
void nf_html_free(nf_html *h);

/* ---- Data sets -------------------------------------------------------------
 * One PNG per feature in dir (written whole or not at all): the classes'
 * normalized histograms overlaid, as physicists first look at a sample. */
int nf_data_plot(const nf_dataset *ds, const char *dir, nf_error *err);

/* ---- Weights --------------------------------------------------------------------
 * One histogram per Dense layer i with before[i] != NULL ([n_in * n_out]
 * weights before pruning) against the layer's effective weights now
 * (quantized, masked): DIR/weights_<layer>.png and .svg. Quantized weights
 * get one bin per representable value. NF_EINPUT when no layer has a
 * before (pruning never began). */
int nf_plot_weights(const char *dir, const nf_model *m, const float *const *before, nf_error *err);

/* ---- Evaluation -----------------------------------------------------------------
 * A float model (any file nf_model_open reads) or a project directory (its
 * bit-accurate design through the emulator, beside the source model its
 * manifest names when that still opens) on labelled rows: the data file, or
 * the default synthetic jets. test_only: the held-out test split (the one
 * nnfirm train keeps out). With plots: ROC curves (PNG + SVG; a project's
 * float solid and fixed point dashed, as in the hls4ml tutorial) and the
 * row-normalized confusion matrix. */
#define NF_EVAL_MAX_CLASSES 16

typedef struct nf_eval_opts {
  const char *target;     /* model file or project directory */
  const char *weights;    /* model weights file, or NULL */
  const char *data_path;  /* labelled rows, or NULL for synthetic jets */
  long rows;              /* rows of the synthetic jets (0 = the training default) */
  bool test_only;
  double val_frac, test_frac;
  const char *plots;      /* directory for the plots, or NULL */
} nf_eval_opts;

typedef struct nf_eval {
  nf_project *project;    /* when the target is a project */
  nf_model *model;        /* the float model (a project's source, when it opens) */
  nf_metrics metrics;     /* of the model, or of the project's bit-accurate design */
  nf_metrics float_metrics; /* a project's source model on the same rows, when has_float */
  bool has_float;
  const char *labels[NF_EVAL_MAX_CLASSES]; /* class names (the model's, the data's, or numbers) */
  char label_buf[NF_EVAL_MAX_CLASSES][32];
  char data_name[4096];
} nf_eval;

int nf_eval_run(const nf_eval_opts *o, nf_eval *r, nf_error *err);
void nf_eval_free(nf_eval *r);

/* DIR/STEM.png and .svg: per class, solid's ROC curve (solid line, legend
 * "<class> <solid_tag>, AUC = x%") and dashed's (dashed line); either may be
 * NULL, a tag may be NULL. */
int nf_plot_roc(const char *dir, const char *stem, const char *title, const nf_metrics *solid, const char *solid_tag,
                const nf_metrics *dashed, const char *dashed_tag, const char *const *labels, nf_error *err);
/* DIR/STEM.png and .svg: the confusion matrix, each row normalized. */
int nf_plot_confusion(const char *dir, const char *stem, const char *title, const nf_metrics *mt,
                      const char *const *labels, nf_error *err);

/* ---- Training ---------------------------------------------------------------------
 * DIR/history_loss.{png,svg} and DIR/history_accuracy.{png,svg}: per epoch,
 * training (solid) and validation (dashed, when there was a validation split). */
int nf_plot_history(const char *dir, const nf_train_result *res, nf_error *err);

#endif
