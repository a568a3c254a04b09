/* Internal to src/emulate: the emulator's operations per layer kind and per
 * activation (layers.def's and activations.def's emulate columns), and the
 * casts of 64-bit codes they share. */
#ifndef NNFIRM_EMULATE_LAYERS_H
#define NNFIRM_EMULATE_LAYERS_H

#include <stdint.h>

#include "nnfirm/emulate.h"

typedef struct nf_emulate_layer_ops {
  /* Per-call state the forward reads (NULL: none); NF_EINPUT naming the
   * layer when it cannot be emulated. */
  int (*prepare)(const nf_design_layer *l, void **state, nf_error *err);
  void (*release)(void *state);
  /* y[n_out] = layer(x[n_in]) on codes; scratch holds max-width uint64. */
  void (*forward)(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch);
} nf_emulate_layer_ops;

#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, EMULATE, ...) \
  extern const nf_emulate_layer_ops nf_emulate_##EMULATE##_ops;
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
/* nf_emulate_none_ops (all NULL): the kinds a design never holds. */

/* An activation on codes: y[n_out] = f(x[n_in]) of types input_t -> result_t
 * (NULL in nf_emulate_act_none: the emulator has no such activation). */
typedef struct nf_emulate_act_ops {
  void (*forward)(const nf_design_layer *l, const int64_t *x, int64_t *y);
} nf_emulate_act_ops;
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, ...) extern const nf_emulate_act_ops nf_emulate_act_##EMULATE;
#include "nnfirm/activations.def"
#undef NF_ACTIVATION

static inline int64_t nf_emu_wrap(const nf_fixed_type *t, int64_t v) {
  uint64_t mask = t->width >= 64 ? ~0ull : (1ull << t->width) - 1;
  uint64_t u = (uint64_t)v & mask;
  if (t->is_signed && t->width < 64 && (u >> (t->width - 1)) & 1) u |= ~mask;
  return (int64_t)u;
}

/* A cast of a 64-bit code: inline for the common modes (a shift for AP_TRN,
 * wrap or clamp for AP_WRAP / AP_SAT), the general 128-bit cast otherwise. */
static inline int64_t nf_emu_cast(const nf_fixed_type *to, int64_t v, int from_frac) {
  int shift = from_frac - nf_fixed_frac_bits(to);
  if (shift < 0 || shift > 62 || to->width > 62 || (shift > 0 && to->q != NF_Q_TRN) ||
      (to->o != NF_O_WRAP && to->o != NF_O_SAT))
    return (int64_t)nf_fixed_cast_code(to, v, from_frac);
  int64_t q = v >> shift; /* floor */
  int64_t hi = to->is_signed ? (INT64_C(1) << (to->width - 1)) - 1 : (INT64_C(1) << to->width) - 1;
  int64_t lo = to->is_signed ? -hi - 1 : 0;
  if (q >= lo && q <= hi) return q;
  if (to->o == NF_O_SAT) return q > hi ? hi : lo;
  return nf_emu_wrap(to, q);
}


#endif
