/* Internal to src/rtl: a netlist of signed Verilog signals whose exact value
 * range is tracked, so every wire is as wide as its value can be and no wider. */
#ifndef NNFIRM_RTL_EMIT_H
#define NNFIRM_RTL_EMIT_H

#include <stdint.h>
#include <stdio.h>
#include "nnfirm/fixed.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

/* Every signal is a signed Verilog wire or reg, wide enough for [lo, hi],
 * named for what it holds (layer, output or input, tree level, index: e.g.
 * fc1_o3_l2_0). `used` records the bits some expression reads; the ones no
 * expression reads are listed in the module's unused_bits sink (nf_rtl_sink),
 * so that lint sees every bit consumed and a reader sees what is dropped. */
enum { RTL_NAME = 96 };
typedef struct rtl_sig {
  nf_code lo, hi;
  int width;
  int base_len; /* length of the name without its pipeline-register suffix */
  int reg;      /* its pipeline register once emitted, else -1 */
  /* Cost pass only (g->cost): the first signal that computes the same
   * function of the same signals (synthesis merges identical cells: the
   * copies cost nothing), itself when none; and for such a first signal, the
   * first register of any of its copies (-1: none yet). */
  int canon, canon_reg;
  /* Cost pass: the low `pass` bits are those of signal `root` (an adder's
   * operand they pass through unchanged; root -2: constant bits; -1: none);
   * src: the signal a pipeline register copies (-1: not one); rd: the bits
   * something other than a register's copy reads; regd: the bits some
   * counted flip-flop holds. Flip-flops of one input are merged and unread
   * ones removed, so a register costs the read bits no other holds. */
  int root, pass, src;
  bool sum; /* an adder's result (nf_rtl_add, a negation) */
  /* Cost pass: how many times the text reads the signal (nread), the adder
   * that reads it whole and unshifted (into; -1: none), and the xor_bits its
   * own adder counted (xbits): an adder read once, by such an adder, merges
   * into it (Yosys' alumacc, merged_xor_bits). */
  int nread, into;
  long xbits;
  unsigned __int128 rd, regd;
  unsigned __int128 used;
  char name[RTL_NAME];
} rtl_sig;

/* A multi-bit port or register that is not a signal (in_data, a latch):
 * which of its bits are read. */
typedef struct rtl_bus {
  const char *name;
  int width;
  bool *used;
} rtl_bus;

typedef struct rtl_gen {
  FILE *fp;
  rtl_sig *sigs;
  int n_sigs, cap_sigs;
  long adders;     /* adders/subtractors emitted */
  long regs;       /* register bits emitted */
  bool oom;
  nf_error *err;
  /* Value ranges between layers: on entry to an emitter the codes its inputs
   * can take (from the previous layer; NULL = the input type's range), on
   * return the codes its outputs can take. Narrower than the types when,
   * e.g., a ReLU feeds a Dense: its adders then drop the sign bit. */
  nf_code *range_lo, *range_hi;
  unsigned style; /* NF_RTL_STYLE_* */
  /* Register placement (Dense, II = 1): a first pass records the live bits
   * after every adder level; the second places registers at the levels
   * chosen from them (reg_at). */
  long *level_bits;
  const bool *reg_at;
  int levels; /* adder levels of the last layer emitted */
  bool reg_act; /* activations end in a register (the pipeline placement's choice) */
  /* Cost pass, set by a registered ReLU around its cast: the cast's input is
   * max(x, 0) of an x that can be negative and its output goes straight into
   * flip-flops (nf_rtl_cast counts relu_round_bits and sat_reg_luts). */
  bool relu_into_reg;
  bool in_act;  /* this layer's input comes straight from an unregistered activation */
  /* A Dense with the ReLU after it fused in (nf_rtl_unit.relu): that ReLU layer
   * (its input_t is the Dense's own result type, its result_t the unit's
   * output), the constant added to each output's sum (nf_rtl_relu_fold:
   * [n_out]) and the delay its clip adds to the last stage (tail_ns). */
  const nf_design_layer *fused_relu;
  const nf_code *relu_offset;
  double tail_ns;
  bool in_binary; /* every input takes only its range's two ends (binary_tanh's -1 / +1) */
  double budget_ns; /* the placement's per-stage budget (nf_rtl_stage_budget_ns) */
  double stage_ns;  /* out: the delay model's longest stage in this layer (0: none; < 0: not modelled) */
  nf_rtl_cost *cost; /* NULL, or where the layer's resource features are counted */
  const char *layer; /* the layer's name: the prefix of its signal names */
  rtl_bus **buses;
  int n_buses, cap_buses;
  nf_rtl_reads *reads; /* cost pass: NULL, or where the in_data bits read are recorded */
  struct rtl_in_map { int sig, bit0, bits; } *in_map; /* with reads: signal sig's bits [0, bits) are
                                                         in_data's [bit0, bit0 + bits) (nf_rtl_dense_input) */
  int n_in_map, cap_in_map;
  /* io_stream: the module has a clock-enable input `en` (the stream's
   * back-pressure freezes it); every register updates only when en is high. */
  bool en;
  bool en_used;
  struct rtl_cse *cse; /* cost pass: the adders seen, by operands (nf_rtl_add) */
  int n_cse, cap_cse;
  uint64_t *xors; /* cost pass: the operand bit pairs some carry bit's LUT computes (nf_rtl_add) */
  int n_xors, cap_xors;
} rtl_gen;

enum { RTL_MAX_LEVELS = 256 };

static inline nf_code rtl_in_lo(const rtl_gen *g, int i, const nf_fixed_type *t) {
  return g->range_lo ? g->range_lo[i] : nf_fixed_min_code(t);
}
static inline nf_code rtl_in_hi(const rtl_gen *g, int i, const nf_fixed_type *t) {
  return g->range_hi ? g->range_hi[i] : nf_fixed_max_code(t);
}
static inline void rtl_out_range(rtl_gen *g, int j, int sig) {
  if (g->range_lo) g->range_lo[j] = g->sigs[sig].lo, g->range_hi[j] = g->sigs[sig].hi;
}

/* Canonical signed digits of c > 0, lowest first: digit[i] (+1 or -1) at
 * shift[i], c = sum digit[i] 2^shift[i], no two nonzero digits adjacent; the
 * count (at most 64: arrays of 65 suffice). */
int nf_rtl_csd(nf_code c, int *shift, int *digit);

/* Output i's register <layer>_y<i> <= y (sign-extended or truncated to
 * tr's code width; the value fits), its out_data slice, the register and
 * cost counts, and the range the next layer reads. */
void nf_rtl_output_reg(rtl_gen *g, int i, int y, const nf_fixed_type *tr);
/* The same for a code `shift` bits above tr's scale (a fused quantizer's
 * element): the register holds the code, out_data the code and shift zeros. */
void nf_rtl_output_reg_at(rtl_gen *g, int i, int y, const nf_fixed_type *tr, int shift);
/* The valid of a layer of one register stage: valid_r, out_valid. */
void nf_rtl_valid_one(rtl_gen *g);
/* The valid of a layer of `stages` register stages (>= 1): the shift
 * register valid_pipe, out_valid its last bit. */
void nf_rtl_valid_pipe(rtl_gen *g, int stages);

/* A term of a sum: sign * (sig << shift); sig < 0 means the constant cval. */
typedef struct rtl_term {
  int sig;
  int shift;
  int sign;
  nf_code cval;
} rtl_term;

int nf_rtl_signed_width(nf_code lo, nf_code hi);
void nf_rtl_literal(char *buf, size_t n, nf_code v, int width);
/* A new signal for [lo, hi], named by the printf-style format. */
int nf_rtl_new_sig(rtl_gen *g, nf_code lo, nf_code hi, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* ---- Expressions of exact width (every bit they read is marked used) ---- */
/* The signal's name, all bits read (its own width). */
const char *nf_rtl_ref(rtl_gen *g, int sig);
/* sig[bit] */
void nf_rtl_bit(rtl_gen *g, char *buf, size_t n, int sig, int bit);
/* sig[hi:lo], unsigned */
void nf_rtl_slice(rtl_gen *g, char *buf, size_t n, int sig, int hi, int lo);
/* (sig >>> drop) << shift, sign-extended or truncated to exactly `width`
 * bits (unsigned Verilog; wrap it in $signed() where it is compared or
 * multiplied). Truncation is exact whenever the value fits `width` bits,
 * and in sums mod 2^width of values that do. */
void nf_rtl_ext(rtl_gen *g, char *buf, size_t n, int sig, int drop, int shift, int width);
/* The same as a signed operand: $signed(...) unless it is the plain name. */
void nf_rtl_sext(rtl_gen *g, char *buf, size_t n, int sig, int width);
/* Declares `wire signed [w-1:0] <name> = <expr>;` for sig. */
void nf_rtl_wire(rtl_gen *g, int sig, const char *expr);
/* in_data-like buses: bits [lo, lo+len) read */
rtl_bus *nf_rtl_bus_new(rtl_gen *g, const char *name, int width);
void nf_rtl_bus_use(rtl_bus *b, int lo, int len);
/* Cost pass with g->reads: signal sig's bits [0, bits) are in_data's [bit0, bit0 + bits). */
void nf_rtl_map_input(rtl_gen *g, int sig, int bit0, int bits);
/* Writes the unused_bits sink of the module: every signal bit and bus bit
 * nothing reads, plus `extra` (e.g. "clk, rst"; NULL for none). Frees the buses. */
void nf_rtl_sink(rtl_gen *g, const char *extra);
void nf_rtl_free(rtl_gen *g);
/* "always @(posedge clk)", or with the module's clock enable
 * "always @(posedge clk) if (en)": the head of every data register. */
const char *nf_rtl_clocked(rtl_gen *g);
/* A valid register: lhs <= next, cleared by rst (`zero` its reset literal);
 * with the clock enable, reset still acts when en is low. */
void nf_rtl_valid_reg(rtl_gen *g, const char *lhs, const char *zero, const char *next);

void nf_rtl_term_range(const rtl_gen *g, const rtl_term *t, nf_code *lo, nf_code *hi);
/* a + b as one adder named `name`. */
rtl_term nf_rtl_add(rtl_gen *g, rtl_term a, rtl_term b, const char *name);
/* A term as a plain signal (a new one named `name` unless it is one already). */
int nf_rtl_materialize(rtl_gen *g, rtl_term t, const char *name);
/* A register of sig, named after sig's base name and pipeline stage:
 * <base>_r<stage>. A signal several trees read (a shared product) gets one
 * register, counted once; a register of a copy of a registered signal (see
 * rtl_sig.canon) costs nothing: synthesis merges flip-flops of one input. */
int nf_rtl_register(rtl_gen *g, int sig, int stage);
/* Bits of a signal that are not constant by its range (see nf_rtl_cost). */
int nf_rtl_live_bits(const rtl_gen *g, int sig);
/* Counts an adder whose result is sig and whose low `pass` bits come
 * unchanged from one operand (no-op when g->cost is NULL). */
void nf_rtl_cost_adder(rtl_gen *g, int sig, int pass, bool constant);
/* The same for an adder of operand signals a and b (-1: a constant), which
 * also counts fresh_add_bits. */
void nf_rtl_cost_adder2(rtl_gen *g, int sig, int pass, bool constant, int a, int b);
/* Counts a variable x variable multiplier of signals x and y. */
void nf_rtl_cost_multiplier(rtl_gen *g, int x, int y);
/* Quantizes (and, if `overflow`, handles overflow of) sig, a value with
 * `frac` fraction bits, into type t's code; returns the new signal, named
 * `name` (intermediate steps: name_ext, name_up, name_q, name_wrap), or sig
 * itself when the cast changes nothing. */
int nf_rtl_cast(rtl_gen *g, int sig, int frac, const nf_fixed_type *t, bool overflow, const char *name);
/* LUT6s of the overflow test q > mx of a value 0 <= q <= qhi with mx = 2^k - 1:
 * the OR tree of q's live bits from k on (0 for one bit, a wire). */
long nf_rtl_overflow_luts(nf_code mx, nf_code qhi);
/* Exact range of the cast of [lo, hi] (monotone quantization; overflow
 * widens to the type's range unless the values fit). */
void nf_rtl_cast_range(nf_code lo, nf_code hi, int frac, const nf_fixed_type *t, bool overflow, nf_code *olo,
                    nf_code *ohi);
nf_code nf_rtl_quantize(nf_code v, int drop, nf_qmode q);

/* Input i of a layer, <layer>_x<i>: a signal of its value range's width,
 * read from in_data (type ti), the bits read marked in `in`. */
int nf_rtl_dense_input(rtl_gen *g, rtl_bus *in, int i, const nf_fixed_type *ti);

/* ---- A ReLU fused into the Dense before it ---------------------------------
 * y = (result_t) max(x, 0) of a Dense output x costs a rounding adder and a
 * register of x's width when built as a layer of its own. Fused, each sum
 * gets the rounding's half step (offset) as part of its bias constant, so
 * the cast only truncates: for x >= 0, RND(x) = floor((x + h) / 2^d),
 * RND_CONV(x) the same with bit 0 cleared when the d dropped bits of x + h
 * are all zero (a tie; an odd result then loses 1, without a carry), and
 * the modes that differ only below zero map onto these (TRN_ZERO = TRN,
 * RND_INF = RND, RND_ZERO = RND_MIN_INF = floor((x + h - 1) / 2^d)). A
 * negative x + offset clips to 0 (x >= -h there, so its floor is 0 too).
 * The clip (a sign select, the overflow OR, bit 0's tie mask) ends the
 * Dense's last stage and the register holds the ReLU's narrow result. */
/* HGQ's FixedPointQuantizer after a Dense (nnfirm train --hgq-act, RND/SAT:
 * it replaces the ReLU) is fused the same way when every element's type is
 * unsigned and saturating: output j's rounding offset is its own element's
 * (its fraction bits), its clip its element's range, and the register holds
 * the element's code (placed in the quantizer's result_t with low zeros);
 * an element of width 0 is the constant 0, with no sum built for it. */
/* Whether A (a ReLU, or such a quantizer) may be fused into Dense D: the
 * rounding modes are among the above and every output's sum plus its offset
 * passes D's accum_t and result_t casts unchanged (ranges from the input
 * ranges in_lo/in_hi, NULL for D's input type); offset[j] (may be NULL) gets
 * output j's constant in accum_t codes. */
bool nf_rtl_relu_fold(const nf_design_layer *D, const nf_design_layer *A, const nf_code *in_lo, const nf_code *in_hi,
                      nf_code *offset);
/* The type output j of a unit fused with A takes (A's result_t, or the
 * quantizer's element type), and whether it is the constant 0. */
const nf_fixed_type *nf_rtl_fused_type(const nf_design_layer *A, int j);
bool nf_rtl_fused_dead(const nf_design_layer *A, int j);
/* The fused clip's output for the Dense output y (its sum plus offset, with
 * `frac` fraction bits) cast to ty (nf_rtl_fused_type), named <name>;
 * tie_even: ty rounds half to even and the offset is a half step (bit 0's
 * tie mask). */
int nf_rtl_relu_clip(rtl_gen *g, int y, int frac, const nf_fixed_type *ty, bool tie_even, const char *name);

/* Average pooling's constant divider: floor(a / d) = (a * m) >> s for every
 * 0 <= a <= M (conv.c proves it); the smallest such s. */
int nf_rtl_div_plan(nf_code M, nf_code d, nf_code *m, int *s);

/* ---- The generator's operations per layer kind ----------------------------
 * One entry per column value of layers.def's rtl column (nf_rtl_<col>_ops)
 * and of activations.def's (nf_rtl_act_<col>); `none` entries are all NULL
 * and refuse the kind or activation by name. */
typedef struct nf_rtl_layer_ops nf_rtl_layer_ops;
struct nf_rtl_layer_ops {
  const char *what; /* "Dense", "ReLU", "Softmax": the module header's word */
  /* A kind whose operations depend on the node (an Activation: its
   * activation's entry) resolves them here; NULL: this entry is used. */
  const nf_rtl_layer_ops *(*resolve)(const nf_design_layer *L);
  /* The node can be generated (types, tables, saturation); errors name it. */
  int (*check)(const nf_design_layer *L, nf_error *err);
  /* The module body into g->fp (ports declared by the caller); *latency in
   * cycles. levels_per_stage: adder levels between registers. */
  int (*emit)(rtl_gen *g, const char *top, const nf_design_layer *L, int levels_per_stage, int *latency);
  /* Extra lines of the module's header comment (NULL: none). */
  void (*describe)(FILE *fp, const nf_design_layer *L, long adders);
  /* Modules of their own beside the layer's, each in a file (NULL: none). */
  int (*write_files)(const char *rtl_dir, const char *top, const nf_design_layer *L, nf_error *err);
  /* The SPEC §3 reference on codes: y[n_out] from x[n_in]. */
  void (*reference)(const nf_design_layer *L, const nf_code *x, nf_code *y);
  /* Initiation interval in cycles (NULL: 1). */
  int (*interval)(const nf_design_layer *L);
};

#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, EMULATE, RTL) extern const nf_rtl_layer_ops nf_rtl_##RTL##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, RTL) extern const nf_rtl_layer_ops nf_rtl_act_##RTL;
#include "nnfirm/activations.def"
#undef NF_ACTIVATION

/* The operations for node L (its kind's, resolved), never NULL. */
const nf_rtl_layer_ops *nf_rtl_ops_of(const nf_design_layer *L);
/* Whether a FixedPointQuantizer node is bit slices only (every element of
 * nonzero width AP_TRN / AP_WRAP), i.e. wiring with no delay (fpq.c). */
bool nf_rtl_fpq_wiring(const nf_design_layer *L);

/* ---- The pixel stream (IOType io_stream; src/rtl/stream.c) -------------------
 * The design as the generator builds it: a list of units, each one module.
 * Without io_stream a unit is a design layer as it is. With io_stream the
 * layers up to the first Flatten (or the end) form a stream of pixels, one
 * pixel (all its channels) per beat: a Conv is a window generator (line
 * buffers and a kh x kw window, src/rtl/stream.c) feeding a Dense over the
 * window (the convolution's kernel is that Dense's weight matrix), a max
 * pooling a window generator feeding the comparator tree over the window, a
 * ZeroPadding a window generator of one pixel, an activation the activation
 * of one pixel, and the Flatten a collector that gathers a frame's pixels
 * into the vector the Dense layers after it read. Window generators make
 * the padded pixels themselves: while one does, every module before it is
 * frozen by its clock enable (en), and the top's in_ready is low. */
typedef struct nf_rtl_window {
  int h, w, c;        /* the frame it reads: h x w pixels of c codes */
  int kh, kw, sh, sw; /* window and stride */
  int pad[4];         /* padded pixels: top, bottom, left, right */
  nf_code *pad_code;  /* [c]: the code a padded cell holds (0, or for max pooling the channel's lowest value) */
  bool bram;          /* the line buffers are one block RAM (a line of at least the design's line_bram_bits) */
} nf_rtl_window;

typedef struct nf_rtl_unit {
  nf_design_layer view; /* what the unit's emitter builds: the design layer, or its per-pixel view */
  int layer;            /* the design layer it belongs to */
  bool stream;          /* in the pixel stream: the module has the clock enable en */
  int seg;              /* stream: the enable it takes: en_seg<seg> (seg = window generators before it) */
  bool has_window;      /* stream: a window generator feeds it */
  nf_rtl_window win;
  bool collect;         /* the stream's end: gathers `beats` pixels of view.n_in codes into one vector */
  int beats;
  bool own_bias;        /* view.bias allocated here (a Conv without bias) */
  bool own_weights;     /* view.weights allocated here: a padded average pooling's real cells per window position
                           (raster order, view.filters positions) */
  char inst[NF_NAME_MAX + 16]; /* module and instance suffix */
  bool lut;             /* a Dense with the ReLU after it (layer + 1) fused in, as truth tables (lut.c);
                           view.result_t is the ReLU's */
  bool relu;            /* a Dense with the ReLU after it (layer + 1) fused in as a clip of its sums
                           (nf_rtl_relu_fold); view.result_t is the ReLU's */
  bool fused_quant;     /* relu, with a FixedPointQuantizer in the ReLU's place (its elements' clips) */
  bool reads_reg;       /* its input is a fused unit's register (not the unregistered activation its
                           design layer before it would suggest) */
} nf_rtl_unit;

typedef struct nf_rtl_units {
  nf_rtl_unit *u;
  int n;
  int n_windows;
  int stream_end; /* units [0, stream_end) are in the stream (0: none) */
  int in_beats;   /* input pixels per row (1 without a stream) */
  /* The stream's pixel interval P: the largest ReuseFactor of its Convs (1: none). With P > 1 every
   * stream module but those Convs' Dense modules is enabled one cycle in P (the top's `step`), so each
   * window generator pushes at most one pixel per P cycles; a Conv of ReuseFactor R <= P runs on every
   * cycle, takes a window at a step and holds its result until the next step reads it. */
  int pixel_ii;
} nf_rtl_units;

/* A unit that runs on every cycle of a stream of pixel interval > 1 (a Conv's Dense with ReuseFactor > 1). */
static inline bool nf_rtl_unit_fast(const nf_rtl_unit *u) {
  return u->stream && u->has_window && u->view.kind == NF_LAYER_DENSE && u->view.reuse_factor > 1;
}

/* The units of d (errors name the layer the stream cannot take). */
int nf_rtl_units_build(const nf_design *d, nf_rtl_units *us, nf_error *err);
void nf_rtl_units_free(nf_rtl_units *us);
/* Value ranges entering unit u's module from the per-channel ranges of the
 * pixel before its window generator (lo/hi hold c values, grow to the window's). */
void nf_rtl_window_ranges(const nf_rtl_unit *u, nf_code *lo, nf_code *hi);
/* Writes <rtl_dir>/<top>_<inst>_window.v; adds its register bits to cost (may be NULL). */
int nf_rtl_write_window(const char *rtl_dir, const char *top, const nf_rtl_unit *u, nf_rtl_cost *cost, nf_error *err);
/* The collector's body (ports declared by the caller). */
int nf_rtl_emit_collector(rtl_gen *g, const nf_rtl_unit *u, int *latency);
/* Cycle-exact schedule of the stream, rows fed back to back as the
 * testbench feeds them: the worst latency from a row's first pixel taken to
 * its output, and the interval between rows once the first rows have set
 * the window generators' phases (the first intervals can be longer). lat[k]: unit k's module latency; par_latency, par_ii: the
 * parallel layers after the stream. */
int nf_rtl_stream_schedule(const nf_rtl_units *us, const int *lat, int par_latency, int par_ii, int *latency,
                           int *ii, nf_error *err);

/* ---- LUT-native neurons (lut.c) ----------------------------------------------
 * *fuse: layer l of d (a fully parallel Dense followed by a ReLU) may be
 * built as truth tables (LutNeurons on, every neuron within d->lut_bits index
 * bits by its input type) and the generator's cost says the tables are
 * cheaper than adders. */
int nf_rtl_lut_choose(const nf_design *d, int l, bool *fuse, nf_error *err);
/* The body of the fused unit of Dense D and ReLU A: one table per neuron, its output register. */
int nf_rtl_emit_lut(rtl_gen *g, const nf_design *d, const nf_design_layer *D, const nf_design_layer *A, int *latency);

/* ---- Constant matrix multiplication as one shared adder graph (cse.c) ------
 * A reference to a node: sign * (node << shift); node -1: zero. Nodes
 * [0, n_in) are the inputs; a bias node is output `out`'s constant; every
 * other node is a + b at depth (adder levels) 1 + its operands' deepest, a
 * sum shared by several outputs (out -1) or a node of output out's tree. */
typedef struct rtl_cref {
  int node, shift, sign;
} rtl_cref;
typedef struct rtl_cnode {
  rtl_cref a, b;
  int depth, out;
  bool bias;
} rtl_cnode;
typedef struct rtl_cmm {
  int n_in, n_out, n_nodes;
  rtl_cnode *node;
  rtl_cref *root; /* [n_out]: each output's sum */
  int depth;      /* the deepest node */
  int shared;     /* shared sums extracted */
} rtl_cmm;
/* Plans the graph of outputs j = bias_j (when has_bias[j]; has_bias may be
 * NULL) + the terms terms[start[j] .. start[j+1]) (node: the input, shift,
 * sign), by greedy extraction of the most frequent two-term pattern (cse.c). */
int nf_rtl_cmm_plan(int n_in, int n_out, const rtl_cref *terms, const int *start, const bool *has_bias, rtl_cmm *m,
                    nf_error *err);
/* The graph on integers: y[j] from inputs x and the bias values (NULL: 0). */
int nf_rtl_cmm_eval(const rtl_cmm *m, const nf_code *x, const nf_code *bias, nf_code *y, nf_error *err);
void nf_rtl_cmm_free(rtl_cmm *m);
/* Emits the graph on input signals xs with bias constants bias[j], levels
 * from *level + 1 (registers where g->reg_at says, counted in *stages; live
 * bits per level into g->level_bits); out[j]: each output's sum. */
int nf_rtl_cmm_emit(rtl_gen *g, const rtl_cmm *m, const int *xs, const nf_code *bias, rtl_term *out, int *level,
                    int *stages);

int nf_rtl_emit_dense_reuse(rtl_gen *g, const char *top, const nf_design_layer *L, int levels_per_stage,
                         int *latency);
/* Bits a value of type t occupies in the interface (its code width). */
static inline int rtl_type_width(const nf_fixed_type *t) { return t->width; }

#endif
