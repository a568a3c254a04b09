/* The design as the firmware generator's explicit network. */
#include <stdlib.h>
#include <string.h>

#include "nnfirm/project.h"


int nf_design_rtl_net(const nf_design *d, nf_rtl_net *net, nf_rtl_layer **layers, nf_error *err) {
  nf_rtl_layer *L = nf_calloc((size_t)d->n_hw, sizeof *L, err);
  if (!L) return NF_EINTERNAL;
  for (int i = 0; i < d->n_hw; i++) {
    const nf_design_layer *l = &d->layers[i];
    snprintf(L[i].name, sizeof L[i].name, "%s", l->name);
    L[i].n_in = l->n_in;
    L[i].n_out = l->n_out;
    L[i].input_t = l->input_t;
    L[i].result_t = l->result_t;
    if (l->kind == NF_LAYER_DENSE) {
      L[i].kind = NF_RTL_DENSE;
      L[i].weights = l->weights;
      L[i].bias = l->bias;
      L[i].weight_t = l->weight_t;
      L[i].bias_t = l->bias_t;
      L[i].accum_t = l->accum_t;
      L[i].reuse = l->reuse_factor;
    } else if (l->act == NF_ACT_RELU) {
      L[i].kind = NF_RTL_RELU;
    } else if (l->act == NF_ACT_SOFTMAX) {
      L[i].kind = NF_RTL_SOFTMAX;
      L[i].table_bits = l->softmax.index_bits;
      L[i].stable = l->softmax.stable;
      L[i].exp_t = l->softmax.exp_t;
      L[i].inv_t = l->softmax.inv_t;
      L[i].exp_table = l->softmax.exp_table;
      L[i].inv_table = l->softmax.inv_table;
    } else {
      free(L);
      return nf_fail(err, NF_EINPUT, "layer '%s': %s activation has no RTL yet (relu, softmax)", l->name,
                     nf_activation_name(l->act));
    }
  }
  *net = (nf_rtl_net){.top = d->project, .n_layers = d->n_hw, .layers = L, .clock_period_ns = d->clock_period_ns};
  *layers = L;
  return NF_OK;
}
