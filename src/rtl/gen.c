/* The whole design: checks, one Verilog module per layer (each in its own
 * file, with a header comment stating types and latency), the top module
 * with the fixed interface, and the SPEC §3 reference used to check it. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "nnfirm/util.h"

static bool is_identifier(const char *s) {
  if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
  return true;
}

const nf_rtl_layer_ops nf_rtl_none_ops = {.what = NULL};

static const nf_rtl_layer_ops *const LAYER_OPS[NF_LAYER_KIND_COUNT] = {
#define NF_LAYER_KIND(ID, NAME, MODEL, TRAIN, CONVERT, EMULATE, RTL) [NF_LAYER_##ID] = &nf_rtl_##RTL##_ops,
#include "nnfirm/layers.def"
#undef NF_LAYER_KIND
};

const nf_rtl_layer_ops *nf_rtl_ops_of(const nf_design_layer *L) {
  const nf_rtl_layer_ops *ops = (unsigned)L->kind < NF_LAYER_KIND_COUNT ? LAYER_OPS[L->kind] : &nf_rtl_none_ops;
  return ops->resolve ? ops->resolve(L) : ops;
}

const char *nf_rtl_layer_what(const nf_design_layer *L) {
  const char *w = nf_rtl_ops_of(L)->what;
  return w ? w : nf_layer_kind_name(L->kind);
}

static int check_layer(const nf_design_layer *L, const nf_design_layer *prev, nf_error *err) {
  if (!is_identifier(L->name)) return nf_fail(err, NF_EINPUT, "layer name '%s' is not a Verilog identifier", L->name);
  if (L->n_in <= 0 || L->n_out <= 0) return nf_fail(err, NF_EINPUT, "layer %s: empty shape %dx%d", L->name, L->n_in, L->n_out);
  if (prev && (prev->n_out != L->n_in || !nf_fixed_type_equal(&prev->result_t, &L->input_t)))
    return nf_fail(err, NF_EINPUT, "layer %s: its input (%d values) does not match the output of %s (%d values) or its type",
                   L->name, L->n_in, prev->name, prev->n_out);
  return NF_OK;
}

/* The unit's module can be generated: its operations exist and accept it. */
static int check_unit(const nf_rtl_unit *u, nf_error *err) {
  if (u->collect) return NF_OK;
  const nf_design_layer *L = &u->view;
  const nf_rtl_layer_ops *ops = nf_rtl_ops_of(L);
  if (!ops->emit) {
    if (L->kind == NF_LAYER_ACTIVATION) {
      char have[256] = "";
      for (int a = 0; a < NF_ACT_COUNT; a++) { /* the activations with an rtl column */
        nf_design_layer probe = {.kind = NF_LAYER_ACTIVATION, .act = (nf_activation)a};
        if (nf_rtl_ops_of(&probe)->emit)
          snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", have[0] ? ", " : "",
                   nf_activation_name((nf_activation)a));
      }
      return nf_fail(err, NF_EINPUT, "layer '%s': %s activation has no RTL yet (%s)", L->name,
                     nf_activation_name(L->act), have);
    }
    return nf_fail(err, NF_EINPUT, "layer '%s': %s has no RTL yet (the emulator runs it: nnfirm predict --config)",
                   L->name, nf_layer_kind_name(L->kind));
  }
  if (L->kind == NF_LAYER_ACTIVATION && L->n_in != L->n_out)
    return nf_fail(err, NF_EINPUT, "layer %s: %s with %d inputs and %d outputs", L->name, ops->what, L->n_in, L->n_out);
  return ops->check ? ops->check(L, err) : NF_OK;
}

static int check_units(const nf_design *d, const nf_rtl_units *us, nf_error *err) {
  if (!is_identifier(d->project)) return nf_fail(err, NF_EINPUT, "project name '%s' is not a Verilog identifier", d->project);
  if (d->n_hw < 1 || d->n_hw > d->n_layers) return nf_fail(err, NF_EINPUT, "the design has no layers in hardware");
  if (d->layers[0].kind != NF_LAYER_DENSE && d->n_hw == 1)
    return nf_fail(err, NF_EINPUT, "the design has no Dense layer");
  for (int l = 0; l < d->n_hw; l++) {
    int rc = check_layer(&d->layers[l], l ? &d->layers[l - 1] : NULL, err);
    if (rc) return rc;
  }
  for (int k = 0; k < us->n; k++) {
    int rc = check_unit(&us->u[k], err);
    if (rc) return rc;
  }
  return NF_OK;
}

int nf_rtl_check(const nf_design *d, nf_error *err) {
  if (d->n_hw < 1 || d->n_hw > d->n_layers) return nf_fail(err, NF_EINPUT, "the design has no layers in hardware");
  nf_rtl_units us;
  int rc = nf_rtl_units_build(d, &us, err);
  if (rc) return rc;
  rc = check_units(d, &us, err);
  nf_rtl_units_free(&us);
  return rc;
}

static const char *unit_what(const nf_rtl_unit *u) {
  if (u->collect) return "Flatten (io_stream collector)";
  if (u->has_window && u->view.kind == NF_LAYER_DENSE) return "Conv (io_stream: the Dense over its window)";
  if (u->has_window && u->view.kind == NF_LAYER_POOL)
    return u->view.pool_op == NF_POOL_MAX ? "MaxPooling (io_stream: the maximum over its window)"
                                          : "AveragePooling (io_stream: the mean over its window)";
  if (u->has_window) return "ZeroPadding (io_stream: the window generator pads)";
  return nf_rtl_ops_of(&u->view)->what;
}

static void write_header(FILE *fp, const char *top, const nf_rtl_unit *u, int latency, int ii, long adders) {
  const nf_design_layer *L = &u->view;
  const nf_rtl_layer_ops *ops = u->collect ? NULL : nf_rtl_ops_of(L);
  char ti[96], tr[96];
  nf_fixed_type_format(&L->input_t, ti, sizeof ti);
  nf_fixed_type_format(&L->result_t, tr, sizeof tr);
  if (u->lut)
    fprintf(fp, "// %s_%s: Dense layer '%s' and the ReLU after it as truth tables (LUT neurons), %d -> %d, generated by "
                "nnfirm\n", top, u->inst, L->name, L->n_in, L->n_out);
  else if (u->relu)
    fprintf(fp, "// %s_%s: Dense layer '%s' and the %s after it (its rounding in the sums, its clip before the output "
                "register), %d -> %d, generated by nnfirm\n", top, u->inst, L->name,
            u->fused_quant ? "FixedPointQuantizer" : "ReLU", L->n_in, L->n_out);
  else
    fprintf(fp, "// %s_%s: %s layer '%s', %d -> %d, generated by nnfirm\n", top, u->inst, unit_what(u), L->name, L->n_in,
            L->n_out);
  fprintf(fp, "//   input_t  %s (in_data: value k at [k*%d +: %d])\n", ti, L->input_t.width, L->input_t.width);
  if (u->has_window)
    fprintf(fp, "//   in_data is the window of %s_%s_window: %d x %d pixels of %d values, one window per beat\n", top,
            u->inst, u->win.kh, u->win.kw, u->win.c);
  else if (u->collect)
    fprintf(fp, "//   in_data is one pixel of %d values; out_data a frame of %d pixels\n", L->n_in, u->beats);
  else if (u->stream)
    fprintf(fp, "//   io_stream: one pixel (%d values) per beat\n", L->n_in);
  if (ops && ops->describe) ops->describe(fp, L, adders);
  fprintf(fp, "//   result_t %s (out_data: value k at [k*%d +: %d])\n", tr, L->result_t.width, L->result_t.width);
  fprintf(fp, "//   latency %d cycles, initiation interval %d\n", latency, ii);
  if (u->stream) fprintf(fp, "//   en: clock enable (low while a window generator after this module pads)\n");
  fprintf(fp, "`timescale 1ns / 1ps\n");
  fprintf(fp, "module %s_%s(\n  input clk, input rst,%s input in_valid, input [%d:0] in_data,\n"
              "  output out_valid, output [%d:0] out_data\n);\n",
          top, u->inst, u->stream ? " input en," : "", L->n_in * L->input_t.width - 1, L->n_out * L->result_t.width - 1);
}

static int interval_of(const nf_design_layer *L) {
  const nf_rtl_layer_ops *ops = nf_rtl_ops_of(L);
  return ops->interval ? ops->interval(L) : 1;
}

static int unit_interval(const nf_rtl_unit *u) { return u->collect ? 1 : interval_of(&u->view); }

/* Generates one unit's body into memory (body NULL: the text is only
 * counted, not kept, which planning and estimates need fast); returns its
 * latency. */
/* ConstantMatrix as the generator's style bits: auto forces neither path. */
static unsigned cmm_style(int cmm) {
  return cmm == NF_CMM_AUTO ? 0u : cmm == NF_CMM_CSE ? NF_RTL_STYLE_CSE : NF_RTL_STYLE_CSD;
}

static int unit_body(const nf_design *d, const nf_rtl_unit *u, int k, nf_code *lo, nf_code *hi, char **body,
                     int *latency, long *adders, double *stage_ns, nf_rtl_cost *cost, nf_rtl_reads *reads,
                     nf_error *err) {
  const nf_design_layer *L = &u->view;
  double budget = nf_rtl_stage_budget_ns(d);
  bool reg_act = nf_rtl_registers_activations(budget);
  const nf_design_layer *prev = u->layer > 0 ? &d->layers[u->layer - 1] : NULL;
  bool in_quant = false; /* behind an unregistered quantizer with rounding or saturation logic */
  while (prev && prev->kind == NF_LAYER_QUANT) { /* wiring: look through */
    in_quant |= !reg_act && !nf_rtl_fpq_wiring(prev);
    prev = prev > d->layers ? prev - 1 : NULL;
  }
  if (u->has_window || u->collect || u->reads_reg) prev = NULL, in_quant = false; /* it reads registers */
  /* behind an activation that has no register of its own (ReLU unregistered, the sign activations,
   * a BatchNormalization's thresholds) */
  bool in_act = in_quant || (prev && ((prev->kind == NF_LAYER_ACTIVATION && prev->act != NF_ACT_SOFTMAX &&
                          (!reg_act || prev->act != NF_ACT_RELU)) ||
                         (prev->kind == NF_LAYER_BATCHNORM && prev->act != NF_ACT_LINEAR)));
  size_t len = 0;
  FILE *mem = body ? open_memstream(body, &len) : fopen("/dev/null", "w");
  if (!mem) return body ? nf_fail_oom(err, "Verilog text") : nf_fail(err, NF_EINTERNAL, "/dev/null: cannot open");
  if (!body) setvbuf(mem, NULL, _IOFBF, 1 << 16);
  /* binary_tanh and bipolar give each output one of two codes (minus or one), never between */
  bool in_binary = prev && (prev->act == NF_ACT_BINARY_TANH || prev->act == NF_ACT_BIPOLAR) &&
                   (prev->kind == NF_LAYER_ACTIVATION || prev->kind == NF_LAYER_BATCHNORM);
  rtl_gen g = {.fp = mem, .err = err, .range_lo = lo, .range_hi = hi, .style = d->rtl_style | cmm_style(d->cmm), .cost = cost, .reads = cost ? reads : NULL, .layer = L->name,
             .reg_act = reg_act, .in_act = in_act, .in_binary = in_binary, .budget_ns = budget, .en = u->stream};
  *latency = 0;
  nf_code *offset = NULL;
  if (u->relu) { /* the offsets for this unit's input ranges (narrower than the types it was chosen with) */
    const nf_design_layer *D = &d->layers[u->layer], *A = &d->layers[u->layer + 1];
    offset = nf_calloc((size_t)D->n_out, sizeof *offset, err);
    if (!offset || !nf_rtl_relu_fold(D, A, lo, hi, offset)) {
      free(offset);
      fclose(mem);
      if (body) free(*body), *body = NULL;
      return offset ? nf_fail(err, NF_EINTERNAL, "layer %s: the fused ReLU no longer fits its input ranges", L->name)
                    : NF_EINTERNAL;
    }
    g.fused_relu = A, g.relu_offset = offset, g.tail_ns = NF_RTL_CLIP_NS;
  }
  int rc = u->collect ? nf_rtl_emit_collector(&g, u, latency)
           : u->lut   ? nf_rtl_emit_lut(&g, d, &d->layers[u->layer], &d->layers[u->layer + 1], latency)
                      : nf_rtl_ops_of(L)->emit(&g, d->project, L, k, latency);
  if (g.oom && !rc) rc = NF_EINTERNAL;
  *adders = g.adders;
  *stage_ns = g.stage_ns;
  nf_rtl_free(&g);
  free(offset);
  if (fclose(mem) != 0 && !rc) rc = nf_fail_oom(err, "Verilog text");
  if (rc) {
    if (body) free(*body), *body = NULL;
    if (!err || !err->msg[0]) nf_fail(err, rc, "layer %s: out of memory generating Verilog", L->name);
  }
  return rc;
}

static int write_unit(const nf_design *d, const nf_rtl_unit *u, int k, nf_code *lo, nf_code *hi, const char *rtl_dir,
                      int *latency, long *adders, double *stage_ns, nf_rtl_cost *cost, nf_rtl_reads *reads,
                      nf_error *err) {
  if (u->has_window) {
    int rc = nf_rtl_write_window(rtl_dir, d->project, u, cost, err);
    if (rc) return rc;
    nf_rtl_window_ranges(u, lo, hi);
  }
  char *body = NULL;
  int rc = unit_body(d, u, k, lo, hi, rtl_dir ? &body : NULL, latency, adders, stage_ns, cost, reads, err);
  if (rc || !rtl_dir) return rc;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s_%s.v", rtl_dir, d->project, u->inst);
  nf_outfile f;
  rc = nf_outfile_open(&f, path, err);
  if (!rc) {
    write_header(f.fp, d->project, u, *latency, unit_interval(u), *adders);
    fputs(body, f.fp);
    fputs("endmodule\n", f.fp);
    rc = nf_outfile_commit(&f, err);
  }
  free(body);
  const nf_rtl_layer_ops *ops = u->collect ? NULL : nf_rtl_ops_of(&u->view);
  if (!rc && ops && ops->write_files) rc = ops->write_files(rtl_dir, d->project, &u->view, err);
  return rc;
}

static int write_top(const nf_design *d, const nf_rtl_units *us, const nf_rtl_info *info, const char *rtl_dir,
                     nf_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.v", rtl_dir, d->project);
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  FILE *fp = f.fp;
  bool stream = us->stream_end > 0;
  int P = stream ? us->pixel_ii : 1;
  int in_bits = info->n_in * info->wi / info->beats;
  fprintf(fp, "// %s: top level generated by nnfirm. %d inputs of %d bits, %d outputs of %d bits.\n", d->project,
          info->n_in, info->wi, info->n_out, info->wo);
  fprintf(fp, "// Latency %d cycles (in_valid to out_valid), initiation interval %d cycle%s.\n", info->latency,
          info->ii, info->ii > 1 ? "s" : "");
  if (stream) {
    fprintf(fp, "// io_stream: a row is %d pixels, one per beat in row-major order (a beat is taken when in_valid\n"
                "// and in_ready are high); pixel p's value ch is feature p*%d + ch, at in_data[ch*%d +: %d].\n",
            info->beats, info->n_in / info->beats, info->wi, info->wi);
    fprintf(fp, "// The latency counts from a row's first pixel taken.\n");
    if (P > 1) fprintf(fp, "// Pixel interval %d cycles: in_ready is high at most one cycle in %d.\n", P, P);
  }
  fprintf(fp, "// rst is synchronous and active high; feature k is in_data[k*%d +: %d] (two's complement code).\n",
          info->wi, info->wi);
  fprintf(fp, "`timescale 1ns / 1ps\n");
  fprintf(fp, "module %s(\n  input clk, input rst, input in_valid,%s input [%d:0] in_data,\n"
              "  output out_valid, output [%d:0] out_data\n);\n",
          d->project, stream ? " output in_ready," : "", in_bits - 1, info->n_out * info->wo - 1);
  fprintf(fp, "  wire v0 = in_valid;\n  wire [%d:0] d0 = in_data;\n", in_bits - 1);
  if (stream) {
    fprintf(fp, "  // clock enables: en_seg<s> freezes the modules before window generator s while one after pads\n");
    fprintf(fp, "  wire en_seg%d = 1'b1;\n", us->n_windows);
    for (int j = us->n_windows - 1; j >= 0; j--) fprintf(fp, "  wire pad%d;\n  wire en_seg%d = en_seg%d && !pad%d;\n", j, j, j + 1, j);
    if (P == 1) fprintf(fp, "  assign in_ready = en_seg0;\n");
  }
  if (stream && P > 1) {
    int pb = 1;
    while ((1 << pb) < P) pb++;
    fprintf(fp, "  // pixel interval %d cycles (the largest ReuseFactor of the stream's Convs): step is high one cycle\n"
                "  // in %d. st_seg<s> = en_seg<s> at a step enables the stream's modules, so a window generator pushes\n"
                "  // at most one pixel per step; a Conv's Dense of ReuseFactor > 1 runs on every cycle of en_seg<s>,\n"
                "  // takes its window at a step and holds its result (hold<k>) until the next step reads it\n",
            P, P);
    fprintf(fp, "  reg [%d:0] phase;\n  always @(posedge clk) phase <= rst ? %d'd0 : (phase == %d'd%d) ? %d'd0 : phase + %d'd1;\n"
                "  wire step = phase == %d'd0;\n",
            pb - 1, pb, pb, P - 1, pb, pb, pb);
    for (int j = 0; j <= us->n_windows; j++) fprintf(fp, "  wire st_seg%d = en_seg%d && step;\n", j, j);
    fprintf(fp, "  assign in_ready = st_seg0;\n");
  }
  char prev_v[32] = "v0";
  for (int k = 0, j = 0; k < us->n; k++) {
    const nf_rtl_unit *u = &us->u[k];
    const nf_design_layer *L = &u->view;
    bool fast = P > 1 && nf_rtl_unit_fast(u);
    char src_v[32], src_d[32], en[32] = "", wen[32] = "";
    snprintf(src_v, sizeof src_v, "%s", prev_v);
    snprintf(src_d, sizeof src_d, "d%d", k);
    if (u->stream) {
      snprintf(en, sizeof en, ".en(%s_seg%d), ", P > 1 && !fast ? "st" : "en", u->seg);
      snprintf(wen, sizeof wen, ".en(%s_seg%d), ", P > 1 ? "st" : "en", u->seg);
    }
    if (u->has_window) {
      fprintf(fp, "  wire w%d;\n  wire [%d:0] wd%d;\n", k, L->n_in * L->input_t.width - 1, k);
      fprintf(fp, "  %s_%s_window u_%s_window(.clk(clk), .rst(rst), %s.in_valid(%s), .in_data(d%d), .pad_beat(pad%d), "
                  ".out_valid(w%d), .out_data(wd%d));\n",
              d->project, u->inst, u->inst, wen, prev_v, k, j, k, k);
      snprintf(src_v, sizeof src_v, "w%d", k);
      snprintf(src_d, sizeof src_d, "wd%d", k);
      if (fast) { /* the window, held by its generator for a step, taken once: at the step */
        fprintf(fp, "  wire ws%d = w%d && step;\n", k, k);
        snprintf(src_v, sizeof src_v, "ws%d", k);
      }
      j++;
    }
    fprintf(fp, "  wire %s%d;\n  wire [%d:0] d%d;\n", fast ? "vf" : "v", k + 1, L->n_out * L->result_t.width - 1, k + 1);
    fprintf(fp, "  %s_%s u_%s(.clk(clk), .rst(rst), %s.in_valid(%s), .in_data(%s), .out_valid(%s%d), .out_data(d%d));\n",
            d->project, u->inst, u->inst, en, src_v, src_d, fast ? "vf" : "v", k + 1, k + 1);
    if (fast) /* its result until a step reads it (the modules after it are enabled at steps only) */
      fprintf(fp, "  reg hold%d;\n  always @(posedge clk) if (rst) hold%d <= 1'b0; else if (en_seg%d) hold%d <= (vf%d || hold%d) && !step;\n"
                  "  wire v%d = vf%d || hold%d;\n",
              k + 1, k + 1, u->seg, k + 1, k + 1, k + 1, k + 1, k + 1, k + 1);
    snprintf(prev_v, sizeof prev_v, "v%d", k + 1);
    if (stream && P > 1 && k + 1 == us->stream_end) { /* the stream's end: one cycle per frame (at the step that reads it) */
      fprintf(fp, "  wire v%d_step = v%d && step;\n", k + 1, k + 1);
      snprintf(prev_v, sizeof prev_v, "v%d_step", k + 1);
    }
  }
  fprintf(fp, "  assign out_valid = %s;\n  assign out_data = d%d;\nendmodule\n", prev_v, us->n);
  return nf_outfile_commit(&f, err);
}

static int max_width(const nf_design *d, const nf_rtl_units *us) {
  int width = 0;
  for (int l = 0; l < d->n_hw; l++) {
    if (d->layers[l].n_in > width) width = d->layers[l].n_in;
    if (d->layers[l].n_out > width) width = d->layers[l].n_out;
  }
  for (int k = 0; us && k < us->n; k++) {
    if (us->u[k].view.n_in > width) width = us->u[k].view.n_in;
    if (us->u[k].view.n_out > width) width = us->u[k].view.n_out;
  }
  return width;
}

static int run(const nf_design *d, const char *rtl_dir, nf_rtl_info *info, nf_rtl_cost *costs, nf_rtl_reads *reads,
               nf_error *err) {
  if (d->n_hw < 1 || d->n_hw > d->n_layers) return nf_fail(err, NF_EINPUT, "the design has no layers in hardware");
  nf_rtl_units us;
  int rc = nf_rtl_units_build(d, &us, err);
  if (rc) return rc;
  rc = check_units(d, &us, err);
  if (rc) {
    nf_rtl_units_free(&us);
    return rc;
  }
  memset(info, 0, sizeof *info);
  const nf_design_layer *first = &d->layers[0], *last = &d->layers[d->n_hw - 1];
  info->n_in = first->n_in;
  info->n_out = last->n_out;
  info->wi = first->input_t.width;
  info->wo = last->result_t.width;
  info->out_signed = last->result_t.is_signed;
  info->ii = 1;
  info->beats = us.in_beats;
  info->levels_per_stage = nf_rtl_levels_per_stage(nf_rtl_stage_budget_ns(d));
  int width = max_width(d, &us);
  nf_code *lo = nf_calloc((size_t)width, sizeof *lo, err), *hi = nf_calloc((size_t)width, sizeof *hi, err);
  int *lat = nf_calloc((size_t)us.n + 1, sizeof *lat, err);
  if (!lo || !hi || !lat) {
    free(lo), free(hi), free(lat);
    nf_rtl_units_free(&us);
    return NF_EINTERNAL;
  }
  if (costs) memset(costs, 0, (size_t)d->n_hw * sizeof *costs);
  if (reads) memset(reads, 0, (size_t)d->n_hw * sizeof *reads);
  for (int i = 0; i < first->n_in; i++) lo[i] = nf_fixed_min_code(&first->input_t), hi[i] = nf_fixed_max_code(&first->input_t);
  int par_latency = 0, par_ii = 1;
  for (int k = 0; k < us.n && !rc; k++) {
    const nf_rtl_unit *u = &us.u[k];
    long adders = 0;
    double stage = 0;
    rc = write_unit(d, u, info->levels_per_stage, lo, hi, rtl_dir, &lat[k], &adders, &stage,
                    costs ? &costs[u->layer] : NULL, reads ? &reads[u->layer] : NULL, err);
    if (rc) break;
    if (stage < 0) info->path_partial = true;
    else if (stage > info->predicted_path_ns) info->predicted_path_ns = stage;
    info->adders += adders;
    if (k >= us.stream_end) {
      par_latency += lat[k];
      int ii = unit_interval(u);
      if (ii > par_ii) par_ii = ii;
    }
  }
  if (!rc && us.stream_end > 0) {
    info->stream = true;
    info->row_gap = par_ii;
    /* the stream steps once per pixel interval P: its schedule in steps (a Conv of ReuseFactor > 1, which
     * runs on every cycle, is read at the first step after its result), the parallel layers in cycles */
    int P = us.pixel_ii, lat_steps = 0, ii_steps = 0;
    info->pixel_ii = P;
    for (int k = 0; k < us.stream_end; k++)
      if (nf_rtl_unit_fast(&us.u[k])) lat[k] = (lat[k] + P - 1) / P;
    rc = nf_rtl_stream_schedule(&us, lat, 0, (par_ii + P - 1) / P, &lat_steps, &ii_steps, err);
    info->latency = lat_steps * P + par_latency, info->ii = ii_steps * P;
  } else if (!rc) {
    info->latency = par_latency, info->ii = par_ii;
  }
  free(lo), free(hi), free(lat);
  if (!rc && rtl_dir) rc = write_top(d, &us, info, rtl_dir, err);
  nf_rtl_units_free(&us);
  return rc;
}

int nf_rtl_plan(const nf_design *d, nf_rtl_info *info, nf_error *err) { return run(d, NULL, info, NULL, NULL, err); }

int nf_rtl_generate(const nf_design *d, const char *rtl_dir, nf_rtl_info *info, nf_error *err) {
  return run(d, rtl_dir, info, NULL, NULL, err);
}

int nf_rtl_costs(const nf_design *d, nf_rtl_cost *costs, nf_error *err) {
  nf_rtl_info info;
  return run(d, NULL, &info, costs, NULL, err);
}

int nf_rtl_costs_plan(const nf_design *d, nf_rtl_cost *costs, nf_rtl_info *info, nf_error *err) {
  return run(d, NULL, info, costs, NULL, err);
}

int nf_rtl_costs_reads(const nf_design *d, nf_rtl_cost *costs, nf_rtl_info *info, nf_rtl_reads *reads, nf_error *err) {
  memset(reads, 0, (size_t)(d->n_hw > 0 ? d->n_hw : 0) * sizeof *reads);
  int rc = run(d, NULL, info, costs, reads, err);
  if (rc) nf_rtl_reads_free(reads, d->n_hw);
  return rc;
}

void nf_rtl_reads_free(nf_rtl_reads *reads, int n) {
  if (!reads) return;
  for (int l = 0; l < n; l++) free(reads[l].bit), reads[l].bit = NULL, reads[l].width = 0;
}

int nf_rtl_reference(const nf_design *d, const int64_t *in, int64_t *out, nf_error *err) {
  for (int l = 0; l < d->n_hw; l++)
    if (!nf_rtl_ops_of(&d->layers[l])->reference)
      return nf_fail(err, NF_EINPUT, "layer '%s': no RTL reference for it", d->layers[l].name);
  int width = max_width(d, NULL);
  nf_code *a = nf_calloc((size_t)width, sizeof *a, err), *b = nf_calloc((size_t)width, sizeof *b, err);
  if (!a || !b) {
    free(a), free(b);
    return NF_EINTERNAL;
  }
  for (int i = 0; i < d->layers[0].n_in; i++) a[i] = in[i];
  for (int l = 0; l < d->n_hw; l++) {
    const nf_design_layer *L = &d->layers[l];
    nf_rtl_ops_of(L)->reference(L, a, b);
    nf_code *t = a;
    a = b;
    b = t;
  }
  const nf_design_layer *last = &d->layers[d->n_hw - 1];
  for (int j = 0; j < last->n_out; j++) out[j] = (int64_t)a[j];
  free(a), free(b);
  return NF_OK;
}
