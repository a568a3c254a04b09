/* nnfirm synth PROJECT: Yosys synthesis of a project's RTL, with counts. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nnfirm/project.h"
#include "nnfirm/synth.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm synth PROJECT [--part P] [--jobs N] [--json] [--timeout SECONDS] [--dsp] [--no-abc9] [--quiet]\n"
    "       nnfirm synth [PROJECT] --vendor-report FILE [--vendor-timing FILE] [--clock NS] [--json]\n\n"
    "Synthesizes PROJECT/rtl/*.v with Yosys (synth_xilinx for UltraScale+, out of context)\n"
    "and reports LUT, FF, DSP, BRAM and CARRY counts and LUT%/FF% of the part. Writes\n"
    "PROJECT/synth/ (script, log, stat.json, netlist.blif, report.json), replacing it whole.\n\n"
    "  --part P        target device (default xcvu9p; also xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)\n"
    "  --top NAME      top module (default: the manifest's, else 'myproject')\n"
    "  --jobs N        synthesize each module the top instantiates (each layer) on its own, N\n"
    "                  Yosys processes at once, then join the mapped parts and count them\n"
    "                  (no optimization across layers: counts can differ slightly from a\n"
    "                  flat run's; the timing is read on the joined netlist). Default 1: flat\n"
    "  --timeout S     give up after S seconds (exit 2)\n"
    "  --clock NS      check the timing against NS (default: the project's ClockPeriod)\n"
    "  --dsp           let Yosys map multipliers to DSP48E2 (default: none, everything in LUTs)\n"
    "  --no-abc9       use Yosys' classic abc mapper instead of abc9 (faster, more LUTs)\n"
    "  --json          print the result as JSON\n"
    "  --quiet         no progress display\n"
    "  --vendor-report FILE   read the vendor's counts instead of running Yosys: a Vivado\n"
    "                  utilization report (PROJECT/vivado/synth.tcl writes it) or a Quartus\n"
    "                  fit summary (PROJECT/quartus/), into the same keys as Yosys' counts\n"
    "  --vendor-timing FILE   with it, Vivado's timing summary or Quartus' .sta.summary\n"
    "                  (the period: the report's clock, else --clock, else the project's)\n"
    "\nYosys counts are not Vivado's; they compare designs in one open flow.\n";

static char *result_json(const nf_synth_result *r, const char *top, int latency) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "top", top);
  cJSON_AddStringToObject(o, "part", r->part);
  cJSON_AddNumberToObject(o, "lut", (double)r->lut);
  cJSON_AddNumberToObject(o, "lut_logic", (double)r->lut_logic);
  cJSON_AddNumberToObject(o, "lut_memory", (double)r->lut_memory);
  cJSON_AddNumberToObject(o, "ff", (double)r->ff);
  cJSON_AddNumberToObject(o, "dsp", (double)r->dsp);
  cJSON_AddNumberToObject(o, "bram", r->bram);
  cJSON_AddNumberToObject(o, "carry", (double)r->carry);
  cJSON_AddNumberToObject(o, "lut_pct", r->lut_pct);
  cJSON_AddNumberToObject(o, "ff_pct", r->ff_pct);
  cJSON_AddNumberToObject(o, "dsp_pct", r->dsp_pct);
  cJSON_AddNumberToObject(o, "bram_pct", r->bram_pct);
  cJSON_AddNumberToObject(o, "seconds", r->seconds);
  cJSON_AddNumberToObject(o, "parts", r->parts);
  cJSON_AddNumberToObject(o, "yosys_cpu_seconds", r->cpu_seconds);
  if (r->parts) cJSON_AddNumberToObject(o, "parts_cpu_seconds", r->parts_cpu_seconds);
  const nf_timing *t = &r->timing;
  if (t->valid) {
    cJSON_AddNumberToObject(o, "critical_path_ns", t->critical_path_ns);
    cJSON_AddNumberToObject(o, "fmax_mhz", t->fmax_mhz);
    if (r->clock_ns > 0) {
      cJSON_AddNumberToObject(o, "clock_period_ns", r->clock_ns);
      cJSON_AddBoolToObject(o, "meets_timing", r->meets_timing);
      cJSON_AddNumberToObject(o, "slack_ns", r->slack_ns);
    }
    if (latency > 0) cJSON_AddNumberToObject(o, "latency_cycles", latency);
    cJSON *p = cJSON_AddObjectToObject(o, "critical_path");
    if (p) {
      cJSON_AddStringToObject(p, "start", t->start);
      cJSON_AddStringToObject(p, "end", t->end);
      cJSON_AddNumberToObject(p, "cell_ns", t->cell_ns);
      cJSON_AddNumberToObject(p, "route_ns", t->route_ns);
      cJSON_AddNumberToObject(p, "setup_ns", t->setup_ns);
      cJSON_AddNumberToObject(p, "cells", t->cells);
      cJSON_AddNumberToObject(p, "luts", t->luts);
      cJSON_AddNumberToObject(p, "carries", t->carries);
      cJSON_AddNumberToObject(p, "routed_nets", t->routed_nets);
      cJSON_AddNumberToObject(p, "route_ns_per_net", NF_ROUTE_NS_PER_NET);
      cJSON_AddStringToObject(p, "model", "Yosys' Xilinx cell delays (cells_sim.v specify) + routing per net (docs/firmware.md)");
    }
  }
  cJSON_AddStringToObject(o, "tool", "yosys synth_xilinx (open-source counts, not Vivado's)");
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

static int vendor_report(const char *project, const char *util, const char *timing, double clock_ns, bool json) {
  int latency = 0;
  nf_project *proj = NULL;
  nf_error err = {0};
  if (project && nf_project_open(project, &proj, &err)) return cli_report("synth", &err);
  if (proj) {
    if (clock_ns <= 0) clock_ns = proj->design->clock_period_ns > 0 ? proj->design->clock_period_ns : 5.0;
    latency = proj->info.latency;
    nf_project_free(proj);
  }
  nf_vendor_report rep;
  if (nf_vendor_report_read(util, timing, clock_ns, &rep, &err)) return cli_report("synth", &err);
  char *text = nf_vendor_report_json(&rep, latency);
  if (!text) {
    nf_fail_oom(&err, "JSON report");
    return cli_report("synth", &err);
  }
  const nf_synth_result *r = &rep.r;
  if (json) puts(text);
  else if (rep.alm >= 0)
    printf("%s on %s (Quartus fit summary): ALM %ld (%.4f%%)  registers %ld  DSP %ld  RAM blocks %.0f\n", rep.design,
           rep.device, rep.alm, rep.alm_pct, r->ff, r->dsp, r->bram);
  else
    printf("%s on %s (Vivado, %s): LUT %ld (%.4f%%)  FF %ld (%.4f%%)  DSP %ld  BRAM %.1f  CARRY %ld\n", rep.design,
           rep.device, rep.state[0] ? rep.state : "utilization", r->lut, r->lut_pct, r->ff, r->ff_pct, r->dsp, r->bram,
           r->carry);
  if (!json && rep.has_timing && rep.clock_ns > 0)
    printf("%s the %.3g ns clock by the vendor's timing: worst slack %.3f ns, critical path %.3f ns (Fmax %.1f MHz)%s",
           rep.meets_timing ? "meets" : "FAILS", rep.clock_ns, rep.wns_ns, rep.critical_path_ns, rep.fmax_mhz,
           latency > 0 ? "" : "\n");
  if (!json && rep.has_timing && rep.clock_ns > 0 && latency > 0)
    printf("; latency %d cycles at %.3g ns = %.1f ns\n", latency, rep.clock_ns, latency * rep.clock_ns);
  free(text);
  return 0;
}

int cmd_synth(int argc, char **argv) {
  static const struct option opts[] = {{"part", required_argument, 0, 'p'}, {"top", required_argument, 0, 't'},
                                       {"timeout", required_argument, 0, 'T'}, {"dsp", no_argument, 0, 'd'},
                                       {"no-abc9", no_argument, 0, 'a'}, {"json", no_argument, 0, 'j'},
                                       {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
                                       {"clock", required_argument, 0, 'c'}, {"vendor-report", required_argument, 0, 'V'},
                                       {"vendor-timing", required_argument, 0, 'W'},
                                       {"jobs", required_argument, 0, 'J'}, {0}};
  nf_synth_opts so = {.abc9 = true};
  const char *top_opt = NULL, *vendor = NULL, *vendor_timing = NULL;
  bool json = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "p:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'p': so.part = optarg; break;
    case 't': top_opt = optarg; break;
    case 'T':
      if (!nf_parse_double(optarg, &so.timeout_s) || so.timeout_s <= 0)
        return cli_usage_error("synth", "--timeout needs a positive number of seconds, got '%s'", optarg);
      break;
    case 'c':
      if (!nf_parse_double(optarg, &so.clock_ns) || so.clock_ns <= 0)
        return cli_usage_error("synth", "--clock needs a positive period in ns, got '%s'", optarg);
      break;
    case 'J': {
      long j;
      if (!nf_parse_long(optarg, &j) || j < 1 || j > 64)
        return cli_usage_error("synth", "--jobs needs a number of processes from 1 to 64, got '%s'", optarg);
      so.jobs = (int)j;
      break;
    }
    case 'V': vendor = optarg; break;
    case 'W': vendor_timing = optarg; break;
    case 'd': so.use_dsp = true; break;
    case 'a': so.abc9 = false; break;
    case 'j': json = true; break;
    case 'q': so.quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("synth", "unknown option");
    }
  }
  if (vendor_timing && !vendor) return cli_usage_error("synth", "--vendor-timing needs --vendor-report");
  if (vendor && optind < argc - 1) return cli_usage_error("synth", "expected at most one PROJECT directory");
  if (vendor) return vendor_report(optind < argc ? argv[optind] : NULL, vendor, vendor_timing, so.clock_ns, json);
  if (optind != argc - 1) return cli_usage_error("synth", "expected one PROJECT directory");
  const char *project = argv[optind];
  nf_error err = {0};
  if (so.part && !nf_device_find(so.part)) {
    nf_fail(&err, NF_EINPUT, "unknown part '%s' (known: xcvu9p, xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)", so.part);
    return cli_report("synth", &err);
  }
  char top[256];
  char **files = NULL, *tmp_dir = NULL, out_dir[4096];
  snprintf(out_dir, sizeof out_dir, "%s/synth", project);
  int rc = nf_project_sources(project, &files, top, sizeof top, &err);
  if (top_opt) snprintf(top, sizeof top, "%s", top_opt);
  so.top = top;
  /* a generated project: its ClockPeriod and latency (hand-written RTL has neither) */
  int latency = 0;
  nf_project *proj = NULL;
  if (!rc && nf_project_open(project, &proj, NULL) == NF_OK) {
    if (so.clock_ns <= 0) so.clock_ns = proj->design->clock_period_ns > 0 ? proj->design->clock_period_ns : 5.0;
    latency = proj->info.latency;
    nf_project_free(proj);
  }
  if (!rc) so.verilog_files = (const char *const *)files;
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp_dir, &err);
  nf_synth_result r;
  if (!rc) {
    so.work_dir = tmp_dir;
    rc = nf_synth_run(&so, &r, &err);
  }
  char *text = rc ? NULL : result_json(&r, top, latency);
  if (!rc && !text) rc = nf_fail_oom(&err, "JSON report");
  if (!rc) {
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", tmp_dir);
    rc = nf_write_file_atomic(path, text, strlen(text), &err);
  }
  if (!rc) rc = nf_outdir_commit(tmp_dir, out_dir, &err);
  else if (tmp_dir) nf_outdir_abort(tmp_dir);
  free(tmp_dir);
  nf_project_sources_free(files);
  if (rc) {
    free(text);
    return cli_report("synth", &err);
  }
  if (json) puts(text);
  else {
    printf("%s on %s (Yosys): LUT %ld (%.4f%%)  FF %ld (%.4f%%)  DSP %ld  BRAM %.1f  CARRY %ld  [%.1f s", top,
           r.part, r.lut, r.lut_pct, r.ff, r.ff_pct, r.dsp, r.bram, r.carry, r.seconds);
    if (r.parts) printf(", %d parts, %d at a time", r.parts, so.jobs);
    printf("]\n");
    const nf_timing *t = &r.timing;
    if (t->valid) {
      printf("critical path %.3f ns (Fmax %.1f MHz): %s -> %s, %d LUT + %d CARRY4, cells %.3f + routing %.3f ns\n",
             t->critical_path_ns, t->fmax_mhz, t->start, t->end, t->luts, t->carries, t->cell_ns, t->route_ns);
      if (r.clock_ns > 0 && r.meets_timing)
        printf("meets the %.3g ns clock (%.1f MHz), slack %.3f ns%s", r.clock_ns, 1000.0 / r.clock_ns, r.slack_ns,
               latency > 0 ? "" : "\n");
      else if (r.clock_ns > 0)
        printf("FAILS the %.3g ns clock (%.1f MHz) by %.3f ns%s", r.clock_ns, 1000.0 / r.clock_ns, -r.slack_ns,
               latency > 0 ? "" : "\n");
      if (r.clock_ns > 0 && latency > 0)
        printf("; latency %d cycles at %.3g ns = %.1f ns%s\n", latency, r.clock_ns, latency * r.clock_ns,
               r.meets_timing ? "" : " (not reachable at this clock)");
    }
  }
  free(text);
  return 0;
}
