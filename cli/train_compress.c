/* nnfirm train's compression options: pruning targets and schedule defaults,
 * sparsity per layer (text and JSON), and the weight-distribution plots
 * before/after pruning (the hls4ml tutorial's figure). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/report.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

/* "0.75" (every Dense) or "fc1:0.8,output:0.5" (those layers only). */
int train_prune_targets(const nf_model *m, const char *text, double *uniform, double **per_layer, nf_error *err) {
  *per_layer = NULL;
  if (nf_parse_double(text, uniform)) {
    if (!(*uniform >= 0 && *uniform < 1))
      return nf_fail(err, NF_EINPUT, "--prune %s: the target sparsity must be in [0, 1)", text);
    return NF_OK;
  }
  double *t = nf_malloc((size_t)m->n_layers * sizeof *t, err);
  char buf[1024];
  if (!t) return NF_EINTERNAL;
  for (int i = 0; i < m->n_layers; i++) t[i] = NAN;
  snprintf(buf, sizeof buf, "%s", text);
  char *save = NULL;
  int rc = NF_OK;
  for (char *it = strtok_r(buf, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(it, ':');
    double v;
    if (colon) *colon = '\0';
    int li = colon ? nf_model_find_layer(m, it) : -1;
    if (!colon || !nf_parse_double(colon + 1, &v))
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': expected a sparsity such as 0.75, or LAYER:SPARSITY,... ", text);
    else if (li < 0 || m->layers[li].kind != NF_LAYER_DENSE)
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': '%s' is not a Dense layer of the model", text, it);
    else if (!(v >= 0 && v < 1))
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': target %g for %s is outside [0, 1)", text, v, it);
    else t[li] = v;
  }
  if (rc) {
    free(t);
    return rc;
  }
  *uniform = 0;
  for (int i = 0; i < m->n_layers; i++)
    if (!isnan(t[i]) && t[i] > *uniform) *uniform = t[i];
  *per_layer = t;
  return NF_OK;
}

/* The schedule: tfmot's PolynomialDecay (power 3, from sparsity 0); where
 * the user does not say, pruning runs from 20% to 60% of the training steps
 * in 20 updates, leaving 40% of the steps to recover. */
int train_prune_schedule(const char *text, double target, long total_steps, nf_prune_schedule *s, nf_error *err) {
  const long UNSET = -1;
  *s = (nf_prune_schedule){.initial_sparsity = 0, .final_sparsity = target, .begin_step = UNSET, .end_step = UNSET,
                           .frequency = UNSET, .power = 3};
  if (text) {
    int rc = nf_prune_schedule_parse(text, s, err);
    if (rc) return rc;
  }
  if (s->begin_step == UNSET) s->begin_step = s->end_step != UNSET && s->end_step < total_steps / 5 ? 0 : total_steps / 5;
  bool end_default = s->end_step == UNSET;
  if (end_default) s->end_step = s->begin_step + (long)(0.4 * (double)total_steps);
  if (s->frequency == UNSET) {
    long span = s->end_step - s->begin_step;
    s->frequency = span >= 20 ? span / 20 : 1;
    if (end_default) s->end_step = s->begin_step + s->frequency * (span / s->frequency); /* lands on the target */
  }
  int rc = nf_prune_schedule_check(s, err);
  if (!rc && s->end_step >= total_steps)
    rc = nf_fail(err, NF_EINPUT, "pruning schedule ends at step %ld, but training runs only %ld steps (epochs x "
                                 "batches); lower end= or train longer", s->end_step, total_steps);
  return rc;
}

cJSON *train_sparsity_json(const nf_model *m) {
  cJSON *per = cJSON_CreateObject();
  for (int i = 0; per && i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_DENSE)
      cJSON_AddNumberToObject(per, m->layers[i].name, nf_model_sparsity(m, i, NULL, NULL));
  return per;
}

void train_print_sparsity(const nf_model *m) {
  long z, n;
  double s = nf_model_sparsity(m, -1, &z, &n);
  printf("weight sparsity: %.1f%% (%ld of %ld zero):", 100 * s, z, n);
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_DENSE) printf(" %s %.1f%%", m->layers[i].name, 100 * nf_model_sparsity(m, i, NULL, NULL));
  printf("\n");
  bool any = false;
  for (int i = 0; i < m->n_layers; i++) {
    double b = nf_layer_mean_weight_bits(&m->layers[i]);
    if (isnan(b)) continue;
    printf("%s %s %.2f/%d", any ? "" : "mean bits of the nonzero weights (of the type's):", m->layers[i].name, b,
           m->layers[i].kernel_q.bits);
    any = true;
  }
  if (any) printf("\n");
}

cJSON *train_weight_bits_json(const nf_model *m) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; o && i < m->n_layers; i++) {
    double b = nf_layer_mean_weight_bits(&m->layers[i]);
    if (!isnan(b)) cJSON_AddNumberToObject(o, m->layers[i].name, b);
  }
  return o;
}

/* ---- Weight-distribution plots --------------------------------------------------- */

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

int train_plot_weights(const char *dir, const nf_model *m, const nf_pruner *p, nf_error *err) {
  int rc = nf_mkdir_p(dir, err), plotted = 0;
  for (int i = 0; !rc && i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    const float *before = p ? nf_pruner_before(p, i) : NULL;
    if (l->kind != NF_LAYER_DENSE || !before) continue;
    long n = (long)l->n_in * l->n_out;
    float *after = nf_malloc((size_t)n * sizeof *after, err);
    if (!after) return NF_EINTERNAL;
    for (long k = 0; k < n; k++)
      after[k] = l->mask && !l->mask[k] ? 0.0f : (float)nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
    rc = plot_layer(dir, l, before, after, err);
    free(after);
    plotted++;
  }
  if (!rc && !plotted)
    rc = nf_fail(err, NF_EINPUT, "--plot-weights: pruning never began (its begin step was not reached), nothing to plot");
  return rc;
}
