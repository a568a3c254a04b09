/* BatchNormalization in the design pass. After a Dense it is folded into
 * the Dense (dense.c), after a convolution into the convolution (conv.c).
 * After a BinaryDense / TernaryDense, which hls4ml does not fuse with a
 * normalization, and anywhere else (on the input, after an activation, as
 * in the jet-image CNN), it stands as a node of its own (kind
 * NF_LAYER_BATCHNORM), per channel (the last axis; every feature of a flat
 * tensor), in one of two forms:
 *
 *  - followed by binary_tanh, ternary_tanh or bipolar: the two become one node of
 *    per-feature thresholds (hls4ml's BatchNormalizationQuantizedTanh). With
 *    s = gamma / sqrt(var + eps) > 0 and c = beta - mean s, the model's
 *    sign of s x + c against +-a (a = 0 binary, 0.5 ternary) is x against
 *    H = (a - c) / s and L = (-a - c) / s. On codes of input_t with f
 *    fraction bits: y = +1 if code > hi, -1 if code < lo, else 0, with
 *    hi = floor(H 2^f) and lo = ceil(L 2^f) (binary: lo = hi + 1, so 0 never
 *    occurs). This is the model's own decision, exactly, for every input
 *    code. hls4ml instead compares code >= floor(H 2^f) (binary) and
 *    code <= floor(L 2^f) (ternary), which moves the decision by one code
 *    where H or L falls between codes; nnfirm keeps the model's. The
 *    thresholds are held in weight_t / bias_t, input_t widened by one
 *    integer bit (a threshold past the input's range is clamped one code
 *    beyond it, which keeps every comparison). result_t is ap_fixed<2,2>
 *    (hls4ml's ap_int<2>; its binary output is ap_uint<1>, 0 for -1).
 *    A non-positive scale is refused (hls4ml's threshold assumes s > 0).
 *    QONNX's bipolar (+1 where s x + c >= 0, i.e. x >= H = mean - beta / s,
 *    written so that beta 0 gives the mean exactly): hi = ceil(H 2^f) - 1,
 *    lo = hi + 1. A Dense keeps such a normalization apart (dense.c).
 *
 *  - followed by a ternary Quant of step 1 (QONNX; -1, 0, +1): the same
 *    ternary thresholds node, its thresholds found on the model's own float
 *    function of each input code (build_quant_thresholds).
 *
 *  - otherwise a per-feature affine node (hls4ml's normalize): scale codes
 *    of weight_t in weights, bias codes of bias_t in bias, y = (result_t)
 *    (x scale + bias) computed exactly before the one cast. The types come
 *    from the configuration under the layer's name or LayerType
 *    BatchNormalization (weight = the scale).
 */
#include <math.h>
#include <stdlib.h>

#include "convert_internal.h"

static bool is_sign(const nf_layer *a) {
  return a && a->kind == NF_LAYER_ACTIVATION && a->act_q.kind == NF_QUANT_NONE &&
         (a->act == NF_ACT_BINARY_TANH || a->act == NF_ACT_TERNARY_TANH || a->act == NF_ACT_BIPOLAR);
}

/* The types of a thresholds node fused with the activation act (see above). */
static int threshold_types(nf_design_ctx *b, const nf_layer *l, nf_activation act, nf_design_layer *d) {
  int f = nf_fixed_frac_bits(&d->input_t);
  if (d->input_t.width > 62 || f > 60 || f < -60)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': input type too wide for a threshold", l->name);
  d->act = act;
  d->weight_t = nf_fixed_type_make(d->input_t.width + 1, d->input_t.int_bits + 1, true);
  d->bias_t = d->weight_t;
  d->result_t = nf_fixed_type_make(2, 2, true);
  d->accum_t = d->input_t;
  return NF_OK;
}

static int build_thresholds(nf_design_ctx *b, const nf_layer *l, const nf_layer *act, const double *s,
                            const double *c, nf_design_layer *d) {
  int f = nf_fixed_frac_bits(&d->input_t), no = l->n_out;
  int rc = threshold_types(b, l, act->act, d);
  if (rc) return rc;
  nf_code min = nf_fixed_min_code(&d->input_t), max = nf_fixed_max_code(&d->input_t);
  double a = act->act == NF_ACT_TERNARY_TANH ? 0.5 : 0.0, unit = ldexp(1.0, f);
  for (int j = 0; j < no; j++) {
    if (!(s[j] > 0))
      return nf_fail(b->err, NF_EINPUT,
                     "layer '%s': feature %d has scale gamma/sqrt(var+eps) = %g; a %s threshold needs a positive "
                     "scale", l->name, j, s[j], nf_activation_name(act->act));
    double hi = floor((a - c[j]) / s[j] * unit), lo = ceil((-a - c[j]) / s[j] * unit);
    if (act->act == NF_ACT_BIPOLAR)
      hi = ceil(((double)l->moving_mean[j] - (double)l->beta[j] / s[j]) * unit) - 1;
    nf_code h = hi < (double)min - 1 ? min - 1 : hi > (double)max ? max : (nf_code)hi;
    nf_code q = lo < (double)min ? min : lo > (double)max + 1 ? max + 1 : (nf_code)lo;
    d->weights[j] = (int64_t)h;
    d->bias[j] = (int64_t)(act->act == NF_ACT_TERNARY_TANH ? q : h + 1);
  }
  return NF_OK;
}

/* The smallest code x in [min, max + 1] whose output of a ternary Quant
 * (step 1) after the normalization l, the model's own float function of
 * feature j, is above 0 (strict) or at least 0; max + 1 if none. The output
 * is non-decreasing in the code (s > 0): a binary search. */
static nf_code first_code(const nf_layer *l, const nf_layer *q, int j, int f, nf_code min, nf_code max, bool strict) {
  nf_code a = min, z = max + 1;
  while (a < z) {
    nf_code mid = a + (z - a) / 2;
    double y = nf_fpq_value(q, j, nf_batchnorm_value(l, j % nf_layer_channels(l), ldexp((double)mid, -f)));
    if (strict ? y > 0 : y >= 0) z = mid; else a = mid + 1;
  }
  return z;
}

/* A normalization followed by a ternary Quant of step 1 (-1, 0, +1; QONNX):
 * the ternary thresholds node (as for ternary_tanh above), its thresholds
 * found on the model's own float function of each input code, so every
 * decision, ties included (a value exactly half-way rounds as the Quant's
 * mode says), is the model's: hi is the largest code whose output is at
 * most 0 (min - 1 if none), lo the smallest whose output is at least 0
 * (max + 1 if none). */
static int build_quant_thresholds(nf_design_ctx *b, const nf_layer *l, const nf_layer *q, const double *s,
                                  nf_design_layer *d) {
  int f = nf_fixed_frac_bits(&d->input_t);
  int rc = threshold_types(b, l, NF_ACT_TERNARY_TANH, d);
  if (rc) return rc;
  nf_code min = nf_fixed_min_code(&d->input_t), max = nf_fixed_max_code(&d->input_t);
  for (int j = 0; j < l->n_out; j++) {
    if (!(s[j % nf_layer_channels(l)] > 0))
      return nf_fail(b->err, NF_EINPUT,
                     "layer '%s': feature %d has scale gamma/sqrt(var+eps) = %g; a threshold before the ternary "
                     "quantizer '%s' needs a positive scale", l->name, j, s[j % nf_layer_channels(l)], q->name);
    d->weights[j] = (int64_t)(first_code(l, q, j, f, min, max, true) - 1);
    d->bias[j] = (int64_t)first_code(l, q, j, f, min, max, false);
  }
  return NF_OK;
}

static int build_affine(nf_design_ctx *b, int li, const double *s, const double *c, nf_design_layer *d) {
  const nf_layer *l = &b->m->layers[li];
  size_t no = (size_t)nf_layer_channels(l);
  nf_layer_settings ls;
  float *v = nf_malloc(no * sizeof *v, b->err);
  int rc = v ? nf_config_resolve_layer(b->c, l->name, "BatchNormalization", &ls, b->err) : NF_EINTERNAL;
  d->act = NF_ACT_LINEAR;
  for (size_t j = 0; !rc && j < no; j++) v[j] = (float)s[j];
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_WEIGHT, NULL, li, v, no, &d->weight_t);
  for (size_t j = 0; !rc && j < no; j++) v[j] = (float)c[j];
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_BIAS, NULL, li, v, no, &d->bias_t);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, NULL, li, NULL, 0, &d->result_t);
  if (!rc) rc = nf_design_quantize(&d->weight_t, s, no, d->weights, l->name, b->err);
  if (!rc) rc = nf_design_quantize(&d->bias_t, c, no, d->bias, l->name, b->err);
  if (!rc && (d->input_t.width + d->weight_t.width > 100 || d->bias_t.width > 100))
    rc = nf_fail(b->err, NF_EINPUT, "layer '%s': scale or bias type too wide", l->name);
  d->accum_t = d->result_t;
  free(v);
  return rc;
}

static int batchnorm_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  const nf_model *m = b->m;
  const nf_layer *l = &m->layers[li];
  /* (a Dense or a convolution before it has folded it: dense.c, conv.c) */
  const nf_layer *act = li + 1 < m->n_layers ? &m->layers[li + 1] : NULL;
  size_t no = (size_t)nf_layer_channels(l); /* per channel */
  double *s = nf_malloc(no * sizeof *s, b->err), *c = nf_malloc(no * sizeof *c, b->err);
  d->weights = nf_malloc(no * sizeof *d->weights, b->err);
  d->bias = nf_malloc(no * sizeof *d->bias, b->err);
  int rc = !s || !c || !d->weights || !d->bias ? NF_EINTERNAL : NF_OK;
  for (size_t j = 0; !rc && j < no; j++) {
    s[j] = (double)l->gamma[j] / sqrt((double)l->moving_var[j] + (double)l->epsilon);
    c[j] = (double)l->beta[j] - (double)l->moving_mean[j] * s[j];
  }
  d->kind = NF_LAYER_BATCHNORM;
  d->reuse_factor = 1;
  *emitted = true;
  if (!rc && is_sign(act) && l->out_shape.rank == 1) {
    rc = build_thresholds(b, l, act, s, c, d);
    d->out_shape = act->out_shape;
    *next = li + 2;
  } else if (!rc && nf_design_is_ternary_quant(act) && l->out_shape.rank == 1) {
    rc = build_quant_thresholds(b, l, act, s, d);
    d->out_shape = act->out_shape;
    *next = li + 2;
  } else if (!rc) {
    rc = build_affine(b, li, s, c, d);
  }
  free(s);
  free(c);
  return rc;
}

const nf_convert_layer_ops nf_convert_batchnorm_ops = {.build = batchnorm_build};
