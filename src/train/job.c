/* The whole training job of 'nnfirm train' (the convenience layer over
 * nf_train, as kann's kann_train_fnn1 is over kann): data, split, scaler,
 * the MLP, QKeras quantizers, pruning, HGQ, training with a checkpoint of
 * every improved epoch, and the final validation and test figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/train.h"
#include "nnfirm/util.h"

typedef struct run {
  const nf_train_job *job;
  nf_train_job_result *res;
  nf_progress prog;
  long batches;
  int epoch; /* current, for the progress line */
  double last_val_loss, last_val_acc;
  nf_error save_err;
  bool save_failed;
} run;

static void on_batch(long done, long total, double loss, double acc, void *ctx) {
  run *r = ctx;
  char extra[160];
  snprintf(extra, sizeof extra, "epoch %d/%d  loss %.4f acc %.4f  val_loss %.4f val_acc %.4f", r->epoch,
           r->job->opts.epochs, loss, acc, r->last_val_loss, r->last_val_acc);
  nf_progress_update(&r->prog, (long)(r->epoch - 1) * total + done, extra);
}

/* After each epoch: a permanent line on the terminal, and a checkpoint of the
 * best weights so far (the last good model if a later epoch blows up). */
static int on_epoch(const nf_epoch_stats *s, const nf_model *best, bool improved, void *ctx) {
  run *r = ctx;
  char line[200];
  r->last_val_loss = s->val_loss;
  r->last_val_acc = s->val_acc;
  snprintf(line, sizeof line, "epoch %3d/%d  loss %.4f acc %.4f  val_loss %.4f val_acc %.4f  lr %.2g  %.2fs%s", s->epoch,
           r->job->opts.epochs, s->loss, s->acc, s->val_loss, s->val_acc, s->lr, s->seconds, improved ? "  *" : "");
  nf_progress_note(&r->prog, line);
  r->epoch = s->epoch + 1;
  nf_hgq_act *ha = r->res->hgq_act;
  if (ha && improved) nf_hgq_act_snapshot(ha); /* the range of the epoch whose weights are kept */
  if (ha) nf_hgq_act_epoch(ha);
  if (!improved) return 0;
  /* best holds the weights; the scaler and names live in the model */
  nf_model *ck = nf_model_clone(r->res->model, &r->save_err);
  if (!ck) {
    r->save_failed = true;
    return 1;
  }
  nf_model_copy_params(ck, best);
  if (r->res->hgq) { /* these weights with the bits they had */
    nf_hgq_snapshot(r->res->hgq);
    nf_hgq_export(r->res->hgq, ck);
  }
  int rc = ha ? nf_hgq_act_export(ha, ck, &r->save_err) : NF_OK;
  if (!rc) rc = nf_model_save(ck, r->job->out_path, &r->save_err);
  nf_model_free(ck);
  if (rc) {
    r->save_failed = true;
    return 1;
  }
  r->res->saved_epoch = s->epoch;
  return 0;
}

/* The model to train: the MLP on the data's shape, its scaler and names,
 * the QKeras quantizers asked for, initial weights. */
static int build_model(const nf_train_job *j, const nf_dataset *ds, const nf_scaler *sc, nf_model **out, nf_error *err) {
  nf_model *m = nf_mlp_build(ds->n_features, j->hidden, j->n_hidden, ds->n_classes, j->batchnorm, (float)j->dropout, err);
  if (!m) return err->code ? err->code : NF_EINTERNAL;
  *out = m;
  int rc = nf_model_set_scaler(m, sc->mean, sc->scale, err);
  if (!rc && ds->feature_names)
    rc = nf_model_set_feature_names(m, (const char *const *)ds->feature_names, ds->n_features, err);
  if (!rc && ds->class_names) rc = nf_model_set_class_names(m, (const char *const *)ds->class_names, ds->n_classes, err);
  if (!rc && j->bits) rc = nf_qat_set_uniform(m, j->bits, err);
  if (!rc && j->quant_config) rc = nf_qat_apply_config(m, j->quant_config, err);
  if (!rc && j->quant) rc = nf_qat_apply_spec(m, j->quant, err);
  if (!rc) rc = nf_qat_finish(m, err);
  if (!rc) {
    snprintf(m->source, sizeof m->source, "nnfirm train %s", j->data_path ? j->data_path : "(synthetic jets)");
    rc = nf_model_init_weights(m, j->opts.seed, err);
  }
  return rc;
}

int nf_train_job_run(const nf_train_job *j, nf_train_job_result *res, nf_error *err) {
  memset(res, 0, sizeof *res);
  res->val_loss = res->val_acc = res->test_loss = res->test_acc = NAN;
  nf_dataset ds = {0};
  nf_split split = {0};
  nf_scaler sc = {0};
  nf_train_opts o = j->opts;
  run r = {.job = j, .res = res, .epoch = 1, .last_val_loss = NAN, .last_val_acc = NAN};
  const char *data_name = j->data_path ? j->data_path : "data";
  int rc = j->data_path ? nf_data_load(j->data_path, &ds, err)
                        : nf_data_synth(j->rows > 0 ? j->rows : NF_TRAIN_DEFAULT_ROWS, NF_TRAIN_DEFAULT_DATA_SEED, &ds, err);
  if (!rc) rc = nf_data_holdout(&ds, j->val_frac, j->test_frac, &split, err);
  if (!rc && split.n_train < 1) rc = nf_fail(err, NF_EINPUT, "%s: too few rows to train on", data_name);
  if (!rc) rc = nf_scaler_fit(&ds, split.train, split.n_train, &sc, err);
  if (!rc) rc = build_model(j, &ds, &sc, &res->model, err);
  r.batches = (split.n_train + o.batch - 1) / o.batch;
  const char *prune = j->prune ? j->prune : j->fan_in ? "0" : NULL; /* a fan-in cap alone: no sparsity target */
  if (!rc && prune)
    rc = nf_prune_setup(res->model, prune, j->prune_schedule, j->prune_scope, (long)o.epochs * r.batches, &o,
                        &res->schedule, &res->pruner, err);
  if (!rc && res->pruner) rc = nf_pruner_set_fan_in(res->pruner, res->model, j->fan_in, err);
  if (!rc && j->hgq_beta >= 0) {
    if (!(res->hgq = nf_hgq_new(res->model, j->hgq_beta, j->hgq_lr, j->hgq_penalty, err))) rc = err->code ? err->code : NF_EINTERNAL;
    else nf_hgq_attach(res->hgq, &o);
  }
  if (!rc && j->hgq_act) {
    if (!(res->hgq_act = nf_hgq_act_new(res->model, j->hgq_act_beta, j->hgq_lr, j->hgq_act_sat, err)))
      rc = err->code ? err->code : NF_EINTERNAL;
    else nf_hgq_act_attach(res->hgq_act, &o);
    if (res->hgq_act && j->hgq_act_relu_range) rc = nf_hgq_act_keep_relu_range(res->hgq_act, err);
    if (res->hgq_act && res->hgq) nf_hgq_set_act(res->hgq, res->hgq_act);
  }
  res->n_train = split.n_train, res->n_val = split.n_val, res->n_test = split.n_test;
  if (!rc) {
    nf_progress_begin(&r.prog, "train", (long)o.epochs * r.batches, j->quiet);
    o.on_batch = on_batch;
    o.on_epoch = on_epoch;
    o.ctx = &r;
    double t0 = nf_now();
    rc = nf_train(res->model, ds.x, ds.y, split.train, split.n_train, split.val, split.n_val, &o, &res->train, err);
    res->seconds = nf_now() - t0;
    nf_progress_end(&r.prog);
    if (r.save_failed) {
      *err = r.save_err;
      rc = err->code ? err->code : NF_EINTERNAL;
    } else if (rc && res->train.nan_stop && res->saved_epoch > 0) {
      nf_fail_context(err, "%s holds the last good model (epoch %d)", j->out_path, res->saved_epoch);
    } else if (rc && res->train.nan_stop) {
      nf_fail_context(err, "no epoch finished; %s not written", j->out_path);
    }
  }
  /* The final model: best weights restored (already checkpointed, but the
   * file must exist even when no epoch improved on NaN-free validation). */
  if (!rc && res->hgq) nf_hgq_export(res->hgq, res->model); /* each weight on its own grid, the widest as the type */
  if (!rc && res->hgq_act) rc = nf_hgq_act_export(res->hgq_act, res->model, err); /* a quantizer after each ReLU */
  if (!rc) rc = nf_model_save(res->model, j->out_path, err);
  if (!rc && split.n_val)
    rc = nf_train_evaluate(res->model, ds.x, ds.y, split.val, split.n_val, &res->val_loss, &res->val_acc, err);
  if (!rc && split.n_test)
    rc = nf_train_evaluate(res->model, ds.x, ds.y, split.test, split.n_test, &res->test_loss, &res->test_acc, err);
  nf_scaler_free(&sc);
  nf_split_free(&split);
  nf_dataset_free(&ds);
  return rc;
}

void nf_train_job_free(nf_train_job_result *res) {
  free(res->train.history);
  nf_pruner_free(res->pruner);
  nf_hgq_free(res->hgq);
  nf_hgq_act_free(res->hgq_act);
  nf_model_free(res->model);
  memset(res, 0, sizeof *res);
}
