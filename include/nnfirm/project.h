/* nnfirm — projects: the stage that joins the fixed-point design (convert),
 * its emulator (emulate), its firmware (rtl) and its cost (synth). A project
 * directory is what 'nnfirm convert' writes and every later command reads;
 * this module is its only writer and reader.
 *
 * Layout (format version NF_PROJECT_VERSION):
 *   manifest.json  format name and version, the design's figures (part,
 *                  clock, interface widths, latency, II), the network file's
 *                  name, and a checksum of every file below
 *   design.json    the fixed-point design (types, exact integer codes): the
 *                  one description of the network, which the emulator runs
 *                  and the RTL is generated from
 *   config.json    the configuration the design was converted with
 *   rtl/, tb/      the Verilog and its testbench (absent with --no-rtl)
 * A project of a design built by hand (benches and tests) has no config.json.
 * RTL-only projects of nnfirm 0.2 (network.json, the generator's own record
 * of the network; or version 1 with the network only in tb/design.json) are
 * refused with a message saying so: nothing but bench_rtl_jet wrote them.
 *
 * Version 1 (nnfirm 0.1: a manifest without "version", the network a second
 * time in tb/design.json with the RTL checksums) is read as it is. A newer
 * version is refused with a message naming it. */
#ifndef NNFIRM_PROJECT_H
#define NNFIRM_PROJECT_H

#include <stdbool.h>
#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/error.h"
#include "nnfirm/rtl.h"
#include "nnfirm/synth.h"

#define NF_PROJECT_VERSION 2

/* ---- Writing and opening ---------------------------------------------------- */
typedef struct nf_project_spec {
  const nf_design *design;  /* the design (converted, or built by hand) */
  const char *model_path;   /* recorded in the manifest; may be NULL */
  const char *config_text;  /* written as config.json; may be NULL */
  bool rtl;                 /* generate rtl/ and tb/ */
} nf_project_spec;

/* Writes the project directory dir whole or not at all (an existing dir is
 * replaced only on success). info (may be NULL) gets the generator's figures
 * when RTL was written. */
int nf_project_write(const nf_project_spec *s, const char *dir, nf_rtl_info *info, nf_error *err);

typedef struct nf_project {
  char dir[4096];
  int version;           /* the directory's format version (1 or NF_PROJECT_VERSION) */
  char top[128];         /* top module name */
  char model[4096];      /* the model the design was converted from; "" when none is recorded */
  nf_design *design;     /* the fixed-point design: the emulator's and the generator's input */
  bool has_rtl;          /* rtl/ and tb/ are there (checked against their checksums) */
  nf_rtl_info info;      /* the generator's figures for design (with RTL) */
} nf_project;

/* Opens and checks a project: the manifest's version, the network file, and
 * (with RTL) that every generated file is present and unmodified and that
 * rtl/ holds no other Verilog. Errors (NF_EINPUT) name the file. */
int nf_project_open(const char *dir, nf_project **out, nf_error *err);
void nf_project_free(nf_project *p);

/* The Verilog sources a synthesis of dir reads: rtl/ *.v and *.sv, sorted,
 * NULL-terminated (free each and the list), and the top module: the
 * manifest's when dir is a project, else "myproject" (hand-written RTL in a
 * bare rtl/ directory is synthesized too; nothing is checked against
 * checksums here). */
int nf_project_sources(const char *dir, char ***files, char *top, size_t top_size, nf_error *err);
void nf_project_sources_free(char **files);

/* ---- Meeting the clock ------------------------------------------------------------
 * Writes the project (as nf_project_write), synthesizes it with Yosys into
 * dir/synth, and while the netlist's critical path (nf_synth_run's timing:
 * Yosys' cell delays plus the routing model) is longer than ClockPeriod,
 * writes it again with the pipeline placement's budget reduced by what it
 * failed by (nf_design.pipeline_derate_ns, recorded in design.json:
 * registers after activations, fewer adder levels per stage) and checks
 * again; a derate that changes no figure of the placement is not
 * synthesized. Stops when it meets, when one adder level a stage is
 * reached, or after max_rounds. Not meeting is a result (t->meets false),
 * not an error; dir then holds the last round's project. */
#define NF_PROJECT_TIMING_ROUNDS 8

typedef struct nf_project_timing_round {
  double derate_ns, budget_ns; /* the placement's: ClockPeriod - derate */
  bool reg_act;                /* activations registered */
  int latency, levels_per_stage;
  double critical_path_ns;     /* the netlist's */
  bool meets;
  long lut, ff;
  double synth_seconds;
  char start[192], end[192];   /* the critical path's registers */
} nf_project_timing_round;

typedef struct nf_project_timing_opts {
  const char *part;   /* NULL = xcvu9p, as nnfirm synth */
  double timeout_s;   /* per synthesis; 0 = none */
  int max_rounds;     /* 0 = NF_PROJECT_TIMING_ROUNDS */
  const char *yosys;  /* NULL = yosys from PATH */
  void (*progress)(const nf_project_timing_round *r, int round, void *ctx); /* may be NULL */
  void *ctx;
} nf_project_timing_opts;

typedef struct nf_project_timing {
  int n_rounds;
  nf_project_timing_round rounds[NF_PROJECT_TIMING_ROUNDS];
  bool meets;          /* the last round's */
  double clock_ns;
  int latency;         /* the last round's, cycles at clock_ns */
  nf_synth_result synth; /* the last round's Yosys figures */
} nf_project_timing;

int nf_project_meet_timing(const nf_project_spec *s, const char *dir, const nf_project_timing_opts *o,
                           nf_project_timing *t, nf_error *err);

/* ---- Co-simulation -------------------------------------------------------------
 * Every row goes through the design's input path (the model's scaler, then
 * the input type) and the emulator gives the expected output codes; the RTL
 * generator's own SPEC §3 reference is computed beside it as a cross-check.
 * The rows come from memory or from a data file (CSV/NPY/HDF5/ARFF, read
 * after the project is known to have RTL). Writes <dir>/cosim/ (report.json,
 * logs) whole or not at all. */
typedef struct nf_project_cosim_opts {
  nf_simulator simulator;
  const double *rows;   /* [n_rows][the design's n_inputs] raw feature values, or NULL: */
  long n_rows;
  const char *input;    /* ... read from this data file, at most max_rows (0 = all) */
  long max_rows;
  bool quiet;           /* no progress display */
} nf_project_cosim_opts;

typedef struct nf_project_cosim {
  nf_cosim_result sim;          /* mismatches are a result, not an error */
  const char *expected_from;    /* "emulator" or the reference */
  long reference_disagreements; /* emulator vs the generator's reference, output codes */
  char *report_json;            /* report.json's text (free it) */
} nf_project_cosim;

int nf_project_cosim_run(const nf_project *p, const nf_project_cosim_opts *o, nf_project_cosim *r, nf_error *err);

/* ---- Cost -------------------------------------------------------------------------
 * The resource estimate of a project directory (its design; rtl/ is not
 * needed); part NULL = the project's Part when it is a known device, else
 * "xcvu9p". NF_EINPUT when it is missing or bad. */
int nf_project_estimate(const char *dir, const char *part, bool use_dsp, nf_estimate *e, nf_error *err);

#endif
