/* nnfirm import MODEL_FILE [--weights W.h5] -o OUT.nnf: a foreign model into
 * nnfirm's own file (everything needed to predict, in one file). */
#include <getopt.h>

#include "cli.h"
#include "nnfirm/import.h"

static const char USAGE[] =
    "usage: nnfirm import MODEL_FILE [--weights W.h5] -o OUT.nnf\n\n"
    "Reads a Keras .json (+ --weights, or <stem>_weights.h5 beside it), full-model .h5,\n"
    "Keras 3 .keras, QKeras or ONNX model and writes it as nnfirm's .nnf (atomically).\n"
    "Every command that takes a model also accepts the foreign file directly.\n";

int cmd_import(int argc, char **argv) {
  static const struct option opts[] = {{"weights", required_argument, 0, 'w'}, {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'}, {0}};
  const char *weights = NULL, *out = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "w:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'w': weights = optarg; break;
    case 'o': out = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("import", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("import", "expected one MODEL_FILE");
  if (!out) return cli_usage_error("import", "-o OUT.nnf is required");
  nf_error err = {0};
  nf_model *m = NULL;
  int rc = nf_model_open(argv[optind], weights, &m, &err);
  if (!rc) rc = nf_model_save(m, out, &err);
  if (!rc) printf("wrote %s: %d layers, %d inputs, %d outputs\n", out, m->n_layers, m->n_features, m->n_outputs);
  nf_model_free(m);
  return rc ? cli_report("import", &err) : 0;
}
