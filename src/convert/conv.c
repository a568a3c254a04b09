/* Conv1D / Conv2D in the design pass, as Dense (dense.c) over a window: the
 * weights as the model computes them (QKeras quantizers, pruning mask), a
 * BatchNormalization right after it folded in per filter (double
 * precision), every type resolved (hls4ml's LayerType "Conv1D"/"Conv2D"
 * or the QKeras class), weights and biases quantized, and the exact
 * accumulator of a quantized convolution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"

static void copy_geometry(const nf_layer *l, nf_design_layer *d) {
  memcpy(d->ksize, l->ksize, sizeof d->ksize);
  memcpy(d->stride, l->stride, sizeof d->stride);
  memcpy(d->pad, l->pad, sizeof d->pad);
  d->filters = l->filters;
  d->pool_op = l->pool_op;
  d->pool_global = l->pool_global;
}

/* ParallelizationFactor P (hls4ml's, nnet_conv1d_latency.h / nnet_conv2d_latency.h: the output pixels in
 * out_pixels / P partitions, P pixels each, one partition a step): io_parallel only, P must divide the
 * output pixels (hls4ml's valid values, get_valid_conv_partition_splits; it substitutes the closest one
 * with a warning, nnfirm refuses). Absent: every output pixel at once. */
static int conv_partitions(nf_design_ctx *b, nf_design_layer *d, int pf) {
  d->parallelization_factor = 0;
  if (!pf) return NF_OK;
  int ho, wo, nf;
  nf_shape_hwc(d->out_shape, &ho, &wo, &nf);
  const int pixels = ho * wo;
  if (strcmp(b->g.io_type, "io_parallel"))
    return pf == 1 ? NF_OK : nf_fail(b->err, NF_EINPUT, "layer '%s': ParallelizationFactor %d is not built for an "
                                     "io_stream Conv (one output pixel a step); IOType io_parallel builds it",
                                     d->name, pf);
  if (pf > pixels || pixels % pf)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': ParallelizationFactor %d does not divide the %d output pixels "
                   "(%d x %d; hls4ml's valid values are the divisors)", d->name, pf, pixels, ho, wo);
  d->parallelization_factor = pf;
  return NF_OK;
}

/* ReuseFactor R with Strategy Resource on an io_parallel Conv: hls4ml's valid values for the window's
 * kh*kw*c inputs x filters (fpga_backend.py's _validate_reuse_factor: below kh*kw*c, the divisors of it)
 * and its io_parallel Resource kernel's bound R <= kh*kw*c (nnet_conv1d/2d_resource.h): R divides
 * kh*kw*c. hls4ml substitutes the closest valid value with a warning; nnfirm refuses. Latency (hls4ml
 * pipelines the partition loop at II = R, no check) and io_stream keep the rule R | kh*kw*c x filters. */
static int conv_reuse(nf_design_ctx *b, nf_design_layer *d, const nf_layer_settings *ls, int kk) {
  const int R = d->reuse_factor;
  if (R <= 1 || !ls->resource || strcmp(b->g.io_type, "io_parallel") || kk % R == 0) return NF_OK;
  char list[160] = "";
  size_t n = 0;
  for (int r = 1; r <= kk && n + 16 < sizeof list; r++)
    if (kk % r == 0) n += (size_t)snprintf(list + n, sizeof list - n, n ? ", %d" : "%d", r);
  return nf_fail(b->err, NF_EINPUT, "layer '%s': ReuseFactor %d is not valid for Strategy Resource on an io_parallel "
                 "Conv: it must divide the window's %d inputs (hls4ml's valid values for it: %s)", d->name, R, kk, list);
}

static int build_conv(nf_design_ctx *b, int li, const nf_layer *bn, nf_design_layer *d) {
  const nf_layer *l = &b->m->layers[li];
  size_t nk = nf_layer_kernel_count(l), nf = (size_t)l->filters, win = nk / nf;
  double *w = nf_malloc(nk * sizeof *w, b->err), *bias = nf_calloc(nf, sizeof *bias, b->err);
  float *wf = nf_malloc((nk > nf ? nk : nf) * sizeof *wf, b->err);
  d->weights = nf_malloc(nk * sizeof *d->weights, b->err);
  d->bias = nf_malloc(nf * sizeof *d->bias, b->err);
  int rc = (!w || !bias || !wf || !d->weights || !d->bias) ? NF_EINTERNAL : NF_OK;
  for (size_t k = 0; !rc && k < nk; k++) w[k] = l->mask && !l->mask[k] ? 0.0 : nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
  for (size_t f = 0; !rc && l->bias && f < nf; f++) bias[f] = nf_quantizer_apply(&l->bias_q, l->bias[f]);
  if (!rc && bn) { /* y = s (conv(x) - mean) + beta per filter */
    for (size_t f = 0; f < nf; f++) {
      double s = (double)bn->gamma[f] / sqrt((double)bn->moving_var[f] + (double)bn->epsilon);
      for (size_t i = 0; i < win; i++) w[i * nf + f] *= s;
      bias[f] = (bias[f] - bn->moving_mean[f]) * s + bn->beta[f];
    }
  }
  for (size_t k = 0; !rc && k < nk; k++) wf[k] = (float)w[k];
  nf_layer_settings ls;
  if (!rc) rc = nf_config_resolve_layer(b->c, l->name, nf_config_layer_type(l), &ls, b->err);
  nf_fixed_type qw, qb, qsum;
  const nf_fixed_type *qwt = bn ? NULL : nf_design_quantizer_type(&l->kernel_q, &qw), *qbt = NULL;
  bool po2w = false, po2b = false; /* power-of-two weights keep their exponents' type (hls4ml's) */
  if (!rc && !bn) rc = nf_design_po2_type(&l->kernel_q, w, nk, l->name, "weight", &qw, &po2w, b->err);
  if (!rc && !bn) rc = nf_design_po2_type(&l->bias_q, bias, nf, l->name, "bias", &qb, &po2b, b->err);
  if (po2w) qwt = &qw;
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_WEIGHT, qwt, li, wf, nk, &d->weight_t);
  if (po2w) d->weight_t = qw;
  for (size_t f = 0; !rc && f < nf; f++) wf[f] = (float)bias[f];
  if (!bn) qbt = po2b ? &qb : nf_design_quantizer_type(&l->bias_q, &qb);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_BIAS, qbt, li, wf, nf, &d->bias_t);
  if (po2b) d->bias_t = qb;
  if (!rc) rc = nf_design_quantize(&d->weight_t, w, nk, d->weights, l->name, b->err);
  if (!rc) rc = nf_design_quantize(&d->bias_t, bias, nf, d->bias, l->name, b->err);
  const nf_fixed_type *qs = !rc && qwt && nf_design_exact_sum_type(d, (int)win, (int)nf, &qsum) ? &qsum : NULL;
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, qs, bn ? li + 1 : li, NULL, 0, &d->result_t);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_ACCUM, qs, bn ? li + 1 : li, NULL, 0, &d->accum_t);
  d->reuse_factor = rc ? 1 : ls.reuse_factor;
  if (!rc) rc = conv_partitions(b, d, ls.parallelization_factor);
  if (!rc) rc = conv_reuse(b, d, &ls, (int)win);
  free(w);
  free(bias);
  free(wf);
  return rc;
}

static int conv_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  const nf_model *m = b->m;
  const nf_layer *l = &m->layers[li];
  const nf_layer *bn = li + 1 < m->n_layers && m->layers[li + 1].kind == NF_LAYER_BATCHNORM ? &m->layers[li + 1] : NULL;
  d->kind = NF_LAYER_CONV;
  copy_geometry(l, d);
  if (bn) *next = li + 2;
  *emitted = true;
  return build_conv(b, li, bn, d);
}

const nf_convert_layer_ops nf_convert_conv_ops = {.build = conv_build};

/* Pooling: accum_t (hls4ml's pooling accumulator, default the model
 * precision) and result_t. */
static int pool_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  const nf_layer *l = &b->m->layers[li];
  (void)next;
  d->kind = NF_LAYER_POOL;
  copy_geometry(l, d);
  *emitted = true;
  nf_layer_settings ls;
  int rc = nf_config_resolve_layer(b->c, l->name, nf_config_layer_type(l), &ls, b->err);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_ACCUM, NULL, li, NULL, 0, &d->accum_t);
  if (!rc) rc = nf_design_resolve(b, l->name, &ls, VAR_RESULT, NULL, li, NULL, 0, &d->result_t);
  d->reuse_factor = rc ? 1 : ls.reuse_factor;
  return rc;
}

const nf_convert_layer_ops nf_convert_pool_ops = {.build = pool_build};

/* ZeroPadding keeps its input's type (hls4ml gives its output the input's precision). */
static int zeropad_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  (void)next;
  d->kind = NF_LAYER_ZEROPAD;
  copy_geometry(&b->m->layers[li], d);
  d->result_t = d->input_t;
  *emitted = true;
  return NF_OK;
}

const nf_convert_layer_ops nf_convert_zeropad_ops = {.build = zeropad_build};

/* Flatten / Reshape: the values and their type unchanged, a node that only
 * renames the shape (no hardware of its own). */
static int reshape_build(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted) {
  (void)b;
  (void)li;
  (void)next;
  d->kind = NF_LAYER_RESHAPE;
  d->result_t = d->input_t;
  *emitted = true;
  return NF_OK;
}

const nf_convert_layer_ops nf_convert_reshape_ops = {.build = reshape_build};
