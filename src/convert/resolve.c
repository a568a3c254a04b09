/* Configuration keys, validation, and the precision look-ups. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

const char *const NF_PRECISION_VAR_NAMES[N_VARS] = {"weight", "bias", "result", "accum"};

static const char *const TOP_KEYS[] = {"Model", "LayerType", "LayerName", "IOType", "ClockPeriod", "Part",
                                       "ProjectName", "Softmax", "HLSConfig", "Backend", "OutputDir", "KerasJson",
                                       "KerasH5", "KerasModel", "OnnxModel", "InputData", "OutputPredictions",
                                       "Stamp", "LineBufferBRAMBits", "ConstantMatrix", "LutNeurons", "ReLUFusion", NULL};
static const char *const LAYER_KEYS[] = {"Precision", "ReuseFactor", "Strategy", "Trace", "table_size",
                                         "exp_table_t", "inv_table_t", "table_t", "implementation", "BramFactor",
                                         "TraceOutput", "ParallelizationFactor", "ConvImplementation", NULL};
static const char *const PRECISION_KEYS[] = {"weight", "bias", "result", "accum", "default", "scale", NULL};
static const char *const TYPE_NAMES[] = {"Input", "InputLayer", "Dense", "QDense", "Activation", "QActivation",
                                         "ReLU", "Softmax", "BatchNormalization", "Dropout", "Conv1D", "Conv2D",
                                         "QConv1D", "QConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
                                         "AveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
                                         "GlobalAveragePooling1D", "GlobalAveragePooling2D", "ZeroPadding1D",
                                         "ZeroPadding2D", "Flatten", "Reshape", NULL};

static bool in_list(const char *s, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(s, *list)) return true;
  return false;
}

static void join(char *buf, size_t n, const char *const *list) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; list[i] && used < n; i++) used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", list[i]);
}

static int check_object_keys(const nf_config *c, const cJSON *o, const char *where, const char *const *valid,
                             nf_error *err) {
  if (!cJSON_IsObject(o)) return nf_fail(err, NF_EINPUT, "%s: %s must be a mapping", c->origin, where);
  const cJSON *item;
  cJSON_ArrayForEach(item, o) {
    if (!in_list(item->string, valid)) {
      char list[600];
      join(list, sizeof list, valid);
      return nf_fail(err, NF_EINPUT, "%s: unknown key '%s' in %s (valid: %s)", c->origin, item->string, where, list);
    }
  }
  return NF_OK;
}

static int check_precision(const nf_config *c, const cJSON *p, const char *where, nf_error *err) {
  if (!p) return NF_OK;
  if (cJSON_IsObject(p)) {
    int rc = check_object_keys(c, p, where, PRECISION_KEYS, err);
    const cJSON *item;
    cJSON_ArrayForEach(item, p) if (!rc && !cJSON_IsString(item)) rc =
        nf_fail(err, NF_EINPUT, "%s: %s.%s must be a type string", c->origin, where, item->string);
    return rc;
  }
  if (!cJSON_IsString(p)) return nf_fail(err, NF_EINPUT, "%s: %s must be a type string or a mapping", c->origin, where);
  return NF_OK;
}

/* Checks one Model / LayerType.X / LayerName.X block, and its type strings. */
static int check_layer_block(const nf_config *c, const cJSON *o, const char *where, nf_error *err) {
  int rc = check_object_keys(c, o, where, LAYER_KEYS, err);
  char sub[300];
  snprintf(sub, sizeof sub, "%s.Precision", where);
  if (!rc) rc = check_precision(c, cJSON_GetObjectItemCaseSensitive(o, "Precision"), sub, err);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "Strategy");
  /* Stable: older hls4ml's way of choosing the stable softmax (checked against the layer's type later) */
  if (!rc && st && (!cJSON_IsString(st) || (strcasecmp(st->valuestring, "Latency") && strcasecmp(st->valuestring, "Resource") &&
                                            strcasecmp(st->valuestring, "Stable"))))
    rc = nf_fail(err, NF_EINPUT, "%s: %s.Strategy must be Latency or Resource (or Stable for a softmax)", c->origin, where);
  return rc;
}

int nf_config_check_keys(const nf_config *c, nf_error *err) {
  int rc = check_object_keys(c, c->root, "the top level", TOP_KEYS, err);
  if (!rc && c->hls != c->root) rc = check_object_keys(c, c->hls, "HLSConfig", TOP_KEYS, err);
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(c->hls, "Model");
  if (!rc && model) rc = check_layer_block(c, model, "Model", err);
  const cJSON *types = cJSON_GetObjectItemCaseSensitive(c->hls, "LayerType"), *item;
  if (!rc && types) rc = check_object_keys(c, types, "LayerType", TYPE_NAMES, err);
  cJSON_ArrayForEach(item, types) {
    char where[200];
    snprintf(where, sizeof where, "LayerType.%s", item->string);
    if (!rc) rc = check_layer_block(c, item, where, err);
  }
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->hls, "LayerName");
  if (!rc && names && !cJSON_IsObject(names)) rc = nf_fail(err, NF_EINPUT, "%s: LayerName must be a mapping", c->origin);
  cJSON_ArrayForEach(item, names) {
    char where[200];
    snprintf(where, sizeof where, "LayerName.%s", item->string);
    if (!rc) rc = check_layer_block(c, item, where, err);
  }
  return rc;
}

int nf_config_validate(const nf_config *c, const nf_model *m, nf_error *err) {
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->hls, "LayerName"), *item;
  cJSON_ArrayForEach(item, names) {
    if (!strcmp(item->string, m->input_name) || nf_model_find_layer(m, item->string) >= 0) continue;
    char list[900];
    size_t used = (size_t)snprintf(list, sizeof list, "%s", m->input_name);
    for (int i = 0; i < m->n_layers && used < sizeof list; i++)
      used += (size_t)snprintf(list + used, sizeof list - used, ", %s", m->layers[i].name);
    return nf_fail(err, NF_EINPUT, "%s: LayerName '%s' is not a layer of the model (layers: %s)", c->origin,
                   item->string, list);
  }
  return NF_OK;
}

const char *nf_config_layer_type(const nf_layer *l) {
  if (l->kind == NF_LAYER_DENSE) return "Dense";
  if (l->kind == NF_LAYER_ACTIVATION) return l->act == NF_ACT_SOFTMAX ? "Softmax" : "Activation";
  return nf_layer_type_name(l);
}

static const cJSON *block_for(const nf_config *c, const char *section, const char *key) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(c->hls, section);
  return key ? cJSON_GetObjectItemCaseSensitive(s, key) : NULL;
}

static const char *precision_in(const cJSON *block, precision_var v) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(block, "Precision");
  if (cJSON_IsString(p)) return p->valuestring;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, NF_PRECISION_VAR_NAMES[v]);
  if (cJSON_IsString(t)) return t->valuestring;
  /* hls4ml names a BatchNormalization's multiplier "scale" */
  if (v == VAR_WEIGHT && cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(p, "scale"))) return t->valuestring;
  t = cJSON_GetObjectItemCaseSensitive(p, "default");
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

static const char *config_precision(const nf_config *c, const char *name, const char *type, precision_var v) {
  const char *s = precision_in(block_for(c, "LayerName", name), v);
  if (!s) s = precision_in(block_for(c, "LayerType", type), v);
  if (!s && type && !strcmp(type, "Dense")) s = precision_in(block_for(c, "LayerType", "QDense"), v);
  return s;
}

static const char *config_model_precision(const nf_config *c, precision_var v) {
  return precision_in(cJSON_GetObjectItemCaseSensitive(c->hls, "Model"), v);
}

static const cJSON *config_global(const nf_config *c, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->hls, key);
  return v ? v : cJSON_GetObjectItemCaseSensitive(c->root, key);
}

/* ---- Resolution ------------------------------------------------------------------- */
/* Where a layer setting came from, for messages: LayerName.X.key, LayerType.T.key or Model.key. */
static const cJSON *setting_at(const nf_config *c, const char *name, const char *type, const char *key, char *path,
                               size_t n) {
  const cJSON *v;
  if ((v = cJSON_GetObjectItemCaseSensitive(block_for(c, "LayerName", name), key))) snprintf(path, n, "LayerName.%s.%s", name, key);
  else if ((v = cJSON_GetObjectItemCaseSensitive(block_for(c, "LayerType", type), key))) snprintf(path, n, "LayerType.%s.%s", type, key);
  else if ((v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->hls, "Model"), key))) snprintf(path, n, "Model.%s", key);
  return v;
}

static int bad_value(const nf_config *c, const char *path, const cJSON *v, const char *expected, nf_error *err) {
  char *text = cJSON_PrintUnformatted(v);
  int rc = nf_fail(err, NF_EINPUT, "%s: %s: %s is not %s", c->origin, path, text ? text : "?", expected);
  free(text);
  return rc;
}

static int int_setting(const nf_config *c, const cJSON *v, const char *path, int lo, int hi, int *out, nf_error *err) {
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi) {
    char want[64];
    snprintf(want, sizeof want, "an integer in %d..%d", lo, hi);
    return bad_value(c, path, v, want, err);
  }
  *out = (int)v->valuedouble;
  return NF_OK;
}

static int type_setting(const nf_config *c, const cJSON *v, const char *path, nf_fixed_type *t, nf_error *err) {
  if (!cJSON_IsString(v)) return bad_value(c, path, v, "a type string", err);
  if (nf_fixed_type_parse(v->valuestring, t, err)) return nf_fail_context(err, "%s: %s", c->origin, path);
  return NF_OK;
}

int nf_config_resolve_layer(const nf_config *c, const char *name, const char *type, nf_layer_settings *s,
                            nf_error *err) {
  memset(s, 0, sizeof *s);
  for (int v = 0; v < N_VARS; v++) s->precision[v] = config_precision(c, name, type, (precision_var)v);
  s->reuse_factor = 1;
  s->table_size = 1024;
  s->stable = true;
  char path[400];
  const cJSON *v;
  int rc = NF_OK;
  if ((v = setting_at(c, name, type, "ReuseFactor", path, sizeof path)))
    rc = int_setting(c, v, path, 1, 4096, &s->reuse_factor, err);
  /* hls4ml's io_parallel Conv computes out_pixels / ParallelizationFactor partitions in turn (the Conv's
   * build checks it against its pixels and IOType); other layers have no pixels: only 1 */
  if (!rc && (v = setting_at(c, name, type, "ParallelizationFactor", path, sizeof path)) &&
      !(rc = int_setting(c, v, path, 1, 1 << 20, &s->parallelization_factor, err)) && s->parallelization_factor != 1 &&
      !strstr(type, "Conv"))
    rc = nf_fail(err, NF_EINPUT, "%s: %s: %d is not built for layer '%s' (a ParallelizationFactor other than 1 "
                 "applies to an io_parallel Conv's output pixels)", c->origin, path, s->parallelization_factor, name);
  if (!rc && (v = setting_at(c, name, type, "Strategy", path, sizeof path)) && cJSON_IsString(v)) {
    s->resource = !strcasecmp(v->valuestring, "Resource");
    if (!strcasecmp(v->valuestring, "Stable") && strcmp(type, "Softmax"))
      rc = nf_fail(err, NF_EINPUT, "%s: %s: Strategy Stable names hls4ml's softmax implementation; layer '%s' is not a "
                   "softmax", c->origin, path, name);
  }
  /* hls4ml's default softmax table type (exp_table_t and inv_table_t) */
  if (!rc) rc = nf_fixed_type_parse("ap_fixed<18,8,AP_RND,AP_SAT>", &s->exp_table_t, err);
  if (!rc) s->inv_table_t = s->exp_table_t;
  if (!rc) rc = nf_fixed_type_parse("ap_fixed<18,8>", &s->table_t, err); /* hls4ml's activation table_t */
  if (!rc && !strcmp(type, "Activation")) {
    if ((v = setting_at(c, name, type, "table_size", path, sizeof path)))
      rc = int_setting(c, v, path, 2, 1 << 20, &s->table_size, err);
    if (!rc && (v = setting_at(c, name, type, "table_t", path, sizeof path))) rc = type_setting(c, v, path, &s->table_t, err);
    return rc;
  }
  if (rc || strcmp(type, "Softmax")) return rc;
  if ((v = setting_at(c, name, type, "table_size", path, sizeof path))) {
    rc = int_setting(c, v, path, 2, 1 << 20, &s->table_size, err);
    if (!rc && (s->table_size & (s->table_size - 1))) rc = bad_value(c, path, v, "a power of two", err);
  }
  if (!rc && (v = setting_at(c, name, type, "implementation", path, sizeof path)) &&
      (!cJSON_IsString(v) || nf_softmax_parse_implementation(v->valuestring, &s->stable)))
    rc = bad_value(c, path, v, "\"stable\" or \"latency\"", err);
  if (!rc && (v = setting_at(c, name, type, "exp_table_t", path, sizeof path)))
    rc = type_setting(c, v, path, &s->exp_table_t, err);
  if (!rc && (v = setting_at(c, name, type, "inv_table_t", path, sizeof path)))
    rc = type_setting(c, v, path, &s->inv_table_t, err);
  return rc;
}

int nf_config_resolve_globals(const nf_config *c, nf_global_settings *g, nf_error *err) {
  memset(g, 0, sizeof *g);
  snprintf(g->project, sizeof g->project, "myproject");
  snprintf(g->strategy, sizeof g->strategy, "Latency");
  snprintf(g->part, sizeof g->part, "xcvu9p");
  g->clock_period_ns = 5.0;
  for (int v = 0; v < N_VARS; v++) g->model_precision[v] = config_model_precision(c, (precision_var)v);
  const cJSON *v;
  if ((v = config_global(c, "ProjectName"))) {
    bool ok = cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < sizeof g->project;
    for (const char *p = ok ? v->valuestring : ""; ok && *p; p++)
      ok = *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (p != v->valuestring && *p >= '0' && *p <= '9');
    if (!ok) return bad_value(c, "ProjectName", v, "a Verilog identifier", err);
    snprintf(g->project, sizeof g->project, "%s", v->valuestring);
  }
  if ((v = config_global(c, "Part"))) {
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof g->part) return bad_value(c, "Part", v, "a part name", err);
    snprintf(g->part, sizeof g->part, "%s", v->valuestring);
  }
  if ((v = config_global(c, "ClockPeriod"))) {
    if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble > 1000)
      return bad_value(c, "ClockPeriod", v, "a positive number of nanoseconds (at most 1000)", err);
    g->clock_period_ns = v->valuedouble;
  }
  if ((v = config_global(c, "LineBufferBRAMBits"))) {
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > (double)(1L << 30) ||
        v->valuedouble != (double)(long)v->valuedouble)
      return bad_value(c, "LineBufferBRAMBits", v, "a whole number of bits in 1..2^30", err);
    g->line_bram_bits = (long)v->valuedouble;
  }
  if ((v = config_global(c, "ConstantMatrix"))) {
    int k = !cJSON_IsString(v) ? -1 : nf_design_cmm_parse(v->valuestring);
    if (k < 0) return bad_value(c, "ConstantMatrix", v, "auto, cse or csd", err);
    g->cmm = k;
  }
  g->lut_bits = NF_LUT_BITS_DEFAULT;
  if ((v = config_global(c, "LutNeurons"))) {
    bool off = cJSON_IsString(v) && !strcmp(v->valuestring, "off"), on = cJSON_IsString(v) && !strcmp(v->valuestring, "auto");
    bool bits = cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= NF_LUT_BITS_MAX &&
                v->valuedouble == (double)(int)v->valuedouble;
    if (!off && !on && !bits) return bad_value(c, "LutNeurons", v, "off, auto or the most index bits of a table (1..12)", err);
    g->lut_bits = off ? 0 : on ? NF_LUT_BITS_DEFAULT : (int)v->valuedouble;
  }
  g->relu_fusion = true;
  if ((v = config_global(c, "ReLUFusion"))) {
    bool off = cJSON_IsString(v) && !strcmp(v->valuestring, "off"), on = cJSON_IsString(v) && !strcmp(v->valuestring, "on");
    if (!off && !on) return bad_value(c, "ReLUFusion", v, "on or off", err);
    g->relu_fusion = on;
  }
  if ((v = config_global(c, "IOType"))) {
    if (!cJSON_IsString(v) || (strcmp(v->valuestring, "io_parallel") && strcmp(v->valuestring, "io_stream")))
      return bad_value(c, "IOType", v, "io_parallel or io_stream", err);
    snprintf(g->io_type, sizeof g->io_type, "%s", v->valuestring);
  }
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(c->hls, "Model");
  if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(model, "Strategy")))
    snprintf(g->strategy, sizeof g->strategy, "%s", v->valuestring);
  if ((v = config_global(c, "Softmax"))) {
    if (!cJSON_IsBool(v)) return bad_value(c, "Softmax", v, "true or false", err);
    g->softmax_in_hw = cJSON_IsTrue(v);
  }
  return NF_OK;
}
