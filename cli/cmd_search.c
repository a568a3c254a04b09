/* nnfirm search: the course competition — the smallest LUT% + FF% on the
 * target part with bit-accurate accuracy above a floor. The search itself
 * is the library's search stage (nnfirm/search.h); this file parses the
 * options, makes one call and prints. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nnfirm/search.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm search [--data FILE] [--min-accuracy A] [--objective lut+ff] [--part P]\n"
    "                     [--budget TIME] [--strategy evolve|grid] [--jobs N] [--synth K] [--relax NS] [--seeds K] [--seed S]\n"
    "                     [-o DIR] [--json] [--quiet]\n"
    "       nnfirm search --emit slurm|condor|parallel [options] -o DIR   (write the jobs, run nothing)\n"
    "       nnfirm search --collect DIR [--min-accuracy A] [--synth K] [--seeds K] [--json]\n\n"
    "Design-space exploration for the smallest design above an accuracy floor: hidden\n"
    "widths, bit width (QAT, QKeras semantics), sparsity (tfmot pruning) and ReuseFactor.\n"
    "Every candidate is trained, converted, scored by the bit-accurate emulator on the\n"
    "validation split and screened with the resource estimate; the K most promising above\n"
    "the floor are synthesized with Yosys, and the winner is the smallest real LUT%+FF%\n"
    "among those that meet their clock by the netlist timing (failing ones are listed as\n"
    "passed over; when none of the K meets it, up to K more are synthesized).\n"
    "Only the winner is scored on the test split, for the report (95% Wilson interval).\n"
    "Writes DIR/candidates/<id>/ (model, project, result.json), DIR/pareto.png and\n"
    "DIR/search.json; the winner's project is ready for 'nnfirm cosim'.\n\n"
    "  --data FILE         labelled jets (default: 200k synthetic jets as 'nnfirm train' makes)\n"
    "  --min-accuracy A    validation accuracy floor (default 0.74)\n"
    "  --objective lut+ff  what to minimize (LUT% + FF% of the part; the only objective)\n"
    "  --part P            target device (default xcvu9p)\n"
    "  --budget TIME       wall-clock budget, e.g. 900, 15m, 1h (default 20m); two thirds\n"
    "                      explore, the rest synthesizes\n"
    "  --strategy S        evolve (default): the shuffled grid for a third of the budget, then generations\n"
    "                      of one-change neighbours until two thirds: above the floor cheaper (narrower, bits -1,\n"
    "                      sparser, inputs -1, HGQ penalties on/x3, fan-in cap/-1), below it more accurate (wider,\n"
    "                      bits +1, denser, HGQ /3, fan-in +1, another seed); DIR/explore.json. grid: the grid alone\n"
    "  --jobs N            candidates trained side by side (default 2)\n"
    "  --synth K           candidates synthesized with Yosys (default 3; 0 = estimates only)\n"
    "  --relax NS          synthesize a candidate placed for ClockPeriod + NS and + NS/2 a stage, each tightened\n"
    "                      until its netlist meets the clock, the cheaper kept (default 3; 0: as converted)\n"
    "  --seeds K           retrain the winner with K more training seeds and report the mean and\n"
    "                      spread of its validation and test accuracy (default 0; outside the budget)\n"
    "  --epochs N          training epochs per candidate (default 60)\n"
    "  --emit slurm|condor|parallel  write DIR/jobs.txt and DIR/search.sbatch (a Slurm job array),\n"
    "                      DIR/jobs.txt and DIR/search.sub (an HTCondor submit file, as CERN's batch\n"
    "                      service runs) or DIR/jobs.parallel (for GNU parallel), then stop; run them\n"
    "                      on the cluster into the shared DIR and merge with --collect DIR\n"
    "  --collect DIR       merge finished candidates in DIR, synthesize, pick the winner\n"
    "  --json              stdout: {\"winner\": {...}, \"pareto\": [...], ...}\n"
    "Accuracy is always the bit-accurate emulator's. Yosys counts are not Vivado's;\n"
    "synthetic jets are not the real ones (the same search runs on --data real.arff).\n";

static int parse_budget(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || !(v > 0)) return -1;
  if (!strcmp(end, "h")) v *= 3600;
  else if (!strcmp(end, "m")) v *= 60;
  else if (*end && strcmp(end, "s")) return -1;
  *out = v;
  return 0;
}

static void progress(const nf_search_progress *p, void *ctx) {
  (void)ctx;
  if (p->phase == NF_SEARCH_SYNTHESIZING)
    fprintf(stderr, "search: synthesizing %s with Yosys (estimate %.4f%%)...\n", p->id, p->est_cost);
  else
    fprintf(stderr, "\r%s: %d candidates done, %d running, %.0f s of %.0f s budget   %s",
            p->phase == NF_SEARCH_RETRAINING ? "retraining the winner" : "search", p->done, p->running, p->elapsed_s,
            p->budget_s, p->running == 0 && p->done == p->total ? "\n" : "");
}

static double pct(double v) { return 100 * v; }

static void print_outcome(const nf_search_outcome *out, const nf_search_opts *o) {
  printf("%-24s %10s %9s %9s %11s %-26s %s\n", "Pareto front", "val. acc.", "LUT", "FF", "LUT%+FF%", "latency", "from");
  char lat[96];
  for (int i = 0; i < out->n; i++) {
    const nf_search_result *r = &out->results[i];
    if (r->pareto)
      printf("%-24s %9.2f%% %9.0f %9.0f %10.4f%% %-26s %s\n", r->id, pct(r->accuracy_validation),
             r->synth.done ? r->synth.lut : r->est_lut, r->synth.done ? r->synth.ff : r->est_ff, nf_search_cost(r),
             nf_format_latency(lat, sizeof lat, r->latency_cycles, r->clock_period_ns), r->synth.done ? "yosys" : "estimate");
  }
  int n_over = 0;
  for (int i = 0; i < out->n; i++)
    if (nf_search_passed_over(out->results, out->n, o->min_accuracy, out->winner, i)) {
      const nf_search_result *r = &out->results[i];
      if (!n_over++) printf("passed over for timing (netlist critical path above the clock; Yosys, not Vivado):\n");
      printf("  %-24s %9.2f%% LUT%%+FF%% %.4f%%  critical path %.3f ns > %.4g ns clock (fails by %.3f ns)\n", r->id,
             pct(r->accuracy_validation), nf_search_cost(r), r->synth.critical_path_ns, r->clock_period_ns,
             r->synth.critical_path_ns - r->clock_period_ns);
    }
  if (out->winner < 0)
    printf("no candidate reached %.2f%% validation accuracy%s\n", pct(o->min_accuracy),
           n_over ? " and met its clock" : "");
  else {
    const nf_search_result *w = &out->results[out->winner];
    printf("winner: %s  validation accuracy %.2f%% (%ld jets)  LUT %.0f  FF %.0f  LUT%%+FF%% %.4f%% (%s)  latency %s\n",
           w->id, pct(w->accuracy_validation), w->validation_rows, w->synth.done ? w->synth.lut : w->est_lut,
           w->synth.done ? w->synth.ff : w->est_ff, nf_search_cost(w), w->synth.done ? "Yosys" : "estimate",
           nf_format_latency(lat, sizeof lat, w->latency_cycles, w->clock_period_ns));
    if (!w->synth.done)
      printf("timing: not checked (no candidate above the floor was synthesized in the budget)\n");
    else if (isfinite(w->synth.critical_path_ns))
      printf("timing (netlist, Yosys cell delays + routing model): critical path %.3f ns (Fmax %.1f MHz), %s the "
             "%.4g ns clock\n", w->synth.critical_path_ns, w->synth.fmax_mhz,
             w->synth.meets_timing > 0 ? "meets" : "FAILS", w->clock_period_ns);
    if (isfinite(out->accuracy_test))
      printf("test accuracy (reported, not chosen on): %.2f%% on %ld jets, 95%% interval [%.2f%%, %.2f%%]\n",
             pct(out->accuracy_test), out->test_rows, pct(out->ci95_low), pct(out->ci95_high));
    else printf("test accuracy: not scored (%s)\n", out->test_error);
    if (o->seeds > 0)
      printf("%d retrains (other seeds): validation %.2f%% +/- %.2f, test %.2f%% +/- %.2f (mean +/- std)\n",
             out->spread.n, pct(out->spread.val_mean), pct(out->spread.val_std), pct(out->spread.test_mean),
             pct(out->spread.test_std));
    printf("project: %s/candidates/%s/project\n", o->dir, w->id);
  }
  printf("%d candidates; %s/search.json, %s/pareto.png\n", out->n, o->dir, o->dir);
}

static int run(nf_search_opts *o, const char *emit, const char *collect, const char *cand, long seed, bool json) {
  nf_error err = {0};
  if (cand) {
    nf_search_candidate one;
    nf_search_result r;
    if (nf_search_parse_spec(cand, &one, &err))
      return cli_usage_error("search", "--candidate: %s", err.msg);
    return nf_search_run_candidate(&o->job, &one, o->dir, &r, &err) ? cli_report("search", &err) : 0;
  }
  nf_search_candidate grid[256];
  int n = nf_search_default_space(grid, 256, (uint64_t)seed), rc = NF_OK;
  if (emit) {
    char path[4200];
    if (nf_search_write_jobs(o, grid, n, emit, path, sizeof path, &err)) return cli_report("search", &err);
    const char *how = !strcmp(emit, "parallel") ? "run with: parallel -j N < jobs.parallel"
                      : !strcmp(emit, "condor") ? "submit with condor_submit"
                                                : "submit with sbatch";
    printf("wrote %d jobs to %s; %s, then: nnfirm search --collect %s\n", n, path, how, o->dir);
    return 0;
  }
  if (collect) o->dir = collect;
  else rc = nf_search_explore(o, grid, n, &err);
  nf_search_outcome out;
  if (!rc) rc = nf_search_finish(o, &out, &err);
  if (rc) return cli_report("search", &err);
  char *text = json ? nf_search_outcome_json(&out, o, false) : NULL;
  if (json && text) puts(text);
  else if (json) rc = cli_report("search", (nf_fail_oom(&err, "JSON"), &err));
  else print_outcome(&out, o);
  if (!json && out.winner >= 0 && !isfinite(out.accuracy_test))
    fprintf(stderr, "nnfirm search: warning: the winner's test accuracy was not scored: %s\n", out.test_error);
  free(text);
  nf_search_outcome_free(&out);
  return rc;
}

int cmd_search(int argc, char **argv) {
  enum { O_MIN = 256, O_OBJ, O_PART, O_BUDGET, O_JOBS, O_SYNTH, O_SEED, O_EMIT, O_COLLECT, O_CAND, O_EPOCHS, O_DATA,
         O_SEEDS, O_STRATEGY, O_RELAX };
  static const struct option opts[] = {
      {"data", required_argument, 0, O_DATA},       {"min-accuracy", required_argument, 0, O_MIN},
      {"objective", required_argument, 0, O_OBJ},   {"part", required_argument, 0, O_PART},
      {"budget", required_argument, 0, O_BUDGET},   {"jobs", required_argument, 0, O_JOBS},
      {"synth", required_argument, 0, O_SYNTH},     {"seed", required_argument, 0, O_SEED},
      {"emit", required_argument, 0, O_EMIT},       {"collect", required_argument, 0, O_COLLECT},
      {"candidate", required_argument, 0, O_CAND},  {"epochs", required_argument, 0, O_EPOCHS},
      {"seeds", required_argument, 0, O_SEEDS},     {"output", required_argument, 0, 'o'},
      {"strategy", required_argument, 0, O_STRATEGY}, {"json", no_argument, 0, 'j'},
      {"relax", required_argument, 0, O_RELAX},     {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
  nf_search_opts o = {.dir = "nnfirm-search", .job = {.part = "xcvu9p", .epochs = NF_SEARCH_DEFAULT_EPOCHS}, .min_accuracy = 0.74,
                      .budget_s = 1200, .jobs = 2, .synth_k = 3, .relax_ns = NF_SEARCH_DEFAULT_RELAX_NS};
  const char *emit = NULL, *collect = NULL, *cand = NULL;
  bool json = false, quiet = !isatty(2);
  long seed = 1, v;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case O_DATA: o.job.data = optarg; break;
    case O_MIN:
      if (!nf_parse_double(optarg, &o.min_accuracy) || o.min_accuracy < 0 || o.min_accuracy > 1)
        return cli_usage_error("search", "--min-accuracy must be in [0, 1], not '%s'", optarg);
      break;
    case O_OBJ:
      if (strcmp(optarg, "lut+ff")) return cli_usage_error("search", "--objective: only lut+ff is supported, not '%s'", optarg);
      break;
    case O_PART: o.job.part = optarg; break;
    case O_BUDGET:
      if (parse_budget(optarg, &o.budget_s)) return cli_usage_error("search", "--budget '%s': seconds, or with m / h", optarg);
      break;
    case O_JOBS:
      if (!nf_parse_long(optarg, &v) || v < 1 || v > 256) return cli_usage_error("search", "--jobs must be 1..256");
      o.jobs = (int)v;
      break;
    case O_SYNTH:
      if (!nf_parse_long(optarg, &v) || v < 0 || v > 100) return cli_usage_error("search", "--synth must be 0..100");
      o.synth_k = (int)v;
      break;
    case O_RELAX:
      if (!nf_parse_double(optarg, &o.relax_ns) || !(o.relax_ns >= 0 && o.relax_ns <= 100))
        return cli_usage_error("search", "--relax: nanoseconds in [0, 100], not '%s'", optarg);
      break;
    case O_SEEDS:
      if (!nf_parse_long(optarg, &v) || v < 0 || v > 100) return cli_usage_error("search", "--seeds must be 0..100");
      o.seeds = (int)v;
      break;
    case O_EPOCHS:
      if (!nf_parse_long(optarg, &v) || v < 1 || v > 1000) return cli_usage_error("search", "--epochs must be 1..1000");
      o.job.epochs = (int)v;
      break;
    case O_STRATEGY:
      if (strcmp(optarg, "evolve") && strcmp(optarg, "grid"))
        return cli_usage_error("search", "--strategy must be evolve or grid, not '%s'", optarg);
      o.grid_only = !strcmp(optarg, "grid");
      break;
    case O_SEED:
      if (!nf_parse_long(optarg, &seed)) return cli_usage_error("search", "--seed must be an integer");
      break;
    case O_EMIT:
      if (strcmp(optarg, "slurm") && strcmp(optarg, "condor") && strcmp(optarg, "parallel"))
        return cli_usage_error("search", "--emit must be slurm, condor or parallel, not '%s'", optarg);
      emit = optarg;
      break;
    case O_COLLECT: collect = optarg; break;
    case O_CAND: cand = optarg; break;
    case 'o': o.dir = optarg; break;
    case 'j': json = true; break;
    case 'q': quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("search", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("search", "unexpected argument '%s'", argv[optind]);
  if (o.job.data && access(o.job.data, R_OK) != 0) return cli_usage_error("search", "%s: cannot read the data file", o.job.data);
  nf_error err = {0};
  char self[4096];
  if (nf_step_self_path(self, sizeof self, &err)) return cli_report("search", &err);
  o.job.exe = self;
  o.t0 = nf_now();
  if (!quiet) o.progress = progress;
  return run(&o, emit, collect, cand, seed, json);
}
