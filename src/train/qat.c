/* Quantization-aware training set-up: QKeras quantizers placed on a model's
 * layers from --bits, a per-layer spec string, or a QKeras quantizer_config
 * file. Training then applies them (net.c); conversion turns them into the
 * design's types. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/train.h"
#include "nnfirm/util.h"

static nf_quantizer bits_quantizer(int bits, int integer) {
  return (nf_quantizer){.kind = NF_QUANT_BITS, .bits = bits, .integer = integer, .keep_negative = true, .alpha = 1};
}

static nf_quantizer relu_quantizer(int bits, int integer) {
  return (nf_quantizer){.kind = NF_QUANT_RELU, .bits = bits, .integer = integer, .alpha = 1};
}

/* The input quantizer layer, added in front of the first layer if missing. */
static nf_layer *input_layer(nf_model *m, nf_error *err) {
  int i = nf_model_find_layer(m, NF_QAT_INPUT_LAYER);
  if (i >= 0) return &m->layers[i];
  nf_layer *l = nf_model_insert_activation(m, 0, NF_QAT_INPUT_LAYER, NF_ACT_LINEAR, err);
  if (l) l->act_q = bits_quantizer(NF_QAT_INPUT_BITS, NF_QAT_INPUT_INTEGER);
  return l;
}

/* The activation a Dense feeds (through BatchNormalization/Dropout), or -1. */
static int activation_after(const nf_model *m, int dense) {
  for (int k = dense + 1; k < m->n_layers; k++) {
    const nf_layer *l = &m->layers[k];
    if (l->kind == NF_LAYER_ACTIVATION) return k;
    if (l->kind == NF_LAYER_DENSE) return -1;
  }
  return -1;
}

int nf_qat_set_uniform(nf_model *m, int bits, nf_error *err) {
  nf_quantizer w = bits_quantizer(bits, 0), a = relu_quantizer(bits, 0);
  int rc = nf_quantizer_check(&w, "--bits", err);
  if (rc) return rc;
  if (!input_layer(m, err)) return err->code;
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    if (l->kind == NF_LAYER_DENSE) l->kernel_q = l->bias_q = w;
    else if (l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_RELU) l->act_q = a;
  }
  return NF_OK;
}

/* ---- The spec string ---------------------------------------------------------- */

typedef struct {
  const char *entry; /* for messages */
  char where[160];
} spec_ctx;

static void list_names(const nf_model *m, char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "input");
  for (int i = 0; i < m->n_layers && used < n; i++) {
    const nf_layer *l = &m->layers[i];
    bool quantizable = l->kind == NF_LAYER_DENSE || (l->kind == NF_LAYER_ACTIVATION && l->act != NF_ACT_SOFTMAX &&
                                                     strcmp(l->name, NF_QAT_INPUT_LAYER));
    if (quantizable) used += (size_t)snprintf(buf + used, n - used, ", %s", l->name);
  }
}

/* "6i0", "6", "12i-2" after the item letter: bits and integer bits. */
static int parse_width(const char *s, int *bits, int *integer, const spec_ctx *c, nf_error *err) {
  char *end;
  long b = strtol(s, &end, 10), i = 0;
  if (end == s || !isdigit((unsigned char)*s))
    return nf_fail(err, NF_EINPUT, "%s: '%s' is not <bits>[i<integer bits>] (e.g. w6i0)", c->where, s);
  if (*end == 'i') {
    const char *p = end + 1;
    i = strtol(p, &end, 10);
    if (end == p) return nf_fail(err, NF_EINPUT, "%s: integer bits missing after 'i' in '%s'", c->where, s);
  }
  if (*end) return nf_fail(err, NF_EINPUT, "%s: unexpected '%s' in '%s' (expected e.g. w6i0)", c->where, end, s);
  if (b < 0 || b > 1000 || i < -1000 || i > 1000)
    return nf_fail(err, NF_EINPUT, "%s: '%s' is out of range", c->where, s);
  *bits = (int)b;
  *integer = (int)i;
  return NF_OK;
}

/* One item ("w6i0", "a6", "wternary", ...) applied to Dense `d` and/or the
 * activation `a` it feeds (either may be -1). */
static int apply_item(nf_model *m, int d, int a, const char *item, bool bias_given, const spec_ctx *c, nf_error *err) {
  char what = item[0];
  const char *rest = item + 1;
  int bits = 0, integer = 0, rc;
  nf_quantizer q;
  if (what == 'w' && (!strcmp(rest, "binary") || !strcmp(rest, "ternary"))) {
    q = (nf_quantizer){.kind = rest[0] == 'b' ? NF_QUANT_BINARY : NF_QUANT_TERNARY, .bits = rest[0] == 'b' ? 1 : 2,
                       .alpha = 1};
  } else if (what == 'w' || what == 'b' || what == 'a') {
    if ((rc = parse_width(rest, &bits, &integer, c, err))) return rc;
    bool relu = what == 'a' && a >= 0 && m->layers[a].act == NF_ACT_RELU;
    q = relu ? relu_quantizer(bits, integer) : bits_quantizer(bits, integer);
  } else {
    return nf_fail(err, NF_EINPUT, "%s: unknown item '%s' (w<bits>[i<int>], wbinary, wternary, b<bits>[i<int>], "
                                   "a<bits>[i<int>])", c->where, item);
  }
  char where[300];
  snprintf(where, sizeof where, "%s: %s", c->where, what == 'w' ? "weights" : what == 'b' ? "bias" : "activation");
  if ((rc = nf_quantizer_check(&q, where, err))) return rc;
  if (what != 'a' && d < 0)
    return nf_fail(err, NF_EINPUT, "%s: '%s' sets weights, but this layer has none (only a<bits>[i<int>])", c->where,
                   item);
  if (what == 'a') {
    if (a < 0 || m->layers[a].act == NF_ACT_SOFTMAX)
      return nf_fail(err, NF_EINPUT, "%s: '%s': the layer feeds no quantizable activation (the softmax stays float)",
                     c->where, item);
    if (m->layers[a].act != NF_ACT_RELU && m->layers[a].act != NF_ACT_LINEAR)
      return nf_fail(err, NF_EINPUT, "%s: '%s': %s activations cannot be quantized (relu, linear)", c->where, item,
                     nf_activation_name(m->layers[a].act));
    m->layers[a].act_q = q;
  } else if (what == 'b') {
    m->layers[d].bias_q = q;
  } else {
    m->layers[d].kernel_q = q;
    if (!bias_given) m->layers[d].bias_q = q.kind == NF_QUANT_BITS ? q : (nf_quantizer){0};
  }
  return NF_OK;
}

static int apply_entry(nf_model *m, char *entry, nf_error *err) {
  spec_ctx c = {entry, ""};
  char *colon = strchr(entry, ':');
  snprintf(c.where, sizeof c.where, "--quant '%s'", entry);
  if (!colon) return nf_fail(err, NF_EINPUT, "%s: expected LAYER:ITEMS (e.g. fc1:w6i0,a6i0)", c.where);
  *colon = '\0';
  char name[NF_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", entry);
  char *items = colon + 1;
  snprintf(c.where, sizeof c.where, "--quant '%s:%s'", name, items);
  int d = -1, a = -1;
  if (!strcmp(name, "input") || !strcmp(name, NF_QAT_INPUT_LAYER)) {
    if (!input_layer(m, err)) return err->code;
    a = nf_model_find_layer(m, NF_QAT_INPUT_LAYER);
  } else {
    int i = nf_model_find_layer(m, name);
    const nf_layer *l = i >= 0 ? &m->layers[i] : NULL;
    if (l && l->kind == NF_LAYER_DENSE) d = i, a = activation_after(m, i);
    else if (l && l->kind == NF_LAYER_ACTIVATION) a = i;
    if (d < 0 && a < 0) {
      char list[800];
      list_names(m, list, sizeof list);
      return nf_fail(err, NF_EINPUT, "%s: '%s' is not a Dense or activation layer (layers: %s)", c.where, name, list);
    }
  }
  /* A bias item anywhere in the entry keeps the w item from setting the bias. */
  char buf[512];
  if (strlen(items) >= sizeof buf) return nf_fail(err, NF_EINPUT, "%s: too long", c.where);
  bool bias_given = false;
  for (const char *p = items; *p; p++)
    if (*p == 'b' && (p == items || p[-1] == ',' || isspace((unsigned char)p[-1])))
      bias_given = true;
  snprintf(buf, sizeof buf, "%s", items);
  char *save = NULL;
  int n_items = 0, rc = NF_OK;
  for (char *it = strtok_r(buf, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save), n_items++) {
    while (isspace((unsigned char)*it)) it++;
    char *e = it + strlen(it);
    while (e > it && isspace((unsigned char)e[-1])) *--e = '\0';
    if (!*it) return nf_fail(err, NF_EINPUT, "%s: empty item", c.where);
    rc = apply_item(m, d, a, it, bias_given, &c, err);
  }
  if (!rc && n_items == 0) rc = nf_fail(err, NF_EINPUT, "%s: no items after ':'", c.where);
  return rc;
}

int nf_qat_apply_spec(nf_model *m, const char *spec, nf_error *err) {
  size_t len = strlen(spec);
  char *copy = nf_malloc(len + 1, err);
  if (!copy) return NF_EINTERNAL;
  memcpy(copy, spec, len + 1);
  int rc = input_layer(m, err) ? NF_OK : err->code, n = 0;
  char *save = NULL;
  for (char *e = strtok_r(copy, ";", &save); e && !rc; e = strtok_r(NULL, ";", &save)) {
    while (isspace((unsigned char)*e)) e++;
    if (!*e) continue;
    rc = apply_entry(m, e, err);
    n++;
  }
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "--quant '%s': no layer settings (expected e.g. fc1:w6i0,a6i0)", spec);
  free(copy);
  return rc;
}

/* ---- QKeras' quantizer_config file ------------------------------------------------- */

static int config_quantizer(const cJSON *v, nf_quantizer *q, const char *path, const char *key, nf_error *err) {
  char where[600];
  snprintf(where, sizeof where, "%s: %s", path, key);
  if (!cJSON_IsString(v)) return nf_fail(err, NF_EINPUT, "%s: expected a quantizer string such as "
                                                       "\"quantized_bits(6,0,alpha=1)\"", where);
  return nf_quantizer_parse(v->valuestring, q, where, err);
}

/* {kernel_quantizer, bias_quantizer} onto Dense layer i. */
static int config_dense(nf_model *m, int i, const cJSON *o, const char *path, const char *key, nf_error *err) {
  if (!cJSON_IsObject(o))
    return nf_fail(err, NF_EINPUT, "%s: %s must be a mapping {kernel_quantizer, bias_quantizer}", path, key);
  const cJSON *item;
  cJSON_ArrayForEach(item, o) {
    char k[300];
    snprintf(k, sizeof k, "%s.%s", key, item->string);
    bool kernel = !strcmp(item->string, "kernel_quantizer");
    if (!kernel && strcmp(item->string, "bias_quantizer"))
      return nf_fail(err, NF_EINPUT, "%s: unknown key '%s' (kernel_quantizer, bias_quantizer)", path, k);
    nf_quantizer q;
    int rc = config_quantizer(item, &q, path, k, err);
    if (rc) return rc;
    if (kernel) m->layers[i].kernel_q = q;
    else m->layers[i].bias_q = q;
  }
  return NF_OK;
}

static int config_activation(nf_model *m, int i, const cJSON *v, const char *path, const char *key, nf_error *err) {
  nf_layer *l = &m->layers[i];
  int rc = config_quantizer(v, &l->act_q, path, key, err);
  if (!rc && (l->act != NF_ACT_RELU && l->act != NF_ACT_LINEAR))
    rc = nf_fail(err, NF_EINPUT, "%s: %s is a %s activation: only relu and linear take a quantizer", path, key,
                 nf_activation_name(l->act));
  if (!rc && l->act_q.kind != NF_QUANT_BITS && l->act_q.kind != NF_QUANT_RELU)
    rc = nf_fail(err, NF_EINPUT, "%s: %s: activations take quantized_relu or quantized_bits", path, key);
  return rc;
}

/* "QDense" and "QActivation" entries: every Dense / every ReLU. */
static int config_classes(nf_model *m, const cJSON *root, const char *path, nf_error *err) {
  const cJSON *dense = cJSON_GetObjectItemCaseSensitive(root, "QDense");
  const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "QActivation");
  int rc = NF_OK;
  for (int i = 0; !rc && i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    if (dense && l->kind == NF_LAYER_DENSE) rc = config_dense(m, i, dense, path, "QDense", err);
    if (act && l->kind == NF_LAYER_ACTIVATION && l->act == NF_ACT_RELU) {
      const cJSON *v = cJSON_IsObject(act) ? cJSON_GetObjectItemCaseSensitive(act, "relu") : act;
      if (v) rc = config_activation(m, i, v, path, "QActivation.relu", err);
    }
  }
  return rc;
}

int nf_qat_apply_config(nf_model *m, const char *path, nf_error *err) {
  cJSON *root = NULL;
  int rc = nf_tree_read(path, &root, err);
  if (!rc && !input_layer(m, err)) rc = err->code;
  if (!rc) rc = config_classes(m, root, path, err);
  const cJSON *item;
  cJSON_ArrayForEach(item, root) {
    if (rc) break;
    const char *key = item->string;
    if (!strcmp(key, "QDense") || !strcmp(key, "QActivation")) continue;
    int i = nf_model_find_layer(m, !strcmp(key, "input") ? NF_QAT_INPUT_LAYER : key);
    const nf_layer *l = i >= 0 ? &m->layers[i] : NULL;
    if (l && l->kind == NF_LAYER_DENSE) {
      rc = config_dense(m, i, item, path, key, err);
    } else if (l && l->kind == NF_LAYER_ACTIVATION) {
      rc = config_activation(m, i, item, path, key, err);
    } else {
      char list[800];
      list_names(m, list, sizeof list);
      rc = nf_fail(err, NF_EINPUT, "%s: '%s' is not QDense, QActivation or a layer to quantize (layers: %s)", path, key,
                   list);
    }
  }
  cJSON_Delete(root);
  return rc;
}

/* ---- Completing ------------------------------------------------------------------------ */

bool nf_model_is_quantized(const nf_model *m) {
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    if (l->kernel_q.kind || l->bias_q.kind || l->act_q.kind) return true;
  }
  return false;
}

int nf_qat_finish(nf_model *m, nf_error *err) {
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    if (l->kind != NF_LAYER_DENSE || l->kernel_q.kind == NF_QUANT_NONE) continue;
    if (l->bias && l->bias_q.kind == NF_QUANT_NONE)
      l->bias_q = l->kernel_q.kind == NF_QUANT_BITS ? l->kernel_q : bits_quantizer(8, 3);
    if (i + 1 < m->n_layers && m->layers[i + 1].kind == NF_LAYER_BATCHNORM)
      return nf_fail(err, NF_EINPUT, "layer '%s': quantization-aware training with a BatchNormalization after a "
                                     "quantized Dense is not supported (folding it would change the quantized "
                                     "weights); train without --batchnorm", l->name);
  }
  if (nf_model_find_layer(m, NF_QAT_INPUT_LAYER) < 0 && nf_model_is_quantized(m) && !input_layer(m, err))
    return err->code;
  return NF_OK;
}
