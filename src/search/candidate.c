/* One candidate: train -> convert (child steps writing the model file and
 * the project directory, read back through the library), then in this
 * process the bit-accurate validation accuracy, the latency and the
 * estimate, into <dir>/result.json. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"
#include "nnfirm/project.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/rtl.h"
#include "nnfirm/search.h"
#include "nnfirm/synth.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

static int load_data(const char *data, nf_dataset *ds, nf_error *err) {
  return data && *data ? nf_data_load(data, ds, err)
                       : nf_data_synth(NF_TRAIN_DEFAULT_ROWS, NF_TRAIN_DEFAULT_DATA_SEED, ds, err);
}

/* Rows the design classifies right: argmax (first maximum) of its output —
 * the table softmax when the design has one in hardware, else the logits
 * (a softmax does not move the argmax) — as 'nnfirm eval PROJECT' counts. */
static int count_correct(const nf_design *d, const nf_dataset *ds, const long *rows, long n, long *correct,
                         nf_error *err) {
  *correct = 0;
  if (ds->n_features != d->n_inputs)
    return nf_fail(err, NF_EINPUT, "the data have %d features, the design takes %d", ds->n_features, d->n_inputs);
  if (n < 1) return nf_fail(err, NF_EINPUT, "no rows to score");
  int F = ds->n_features, K = d->n_outputs;
  float *x = nf_malloc((size_t)n * F * sizeof *x, err);
  double *out = nf_malloc((size_t)n * K * sizeof *out, err);
  int rc = x && out ? NF_OK : NF_EINTERNAL;
  for (long i = 0; !rc && i < n; i++) memcpy(x + (size_t)i * F, ds->x + (size_t)rows[i] * F, (size_t)F * sizeof *x);
  if (!rc) rc = nf_emulate_values(d, x, n, d->n_hw - 1, out, err);
  for (long i = 0; !rc && i < n; i++) {
    const double *p = out + (size_t)i * K;
    int best = 0;
    for (int k = 1; k < K; k++)
      if (p[k] > p[best]) best = k;
    *correct += best == ds->y[rows[i]];
  }
  free(x);
  free(out);
  return rc;
}

static int score_split(const char *project, const nf_dataset *ds, char which, long *correct, long *rows, nf_error *err) {
  nf_design *d = NULL;
  nf_split s = {0};
  int rc = nf_design_load(project, &d, err);
  if (!rc) rc = nf_data_holdout(ds, NF_SPLIT_VAL_FRAC, NF_SPLIT_TEST_FRAC, &s, err);
  const long *idx = which == 't' ? s.test : s.val;
  *rows = which == 't' ? s.n_test : s.n_val;
  if (!rc) rc = count_correct(d, ds, idx, *rows, correct, err);
  if (rc) nf_fail_context(err, "scoring %s", project);
  nf_split_free(&s);
  nf_design_free(d);
  return rc;
}

int nf_search_score(const char *project, const char *data, char which, long *correct, long *rows, nf_error *err) {
  nf_dataset ds = {0};
  *correct = *rows = 0;
  int rc = load_data(data, &ds, err);
  if (!rc) rc = score_split(project, &ds, which, correct, rows, err);
  nf_dataset_free(&ds);
  return rc;
}

int nf_search_score_model(const char *model_path, const char *data, char which, long *correct, long *rows,
                          nf_error *err) {
  nf_dataset ds = {0};
  nf_split s = {0};
  nf_model *m = NULL;
  *correct = *rows = 0;
  int rc = load_data(data, &ds, err);
  if (!rc) rc = nf_model_open(model_path, NULL, &m, err);
  if (!rc && m->n_features != ds.n_features)
    rc = nf_fail(err, NF_EINPUT, "%s takes %d features, the data have %d", model_path, m->n_features, ds.n_features);
  if (!rc) rc = nf_data_holdout(&ds, NF_SPLIT_VAL_FRAC, NF_SPLIT_TEST_FRAC, &s, err);
  const long *idx = which == 't' ? s.test : s.val;
  long n = which == 't' ? s.n_test : s.n_val;
  double loss, acc = 0;
  if (!rc && n < 1) rc = nf_fail(err, NF_EINPUT, "no rows to score");
  if (!rc) rc = nf_train_evaluate(m, ds.x, ds.y, idx, n, &loss, &acc, err);
  if (!rc) *correct = lround(acc * (double)n), *rows = n;
  nf_model_free(m);
  nf_split_free(&s);
  nf_dataset_free(&ds);
  return rc;
}

/* The float model's validation accuracy, the fraction of zero Dense weights. */
static int model_figures(const char *model_path, const nf_dataset *ds, nf_search_result *r, nf_error *err) {
  nf_model *m = NULL;
  nf_split s = {0};
  int rc = nf_model_open(model_path, NULL, &m, err);
  if (!rc) rc = nf_data_holdout(ds, NF_SPLIT_VAL_FRAC, NF_SPLIT_TEST_FRAC, &s, err);
  double loss;
  if (!rc && s.n_val) rc = nf_train_evaluate(m, ds->x, ds->y, s.val, s.n_val, &loss, &r->model_accuracy_validation, err);
  if (!rc) r->sparsity = nf_model_sparsity(m, -1, NULL, NULL);
  nf_split_free(&s);
  nf_model_free(m);
  return rc;
}

/* Latency in cycles at the design's clock, and the estimate. */
static int firmware_figures(const char *project, const char *part, nf_search_result *r, nf_error *err) {
  nf_project *p = NULL;
  int rc = nf_project_open(project, &p, err);
  if (!rc) {
    r->latency_cycles = p->info.latency;
    r->clock_period_ns = p->design->clock_period_ns;
    nf_project_free(p);
  }
  nf_estimate e;
  if (!rc) rc = nf_project_estimate(project, part, false, &e, err);
  if (!rc) {
    r->est_lut = (double)lround(e.lut), r->est_ff = (double)lround(e.ff), r->est_dsp = (double)lround(e.dsp);
    r->est_lut_pct = e.lut_pct, r->est_ff_pct = e.ff_pct;
    nf_estimate_free(&e);
  }
  return rc;
}

static void result_init(nf_search_result *r, const nf_search_candidate *c, const char *data) {
  memset(r, 0, sizeof *r);
  snprintf(r->id, sizeof r->id, "%s", c->id);
  nf_search_format_spec(c, r->spec, sizeof r->spec);
  snprintf(r->data, sizeof r->data, "%s", data ? data : "");
  r->accuracy_validation = r->model_accuracy_validation = r->sparsity = NAN;
  r->latency_cycles = r->clock_period_ns = NAN;
  r->est_lut = r->est_ff = r->est_dsp = r->est_lut_pct = r->est_ff_pct = NAN;
  r->accuracy_test = r->test_ci95_low = r->test_ci95_high = NAN;
  r->synth.critical_path_ns = r->synth.fmax_mhz = r->synth.seconds = NAN;
  r->synth.meets_timing = -1;
  r->seconds_train = r->seconds_convert = r->seconds_score = r->seconds_estimate = NAN;
}

int nf_search_run_candidate(const nf_search_job *job, const nf_search_candidate *c, const char *dir,
                            nf_search_result *r, nf_error *err) {
  result_init(r, c, job->data);
  char model[4200], proj[4200], cfg[4200];
  if (strlen(dir) > 4000) return nf_fail(err, NF_EINPUT, "%s: directory name too long", dir);
  int rc = nf_mkdir_p(dir, err);
  if (rc) return rc;
  snprintf(model, sizeof model, "%s/model.nnf", dir);
  snprintf(proj, sizeof proj, "%s/project", dir);
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  char text[300], bits[8], prune[16], epochs[16], quant[400], hgq[32], hgqa[32], seed[32];
  snprintf(text, sizeof text, "{\"Model\": {\"ReuseFactor\": %d}, \"Part\": \"%s\"}\n", c->reuse, job->part);
  if ((rc = nf_write_file_atomic(cfg, text, strlen(text), err))) return rc;
  snprintf(bits, sizeof bits, "%d", c->bits);
  snprintf(prune, sizeof prune, "%.2f", c->prune);
  snprintf(epochs, sizeof epochs, "%d", job->epochs);
  /* --quant: per-layer bits (fc1.., output) and the input quantizer */
  int q = 0, layer = 0;
  for (const char *lb = c->lbits; *lb; layer++) {
    int b = atoi(lb);
    const char *comma = strchr(lb, ',');
    if (comma) q += snprintf(quant + q, sizeof quant - (size_t)q, "fc%d:w%di0,b%di0,a%di0;", layer + 1, b, b, b);
    else q += snprintf(quant + q, sizeof quant - (size_t)q, "output:w%di0,b%di0;", b, b);
    if (!comma) break;
    lb = comma + 1;
  }
  if (c->in_bits != 16) q += snprintf(quant + q, sizeof quant - (size_t)q, "input:a%di3;", c->in_bits);
  if (q > 0) quant[q - 1] = '\0'; /* the last ';' */
  snprintf(hgq, sizeof hgq, "%g", c->hgq);
  snprintf(hgqa, sizeof hgqa, "%g", c->hgq_act);
  snprintf(seed, sizeof seed, "%ld", c->seed);
  const char *train[32] = {"train", "--hidden", c->hidden, "--bits", bits, "--epochs", epochs, "--quiet", "-o", model};
  int n = 10;
  if (job->data) train[n++] = "--data", train[n++] = job->data;
  if (c->prune > 0) train[n++] = "--prune", train[n++] = prune;
  if (q > 0) train[n++] = "--quant", train[n++] = quant;
  /* the weights' penalty counts the bit operations the RTL builds (train.h) */
  if (c->hgq > 0) train[n++] = "--hgq", train[n++] = hgq, train[n++] = "--hgq-penalty", train[n++] = "ops";
  /* per-neuron activation bits within the layer's quantized_relu range (RND/SAT: fused into the Dense) */
  if (c->hgq_act > 0) train[n++] = "--hgq-act", train[n++] = hgqa, train[n++] = "--hgq-act-range", train[n++] = "relu";
  if (c->fan_in[0]) train[n++] = "--fan-in", train[n++] = c->fan_in;
  if (c->seed != NF_SEARCH_DEFAULT_SEED) train[n++] = "--seed", train[n++] = seed;
  train[n] = NULL;
  const char *conv[] = {"convert", model, "--config", cfg, "-o", proj, NULL};
  double t = nf_now();
  if (nf_step_run_in(job->exe, train, dir, "train") != 0) snprintf(r->failed, sizeof r->failed, "train");
  r->seconds_train = nf_now() - t, t = nf_now();
  if (!r->failed[0] && nf_step_run_in(job->exe, conv, dir, "convert") != 0) snprintf(r->failed, sizeof r->failed, "convert");
  if (!r->failed[0]) r->seconds_convert = nf_now() - t;
  nf_error step_err = {0};
  if (!r->failed[0]) { /* in this process: the figures */
    nf_dataset ds = {0};
    t = nf_now();
    int src = load_data(job->data, &ds, &step_err);
    if (!src) src = score_split(proj, &ds, 'v', &r->validation_correct, &r->validation_rows, &step_err);
    if (!src) r->accuracy_validation = (double)r->validation_correct / (double)r->validation_rows;
    if (src) snprintf(r->failed, sizeof r->failed, "eval");
    if (!src && (src = model_figures(model, &ds, r, &step_err))) snprintf(r->failed, sizeof r->failed, "eval");
    if (!src) r->seconds_score = nf_now() - t, t = nf_now();
    if (!src && (src = firmware_figures(proj, job->part, r, &step_err))) snprintf(r->failed, sizeof r->failed, "estimate");
    if (!src) r->seconds_estimate = nf_now() - t;
    nf_dataset_free(&ds);
    if (src) { /* the step's log, as the child steps have theirs */
      char log[4300];
      snprintf(log, sizeof log, "%s/%s.log", dir, r->failed);
      nf_write_file_atomic(log, step_err.msg, strlen(step_err.msg), NULL);
    }
  }
  if ((rc = nf_search_result_write(dir, r, err))) return rc;
  if (r->failed[0])
    return nf_fail(err, NF_EINPUT, "candidate %s: step '%s' failed (see %s/%s.log)%s%s", c->id, r->failed, dir,
                   r->failed, step_err.msg[0] ? ": " : "", step_err.msg);
  return NF_OK;
}
