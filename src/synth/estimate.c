/* Resource estimator: the generator's own counts of what it emits
 * (nf_rtl_costs) through a linear model calibrated against Yosys. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"
#include "nnfirm/util.h"


/* Coefficients: Yosys cells per counted bit. Calibrated by
 * 'bench/calibrate_estimate fit' (bench/bench_fit_estimate.c: least squares
 * on the relative error, coefficients kept >= 0) on the 26 'cal' designs of
 * tests/data/estimate/yosys_counts.tsv (114 to 44k LUT), synthesized with
 * Yosys 0.23 (synth_xilinx -family xcup -flatten -abc9 -nodsp, VU9P, 'nnfirm
 * synth') at the 5 ns placement. The 24 'held' designs of that file, never
 * used in the fit, measure the error (docs/firmware.md).
 * The estimate is exactly, per layer, with the counts of nf_rtl_cost:
 *   LUT = xor * (xor_bits - merged_xor_bits) + merged * merged_xor_bits
 *         + sat * sat_bits + mux * mux_bits + relu_round_bits + sat_reg_luts
 *         + mul * mul_bits (0 with use_dsp) + ROM LUTs (rom_cost) + table_luts
 *   FF  = reg * reg_bits + ctrl * ctrl_bits
 * What the mapped netlists show (per module, docs/firmware.md): a carry-chain
 * bit costs a LUT when its two operand bits are distinct variable bits (the
 * LUT computes a_i ^ b_i for the carry cell); against a constant, a zero or
 * itself it costs none (an INV, which Yosys' count leaves out, or a wire), so
 * the LUTs follow xor_bits, not add_bits. A sign bit is variable to Yosys
 * even where the value's range says it never changes (a ReLU's or a sum's top
 * bit is computed), and a sum's LUT of two bits (a ^ b) and a difference's
 * (a ^ ~b) are two LUTs: the 95 %-pruned tagger at ap_fixed<10,4> has 99
 * such LUTs, 93 counted (50 before both were counted). A registered ReLU costs no LUT (the
 * flip-flop's synchronous reset takes the sign bit) and a rounding increment
 * folds into its carry chain: both fit to zero and are left out. A ReuseFactor
 * selection piece is one LUT by its definition (fixed, not fitted: the one
 * 'cal' design with ReuseFactor > 1 cannot tell it from the multiplier bits).
 * ctrl is fitted (1.98): the control bits (a few per layer) stand for the
 * flip-flops per layer the count misses (the 95 %-pruned tagger's netlist
 * has 5 and 9 more than counted in its last two Dense layers).
 * An adder Yosys folds into the multi-operand sum of the one adder reading it
 * (alumacc: an output's sum tree within a pipeline stage) has no carry chain
 * of its own but full-adder rows (XOR3 and majority LUTs in the 4-bit dense
 * netlists) that ABC packs with the final chain's LUTs: 0.75 LUT per such xor
 * bit, against 1.01 for a chain's (merged_xor_bits; before it was counted,
 * one coefficient, 0.93, left the small pruned designs at -13 % and the
 * 4-bit dense ones at +12 to +14 %).
 * A registered ReLU whose cast rounds up (QKeras quantized_relu: the
 * winner of the default search, 16-24-12-5 at 5 bits) is counted in LUTs,
 * not fitted (relu_round_bits, sat_reg_luts): its netlist has one LUT2
 * (x_i & ~sign) per bit in front of the increment's carry chain, the round-up
 * bit in the chain's first LUT, one LUT5 for the overflow OR, and the
 * saturation select in the flip-flops' synchronous set (FDSE). Counted as
 * sat_bits at 1.33 per bit, that winner's two ReLUs were 626 LUT against
 * about 330 in the flat netlist (384 synthesized alone, with the outputs no
 * later layer reads): +15.3 % on the design; now 340, +2.3 %.
 * .rom has no design of its own: treat it as rough. */
static const struct {
  double xor;    /* LUT per carry-chain bit of two distinct variable operand bits (xor_bits - merged_xor_bits) */
  double merged; /* LUT per such bit of an adder Yosys folds into a multi-operand sum (merged_xor_bits) */
  double sat;  /* LUT per saturation bit (compared or selected) */
  double mux;  /* LUT per selection piece (ReuseFactor > 1) */
  double mul;  /* LUT per multiplier partial-product bit (ReuseFactor > 1, softmax; no DSP) */
  double reg;  /* FF per live register bit */
  double ctrl; /* FF per control register bit (fitted: stands for a few FF per layer, see above) */
  double rom;  /* LUT per 64 entries x bit of a small table ROM (not calibrated) */
} K = {
    .xor = 1.0218, .merged = 0.7667, .sat = 1.0189, .mux = 1.0, .mul = 1.1739, .reg = 0.9588, .ctrl = 1.9801, .rom = 1.0,
};

/* Tables from this many entries go to block RAM (Yosys' memory mapping
 * prefers a RAMB18 over 16+ LUTs per bit); smaller ones become LUT ROMs. */
enum { BRAM_MIN_ENTRIES = 256 };

/* Softmax table ROMs: {36 Kb block RAMs, LUTs}. A RAMB18 (half a block)
 * holds 18 Kb in any of its aspect ratios. */
static void rom_cost(const nf_rtl_cost *c, double *bram, double *lut) {
  *bram = *lut = 0;
  if (c->roms == 0 || c->rom_entries == 0) return;
  double bits_per_rom = (double)c->rom_bits / (double)c->roms;
  if (c->rom_entries >= BRAM_MIN_ENTRIES) {
    *bram = (double)c->roms * 0.5 * ceil(bits_per_rom / 18432.0);
  } else {
    double width = bits_per_rom / (double)c->rom_entries;
    *lut = K.rom * (double)c->roms * ceil((double)c->rom_entries / 64.0) * width;
  }
}

void nf_estimate_layer_from_cost(nf_estimate_layer *l, bool use_dsp) {
  const nf_rtl_cost *c = &l->cost;
  double arith = K.xor * (double)(c->xor_bits - c->merged_xor_bits) + K.merged * (double)c->merged_xor_bits;
  /* a LUT multiplier is an array of adders */
  double mul = use_dsp ? 0 : K.mul * (double)c->mul_bits;
  /* counted in LUTs, not fitted: a registered ReLU's rounding and saturation, LUT neurons' tables */
  double logic = K.sat * (double)c->sat_bits + K.mux * (double)c->mux_bits +
                 (double)(c->relu_round_bits + c->sat_reg_luts + c->table_luts);
  double rom_lut;
  rom_cost(c, &l->bram, &rom_lut);
  l->bram += 0.5 * (double)c->bram18; /* line buffers: a RAMB18 is half a 36 Kb block */
  logic += rom_lut;
  l->lut_arith = arith + mul;
  l->lut = l->lut_arith + logic;
  l->ff = K.reg * (double)c->reg_bits + K.ctrl * (double)c->ctrl_bits;
  l->dsp = use_dsp ? (double)c->dsp : 0;
  /* Agilex 7: two adder bits per ALM, NF_EST_LUTS_PER_ALM other functions
   * per ALM, four registers per ALM (the ALM count cannot be below that) */
  double alm = l->lut_arith / 2 + logic / NF_EST_LUTS_PER_ALM;
  l->reg = l->ff;
  l->alm = alm > l->reg / 4 ? alm : l->reg / 4;
}

static double pct(double used, long total) { return total > 0 ? 100.0 * used / total : 0; }

/* Synthesis removes the logic of a value nothing reads: a Dense output whose
 * weights in the next Dense are all zero (a pruned neuron), an output whose
 * next layer's module reads none of its bits (unread[l * width + i]: layer
 * l reads nothing of its input i, e.g. a ReLU whose input range is all
 * negative outputs a constant 0 and leaves its input unread), and so on
 * backwards. Returns a copy of the network with those outputs' weights and
 * biases zeroed (so they count nothing), or NULL with *none_dead set when
 * every output is read. */
static nf_design *without_dead_outputs(const nf_design *design, const bool *unread, int width, bool *none_dead,
                                       nf_error *err) {
  *none_dead = true;
  int n = design->n_hw;
  bool *used = nf_calloc((size_t)n * width, sizeof *used, err); /* used[l][j]: output j of layer l is read */
  if (!used) return NULL;
  for (int j = 0; j < design->layers[n - 1].n_out; j++) used[(size_t)(n - 1) * width + j] = true;
  bool dead = false;
  for (int l = n - 1; l > 0; l--) {
    const nf_design_layer *L = &design->layers[l];
    for (int i = 0; i < L->n_in; i++) {
      bool u = false;
      for (int j = 0; j < L->n_out && !u && !unread[(size_t)l * width + i]; j++) /* ReLU: input j feeds output j; softmax: every output */
        u = used[(size_t)l * width + j] && (L->kind == NF_LAYER_DENSE ? L->weights[(size_t)i * L->n_out + j] != 0
                                            : L->act == NF_ACT_SOFTMAX || i == j);
      used[(size_t)(l - 1) * width + i] = u;
      dead |= !u;
    }
  }
  if (!dead) {
    free(used);
    return NULL;
  }
  *none_dead = false;
  size_t bytes = sizeof(nf_design) + (size_t)n * sizeof(nf_design_layer);
  for (int l = 0; l < n; l++)
    if (design->layers[l].kind == NF_LAYER_DENSE)
      bytes += ((size_t)design->layers[l].n_in + 1) * design->layers[l].n_out * sizeof(int64_t);
  char *mem = nf_calloc(1, bytes, err);
  if (!mem) {
    free(used);
    return NULL;
  }
  /* A shallow copy of the design's hardware layers; the Dense arrays are its own. */
  nf_design *copy = (nf_design *)mem;
  nf_design_layer *layers = (nf_design_layer *)(mem + sizeof *copy);
  int64_t *arrays = (int64_t *)(layers + n);
  *copy = *design;
  copy->layers = layers;
  copy->n_layers = copy->n_hw = n;
  for (int l = 0; l < n; l++) {
    nf_design_layer *L = &layers[l];
    *L = design->layers[l];
    if (L->kind != NF_LAYER_DENSE) continue;
    int64_t *w = arrays, *b = arrays + (size_t)L->n_in * L->n_out;
    arrays = b + L->n_out;
    for (int j = 0; j < L->n_out; j++) {
      bool u = used[(size_t)l * width + j];
      for (int i = 0; i < L->n_in; i++) w[(size_t)i * L->n_out + j] = u ? L->weights[(size_t)i * L->n_out + j] : 0;
      b[j] = u && L->bias ? L->bias[j] : 0;
    }
    L->weights = w;
    L->bias = b;
  }
  free(used);
  return copy;
}

/* The inputs each layer's module reads no bit of, from the cost pass's
 * record (reads); only between Dense and activation layers, whose input i is
 * bits [i * w, (i + 1) * w) of in_data. Returns whether one was new. */
static bool mark_unread(const nf_design *d, const nf_rtl_reads *reads, bool *unread, int width) {
  for (int l = 0; l < d->n_hw; l++)
    if (d->layers[l].kind != NF_LAYER_DENSE && d->layers[l].kind != NF_LAYER_ACTIVATION) return false;
  bool changed = false;
  for (int l = 1; l < d->n_hw; l++) {
    const nf_rtl_reads *r = &reads[l];
    int n_in = d->layers[l].n_in;
    if (r->width <= 0 || !r->bit || n_in < 1 || r->width % n_in) continue;
    int w = r->width / n_in;
    for (int i = 0; i < n_in; i++) {
      bool any = false;
      for (int b = i * w; b < (i + 1) * w && !any; b++) any = r->bit[b];
      if (!any && !unread[(size_t)l * width + i]) unread[(size_t)l * width + i] = changed = true;
    }
  }
  return changed;
}

/* Passes of the cost count at most: each removes what the one before found
 * unread (a chain of constant outputs is found one layer per pass). */
enum { DEAD_PASSES = 8 };

int nf_estimate_design(const nf_design *design, const char *part, bool use_dsp, nf_estimate *e, nf_error *err) {
  memset(e, 0, sizeof *e);
  const nf_device *dev = nf_device_find(part ? part : "xcvu9p");
  if (!dev) return nf_fail(err, NF_EINPUT, "unknown part '%s' (known: xcvu9p, xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)", part);
  if (design->n_hw < 1) return nf_fail(err, NF_EINPUT, "the design has no layers in hardware");
  int n = design->n_hw, width = 0;
  for (int l = 0; l < n; l++) {
    const nf_design_layer *L = &design->layers[l];
    width = L->n_out > width ? L->n_out : width;
    width = L->n_in > width ? L->n_in : width;
  }
  nf_rtl_cost *costs = nf_calloc((size_t)n, sizeof *costs, err);
  nf_rtl_reads *reads = nf_calloc((size_t)n, sizeof *reads, err);
  bool *unread = nf_calloc((size_t)n * width, sizeof *unread, err);
  e->layers = nf_calloc((size_t)n, sizeof *e->layers, err);
  if (!costs || !reads || !unread || !e->layers) {
    free(costs), free(reads), free(unread);
    nf_estimate_free(e);
    return NF_EINTERNAL;
  }
  int rc = nf_rtl_check(design, err);
  nf_rtl_info plan;
  for (int pass = 0; pass < DEAD_PASSES && !rc; pass++) {
    bool none_dead = true;
    nf_design *live = without_dead_outputs(design, unread, width, &none_dead, err);
    if (!live && !none_dead) {
      rc = NF_EINTERNAL;
      break;
    }
    rc = nf_rtl_costs_reads(live ? live : design, costs, &plan, reads, err);
    bool again = !rc && mark_unread(design, reads, unread, width);
    nf_rtl_reads_free(reads, n);
    free(live);
    if (!again) break;
  }
  free(reads), free(unread);
  if (rc) {
    free(costs);
    nf_estimate_free(e);
    return rc;
  }
  e->device = dev;
  e->use_dsp = use_dsp;
  e->latency = plan.latency;
  e->clock_ns = design->clock_period_ns > 0 ? design->clock_period_ns : 5.0;
  e->critical_path_ns = plan.predicted_path_ns;
  e->path_partial = plan.path_partial;
  e->n_layers = design->n_hw;
  for (int i = 0; i < design->n_hw; i++) {
    nf_estimate_layer *l = &e->layers[i];
    const nf_design_layer *L = &design->layers[i];
    snprintf(l->name, sizeof l->name, "%s", L->name);
    l->kind = nf_rtl_layer_what(L);
    l->n_in = L->n_in;
    l->n_out = L->n_out;
    /* a Dense's, or in io_stream a Conv's (its window's Dense shares multipliers; io_parallel ignores it) */
    bool reused = L->kind == NF_LAYER_DENSE || (L->kind == NF_LAYER_CONV && !strcmp(design->io_type, "io_stream"));
    l->reuse = reused && L->reuse_factor > 1 ? L->reuse_factor : 1;
    l->cost = costs[i];
    nf_estimate_layer_from_cost(l, use_dsp);
    e->lut += l->lut, e->ff += l->ff, e->dsp += l->dsp, e->bram += l->bram, e->alm += l->alm, e->reg += l->reg;
  }
  free(costs);
  e->lut_pct = pct(e->lut, dev->luts);
  e->ff_pct = pct(e->ff, dev->ffs);
  e->dsp_pct = pct(e->dsp, dev->dsps);
  e->bram_pct = pct(e->bram, dev->brams);
  e->alm_pct = pct(e->alm, NF_AGILEX_ALMS);
  e->reg_pct = pct(e->reg, NF_AGILEX_REGS);
  return NF_OK;
}

void nf_estimate_free(nf_estimate *e) {
  if (!e) return;
  free(e->layers);
  e->layers = NULL;
  e->n_layers = 0;
}

/* ---- Counts as TSV columns ------------------------------------------------ */
static const struct {
  const char *name;
  size_t offset;
} FEATURES[] = {
    {"nnz_weights", offsetof(nf_rtl_cost, nnz_weights)}, {"csd_digits", offsetof(nf_rtl_cost, csd_digits)},
    {"adders", offsetof(nf_rtl_cost, adders)},           {"add_bits", offsetof(nf_rtl_cost, add_bits)},
    {"const_add_bits", offsetof(nf_rtl_cost, const_add_bits)}, {"fresh_add_bits", offsetof(nf_rtl_cost, fresh_add_bits)},
    {"xor_bits", offsetof(nf_rtl_cost, xor_bits)},
    {"merged_xor_bits", offsetof(nf_rtl_cost, merged_xor_bits)},
    {"round_bits", offsetof(nf_rtl_cost, round_bits)},
    {"sat_bits", offsetof(nf_rtl_cost, sat_bits)},
    {"relu_bits", offsetof(nf_rtl_cost, relu_bits)},
    {"relu_round_bits", offsetof(nf_rtl_cost, relu_round_bits)},
    {"sat_reg_luts", offsetof(nf_rtl_cost, sat_reg_luts)},
    {"mux_bits", offsetof(nf_rtl_cost, mux_bits)},
    {"mul_bits", offsetof(nf_rtl_cost, mul_bits)},       {"muls", offsetof(nf_rtl_cost, muls)},
    {"dsp", offsetof(nf_rtl_cost, dsp)},                 {"reg_bits", offsetof(nf_rtl_cost, reg_bits)},
    {"ctrl_bits", offsetof(nf_rtl_cost, ctrl_bits)},     {"roms", offsetof(nf_rtl_cost, roms)},
    {"rom_bits", offsetof(nf_rtl_cost, rom_bits)},       {"rom_entries", offsetof(nf_rtl_cost, rom_entries)},
};
enum { N_FEATURES = sizeof FEATURES / sizeof FEATURES[0] };

static long *field(nf_rtl_cost *c, int k) { return (long *)((char *)c + FEATURES[k].offset); }

void nf_estimate_features_header(char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int k = 0; k < N_FEATURES && used < n; k++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", k ? "\t" : "", FEATURES[k].name);
}

void nf_estimate_features_line(const nf_estimate *e, char *buf, size_t n) {
  nf_rtl_cost sum = {0};
  for (int i = 0; i < e->n_layers; i++) {
    nf_rtl_cost c = e->layers[i].cost;
    for (int k = 0; k < N_FEATURES; k++) *field(&sum, k) += *field(&c, k);
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int k = 0; k < N_FEATURES && used < n; k++)
    used += (size_t)snprintf(buf + used, n - used, "%s%ld", k ? "\t" : "", *field(&sum, k));
}

int nf_estimate_features_parse(const char *const *names, const char *const *values, int n, nf_rtl_cost *c,
                               nf_error *err) {
  memset(c, 0, sizeof *c);
  for (int k = 0; k < N_FEATURES; k++) {
    int col = -1;
    for (int j = 0; j < n && col < 0; j++)
      if (!strcmp(names[j], FEATURES[k].name)) col = j;
    if (col < 0) return nf_fail(err, NF_EINPUT, "no '%s' column", FEATURES[k].name);
    char *end;
    *field(c, k) = strtol(values[col], &end, 10);
    if (end == values[col] || *end) return nf_fail(err, NF_EINPUT, "column '%s': '%s' is not an integer", FEATURES[k].name, values[col]);
  }
  return NF_OK;
}
