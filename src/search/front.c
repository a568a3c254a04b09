/* Merging finished candidates: synthesis of the most promising, the Pareto
 * front, the winner (all on validation accuracy), the winner's test-split
 * report with its 95% interval, its retrains, search.json and pareto.png. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnfirm/metrics.h"
#include "nnfirm/project.h"
#include "nnfirm/report.h"
#include "nnfirm/search.h"
#include "nnfirm/synth.h"
#include "nnfirm/util.h"
#include "search_internal.h"

void nf_search_mark_pareto(nf_search_result *r, int n) {
  for (int i = 0; i < n; i++) {
    r[i].pareto = true;
    double ai = r[i].accuracy_validation, ci = nf_search_cost(&r[i]);
    for (int j = 0; j < n && r[i].pareto; j++) {
      double aj = r[j].accuracy_validation, cj = nf_search_cost(&r[j]);
      if (j != i && aj >= ai && cj <= ci && (aj > ai || cj < ci)) r[i].pareto = false;
    }
  }
}

bool nf_search_fails_timing(const nf_search_result *r) { return r->synth.done && r->synth.meets_timing == 0; }

int nf_search_winner(const nf_search_result *r, int n, double min_acc) {
  /* pass 0: synthesized and meeting the clock by the netlist timing; 1:
   * synthesized without a timing figure; 2: estimated only. A synthesized
   * candidate that fails its clock never wins. */
  int w = -1;
  for (int pass = 0; pass < 3 && w < 0; pass++)
    for (int i = 0; i < n; i++) {
      const nf_search_synth *s = &r[i].synth;
      bool fits = pass == 0 ? s->done && s->meets_timing == 1 : pass == 1 ? s->done && s->meets_timing < 0 : !s->done;
      if (r[i].accuracy_validation >= min_acc && fits && (w < 0 || nf_search_cost(&r[i]) < nf_search_cost(&r[w])))
        w = i;
    }
  return w;
}

bool nf_search_passed_over(const nf_search_result *r, int n, double min_acc, int winner, int i) {
  (void)n;
  return i != winner && r[i].accuracy_validation >= min_acc && nf_search_fails_timing(&r[i]) &&
         (winner < 0 || nf_search_cost(&r[i]) < nf_search_cost(&r[winner]));
}

/* Finished candidates of dir/sub, in name order. */
static int load_dir(const char *dir, const char *sub, nf_search_result **out, int *n_out, nf_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  *out = NULL;
  *n_out = 0;
  struct dirent **names = NULL;
  int n = scandir(path, &names, NULL, alphasort), k = 0, rc = NF_OK;
  if (n < 0) return nf_fail(err, NF_EINPUT, "%s: cannot read the directory (no candidates ran here?)", path);
  nf_search_result *r = nf_calloc(n > 0 ? (size_t)n : 1, sizeof *r, err);
  if (!r) rc = NF_EINTERNAL;
  for (int i = 0; i < n; i++) {
    char cd[4500], rj[4600];
    snprintf(cd, sizeof cd, "%s/%s", path, names[i]->d_name);
    snprintf(rj, sizeof rj, "%s/result.json", cd);
    struct stat st;
    /* a candidate still running (or killed before it wrote its figures) has no result.json */
    if (!rc && names[i]->d_name[0] != '.' && stat(rj, &st) == 0) {
      rc = nf_search_result_read(cd, &r[k], err);
      if (!rc && !r[k].failed[0]) k++;
    }
    free(names[i]);
  }
  free(names);
  if (rc) {
    free(r);
    return rc;
  }
  *out = r;
  *n_out = k;
  return NF_OK;
}

int nf_search_load(const char *dir, nf_search_result **out, int *n, nf_error *err) {
  return load_dir(dir, "candidates", out, n, err);
}

/* One relaxed conversion into dir/project: the pipeline placed for
 * ClockPeriod + relax a stage and tightened until the netlist meets
 * ClockPeriod (the child 'nnfirm convert --derate -relax --meet-timing', log
 * in dir/relax.log), then that last round's counts and timing read back from
 * dir/project/synth (s->meets_timing false when no round met the clock). */
static int relax_once(const nf_search_opts *o, const char *cand_dir, const char *dir, double relax, double clock_ns,
                      double timeout, nf_synth_result *s, nf_error *err) {
  char model[4300], cfg[4300], proj[4400], derate[32], limit[32], path[4500];
  snprintf(model, sizeof model, "%s/model.nnf", cand_dir);
  snprintf(cfg, sizeof cfg, "%s/config.json", cand_dir);
  snprintf(proj, sizeof proj, "%s/project", dir);
  snprintf(derate, sizeof derate, "%g", -relax);
  snprintf(limit, sizeof limit, "%.0f", timeout > 1 ? timeout : 1);
  const char *conv[] = {"convert", model,          "--config", cfg,         "-o",        proj,  "--derate",
                        derate,    "--meet-timing", "--part",   o->job.part, "--timeout", limit, NULL};
  int rc = nf_mkdir_p(dir, err);
  if (!rc && nf_step_run_in(o->job.exe, conv, dir, "relax") != 0)
    rc = nf_fail(err, NF_EINPUT, "the relaxed placement failed (see %s/relax.log)", dir);
  memset(s, 0, sizeof *s);
  const nf_device *dev = nf_device_find(o->job.part);
  char *json = NULL;
  snprintf(path, sizeof path, "%s/synth/stat.json", proj);
  if (!rc) rc = dev ? nf_read_file(path, &json, NULL, err) : nf_fail(err, NF_EINPUT, "unknown part '%s'", o->job.part);
  if (!rc) rc = nf_synth_parse_stat(json, dev, s, err);
  free(json);
  snprintf(path, sizeof path, "%s/synth/netlist.blif", proj);
  if (!rc) rc = nf_synth_timing(path, NULL, clock_ns, s, err);
  return rc;
}

/* The candidate converted again at two relaxations, relax_ns and half of it
 * (dir/relax/<ns>/), each tightened until its netlist meets ClockPeriod; of
 * those that meet it, the smaller LUT% + FF% replaces the candidate's project
 * (a larger budget is not always smaller: it can leave activations
 * unregistered and Yosys maps them with more LUTs). When neither meets, the
 * project is left as converted and synthesized as it is (*done false). */
static int relaxed(const nf_search_opts *o, const char *cand_dir, double clock_ns, double timeout,
                   nf_synth_result *s, nf_search_result *r, bool *done, nf_error *err) {
  double relax[2] = {o->relax_ns, o->relax_ns / 2};
  nf_synth_result t[2];
  char dirs[2][4400], proj[4300];
  int best = -1, rc = NF_OK;
  *done = false;
  for (int k = 0; k < 2 && !rc; k++) {
    snprintf(dirs[k], sizeof dirs[k], "%s/relax/%g", cand_dir, relax[k]);
    rc = relax_once(o, cand_dir, dirs[k], relax[k], clock_ns, timeout, &t[k], err);
    if (!rc && t[k].meets_timing &&
        (best < 0 || t[k].lut_pct + t[k].ff_pct < t[best].lut_pct + t[best].ff_pct))
      best = k;
  }
  if (rc || best < 0) return rc;
  snprintf(proj, sizeof proj, "%s/project", cand_dir);
  char from[4500];
  snprintf(from, sizeof from, "%s/project", dirs[best]);
  if (nf_rm_rf(proj) != 0 || rename(from, proj) != 0)
    return nf_fail(err, NF_EINTERNAL, "%s: cannot replace it by %s", proj, from);
  *s = t[best];
  nf_project *p = NULL;
  rc = nf_project_open(proj, &p, err);
  if (!rc) r->latency_cycles = p->info.latency;
  nf_project_free(p);
  *done = !rc;
  return rc;
}

/* Yosys on one candidate's project (PROJECT/synth, replaced whole), relaxed
 * first when o->relax_ns says so; the figures go into its result.json. */
static int synth_one(const nf_search_opts *o, const char *cand_dir, nf_search_result *r, double timeout,
                     nf_error *err) {
  char proj[4300], out_dir[4400], top[128], *tmp = NULL, **files = NULL;
  snprintf(proj, sizeof proj, "%s/project", cand_dir);
  snprintf(out_dir, sizeof out_dir, "%s/synth", proj);
  nf_project *p = NULL;
  int rc = nf_project_open(proj, &p, err); /* checks the RTL against its checksums */
  double clock_ns = p && p->design->clock_period_ns > 0 ? p->design->clock_period_ns : 5.0; /* as 'nnfirm synth' */
  nf_project_free(p);
  nf_synth_result s;
  double t0 = nf_now();
  bool relaxed_done = false;
  if (!rc && o->relax_ns > 0 && o->relax_ns < clock_ns) rc = relaxed(o, cand_dir, clock_ns, timeout, &s, r, &relaxed_done, err);
  if (!rc && !relaxed_done) { /* the project as converted */
    rc = nf_project_sources(proj, &files, top, sizeof top, err);
    if (!rc) rc = nf_outdir_begin(out_dir, &tmp, err);
    if (!rc) {
      nf_synth_opts so = {.verilog_files = (const char *const *)files, .top = top, .part = o->job.part, .abc9 = true,
                          .timeout_s = timeout, .quiet = true, .work_dir = tmp, .clock_ns = clock_ns};
      rc = nf_synth_run(&so, &s, err);
      if (!rc) rc = nf_outdir_commit(tmp, out_dir, err);
      else nf_outdir_abort(tmp);
    }
  }
  free(tmp);
  nf_project_sources_free(files);
  if (rc) return rc;
  nf_search_synth *y = &r->synth;
  y->done = true;
  snprintf(y->part, sizeof y->part, "%s", s.part);
  y->lut = (double)s.lut, y->ff = (double)s.ff, y->dsp = (double)s.dsp;
  y->lut_pct = s.lut_pct, y->ff_pct = s.ff_pct;
  /* the netlist's timing, as 'nnfirm synth' reports it (NaN / -1 when it found no path) */
  y->critical_path_ns = s.timing.valid ? s.timing.critical_path_ns : NAN;
  y->fmax_mhz = s.timing.valid ? s.timing.fmax_mhz : NAN;
  y->meets_timing = s.timing.valid && s.clock_ns > 0 ? s.meets_timing : -1;
  y->seconds = nf_now() - t0;
  return nf_search_result_write(cand_dir, r, err);
}

/* Orders by cost u vs v, then by candidate id (a total order: the same
 * ranking on every machine). */
static int compare_cost(double u, double v, const nf_search_result *x, const nf_search_result *y) {
  int c = (u > v) - (u < v);
  return c ? c : strcmp(x->id, y->id);
}

static int by_estimate(const void *a, const void *b) {
  const nf_search_result *x = *(nf_search_result *const *)a, *y = *(nf_search_result *const *)b;
  double u = x->est_lut_pct + x->est_ff_pct, v = y->est_lut_pct + y->est_ff_pct;
  return compare_cost(u, v, x, y);
}

/* The synth_k cheapest above the floor by estimate, while the budget lasts
 * (a synthesis that fails leaves its candidate with the estimate), o->jobs
 * Yosys runs side by side (one thread each: nf_synth_run keeps its state on
 * the stack and waits for its own Yosys process only). */
static int synthesize(const nf_search_opts *o, nf_search_result *r, int n, nf_error *err) {
  nf_search_result **order = nf_malloc((size_t)(n > 0 ? n : 1) * sizeof *order, err);
  if (!order) return NF_EINTERNAL;
  for (int i = 0; i < n; i++) order[i] = &r[i];
  qsort(order, (size_t)n, sizeof *order, by_estimate);
  int done = 0, width = o->jobs < 1 ? 1 : o->jobs > 16 ? 16 : o->jobs;
  bool met = false;
  /* the synth_k cheapest, then (up to synth_k more) until one meets its clock */
  for (int i = 0; i < n && (done < o->synth_k || (!met && done < 2 * o->synth_k));) {
    double left = o->budget_s - (nf_now() - o->t0);
    if (left < 30) break;
    nf_search_result *batch[16];
    int nb = 0, want = (done < o->synth_k ? o->synth_k : 2 * o->synth_k) - done;
    for (; i < n && nb < want && nb < width; i++)
      if (order[i]->accuracy_validation >= o->min_accuracy) batch[nb++] = order[i];
    if (!nb) break;
    if (o->progress)
      o->progress(&(nf_search_progress){.phase = NF_SEARCH_SYNTHESIZING, .done = done, .total = done < o->synth_k ? o->synth_k : 2 * o->synth_k,
                                        .elapsed_s = nf_now() - o->t0, .budget_s = o->budget_s, .id = batch[0]->id,
                                        .est_cost = batch[0]->est_lut_pct + batch[0]->est_ff_pct},
                  o->ctx);
#pragma omp parallel for num_threads(nb) schedule(dynamic, 1)
    for (int b = 0; b < nb; b++) {
      char cd[4300];
      nf_error e = {0};
      snprintf(cd, sizeof cd, "%s/candidates/%s", o->dir, batch[b]->id);
      if (synth_one(o, cd, batch[b], left, &e)) batch[b]->synth.done = false; /* keeps the estimate; Yosys' log is in project/synth */
    }
    done += nb;
    for (int b = 0; b < nb; b++) met = met || (batch[b]->synth.done && batch[b]->synth.meets_timing == 1);
  }
  free(order);
  return NF_OK;
}

static void stats(const double *v, int n, double *mean, double *sd, double *lo, double *hi) {
  double s = 0, q = 0;
  *lo = INFINITY, *hi = -INFINITY;
  for (int i = 0; i < n; i++) s += v[i], *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
  *mean = n ? s / n : NAN;
  for (int i = 0; i < n; i++) q += (v[i] - *mean) * (v[i] - *mean);
  *sd = n > 1 ? sqrt(q / (n - 1)) : NAN;
  if (!n) *lo = *hi = NAN;
}

/* The winner retrained with seeds base+1 .. base+K into dir/seeds/<id>;
 * each retrain's validation and test accuracy (the test is reported, never
 * chosen on). */
static int retrain(const nf_search_opts *o, const nf_search_result *w, nf_search_spread *sp, nf_error *err) {
  memset(sp, 0, sizeof *sp);
  nf_search_candidate base, *c = nf_calloc((size_t)o->seeds, sizeof *c, err);
  if (!c) return NF_EINTERNAL;
  int rc = nf_search_parse_spec(w->spec, &base, err);
  for (int i = 0; !rc && i < o->seeds; i++) {
    char spec[160];
    nf_search_candidate k = base;
    k.seed = base.seed + 1 + i;
    nf_search_format_spec(&k, spec, sizeof spec);
    rc = nf_search_parse_spec(spec, &c[i], err);
  }
  if (!rc) rc = nf_search_run_children(o, "seeds", c, o->seeds, INFINITY, NF_SEARCH_RETRAINING, err);
  double *v = nf_calloc((size_t)o->seeds * 2, sizeof *v, err), *t = v ? v + o->seeds : NULL;
  if (!rc && !v) rc = NF_EINTERNAL;
  int m = 0;
  for (int i = 0; !rc && i < o->seeds; i++) {
    char cd[4400];
    nf_search_result r;
    nf_error e = {0};
    long correct, rows;
    snprintf(cd, sizeof cd, "%s/seeds/%s", o->dir, c[i].id);
    if (nf_search_result_read(cd, &r, &e) || r.failed[0]) continue; /* a failed retrain is left out of the spread */
    char proj[4500];
    snprintf(proj, sizeof proj, "%s/project", cd);
    if (nf_search_score(proj, r.data, 't', &correct, &rows, &e)) continue;
    v[m] = r.accuracy_validation, t[m] = (double)correct / (double)rows;
    m++;
  }
  sp->n = m;
  if (!rc) {
    stats(v, m, &sp->val_mean, &sp->val_std, &sp->val_min, &sp->val_max);
    stats(t, m, &sp->test_mean, &sp->test_std, &sp->test_min, &sp->test_max);
  }
  free(v);
  free(c);
  return rc;
}

static int plot_pareto(const nf_search_opts *o, const nf_search_result *r, int n, nf_error *err) {
  double *x = nf_calloc((size_t)n * 4 + 4, sizeof *x, err);
  if (!x) return NF_EINTERNAL;
  double *y = x + n + 1, *px = y + n + 1, *py = px + n + 1;
  int np = 0;
  for (int i = 0; i < n; i++) {
    x[i] = nf_search_cost(&r[i]), y[i] = 100 * r[i].accuracy_validation;
    if (r[i].pareto) px[np] = x[i], py[np++] = y[i];
  }
  /* the front as a staircase line, in order of cost */
  for (int i = 1; i < np; i++)
    for (int j = i; j > 0 && px[j] < px[j - 1]; j--) {
      double t = px[j]; px[j] = px[j - 1]; px[j - 1] = t;
      t = py[j]; py[j] = py[j - 1]; py[j - 1] = t;
    }
  double fx[2] = {0, 0}, fy[2] = {100 * o->min_accuracy, 100 * o->min_accuracy};
  for (int i = 0; i < n; i++) fx[1] = fmax(fx[1], x[i] * 1.05);
  nf_series ser[3] = {{"candidates", x, y, n, NF_LINE_POINTS, 0},
                      {"Pareto front", px, py, np, NF_LINE_SOLID, 1},
                      {"accuracy floor", fx, fy, 2, NF_LINE_DASHED, 2}};
  nf_plot_opts po = {.title = "Search: bit-accurate validation accuracy vs LUT% + FF%", .xlabel = "LUT% + FF%",
                     .ylabel = "validation accuracy (%)", .logx = false, .legend_pos = "br"};
  char path[4200];
  snprintf(path, sizeof path, "%s/pareto.png", o->dir);
  int rc = nf_plot_lines(path, &po, ser, 3, err);
  free(x);
  return rc;
}

/* After the choice: every synthesized candidate on the test split (the
 * winner's figures already scored), then pareto_test.png with the published
 * designs beside them. Scoring failures leave NaN (the candidate is not
 * drawn); only the plot's failure is an error. */
static int test_front(const nf_search_opts *o, nf_search_outcome *out, nf_error *err) {
  nf_search_result *r = out->results;
  int n = out->n, n_synth = 0;
  for (int i = 0; i < n; i++) {
    if (!r[i].synth.done) continue;
    n_synth++;
    long correct = 0, rows = 0;
    if (i == out->winner) {
      correct = out->test_correct, rows = out->test_rows;
    } else {
      char proj[4400];
      nf_error e = {0};
      snprintf(proj, sizeof proj, "%s/candidates/%s/project", o->dir, r[i].id);
      if (nf_search_score(proj, r[i].data, 't', &correct, &rows, &e)) rows = 0;
    }
    if (rows > 0) {
      r[i].test_rows = rows;
      r[i].accuracy_test = (double)correct / (double)rows;
      nf_wilson_interval(correct, rows, NF_Z95, &r[i].test_ci95_low, &r[i].test_ci95_high);
    }
  }
  if (!n_synth) return NF_OK;
  int n_pub;
  const nf_published_design *pub = nf_published_designs(&n_pub);
  double *v = nf_calloc((size_t)(4 * n + 4 * n_pub + 8), sizeof *v, err);
  const char **texts = nf_calloc((size_t)(2 * n_pub + 2), sizeof *texts, err);
  if (!v || !texts) {
    free(v), free(texts);
    return NF_EINTERNAL;
  }
  /* [0, n): ours (x, y, lo, hi); then the published with FF, then LUT-only */
  double *x = v, *y = x + n, *lo = y + n, *hi = lo + n, *px = hi + n, *py = px + n_pub, *qx = py + n_pub,
         *qy = qx + n_pub, wx[1] = {NAN}, wy[1] = {NAN}, wlo[1] = {NAN}, whi[1] = {NAN};
  const char **ptext = texts, **qtext = texts + n_pub + 1, *wtext[1] = {"winner"};
  int m = 0, np = 0, nq = 0;
  double xmin = INFINITY, xmax = 0;
  for (int i = 0; i < n; i++) {
    if (!r[i].synth.done || !isfinite(r[i].accuracy_test)) continue;
    double c = nf_search_cost(&r[i]);
    if (i == out->winner) wx[0] = c, wy[0] = 100 * r[i].accuracy_test, wlo[0] = 100 * r[i].test_ci95_low, whi[0] = 100 * r[i].test_ci95_high;
    x[m] = c, y[m] = 100 * r[i].accuracy_test, lo[m] = 100 * r[i].test_ci95_low, hi[m++] = 100 * r[i].test_ci95_high;
    xmin = fmin(xmin, c), xmax = fmax(xmax, c);
  }
  for (int i = 0; i < n_pub; i++) {
    bool ff = isfinite(pub[i].ff_pct);
    double c = pub[i].lut_pct + (ff ? pub[i].ff_pct : 0);
    if (ff) px[np] = c, py[np] = 100 * pub[i].accuracy, ptext[np++] = pub[i].name;
    else qx[nq] = c, qy[nq] = 100 * pub[i].accuracy, qtext[nq++] = pub[i].name;
    xmin = fmin(xmin, c), xmax = fmax(xmax, c);
  }
  nf_point_series pts[4] = {
      {.label = "nnfirm, synthesized (synthetic jets, Yosys 0.23), 95% interval", .x = x, .y = y, .ylo = lo,
       .yhi = hi, .n = m, .color = 0},
      {.label = "nnfirm's winner (chosen on validation)", .x = wx, .y = wy, .ylo = wlo, .yhi = whi, .texts = wtext,
       .n = isfinite(wx[0]) ? 1 : 0, .color = 1, .size = 2.6},
      {.label = "published: real jets, Vivado (LUT% + FF%)", .x = px, .y = py, .texts = ptext, .n = np, .color = 2,
       .marker = 7, .size = 2.2},
      {.label = "published: real jets, Vivado (LUT% only, FF not given)", .x = qx, .y = qy, .texts = qtext, .n = nq,
       .color = 3, .marker = 7, .size = 2.2},
  };
  double fx[2] = {xmin / 1.5, xmax * 1.5}, fy[2] = {100 * o->min_accuracy, 100 * o->min_accuracy};
  nf_series floor_line = {"accuracy floor", fx, fy, 2, NF_LINE_DASHED, 6};
  nf_plot_opts po = {.title = "Test accuracy vs LUT% + FF% of a VU9P", .xlabel = "LUT% + FF% (log scale)",
                     .ylabel = "test accuracy (%)", .logx = true, .legend_pos = "bl", .width = 1000, .height = 700};
  char path[4200];
  snprintf(path, sizeof path, "%s/pareto_test.png", o->dir);
  int rc = nf_plot_points(path, &po, pts, 4, &floor_line, 1, err);
  free(v);
  free(texts);
  return rc;
}

static int by_cost(const void *a, const void *b) {
  const nf_search_result *x = a, *y = b;
  double u = nf_search_cost(x), v = nf_search_cost(y);
  return compare_cost(u, v, x, y);
}

int nf_search_finish(const nf_search_opts *o, nf_search_outcome *out, nf_error *err) {
  memset(out, 0, sizeof *out);
  out->winner = -1;
  out->accuracy_test = out->ci95_low = out->ci95_high = NAN;
  int rc = nf_search_load(o->dir, &out->results, &out->n, err);
  nf_search_result *r = out->results;
  if (!rc && out->n == 0)
    rc = nf_fail(err, NF_EINPUT, "%s/candidates: no finished candidate (see the candidates' logs)", o->dir);
  if (!rc && o->synth_k > 0) rc = synthesize(o, r, out->n, err);
  if (!rc) {
    qsort(r, (size_t)out->n, sizeof *r, by_cost);
    nf_search_mark_pareto(r, out->n);
    rc = plot_pareto(o, r, out->n, err);
  }
  if (!rc) out->winner = nf_search_winner(r, out->n, o->min_accuracy);
  if (!rc && out->winner >= 0) { /* the test split: the winner's report, nothing else */
    const nf_search_result *w = &r[out->winner];
    char proj[4400];
    nf_error e = {0};
    snprintf(proj, sizeof proj, "%s/candidates/%s/project", o->dir, w->id);
    if (nf_search_score(proj, w->data, 't', &out->test_correct, &out->test_rows, &e) == 0) {
      out->accuracy_test = (double)out->test_correct / (double)out->test_rows;
      nf_wilson_interval(out->test_correct, out->test_rows, NF_Z95, &out->ci95_low, &out->ci95_high);
    } else {
      snprintf(out->test_error, sizeof out->test_error, "%s", e.msg);
    }
    if (o->seeds > 0) rc = retrain(o, w, &out->spread, err);
  }
  if (!rc) rc = test_front(o, out, err);
  out->seconds = nf_now() - o->t0;
  char *text = rc ? NULL : nf_search_outcome_json(out, o, true);
  char path[4200];
  snprintf(path, sizeof path, "%s/search.json", o->dir);
  if (!rc) rc = text ? nf_write_file_atomic(path, text, strlen(text), err) : nf_fail_oom(err, path);
  free(text);
  if (rc) nf_search_outcome_free(out);
  return rc;
}

void nf_search_outcome_free(nf_search_outcome *o) {
  free(o->results);
  o->results = NULL;
  o->n = 0;
}

/* ---- search.json ------------------------------------------------------------ */
static void add_num(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
  else cJSON_AddNullToObject(o, key);
}

/* "accuracy_test", "test_rows" and "accuracy_test_ci95": [low, high] (null when not scored). */
static void add_test(cJSON *o, double acc, long rows, double lo, double hi) {
  add_num(o, "accuracy_test", acc);
  add_num(o, "test_rows", (double)rows);
  if (isfinite(lo)) {
    cJSON *ci = cJSON_AddArrayToObject(o, "accuracy_test_ci95");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
  } else {
    cJSON_AddNullToObject(o, "accuracy_test_ci95");
  }
}

static cJSON *result_json(const nf_search_opts *opts, const nf_search_result *r) {
  cJSON *o = cJSON_CreateObject();
  char proj[4300];
  snprintf(proj, sizeof proj, "%s/candidates/%s/project", opts->dir, r->id);
  const nf_search_synth *s = &r->synth;
  cJSON_AddStringToObject(o, "id", r->id);
  cJSON_AddStringToObject(o, "spec", r->spec);
  add_num(o, "accuracy_validation", r->accuracy_validation);
  add_num(o, "validation_rows", (double)r->validation_rows);
  add_num(o, "model_accuracy_validation", r->model_accuracy_validation);
  add_num(o, "lut", s->done ? s->lut : r->est_lut);
  add_num(o, "ff", s->done ? s->ff : r->est_ff);
  add_num(o, "dsp", s->done ? s->dsp : r->est_dsp);
  add_num(o, "lut_pct", s->done ? s->lut_pct : r->est_lut_pct);
  add_num(o, "ff_pct", s->done ? s->ff_pct : r->est_ff_pct);
  add_num(o, "estimated_lut_ff_pct", r->est_lut_pct + r->est_ff_pct);
  add_num(o, "latency_cycles", r->latency_cycles);
  add_num(o, "clock_period_ns", r->clock_period_ns);
  add_num(o, "critical_path_ns", s->done ? s->critical_path_ns : NAN);
  add_num(o, "fmax_mhz", s->done ? s->fmax_mhz : NAN);
  if (s->done && s->meets_timing >= 0) cJSON_AddBoolToObject(o, "meets_timing", s->meets_timing);
  else cJSON_AddNullToObject(o, "meets_timing");
  add_num(o, "sparsity", isnan(r->sparsity) ? 0 : r->sparsity);
  cJSON_AddStringToObject(o, "resources_from", s->done ? "yosys" : "estimate");
  cJSON_AddStringToObject(o, "project", proj);
  return o;
}

static cJSON *stats_json(double mean, double sd, double lo, double hi) {
  cJSON *o = cJSON_CreateObject();
  add_num(o, "mean", mean);
  add_num(o, "std", sd);
  add_num(o, "min", lo);
  add_num(o, "max", hi);
  return o;
}

/* Where the candidates' time went: the sum over finished candidates of each
 * step's wall clock (jobs run side by side, so the sums exceed the search's
 * own wall clock), and the Yosys runs of the synthesized ones. */
static cJSON *profile_json(const nf_search_outcome *out) {
  double sum[5] = {0};
  int n = 0, n_synth = 0;
  for (int i = 0; i < out->n; i++) {
    const nf_search_result *r = &out->results[i];
    double s[4] = {r->seconds_train, r->seconds_convert, r->seconds_score, r->seconds_estimate};
    bool timed = !r->failed[0];
    for (int k = 0; k < 4; k++) timed = timed && isfinite(s[k]);
    if (timed) {
      for (int k = 0; k < 4; k++) sum[k] += s[k];
      n++;
    }
    if (r->synth.done && isfinite(r->synth.seconds)) sum[4] += r->synth.seconds, n_synth++;
  }
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "timed_candidates", n);
  cJSON_AddNumberToObject(o, "train_s", sum[0]);
  cJSON_AddNumberToObject(o, "convert_s", sum[1]);
  cJSON_AddNumberToObject(o, "score_s", sum[2]);
  cJSON_AddNumberToObject(o, "estimate_s", sum[3]);
  cJSON_AddNumberToObject(o, "synthesized", n_synth);
  cJSON_AddNumberToObject(o, "synth_s", sum[4]);
  return o;
}

char *nf_search_outcome_json(const nf_search_outcome *out, const nf_search_opts *opts, bool with_all) {
  cJSON *o = cJSON_CreateObject(), *front = cJSON_CreateArray(), *all = with_all ? cJSON_CreateArray() : NULL;
  if (!o || !front || (with_all && !all)) {
    cJSON_Delete(o), cJSON_Delete(front), cJSON_Delete(all);
    return NULL;
  }
  for (int i = 0; i < out->n; i++) {
    if (all) cJSON_AddItemToArray(all, result_json(opts, &out->results[i]));
    if (out->results[i].pareto) cJSON_AddItemToArray(front, result_json(opts, &out->results[i]));
  }
  if (out->winner >= 0) {
    const nf_search_result *w = &out->results[out->winner];
    cJSON *wj = result_json(opts, w);
    add_test(wj, out->accuracy_test, out->test_rows, out->ci95_low, out->ci95_high);
    if (out->test_error[0]) cJSON_AddStringToObject(wj, "accuracy_test_error", out->test_error);
    cJSON_AddItemToObject(o, "winner", wj);
  } else {
    cJSON_AddNullToObject(o, "winner");
  }
  cJSON *over = cJSON_AddArrayToObject(o, "passed_over_for_timing");
  for (int i = 0; over && i < out->n; i++)
    if (nf_search_passed_over(out->results, out->n, opts->min_accuracy, out->winner, i)) {
      const nf_search_result *r = &out->results[i];
      cJSON *pj = cJSON_CreateObject();
      if (!pj) break;
      cJSON_AddStringToObject(pj, "id", r->id);
      add_num(pj, "lut_ff_pct", nf_search_cost(r));
      add_num(pj, "accuracy_validation", r->accuracy_validation);
      add_num(pj, "critical_path_ns", r->synth.critical_path_ns);
      add_num(pj, "clock_period_ns", r->clock_period_ns);
      add_num(pj, "fails_by_ns", r->synth.critical_path_ns - r->clock_period_ns);
      cJSON_AddItemToArray(over, pj);
    }
  cJSON_AddItemToObject(o, "pareto", front);
  /* The report's test-split points (after the choice): synthesized candidates. */
  cJSON *tf = cJSON_AddArrayToObject(o, "test_front");
  for (int i = 0; tf && i < out->n; i++) {
    const nf_search_result *r = &out->results[i];
    if (!r->synth.done) continue;
    cJSON *tj = cJSON_CreateObject();
    if (!tj) break;
    cJSON_AddStringToObject(tj, "id", r->id);
    add_num(tj, "lut_ff_pct", nf_search_cost(r));
    add_num(tj, "accuracy_validation", r->accuracy_validation);
    add_test(tj, r->accuracy_test, r->test_rows, r->test_ci95_low, r->test_ci95_high);
    if (r->synth.meets_timing >= 0) cJSON_AddBoolToObject(tj, "meets_timing", r->synth.meets_timing);
    else cJSON_AddNullToObject(tj, "meets_timing");
    cJSON_AddItemToArray(tf, tj);
  }
  int n_pub;
  const nf_published_design *pub = nf_published_designs(&n_pub);
  cJSON *pa = cJSON_AddArrayToObject(o, "published");
  for (int i = 0; pa && i < n_pub; i++) {
    cJSON *pj = cJSON_CreateObject();
    if (!pj) break;
    cJSON_AddStringToObject(pj, "name", pub[i].name);
    cJSON_AddStringToObject(pj, "source", pub[i].source);
    add_num(pj, "accuracy", pub[i].accuracy);
    add_num(pj, "lut_pct", pub[i].lut_pct);
    add_num(pj, "ff_pct", pub[i].ff_pct);
    add_num(pj, "dsp_pct", pub[i].dsp_pct);
    cJSON_AddStringToObject(pj, "measured", "by its authors: real jet data, Vivado, VU9P");
    cJSON_AddItemToArray(pa, pj);
  }
  cJSON_AddNumberToObject(o, "min_accuracy", opts->min_accuracy);
  cJSON_AddStringToObject(o, "selection", "ranked and chosen on the validation split among candidates "
                                          "that meet their clock by the netlist timing (a synthesized candidate "
                                          "that fails it is passed over); the test split is read after the choice: "
                                          "the winner's report (95% Wilson interval) and the synthesized "
                                          "candidates' points in test_front and pareto_test.png");
  cJSON_AddNumberToObject(o, "candidates", out->n);
  cJSON_AddNumberToObject(o, "seconds", out->seconds);
  cJSON_AddItemToObject(o, "profile", profile_json(out));
  if (opts->seeds > 0 && out->winner >= 0) {
    const nf_search_spread *s = &out->spread;
    cJSON *sj = cJSON_AddObjectToObject(o, "seeds");
    cJSON_AddNumberToObject(sj, "requested", opts->seeds);
    cJSON_AddNumberToObject(sj, "finished", s->n);
    cJSON_AddItemToObject(sj, "accuracy_validation", stats_json(s->val_mean, s->val_std, s->val_min, s->val_max));
    cJSON_AddItemToObject(sj, "accuracy_test", stats_json(s->test_mean, s->test_std, s->test_min, s->test_max));
  }
  if (all) cJSON_AddItemToObject(o, "all", all);
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  return text;
}
