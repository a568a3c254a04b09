/* The float32 training network: the layers of the model in order, each
 * run forward and backward for a minibatch by its kind's operations
 * (layers.def's train column: dense.c, batchnorm.c, activation.c,
 * dropout.c, each written out plainly, llm.c style), the softmax
 * cross-entropy, and the regularizers.
 *
 * Shapes: n = rows in this minibatch, in/out = the layer's widths. Every
 * activation buffer is row-major [n][width]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* ---- The network -------------------------------------------------------------- */

static int max_width(const nf_model *m) {
  int w = m->n_features;
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].n_out > w) w = m->layers[i].n_out;
  return w;
}

/* The kinds training does not take (layers.def's train column `none`):
 * refused by name when the network is built. */
const nf_train_layer_ops nf_train_none_ops = {.init = NULL};

static const nf_train_layer_ops *const TRAIN_OPS[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, ...) [NF_LAYER_##ID] = &nf_train_##TRAIN##_ops,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

void nf_net_add_param(net *nt, float *w, float *g, long n, bool is_kernel, nf_layer *l) {
  nt->p[nt->n_p++] = (tparam){w, g, n, is_kernel, l};
  nt->n_params += n;
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
    t->l = l;
    ok = (t->y = nf_malloc((size_t)cap * l->n_out * sizeof(float), err)) != NULL;
    const nf_train_layer_ops *ops = (unsigned)l->kind < NF_LAYER_KIND_COUNT ? TRAIN_OPS[l->kind] : NULL;
    if (ok && (!ops || !ops->init))
      ok = !nf_fail(err, NF_EINPUT, "layer '%s': %s cannot be trained (import a trained one)", l->name, nf_layer_type_name(l));
    if (ok) ok = ops->init(nt, t, err);
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
    const nf_train_layer_ops *ops = TRAIN_OPS[t->l->kind];
    if (ops->refresh) ops->refresh(nt, t);
  }
}

const float *nf_net_forward(net *nt, int n, bool train, uint64_t dropout_seed) {
  const float *x = nt->x0;
  for (int i = 0; i < nt->m->n_layers; i++) {
    tlayer *t = &nt->t[i];
    TRAIN_OPS[t->l->kind]->forward(nt, t, x, n, train, dropout_seed, i);
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
    TRAIN_OPS[t->l->kind]->backward(nt, t, x, g, dx, n);
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
