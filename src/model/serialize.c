/* The native model file (.nnf): everything needed to predict in one file.
 *
 * Layout (all integers little-endian, floats as IEEE-754 bit patterns):
 *   "NNFIRMv\x1a"  magic (8 bytes)
 *   u32 version    (NF_MODEL_FORMAT_VERSION; a newer file is refused)
 *   u32 payload length, u32 CRC-32 of the payload (zlib's crc32)
 *   payload: model header, names, scaler, then each layer's fields/arrays.
 * Every read is bounds-checked so a truncated or hostile file is an error,
 * never a crash. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nnfirm/model.h"
#include "nnfirm/util.h"

/* Version 2 added each node's shape and window geometry (convolutional
 * networks) and the input shape; version 3 the FixedPointQuantizer layer
 * (its element types and modes: HGQ proxies, per-neuron activation bits
 * from training). Version 1 and 2 files still load. */
enum { NF_MODEL_FORMAT_VERSION = 3 };
static const char MAGIC[8] = {'N', 'N', 'F', 'I', 'R', 'M', 'v', 0x1a};

/* ---- Writing ---------------------------------------------------------------- */
typedef struct {
  unsigned char *p;
  size_t len, cap;
  bool oom;
} wbuf;

static void put_bytes(wbuf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + n > cap) cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void put_u32(wbuf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  put_bytes(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(wbuf *b, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  put_u32(b, u);
}

static void put_f64(wbuf *b, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  put_u64(b, u);
}

static void put_str(wbuf *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  put_u32(b, (uint32_t)n);
  put_bytes(b, s, n);
}

static void put_floats(wbuf *b, const float *a, size_t n) {
  put_u32(b, a ? 1 : 0);
  for (size_t i = 0; a && i < n; i++) put_f32(b, a[i]);
}

/* A name list is stored as its count (0 = none) and the strings. */
static void put_names(wbuf *b, char **names, int n) {
  put_u32(b, names ? (uint32_t)n : 0);
  for (int i = 0; names && i < n; i++) put_str(b, names[i]);
}

static void put_quantizer(wbuf *b, const nf_quantizer *q) {
  put_u32(b, (uint32_t)q->kind);
  put_u32(b, (uint32_t)q->bits);
  put_u32(b, (uint32_t)q->integer);
  put_u32(b, (uint32_t)q->symmetric | (uint32_t)q->keep_negative << 1 | (uint32_t)q->dense_class << 2 |
                (uint32_t)q->has_max_value << 3 | (uint32_t)q->quadratic << 4 | (uint32_t)q->log2_floor << 5);
  put_f64(b, q->alpha);
  /* the po2 quantizers have no threshold: their max_value takes its place */
  put_f64(b, q->kind == NF_QUANT_PO2 || q->kind == NF_QUANT_RELU_PO2 ? q->max_value : q->threshold);
}

static void put_shape(wbuf *b, nf_shape s) {
  put_u32(b, (uint32_t)s.rank);
  for (int i = 0; i < NF_SHAPE_MAX_RANK; i++) put_u32(b, (uint32_t)(i < s.rank ? s.dim[i] : 0));
}

static void put_layer(wbuf *b, const nf_layer *l) {
  size_t nk = nf_layer_kernel_count(l), no = (size_t)nf_layer_channels(l);
  put_str(b, l->name);
  put_u32(b, (uint32_t)l->kind);
  put_u32(b, (uint32_t)l->n_in);
  put_u32(b, (uint32_t)l->n_out);
  put_u32(b, (uint32_t)l->act);
  put_shape(b, l->out_shape); /* version 2: shape and window geometry */
  for (int i = 0; i < 2; i++) put_u32(b, (uint32_t)l->ksize[i]);
  for (int i = 0; i < 2; i++) put_u32(b, (uint32_t)l->stride[i]);
  for (int i = 0; i < 4; i++) put_u32(b, (uint32_t)l->pad[i]);
  put_u32(b, (uint32_t)l->filters);
  put_u32(b, (uint32_t)l->pool_op | (uint32_t)l->pool_global << 1);
  if (l->kind == NF_LAYER_QUANT) { /* version 3: the element types' count and modes */
    put_u32(b, (uint32_t)l->fpq_n);
    put_u32(b, (uint32_t)l->fpq_q);
    put_u32(b, (uint32_t)l->fpq_o);
  }
  put_f32(b, l->act_alpha);
  put_f32(b, l->rate);
  put_f32(b, l->epsilon);
  put_quantizer(b, &l->kernel_q);
  put_quantizer(b, &l->bias_q);
  put_quantizer(b, &l->act_q);
  put_floats(b, l->kernel, nk);
  put_floats(b, l->bias, no);
  put_u32(b, l->mask ? 1 : 0);
  if (l->mask) put_bytes(b, l->mask, nk);
  put_floats(b, l->gamma, no);
  put_floats(b, l->beta, no);
  put_floats(b, l->moving_mean, no);
  put_floats(b, l->moving_var, no);
  if (l->kind == NF_LAYER_QUANT) put_floats(b, l->fpq, 3 * (size_t)l->fpq_n); /* keep_negative, bits, integers */
}

int nf_model_save(const nf_model *m, const char *path, nf_error *err) {
  int rc = nf_model_validate(m, err);
  if (rc) return nf_fail_context(err, "%s: not saving an invalid model", path);
  wbuf pay = {0};
  put_u32(&pay, (uint32_t)m->n_features);
  put_u32(&pay, (uint32_t)m->n_layers);
  put_shape(&pay, m->input_shape);
  put_names(&pay, m->feature_names, m->n_features);
  put_names(&pay, m->class_names, m->n_outputs);
  put_floats(&pay, m->scaler_mean, (size_t)m->n_features);
  put_floats(&pay, m->scaler_scale, (size_t)m->n_features);
  put_str(&pay, m->source);
  put_str(&pay, m->input_name);
  for (int i = 0; i < m->n_layers; i++) put_layer(&pay, &m->layers[i]);
  wbuf file = {0};
  put_bytes(&file, MAGIC, sizeof MAGIC);
  put_u32(&file, NF_MODEL_FORMAT_VERSION);
  put_u32(&file, (uint32_t)pay.len);
  put_u32(&file, (uint32_t)crc32(0L, pay.p, (uInt)pay.len));
  put_bytes(&file, pay.p, pay.len);
  if (pay.oom || file.oom) rc = nf_fail_oom(err, "model file image");
  else rc = nf_write_file_atomic(path, file.p, file.len, err);
  free(pay.p);
  free(file.p);
  return rc;
}

/* ---- Reading ---------------------------------------------------------------- */
typedef struct {
  const unsigned char *p;
  size_t len, pos;
  bool bad;
} rbuf;

static bool take(rbuf *b, void *dst, size_t n) {
  if (b->bad || n > b->len - b->pos) {
    b->bad = true;
    return false;
  }
  memcpy(dst, b->p + b->pos, n);
  b->pos += n;
  return true;
}

static uint32_t get_u32(rbuf *b) {
  unsigned char x[4] = {0};
  take(b, x, 4);
  return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

static float get_f32(rbuf *b) {
  uint32_t u = get_u32(b);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static double get_f64(rbuf *b) {
  uint64_t lo = get_u32(b), hi = get_u32(b);
  uint64_t u = lo | hi << 32;
  double d;
  memcpy(&d, &u, 8);
  return d;
}

static void get_str(rbuf *b, char *dst, size_t cap) {
  uint32_t n = get_u32(b);
  if (n >= cap) {
    b->bad = true;
    dst[0] = '\0';
    return;
  }
  take(b, dst, n);
  dst[b->bad ? 0 : n] = '\0';
}

/* Reads an optional float array into a freshly allocated (or existing) buffer. */
static int get_floats(rbuf *b, float **dst, size_t n, nf_error *err) {
  uint32_t present = get_u32(b);
  if (present > 1) b->bad = true;
  if (b->bad) return NF_OK;
  if (!present) {
    free(*dst);
    *dst = NULL;
    return NF_OK;
  }
  if (n > (b->len - b->pos) / 4) {
    b->bad = true;
    return NF_OK;
  }
  if (!*dst && !(*dst = nf_malloc(n * sizeof(float), err))) return NF_EINTERNAL;
  for (size_t i = 0; i < n; i++) (*dst)[i] = get_f32(b);
  return NF_OK;
}

/* Reads a stored name list; *names is NULL when the file has none. */
static int get_names(rbuf *b, char ***names, uint32_t *count, nf_error *err) {
  *names = NULL;
  *count = get_u32(b);
  if (b->bad || *count == 0) return NF_OK;
  if (*count > 1000000 || *count > (b->len - b->pos) / 4) {
    b->bad = true;
    return NF_OK;
  }
  char **list = nf_calloc(*count, sizeof *list, err);
  if (!list) return NF_EINTERNAL;
  char buf[256];
  for (uint32_t i = 0; i < *count && !b->bad; i++) {
    get_str(b, buf, sizeof buf);
    if (!(list[i] = nf_strdup(buf, err))) {
      for (uint32_t k = 0; k < i; k++) free(list[k]);
      free(list);
      return NF_EINTERNAL;
    }
  }
  *names = list;
  return NF_OK;
}

static void free_name_list(char **names, uint32_t n) {
  for (uint32_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
}

static void get_quantizer(rbuf *b, nf_quantizer *q) {
  q->kind = (nf_quant_kind)get_u32(b);
  q->bits = (int32_t)get_u32(b);
  q->integer = (int32_t)get_u32(b);
  uint32_t flags = get_u32(b);
  q->symmetric = flags & 1;
  q->keep_negative = (flags >> 1) & 1;
  q->dense_class = (flags >> 2) & 1;
  q->has_max_value = (flags >> 3) & 1;
  q->quadratic = (flags >> 4) & 1;
  q->log2_floor = (flags >> 5) & 1;
  q->alpha = get_f64(b);
  q->threshold = get_f64(b);
  if (q->kind == NF_QUANT_PO2 || q->kind == NF_QUANT_RELU_PO2) {
    q->max_value = q->threshold;
    q->threshold = 0;
    nf_error scratch = {0};
    if (nf_quantizer_check(q, "", &scratch)) b->bad = true;
  }
  if ((unsigned)q->kind > NF_QUANT_RELU_PO2) b->bad = true;
  /* QKeras' widths are small; anything else is a damaged file */
  if (q->kind != NF_QUANT_NONE && (q->bits < 1 || q->bits > 64 || q->integer < -64 || q->integer > 64)) b->bad = true;
}

/* A stored shape; false (b->bad) when it is not one. */
static nf_shape get_shape(rbuf *b) {
  nf_shape s = {.rank = (int)get_u32(b)};
  uint32_t d[NF_SHAPE_MAX_RANK];
  for (int i = 0; i < NF_SHAPE_MAX_RANK; i++) d[i] = get_u32(b);
  if (s.rank < 1 || s.rank > NF_SHAPE_MAX_RANK) b->bad = true;
  for (int i = 0; !b->bad && i < s.rank; i++) {
    if (d[i] < 1 || d[i] > 1000000) b->bad = true;
    s.dim[i] = (int)d[i];
  }
  if (!b->bad && nf_shape_size(s) > 1000000) b->bad = true;
  return s;
}

static int get_layer(rbuf *b, nf_model *m, uint32_t version, const char *path, nf_error *err) {
  char name[NF_NAME_MAX];
  get_str(b, name, sizeof name);
  uint32_t kind = get_u32(b), n_in = get_u32(b), n_out = get_u32(b), act = get_u32(b);
  nf_shape out = nf_shape_1d((int)n_out);
  int ksize[2] = {0, 0}, stride[2] = {0, 0}, pad[4] = {0, 0, 0, 0};
  uint32_t filters = 0, pool = 0;
  if (version >= 2) {
    out = get_shape(b);
    for (int i = 0; i < 2; i++) ksize[i] = (int)(get_u32(b) & 0xffff);
    for (int i = 0; i < 2; i++) stride[i] = (int)(get_u32(b) & 0xffff);
    for (int i = 0; i < 4; i++) pad[i] = (int)(get_u32(b) & 0xffff);
    filters = get_u32(b);
    pool = get_u32(b);
  }
  uint32_t fpq_n = 0, fpq_q = 0, fpq_o = 0;
  if (version >= 3 && kind == NF_LAYER_QUANT) {
    fpq_n = get_u32(b);
    fpq_q = get_u32(b);
    fpq_o = get_u32(b);
  }
  if (b->bad) return NF_OK;
  bool bad = kind >= NF_LAYER_KIND_COUNT || act >= NF_ACT_COUNT || n_in != (uint32_t)m->n_outputs || n_out == 0 ||
             n_out > 1000000 || pool > 3 || filters > 65536 || nf_shape_size(out) != (long)n_out;
  /* A kernel larger than what is left of the file cannot be in it. */
  if (kind == NF_LAYER_DENSE && (uint64_t)n_in * n_out > (b->len - b->pos) / 4) bad = true;
  if (kind == NF_LAYER_QUANT && (version < 3 || fpq_n < 1 || fpq_n > n_out || 3 * (uint64_t)fpq_n > (b->len - b->pos) / 4))
    bad = true;
  if (kind == NF_LAYER_CONV && !bad) {
    int h, w, c;
    nf_shape_hwc(m->n_layers ? m->layers[m->n_layers - 1].out_shape : m->input_shape, &h, &w, &c);
    if ((uint64_t)ksize[0] * ksize[1] * c * filters > (b->len - b->pos) / 4) bad = true;
  }
  if (bad) return nf_fail(err, NF_EINPUT, "%s: layer '%s' has an invalid header", path, name);
  nf_layer *l = NULL;
  switch ((nf_layer_kind)kind) {
  case NF_LAYER_DENSE: l = nf_model_add_dense(m, name, (int)n_out, true, err); break;
  case NF_LAYER_BATCHNORM: l = nf_model_add_batchnorm(m, name, 0, err); break;
  case NF_LAYER_ACTIVATION: l = nf_model_add_activation(m, name, (nf_activation)act, err); break;
  case NF_LAYER_DROPOUT: l = nf_model_add_dropout(m, name, 0, err); break;
  case NF_LAYER_CONV: l = nf_model_add_conv(m, name, (int)filters, ksize, stride, pad, true, err); break;
  case NF_LAYER_POOL: l = nf_model_add_pool(m, name, (nf_pool_op)(pool & 1), pool >> 1, ksize, stride, pad, err); break;
  case NF_LAYER_ZEROPAD: l = nf_model_add_zeropad(m, name, pad, err); break;
  case NF_LAYER_RESHAPE: l = nf_model_add_reshape(m, name, out, err); break;
  case NF_LAYER_QUANT:
    /* modes out of range: nf_model_validate refuses them with the layer's name */
    l = nf_model_add_fpq(m, name, (int)fpq_n, (nf_fpq_round)fpq_q, (nf_fpq_overflow)fpq_o, err);
    break;
  }
  if (!l) return nf_fail_context(err, "%s", path);
  if (!nf_shape_equal(l->out_shape, out)) return nf_fail(err, NF_EINPUT, "%s: layer '%s' changes shape", path, name);
  if (l->n_out != (int)n_out) return nf_fail(err, NF_EINPUT, "%s: layer '%s' changes width", path, name);
  l->act = (nf_activation)act;
  l->act_alpha = get_f32(b);
  l->rate = get_f32(b);
  l->epsilon = get_f32(b);
  if (!b->bad && (!(l->rate >= 0 && l->rate < 1) || !isfinite(l->act_alpha) || !isfinite(l->epsilon)))
    return nf_fail(err, NF_EINPUT, "%s: layer '%s' has an invalid rate, slope or epsilon", path, name);
  get_quantizer(b, &l->kernel_q);
  get_quantizer(b, &l->bias_q);
  get_quantizer(b, &l->act_q);
  size_t nk = nf_layer_kernel_count(l), no = (size_t)nf_layer_channels(l);
  int rc = get_floats(b, &l->kernel, nk, err);
  if (!rc) rc = get_floats(b, &l->bias, no, err);
  uint32_t has_mask = b->bad ? 0 : get_u32(b);
  if (!rc && has_mask == 1) {
    if (!(l->mask = nf_malloc(nk, err))) return NF_EINTERNAL;
    take(b, l->mask, nk);
  } else if (has_mask > 1) {
    b->bad = true;
  }
  if (!rc) rc = get_floats(b, &l->gamma, no, err);
  if (!rc) rc = get_floats(b, &l->beta, no, err);
  if (!rc) rc = get_floats(b, &l->moving_mean, no, err);
  if (!rc) rc = get_floats(b, &l->moving_var, no, err);
  if (!rc && l->kind == NF_LAYER_QUANT) { /* the types nf_model_add_fpq allocated, in place */
    uint32_t present = get_u32(b);
    if (present != 1) b->bad = true;
    for (size_t k = 0; !b->bad && k < 3 * (size_t)l->fpq_n; k++) l->fpq[k] = get_f32(b);
  }
  return rc;
}

static int parse_payload(rbuf *b, uint32_t version, const char *path, nf_model **out, nf_error *err) {
  uint32_t n_features = get_u32(b), n_layers = get_u32(b);
  nf_shape in = version >= 2 ? get_shape(b) : nf_shape_1d((int)n_features);
  if (b->bad || n_features == 0 || n_features > 1000000 || n_layers > 10000 || nf_shape_size(in) != (long)n_features)
    return nf_fail(err, NF_EINPUT, "%s: invalid model header", path);
  nf_model *m = nf_model_new((int)n_features, err);
  if (!m) return NF_EINTERNAL;
  m->input_shape = in;
  char **feat = NULL, **cls = NULL;
  uint32_t n_feat = 0, n_cls = 0;
  float *mean = NULL, *scale = NULL;
  int rc = get_names(b, &feat, &n_feat, err);
  if (!rc) rc = get_names(b, &cls, &n_cls, err);
  if (!rc) rc = get_floats(b, &mean, n_features, err);
  if (!rc) rc = get_floats(b, &scale, n_features, err);
  if (!rc) get_str(b, m->source, sizeof m->source);
  if (!rc) get_str(b, m->input_name, sizeof m->input_name);
  for (uint32_t i = 0; i < n_layers && !rc && !b->bad; i++) rc = get_layer(b, m, version, path, err);
  if (!rc && !b->bad && b->pos != b->len) rc = nf_fail(err, NF_EINPUT, "%s: trailing bytes after the last layer", path);
  if (!rc && b->bad) rc = nf_fail(err, NF_EINPUT, "%s: truncated or malformed model data", path);
  if (!rc && feat && (rc = nf_model_set_feature_names(m, (const char *const *)feat, (int)n_feat, err)))
    nf_fail_context(err, "%s", path);
  if (!rc && cls && (rc = nf_model_set_class_names(m, (const char *const *)cls, (int)n_cls, err)))
    nf_fail_context(err, "%s", path);
  if (!rc && (mean != NULL) != (scale != NULL)) rc = nf_fail(err, NF_EINPUT, "%s: half a scaler", path);
  if (!rc && mean) rc = nf_model_set_scaler(m, mean, scale, err);
  if (!rc && (rc = nf_model_validate(m, err))) nf_fail_context(err, "%s", path);
  free_name_list(feat, n_feat);
  free_name_list(cls, n_cls);
  free(mean);
  free(scale);
  if (rc) {
    nf_model_free(m);
    return rc;
  }
  *out = m;
  return NF_OK;
}

int nf_model_load_bytes(const void *bytes, size_t len, const char *path, nf_model **out, nf_error *err) {
  int rc = NF_OK;
  *out = NULL;
  rbuf b = {(const unsigned char *)bytes, len, 0, false};
  char magic[8];
  if (!take(&b, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
    return nf_fail(err, NF_EINPUT, "%s: not an nnfirm model file (bad magic)", path);
  uint32_t version = get_u32(&b), plen = get_u32(&b), crc = get_u32(&b);
  if (!b.bad && version > NF_MODEL_FORMAT_VERSION)
    rc = nf_fail(err, NF_EINPUT, "%s: model format version %u is newer than this nnfirm reads (%d); upgrade nnfirm",
                 path, version, NF_MODEL_FORMAT_VERSION);
  else if (b.bad || version == 0 || plen != len - b.pos)
    rc = nf_fail(err, NF_EINPUT, "%s: truncated model file (%zu bytes)", path, len);
  else if (crc32(0L, b.p + b.pos, (uInt)plen) != crc)
    rc = nf_fail(err, NF_EINPUT, "%s: model file is corrupt (checksum mismatch)", path);
  if (!rc) {
    rbuf pay = {b.p + b.pos, plen, 0, false};
    rc = parse_payload(&pay, version, path, out, err);
  }
  return rc;
}

int nf_model_load(const char *path, nf_model **out, nf_error *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = nf_read_file(path, &data, &len, err);
  if (rc) return rc;
  rc = nf_model_load_bytes(data, len, path, out, err);
  free(data);
  return rc;
}
