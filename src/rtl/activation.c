/* Activation layers in the generator: the kind's entry resolves to its
 * activation's (activations.def's rtl column): ReLU here, the table softmax
 * in softmax.c; the others are refused by name. */
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

/* ---- ReLU: y = (result_t) max(x, 0), no register --------------------------- */
static int relu_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)k;
  *latency = 0;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_m<i> = max(x_i, 0); <layer>_y<i>: cast to result_t\n");
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti);
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi;
    int m = x;
    if (xlo < 0) {
      m = nf_rtl_new_sig(g, 0, xhi < 0 ? 0 : xhi, "%s_m%d", g->layer, i);
      if (g->oom) break;
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
    }
    if (g->cost) g->cost->relu_bits += nf_rtl_live_bits(g, m);
    char nm[RTL_NAME], ye[2 * RTL_NAME + 80];
    snprintf(nm, sizeof nm, "%s_y%d", g->layer, i);
    int y = nf_rtl_cast(g, m, nf_fixed_frac_bits(ti), tr, true, nm);
    if (g->oom) break;
    nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, tr->width);
    fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", i * tr->width, tr->width, ye);
    rtl_out_range(g, i, y);
  }
  fprintf(g->fp, "  assign out_valid = in_valid;\n");
  nf_rtl_sink(g, "clk, rst");
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
