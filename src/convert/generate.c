/* A starting configuration for a model, as hls4ml's config_from_keras_model
 * writes it: model-wide defaults, per layer type, or per layer name with
 * QKeras quantizers turned into their exact types. JSON text (JSON is also
 * valid YAML, so the file works under either extension). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"

static const char DEFAULT_TYPE[] = "ap_fixed<16,6>";

static bool add_type_str(cJSON *o, const char *key, const char *type) { return cJSON_AddStringToObject(o, key, type) != NULL; }

/* The hls4ml-style type string of a QKeras quantizer, or NULL. */
static const char *quantizer_string(const nf_quantizer *q, char *buf, size_t n) {
  switch (q->kind) {
  case NF_QUANT_NONE: return NULL;
  case NF_QUANT_BITS:
    snprintf(buf, n, q->keep_negative ? "ap_fixed<%d,%d,AP_RND_CONV,AP_SAT>" : "ap_ufixed<%d,%d,AP_RND_CONV,AP_SAT>",
             q->bits, q->integer + (q->keep_negative ? 1 : 0));
    return buf;
  case NF_QUANT_RELU: snprintf(buf, n, "ap_ufixed<%d,%d,AP_RND_CONV,AP_SAT>", q->bits, q->integer); return buf;
  case NF_QUANT_BINARY:
  case NF_QUANT_TERNARY: snprintf(buf, n, "ap_fixed<2,2>"); return buf;
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2: return NULL; /* their values decide: po2_string */
  }
  return NULL;
}

/* The exponents of a po2 quantizer's values on raw[n] (0 and 0 when all are
 * zero); false for other quantizers. */
static bool po2_exponents(const nf_quantizer *q, const float *raw, size_t n, int *lo, int *hi, bool *negative) {
  int a, b;
  if (!nf_quantizer_po2_range(q, &a, &b)) return false;
  bool any = false;
  *lo = *hi = 0;
  *negative = q->kind == NF_QUANT_PO2;
  for (size_t i = 0; i < n; i++) {
    double v = nf_quantizer_apply(q, raw[i]);
    int e = ilogb(v);
    *lo = any && *lo < e ? *lo : e;
    *hi = any && *hi > e ? *hi : e;
    *negative |= v < 0;
    any = true;
  }
  return true;
}

/* The type of a po2 weight or bias (convert uses the same, whatever this says). */
static const char *po2_string(const nf_quantizer *q, const float *raw, size_t n, char *buf, size_t len) {
  int lo, hi;
  bool neg;
  if (!raw || !po2_exponents(q, raw, n, &lo, &hi, &neg)) return NULL;
  int s = neg ? 1 : 0, width = hi - lo + 1 + s;
  if (width < 2) snprintf(buf, len, "ap_%sfixed<2,%d>", neg ? "" : "u", hi + 2 + s);
  else snprintf(buf, len, "ap_%sfixed<%d,%d>", neg ? "" : "u", width, hi + 1 + s);
  return buf;
}

/* What flows between layers while the configuration is generated: the
 * fractional bits and the largest magnitude of the current values. */
typedef struct {
  int frac;
  double max_abs;
} value_range;

static int quantizer_frac(const nf_quantizer *q, const float *raw, size_t n) {
  int lo, hi;
  bool neg;
  if (raw && po2_exponents(q, raw, n, &lo, &hi, &neg)) return lo < 0 ? -lo : 0;
  switch (q->kind) {
  case NF_QUANT_BITS: return q->bits - q->integer - (q->keep_negative ? 1 : 0);
  case NF_QUANT_RELU: return q->bits - q->integer;
  default: return 0;
  }
}

/* A QKeras Dense's exact sum type (what hls4ml's precision inference does
 * for quantized layers): every fractional bit of input x weight, and integer
 * bits for the largest sum the quantized weights can produce. Writing it
 * avoids a truncation before the following quantized activation rounds —
 * a double rounding QKeras does not have. Returns false when it does not
 * apply (no kernel quantizer) or would exceed 64 bits. */
static bool exact_sum_type(const nf_layer *l, value_range *in, char *buf, size_t n) {
  if (l->kernel_q.kind == NF_QUANT_NONE || in->frac < 0) return false;
  int frac = in->frac + quantizer_frac(&l->kernel_q, l->kernel, (size_t)l->n_in * l->n_out);
  int fb = l->bias ? quantizer_frac(&l->bias_q, l->bias, (size_t)l->n_out) : 0;
  if (l->bias && l->bias_q.kind != NF_QUANT_NONE && fb > frac) frac = fb;
  double mx = 0;
  for (int j = 0; j < l->n_out; j++) {
    double s = l->bias ? fabs(nf_quantizer_apply(&l->bias_q, l->bias[j])) : 0;
    for (int i = 0; i < l->n_in; i++) s += in->max_abs * fabs(nf_quantizer_apply(&l->kernel_q, l->kernel[(size_t)i * l->n_out + j]));
    mx = fmax(mx, s);
  }
  int ibits = (mx > 0 ? (int)floor(log2(mx)) + 1 : 0) + 1; /* magnitude bits + sign */
  bool zero_bias = true; /* (an ONNX MatMul has none: zeros, unquantized) */
  for (int j = 0; l->bias && j < l->n_out; j++) zero_bias &= l->bias[j] == 0;
  if (ibits + frac > 64 || (l->bias_q.kind == NF_QUANT_NONE && !zero_bias)) return false;
  snprintf(buf, n, "ap_fixed<%d,%d>", ibits + frac, ibits);
  in->frac = frac;
  in->max_abs = mx;
  return true;
}

/* The range after layer l (for the next exact sum). */
static void track_range(const nf_layer *l, bool exact, value_range *r) {
  if (l->kind == NF_LAYER_DENSE && !exact) *r = (value_range){10, 32}; /* default ap_fixed<16,6> */
  if (l->kind == NF_LAYER_BATCHNORM) *r = (value_range){10, 32}; /* an affine of its own: the default type */
  const nf_quantizer *q = &l->act_q;
  if (l->kind == NF_LAYER_ACTIVATION && (q->kind == NF_QUANT_RELU || q->kind == NF_QUANT_BITS))
    *r = (value_range){quantizer_frac(q, NULL, 0), ldexp(1.0, q->integer)};
  if (l->kind == NF_LAYER_ACTIVATION && q->kind == NF_QUANT_NONE &&
      (l->act == NF_ACT_BINARY_TANH || l->act == NF_ACT_TERNARY_TANH || l->act == NF_ACT_BIPOLAR))
    *r = (value_range){0, 1}; /* -1, (0,) +1 */
}

static cJSON *layer_entry(const nf_layer *l, bool auto_result, const char *exact) {
  cJSON *e = cJSON_CreateObject(), *p = cJSON_CreateObject();
  if (!e || !p) {
    cJSON_Delete(e);
    cJSON_Delete(p);
    return NULL;
  }
  char q[96];
  const char *res = auto_result ? "auto" : exact ? exact : DEFAULT_TYPE;
  bool ok = true;
  if (l->kind == NF_LAYER_DENSE) {
    const char *w = quantizer_string(&l->kernel_q, q, sizeof q);
    if (!w) w = po2_string(&l->kernel_q, l->kernel, (size_t)l->n_in * l->n_out, q, sizeof q);
    ok = add_type_str(p, "weight", w ? w : DEFAULT_TYPE);
    const char *b = quantizer_string(&l->bias_q, q, sizeof q);
    if (!b) b = po2_string(&l->bias_q, l->bias, (size_t)l->n_out, q, sizeof q);
    ok = ok && add_type_str(p, "bias", b ? b : DEFAULT_TYPE) && add_type_str(p, "result", res) &&
         add_type_str(p, "accum", res);
    ok = ok && cJSON_AddNumberToObject(e, "ReuseFactor", 1);
  } else {
    const char *a = quantizer_string(&l->act_q, q, sizeof q);
    ok = add_type_str(p, "result", a ? a : res);
    if (ok && l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_SOFTMAX)
      ok = cJSON_AddNumberToObject(e, "table_size", 1024) &&
           add_type_str(e, "exp_table_t", "ap_fixed<18,8,AP_RND,AP_SAT>") &&
           add_type_str(e, "inv_table_t", "ap_fixed<18,8,AP_RND,AP_SAT>");
  }
  if (!ok || !cJSON_AddItemToObject(e, "Precision", p)) {
    cJSON_Delete(e);
    return NULL;
  }
  return e;
}

char *nf_config_generate(const nf_model *m, nf_granularity g, bool auto_precision, nf_error *err) {
  cJSON *root = cJSON_CreateObject(), *model = cJSON_CreateObject();
  bool ok = root && model && add_type_str(model, "Precision", DEFAULT_TYPE) &&
            cJSON_AddNumberToObject(model, "ReuseFactor", 1) && add_type_str(model, "Strategy", "Latency") &&
            cJSON_AddItemToObject(root, "Model", model);
  if (!ok) cJSON_Delete(model);
  if (ok && g == NF_GRAN_TYPE) {
    cJSON *types = cJSON_CreateObject(), *dense = cJSON_CreateObject(), *act = cJSON_CreateObject();
    cJSON *dp = cJSON_CreateObject();
    ok = types && dense && act && dp && add_type_str(dp, "weight", DEFAULT_TYPE) && add_type_str(dp, "bias", DEFAULT_TYPE) &&
         add_type_str(dp, "result", DEFAULT_TYPE) && add_type_str(dp, "accum", DEFAULT_TYPE) &&
         cJSON_AddItemToObject(dense, "Precision", dp) && cJSON_AddNumberToObject(dense, "ReuseFactor", 1) &&
         add_type_str(act, "Precision", DEFAULT_TYPE) && cJSON_AddItemToObject(types, "Dense", dense) &&
         cJSON_AddItemToObject(types, "Activation", act) && cJSON_AddItemToObject(root, "LayerType", types);
  }
  if (ok && g == NF_GRAN_NAME) {
    cJSON *names = cJSON_CreateObject(), *in = cJSON_CreateObject(), *ip = cJSON_CreateObject();
    char qin[96];
    const nf_quantizer *iq = nf_model_input_quantizer(m); /* the model rounds its input itself: same type */
    const char *in_type = iq ? quantizer_string(iq, qin, sizeof qin) : auto_precision ? "auto" : DEFAULT_TYPE;
    if (m->n_layers && m->layers[0].kind == NF_LAYER_QUANT) { /* HGQ: its first quantizer fixes the input type */
      nf_fixed_type t = nf_fpq_result_type(&m->layers[0]);
      nf_fixed_type_format(&t, qin, sizeof qin);
      in_type = qin;
    }
    ok = names && in && ip && add_type_str(ip, "result", in_type) &&
         cJSON_AddItemToObject(in, "Precision", ip) && cJSON_AddItemToObject(names, m->input_name, in);
    value_range r = {10, 32}; /* the input: default ap_fixed<16,6> */
    for (int i = 0; ok && i < m->n_layers; i++) {
      const nf_layer *l = &m->layers[i];
      if (l->kind == NF_LAYER_DROPOUT) continue; /* removed */
      if (l->kind == NF_LAYER_BATCHNORM) { /* folded, or (its own node) on the model's default type */
        track_range(l, false, &r);
        continue;
      }
      if (l->kind == NF_LAYER_QUANT) { /* HGQ: the stored types decide, no setting */
        nf_fixed_type t = nf_fpq_result_type(l);
        r = (value_range){nf_fixed_frac_bits(&t), ldexp(1.0, t.int_bits - (t.is_signed ? 1 : 0))};
        continue;
      }
      bool folded = i + 1 < m->n_layers && m->layers[i + 1].kind == NF_LAYER_BATCHNORM &&
                    !(l->kind == NF_LAYER_DENSE && nf_design_dense_keeps_bn(m, i));
      char exact[64];
      bool ex = l->kind == NF_LAYER_DENSE && !folded && !auto_precision && exact_sum_type(l, &r, exact, sizeof exact);
      track_range(l, ex, &r);
      cJSON *e = layer_entry(l, auto_precision, ex ? exact : NULL);
      ok = e && cJSON_AddItemToObject(names, l->name, e);
    }
    ok = ok && cJSON_AddItemToObject(root, "LayerName", names);
  }
  bool windowed = false;
  for (int i = 0; i < m->n_layers; i++) windowed |= m->layers[i].kind == NF_LAYER_CONV || m->layers[i].kind == NF_LAYER_POOL;
  ok = ok && add_type_str(root, "IOType", windowed ? "io_stream" : "io_parallel") && cJSON_AddNumberToObject(root, "ClockPeriod", 5) &&
       add_type_str(root, "Part", "xcvu9p") && add_type_str(root, "ProjectName", "myproject");
  char *text = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) nf_fail_oom(err, "configuration");
  return text;
}
