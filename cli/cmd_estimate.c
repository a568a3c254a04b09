/* nnfirm estimate PROJECT: LUT / FF / DSP without synthesis, per layer, and
 * Agilex 7 ALM / register estimates. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/project.h"
#include "nnfirm/synth.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm estimate PROJECT [--part P] [--dsp] [--json]\n\n"
    "Estimates the resources of PROJECT's design (its design.json, as written by 'nnfirm\n"
    "convert') in milliseconds, without synthesis: the RTL generator counts what it would\n"
    "emit per layer (adder bits after CSD sharing and width trimming, register bits per\n"
    "pipeline stage, saturation/ReLU selects, ReuseFactor multipliers) and a linear model\n"
    "calibrated against Yosys turns the counts into LUT, FF and DSP as 'nnfirm synth'\n"
    "would report them. Intel Agilex 7 (" NF_AGILEX_DEVICE ") ALMs and registers are\n"
    "estimates from a LUT -> ALM model (docs/firmware.md), not from an Intel tool.\n\n"
    "  --part P        device for the percentages (default: the project's Part if known, else\n"
    "                  xcvu9p; the devices of 'nnfirm synth')\n"
    "  --dsp           as 'nnfirm synth --dsp': ReuseFactor multipliers in DSP48E2\n"
    "  --json          print the result as JSON\n"
    "  --features      print the summed counts as one tab-separated line (calibration)\n"
    "  --features-header  print the names of those columns (no PROJECT)\n";

static cJSON *layer_json(const nf_estimate_layer *l) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "name", l->name);
  cJSON_AddStringToObject(o, "kind", l->kind);
  cJSON_AddNumberToObject(o, "n_in", l->n_in);
  cJSON_AddNumberToObject(o, "n_out", l->n_out);
  cJSON_AddNumberToObject(o, "reuse", l->reuse);
  cJSON_AddNumberToObject(o, "lut", (double)lround(l->lut));
  cJSON_AddNumberToObject(o, "ff", (double)lround(l->ff));
  cJSON_AddNumberToObject(o, "dsp", (double)lround(l->dsp));
  cJSON_AddNumberToObject(o, "bram", l->bram);
  cJSON_AddNumberToObject(o, "alm", (double)lround(l->alm));
  cJSON_AddNumberToObject(o, "reg", (double)lround(l->reg));
  cJSON_AddNumberToObject(o, "nonzero_weights", (double)l->cost.nnz_weights);
  cJSON_AddNumberToObject(o, "csd_digits", (double)l->cost.csd_digits);
  cJSON_AddNumberToObject(o, "adders", (double)l->cost.adders);
  cJSON_AddNumberToObject(o, "adder_bits", (double)l->cost.add_bits);
  cJSON_AddNumberToObject(o, "register_bits", (double)l->cost.reg_bits);
  return o;
}

static char *estimate_json(const nf_estimate *e) {
  cJSON *o = cJSON_CreateObject(), *layers = cJSON_CreateArray(), *ag = cJSON_CreateObject();
  if (!o || !layers || !ag) {
    cJSON_Delete(o), cJSON_Delete(layers), cJSON_Delete(ag);
    return NULL;
  }
  cJSON_AddStringToObject(o, "part", e->device->name);
  cJSON_AddNumberToObject(o, "lut", (double)lround(e->lut));
  cJSON_AddNumberToObject(o, "ff", (double)lround(e->ff));
  cJSON_AddNumberToObject(o, "dsp", (double)lround(e->dsp));
  cJSON_AddNumberToObject(o, "bram", e->bram);
  cJSON_AddNumberToObject(o, "lut_pct", e->lut_pct);
  cJSON_AddNumberToObject(o, "ff_pct", e->ff_pct);
  cJSON_AddNumberToObject(o, "dsp_pct", e->dsp_pct);
  cJSON_AddNumberToObject(o, "bram_pct", e->bram_pct);
  cJSON_AddStringToObject(o, "model", "estimate calibrated against yosys synth_xilinx -abc9 (nnfirm synth)");
  cJSON_AddNumberToObject(o, "latency_cycles", e->latency);
  cJSON_AddNumberToObject(o, "clock_period_ns", e->clock_ns);
  cJSON_AddNumberToObject(o, "critical_path_ns", e->critical_path_ns);
  cJSON_AddBoolToObject(o, "meets_timing", e->critical_path_ns <= e->clock_ns);
  cJSON_AddBoolToObject(o, "critical_path_partial", e->path_partial);
  cJSON_AddStringToObject(o, "timing_model", "the RTL generator's delay model (docs/firmware.md), no synthesis");
  for (int i = 0; i < e->n_layers; i++) cJSON_AddItemToArray(layers, layer_json(&e->layers[i]));
  cJSON_AddItemToObject(o, "layers", layers);
  cJSON_AddStringToObject(ag, "device", NF_AGILEX_DEVICE);
  cJSON_AddNumberToObject(ag, "alm", (double)lround(e->alm));
  cJSON_AddNumberToObject(ag, "reg", (double)lround(e->reg));
  cJSON_AddNumberToObject(ag, "alm_pct", e->alm_pct);
  cJSON_AddNumberToObject(ag, "reg_pct", e->reg_pct);
  cJSON_AddBoolToObject(ag, "estimate", true);
  cJSON_AddStringToObject(ag, "method", "LUT->ALM model: 2 adder bits, 1.4 other LUT functions, 4 registers per ALM; "
                                        "block RAM (M20K) not estimated");
  cJSON_AddItemToObject(o, "agilex", ag);
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

static void print_table(const nf_estimate *e, const char *project) {
  printf("%s: resource estimate (no synthesis; calibrated against Yosys, see docs/firmware.md)\n", project);
  printf("%-14s %-7s %9s %6s %9s %9s %5s %6s %9s %9s\n", "layer", "kind", "shape", "reuse", "LUT", "FF", "DSP", "BRAM",
         "ALM*", "REG*");
  for (int i = 0; i < e->n_layers; i++) {
    const nf_estimate_layer *l = &e->layers[i];
    char shape[32];
    snprintf(shape, sizeof shape, "%dx%d", l->n_in, l->n_out);
    printf("%-14s %-7s %9s %6d %9ld %9ld %5ld %6.1f %9ld %9ld\n", l->name, l->kind, shape, l->reuse,
           lround(l->lut), lround(l->ff), lround(l->dsp), l->bram, lround(l->alm), lround(l->reg));
  }
  printf("%-14s %-7s %9s %6s %9ld %9ld %5ld %6.1f %9ld %9ld\n", "total", "", "", "", lround(e->lut), lround(e->ff),
         lround(e->dsp), e->bram, lround(e->alm), lround(e->reg));
  printf("%s: LUT %.3f%%  FF %.3f%%  DSP %.3f%%  BRAM %.3f%%\n", e->device->name, e->lut_pct, e->ff_pct, e->dsp_pct,
         e->bram_pct);
  printf("* Agilex 7 %s: ALM %.3f%%  REG %.3f%% -- estimates from a LUT->ALM model, not from Quartus\n",
         NF_AGILEX_DEVICE, e->alm_pct, e->reg_pct);
  char lat[96];
  printf("timing (the generator's delay model, no synthesis): critical path %.2f ns predicted%s, %s the %.4g ns "
         "clock; latency %s\n", e->critical_path_ns, e->path_partial ? " (ReuseFactor > 1 / softmax stages not modelled)" : "",
         e->critical_path_ns <= e->clock_ns ? "within" : "ABOVE", e->clock_ns,
         nf_format_latency(lat, sizeof lat, e->latency, e->clock_ns));
}

int cmd_estimate(int argc, char **argv) {
  static const struct option opts[] = {{"part", required_argument, 0, 'p'}, {"dsp", no_argument, 0, 'd'},
                                       {"json", no_argument, 0, 'j'},       {"features", no_argument, 0, 'f'},
                                       {"features-header", no_argument, 0, 'H'}, {"help", no_argument, 0, 'h'},
                                       {0}};
  const char *part = NULL;
  bool use_dsp = false, json = false, features = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
    switch (c) {
    case 'p': part = optarg; break;
    case 'd': use_dsp = true; break;
    case 'j': json = true; break;
    case 'f': features = true; break;
    case 'H': {
      char buf[1024];
      nf_estimate_features_header(buf, sizeof buf);
      puts(buf);
      return 0;
    }
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("estimate", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("estimate", "expected one PROJECT directory");
  const char *project = argv[optind];
  nf_error err = {0};
  nf_estimate e;
  if (nf_project_estimate(project, part, use_dsp, &e, &err)) return cli_report("estimate", &err);
  int rc = 0;
  if (features) {
    char buf[1024];
    nf_estimate_features_line(&e, buf, sizeof buf);
    puts(buf);
  } else if (json) {
    char *text = estimate_json(&e);
    if (text) puts(text);
    else rc = cli_report("estimate", (nf_fail_oom(&err, "JSON report"), &err));
    free(text);
  } else {
    print_table(&e, project);
  }
  nf_estimate_free(&e);
  return rc;
}
