/* The real jet data set from OpenML (data set 42468, hls4ml_lhc_jets_hlf,
 * an ARFF file of ~830k jets), with libcurl: the data set's description
 * names the file to download; the download resumes from a .part file and is
 * checked against a SHA-256 (nettle) kept beside the cached copy. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnfirm/data.h"
#include "nnfirm/util.h"

static const char DESCRIPTION_URL[] = "https://api.openml.org/api/v1/json/data/42468";
static const char FILE_NAME[] = "hls4ml_lhc_jets_hlf.arff";

static void cache_dir(const char *dir, char *out, size_t n) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (dir) snprintf(out, n, "%s", dir);
  else if (xdg && *xdg) snprintf(out, n, "%s/nnfirm", xdg);
  else snprintf(out, n, "%s/.cache/nnfirm", home && *home ? home : ".");
}

bool nf_data_cached_path(char *out, size_t n) {
  char dir[4096];
  cache_dir(NULL, dir, sizeof dir);
  snprintf(out, n, "%s/%s", dir, FILE_NAME);
  return access(out, R_OK) == 0;
}

static int sha256_file(const char *path, char hex[65], nf_error *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return nf_fail(err, NF_EINPUT, "%s: cannot open: %s", path, strerror(errno));
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  unsigned char buf[1 << 16], digest[SHA256_DIGEST_SIZE];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, fp)) > 0) sha256_update(&ctx, got, buf);
  fclose(fp);
  sha256_digest(&ctx, sizeof digest, digest);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return NF_OK;
}

typedef struct {
  nf_progress *progress;
  long base; /* bytes already on disk before this transfer */
} xfer_ctx;

static int on_progress(void *p, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un) {
  xfer_ctx *x = p;
  if (total > 0) {
    x->progress->total = (long)(total + x->base);
    char extra[64];
    snprintf(extra, sizeof extra, "%.1f MB", (double)(now + x->base) / 1e6);
    nf_progress_update(x->progress, (long)(now + x->base), extra);
  }
  return 0;
}

static size_t to_memory(char *data, size_t size, size_t n, void *userdata) {
  char **buf = userdata;
  size_t old = *buf ? strlen(*buf) : 0, add = size * n;
  if (old + add > (1 << 20)) return 0; /* a description is small */
  char *nb = realloc(*buf, old + add + 1);
  if (!nb) return 0;
  memcpy(nb + old, data, add);
  nb[old + add] = '\0';
  *buf = nb;
  return add;
}

static int curl_failure(CURLcode c, const char *url, const char *dest, nf_error *err) {
  if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_CONNECT || c == CURLE_OPERATION_TIMEDOUT ||
      c == CURLE_COULDNT_RESOLVE_PROXY)
    return nf_fail(err, NF_EINPUT,
                   "cannot reach %s (%s). Without a network: download OpenML data set 42468 (%s) on another "
                   "machine and place it at %s", url, curl_easy_strerror(c), FILE_NAME, dest);
  return nf_fail(err, NF_EINPUT, "download of %s failed: %s", url, curl_easy_strerror(c));
}

/* The file URL the OpenML description of the data set names. */
static int resolve_url(const nf_fetch_opts *o, const char *dest, char **url, nf_error *err) {
  CURL *c = curl_easy_init();
  char *body = NULL;
  if (!c) return nf_fail(err, NF_EINTERNAL, "libcurl initialization failed");
  curl_easy_setopt(c, CURLOPT_URL, DESCRIPTION_URL);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_memory);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout_s > 0 ? o->timeout_s : 10L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    free(body);
    return curl_failure(rc, DESCRIPTION_URL, dest, err);
  }
  cJSON *j = cJSON_Parse(body);
  free(body);
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data_set_description"), "url");
  int status = cJSON_IsString(u) ? ((*url = strdup(u->valuestring)) ? NF_OK : nf_fail_oom(err, "url"))
                                 : nf_fail(err, NF_EINPUT, "%s: no file URL in OpenML's description", DESCRIPTION_URL);
  cJSON_Delete(j);
  return status;
}

/* Appends the rest of url to part (resuming); restarts if the server
 * ignores ranges. */
static int download(const nf_fetch_opts *o, const char *url, const char *part, const char *dest, nf_error *err) {
  nf_progress prog;
  nf_progress_begin(&prog, "download", 0, o->quiet);
  for (int attempt = 0; attempt < 2; attempt++) {
    struct stat st;
    long have = stat(part, &st) == 0 ? (long)st.st_size : 0;
    FILE *fp = fopen(part, have ? "ab" : "wb");
    if (!fp) return nf_fail(err, NF_EINPUT, "%s: cannot write: %s", part, strerror(errno));
    CURL *c = curl_easy_init();
    xfer_ctx x = {&prog, have};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, fp);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout_s > 0 ? o->timeout_s : 10L);
    curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    bool bad_write = fclose(fp) != 0;
    if (rc == CURLE_OK && !bad_write) {
      nf_progress_end(&prog);
      return NF_OK;
    }
    if (have && (rc == CURLE_RANGE_ERROR || code == 416)) { /* no ranges, or already whole: start over */
      unlink(part);
      continue;
    }
    nf_progress_end(&prog);
    return bad_write ? nf_fail(err, NF_EINTERNAL, "%s: write failed", part) : curl_failure(rc, url, dest, err);
  }
  nf_progress_end(&prog);
  return nf_fail(err, NF_EINPUT, "download of %s did not complete", url);
}

static int write_text(const char *path, const char *text, nf_error *err) {
  return nf_write_file_atomic(path, text, strlen(text), err);
}

int nf_data_fetch(const nf_fetch_opts *o, char *out_path, size_t out_len, nf_error *err) {
  char dir[4096], dest[4200], part[4300], sum[4300], hex[65];
  cache_dir(o->dir, dir, sizeof dir);
  snprintf(dest, sizeof dest, "%s/%s", dir, FILE_NAME);
  snprintf(part, sizeof part, "%s.part", dest);
  snprintf(sum, sizeof sum, "%s.sha256", dest);
  snprintf(out_path, out_len, "%s", dest);
  int rc = nf_mkdir_p(dir, err);
  if (rc) return rc;
  if (access(dest, R_OK) == 0) { /* cached: check it is still what was downloaded */
    char *want = NULL;
    rc = sha256_file(dest, hex, err);
    if (!rc && nf_read_file(sum, &want, NULL, NULL) == NF_OK && strncmp(want, hex, 64) != 0)
      rc = nf_fail(err, NF_EINPUT, "%s: checksum differs from %s (corrupt cache?): delete it and fetch again", dest, sum);
    if (!rc && o->sha256 && strcmp(o->sha256, hex) != 0)
      rc = nf_fail(err, NF_EINPUT, "%s: SHA-256 %s, expected %s", dest, hex, o->sha256);
    free(want);
    return rc;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return nf_fail(err, NF_EINTERNAL, "libcurl initialization failed");
  char *url = NULL;
  rc = o->url ? ((url = strdup(o->url)) ? NF_OK : nf_fail_oom(err, "url")) : resolve_url(o, dest, &url, err);
  if (!rc) rc = download(o, url, part, dest, err);
  if (!rc) rc = sha256_file(part, hex, err);
  if (!rc && o->sha256 && strcmp(o->sha256, hex) != 0) {
    unlink(part); /* a wrong file is not worth resuming */
    rc = nf_fail(err, NF_EINPUT, "%s: SHA-256 %s, expected %s; the partial file was removed", url, hex, o->sha256);
  }
  if (!rc && rename(part, dest) != 0) rc = nf_fail(err, NF_EINTERNAL, "%s: cannot rename into place", dest);
  if (!rc) {
    char line[80];
    snprintf(line, sizeof line, "%s\n", hex);
    rc = write_text(sum, line, err);
  }
  free(url);
  curl_global_cleanup();
  return rc;
}
