/* nnfirm profile MODEL --data FILE [--config CFG] -o DIR: hls4ml-style
 * numerical profiling (nf_profile_run). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "nnfirm/report.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm profile MODEL [--weights W.h5] --data FILE [--config CFG] [--rows N] -o DIR\n\n"
    "Writes DIR/weights.png and DIR/activations.png (and .svg): for each layer a box plot\n"
    "(min, quartiles, median, max) of the absolute non-zero values on a log axis; with\n"
    "--config, the span the layer's type represents (its LSB to its maximum) is shaded,\n"
    "so values left of it are lost to rounding and values right of it overflow.\n";

int cmd_profile(int argc, char **argv) {
  static const struct option opts[] = {{"data", required_argument, 0, 'd'}, {"config", required_argument, 0, 'c'},
                                       {"output", required_argument, 0, 'o'}, {"weights", required_argument, 0, 'w'},
                                       {"rows", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *data = NULL, *cfg_path = NULL, *out = NULL, *weights = NULL;
  long max_rows = 20000;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "d:c:o:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': data = optarg; break;
    case 'c': cfg_path = optarg; break;
    case 'o': out = optarg; break;
    case 'w': weights = optarg; break;
    case 'r':
      if (!nf_parse_long(optarg, &max_rows) || max_rows < 1) return cli_usage_error("profile", "--rows needs a count");
      break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("profile", "unknown option");
    }
  }
  if (optind != argc - 1 || !data || !out) return cli_usage_error("profile", "expected MODEL, --data FILE and -o DIR");
  nf_error err = {0};
  nf_profile_opts po = {.model = argv[optind], .weights = weights, .data = data, .config = cfg_path, .max_rows = max_rows,
                        .out_dir = out};
  nf_profile_result r;
  if (nf_profile_run(&po, &r, &err)) return cli_report("profile", &err);
  printf("wrote %s/weights.png and %s/activations.png (%d weight rows, %d activation rows)\n", out, out, r.weight_rows,
         r.activation_rows);
  return 0;
}
