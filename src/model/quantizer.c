/* QKeras quantizers' forward values (QKeras 0.9 semantics). Rounding is
 * TensorFlow's tf.round: half to even. */
#include <math.h>

#include "nnfirm/model.h"

static double round_half_even(double x) { return nearbyint(x); } /* default FE_TONEAREST */

static double clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* quantized_bits: m = 2^(bits - keep_negative), step = 2^integer / m;
 * xq = step * clip(round(x / step), keep_negative ? -m + symmetric : 0, m - 1). */
static double quantized_bits(const nf_quantizer *q, double x) {
  double m = ldexp(1.0, q->bits - (q->keep_negative ? 1 : 0));
  double step = ldexp(1.0, q->integer) / m;
  double alpha = q->alpha > 0 ? q->alpha : 1.0;
  double lo = q->keep_negative ? -m + (q->symmetric ? 1 : 0) : 0;
  return alpha * step * clip(round_half_even(x / alpha / step), lo, m - 1);
}

/* quantized_relu: relu, clip to the top of the grid, round to the grid. */
static double quantized_relu(const nf_quantizer *q, double x) {
  double m = ldexp(1.0, q->bits);
  double top = ldexp(1.0, q->integer); /* m_i */
  double step = top / m;
  double xu = x <= top - step ? (x > 0 ? x : 0) : top - step;
  return round_half_even(xu / step) * step;
}

double nf_quantizer_apply(const nf_quantizer *q, double x) {
  double a = q->alpha > 0 ? q->alpha : 1.0;
  switch (q->kind) {
  case NF_QUANT_NONE: return x;
  case NF_QUANT_BITS: return quantized_bits(q, x);
  case NF_QUANT_RELU: return quantized_relu(q, x);
  case NF_QUANT_BINARY: return x >= 0 ? a : -a;
  case NF_QUANT_TERNARY: {
    double t = q->threshold > 0 ? q->threshold : 0.5;
    return x > t * a ? a : x < -t * a ? -a : 0.0;
  }
  }
  return x;
}
