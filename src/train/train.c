/* The training loop: shuffled minibatches, Adam/SGD, reduce-on-plateau,
 * early stopping with best-weights restore, stop on a non-finite loss. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "train_internal.h"
#include "nnfirm/rng.h"
#include "nnfirm/util.h"

/* OpenBLAS may spawn its own threads inside a call; we partition the work
 * ourselves (see gemm in net.c), so each call must run on its caller's
 * thread. Declared here rather than relying on which cblas.h is installed. */
void openblas_set_num_threads(int n);

void nf_train_opts_default(nf_train_opts *o) {
  memset(o, 0, sizeof *o);
  o->epochs = 30;
  o->batch = 1024;
  o->optimizer = NF_OPT_ADAM;
  o->lr = 1e-3;
  o->patience = 10;
  o->lr_patience = 5;
  o->lr_factor = 0.5;
  o->min_lr = 1e-7;
  o->seed = 42;
}

/* One thread unless asked: a 1024-row minibatch of this 5k-parameter model
 * is ~30 MFLOP, about a millisecond on one core, and splitting it costs a
 * synchronization per matrix product; measured on the shared 2-core machine,
 * 2 threads were slower than 1 (busy cores make every barrier wait). */
static int thread_count(const nf_train_opts *o) {
  int t = o && o->threads > 0 ? o->threads : 1;
  return t < omp_get_max_threads() ? t : omp_get_max_threads();
}

/* ---- Parameter snapshots (best weights, last good epoch) ------------------ */

static void copy_layer_params(nf_layer *d, const nf_layer *s) {
  size_t nk = (size_t)s->n_in * s->n_out * sizeof(float), no = (size_t)s->n_out * sizeof(float);
  if (s->kernel) memcpy(d->kernel, s->kernel, nk);
  if (s->bias) memcpy(d->bias, s->bias, no);
  if (s->gamma) memcpy(d->gamma, s->gamma, no);
  if (s->beta) memcpy(d->beta, s->beta, no);
  if (s->moving_mean) memcpy(d->moving_mean, s->moving_mean, no);
  if (s->moving_var) memcpy(d->moving_var, s->moving_var, no);
  if (s->mask && d->mask) memcpy(d->mask, s->mask, (size_t)s->n_in * s->n_out);
}

static void copy_params(nf_model *dst, const nf_model *src) {
  for (int i = 0; i < src->n_layers; i++) copy_layer_params(&dst->layers[i], &src->layers[i]);
}

/* ---- Optimizers ------------------------------------------------------------ */

typedef struct optim {
  nf_optimizer kind;
  double lr, momentum;
  long t;       /* steps taken (Adam's bias correction) */
  float *m, *v; /* [n_params] first/second moments (Adam) or velocity (SGD) */
} optim;

/* Keras' Adam: beta1 0.9, beta2 0.999, epsilon 1e-7, bias correction folded
 * into the step size. SGD: w -= lr*g, or with momentum v = mu*v - lr*g, w += v. */
static void optim_step(optim *op, net *nt) {
  op->t++;
  double b1 = 0.9, b2 = 0.999;
  float lr_t = (float)(op->lr * sqrt(1 - pow(b2, (double)op->t)) / (1 - pow(b1, (double)op->t)));
  long off = 0;
  for (int k = 0; k < nt->n_p; k++) {
    tparam *p = &nt->p[k];
    float *m = op->m + off, *v = op->v + off;
    if (op->kind == NF_OPT_ADAM) {
      for (long i = 0; i < p->n; i++) {
        float g = p->g[i];
        m[i] = 0.9f * m[i] + 0.1f * g;
        v[i] = 0.999f * v[i] + 0.001f * g * g;
        p->w[i] -= lr_t * m[i] / (sqrtf(v[i]) + 1e-7f);
      }
    } else if (op->momentum > 0) {
      for (long i = 0; i < p->n; i++) {
        m[i] = (float)op->momentum * m[i] - (float)op->lr * p->g[i];
        p->w[i] += m[i];
      }
    } else {
      for (long i = 0; i < p->n; i++) p->w[i] -= (float)op->lr * p->g[i];
    }
    /* pruned weights stay exactly zero */
    if (p->is_kernel && p->l->mask)
      for (long i = 0; i < p->n; i++)
        if (!p->l->mask[i]) p->w[i] = 0;
    off += p->n;
  }
}

/* ---- Evaluation ---------------------------------------------------------------- */

static void eval_rows(net *nt, const float *x, const int *y, const long *rows, long n_rows, int *lab, double *loss,
                      double *acc) {
  double sum = 0;
  long correct = 0;
  nf_net_prepare_weights(nt);
  for (long b = 0; b < n_rows; b += nt->cap) {
    int n = (int)(n_rows - b < nt->cap ? n_rows - b : nt->cap);
    nf_net_gather(nt, x, rows + b, n);
    for (int r = 0; r < n; r++) lab[r] = y[rows[b + r]];
    nf_net_forward(nt, n, false, 0);
    long ok;
    sum += nf_net_xent(nt, n, lab, &ok) * n;
    correct += ok;
  }
  *loss = n_rows ? sum / n_rows : NAN;
  *acc = n_rows ? (double)correct / n_rows : NAN;
}

int nf_train_evaluate(const nf_model *m, const float *x, const int *y, const long *rows, long n_rows, double *loss,
                      double *acc, nf_error *err) {
  net nt;
  openblas_set_num_threads(1);
  /* the network only reads the model in inference mode */
  int rc = nf_net_init(&nt, (nf_model *)m, 4096, thread_count(NULL), err);
  if (rc) return rc;
  int *lab = nf_malloc(4096 * sizeof *lab, err);
  if (!lab) {
    nf_net_free(&nt);
    return NF_EINTERNAL;
  }
  eval_rows(&nt, x, y, rows, n_rows, lab, loss, acc);
  free(lab);
  nf_net_free(&nt);
  return NF_OK;
}

/* ---- Gradient access for tests ---------------------------------------------------- */

long nf_train_param_count(const nf_model *m) {
  long n = 0;
  for (int i = 0; i < m->n_layers; i++) {
    long t;
    nf_layer_param_count(&m->layers[i], &t, NULL);
    n += t;
  }
  return n;
}

int nf_train_param_ptrs(nf_model *m, float **ptrs, long n) {
  long k = 0;
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    long nk = (long)l->n_in * l->n_out;
    if (l->kind == NF_LAYER_DENSE) {
      for (long j = 0; j < nk && k < n; j++) ptrs[k++] = &l->kernel[j];
      for (long j = 0; l->bias && j < l->n_out && k < n; j++) ptrs[k++] = &l->bias[j];
    } else if (l->kind == NF_LAYER_BATCHNORM) {
      for (long j = 0; j < l->n_out && k < n; j++) ptrs[k++] = &l->gamma[j];
      for (long j = 0; j < l->n_out && k < n; j++) ptrs[k++] = &l->beta[j];
    }
  }
  return k == n ? NF_OK : NF_EINTERNAL;
}

int nf_train_loss_grad(nf_model *m, const float *xb, const int *yb, int n, double l1, double l2, uint64_t seed,
                       double *loss, float *grads, nf_error *err) {
  net nt;
  openblas_set_num_threads(1);
  int rc = nf_net_init(&nt, m, n, 1, err);
  if (rc) return rc;
  /* BN moving statistics are not part of the loss; keep them untouched */
  nf_model *saved = nf_model_clone(m, err);
  if (!saved) {
    nf_net_free(&nt);
    return NF_EINTERNAL;
  }
  memcpy(nt.x0, xb, (size_t)n * m->n_features * sizeof(float));
  nf_net_prepare_weights(&nt);
  nf_net_forward(&nt, n, true, seed);
  *loss = nf_net_xent(&nt, n, yb, NULL) + nf_net_regularize(&nt, l1, l2, false);
  if (grads) {
    nf_net_backward(&nt, n, yb);
    nf_net_regularize(&nt, l1, l2, true);
    long off = 0;
    for (int k = 0; k < nt.n_p; k++) {
      memcpy(grads + off, nt.p[k].g, (size_t)nt.p[k].n * sizeof(float));
      off += nt.p[k].n;
    }
  }
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_BATCHNORM) copy_layer_params(&m->layers[i], &saved->layers[i]);
  nf_model_free(saved);
  nf_net_free(&nt);
  return NF_OK;
}

/* ---- The loop ------------------------------------------------------------------------- */

typedef struct trainer {
  net nt;
  optim op;
  long steps; /* optimizer steps taken (tfmot's pruning step) */
  long *perm; /* [n_train] shuffled training row indices */
  int *lab;   /* [batch] labels of the current batch */
  nf_model *best;
} trainer;

static void trainer_free(trainer *tr) {
  nf_net_free(&tr->nt);
  free(tr->op.m);
  free(tr->op.v);
  free(tr->perm);
  free(tr->lab);
  nf_model_free(tr->best);
}

static int check_inputs(const nf_model *m, const int *y, const long *rows, long n, const nf_train_opts *o,
                        nf_error *err) {
  for (long i = 0; i < n; i++) {
    int c = y[rows[i]];
    if (c < 0 || c >= m->n_outputs)
      return nf_fail(err, NF_EINPUT, "row %ld has class %d, but the model has %d outputs", rows[i], c, m->n_outputs);
  }
  if (o->epochs < 1 || o->batch < 1 || !(o->lr > 0) || o->l1 < 0 || o->l2 < 0)
    return nf_fail(err, NF_EINPUT, "training options out of range (epochs %d, batch %d, lr %g, l1 %g, l2 %g)",
                   o->epochs, o->batch, o->lr, o->l1, o->l2);
  return NF_OK;
}

/* Each Dense kernel's loss gradient (with respect to the weights the forward
 * pass used) to the caller's hook, e.g. HGQ's bit-width update. */
static void report_gradients(const net *nt, const nf_train_opts *o) {
  for (int i = 0; i < nt->m->n_layers; i++)
    if (nt->t[i].l->kind == NF_LAYER_DENSE) o->on_gradients(nt->m, i, nt->t[i].w_eff, nt->t[i].dw, o->grad_ctx);
}

/* One pass over the shuffled training rows. Returns false on a non-finite loss. */
static bool run_epoch(trainer *tr, const float *x, const int *y, long n_train, const nf_train_opts *o, int epoch,
                      double *loss, double *acc, long *bad_batch) {
  net *nt = &tr->nt;
  long n_batches = (n_train + o->batch - 1) / o->batch;
  double sum = 0;
  long correct = 0;
  for (long b = 0; b < n_batches; b++) {
    long start = b * o->batch;
    int n = (int)(n_train - start < o->batch ? n_train - start : o->batch);
    nf_net_gather(nt, x, tr->perm + start, n);
    for (int r = 0; r < n; r++) tr->lab[r] = y[tr->perm[start + r]];
    if (o->on_step) o->on_step(nt->m, tr->steps, o->step_ctx); /* e.g. pruning masks */
    nf_net_prepare_weights(nt);
    nf_net_forward(nt, n, true, o->seed ^ ((uint64_t)epoch << 32 | (uint64_t)b));
    long ok;
    double l = nf_net_xent(nt, n, tr->lab, &ok) + nf_net_regularize(nt, o->l1, o->l2, false);
    if (!isfinite(l)) {
      *bad_batch = b + 1;
      return false;
    }
    sum += l * n;
    correct += ok;
    nf_net_backward(nt, n, tr->lab);
    if (o->on_gradients) report_gradients(nt, o);
    nf_net_regularize(nt, o->l1, o->l2, true);
    optim_step(&tr->op, nt);
    tr->steps++;
    if (o->on_batch) o->on_batch(b + 1, n_batches, sum / (start + n), (double)correct / (start + n), o->ctx);
  }
  *loss = sum / n_train;
  *acc = (double)correct / n_train;
  return true;
}

int nf_train(nf_model *m, const float *x, const int *y, const long *train, long n_train, const long *val,
             long n_val, const nf_train_opts *o, nf_train_result *res, nf_error *err) {
  memset(res, 0, sizeof *res);
  if (n_train < 1) return nf_fail(err, NF_EINPUT, "no training rows");
  int rc = check_inputs(m, y, train, n_train, o, err);
  if (!rc) rc = check_inputs(m, y, val, n_val, o, err);
  if (rc) return rc;
  openblas_set_num_threads(1);
  trainer tr = {0};
  int cap = (int)(o->batch < n_train ? o->batch : n_train);
  if (n_val > cap) cap = o->batch; /* validation batches reuse the buffers */
  if ((rc = nf_net_init(&tr.nt, m, cap, thread_count(o), err))) return rc;
  tr.nt.transform = o->transform;
  tr.nt.transform_ctx = o->transform_ctx;
  tr.nt.act_forward = o->act_forward;
  tr.nt.act_backward = o->act_backward;
  tr.nt.act_clip = o->act_clip;
  tr.nt.act_ctx = o->act_ctx;
  tr.op = (optim){o->optimizer, o->lr, o->momentum, 0, NULL, NULL};
  tr.op.m = nf_calloc((size_t)tr.nt.n_params, sizeof(float), err);
  tr.op.v = nf_calloc((size_t)tr.nt.n_params, sizeof(float), err);
  tr.perm = nf_malloc((size_t)n_train * sizeof(long), err);
  tr.lab = nf_malloc((size_t)cap * sizeof(int), err);
  tr.best = nf_model_clone(m, err);
  res->history = nf_calloc((size_t)o->epochs, sizeof *res->history, err);
  if (!tr.op.m || !tr.op.v || !tr.perm || !tr.lab || !tr.best || !res->history) {
    trainer_free(&tr);
    free(res->history);
    res->history = NULL;
    return NF_EINTERNAL;
  }
  memcpy(tr.perm, train, (size_t)n_train * sizeof(long));
  nf_rng rng;
  nf_rng_seed_stream(&rng, o->seed, 0x5eed);

  double best_val = INFINITY, plateau_best = INFINITY;
  int since_best = 0, since_plateau = 0;
  for (int epoch = 1; epoch <= o->epochs; epoch++) {
    double t0 = nf_now();
    nf_epoch_stats *s = &res->history[epoch - 1];
    s->epoch = epoch;
    s->lr = tr.op.lr;
    nf_rng_shuffle_long(&rng, tr.perm, n_train);
    long bad = 0;
    if (!run_epoch(&tr, x, y, n_train, o, epoch, &s->loss, &s->acc, &bad)) {
      copy_params(m, tr.best);
      res->nan_stop = true;
      rc = nf_fail(err, NF_EINPUT,
                   "training loss became non-finite at epoch %d, batch %ld (learning rate %g too high, or bad "
                   "data?); stopped, keeping the weights of epoch %d",
                   epoch, bad, tr.op.lr, res->best_epoch);
      break;
    }
    res->epochs_run = epoch;
    s->val_loss = s->val_acc = NAN;
    if (n_val > 0) eval_rows(&tr.nt, x, y, val, n_val, tr.lab, &s->val_loss, &s->val_acc);
    s->seconds = nf_now() - t0;
    /* Without validation rows the last epoch is the best one. Until the
     * weights settle (pruning masks still moving) no epoch is a candidate. */
    double monitored = n_val > 0 ? s->val_loss : -epoch;
    bool settled = tr.steps >= o->settle_steps;
    bool improved = settled && (monitored < best_val - 1e-6 || (n_val > 0 && !isfinite(best_val) && isfinite(monitored)));
    if (improved) {
      best_val = monitored;
      since_best = 0;
      res->best_epoch = epoch;
      copy_params(tr.best, m);
    } else if (settled) {
      since_best++;
    }
    /* reduce-on-plateau (Keras ReduceLROnPlateau on val_loss); pruning
     * raises the loss on purpose, so the plateau count waits for it too */
    if (!settled) {
      plateau_best = INFINITY;
    } else if (monitored < plateau_best - 1e-6) {
      plateau_best = monitored;
      since_plateau = 0;
    } else if (o->lr_patience > 0 && ++since_plateau >= o->lr_patience) {
      double lr = tr.op.lr * o->lr_factor;
      tr.op.lr = lr < o->min_lr ? o->min_lr : lr;
      since_plateau = 0;
    }
    if (o->on_epoch && o->on_epoch(s, tr.best, improved, o->ctx)) break;
    if (n_val > 0 && o->patience > 0 && since_best >= o->patience) break;
  }
  if (!res->nan_stop && res->best_epoch > 0) copy_params(m, tr.best); /* best-weights restore */
  trainer_free(&tr);
  return rc;
}
