/* Activation layers in the generator: the kind's entry resolves to its
 * activation's (activations.def's rtl column): ReLU and the sign
 * activations here, the table softmax in softmax.c; the others are refused
 * by name. */
#include <stdio.h>

#include "emit.h"

const nf_rtl_layer_ops nf_rtl_act_none = {.what = NULL};

static const nf_rtl_layer_ops *const ACT_OPS[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, RTL) [NF_ACT_##ID] = &nf_rtl_act_##RTL,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

static const nf_rtl_layer_ops *activation_resolve(const nf_design_layer *L) {
  return (unsigned)L->act < NF_ACT_COUNT ? ACT_OPS[L->act] : &nf_rtl_act_none;
}

const nf_rtl_layer_ops nf_rtl_activation_ops = {.what = "Activation", .resolve = activation_resolve};

/* max(x, 0) of signal x (x itself when it cannot be negative), named <name><suffix>. */
static int relu_max(rtl_gen *g, int x, const char *name, const char *suffix) {
  nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
  if (xlo >= 0) return x;
  int m = nf_rtl_new_sig(g, 0, xhi < 0 ? 0 : xhi, "%s%s", name, suffix);
  if (g->oom) return m;
  int wm = g->sigs[m].width;
  char e[3 * RTL_NAME + 120], keep[2 * RTL_NAME + 80];
  /* a comparison, not the sign bit: Verilator 5.006 mis-optimizes the
   * bit-select form feeding a rounding cast (found by co-simulation) */
  if (xhi < 0) {
    snprintf(e, sizeof e, "%d'sd0", wm); /* never positive: the constant 0 */
  } else {
    nf_rtl_ext(g, keep, sizeof keep, x, 0, 0, wm);
    snprintf(e, sizeof e, "(%s < %d'sd0) ? %d'sd0 : %s", nf_rtl_ref(g, x), g->sigs[x].width, wm, keep);
  }
  nf_rtl_wire(g, m, e);
  return m;
}

/* Half to even from the floor fl of m's d dropped bits (m = sum + half):
 * a tie (those d bits of m all zero) clears bit 0, the odd floor down to
 * the even one; then t's overflow. */
static int tie_mask(rtl_gen *g, int m, int fl, int d, const nf_fixed_type *t, const char *name) {
  char e[4 * RTL_NAME + 200], rest[RTL_NAME + 32], b0[RTL_NAME + 16], low[RTL_NAME + 32];
  nf_code lo = g->sigs[fl].lo, hi = g->sigs[fl].hi;
  int ev = nf_rtl_new_sig(g, lo - (lo & 1), hi, "%s_even", name);
  if (g->oom) return ev;
  int w = g->sigs[ev].width;
  nf_rtl_bit(g, b0, sizeof b0, fl, 0);
  int wm = g->sigs[m].width; /* m >= 0: its bits above its width are zeros */
  nf_rtl_slice(g, low, sizeof low, m, (d < wm ? d : wm) - 1, 0);
  if (w > 1) {
    nf_rtl_ext(g, rest, sizeof rest, fl, 1, 0, w - 1);
    snprintf(e, sizeof e, "{%s, %s & (|%s)}", rest, b0, low);
  } else {
    snprintf(e, sizeof e, "%s & (|%s)", b0, low);
  }
  nf_rtl_wire(g, ev, e);
  return nf_rtl_cast(g, ev, nf_fixed_frac_bits(t), t, true, name);
}

/* LUT6s of the fused clip in front of its register, counted (not fitted;
 * nf_rtl_cost.sat_reg_luts): per live output bit one LUT of the sign, the
 * overflow and the bit (bit 0's tie mask fits the same LUT), plus the OR
 * tree of the floor's live bits above the type's top (the overflow). */
static long clip_luts(const rtl_gen *g, int fl, int out, const nf_fixed_type *t) {
  return nf_rtl_live_bits(g, out) + nf_rtl_overflow_luts(nf_fixed_max_code(t), g->sigs[fl].hi);
}

int nf_rtl_relu_clip(rtl_gen *g, int y, int frac, const nf_fixed_type *ty, bool tie_even, const char *name) {
  nf_rtl_cost *cost = g->cost;
  g->cost = NULL; /* counted whole below, not as the general casts' compares */
  int m = relu_max(g, y, name, "_m");
  nf_fixed_type t = *ty;
  t.q = NF_Q_TRN; /* the rounding is in the sum's offset */
  int d = frac - nf_fixed_frac_bits(&t), out;
  char nm[RTL_NAME];
  snprintf(nm, sizeof nm, "%s_fl", name);
  int fl = g->oom ? 0 : nf_rtl_cast(g, m, frac, &t, false, nm);
  if (g->oom) out = 0;
  else if (!tie_even || d < 1) out = nf_rtl_cast(g, fl, nf_fixed_frac_bits(&t), &t, true, name);
  else out = tie_mask(g, m, fl, d, &t, name);
  g->cost = cost;
  if (cost && !g->oom) cost->relu_bits += nf_rtl_live_bits(g, m), cost->sat_reg_luts += clip_luts(g, fl, out, &t);
  return out;
}

/* ---- ReLU: y = (result_t) max(x, 0); registered when g->reg_act ---------------
 * (the pipeline placement's choice, docs/firmware.md: at a fast clock the
 * compare-and-select and the rounding, saturating cast take a stage of their
 * own instead of lengthening the next layer's first one). */
static int relu_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)k;
  *latency = g->reg_act ? 1 : 0;
  if (g->reg_act) g->stage_ns = NF_RTL_REG_NS + NF_RTL_ACT_NS;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_m<i> = max(x_i, 0); <layer>_y<i>: cast to result_t\n");
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti);
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
    char suffix[24];
    snprintf(suffix, sizeof suffix, "_m%d", i);
    int m = relu_max(g, x, g->layer, suffix);
    if (g->oom) break;
    if (g->cost) g->cost->relu_bits += nf_rtl_live_bits(g, m);
    char nm[RTL_NAME], ye[2 * RTL_NAME + 80];
    snprintf(nm, sizeof nm, "%s_y%d", g->layer, i);
    g->relu_into_reg = g->reg_act && xlo < 0 && xhi >= 0;
    int y = nf_rtl_cast(g, m, nf_fixed_frac_bits(ti), tr, true, nm);
    g->relu_into_reg = false;
    if (g->oom) break;
    nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, tr->width);
    if (g->reg_act) {
      fprintf(g->fp, "  reg [%d:0] %s_q%d; %s %s_q%d <= %s;\n", tr->width - 1, g->layer, i, nf_rtl_clocked(g),
              g->layer, i, ye);
      fprintf(g->fp, "  assign out_data[%d +: %d] = %s_q%d;\n", i * tr->width, tr->width, g->layer, i);
      g->regs += tr->width;
      if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, y) < tr->width ? nf_rtl_live_bits(g, y) : tr->width;
    } else {
      fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", i * tr->width, tr->width, ye);
    }
    rtl_out_range(g, i, y);
  }
  if (g->reg_act) {
    fprintf(g->fp, "  reg valid_q;\n");
    nf_rtl_valid_reg(g, "valid_q", "1'b0", "in_valid");
    fprintf(g->fp, "  assign out_valid = valid_q;\n");
    if (g->cost) g->cost->ctrl_bits += 1;
    nf_rtl_sink(g, NULL);
  } else {
    fprintf(g->fp, "  assign out_valid = in_valid;\n");
    nf_rtl_sink(g, "clk, rst");
  }
  (void)top;
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void relu_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int fi = nf_fixed_frac_bits(&L->input_t);
  for (int i = 0; i < L->n_in; i++) y[i] = nf_fixed_cast_code(&L->result_t, x[i] > 0 ? x[i] : 0, fi);
}

const nf_rtl_layer_ops nf_rtl_act_relu = {
    .what = "ReLU",
    .emit = relu_emit,
    .reference = relu_reference,
};

/* ---- binary_tanh, ternary_tanh: comparisons and a constant select ------------
 * hls4ml's semantics (as the emulator's): binary y = x > 0 ? 1 : -1;
 * ternary d = 2 x in input_t (wrapping or saturating as input_t does), then
 * y = d > 1 ? 1 : d > -1 ? 0 : -1; the constants cast to result_t. With f
 * fraction bits of input_t the thresholds +-1 are the codes +-2^f (f < 0:
 * d > 0 and d > -1). QONNX's bipolar: y = x >= 0 ? 1 : -1, i.e. code > -1.
 * No register. */
typedef struct sign_consts {
  nf_code hi_t, lo_t;          /* d > hi_t gives +1; d > lo_t (ternary) gives 0 */
  nf_code one, zero, minus;    /* result_t codes of +1, 0, -1 */
} sign_consts;

static sign_consts sign_setup(const nf_design_layer *L) {
  int f = nf_fixed_frac_bits(&L->input_t);
  bool ternary = L->act == NF_ACT_TERNARY_TANH;
  sign_consts c = {.hi_t = L->act == NF_ACT_BIPOLAR ? -1 : 0, .lo_t = 0};
  if (ternary) {
    c.hi_t = f >= 0 ? (nf_code)1 << f : 0;
    c.lo_t = f >= 0 ? -((nf_code)1 << f) : -1;
  }
  c.one = nf_fixed_cast_code(&L->result_t, 1, 0);
  c.zero = nf_fixed_cast_code(&L->result_t, 0, 0);
  c.minus = nf_fixed_cast_code(&L->result_t, -1, 0);
  return c;
}

static int sign_check(const nf_design_layer *L, nf_error *err) {
  int f = nf_fixed_frac_bits(&L->input_t);
  if (f > 100 || L->input_t.width > 100)
    return nf_fail(err, NF_EINPUT, "layer %s: %s input type too wide", L->name, nf_activation_name(L->act));
  return NF_OK;
}

static int sign_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  *latency = 0;
  bool ternary = L->act == NF_ACT_TERNARY_TANH;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  int f = nf_fixed_frac_bits(ti);
  sign_consts c = sign_setup(L);
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  if (ternary)
    fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_d<i> = 2 x_i in input_t; "
                   "<layer>_y<i> = d > 1 ? 1 : d > -1 ? 0 : -1 in result_t\n");
  else
    fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_y<i> = x %s 0 ? 1 : -1 in result_t\n",
            L->act == NF_ACT_BIPOLAR ? ">=" : ">");
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti), d = x;
    char nm[RTL_NAME];
    if (ternary) {
      snprintf(nm, sizeof nm, "%s_x%d_twice", g->layer, i);
      int two = nf_rtl_materialize(g, (rtl_term){.sig = x, .shift = 1, .sign = 1}, nm);
      snprintf(nm, sizeof nm, "%s_d%d", g->layer, i);
      d = nf_rtl_cast(g, two, f, ti, true, nm);
    }
    if (g->oom) break;
    nf_code dlo = g->sigs[d].lo, dhi = g->sigs[d].hi;
    /* which outcomes the input's range allows */
    bool can_one = dhi > c.hi_t, can_zero = ternary && dhi > c.lo_t && dlo <= c.hi_t;
    bool can_minus = dlo <= (ternary ? c.lo_t : c.hi_t);
    nf_code ylo = c.one, yhi = c.one;
    if (!can_one) ylo = yhi = can_zero ? c.zero : c.minus;
    if (can_zero) ylo = c.zero < ylo ? c.zero : ylo, yhi = c.zero > yhi ? c.zero : yhi;
    if (can_minus) ylo = c.minus < ylo ? c.minus : ylo, yhi = c.minus > yhi ? c.minus : yhi;
    int y = nf_rtl_new_sig(g, ylo, yhi, "%s_y%d", g->layer, i);
    if (g->oom) break;
    int wy = g->sigs[y].width, wd = g->sigs[d].width;
    char l1[64], l0[64], lm[64], th[64], tl[64], e[4 * RTL_NAME + 300];
    nf_rtl_literal(l1, sizeof l1, c.one, wy);
    nf_rtl_literal(l0, sizeof l0, c.zero, wy);
    nf_rtl_literal(lm, sizeof lm, c.minus, wy);
    nf_rtl_literal(th, sizeof th, c.hi_t, wd);
    nf_rtl_literal(tl, sizeof tl, c.lo_t, wd);
    const char *below = can_zero ? l0 : lm; /* what d <= hi_t gives */
    if (can_zero && can_minus) {
      const char *ref = nf_rtl_ref(g, d);
      if (can_one) snprintf(e, sizeof e, "(%s > %s) ? %s : (%s > %s) ? %s : %s", ref, th, l1, ref, tl, l0, lm);
      else snprintf(e, sizeof e, "(%s > %s) ? %s : %s", ref, tl, l0, lm);
    } else if (can_one && (can_zero || can_minus)) {
      snprintf(e, sizeof e, "(%s > %s) ? %s : %s", nf_rtl_ref(g, d), th, l1, below);
    } else {
      snprintf(e, sizeof e, "%s", can_one ? l1 : below); /* constant by the input's range */
    }
    nf_rtl_wire(g, y, e);
    if (g->cost) g->cost->sat_bits += (long)nf_rtl_live_bits(g, d) * (ternary ? 2 : 1) + nf_rtl_live_bits(g, y);
    char ye[2 * RTL_NAME + 80];
    nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, tr->width);
    fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", i * tr->width, tr->width, ye);
    rtl_out_range(g, i, y);
  }
  fprintf(g->fp, "  assign out_valid = in_valid;\n");
  nf_rtl_sink(g, "clk, rst");
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void sign_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  sign_consts c = sign_setup(L);
  int f = nf_fixed_frac_bits(&L->input_t);
  for (int i = 0; i < L->n_in; i++) {
    if (L->act != NF_ACT_TERNARY_TANH) {
      y[i] = x[i] > c.hi_t ? c.one : c.minus;
      continue;
    }
    nf_code d = nf_fixed_cast_code(&L->input_t, 2 * x[i], f);
    y[i] = d > c.hi_t ? c.one : d > c.lo_t ? c.zero : c.minus;
  }
}

const nf_rtl_layer_ops nf_rtl_act_binary_tanh = {
    .what = "BinaryTanh",
    .check = sign_check,
    .emit = sign_emit,
    .reference = sign_reference,
};

const nf_rtl_layer_ops nf_rtl_act_ternary_tanh = {
    .what = "TernaryTanh",
    .check = sign_check,
    .emit = sign_emit,
    .reference = sign_reference,
};
