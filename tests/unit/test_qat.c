



/* Quantization-aware training and pruning:
 *   - QKeras' quantizers on grids of inputs (ties included), against values
 *     derived here from QKeras' formulas (quantizers.py), written out
 *     independently of src/model/quantizer.c; the training network's fast
 *     float path against the reference on the same grids;
 *   - the quantizer text parser and its refusals;
 *   - the straight-through gradients (weights: pass-through; quantized_relu:
 *     zero outside (0, top]);
 *   - the tfmot polynomial-decay schedule step by step against its formula,
 *     magnitude masks (per layer and global), masks fixed after the end;
 *   - QAT set-up from --bits, the spec string and a QKeras quantizer config. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnfirm/rng.h"
#include "nnfirm/train.h"
#include "train/train_internal.h"
#include "train/net.h"
#include "train/qfast.h"

/* ---- Reference values, from QKeras' formulas ------------------------------ */

/* tf.round: to the nearest integer, ties to the even one (written with floor
 * so that it does not lean on the rounding mode the code under test uses). */
static double tf_round(double p) {
  double f = floor(p), d = p - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return fmod(f, 2) == 0 ? f : f + 1;
}

static double kclip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* quantized_bits.__call__: unsigned_bits = bits - keep_negative;
 * m = 2^unsigned_bits, m_i = 2^integer; if unsigned_bits > 0:
 *   xq = m_i * clip(round(x*m/m_i), keep_negative*(-m + symmetric), m - 1) / m
 * else xq = sign(x) with sign(0) -> 1; then xq = alpha * xq. */
static double ref_bits(int bits, int integer, int symmetric, int keep_negative, double alpha, double x) {
  int ub = bits - keep_negative;
  double m = pow(2, ub), mi = pow(2, integer), xq;
  if (ub > 0) {
    xq = mi * kclip(tf_round(x * m / mi), keep_negative * (-m + symmetric), m - 1) / m;
  } else {
    double s = x > 0 ? 1 : x < 0 ? -1 : 0;
    xq = s + (1 - fabs(s));
  }
  return alpha * xq;
}

/* quantized_relu.__call__ (use_sigmoid 0, negative_slope 0):
 *   xq = m_i * clip(round(x*m/m_i) / m, 0, 1 - 1/m), m = 2^bits, m_i = 2^integer. */
static double ref_relu(int bits, int integer, double x) {
  double m = pow(2, bits), mi = pow(2, integer);
  return mi * kclip(tf_round(x * m / mi) / m, 0, 1 - 1 / m);
}

static nf_quantizer qbits(int bits, int integer, bool symmetric, bool keep_negative, double alpha) {
  return (nf_quantizer){.kind = NF_QUANT_BITS, .bits = bits, .integer = integer, .symmetric = symmetric,
                        .keep_negative = keep_negative, .alpha = alpha};
}

static nf_quantizer qrelu(int bits, int integer) {
  return (nf_quantizer){.kind = NF_QUANT_RELU, .bits = bits, .integer = integer, .alpha = 1};
}

/* Every x = k * 2^-(step_log2) for k in [-n, n]: a grid four times finer than
 * the quantizers' own, so half of its points beyond the grid are exact ties. */
static void check_grid(const nf_quantizer *q, double (*ref)(const nf_quantizer *, double), int step_log2, int n) {
  qfast f;
  nf_qfast_init(&f, q);
  long ties = 0;
  for (int k = -n; k <= n; k++) {
    double x = ldexp(k, -step_log2), want = ref(q, x);
    double got = nf_quantizer_apply(q, x);
    if (got != want) fail_msg("kind %d bits %d int %d: Q(%.10g) = %.10g, QKeras %.10g", q->kind, q->bits, q->integer, x, got, want);
    float xf = (float)x, yf;
    nf_qfast_apply(&f, &xf, &yf, 1);
    if (yf != (float)want) fail_msg("fast path: Q(%.10g) = %.10g, QKeras %.10g", x, (double)yf, want);
    double p = q->kind == NF_QUANT_RELU ? x * pow(2, q->bits - q->integer) : x * pow(2, q->bits - q->keep_negative - q->integer);
    ties += p - floor(p) == 0.5;
  }
  assert_true(ties > 10); /* the grid really exercised rounding ties */
}

static double ref_of_bits(const nf_quantizer *q, double x) {
  return ref_bits(q->bits, q->integer, q->symmetric, q->keep_negative, q->alpha, x);
}
static double ref_of_relu(const nf_quantizer *q, double x) { return ref_relu(q->bits, q->integer, x); }

static void test_quantized_bits_grid(void **state) {
  (void)state;
  /* 6-bit, the tutorial's weights: grid 1/32, inputs on 1/128 beyond the range */
  nf_quantizer q = qbits(6, 0, false, true, 1);
  check_grid(&q, ref_of_bits, 7, 200);
  q = qbits(4, 2, false, true, 1); /* step 0.5, range [-4, 3.5] */
  check_grid(&q, ref_of_bits, 3, 60);
  q = qbits(4, 0, true, true, 1); /* symmetric: -7/8 .. 7/8 */
  check_grid(&q, ref_of_bits, 5, 60);
  q = qbits(4, 0, false, false, 1); /* unsigned: 0 .. 15/16 */
  check_grid(&q, ref_of_bits, 6, 100);
  q = qbits(8, -2, false, true, 1); /* negative integer bits: step 2^-9 */
  check_grid(&q, ref_of_bits, 11, 700);
  q = qbits(6, 0, false, true, 2); /* alpha scales the quantized value, not the input */
  check_grid(&q, ref_of_bits, 7, 200);
  /* hand-derived points: ties go to the even code, saturation, -0 */
  q = qbits(6, 0, false, true, 1);
  assert_true(nf_quantizer_apply(&q, 1.0 / 64) == 0);           /* round(0.5) = 0 */
  assert_true(nf_quantizer_apply(&q, 3.0 / 64) == 2.0 / 32);    /* round(1.5) = 2 */
  assert_true(nf_quantizer_apply(&q, -3.0 / 64) == -2.0 / 32);  /* round(-1.5) = -2 */
  assert_true(nf_quantizer_apply(&q, 5.0 / 64) == 2.0 / 32);    /* round(2.5) = 2 */
  assert_true(nf_quantizer_apply(&q, 1.0) == 31.0 / 32);        /* top code 31 */
  assert_true(nf_quantizer_apply(&q, -1.5) == -1.0);            /* bottom code -32 */
  assert_true(nf_quantizer_apply(&q, 0.3) == 10.0 / 32);        /* 9.6 -> 10 */
}

static void test_quantized_bits_one_bit(void **state) {
  (void)state;
  /* bits 1, signed: QKeras' binary branch, sign(x) with +1 at zero */
  nf_quantizer q = qbits(1, 0, false, true, 1);
  assert_true(nf_quantizer_apply(&q, 0.0) == 1);
  assert_true(nf_quantizer_apply(&q, 0.2) == 1);
  assert_true(nf_quantizer_apply(&q, -0.01) == -1);
  for (int k = -8; k <= 8; k++) assert_true(nf_quantizer_apply(&q, k / 4.0) == ref_bits(1, 0, 0, 1, 1, k / 4.0));
}

static void test_quantized_relu_grid(void **state) {
  (void)state;
  nf_quantizer q = qrelu(6, 0); /* step 1/64, top 63/64 */
  check_grid(&q, ref_of_relu, 8, 400);
  q = qrelu(4, 2); /* step 1/4, top 15/4 */
  check_grid(&q, ref_of_relu, 4, 80);
  q = qrelu(8, 3);
  check_grid(&q, ref_of_relu, 7, 1200);
  q = qrelu(6, 0);
  assert_true(nf_quantizer_apply(&q, -3) == 0);
  assert_true(nf_quantizer_apply(&q, 5) == 63.0 / 64);
  assert_true(nf_quantizer_apply(&q, 1.0 / 128) == 0);        /* tie 0.5 -> 0 */
  assert_true(nf_quantizer_apply(&q, 3.0 / 128) == 2.0 / 64); /* tie 1.5 -> 2 */
}

static void test_binary_ternary(void **state) {
  (void)state;
  nf_quantizer b = {.kind = NF_QUANT_BINARY, .bits = 1, .alpha = 1};
  /* binary: sign(x) + (1 - |sign(x)|): zero goes to +1 */
  assert_true(nf_quantizer_apply(&b, 0.0) == 1);
  assert_true(nf_quantizer_apply(&b, -0.0) == 1);
  assert_true(nf_quantizer_apply(&b, -1e-9) == -1);
  assert_true(nf_quantizer_apply(&b, 7) == 1);
  /* ternary (numeric alpha): (|x| >= threshold) * sign(x), threshold 0.33 by
   * default, compared in float32 */
  nf_quantizer t = {.kind = NF_QUANT_TERNARY, .bits = 2, .alpha = 1};
  qfast f;
  nf_qfast_init(&f, &t);
  const float xs[] = {0.33f, -0.33f, nextafterf(0.33f, 0), 0.0f, 0.9f, -2.0f, 0.1f};
  const double want[] = {1, -1, 0, 0, 1, -1, 0};
  for (int i = 0; i < 7; i++) {
    float y;
    nf_qfast_apply(&f, &xs[i], &y, 1);
    assert_true(nf_quantizer_apply(&t, xs[i]) == want[i]);
    assert_true(y == (float)want[i]);
  }
  t.threshold = 0.5;
  assert_true(nf_quantizer_apply(&t, 0.5) == 1);
  assert_true(nf_quantizer_apply(&t, 0.49) == 0);
}

static void test_quantizer_parse(void **state) {
  (void)state;
  nf_quantizer q;
  nf_error err = {0};
  assert_int_equal(nf_quantizer_parse("quantized_bits(6,0,alpha=1)", &q, "t", &err), 0);
  assert_int_equal(q.kind, NF_QUANT_BITS);
  assert_int_equal(q.bits, 6);
  assert_int_equal(q.integer, 0);
  assert_true(q.keep_negative && !q.symmetric && q.alpha == 1);
  assert_int_equal(nf_quantizer_parse("quantized_bits(bits=4, integer=1, symmetric=1, keep_negative=False)", &q, "t", &err), 0);
  assert_true(q.bits == 4 && q.integer == 1 && q.symmetric && !q.keep_negative);
  assert_int_equal(nf_quantizer_parse("quantized_relu(6)", &q, "t", &err), 0);
  assert_true(q.kind == NF_QUANT_RELU && q.bits == 6 && q.integer == 0);
  assert_int_equal(nf_quantizer_parse(" ternary(alpha=1, threshold=0.5) ", &q, "t", &err), 0);
  assert_true(q.kind == NF_QUANT_TERNARY && q.threshold == 0.5);
  assert_int_equal(nf_quantizer_parse("binary", &q, "t", &err), 0);
  assert_int_equal(q.kind, NF_QUANT_BINARY);
  char text[80];
  nf_quantizer_format(&(nf_quantizer){.kind = NF_QUANT_BITS, .bits = 6, .keep_negative = true, .alpha = 1}, text,
                      sizeof text);
  assert_string_equal(text, "quantized_bits(6,0,alpha=1)");
  /* refusals, each naming the problem */
  static const char *const bad[][2] = {
      {"quantized_bits(6,6)", "plus the sign bit exceed"}, {"quantized_bits(0,0)", "0 bits"},
      {"quantized_relu(4,5)", "exceed"},                   {"quantized_bits(6,0,alpha='auto')", "not supported"},
      {"quantized_tanh(4)", "unknown quantizer"},          {"quantized_bits(6,0", "closing"},
      {"quantized_bits(6,0,foo=1)", "unknown quantizer argument"},
      {"quantized_bits(6,0,1,1,1,0,7)", "too many"},
      {"quantized_relu(6, use_stochastic_rounding=True)", "not supported"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    assert_int_equal(nf_quantizer_parse(bad[i][0], &q, "here", &err), NF_EINPUT);
    if (!strstr(err.msg, bad[i][1]) || !strstr(err.msg, "here")) fail_msg("'%s': message '%s'", bad[i][0], err.msg);
  }
}

/* ---- Straight-through gradients ------------------------------------------------ */

/* Weights: the gradient with respect to the float kernel is the gradient with
 * respect to the quantized kernel, everywhere (QKeras' x + stop_gradient(xq - x)):
 * a model with kernel quantizers and the same model holding Q(kernel) as
 * float weights give the same loss and the same gradients. */
static void test_weight_ste(void **state) {
  (void)state;
  nf_error err = {0};
  int hidden[] = {8};
  nf_model *a = nf_mlp_build(4, hidden, 1, 3, false, 0, &err);
  assert_non_null(a);
  assert_int_equal(nf_model_init_weights(a, 3, &err), 0);
  nf_quantizer q = qbits(4, 0, false, true, 1);
  for (int i = 0; i < a->n_layers; i++)
    if (a->layers[i].kind == NF_LAYER_DENSE) {
      a->layers[i].kernel_q = a->layers[i].bias_q = q;
      for (int j = 0; j < a->layers[i].n_out; j++) a->layers[i].bias[j] = 0.1f * (float)(j - 2);
    }
  nf_model *b = nf_model_clone(a, &err);
  assert_non_null(b);
  for (int i = 0; i < b->n_layers; i++) {
    nf_layer *l = &b->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    for (long k = 0; k < (long)l->n_in * l->n_out; k++) l->kernel[k] = (float)nf_quantizer_apply(&q, l->kernel[k]);
    for (int j = 0; j < l->n_out; j++) l->bias[j] = (float)nf_quantizer_apply(&q, l->bias[j]);
    l->kernel_q = l->bias_q = (nf_quantizer){0};
  }
  enum { N = 16 };
  float x[N * 4];
  int y[N];
  nf_rng r;
  nf_rng_seed(&r, 5);
  for (int i = 0; i < N * 4; i++) x[i] = (float)nf_rng_normal(&r);
  for (int i = 0; i < N; i++) y[i] = i % 3;
  long P = nf_train_param_count(a);
  float *ga = malloc((size_t)P * sizeof *ga), *gb = malloc((size_t)P * sizeof *gb);
  double la, lb;
  assert_int_equal(nf_train_loss_grad(a, x, y, N, 0, 0, 1, &la, ga, &err), 0);
  assert_int_equal(nf_train_loss_grad(b, x, y, N, 0, 0, 1, &lb, gb, &err), 0);
  assert_true(la == lb);
  long nonzero = 0;
  for (long k = 0; k < P; k++) {
    assert_true(ga[k] == gb[k]);
    nonzero += ga[k] != 0;
  }
  assert_true(nonzero > P / 2);
  /* and the kernel really is quantized in the forward pass: a tiny change of
   * a float weight that stays in its bin leaves the loss unchanged */
  a->layers[0].kernel[0] += 1e-4f;
  double la2;
  assert_int_equal(nf_train_loss_grad(a, x, y, N, 0, 0, 1, &la2, NULL, &err), 0);
  if (nf_quantizer_apply(&q, a->layers[0].kernel[0]) == nf_quantizer_apply(&q, a->layers[0].kernel[0] - 1e-4f))
    assert_true(la2 == la);
  free(ga);
  free(gb);
  nf_model_free(a);
  nf_model_free(b);
}

/* quantized_relu: the gradient reaches the pre-activation z only where
 * 0 < z <= top (QKeras' x_u = relu clipped to the top of the grid). One
 * input x = 1, fc1 with two units set so that z0 = 0.4 (inside) and
 * z1 = 1.5 (above the top 15/16): dL/dw1 must be 0, dL/dw0 = dL/dy0 with
 * dL/dy from the quantized forward values. */
static void test_relu_ste(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = nf_model_new(1, &err);
  nf_layer *fc1 = nf_model_add_dense(m, "fc1", 2, true, &err);
  nf_layer *relu = nf_model_add_activation(m, "relu1", NF_ACT_RELU, &err);
  nf_layer *out = nf_model_add_dense(m, "out", 2, true, &err);
  assert_non_null(nf_model_add_activation(m, "softmax", NF_ACT_SOFTMAX, &err));
  relu->act_q = qrelu(4, 0);
  fc1->kernel[0] = 0.4f, fc1->kernel[1] = 1.5f;
  const float w2[4] = {0.7f, -0.2f, 0.3f, 0.9f}; /* [in][out] */
  memcpy(out->kernel, w2, sizeof w2);
  out->bias[0] = 0.05f;
  float x[1] = {1};
  int y[1] = {0};
  float g[2 + 2 + 4 + 2];
  double loss;
  assert_int_equal(nf_train_param_count(m), 10);
  assert_int_equal(nf_train_loss_grad(m, x, y, 1, 0, 0, 1, &loss, g, &err), 0);
  /* the forward pass, from QKeras' values */
  double y0 = ref_relu(4, 0, 0.4), y1 = ref_relu(4, 0, 1.5);
  double z[2] = {y0 * w2[0] + y1 * w2[2] + 0.05, y0 * w2[1] + y1 * w2[3]};
  double mx = fmax(z[0], z[1]), s = exp(z[0] - mx) + exp(z[1] - mx);
  double p[2] = {exp(z[0] - mx) / s, exp(z[1] - mx) / s};
  double dz[2] = {p[0] - 1, p[1]};
  double dy0 = w2[0] * dz[0] + w2[1] * dz[1];
  assert_true(fabs(loss - (log(s) + mx - z[0])) < 1e-6);
  assert_true(fabs(g[0] - dy0) < 1e-6); /* dL/dw0 = dL/dy0 * 1 * x */
  assert_true(g[1] == 0);               /* above the top: no gradient */
  assert_true(fabs(g[2] - dy0) < 1e-6); /* bias of unit 0 */
  assert_true(g[3] == 0);
  /* below zero: no gradient either */
  fc1->kernel[0] = -0.3f;
  assert_int_equal(nf_train_loss_grad(m, x, y, 1, 0, 0, 1, &loss, g, &err), 0);
  assert_true(g[0] == 0);
  nf_model_free(m);
}

/* ---- Pruning schedule ------------------------------------------------------------ */

/* tfmot PolynomialDecay.__call__, written out from its documentation:
 * p = min(1, max(0, (step - begin) / (end - begin)));
 * sparsity = (initial - final) * (1 - p)^power + final;
 * should_prune = step >= begin && step <= end && (step - begin) % frequency == 0. */
static double tfmot_sparsity(double initial, double final, long begin, long end, double power, long step) {
  double p = (double)(step - begin) / (double)(end - begin);
  p = fmin(1.0, fmax(0.0, p));
  return (initial - final) * pow(1 - p, power) + final;
}

static void test_schedule_formula(void **state) {
  (void)state;
  nf_prune_schedule s = {.initial_sparsity = 0.1, .final_sparsity = 0.75, .begin_step = 200, .end_step = 1200,
                         .frequency = 100, .power = 3};
  nf_error err = {0};
  assert_int_equal(nf_prune_schedule_check(&s, &err), 0);
  long updates = 0;
  for (long step = 0; step <= 2000; step++) {
    double want = tfmot_sparsity(0.1, 0.75, 200, 1200, 3, step);
    if (fabs(nf_prune_sparsity(&s, step) - want) > 1e-12) fail_msg("step %ld: %g vs %g", step, nf_prune_sparsity(&s, step), want);
    bool should = step >= 200 && step <= 1200 && (step - 200) % 100 == 0;
    assert_int_equal(nf_prune_updates_at(&s, step), should);
    updates += should;
  }
  assert_int_equal(updates, 11);
  assert_int_equal(nf_prune_last_update(&s), 1200);
  assert_true(fabs(nf_prune_sparsity(&s, 200) - 0.1) < 1e-12 && nf_prune_sparsity(&s, 5000) == 0.75);
  s.frequency = 300; /* 200, 500, 800, 1100 */
  assert_int_equal(nf_prune_last_update(&s), 1100);
  /* bad schedules */
  static const char *const bad[][2] = {{"begin=500,end=100", "before it begins"}, {"initial=1", "outside [0, 1)"},
                                       {"final=-0.1", "outside [0, 1)"},        {"freq=0", "frequency"},
                                       {"power=0", "power"},                    {"begin=-5", "negative"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    nf_prune_schedule t = {.final_sparsity = 0.5, .begin_step = 0, .end_step = 1000, .frequency = 10, .power = 3};
    memset(&err, 0, sizeof err);
    int rc = nf_prune_schedule_parse(bad[i][0], &t, &err);
    if (!rc) rc = nf_prune_schedule_check(&t, &err);
    assert_int_equal(rc, NF_EINPUT);
    if (!strstr(err.msg, bad[i][1])) fail_msg("'%s': message '%s'", bad[i][0], err.msg);
  }
  memset(&err, 0, sizeof err);
  nf_prune_schedule t = s;
  assert_int_equal(nf_prune_schedule_parse("begin=1,speed=3", &t, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "speed"));
  assert_int_equal(nf_prune_schedule_parse("begin=10,end=60,freq=5,initial=0.2,final=0.9,power=2", &t, &err), 0);
  assert_true(t.begin_step == 10 && t.end_step == 60 && t.frequency == 5 && t.initial_sparsity == 0.2 &&
              t.final_sparsity == 0.9 && t.power == 2);
}

static long zeros_of(const nf_layer *l) {
  long z = 0;
  for (long k = 0; k < (long)l->n_in * l->n_out; k++) z += l->kernel[k] == 0 && !l->mask[k];
  return z;
}

static nf_model *random_mlp(uint64_t seed) {
  nf_error err = {0};
  int hidden[] = {24, 12};
  nf_model *m = nf_mlp_build(10, hidden, 2, 4, false, 0, &err);
  assert_non_null(m);
  assert_int_equal(nf_model_init_weights(m, seed, &err), 0);
  return m;
}

/* Step by step through a schedule: after each update the layer holds exactly
 * n - max(round(n (1 - s)), 1) zeros (random weights: no ties), where s is
 * the sparsity of the last update; after the end nothing moves. */
static void test_pruner_steps(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = random_mlp(11);
  nf_prune_schedule s = {.initial_sparsity = 0, .final_sparsity = 0.8, .begin_step = 5, .end_step = 45,
                         .frequency = 4, .power = 3};
  nf_pruner *p = nf_pruner_new(m, &s, NF_PRUNE_PER_LAYER, NULL, &err);
  assert_non_null(p);
  int fc1 = nf_model_find_layer(m, "fc1");
  long n = (long)m->layers[fc1].n_in * m->layers[fc1].n_out;
  double last = -1;
  for (long step = 0; step < 80; step++) {
    nf_pruner_on_step(m, step, p);
    if (step >= 5 && step <= 45 && (step - 5) % 4 == 0) last = tfmot_sparsity(0, 0.8, 5, 45, 3, step);
    long want = last < 0 ? 0 : n - (long)fmax(1, nearbyint((double)n * (1 - last)));
    assert_int_equal(zeros_of(&m->layers[fc1]), want);
    /* training moves the weights between steps; pruned ones stay zero */
    for (long k = 0; k < n; k++)
      if (m->layers[fc1].mask[k]) m->layers[fc1].kernel[k] *= 1.01f;
  }
  assert_int_equal(zeros_of(&m->layers[fc1]), n - (long)nearbyint(n * 0.2));
  assert_non_null(nf_pruner_before(p, fc1));
  nf_pruner_free(p);
  nf_model_free(m);
}

/* Global scope: one threshold over all layers; per-layer targets. */
static void test_pruner_scopes(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = random_mlp(12);
  int dense[4], nd = 0;
  long total = 0;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_DENSE) dense[nd++] = i, total += (long)m->layers[i].n_in * m->layers[i].n_out;
  assert_int_equal(nf_prune_layers(m, dense, nd, 0.6, &err), 0);
  nf_model *orig = random_mlp(12); /* the same weights, unpruned */
  long z = 0;
  float kept_min = INFINITY, pruned_max = 0;
  for (int d = 0; d < nd; d++) {
    const nf_layer *l = &m->layers[dense[d]], *o = &orig->layers[dense[d]];
    z += zeros_of(l);
    for (long k = 0; k < (long)l->n_in * l->n_out; k++) {
      if (l->mask[k]) kept_min = fminf(kept_min, fabsf(o->kernel[k]));
      else pruned_max = fmaxf(pruned_max, fabsf(o->kernel[k]));
    }
  }
  /* one threshold for all: every pruned weight is smaller than every kept one,
   * so layers with smaller weights lose more of them */
  assert_int_equal(z, total - (long)nearbyint(total * 0.4));
  assert_true(pruned_max < kept_min);
  assert_true(nf_model_sparsity(m, nf_model_find_layer(m, "fc2"), NULL, NULL) >
              nf_model_sparsity(m, nf_model_find_layer(m, "fc1"), NULL, NULL));
  nf_model_free(m);
  m = orig;
  /* per-layer targets: fc1 at 0.5, output untouched */
  double *t = malloc((size_t)m->n_layers * sizeof *t);
  for (int i = 0; i < m->n_layers; i++) t[i] = NAN;
  int fc1 = nf_model_find_layer(m, "fc1"), outl = nf_model_find_layer(m, "output");
  t[fc1] = 0.5;
  nf_prune_schedule s = {.final_sparsity = 0.5, .begin_step = 0, .end_step = 0, .frequency = 1, .power = 3};
  nf_pruner *p = nf_pruner_new(m, &s, NF_PRUNE_PER_LAYER, t, &err);
  assert_non_null(p);
  nf_pruner_on_step(m, 0, p);
  long n1 = (long)m->layers[fc1].n_in * m->layers[fc1].n_out;
  assert_int_equal(zeros_of(&m->layers[fc1]), n1 / 2);
  assert_null(m->layers[outl].mask);
  nf_pruner_free(p);
  /* per-layer targets with the global scope are refused */
  memset(&err, 0, sizeof err);
  assert_null(nf_pruner_new(m, &s, NF_PRUNE_GLOBAL, t, &err));
  assert_int_equal(err.code, NF_EINPUT);
  free(t);
  nf_model_free(m);
}

/* Pruning inside nf_train: the masks reach the target, stay fixed after the
 * schedule, pruned weights are exactly zero in the trained model, and the
 * best epoch is one after the schedule ended. */
static void test_prune_in_training(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = random_mlp(13);
  enum { N = 600 };
  float *x = malloc(N * 10 * sizeof *x);
  int *y = malloc(N * sizeof *y);
  long train[500], val[100];
  nf_rng r;
  nf_rng_seed(&r, 9);
  for (long i = 0; i < N; i++) {
    y[i] = (int)(i % 4);
    for (int f = 0; f < 10; f++) x[i * 10 + f] = (float)nf_rng_normal(&r) + (f == y[i] ? 2.0f : 0.0f);
  }
  for (long i = 0; i < 500; i++) train[i] = i;
  for (long i = 0; i < 100; i++) val[i] = 500 + i;
  nf_train_opts o;
  nf_train_opts_default(&o);
  o.epochs = 12;
  o.batch = 50; /* 10 steps per epoch */
  nf_prune_schedule s = {.final_sparsity = 0.7, .begin_step = 10, .end_step = 50, .frequency = 10, .power = 3};
  nf_pruner *p = nf_pruner_new(m, &s, NF_PRUNE_GLOBAL, NULL, &err);
  assert_non_null(p);
  o.on_step = nf_pruner_on_step;
  o.step_ctx = p;
  o.settle_steps = nf_prune_last_update(&s) + 1;
  nf_train_result res;
  assert_int_equal(nf_train(m, x, y, train, 500, val, 100, &o, &res, &err), 0);
  assert_true(res.best_epoch * 10 >= 51); /* an epoch that ended after the last update */
  long zeros, total;
  double sp = nf_model_sparsity(m, -1, &zeros, &total);
  assert_true(fabs(sp - 0.7) < 0.01);
  for (int i = 0; i < m->n_layers; i++) {
    const nf_layer *l = &m->layers[i];
    for (long k = 0; l->kind == NF_LAYER_DENSE && k < (long)l->n_in * l->n_out; k++)
      if (!l->mask[k]) assert_true(l->kernel[k] == 0);
  }
  free(res.history);
  nf_pruner_free(p);
  nf_model_free(m);
  free(x);
  free(y);
}

/* ---- QAT set-up ---------------------------------------------------------------------- */

static nf_model *tutorial_mlp(bool bn) {
  nf_error err = {0};
  int hidden[] = {64, 32, 32};
  nf_model *m = nf_mlp_build(16, hidden, 3, 5, bn, 0, &err);
  assert_non_null(m);
  const char *const classes[] = {"g", "q", "w", "z", "t"};
  assert_int_equal(nf_model_set_class_names(m, classes, 5, &err), 0);
  return m;
}

static const nf_layer *layer(const nf_model *m, const char *name) {
  int i = nf_model_find_layer(m, name);
  assert_true(i >= 0);
  return &m->layers[i];
}

static bool same_q(const nf_quantizer *a, nf_quant_kind kind, int bits, int integer) {
  return a->kind == kind && a->bits == bits && a->integer == integer;
}

static void test_qat_uniform_and_spec(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = tutorial_mlp(false);
  assert_int_equal(nf_qat_set_uniform(m, 6, &err), 0);
  /* the input quantizer layer comes first and keeps the width and the class names */
  assert_string_equal(m->layers[0].name, NF_QAT_INPUT_LAYER);
  assert_int_equal(m->layers[0].n_in, 16);
  assert_true(same_q(&m->layers[0].act_q, NF_QUANT_BITS, 16, 5) && m->layers[0].act_q.keep_negative);
  assert_non_null(m->class_names);
  assert_true(same_q(&layer(m, "fc2")->kernel_q, NF_QUANT_BITS, 6, 0) && layer(m, "fc2")->kernel_q.alpha == 1);
  assert_true(same_q(&layer(m, "output")->bias_q, NF_QUANT_BITS, 6, 0));
  assert_true(same_q(&layer(m, "relu3")->act_q, NF_QUANT_RELU, 6, 0));
  assert_int_equal(layer(m, "softmax")->act_q.kind, NF_QUANT_NONE);
  assert_int_equal(nf_model_validate(m, &err), 0);
  /* per-layer overrides */
  assert_int_equal(nf_qat_apply_spec(m, "fc1:w8i1,a4i1; fc2:w4i0,b8i3 ;output:wternary;input:a12i4;relu3:a3i0", &err), 0);
  assert_true(same_q(&layer(m, "fc1")->kernel_q, NF_QUANT_BITS, 8, 1));
  assert_true(same_q(&layer(m, "fc1")->bias_q, NF_QUANT_BITS, 8, 1));
  assert_true(same_q(&layer(m, "relu1")->act_q, NF_QUANT_RELU, 4, 1));
  assert_true(same_q(&layer(m, "fc2")->kernel_q, NF_QUANT_BITS, 4, 0));
  assert_true(same_q(&layer(m, "fc2")->bias_q, NF_QUANT_BITS, 8, 3));
  assert_int_equal(layer(m, "output")->kernel_q.kind, NF_QUANT_TERNARY);
  assert_true(same_q(&layer(m, NF_QAT_INPUT_LAYER)->act_q, NF_QUANT_BITS, 12, 4));
  assert_true(same_q(&layer(m, "relu3")->act_q, NF_QUANT_RELU, 3, 0));
  assert_int_equal(nf_model_find_layer(m, NF_QAT_INPUT_LAYER), 0); /* not added twice */
  assert_int_equal(nf_qat_finish(m, &err), 0);
  assert_true(same_q(&layer(m, "output")->bias_q, NF_QUANT_BITS, 8, 3)); /* beside ternary weights */
  nf_model_free(m);
}

static void test_qat_spec_errors(void **state) {
  (void)state;
  static const char *const bad[][2] = {
      {"fc1:w6i7", "plus the sign bit exceed the 6 bits"},
      {"fc1:w0", "0 bits"},
      {"fc1:a4i5", "exceed the 4 bits"},
      {"fc9:w6", "fc9' is not a Dense"},
      {"output:a6", "softmax"},
      {"fc1:x6", "unknown item"},
      {"fc1", "expected LAYER:ITEMS"},
      {"fc1:", "no items"},
      {"relu1:w6", "has none"},
      {"fc1:w6q2", "unexpected"},
      {";", "no layer settings"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    nf_model *m = tutorial_mlp(false);
    nf_error err = {0};
    assert_int_equal(nf_qat_apply_spec(m, bad[i][0], &err), NF_EINPUT);
    if (!strstr(err.msg, bad[i][1])) fail_msg("'%s': message '%s'", bad[i][0], err.msg);
    nf_model_free(m);
  }
  nf_error err = {0};
  nf_model *m = tutorial_mlp(false);
  assert_int_equal(nf_qat_apply_spec(m, "fc9:w6", &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "fc1, relu1")); /* lists the valid names */
  nf_model_free(m);
  /* BatchNormalization after a quantized Dense */
  m = tutorial_mlp(true);
  memset(&err, 0, sizeof err);
  assert_int_equal(nf_qat_set_uniform(m, 6, &err), 0);
  assert_int_equal(nf_qat_finish(m, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "BatchNormalization"));
  nf_model_free(m);
}

static void test_qat_config_file(void **state) {
  (void)state;
  char path[] = "/tmp/nnfirm-qat-XXXXXX.yml";
  int fd = mkstemps(path, 4);
  assert_true(fd >= 0);
  const char text[] = "QDense:\n  kernel_quantizer: quantized_bits(6,0,alpha=1)\n"
                      "  bias_quantizer: \"quantized_bits(8,3)\"\n"
                      "QActivation: {relu: quantized_relu(6)}\n"
                      "fc2: {kernel_quantizer: \"quantized_bits(4,0,alpha=1)\"}\n"
                      "relu2: quantized_relu(3,1)\n"
                      "input: quantized_bits(10,4)\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  nf_error err = {0};
  nf_model *m = tutorial_mlp(false);
  assert_int_equal(nf_qat_apply_config(m, path, &err), 0);
  assert_true(same_q(&layer(m, "fc1")->kernel_q, NF_QUANT_BITS, 6, 0));
  assert_true(same_q(&layer(m, "fc1")->bias_q, NF_QUANT_BITS, 8, 3));
  assert_true(same_q(&layer(m, "fc2")->kernel_q, NF_QUANT_BITS, 4, 0)); /* the name overrides the class */
  assert_true(same_q(&layer(m, "relu1")->act_q, NF_QUANT_RELU, 6, 0));
  assert_true(same_q(&layer(m, "relu2")->act_q, NF_QUANT_RELU, 3, 1));
  assert_true(same_q(&layer(m, NF_QAT_INPUT_LAYER)->act_q, NF_QUANT_BITS, 10, 4));
  nf_model_free(m);
  /* an unknown name, a bad quantizer */
  FILE *f = fopen(path, "w");
  fputs("fc7: {kernel_quantizer: \"quantized_bits(6,0)\"}\n", f);
  fclose(f);
  m = tutorial_mlp(false);
  memset(&err, 0, sizeof err);
  assert_int_equal(nf_qat_apply_config(m, path, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "fc7"));
  nf_model_free(m);
  f = fopen(path, "w");
  fputs("fc1: {kernel_quantizer: \"quantized_bits(3,5)\"}\n", f);
  fclose(f);
  m = tutorial_mlp(false);
  memset(&err, 0, sizeof err);
  assert_int_equal(nf_qat_apply_config(m, path, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "fc1.kernel_quantizer"));
  nf_model_free(m);
  unlink(path);
}

/* A QAT model computes with its quantizers in both forward passes (the
 * float32 training network and the double reference) and saves them. */
static void test_qat_model_roundtrip(void **state) {
  (void)state;
  nf_error err = {0};
  nf_model *m = tutorial_mlp(false);
  assert_int_equal(nf_qat_set_uniform(m, 4, &err), 0);
  assert_int_equal(nf_qat_finish(m, &err), 0);
  assert_int_equal(nf_model_init_weights(m, 21, &err), 0);
  char path[] = "/tmp/nnfirm-qat-XXXXXX.nnf";
  int fd = mkstemps(path, 4);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(nf_model_save(m, path, &err), 0);
  nf_model *back = NULL;
  assert_int_equal(nf_model_load(path, &back, &err), 0);
  unlink(path);
  assert_int_equal(back->n_layers, m->n_layers);
  assert_true(same_q(&layer(back, NF_QAT_INPUT_LAYER)->act_q, NF_QUANT_BITS, 16, 5));
  /* the hidden activations of the reference forward pass lie on the 4-bit grid */
  float x[16 * 8];
  nf_rng r;
  nf_rng_seed(&r, 4);
  for (int i = 0; i < 16 * 8; i++) x[i] = (float)nf_rng_normal(&r);
  double h[8 * 64];
  assert_int_equal(nf_model_forward(back, x, 8, nf_model_find_layer(back, "relu1"), false, h, &err), 0);
  for (int i = 0; i < 8 * 64; i++) assert_true(h[i] * 16 == floor(h[i] * 16) && h[i] >= 0 && h[i] <= 15.0 / 16);
  int y[8] = {0, 1, 2, 3, 4, 0, 1, 2};
  long rows[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  double loss_train, acc;
  assert_int_equal(nf_train_evaluate(back, x, y, rows, 8, &loss_train, &acc, &err), 0);
  double p[8 * 5], loss_ref = 0;
  assert_int_equal(nf_model_forward(back, x, 8, -1, false, p, &err), 0);
  for (int i = 0; i < 8; i++) loss_ref -= log(p[i * 5 + y[i]]) / 8;
  assert_true(fabs(loss_train - loss_ref) < 1e-4);
  nf_model_free(back);
  nf_model_free(m);
}

/* ---- Per-weight bits (HGQ) ----------------------------------------------------------- */

/* Four well-separated blobs on 10 features (the same data every time). */
static void blob_data(float *x, int *y, long n, uint64_t seed) {
  nf_rng r;
  nf_rng_seed(&r, seed);
  for (long i = 0; i < n; i++) {
    y[i] = (int)(i % 4);
    for (int f = 0; f < 10; f++) x[i * 10 + f] = (float)nf_rng_normal(&r) + (f == y[i] ? 2.0f : 0.0f);
  }
}

/* An 8-bit QAT MLP (random_mlp) and options for training it on 500 blob rows
 * in batches of 50 without early stopping; train_blobs runs them. */
static nf_model *qat8_mlp(uint64_t seed, nf_train_opts *o, int epochs) {
  nf_error err = {0};
  nf_model *m = random_mlp(seed);
  assert_int_equal(nf_qat_set_uniform(m, 8, &err), 0);
  assert_int_equal(nf_qat_finish(m, &err), 0);
  nf_train_opts_default(o);
  o->epochs = epochs;
  o->batch = 50;
  o->patience = 0;
  return m;
}

static void train_blobs(nf_model *m, const nf_train_opts *o, const float *x, const int *y, const long *rows) {
  nf_error err = {0};
  nf_train_result res;
  assert_int_equal(nf_train(m, x, y, rows, 500, NULL, 0, o, &res, &err), 0);
  free(res.history);
}

/* Trains an 8-bit QAT MLP for `epochs` with per-weight bits under penalty
 * beta of kind pen, and exports the bits into it. */
static nf_model *hgq_train(double beta, nf_hgq_penalty pen, int epochs, const float *x, const int *y, const long *rows) {
  nf_error err = {0};
  nf_train_opts o;
  nf_model *m = qat8_mlp(21, &o, epochs);
  nf_hgq *h = nf_hgq_new(m, beta, 0.05, pen, &err);
  assert_non_null(h);
  nf_hgq_attach(h, &o);
  train_blobs(m, &o, x, y, rows);
  nf_hgq_export(h, m);
  nf_hgq_free(h);
  return m;
}

/* hgq_train for 8 epochs under the bits penalty; the mean bits of fc1's nonzero weights. */
static double hgq_run(double beta, nf_model **out, const float *x, const int *y, const long *rows) {
  *out = hgq_train(beta, NF_HGQ_PENALTY_BITS, 8, x, y, rows);
  return nf_layer_mean_weight_bits(layer(*out, "fc1"));
}

/* 600 rows of blob_data(seed 9): rows[0..500) train, the rest held out. */
enum { N_BLOBS = 600 };
static void blobs(float **x, int **y, long *rows) {
  *x = malloc(N_BLOBS * 10 * sizeof **x);
  *y = malloc(N_BLOBS * sizeof **y);
  assert_true(*x && *y);
  for (long i = 0; i < N_BLOBS; i++) rows[i] = i;
  blob_data(*x, *y, N_BLOBS, 9);
}

/* The penalty takes bits away (and zeroes weights); without it the weights
 * keep most of theirs. After export every weight sits on its own grid inside
 * the layer's (narrowed) kernel quantizer, which leaves it unchanged, so the
 * exported model computes exactly what training computed. */
static void test_hgq(void **state) {
  (void)state;
  float *x;
  int *y;
  long rows[N_BLOBS];
  blobs(&x, &y, rows);
  nf_model *free_bits, *tight;
  double b0 = hgq_run(0, &free_bits, x, y, rows), b1 = hgq_run(3e-3, &tight, x, y, rows);
  assert_true(b0 > 6.5);      /* no penalty: close to the 8 bits */
  assert_true(b1 < b0 - 2.0); /* the penalty removed bits ... */
  assert_true(nf_model_sparsity(tight, -1, NULL, NULL) > nf_model_sparsity(free_bits, -1, NULL, NULL) + 0.1); /* ... and weights */
  double loss, acc, acc0;
  nf_error err = {0};
  assert_int_equal(nf_train_evaluate(tight, x, y, rows + 500, 100, &loss, &acc, &err), 0);
  assert_int_equal(nf_train_evaluate(free_bits, x, y, rows + 500, 100, &loss, &acc0, &err), 0);
  print_message("held-out accuracy: %.2f with the penalty, %.2f without\n", acc, acc0);
  assert_true(acc > 0.5 && acc > acc0 - 0.1); /* still a classifier (chance: 0.25) */
  for (int i = 0; i < tight->n_layers; i++) {
    const nf_layer *l = &tight->layers[i];
    if (l->kind != NF_LAYER_DENSE) continue;
    assert_true(l->kernel_q.bits <= 8 && l->kernel_q.bits >= 2);
    for (long k = 0; k < (long)l->n_in * l->n_out; k++)
      if (nf_quantizer_apply(&l->kernel_q, l->kernel[k]) != l->kernel[k])
        fail_msg("%s[%ld] = %g is not on its type's grid", l->name, k, (double)l->kernel[k]);
  }
  nf_model_free(free_bits);
  nf_model_free(tight);
  /* a model without quantized_bits kernels has nothing to learn bits for */
  nf_model *m = random_mlp(3);
  assert_null(nf_hgq_new(m, 1e-5, 0.01, NF_HGQ_PENALTY_BITS, &err));
  assert_int_equal(err.code, NF_EINPUT);
  nf_model_free(m);
  free(x);
  free(y);
}

/* The ops penalty's slope: the bit operations b D the weight's last bit
 * costs (b the input's bits, D its nonzero NAF digits). */
static void test_hgq_ops_slope(void **state) {
  (void)state;
  /* kernel quantized_bits with integer 0 and a sign: the coarsest kept grid is F = 1 */
  assert_float_equal(nf_hgq_ops_slope(0.75f, 2, 0, true, 6), 6.0f, 1e-6); /* 3/4 = 1-1/4 (2 digits) -> 1/2 (1) */
  assert_float_equal(nf_hgq_ops_slope(0.75f, 2, 0, true, 3), 3.0f, 1e-6); /* half as wide an input, half the cost */
  assert_float_equal(nf_hgq_ops_slope(0.5f, 2, 0, true, 6), 2.0f, 1e-6);  /* the bit's digit is 0: the mean, b / 3 */
  assert_float_equal(nf_hgq_ops_slope(0.5f, 1, 0, true, 6), 6.0f, 1e-6);  /* one bit less is 0: all of b D */
  assert_float_equal(nf_hgq_ops_slope(0.3f, 0, 0, true, 6), 6.0f, 1e-6);  /* zero now: the first bit's cost */
  assert_float_equal(nf_hgq_ops_slope(0.1f, 0, 0, true, 6), 2.0f, 1e-6);  /* that bit rounds it to 0 too: b / 3 */
  assert_float_equal(nf_hgq_ops_slope(-0.875f, 3, 0, true, 9), 9.0f, 1e-6); /* -7/8 = -1+1/8 (2) -> -1 (1) */
}

/* Weights reading a wide input cost more under the ops penalty: fc1 reads
 * the 16-bit input, fc2 the 8-bit ReLUs. Per bit, both layers keep about as
 * many weight bits (nonzero weights times their mean bits); per bit
 * operation, fc1 keeps clearly fewer than fc2. */
static double kept_bits(const nf_model *m, const char *name) {
  const nf_layer *l = layer(m, name);
  double s = nf_model_sparsity(m, nf_model_find_layer(m, name), NULL, NULL);
  return (1 - s) * l->n_in * l->n_out * nf_layer_mean_weight_bits(l);
}

static void test_hgq_ops_penalty(void **state) {
  (void)state;
  float *x;
  int *y;
  long rows[N_BLOBS];
  blobs(&x, &y, rows);
  double ratio[2];
  for (int pen = 0; pen < 2; pen++) {
    /* about as many bits taken in all (fc1 + fc2 keep 630-690 of their 4,224) */
    nf_model *m = hgq_train(pen ? 3e-5 : 2e-4, pen ? NF_HGQ_PENALTY_OPS : NF_HGQ_PENALTY_BITS, 40, x, y, rows);
    assert_int_equal(m->layers[nf_model_find_layer(m, NF_QAT_INPUT_LAYER)].act_q.bits, 16);
    double k1 = kept_bits(m, "fc1"), k2 = kept_bits(m, "fc2");
    print_message("%s penalty: weight bits kept fc1 %.0f, fc2 %.0f\n", pen ? "ops" : "bits", k1, k2);
    ratio[pen] = k1 / k2;
    nf_model_free(m);
  }
  assert_true(ratio[0] > 0.8 && ratio[1] < 0.8 * ratio[0]);
  free(x);
  free(y);
}

/* ---- Per-neuron activation bits (HGQ activations) ------------------------------------- */

/* The training quantizer of a neuron equals the FixedPointQuantizer element
 * the export writes for it (ap_ufixed<I + F, I>, TRN/WRAP or RND/SAT, 0 bits
 * the constant 0) on a grid of values, for integer bits -2..5 and fraction
 * bits -3..7; and a few values by hand. */
static void test_hgq_act_quantizer(void **state) {
  (void)state;
  nf_error err = {0};
  assert_true(fabsf(nf_hgq_act_quantize(1.3f, 1, 2, false) - 1.25f) == 0); /* floor(5.2) = 5 */
  assert_true(nf_hgq_act_quantize(2.6f, 1, 2, false) == 0.5f);            /* 10 mod 8 = 2 */
  assert_true(nf_hgq_act_quantize(2.6f, 1, 2, true) == 1.75f);            /* min(10, 7) = 7 */
  assert_true(nf_hgq_act_quantize(0.3f, 1, 2, true) == 0.25f);            /* floor(1.7) = 1 */
  assert_true(nf_hgq_act_quantize(0.4f, 1, 2, true) == 0.5f);             /* floor(2.1) = 2 */
  assert_true(nf_hgq_act_quantize(-1.0f, 3, 4, false) == 0.0f);
  assert_true(nf_hgq_act_quantize(5.0f, 2, -3, false) == 0.0f); /* -1 bits: none */
  assert_int_equal(nf_hgq_act_bits(2, -3), 0);
  assert_int_equal(nf_hgq_act_bits(3, 4), 7);
  assert_int_equal(nf_hgq_act_integer_bits(3.0f, 0.25), 2); /* 3.75 < 4 */
  assert_int_equal(nf_hgq_act_integer_bits(4.0f, 0), 3);    /* 2^I > 4 */
  assert_int_equal(nf_hgq_act_integer_bits(0.3f, 0), -1);   /* 0.3 < 0.5 */
  assert_int_equal(nf_hgq_act_bits(nf_hgq_act_integer_bits(0.0f, 0.25), 8), 0);
  for (int sat = 0; sat < 2; sat++)
    for (int I = -2; I <= 5; I++)
      for (int F = -3; F <= 7; F++) {
        int b = nf_hgq_act_bits(I, F);
        nf_model *m = nf_model_new(1, &err);
        assert_non_null(m);
        nf_layer *q = nf_model_add_fpq(m, "q", 1, sat ? NF_FPQ_RND : NF_FPQ_TRN, sat ? NF_FPQ_SAT : NF_FPQ_WRAP, &err);
        assert_non_null(q);
        q->fpq[0] = 0, q->fpq[1] = (float)b, q->fpq[2] = b ? (float)I : 0;
        for (int k = -40; k <= 400; k++) {
          float y = (float)k * 0.0371f;
          double want = y > 0 ? nf_fpq_value(q, 0, y) : 0;
          if ((double)nf_hgq_act_quantize(y, I, F, sat) != want)
            fail_msg("I %d F %d %s: y %g gives %g, the quantizer layer %g", I, F, sat ? "RND/SAT" : "TRN/WRAP",
                     (double)y, (double)nf_hgq_act_quantize(y, I, F, sat), want);
        }
        nf_model_free(m);
      }
}

/* Nonzero digits of the non-adjacent form by its definition (digit
 * 2 - (c mod 4) at each odd c), against the closed form the penalty uses, on
 * every code below 4096 at several scales. */
static void test_hgq_csd_digits(void **state) {
  (void)state;
  for (int c = 0; c < 4096; c++) {
    int want = 0;
    for (long v = c; v; v /= 2)
      if (v & 1) v -= 2 - (v % 4), want++;
    for (int e = -9; e <= 3; e += 4) {
      assert_int_equal(nf_hgq_csd_digits(ldexpf((float)c, e)), want);
      assert_int_equal(nf_hgq_csd_digits(-ldexpf((float)c, e)), want);
    }
  }
}

/* The surrogate gradient: for L = 1/2 sum (y_q - y)^2 (dL/dy_q = y_q - y)
 * the quantization error falls like 2^-2f, so d ln L / df = -2 ln2; the
 * surrogate -ln2 sum (y_q - y) dy divided by L must give that, and the
 * measured ratio L(F) / L(F + 1) must be about 4. */
static void test_hgq_act_surrogate(void **state) {
  (void)state;
  enum { N = 4000, W = 3 };
  static float x[N * W], yq[N * W], dy[N * W];
  nf_rng r;
  nf_rng_seed(&r, 5);
  for (int k = 0; k < N * W; k++) x[k] = (float)(8 * nf_rng_uniform(&r) - 1); /* some negative: relu 0 */
  for (int F = 0; F <= 4; F++) {
    double L[2] = {0, 0};
    for (int s = 0; s < 2; s++)
      for (int k = 0; k < N * W; k++) {
        float y = x[k] > 0 ? x[k] : 0, q = nf_hgq_act_quantize(y, 3, F + s, false);
        L[s] += 0.5 * (double)(q - y) * (q - y);
      }
    for (int k = 0; k < N * W; k++) {
      float y = x[k] > 0 ? x[k] : 0;
      yq[k] = nf_hgq_act_quantize(y, 3, F, false);
      dy[k] = yq[k] - y;
    }
    double ratio = L[0] / L[1], g = nf_hgq_act_f_grad(x, yq, dy, N, W, 1, INFINITY) / (L[0] / W);
    if (fabs(ratio - 4) > 0.4 || fabs(g + 2 * log(2)) > 0.15)
      fail_msg("F %d: L(F)/L(F+1) %g (about 4), surrogate d ln L/df %g (about %g)", F, ratio, g, -2 * log(2));
  }
}

/* Training with per-neuron bits: the penalty takes bits away; the exported
 * model has a FixedPointQuantizer after each ReLU whose values (the float
 * model, double precision) are training's own quantized forward (its float32
 * network with the hooks, on the kept weights) on nearly every value, and at
 * most one grid step off elsewhere (float32 sums); the .nnf file keeps it. */
static long hgq_act_run(double beta, nf_model **out, float *x, int *y, long *rows, float **train_relu) {
  nf_error err = {0};
  nf_train_opts o;
  nf_model *m = qat8_mlp(23, &o, 6);
  nf_hgq_act *h = nf_hgq_act_new(m, beta, 0.05, false, &err);
  assert_non_null(h);
  nf_hgq_act_attach(h, &o);
  train_blobs(m, &o, x, y, rows);
  if (train_relu) { /* training's forward of the first 200 rows (no epoch roll since: the same ranges) */
    net nt;
    assert_int_equal(nf_net_init(&nt, m, 200, 1, &err), 0);
    nt.act_forward = o.act_forward, nt.act_ctx = o.act_ctx;
    nf_net_gather(&nt, x, rows, 200);
    nf_net_prepare_weights(&nt);
    nf_net_forward(&nt, 200, false, 0);
    int relu1 = nf_model_find_layer(m, "relu1");
    *train_relu = malloc(200 * 24 * sizeof **train_relu);
    assert_non_null(*train_relu);
    memcpy(*train_relu, nt.t[relu1].y, 200 * 24 * sizeof **train_relu);
    nf_net_free(&nt);
  }
  assert_int_equal(nf_hgq_act_export(h, m, &err), 0);
  nf_hgq_act_free(h);
  long bits;
  int neurons;
  assert_int_equal(nf_hgq_act_total_bits(m, &bits, &neurons), 2);
  assert_int_equal(neurons, 36);
  *out = m;
  return bits;
}

static void test_hgq_act_training(void **state) {
  (void)state;
  enum { N = 600 };
  float *x = malloc(N * 10 * sizeof *x), *tr = NULL;
  int *y = malloc(N * sizeof *y);
  long rows[N];
  assert_non_null(x);
  assert_non_null(y);
  blob_data(x, y, N, 9);
  for (long i = 0; i < N; i++) rows[i] = i;
  nf_model *free_bits, *tight;
  long b0 = hgq_act_run(0, &free_bits, x, y, rows, &tr), b1 = hgq_act_run(3e-3, &tight, x, y, rows, NULL);
  if (!(b1 < b0 - 10)) fail_msg("the penalty left %ld activation bits (%ld without it)", b1, b0);
  int q1 = nf_model_find_layer(free_bits, "relu1_quantizer");
  assert_true(q1 > 0 && free_bits->layers[q1].kind == NF_LAYER_QUANT);
  assert_true(free_bits->layers[q1 - 1].act_q.kind == NF_QUANT_RELU); /* exact: holds every Dense sum */
  /* the bits differ across neurons */
  int k0, bmin = 99, bmax = -1, in;
  for (int j = 0; j < 24; j++) {
    int b;
    nf_fpq_elem(&free_bits->layers[q1], j, &k0, &b, &in);
    bmin = b < bmin ? b : bmin, bmax = b > bmax ? b : bmax;
  }
  assert_true(bmax > bmin);
  double *fo = malloc(200 * 24 * sizeof *fo);
  nf_error err = {0};
  assert_non_null(fo);
  assert_int_equal(nf_model_forward(free_bits, x, 200, q1, true, fo, &err), 0);
  int differ = 0;
  for (int k = 0; k < 200 * 24; k++)
    if (fo[k] != (double)tr[k]) {
      differ++;
      if (fabs(fo[k] - tr[k]) > 0.5) fail_msg("value %d: model %g, training %g", k, fo[k], (double)tr[k]);
    }
  if (differ > 200 * 24 / 100) fail_msg("%d of %d values differ between the model and training", differ, 200 * 24);
  /* the .nnf format keeps the quantizer layers */
  char path[] = "/tmp/nnfirm_hgq_act_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(nf_model_save(free_bits, path, &err), 0);
  nf_model *back = NULL;
  assert_int_equal(nf_model_load(path, &back, &err), 0);
  unlink(path);
  assert_int_equal(back->n_layers, free_bits->n_layers);
  const nf_layer *a = &free_bits->layers[q1], *b = &back->layers[q1];
  assert_int_equal(b->kind, NF_LAYER_QUANT);
  assert_int_equal(b->fpq_n, a->fpq_n);
  assert_int_equal(b->fpq_q, a->fpq_q);
  assert_int_equal(b->fpq_o, a->fpq_o);
  assert_memory_equal(b->fpq, a->fpq, 3 * (size_t)a->fpq_n * sizeof *a->fpq);
  double *fb = malloc(200 * 4 * sizeof *fb), *fa = malloc(200 * 4 * sizeof *fa);
  assert_non_null(fb);
  assert_non_null(fa);
  assert_int_equal(nf_model_forward(free_bits, x, 200, -1, true, fa, &err), 0);
  assert_int_equal(nf_model_forward(back, x, 200, -1, true, fb, &err), 0);
  for (int k = 0; k < 200 * 4; k++)
    if (fa[k] != fb[k]) fail_msg("output %d: %g, after the .nnf round trip %g", k, fa[k], fb[k]);
  /* a model without quantized kernels has no exact grid to start from */
  nf_model *m = random_mlp(3);
  assert_null(nf_hgq_act_new(m, 1e-5, 0.01, false, &err));
  assert_int_equal(err.code, NF_EINPUT);
  nf_model_free(m);
  nf_model_free(back);
  nf_model_free(free_bits);
  nf_model_free(tight);
  free(fo), free(fa), free(fb), free(tr), free(x), free(y);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantized_bits_grid),  cmocka_unit_test(test_quantized_bits_one_bit),
      cmocka_unit_test(test_quantized_relu_grid),  cmocka_unit_test(test_binary_ternary),
      cmocka_unit_test(test_quantizer_parse),      cmocka_unit_test(test_weight_ste),
      cmocka_unit_test(test_relu_ste),             cmocka_unit_test(test_schedule_formula),
      cmocka_unit_test(test_pruner_steps),         cmocka_unit_test(test_pruner_scopes),
      cmocka_unit_test(test_prune_in_training),    cmocka_unit_test(test_qat_uniform_and_spec),
      cmocka_unit_test(test_qat_spec_errors),      cmocka_unit_test(test_qat_config_file),
      cmocka_unit_test(test_qat_model_roundtrip),  cmocka_unit_test(test_hgq),  cmocka_unit_test(test_hgq_ops_slope), cmocka_unit_test(test_hgq_ops_penalty),
      cmocka_unit_test(test_hgq_act_quantizer),    cmocka_unit_test(test_hgq_csd_digits),
      cmocka_unit_test(test_hgq_act_surrogate),    cmocka_unit_test(test_hgq_act_training),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
