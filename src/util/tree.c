/* JSON or YAML files as one cJSON tree. libyaml only gives an event stream
 * (no document tree we could use), so the mapping of its events onto cJSON
 * nodes is written here by hand; cJSON parses the JSON. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "nnfirm/util.h"

/* ---- YAML to cJSON -------------------------------------------------------- */
static cJSON *yaml_scalar(const yaml_event_t *e) {
  const char *v = (const char *)e->data.scalar.value;
  if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
    double d;
    if (nf_parse_double(v, &d)) return cJSON_CreateNumber(d);
    if (!strcmp(v, "true") || !strcmp(v, "True")) return cJSON_CreateTrue();
    if (!strcmp(v, "false") || !strcmp(v, "False")) return cJSON_CreateFalse();
    if (!strcmp(v, "null") || !strcmp(v, "~") || !v[0]) return cJSON_CreateNull();
  }
  return cJSON_CreateString(v);
}

/* Recursive descent over the event stream; *done set at document end. */
static cJSON *yaml_node(yaml_parser_t *p, yaml_event_t *first, const char *origin, nf_error *err, int depth) {
  if (depth > 64) {
    nf_fail(err, NF_EINPUT, "%s: YAML nested too deeply", origin);
    return NULL;
  }
  if (first->type == YAML_SCALAR_EVENT) return yaml_scalar(first);
  if (first->type == YAML_ALIAS_EVENT) {
    nf_fail(err, NF_EINPUT, "%s:%zu: YAML aliases are not supported", origin, first->start_mark.line + 1);
    return NULL;
  }
  bool mapping = first->type == YAML_MAPPING_START_EVENT;
  if (!mapping && first->type != YAML_SEQUENCE_START_EVENT) {
    nf_fail(err, NF_EINPUT, "%s:%zu: unexpected YAML structure", origin, first->start_mark.line + 1);
    return NULL;
  }
  cJSON *node = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!node) {
    nf_fail_oom(err, origin);
    return NULL;
  }
  for (;;) {
    yaml_event_t e;
    if (!yaml_parser_parse(p, &e)) {
      nf_fail(err, NF_EINPUT, "%s:%zu:%zu: YAML error: %s", origin, p->problem_mark.line + 1,
              p->problem_mark.column + 1, p->problem ? p->problem : "malformed");
      cJSON_Delete(node);
      return NULL;
    }
    if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&e);
      return node;
    }
    char *key = NULL;
    if (mapping) {
      if (e.type != YAML_SCALAR_EVENT) {
        nf_fail(err, NF_EINPUT, "%s:%zu: mapping keys must be plain scalars", origin, e.start_mark.line + 1);
        yaml_event_delete(&e);
        cJSON_Delete(node);
        return NULL;
      }
      key = nf_strdup((const char *)e.data.scalar.value, err);
      yaml_event_delete(&e);
      if (!key) {
        cJSON_Delete(node);
        return NULL;
      }
      if (!yaml_parser_parse(p, &e)) {
        nf_fail(err, NF_EINPUT, "%s:%zu:%zu: YAML error: %s", origin, p->problem_mark.line + 1,
                p->problem_mark.column + 1, p->problem ? p->problem : "malformed");
        free(key);
        cJSON_Delete(node);
        return NULL;
      }
    }
    cJSON *child = yaml_node(p, &e, origin, err, depth + 1);
    yaml_event_delete(&e);
    if (!child || (mapping && !key)) {
      free(key);
      cJSON_Delete(child);
      cJSON_Delete(node);
      return NULL;
    }
    if (mapping) {
      if (cJSON_GetObjectItemCaseSensitive(node, key)) cJSON_DeleteItemFromObjectCaseSensitive(node, key);
      cJSON_AddItemToObject(node, key, child);
    } else {
      cJSON_AddItemToArray(node, child);
    }
    free(key);
  }
}

static cJSON *parse_yaml(const char *text, size_t len, const char *origin, nf_error *err) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    nf_fail_oom(err, "YAML parser");
    return NULL;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  cJSON *root = NULL;
  for (bool done = false; !done;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&p, &e)) {
      nf_fail(err, NF_EINPUT, "%s:%zu:%zu: YAML error: %s", origin, p.problem_mark.line + 1, p.problem_mark.column + 1,
              p.problem ? p.problem : "malformed");
      cJSON_Delete(root);
      root = NULL;
      break;
    }
    switch (e.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_SCALAR_EVENT:
      if (!root) {
        root = yaml_node(&p, &e, origin, err, 0);
        if (!root) done = true;
      }
      break;
    default: break;
    }
    yaml_event_delete(&e);
  }
  yaml_parser_delete(&p);
  if (root && !cJSON_IsObject(root)) {
    nf_fail(err, NF_EINPUT, "%s: the configuration must be a mapping of keys", origin);
    cJSON_Delete(root);
    return NULL;
  }
  if (!root && err && !err->code) nf_fail(err, NF_EINPUT, "%s: empty file", origin);
  return root;
}

/* ---- Loading ---------------------------------------------------------------- */
/* JSON when the text starts with '{' (cJSON), YAML otherwise (libyaml). */
cJSON *nf_tree_parse(const char *text, size_t len, const char *origin, nf_error *err) {
  size_t i = 0;
  while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) i++;
  if (!(i < len && text[i] == '{')) return parse_yaml(text, len, origin, err);
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root) {
    const char *at = cJSON_GetErrorPtr();
    long line = 1;
    for (const char *p = text; at && p < at && p < text + len; p++) line += *p == '\n';
    nf_fail(err, NF_EINPUT, "%s:%ld: malformed JSON", origin, line);
  }
  return root;
}

int nf_tree_read(const char *path, cJSON **out, nf_error *err) {
  char *text;
  size_t len;
  int rc = nf_read_file(path, &text, &len, err);
  if (rc) return rc;
  *out = nf_tree_parse(text, len, path, err);
  free(text);
  return *out ? NF_OK : (err && err->code ? err->code : NF_EINPUT);
}
