/* The training history plots (loss and accuracy per epoch, training solid,
 * validation dashed), as the hls4ml tutorial shows them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

int nf_plot_history(const char *dir, const nf_train_result *res, nf_error *err) {
  int n = res->epochs_run;
  if (n < 1) return NF_OK;
  double *ep = malloc((size_t)n * sizeof *ep), *v[4];
  for (int k = 0; k < 4; k++) v[k] = malloc((size_t)n * sizeof(double));
  int rc = NF_OK;
  if (!ep || !v[0] || !v[1] || !v[2] || !v[3]) rc = nf_fail_oom(err, "history plot");
  for (int i = 0; !rc && i < n; i++) {
    const nf_epoch_stats *s = &res->history[i];
    ep[i] = s->epoch;
    v[0][i] = s->loss, v[1][i] = s->val_loss, v[2][i] = s->acc, v[3][i] = s->val_acc;
  }
  if (!rc) rc = nf_mkdir_p(dir, err);
  static const char *const exts[] = {"png", "svg"};
  for (int what = 0; !rc && what < 2; what++) {
    nf_series s[2] = {{"training", ep, v[2 * what], n, NF_LINE_SOLID, 0},
                      {"validation", ep, v[2 * what + 1], n, NF_LINE_DASHED, 1}};
    nf_plot_opts o = {0};
    o.title = what ? "Training history: accuracy" : "Training history: loss";
    o.xlabel = "epoch";
    o.ylabel = what ? "accuracy" : "loss (cross-entropy + regularization)";
    o.legend_pos = what ? "br" : "tr";
    int n_series = isnan(v[2 * what + 1][0]) ? 1 : 2;
    for (int e = 0; !rc && e < 2; e++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/history_%s.%s", dir, what ? "accuracy" : "loss", exts[e]);
      rc = nf_plot_lines(path, &o, s, n_series, err);
    }
  }
  free(ep);
  for (int k = 0; k < 4; k++) free(v[k]);
  return rc;
}

