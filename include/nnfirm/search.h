/* nnfirm — design-space search: the smallest LUT% + FF% on a part with
 * bit-accurate accuracy above a floor (SPEC: the course competition).
 *
 * The stage above train, convert, emulate, rtl, synth and report. A
 * candidate (hidden widths x bit width x sparsity x ReuseFactor x input bits
 * [x HGQ penalty] [x training seed]) is one job: trained with QAT and
 * pruning, converted, scored bit for bit on the VALIDATION split and
 * estimated; its figures go into <dir>/result.json, which this stage writes
 * and reads (nf_search_result_write / _read). The driver runs candidates as
 * child processes (`nnfirm search --candidate SPEC`, for isolation and so a
 * cluster can run the same jobs), synthesizes the most promising with Yosys,
 * marks the Pareto front and picks the winner — all on validation accuracy.
 * The test split serves only the final report: the winner's test accuracy
 * with its 95% Wilson interval.
 *
 * Running a step (this executable in a child process, stdout and stderr into
 * files) is nf_step_* below; the tutorial uses it too. */
#ifndef NNFIRM_SEARCH_H
#define NNFIRM_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "nnfirm/error.h"

/* ---- Steps: nnfirm's own commands in child processes --------------------- */
/* This executable's path (/proc/self/exe); NF_EINTERNAL when unknown. */
int nf_step_self_path(char *buf, size_t n, nf_error *err);
/* Starts `exe args...` (args NULL-terminated, at most 62) with stdout into
 * out_path and stderr into log_path; its pid, or -1. */
pid_t nf_step_spawn(const char *exe, const char *const *args, const char *out_path, const char *log_path);
/* Waits for pid (-1: any child): its exit status (128 + signal when killed,
 * -1 when waiting failed); the pid in *which. */
int nf_step_wait(pid_t pid, pid_t *which);
/* nf_step_spawn then nf_step_wait. */
int nf_step_run(const char *exe, const char *const *args, const char *out_path, const char *log_path);
/* nf_step_run with stdout into <dir>/<name>.out, stderr into <dir>/<name>.log. */
int nf_step_run_in(const char *exe, const char *const *args, const char *dir, const char *name);

/* ---- Candidates --------------------------------------------------------- */
#define NF_SEARCH_DEFAULT_SEED 42   /* nnfirm train's default training seed */
#define NF_SEARCH_DEFAULT_EPOCHS 60 /* training epochs per candidate (20 left small QAT designs 0.7-1.6 points short:
                                       docs/training.md) */
#define NF_SEARCH_DEFAULT_RELAX_NS 3.0 /* nnfirm search --relax */

typedef struct nf_search_candidate {
  char hidden[32]; /* "16,8" */
  int bits;        /* QAT bits of every weight, bias and activation */
  char lbits[32];  /* per-layer bits "4,3,5" (each hidden Dense, then the output), overriding
                    * bits; "" = bits everywhere */
  double prune;    /* final sparsity in [0, 1) */
  int reuse;       /* ReuseFactor */
  int in_bits;     /* input quantizer quantized_bits(in_bits, 3); 16 = QAT's default (16, 5) */
  double hgq;      /* per-weight bits (HGQ), penalty per bit operation the RTL builds (train --hgq-penalty ops); 0 = uniform bits */
  double hgq_act;  /* per-neuron activation bit penalty (train --hgq-act --hgq-act-range relu); 0 = the layer's bits */
  char fan_in[24]; /* inputs per hidden neuron at most (train --fan-in: F, or F,F,... per hidden layer, 0 = no
                      cap; LUT-native neurons); "" = no cap */
  long seed;       /* training seed (NF_SEARCH_DEFAULT_SEED unless retrained for the spread) */
  char id[80];     /* "h16x8_b4_p80_r1_i8[_q1e-05][_a1e-05][_s43]": the candidate's directory name */
} nf_search_candidate;

/* "hidden=16,8;bits=4;prune=0.8[;lbits=4,3,5][;reuse=1][;in=8][;hgq=1e-5][;hgqa=1e-5][;seed=43]"
 * (bits 2..16, lbits one 2..16 per Dense including the output, prune in
 * [0,1), reuse 1..4096, in 4..16, hgq and hgqa in [0,1)). NF_EINPUT names the bad
 * item. Fills id. */
int nf_search_parse_spec(const char *spec, nf_search_candidate *c, nf_error *err);
/* The spec string parse_spec reads back (seed only when not the default). */
void nf_search_format_spec(const nf_search_candidate *c, char *buf, size_t n);
/* The default space, shuffled by seed (a budget that ends early still saw all
 * of it): at most max candidates; returns how many. */
int nf_search_default_space(nf_search_candidate *out, int max, uint64_t seed);

/* The next generation of the search's evolutionary loop: neighbours, off
 * the grid, of the parents among the finished results r[0..n): the
 * `parents` cheapest by estimated LUT% + FF% with validation accuracy >=
 * min_acc, and as many of the most accurate below the floor that are
 * cheaper than the cheapest above it. A child changes one thing. Above the
 * floor it costs less: hidden widths to 3/4, one layer's bits down by one,
 * sparsity up by 0.05, input bits down by one, the HGQ weight (1e-6) or
 * activation (1e-5) bit penalty on or tripled, a fan-in cap on at 4 or one
 * fewer. Below it, it buys accuracy back: widths x4/3, one layer's bits up
 * by one, sparsity down by 0.05, the HGQ penalties a third (off under their
 * starting values), every fan-in cap one more (uncapped from 4) and, within
 * 0.3 points of the floor, training seeds NF_SEARCH_DEFAULT_SEED + 1 and + 2.
 * Either side, a capped design's first hidden layer may go uncapped.
 * Children already in r or tried[0..n_tried) (by id) are left out; when the
 * parents have none left, twice as many parents each side, and so on. seed
 * orders the mutations. Returns how many went into out[0..max): 0 only when
 * no parent has a new child. */
struct nf_search_result;
int nf_search_mutate(const struct nf_search_result *r, int n, double min_acc, int parents,
                     const nf_search_candidate *tried, int n_tried, uint64_t seed, nf_search_candidate *out,
                     int max);

/* ---- One candidate's figures (<dir>/result.json) -------------------------- */
#define NF_SEARCH_RESULT_FORMAT 2 /* 1 (unversioned): test-split accuracy only; refused */

typedef struct nf_search_synth {
  bool done;                 /* synthesized with Yosys */
  char part[64];
  double lut, ff, dsp, lut_pct, ff_pct;
  double critical_path_ns, fmax_mhz; /* NaN when the synthesis did not report timing */
  int meets_timing;                  /* 1, 0, or -1 when not reported */
  double seconds;                    /* wall clock of the Yosys run and the timing */
} nf_search_synth;

typedef struct nf_search_result {
  char id[80], spec[160];
  char failed[16];           /* the step that failed, "" when none */
  char data[4096];           /* the labelled data the candidate ran on, "" = the default synthetic jets */
  double accuracy_validation; /* bit-accurate, on the validation split */
  long validation_rows, validation_correct;
  double model_accuracy_validation; /* the float model's, same rows */
  double sparsity;           /* fraction of Dense weights that are zero */
  double latency_cycles, clock_period_ns;
  double est_lut, est_ff, est_dsp, est_lut_pct, est_ff_pct; /* nnfirm estimate */
  nf_search_synth synth;
  /* wall clock of the candidate's steps (NaN: not run): the child `nnfirm
   * train` and `nnfirm convert`, the bit-accurate and float validation
   * scores, the latency and estimate; the search's throughput profile */
  double seconds_train, seconds_convert, seconds_score, seconds_estimate;
  bool pareto;               /* set by nf_search_mark_pareto */
  /* Test split, read after the winner is chosen, for synthesized candidates
   * only: the report's points (pareto_test.png); NaN otherwise. */
  double accuracy_test, test_ci95_low, test_ci95_high;
  long test_rows;
} nf_search_result;

/* LUT% + FF%: Yosys' when synthesized, else the estimate's. */
double nf_search_cost(const nf_search_result *r);

int nf_search_result_write(const char *dir, const nf_search_result *r, nf_error *err);
/* Reads <dir>/result.json. NF_EINPUT for a missing or malformed file, and
 * for one written by an older nnfirm (format 1, test accuracy only: rerun
 * its candidate), naming the file. */
int nf_search_result_read(const char *dir, nf_search_result *r, nf_error *err);

typedef struct nf_search_job {
  const char *exe;   /* the nnfirm executable the steps run */
  const char *data;  /* labelled data, NULL = the default synthetic jets */
  const char *part;  /* target device */
  int epochs;        /* training epochs */
} nf_search_job;

/* Trains (child `nnfirm train`, writing dir/model.nnf), converts (child
 * `nnfirm convert`, writing dir/project), then in this process: the
 * bit-accurate validation accuracy of the project, its latency and estimate.
 * Writes dir/result.json in every case (with "failed" naming the step that
 * failed; its log is dir/<step>.log) and fills *r. */
int nf_search_run_candidate(const nf_search_job *job, const nf_search_candidate *c, const char *dir,
                            nf_search_result *r, nf_error *err);

/* Bit-accurate accuracy of the project in project_dir on rows of the data
 * (data NULL or "" = the default synthetic jets): which = 'v' validation,
 * 't' test split. */
int nf_search_score(const char *project_dir, const char *data, char which, long *correct, long *rows,
                    nf_error *err);

/* ---- Published designs ----------------------------------------------------- */
/* The course competition's published designs (real jet data, Vivado, VU9P;
 * sources in src/search/published.c), for drawing beside nnfirm's own. */
typedef struct nf_published_design {
  const char *name, *source;
  double accuracy;         /* test accuracy as published, a fraction */
  double lut_pct, ff_pct;  /* of a VU9P; ff_pct NaN when not published */
  double dsp_pct;
} nf_published_design;
/* The table (*n entries); static, never freed. */
const nf_published_design *nf_published_designs(int *n);

/* ---- The front and the winner -------------------------------------------- */
/* Pareto front on (validation accuracy, cost): no other candidate is at
 * least as accurate and at most as costly, and better in one. */
void nf_search_mark_pareto(nf_search_result *r, int n);
/* Synthesized, and its netlist timing fails the clock (meets_timing 0). */
bool nf_search_fails_timing(const nf_search_result *r);
/* The winner: among candidates with validation accuracy >= min_acc, the
 * smallest synthesized cost of those that meet their clock by the netlist
 * timing; else of those synthesized without a timing figure; else the
 * smallest estimated cost of those not synthesized. A synthesized candidate
 * that fails its clock never wins. -1 when none qualifies. */
int nf_search_winner(const nf_search_result *r, int n, double min_acc);
/* Candidate i was passed over for timing: above the floor, fails its clock,
 * and cheaper than the winner (any cost when there is none). */
bool nf_search_passed_over(const nf_search_result *r, int n, double min_acc, int winner, int i);
/* Every finished candidate of dir/candidates (failed ones are skipped), in
 * name order. NF_EINPUT when one was written by an older nnfirm. */
int nf_search_load(const char *dir, nf_search_result **out, int *n, nf_error *err);

/* ---- The search --------------------------------------------------------------- */
typedef enum { NF_SEARCH_EXPLORING, NF_SEARCH_SYNTHESIZING, NF_SEARCH_RETRAINING } nf_search_phase;

typedef struct nf_search_progress {
  nf_search_phase phase;
  int done, running, total;
  double elapsed_s, budget_s;
  const char *id;        /* the candidate being synthesized */
  double est_cost;       /* its estimated LUT% + FF% */
} nf_search_progress;

typedef struct nf_search_opts {
  const char *dir;       /* the search directory */
  nf_search_job job;
  double min_accuracy;
  double budget_s;       /* two thirds explore, the rest synthesizes */
  int jobs;              /* candidates side by side */
  int synth_k;           /* candidates synthesized (0: estimates only) */
  double relax_ns;       /* > 0: a synthesized candidate's pipeline is placed first for
                          * ClockPeriod + relax_ns a stage, then tightened until its netlist
                          * meets ClockPeriod ('nnfirm convert --derate -relax_ns
                          * --meet-timing'): the delay model is conservative for narrow
                          * adders, so fewer stages and registers often meet the clock;
                          * 0: the candidate's project as converted */
  int seeds;             /* retrain the winner this many times (0: none) */
  bool grid_only;        /* explore the grid alone, no evolutionary loop */
  double t0;             /* nf_now() at the start */
  void (*progress)(const nf_search_progress *p, void *ctx); /* may be NULL */
  void *ctx;
} nf_search_opts;

typedef struct nf_search_spread {
  int n;                 /* retrains that finished */
  double val_mean, val_std, val_min, val_max;
  double test_mean, test_std, test_min, test_max;
} nf_search_spread;

typedef struct nf_search_outcome {
  nf_search_result *results; /* [n], in name order */
  int n;
  int winner;                /* index into results, -1 when none */
  /* The winner's test-split figures (the only use of the test split). */
  long test_rows, test_correct;
  double accuracy_test, ci95_low, ci95_high; /* NaN when the test could not be scored */
  char test_error[256];      /* why not, "" when scored */
  nf_search_spread spread;   /* --seeds */
  double seconds;
} nf_search_outcome;

/* Runs the grid's candidates (opts->jobs at a time) for a third of the
 * budget, then generations of nf_search_mutate's children of the front so
 * far until two thirds are spent (grid_only: the grid for two thirds);
 * running ones finish. */
int nf_search_explore(const nf_search_opts *o, const nf_search_candidate *cands, int n, nf_error *err);
/* Loads dir's candidates, synthesizes the synth_k cheapest above the floor
 * (by estimate, within the budget left; their result.json gain the Yosys
 * figures; when none of them meets its clock, up to synth_k more until one
 * does), marks the front, picks the winner, scores it on the test split,
 * retrains it opts->seeds times, and writes dir/pareto.png and
 * dir/search.json. After the choice, every synthesized candidate is scored on
 * the test split too, for dir/pareto_test.png (test accuracy with its 95%
 * interval against Yosys' LUT% + FF%, the published designs beside them) and
 * search.json's "test_front"; nothing is chosen on those figures. */
int nf_search_finish(const nf_search_opts *o, nf_search_outcome *out, nf_error *err);
void nf_search_outcome_free(nf_search_outcome *o);
/* search.json's text: {"winner", "passed_over_for_timing", "pareto", "min_accuracy", "candidates",
 * "seconds"[, "spread"][, "all"]}; caller frees. NULL on OOM. */
char *nf_search_outcome_json(const nf_search_outcome *o, const nf_search_opts *opts, bool with_all);

/* The cluster job files in opts->dir: one `nnfirm search --candidate` line
 * per candidate in jobs.txt plus search.sbatch (kind "slurm": a Slurm job
 * array) or search.sub and condor_task.sh (kind "condor": an HTCondor
 * submit file queueing one job per line), or jobs.parallel (kind
 * "parallel", for GNU parallel). path: the file to submit or run. */
int nf_search_write_jobs(const nf_search_opts *o, const nf_search_candidate *cands, int n, const char *kind,
                         char *path, size_t path_len, nf_error *err);

/* ---- The tutorial -------------------------------------------------------------- */
/* The hls4ml tutorial's Parts 1-5 end to end with nnfirm's own commands as
 * steps, written up as DIR/index.html and DIR/summary.json; every step's
 * output and log stays in DIR/logs/. Its tables give each model's
 * validation accuracy and its test accuracy with the 95% Wilson interval. */
typedef struct nf_tutorial_opts {
  const char *exe;       /* the nnfirm executable the steps run */
  const char *out;       /* DIR, replaced whole on success */
  const char *data;      /* labelled jets, NULL = synthetic jets the tutorial makes */
  bool quick, synth;
  const char *rows, *epochs, *simulator; /* as the steps take them */
  void (*progress)(int step, int n_steps, double elapsed_s, const char *title, void *ctx); /* may be NULL */
  void *ctx;
} nf_tutorial_opts;

typedef struct nf_tutorial_outcome {
  char *summary_json;    /* DIR/summary.json's text; caller frees */
  char kept[4200];       /* on failure: DIR.failed holding the steps that ran, or "" */
  double seconds;
} nf_tutorial_outcome;

/* A failing step is an error naming the step and its log; DIR is then left
 * as it was. */
int nf_tutorial_run(const nf_tutorial_opts *o, nf_tutorial_outcome *out, nf_error *err);

/* Accuracy of a float model file (argmax of the float forward pass) on the
 * validation ('v') or test ('t') split of the data (NULL or "" = the default
 * synthetic jets). */
int nf_search_score_model(const char *model_path, const char *data, char which, long *correct, long *rows,
                          nf_error *err);

#endif
