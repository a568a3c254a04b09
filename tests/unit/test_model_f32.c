/* nf_model_forward_f32 (float32, sgemm, fused bias and activation) and its
 * naive reference against the double forward pass nf_model_forward, at
 * every layer's output, on random models with every layer kind and
 * activation the float32 path takes (Dense with and without bias, with a
 * QKeras weight quantizer and a pruning mask, Dropout, Activation linear,
 * relu, leaky_relu, tanh, sigmoid, softmax after a Dense and alone), a
 * scaler, 1 and 2 threads, a row count that leaves a partial block.
 *
 * Tolerance: |f32 - double| <= 1e-5 * max(1, largest |double| of the row).
 * float32 rounds each operation by at most 2^-24 (6e-8) relative; the sums
 * here have at most 64 terms and 5 layers, so the rounding error stays
 * about 1e-6 of the row's magnitude in practice (a worst-case bound,
 * 64 * 5 * 6e-8 = 1.9e-5 of the sum of |terms|, is not reached by random
 * signs). Checked to fail: each layer perturbed by 1e-3 (one weight, one
 * bias, an activation's slope or kind), the comparison must see it.
 * And the models the fast path does not take (BatchNormalization, a
 * quantized activation) give the double path's values rounded to float32. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/model.h"
#include "nnfirm/rng.h"

enum { N = 1234 }; /* 2 full blocks of 512 and a partial one */

static void fill(nf_rng *r, float *p, size_t n, double scale) {
  for (size_t k = 0; p && k < n; k++) p[k] = (float)(scale * nf_rng_normal(r));
}

/* 16 -> Dense 64 (quantized, masked) relu -> Dropout -> Dense 32 leaky_relu
 * -> Dense 32 tanh -> Activation linear -> Dense 24 (no bias) sigmoid ->
 * Activation relu -> Dense 5 softmax */
static nf_model *random_model(nf_rng *r) {
  nf_error err = {0};
  nf_model *m = nf_model_new(16, &err);
  assert_non_null(m);
  nf_layer *l = nf_model_add_dense(m, "d1", 64, true, &err);
  assert_non_null(l);
  assert_int_equal(nf_quantizer_parse("quantized_bits(8,0,alpha=1)", &l->kernel_q, "d1", &err), NF_OK);
  assert_non_null(nf_model_add_activation(m, "a1", NF_ACT_RELU, &err));
  assert_non_null(nf_model_add_dropout(m, "drop", 0.2f, &err));
  assert_non_null(nf_model_add_dense(m, "d2", 32, true, &err));
  l = nf_model_add_activation(m, "a2", NF_ACT_LEAKY_RELU, &err);
  assert_non_null(l);
  l->act_alpha = 0.3f;
  assert_non_null(nf_model_add_dense(m, "d3", 32, true, &err));
  assert_non_null(nf_model_add_activation(m, "a3", NF_ACT_TANH, &err));
  assert_non_null(nf_model_add_activation(m, "lin", NF_ACT_LINEAR, &err));
  assert_non_null(nf_model_add_dense(m, "d4", 24, false, &err));
  assert_non_null(nf_model_add_activation(m, "a4", NF_ACT_SIGMOID, &err));
  assert_non_null(nf_model_add_activation(m, "a5", NF_ACT_RELU, &err));
  assert_non_null(nf_model_add_dense(m, "d5", 5, true, &err));
  assert_non_null(nf_model_add_activation(m, "sm", NF_ACT_SOFTMAX, &err));
  for (int i = 0; i < m->n_layers; i++) {
    l = &m->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    fill(r, l->kernel, (size_t)l->n_in * l->n_out, 1.0 / sqrt(l->n_in));
    fill(r, l->bias, (size_t)l->n_out, 0.3);
  }
  l = &m->layers[0];
  l->mask = calloc((size_t)l->n_in * l->n_out, 1);
  assert_non_null(l->mask);
  for (int k = 0; k < l->n_in * l->n_out; k++) l->mask[k] = nf_rng_below(r, 4) != 0;
  float mean[16], scale[16];
  fill(r, mean, 16, 1);
  for (int i = 0; i < 16; i++) scale[i] = 0.5f + (float)i / 16;
  assert_int_equal(nf_model_set_scaler(m, mean, scale, &err), NF_OK);
  assert_int_equal(nf_model_validate(m, &err), NF_OK);
  return m;
}

/* The largest |f - d| / (1e-5 * max(1, max_j |d_rj|)) over rows and columns:
 * at most 1 passes. */
static double excess(const float *f, const double *d, long n, int cols) {
  double worst = 0;
  for (long r = 0; r < n; r++) {
    double mag = 1;
    for (int j = 0; j < cols; j++) mag = fmax(mag, fabs(d[r * cols + j]));
    for (int j = 0; j < cols; j++) {
      double e = fabs(f[r * cols + j] - d[r * cols + j]) / (1e-5 * mag);
      worst = isnan(e) ? INFINITY : fmax(worst, e);
    }
  }
  return worst;
}

typedef enum { FAST, NAIVE } path;

/* excess of path on model m against the double pass of model ref at layer upto */
static double compare(const nf_model *m, const nf_model *ref, const float *x, int upto, path p) {
  nf_error err = {0};
  int cols = m->layers[upto].n_out;
  float *f = malloc((size_t)N * cols * sizeof *f);
  double *d = malloc((size_t)N * cols * sizeof *d);
  assert_non_null(f);
  assert_non_null(d);
  int rc = p == FAST ? nf_model_forward_f32(m, x, N, upto, true, f, &err)
                     : nf_model_forward_f32_reference(m, x, N, upto, true, f, &err);
  assert_int_equal(rc, NF_OK);
  assert_int_equal(nf_model_forward(ref, x, N, upto, true, d, &err), NF_OK);
  double e = excess(f, d, N, cols);
  free(f);
  free(d);
  return e;
}

static void test_every_layer(void **st) {
  (void)st;
  nf_rng r;
  nf_rng_seed(&r, 7);
  nf_model *m = random_model(&r);
  float *x = malloc((size_t)N * 16 * sizeof *x);
  assert_non_null(x);
  fill(&r, x, (size_t)N * 16, 2);
  for (int th = 1; th <= 2; th++) {
    omp_set_num_threads(th);
    for (int upto = 0; upto < m->n_layers; upto++) {
      assert_true(nf_model_forward_f32_takes(m, upto));
      double fast = compare(m, m, x, upto, FAST), naive = compare(m, m, x, upto, NAIVE);
      print_message("threads %d, layer %-4s: |f32 - double| at most %.3f, naive %.3f of the tolerance\n", th,
                    m->layers[upto].name, fast, naive);
      assert_true(fast <= 1);
      assert_true(naive <= 1);
    }
  }
  /* Each layer wrong by a little: the comparison at the last layer's input
   * (logits) and output must see it. */
  nf_error err = {0};
  for (int li = 0; li < m->n_layers; li++) {
    nf_model *bad = nf_model_clone(m, &err);
    assert_non_null(bad);
    nf_layer *l = &bad->layers[li];
    if (l->kind == NF_LAYER_DENSE) {
      l->kernel[1] += 1e-2f; /* kernel[0][1] (its mask keeps it or not: change a bias too) */
      if (l->bias) l->bias[l->n_out - 1] += 1e-3f;
      else l->kernel[(size_t)l->n_in * l->n_out - 1] += 1e-2f;
      if (l->mask) l->mask[1] = 1, l->mask[(size_t)l->n_in * l->n_out - 1] = 1;
    } else if (l->kind == NF_LAYER_ACTIVATION) {
      if (l->act == NF_ACT_LEAKY_RELU) l->act_alpha *= 1.01f;
      else if (l->act == NF_ACT_LINEAR) l->act = NF_ACT_RELU;
      else l->act = l->act == NF_ACT_RELU ? NF_ACT_TANH : NF_ACT_LINEAR; /* relu after sigmoid: tanh differs */
    } else {
      nf_model_free(bad); /* Dropout has nothing to get wrong */
      continue;
    }
    double e = compare(bad, m, x, m->n_layers - 2, FAST);
    if (li == m->n_layers - 1) e = compare(bad, m, x, m->n_layers - 1, FAST);
    print_message("layer %-4s wrong: %.0f times the tolerance\n", m->layers[li].name, e);
    assert_true(e > 1);
    nf_model_free(bad);
  }
  free(x);
  nf_model_free(m);
}

/* Models the fast path does not take: the double path, rounded. */
static void test_fallback(void **st) {
  (void)st;
  nf_rng r;
  nf_rng_seed(&r, 8);
  nf_error err = {0};
  for (int which = 0; which < 2; which++) {
    nf_model *m = nf_model_new(16, &err);
    assert_non_null(m);
    nf_layer *l = nf_model_add_dense(m, "d1", 8, true, &err);
    assert_non_null(l);
    fill(&r, l->kernel, 16 * 8, 0.3);
    if (which == 0) assert_non_null(nf_model_add_batchnorm(m, "bn", 1e-3f, &err));
    l = nf_model_add_activation(m, "a", NF_ACT_RELU, &err);
    assert_non_null(l);
    if (which == 1) assert_int_equal(nf_quantizer_parse("quantized_relu(4,1)", &l->act_q, "a", &err), NF_OK);
    assert_false(nf_model_forward_f32_takes(m, -1));
    float x[16 * 40], f[8 * 40];
    double d[8 * 40];
    fill(&r, x, 16 * 40, 1);
    assert_int_equal(nf_model_forward_f32(m, x, 40, -1, true, f, &err), NF_OK);
    assert_int_equal(nf_model_forward(m, x, 40, -1, true, d, &err), NF_OK);
    for (int k = 0; k < 8 * 40; k++) assert_true(f[k] == (float)d[k]);
    nf_model_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_layer), cmocka_unit_test(test_fallback)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
