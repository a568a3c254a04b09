/* NumPy .npy files (format versions 1-3), written here: the header is a
 * short Python dict literal and no Debian C library reads it. Features are
 * [n][16] float32/float64, little-endian, C order; labels come from a
 * sibling <stem>.labels.npy (integer or float class indices) or a 17th
 * column. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data_internal.h"
#include "nnfirm/util.h"

typedef struct {
  char kind;   /* 'f', 'i', 'u' */
  int size;    /* bytes per element */
  long rows, cols;
  const unsigned char *data;
  size_t data_len;
} npy_array;

/* Value of key 'name' in the header dict, as the text after the colon. */
static const char *dict_value(const char *h, const char *name) {
  char key[32];
  snprintf(key, sizeof key, "'%s'", name);
  const char *p = strstr(h, key);
  if (!p) return NULL;
  p = strchr(p + strlen(key), ':');
  if (!p) return NULL;
  p++;
  while (*p == ' ') p++;
  return p;
}

static int parse_npy(const char *path, const unsigned char *buf, size_t len, npy_array *a, nf_error *err) {
  if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) return nf_fail(err, NF_EINPUT, "%s: not a .npy file (bad magic)", path);
  int major = buf[6];
  size_t hlen, off;
  if (major == 1) hlen = buf[8] | (size_t)buf[9] << 8, off = 10;
  else if ((major == 2 || major == 3) && len >= 12)
    hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24, off = 12;
  else return nf_fail(err, NF_EINPUT, "%s: unsupported .npy version %d", path, major);
  if (hlen > 65536 || off + hlen > len) return nf_fail(err, NF_EINPUT, "%s: truncated .npy header", path);
  char h[65537];
  memcpy(h, buf + off, hlen);
  h[hlen] = '\0';
  const char *descr = dict_value(h, "descr"), *fo = dict_value(h, "fortran_order"), *shape = dict_value(h, "shape");
  if (!descr || !fo || !shape) return nf_fail(err, NF_EINPUT, "%s: .npy header lacks descr/fortran_order/shape", path);
  if (!strncmp(fo, "True", 4)) return nf_fail(err, NF_EINPUT, "%s: Fortran-order arrays are not supported", path);
  /* descr like '<f4', '|u1', '<i8' */
  if (descr[0] != '\'' || !strchr("<|", descr[1]) || !strchr("fiu", descr[2]) || !isdigit((unsigned char)descr[3]))
    return nf_fail(err, NF_EINPUT, "%s: unsupported dtype %.8s (little-endian float, int or uint)", path, descr);
  a->kind = descr[2];
  a->size = descr[3] - '0';
  if (!((a->kind == 'f' && (a->size == 4 || a->size == 8)) || (a->kind != 'f' && (a->size == 1 || a->size == 4 || a->size == 8))))
    return nf_fail(err, NF_EINPUT, "%s: unsupported dtype %.5s", path, descr);
  if (shape[0] != '(') return nf_fail(err, NF_EINPUT, "%s: malformed shape", path);
  char *end;
  a->rows = strtol(shape + 1, &end, 10);
  a->cols = 1;
  while (*end == ' ') end++;
  if (*end == ',') {
    end++;
    while (*end == ' ') end++;
    if (*end != ')') a->cols = strtol(end, &end, 10);
    while (*end == ' ' || *end == ',') end++;
  }
  if (*end != ')' || a->rows < 1 || a->cols < 1 || a->rows > 100000000L || a->cols > 4096)
    return nf_fail(err, NF_EINPUT, "%s: unsupported shape (1-D or 2-D, non-empty)", path);
  a->data = buf + off + hlen;
  a->data_len = len - off - hlen;
  if (a->data_len < (size_t)a->rows * a->cols * a->size)
    return nf_fail(err, NF_EINPUT, "%s: truncated data (%zu bytes, need %zu)", path, a->data_len,
                   (size_t)a->rows * a->cols * a->size);
  return NF_OK;
}

/* Element i as a double (little-endian decoding, alignment-safe). */
static double element(const npy_array *a, size_t i) {
  const unsigned char *p = a->data + i * a->size;
  uint64_t u = 0;
  for (int k = a->size - 1; k >= 0; k--) u = u << 8 | p[k];
  if (a->kind == 'f') {
    if (a->size == 4) {
      uint32_t w = (uint32_t)u;
      float f;
      memcpy(&f, &w, 4);
      return f;
    }
    double d;
    memcpy(&d, &u, 8);
    return d;
  }
  if (a->kind == 'u') return (double)u;
  int shift = 64 - 8 * a->size; /* sign-extend */
  return (double)((int64_t)(u << shift) >> shift);
}

static char *labels_path(const char *path) {
  size_t n = strlen(path);
  char *p = malloc(n + 16);
  if (p) snprintf(p, n + 16, "%.*s.labels.npy", (int)(n - 4), path);
  return p;
}

int nf_data_load_npy(const char *path, nf_dataset *ds, nf_error *err) {
  char *buf = NULL, *lbuf = NULL, *lpath = labels_path(path);
  size_t len, llen = 0;
  npy_array x, y = {0};
  int rc = lpath ? nf_read_file(path, &buf, &len, err) : nf_fail_oom(err, "path");
  if (!rc) rc = parse_npy(path, (unsigned char *)buf, len, &x, err);
  bool sibling = !rc && access(lpath, F_OK) == 0;
  if (!rc && x.cols != NF_JET_FEATURES && !(x.cols == NF_JET_FEATURES + 1 && !sibling))
    rc = nf_fail(err, NF_EINPUT, "%s: %ld columns; expected 16 features (labels in %s) or 17 with the label last", path,
                 x.cols, lpath);
  if (!rc && x.cols == NF_JET_FEATURES) {
    if (!sibling) rc = nf_fail(err, NF_EINPUT, "%s: no labels (expected %s)", path, lpath);
    if (!rc) rc = nf_read_file(lpath, &lbuf, &llen, err);
    if (!rc) rc = parse_npy(lpath, (unsigned char *)lbuf, llen, &y, err);
    if (!rc && (y.rows != x.rows || y.cols != 1))
      rc = nf_fail(err, NF_EINPUT, "%s: %ld labels for %ld rows", lpath, y.rows * y.cols, x.rows);
  }
  nf_data_builder b;
  if (!rc) rc = nf_data_builder_init(&b, err);
  for (long r = 0; !rc && r < x.rows; r++) {
    float f[NF_JET_FEATURES];
    for (int k = 0; k < NF_JET_FEATURES; k++) {
      double v = element(&x, (size_t)r * x.cols + k);
      if (!(v == v) || v > 3e38 || v < -3e38) {
        rc = nf_fail(err, NF_EINPUT, "%s: row %ld, column %d: value is not a finite float", path, r, k + 1);
        break;
      }
      f[k] = (float)v;
    }
    double lv = x.cols == NF_JET_FEATURES ? element(&y, (size_t)r) : element(&x, (size_t)r * x.cols + NF_JET_FEATURES);
    int cls = lv >= 0 && lv < NF_JET_CLASSES && lv == (int)lv ? (int)lv : -1;
    if (!rc && cls < 0) rc = nf_fail(err, NF_EINPUT, "%s: row %ld: label %g is not a class index 0..4", path, r, lv);
    if (!rc) rc = nf_data_builder_add(&b, f, cls, err);
    if (rc) nf_data_builder_finish(&b, rc, path, ds, err);
  }
  if (!rc) rc = nf_data_builder_finish(&b, rc, path, ds, err);
  free(buf);
  free(lbuf);
  free(lpath);
  return rc;
}

/* One .npy file image: header padded so the data starts 64-byte aligned. */
static int write_npy(const char *path, const char *descr, long rows, long cols, const void *data, size_t elem,
                     nf_error *err) {
  char h[128];
  int n = cols > 1 ? snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (%ld, %ld), }", descr, rows, cols)
                   : snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (%ld,), }", descr, rows);
  int total = 10 + n + 1, pad = (64 - total % 64) % 64;
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  unsigned hl = (unsigned)(n + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f.fp);
  fputc((int)(hl & 255), f.fp);
  fputc((int)(hl >> 8), f.fp);
  fwrite(h, 1, (size_t)n, f.fp);
  for (int i = 0; i < pad; i++) fputc(' ', f.fp);
  fputc('\n', f.fp);
  /* The machine is little-endian (x86-64, as the build requires); the
   * arrays are written as they are in memory. */
  fwrite(data, elem, (size_t)(rows * cols), f.fp);
  if (ferror(f.fp)) {
    nf_outfile_abort(&f);
    return nf_fail(err, NF_EINTERNAL, "%s: write failed", path);
  }
  return nf_outfile_commit(&f, err);
}

int nf_data_save_npy(const char *path, const nf_dataset *ds, nf_error *err) {
  char *lpath = labels_path(path);
  if (!lpath) return nf_fail_oom(err, "path");
  int rc = write_npy(lpath, "<i4", ds->n_rows, 1, ds->y, sizeof(int), err);
  if (!rc) rc = write_npy(path, "<f4", ds->n_rows, ds->n_features, ds->x, sizeof(float), err);
  if (rc) unlink(lpath);
  free(lpath);
  return rc;
}
