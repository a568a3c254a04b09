/* How nnfirm train and eval print a model's compression: sparsity per layer
 * (text and JSON), the mean bits of the quantized weights and the bits of
 * per-neuron activation types; and nnfirm train's JSON summary. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nnfirm/model.h"
#include "nnfirm/train.h"

cJSON *train_sparsity_json(const nf_model *m) {
  cJSON *per = cJSON_CreateObject();
  for (int i = 0; per && i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_DENSE)
      cJSON_AddNumberToObject(per, m->layers[i].name, nf_model_sparsity(m, i, NULL, NULL));
  return per;
}

void train_print_sparsity(const nf_model *m) {
  long z, n;
  double s = nf_model_sparsity(m, -1, &z, &n);
  printf("weight sparsity: %.1f%% (%ld of %ld zero):", 100 * s, z, n);
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i].kind == NF_LAYER_DENSE) printf(" %s %.1f%%", m->layers[i].name, 100 * nf_model_sparsity(m, i, NULL, NULL));
  printf("\n");
  bool any = false;
  for (int i = 0; i < m->n_layers; i++) {
    double b = nf_layer_mean_weight_bits(&m->layers[i]);
    if (isnan(b)) continue;
    printf("%s %s %.2f/%d", any ? "" : "mean bits of the nonzero weights (of the type's):", m->layers[i].name, b,
           m->layers[i].kernel_q.bits);
    any = true;
  }
  if (any) printf("\n");
}

cJSON *train_weight_bits_json(const nf_model *m) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; o && i < m->n_layers; i++) {
    double b = nf_layer_mean_weight_bits(&m->layers[i]);
    if (!isnan(b)) cJSON_AddNumberToObject(o, m->layers[i].name, b);
  }
  return o;
}


void train_print_act_bits(const nf_model *m) {
  long bits;
  int neurons;
  if (nf_hgq_act_total_bits(m, &bits, &neurons))
    printf("activation bits: %ld over %d hidden neurons (%.2f each)\n", bits, neurons, (double)bits / neurons);
}

void train_print_json(const char *out_path, const nf_train_job_result *jr) {
  const nf_train_result *res = &jr->train;
  double per_epoch = res->epochs_run ? jr->seconds / res->epochs_run : 0;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", out_path);
  cJSON_AddNumberToObject(o, "epochs_run", res->epochs_run);
  cJSON_AddNumberToObject(o, "best_epoch", res->best_epoch);
  cJSON_AddNumberToObject(o, "train_rows", (double)jr->n_train);
  cJSON_AddNumberToObject(o, "val_rows", (double)jr->n_val);
  cJSON_AddNumberToObject(o, "test_rows", (double)jr->n_test);
  if (jr->n_val) {
    cJSON_AddNumberToObject(o, "val_loss", jr->val_loss);
    cJSON_AddNumberToObject(o, "val_accuracy", jr->val_acc);
  }
  if (jr->n_test) {
    cJSON_AddNumberToObject(o, "test_loss", jr->test_loss);
    cJSON_AddNumberToObject(o, "test_accuracy", jr->test_acc);
    cJSON_AddNumberToObject(o, "accuracy", jr->test_acc);
  }
  cJSON_AddNumberToObject(o, "seconds_per_epoch", per_epoch);
  cJSON_AddNumberToObject(o, "sparsity", nf_model_sparsity(jr->model, -1, NULL, NULL));
  cJSON_AddItemToObject(o, "sparsity_per_layer", train_sparsity_json(jr->model));
  cJSON_AddItemToObject(o, "weight_bits_per_layer", train_weight_bits_json(jr->model));
  long abits;
  int aneurons;
  if (nf_hgq_act_total_bits(jr->model, &abits, &aneurons)) {
    cJSON_AddNumberToObject(o, "activation_bits", (double)abits);
    cJSON_AddNumberToObject(o, "activation_neurons", aneurons);
  }
  cJSON *h = cJSON_AddArrayToObject(o, "history");
  for (int i = 0; i < res->epochs_run; i++) {
    const nf_epoch_stats *s = &res->history[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "epoch", s->epoch);
    cJSON_AddNumberToObject(e, "loss", s->loss);
    cJSON_AddNumberToObject(e, "accuracy", s->acc);
    if (isfinite(s->val_loss)) {
      cJSON_AddNumberToObject(e, "val_loss", s->val_loss);
      cJSON_AddNumberToObject(e, "val_accuracy", s->val_acc);
    }
    cJSON_AddNumberToObject(e, "lr", s->lr);
    cJSON_AddNumberToObject(e, "seconds", s->seconds);
    cJSON_AddItemToArray(h, e);
  }
  char *text = cJSON_PrintUnformatted(o);
  if (text) puts(text);
  free(text);
  cJSON_Delete(o);
}
