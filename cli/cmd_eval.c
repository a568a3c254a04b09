/* nnfirm eval MODEL --data FILE: accuracy, per-class ROC AUC, confusion
 * matrix, background rejection; ROC and confusion plots. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/metrics.h"
#include "nnfirm/report.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm eval MODEL [--data FILE] [--split all|test] [--json] [--plots DIR]\n\n"
    "Runs the float model over labelled data and reports accuracy, the confusion\n"
    "matrix (rows = true class), one-vs-rest ROC AUC per class and the background\n"
    "rejection (1 / mistag rate) at 50%% and 90%% signal efficiency.\n\n"
    "  --data FILE       .csv/.npy/.h5/.arff labelled data; its feature count must match\n"
    "                    the model. Default: the synthetic jets nnfirm train uses by default\n"
    "  --split all|test  evaluate every row (default with --data) or only the test split\n"
    "                    nnfirm train holds out (same fixed split seed and fractions;\n"
    "                    default without --data, where the other rows were trained on)\n"
    "  --val-frac F, --test-frac F   the fractions train used (default 0.2, 0.2)\n"
    "  --rows N          rows of the default synthetic data (default 200000)\n"
    "  --weights W.h5    HDF5 weights for a Keras .json model\n"
    "  --json            print one JSON object: accuracy, auc (class -> value),\n"
    "                    confusion (rows = true class), rejection, rows, classes,\n"
    "                    sparsity (fraction of Dense weights that are zero: pruned or\n"
    "                    quantized to 0) and sparsity_per_layer (layer -> fraction)\n"
    "  --plots DIR       write roc.png/.svg (all classes, signal efficiency vs log\n"
    "                    mistag rate) and confusion.png/.svg into DIR\n"
    "MODEL: .nnf, Keras .json (+ --weights), .h5, .keras, or .onnx.\n";

/* Class labels for output: the model's names, else the data's, else numbers. */
static const char *class_label(const nf_model *m, const nf_dataset *ds, int c, char *buf, size_t n) {
  if (m->class_names) return m->class_names[c];
  if (ds->class_names && c < ds->n_classes) return ds->class_names[c];
  snprintf(buf, n, "%d", c);
  return buf;
}

/* Forward pass over the chosen rows in chunks (no copy of the whole set). */
static int predict_rows(const nf_model *m, const nf_dataset *ds, const long *rows, long n, double *probs,
                        nf_error *err) {
  enum { CHUNK = 8192 };
  int F = ds->n_features;
  float *x = nf_malloc((size_t)CHUNK * F * sizeof *x, err);
  if (!x) return NF_EINTERNAL;
  int rc = NF_OK;
  for (long b = 0; b < n && !rc; b += CHUNK) {
    long k = n - b < CHUNK ? n - b : CHUNK;
    for (long i = 0; i < k; i++) {
      long r = rows ? rows[b + i] : b + i;
      memcpy(x + i * F, ds->x + (size_t)r * F, (size_t)F * sizeof *x);
    }
    rc = nf_model_forward(m, x, k, -1, true, probs + (size_t)b * m->n_outputs, err);
  }
  free(x);
  return rc;
}

/* ROC curves as the hls4ml tutorial draws them: signal efficiency on x,
 * background mistag rate on a log y axis, one line per class. Points with a
 * zero mistag rate cannot sit on a log axis and are left out; long curves
 * are thinned to ~2000 points (invisible at plot resolution). */
static int plot_roc(const char *dir, const nf_metrics *mt, const char *const *labels, nf_error *err) {
  int C = mt->n_classes, rc = NF_OK;
  nf_series *s = calloc((size_t)C, sizeof *s);
  double **xs = calloc((size_t)C, sizeof *xs), **ys = calloc((size_t)C, sizeof *ys);
  char(*legend)[64] = calloc((size_t)C, sizeof *legend);
  if (!s || !xs || !ys || !legend) rc = nf_fail_oom(err, "ROC plot");
  for (int c = 0; !rc && c < C; c++) {
    const nf_roc *r = &mt->roc[c];
    xs[c] = malloc((size_t)r->n * sizeof(double));
    ys[c] = malloc((size_t)r->n * sizeof(double));
    if (!xs[c] || !ys[c]) {
      rc = nf_fail_oom(err, "ROC plot");
      break;
    }
    int n = 0, step = r->n > 4000 ? r->n / 2000 : 1;
    for (int i = 0; i < r->n; i++) {
      if (r->mistag[i] <= 0 || (i % step && i != r->n - 1)) continue;
      xs[c][n] = r->eff[i];
      ys[c][n++] = r->mistag[i];
    }
    snprintf(legend[c], sizeof legend[c], "%s, AUC = %.1f%%", labels[c], 100 * r->auc);
    s[c] = (nf_series){legend[c], xs[c], ys[c], n, NF_LINE_SOLID, c};
  }
  nf_plot_opts o = {0};
  o.title = "ROC curves (one class vs the rest)";
  o.xlabel = "Signal efficiency";
  o.ylabel = "Background mistag rate";
  o.logy = true;
  o.xmin = 0, o.xmax = 1, o.ymin = 1e-3, o.ymax = 1;
  o.legend_pos = "br";
  const char *ext[] = {"png", "svg"};
  for (int e = 0; !rc && e < 2; e++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/roc.%s", dir, ext[e]);
    rc = nf_plot_lines(path, &o, s, C, err);
  }
  for (int c = 0; xs && ys && c < C; c++) {
    free(xs[c]);
    free(ys[c]);
  }
  free(xs);
  free(ys);
  free(s);
  free(legend);
  return rc;
}

/* Row-normalized confusion matrix: each row shows where a true class goes. */
static int plot_confusion(const char *dir, const nf_metrics *mt, const char *const *labels, nf_error *err) {
  int C = mt->n_classes;
  double *z = nf_malloc((size_t)C * C * sizeof *z, err);
  if (!z) return NF_EINTERNAL;
  for (int a = 0; a < C; a++) {
    long row = 0;
    for (int b = 0; b < C; b++) row += mt->confusion[a * C + b];
    for (int b = 0; b < C; b++) z[a * C + b] = row ? (double)mt->confusion[a * C + b] / row : 0;
  }
  nf_plot_opts o = {0};
  o.title = "Confusion matrix (fraction of each true class)";
  o.xlabel = "Predicted class";
  o.ylabel = "True class";
  int rc = NF_OK;
  const char *ext[] = {"png", "svg"};
  for (int e = 0; !rc && e < 2; e++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/confusion.%s", dir, ext[e]);
    rc = nf_plot_heatmap(path, &o, z, C, C, labels, labels, err);
  }
  free(z);
  return rc;
}

static void print_json(const char *model, const nf_model *m, const char *data, const nf_metrics *mt,
                       const char *const *labels) {
  int C = mt->n_classes;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", model);
  cJSON_AddNumberToObject(o, "sparsity", nf_model_sparsity(m, -1, NULL, NULL));
  cJSON_AddItemToObject(o, "sparsity_per_layer", train_sparsity_json(m));
  cJSON_AddStringToObject(o, "data", data);
  cJSON_AddNumberToObject(o, "rows", (double)mt->n_rows);
  cJSON_AddNumberToObject(o, "accuracy", mt->accuracy);
  cJSON *cls = cJSON_AddArrayToObject(o, "classes");
  cJSON *auc = cJSON_AddObjectToObject(o, "auc");
  cJSON *rej = cJSON_AddObjectToObject(o, "rejection");
  cJSON *conf = cJSON_AddArrayToObject(o, "confusion");
  for (int c = 0; c < C; c++) {
    cJSON_AddItemToArray(cls, cJSON_CreateString(labels[c]));
    const nf_roc *r = &mt->roc[c];
    if (isfinite(r->auc)) cJSON_AddNumberToObject(auc, labels[c], r->auc);
    else cJSON_AddNullToObject(auc, labels[c]);
    cJSON *rc = cJSON_AddObjectToObject(rej, labels[c]);
    for (int k = 0; k < NF_N_WORKING_POINTS; k++) {
      char key[32];
      snprintf(key, sizeof key, "at_eff_%g", NF_WORKING_POINTS[k]);
      if (isfinite(r->rejection[k])) cJSON_AddNumberToObject(rc, key, r->rejection[k]);
      else cJSON_AddNullToObject(rc, key); /* no background passes (or no signal) */
    }
    cJSON *row = cJSON_CreateArray();
    for (int b = 0; b < C; b++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)mt->confusion[c * C + b]));
    cJSON_AddItemToArray(conf, row);
  }
  char *text = cJSON_PrintUnformatted(o);
  if (text) puts(text);
  free(text);
  cJSON_Delete(o);
}

static void print_text(const nf_model *m, const nf_metrics *mt, const char *const *labels) {
  int C = mt->n_classes;
  printf("rows: %ld\naccuracy: %.4f\n", mt->n_rows, mt->accuracy);
  train_print_sparsity(m);
  printf("\n");
  printf("%-8s %8s %14s %14s\n", "class", "AUC", "rej@50%eff", "rej@90%eff");
  for (int c = 0; c < C; c++)
    printf("%-8s %8.4f %14.1f %14.2f\n", labels[c], mt->roc[c].auc, mt->roc[c].rejection[0], mt->roc[c].rejection[1]);
  printf("\nconfusion matrix (rows = true class, columns = predicted):\n%-8s", "");
  for (int b = 0; b < C; b++) printf(" %9s", labels[b]);
  printf("\n");
  for (int a = 0; a < C; a++) {
    printf("%-8s", labels[a]);
    for (int b = 0; b < C; b++) printf(" %9ld", mt->confusion[a * C + b]);
    printf("\n");
  }
}

int cmd_eval(int argc, char **argv) {
  enum { O_SPLIT = 256, O_VAL, O_TEST, O_ROWS, O_JSON, O_PLOTS, O_WEIGHTS };
  static const struct option opts[] = {
      {"data", required_argument, 0, 'd'},       {"split", required_argument, 0, O_SPLIT},
      {"val-frac", required_argument, 0, O_VAL}, {"test-frac", required_argument, 0, O_TEST},
      {"rows", required_argument, 0, O_ROWS},    {"json", no_argument, 0, O_JSON},
      {"plots", required_argument, 0, O_PLOTS},  {"weights", required_argument, 0, O_WEIGHTS},
      {"help", no_argument, 0, 'h'},             {0}};
  if (cli_wants_help(argc, argv)) {
    fputs(USAGE, stdout);
    return 0;
  }
  const char *data_path = NULL, *plots = NULL, *weights = NULL, *split_s = NULL;
  double val_frac = NF_TRAIN_DEFAULT_VAL_FRAC, test_frac = NF_TRAIN_DEFAULT_TEST_FRAC, rows = NF_TRAIN_DEFAULT_ROWS;
  bool json = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': data_path = optarg; break;
    case O_SPLIT: split_s = optarg; break;
    case O_VAL:
      if (!nf_parse_double(optarg, &val_frac) || val_frac < 0 || val_frac > 0.9)
        return cli_usage_error("eval", "--val-frac '%s': expected a number in [0, 0.9]", optarg);
      break;
    case O_TEST:
      if (!nf_parse_double(optarg, &test_frac) || test_frac <= 0 || test_frac > 0.9)
        return cli_usage_error("eval", "--test-frac '%s': expected a number in (0, 0.9]", optarg);
      break;
    case O_ROWS:
      if (!nf_parse_double(optarg, &rows) || rows < 10 || rows > 1e9)
        return cli_usage_error("eval", "--rows '%s': expected a count >= 10", optarg);
      break;
    case O_JSON: json = true; break;
    case O_PLOTS: plots = optarg; break;
    case O_WEIGHTS: weights = optarg; break;
    default: return cli_usage_error("eval", "unknown option");
    }
  }
  if (optind >= argc) return cli_usage_error("eval", "expected a MODEL");
  if (argc - optind > 1) return cli_usage_error("eval", "unexpected argument '%s'", argv[optind + 1]);
  bool test_only = !data_path;
  if (split_s && !strcmp(split_s, "test")) test_only = true;
  else if (split_s && !strcmp(split_s, "all")) test_only = false;
  else if (split_s) return cli_usage_error("eval", "--split '%s': expected all or test", split_s);
  const char *model_path = argv[optind], *data_name = data_path ? data_path : "synthetic jets (default)";
  struct stat st; /* a project directory from 'nnfirm convert': evaluate bit-accurately */
  if (stat(model_path, &st) == 0 && S_ISDIR(st.st_mode))
    return eval_project(model_path, data_path, test_only, val_frac, test_frac, (long)rows, json, plots);

  nf_error err = {0};
  nf_model *m = NULL;
  nf_dataset ds = {0};
  nf_split split = {0};
  nf_metrics mt = {0};
  double *probs = NULL;
  const char **labels = NULL;
  char(*numbers)[16] = NULL;
  int rc = nf_model_open(model_path, weights, &m, &err);
  if (!rc) rc = data_path ? nf_data_load(data_path, &ds, &err) : nf_data_synth((long)rows, NF_TRAIN_DEFAULT_DATA_SEED, &ds, &err);
  if (!rc && ds.n_features != m->n_features)
    rc = nf_fail(&err, NF_EINPUT, "%s has %d features, but model %s expects %d", data_name, ds.n_features, model_path,
                 m->n_features);
  if (!rc && ds.n_classes > m->n_outputs)
    rc = nf_fail(&err, NF_EINPUT, "%s has %d classes, but model %s has %d outputs", data_name, ds.n_classes, model_path,
                 m->n_outputs);
  if (!rc && test_only) rc = nf_data_split(&ds, val_frac, test_frac, NF_TRAIN_SPLIT_SEED, &split, &err);
  long n = test_only ? split.n_test : ds.n_rows;
  if (!rc && n < 1) rc = nf_fail(&err, NF_EINPUT, "%s: no rows to evaluate", data_name);
  if (!rc && !(probs = nf_malloc((size_t)n * m->n_outputs * sizeof *probs, &err))) rc = NF_EINTERNAL;
  if (!rc) rc = predict_rows(m, &ds, test_only ? split.test : NULL, n, probs, &err);
  const int *y = ds.y;
  int *ysub = NULL;
  if (!rc && test_only) {
    if (!(ysub = nf_malloc((size_t)n * sizeof *ysub, &err))) rc = NF_EINTERNAL;
    for (long i = 0; !rc && i < n; i++) ysub[i] = ds.y[split.test[i]];
    y = ysub;
  }
  if (!rc) rc = nf_metrics_compute(probs, y, n, m->n_outputs, &mt, &err);
  if (!rc) {
    labels = calloc((size_t)m->n_outputs, sizeof *labels);
    numbers = calloc((size_t)m->n_outputs, sizeof *numbers);
    if (!labels || !numbers) rc = nf_fail_oom(&err, "labels");
    for (int k = 0; !rc && k < m->n_outputs; k++)
      labels[k] = class_label(m, &ds, k, numbers[k], sizeof numbers[k]);
  }
  if (!rc && plots) rc = nf_mkdir_p(plots, &err);
  if (!rc && plots) rc = plot_roc(plots, &mt, labels, &err);
  if (!rc && plots) rc = plot_confusion(plots, &mt, labels, &err);
  if (!rc) {
    if (json) print_json(model_path, m, data_name, &mt, labels);
    else print_text(m, &mt, labels);
    if (fflush(stdout) != 0) rc = nf_fail(&err, NF_EINTERNAL, "cannot write to stdout");
  }
  free(ysub);
  free(labels);
  free(numbers);
  free(probs);
  nf_metrics_free(&mt);
  nf_split_free(&split);
  nf_dataset_free(&ds);
  nf_model_free(m);
  return rc ? cli_report("eval", &err) : 0;
}
