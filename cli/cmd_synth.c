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
    "usage: nnfirm synth PROJECT [--part P] [--json] [--timeout SECONDS] [--dsp] [--no-abc9] [--quiet]\n\n"
    "Synthesizes PROJECT/rtl/*.v with Yosys (synth_xilinx for UltraScale+, out of context)\n"
    "and reports LUT, FF, DSP, BRAM and CARRY counts and LUT%/FF% of the part. Writes\n"
    "PROJECT/synth/ (script, log, stat.json, netlist.v, report.json), replacing it whole.\n\n"
    "  --part P        target device (default xcvu9p; also xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)\n"
    "  --top NAME      top module (default: the manifest's, else 'myproject')\n"
    "  --timeout S     give up after S seconds (exit 2)\n"
    "  --dsp           let Yosys map multipliers to DSP48E2 (default: none, everything in LUTs)\n"
    "  --no-abc9       use Yosys' classic abc mapper instead of abc9 (faster, more LUTs)\n"
    "  --json          print the result as JSON\n"
    "  --quiet         no progress display\n"
    "\nYosys counts are not Vivado's; they compare designs in one open flow.\n";

static char *result_json(const nf_synth_result *r, const char *top) {
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
  cJSON_AddStringToObject(o, "tool", "yosys synth_xilinx (open-source counts, not Vivado's)");
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

int cmd_synth(int argc, char **argv) {
  static const struct option opts[] = {{"part", required_argument, 0, 'p'}, {"top", required_argument, 0, 't'},
                                       {"timeout", required_argument, 0, 'T'}, {"dsp", no_argument, 0, 'd'},
                                       {"no-abc9", no_argument, 0, 'a'}, {"json", no_argument, 0, 'j'},
                                       {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0}};
  nf_synth_opts so = {.abc9 = true};
  const char *top_opt = NULL;
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
    case 'd': so.use_dsp = true; break;
    case 'a': so.abc9 = false; break;
    case 'j': json = true; break;
    case 'q': so.quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("synth", "unknown option");
    }
  }
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
  if (!rc) so.verilog_files = (const char *const *)files;
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp_dir, &err);
  nf_synth_result r;
  if (!rc) {
    so.work_dir = tmp_dir;
    rc = nf_synth_run(&so, &r, &err);
  }
  char *text = rc ? NULL : result_json(&r, top);
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
  else
    printf("%s on %s (Yosys): LUT %ld (%.4f%%)  FF %ld (%.4f%%)  DSP %ld  BRAM %.1f  CARRY %ld  [%.1f s]\n", top,
           r.part, r.lut, r.lut_pct, r.ff, r.ff_pct, r.dsp, r.bram, r.carry, r.seconds);
  free(text);
  return 0;
}
