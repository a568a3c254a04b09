/* nnfirm — synthesis with Yosys: real LUT / FF / DSP / BRAM counts for a
 * Verilog design, as fractions of a target device.
 *
 * The flow is Yosys' synth_xilinx for UltraScale+ (-family xcup), out of
 * context (no I/O pads or clock buffers, as hls4ml's designs are synthesized
 * to sit inside a larger trigger firmware), flattened so constants propagate
 * across modules. Yosys counts are not Vivado's: treat them as an
 * open-source tool's counts for the same netlist style. */
#ifndef NNFIRM_SYNTH_H
#define NNFIRM_SYNTH_H

#include <stdbool.h>
#include "nnfirm/error.h"
#include "nnfirm/rtl.h"

/* Device capacities (CLB LUTs, CLB flip-flops, DSP slices, 36 Kb block RAMs). */
typedef struct nf_device {
  const char *name;   /* "xcvu9p" */
  const char *family; /* Yosys synth_xilinx -family: "xcup", "xcu", "xc7" */
  long luts, ffs, dsps, brams;
  const char *source; /* where the figures come from */
  const char *vivado_part; /* a full part name (package, speed grade) for Vivado's -part */
} nf_device;

/* Finds a device by part name or prefix ("xcvu9p", "xcvu9p-flga2104-2L-e",
 * "VU9P"). NULL when unknown. */
const nf_device *nf_device_find(const char *part);
/* All known devices, terminated by an entry with name == NULL. */
const nf_device *nf_device_table(void);

typedef struct nf_synth_opts {
  const char *const *verilog_files; /* NULL-terminated */
  const char *top;
  const char *part;     /* NULL = "xcvu9p" */
  bool use_dsp;         /* false: -nodsp (every multiplier in LUTs) */
  bool abc9;            /* Yosys' -abc9 mapper (usually fewer LUTs) */
  double timeout_s;     /* 0 = none */
  bool quiet;           /* no progress line */
  const char *work_dir; /* where the script, log, stat.json and netlist go */
  const char *yosys;    /* NULL = "yosys" from PATH */
  double clock_ns;      /* the period the timing is checked against (0 = none: report only) */
  bool no_timing;       /* skip the static timing analysis */
  int jobs;             /* > 1: synthesize the modules the top instantiates one by one,
                         * this many Yosys processes at once, then join and count them
                         * (src/synth/yosys.c, "Split synthesis"); 0 or 1: one flat run */
} nf_synth_opts;

/* ---- Timing ----------------------------------------------------------------------
 * The critical path of the mapped netlist: Yosys' `sta` on the netlist read
 * back with the cell timing of its Xilinx library (+/xilinx/cells_sim.v,
 * specify blocks: LUT, CARRY4, FDRE clock-to-Q; figures from Project X-Ray's
 * 7-series timing database, Yosys 0.23 maps UltraScale+ to the same cells),
 * plus a routing model: every net on the path pays NF_ROUTE_NS_PER_NET,
 * except the dedicated carry links between CARRY4 cells (CO -> CI), which
 * Yosys' cell figures already include. Calibration in docs/firmware.md. */
#define NF_ROUTE_NS_PER_NET 0.16

typedef struct nf_timing {
  bool valid;             /* a register-to-register (or port) path was found */
  double cell_ns;         /* Yosys sta: latest arrival, cell delays only */
  double route_ns;        /* routed_nets * NF_ROUTE_NS_PER_NET */
  double critical_path_ns, fmax_mhz;
  int cells, luts, carries, routed_nets;
  double setup_ns;        /* the capturing register's setup time (the library's) */
  char start[192], end[192]; /* the path's first and last register (or port) */
  char path[8192];        /* the path, one line per cell from the end: arrival, cell type, net driven */
} nf_timing;

/* The longest path of a Yosys write_verilog or write_blif netlist (one flattened module)
 * whose cells' delays are in cell_lib (the text of a Verilog library with
 * specify blocks, e.g. Yosys' xilinx/cells_sim.v): from a register output or
 * input port to a register input (plus its setup), an input of a cell without
 * timing arcs (block RAM, DSP) or an output port. Unlike Yosys' `sta`, a
 * path ends only where a value is captured (sta also reports carry outputs
 * nothing reads). Every net costs route_ns_per_net except CARRY CO -> CI.
 * NF_EINPUT when the netlist has no such path. */
int nf_timing_analyze(const char *netlist, const char *cell_lib, double route_ns_per_net, nf_timing *t, nf_error *err);

typedef struct nf_synth_result {
  char part[64];
  long lut;     /* LUT1..LUT6 plus LUTs used as memory / shift registers */
  long lut_logic, lut_memory;
  long ff;
  long dsp;
  double bram;  /* in 36 Kb blocks (a RAMB18 is one half) */
  long carry;   /* CARRY4 / CARRY8 cells */
  double lut_pct, ff_pct, dsp_pct, bram_pct;
  double seconds;
  nf_timing timing;   /* valid unless opts.no_timing */
  double clock_ns;    /* the period checked (0 = none) */
  bool meets_timing;  /* critical_path_ns <= clock_ns */
  double slack_ns;    /* clock_ns - critical_path_ns (negative: fails by that much) */
  int parts;          /* modules synthesized apart (opts.jobs > 1), 0 for a flat run */
  double cpu_seconds; /* CPU time (user + system) of every Yosys process (and its abc), summed */
  double parts_cpu_seconds; /* of it, the parts' (a split run; the rest is the joining run) */
} nf_synth_result;

/* Runs Yosys. Errors: NF_EINPUT when Yosys is missing, the design does not
 * synthesize, or the time limit passes (the message says which). */
int nf_synth_run(const nf_synth_opts *o, nf_synth_result *r, nf_error *err);

/* The timing of a netlist nf_synth_run wrote (with the cell library of that
 * Yosys; yosys NULL = "yosys" from PATH): fills r->timing, and against
 * clock_ns (> 0) r->clock_ns, r->meets_timing, r->slack_ns. */
int nf_synth_timing(const char *netlist_path, const char *yosys, double clock_ns, nf_synth_result *r, nf_error *err);

/* Reads the cell counts out of Yosys' `stat -json` output (its last top-level
 * "design" object) and fills the percentages for the device. */
int nf_synth_parse_stat(const char *json, const nf_device *dev, nf_synth_result *r, nf_error *err);

/* ---- Estimation ----------------------------------------------------------------
 * Resource estimate without synthesis, in microseconds to milliseconds per
 * design (for 'nnfirm estimate' and for screening candidates in a search).
 * The generator is run without writing anything and counts, per layer, what
 * it would emit (nf_rtl_cost: carry-chain adder bits after CSD sharing and
 * range trimming, register bits per pipeline stage, saturation and ReLU
 * selects, ReuseFactor multipliers and selects); a linear model with
 * coefficients calibrated against Yosys (see src/synth/estimate.c and
 * bench/calibrate_estimate) turns these into LUT / FF / DSP for the Yosys
 * flow of nf_synth_run (UltraScale+, abc9).
 *
 * Intel Agilex 7 figures (ALMs, registers) are estimates from a LUT -> ALM
 * model, not from any Intel tool: an ALM has two dedicated adder bits (so
 * adder LUTs count half), its fracturable 8-input LUT holds on average
 * NF_EST_LUTS_PER_ALM other 6-input-ish functions, and it has four registers;
 * registers are the same register bits as on UltraScale+. */
/* Agilex 7 F-Series AGFB014R24A2E2V, the target of hls4ml's oneAPI tutorial. */
#define NF_AGILEX_DEVICE "AGFB014R24A2E2V"
#define NF_AGILEX_ALMS 487200L
#define NF_AGILEX_REGS 1948800L
#define NF_EST_LUTS_PER_ALM 1.4

typedef struct nf_estimate_layer {
  char name[64];
  const char *kind; /* the generator's word for it: "Dense", "ReLU", "Softmax" */
  int n_in, n_out, reuse;
  nf_rtl_cost cost;  /* the generator's counts (the estimator's inputs) */
  double lut, ff, dsp;
  double bram;       /* 36 Kb block RAMs (softmax tables, io_stream line buffers) */
  double lut_arith;  /* the part of lut that is carry-chain arithmetic */
  double alm, reg;   /* Agilex 7 estimates */
} nf_estimate_layer;

typedef struct nf_estimate {
  const nf_device *device;
  bool use_dsp;
  int n_layers;
  nf_estimate_layer *layers; /* [n_layers] */
  double lut, ff, dsp, bram, alm, reg;
  double lut_pct, ff_pct, dsp_pct, bram_pct, alm_pct, reg_pct;
  /* Timing by the generator's delay model (nnfirm/rtl.h), no synthesis: its
   * longest pipeline stage, the prediction of nnfirm synth's critical_path_ns
   * (path_partial: layers the model leaves out, ReuseFactor > 1 and softmax). */
  int latency;
  double clock_ns, critical_path_ns;
  bool path_partial;
} nf_estimate;

/* Estimates the hardware layers of design d for the device `part` (NULL =
 * "xcvu9p"). use_dsp: as 'nnfirm synth --dsp' (ReuseFactor multipliers in
 * DSP48E2, not in LUTs). Errors: NF_EINPUT for an unknown part or a design
 * the generator refuses. */
int nf_estimate_design(const nf_design *d, const char *part, bool use_dsp, nf_estimate *e, nf_error *err);
void nf_estimate_free(nf_estimate *e);

/* One layer's figures from its counts (fills lut, ff, dsp, bram, lut_arith, alm, reg). */
void nf_estimate_layer_from_cost(nf_estimate_layer *l, bool use_dsp);

/* The counts as one tab-separated line and its header (the columns of
 * tests/data/estimate/yosys_counts.tsv); the totals over all layers. */
void nf_estimate_features_header(char *buf, size_t n);
void nf_estimate_features_line(const nf_estimate *e, char *buf, size_t n);
/* Reads counts back from such columns: names[k] / values[k], k < n (other
 * columns are ignored; a missing count column is an NF_EINPUT error). */
int nf_estimate_features_parse(const char *const *names, const char *const *values, int n, nf_rtl_cost *c,
                               nf_error *err);

/* ---- Vendor flows for the same RTL ------------------------------------------------
 * Scripts for AMD Vivado and Intel Quartus Prime Pro that synthesize the very
 * Verilog of a project, so a user who owns the tools gets the vendors' figures.
 * Nothing here runs either tool; the files are written for the user to run.
 *
 *   vivado/synth.tcl    non-project mode: read_verilog of rtl/, the clock
 *                       constraint (vivado/<top>.xdc), synth_design -mode
 *                       out_of_context, report_utilization and
 *                       report_timing_summary into vivado/reports/; with the
 *                       Tcl variable nf_impl = 1 (or -tclargs impl) also
 *                       opt_design, place_design, route_design and the same
 *                       reports after routing
 *   vivado/<top>.xdc    create_clock on clk with the period
 *   quartus/<top>.qpf, <top>.qsf, <top>.sdc
 *                       a Quartus Prime Pro project for Agilex 7
 *                       (NF_AGILEX_DEVICE): the Verilog files of rtl/, the top,
 *                       the data ports as virtual pins (out of context), the
 *                       clock in the .sdc
 * The Vivado part: for a device of the table named without a package
 * ("xcvu9p", the default for NULL) its vivado_part, else part as given. */
typedef struct nf_vendor_spec {
  const char *top;
  const char *part;
  double clock_ns;       /* <= 0: 5 ns */
} nf_vendor_spec;

/* Writes dir/vivado/ and dir/quartus/ for the Verilog files in dir/rtl/
 * (each *.v, sorted). NF_EINPUT when rtl/ has none, or a name (top, part,
 * file) has characters other than letters, digits, '_', '.', '-'. */
int nf_vendor_write(const nf_vendor_spec *s, const char *dir, nf_error *err);

/* ---- Vendor reports ---------------------------------------------------------------
 * Reads what the vendors' tools report for a design into the keys of Yosys'
 * counts (nf_synth_result, 'nnfirm synth --json'): a Vivado utilization
 * report (report_utilization: lut, lut_logic, lut_memory, ff, carry, dsp,
 * bram in 36 Kb tiles, percentages from the report's Available column) or
 * a Quartus fit summary (<rev>.fit.summary: alm, ff = registers, dsp, bram =
 * RAM blocks (M20K on Agilex), percentages from the report); and, when given,
 * a timing report: Vivado's report_timing_summary (WNS, the clock's period
 * from its Clock Summary) or Quartus' <rev>.sta.summary (the worst setup
 * slack; the period is the one passed in). critical_path_ns = period - WNS. */
typedef struct nf_vendor_report {
  char tool[16];                /* "vivado" or "quartus" */
  char device[64], design[128], state[96]; /* as the report names them ("" when absent) */
  nf_synth_result r;            /* counts; a count not in the report is -1 */
  long alm;                     /* Quartus: ALMs (-1 for Vivado) */
  double alm_pct;
  long uram;                    /* Vivado UltraScale+: URAM blocks (-1 when absent) */
  bool has_timing;              /* a timing report was read */
  double wns_ns;                /* worst setup slack */
  double clock_ns;              /* the period it is measured against (0 = unknown) */
  double critical_path_ns, fmax_mhz; /* 0 when the period is unknown */
  bool meets_timing;            /* wns_ns >= 0 */
} nf_vendor_report;

/* Reads util_path (a Vivado utilization report or a Quartus fit summary, told
 * apart by their contents) and, when timing_path is not NULL, its timing
 * report; clock_ns (> 0) is the period when the timing report does not state
 * one. Errors (NF_EINPUT) name the file and line. */
int nf_vendor_report_read(const char *util_path, const char *timing_path, double clock_ns, nf_vendor_report *rep,
                          nf_error *err);
/* The same, from the texts (name is used in messages). */
int nf_vendor_report_parse(const char *util_text, const char *util_name, const char *timing_text,
                           const char *timing_name, double clock_ns, nf_vendor_report *rep, nf_error *err);
/* The report as JSON with the keys of 'nnfirm synth --json' (null for what the
 * report does not give); latency > 0 adds latency_cycles. Free the text. */
char *nf_vendor_report_json(const nf_vendor_report *rep, int latency);

#endif
