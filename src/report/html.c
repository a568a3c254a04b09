/* A small HTML report writer: escaped text, tables, embedded PNG figures. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

struct nf_html {
  char *buf;
  size_t len, cap;
  bool oom;
};

static void append_n(nf_html *h, const char *s, size_t n) {
  if (h->oom) return;
  if (h->len + n + 1 > h->cap) {
    size_t cap = h->cap ? h->cap : 4096;
    while (h->len + n + 1 > cap) cap *= 2;
    char *nb = realloc(h->buf, cap);
    if (!nb) {
      h->oom = true;
      return;
    }
    h->buf = nb;
    h->cap = cap;
  }
  memcpy(h->buf + h->len, s, n);
  h->len += n;
  h->buf[h->len] = '\0';
}

static void append(nf_html *h, const char *s) { append_n(h, s, strlen(s)); }

static void append_escaped(nf_html *h, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<': append(h, "&lt;"); break;
    case '>': append(h, "&gt;"); break;
    case '&': append(h, "&amp;"); break;
    case '"': append(h, "&quot;"); break;
    default: append_n(h, s, 1);
    }
  }
}

/* Base64 (RFC 4648) for data: URLs — twenty lines, not worth a library. */
static void append_base64(nf_html *h, const unsigned char *p, size_t n) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char out[4];
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    out[0] = A[(v >> 18) & 63];
    out[1] = A[(v >> 12) & 63];
    out[2] = i + 1 < n ? A[(v >> 6) & 63] : '=';
    out[3] = i + 2 < n ? A[v & 63] : '=';
    append_n(h, out, 4);
  }
}

nf_html *nf_html_begin(const char *title, nf_error *err) {
  nf_html *h = nf_calloc(1, sizeof *h, err);
  if (!h) return NULL;
  append(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
  append_escaped(h, title);
  append(h, "</title>\n<style>\n"
            "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
            "h1{border-bottom:2px solid #3b6ea5}h2{margin-top:1.8em;border-bottom:1px solid #ccc}\n"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 10px;"
            "text-align:right}th{background:#e8eef6}td:first-child,th:first-child{text-align:left}\n"
            "caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}\n"
            "figure{display:inline-block;margin:0.5em 1em 1em 0;vertical-align:top}"
            "figure img{max-width:520px;border:1px solid #ddd}\n"
            "figcaption{font-size:0.9em;color:#555;max-width:520px}\n"
            "pre{background:#f4f4f4;padding:0.8em;overflow-x:auto}\n"
            "</style></head><body>\n");
  return h;
}

void nf_html_heading(nf_html *h, int level, const char *text) {
  char tag[8];
  snprintf(tag, sizeof tag, "h%d", level < 1 ? 1 : level > 4 ? 4 : level);
  append(h, "<");
  append(h, tag);
  append(h, ">");
  append_escaped(h, text);
  append(h, "</");
  append(h, tag);
  append(h, ">\n");
}

void nf_html_paragraph(nf_html *h, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (text) vsnprintf(text, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  if (!text) {
    h->oom = true;
    return;
  }
  append(h, "<p>");
  append_escaped(h, text);
  append(h, "</p>\n");
  free(text);
}

void nf_html_table(nf_html *h, const char *caption, int rows, int cols, const char *const *cells) {
  append(h, "<table>");
  if (caption) {
    append(h, "<caption>");
    append_escaped(h, caption);
    append(h, "</caption>");
  }
  append(h, "\n");
  for (int r = 0; r < rows; r++) {
    append(h, "<tr>");
    for (int c = 0; c < cols; c++) {
      append(h, r == 0 ? "<th>" : "<td>");
      const char *cell = cells[(size_t)r * cols + c];
      append_escaped(h, cell ? cell : "");
      append(h, r == 0 ? "</th>" : "</td>");
    }
    append(h, "</tr>\n");
  }
  append(h, "</table>\n");
}

int nf_html_image(nf_html *h, const char *png_path, const char *caption, nf_error *err) {
  char *data = NULL;
  size_t n = 0;
  int rc = nf_read_file(png_path, &data, &n, err);
  if (rc) return nf_fail_context(err, "report figure");
  if (n < 8 || memcmp(data, "\x89PNG", 4) != 0) {
    free(data);
    return nf_fail(err, NF_EINTERNAL, "%s: not a PNG image", png_path);
  }
  append(h, "<figure><img alt=\"");
  append_escaped(h, caption ? caption : png_path);
  append(h, "\" src=\"data:image/png;base64,");
  append_base64(h, (const unsigned char *)data, n);
  append(h, "\">");
  if (caption) {
    append(h, "<figcaption>");
    append_escaped(h, caption);
    append(h, "</figcaption>");
  }
  append(h, "</figure>\n");
  free(data);
  return NF_OK;
}

void nf_html_raw(nf_html *h, const char *html) { append(h, html); }

int nf_html_write(nf_html *h, const char *path, nf_error *err) {
  if (h->oom) return nf_fail_oom(err, "HTML report");
  size_t mark = h->len;
  append(h, "</body></html>\n");
  if (h->oom) return nf_fail_oom(err, "HTML report");
  int rc = nf_write_file_atomic(path, h->buf, h->len, err);
  h->len = mark; /* the page can still grow and be written again */
  h->buf[mark] = '\0';
  return rc;
}

void nf_html_free(nf_html *h) {
  if (!h) return;
  free(h->buf);
  free(h);
}
