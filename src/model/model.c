/* The model graph: construction, lookup, validation, parameter counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

nf_model *nf_model_new(int n_features, nf_error *err) {
  if (n_features < 1) {
    nf_fail(err, NF_EINPUT, "a model needs at least one input feature (got %d)", n_features);
    return NULL;
  }
  nf_model *m = nf_calloc(1, sizeof *m, err);
  if (!m) return NULL;
  m->input_shape = nf_shape_1d(n_features);
  m->n_features = m->n_outputs = n_features;
  snprintf(m->input_name, sizeof m->input_name, "input");
  return m;
}

static void free_names(char **names, int n) {
  if (!names) return;
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

static void free_layer(nf_layer *l) {
  free(l->kernel);
  free(l->bias);
  free(l->mask);
  free(l->gamma);
  free(l->beta);
  free(l->moving_mean);
  free(l->moving_var);
  free(l->fpq);
}

void nf_model_free(nf_model *m) {
  if (!m) return;
  for (int i = 0; i < m->n_layers; i++) free_layer(&m->layers[i]);
  free(m->layers);
  free_names(m->feature_names, m->n_features);
  free_names(m->class_names, m->n_outputs);
  free(m->scaler_mean);
  free(m->scaler_scale);
  free(m);
}

static bool name_is_new(const nf_model *m, const char *name, nf_error *err) {
  if (!name || !*name || strlen(name) >= NF_NAME_MAX) {
    nf_fail(err, NF_EINPUT, "layer name '%s' is empty or longer than %d characters", name ? name : "",
            NF_NAME_MAX - 1);
    return false;
  }
  if (nf_model_find_layer(m, name) >= 0) {
    nf_fail(err, NF_EINPUT, "duplicate layer name '%s'", name);
    return false;
  }
  return true;
}

static bool room_for_one_more(nf_model *m, nf_error *err) {
  if (m->n_layers < m->cap_layers) return true;
  int cap = m->cap_layers ? 2 * m->cap_layers : 8;
  nf_layer *nl = nf_realloc(m->layers, (size_t)cap * sizeof *nl, err);
  if (!nl) return false;
  m->layers = nl;
  m->cap_layers = cap;
  return true;
}

/* The output shape of the chain so far. */
static nf_shape current_shape(const nf_model *m) {
  return m->n_layers ? m->layers[m->n_layers - 1].out_shape : m->input_shape;
}

static nf_layer *append_layer(nf_model *m, const char *name, nf_layer_kind kind, nf_shape out, nf_error *err) {
  if (!name_is_new(m, name, err)) return NULL;
  if (m->class_names) { /* class names describe the old output width */
    free_names(m->class_names, m->n_outputs);
    m->class_names = NULL;
  }
  if (!room_for_one_more(m, err)) return NULL;
  nf_layer *l = &m->layers[m->n_layers];
  memset(l, 0, sizeof *l);
  snprintf(l->name, sizeof l->name, "%s", name);
  l->kind = kind;
  l->in_shape = current_shape(m);
  l->out_shape = out;
  l->n_in = (int)nf_shape_size(l->in_shape);
  l->n_out = (int)nf_shape_size(out);
  m->n_layers++;
  m->n_outputs = l->n_out;
  return l;
}

static void drop_last_layer(nf_model *m) {
  nf_layer *l = &m->layers[--m->n_layers];
  m->n_outputs = l->n_in;
  free_layer(l);
}

nf_layer *nf_model_add_dense(nf_model *m, const char *name, int n_out, bool use_bias, nf_error *err) {
  if (n_out < 1) {
    nf_fail(err, NF_EINPUT, "layer '%s': Dense needs at least one unit (got %d)", name, n_out);
    return NULL;
  }
  nf_shape out, in = current_shape(m);
  nf_layer probe = {.kind = NF_LAYER_DENSE, .n_out = n_out};
  snprintf(probe.name, sizeof probe.name, "%s", name ? name : "");
  if (nf_model_layer_ops_of(NF_LAYER_DENSE)->infer_shape(&probe, in, &out, err)) return NULL; /* a rank-1 input only */
  nf_layer *l = append_layer(m, name, NF_LAYER_DENSE, out, err);
  if (!l) return NULL;
  l->kernel = nf_calloc((size_t)l->n_in * n_out, sizeof(float), err);
  if (l->kernel && use_bias) l->bias = nf_calloc((size_t)n_out, sizeof(float), err);
  if (!l->kernel || (use_bias && !l->bias)) {
    drop_last_layer(m);
    return NULL;
  }
  return l;
}

nf_layer *nf_model_add_batchnorm(nf_model *m, const char *name, float epsilon, nf_error *err) {
  nf_layer *l = append_layer(m, name, NF_LAYER_BATCHNORM, current_shape(m), err);
  if (!l) return NULL;
  size_t n = (size_t)nf_layer_channels(l);
  l->epsilon = epsilon;
  l->gamma = nf_calloc(n, sizeof(float), err);
  l->beta = nf_calloc(n, sizeof(float), err);
  l->moving_mean = nf_calloc(n, sizeof(float), err);
  l->moving_var = nf_calloc(n, sizeof(float), err);
  if (!l->gamma || !l->beta || !l->moving_mean || !l->moving_var) {
    drop_last_layer(m);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) l->gamma[i] = l->moving_var[i] = 1.0f;
  return l;
}

nf_layer *nf_model_add_activation(nf_model *m, const char *name, nf_activation act, nf_error *err) {
  nf_layer *l = append_layer(m, name, NF_LAYER_ACTIVATION, current_shape(m), err);
  if (!l) return NULL;
  l->act = act;
  if (act == NF_ACT_ELU) l->act_alpha = 1.0f; /* Keras' default, and Activation('elu')'s */
  if (act == NF_ACT_PRELU && !(l->kernel = nf_calloc((size_t)l->n_in, sizeof *l->kernel, err))) {
    drop_last_layer(m); /* PReLU's alpha weights, zero until read */
    return NULL;
  }
  return l;
}

/* A layer of the given kind at index that keeps the width it is inserted at. */
static nf_layer *insert_layer(nf_model *m, int index, const char *name, nf_layer_kind kind, nf_error *err) {
  if (index < 0 || index > m->n_layers) {
    nf_fail(err, NF_EINTERNAL, "cannot insert layer '%s' at position %d of %d", name, index, m->n_layers);
    return NULL;
  }
  if (!name_is_new(m, name, err) || !room_for_one_more(m, err)) return NULL;
  nf_shape shape = index == 0 ? m->input_shape : m->layers[index - 1].out_shape;
  memmove(&m->layers[index + 1], &m->layers[index], (size_t)(m->n_layers - index) * sizeof *m->layers);
  nf_layer *l = &m->layers[index];
  memset(l, 0, sizeof *l);
  snprintf(l->name, sizeof l->name, "%s", name);
  l->kind = kind;
  l->in_shape = l->out_shape = shape;
  l->n_in = l->n_out = (int)nf_shape_size(shape);
  m->n_layers++; /* the output width is unchanged: class names stay valid */
  return l;
}

nf_layer *nf_model_insert_activation(nf_model *m, int index, const char *name, nf_activation act, nf_error *err) {
  nf_layer *l = insert_layer(m, index, name, NF_LAYER_ACTIVATION, err);
  if (l) l->act = act;
  return l;
}

/* A FixedPointQuantizer of n element types (zero), inserted at index or,
 * for index -1, appended. */
static nf_layer *fpq_layer(nf_model *m, int index, const char *name, int n, nf_fpq_round q, nf_fpq_overflow o,
                           nf_error *err) {
  float *t = nf_calloc((size_t)n * 3, sizeof *t, err);
  nf_layer *l = !t ? NULL
                : index < 0 ? append_layer(m, name, NF_LAYER_QUANT, current_shape(m), err)
                            : insert_layer(m, index, name, NF_LAYER_QUANT, err);
  if (!l) {
    free(t);
    return NULL;
  }
  l->fpq = t;
  l->fpq_n = n;
  l->fpq_q = q;
  l->fpq_o = o;
  return l;
}

nf_layer *nf_model_insert_fpq(nf_model *m, int index, const char *name, nf_fpq_round q, nf_fpq_overflow o,
                              nf_error *err) {
  long n = index > 0 && index <= m->n_layers ? m->layers[index - 1].n_out : m->n_features;
  return fpq_layer(m, index < 0 ? 0 : index, name, (int)n, q, o, err);
}

void nf_model_remove_layer(nf_model *m, int index) {
  if (index < 0 || index >= m->n_layers) return;
  free_layer(&m->layers[index]);
  memmove(&m->layers[index], &m->layers[index + 1], (size_t)(m->n_layers - index - 1) * sizeof *m->layers);
  m->n_layers--;
  memset(&m->layers[m->n_layers], 0, sizeof *m->layers);
}

nf_layer *nf_model_add_dropout(nf_model *m, const char *name, float rate, nf_error *err) {
  if (!(rate >= 0 && rate < 1)) {
    nf_fail(err, NF_EINPUT, "layer '%s': dropout rate %g outside [0, 1)", name, rate);
    return NULL;
  }
  nf_layer *l = append_layer(m, name, NF_LAYER_DROPOUT, current_shape(m), err);
  if (l) l->rate = rate;
  return l;
}

size_t nf_layer_kernel_count(const nf_layer *l) {
  if (l->kind == NF_LAYER_DENSE) return (size_t)l->n_in * l->n_out;
  if (l->kind == NF_LAYER_ACTIVATION) return l->act == NF_ACT_PRELU ? (size_t)l->n_in : 0; /* PReLU's alpha */
  if (l->kind != NF_LAYER_CONV) return 0;
  int h, w, c;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  return (size_t)l->ksize[0] * l->ksize[1] * c * l->filters;
}

int nf_layer_channels(const nf_layer *l) {
  return l->out_shape.rank ? l->out_shape.dim[l->out_shape.rank - 1] : l->n_out;
}

/* The node appended by add_conv/add_pool/add_zeropad: shape inference of
 * its kind decides the output (and refuses what the kind cannot take). */
static nf_layer *append_windowed(nf_model *m, const char *name, nf_layer proto, nf_error *err) {
  proto.in_shape = current_shape(m);
  nf_shape out;
  snprintf(proto.name, sizeof proto.name, "%s", name ? name : "");
  if (nf_model_layer_ops_of(proto.kind)->infer_shape(&proto, proto.in_shape, &out, err)) return NULL;
  nf_layer *l = append_layer(m, name, proto.kind, out, err);
  if (!l) return NULL;
  memcpy(l->ksize, proto.ksize, sizeof l->ksize);
  memcpy(l->stride, proto.stride, sizeof l->stride);
  memcpy(l->pad, proto.pad, sizeof l->pad);
  l->filters = proto.filters;
  l->pool_op = proto.pool_op;
  l->pool_global = proto.pool_global;
  return l;
}

nf_layer *nf_model_add_conv(nf_model *m, const char *name, int filters, const int ksize[2], const int stride[2],
                            const int pad[4], bool use_bias, nf_error *err) {
  nf_layer p = {.kind = NF_LAYER_CONV, .filters = filters};
  memcpy(p.ksize, ksize, sizeof p.ksize);
  memcpy(p.stride, stride, sizeof p.stride);
  memcpy(p.pad, pad, sizeof p.pad);
  nf_layer *l = append_windowed(m, name, p, err);
  if (!l) return NULL;
  l->kernel = nf_calloc(nf_layer_kernel_count(l), sizeof(float), err);
  if (l->kernel && use_bias) l->bias = nf_calloc((size_t)filters, sizeof(float), err);
  if (!l->kernel || (use_bias && !l->bias)) {
    drop_last_layer(m);
    return NULL;
  }
  return l;
}

nf_layer *nf_model_add_pool(nf_model *m, const char *name, nf_pool_op op, bool global, const int ksize[2],
                            const int stride[2], const int pad[4], nf_error *err) {
  nf_layer p = {.kind = NF_LAYER_POOL, .pool_op = op, .pool_global = global};
  if (!global) {
    memcpy(p.ksize, ksize, sizeof p.ksize);
    memcpy(p.stride, stride, sizeof p.stride);
    memcpy(p.pad, pad, sizeof p.pad);
  }
  return append_windowed(m, name, p, err);
}

nf_layer *nf_model_add_zeropad(nf_model *m, const char *name, const int pad[4], nf_error *err) {
  nf_layer p = {.kind = NF_LAYER_ZEROPAD};
  memcpy(p.pad, pad, sizeof p.pad);
  return append_windowed(m, name, p, err);
}

nf_layer *nf_model_add_fpq(nf_model *m, const char *name, int n_types, nf_fpq_round q, nf_fpq_overflow o,
                           nf_error *err) {
  nf_shape in = current_shape(m);
  if (n_types != 1 && n_types != nf_shape_size(in)) {
    nf_fail(err, NF_EINPUT, "layer '%s': %d element types for %ld values (1 or one per value)", name, n_types,
            nf_shape_size(in));
    return NULL;
  }
  return fpq_layer(m, -1, name, n_types, q, o, err);
}

nf_layer *nf_model_add_reshape(nf_model *m, const char *name, nf_shape to, nf_error *err) {
  nf_shape in = current_shape(m);
  if (to.rank < 1 || to.rank > NF_SHAPE_MAX_RANK || nf_shape_size(to) != nf_shape_size(in)) {
    char a[64], b[64];
    nf_shape_format(in, a, sizeof a);
    nf_shape_format(to, b, sizeof b);
    nf_fail(err, NF_EINPUT, "layer '%s': cannot reshape %s into %s", name, a, b);
    return NULL;
  }
  return append_layer(m, name, NF_LAYER_RESHAPE, to, err);
}

static int copy_names(char ***dst, const char *const *names, int n, nf_error *err) {
  char **out = nf_calloc((size_t)n, sizeof *out, err);
  if (!out) return NF_EINTERNAL;
  for (int i = 0; i < n; i++) {
    out[i] = nf_strdup(names[i], err);
    if (!out[i]) {
      free_names(out, n);
      return NF_EINTERNAL;
    }
  }
  *dst = out;
  return NF_OK;
}

int nf_model_set_class_names(nf_model *m, const char *const *names, int n, nf_error *err) {
  if (n != m->n_outputs)
    return nf_fail(err, NF_EINPUT, "%d class names for a model with %d outputs", n, m->n_outputs);
  free_names(m->class_names, m->n_outputs);
  m->class_names = NULL;
  return copy_names(&m->class_names, names, n, err);
}

int nf_model_set_feature_names(nf_model *m, const char *const *names, int n, nf_error *err) {
  if (n != m->n_features)
    return nf_fail(err, NF_EINPUT, "%d feature names for a model with %d inputs", n, m->n_features);
  free_names(m->feature_names, m->n_features);
  m->feature_names = NULL;
  return copy_names(&m->feature_names, names, n, err);
}

int nf_model_set_scaler(nf_model *m, const float *mean, const float *scale, nf_error *err) {
  size_t n = (size_t)m->n_features;
  float *mu = nf_malloc(n * sizeof(float), err), *sc = nf_malloc(n * sizeof(float), err);
  if (!mu || !sc) {
    free(mu);
    free(sc);
    return NF_EINTERNAL;
  }
  memcpy(mu, mean, n * sizeof(float));
  memcpy(sc, scale, n * sizeof(float));
  free(m->scaler_mean);
  free(m->scaler_scale);
  m->scaler_mean = mu;
  m->scaler_scale = sc;
  return NF_OK;
}

static float *dup_floats(const float *p, size_t n, bool *ok, nf_error *err) {
  if (!p) return NULL;
  float *q = nf_malloc(n * sizeof(float), err);
  if (!q) *ok = false;
  else memcpy(q, p, n * sizeof(float));
  return q;
}

nf_model *nf_model_clone(const nf_model *src, nf_error *err) {
  nf_model *m = nf_model_new(src->n_features, err);
  if (!m) return NULL;
  bool ok = true;
  m->layers = nf_calloc((size_t)(src->n_layers ? src->n_layers : 1), sizeof(nf_layer), err);
  if (!m->layers) ok = false;
  for (int i = 0; ok && i < src->n_layers; i++) {
    const nf_layer *s = &src->layers[i];
    nf_layer *d = &m->layers[i];
    *d = *s;
    d->kernel = d->bias = d->gamma = d->beta = d->moving_mean = d->moving_var = NULL;
    d->mask = NULL;
    d->fpq = NULL;
    m->n_layers = i + 1;
    size_t nk = nf_layer_kernel_count(s), no = (size_t)nf_layer_channels(s);
    d->kernel = dup_floats(s->kernel, nk, &ok, err);
    d->bias = dup_floats(s->bias, no, &ok, err);
    d->gamma = dup_floats(s->gamma, no, &ok, err);
    d->beta = dup_floats(s->beta, no, &ok, err);
    d->moving_mean = dup_floats(s->moving_mean, no, &ok, err);
    d->moving_var = dup_floats(s->moving_var, no, &ok, err);
    d->fpq = dup_floats(s->fpq, (size_t)s->fpq_n * 3, &ok, err);
    if (s->mask) {
      d->mask = nf_malloc(nk, err);
      if (d->mask) memcpy(d->mask, s->mask, nk);
      else ok = false;
    }
  }
  m->cap_layers = src->n_layers;
  m->input_shape = src->input_shape;
  m->n_outputs = src->n_outputs;
  if (ok && src->feature_names)
    ok = !nf_model_set_feature_names(m, (const char *const *)src->feature_names, src->n_features, err);
  if (ok && src->class_names)
    ok = !nf_model_set_class_names(m, (const char *const *)src->class_names, src->n_outputs, err);
  if (ok && src->scaler_mean) ok = !nf_model_set_scaler(m, src->scaler_mean, src->scaler_scale, err);
  memcpy(m->source, src->source, sizeof m->source);
  memcpy(m->input_name, src->input_name, sizeof m->input_name);
  if (!ok) {
    nf_model_free(m);
    return NULL;
  }
  return m;
}

int nf_model_find_layer(const nf_model *m, const char *name) {
  for (int i = 0; i < m->n_layers; i++)
    if (!strcmp(m->layers[i].name, name)) return i;
  return -1;
}

void nf_model_copy_params(nf_model *dst, const nf_model *src) {
  for (int i = 0; i < dst->n_layers && i < src->n_layers; i++) {
    nf_layer *d = &dst->layers[i];
    const nf_layer *b = &src->layers[i];
    size_t nk = nf_layer_kernel_count(d) * sizeof(float), no = (size_t)nf_layer_channels(d) * sizeof(float);
    if (d->kernel && b->kernel) memcpy(d->kernel, b->kernel, nk);
    if (d->bias && b->bias) memcpy(d->bias, b->bias, no);
    if (d->gamma && b->gamma) memcpy(d->gamma, b->gamma, no);
    if (d->beta && b->beta) memcpy(d->beta, b->beta, no);
    if (d->moving_mean && b->moving_mean) memcpy(d->moving_mean, b->moving_mean, no);
    if (d->moving_var && b->moving_var) memcpy(d->moving_var, b->moving_var, no);
  }
}
