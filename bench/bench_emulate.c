/* Emulator throughput: bit-accurate jets/s for the 16-64-32-32-5 jet tagger
 * at ap_fixed<16,6> on 1 and 2 threads, against nnfirm's own float forward
 * pass of the same model. Prints figures and ratios; asserts nothing.
 * usage: bench_emulate [MODEL.json] [N] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/rng.h"
#include "nnfirm/util.h"

static double time_emulate(const nf_design *d, const int64_t *in, long n, int64_t *out) {
  double best = 1e30;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = nf_now();
    nf_emulate(d, in, n, d->n_hw - 1, out, NULL); /* the hardware's output: logits */
    double t = nf_now() - t0;
    best = t < best ? t : best;
  }
  return best;
}

static double time_float(const nf_model *m, const float *x, long n, double *out) {
  double best = 1e30;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = nf_now();
    nf_model_forward(m, x, n, m->n_layers - 2, false, out, NULL); /* logits, like the design */
    double t = nf_now() - t0;
    best = t < best ? t : best;
  }
  return best;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "tests/data/models/keras/KERAS_3layer.json";
  long n = argc > 2 ? atol(argv[2]) : 500000;
  nf_error err = {0};
  nf_model *m = NULL;
  nf_config *cfg = nf_config_default(&err);
  nf_design *d = NULL;
  if (nf_model_open(path, NULL, &m, &err) || nf_design_build(m, cfg, NULL, 0, &d, &err)) {
    fprintf(stderr, "bench_emulate: %s\n", err.msg);
    return 1;
  }
  float *x = malloc((size_t)n * 16 * sizeof *x);
  int64_t *in = malloc((size_t)n * 16 * sizeof *in), *out = malloc((size_t)n * 5 * sizeof *out);
  double *fout = malloc((size_t)n * 32 * sizeof *fout);
  nf_rng r;
  nf_rng_seed(&r, 1);
  for (long i = 0; i < n * 16; i++) x[i] = (float)nf_rng_normal(&r);
  nf_emulate_inputs(d, x, n, in, &err);
  printf("bench_emulate: %s, %ld jets, ap_fixed<16,6> everywhere\n", path, n);
  double t_fix[3], t_flt[3];
  for (int th = 1; th <= 2; th++) {
    omp_set_num_threads(th);
    t_fix[th] = time_emulate(d, in, n, out);
    t_flt[th] = time_float(m, x, n, fout);
    printf("  %d thread%s: bit-accurate %.2f M jets/s   float forward %.2f M jets/s   fixed/float cost %.2fx\n", th,
           th > 1 ? "s" : " ", n / t_fix[th] / 1e6, n / t_flt[th] / 1e6, t_fix[th] / t_flt[th]);
  }
  printf("  goal: >= 1 M jets/s on one core (%s), <= 2x the float pass (%s)\n", n / t_fix[1] >= 1e6 ? "met" : "NOT met",
         t_fix[1] / t_flt[1] <= 2 ? "met" : "NOT met");
  free(x);
  free(in);
  free(out);
  free(fout);
  nf_design_free(d);
  nf_config_free(cfg);
  nf_model_free(m);
  return 0;
}
