/* A candidate's figures on disk: <dir>/result.json, written and read here
 * only (the search never reads another command's output by key). */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/search.h"
#include "nnfirm/util.h"

double nf_search_cost(const nf_search_result *r) {
  return r->synth.done ? r->synth.lut_pct + r->synth.ff_pct : r->est_lut_pct + r->est_ff_pct;
}

static bool add_num(cJSON *o, const char *key, double v) {
  return isfinite(v) ? cJSON_AddNumberToObject(o, key, v) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

static double get_num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A count, or 0 when missing (NaN does not convert to an integer). */
static long get_count(const cJSON *o, const char *key) {
  double v = get_num(o, key);
  return isfinite(v) && v >= 0 && v < 9e18 ? (long)v : 0;
}

static const char *get_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int nf_search_result_write(const char *dir, const nf_search_result *r, nf_error *err) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddNumberToObject(o, "format", NF_SEARCH_RESULT_FORMAT) && cJSON_AddStringToObject(o, "id", r->id) &&
            cJSON_AddStringToObject(o, "spec", r->spec) && cJSON_AddStringToObject(o, "data", r->data);
  if (ok && r->failed[0]) ok = cJSON_AddStringToObject(o, "failed", r->failed) != NULL;
  ok = ok && add_num(o, "accuracy_validation", r->accuracy_validation) &&
       add_num(o, "validation_rows", (double)r->validation_rows) &&
       add_num(o, "validation_correct", (double)r->validation_correct) &&
       add_num(o, "model_accuracy_validation", r->model_accuracy_validation) && add_num(o, "sparsity", r->sparsity) &&
       add_num(o, "latency_cycles", r->latency_cycles) && add_num(o, "clock_period_ns", r->clock_period_ns) &&
       add_num(o, "est_lut", r->est_lut) && add_num(o, "est_ff", r->est_ff) && add_num(o, "est_dsp", r->est_dsp) &&
       add_num(o, "est_lut_pct", r->est_lut_pct) && add_num(o, "est_ff_pct", r->est_ff_pct);
  cJSON *sec = ok ? cJSON_AddObjectToObject(o, "seconds") : NULL;
  ok = sec && add_num(sec, "train", r->seconds_train) && add_num(sec, "convert", r->seconds_convert) &&
       add_num(sec, "score", r->seconds_score) && add_num(sec, "estimate", r->seconds_estimate);
  if (ok && !r->synth.done) ok = cJSON_AddNullToObject(o, "synth") != NULL;
  else if (ok) {
    const nf_search_synth *s = &r->synth;
    cJSON *so = cJSON_AddObjectToObject(o, "synth");
    ok = so && cJSON_AddStringToObject(so, "part", s->part) && add_num(so, "lut", s->lut) && add_num(so, "ff", s->ff) &&
         add_num(so, "dsp", s->dsp) && add_num(so, "lut_pct", s->lut_pct) && add_num(so, "ff_pct", s->ff_pct) &&
         add_num(so, "critical_path_ns", s->critical_path_ns) && add_num(so, "fmax_mhz", s->fmax_mhz) &&
         add_num(so, "seconds", s->seconds) &&
         (s->meets_timing < 0 ? cJSON_AddNullToObject(so, "meets_timing") != NULL
                              : cJSON_AddBoolToObject(so, "meets_timing", s->meets_timing) != NULL);
  }
  char *text = ok ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  char path[4200];
  snprintf(path, sizeof path, "%s/result.json", dir);
  int rc = text ? nf_write_file_atomic(path, text, strlen(text), err) : nf_fail_oom(err, path);
  free(text);
  return rc;
}

int nf_search_result_read(const char *dir, nf_search_result *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  r->accuracy_test = r->test_ci95_low = r->test_ci95_high = NAN;
  char path[4200], *text = NULL;
  snprintf(path, sizeof path, "%s/result.json", dir);
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return rc;
  cJSON *o = cJSON_Parse(text);
  free(text);
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return nf_fail(err, NF_EINPUT, "%s: not a JSON object (edited by hand, or cut short?)", path);
  }
  const char *id = get_str(o, "id"), *spec = get_str(o, "spec"), *failed = get_str(o, "failed"), *data = get_str(o, "data");
  double format = get_num(o, "format");
  if (failed) snprintf(r->failed, sizeof r->failed, "%s", failed);
  if (isnan(format) && !failed)
    rc = nf_fail(err, NF_EINPUT, "%s: written by an earlier nnfirm search (result format 1: accuracy on the test split, "
                 "no validation accuracy); candidates are now chosen on validation: rerun them (nnfirm search, or "
                 "--emit and the cluster) before --collect", path);
  else if (!isnan(format) && format != NF_SEARCH_RESULT_FORMAT)
    rc = nf_fail(err, NF_EINPUT, "%s: result format %g, this nnfirm reads format %d", path, format, NF_SEARCH_RESULT_FORMAT);
  else if (failed) { /* the figures of a failed candidate do not matter */
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    cJSON_Delete(o);
    return NF_OK;
  } else if (!id || !spec || strlen(id) >= sizeof r->id || strlen(spec) >= sizeof r->spec)
    rc = nf_fail(err, NF_EINPUT, "%s: lacks the candidate's id or spec", path);
  if (!rc) {
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    snprintf(r->data, sizeof r->data, "%s", data ? data : "");
    r->accuracy_validation = get_num(o, "accuracy_validation");
    r->validation_rows = get_count(o, "validation_rows");
    r->validation_correct = get_count(o, "validation_correct");
    r->model_accuracy_validation = get_num(o, "model_accuracy_validation");
    r->sparsity = get_num(o, "sparsity");
    r->latency_cycles = get_num(o, "latency_cycles");
    r->clock_period_ns = get_num(o, "clock_period_ns");
    r->est_lut = get_num(o, "est_lut"), r->est_ff = get_num(o, "est_ff"), r->est_dsp = get_num(o, "est_dsp");
    r->est_lut_pct = get_num(o, "est_lut_pct"), r->est_ff_pct = get_num(o, "est_ff_pct");
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(o, "seconds"); /* NaN when absent */
    r->seconds_train = get_num(sec, "train"), r->seconds_convert = get_num(sec, "convert");
    r->seconds_score = get_num(sec, "score"), r->seconds_estimate = get_num(sec, "estimate");
    r->synth.meets_timing = -1;
    r->synth.critical_path_ns = r->synth.fmax_mhz = r->synth.seconds = NAN;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "synth");
    if (cJSON_IsObject(s)) {
      const char *part = get_str(s, "part");
      nf_search_synth *y = &r->synth;
      snprintf(y->part, sizeof y->part, "%s", part ? part : "");
      y->lut = get_num(s, "lut"), y->ff = get_num(s, "ff"), y->dsp = get_num(s, "dsp");
      y->lut_pct = get_num(s, "lut_pct"), y->ff_pct = get_num(s, "ff_pct");
      y->critical_path_ns = get_num(s, "critical_path_ns"), y->fmax_mhz = get_num(s, "fmax_mhz");
      y->seconds = get_num(s, "seconds");
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "meets_timing");
      y->meets_timing = cJSON_IsBool(m) ? cJSON_IsTrue(m) : -1;
      y->done = !isnan(y->lut_pct) && !isnan(y->ff_pct);
    }
    if (!r->failed[0] && (isnan(r->accuracy_validation) || isnan(r->est_lut_pct) || isnan(r->est_ff_pct)))
      rc = nf_fail(err, NF_EINPUT, "%s: a finished candidate without accuracy_validation, est_lut_pct or est_ff_pct", path);
  }
  cJSON_Delete(o);
  return rc;
}
