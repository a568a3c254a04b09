/* nnfirm eval PROJECT: the bit-accurate design's accuracy, ROC curves and
 * confusion matrix, next to the float model it came from (solid vs dashed
 * ROC curves on one plot, as in the hls4ml tutorial). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include <cjson/cJSON.h>

#include "nnfirm/metrics.h"
#include "nnfirm/project.h"
#include "nnfirm/report.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

/* The source model named by the project's manifest, when it still opens. */
static nf_model *source_model(const nf_project *p) {
  nf_model *m = NULL;
  if (!p->model[0] || nf_model_open(p->model, NULL, &m, NULL)) m = NULL;
  return m;
}

/* The class scores of the hardware's output: its table softmax when the
 * design puts one in hardware, else a double-precision softmax of the
 * emulated logits (the decision is their argmax; the probabilities only
 * order the rows for the ROC curves). */
static int fixed_scores(const nf_design *d, const float *x, long n, double *probs, nf_error *err) {
  int k = d->n_outputs;
  const nf_design_layer *out = &d->layers[d->n_hw - 1];
  int rc = nf_emulate_values(d, x, n, d->n_hw - 1, probs, err);
  if (out->kind == NF_DL_ACTIVATION && out->act == NF_ACT_SOFTMAX) return rc;
  for (long i = 0; !rc && i < n; i++) {
    double *p = probs + (size_t)i * k, mx = p[0], s = 0;
    for (int j = 1; j < k; j++) mx = fmax(mx, p[j]);
    for (int j = 0; j < k; j++) s += (p[j] = exp(p[j] - mx));
    for (int j = 0; j < k; j++) p[j] /= s;
  }
  return rc;
}

static void roc_points(const nf_roc *r, double *xs, double *ys, int *n) {
  int step = r->n > 4000 ? r->n / 2000 : 1;
  *n = 0;
  for (int i = 0; i < r->n; i++) {
    if (r->mistag[i] <= 0 || (i % step && i != r->n - 1)) continue;
    xs[*n] = r->eff[i];
    ys[(*n)++] = r->mistag[i];
  }
}

static int plot_rocs(const char *dir, const nf_metrics *fx, const nf_metrics *fl, const char *const *labels,
                     nf_error *err) {
  int C = fx->n_classes, ns = 0, rc = NF_OK;
  nf_series s[32];
  double *buf[32] = {0};
  char legend[32][80];
  for (int c = 0; c < C && c < 16 && !rc; c++) {
    for (int v = 0; v < 2; v++) {
      const nf_metrics *mt = v ? fx : fl;
      if (!mt) continue;
      const nf_roc *r = &mt->roc[c];
      double *xs = malloc((size_t)(r->n + 1) * 2 * sizeof *xs);
      if (!xs) {
        rc = nf_fail_oom(err, "ROC plot");
        break;
      }
      buf[ns] = xs;
      int n;
      roc_points(r, xs, xs + r->n + 1, &n);
      snprintf(legend[ns], sizeof legend[ns], "%s %s, AUC = %.1f%%", labels[c], v ? "fixed" : "float", 100 * r->auc);
      s[ns] = (nf_series){legend[ns], xs, xs + r->n + 1, n, v ? NF_LINE_DASHED : NF_LINE_SOLID, c};
      ns++;
    }
  }
  nf_plot_opts o = {.title = "ROC curves: float (solid) vs bit-accurate fixed point (dashed)",
                    .xlabel = "Signal efficiency", .ylabel = "Background mistag rate", .logy = true,
                    .xmin = 0, .xmax = 1, .ymin = 1e-3, .ymax = 1, .legend_pos = "br"};
  char path[4200];
  if (!rc) {
    snprintf(path, sizeof path, "%s/roc_fixed.png", dir);
    rc = nf_plot_lines(path, &o, s, ns, err);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/roc_fixed.svg", dir);
    rc = nf_plot_lines(path, &o, s, ns, err);
  }
  for (int i = 0; i < ns; i++) free(buf[i]);
  return rc;
}

static cJSON *auc_json(const nf_metrics *mt, const char *const *labels) {
  cJSON *o = cJSON_CreateObject();
  for (int c = 0; c < mt->n_classes; c++) cJSON_AddNumberToObject(o, labels[c], mt->roc[c].auc);
  return o;
}

/* Zero weight codes per Dense of the design: multipliers the hardware leaves out. */
static cJSON *design_sparsity(const nf_design *d, double *overall) {
  cJSON *per = cJSON_CreateObject();
  long zeros = 0, total = 0;
  for (int i = 0; i < d->n_layers; i++) {
    const nf_design_layer *l = &d->layers[i];
    if (l->kind != NF_DL_DENSE) continue;
    long n = (long)l->n_in * l->n_out, z = 0;
    for (long k = 0; k < n; k++) z += l->weights[k] == 0;
    cJSON_AddNumberToObject(per, l->name, n ? (double)z / n : 0);
    zeros += z, total += n;
  }
  *overall = total ? (double)zeros / total : 0;
  return per;
}

static void print_result(const char *project, const nf_design *d, const nf_metrics *fx, const nf_metrics *fl,
                         const char *const *labels, bool json) {
  double sparsity;
  cJSON *per_layer = design_sparsity(d, &sparsity);
  if (json) {
    cJSON *o = cJSON_CreateObject(), *conf = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "project", project);
    cJSON_AddNumberToObject(o, "sparsity", sparsity);
    cJSON_AddItemToObject(o, "sparsity_per_layer", per_layer);
    cJSON_AddNumberToObject(o, "rows", (double)fx->n_rows);
    cJSON_AddNumberToObject(o, "accuracy", fx->accuracy);
    cJSON_AddItemToObject(o, "auc", auc_json(fx, labels));
    for (int r = 0; r < fx->n_classes; r++) {
      cJSON *row = cJSON_CreateArray();
      for (int c = 0; c < fx->n_classes; c++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)fx->confusion[r * fx->n_classes + c]));
      cJSON_AddItemToArray(conf, row);
    }
    cJSON_AddItemToObject(o, "confusion", conf);
    if (fl) {
      cJSON_AddNumberToObject(o, "float_accuracy", fl->accuracy);
      cJSON_AddItemToObject(o, "float_auc", auc_json(fl, labels));
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
    return;
  }
  printf("project %s: %ld rows\nbit-accurate accuracy: %.4f", project, fx->n_rows, fx->accuracy);
  if (fl) printf("   (float model: %.4f)", fl->accuracy);
  printf("\nweight sparsity: %.1f%%:", 100 * sparsity);
  const cJSON *item;
  cJSON_ArrayForEach(item, per_layer) printf(" %s %.1f%%", item->string, 100 * item->valuedouble);
  cJSON_Delete(per_layer);
  printf("\n\n%-8s %10s %10s\n", "class", "AUC fixed", fl ? "AUC float" : "");
  for (int c = 0; c < fx->n_classes; c++) {
    printf("%-8s %10.4f", labels[c], fx->roc[c].auc);
    if (fl) printf(" %10.4f", fl->roc[c].auc);
    printf("\n");
  }
  printf("\nconfusion matrix (rows = true class, columns = predicted):\n%8s", "");
  for (int c = 0; c < fx->n_classes; c++) printf(" %9s", labels[c]);
  printf("\n");
  for (int r = 0; r < fx->n_classes; r++) {
    printf("%-8s", labels[r]);
    for (int c = 0; c < fx->n_classes; c++) printf(" %9ld", fx->confusion[r * fx->n_classes + c]);
    printf("\n");
  }
}

int eval_project(const char *project, const char *data_path, bool test_only, double val_frac, double test_frac,
                 long rows, bool json, const char *plots) {
  nf_error err = {0};
  nf_project *p = NULL;
  nf_design *d = NULL;
  nf_model *m = NULL;
  nf_dataset ds = {0};
  nf_split split = {0};
  nf_metrics fx = {0}, fl = {0};
  float *x = NULL;
  int *y = NULL;
  double *pf = NULL, *pq = NULL;
  int rc = nf_project_open(project, &p, &err);
  if (!rc && !(d = p->design)) rc = nf_fail(&err, NF_EINPUT, "%s: an RTL-only project (no design.json) has no emulator to evaluate", project);
  if (!rc) m = source_model(p);
  if (m && m->n_outputs != d->n_outputs) { /* e.g. the source was replaced: no comparison */
    nf_model_free(m);
    m = NULL;
  }
  if (!rc) rc = data_path ? nf_data_load(data_path, &ds, &err) : nf_data_synth(rows, NF_TRAIN_DEFAULT_DATA_SEED, &ds, &err);
  if (!rc && ds.n_features != d->n_inputs)
    rc = nf_fail(&err, NF_EINPUT, "%s has %d features, the design takes %d", data_path ? data_path : "data",
                 ds.n_features, d->n_inputs);
  if (!rc && test_only) rc = nf_data_split(&ds, val_frac, test_frac, NF_TRAIN_SPLIT_SEED, &split, &err);
  long n = test_only ? split.n_test : ds.n_rows;
  int F = ds.n_features, K = d ? d->n_outputs : 0;
  if (!rc && n < 1) rc = nf_fail(&err, NF_EINPUT, "no rows to evaluate");
  if (!rc) {
    x = nf_malloc((size_t)n * F * sizeof *x, &err);
    y = nf_malloc((size_t)n * sizeof *y, &err);
    pq = nf_malloc((size_t)n * K * sizeof *pq, &err);
    if (m) pf = nf_malloc((size_t)n * m->n_outputs * sizeof *pf, &err);
    if (!x || !y || !pq || (m && !pf)) rc = NF_EINTERNAL;
  }
  for (long i = 0; !rc && i < n; i++) {
    long r = test_only ? split.test[i] : i;
    memcpy(x + (size_t)i * F, ds.x + (size_t)r * F, (size_t)F * sizeof *x);
    y[i] = ds.y[r];
  }
  if (!rc) rc = fixed_scores(d, x, n, pq, &err);
  if (!rc) rc = nf_metrics_compute(pq, y, n, K, &fx, &err);
  if (!rc && m) rc = nf_model_forward(m, x, n, -1, true, pf, &err);
  if (!rc && m) rc = nf_metrics_compute(pf, y, n, K, &fl, &err);
  const char *names[16];
  char numbers[16][8];
  for (int c = 0; c < K && c < 16; c++) {
    snprintf(numbers[c], sizeof numbers[c], "%d", c);
    names[c] = d->class_names ? d->class_names[c] : (ds.class_names && c < ds.n_classes) ? ds.class_names[c] : numbers[c];
  }
  if (!rc && plots) rc = nf_mkdir_p(plots, &err);
  if (!rc && plots) rc = plot_rocs(plots, &fx, m ? &fl : NULL, names, &err);
  if (!rc && plots) {
    double *z = malloc((size_t)K * K * sizeof *z);
    char path[4200];
    snprintf(path, sizeof path, "%s/confusion_fixed.png", plots);
    nf_plot_opts o = {.title = "Confusion matrix, bit-accurate (fraction of each true class)",
                      .xlabel = "Predicted class", .ylabel = "True class"};
    for (int r = 0; z && r < K; r++) {
      long tot = 0;
      for (int c = 0; c < K; c++) tot += fx.confusion[r * K + c];
      for (int c = 0; c < K; c++) z[r * K + c] = tot ? (double)fx.confusion[r * K + c] / tot : 0;
    }
    rc = z ? nf_plot_heatmap(path, &o, z, K, K, names, names, &err) : nf_fail_oom(&err, "plot");
    free(z);
  }
  if (!rc) print_result(project, d, &fx, m ? &fl : NULL, names, json);
  free(x);
  free(y);
  free(pf);
  free(pq);
  nf_metrics_free(&fx);
  nf_metrics_free(&fl);
  nf_split_free(&split);
  nf_dataset_free(&ds);
  nf_model_free(m);
  nf_project_free(p);
  return rc ? cli_report("eval", &err) : 0;
}
