/* The firmware part of a project directory (rtl/ and tb/), and the record
 * of an explicit network (types, integer weight codes, tables) as a JSON
 * file: the network description of an RTL-only project, which the project
 * stage (src/project) owns. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

/* Codes as "c0 c1 ...": exact for every width (JSON numbers are doubles). */
static char *codes_text(const int64_t *v, long n, nf_error *err) {
  char *s = nf_malloc((size_t)n * 22 + 1, err);
  if (!s) return NULL;
  size_t off = 0;
  s[0] = '\0';
  for (long i = 0; i < n; i++) off += (size_t)sprintf(s + off, i ? " %" PRId64 : "%" PRId64, v ? v[i] : 0);
  return s;
}

static int add_type(cJSON *o, const char *key, const nf_fixed_type *t) {
  char buf[96];
  nf_fixed_type_format(t, buf, sizeof buf);
  return cJSON_AddStringToObject(o, key, buf) ? 0 : 1;
}

static const char *const KIND_NAMES[] = {[NF_RTL_DENSE] = "Dense", [NF_RTL_RELU] = "ReLU", [NF_RTL_SOFTMAX] = "Softmax"};

static cJSON *layer_json(const nf_rtl_layer *L, nf_error *err) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  int bad = !cJSON_AddStringToObject(o, "name", L->name);
  bad |= !cJSON_AddStringToObject(o, "kind", KIND_NAMES[L->kind]);
  bad |= !cJSON_AddNumberToObject(o, "n_in", L->n_in) || !cJSON_AddNumberToObject(o, "n_out", L->n_out);
  bad |= add_type(o, "input_t", &L->input_t) | add_type(o, "result_t", &L->result_t);
  if (L->kind == NF_RTL_DENSE) {
    bad |= add_type(o, "weight_t", &L->weight_t) | add_type(o, "bias_t", &L->bias_t) | add_type(o, "accum_t", &L->accum_t);
    bad |= !cJSON_AddNumberToObject(o, "reuse", L->reuse > 1 ? L->reuse : 1);
    char *w = codes_text(L->weights, (long)L->n_in * L->n_out, err), *b = codes_text(L->bias, L->n_out, err);
    bad |= !w || !b || !cJSON_AddStringToObject(o, "weights", w) || !cJSON_AddStringToObject(o, "bias", b);
    free(w), free(b);
  } else if (L->kind == NF_RTL_SOFTMAX) {
    long n = 1L << L->table_bits;
    bad |= add_type(o, "exp_t", &L->exp_t) | add_type(o, "inv_t", &L->inv_t);
    bad |= !cJSON_AddNumberToObject(o, "table_bits", L->table_bits) || !cJSON_AddBoolToObject(o, "stable", L->stable);
    char *e = codes_text(L->exp_table, n, err), *v = codes_text(L->inv_table, n, err);
    bad |= !e || !v || !cJSON_AddStringToObject(o, "exp_table", e) || !cJSON_AddStringToObject(o, "inv_table", v);
    free(e), free(v);
  }
  if (bad) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int nf_rtl_write_project(const nf_rtl_net *net, const char *project_dir, nf_rtl_info *info, nf_error *err) {
  char rtl[4096], tb[4096];
  snprintf(rtl, sizeof rtl, "%s/rtl", project_dir);
  snprintf(tb, sizeof tb, "%s/tb", project_dir);
  int rc = nf_mkdir_p(rtl, err);
  if (!rc) rc = nf_mkdir_p(tb, err);
  if (!rc) rc = nf_rtl_generate(net, rtl, info, err);
  if (!rc) rc = nf_rtl_write_testbench(net->top, info, tb, err);
  return rc;
}

int nf_rtl_record_save(const nf_rtl_net *net, const char *path, nf_error *err) {
  cJSON *root = cJSON_CreateObject(), *layers = cJSON_AddArrayToObject(root, "layers");
  if (!root || !layers) {
    cJSON_Delete(root);
    return nf_fail_oom(err, "network record");
  }
  int rc = NF_OK;
  cJSON_AddStringToObject(root, "format", "nnfirm rtl design 1");
  cJSON_AddStringToObject(root, "top", net->top);
  cJSON_AddNumberToObject(root, "clock_period_ns", net->clock_period_ns > 0 ? net->clock_period_ns : 5.0);
  for (int l = 0; l < net->n_layers && !rc; l++) {
    cJSON *o = layer_json(&net->layers[l], err);
    if (!o) rc = nf_fail_oom(err, "network record");
    else cJSON_AddItemToArray(layers, o);
  }
  char *text = rc ? NULL : cJSON_Print(root);
  cJSON_Delete(root);
  if (!rc && !text) rc = nf_fail_oom(err, "network record");
  if (!rc) rc = nf_write_file_atomic(path, text, strlen(text), err);
  free(text);
  return rc;
}

/* ---- Loading ------------------------------------------------------------------ */
static const char *str_field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_field(const cJSON *o, const char *key, int *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble != (int)v->valuedouble) return -1;
  *out = (int)v->valuedouble;
  return 0;
}

static int parse_codes(const char *s, long n, int64_t **out, nf_error *err) {
  int64_t *v = nf_calloc((size_t)(n ? n : 1), sizeof *v, err);
  if (!v) return NF_EINTERNAL;
  char *end;
  for (long i = 0; i < n; i++) {
    v[i] = strtoll(s, &end, 10);
    if (end == s) {
      free(v);
      return -1;
    }
    s = end;
  }
  while (*s == ' ') s++;
  if (*s) {
    free(v);
    return -1;
  }
  *out = v;
  return NF_OK;
}

static int keep_array(nf_rtl_record *p, int64_t *a, nf_error *err) {
  int64_t **na = nf_realloc(p->arrays, (size_t)(p->n_arrays + 1) * sizeof *na, err);
  if (!na) {
    free(a);
    return NF_EINTERNAL;
  }
  p->arrays = na;
  p->arrays[p->n_arrays++] = a;
  return NF_OK;
}

static int load_table(const cJSON *o, const char *key, long n, const int64_t **out, nf_rtl_record *p,
                      const char *where, const char *name, nf_error *err) {
  const char *s = str_field(o, key);
  int64_t *v = NULL;
  int rc = s ? parse_codes(s, n, &v, err) : -1;
  if (rc > 0) return rc;
  if (rc < 0) return nf_fail(err, NF_EINPUT, "%s: layer %s: %s is not %ld integer codes", where, name, key, n);
  *out = v;
  return keep_array(p, v, err);
}

static int load_softmax(const cJSON *o, nf_rtl_layer *L, nf_rtl_record *p, const char *where, nf_error *err) {
  const char *tk[] = {"exp_t", "inv_t"};
  nf_fixed_type *tt[] = {&L->exp_t, &L->inv_t};
  for (int i = 0; i < 2; i++) {
    const char *s = str_field(o, tk[i]);
    if (!s) return nf_fail(err, NF_EINPUT, "%s: layer %s lacks %s", where, L->name, tk[i]);
    if (nf_fixed_type_parse(s, tt[i], err)) return nf_fail_context(err, "%s: layer %s, %s", where, L->name, tk[i]);
  }
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "stable");
  if (int_field(o, "table_bits", &L->table_bits) || L->table_bits < 1 || L->table_bits > 20 || !cJSON_IsBool(st))
    return nf_fail(err, NF_EINPUT, "%s: layer %s: table_bits (1..20) or stable missing", where, L->name);
  L->stable = cJSON_IsTrue(st);
  int rc = load_table(o, "exp_table", 1L << L->table_bits, &L->exp_table, p, where, L->name, err);
  return rc ? rc : load_table(o, "inv_table", 1L << L->table_bits, &L->inv_table, p, where, L->name, err);
}

static int load_layer(const cJSON *o, int idx, nf_rtl_layer *L, nf_rtl_record *p, const char *where, nf_error *err) {
  const char *name = str_field(o, "name"), *kind = str_field(o, "kind");
  if (!name || !kind || strlen(name) >= sizeof L->name || int_field(o, "n_in", &L->n_in) ||
      int_field(o, "n_out", &L->n_out) || L->n_in <= 0 || L->n_out <= 0 || L->n_in > 100000 || L->n_out > 100000)
    return nf_fail(err, NF_EINPUT, "%s: layers[%d] lacks a valid name, kind, n_in or n_out", where, idx);
  snprintf(L->name, sizeof L->name, "%s", name);
  int k = 0;
  while (k < 3 && strcmp(kind, KIND_NAMES[k])) k++;
  if (k == 3) return nf_fail(err, NF_EINPUT, "%s: layer %s has unknown kind '%s'", where, name, kind);
  L->kind = (nf_rtl_kind)k;
  const char *tk[] = {"input_t", "result_t", "weight_t", "bias_t", "accum_t"};
  nf_fixed_type *tt[] = {&L->input_t, &L->result_t, &L->weight_t, &L->bias_t, &L->accum_t};
  int nt = L->kind == NF_RTL_DENSE ? 5 : 2;
  for (int i = 0; i < nt; i++) {
    const char *s = str_field(o, tk[i]);
    if (!s) return nf_fail(err, NF_EINPUT, "%s: layer %s lacks %s", where, name, tk[i]);
    if (nf_fixed_type_parse(s, tt[i], err)) return nf_fail_context(err, "%s: layer %s, %s", where, name, tk[i]);
  }
  if (L->kind == NF_RTL_RELU) return NF_OK;
  if (L->kind == NF_RTL_SOFTMAX) return load_softmax(o, L, p, where, err);
  if (int_field(o, "reuse", &L->reuse) || L->reuse < 1)
    return nf_fail(err, NF_EINPUT, "%s: layer %s: reuse must be a positive integer", where, name);
  const char *ws = str_field(o, "weights"), *bs = str_field(o, "bias");
  int64_t *w = NULL, *b = NULL;
  int rc = ws ? parse_codes(ws, (long)L->n_in * L->n_out, &w, err) : -1;
  if (rc > 0) return rc;
  if (rc < 0) return nf_fail(err, NF_EINPUT, "%s: layer %s: weights are not %d x %d integer codes", where, name, L->n_in, L->n_out);
  if ((rc = keep_array(p, w, err))) return rc;
  rc = bs ? parse_codes(bs, L->n_out, &b, err) : -1;
  if (rc > 0) return rc;
  if (rc < 0) return nf_fail(err, NF_EINPUT, "%s: layer %s: bias is not %d integer codes", where, name, L->n_out);
  if ((rc = keep_array(p, b, err))) return rc;
  L->weights = w;
  L->bias = b;
  return NF_OK;
}

int nf_rtl_record_load(const char *path, nf_rtl_record *p, nf_error *err) {
  memset(p, 0, sizeof *p);
  char *text = NULL;
  if (access(path, R_OK) != 0) return nf_fail(err, NF_EINPUT, "%s: missing", path);
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return rc;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!root) return nf_fail(err, NF_EINPUT, "%s: not valid JSON (edited by hand?)", path);
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  const char *top = str_field(root, "top");
  const cJSON *clk = cJSON_GetObjectItemCaseSensitive(root, "clock_period_ns");
  int n = cJSON_GetArraySize(layers);
  if (!top || strlen(top) >= sizeof p->top || !cJSON_IsArray(layers) || n < 1 || n > 1000 || !cJSON_IsNumber(clk))
    rc = nf_fail(err, NF_EINPUT, "%s: lacks top, clock_period_ns or layers", path);
  if (!rc && !(p->layers = nf_calloc((size_t)n, sizeof *p->layers, err))) rc = NF_EINTERNAL;
  for (int l = 0; l < n && !rc; l++) rc = load_layer(cJSON_GetArrayItem(layers, l), l, &p->layers[l], p, path, err);
  if (!rc) {
    snprintf(p->top, sizeof p->top, "%s", top);
    p->net = (nf_rtl_net){.top = p->top, .n_layers = n, .layers = p->layers, .clock_period_ns = clk->valuedouble};
  }
  cJSON_Delete(root);
  if (rc) nf_rtl_record_free(p);
  return rc;
}

void nf_rtl_record_free(nf_rtl_record *p) {
  for (int i = 0; i < p->n_arrays; i++) free(p->arrays[i]);
  free(p->arrays);
  free(p->layers);
  memset(p, 0, sizeof *p);
}
