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
 * Parallel over rows (OpenMP). */
int nf_emulate(const nf_design *d, const int64_t *in_codes, long n, int upto, int64_t *out, nf_error *err);

/* Convenience: raw features in, values (code * 2^-frac) of layer upto out. */
int nf_emulate_values(const nf_design *d, const float *x, long n, int upto, double *out, nf_error *err);

/* ---- Bit-width scan ---------------------------------------------------------
 * The tutorial's study: accuracy of the bit-accurate design with
 * ap_fixed<W,I> everywhere, for each total width W. */
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
