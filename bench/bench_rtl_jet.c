/* Writes the RTL of a jet-tagger-shaped network (16-64-32-32-5, ReLU between)
 * with random weights of a given type as a project DIR (rtl/, tb/), for
 * measuring RTL styles with 'nnfirm synth DIR' and simulation speed with
 * 'nnfirm cosim DIR' before real converted models are at hand.
 *
 *   bench_rtl_jet DIR [TYPE [WEIGHT_TYPE [ZERO_FRAC [REUSE [CLOCK_NS [RELU_TYPE [STYLE]]]]]]]
 *
 * STYLE: 0 default, 1 no product sharing, 2 `x * c` products (NF_RTL_STYLE_*).
 *
 * TYPE is used for input/bias/accum/result (default ap_fixed<16,6>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_rtl_jet DIR [TYPE [WEIGHT_TYPE [ZERO_FRAC [REUSE [CLOCK_NS [RELU_TYPE]]]]]]\n");
    return 2;
  }
  const char *ts = argc > 2 ? argv[2] : "ap_fixed<16,6>", *ws = argc > 3 ? argv[3] : ts;
  double zero = argc > 4 ? atof(argv[4]) : 0.0;
  int reuse = argc > 5 ? atoi(argv[5]) : 1;
  double clk = argc > 6 ? atof(argv[6]) : 5.0;
  nf_error err = {0};
  nf_fixed_type t, w, rt;
  if (nf_fixed_type_parse(ts, &t, &err) || nf_fixed_type_parse(ws, &w, &err) ||
      nf_fixed_type_parse(argc > 7 ? argv[7] : ts, &rt, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  static const int sizes[] = {16, 64, 32, 32, 5};
  nf_rtl_layer layers[7];
  int64_t *params[8];
  nf_rng r;
  nf_rng_seed(&r, 42);
  int n = 0;
  for (int l = 0; l < 4; l++) {
    int a = sizes[l], b = sizes[l + 1];
    int64_t *wt = calloc((size_t)a * b, 8), *bi = calloc((size_t)b, 8);
    if (!wt || !bi) return 1;
    params[2 * l] = wt, params[2 * l + 1] = bi;
    /* weights about N(0, 1/sqrt(fan-in)) as trained nets have, quantized */
    double scale = (double)((int64_t)1 << (w.width - w.int_bits));
    for (long i = 0; i < (long)a * b; i++) {
      double v = nf_rng_normal(&r) / (a > 16 ? 5.0 : 3.0);
      nf_code c;
      if (nf_rng_uniform(&r) < zero) v = 0;
      nf_fixed_from_double(&w, v, &c, &err);
      wt[i] = (int64_t)c;
    }
    for (int j = 0; j < b; j++) bi[j] = (int64_t)(nf_rng_normal(&r) * 0.1 * scale);
    layers[n] = (nf_rtl_layer){.kind = NF_RTL_DENSE, .n_in = a, .n_out = b, .weights = wt, .bias = bi,
                               .input_t = l ? rt : t,
                               .weight_t = w, .bias_t = t, .accum_t = t, .result_t = t, .reuse = reuse};
    snprintf(layers[n].name, sizeof layers[n].name, "fc%d", l + 1);
    n++;
    if (l < 3) {
      layers[n] = (nf_rtl_layer){.kind = NF_RTL_RELU, .n_in = b, .n_out = b, .input_t = t, .result_t = rt};
      snprintf(layers[n].name, sizeof layers[n].name, "relu%d", l + 1);
      n++;
    }
  }
  nf_rtl_net net = {.top = "myproject", .n_layers = n, .layers = layers, .clock_period_ns = clk,
                    .style = argc > 8 ? (unsigned)atoi(argv[8]) : 0};
  nf_rtl_info info;
  if (nf_rtl_write_project(&net, argv[1], &info, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return err.code ? err.code : 1;
  }
  printf("adders %ld latency %d II %d levels/stage %d\n", info.adders, info.latency, info.ii, info.levels_per_stage);
  for (int i = 0; i < 8; i++) free(params[i]);
  return 0;
}
