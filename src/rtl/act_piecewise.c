/* The two-sided activations in the generator, as hls4ml computes them (the
 * emulator's semantics, src/emulate/activation.c):
 *
 *   leaky_relu, prelu   y = x > 0 ? (result_t) x : (result_t)(alpha x)
 *   thresholded_relu    y = x > theta ? (result_t) x : 0
 *   elu                 y = x >= 0 ? (result_t) x : (result_t)(alpha table[a(x)])
 *   selu                y = x >= 0 ? (result_t)(lambda x) : (result_t) table[a(x)]
 *   hard_sigmoid        y = (result_t) clip(slope x + shift, 0, 1)
 *
 * with the constants as codes (alpha, theta: param_t, one per element for
 * prelu; lambda, slope, shift: hls4ml's fixed types, nnfirm/convert.h),
 * every product by a constant a canonical-signed-digit shift-add chain,
 * elu's and selu's table a ROM (a Verilog function of one case statement)
 * of entries already cast to result_t (elu's times alpha) at address
 * a(x) = min(trunc(-x N / 8), N - 1) (a shift, N a power of two). Each
 * output ends in a register: latency 1, II 1. */
#include <stdio.h>
#include <stdlib.h>

#include "emit.h"

/* ---- Helpers ----------------------------------------------------------------- */

/* Signal x times the constant c, exactly, named <name> (<name>_l<level>_<k>
 * the partial sums of a balanced tree of its digits); *depth: its adder
 * levels (a final negation included). */
static int const_product(rtl_gen *g, int x, nf_code c, const char *name, int *depth) {
  *depth = 0;
  if (c == 0) return nf_rtl_materialize(g, (rtl_term){.sig = -1, .sign = 1, .cval = 0}, name);
  int sh[128], dg[128];
  int nd = nf_rtl_csd(c < 0 ? -c : c, sh, dg), sg = c < 0 ? -1 : 1;
  if (g->cost) g->cost->csd_digits += nd;
  rtl_term t[128];
  for (int k = 0; k < nd; k++) t[k] = (rtl_term){.sig = x, .shift = sh[k], .sign = sg * dg[k]};
  for (int level = 1; nd > 1 && !g->oom; level++) {
    int m = 0;
    for (int k = 0; k + 1 < nd && !g->oom; k += 2) {
      char nm[RTL_NAME];
      snprintf(nm, sizeof nm, "%s_l%d_%d", name, level, m);
      t[m++] = nf_rtl_add(g, t[k], t[k + 1], nm);
    }
    if (nd % 2) t[m++] = t[nd - 1];
    nd = m;
    ++*depth;
  }
  if (g->oom) return 0;
  *depth += t[0].sign < 0; /* a negation */
  return nf_rtl_materialize(g, t[0], name);
}

static int log2_of(long v) {
  int k = 0;
  while ((1L << k) < v) k++;
  return (1L << k) == v ? k : -1;
}

/* The parameter code of element i (prelu: its own; the others: one). */
static nf_code param_of(const nf_design_layer *L, int i) {
  return L->weights[L->act == NF_ACT_PRELU ? i : 0];
}

/* ELU / SELU: the ROM's entry i, in result_t */
static nf_code exp_entry(const nf_design_layer *L, int i) {
  int ft = nf_fixed_frac_bits(&L->table.table_t);
  if (L->act == NF_ACT_SELU) return nf_fixed_cast_code(&L->result_t, L->table.codes[i], ft);
  return nf_fixed_cast_code(&L->result_t, (nf_code)L->table.codes[i] * L->weights[0], ft + nf_fixed_frac_bits(&L->weight_t));
}

/* ELU / SELU: the address of x < 0, trunc(-x 2^-f N / 8) at most N - 1 */
static nf_code exp_address(const nf_design_layer *L, nf_code x) {
  int s = log2_of(L->table.size) - 3 - nf_fixed_frac_bits(&L->input_t);
  nf_code nx = -x, a = s >= 0 ? nx * ((nf_code)1 << s) : nx >> -s; /* nx > 0: the shift truncates */
  return a < 0 ? 0 : a > L->table.size - 1 ? L->table.size - 1 : a;
}

/* hard_sigmoid's fraction bits, slope and shift codes at them */
static int hs_frac(const nf_design_layer *L, nf_code *slope, nf_code *shift) {
  int fp = nf_fixed_frac_bits(&L->input_t) + NF_HARD_SIGMOID_SLOPE_FRAC;
  int f = fp > NF_HARD_SIGMOID_SHIFT_FRAC ? fp : NF_HARD_SIGMOID_SHIFT_FRAC;
  *slope = (nf_code)NF_HARD_SIGMOID_SLOPE * ((nf_code)1 << (f - fp));
  *shift = (nf_code)NF_HARD_SIGMOID_SHIFT * ((nf_code)1 << (f - NF_HARD_SIGMOID_SHIFT_FRAC));
  return f;
}

/* ---- Checks ------------------------------------------------------------------- */

static int piecewise_check(const nf_design_layer *L, nf_error *err) {
  const char *act = nf_activation_name(L->act);
  int fi = nf_fixed_frac_bits(&L->input_t);
  if (L->input_t.width > 62 || L->result_t.width > 62 || fi > 60 || fi < -40)
    return nf_fail(err, NF_EINPUT, "layer %s: %s input or result type too wide", L->name, act);
  if (nf_act_param_count(L->act, L->n_in) &&
      (!L->weights || L->weight_t.width > 62 || L->weight_t.width + L->input_t.width > 100 ||
       nf_fixed_frac_bits(&L->weight_t) > 60 || nf_fixed_frac_bits(&L->weight_t) < -60))
    return nf_fail(err, NF_EINPUT, "layer %s: %s without its parameter, or its type too wide", L->name, act);
  if (nf_act_param_count(L->act, L->n_in) && abs(fi - nf_fixed_frac_bits(&L->weight_t)) > 60)
    return nf_fail(err, NF_EINPUT, "layer %s: %s input and parameter scales too far apart", L->name, act);
  if (L->act == NF_ACT_ELU || L->act == NF_ACT_SELU) {
    if (!L->table.codes) return nf_fail(err, NF_EINPUT, "layer %s: %s without its table", L->name, act);
    if (log2_of(L->table.size) < 1 || L->table.size > 65536)
      return nf_fail(err, NF_EINPUT, "layer %s: the RTL takes a %s table_size that is a power of two up to 65536 (got %d)",
                     L->name, act, L->table.size);
    if (L->table.table_t.width > 62 || nf_fixed_frac_bits(&L->table.table_t) > 60 ||
        nf_fixed_frac_bits(&L->table.table_t) < -60)
      return nf_fail(err, NF_EINPUT, "layer %s: %s table type too wide", L->name, act);
  }
  return NF_OK;
}

/* ---- Emission ----------------------------------------------------------------- */

/* Writes the ROM function <layer>_rom of ELU's / SELU's entries; returns
 * their width and range. */
static int write_rom(rtl_gen *g, const nf_design_layer *L, nf_code *lo, nf_code *hi) {
  int n = L->table.size, bits = log2_of(n);
  *lo = *hi = exp_entry(L, 0);
  for (int i = 1; i < n; i++) {
    nf_code v = exp_entry(L, i);
    *lo = v < *lo ? v : *lo;
    *hi = v > *hi ? v : *hi;
  }
  int wv = nf_rtl_signed_width(*lo, *hi);
  fprintf(g->fp, "  // hls4ml's %s table over [-8, 0): %d entries of table_t, %scast to result_t\n",
          nf_activation_name(L->act), n, L->act == NF_ACT_ELU ? "times alpha, " : "");
  fprintf(g->fp, "  function signed [%d:0] %s_rom;\n    input [%d:0] a;\n    begin\n      case (a)\n", wv - 1, g->layer,
          bits - 1);
  for (int i = 0; i < n; i++) {
    char lit[64];
    nf_rtl_literal(lit, sizeof lit, exp_entry(L, i), wv);
    fprintf(g->fp, "        %d'd%d: %s_rom = %s;\n", bits, i, g->layer, lit);
  }
  fprintf(g->fp, "      endcase\n    end\n  endfunction\n");
  if (g->cost) {
    g->cost->rom_entries = n;
  }
  return wv;
}

/* ELU / SELU: the ROM's output for input x (of range [xlo, xhi], some < 0) */
static int exp_rom_value(rtl_gen *g, const nf_design_layer *L, int x, int i, nf_code vlo, nf_code vhi) {
  int n = L->table.size, bits = log2_of(n);
  int s = bits - 3 - nf_fixed_frac_bits(&L->input_t);
  nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
  char e[4 * RTL_NAME + 300], p[2 * RTL_NAME + 80];
  /* nx = -x; t = nx 2^s (s < 0: an arithmetic shift, which truncates where nx > 0) */
  char nm[RTL_NAME];
  snprintf(nm, sizeof nm, "%s_n%d", g->layer, i);
  int nx = nf_rtl_materialize(g, (rtl_term){.sig = x, .shift = 0, .sign = -1}, nm);
  if (g->oom) return 0;
  nf_code tlo = s >= 0 ? -xhi * ((nf_code)1 << s) : -xhi >> -s, thi = s >= 0 ? -xlo * ((nf_code)1 << s) : -xlo >> -s;
  int t = nx;
  if (s != 0) {
    t = nf_rtl_new_sig(g, tlo, thi, "%s_t%d", g->layer, i);
    if (g->oom) return 0;
    nf_rtl_ext(g, p, sizeof p, nx, s < 0 ? -s : 0, s > 0 ? s : 0, g->sigs[t].width);
    nf_rtl_wire(g, t, p);
  }
  nf_code alo = tlo < 0 ? 0 : tlo > n - 1 ? n - 1 : tlo, ahi = thi < 0 ? 0 : thi > n - 1 ? n - 1 : thi;
  int ad = nf_rtl_new_sig(g, alo, ahi, "%s_a%d", g->layer, i);
  if (g->oom) return 0;
  int wa = g->sigs[ad].width, wt = g->sigs[t].width;
  if (alo == ahi) {
    nf_rtl_literal(e, sizeof e, alo, wa);
  } else {
    char keep[2 * RTL_NAME + 80], l0[64], lN[64], c0[64], cN[64];
    nf_rtl_ext(g, keep, sizeof keep, t, 0, 0, wa);
    nf_rtl_literal(l0, sizeof l0, 0, wa);
    nf_rtl_literal(lN, sizeof lN, n - 1, wa);
    nf_rtl_literal(c0, sizeof c0, 0, wt);
    nf_rtl_literal(cN, sizeof cN, n - 1, wt);
    const char *ref = nf_rtl_ref(g, t);
    if (tlo < 0 && thi > n - 1) snprintf(e, sizeof e, "(%s < %s) ? %s : (%s > %s) ? %s : %s", ref, c0, l0, ref, cN, lN, keep);
    else if (tlo < 0) snprintf(e, sizeof e, "(%s < %s) ? %s : %s", ref, c0, l0, keep);
    else if (thi > n - 1) snprintf(e, sizeof e, "(%s > %s) ? %s : %s", ref, cN, lN, keep);
    else snprintf(e, sizeof e, "%s", keep);
    if (g->cost) g->cost->sat_bits += (long)nf_rtl_live_bits(g, t) + nf_rtl_live_bits(g, ad);
  }
  nf_rtl_wire(g, ad, e);
  int v = nf_rtl_new_sig(g, vlo, vhi, "%s_r%d", g->layer, i);
  if (g->oom) return 0;
  char sl[2 * RTL_NAME + 80];
  if (wa - 1 >= bits) nf_rtl_slice(g, sl, sizeof sl, ad, bits - 1, 0);
  else nf_rtl_ext(g, sl, sizeof sl, ad, 0, 0, bits);
  snprintf(e, sizeof e, "%s_rom(%s)", g->layer, sl);
  nf_rtl_wire(g, v, e);
  return v;
}

/* y = cond ? a : b (cond an expression; a or b -1: not possible) */
static int select2(rtl_gen *g, const char *cond, int a, int b, int i) {
  if (a < 0 || b < 0) return a < 0 ? b : a;
  nf_code lo = g->sigs[a].lo < g->sigs[b].lo ? g->sigs[a].lo : g->sigs[b].lo;
  nf_code hi = g->sigs[a].hi > g->sigs[b].hi ? g->sigs[a].hi : g->sigs[b].hi;
  int y = nf_rtl_new_sig(g, lo, hi, "%s_s%d", g->layer, i);
  if (g->oom) return 0;
  int w = g->sigs[y].width;
  char ea[2 * RTL_NAME + 80], eb[2 * RTL_NAME + 80], e[6 * RTL_NAME + 300];
  nf_rtl_ext(g, ea, sizeof ea, a, 0, 0, w);
  nf_rtl_ext(g, eb, sizeof eb, b, 0, 0, w);
  snprintf(e, sizeof e, "(%s) ? %s : %s", cond, ea, eb);
  nf_rtl_wire(g, y, e);
  if (g->cost) g->cost->relu_bits += nf_rtl_live_bits(g, y);
  return y;
}

/* "x > c" (or >=) as a signed comparison wide enough for c */
static void compare(rtl_gen *g, char *buf, size_t n, int x, const char *op, nf_code c) {
  nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
  int wc = nf_rtl_signed_width(c < xlo ? c : xlo, c > xhi ? c : xhi);
  wc = wc > g->sigs[x].width ? wc : g->sigs[x].width;
  char xe[2 * RTL_NAME + 80], lit[64];
  nf_rtl_sext(g, xe, sizeof xe, x, wc);
  nf_rtl_literal(lit, sizeof lit, c, wc);
  snprintf(buf, n, "%s %s %s", xe, op, lit);
  if (g->cost) g->cost->sat_bits += nf_rtl_live_bits(g, x);
}

static int piecewise_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  *latency = 1;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  int fi = nf_fixed_frac_bits(ti), chain = 0;
  bool exp_side = L->act == NF_ACT_ELU || L->act == NF_ACT_SELU;
  nf_code vlo = 0, vhi = 0;
  bool any_negative = false; /* the ROM only where some input reads it */
  for (int i = 0; i < L->n_in; i++) any_negative |= rtl_in_lo(g, i, ti) < 0;
  if (exp_side && any_negative) write_rom(g, L, &vlo, &vhi);
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_s<i>: the branch selected, in result_t; <layer>_y<i>: its register\n");
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti);
    if (g->oom) break;
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
    char nm[RTL_NAME], cond[4 * RTL_NAME + 200];
    int y = -1, depth = 0;
    if (L->act == NF_ACT_LEAKY_RELU || L->act == NF_ACT_PRELU) {
      int pos = -1, neg = -1;
      snprintf(nm, sizeof nm, "%s_pos%d", g->layer, i);
      if (xhi > 0) pos = nf_rtl_cast(g, x, fi, tr, true, nm);
      if (xlo <= 0) {
        snprintf(nm, sizeof nm, "%s_m%d", g->layer, i);
        int m = const_product(g, x, param_of(L, i), nm, &depth);
        snprintf(nm, sizeof nm, "%s_neg%d", g->layer, i);
        if (!g->oom) neg = nf_rtl_cast(g, m, fi + nf_fixed_frac_bits(&L->weight_t), tr, true, nm);
      }
      if (g->oom) break;
      if (pos >= 0 && neg >= 0) compare(g, cond, sizeof cond, x, ">", 0);
      y = select2(g, cond, pos, neg, i);
    } else if (L->act == NF_ACT_THRESHOLDED_RELU) {
      /* x > theta exactly: x > floor(theta 2^(fi - ft)) for integer codes */
      int ft = nf_fixed_frac_bits(&L->weight_t);
      nf_code th = L->weights[0];
      th = fi >= ft ? th * ((nf_code)1 << (fi - ft)) : th >> (ft - fi);
      snprintf(nm, sizeof nm, "%s_pos%d", g->layer, i);
      int pos = xhi > th ? nf_rtl_cast(g, x, fi, tr, true, nm) : -1;
      snprintf(nm, sizeof nm, "%s_zero%d", g->layer, i);
      int zero = xlo <= th ? nf_rtl_materialize(g, (rtl_term){.sig = -1, .sign = 1, .cval = 0}, nm) : -1;
      if (g->oom) break;
      if (pos >= 0 && zero >= 0) compare(g, cond, sizeof cond, x, ">", th);
      y = select2(g, cond, pos, zero, i);
    } else if (exp_side) {
      int pos = -1, neg = -1;
      snprintf(nm, sizeof nm, "%s_pos%d", g->layer, i);
      if (xhi >= 0) {
        if (L->act == NF_ACT_SELU) {
          char pn[RTL_NAME];
          snprintf(pn, sizeof pn, "%s_l%d", g->layer, i);
          int m = const_product(g, x, NF_SELU_LAMBDA_CODE, pn, &depth);
          if (!g->oom) pos = nf_rtl_cast(g, m, fi + NF_SELU_LAMBDA_FRAC, tr, true, nm);
        } else {
          pos = nf_rtl_cast(g, x, fi, tr, true, nm);
        }
      }
      if (xlo < 0 && !g->oom) {
        neg = exp_rom_value(g, L, x, i, vlo, vhi);
        if (g->cost) g->cost->roms++, g->cost->rom_bits += (long)L->table.size * nf_rtl_signed_width(vlo, vhi);
      }
      if (g->oom) break;
      if (pos >= 0 && neg >= 0) compare(g, cond, sizeof cond, x, ">=", 0);
      y = select2(g, cond, pos, neg, i);
    } else { /* hard_sigmoid */
      nf_code slope, shift;
      int f = hs_frac(L, &slope, &shift);
      snprintf(nm, sizeof nm, "%s_m%d", g->layer, i);
      int m = const_product(g, x, slope, nm, &depth);
      snprintf(nm, sizeof nm, "%s_d%d", g->layer, i);
      if (g->oom) break;
      rtl_term d = nf_rtl_add(g, (rtl_term){.sig = m, .sign = 1}, (rtl_term){.sig = -1, .sign = 1, .cval = shift}, nm);
      int dv = nf_rtl_materialize(g, d, nm);
      depth++;
      if (g->oom) break;
      nf_code one = (nf_code)1 << f, dlo = g->sigs[dv].lo, dhi = g->sigs[dv].hi;
      nf_code clo = dlo < 0 ? 0 : dlo > one ? one : dlo, chi = dhi < 0 ? 0 : dhi > one ? one : dhi;
      int c = nf_rtl_new_sig(g, clo, chi, "%s_c%d", g->layer, i);
      if (g->oom) break;
      int wc = g->sigs[c].width;
      int wd = g->sigs[dv].width > nf_rtl_signed_width(0, one) ? g->sigs[dv].width : nf_rtl_signed_width(0, one);
      char e[4 * RTL_NAME + 300], keep[2 * RTL_NAME + 80] = "", de[2 * RTL_NAME + 80] = "", l1[64], l0[64], c1[64], c0[64];
      nf_rtl_literal(l1, sizeof l1, one, wc);
      nf_rtl_literal(l0, sizeof l0, 0, wc);
      nf_rtl_literal(c1, sizeof c1, one, wd);
      nf_rtl_literal(c0, sizeof c0, 0, wd);
      if (clo != chi) { /* the strings mark the bits they read as used: only when they are */
        nf_rtl_ext(g, keep, sizeof keep, dv, 0, 0, wc);
        if (dhi > one || dlo < 0) nf_rtl_sext(g, de, sizeof de, dv, wd);
      }
      if (clo == chi) nf_rtl_literal(e, sizeof e, clo, wc);
      else if (dhi > one && dlo < 0) snprintf(e, sizeof e, "(%s > %s) ? %s : (%s < %s) ? %s : %s", de, c1, l1, de, c0, l0, keep);
      else if (dhi > one) snprintf(e, sizeof e, "(%s > %s) ? %s : %s", de, c1, l1, keep);
      else if (dlo < 0) snprintf(e, sizeof e, "(%s < %s) ? %s : %s", de, c0, l0, keep);
      else snprintf(e, sizeof e, "%s", keep);
      nf_rtl_wire(g, c, e);
      if (g->cost && clo != chi) g->cost->sat_bits += (long)nf_rtl_live_bits(g, dv) * 2 + nf_rtl_live_bits(g, c);
      snprintf(nm, sizeof nm, "%s_s%d", g->layer, i);
      y = nf_rtl_cast(g, c, f, tr, true, nm);
    }
    if (g->oom) break;
    chain = depth > chain ? depth : chain;
    nf_rtl_output_reg(g, i, y, tr);
  }
  /* the delay model: the constant product's adder chain, then the compare, select and cast */
  g->stage_ns = NF_RTL_REG_NS + NF_RTL_ACT_NS + chain * NF_RTL_ADDER_NS;
  nf_rtl_valid_one(g);
  nf_rtl_sink(g, NULL);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void piecewise_describe(FILE *fp, const nf_design_layer *L, long adders) {
  (void)adders;
  char t[96];
  if (nf_act_param_count(L->act, L->n_in)) {
    nf_fixed_type_format(&L->weight_t, t, sizeof t);
    fprintf(fp, "//   hls4ml's param_t %s%s\n", t, L->act == NF_ACT_PRELU ? ", one alpha per element" : "");
  }
  if (L->act == NF_ACT_ELU || L->act == NF_ACT_SELU) {
    nf_fixed_type_format(&L->table.table_t, t, sizeof t);
    fprintf(fp, "//   hls4ml's lookup table over [-8, 0): %d entries of table_t %s\n", L->table.size, t);
  }
}

/* The reference on codes, by the generator's own arithmetic (shifts and
 * the ROM's entries), apart from the emulator's. */
static void piecewise_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int fi = nf_fixed_frac_bits(&L->input_t);
  for (int i = 0; i < L->n_in; i++) {
    nf_code v = x[i];
    switch (L->act) {
    case NF_ACT_THRESHOLDED_RELU: {
      int ft = nf_fixed_frac_bits(&L->weight_t);
      nf_code th = fi >= ft ? L->weights[0] * ((nf_code)1 << (fi - ft)) : L->weights[0] >> (ft - fi);
      y[i] = v > th ? nf_fixed_cast_code(&L->result_t, v, fi) : 0;
      break;
    }
    case NF_ACT_ELU:
    case NF_ACT_SELU:
      if (v < 0) y[i] = exp_entry(L, (int)exp_address(L, v));
      else if (L->act == NF_ACT_ELU) y[i] = nf_fixed_cast_code(&L->result_t, v, fi);
      else y[i] = nf_fixed_cast_code(&L->result_t, v * NF_SELU_LAMBDA_CODE, fi + NF_SELU_LAMBDA_FRAC);
      break;
    case NF_ACT_HARD_SIGMOID: {
      nf_code slope, shift;
      int f = hs_frac(L, &slope, &shift);
      nf_code d = v * slope + shift, one = (nf_code)1 << f;
      y[i] = nf_fixed_cast_code(&L->result_t, d > one ? one : d < 0 ? 0 : d, f);
      break;
    }
    default: /* leaky_relu, prelu */
      y[i] = v > 0 ? nf_fixed_cast_code(&L->result_t, v, fi)
                   : nf_fixed_cast_code(&L->result_t, v * param_of(L, i), fi + nf_fixed_frac_bits(&L->weight_t));
    }
  }
}

#define PIECEWISE(COL, WHAT)                                                                                           \
  const nf_rtl_layer_ops nf_rtl_act_##COL = {.what = WHAT,                                                             \
                                             .check = piecewise_check,                                                 \
                                             .emit = piecewise_emit,                                                   \
                                             .describe = piecewise_describe,                                           \
                                             .reference = piecewise_reference};
PIECEWISE(leaky_relu, "LeakyReLU")
PIECEWISE(thresholded_relu, "ThresholdedReLU")
PIECEWISE(exp_table, "ExpTableActivation")
PIECEWISE(hard_sigmoid, "HardSigmoid")
