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

/* Device capacities (CLB LUTs, CLB flip-flops, DSP slices, 36 Kb block RAMs). */
typedef struct nf_device {
  const char *name;   /* "xcvu9p" */
  const char *family; /* Yosys synth_xilinx -family: "xcup", "xcu", "xc7" */
  long luts, ffs, dsps, brams;
  const char *source; /* where the figures come from */
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
} nf_synth_opts;

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
} nf_synth_result;

/* Runs Yosys. Errors: NF_EINPUT when Yosys is missing, the design does not
 * synthesize, or the time limit passes (the message says which). */
int nf_synth_run(const nf_synth_opts *o, nf_synth_result *r, nf_error *err);

/* Reads the cell counts out of Yosys' `stat -json` output (its last top-level
 * "design" object) and fills the percentages for the device. */
int nf_synth_parse_stat(const char *json, const nf_device *dev, nf_synth_result *r, nf_error *err);

#endif
