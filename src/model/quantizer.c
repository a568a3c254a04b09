/* QKeras quantizers: forward values, text form, consistency (QKeras 0.9
 * semantics, read from its quantizers.py). Rounding is TensorFlow's
 * tf.round: half to even. QKeras computes in float32; every quantity here is
 * a power-of-two scaling of the input or a small integer, so double gives
 * the same values for float32 inputs. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/model.h"
#include "nnfirm/util.h"

/* QKeras' default dead band of ternary(): 0.33, compared in float32. */
static const float TERNARY_DEFAULT_THRESHOLD = 0.33f;

static double round_half_even(double x) { return nearbyint(x); } /* default FE_TONEAREST */

static double clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static double alpha_of(const nf_quantizer *q) { return q->alpha > 0 ? q->alpha : 1.0; }

/* quantized_bits: u = bits - keep_negative value bits, m = 2^u, m_i = 2^integer;
 * xq = alpha * m_i * clip(round(x * m / m_i), keep_negative ? -m + symmetric : 0, m - 1) / m.
 * With no value bit left (bits 1, signed) QKeras returns sign(x), +1 at zero. */
static double quantized_bits(const nf_quantizer *q, double x) {
  int u = q->bits - (q->keep_negative ? 1 : 0);
  if (u <= 0) return alpha_of(q) * (x >= 0 ? 1.0 : -1.0);
  double m = ldexp(1.0, u), step = ldexp(1.0, q->integer - u);
  double lo = q->keep_negative ? -m + (q->symmetric ? 1 : 0) : 0;
  return alpha_of(q) * step * clip(round_half_even(x / step), lo, m - 1);
}

/* quantized_relu: m = 2^bits, m_i = 2^integer;
 * xq = m_i * clip(round(x * m / m_i) / m, 0, 1 - 1/m). */
static double quantized_relu(const nf_quantizer *q, double x) {
  double m = ldexp(1.0, q->bits), step = ldexp(1.0, q->integer - q->bits);
  return step * clip(round_half_even(x / step), 0, m - 1);
}

/* QKeras' exponent range for po2 quantizers: n value bits of exponent,
 * e in [-2^n, 2^n - 1] (even only, under quadratic_approximation). */
static int po2_bits(const nf_quantizer *q) {
  int need_sign = q->has_max_value && q->max_value <= 1 ? 0 : 1;
  return q->bits - (q->kind == NF_QUANT_PO2 ? 1 : 0) - need_sign;
}

static void po2_exps(const nf_quantizer *q, int *lo, int *hi) {
  int n = po2_bits(q);
  *lo = -(1 << n);
  *hi = (1 << n) - 1;
  if (q->quadratic) *hi = 2 * (*hi / 2);
}

/* Keras' epsilon (1e-7) as the float32 QKeras compares with. */
static const float KERAS_EPSILON = 1e-7f;

/* The exponent QKeras' _clip_power_of_two gives a >= 0: |x| below the
 * epsilon takes the smallest exponent; max_value caps a; the exponent is
 * log2 a rounded (half to even; the exact half cannot occur for a float
 * input except under quadratic_approximation at an odd power of two, where
 * QKeras' float32 sqrt decides and nnfirm takes the exact half to even) or
 * floored, then clipped to the range (and doubled under
 * quadratic_approximation, which rounds log2 of sqrt(a)). */
static int po2_exponent(const nf_quantizer *q, double a) {
  int lo, hi;
  po2_exps(q, &lo, &hi);
  if (a < (double)KERAS_EPSILON) return lo;
  if (q->has_max_value && a >= (double)(float)q->max_value) a = (double)(float)q->max_value;
  double l = log2(a);
  if (q->quadratic) l /= 2;
  double e = q->log2_floor ? floor(l) : round_half_even(l);
  if (q->quadratic) return 2 * (int)clip(e, lo, hi);
  return (int)clip(e, lo, hi);
}

bool nf_quantizer_po2_range(const nf_quantizer *q, int *lo, int *hi) {
  if (q->kind != NF_QUANT_PO2 && q->kind != NF_QUANT_RELU_PO2) return false;
  int l, h;
  po2_exps(q, &l, &h);
  *lo = q->quadratic ? 2 * l : l;
  *hi = q->quadratic ? 2 * h : h;
  if (q->has_max_value) { /* the exponents grow with a: max_value's is the largest */
    int cap = po2_exponent(q, q->max_value);
    if (cap < *hi) *hi = cap;
  }
  return true;
}

double nf_quantizer_apply(const nf_quantizer *q, double x) {
  switch (q->kind) {
  case NF_QUANT_NONE: return x;
  case NF_QUANT_BITS: return quantized_bits(q, x);
  case NF_QUANT_RELU: return quantized_relu(q, x);
  case NF_QUANT_PO2: /* sign +1 at zero; NaN stays NaN (it has no exponent) */
    return isnan(x) ? x : ldexp(x < 0 ? -1.0 : 1.0, po2_exponent(q, fabs(x)));
  case NF_QUANT_RELU_PO2: return ldexp(1.0, po2_exponent(q, x > 0 ? x : 0.0));     /* 2^lo at and below zero (NaN too) */
  case NF_QUANT_BINARY: return x >= 0 ? alpha_of(q) : -alpha_of(q); /* sign, +1 at zero */
  case NF_QUANT_TERNARY: {
    double t = q->threshold > 0 ? (double)(float)q->threshold : (double)TERNARY_DEFAULT_THRESHOLD;
    if (q->dense_class) return x > t ? alpha_of(q) : x <= -t ? -alpha_of(q) : 0.0;
    return fabs(x) >= t ? (x > 0 ? alpha_of(q) : -alpha_of(q)) : 0.0;
  }
  }
  return x;
}

/* ---- Many values at once ------------------------------------------------------ */

/* 1.5 * 2^52: (v + ROUND_MAGIC) - ROUND_MAGIC rounds a double with |v| < 2^51
 * to an integer, half to even (IEEE round to nearest, FLT_EVAL_METHOD 0, no
 * -ffast-math), as nearbyint does; copysign gives back nearbyint's sign of
 * a zero result (-0.3 -> -0). */
static const double ROUND_MAGIC = 6755399441055744.0;
_Static_assert(FLT_EVAL_METHOD == 0, "double expressions must be evaluated in double");

/* y[k] = scale * clip(round(x[k] / step), lo, hi), as quantized_bits and
 * quantized_relu compute it: x / step is x * inv_step exactly (powers of
 * two); clipping to [lo - 1, hi + 1] first keeps |v| below 2^51 and changes
 * no result (lo, hi are integers and rounding is monotone). */
static void grid_n(double inv_step, double scale, double lo, double hi, const double *x, double *y, long n) {
  const double wlo = lo - 1, whi = hi + 1;
  for (long k = 0; k < n; k++) {
    double v = x[k] * inv_step;
    v = v < wlo ? wlo : v > whi ? whi : v;
    double r = copysign((v + ROUND_MAGIC) - ROUND_MAGIC, v);
    r = r < lo ? lo : r > hi ? hi : r;
    y[k] = scale * r;
  }
}

void nf_quantizer_apply_n(const nf_quantizer *q, const double *x, double *y, long n) {
  const double a = alpha_of(q);
  switch (q->kind) {
  case NF_QUANT_NONE:
    if (y != x) memmove(y, x, (size_t)n * sizeof *y);
    return;
  case NF_QUANT_BITS: {
    int u = q->bits - (q->keep_negative ? 1 : 0), e = q->integer - u;
    if (u <= 0) {
      for (long k = 0; k < n; k++) y[k] = a * (x[k] >= 0 ? 1.0 : -1.0);
      return;
    }
    if (u > 50 || e < -900 || e > 900) break; /* outside what nf_quantizer_check accepts: one at a time */
    double m = ldexp(1.0, u);
    grid_n(ldexp(1.0, -e), a * ldexp(1.0, e), q->keep_negative ? -m + (q->symmetric ? 1 : 0) : 0, m - 1, x, y, n);
    return;
  }
  case NF_QUANT_RELU: {
    int e = q->integer - q->bits;
    if (q->bits > 50 || e < -900 || e > 900) break;
    grid_n(ldexp(1.0, -e), ldexp(1.0, e), 0, ldexp(1.0, q->bits) - 1, x, y, n);
    return;
  }
  case NF_QUANT_BINARY:
    for (long k = 0; k < n; k++) y[k] = x[k] >= 0 ? a : -a;
    return;
  case NF_QUANT_TERNARY: {
    double t = q->threshold > 0 ? (double)(float)q->threshold : (double)TERNARY_DEFAULT_THRESHOLD;
    if (q->dense_class)
      for (long k = 0; k < n; k++) y[k] = x[k] > t ? a : x[k] <= -t ? -a : 0.0;
    else
      for (long k = 0; k < n; k++) y[k] = fabs(x[k]) >= t ? (x[k] > 0 ? a : -a) : 0.0;
    return;
  }
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2: break;
  }
  for (long k = 0; k < n; k++) y[k] = nf_quantizer_apply(q, x[k]);
}

/* ---- Consistency ------------------------------------------------------------ */

int nf_quantizer_check(const nf_quantizer *q, const char *where, nf_error *err) {
  if (q->kind == NF_QUANT_NONE) return NF_OK;
  if (!(q->alpha > 0) || !isfinite(q->alpha))
    return nf_fail(err, NF_EINPUT, "%s: alpha must be a positive number (got %g)", where, q->alpha);
  if (q->kind == NF_QUANT_BINARY) return NF_OK;
  if (q->kind == NF_QUANT_TERNARY) {
    if (!(q->threshold >= 0) || !isfinite(q->threshold))
      return nf_fail(err, NF_EINPUT, "%s: ternary threshold must be >= 0 (got %g)", where, q->threshold);
    return NF_OK;
  }
  if (q->bits < 1 || q->bits > 32)
    return nf_fail(err, NF_EINPUT, "%s: %d bits (a quantizer needs 1 to 32 bits)", where, q->bits);
  if (q->kind == NF_QUANT_PO2 || q->kind == NF_QUANT_RELU_PO2) {
    const char *name = q->kind == NF_QUANT_PO2 ? "quantized_po2" : "quantized_relu_po2";
    if (q->has_max_value && !(q->max_value > 0 && q->max_value < 1e30))
      return nf_fail(err, NF_EINPUT, "%s: %s max_value=%g (a positive number or None)", where, name, q->max_value);
    int n = po2_bits(q);
    if (n < 0)
      return nf_fail(err, NF_EINPUT, "%s: %s(%d) leaves no exponent bit (it needs %d bits or more)", where, name,
                     q->bits, q->bits - n);
    if (n > 6)
      return nf_fail(err, NF_EINPUT, "%s: %s(%d): exponents beyond -64..63 are not supported (at most %d bits)",
                     where, name, q->bits, q->bits - n + 6);
    return NF_OK;
  }
  int sign = q->kind == NF_QUANT_BITS && q->keep_negative ? 1 : 0;
  if (q->integer + sign > q->bits)
    return nf_fail(err, NF_EINPUT, "%s: %d integer bits%s exceed the %d bits", where, q->integer,
                   sign ? " plus the sign bit" : "", q->bits);
  if (q->integer < -32) return nf_fail(err, NF_EINPUT, "%s: %d integer bits is below -32", where, q->integer);
  return NF_OK;
}

/* ---- Text form ------------------------------------------------------------------ */

void nf_quantizer_format(const nf_quantizer *q, char *buf, size_t n) {
  double a = alpha_of(q);
  switch (q->kind) {
  case NF_QUANT_NONE: snprintf(buf, n, "%s", ""); break;
  case NF_QUANT_BITS:
    snprintf(buf, n, "quantized_bits(%d,%d%s%s,alpha=%g)", q->bits, q->integer, q->symmetric ? ",symmetric=1" : "",
             q->keep_negative ? "" : ",keep_negative=False", a);
    break;
  case NF_QUANT_RELU: snprintf(buf, n, "quantized_relu(%d,%d)", q->bits, q->integer); break;
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2: {
    char mv[40] = "";
    if (q->has_max_value) snprintf(mv, sizeof mv, ",max_value=%.9g", q->max_value);
    snprintf(buf, n, "%s(%d%s%s%s)", q->kind == NF_QUANT_PO2 ? "quantized_po2" : "quantized_relu_po2", q->bits, mv,
             q->quadratic ? ",quadratic_approximation=True" : "", q->log2_floor ? ",log2_rounding=floor" : "");
    break;
  }
  case NF_QUANT_BINARY: snprintf(buf, n, "binary(alpha=%g)", a); break;
  case NF_QUANT_TERNARY:
    snprintf(buf, n, "ternary(alpha=%g,threshold=%g)", a,
             q->threshold > 0 ? q->threshold : (double)TERNARY_DEFAULT_THRESHOLD);
    break;
  }
}

/* ---- Parsing ----------------------------------------------------------------------- */

typedef struct {
  const char *name;
  nf_quant_kind kind;
  const char *const *positional; /* QKeras' constructor order */
} quantizer_class;

static const char *const POS_BITS[] = {"bits", "integer", "symmetric", "keep_negative", "alpha",
                                       "use_stochastic_rounding", NULL};
static const char *const POS_RELU[] = {"bits", "integer", "use_sigmoid", "negative_slope", "use_stochastic_rounding",
                                       NULL};
static const char *const POS_BINARY[] = {"use_01", "alpha", "use_stochastic_rounding", NULL};
static const char *const POS_TERNARY[] = {"alpha", "threshold", "use_stochastic_rounding", "number_of_unrolls", NULL};

static const char *const POS_PO2[] = {"bits", "max_value", "use_stochastic_rounding", "quadratic_approximation",
                                      "log2_rounding", "qnoise_factor", "var_name", "use_ste", "use_variables", NULL};
static const char *const POS_RELU_PO2[] = {"bits", "max_value", "negative_slope", "use_stochastic_rounding",
                                           "quadratic_approximation", "log2_rounding", "qnoise_factor", "var_name",
                                           "use_ste", "use_variables", NULL};

static const quantizer_class CLASSES[] = {
    {"quantized_po2", NF_QUANT_PO2, POS_PO2},
    {"quantized_relu_po2", NF_QUANT_RELU_PO2, POS_RELU_PO2},
    {"quantized_bits", NF_QUANT_BITS, POS_BITS},
    {"quantized_relu", NF_QUANT_RELU, POS_RELU},
    {"binary", NF_QUANT_BINARY, POS_BINARY},
    {"ternary", NF_QUANT_TERNARY, POS_TERNARY},
};

static void set_defaults(nf_quantizer *q, nf_quant_kind kind) {
  memset(q, 0, sizeof *q);
  q->kind = kind;
  q->alpha = 1;
  q->bits = kind == NF_QUANT_BINARY ? 1 : kind == NF_QUANT_TERNARY ? 2 : 8; /* the po2 quantizers' default too */
  q->keep_negative = kind == NF_QUANT_BITS;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

/* A Python literal: a number, True/False, None (*is_none). */
static bool literal(const char *s, double *v, bool *is_none) {
  *is_none = !strcmp(s, "None");
  if (*is_none) return true;
  if (!strcmp(s, "True") || !strcmp(s, "False")) {
    *v = !strcmp(s, "True");
    return true;
  }
  return nf_parse_double(s, v);
}

static bool is_int(double v, int lo, int hi) { return v == floor(v) && v >= lo && v <= hi; }

/* One keyword's value into q; unsupported settings are refused, not ignored. */
static int set_arg(nf_quantizer *q, const char *key, const char *text, const char *where, nf_error *err) {
  double v = 0;
  bool none;
  if (!strcmp(key, "log2_rounding")) { /* a string: rnd or floor, quoted or not */
    char s[16];
    size_t n = strlen(text);
    if (n >= 2 && (text[0] == '\'' || text[0] == '"') && text[n - 1] == text[0]) text++, n -= 2;
    snprintf(s, sizeof s, "%.*s", (int)(n < sizeof s ? n : sizeof s - 1), text);
    if (strcmp(s, "rnd") && strcmp(s, "floor"))
      return nf_fail(err, NF_EINPUT, "%s: log2_rounding=%s (QKeras takes rnd or floor)", where, text);
    q->log2_floor = !strcmp(s, "floor");
    return NF_OK;
  }
  if (!literal(text, &v, &none)) {
    if (!strcmp(key, "alpha") && (strstr(text, "auto") != NULL))
      return nf_fail(err, NF_EINPUT, "%s: alpha=%s (per-channel scales) is not supported; use alpha=1", where, text);
    return nf_fail(err, NF_EINPUT, "%s: %s=%s is not a number", where, key, text);
  }
  if (!strcmp(key, "bits") || !strcmp(key, "integer")) {
    if (none || !is_int(v, -1000, 1000)) return nf_fail(err, NF_EINPUT, "%s: %s=%s is not an integer", where, key, text);
    *(strcmp(key, "bits") ? &q->integer : &q->bits) = (int)v;
  } else if (!strcmp(key, "symmetric")) {
    q->symmetric = !none && v != 0;
  } else if (!strcmp(key, "keep_negative")) {
    q->keep_negative = !none && v != 0;
  } else if (!strcmp(key, "alpha")) {
    q->alpha = none ? 1 : v;
  } else if (!strcmp(key, "max_value")) {
    q->has_max_value = !none;
    q->max_value = none ? 0 : v;
  } else if (!strcmp(key, "quadratic_approximation")) {
    q->quadratic = !none && v != 0;
  } else if (!strcmp(key, "threshold")) {
    q->threshold = none ? 0 : v;
  } else if (!strcmp(key, "use_stochastic_rounding") || !strcmp(key, "use_sigmoid") || !strcmp(key, "use_01") ||
             !strcmp(key, "negative_slope")) {
    if (!none && v != 0) return nf_fail(err, NF_EINPUT, "%s: %s=%s is not supported", where, key, text);
  } else if (!strcmp(key, "qnoise_factor")) {
    if (!none && v != 1) return nf_fail(err, NF_EINPUT, "%s: qnoise_factor=%s is not supported (only 1)", where, text);
  } else if (!strcmp(key, "number_of_unrolls") || !strcmp(key, "var_name") || !strcmp(key, "use_ste") ||
             !strcmp(key, "use_variables")) {
    /* only used by alpha='auto' / training-time settings: no effect on the forward values */
  } else if (!strcmp(key, "scale_axis") || !strcmp(key, "elements_per_scale") || !strcmp(key, "min_po2_exponent") ||
             !strcmp(key, "max_po2_exponent") || !strcmp(key, "post_training_scale") ||
             !strcmp(key, "relu_upper_bound")) {
    if (!none) return nf_fail(err, NF_EINPUT, "%s: %s=%s is not supported (only None)", where, key, text);
  } else if (!strcmp(key, "is_quantized_clip")) {
    if (none || v == 0) return nf_fail(err, NF_EINPUT, "%s: %s=%s is not supported (only True)", where, key, text);
  } else {
    return nf_fail(err, NF_EINPUT, "%s: unknown quantizer argument '%s'", where, key);
  }
  return NF_OK;
}

static int parse_args(nf_quantizer *q, const quantizer_class *c, char *args, const char *where, nf_error *err) {
  int index = 0;
  bool keywords = false;
  char *save = NULL;
  for (char *tok = strtok_r(args, ",", &save); tok; tok = strtok_r(NULL, ",", &save), index++) {
    tok = trim(tok);
    if (!*tok) return nf_fail(err, NF_EINPUT, "%s: empty argument %d", where, index + 1);
    char *eq = strchr(tok, '=');
    const char *key;
    if (eq) {
      *eq = '\0';
      key = trim(tok);
      tok = trim(eq + 1);
      keywords = true;
    } else {
      int npos = 0;
      while (c->positional[npos]) npos++;
      if (keywords) return nf_fail(err, NF_EINPUT, "%s: positional argument '%s' after keyword arguments", where, tok);
      if (index >= npos) return nf_fail(err, NF_EINPUT, "%s: too many arguments for %s", where, c->name);
      key = c->positional[index];
    }
    if (c->kind == NF_QUANT_PO2 || c->kind == NF_QUANT_RELU_PO2) { /* only the class's own arguments */
      bool known = false;
      for (int k = 0; c->positional[k] && !known; k++) known = !strcmp(c->positional[k], key);
      if (!known) return nf_fail(err, NF_EINPUT, "%s: unknown %s argument '%s'", where, c->name, key);
    }
    int rc = set_arg(q, key, tok, where, err);
    if (rc) return rc;
  }
  return NF_OK;
}

int nf_quantizer_read(const char *s, nf_quantizer *q, const char *where, nf_error *err) {
  char buf[512];
  if (!s || strlen(s) >= sizeof buf) return nf_fail(err, NF_EINPUT, "%s: quantizer text missing or too long", where);
  snprintf(buf, sizeof buf, "%s", s);
  char *text = trim(buf), *open = strchr(text, '(');
  if (open) *open = '\0';
  const char *name = trim(text);
  const quantizer_class *c = NULL;
  for (size_t i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++)
    if (!strcmp(name, CLASSES[i].name)) c = &CLASSES[i];
  if (!c)
    return nf_fail(err, NF_EINPUT, "%s: unknown quantizer '%s' (supported: quantized_bits, quantized_relu, "
                                   "quantized_po2, quantized_relu_po2, binary, ternary)", where, name);
  set_defaults(q, c->kind);
  if (open) {
    char *args = open + 1, *close = strrchr(args, ')');
    if (!close || *trim(close + 1)) return nf_fail(err, NF_EINPUT, "%s: '%s' lacks its closing ')'", where, s);
    *close = '\0';
    return *trim(args) ? parse_args(q, c, args, where, err) : NF_OK;
  }
  return NF_OK;
}

int nf_quantizer_parse(const char *s, nf_quantizer *q, const char *where, nf_error *err) {
  int rc = nf_quantizer_read(s, q, where, err);
  return rc ? rc : nf_quantizer_check(q, where, err);
}
