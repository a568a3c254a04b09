/* The tutorial's step outputs (JSON files). Running the steps is the
 * library's (nf_step_* in nnfirm/search.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nnfirm/util.h"

cJSON *cli_read_json(const char *dir, const char *name) {
  char path[4200], *text = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (nf_read_file(path, &text, NULL, NULL)) return NULL;
  cJSON *o = cJSON_Parse(text);
  free(text);
  return o;
}

double cli_json_num(const cJSON *o, const char *key, double missing) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : missing;
}
