/* Keras model configs (JSON) into the model graph: Sequential and linear
 * Functional models, Keras 2 and Keras 3 spellings, QKeras layers. Weights
 * are filled in afterwards by the HDF5 readers (keras_weights.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static const char *get_str(const cJSON *o, const char *key) {
  const cJSON *v = get(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_num(const cJSON *o, const char *key, double *out) {
  const cJSON *v = get(o, key);
  if (cJSON_IsNumber(v)) *out = v->valuedouble;
  else if (cJSON_IsBool(v)) *out = cJSON_IsTrue(v);
  else return false;
  return true;
}

/* Doubles from JSON become C floats only inside a sane range
 * (converting an out-of-range double is undefined behaviour in C). */
static float to_float(double d) { return d > -1e30 && d < 1e30 ? (float)d : NAN; }

static bool get_bool(const cJSON *o, const char *key, bool dflt) {
  double v;
  return get_num(o, key, &v) ? v != 0 : dflt;
}

/* The list of layer objects of a Sequential / Functional config. */
static const cJSON *layer_list(const cJSON *root, const char **class_name) {
  *class_name = get_str(root, "class_name");
  const cJSON *cfg = get(root, "config");
  if (cJSON_IsArray(cfg)) return cfg; /* very old Sequential: config is the list */
  return get(cfg, "layers");
}

/* Input shape from InputLayer / batch_input_shape / batch_shape [None, ...]
 * (input_shape has no batch axis): 1 when found, 0 when the layer names
 * none, -1 when it is not a shape nnfirm takes. A shape whose axes but the
 * last are all 1 is the flat input of an MLP. */
static int input_shape(const cJSON *cfg, nf_shape *out) {
  const char *keys[] = {"batch_input_shape", "batch_shape", "input_shape"};
  for (int k = 0; k < 3; k++) {
    const cJSON *shape = get(cfg, keys[k]);
    if (!cJSON_IsArray(shape)) continue;
    int n = cJSON_GetArraySize(shape), first = k == 2 ? 0 : 1;
    if (n - first < 1 || n - first > NF_SHAPE_MAX_RANK) return -1;
    nf_shape s = {.rank = n - first};
    long size = 1;
    bool flat = true;
    for (int i = first; i < n; i++) {
      const cJSON *d = cJSON_GetArrayItem(shape, i);
      if (!cJSON_IsNumber(d) || !(d->valuedouble >= 1 && d->valuedouble <= 1e6)) return -1;
      s.dim[i - first] = (int)d->valuedouble;
      size *= s.dim[i - first];
      if (size > 1000000) return -1;
      if (i < n - 1 && s.dim[i - first] != 1) flat = false;
    }
    *out = flat ? nf_shape_1d((int)size) : s;
    return 1;
  }
  return 0;
}

/* ---- QKeras quantizers ------------------------------------------------------
 * Either {"class_name": "quantized_bits", "config": {...}} or the string form
 * "quantized_bits(6, 0, alpha=1)" (read by the model stage's
 * nf_quantizer_read, the same reader --quant-config uses). */
static int check_quantizer(const nf_quantizer *q, const char *where, nf_error *err) {
  if ((q->kind == NF_QUANT_BITS || q->kind == NF_QUANT_RELU) &&
      (q->bits < 1 || q->bits > 32 || q->integer > q->bits || q->integer < -32))
    return nf_fail(err, NF_EINPUT, "%s: inconsistent quantizer (bits=%d, integer=%d)", where, q->bits, q->integer);
  if (!(q->alpha > 0)) return nf_fail(err, NF_EINPUT, "%s: quantizer alpha must be positive", where);
  if (q->kind == NF_QUANT_PO2 || q->kind == NF_QUANT_RELU_PO2) return nf_quantizer_check(q, where, err);
  return NF_OK;
}

static int parse_quantizer(const cJSON *v, nf_quantizer *q, const char *where, nf_error *err) {
  memset(q, 0, sizeof *q);
  if (!v || cJSON_IsNull(v)) return NF_OK;
  int rc;
  if (cJSON_IsString(v)) {
    rc = nf_quantizer_read(v->valuestring, q, where, err);
  } else {
    /* {"class_name": C, "config": {k: v, ...}} is read as the text C(k=v, ...),
     * so that every argument goes through the one reader (unknown or
     * unsupported arguments are refused, not ignored). */
    const char *cls = get_str(v, "class_name");
    if (!cls) return nf_fail(err, NF_EINPUT, "%s: quantizer without class_name", where);
    const cJSON *c = get(v, "config"), *item;
    char text[512];
    size_t off = (size_t)snprintf(text, sizeof text, "%s(", cls);
    bool first = true;
    rc = NF_OK;
    cJSON_ArrayForEach(item, c) {
      if (!item->string) continue;
      if (!strcmp(item->string, "var_name")) continue; /* a name, not a setting */
      char val[96];
      if (cJSON_IsNumber(item)) snprintf(val, sizeof val, "%.17g", item->valuedouble);
      else if (cJSON_IsBool(item)) snprintf(val, sizeof val, "%s", cJSON_IsTrue(item) ? "True" : "False");
      else if (cJSON_IsNull(item)) snprintf(val, sizeof val, "None");
      else if (cJSON_IsString(item) && !strpbrk(item->valuestring, ",()=")) snprintf(val, sizeof val, "%.80s", item->valuestring);
      else {
        rc = nf_fail(err, NF_EINPUT, "%s: quantizer %s: argument '%s' is not a number", where, cls, item->string);
        break;
      }
      if (strpbrk(item->string, ",()=") || off + strlen(item->string) + strlen(val) + 4 >= sizeof text) {
        rc = nf_fail(err, NF_EINPUT, "%s: quantizer %s: malformed argument '%.60s'", where, cls, item->string);
        break;
      }
      off += (size_t)snprintf(text + off, sizeof text - off, "%s%s=%s", first ? "" : ", ", item->string, val);
      first = false;
    }
    if (!rc && off + 2 < sizeof text) snprintf(text + off, sizeof text - off, ")");
    if (!rc) rc = nf_quantizer_read(text, q, where, err);
  }
  return rc ? rc : check_quantizer(q, where, err);
}

/* ---- Layers -------------------------------------------------------------- */

/* Flatten, and Reshape to target_shape (-1 for the inferred axis); a no-op
 * when the shape is already the one asked for. */
static int add_reshape(nf_model *m, const char *name, const char *cls, const cJSON *cfg, const char *where,
                       nf_error *err) {
  nf_shape cur = m->n_layers ? m->layers[m->n_layers - 1].out_shape : m->input_shape, to;
  long size = nf_shape_size(cur);
  if (!strcmp(cls, "Flatten")) {
    to = nf_shape_1d((int)size);
  } else {
    const cJSON *t = get(cfg, "target_shape");
    int n = cJSON_IsArray(t) ? cJSON_GetArraySize(t) : 0, infer = -1;
    if (n < 1 || n > NF_SHAPE_MAX_RANK)
      return nf_fail(err, NF_EINPUT, "%s: target_shape of 1 to 3 axes expected", where);
    to.rank = n;
    long known = 1;
    for (int i = 0; i < n; i++) {
      const cJSON *d = cJSON_GetArrayItem(t, i);
      double v = cJSON_IsNumber(d) ? d->valuedouble : 0;
      if (v == -1 && infer < 0) {
        infer = i;
        to.dim[i] = 1;
      } else if (v >= 1 && v <= 1e6) {
        to.dim[i] = (int)v;
        known *= to.dim[i];
      } else {
        return nf_fail(err, NF_EINPUT, "%s: target_shape axis %d is not a positive integer", where, i);
      }
      if (known > 1000000) return nf_fail(err, NF_EINPUT, "%s: target_shape too large", where);
    }
    if (infer >= 0) to.dim[infer] = size % known == 0 ? (int)(size / known) : 0;
    if (infer >= 0 && to.dim[infer] == 0) return nf_fail(err, NF_EINPUT, "%s: cannot infer the -1 axis", where);
  }
  if (nf_shape_equal(to, cur)) return NF_OK;
  return nf_model_add_reshape(m, name, to, err) ? NF_OK : nf_fail_context(err, "%s", where);
}

static int add_activation_layer(nf_model *m, const char *name, const char *act, const char *where, nf_error *err) {
  nf_activation a;
  if (nf_activation_parse(act, &a)) {
    return nf_fail(err, NF_EINPUT, "%s: unsupported activation '%s' (supported: linear, relu, leaky_relu, tanh, "
                                   "sigmoid, softplus, elu, selu, hard_sigmoid, softmax)", where, act);
  }
  return nf_model_add_activation(m, name, a, err) ? NF_OK : NF_EINPUT;
}

static int add_dense(nf_model *m, const char *name, const cJSON *cfg, bool quantized, const char *where,
                     keras_pending *pend, nf_error *err) {
  double units;
  if (!get_num(cfg, "units", &units) || units < 1 || units > 1e6)
    return nf_fail(err, NF_EINPUT, "%s: Dense without a valid 'units'", where);
  nf_layer *l = nf_model_add_dense(m, name, (int)units, get_bool(cfg, "use_bias", true), err);
  if (!l) return err->code;
  pend->layer = m->n_layers - 1;
  int rc = NF_OK;
  if (quantized) {
    rc = parse_quantizer(get(cfg, "kernel_quantizer"), &l->kernel_q, where, err);
    if (!rc) rc = parse_quantizer(get(cfg, "bias_quantizer"), &l->bias_q, where, err);
  }
  const char *act = get_str(cfg, "activation");
  if (!rc && act && strcmp(act, "linear")) {
    char aname[NF_NAME_MAX * 2];
    snprintf(aname, sizeof aname, "%s_%s", name, act);
    rc = add_activation_layer(m, aname, act, where, err);
  }
  return rc;
}

static int add_qactivation(nf_model *m, const char *name, const cJSON *cfg, const char *where, nf_error *err) {
  const cJSON *a = get(cfg, "activation");
  nf_quantizer q;
  if (cJSON_IsString(a) && strchr(a->valuestring, '(') == NULL &&
      strcmp(a->valuestring, "quantized_relu") && strcmp(a->valuestring, "quantized_bits"))
    return add_activation_layer(m, name, a->valuestring, where, err);
  int rc = parse_quantizer(a, &q, where, err);
  if (rc) return rc;
  nf_layer *l = nf_model_add_activation(m, name, q.kind == NF_QUANT_RELU ? NF_ACT_RELU : NF_ACT_LINEAR, err);
  if (!l) return err->code;
  l->act_q = q;
  return NF_OK;
}

int nf_keras_build_from_config(const cJSON *root, const char *origin, nf_model **out, keras_pending **pending,
                            int *n_pending, nf_error *err) {
  const char *model_class;
  const cJSON *layers = layer_list(root, &model_class);
  if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
    return nf_fail(err, NF_EINPUT, "%s: not a Keras model config (no layer list)", origin);
  int count = cJSON_GetArraySize(layers);
  keras_pending *pend = nf_calloc((size_t)count, sizeof *pend, err);
  if (!pend) return NF_EINTERNAL;
  nf_model *m = NULL;
  int np = 0, rc = NF_OK;
  const cJSON *layer;
  cJSON_ArrayForEach(layer, layers) {
    const char *cls = get_str(layer, "class_name");
    const cJSON *cfg = get(layer, "config");
    const char *name = get_str(cfg, "name");
    char where[512];
    snprintf(where, sizeof where, "%s: layer '%s' (%s)", origin, name ? name : "?", cls ? cls : "?");
    if (!cls || !cJSON_IsObject(cfg) || !name) {
      rc = nf_fail(err, NF_EINPUT, "%s: malformed layer entry", where);
      break;
    }
    const cJSON *inbound = get(layer, "inbound_nodes");
    if (cJSON_IsArray(inbound) && cJSON_GetArraySize(inbound) > 1) {
      rc = nf_fail(err, NF_EINPUT, "%s: shared layers are not supported", where);
      break;
    }
    if (!m) {
      nf_shape in;
      if (input_shape(cfg, &in) <= 0) {
        rc = nf_fail(err, NF_EINPUT, "%s: cannot tell the model's input shape (need 1 to 3 positive axes after the "
                                     "batch axis)", where);
        break;
      }
      if (!(m = nf_model_new((int)nf_shape_size(in), err))) {
        rc = err->code;
        break;
      }
      m->input_shape = in;
      snprintf(m->input_name, sizeof m->input_name, "%.50s_input", name);
    }
    keras_pending *p = &pend[np];
    memset(p, 0, sizeof *p);
    p->layer = -1;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->cls, sizeof p->cls, "%s", cls);
    bool windowed = false;
    if (!strcmp(cls, "InputLayer")) {
      snprintf(m->input_name, sizeof m->input_name, "%s", name);
      continue;
    } else if (!strcmp(cls, "Flatten") || !strcmp(cls, "Reshape")) {
      rc = add_reshape(m, name, cls, cfg, where, err);
    } else if ((rc = nf_keras_add_windowed(m, cls, name, cfg, where, p, &windowed, err)) || windowed) {
      /* a convolutional layer (keras_conv.c) */
    } else if (!strcmp(cls, "Dense") || !strcmp(cls, "QDense")) {
      rc = add_dense(m, name, cfg, cls[0] == 'Q', where, p, err);
      p->kind = KERAS_W_DENSE;
    } else if (!strcmp(cls, "BinaryDense") || !strcmp(cls, "TernaryDense")) {
      rc = nf_keras_add_sign_dense(m, name, cfg, cls[0] == 'B', where, err);
      p->layer = m->n_layers - 1;
      p->kind = KERAS_W_DENSE;
    } else if (!strcmp(cls, "BatchNormalization")) {
      double eps = 1e-3;
      get_num(cfg, "epsilon", &eps);
      if (!(eps > 0 && eps < 1)) {
        rc = nf_fail(err, NF_EINPUT, "%s: epsilon %g outside (0, 1)", where, eps);
        break;
      }
      if (!nf_model_add_batchnorm(m, name, (float)eps, err)) rc = err->code;
      p->layer = m->n_layers - 1;
      p->kind = KERAS_W_BATCHNORM;
      p->has_gamma = get_bool(cfg, "scale", true);
      p->has_beta = get_bool(cfg, "center", true);
    } else if (!strcmp(cls, "Activation")) {
      const char *act = get_str(cfg, "activation");
      rc = act ? add_activation_layer(m, name, act, where, err)
               : nf_fail(err, NF_EINPUT, "%s: Activation without 'activation'", where);
    } else if (!strcmp(cls, "QActivation")) {
      rc = add_qactivation(m, name, cfg, where, err);
    } else if (!strcmp(cls, "ReLU") || !strcmp(cls, "LeakyReLU") || !strcmp(cls, "Softmax")) {
      double slope = 0;
      if (!get_num(cfg, "negative_slope", &slope) && !strcmp(cls, "LeakyReLU") && !get_num(cfg, "alpha", &slope))
        slope = 0.3; /* Keras 2's LeakyReLU default */
      double maxv;
      if (get_num(cfg, "max_value", &maxv)) {
        rc = nf_fail(err, NF_EINPUT, "%s: ReLU with max_value is not supported", where);
        break;
      }
      nf_activation a = !strcmp(cls, "Softmax") ? NF_ACT_SOFTMAX : slope != 0 ? NF_ACT_LEAKY_RELU : NF_ACT_RELU;
      nf_layer *l = nf_model_add_activation(m, name, a, err);
      if (!l) rc = err->code;
      else l->act_alpha = to_float(slope);
    } else if (!strcmp(cls, "ThresholdedReLU")) {
      double theta = 1.0; /* Keras' default */
      get_num(cfg, "theta", &theta);
      nf_layer *l = nf_model_add_activation(m, name, NF_ACT_THRESHOLDED_RELU, err);
      if (!l) rc = err->code;
      else if (!isfinite(l->act_alpha = to_float(theta)))
        rc = nf_fail(err, NF_EINPUT, "%s: theta %g is not a finite number", where, theta);
    } else if (!strcmp(cls, "ELU")) {
      double alpha = 1.0; /* Keras' default */
      get_num(cfg, "alpha", &alpha);
      nf_layer *l = nf_model_add_activation(m, name, NF_ACT_ELU, err);
      if (!l) rc = err->code;
      else if (!isfinite(l->act_alpha = to_float(alpha)))
        rc = nf_fail(err, NF_EINPUT, "%s: alpha %g is not a finite number", where, alpha);
    } else if (!strcmp(cls, "PReLU")) {
      const cJSON *shared = get(cfg, "shared_axes");
      if (shared && !cJSON_IsNull(shared)) { /* as hls4ml: alpha of the input's whole shape */
        rc = nf_fail(err, NF_EINPUT, "%s: PReLU with shared_axes is not supported (one alpha per element only)", where);
        break;
      }
      if (!nf_model_add_activation(m, name, NF_ACT_PRELU, err)) {
        rc = err->code;
        break;
      }
      p->layer = m->n_layers - 1;
      p->kind = KERAS_W_PRELU;
    } else if (!strcmp(cls, "FixedPointQuantizer")) {
      rc = nf_keras_add_fpq(m, name, cfg, where, err);
      p->layer = m->n_layers - 1;
      p->kind = KERAS_W_FPQ;
    } else if (!strcmp(cls, "Dropout")) {
      double rate = 0;
      get_num(cfg, "rate", &rate);
      if (!nf_model_add_dropout(m, name, to_float(rate), err)) rc = err->code;
    } else {
      rc = nf_fail(err, NF_EINPUT, "%s: unsupported layer class '%s' (supported: InputLayer, Dense, QDense, BinaryDense, TernaryDense, "
                                   "Activation, QActivation, BatchNormalization, Dropout, Flatten, Reshape, ReLU, "
                                   "LeakyReLU, ThresholdedReLU, ELU, PReLU, Softmax, FixedPointQuantizer, Conv1D/2D, QConv1D/2D, MaxPooling1D/2D, "
                                   "AveragePooling1D/2D, Global{Max,Average}Pooling1D/2D, ZeroPadding1D/2D)",
                   where, cls);
    }
    if (rc) {
      if (!strstr(err->msg, origin)) nf_fail_context(err, "%s", where);
      break;
    }
    if (p->layer >= 0) np++;
  }
  if (!rc && (!m || m->n_layers == 0)) rc = nf_fail(err, NF_EINPUT, "%s: the model has no layers", origin);
  if (rc) {
    nf_model_free(m);
    free(pend);
    return rc;
  }
  snprintf(m->source, sizeof m->source, "keras:%s", origin);
  *out = m;
  *pending = pend;
  *n_pending = np;
  return NF_OK;
}

int nf_keras_parse_quantizer(const cJSON *v, nf_quantizer *q, const char *where, nf_error *err) {
  return parse_quantizer(v, q, where, err);
}

int nf_keras_add_activation(nf_model *m, const char *name, const char *act, const char *where, nf_error *err) {
  return add_activation_layer(m, name, act, where, err);
}

int nf_import_keras_config_text(const char *json, size_t len, const char *origin, nf_model **out, nf_error *err) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root) return nf_fail(err, NF_EINPUT, "%s: not valid JSON (near byte %ld)", origin,
                            (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - json : 0));
  keras_pending *pend = NULL;
  int np = 0;
  int rc = nf_keras_build_from_config(root, origin, out, &pend, &np, err);
  free(pend);
  cJSON_Delete(root);
  return rc;
}
