/* Flatten / Reshape and ZeroPadding1D/2D in the model stage. A reshape
 * keeps the values in their (row-major, channels-last) order; zero padding
 * copies the input into the middle of a zeroed (H + pt + pb, W + pl + pr, C). */
#include <string.h>

#include "layers.h"

static int reshape_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  if (nf_shape_size(in) != nf_shape_size(l->out_shape)) {
    char a[64], b[64];
    nf_shape_format(in, a, sizeof a);
    nf_shape_format(l->out_shape, b, sizeof b);
    return nf_fail(err, NF_EINPUT, "layer '%s': cannot reshape %s into %s", l->name, a, b);
  }
  *out = l->out_shape;
  return NF_OK;
}

static void reshape_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  memcpy(y, x, (size_t)l->n_out * sizeof *y);
}

const nf_model_layer_ops nf_model_reshape_ops = {
    .infer_shape = reshape_shape,
    .forward = reshape_forward,
};

static int zeropad_shape(const nf_layer *l, nf_shape in, nf_shape *out, nf_error *err) {
  if (in.rank < 2) return nf_fail(err, NF_EINPUT, "layer '%s': zero padding needs a rank-2 or rank-3 input", l->name);
  if (in.rank == 2 && (l->pad[0] || l->pad[1]))
    return nf_fail(err, NF_EINPUT, "layer '%s': a 1D zero padding has no rows to pad", l->name);
  for (int i = 0; i < 4; i++)
    if (l->pad[i] < 0) return nf_fail(err, NF_EINPUT, "layer '%s': negative padding", l->name);
  int h, w, c;
  nf_shape_hwc(in, &h, &w, &c);
  *out = nf_shape_from_hwc(in.rank, h + l->pad[0] + l->pad[1], w + l->pad[2] + l->pad[3], c);
  return NF_OK;
}

static void zeropad_forward(const nf_layer *l, const void *state, const double *x, double *y) {
  (void)state;
  int h, w, c, ho, wo, co;
  nf_shape_hwc(l->in_shape, &h, &w, &c);
  nf_shape_hwc(l->out_shape, &ho, &wo, &co);
  memset(y, 0, (size_t)l->n_out * sizeof *y);
  for (int iy = 0; iy < h; iy++)
    memcpy(y + ((size_t)(iy + l->pad[0]) * wo + l->pad[2]) * c, x + (size_t)iy * w * c, (size_t)w * c * sizeof *y);
}

const nf_model_layer_ops nf_model_zeropad_ops = {
    .infer_shape = zeropad_shape,
    .forward = zeropad_forward,
};
