/* nnfirm predict's computation: a layer's output for every row, from the
 * float model or bit-accurately from the fixed-point design, and its CSV. */
#include <stdio.h>
#include <stdlib.h>

#include "nnfirm/emulate.h"
#include "nnfirm/util.h"

static int write_rows(FILE *fp, long n, int cols, const double *v, const int64_t *codes, const nf_fixed_type *t) {
  char buf[1200];
  for (long r = 0; r < n; r++) {
    for (int c = 0; c < cols; c++) {
      size_t k = (size_t)r * cols + c;
      if (codes) nf_fixed_format_value(t, codes[k], buf, sizeof buf);
      else snprintf(buf, sizeof buf, "%.17g", v[k]);
      fprintf(fp, "%s%s", c ? "," : "", buf);
    }
    fputc('\n', fp);
  }
  return ferror(fp) ? NF_EINTERNAL : NF_OK;
}

/* "a, b, c": the names --layer accepts, for the error message. */
static void join_names(char *buf, size_t n, const char *const *names, int count) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < count && used < n; i++) used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

static int run_float(const nf_model *m, const float *x, long n, const char *layer, double **out, int *cols,
                     nf_error *err) {
  int upto = -1;
  if (layer && (upto = nf_model_find_layer(m, layer)) < 0) {
    const char *names[256];
    int k = 0;
    for (int i = 0; i < m->n_layers && k < 256; i++) names[k++] = m->layers[i].name;
    char list[900];
    join_names(list, sizeof list, names, k);
    return nf_fail(err, NF_EINPUT, "no layer named '%s' in the model (layers: %s)", layer, list);
  }
  *cols = upto < 0 ? m->n_outputs : m->layers[upto].n_out;
  *out = nf_malloc((size_t)n * *cols * sizeof **out, err);
  if (!*out) return NF_EINTERNAL;
  if (!nf_model_forward_f32_takes(m, upto)) return nf_model_forward(m, x, n, upto, true, *out, err);
  /* float32 through sgemm, as the trainer (and Keras) computes */
  float *f = nf_malloc((size_t)n * *cols * sizeof *f, err);
  int rc = f ? nf_model_forward_f32(m, x, n, upto, true, f, err) : NF_EINTERNAL;
  for (size_t k = 0; !rc && k < (size_t)n * *cols; k++) (*out)[k] = f[k];
  free(f);
  return rc;
}

static int run_fixed(const nf_model *m, const nf_config *cfg, const float *x, long n, const char *layer,
                     int64_t **codes, int *cols, nf_fixed_type *t, nf_error *err) {
  nf_design *d = NULL;
  int rc = nf_design_build(m, cfg, x, n, &d, err);
  int upto = d ? d->n_hw - 1 : -1;
  if (!rc && layer && (upto = nf_design_find_layer(d, layer)) < 0) {
    const char *names[256];
    int k = 0;
    for (int i = 0; i < d->n_layers && k < 256; i++) names[k++] = d->layers[i].name;
    char list[900];
    join_names(list, sizeof list, names, k);
    rc = nf_fail(err, NF_EINPUT, "no layer named '%s' in the fixed-point design (layers: %s; a folded "
                                 "BatchNormalization and Dropout have no output of their own)", layer, list);
  }
  int64_t *in = NULL;
  if (!rc) {
    *cols = d->layers[upto].n_out;
    *t = d->layers[upto].result_t;
    in = nf_malloc((size_t)n * d->n_inputs * sizeof *in, err);
    *codes = nf_malloc((size_t)n * *cols * sizeof **codes, err);
    if (!in || !*codes) rc = NF_EINTERNAL;
  }
  if (!rc) rc = nf_emulate_inputs(d, x, n, in, err);
  if (!rc) rc = nf_emulate(d, in, n, upto, *codes, err);
  free(in);
  nf_design_free(d);
  return rc;
}

int nf_predict(const nf_model *m, const nf_config *cfg, const float *x, long n, const char *layer, nf_prediction *p,
               nf_error *err) {
  *p = (nf_prediction){.n = n, .fixed = cfg != NULL};
  int rc = cfg ? run_fixed(m, cfg, x, n, layer, &p->codes, &p->cols, &p->type, err)
               : run_float(m, x, n, layer, &p->values, &p->cols, err);
  if (rc) nf_prediction_free(p);
  return rc;
}

void nf_prediction_free(nf_prediction *p) {
  free(p->values);
  free(p->codes);
  p->values = NULL;
  p->codes = NULL;
}

int nf_prediction_write(const nf_prediction *p, const char *path, nf_error *err) {
  if (!path) return write_rows(stdout, p->n, p->cols, p->values, p->codes, &p->type)
                        ? nf_fail(err, NF_EINTERNAL, "standard output: write failed") : NF_OK;
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  if (write_rows(f.fp, p->n, p->cols, p->values, p->codes, &p->type)) {
    nf_outfile_abort(&f);
    return nf_fail(err, NF_EINTERNAL, "%s: write failed", path);
  }
  return nf_outfile_commit(&f, err);
}
