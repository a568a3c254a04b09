/* Conv1D / Conv2D in the model stage (llm.c style: the loops as the maths
 * reads). Input read as (H, W, C), output (Ho, Wo, F):
 *   y[oy][ox][f] = bias[f] + sum_{r < kh, c < kw, ch < C}
 *                  x[oy*sh + r - pad_top][ox*sw + c - pad_left][ch] * kernel[r][c][ch][f]
 * with x = 0 outside the input (zero padding). The weights are those the
 * model computes with (QKeras quantizers, pruning mask), prepared once. */
#include <stdlib.h>

#include "layers.h"

static int conv_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  char s[64];
  nf_shape_format(in, s, sizeof s);
  if (in.rank < 2)
    return nf_fail(err, NF_EINPUT, "layer '%s': a convolution needs a rank-2 or rank-3 input, not %s", l->name, s);
  if (in.rank == 2 && (l->ksize[0] != 1 || l->stride[0] != 1 || l->pad[0] || l->pad[1]))
    return nf_fail(err, NF_EINPUT, "layer '%s': a 1D convolution has no row window, stride or padding", l->name);
  int h, w, c;
  nf_shape_hwc(in, &h, &w, &c);
  if (l->ksize[0] < 1 || l->ksize[1] < 1 || l->stride[0] < 1 || l->stride[1] < 1 || l->filters < 1)
    return nf_fail(err, NF_EINPUT, "layer '%s': kernel, stride and filters must be positive", l->name);
  for (int i = 0; i < 4; i++)
    if (l->pad[i] < 0) return nf_fail(err, NF_EINPUT, "layer '%s': negative padding", l->name);
  int hp = h + l->pad[0] + l->pad[1], wp = w + l->pad[2] + l->pad[3];
  if (l->ksize[0] > hp || l->ksize[1] > wp)
    return nf_fail(err, NF_EINPUT, "layer '%s': kernel %dx%d is larger than its padded input %s", l->name,
                   l->ksize[0], l->ksize[1], s);
  *out = nf_shape_from_hwc(in.rank, (hp - l->ksize[0]) / l->stride[0] + 1, (wp - l->ksize[1]) / l->stride[1] + 1,
                           l->filters);
  return NF_OK;
}

static int conv_check(const nf_layer *l, nf_error *err) {
  if (!l->kernel || !nf_model_all_finite(l->kernel, nf_layer_kernel_count(l)) ||
      !nf_model_all_finite(l->bias, (size_t)l->filters))
    return nf_fail(err, NF_EINPUT, "layer '%s': missing or non-finite weights", l->name);
  return NF_OK;
}

static void conv_params(const nf_layer *l, long *trainable, long *non_trainable) {
  *trainable = (long)nf_layer_kernel_count(l) + (l->bias ? l->filters : 0);
  *non_trainable = 0;
}

typedef struct {
  double *kernel; /* [kh][kw][C][F] */
  double *bias;   /* [F] */
} conv_eff;

static void conv_release(void *state) {
  conv_eff *e = state;
  if (!e) return;
  free(e->kernel);
  free(e->bias);
  free(e);
}

static int conv_prepare(const nf_layer *l, void **state, nf_error *err) {
  size_t nk = nf_layer_kernel_count(l);
  conv_eff *e = nf_calloc(1, sizeof *e, err);
  if (!e) return NF_EINTERNAL;
  e->kernel = nf_malloc(nk * sizeof *e->kernel, err);
  e->bias = nf_malloc((size_t)l->filters * sizeof *e->bias, err);
  if (!e->kernel || !e->bias) {
    conv_release(e);
    return NF_EINTERNAL;
  }
  for (size_t k = 0; k < nk; k++)
    e->kernel[k] = l->mask && !l->mask[k] ? 0.0 : nf_quantizer_apply(&l->kernel_q, l->kernel[k]);
  for (int f = 0; f < l->filters; f++) e->bias[f] = l->bias ? nf_quantizer_apply(&l->bias_q, l->bias[f]) : 0.0;
  *state = e;
  return NF_OK;
}

static void conv_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  const conv_eff *e = state;
  int h, w, c, ho, wo, nf;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  nf_shape_hwc(l->out_shape, &ho, &wo, &nf);
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++) {
      double *yo = y + ((size_t)oy * wo + ox) * nf; /* y[oy][ox][:] */
      for (int f = 0; f < nf; f++) yo[f] = e->bias[f];
      for (int r = 0; r < l->ksize[0]; r++) {
        int iy = oy * l->stride[0] + r - l->pad[0];
        if (iy < 0 || iy >= h) continue; /* zero padding */
        for (int q = 0; q < l->ksize[1]; q++) {
          int ix = ox * l->stride[1] + q - l->pad[2];
          if (ix < 0 || ix >= w) continue;
          const double *xi = x + ((size_t)iy * w + ix) * c;                  /* x[iy][ix][:] */
          const double *kr = e->kernel + ((size_t)r * l->ksize[1] + q) * c * nf; /* kernel[r][q][:][:] */
          for (int ch = 0; ch < c; ch++)
            for (int f = 0; f < nf; f++) yo[f] += xi[ch] * kr[(size_t)ch * nf + f];
        }
      }
    }
}

const nf_model_layer_ops nf_model_conv_ops = {
    .infer_shape = conv_shape,
    .check_params = conv_check,
    .param_count = conv_params,
    .prepare = conv_prepare,
    .release = conv_release,
    .forward = conv_forward,
};
