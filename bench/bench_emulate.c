/* Emulator throughput (issue 19): jets/s of the bit-accurate emulator's block
 * path (nf_emulate), of its per-row reference (nf_emulate_reference), of
 * nnfirm's double float forward pass (nf_model_forward, dgemm) and of its
 * float32 batch path (nf_model_forward_f32, sgemm, fused bias and
 * activation; the QKeras twin's quantized activations send it to the double
 * path) side by side, on 1 and 2 threads, for the 16-64-32-32-5 jet tagger at
 * ap_fixed<16,6> everywhere and for its 6-bit QKeras twin with its hls4ml
 * configuration. Inputs are standard-normal features (not jets). Wall clock,
 * best of 3; prints figures, ratios and whether the block path's codes equal
 * the reference's on the reference's rows; asserts nothing. The float
 * figure is OpenBLAS's: it prints the kernel set OpenBLAS chose for this CPU
 * (OPENBLAS_CORETYPE in the environment overrides its choice).
 * usage: bench_emulate [N] [MODEL.json CONFIG|default] */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/import.h"
#include "nnfirm/rng.h"
#include "nnfirm/util.h"

typedef enum { RUN_BLOCK, RUN_REFERENCE, RUN_FLOAT, RUN_FLOAT32 } run_kind;

static double best_of_3(run_kind k, const nf_model *m, const nf_design *d, const float *x, const int64_t *in, long n,
                        int64_t *codes, double *values, float *values32) {
  double best = 1e30;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = nf_now();
    if (k == RUN_BLOCK) nf_emulate(d, in, n, d->n_hw - 1, codes, NULL); /* the hardware's output: logits */
    else if (k == RUN_REFERENCE) nf_emulate_reference(d, in, n, d->n_hw - 1, codes, NULL);
    else if (k == RUN_FLOAT) nf_model_forward(m, x, n, m->n_layers - 2, true, values, NULL); /* logits, like the design */
    else nf_model_forward_f32(m, x, n, m->n_layers - 2, true, values32, NULL);
    double t = nf_now() - t0;
    best = t < best ? t : best;
  }
  return n / best;
}

static int bench(const char *path, const char *config, const char *what, long n, double goal) {
  nf_error err = {0};
  nf_model *m = NULL;
  nf_config *cfg = NULL;
  nf_design *d = NULL;
  if (nf_model_open(path, NULL, &m, &err) || nf_config_load(config, &cfg, &err) ||
      nf_design_build(m, cfg, NULL, 0, &d, &err)) {
    fprintf(stderr, "bench_emulate: %s: %s\n", path, err.msg);
    return 1;
  }
  long n_ref = n / 20 > 1000 ? n / 20 : (n < 1000 ? n : 1000);
  int f = d->n_inputs, o = d->layers[d->n_hw - 1].n_out;
  float *x = malloc((size_t)n * f * sizeof *x);
  int64_t *in = malloc((size_t)n * f * sizeof *in), *fast = malloc((size_t)n * o * sizeof *fast);
  int64_t *ref = malloc((size_t)n_ref * o * sizeof *ref);
  double *values = malloc((size_t)n * o * sizeof *values);
  float *values32 = malloc((size_t)n * o * sizeof *values32);
  if (!x || !in || !fast || !ref || !values || !values32) {
    fprintf(stderr, "bench_emulate: out of memory\n");
    return 1;
  }
  nf_rng r;
  nf_rng_seed(&r, 1);
  for (long i = 0; i < n * f; i++) x[i] = (float)nf_rng_normal(&r);
  nf_emulate_inputs(d, x, n, in, &err);
  printf("%s (%s), %ld rows (%ld for the reference)\n", path, what, n, n_ref);
  printf("  float32 path: %s\n", nf_model_forward_f32_takes(m, m->n_layers - 2)
                                    ? "taken (sgemm, fused bias and activation)"
                                    : "NOT taken (the double path, rounded)");
  printf("  threads   block path    reference   float double  float32 sgemm   block/reference  float32/double  "
         "block/float32\n");
  double one[4] = {0}, worst = 0;
  for (int th = 1; th <= 2; th++) {
    omp_set_num_threads(th);
    openblas_set_num_threads(th);
    double b = best_of_3(RUN_BLOCK, m, d, x, in, n, fast, NULL, NULL);
    double e = best_of_3(RUN_REFERENCE, m, d, x, in, n_ref, ref, NULL, NULL);
    double fl = best_of_3(RUN_FLOAT, m, d, x, in, n, NULL, values, NULL);
    double f32 = best_of_3(RUN_FLOAT32, m, d, x, in, n, NULL, NULL, values32);
    if (th == 1) one[0] = b, one[1] = e, one[2] = fl, one[3] = f32;
    printf("  %7d  %7.2f M/s  %7.3f M/s  %8.2f M/s  %9.2f M/s  %15.1fx  %13.2fx  %12.2fx\n", th, b / 1e6, e / 1e6,
           fl / 1e6, f32 / 1e6, b / e, f32 / fl, b / f32);
  }
  for (long k = 0; k < n * o; k++) {
    double dv = values[k] - values32[k];
    dv = dv < 0 ? -dv : dv;
    worst = dv > worst ? dv : worst;
  }
  printf("  float32 logits vs double: largest difference %.3g\n", worst);
  printf("  block path codes equal the reference's on its %ld rows: %s\n", n_ref,
         memcmp(fast, ref, (size_t)n_ref * o * sizeof *ref) ? "NO" : "yes");
  printf("  goals on one thread: block path >= %.0f M jets/s (%s), float32 forward >= 3 M jets/s (%s)\n", goal / 1e6,
         one[0] >= goal ? "met" : "NOT met", one[3] >= 3e6 ? "met" : "NOT met");
  free(x);
  free(in);
  free(fast);
  free(ref);
  free(values);
  free(values32);
  nf_design_free(d);
  nf_config_free(cfg);
  nf_model_free(m);
  return 0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 500000;
  if (n < 1) n = 500000;
  printf("OpenBLAS kernels: %s (%s)\n", openblas_get_corename(), openblas_get_config());
  if (argc > 3) return bench(argv[2], argv[3], argv[3], n, 5e6);
  int rc = bench("tests/data/models/keras/KERAS_3layer.json", "default", "ap_fixed<16,6> everywhere", n, 5e6);
  if (!rc)
    rc = bench("tests/data/models/keras/qkeras_3layer.json", "tests/data/models/keras/qkeras_3layer_config.yml",
               "6-bit QKeras weights, 7-bit activations, its hls4ml configuration", n, 10e6);
  return rc;
}
