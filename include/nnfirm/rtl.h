/* nnfirm — Verilog firmware generator, testbench and co-simulation.
 *
 * The generator reads the fixed-point design (nnfirm/convert.h: the layer
 * graph after the design passes, integer weight/bias codes and the
 * per-layer types of SPEC §3), the same description the emulator runs:
 * layers [0, n_hw) go into hardware, each emitted by its kind's entry in
 * layers.def's rtl column (an Activation by its activation's entry in
 * activations.def); the top module is d->project, the clock
 * d->clock_period_ns (0 = 5 ns). The emitted RTL computes exactly the bits of
 * SPEC §3:
 *
 *   acc_j = (accum_t) b_j;  acc_j = (accum_t)(acc_j + (accum_t)(x_i * w_ij));
 *   y_j = (result_t) acc_j
 *
 * Constant products are canonical-signed-digit shift-and-add trees with every
 * adder as wide as the exact range of its value; products shared between
 * outputs (same input, same odd weight magnitude) are computed once; or,
 * where every product is exact, the layer is one adder graph of sums shared
 * between outputs (src/rtl/cse.c), with ConstantMatrix auto whichever the
 * generator's cost says is cheaper (nf_design.cmm; default csd). When
 * accum_t keeps all product bits, the products are added in one balanced
 * tree and wrapped at the end (two's-complement wrap commutes with
 * addition); when it drops bits, each product is first computed exactly and
 * then quantized as accum_t prescribes. Saturating accumulators are accepted
 * when no partial sum of the sequential order can overflow (checked from the
 * value ranges); otherwise the generator refuses with a message.
 *
 * Pipelining (delay model, calibrated against the netlist timing of
 * nf_synth_run, documented in docs/firmware.md). The placement budgets
 * B = ClockPeriod - d->pipeline_derate_ns per stage. A stage that starts at a
 * register and runs through n adder levels costs
 *   NF_RTL_REG_NS + n * NF_RTL_ADDER_NS
 *   + NF_RTL_ACT_NS   when it starts behind an unregistered activation
 *                     (ReLU's compare-and-select, its rounding, saturating cast)
 *   + NF_RTL_CAST_NS  when it ends in the Dense layer's output casts
 *   + NF_RTL_CLIP_NS  when the ReLU after the Dense is fused in (its clip
 *                     before the output register; src/rtl/emit.h).
 * Activations end in a register of their own when an unregistered one and a
 * single adder level would not fit B; a Dense layer's registers go where
 * every stage fits B (a stage of one level where none fits: then nnfirm
 * synth reports by how much it fails, and nf_project_meet_timing re-pipelines
 * with a larger derate). nf_rtl_levels_per_stage is the number of levels an
 * inner stage holds. Each Dense layer ends in an output register. A softmax
 * (when the configuration puts it in hardware) is a five-stage pipeline
 * around two table ROMs (src/rtl/softmax.c).
 */
#ifndef NNFIRM_RTL_H
#define NNFIRM_RTL_H

#include <stdbool.h>
#include <stdint.h>
#include "nnfirm/convert.h"
#include "nnfirm/error.h"
#include "nnfirm/fixed.h"

#define NF_RTL_REG_NS 0.8
#define NF_RTL_ADDER_NS 1.65
#define NF_RTL_ACT_NS 4.2
#define NF_RTL_CAST_NS 0.6
#define NF_RTL_CLIP_NS 1.0

/* The placement's per-stage budget for d (ClockPeriod, 5 ns when unset,
 * minus d->pipeline_derate_ns), whether activations are registered at it,
 * and the adder levels an inner Dense stage holds (at least 1). */
double nf_rtl_stage_budget_ns(const nf_design *d);
bool nf_rtl_registers_activations(double budget_ns);
int nf_rtl_levels_per_stage(double budget_ns);

/* io_stream: a window generator's line buffers are one block RAM (Yosys'
 * ram_style "block") when a line (padded width x channels x bits) holds at
 * least this many bits, unless the configuration's LineBufferBRAMBits says
 * otherwise (nf_design.line_bram_bits); shorter lines are registers or LUT
 * RAM as Yosys maps them. */
#define NF_RTL_LINE_BRAM_BITS 2048L

/* Alternative RTL styles (nf_design.rtl_style; 0 = the default, best
 * measured), kept to measure against (bench/bench_rtl_jet). */
enum {
  NF_RTL_STYLE_NO_SHARE = 1, /* one product per weight, no sharing between outputs */
  NF_RTL_STYLE_MUL = 2,      /* constant products as `x * c`, left to Yosys */
  /* A fully parallel Dense's constant matrix (neither: whichever of the two the generator's cost
   * says is cheaper, per layer; set from nf_design.cmm, the ConstantMatrix key, csd by default): */
  NF_RTL_STYLE_CSD = 4, /* CSD products shared per (input, odd weight), a balanced tree per output */
  NF_RTL_STYLE_CSE = 8, /* one adder graph of sums shared between outputs (src/rtl/cse.c), where every product is exact */
};

/* What the generator produced: interface widths and timing. */
typedef struct nf_rtl_info {
  int n_in, n_out;
  int wi, wo;        /* bits per input feature / per output value */
  bool out_signed;   /* output codes are two's complement (else unsigned) */
  int latency;       /* cycles from in_valid to out_valid */
  int ii;            /* initiation interval in cycles */
  int levels_per_stage;
  long adders;       /* adders emitted (all layers) */
  double predicted_path_ns; /* the delay model's longest stage: its prediction of the critical path */
  bool path_partial; /* some layers (ReuseFactor > 1, softmax) are not in the delay model */
  bool stream;       /* IOType io_stream: in_data is one pixel per beat, taken when in_ready is high */
  int beats;         /* input beats per row (1 without io_stream; then in_data is the whole row) */
  int row_gap;       /* io_stream: a row's first pixel no sooner than this many cycles after the row before's
                        (the II of the parallel layers after the stream; the stream's own pace is in_ready) */
  int pixel_ii;      /* io_stream: cycles per pixel (the largest ReuseFactor of the stream's Convs; 1 without) */
} nf_rtl_info;

/* Checks the network is one the generator supports (shapes chain, types,
 * saturation cannot change the sequential sum). Errors name the layer. */
int nf_rtl_check(const nf_design *d, nf_error *err);

/* The generator's word for a layer: "Dense", "ReLU", "Softmax" (the module
 * headers' and the estimate's). */
const char *nf_rtl_layer_what(const nf_design_layer *L);

/* Writes <rtl_dir>/<top>.v and a file per layer module atomically; rtl_dir
 * must exist. Fills info. */
int nf_rtl_generate(const nf_design *d, const char *rtl_dir, nf_rtl_info *info, nf_error *err);

/* Computes the interface/timing figures without writing anything. */
int nf_rtl_plan(const nf_design *d, nf_rtl_info *info, nf_error *err);

/* ---- Resource features ---------------------------------------------------------
 * What the generator would emit, counted per layer instead of written: the
 * inputs of the resource estimator (nf_estimate in nnfirm/synth.h). "Live"
 * bits leave out bits that are constant by their value range (the sign bit
 * of a non-negative value), which synthesis removes. */
typedef struct nf_rtl_cost {
  long nnz_weights;    /* nonzero weights */
  long csd_digits;     /* nonzero CSD digits of the distinct products built (shared ones once) */
  long adders;         /* adders and subtractors (rounding increments and negations included) */
  long add_bits;       /* their carry-chain bits: live result bits above the low bits one operand
                          passes through unchanged (x + (y << s) adds from bit s on) */
  long const_add_bits; /* the part of add_bits in adders with a constant operand (bias) */
  long fresh_add_bits; /* the part of add_bits in adders no operand of which is another adder's
                          sum (registers, inputs, constants: nothing for synthesis to fold in) */
  long xor_bits;       /* the part of add_bits whose two operand bits are distinct variable bits:
                          each needs a LUT in front of its carry cell (a + b's bit a_i ^ b_i); a
                          bit where one operand is a constant (bias, zero, a negation's) or both are
                          the same bit (the sign copies of x + (x << s)) needs none, and the sign
                          bits above both operands share one */
  long merged_xor_bits; /* the part of xor_bits in adders that synthesis folds into the one adder
                           reading them (whole, unshifted): an output's sum tree within a stage
                           becomes one multi-operand sum of full-adder rows and one carry chain */
  long round_bits;     /* rounding increments of casts (x + round-up bit), not in add_bits */
  long sat_bits;       /* saturating casts: bits compared plus bits selected */
  long relu_bits;      /* ReLU select bits */
  long relu_round_bits; /* a registered ReLU whose cast rounds up (an increment): the LUTs in front of
                           the increment's carry chain, one per live bit of its operand (each is
                           x_i & ~sign: the ReLU's select cannot go to the flip-flop's reset there), and
                           the round-up bit's function of the dropped bits (a LUT6 tree of drop + 2
                           inputs, none for drop 1: it shares the chain's first LUT). Counted in LUTs */
  long sat_reg_luts;   /* such a ReLU's saturation: the overflow compare, one LUT6 tree over the live
                          bits of the rounded value above the type's (the select is the flip-flops'
                          synchronous set, or reset for AP_SAT_ZERO). Counted in LUTs; the other
                          saturating casts count sat_bits */
  long mux_bits;       /* ReuseFactor > 1: input and weight selection, in LUT-sized pieces */
  long mul_bits;       /* variable multipliers (ReuseFactor > 1, softmax): sum of operand width products */
  long muls;           /* variable multipliers */
  long dsp;            /* DSP48E2 those multipliers need (27x18 signed tiles) */
  long roms, rom_bits; /* softmax table ROMs: instances, total bits */
  long rom_entries;    /* entries per table */
  long reg_bits;       /* live data register bits (pipeline, output, input latch, accumulators) */
  long ctrl_bits;      /* valid pipelines, cycle counters and tags */
  long table_luts;     /* LUT neurons' truth tables: LUT6 per output bit by its support (src/rtl/lut.c;
                          counted, not fitted) */
  long bram18;         /* io_stream block-RAM line buffers: RAMB18E2 tiles as Yosys 0.23 maps them (not a
                          calibration feature: counted, not fitted) */
} nf_rtl_cost;

/* Runs the generator without writing anything and fills costs[l] for every
 * hardware layer l of d (activations too). Same checks and errors as nf_rtl_plan. */
int nf_rtl_costs(const nf_design *d, nf_rtl_cost *costs, nf_error *err);
/* The same, with the plan's figures (nf_rtl_plan's) from the same pass. */
int nf_rtl_costs_plan(const nf_design *d, nf_rtl_cost *costs, nf_rtl_info *info, nf_error *err);

/* Which bits of its in_data port a layer's module reads (the cost pass's
 * record; width 0: the layer has no such port, -1: several of different
 * widths). Synthesis of the whole design removes the logic behind the bits
 * nothing reads, which the estimator follows (nf_estimate_design). */
typedef struct nf_rtl_reads {
  int width;
  bool *bit; /* [width], allocated by the generator */
} nf_rtl_reads;

/* nf_rtl_costs_plan, and reads[l] for every hardware layer l (free with
 * nf_rtl_reads_free). */
int nf_rtl_costs_reads(const nf_design *d, nf_rtl_cost *costs, nf_rtl_info *info, nf_rtl_reads *reads, nf_error *err);
void nf_rtl_reads_free(nf_rtl_reads *reads, int n);

/* The generator's own reference semantics of SPEC §3 (sequential
 * accumulation with nf_fixed casts, written apart from the emulator as a
 * cross-check) over the hardware layers: in [n_in] input codes, out [n_out]
 * output codes. Uses no RTL. */
int nf_rtl_reference(const nf_design *d, const int64_t *in, int64_t *out, nf_error *err);

/* The testbench reads an io_parallel row wider than this many bits as
 * several hex words, the most significant first (Verilator reads at most
 * 8192 bits in one $fscanf); nf_cosim_run writes them so. */
enum { NF_RTL_TB_WORD_BITS = 4096 };

/* Writes <tb_dir>/tb_<top>.v, a testbench that reads input rows (one hex
 * word per line, feature k at bits [k*Wi +: Wi]) from the file named by
 * +in=PATH, applies them every `ii` cycles, and logs "I <cycle>" for each
 * accepted row and "O <cycle> <hex>" for each output to +out=PATH. */
int nf_rtl_write_testbench(const char *top, const nf_rtl_info *info, const char *tb_dir, nf_error *err);

/* ---- Co-simulation ---------------------------------------------------------- */
typedef enum { NF_SIM_VERILATOR, NF_SIM_IVERILOG } nf_simulator;

typedef struct nf_cosim_opts {
  const char *rtl_dir;      /* every *.v in it is compiled */
  const char *tb_dir;       /* holds tb_<top>.v */
  const char *top;
  const char *work_dir;     /* existing scratch directory (build, vectors) */
  nf_simulator simulator;
  const nf_rtl_info *info;
  long n_rows;
  const int64_t *in_codes;  /* [n_rows][n_in] */
  const int64_t *expected;  /* [n_rows][n_out] codes from the emulator */
  bool quiet;
} nf_cosim_opts;

typedef struct nf_cosim_result {
  long rows, outputs, mismatches;
  long first_bad_row, first_bad_output;   /* -1 when none */
  int64_t first_bad_got, first_bad_want;
  int latency;         /* measured: cycles from first in_valid to first out_valid */
  double ii;           /* measured: mean cycles between consecutive outputs */
  double build_seconds, sim_seconds, rows_per_second;
} nf_cosim_result;

/* Builds and runs the simulation; mismatches are a result, not an error.
 * Errors: NF_EINPUT when the simulator is missing or the RTL does not build
 * (the message quotes the simulator's first error line). */
int nf_cosim_run(const nf_cosim_opts *o, nf_cosim_result *r, nf_error *err);

const char *nf_simulator_name(nf_simulator s);
int nf_simulator_parse(const char *s, nf_simulator *out, nf_error *err);

/* ---- The firmware directories -----------------------------------------------
 * The project stage (nnfirm/project.h) owns the project directory; these are
 * the parts it delegates to the generator. */

/* Writes <dir>/rtl/<top>.v and <dir>/tb/tb_<top>.v (creating rtl/ and tb/).
 * The caller makes the directory appear atomically (nf_outdir_*). */
int nf_rtl_write_project(const nf_design *d, const char *dir, nf_rtl_info *info, nf_error *err);

#endif
