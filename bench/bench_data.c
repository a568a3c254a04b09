/* Data throughput: synthetic generation and CSV / HDF5 / NPY write and load rates
 * in jets/s for N jets (default 1M). Prints figures; asserts nothing.
 * usage: bench_data [N] [DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnfirm/data.h"
#include "nnfirm/util.h"

static long file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  char dir[] = "/tmp/nnfirm-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  nf_error err = {0};
  nf_dataset ds, back;
  double t0 = nf_now();
  if (nf_data_synth(n, 1, &ds, &err)) {
    fprintf(stderr, "bench_data: %s\n", err.msg);
    return 1;
  }
  double t_gen = nf_now() - t0;
  printf("bench_data: %ld jets\n  generate        %8.2f M jets/s  (%.2f s)\n", n, n / t_gen / 1e6, t_gen);
  const char *ext[] = {"csv", "h5", "npy"};
  for (int e = 0; e < 3; e++) {
    char path[64];
    snprintf(path, sizeof path, "%s/jets.%s", dir, ext[e]);
    t0 = nf_now();
    if (nf_data_save(path, &ds, &err)) break;
    double t_w = nf_now() - t0;
    t0 = nf_now();
    if (nf_data_load(path, &back, &err)) break;
    double t_r = nf_now() - t0;
    printf("  %-4s write     %8.2f M jets/s   load %8.2f M jets/s   (%.1f MB)\n", ext[e], n / t_w / 1e6,
           n / t_r / 1e6, file_size(path) / 1e6);
    nf_dataset_free(&back);
    unlink(path);
    snprintf(path, sizeof path, "%s/jets.labels.npy", dir); /* NPY's sibling label file */
    unlink(path);
  }
  if (err.msg[0]) fprintf(stderr, "bench_data: %s\n", err.msg);
  nf_dataset_free(&ds);
  rmdir(dir);
  return err.msg[0] ? 1 : 0;
}
