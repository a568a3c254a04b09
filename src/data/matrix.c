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

/* Splits a CSV line in place (fields trimmed of blanks and quotes); returns
 * the field count. */
static int split_csv(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    fields[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = '\0';
    p = c + 1;
  }
  for (int i = 0; i < n; i++) {
    while (*fields[i] == ' ' || *fields[i] == '"') fields[i]++;
    size_t len = strlen(fields[i]);
    while (len && strchr(" \t\r\n\"", fields[i][len - 1])) fields[i][--len] = '\0';
  }
  return n;
}

int nf_data_load_rows(const char *path, int n_cols, long max_rows, double **out, long *rows, nf_error *err) {
  char *text;
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return nf_fail(err, NF_EINPUT, "%s: cannot read the input rows", path);
  long cap = 1024, n = 0, line_no = 0;
  double *v = nf_malloc((size_t)cap * n_cols * sizeof *v, err);
  char **fields = nf_malloc(4096 * sizeof *fields, err);
  if (!v || !fields) rc = NF_EINTERNAL;
  for (char *line = text, *next; !rc && line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    line_no++;
    if (strspn(line, " \t\r") == strlen(line) || line[0] == '#') continue;
    if (max_rows > 0 && n >= max_rows) break;
    int nf = split_csv(line, fields, 4096);
    double d;
    if (line_no == 1 && !nf_parse_double(fields[0], &d)) continue; /* header */
    if (nf < n_cols) {
      rc = nf_fail(err, NF_EINPUT, "%s:%ld: %d columns, the design has %d inputs", path, line_no, nf, n_cols);
      break;
    }
    if (n == cap) {
      double *nv = nf_realloc(v, (size_t)(cap *= 2) * n_cols * sizeof *v, err);
      if (!nv) {
        rc = NF_EINTERNAL;
        break;
      }
      v = nv;
    }
    for (int k = 0; k < n_cols && !rc; k++) {
      if (!nf_parse_double(fields[k], &d))
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: column %d: '%s' is not a finite number", path, line_no, k + 1, fields[k]);
      else
        v[(size_t)n * n_cols + k] = d;
    }
    n++;
  }
  free(text);
  free(fields);
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "%s: no input rows", path);
  if (rc) {
    free(v);
    return rc;
  }
  *out = v;
  *rows = n;
  return NF_OK;
}
