/* nnfirm convert MODEL --config CFG -o PROJECT: the fixed-point design,
 * its RTL and testbench, in a project directory written whole or not at all. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/project.h"
#include "nnfirm/synth.h"
#include "nnfirm/util.h"


static const char USAGE[] =
    "usage: nnfirm convert MODEL [--weights W.h5] [--config CFG] [--data CALIB.csv] -o PROJECT [--no-rtl]\n"
    "                      [--meet-timing [--part P] [--timeout S]] [--derate NS]\n\n"
    "Turns the model into a fixed-point design (hls4ml configuration keys, JSON or YAML;\n"
    "default: ap_fixed<16,6> everywhere) and writes PROJECT/: design.json (types and exact\n"
    "weight codes), config.json (the configuration used), manifest.json (interface widths,\n"
    "latency, II), rtl/ (Verilog) and tb/ (testbench). Replaces PROJECT whole.\n\n"
    "  --data FILE   calibration rows (CSV of features): 'auto' precisions come from them,\n"
    "                and every result/accumulator type that overflows on them is reported\n"
    "  --no-rtl      the design only (no rtl/ or tb/)\n"
    "  --meet-timing synthesize (Yosys, PROJECT/synth) and, while the netlist's critical path\n"
    "                is longer than ClockPeriod, re-pipeline (registers after activations,\n"
    "                fewer adder levels per stage) and check again; exit 1 when it cannot meet\n"
    "  --part P      with --meet-timing: the device synthesized for (default xcvu9p)\n"
    "  --timeout S   with --meet-timing: give up a synthesis after S seconds\n"
    "  --derate NS   place the pipeline for ClockPeriod - NS per stage (default 0; negative:\n"
    "                for a longer period, as an optimistic delay model would; recorded in\n"
    "                design.json, and where --meet-timing starts)\n"
    "Then: nnfirm cosim PROJECT --input X.csv ; nnfirm synth PROJECT\n";

static void timing_round(const nf_project_timing_round *r, int round, void *ctx) {
  (void)ctx;
  char lat[96];
  nf_format_latency(lat, sizeof lat, r->latency, r->budget_ns + r->derate_ns);
  fprintf(stderr, "nnfirm convert: round %d: placement budget %.3f ns (%d adder levels a stage%s), latency %s: "
                  "critical path %.3f ns (%s -> %s), %s [Yosys %.0f s]\n",
          round, r->budget_ns, r->levels_per_stage, r->reg_act ? ", activations registered" : "", lat,
          r->critical_path_ns, r->start, r->end, r->meets ? "meets" : "fails", r->synth_seconds);
}

int cmd_convert(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, 0, 'c'}, {"output", required_argument, 0, 'o'},
                                       {"weights", required_argument, 0, 'w'}, {"data", required_argument, 0, 'd'},
                                       {"no-rtl", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
                                       {"meet-timing", no_argument, 0, 'M'}, {"part", required_argument, 0, 'p'},
                                       {"timeout", required_argument, 0, 'T'}, {"derate", required_argument, 0, 'D'},
                                       {0}};
  const char *cfg_path = NULL, *out = NULL, *weights = NULL, *data = NULL;
  bool rtl = true, meet = false;
  double derate = 0;
  nf_project_timing_opts topt = {.progress = timing_round};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "c:o:w:d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': cfg_path = optarg; break;
    case 'o': out = optarg; break;
    case 'w': weights = optarg; break;
    case 'd': data = optarg; break;
    case 'n': rtl = false; break;
    case 'M': meet = true; break;
    case 'D':
      if (!nf_parse_double(optarg, &derate) || !isfinite(derate) || fabs(derate) > 1000)
        return cli_usage_error("convert", "--derate: expected nanoseconds, got '%s'", optarg);
      break;
    case 'p': topt.part = optarg; break;
    case 'T':
      if (!nf_parse_double(optarg, &topt.timeout_s) || topt.timeout_s <= 0)
        return cli_usage_error("convert", "--timeout: expected seconds > 0, got '%s'", optarg);
      break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("convert", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("convert", "expected one MODEL argument");
  if (!out) return cli_usage_error("convert", "-o PROJECT is required");
  if (meet && !rtl) return cli_usage_error("convert", "--meet-timing needs the RTL (not --no-rtl)");
  if ((topt.part || topt.timeout_s > 0) && !meet) return cli_usage_error("convert", "--part and --timeout go with --meet-timing");
  if (topt.part && !nf_device_find(topt.part)) return cli_usage_error("convert", "--part: unknown part '%s'", topt.part);
  nf_error err = {0};
  nf_model *m = NULL;
  nf_config *cfg = NULL;
  nf_design *d = NULL;
  float *calib = NULL;
  long n_calib = 0;
  int cols = 0;
  char *cfg_text = NULL;
  if (cfg_path && !strcmp(cfg_path, "default")) cfg_path = NULL; /* the built-in default */
  int rc = nf_model_open(argv[optind], weights, &m, &err);
  if (!rc && cfg_path) rc = nf_read_file(cfg_path, &cfg_text, NULL, &err);
  if (!rc && cfg_path) rc = nf_config_parse(cfg_text, strlen(cfg_text), cfg_path, &cfg, &err);
  if (!rc && !cfg_path) {
    cfg = nf_config_default(&err);
    cfg_text = strdup("{\"Model\": {\"Precision\": \"ap_fixed<16,6>\", \"ReuseFactor\": 1, \"Strategy\": \"Latency\"}}\n");
    if (!cfg || !cfg_text) rc = NF_EINTERNAL;
  }
  if (!rc && data) rc = nf_data_load_matrix(data, &calib, &n_calib, &cols, &err);
  if (!rc && data && cols != m->n_features)
    rc = nf_fail(&err, NF_EINPUT, "%s: %d columns, the model takes %d features", data, cols, m->n_features);
  if (!rc) rc = nf_design_build(m, cfg, calib, n_calib, &d, &err);
  if (!rc && derate != 0) {
    double clock = d->clock_period_ns > 0 ? d->clock_period_ns : 5.0;
    if (fabs(derate) >= clock)
      rc = nf_fail(&err, NF_EINPUT, "--derate %g: must be smaller than the %g ns ClockPeriod in magnitude", derate, clock);
    d->pipeline_derate_ns = derate;
  }
  if (!rc && calib) { /* flag the casts that overflow on the calibration rows */
    nf_overflow ov[64];
    int n_ov = 0;
    rc = nf_design_check_overflow(m, d, calib, n_calib, ov, 64, &n_ov, &err);
    for (int i = 0; !rc && i < n_ov; i++)
      fprintf(stderr, "nnfirm convert: warning: layer '%s' %s %s overflows on %.2f%% of the calibration values "
                      "(max |value| %.4g)\n", ov[i].layer, ov[i].variable, ov[i].type, 100 * ov[i].rate, ov[i].max_abs);
  }
  nf_project_spec spec = {.design = d, .model_path = argv[optind], .config_text = cfg_text, .rtl = rtl};
  nf_project_timing t;
  if (!rc && meet) rc = nf_project_meet_timing(&spec, out, &topt, &t, &err);
  else if (!rc) rc = nf_project_write(&spec, out, NULL, &err);
  if (!rc) {
    printf("wrote %s: %d layers, input %d features, output %d values%s\n", out, d->n_layers, d->n_inputs,
           d->n_outputs, rtl ? " (rtl/, tb/)" : "");
  }
  if (!rc && meet) {
    char lat[96];
    nf_format_latency(lat, sizeof lat, t.latency, t.clock_ns);
    if (t.meets)
      printf("meets the %.4g ns clock by the netlist timing (Yosys cell delays + routing model, not Vivado): critical "
             "path %.3f ns, latency %s, LUT %ld FF %ld\n", t.clock_ns, t.synth.timing.critical_path_ns, lat, t.synth.lut,
             t.synth.ff);
    else
      printf("FAILS the %.4g ns clock after %d round%s: critical path %.3f ns (by %.3f ns) at one adder level a "
             "stage; latency %s not reachable at this clock\n", t.clock_ns, t.n_rounds, t.n_rounds > 1 ? "s" : "",
             t.synth.timing.critical_path_ns, t.synth.timing.critical_path_ns - t.clock_ns, lat);
    if (!t.meets) rc = -1;
  }
  free(cfg_text);
  free(calib);
  nf_design_free(d);
  nf_config_free(cfg);
  nf_model_free(m);
  return rc == -1 ? 1 : rc ? cli_report("convert", &err) : 0;
}
