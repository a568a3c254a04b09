/* Writes a jet-tagger-shaped design (16-64-32-32-5, ReLU between) as a
 * project DIR (rtl/, tb/), for measuring RTL styles with 'nnfirm synth DIR'
 * and simulation speed with 'nnfirm cosim DIR' independently of the
 * converter. Weights are random (about N(0, 1/fan-in) as trained nets have)
 * or read from a Keras weights file (--h5, bench-only HDF5 reader).
 *
 *   bench_rtl_jet DIR [--type T] [--weight-type T] [--relu-type T] [--reuse R]
 *                 [--clock NS] [--style S] [--zero F]
 *                 [--h5 FILE --names fc1,fc2,fc3,out [--qbits B]]
 *
 * --type is used for input/bias/accum/result (default ap_fixed<16,6>);
 * --style: 0 default, 1 no product sharing, 2 `x * c` products (NF_RTL_STYLE_*);
 * --qbits B: QKeras quantized_bits(B, 0) on weights and biases first. */
#include <getopt.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/model.h"
#include "nnfirm/project.h"
#include "nnfirm/rng.h"
#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

static float *read_ds(const char *file, const char *layer, const char *what, long want) {
  char path[512];
  snprintf(path, sizeof path, "/%s/%s/%s:0", layer, layer, what);
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return NULL;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  float *v = NULL;
  if (d >= 0) {
    hid_t sp = H5Dget_space(d);
    if (H5Sget_simple_extent_npoints(sp) == want && (v = malloc((size_t)want * sizeof *v)) &&
        H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
      free(v);
      v = NULL;
    }
    H5Sclose(sp);
    H5Dclose(d);
  }
  H5Fclose(f);
  if (!v) fprintf(stderr, "%s: cannot read %s as %ld floats\n", file, path, want);
  return v;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"type", required_argument, 0, 't'},  {"weight-type", required_argument, 0, 'w'},
      {"relu-type", required_argument, 0, 'r'}, {"reuse", required_argument, 0, 'R'},
      {"clock", required_argument, 0, 'c'}, {"style", required_argument, 0, 's'},
      {"zero", required_argument, 0, 'z'}, {"h5", required_argument, 0, 'h'},
      {"names", required_argument, 0, 'n'}, {"qbits", required_argument, 0, 'q'}, {0}};
  const char *ts = "ap_fixed<16,6>", *ws = NULL, *rs = NULL, *h5 = NULL, *names = NULL;
  int reuse = 1, qbits = 0;
  unsigned style = 0;
  double clk = 5.0, zero = 0.0;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 't': ts = optarg; break;
    case 'w': ws = optarg; break;
    case 'r': rs = optarg; break;
    case 'R': reuse = atoi(optarg); break;
    case 'c': clk = atof(optarg); break;
    case 's': style = (unsigned)atoi(optarg); break;
    case 'z': zero = atof(optarg); break;
    case 'h': h5 = optarg; break;
    case 'n': names = optarg; break;
    case 'q': qbits = atoi(optarg); break;
    default: return 2;
    }
  }
  if (optind != argc - 1 || (h5 && !names)) {
    fprintf(stderr, "usage: bench_rtl_jet DIR [--type T] [--weight-type T] [--relu-type T] [--reuse R] [--clock NS]"
                    " [--style S] [--zero F] [--h5 FILE --names a,b,c,d [--qbits B]]\n");
    return 2;
  }
  nf_error err = {0};
  nf_fixed_type t, w, rt;
  if (nf_fixed_type_parse(ts, &t, &err) || nf_fixed_type_parse(ws ? ws : ts, &w, &err) ||
      nf_fixed_type_parse(rs ? rs : ts, &rt, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  char layer_names[4][64] = {{0}};
  if (names && sscanf(names, "%63[^,],%63[^,],%63[^,],%63s", layer_names[0], layer_names[1], layer_names[2],
                      layer_names[3]) != 4) {
    fprintf(stderr, "--names needs four comma-separated Keras layer names\n");
    return 2;
  }
  nf_quantizer q = {.kind = qbits ? NF_QUANT_BITS : NF_QUANT_NONE, .bits = qbits, .keep_negative = true, .alpha = 1};
  static const int sizes[] = {16, 64, 32, 32, 5};
  nf_design_layer layers[7];
  int64_t *params[8] = {0};
  nf_rng r;
  nf_rng_seed(&r, 42);
  int n = 0;
  for (int l = 0; l < 4; l++) {
    int a = sizes[l], b = sizes[l + 1];
    int64_t *wt = calloc((size_t)a * b, 8), *bi = calloc((size_t)b, 8);
    if (!wt || !bi) return 1;
    params[2 * l] = wt, params[2 * l + 1] = bi;
    float *kf = h5 ? read_ds(h5, layer_names[l], "kernel", (long)a * b) : NULL;
    float *bf = h5 ? read_ds(h5, layer_names[l], "bias", b) : NULL;
    if (h5 && (!kf || !bf)) return 2;
    nf_code code;
    for (long i = 0; i < (long)a * b; i++) {
      double v = kf ? kf[i] : nf_rng_normal(&r) / (a > 16 ? 5.0 : 3.0);
      if (!kf && nf_rng_uniform(&r) < zero) v = 0;
      if (qbits) v = nf_quantizer_apply(&q, v);
      nf_fixed_from_double(&w, v, &code, &err);
      wt[i] = (int64_t)code;
    }
    for (int j = 0; j < b; j++) {
      double v = bf ? bf[j] : nf_rng_normal(&r) * 0.1;
      if (qbits) v = nf_quantizer_apply(&q, v);
      nf_fixed_from_double(ws ? &w : &t, v, &code, &err);
      bi[j] = (int64_t)code;
    }
    free(kf), free(bf);
    layers[n] = (nf_design_layer){.kind = NF_LAYER_DENSE, .n_in = a, .n_out = b, .weights = wt, .bias = bi,
                               .input_t = l ? rt : t, .weight_t = w, .bias_t = ws ? w : t, .accum_t = t,
                               .result_t = t, .reuse_factor = reuse};
    snprintf(layers[n].name, sizeof layers[n].name, "fc%d", l + 1);
    n++;
    if (l < 3) {
      layers[n] = (nf_design_layer){.kind = NF_LAYER_ACTIVATION, .act = NF_ACT_RELU, .n_in = b, .n_out = b, .input_t = t, .result_t = rt};
      snprintf(layers[n].name, sizeof layers[n].name, "relu%d", l + 1);
      n++;
    }
  }
  nf_design net = {.project = "myproject", .n_inputs = 16, .n_outputs = 5, .input_t = t, .n_layers = n, .n_hw = n,
                   .layers = layers, .strategy = "Latency", .io_type = "io_parallel", .part = "xcvu9p",
                   .clock_period_ns = clk, .rtl_style = style};
  nf_rtl_info info;
  nf_project_spec spec = {.design = &net, .rtl = true}; /* a design built by hand: no config.json */
  if (nf_project_write(&spec, argv[optind], &info, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return err.code ? err.code : 1;
  }
  printf("adders %ld latency %d II %d levels/stage %d\n", info.adders, info.latency, info.ii, info.levels_per_stage);
  for (int i = 0; i < 8; i++) free(params[i]);
  return 0;
}
