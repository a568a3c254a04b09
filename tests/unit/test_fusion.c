/* The fusion rule of a Dense and the layer after it (nf_rtl_relu_fold,
 * src/rtl/emit.h): a ReLU, or HGQ's FixedPointQuantizer when every element
 * is unsigned and saturating. Each output's rounding offset is its own
 * element's (the half step of the bits its type drops, 0 for a floor), an
 * element of width 0 gets none, and a signed or wrapping element, a mode
 * without a fold, or a sum the Dense's types would change keeps the layers
 * apart. (The generated RTL is co-simulated in tests/cli/test_relu_fusion.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtl/emit.h"

enum { N_IN = 3, N_OUT = 4 };

static int64_t weights[N_IN * N_OUT] = {1, -2, 3, 0, 2, 1, -1, 1, 0, 3, 1, -2};
static int64_t bias[N_OUT] = {1, 0, -3, 2};
static nf_fixed_type elem[N_OUT];

/* Dense 3 -> 4: inputs ap_ufixed<4,2>, weights ap_fixed<3,1>, accum and
 * result ap_fixed<10,6> (every sum exact: 4 fraction bits) */
static void dense(nf_design_layer *D) {
  memset(D, 0, sizeof *D);
  D->kind = NF_LAYER_DENSE;
  D->n_in = N_IN, D->n_out = N_OUT;
  D->input_t = nf_fixed_type_make(4, 2, false);
  D->weight_t = D->bias_t = nf_fixed_type_make(3, 1, true);
  D->accum_t = D->result_t = nf_fixed_type_make(10, 6, true);
  D->weights = weights, D->bias = bias;
  D->reuse_factor = 1;
}

/* The quantizer after it: element j ap_ufixed<w_j, i_j, q, SAT> */
static void quantizer(nf_design_layer *A, const nf_design_layer *D, nf_qmode q) {
  memset(A, 0, sizeof *A);
  A->kind = NF_LAYER_QUANT;
  A->n_in = A->n_out = N_OUT;
  A->input_t = D->result_t;
  int w[N_OUT] = {3, 0, 4, 2}, i[N_OUT] = {1, 0, 2, 0};
  for (int j = 0; j < N_OUT; j++) {
    elem[j] = w[j] ? nf_fixed_type_make(w[j], i[j], false) : (nf_fixed_type){0};
    if (w[j]) elem[j].q = q, elem[j].o = NF_O_SAT;
  }
  A->elem_t = elem;
  A->result_t = nf_fixed_type_make(4, 2, false);
}

static void test_quantizer_offsets(void **state) {
  (void)state;
  nf_design_layer D, A;
  dense(&D);
  quantizer(&A, &D, NF_Q_RND);
  nf_code off[N_OUT];
  assert_true(nf_rtl_relu_fold(&D, &A, NULL, NULL, off));
  /* the sums have 4 fraction bits; the elements keep 2, 0, 2, 2: half steps 2, none, 2, 2 */
  assert_int_equal(off[0], 2);
  assert_int_equal(off[1], 0); /* width 0: the constant 0 */
  assert_int_equal(off[2], 2);
  assert_int_equal(off[3], 2);
  assert_true(nf_rtl_fused_dead(&A, 1) && !nf_rtl_fused_dead(&A, 0));
  assert_ptr_equal(nf_rtl_fused_type(&A, 2), &elem[2]);
  quantizer(&A, &D, NF_Q_TRN); /* a floor: no offset */
  assert_true(nf_rtl_relu_fold(&D, &A, NULL, NULL, off));
  for (int j = 0; j < N_OUT; j++) assert_int_equal(off[j], 0);
  quantizer(&A, &D, NF_Q_RND_ZERO); /* half down for x >= 0: h - 1 */
  assert_true(nf_rtl_relu_fold(&D, &A, NULL, NULL, off));
  assert_int_equal(off[0], 1);
}

static void test_quantizer_refused(void **state) {
  (void)state;
  nf_design_layer D, A;
  dense(&D);
  quantizer(&A, &D, NF_Q_RND);
  elem[2].is_signed = true, elem[2].width++; /* a signed element is no ReLU */
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
  quantizer(&A, &D, NF_Q_RND);
  elem[3].o = NF_O_WRAP; /* a wrapping one neither */
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
  quantizer(&A, &D, NF_Q_RND);
  A.elem_t = NULL; /* no element types */
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
  quantizer(&A, &D, NF_Q_RND);
  D.result_t = nf_fixed_type_make(8, 6, true); /* the Dense's result drops 2 bits of its sums */
  A.input_t = D.result_t;
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
  dense(&D);
  quantizer(&A, &D, NF_Q_RND);
  D.reuse_factor = 2; /* not fully parallel */
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
}

/* A ReLU keeps its one result type for every output. */
static void test_relu(void **state) {
  (void)state;
  nf_design_layer D, A;
  dense(&D);
  memset(&A, 0, sizeof A);
  A.kind = NF_LAYER_ACTIVATION, A.act = NF_ACT_RELU;
  A.n_in = A.n_out = N_OUT;
  A.input_t = D.result_t;
  A.result_t = nf_fixed_type_make(3, 1, false);
  A.result_t.q = NF_Q_RND, A.result_t.o = NF_O_SAT;
  nf_code off[N_OUT];
  assert_true(nf_rtl_relu_fold(&D, &A, NULL, NULL, off));
  for (int j = 0; j < N_OUT; j++) {
    assert_int_equal(off[j], 2);
    assert_false(nf_rtl_fused_dead(&A, j));
    assert_ptr_equal(nf_rtl_fused_type(&A, j), &A.result_t);
  }
  A.act = NF_ACT_TANH;
  assert_false(nf_rtl_relu_fold(&D, &A, NULL, NULL, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantizer_offsets),
      cmocka_unit_test(test_quantizer_refused),
      cmocka_unit_test(test_relu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
