/* The constant-matrix adder graph of src/rtl/cse.c (common-subexpression
 * elimination across a Dense layer's outputs): on random matrices (signed
 * weights, zero rows and columns, pruned weights, several widths and
 * shapes) and random signed inputs, the graph evaluated on integers equals
 * the matrix product plus bias exactly; it shares sums (fewer adders than a
 * tree of each output's CSD digits), and its nodes are well formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/rng.h"
#include "rtl/emit.h"

typedef struct mat {
  int n_in, n_out;
  int64_t *w; /* [n_in][n_out] */
  int64_t *b; /* [n_out] */
  int shift;  /* every term shifted by this much (dense.c's accum alignment) */
} mat;

static int64_t rnd(nf_rng *r, int64_t lo, int64_t hi) { return lo + (int64_t)nf_rng_below(r, (uint64_t)(hi - lo + 1)); }

static void make(nf_rng *r, mat *m, int n_in, int n_out, int bits, double prune) {
  m->n_in = n_in, m->n_out = n_out;
  m->w = calloc((size_t)n_in * n_out, sizeof *m->w);
  m->b = calloc((size_t)n_out, sizeof *m->b);
  assert_non_null(m->w), assert_non_null(m->b);
  int64_t top = ((int64_t)1 << (bits - 1)) - 1;
  int zero_row = n_in > 2 ? (int)rnd(r, 0, n_in - 1) : -1, zero_col = n_out > 2 ? (int)rnd(r, 0, n_out - 1) : -1;
  for (int i = 0; i < n_in; i++)
    for (int j = 0; j < n_out; j++)
      m->w[(size_t)i * n_out + j] = i == zero_row || j == zero_col || nf_rng_uniform(r) < prune ? 0 : rnd(r, -top - 1, top);
  for (int j = 0; j < n_out; j++) m->b[j] = nf_rng_uniform(r) < 0.3 ? 0 : rnd(r, -1000, 1000);
  m->shift = (int)rnd(r, 0, 3);
}

/* The matrix as dense.c gives it to the planner: per output, every nonzero
 * weight's CSD digits as signed, shifted input terms. */
static void terms_of(const mat *m, rtl_cref **terms, int **start, bool **has_bias, int *n_naive) {
  size_t cap = (size_t)m->n_in * m->n_out * 33 + 1;
  *terms = calloc(cap, sizeof **terms);
  *start = calloc((size_t)m->n_out + 1, sizeof **start);
  *has_bias = calloc((size_t)m->n_out + 1, sizeof **has_bias);
  assert_non_null(*terms), assert_non_null(*start), assert_non_null(*has_bias);
  int n = 0;
  *n_naive = 0;
  for (int j = 0; j < m->n_out; j++) {
    (*start)[j] = n;
    (*has_bias)[j] = m->b[j] != 0;
    int k = (*has_bias)[j];
    for (int i = 0; i < m->n_in; i++) {
      int64_t w = m->w[(size_t)i * m->n_out + j];
      if (!w) continue;
      int sh[66], dg[66], nd = nf_rtl_csd(w < 0 ? -w : w, sh, dg);
      for (int d = 0; d < nd; d++) (*terms)[n++] = (rtl_cref){.node = i, .shift = sh[d] + m->shift, .sign = w < 0 ? -dg[d] : dg[d]};
      k += nd;
    }
    *n_naive += k > 1 ? k - 1 : 0;
  }
  (*start)[m->n_out] = n;
}

/* Plans m, checks the graph, evaluates it on `rows` random inputs against
 * the product; returns the graph's adders (and the naive count). */
static int check(nf_rng *r, const mat *m, int rows, int in_bits, int *naive) {
  rtl_cref *terms;
  int *start;
  bool *has_bias;
  terms_of(m, &terms, &start, &has_bias, naive);
  rtl_cmm g;
  nf_error err = {0};
  assert_int_equal(nf_rtl_cmm_plan(m->n_in, m->n_out, terms, start, has_bias, &g, &err), 0);
  assert_int_equal(g.n_in, m->n_in);
  int adders = 0;
  for (int k = m->n_in; k < g.n_nodes; k++) {
    const rtl_cnode *c = &g.node[k];
    if (c->bias) {
      assert_true(c->out >= 0 && c->out < m->n_out && m->b[c->out] != 0);
      continue;
    }
    adders++;
    /* operands come before the node, at smaller depth */
    assert_true(c->a.node >= 0 && c->a.node < k && c->b.node >= 0 && c->b.node < k);
    assert_true(g.node[c->a.node].depth < c->depth && g.node[c->b.node].depth < c->depth);
    assert_true(c->depth <= g.depth);
    assert_true(c->a.sign == 1 || c->a.sign == -1);
    assert_true(c->b.sign == 1 || c->b.sign == -1);
  }
  nf_code *x = calloc((size_t)m->n_in + 1, sizeof *x), *y = calloc((size_t)m->n_out + 1, sizeof *y),
          *bias = calloc((size_t)m->n_out + 1, sizeof *bias);
  assert_non_null(x), assert_non_null(y), assert_non_null(bias);
  for (int j = 0; j < m->n_out; j++) bias[j] = m->b[j];
  int64_t xmax = ((int64_t)1 << (in_bits - 1)) - 1;
  for (int row = 0; row < rows; row++) {
    for (int i = 0; i < m->n_in; i++) x[i] = row == 0 ? -xmax - 1 : row == 1 ? xmax : row == 2 ? 0 : rnd(r, -xmax - 1, xmax);
    assert_int_equal(nf_rtl_cmm_eval(&g, x, bias, y, &err), 0);
    for (int j = 0; j < m->n_out; j++) {
      nf_code want = m->b[j];
      for (int i = 0; i < m->n_in; i++) want += x[i] * m->w[(size_t)i * m->n_out + j] * ((nf_code)1 << m->shift);
      if (y[j] != want) fail_msg("%dx%d, row %d, output %d: graph %lld, product %lld", m->n_in, m->n_out, row, j, (long long)y[j], (long long)want);
    }
  }
  free(x), free(y), free(bias), free(terms), free(start), free(has_bias);
  nf_rtl_cmm_free(&g);
  return adders;
}

static void free_mat(mat *m) { free(m->w), free(m->b); }

static void test_random_matrices(void **state) {
  (void)state;
  nf_rng r;
  nf_rng_seed(&r, 17);
  static const struct {
    int n_in, n_out, bits;
    double prune;
  } shapes[] = {
      {1, 1, 6, 0}, {1, 7, 8, 0}, {7, 1, 8, 0}, {16, 8, 6, 0}, {16, 64, 6, 0}, {64, 32, 6, 0.7},
      {32, 5, 12, 0}, {24, 12, 5, 0.7}, {16, 16, 16, 0.95}, {8, 8, 3, 0.5}, {5, 9, 2, 0}, {12, 20, 10, 0.3},
  };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int rep = 0; rep < 3; rep++) {
      mat m;
      make(&r, &m, shapes[s].n_in, shapes[s].n_out, shapes[s].bits, shapes[s].prune);
      int naive;
      int adders = check(&r, &m, 40, 1 + (int)rnd(&r, 2, 12), &naive);
      assert_true(adders <= naive);
      free_mat(&m);
    }
}

/* Sharing happens: a dense 16x64 6-bit matrix (qkeras_3layer's first layer's
 * shape) needs clearly fewer adders than its outputs' digit trees, and a
 * matrix whose outputs are all equal needs about one output's adders. */
static void test_shares(void **state) {
  (void)state;
  nf_rng r;
  nf_rng_seed(&r, 5);
  mat m;
  make(&r, &m, 16, 64, 6, 0);
  int naive, adders = check(&r, &m, 10, 8, &naive);
  assert_true(adders < naive * 3 / 4);
  free_mat(&m);
  make(&r, &m, 10, 12, 8, 0);
  for (int i = 0; i < m.n_in; i++)
    for (int j = 1; j < m.n_out; j++) m.w[(size_t)i * m.n_out + j] = m.w[(size_t)i * m.n_out];
  for (int j = 0; j < m.n_out; j++) m.b[j] = 0;
  adders = check(&r, &m, 10, 8, &naive);
  int one = naive / m.n_out;
  assert_true(adders <= one + 1);
  free_mat(&m);
}

/* Degenerate matrices: all zero (every output its bias, or zero), one
 * nonzero weight, a single input feeding every output with the same weight. */
static void test_degenerate(void **state) {
  (void)state;
  int64_t w[6 * 4] = {0}, b[4] = {7, 0, -3, 0};
  mat m = {.n_in = 6, .n_out = 4, .w = w, .b = b, .shift = 1};
  nf_rng r;
  nf_rng_seed(&r, 9);
  int naive;
  assert_int_equal(check(&r, &m, 5, 6, &naive), 0);
  w[2 * 4 + 1] = -21;
  check(&r, &m, 5, 6, &naive);
  for (int j = 0; j < 4; j++) w[3 * 4 + j] = 45, b[j] = 0;
  check(&r, &m, 5, 6, &naive);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_matrices),
      cmocka_unit_test(test_shares),
      cmocka_unit_test(test_degenerate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
