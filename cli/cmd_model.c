/* nnfirm model show MODEL: the layers, shapes and parameter counts, like
 * Keras' model.summary(). */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/import.h"
#include "nnfirm/model.h"

static const char USAGE[] =
    "usage: nnfirm model show MODEL [--weights W.h5]\n\n"
    "Prints the model as Keras' summary() does: each layer with its type, output\n"
    "shape and parameter count, then the totals (trainable / non-trainable), the\n"
    "input standardization, feature and class names when the model has them.\n\n"
    "  --weights W.h5  HDF5 weights for a Keras .json architecture\n"
    "  -h, --help      this text\n"
    "MODEL: .nnf (nnfirm train's output), Keras .json/.h5/.keras, or .onnx.\n";

static void print_names(const char *what, char **names, int n) {
  if (!names) return;
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

int cmd_model(int argc, char **argv) {
  static const struct option opts[] = {{"weights", required_argument, 0, 'w'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *weights = NULL;
  if (cli_wants_help(argc, argv)) {
    fputs(USAGE, stdout);
    return 0;
  }
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'w': weights = optarg; break;
    default: return cli_usage_error("model", "unknown option");
    }
  }
  if (optind >= argc) return cli_usage_error("model", "expected a subcommand: show MODEL");
  if (strcmp(argv[optind], "show") != 0) return cli_usage_error("model", "unknown subcommand '%s'", argv[optind]);
  if (argc - optind != 2) return cli_usage_error("model", "show takes exactly one MODEL");
  const char *path = argv[optind + 1];
  nf_error err = {0};
  nf_model *m = NULL;
  if (nf_model_open(path, weights, &m, &err)) return cli_report("model", &err);
  nf_model_summary(m, stdout);
  print_names("Features", m->feature_names, m->n_features);
  print_names("Classes", m->class_names, m->n_outputs);
  nf_model_free(m);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "nnfirm model: cannot write to stdout\n");
    return 1;
  }
  return 0;
}
