/* Dense layer with ReuseFactor R > 1 (II = R): the inputs are latched, and in
 * each of R cycles a chunk of ceil(n_in / R) inputs goes through shared
 * multipliers (input and weight selected by the cycle count), a balanced
 * adder tree per output, and an accumulator. Products are exact, then
 * quantized as accum_t says, so the order of the sum does not matter (wrap
 * commutes with addition; saturation was proved impossible by nf_rtl_check). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static int bits_for(int n) {
  int b = 1;
  while ((1 << b) < n) b++;
  return b;
}

/* Resource features of the selection logic and multipliers (nf_rtl_cost). */
static void cost_select(rtl_gen *g, int sig, int choices) {
  if (!g->cost) return;
  /* a 6-input LUT selects among 4 values with 2 select bits */
  int luts = choices <= 4 ? 1 : (choices + 2) / 3;
  g->cost->mux_bits += (long)nf_rtl_live_bits(g, sig) * luts;
}

typedef struct grp {
  rtl_term *t;
  int n;
} grp;

/* Adder trees of every group, a register stage every k levels; returns the
 * levels after the last register. */
static int reduce_all(rtl_gen *g, grp *gs, int ng, int k, int *stages) {
  int level = 0, since = 0;
  for (;;) {
    bool any = false;
    for (int q = 0; q < ng; q++) any |= gs[q].n > 1;
    if (!any || g->oom) return since;
    for (int q = 0; q < ng; q++) {
      if (gs[q].n < 2) continue;
      int m = 0;
      char name[RTL_NAME];
      for (int i = 0; i + 1 < gs[q].n; i += 2) {
        snprintf(name, sizeof name, "%s_o%d_l%d_%d", g->layer, q, level + 1, m);
        gs[q].t[m++] = nf_rtl_add(g, gs[q].t[i], gs[q].t[i + 1], name);
      }
      if (gs[q].n & 1) gs[q].t[m++] = gs[q].t[gs[q].n - 1];
      gs[q].n = m;
    }
    level++, since++;
    bool still = false;
    for (int q = 0; q < ng; q++) still |= gs[q].n > 1;
    if (level % k == 0 && still) {
      for (int q = 0; q < ng; q++)
        for (int i = 0; i < gs[q].n; i++)
          if (gs[q].t[i].sig >= 0) gs[q].t[i].sig = nf_rtl_register(g, gs[q].t[i].sig, *stages + 1);
      (*stages)++;
      since = 0;
    }
  }
}

static int ceil_log2(int n) {
  int l = 0;
  while ((1 << l) < n) l++;
  return l;
}

/* The delay model's time of nf_rtl_cast(sig, frac, t, overflow): a rounding
 * adder where it rounds, the saturation's logic where the value can leave t. */
static double cast_ns(nf_code vlo, nf_code vhi, int frac, const nf_fixed_type *t) {
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code lo = nf_rtl_quantize(vlo, drop, t->q), hi = nf_rtl_quantize(vhi, drop, t->q);
  bool fits = lo >= nf_fixed_min_code(t) && hi <= nf_fixed_max_code(t);
  return (drop > 0 && t->q != NF_Q_TRN ? NF_RTL_ADDER_NS : 0) + (!fits && t->o != NF_O_WRAP ? NF_RTL_CAST_NS : 0);
}

/* Signal p = x * y, a variable multiplier (counted). */
static void mul_wire(rtl_gen *g, int p, int x, int y) {
  char xe[2 * RTL_NAME + 80], ye[2 * RTL_NAME + 80], e[5 * RTL_NAME + 200];
  nf_rtl_cost_multiplier(g, x, y);
  nf_rtl_sext(g, xe, sizeof xe, x, g->sigs[p].width);
  nf_rtl_sext(g, ye, sizeof ye, y, g->sigs[p].width);
  snprintf(e, sizeof e, "%s * %s", xe, ye);
  nf_rtl_wire(g, p, e);
}

/* The shared multiplier of output j, chunk c: the selected input x times the
 * selected weight ws (registers of stage 1), exact product range [plo, phi]
 * with `fp` fraction bits, cast to accum_t. The delay model counts a
 * variable multiplier as its partial-product rows' adder tree,
 * ceil(log2(rows)) adder levels, rows the narrower operand's bits. When the
 * product and its cast fit one stage, the cast product is registered
 * (stage 2) and returned. Otherwise ws is split into `cw`-bit digits (the
 * lower ones unsigned, the top one signed: ws = sum d_m 2^(m cw)), the
 * partial products x * d_m are registered (stage 2), and their sum, cast,
 * is returned unregistered (the caller registers it: stage 3); *split is
 * set. *worst: the model's longest stage so far. Returns -1 on failure. */
static int product(rtl_gen *g, const nf_fixed_type *ta, int x, int ws, const nf_code *wv, int nw, nf_code plo,
                   nf_code phi, int fp, int cw, int j, int c, bool *split, double *worst) {
  const bool wraps = ta->o == NF_O_WRAP;
  const int xw = g->sigs[x].width, wsw = g->sigs[ws].width;
  const int rows = (xw < wsw ? xw : wsw) - 1 > 0 ? (xw < wsw ? xw : wsw) - 1 : 1;
  char e[5 * RTL_NAME + 200], nm[RTL_NAME];
  double t1 = NF_RTL_REG_NS + ceil_log2(rows) * NF_RTL_ADDER_NS + cast_ns(plo, phi, fp, ta);
  if (t1 <= g->budget_ns + 1e-9 || wsw <= cw + 1) {
    int p = nf_rtl_new_sig(g, plo, phi, "%s_o%d_ch%d_p", g->layer, j, c);
    if (g->oom) return -1;
    mul_wire(g, p, x, ws);
    snprintf(nm, sizeof nm, "%s_o%d_ch%d_acc", g->layer, j, c);
    *worst = t1 > *worst ? t1 : *worst;
    int q = nf_rtl_cast(g, p, fp, ta, !wraps, nm);
    return g->oom ? -1 : nf_rtl_register(g, q, 2);
  }
  /* the digits' ranges over the weights ws selects (and 0, its default) */
  const int nd = (wsw - 1 + cw - 1) / cw; /* digits of cw bits cover the magnitude bits; the top one signed */
  rtl_term t[64];
  int nt = 0;
  for (int m = 0; m < nd && m < 64; m++) {
    int sh = m * cw;
    bool top = m == nd - 1;
    nf_code dlo = 0, dhi = 0;
    for (int i = 0; i < nw; i++) {
      nf_code w = wv[i], d = top ? w >> sh : (w >> sh) & (((nf_code)1 << cw) - 1);
      dlo = d < dlo ? d : dlo, dhi = d > dhi ? d : dhi;
    }
    if (dlo == 0 && dhi == 0) continue;
    int d = nf_rtl_new_sig(g, dlo, dhi, "%s_o%d_ch%d_w%d", g->layer, j, c, m);
    if (g->oom) return -1;
    int dw = g->sigs[d].width;
    char de[2 * RTL_NAME + 80];
    if (top) {
      nf_rtl_ext(g, de, sizeof de, ws, sh, 0, dw);
      snprintf(e, sizeof e, "$signed(%s)", de);
    } else { /* 0 <= d < 2^(dw-1): its low dw - 1 bits and a zero sign bit */
      nf_rtl_slice(g, de, sizeof de, ws, sh + dw - 2, sh);
      snprintf(e, sizeof e, "$signed({1'b0, %s})", de);
    }
    nf_rtl_wire(g, d, e);
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi, v[4] = {xlo * dlo, xlo * dhi, xhi * dlo, xhi * dhi}, lo = v[0],
            hi = v[0];
    for (int q = 1; q < 4; q++) lo = v[q] < lo ? v[q] : lo, hi = v[q] > hi ? v[q] : hi;
    int pm = nf_rtl_new_sig(g, lo, hi, "%s_o%d_ch%d_p%d", g->layer, j, c, m);
    if (g->oom) return -1;
    mul_wire(g, pm, x, d);
    int drows = dw - 1 < xw - 1 ? dw - 1 : xw - 1;
    double tm = NF_RTL_REG_NS + ceil_log2(drows > 0 ? drows : 1) * NF_RTL_ADDER_NS;
    *worst = tm > *worst ? tm : *worst;
    t[nt++] = (rtl_term){.sig = nf_rtl_register(g, pm, 2), .shift = sh, .sign = 1};
  }
  *split = true;
  int levels = 0;
  for (int n = nt; n > 1; levels++) {
    int m = 0;
    for (int i = 0; i + 1 < n; i += 2) {
      snprintf(nm, sizeof nm, "%s_o%d_ch%d_m%d_%d", g->layer, j, c, levels + 1, m);
      t[m++] = nf_rtl_add(g, t[i], t[i + 1], nm);
    }
    if (n & 1) t[m++] = t[n - 1];
    n = m;
  }
  snprintf(nm, sizeof nm, "%s_o%d_ch%d_psum", g->layer, j, c);
  int v = nt ? nf_rtl_materialize(g, t[0], nm) : -1;
  if (v < 0 || g->oom) return -1;
  snprintf(nm, sizeof nm, "%s_o%d_ch%d_acc", g->layer, j, c);
  double t2 = NF_RTL_REG_NS + levels * NF_RTL_ADDER_NS + cast_ns(g->sigs[v].lo, g->sigs[v].hi, fp, ta);
  *worst = t2 > *worst ? t2 : *worst;
  int q = nf_rtl_cast(g, v, fp, ta, !wraps, nm);
  return g->oom ? -1 : q;
}

int nf_rtl_emit_dense_reuse(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top;
  const int n_in = L->n_in, n_out = L->n_out, R = L->reuse_factor;
  const int C = (n_in + R - 1) / R, cb = bits_for(R);
  const nf_fixed_type *ti = &L->input_t, *ta = &L->accum_t, *tr = &L->result_t;
  const int fp = nf_fixed_frac_bits(ti) + nf_fixed_frac_bits(&L->weight_t), fa = nf_fixed_frac_bits(ta);
  FILE *outer = g->fp;
  /* the delay model's longest stage, from the selections' (a multiplexer level); a
   * partial product's weight digits of cw bits: 2^k rows, k adder levels (a stage) */
  double worst = NF_RTL_REG_NS + NF_RTL_ADDER_NS;
  const int cw = k < 6 ? 1 << k : 64;
  bool split = false;
  /* io_stream: every register holds while the clock enable is low (reset acts regardless) */
  const char *en = g->en ? "en && " : "";
  g->en_used |= g->en;

  fprintf(outer, "  // xr: the latched inputs; cnt: the cycle (0..%d) of a busy row\n", R - 1);
  fprintf(outer, "  reg [%d:0] xr; reg busy; reg [%d:0] cnt;\n", n_in * ti->width - 1, cb - 1);
  fprintf(outer, "  always @(posedge clk) begin\n"
                 "    if (%sin_valid) xr <= in_data;\n"
                 "    if (rst) begin busy <= 1'b0; cnt <= %d'd0; end\n"
                 "    else if (%sin_valid) begin busy <= 1'b1; cnt <= %d'd0; end\n"
                 "    else if (%sbusy) begin if (cnt == %d'd%d) busy <= 1'b0; else cnt <= cnt + %d'd1; end\n"
                 "  end\n",
          en, cb, en, cb, en, cb, R - 1, cb);
  if (g->cost) {
    for (int i = 0; i < n_in; i++) {
      nf_code lo = rtl_in_lo(g, i, ti), hi = rtl_in_hi(g, i, ti);
      int live = lo == hi ? 0 : nf_rtl_signed_width(lo, hi) - (lo >= 0 || hi < 0);
      g->cost->reg_bits += live < ti->width ? live : ti->width; /* the input latch */
    }
    g->cost->ctrl_bits += 1 + cb;
  }

  /* chunk selectors: cycle t feeds inputs t*C .. t*C+C-1 */
  int *xsel = nf_calloc((size_t)C, sizeof *xsel, g->err);
  nf_code *wv = nf_calloc((size_t)R, sizeof *wv, g->err);
  rtl_term *leaves = nf_calloc((size_t)n_out * C + 1, sizeof *leaves, g->err);
  grp *gs = nf_calloc((size_t)n_out + 1, sizeof *gs, g->err);
  char *body = NULL;
  size_t body_len = 0;
  FILE *mem = open_memstream(&body, &body_len);
  rtl_bus *xr = nf_rtl_bus_new(g, "xr", n_in * ti->width);
  if (!xsel || !wv || !leaves || !gs || !mem || !xr) {
    if (mem) fclose(mem);
    free(body), free(xsel), free(wv), free(leaves), free(gs);
    return nf_fail_oom(g->err, "reuse layer");
  }
  for (int c = 0; c < C; c++) {
    nf_code lo = 0, hi = 0; /* the union of the chunk's input ranges, and 0 */
    for (int t = 0; t < R; t++) {
      int i = t * C + c;
      if (i >= n_in) continue;
      nf_code a = rtl_in_lo(g, i, ti), b = rtl_in_hi(g, i, ti);
      lo = a < lo ? a : lo, hi = b > hi ? b : hi;
    }
    xsel[c] = nf_rtl_new_sig(g, lo, hi, "%s_xsel%d", g->layer, c);
    if (g->oom) break;
    int w = g->sigs[xsel[c]].width, W = ti->width;
    const char *xn = g->sigs[xsel[c]].name;
    fprintf(outer, "  reg signed [%d:0] %s;\n  always @(posedge clk) if (%sbusy) case (cnt)\n", w - 1, xn, en);
    /* the codes' low bits: a signed code's bits above the range copy its sign,
     * an unsigned one gains a zero sign bit */
    int take = ti->is_signed ? (w < W ? w : W) : (w - 1 < W ? w - 1 : W);
    for (int t = 0; t < R; t++) {
      int i = t * C + c;
      if (i >= n_in) continue;
      if (take == 0) fprintf(outer, "    %d'd%d: %s <= %d'sd0;\n", cb, t, xn, w);
      else if (take < w) fprintf(outer, "    %d'd%d: %s <= {%d'd0, xr[%d +: %d]};\n", cb, t, xn, w - take, i * W, take);
      else fprintf(outer, "    %d'd%d: %s <= xr[%d +: %d];\n", cb, t, xn, i * W, take);
      nf_rtl_bus_use(xr, i * W, take);
    }
    fprintf(outer, "    default: %s <= %d'sd0;\n  endcase\n", xn, w);
    cost_select(g, xsel[c], (n_in - c + C - 1) / C);
    if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, xsel[c]); /* the selection register */
  }

  /* shared multipliers, products cast to accum_t, then registered */
  g->fp = mem;
  for (int j = 0; j < n_out; j++) {
    gs[j].t = &leaves[(size_t)j * C];
    for (int c = 0; c < C; c++) {
      nf_code wlo = 0, whi = 0, plo = 0, phi = 0;
      bool any = false;
      for (int t = 0; t < R; t++) {
        int i = t * C + c;
        nf_code w = i < n_in ? L->weights[(size_t)i * n_out + j] : 0;
        if (w == 0) continue;
        any = true;
        if (g->cost) g->cost->nnz_weights++;
        nf_code xlo = rtl_in_lo(g, i, ti), xhi = rtl_in_hi(g, i, ti);
        nf_code a = w > 0 ? xlo * w : xhi * w, b = w > 0 ? xhi * w : xlo * w;
        wlo = w < wlo ? w : wlo, whi = w > whi ? w : whi;
        plo = a < plo ? a : plo, phi = b > phi ? b : phi;
      }
      if (!any) continue;
      int ws = nf_rtl_new_sig(g, wlo, whi, "%s_o%d_ch%d_w", g->layer, j, c), wsw = g->sigs[ws].width;
      if (g->oom) break;
      fprintf(outer, "  reg signed [%d:0] %s;\n  always @(posedge clk) if (%sbusy) case (cnt)\n", wsw - 1,
              g->sigs[ws].name, en);
      for (int t = 0; t < R; t++) {
        int i = t * C + c;
        nf_code w = i < n_in ? L->weights[(size_t)i * n_out + j] : 0;
        char lit[64];
        nf_rtl_literal(lit, sizeof lit, w, wsw);
        if (w) fprintf(outer, "    %d'd%d: %s <= %s;\n", cb, t, g->sigs[ws].name, lit);
      }
      fprintf(outer, "    default: %s <= %d'sd0;\n  endcase\n", g->sigs[ws].name, wsw);
      if (g->cost) /* constants chosen by the count: a LUT per bit, and its register */
        g->cost->mux_bits += nf_rtl_live_bits(g, ws), g->cost->reg_bits += nf_rtl_live_bits(g, ws);
      for (int t = 0; t < R; t++) wv[t] = t * C + c < n_in ? L->weights[(size_t)(t * C + c) * n_out + j] : 0;
      int q = product(g, ta, xsel[c], ws, wv, R, plo, phi, fp, cw, j, c, &split, &worst);
      if (q < 0) break;
      gs[j].t[gs[j].n++] = (rtl_term){.sig = q, .shift = 0, .sign = 1};
    }
    if (gs[j].n == 0) gs[j].t[gs[j].n++] = (rtl_term){.sig = -1, .sign = 1, .cval = 0};
  }
  int stages = 2; /* the selection and product registers */
  if (split) { /* a split product's sum of partial products and its cast: one more stage for every product */
    for (int j = 0; j < n_out; j++)
      for (int i = 0; i < gs[j].n; i++)
        if (gs[j].t[i].sig >= 0) gs[j].t[i].sig = nf_rtl_register(g, gs[j].t[i].sig, 3);
    stages = 3;
  }
  const int before_tree = stages;
  int since = reduce_all(g, gs, n_out, k, &stages);
  if (stages > before_tree) worst = fmax(worst, NF_RTL_REG_NS + k * NF_RTL_ADDER_NS);
  /* the accumulator's adder after the tree's last unregistered levels: a
   * register between them when the stage would not fit the budget */
  if (since > 0 && NF_RTL_REG_NS + (since + 1) * NF_RTL_ADDER_NS > g->budget_ns + 1e-9) {
    for (int q = 0; q < n_out; q++)
      if (gs[q].t[0].sig >= 0) gs[q].t[0].sig = nf_rtl_register(g, gs[q].t[0].sig, stages + 1);
    stages++;
    worst = fmax(worst, NF_RTL_REG_NS + since * NF_RTL_ADDER_NS);
    since = 0;
  }
  worst = fmax(worst, NF_RTL_REG_NS + (since + 1) * NF_RTL_ADDER_NS); /* the accumulator's stage */

  /* accumulators: bias first, then one chunk sum per cycle */
  fprintf(mem, "  // accumulators <layer>_o<j>_accum (bias first, then one chunk sum per cycle), casts to\n"
               "  // accum_t (<layer>_o<j>_acc) and result_t (<layer>_o<j>_res), output registers\n");
  for (int j = 0; j < n_out && !g->oom; j++) {
    char nm[RTL_NAME], ve[2 * RTL_NAME + 80], ye[2 * RTL_NAME + 80];
    snprintf(nm, sizeof nm, "%s_o%d_sum", g->layer, j);
    int v = nf_rtl_materialize(g, gs[j].t[0], nm);
    nf_code b = L->bias ? L->bias[j] : 0;
    nf_code bacc = nf_fixed_cast_code(ta, b, nf_fixed_frac_bits(&L->bias_t));
    nf_code lo = bacc + R * (g->sigs[v].lo < 0 ? g->sigs[v].lo : 0);
    nf_code hi = bacc + R * (g->sigs[v].hi > 0 ? g->sigs[v].hi : 0);
    int acc = nf_rtl_new_sig(g, lo < bacc ? lo : bacc, hi > bacc ? hi : bacc, "%s_o%d_accum", g->layer, j);
    if (g->oom) break;
    char lit[64];
    int wa = g->sigs[acc].width;
    const char *an = nf_rtl_ref(g, acc);
    nf_rtl_literal(lit, sizeof lit, bacc, wa);
    nf_rtl_ext(g, ve, sizeof ve, v, 0, 0, wa);
    fprintf(mem, "  reg signed [%d:0] %s;\n", wa - 1, an);
    nf_rtl_cost_adder(g, acc, 0, false);
    if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, acc);
    fprintf(mem, "  always @(posedge clk) if (%svt[%d]) %s <= (tt%d == %d'd0 ? %s : %s) + %s;\n", en, stages - 1, an,
            stages - 1, cb, lit, an, ve);
    snprintf(nm, sizeof nm, "%s_o%d_acc", g->layer, j);
    int a = nf_rtl_cast(g, acc, fa, ta, true, nm);
    snprintf(nm, sizeof nm, "%s_o%d_res", g->layer, j);
    int y = nf_rtl_cast(g, a, fa, tr, true, nm);
    if (g->oom) break;
    worst = fmax(worst, NF_RTL_REG_NS + cast_ns(g->sigs[acc].lo, g->sigs[acc].hi, fa, ta) + cast_ns(g->sigs[a].lo, g->sigs[a].hi, fa, tr));
    nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, tr->width);
    fprintf(mem, "  reg [%d:0] %s_y%d; always @(posedge clk) if (%sdone) %s_y%d <= %s;\n", tr->width - 1, g->layer, j,
            en, g->layer, j, ye);
    fprintf(mem, "  assign out_data[%d +: %d] = %s_y%d;\n", j * tr->width, tr->width, g->layer, j);
    rtl_out_range(g, j, y);
    g->regs += tr->width;
    if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, y) < tr->width ? nf_rtl_live_bits(g, y) : tr->width;
  }
  g->fp = outer;
  if (fclose(mem) != 0 || g->oom) {
    free(body), free(xsel), free(wv), free(leaves), free(gs);
    return g->oom ? NF_EINTERNAL : nf_fail(g->err, NF_EINTERNAL, "cannot buffer the generated Verilog");
  }

  if (g->cost) g->cost->ctrl_bits += (long)stages * (1 + cb) + 2;
  /* valid and cycle-tag pipelines: vt[s], tt<s> say register stage s + 1 holds chunk tt<s> (stage 1: the selections) */
  fprintf(outer, "  reg [%d:0] vt;\n", stages - 1);
  for (int s = 0; s < stages; s++) fprintf(outer, "  reg [%d:0] tt%d;\n", cb - 1, s);
  fprintf(outer, "  always @(posedge clk)%s begin\n    vt[0] <= rst ? 1'b0 : busy; tt0 <= cnt;\n",
          g->en ? " if (rst || en)" : "");
  for (int s = 1; s < stages; s++)
    fprintf(outer, "    vt[%d] <= rst ? 1'b0 : vt[%d]; tt%d <= tt%d;\n", s, s - 1, s, s - 1);
  fprintf(outer, "  end\n  reg done, ovalid;\n"
                 "  always @(posedge clk)%s begin done <= rst ? 1'b0 : (vt[%d] && tt%d == %d'd%d); "
                 "ovalid <= rst ? 1'b0 : done; end\n  assign out_valid = ovalid;\n",
          g->en ? " if (rst || en)" : "", stages - 1, stages - 1, cb, R - 1);
  fwrite(body, 1, body_len, outer);
  nf_rtl_sink(g, NULL);
  free(body), free(xsel), free(wv), free(leaves), free(gs);
  /* input latch (1) + selections, products and tree (stages) + R chunks
   * into the accumulator + output register (1) */
  *latency = 1 + stages + R + 1;
  g->stage_ns = worst;
  return NF_OK;
}
