/* nnfirm data synth|info: jet data sets. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/data.h"
#include "nnfirm/report.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm data synth [-n N] [--seed S] -o FILE     synthetic jets (.csv, .npy or .h5)\n"
    "       nnfirm data info FILE [--json]                  rows, features, classes, statistics\n"
    "       nnfirm data plot FILE -o DIR                    per-feature histograms by class (PNG)\n"
    "       nnfirm data fetch [-o DIR] [--url URL] [--sha256 HEX] [--timeout S] [--quiet]\n"
    "                                                       the real data set (OpenML hls4ml_lhc_jets_hlf)\n\n"
    "Data files: .csv (header optional; a 'class' column g/q/w/z/t or 0..4, or one-hot\n"
    "j_g..j_t), .arff (OpenML hls4ml_lhc_jets_hlf), .h5 (hls4ml 'jets' + 'jetFeatureNames',\n"
    "or nnfirm's 'features' + 'labels'). Classes are always ordered g, q, w, z, t.\n";

static int data_synth(int argc, char **argv) {
  static const struct option opts[] = {{"rows", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
                                       {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0}};
  long n = 100000, seed = 1;
  const char *out = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "n:s:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'n':
      if (!nf_parse_long(optarg, &n) || n < 1) return cli_usage_error("data synth", "-n needs a positive row count, got '%s'", optarg);
      break;
    case 's':
      if (!nf_parse_long(optarg, &seed) || seed < 0) return cli_usage_error("data synth", "--seed needs a non-negative integer");
      break;
    case 'o': out = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("data synth", "unknown option");
    }
  }
  if (!out) return cli_usage_error("data synth", "-o FILE is required");
  if (optind != argc) return cli_usage_error("data synth", "unexpected argument '%s'", argv[optind]);
  nf_error err = {0};
  nf_dataset ds;
  int rc = nf_data_synth(n, (uint64_t)seed, &ds, &err);
  if (!rc) rc = nf_data_save(out, &ds, &err);
  nf_dataset_free(&ds);
  return rc ? cli_report("data synth", &err) : 0;
}

static int data_info(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0}};
  bool json = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'j') json = true;
    else if (c == 'h') {
      fputs(USAGE, stdout);
      return 0;
    } else return cli_usage_error("data info", "unknown option");
  }
  if (optind != argc - 1) return cli_usage_error("data info", "expected one FILE");
  nf_error err = {0};
  nf_dataset ds;
  if (nf_data_load(argv[optind], &ds, &err)) return cli_report("data info", &err);
  long counts[NF_JET_CLASSES] = {0};
  for (long i = 0; i < ds.n_rows; i++) counts[ds.y[i]]++;
  cJSON *o = cJSON_CreateObject(), *names = cJSON_CreateStringArray((const char *const *)ds.feature_names, ds.n_features);
  cJSON *cc = cJSON_CreateObject(), *stats = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "rows", (double)ds.n_rows);
  cJSON_AddNumberToObject(o, "features", ds.n_features);
  cJSON_AddItemToObject(o, "feature_names", names);
  for (int k = 0; k < NF_JET_CLASSES; k++) cJSON_AddNumberToObject(cc, NF_JET_CLASS_NAMES[k], (double)counts[k]);
  cJSON_AddItemToObject(o, "class_counts", cc);
  if (!json) printf("%s: %ld rows, %d features\nclasses:", argv[optind], ds.n_rows, ds.n_features);
  for (int k = 0; !json && k < NF_JET_CLASSES; k++) printf(" %s %ld", NF_JET_CLASS_NAMES[k], counts[k]);
  if (!json) printf("\n%-18s %12s %12s %12s %12s\n", "feature", "mean", "std", "min", "max");
  for (int k = 0; k < ds.n_features; k++) {
    double s = 0, ss = 0, mn = INFINITY, mx = -INFINITY;
    for (long i = 0; i < ds.n_rows; i++) {
      double v = ds.x[(size_t)i * ds.n_features + k];
      s += v;
      mn = fmin(mn, v);
      mx = fmax(mx, v);
    }
    double mean = s / ds.n_rows;
    for (long i = 0; i < ds.n_rows; i++) {
      double d = ds.x[(size_t)i * ds.n_features + k] - mean;
      ss += d * d;
    }
    double sd = sqrt(ss / ds.n_rows);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "mean", mean);
    cJSON_AddNumberToObject(f, "std", sd);
    cJSON_AddNumberToObject(f, "min", mn);
    cJSON_AddNumberToObject(f, "max", mx);
    cJSON_AddItemToObject(stats, ds.feature_names[k], f);
    if (!json) printf("%-18s %12.5g %12.5g %12.5g %12.5g\n", ds.feature_names[k], mean, sd, mn, mx);
  }
  cJSON_AddItemToObject(o, "feature_stats", stats);
  if (json) {
    char *s = cJSON_Print(o);
    if (s) puts(s);
    free(s);
  }
  cJSON_Delete(o);
  nf_dataset_free(&ds);
  return 0;
}

static int data_plot(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *out = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (c == 'o') out = optarg;
    else if (c == 'h') {
      fputs(USAGE, stdout);
      return 0;
    } else return cli_usage_error("data plot", "unknown option");
  }
  if (optind != argc - 1 || !out) return cli_usage_error("data plot", "expected FILE and -o DIR");
  nf_error err = {0};
  nf_dataset ds;
  int rc = nf_data_load(argv[optind], &ds, &err);
  if (!rc) rc = nf_data_plot(&ds, out, &err);
  if (!rc) printf("wrote %d histograms to %s/\n", ds.n_features, out);
  if (!rc) nf_dataset_free(&ds);
  return rc ? cli_report("data plot", &err) : 0;
}

static int data_fetch(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"url", required_argument, 0, 'u'},
                                       {"sha256", required_argument, 0, 's'}, {"timeout", required_argument, 0, 't'},
                                       {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0}};
  nf_fetch_opts o = {0};
  long t;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': o.dir = optarg; break;
    case 'u': o.url = optarg; break;
    case 's': o.sha256 = optarg; break;
    case 't':
      if (!nf_parse_long(optarg, &t) || t < 1) return cli_usage_error("data fetch", "--timeout needs seconds");
      o.timeout_s = t;
      break;
    case 'q': o.quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("data fetch", "unknown option");
    }
  }
  if (optind != argc) return cli_usage_error("data fetch", "unexpected argument '%s'", argv[optind]);
  nf_error err = {0};
  char path[4300];
  if (nf_data_fetch(&o, path, sizeof path, &err)) return cli_report("data fetch", &err);
  printf("%s\n", path);
  return 0;
}

int cmd_data(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "synth")) return data_synth(argc - 1, argv + 1);
  if (!strcmp(argv[1], "info")) return data_info(argc - 1, argv + 1);
  if (!strcmp(argv[1], "plot")) return data_plot(argc - 1, argv + 1);
  if (!strcmp(argv[1], "fetch")) return data_fetch(argc - 1, argv + 1);
  return cli_usage_error("data", "unknown subcommand '%s' (synth, info, plot, fetch)", argv[1]);
}
