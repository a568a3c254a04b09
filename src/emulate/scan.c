/* The bit-width scan: one uniform ap_fixed<W,I> design per width, emulated
 * bit for bit, scored by argmax accuracy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"

static int argmax(const double *v, int n) {
  int a = 0;
  for (int k = 1; k < n; k++)
    if (v[k] > v[a]) a = k;
  return a;
}

static int argmax_codes(const int64_t *v, int n) {
  int a = 0;
  for (int k = 1; k < n; k++)
    if (v[k] > v[a]) a = k;
  return a;
}

/* Integer bits that hold every value the float model produces on the rows
 * (standardized inputs and every layer's output), with a sign bit. */
static int range_int_bits(const nf_model *m, const float *x, long n, int *out, nf_error *err) {
  double mx = 0;
  for (long i = 0; i < n * m->n_features; i++) {
    int f = (int)(i % m->n_features);
    double v = m->scaler_mean ? (x[i] - m->scaler_mean[f]) / m->scaler_scale[f] : x[i];
    mx = fmax(mx, fabs(v));
  }
  int width = 1;
  for (int l = 0; l < m->n_layers; l++) width = m->layers[l].n_out > width ? m->layers[l].n_out : width;
  double *y = malloc((size_t)n * width * sizeof *y);
  if (!y) return nf_fail_oom(err, "scan");
  for (int l = 0; l < m->n_layers; l++) {
    if (m->layers[l].kind == NF_LAYER_ACTIVATION && m->layers[l].act == NF_ACT_SOFTMAX) continue;
    int rc = nf_model_forward(m, x, n, l, true, y, err);
    if (rc) {
      free(y);
      return rc;
    }
    for (long i = 0; i < n * m->layers[l].n_out; i++) mx = fmax(mx, fabs(y[i]));
  }
  free(y);
  *out = mx > 0 ? (int)ceil(log2(mx * (1 + 1e-9))) + 1 : 1;
  if (*out < 1) *out = 1;
  return NF_OK;
}

int nf_scan_bits(const nf_model *m, const float *x, const int *y, long n, int bits_lo, int bits_hi, int int_bits,
                 nf_scan_point *out, double *float_accuracy, nf_error *err) {
  if (bits_lo < 2 || bits_hi > 32 || bits_lo > bits_hi)
    return nf_fail(err, NF_EINPUT, "bit range %d:%d must lie within 2:32", bits_lo, bits_hi);
  int n_out = m->n_outputs;
  double *p = malloc((size_t)n * n_out * sizeof *p);
  int64_t *codes = malloc((size_t)n * (n_out > m->n_features ? n_out : m->n_features) * sizeof *codes);
  int64_t *in = malloc((size_t)n * m->n_features * sizeof *in);
  int rc = (!p || !codes || !in) ? nf_fail_oom(err, "scan buffers") : NF_OK;
  if (!rc) rc = nf_model_forward(m, x, n, -1, true, p, err);
  long ok = 0;
  for (long i = 0; !rc && i < n; i++) ok += argmax(p + (size_t)i * n_out, n_out) == y[i];
  if (!rc) *float_accuracy = (double)ok / n;
  int auto_bits = int_bits;
  if (!rc && int_bits < 0) rc = range_int_bits(m, x, n, &auto_bits, err);
  for (int w = bits_lo; !rc && w <= bits_hi; w++) {
    nf_scan_point *pt = &out[w - bits_lo];
    pt->bits = w;
    pt->int_bits = auto_bits < w ? auto_bits : w;
    char text[128];
    snprintf(text, sizeof text, "{\"Model\": {\"Precision\": \"ap_fixed<%d,%d>\"}}", w, pt->int_bits);
    nf_config *c = NULL;
    nf_design *d = NULL;
    rc = nf_config_parse(text, strlen(text), "(scan)", &c, err);
    if (!rc) rc = nf_design_build(m, c, NULL, 0, &d, err);
    if (!rc) rc = nf_emulate_inputs(d, x, n, in, err);
    if (!rc) rc = nf_emulate(d, in, n, d->n_hw - 1, codes, err);
    long hit = 0;
    int k = d ? d->n_outputs : 0;
    for (long i = 0; !rc && i < n; i++) hit += argmax_codes(codes + (size_t)i * k, k) == y[i];
    pt->accuracy = rc ? 0 : (double)hit / n;
    nf_design_free(d);
    nf_config_free(c);
  }
  free(p);
  free(codes);
  free(in);
  return rc;
}
