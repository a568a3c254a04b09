#include "nnfirm/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nf_fail(nf_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code;
}

int nf_fail_context(nf_error *err, const char *fmt, ...) {
  if (!err) return NF_EINTERNAL;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
  if (err->code == NF_OK) err->code = NF_EINTERNAL;
  return err->code;
}

int nf_fail_oom(nf_error *err, const char *what) {
  return nf_fail(err, NF_EINTERNAL, "out of memory allocating %s", what);
}

void *nf_malloc(size_t n, nf_error *err) {
  void *p = malloc(n ? n : 1);
  if (!p) nf_fail(err, NF_EINTERNAL, "out of memory (%zu bytes)", n);
  return p;
}

void *nf_calloc(size_t count, size_t size, nf_error *err) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) nf_fail(err, NF_EINTERNAL, "out of memory (%zu x %zu bytes)", count, size);
  return p;
}

void *nf_realloc(void *old, size_t n, nf_error *err) {
  void *p = realloc(old, n ? n : 1);
  if (!p) nf_fail(err, NF_EINTERNAL, "out of memory (%zu bytes)", n);
  return p;
}

char *nf_strdup(const char *s, nf_error *err) {
  size_t n = strlen(s) + 1;
  char *p = nf_malloc(n, err);
  if (p) memcpy(p, s, n);
  return p;
}
