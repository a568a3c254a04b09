/* hls4ml's lookup-table sigmoid and tanh in the generator: per input the
 * table address as hls4ml computes it, trunc(x N / R) + (R/2 N) / R clamped
 * to [0, N - 1] (with N and R powers of two a shift: x 2^s, s = log2 N -
 * log2 R - f, truncated toward zero when s < 0 by adding 2^-s - 1 to a
 * negative x before the arithmetic shift), then a ROM (a Verilog function of
 * one case statement, the table's entries already cast to result_t), then
 * the output register: latency 1, II 1. The reference below computes the
 * address by the same shifts, apart from the emulator's division. */
#include <stdio.h>
#include <stdlib.h>

#include "emit.h"

static int log2_exact(long v) {
  int k = 0;
  while ((1L << k) < v) k++;
  return (1L << k) == v ? k : -1;
}

typedef struct {
  int range, shift, bits; /* R; s; log2 N */
  nf_code off;            /* (R/2 N) / R */
} table_addr;

static table_addr addr_of(const nf_design_layer *L) {
  table_addr a;
  nf_act_table_range(L->act, &a.range);
  a.bits = log2_exact(L->table.size);
  a.shift = a.bits - log2_exact(a.range) - nf_fixed_frac_bits(&L->input_t);
  a.off = (nf_code)(a.range / 2) * L->table.size / a.range;
  return a;
}

/* trunc(x 2^s) */
static nf_code scaled(nf_code x, int s) {
  if (s >= 0) return x * ((nf_code)1 << s);
  nf_code bias = x < 0 ? ((nf_code)1 << -s) - 1 : 0;
  return (x + bias) >> -s;
}

static nf_code address(const table_addr *a, int size, nf_code x) {
  nf_code i = scaled(x, a->shift) + a->off;
  return i < 0 ? 0 : i > size - 1 ? size - 1 : i;
}

static nf_code entry(const nf_design_layer *L, nf_code i) {
  return nf_fixed_cast_code(&L->result_t, L->table.codes[i], nf_fixed_frac_bits(&L->table.table_t));
}

static int table_check(const nf_design_layer *L, nf_error *err) {
  if (!L->table.codes) return nf_fail(err, NF_EINPUT, "layer %s: %s without its table", L->name, nf_activation_name(L->act));
  if (log2_exact(L->table.size) < 1 || L->table.size > 65536)
    return nf_fail(err, NF_EINPUT, "layer %s: the RTL takes a %s table_size that is a power of two up to 65536 (got %d)",
                   L->name, nf_activation_name(L->act), L->table.size);
  table_addr a = addr_of(L);
  if (L->input_t.width > 64 || a.shift > 40 || a.shift < -64 || L->result_t.width > 64)
    return nf_fail(err, NF_EINPUT, "layer %s: input or result type too wide for the table", L->name);
  return NF_OK;
}

static int table_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  *latency = 1;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  table_addr a = addr_of(L);
  int n = L->table.size;
  nf_code ylo = entry(L, 0), yhi = ylo;
  for (int i = 1; i < n; i++) {
    nf_code v = entry(L, i);
    ylo = v < ylo ? v : ylo;
    yhi = v > yhi ? v : yhi;
  }
  int wv = nf_rtl_signed_width(ylo, yhi);
  fprintf(g->fp, "  // hls4ml's %s table: %d entries of table_t, cast to result_t\n", nf_activation_name(L->act), n);
  fprintf(g->fp, "  function signed [%d:0] %s_rom;\n    input [%d:0] a;\n    begin\n      case (a)\n", wv - 1, g->layer,
          a.bits - 1);
  for (int i = 0; i < n; i++) {
    char lit[64];
    nf_rtl_literal(lit, sizeof lit, entry(L, i), wv);
    fprintf(g->fp, "        %d'd%d: %s_rom = %s;\n", a.bits, i, g->layer, lit);
  }
  fprintf(g->fp, "      endcase\n    end\n  endfunction\n");
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_t<i> = trunc(x * %d / %d); <layer>_a<i>: the address, clamped\n", n,
          a.range);
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti);
    if (g->oom) break;
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
    char e[4 * RTL_NAME + 300], p[2 * RTL_NAME + 80], q[64];
    /* t = trunc(x 2^s) */
    int t = x;
    if (a.shift > 0) {
      t = nf_rtl_new_sig(g, scaled(xlo, a.shift), scaled(xhi, a.shift), "%s_t%d", g->layer, i);
      if (g->oom) break;
      nf_rtl_ext(g, p, sizeof p, x, 0, a.shift, g->sigs[t].width);
      nf_rtl_wire(g, t, p);
    } else if (a.shift < 0) {
      int u = x;
      if (xlo < 0) {
        nf_code bias = ((nf_code)1 << -a.shift) - 1;
        u = nf_rtl_new_sig(g, xlo + bias, xhi > 0 ? xhi : xhi + bias, "%s_u%d", g->layer, i);
        if (g->oom) break;
        int wu = g->sigs[u].width;
        nf_rtl_literal(q, sizeof q, bias, wu);
        nf_rtl_sext(g, p, sizeof p, x, wu);
        if (xhi < 0) snprintf(e, sizeof e, "%s + %s", p, q);
        else snprintf(e, sizeof e, "%s + ((%s < %d'sd0) ? %s : %d'sd0)", p, nf_rtl_ref(g, x), g->sigs[x].width, q, wu);
        nf_rtl_wire(g, u, e);
      }
      t = nf_rtl_new_sig(g, scaled(xlo, a.shift), scaled(xhi, a.shift), "%s_t%d", g->layer, i);
      if (g->oom) break;
      nf_rtl_ext(g, p, sizeof p, u, -a.shift, 0, g->sigs[t].width);
      nf_rtl_wire(g, t, p);
    }
    /* the address before and after clamping */
    nf_code ilo = g->sigs[t].lo + a.off, ihi = g->sigs[t].hi + a.off;
    int ix = nf_rtl_new_sig(g, ilo, ihi, "%s_i%d", g->layer, i);
    if (g->oom) break;
    int wi = g->sigs[ix].width;
    nf_rtl_literal(q, sizeof q, a.off, wi);
    nf_rtl_sext(g, p, sizeof p, t, wi);
    snprintf(e, sizeof e, "%s + %s", p, q);
    nf_rtl_wire(g, ix, e);
    nf_code alo = ilo < 0 ? 0 : ilo > n - 1 ? n - 1 : ilo, ahi = ihi < 0 ? 0 : ihi > n - 1 ? n - 1 : ihi;
    int ad = nf_rtl_new_sig(g, alo, ahi, "%s_a%d", g->layer, i);
    if (g->oom) break;
    int wa = g->sigs[ad].width;
    char lo0[64], hiN[64], keep[2 * RTL_NAME + 80];
    nf_rtl_literal(lo0, sizeof lo0, 0, wa);
    nf_rtl_literal(hiN, sizeof hiN, n - 1, wa);
    if (alo == ahi) {
      nf_rtl_literal(e, sizeof e, alo, wa); /* constant by the input's range */
    } else {
      nf_rtl_ext(g, keep, sizeof keep, ix, 0, 0, wa);
      char cl[64], ch[64];
      nf_rtl_literal(cl, sizeof cl, 0, wi);
      nf_rtl_literal(ch, sizeof ch, n - 1, wi);
      const char *ref = nf_rtl_ref(g, ix);
      if (ilo < 0 && ihi > n - 1) snprintf(e, sizeof e, "(%s < %s) ? %s : (%s > %s) ? %s : %s", ref, cl, lo0, ref, ch, hiN, keep);
      else if (ilo < 0) snprintf(e, sizeof e, "(%s < %s) ? %s : %s", ref, cl, lo0, keep);
      else if (ihi > n - 1) snprintf(e, sizeof e, "(%s > %s) ? %s : %s", ref, ch, hiN, keep);
      else snprintf(e, sizeof e, "%s", keep);
    }
    nf_rtl_wire(g, ad, e);
    /* the entry (of the function's width), then the output register */
    int v = nf_rtl_new_sig(g, ylo, yhi, "%s_v%d", g->layer, i);
    if (g->oom) break;
    char sl[2 * RTL_NAME + 80];
    if (wa - 1 >= a.bits) nf_rtl_slice(g, sl, sizeof sl, ad, a.bits - 1, 0);
    else nf_rtl_ext(g, sl, sizeof sl, ad, 0, 0, a.bits);
    snprintf(e, sizeof e, "%s_rom(%s)", g->layer, sl);
    nf_rtl_wire(g, v, e);
    nf_rtl_output_reg(g, i, v, tr);
    if (g->cost) {
      g->cost->roms++;
      g->cost->rom_bits += (long)n * tr->width;
      g->cost->rom_entries = n;
    }
  }
  nf_rtl_valid_one(g);
  nf_rtl_sink(g, NULL);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void table_describe(FILE *fp, const nf_design_layer *L, long adders) {
  (void)adders;
  char tt[96];
  nf_fixed_type_format(&L->table.table_t, tt, sizeof tt);
  fprintf(fp, "//   hls4ml's lookup table: %d entries of table_t %s\n", L->table.size, tt);
}

static void table_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  table_addr a = addr_of(L);
  for (int i = 0; i < L->n_in; i++) y[i] = entry(L, address(&a, L->table.size, x[i]));
}

const nf_rtl_layer_ops nf_rtl_act_table = {
    .what = "TableActivation",
    .check = table_check,
    .emit = table_emit,
    .describe = table_describe,
    .reference = table_reference,
};
