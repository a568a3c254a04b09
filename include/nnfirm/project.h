/* nnfirm — projects: the stage that joins the fixed-point design (convert),
 * its firmware (rtl) and its cost (synth). A project directory is what
 * 'nnfirm convert' writes and every later command reads.
 *
 * Layering: this stage sits above convert, emulate, rtl and synth, which do
 * not know each other's types; code that needs two of them lives here. */
#ifndef NNFIRM_PROJECT_H
#define NNFIRM_PROJECT_H

#include <stdbool.h>
#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/error.h"
#include "nnfirm/rtl.h"
#include "nnfirm/synth.h"

/* The hardware part of the design (layers [0, n_hw)) as the firmware
 * generator's explicit network. The layers point into d's arrays: free
 * *layers only, and keep d alive while net is used. */
int nf_design_rtl_net(const nf_design *d, nf_rtl_net *net, nf_rtl_layer **layers, nf_error *err);

/* The resource estimate of a project directory written by 'nnfirm convert'
 * (its design.json; rtl/ is not needed); part NULL = the project's Part when
 * it is a known device, else "xcvu9p". NF_EINPUT when it is missing or bad. */
int nf_project_estimate(const char *dir, const char *part, bool use_dsp, nf_estimate *e, nf_error *err);

#endif
