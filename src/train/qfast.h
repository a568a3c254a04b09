/* QKeras quantizers over float arrays for the training network: the same
 * values as nf_quantizer_apply (tests/unit/test_qat.c checks it on grids),
 * without a libm call per element. Internal to src/train. */
#ifndef NNFIRM_TRAIN_QFAST_H
#define NNFIRM_TRAIN_QFAST_H

#include <stdbool.h>

#include "nnfirm/model.h"

typedef struct qfast {
  nf_quant_kind kind;
  bool sign_only;      /* quantized_bits without a value bit: alpha * sign(x) */
  float inv_step, step; /* grid: x / step rounded to an integer code */
  float lo, hi;        /* code range (clip) */
  float alpha;
  float threshold;     /* ternary dead band */
  float ste_hi;        /* quantized_relu: the gradient passes for 0 < x <= ste_hi */
  nf_quantizer q;      /* the po2 quantizers: applied one value at a time */
} qfast;

void nf_qfast_init(qfast *f, const nf_quantizer *q);
/* y[k] = Q(x[k]); y may equal x. */
void nf_qfast_apply(const qfast *f, const float *x, float *y, long n);

#endif
