/* Trainer: gradients of every layer against finite differences, determinism,
 * learning a separable problem, early stopping, the non-finite-loss stop. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/rng.h"
#include "nnfirm/train.h"
#include "train/train_internal.h"

/* Gaussian blobs: class c centred at +-2 on feature c % F (overlapping a little). */
static void blobs(long n, int F, int C, uint64_t seed, float *x, int *y) {
  nf_rng r;
  nf_rng_seed(&r, seed);
  for (long i = 0; i < n; i++) {
    int c = (int)(i % C);
    y[i] = c;
    for (int f = 0; f < F; f++) x[i * F + f] = (float)nf_rng_normal(&r);
    x[i * F + (c % F)] += (c / F) % 2 ? -2.0f : 2.0f;
  }
}

/* Central differences in double around each float parameter, compared with
 * the analytic gradient: |a - fd| <= 2e-3 + 3e-2 |fd|. */
static void grad_check(nf_model *m, double l1, double l2) {
  enum { N = 12 };
  int F = m->n_features, C = m->n_outputs;
  float x[N * 32];
  int y[N];
  assert_true(F <= 32);
  blobs(N, F, C, 7, x, y);
  nf_error err = {0};
  long P = nf_train_param_count(m);
  float *g = malloc((size_t)P * sizeof *g);
  float **ptr = malloc((size_t)P * sizeof *ptr);
  assert_non_null(g);
  assert_non_null(ptr);
  double loss;
  assert_int_equal(nf_train_loss_grad(m, x, y, N, l1, l2, 99, &loss, g, &err), 0);
  assert_true(isfinite(loss));
  assert_int_equal(nf_train_param_ptrs(m, ptr, P), 0);
  double worst = 0;
  long nonzero = 0;
  for (long k = 0; k < P; k++) {
    float w0 = *ptr[k];
    double h = 1e-2 * fmax(1.0, fabs(w0)) * 0.1, lp, lm;
    *ptr[k] = (float)(w0 + h);
    double hp = *ptr[k] - w0; /* the step float can represent */
    assert_int_equal(nf_train_loss_grad(m, x, y, N, l1, l2, 99, &lp, NULL, &err), 0);
    *ptr[k] = (float)(w0 - h);
    double hm = w0 - *ptr[k];
    assert_int_equal(nf_train_loss_grad(m, x, y, N, l1, l2, 99, &lm, NULL, &err), 0);
    *ptr[k] = w0;
    double fd = (lp - lm) / (hp + hm);
    double diff = fabs(g[k] - fd), tol = 2e-3 + 3e-2 * fabs(fd);
    if (diff > tol) print_error("param %ld: analytic %g, finite difference %g\n", k, g[k], fd);
    assert_true(diff <= tol);
    worst = fmax(worst, diff);
    nonzero += fabs(fd) > 1e-4;
  }
  /* the check is only meaningful if gradients are not all zero */
  assert_true(nonzero > P / 4);
  free(g);
  free(ptr);
}

static nf_model *chain(int F, bool bn, nf_activation act, float dropout) {
  nf_error err = {0};
  nf_model *m = nf_model_new(F, &err);
  assert_non_null(m);
  assert_non_null(nf_model_add_dense(m, "d1", 7, true, &err));
  if (bn) assert_non_null(nf_model_add_batchnorm(m, "bn1", 1e-3f, &err));
  nf_layer *a = nf_model_add_activation(m, "a1", act, &err);
  assert_non_null(a);
  a->act_alpha = 0.3f;
  if (dropout > 0) assert_non_null(nf_model_add_dropout(m, "drop1", dropout, &err));
  assert_non_null(nf_model_add_dense(m, "d2", 4, true, &err));
  assert_non_null(nf_model_add_activation(m, "sm", NF_ACT_SOFTMAX, &err));
  assert_int_equal(nf_model_init_weights(m, 3, &err), 0);
  /* non-trivial biases and BN parameters so their gradients matter */
  nf_rng r;
  nf_rng_seed(&r, 11);
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    for (int j = 0; l->bias && j < l->n_out; j++) l->bias[j] = (float)(0.3 * nf_rng_normal(&r));
    for (int j = 0; l->gamma && j < l->n_out; j++) {
      l->gamma[j] = (float)(1 + 0.3 * nf_rng_normal(&r));
      l->beta[j] = (float)(0.3 * nf_rng_normal(&r));
    }
  }
  return m;
}

static void test_grad_dense_relu(void **state) {
  nf_model *m = chain(5, false, NF_ACT_RELU, 0);
  grad_check(m, 0, 0);
  nf_model_free(m);
}
static void test_grad_leaky_tanh_sigmoid_linear(void **state) {
  nf_activation acts[] = {NF_ACT_LEAKY_RELU, NF_ACT_TANH, NF_ACT_SIGMOID, NF_ACT_LINEAR, NF_ACT_SOFTMAX};
  for (unsigned i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    nf_model *m = chain(5, false, acts[i], 0);
    grad_check(m, 0, 0);
    nf_model_free(m);
  }
}
static void test_grad_batchnorm(void **state) {
  nf_model *m = chain(5, true, NF_ACT_RELU, 0);
  grad_check(m, 0, 0);
  nf_model_free(m);
}
static void test_grad_dropout(void **state) {
  nf_model *m = chain(5, false, NF_ACT_TANH, 0.4f);
  grad_check(m, 0, 0);
  nf_model_free(m);
}
static void test_grad_regularizers(void **state) {
  nf_model *m = chain(5, true, NF_ACT_RELU, 0);
  grad_check(m, 1e-2, 3e-2);
  nf_model_free(m);
}
static void test_grad_pruned(void **state) {
  nf_model *m = chain(5, false, NF_ACT_TANH, 0);
  nf_layer *l = &m->layers[0];
  long nk = (long)l->n_in * l->n_out;
  l->mask = malloc((size_t)nk);
  assert_non_null(l->mask);
  for (long k = 0; k < nk; k++) l->mask[k] = k % 3 != 0;
  /* a pruned weight has no effect on the loss: gradient 0 = finite difference 0 */
  grad_check(m, 0, 0);
  nf_model_free(m);
}

/* ---- Training ------------------------------------------------------------ */

typedef struct problem {
  long n;
  float *x;
  int *y;
  long *tr, *va;
  long n_tr, n_va;
} problem;

static problem make_problem(long n, int F, int C) {
  problem p = {n, malloc((size_t)n * F * sizeof(float)), malloc((size_t)n * sizeof(int)), NULL, NULL, 0, 0};
  assert_non_null(p.x);
  assert_non_null(p.y);
  blobs(n, F, C, 5, p.x, p.y);
  p.tr = malloc((size_t)n * sizeof(long));
  p.va = malloc((size_t)n * sizeof(long));
  for (long i = 0; i < n; i++) {
    if (i % 5 == 0) p.va[p.n_va++] = i;
    else p.tr[p.n_tr++] = i;
  }
  return p;
}

static void free_problem(problem *p) {
  free(p->x);
  free(p->y);
  free(p->tr);
  free(p->va);
}

static nf_model *mlp(int F, int C, bool bn, uint64_t seed) {
  nf_error err = {0};
  int hidden[] = {16, 8};
  nf_model *m = nf_mlp_build(F, hidden, 2, C, bn, 0, &err);
  assert_non_null(m);
  assert_int_equal(nf_model_init_weights(m, seed, &err), 0);
  return m;
}

static void test_learns_blobs(void **state) {
  problem p = make_problem(4000, 6, 3);
  nf_model *m = mlp(6, 3, true, 1);
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = 8;
  o.batch = 64;
  nf_train_result res;
  nf_error err = {0};
  assert_int_equal(nf_train(m, p.x, p.y, p.tr, p.n_tr, p.va, p.n_va, &o, &res, &err), 0);
  double loss, acc;
  assert_int_equal(nf_train_evaluate(m, p.x, p.y, p.va, p.n_va, &loss, &acc, &err), 0);
  /* The Bayes-optimal accuracy of these blobs is 0.866 (integral of
   * phi(z) Phi(z+2)^2); a working trainer gets within a point of it. */
  assert_true(acc > 0.85 && acc < 0.89);
  assert_true(res.history[res.epochs_run - 1].loss < res.history[0].loss);
  /* the trained model's double-precision forward pass agrees with the trainer */
  double *out = malloc(3 * sizeof(double) * (size_t)p.n_va);
  float *xv = malloc(6 * sizeof(float) * (size_t)p.n_va);
  for (long i = 0; i < p.n_va; i++) memcpy(xv + i * 6, p.x + p.va[i] * 6, 6 * sizeof(float));
  assert_int_equal(nf_model_forward(m, xv, p.n_va, -1, true, out, &err), 0);
  long correct = 0;
  for (long i = 0; i < p.n_va; i++) {
    int best = 0;
    for (int j = 1; j < 3; j++)
      if (out[i * 3 + j] > out[i * 3 + best]) best = j;
    correct += best == p.y[p.va[i]];
  }
  assert_true(fabs((double)correct / p.n_va - acc) < 0.005);
  free(out);
  free(xv);
  free(res.history);
  nf_model_free(m);
  free_problem(&p);
}

static void train_once(problem *p, uint64_t seed, int threads, nf_model **out) {
  nf_model *m = mlp(6, 3, true, seed);
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = 3;
  o.batch = 256; /* large enough that the matrix products are split between threads */
  o.seed = seed;
  o.threads = threads;
  o.l1 = 1e-4;
  nf_train_result res;
  nf_error err = {0};
  assert_int_equal(nf_train(m, p->x, p->y, p->tr, p->n_tr, p->va, p->n_va, &o, &res, &err), 0);
  free(res.history);
  *out = m;
}

static bool same_weights(const nf_model *a, const nf_model *b) {
  for (int i = 0; i < a->n_layers; i++) {
    const nf_layer *la = &a->layers[i], *lb = &b->layers[i];
    size_t nk = (size_t)la->n_in * la->n_out * sizeof(float), no = (size_t)la->n_out * sizeof(float);
    if (la->kernel && memcmp(la->kernel, lb->kernel, nk)) return false;
    if (la->bias && memcmp(la->bias, lb->bias, no)) return false;
    if (la->moving_var && memcmp(la->moving_var, lb->moving_var, no)) return false;
  }
  return true;
}

static void test_same_seed_same_weights(void **state) {
  problem p = make_problem(3000, 6, 3);
  nf_model *a, *b, *c;
  train_once(&p, 17, 2, &a);
  train_once(&p, 17, 2, &b);
  train_once(&p, 18, 2, &c);
  assert_true(same_weights(a, b));
  assert_false(same_weights(a, c));
  nf_model_free(a);
  nf_model_free(b);
  nf_model_free(c);
  free_problem(&p);
}

/* Labels are noise: validation loss cannot improve for long, so training
 * stops early and restores the best epoch's weights. */
static void test_early_stopping(void **state) {
  problem p = make_problem(2000, 6, 3);
  nf_rng r;
  nf_rng_seed(&r, 3);
  for (long i = 0; i < p.n; i++) p.y[i] = (int)nf_rng_below(&r, 3);
  nf_model *m = mlp(6, 3, false, 2);
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = 200;
  o.batch = 32;
  o.lr = 3e-3;
  o.patience = 3;
  nf_train_result res;
  nf_error err = {0};
  assert_int_equal(nf_train(m, p.x, p.y, p.tr, p.n_tr, p.va, p.n_va, &o, &res, &err), 0);
  assert_true(res.epochs_run < 200);
  assert_int_equal(res.epochs_run, res.best_epoch + o.patience);
  double loss, acc;
  assert_int_equal(nf_train_evaluate(m, p.x, p.y, p.va, p.n_va, &loss, &acc, &err), 0);
  assert_true(fabs(loss - res.history[res.best_epoch - 1].val_loss) < 1e-9);
  free(res.history);
  nf_model_free(m);
  free_problem(&p);
}

static void test_nan_loss_stops(void **state) {
  problem p = make_problem(2000, 6, 3);
  nf_model *m = mlp(6, 3, false, 2);
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = 5;
  o.lr = 1e30; /* weights explode to inf within a few steps */
  o.optimizer = NF_OPT_SGD;
  nf_train_result res;
  nf_error err = {0};
  int rc = nf_train(m, p.x, p.y, p.tr, p.n_tr, p.va, p.n_va, &o, &res, &err);
  assert_int_equal(rc, NF_EINPUT);
  assert_true(res.nan_stop);
  assert_non_null(strstr(err.msg, "non-finite"));
  /* the model holds the last good (here: initial) weights, all finite */
  assert_int_equal(nf_model_validate(m, &err), 0);
  free(res.history);
  nf_model_free(m);
  free_problem(&p);
}

static void test_parse_hidden(void **state) {
  int w[8], n;
  nf_error err = {0};
  assert_int_equal(nf_parse_hidden("64,32,32", w, 8, &n, &err), 0);
  assert_int_equal(n, 3);
  assert_int_equal(w[0], 64);
  assert_int_equal(w[2], 32);
  const char *bad[] = {"", "64,,32", "64,abc", "0", "-5", "64,", "1e3x"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(nf_parse_hidden(bad[i], w, 8, &n, &err), NF_EINPUT);
    assert_non_null(strstr(err.msg, "--hidden"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_dense_relu),      cmocka_unit_test(test_grad_leaky_tanh_sigmoid_linear),
      cmocka_unit_test(test_grad_batchnorm),       cmocka_unit_test(test_grad_dropout),
      cmocka_unit_test(test_grad_regularizers),    cmocka_unit_test(test_grad_pruned),
      cmocka_unit_test(test_learns_blobs),         cmocka_unit_test(test_same_seed_same_weights),
      cmocka_unit_test(test_early_stopping),       cmocka_unit_test(test_nan_loss_stops),
      cmocka_unit_test(test_parse_hidden),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
