/* nnfirm eval MODEL --data FILE: accuracy, per-class ROC AUC, confusion
 * matrix, background rejection; ROC and confusion plots. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/data.h"
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

static cJSON *auc_json(const nf_metrics *mt, const char *const *labels) {
  cJSON *o = cJSON_CreateObject();
  for (int c = 0; c < mt->n_classes; c++) cJSON_AddNumberToObject(o, labels[c], mt->roc[c].auc);
  return o;
}

/* Zero weight codes per Dense of the design: multipliers the hardware leaves out. */
static cJSON *design_sparsity(const nf_design *d, double *overall) {
  cJSON *per = cJSON_CreateObject();
  long zeros = 0, total = 0;
  for (int i = 0; i < d->n_layers; i++) {
    const nf_design_layer *l = &d->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    long n = (long)l->n_in * l->n_out, z = 0;
    for (long k = 0; k < n; k++) z += l->weights[k] == 0;
    cJSON_AddNumberToObject(per, l->name, n ? (double)z / n : 0);
    zeros += z, total += n;
  }
  *overall = total ? (double)zeros / total : 0;
  return per;
}

static void print_result(const char *project, const nf_design *d, const nf_metrics *fx, const nf_metrics *fl,
                         const char *const *labels, bool json) {
  double sparsity;
  cJSON *per_layer = design_sparsity(d, &sparsity);
  if (json) {
    cJSON *o = cJSON_CreateObject(), *conf = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "project", project);
    cJSON_AddNumberToObject(o, "sparsity", sparsity);
    cJSON_AddItemToObject(o, "sparsity_per_layer", per_layer);
    cJSON_AddNumberToObject(o, "rows", (double)fx->n_rows);
    cJSON_AddNumberToObject(o, "accuracy", fx->accuracy);
    cJSON_AddItemToObject(o, "auc", auc_json(fx, labels));
    for (int r = 0; r < fx->n_classes; r++) {
      cJSON *row = cJSON_CreateArray();
      for (int c = 0; c < fx->n_classes; c++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)fx->confusion[r * fx->n_classes + c]));
      cJSON_AddItemToArray(conf, row);
    }
    cJSON_AddItemToObject(o, "confusion", conf);
    if (fl) {
      cJSON_AddNumberToObject(o, "float_accuracy", fl->accuracy);
      cJSON_AddItemToObject(o, "float_auc", auc_json(fl, labels));
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
    return;
  }
  printf("project %s: %ld rows\nbit-accurate accuracy: %.4f", project, fx->n_rows, fx->accuracy);
  if (fl) printf("   (float model: %.4f)", fl->accuracy);
  printf("\nweight sparsity: %.1f%%:", 100 * sparsity);
  const cJSON *item;
  cJSON_ArrayForEach(item, per_layer) printf(" %s %.1f%%", item->string, 100 * item->valuedouble);
  cJSON_Delete(per_layer);
  printf("\n\n%-8s %10s %10s\n", "class", "AUC fixed", fl ? "AUC float" : "");
  for (int c = 0; c < fx->n_classes; c++) {
    printf("%-8s %10.4f", labels[c], fx->roc[c].auc);
    if (fl) printf(" %10.4f", fl->roc[c].auc);
    printf("\n");
  }
  printf("\nconfusion matrix (rows = true class, columns = predicted):\n%8s", "");
  for (int c = 0; c < fx->n_classes; c++) printf(" %9s", labels[c]);
  printf("\n");
  for (int r = 0; r < fx->n_classes; r++) {
    printf("%-8s", labels[r]);
    for (int c = 0; c < fx->n_classes; c++) printf(" %9ld", fx->confusion[r * fx->n_classes + c]);
    printf("\n");
  }
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
  double val_frac = NF_SPLIT_VAL_FRAC, test_frac = NF_SPLIT_TEST_FRAC, rows = NF_TRAIN_DEFAULT_ROWS;
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
  nf_eval_opts o = {.target = argv[optind], .weights = weights, .data_path = data_path, .rows = (long)rows,
                    .test_only = test_only, .val_frac = val_frac, .test_frac = test_frac, .plots = plots};
  nf_error err = {0};
  nf_eval r;
  if (nf_eval_run(&o, &r, &err)) return cli_report("eval", &err);
  if (r.project) print_result(o.target, r.project->design, &r.metrics, r.has_float ? &r.float_metrics : NULL, r.labels, json);
  else if (json) print_json(o.target, r.model, r.data_name, &r.metrics, r.labels);
  else print_text(r.model, &r.metrics, r.labels);
  int rc = fflush(stdout) != 0 ? nf_fail(&err, NF_EINTERNAL, "cannot write to stdout") : NF_OK;
  nf_eval_free(&r);
  return rc ? cli_report("eval", &err) : 0;
}
