/* Dense in the training network (llm.c style: forward and backward written
 * out plainly, the matrix products through OpenBLAS' cblas_sgemm).
 * Shapes: n = rows in this minibatch; every buffer row-major [n][width]. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

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
static void dense_forward(const net *nt, tlayer *t, const float *x, int n, bool train, uint64_t seed, int index) {
  (void)train, (void)seed, (void)index;
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

/* The kernel as the forward pass sees it: the transform (HGQ, power of
 * two...) or the layer's quantizer, then the pruning mask; the bias quantized. */
static void dense_refresh(const net *nt, tlayer *t) {
  const nf_layer *l = t->l;
  long nk = (long)l->n_in * l->n_out;
  if (nt->transform) nt->transform(l, l->kernel, t->w_eff, nk, nt->transform_ctx);
  else nf_qfast_apply(&t->kq, l->kernel, t->w_eff, nk);
  if (l->mask)
    for (long k = 0; k < nk; k++)
      if (!l->mask[k]) t->w_eff[k] = 0;
  if (l->bias) nf_qfast_apply(&t->bq, l->bias, t->b_eff, l->n_out);
}

static bool dense_init(net *nt, tlayer *t, nf_error *err) {
  nf_layer *l = t->l;
  size_t nk = (size_t)l->n_in * l->n_out, no = (size_t)l->n_out;
  bool ok = (t->w_eff = nf_malloc(nk * sizeof(float), err)) && (t->dw = nf_calloc(nk, sizeof(float), err));
  if (ok && l->bias)
    ok = (t->db = nf_calloc(no, sizeof(float), err)) != NULL && (t->b_eff = nf_malloc(no * sizeof(float), err));
  nf_qfast_init(&t->kq, &l->kernel_q);
  nf_qfast_init(&t->bq, &l->bias_q);
  if (ok) nf_net_add_param(nt, l->kernel, t->dw, (long)nk, true, l);
  if (ok && l->bias) nf_net_add_param(nt, l->bias, t->db, (long)no, false, l);
  return ok;
}

const nf_train_layer_ops nf_train_dense_ops = {
    .init = dense_init,
    .refresh = dense_refresh,
    .forward = dense_forward,
    .backward = dense_backward,
};
