/* HGQ's FixedPointQuantizer in the generator: each element its own cast
 * (nf_rtl_cast: a bit slice under AP_TRN / AP_WRAP, a rounding adder or a
 * saturation compare in the other modes) to its own width, then placed in
 * result_t's bus at its own scale (low zeros, sign copies above). The value
 * ranges handed to the next layer are each element's own, so its adders are
 * only as wide as the element. A node of bit slices only (every element
 * AP_TRN / AP_WRAP) is wiring, with no register; one with rounding or
 * saturation logic is registered when the placement registers activations
 * (g->reg_act: a fast clock, latency 1, its stage costed as an activation's),
 * else combinational, and the next layer's first stage counts it (gen.c). */
#include <stdio.h>

#include "emit.h"

bool nf_rtl_fpq_wiring(const nf_design_layer *L) {
  for (int j = 0; j < L->n_out; j++)
    if (L->elem_t[j].width && !(L->elem_t[j].q == NF_Q_TRN && L->elem_t[j].o == NF_O_WRAP)) return false;
  return true;
}

static int fpq_check(const nf_design_layer *L, nf_error *err) {
  int fu = nf_fixed_frac_bits(&L->result_t);
  if (!L->elem_t || L->input_t.width > 62 || L->result_t.width > 62)
    return nf_fail(err, NF_EINPUT, "layer %s: not a valid FixedPointQuantizer node", L->name);
  for (int j = 0; j < L->n_out; j++)
    if (L->elem_t[j].width && (L->elem_t[j].width > 62 || nf_fixed_frac_bits(&L->elem_t[j]) > fu))
      return nf_fail(err, NF_EINPUT, "layer %s: element %d's type does not fit result_t", L->name, j);
  return NF_OK;
}

static int fpq_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  int fi = nf_fixed_frac_bits(ti), fu = nf_fixed_frac_bits(tr);
  bool wiring = nf_rtl_fpq_wiring(L), reg = g->reg_act && !wiring;
  *latency = reg ? 1 : 0;
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_y<i>: cast to element i's own type (its code), placed in result_t\n");
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    const nf_fixed_type *te = &L->elem_t[i];
    if (te->width == 0) { /* bits 0: the constant 0 */
      fprintf(g->fp, "  assign out_data[%d +: %d] = %d'd0;\n", i * tr->width, tr->width, tr->width);
      if (g->range_lo) g->range_lo[i] = g->range_hi[i] = 0;
      continue;
    }
    int x = nf_rtl_dense_input(g, in, i, ti);
    char nm[RTL_NAME], ye[2 * RTL_NAME + 80];
    snprintf(nm, sizeof nm, "%s_y%d", g->layer, i);
    int y = nf_rtl_cast(g, x, fi, te, true, nm);
    if (g->oom) break;
    int sh = fu - nf_fixed_frac_bits(te);
    nf_rtl_ext(g, ye, sizeof ye, y, 0, sh, tr->width);
    if (reg) {
      fprintf(g->fp, "  reg [%d:0] %s_q%d; %s %s_q%d <= %s;\n", tr->width - 1, g->layer, i, nf_rtl_clocked(g), g->layer,
              i, ye);
      fprintf(g->fp, "  assign out_data[%d +: %d] = %s_q%d;\n", i * tr->width, tr->width, g->layer, i);
      g->regs += tr->width;
      if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, y) < tr->width ? nf_rtl_live_bits(g, y) : tr->width;
    } else {
      fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", i * tr->width, tr->width, ye);
    }
    if (g->range_lo) g->range_lo[i] = g->sigs[y].lo * ((nf_code)1 << sh), g->range_hi[i] = g->sigs[y].hi * ((nf_code)1 << sh);
  }
  /* unregistered rounding or saturation logic: counted in the next layer's first stage */
  g->stage_ns = reg ? NF_RTL_REG_NS + NF_RTL_ACT_NS : wiring ? 0 : -1;
  if (reg) {
    fprintf(g->fp, "  reg valid_q;\n");
    nf_rtl_valid_reg(g, "valid_q", "1'b0", "in_valid");
    fprintf(g->fp, "  assign out_valid = valid_q;\n");
    if (g->cost) g->cost->ctrl_bits += 1;
    nf_rtl_sink(g, NULL);
  } else {
    fprintf(g->fp, "  assign out_valid = in_valid;\n");
    nf_rtl_sink(g, "clk, rst");
  }
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void fpq_describe(FILE *fp, const nf_design_layer *L, long adders) {
  (void)adders;
  int zeros = 0, wmin = 0, wmax = 0;
  for (int j = 0; j < L->n_out; j++) {
    int w = L->elem_t[j].width;
    if (!w) zeros++;
    else wmin = wmin && wmin < w ? wmin : w, wmax = wmax > w ? wmax : w;
  }
  fprintf(fp, "//   per-element types: %d of %d values kept, %d to %d bits each, %d always 0\n", L->n_out - zeros,
          L->n_out, wmin, wmax, zeros);
}

static void fpq_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int fi = nf_fixed_frac_bits(&L->input_t), fu = nf_fixed_frac_bits(&L->result_t);
  for (int j = 0; j < L->n_out; j++) {
    const nf_fixed_type *t = &L->elem_t[j];
    y[j] = t->width ? nf_fixed_cast_code(t, x[j], fi) * ((nf_code)1 << (fu - nf_fixed_frac_bits(t))) : 0;
  }
}

const nf_rtl_layer_ops nf_rtl_fpq_ops = {
    .what = "FixedPointQuantizer",
    .check = fpq_check,
    .emit = fpq_emit,
    .describe = fpq_describe,
    .reference = fpq_reference,
};
