/* HGQ's FixedPointQuantizer in the design pass: a node of its own whose
 * element j is its input cast to element j's own type (HGQ's
 * ap_fixed<bits, integers>, or ap_ufixed without keep_negative, in the
 * layer's rounding and overflow modes; the constant 0 where bits is 0),
 * carried in the type that holds every element exactly (HGQ's result_t).
 * Its input is the previous node's exact value (keras_hgq.c gives the
 * proxy's Dense and ReLU layers exact types), so each value is rounded
 * once, where the proxy rounds it. */
#include <stdlib.h>

#include "convert_internal.h"

static nf_qmode qmode(nf_fpq_round q) {
  switch (q) {
  case NF_FPQ_TRN: return NF_Q_TRN;
  case NF_FPQ_TRN_ZERO: return NF_Q_TRN_ZERO;
  case NF_FPQ_RND: return NF_Q_RND;
  case NF_FPQ_RND_ZERO: return NF_Q_RND_ZERO;
  case NF_FPQ_RND_MIN_INF: return NF_Q_RND_MIN_INF;
  case NF_FPQ_RND_INF: return NF_Q_RND_INF;
  case NF_FPQ_RND_CONV: return NF_Q_RND_CONV;
  }
  return NF_Q_TRN;
}

static nf_omode omode(nf_fpq_overflow o) {
  switch (o) {
  case NF_FPQ_WRAP: return NF_O_WRAP;
  case NF_FPQ_SAT: return NF_O_SAT;
  case NF_FPQ_SAT_ZERO: return NF_O_SAT_ZERO;
  case NF_FPQ_SAT_SYM: return NF_O_SAT_SYM;
  }
  return NF_O_WRAP;
}

nf_fixed_type nf_fpq_elem_type(const nf_layer *l, int j) {
  int k, b, i;
  nf_fpq_elem(l, j, &k, &b, &i);
  nf_fixed_type t = nf_fixed_type_make(b, i, k != 0);
  t.q = qmode(l->fpq_q);
  t.o = omode(l->fpq_o);
  return t;
}

nf_fixed_type nf_fpq_result_type(const nf_layer *l) {
  int k, i, f;
  if (!nf_fpq_union_kif(l, &k, &i, &f)) return nf_fixed_type_make(1, 1, false);
  return nf_fixed_type_make(k + i + f, k + i, k != 0);
}

static int fpq_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  const nf_layer *l = &b->m->layers[li];
  (void)next;
  *emitted = true;
  d->kind = NF_LAYER_QUANT;
  d->result_t = nf_fpq_result_type(l);
  if (d->result_t.width > 62 || d->input_t.width > 62)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': a quantizer of more than 62 bits (its input or its elements' "
                                      "union)", l->name);
  nf_layer_settings ls; /* the stored types decide: a Precision here would be ignored, so it is refused */
  int rc = nf_config_resolve_layer(b->c, l->name, nf_config_layer_type(l), &ls, b->err);
  for (int v = 0; !rc && v < N_VARS; v++)
    if (ls.precision[v])
      rc = nf_fail(b->err, NF_EINPUT, "%s: layer '%s': a FixedPointQuantizer's types are the ones HGQ stored in the "
                                      "model; remove its Precision", b->c->origin, l->name);
  if (rc) return rc;
  d->elem_t = nf_calloc((size_t)d->n_out, sizeof *d->elem_t, b->err);
  if (!d->elem_t) return NF_EINTERNAL;
  for (int j = 0; j < d->n_out; j++) d->elem_t[j] = nf_fpq_elem_type(l, j);
  return NF_OK;
}

const nf_convert_layer_ops nf_convert_fpq_ops = {.build = fpq_build};
