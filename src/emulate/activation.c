/* Activation layers in the emulator: each activation of activations.def
 * with an emulate column, on codes (input_t in, result_t out). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "layers.h"

/* y = (result_t) x */
static void act_linear(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int from = nf_fixed_frac_bits(&d->input_t);
  bool same = nf_fixed_type_equal(&d->input_t, &d->result_t);
  for (int j = 0; j < d->n_out; j++) y[j] = same ? x[j] : nf_emu_cast(&d->result_t, x[j], from);
}

/* y = (result_t) max(x, 0) */
static void act_relu(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int from = nf_fixed_frac_bits(&d->input_t);
  bool same = nf_fixed_type_equal(&d->input_t, &d->result_t);
  for (int j = 0; j < d->n_out; j++) {
    int64_t v = x[j] < 0 ? 0 : x[j];
    y[j] = same ? v : nf_emu_cast(&d->result_t, v, from);
  }
}

/* hls4ml's balanced adder tree over exp_t codes: the first half is the
 * largest power of two below n, every partial sum cast back to exp_t. */
static int64_t exp_sum_tree(const nf_fixed_type *t, const int64_t *v, int n) {
  if (n == 1) return v[0];
  int left = 1;
  while (left * 2 < n) left *= 2; /* pow2(floorlog2(n - 1)) */
  int64_t a = exp_sum_tree(t, v, left), b = exp_sum_tree(t, v + left, n - left);
  return nf_emu_cast(t, a + b, nf_fixed_frac_bits(t));
}

/* The table softmax of SPEC §3 (hls4ml's "latency" / "stable"). */
static void act_softmax(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  const nf_softmax_tables *s = &d->softmax;
  const nf_fixed_type *in = &d->input_t;
  int n = d->n_out, nb = s->index_bits, fin = nf_fixed_frac_bits(in);
  int64_t xmax = x[0];
  for (int j = 1; j < n; j++) xmax = x[j] > xmax ? x[j] : xmax;
  /* The stable difference's type: the input's W and I, rounding, saturating. */
  nf_fixed_type diff_t = nf_fixed_type_make(in->width, in->int_bits, true);
  diff_t.q = NF_Q_RND;
  diff_t.o = NF_O_SAT;
  for (int j = 0; j < n; j++) {
    int64_t a = x[j];
    if (s->stable) a = nf_emu_cast(in, nf_emu_cast(&diff_t, x[j] - xmax, fin), fin);
    y[j] = s->exp_table[nf_softmax_index(a, in, nb)];
  }
  int64_t sum = exp_sum_tree(&s->exp_t, y, n);
  int64_t inv = s->inv_table[nf_softmax_index(sum, &s->exp_t, nb)];
  int fp = nf_fixed_frac_bits(&s->exp_t) + nf_fixed_frac_bits(&s->inv_t);
  for (int j = 0; j < n; j++) y[j] = nf_emu_cast(&d->result_t, y[j] * inv, fp);
}

/* hls4ml's binary_tanh: cache = x > 0 ? 1 : -1 in result_t; y = cache. */
static void act_binary_tanh(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int64_t one = nf_emu_cast(&d->result_t, 1, 0), minus = nf_emu_cast(&d->result_t, -1, 0);
  for (int j = 0; j < d->n_out; j++) y[j] = x[j] > 0 ? one : minus;
}

/* QONNX's BipolarQuant (scale 1): x >= 0 ? 1 : -1 in result_t. */
static void act_bipolar(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int64_t one = nf_emu_cast(&d->result_t, 1, 0), minus = nf_emu_cast(&d->result_t, -1, 0);
  for (int j = 0; j < d->n_out; j++) y[j] = x[j] >= 0 ? one : minus;
}

/* hls4ml's ternary_tanh: datareg = 2 x, held in the input's own type (so
 * it wraps or saturates as that type does), then 1 if datareg > 1, 0 if
 * -1 < datareg <= 1, else -1, in result_t. With f fraction bits the
 * comparisons with +-1 are code > 2^f and code > -2^f (f < 0: code > 0 and
 * code > -1, the integers next to the thresholds). */
static void act_ternary_tanh(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int f = nf_fixed_frac_bits(&d->input_t);
  int64_t hi = f >= 0 ? INT64_C(1) << f : 0, lo = f >= 0 ? -(INT64_C(1) << f) : -1;
  int64_t one = nf_emu_cast(&d->result_t, 1, 0), zero = nf_emu_cast(&d->result_t, 0, 0),
          minus = nf_emu_cast(&d->result_t, -1, 0);
  for (int j = 0; j < d->n_out; j++) {
    int64_t v = nf_emu_cast(&d->input_t, 2 * x[j], f);
    y[j] = v > hi ? one : v > lo ? zero : minus;
  }
}

/* hls4ml's lookup-table sigmoid / tanh (nnfirm/convert.h, nf_act_table):
 * y = (result_t) table[index(x)]. */
static void act_table(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int range, ft = nf_fixed_frac_bits(&d->table.table_t);
  nf_act_table_range(d->act, &range);
  for (int j = 0; j < d->n_out; j++)
    y[j] = nf_emu_cast(&d->result_t, d->table.codes[nf_act_table_index(&d->table, range, x[j], &d->input_t)], ft);
}

/* hls4ml's leaky_relu and prelu: y = x > 0 ? (result_t) x : (result_t)(alpha
 * x), alpha the code of param_t (weight_t) in weights[0] (prelu: weights[j]),
 * the product exact. */
static void act_leaky_relu(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int fi = nf_fixed_frac_bits(&d->input_t), fp = fi + nf_fixed_frac_bits(&d->weight_t);
  bool per_element = d->act == NF_ACT_PRELU;
  for (int j = 0; j < d->n_out; j++)
    y[j] = x[j] > 0 ? nf_emu_cast(&d->result_t, x[j], fi)
                    : (int64_t)nf_fixed_cast_code(&d->result_t, (nf_code)x[j] * d->weights[per_element ? j : 0], fp);
}

/* hls4ml's elu and selu: x >= 0 gives (result_t) x (elu) or (result_t)(lambda
 * x) (selu, lambda in ap_ufixed<16,1>); x < 0 the table entry at
 * trunc(x N / -8), times alpha (elu's param_t code in weights[0]) exactly,
 * cast to result_t. */
static void act_exp_table(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int fi = nf_fixed_frac_bits(&d->input_t), ft = nf_fixed_frac_bits(&d->table.table_t);
  bool selu = d->act == NF_ACT_SELU;
  for (int j = 0; j < d->n_out; j++) {
    if (x[j] >= 0) {
      y[j] = selu ? (int64_t)nf_fixed_cast_code(&d->result_t, (nf_code)x[j] * NF_SELU_LAMBDA_CODE, fi + NF_SELU_LAMBDA_FRAC)
                  : nf_emu_cast(&d->result_t, x[j], fi);
      continue;
    }
    int64_t t = d->table.codes[nf_act_table_neg_index(&d->table, x[j], &d->input_t)];
    y[j] = selu ? nf_emu_cast(&d->result_t, t, ft)
                : (int64_t)nf_fixed_cast_code(&d->result_t, (nf_code)t * d->weights[0],
                                              ft + nf_fixed_frac_bits(&d->weight_t));
  }
}

/* hls4ml's hard_sigmoid: d = slope x + shift exactly (slope 0.2 in
 * ap_ufixed<16,0>, shift 0.5 in ap_ufixed<2,0>), 1 above 1, 0 below 0,
 * then cast to result_t. */
static void act_hard_sigmoid(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int fi = nf_fixed_frac_bits(&d->input_t), fp = fi + NF_HARD_SIGMOID_SLOPE_FRAC;
  int f = fp > NF_HARD_SIGMOID_SHIFT_FRAC ? fp : NF_HARD_SIGMOID_SHIFT_FRAC;
  nf_code one = (nf_code)1 << f, shift = (nf_code)NF_HARD_SIGMOID_SHIFT << (f - NF_HARD_SIGMOID_SHIFT_FRAC);
  nf_code slope = (nf_code)NF_HARD_SIGMOID_SLOPE << (f - fp);
  for (int j = 0; j < d->n_out; j++) {
    nf_code v = (nf_code)x[j] * slope + shift;
    v = v > one ? one : v < 0 ? 0 : v;
    y[j] = (int64_t)nf_fixed_cast_code(&d->result_t, v, f);
  }
}

/* hls4ml's thresholded_relu: y = x > theta ? (result_t) x : 0, the
 * comparison exact between input_t and param_t (weight_t). */
static void act_thresholded_relu(const nf_design_layer *d, const int64_t *x, int64_t *y) {
  int fi = nf_fixed_frac_bits(&d->input_t), ft = nf_fixed_frac_bits(&d->weight_t), f = fi > ft ? fi : ft;
  nf_code theta = (nf_code)d->weights[0] * ((nf_code)1 << (f - ft));
  for (int j = 0; j < d->n_out; j++)
    y[j] = (nf_code)x[j] * ((nf_code)1 << (f - fi)) > theta ? nf_emu_cast(&d->result_t, x[j], fi) : 0;
}

const nf_emulate_act_ops nf_emulate_act_linear = {.forward = act_linear};
const nf_emulate_act_ops nf_emulate_act_leaky_relu = {.forward = act_leaky_relu};
const nf_emulate_act_ops nf_emulate_act_thresholded_relu = {.forward = act_thresholded_relu};
const nf_emulate_act_ops nf_emulate_act_table = {.forward = act_table};
const nf_emulate_act_ops nf_emulate_act_exp_table = {.forward = act_exp_table};
const nf_emulate_act_ops nf_emulate_act_hard_sigmoid = {.forward = act_hard_sigmoid};
const nf_emulate_act_ops nf_emulate_act_relu = {.forward = act_relu};
const nf_emulate_act_ops nf_emulate_act_softmax = {.forward = act_softmax};
const nf_emulate_act_ops nf_emulate_act_binary_tanh = {.forward = act_binary_tanh};
const nf_emulate_act_ops nf_emulate_act_ternary_tanh = {.forward = act_ternary_tanh};
const nf_emulate_act_ops nf_emulate_act_bipolar = {.forward = act_bipolar};
const nf_emulate_act_ops nf_emulate_act_none = {.forward = NULL};

static const nf_emulate_act_ops *const ACT_OPS[NF_ACT_COUNT] = {
#define NF_ACTIVATION(ID, NAME, MODEL, TRAIN, EMULATE, ...) [NF_ACT_##ID] = &nf_emulate_act_##EMULATE,
#include "nnfirm/activations.def"
#undef NF_ACTIVATION
};

static int activation_prepare(const nf_design_layer *l, void **state, nf_error *err) {
  if ((unsigned)l->act >= NF_ACT_COUNT || !ACT_OPS[l->act]->forward)
    return nf_fail(err, NF_EINPUT, "layer '%s': activation %s has no fixed-point emulation", l->name,
                   nf_activation_name(l->act));
  if (nf_act_param_count(l->act, l->n_in) &&
      (!l->weights || l->weight_t.width > 62 || l->input_t.width > 62 ||
       abs(nf_fixed_frac_bits(&l->input_t) - nf_fixed_frac_bits(&l->weight_t)) > 60))
    return nf_fail(err, NF_EINPUT, "layer '%s': %s without its parameter, or types too wide", l->name,
                   nf_activation_name(l->act));
  if (l->act == NF_ACT_ELU && (l->table.table_t.width > 62 || nf_fixed_frac_bits(&l->table.table_t) < -60 ||
                               nf_fixed_frac_bits(&l->table.table_t) > 60))
    return nf_fail(err, NF_EINPUT, "layer '%s': elu table type too wide", l->name);
  if ((l->act == NF_ACT_HARD_SIGMOID || l->act == NF_ACT_SELU) &&
      (l->input_t.width > 62 || nf_fixed_frac_bits(&l->input_t) < -40 || nf_fixed_frac_bits(&l->input_t) > 60))
    return nf_fail(err, NF_EINPUT, "layer '%s': %s input type too wide", l->name, nf_activation_name(l->act));
  if (nf_act_has_table(l->act) && (!l->table.codes || l->table.size < 2 || l->input_t.width > 62))
    return nf_fail(err, NF_EINPUT, "layer '%s': %s without its lookup table", l->name, nf_activation_name(l->act));
  *state = NULL;
  return NF_OK;
}

static void activation_forward(const nf_design_layer *l, const void *state, const int64_t *x, int64_t *y,
                               void *scratch) {
  (void)state;
  (void)scratch;
  ACT_OPS[l->act]->forward(l, x, y);
}

const nf_emulate_layer_ops nf_emulate_activation_ops = {
    .prepare = activation_prepare,
    .forward = activation_forward,
    .block = nf_emulate_act_block, /* fast.c */
};
