/* nnfirm._core — the CPython extension under the nnfirm package: thin calls
 * into libnnfirm's public API (include/nnfirm/), numpy arrays in and out.
 *
 * Every library error becomes nnfirm.Error carrying nf_error's message and
 * code. Long calls (emulation, training, synthesis, co-simulation) release
 * the GIL. The Python layer (nnfirm/__init__.py) holds the documented API;
 * the names here are private.
 *
 * The library's structs are being reworked; this file reads their fields
 * only in the "Field access" section below, so a change of layout touches
 * that section alone. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"
#include "nnfirm/data.h"
#include "nnfirm/emulate.h"
#include "nnfirm/error.h"
#include "nnfirm/fixed.h"
#include "nnfirm/import.h"
#include "nnfirm/model.h"
#include "nnfirm/project.h"
#include "nnfirm/search.h"
#include "nnfirm/synth.h"
#include "nnfirm/train.h"
#include "nnfirm/util.h"

static PyObject *ErrorType; /* nnfirm.Error, set by the package (set_error_type) */

/* Raises nnfirm.Error(message, code); returns NULL for `return raise_nf(&err, rc);`. */
static PyObject *raise_nf(const nf_error *err, int rc) {
  const char *msg = err->msg[0] ? err->msg : "nnfirm: unknown error";
  PyObject *type = ErrorType ? ErrorType : PyExc_RuntimeError;
  PyObject *e = PyObject_CallFunction(type, "si", msg, err->code ? err->code : rc);
  if (e) {
    PyErr_SetObject(type, e);
    Py_DECREF(e);
  }
  return NULL;
}

static PyObject *py_set_error_type(PyObject *self, PyObject *type) {
  Py_XSETREF(ErrorType, Py_NewRef(type));
  Py_RETURN_NONE;
}

/* ==== Field access (the only place that reads library structs) ============ */
static int model_n_features(const nf_model *m) { return m->n_features; }
static int model_n_outputs(const nf_model *m) { return m->n_outputs; }
static int model_n_layers(const nf_model *m) { return m->n_layers; }
static const char *model_layer_name(const nf_model *m, int i) { return m->layers[i].name; }
static const char *model_layer_kind(const nf_model *m, int i) { return nf_layer_kind_name(m->layers[i].kind); }
static int model_layer_n_out(const nf_model *m, int i) { return m->layers[i].n_out; }
static const char *model_layer_activation(const nf_model *m, int i) {
  return m->layers[i].kind == NF_LAYER_ACTIVATION ? nf_activation_name(m->layers[i].act) : NULL;
}
static const char *model_source(const nf_model *m) { return m->source; }
static void model_layer_params(const nf_model *m, int i, long *trainable, long *fixed) {
  nf_layer_param_count(&m->layers[i], trainable, fixed);
}

static int design_n_inputs(const nf_design *d) { return d->n_inputs; }
static int design_n_outputs(const nf_design *d) { return d->n_outputs; }
static int design_n_layers(const nf_design *d) { return d->n_layers; }
static int design_n_hw(const nf_design *d) { return d->n_hw; }
static const char *design_layer_name(const nf_design *d, int i) { return d->layers[i].name; }
static const char *design_layer_kind(const nf_design *d, int i) {
  return nf_layer_kind_name(d->layers[i].kind);
}
static int design_layer_n_out(const nf_design *d, int i) { return d->layers[i].n_out; }
static int design_layer_reuse(const nf_design *d, int i) {
  return d->layers[i].kind == NF_LAYER_DENSE ? d->layers[i].reuse_factor : 0;
}
static const char *design_layer_activation(const nf_design *d, int i) {
  return d->layers[i].kind == NF_LAYER_ACTIVATION ? nf_activation_name(d->layers[i].act) : NULL;
}
static const nf_fixed_type *design_layer_result_t(const nf_design *d, int i) { return &d->layers[i].result_t; }
static const nf_fixed_type *design_input_t(const nf_design *d) { return &d->input_t; }
static const char *design_project(const nf_design *d) { return d->project; }
static const char *design_part(const nf_design *d) { return d->part; }
static double design_clock(const nf_design *d) { return d->clock_period_ns; }

/* Layer accessors: a view of one layer's fields for the layer dicts. */
typedef struct model_layer_view {
  nf_layer_kind kind;
  const char *type; /* the Keras class (Conv2D, Flatten, ...) */
  nf_shape in, out;
  int n_in, n_out;
  const float *kernel, *bias, *gamma, *beta, *moving_mean, *moving_var;
  float epsilon, rate; /* BatchNormalization's, Dropout's */
  const uint8_t *mask;
  size_t kernel_count;
  int ksize[2], filters;
  const nf_quantizer *kernel_q, *bias_q, *act_q;
} model_layer_view;
static model_layer_view model_layer_get(const nf_model *m, int i) {
  const nf_layer *l = &m->layers[i];
  return (model_layer_view){.kind = l->kind, .type = nf_layer_type_name(l), .in = l->in_shape, .out = l->out_shape,
                            .n_in = l->n_in, .n_out = l->n_out, .kernel = l->kernel, .bias = l->bias,
                            .gamma = l->gamma, .beta = l->beta, .moving_mean = l->moving_mean,
                            .moving_var = l->moving_var, .epsilon = l->epsilon, .rate = l->rate, .mask = l->mask, .kernel_count = nf_layer_kernel_count(l),
                            .ksize = {l->ksize[0], l->ksize[1]}, .filters = l->filters, .kernel_q = &l->kernel_q,
                            .bias_q = &l->bias_q, .act_q = &l->act_q};
}
typedef struct design_layer_view {
  nf_layer_kind kind;
  nf_shape in, out;
  int n_in, n_out;
  const nf_fixed_type *input_t, *weight_t, *bias_t, *accum_t;
  const int64_t *weights, *bias;
  int ksize[2], filters;
} design_layer_view;
static design_layer_view design_layer_get(const nf_design *d, int i) {
  const nf_design_layer *l = &d->layers[i];
  return (design_layer_view){.kind = l->kind, .in = l->in_shape, .out = l->out_shape, .n_in = l->n_in,
                             .n_out = l->n_out, .input_t = &l->input_t, .weight_t = &l->weight_t,
                             .bias_t = &l->bias_t, .accum_t = &l->accum_t, .weights = l->weights, .bias = l->bias,
                             .ksize = {l->ksize[0], l->ksize[1]}, .filters = l->filters};
}

static bool project_has_rtl(const nf_project *p) { return p->has_rtl; }
static int project_n_in(const nf_project *p) { return p->info.n_in; }
static const char *project_top(const nf_project *p) { return p->top; }
static double project_clock(const nf_project *p) { return p->design->clock_period_ns; }
static int project_latency(const nf_project *p) { return p->info.latency; }
/* ========================================================================== */

/* The kernel's dimensions as Keras stores them: Dense (n_in, n_out), Conv
 * (kh, kw, C, F); a design's BatchNormalization (channels). Returns the
 * number of dimensions, 0 for a kind without a kernel. */
static int kernel_dims(nf_layer_kind kind, nf_shape in, nf_shape out, const int ksize[2], int filters,
                       npy_intp dims[4]) {
  int h, w, c;
  nf_shape_hwc(in, &h, &w, &c);
  switch (kind) {
  case NF_LAYER_DENSE: dims[0] = nf_shape_size(in), dims[1] = nf_shape_size(out); return 2;
  case NF_LAYER_CONV: dims[0] = ksize[0], dims[1] = ksize[1], dims[2] = c, dims[3] = filters; return 4;
  case NF_LAYER_BATCHNORM: dims[0] = out.rank ? out.dim[out.rank - 1] : 0; return 1;
  default: return 0;
  }
}
/* Per-channel parameters' length: the output's last axis. */
static int layer_channels(nf_shape out) { return out.rank ? out.dim[out.rank - 1] : 0; }
static npy_intp dims_size(int nd, const npy_intp *dims) {
  npy_intp n = 1;
  for (int k = 0; k < nd; k++) n *= dims[k];
  return n;
}

/* ---- Handles: capsules owning a model or a design ------------------------ */
static void model_capsule_free(PyObject *cap) {
  nf_model_free(PyCapsule_GetPointer(cap, "nnfirm.model"));
}
static void design_capsule_free(PyObject *cap) {
  nf_design_free(PyCapsule_GetPointer(cap, "nnfirm.design"));
}
static nf_model *get_model(PyObject *cap) { return PyCapsule_GetPointer(cap, "nnfirm.model"); }
static nf_design *get_design(PyObject *cap) { return PyCapsule_GetPointer(cap, "nnfirm.design"); }

static PyObject *wrap_model(nf_model *m) {
  PyObject *cap = PyCapsule_New(m, "nnfirm.model", model_capsule_free);
  if (!cap) nf_model_free(m);
  return cap;
}

/* A C-contiguous float32 matrix of `cols` columns from any array-like
 * (cols < 0: any). New reference or NULL with an exception set. */
static PyArrayObject *as_matrix(PyObject *obj, int typenum, int cols, const char *what) {
  PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(obj, typenum, 1, 2, NPY_ARRAY_CARRAY_RO | NPY_ARRAY_FORCECAST);
  if (!a) return NULL;
  if (PyArray_NDIM(a) == 1) { /* one row */
    npy_intp dims[2] = {1, PyArray_DIM(a, 0)};
    PyArray_Dims shape = {dims, 2};
    PyArrayObject *b = (PyArrayObject *)PyArray_Newshape(a, &shape, NPY_CORDER);
    Py_DECREF(a);
    if (!b) return NULL;
    a = b;
  }
  if (cols >= 0 && PyArray_DIM(a, 1) != cols) {
    PyErr_Format(PyExc_ValueError, "%s: %ld columns, expected %d", what, (long)PyArray_DIM(a, 1), cols);
    Py_DECREF(a);
    return NULL;
  }
  return a;
}

static PyObject *new_matrix(long rows, int cols, int typenum) {
  npy_intp dims[2] = {rows, cols};
  return PyArray_SimpleNew(2, dims, typenum);
}

/* ---- Models ---------------------------------------------------------------- */
static PyObject *py_model_open(PyObject *self, PyObject *args) {
  const char *path, *weights = NULL;
  if (!PyArg_ParseTuple(args, "s|z", &path, &weights)) return NULL;
  nf_error err = {0};
  nf_model *m = NULL;
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_model_open(path, weights, &m, &err);
  Py_END_ALLOW_THREADS if (rc) return raise_nf(&err, rc);
  return wrap_model(m);
}

static PyObject *py_model_save(PyObject *self, PyObject *args) {
  PyObject *cap;
  const char *path;
  if (!PyArg_ParseTuple(args, "Os", &cap, &path)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  nf_error err = {0};
  int rc = nf_model_save(m, path, &err);
  if (rc) return raise_nf(&err, rc);
  Py_RETURN_NONE;
}

static PyObject *py_model_info(PyObject *self, PyObject *args) {
  PyObject *cap;
  if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  PyObject *layers = PyList_New(model_n_layers(m));
  if (!layers) return NULL;
  for (int i = 0; i < model_n_layers(m); i++) {
    const char *act = model_layer_activation(m, i);
    PyObject *l = Py_BuildValue("{s:s,s:s,s:i,s:z}", "name", model_layer_name(m, i), "class_name",
                                model_layer_kind(m, i), "n_out", model_layer_n_out(m, i), "activation", act);
    if (!l) {
      Py_DECREF(layers);
      return NULL;
    }
    PyList_SET_ITEM(layers, i, l);
  }
  long trainable = 0, fixed = 0;
  for (int i = 0; i < model_n_layers(m); i++) {
    long t = 0, f = 0;
    model_layer_params(m, i, &t, &f);
    trainable += t, fixed += f;
  }
  return Py_BuildValue("{s:i,s:i,s:N,s:s,s:l,s:l,s:d}", "n_features", model_n_features(m), "n_outputs",
                       model_n_outputs(m), "layers", layers, "source", model_source(m), "trainable_params",
                       trainable, "non_trainable_params", fixed, "sparsity", nf_model_sparsity(m, -1, NULL, NULL));
}

static PyObject *py_model_summary(PyObject *self, PyObject *args) {
  PyObject *cap;
  if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  char *buf = NULL;
  size_t n = 0;
  FILE *fp = open_memstream(&buf, &n);
  if (!fp) return PyErr_NoMemory();
  nf_model_summary(m, fp);
  fclose(fp);
  PyObject *s = PyUnicode_FromStringAndSize(buf, (Py_ssize_t)n);
  free(buf);
  return s;
}

/* Float forward pass: layer `upto` (-1 = last) of rows X. */
static PyObject *py_model_forward(PyObject *self, PyObject *args) {
  PyObject *cap, *xo;
  int upto = -1;
  if (!PyArg_ParseTuple(args, "OO|i", &cap, &xo, &upto)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  if (upto < -1 || upto >= model_n_layers(m)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", upto);
  PyArrayObject *x = as_matrix(xo, NPY_FLOAT32, model_n_features(m), "X");
  if (!x) return NULL;
  long n = (long)PyArray_DIM(x, 0);
  int cols = upto < 0 ? model_n_outputs(m) : model_layer_n_out(m, upto);
  PyObject *out = new_matrix(n, cols, NPY_FLOAT64);
  if (!out) {
    Py_DECREF(x);
    return NULL;
  }
  nf_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_model_forward(m, PyArray_DATA(x), n, upto, true,
                                               PyArray_DATA((PyArrayObject *)out), &err);
  Py_END_ALLOW_THREADS Py_DECREF(x);
  if (rc) {
    Py_DECREF(out);
    return raise_nf(&err, rc);
  }
  return out;
}


static PyObject *shape_tuple(nf_shape sh) {
  PyObject *t = PyTuple_New(sh.rank);
  for (int k = 0; t && k < sh.rank; k++) {
    PyObject *v = PyLong_FromLong(sh.dim[k]);
    if (!v) Py_CLEAR(t);
    else PyTuple_SET_ITEM(t, k, v);
  }
  return t;
}

static PyObject *quantizer_text(const nf_quantizer *q) {
  if (q->kind == NF_QUANT_NONE) Py_RETURN_NONE;
  char buf[160];
  nf_quantizer_format(q, buf, sizeof buf);
  return PyUnicode_FromString(buf);
}

/* model_layer_info(model, i) -> dict: shapes, activation, quantizers. */
static PyObject *py_model_layer_info(PyObject *self, PyObject *args) {
  PyObject *cap;
  int i;
  if (!PyArg_ParseTuple(args, "Oi", &cap, &i)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  if (i < 0 || i >= model_n_layers(m)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", i);
  model_layer_view l = model_layer_get(m, i);
  long trainable = 0, fixed = 0;
  model_layer_params(m, i, &trainable, &fixed);
  PyObject *extra = l.kind == NF_LAYER_BATCHNORM ? Py_BuildValue("{s:d}", "epsilon", (double)l.epsilon)
                    : l.kind == NF_LAYER_DROPOUT ? Py_BuildValue("{s:d}", "rate", (double)l.rate)
                                                 : PyDict_New();
  if (!extra) return NULL;
  PyObject *info = Py_BuildValue("{s:s,s:s,s:s,s:N,s:N,s:i,s:i,s:z,s:N,s:N,s:N,s:l,s:l,s:d}", "name", model_layer_name(m, i),
                       "class_name", l.type, "kind", model_layer_kind(m, i), "input_shape", shape_tuple(l.in),
                       "output_shape", shape_tuple(l.out), "n_in", l.n_in, "n_out", l.n_out, "activation",
                       model_layer_activation(m, i), "kernel_quantizer", quantizer_text(l.kernel_q),
                       "bias_quantizer", quantizer_text(l.bias_q), "activation_quantizer", quantizer_text(l.act_q),
                       "trainable_params", trainable, "non_trainable_params", fixed, "sparsity",
                       l.kind == NF_LAYER_DENSE ? nf_model_sparsity(m, i, NULL, NULL) : 0.0);
  if (info && PyDict_Update(info, extra)) Py_CLEAR(info);
  Py_DECREF(extra);
  return info;
}

/* Adds a copy of n values at src (float32 or uint8) as an array of dims. */
static int add_array(PyObject *dict, const char *key, int nd, const npy_intp *dims, int typenum, const void *src,
                     size_t elsize) {
  PyObject *a = PyArray_SimpleNew(nd, (npy_intp *)dims, typenum);
  if (!a) return -1;
  memcpy(PyArray_DATA((PyArrayObject *)a), src, (size_t)dims_size(nd, dims) * elsize);
  int rc = PyDict_SetItemString(dict, key, a);
  Py_DECREF(a);
  return rc;
}

/* model_layer_weights(model, i) -> dict of float32 arrays by Keras' variable
 * names (kernel, bias, gamma, beta, moving_mean, moving_variance) and the
 * pruning mask (uint8, 1 kept) when the layer has one. The kernel is as
 * stored (before any QKeras quantizer) with pruned entries zero. */
static PyObject *py_model_layer_weights(PyObject *self, PyObject *args) {
  PyObject *cap;
  int i;
  if (!PyArg_ParseTuple(args, "Oi", &cap, &i)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  if (i < 0 || i >= model_n_layers(m)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", i);
  model_layer_view l = model_layer_get(m, i);
  PyObject *res = PyDict_New();
  if (!res) return NULL;
  npy_intp kd[4], cd[1] = {layer_channels(l.out)};
  int nd = l.kind == NF_LAYER_BATCHNORM ? 0 : kernel_dims(l.kind, l.in, l.out, l.ksize, l.filters, kd);
  int rc = 0;
  if (nd && l.kernel) {
    if ((size_t)dims_size(nd, kd) != l.kernel_count) {
      Py_DECREF(res);
      return PyErr_Format(PyExc_RuntimeError, "layer '%s': a kernel of %ld values", model_layer_name(m, i),
                          (long)l.kernel_count);
    }
    rc = add_array(res, "kernel", nd, kd, NPY_FLOAT32, l.kernel, sizeof(float));
    if (!rc && l.mask) {
      float *kv = PyArray_DATA((PyArrayObject *)PyDict_GetItemString(res, "kernel"));
      for (size_t j = 0; j < l.kernel_count; j++)
        if (!l.mask[j]) kv[j] = 0;
      rc = add_array(res, "mask", nd, kd, NPY_UINT8, l.mask, 1);
    }
    if (!rc && l.bias) rc = add_array(res, "bias", 1, cd, NPY_FLOAT32, l.bias, sizeof(float));
  }
  if (l.kind == NF_LAYER_BATCHNORM) {
    const char *names[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const float *vals[4] = {l.gamma, l.beta, l.moving_mean, l.moving_var};
    for (int k = 0; !rc && k < 4; k++)
      if (vals[k]) rc = add_array(res, names[k], 1, cd, NPY_FLOAT32, vals[k], sizeof(float));
  }
  if (rc) Py_CLEAR(res);
  return res;
}

/* ---- Configurations and designs ------------------------------------------- */
static PyObject *py_config_generate(PyObject *self, PyObject *args) {
  PyObject *cap;
  const char *gran;
  int auto_precision = 0;
  if (!PyArg_ParseTuple(args, "Os|p", &cap, &gran, &auto_precision)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  nf_granularity g;
  if (!strcmp(gran, "model")) g = NF_GRAN_MODEL;
  else if (!strcmp(gran, "type")) g = NF_GRAN_TYPE;
  else if (!strcmp(gran, "name")) g = NF_GRAN_NAME;
  else return PyErr_Format(PyExc_ValueError, "granularity must be 'model', 'type' or 'name', got '%s'", gran);
  nf_error err = {0};
  char *text = nf_config_generate(m, g, auto_precision, &err);
  if (!text) return raise_nf(&err, NF_EINTERNAL);
  PyObject *s = PyUnicode_FromString(text);
  free(text);
  return s;
}

/* design_build(model, config_text, origin, calib or None) -> design */
static PyObject *py_design_build(PyObject *self, PyObject *args) {
  PyObject *cap, *calib_o;
  const char *text, *origin;
  Py_ssize_t len;
  if (!PyArg_ParseTuple(args, "Os#sO", &cap, &text, &len, &origin, &calib_o)) return NULL;
  nf_model *m = get_model(cap);
  if (!m) return NULL;
  PyArrayObject *calib = NULL;
  if (calib_o != Py_None && !(calib = as_matrix(calib_o, NPY_FLOAT32, model_n_features(m), "calibration data")))
    return NULL;
  nf_error err = {0};
  nf_config *c = NULL;
  nf_design *d = NULL;
  int rc = nf_config_parse(text, (size_t)len, origin, &c, &err);
  if (!rc) rc = nf_config_validate(c, m, &err);
  if (!rc) {
    const float *cx = calib ? PyArray_DATA(calib) : NULL;
    long cn = calib ? (long)PyArray_DIM(calib, 0) : 0;
    Py_BEGIN_ALLOW_THREADS rc = nf_design_build(m, c, cx, cn, &d, &err);
    Py_END_ALLOW_THREADS
  }
  nf_config_free(c);
  Py_XDECREF(calib);
  if (rc) return raise_nf(&err, rc);
  PyObject *dc = PyCapsule_New(d, "nnfirm.design", design_capsule_free);
  if (!dc) nf_design_free(d);
  return dc;
}

static PyObject *type_string(const nf_fixed_type *t) {
  char buf[128];
  nf_fixed_type_format(t, buf, sizeof buf);
  return PyUnicode_FromString(buf);
}

static PyObject *py_design_info(PyObject *self, PyObject *args) {
  PyObject *cap;
  if (!PyArg_ParseTuple(args, "O", &cap)) return NULL;
  nf_design *d = get_design(cap);
  if (!d) return NULL;
  PyObject *layers = PyList_New(design_n_layers(d));
  if (!layers) return NULL;
  for (int i = 0; i < design_n_layers(d); i++) {
    PyObject *l = Py_BuildValue("{s:s,s:s,s:i,s:N,s:i,s:z,s:O}", "name", design_layer_name(d, i), "class_name",
                                design_layer_kind(d, i), "n_out", design_layer_n_out(d, i), "result_t",
                                type_string(design_layer_result_t(d, i)), "reuse_factor", design_layer_reuse(d, i),
                                "activation", design_layer_activation(d, i), "hardware",
                                i < design_n_hw(d) ? Py_True : Py_False);
    if (!l) {
      Py_DECREF(layers);
      return NULL;
    }
    PyList_SET_ITEM(layers, i, l);
  }
  return Py_BuildValue("{s:i,s:i,s:i,s:N,s:N,s:s,s:s,s:d}", "n_inputs", design_n_inputs(d), "n_outputs",
                       design_n_outputs(d), "n_hw", design_n_hw(d), "layers", layers, "input_t",
                       type_string(design_input_t(d)), "project", design_project(d), "part", design_part(d),
                       "clock_period_ns", design_clock(d));
}

/* design_layer_info(design, i) -> dict: shapes and every variable's type
 * (None where the layer has no such variable). */
static PyObject *py_design_layer_info(PyObject *self, PyObject *args) {
  PyObject *cap;
  int i;
  if (!PyArg_ParseTuple(args, "Oi", &cap, &i)) return NULL;
  nf_design *d = get_design(cap);
  if (!d) return NULL;
  if (i < 0 || i >= design_n_layers(d)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", i);
  design_layer_view l = design_layer_get(d, i);
  bool weighted = l.weights != NULL, accum = weighted || l.kind == NF_LAYER_POOL;
  PyObject *wt = weighted ? type_string(l.weight_t) : Py_NewRef(Py_None);
  PyObject *bt = weighted && l.bias ? type_string(l.bias_t) : Py_NewRef(Py_None);
  PyObject *at = accum ? type_string(l.accum_t) : Py_NewRef(Py_None);
  return Py_BuildValue("{s:s,s:s,s:N,s:N,s:i,s:i,s:N,s:N,s:N,s:N,s:N,s:i,s:z,s:O}", "name", design_layer_name(d, i),
                       "class_name", design_layer_kind(d, i), "input_shape", shape_tuple(l.in), "output_shape",
                       shape_tuple(l.out), "n_in", l.n_in, "n_out", l.n_out, "input_t", type_string(l.input_t),
                       "result_t", type_string(design_layer_result_t(d, i)), "weight_t", wt, "bias_t", bt, "accum_t",
                       at, "reuse_factor", design_layer_reuse(d, i), "activation", design_layer_activation(d, i),
                       "hardware", i < design_n_hw(d) ? Py_True : Py_False);
}

/* design_layer_weights(design, i, codes) -> {"weight": ..., "bias": ...}:
 * the quantized weights the hardware uses, as int64 codes or their exact
 * values (float64); Dense (n_in, n_out), Conv (kh, kw, C, F), a
 * BatchNormalization of its own (channels). Empty for other layers. */
static PyObject *py_design_layer_weights(PyObject *self, PyObject *args) {
  PyObject *cap;
  int i, want_codes = 0;
  if (!PyArg_ParseTuple(args, "Oi|p", &cap, &i, &want_codes)) return NULL;
  nf_design *d = get_design(cap);
  if (!d) return NULL;
  if (i < 0 || i >= design_n_layers(d)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", i);
  design_layer_view l = design_layer_get(d, i);
  PyObject *res = PyDict_New();
  if (!res || !l.weights) return res;
  npy_intp kd[4], cd[1] = {layer_channels(l.out)};
  int nd = kernel_dims(l.kind, l.in, l.out, l.ksize, l.filters, kd);
  if (!nd) {
    Py_DECREF(res);
    return PyErr_Format(PyExc_RuntimeError, "layer '%s': weights in a layer of kind %s", design_layer_name(d, i),
                        design_layer_kind(d, i));
  }
  const int64_t *src[2] = {l.weights, l.bias};
  const nf_fixed_type *types[2] = {l.weight_t, l.bias_t};
  const char *names[2] = {"weight", "bias"};
  for (int k = 0; k < 2; k++) {
    if (!src[k]) continue;
    PyObject *a = k == 0 ? PyArray_SimpleNew(nd, kd, want_codes ? NPY_INT64 : NPY_FLOAT64)
                         : PyArray_SimpleNew(1, cd, want_codes ? NPY_INT64 : NPY_FLOAT64);
    if (a) {
      npy_intp n = PyArray_SIZE((PyArrayObject *)a);
      if (want_codes) memcpy(PyArray_DATA((PyArrayObject *)a), src[k], (size_t)n * sizeof(int64_t));
      else {
        double *v = PyArray_DATA((PyArrayObject *)a);
        for (npy_intp j = 0; j < n; j++) v[j] = nf_fixed_to_double(types[k], src[k][j]);
      }
    }
    if (!a || PyDict_SetItemString(res, names[k], a)) {
      Py_XDECREF(a);
      Py_DECREF(res);
      return NULL;
    }
    Py_DECREF(a);
  }
  return res;
}

/* design_emulate(design, X, upto, codes) -> values (float64) or codes (int64)
 * of layer upto (-1: the last hardware layer) */
static PyObject *py_design_emulate(PyObject *self, PyObject *args) {
  PyObject *cap, *xo;
  int upto = -1, want_codes = 0;
  if (!PyArg_ParseTuple(args, "OO|ip", &cap, &xo, &upto, &want_codes)) return NULL;
  nf_design *d = get_design(cap);
  if (!d) return NULL;
  if (upto < 0) upto = design_n_hw(d) - 1;
  if (upto >= design_n_layers(d)) return PyErr_Format(PyExc_IndexError, "layer %d out of range", upto);
  PyArrayObject *x = as_matrix(xo, NPY_FLOAT32, design_n_inputs(d), "X");
  if (!x) return NULL;
  long n = (long)PyArray_DIM(x, 0);
  int cols = design_layer_n_out(d, upto);
  PyObject *out = new_matrix(n, cols, want_codes ? NPY_INT64 : NPY_FLOAT64);
  int64_t *in = malloc(((size_t)n * design_n_inputs(d) + 1) * sizeof *in);
  int64_t *codes = want_codes ? NULL : malloc(((size_t)n * cols + 1) * sizeof *codes);
  if (!out || !in || (!want_codes && !codes)) {
    Py_DECREF(x);
    Py_XDECREF(out);
    free(in);
    free(codes);
    return PyErr_NoMemory();
  }
  int64_t *dst = want_codes ? PyArray_DATA((PyArrayObject *)out) : codes;
  nf_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_emulate_inputs(d, PyArray_DATA(x), n, in, &err);
  if (!rc) rc = nf_emulate(d, in, n, upto, dst, &err);
  Py_END_ALLOW_THREADS Py_DECREF(x);
  free(in);
  if (!rc && !want_codes) {
    double *v = PyArray_DATA((PyArrayObject *)out);
    const nf_fixed_type *t = design_layer_result_t(d, upto);
    for (size_t k = 0; k < (size_t)n * cols; k++) v[k] = nf_fixed_to_double(t, codes[k]);
  }
  free(codes);
  if (rc) {
    Py_DECREF(out);
    return raise_nf(&err, rc);
  }
  return out;
}

/* project_write(design, dir, model_path or None, config_text, rtl) */
static PyObject *py_project_write(PyObject *self, PyObject *args) {
  PyObject *cap;
  const char *dir, *model_path, *cfg;
  int rtl = 1;
  if (!PyArg_ParseTuple(args, "Oszs|p", &cap, &dir, &model_path, &cfg, &rtl)) return NULL;
  nf_design *d = get_design(cap);
  if (!d) return NULL;
  nf_project_spec spec = {.design = d, .model_path = model_path, .config_text = cfg, .rtl = rtl};
  nf_rtl_info info;
  memset(&info, 0, sizeof info);
  nf_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_project_write(&spec, dir, rtl ? &info : NULL, &err);
  Py_END_ALLOW_THREADS if (rc) return raise_nf(&err, rc);
  if (!rtl) return Py_BuildValue("{}");
  return Py_BuildValue("{s:i,s:i}", "latency_cycles", info.latency, "ii", info.ii);
}

/* ---- Project stages: cosim, synth, estimate -------------------------------- */
static PyObject *py_cosim(PyObject *self, PyObject *args) {
  const char *dir, *simname;
  PyObject *xo;
  if (!PyArg_ParseTuple(args, "sOs", &dir, &xo, &simname)) return NULL;
  nf_error err = {0};
  nf_simulator sim;
  int rc = nf_simulator_parse(simname, &sim, &err);
  if (rc) return raise_nf(&err, rc);
  nf_project *p = NULL;
  rc = nf_project_open(dir, &p, &err);
  if (rc) return raise_nf(&err, rc);
  if (!project_has_rtl(p)) {
    nf_fail(&err, NF_EINPUT, "%s: converted without RTL; nothing to co-simulate", dir);
    nf_project_free(p);
    return raise_nf(&err, NF_EINPUT);
  }
  PyArrayObject *x = as_matrix(xo, NPY_FLOAT64, project_n_in(p), "X");
  if (!x) {
    nf_project_free(p);
    return NULL;
  }
  nf_project_cosim_opts o = {.simulator = sim, .rows = PyArray_DATA(x), .n_rows = (long)PyArray_DIM(x, 0),
                             .quiet = true};
  nf_project_cosim r;
  memset(&r, 0, sizeof r);
  Py_BEGIN_ALLOW_THREADS rc = nf_project_cosim_run(p, &o, &r, &err);
  Py_END_ALLOW_THREADS Py_DECREF(x);
  nf_project_free(p);
  if (rc) return raise_nf(&err, rc);
  PyObject *s = PyUnicode_FromString(r.report_json ? r.report_json : "{}");
  free(r.report_json);
  return s; /* report.json's text; the Python layer parses it */
}

static PyObject *py_estimate(PyObject *self, PyObject *args) {
  const char *dir, *part = NULL;
  int use_dsp = 0;
  if (!PyArg_ParseTuple(args, "s|zp", &dir, &part, &use_dsp)) return NULL;
  nf_estimate e;
  nf_error err = {0};
  int rc = nf_project_estimate(dir, part, use_dsp, &e, &err);
  if (rc) return raise_nf(&err, rc);
  PyObject *layers = PyList_New(e.n_layers);
  for (int i = 0; layers && i < e.n_layers; i++) {
    const nf_estimate_layer *l = &e.layers[i];
    PyObject *o = Py_BuildValue("{s:s,s:s,s:i,s:i,s:i,s:d,s:d,s:d,s:d,s:d,s:d}", "name", l->name, "kind",
                                l->kind,
                                "n_in", l->n_in, "n_out", l->n_out, "reuse", l->reuse, "lut", l->lut, "ff", l->ff,
                                "dsp", l->dsp, "bram", l->bram, "alm", l->alm, "reg", l->reg);
    if (!o) Py_CLEAR(layers);
    else PyList_SET_ITEM(layers, i, o);
  }
  PyObject *res = layers ? Py_BuildValue("{s:s,s:d,s:d,s:d,s:d,s:d,s:d,s:d,s:d,s:N,s:{s:s,s:d,s:d,s:d,s:d,s:O}}",
                                         "part", e.device->name, "lut", e.lut, "ff", e.ff, "dsp", e.dsp, "bram",
                                         e.bram, "lut_pct", e.lut_pct, "ff_pct", e.ff_pct, "dsp_pct", e.dsp_pct,
                                         "bram_pct", e.bram_pct, "layers", layers, "agilex", "device",
                                         NF_AGILEX_DEVICE, "alm", e.alm, "reg", e.reg, "alm_pct", e.alm_pct,
                                         "reg_pct", e.reg_pct, "estimate", Py_True)
                         : NULL;
  nf_estimate_free(&e);
  return res;
}

/* synth(dir, part, use_dsp, clock_ns, timeout_s): Yosys on the project's
 * RTL; the work files go to <dir>/synth (whole or not at all). */
static PyObject *py_synth(PyObject *self, PyObject *args) {
  const char *dir, *part;
  int use_dsp = 0;
  double clock_ns = 0, timeout_s = 0;
  if (!PyArg_ParseTuple(args, "ss|pdd", &dir, &part, &use_dsp, &clock_ns, &timeout_s)) return NULL;
  nf_error err = {0};
  if (!nf_device_find(part)) {
    nf_fail(&err, NF_EINPUT, "unknown part '%s'", part);
    return raise_nf(&err, NF_EINPUT);
  }
  nf_synth_opts so = {.abc9 = true, .part = part, .use_dsp = use_dsp, .clock_ns = clock_ns, .timeout_s = timeout_s,
                      .quiet = true};
  char top[256], out_dir[4200], *tmp_dir = NULL, **files = NULL;
  int latency = 0;
  snprintf(out_dir, sizeof out_dir, "%s/synth", dir);
  int rc = nf_project_sources(dir, &files, top, sizeof top, &err);
  nf_project *p = NULL;
  if (!rc && nf_project_open(dir, &p, NULL) == NF_OK) {
    if (so.clock_ns <= 0) so.clock_ns = project_clock(p) > 0 ? project_clock(p) : 5.0;
    latency = project_latency(p);
    snprintf(top, sizeof top, "%s", project_top(p));
    nf_project_free(p);
  }
  so.top = top;
  so.verilog_files = (const char *const *)files;
  nf_synth_result r;
  memset(&r, 0, sizeof r);
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp_dir, &err);
  if (!rc) {
    so.work_dir = tmp_dir;
    Py_BEGIN_ALLOW_THREADS rc = nf_synth_run(&so, &r, &err);
    Py_END_ALLOW_THREADS
  }
  if (!rc) rc = nf_outdir_commit(tmp_dir, out_dir, &err);
  else if (tmp_dir) nf_outdir_abort(tmp_dir);
  free(tmp_dir);
  nf_project_sources_free(files);
  if (rc) return raise_nf(&err, rc);
  PyObject *res = Py_BuildValue("{s:s,s:s,s:l,s:l,s:l,s:l,s:l,s:d,s:l,s:d,s:d,s:d,s:d,s:d,s:s}", "top", top, "part",
                                r.part, "lut", r.lut, "lut_logic", r.lut_logic, "lut_memory", r.lut_memory, "ff",
                                r.ff, "dsp", r.dsp, "bram", r.bram, "carry", r.carry, "lut_pct", r.lut_pct, "ff_pct",
                                r.ff_pct, "dsp_pct", r.dsp_pct, "bram_pct", r.bram_pct, "seconds", r.seconds, "tool",
                                "yosys synth_xilinx (open-source counts, not Vivado's)");
  if (res && r.timing.valid) {
    PyObject *t = Py_BuildValue("{s:d,s:d,s:d,s:O,s:d,s:i,s:s,s:s}", "critical_path_ns", r.timing.critical_path_ns,
                                "fmax_mhz", r.timing.fmax_mhz, "clock_period_ns", r.clock_ns, "meets_timing",
                                r.meets_timing ? Py_True : Py_False, "slack_ns", r.slack_ns, "latency_cycles",
                                latency, "path_start", r.timing.start, "path_end", r.timing.end);
    if (!t || PyDict_Update(res, t)) Py_CLEAR(res);
    Py_XDECREF(t);
  }
  return res;
}

/* ---- Data ------------------------------------------------------------------- */
static PyObject *dataset_arrays(nf_dataset *ds) {
  PyObject *x = new_matrix(ds->n_rows, ds->n_features, NPY_FLOAT32);
  npy_intp n = ds->n_rows;
  PyObject *y = PyArray_SimpleNew(1, &n, NPY_INT64);
  PyObject *feat = PyList_New(ds->n_features), *cls = PyList_New(ds->n_classes);
  if (!x || !y || !feat || !cls) {
    Py_XDECREF(x), Py_XDECREF(y), Py_XDECREF(feat), Py_XDECREF(cls);
    return NULL;
  }
  memcpy(PyArray_DATA((PyArrayObject *)x), ds->x, (size_t)ds->n_rows * ds->n_features * sizeof(float));
  int64_t *yy = PyArray_DATA((PyArrayObject *)y);
  for (long i = 0; i < ds->n_rows; i++) yy[i] = ds->y[i];
  for (int i = 0; i < ds->n_features; i++)
    PyList_SET_ITEM(feat, i, PyUnicode_FromString(ds->feature_names ? ds->feature_names[i] : ""));
  for (int i = 0; i < ds->n_classes; i++)
    PyList_SET_ITEM(cls, i, PyUnicode_FromString(ds->class_names ? ds->class_names[i] : ""));
  return Py_BuildValue("(NNNN)", x, y, feat, cls);
}

static PyObject *py_data_synth(PyObject *self, PyObject *args) {
  long n;
  unsigned long long seed;
  if (!PyArg_ParseTuple(args, "lK", &n, &seed)) return NULL;
  nf_dataset ds;
  memset(&ds, 0, sizeof ds);
  nf_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_data_synth(n, seed, &ds, &err);
  Py_END_ALLOW_THREADS if (rc) return raise_nf(&err, rc);
  PyObject *res = dataset_arrays(&ds);
  nf_dataset_free(&ds);
  return res;
}

static PyObject *py_data_load(PyObject *self, PyObject *args) {
  const char *path;
  if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
  nf_dataset ds;
  memset(&ds, 0, sizeof ds);
  nf_error err = {0};
  int rc;
  Py_BEGIN_ALLOW_THREADS rc = nf_data_load(path, &ds, &err);
  Py_END_ALLOW_THREADS if (rc) return raise_nf(&err, rc);
  PyObject *res = dataset_arrays(&ds);
  nf_dataset_free(&ds);
  return res;
}

/* A dataset view of arrays x [n][f] float32 and y [n] int32 (not owned). */
static nf_dataset dataset_view(PyArrayObject *x, PyArrayObject *y, int n_classes) {
  nf_dataset ds;
  memset(&ds, 0, sizeof ds);
  ds.n_rows = (long)PyArray_DIM(x, 0);
  ds.n_features = (int)PyArray_DIM(x, 1);
  ds.n_classes = n_classes;
  ds.x = PyArray_DATA(x);
  ds.y = PyArray_DATA(y);
  return ds;
}

static PyObject *py_data_save(PyObject *self, PyObject *args) {
  const char *path;
  PyObject *xo, *yo;
  if (!PyArg_ParseTuple(args, "sOO", &path, &xo, &yo)) return NULL;
  PyArrayObject *x = as_matrix(xo, NPY_FLOAT32, -1, "X");
  PyArrayObject *y = x ? (PyArrayObject *)PyArray_FROMANY(yo, NPY_INT32, 1, 1, NPY_ARRAY_CARRAY_RO) : NULL;
  if (!y) {
    Py_XDECREF(x);
    return NULL;
  }
  if (PyArray_DIM(y, 0) != PyArray_DIM(x, 0)) {
    Py_DECREF(x), Py_DECREF(y);
    return PyErr_Format(PyExc_ValueError, "X has %ld rows, y %ld", (long)PyArray_DIM(x, 0), (long)PyArray_DIM(y, 0));
  }
  int n_classes = NF_JET_CLASSES;
  const int *yy = PyArray_DATA(y);
  for (long i = 0; i < (long)PyArray_DIM(y, 0); i++)
    if (yy[i] + 1 > n_classes) n_classes = yy[i] + 1;
  nf_dataset ds = dataset_view(x, y, n_classes);
  char *fnames[256], *cnames[256], buf[256][16];
  bool jets = ds.n_features == NF_JET_FEATURES && n_classes == NF_JET_CLASSES;
  for (int i = 0; i < ds.n_features && i < 256; i++) {
    snprintf(buf[i], sizeof buf[i], "x%d", i);
    fnames[i] = jets ? (char *)NF_JET_FEATURE_NAMES[i] : buf[i];
  }
  char cbuf[256][16];
  for (int i = 0; i < n_classes && i < 256; i++) {
    snprintf(cbuf[i], sizeof cbuf[i], "c%d", i);
    cnames[i] = jets ? (char *)NF_JET_CLASS_NAMES[i] : cbuf[i];
  }
  nf_error err = {0};
  int rc = NF_OK;
  if (ds.n_features > 256 || n_classes > 256) rc = nf_fail(&err, NF_EINPUT, "%s: too many columns or classes", path);
  ds.feature_names = fnames;
  ds.class_names = cnames;
  if (!rc) rc = nf_data_save(path, &ds, &err);
  Py_DECREF(x), Py_DECREF(y);
  if (rc) return raise_nf(&err, rc);
  Py_RETURN_NONE;
}

/* ---- Training --------------------------------------------------------------- */
static PyObject *epoch_dict(const nf_epoch_stats *s) {
  return Py_BuildValue("{s:i,s:d,s:d,s:d,s:d,s:d,s:d}", "epoch", s->epoch, "loss", s->loss, "accuracy", s->acc,
                       "val_loss", s->val_loss, "val_accuracy", s->val_acc, "lr", s->lr, "seconds", s->seconds);
}

/* train(X, y, train_rows, val_rows, hidden, opts dict) -> (model, history list)
 * opts: epochs, batch, lr, seed, l1, l2, patience, batchnorm, dropout, bits,
 * quant (nf_qat_apply_spec text), prune (nf_prune_setup targets),
 * prune_schedule, prune_global, optimizer ("adam"/"sgd"). */
static PyObject *py_train(PyObject *self, PyObject *args) {
  PyObject *xo, *yo, *tro, *vao, *hid_o, *opts_d;
  if (!PyArg_ParseTuple(args, "OOOOOO!", &xo, &yo, &tro, &vao, &hid_o, &PyDict_Type, &opts_d)) return NULL;
  int epochs = 30, batch = 1024, patience = 0, bits = 0, batchnorm = 0, prune_global = 0;
  double lr = 1e-3, l1 = 0, l2 = 0, dropout = 0;
  unsigned long long seed = NF_SEARCH_DEFAULT_SEED;
  const char *quant = NULL, *prune = NULL, *schedule = NULL, *optimizer = "adam";
  {
    PyObject *empty = PyTuple_New(0);
    static char *kw[] = {"epochs", "batch", "lr", "seed", "l1", "l2", "patience", "batchnorm", "dropout",
                         "bits", "quant", "prune", "prune_schedule", "prune_global", "optimizer", NULL};
    int ok = empty && PyArg_ParseTupleAndKeywords(empty, opts_d, "|iidKddipdizzzps", kw, &epochs, &batch, &lr, &seed,
                                                  &l1, &l2, &patience, &batchnorm, &dropout, &bits, &quant, &prune,
                                                  &schedule, &prune_global, &optimizer);
    Py_XDECREF(empty);
    if (!ok) return NULL;
  }
  PyArrayObject *x = as_matrix(xo, NPY_FLOAT32, -1, "X");
  PyArrayObject *y = x ? (PyArrayObject *)PyArray_FROMANY(yo, NPY_INT32, 1, 1, NPY_ARRAY_CARRAY_RO) : NULL;
  PyArrayObject *tr = y ? (PyArrayObject *)PyArray_FROMANY(tro, NPY_LONG, 1, 1, NPY_ARRAY_CARRAY_RO) : NULL;
  PyArrayObject *va = tr ? (PyArrayObject *)PyArray_FROMANY(vao, NPY_LONG, 1, 1, NPY_ARRAY_CARRAY_RO) : NULL;
  PyArrayObject *hid = va ? (PyArrayObject *)PyArray_FROMANY(hid_o, NPY_INT32, 1, 1, NPY_ARRAY_CARRAY_RO) : NULL;
  if (!hid) {
    Py_XDECREF(x), Py_XDECREF(y), Py_XDECREF(tr), Py_XDECREF(va);
    return NULL;
  }
  nf_error err = {0};
  int rc = NF_OK;
  long n = (long)PyArray_DIM(x, 0);
  const int *yy = PyArray_DATA(y);
  int n_classes = 0;
  if (PyArray_DIM(y, 0) != n) rc = nf_fail(&err, NF_EINPUT, "X has %ld rows, y %ld", n, (long)PyArray_DIM(y, 0));
  for (long i = 0; !rc && i < n; i++) {
    if (yy[i] < 0) rc = nf_fail(&err, NF_EINPUT, "y[%ld] = %d: labels are class indices >= 0", i, yy[i]);
    else if (yy[i] + 1 > n_classes) n_classes = yy[i] + 1;
  }
  const long *rows[2] = {PyArray_DATA(tr), PyArray_DATA(va)};
  long nrows[2] = {(long)PyArray_DIM(tr, 0), (long)PyArray_DIM(va, 0)};
  for (int s = 0; s < 2 && !rc; s++)
    for (long i = 0; i < nrows[s] && !rc; i++)
      if (rows[s][i] < 0 || rows[s][i] >= n) rc = nf_fail(&err, NF_EINPUT, "row index %ld out of range", rows[s][i]);
  if (!rc && nrows[0] == 0) rc = nf_fail(&err, NF_EINPUT, "no training rows");
  nf_dataset ds = dataset_view(x, y, n_classes);
  nf_scaler sc;
  memset(&sc, 0, sizeof sc);
  nf_model *m = NULL;
  nf_pruner *pruner = NULL;
  nf_train_result res;
  memset(&res, 0, sizeof res);
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = epochs, o.batch = batch, o.lr = lr, o.seed = seed, o.l1 = l1, o.l2 = l2, o.patience = patience;
  if (!strcmp(optimizer, "sgd")) o.optimizer = NF_OPT_SGD;
  else if (strcmp(optimizer, "adam")) rc = rc ? rc : nf_fail(&err, NF_EINPUT, "optimizer '%s': adam or sgd", optimizer);
  if (!rc) rc = nf_scaler_fit(&ds, rows[0], nrows[0], &sc, &err);
  if (!rc) {
    m = nf_mlp_build(ds.n_features, PyArray_DATA(hid), (int)PyArray_DIM(hid, 0), n_classes, batchnorm,
                     (float)dropout, &err);
    if (!m) rc = err.code ? err.code : NF_EINTERNAL;
  }
  if (!rc) rc = nf_model_init_weights(m, seed, &err);
  if (!rc) rc = nf_model_set_scaler(m, sc.mean, sc.scale, &err);
  if (!rc && n_classes == NF_JET_CLASSES && ds.n_features == NF_JET_FEATURES) {
    rc = nf_model_set_class_names(m, NF_JET_CLASS_NAMES, NF_JET_CLASSES, &err);
    if (!rc) rc = nf_model_set_feature_names(m, NF_JET_FEATURE_NAMES, NF_JET_FEATURES, &err);
  }
  if (!rc && bits > 0) rc = nf_qat_set_uniform(m, bits, &err);
  if (!rc && quant) rc = nf_qat_apply_spec(m, quant, &err);
  if (!rc && (bits > 0 || quant)) rc = nf_qat_finish(m, &err);
  if (!rc && prune) {
    long steps = (long)epochs * ((nrows[0] + batch - 1) / batch);
    nf_prune_schedule sched;
    rc = nf_prune_setup(m, prune, schedule, prune_global ? NF_PRUNE_GLOBAL : NF_PRUNE_PER_LAYER, steps, &o, &sched,
                        &pruner, &err);
  }
  if (!rc) {
    Py_BEGIN_ALLOW_THREADS rc = nf_train(m, ds.x, ds.y, rows[0], nrows[0], rows[1], nrows[1], &o, &res, &err);
    Py_END_ALLOW_THREADS
  }
  nf_pruner_free(pruner);
  nf_scaler_free(&sc);
  Py_DECREF(x), Py_DECREF(y), Py_DECREF(tr), Py_DECREF(va), Py_DECREF(hid);
  if (rc) {
    free(res.history);
    nf_model_free(m);
    return raise_nf(&err, rc);
  }
  PyObject *hist = PyList_New(res.epochs_run);
  for (int i = 0; hist && i < res.epochs_run; i++) {
    PyObject *e = epoch_dict(&res.history[i]);
    if (!e) Py_CLEAR(hist);
    else PyList_SET_ITEM(hist, i, e);
  }
  int best = res.best_epoch;
  free(res.history);
  PyObject *mc = wrap_model(m);
  if (!hist || !mc) {
    Py_XDECREF(hist), Py_XDECREF(mc);
    return NULL;
  }
  return Py_BuildValue("(NNi)", mc, hist, best);
}

/* ---- Search ----------------------------------------------------------------- */
/* search(dir, exe, specs list, data or None, part, epochs, min_accuracy,
 * budget_s, jobs, synth_k, seed, relax_ns) -> search.json text */
static PyObject *py_search(PyObject *self, PyObject *args) {
  const char *dir, *exe, *data, *part;
  PyObject *specs_o;
  int epochs, jobs, synth_k;
  double min_acc, budget;
  unsigned long long seed = 1;
  double relax = NF_SEARCH_DEFAULT_RELAX_NS;
  if (!PyArg_ParseTuple(args, "ssO!zsiddii|Kd", &dir, &exe, &PyList_Type, &specs_o, &data, &part, &epochs, &min_acc,
                        &budget, &jobs, &synth_k, &seed, &relax))
    return NULL;
  nf_error err = {0};
  int rc = NF_OK;
  Py_ssize_t n = PyList_GET_SIZE(specs_o);
  enum { SPACE_MAX = 4096 };
  nf_search_candidate *cands = calloc(n ? (size_t)n : SPACE_MAX, sizeof *cands);
  if (!cands) return PyErr_NoMemory();
  for (Py_ssize_t i = 0; i < n && !rc; i++) {
    const char *s = PyUnicode_AsUTF8(PyList_GET_ITEM(specs_o, i));
    if (!s) {
      free(cands);
      return NULL;
    }
    rc = nf_search_parse_spec(s, &cands[i], &err);
  }
  /* the caller's own candidates are run as given; the default space evolves */
  bool given = n > 0;
  if (!rc && n == 0) n = nf_search_default_space(cands, SPACE_MAX, seed);
  nf_search_opts o = {.dir = dir, .job = {.exe = exe, .data = data, .part = part, .epochs = epochs},
                      .min_accuracy = min_acc, .budget_s = budget, .jobs = jobs, .synth_k = synth_k,
                      .relax_ns = relax, .grid_only = given};
  nf_search_outcome out;
  memset(&out, 0, sizeof out);
  char *json = NULL;
  if (!rc) rc = nf_mkdir_p(dir, &err);
  if (!rc) {
    Py_BEGIN_ALLOW_THREADS o.t0 = nf_now();
    rc = nf_search_explore(&o, cands, (int)n, &err);
    if (!rc) rc = nf_search_finish(&o, &out, &err);
    Py_END_ALLOW_THREADS
  }
  if (!rc && !(json = nf_search_outcome_json(&out, &o, true))) rc = nf_fail_oom(&err, "search JSON");
  nf_search_outcome_free(&out);
  free(cands);
  if (rc) return raise_nf(&err, rc);
  PyObject *s = PyUnicode_FromString(json);
  free(json);
  return s;
}

static PyMethodDef methods[] = {
    {"set_error_type", py_set_error_type, METH_O, "set_error_type(cls): the exception library errors raise"},
    {"model_open", py_model_open, METH_VARARGS, "model_open(path, weights=None) -> model handle"},
    {"model_save", py_model_save, METH_VARARGS, "model_save(model, path)"},
    {"model_info", py_model_info, METH_VARARGS, "model_info(model) -> dict"},
    {"model_summary", py_model_summary, METH_VARARGS, "model_summary(model) -> str"},
    {"model_forward", py_model_forward, METH_VARARGS, "model_forward(model, X, upto=-1) -> float64 array"},
    {"config_generate", py_config_generate, METH_VARARGS, "config_generate(model, granularity, auto) -> JSON text"},
    {"design_build", py_design_build, METH_VARARGS, "design_build(model, config_text, origin, calib) -> design"},
    {"design_info", py_design_info, METH_VARARGS, "design_info(design) -> dict"},
    {"design_layer_info", py_design_layer_info, METH_VARARGS, "design_layer_info(design, i) -> dict"},
    {"design_layer_weights", py_design_layer_weights, METH_VARARGS,
     "design_layer_weights(design, i, codes=False) -> {weight, bias}"},
    {"model_layer_info", py_model_layer_info, METH_VARARGS, "model_layer_info(model, i) -> dict"},
    {"model_layer_weights", py_model_layer_weights, METH_VARARGS, "model_layer_weights(model, i) -> dict of arrays"},
    {"design_emulate", py_design_emulate, METH_VARARGS, "design_emulate(design, X, upto=-1, codes=False) -> array"},
    {"project_write", py_project_write, METH_VARARGS, "project_write(design, dir, model_path, config, rtl) -> dict"},
    {"cosim", py_cosim, METH_VARARGS, "cosim(dir, X, simulator) -> report.json text"},
    {"estimate", py_estimate, METH_VARARGS, "estimate(dir, part=None, use_dsp=False) -> dict"},
    {"synth", py_synth, METH_VARARGS, "synth(dir, part, use_dsp, clock_ns, timeout_s) -> dict"},
    {"data_synth", py_data_synth, METH_VARARGS, "data_synth(n, seed) -> (X, y, features, classes)"},
    {"data_load", py_data_load, METH_VARARGS, "data_load(path) -> (X, y, features, classes)"},
    {"data_save", py_data_save, METH_VARARGS, "data_save(path, X, y)"},
    {"train", py_train, METH_VARARGS, "train(X, y, train_rows, val_rows, hidden, opts) -> (model, history, best)"},
    {"search", py_search, METH_VARARGS, "search(dir, exe, specs, data, part, epochs, min_acc, budget, jobs, synth_k)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "nnfirm._core",
                                       "libnnfirm's C API for the nnfirm package (private; use nnfirm).", -1, methods};

/* The library loaded (through the run path, or LD_LIBRARY_PATH) must be built
 * from the headers this file was compiled against (NNFIRM_ABI_ID, from
 * setup.py): otherwise the field accesses above would misread its structs.
 * A mismatch raises ImportError naming both builds; nothing else is called. */
static int check_library(void) {
  const char *lib_id = nf_abi_id();
  if (!strcmp(lib_id, NNFIRM_ABI_ID)) return 0;
  Dl_info info;
  const char *path = dladdr((void *)nf_abi_id, &info) && info.dli_fname ? info.dli_fname : "libnnfirm.so";
  PyErr_Format(PyExc_ImportError,
               "nnfirm: %s (version %s, headers %.12s) does not match this nnfirm package, which was compiled "
               "against headers %.12s (from %s/include, for the build %s). The library and the package must "
               "come from the same headers: rebuild the library (cmake --build build) and reinstall the package "
               "(pip install --no-build-isolation ./python), or unset LD_LIBRARY_PATH if it points at another "
               "libnnfirm.so.",
               path, nf_version(), lib_id, NNFIRM_ABI_ID, NNFIRM_SOURCE_DIR, NNFIRM_BUILD_DIR);
  return -1;
}

PyMODINIT_FUNC PyInit__core(void) {
  if (check_library()) return NULL;
  import_array();
  PyObject *mod = PyModule_Create(&moduledef);
  if (!mod) return NULL;
  if (PyModule_AddStringConstant(mod, "BUILD_DIR", NNFIRM_BUILD_DIR) < 0 ||
      PyModule_AddStringConstant(mod, "ABI_ID", NNFIRM_ABI_ID) < 0 ||
      PyModule_AddStringConstant(mod, "LIBRARY_VERSION", nf_version()) < 0 ||
      PyModule_AddStringConstant(mod, "SOURCE_DIR", NNFIRM_SOURCE_DIR) < 0) {
    Py_DECREF(mod);
    return NULL;
  }
  return mod;
}
