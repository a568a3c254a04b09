/* nnfirm predict MODEL --input X.csv [-o Y.csv] [--config CFG] [--layer NAME]:
 * float class probabilities, or with --config the bit-accurate fixed-point
 * outputs as exact decimals. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/fixed.h"
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

static int write_rows(FILE *fp, long n, int cols, const double *v, const int64_t *codes, const nf_fixed_type *t) {
  char buf[1200];
  for (long r = 0; r < n; r++) {
    for (int c = 0; c < cols; c++) {
      size_t k = (size_t)r * cols + c;
      if (codes) nf_fixed_format_value(t, codes[k], buf, sizeof buf);
      else snprintf(buf, sizeof buf, "%.17g", v[k]);
      fprintf(fp, "%s%s", c ? "," : "", buf);
    }
    fputc('\n', fp);
  }
  return ferror(fp) ? NF_EINTERNAL : NF_OK;
}

/* "a, b, c": the names --layer accepts, for the error message. */
static void join_names(char *buf, size_t n, const char *const *names, int count) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < count && used < n; i++) used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

static int run_float(const nf_model *m, const float *x, long n, const char *layer, double **out, int *cols,
                     nf_error *err) {
  int upto = -1;
  if (layer && (upto = nf_model_find_layer(m, layer)) < 0) {
    const char *names[256];
    int k = 0;
    for (int i = 0; i < m->n_layers && k < 256; i++) names[k++] = m->layers[i].name;
    char list[900];
    join_names(list, sizeof list, names, k);
    return nf_fail(err, NF_EINPUT, "no layer named '%s' in the model (layers: %s)", layer, list);
  }
  *cols = upto < 0 ? m->n_outputs : m->layers[upto].n_out;
  *out = nf_malloc((size_t)n * *cols * sizeof **out, err);
  if (!*out) return NF_EINTERNAL;
  return nf_model_forward(m, x, n, upto, true, *out, err);
}

static int run_fixed(const nf_model *m, const char *cfg_path, const float *x, long n, const char *layer,
                     int64_t **codes, int *cols, nf_fixed_type *t, nf_error *err) {
  nf_config *cfg = NULL;
  nf_design *d = NULL;
  int rc = nf_config_load(cfg_path, &cfg, err);
  if (!rc) rc = nf_design_build(m, cfg, x, n, &d, err);
  int upto = d ? d->n_hw - 1 : -1;
  if (!rc && layer && (upto = nf_design_find_layer(d, layer)) < 0) {
    const char *names[256];
    int k = 0;
    for (int i = 0; i < d->n_layers && k < 256; i++) names[k++] = d->layers[i].name;
    char list[900];
    join_names(list, sizeof list, names, k);
    rc = nf_fail(err, NF_EINPUT, "no layer named '%s' in the fixed-point design (layers: %s; a folded "
                                 "BatchNormalization and Dropout have no output of their own)", layer, list);
  }
  int64_t *in = NULL;
  if (!rc) {
    *cols = d->layers[upto].n_out;
    *t = d->layers[upto].result_t;
    in = nf_malloc((size_t)n * d->n_inputs * sizeof *in, err);
    *codes = nf_malloc((size_t)n * *cols * sizeof **codes, err);
    if (!in || !*codes) rc = NF_EINTERNAL;
  }
  if (!rc) rc = nf_emulate_inputs(d, x, n, in, err);
  if (!rc) rc = nf_emulate(d, in, n, upto, *codes, err);
  free(in);
  nf_design_free(d);
  nf_config_free(cfg);
  return rc;
}

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
  double *values = NULL;
  int64_t *codes = NULL;
  nf_fixed_type t;
  int rc = nf_model_open(argv[optind], weights, &m, &err);
  if (!rc) rc = nf_data_load_matrix(input, &x, &n, &cols, &err);
  if (!rc && cols != m->n_features)
    rc = nf_fail(&err, NF_EINPUT, "%s: %d columns, but the model takes %d features", input, cols, m->n_features);
  if (!rc) rc = cfg ? run_fixed(m, cfg, x, n, layer, &codes, &cols, &t, &err) : run_float(m, x, n, layer, &values, &cols, &err);
  if (!rc) {
    if (output) {
      nf_outfile f;
      rc = nf_outfile_open(&f, output, &err);
      if (!rc && write_rows(f.fp, n, cols, values, codes, &t)) {
        nf_outfile_abort(&f);
        rc = nf_fail(&err, NF_EINTERNAL, "%s: write failed", output);
      } else if (!rc) {
        rc = nf_outfile_commit(&f, &err);
      }
    } else {
      rc = write_rows(stdout, n, cols, values, codes, &t);
    }
  }
  free(values);
  free(codes);
  free(x);
  nf_model_free(m);
  return rc ? cli_report("predict", &err) : 0;
}
