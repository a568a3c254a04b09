/* ONNX models into the model graph, parsed with protobuf-c from the schema
 * generated at build time out of Debian's onnx.proto.
 *
 * A graph is followed along its one activation tensor: each node that
 * consumes it becomes a layer (Gemm, MatMul [+ Add], BatchNormalization,
 * activations, Conv, MaxPool, AveragePool, GlobalAveragePool,
 * GlobalMaxPool) or passes it on unchanged (Squeeze, Unsqueeze, Identity,
 * Dropout; Flatten, Reshape and Transpose on a [batch, features] tensor).
 * Nodes that do not touch it (Constant, shape arithmetic) only provide
 * constants.
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
} named_tensor;

typedef struct {
  const char *origin;
  named_tensor *consts;
  int n_consts, cap_consts;
  nf_model *m;
  const char *current; /* name of the activation tensor */
  int pending_add;     /* layer index of a MatMul awaiting its Add, else -1 */
  bool channels_first; /* ONNX sees the (channels-last) values as (N, C, ...) */
  int *row_perm;       /* after a channels-first Flatten: ONNX index -> nnfirm index, for the next Dense */
  int n_perm;
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
  c->consts[c->n_consts++] = (named_tensor){name, t};
  return NF_OK;
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
  int rc = tensor_values(c, W, (size_t)W->dims[0] * W->dims[1], 1.0, l->kernel, name, "weight");
  return rc ? rc : permute_rows(c, l);
}

static int do_add(onnx_ctx *c, const Onnx__NodeProto *n, const char *name) {
  if (n->n_input != 2 || !n->input[0] || !n->input[1])
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Add needs exactly two inputs", c->origin, name);
  const char *other = !strcmp(n->input[0], c->current) ? n->input[1] : n->input[0];
  const Onnx__TensorProto *b = find_const(c, other);
  if (c->pending_add < 0 || !b)
    return nf_fail(c->err, NF_EINPUT, "%s: node '%s': Add is supported only as the bias after a MatMul", c->origin,
                   name);
  nf_layer *l = &c->m->layers[c->pending_add];
  c->pending_add = -1;
  float *bias = nf_malloc((size_t)l->n_out * sizeof *bias, c->err);
  if (!bias) return NF_EINTERNAL;
  int rc = tensor_values(c, b, (size_t)l->n_out, 1.0, bias, name, "bias");
  for (int j = 0; !rc && j < l->n_out; j++) l->bias[j] += bias[j];
  free(bias);
  return rc;
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
  nf_layer *l = nf_model_add_activation(c->m, name, a, c->err);
  if (!l) return c->err->code;
  if (a == NF_ACT_LEAKY_RELU) l->act_alpha = (float)attr_float(n, "alpha", 0.01);
  return NF_OK;
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
  if (!consumes(n, c->current)) return NF_OK; /* shape arithmetic and the like */
  if (n->n_output < 1) return nf_fail(c->err, NF_EINPUT, "%s: node %d (%s) has no output", c->origin, index, op);
  char name[NF_NAME_MAX];
  layer_name(n, index, name, sizeof name);
  int rc;
  if (!strcmp(op, "Gemm")) rc = do_gemm(c, n, name);
  else if (!strcmp(op, "MatMul")) rc = do_matmul(c, n, name);
  else if (!strcmp(op, "Add")) rc = do_add(c, n, name);
  else if (!strcmp(op, "BatchNormalization")) rc = do_batchnorm(c, n, name);
  else if (!strcmp(op, "Relu")) rc = do_activation(c, n, name, NF_ACT_RELU);
  else if (!strcmp(op, "LeakyRelu")) rc = do_activation(c, n, name, NF_ACT_LEAKY_RELU);
  else if (!strcmp(op, "Sigmoid")) rc = do_activation(c, n, name, NF_ACT_SIGMOID);
  else if (!strcmp(op, "Tanh")) rc = do_activation(c, n, name, NF_ACT_TANH);
  else if (!strcmp(op, "Softmax")) rc = do_activation(c, n, name, NF_ACT_SOFTMAX);
  else if (!strcmp(op, "Conv")) rc = do_conv(c, n, name);
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
                                    "BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Softmax, Conv, MaxPool, "
                                    "AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, Squeeze, "
                                    "Unsqueeze, Transpose, Identity, Dropout, Constant)", c->origin, name, op);
  if (!rc && strcmp(op, "MatMul") && strcmp(op, "Add")) c->pending_add = -1;
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
  onnx_ctx c = {.origin = origin, .pending_add = -1, .err = err};
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
