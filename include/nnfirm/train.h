/* nnfirm — float32 training of the model graph (Dense, BatchNormalization,
 * activations, Dropout, softmax cross-entropy) with SGD or Adam.
 *
 * The data stay where they are: training walks shuffled row-index arrays and
 * gathers (and standardizes, with the model's scaler) one minibatch at a
 * time, so memory does not grow with the data set.
 *
 * Quantization-aware training and pruning plug in per Dense layer: a weight
 * transform (e.g. fake quantization) turns the float kernel into the kernel
 * the forward pass uses, and its gradient passes straight through to the
 * float kernel; the layer's mask (nf_layer.mask) zeroes pruned weights in the
 * forward pass and again after every optimizer step.
 */
#ifndef NNFIRM_TRAIN_H
#define NNFIRM_TRAIN_H

#include <stdbool.h>
#include <stdint.h>
#include "nnfirm/data.h"
#include "nnfirm/error.h"
#include "nnfirm/model.h"

/* The embedded default data set of `nnfirm train` / `nnfirm eval` without
 * --data: synthetic jets, this many rows, this generator seed. */
#define NF_TRAIN_DEFAULT_ROWS 200000L
#define NF_TRAIN_DEFAULT_DATA_SEED 20260101ULL
/* The split training makes is the data stage's nf_data_holdout (data.h). */

/* ---- Building ------------------------------------------------------------ */
/* The tutorial's MLP: n_features -> hidden[0] -> ... -> n_classes, each
 * hidden Dense followed by (BatchNormalization if batchnorm,) ReLU (and
 * Dropout if dropout > 0); a softmax output. Layer names follow hls4ml's
 * jet tagger: fc1, bn1, relu1, ..., output, softmax. Weights are zero until
 * nf_model_init_weights. */
nf_model *nf_mlp_build(int n_features, const int *hidden, int n_hidden, int n_classes, bool batchnorm,
                       float dropout, nf_error *err);

/* He-normal kernels for Dense layers followed by ReLU-like activations,
 * Glorot-uniform otherwise (Keras' default); biases and BN reset. Same seed,
 * same weights. */
int nf_model_init_weights(nf_model *m, uint64_t seed, nf_error *err);

/* Parses "64,32,32" into widths; errors name the bad item. */
int nf_parse_hidden(const char *s, int *widths, int max, int *n, nf_error *err);

/* ---- Training ------------------------------------------------------------ */
typedef enum { NF_OPT_ADAM, NF_OPT_SGD } nf_optimizer;

/* The hook QAT plugs into: w_eff[n] = transform(w[n]) for one Dense kernel. */
typedef void (*nf_weight_transform)(const nf_layer *l, const float *w, float *w_eff, long n, void *ctx);

typedef struct nf_epoch_stats {
  int epoch; /* 1-based */
  double loss, acc;         /* training loss (incl. regularization) and accuracy */
  double val_loss, val_acc; /* NaN without validation rows */
  double lr;
  double seconds;
} nf_epoch_stats;

typedef struct nf_train_opts {
  int epochs;          /* default 30 */
  int batch;           /* default 1024 */
  nf_optimizer optimizer;
  double lr;           /* default 1e-3 (Adam) */
  double momentum;     /* SGD momentum; default 0 (Keras) */
  double l1, l2;       /* kernel regularization, Keras' definition (l1*sum|w| + l2*sum w^2) */
  int patience;        /* early stopping on val loss: epochs without improvement; 0 = off */
  int lr_patience;     /* reduce-on-plateau: epochs without improvement before lr *= lr_factor; 0 = off */
  double lr_factor;    /* default 0.5 */
  double min_lr;       /* default 1e-7 */
  uint64_t seed;
  int threads;         /* partitions of each matrix product; 0 = 1 (fastest for small models) */
  /* Called after every epoch (progress display, checkpointing). Return
   * nonzero to stop training. */
  int (*on_epoch)(const nf_epoch_stats *s, const nf_model *best, bool improved, void *ctx);
  /* Called with (batches done, batches per epoch) for a progress bar. */
  void (*on_batch)(long done, long total, double loss, double acc, void *ctx);
  void *ctx;
  nf_weight_transform transform; /* NULL = the layer's kernel quantizer (or identity) */
  void *transform_ctx;
  /* Called before every minibatch with the optimizer steps taken so far
   * (tfmot's pruning step, 0 for the first batch); pruning updates the masks
   * here (nf_pruner_on_step). */
  void (*on_step)(nf_model *m, long step, void *ctx);
  void *step_ctx;
  /* Epochs ending before this many optimizer steps are no candidates for
   * the best-weights restore, early stopping or the learning-rate plateau
   * (pruning masks still moving); 0 = every epoch. */
  long settle_steps;
  /* Called after each backward pass, before regularization and the
   * optimizer step, for every Dense layer: w_eff the kernel the forward pass
   * used, dw the loss gradient with respect to it (zero where masked). */
  void (*on_gradients)(nf_model *m, int layer, const float *w_eff, const float *dw, void *ctx);
  void *grad_ctx;
  /* Per-neuron output quantization of activation layers (HGQ activations,
   * nf_hgq_act): act_forward after an activation layer's forward pass with
   * y[n][w] its output, quantized in place (train: a training batch, not
   * validation rows); act_backward before the layer's backward pass with x
   * its input, y its (quantized) output, dy the loss gradient at y, and
   * w_next[w][n_next] the effective kernel of the Dense that reads it (NULL
   * when none does). */
  void (*act_forward)(const nf_model *m, int layer, float *y, int n, bool train, void *ctx);
  void (*act_backward)(nf_model *m, int layer, const float *x, const float *y, const float *dy, int n,
                       const float *w_next, int n_next, void *ctx);
  /* After that layer's backward pass (may be NULL): dx[n][w] the gradient at
   * its input x, which the hook zeroes where its quantizer saturated (the
   * clipped straight-through gradient, as quantized_relu's). */
  void (*act_clip)(const nf_model *m, int layer, const float *x, float *dx, int n, void *ctx);
  void *act_ctx;
} nf_train_opts;

void nf_train_opts_default(nf_train_opts *o);

typedef struct nf_train_result {
  int epochs_run;
  int best_epoch;     /* epoch whose weights the model holds (validation loss) */
  bool nan_stop;      /* training stopped on a non-finite loss */
  nf_epoch_stats *history; /* [epochs_run], caller frees */
} nf_train_result;

/* Trains m in place on rows train[0..n_train) of x [*][m->n_features] with
 * labels y; validation rows drive early stopping, the LR schedule and the
 * best-weights restore (without them the last epoch's weights are kept).
 * Inputs are standardized on the fly with m's scaler (if any). The last
 * layer must be a softmax activation. On a non-finite loss the model is
 * reset to the last good epoch's weights, res->nan_stop is set and NF_EINPUT
 * returned with a message saying where. */
int nf_train(nf_model *m, const float *x, const int *y, const long *train, long n_train, const long *val,
             long n_val, const nf_train_opts *o, nf_train_result *res, nf_error *err);

/* Loss and accuracy of m over the given rows (inference mode, float32 path). */
int nf_train_evaluate(const nf_model *m, const float *x, const int *y, const long *rows, long n_rows, double *loss,
                      double *acc, nf_error *err);

/* ---- Quantization-aware training (QKeras semantics) ----------------------
 * A QAT model is an ordinary model whose layers carry QKeras quantizers,
 * exactly as an imported QKeras model does: Dense kernel_q/bias_q
 * (QDense), the ReLU after it with act_q = quantized_relu (QActivation),
 * and a leading linear Activation NF_QAT_INPUT_LAYER with act_q =
 * quantized_bits (QActivation on the input). nf_train applies them in the
 * forward pass (QKeras' values) with straight-through gradients: weights
 * pass the gradient everywhere (x + stop_gradient(xq - x)), quantized_relu
 * where 0 < x <= its largest value. Conversion turns them into the design's
 * types, so the bit-accurate design computes what the model computes. */
#define NF_QAT_INPUT_LAYER "input_quant"
/* The input quantizer a QAT model gets unless told otherwise:
 * quantized_bits(16,5) = ap_fixed<16,6> rounded to nearest (hls4ml's input
 * width), so conversion's input type is exactly the model's. */
enum { NF_QAT_INPUT_BITS = 16, NF_QAT_INPUT_INTEGER = 5 };

/* Every Dense: kernel and bias quantized_bits(bits,0,alpha=1); every ReLU:
 * quantized_relu(bits,0) (the tutorial's QAT model at `bits`). */
int nf_qat_set_uniform(nf_model *m, int bits, nf_error *err);
/* Per-layer settings, entries separated by ';':
 *   "fc1:w6i0,a6i0;fc2:w4i0,b8i2;output:wternary;input:a12i4"
 * w<bits>[i<int>] kernel quantized_bits (bias too unless b is given),
 * wbinary / wternary, b<bits>[i<int>] bias, a<bits>[i<int>] the activation
 * after the Dense (quantized_relu; for "input", quantized_bits). A layer may
 * also be named by its activation ("relu1:a6i0"). NF_EINPUT names the entry. */
int nf_qat_apply_spec(nf_model *m, const char *spec, nf_error *err);
/* QKeras' quantizer_config as a JSON or YAML file (model_quantize's format):
 *   QDense: {kernel_quantizer: "quantized_bits(6,0,alpha=1)", bias_quantizer: ...}
 *   QActivation: {relu: "quantized_relu(6)"}
 *   fc1: {kernel_quantizer: ..., bias_quantizer: ...}   # a Dense by name
 *   relu1: "quantized_relu(4,0)"                        # an activation by name
 *   input: "quantized_bits(12,4)"                       # the input quantizer
 * Class entries first, names override them. */
int nf_qat_apply_config(nf_model *m, const char *path, nf_error *err);
/* Completes a QAT model after the calls above: a quantized kernel without
 * a bias quantizer gets one (the kernel's quantized_bits, or
 * quantized_bits(8,3) beside binary/ternary kernels); refuses a
 * BatchNormalization after a quantized Dense (folding it would change the
 * quantized weights: QKeras' QDenseBatchnorm is not supported). */
int nf_qat_finish(nf_model *m, nf_error *err);
/* True when some layer carries a quantizer. */
bool nf_model_is_quantized(const nf_model *m);

/* ---- Magnitude pruning (TensorFlow Model Optimization semantics) ---------- */
typedef struct nf_prune_schedule {
  double initial_sparsity, final_sparsity; /* each in [0, 1) */
  long begin_step, end_step;               /* optimizer steps, 0 <= begin <= end */
  long frequency;                          /* masks update every `frequency` steps from begin */
  double power;                            /* tfmot's default 3 */
} nf_prune_schedule;

typedef enum { NF_PRUNE_PER_LAYER, NF_PRUNE_GLOBAL } nf_prune_scope;

/* tfmot PolynomialDecay: sparsity(step) = final + (initial - final) *
 * (1 - p)^power, p = clip((step - begin) / (end - begin), 0, 1); masks
 * update at steps begin, begin + frequency, ... <= end. */
double nf_prune_sparsity(const nf_prune_schedule *s, long step);
bool nf_prune_updates_at(const nf_prune_schedule *s, long step);
/* The last step whose mask update happens (masks are fixed after it). */
long nf_prune_last_update(const nf_prune_schedule *s);
int nf_prune_schedule_check(const nf_prune_schedule *s, nf_error *err);
/* "begin=B,end=E,freq=F,initial=I,final=S,power=P" (any subset) over *s
 * (keys and numbers checked; the whole with nf_prune_schedule_check). */
int nf_prune_schedule_parse(const char *text, nf_prune_schedule *s, nf_error *err);
/* The targets of --prune: "0.75" (every Dense: *uniform = 0.75, *per_layer
 * NULL) or "fc1:0.8,output:0.5" (those Dense layers only: *per_layer[i] the
 * target of layer i, NaN = not pruned, *uniform the largest). Targets in
 * [0, 1); errors name the text and the layer. */
int nf_prune_targets_parse(const nf_model *m, const char *text, double *uniform, double **per_layer, nf_error *err);
/* The schedule for a run of total_steps optimizer steps: tfmot's
 * PolynomialDecay (power 3, from sparsity 0) to target; what text (may be
 * NULL; nf_prune_schedule_parse's keys) leaves out: pruning from 20% to 60%
 * of the steps in 20 updates, leaving 40% to recover. */
int nf_prune_schedule_default(const char *text, double target, long total_steps, nf_prune_schedule *s, nf_error *err);

/* tfmot's magnitude mask: keep the k = max(round(n (1 - sparsity)), 1)
 * largest |w| (every |w| >= the k-th largest), over one Dense layer or over
 * several at once (global: one threshold); pruned weights become 0. Layers
 * get a mask when they have none. */
int nf_prune_layers(nf_model *m, const int *layers, int n_layers, double sparsity, nf_error *err);

/* Pruning during training: pass nf_pruner_on_step as nf_train_opts.on_step
 * with the pruner as step_ctx, and settle_steps = nf_prune_last_update + 1.
 * final_per_layer[i] (NULL = the schedule's final_sparsity for every Dense)
 * is the target of layer i, NaN = not pruned; per-layer targets need
 * NF_PRUNE_PER_LAYER. */
typedef struct nf_pruner nf_pruner;
nf_pruner *nf_pruner_new(nf_model *m, const nf_prune_schedule *s, nf_prune_scope scope,
                         const double *final_per_layer, nf_error *err);
void nf_pruner_on_step(nf_model *m, long step, void *pruner);
/* Fan-in constraint (LUT-native neurons, LogicNets style): at every update,
 * after the sparsity masks, each neuron of a capped Dense keeps at most F
 * inputs, its largest |w| (the lowest inputs first among equals). text: "F"
 * (F >= 1: every Dense but the model's last) or "F,F,..." (one per Dense
 * before the last, 0 = no cap); NULL or "": none. Errors name the text. */
int nf_pruner_set_fan_in(nf_pruner *p, const nf_model *m, const char *text, nf_error *err);
/* Layer i's effective weights (quantized, masked) just before the first mask
 * update, for the before/after plots; NULL if pruning never began or layer
 * i is not pruned. */
const float *nf_pruner_before(const nf_pruner *p, int layer);
void nf_pruner_free(nf_pruner *p);
/* --prune TARGETS [--prune-schedule SCHEDULE]: the targets
 * (nf_prune_targets_parse), the schedule over a run of total optimizer
 * steps (nf_prune_schedule_default, *s), the pruner, and o's hooks set for
 * it (on_step, step_ctx, settle_steps). */
int nf_prune_setup(nf_model *m, const char *targets, const char *schedule, nf_prune_scope scope, long total,
                   nf_train_opts *o, nf_prune_schedule *s, nf_pruner **out, nf_error *err);

/* ---- Per-weight bit widths (high-granularity quantization) ---------------
 * HGQ (Sun et al., arXiv 2308.04723), for the kernels: each weight has its
 * own fractional bit count f, a trainable real number used rounded: the
 * weight is quantized to its own grid, w_q = clip(round(w 2^F) 2^-F) with
 * F = round(f), inside its layer's integer range (the kernel quantizer's
 * `integer` bits and sign). f learns from the loss through HGQ's surrogate
 * gradient — the quantization error d = w_q - w shrinks like 2^-f, so
 * dd/df = -ln2 d and dL/df = -ln2 d dL/dw_q — plus a penalty's slope in f,
 * which pulls precision away where the loss does not need it; a weight whose
 * grid no longer reaches it becomes 0. The weights themselves keep the
 * straight-through gradient. The penalty is
 *   NF_HGQ_PENALTY_BITS: beta * (bits of every weight), slope beta;
 *   NF_HGQ_PENALTY_OPS:  beta * sum_k b_k D(w_q,k), the bit operations the
 *     RTL generator builds: it multiplies by a constant with shifts and adds,
 *     one adder operand per nonzero canonical-signed-digit digit D of the
 *     weight, as wide as the b_k bits of the input the weight reads (the
 *     quantized input, a quantized ReLU, HGQ activations' per-neuron bits
 *     when nf_hgq_set_act links them; NF_HGQ_FLOAT_BITS for a float input);
 *     its slope is what the last bit costs, b (D(w at F) - D(w at F-1)),
 *     all of b D when one bit less is zero, at least b / 3 (the mean
 *     density of NAF digits), nf_hgq_ops_slope. The same count as HGQ
 *     activations' beta b_j D_j, from the weights' side. */
typedef struct nf_hgq nf_hgq;
typedef struct nf_hgq_act nf_hgq_act;
typedef enum { NF_HGQ_PENALTY_BITS, NF_HGQ_PENALTY_OPS } nf_hgq_penalty;
#define NF_HGQ_FLOAT_BITS 16
/* Every quantized Dense (quantized_bits kernel) gets per-weight bits,
 * starting at the quantizer's full precision. beta: the penalty's weight in
 * loss units per bit or per bit operation (e.g. 1e-5); lr: Adam step size
 * for f (bits). */
nf_hgq *nf_hgq_new(nf_model *m, double beta, double lr, nf_hgq_penalty penalty, nf_error *err);
/* The ops penalty reads its inputs' current per-neuron bits from a (NULL:
 * their quantizers' bits at nf_hgq_new). */
void nf_hgq_set_act(nf_hgq *h, const nf_hgq_act *a);
/* The ops penalty's slope for weight w at grid F (fraction bits) in a kernel
 * of `integer` integer bits (and a sign), reading b bits (exposed for tests). */
float nf_hgq_ops_slope(float w, int F, int integer, bool sign, int b);
/* Hooks it into training (transform, on_gradients). */
void nf_hgq_attach(nf_hgq *h, nf_train_opts *o);
/* Remembers the current bits (call when the weights are kept as the best
 * epoch's: nf_train restores those weights, so their bits must go with them). */
void nf_hgq_snapshot(nf_hgq *h);
/* Writes each weight quantized to its own bits (the snapshot's, else the
 * current ones) into the kernel of m (the trained model or a copy) and narrows
 * each kernel quantizer to the widest bits a weight kept (the values are
 * unchanged by it): the model then computes what training computed, and
 * conversion's weight type holds every weight exactly. */
void nf_hgq_export(const nf_hgq *h, nf_model *m);
void nf_hgq_free(nf_hgq *h);

/* ---- Per-neuron activation bit widths (HGQ for activations) ---------------
 * Every ReLU after a quantized_bits Dense gets, per neuron j, a trainable
 * fractional bit count f_j (used rounded, F_j) and integer bits I_j from the
 * range seen in training (nf_hgq_act_integer_bits: the fewest with 2^I >
 * (1 + margin) max_j, max_j the largest output over this epoch's and the
 * previous epoch's training rows; margin 0.25 under TRN/WRAP, 0 under
 * RND/SAT). Its output is quantized to its own grid (nf_hgq_act_quantize);
 * the loss adds beta * b_j * D_j, b_j = I_j + f_j its bits and D_j the
 * nonzero canonical-signed-digit digits of the weights reading it (the
 * shift-add operands the RTL builds from it), and f_j follows HGQ's
 * surrogate gradient with its own Adam. After training each such ReLU is
 * followed by a FixedPointQuantizer (ap_ufixed<b_j, I_j> per element) and
 * gets an exact quantized_relu type under TRN / WRAP; under RND / SAT the
 * quantizer replaces the ReLU (saturating a negative code to 0 is the ReLU),
 * so the RTL registers each neuron at its own width. The model, its emulator
 * and its RTL compute what training computed.
 * The ReLUs' own quantizers are replaced (nf_hgq_act_new clears them); f
 * starts at their fraction bits (8 without one). */
nf_hgq_act *nf_hgq_act_new(nf_model *m, double beta, double lr, bool sat, nf_error *err);
/* Hooks it into training (act_forward, act_backward, act_clip). */
void nf_hgq_act_attach(nf_hgq_act *h, nf_train_opts *o);
/* Under RND/SAT: each neuron's integer bits at most its ReLU quantizer's
 * (quantized_relu(b, I): I), so the neuron saturates where the QAT ReLU
 * did (and, as its straight-through gradient, passes none above its grid's
 * top) and HGQ takes fraction bits away from there; NF_EINPUT under
 * TRN/WRAP. A ReLU without a quantizer keeps the range seen. */
#define NF_HGQ_ACT_NO_CAP 64
int nf_hgq_act_keep_relu_range(nf_hgq_act *h, nf_error *err);
/* Neuron j's bits now (I_j + F_j; 0 for one that never turned positive);
 * -1 when layer is not one of its ReLUs. */
int nf_hgq_act_neuron_bits(const nf_hgq_act *h, int layer, int j);
/* After every epoch (after nf_hgq_act_snapshot): the range window moves on. */
void nf_hgq_act_epoch(nf_hgq_act *h);
/* Remembers the current bits and ranges (the kept epoch's). */
void nf_hgq_act_snapshot(nf_hgq_act *h);
/* Inserts the FixedPointQuantizer layers into m (the trained model or a
 * copy, after nf_hgq_export when both run: its kernel types decide the exact
 * ReLU types) with the snapshot's types (else the current ones). */
int nf_hgq_act_export(const nf_hgq_act *h, nf_model *m, nf_error *err);
void nf_hgq_act_free(nf_hgq_act *h);
/* The quantizer's pieces (exposed for tests): integer bits for a range,
 * bits for (I, F) (0: the constant 0), and y on the grid 2^-F of b bits. */
int nf_hgq_act_integer_bits(float max, double margin);
int nf_hgq_act_bits(int integer, int F);
float nf_hgq_act_quantize(float y, int integer, int F, bool sat);
/* HGQ's surrogate dL/df_j over n rows of width w (without the penalty):
 * sum_r -ln2 (y_q - relu(x)) dy, x the ReLU's input, y_q its output, dy the
 * loss gradient at y_q, over the rows with x <= top (above it the value
 * saturates: INFINITY when it never does). */
float nf_hgq_act_f_grad(const float *x, const float *y_q, const float *dy, int n, int w, int j, float top);
/* Nonzero canonical-signed-digit digits of w's code on its own grid. */
int nf_hgq_csd_digits(float w);
/* Total bits of the per-element FixedPointQuantizers after the first layer
 * (and their element count); returns how many such layers there are. */
int nf_hgq_act_total_bits(const nf_model *m, long *total, int *n_neurons);

/* ---- The training job ('nnfirm train') ------------------------------------------
 * Data (the file, or the default synthetic jets) → the fixed train /
 * validation / test split (nf_data_holdout) → a standard scaler fitted
 * on the training rows → the MLP (hidden widths, optional BatchNormalization
 * and Dropout) → QKeras quantizers (bits, then quant_config, then quant) →
 * pruning and HGQ hooks → nf_train with opts, the model saved to out_path at
 * every improved epoch and at the end → validation and test loss/accuracy.
 * A progress bar with one line per epoch on a terminal unless quiet. */
typedef struct nf_train_job {
  const char *data_path;  /* NULL: rows synthetic jets (NF_TRAIN_DEFAULT_DATA_SEED) */
  long rows;              /* 0 = NF_TRAIN_DEFAULT_ROWS */
  double val_frac, test_frac;
  const int *hidden;
  int n_hidden;
  bool batchnorm;
  double dropout;
  int bits;                           /* nf_qat_set_uniform when > 0 */
  const char *quant_config, *quant;   /* nf_qat_apply_config / nf_qat_apply_spec, or NULL */
  const char *prune, *prune_schedule; /* nf_prune_setup's texts, or NULL */
  nf_prune_scope prune_scope;
  const char *fan_in;                 /* nf_pruner_set_fan_in's text, or NULL (alone: pruning to sparsity 0) */
  double hgq_beta, hgq_lr;            /* per-weight bits when hgq_beta >= 0 */
  nf_hgq_penalty hgq_penalty;         /* what hgq_beta weighs: bits (0) or bit operations */
  bool hgq_act;                       /* per-neuron activation bits (nf_hgq_act, step size hgq_lr) */
  double hgq_act_beta;                /* their penalty per bit per CSD digit reading the neuron */
  bool hgq_act_sat;                   /* their modes: RND/SAT (nnfirm train's default), else TRN/WRAP */
  bool hgq_act_relu_range;            /* RND/SAT: integer bits at most the ReLU quantizer's (nf_hgq_act_keep_relu_range) */
  nf_train_opts opts;                 /* its callbacks are the job's own */
  const char *out_path;
  bool quiet;
} nf_train_job;

typedef struct nf_train_job_result {
  nf_model *model;          /* the trained model (best epoch's weights) */
  nf_train_result train;    /* history, epochs run, best epoch */
  long n_train, n_val, n_test;
  double val_loss, val_acc, test_loss, test_acc; /* NaN for an empty split */
  double seconds;           /* training wall time */
  int saved_epoch;          /* last epoch checkpointed to out_path */
  nf_pruner *pruner;        /* with prune: its schedule and before-weights */
  nf_prune_schedule schedule;
  nf_hgq *hgq;
  nf_hgq_act *hgq_act;
} nf_train_job_result;

int nf_train_job_run(const nf_train_job *job, nf_train_job_result *res, nf_error *err);
void nf_train_job_free(nf_train_job_result *res);

#endif
