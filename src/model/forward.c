/* Plain float inference in double precision: the reference forward pass that
 * import tests, predict and the emulator's float comparison use, on blocks
 * of rows (Dense as one OpenBLAS dgemm per block), blocks in parallel.
 * Training has its own batched float32 path (src/train). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

static int max_width(const nf_model *m) {
  int w = m->n_features;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].n_out > w) w = m->layers[i].n_out;
  return w;
}

static void release_all(const nf_model_layer_ops **ops, void **state, int upto) {
  for (int li = 0; li <= upto; li++)
    if (ops[li] && ops[li]->release) ops[li]->release(state[li]);
  free(ops);
  free(state);
}

int nf_model_forward(const nf_model *m, const float *x, long n, int upto, bool apply_scaler, double *out,
                     nf_error *err) {
  if (upto < 0) upto = m->n_layers - 1;
  if (upto >= m->n_layers) return nf_fail(err, NF_EINPUT, "layer index %d out of range", upto);
  int w = max_width(m), n_out = m->layers[upto].n_out;
  int status = NF_OK;
  /* Each kind's operations (layers.def) and the state it prepares once per call. */
  const nf_model_layer_ops **ops = calloc((size_t)upto + 1, sizeof *ops);
  void **state = calloc((size_t)upto + 1, sizeof *state);
  if (!ops || !state) {
    free(ops);
    free(state);
    return nf_fail_oom(err, "forward pass");
  }
  for (int li = 0; li <= upto && !status; li++) {
    ops[li] = nf_model_layer_ops_of(m->layers[li].kind);
    if (!ops[li]) status = nf_fail(err, NF_EINPUT, "layer '%s': unknown kind", m->layers[li].name);
    else if (ops[li]->prepare) status = ops[li]->prepare(&m->layers[li], &state[li], err);
  }
  if (status) { /* its message is in err */
    release_all(ops, state, upto);
    return status;
  }
  /* Rows in blocks: a layer with forward_rows (Dense: one dgemm) takes the
   * whole block, the others go row by row. A block small enough that
   * OpenBLAS keeps each product on the calling thread (its threshold is
   * m*n*k <= 2^18), at most 256 rows. */
  long widest = 1;
  for (int li = 0; li <= upto; li++)
    if ((long)m->layers[li].n_in * m->layers[li].n_out > widest) widest = (long)m->layers[li].n_in * m->layers[li].n_out;
  int rows = (int)(262144 / widest);
  rows = rows > 256 ? 256 : rows < 8 ? 8 : rows;
  long blocks = (n + rows - 1) / rows;
#pragma omp parallel
  {
    double *a = malloc((size_t)rows * w * sizeof *a), *b = malloc((size_t)rows * w * sizeof *b);
    if (!a || !b) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long blk = 0; blk < blocks; blk++) {
      if (!a || !b) continue;
      long r0 = blk * rows;
      int nb = n - r0 < rows ? (int)(n - r0) : rows, width = m->n_features;
      for (int r = 0; r < nb; r++) {
        const float *xr = x + (size_t)(r0 + r) * m->n_features;
        double *ar = a + (size_t)r * width;
        for (int i = 0; i < m->n_features; i++) {
          double v = xr[i];
          if (apply_scaler && m->scaler_mean) v = (v - m->scaler_mean[i]) / m->scaler_scale[i];
          ar[i] = v;
        }
      }
      double *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        const nf_layer *l = &m->layers[li];
        if (ops[li]->forward_rows) ops[li]->forward_rows(l, state[li], cur, next, nb);
        else
          for (int r = 0; r < nb; r++) ops[li]->forward(l, state[li], cur + (size_t)r * l->n_in, next + (size_t)r * l->n_out);
        double *t = cur;
        cur = next;
        next = t;
      }
      memcpy(out + (size_t)r0 * n_out, cur, (size_t)nb * n_out * sizeof *out);
    }
    free(a);
    free(b);
  }
  release_all(ops, state, upto);
  if (status) return nf_fail(err, status, "out of memory in forward pass");
  return NF_OK;
}
