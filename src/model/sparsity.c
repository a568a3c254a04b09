/* How many weights the hardware does not need: zero after the mask and the
 * layer's quantizer. */
#include "nnfirm/model.h"

double nf_model_sparsity(const nf_model *m, int layer, long *zeros, long *total) {
  long z = 0, n = 0;
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    if (l->kind != NF_LAYER_DENSE || (layer >= 0 && i != layer)) continue;
    long nk = (long)l->n_in * l->n_out;
    for (long k = 0; k < nk; k++)
      z += (l->mask && !l->mask[k]) || nf_quantizer_apply(&l->kernel_q, l->kernel[k]) == 0;
    n += nk;
  }
  if (zeros) *zeros = z;
  if (total) *total = n;
  return n ? (double)z / n : 0;
}
