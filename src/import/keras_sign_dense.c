/* BinaryDense and TernaryDense, the custom layers of hls4ml's binary and
 * ternary example models (KERAS_3layer_binary_smaller,
 * KERAS_3layer_ternary_small), read as hls4ml's Keras converter reads them:
 * a Dense whose kernel and bias go through hls4ml's BinaryQuantizer (+1 at
 * and above 0, -1 below) or TernaryQuantizer (+1 above 0.5, -1 at and below
 * -0.5, 0 between). The layers' training-time settings (kernel_lr_multiplier,
 * the Clip constraint) do not change the forward pass; their scale H does,
 * and only H = 1 (what hls4ml assumes) is taken. */
#include <string.h>

#include "import_internal.h"

int nf_keras_add_sign_dense(nf_model *m, const char *name, const cJSON *cfg, bool binary, const char *where,
                            nf_error *err) {
  const cJSON *units = cJSON_GetObjectItemCaseSensitive(cfg, "units");
  if (!cJSON_IsNumber(units) || !(units->valuedouble >= 1 && units->valuedouble <= 1e6) ||
      units->valuedouble != (int)units->valuedouble)
    return nf_fail(err, NF_EINPUT, "%s: %s without a valid 'units'", where, binary ? "BinaryDense" : "TernaryDense");
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(cfg, "H");
  if (h && !(cJSON_IsNumber(h) && h->valuedouble == 1.0)) {
    char shown[64] = "a non-number";
    if (cJSON_IsNumber(h)) snprintf(shown, sizeof shown, "%g", h->valuedouble);
    else if (cJSON_IsString(h)) snprintf(shown, sizeof shown, "'%.40s'", h->valuestring);
    return nf_fail(err, NF_EINPUT, "%s: H=%s is not supported (weights of +-H; hls4ml and nnfirm take H = 1)", where,
                   shown);
  }
  const cJSON *ub = cJSON_GetObjectItemCaseSensitive(cfg, "use_bias");
  bool use_bias = !(cJSON_IsBool(ub) && cJSON_IsFalse(ub)) && !(cJSON_IsNumber(ub) && ub->valuedouble == 0);
  const cJSON *act = cJSON_GetObjectItemCaseSensitive(cfg, "activation");
  if (act && !(cJSON_IsString(act) && !strcmp(act->valuestring, "linear")))
    return nf_fail(err, NF_EINPUT, "%s: a fused activation '%s' is not supported (use an Activation layer)", where,
                   cJSON_IsString(act) ? act->valuestring : "?");
  nf_layer *l = nf_model_add_dense(m, name, (int)units->valuedouble, use_bias, err);
  if (!l) return err->code;
  nf_quantizer q = {.kind = binary ? NF_QUANT_BINARY : NF_QUANT_TERNARY,
                    .bits = binary ? 1 : 2,
                    .alpha = 1,
                    .threshold = binary ? 0 : 0.5,
                    .dense_class = true};
  l->kernel_q = l->bias_q = q;
  return NF_OK;
}
