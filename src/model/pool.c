/* Pooling in the model stage: MaxPooling1D/2D, AveragePooling1D/2D and the
 * global variants. Input read as (H, W, C), output (Ho, Wo, C) (global: (C)):
 *   y[oy][ox][ch] = max / mean over the window cells (oy*sh + r - pad_top,
 *                   ox*sw + q - pad_left) that lie inside the input
 * (padded cells are ignored, as Keras does for "same"). */
#include <math.h>

#include "layers.h"

static int pool_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  char s[64];
  nf_shape_format(in, s, sizeof s);
  if (in.rank < 2)
    return nf_fail(err, NF_EINPUT, "layer '%s': pooling needs a rank-2 or rank-3 input, not %s", l->name, s);
  int h, w, c;
  nf_shape_hwc(in, &h, &w, &c);
  if (l->pool_global) {
    *out = nf_shape_1d(c);
    return NF_OK;
  }
  if (in.rank == 2 && (l->ksize[0] != 1 || l->stride[0] != 1 || l->pad[0] || l->pad[1]))
    return nf_fail(err, NF_EINPUT, "layer '%s': a 1D pooling has no row window, stride or padding", l->name);
  if (l->ksize[0] < 1 || l->ksize[1] < 1 || l->stride[0] < 1 || l->stride[1] < 1)
    return nf_fail(err, NF_EINPUT, "layer '%s': pool size and stride must be positive", l->name);
  for (int i = 0; i < 4; i++)
    if (l->pad[i] < 0 || l->pad[i] >= l->ksize[i / 2])
      return nf_fail(err, NF_EINPUT, "layer '%s': padding must be below the pool size", l->name);
  int hp = h + l->pad[0] + l->pad[1], wp = w + l->pad[2] + l->pad[3];
  if (l->ksize[0] > hp || l->ksize[1] > wp)
    return nf_fail(err, NF_EINPUT, "layer '%s': pool window %dx%d is larger than its input %s", l->name, l->ksize[0],
                   l->ksize[1], s);
  *out = nf_shape_from_hwc(in.rank, (hp - l->ksize[0]) / l->stride[0] + 1, (wp - l->ksize[1]) / l->stride[1] + 1, c);
  return NF_OK;
}

static void pool_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  int h, w, c, ho, wo, co;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  int kh = l->pool_global ? h : l->ksize[0], kw = l->pool_global ? w : l->ksize[1];
  int sh = l->pool_global ? 1 : l->stride[0], sw = l->pool_global ? 1 : l->stride[1];
  int pt = l->pool_global ? 0 : l->pad[0], pl = l->pool_global ? 0 : l->pad[2];
  nf_shape_hwc(l->pool_global ? nf_shape_from_hwc(3, 1, 1, c) : l->out_shape, &ho, &wo, &co);
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++)
      for (int ch = 0; ch < c; ch++) {
        double acc = l->pool_op == NF_POOL_MAX ? -INFINITY : 0;
        int cells = 0;
        for (int r = 0; r < kh; r++) {
          int iy = oy * sh + r - pt;
          for (int q = 0; q < kw; q++) {
            int ix = ox * sw + q - pl;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; /* padding: ignored */
            double v = x[((size_t)iy * w + ix) * c + ch];
            acc = l->pool_op == NF_POOL_MAX ? fmax(acc, v) : acc + v;
            cells++;
          }
        }
        y[((size_t)oy * wo + ox) * c + ch] = l->pool_op == NF_POOL_MAX ? acc : acc / cells;
      }
}

const nf_model_layer_ops nf_model_pool_ops = {
    .infer_shape = pool_shape,
    .forward = pool_forward,
};
