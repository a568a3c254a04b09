/* nnfirm scan MODEL --data FILE --bits LO:HI: accuracy versus bit width. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/data.h"
#include "nnfirm/import.h"
#include "nnfirm/report.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm scan MODEL [--weights W.h5] --data FILE [--bits LO:HI] [--int-bits auto|N]\n"
    "                   [--split all|test] [--json] [-o DIR]\n\n"
    "The tutorial's bit-width study: for each total width W in LO..HI (default 4:18), the\n"
    "design with ap_fixed<W,I> everywhere is emulated bit for bit and scored by argmax\n"
    "accuracy. I is N, or (auto) the integer bits that hold every value the float model\n"
    "takes on the data. Prints a table (or JSON); with -o DIR also DIR/scan.png with the\n"
    "float accuracy as a dashed reference line. --split test scores the held-out test\n"
    "rows of the split 'nnfirm train' uses (seed 7, 60/20/20).\n";

static int parse_range(const char *s, int *lo, int *hi) {
  char *colon = strchr(s, ':');
  long a, b;
  char buf[32];
  if (!colon || strlen(s) >= sizeof buf) return -1;
  snprintf(buf, sizeof buf, "%.*s", (int)(colon - s), s);
  if (!nf_parse_long(buf, &a) || !nf_parse_long(colon + 1, &b)) return -1;
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

int cmd_scan(int argc, char **argv) {
  static const struct option opts[] = {{"data", required_argument, 0, 'd'}, {"bits", required_argument, 0, 'b'},
                                       {"int-bits", required_argument, 0, 'i'}, {"split", required_argument, 0, 's'},
                                       {"json", no_argument, 0, 'j'}, {"output", required_argument, 0, 'o'},
                                       {"weights", required_argument, 0, 'w'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *data = NULL, *out = NULL, *weights = NULL;
  int lo = 4, hi = 18, int_bits = -1;
  bool json = false, test = false;
  optind = 1;
  int c;
  long v;
  while ((c = getopt_long(argc, argv, "d:b:o:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': data = optarg; break;
    case 'b':
      if (parse_range(optarg, &lo, &hi)) return cli_usage_error("scan", "--bits needs LO:HI, got '%s'", optarg);
      break;
    case 'i':
      if (!strcmp(optarg, "auto")) int_bits = -1;
      else if (nf_parse_long(optarg, &v) && v >= -16 && v <= 32) int_bits = (int)v;
      else return cli_usage_error("scan", "--int-bits needs 'auto' or an integer, got '%s'", optarg);
      break;
    case 's':
      if (strcmp(optarg, "all") && strcmp(optarg, "test")) return cli_usage_error("scan", "--split is all or test");
      test = !strcmp(optarg, "test");
      break;
    case 'j': json = true; break;
    case 'o': out = optarg; break;
    case 'w': weights = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("scan", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("scan", "expected one MODEL");
  if (!data) return cli_usage_error("scan", "--data FILE is required");
  nf_error err = {0};
  nf_model *m = NULL;
  nf_dataset ds = {0};
  float *x = NULL;
  int *y = NULL;
  long n = 0;
  int k = hi - lo + 1;
  nf_scan_point *pts = k > 0 && k < 64 ? calloc((size_t)k, sizeof *pts) : NULL;
  double float_acc = 0;
  int rc = pts ? NF_OK : nf_fail(&err, NF_EINPUT, "bit range %d:%d is empty or too long", lo, hi);
  if (!rc) rc = nf_model_open(argv[optind], weights, &m, &err);
  if (!rc) rc = nf_data_load(data, &ds, &err);
  if (!rc && ds.n_features != m->n_features)
    rc = nf_fail(&err, NF_EINPUT, "%s: %d features, the model takes %d", data, ds.n_features, m->n_features);
  if (!rc) rc = nf_data_score_rows(&ds, test, &x, &y, &n, &err);
  if (!rc) rc = nf_scan_bits(m, x, y, n, lo, hi, int_bits, pts, &float_acc, &err);
  if (!rc && out) rc = nf_plot_scan(out, pts, k, float_acc, &err);
  if (!rc && json) {
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "points");
    cJSON_AddNumberToObject(o, "float_accuracy", float_acc);
    cJSON_AddNumberToObject(o, "rows", (double)n);
    for (int i = 0; i < k; i++) {
      cJSON *p = cJSON_CreateObject();
      cJSON_AddNumberToObject(p, "bits", pts[i].bits);
      cJSON_AddNumberToObject(p, "int_bits", pts[i].int_bits);
      cJSON_AddNumberToObject(p, "accuracy", pts[i].accuracy);
      cJSON_AddItemToArray(arr, p);
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
  } else if (!rc) {
    printf("float accuracy %.4f on %ld rows\n%6s %8s %10s\n", float_acc, n, "bits", "int", "accuracy");
    for (int i = 0; i < k; i++) printf("%6d %8d %10.4f\n", pts[i].bits, pts[i].int_bits, pts[i].accuracy);
  }
  free(pts);
  free(x);
  free(y);
  nf_dataset_free(&ds);
  nf_model_free(m);
  return rc ? cli_report("scan", &err) : 0;
}
