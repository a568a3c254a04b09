/* Inside the conversion stage: the parsed configuration and the precision
 * look-ups that the design builder uses. */
#ifndef NNFIRM_CONVERT_INTERNAL_H
#define NNFIRM_CONVERT_INTERNAL_H

#include <cjson/cJSON.h>

#include "nnfirm/convert.h"

struct nf_config {
  cJSON *root;       /* the whole file */
  const cJSON *hls;  /* the object holding Model / LayerType / LayerName */
  char origin[1024];
};

typedef enum { VAR_WEIGHT, VAR_BIAS, VAR_RESULT, VAR_ACCUM, N_VARS } precision_var;
extern const char *const NF_PRECISION_VAR_NAMES[N_VARS];

/* Rejects unknown keys anywhere in the configuration (messages list the
 * valid ones). */
int nf_config_check_keys(const nf_config *c, nf_error *err);


/* ---- Settings, resolved once ---------------------------------------------------
 * Every setting the design builder reads, resolved from the configuration
 * in one place (nf_config_resolve_*), with every value and range check
 * there: an error names the file, the key path and the value. */
typedef struct nf_global_settings {
  char project[NF_NAME_MAX]; /* ProjectName (a Verilog identifier), default "myproject" */
  char part[64];             /* Part, default "xcvu9p" */
  char strategy[16];         /* Model.Strategy, default "Latency" */
  char io_type[24];          /* IOType: io_parallel or io_stream; "" when the configuration does not say
                                (then io_stream for a model with convolutions or pooling, as hls4ml's
                                CNN examples run, else io_parallel) */
  double clock_period_ns;    /* ClockPeriod in (0, 1000], default 5 */
  long line_bram_bits;       /* LineBufferBRAMBits, an integer in 1..2^30; 0 when unset (the default) */
  int cmm;                   /* ConstantMatrix: NF_CMM_CSD (unset), NF_CMM_CSE or NF_CMM_AUTO */
  int lut_bits;              /* LutNeurons: 0 off, else the most index bits of a neuron's table */
  bool relu_fusion;          /* ReLUFusion: on (default) or off */
  bool softmax_in_hw;        /* Softmax: true puts the final softmax in hardware */
  const char *model_precision[N_VARS]; /* Model.Precision per variable, or NULL */
} nf_global_settings;

typedef struct nf_layer_settings {
  const char *precision[N_VARS]; /* most specific of LayerName, LayerType: type string, "auto", or NULL */
  int reuse_factor;              /* ReuseFactor in 1..4096, default 1 */
  int parallelization_factor;    /* ParallelizationFactor, 0 where the key is absent */
  bool resource;                 /* Strategy (LayerName, LayerType, then Model) is Resource */
  /* Softmax (hls4ml's table settings) */
  int table_size;                /* a power of two in 2..2^20, default 1024 */
  bool stable;                   /* implementation "stable" (default) or "latency" */
  nf_fixed_type exp_table_t, inv_table_t; /* default ap_fixed<18,8,AP_RND,AP_SAT> */
  /* Table activations (sigmoid, tanh; type "Activation"): table_size (any
   * size in 2..2^20, default 1024) and table_t (default ap_fixed<18,8>) */
  nf_fixed_type table_t;
} nf_layer_settings;

int nf_config_resolve_globals(const nf_config *c, nf_global_settings *g, nf_error *err);
/* The settings of the layer called name, of hls4ml layer type type ("Dense",
 * "Activation", "Softmax", "Input"). */
int nf_config_resolve_layer(const nf_config *c, const char *name, const char *type, nf_layer_settings *s,
                            nf_error *err);

/* hls4ml's layer type of a model layer, as used under LayerType. */
const char *nf_config_layer_type(const nf_layer *l);
/* The quantizer on the model's input: a linear activation with a
 * quantized_bits quantizer before any other layer (QKeras' QActivation on
 * the input, nnfirm's QAT models); NULL if none. It fixes the input type. */
const nf_quantizer *nf_model_input_quantizer(const nf_model *m);

/* ---- The design pass, per layer kind (layers.def's convert column) ----------- */
typedef struct nf_design_ctx {
  const nf_config *c;
  const nf_model *m;
  const float *calib;   /* rows of raw features for "auto" precisions, or NULL */
  long n_calib;
  nf_error *err;
  nf_global_settings g; /* the configuration's design-wide settings, resolved once */
} nf_design_ctx;

typedef struct nf_convert_layer_ops {
  /* Builds design node d (name, shapes and input_t already set) from model
   * node li and the nodes after it that it absorbs; *next is the index of
   * the first model node it did not absorb (li + 1 unless it folds its
   * successor). *emitted = false when the node leaves no hardware (Dropout,
   * a cast to the type the value already has). NULL build: the kind cannot
   * stand alone in a design (the message comes from `refusal`). */
  int (*build)(nf_design_ctx *b, int li, nf_design_layer *d, int *next, bool *emitted);
  const char *refusal;
} nf_convert_layer_ops;

#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, ...) extern const nf_convert_layer_ops nf_convert_##CONVERT##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND

/* Resolves one variable's type: default ap_fixed<16,6> → Model → the type a
 * QKeras quantizer implies (qt, or NULL) → LayerType → LayerName. With
 * "auto": the range of `values` when given, else of model node `layer`'s
 * output on the calibration rows (layer < 0: the caller measures). */
int nf_design_resolve(nf_design_ctx *b, const char *name, const nf_layer_settings *ls, precision_var v,
                      const nf_fixed_type *qt, int layer, const float *values, size_t n_values, nf_fixed_type *out);
/* The fixed type a QKeras quantizer describes (hls4ml's reading), in buf, or
 * NULL for no quantizer. */
const nf_fixed_type *nf_design_quantizer_type(const nf_quantizer *q, nf_fixed_type *buf);
/* A quantized_po2 / quantized_relu_po2 weight or bias (what: "weight",
 * "bias") of `layer`: the narrowest type holding its quantized values v[n]
 * (powers of two, or 0 where pruned) exactly, signed for quantized_po2.
 * It is the variable's type whatever the configuration says, as hls4ml's
 * exponent type for such a quantizer is (the product is a shift). *is_po2
 * false (and t untouched) for other quantizers; NF_EINPUT past 64 bits. */
int nf_design_po2_type(const nf_quantizer *q, const double *v, size_t n, const char *layer, const char *what,
                       nf_fixed_type *t, bool *is_po2, nf_error *err);
/* Codes of v[n] in type t (its own rounding and overflow); errors name the layer. */
int nf_design_quantize(const nf_fixed_type *t, const double *v, size_t n, int64_t *out, const char *layer,
                       nf_error *err);

/* Whether the Dense m->layers[li] keeps the BatchNormalization after it as a
 * node of its own instead of folding it into its weights (dense.c says when). */
bool nf_design_dense_keeps_bn(const nf_model *m, int li);
/* Whether l is a FixedPointQuantizer whose every element is ternary with
 * step 1 (keep_negative, 2 bits, 2 integer bits, SAT_SYM: -1, 0, +1; a
 * QONNX Quant of 2 bits, signed, narrow, scale 1). */
bool nf_design_is_ternary_quant(const nf_layer *l);

/* The narrowest type in which a quantized Dense's (or a convolution's, over
 * its window of n_in values and n_out filters) sum b_j + sum_i w_ij x_i is
 * exact for every input of d->input_t (dense.c); false beyond 64 bits. */
bool nf_design_exact_sum_type(const nf_design_layer *d, int n_in, int n_out, nf_fixed_type *out);

/* Softmax tables (softmax.c): address bits of a table size; builds both
 * tables of s (table_size, exp_t, inv_t set) for inputs of type data_t. */
int nf_softmax_index_bits(int table_size);
int nf_softmax_tables_build(nf_softmax_tables *s, const nf_fixed_type *data_t, const char *layer, nf_error *err);
/* "stable" / "latency" (hls4ml's names); NF_EINPUT otherwise. */
int nf_softmax_parse_implementation(const char *s, bool *stable);

#endif
