/* The bit-width scan's figure (nnfirm scan -o DIR). */
#include <stdlib.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

int nf_plot_scan(const char *dir, const nf_scan_point *pts, int k, double float_acc, nf_error *err) {
  char *tmp = NULL;
  int rc = nf_outdir_begin(dir, &tmp, err);
  double *bx = malloc(sizeof(double) * (size_t)k), *acc = malloc(sizeof(double) * (size_t)k), fx[2], fy[2];
  if (!rc && (!bx || !acc)) rc = nf_fail_oom(err, "plot");
  for (int i = 0; !rc && i < k; i++) bx[i] = pts[i].bits, acc[i] = pts[i].accuracy;
  fx[0] = pts[0].bits, fx[1] = pts[k - 1].bits, fy[0] = fy[1] = float_acc;
  nf_series s[2] = {{"fixed point (bit-accurate)", bx, acc, k, NF_LINE_SOLID, 0},
                    {"float", fx, fy, 2, NF_LINE_DASHED, 1}};
  nf_plot_opts o = {.title = "Accuracy versus bit width (ap_fixed<W,I> everywhere)", .xlabel = "total bits W",
                    .ylabel = "accuracy", .legend_pos = "br"};
  char path[4200];
  if (!rc) {
    snprintf(path, sizeof path, "%s/scan.png", tmp);
    rc = nf_plot_lines(path, &o, s, 2, err);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/scan.svg", tmp);
    rc = nf_plot_lines(path, &o, s, 2, err);
  }
  if (!rc) rc = nf_outdir_commit(tmp, dir, err);
  else if (tmp) nf_outdir_abort(tmp);
  free(tmp);
  free(bx);
  free(acc);
  return rc;
}

