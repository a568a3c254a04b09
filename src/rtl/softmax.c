/* The lookup-table softmax in hardware: hls4ml's "latency" / "stable"
 * algorithm (see nnfirm/convert.h) as a five-stage pipeline.
 *
 *   stage 1  (stable: max of the inputs, differences saturated to the input's
 *            W and I) -> exp-table address, registered
 *   stage 2  exp table read (synchronous ROM: one block RAM per class on
 *            Xilinx parts when the table is large)
 *   stage 3  hls4ml's balanced adder tree in exp_table_t (every partial sum
 *            cast back to it) -> inverse-table address, registered
 *   stage 4  inverse table read
 *   stage 5  exp * inverse cast to result_t, output register
 */
#include <stdlib.h>

#include "emit.h"

enum { SOFTMAX_LATENCY = 5 };

/* A ROM module with a synchronous read port, holding one table. */
static void emit_rom(FILE *fp, const char *module, const nf_fixed_type *t, const int64_t *table, int bits) {
  int w = t->width;
  uint64_t mask = w >= 64 ? ~0ull : (1ull << w) - 1;
  fprintf(fp, "module %s(input clk, input [%d:0] addr, output reg [%d:0] q);\n", module, bits - 1, w - 1);
  fprintf(fp, "  reg [%d:0] rom [0:%d];\n  initial begin\n", w - 1, (1 << bits) - 1);
  for (int i = 0; i < 1 << bits; i++)
    fprintf(fp, "    rom[%d] = %d'h%llx;\n", i, w, (unsigned long long)((uint64_t)table[i] & mask));
  fprintf(fp, "  end\n  always @(posedge clk) q <= rom[addr];\nendmodule\n\n");
}

static void table_range(const int64_t *table, int bits, nf_code *lo, nf_code *hi) {
  *lo = *hi = table[0];
  for (int i = 1; i < 1 << bits; i++) {
    if (table[i] < *lo) *lo = table[i];
    if (table[i] > *hi) *hi = table[i];
  }
}

/* Declares `name` as the table address of sig, a code of type t: the top
 * `bits` bits of its t->width-bit pattern (zero low bits when narrower). */
static void emit_address(rtl_gen *g, int sig, const nf_fixed_type *t, int bits, const char *name) {
  int w = t->width;
  fprintf(g->fp, "  wire [%d:0] %s_p = s%d;\n", w - 1, name, sig);
  if (w >= bits) fprintf(g->fp, "  wire [%d:0] %s = %s_p[%d:%d];\n", bits - 1, name, name, w - 1, w - bits);
  else fprintf(g->fp, "  wire [%d:0] %s = {%s_p, %d'd0};\n", bits - 1, name, name, bits - w);
}

/* A ROM output as a signed signal with the table's value range. */
static int rom_output(rtl_gen *g, const char *q, const nf_fixed_type *t, const int64_t *table, int bits) {
  nf_code lo, hi;
  table_range(table, bits, &lo, &hi);
  int s = rtl_new_sig(g, lo, hi);
  if (g->oom) return 0;
  fprintf(g->fp, "  wire signed [%d:0] s%d = %s%s%s;\n", g->sigs[s].width - 1, s, t->is_signed ? "$signed(" : "{1'b0, ",
          q, t->is_signed ? ")" : "}");
  return s;
}

/* hls4ml's reduce: the left part is the largest power of two below n. */
static int sum_tree(rtl_gen *g, const int *v, int n, const nf_fixed_type *t) {
  if (n == 1) return v[0];
  int left = 1;
  while (left * 2 < n) left *= 2;
  int a = sum_tree(g, v, left, t), b = sum_tree(g, v + left, n - left, t);
  if (g->oom) return 0;
  int s = rtl_new_sig(g, g->sigs[a].lo + g->sigs[b].lo, g->sigs[a].hi + g->sigs[b].hi);
  if (g->oom) return 0;
  fprintf(g->fp, "  wire signed [%d:0] s%d = s%d + s%d;\n", g->sigs[s].width - 1, s, a, b);
  g->adders++;
  rtl_cost_adder(g, s, 0, false);
  return rtl_cast(g, s, nf_fixed_frac_bits(t), t, true);
}

/* Stage 1 for the stable variant: x - max(x), saturated to the input's W
 * and I, then read as an input-type code. */
static int stable_difference(rtl_gen *g, const int *x, int n, int j, int xmax, const nf_fixed_type *ti) {
  nf_fixed_type dt = nf_fixed_type_make(ti->width, ti->int_bits, true);
  dt.q = NF_Q_RND;
  dt.o = NF_O_SAT;
  int d = rtl_new_sig(g, g->sigs[x[j]].lo - g->sigs[xmax].hi, 0);
  if (g->oom) return 0;
  fprintf(g->fp, "  wire signed [%d:0] s%d = s%d - s%d;\n", g->sigs[d].width - 1, d, x[j], xmax);
  g->adders++;
  rtl_cost_adder(g, d, 0, false);
  int f = nf_fixed_frac_bits(ti);
  (void)n;
  return rtl_cast(g, rtl_cast(g, d, f, &dt, true), f, ti, true);
}

static int max_tree(rtl_gen *g, const int *v, int n) {
  if (n == 1) return v[0];
  int a = max_tree(g, v, n / 2), b = max_tree(g, v + n / 2, n - n / 2);
  if (g->oom) return 0;
  nf_code lo = g->sigs[a].lo > g->sigs[b].lo ? g->sigs[a].lo : g->sigs[b].lo;
  nf_code hi = g->sigs[a].hi > g->sigs[b].hi ? g->sigs[a].hi : g->sigs[b].hi;
  int m = rtl_new_sig(g, lo, hi);
  if (g->oom) return 0;
  fprintf(g->fp, "  wire signed [%d:0] s%d = (s%d > s%d) ? s%d : s%d;\n", g->sigs[m].width - 1, m, a, b, a, b);
  if (g->cost) g->cost->sat_bits += rtl_live_bits(g, a) + rtl_live_bits(g, m); /* compare and select */
  return m;
}

int rtl_emit_softmax(rtl_gen *g, const char *top, const nf_rtl_layer *L, int *latency) {
  const nf_fixed_type *ti = &L->input_t, *te = &L->exp_t, *tv = &L->inv_t, *tr = &L->result_t;
  int n = L->n_in, bits = L->table_bits;
  int *x = calloc((size_t)n, sizeof *x), *e = calloc((size_t)n, sizeof *e);
  if (!x || !e) {
    free(x), free(e);
    g->oom = true;
    return NF_EINTERNAL;
  }
  /* The ROMs are modules of their own, written ahead of the layer module
   * by the caller (rtl_softmax_roms). */
  fprintf(g->fp, "  // stage 1: exp-table addresses (%s)\n", L->stable ? "stable: x - max(x)" : "latency: x");
  for (int j = 0; j < n && !g->oom; j++) {
    x[j] = rtl_new_sig(g, rtl_in_lo(g, j, ti), rtl_in_hi(g, j, ti));
    fprintf(g->fp, "  wire signed [%d:0] s%d = %sin_data[%d +: %d]%s;\n", g->sigs[x[j]].width - 1, x[j],
            ti->is_signed ? "$signed(" : "{1'b0, ", j * ti->width, ti->width, ti->is_signed ? ")" : "}");
  }
  int xmax = L->stable ? max_tree(g, x, n) : 0;
  char name[64], q[64];
  for (int j = 0; j < n && !g->oom; j++) {
    int a = L->stable ? stable_difference(g, x, n, j, xmax, ti) : x[j];
    snprintf(name, sizeof name, "ea%d", j);
    emit_address(g, a, ti, bits, name);
    fprintf(g->fp, "  reg [%d:0] ea%d_r; always @(posedge clk) ea%d_r <= ea%d;\n", bits - 1, j, j, j);
    g->regs += bits;
    if (g->cost) g->cost->reg_bits += bits;
  }
  fprintf(g->fp, "  // stage 2: exp table\n");
  for (int j = 0; j < n && !g->oom; j++) {
    snprintf(q, sizeof q, "eq%d", j);
    fprintf(g->fp, "  wire [%d:0] eq%d;\n  %s_%s_exp u_exp%d(.clk(clk), .addr(ea%d_r), .q(eq%d));\n", te->width - 1, j,
            top, L->name, j, j, j);
    e[j] = rom_output(g, q, te, L->exp_table, bits);
  }
  fprintf(g->fp, "  // stage 3: sum in exp_table_t (hls4ml's adder tree), inverse-table address\n");
  int sum = sum_tree(g, e, n, te);
  if (!g->oom) emit_address(g, sum, te, bits, "ia");
  fprintf(g->fp, "  reg [%d:0] ia_r; always @(posedge clk) ia_r <= ia;\n", bits - 1);
  g->regs += bits;
  if (g->cost) {
    g->cost->reg_bits += bits;
    g->cost->roms += n + 1; /* an exp table per class, one inverse table */
    g->cost->rom_bits += ((long)n * te->width + tv->width) << bits;
    g->cost->rom_entries = 1L << bits;
  }
  for (int j = 0; j < n && !g->oom; j++) e[j] = rtl_register(g, e[j]);
  fprintf(g->fp, "  // stage 4: inverse table\n  wire [%d:0] iq;\n  %s_%s_inv u_inv(.clk(clk), .addr(ia_r), .q(iq));\n",
          tv->width - 1, top, L->name);
  int inv = rom_output(g, "iq", tv, L->inv_table, bits);
  for (int j = 0; j < n && !g->oom; j++) e[j] = rtl_register(g, e[j]);
  fprintf(g->fp, "  // stage 5: exp * inverse, cast to result_t, output registers\n");
  int fp = nf_fixed_frac_bits(te) + nf_fixed_frac_bits(tv);
  for (int j = 0; j < n && !g->oom; j++) {
    nf_code c[4] = {g->sigs[e[j]].lo * g->sigs[inv].lo, g->sigs[e[j]].lo * g->sigs[inv].hi,
                    g->sigs[e[j]].hi * g->sigs[inv].lo, g->sigs[e[j]].hi * g->sigs[inv].hi};
    nf_code lo = c[0], hi = c[0];
    for (int k = 1; k < 4; k++) lo = c[k] < lo ? c[k] : lo, hi = c[k] > hi ? c[k] : hi;
    int p = rtl_new_sig(g, lo, hi);
    if (g->oom) break;
    fprintf(g->fp, "  wire signed [%d:0] s%d = s%d * s%d;\n", g->sigs[p].width - 1, p, e[j], inv);
    rtl_cost_multiplier(g, e[j], inv);
    int y = rtl_cast(g, p, fp, tr, true);
    fprintf(g->fp, "  reg [%d:0] y%d; always @(posedge clk) y%d <= s%d;\n", tr->width - 1, j, j, y);
    fprintf(g->fp, "  assign out_data[%d +: %d] = y%d;\n", j * tr->width, tr->width, j);
    g->regs += tr->width;
    if (g->cost) g->cost->reg_bits += rtl_live_bits(g, y) < tr->width ? rtl_live_bits(g, y) : tr->width;
    rtl_out_range(g, j, y);
  }
  if (g->cost) g->cost->ctrl_bits += SOFTMAX_LATENCY;
  fprintf(g->fp, "  reg [%d:0] valid_pipe;\n", SOFTMAX_LATENCY - 1);
  fprintf(g->fp, "  always @(posedge clk) valid_pipe <= rst ? %d'd0 : {valid_pipe[%d:0], in_valid};\n",
          SOFTMAX_LATENCY, SOFTMAX_LATENCY - 2);
  fprintf(g->fp, "  assign out_valid = valid_pipe[%d];\n", SOFTMAX_LATENCY - 1);
  *latency = SOFTMAX_LATENCY;
  free(x), free(e);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

void rtl_softmax_roms(FILE *fp, const char *top, const nf_rtl_layer *L) {
  char module[200];
  snprintf(module, sizeof module, "%s_%s_exp", top, L->name);
  emit_rom(fp, module, &L->exp_t, L->exp_table, L->table_bits);
  snprintf(module, sizeof module, "%s_%s_inv", top, L->name);
  emit_rom(fp, module, &L->inv_t, L->inv_table, L->table_bits);
}
