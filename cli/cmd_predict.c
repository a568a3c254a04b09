/* nnfirm predict MODEL --input X.csv [-o Y.csv] [--config CFG] [--layer NAME]:
 * float class probabilities, or with --config the bit-accurate fixed-point
 * outputs as exact decimals. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm predict MODEL [--weights W.h5] --input X.csv [-o Y.csv] [--config CFG] [--layer NAME]\n\n"
    "Without --config: the float model's outputs (class probabilities), one row per input row.\n"
    "With --config (JSON or YAML, hls4ml keys; 'default' = ap_fixed<16,6> everywhere): the\n"
    "bit-accurate fixed-point emulation of the design, printed as exact decimals: the hardware's\n"
    "output, the logits unless the configuration says Softmax: true (argmax decides).\n"
    "--layer softmax gives hls4ml's lookup-table softmax probabilities either way.\n\n"
    "  --layer NAME   output of that layer instead (hls4ml's trace); a Dense gives its\n"
    "                 pre-activation value (with a following BatchNormalization folded in)\n"
    "  -o FILE        write CSV there (atomically) instead of stdout\n"
    "MODEL: .nnf, Keras .json (+ --weights), .h5, .keras, or .onnx.\n";

int cmd_predict(int argc, char **argv) {
  static const struct option opts[] = {{"input", required_argument, 0, 'i'}, {"output", required_argument, 0, 'o'},
                                       {"config", required_argument, 0, 'c'}, {"layer", required_argument, 0, 'l'},
                                       {"weights", required_argument, 0, 'w'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *input = NULL, *output = NULL, *cfg = NULL, *layer = NULL, *weights = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "i:o:c:l:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': input = optarg; break;
    case 'o': output = optarg; break;
    case 'c': cfg = optarg; break;
    case 'l': layer = optarg; break;
    case 'w': weights = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("predict", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("predict", "expected one MODEL argument");
  if (!input) return cli_usage_error("predict", "--input X.csv is required");
  nf_error err = {0};
  nf_model *m = NULL;
  float *x = NULL;
  long n = 0;
  int cols = 0;
  nf_config *config = NULL;
  nf_prediction p = {0};
  int rc = nf_model_open(argv[optind], weights, &m, &err);
  if (!rc) rc = nf_data_load_matrix(input, &x, &n, &cols, &err);
  if (!rc && cols != m->n_features) {
    char shape[64];
    nf_shape_format(m->input_shape, shape, sizeof shape);
    rc = nf_fail(&err, NF_EINPUT, "%s: line 1: %d columns, but the model takes %d values (input shape %s, one sample per row%s)",
                 input, cols, m->n_features, shape, m->input_shape.rank > 1 ? ", flattened channels-last" : "");
  }
  if (!rc && cfg) rc = nf_config_load(cfg, &config, &err);
  if (!rc) rc = nf_predict(m, config, x, n, layer, &p, &err);
  if (!rc) rc = nf_prediction_write(&p, output, &err);
  nf_prediction_free(&p);
  nf_config_free(config);
  free(x);
  nf_model_free(m);
  return rc ? cli_report("predict", &err) : 0;
}
