/* Saving and loading a design in a project directory: design.json holds
 * every layer's types and integer codes (exact, as decimal text), so the
 * emulator can run a project without the source model. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

static char *codes_text(const int64_t *v, long n) {
  char *s = malloc((size_t)n * 22 + 1);
  if (!s) return NULL;
  size_t off = 0;
  s[0] = '\0';
  for (long i = 0; i < n; i++) off += (size_t)sprintf(s + off, i ? " %" PRId64 : "%" PRId64, v[i]);
  return s;
}

static bool add_type(cJSON *o, const char *key, const nf_fixed_type *t) {
  char buf[96];
  nf_fixed_type_format(t, buf, sizeof buf);
  return cJSON_AddStringToObject(o, key, buf) != NULL;
}

/* Weight codes of a node: Dense n_in x n_out, Conv kh x kw x C x F,
 * a standalone BatchNormalization one per channel. */
static long weight_count(const nf_design_layer *l) {
  int h, w, c;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  if (l->kind == NF_LAYER_DENSE) return (long)l->n_in * l->n_out;
  if (l->kind == NF_LAYER_CONV) return (long)l->ksize[0] * l->ksize[1] * c * l->filters;
  if (l->kind == NF_LAYER_BATCHNORM) return c;
  return 0;
}

static long bias_count(const nf_design_layer *l) {
  return l->kind == NF_LAYER_DENSE ? l->n_out : l->kind == NF_LAYER_CONV ? l->filters : weight_count(l);
}

static cJSON *ints_json(const int *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++)
    if (!cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]))) {
      cJSON_Delete(a);
      return NULL;
    }
  return a;
}

static bool add_ints(cJSON *o, const char *key, const int *v, int n) {
  cJSON *a = ints_json(v, n);
  return a && cJSON_AddItemToObject(o, key, a);
}

static cJSON *layer_json(const nf_design_layer *l) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "name", l->name) &&
            cJSON_AddStringToObject(o, "kind", nf_layer_kind_name(l->kind)) &&
            cJSON_AddNumberToObject(o, "n_in", l->n_in) && cJSON_AddNumberToObject(o, "n_out", l->n_out) &&
            add_type(o, "input_t", &l->input_t) && add_type(o, "result_t", &l->result_t);
  if (ok && (l->in_shape.rank > 1 || l->out_shape.rank > 1)) /* convolutional designs: the shapes too */
    ok = add_ints(o, "in_shape", l->in_shape.dim, l->in_shape.rank) &&
         add_ints(o, "out_shape", l->out_shape.dim, l->out_shape.rank);
  if (ok && (l->kind == NF_LAYER_CONV || l->kind == NF_LAYER_POOL || l->kind == NF_LAYER_ZEROPAD))
    ok = add_ints(o, "ksize", l->ksize, 2) && add_ints(o, "stride", l->stride, 2) && add_ints(o, "pad", l->pad, 4) &&
         cJSON_AddNumberToObject(o, "filters", l->filters) &&
         cJSON_AddStringToObject(o, "pool", l->pool_op == NF_POOL_MAX ? "max" : "average") &&
         cJSON_AddBoolToObject(o, "global", l->pool_global);
  if (ok && l->kind == NF_LAYER_POOL) ok = add_type(o, "accum_t", &l->accum_t);
  if (ok && l->kind == NF_LAYER_CONV) {
    char *w = codes_text(l->weights, weight_count(l)), *b = codes_text(l->bias, bias_count(l));
    ok = w && b && add_type(o, "weight_t", &l->weight_t) && add_type(o, "bias_t", &l->bias_t) &&
         add_type(o, "accum_t", &l->accum_t) && cJSON_AddNumberToObject(o, "reuse_factor", l->reuse_factor) &&
         (!l->parallelization_factor || cJSON_AddNumberToObject(o, "parallelization_factor", l->parallelization_factor)) &&
         cJSON_AddStringToObject(o, "weights", w) && cJSON_AddStringToObject(o, "bias", b);
    free(w);
    free(b);
  } else if (ok && l->kind == NF_LAYER_QUANT) { /* each element's type; null: the constant 0 */
    cJSON *a = cJSON_AddArrayToObject(o, "elem_t");
    ok = a != NULL;
    for (int j = 0; ok && j < l->n_out; j++) {
      char t[96];
      if (l->elem_t[j].width) nf_fixed_type_format(&l->elem_t[j], t, sizeof t);
      ok = cJSON_AddItemToArray(a, l->elem_t[j].width ? cJSON_CreateString(t) : cJSON_CreateNull());
    }
  } else if (ok && (l->kind == NF_LAYER_POOL || l->kind == NF_LAYER_ZEROPAD || l->kind == NF_LAYER_RESHAPE)) {
    /* geometry and types only */
  } else if (ok && l->kind == NF_LAYER_DENSE) {
    char *w = codes_text(l->weights, (long)l->n_in * l->n_out), *b = codes_text(l->bias, l->n_out);
    ok = w && b && add_type(o, "weight_t", &l->weight_t) && add_type(o, "bias_t", &l->bias_t) &&
         add_type(o, "accum_t", &l->accum_t) && cJSON_AddNumberToObject(o, "reuse_factor", l->reuse_factor) &&
         cJSON_AddStringToObject(o, "weights", w) && cJSON_AddStringToObject(o, "bias", b);
    free(w);
    free(b);
  } else if (ok && l->kind == NF_LAYER_BATCHNORM) { /* thresholds or an affine (convert.h) */
    char *w = codes_text(l->weights, weight_count(l)), *b = codes_text(l->bias, weight_count(l)); /* per channel */
    ok = w && b && add_type(o, "weight_t", &l->weight_t) && add_type(o, "bias_t", &l->bias_t) &&
         cJSON_AddStringToObject(o, "activation", nf_activation_name(l->act)) &&
         cJSON_AddStringToObject(o, "weights", w) && cJSON_AddStringToObject(o, "bias", b);
    free(w);
    free(b);
  } else if (ok) {
    ok = cJSON_AddStringToObject(o, "activation", nf_activation_name(l->act)) != NULL;
    if (ok && nf_act_param_count(l->act, l->n_in)) { /* hls4ml's param */
      char *w = codes_text(l->weights, nf_act_param_count(l->act, l->n_in));
      ok = w && add_type(o, "param_t", &l->weight_t) && cJSON_AddStringToObject(o, "param", w);
      free(w);
    }
    if (ok && l->table.size) /* hls4ml's activation table follows from these */
      ok = cJSON_AddNumberToObject(o, "table_size", l->table.size) && add_type(o, "table_t", &l->table.table_t);
    if (ok && l->act == NF_ACT_SOFTMAX) /* the tables follow from these */
      ok = cJSON_AddNumberToObject(o, "table_size", l->softmax.table_size) &&
           add_type(o, "exp_table_t", &l->softmax.exp_t) && add_type(o, "inv_table_t", &l->softmax.inv_t) &&
           cJSON_AddStringToObject(o, "implementation", l->softmax.stable ? "stable" : "latency");
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *floats_json(const float *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

int nf_design_save(const nf_design *d, const char *dir, nf_error *err) {
  cJSON *o = cJSON_CreateObject(), *layers = cJSON_CreateArray();
  bool ok = o && layers && cJSON_AddNumberToObject(o, "format", 1) && cJSON_AddStringToObject(o, "project", d->project) &&
            cJSON_AddNumberToObject(o, "n_inputs", d->n_inputs) && add_type(o, "input_t", &d->input_t) &&
            cJSON_AddNumberToObject(o, "n_hw", d->n_hw) &&
            cJSON_AddStringToObject(o, "strategy", d->strategy) && cJSON_AddStringToObject(o, "io_type", d->io_type) &&
            cJSON_AddStringToObject(o, "part", d->part) && cJSON_AddNumberToObject(o, "clock_period_ns", d->clock_period_ns);
  if (ok && d->pipeline_derate_ns != 0) ok = cJSON_AddNumberToObject(o, "pipeline_derate_ns", d->pipeline_derate_ns) != NULL;
  if (ok && d->line_bram_bits != 0) ok = cJSON_AddNumberToObject(o, "line_bram_bits", (double)d->line_bram_bits) != NULL;
  if (ok && d->cmm != NF_CMM_CSD) ok = cJSON_AddStringToObject(o, "constant_matrix", nf_design_cmm_name(d->cmm)) != NULL;
  if (ok) ok = cJSON_AddNumberToObject(o, "lut_neuron_bits", d->lut_bits) != NULL;
  if (ok) ok = cJSON_AddBoolToObject(o, "relu_fusion", d->relu_fusion) != NULL;
  if (ok && d->scaler_mean) {
    cJSON_AddItemToObject(o, "scaler_mean", floats_json(d->scaler_mean, d->n_inputs));
    cJSON_AddItemToObject(o, "scaler_scale", floats_json(d->scaler_scale, d->n_inputs));
  }
  if (ok && d->class_names) {
    cJSON *names = cJSON_CreateStringArray((const char *const *)d->class_names, d->n_outputs);
    ok = names && cJSON_AddItemToObject(o, "class_names", names);
  }
  for (int i = 0; ok && i < d->n_layers; i++) {
    cJSON *l = layer_json(&d->layers[i]);
    ok = l && cJSON_AddItemToArray(layers, l);
  }
  if (ok) ok = cJSON_AddItemToObject(o, "layers", layers);
  else cJSON_Delete(layers);
  char *text = ok ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (!text) return nf_fail_oom(err, "design.json");
  char path[4096];
  snprintf(path, sizeof path, "%s/design.json", dir);
  int rc = nf_write_file_atomic(path, text, strlen(text), err);
  free(text);
  return rc;
}

/* ---- Loading ------------------------------------------------------------------ */
typedef struct {
  const char *path;
  nf_error *err;
} loader;

static int get_type(loader *L, const cJSON *o, const char *key, nf_fixed_type *t, const char *where) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) return nf_fail(L->err, NF_EINPUT, "%s: %s: missing '%s'", L->path, where, key);
  if (nf_fixed_type_parse(v->valuestring, t, L->err)) return nf_fail_context(L->err, "%s: %s.%s", L->path, where, key);
  return NF_OK;
}

static int get_int(loader *L, const cJSON *o, const char *key, int lo, int hi, int *out, const char *where) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi || v->valuedouble != (int)v->valuedouble)
    return nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' must be an integer in %d..%d", L->path, where, key, lo, hi);
  *out = (int)v->valuedouble;
  return NF_OK;
}

static int get_codes(loader *L, const cJSON *o, const char *key, long n, const nf_fixed_type *t, int64_t **out,
                     const char *where) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) return nf_fail(L->err, NF_EINPUT, "%s: %s: missing '%s'", L->path, where, key);
  int64_t *a = nf_malloc((size_t)(n ? n : 1) * sizeof *a, L->err);
  if (!a) return NF_EINTERNAL;
  const char *s = v->valuestring;
  for (long i = 0; i < n; i++) {
    char *end;
    long long x = strtoll(s, &end, 10);
    if (end == s || x < (long long)nf_fixed_min_code(t) || x > (long long)nf_fixed_max_code(t)) {
      free(a);
      return nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' entry %ld is missing or outside its type", L->path, where, key, i);
    }
    a[i] = x;
    s = end;
  }
  *out = a;
  return NF_OK;
}

/* An optional list of n ints in [lo, hi] under key (absent: out unchanged). */
static int get_ints(loader *L, const cJSON *o, const char *key, int n, int lo, int hi, int *out, const char *where) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
    return nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' must be a list of %d integers", L->path, where, key, n);
  for (int i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi || v->valuedouble != (int)v->valuedouble)
      return nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' holds a value outside [%d, %d]", L->path, where, key, lo, hi);
    out[i] = (int)v->valuedouble;
  }
  return NF_OK;
}

/* An optional shape of `size` values (absent: *s unchanged). */
static int get_shape(loader *L, const cJSON *o, const char *key, int size, nf_shape *s, const char *where) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!a) return NF_OK;
  int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
  if (n < 1 || n > NF_SHAPE_MAX_RANK)
    return nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' must be a list of 1 to 3 integers", L->path, where, key);
  nf_shape t = {.rank = n};
  int rc = get_ints(L, o, key, n, 1, 1 << 20, t.dim, where);
  if (!rc && nf_shape_size(t) != size)
    rc = nf_fail(L->err, NF_EINPUT, "%s: %s: '%s' has %ld values, the node %d", L->path, where, key, nf_shape_size(t), size);
  if (!rc) *s = t;
  return rc;
}

static int load_layer(loader *L, const cJSON *o, nf_design_layer *l, int width) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name"), *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
  if (!cJSON_IsString(name) || !cJSON_IsString(kind) || strlen(name->valuestring) >= NF_NAME_MAX)
    return nf_fail(L->err, NF_EINPUT, "%s: a layer lacks its name or kind", L->path);
  snprintf(l->name, sizeof l->name, "%s", name->valuestring);
  char where[NF_NAME_MAX + 16];
  snprintf(where, sizeof where, "layer '%s'", l->name);
  int rc = get_int(L, o, "n_in", 1, 1 << 20, &l->n_in, where);
  if (!rc) rc = get_int(L, o, "n_out", 1, 1 << 20, &l->n_out, where);
  if (!rc && l->n_in != width) rc = nf_fail(L->err, NF_EINPUT, "%s: %s takes %d inputs, receives %d", L->path, where, l->n_in, width);
  if (!rc) rc = get_type(L, o, "input_t", &l->input_t, where);
  if (!rc) rc = get_type(L, o, "result_t", &l->result_t, where);
  if (rc) return rc;
  l->in_shape = nf_shape_1d(l->n_in); /* flat unless the node says otherwise */
  l->out_shape = nf_shape_1d(l->n_out);
  if (!rc) rc = get_shape(L, o, "in_shape", l->n_in, &l->in_shape, where);
  if (!rc) rc = get_shape(L, o, "out_shape", l->n_out, &l->out_shape, where);
  if (rc) return rc;
  const char *k = kind->valuestring;
  bool conv = !strcmp(k, "Conv"), pool = !strcmp(k, "Pooling"), zeropad = !strcmp(k, "ZeroPadding");
  if (conv || pool || zeropad) {
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "pool"), *g = cJSON_GetObjectItemCaseSensitive(o, "global");
    rc = get_ints(L, o, "ksize", 2, 0, 4096, l->ksize, where);
    if (!rc) rc = get_ints(L, o, "stride", 2, 0, 4096, l->stride, where);
    if (!rc) rc = get_ints(L, o, "pad", 4, 0, 4096, l->pad, where);
    if (!rc) rc = get_int(L, o, "filters", 0, 65536, &l->filters, where);
    if (!rc && (!cJSON_IsString(op) || (strcmp(op->valuestring, "max") && strcmp(op->valuestring, "average")) ||
                !cJSON_IsBool(g)))
      rc = nf_fail(L->err, NF_EINPUT, "%s: %s: 'pool' must be \"max\" or \"average\" and 'global' a boolean", L->path,
                   where);
    if (rc) return rc;
    l->pool_op = !strcmp(op->valuestring, "max") ? NF_POOL_MAX : NF_POOL_AVG;
    l->pool_global = cJSON_IsTrue(g);
    int h, w, c, ho, wo, co;
    nf_shape_hwc(l->in_shape, &h, &w, &c);
    nf_shape_hwc(l->out_shape, &ho, &wo, &co);
    bool fits = l->in_shape.rank >= 2 && (zeropad || l->pool_global || (l->ksize[0] >= 1 && l->ksize[1] >= 1 &&
                                                                         l->stride[0] >= 1 && l->stride[1] >= 1));
    if (fits && conv) fits = co == l->filters && ho == (h + l->pad[0] + l->pad[1] - l->ksize[0]) / l->stride[0] + 1 &&
                             wo == (w + l->pad[2] + l->pad[3] - l->ksize[1]) / l->stride[1] + 1;
    if (!fits) return nf_fail(L->err, NF_EINPUT, "%s: %s: window geometry disagrees with its shapes", L->path, where);
  }
  if (pool) {
    l->kind = NF_LAYER_POOL;
    return get_type(L, o, "accum_t", &l->accum_t, where);
  }
  if (zeropad || !strcmp(k, "Reshape")) {
    l->kind = zeropad ? NF_LAYER_ZEROPAD : NF_LAYER_RESHAPE;
    return NF_OK;
  }
  if (conv) {
    l->kind = NF_LAYER_CONV;
    rc = get_type(L, o, "weight_t", &l->weight_t, where);
    if (!rc) rc = get_type(L, o, "bias_t", &l->bias_t, where);
    if (!rc) rc = get_type(L, o, "accum_t", &l->accum_t, where);
    if (!rc) rc = get_int(L, o, "reuse_factor", 1, 1 << 20, &l->reuse_factor, where);
    if (!rc && cJSON_GetObjectItemCaseSensitive(o, "parallelization_factor"))
      rc = get_int(L, o, "parallelization_factor", 1, 1 << 20, &l->parallelization_factor, where);
    if (!rc && weight_count(l) > (1L << 24)) rc = nf_fail(L->err, NF_EINPUT, "%s: %s: too many weights", L->path, where);
    if (!rc) rc = get_codes(L, o, "weights", weight_count(l), &l->weight_t, &l->weights, where);
    if (!rc) rc = get_codes(L, o, "bias", bias_count(l), &l->bias_t, &l->bias, where);
    return rc;
  }
  if (!strcmp(kind->valuestring, "Dense")) {
    l->kind = NF_LAYER_DENSE;
    rc = get_type(L, o, "weight_t", &l->weight_t, where);
    if (!rc) rc = get_type(L, o, "bias_t", &l->bias_t, where);
    if (!rc) rc = get_type(L, o, "accum_t", &l->accum_t, where);
    if (!rc) rc = get_int(L, o, "reuse_factor", 1, 1 << 20, &l->reuse_factor, where);
    if (!rc) rc = get_codes(L, o, "weights", (long)l->n_in * l->n_out, &l->weight_t, &l->weights, where);
    if (!rc) rc = get_codes(L, o, "bias", l->n_out, &l->bias_t, &l->bias, where);
    return rc;
  }
  if (!strcmp(k, "FixedPointQuantizer")) {
    l->kind = NF_LAYER_QUANT;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "elem_t");
    if (l->n_in != l->n_out || !cJSON_IsArray(a) || cJSON_GetArraySize(a) != l->n_out)
      return nf_fail(L->err, NF_EINPUT, "%s: %s: 'elem_t' must list one type (or null) per value", L->path, where);
    if (!(l->elem_t = nf_calloc((size_t)l->n_out, sizeof *l->elem_t, L->err))) return NF_EINTERNAL;
    for (int j = 0; j < l->n_out; j++) {
      const cJSON *t = cJSON_GetArrayItem(a, j);
      if (cJSON_IsNull(t)) continue; /* width 0: the constant 0 */
      if (!cJSON_IsString(t) || nf_fixed_type_parse(t->valuestring, &l->elem_t[j], L->err))
        return nf_fail(L->err, NF_EINPUT, "%s: %s: elem_t entry %d is not a type", L->path, where, j);
    }
    return NF_OK;
  }
  const cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "activation");
  if (!strcmp(kind->valuestring, "BatchNormalization")) {
    l->kind = NF_LAYER_BATCHNORM;
    l->reuse_factor = 1;
    if (!cJSON_IsString(act) || nf_activation_parse(act->valuestring, &l->act) || l->n_in != l->n_out ||
        !(l->act == NF_ACT_LINEAR || l->act == NF_ACT_BINARY_TANH || l->act == NF_ACT_TERNARY_TANH ||
          l->act == NF_ACT_BIPOLAR))
      return nf_fail(L->err, NF_EINPUT, "%s: %s: not a valid BatchNormalization layer", L->path, where);
    rc = get_type(L, o, "weight_t", &l->weight_t, where);
    if (!rc) rc = get_type(L, o, "bias_t", &l->bias_t, where);
    if (!rc) rc = get_codes(L, o, "weights", weight_count(l), &l->weight_t, &l->weights, where);
    if (!rc) rc = get_codes(L, o, "bias", weight_count(l), &l->bias_t, &l->bias, where);
    l->accum_t = l->act == NF_ACT_LINEAR ? l->result_t : l->input_t;
    return rc;
  }
  l->kind = NF_LAYER_ACTIVATION;
  if (!cJSON_IsString(act) || nf_activation_parse(act->valuestring, &l->act) || l->n_in != l->n_out)
    return nf_fail(L->err, NF_EINPUT, "%s: %s: not a valid activation layer", L->path, where);
  if (nf_act_param_count(l->act, l->n_in)) {
    rc = get_type(L, o, "param_t", &l->weight_t, where);
    if (!rc) rc = get_codes(L, o, "param", nf_act_param_count(l->act, l->n_in), &l->weight_t, &l->weights, where);
    if (rc || l->act != NF_ACT_ELU) return rc;
  }
  if (nf_act_has_table(l->act)) {
    rc = get_int(L, o, "table_size", 2, 1 << 20, &l->table.size, where);
    if (!rc) rc = get_type(L, o, "table_t", &l->table.table_t, where);
    if (!rc && nf_act_table_build(&l->table, l->act, l->name, L->err)) rc = nf_fail_context(L->err, "%s", L->path);
    return rc;
  }
  if (l->act != NF_ACT_SOFTMAX) return NF_OK;
  nf_softmax_tables *s = &l->softmax;
  const cJSON *impl = cJSON_GetObjectItemCaseSensitive(o, "implementation");
  rc = get_int(L, o, "table_size", 2, 1 << 20, &s->table_size, where);
  if (!rc) rc = get_type(L, o, "exp_table_t", &s->exp_t, where);
  if (!rc) rc = get_type(L, o, "inv_table_t", &s->inv_t, where);
  if (!rc && (!cJSON_IsString(impl) || nf_softmax_parse_implementation(impl->valuestring, &s->stable)))
    rc = nf_fail(L->err, NF_EINPUT, "%s: %s: 'implementation' must be \"stable\" or \"latency\"", L->path, where);
  if (!rc && nf_softmax_tables_build(s, &l->input_t, l->name, L->err)) rc = nf_fail_context(L->err, "%s", L->path);
  return rc;
}

static int load_floats(loader *L, const cJSON *o, const char *key, int n, float **out) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!a) return NF_OK;
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
    return nf_fail(L->err, NF_EINPUT, "%s: '%s' must be an array of %d numbers", L->path, key, n);
  float *v = nf_malloc((size_t)n * sizeof *v, L->err);
  if (!v) return NF_EINTERNAL;
  for (int i = 0; i < n; i++) {
    const cJSON *x = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(x)) {
      free(v);
      return nf_fail(L->err, NF_EINPUT, "%s: '%s'[%d] is not a number", L->path, key, i);
    }
    v[i] = (float)x->valuedouble;
  }
  *out = v;
  return NF_OK;
}

/* The design-wide settings nf_design_save writes (older files lack some:
 * then the configuration defaults). The clock period matters: it decides
 * the RTL's pipeline stages, which 'nnfirm estimate' recounts from here. */
static void read_globals_back(const cJSON *o, nf_design *d) {
  const cJSON *v;
  snprintf(d->strategy, sizeof d->strategy, "%s",
           cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "strategy")) ? v->valuestring : "Latency");
  snprintf(d->io_type, sizeof d->io_type, "%s",
           cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "io_type")) ? v->valuestring : "io_parallel");
  snprintf(d->part, sizeof d->part, "%s", cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "part")) ? v->valuestring : "xcvu9p");
  v = cJSON_GetObjectItemCaseSensitive(o, "clock_period_ns");
  d->clock_period_ns = cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble <= 1000 ? v->valuedouble : 5.0;
  v = cJSON_GetObjectItemCaseSensitive(o, "pipeline_derate_ns");
  d->pipeline_derate_ns = cJSON_IsNumber(v) && fabs(v->valuedouble) < d->clock_period_ns ? v->valuedouble : 0;
  v = cJSON_GetObjectItemCaseSensitive(o, "line_bram_bits");
  d->line_bram_bits = cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= (double)(1L << 30) ? (long)v->valuedouble : 0;
  v = cJSON_GetObjectItemCaseSensitive(o, "constant_matrix");
  int cmm = cJSON_IsString(v) ? nf_design_cmm_parse(v->valuestring) : -1;
  d->cmm = cmm > 0 ? cmm : NF_CMM_CSD;
  v = cJSON_GetObjectItemCaseSensitive(o, "lut_neuron_bits"); /* absent (older projects): off */
  d->lut_bits = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= NF_LUT_BITS_MAX ? (int)v->valuedouble : 0;
  d->relu_fusion = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "relu_fusion")); /* absent (older projects): off */
}

int nf_design_load(const char *dir, nf_design **out, nf_error *err) {
  char path[4096], *text;
  snprintf(path, sizeof path, "%s/design.json", dir);
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return nf_fail(err, NF_EINPUT, "%s: not a project written by 'nnfirm convert' (no design.json)", dir);
  cJSON *o = cJSON_Parse(text);
  free(text);
  loader L = {path, err};
  if (!o) return nf_fail(err, NF_EINPUT, "%s: not valid JSON (edited by hand?)", path);
  nf_design *d = nf_calloc(1, sizeof *d, err);
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(o, "layers");
  int n = cJSON_GetArraySize(layers);
  rc = !d ? NF_EINTERNAL : NF_OK;
  if (!rc && (!cJSON_IsArray(layers) || n < 1 || n > 10000)) rc = nf_fail(err, NF_EINPUT, "%s: no layers", path);
  if (!rc && !(d->layers = nf_calloc((size_t)n, sizeof *d->layers, err))) rc = NF_EINTERNAL;
  if (!rc) rc = get_int(&L, o, "n_inputs", 1, 1 << 20, &d->n_inputs, "design");
  if (!rc) rc = get_type(&L, o, "input_t", &d->input_t, "design");
  const cJSON *proj = cJSON_GetObjectItemCaseSensitive(o, "project");
  if (!rc) snprintf(d->project, sizeof d->project, "%s", cJSON_IsString(proj) ? proj->valuestring : "myproject");
  if (!rc) read_globals_back(o, d);
  int width = d ? d->n_inputs : 0;
  for (int i = 0; !rc && i < n; i++) {
    d->n_layers = i + 1;
    rc = load_layer(&L, cJSON_GetArrayItem(layers, i), &d->layers[i], width);
    width = d->layers[i].n_out;
  }
  const cJSON *hw = cJSON_GetObjectItemCaseSensitive(o, "n_hw");
  if (!rc && hw) rc = get_int(&L, o, "n_hw", 1, d->n_layers, &d->n_hw, "design");
  else if (!rc) d->n_hw = d->n_layers;
  if (!rc) {
    d->n_outputs = width;
    rc = load_floats(&L, o, "scaler_mean", d->n_inputs, &d->scaler_mean);
    if (!rc) rc = load_floats(&L, o, "scaler_scale", d->n_inputs, &d->scaler_scale);
    if (!rc && !d->scaler_mean != !d->scaler_scale) rc = nf_fail(err, NF_EINPUT, "%s: half a scaler", path);
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "class_names");
    if (!rc && cJSON_IsArray(names) && cJSON_GetArraySize(names) == d->n_outputs) {
      d->class_names = nf_calloc((size_t)d->n_outputs, sizeof(char *), err);
      if (!d->class_names) rc = NF_EINTERNAL;
      for (int i = 0; !rc && i < d->n_outputs; i++) {
        const cJSON *s = cJSON_GetArrayItem(names, i);
        if (!(d->class_names[i] = nf_strdup(cJSON_IsString(s) ? s->valuestring : "?", err))) rc = NF_EINTERNAL;
      }
    }
  }
  cJSON_Delete(o);
  if (rc) {
    nf_design_free(d);
    return rc;
  }
  *out = d;
  return NF_OK;
}
