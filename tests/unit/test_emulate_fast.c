/* The emulator's block path (src/emulate/fast.c, dense.c's block kernels)
 * against its reference (nf_emulate_reference: SPEC §3 literally, row by
 * row, 128-bit codes): the same codes on many random designs with random
 * types — every quantization and overflow mode, negative and oversized
 * integer bits, saturating and wrapping accumulators, narrow products that
 * take the 16-bit lanes, and wide inputs, weights, accumulators and results
 * that force the reference for a layer or for the whole design — at 1 and 2
 * threads and for row counts that leave a partial block; and again at each
 * instruction set level the machine has (the pair kernels of AVX2,
 * AVX-512 and AVX-512 VNNI, and the portable kernels alone). */
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emulate/layers.h"
#include "nnfirm/emulate.h"
#include "nnfirm/rng.h"

static int pick(nf_rng *r, int lo, int hi) { return lo + (int)nf_rng_below(r, (uint64_t)(hi - lo + 1)); }

/* A random type of lo..hi bits: random sign, integer bits from below zero
 * to past the width, random modes (half the time hls4ml's default ones). */
static nf_fixed_type random_type(nf_rng *r, int lo, int hi) {
  int w = pick(r, lo, hi);
  nf_fixed_type t = nf_fixed_type_make(w, pick(r, -3, w + 3), nf_rng_below(r, 4) != 0);
  if (!t.is_signed && t.width < 2) t.width = 2;
  if (nf_rng_below(r, 2)) {
    t.q = (nf_qmode)nf_rng_below(r, 7);
    t.o = (nf_omode)nf_rng_below(r, 4);
  }
  return t;
}

static int64_t random_code(nf_rng *r, const nf_fixed_type *t) {
  int64_t lo = (int64_t)nf_fixed_min_code(t), hi = (int64_t)nf_fixed_max_code(t);
  switch (nf_rng_below(r, 8)) { /* the extremes often: they saturate and wrap */
  case 0: return lo;
  case 1: return hi;
  case 2: return 0;
  default: return lo + (int64_t)nf_rng_below(r, (uint64_t)(hi - lo) + 1);
  }
}

/* Dense layers, each maybe followed by an activation. style 0: types the
 * block kernels take (inputs and weights <= 16 bits, accumulators <= 32);
 * 1: anything up to 40 bits, so some layers or the whole design fall back. */
static nf_design *random_design(nf_rng *r, int style) {
  nf_design *d = calloc(1, sizeof *d);
  assert_non_null(d);
  int n_dense = pick(r, 1, 3), cap = 2 * n_dense;
  d->layers = calloc((size_t)cap, sizeof *d->layers);
  assert_non_null(d->layers);
  d->n_inputs = pick(r, 1, 24);
  d->input_t = random_type(r, 2, style ? 20 : 16);
  nf_fixed_type cur = d->input_t;
  int width = d->n_inputs;
  for (int k = 0; k < n_dense; k++) {
    nf_design_layer *l = &d->layers[d->n_layers++];
    snprintf(l->name, sizeof l->name, "fc%d", k);
    l->kind = NF_LAYER_DENSE;
    l->n_in = width;
    l->n_out = width = pick(r, 1, 40);
    l->input_t = cur;
    l->weight_t = random_type(r, 2, style ? 20 : 16);
    l->bias_t = random_type(r, 2, 24);
    /* Accumulators: hls4ml's default modes most of the time (the 16-bit
     * and 32-bit wrapping kernels), else random ones (saturating). */
    l->accum_t = random_type(r, 4, style ? 40 : 32);
    if (nf_rng_below(r, 3)) l->accum_t.q = NF_Q_TRN, l->accum_t.o = NF_O_WRAP;
    l->result_t = random_type(r, 2, style ? 34 : 24);
    l->weights = malloc((size_t)l->n_in * l->n_out * sizeof *l->weights);
    l->bias = malloc((size_t)l->n_out * sizeof *l->bias);
    assert_non_null(l->weights);
    assert_non_null(l->bias);
    for (long i = 0; i < (long)l->n_in * l->n_out; i++)
      l->weights[i] = nf_rng_below(r, 3) ? random_code(r, &l->weight_t) : 0; /* a third pruned */
    for (int j = 0; j < l->n_out; j++) l->bias[j] = random_code(r, &l->bias_t);
    cur = l->result_t;
    if (nf_rng_below(r, 4) == 0) continue;
    nf_design_layer *a = &d->layers[d->n_layers++];
    snprintf(a->name, sizeof a->name, "act%d", k);
    a->kind = NF_LAYER_ACTIVATION;
    const nf_activation acts[] = {NF_ACT_RELU, NF_ACT_RELU, NF_ACT_LINEAR, NF_ACT_BINARY_TANH, NF_ACT_TERNARY_TANH};
    a->act = acts[nf_rng_below(r, 5)];
    a->n_in = a->n_out = width;
    a->input_t = cur;
    a->result_t = random_type(r, 2, style ? 34 : 20);
    cur = a->result_t;
  }
  d->n_outputs = width;
  d->n_hw = d->n_layers;
  return d;
}

static int pair_count; /* dense layers on a pair kernel (dense.c), counted by block_layers */

/* How many of d's dense layers get a block kernel. */
static int block_layers(const nf_design *d, int *dense) {
  int got = 0;
  for (int i = 0; i < d->n_layers; i++) {
    const nf_design_layer *l = &d->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    ++*dense;
    void *st = NULL;
    assert_int_equal(nf_emulate_dense_ops.prepare(l, &st, NULL), 0);
    got += nf_emulate_dense_ops.block(l, st) != NULL;
    pair_count += nf_emu_dense_pairs(st);
    nf_emulate_dense_ops.release(st);
  }
  return got;
}

static void compare(nf_rng *r, const nf_design *d, int threads, const char *what, int index) {
  long n = pick(r, 1, 3) == 1 ? pick(r, 1, 5) : pick(r, 30, 150);
  int upto = nf_rng_below(r, 3) ? d->n_layers - 1 : pick(r, 0, d->n_layers - 1);
  int n_out = d->layers[upto].n_out;
  int64_t *in = malloc((size_t)n * d->n_inputs * sizeof *in);
  int64_t *fast = malloc((size_t)n * n_out * sizeof *fast), *ref = malloc((size_t)n * n_out * sizeof *ref);
  assert_non_null(in);
  assert_non_null(fast);
  assert_non_null(ref);
  for (long i = 0; i < n * d->n_inputs; i++) in[i] = random_code(r, &d->input_t);
  nf_error err = {0};
  omp_set_num_threads(threads);
  assert_int_equal(nf_emulate(d, in, n, upto, fast, &err), 0);
  assert_int_equal(nf_emulate_reference(d, in, n, upto, ref, &err), 0);
  for (long k = 0; k < n * n_out; k++)
    if (fast[k] != ref[k]) {
      const nf_design_layer *l = &d->layers[upto];
      char a[96], b[96], c[96];
      nf_fixed_type_format(&l->input_t, a, sizeof a);
      nf_fixed_type_format(&l->accum_t, b, sizeof b);
      nf_fixed_type_format(&l->result_t, c, sizeof c);
      fail_msg("%s design %d, %d thread(s): row %ld, output %ld: block path %lld, reference %lld (layer %d '%s': "
               "input %s, accum %s, result %s)",
               what, index, threads, k / n_out, k % n_out, (long long)fast[k], (long long)ref[k], upto, l->name, a, b, c);
    }
  free(in);
  free(fast);
  free(ref);
}

static void run_designs(int style, int count, int *blocks, int *dense) {
  nf_rng r;
  nf_rng_seed(&r, 19u + (unsigned)style);
  for (int k = 0; k < count; k++) {
    nf_design *d = random_design(&r, style);
    *blocks += block_layers(d, dense);
    compare(&r, d, 1 + k % 2, style ? "wide" : "narrow", k);
    nf_design_free(d);
  }
}

/* Mostly types the block kernels take: most dense layers get one (the test
 * would pass vacuously otherwise; the rest have products shifted by more
 * than 30 bits or 16-bit unsigned codes), and every code agrees. */
static void test_narrow_types(void **state) {
  (void)state;
  int blocks = 0, dense = 0;
  run_designs(0, 600, &blocks, &dense);
  print_message("narrow: %d of %d dense layers on a block kernel\n", blocks, dense);
  assert_true(blocks * 4 >= dense * 3);
}

/* Wider types: many layers (and whole designs) on the reference. */
static void test_wide_types(void **state) {
  (void)state;
  int blocks = 0, dense = 0;
  run_designs(1, 400, &blocks, &dense);
  print_message("wide: %d of %d dense layers on a block kernel\n", blocks, dense);
  assert_true(blocks > 0 && blocks < dense);
}

/* hls4ml's defaults at ap_fixed<16,6> and a 6-bit QKeras-like layer: the
 * 16-bit lanes, hand-checked against the reference on every input code
 * pair's extremes. */
static void test_default_types(void **state) {
  (void)state;
  nf_rng r;
  nf_rng_seed(&r, 7);
  for (int k = 0; k < 40; k++) {
    nf_design *d = random_design(&r, 0);
    for (int i = 0; i < d->n_layers; i++) {
      nf_design_layer *l = &d->layers[i];
      nf_fixed_type t16 = nf_fixed_type_make(16, 6, true), t6 = nf_fixed_type_make(6, 1, true);
      nf_fixed_type t7 = nf_fixed_type_make(7, 1, true);
      t7.q = NF_Q_RND_CONV, t7.o = NF_O_SAT;
      l->input_t = i == 0 ? t16 : d->layers[i - 1].result_t;
      if (l->kind == NF_LAYER_DENSE) {
        l->weight_t = k % 2 ? t6 : t16;
        l->accum_t = t16;
        for (long w = 0; w < (long)l->n_in * l->n_out; w++) l->weights[w] = random_code(&r, &l->weight_t);
        l->bias_t = t16;
        for (int j = 0; j < l->n_out; j++) l->bias[j] = random_code(&r, &t16);
        l->result_t = t16;
      } else {
        l->result_t = k % 2 ? t7 : t16;
      }
    }
    d->input_t = d->layers[0].input_t;
    int dense = 0, blocks = block_layers(d, &dense);
    assert_int_equal(blocks, dense);
    compare(&r, d, 1 + k % 2, "default", k);
    nf_design_free(d);
  }
}

/* Every instruction set level the machine has, the portable kernels alone
 * (GENERIC) included: the narrow and the default designs again at each,
 * the pair kernels (AVX2, AVX-512, AVX-512 VNNI) taking many layers at
 * each level that has them and none below. */
static void test_isa_levels(void **state) {
  (void)state;
  nf_emu_isa_force(-1);
  int top = (int)nf_emu_isa();
  for (int level = NF_EMU_ISA_GENERIC; level <= top; level++) {
    nf_emu_isa_force(level);
    assert_int_equal((int)nf_emu_isa(), level);
    int blocks = 0, dense = 0;
    pair_count = 0;
    run_designs(0, 300, &blocks, &dense);
    test_default_types(NULL);
    print_message("level %d: %d of %d narrow dense layers on a block kernel, %d layers on a pair kernel\n", level,
                  blocks, dense, pair_count);
    if (level == NF_EMU_ISA_GENERIC) assert_int_equal(pair_count, 0);
    else assert_true(pair_count * 3 >= dense);
  }
  nf_emu_isa_force(-1);
  if (top == NF_EMU_ISA_GENERIC) print_message("no AVX2 here: the pair kernels were not run\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_narrow_types),
      cmocka_unit_test(test_wide_types),
      cmocka_unit_test(test_default_types),
      cmocka_unit_test(test_isa_levels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
