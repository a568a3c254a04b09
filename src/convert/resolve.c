/* Configuration keys, validation, and the precision look-ups. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

const char *const NF_PRECISION_VAR_NAMES[N_VARS] = {"weight", "bias", "result", "accum"};

static const char *const TOP_KEYS[] = {"Model", "LayerType", "LayerName", "IOType", "ClockPeriod", "Part",
                                       "ProjectName", "Softmax", "HLSConfig", "Backend", "OutputDir", "KerasJson",
                                       "KerasH5", "KerasModel", "OnnxModel", "InputData", "OutputPredictions",
                                       "Stamp", NULL};
static const char *const LAYER_KEYS[] = {"Precision", "ReuseFactor", "Strategy", "Trace", "table_size",
                                         "exp_table_t", "inv_table_t", "table_t", "implementation", "BramFactor",
                                         "TraceOutput", NULL};
static const char *const PRECISION_KEYS[] = {"weight", "bias", "result", "accum", "default", NULL};
static const char *const TYPE_NAMES[] = {"Input", "InputLayer", "Dense", "QDense", "Activation", "QActivation",
                                         "ReLU", "Softmax", "BatchNormalization", "Dropout", NULL};

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
  const cJSON *rf = cJSON_GetObjectItemCaseSensitive(o, "ReuseFactor");
  if (!rc && rf && (!cJSON_IsNumber(rf) || rf->valuedouble < 1 || rf->valuedouble > 4096))
    rc = nf_fail(err, NF_EINPUT, "%s: %s.ReuseFactor must be an integer in 1..4096", c->origin, where);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "Strategy");
  if (!rc && st && (!cJSON_IsString(st) || (strcasecmp(st->valuestring, "Latency") && strcasecmp(st->valuestring, "Resource"))))
    rc = nf_fail(err, NF_EINPUT, "%s: %s.Strategy must be Latency or Resource", c->origin, where);
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
  return nf_layer_kind_name(l->kind);
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
  t = cJSON_GetObjectItemCaseSensitive(p, "default");
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

const char *nf_config_precision(const nf_config *c, const char *name, const char *type, precision_var v) {
  const char *s = precision_in(block_for(c, "LayerName", name), v);
  if (!s) s = precision_in(block_for(c, "LayerType", type), v);
  if (!s && type && !strcmp(type, "Dense")) s = precision_in(block_for(c, "LayerType", "QDense"), v);
  return s;
}

const char *nf_config_model_precision(const nf_config *c, precision_var v) {
  return precision_in(cJSON_GetObjectItemCaseSensitive(c->hls, "Model"), v);
}

const cJSON *nf_config_setting(const nf_config *c, const char *name, const char *type, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(block_for(c, "LayerName", name), key);
  if (!v) v = cJSON_GetObjectItemCaseSensitive(block_for(c, "LayerType", type), key);
  if (!v) v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->hls, "Model"), key);
  return v;
}

const cJSON *nf_config_global(const nf_config *c, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->hls, key);
  return v ? v : cJSON_GetObjectItemCaseSensitive(c->root, key);
}
