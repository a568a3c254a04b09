/* Evaluation of a float model or of a project's bit-accurate design on
 * labelled rows: class scores, metrics, the float model beside the design,
 * and the hls4ml tutorial's ROC and confusion plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnfirm/import.h"
#include "nnfirm/report.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

/* Forward pass over the chosen rows in chunks (no copy of the whole set):
 * float32 through sgemm (nf_model_forward_f32) when it takes the model. */
static int model_scores(const nf_model *m, const nf_dataset *ds, const long *rows, long n, double *probs, nf_error *err) {
  enum { CHUNK = 8192 };
  int F = ds->n_features, K = m->n_outputs;
  bool f32 = nf_model_forward_f32_takes(m, -1);
  float *x = nf_malloc((size_t)CHUNK * F * sizeof *x, err), *p = f32 ? nf_malloc((size_t)CHUNK * K * sizeof *p, err) : NULL;
  int rc = x && (p || !f32) ? NF_OK : NF_EINTERNAL;
  for (long b = 0; b < n && !rc; b += CHUNK) {
    long k = n - b < CHUNK ? n - b : CHUNK;
    for (long i = 0; i < k; i++) memcpy(x + i * F, ds->x + (size_t)(rows ? rows[b + i] : b + i) * F, (size_t)F * sizeof *x);
    if (!f32) rc = nf_model_forward(m, x, k, -1, true, probs + (size_t)b * K, err);
    else rc = nf_model_forward_f32(m, x, k, -1, true, p, err);
    for (long i = 0; f32 && !rc && i < k * K; i++) probs[(size_t)b * K + i] = p[i];
  }
  free(x);
  free(p);
  return rc;
}

/* The class scores of the hardware's output: its table softmax when the
 * design puts one in hardware, else a double-precision softmax of the
 * emulated logits (the decision is their argmax; the probabilities only
 * order the rows for the ROC curves). */
static int design_scores(const nf_design *d, const nf_dataset *ds, const long *rows, long n, double *probs, nf_error *err) {
  int k = d->n_outputs, F = ds->n_features;
  float *x = nf_malloc((size_t)n * F * sizeof *x, err);
  if (!x) return NF_EINTERNAL;
  for (long i = 0; i < n; i++) memcpy(x + i * F, ds->x + (size_t)(rows ? rows[i] : i) * F, (size_t)F * sizeof *x);
  const nf_design_layer *out = &d->layers[d->n_hw - 1];
  int rc = nf_emulate_values(d, x, n, d->n_hw - 1, probs, err);
  free(x);
  if (out->kind == NF_LAYER_ACTIVATION && out->act == NF_ACT_SOFTMAX) return rc;
  for (long i = 0; !rc && i < n; i++) {
    double *p = probs + (size_t)i * k, mx = p[0], s = 0;
    for (int j = 1; j < k; j++) mx = fmax(mx, p[j]);
    for (int j = 0; j < k; j++) s += (p[j] = exp(p[j] - mx));
    for (int j = 0; j < k; j++) p[j] /= s;
  }
  return rc;
}

static int metrics_of(const double *probs, const nf_dataset *ds, const long *rows, long n, int k, nf_metrics *mt,
                      nf_error *err) {
  int *y = nf_malloc((size_t)n * sizeof *y, err);
  if (!y) return NF_EINTERNAL;
  for (long i = 0; i < n; i++) y[i] = ds->y[rows ? rows[i] : i];
  int rc = nf_metrics_compute(probs, y, n, k, mt, err);
  free(y);
  return rc;
}

/* Scores and metrics of the model (or design) on the chosen rows. */
static int score(const nf_model *m, const nf_design *d, const nf_dataset *ds, const long *rows, long n, nf_metrics *mt,
                 nf_error *err) {
  int k = d ? d->n_outputs : m->n_outputs;
  double *probs = nf_malloc((size_t)n * k * sizeof *probs, err);
  if (!probs) return NF_EINTERNAL;
  int rc = d ? design_scores(d, ds, rows, n, probs, err) : model_scores(m, ds, rows, n, probs, err);
  if (!rc) rc = metrics_of(probs, ds, rows, n, k, mt, err);
  free(probs);
  return rc;
}

static int open_target(const nf_eval_opts *o, nf_eval *r, nf_error *err) {
  struct stat st; /* a project directory from 'nnfirm convert': evaluated bit-accurately */
  if (stat(o->target, &st) == 0 && S_ISDIR(st.st_mode)) {
    int rc = nf_project_open(o->target, &r->project, err);
    /* the source model named by the manifest, when it still opens and fits */
    if (!rc && r->project->model[0] && !nf_model_open(r->project->model, NULL, &r->model, NULL) &&
        r->model->n_outputs != r->project->design->n_outputs) {
      nf_model_free(r->model);
      r->model = NULL;
    }
    return rc;
  }
  return nf_model_open(o->target, o->weights, &r->model, err);
}

int nf_eval_run(const nf_eval_opts *o, nf_eval *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  nf_dataset ds = {0};
  nf_split split = {0};
  snprintf(r->data_name, sizeof r->data_name, "%s", o->data_path ? o->data_path : "synthetic jets (default)");
  int rc = open_target(o, r, err);
  const nf_design *d = r->project ? r->project->design : NULL;
  int n_in = d ? d->n_inputs : r->model ? r->model->n_features : 0, K = d ? d->n_outputs : r->model ? r->model->n_outputs : 0;
  if (!rc) rc = o->data_path ? nf_data_load(o->data_path, &ds, err) : nf_data_synth(o->rows > 0 ? o->rows : NF_TRAIN_DEFAULT_ROWS, NF_TRAIN_DEFAULT_DATA_SEED, &ds, err);
  if (!rc && ds.n_features != n_in)
    rc = d ? nf_fail(err, NF_EINPUT, "%s has %d features, the design takes %d", r->data_name, ds.n_features, n_in)
           : nf_fail(err, NF_EINPUT, "%s has %d features, but model %s expects %d", r->data_name, ds.n_features, o->target, n_in);
  if (!rc && !d && ds.n_classes > K)
    rc = nf_fail(err, NF_EINPUT, "%s has %d classes, but model %s has %d outputs", r->data_name, ds.n_classes, o->target, K);
  if (!rc && o->test_only) rc = nf_data_holdout(&ds, o->val_frac, o->test_frac, &split, err);
  long n = o->test_only ? split.n_test : ds.n_rows;
  const long *rows = o->test_only ? split.test : NULL;
  if (!rc && n < 1) rc = nf_fail(err, NF_EINPUT, "%s: no rows to evaluate", r->data_name);
  if (!rc) rc = score(d ? NULL : r->model, d, &ds, rows, n, &r->metrics, err);
  if (!rc && d && r->model) {
    rc = score(r->model, NULL, &ds, rows, n, &r->float_metrics, err);
    r->has_float = !rc;
  }
  for (int c = 0; !rc && c < K && c < NF_EVAL_MAX_CLASSES; c++) {
    const char *name = d && d->class_names           ? d->class_names[c]
                       : !d && r->model->class_names ? r->model->class_names[c]
                       : ds.class_names && c < ds.n_classes ? ds.class_names[c] : NULL;
    if (name) snprintf(r->label_buf[c], sizeof r->label_buf[c], "%s", name);
    else snprintf(r->label_buf[c], sizeof r->label_buf[c], "%d", c);
    r->labels[c] = r->label_buf[c];
  }
  if (!rc && K > NF_EVAL_MAX_CLASSES) rc = nf_fail(err, NF_EINPUT, "%s: %d classes, at most %d", o->target, K, NF_EVAL_MAX_CLASSES);
  if (!rc && o->plots) rc = nf_mkdir_p(o->plots, err);
  if (!rc && o->plots && d)
    rc = nf_plot_roc(o->plots, "roc_fixed", "ROC curves: float (solid) vs bit-accurate fixed point (dashed)",
                     r->has_float ? &r->float_metrics : NULL, "float", &r->metrics, "fixed", r->labels, err);
  if (!rc && o->plots && !d)
    rc = nf_plot_roc(o->plots, "roc", "ROC curves (one class vs the rest)", &r->metrics, NULL, NULL, NULL, r->labels, err);
  if (!rc && o->plots)
    rc = nf_plot_confusion(o->plots, d ? "confusion_fixed" : "confusion",
                           d ? "Confusion matrix, bit-accurate (fraction of each true class)"
                             : "Confusion matrix (fraction of each true class)", &r->metrics, r->labels, err);
  nf_split_free(&split);
  nf_dataset_free(&ds);
  if (rc) nf_eval_free(r);
  return rc;
}

void nf_eval_free(nf_eval *r) {
  nf_metrics_free(&r->metrics);
  nf_metrics_free(&r->float_metrics);
  nf_model_free(r->model);
  nf_project_free(r->project);
  r->model = NULL;
  r->project = NULL;
}

/* ---- Plots ------------------------------------------------------------------------ */
/* ROC curves as the hls4ml tutorial draws them: signal efficiency on x,
 * background mistag rate on a log y axis, one colour per class. Points with
 * a zero mistag rate cannot sit on a log axis and are left out; long curves
 * are thinned to ~2000 points (invisible at plot resolution). */
static int roc_series(const nf_roc *r, const char *label, const char *tag, int color, nf_line_style style,
                      nf_series *s, double **buf, char *legend, size_t legend_size, nf_error *err) {
  double *xs = nf_malloc((size_t)(r->n + 1) * 2 * sizeof *xs, err);
  if (!xs) return NF_EINTERNAL;
  double *ys = xs + r->n + 1;
  int n = 0, step = r->n > 4000 ? r->n / 2000 : 1;
  for (int i = 0; i < r->n; i++) {
    if (r->mistag[i] <= 0 || (i % step && i != r->n - 1)) continue;
    xs[n] = r->eff[i];
    ys[n++] = r->mistag[i];
  }
  snprintf(legend, legend_size, "%s%s%s, AUC = %.1f%%", label, tag ? " " : "", tag ? tag : "", 100 * r->auc);
  *s = (nf_series){legend, xs, ys, n, style, color};
  *buf = xs;
  return NF_OK;
}

int nf_plot_roc(const char *dir, const char *stem, const char *title, const nf_metrics *solid, const char *solid_tag,
                const nf_metrics *dashed, const char *dashed_tag, const char *const *labels, nf_error *err) {
  const nf_metrics *any = solid ? solid : dashed;
  int C = any ? any->n_classes : 0, ns = 0, rc = NF_OK;
  if (C > NF_EVAL_MAX_CLASSES) return nf_fail(err, NF_EINPUT, "ROC plot: %d classes, at most %d", C, NF_EVAL_MAX_CLASSES);
  nf_series s[2 * NF_EVAL_MAX_CLASSES];
  double *buf[2 * NF_EVAL_MAX_CLASSES];
  char legend[2 * NF_EVAL_MAX_CLASSES][96];
  for (int c = 0; c < C && !rc; c++) {
    if (solid) rc = roc_series(&solid->roc[c], labels[c], solid_tag, c, NF_LINE_SOLID, &s[ns], &buf[ns], legend[ns], sizeof legend[ns], err);
    if (!rc && solid) ns++;
    if (!rc && dashed) rc = roc_series(&dashed->roc[c], labels[c], dashed_tag, c, NF_LINE_DASHED, &s[ns], &buf[ns], legend[ns], sizeof legend[ns], err);
    if (!rc && dashed) ns++;
  }
  nf_plot_opts o = {.title = title, .xlabel = "Signal efficiency", .ylabel = "Background mistag rate", .logy = true,
                    .xmin = 0, .xmax = 1, .ymin = 1e-3, .ymax = 1, .legend_pos = "br"};
  static const char *const ext[] = {"png", "svg"};
  for (int e = 0; !rc && e < 2; e++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext[e]);
    rc = nf_plot_lines(path, &o, s, ns, err);
  }
  for (int i = 0; i < ns; i++) free(buf[i]);
  return rc;
}

/* Row-normalized confusion matrix: each row shows where a true class goes. */
int nf_plot_confusion(const char *dir, const char *stem, const char *title, const nf_metrics *mt,
                      const char *const *labels, nf_error *err) {
  int C = mt->n_classes;
  double *z = nf_malloc((size_t)C * C * sizeof *z, err);
  if (!z) return NF_EINTERNAL;
  for (int a = 0; a < C; a++) {
    long row = 0;
    for (int b = 0; b < C; b++) row += mt->confusion[a * C + b];
    for (int b = 0; b < C; b++) z[a * C + b] = row ? (double)mt->confusion[a * C + b] / row : 0;
  }
  nf_plot_opts o = {.title = title, .xlabel = "Predicted class", .ylabel = "True class"};
  int rc = NF_OK;
  static const char *const ext[] = {"png", "svg"};
  for (int e = 0; !rc && e < 2; e++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext[e]);
    rc = nf_plot_heatmap(path, &o, z, C, C, labels, labels, err);
  }
  free(z);
  return rc;
}
