/* The tutorial: the hls4ml tutorial's Parts 1-5 end to end — data, float
 * training, evaluation, fixed-point conversion, profiling, bit-width scan,
 * quantization-aware training, pruning, firmware, co-simulation, synthesis —
 * written up as DIR/index.html and DIR/summary.json.
 *
 * Each step is one run of nnfirm's own commands (nf_step_*, a child process):
 * the tutorial shows exactly what a user typing them would get, every step's
 * output and log stays in DIR/logs/, and a failing step names itself and its
 * log. The accuracies in the tables are the library's own scores of the
 * models and projects the steps wrote: validation and test split, the test
 * accuracy with its 95% Wilson interval. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/data.h"
#include "nnfirm/metrics.h"
#include "nnfirm/report.h"
#include "nnfirm/search.h"
#include "nnfirm/util.h"

typedef struct tutorial {
  const char *self;   /* this executable */
  const char *dir;    /* the (temporary) output directory */
  bool quick, synth;
  const char *rows, *epochs, *simulator;
  int step, n_steps;
  double t0;
  nf_error *err;
  const nf_tutorial_opts *o;
  char jets[4200];    /* the labelled data every step uses */
} tutorial;

/* Runs `nnfirm args...` with stdout into logs/<name>.out and stderr into
 * logs/<name>.log. A failing step is an error naming it and its log. */
static int run_step(tutorial *t, const char *title, const char *name, const char *const *args) {
  t->step++;
  if (t->o->progress) t->o->progress(t->step, t->n_steps, nf_now() - t->t0, title, t->o->ctx);
  char logs[4200], log[4300];
  snprintf(logs, sizeof logs, "%s/logs", t->dir);
  int status = nf_step_run_in(t->self, args, logs, name);
  if (status == 0) return NF_OK;
  snprintf(log, sizeof log, "%s/%s.log", logs, name);
  char *msg = NULL;
  nf_read_file(log, &msg, NULL, NULL);
  char *nl = msg ? strchr(msg, '\n') : NULL;
  if (nl) *nl = '\0';
  int code = status == 2 ? NF_EINPUT : NF_EINTERNAL;
  nf_fail(t->err, code, "tutorial step '%s' failed (%s); its log is logs/%s.log", name,
          msg && *msg ? msg : "no message", name);
  free(msg);
  return code;
}

/* A step's JSON output (logs/<name>.out), or NULL. */
static cJSON *step_json(const tutorial *t, const char *name) {
  char logs[4200], file[200];
  snprintf(logs, sizeof logs, "%s/logs", t->dir);
  snprintf(file, sizeof file, "%s/%s.out", logs, name);
  char *text = NULL;
  if (nf_read_file(file, &text, NULL, NULL)) return NULL;
  cJSON *o = cJSON_Parse(text);
  free(text);
  return o;
}

/* A number member of o, or -1 ("not measured" in the tables). */
static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Accuracy, validation and test, of a model or project the steps wrote,
 * scored by the library; the test accuracy with its 95% Wilson interval. */
static void add_accuracies(cJSON *o, const char *prefix, const char *path, const char *jets, bool project) {
  char key[64];
  long vc = 0, vn = 0, tc = 0, tn = 0;
  nf_error e = {0};
  bool ok = project ? !nf_search_score(path, jets, 'v', &vc, &vn, &e) && !nf_search_score(path, jets, 't', &tc, &tn, &e)
                    : !nf_search_score_model(path, jets, 'v', &vc, &vn, &e) &&
                          !nf_search_score_model(path, jets, 't', &tc, &tn, &e);
  snprintf(key, sizeof key, "%saccuracy_validation", prefix);
  cJSON_AddNumberToObject(o, key, ok ? (double)vc / (double)vn : -1);
  snprintf(key, sizeof key, "%saccuracy_test", prefix);
  cJSON_AddNumberToObject(o, key, ok ? (double)tc / (double)tn : -1);
  snprintf(key, sizeof key, "%saccuracy_test_ci95", prefix);
  double lo = -1, hi = -1;
  if (ok) nf_wilson_interval(tc, tn, NF_Z95, &lo, &hi);
  cJSON *ci = cJSON_AddArrayToObject(o, key);
  cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
  cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
  snprintf(key, sizeof key, "%stest_rows", prefix);
  cJSON_AddNumberToObject(o, key, ok ? (double)tn : -1);
}

/* "74.51% [74.08, 74.94]": a test accuracy with its 95% interval. */
static void fmt_ci(char *buf, size_t n, const cJSON *o, const char *prefix) {
  char key[64];
  snprintf(key, sizeof key, "%saccuracy_test", prefix);
  double a = num(o, key);
  snprintf(key, sizeof key, "%saccuracy_test_ci95", prefix);
  const cJSON *ci = cJSON_GetObjectItemCaseSensitive(o, key);
  double lo = cJSON_IsNumber(cJSON_GetArrayItem(ci, 0)) ? cJSON_GetArrayItem(ci, 0)->valuedouble : -1;
  double hi = cJSON_IsNumber(cJSON_GetArrayItem(ci, 1)) ? cJSON_GetArrayItem(ci, 1)->valuedouble : -1;
  if (a < 0 || lo < 0) snprintf(buf, n, "–");
  else snprintf(buf, n, "%.2f%% [%.2f, %.2f]", 100 * a, 100 * lo, 100 * hi);
}

/* ---- The flow ---------------------------------------------------------------- */
/* The designs the tutorial compares (Parts 3-5). */
typedef struct design {
  const char *name, *label;
  const char *train_opts[5]; /* extra `nnfirm train` options; NULL-terminated */
  const char *model;         /* the model it converts: its own, or the float one */
  bool cosim;                /* co-simulated */
  bool split;                /* synthesized layer by layer, two at a time (nnfirm synth --jobs 2): worth it
                              * for the large baseline only, each part pays Yosys' start-up */
} design;

static const design DESIGNS[] = {
    {"fixed16_6", "float model at ap_fixed<16,6> (hls4ml's default)", {NULL}, "float", false, true},
    {"qat6", "QAT 6 bits", {"--bits", "6", NULL}, "qat6", false, false},
    {"qat6_pruned", "QAT 6 bits + 75% pruning", {"--bits", "6", "--prune", "0.75", NULL}, "qat6_pruned", true, false},
};
enum { N_DESIGNS = sizeof DESIGNS / sizeof *DESIGNS };

static int train_model(tutorial *t, const char *jets, const char *name, const char *label, const char *const *extra) {
  char model[4200], plots[4200], step[64], title[200];
  snprintf(model, sizeof model, "%s/models/%s.nnf", t->dir, name);
  snprintf(plots, sizeof plots, "%s/plots/train_%s", t->dir, name);
  snprintf(step, sizeof step, "train_%s", name);
  snprintf(title, sizeof title, "train: %s", label);
  const char *a[32] = {"train", "--data", jets, "--epochs", t->epochs, "--json", "--quiet",
                       "--plots", plots, "-o", model};
  int n = 11;
  for (int i = 0; extra && extra[i] && n < 28; i++) a[n++] = extra[i];
  char wplots[4200];
  snprintf(wplots, sizeof wplots, "%s/plots/weights_%s", t->dir, name);
  for (int i = 0; extra && extra[i]; i++)
    if (!strcmp(extra[i], "--prune")) a[n++] = "--plot-weights", a[n++] = wplots;
  a[n] = NULL;
  return run_step(t, title, step, a);
}

/* Conversion, bit-accurate evaluation, estimate, co-simulation, synthesis. */
static int run_design(tutorial *t, const char *jets, const design *d, const char *sample) {
  char model[4200], proj[4200], plots[4200], step[96], title[200];
  snprintf(model, sizeof model, "%s/models/%s.nnf", t->dir, d->model);
  snprintf(proj, sizeof proj, "%s/projects/%s", t->dir, d->name);
  snprintf(plots, sizeof plots, "%s/plots/%s", t->dir, d->name);
  snprintf(step, sizeof step, "convert_%s", d->name);
  snprintf(title, sizeof title, "convert to Verilog: %s", d->label);
  const char *conv[] = {"convert", model, "--config", "default", "-o", proj, NULL};
  int rc = run_step(t, title, step, conv);
  snprintf(step, sizeof step, "eval_%s", d->name);
  snprintf(title, sizeof title, "bit-accurate evaluation: %s", d->label);
  const char *ev[] = {"eval", proj, "--data", jets, "--split", "test", "--json", "--plots", plots, NULL};
  if (!rc) rc = run_step(t, title, step, ev);
  snprintf(step, sizeof step, "estimate_%s", d->name);
  const char *est[] = {"estimate", proj, "--json", NULL};
  if (!rc) rc = run_step(t, "resource estimate", step, est);
  if (!rc && d->cosim) {
    snprintf(step, sizeof step, "cosim_%s", d->name);
    const char *cs[] = {"cosim", proj, "--input", sample, "--rows", "500", "--simulator", t->simulator, "--json",
                        "--quiet", NULL};
    rc = run_step(t, "co-simulation of 500 jets against the emulator", step, cs);
  }
  if (!rc && t->synth) {
    snprintf(step, sizeof step, "synth_%s", d->name);
    snprintf(title, sizeof title, "Yosys synthesis for VU9P: %s", d->label);
    const char *sy[] = {"synth", proj, "--part", "xcvu9p", "--jobs", d->split ? "2" : "1", "--json", "--quiet",
                        "--timeout", "1800", NULL};
    rc = run_step(t, title, step, sy);
  }
  return rc;
}

static int run_flow(tutorial *t, const char *data) {
  char sample[4200], fm[4200], scan[4200], prof[4200], dplots[4200], fplots[4200];
  const char *jets = t->jets;
  snprintf(sample, sizeof sample, "%s/sample.csv", t->dir);
  snprintf(fm, sizeof fm, "%s/models/float.nnf", t->dir);
  snprintf(scan, sizeof scan, "%s/plots/scan", t->dir);
  snprintf(prof, sizeof prof, "%s/plots/profile", t->dir);
  snprintf(dplots, sizeof dplots, "%s/plots/data", t->dir);
  snprintf(fplots, sizeof fplots, "%s/plots/float", t->dir);
  int rc = NF_OK;
  if (!data) {
    const char *a[] = {"data", "synth", "-n", t->rows, "--seed", "1", "-o", jets, NULL};
    rc = run_step(t, "Part 1: synthetic jets (g, q, W, Z, t; 16 substructure features)", "data", a);
  }
  const char *info[] = {"data", "info", jets, "--json", NULL};
  const char *dplot[] = {"data", "plot", jets, "-o", dplots, NULL};
  const char *smp[] = {"data", "synth", "-n", "500", "--seed", "99", "-o", sample, NULL};
  if (!rc) rc = run_step(t, "Part 1: data set summary", "data_info", info);
  if (!rc) rc = run_step(t, "Part 1: feature distributions per class", "data_plot", dplot);
  if (!rc) rc = run_step(t, "jets for co-simulation", "sample", smp);
  if (!rc) rc = train_model(t, jets, "float", "Part 2: float 16-64-32-32-5 MLP", NULL);
  const char *ev[] = {"eval", fm, "--data", jets, "--split", "test", "--json", "--plots", fplots, NULL};
  const char *pr[] = {"profile", fm, "--data", jets, "--config", "default", "--rows", "20000", "-o", prof, NULL};
  const char *sc[] = {"scan", fm, "--data", jets, "--split", "test", "--bits", t->quick ? "4:14" : "4:18", "--json",
                      "-o", scan, NULL};
  if (!rc) rc = run_step(t, "Part 2: float model on the test split (ROC, confusion)", "eval_float", ev);
  if (!rc) rc = run_step(t, "Part 3: numerical profiling against ap_fixed<16,6>", "profile", pr);
  if (!rc) rc = run_step(t, "Part 3: bit-width scan (post-training quantization)", "scan", sc);
  for (int i = 1; !rc && i < N_DESIGNS; i++)
    rc = train_model(t, jets, DESIGNS[i].name, DESIGNS[i].label, DESIGNS[i].train_opts);
  for (int i = 0; !rc && i < N_DESIGNS; i++) rc = run_design(t, jets, &DESIGNS[i], sample);
  return rc;
}

/* ---- The report ---------------------------------------------------------------- */
enum { NCOL = 10 };
typedef struct row_text {
  char c[NCOL][64];
} row_text;

/* Every PNG in DIR/plots/<sub> whose name contains one of `only` (NULL:
 * all), in name order. */
static int add_some_images(nf_html *h, const tutorial *t, const char *sub, const char *caption,
                           const char *const *only, nf_error *err) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/plots/%s", t->dir, sub);
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort), rc = NF_OK;
  for (int i = 0; i < n; i++) {
    bool wanted = !only;
    for (int k = 0; only && only[k]; k++) wanted |= strstr(names[i]->d_name, only[k]) != NULL;
    if (!rc && wanted && nf_has_suffix(names[i]->d_name, ".png")) {
      char path[4500], cap[300];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
      snprintf(cap, sizeof cap, "%s: %s", caption, names[i]->d_name);
      rc = nf_html_image(h, path, cap, err);
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

static int add_images(nf_html *h, const tutorial *t, const char *sub, const char *caption, nf_error *err) {
  return add_some_images(h, t, sub, caption, NULL, err);
}

static void fmt_num(char *buf, size_t n, double v, const char *fmt) {
  if (v < 0) snprintf(buf, n, "–");
  else snprintf(buf, n, fmt, v);
}

/* One design's figures, from its step outputs (synthesis when run, else the estimate). */
static cJSON *design_summary(const tutorial *t, const design *d) {
  char step[96];
  cJSON *o = cJSON_CreateObject();
  snprintf(step, sizeof step, "eval_%s", d->name);
  cJSON *ev = step_json(t, step);
  snprintf(step, sizeof step, "synth_%s", d->name);
  cJSON *sy = step_json(t, step);
  snprintf(step, sizeof step, "estimate_%s", d->name);
  cJSON *es = step_json(t, step);
  snprintf(step, sizeof step, "train_%s", d->model);
  cJSON *tr = step_json(t, step);
  const cJSON *res = sy ? sy : es;
  cJSON_AddStringToObject(o, "name", d->name);
  cJSON_AddStringToObject(o, "label", d->label);
  cJSON_AddNumberToObject(o, "accuracy", num(ev, "accuracy"));
  cJSON_AddNumberToObject(o, "model_accuracy", num(tr, "accuracy"));
  cJSON_AddNumberToObject(o, "sparsity", num(tr, "sparsity"));
  char proj_path[4300];
  snprintf(proj_path, sizeof proj_path, "%s/projects/%s", t->dir, d->name);
  add_accuracies(o, "", proj_path, t->jets, true);
  const char *keys[] = {"lut", "ff", "dsp", "lut_pct", "ff_pct"};
  for (int i = 0; i < 5; i++) cJSON_AddNumberToObject(o, keys[i], num(res, keys[i]));
  cJSON_AddStringToObject(o, "resources_from", sy ? "yosys" : "estimate");
  char path[4300], *text = NULL;
  snprintf(path, sizeof path, "%s/projects/%s/manifest.json", t->dir, d->name);
  cJSON *man = nf_read_file(path, &text, NULL, NULL) ? NULL : cJSON_Parse(text);
  free(text);
  cJSON_AddNumberToObject(o, "latency_cycles", num(man, "latency_cycles"));
  cJSON_AddNumberToObject(o, "clock_period_ns", num(man, "clock_period_ns"));
  /* timing: the netlist's when synthesized, else the estimate's delay model */
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(res, "meets_timing");
  if (num(res, "critical_path_ns") > 0) cJSON_AddNumberToObject(o, "critical_path_ns", num(res, "critical_path_ns"));
  else cJSON_AddNullToObject(o, "critical_path_ns");
  if (cJSON_IsBool(mt)) cJSON_AddBoolToObject(o, "meets_timing", cJSON_IsTrue(mt));
  else cJSON_AddNullToObject(o, "meets_timing");
  cJSON_AddStringToObject(o, "timing_from", sy ? "netlist (Yosys cell delays + routing model)" : "estimate (delay model)");
  char proj[64];
  snprintf(proj, sizeof proj, "projects/%s", d->name);
  cJSON_AddStringToObject(o, "project", proj);
  cJSON_Delete(ev), cJSON_Delete(sy), cJSON_Delete(es), cJSON_Delete(tr), cJSON_Delete(man);
  return o;
}

static void design_table(nf_html *h, const cJSON *designs, const cJSON *summary, const cJSON *scan6, double scan_rows) {
  row_text rows[8];
  int n = 0;
  const char *head[] = {"design", "accuracy (validation)", "accuracy (test) [95% interval]", "weight sparsity", "LUT", "FF",
                        "LUT% + FF% (VU9P)", "latency", "critical path", "resources from"};
  for (int c = 0; c < NCOL; c++) snprintf(rows[n].c[c], 64, "%s", head[c]);
  n++;
  snprintf(rows[n].c[0], 64, "float (no quantization)");
  fmt_num(rows[n].c[1], 64, 100 * num(summary, "float_accuracy_validation"), "%.2f%%");
  fmt_ci(rows[n].c[2], 64, summary, "float_");
  for (int c = 3; c < NCOL; c++) snprintf(rows[n].c[c], 64, "–");
  n++;
  if (scan6) {
    double a = num(scan6, "accuracy"), lo = -1, hi = -1;
    if (a >= 0 && scan_rows > 0) nf_wilson_interval(lround(a * scan_rows), (long)scan_rows, NF_Z95, &lo, &hi);
    snprintf(rows[n].c[0], 64, "post-training ap_fixed<6,%d>", (int)num(scan6, "int_bits"));
    snprintf(rows[n].c[1], 64, "–");
    if (lo >= 0) snprintf(rows[n].c[2], 64, "%.2f%% [%.2f, %.2f]", 100 * a, 100 * lo, 100 * hi);
    else fmt_num(rows[n].c[2], 64, 100 * a, "%.2f%%");
    for (int c = 3; c < NCOL; c++) snprintf(rows[n].c[c], 64, "–");
    n++;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, designs) {
    if (n >= 8) break;
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(d, "label");
    snprintf(rows[n].c[0], 64, "%s", cJSON_IsString(lab) ? lab->valuestring : "?");
    fmt_num(rows[n].c[1], 64, 100 * num(d, "accuracy_validation"), "%.2f%%");
    fmt_ci(rows[n].c[2], 64, d, "");
    fmt_num(rows[n].c[3], 64, 100 * num(d, "sparsity"), "%.1f%%");
    fmt_num(rows[n].c[4], 64, num(d, "lut"), "%.0f");
    fmt_num(rows[n].c[5], 64, num(d, "ff"), "%.0f");
    fmt_num(rows[n].c[6], 64, num(d, "lut_pct") + num(d, "ff_pct"), "%.3f%%");
    if (num(d, "latency_cycles") >= 0) nf_format_latency(rows[n].c[7], 64, num(d, "latency_cycles"), num(d, "clock_period_ns"));
    else snprintf(rows[n].c[7], 64, "–");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(d, "meets_timing");
    if (num(d, "critical_path_ns") > 0)
      snprintf(rows[n].c[8], 64, "%.2f ns (%s)", num(d, "critical_path_ns"),
               !cJSON_IsBool(mt) ? "no clock" : cJSON_IsTrue(mt) ? "meets" : "FAILS");
    else snprintf(rows[n].c[8], 64, "–");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(d, "resources_from");
    snprintf(rows[n].c[9], 64, "%s", cJSON_IsString(from) && !strcmp(from->valuestring, "yosys") ? "Yosys synthesis" : "nnfirm estimate");
    n++;
  }
  const char *cells[8 * NCOL];
  for (int r = 0; r < n; r++)
    for (int c = 0; c < NCOL; c++) cells[r * NCOL + c] = rows[r].c[c];
  nf_html_table(h, "Accuracy and resources per design: validation accuracy (what one chooses on) and test accuracy "
                "(reported) with its 95% Wilson interval; resources: Yosys 0.23 synth_xilinx, not Vivado; critical path: "
                "the netlist's (Yosys cell delays + routing model) when synthesized, else the estimate's delay model",
                n, NCOL, cells);
}

/* Accuracy versus LUT% + FF%: one point (and colour) per design. */
static int plot_tradeoff(const tutorial *t, const cJSON *designs, double float_acc, nf_error *err) {
  double x[8], y[8], fx[2] = {0, 0}, fy[2] = {100 * float_acc, 100 * float_acc};
  nf_series s[9];
  int n = 0;
  double ylo = 100 * float_acc, yhi = ylo;
  const cJSON *d;
  cJSON_ArrayForEach(d, designs) {
    if (n < 8 && num(d, "lut_pct") >= 0 && num(d, "accuracy") >= 0) {
      x[n] = num(d, "lut_pct") + num(d, "ff_pct");
      y[n] = 100 * num(d, "accuracy");
      fx[1] = fmax(fx[1], 1.15 * x[n]);
      ylo = fmin(ylo, y[n]), yhi = fmax(yhi, y[n]);
      const cJSON *lab = cJSON_GetObjectItemCaseSensitive(d, "label");
      s[n] = (nf_series){cJSON_IsString(lab) ? lab->valuestring : NULL, &x[n], &y[n], 1, NF_LINE_POINTS, n};
      n++;
    }
  }
  if (n == 0) return NF_OK;
  s[n] = (nf_series){"float model", fx, fy, 2, NF_LINE_DASHED, n};
  nf_plot_opts o = {.title = "Accuracy versus resources (VU9P)", .xlabel = "LUT% + FF%", .ylabel = "test accuracy (%)",
                    .xmin = 0, .xmax = fx[1], .ymin = ylo - 0.5, .ymax = yhi + 0.5, .legend_pos = "br"};
  char path[4200];
  snprintf(path, sizeof path, "%s/plots/tradeoff/tradeoff.png", t->dir);
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/plots/tradeoff", t->dir);
  int rc = nf_mkdir_p(dir, err);
  return rc ? rc : nf_plot_lines(path, &o, s, n + 1, err);
}

static const cJSON *scan_point(const cJSON *scan, int bits) {
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(scan, "points")) if (num(p, "bits") == bits) return p;
  return NULL;
}

static int write_report(tutorial *t, const char *data, cJSON *summary, nf_error *err) {
  cJSON *info = step_json(t, "data_info"), *fl = step_json(t, "eval_float"), *scan = step_json(t, "scan");
  cJSON *cos = step_json(t, "cosim_qat6_pruned"), *designs = cJSON_AddArrayToObject(summary, "designs");
  for (int i = 0; i < N_DESIGNS; i++) cJSON_AddItemToArray(designs, design_summary(t, &DESIGNS[i]));
  double float_acc = num(fl, "accuracy");
  cJSON_AddStringToObject(summary, "data", data ? data : "synthetic jets (nnfirm data synth, seed 1)");
  cJSON_AddNumberToObject(summary, "rows", num(info, "rows"));
  cJSON_AddNumberToObject(summary, "float_accuracy", float_acc);
  char fm[4300];
  snprintf(fm, sizeof fm, "%s/models/float.nnf", t->dir);
  add_accuracies(summary, "float_", fm, t->jets, false);
  cJSON_AddNumberToObject(summary, "cosim_mismatches", num(cos, "mismatches"));
  cJSON_AddNumberToObject(summary, "cosim_rows", num(cos, "rows"));
  cJSON_AddNumberToObject(summary, "seconds", nf_now() - t->t0);

  nf_html *h = nf_html_begin("nnfirm tutorial: a jet tagger from data to firmware", err);
  int rc = h ? plot_tradeoff(t, designs, float_acc, err) : NF_EINTERNAL;
  if (h) {
    nf_html_heading(h, 1, "nnfirm tutorial: a jet tagger from data to firmware");
    nf_html_paragraph(h, "Data: %s, %.0f jets, split 60/20/20 (train / validation / test): models train on the "
                      "training rows, the validation accuracy is what one would choose on, and the test accuracy is "
                      "reported with its 95%% (Wilson) interval; figures and plots without a split named are on the "
                      "test split. %s Resource figures are Yosys' (synth_xilinx, UltraScale+ VU9P, out of "
                      "context), not Vivado's. Run time %.0f s.", data ? data : "synthetic jets", num(info, "rows"),
                      data ? "" : "Synthetic jets stand in for the real hls4ml data set ('nnfirm data fetch' caches "
                      "it, and the tutorial then uses it unchanged).", nf_now() - t->t0);
    nf_html_heading(h, 2, "Part 1: the data");
  }
  /* Four telling features of the sixteen (all are in plots/data/): jet mass,
   * 2-prong N-subjettiness ratio, multiplicity, z log z. */
  static const char *const key_features[] = {"mass_mmdt", "n2_b1_mmdt", "multiplicity", "zlogz", NULL};
  if (!rc) {
    nf_html_paragraph(h, "Four of the 16 substructure features by class (all 16 are in plots/data/): the W, Z and top "
                      "mass peaks, prong structure, and the wider gluon jets.");
    rc = add_some_images(h, t, "data", "feature distributions", key_features, err);
  }
  if (!rc) {
    nf_html_heading(h, 2, "Part 2: the float model");
    nf_html_paragraph(h, "16-64-32-32-5 MLP, ReLU, softmax, Adam, L1 1e-4: test accuracy %.2f%%.", 100 * float_acc);
    rc = add_images(h, t, "train_float", "training history", err);
  }
  if (!rc) rc = add_images(h, t, "float", "float model", err);
  if (!rc) {
    nf_html_heading(h, 2, "Part 3: fixed point");
    nf_html_paragraph(h, "The float model converted with hls4ml's default ap_fixed<16,6> everywhere; the emulator is "
                      "bit-accurate (the RTL equals it, see Firmware). ROC curves: float solid, fixed dashed.");
    rc = add_images(h, t, "fixed16_6", "ap_fixed<16,6>", err);
  }
  if (!rc) rc = add_images(h, t, "profile", "profiling", err);
  if (!rc) rc = add_images(h, t, "scan", "bit-width scan", err);
  if (!rc) {
    nf_html_heading(h, 2, "Parts 4 and 5: quantization-aware training and pruning");
    design_table(h, designs, summary, scan_point(scan, 6), num(scan, "rows"));
    nf_html_paragraph(h, "Magnitude pruning to 75%% sparsity with TensorFlow Model Optimization's polynomial-decay "
                      "schedule, during quantization-aware training: weight distributions per layer before and after.");
    rc = add_images(h, t, "weights_qat6_pruned", "weights before/after pruning", err);
  }
  if (!rc) rc = add_images(h, t, "train_qat6_pruned", "QAT 6 bits + pruning, training", err);
  if (!rc) rc = add_images(h, t, "qat6_pruned", "QAT 6 bits + pruning, bit-accurate", err);
  if (!rc) {
    nf_html_heading(h, 2, "Firmware");
    nf_html_paragraph(h, "Verilog from 'nnfirm convert' (projects/), the pruned QAT design co-simulated with %s "
                      "against the bit-accurate emulator: %.0f mismatches on %.0f jets. Latency and resources per "
                      "design are in the table above.", t->simulator, num(cos, "mismatches"), num(cos, "rows"));
    rc = add_images(h, t, "tradeoff", "accuracy versus resources", err);
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/index.html", t->dir);
  if (!rc) rc = nf_html_write(h, path, err);
  nf_html_free(h);
  cJSON_Delete(info), cJSON_Delete(fl), cJSON_Delete(scan), cJSON_Delete(cos);
  char *text = rc ? NULL : cJSON_Print(summary);
  snprintf(path, sizeof path, "%s/summary.json", t->dir);
  if (!rc) rc = text ? nf_write_file_atomic(path, text, strlen(text), err) : nf_fail_oom(err, "summary");
  free(text);
  return rc;
}


/* ---- The entry point ------------------------------------------------------------ */
int nf_tutorial_run(const nf_tutorial_opts *o, nf_tutorial_outcome *out, nf_error *err) {
  memset(out, 0, sizeof *out);
  tutorial t = {.self = o->exe, .quick = o->quick, .synth = o->synth, .rows = o->rows,
                .epochs = o->epochs, .simulator = o->simulator, .err = err, .o = o, .t0 = nf_now()};
  char *tmp = NULL;
  int rc = nf_outdir_begin(o->out, &tmp, err);
  if (rc) return rc;
  t.dir = tmp;
  if (o->data) snprintf(t.jets, sizeof t.jets, "%s", o->data);
  else snprintf(t.jets, sizeof t.jets, "%s/jets.h5", tmp);
  int n_synth = t.synth ? N_DESIGNS : 0;
  t.n_steps = (o->data ? 4 : 5) + 3 + 2 + 3 * N_DESIGNS + 1 + n_synth;
  const char *subdirs[] = {"logs", "models", "projects", "plots"};
  for (int i = 0; !rc && i < 4; i++) {
    char d[4200];
    snprintf(d, sizeof d, "%s/%s", tmp, subdirs[i]);
    rc = nf_mkdir_p(d, err);
  }
  if (!rc) rc = run_flow(&t, o->data);
  cJSON *summary = cJSON_CreateObject();
  if (!rc) rc = summary ? write_report(&t, o->data, summary, err) : nf_fail_oom(err, "summary");
  if (rc) {
    /* DIR stays as it was; what ran is kept in DIR.failed for its logs. */
    snprintf(out->kept, sizeof out->kept, "%s.failed", o->out);
    nf_error e2 = {0};
    if (nf_outdir_commit(tmp, out->kept, &e2)) {
      nf_outdir_abort(tmp);
      out->kept[0] = '\0';
    }
    free(tmp);
    cJSON_Delete(summary);
    return rc;
  }
  rc = nf_outdir_commit(tmp, o->out, err);
  if (rc) nf_outdir_abort(tmp);
  free(tmp);
  if (!rc && !(out->summary_json = cJSON_Print(summary))) rc = nf_fail_oom(err, "summary");
  out->seconds = nf_now() - t.t0;
  cJSON_Delete(summary);
  return rc;
}
