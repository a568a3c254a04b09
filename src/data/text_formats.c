/* CSV and ARFF jet files. Small parsers written here (no Debian library
 * parses ARFF; CSV needs exact error positions): every error names the file,
 * the line and the column. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data_internal.h"
#include "nnfirm/util.h"

/* Class index of a label: canonical name (any case, optional "j_" prefix) or 0..4. */
int nf_data_class_index(const char *s) {
  while (*s == ' ' || *s == '"' || *s == '\'') s++;
  char buf[16];
  snprintf(buf, sizeof buf, "%s", strncasecmp(s, "j_", 2) ? s : s + 2);
  for (char *p = buf + strlen(buf); p > buf && (p[-1] == ' ' || p[-1] == '"' || p[-1] == '\'' || p[-1] == '\r');) *--p = '\0';
  for (int c = 0; c < NF_JET_CLASSES; c++)
    if (!strcasecmp(buf, NF_JET_CLASS_NAMES[c])) return c;
  long v;
  if (nf_parse_long(buf, &v) && v >= 0 && v < NF_JET_CLASSES) return (int)v;
  return -1;
}

/* Column roles found from a header: feature k's column, label column or
 * one-hot columns. */
typedef struct {
  int n_cols;
  int feature_col[NF_JET_FEATURES];
  int label_col;
  int onehot_col[NF_JET_CLASSES];
} csv_layout;

static bool name_matches(const char *col, const char *feature) {
  /* "j_zlogz" matches "j_zlogz" and "zlogz" (the OpenML spelling). */
  return !strcasecmp(col, feature) || !strcasecmp(col, feature + 2);
}

static int layout_from_header(char **cols, int n, csv_layout *L, const char *path, nf_error *err) {
  L->n_cols = n;
  L->label_col = -1;
  for (int c = 0; c < NF_JET_CLASSES; c++) L->onehot_col[c] = -1;
  int found = 0;
  for (int k = 0; k < NF_JET_FEATURES; k++) {
    L->feature_col[k] = -1;
    for (int i = 0; i < n; i++)
      if (name_matches(cols[i], NF_JET_FEATURE_NAMES[k])) L->feature_col[k] = i;
    found += L->feature_col[k] >= 0;
  }
  if (found == 0) { /* unnamed features: the first 16 columns */
    if (n < NF_JET_FEATURES)
      return nf_fail(err, NF_EINPUT, "%s:1: header names no feature column and has %d columns (the 16 features need 16)",
                     path, n);
    for (int k = 0; k < NF_JET_FEATURES; k++) L->feature_col[k] = k < n ? k : -1;
  } else if (found < NF_JET_FEATURES) {
    for (int k = 0; k < NF_JET_FEATURES; k++)
      if (L->feature_col[k] < 0)
        return nf_fail(err, NF_EINPUT, "%s:1: header lacks feature column '%s'", path, NF_JET_FEATURE_NAMES[k]);
  }
  for (int i = 0; i < n; i++) {
    if (!strcasecmp(cols[i], "class") || !strcasecmp(cols[i], "label") || !strcasecmp(cols[i], "y") ||
        !strcasecmp(cols[i], "target"))
      L->label_col = i;
    int c = nf_data_class_index(cols[i]);
    if (c >= 0 && !isdigit((unsigned char)cols[i][0])) L->onehot_col[c] = i;
  }
  bool onehot = true;
  for (int c = 0; c < NF_JET_CLASSES; c++) onehot &= L->onehot_col[c] >= 0;
  if (L->label_col < 0 && !onehot)
    return nf_fail(err, NF_EINPUT, "%s:1: no label column (expected 'class' or the one-hot columns j_g..j_t)", path);
  if (L->label_col >= 0) L->onehot_col[0] = -1;
  return NF_OK;
}

static void layout_positional(int n, csv_layout *L) {
  L->n_cols = n;
  for (int k = 0; k < NF_JET_FEATURES; k++) L->feature_col[k] = k;
  L->label_col = n == NF_JET_FEATURES + 1 ? NF_JET_FEATURES : -1;
  for (int c = 0; c < NF_JET_CLASSES; c++) L->onehot_col[c] = n == NF_JET_FEATURES + NF_JET_CLASSES ? NF_JET_FEATURES + c : -1;
}

/* Splits a line at commas in place; returns the field count (max fields). */
static int split_fields(char *line, char **f, int max) {
  int n = 0;
  for (char *p = line;;) {
    if (n == max) return max + 1;
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = '\0';
    p = c + 1;
  }
  for (int i = 0; i < n; i++) {
    while (*f[i] == ' ' || *f[i] == '\t') f[i]++;
    size_t l = strlen(f[i]);
    while (l && (f[i][l - 1] == ' ' || f[i][l - 1] == '\r' || f[i][l - 1] == '\t')) f[i][--l] = '\0';
  }
  return n;
}

/* One data row into the dataset builder. */
static int take_row(nf_data_builder *b, char **f, int n, const csv_layout *L, const char *path, long line, nf_error *err) {
  if (n != L->n_cols) return nf_fail(err, NF_EINPUT, "%s:%ld: %d columns, expected %d", path, line, n, L->n_cols);
  float x[NF_JET_FEATURES];
  for (int k = 0; k < NF_JET_FEATURES; k++) {
    double v;
    const char *cell = f[L->feature_col[k]];
    if (!nf_parse_double(cell, &v))
      return nf_fail(err, NF_EINPUT, "%s:%ld: column %d (%s): '%s' is not a finite number", path, line,
                     L->feature_col[k] + 1, NF_JET_FEATURE_NAMES[k], cell);
    x[k] = (float)v;
  }
  int cls = -1;
  if (L->label_col >= 0) {
    cls = nf_data_class_index(f[L->label_col]);
    if (cls < 0)
      return nf_fail(err, NF_EINPUT, "%s:%ld: column %d: unknown class label '%s' (expected g, q, w, z, t or 0..4)",
                     path, line, L->label_col + 1, f[L->label_col]);
  } else {
    for (int c = 0; c < NF_JET_CLASSES; c++) {
      double v;
      if (!nf_parse_double(f[L->onehot_col[c]], &v) || (v != 0 && v != 1))
        return nf_fail(err, NF_EINPUT, "%s:%ld: column %d: one-hot value '%s' is not 0 or 1", path, line,
                       L->onehot_col[c] + 1, f[L->onehot_col[c]]);
      if (v == 1) {
        if (cls >= 0) return nf_fail(err, NF_EINPUT, "%s:%ld: more than one class set in the one-hot columns", path, line);
        cls = c;
      }
    }
    if (cls < 0) return nf_fail(err, NF_EINPUT, "%s:%ld: no class set in the one-hot columns", path, line);
  }
  return nf_data_builder_add(b, x, cls, err);
}

static bool line_is_header(char **f, int n) {
  for (int i = 0; i < n; i++) {
    double v;
    if (!nf_parse_double(f[i], &v) && nf_data_class_index(f[i]) < 0) return true;
  }
  return false;
}

int nf_data_load_csv(const char *path, char *text, nf_dataset *ds, nf_error *err) {
  nf_data_builder b;
  int rc = nf_data_builder_init(&b, err);
  csv_layout L;
  bool have_layout = false;
  long line = 0;
  char *f[256];
  for (char *p = text, *next; !rc && p && *p; p = next) {
    next = strchr(p, '\n');
    if (next) *next++ = '\0';
    line++;
    if (!p[strspn(p, " \t\r")]) continue;
    int n = split_fields(p, f, 255);
    if (n > 255) {
      rc = nf_fail(err, NF_EINPUT, "%s:%ld: too many columns", path, line);
      break;
    }
    if (!have_layout) {
      have_layout = true;
      if (line_is_header(f, n)) {
        rc = layout_from_header(f, n, &L, path, err);
        continue;
      }
      if (n != NF_JET_FEATURES + 1 && n != NF_JET_FEATURES + NF_JET_CLASSES) {
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: %d columns; without a header expected 17 (16 features + label) or 21 "
                                     "(16 features + 5 one-hot)", path, line, n);
        break;
      }
      layout_positional(n, &L);
    }
    rc = take_row(&b, f, n, &L, path, line, err);
  }
  return nf_data_builder_finish(&b, rc, path, ds, err);
}

/* ---- ARFF (OpenML's hls4ml_lhc_jets_hlf) ------------------------------------ */
/* Next ARFF token (a quoted string, or text up to whitespace or '{') copied
 * into buf; NULL when there is none or it does not fit. */
static char *arff_token(char **p, char *buf, size_t cap) {
  while (isspace((unsigned char)**p)) (*p)++;
  if (!**p) return NULL;
  size_t n = 0;
  if (**p == '\'' || **p == '"') {
    char q = *(*p)++;
    while (**p && **p != q && n + 1 < cap) buf[n++] = *(*p)++;
    if (**p != q) return NULL;
    (*p)++;
  } else {
    while (**p && !isspace((unsigned char)**p) && **p != '{' && n + 1 < cap) buf[n++] = *(*p)++;
    if (**p && !isspace((unsigned char)**p) && **p != '{') return NULL;
  }
  buf[n] = '\0';
  return n ? buf : NULL;
}

int nf_data_load_arff(const char *path, char *text, nf_dataset *ds, nf_error *err) {
  nf_data_builder b;
  int rc = nf_data_builder_init(&b, err);
  csv_layout L = {0};
  char *names[256];
  char (*name_store)[128] = nf_malloc(256 * sizeof *name_store, err);
  int n_attr = 0;
  if (!name_store) rc = NF_EINTERNAL;
  bool in_data = false;
  long line = 0;
  char *f[257];
  for (char *p = text, *next; !rc && p && *p; p = next) {
    next = strchr(p, '\n');
    if (next) *next++ = '\0';
    line++;
    char *s = p + strspn(p, " \t\r");
    if (!*s || *s == '%') continue;
    if (!in_data) {
      if (!strncasecmp(s, "@relation", 9)) continue;
      if (!strncasecmp(s, "@data", 5)) {
        in_data = true;
        if (n_attr < NF_JET_FEATURES + 1) {
          rc = nf_fail(err, NF_EINPUT, "%s:%ld: %d attributes before @data, expected 16 features and a class", path,
                       line, n_attr);
          break;
        }
        rc = layout_from_header(names, n_attr, &L, path, err);
        if (!rc && L.label_col < 0) L.label_col = n_attr - 1;
        continue;
      }
      if (strncasecmp(s, "@attribute", 10)) {
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: expected @attribute, @data or a %% comment", path, line);
        break;
      }
      char *q = s + 10;
      char *name = n_attr < 255 ? arff_token(&q, name_store[n_attr], sizeof name_store[n_attr]) : NULL;
      while (q && isspace((unsigned char)*q)) q++;
      if (!name || n_attr >= 255) {
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: malformed @attribute", path, line);
        break;
      }
      if (*q == '{') { /* nominal: the class attribute; its values must be jet classes */
        for (char *v = strtok(q + 1, ",}"); v; v = strtok(NULL, ",}")) {
          while (isspace((unsigned char)*v)) v++;
          if (*v && nf_data_class_index(v) < 0) {
            rc = nf_fail(err, NF_EINPUT, "%s:%ld: unknown class '%s' in the nominal attribute", path, line, v);
            break;
          }
        }
        names[n_attr] = "class";
      } else {
        char type_buf[32];
        char *type = arff_token(&q, type_buf, sizeof type_buf);
        if (!type || (strcasecmp(type, "numeric") && strcasecmp(type, "real") && strcasecmp(type, "integer"))) {
          rc = nf_fail(err, NF_EINPUT, "%s:%ld: attribute '%s' has unsupported type '%s'", path, line, name,
                       type ? type : "");
          break;
        }
        names[n_attr] = name;
      }
      n_attr++;
      continue;
    }
    int n = split_fields(s, f, 256);
    for (int i = 0; i < n; i++)
      if (*f[i] == '\'' || *f[i] == '"') {
        f[i]++;
        size_t l = strlen(f[i]);
        if (l) f[i][l - 1] = '\0';
      }
    rc = take_row(&b, f, n, &L, path, line, err);
  }
  if (!rc && !in_data) rc = nf_fail(err, NF_EINPUT, "%s: no @data section (truncated?)", path);
  free(name_store);
  return nf_data_builder_finish(&b, rc, path, ds, err);
}

int nf_data_save_csv(const char *path, const nf_dataset *ds, nf_error *err) {
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  for (int k = 0; k < ds->n_features; k++) fprintf(f.fp, "%s,", ds->feature_names ? ds->feature_names[k] : NF_JET_FEATURE_NAMES[k]);
  fprintf(f.fp, "class\n");
  for (long i = 0; i < ds->n_rows; i++) {
    for (int k = 0; k < ds->n_features; k++) fprintf(f.fp, "%.9g,", ds->x[(size_t)i * ds->n_features + k]);
    fprintf(f.fp, "%s\n", NF_JET_CLASS_NAMES[ds->y[i]]);
  }
  if (ferror(f.fp)) {
    nf_outfile_abort(&f);
    return nf_fail(err, NF_EINTERNAL, "%s: write failed", path);
  }
  return nf_outfile_commit(&f, err);
}
