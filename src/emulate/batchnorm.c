/* A BatchNormalization node in the emulator (standing alone, see
 * src/convert/batchnorm.c): per-feature thresholds fused with a
 * sign activation, or the affine y = (result_t)(x scale + bias), computed
 * exactly in 128 bits before the one cast. */
#include <stdint.h>

#include "layers.h"

static void batchnorm_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y,
                              void *scratch) {
  (void)state, (void)scratch;
  if (l->act != NF_ACT_LINEAR) {
    int64_t one = nf_emu_cast(&l->result_t, 1, 0), zero = nf_emu_cast(&l->result_t, 0, 0),
            minus = nf_emu_cast(&l->result_t, -1, 0);
    for (int j = 0; j < l->n_out; j++) y[j] = x[j] > l->weights[j] ? one : x[j] < l->bias[j] ? minus : zero;
    return;
  }
  int fp = nf_fixed_frac_bits(&l->input_t) + nf_fixed_frac_bits(&l->weight_t), fb = nf_fixed_frac_bits(&l->bias_t);
  int f = fp > fb ? fp : fb;
  int nc = l->out_shape.rank ? l->out_shape.dim[l->out_shape.rank - 1] : l->n_out; /* per channel */
  for (int j = 0; j < l->n_out; j++) {
    int ch = j % nc;
    nf_code v = (nf_code)x[j] * l->weights[ch] * ((nf_code)1 << (f - fp)) + (nf_code)l->bias[ch] * ((nf_code)1 << (f - fb));
    y[j] = (int64_t)nf_fixed_cast_code(&l->result_t, v, f);
  }
}

static int batchnorm_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  *state = NULL;
  int fp = nf_fixed_frac_bits(&l->input_t) + nf_fixed_frac_bits(&l->weight_t), fb = nf_fixed_frac_bits(&l->bias_t);
  if (l->act == NF_ACT_LINEAR && (l->input_t.width + l->weight_t.width + (fp > fb ? 0 : fb - fp) > 120 ||
                                  l->bias_t.width + (fb > fp ? 0 : fp - fb) > 120))
    return nf_fail(err, NF_EINPUT, "layer '%s': BatchNormalization types too wide to emulate", l->name);
  return NF_OK;
}

const nf_emulate_layer_ops nf_emulate_batchnorm_ops = {
    .prepare = batchnorm_prepare,
    .forward = batchnorm_forward,
};
