/* Dense in the design pass: the weights as the model computes them
 * (QKeras quantizers, pruning mask), a BatchNormalization right after it
 * folded in (double precision), every type resolved, weights and biases
 * quantized, and the exact accumulator of a quantized Dense. */
#include <math.h>
#include <stdlib.h>

#include "convert_internal.h"

/* The narrowest type that holds every value of a quantized Dense's sum
 * exactly, for its input type and its quantized weights and biases: every
 * fraction bit of x·w and of b, and the range of b_j + Σ_i w_ij·x_i over the
 * input type's range. Each term's range contains 0, so every partial sum of
 * the sequential order lies in it too: no rounding and no overflow, ever.
 * This is what makes the design compute exactly what the QKeras model does
 * (hls4ml infers such accumulators for QKeras models). False when the
 * bounds leave 64 bits. The weights are [n_in][n_out] (a convolution's
 * window by its filters). */
bool nf_design_exact_sum_type(const nf_design_layer *d, int n_in, int n_out, nf_fixed_type *out) {
  int fx = nf_fixed_frac_bits(&d->input_t), fw = nf_fixed_frac_bits(&d->weight_t);
  int fb = nf_fixed_frac_bits(&d->bias_t), f = fx + fw > fb ? fx + fw : fb;
  if (f - fx - fw > 60 || f - fb > 60 || f < -60 || d->input_t.width > 62 || d->weight_t.width > 62) return false;
  nf_code xmin = nf_fixed_min_code(&d->input_t), xmax = nf_fixed_max_code(&d->input_t), lo_all = 0, hi_all = 0;
  for (int j = 0; j < n_out; j++) {
    nf_code lo = (nf_code)d->bias[j] * ((nf_code)1 << (f - fb)), hi = lo;
    for (int i = 0; i < n_in; i++) {
      nf_code w = d->weights[(size_t)i * n_out + j], scale = (nf_code)1 << (f - fx - fw);
      nf_code p1 = w * xmin * scale, p2 = w * xmax * scale;
      lo += p1 < p2 ? p1 : p2;
      hi += p1 < p2 ? p2 : p1;
    }
    lo_all = lo < lo_all ? lo : lo_all;
    hi_all = hi > hi_all ? hi : hi_all;
  }
  int width = 1;
  while (width <= 64 && (lo_all < -((nf_code)1 << (width - 1)) || hi_all > ((nf_code)1 << (width - 1)) - 1)) width++;
  if (width > 64) return false;
  *out = nf_fixed_type_make(width < 2 ? 2 : width, (width < 2 ? 2 : width) - f, true);
  return true;
}

/* Dense (+ the BatchNormalization right after it, folded in double). */
static int build_dense(nf_design_ctx *b, int li, const nf_layer *bn, nf_design_layer *d) {
  const nf_layer *l = &b->m->layers[li];
  size_t nk = (size_t)l->n_in * l->n_out, no = (size_t)l->n_out;
  double *w = nf_malloc(nk * sizeof *w, b->err), *bias = nf_calloc(no, sizeof *bias, b->err);
  float *wf = nf_malloc(nk * sizeof *wf, b->err);
  d->weights = nf_malloc(nk * sizeof *d->weights, b->err);
  d->bias = nf_malloc(no * sizeof *d->bias, b->err);
  int rc = (!w || !bias || !wf || !d->weights || !d->bias) ? NF_EINTERNAL : NF_OK;
  for (size_t k = 0; !rc && k < nk; k++) {
    bool pruned = l->mask && !l->mask[k];
    w[k] = pruned ? 0.0 : nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
  }
  for (size_t j = 0; !rc && l->bias && j < no; j++) bias[j] = nf_quantizer_apply(&l->bias_q, l->bias[j]);
  if (!rc && bn) {
    for (size_t j = 0; j < no; j++) {
      double s = (double)bn->gamma[j] / sqrt((double)bn->moving_var[j] + (double)bn->epsilon);
      for (size_t i = 0; i < (size_t)l->n_in; i++) w[i * no + j] *= s;
      bias[j] = (bias[j] - bn->moving_mean[j]) * s + bn->beta[j];
    }
  }
  for (size_t k = 0; !rc && k < nk; k++) wf[k] = (float)w[k];
  nf_layer_settings ls;
  if (!rc) rc = nf_config_resolve_layer(b->c, l->name, "Dense", &ls, b->err);
  /* A folded BatchNormalization changes the weights: QKeras types no longer describe them. */
  nf_fixed_type qw, qb, qsum;
  const nf_fixed_type *qwt = bn ? NULL : nf_design_quantizer_type(&l->kernel_q, &qw), *qbt = NULL;
  bool po2w = false, po2b = false; /* power-of-two weights keep their exponents' type (hls4ml's) */
  if (!rc && !bn) rc = nf_design_po2_type(&l->kernel_q, w, nk, l->name, "weight", &qw, &po2w, b->err);
  if (!rc && !bn) rc = nf_design_po2_type(&l->bias_q, bias, no, l->name, "bias", &qb, &po2b, b->err);
  if (po2w) qwt = &qw;
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_WEIGHT, qwt, li, wf, nk, &d->weight_t);
  if (po2w) d->weight_t = qw;
  float *bf = (float *)wf; /* reuse as float view of the biases */
  for (size_t j = 0; !rc && j < no; j++) bf[j] = (float)bias[j];
  if (!bn) qbt = po2b ? &qb : nf_design_quantizer_type(&l->bias_q, &qb);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_BIAS, qbt, li, bf, no, &d->bias_t);
  if (po2b) d->bias_t = qb;
  if (!rc) rc = nf_design_quantize(&d->weight_t, w, nk, d->weights, l->name, b->err);
  if (!rc) rc = nf_design_quantize(&d->bias_t, bias, no, d->bias, l->name, b->err);
  /* A quantized Dense sums exactly (see exact_sum_type) unless configured otherwise. */
  const nf_fixed_type *qs = !rc && qwt && nf_design_exact_sum_type(d, d->n_in, d->n_out, &qsum) ? &qsum : NULL;
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, qs, bn ? li + 1 : li, NULL, 0, &d->result_t);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_ACCUM, qs, bn ? li + 1 : li, NULL, 0, &d->accum_t);
  d->reuse_factor = rc ? 1 : ls.reuse_factor;
  if (!rc && (l->n_in * l->n_out) % d->reuse_factor != 0)
    rc = nf_fail(b->err, NF_EINPUT, "%s: layer '%s': ReuseFactor %d must divide n_in*n_out = %d", b->c->origin,
                 l->name, d->reuse_factor, l->n_in * l->n_out);
  free(w);
  free(bias);
  free(wf);
  return rc;
}

bool nf_design_is_ternary_quant(const nf_layer *l) {
  if (!l || l->kind != NF_LAYER_QUANT || l->fpq_o != NF_FPQ_SAT_SYM) return false;
  for (int j = 0; j < l->n_out; j++) {
    int k, bits, i;
    nf_fpq_elem(l, j, &k, &bits, &i);
    if (k != 1 || bits != 2 || i != 2) return false;
  }
  return true;
}

/* Whether l reads the outputs of a sign activation (binary_tanh,
 * ternary_tanh, bipolar, a ternary Quant of step 1: whole numbers in [-1, 1]) and every quantized
 * weight of it is -1, 0 or +1. */
static bool sign_dense(const nf_layer *prev, const nf_layer *l) {
  if (!nf_design_is_ternary_quant(prev) &&
      (prev->kind != NF_LAYER_ACTIVATION || prev->act_q.kind != NF_QUANT_NONE ||
       (prev->act != NF_ACT_BINARY_TANH && prev->act != NF_ACT_TERNARY_TANH && prev->act != NF_ACT_BIPOLAR)))
    return false;
  for (size_t k = 0; k < (size_t)l->n_in * l->n_out; k++) {
    double w = nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
    if (w != 0 && w != 1 && w != -1) return false;
  }
  return true;
}

bool nf_design_dense_keeps_bn(const nf_model *m, int li) {
  if (li + 1 >= m->n_layers || m->layers[li + 1].kind != NF_LAYER_BATCHNORM) return false;
  /* A BinaryDense / TernaryDense keeps its BatchNormalization apart (hls4ml
   * does not fuse a normalization into quantized weights; batchnorm.c). */
  if (m->layers[li].kernel_q.dense_class) return true;
  /* So does a Dense whose normalization feeds QONNX's bipolar or a ternary
   * Quant (step 1): the two
   * become exact thresholds on the Dense's sums (batchnorm.c). */
  if (li + 2 < m->n_layers && m->layers[li + 1].out_shape.rank == 1 &&
      ((m->layers[li + 2].kind == NF_LAYER_ACTIVATION && m->layers[li + 2].act == NF_ACT_BIPOLAR) ||
       nf_design_is_ternary_quant(&m->layers[li + 2])))
    return true;
  /* And a Dense of +-1 (or 0) weights reading a sign activation: folded, the
   * normalization's scales would turn its XNOR-popcount into constant
   * products and its exact whole-number sums into rounded ones (hls4ml does
   * not fuse a normalization into quantized weights either). Its sums stay
   * exact, and the normalization is one per-feature affine after them. */
  return li > 0 && sign_dense(&m->layers[li - 1], &m->layers[li]);
}

static int dense_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  const nf_model *m = b->m;
  bool apart = nf_design_dense_keeps_bn(m, li);
  const nf_layer *bn =
      !apart && li + 1 < m->n_layers && m->layers[li + 1].kind == NF_LAYER_BATCHNORM ? &m->layers[li + 1] : NULL;
  d->kind = NF_LAYER_DENSE;
  if (bn) {
    d->out_shape = bn->out_shape;
    *next = li + 2;
  }
  *emitted = true;
  return build_dense(b, li, bn, d);
}

const nf_convert_layer_ops nf_convert_dense_ops = {.build = dense_build};
