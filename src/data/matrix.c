/* Plain numeric matrices from CSV (the --input of predict and cosim):
 * optional header line, comma-separated numbers, every row the same width.
 * A streaming parser written here because the format is this simple and the
 * errors must name the line and column. */
#include <stdlib.h>
#include <string.h>

#include "nnfirm/data.h"
#include "nnfirm/util.h"

static bool looks_numeric(const char *line) {
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  return *p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9');
}

int nf_data_load_matrix(const char *path, float **x, long *rows, int *cols, nf_error *err) {
  char *text;
  size_t len;
  int rc = nf_read_file(path, &text, &len, err);
  if (rc) return rc;
  long cap = 1024, n = 0, line_no = 0, nrows = 0;
  int width = -1;
  float *v = nf_malloc((size_t)cap * sizeof *v, err);
  if (!v) rc = NF_EINTERNAL;
  for (char *line = text, *next; !rc && line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    line_no++;
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = '\0';
    if (l == 0) continue;
    if (nrows == 0 && width < 0 && !looks_numeric(line)) { /* a header */
      width = 1;
      for (char *p = line; *p; p++) width += *p == ',';
      continue;
    }
    int c = 0;
    for (char *cell = line, *comma; cell; cell = comma, c++) {
      comma = strchr(cell, ',');
      if (comma) *comma++ = '\0';
      double d;
      char *s = cell;
      while (*s == ' ' || *s == '\t') s++;
      if (!nf_parse_double(s, &d)) {
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: column %d: '%s' is not a finite number", path, line_no, c + 1, cell);
        break;
      }
      if (n == cap) {
        float *nv = nf_realloc(v, (size_t)(cap *= 2) * sizeof *v, err);
        if (!nv) {
          rc = NF_EINTERNAL;
          break;
        }
        v = nv;
      }
      v[n++] = (float)d;
    }
    if (rc) break;
    if (width < 0) width = c;
    if (c != width) rc = nf_fail(err, NF_EINPUT, "%s:%ld: %d columns, expected %d", path, line_no, c, width);
    nrows++;
  }
  free(text);
  if (!rc && nrows == 0) rc = nf_fail(err, NF_EINPUT, "%s: no data rows", path);
  if (rc) {
    free(v);
    return rc;
  }
  *x = v;
  *rows = nrows;
  *cols = width;
  return NF_OK;
}
