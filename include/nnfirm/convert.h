/* nnfirm — conversion: an hls4ml-style configuration turns a model graph
 * into a fixed-point design (SPEC §3), which the emulator runs bit for bit
 * and the RTL generator turns into Verilog.
 *
 * Configuration keys are hls4ml's (JSON or YAML; an hls4ml project file's
 * HLSConfig section is accepted too):
 *   Model:     {Precision, ReuseFactor, Strategy}
 *   LayerType: {Dense: {...}, Activation: {...}, Softmax: {...}}
 *   LayerName: {fc1: {Precision: {weight, bias, result, accum}, ReuseFactor}}
 *   IOType, ClockPeriod, Part, ProjectName, Softmax (true: in hardware)
 * Precision is one type string (every variable) or a per-variable map; the
 * value "auto" derives the type from calibration data. Resolution order:
 * built-in default ap_fixed<16,6> → QKeras quantizers → Model → LayerType →
 * LayerName. */
#ifndef NNFIRM_CONVERT_H
#define NNFIRM_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include "nnfirm/error.h"
#include "nnfirm/fixed.h"
#include "nnfirm/model.h"

/* ---- Configuration -------------------------------------------------------- */
typedef struct nf_config nf_config;

/* Parses JSON or YAML (by extension; content sniffed otherwise). The path
 * "default" gives nf_config_default(). */
int nf_config_load(const char *path, nf_config **out, nf_error *err);
int nf_config_parse(const char *text, size_t len, const char *origin, nf_config **out, nf_error *err);
/* The default configuration: ap_fixed<16,6> everywhere, ReuseFactor 1. */
nf_config *nf_config_default(nf_error *err);
void nf_config_free(nf_config *c);

/* Checks every key is known and every LayerName names a layer of m (the
 * error lists the valid names). */
int nf_config_validate(const nf_config *c, const nf_model *m, nf_error *err);

typedef enum { NF_GRAN_MODEL, NF_GRAN_TYPE, NF_GRAN_NAME } nf_granularity;
/* A starting configuration for m, as hls4ml's config_from_keras_model:
 * QKeras quantizers become exact types; auto_precision writes "auto" for
 * data-dependent types. Returns JSON text (caller frees). */
char *nf_config_generate(const nf_model *m, nf_granularity g, bool auto_precision, nf_error *err);

/* ---- Design ---------------------------------------------------------------- */

/* hls4ml's lookup-table softmax (SPEC §3): exp(x) from a table addressed by
 * the top index_bits bits of x's code, the sum of the exponentials in
 * exp_t through hls4ml's balanced adder tree, 1/sum from a second table
 * addressed by the top bits of the sum's code, then exp * inverse cast to
 * the layer's result_t. The "stable" implementation first subtracts the
 * largest input (ap_fixed<W,I,AP_RND,AP_SAT> of the input's W and I). */
typedef struct nf_softmax_tables {
  int table_size;     /* a power of two; index_bits = log2(table_size) */
  int index_bits;
  bool stable;        /* hls4ml implementation "stable" (default) or "latency" */
  nf_fixed_type exp_t, inv_t;
  int64_t *exp_table; /* [table_size] codes of exp_t */
  int64_t *inv_table; /* [table_size] codes of inv_t */
} nf_softmax_tables;

/* The table address of a code of type t: its top n bits (a type narrower
 * than n bits is extended with zero low bits). */
static inline unsigned nf_softmax_index(int64_t code, const nf_fixed_type *t, int n) {
  uint64_t mask = t->width >= 64 ? ~0ull : (1ull << t->width) - 1, bits = ((uint64_t)code) & mask;
  return (unsigned)(t->width >= n ? bits >> (t->width - n) : bits << (n - t->width));
}

/* hls4ml's lookup-table activations (nnet_activation.h): a table of `size`
 * entries of table_t, entry i the function at in = R (i - size/2) / size
 * (R = 16 for sigmoid and softplus, 8 for tanh; computed as hls4ml's templates do, in
 * float, then converted to table_t with its own rounding), addressed by
 * i = trunc(x size / R) + (R/2 size) / R, truncating toward zero, clamped
 * to [0, size - 1]; the entry is then cast to the layer's result_t.
 * Defaults: size 1024, table_t ap_fixed<18,8> (hls4ml's). */
typedef struct nf_act_table {
  int size;                /* 0: the activation has no table */
  nf_fixed_type table_t;
  int64_t *codes;          /* [size] codes of table_t */
} nf_act_table;

/* Whether activation a is one of hls4ml's table activations spanning
 * [-R/2, R/2) (sigmoid, tanh, softplus), and its range R. */
bool nf_act_table_range(nf_activation a, int *range);
/* Whether activation a reads a lookup table: those, and ELU and SELU, whose
 * tables span [-8, 0) (act_table.c). */
bool nf_act_has_table(nf_activation a);
/* hls4ml's fixed constants, as codes (its conversions truncate): hard_sigmoid's
 * slope 0.2 in ap_ufixed<16,0> and shift 0.5 in ap_ufixed<2,0> (what its
 * Keras reader sets), SELU's lambda 1.0507009873554805 in ap_ufixed<16,1>. */
enum {
  NF_HARD_SIGMOID_SLOPE = 13107, /* floor(0.2 2^16) */
  NF_HARD_SIGMOID_SLOPE_FRAC = 16,
  NF_HARD_SIGMOID_SHIFT = 2, /* 0.5 2^2 */
  NF_HARD_SIGMOID_SHIFT_FRAC = 2,
  NF_SELU_LAMBDA_CODE = 34429, /* floor(1.0507009873554805 2^15) */
  NF_SELU_LAMBDA_FRAC = 15,
};
/* The parameters (hls4ml's param, codes of weight_t in a design layer's
 * weights) of activation a over n elements: 1 for leaky_relu,
 * thresholded_relu and elu, n for prelu, else 0. */
static inline int nf_act_param_count(nf_activation a, int n) {
  return a == NF_ACT_PRELU ? n : a == NF_ACT_LEAKY_RELU || a == NF_ACT_THRESHOLDED_RELU || a == NF_ACT_ELU ? 1 : 0;
}
/* Builds t->codes for activation a (t->size and t->table_t set); errors name
 * the layer. */
int nf_act_table_build(nf_act_table *t, nf_activation a, const char *layer, nf_error *err);
/* The table index of input code x of type in_t (hls4ml's addressing). */
int nf_act_table_index(const nf_act_table *t, int range, int64_t x, const nf_fixed_type *in_t);
/* ELU / SELU: the index of a negative input code x, trunc(x N / -8) at
 * most N - 1. */
int nf_act_table_neg_index(const nf_act_table *t, int64_t x, const nf_fixed_type *in_t);

/* A node of the fixed-point layer graph: the model's node after the design
 * passes (BatchNormalization folded into its Dense, Dropout removed), with
 * every variable's exact type and the weights as integer codes. Its kind is
 * the model's (layers.def); a design holds only kinds the emulator and the
 * RTL generator take (NF_LAYER_DENSE, NF_LAYER_ACTIVATION,
 * NF_LAYER_BATCHNORM after a BinaryDense / TernaryDense: see below, and
 * NF_LAYER_QUANT, HGQ's per-element casts). The
 * emulator and the RTL generator both read this one description.
 *
 * A BatchNormalization node (src/convert/batchnorm.c) is either per-feature
 * thresholds fused with the binary_tanh / ternary_tanh after it (act is that
 * activation; weights[j] = hi, bias[j] = lo, codes at input_t's scale held
 * in weight_t / bias_t; y = +1 if x > hi, -1 if x < lo, else 0, in result_t
 * ap_fixed<2,2>), or, with act linear, y = (result_t)(x * weights[j] +
 * bias[j]) with the scale in weight_t and the bias in bias_t, exact before
 * the cast. */
typedef struct nf_design_layer {
  char name[NF_NAME_MAX];  /* the source model's layer name */
  nf_layer_kind kind;
  nf_shape in_shape, out_shape;
  int n_in, n_out;         /* their sizes */
  nf_fixed_type input_t;   /* = the previous layer's result_t */
  nf_fixed_type result_t;
  /* Dense (+ folded BatchNormalization), Conv (+ folded BatchNormalization),
   * a BatchNormalization of its own (weights: its scale, bias: its shift),
   * Pooling (accum_t: the sum or the maximum) */
  nf_fixed_type weight_t, bias_t, accum_t;
  int64_t *weights;        /* codes of weight_t: Dense [n_in][n_out]; Conv [kh][kw][C][F]; BatchNormalization [C] */
  int64_t *bias;           /* codes of bias_t: [channels] (Dense n_out, Conv F, BatchNormalization C) */
  /* Conv, Pooling, ZeroPadding: the model node's window geometry (model.h) */
  int ksize[2], stride[2], pad[4];
  int filters;
  nf_pool_op pool_op;
  bool pool_global;
  int reuse_factor;
  /* io_parallel Conv: output pixels computed per step (hls4ml's ParallelizationFactor; the
   * out_pixels / PF partitions in turn); 0: every output pixel at once */
  int parallelization_factor;
  /* Activation */
  nf_activation act;
  float act_alpha;
  nf_softmax_tables softmax;
  nf_act_table table;      /* sigmoid, tanh, softplus, elu, selu: hls4ml's lookup table */
  /* FixedPointQuantizer (HGQ): element j is input j cast to elem_t[j]
   * (width 0: the constant 0), held as the same value in result_t, the
   * type that holds every element's values exactly. [n_out], else NULL. */
  nf_fixed_type *elem_t;
} nf_design_layer;

typedef struct nf_design {
  char project[NF_NAME_MAX]; /* top module name, default "myproject" */
  int n_inputs, n_outputs;
  nf_fixed_type input_t;
  int n_layers;
  nf_design_layer *layers;
  /* Layers [0, n_hw) are in hardware; a trailing softmax is not unless the
   * configuration says Softmax: true (argmax of the logits decides). */
  int n_hw;
  float *scaler_mean, *scaler_scale; /* the model's input standardization, or NULL */
  char **class_names;                /* [n_outputs] or NULL */
  char strategy[16];
  char io_type[24];
  char part[64];
  double clock_period_ns;
  double pipeline_derate_ns;         /* 0: the RTL's pipeline placement budgets ClockPeriod per stage; else
                                        ClockPeriod minus this (re-pipelining until the netlist timing meets the
                                        clock, nnfirm/project.h; negative: a longer budget than the clock) */
  unsigned rtl_style;                /* 0; NF_RTL_STYLE_* (nnfirm/rtl.h) for the generator's style comparisons */
  int cmm;                           /* ConstantMatrix: how a fully parallel Dense's constant matrix is built
                                        (NF_CMM_*; docs/firmware.md) */
  int lut_bits;                      /* LutNeurons: 0 off; else a fully parallel Dense followed by a ReLU whose
                                        neurons each read at most this many input bits may be built as truth
                                        tables, where the generator's cost says they are cheaper (nnfirm/rtl.h) */
  bool relu_fusion;                  /* ReLUFusion (default on): a fully parallel Dense and the ReLU after it are
                                        one module, the ReLU's rounding in the sums and its clip before the
                                        register (nf_rtl_relu_fold, src/rtl/emit.h); off: two modules */
  long line_bram_bits;               /* LineBufferBRAMBits: an io_stream line buffer whose line holds at least
                                        this many bits is block RAM; 0: NF_RTL_LINE_BRAM_BITS (nnfirm/rtl.h) */
} nf_design;

/* ConstantMatrix: a fully parallel Dense layer's products and sums as CSD
 * products shared per (input, odd weight) with one balanced tree per output
 * (csd, the default), as one adder graph of sums shared between outputs (cse,
 * where every product is exact; src/rtl/cse.c), or whichever of the two the
 * generator's cost says is cheaper, per layer (auto). csd stays the default
 * until the delay model is calibrated on shared sums (docs/firmware.md). */
enum { NF_CMM_CSD = 0, NF_CMM_CSE = 1, NF_CMM_AUTO = 2 };
/* LutNeurons: "off", "auto" (NF_LUT_BITS_DEFAULT index bits) or the most
 * index bits of a neuron's truth table, 1..NF_LUT_BITS_MAX. */
enum { NF_LUT_BITS_DEFAULT = 8, NF_LUT_BITS_MAX = 12 };

/* "auto" / "cse" / "csd" -> NF_CMM_*, -1 for anything else; and back. */
int nf_design_cmm_parse(const char *s);
const char *nf_design_cmm_name(int cmm);

/* The types of an HGQ FixedPointQuantizer node l (model.h): element j's
 * (width 0 when its bits are 0) and the type that holds all of them. */
nf_fixed_type nf_fpq_elem_type(const nf_layer *l, int j);
nf_fixed_type nf_fpq_result_type(const nf_layer *l);

/* Builds the design: folds BatchNormalization into the preceding Dense
 * (double precision), drops Dropout, resolves precisions, quantizes weights
 * and biases with their types' own Q/O modes, builds softmax tables.
 * calib (may be NULL) serves "auto" precisions: rows of raw features. */
int nf_design_build(const nf_model *m, const nf_config *c, const float *calib, long n_calib, nf_design **out,
                    nf_error *err);
void nf_design_free(nf_design *d);
int nf_design_find_layer(const nf_design *d, const char *name);

/* A project directory: manifest.json, config.json (resolved), weights.json
 * (quantized codes), plus rtl/ and tb/ from the firmware stage. */
int nf_design_save(const nf_design *d, const char *dir, nf_error *err);
int nf_design_load(const char *dir, nf_design **out, nf_error *err);

/* ---- Overflow check -----------------------------------------------------------
 * Every result / accumulator type that cannot hold the values its layer takes
 * on calibration rows (the float model's values, so the check needs no
 * hardware): the fraction of values outside the type's range. */
typedef struct nf_overflow {
  char layer[NF_NAME_MAX];
  const char *variable; /* "result" or "accum" */
  char type[96];
  double rate;          /* fraction of values out of range, > 0 */
  double max_abs;       /* largest |value| seen */
} nf_overflow;

/* Fills up to max findings into out and their count into *n_out. */
int nf_design_check_overflow(const nf_model *m, const nf_design *d, const float *x, long n, nf_overflow *out,
                             int max, int *n_out, nf_error *err);

#endif
