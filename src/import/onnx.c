/* ONNX models into the model graph, parsed with protobuf-c from the schema
 * generated at build time out of Debian's onnx.proto.
 *
 * An MLP graph is followed along its one activation tensor: each node that
 * consumes it becomes a layer (Gemm, MatMul [+ Add], BatchNormalization,
 * activations) or passes it on unchanged (Flatten, Reshape, Squeeze,
 * Unsqueeze, Transpose, Identity, Dropout on a [batch, features] tensor).
 * Nodes that do not touch it (Constant, shape arithmetic) only provide
 * constants. */
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
  nf_error *err;
} onnx_ctx;

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
  return tensor_values(c, W, (size_t)W->dims[0] * W->dims[1], 1.0, l->kernel, name, "weight");
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
  nf_layer *l = nf_model_add_batchnorm(c->m, name, (float)attr_float(n, "epsilon", 1e-5), c->err);
  if (!l) return c->err->code;
  float *dst[4] = {l->gamma, l->beta, l->moving_mean, l->moving_var};
  const char *what[4] = {"scale", "bias", "mean", "var"};
  for (int k = 0; k < 4; k++) {
    const Onnx__TensorProto *t = find_const(c, n->input[k + 1]);
    if (!t) return nf_fail(c->err, NF_EINPUT, "%s: node '%s': %s is not a constant", c->origin, name, what[k]);
    int rc = tensor_values(c, t, (size_t)l->n_out, 1.0, dst[k], name, what[k]);
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
  else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze") ||
           !strcmp(op, "Transpose") || !strcmp(op, "Identity") || !strcmp(op, "Dropout"))
    rc = NF_OK; /* no-ops on a [batch, features] activation */
  else
    rc = nf_fail(c->err, NF_EINPUT, "%s: node '%s': unsupported operator %s (supported: Gemm, MatMul, Add, "
                                    "BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Softmax, Flatten, Reshape, "
                                    "Squeeze, Unsqueeze, Transpose, Identity, Dropout, Constant)", c->origin, name, op);
  if (!rc && strcmp(op, "MatMul") && strcmp(op, "Add")) c->pending_add = -1;
  if (!rc) c->current = n->output[0];
  return rc;
}

/* Width of the graph input: its last dimension. */
static int input_width(const Onnx__ValueInfoProto *v) {
  if (!v->type || !v->type->tensor_type || !v->type->tensor_type->shape) return -1;
  const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
  if (s->n_dim < 1) return -1;
  const Onnx__TensorShapeProto__Dimension *d = s->dim[s->n_dim - 1];
  return d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0 &&
                 d->dim_value < 1000000
             ? (int)d->dim_value
             : -1;
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
      int width = input_width(g->input[i]);
      if (width < 1) rc = nf_fail(err, NF_EINPUT, "%s: graph input '%s' has no fixed feature width", origin,
                                  g->input[i]->name);
      else if (!(c.m = nf_model_new(width, err))) rc = NF_EINTERNAL;
      else {
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
  free(c.consts);
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
