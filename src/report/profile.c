/* hls4ml-style numerical profiling (nnfirm profile): per-layer
 * distributions of |weights| and of |activations| on the data, as box plots
 * on a log axis, with the span the configured fixed-point type represents
 * shaded behind each row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/report.h"
#include "nnfirm/util.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Five-number summary of |v| over the non-zero values (sorts v in place). */
static bool summarize(double *v, long n, double stats[5]) {
  long m = 0;
  for (long i = 0; i < n; i++)
    if (v[i] != 0) v[m++] = fabs(v[i]);
  if (m == 0) return false;
  qsort(v, (size_t)m, sizeof *v, cmp_double);
  double q[5] = {0, 0.25, 0.5, 0.75, 1};
  for (int k = 0; k < 5; k++) stats[k] = v[(long)(q[k] * (m - 1))];
  return true;
}

static void type_band(const nf_fixed_type *t, double *lo, double *hi) {
  *lo = ldexp(1.0, -nf_fixed_frac_bits(t));
  *hi = nf_fixed_to_double(t, nf_fixed_max_code(t));
}

static int write_plots(const char *dir, const char *name, const char *title, nf_box_row *rows, int n, nf_error *err) {
  nf_plot_opts o = {.title = title, .xlabel = "|value| (log scale)", .logx = true, .height = 200 + 40 * n};
  char path[4300];
  snprintf(path, sizeof path, "%s/%s.png", dir, name);
  int rc = nf_plot_boxes(path, &o, rows, n, err);
  if (!rc) {
    snprintf(path, sizeof path, "%s/%s.svg", dir, name);
    rc = nf_plot_boxes(path, &o, rows, n, err);
  }
  return rc;
}

int nf_profile_run(const nf_profile_opts *po, nf_profile_result *res, nf_error *err) {
  const char *data = po->data, *cfg_path = po->config, *out = po->out_dir;
  long max_rows = po->max_rows > 0 ? po->max_rows : 20000;
  memset(res, 0, sizeof *res);
  nf_model *m = NULL;
  nf_dataset ds = {0};
  nf_config *cfg = NULL;
  nf_design *d = NULL;
  char *tmp = NULL;
  int rc = nf_model_open(po->model, po->weights, &m, err);
  if (!rc) rc = nf_data_load(data, &ds, err);
  if (!rc && ds.n_features != m->n_features)
    rc = nf_fail(err, NF_EINPUT, "%s: %d features, the model takes %d", data, ds.n_features, m->n_features);
  if (!rc && cfg_path) rc = nf_config_load(cfg_path, &cfg, err);
  if (!rc && cfg) rc = nf_design_build(m, cfg, ds.x, ds.n_rows < max_rows ? ds.n_rows : max_rows, &d, err);
  long n = ds.n_rows < max_rows ? ds.n_rows : max_rows;
  int width = m ? m->n_features : 1;
  for (int i = 0; m && i < m->n_layers; i++) width = m->layers[i].n_out > width ? m->layers[i].n_out : width;
  nf_box_row *wrows = calloc((size_t)(m ? m->n_layers : 1) * 2, sizeof *wrows);
  nf_box_row *arows = calloc((size_t)(m ? m->n_layers : 1) + 1, sizeof *arows);
  char(*labels)[NF_NAME_MAX + 8] = calloc((size_t)(m ? m->n_layers : 1) * 3 + 1, sizeof *labels);
  double *buf = malloc((size_t)(n > 0 ? n : 1) * width * sizeof *buf + 16);
  if (!rc && (!wrows || !arows || !labels || !buf)) rc = nf_fail_oom(err, "profile");
  int nw = 0, na = 0, nl = 0;
  for (int i = 0; !rc && i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    int di = d ? nf_design_find_layer(d, l->name) : -1;
    const nf_design_layer *dl = di >= 0 ? &d->layers[di] : NULL;
    if (l->kind == NF_LAYER_DENSE) { /* weights (and biases) */
      size_t nk = (size_t)l->n_in * l->n_out;
      for (int part = 0; part < 2; part++) {
        const float *src = part ? l->bias : l->kernel;
        size_t cnt = part ? (size_t)l->n_out : nk;
        if (!src) continue;
        double *v = malloc(cnt * sizeof *v);
        if (!v) {
          rc = nf_fail_oom(err, "profile");
          break;
        }
        for (size_t k = 0; k < cnt; k++) v[k] = src[k];
        nf_box_row *r = &wrows[nw];
        snprintf(labels[nl], sizeof labels[nl], "%s/%s", l->name, part ? "b" : "w");
        r->label = labels[nl++];
        r->band_lo = r->band_hi = NAN;
        if (dl) type_band(part ? &dl->bias_t : &dl->weight_t, &r->band_lo, &r->band_hi);
        if (summarize(v, (long)cnt, r->stats)) nw++;
        free(v);
      }
    }
    if (rc) break;
    if (l->kind == NF_LAYER_DROPOUT || (l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_SOFTMAX))
      continue; /* not in hardware: softmax probabilities would only stretch the axis */
    rc = nf_model_forward(m, ds.x, n, i, true, buf, err); /* activations: the layer's output */
    if (rc) break;
    nf_box_row *r = &arows[na];
    snprintf(labels[nl], sizeof labels[nl], "%s", l->name);
    r->label = labels[nl++];
    r->band_lo = r->band_hi = NAN;
    if (dl) type_band(&dl->result_t, &r->band_lo, &r->band_hi);
    if (summarize(buf, n * l->n_out, r->stats)) na++;
  }
  if (!rc) rc = nf_outdir_begin(out, &tmp, err);
  if (!rc) rc = write_plots(tmp, "weights", "Weights and biases per layer (|value|)", wrows, nw, err);
  if (!rc) rc = write_plots(tmp, "activations", "Layer outputs on the data (|value|)", arows, na, err);
  if (!rc) rc = nf_outdir_commit(tmp, out, err);
  else if (tmp) nf_outdir_abort(tmp);
  if (!rc) res->weight_rows = nw, res->activation_rows = na;
  free(tmp);
  free(wrows);
  free(arows);
  free(labels);
  free(buf);
  nf_design_free(d);
  nf_config_free(cfg);
  nf_dataset_free(&ds);
  nf_model_free(m);
  return rc;
}
