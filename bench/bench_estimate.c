/* Speed of the resource estimator (what 'nnfirm search' pays per candidate):
 *
 *   bench_estimate PROJECT...
 *
 * loads each project's design once, then times nf_estimate_design (the
 * generator's counting pass plus the model) and prints milliseconds per
 * estimate next to the estimate itself. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nnfirm/convert.h"
#include "nnfirm/project.h"
#include "nnfirm/synth.h"


static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_estimate PROJECT...\n");
    return 2;
  }
  printf("%-40s %8s %8s %9s %10s\n", "project", "weights", "LUT", "FF", "ms/design");
  for (int a = 1; a < argc; a++) {
    nf_error err = {0};
    nf_design *d = NULL;
    if (nf_design_load(argv[a], &d, &err)) {
      fprintf(stderr, "%s: %s\n", argv[a], err.msg);
      nf_design_free(d);
      return 2;
    }
    nf_estimate e = {0};
    int reps = 0;
    double t0 = now(), t = t0;
    while (reps < 3 || (t - t0 < 1.0 && reps < 1000)) {
      nf_estimate_free(&e);
      if (nf_estimate_design(d, NULL, false, &e, &err)) {
        fprintf(stderr, "%s: %s\n", argv[a], err.msg);
        return 2;
      }
      reps++;
      t = now();
    }
    long w = 0;
    for (int l = 0; l < d->n_hw; l++) w += (long)d->layers[l].n_in * d->layers[l].n_out * (d->layers[l].kind == NF_LAYER_DENSE);
    printf("%-40s %8ld %8.0f %9.0f %10.3f\n", argv[a], w, e.lut, e.ff, 1e3 * (t - t0) / reps);
    nf_estimate_free(&e);
    nf_design_free(d);
  }
  return 0;
}
