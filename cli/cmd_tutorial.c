/* nnfirm tutorial [-o DIR] [--quick]: the hls4ml tutorial's Parts 1-5 end to
 * end, written up as DIR/index.html and DIR/summary.json. The flow is the
 * library's (nf_tutorial_run, src/search/tutorial.c); this file parses the
 * options, makes the call and prints. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nnfirm/data.h"
#include "nnfirm/error.h"
#include "nnfirm/search.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm tutorial [-o DIR] [--quick] [--data FILE] [--no-synth] [--quiet] [--json]\n\n"
    "Runs the jet-tagging tutorial end to end with nnfirm's own commands and writes a\n"
    "self-contained report, DIR/index.html (default DIR: nnfirm-tutorial), plus\n"
    "DIR/summary.json:\n"
    "  Part 1  data (synthetic jets; the real OpenML set when 'nnfirm data fetch' cached it)\n"
    "  Part 2  float 16-64-32-32-5 MLP: accuracy, ROC curves, confusion matrix\n"
    "  Part 3  ap_fixed<16,6> conversion, ROC float vs fixed, profiling, bit-width scan\n"
    "  Part 4  quantization-aware training at 6 bits (QKeras semantics)\n"
    "  Part 5  QAT 6 bits + 75%% magnitude pruning (tfmot schedule)\n"
    "  Firmware: Verilog, co-simulation (0 mismatches), Yosys synthesis on a VU9P\n\n"
    "  --quick        fewer jets and epochs, resources from 'nnfirm estimate' only, Icarus\n"
    "                 co-simulation (~3 min)\n"
    "  --data FILE    labelled jets to use instead of the default\n"
    "  --no-synth     skip Yosys (resources then come from 'nnfirm estimate' only)\n"
    "  --rows N       synthetic jets to make (default 200000; --quick 40000)\n"
    "  --epochs N     training epochs per model (default 30; --quick 8)\n"
    "  --simulator S  co-simulation with verilator (default; iverilog with --quick) or iverilog\n"
    "  --json         print the summary JSON on stdout\n"
    "  --quiet        no progress display\n"
    "Every step's stdout and stderr are kept in DIR/logs/. Yosys figures are not Vivado's,\n"
    "and synthetic jets are not the real ones: the report says so next to every figure.\n";

static void progress(int step, int n_steps, double elapsed_s, const char *title, void *ctx) {
  (void)ctx;
  fprintf(stderr, "[%2d/%d %5.0fs] %s\n", step, n_steps, elapsed_s, title);
}

int cmd_tutorial(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"quick", no_argument, 0, 'q'},
                                       {"data", required_argument, 0, 'd'},   {"no-synth", no_argument, 0, 'n'},
                                       {"quiet", no_argument, 0, 'Q'},        {"json", no_argument, 0, 'j'},
                                       {"rows", required_argument, 0, 'r'},   {"epochs", required_argument, 0, 'e'},
                                       {"simulator", required_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  nf_tutorial_opts t = {.out = "nnfirm-tutorial", .synth = true};
  bool json = false, quiet = !isatty(2);
  const char *rows = NULL, *epochs = NULL;
  long v;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': t.out = optarg; break;
    case 'q': t.quick = true; break;
    case 'd': t.data = optarg; break;
    case 'n': t.synth = false; break;
    case 'Q': quiet = true; break;
    case 'j': json = true; break;
    case 'r':
      if (!nf_parse_long(optarg, &v) || v < 1000 || v > 100000000) return cli_usage_error("tutorial", "--rows must be 1000..1e8");
      rows = optarg;
      break;
    case 'e':
      if (!nf_parse_long(optarg, &v) || v < 1 || v > 1000) return cli_usage_error("tutorial", "--epochs must be 1..1000");
      epochs = optarg;
      break;
    case 's':
      if (strcmp(optarg, "verilator") && strcmp(optarg, "iverilog"))
        return cli_usage_error("tutorial", "--simulator must be verilator or iverilog");
      t.simulator = optarg;
      break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("tutorial", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("tutorial", "unexpected argument '%s'", argv[optind]);
  t.rows = rows ? rows : t.quick ? "100000" : "200000";
  t.epochs = epochs ? epochs : t.quick ? "15" : "30";
  if (!t.simulator) t.simulator = t.quick ? "iverilog" : "verilator";
  if (t.quick) t.synth = false;
  nf_error err = {0};
  char cached[4096], self[4096];
  if (!t.data && nf_data_cached_path(cached, sizeof cached)) t.data = cached;
  if (t.data && access(t.data, R_OK) != 0) return cli_usage_error("tutorial", "%s: cannot read the data file", t.data);
  if (nf_step_self_path(self, sizeof self, &err)) return cli_report("tutorial", &err);
  t.exe = self;
  if (!quiet) t.progress = progress;
  nf_tutorial_outcome out;
  if (nf_tutorial_run(&t, &out, &err)) {
    if (out.kept[0]) fprintf(stderr, "nnfirm tutorial: the steps that ran are in %s/\n", out.kept);
    return cli_report("tutorial", &err);
  }
  if (json) puts(out.summary_json);
  else printf("wrote %s/index.html and %s/summary.json in %.0f s\n", t.out, t.out, out.seconds);
  free(out.summary_json);
  return 0;
}
