#include "nnfirm/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

double nf_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool nf_parse_double(const char *s, double *out) {
  if (!s || !*s || isspace((unsigned char)*s)) return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) return false;
  *out = v;
  return true;
}

bool nf_parse_long(const char *s, long *out) {
  if (!s || !*s || isspace((unsigned char)*s)) return false;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool nf_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

void nf_progress_begin(nf_progress *p, const char *label, long total, bool quiet) {
  memset(p, 0, sizeof *p);
  p->enabled = !quiet && isatty(STDERR_FILENO) && !getenv("CI");
  p->start = nf_now();
  p->total = total;
  snprintf(p->label, sizeof p->label, "%s", label);
}

void nf_progress_update(nf_progress *p, long done, const char *extra) {
  if (!p->enabled) return;
  double now = nf_now();
  if (done < p->total && now - p->last_draw < 0.1) return;
  p->last_draw = now;
  double frac = p->total > 0 ? (double)done / p->total : 0;
  if (frac > 1) frac = 1;
  int width = 24, fill = (int)(frac * width);
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  double elapsed = now - p->start;
  double eta = frac > 0 ? elapsed / frac - elapsed : 0;
  fprintf(stderr, "\r\033[K%s [%s] %ld/%ld %.0fs eta %.0fs%s%s", p->label, bar, done, p->total,
          elapsed, eta, extra ? "  " : "", extra ? extra : "");
  fflush(stderr);
}

void nf_progress_note(nf_progress *p, const char *line) {
  if (!p->enabled) return;
  fprintf(stderr, "\r\033[K%s\n", line);
  fflush(stderr);
}

void nf_progress_end(nf_progress *p) {
  if (!p->enabled) return;
  fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

/* A number of ns: one decimal when that is exact ("8.0", "6.4"), else up to three. */
static void fmt_ns(char *buf, size_t n, double v) {
  if (fabs(v * 10 - round(v * 10)) < 1e-9) snprintf(buf, n, "%.1f", v);
  else snprintf(buf, n, "%.3g", v);
}

const char *nf_format_latency(char *buf, size_t n, double cycles, double clock_ns) {
  if (!(clock_ns > 0)) {
    snprintf(buf, n, "%.0f cycles", cycles);
    return buf;
  }
  char c[32], t[32];
  fmt_ns(c, sizeof c, clock_ns);
  double total = cycles * clock_ns;
  if (fabs(total - round(total)) < 1e-9) snprintf(t, sizeof t, "%.0f", total);
  else fmt_ns(t, sizeof t, total);
  snprintf(buf, n, "%.0f cycle%s at %s ns = %s ns", cycles, cycles == 1 ? "" : "s", c, t);
  return buf;
}
