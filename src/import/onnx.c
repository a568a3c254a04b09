/* ONNX models into the model graph, parsed with protobuf-c from the schema
 * generated at build time out of Debian's onnx.proto.
 *
 * A graph is followed along its one activation tensor: each node that
 * consumes it becomes a layer (Gemm, MatMul [+ Add], BatchNormalization,
 * activations (Relu, LeakyRelu, PRelu, Elu, Selu, ThresholdedRelu,
 * HardSigmoid, Softplus, Sigmoid, Tanh, Softmax), Conv, MaxPool, AveragePool, GlobalAveragePool,
 * GlobalMaxPool) or passes it on unchanged (Squeeze, Unsqueeze, Identity,
 * Dropout; Flatten, Reshape and Transpose on a [batch, features] tensor).
 * Nodes that do not touch it (Constant, shape arithmetic) only provide
 * constants; some are computed at import (QONNX quantizers and Transposes
 * of weights, Shape arithmetic, elementwise arithmetic of constants), and
 * Add / Sub / Mul / Div of the activation by constants are affine steps.
 * QONNX's Quant, BipolarQuant and Trunc: see the section below.
 *
 * Convolutional graphs: ONNX computes channels-first (N, C, H, W), nnfirm
 * channels-last. The model keeps the values channels-last throughout and
 * the importer tracks the layout ONNX believes the tensor has: the
 * Transpose a Keras exporter puts after the input (to channels-first) and
 * before Flatten (back to channels-last) only flip that flag; Conv weights
 * (F, C, kh, kw) are reordered to (kh, kw, C, F); a Flatten of a
 * channels-first tensor (C, H, W order) permutes the rows of the Dense after
 * it instead of moving data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "onnx.pb-c.h"

typedef struct {
  const char *name;
  const Onnx__TensorProto *t;
  bool quantized;  /* the values of a QONNX quantizer on a constant (folded at import) */
  nf_quantizer q;  /* the type it declares (kind NONE: none that QKeras' quantized_bits spells) */
} named_tensor;

typedef struct {
  const char *origin;
  named_tensor *consts;
  int n_consts, cap_consts;
  nf_model *m;
  const char *current; /* name of the activation tensor */
  int pending_add;     /* layer index of a MatMul awaiting its Add, else -1 */
  int affine;          /* layer index of the last affine step (Add/Sub/Mul/Div by constants), else -1 */
  bool channels_first; /* ONNX sees the (channels-last) values as (N, C, ...) */
  int *row_perm;       /* after a channels-first Flatten: ONNX index -> nnfirm index, for the next Dense */
  int n_perm;
  Onnx__TensorProto **owned; /* constants the importer computed (folded QONNX quantizers, transposes) */
  int n_owned, cap_owned;
  nf_error *err;
} onnx_ctx;

/* The shape of the current activation tensor (nnfirm's, channels last). */
static nf_shape cur_shape(const onnx_ctx *c) {
  return c->m->n_layers ? c->m->layers[c->m->n_layers - 1].out_shape : c->m->input_shape;
}

static int add_const(onnx_ctx *c, const char *name, const Onnx__TensorProto *t) {
  if (c->n_consts == c->cap_consts) {
    int cap = c->cap_consts ? 2 * c->cap_consts : 32;
    named_tensor *n = nf_realloc(c->consts, (size_t)cap * sizeof *n, c->err);
    if (!n) return NF_EINTERNAL;
    c->consts = n;
    c->cap_consts = cap;
  }
  c->consts[c->n_consts++] = (named_tensor){.name = name, .t = t};
  return NF_OK;
}

static const named_tensor *find_named(const onnx_ctx *c, const char *name) {
  for (int i = c->n_consts - 1; i >= 0; i--)
    if (name && !strcmp(c->consts[i].name, name)) return &c->consts[i];
  return NULL;
}

static const Onnx__TensorProto *find_const(const onnx_ctx *c, const char *name) {
  for (int i = c->n_consts - 1; i >= 0; i--)
    if (name && !strcmp(c->consts[i].name, name)) return c->consts[i].t;
  return NULL;
}

static size_t tensor_size(const Onnx__TensorProto *t) {
  size_t n = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || t->dims[i] > (1 << 28)) return (size_t)-1;
    if (t->dims[i] && n > ((size_t)1 << 40) / (size_t)t->dims[i]) return (size_t)-1; /* no wrap-around */
    n *= (size_t)t->dims[i];
  }
  return n;
}

/* Copies a FLOAT or DOUBLE tensor of exactly n values into dst (as float,
 * times scale). raw_data is little-endian by the ONNX spec. */
static int tensor_values(onnx_ctx *c, const Onnx__TensorProto *t, size_t n, double scale, float *dst,
                         const char *layer, const char *what) {
  size_t have = tensor_size(t);
  if (have != n)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s '%s' has %zu values, expected %zu", c->origin, layer, what,
                   t->name ? t->name : "?", have, n);
  int type = t->has_data_type ? t->data_type : 0;
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    if (t->has_raw_data && t->raw_data.len == n * 4) {
      for (size_t i = 0; i < n; i++) {
        const unsigned char *p = t->raw_data.data + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float f;
        memcpy(&f, &u, 4);
        dst[i] = (float)(f * scale);
      }
      return NF_OK;
    }
    if (t->n_float_data == n) {
      for (size_t i = 0; i < n; i++) dst[i] = (float)(t->float_data[i] * scale);
      return NF_OK;
    }
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    if (t->has_raw_data && t->raw_data.len == n * 8) {
      for (size_t i = 0; i < n; i++) {
        uint64_t u = 0;
        for (int k = 7; k >= 0; k--) u = u << 8 | t->raw_data.data[8 * i + k];
        double d;
        memcpy(&d, &u, 8);
        dst[i] = (float)(d * scale);
      }
      return NF_OK;
    }
    if (t->n_double_data == n) {
      for (size_t i = 0; i < n; i++) dst[i] = (float)(t->double_data[i] * scale);
      return NF_OK;
    }
  } else {
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s has data type %d (only float and double weights)",
                   c->origin, layer, what, type);
  }
  return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s '%s' has missing or short data (external data is not "
                                    "supported)", c->origin, layer, what, t->name ? t->name : "?");
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
  return NULL;
}

static long attr_int(const Onnx__NodeProto *n, const char *name, long dflt) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a && a->has_i ? (long)a->i : dflt;
}

static double attr_float(const Onnx__NodeProto *n, const char *name, double dflt) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a && a->has_f ? a->f : dflt;
}

static void layer_name(const Onnx__NodeProto *n, int index, char *buf, size_t len) {
  if (n->name && n->name[0]) snprintf(buf, len, "%s", n->name);
  else snprintf(buf, len, "%s_%d", n->op_type ? n->op_type : "node", index);
  for (char *p = buf; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) *p = '_';
}

/* An ints attribute of up to max values into out; its count, or -1 when
 * absent (-2 when malformed). */
static int attr_ints(const Onnx__NodeProto *n, const char *name, long *out, int max) {
  const Onnx__AttributeProto *a = attr(n, name);
  if (!a) return -1;
  if (a->n_ints > (size_t)max) return -2;
  for (size_t i = 0; i < a->n_ints; i++) {
    if (a->ints[i] < -(1 << 20) || a->ints[i] > (1 << 20)) return -2;
    out[i] = (long)a->ints[i];
  }
  return (int)a->n_ints;
}

/* ---- QONNX: Quant, BipolarQuant, Trunc ---------------------------------------
 *
 * The QONNX operators (GitHub fastmachinelearning/qonnx, its custom_op/general
 * and docs/qonnx-custom-ops), with s the scale, z the zero point, b the bit
 * width and r the rounding mode:
 *   Quant(x)        = (clip(r(x / s + z), lo, hi) - z) s, lo/hi the b-bit
 *                     integer range (signed: -2^(b-1) (+1 when narrow) ..
 *                     2^(b-1) - 1; unsigned: 0 .. 2^b - 1 (- 1 when narrow));
 *                     a 1-bit signed Quant gives +s where x / s + z >= 0, else -s;
 *   BipolarQuant(x) = +s where x >= 0, else -s;
 *   Trunc(x)        = (r(clip(R(x / s + z) / T, lo, hi)) - z / T) s_out, R half
 *                     to even, T = 2^round(log2(s_out / s)), lo/hi of the output
 *                     bit width (inputs x, s, z, b_in, s_out, z_out, b_out).
 * r: ROUND = HALF_EVEN, CEIL, FLOOR, UP (away from zero), DOWN = ROUND_TO_ZERO,
 * HALF_UP (halves away from zero), HALF_DOWN (halves toward zero). Clipping to
 * whole bounds before a monotone rounding equals rounding, then saturating.
 *
 * nnfirm takes them where they are fixed-point types: every scale a power of
 * two 2^-f and every zero point 0; otherwise the node is refused by name.
 * - On a constant (a weight or bias initializer), the quantizer is computed
 *   at import (exactly: x 2^f is exact in double) and the Dense / Conv that
 *   uses the result gets the declared type as its weight or bias quantizer:
 *   quantized_bits(b, b - 1 - f) signed (ap_fixed<b, b - f>), quantized_bits(b,
 *   b - f, keep_negative=0) unsigned (ap_ufixed<b, b - f>), ap_fixed<2, 1 - f>
 *   for +-s; where that does not hold the values (per-channel scales, f < 0)
 *   the narrowest signed quantized_bits that does.
 * - On the activation, a Quant becomes a FixedPointQuantizer layer (fpq.c):
 *   ap_fixed<b, b - f> (ap_ufixed when unsigned) in the rounding mode (ROUND
 *   -> RND_CONV, FLOOR -> TRN, DOWN -> TRN_ZERO, HALF_UP -> RND_INF,
 *   HALF_DOWN -> RND_ZERO) saturating (SAT; SAT_SYM when signed and narrow),
 *   one type for the tensor or one per feature. A ReLU right before it is
 *   absorbed: an unsigned Quant clips negative values to 0 already, and a
 *   signed b-bit Quant of values >= 0 is the unsigned (b - 1)-bit one.
 *   A Trunc becomes two quantizers: the input's grid s rounded half to even
 *   and saturated on a range beyond T (lo, hi) (which the second one clips
 *   anyway), then the output's grid s T in its mode. CEIL and UP (no ap_fixed
 *   mode), narrow unsigned and bipolar activations are refused by name. */

enum { QX_QUANT, QX_BIPOLAR, QX_TRUNC };
typedef enum { RM_HALF_EVEN, RM_CEIL, RM_FLOOR, RM_UP, RM_DOWN, RM_HALF_UP, RM_HALF_DOWN } qx_round;

typedef struct {
  int op;
  const Onnx__TensorProto *scale_t; /* the (input) scale's tensor, for its shape */
  double *scale;                    /* [n_scale] (Trunc: the output scale's f is f_out) */
  size_t n_scale;
  int bits, bits_in;                /* Quant / Trunc output; Trunc input */
  bool is_signed, narrow;
  qx_round mode;
  int t_shift;                      /* Trunc: log2 T */
} qx_params;

/* Reads a constant of any number type as doubles: *out (allocated) of *n values. */
static int const_doubles(onnx_ctx *c, const char *tname, double **out, size_t *n, const char *layer, const char *what) {
  const Onnx__TensorProto *t = find_const(c, tname);
  if (!t) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': the %s '%s' is not a constant (QONNX quantizers need "
                                            "constant parameters)", c->origin, layer, what, tname ? tname : "");
  size_t k = tensor_size(t);
  if (k == (size_t)-1 || k > (1u << 24))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': the %s has a bad shape", c->origin, layer, what);
  double *v = nf_malloc((k ? k : 1) * sizeof *v, c->err);
  if (!v) return NF_EINTERNAL;
  int type = t->has_data_type ? t->data_type : 0, bytes = 0;
  bool ok = false;
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    float *f = nf_malloc((k ? k : 1) * sizeof *f, c->err);
    if (!f) {
      free(v);
      return NF_EINTERNAL;
    }
    int rc = tensor_values(c, t, k, 1.0, f, layer, what);
    for (size_t i = 0; !rc && i < k; i++) v[i] = f[i];
    free(f);
    if (rc) {
      free(v);
      return rc;
    }
    ok = true;
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    bytes = 8;
    if (!t->has_raw_data && t->n_double_data == k) {
      for (size_t i = 0; i < k; i++) v[i] = t->double_data[i];
      ok = true;
    }
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    bytes = -8;
    if (!t->has_raw_data && t->n_int64_data == k) {
      for (size_t i = 0; i < k; i++) v[i] = (double)t->int64_data[i];
      ok = true;
    }
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32) {
    bytes = -4;
    if (!t->has_raw_data && t->n_int32_data == k) {
      for (size_t i = 0; i < k; i++) v[i] = t->int32_data[i];
      ok = true;
    }
  }
  if (!ok && bytes && t->has_raw_data && t->raw_data.len == k * (size_t)abs(bytes)) {
    size_t w = (size_t)abs(bytes);
    for (size_t i = 0; i < k; i++) {
      uint64_t u = 0;
      for (size_t b = w; b-- > 0;) u = u << 8 | t->raw_data.data[w * i + b];
      if (bytes == 8) memcpy(&v[i], &u, 8);
      else if (bytes == -8) v[i] = (double)(int64_t)u;
      else v[i] = (double)(int32_t)(uint32_t)u;
    }
    ok = true;
  }
  if (!ok) {
    free(v);
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': the %s '%s' has an unsupported data type %d or missing data",
                   c->origin, layer, what, tname, type);
  }
  *out = v;
  *n = k;
  return NF_OK;
}

/* f with s = 2^-f, or false when s is not a positive power of two. */
static bool pow2_frac(double s, int *f) {
  int e;
  if (!(s > 0) || !isfinite(s) || frexp(s, &e) != 0.5) return false;
  *f = 1 - e;
  return true;
}

static int parse_round(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, const char *dflt, qx_round *out) {
  static const char *const NAMES[] = {"ROUND", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN", "HALF_EVEN",
                                      "ROUND_TO_ZERO"};
  static const qx_round MODES[] = {RM_HALF_EVEN, RM_CEIL, RM_FLOOR, RM_UP, RM_DOWN, RM_HALF_UP, RM_HALF_DOWN,
                                   RM_HALF_EVEN, RM_DOWN};
  const Onnx__AttributeProto *a = attr(n, "rounding_mode");
  char s[32] = "";
  if (a && a->has_s) {
    size_t len = a->s.len < sizeof s - 1 ? a->s.len : sizeof s - 1;
    for (size_t i = 0; i < len; i++) s[i] = (char)(a->s.data[i] >= 'a' && a->s.data[i] <= 'z' ? a->s.data[i] - 32 : a->s.data[i]);
    s[len] = 0;
  } else {
    snprintf(s, sizeof s, "%s", dflt);
  }
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
    if (!strcmp(s, NAMES[i])) {
      *out = MODES[i];
      return NF_OK;
    }
  return nf_fail(c->err, NF_EINPUT, "%s: node '%s': unknown rounding_mode '%s' (ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, "
                                    "HALF_DOWN, ROUND_TO_ZERO)", c->origin, name, s);
}

/* A whole-number bit width input in 1..max. */
static int read_bits(onnx_ctx *c, const char *tname, const char *name, const char *what, int max, int *out) {
  double *v = NULL;
  size_t k = 0;
  int rc = const_doubles(c, tname, &v, &k, name, what);
  if (rc) return rc;
  double b = k == 1 ? v[0] : -1;
  free(v);
  if (!(b >= 1 && b <= max) || b != floor(b))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': the %s must be one whole number of 1 to %d bits", c->origin, name,
                   what, max);
  *out = (int)b;
  return NF_OK;
}

/* Checks a zero point: every value 0. */
static int check_zero_point(onnx_ctx *c, const char *tname, const char *name) {
  double *v = NULL; /* const_doubles leaves it unset when it fails */
  size_t k = 0;
  int rc = const_doubles(c, tname, &v, &k, name, "zero point");
  for (size_t i = 0; !rc && i < k; i++)
    if (v[i] != 0)
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': zero point %.9g (element %zu) is not 0: nnfirm maps QONNX "
                                      "quantizers to fixed-point types, which have none", c->origin, name, v[i], i);
  free(v);
  return rc;
}

/* Reads and checks a scale: every value a power of two. */
static int read_scale(onnx_ctx *c, const char *tname, const char *name, const char *what, double **out, size_t *n) {
  *out = NULL, *n = 0;
  int rc = const_doubles(c, tname, out, n, name, what);
  int f;
  for (size_t i = 0; !rc && i < *n; i++)
    if (!pow2_frac((*out)[i], &f) || f < -64 || f > 64) {
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s %.9g (element %zu) is not a power of two: nnfirm maps QONNX "
                                      "quantizers to fixed-point types, whose steps are powers of two", c->origin, name,
                   what, (*out)[i], i);
      free(*out);
      *out = NULL;
    }
  if (!rc && *n == 0) {
    free(*out);
    *out = NULL;
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': empty %s", c->origin, name, what);
  }
  return rc;
}

static int qx_read(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, qx_params *p) {
  const char *op = n->op_type;
  *p = (qx_params){.op = !strcmp(op, "Quant") ? QX_QUANT : !strcmp(op, "BipolarQuant") ? QX_BIPOLAR : QX_TRUNC};
  size_t need = p->op == QX_QUANT ? 4 : p->op == QX_BIPOLAR ? 2 : 7;
  if (n->n_input != need) {
    if (p->op == QX_TRUNC && n->n_input == 5)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Trunc with 5 inputs (QONNX's first version, no output scale) "
                                        "is not supported; re-export with an output scale", c->origin, name);
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s needs %zu inputs, has %zu", c->origin, name, op, need, n->n_input);
  }
  p->scale_t = find_const(c, n->input[1]);
  int rc = read_scale(c, n->input[1], name, "scale", &p->scale, &p->n_scale);
  if (rc || p->op == QX_BIPOLAR) return rc;
  rc = check_zero_point(c, n->input[2], name);
  if (!rc) rc = read_bits(c, n->input[3], name, p->op == QX_QUANT ? "bit width" : "input bit width", 32,
                          p->op == QX_QUANT ? &p->bits : &p->bits_in);
  p->is_signed = attr_int(n, "signed", 1) != 0;
  p->narrow = attr_int(n, "narrow", 0) != 0;
  if (!rc) rc = parse_round(c, n, name, p->op == QX_QUANT ? "ROUND" : "FLOOR", &p->mode);
  if (!rc && p->op == QX_TRUNC) {
    double *so = NULL;
    size_t nso = 0;
    rc = read_scale(c, n->input[4], name, "output scale", &so, &nso);
    if (!rc) rc = check_zero_point(c, n->input[5], name);
    if (!rc) rc = read_bits(c, n->input[6], name, "output bit width", 32, &p->bits);
    if (!rc && (nso != 1 || p->n_scale != 1))
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': Trunc with per-channel scales is not supported", c->origin, name);
    int fi = 0, fo = 0;
    if (!rc) {
      pow2_frac(p->scale[0], &fi);
      pow2_frac(so[0], &fo);
      p->t_shift = fi - fo; /* T = s_out / s */
      if (p->t_shift < 0 || p->t_shift > 32)
        rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': Trunc's output scale %.9g is not the input scale %.9g times "
                                        "2^0..2^32", c->origin, name, so[0], p->scale[0]);
      p->scale[0] = so[0]; /* from here on the output's grid */
    }
    free(so);
  }
  if (rc) {
    free(p->scale);
    p->scale = NULL;
  }
  return rc;
}

static double qx_round_whole(double v, qx_round m) {
  switch (m) {
  case RM_HALF_EVEN: return nearbyint(v);
  case RM_CEIL: return ceil(v);
  case RM_FLOOR: return floor(v);
  case RM_UP: return v < 0 ? floor(v) : ceil(v);
  case RM_DOWN: return trunc(v);
  case RM_HALF_UP: return round(v);
  case RM_HALF_DOWN: return v >= 0 ? ceil(v - 0.5) : floor(v + 0.5);
  }
  return v;
}

static void qx_range(const qx_params *p, double *lo, double *hi) {
  *lo = p->is_signed ? -ldexp(1, p->bits - 1) + (p->narrow ? 1 : 0) : 0;
  *hi = p->is_signed ? ldexp(1, p->bits - 1) - 1 : ldexp(1, p->bits) - 1 - (p->narrow ? 1 : 0);
}

/* The quantizer's value of x with scale s (exact: s is a power of two). */
static double qx_value(const qx_params *p, double x, double s) {
  if (p->op == QX_BIPOLAR || (p->op == QX_QUANT && p->bits == 1 && p->is_signed)) return x / s >= 0 ? s : -s;
  double lo, hi;
  qx_range(p, &lo, &hi);
  if (p->op == QX_TRUNC) { /* s is the output scale: x / s_in = x / s * T */
    double y = ldexp(nearbyint(ldexp(x / s, p->t_shift)), -p->t_shift);
    return qx_round_whole(y < lo ? lo : y > hi ? hi : y, p->mode) * s;
  }
  double y = x / s;
  return qx_round_whole(y < lo ? lo : y > hi ? hi : y, p->mode) * s;
}

/* Index into a parameter of shape pd (rank rp, numpy-broadcast against x's
 * shape xd of rank rx) for x's flat index k. */
static size_t bcast_index(size_t k, const int64_t *xd, int rx, const int64_t *pd, int rp) {
  size_t idx = 0, stride = 1;
  for (int a = rx - 1, b = rp - 1; a >= 0; a--, b--) {
    size_t coord = k % (size_t)xd[a];
    k /= (size_t)xd[a];
    if (b >= 0) {
      if (pd[b] != 1) idx += coord * stride;
      stride *= (size_t)pd[b];
    }
  }
  return idx;
}

static bool broadcasts(const int64_t *xd, int rx, const int64_t *pd, int rp) {
  if (rp > rx) return false;
  for (int b = 0; b < rp; b++)
    if (pd[b] != 1 && pd[b] != xd[rx - rp + b]) return false;
  return true;
}

/* A constant computed by the importer: n float values of shape dims. */
static int add_owned(onnx_ctx *c, const char *name, const int64_t *dims, size_t n_dims, const double *v, size_t n,
                     const nf_quantizer *q) {
  if (c->n_owned == c->cap_owned) {
    int cap = c->cap_owned ? 2 * c->cap_owned : 16;
    Onnx__TensorProto **o = nf_realloc(c->owned, (size_t)cap * sizeof *o, c->err);
    if (!o) return NF_EINTERNAL;
    c->owned = o;
    c->cap_owned = cap;
  }
  Onnx__TensorProto *t = nf_calloc(1, sizeof *t, c->err);
  if (!t) return NF_EINTERNAL;
  onnx__tensor_proto__init(t);
  t->dims = nf_malloc((n_dims ? n_dims : 1) * sizeof *t->dims, c->err);
  t->float_data = nf_malloc((n ? n : 1) * sizeof *t->float_data, c->err);
  c->owned[c->n_owned++] = t;
  if (!t->dims || !t->float_data) return NF_EINTERNAL;
  if (n_dims) memcpy(t->dims, dims, n_dims * sizeof *dims); /* dims may be NULL for a scalar */
  t->n_dims = n_dims;
  t->has_data_type = 1;
  t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  for (size_t i = 0; i < n; i++) t->float_data[i] = (float)v[i];
  t->n_float_data = n;
  int rc = add_const(c, name, t);
  if (!rc && q) {
    c->consts[c->n_consts - 1].quantized = true;
    c->consts[c->n_consts - 1].q = *q;
  }
  return rc;
}

/* The type a quantizer on a constant declares (kind NONE when quantized_bits
 * cannot spell it, e.g. per-channel scales). */
static nf_quantizer qx_declared(const qx_params *p) {
  nf_quantizer q = {.kind = NF_QUANT_NONE};
  int f;
  if (p->n_scale != 1 || !pow2_frac(p->scale[0], &f)) return q;
  if (p->op == QX_BIPOLAR || (p->bits == 1 && p->is_signed))
    q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = 2, .integer = 1 - f, .keep_negative = true, .alpha = 1};
  else
    q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = p->bits, .integer = p->bits - f - (p->is_signed ? 1 : 0),
                       .symmetric = p->is_signed && p->narrow, .keep_negative = p->is_signed, .alpha = 1};
  if (q.integer < -32 || q.integer + (q.keep_negative ? 1 : 0) > q.bits) q.kind = NF_QUANT_NONE;
  return q;
}

/* A QONNX quantizer on a constant: its values, computed now. */
static int qx_fold(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  const Onnx__TensorProto *xt = find_const(c, n->input[0]);
  qx_params p;
  int rc = qx_read(c, n, name, &p);
  if (rc) return rc;
  double *x = NULL;
  size_t nx = 0;
  rc = const_doubles(c, n->input[0], &x, &nx, name, "input");
  const Onnx__TensorProto *st = p.scale_t;
  if (!rc && (xt->n_dims > 8 || !broadcasts(xt->dims, (int)xt->n_dims, st->dims, (int)st->n_dims)))
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': the scale's shape does not broadcast to the input's", c->origin, name);
  if (!rc && p.op != QX_BIPOLAR && p.bits > 24)
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': a %d-bit quantizer on a constant (nnfirm keeps weights as float32: "
                                    "at most 24 bits)", c->origin, name, p.bits);
  for (size_t k = 0; !rc && k < nx; k++) {
    if (!isfinite(x[k])) {
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': input element %zu is not finite", c->origin, name, k);
      break;
    }
    x[k] = qx_value(&p, x[k], p.scale[bcast_index(k, xt->dims, (int)xt->n_dims, st->dims, (int)st->n_dims)]);
  }
  nf_quantizer q = rc ? (nf_quantizer){0} : qx_declared(&p);
  if (!rc) rc = add_owned(c, n->output[0], xt->dims, xt->n_dims, x, nx, &q);
  free(x);
  free(p.scale);
  return rc;
}

/* A Transpose of a constant 2-D tensor (PyTorch exports a Linear's quantized
 * weight as Quant -> Transpose -> MatMul); the quantizer type stays. */
static int fold_transpose(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  const named_tensor *nt = find_named(c, n->input[0]);
  const Onnx__TensorProto *t = nt->t;
  long perm[2] = {1, 0};
  int np = attr_ints(n, "perm", perm, 2);
  bool real = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  if (!real || t->n_dims != 2 || (np >= 0 && !(np == 2 && perm[0] == 1 && perm[1] == 0)))
    return NF_OK; /* not a weight matrix: left alone, as other constant arithmetic */
  bool quantized = nt->quantized;
  nf_quantizer q = nt->q;
  double *v;
  size_t k;
  int rc = const_doubles(c, n->input[0], &v, &k, name, "input");
  if (rc) return rc;
  double *w = nf_malloc((k ? k : 1) * sizeof *w, c->err);
  size_t r = (size_t)t->dims[0], cols = (size_t)t->dims[1];
  for (size_t i = 0; w && i < r; i++)
    for (size_t j = 0; j < cols; j++) w[j * r + i] = v[i * cols + j];
  int64_t dims[2] = {t->dims[1], t->dims[0]};
  rc = w ? add_owned(c, n->output[0], dims, 2, w, k, quantized ? &q : NULL) : NF_EINTERNAL;
  if (!rc && quantized) c->consts[c->n_consts - 1].quantized = true;
  free(v);
  free(w);
  return rc;
}

/* The narrowest signed quantized_bits(W, W - g - 1) holding every value of v
 * exactly (g fraction bits, g >= -32); false beyond 32 bits. */
static bool narrowest_bits(const float *v, size_t n, nf_quantizer *q) {
  int g = -32;
  for (size_t k = 0; k < n; k++)
    while (g <= 31 && ldexp(v[k], g) != floor(ldexp(v[k], g))) g++;
  if (g > 31) return false;
  double mx = 0;
  for (size_t k = 0; k < n; k++) {
    double cd = ldexp(v[k], g);
    mx = fmax(mx, cd < 0 ? -cd - 1 : cd);
  }
  int w = 2;
  while (w <= 32 && mx > ldexp(1, w - 1) - 1) w++;
  if (w > 32) return false;
  *q = (nf_quantizer){.kind = NF_QUANT_BITS, .bits = w, .integer = w - g - 1, .keep_negative = true, .alpha = 1};
  return true;
}

/* The weight or bias quantizer of a layer whose values v came from a folded
 * QONNX quantizer: its declared type when that holds them (nf_quantizer_apply
 * is the identity on them), else the narrowest that does. */
static int qx_param_type(onnx_ctx *c, const named_tensor *nt, const float *v, size_t n, nf_quantizer *out,
                         const char *layer, const char *what) {
  if (!nt || !nt->quantized) return NF_OK;
  bool holds = nt->q.kind != NF_QUANT_NONE;
  for (size_t k = 0; holds && k < n; k++) holds = nf_quantizer_apply(&nt->q, v[k]) == v[k];
  if (holds) {
    *out = nt->q;
    return NF_OK;
  }
  if (!narrowest_bits(v, n, out))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': the quantized %s need more than 32 bits", c->origin, layer, what);
  return NF_OK;
}

/* Before a sign or ternary quantizer, after Dense -> BatchNormalization:
 * a feature whose gamma is negative has its Dense column, bias, gamma and
 * mean negated. gamma (z - mean) is unchanged (negation is exact in floating
 * point), so the model computes the same; in fixed point the normalization
 * and the quantizer become thresholds of positive scale on the Dense's sums
 * (src/convert/batchnorm.c), and +-1 / 0 weights stay +-1 / 0. */
static void flip_negative_gammas(onnx_ctx *c) {
  int n = c->m->n_layers;
  nf_layer *bn = n >= 1 && c->m->layers[n - 1].kind == NF_LAYER_BATCHNORM ? &c->m->layers[n - 1] : NULL;
  nf_layer *d = bn && n >= 2 && c->m->layers[n - 2].kind == NF_LAYER_DENSE ? &c->m->layers[n - 2] : NULL;
  if (d && bn->out_shape.rank == 1 && nf_layer_channels(bn) == d->n_out)
    for (int j = 0; j < d->n_out; j++) {
      if (!(bn->gamma[j] < 0)) continue;
      for (int i = 0; i < d->n_in; i++) d->kernel[(size_t)i * d->n_out + j] = -d->kernel[(size_t)i * d->n_out + j];
      if (d->bias) d->bias[j] = -d->bias[j];
      bn->gamma[j] = -bn->gamma[j];
      bn->moving_mean[j] = -bn->moving_mean[j];
    }
}

/* A bipolar quantizer on the activation (BipolarQuant, or a 1-bit signed
 * Quant): the bipolar activation, +1 at and above 0, -1 below; a scale
 * other than 1 (one, or one per feature) must be a power of two, and
 * becomes an affine node after it (<name>_scale: times s, exact in fixed
 * point where the default types hold s); other scales are refused by name.
 * Negative gammas before it are flipped (flip_negative_gammas). */
static int qx_bipolar(onnx_ctx *c, const qx_params *p, const char *name) {
  bool scaled = false;
  for (size_t i = 0; i < p->n_scale; i++) {
    int e;
    if (!(p->scale[i] > 0) || frexp(p->scale[i], &e) != 0.5)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': a bipolar activation with scale %.9g (element %zu): only "
                                        "powers of two are supported", c->origin, name, p->scale[i], i);
    scaled |= p->scale[i] != 1;
  }
  flip_negative_gammas(c);
  if (!nf_model_add_activation(c->m, name, NF_ACT_BIPOLAR, c->err)) return nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
  if (!scaled) return NF_OK;
  char sname[300];
  snprintf(sname, sizeof sname, "%s_scale", name);
  nf_layer *l = nf_model_add_batchnorm(c->m, sname, 0.0f, c->err);
  if (!l) return nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
  int ch = nf_layer_channels(l);
  if (p->n_scale != 1 && p->n_scale != (size_t)ch)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %zu bipolar scales for %d features", c->origin, name, p->n_scale, ch);
  for (int j = 0; j < ch; j++)
    l->gamma[j] = (float)p->scale[p->n_scale == 1 ? 0 : j], l->beta[j] = 0, l->moving_mean[j] = 0, l->moving_var[j] = 1;
  c->affine = c->m->n_layers - 1;
  return NF_OK;
}

/* A QONNX quantizer on the activation: FixedPointQuantizer layer(s). */
static int qx_activation(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  qx_params p;
  int rc = qx_read(c, n, name, &p);
  if (rc) return rc;
  nf_shape s = cur_shape(c);
  long size = nf_shape_size(s);
  const Onnx__TensorProto *st = p.scale_t;
  bool per_feature = p.n_scale > 1;
  if (per_feature && !(s.rank == 1 && (long)p.n_scale == size && st->dims[st->n_dims - 1] == size))
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': %zu scales for a tensor of shape %ld (one, or one per feature of a "
                                    "[batch, features] tensor)", c->origin, name, p.n_scale, size);
  if (!rc && (p.op == QX_BIPOLAR || (p.op == QX_QUANT && p.bits == 1 && p.is_signed))) {
    rc = qx_bipolar(c, &p, name);
    free(p.scale);
    return rc;
  }
  nf_fpq_round q = NF_FPQ_RND_CONV;
  if (!rc) switch (p.mode) {
    case RM_HALF_EVEN: q = NF_FPQ_RND_CONV; break;
    case RM_FLOOR: q = NF_FPQ_TRN; break;
    case RM_DOWN: q = NF_FPQ_TRN_ZERO; break;
    case RM_HALF_UP: q = NF_FPQ_RND_INF; break;
    case RM_HALF_DOWN: q = NF_FPQ_RND_ZERO; break;
    case RM_CEIL:
    case RM_UP:
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': rounding_mode %s on activations has no ap_fixed rounding mode "
                                      "(ROUND, FLOOR, DOWN, HALF_UP, HALF_DOWN do)", c->origin, name,
                   p.mode == RM_CEIL ? "CEIL" : "UP");
    }
  /* A ReLU right before: absorbed (see above). */
  nf_layer *prev = c->m->n_layers ? &c->m->layers[c->m->n_layers - 1] : NULL;
  if (!rc && p.op == QX_QUANT && prev && prev->kind == NF_LAYER_ACTIVATION && prev->act == NF_ACT_RELU &&
      prev->act_q.kind == NF_QUANT_NONE && (!p.is_signed || p.bits >= 2)) {
    if (p.is_signed) p.bits--, p.is_signed = false, p.narrow = false;
    c->m->n_layers--;
  }
  /* A ternary quantizer (2 bits, signed, narrow: -s, 0, +s) after Dense ->
   * BatchNormalization: thresholds of positive scale in fixed point. */
  if (!rc && p.op == QX_QUANT && p.bits == 2 && p.is_signed && p.narrow) flip_negative_gammas(c);
  if (!rc && p.narrow && !p.is_signed)
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': a narrow unsigned quantizer (0 .. 2^b - 2) on activations has no "
                                    "ap_fixed overflow mode", c->origin, name);
  char first[NF_NAME_MAX];
  snprintf(first, sizeof first, "%.*s_in", NF_NAME_MAX - 4, name);
  for (int stage = p.op == QX_TRUNC ? 0 : 1; !rc && stage < 2; stage++) {
    /* stage 0 (Trunc): the input grid s = s_out / T, half to even, wide enough to saturate beyond T (lo, hi) */
    int bits = stage ? p.bits : p.bits + p.t_shift + 1, keep = stage ? p.is_signed : 1;
    nf_fpq_overflow o = stage && p.is_signed && p.narrow ? NF_FPQ_SAT_SYM : NF_FPQ_SAT;
    nf_layer *l = nf_model_add_fpq(c->m, stage ? name : first, per_feature ? (int)size : 1,
                                   stage ? q : NF_FPQ_RND_CONV, o, c->err);
    if (!l) {
      rc = nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
      break;
    }
    for (int e = 0; e < l->fpq_n; e++) {
      int f = 0;
      pow2_frac(p.scale[e], &f);
      if (!stage) f += p.t_shift;
      int integers = bits - f;
      if (bits > 32 || integers < -64 || integers > 64) {
        rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': a %d-bit type with %d fraction bits is beyond nnfirm's "
                                        "quantizers (at most 32 bits, the point within 64 places)", c->origin, name,
                     bits, f);
        break;
      }
      l->fpq[e] = (float)keep;
      l->fpq[l->fpq_n + e] = (float)bits;
      l->fpq[2 * l->fpq_n + e] = (float)integers;
    }
  }
  free(p.scale);
  return rc;
}

/* After a channels-first Flatten, the Dense l's kernel rows are in ONNX's
 * (C, H, W) order: move ONNX row i to nnfirm input row_perm[i] ((H, W, C)).
 * Gemm and MatMul both end here. */
static int permute_rows(onnx_ctx *c, nf_layer *l) {
  if (!c->row_perm) return NF_OK;
  size_t no = (size_t)l->n_out, nk = (size_t)l->n_in * no;
  float *tmp = nf_malloc(nk * sizeof *tmp, c->err);
  if (!tmp) return NF_EINTERNAL;
  memcpy(tmp, l->kernel, nk * sizeof *tmp);
  for (int i = 0; i < l->n_in; i++) memcpy(l->kernel + (size_t)c->row_perm[i] * no, tmp + (size_t)i * no, no * sizeof *tmp);
  free(tmp);
  return NF_OK;
}

/* Gemm: Y = alpha * A * op(B) + beta * C, with A the activation. */
static int do_gemm(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  if (n->n_input < 2 || !n->input[0] || strcmp(n->input[0], c->current))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Gemm must take the activation as input A", c->origin, name);
  if (attr_int(n, "transA", 0)) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Gemm with transA=1 on the "
                                                                    "activation is not supported", c->origin, name);
  const Onnx__TensorProto *B = n->n_input > 1 ? find_const(c, n->input[1]) : NULL;
  const Onnx__TensorProto *C = n->n_input > 2 && n->input[2][0] ? find_const(c, n->input[2]) : NULL;
  if (!B || B->n_dims != 2) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Gemm weight B must be a constant "
                                                              "2-D initializer", c->origin, name);
  bool transB = attr_int(n, "transB", 0) != 0;
  double alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
  long n_in = (long)(transB ? B->dims[1] : B->dims[0]), n_out = (long)(transB ? B->dims[0] : B->dims[1]);
  if (n_out < 1 || n_out > (1 << 20)) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': bad weight shape", c->origin, name);
  if (n_in != c->m->n_outputs)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Gemm expects %ld inputs but receives %d", c->origin, name, n_in,
                   c->m->n_outputs);
  nf_layer *l = nf_model_add_dense(c->m, name, (int)n_out, C != NULL, c->err);
  if (!l) return c->err->code;
  size_t nk = (size_t)n_in * n_out;
  float *tmp = nf_malloc(nk * sizeof *tmp, c->err);
  if (!tmp) return NF_EINTERNAL;
  int rc = tensor_values(c, B, nk, alpha, tmp, name, "weight B");
  for (long i = 0; !rc && i < n_in; i++)
    for (long j = 0; j < n_out; j++) l->kernel[i * n_out + j] = transB ? tmp[j * n_in + i] : tmp[i * n_out + j];
  free(tmp);
  if (!rc) rc = permute_rows(c, l);
  if (!rc && C) rc = tensor_values(c, C, (size_t)n_out, beta, l->bias, name, "bias C");
  if (!rc) rc = qx_param_type(c, find_named(c, n->input[1]), l->kernel, nk, &l->kernel_q, name, "weights");
  if (!rc && C) rc = qx_param_type(c, find_named(c, n->input[2]), l->bias, (size_t)n_out, &l->bias_q, name, "biases");
  return rc;
}

static int do_matmul(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  const Onnx__TensorProto *W = n->n_input == 2 ? find_const(c, n->input[1]) : NULL;
  if (!W || W->n_dims != 2 || !n->input[0] || strcmp(n->input[0], c->current))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': MatMul must multiply the activation by a constant 2-D "
                                      "initializer", c->origin, name);
  if (W->dims[1] < 1 || W->dims[1] > (1 << 20)) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': bad weight shape", c->origin, name);
  if (W->dims[0] != c->m->n_outputs)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': MatMul expects %lld inputs but receives %d", c->origin, name,
                   (long long)W->dims[0], c->m->n_outputs);
  nf_layer *l = nf_model_add_dense(c->m, name, (int)W->dims[1], true, c->err);
  if (!l) return c->err->code;
  c->pending_add = c->m->n_layers - 1;
  size_t nk = (size_t)W->dims[0] * W->dims[1];
  int rc = tensor_values(c, W, nk, 1.0, l->kernel, name, "weight");
  if (!rc) rc = permute_rows(c, l);
  return rc ? rc : qx_param_type(c, find_named(c, n->input[1]), l->kernel, nk, &l->kernel_q, name, "weights");
}

/* ---- Constant arithmetic and elementwise steps (PyTorch / Brevitas exports) ----
 *
 * Nodes on constants only are computed at import when they are Shape
 * arithmetic (Gather, Unsqueeze, Squeeze, Concat of a Shape's result, as
 * PyTorch's flatten exports it) or elementwise arithmetic (Add, Sub, Mul,
 * Div, Pow, Sqrt; a scalar or equal shapes); others are left alone as
 * before. Shape of the activation is the ONNX shape with batch 1. Add, Sub,
 * Mul, Div of the activation by a constant (one value, or one per channel)
 * are an affine step y = a x + b kept as a BatchNormalization (gamma a, beta
 * b, mean 0, variance 1, epsilon 0); successive steps compose into it. */

/* A constant of doubles (stored as INT64 when ints, else FLOAT). */
static int add_owned_vals(onnx_ctx *c, const char *name, const int64_t *dims, size_t n_dims, const double *v, size_t n,
                          bool ints) {
  if (!ints) return add_owned(c, name, dims, n_dims, v, n, NULL);
  int rc = add_owned(c, name, dims, n_dims, v, 0, NULL);
  if (rc) return rc;
  Onnx__TensorProto *t = c->owned[c->n_owned - 1];
  t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  t->int64_data = nf_malloc((n ? n : 1) * sizeof *t->int64_data, c->err);
  if (!t->int64_data) return NF_EINTERNAL;
  for (size_t i = 0; i < n; i++) t->int64_data[i] = (int64_t)v[i];
  t->n_int64_data = n;
  return NF_OK;
}

/* The ONNX shape of the activation (batch 1) as an INT64 constant. */
static int fold_shape(onnx_ctx *c, const Onnx__NodeProto *n) {
  nf_shape s = cur_shape(c);
  double v[NF_SHAPE_MAX_RANK + 1] = {1};
  int h, w, ch, k = 1;
  nf_shape_hwc(s, &h, &w, &ch);
  if (c->channels_first) {
    v[k++] = ch;
    if (s.rank == 3) v[k++] = h;
    if (s.rank >= 2) v[k++] = w;
  } else {
    for (int i = 0; i < s.rank; i++) v[k++] = s.dim[i];
  }
  int64_t dims[1] = {k};
  return add_owned_vals(c, n->output[0], dims, 1, v, (size_t)k, true);
}

/* Shape arithmetic and elementwise arithmetic on constants; *done = false
 * (and NF_OK) when the node is not one nnfirm computes. */
static int fold_const(onnx_ctx *c, const Onnx__NodeProto *n, bool *done) {
  const char *op = n->op_type ? n->op_type : ""; /* a node without op_type folds nothing */
  *done = false;
  static const char *const OPS[] = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt"};
  int which = -1;
  for (int i = 0; i < (int)(sizeof OPS / sizeof *OPS); i++)
    if (!strcmp(op, OPS[i])) which = i;
  if (which < 0 || n->n_output != 1 || n->n_input < 1 || n->n_input > 16) return NF_OK;
  const Onnx__TensorProto *in[16];
  for (size_t i = 0; i < n->n_input; i++)
    if (!(in[i] = find_const(c, n->input[i])) || tensor_size(in[i]) > (1u << 24)) return NF_OK;
  double *v[16] = {0};
  size_t nv[16] = {0};
  int rc = NF_OK;
  nf_error quiet = {0};
  nf_error *keep = c->err;
  c->err = &quiet; /* a constant nnfirm cannot read is left alone, as before */
  for (size_t i = 0; !rc && i < n->n_input; i++) rc = const_doubles(c, n->input[i], &v[i], &nv[i], "", "");
  c->err = keep;
  if (rc) {
    for (size_t i = 0; i < n->n_input; i++) free(v[i]);
    return quiet.code == NF_EINTERNAL ? nf_fail(c->err, NF_EINTERNAL, "%s", quiet.msg) : NF_OK;
  }
  bool ints = in[0]->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
              in[0]->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
  double *out = NULL;
  size_t no = 0;
  int64_t dims[8] = {0};
  size_t nd = 0;
  if (which == 0 && n->n_input == 2 && in[0]->n_dims == 1 && attr_int(n, "axis", 0) == 0 && in[1]->n_dims <= 1) {
    no = nv[1];
    out = nf_malloc((no ? no : 1) * sizeof *out, c->err);
    for (size_t i = 0; out && i < no; i++) {
      long k = fabs(v[1][i]) < 1e15 ? (long)v[1][i] : -(long)nv[0] - 1; /* out of range either way */
      if (k < 0) k += (long)nv[0];
      if (k < 0 || k >= (long)nv[0]) no = 0, *done = false;
      else out[i] = v[0][k];
    }
    nd = in[1]->n_dims, dims[0] = (int64_t)no;
    *done = out && (no == nv[1]);
  } else if ((which == 1 || which == 2) && nv[0] <= (1u << 20)) { /* values unchanged: a 1-D result */
    no = nv[0];
    out = nf_malloc((no ? no : 1) * sizeof *out, c->err);
    if (out) memcpy(out, v[0], no * sizeof *out);
    nd = 1, dims[0] = (int64_t)no;
    *done = out != NULL;
  } else if (which == 3 && attr_int(n, "axis", 0) == 0) {
    bool ok = true;
    for (size_t i = 0; i < n->n_input; i++) ok &= in[i]->n_dims == 1, no += nv[i];
    out = ok ? nf_malloc((no ? no : 1) * sizeof *out, c->err) : NULL;
    for (size_t i = 0, k = 0; out && i < n->n_input; k += nv[i], i++) memcpy(out + k, v[i], nv[i] * sizeof *out);
    nd = 1, dims[0] = (int64_t)no;
    *done = out != NULL;
  } else if (which >= 4 && (which == 9 ? n->n_input == 1 : n->n_input == 2)) {
    size_t big = which == 9 || nv[0] >= nv[1] ? 0 : 1;
    bool ok = which == 9 || nv[0] == nv[1] || nv[0] == 1 || nv[1] == 1;
    no = nv[big];
    out = ok && in[big]->n_dims <= 8 ? nf_malloc((no ? no : 1) * sizeof *out, c->err) : NULL;
    for (size_t i = 0; out && i < no; i++) {
      double a = v[0][nv[0] == 1 ? 0 : i], b = which == 9 ? 0 : v[1][nv[1] == 1 ? 0 : i];
      out[i] = which == 4 ? a + b : which == 5 ? a - b : which == 6 ? a * b : which == 7 ? a / b : which == 8 ? pow(a, b) : sqrt(a);
      if (ints && which == 7) out[i] = trunc(out[i]);
    }
    if (out) memcpy(dims, in[big]->dims, in[big]->n_dims * sizeof *dims), nd = in[big]->n_dims;
    *done = out != NULL;
  }
  for (size_t i = 0; *done && ints && i < no; i++) *done = fabs(out[i]) < 0x1p62; /* whole int64 values only */
  if (*done) rc = add_owned_vals(c, n->output[0], dims, nd, out, no, ints);
  else if (!out && no && which >= 0 && c->err->code == NF_EINTERNAL) rc = NF_EINTERNAL;
  free(out);
  for (size_t i = 0; i < n->n_input; i++) free(v[i]);
  return rc;
}

/* Add / Sub / Mul / Div of the activation by a constant: an affine step. */
static int do_affine(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, const char *op) {
  if (n->n_input != 2 || !n->input[0] || !n->input[1])
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s needs exactly two inputs", c->origin, name, op);
  bool first = !strcmp(n->input[0], c->current);
  const char *other = first ? n->input[1] : n->input[0];
  if ((!first && (op[0] == 'S' || op[0] == 'D')) || !find_const(c, other))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s is supported only as the activation %s a constant", c->origin,
                   name, op, op[0] == 'A' ? "plus" : op[0] == 'S' ? "minus" : op[0] == 'M' ? "times" : "divided by");
  double *k;
  size_t nk;
  int rc = const_doubles(c, other, &k, &nk, name, "constant");
  if (rc) return rc;
  nf_layer *l = c->affine >= 0 && c->affine == c->m->n_layers - 1 ? &c->m->layers[c->affine] : NULL;
  if (!l && (nk == 1 || nk == (size_t)nf_shape_size(cur_shape(c)) || nk == (size_t)cur_shape(c).dim[cur_shape(c).rank - 1])) {
    l = nf_model_add_batchnorm(c->m, name, 0.0f, c->err);
    if (!l) {
      free(k);
      return nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
    }
    c->affine = c->m->n_layers - 1;
    for (int j = 0; j < nf_layer_channels(l); j++) l->gamma[j] = 1, l->beta[j] = 0, l->moving_mean[j] = 0, l->moving_var[j] = 1;
  }
  int ch = l ? nf_layer_channels(l) : 0;
  if (l && c->row_perm && nk != 1)
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s by per-feature constants between a channels-first Flatten and its "
                                    "Dense is not supported", c->origin, name, op);
  else if (!l || (nk != 1 && nk != (size_t)ch))
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s by a constant of %zu values (one, or one per channel)", c->origin,
                 name, op, nk);
  for (int j = 0; !rc && j < ch; j++) {
    double a = l->gamma[j], b = l->beta[j], q = k[nk == 1 ? 0 : j];
    if (op[0] == 'A') b += q;
    else if (op[0] == 'S') b -= q;
    else if (op[0] == 'M') a *= q, b *= q;
    else a /= q, b /= q;
    if (!isfinite(a) || !isfinite(b))
      rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s by %g is not finite", c->origin, name, op, q);
    l->gamma[j] = (float)a, l->beta[j] = (float)b;
  }
  free(k);
  return rc;
}

static int do_add(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  if (n->n_input != 2 || !n->input[0] || !n->input[1])
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Add needs exactly two inputs", c->origin, name);
  const char *other = !strcmp(n->input[0], c->current) ? n->input[1] : n->input[0];
  const Onnx__TensorProto *b = find_const(c, other);
  if (c->pending_add < 0 || !b) return do_affine(c, n, name, "Add");
  nf_layer *l = &c->m->layers[c->pending_add];
  c->pending_add = -1;
  float *bias = nf_malloc((size_t)l->n_out * sizeof *bias, c->err);
  if (!bias) return NF_EINTERNAL;
  int rc = tensor_values(c, b, (size_t)l->n_out, 1.0, bias, name, "bias");
  for (int j = 0; !rc && j < l->n_out; j++) l->bias[j] += bias[j];
  free(bias);
  return rc ? rc : qx_param_type(c, find_named(c, other), l->bias, (size_t)l->n_out, &l->bias_q, name, "biases");
}

static int do_batchnorm(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  if (n->n_input < 5) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': BatchNormalization needs 5 inputs", c->origin, name);
  if (cur_shape(c).rank > 1 && !c->channels_first)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': BatchNormalization over the last axis of a channels-last "
                                      "tensor (ONNX normalizes axis 1)", c->origin, name);
  if (c->row_perm)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': BatchNormalization between a channels-first Flatten and its "
                                      "Dense is not supported", c->origin, name);
  nf_layer *l = nf_model_add_batchnorm(c->m, name, (float)attr_float(n, "epsilon", 1e-5), c->err);
  if (!l) return c->err->code;
  float *dst[4] = {l->gamma, l->beta, l->moving_mean, l->moving_var};
  const char *what[4] = {"scale", "bias", "mean", "var"};
  for (int k = 0; k < 4; k++) {
    const Onnx__TensorProto *t = find_const(c, n->input[k + 1]);
    if (!t) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s is not a constant", c->origin, name, what[k]);
    int rc = tensor_values(c, t, (size_t)nf_layer_channels(l), 1.0, dst[k], name, what[k]);
    if (rc) return rc;
  }
  return NF_OK;
}

static int do_activation(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, nf_activation a) {
  if (a == NF_ACT_SOFTMAX) {
    long axis = attr_int(n, "axis", -1);
    if (axis != -1 && axis != 1)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Softmax over axis %ld (only the feature axis)", c->origin,
                     name, axis);
  }
  /* Selu and HardSigmoid: nnfirm has Keras' (and hls4ml's) constants; ONNX's
   * defaults are their float32 roundings, other values are refused. */
  if (a == NF_ACT_SELU) {
    double alpha = attr_float(n, "alpha", (float)NF_SELU_ALPHA), gamma = attr_float(n, "gamma", (float)NF_SELU_LAMBDA);
    if ((float)alpha != (float)NF_SELU_ALPHA || (float)gamma != (float)NF_SELU_LAMBDA)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Selu with alpha %.9g, gamma %.9g (only the defaults %.9g, "
                                        "%.9g)", c->origin, name, alpha, gamma, (float)NF_SELU_ALPHA,
                     (float)NF_SELU_LAMBDA);
  }
  if (a == NF_ACT_HARD_SIGMOID) {
    double alpha = attr_float(n, "alpha", 0.2f), beta = attr_float(n, "beta", 0.5f);
    if ((float)alpha != 0.2f || (float)beta != 0.5f)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': HardSigmoid with alpha %.9g, beta %.9g (only the defaults "
                                        "0.2, 0.5: hls4ml's hard_sigmoid)", c->origin, name, alpha, beta);
  }
  double alpha = a == NF_ACT_LEAKY_RELU ? attr_float(n, "alpha", 0.01) : attr_float(n, "alpha", 1.0);
  if ((a == NF_ACT_LEAKY_RELU || a == NF_ACT_ELU || a == NF_ACT_THRESHOLDED_RELU) && !isfinite((float)alpha))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': alpha %g is not a finite number", c->origin, name, alpha);
  nf_layer *l = nf_model_add_activation(c->m, name, a, c->err);
  if (!l) return c->err->code;
  if (a == NF_ACT_LEAKY_RELU || a == NF_ACT_ELU || a == NF_ACT_THRESHOLDED_RELU) l->act_alpha = (float)alpha;
  return NF_OK;
}

/* PRelu: the slope, a constant that broadcasts (numpy's rule, ONNX's
 * unidirectional broadcasting) to the activation's ONNX shape (batch 1),
 * becomes one alpha per element in nnfirm's (channels-last) order. */
static int do_prelu(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  const Onnx__TensorProto *st = n->n_input == 2 && n->input[1] ? find_const(c, n->input[1]) : NULL;
  if (!st || strcmp(n->input[0], c->current))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': PRelu needs the activation and a constant slope", c->origin, name);
  nf_shape s = cur_shape(c);
  int h, w, ch;
  nf_shape_hwc(s, &h, &w, &ch);
  int64_t xd[NF_SHAPE_MAX_RANK + 1] = {1};
  int rx = 1;
  if (c->channels_first) {
    xd[rx++] = ch;
    if (s.rank == 3) xd[rx++] = h;
    if (s.rank >= 2) xd[rx++] = w;
  } else {
    for (int i = 0; i < s.rank; i++) xd[rx++] = s.dim[i];
  }
  bool ok = st->n_dims <= (size_t)rx && broadcasts(xd, rx, st->dims, (int)st->n_dims);
  for (size_t i = 0; ok && i < st->n_dims; i++) ok = st->dims[i] >= 1;
  if (!ok) {
    char sh[96] = "", xs[96] = "";
    size_t k = 0;
    for (size_t i = 0; i < st->n_dims && i < 8 && k < sizeof sh - 24; i++)
      k += (size_t)snprintf(sh + k, sizeof sh - k, "%s%lld", i ? ", " : "", (long long)st->dims[i]);
    k = 0;
    for (int i = 0; i < rx; i++) k += (size_t)snprintf(xs + k, sizeof xs - k, "%s%lld", i ? ", " : "", (long long)xd[i]);
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': PRelu slope of shape [%s]%s does not broadcast to the input's "
                                      "shape [%s]", c->origin, name, sh, st->n_dims > 8 ? "..." : "", xs);
  }
  double *v = NULL;
  size_t nv = 0;
  int rc = const_doubles(c, n->input[1], &v, &nv, name, "slope");
  if (rc) return rc;
  for (size_t i = 0; !rc && i < nv; i++)
    if (!isfinite((float)v[i])) rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': slope element %zu is not finite", c->origin, name, i);
  nf_layer *l = rc ? NULL : nf_model_add_activation(c->m, name, NF_ACT_PRELU, c->err);
  if (!rc && !l) rc = nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
  for (int j = 0; !rc && j < l->n_in; j++) {
    size_t k = (size_t)j; /* ONNX's flat index of nnfirm's element j */
    if (c->channels_first) {
      int cc = j % ch, p = j / ch;
      k = (size_t)cc * (size_t)(h * w) + (size_t)p;
    }
    l->kernel[j] = (float)v[bcast_index(k, xd, rx, st->dims, (int)st->n_dims)];
  }
  free(v);
  return rc;
}

/* Window attributes of Conv / MaxPool / AveragePool on the current
 * (channels-first, as ONNX sees it) tensor: kernel_shape (or the weight's),
 * strides, pads (ONNX order: begins, then ends), auto_pad, dilations. */
static int window_attrs(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, const long *wk, int ksize[2],
                        int stride[2], int pad[4]) {
  nf_shape s = cur_shape(c);
  int sp = s.rank - 1; /* spatial axes: 1 or 2 */
  if (sp < 1 || !c->channels_first)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s needs a channels-first (N, C, ...) input: a Keras-exported "
                                      "graph's Transpose after its input, or a rank-3/4 tensor", c->origin, name,
                   n->op_type);
  long k[2] = {0, 0}, st[2] = {1, 1}, p[4] = {0, 0, 0, 0}, d[2] = {1, 1};
  int nk = attr_ints(n, "kernel_shape", k, 2), ns = attr_ints(n, "strides", st, 2), np = attr_ints(n, "pads", p, 4);
  int nd = attr_ints(n, "dilations", d, 2);
  if (nk < 0 && wk) memcpy(k, wk, sizeof k), nk = sp;
  if (nk != sp || (ns >= 0 && ns != sp) || (np >= 0 && np != 2 * sp) || nd == -2 || (nd >= 0 && nd != sp))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': kernel_shape, strides, pads or dilations do not match its %dD input",
                   c->origin, name, sp);
  for (int i = 0; i < sp; i++)
    if (d[i] != 1) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': dilations other than 1 are not supported", c->origin, name);
  if (attr_int(n, "ceil_mode", 0))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': ceil_mode=1 is not supported", c->origin, name);
  int h, w, ch;
  nf_shape_hwc(s, &h, &w, &ch);
  ksize[0] = sp == 2 ? (int)k[0] : 1, ksize[1] = (int)k[sp - 1];
  stride[0] = sp == 2 ? (int)st[0] : 1, stride[1] = (int)st[sp - 1];
  /* nnfirm's pads: top, bottom, left, right */
  pad[0] = sp == 2 ? (int)p[0] : 0, pad[1] = sp == 2 ? (int)p[2] : 0;
  pad[2] = (int)p[sp - 1], pad[3] = (int)p[2 * sp - 1];
  const Onnx__AttributeProto *ap = attr(n, "auto_pad");
  const char *mode = ap && ap->has_s ? (const char *)ap->s.data : NULL;
  size_t ml = ap && ap->has_s ? ap->s.len : 0;
  if (mode && ml && !(ml == 6 && !memcmp(mode, "NOTSET", 6))) {
    bool valid = ml == 5 && !memcmp(mode, "VALID", 5), upper = ml == 10 && !memcmp(mode, "SAME_UPPER", 10);
    bool lower = ml == 10 && !memcmp(mode, "SAME_LOWER", 10);
    if (!valid && !upper && !lower)
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': auto_pad '%.*s' is not supported", c->origin, name, (int)ml, mode);
    memset(pad, 0, 4 * sizeof *pad);
    if (!valid) {
      if (sp == 2) nf_same_padding(h, ksize[0], stride[0], &pad[lower ? 1 : 0], &pad[lower ? 0 : 1]);
      nf_same_padding(w, ksize[1], stride[1], &pad[lower ? 3 : 2], &pad[lower ? 2 : 3]);
    }
  }
  return NF_OK;
}

static int do_conv(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  const Onnx__TensorProto *W = n->n_input >= 2 ? find_const(c, n->input[1]) : NULL;
  const Onnx__TensorProto *B = n->n_input >= 3 && n->input[2][0] ? find_const(c, n->input[2]) : NULL;
  nf_shape s = cur_shape(c);
  if (!W || W->n_dims != (size_t)s.rank + 1 || strcmp(n->input[0], c->current))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Conv needs the activation and a constant weight (F, C, k...)",
                   c->origin, name);
  if (attr_int(n, "group", 1) != 1)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': group = %ld is not supported (grouped convolution)", c->origin,
                   name, attr_int(n, "group", 1));
  int sp = s.rank - 1, h, w, ch, ksize[2], stride[2], pad[4];
  nf_shape_hwc(s, &h, &w, &ch);
  long wk[2] = {(long)W->dims[2], sp == 2 ? (long)W->dims[3] : 0};
  int rc = window_attrs(c, n, name, wk, ksize, stride, pad);
  if (rc) return rc;
  long F = (long)W->dims[0];
  if (W->dims[1] != ch || W->dims[2] != (sp == 2 ? ksize[0] : ksize[1]) || (sp == 2 && W->dims[3] != ksize[1]) ||
      F < 1 || F > 65536)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': weight shape disagrees with %d input channels and the kernel",
                   c->origin, name, ch);
  nf_layer *l = nf_model_add_conv(c->m, name, (int)F, ksize, stride, pad, B != NULL, c->err);
  if (!l) return nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
  size_t nk = nf_layer_kernel_count(l);
  float *tmp = nf_malloc(nk * sizeof *tmp, c->err);
  if (!tmp) return NF_EINTERNAL;
  rc = tensor_values(c, W, nk, 1.0, tmp, name, "weight");
  /* ONNX (F, C, kh, kw) -> nnfirm (kh, kw, C, F) */
  for (long f = 0; !rc && f < F; f++)
    for (int cc = 0; cc < ch; cc++)
      for (int r = 0; r < ksize[0]; r++)
        for (int q = 0; q < ksize[1]; q++)
          l->kernel[(((size_t)r * ksize[1] + q) * ch + cc) * F + f] = tmp[(((size_t)f * ch + cc) * ksize[0] + r) * ksize[1] + q];
  free(tmp);
  if (!rc && B) rc = tensor_values(c, B, (size_t)F, 1.0, l->bias, name, "bias");
  if (!rc) rc = qx_param_type(c, find_named(c, n->input[1]), l->kernel, nk, &l->kernel_q, name, "weights");
  if (!rc && B) rc = qx_param_type(c, find_named(c, n->input[2]), l->bias, (size_t)F, &l->bias_q, name, "biases");
  return rc;
}

static int do_pool(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, nf_pool_op op) {
  int ksize[2], stride[2], pad[4];
  int rc = window_attrs(c, n, name, NULL, ksize, stride, pad);
  if (rc) return rc;
  if (op == NF_POOL_AVG && attr_int(n, "count_include_pad", 0) && (pad[0] || pad[1] || pad[2] || pad[3]))
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': count_include_pad=1 with padding is not supported", c->origin, name);
  return nf_model_add_pool(c->m, name, op, false, ksize, stride, pad, c->err) ? NF_OK
                                                                               : nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
}

/* (N, C, H, W) -> (N, C, 1, 1): one value per channel, which no later
 * Flatten reorders. */
static int do_global_pool(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, nf_pool_op op) {
  (void)n;
  if (cur_shape(c).rank < 2 || !c->channels_first)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': global pooling needs a channels-first (N, C, ...) input", c->origin, name);
  if (!nf_model_add_pool(c->m, name, op, true, NULL, NULL, NULL, c->err))
    return nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
  c->channels_first = false;
  return NF_OK;
}

/* Transpose between the layouts; on a [batch, features] tensor a no-op. */
static int do_transpose(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  nf_shape s = cur_shape(c);
  if (s.rank == 1) return NF_OK;
  long p[4] = {0, 0, 0, 0};
  int np = attr_ints(n, "perm", p, 4);
  bool to_first = s.rank == 2 ? (np == 3 && p[0] == 0 && p[1] == 2 && p[2] == 1)
                              : (np == 4 && p[0] == 0 && p[1] == 3 && p[2] == 1 && p[3] == 2);
  bool to_last = s.rank == 2 ? to_first : (np == 4 && p[0] == 0 && p[1] == 2 && p[2] == 3 && p[3] == 1);
  if (!c->channels_first && to_first) c->channels_first = true;
  else if (c->channels_first && to_last) c->channels_first = false;
  else
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Transpose other than between channels-last and channels-first is "
                                      "not supported", c->origin, name);
  return NF_OK;
}

/* Flatten (axis 0 or 1 on a batch of one) or Reshape to [N, -1]: a
 * channels-first tensor flattens in (C, H, W) order, which the next Dense
 * absorbs as a permutation of its rows. */
static int do_flatten(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, const char *op) {
  nf_shape s = cur_shape(c);
  long size = nf_shape_size(s);
  if (!strcmp(op, "Flatten") && attr_int(n, "axis", 1) > 1)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Flatten with axis %ld (only 0 or 1)", c->origin, name,
                   attr_int(n, "axis", 1));
  if (!strcmp(op, "Reshape") && s.rank > 1) {
    const Onnx__TensorProto *t = n->n_input >= 2 ? find_const(c, n->input[1]) : NULL;
    bool flat = t && t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && tensor_size(t) == 2;
    int64_t v[2] = {0, 0};
    if (flat && t->has_raw_data && t->raw_data.len == 16)
      for (int i = 0; i < 2; i++)
        for (int k = 7; k >= 0; k--) v[i] = (int64_t)((uint64_t)v[i] << 8 | t->raw_data.data[8 * i + k]);
    else if (flat && t->n_int64_data == 2)
      v[0] = t->int64_data[0], v[1] = t->int64_data[1];
    else
      flat = false;
    if (!flat || (v[1] != -1 && v[1] != size))
      return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Reshape of a rank-%d tensor other than to [batch, -1]",
                     c->origin, name, s.rank + 1);
  }
  if (s.rank == 1) return NF_OK;
  int h, w, ch;
  nf_shape_hwc(s, &h, &w, &ch);
  if (c->channels_first && ch > 1 && h * w > 1) {
    c->row_perm = nf_malloc((size_t)size * sizeof *c->row_perm, c->err);
    if (!c->row_perm) return NF_EINTERNAL;
    for (int cc = 0; cc < ch; cc++)
      for (int p = 0; p < h * w; p++) c->row_perm[(size_t)cc * h * w + p] = p * ch + cc;
  }
  c->channels_first = false;
  return nf_model_add_reshape(c->m, name, nf_shape_1d((int)size), c->err) ? NF_OK
                                                                           : nf_fail_context(c->err, "%s: node '%s'", c->origin, name);
}

static bool consumes(const Onnx__NodeProto *n, const char *tensor) {
  for (size_t i = 0; i < n->n_input; i++)
    if (n->input[i] && !strcmp(n->input[i], tensor)) return true;
  return false;
}

static int do_node(onnx_ctx *c, const Onnx__NodeProto *n, int index) {
  const char *op = n->op_type ? n->op_type : "";
  if (!strcmp(op, "Constant")) {
    const Onnx__AttributeProto *v = attr(n, "value");
    if (v && v->t && n->n_output == 1) return add_const(c, n->output[0], v->t);
    return NF_OK; /* other Constant forms only feed shape arithmetic */
  }
  bool qonnx = !strcmp(op, "Quant") || !strcmp(op, "BipolarQuant") || !strcmp(op, "Trunc");
  char name[NF_NAME_MAX];
  layer_name(n, index, name, sizeof name);
  /* Computed now: a QONNX quantizer or a Transpose of a constant (weights). */
  if ((qonnx || !strcmp(op, "Transpose")) && n->n_input >= 1 && find_const(c, n->input[0]) && n->n_output == 1)
    return qonnx ? qx_fold(c, n, name) : fold_transpose(c, n, name);
  if (!consumes(n, c->current)) { /* shape arithmetic and the like */
    bool done;
    return fold_const(c, n, &done);
  }
  if (!strcmp(op, "Shape") && n->n_output == 1) return fold_shape(c, n); /* the activation goes on unchanged */
  if (n->n_output < 1) return nf_fail(c->err, NF_EINPUT, "%s: node %d (%s) has no output", c->origin, index, op);
  int rc;
  if (!strcmp(op, "Gemm")) rc = do_gemm(c, n, name);
  else if (!strcmp(op, "MatMul")) rc = do_matmul(c, n, name);
  else if (!strcmp(op, "Add")) rc = do_add(c, n, name);
  else if (!strcmp(op, "BatchNormalization")) rc = do_batchnorm(c, n, name);
  else if (!strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")) rc = do_affine(c, n, name, op);
  else if (!strcmp(op, "Relu")) rc = do_activation(c, n, name, NF_ACT_RELU);
  else if (!strcmp(op, "LeakyRelu")) rc = do_activation(c, n, name, NF_ACT_LEAKY_RELU);
  else if (!strcmp(op, "Sigmoid")) rc = do_activation(c, n, name, NF_ACT_SIGMOID);
  else if (!strcmp(op, "Tanh")) rc = do_activation(c, n, name, NF_ACT_TANH);
  else if (!strcmp(op, "Softmax")) rc = do_activation(c, n, name, NF_ACT_SOFTMAX);
  else if (!strcmp(op, "Elu")) rc = do_activation(c, n, name, NF_ACT_ELU);
  else if (!strcmp(op, "Selu")) rc = do_activation(c, n, name, NF_ACT_SELU);
  else if (!strcmp(op, "HardSigmoid")) rc = do_activation(c, n, name, NF_ACT_HARD_SIGMOID);
  else if (!strcmp(op, "ThresholdedRelu")) rc = do_activation(c, n, name, NF_ACT_THRESHOLDED_RELU);
  else if (!strcmp(op, "Softplus")) rc = do_activation(c, n, name, NF_ACT_SOFTPLUS);
  else if (!strcmp(op, "PRelu")) rc = do_prelu(c, n, name);
  else if (!strcmp(op, "Conv")) rc = do_conv(c, n, name);
  else if (qonnx) rc = n->n_input >= 1 && !strcmp(n->input[0], c->current)
                           ? qx_activation(c, n, name)
                           : nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s must quantize the activation or a constant",
                                     c->origin, name, op);
  else if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) rc = do_pool(c, n, name, op[0] == 'M' ? NF_POOL_MAX : NF_POOL_AVG);
  else if (!strcmp(op, "GlobalMaxPool") || !strcmp(op, "GlobalAveragePool"))
    rc = do_global_pool(c, n, name, op[6] == 'M' ? NF_POOL_MAX : NF_POOL_AVG);
  else if (!strcmp(op, "Transpose")) rc = do_transpose(c, n, name);
  else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape")) rc = do_flatten(c, n, name, op);
  else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
    rc = NF_OK; /* the identity at inference, on any tensor */
  else if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze"))
    rc = cur_shape(c).rank == 1 ? NF_OK
                                : nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s of a rank-%d tensor is not supported",
                                          c->origin, name, op, cur_shape(c).rank + 1);
  else
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': unsupported operator %s (supported: Gemm, MatMul, Add, "
                                    "BatchNormalization, Relu, LeakyRelu, PRelu, Elu, Selu, ThresholdedRelu, HardSigmoid, "
                                    "Softplus, Sigmoid, Tanh, Softmax, Conv, MaxPool, "
                                    "AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, Squeeze, "
                                    "Unsqueeze, Transpose, Identity, Dropout, Constant, Shape, Add/Sub/Mul/Div by constants; QONNX Quant, "
                                    "BipolarQuant, Trunc)", c->origin, name, op);
  if (!rc && strcmp(op, "MatMul") && strcmp(op, "Add")) c->pending_add = -1;
  if (!rc && c->affine >= 0 && c->affine != c->m->n_layers - 1) c->affine = -1; /* another layer came after it */
  /* The permutation of a channels-first Flatten serves the first Dense after it. */
  if (!rc && (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))) {
    free(c->row_perm);
    c->row_perm = NULL;
  }
  if (!rc) c->current = n->output[0];
  return rc;
}

/* The graph input's shape without its batch axis (a rank-1 input may omit
 * the batch axis); false when it has no fixed shape nnfirm takes. */
static bool input_shape(const Onnx__ValueInfoProto *v, nf_shape *out) {
  if (!v->type || !v->type->tensor_type || !v->type->tensor_type->shape) return false;
  const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
  if (s->n_dim < 1 || s->n_dim > NF_SHAPE_MAX_RANK + 1) return false;
  size_t first = s->n_dim == 1 ? 0 : 1;
  nf_shape sh = {.rank = (int)(s->n_dim - first)};
  long size = 1;
  for (size_t i = first; i < s->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value < 1 || d->dim_value > 1000000)
      return false;
    sh.dim[i - first] = (int)d->dim_value;
    if ((size *= sh.dim[i - first]) > 1000000) return false;
  }
  *out = sh;
  return true;
}

static int check_opset(const Onnx__ModelProto *mp, const char *origin, nf_error *err) {
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    bool std_domain = !o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx");
    if (std_domain && o->has_version && (o->version < 6 || o->version > 21))
      return nf_fail(err, NF_EINPUT, "%s: opset %lld is outside the supported range 6-21", origin,
                     (long long)o->version);
  }
  return NF_OK;
}

int nf_import_onnx_bytes(const void *data, size_t len, const char *origin, nf_model **out, nf_error *err) {
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
  if (!mp) return nf_fail(err, NF_EINPUT, "%s: not a valid ONNX model (protobuf parse failed)", origin);
  onnx_ctx c = {.origin = origin, .pending_add = -1, .affine = -1, .err = err};
  const Onnx__GraphProto *g = mp->graph;
  int rc = check_opset(mp, origin, err);
  if (!rc && (!g || g->n_node == 0)) rc = nf_fail(err, NF_EINPUT, "%s: ONNX model has no graph nodes", origin);
  for (size_t i = 0; !rc && i < g->n_initializer; i++)
    if (g->initializer[i]->name) rc = add_const(&c, g->initializer[i]->name, g->initializer[i]);
  /* The activation input is the graph input that is not an initializer. */
  for (size_t i = 0; !rc && i < g->n_input && !c.current; i++)
    if (g->input[i]->name && !find_const(&c, g->input[i]->name)) {
      nf_shape in;
      if (!input_shape(g->input[i], &in)) rc = nf_fail(err, NF_EINPUT, "%s: graph input '%s' has no fixed shape of 1 to 3 axes "
                                                       "after the batch axis", origin, g->input[i]->name);
      else if (!(c.m = nf_model_new((int)nf_shape_size(in), err))) rc = NF_EINTERNAL;
      else {
        c.m->input_shape = in;
        c.current = g->input[i]->name;
        snprintf(c.m->input_name, sizeof c.m->input_name, "%.63s", c.current);
      }
    }
  if (!rc && !c.current) rc = nf_fail(err, NF_EINPUT, "%s: ONNX graph has no data input", origin);
  for (size_t i = 0; !rc && i < g->n_node; i++) rc = do_node(&c, g->node[i], (int)i);
  if (!rc && c.m->n_layers == 0) rc = nf_fail(err, NF_EINPUT, "%s: no layers found in the ONNX graph", origin);
  if (!rc && g->n_output >= 1 && g->output[0]->name && strcmp(g->output[0]->name, c.current))
    rc = nf_fail(err, NF_EINPUT, "%s: the graph output '%s' is not the end of a single chain", origin,
                 g->output[0]->name);
  if (!rc) rc = nf_model_validate(c.m, err);
  if (!rc) snprintf(c.m->source, sizeof c.m->source, "onnx:%s", origin);
  if (!rc && c.row_perm) rc = nf_fail(err, NF_EINPUT, "%s: a channels-first Flatten is not followed by a Dense", origin);
  free(c.consts);
  free(c.row_perm);
  for (int i = 0; i < c.n_owned; i++) {
    free(c.owned[i]->dims);
    free(c.owned[i]->float_data);
    free(c.owned[i]->int64_data);
    free(c.owned[i]);
  }
  free(c.owned);
  onnx__model_proto__free_unpacked(mp, NULL);
  if (rc) {
    nf_model_free(c.m);
    return rc;
  }
  *out = c.m;
  return NF_OK;
}

int nf_import_onnx(const char *path, nf_model **out, nf_error *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = nf_read_file(path, &data, &len, err);
  if (rc) return rc;
  rc = nf_import_onnx_bytes(data, len, path, out, err);
  free(data);
  return rc;
}
