/* Keras-summary()-style description of a model. */
#include <stdbool.h>
#include <string.h>

#include "nnfirm/model.h"

static void rule(FILE *out, char c, int width) {
  for (int i = 0; i < width; i++) fputc(c, out);
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
  case NF_QUANT_PO2:
  case NF_QUANT_RELU_PO2:
    if (q->has_max_value)
      snprintf(buf, n, "%s(%d,%g)", q->kind == NF_QUANT_PO2 ? "quantized_po2" : "quantized_relu_po2", q->bits, q->max_value);
    else
      snprintf(buf, n, "%s(%d)", q->kind == NF_QUANT_PO2 ? "quantized_po2" : "quantized_relu_po2", q->bits);
    break;
  case NF_QUANT_BINARY: snprintf(buf, n, "binary"); break;
  case NF_QUANT_TERNARY: snprintf(buf, n, "ternary"); break;
  }
}

/* Keras' form of an output shape: "(None, 8, 8, 5)". */
static void keras_shape(nf_shape s, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "(None");
  for (int i = 0; i < s.rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, ", %d", s.dim[i]);
  if (k < n) snprintf(buf + k, n - k, ")");
}

/* The first column is as wide as the longest "name (Type)", so imported
 * models with hls4ml's long split-activation names stay aligned. */
static int name_width(const nf_model *m) {
  int w = (int)strlen(m->input_name) + (int)strlen(" (InputLayer)");
  for (int i = 0; i < m->n_layers; i++) {
    int n = (int)(strlen(m->layers[i].name) + strlen(nf_layer_type_name(&m->layers[i])) + 3);
    if (n > w) w = n;
  }
  return w < 28 ? 28 : w;
}

void nf_model_summary(const nf_model *m, FILE *out) {
  /* Wider Details / Output Shape columns for convolutional models. */
  int dw = 22, sw = 14;
  if (m->input_shape.rank > 1) sw = 20;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_CONV) dw = m->layers[i].kernel_q.kind != NF_QUANT_NONE ? 34 : 26;
  int nw = name_width(m), width = nw + 1 + dw + 1 + sw + 1 + 10;
  char name[NF_NAME_MAX + 32], shape[32];
  fprintf(out, "Model: \"%s\"\n", m->source[0] ? m->source : "(unnamed)");
  rule(out, '_', width);
  fprintf(out, "%-*s %-*s %-*s %10s\n", nw, "Layer (type)", dw, "Details", sw, "Output Shape", "Param #");
  rule(out, '=', width);
  snprintf(name, sizeof name, "%s (InputLayer)", m->input_name);
  keras_shape(m->input_shape, shape, sizeof shape);
  fprintf(out, "%-*s %-*s %-*s %10d\n", nw, name, dw, m->scaler_mean ? "standardized" : "", sw, shape, 0);
  long total = 0, non_trainable = 0, zeros = 0, weights = 0;
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    long t, nt;
    nf_layer_param_count(l, &t, &nt);
    total += t + nt;
    non_trainable += nt;
    char details[64] = "", q[48];
    snprintf(name, sizeof name, "%s (%s)", l->name, nf_layer_type_name(l));
    if (l->kind == NF_LAYER_ACTIVATION) {
      describe_quantizer(&l->act_q, q, sizeof q);
      snprintf(details, sizeof details, "%s", q[0] ? q : nf_activation_name(l->act));
    } else if (l->kind == NF_LAYER_DENSE) {
      describe_quantizer(&l->kernel_q, q, sizeof q);
      snprintf(details, sizeof details, "%s", q);
      long z, n;
      nf_model_sparsity(m, i, &z, &n); /* zero as computed: masked or quantized to 0 */
      zeros += z;
      weights += n;
    } else if (l->kind == NF_LAYER_CONV || (l->kind == NF_LAYER_POOL && !l->pool_global)) {
      describe_quantizer(&l->kernel_q, q, sizeof q);
      bool one = l->in_shape.rank == 2;
      int k = one ? snprintf(details, sizeof details, "%d /%d", l->ksize[1], l->stride[1])
                  : snprintf(details, sizeof details, "%dx%d /%dx%d", l->ksize[0], l->ksize[1], l->stride[0], l->stride[1]);
      if (l->pad[0] + l->pad[1] + l->pad[2] + l->pad[3] && k < (int)sizeof details) k += snprintf(details + k, sizeof details - (size_t)k, " pad");
      if (q[0] && k < (int)sizeof details) snprintf(details + k, sizeof details - (size_t)k, " %s", q);
    } else if (l->kind == NF_LAYER_DROPOUT) {
      snprintf(details, sizeof details, "rate %.2f", l->rate);
    } else if (l->kind == NF_LAYER_BATCHNORM) {
      snprintf(details, sizeof details, "eps %g", l->epsilon);
    } else if (l->kind == NF_LAYER_QUANT) { /* the modes and the mean bits of its element types */
      long bits = 0;
      for (int j = 0; j < l->n_out; j++) {
        int k, b, in;
        nf_fpq_elem(l, j, &k, &b, &in);
        bits += b;
      }
      snprintf(details, sizeof details, "%s/%s %.2f bits", nf_fpq_round_name(l->fpq_q), nf_fpq_overflow_name(l->fpq_o),
               l->n_out ? (double)bits / l->n_out : 0.0);
    }
    keras_shape(l->out_shape, shape, sizeof shape);
    fprintf(out, "%-*s %-*s %-*s %10ld\n", nw, name, dw, details, sw, shape, t + nt);
  }
  rule(out, '=', width);
  fprintf(out, "Total params: %ld\nTrainable params: %ld\nNon-trainable params: %ld\n", total, total - non_trainable,
          non_trainable);
  if (weights) fprintf(out, "Dense weight sparsity: %.1f%% (%ld of %ld zero)\n", 100.0 * zeros / weights, zeros, weights);
  bool any = false; /* quantized kernels: the bits the weights actually use (per-weight precision shows here) */
  for (int i = 0; i < m->n_layers; i++) {
    double b = nf_layer_mean_weight_bits(&m->layers[i]);
    if (b != b) continue; /* NaN: not a quantized_bits kernel */
    fprintf(out, "%s %s %.2f/%d", any ? "" : "Mean bits of nonzero weights (of the type's):", m->layers[i].name, b,
            m->layers[i].kernel_q.bits);
    any = true;
  }
  if (any) fputc('\n', out);
  rule(out, '_', width);
}
