/* The resource estimate of a project directory: its design as the firmware
 * generator's network, counted by nf_estimate_net. */
#include <stdlib.h>
#include <string.h>

#include "nnfirm/project.h"

int nf_project_estimate(const char *dir, const char *part, bool use_dsp, nf_estimate *e, nf_error *err) {
  memset(e, 0, sizeof *e);
  nf_design *d = NULL;
  int rc = nf_design_load(dir, &d, err);
  if (rc) return rc;
  nf_rtl_net net;
  nf_rtl_layer *layers = NULL;
  rc = nf_design_rtl_net(d, &net, &layers, err);
  /* no part asked for: the project's own (its configuration's Part), if known */
  if (!part && nf_device_find(d->part)) part = d->part;
  if (!rc) rc = nf_estimate_net(&net, part, use_dsp, e, err);
  free(layers);
  nf_design_free(d);
  return rc;
}

