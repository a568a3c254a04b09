/* nnfirm train: a float MLP on jet data (the tutorial's parts 1-2). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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
    "  --hgq-penalty P    bits (default: BETA per bit of every weight) or ops (per bit operation\n"
    "                     the RTL builds: the input's bits times the weight's nonzero signed digits)\n"
    "  --hgq-lr X         Adam step size of the bit parameters (default 0.01)\n"
    "  --hgq-act BETA     learn each hidden ReLU neuron's fractional bits (integer bits from the\n"
    "                     range seen in training), penalty BETA per bit per nonzero signed digit\n"
    "                     of the weights reading it; exported as a FixedPointQuantizer after\n"
    "                     each ReLU with one exact type per neuron (needs --bits/--quant kernels)\n"
    "  --hgq-act-mode M   rnd-sat (default: round half up, saturate; replaces the ReLU) or\n"
    "                     trn-wrap (truncate, wrap beyond the range; a bit slice in the RTL)\n"
    "  --hgq-act-range R  seen (default: integer bits from the range seen in training) or relu\n"
    "                     (rnd-sat: at most the ReLU quantizer's, saturating where it did)\n"
    "Magnitude pruning (TensorFlow Model Optimization's polynomial decay, power 3):\n"
    "  --prune S          final sparsity in [0,1) of every Dense, or per layer \"fc1:0.8,fc2:0.5\"\n"
    "  --prune-schedule K begin=STEP,end=STEP,freq=STEPS,initial=S,final=S,power=P (default:\n"
    "                     from 20%% to 60%% of the training steps in 20 updates)\n"
    "  --prune-scope X    layer (default: each layer to its target) or global (one threshold)\n"
    "  --fan-in F[,F..]   at most F inputs per neuron in every Dense but the last, or one F per\n"
    "                     such layer (0 = none): the largest |w| at each mask update (LUT-native\n"
    "                     neurons, 'LutNeurons' in convert)\n"
    "  --plot-weights DIR per-layer weight histograms before/after pruning (PNG + SVG)\n"
    "                     Masks are fixed after the schedule ends; early stopping, the\n"
    "                     learning-rate plateau and the best-epoch restore wait for that.\n\n"
    "  --json             print the final metrics and history as one JSON object\n"
    "  --quiet            no progress display\n"
    "  -o, --output FILE  the trained model (.nnf); rewritten at each improved epoch,\n"
    "                     so a run stopped by a non-finite loss leaves the last good model\n\n"
    "Same seed and thread count, same weights, bit for bit.\n";

/* --opt VALUE: a number in [lo, hi], else the usage error's status */
#define parse_num(opt, s, lo, hi, out, status) cli_parse_num("train", opt, s, lo, hi, out, status)

/* A two-way option: *v = false for `no`, true for `yes`; false for neither. */
static bool pick(const char *arg, const char *no, const char *yes, bool *v, bool *given) {
  if (strcmp(arg, no) && strcmp(arg, yes)) return false;
  *v = !strcmp(arg, yes), *given = true;
  return true;
}

int cmd_train(int argc, char **argv) {
  enum { O_ROWS = 256, O_HIDDEN, O_BN, O_DROPOUT, O_EPOCHS, O_BATCH, O_OPT, O_LR, O_L1, O_L2, O_PAT, O_LRPAT,
         O_VAL, O_TEST, O_SEED, O_THREADS, O_PLOTS, O_JSON, O_QUIET, O_BITS, O_QUANT, O_QCONFIG, O_PRUNE,
         O_PSCHED, O_PSCOPE, O_PLOTW, O_HGQ, O_HGQ_LR, O_HGQ_ACT, O_HGQ_ACT_MODE, O_FANIN, O_HGQ_PEN, O_HGQ_RANGE };
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
      {"hgq-lr", required_argument, 0, O_HGQ_LR}, {"hgq-act", required_argument, 0, O_HGQ_ACT},
      {"hgq-act-mode", required_argument, 0, O_HGQ_ACT_MODE}, {"fan-in", required_argument, 0, O_FANIN},
      {"hgq-penalty", required_argument, 0, O_HGQ_PEN}, {"hgq-act-range", required_argument, 0, O_HGQ_RANGE},
      {0}};
  if (cli_wants_help(argc, argv)) {
    fputs(USAGE, stdout);
    return 0;
  }
  const char *data_path = NULL, *out_path = NULL, *plots = NULL, *hidden_s = "64,32,32";
  const char *quant = NULL, *quant_config = NULL, *prune = NULL, *prune_sched = NULL, *plot_weights = NULL, *fan_in = NULL;
  int bits = 0;
  double hgq_beta = -1, hgq_lr = 0.01, hgq_act = -1;
  bool hgq_lr_given = false, hgq_act_sat = true, hgq_mode_given = false, hgq_pen_given = false, hgq_ops = false;
  bool hgq_relu_range = false, hgq_range_given = false;
  nf_prune_scope scope = NF_PRUNE_PER_LAYER;
  bool batchnorm = false, json = false, quiet = false;
  double rows = NF_TRAIN_DEFAULT_ROWS, dropout = 0, val_frac = NF_SPLIT_VAL_FRAC,
         test_frac = NF_SPLIT_TEST_FRAC, v;
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
    case O_FANIN: fan_in = optarg; break;
    case O_PSCHED: prune_sched = optarg; break;
    case O_PSCOPE:
      if (!strcmp(optarg, "layer")) scope = NF_PRUNE_PER_LAYER;
      else if (!strcmp(optarg, "global")) scope = NF_PRUNE_GLOBAL;
      else return cli_usage_error("train", "--prune-scope '%s': expected layer or global", optarg);
      break;
    case O_PLOTW: plot_weights = optarg; break;
    case O_HGQ: if (!parse_num("--hgq", optarg, 0, 1e3, &hgq_beta, &st)) return st; break;
    case O_HGQ_LR: if (!parse_num("--hgq-lr", optarg, 1e-9, 10, &hgq_lr, &st)) return st; hgq_lr_given = true; break;
    case O_HGQ_ACT: if (!parse_num("--hgq-act", optarg, 0, 1e3, &hgq_act, &st)) return st; break;
    case O_HGQ_PEN:
      if (!pick(optarg, "bits", "ops", &hgq_ops, &hgq_pen_given))
        return cli_usage_error("train", "--hgq-penalty '%s': expected bits or ops", optarg);
      break;
    case O_HGQ_RANGE:
      if (!pick(optarg, "seen", "relu", &hgq_relu_range, &hgq_range_given))
        return cli_usage_error("train", "--hgq-act-range '%s': expected seen or relu", optarg);
      break;
    case O_HGQ_ACT_MODE:
      if (!pick(optarg, "trn-wrap", "rnd-sat", &hgq_act_sat, &hgq_mode_given))
        return cli_usage_error("train", "--hgq-act-mode '%s': expected trn-wrap or rnd-sat", optarg);
      break;
    default: return cli_usage_error("train", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
  if (!out_path) return cli_usage_error("train", "-o MODEL is required");
  if (val_frac + test_frac > 0.9) return cli_usage_error("train", "--val-frac + --test-frac must leave training rows");
  if (hgq_beta < 0 && hgq_act < 0 && hgq_lr_given) return cli_usage_error("train", "--hgq-lr goes with --hgq or --hgq-act");
  if ((hgq_beta < 0 && hgq_pen_given) || (hgq_act < 0 && (hgq_range_given || hgq_mode_given)))
    return cli_usage_error("train", "--hgq-penalty goes with --hgq, --hgq-act-mode / -range goes with --hgq-act");
  if (hgq_relu_range && !hgq_act_sat) return cli_usage_error("train", "--hgq-act-range relu needs --hgq-act-mode rnd-sat");
  if ((prune_sched || plot_weights) && !prune)
    return cli_usage_error("train", "--prune-schedule and --plot-weights go with --prune");
  nf_error err = {0};
  int hidden[MAX_HIDDEN], n_hidden;
  if (nf_parse_hidden(hidden_s, hidden, MAX_HIDDEN, &n_hidden, &err)) return cli_report("train", &err);
  nf_train_job job = {.data_path = data_path, .rows = (long)rows, .val_frac = val_frac, .test_frac = test_frac,
                      .hidden = hidden, .n_hidden = n_hidden, .batchnorm = batchnorm, .dropout = dropout,
                      .bits = bits, .quant_config = quant_config, .quant = quant, .prune = prune,
                      .prune_schedule = prune_sched, .prune_scope = scope, .fan_in = fan_in, .hgq_beta = hgq_beta,
                      .hgq_lr = hgq_lr, .hgq_penalty = hgq_ops ? NF_HGQ_PENALTY_OPS : NF_HGQ_PENALTY_BITS,
                      .hgq_act = hgq_act >= 0, .hgq_act_beta = hgq_act, .hgq_act_sat = hgq_act_sat,
                      .hgq_act_relu_range = hgq_relu_range,
                      .opts = o, .out_path = out_path, .quiet = quiet || json};
  nf_train_job_result jr;
  int rc = nf_train_job_run(&job, &jr, &err);
  if (!rc && jr.pruner) { /* the schedule's last update may fall short of the target */
    long last = nf_prune_last_update(&jr.schedule);
    double reached = nf_prune_sparsity(&jr.schedule, last);
    if (fabs(reached - jr.schedule.final_sparsity) > 1e-9)
      fprintf(stderr, "nnfirm train: note: the last mask update (step %ld, every %ld from %ld) reaches sparsity %.4f, "
                      "not %.4f; make end - begin a multiple of freq\n", last, jr.schedule.frequency,
              jr.schedule.begin_step, reached, jr.schedule.final_sparsity);
  }
  if (!rc && plots) rc = nf_plot_history(plots, &jr.train, &err);
  if (!rc && plot_weights) {
    const float **before = nf_calloc((size_t)jr.model->n_layers, sizeof *before, &err);
    for (int i = 0; before && i < jr.model->n_layers; i++) before[i] = nf_pruner_before(jr.pruner, i);
    rc = before ? nf_plot_weights(plot_weights, jr.model, before, &err) : NF_EINTERNAL;
    free(before);
  }
  if (!rc && json) {
    train_print_json(out_path, &jr);
  } else if (!rc) {
    const nf_train_result *res = &jr.train;
    double per_epoch = res->epochs_run ? jr.seconds / res->epochs_run : 0;
    printf("trained %d epochs (best %d) on %ld rows in %.1fs (%.3fs/epoch)\n", res->epochs_run, res->best_epoch,
           jr.n_train, jr.seconds, per_epoch);
    if (jr.n_val) printf("validation: loss %.4f, accuracy %.4f (%ld rows)\n", jr.val_loss, jr.val_acc, jr.n_val);
    if (jr.n_test) printf("test:       loss %.4f, accuracy %.4f (%ld rows)\n", jr.test_loss, jr.test_acc, jr.n_test);
    if (prune || nf_model_is_quantized(jr.model)) train_print_sparsity(jr.model);
    train_print_act_bits(jr.model);
    printf("model written to %s\n", out_path);
  }
  if (!rc && fflush(stdout) != 0) rc = nf_fail(&err, NF_EINTERNAL, "cannot write to stdout");
  nf_train_job_free(&jr);
  return rc ? cli_report("train", &err) : 0;
}
