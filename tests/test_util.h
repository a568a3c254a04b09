/* Helpers shared by unit tests: reading the reference CSVs in tests/data. */
#ifndef NNFIRM_TEST_UTIL_H
#define NNFIRM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path of a file in the repository's test material ($TESTDATA, set by CTest
 * to tests/data). */
static inline const char *shared_path(const char *rel) {
  static char buf[8][4096];
  static int slot;
  const char *root = getenv("TESTDATA");
  char *p = buf[slot++ % 8];
  snprintf(p, 4096, "%s/%s", root ? root : "../tests/data", rel);
  return p;
}

/* Reads a numeric CSV (no header) into doubles; returns rows, sets *cols. */
static inline long read_csv_doubles(const char *path, double **out, int *cols) {
  FILE *fp = fopen(path, "r");
  if (!fp) return -1;
  size_t cap = 1024, n = 0;
  double *v = malloc(cap * sizeof *v);
  char line[65536];
  long rows = 0;
  *cols = 0;
  while (v && fgets(line, sizeof line, fp)) {
    int c = 0;
    for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), c++) {
      if (n == cap) {
        double *nv = realloc(v, (cap *= 2) * sizeof *v);
        if (!nv) {
          free(v);
          v = NULL;
          break;
        }
        v = nv;
      }
      if (v) v[n++] = strtod(tok, NULL);
    }
    if (c == 0) continue;
    *cols = c;
    rows++;
  }
  fclose(fp);
  *out = v;
  return v ? rows : -1;
}

#endif
