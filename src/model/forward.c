/* Plain float inference in double precision: the reference forward pass that
 * import tests, predict and the emulator's float comparison use. Training has
 * its own batched float32 path (src/train). */
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
#pragma omp parallel
  {
    double *a = malloc((size_t)w * sizeof *a), *b = malloc((size_t)w * sizeof *b);
    if (!a || !b) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long r = 0; r < n; r++) {
      if (!a || !b) continue;
      const float *xr = x + (size_t)r * m->n_features;
      for (int i = 0; i < m->n_features; i++) {
        double v = xr[i];
        if (apply_scaler && m->scaler_mean) v = (v - m->scaler_mean[i]) / m->scaler_scale[i];
        a[i] = v;
      }
      double *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        ops[li]->forward(&m->layers[li], state[li], cur, next);
        double *t = cur;
        cur = next;
        next = t;
      }
      memcpy(out + (size_t)r * n_out, cur, (size_t)n_out * sizeof *out);
    }
    free(a);
    free(b);
  }
  release_all(ops, state, upto);
  if (status) return nf_fail(err, status, "out of memory in forward pass");
  return NF_OK;
}
