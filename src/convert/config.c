/* Configuration files: JSON or YAML (read into one cJSON tree by
 * nf_tree_parse, src/util/tree.c), validated against hls4ml's keys and the
 * model's layers. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"
#include "nnfirm/util.h"

int nf_config_parse(const char *text, size_t len, const char *origin, nf_config **out, nf_error *err) {
  cJSON *root = nf_tree_parse(text, len, origin, err);
  if (!root) return err && err->code ? err->code : NF_EINPUT;
  nf_config *c = nf_calloc(1, sizeof *c, err);
  if (!c) {
    cJSON_Delete(root);
    return NF_EINTERNAL;
  }
  c->root = root;
  const cJSON *hls = cJSON_GetObjectItemCaseSensitive(root, "HLSConfig");
  c->hls = cJSON_IsObject(hls) ? hls : root;
  snprintf(c->origin, sizeof c->origin, "%s", origin);
  int rc = nf_config_check_keys(c, err);
  if (rc) {
    nf_config_free(c);
    return rc;
  }
  *out = c;
  return NF_OK;
}

int nf_config_load(const char *path, nf_config **out, nf_error *err) {
  if (!strcmp(path, "default")) return (*out = nf_config_default(err)) ? NF_OK : NF_EINTERNAL;
  char *text;
  size_t len;
  int rc = nf_read_file(path, &text, &len, err);
  if (rc) return rc;
  rc = nf_config_parse(text, len, path, out, err);
  free(text);
  return rc;
}

nf_config *nf_config_default(nf_error *err) {
  static const char TEXT[] = "{\"Model\": {\"Precision\": \"ap_fixed<16,6>\", \"ReuseFactor\": 1, \"Strategy\": \"Latency\"}}";
  nf_config *c = NULL;
  nf_config_parse(TEXT, sizeof TEXT - 1, "(default configuration)", &c, err);
  return c;
}

void nf_config_free(nf_config *c) {
  if (!c) return;
  cJSON_Delete(c->root);
  free(c);
}
