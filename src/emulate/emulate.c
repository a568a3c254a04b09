/* The bit-accurate emulator (SPEC §3), on integer codes: the design's
 * nodes in order, each run by its kind's operations (layers.def's emulate
 * column: dense.c, activation.c), once per row (the reference), or on
 * blocks of rows (fast.c) when the codes fit int32 lanes; rows in parallel. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

const nf_emulate_layer_ops nf_emulate_none_ops = {.forward = NULL};

static const nf_emulate_layer_ops *const EMULATE_OPS[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, EMULATE, ...) [NF_LAYER_##ID] = &nf_emulate_##EMULATE##_ops,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

static void release_all(const nf_emulate_layer_ops **ops, void **state, int upto) {
  for (int li = 0; ops && state && li <= upto; li++)
    if (ops[li] && ops[li]->release) ops[li]->release(state[li]);
  free(ops);
  free(state);
}

static int emulate(const nf_design *d, const int64_t *in, long n, int upto, int64_t *out, bool reference,
                   nf_error *err) {
  if (upto < 0) upto = d->n_layers - 1;
  if (upto >= d->n_layers) return nf_fail(err, NF_EINPUT, "layer index %d out of range", upto);
  int width = d->n_inputs;
  for (int i = 0; i < d->n_layers; i++) width = d->layers[i].n_out > width ? d->layers[i].n_out : width;
  /* Each kind's operations (layers.def) and the state it prepares once per call. */
  const nf_emulate_layer_ops **ops = nf_calloc((size_t)upto + 1, sizeof *ops, err);
  void **state = nf_calloc((size_t)upto + 1, sizeof *state, err);
  int status = !ops || !state ? NF_EINTERNAL : NF_OK;
  for (int li = 0; !status && li <= upto; li++) {
    const nf_design_layer *l = &d->layers[li];
    ops[li] = (unsigned)l->kind < NF_LAYER_KIND_COUNT ? EMULATE_OPS[l->kind] : &nf_emulate_none_ops;
    if (!ops[li]->forward)
      status = nf_fail(err, NF_EINPUT, "layer '%s': %s cannot be emulated (its emulate column in layers.def is none)",
                       l->name, nf_layer_kind_name(l->kind));
    else if (ops[li]->prepare)
      status = ops[li]->prepare(l, &state[li], err);
  }
  if (status) {
    release_all(ops, state, upto);
    return status;
  }
  int n_out = d->layers[upto].n_out;
  size_t words = (size_t)width; /* scratch: the widest node, or what a kind asks for */
  for (int li = 0; li <= upto; li++)
    if (ops[li]->scratch && ops[li]->scratch(&d->layers[li]) > words) words = ops[li]->scratch(&d->layers[li]);
  if (!reference && nf_emulate_blocks_fit(d, upto)) { /* fast.c */
    status = nf_emulate_blocks(d, ops, state, in, n, upto, out, width, words * sizeof(uint64_t));
    release_all(ops, state, upto);
    return status ? nf_fail(err, status, "out of memory in the emulator") : NF_OK;
  }
#pragma omp parallel
  {
    int64_t *a = malloc((size_t)width * sizeof *a), *b = malloc((size_t)width * sizeof *b);
    void *scratch = malloc(words * sizeof(uint64_t));
    if (!a || !b || !scratch) {
#pragma omp atomic write
      status = NF_EINTERNAL;
    }
#pragma omp for schedule(static)
    for (long r = 0; r < n; r++) {
      if (!a || !b || !scratch) continue;
      memcpy(a, in + (size_t)r * d->n_inputs, (size_t)d->n_inputs * sizeof *a);
      int64_t *cur = a, *next = b;
      for (int li = 0; li <= upto; li++) {
        ops[li]->forward(&d->layers[li], state[li], cur, next, scratch);
        int64_t *t = cur;
        cur = next;
        next = t;
      }
      memcpy(out + (size_t)r * n_out, cur, (size_t)n_out * sizeof *out);
    }
    free(a);
    free(b);
    free(scratch);
  }
  release_all(ops, state, upto);
  return status ? nf_fail(err, status, "out of memory in the emulator") : NF_OK;
}

int nf_emulate(const nf_design *d, const int64_t *in, long n, int upto, int64_t *out, nf_error *err) {
  const char *exact = getenv("NNFIRM_EMULATE_EXACT");
  return emulate(d, in, n, upto, out, exact && *exact && strcmp(exact, "0"), err);
}

int nf_emulate_reference(const nf_design *d, const int64_t *in, long n, int upto, int64_t *out, nf_error *err) {
  return emulate(d, in, n, upto, out, true, err);
}

int nf_emulate_inputs(const nf_design *d, const float *x, long n, int64_t *codes, nf_error *err) {
  int f = d->n_inputs;
  /* A first FixedPointQuantizer (HGQ) casts each feature straight to its own
   * type, so the row is rounded once, as the model rounds it; its node then
   * passes the codes unchanged. */
  const nf_design_layer *q = d->n_layers && d->layers[0].kind == NF_LAYER_QUANT && d->layers[0].elem_t &&
                                     d->layers[0].n_in == f && nf_fixed_type_equal(&d->layers[0].input_t, &d->input_t)
                                 ? &d->layers[0]
                                 : NULL;
  int fu = nf_fixed_frac_bits(&d->input_t);
  for (long r = 0; r < n; r++)
    for (int i = 0; i < f; i++) {
      double v = x[(size_t)r * f + i];
      if (d->scaler_mean) v = (v - d->scaler_mean[i]) / d->scaler_scale[i];
      const nf_fixed_type *t = q ? &q->elem_t[i] : &d->input_t;
      nf_code k = 0;
      if ((t->width || !isfinite(v)) && nf_fixed_from_double(t->width ? t : &d->input_t, v, &k, err))
        return nf_fail(err, NF_EINPUT, "row %ld, feature %d: value is not finite", r + 1, i + 1);
      int sh = q && t->width ? fu - nf_fixed_frac_bits(t) : 0;
      if (sh < 0 || sh > 62) return nf_fail(err, NF_EINPUT, "layer '%s': element %d's type does not fit the input type", q->name, i);
      k *= (nf_code)1 << sh;
      codes[(size_t)r * f + i] = (int64_t)k;
    }
  return NF_OK;
}

int nf_emulate_values(const nf_design *d, const float *x, long n, int upto, double *out, nf_error *err) {
  if (upto < 0) upto = d->n_layers - 1;
  int n_out = d->layers[upto].n_out;
  int64_t *in = malloc((size_t)n * d->n_inputs * sizeof *in), *codes = malloc((size_t)n * n_out * sizeof *codes);
  int rc = (!in || !codes) ? nf_fail_oom(err, "emulator buffers") : NF_OK;
  if (!rc) rc = nf_emulate_inputs(d, x, n, in, err);
  if (!rc) rc = nf_emulate(d, in, n, upto, codes, err);
  for (long k = 0; !rc && k < (long)n * n_out; k++) out[k] = nf_fixed_to_double(&d->layers[upto].result_t, codes[k]);
  free(in);
  free(codes);
  return rc;
}
