/* nnfirm — the layer graph shared by import, training and conversion.
 *
 * A model is a chain of layer nodes from the input to n_outputs class scores
 * (the networks of the jet-tagging flow are chains; a Keras functional model
 * is accepted when it is one). A node has a kind (include/nnfirm/layers.def,
 * the one registry of kinds every stage dispatches on), an input and an
 * output shape of rank 1 to 3 (features; length x channels; height x width x
 * channels, channels last as in Keras), its parameters and its quantizers.
 * Each node's input shape is the previous node's output shape; n_in / n_out
 * are their sizes. Activations fused into a
 * framework's Dense are split into their own Activation layer named
 * "<dense>_<activation>" (hls4ml's naming), so a Dense always outputs its
 * pre-activation value.
 *
 * Weights are float32 (what the frameworks store). Dense kernels use Keras'
 * layout: kernel[i * n_out + j] connects input i to output j. Convolution
 * kernels too: kernel[((r * kw + c) * C + ch) * F + f] connects window row
 * r, column c, input channel ch to filter f (Keras' (kh, kw, C, F)).
 *
 * Convolutional nodes see a rank-3 shape as (height, width, channels) and a
 * rank-2 one as (length, channels), read as height 1: a Conv1D is a Conv2D
 * with kernel and stride 1 in rows and no row padding.
 */
#ifndef NNFIRM_MODEL_H
#define NNFIRM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "nnfirm/error.h"

enum { NF_NAME_MAX = 64 };

/* NF_LAYER_DENSE, NF_LAYER_BATCHNORM, ...: one per line of layers.def. */
typedef enum {
#define NF_LAYER_KIND(ID, ...) NF_LAYER_##ID,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
} nf_layer_kind;
enum { /* the number of kinds */
  NF_LAYER_KIND_COUNT = 0
#define NF_LAYER_KIND(...) +1
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

/* NF_ACT_RELU, ...: one per line of activations.def. LEAKY_RELU has the
 * slope act_alpha below zero, THRESHOLDED_RELU its theta there, ELU its
 * alpha; PRELU has one alpha per element in the layer's kernel[n_in]. */
typedef enum {
#define NF_ACTIVATION(ID, ...) NF_ACT_##ID,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
} nf_activation;
/* Keras' SELU constants (lambda elu_alpha(x)) */
#define NF_SELU_LAMBDA 1.0507009873554804934193349852946
#define NF_SELU_ALPHA 1.6732632423543772848170429916717
enum { /* the number of activations */
  NF_ACT_COUNT = 0
#define NF_ACTIVATION(...) +1
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

/* A tensor shape without the batch axis: rank 1 (features), 2 (length x
 * channels) or 3 (height x width x channels). */
enum { NF_SHAPE_MAX_RANK = 3 };
typedef struct nf_shape {
  int rank;
  int dim[NF_SHAPE_MAX_RANK];
} nf_shape;

static inline nf_shape nf_shape_1d(int n) { return (nf_shape){.rank = 1, .dim = {n}}; }
static inline long nf_shape_size(nf_shape s) {
  long n = 1;
  for (int i = 0; i < s.rank; i++) n *= s.dim[i];
  return s.rank ? n : 0;
}
static inline bool nf_shape_equal(nf_shape a, nf_shape b) {
  if (a.rank != b.rank) return false;
  for (int i = 0; i < a.rank; i++)
    if (a.dim[i] != b.dim[i]) return false;
  return true;
}
/* The (height, width, channels) a shape is read as by windowed layers:
 * rank 3 as it is, rank 2 (length, channels) as (1, length, channels),
 * rank 1 (n) as (1, 1, n). */
static inline void nf_shape_hwc(nf_shape s, int *h, int *w, int *c) {
  *h = s.rank == 3 ? s.dim[0] : 1;
  *w = s.rank == 3 ? s.dim[1] : s.rank == 2 ? s.dim[0] : 1;
  *c = s.rank ? s.dim[s.rank - 1] : 0;
}
/* The shape of rank `rank` (2 or 3) with those dimensions (h ignored for rank 2). */
static inline nf_shape nf_shape_from_hwc(int rank, int h, int w, int c) {
  return rank == 3 ? (nf_shape){.rank = 3, .dim = {h, w, c}} : (nf_shape){.rank = 2, .dim = {w, c}};
}
/* "(16)", "(32, 3)", "(8, 8, 1)" */
void nf_shape_format(nf_shape s, char *buf, size_t n);

/* QKeras quantizers (QKeras' forward semantics). They describe how a
 * quantization-aware model rounds its weights and activations; conversion
 * turns them into the design's fixed-point types. */
typedef enum {
  NF_QUANT_NONE,
  NF_QUANT_BITS,    /* quantized_bits(bits, integer, symmetric, keep_negative, alpha) */
  NF_QUANT_RELU,    /* quantized_relu(bits, integer) */
  NF_QUANT_BINARY,  /* binary(alpha): ±1 (or ±alpha) */
  NF_QUANT_TERNARY, /* ternary(alpha, threshold): -1, 0, +1 */
  NF_QUANT_PO2,     /* quantized_po2(bits, max_value): sign(x) * 2^e, e rounded in the log2 domain */
  NF_QUANT_RELU_PO2, /* quantized_relu_po2(bits, max_value): 2^e of max(x, 0) */
} nf_quant_kind;

typedef struct nf_quantizer {
  nf_quant_kind kind;
  int bits;
  int integer;
  bool symmetric;
  bool keep_negative;
  double alpha;     /* 1 when QKeras' alpha is None/1; for binary/ternary the scale */
  double threshold; /* ternary; 0 = QKeras' default */
  /* The weight quantizer of a BinaryDense / TernaryDense layer (hls4ml's
   * BinaryQuantizer / TernaryQuantizer rather than QKeras'): ternary gives
   * +1 above the threshold and -1 at or below minus it (QKeras: |x| >=
   * threshold), binary is QKeras' (+1 at and above 0). Such a Dense keeps
   * a BatchNormalization after it as a layer of its own, as hls4ml does. */
  bool dense_class;
  /* quantized_po2 / quantized_relu_po2: max_value (when has_max_value),
   * quadratic_approximation (even exponents), log2_rounding="floor"
   * (log2_floor; else "rnd", half to even). */
  bool has_max_value, quadratic, log2_floor;
  double max_value;
} nf_quantizer;

/* HGQ's FixedPointQuantizer modes (its RND and SAT settings), in the order
 * of fixed.h's nf_qmode / nf_omode that implement them. */
typedef enum {
  NF_FPQ_TRN, NF_FPQ_TRN_ZERO, NF_FPQ_RND, NF_FPQ_RND_ZERO, NF_FPQ_RND_MIN_INF, NF_FPQ_RND_INF, NF_FPQ_RND_CONV,
} nf_fpq_round;
typedef enum { NF_FPQ_WRAP, NF_FPQ_SAT, NF_FPQ_SAT_ZERO, NF_FPQ_SAT_SYM } nf_fpq_overflow;

/* Pooling operations. */
typedef enum { NF_POOL_MAX, NF_POOL_AVG } nf_pool_op;

/* Keras' "same" padding of one axis: pad_total = max((ceil(n / s) - 1) s + k - n, 0),
 * before = pad_total / 2 (rounded down), after = the rest. */
static inline void nf_same_padding(int n, int k, int s, int *before, int *after) {
  int out = (n + s - 1) / s, total = (out - 1) * s + k - n;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - total / 2;
}

typedef struct nf_layer {
  char name[NF_NAME_MAX];
  nf_layer_kind kind;
  nf_shape in_shape, out_shape;
  int n_in, n_out; /* nf_shape_size of in_shape, out_shape */

  /* Dense and Conv */
  float *kernel;  /* Dense [n_in][n_out]; Conv [kh][kw][C][F] (nf_layer_kernel_count values) */
  float *bias;    /* [channels] (n_out for Dense, F for Conv); NULL means no bias (use_bias=False) */
  uint8_t *mask;  /* like kernel: pruning mask (1 keep, 0 pruned); NULL = dense */
  nf_quantizer kernel_q, bias_q;

  /* Conv, Pooling, ZeroPadding: a window over (rows, columns) of the input
   * read as (height, width, channels) (nf_shape_hwc). Output rows
   * (H + pad_top + pad_bottom - kh) / sh + 1 (rounded down), columns alike.
   * Conv and ZeroPadding pad with zeros; Pooling ignores padded cells
   * (Keras' "same": a max over, and an average divided by, the cells that
   * overlap the input). */
  int ksize[2];   /* window rows, columns (ZeroPadding: unused) */
  int stride[2];  /* rows, columns */
  int pad[4];     /* top, bottom, left, right */
  int filters;    /* Conv: F, the output channels */
  nf_pool_op pool_op;
  bool pool_global; /* GlobalMax/AveragePooling: one window over the whole input, output (channels) */

  /* BatchNormalization (n_in == n_out), per channel (the last axis):
   * y = gamma (x - mean) / sqrt(var + eps) + beta */
  float *gamma, *beta, *moving_mean, *moving_var;
  float epsilon;

  /* Activation */
  nf_activation act;
  float act_alpha;     /* leaky ReLU slope, ThresholdedReLU theta, ELU alpha */
  nf_quantizer act_q;  /* QActivation / quantized_relu on the output */

  /* Dropout */
  float rate;

  /* FixedPointQuantizer (HGQ's proxy models, n_in == n_out): element j is
   * cast to ap_fixed<bits_j, integers_j> (ap_ufixed when keep_negative_j is
   * 0; the value 0 when bits_j is 0) in modes fpq_q / fpq_o, as HGQ's
   * gfixed_quantizer computes. fpq holds [3][fpq_n] values: keep_negative,
   * bits, integers (whole numbers, as the file stores them); fpq_n is 1 (one
   * type for every element) or n_in. */
  float *fpq;
  int fpq_n;
  nf_fpq_round fpq_q;
  nf_fpq_overflow fpq_o;
} nf_layer;

typedef struct nf_model {
  nf_shape input_shape; /* rank 1 (n_features) for the flat models of the jet flow */
  int n_features;       /* its size */
  int n_outputs;        /* n_out of the last layer */
  int n_layers;
  int cap_layers;
  nf_layer *layers;
  char **feature_names; /* [n_features] or NULL */
  char **class_names;   /* [n_outputs] or NULL */
  /* Input standardization fitted at training (x' = (x - mean) / scale),
   * applied before the first layer; NULL for models that take features as
   * given (imported ones). */
  float *scaler_mean, *scaler_scale;
  char source[256];     /* provenance, e.g. "keras:KERAS_3layer.json" */
  char input_name[NF_NAME_MAX]; /* the input layer's name ("input" unless the source names it) */
} nf_model;

/* ---- Building ------------------------------------------------------------ */
nf_model *nf_model_new(int n_features, nf_error *err);
void nf_model_free(nf_model *m);
/* Each add_* appends a layer taking the current output width as n_in and
 * allocates its parameters (zeroed; BN gamma/var = 1). Returns NULL on error. */
nf_layer *nf_model_add_dense(nf_model *m, const char *name, int n_out, bool use_bias, nf_error *err);
nf_layer *nf_model_add_batchnorm(nf_model *m, const char *name, float epsilon, nf_error *err);
/* A BatchNormalization's float forward value of channel ch for the input x,
 * computed as its forward pass computes it:
 * gamma (x - mean) / sqrt(var + eps) + beta. */
double nf_batchnorm_value(const nf_layer *l, int ch, double x);
nf_layer *nf_model_add_activation(nf_model *m, const char *name, nf_activation act, nf_error *err);
nf_layer *nf_model_add_dropout(nf_model *m, const char *name, float rate, nf_error *err);
/* A convolution of the current (rank-2 or rank-3) output with `filters`
 * filters, window ksize[2] (rows, columns), stride[2] and zero padding
 * pad[4] (top, bottom, left, right); a rank-2 input needs ksize[0] =
 * stride[0] = 1 and no row padding. */
nf_layer *nf_model_add_conv(nf_model *m, const char *name, int filters, const int ksize[2], const int stride[2],
                            const int pad[4], bool use_bias, nf_error *err);
/* Max or average pooling over windows ksize/stride with padding pad
 * (ignored cells); global: one window over the whole input. */
nf_layer *nf_model_add_pool(nf_model *m, const char *name, nf_pool_op op, bool global, const int ksize[2],
                            const int stride[2], const int pad[4], nf_error *err);
/* A FixedPointQuantizer of the current output with n_types (1 or the
 * output's size) element types, all zero (to be filled in). */
nf_layer *nf_model_add_fpq(nf_model *m, const char *name, int n_types, nf_fpq_round q, nf_fpq_overflow o,
                           nf_error *err);
/* Element j's keep_negative, bits, integers (j any output index). */
void nf_fpq_elem(const nf_layer *l, int j, int *keep_negative, int *bits, int *integers);
/* HGQ's result type of the quantizer: the largest sign bit k, integer bits
 * i (without the sign) and fraction bits f over its elements with bits > 0,
 * i.e. ap_fixed<k+i+f, k+i> (ap_ufixed when k is 0); false when every
 * element has bits 0. */
bool nf_fpq_union_kif(const nf_layer *l, int *k, int *i, int *f);
/* The float forward value of element j for the input x (what the layer's
 * forward pass computes for that element; NaN for a non-finite x). */
double nf_fpq_value(const nf_layer *l, int j, double x);
/* The names of the modes ("TRN", "WRAP", ...); NF_EINPUT for others. */
int nf_fpq_parse_round(const char *s, nf_fpq_round *out);
int nf_fpq_parse_overflow(const char *s, nf_fpq_overflow *out);
const char *nf_fpq_round_name(nf_fpq_round q);
const char *nf_fpq_overflow_name(nf_fpq_overflow o);
/* Zeros around the current rank-2/3 output: pad[4] top, bottom, left, right. */
nf_layer *nf_model_add_zeropad(nf_model *m, const char *name, const int pad[4], nf_error *err);
/* The same values in shape `to` (Flatten: rank 1); sizes must agree.
 * Channels-last order is row-major, so the values do not move. */
nf_layer *nf_model_add_reshape(nf_model *m, const char *name, nf_shape to, nf_error *err);
/* Inserts an activation layer before layer `index` (0 = right after the
 * input); it keeps the width it is inserted at. */
nf_layer *nf_model_insert_activation(nf_model *m, int index, const char *name, nf_activation act, nf_error *err);
/* A FixedPointQuantizer with one element type per value (all zero: fill
 * fpq's [3][n] keep_negative, bits, integers) inserted at index, as above. */
nf_layer *nf_model_insert_fpq(nf_model *m, int index, const char *name, nf_fpq_round q, nf_fpq_overflow o,
                              nf_error *err);
/* Removes the layer at index (one that keeps its width: the model still chains). */
void nf_model_remove_layer(nf_model *m, int index);
int nf_model_set_class_names(nf_model *m, const char *const *names, int n, nf_error *err);
int nf_model_set_feature_names(nf_model *m, const char *const *names, int n, nf_error *err);
int nf_model_set_scaler(nf_model *m, const float *mean, const float *scale, nf_error *err);
nf_model *nf_model_clone(const nf_model *m, nf_error *err);
/* Copies the trainable and running parameters (kernel, bias, BatchNorm
 * gamma/beta/moving statistics) of every layer of src into dst, which has
 * the same architecture (e.g. a checkpoint of the best epoch's weights into a
 * clone that keeps the scaler and names). */
void nf_model_copy_params(nf_model *dst, const nf_model *src);

/* Index of the layer with that name, or -1. */
int nf_model_find_layer(const nf_model *m, const char *name);
/* Checks every node's shapes (its input is the previous output, its output
 * what its kind infers from its input) and that its parameters are there
 * and finite; errors name the layer. */
int nf_model_validate(const nf_model *m, nf_error *err);

const char *nf_layer_kind_name(nf_layer_kind k);    /* "Dense", "BatchNormalization", … (layers.def) */
/* The Keras class a node stands for: "Conv2D", "MaxPooling1D",
 * "GlobalAveragePooling2D", "Flatten", … (else its kind's name). */
const char *nf_layer_type_name(const nf_layer *l);
/* Values in a Dense's or Conv's kernel (0 for other kinds). */
size_t nf_layer_kernel_count(const nf_layer *l);
/* The length of per-channel parameters (bias, BatchNormalization's):
 * the last axis of the output. */
int nf_layer_channels(const nf_layer *l);
const char *nf_activation_name(nf_activation a);    /* "relu", "softmax", … (activations.def) */
int nf_activation_parse(const char *s, nf_activation *out); /* Keras names; 0 or NF_EINPUT */
/* Parameter counts as Keras reports them (BN moving stats are non-trainable). */
void nf_layer_param_count(const nf_layer *l, long *trainable, long *non_trainable);

/* ---- Float inference ---------------------------------------------------- */
/* Forward pass in double precision over n rows of x [n][n_features]; writes
 * the output of layer `upto` (-1 = last) into out [n][that layer's n_out].
 * apply_scaler: standardize inputs with the model's scaler first. */
int nf_model_forward(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, double *out,
                     nf_error *err);
/* The same in float32, batch-major, through OpenBLAS sgemm with the bias and
 * the following activation fused (src/model/forward32.c), on the OpenMP
 * threads: Dense, Dropout and Activation linear/relu/leaky_relu/tanh/
 * sigmoid/softmax without a QKeras output quantizer; any other model goes
 * through nf_model_forward and is rounded to float32.
 * nf_model_forward_f32_takes: whether layers 0..upto take the fast path.
 * _reference: the fast path's computation written naively (tests). */
int nf_model_forward_f32(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, float *out,
                         nf_error *err);
bool nf_model_forward_f32_takes(const nf_model *m, int upto);
int nf_model_forward_f32_reference(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, float *out,
                                   nf_error *err);
/* y[k] = nf_quantizer_apply(q, x[k]) for k < n, the same values (every
 * bit), without a libm call or a branch per element for quantized_bits,
 * quantized_relu, binary and ternary (the po2 quantizers: one at a time);
 * y may equal x. */
void nf_quantizer_apply_n(const nf_quantizer *q, const double *x, double *y, long n);
/* QKeras' forward value of a quantizer (what a QAT model computes). */
double nf_quantizer_apply(const nf_quantizer *q, double x);
/* Reads QKeras' text form: "quantized_bits(6,0,alpha=1)",
 * "quantized_relu(6)", "quantized_relu(bits=4, integer=1)", "binary",
 * "ternary(threshold=0.5)" (positional and keyword arguments in QKeras'
 * constructor order, QKeras' defaults for the rest; settings nnfirm cannot
 * honour, such as stochastic rounding, are refused). A bare class name gives
 * that class's defaults. No consistency check. `where` prefixes errors. */
int nf_quantizer_read(const char *s, nf_quantizer *q, const char *where, nf_error *err);
/* nf_quantizer_read, then nf_quantizer_check. */
int nf_quantizer_parse(const char *s, nf_quantizer *q, const char *where, nf_error *err);
/* Consistency: 1 <= bits <= 32; quantized_bits needs integer + sign bit <=
 * bits, quantized_relu integer <= bits; alpha > 0; quantized_po2 /
 * quantized_relu_po2 an exponent of 0 to 6 bits (QKeras' range -2^n ..
 * 2^n - 1 with n = bits, less the sign of x for quantized_po2, less the
 * exponent's sign unless max_value <= 1) and max_value > 0. NF_EINPUT
 * naming `where`. */
int nf_quantizer_check(const nf_quantizer *q, const char *where, nf_error *err);
/* The exponents a quantized_po2 / quantized_relu_po2 can give, [*lo, *hi]
 * (quadratic_approximation: 2 * QKeras' range, and its -2^n for values
 * below Keras' epsilon); false for other quantizers. */
bool nf_quantizer_po2_range(const nf_quantizer *q, int *lo, int *hi);
/* QKeras-style text of a quantizer ("" for none), e.g. "quantized_bits(6,0,alpha=1)". */
void nf_quantizer_format(const nf_quantizer *q, char *buf, size_t n);

/* Fraction of Dense weights that are zero as the model computes them
 * (pruned by the mask, or quantized to zero) in layer `layer`, or in every
 * Dense layer (layer = -1); zeros/total may be NULL. 0 without weights. */
double nf_model_sparsity(const nf_model *m, int layer, long *zeros, long *total);

/* The bits each nonzero weight of a Dense with a quantized_bits kernel needs
 * (sign + integer + its fractional bits down to its last nonzero one:
 * 0.5 needs fewer than 0.53125), averaged over the nonzero weights; NaN
 * for other layers or when every weight is zero. Per-weight precision (HGQ)
 * shows here; the RTL builds each constant multiplier from exactly these
 * digits. */
double nf_layer_mean_weight_bits(const nf_layer *l);

/* ---- Native file format (.nnf) ------------------------------------------- */
int nf_model_save(const nf_model *m, const char *path, nf_error *err);
int nf_model_load(const char *path, nf_model **out, nf_error *err);
/* The same from memory (the fuzz harness); origin names the source in errors. */
int nf_model_load_bytes(const void *bytes, size_t len, const char *origin, nf_model **out, nf_error *err);
/* Keras-summary()-style table: layer, type, output shape, params. */
void nf_model_summary(const nf_model *m, FILE *out);

#endif
