/* A BatchNormalization node in the generator (after a BinaryDense /
 * TernaryDense; nnfirm/convert.h):
 *  - thresholds fused with a sign activation: per feature two constant
 *    comparisons and a constant select, y = x > hi ? 1 : x < lo ? -1 : 0
 *    (constant where the input's range decides), no register;
 *  - the affine y = (result_t)(x scale + bias): a Dense with a diagonal
 *    weight matrix and an accumulator holding x scale + bias exactly, so
 *    the Dense emitter's CSD constant multipliers, adder trees and pipeline
 *    registers build it, and its reference computes it. */
#include <stdio.h>
#include <stdlib.h>

#include "emit.h"

/* The node's scale and shift are per channel (the last axis of its shape):
 * value i of an image takes channel i % channels. */
static int bn_channels(const nf_design_layer *L) {
  int c = L->in_shape.rank ? L->in_shape.dim[L->in_shape.rank - 1] : L->n_in;
  return c > 0 ? c : 1;
}

/* ---- Thresholds ---------------------------------------------------------------- */

typedef struct {
  nf_code one, zero, minus; /* result_t codes of +1, 0, -1 */
} sign_codes;

static sign_codes codes_of(const nf_design_layer *L) {
  return (sign_codes){nf_fixed_cast_code(&L->result_t, 1, 0), nf_fixed_cast_code(&L->result_t, 0, 0),
                      nf_fixed_cast_code(&L->result_t, -1, 0)};
}

static int threshold_emit(rtl_gen *g, const nf_design_layer *L, int *latency) {
  *latency = 0;
  const nf_fixed_type *ti = &L->input_t, *tr = &L->result_t;
  sign_codes c = codes_of(L);
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  fprintf(g->fp, "  // <layer>_x<i>: input i; <layer>_y<i> = x > hi_i ? 1 : x < lo_i ? -1 : 0 in result_t\n"
                 "  // (the normalization and the %s folded into per-feature thresholds)\n",
          nf_activation_name(L->act));
  for (int i = 0; i < L->n_in && !g->oom; i++) {
    int x = nf_rtl_dense_input(g, in, i, ti);
    if (g->oom) break;
    nf_code xlo = g->sigs[x].lo, xhi = g->sigs[x].hi, hi = L->weights[i % bn_channels(L)], lo = L->bias[i % bn_channels(L)];
    bool can_one = xhi > hi, can_minus = xlo < lo, can_zero = lo <= hi && xhi >= lo && xlo <= hi;
    nf_code ylo = 2, yhi = -2;
    if (can_one) ylo = ylo < c.one ? ylo : c.one, yhi = yhi > c.one ? yhi : c.one;
    if (can_zero) ylo = ylo < c.zero ? ylo : c.zero, yhi = yhi > c.zero ? yhi : c.zero;
    if (can_minus) ylo = ylo < c.minus ? ylo : c.minus, yhi = yhi > c.minus ? yhi : c.minus;
    int y = nf_rtl_new_sig(g, ylo, yhi, "%s_y%d", g->layer, i);
    if (g->oom) break;
    int wy = g->sigs[y].width, wx = g->sigs[x].width;
    /* the thresholds lie in [xlo - 1, xhi + 1] where they decide anything */
    nf_code th = hi < xlo - 1 ? xlo - 1 : hi > xhi ? xhi : hi, tl = lo < xlo ? xlo : lo > xhi + 1 ? xhi + 1 : lo;
    int wc = nf_rtl_signed_width(xlo - 1, xhi + 1);
    wc = wc > wx ? wc : wx;
    char l1[64], l0[64], lm[64], lh[64], ll[64], xe[2 * RTL_NAME + 80], e[4 * RTL_NAME + 400];
    nf_rtl_literal(l1, sizeof l1, c.one, wy);
    nf_rtl_literal(l0, sizeof l0, c.zero, wy);
    nf_rtl_literal(lm, sizeof lm, c.minus, wy);
    nf_rtl_literal(lh, sizeof lh, th, wc);
    nf_rtl_literal(ll, sizeof ll, tl, wc);
    int n_out = can_one + can_zero + can_minus;
    if (n_out <= 1) {
      snprintf(e, sizeof e, "%s", can_one ? l1 : can_zero ? l0 : lm); /* constant by the input's range */
    } else {
      nf_rtl_sext(g, xe, sizeof xe, x, wc);
      if (can_one && can_minus && can_zero)
        snprintf(e, sizeof e, "(%s > %s) ? %s : (%s < %s) ? %s : %s", xe, lh, l1, xe, ll, lm, l0);
      else if (can_one)
        snprintf(e, sizeof e, "(%s > %s) ? %s : %s", xe, lh, l1, can_zero ? l0 : lm);
      else
        snprintf(e, sizeof e, "(%s < %s) ? %s : %s", xe, ll, lm, l0);
    }
    nf_rtl_wire(g, y, e);
    if (g->cost) g->cost->sat_bits += (long)nf_rtl_live_bits(g, x) * (n_out - 1) + nf_rtl_live_bits(g, y);
    char ye[2 * RTL_NAME + 80];
    nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, tr->width);
    fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", i * tr->width, tr->width, ye);
    rtl_out_range(g, i, y);
  }
  fprintf(g->fp, "  assign out_valid = in_valid;\n");
  nf_rtl_sink(g, "clk, rst");
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void threshold_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  sign_codes c = codes_of(L);
  for (int i = 0; i < L->n_in; i++) y[i] = x[i] > L->weights[i % bn_channels(L)] ? c.one : x[i] < L->bias[i % bn_channels(L)] ? c.minus : c.zero;
}

/* ---- The affine as a diagonal Dense ------------------------------------------------ */

/* The Dense equivalent of an affine node: weights diag(scale), the node's
 * bias, and an accumulator of the exact fraction and range of x scale + bias
 * over the input type. Caller frees weights. */
static int as_dense(const nf_design_layer *L, nf_design_layer *D, nf_error *err) {
  *D = *L;
  D->kind = NF_LAYER_DENSE;
  D->reuse_factor = 1;
  size_t n = (size_t)L->n_in;
  int c = bn_channels(L);
  D->weights = nf_calloc(n * n, sizeof *D->weights, err);
  D->bias = nf_calloc(n, sizeof *D->bias, err);
  if (!D->weights || !D->bias) {
    free(D->weights), free(D->bias);
    D->weights = D->bias = NULL;
    return NF_EINTERNAL;
  }
  for (size_t i = 0; i < n; i++) D->weights[i * n + i] = L->weights[i % c], D->bias[i] = L->bias[i % c];
  int fp = nf_fixed_frac_bits(&L->input_t) + nf_fixed_frac_bits(&L->weight_t), fb = nf_fixed_frac_bits(&L->bias_t);
  int f = fp > fb ? fp : fb;
  nf_code xmin = nf_fixed_min_code(&L->input_t), xmax = nf_fixed_max_code(&L->input_t), lo = 0, hi = 0;
  for (size_t j = 0; j < n; j++) {
    nf_code p1 = xmin * D->weights[j * n + j] * ((nf_code)1 << (f - fp));
    nf_code p2 = xmax * D->weights[j * n + j] * ((nf_code)1 << (f - fp));
    nf_code b = (nf_code)D->bias[j] * ((nf_code)1 << (f - fb));
    nf_code a = (p1 < p2 ? p1 : p2) + b, z = (p1 < p2 ? p2 : p1) + b;
    lo = a < lo ? a : lo;
    hi = z > hi ? z : hi;
  }
  int w = nf_rtl_signed_width(lo, hi);
  w = w < 2 ? 2 : w;
  D->accum_t = nf_fixed_type_make(w, w - f, true);
  return NF_OK;
}

static int affine_check(const nf_design_layer *L, nf_error *err) {
  if (L->input_t.width + L->weight_t.width > 100 || L->bias_t.width > 100)
    return nf_fail(err, NF_EINPUT, "layer %s: BatchNormalization types too wide", L->name);
  return NF_OK;
}

/* ---- The kind's operations ------------------------------------------------------------ */

static int batchnorm_check(const nf_design_layer *L, nf_error *err) {
  if (!L->weights || !L->bias) return nf_fail(err, NF_EINPUT, "layer %s: no parameters", L->name);
  if (L->act == NF_ACT_LINEAR) return affine_check(L, err);
  if (L->act != NF_ACT_BINARY_TANH && L->act != NF_ACT_TERNARY_TANH && L->act != NF_ACT_BIPOLAR)
    return nf_fail(err, NF_EINPUT, "layer %s: BatchNormalization fused with %s has no RTL", L->name,
                   nf_activation_name(L->act));
  if (L->input_t.width > 100) return nf_fail(err, NF_EINPUT, "layer %s: input type too wide", L->name);
  return NF_OK;
}

static int batchnorm_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  if (L->act != NF_ACT_LINEAR) return threshold_emit(g, L, latency);
  nf_design_layer D;
  int rc = as_dense(L, &D, g->err);
  if (!rc) rc = nf_rtl_dense_ops.emit(g, top, &D, k, latency);
  free(D.weights), free(D.bias);
  return rc;
}

static void batchnorm_describe(FILE *fp, const nf_design_layer *L, long adders) {
  char tw[96], tb[96];
  nf_fixed_type_format(&L->weight_t, tw, sizeof tw);
  nf_fixed_type_format(&L->bias_t, tb, sizeof tb);
  if (L->act != NF_ACT_LINEAR)
    fprintf(fp, "//   thresholds hi, lo (codes of input_t, held in %s) with %s folded in\n", tw,
            nf_activation_name(L->act));
  else
    fprintf(fp, "//   y = x * scale + bias exactly, then cast; scale_t %s, bias_t %s; %ld adders\n", tw, tb, adders);
}

static void batchnorm_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  if (L->act != NF_ACT_LINEAR) return threshold_reference(L, x, y);
  int fp = nf_fixed_frac_bits(&L->input_t) + nf_fixed_frac_bits(&L->weight_t), fb = nf_fixed_frac_bits(&L->bias_t);
  int f = fp > fb ? fp : fb;
  for (int j = 0; j < L->n_in; j++) {
    nf_code v = nf_fixed_mul(x[j], L->weights[j % bn_channels(L)]) * ((nf_code)1 << (f - fp)) + (nf_code)L->bias[j % bn_channels(L)] * ((nf_code)1 << (f - fb));
    y[j] = nf_fixed_cast_code(&L->result_t, v, f);
  }
}

const nf_rtl_layer_ops nf_rtl_batchnorm_ops = {
    .what = "BatchNormalization",
    .check = batchnorm_check,
    .emit = batchnorm_emit,
    .describe = batchnorm_describe,
    .reference = batchnorm_reference,
};
