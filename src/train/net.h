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
} net;

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
