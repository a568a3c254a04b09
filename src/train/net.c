/* The float32 training network: each layer's forward and backward pass for a
 * minibatch, written out plainly (llm.c style). Matrix products go through
 * OpenBLAS' cblas_sgemm; everything else is a short loop.
 *
 * Shapes: n = rows in this minibatch, in/out = the layer's widths. Every
 * activation buffer is row-major [n][width]. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "nnfirm/rng.h"

/* ---- Matrix products ----------------------------------------------------- */

/* C[M][N] = op(A)[M][K] · op(B)[K][N] + beta C (row-major). The rows of C are
 * split into `parts` fixed blocks, each one single-threaded sgemm call: the
 * same partition computes every element the same way on every run, which a
 * library-chosen thread split does not promise (determinism: same seed, same
 * weights). */
static void gemm(int parts, bool ta, bool tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc) {
  enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
  if (parts < 2 || M < 64 * parts) {
    cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int p = 0; p < parts; p++) {
    int i0 = (int)((long)M * p / parts), i1 = (int)((long)M * (p + 1) / parts);
    const float *Ap = ta ? A + i0 : A + (size_t)i0 * lda;
    cblas_sgemm(CblasRowMajor, opa, opb, i1 - i0, N, K, 1.0f, Ap, lda, B, ldb, beta, C + (size_t)i0 * ldc, ldc);
  }
}

/* ---- Dense ---------------------------------------------------------------- */

/* y[n][out] = x[n][in] · w_eff[in][out] + b[out] */
static void dense_forward(const net *nt, tlayer *t, const float *x, int n) {
  const nf_layer *l = t->l;
  int out = l->n_out;
  for (int r = 0; r < n; r++) {
    float *yr = t->y + (size_t)r * out;
    if (l->bias) memcpy(yr, t->b_eff, (size_t)out * sizeof *yr);
    else memset(yr, 0, (size_t)out * sizeof *yr);
  }
  gemm(nt->threads, false, false, n, out, l->n_in, x, l->n_in, t->w_eff, out, 1.0f, t->y, out);
}

/* dw[in][out] = x^T · dy;  db[out] = sum_r dy[r];  dx[n][in] = dy · w_eff^T.
 * The kernel's (bias') gradient is the effective kernel's (bias') gradient
 * passed straight through the quantizer or transform (STE, as QKeras'
 * x + stop_gradient(xq - x)), zero where the mask prunes. */
static void dense_backward(const net *nt, tlayer *t, const float *x, const float *dy, float *dx, int n) {
  const nf_layer *l = t->l;
  int in = l->n_in, out = l->n_out;
  gemm(nt->threads, true, false, in, out, n, x, in, dy, out, 0.0f, t->dw, out);
  if (l->mask)
    for (long k = 0; k < (long)in * out; k++)
      if (!l->mask[k]) t->dw[k] = 0;
  if (t->db) /* db = dy^T · 1: BLAS vectorizes the column sums */
    cblas_sgemv(CblasRowMajor, CblasTrans, n, out, 1.0f, dy, out, nt->ones, 1, 0.0f, t->db, 1);
  if (dx) gemm(nt->threads, false, true, n, in, out, dy, out, t->w_eff, out, 0.0f, dx, in);
}

/* ---- BatchNormalization --------------------------------------------------- */

/* Train mode: mean/var over the batch (biased variance, as Keras),
 * y = gamma * (x - mean) / sqrt(var + eps) + beta, and the moving averages
 * move by Keras' momentum 0.99. Inference mode uses the moving averages. */
static void batchnorm_forward(tlayer *t, const float *x, int n, bool train) {
  nf_layer *l = t->l;
  int w = l->n_out;
  if (train) {
    for (int j = 0; j < w; j++) {
      double s = 0, ss = 0;
      for (int r = 0; r < n; r++) s += x[(size_t)r * w + j];
      double mu = s / n;
      for (int r = 0; r < n; r++) {
        double d = x[(size_t)r * w + j] - mu;
        ss += d * d;
      }
      double var = ss / n;
      t->mean[j] = (float)mu;
      t->invstd[j] = (float)(1.0 / sqrt(var + l->epsilon));
      l->moving_mean[j] = 0.99f * l->moving_mean[j] + 0.01f * (float)mu;
      l->moving_var[j] = 0.99f * l->moving_var[j] + 0.01f * (float)var;
    }
  } else {
    for (int j = 0; j < w; j++) {
      t->mean[j] = l->moving_mean[j];
      t->invstd[j] = (float)(1.0 / sqrt((double)l->moving_var[j] + l->epsilon));
    }
  }
  for (int r = 0; r < n; r++)
    for (int j = 0; j < w; j++) {
      size_t k = (size_t)r * w + j;
      t->xhat[k] = (x[k] - t->mean[j]) * t->invstd[j];
      t->y[k] = l->gamma[j] * t->xhat[k] + l->beta[j];
    }
}

/* dgamma = sum dy*xhat; dbeta = sum dy;
 * dx = invstd/n * (n*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)), dxhat = dy*gamma. */
static void batchnorm_backward(tlayer *t, const float *dy, float *dx, int n) {
  const nf_layer *l = t->l;
  int w = l->n_out;
  for (int j = 0; j < w; j++) {
    double sg = 0, sb = 0;
    for (int r = 0; r < n; r++) {
      size_t k = (size_t)r * w + j;
      sg += (double)dy[k] * t->xhat[k];
      sb += dy[k];
    }
    t->dgamma[j] = (float)sg;
    t->dbeta[j] = (float)sb;
    if (!dx) continue;
    /* sum(dxhat) = gamma*sb, sum(dxhat*xhat) = gamma*sg */
    double g = l->gamma[j], k1 = g * sb / n, k2 = g * sg / n;
    for (int r = 0; r < n; r++) {
      size_t k = (size_t)r * w + j;
      dx[k] = (float)(t->invstd[j] * (g * dy[k] - k1 - t->xhat[k] * k2));
    }
  }
}

/* ---- Activations ------------------------------------------------------------ */

static void softmax_rows(const float *x, float *y, int n, int w) {
  for (int r = 0; r < n; r++) {
    const float *xr = x + (size_t)r * w;
    float *yr = y + (size_t)r * w;
    float mx = xr[0];
    for (int j = 1; j < w; j++) mx = xr[j] > mx ? xr[j] : mx;
    float s = 0;
    for (int j = 0; j < w; j++) s += (yr[j] = expf(xr[j] - mx));
    for (int j = 0; j < w; j++) yr[j] /= s;
  }
}

/* Branch-free ReLU pieces, on the float's bits. ReLU inputs are positive or
 * negative at random, and a mispredicted branch per element (what compilers
 * make of `x > 0 ? x : 0` at -O2) was half the epoch time. Written by hand
 * because fmaxf would turn a NaN into 0 and hide a diverging run. */
static inline uint32_t float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
static inline float bits_float(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}
/* all ones when x > 0 (or x is a NaN, which must survive), else zero */
static inline uint32_t pass_mask(float x) {
  uint32_t u = float_bits(x);
  return 0u - (uint32_t)(((int32_t)u > 0) | ((u & 0x7fffffffu) > 0x7f800000u));
}
static inline float relu_one(float x) { return bits_float(float_bits(x) & pass_mask(x)); }
/* 1 where the ReLU passes, `a` elsewhere (leaky slope; 0 for ReLU) */
static inline float slope_one(float x, float a) {
  uint32_t m = pass_mask(x);
  return bits_float((float_bits(1.0f) & m) | (float_bits(a) & ~m));
}

static void activation_forward(tlayer *t, const float *x, int n) {
  const nf_layer *l = t->l;
  long len = (long)n * l->n_out;
  float *y = t->y, a = l->act_alpha;
  switch (l->act) {
  case NF_ACT_LINEAR: memcpy(y, x, (size_t)len * sizeof *y); break;
  case NF_ACT_RELU:
    for (long k = 0; k < len; k++) y[k] = relu_one(x[k]);
    break;
  case NF_ACT_LEAKY_RELU:
    for (long k = 0; k < len; k++) y[k] = x[k] * slope_one(x[k], a);
    break;
  case NF_ACT_TANH:
    for (long k = 0; k < len; k++) y[k] = tanhf(x[k]);
    break;
  case NF_ACT_SIGMOID:
    for (long k = 0; k < len; k++) y[k] = 1.0f / (1.0f + expf(-x[k]));
    break;
  case NF_ACT_SOFTMAX: softmax_rows(x, y, n, l->n_out); break;
  }
  if (t->aq.kind != NF_QUANT_NONE) nf_qfast_apply(&t->aq, y, y, len);
}

/* The straight-through gradient of an output quantizer: quantized_relu
 * passes it where its unquantized value is unclipped (0 < x <= the top of the
 * grid, QKeras' x_u), the others pass it everywhere. */
static void quantizer_backward(const tlayer *t, const float *x, float *dx, long len) {
  if (t->aq.kind != NF_QUANT_RELU) return;
  float hi = t->aq.ste_hi;
  for (long k = 0; k < len; k++)
    if (!(x[k] > 0 && x[k] <= hi)) dx[k] = 0;
}

/* dx = dy * f'(x); f' from the input (ReLU family) or the output (tanh, sigmoid). */
static void activation_backward(const tlayer *t, const float *x, const float *dy, float *dx, int n) {
  const nf_layer *l = t->l;
  int w = l->n_out;
  long len = (long)n * w;
  const float *y = t->y;
  float a = l->act_alpha;
  switch (l->act) {
  case NF_ACT_LINEAR: memcpy(dx, dy, (size_t)len * sizeof *dx); break;
  case NF_ACT_RELU: /* pass dy where x > 0: a mask on the bits */
    for (long k = 0; k < len; k++)
      dx[k] = bits_float(float_bits(dy[k]) & (0u - (uint32_t)((int32_t)float_bits(x[k]) > 0)));
    break;
  case NF_ACT_LEAKY_RELU:
    for (long k = 0; k < len; k++) dx[k] = dy[k] * slope_one(x[k], a);
    break;
  case NF_ACT_TANH:
    for (long k = 0; k < len; k++) dx[k] = dy[k] * (1 - y[k] * y[k]);
    break;
  case NF_ACT_SIGMOID:
    for (long k = 0; k < len; k++) dx[k] = dy[k] * y[k] * (1 - y[k]);
    break;
  case NF_ACT_SOFTMAX: /* a softmax inside the network: dx = y * (dy - sum(dy*y)) */
    for (int r = 0; r < n; r++) {
      const float *yr = y + (size_t)r * w, *dyr = dy + (size_t)r * w;
      float s = 0;
      for (int j = 0; j < w; j++) s += dyr[j] * yr[j];
      for (int j = 0; j < w; j++) dx[(size_t)r * w + j] = yr[j] * (dyr[j] - s);
    }
    break;
  }
  quantizer_backward(t, x, dx, len);
}

/* ---- Dropout ---------------------------------------------------------------- */

/* Inverted dropout: kept units are scaled by 1/(1-rate) in training, so
 * inference is the identity (as Keras). */
static void dropout_forward(tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  const nf_layer *l = t->l;
  long len = (long)n * l->n_out;
  if (!train || l->rate <= 0) {
    memcpy(t->y, x, (size_t)len * sizeof *x);
    for (long k = 0; k < len; k++) t->keep[k] = 1;
    return;
  }
  nf_rng r;
  nf_rng_seed_stream(&r, seed, (uint64_t)index);
  float scale = 1.0f / (1.0f - l->rate);
  for (long k = 0; k < len; k++) {
    t->keep[k] = nf_rng_uniform(&r) < l->rate ? 0.0f : scale;
    t->y[k] = x[k] * t->keep[k];
  }
}

/* ---- The network -------------------------------------------------------------- */

static int max_width(const nf_model *m) {
  int w = m->n_features;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].n_out > w) w = m->layers[i].n_out;
  return w;
}

static int add_param(net *nt, float *w, float *g, long n, bool is_kernel, nf_layer *l) {
  nt->p[nt->n_p++] = (tparam){w, g, n, is_kernel, l};
  nt->n_params += n;
  return 0;
}

int nf_net_init(net *nt, nf_model *m, int cap, int threads, nf_error *err) {
  memset(nt, 0, sizeof *nt);
  nt->m = m;
  nt->cap = cap;
  nt->threads = threads < 1 ? 1 : threads;
  int L = m->n_layers, w = max_width(m);
  if (L < 2 || m->layers[L - 1].kind != NF_LAYER_ACTIVATION || m->layers[L - 1].act != NF_ACT_SOFTMAX)
    return nf_fail(err, NF_EINPUT, "training needs a model that ends in a softmax activation");
  nt->t = nf_calloc((size_t)L, sizeof *nt->t, err);
  nt->p = nf_calloc((size_t)2 * L, sizeof *nt->p, err);
  nt->x0 = nf_malloc((size_t)cap * m->n_features * sizeof(float), err);
  nt->ga = nf_malloc((size_t)cap * w * sizeof(float), err);
  nt->gb = nf_malloc((size_t)cap * w * sizeof(float), err);
  nt->ones = nf_malloc((size_t)cap * sizeof(float), err);
  bool ok = nt->t && nt->p && nt->x0 && nt->ga && nt->gb && nt->ones;
  for (int r = 0; ok && r < cap; r++) nt->ones[r] = 1;
  for (int i = 0; ok && i < L; i++) {
    nf_layer *l = &m->layers[i];
    tlayer *t = &nt->t[i];
    size_t nk = (size_t)l->n_in * l->n_out, no = (size_t)l->n_out, act = (size_t)cap * l->n_out;
    t->l = l;
    ok = (t->y = nf_malloc(act * sizeof(float), err)) != NULL;
    switch (l->kind) {
    case NF_LAYER_DENSE:
      ok = ok && (t->w_eff = nf_malloc(nk * sizeof(float), err)) && (t->dw = nf_calloc(nk, sizeof(float), err));
      if (ok && l->bias)
        ok = (t->db = nf_calloc(no, sizeof(float), err)) != NULL && (t->b_eff = nf_malloc(no * sizeof(float), err));
      nf_qfast_init(&t->kq, &l->kernel_q);
      nf_qfast_init(&t->bq, &l->bias_q);
      if (ok) add_param(nt, l->kernel, t->dw, (long)nk, true, l);
      if (ok && l->bias) add_param(nt, l->bias, t->db, (long)no, false, l);
      break;
    case NF_LAYER_BATCHNORM:
      ok = ok && (t->xhat = nf_malloc(act * sizeof(float), err)) && (t->mean = nf_malloc(no * sizeof(float), err)) &&
           (t->invstd = nf_malloc(no * sizeof(float), err)) && (t->dgamma = nf_calloc(no, sizeof(float), err)) &&
           (t->dbeta = nf_calloc(no, sizeof(float), err));
      if (ok) {
        add_param(nt, l->gamma, t->dgamma, (long)no, false, l);
        add_param(nt, l->beta, t->dbeta, (long)no, false, l);
      }
      break;
    case NF_LAYER_DROPOUT: ok = ok && (t->keep = nf_malloc(act * sizeof(float), err)); break;
    case NF_LAYER_ACTIVATION: nf_qfast_init(&t->aq, &l->act_q); break;
    }
  }
  if (!ok) {
    nf_net_free(nt);
    return err && err->code ? err->code : NF_EINTERNAL;
  }
  return NF_OK;
}

void nf_net_free(net *nt) {
  if (nt->t)
    for (int i = 0; i < nt->m->n_layers; i++) {
      tlayer *t = &nt->t[i];
      free(t->y);
      free(t->w_eff);
      free(t->b_eff);
      free(t->dw);
      free(t->db);
      free(t->xhat);
      free(t->mean);
      free(t->invstd);
      free(t->dgamma);
      free(t->dbeta);
      free(t->keep);
    }
  free(nt->t);
  free(nt->p);
  free(nt->x0);
  free(nt->ga);
  free(nt->gb);
  free(nt->ones);
  memset(nt, 0, sizeof *nt);
}

void nf_net_gather(net *nt, const float *x, const long *rows, int n) {
  const nf_model *m = nt->m;
  int F = m->n_features;
  for (int r = 0; r < n; r++) {
    const float *src = x + (size_t)rows[r] * F;
    float *dst = nt->x0 + (size_t)r * F;
    if (m->scaler_mean)
      for (int i = 0; i < F; i++) dst[i] = (src[i] - m->scaler_mean[i]) / m->scaler_scale[i];
    else
      memcpy(dst, src, (size_t)F * sizeof *dst);
  }
}

void nf_net_prepare_weights(net *nt) {
  for (int i = 0; i < nt->m->n_layers; i++) {
    tlayer *t = &nt->t[i];
    const nf_layer *l = t->l;
    if (l->kind != NF_LAYER_DENSE) continue;
    long nk = (long)l->n_in * l->n_out;
    if (nt->transform) nt->transform(l, l->kernel, t->w_eff, nk, nt->transform_ctx);
    else nf_qfast_apply(&t->kq, l->kernel, t->w_eff, nk);
    if (l->mask)
      for (long k = 0; k < nk; k++)
        if (!l->mask[k]) t->w_eff[k] = 0;
    if (l->bias) nf_qfast_apply(&t->bq, l->bias, t->b_eff, l->n_out);
  }
}

const float *nf_net_forward(net *nt, int n, bool train, uint64_t dropout_seed) {
  const float *x = nt->x0;
  for (int i = 0; i < nt->m->n_layers; i++) {
    tlayer *t = &nt->t[i];
    switch (t->l->kind) {
    case NF_LAYER_DENSE: dense_forward(nt, t, x, n); break;
    case NF_LAYER_BATCHNORM: batchnorm_forward(t, x, n, train); break;
    case NF_LAYER_ACTIVATION: activation_forward(t, x, n); break;
    case NF_LAYER_DROPOUT: dropout_forward(t, x, n, train, dropout_seed, i); break;
    }
    x = t->y;
  }
  return x;
}

/* Cross-entropy from the softmax's input z (log-sum-exp, exact for large
 * logits): loss_r = log(sum_j exp(z_j)) - z_label. */
double nf_net_xent(const net *nt, int n, const int *labels, long *correct) {
  int L = nt->m->n_layers, C = nt->m->n_outputs;
  const float *z = nt->t[L - 2].y;
  double loss = 0;
  long ok = 0;
  for (int r = 0; r < n; r++) {
    const float *zr = z + (size_t)r * C;
    int best = 0;
    for (int j = 1; j < C; j++)
      if (zr[j] > zr[best]) best = j;
    double s = 0;
    for (int j = 0; j < C; j++) s += exp((double)zr[j] - zr[best]);
    loss += log(s) + zr[best] - zr[labels[r]];
    ok += best == labels[r];
  }
  if (correct) *correct = ok;
  return loss / n;
}

void nf_net_backward(net *nt, int n, const int *labels) {
  const nf_model *m = nt->m;
  int L = m->n_layers, C = m->n_outputs;
  /* d(mean loss)/dz = (softmax(z) - onehot(label)) / n, z = the softmax's input */
  const float *p = nt->t[L - 1].y;
  float *g = nt->ga, *other = nt->gb;
  for (int r = 0; r < n; r++)
    for (int j = 0; j < C; j++) g[(size_t)r * C + j] = (p[(size_t)r * C + j] - (j == labels[r])) / n;
  for (int i = L - 2; i >= 0; i--) {
    tlayer *t = &nt->t[i];
    const float *x = i ? nt->t[i - 1].y : nt->x0;
    float *dx = i ? other : NULL; /* nobody needs the gradient of the data */
    switch (t->l->kind) {
    case NF_LAYER_DENSE: dense_backward(nt, t, x, g, dx, n); break;
    case NF_LAYER_BATCHNORM: batchnorm_backward(t, g, dx, n); break;
    case NF_LAYER_ACTIVATION:
      if (dx) activation_backward(t, x, g, dx, n);
      break;
    case NF_LAYER_DROPOUT:
      if (dx)
        for (long k = 0; k < (long)n * t->l->n_out; k++) dx[k] = g[k] * t->keep[k];
      break;
    }
    float *tmp = g;
    g = other;
    other = tmp;
  }
}

/* Keras' kernel regularizers: loss l1*sum|w| + l2*sum w^2, gradient
 * l1*sign(w) + 2*l2*w, on the float kernels. */
double nf_net_regularize(net *nt, double l1, double l2, bool add_grad) {
  if (l1 == 0 && l2 == 0) return 0;
  double loss = 0;
  for (int k = 0; k < nt->n_p; k++) {
    tparam *p = &nt->p[k];
    if (!p->is_kernel) continue;
    for (long i = 0; i < p->n; i++) {
      float w = p->w[i];
      loss += l1 * fabs(w) + l2 * (double)w * w;
      if (add_grad) p->g[i] += (float)(l1 * ((w > 0) - (w < 0)) + 2 * l2 * w);
    }
  }
  return loss;
}
