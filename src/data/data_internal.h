/* Inside the data stage: a growing dataset that the format readers fill. */
#ifndef NNFIRM_DATA_INTERNAL_H
#define NNFIRM_DATA_INTERNAL_H

#include "nnfirm/data.h"

typedef struct {
  float *x;
  int *y;
  long n, cap;
} nf_data_builder;

int nf_data_builder_init(nf_data_builder *b, nf_error *err);
int nf_data_builder_add(nf_data_builder *b, const float *x, int cls, nf_error *err);
/* Moves the rows into ds (with the jet names) when rc is NF_OK and there are
 * rows; frees them otherwise. Returns the final status. */
int nf_data_builder_finish(nf_data_builder *b, int rc, const char *path, nf_dataset *ds, nf_error *err);

int nf_data_class_index(const char *label);
int nf_data_load_csv(const char *path, char *text, nf_dataset *ds, nf_error *err);
int nf_data_load_arff(const char *path, char *text, nf_dataset *ds, nf_error *err);
int nf_data_save_csv(const char *path, const nf_dataset *ds, nf_error *err);
int nf_data_load_npy(const char *path, nf_dataset *ds, nf_error *err);
int nf_data_save_npy(const char *path, const nf_dataset *ds, nf_error *err);
int nf_data_load_h5(const char *path, nf_dataset *ds, nf_error *err);
int nf_data_save_h5(const char *path, const nf_dataset *ds, nf_error *err);

#endif
