/* The overflow check: for each design layer, the float model's values at
 * the same point of the network against the range of the types that hold
 * them (result_t, and for a Dense the accumulator, which carries the same
 * sum before its final cast). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"

/* The model layer whose output the design layer reproduces (a Dense with a
 * folded BatchNormalization reproduces the normalization's output). */
static int source_layer(const nf_model *m, const nf_design_layer *dl) {
  int j = nf_model_find_layer(m, dl->name);
  if (j >= 0 && dl->kind == NF_LAYER_DENSE && j + 1 < m->n_layers && m->layers[j + 1].kind == NF_LAYER_BATCHNORM &&
      !m->layers[j].kernel_q.dense_class)
    j++;
  if (j >= 0 && dl->kind == NF_LAYER_BATCHNORM && dl->act != NF_ACT_LINEAR) j++; /* thresholds: the activation's output */
  return j;
}

static double type_lo(const nf_fixed_type *t) { return nf_fixed_to_double(t, nf_fixed_min_code(t)); }
static double type_hi(const nf_fixed_type *t) { return nf_fixed_to_double(t, nf_fixed_max_code(t)); }

static void record(nf_overflow *out, int max, int *k, const char *layer, const char *var, const nf_fixed_type *t,
                   long bad, long total, double max_abs) {
  if (bad == 0 || *k >= max) return;
  nf_overflow *o = &out[(*k)++];
  snprintf(o->layer, sizeof o->layer, "%s", layer);
  o->variable = var;
  nf_fixed_type_format(t, o->type, sizeof o->type);
  o->rate = (double)bad / total;
  o->max_abs = max_abs;
}

int nf_design_check_overflow(const nf_model *m, const nf_design *d, const float *x, long n, nf_overflow *out,
                             int max, int *n_out, nf_error *err) {
  *n_out = 0;
  int width = 1;
  for (int i = 0; i < m->n_layers; i++) width = m->layers[i].n_out > width ? m->layers[i].n_out : width;
  double *v = malloc((size_t)n * width * sizeof *v);
  if (!v) return nf_fail_oom(err, "overflow check");
  int rc = NF_OK;
  for (int i = 0; !rc && i < d->n_hw; i++) {
    const nf_design_layer *dl = &d->layers[i];
    int j = source_layer(m, dl);
    if (j < 0) continue;
    rc = nf_model_forward(m, x, n, j, true, v, err);
    long total = n * dl->n_out, bad_r = 0, bad_a = 0;
    double mx = 0;
    for (long k = 0; !rc && k < total; k++) {
      mx = fmax(mx, fabs(v[k]));
      bad_r += v[k] > type_hi(&dl->result_t) || v[k] < type_lo(&dl->result_t);
      if (dl->kind == NF_LAYER_DENSE) bad_a += v[k] > type_hi(&dl->accum_t) || v[k] < type_lo(&dl->accum_t);
    }
    record(out, max, n_out, dl->name, "result", &dl->result_t, bad_r, total, mx);
    if (dl->kind == NF_LAYER_DENSE) record(out, max, n_out, dl->name, "accum", &dl->accum_t, bad_a, total, mx);
  }
  free(v);
  return rc;
}
