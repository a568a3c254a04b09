/* nnfirm config MODEL --granularity model|type|name [--auto] -o CFG. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/import.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm config MODEL [--weights W.h5] [--granularity model|type|name] [--auto] [-o CFG]\n\n"
    "Writes a starting configuration with hls4ml's keys, as config_from_keras_model does:\n"
    "model-wide defaults (ap_fixed<16,6>, ReuseFactor 1, Latency), per layer type, or per\n"
    "layer name (QKeras quantizers become their exact types). --auto writes Precision\n"
    "'auto' for results and accumulators ('nnfirm convert --data' derives them from\n"
    "calibration data). The file is JSON, which is also valid YAML. Default output: stdout.\n";

int cmd_config(int argc, char **argv) {
  static const struct option opts[] = {{"granularity", required_argument, 0, 'g'}, {"auto", no_argument, 0, 'a'},
                                       {"output", required_argument, 0, 'o'}, {"weights", required_argument, 0, 'w'},
                                       {"help", no_argument, 0, 'h'}, {0}};
  nf_granularity g = NF_GRAN_NAME;
  bool auto_p = false;
  const char *out = NULL, *weights = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "g:o:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'g':
      if (!strcmp(optarg, "model")) g = NF_GRAN_MODEL;
      else if (!strcmp(optarg, "type")) g = NF_GRAN_TYPE;
      else if (!strcmp(optarg, "name")) g = NF_GRAN_NAME;
      else return cli_usage_error("config", "--granularity must be model, type or name (got '%s')", optarg);
      break;
    case 'a': auto_p = true; break;
    case 'o': out = optarg; break;
    case 'w': weights = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("config", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("config", "expected one MODEL");
  nf_error err = {0};
  nf_model *m = NULL;
  int rc = nf_model_open(argv[optind], weights, &m, &err);
  char *text = rc ? NULL : nf_config_generate(m, g, auto_p, &err);
  if (!rc && !text) rc = NF_EINTERNAL;
  if (!rc && out) rc = nf_write_file_atomic(out, text, strlen(text), &err);
  else if (!rc) puts(text);
  free(text);
  nf_model_free(m);
  return rc ? cli_report("config", &err) : 0;
}
