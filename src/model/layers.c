/* The model stage's dispatch: the table of operations per layer kind and
 * per activation (from layers.def and activations.def), names, shape checks
 * and parameter counts through it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers.h"

static const nf_model_layer_ops *const LAYER_OPS[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, MODEL, ...) [NF_LAYER_##ID] = &nf_model_##MODEL##_ops,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

static const char *const LAYER_NAMES[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, ...) [NF_LAYER_##ID] = NAME,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

static const char *const ACT_NAMES[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, ...) [NF_ACT_##ID] = NAME,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

const nf_model_layer_ops *nf_model_layer_ops_of(nf_layer_kind k) {
  return (unsigned)k < NF_LAYER_KIND_COUNT ? LAYER_OPS[k] : NULL;
}

const char *nf_layer_kind_name(nf_layer_kind k) { return (unsigned)k < NF_LAYER_KIND_COUNT ? LAYER_NAMES[k] : "?"; }

const char *nf_layer_type_name(const nf_layer *l) {
  bool two = l->in_shape.rank == 3;
  switch (l->kind) {
  case NF_LAYER_CONV: return two ? "Conv2D" : "Conv1D";
  case NF_LAYER_ZEROPAD: return two ? "ZeroPadding2D" : "ZeroPadding1D";
  case NF_LAYER_RESHAPE: return l->out_shape.rank == 1 ? "Flatten" : "Reshape";
  case NF_LAYER_ACTIVATION: return l->act == NF_ACT_PRELU ? "PReLU" : "Activation"; /* a layer with weights */
  case NF_LAYER_POOL:
    if (l->pool_global)
      return l->pool_op == NF_POOL_MAX ? (two ? "GlobalMaxPooling2D" : "GlobalMaxPooling1D")
                                       : (two ? "GlobalAveragePooling2D" : "GlobalAveragePooling1D");
    return l->pool_op == NF_POOL_MAX ? (two ? "MaxPooling2D" : "MaxPooling1D")
                                     : (two ? "AveragePooling2D" : "AveragePooling1D");
  default: return nf_layer_kind_name(l->kind);
  }
}

const char *nf_activation_name(nf_activation a) { return (unsigned)a < NF_ACT_COUNT ? ACT_NAMES[a] : "?"; }

int nf_activation_parse(const char *s, nf_activation *out) {
  for (int i = 0; i < NF_ACT_COUNT; i++)
    if (!strcmp(s, ACT_NAMES[i])) {
      *out = (nf_activation)i;
      return NF_OK;
    }
  if (!strcmp(s, "LeakyReLU")) {
    *out = NF_ACT_LEAKY_RELU;
    return NF_OK;
  }
  return NF_EINPUT;
}

void nf_shape_format(nf_shape s, char *buf, size_t n) {
  size_t k = 0;
  k += (size_t)snprintf(buf, n, "(");
  for (int i = 0; i < s.rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, i ? ", %d" : "%d", s.dim[i]);
  if (k < n) snprintf(buf + k, n - k, ")");
}

int nf_model_same_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  (void)l;
  (void)err;
  *out = in;
  return NF_OK;
}

bool nf_model_all_finite(const float *p, size_t n) {
  if (!p) return true;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(p[i])) return false;
  return true;
}

void nf_layer_param_count(const nf_layer *l, long *trainable, long *non_trainable) {
  long t = 0, nt = 0;
  const nf_model_layer_ops *ops = nf_model_layer_ops_of(l->kind);
  if (ops && ops->param_count) ops->param_count(l, &t, &nt);
  if (trainable) *trainable = t;
  if (non_trainable) *non_trainable = nt;
}

int nf_model_validate(const nf_model *m, nf_error *err) {
  if (m->n_layers == 0) return nf_fail(err, NF_EINPUT, "model has no layers");
  nf_shape shape = m->input_shape;
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    const nf_model_layer_ops *ops = nf_model_layer_ops_of(l->kind);
    if (!ops) return nf_fail(err, NF_EINPUT, "layer '%s': unknown kind %d", l->name, (int)l->kind);
    char a[64], b[64];
    nf_shape out;
    if (!nf_shape_equal(l->in_shape, shape) || l->n_in != nf_shape_size(shape)) {
      nf_shape_format(l->in_shape, a, sizeof a);
      nf_shape_format(shape, b, sizeof b);
      return nf_fail(err, NF_EINPUT, "layer '%s' expects input %s (%d values) but receives %s", l->name, a, l->n_in, b);
    }
    int rc = ops->infer_shape(l, shape, &out, err);
    if (rc) return rc;
    if (!nf_shape_equal(l->out_shape, out) || l->n_out != nf_shape_size(out)) {
      nf_shape_format(l->out_shape, a, sizeof a);
      nf_shape_format(out, b, sizeof b);
      return nf_fail(err, NF_EINPUT, "layer '%s' (%s) has output %s where its input gives %s", l->name,
                     nf_layer_kind_name(l->kind), a, b);
    }
    if (ops->check_params && (rc = ops->check_params(l, err))) return rc;
    shape = out;
  }
  if (nf_shape_size(shape) != m->n_outputs)
    return nf_fail(err, NF_EINTERNAL, "model output width %d disagrees with last layer %ld", m->n_outputs,
                   nf_shape_size(shape));
  return NF_OK;
}
