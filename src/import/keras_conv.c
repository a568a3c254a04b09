/* The convolutional layers of a Keras config: Conv1D/Conv2D and QKeras'
 * QConv1D/QConv2D, MaxPooling/AveragePooling 1D/2D, their Global variants,
 * ZeroPadding1D/2D. Channels-last only; dilation, groups, causal padding and
 * channels_first are refused by name. Flatten / Reshape are in
 * keras_config.c with the rest of the chain. */
#include <cjson/cJSON.h>
#include <string.h>

#include "import_internal.h"

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* An int or a list of `n` ints (Keras' kernel_size, strides, pool_size);
 * a single int stands for all n. False when malformed or outside [lo, hi]. */
static bool int_tuple(const cJSON *v, int n, int lo, int hi, int *out) {
  if (cJSON_IsNumber(v)) { /* checked before the cast: one beyond int's range is undefined */
    if (!(v->valuedouble >= lo && v->valuedouble <= hi)) return false;
    for (int i = 0; i < n; i++) out[i] = (int)v->valuedouble;
    return true;
  }
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n) return false;
  for (int i = 0; i < n; i++) {
    const cJSON *d = cJSON_GetArrayItem(v, i);
    if (!cJSON_IsNumber(d) || !(d->valuedouble >= lo && d->valuedouble <= hi)) return false;
    out[i] = (int)d->valuedouble;
  }
  return true;
}

/* The current output's (height, width, channels), its rank in *rank. */
static void current_hwc(const nf_model *m, int *rank, int *h, int *w, int *c) {
  nf_shape s = m->n_layers ? m->layers[m->n_layers - 1].out_shape : m->input_shape;
  *rank = s.rank;
  nf_shape_hwc(s, h, w, c);
}

/* Window, stride and padding of a 1D (n = 1) or 2D (n = 2) layer in nnfirm's
 * (rows, columns) form: a 1D layer's window is one row. */
static int window(const nf_model *m, const cJSON *cfg, int n, const char *size_key, bool pooling, int ksize[2],
                  int stride[2], int pad[4], const char *where, nf_error *err) {
  int k[2] = {1, 1}, s[2] = {1, 1}, rank, h, w, c;
  if (!int_tuple(get(cfg, size_key), n, 1, 4096, k))
    return nf_fail(err, NF_EINPUT, "%s: '%s' must be %d positive integer%s", where, size_key, n, n > 1 ? "s" : "");
  const cJSON *st = get(cfg, "strides");
  if (pooling && (!st || cJSON_IsNull(st))) memcpy(s, k, sizeof s); /* Keras: strides default to the pool size */
  else if (st && !int_tuple(st, n, 1, 4096, s))
    return nf_fail(err, NF_EINPUT, "%s: 'strides' must be %d positive integer%s", where, n, n > 1 ? "s" : "");
  const cJSON *dil = get(cfg, "dilation_rate");
  int d[2] = {1, 1};
  if (dil && (!int_tuple(dil, n, 1, 4096, d) || d[0] != 1 || d[n - 1] != 1))
    return nf_fail(err, NF_EINPUT, "%s: dilation_rate other than 1 is not supported", where);
  const cJSON *groups = get(cfg, "groups");
  if (cJSON_IsNumber(groups) && groups->valuedouble != 1)
    return nf_fail(err, NF_EINPUT, "%s: groups = %g is not supported (grouped convolution)", where, groups->valuedouble);
  const cJSON *fmt = get(cfg, "data_format");
  if (cJSON_IsString(fmt) && strcmp(fmt->valuestring, "channels_last"))
    return nf_fail(err, NF_EINPUT, "%s: data_format '%s' is not supported (channels_last only)", where,
                   fmt->valuestring);
  current_hwc(m, &rank, &h, &w, &c);
  if (rank != n + 1)
    return nf_fail(err, NF_EINPUT, "%s: a %dD layer needs a rank-%d input, the previous layer gives rank %d", where, n,
                   n + 1, rank);
  ksize[0] = n == 2 ? k[0] : 1, ksize[1] = k[n - 1];
  stride[0] = n == 2 ? s[0] : 1, stride[1] = s[n - 1];
  memset(pad, 0, 4 * sizeof *pad);
  const cJSON *p = get(cfg, "padding");
  const char *mode = cJSON_IsString(p) ? p->valuestring : "valid";
  if (!strcmp(mode, "same")) {
    if (n == 2) nf_same_padding(h, ksize[0], stride[0], &pad[0], &pad[1]);
    nf_same_padding(w, ksize[1], stride[1], &pad[2], &pad[3]);
  } else if (strcmp(mode, "valid")) {
    return nf_fail(err, NF_EINPUT, "%s: padding '%s' is not supported (valid or same)", where, mode);
  }
  return NF_OK;
}

static int add_conv(nf_model *m, const char *name, const cJSON *cfg, int n, bool quantized, const char *where,
                    keras_pending *pend, nf_error *err) {
  int ksize[2], stride[2], pad[4];
  const cJSON *f = get(cfg, "filters");
  if (!cJSON_IsNumber(f) || !(f->valuedouble >= 1 && f->valuedouble <= 65536))
    return nf_fail(err, NF_EINPUT, "%s: a convolution without a valid 'filters'", where);
  int rc = window(m, cfg, n, "kernel_size", false, ksize, stride, pad, where, err);
  if (rc) return rc;
  const cJSON *ub = get(cfg, "use_bias");
  nf_layer *l = nf_model_add_conv(m, name, (int)f->valuedouble, ksize, stride, pad, !cJSON_IsFalse(ub), err);
  if (!l) return nf_fail_context(err, "%s", where);
  pend->layer = m->n_layers - 1;
  pend->kind = KERAS_W_DENSE; /* kernel and bias, as a Dense stores them */
  if (quantized) {
    rc = nf_keras_parse_quantizer(get(cfg, "kernel_quantizer"), &l->kernel_q, where, err);
    if (!rc) rc = nf_keras_parse_quantizer(get(cfg, "bias_quantizer"), &l->bias_q, where, err);
  }
  const cJSON *act = get(cfg, "activation");
  if (!rc && cJSON_IsString(act) && strcmp(act->valuestring, "linear")) {
    char aname[NF_NAME_MAX * 2];
    snprintf(aname, sizeof aname, "%s_%s", name, act->valuestring);
    rc = nf_keras_add_activation(m, aname, act->valuestring, where, err);
  }
  return rc;
}

static int add_pool(nf_model *m, const char *name, const cJSON *cfg, int n, nf_pool_op op, bool global,
                    const char *where, nf_error *err) {
  int ksize[2] = {0, 0}, stride[2] = {0, 0}, pad[4] = {0, 0, 0, 0};
  if (global) {
    int rank, h, w, c;
    current_hwc(m, &rank, &h, &w, &c);
    if (rank != n + 1)
      return nf_fail(err, NF_EINPUT, "%s: a global %dD pooling needs a rank-%d input, the previous layer gives rank %d",
                     where, n, n + 1, rank);
    const cJSON *fmt = get(cfg, "data_format");
    if (cJSON_IsString(fmt) && strcmp(fmt->valuestring, "channels_last"))
      return nf_fail(err, NF_EINPUT, "%s: data_format '%s' is not supported (channels_last only)", where,
                     fmt->valuestring);
    if (cJSON_IsTrue(get(cfg, "keepdims")))
      return nf_fail(err, NF_EINPUT, "%s: keepdims=True is not supported", where);
  } else {
    int rc = window(m, cfg, n, "pool_size", true, ksize, stride, pad, where, err);
    if (rc) return rc;
  }
  return nf_model_add_pool(m, name, op, global, ksize, stride, pad, err) ? NF_OK : nf_fail_context(err, "%s", where);
}

/* ZeroPadding1D: p, [l, r]; ZeroPadding2D: p, [ph, pw], [[t, b], [l, r]]. */
static int add_zeropad(nf_model *m, const char *name, const cJSON *cfg, int n, const char *where, nf_error *err) {
  int pad[4] = {0, 0, 0, 0}, two[2] = {0, 0};
  const cJSON *p = get(cfg, "padding");
  bool ok = false;
  if (n == 1) {
    ok = int_tuple(p, 2, 0, 4096, two) || int_tuple(p, 1, 0, 4096, two);
    if (ok && cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1) two[1] = two[0];
    pad[2] = two[0], pad[3] = two[1];
  } else if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 2 && cJSON_IsArray(cJSON_GetArrayItem(p, 0))) {
    int a[2] = {0, 0}, b[2] = {0, 0};
    ok = int_tuple(cJSON_GetArrayItem(p, 0), 2, 0, 4096, a) && int_tuple(cJSON_GetArrayItem(p, 1), 2, 0, 4096, b);
    pad[0] = a[0], pad[1] = a[1], pad[2] = b[0], pad[3] = b[1];
  } else {
    ok = int_tuple(p, 2, 0, 4096, two);
    pad[0] = pad[1] = two[0], pad[2] = pad[3] = two[1];
  }
  if (!ok) return nf_fail(err, NF_EINPUT, "%s: 'padding' is not a valid ZeroPadding%dD padding", where, n);
  return nf_model_add_zeropad(m, name, pad, err) ? NF_OK : nf_fail_context(err, "%s", where);
}

int nf_keras_add_windowed(nf_model *m, const char *cls, const char *name, const cJSON *cfg, const char *where,
                          keras_pending *pend, bool *handled, nf_error *err) {
  *handled = true;
  size_t len = strlen(cls);
  int n = len > 2 && cls[len - 1] == 'D' && (cls[len - 2] == '1' || cls[len - 2] == '2') ? cls[len - 2] - '0' : 0;
  char base[64];
  snprintf(base, sizeof base, "%.*s", n ? (int)len - 2 : (int)len, cls);
  if (n && (!strcmp(base, "Conv") || !strcmp(base, "QConv") || !strcmp(base, "Convolution")))
    return add_conv(m, name, cfg, n, base[0] == 'Q', where, pend, err);
  if (n && (!strcmp(base, "MaxPooling") || !strcmp(base, "MaxPool")))
    return add_pool(m, name, cfg, n, NF_POOL_MAX, false, where, err);
  if (n && (!strcmp(base, "AveragePooling") || !strcmp(base, "AvgPool")))
    return add_pool(m, name, cfg, n, NF_POOL_AVG, false, where, err);
  if (n && (!strcmp(base, "GlobalMaxPooling") || !strcmp(base, "GlobalMaxPool")))
    return add_pool(m, name, cfg, n, NF_POOL_MAX, true, where, err);
  if (n && (!strcmp(base, "GlobalAveragePooling") || !strcmp(base, "GlobalAvgPool")))
    return add_pool(m, name, cfg, n, NF_POOL_AVG, true, where, err);
  if (n && !strcmp(base, "ZeroPadding")) return add_zeropad(m, name, cfg, n, where, err);
  *handled = false;
  return NF_OK;
}
