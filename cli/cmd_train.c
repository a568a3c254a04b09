/* nnfirm train: a float MLP on jet data (the tutorial's parts 1-2). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/data.h"
#include "nnfirm/report.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

enum { MAX_HIDDEN = 32 };

static const char USAGE[] =
    "usage: nnfirm train [--data FILE] [options] -o MODEL.nnf\n\n"
    "Trains a float MLP classifier (Dense [+ BatchNormalization] + ReLU per hidden\n"
    "layer, softmax output) with softmax cross-entropy. Rows are split stratified into\n"
    "train / validation / test; the standard scaler is fitted on the training split\n"
    "and stored in the model. The test split is never used for training; its accuracy\n"
    "is reported at the end. Early stopping and the learning-rate schedule watch the\n"
    "validation loss; the weights of the best validation epoch are kept.\n\n"
    "  --data FILE        .csv/.npy/.h5/.arff jet data (default: 200k synthetic jets,\n"
    "                     seed fixed, as 'nnfirm data synth' makes them)\n"
    "  --rows N           rows of the default synthetic data (default 200000)\n"
    "  --hidden LIST      hidden layer widths (default 64,32,32)\n"
    "  --batchnorm        BatchNormalization after each hidden Dense\n"
    "  --dropout R        Dropout rate after each hidden activation (default 0)\n"
    "  --epochs N         maximum epochs (default 30)\n"
    "  --batch N          minibatch size (default 1024)\n"
    "  --optimizer NAME   adam (default) or sgd\n"
    "  --lr X             learning rate (default 1e-3)\n"
    "  --l1 X, --l2 X     kernel regularization (default l1 1e-4, l2 0)\n"
    "  --patience N       early stopping after N epochs without improvement (default 10; 0 off)\n"
    "  --lr-patience N    halve the learning rate after N flat epochs (default 5; 0 off)\n"
    "  --val-frac F       validation share (default 0.2)\n"
    "  --test-frac F      test share kept out (default 0.2)\n"
    "  --seed S           initialization and shuffling seed (default 42); the split\n"
    "                     has its own fixed seed, so eval --split test finds the same rows\n"
    "  --threads N        threads per matrix product (default 1: fastest for small models)\n"
    "  --plots DIR        write training history plots (PNG + SVG) into DIR\n\n"
    "Quantization-aware training (QKeras semantics, straight-through gradients):\n"
    "  --bits N           every Dense: quantized_bits(N,0,alpha=1) weights and biases,\n"
    "                     every ReLU: quantized_relu(N,0)\n"
    "  --quant SPEC       per layer, e.g. \"fc1:w6i0,a6i0;fc2:w4i0;output:wternary;input:a12i4\"\n"
    "                     (w<bits>[i<int>] weights, b.. bias, a.. the activation after the\n"
    "                     layer; wbinary, wternary); overrides --bits for those layers\n"
    "  --quant-config F   QKeras quantizer_config (JSON/YAML): QDense: {kernel_quantizer,\n"
    "                     bias_quantizer}, QActivation: {relu: ...}, or layer names\n"
    "                     A QAT model also quantizes its input: quantized_bits(16,5) unless\n"
    "                     'input:a..' says otherwise; 'nnfirm convert' turns every quantizer\n"
    "                     into the design's exact type.\n"
    "Per-weight bit widths (HGQ, arXiv 2308.04723), on top of --bits/--quant kernels:\n"
    "  --hgq BETA         learn each weight's fractional bits with a penalty of BETA per bit\n"
    "                     per weight (e.g. 1e-5; 0 = no penalty); a weight left with no bits\n"
    "                     is 0. Exported as each weight quantized to its own bits inside the\n"
    "                     layer's widest type (the RTL builds only the digits each weight has)\n"
    "  --hgq-lr X         Adam step size of the bit parameters (default 0.01)\n"
    "Magnitude pruning (TensorFlow Model Optimization's polynomial decay, power 3):\n"
    "  --prune S          final sparsity in [0,1) of every Dense, or per layer \"fc1:0.8,fc2:0.5\"\n"
    "  --prune-schedule K begin=STEP,end=STEP,freq=STEPS,initial=S,final=S,power=P (default:\n"
    "                     from 20%% to 60%% of the training steps in 20 updates)\n"
    "  --prune-scope X    layer (default: each layer to its target) or global (one threshold)\n"
    "  --plot-weights DIR per-layer weight histograms before/after pruning (PNG + SVG)\n"
    "                     Masks are fixed after the schedule ends; early stopping, the\n"
    "                     learning-rate plateau and the best-epoch restore wait for that.\n\n"
    "  --json             print the final metrics and history as one JSON object\n"
    "  --quiet            no progress display\n"
    "  -o, --output FILE  the trained model (.nnf); rewritten at each improved epoch,\n"
    "                     so a run stopped by a non-finite loss leaves the last good model\n\n"
    "Same seed and thread count, same weights, bit for bit.\n";

typedef struct run {
  const char *out_path;
  nf_model *m;
  nf_progress prog;
  int epochs;
  long batches;
  int epoch; /* current, for the progress line */
  double last_val_loss, last_val_acc;
  int saved_epoch;
  nf_error save_err;
  bool save_failed;
  nf_hgq *hgq; /* per-weight bits being learned, or NULL */
} run;

static void on_batch(long done, long total, double loss, double acc, void *ctx) {
  run *r = ctx;
  char extra[160];
  snprintf(extra, sizeof extra, "epoch %d/%d  loss %.4f acc %.4f  val_loss %.4f val_acc %.4f", r->epoch, r->epochs,
           loss, acc, r->last_val_loss, r->last_val_acc);
  nf_progress_update(&r->prog, (long)(r->epoch - 1) * total + done, extra);
}

/* After each epoch: a permanent line on the terminal, and a checkpoint of the
 * best weights so far (the last good model if a later epoch blows up). */
static int on_epoch(const nf_epoch_stats *s, const nf_model *best, bool improved, void *ctx) {
  run *r = ctx;
  r->last_val_loss = s->val_loss;
  r->last_val_acc = s->val_acc;
  if (r->prog.enabled)
    fprintf(stderr, "\r\033[Kepoch %3d/%d  loss %.4f acc %.4f  val_loss %.4f val_acc %.4f  lr %.2g  %.2fs%s\n",
            s->epoch, r->epochs, s->loss, s->acc, s->val_loss, s->val_acc, s->lr, s->seconds,
            improved ? "  *" : "");
  r->epoch = s->epoch + 1;
  if (improved) {
    /* best holds the weights; the scaler and names live in r->m */
    nf_model *ck = nf_model_clone(r->m, &r->save_err);
    if (!ck) {
      r->save_failed = true;
      return 1;
    }
    for (int i = 0; i < ck->n_layers; i++) {
      nf_layer *d = &ck->layers[i];
      const nf_layer *b = &best->layers[i];
      size_t nk = (size_t)d->n_in * d->n_out * sizeof(float), no = (size_t)d->n_out * sizeof(float);
      if (d->kernel) memcpy(d->kernel, b->kernel, nk);
      if (d->bias) memcpy(d->bias, b->bias, no);
      if (d->gamma) memcpy(d->gamma, b->gamma, no);
      if (d->beta) memcpy(d->beta, b->beta, no);
      if (d->moving_mean) memcpy(d->moving_mean, b->moving_mean, no);
      if (d->moving_var) memcpy(d->moving_var, b->moving_var, no);
    }
    if (r->hgq) { /* these weights with the bits they had */
      nf_hgq_snapshot(r->hgq);
      nf_hgq_export(r->hgq, ck);
    }
    int rc = nf_model_save(ck, r->out_path, &r->save_err);
    nf_model_free(ck);
    if (rc) {
      r->save_failed = true;
      return 1;
    }
    r->saved_epoch = s->epoch;
  }
  return 0;
}

static int write_history_plots(const char *dir, const nf_train_result *res, nf_error *err) {
  int n = res->epochs_run;
  if (n < 1) return NF_OK;
  double *ep = malloc((size_t)n * sizeof *ep), *v[4];
  for (int k = 0; k < 4; k++) v[k] = malloc((size_t)n * sizeof(double));
  int rc = NF_OK;
  if (!ep || !v[0] || !v[1] || !v[2] || !v[3]) rc = nf_fail_oom(err, "history plot");
  for (int i = 0; !rc && i < n; i++) {
    const nf_epoch_stats *s = &res->history[i];
    ep[i] = s->epoch;
    v[0][i] = s->loss, v[1][i] = s->val_loss, v[2][i] = s->acc, v[3][i] = s->val_acc;
  }
  if (!rc) rc = nf_mkdir_p(dir, err);
  static const char *const exts[] = {"png", "svg"};
  for (int what = 0; !rc && what < 2; what++) {
    nf_series s[2] = {{"training", ep, v[2 * what], n, NF_LINE_SOLID, 0},
                      {"validation", ep, v[2 * what + 1], n, NF_LINE_DASHED, 1}};
    nf_plot_opts o = {0};
    o.title = what ? "Training history: accuracy" : "Training history: loss";
    o.xlabel = "epoch";
    o.ylabel = what ? "accuracy" : "loss (cross-entropy + regularization)";
    o.legend_pos = what ? "br" : "tr";
    int n_series = isnan(v[2 * what + 1][0]) ? 1 : 2;
    for (int e = 0; !rc && e < 2; e++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/history_%s.%s", dir, what ? "accuracy" : "loss", exts[e]);
      rc = nf_plot_lines(path, &o, s, n_series, err);
    }
  }
  free(ep);
  for (int k = 0; k < 4; k++) free(v[k]);
  return rc;
}

static void print_json(const nf_train_result *res, const run *r, double val_loss, double val_acc, double test_loss,
                       double test_acc, long n_train, long n_val, long n_test, double secs_per_epoch) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", r->out_path);
  cJSON_AddNumberToObject(o, "epochs_run", res->epochs_run);
  cJSON_AddNumberToObject(o, "best_epoch", res->best_epoch);
  cJSON_AddNumberToObject(o, "train_rows", (double)n_train);
  cJSON_AddNumberToObject(o, "val_rows", (double)n_val);
  cJSON_AddNumberToObject(o, "test_rows", (double)n_test);
  if (n_val) {
    cJSON_AddNumberToObject(o, "val_loss", val_loss);
    cJSON_AddNumberToObject(o, "val_accuracy", val_acc);
  }
  if (n_test) {
    cJSON_AddNumberToObject(o, "test_loss", test_loss);
    cJSON_AddNumberToObject(o, "test_accuracy", test_acc);
    cJSON_AddNumberToObject(o, "accuracy", test_acc);
  }
  cJSON_AddNumberToObject(o, "seconds_per_epoch", secs_per_epoch);
  cJSON_AddNumberToObject(o, "sparsity", nf_model_sparsity(r->m, -1, NULL, NULL));
  cJSON_AddItemToObject(o, "sparsity_per_layer", train_sparsity_json(r->m));
  cJSON_AddItemToObject(o, "weight_bits_per_layer", train_weight_bits_json(r->m));
  cJSON *h = cJSON_AddArrayToObject(o, "history");
  for (int i = 0; i < res->epochs_run; i++) {
    const nf_epoch_stats *s = &res->history[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "epoch", s->epoch);
    cJSON_AddNumberToObject(e, "loss", s->loss);
    cJSON_AddNumberToObject(e, "accuracy", s->acc);
    if (isfinite(s->val_loss)) {
      cJSON_AddNumberToObject(e, "val_loss", s->val_loss);
      cJSON_AddNumberToObject(e, "val_accuracy", s->val_acc);
    }
    cJSON_AddNumberToObject(e, "lr", s->lr);
    cJSON_AddNumberToObject(e, "seconds", s->seconds);
    cJSON_AddItemToArray(h, e);
  }
  char *text = cJSON_PrintUnformatted(o);
  if (text) puts(text);
  free(text);
  cJSON_Delete(o);
}

/* --prune: targets, the schedule over this run's steps, the pruner as the
 * training's per-step hook. */
static int setup_pruning(run *r, const char *prune, const char *sched_text, nf_prune_scope scope, nf_train_opts *o,
                         nf_pruner **out, nf_error *err) {
  double target, *per_layer = NULL;
  nf_prune_schedule s;
  long total = (long)o->epochs * r->batches;
  int rc = train_prune_targets(r->m, prune, &target, &per_layer, err);
  if (!rc) rc = train_prune_schedule(sched_text, target, total, &s, err);
  if (!rc && per_layer && scope == NF_PRUNE_GLOBAL)
    rc = nf_fail(err, NF_EINPUT, "--prune '%s': per-layer targets need --prune-scope layer", prune);
  if (!rc && !(*out = nf_pruner_new(r->m, &s, scope, per_layer, err))) rc = err->code ? err->code : NF_EINTERNAL;
  free(per_layer);
  if (rc) return rc;
  long last = nf_prune_last_update(&s);
  double reached = nf_prune_sparsity(&s, last);
  if (fabs(reached - s.final_sparsity) > 1e-9)
    fprintf(stderr, "nnfirm train: note: the last mask update (step %ld, every %ld from %ld) reaches sparsity %.4f, "
                    "not %.4f; make end - begin a multiple of freq\n", last, s.frequency, s.begin_step, reached,
            s.final_sparsity);
  o->on_step = nf_pruner_on_step;
  o->step_ctx = *out;
  o->settle_steps = last + 1;
  return NF_OK;
}

static bool parse_num(const char *opt, const char *s, double lo, double hi, double *out, int *status) {
  if (!nf_parse_double(s, out) || *out < lo || *out > hi) {
    *status = cli_usage_error("train", "%s '%s': expected a number in [%g, %g]", opt, s, lo, hi);
    return false;
  }
  return true;
}

int cmd_train(int argc, char **argv) {
  enum { O_ROWS = 256, O_HIDDEN, O_BN, O_DROPOUT, O_EPOCHS, O_BATCH, O_OPT, O_LR, O_L1, O_L2, O_PAT, O_LRPAT,
         O_VAL, O_TEST, O_SEED, O_THREADS, O_PLOTS, O_JSON, O_QUIET, O_BITS, O_QUANT, O_QCONFIG, O_PRUNE,
         O_PSCHED, O_PSCOPE, O_PLOTW, O_HGQ, O_HGQ_LR };
  static const struct option opts[] = {
      {"data", required_argument, 0, 'd'},      {"rows", required_argument, 0, O_ROWS},
      {"hidden", required_argument, 0, O_HIDDEN}, {"batchnorm", no_argument, 0, O_BN},
      {"dropout", required_argument, 0, O_DROPOUT}, {"epochs", required_argument, 0, O_EPOCHS},
      {"batch", required_argument, 0, O_BATCH}, {"optimizer", required_argument, 0, O_OPT},
      {"lr", required_argument, 0, O_LR},       {"l1", required_argument, 0, O_L1},
      {"l2", required_argument, 0, O_L2},       {"patience", required_argument, 0, O_PAT},
      {"lr-patience", required_argument, 0, O_LRPAT}, {"val-frac", required_argument, 0, O_VAL},
      {"test-frac", required_argument, 0, O_TEST}, {"seed", required_argument, 0, O_SEED},
      {"threads", required_argument, 0, O_THREADS}, {"plots", required_argument, 0, O_PLOTS},
      {"json", no_argument, 0, O_JSON},         {"quiet", no_argument, 0, O_QUIET},
      {"output", required_argument, 0, 'o'},    {"help", no_argument, 0, 'h'},
      {"bits", required_argument, 0, O_BITS},   {"quant", required_argument, 0, O_QUANT},
      {"quant-config", required_argument, 0, O_QCONFIG}, {"prune", required_argument, 0, O_PRUNE},
      {"prune-schedule", required_argument, 0, O_PSCHED}, {"prune-scope", required_argument, 0, O_PSCOPE},
      {"plot-weights", required_argument, 0, O_PLOTW}, {"hgq", required_argument, 0, O_HGQ},
      {"hgq-lr", required_argument, 0, O_HGQ_LR},
      {0}};
  if (cli_wants_help(argc, argv)) {
    fputs(USAGE, stdout);
    return 0;
  }
  const char *data_path = NULL, *out_path = NULL, *plots = NULL, *hidden_s = "64,32,32";
  const char *quant = NULL, *quant_config = NULL, *prune = NULL, *prune_sched = NULL, *plot_weights = NULL;
  int bits = 0;
  double hgq_beta = -1, hgq_lr = 0.01;
  bool hgq_lr_given = false;
  nf_prune_scope scope = NF_PRUNE_PER_LAYER;
  bool batchnorm = false, json = false, quiet = false;
  double rows = NF_TRAIN_DEFAULT_ROWS, dropout = 0, val_frac = NF_TRAIN_DEFAULT_VAL_FRAC,
         test_frac = NF_TRAIN_DEFAULT_TEST_FRAC, v;
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.l1 = 1e-4;
  int c, st = 2;
  optind = 1;
  while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': data_path = optarg; break;
    case 'o': out_path = optarg; break;
    case O_ROWS: if (!parse_num("--rows", optarg, 10, 1e9, &rows, &st)) return st; break;
    case O_HIDDEN: hidden_s = optarg; break;
    case O_BN: batchnorm = true; break;
    case O_DROPOUT: if (!parse_num("--dropout", optarg, 0, 0.99, &dropout, &st)) return st; break;
    case O_EPOCHS: if (!parse_num("--epochs", optarg, 1, 100000, &v, &st)) return st; o.epochs = (int)v; break;
    case O_BATCH: if (!parse_num("--batch", optarg, 1, 1 << 20, &v, &st)) return st; o.batch = (int)v; break;
    case O_OPT:
      if (!strcmp(optarg, "adam")) o.optimizer = NF_OPT_ADAM;
      else if (!strcmp(optarg, "sgd")) o.optimizer = NF_OPT_SGD;
      else return cli_usage_error("train", "--optimizer '%s': expected adam or sgd", optarg);
      break;
    case O_LR: if (!parse_num("--lr", optarg, 1e-30, 1e30, &o.lr, &st)) return st; break;
    case O_L1: if (!parse_num("--l1", optarg, 0, 1e6, &o.l1, &st)) return st; break;
    case O_L2: if (!parse_num("--l2", optarg, 0, 1e6, &o.l2, &st)) return st; break;
    case O_PAT: if (!parse_num("--patience", optarg, 0, 1e6, &v, &st)) return st; o.patience = (int)v; break;
    case O_LRPAT: if (!parse_num("--lr-patience", optarg, 0, 1e6, &v, &st)) return st; o.lr_patience = (int)v; break;
    case O_VAL: if (!parse_num("--val-frac", optarg, 0, 0.9, &val_frac, &st)) return st; break;
    case O_TEST: if (!parse_num("--test-frac", optarg, 0, 0.9, &test_frac, &st)) return st; break;
    case O_SEED: if (!parse_num("--seed", optarg, 0, 9007199254740992.0, &v, &st)) return st; o.seed = (uint64_t)v; break;
    case O_THREADS: if (!parse_num("--threads", optarg, 1, 256, &v, &st)) return st; o.threads = (int)v; break;
    case O_PLOTS: plots = optarg; break;
    case O_JSON: json = true; break;
    case O_QUIET: quiet = true; break;
    case O_BITS: if (!parse_num("--bits", optarg, 1, 32, &v, &st)) return st; bits = (int)v;
      if (bits != v) return cli_usage_error("train", "--bits '%s': expected a whole number of bits", optarg);
      break;
    case O_QUANT: quant = optarg; break;
    case O_QCONFIG: quant_config = optarg; break;
    case O_PRUNE: prune = optarg; break;
    case O_PSCHED: prune_sched = optarg; break;
    case O_PSCOPE:
      if (!strcmp(optarg, "layer")) scope = NF_PRUNE_PER_LAYER;
      else if (!strcmp(optarg, "global")) scope = NF_PRUNE_GLOBAL;
      else return cli_usage_error("train", "--prune-scope '%s': expected layer or global", optarg);
      break;
    case O_PLOTW: plot_weights = optarg; break;
    case O_HGQ: if (!parse_num("--hgq", optarg, 0, 1e3, &hgq_beta, &st)) return st; break;
    case O_HGQ_LR: if (!parse_num("--hgq-lr", optarg, 1e-9, 10, &hgq_lr, &st)) return st; hgq_lr_given = true; break;
    default: return cli_usage_error("train", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
  if (!out_path) return cli_usage_error("train", "-o MODEL is required");
  if (val_frac + test_frac > 0.9) return cli_usage_error("train", "--val-frac + --test-frac must leave training rows");
  if (hgq_beta < 0 && hgq_lr_given) return cli_usage_error("train", "--hgq-lr goes with --hgq");
  if ((prune_sched || plot_weights) && !prune)
    return cli_usage_error("train", "--prune-schedule and --plot-weights go with --prune");
  nf_error err = {0};
  int hidden[MAX_HIDDEN], n_hidden;
  if (nf_parse_hidden(hidden_s, hidden, MAX_HIDDEN, &n_hidden, &err)) return cli_report("train", &err);

  nf_dataset ds = {0};
  nf_split split = {0};
  nf_scaler sc = {0};
  nf_train_result res = {0};
  nf_pruner *pruner = NULL;
  run r = {0};
  int rc = data_path ? nf_data_load(data_path, &ds, &err) : nf_data_synth((long)rows, NF_TRAIN_DEFAULT_DATA_SEED, &ds, &err);
  if (!rc) rc = nf_data_split(&ds, val_frac, test_frac, NF_TRAIN_SPLIT_SEED, &split, &err);
  if (!rc && split.n_train < 1) rc = nf_fail(&err, NF_EINPUT, "%s: too few rows to train on", data_path ? data_path : "data");
  if (!rc) rc = nf_scaler_fit(&ds, split.train, split.n_train, &sc, &err);
  if (!rc && !(r.m = nf_mlp_build(ds.n_features, hidden, n_hidden, ds.n_classes, batchnorm, (float)dropout, &err)))
    rc = err.code ? err.code : NF_EINTERNAL;
  if (!rc) rc = nf_model_set_scaler(r.m, sc.mean, sc.scale, &err);
  if (!rc && ds.feature_names)
    rc = nf_model_set_feature_names(r.m, (const char *const *)ds.feature_names, ds.n_features, &err);
  if (!rc && ds.class_names) rc = nf_model_set_class_names(r.m, (const char *const *)ds.class_names, ds.n_classes, &err);
  if (!rc && bits) rc = nf_qat_set_uniform(r.m, bits, &err);
  if (!rc && quant_config) rc = nf_qat_apply_config(r.m, quant_config, &err);
  if (!rc && quant) rc = nf_qat_apply_spec(r.m, quant, &err);
  if (!rc) rc = nf_qat_finish(r.m, &err);
  if (!rc) {
    snprintf(r.m->source, sizeof r.m->source, "nnfirm train %s", data_path ? data_path : "(synthetic jets)");
    rc = nf_model_init_weights(r.m, o.seed, &err);
  }
  r.batches = (split.n_train + o.batch - 1) / o.batch;
  if (!rc && prune) rc = setup_pruning(&r, prune, prune_sched, scope, &o, &pruner, &err);
  if (!rc && hgq_beta >= 0) {
    if (!(r.hgq = nf_hgq_new(r.m, hgq_beta, hgq_lr, &err))) rc = err.code ? err.code : NF_EINTERNAL;
    else nf_hgq_attach(r.hgq, &o);
  }
  if (rc) goto done;

  r.out_path = out_path;
  r.epochs = o.epochs;
  r.epoch = 1;
  r.last_val_loss = r.last_val_acc = NAN;
  nf_progress_begin(&r.prog, "train", (long)o.epochs * r.batches, quiet || json);
  o.on_batch = on_batch;
  o.on_epoch = on_epoch;
  o.ctx = &r;
  double t0 = nf_now();
  rc = nf_train(r.m, ds.x, ds.y, split.train, split.n_train, split.val, split.n_val, &o, &res, &err);
  double secs = nf_now() - t0;
  nf_progress_end(&r.prog);
  if (r.save_failed) {
    err = r.save_err;
    rc = err.code ? err.code : NF_EINTERNAL;
    goto done;
  }
  if (rc) {
    if (res.nan_stop && r.saved_epoch > 0)
      nf_fail_context(&err, "%s holds the last good model (epoch %d)", out_path, r.saved_epoch);
    else if (res.nan_stop)
      nf_fail_context(&err, "no epoch finished; %s not written", out_path);
    goto done;
  }
  /* The final model: best weights restored (already checkpointed, but the
   * file must exist even when no epoch improved on NaN-free validation). */
  if (r.hgq) nf_hgq_export(r.hgq, r.m); /* each weight on its own grid, the widest as the type */
  if ((rc = nf_model_save(r.m, out_path, &err))) goto done;
  double val_loss = NAN, val_acc = NAN, test_loss = NAN, test_acc = NAN;
  if (split.n_val) rc = nf_train_evaluate(r.m, ds.x, ds.y, split.val, split.n_val, &val_loss, &val_acc, &err);
  if (!rc && split.n_test)
    rc = nf_train_evaluate(r.m, ds.x, ds.y, split.test, split.n_test, &test_loss, &test_acc, &err);
  if (!rc && plots) rc = write_history_plots(plots, &res, &err);
  if (!rc && plot_weights) rc = train_plot_weights(plot_weights, r.m, pruner, &err);
  if (rc) goto done;
  double per_epoch = res.epochs_run ? secs / res.epochs_run : 0;
  if (json) {
    print_json(&res, &r, val_loss, val_acc, test_loss, test_acc, split.n_train, split.n_val, split.n_test, per_epoch);
  } else {
    printf("trained %d epochs (best %d) on %ld rows in %.1fs (%.3fs/epoch)\n", res.epochs_run, res.best_epoch,
           split.n_train, secs, per_epoch);
    if (split.n_val) printf("validation: loss %.4f, accuracy %.4f (%ld rows)\n", val_loss, val_acc, split.n_val);
    if (split.n_test) printf("test:       loss %.4f, accuracy %.4f (%ld rows)\n", test_loss, test_acc, split.n_test);
    if (prune || nf_model_is_quantized(r.m)) train_print_sparsity(r.m);
    printf("model written to %s\n", out_path);
  }
  if (fflush(stdout) != 0) rc = nf_fail(&err, NF_EINTERNAL, "cannot write to stdout");
done:
  free(res.history);
  nf_pruner_free(pruner);
  nf_hgq_free(r.hgq);
  nf_model_free(r.m);
  nf_scaler_free(&sc);
  nf_split_free(&split);
  nf_dataset_free(&ds);
  return rc ? cli_report("train", &err) : 0;
}
