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

/* The type string configured for (layer name, layer type, variable), most
 * specific first: LayerName, LayerType, Model. NULL when none says. */
const char *nf_config_precision(const nf_config *c, const char *name, const char *type, precision_var v);
/* Same look-up for a numeric/string setting (ReuseFactor, table_size, …). */
const cJSON *nf_config_setting(const nf_config *c, const char *name, const char *type, const char *key);
/* A top-level setting (IOType, ClockPeriod, Part, ProjectName, Softmax). */
const cJSON *nf_config_global(const nf_config *c, const char *key);
/* Model.Precision for a variable (NULL when unset). */
const char *nf_config_model_precision(const nf_config *c, precision_var v);

/* hls4ml's layer type of a model layer, as used under LayerType. */
const char *nf_config_layer_type(const nf_layer *l);
/* The quantizer on the model's input: a linear activation with a
 * quantized_bits quantizer before any other layer (QKeras' QActivation on
 * the input, nnfirm's QAT models); NULL if none. It fixes the input type. */
const nf_quantizer *nf_model_input_quantizer(const nf_model *m);

/* Softmax tables (softmax.c): address bits of a table size; builds both
 * tables of s (table_size, exp_t, inv_t set) for inputs of type data_t. */
int nf_softmax_index_bits(int table_size);
int nf_softmax_tables_build(nf_softmax_tables *s, const nf_fixed_type *data_t, const char *layer, nf_error *err);
/* "stable" / "latency" (hls4ml's names); NF_EINPUT otherwise. */
int nf_softmax_parse_implementation(const char *s, bool *stable);

#endif
