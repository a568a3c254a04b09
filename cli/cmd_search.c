/* nnfirm search: the course competition — the smallest LUT% + FF% on the
 * target part with bit-accurate test accuracy above a floor.
 *
 * Candidates (hidden widths x bit width x sparsity x ReuseFactor) are
 * independent jobs: `nnfirm search --candidate SPEC` trains one with QAT and
 * pruning, converts it, evaluates it bit for bit on the test split and
 * estimates its resources, into its own directory. The driver runs them
 * --jobs at a time until the budget's exploration share is spent (or writes
 * them as a Slurm array / GNU parallel list for a cluster), then synthesizes
 * the most promising with Yosys for real counts and picks the winner. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nnfirm/report.h"
#include "nnfirm/rng.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm search [--data FILE] [--min-accuracy A] [--objective lut+ff] [--part P]\n"
    "                     [--budget TIME] [--jobs N] [--synth K] [--seed S] [-o DIR] [--json] [--quiet]\n"
    "       nnfirm search --emit slurm|parallel [options] -o DIR   (write the jobs, run nothing)\n"
    "       nnfirm search --collect DIR [--min-accuracy A] [--synth K] [--json]\n\n"
    "Design-space exploration for the smallest design above an accuracy floor: hidden\n"
    "widths, bit width (QAT, QKeras semantics), sparsity (tfmot pruning) and ReuseFactor.\n"
    "Every candidate is trained, converted, scored by the bit-accurate emulator on the\n"
    "held-out test split and screened with 'nnfirm estimate'; the K most promising above\n"
    "the floor are synthesized with Yosys, and the winner is the smallest real LUT%+FF%.\n"
    "Writes DIR/candidates/<id>/ (model, project, result.json), DIR/pareto.png and\n"
    "DIR/search.json; the winner's project is ready for 'nnfirm cosim'.\n\n"
    "  --data FILE         labelled jets (default: 200k synthetic jets as 'nnfirm train' makes)\n"
    "  --min-accuracy A    accuracy floor (default 0.74)\n"
    "  --objective lut+ff  what to minimize (LUT% + FF% of the part; the only objective)\n"
    "  --part P            target device (default xcvu9p)\n"
    "  --budget TIME       wall-clock budget, e.g. 900, 15m, 1h (default 20m); two thirds\n"
    "                      explore, the rest synthesizes\n"
    "  --jobs N            candidates trained side by side (default 2)\n"
    "  --synth K           candidates synthesized with Yosys (default 3; 0 = estimates only)\n"
    "  --epochs N          training epochs per candidate (default 20)\n"
    "  --emit slurm|parallel  write DIR/jobs.txt and DIR/search.sbatch (a Slurm job array) or\n"
    "                      DIR/jobs.parallel (for GNU parallel), then stop; run them on the\n"
    "                      cluster into the shared DIR and merge with --collect DIR\n"
    "  --collect DIR       merge finished candidates in DIR, synthesize, pick the winner\n"
    "  --json              stdout: {\"winner\": {...}, \"pareto\": [...]}\n"
    "Accuracy is always the bit-accurate emulator's on the test split. Yosys counts are not\n"
    "Vivado's; synthetic jets are not the real ones (the same search runs on --data real.arff).\n";

/* ---- Candidates ------------------------------------------------------------------ */
typedef struct candidate {
  char hidden[32]; /* "16,8" */
  int bits;
  double prune;
  int reuse;
  int in_bits; /* input quantizer quantized_bits(in_bits, 3); 16 = QAT's default (16, 5) */
  double hgq;  /* per-weight bit penalty (HGQ); 0 = uniform bits */
  char id[64];
} candidate;

static void candidate_id(candidate *c) {
  char h[32];
  snprintf(h, sizeof h, "%s", c->hidden);
  for (char *p = h; *p; p++)
    if (*p == ',') *p = 'x';
  int n = snprintf(c->id, sizeof c->id, "h%s_b%d_p%02d_r%d_i%d", h, c->bits, (int)lround(c->prune * 100), c->reuse,
                   c->in_bits);
  if (c->hgq > 0) snprintf(c->id + n, sizeof c->id - (size_t)n, "_q%.0e", c->hgq);
}

/* "hidden=16,8;bits=4;prune=0.8[;reuse=1][;in=8]" */
static int parse_spec(const char *s, candidate *c) {
  memset(c, 0, sizeof *c);
  c->reuse = 1;
  c->in_bits = 16;
  char buf[256], *save = NULL;
  if (strlen(s) >= sizeof buf) return -1;
  snprintf(buf, sizeof buf, "%s", s);
  int seen = 0;
  for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) return -1;
    *eq++ = '\0';
    long v;
    if (!strcmp(kv, "hidden") && strspn(eq, "0123456789,") == strlen(eq) && *eq && strlen(eq) < sizeof c->hidden)
      snprintf(c->hidden, sizeof c->hidden, "%s", eq), seen |= 1;
    else if (!strcmp(kv, "bits") && nf_parse_long(eq, &v)) c->bits = (int)v, seen |= 2;
    else if (!strcmp(kv, "prune") && nf_parse_double(eq, &c->prune)) seen |= 4;
    else if (!strcmp(kv, "reuse") && nf_parse_long(eq, &v)) c->reuse = (int)v;
    else if (!strcmp(kv, "in") && nf_parse_long(eq, &v)) c->in_bits = (int)v;
    else if (!strcmp(kv, "hgq") && nf_parse_double(eq, &c->hgq) && c->hgq >= 0 && c->hgq < 1) continue;
    else return -1;
  }
  if (seen != 7 || c->bits < 2 || c->bits > 16 || c->prune < 0 || c->prune >= 1 || c->reuse < 1 || c->reuse > 4096 ||
      c->in_bits < 4 || c->in_bits > 16)
    return -1;
  candidate_id(c);
  return 0;
}

static void format_spec(const candidate *c, char *buf, size_t n) {
  int k = snprintf(buf, n, "hidden=%s;bits=%d;prune=%.2f;reuse=%d;in=%d", c->hidden, c->bits, c->prune, c->reuse,
                   c->in_bits);
  if (c->hgq > 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ";hgq=%g", c->hgq);
}

/* The default space, centred where small QAT + pruned jet taggers stay
 * above 74% on synthetic jets (measured: 32-16 hidden, 3-4 bits, 75% sparse,
 * 8-bit inputs: ~74-75% at ~0.2% LUT+FF of a VU9P). ReuseFactor stays 1:
 * time-shared multipliers cost LUTs and latency here (docs/firmware.md). */
static int build_grid(candidate *out, int max, uint64_t seed) {
  static const char *const hidden[] = {"64,32,32", "64,32", "48,24", "32,16", "24,12", "16,8", "32"};
  static const int bits[] = {3, 4, 5};
  static const double prune[] = {0.5, 0.7, 0.75, 0.8};
  static const int in_bits[] = {8, 6};
  int n = 0;
  for (size_t h = 0; h < sizeof hidden / sizeof *hidden; h++)
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++)
      for (size_t p = 0; p < sizeof prune / sizeof *prune; p++)
        for (size_t i = 0; i < sizeof in_bits / sizeof *in_bits && n < max; i++) {
          candidate *c = &out[n++];
          memset(c, 0, sizeof *c);
          snprintf(c->hidden, sizeof c->hidden, "%s", hidden[h]);
          c->bits = bits[b];
          c->prune = prune[p];
          c->reuse = 1;
          c->in_bits = in_bits[i];
          candidate_id(c);
        }
  /* A seeded shuffle: a budget that ends early still saw the whole space. */
  nf_rng r;
  nf_rng_seed(&r, seed);
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(nf_rng_u64(&r) % (uint64_t)(i + 1));
    candidate t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return n;
}

/* ---- One candidate (the job a cluster runs) ------------------------------------- */
typedef struct job_opts {
  const char *data, *part;
  int epochs;
} job_opts;



static double num(const cJSON *o, const char *key) { return cli_json_num(o, key, NAN); }

/* Trains, converts, evaluates and estimates one candidate into dir;
 * dir/result.json holds the figures (or the failing step). */
static int run_candidate(const char *self, const candidate *c, const job_opts *o, const char *dir, nf_error *err) {
  char model[4200], proj[4200], bits[8], prune[16], epochs[16], cfg[4200];
  if (nf_mkdir_p(dir, err)) return err->code;
  snprintf(model, sizeof model, "%s/model.nnf", dir);
  snprintf(proj, sizeof proj, "%s/project", dir);
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  snprintf(bits, sizeof bits, "%d", c->bits);
  snprintf(prune, sizeof prune, "%.2f", c->prune);
  snprintf(epochs, sizeof epochs, "%d", o->epochs);
  char text[300];
  snprintf(text, sizeof text, "{\"Model\": {\"ReuseFactor\": %d}, \"Part\": \"%s\"}\n", c->reuse, o->part);
  if (nf_write_file_atomic(cfg, text, strlen(text), err)) return err->code;
  const char *train[24] = {"train", "--hidden", c->hidden, "--bits", bits, "--epochs", epochs, "--quiet", "--json",
                           "-o", model};
  int n = 11;
  if (o->data) train[n++] = "--data", train[n++] = o->data;
  if (c->prune > 0) train[n++] = "--prune", train[n++] = prune;
  char quant[32];
  snprintf(quant, sizeof quant, "input:a%di3", c->in_bits);
  if (c->in_bits != 16) train[n++] = "--quant", train[n++] = quant;
  char hgq[32];
  snprintf(hgq, sizeof hgq, "%g", c->hgq);
  if (c->hgq > 0) train[n++] = "--hgq", train[n++] = hgq;
  train[n] = NULL;
  const char *conv[] = {"convert", model, "--config", cfg, "-o", proj, NULL};
  const char *ev[] = {"eval", proj, "--split", "test", "--json", o->data ? "--data" : NULL, o->data, NULL};
  const char *est[] = {"estimate", proj, "--part", o->part, "--json", NULL};
  const char *names[] = {"train", "convert", "eval", "estimate"};
  const char *const *steps[] = {train, conv, ev, est};
  const char *failed = NULL;
  for (int i = 0; i < 4 && !failed; i++)
    if (cli_run_step(self, steps[i], dir, names[i]) != 0) failed = names[i];
  cJSON *r = cJSON_CreateObject(), *tr = cli_read_json(dir, "train.out"), *e = cli_read_json(dir, "eval.out");
  cJSON *es = cli_read_json(dir, "estimate.out"), *man = cli_read_json(proj, "manifest.json");
  char spec[128];
  format_spec(c, spec, sizeof spec);
  cJSON_AddStringToObject(r, "id", c->id);
  cJSON_AddStringToObject(r, "spec", spec);
  if (failed) cJSON_AddStringToObject(r, "failed", failed);
  cJSON_AddNumberToObject(r, "accuracy", num(e, "accuracy"));
  cJSON_AddNumberToObject(r, "model_accuracy", num(tr, "accuracy"));
  cJSON_AddNumberToObject(r, "sparsity", num(tr, "sparsity"));
  const char *keys[] = {"lut", "ff", "dsp", "lut_pct", "ff_pct"};
  for (int i = 0; i < 5; i++) {
    char k[32];
    snprintf(k, sizeof k, "est_%s", keys[i]);
    cJSON_AddNumberToObject(r, k, num(es, keys[i]));
  }
  cJSON_AddNumberToObject(r, "latency_cycles", num(man, "latency_cycles"));
  char *out = cJSON_Print(r);
  char path[4200];
  snprintf(path, sizeof path, "%s/result.json", dir);
  int rc = out ? nf_write_file_atomic(path, out, strlen(out), err) : nf_fail_oom(err, "result.json");
  free(out);
  cJSON_Delete(r), cJSON_Delete(tr), cJSON_Delete(e), cJSON_Delete(es), cJSON_Delete(man);
  if (!rc && failed) rc = nf_fail(err, NF_EINPUT, "candidate %s: step '%s' failed (see %s/%s.log)", c->id, failed, dir, failed);
  return rc;
}

/* ---- Exploration ---------------------------------------------------------------- */
typedef struct search {
  const char *self, *dir, *part;
  job_opts job;
  double min_acc, budget, t0;
  int jobs, synth_k;
  bool quiet, json;
} search;

static double elapsed(const search *s) { return nf_now() - s->t0; }

static void candidate_args(const search *s, const candidate *c, const char *spec, char *dir, size_t dir_len,
                           const char **a) {
  snprintf(dir, dir_len, "%s/candidates/%s", s->dir, c->id);
  int n = 0;
  a[n++] = "search", a[n++] = "--candidate", a[n++] = spec, a[n++] = "-o", a[n++] = dir;
  a[n++] = "--part", a[n++] = s->part;
  if (s->job.data) a[n++] = "--data", a[n++] = s->job.data;
  a[n] = NULL;
}

/* Runs candidates `jobs` at a time until they are done or the exploration
 * share of the budget is spent (running ones finish; no new ones start). */
static int explore(search *s, const candidate *grid, int n) {
  /* The children are this process's only ones while exploring, so a count
   * is all the bookkeeping needed (each child got its own copy of its
   * arguments when it forked). */
  int next = 0, running = 0, done = 0;
  double explore_until = s->budget * 2 / 3;
  while (next < n || running > 0) {
    while (running < s->jobs && next < n && elapsed(s) < explore_until) {
      const candidate *c = &grid[next++];
      char spec[128], dir[4200], out[4300], log[4300];
      const char *a[16];
      format_spec(c, spec, sizeof spec);
      candidate_args(s, c, spec, dir, sizeof dir, a);
      nf_mkdir_p(dir, NULL);
      snprintf(out, sizeof out, "%s/job.out", dir);
      snprintf(log, sizeof log, "%s/job.log", dir);
      if (cli_spawn(s->self, a, out, log) > 0) running++;
    }
    if (running == 0) break;
    if (cli_wait(-1, NULL) < 0) break; /* no child left to wait for */
    running--, done++;
    if (!s->quiet)
      fprintf(stderr, "\rsearch: %d candidates done, %d running, %.0f s of %.0f s budget   ", done, running, elapsed(s),
              s->budget);
  }
  if (!s->quiet) fputc('\n', stderr);
  return NF_OK;
}

/* ---- Collecting, synthesis, the winner ------------------------------------------- */
typedef struct result {
  char id[64], spec[128];
  double acc, est, lut, ff, lut_pct, ff_pct, dsp, sparsity, latency;
  bool synthesized, pareto;
} result;

static int load_results(const search *s, result **out, int *n_out) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/candidates", s->dir);
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort), k = 0;
  result *r = calloc(n > 0 ? (size_t)n : 1, sizeof *r);
  for (int i = 0; i < n; i++) {
    char cd[4500];
    snprintf(cd, sizeof cd, "%s/%s", dir, names[i]->d_name);
    cJSON *o = names[i]->d_name[0] != '.' && r ? cli_read_json(cd, "result.json") : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
    if (o && cJSON_IsString(id) && cJSON_IsString(sp) && !cJSON_GetObjectItemCaseSensitive(o, "failed") &&
        !isnan(num(o, "accuracy")) && !isnan(num(o, "est_lut_pct"))) {
      result *x = &r[k++];
      snprintf(x->id, sizeof x->id, "%s", id->valuestring);
      snprintf(x->spec, sizeof x->spec, "%s", sp->valuestring);
      x->acc = num(o, "accuracy");
      x->lut = num(o, "est_lut"), x->ff = num(o, "est_ff"), x->dsp = num(o, "est_dsp");
      x->lut_pct = num(o, "est_lut_pct"), x->ff_pct = num(o, "est_ff_pct");
      x->est = x->lut_pct + x->ff_pct;
      x->sparsity = num(o, "sparsity"), x->latency = num(o, "latency_cycles");
    }
    cJSON_Delete(o);
    free(names[i]);
  }
  free(names);
  *out = r;
  *n_out = k;
  return r ? NF_OK : NF_EINTERNAL;
}

static double cost(const result *r) { return r->lut_pct + r->ff_pct; }

/* Marks the Pareto front: no other candidate is at least as accurate and cheaper. */
static void mark_pareto(result *r, int n) {
  for (int i = 0; i < n; i++) {
    r[i].pareto = true;
    for (int j = 0; j < n && r[i].pareto; j++)
      if (j != i && r[j].acc >= r[i].acc && cost(&r[j]) <= cost(&r[i]) &&
          (r[j].acc > r[i].acc || cost(&r[j]) < cost(&r[i])))
        r[i].pareto = false;
  }
}

static int by_estimate(const void *a, const void *b) {
  double x = ((const result *)a)->est, y = ((const result *)b)->est;
  return (x > y) - (x < y);
}

/* Synthesizes the k cheapest (by estimate) candidates above the floor. */
static void synthesize(search *s, result *r, int n) {
  qsort(r, (size_t)n, sizeof *r, by_estimate);
  int done = 0;
  for (int i = 0; i < n && done < s->synth_k; i++) {
    if (r[i].acc < s->min_acc) continue;
    double left = s->budget - elapsed(s);
    if (left < 30) break;
    char proj[4300], timeout[32], out[4400], log[4400];
    snprintf(proj, sizeof proj, "%s/candidates/%s/project", s->dir, r[i].id);
    snprintf(timeout, sizeof timeout, "%.0f", left);
    snprintf(out, sizeof out, "%s/candidates/%s/synth.out", s->dir, r[i].id);
    snprintf(log, sizeof log, "%s/candidates/%s/synth.log", s->dir, r[i].id);
    if (!s->quiet) fprintf(stderr, "search: synthesizing %s with Yosys (estimate %.4f%%)...\n", r[i].id, r[i].est);
    const char *a[] = {"synth", proj, "--part", s->part, "--json", "--quiet", "--timeout", timeout, NULL};
    done++;
    if (cli_run(s->self, a, out, log) != 0) continue;
    char cd[4300];
    snprintf(cd, sizeof cd, "%s/candidates/%s", s->dir, r[i].id);
    cJSON *o = cli_read_json(cd, "synth.out");
    if (o && !isnan(num(o, "lut"))) {
      r[i].lut = num(o, "lut"), r[i].ff = num(o, "ff"), r[i].dsp = num(o, "dsp");
      r[i].lut_pct = num(o, "lut_pct"), r[i].ff_pct = num(o, "ff_pct");
      r[i].synthesized = true;
    }
    cJSON_Delete(o);
  }
}

/* The winner: the smallest real (else estimated) LUT% + FF% above the floor. */
static const result *pick_winner(const result *r, int n, double min_acc) {
  const result *w = NULL;
  for (int pass = 0; pass < 2 && !w; pass++)
    for (int i = 0; i < n; i++)
      if (r[i].acc >= min_acc && (pass || r[i].synthesized) && (!w || cost(&r[i]) < cost(w))) w = &r[i];
  return w;
}

static cJSON *result_json(const search *s, const result *r) {
  cJSON *o = cJSON_CreateObject();
  char proj[4300];
  snprintf(proj, sizeof proj, "%s/candidates/%s/project", s->dir, r->id);
  cJSON_AddStringToObject(o, "id", r->id);
  cJSON_AddStringToObject(o, "spec", r->spec);
  cJSON_AddNumberToObject(o, "accuracy", r->acc);
  cJSON_AddNumberToObject(o, "lut", r->lut);
  cJSON_AddNumberToObject(o, "ff", r->ff);
  cJSON_AddNumberToObject(o, "dsp", r->dsp);
  cJSON_AddNumberToObject(o, "lut_pct", r->lut_pct);
  cJSON_AddNumberToObject(o, "ff_pct", r->ff_pct);
  cJSON_AddNumberToObject(o, "estimated_lut_ff_pct", r->est);
  cJSON_AddNumberToObject(o, "latency_cycles", r->latency);
  cJSON_AddNumberToObject(o, "sparsity", isnan(r->sparsity) ? 0 : r->sparsity);
  cJSON_AddStringToObject(o, "resources_from", r->synthesized ? "yosys" : "estimate");
  cJSON_AddStringToObject(o, "project", proj);
  return o;
}

static int plot_pareto(const search *s, const result *r, int n, nf_error *err) {
  double *x = calloc((size_t)n * 4 + 4, sizeof *x);
  if (!x) return nf_fail_oom(err, "Pareto plot");
  double *y = x + n + 1, *px = y + n + 1, *py = px + n + 1;
  int np = 0;
  for (int i = 0; i < n; i++) {
    x[i] = cost(&r[i]), y[i] = 100 * r[i].acc;
    if (r[i].pareto) px[np] = x[i], py[np++] = y[i];
  }
  /* the front as a staircase line, in order of cost */
  for (int i = 1; i < np; i++)
    for (int j = i; j > 0 && px[j] < px[j - 1]; j--) {
      double t = px[j]; px[j] = px[j - 1]; px[j - 1] = t;
      t = py[j]; py[j] = py[j - 1]; py[j - 1] = t;
    }
  double fx[2] = {0, 0}, fy[2] = {100 * s->min_acc, 100 * s->min_acc};
  for (int i = 0; i < n; i++) fx[1] = fmax(fx[1], x[i] * 1.05);
  nf_series ser[3] = {{"candidates", x, y, n, NF_LINE_POINTS, 0},
                      {"Pareto front", px, py, np, NF_LINE_SOLID, 1},
                      {"accuracy floor", fx, fy, 2, NF_LINE_DASHED, 2}};
  nf_plot_opts o = {.title = "Search: bit-accurate test accuracy vs LUT% + FF%", .xlabel = "LUT% + FF% (VU9P)",
                    .ylabel = "accuracy (%)", .logx = false, .legend_pos = "br"};
  char path[4200];
  snprintf(path, sizeof path, "%s/pareto.png", s->dir);
  int rc = nf_plot_lines(path, &o, ser, 3, err);
  free(x);
  return rc;
}

static int finish(search *s, nf_error *err) {
  result *r = NULL;
  int n = 0;
  int rc = load_results(s, &r, &n);
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "%s/candidates: no finished candidate (see the candidates' logs)", s->dir);
  if (!rc && s->synth_k > 0) synthesize(s, r, n);
  if (!rc) {
    mark_pareto(r, n);
    rc = plot_pareto(s, r, n, err);
  }
  const result *w = rc ? NULL : pick_winner(r, n, s->min_acc);
  cJSON *o = cJSON_CreateObject(), *front = cJSON_CreateArray(), *all = cJSON_CreateArray();
  for (int i = 0; !rc && i < n; i++) {
    cJSON_AddItemToArray(all, result_json(s, &r[i]));
    if (r[i].pareto) cJSON_AddItemToArray(front, result_json(s, &r[i]));
  }
  if (w) cJSON_AddItemToObject(o, "winner", result_json(s, w));
  else cJSON_AddNullToObject(o, "winner");
  cJSON_AddItemToObject(o, "pareto", front);
  cJSON_AddNumberToObject(o, "min_accuracy", s->min_acc);
  cJSON_AddNumberToObject(o, "candidates", n);
  cJSON_AddNumberToObject(o, "seconds", elapsed(s));
  cJSON_AddItemToObject(o, "all", all);
  char *text = rc ? NULL : cJSON_Print(o);
  char path[4200];
  snprintf(path, sizeof path, "%s/search.json", s->dir);
  if (!rc) rc = text ? nf_write_file_atomic(path, text, strlen(text), err) : nf_fail_oom(err, "search.json");
  if (!rc && s->json) {
    cJSON_DeleteItemFromObject(o, "all");
    char *t2 = cJSON_Print(o);
    if (t2) puts(t2);
    free(t2);
  } else if (!rc) {
    printf("%-22s %9s %9s %9s %11s %8s %s\n", "Pareto front", "accuracy", "LUT", "FF", "LUT%+FF%", "latency", "from");
    for (int i = 0; i < n; i++)
      if (r[i].pareto)
        printf("%-22s %8.2f%% %9.0f %9.0f %10.4f%% %8.0f %s\n", r[i].id, 100 * r[i].acc, r[i].lut, r[i].ff, cost(&r[i]),
               r[i].latency, r[i].synthesized ? "yosys" : "estimate");
    if (w)
      printf("winner: %s  accuracy %.2f%%  LUT %.0f  FF %.0f  LUT%%+FF%% %.4f%% (%s)  latency %.0f cycles\n"
             "project: %s/candidates/%s/project\n",
             w->id, 100 * w->acc, w->lut, w->ff, cost(w), w->synthesized ? "Yosys" : "estimate", w->latency, s->dir, w->id);
    else
      printf("no candidate reached %.2f%% accuracy\n", 100 * s->min_acc);
    printf("%d candidates; %s/search.json, %s/pareto.png\n", n, s->dir, s->dir);
  }
  free(text);
  cJSON_Delete(o);
  free(r);
  return rc;
}

/* ---- Cluster job lists ----------------------------------------------------------- */
static int emit_jobs(search *s, const candidate *grid, int n, const char *kind, nf_error *err) {
  size_t line = strlen(s->self) + strlen(s->part) + strlen(s->dir) + (s->job.data ? strlen(s->job.data) : 0) + 400;
  size_t cap = (size_t)n * line + 1, len = 0; /* every line fits: no truncation */
  char *jobs = malloc(cap);
  if (!jobs) return nf_fail_oom(err, "job list");
  for (int i = 0; i < n; i++) {
    char spec[128];
    format_spec(&grid[i], spec, sizeof spec);
    len += (size_t)snprintf(jobs + len, cap - len, "%s search --candidate '%s' --part %s%s%s -o %s/candidates/%s\n",
                            s->self, spec, s->part, s->job.data ? " --data " : "", s->job.data ? s->job.data : "", s->dir,
                            grid[i].id);
  }
  char path[4200];
  int rc = nf_mkdir_p(s->dir, err);
  snprintf(path, sizeof path, "%s/%s", s->dir, strcmp(kind, "parallel") ? "jobs.txt" : "jobs.parallel");
  if (!rc) rc = nf_write_file_atomic(path, jobs, len, err);
  free(jobs);
  if (!rc && strcmp(kind, "parallel")) {
    char sb[2048];
    int k = snprintf(sb, sizeof sb,
                     "#!/bin/sh\n# One array task per candidate; every task writes its own directory under\n"
                     "# %s/candidates (a shared file system). Afterwards: nnfirm search --collect %s\n"
                     "#SBATCH --job-name=nnfirm-search\n#SBATCH --array=1-%d\n#SBATCH --cpus-per-task=1\n"
                     "#SBATCH --time=00:30:00\n#SBATCH --output=%s/slurm-%%A_%%a.log\n"
                     "sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s/jobs.txt | sh\n",
                     s->dir, s->dir, n, s->dir, s->dir);
    snprintf(path, sizeof path, "%s/search.sbatch", s->dir);
    rc = nf_write_file_atomic(path, sb, (size_t)k, err);
  }
  if (!rc)
    printf("wrote %d jobs to %s; %s, then: nnfirm search --collect %s\n", n, path,
           strcmp(kind, "parallel") ? "submit with sbatch" : "run with: parallel -j N < jobs.parallel", s->dir);
  return rc;
}

/* ---- The command ---------------------------------------------------------------- */
static int parse_budget(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || v <= 0) return -1;
  if (!strcmp(end, "h")) v *= 3600;
  else if (!strcmp(end, "m")) v *= 60;
  else if (*end && strcmp(end, "s")) return -1;
  *out = v;
  return 0;
}

int cmd_search(int argc, char **argv) {
  enum { O_MIN = 256, O_OBJ, O_PART, O_BUDGET, O_JOBS, O_SYNTH, O_SEED, O_EMIT, O_COLLECT, O_CAND, O_EPOCHS, O_DATA };
  static const struct option opts[] = {
      {"data", required_argument, 0, O_DATA},       {"min-accuracy", required_argument, 0, O_MIN},
      {"objective", required_argument, 0, O_OBJ},   {"part", required_argument, 0, O_PART},
      {"budget", required_argument, 0, O_BUDGET},   {"jobs", required_argument, 0, O_JOBS},
      {"synth", required_argument, 0, O_SYNTH},     {"seed", required_argument, 0, O_SEED},
      {"emit", required_argument, 0, O_EMIT},       {"collect", required_argument, 0, O_COLLECT},
      {"candidate", required_argument, 0, O_CAND},  {"epochs", required_argument, 0, O_EPOCHS},
      {"output", required_argument, 0, 'o'},        {"json", no_argument, 0, 'j'},
      {"quiet", no_argument, 0, 'q'},               {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  search s = {.part = "xcvu9p", .min_acc = 0.74, .budget = 1200, .jobs = 2, .synth_k = 3, .quiet = !isatty(2),
              .dir = "nnfirm-search", .job = {.epochs = 20}};
  const char *emit = NULL, *collect = NULL, *cand = NULL;
  long seed = 1, v;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case O_DATA: s.job.data = optarg; break;
    case O_MIN:
      if (!nf_parse_double(optarg, &s.min_acc) || s.min_acc < 0 || s.min_acc > 1)
        return cli_usage_error("search", "--min-accuracy must be in [0, 1], not '%s'", optarg);
      break;
    case O_OBJ:
      if (strcmp(optarg, "lut+ff")) return cli_usage_error("search", "--objective: only lut+ff is supported, not '%s'", optarg);
      break;
    case O_PART: s.part = optarg; break;
    case O_BUDGET:
      if (parse_budget(optarg, &s.budget)) return cli_usage_error("search", "--budget '%s': seconds, or with m / h", optarg);
      break;
    case O_JOBS:
      if (!nf_parse_long(optarg, &v) || v < 1 || v > 256) return cli_usage_error("search", "--jobs must be 1..256");
      s.jobs = (int)v;
      break;
    case O_SYNTH:
      if (!nf_parse_long(optarg, &v) || v < 0 || v > 100) return cli_usage_error("search", "--synth must be 0..100");
      s.synth_k = (int)v;
      break;
    case O_EPOCHS:
      if (!nf_parse_long(optarg, &v) || v < 1 || v > 1000) return cli_usage_error("search", "--epochs must be 1..1000");
      s.job.epochs = (int)v;
      break;
    case O_SEED:
      if (!nf_parse_long(optarg, &seed)) return cli_usage_error("search", "--seed must be an integer");
      break;
    case O_EMIT:
      if (strcmp(optarg, "slurm") && strcmp(optarg, "parallel"))
        return cli_usage_error("search", "--emit must be slurm or parallel, not '%s'", optarg);
      emit = optarg;
      break;
    case O_COLLECT: collect = optarg; break;
    case O_CAND: cand = optarg; break;
    case 'o': s.dir = optarg; break;
    case 'j': s.json = true; break;
    case 'q': s.quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("search", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("search", "unexpected argument '%s'", argv[optind]);
  s.job.part = s.part;
  nf_error err = {0};
  char self[4096];
  if (cli_self_path(self, sizeof self)) return cli_report("search", &(nf_error){NF_EINTERNAL, "cannot find the nnfirm executable"});
  s.self = self;
  s.t0 = nf_now();
  if (s.job.data && access(s.job.data, R_OK) != 0) return cli_usage_error("search", "%s: cannot read the data file", s.job.data);
  if (cand) {
    candidate one;
    if (parse_spec(cand, &one))
      return cli_usage_error("search", "--candidate '%s': expected hidden=W[,W...];bits=B;prune=P[;reuse=R][;in=I][;hgq=BETA] "
                             "(B 2..16, P in [0,1), I 4..16 input bits, BETA per-weight bit penalty)", cand);
    return run_candidate(self, &one, &s.job, s.dir, &err) ? cli_report("search", &err) : 0;
  }
  if (collect) {
    s.dir = collect;
    return finish(&s, &err) ? cli_report("search", &err) : 0;
  }
  candidate grid[256];
  int n = build_grid(grid, 256, (uint64_t)seed);
  if (emit) return emit_jobs(&s, grid, n, emit, &err) ? cli_report("search", &err) : 0;
  if (nf_mkdir_p(s.dir, &err)) return cli_report("search", &err);
  int rc = explore(&s, grid, n);
  if (!rc) rc = finish(&s, &err);
  return rc ? cli_report("search", &err) : 0;
}
