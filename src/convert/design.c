/* From model graph + configuration to the fixed-point design: the passes
 * (BatchNormalization folding, dropout removal, precision resolution, auto
 * precision, weight quantization). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

static const char DEFAULT_TYPE[] = "ap_fixed<16,6>";

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
  }
  /* Activations round half to even and clip, as QKeras does. */
  t->q = NF_Q_RND_CONV;
  t->o = NF_O_SAT;
  return true;
}

typedef struct {
  const nf_config *c;
  const nf_model *m;
  const float *calib;
  long n_calib;
  nf_error *err;
  nf_global_settings g; /* the configuration's design-wide settings, resolved once */
} build_ctx;

/* Largest |value| a layer outputs on the calibration rows (float model). */
static int observed_max(build_ctx *b, int layer, double *out) {
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

/* Resolves one variable's type: default → Model → QKeras (qt: the type a
 * quantizer implies, or NULL) → LayerType → LayerName.
 * range: the values it must hold when 'auto' (NAN = ask the calibration). */
static int resolve(build_ctx *b, const char *name, const nf_layer_settings *ls, precision_var v, const nf_fixed_type *qt,
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

static int quantize_array(const nf_fixed_type *t, const double *v, size_t n, int64_t *out, const char *layer,
                          nf_error *err) {
  for (size_t i = 0; i < n; i++) {
    nf_code k;
    if (nf_fixed_from_double(t, v[i], &k, err)) return nf_fail_context(err, "layer '%s'", layer);
    out[i] = (int64_t)k;
  }
  return NF_OK;
}

/* The type a quantizer implies, or NULL (no quantizer). */
static const nf_fixed_type *quantizer_type_or_null(const nf_quantizer *q, nf_fixed_type *buf) {
  return quantizer_type(q, buf) ? buf : NULL;
}

/* The narrowest type that holds every value of a quantized Dense's sum
 * exactly, for its input type and its quantized weights and biases: every
 * fraction bit of x·w and of b, and the range of b_j + Σ_i w_ij·x_i over the
 * input type's range. Each term's range contains 0, so every partial sum of
 * the sequential order lies in it too: no rounding and no overflow, ever.
 * This is what makes the design compute exactly what the QKeras model does
 * (hls4ml infers such accumulators for QKeras models). False when the
 * bounds leave 64 bits. */
static bool exact_sum_type(const nf_design_layer *d, nf_fixed_type *out) {
  int fx = nf_fixed_frac_bits(&d->input_t), fw = nf_fixed_frac_bits(&d->weight_t);
  int fb = nf_fixed_frac_bits(&d->bias_t), f = fx + fw > fb ? fx + fw : fb;
  if (f - fx - fw > 60 || f - fb > 60 || f < -60 || d->input_t.width > 62 || d->weight_t.width > 62) return false;
  nf_code xmin = nf_fixed_min_code(&d->input_t), xmax = nf_fixed_max_code(&d->input_t), lo_all = 0, hi_all = 0;
  for (int j = 0; j < d->n_out; j++) {
    nf_code lo = (nf_code)d->bias[j] * ((nf_code)1 << (f - fb)), hi = lo;
    for (int i = 0; i < d->n_in; i++) {
      nf_code w = d->weights[(size_t)i * d->n_out + j], scale = (nf_code)1 << (f - fx - fw);
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
static int build_dense(build_ctx *b, int li, const nf_layer *bn, nf_design_layer *d) {
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
  const nf_fixed_type *qwt = bn ? NULL : quantizer_type_or_null(&l->kernel_q, &qw);
  if (!rc) rc = resolve(b, l->name, &ls, VAR_WEIGHT, qwt, li, wf, nk, &d->weight_t);
  float *bf = (float *)wf; /* reuse as float view of the biases */
  for (size_t j = 0; !rc && j < no; j++) bf[j] = (float)bias[j];
  if (!rc) rc = resolve(b, l->name, &ls, VAR_BIAS, bn ? NULL : quantizer_type_or_null(&l->bias_q, &qb), li, bf, no,
                        &d->bias_t);
  if (!rc) rc = quantize_array(&d->weight_t, w, nk, d->weights, l->name, b->err);
  if (!rc) rc = quantize_array(&d->bias_t, bias, no, d->bias, l->name, b->err);
  /* A quantized Dense sums exactly (see exact_sum_type) unless configured otherwise. */
  const nf_fixed_type *qs = !rc && qwt && exact_sum_type(d, &qsum) ? &qsum : NULL;
  if (!rc) rc = resolve(b, l->name, &ls, VAR_RESULT, qs, bn ? li + 1 : li, NULL, 0, &d->result_t);
  if (!rc) rc = resolve(b, l->name, &ls, VAR_ACCUM, qs, bn ? li + 1 : li, NULL, 0, &d->accum_t);
  d->reuse_factor = rc ? 1 : ls.reuse_factor;
  if (!rc && (l->n_in * l->n_out) % d->reuse_factor != 0)
    rc = nf_fail(b->err, NF_EINPUT, "%s: layer '%s': ReuseFactor %d must divide n_in*n_out = %d", b->c->origin,
                 l->name, d->reuse_factor, l->n_in * l->n_out);
  free(w);
  free(bias);
  free(wf);
  return rc;
}

/* The final softmax: hls4ml's table settings and the tables themselves. */
static int build_softmax(build_ctx *b, int li, const nf_layer_settings *ls, nf_design_layer *d) {
  const char *name = b->m->layers[li].name;
  nf_softmax_tables *s = &d->softmax;
  s->table_size = ls->table_size;
  s->stable = ls->stable;
  s->exp_t = ls->exp_table_t;
  s->inv_t = ls->inv_table_t;
  int rc = nf_softmax_tables_build(s, &d->input_t, name, b->err);
  return rc ? nf_fail_context(b->err, "%s", b->c->origin) : NF_OK;
}

static int build_activation(build_ctx *b, int li, nf_design_layer *d) {
  const nf_layer *l = &b->m->layers[li];
  d->act = l->act;
  d->act_alpha = l->act_alpha;
  bool last = li == b->m->n_layers - 1;
  if (l->act == NF_ACT_SOFTMAX && !last)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': a softmax is supported only as the last layer", l->name);
  if (l->act != NF_ACT_RELU && l->act != NF_ACT_LINEAR && l->act != NF_ACT_SOFTMAX)
    return nf_fail(b->err, NF_EINPUT, "layer '%s': activation %s is not supported in fixed point yet (relu, linear, "
                                      "a final softmax)", l->name, nf_activation_name(l->act));
  nf_layer_settings ls;
  int rc = nf_config_resolve_layer(b->c, l->name, nf_config_layer_type(l), &ls, b->err);
  if (!rc && l->act == NF_ACT_SOFTMAX) {
    rc = resolve(b, l->name, &ls, VAR_RESULT, NULL, li, NULL, 0, &d->result_t);
    return rc ? rc : build_softmax(b, li, &ls, d);
  }
  nf_fixed_type qt;
  return rc ? rc : resolve(b, l->name, &ls, VAR_RESULT, quantizer_type_or_null(&l->act_q, &qt), li, NULL, 0, &d->result_t);
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
  build_ctx b = {.c = c, .m = m, .calib = calib, .n_calib = n_calib, .err = err};
  rc = nf_config_resolve_globals(c, &b.g, err);
  if (!rc) {
    snprintf(d->project, sizeof d->project, "%s", b.g.project);
    snprintf(d->part, sizeof d->part, "%s", b.g.part);
    snprintf(d->strategy, sizeof d->strategy, "%s", b.g.strategy);
    snprintf(d->io_type, sizeof d->io_type, "%s", b.g.io_type);
    d->clock_period_ns = b.g.clock_period_ns;
  }
  d->n_inputs = m->n_features;
  /* An input quantizer fixes the input type: the rows are rounded once, as the model rounds them. */
  nf_fixed_type qin;
  const nf_quantizer *iq = nf_model_input_quantizer(m);
  nf_layer_settings in_s;
  if (!rc) rc = nf_config_resolve_layer(c, m->input_name, "Input", &in_s, err);
  if (!rc) rc = resolve(&b, m->input_name, &in_s, VAR_RESULT, iq ? quantizer_type_or_null(iq, &qin) : NULL, -1, NULL,
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
  nf_fixed_type prev = d->input_t;
  for (int li = 0; !rc && li < m->n_layers; li++) {
    const nf_layer *l = &m->layers[li];
    if (l->kind == NF_LAYER_DROPOUT) continue;
    if (l->kind == NF_LAYER_BATCHNORM) {
      rc = nf_fail(err, NF_EINPUT, "layer '%s': a BatchNormalization that does not follow a Dense cannot be "
                                   "folded (not supported)", l->name);
      break;
    }
    nf_design_layer *dl = &d->layers[d->n_layers++]; /* counted now: freed on error */
    snprintf(dl->name, sizeof dl->name, "%s", l->name);
    dl->n_in = l->n_in;
    dl->n_out = l->n_out;
    dl->input_t = prev;
    if (l->kind == NF_LAYER_DENSE) {
      dl->kind = NF_DL_DENSE;
      const nf_layer *bn = li + 1 < m->n_layers && m->layers[li + 1].kind == NF_LAYER_BATCHNORM ? &m->layers[li + 1] : NULL;
      rc = build_dense(&b, li, bn, dl);
      if (bn) li++;
    } else {
      dl->kind = NF_DL_ACTIVATION;
      rc = build_activation(&b, li, dl);
      if (!rc && l->act == NF_ACT_LINEAR && nf_fixed_type_equal(&dl->result_t, &prev)) {
        d->n_layers--; /* a cast to the type it already has: the identity, no hardware */
        memset(dl, 0, sizeof *dl);
        continue;
      }
    }
    prev = dl->result_t;
  }
  if (!rc && d->n_layers == 0) rc = nf_fail(err, NF_EINPUT, "the model has no layer to put in hardware");
  if (!rc) {
    /* By default the final softmax stays out of hardware (argmax of the
     * logits decides); the emulator still models its tables. */
    const nf_design_layer *last = &d->layers[d->n_layers - 1];
    bool soft_last = last->kind == NF_DL_ACTIVATION && last->act == NF_ACT_SOFTMAX;
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
      for (int i = 0; d->class_names && i < d->n_outputs; i++) d->class_names[i] = strdup(m->class_names[i]);
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
