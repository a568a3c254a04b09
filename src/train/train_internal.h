/* Internal to src/train, and to its gradient-check tests (tests may include
 * internal headers; nothing else does). */
#ifndef NNFIRM_TRAIN_INTERNAL_H
#define NNFIRM_TRAIN_INTERNAL_H

#include "nnfirm/train.h"

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
