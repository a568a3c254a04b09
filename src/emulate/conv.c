/* The convolutional nodes in the emulator (hls4ml's semantics, SPEC §3):
 *  - Conv: per output pixel and filter f, over the window in the order
 *    kernel rows, kernel columns, channels,
 *      acc = (accum_t) bias[f];  acc = (accum_t)(acc + (accum_t)(x * w));
 *      y = (result_t) acc
 *    with padded cells x = 0. That is a Dense over the gathered window, so a
 *    convolution runs the Dense kernel (dense.c, its exact and fast paths)
 *    on a view of its weights: n_in = kh*kw*C, n_out = F.
 *  - Pooling, as hls4ml's nnet_pooling.h computes it: max: the largest code
 *    of the cells inside the input, cast to accum_t then result_t; average:
 *    acc = 0; acc = (accum_t)(acc + x) over the cells inside the input, then
 *    acc / cells truncated toward zero at accum_t's fraction bits (ap_fixed's
 *    division by an integer), then (result_t) acc. Global pooling: one
 *    window over the whole input.
 *  - ZeroPadding: zero codes around the input; Reshape/Flatten: the codes
 *    unchanged.
 * (A BatchNormalization standing alone, per channel: batchnorm.c.) */
#include <stdlib.h>
#include <string.h>

#include "layers.h"

typedef struct {
  nf_design_layer view; /* the Dense over one window */
  void *dense_state;
} conv_prep;

static void conv_release(void *state) {
  conv_prep *p = state;
  if (!p) return;
  if (nf_emulate_dense_ops.release) nf_emulate_dense_ops.release(p->dense_state);
  free(p);
}

static int conv_window(const nf_design_layer *l) {
  int h, w, c;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  return l->ksize[0] * l->ksize[1] * c;
}

static int conv_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  conv_prep *p = nf_calloc(1, sizeof *p, err);
  if (!p) return NF_EINTERNAL;
  *state = p;
  p->view = *l;
  p->view.kind = NF_LAYER_DENSE;
  p->view.n_in = conv_window(l);
  p->view.n_out = l->filters;
  p->view.in_shape = nf_shape_1d(p->view.n_in);
  p->view.out_shape = nf_shape_1d(l->filters);
  return nf_emulate_dense_ops.prepare ? nf_emulate_dense_ops.prepare(&p->view, &p->dense_state, err) : NF_OK;
}

static size_t conv_scratch(const nf_design_layer *l) { return (size_t)conv_window(l) + (size_t)l->filters; }

static void conv_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  const conv_prep *p = state;
  int h, w, c, ho, wo, nf;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  nf_shape_hwc(l->out_shape, &ho, &wo, &nf);
  int64_t *win = scratch;                /* [kh][kw][C] */
  void *dense_scratch = win + p->view.n_in; /* the Dense kernel's own */
  size_t row = (size_t)l->ksize[1] * c;
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++) {
      for (int r = 0; r < l->ksize[0]; r++) {
        int iy = oy * l->stride[0] + r - l->pad[0];
        for (int q = 0; q < l->ksize[1]; q++) {
          int ix = ox * l->stride[1] + q - l->pad[2];
          int64_t *dst = win + r * row + (size_t)q * c;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) memset(dst, 0, (size_t)c * sizeof *dst); /* padding */
          else memcpy(dst, x + ((size_t)iy * w + ix) * c, (size_t)c * sizeof *dst);
        }
      }
      nf_emulate_dense_ops.forward(&p->view, p->dense_state, win, y + ((size_t)oy * wo + ox) * nf, dense_scratch);
    }
}

const nf_emulate_layer_ops nf_emulate_conv_ops = {
    .prepare = conv_prepare,
    .release = conv_release,
    .scratch = conv_scratch,
    .forward = conv_forward,
};

static void pool_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  (void)state;
  (void)scratch;
  int h, w, c, ho = 1, wo = 1, co;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  if (!l->pool_global) nf_shape_hwc(l->out_shape, &ho, &wo, &co);
  int kh = l->pool_global ? h : l->ksize[0], kw = l->pool_global ? w : l->ksize[1];
  int sh = l->pool_global ? 1 : l->stride[0], sw = l->pool_global ? 1 : l->stride[1];
  int pt = l->pool_global ? 0 : l->pad[0], pl = l->pool_global ? 0 : l->pad[2];
  int fx = nf_fixed_frac_bits(&l->input_t), fa = nf_fixed_frac_bits(&l->accum_t);
  int f = fx > fa ? fx : fa; /* the sum's exact fraction bits */
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++)
      for (int ch = 0; ch < c; ch++) {
        nf_code acc = 0, best = 0;
        int cells = 0;
        for (int r = 0; r < kh; r++) {
          int iy = oy * sh + r - pt;
          for (int q = 0; q < kw; q++) {
            int ix = ox * sw + q - pl;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; /* padded cells: ignored */
            nf_code v = x[((size_t)iy * w + ix) * c + ch];
            if (l->pool_op == NF_POOL_MAX) {
              if (!cells || v > best) best = v;
            } else {
              nf_code sum = acc * ((nf_code)1 << (f - fa)) + v * ((nf_code)1 << (f - fx));
              acc = nf_fixed_cast_code(&l->accum_t, sum, f);
            }
            cells++;
          }
        }
        if (l->pool_op == NF_POOL_MAX) acc = nf_fixed_cast(&l->accum_t, best, &l->input_t);
        else acc /= cells; /* C division: toward zero, as ap_fixed's */
        y[((size_t)oy * wo + ox) * c + ch] = (int64_t)nf_fixed_cast(&l->result_t, acc, &l->accum_t);
      }
}

const nf_emulate_layer_ops nf_emulate_pool_ops = {.forward = pool_forward};

static void zeropad_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  (void)state;
  (void)scratch;
  int h, w, c, ho, wo, co;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  nf_shape_hwc(l->out_shape, &ho, &wo, &co);
  memset(y, 0, (size_t)l->n_out * sizeof *y);
  for (int iy = 0; iy < h; iy++)
    memcpy(y + ((size_t)(iy + l->pad[0]) * wo + l->pad[2]) * c, x + (size_t)iy * w * c, (size_t)w * c * sizeof *y);
}

const nf_emulate_layer_ops nf_emulate_zeropad_ops = {.forward = zeropad_forward};

static void reshape_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  (void)state;
  (void)scratch;
  memcpy(y, x, (size_t)l->n_out * sizeof *y);
}

const nf_emulate_layer_ops nf_emulate_reshape_ops = {.forward = reshape_forward};
