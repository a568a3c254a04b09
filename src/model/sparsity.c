/* How many weights the hardware does not need: zero after the mask and the
 * layer's quantizer. */
#include <math.h>

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

double nf_layer_mean_weight_bits(const nf_layer *l) {
  const nf_quantizer *q = &l->kernel_q;
  if (l->kind != NF_LAYER_DENSE || q->kind != NF_QUANT_BITS || q->alpha != 1) return NAN;
  int u = q->bits - (q->keep_negative ? 1 : 0);
  double scale = ldexp(1.0, u - q->integer); /* codes: value * 2^frac */
  long n = 0;
  double sum = 0;
  for (long k = 0; k < (long)l->n_in * l->n_out; k++) {
    double v = (l->mask && !l->mask[k]) ? 0 : nf_quantizer_apply(q, l->kernel[k]);
    long long code = llround(v * scale);
    if (code == 0) continue;
    int tz = 0;
    while ((code & 1) == 0) code /= 2, tz++;
    sum += q->bits - tz;
    n++;
  }
  return n ? sum / n : NAN;
}
