/* nnfirm — the bit-accurate emulator: exactly the output codes the hardware
 * produces (SPEC §3), computed with integer arithmetic on the codes. */
#ifndef NNFIRM_EMULATE_H
#define NNFIRM_EMULATE_H

#include <stdint.h>
#include "nnfirm/convert.h"

/* Raw feature rows [n][n_inputs] to input codes: the model's scaler (in
 * double precision), then the input type's cast of that double. */
int nf_emulate_inputs(const nf_design *d, const float *x, long n, int64_t *codes, nf_error *err);

/* Runs layers [0, upto] (upto = -1: every layer) on n rows of input codes;
 * out gets [n][layers[upto].n_out] codes of that layer's result_t.
 * Parallel over rows (OpenMP). Rows go through in blocks on integer lanes
 * (src/emulate/fast.c) when the types allow, else one by one through the
 * reference; NNFIRM_EMULATE_EXACT=1 in the environment forces the reference. */
int nf_emulate(const nf_design *d, const int64_t *in_codes, long n, int upto, int64_t *out, nf_error *err);
/* The same codes by the reference alone: each row through SPEC §3 literally
 * (128-bit codes, the fixed.h casts), the path the fast one is tested against. */
int nf_emulate_reference(const nf_design *d, const int64_t *in_codes, long n, int upto, int64_t *out, nf_error *err);

/* Convenience: raw features in, values (code * 2^-frac) of layer upto out. */
int nf_emulate_values(const nf_design *d, const float *x, long n, int upto, double *out, nf_error *err);

/* ---- Bit-width scan ---------------------------------------------------------
 * The tutorial's study: accuracy of the bit-accurate design with
 * ap_fixed<W,I> everywhere, for each total width W. */
/* ---- Prediction (nnfirm predict) ---------------------------------------------
 * Every row of x [n][n_features] through m: the output of layer `layer` (NULL:
 * the model's output; with cfg: the design's last hardware layer) of the
 * float model (values, double) or, with cfg, of the fixed-point design built
 * from it, bit-accurately (codes of type `type`; a layer name of the design:
 * a folded BatchNormalization and Dropout have none). An unknown name is
 * NF_EINPUT listing the names there are. */
typedef struct nf_prediction {
  long n;
  int cols;
  bool fixed;
  double *values;     /* float: [n][cols] */
  int64_t *codes;     /* fixed: [n][cols] codes of type */
  nf_fixed_type type;
} nf_prediction;

int nf_predict(const nf_model *m, const nf_config *cfg, const float *x, long n, const char *layer, nf_prediction *p,
               nf_error *err);
void nf_prediction_free(nf_prediction *p);
/* The rows as CSV (fixed: exact decimals of the codes; float: %.17g) into
 * path atomically, or to standard output when path is NULL. */
int nf_prediction_write(const nf_prediction *p, const char *path, nf_error *err);

typedef struct nf_scan_point {
  int bits, int_bits;
  double accuracy; /* argmax of the emulated logits vs the labels */
} nf_scan_point;

/* Rows x [n][n_features] (raw features: the model's scaler applies), labels
 * y [n]. int_bits < 0: chosen once from the largest |value| any layer (or
 * the standardized input) takes on the rows, plus a sign bit, capped at W.
 * out has bits_hi - bits_lo + 1 entries. */
int nf_scan_bits(const nf_model *m, const float *x, const int *y, long n, int bits_lo, int bits_hi, int int_bits,
                 nf_scan_point *out, double *float_accuracy, nf_error *err);

#endif
