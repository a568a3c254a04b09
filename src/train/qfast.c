/* Fast float versions of QKeras' quantizers for the training loop. */
#include <float.h>
#include <math.h>

#include "qfast.h"

/* The rounding trick below needs float arithmetic done in float (SSE, NEON),
 * not in x87's wider registers. */
_Static_assert(FLT_EVAL_METHOD == 0, "float expressions must be evaluated in float");

/* 1.5 * 2^23: adding and subtracting it rounds a float with |v| < 2^22 to an
 * integer, half to even (IEEE round-to-nearest), with no libm call; the
 * codes are clipped first so |v| stays in range. */
static const float ROUND_MAGIC = 12582912.0f;
static const float MAGIC_LIMIT = 4194304.0f; /* 2^22 */

void nf_qfast_init(qfast *f, const nf_quantizer *q) {
  *f = (qfast){.kind = q->kind, .alpha = q->alpha > 0 ? (float)q->alpha : 1.0f, .q = *q};
  if (q->kind == NF_QUANT_BITS) {
    int u = q->bits - (q->keep_negative ? 1 : 0);
    f->sign_only = u <= 0;
    f->step = ldexpf(1.0f, q->integer - u);
    f->inv_step = ldexpf(1.0f, u - q->integer);
    f->hi = ldexpf(1.0f, u) - 1;
    f->lo = q->keep_negative ? -ldexpf(1.0f, u) + (q->symmetric ? 1 : 0) : 0;
  } else if (q->kind == NF_QUANT_RELU) {
    f->step = ldexpf(1.0f, q->integer - q->bits);
    f->inv_step = ldexpf(1.0f, q->bits - q->integer);
    f->lo = 0;
    f->hi = ldexpf(1.0f, q->bits) - 1;
    f->ste_hi = f->hi * f->step;
    f->alpha = 1;
  } else if (q->kind == NF_QUANT_TERNARY) {
    f->threshold = q->threshold > 0 ? (float)q->threshold : 0.33f;
  }
}

static inline float round_code(float v, float lo, float hi) {
  v = v < lo ? lo : v > hi ? hi : v; /* NaN passes through both tests */
  if (hi < MAGIC_LIMIT && lo > -MAGIC_LIMIT) {
    float t = v + ROUND_MAGIC; /* not folded away: no -ffast-math */
    return t - ROUND_MAGIC;
  }
  return nearbyintf(v);
}

void nf_qfast_apply(const qfast *f, const float *x, float *y, long n) {
  switch (f->kind) {
  case NF_QUANT_NONE:
    for (long k = 0; k < n; k++) y[k] = x[k];
    break;
  case NF_QUANT_BITS:
  case NF_QUANT_RELU:
    if (f->sign_only) {
      for (long k = 0; k < n; k++) y[k] = x[k] >= 0 ? f->alpha : -f->alpha;
      break;
    }
    for (long k = 0; k < n; k++) y[k] = f->alpha * f->step * round_code(x[k] * f->inv_step, f->lo, f->hi);
    break;
  case NF_QUANT_BINARY:
    for (long k = 0; k < n; k++) y[k] = x[k] >= 0 ? f->alpha : -f->alpha;
    break;
  case NF_QUANT_TERNARY:
    for (long k = 0; k < n; k++) y[k] = fabsf(x[k]) >= f->threshold ? (x[k] > 0 ? f->alpha : -f->alpha) : 0.0f;
    break;
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2:
    for (long k = 0; k < n; k++) y[k] = (float)nf_quantizer_apply(&f->q, x[k]);
    break;
  }
}
