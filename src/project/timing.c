/* Re-pipelining until the netlist timing meets the clock: write the
 * project, synthesize it (Yosys, PROJECT/synth), and while the critical path
 * is longer than ClockPeriod, write it again with the pipeline placement's
 * budget reduced by the amount it failed (nf_design.pipeline_derate_ns, kept
 * in design.json), so that the delay model places registers more often. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/project.h"
#include "nnfirm/util.h"

/* Yosys on dir's RTL into dir/synth (replaced whole). */
static int synth_into(const char *dir, const nf_project_timing_opts *o, double clock_ns, nf_synth_result *r,
                      nf_error *err) {
  char out_dir[4200], top[128], *tmp = NULL, **files = NULL;
  snprintf(out_dir, sizeof out_dir, "%s/synth", dir);
  int rc = nf_project_sources(dir, &files, top, sizeof top, err);
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp, err);
  if (!rc) {
    nf_synth_opts so = {.verilog_files = (const char *const *)files, .top = top, .part = o->part, .abc9 = true,
                        .timeout_s = o->timeout_s, .quiet = true, .work_dir = tmp, .clock_ns = clock_ns,
                        .yosys = o->yosys};
    rc = nf_synth_run(&so, r, err);
    if (!rc && !r->timing.valid) rc = nf_fail(err, NF_EINPUT, "%s: Yosys' netlist has no timed path", out_dir);
    if (!rc) rc = nf_outdir_commit(tmp, out_dir, err);
    else nf_outdir_abort(tmp);
  }
  free(tmp);
  nf_project_sources_free(files);
  return rc;
}

int nf_project_meet_timing(const nf_project_spec *s, const char *dir, const nf_project_timing_opts *o,
                           nf_project_timing *t, nf_error *err) {
  memset(t, 0, sizeof *t);
  if (!s->design || !s->rtl) return nf_fail(err, NF_EINTERNAL, "meet timing: a design with RTL is needed");
  nf_design d = *s->design; /* shares the layers; only the derate changes */
  nf_project_spec spec = *s;
  spec.design = &d;
  double clock = d.clock_period_ns > 0 ? d.clock_period_ns : 5.0;
  int max_rounds = o->max_rounds > 0 && o->max_rounds <= NF_PROJECT_TIMING_ROUNDS ? o->max_rounds : NF_PROJECT_TIMING_ROUNDS;
  int prev_latency = -1, prev_levels = -1;
  bool prev_reg_act = false;
  int rc = NF_OK;
  while (!rc && t->n_rounds < max_rounds) {
    /* a derate that changes nothing in the placement is not synthesized */
    nf_rtl_info plan;
    rc = nf_rtl_plan(&d, &plan, err);
    if (rc) break;
    double budget = nf_rtl_stage_budget_ns(&d);
    bool reg_act = nf_rtl_registers_activations(budget);
    if (t->n_rounds > 0 && plan.latency == prev_latency && plan.levels_per_stage == prev_levels &&
        reg_act == prev_reg_act) {
      if (budget <= NF_RTL_REG_NS + NF_RTL_ADDER_NS) break; /* one level a stage already: nothing left to split */
      d.pipeline_derate_ns += 0.1;
      continue;
    }
    nf_project_timing_round *r = &t->rounds[t->n_rounds];
    r->derate_ns = d.pipeline_derate_ns, r->budget_ns = budget, r->reg_act = reg_act;
    rc = nf_project_write(&spec, dir, &plan, err);
    r->latency = plan.latency, r->levels_per_stage = plan.levels_per_stage;
    if (!rc) rc = synth_into(dir, o, clock, &t->synth, err);
    if (rc) break;
    t->n_rounds++;
    r->critical_path_ns = t->synth.timing.critical_path_ns;
    r->meets = t->synth.meets_timing;
    r->lut = t->synth.lut, r->ff = t->synth.ff;
    r->synth_seconds = t->synth.seconds;
    snprintf(r->start, sizeof r->start, "%s", t->synth.timing.start);
    snprintf(r->end, sizeof r->end, "%s", t->synth.timing.end);
    if (o->progress) o->progress(r, t->n_rounds, o->ctx);
    if (r->meets) break;
    prev_latency = plan.latency, prev_levels = plan.levels_per_stage, prev_reg_act = reg_act;
    /* the placement budgets less by what the netlist took beyond the clock */
    d.pipeline_derate_ns += fmax(r->critical_path_ns - clock, 0.05);
    if (d.pipeline_derate_ns >= clock) break;
  }
  if (!rc && t->n_rounds == 0) rc = nf_fail(err, NF_EINTERNAL, "meet timing: no round ran");
  if (rc) return rc;
  const nf_project_timing_round *last = &t->rounds[t->n_rounds - 1];
  t->meets = last->meets;
  t->clock_ns = clock;
  t->latency = last->latency;
  return NF_OK;
}
