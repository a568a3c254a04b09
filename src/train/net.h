/* Training-time view of a model: per-layer activation and gradient buffers
 * for one minibatch, and the list of trainable tensors the optimizer walks.
 * Internal to src/train. */
#ifndef NNFIRM_TRAIN_NET_H
#define NNFIRM_TRAIN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "nnfirm/model.h"
#include "nnfirm/train.h"
#include "qfast.h"

typedef struct tlayer {
  nf_layer *l;
  float *y; /* [B][n_out] this layer's output */
  /* Dense */
  float *w_eff;  /* [n_in][n_out] kernel as the forward pass sees it (quantized or transformed, masked) */
  float *b_eff;  /* [n_out] bias as the forward pass sees it (quantized) */
  float *dw, *db; /* [n_in][n_out], [n_out] */
  qfast kq, bq;  /* the layer's kernel and bias quantizers (QAT) */
  /* Activation */
  qfast aq;      /* the output quantizer (QActivation) */
  /* BatchNormalization (train mode) */
  float *xhat;           /* [B][n] normalized input */
  float *mean, *invstd;  /* [n] batch statistics */
  float *dgamma, *dbeta; /* [n] */
  /* Dropout */
  float *keep; /* [B][n] 0 or 1/(1-rate) */
} tlayer;

/* One trainable tensor and its gradient. */
typedef struct tparam {
  float *w, *g;
  long n;
  bool is_kernel; /* regularized, masked */
  nf_layer *l;
} tparam;

typedef struct net {
  nf_model *m;
  int cap;        /* largest batch the buffers hold */
  int threads;    /* fixed partition count for the matrix products */
  tlayer *t;      /* [m->n_layers] */
  float *x0;      /* [cap][n_features] the gathered, standardized batch */
  float *ga, *gb; /* [cap][max width] gradient ping-pong buffers */
  float *ones;    /* [cap] all 1: bias gradients as a matrix-vector product */
  tparam *p;
  int n_p;
  long n_params;
  nf_weight_transform transform;
  void *transform_ctx;
  /* per-neuron activation quantization (nf_train_opts.act_forward/backward/clip) */
  void (*act_forward)(const nf_model *m, int layer, float *y, int n, bool train, void *ctx);
  void (*act_backward)(nf_model *m, int layer, const float *x, const float *y, const float *dy, int n,
                       const float *w_next, int n_next, void *ctx);
  void (*act_clip)(const nf_model *m, int layer, const float *x, float *dx, int n, void *ctx);
  void *act_ctx;
} net;

/* ---- Per layer kind (layers.def's train column) ------------------------------ */
typedef struct nf_train_layer_ops {
  /* Allocates t's buffers beyond t->y for batches of nt->cap rows and
   * registers its trainable tensors (nf_net_add_param); false on error. */
  bool (*init)(net *nt, tlayer *t, nf_error *err);
  /* Refreshes what the forward pass reads of the weights (NULL: nothing). */
  void (*refresh)(const net *nt, tlayer *t);
  /* t->y[n][n_out] from x[n][n_in]; train: batch statistics, active
   * dropout (seeded by seed and the layer's index). */
  void (*forward)(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index);
  /* The gradients of t's tensors from dy[n][n_out], and dx[n][n_in] (NULL
   * for the first layer: nobody needs the gradient of the data). */
  void (*backward)(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n);
} nf_train_layer_ops;

#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, ...) extern const nf_train_layer_ops nf_train_##TRAIN##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND

/* An activation's float32 forward y = f(x) and backward dx = dy * f'(x) over
 * n rows of width w (len = n * w); x the input, y the output. */
typedef struct nf_train_act_ops {
  void (*forward)(const nf_layer *l, const float *x, float *y, int n, int w);
  void (*backward)(const nf_layer *l, const float *x, const float *y, const float *dy, float *dx, int n, int w);
} nf_train_act_ops;
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, ...) extern const nf_train_act_ops nf_train_act_##TRAIN;
#include "nnfirm/activations.def"
#undef NF_ACTIVATION

/* Registers a trainable tensor w[n] and its gradient g[n]. */
void nf_net_add_param(net *nt, float *w, float *g, long n, bool is_kernel, nf_layer *l);

int nf_net_init(net *nt, nf_model *m, int cap, int threads, nf_error *err);
void nf_net_free(net *nt);
/* Copies rows[0..n) of x into the batch buffer, standardized with the
 * model's scaler. */
void nf_net_gather(net *nt, const float *x, const long *rows, int n);
/* Refreshes each Dense layer's effective kernel (transform or the layer's
 * quantizer, then mask) and bias (quantizer). */
void nf_net_prepare_weights(net *nt);
/* Forward pass over the first n rows of x0; train selects batch statistics
 * for BN and active dropout (seeded by dropout_seed). Returns the softmax
 * output [n][n_out]. */
const float *nf_net_forward(net *nt, int n, bool train, uint64_t dropout_seed);
/* Mean cross-entropy of the output against labels; counts correct argmaxes. */
double nf_net_xent(const net *nt, int n, const int *labels, long *correct);
/* Backward pass from softmax cross-entropy (mean over n rows), filling every
 * tparam's g. Regularization is not included. */
void nf_net_backward(net *nt, int n, const int *labels);
/* Adds the kernel regularization gradient and returns its loss term. */
double nf_net_regularize(net *nt, double l1, double l2, bool add_grad);

#endif
