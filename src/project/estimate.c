/* The resource estimate of a project directory: its hardware network,
 * counted by nf_estimate_design. */
#include <string.h>

#include "nnfirm/project.h"

int nf_project_estimate(const char *dir, const char *part, bool use_dsp, nf_estimate *e, nf_error *err) {
  memset(e, 0, sizeof *e);
  nf_project *p = NULL;
  int rc = nf_project_open(dir, &p, err);
  if (rc) return rc;
  /* no part asked for: the project's own (its configuration's Part), if known */
  if (!part && p->design && nf_device_find(p->design->part)) part = p->design->part;
  rc = nf_estimate_design(p->design, part, use_dsp, e, err);
  nf_project_free(p);
  return rc;
}
