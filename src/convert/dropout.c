/* Dropout in the design pass: the identity at inference, so no layer. */
#include "convert_internal.h"

static int dropout_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  (void)b;
  (void)li;
  (void)d;
  (void)next;
  *emitted = false;
  return NF_OK;
}

const nf_convert_layer_ops nf_convert_dropout_ops = {.build = dropout_build};
