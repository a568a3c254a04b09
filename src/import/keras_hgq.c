/* HGQ's proxy models (calad0i/HGQ, Keras 2 full-model .h5): the
 * FixedPointQuantizer layer and the types the layers around it get.
 *
 * A FixedPointQuantizer stores per element (or once for all) keep_negative,
 * bits and integers as int8 weights; its config names the RND and SAT modes
 * and the stored arrays' shape (with the batch axis, e.g. [1, 16] or [1]).
 * The proxy's Dense layers hold weights already on their quantization grid,
 * and compute in float32, exactly for such models; nnfirm gives each Dense
 * the narrowest QKeras quantized_bits that holds its stored values (so the
 * design sums exactly) and a ReLU behind a quantizer a type that holds
 * every value it can output, so that each value is rounded only where the
 * proxy rounds it: in its quantizers. */
#include <math.h>
#include <string.h>

#include "import_internal.h"

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

int nf_keras_add_fpq(nf_model *m, const char *name, const cJSON *cfg, const char *where, nf_error *err) {
  const cJSON *rnd = get(cfg, "RND"), *sat = get(cfg, "SAT"), *shape = get(cfg, "shape");
  nf_fpq_round q = NF_FPQ_TRN; /* HGQ's defaults */
  nf_fpq_overflow o = NF_FPQ_WRAP;
  if (rnd && (!cJSON_IsString(rnd) || nf_fpq_parse_round(rnd->valuestring, &q)))
    return nf_fail(err, NF_EINPUT, "%s: unknown rounding mode RND=%s (TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, "
                                   "RND_INF, RND_CONV)", where, cJSON_IsString(rnd) ? rnd->valuestring : "(not a string)");
  if (sat && (!cJSON_IsString(sat) || nf_fpq_parse_overflow(sat->valuestring, &o))) {
    const char *s = cJSON_IsString(sat) ? sat->valuestring : "(not a string)";
    return nf_fail(err, NF_EINPUT, "%s: %s overflow mode SAT=%s (WRAP, SAT, SAT_ZERO, SAT_SYM)", where,
                   !strcmp(s, "WRAP_SM") ? "unsupported" : "unknown", s);
  }
  long size = 1;
  int n = cJSON_IsArray(shape) ? cJSON_GetArraySize(shape) : -1;
  for (int i = 0; i < n && size <= 1000000; i++) {
    const cJSON *d = cJSON_GetArrayItem(shape, i);
    if (!cJSON_IsNumber(d) || !(d->valuedouble >= 1 && d->valuedouble <= 1e6) || d->valuedouble != floor(d->valuedouble))
      return nf_fail(err, NF_EINPUT, "%s: 'shape' axis %d is not a positive whole number", where, i);
    size *= (long)d->valuedouble;
  }
  if (n < 1) return nf_fail(err, NF_EINPUT, "%s: no 'shape' list (the shape of the stored bit widths)", where);
  long values = m->n_layers ? m->layers[m->n_layers - 1].n_out : m->n_features;
  if (size != 1 && size != values)
    return nf_fail(err, NF_EINPUT, "%s: %ld stored types for %ld values (one for all, or one per value)", where, size,
                   values);
  return nf_model_add_fpq(m, name, (int)size, q, o, err) ? NF_OK : nf_fail_context(err, "%s", where);
}

/* The narrowest signed quantized_bits(W, W - f - 1, alpha=1) holding every
 * value of v exactly (f fraction bits, at least 0); false beyond 32 bits. */
static bool exact_bits(const float *v, size_t n, nf_quantizer *q) {
  int f = 0;
  for (size_t k = 0; k < n; k++)
    while (f <= 31 && ldexp(v[k], f) != floor(ldexp(v[k], f))) f++;
  if (f > 31) return false;
  double mx = 0;
  for (size_t k = 0; k < n; k++) {
    double c = ldexp(v[k], f);
    mx = fmax(mx, c < 0 ? -c - 1 : c); /* a code c needs W bits when -2^(W-1) <= c <= 2^(W-1) - 1 */
  }
  int w = f + 1 > 2 ? f + 1 : 2;
  while (w <= 32 && mx > ldexp(1, w - 1) - 1) w++;
  if (w > 32) return false;
  *q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = w, .integer = w - f - 1, .keep_negative = true, .alpha = 1};
  return true;
}

int nf_keras_hgq_finish(nf_model *m, const char *origin, nf_error *err) {
  bool hgq = false;
  for (int i = 0; i < m->n_layers; i++) hgq |= m->layers[i].kind == NF_LAYER_QUANT;
  if (!hgq) return NF_OK;
  for (int li = 0; li < m->n_layers; li++) {
    nf_layer *l = &m->layers[li];
    if (l->kind == NF_LAYER_DENSE && l->kernel_q.kind == NF_QUANT_NONE) {
      if (!exact_bits(l->kernel, nf_layer_kernel_count(l), &l->kernel_q))
        return nf_fail(err, NF_EINPUT, "%s: layer '%s': the kernel is not on a grid of at most 32 bits (an HGQ proxy "
                                       "stores quantized weights)", origin, l->name);
      if (l->bias && !exact_bits(l->bias, (size_t)l->n_out, &l->bias_q))
        return nf_fail(err, NF_EINPUT, "%s: layer '%s': the bias is not on a grid of at most 32 bits (an HGQ proxy "
                                       "stores quantized biases)", origin, l->name);
    }
    int k, i, f;
    if (l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_RELU && l->act_q.kind == NF_QUANT_NONE && li > 0 &&
        m->layers[li - 1].kind == NF_LAYER_QUANT && nf_fpq_union_kif(&m->layers[li - 1], &k, &i, &f)) {
      /* max(x, 0) of the quantizer's values: ap_ufixed<i + f, i> holds them all */
      int ff = f > 0 ? f : 0, bits = i + ff;
      if (bits < 1) bits = 1, ff = bits - i;
      l->act_q = (nf_quantizer){.kind = NF_QUANT_RELU, .bits = bits, .integer = bits - ff, .alpha = 1};
      char where[256];
      snprintf(where, sizeof where, "%s: layer '%s'", origin, l->name);
      int rc = nf_quantizer_check(&l->act_q, where, err);
      if (rc) return rc;
    }
  }
  return NF_OK;
}
