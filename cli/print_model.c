/* How nnfirm train and eval print a model's compression: sparsity per layer
 * (text and JSON) and the mean bits of the quantized weights. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "nnfirm/model.h"

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

