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
#include "nnfirm/error.h"
#include "nnfirm/model.h"

/* The embedded default data set of `nnfirm train` / `nnfirm eval` without
 * --data: synthetic jets, this many rows, this generator seed. */
#define NF_TRAIN_DEFAULT_ROWS 200000L
#define NF_TRAIN_DEFAULT_DATA_SEED 20260101ULL
/* The stratified split (train / validation / test) train makes, with its own
 * fixed seed so that `nnfirm eval --split test` finds the same test rows
 * whatever the training seed was. */
#define NF_TRAIN_SPLIT_SEED 7ULL
#define NF_TRAIN_DEFAULT_VAL_FRAC 0.2
#define NF_TRAIN_DEFAULT_TEST_FRAC 0.2

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
  nf_weight_transform transform; /* NULL = identity */
  void *transform_ctx;
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

/* ---- Internals exposed for the gradient-check tests ---------------------- */
/* Softmax cross-entropy loss (mean over rows, plus regularization) of a
 * minibatch in training mode, with the gradients of every trainable
 * parameter in grads (laid out as nf_train_param_count describes: per layer,
 * kernel then bias for Dense, gamma then beta for BN). Dropout uses `seed`. */
long nf_train_param_count(const nf_model *m);
int nf_train_loss_grad(nf_model *m, const float *xb, const int *yb, int n, double l1, double l2, uint64_t seed,
                       double *loss, float *grads, nf_error *err);
/* Pointers to each trainable parameter, in the same order (for perturbing). */
int nf_train_param_ptrs(nf_model *m, float **ptrs, long n);

#endif
