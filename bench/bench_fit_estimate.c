/* Calibration of the resource estimator from tests/data/estimate/yosys_counts.tsv
 * (design, set, the generator's counts, Yosys LUT and FF):
 *
 *   bench_fit_estimate TSV            fit the coefficients on the 'cal' rows
 *                                     (least squares on the relative error,
 *                                     coefficients kept non-negative), print
 *                                     them and the errors they give
 *   bench_fit_estimate --report TSV   the committed coefficients (the library's
 *                                     nf_estimate_layer_from_cost) against Yosys
 *                                     per design, and the median / max relative
 *                                     error on the 'held' rows
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"

enum { MAX_ROWS = 512, MAX_COLS = 64, N_LUT = 4, N_FF = 2 };

typedef struct row {
  char name[64], set[16];
  nf_rtl_cost c;
  double lut, ff;
} row;

static int split(char *line, char **f) {
  int n = 0;
  for (char *t = strtok(line, "\t\r\n"); t && n < MAX_COLS; t = strtok(NULL, "\t\r\n")) f[n++] = t;
  return n;
}

static int col(char **names, int n, const char *want_name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], want_name)) return i;
  return -1;
}

static int read_tsv(const char *path, row *rows) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    perror(path);
    return -1;
  }
  static char head[8192], line[8192];
  char *names[MAX_COLS], *vals[MAX_COLS];
  /* '#' lines before the header say where the counts come from */
  int nh = 0;
  while (fgets(head, sizeof head, fp))
    if (head[0] != '#') {
      nh = split(head, names);
      break;
    }
  int cd = col(names, nh, "design"), cs = col(names, nh, "set"), cl = col(names, nh, "yosys_lut"),
      cf = col(names, nh, "yosys_ff");
  if (cd < 0 || cs < 0 || cl < 0 || cf < 0) {
    fprintf(stderr, "%s: needs design, set, yosys_lut, yosys_ff columns\n", path);
    fclose(fp);
    return -1;
  }
  int n = 0;
  while (n < MAX_ROWS && fgets(line, sizeof line, fp)) {
    int nv = split(line, vals);
    if (nv == 0) continue;
    if (nv != nh) {
      fprintf(stderr, "%s: row %d has %d columns, header %d\n", path, n + 2, nv, nh);
      fclose(fp);
      return -1;
    }
    nf_error err = {0};
    if (nf_estimate_features_parse((const char *const *)names, (const char *const *)vals, nh, &rows[n].c, &err)) {
      fprintf(stderr, "%s: %s\n", path, err.msg);
      fclose(fp);
      return -1;
    }
    snprintf(rows[n].name, sizeof rows[n].name, "%s", vals[cd]);
    snprintf(rows[n].set, sizeof rows[n].set, "%s", vals[cs]);
    rows[n].lut = atof(vals[cl]);
    rows[n].ff = atof(vals[cf]);
    n++;
  }
  fclose(fp);
  return n;
}

/* The model's columns (as in src/synth/estimate.c). The ReuseFactor
 * selection pieces and a registered ReLU's rounding and saturation LUTs
 * (relu_round_bits, sat_reg_luts: counted as the netlist builds them) count
 * one LUT each and are not fitted (y minus them is). */
static void lut_features(const nf_rtl_cost *c, double *x) {
  x[0] = (double)(c->xor_bits - c->merged_xor_bits); /* .xor */
  x[1] = (double)c->sat_bits;                          /* .sat */
  x[2] = (double)c->mul_bits;                          /* .mul */
  x[3] = (double)c->merged_xor_bits;                   /* .merged */
}
static double lut_fixed(const nf_rtl_cost *c) { return (double)(c->mux_bits + c->relu_round_bits + c->sat_reg_luts); }
/* FF: the data registers' bits and the control bits (valid pipelines,
 * counters), both fitted: the control bits stand for a few flip-flops per
 * layer, which the fitted factor (about 2) says the count misses there (the
 * 95 %-pruned tagger's netlist: 5 and 9 FF more than counted in its last two
 * Dense layers). */
static void ff_features(const nf_rtl_cost *c, double *x) { x[0] = (double)c->reg_bits, x[1] = (double)c->ctrl_bits; }

/* Solves the k x k system a b = r (Gauss-Jordan, partial pivoting). */
static int solve(double *a, double *r, int k) {
  for (int i = 0; i < k; i++) {
    int p = i;
    for (int j = i + 1; j < k; j++)
      if (fabs(a[j * k + i]) > fabs(a[p * k + i])) p = j;
    if (fabs(a[p * k + i]) < 1e-12) return -1;
    for (int j = 0; j < k; j++) {
      double t = a[i * k + j];
      a[i * k + j] = a[p * k + j], a[p * k + j] = t;
    }
    double t = r[i];
    r[i] = r[p], r[p] = t;
    for (int j = 0; j < k; j++) {
      if (j == i) continue;
      double f = a[j * k + i] / a[i * k + i];
      for (int m = 0; m < k; m++) a[j * k + m] -= f * a[i * k + m];
      r[j] -= f * r[i];
    }
  }
  for (int i = 0; i < k; i++) r[i] /= a[i * k + i];
  return 0;
}

/* Minimizes sum ((x.b - y) / y)^2 over the active features with b >= 0:
 * solve, drop the most negative coefficient's feature, repeat. Features
 * that are zero on every row stay inactive (coefficient 0). */
static void fit(const double *x, const double *y, int n, int k, double *b) {
  int active[16];
  for (int j = 0; j < k; j++) {
    active[j] = 0;
    for (int i = 0; i < n; i++) active[j] |= x[i * k + j] != 0;
  }
  for (;;) {
    int idx[16], m = 0;
    for (int j = 0; j < k; j++)
      if (active[j]) idx[m++] = j;
    double a[256] = {0}, r[16] = {0};
    for (int i = 0; i < n; i++) {
      double w = 1.0 / (y[i] * y[i]);
      for (int p = 0; p < m; p++) {
        r[p] += w * x[i * k + idx[p]] * y[i];
        for (int q = 0; q < m; q++) a[p * m + q] += w * x[i * k + idx[p]] * x[i * k + idx[q]];
      }
    }
    /* a touch of ridge: features that move together (e.g. ReLU and saturation
     * bits in the QAT designs) leave the system solvable */
    for (int p = 0; p < m; p++) a[p * m + p] *= 1 + 1e-6;
    for (int j = 0; j < k; j++) b[j] = 0;
    if (m == 0 || solve(a, r, m)) return;
    int worst = -1;
    for (int p = 0; p < m; p++)
      if (r[p] < 0 && (worst < 0 || r[p] < r[worst])) worst = p;
    if (worst < 0) {
      for (int p = 0; p < m; p++) b[idx[p]] = r[p];
      return;
    }
    active[idx[worst]] = 0;
  }
}

static double dot(const double *x, const double *b, int k) {
  double s = 0;
  for (int j = 0; j < k; j++) s += x[j] * b[j];
  return s;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  if (n == 0) return NAN;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Prints per-design figures and the error summary of each set. */
static void print_errors(const row *rows, int n, const double *elut, const double *eff) {
  printf("%-12s %-4s %8s %8s %7s %8s %8s %7s %7s\n", "design", "set", "LUT est", "Yosys", "err", "FF est", "Yosys",
         "err", "L+F err");
  for (int i = 0; i < n; i++)
    printf("%-12s %-4s %8.0f %8.0f %+6.1f%% %8.0f %8.0f %+6.1f%% %+6.1f%%\n", rows[i].name, rows[i].set, elut[i],
           rows[i].lut, 100 * (elut[i] / rows[i].lut - 1), eff[i], rows[i].ff, 100 * (eff[i] / rows[i].ff - 1),
           100 * ((elut[i] + eff[i]) / (rows[i].lut + rows[i].ff) - 1));
  /* by set, then the held-out designs by size band (Yosys LUT) */
  static const struct {
    const char *set;
    double lo, hi;
    const char *label;
  } G[] = {{"cal", 0, 1e12, "all"},         {"held", 0, 1e12, "all"},      {"held", 0, 2000, "< 2k LUT"},
           {"held", 2000, 20000, "2k-20k LUT"}, {"held", 20000, 1e12, "20k-150k LUT"}};
  for (size_t s = 0; s < sizeof G / sizeof G[0]; s++) {
    double el[MAX_ROWS], ef[MAX_ROWS], es[MAX_ROWS], ml = 0, mf = 0, ms = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (strcmp(rows[i].set, G[s].set) || rows[i].lut < G[s].lo || rows[i].lut >= G[s].hi) continue;
      el[m] = fabs(elut[i] / rows[i].lut - 1), ef[m] = fabs(eff[i] / rows[i].ff - 1);
      es[m] = fabs((elut[i] + eff[i]) / (rows[i].lut + rows[i].ff) - 1);
      ml = fmax(ml, el[m]), mf = fmax(mf, ef[m]), ms = fmax(ms, es[m]);
      m++;
    }
    printf("%-4s %-12s (%2d designs): |error| median / max  LUT %4.1f%% / %4.1f%%  FF %4.1f%% / %4.1f%%  LUT+FF %4.1f%% / %4.1f%%\n",
           G[s].set, G[s].label, m, 100 * median(el, m), 100 * ml, 100 * median(ef, m), 100 * mf, 100 * median(es, m),
           100 * ms);
  }
}

static int run_fit(const row *rows, int n) {
  static double xl[MAX_ROWS * N_LUT], xf[MAX_ROWS * N_FF], yl[MAX_ROWS], yf[MAX_ROWS];
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(rows[i].set, "cal")) continue;
    lut_features(&rows[i].c, &xl[m * N_LUT]);
    ff_features(&rows[i].c, &xf[m * N_FF]);
    yl[m] = rows[i].lut - lut_fixed(&rows[i].c), yf[m] = rows[i].ff;
    m++;
  }
  if (m < N_LUT) {
    fprintf(stderr, "only %d calibration rows: too few to fit %d coefficients\n", m, N_LUT);
    return 1;
  }
  double bl[N_LUT], bf[N_FF];
  fit(xl, yl, m, N_LUT, bl);
  fit(xf, yf, m, N_FF, bf);
  printf("fitted on %d 'cal' designs (paste into src/synth/estimate.c):\n", m);
  printf("    .xor = %.4f, .merged = %.4f, .sat = %.4f, .mux = 1.0, .mul = %.4f, .reg = %.4f, .ctrl = %.4f,\n",
         bl[0], bl[3], bl[1], bl[2], bf[0], bf[1]);
  static double el[MAX_ROWS], ef[MAX_ROWS];
  for (int i = 0; i < n; i++) {
    double x[N_LUT], f[N_FF];
    lut_features(&rows[i].c, x);
    ff_features(&rows[i].c, f);
    el[i] = dot(x, bl, N_LUT) + lut_fixed(&rows[i].c), ef[i] = dot(f, bf, N_FF);
  }
  print_errors(rows, n, el, ef);
  return 0;
}

static int run_report(const row *rows, int n) {
  static double el[MAX_ROWS], ef[MAX_ROWS];
  for (int i = 0; i < n; i++) {
    nf_estimate_layer l = {.cost = rows[i].c};
    nf_estimate_layer_from_cost(&l, false); /* linear: the sum of the layers' estimates */
    el[i] = l.lut, ef[i] = l.ff;
  }
  printf("committed coefficients (src/synth/estimate.c) against Yosys:\n");
  print_errors(rows, n, el, ef);
  return 0;
}

int main(int argc, char **argv) {
  bool report = argc == 3 && !strcmp(argv[1], "--report");
  if (argc != 2 && !report) {
    fprintf(stderr, "usage: bench_fit_estimate [--report] yosys_counts.tsv\n");
    return 2;
  }
  static row rows[MAX_ROWS];
  int n = read_tsv(argv[argc - 1], rows);
  if (n < 0) return 2;
  return report ? run_report(rows, n) : run_fit(rows, n);
}
