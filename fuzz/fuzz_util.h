/* Helpers shared by the harnesses: readers that take a path get the input
 * through a file of this process's own (one per harness process, so
 * harnesses running side by side never share one). */
#ifndef NNFIRM_FUZZ_UTIL_H
#define NNFIRM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* "/tmp/nnfirm-fuzz-<pid>-<tag><suffix>"; returns path, or NULL when the
 * file cannot be written. */
static inline const char *fuzz_temp_file(char *path, size_t n, const char *tag, const char *suffix,
                                         const uint8_t *data, size_t size) {
  snprintf(path, n, "/tmp/nnfirm-fuzz-%ld-%s%s", (long)getpid(), tag, suffix);
  FILE *fp = fopen(path, "wb");
  if (!fp) return NULL;
  size_t put = size ? fwrite(data, 1, size, fp) : 0;
  if (fclose(fp) != 0 || put != size) {
    unlink(path);
    return NULL;
  }
  return path;
}

#endif
