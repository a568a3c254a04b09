/* Keras-summary()-style description of a model. */
#include <string.h>

#include "nnfirm/model.h"

static void rule(FILE *out, char c) {
  for (int i = 0; i < 78; i++) fputc(c, out);
  fputc('\n', out);
}

static void describe_quantizer(const nf_quantizer *q, char *buf, size_t n) {
  switch (q->kind) {
  case NF_QUANT_NONE: buf[0] = '\0'; break;
  case NF_QUANT_BITS:
    snprintf(buf, n, "quantized_bits(%d,%d%s%s)", q->bits, q->integer, q->symmetric ? ",symmetric" : "",
             q->keep_negative ? "" : ",unsigned");
    break;
  case NF_QUANT_RELU: snprintf(buf, n, "quantized_relu(%d,%d)", q->bits, q->integer); break;
  case NF_QUANT_BINARY: snprintf(buf, n, "binary"); break;
  case NF_QUANT_TERNARY: snprintf(buf, n, "ternary"); break;
  }
}

void nf_model_summary(const nf_model *m, FILE *out) {
  fprintf(out, "Model: %s\n", m->source[0] ? m->source : "(unnamed)");
  rule(out, '_');
  fprintf(out, "%-28s %-22s %-14s %10s\n", "Layer (type)", "Details", "Output Shape", "Param #");
  rule(out, '=');
  fprintf(out, "%-28s %-22s (None, %d)%*s%10d\n", "input (InputLayer)", m->scaler_mean ? "standardized" : "",
          m->n_features, m->n_features < 10 ? 5 : m->n_features < 100 ? 4 : 3, "", 0);
  long total = 0, non_trainable = 0, zeros = 0, weights = 0;
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    long t, nt;
    nf_layer_param_count(l, &t, &nt);
    total += t + nt;
    non_trainable += nt;
    char name[NF_NAME_MAX + 32], details[64] = "", q[48];
    snprintf(name, sizeof name, "%s (%s)", l->name, nf_layer_kind_name(l->kind));
    if (l->kind == NF_LAYER_ACTIVATION) {
      describe_quantizer(&l->act_q, q, sizeof q);
      snprintf(details, sizeof details, "%s", q[0] ? q : nf_activation_name(l->act));
    } else if (l->kind == NF_LAYER_DENSE) {
      describe_quantizer(&l->kernel_q, q, sizeof q);
      snprintf(details, sizeof details, "%s", q);
      for (long k = 0; k < (long)l->n_in * l->n_out; k++) {
        bool zero = l->kernel[k] == 0 || (l->mask && !l->mask[k]);
        zeros += zero;
      }
      weights += (long)l->n_in * l->n_out;
    } else if (l->kind == NF_LAYER_DROPOUT) {
      snprintf(details, sizeof details, "rate %.2f", l->rate);
    }
    char shape[32];
    snprintf(shape, sizeof shape, "(None, %d)", l->n_out);
    fprintf(out, "%-28s %-22s %-14s %10ld\n", name, details, shape, t + nt);
  }
  rule(out, '=');
  fprintf(out, "Total params: %ld\nTrainable params: %ld\nNon-trainable params: %ld\n", total, total - non_trainable,
          non_trainable);
  if (weights) fprintf(out, "Dense weight sparsity: %.1f%% (%ld of %ld zero)\n", 100.0 * zeros / weights, zeros, weights);
  rule(out, '_');
}
