/* From model graph + configuration to the fixed-point design: the walk over
 * the model's nodes, each handed to its kind's design pass (layers.def's
 * convert column: dense.c folds a following BatchNormalization, dropout.c
 * removes Dropout, activation.c builds softmax tables), and the precision
 * resolution and quantization every pass shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

static const char DEFAULT_TYPE[] = "ap_fixed<16,6>";

static const nf_convert_layer_ops *const CONVERT_OPS[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, ...) [NF_LAYER_##ID] = &nf_convert_##CONVERT##_ops,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

/* The fixed type QKeras' quantizer describes (hls4ml's reading of it). */
static bool quantizer_type(const nf_quantizer *q, nf_fixed_type *t) {
  switch (q->kind) {
  case NF_QUANT_NONE: return false;
  case NF_QUANT_BITS:
    *t = nf_fixed_type_make(q->bits, q->integer + (q->keep_negative ? 1 : 0), q->keep_negative);
    break;
  case NF_QUANT_RELU: *t = nf_fixed_type_make(q->bits, q->integer, false); break;
  case NF_QUANT_BINARY:
  case NF_QUANT_TERNARY: *t = nf_fixed_type_make(2, 2, true); break;
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2: return false; /* a weight's: nf_design_po2_type; no fixed-point activation */
  }
  /* Activations round half to even and clip, as QKeras does. */
  t->q = NF_Q_RND_CONV;
  t->o = NF_O_SAT;
  return true;
}

/* Largest |value| a layer outputs on the calibration rows (float model). */
static int observed_max(nf_design_ctx *b, int layer, double *out) {
  if (!b->calib || b->n_calib <= 0)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': precision 'auto' needs calibration data (--data)",
                   b->m->layers[layer].name);
  long n = b->n_calib;
  int w = b->m->layers[layer].n_out;
  double *y = nf_malloc((size_t)n * w * sizeof *y, b->err);
  if (!y) return NF_EINTERNAL;
  int rc = nf_model_forward(b->m, b->calib, n, layer, true, y, b->err);
  double mx = 0;
  for (long i = 0; !rc && i < n * w; i++) mx = fmax(mx, fabs(y[i]));
  free(y);
  *out = mx;
  return rc;
}

/* 'auto': keep the default width, choose integer bits for the range plus a
 * sign bit (so the largest observed value fits without overflow). */
static nf_fixed_type auto_type(double max_abs) {
  int ibits = max_abs > 0 ? (int)ceil(log2(max_abs * (1 + 1e-9))) + 1 : 1;
  if (ibits < 1) ibits = 1;
  return nf_fixed_type_make(16, ibits, true);
}

int nf_design_resolve(nf_design_ctx *b, const char *name, const nf_layer_settings *ls, precision_var v, const nf_fixed_type *qt,
                   int layer, const float *values, size_t n_values, nf_fixed_type *out) {
  const char *s = b->g.model_precision[v];
  const char *specific = ls->precision[v];
  nf_fixed_type t;
  int rc = nf_fixed_type_parse(DEFAULT_TYPE, &t, b->err);
  if (!rc && s && strcmp(s, "auto")) rc = nf_fixed_type_parse(s, &t, b->err);
  if (!rc && qt) t = *qt;
  if (!rc && specific) s = specific;
  if (!rc && s && specific && strcmp(s, "auto")) rc = nf_fixed_type_parse(s, &t, b->err);
  if (rc) return nf_fail_context(b->err, "%s: layer '%s' %s", b->c->origin, name, NF_PRECISION_VAR_NAMES[v]);
  if (s && !strcmp(s, "auto")) {
    double mx = 0;
    if (values) {
      for (size_t i = 0; i < n_values; i++) mx = fmax(mx, fabs(values[i]));
    } else if (layer >= 0 && (rc = observed_max(b, layer, &mx))) {
      return rc;
    } /* layer < 0: the input, whose range the caller measures itself */
    t = auto_type(mx);
  }
  *out = t;
  return NF_OK;
}

int nf_design_quantize(const nf_fixed_type *t, const double *v, size_t n, int64_t *out, const char *layer,
                          nf_error *err) {
  for (size_t i = 0; i < n; i++) {
    nf_code k;
    if (nf_fixed_from_double(t, v[i], &k, err)) return nf_fail_context(err, "layer '%s'", layer);
    out[i] = (int64_t)k;
  }
  return NF_OK;
}

int nf_design_po2_type(const nf_quantizer *q, const double *v, size_t n, const char *layer, const char *what,
                       nf_fixed_type *t, bool *is_po2, nf_error *err) {
  int lo_q, hi_q;
  *is_po2 = nf_quantizer_po2_range(q, &lo_q, &hi_q);
  if (!*is_po2) return NF_OK;
  int lo = 0, hi = 0;
  bool any = false, negative = q->kind == NF_QUANT_PO2;
  for (size_t i = 0; i < n; i++) {
    if (v[i] == 0) continue; /* pruned */
    int e = ilogb(v[i]);
    lo = any && lo < e ? lo : e;
    hi = any && hi > e ? hi : e;
    any = true;
    negative |= v[i] < 0;
  }
  if (!any) lo = hi = 0;
  int s = negative ? 1 : 0, width = hi - lo + 1 + s;
  if (width > NF_FIXED_MAX_USER_WIDTH)
    return nf_fail(err, NF_EINPUT, "layer '%s': its %s values span 2^%d to 2^%d, %d bits, more than a type's %d", layer,
                   what, lo, hi, width, NF_FIXED_MAX_USER_WIDTH);
  *t = nf_fixed_type_make(width < 2 ? 2 : width, hi + 1 + s + (width < 2 ? 1 : 0), negative);
  t->q = NF_Q_RND_CONV;
  t->o = NF_O_SAT;
  return NF_OK;
}

const nf_fixed_type *nf_design_quantizer_type(const nf_quantizer *q, nf_fixed_type *buf) {
  return quantizer_type(q, buf) ? buf : NULL;
}

const nf_quantizer *nf_model_input_quantizer(const nf_model *m) {
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    if (l->kind == NF_LAYER_DROPOUT) continue;
    bool q = l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_LINEAR && l->act_q.kind == NF_QUANT_BITS;
    return q ? &l->act_q : NULL;
  }
  return NULL;
}

int nf_design_build(const nf_model *m, const nf_config *c, const float *calib, long n_calib, nf_design **out,
                    nf_error *err) {
  int rc = nf_model_validate(m, err);
  if (!rc) rc = nf_config_validate(c, m, err);
  if (rc) return rc;
  nf_design *d = nf_calloc(1, sizeof *d, err);
  if (!d) return NF_EINTERNAL;
  d->layers = nf_calloc((size_t)m->n_layers, sizeof *d->layers, err);
  if (!d->layers) {
    free(d);
    return NF_EINTERNAL;
  }
  nf_design_ctx b = {.c = c, .m = m, .calib = calib, .n_calib = n_calib, .err = err};
  rc = nf_config_resolve_globals(c, &b.g, err);
  if (!rc) {
    snprintf(d->project, sizeof d->project, "%s", b.g.project);
    snprintf(d->part, sizeof d->part, "%s", b.g.part);
    snprintf(d->strategy, sizeof d->strategy, "%s", b.g.strategy);
    bool windowed = false;
    for (int l = 0; l < m->n_layers; l++) windowed |= m->layers[l].kind == NF_LAYER_CONV || m->layers[l].kind == NF_LAYER_POOL;
    snprintf(d->io_type, sizeof d->io_type, "%s", b.g.io_type[0] ? b.g.io_type : windowed ? "io_stream" : "io_parallel");
    d->clock_period_ns = b.g.clock_period_ns;
    d->line_bram_bits = b.g.line_bram_bits;
    d->cmm = b.g.cmm;
    d->lut_bits = b.g.lut_bits;
    d->relu_fusion = b.g.relu_fusion;
  }
  d->n_inputs = m->n_features;
  /* An input quantizer fixes the input type: the rows are rounded once, as the model rounds them. */
  nf_fixed_type qin;
  const nf_quantizer *iq = nf_model_input_quantizer(m);
  nf_layer_settings in_s;
  if (!rc) rc = nf_config_resolve_layer(c, m->input_name, "Input", &in_s, err);
  if (!rc) rc = nf_design_resolve(&b, m->input_name, &in_s, VAR_RESULT, iq ? nf_design_quantizer_type(iq, &qin) : NULL, -1, NULL,
                        0, &d->input_t);
  if (!rc && in_s.precision[VAR_RESULT] && !strcmp(in_s.precision[VAR_RESULT], "auto")) {
    double mx = 0; /* the input's own range: the standardized calibration features */
    for (long i = 0; calib && i < n_calib * m->n_features; i++) {
      int f = (int)(i % m->n_features);
      double v = m->scaler_mean ? (calib[i] - m->scaler_mean[f]) / m->scaler_scale[f] : calib[i];
      mx = fmax(mx, fabs(v));
    }
    d->input_t = auto_type(mx);
  }
  /* An HGQ proxy quantizes its inputs in its first node: the input type
   * holds every value it passes (each row cast once per element, emulate.c). */
  if (!rc && m->n_layers && m->layers[0].kind == NF_LAYER_QUANT) d->input_t = nf_fpq_result_type(&m->layers[0]);
  nf_fixed_type prev = d->input_t;
  for (int li = 0; !rc && li < m->n_layers;) {
    const nf_layer *l = &m->layers[li];
    const nf_convert_layer_ops *ops = CONVERT_OPS[l->kind];
    if (!ops->build) {
      rc = nf_fail(err, NF_EINPUT, "layer '%s': %s", l->name, ops->refusal);
      break;
    }
    nf_design_layer *dl = &d->layers[d->n_layers++]; /* counted now: freed on error */
    snprintf(dl->name, sizeof dl->name, "%s", l->name);
    dl->in_shape = l->in_shape;
    dl->out_shape = l->out_shape;
    dl->n_in = l->n_in;
    dl->n_out = l->n_out;
    dl->input_t = prev;
    int next = li + 1;
    bool emitted = true;
    rc = ops->build(&b, li, dl, &next, &emitted);
    li = next;
    if (!rc && !emitted) {
      d->n_layers--; /* nothing in hardware */
      memset(dl, 0, sizeof *dl);
      continue;
    }
    if (!rc) prev = dl->result_t;
  }
  if (!rc && d->n_layers == 0) rc = nf_fail(err, NF_EINPUT, "the model has no layer to put in hardware");
  if (!rc) {
    /* By default the final softmax stays out of hardware (argmax of the
     * logits decides); the emulator still models its tables. */
    const nf_design_layer *last = &d->layers[d->n_layers - 1];
    bool soft_last = last->kind == NF_LAYER_ACTIVATION && last->act == NF_ACT_SOFTMAX;
    d->n_hw = soft_last && !b.g.softmax_in_hw ? d->n_layers - 1 : d->n_layers;
    if (d->n_hw == 0) rc = nf_fail(err, NF_EINPUT, "the model has no layer to put in hardware");
    d->n_outputs = last->n_out;
    if (m->scaler_mean) {
      size_t n = (size_t)m->n_features * sizeof(float);
      d->scaler_mean = nf_malloc(n, err);
      d->scaler_scale = nf_malloc(n, err);
      if (!d->scaler_mean || !d->scaler_scale) rc = NF_EINTERNAL;
      else {
        memcpy(d->scaler_mean, m->scaler_mean, n);
        memcpy(d->scaler_scale, m->scaler_scale, n);
      }
    }
    if (!rc && m->class_names && m->n_outputs == d->n_outputs) {
      d->class_names = nf_calloc((size_t)d->n_outputs, sizeof(char *), err);
      if (!d->class_names) rc = NF_EINTERNAL;
      for (int i = 0; !rc && i < d->n_outputs; i++)
        if (!(d->class_names[i] = nf_strdup(m->class_names[i], err))) rc = NF_EINTERNAL;
    }
  }
  if (rc) {
    nf_design_free(d);
    return rc;
  }
  *out = d;
  return NF_OK;
}

void nf_design_free(nf_design *d) {
  if (!d) return;
  for (int i = 0; i < d->n_layers; i++) {
    free(d->layers[i].weights);
    free(d->layers[i].bias);
    free(d->layers[i].softmax.exp_table);
    free(d->layers[i].softmax.inv_table);
    free(d->layers[i].table.codes);
    free(d->layers[i].elem_t);
  }
  /* Layers past n_layers may hold a partly built one after an error. */
  free(d->layers);
  free(d->scaler_mean);
  free(d->scaler_scale);
  for (int i = 0; d->class_names && i < d->n_outputs; i++) free(d->class_names[i]);
  free(d->class_names);
  free(d);
}

int nf_design_find_layer(const nf_design *d, const char *name) {
  for (int i = 0; i < d->n_layers; i++)
    if (!strcmp(d->layers[i].name, name)) return i;
  return -1;
}

int nf_design_cmm_parse(const char *s) {
  static const char *const names[] = {"csd", "cse", "auto"};
  for (int k = 0; k < 3; k++)
    if (!strcmp(s, names[k])) return k;
  return -1;
}

const char *nf_design_cmm_name(int cmm) { return cmm == NF_CMM_CSE ? "cse" : cmm == NF_CMM_AUTO ? "auto" : "csd"; }
