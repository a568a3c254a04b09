/* libFuzzer: a project directory's manifest.json and network description
 * (design.json, or network.json of an RTL-only project), through
 * nf_project_open on a directory of this process's own. The input is the
 * manifest, the line "@@@", then the network text (written as both
 * design.json and network.json; config.json is "{}").
 *
 * Mutated files rarely match the manifest's checksums, so each input is
 * opened twice: as it is, and with the manifest's checksums recomputed for
 * the files written here (other entries dropped; with "rtl": true an empty
 * rtl/ and the testbench the manifest's top names are provided) so that the
 * design reader and the firmware planner see the mutations too. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnfirm/project.h"
#include "nnfirm/util.h"

static char dir[256];
static const char SEP[] = "\n@@@\n";
static const char *const WRITTEN[] = {"design.json", "network.json", "config.json"};

static void cleanup(void) {
  if (dir[0]) nf_rm_rf(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  snprintf(dir, sizeof dir, "/tmp/nnfirm-fuzz-%ld-project-XXXXXX", (long)getpid());
  if (!mkdtemp(dir)) {
    dir[0] = '\0';
    return 0;
  }
  char sub[300];
  snprintf(sub, sizeof sub, "%s/rtl", dir);
  nf_mkdir_p(sub, NULL);
  snprintf(sub, sizeof sub, "%s/tb", dir);
  nf_mkdir_p(sub, NULL);
  atexit(cleanup);
  return 0;
}

static void put(const char *name, const void *data, size_t n) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  if (!fp) return;
  if (n) fwrite(data, 1, n, fp);
  fclose(fp);
}

static void try_open(void) {
  nf_project *p = NULL;
  nf_error err = {0};
  if (nf_project_open(dir, &p, &err) == NF_OK) nf_project_free(p);
}

/* The same FNV-1a 64 the project writer uses. */
static void checksum(const void *data, size_t n, char out[17]) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)data)[i]) * 1099511628211ull;
  snprintf(out, 17, "%016" PRIx64, h);
}

static bool safe_name(const char *s) {
  if (!s[0] || strlen(s) > 64) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) return 0;
  const uint8_t *net = NULL;
  size_t mlen = size, nlen = 0;
  for (size_t i = 0; i + sizeof SEP - 1 <= size; i++)
    if (!memcmp(data + i, SEP, sizeof SEP - 1)) {
      mlen = i, net = data + i + sizeof SEP - 1, nlen = size - mlen - (sizeof SEP - 1);
      break;
    }
  put("manifest.json", data, mlen);
  put("design.json", net, nlen);
  put("network.json", net, nlen);
  put("config.json", "{}", 2);
  try_open();

  cJSON *m = cJSON_ParseWithLength((const char *)data, mlen);
  cJSON *files = m ? cJSON_GetObjectItemCaseSensitive(m, "files") : NULL;
  if (cJSON_IsObject(files)) {
    cJSON *fixed = cJSON_CreateObject();
    for (size_t k = 0; fixed && k < sizeof WRITTEN / sizeof *WRITTEN; k++) {
      if (!cJSON_GetObjectItemCaseSensitive(files, WRITTEN[k])) continue;
      char h[17];
      if (k < 2) checksum(net, nlen, h);
      else checksum("{}", 2, h);
      cJSON_AddStringToObject(fixed, WRITTEN[k], h);
    }
    if (fixed) cJSON_ReplaceItemInObjectCaseSensitive(m, "files", fixed);
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(m, "top");
    char tb[128] = "";
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "rtl")) && cJSON_IsString(top) && safe_name(top->valuestring)) {
      snprintf(tb, sizeof tb, "tb/tb_%s.v", top->valuestring);
      put(tb, "", 0);
    }
    char *text = cJSON_PrintUnformatted(m);
    if (text) {
      put("manifest.json", text, strlen(text));
      try_open();
      free(text);
    }
    if (tb[0]) {
      char path[400];
      snprintf(path, sizeof path, "%s/%s", dir, tb);
      unlink(path);
    }
  }
  cJSON_Delete(m);
  return 0;
}
