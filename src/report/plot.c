/* Plots through PLplot's cairo drivers (pngcairo / svgcairo). PLplot keeps
 * global state, so plots are drawn one at a time; each goes to a temporary
 * file renamed into place when complete. */
#include <math.h>
#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

/* A colour-blind-safe palette (Okabe-Ito), as cmap0 indices 1..8. */
static const int PALETTE[][3] = {{0, 114, 178},  {213, 94, 0},  {0, 158, 115}, {204, 121, 167},
                                 {230, 159, 0},  {86, 180, 233}, {0, 0, 0},    {240, 228, 66}};
enum { N_PALETTE = 8 };

typedef struct {
  char tmp[4200];
  const char *path;
} plot_file;

static int plot_begin(plot_file *pf, const char *path, const nf_plot_opts *o, nf_error *err) {
  const char *dev;
  if (nf_has_suffix(path, ".png")) dev = "pngcairo";
  else if (nf_has_suffix(path, ".svg")) dev = "svgcairo";
  else return nf_fail(err, NF_EINPUT, "%s: plots are .png or .svg", path);
  pf->path = path;
  snprintf(pf->tmp, sizeof pf->tmp, "%s.tmp-%ld%s", path, (long)getpid(), nf_has_suffix(path, ".png") ? ".png" : ".svg");
  plsdev(dev);
  plsfnam(pf->tmp);
  char geom[64];
  snprintf(geom, sizeof geom, "%dx%d", o && o->width ? o->width : 800, o && o->height ? o->height : 600);
  plsetopt("geometry", geom);
  /* White background, dark axes; palette from index 1. */
  plscol0(0, 255, 255, 255);
  plscol0(15, 40, 40, 40);
  for (int i = 0; i < N_PALETTE; i++) plscol0(i + 1, PALETTE[i][0], PALETTE[i][1], PALETTE[i][2]);
  plinit();
  plfontld(1);
  return NF_OK;
}

static int plot_end(plot_file *pf, nf_error *err) {
  plend();
  if (access(pf->tmp, F_OK) != 0 || rename(pf->tmp, pf->path) != 0) {
    unlink(pf->tmp);
    return nf_fail(err, NF_EINTERNAL, "%s: the plot could not be written", pf->path);
  }
  return NF_OK;
}

static double safe_log10(double v) { return log10(v > 1e-300 ? v : 1e-300); }

/* Axis frame with labels; axis values are already in log10 when log. */
static void frame(const nf_plot_opts *o, double x0, double x1, double y0, double y1) {
  plcol0(15);
  pladv(0);
  plvpor(0.12, 0.95, 0.11, 0.88); /* room above for an axis exponent label */
  plwind(x0, x1, y0, y1);
  plschr(0, 0.85);
  plbox(o->logx ? "bcnstl" : "bcnst", 0, 0, o->logy ? "bcnstvl" : "bcnstv", 0, 0);
  plschr(0, 1.0);
  pllab(o->xlabel ? o->xlabel : "", o->ylabel ? o->ylabel : "", o->title ? o->title : "");
}

static void legend(const nf_plot_opts *o, int n, const char **labels, const int *colors, const int *styles) {
  int opt_bits[16], text_colors[16], line_colors[16], line_styles[16];
  PLFLT line_widths[16];
  const char *texts[16];
  int k = 0;
  for (int i = 0; i < n && k < 16; i++) {
    if (!labels[i]) continue;
    opt_bits[k] = PL_LEGEND_LINE;
    text_colors[k] = 15;
    line_colors[k] = colors[i];
    line_styles[k] = styles[i];
    line_widths[k] = 2.0;
    texts[k] = labels[i];
    k++;
  }
  if (!k) return;
  const char *pos = o->legend_pos ? o->legend_pos : "tr";
  int where = (pos[0] == 'b' ? PL_POSITION_BOTTOM : PL_POSITION_TOP) | (pos[1] == 'l' ? PL_POSITION_LEFT : PL_POSITION_RIGHT) |
              PL_POSITION_INSIDE;
  PLFLT w, h;
  plschr(0, 0.8);
  pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, where, 0.02, 0.02, 0.1, 0, 15, 1, 0, 0, k, opt_bits,
           1.0, 0.8, 2.0, 1.0, text_colors, texts, NULL, NULL, NULL, NULL, line_colors, line_styles, line_widths, NULL,
           NULL, NULL, NULL);
  plschr(0, 1.0);
}

static void set_style(nf_line_style s) {
  static PLINT dash_mark[] = {1500}, dash_space[] = {1000}, dot_mark[] = {300}, dot_space[] = {700};
  if (s == NF_LINE_DASHED) plstyl(1, dash_mark, dash_space);
  else if (s == NF_LINE_DOTTED) plstyl(1, dot_mark, dot_space);
  else plstyl(0, NULL, NULL);
}

int nf_plot_lines(const char *path, const nf_plot_opts *o, const nf_series *s, int n, nf_error *err) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int k = 0; k < n; k++)
    for (int i = 0; i < s[k].n; i++) {
      double x = o->logx ? safe_log10(s[k].x[i]) : s[k].x[i], y = o->logy ? safe_log10(s[k].y[i]) : s[k].y[i];
      if (!isfinite(x) || !isfinite(y)) continue;
      x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
  if (!(x0 <= x1)) return nf_fail(err, NF_EINPUT, "%s: nothing to plot", path);
  if (o->xmin != o->xmax) x0 = o->logx ? log10(o->xmin) : o->xmin, x1 = o->logx ? log10(o->xmax) : o->xmax;
  if (o->ymin != o->ymax) y0 = o->logy ? log10(o->ymin) : o->ymin, y1 = o->logy ? log10(o->ymax) : o->ymax;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  double pad = o->ymin != o->ymax ? 0 : 0.04 * (y1 - y0);
  plot_file pf;
  int rc = plot_begin(&pf, path, o, err);
  if (rc) return rc;
  frame(o, x0, x1, y0 - pad, y1 + pad);
  const char *labels[16];
  int colors[16], styles[16];
  for (int k = 0; k < n; k++) {
    int color = 1 + (s[k].color >= 0 ? s[k].color : k) % N_PALETTE;
    double *xs = malloc((size_t)(s[k].n ? s[k].n : 1) * sizeof *xs), *ys = malloc((size_t)(s[k].n ? s[k].n : 1) * sizeof *ys);
    int m = 0;
    for (int i = 0; xs && ys && i < s[k].n; i++) {
      double x = o->logx ? safe_log10(s[k].x[i]) : s[k].x[i], y = o->logy ? safe_log10(s[k].y[i]) : s[k].y[i];
      if (isfinite(x) && isfinite(y)) xs[m] = x, ys[m++] = y;
    }
    plcol0(color);
    plwidth(2.0);
    set_style(s[k].style);
    if (s[k].style == NF_LINE_POINTS) { /* markers big enough to see on a page */
      plssym(0.0, 1.8);
      plpoin(m, xs, ys, 17);
      plssym(0.0, 1.0);
    } else {
      plline(m, xs, ys);
    }
    free(xs);
    free(ys);
    if (k < 16) labels[k] = s[k].label, colors[k] = color, styles[k] = s[k].style == NF_LINE_DASHED ? 3 : s[k].style == NF_LINE_DOTTED ? 2 : 1;
  }
  set_style(NF_LINE_SOLID);
  plwidth(1.0);
  legend(o, n < 16 ? n : 16, labels, colors, styles);
  return plot_end(&pf, err);
}

static double axis_x(const nf_plot_opts *o, double v) { return o->logx ? safe_log10(v) : v; }
static double axis_y(const nf_plot_opts *o, double v) { return o->logy ? safe_log10(v) : v; }

int nf_plot_points(const char *path, const nf_plot_opts *o, const nf_point_series *p, int n_points,
                   const nf_series *lines, int n_lines, nf_error *err) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int k = 0; k < n_points; k++)
    for (int i = 0; i < p[k].n; i++) {
      double x = axis_x(o, p[k].x[i]), y = axis_y(o, p[k].y[i]);
      if (!isfinite(x) || !isfinite(y)) continue;
      double lo = p[k].ylo ? axis_y(o, p[k].ylo[i]) : y, hi = p[k].yhi ? axis_y(o, p[k].yhi[i]) : y;
      x0 = fmin(x0, x), x1 = fmax(x1, x);
      y0 = fmin(y0, isfinite(lo) ? fmin(lo, y) : y), y1 = fmax(y1, isfinite(hi) ? fmax(hi, y) : y);
    }
  for (int k = 0; k < n_lines; k++)
    for (int i = 0; i < lines[k].n; i++) {
      double x = axis_x(o, lines[k].x[i]), y = axis_y(o, lines[k].y[i]);
      if (isfinite(x) && isfinite(y)) x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
  if (!(x0 <= x1)) return nf_fail(err, NF_EINPUT, "%s: nothing to plot", path);
  if (o->xmin != o->xmax) x0 = axis_x(o, o->xmin), x1 = axis_x(o, o->xmax);
  if (o->ymin != o->ymax) y0 = axis_y(o, o->ymin), y1 = axis_y(o, o->ymax);
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  /* room on the right for the texts beside the last markers */
  double xpad = o->xmin != o->xmax ? 0 : 0.06 * (x1 - x0), ypad = o->ymin != o->ymax ? 0 : 0.05 * (y1 - y0);
  int most = 1;
  for (int k = 0; k < n_points; k++) most = p[k].n > most ? p[k].n : most;
  double *xs = malloc((size_t)most * 3 * sizeof *xs);
  if (!xs) return nf_fail_oom(err, path);
  double *lo = xs + most, *hi = lo + most;
  plot_file pf;
  int rc = plot_begin(&pf, path, o, err);
  if (rc) {
    free(xs);
    return rc;
  }
  /* a legend at the bottom gets room of its own below the data: about 7% of
   * the frame's height per entry */
  int entries = 0;
  for (int k = 0; k < n_points; k++) entries += p[k].label != NULL;
  for (int k = 0; k < n_lines; k++) entries += lines[k].label != NULL;
  double f = o->legend_pos && o->legend_pos[0] == 'b' && o->ymin == o->ymax ? 0.05 + 0.07 * entries : 0;
  double below = f > 0 && f < 0.8 ? (y1 - y0 + 2 * ypad) * f / (1 - f) : 0;
  frame(o, x0 - xpad, x1 + 2 * xpad, y0 - ypad - below, y1 + ypad);
  const char *labels[16];
  int colors[16], styles[16], n_leg = 0;
  for (int k = 0; k < n_lines; k++) {
    int color = 1 + (lines[k].color >= 0 ? lines[k].color : k) % N_PALETTE;
    plcol0(color);
    plwidth(2.0);
    set_style(lines[k].style);
    for (int i = 0; i + 1 < lines[k].n; i++) { /* segment by segment: no buffer for the transformed line */
      double lx[2] = {axis_x(o, lines[k].x[i]), axis_x(o, lines[k].x[i + 1])};
      double ly[2] = {axis_y(o, lines[k].y[i]), axis_y(o, lines[k].y[i + 1])};
      if (isfinite(lx[0]) && isfinite(lx[1]) && isfinite(ly[0]) && isfinite(ly[1])) plline(2, lx, ly);
    }
    if (n_leg < 16) labels[n_leg] = lines[k].label, colors[n_leg] = color, styles[n_leg++] = lines[k].style == NF_LINE_DASHED ? 3 : lines[k].style == NF_LINE_DOTTED ? 2 : 1;
  }
  set_style(NF_LINE_SOLID);
  for (int k = 0; k < n_points; k++) {
    int color = 1 + (p[k].color >= 0 ? p[k].color : k) % N_PALETTE, m = 0;
    plcol0(color);
    plwidth(1.5);
    double *ys = malloc((size_t)(p[k].n ? p[k].n : 1) * sizeof *ys);
    if (!ys) {
      rc = nf_fail_oom(err, path);
      break;
    }
    for (int i = 0; i < p[k].n; i++) {
      double x = axis_x(o, p[k].x[i]), y = axis_y(o, p[k].y[i]);
      if (!isfinite(x) || !isfinite(y)) continue;
      xs[m] = x, ys[m] = y;
      lo[m] = p[k].ylo && isfinite(p[k].ylo[i]) ? axis_y(o, p[k].ylo[i]) : y;
      hi[m] = p[k].yhi && isfinite(p[k].yhi[i]) ? axis_y(o, p[k].yhi[i]) : y;
      m++;
    }
    if (p[k].ylo || p[k].yhi) plerry(m, xs, lo, hi);
    plssym(0.0, p[k].size > 0 ? p[k].size : 1.8);
    plpoin(m, xs, ys, p[k].marker ? p[k].marker : 17);
    plssym(0.0, 1.0);
    free(ys);
    plschr(0, 0.7);
    for (int i = 0; p[k].texts && i < p[k].n; i++) {
      double x = axis_x(o, p[k].x[i]), y = axis_y(o, p[k].y[i]);
      if (p[k].texts[i] && isfinite(x) && isfinite(y)) plptex(x + 0.012 * (x1 - x0), y, 1.0, 0.0, 0.0, p[k].texts[i]);
    }
    plschr(0, 1.0);
    if (n_leg < 16) labels[n_leg] = p[k].label, colors[n_leg] = color, styles[n_leg++] = 1;
  }
  plwidth(1.0);
  if (!rc) legend(o, n_leg, labels, colors, styles);
  free(xs);
  int end = plot_end(&pf, err);
  return rc ? rc : end;
}

int nf_plot_histograms(const char *path, const nf_plot_opts *o, const double *edges, int n_bins,
                       const double *const *counts, const char *const *labels, int n_series, nf_error *err) {
  double ymax = 0;
  for (int k = 0; k < n_series; k++)
    for (int b = 0; b < n_bins; b++) ymax = fmax(ymax, counts[k][b]);
  if (n_bins < 1 || !(ymax > 0)) return nf_fail(err, NF_EINPUT, "%s: empty histogram", path);
  plot_file pf;
  int rc = plot_begin(&pf, path, o, err);
  if (rc) return rc;
  /* log y: empty bins sit at the floor 0.5, below a single count */
  double floor_y = o->logy ? log10(0.5) : 0;
  frame(o, edges[0], edges[n_bins], floor_y, o->logy ? log10(ymax) + 0.15 : ymax * 1.08);
  const char *lab[16];
  int colors[16], styles[16];
  double *xs = malloc(sizeof(double) * (size_t)(2 * n_bins + 2)), *ys = malloc(sizeof(double) * (size_t)(2 * n_bins + 2));
  for (int k = 0; xs && ys && k < n_series; k++) {
    int m = 0;
    xs[m] = edges[0], ys[m++] = floor_y;
    for (int b = 0; b < n_bins; b++) {
      double y = o->logy ? (counts[k][b] > 0.5 ? log10(counts[k][b]) : floor_y) : counts[k][b];
      xs[m] = edges[b], ys[m++] = y;
      xs[m] = edges[b + 1], ys[m++] = y;
    }
    xs[m] = edges[n_bins], ys[m++] = floor_y;
    plcol0(1 + k % N_PALETTE);
    plwidth(2.0);
    plline(m, xs, ys);
    if (k < 16) lab[k] = labels ? labels[k] : NULL, colors[k] = 1 + k % N_PALETTE, styles[k] = 1;
  }
  free(xs);
  free(ys);
  plwidth(1.0);
  legend(o, n_series < 16 ? n_series : 16, lab, colors, styles);
  return plot_end(&pf, err);
}

int nf_plot_heatmap(const char *path, const nf_plot_opts *o, const double *z, int rows, int cols,
                    const char *const *row_labels, const char *const *col_labels, nf_error *err) {
  if (rows < 1 || cols < 1) return nf_fail(err, NF_EINPUT, "%s: empty heat map", path);
  double zmax = 0;
  for (int i = 0; i < rows * cols; i++) zmax = fmax(zmax, z[i]);
  plot_file pf;
  int rc = plot_begin(&pf, path, o, err);
  if (rc) return rc;
  plcol0(15);
  pladv(0);
  plvpor(0.14, 0.92, 0.12, 0.9);
  plwind(0, cols, 0, rows);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      double v = zmax > 0 ? z[r * cols + c] / zmax : 0;
      /* White to blue. */
      plscol0a(9, (int)(255 - 255 * v), (int)(255 - 170 * v), (int)(255 - 80 * v), 1.0);
      plcol0(9);
      double y0 = rows - r - 1;
      PLFLT xs[4] = {c, c + 1, c + 1, c}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
      plfill(4, xs, ys);
      char txt[32];
      snprintf(txt, sizeof txt, zmax <= 1.0 ? "%.2f" : "%.0f", z[r * cols + c]);
      plcol0(v > 0.55 ? 0 : 15);
      plptex(c + 0.5, y0 + 0.45, 1, 0, 0.5, txt);
    }
  plcol0(15);
  plbox("bc", 1, 0, "bc", 1, 0);
  for (int c = 0; col_labels && c < cols; c++) plmtex("b", 1.5, (c + 0.5) / cols, 0.5, col_labels[c]);
  for (int r = 0; row_labels && r < rows; r++) plmtex("lv", 1.0, 1.0 - (r + 0.5) / rows, 1.0, row_labels[r]);
  plmtex("t", 1.5, 0.5, 0.5, o->title ? o->title : "");
  plmtex("b", 3.2, 0.5, 0.5, o->xlabel ? o->xlabel : "");
  plmtex("l", 3.5, 0.5, 0.5, o->ylabel ? o->ylabel : "");
  return plot_end(&pf, err);
}

int nf_plot_boxes(const char *path, const nf_plot_opts *o, const nf_box_row *rows, int n, nf_error *err) {
  if (n < 1) return nf_fail(err, NF_EINPUT, "%s: no rows to plot", path);
  double x0 = INFINITY, x1 = -INFINITY;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 5; k++) {
      double v = o->logx ? safe_log10(rows[i].stats[k]) : rows[i].stats[k];
      if (isfinite(v)) x0 = fmin(x0, v), x1 = fmax(x1, v);
    }
    if (isfinite(rows[i].band_hi)) x1 = fmax(x1, o->logx ? safe_log10(rows[i].band_hi) : rows[i].band_hi);
    if (isfinite(rows[i].band_lo)) x0 = fmin(x0, o->logx ? safe_log10(rows[i].band_lo) : rows[i].band_lo);
  }
  if (!(x0 < x1)) x0 -= 1, x1 += 1;
  plot_file pf;
  int rc = plot_begin(&pf, path, o, err);
  if (rc) return rc;
  plcol0(15);
  pladv(0);
  plvpor(0.25, 0.95, 0.1, 0.9);
  plwind(x0, x1, 0, n);
  plbox(o->logx ? "bcnstl" : "bcnst", 0, 0, "bc", 0, 0);
  pllab(o->xlabel ? o->xlabel : "", "", o->title ? o->title : "");
  for (int i = 0; i < n; i++) {
    double y = n - i - 0.5;
    double v[5];
    for (int k = 0; k < 5; k++) v[k] = o->logx ? safe_log10(rows[i].stats[k]) : rows[i].stats[k];
    if (isfinite(rows[i].band_lo) && isfinite(rows[i].band_hi)) {
      double b0 = o->logx ? safe_log10(rows[i].band_lo) : rows[i].band_lo, b1 = o->logx ? safe_log10(rows[i].band_hi) : rows[i].band_hi;
      plscol0a(10, 200, 200, 200, 1.0);
      plcol0(10);
      PLFLT xs[4] = {b0, b1, b1, b0}, ys[4] = {y - 0.42, y - 0.42, y + 0.42, y + 0.42};
      plfill(4, xs, ys);
    }
    plcol0(1);
    plwidth(1.5);
    PLFLT bx[5] = {v[1], v[3], v[3], v[1], v[1]}, by[5] = {y - 0.3, y - 0.3, y + 0.3, y + 0.3, y - 0.3};
    plline(5, bx, by);
    pljoin(v[2], y - 0.3, v[2], y + 0.3);
    pljoin(v[0], y, v[1], y);
    pljoin(v[3], y, v[4], y);
    plcol0(15);
    plmtex("lv", 0.8, (y) / n, 1.0, rows[i].label ? rows[i].label : "");
  }
  plwidth(1.0);
  return plot_end(&pf, err);
}
