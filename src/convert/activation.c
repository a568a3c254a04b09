/* Activation layers in the design pass: the result type (from the
 * configuration or the layer's QKeras quantizer), a final softmax's tables;
 * a linear activation that casts to the type its input already has is the
 * identity and leaves no layer. Only activations with a fixed-point
 * semantics (activations.def's emulate column) are taken. */
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"

/* Whether the emulator has the activation (its column is not `none`). */
static bool has_fixed_point(nf_activation a) {
  static const char *const EMULATE[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, ...) [NF_ACT_##ID] = #EMULATE,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
  };
  return (unsigned)a < NF_ACT_COUNT && strcmp(EMULATE[a], "none") != 0;
}

/* The final softmax: hls4ml's table settings and the tables themselves. */
static int build_softmax(nf_design_ctx *b, int li, const nf_layer_settings *ls, nf_design_layer *d) {
  const char *name = b->m->layers[li].name;
  nf_softmax_tables *s = &d->softmax;
  s->table_size = ls->table_size;
  s->stable = ls->stable;
  s->exp_t = ls->exp_table_t;
  s->inv_t = ls->inv_table_t;
  int rc = nf_softmax_tables_build(s, &d->input_t, name, b->err);
  return rc ? nf_fail_context(b->err, "%s", b->c->origin) : NF_OK;
}

static int build_activation(nf_design_ctx *b, int li, nf_design_layer *d) {
  const nf_layer *l = &b->m->layers[li];
  d->act = l->act;
  d->act_alpha = l->act_alpha;
  bool last = li == b->m->n_layers - 1;
  if (l->act == NF_ACT_SOFTMAX && !last)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': a softmax is supported only as the last layer", l->name);
  if (!has_fixed_point(l->act))
    return nf_fail(b->err, NF_EINPUT, "layer '%s': activation %s is not supported in fixed point yet (relu, linear, "
                                      "leaky_relu, thresholded_relu, prelu, elu, selu, hard_sigmoid, sigmoid, "
                                      "tanh, softplus, binary_tanh, ternary_tanh, bipolar, a final softmax)", l->name, nf_activation_name(l->act));
  if (l->act_q.kind == NF_QUANT_PO2 || l->act_q.kind == NF_QUANT_RELU_PO2)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': a %s activation has no fixed-point implementation (hls4ml converts "
                                      "power-of-two quantizers on weights only); the float model computes it",
                   l->name, l->act_q.kind == NF_QUANT_PO2 ? "quantized_po2" : "quantized_relu_po2");
  nf_layer_settings ls;
  int rc = nf_config_resolve_layer(b->c, l->name, nf_config_layer_type(l), &ls, b->err);
  if (!rc && l->act == NF_ACT_SOFTMAX) {
    rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, NULL, li, NULL, 0, &d->result_t);
    return rc ? rc : build_softmax(b, li, &ls, d);
  }
  nf_fixed_type qt;
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, nf_design_quantizer_type(&l->act_q, &qt), li, NULL, 0, &d->result_t);
  int np = nf_act_param_count(l->act, l->n_in);
  if (!rc && np) {
    /* hls4ml's param_t (here the layer's weight precision): the slope,
     * threshold or ELU's alpha, or PReLU's alpha per element, as codes */
    float a1 = l->act_alpha;
    const float *av = l->act == NF_ACT_PRELU ? l->kernel : &a1;
    double *ad = nf_malloc((size_t)np * sizeof *ad, b->err);
    d->weights = ad ? nf_malloc((size_t)np * sizeof *d->weights, b->err) : NULL;
    for (int k = 0; d->weights && k < np; k++) ad[k] = av[k];
    rc = d->weights ? nf_design_resolve(b, l->name, &ls, VAR_WEIGHT, NULL, li, av, (size_t)np, &d->weight_t) : NF_EINTERNAL;
    if (!rc) rc = nf_design_quantize(&d->weight_t, ad, (size_t)np, d->weights, l->name, b->err);
    if (!rc && (d->weight_t.width > 62 || d->input_t.width > 62 || d->weight_t.width + d->input_t.width > 120))
      rc = nf_fail(b->err, NF_EINPUT, "layer '%s': input or parameter type too wide", l->name);
    free(ad);
  }
  if (!rc && nf_act_has_table(l->act)) { /* hls4ml's lookup table (act_table.c) */
    d->table.size = ls.table_size;
    d->table.table_t = ls.table_t;
    rc = nf_act_table_build(&d->table, l->act, l->name, b->err);
    if (rc) nf_fail_context(b->err, "%s", b->c->origin);
  }
  return rc;
}

static int activation_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  d->kind = NF_LAYER_ACTIVATION;
  int rc = build_activation(b, li, d);
  /* A cast to the type it already has: the identity, no hardware. */
  *emitted = rc || !(d->act == NF_ACT_LINEAR && nf_fixed_type_equal(&d->result_t, &d->input_t));
  (void)next;
  return rc;
}

const nf_convert_layer_ops nf_convert_activation_ops = {.build = activation_build};
