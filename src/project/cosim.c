/* Co-simulation of a project: the expected output codes (the emulator,
 * checked against the generator's own SPEC §3 reference), the simulator
 * run (nf_cosim_run), and PROJECT/cosim/ with report.json. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/project.h"
#include "nnfirm/util.h"

/* in [rows][n_in] input codes and want [rows][n_out] expected codes. */
static int expected_outputs(const nf_project *p, const nf_project_cosim_opts *o, int64_t *in, int64_t *want,
                            nf_project_cosim *r, nf_error *err) {
  const nf_rtl_info *info = &p->info;
  long rows = o->n_rows;
  int rc = NF_OK;
  /* the emulator's own input path: scaler, then the input type */
  float *raw = nf_malloc((size_t)rows * info->n_in * sizeof *raw, err);
  if (!raw) return NF_EINTERNAL;
  for (long i = 0; i < rows * info->n_in; i++) raw[i] = (float)o->rows[i];
  rc = nf_emulate_inputs(p->design, raw, rows, in, err);
  free(raw);
  if (!rc) rc = nf_emulate(p->design, in, rows, p->design->n_hw - 1, want, err);
  r->expected_from = "emulator";
  int64_t *ref = rc ? NULL : nf_malloc((size_t)info->n_out * sizeof *ref, err);
  if (!rc && !ref) rc = NF_EINTERNAL;
  nf_progress bar;
  nf_progress_begin(&bar, "reference", rows, o->quiet);
  for (long i = 0; i < rows && !rc; i++) {
    rc = nf_rtl_reference(p->design, in + (size_t)i * info->n_in, ref, err);
    for (int k = 0; !rc && k < info->n_out; k++) r->reference_disagreements += ref[k] != want[(size_t)i * info->n_out + k];
    if (i % 256 == 0) nf_progress_update(&bar, i, NULL);
  }
  nf_progress_end(&bar);
  free(ref);
  return rc;
}

static char *report_json(const nf_project *p, nf_simulator sim, const nf_project_cosim *pr) {
  const nf_cosim_result *r = &pr->sim;
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "top", p->top);
  cJSON_AddStringToObject(o, "simulator", nf_simulator_name(sim));
  cJSON_AddNumberToObject(o, "rows", (double)r->rows);
  cJSON_AddNumberToObject(o, "outputs_compared", (double)r->outputs * p->info.n_out);
  cJSON_AddNumberToObject(o, "mismatches", (double)r->mismatches);
  cJSON_AddStringToObject(o, "expected_from", pr->expected_from);
  cJSON_AddNumberToObject(o, "reference_disagreements", (double)pr->reference_disagreements);
  if (r->mismatches) {
    cJSON_AddNumberToObject(o, "first_mismatch_row", (double)r->first_bad_row);
    cJSON_AddNumberToObject(o, "first_mismatch_output", (double)r->first_bad_output);
  }
  cJSON_AddNumberToObject(o, "latency_cycles", r->latency);
  cJSON_AddNumberToObject(o, "ii", r->ii);
  cJSON_AddNumberToObject(o, "expected_latency_cycles", p->info.latency);
  cJSON_AddNumberToObject(o, "expected_ii", p->info.ii);
  cJSON_AddNumberToObject(o, "build_seconds", r->build_seconds);
  cJSON_AddNumberToObject(o, "sim_seconds", r->sim_seconds);
  cJSON_AddNumberToObject(o, "rows_per_second", r->rows_per_second);
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

static int cosim_rows(const nf_project *p, const nf_project_cosim_opts *o, nf_project_cosim *r, nf_error *err);

int nf_project_cosim_run(const nf_project *p, const nf_project_cosim_opts *opts, nf_project_cosim *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  if (!p->has_rtl) return nf_fail(err, NF_EINPUT, "%s: converted without RTL (--no-rtl); nothing to co-simulate", p->dir);
  if (opts->rows || !opts->input) return cosim_rows(p, opts, r, err);
  nf_project_cosim_opts o = *opts;
  double *rows = NULL;
  int rc = nf_data_load_rows(opts->input, p->info.n_in, opts->max_rows, &rows, &o.n_rows, err);
  o.rows = rows;
  if (!rc) rc = cosim_rows(p, &o, r, err);
  free(rows);
  return rc;
}

static int cosim_rows(const nf_project *p, const nf_project_cosim_opts *o, nf_project_cosim *r, nf_error *err) {
  if (o->n_rows < 1) return nf_fail(err, NF_EINPUT, "%s: no input rows", p->dir);
  int64_t *in = nf_malloc((size_t)o->n_rows * p->info.n_in * sizeof *in, err);
  int64_t *want = in ? nf_malloc((size_t)o->n_rows * p->info.n_out * sizeof *want, err) : NULL;
  int rc = want ? expected_outputs(p, o, in, want, r, err) : NF_EINTERNAL;
  char out_dir[4200], *tmp = NULL;
  snprintf(out_dir, sizeof out_dir, "%s/cosim", p->dir);
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp, err);
  if (!rc) {
    char rtl[4200], tb[4200];
    snprintf(rtl, sizeof rtl, "%s/rtl", p->dir);
    snprintf(tb, sizeof tb, "%s/tb", p->dir);
    nf_cosim_opts co = {.rtl_dir = rtl, .tb_dir = tb, .top = p->top, .work_dir = tmp, .simulator = o->simulator,
                        .info = &p->info, .n_rows = o->n_rows, .in_codes = in, .expected = want, .quiet = o->quiet};
    rc = nf_cosim_run(&co, &r->sim, err);
  }
  if (!rc && !(r->report_json = report_json(p, o->simulator, r))) rc = nf_fail_oom(err, "cosim report");
  if (!rc) {
    char path[4300];
    snprintf(path, sizeof path, "%s/report.json", tmp);
    rc = nf_write_file_atomic(path, r->report_json, strlen(r->report_json), err);
    /* the simulator's build tree is large and of no use afterwards */
    snprintf(path, sizeof path, "%s/obj", tmp);
    nf_rm_rf(path);
  }
  if (!rc) rc = nf_outdir_commit(tmp, out_dir, err);
  else if (tmp) nf_outdir_abort(tmp);
  free(tmp);
  free(in);
  free(want);
  if (rc) {
    free(r->report_json);
    r->report_json = NULL;
  }
  return rc;
}
