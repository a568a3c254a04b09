/* HGQ's FixedPointQuantizer on codes: element j is input j cast to
 * elem_t[j] (its own rounding and overflow), then held as the same value in
 * result_t (a left shift: result_t has at least its fraction bits). */
#include "layers.h"

static int fpq_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  *state = NULL;
  int fu = nf_fixed_frac_bits(&l->result_t);
  if (!l->elem_t || l->n_in != l->n_out || l->input_t.width > 62 || l->result_t.width > 62)
    return nf_fail(err, NF_EINPUT, "layer '%s': not a valid FixedPointQuantizer node", l->name);
  for (int j = 0; j < l->n_out; j++) {
    const nf_fixed_type *t = &l->elem_t[j];
    if (t->width == 0) continue;
    int fe = nf_fixed_frac_bits(t);
    if (t->width > 62 || fe > fu || t->int_bits > l->result_t.int_bits || (t->is_signed && !l->result_t.is_signed))
      return nf_fail(err, NF_EINPUT, "layer '%s': element %d's type does not fit result_t", l->name, j);
  }
  return NF_OK;
}

static void fpq_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y, void *scratch) {
  (void)state, (void)scratch;
  int fi = nf_fixed_frac_bits(&l->input_t), fu = nf_fixed_frac_bits(&l->result_t);
  for (int j = 0; j < l->n_out; j++) {
    const nf_fixed_type *t = &l->elem_t[j];
    y[j] = t->width ? (int64_t)(nf_fixed_cast_code(t, x[j], fi) * ((nf_code)1 << (fu - nf_fixed_frac_bits(t)))) : 0;
  }
}

const nf_emulate_layer_ops nf_emulate_fpq_ops = {.prepare = fpq_prepare, .forward = fpq_forward};
