/* The convolutional nodes in the generator, io_parallel (hls4ml's
 * io_parallel for CNNs: every output pixel at once, II = 1; io_stream builds
 * them from src/rtl/stream.c's units instead):
 *  - Conv: the convolution is the Dense y = b + W x over the whole input
 *    with W[i][j] = kernel[r][q][ch][f] where input i = (iy, ix, ch) lies in
 *    output j = (oy, ox, f)'s window, else 0 (padding contributes nothing).
 *    Along a window (kernel rows, columns, channels) the input index grows,
 *    so the Dense's sum order is the convolution's: its emitter (dense.c:
 *    CSD shift-add products shared between outputs, balanced trees, placed
 *    registers) builds it, and its reference is the convolution's.
 *  - Max pooling: a balanced tree of signed comparisons per output, then the
 *    casts to accum_t and result_t, pipelined by the delay model below (a
 *    comparison costs an adder level); combinational when it fits one stage.
 *  - Average pooling: the window's sum in accum_t (an adder tree when no
 *    partial sum can round or overflow, else hls4ml's chain of casts), the
 *    division by the cell count as a constant divider (nf_rtl_div_plan), the
 *    cast to result_t. In io_stream a padded window's count depends on its
 *    position: a counter of the windows in the frame selects the divider.
 *  - ZeroPadding and Flatten/Reshape: wires (zero codes where padded).
 * A design too large for one parallel Dense view (4 M weight slots) is
 * refused by name (io_stream takes it). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

enum { VIEW_MAX = 1 << 22 };

static void hwc(nf_shape s, int *h, int *w, int *c) { nf_shape_hwc(s, h, w, c); }

/* v: a Dense of n_in x n_out in place of convolution L, reuse factor R, its
 * weights and bias allocated zero (free with view_free); what: the values'
 * name in the size message, hint: what builds a layer too large. */
static int view_alloc(const nf_design_layer *L, nf_design_layer *v, int n_in, int n_out, int R, const char *what,
                      const char *hint, nf_error *err) {
  *v = *L;
  v->kind = NF_LAYER_DENSE;
  v->n_in = n_in, v->n_out = n_out;
  v->in_shape = nf_shape_1d(n_in), v->out_shape = nf_shape_1d(n_out);
  v->reuse_factor = R, v->parallelization_factor = 0;
  v->weights = v->bias = NULL;
  if ((long)n_in * n_out > VIEW_MAX)
    return nf_fail(err, NF_EINPUT, "layer '%s': %d x %d %s too many for io_parallel RTL (at most %d weight slots; %s)",
                   L->name, n_in, n_out, what, VIEW_MAX, hint);
  v->weights = nf_calloc((size_t)n_in * n_out, sizeof *v->weights, err);
  v->bias = nf_calloc((size_t)n_out, sizeof *v->bias, err);
  return !v->weights || !v->bias ? NF_EINTERNAL : NF_OK;
}

/* The Dense that computes convolution L; free its weights and bias with
 * view_free. */
static int dense_view(const nf_design_layer *L, nf_design_layer *v, nf_error *err) {
  int rc = view_alloc(L, v, L->n_in, L->n_out, 1, "values are", "IOType io_stream streams it", err);
  if (rc) return rc;
  int h, w, c, ho, wo, nf;
  hwc(L->in_shape, &h, &w, &c);
  hwc(L->out_shape, &ho, &wo, &nf);
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++)
      for (int f = 0; f < nf; f++) {
        size_t j = ((size_t)oy * wo + ox) * nf + f;
        v->bias[j] = L->bias ? L->bias[f] : 0;
        for (int r = 0; r < L->ksize[0]; r++) {
          int iy = oy * L->stride[0] + r - L->pad[0];
          for (int q = 0; q < L->ksize[1]; q++) {
            int ix = ox * L->stride[1] + q - L->pad[2];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            for (int ch = 0; ch < c; ch++) {
              size_t i = ((size_t)iy * w + ix) * c + ch;
              v->weights[i * L->n_out + j] = L->weights[(((size_t)r * L->ksize[1] + q) * c + ch) * nf + f];
            }
          }
        }
      }
  return NF_OK;
}

static void view_free(nf_design_layer *v) {
  free(v->weights);
  free(v->bias);
}

/* ---- ParallelizationFactor P and ReuseFactor R: NP = pixels / P partitions ----
 * hls4ml's io_parallel Conv (nnet_conv1d/2d_latency.h, nnet_conv1d/2d_resource.h)
 * runs a loop over the partitions; each iteration gathers the windows of its P
 * pixels (the generated fill_buffer) and computes them with the layer's kernel,
 * its multiplications shared over R cycles (Latency: the loop pipelined at
 * II = R; Resource: a loop of R cycles per partition), so a partition takes R
 * cycles. Here: the input is latched, a counter steps the partitions (one
 * every R cycles), a selection holds the P windows of the current one (zeros
 * where padded), one Dense over the P windows (the kernel P times,
 * block-diagonal) computes them: with R = 1 dense.c's pipelined emitter (II 1,
 * the selection registered), with R > 1 reuse.c's shared-multiplier Dense (II
 * R; it latches the selection itself). An output register per partition keeps
 * its P pixels until the last one. With R > 1 and no ParallelizationFactor,
 * the whole image is one partition: the windows are wires into the reuse Dense.
 *
 * The Dense's inputs, R > 1: Ck = ceil(kh*kw*c / R) per pixel and cycle, input
 * t*(P*Ck) + q*Ck + u holding pixel q's window slot t*Ck + u (zero past the
 * window), so reuse.c's chunk q*Ck + u (the inputs it feeds one a cycle)
 * stays inside pixel q's window: P x filters x Ck multipliers, as hls4ml's
 * ceil(kh*kw*c*filters / R) per pixel. With R = 1 it is pixel q's slot u. */
static int pf_reuse(const nf_design_layer *L) { return L->reuse_factor > 1 ? L->reuse_factor : 1; }

/* Output pixels per partition: the ParallelizationFactor, or every pixel. */
static int pf_pixels(const nf_design_layer *L) {
  int ho, wo, nf;
  hwc(L->out_shape, &ho, &wo, &nf);
  return L->parallelization_factor ? L->parallelization_factor : ho * wo;
}

static int pf_parts(const nf_design_layer *L) {
  int ho, wo, nf;
  hwc(L->out_shape, &ho, &wo, &nf);
  return ho * wo / pf_pixels(L);
}

static int pf_kk(const nf_design_layer *L) {
  int h, w, c;
  hwc(L->in_shape, &h, &w, &c);
  return L->ksize[0] * L->ksize[1] * c;
}

/* A partition's window slots per pixel and cycle. */
static int pf_chunk(const nf_design_layer *L) { return (pf_kk(L) + pf_reuse(L) - 1) / pf_reuse(L); }

/* The input value at window slot t of output pixel pix, or -1 where padded. */
static int pf_source(const nf_design_layer *L, int pix, int t) {
  int h, w, c, ho, wo, nf;
  hwc(L->in_shape, &h, &w, &c);
  hwc(L->out_shape, &ho, &wo, &nf);
  int ch = t % c, q = (t / c) % L->ksize[1], r = t / c / L->ksize[1];
  int iy = pix / wo * L->stride[0] + r - L->pad[0], ix = pix % wo * L->stride[1] + q - L->pad[2];
  return iy < 0 || iy >= h || ix < 0 || ix >= w ? -1 : (iy * w + ix) * c + ch;
}

/* The partition Dense's input i: its pixel (0..P-1) in *q and window slot, or -1 past the window. */
static int pf_slot(const nf_design_layer *L, int i, int *q) {
  const int P = pf_pixels(L), ck = pf_chunk(L), t = i / (P * ck), s = t * ck + i % ck;
  *q = i % (P * ck) / ck;
  return s < pf_kk(L) ? s : -1;
}

/* Input i of partition p's Dense: an input value, or -1 for a zero. */
static int pf_input(const nf_design_layer *L, int p, int i) {
  int q, s = pf_slot(L, i, &q);
  return s < 0 ? -1 : pf_source(L, p * pf_pixels(L) + q, s);
}

/* The Dense over one partition's P windows; free with view_free. */
static int pf_view(const nf_design_layer *L, nf_design_layer *v, nf_error *err) {
  const int P = pf_pixels(L), R = pf_reuse(L), nf = L->filters;
  int rc = view_alloc(L, v, R * P * pf_chunk(L), P * nf, R, "values a partition are",
                      "a smaller ParallelizationFactor or IOType io_stream builds it", err);
  if (rc) return rc;
  for (int q = 0; q < P; q++)
    for (int f = 0; f < nf; f++) v->bias[q * nf + f] = L->bias ? L->bias[f] : 0;
  for (int i = 0; i < v->n_in; i++) {
    int q, s = pf_slot(L, i, &q);
    for (int f = 0; s >= 0 && f < nf; f++) v->weights[(size_t)i * v->n_out + q * nf + f] = L->weights[(size_t)s * nf + f];
  }
  return NF_OK;
}

/* Whole-word renaming of the partition Dense's ports in its text. */
static void pf_rename(FILE *fp, const char *s) {
  static const char *const from[] = {"in_data", "in_valid", "out_data", "out_valid", "unused_bits"};
  static const char *const to[] = {"pf_x", "pf_xv", "pf_y", "pf_yv", "pf_unused_bits"};
  for (const char *p = s; *p;) {
    bool word = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '$');
    int m = -1;
    for (int i = 0; word && m < 0 && i < 5; i++) {
      size_t n = strlen(from[i]);
      if (!strncmp(p, from[i], n) && !(isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '$')) m = i;
    }
    if (m >= 0) fputs(to[m], fp), p += strlen(from[m]);
    else fputc(*p++, fp);
  }
}

static int bits_for(int n) {
  int b = 1;
  while ((1 << b) < n) b++;
  return b;
}

/* The latch, the partition and phase counters, and the selection of the current partition's windows into
 * pf_x / pf_xv: registered (R = 1), or combinational into the reuse Dense's own latch (R > 1); one partition
 * (R > 1 only): in_data's windows are wires. */
static void pf_select(rtl_gen *g, const nf_design_layer *L, const bool *used, int ns) {
  FILE *fp = g->fp;
  const int R = pf_reuse(L), NP = pf_parts(L), cb = bits_for(NP), rb = bits_for(R), W = L->input_t.width;
  fprintf(fp, "  wire [%d:0] pf_x; wire pf_xv;\n", ns * W - 1);
  if (NP == 1) {
    for (int i = 0; i < ns; i++) {
      int x = pf_input(L, 0, i);
      if (x < 0) fprintf(fp, "  assign pf_x[%d +: %d] = %d'd0;\n", i * W, W, W);
      else fprintf(fp, "  assign pf_x[%d +: %d] = in_data[%d +: %d];\n", i * W, W, x * W, W);
    }
    fprintf(fp, "  assign pf_xv = in_valid;\n");
    return;
  }
  fprintf(fp, "  reg [%d:0] pf_xr; reg pf_busy; reg [%d:0] pf_cnt;\n", L->n_in * W - 1, cb - 1);
  if (R > 1) fprintf(fp, "  reg [%d:0] pf_ph;\n", rb - 1);
  fprintf(fp, "  always @(posedge clk) begin\n"
              "    if (in_valid) pf_xr <= in_data;\n"
              "    if (rst) begin pf_busy <= 1'b0; pf_cnt <= %d'd0; end\n"
              "    else if (in_valid) begin pf_busy <= 1'b1; pf_cnt <= %d'd0; end\n", cb, cb);
  if (R == 1)
    fprintf(fp, "    else if (pf_busy) begin if (pf_cnt == %d'd%d) pf_busy <= 1'b0; else pf_cnt <= pf_cnt + %d'd1; end\n"
                "  end\n", cb, NP - 1, cb);
  else
    fprintf(fp, "    else if (pf_busy && pf_ph == %d'd%d) begin\n"
                "      if (pf_cnt == %d'd%d) pf_busy <= 1'b0; else pf_cnt <= pf_cnt + %d'd1;\n    end\n"
                "    if (rst || in_valid || pf_ph == %d'd%d) pf_ph <= %d'd0; else if (pf_busy) pf_ph <= pf_ph + %d'd1;\n"
                "  end\n", rb, R - 1, cb, NP - 1, cb, rb, R - 1, rb, rb);
  if (R == 1) {
    fprintf(fp, "  reg [%d:0] pf_xs; reg pf_xsv;\n  assign pf_x = pf_xs; assign pf_xv = pf_xsv;\n", ns * W - 1);
    fprintf(fp, "  always @(posedge clk) pf_xsv <= rst ? 1'b0 : pf_busy;\n");
    fprintf(fp, "  always @(posedge clk) if (pf_busy) case (pf_cnt)\n");
  } else { /* a partition's first cycle; the reuse Dense latches pf_x then */
    fprintf(fp, "  reg [%d:0] pf_xs;\n  assign pf_x = pf_xs; assign pf_xv = pf_busy && pf_ph == %d'd0;\n", ns * W - 1, rb);
    fprintf(fp, "  always @(*) begin\n    pf_xs = %d'd0;\n    case (pf_cnt)\n", ns * W);
  }
  const char *as = R == 1 ? "<=" : "=";
  for (int p = 0; p < NP; p++) {
    fprintf(fp, "    %d'd%d: begin\n", cb, p);
    for (int i = 0; i < ns; i++) {
      int x = pf_input(L, p, i);
      if (x >= 0) fprintf(fp, "      pf_xs[%d +: %d] %s pf_xr[%d +: %d];\n", i * W, W, as, x * W, W);
      else if (R == 1) fprintf(fp, "      pf_xs[%d +: %d] <= %d'd0;\n", i * W, W, W);
    }
    fprintf(fp, "    end\n");
  }
  fprintf(fp, R == 1 ? "    default: ;\n  endcase\n" : "    default: ;\n    endcase\n  end\n");
  bool any = false;
  for (int i = 0; i < L->n_in; i++)
    if (!used[i]) {
      fprintf(fp, any ? ", pf_xr[%d +: %d]" : "  wire pf_unused_xr = &{1'b0, pf_xr[%d +: %d]", i * W, W);
      any = true;
    }
  if (any) fprintf(fp, "};\n");
  if (g->cost) {
    g->cost->reg_bits += (long)L->n_in * W + (R == 1 ? (long)ns * W : 0);
    g->cost->mux_bits += (long)ns * W * (NP <= 4 ? 1 : (NP + 2) / 3);
    g->cost->ctrl_bits += 2 * cb + 4 + (R > 1 ? rb : 0);
  }
}

static int pf_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  const int P = pf_pixels(L), NP = pf_parts(L), R = pf_reuse(L), cb = bits_for(NP), nf = L->filters;
  const int W = L->input_t.width, Wr = L->result_t.width, no = P * nf;
  nf_design_layer v;
  nf_code *lo = NULL, *hi = NULL;
  bool *used = nf_calloc((size_t)L->n_in + 1, sizeof *used, g->err);
  char *body = NULL;
  size_t len = 0;
  FILE *mem = NULL;
  if (!used) return NF_EINTERNAL;
  int rc = pf_view(L, &v, g->err);
  if (rc) {
    view_free(&v), free(used);
    return rc;
  }
  const int ns = v.n_in;
  size_t nr = (size_t)(ns > no ? ns : no);
  lo = nf_calloc(nr, sizeof *lo, g->err), hi = nf_calloc(nr, sizeof *hi, g->err);
  if (!lo || !hi) rc = NF_EINTERNAL;
  else if (!(mem = open_memstream(&body, &len))) rc = nf_fail_oom(g->err, "Verilog text");
  if (rc) {
    free(lo), free(hi), free(used);
    view_free(&v);
    return rc;
  }
  /* each input's codes: the union over the partitions of its values' ranges (0 where padded) */
  for (int s = 0; s < ns; s++)
    for (int p = 0; p < NP; p++) {
      int i = pf_input(L, p, s);
      nf_code a = i < 0 ? 0 : rtl_in_lo(g, i, &L->input_t), b = i < 0 ? 0 : rtl_in_hi(g, i, &L->input_t);
      if (i >= 0) used[i] = true;
      lo[s] = p == 0 || a < lo[s] ? a : lo[s], hi[s] = p == 0 || b > hi[s] ? b : hi[s];
    }
  rtl_gen g2 = {.fp = mem, .err = g->err, .range_lo = lo, .range_hi = hi, .style = g->style, .cost = g->cost,
                .layer = g->layer, .reg_act = g->reg_act, .budget_ns = g->budget_ns};
  int lsub = 0;
  rc = nf_rtl_dense_ops.emit(&g2, top, &v, k, &lsub);
  g->adders += g2.adders, g->regs += g2.regs, g->levels = g2.levels;
  double sub_ns = g2.stage_ns;
  nf_rtl_free(&g2);
  if (fclose(mem) != 0 && !rc) rc = nf_fail_oom(g->err, "Verilog text");
  if (!rc) {
    FILE *fp = g->fp;
    if (R == 1)
      fprintf(fp, "  // ParallelizationFactor %d: %d partitions of %d output pixels, one a cycle: pf_xr latches the\n"
                  "  // input, pf_cnt counts the partitions, pf_xs holds the current one's windows, the Dense\n"
                  "  // below (the kernel %d times) computes them, pf_o<p> keeps partition p's pixels\n",
              P, NP, P, P);
    else
      fprintf(fp, "  // ReuseFactor %d, %d partition%s of %d output pixels, one every %d cycles%s: pf_x holds the\n"
                  "  // current one's windows (%d slots a pixel and cycle), the resource-sharing Dense below (the kernel\n"
                  "  // %d times) latches them and computes them in %d cycles%s\n",
              R, NP, NP > 1 ? "s" : "", P, R, NP > 1 ? " (pf_xr latches the input, pf_cnt counts the partitions, pf_ph the cycles)" : "",
              pf_chunk(L), P, R, NP > 1 ? ", pf_o<p> keeps partition p's pixels" : "");
    pf_select(g, L, used, ns);
    fprintf(fp, "  wire [%d:0] pf_y; wire pf_yv;\n", no * Wr - 1);
    fprintf(fp, "  // the partition's Dense (ports pf_x, pf_xv -> pf_y, pf_yv; latency %d, II %d)\n", lsub, R);
    pf_rename(fp, body);
    if (NP == 1) {
      fprintf(fp, "  assign out_data = pf_y;\n  assign out_valid = pf_yv;\n");
    } else {
      fprintf(fp, "  reg [%d:0] pf_oc; reg pf_ov;\n"
                  "  always @(posedge clk) begin\n"
                  "    if (rst) pf_oc <= %d'd0; else if (pf_yv) pf_oc <= pf_oc == %d'd%d ? %d'd0 : pf_oc + %d'd1;\n"
                  "    pf_ov <= rst ? 1'b0 : pf_yv && pf_oc == %d'd%d;\n"
                  "  end\n  assign out_valid = pf_ov;\n", cb - 1, cb, cb, NP - 1, cb, cb, cb, NP - 1);
      for (int p = 0; p < NP; p++) {
        fprintf(fp, "  reg [%d:0] pf_o%d; always @(posedge clk) if (pf_yv && pf_oc == %d'd%d) pf_o%d <= pf_y;\n",
                no * Wr - 1, p, cb, p, p);
        fprintf(fp, "  assign out_data[%d +: %d] = pf_o%d;\n", p * no * Wr, no * Wr, p);
      }
      g->regs += (long)NP * no * Wr;
      if (g->cost) g->cost->reg_bits += (long)NP * no * Wr;
    }
    if (g->range_lo)
      for (int j = 0; j < L->n_out; j++) g->range_lo[j] = lo[j % no], g->range_hi[j] = hi[j % no];
    rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * W);
    for (int i = 0; in && i < L->n_in; i++)
      if (used[i]) nf_rtl_bus_use(in, i * W, W);
    nf_rtl_sink(g, NULL);
    double sel_ns = NF_RTL_REG_NS + NF_RTL_ADDER_NS;
    g->stage_ns = sub_ns > sel_ns ? sub_ns : sel_ns;
    if (R == 1) /* latch (1), selection (1), NP partitions into the Dense's pipeline, output register (1) */
      *latency = 1 + 1 + (NP - 1) + lsub + 1;
    else if (NP > 1) /* latch (1), NP partitions R cycles apart into the reuse Dense, output register (1) */
      *latency = 1 + (NP - 1) * R + lsub + 1;
    else
      *latency = lsub;
    rc = g->oom ? NF_EINTERNAL : NF_OK;
  }
  free(body), free(lo), free(hi), free(used);
  view_free(&v);
  return rc;
}

static bool pf_built(const nf_design_layer *L) { return L->parallelization_factor || L->reuse_factor > 1; }

static int view_interval(const nf_design_layer *L) { return pf_built(L) ? pf_parts(L) * pf_reuse(L) : 1; }

static int view_check(const nf_design_layer *L, nf_error *err) {
  /* hls4ml's rule for a Dense, here the window's kh*kw*c x filters (nnfirm's for the io_stream Conv too);
   * Strategy Resource's stricter one is checked by the design build */
  long mults = (long)pf_kk(L) * L->filters;
  if (L->reuse_factor > 1 && mults % L->reuse_factor)
    return nf_fail(err, NF_EINPUT, "layer '%s': ReuseFactor %d must divide the window's %d x %d = %ld multiplications",
                   L->name, L->reuse_factor, pf_kk(L), L->filters, mults);
  nf_design_layer v;
  int rc = pf_built(L) ? pf_view(L, &v, err) : dense_view(L, &v, err);
  if (!rc) rc = nf_rtl_dense_ops.check(&v, err);
  view_free(&v);
  return rc;
}

static int view_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  if (pf_built(L)) return pf_emit(g, top, L, k, latency);
  nf_design_layer v;
  int rc = dense_view(L, &v, g->err);
  if (!rc) rc = nf_rtl_dense_ops.emit(g, top, &v, k, latency);
  view_free(&v);
  return rc;
}

/* The reference: per output pixel, the window's values in kernel order
 * (zeros where padded) through the Dense reference over the window, whose
 * weights are the kernel [kh][kw][c][f] as [kh*kw*c][f]. */
static void view_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int h, w, c, ho, wo, nf;
  hwc(L->in_shape, &h, &w, &c);
  hwc(L->out_shape, &ho, &wo, &nf);
  int kk = L->ksize[0] * L->ksize[1] * c;
  nf_code *win = malloc((size_t)kk * sizeof *win);
  int64_t *zero = calloc((size_t)nf, sizeof *zero);
  if (!win || !zero) {
    free(win), free(zero);
    return;
  }
  nf_design_layer v = *L;
  v.kind = NF_LAYER_DENSE;
  v.n_in = kk, v.n_out = nf;
  v.in_shape = nf_shape_1d(kk), v.out_shape = nf_shape_1d(nf);
  v.reuse_factor = 1;
  if (!v.bias) v.bias = zero;
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++) {
      for (int r = 0; r < L->ksize[0]; r++)
        for (int q = 0; q < L->ksize[1]; q++) {
          int iy = oy * L->stride[0] + r - L->pad[0], ix = ox * L->stride[1] + q - L->pad[2];
          bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;
          for (int ch = 0; ch < c; ch++)
            win[(r * L->ksize[1] + q) * c + ch] = in ? x[((size_t)iy * w + ix) * c + ch] : 0;
        }
      nf_rtl_dense_ops.reference(&v, win, y + ((size_t)oy * wo + ox) * nf);
    }
  free(win), free(zero);
}

static void conv_describe(FILE *fp, const nf_design_layer *L, long adders) {
  char tw[96], tb[96], ta[96];
  nf_fixed_type_format(&L->weight_t, tw, sizeof tw);
  nf_fixed_type_format(&L->bias_t, tb, sizeof tb);
  nf_fixed_type_format(&L->accum_t, ta, sizeof ta);
  fprintf(fp, "//   kernel %dx%d, stride %dx%d, padding %d/%d/%d/%d (top/bottom/left/right), %d filters\n",
          L->ksize[0], L->ksize[1], L->stride[0], L->stride[1], L->pad[0], L->pad[1], L->pad[2], L->pad[3], L->filters);
  fprintf(fp, "//   weight_t %s, bias_t %s, accum_t %s\n", tw, tb, ta);
  if (L->reuse_factor > 1)
    fprintf(fp, "//   io_parallel, ReuseFactor %d, %d output pixels every %d cycles over %d partition%s (%d shared "
                "multipliers a pixel and filter); %ld adders\n", L->reuse_factor, pf_pixels(L), L->reuse_factor,
            pf_parts(L), pf_parts(L) > 1 ? "s" : "", pf_chunk(L), adders);
  else if (L->parallelization_factor)
    fprintf(fp, "//   io_parallel, ParallelizationFactor %d: %d output pixels a cycle over %d partitions; %ld adders\n",
            L->parallelization_factor, L->parallelization_factor, pf_parts(L), adders);
  else fprintf(fp, "//   io_parallel: every output pixel's window sum at once; %ld adders\n", adders);
}

const nf_rtl_layer_ops nf_rtl_conv_ops = {
    .what = "Conv",
    .check = view_check,
    .emit = view_emit,
    .describe = conv_describe,
    .reference = view_reference,
    .interval = view_interval,
};

/* ---- Wires: ZeroPadding and Reshape ----------------------------------------- */
/* The input feeding output k, or -1 for a padded zero. */
static int wire_source(const nf_design_layer *L, int k) {
  if (L->kind == NF_LAYER_RESHAPE) return k;
  int h, w, c, ho, wo, co;
  hwc(L->in_shape, &h, &w, &c);
  hwc(L->out_shape, &ho, &wo, &co);
  int ch = k % c, ox = (k / c) % wo, oy = k / c / wo, iy = oy - L->pad[0], ix = ox - L->pad[2];
  return iy < 0 || iy >= h || ix < 0 || ix >= w ? -1 : (iy * w + ix) * c + ch;
}

static int wire_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  *latency = 0;
  const nf_fixed_type *t = &L->input_t;
  int W = t->width;
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * W);
  fprintf(g->fp, "  // %s: value k of out_data is %s\n", L->kind == NF_LAYER_RESHAPE ? "the same values in a new shape"
                                                                                     : "zeros around the input",
          L->kind == NF_LAYER_RESHAPE ? "value k of in_data" : "an input value or the zero code");
  /* downwards: output j's source i <= j, so ranges move in place without clobbering */
  for (int j = L->n_out - 1; j >= 0; j--) {
    int i = wire_source(L, j);
    if (i < 0) {
      fprintf(g->fp, "  assign out_data[%d +: %d] = %d'd0;\n", j * W, W, W);
      if (g->range_lo) g->range_lo[j] = g->range_hi[j] = 0;
    } else {
      fprintf(g->fp, "  assign out_data[%d +: %d] = in_data[%d +: %d];\n", j * W, W, i * W, W);
      nf_rtl_bus_use(in, i * W, W);
      if (g->range_lo && L->kind == NF_LAYER_ZEROPAD) { /* ranges move with their values */
        g->range_lo[j] = g->range_lo[i];
        g->range_hi[j] = g->range_hi[i];
      }
    }
  }
  fprintf(g->fp, "  assign out_valid = in_valid;\n");
  nf_rtl_sink(g, "clk, rst");
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void wire_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  for (int j = 0; j < L->n_out; j++) {
    int i = wire_source(L, j);
    y[j] = i < 0 ? 0 : x[i];
  }
}

const nf_rtl_layer_ops nf_rtl_zeropad_ops = {.what = "ZeroPadding", .emit = wire_emit, .reference = wire_reference};
const nf_rtl_layer_ops nf_rtl_reshape_ops = {.what = "Reshape", .emit = wire_emit, .reference = wire_reference};

/* ---- Max pooling ----------------------------------------------------------- */
/* The inputs of output j's window (those inside the input), into idx; their count. */
static int pool_cells(const nf_design_layer *L, int j, int *idx) {
  int h, w, c, ho, wo, co;
  hwc(L->in_shape, &h, &w, &c);
  int kh = L->pool_global ? h : L->ksize[0], kw = L->pool_global ? w : L->ksize[1];
  int sh = L->pool_global ? 1 : L->stride[0], sw = L->pool_global ? 1 : L->stride[1];
  int pt = L->pool_global ? 0 : L->pad[0], pl = L->pool_global ? 0 : L->pad[2];
  if (L->pool_global) ho = wo = 1, co = c;
  else hwc(L->out_shape, &ho, &wo, &co);
  int ch = j % c, ox = (j / c) % wo, oy = j / c / wo, n = 0;
  for (int r = 0; r < kh; r++)
    for (int q = 0; q < kw; q++) {
      int iy = oy * sh + r - pt, ix = ox * sw + q - pl;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) idx[n++] = (iy * w + ix) * c + ch;
    }
  return n;
}

static int window_max(const nf_design_layer *L) {
  int h, w, c;
  hwc(L->in_shape, &h, &w, &c);
  return L->pool_global ? h * w : L->ksize[0] * L->ksize[1];
}

static int pool_check(const nf_design_layer *L, nf_error *err) {
  (void)L, (void)err;
  return NF_OK;
}

/* ---- Average pooling's division -----------------------------------------------
 * hls4ml divides the window's sum, an accum_t code a, by the cell count d as
 * ap_fixed divides by an integer: the code's quotient, truncated toward zero.
 * The RTL computes |a| / d as (|a| * m) >> s with m = ceil(2^s / d) and the
 * smallest s for which e * M < 2^s, where e = m*d - 2^s (0 <= e < d) and M
 * is the largest |a| the sum can take. This is exact for every 0 <= a <= M:
 * write a = q*d + r with 0 <= r <= d-1; then
 *   a*m / 2^s = a/d + a*e / (d * 2^s) = q + (r + a*e / 2^s) / d,
 * and 0 <= a*e / 2^s <= M*e / 2^s < 1, so 0 <= r + a*e/2^s < d and the floor
 * is q. Such an s exists (s = bits(M) + ceil(log2 d) gives e*M < d * 2^bits(M)
 * <= 2^s), so the search ends; a power of two d gives m = 1, a plain shift.
 * m is built from CSD shift-and-add terms; the sign comes back after:
 * trunc(a / d) = -(|a| / d) for a < 0. tests/unit/test_cnn.c checks the plan
 * exhaustively for every d <= 64 and M < 2^16 and on random wide values. */
int nf_rtl_div_plan(nf_code M, nf_code d, nf_code *m, int *s) {
  if (d < 1 || M < 0) return NF_EINTERNAL;
  for (int k = 0; k < 120; k++) {
    nf_code p = (nf_code)1 << k, mk = (p + d - 1) / d, e = mk * d - p;
    if (e == 0 || M < p / e + (p % e != 0)) { /* e*M < 2^k, without overflow */
      *m = mk, *s = k;
      return NF_OK;
    }
  }
  return NF_EINTERNAL;
}

static nf_code trunc_div(nf_code a, nf_code d) { return a < 0 ? -((-a) / d) : a / d; }

/* ---- Average pooling's pipeline -----------------------------------------------
 * The Dense's delay model (nnfirm/rtl.h): a stage starts at a register
 * (NF_RTL_REG_NS), an adder level costs NF_RTL_ADDER_NS, a cast that rounds
 * an adder more, one that saturates NF_RTL_CAST_NS (a cast that only drops
 * or copies bits is wiring). Every signal of the pooling carries the stage it
 * is computed in and its time within that stage. An operation whose result
 * would end after g->budget_ns starts the next stage instead: its operands
 * are registered first; an operand of an earlier stage reaches a later one
 * through a register per stage (a signal registered once however many read
 * it). The outputs end in the output register, all at one stage, so the
 * pooling's latency is its stages plus one. */
typedef struct pool_pipe {
  rtl_gen *g;
  int *stage; /* per signal: its stage, -1 for one not timed here (an input) */
  double *t;  /* its time within the stage by the delay model */
  int cap;
  double t_in; /* the inputs' time in stage 0 */
  double worst; /* the longest stage by the delay model */
} pool_pipe;

static void pp_set(pool_pipe *p, int sig, int stage, double t) {
  if (p->g->oom || sig < 0) return;
  if (sig >= p->cap) {
    int cap = p->cap ? p->cap : 256;
    while (cap <= sig) cap *= 2;
    int *s = realloc(p->stage, (size_t)cap * sizeof *s);
    if (s) p->stage = s;
    double *tt = s ? realloc(p->t, (size_t)cap * sizeof *tt) : NULL;
    if (!s || !tt) {
      p->g->oom = true;
      nf_fail_oom(p->g->err, "average pooling pipeline");
      return;
    }
    p->t = tt;
    for (int k = p->cap; k < cap; k++) p->stage[k] = -1;
    p->cap = cap;
  }
  p->stage[sig] = stage, p->t[sig] = t;
  if (t > p->worst) p->worst = t;
}

static int pp_stage(const pool_pipe *p, int sig) { return sig >= 0 && sig < p->cap && p->stage[sig] >= 0 ? p->stage[sig] : 0; }

static double pp_time(const pool_pipe *p, int sig) {
  return sig >= 0 && sig < p->cap && p->stage[sig] >= 0 ? p->t[sig] : p->t_in;
}

/* sig at stage s (s >= its own): through a register per stage. */
static int pp_at(pool_pipe *p, int sig, int s) {
  if (sig < 0) return sig;
  for (int st = pp_stage(p, sig); st < s && !p->g->oom; st++) {
    sig = nf_rtl_register(p->g, sig, st + 1);
    pp_set(p, sig, st + 1, NF_RTL_REG_NS);
  }
  return sig;
}

/* Before an operation of delay dt on ops[0..n-1]: the stage it is computed
 * in (*stage) and the time its result has there (returned); ops are
 * replaced by their copies at that stage. */
static double pp_begin(pool_pipe *p, int *ops, int n, double dt, int *stage) {
  int s = 0;
  for (int i = 0; i < n; i++)
    if (pp_stage(p, ops[i]) > s) s = pp_stage(p, ops[i]);
  double t = NF_RTL_REG_NS;
  for (int i = 0; i < n; i++)
    if (pp_stage(p, ops[i]) == s && pp_time(p, ops[i]) > t) t = pp_time(p, ops[i]);
  if (t + dt > p->g->budget_ns + 1e-9 && t > NF_RTL_REG_NS + 1e-9) s++, t = NF_RTL_REG_NS;
  for (int i = 0; i < n; i++) ops[i] = pp_at(p, ops[i], s);
  *stage = s;
  return t + dt;
}

/* The delay model's time of nf_rtl_cast(sig, frac, t, true): a rounding
 * adder where it rounds, the saturation's logic where the value can leave t. */
static double pp_cast_ns(const rtl_gen *g, int sig, int frac, const nf_fixed_type *t) {
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code lo = nf_rtl_quantize(g->sigs[sig].lo, drop, t->q), hi = nf_rtl_quantize(g->sigs[sig].hi, drop, t->q);
  bool fits = lo >= nf_fixed_min_code(t) && hi <= nf_fixed_max_code(t);
  return (drop > 0 && t->q != NF_Q_TRN ? NF_RTL_ADDER_NS : 0) + (!fits && t->o != NF_O_WRAP ? NF_RTL_CAST_NS : 0);
}

/* nf_rtl_cast of sig in the pipeline. */
static int pp_cast(pool_pipe *p, int sig, int frac, const nf_fixed_type *t, const char *name) {
  int s;
  double te = pp_begin(p, &sig, 1, pp_cast_ns(p->g, sig, frac, t), &s);
  int r = nf_rtl_cast(p->g, sig, frac, t, true, name);
  if (r != sig) pp_set(p, r, s, te);
  return r;
}

/* a + b (terms of signals) as one adder in the pipeline. */
static rtl_term pp_add(pool_pipe *p, rtl_term a, rtl_term b, const char *name) {
  int ops[2] = {a.sig, b.sig}, s;
  double te = pp_begin(p, ops, 2, NF_RTL_ADDER_NS, &s);
  a.sig = ops[0], b.sig = ops[1];
  rtl_term r = nf_rtl_add(p->g, a, b, name);
  pp_set(p, r.sig, s, te);
  return r;
}

/* The quotient of accum code `acc` by d, truncated toward zero (the scheme
 * above). *magp: |acc| once for all the dividers of acc (-1: not yet);
 * neg: acc's sign bit as a signal (-1 when acc is never negative). */
static int emit_div(pool_pipe *p, int acc, int neg, nf_code d, const char *base, int *magp) {
  rtl_gen *g = p->g;
  if (g->oom) return 0;
  nf_code lo = g->sigs[acc].lo, hi = g->sigs[acc].hi, M = -lo > hi ? -lo : hi;
  if (d == 1 || M == 0) return acc;
  nf_code m;
  int s, st;
  if (nf_rtl_div_plan(M, d, &m, &s) || nf_rtl_signed_width(0, M) + s + 2 > 124) {
    g->oom = true;
    nf_fail(g->err, NF_EINPUT, "layer '%s': an average over %lld cells of sums this wide has no RTL divider",
            g->layer, (long long)d);
    return 0;
  }
  char e[8 * RTL_NAME + 400], x[2 * RTL_NAME + 80], sb[RTL_NAME + 16];
  int mag = *magp >= 0 ? *magp : acc;
  if (lo < 0 && *magp < 0) { /* |acc| */
    int ops[2] = {acc, neg};
    double te = pp_begin(p, ops, 2, NF_RTL_ADDER_NS, &st);
    mag = nf_rtl_new_sig(g, 0, M, "%s_mag", base);
    if (g->oom) return 0;
    nf_rtl_sext(g, x, sizeof x, ops[0], g->sigs[mag].width);
    nf_rtl_bit(g, sb, sizeof sb, ops[1], 0);
    snprintf(e, sizeof e, "%s ? -%s : %s", sb, x, x);
    nf_rtl_wire(g, mag, e);
    g->adders++;
    nf_rtl_cost_adder(g, mag, 0, false);
    pp_set(p, mag, st, te);
    *magp = mag;
  }
  int sh[130], dg[130], n = nf_rtl_csd(m, sh, dg);
  /* |acc| * m: a balanced tree of the digits' terms, highest first (the top digit is +1, so no
   * partial sum is a negated one) */
  rtl_term tt[130];
  for (int i = 0; i < n; i++) tt[i] = (rtl_term){.sig = mag, .shift = sh[n - 1 - i], .sign = dg[n - 1 - i]};
  for (int level = 1, k = n; k > 1 && !g->oom; level++) {
    int o = 0;
    for (int a = 0; a + 1 < k && !g->oom; a += 2) {
      char nm[RTL_NAME];
      snprintf(nm, sizeof nm, "%s_d%lld_l%d_%d", base, (long long)d, level, o);
      tt[o++] = pp_add(p, tt[a], tt[a + 1], nm);
    }
    if (k & 1) tt[o++] = tt[k - 1];
    n = k = o;
  }
  rtl_term t = tt[0];
  if (g->oom) return 0;
  if (t.sign < 0) { /* not reached: the product is never negative, nor is a sum with a positive first term */
    g->oom = true;
    nf_fail(g->err, NF_EINTERNAL, "layer '%s': a negated divider product", g->layer);
    return 0;
  }
  /* (|acc| * m) >> s: t's value is t.sig << t.shift, never negative; bits only */
  int qm = nf_rtl_new_sig(g, lo < 0 ? 0 : lo / d, M / d, "%s_d%lld_q", base, (long long)d);
  if (g->oom) return 0;
  if (s >= t.shift) nf_rtl_ext(g, x, sizeof x, t.sig, s - t.shift, 0, g->sigs[qm].width);
  else nf_rtl_ext(g, x, sizeof x, t.sig, 0, t.shift - s, g->sigs[qm].width);
  nf_rtl_wire(g, qm, x);
  pp_set(p, qm, pp_stage(p, t.sig), pp_time(p, t.sig));
  if (lo >= 0) return qm;
  int ops[2] = {qm, neg};
  double te = pp_begin(p, ops, 2, NF_RTL_ADDER_NS, &st);
  int q = nf_rtl_new_sig(g, trunc_div(lo, d), trunc_div(hi, d), "%s_d%lld", base, (long long)d);
  if (g->oom) return 0;
  nf_rtl_sext(g, x, sizeof x, ops[0], g->sigs[q].width);
  nf_rtl_bit(g, sb, sizeof sb, ops[1], 0);
  snprintf(e, sizeof e, "%s ? -%s : %s", sb, x, x);
  nf_rtl_wire(g, q, e);
  g->adders++;
  nf_rtl_cost_adder(g, q, 0, false);
  pp_set(p, q, st, te);
  return q;
}

/* The window's sum as an accum_t code: cells t[0..m-1] (codes of input_t).
 * hls4ml: acc = 0; acc = (accum_t)(acc + x) per cell. When no partial sum can
 * round (x's fraction bits within accum_t's) and none can leave accum_t
 * (every prefix's range inside it), that is the exact sum; and when accum_t
 * wraps, it is the exact sum wrapped once (two's-complement wrapping is
 * addition mod 2^W, whatever the order): both are a balanced tree and one
 * cast. Else (rounding, or saturation that can act) the chain of casts. */
static int emit_avg_sum(pool_pipe *p, const nf_design_layer *L, int *t, int m, const char *base) {
  rtl_gen *g = p->g;
  const nf_fixed_type *ti = &L->input_t, *ta = &L->accum_t;
  int fx = nf_fixed_frac_bits(ti), fa = nf_fixed_frac_bits(ta), f = fx > fa ? fx : fa;
  char nm[RTL_NAME];
  bool exact = fx <= fa;
  nf_code plo = 0, phi = 0, tlo = nf_fixed_min_code(ta), thi = nf_fixed_max_code(ta);
  for (int a = 0; a < m && exact && ta->o != NF_O_WRAP; a++) {
    plo += g->sigs[t[a]].lo, phi += g->sigs[t[a]].hi;
    nf_code sc = (nf_code)1 << (fa - fx);
    exact = plo * sc >= tlo && phi * sc <= thi;
  }
  if (exact) {
    for (int level = 1; m > 1 && !g->oom; level++) {
      int o = 0;
      for (int a = 0; a + 1 < m; a += 2) {
        snprintf(nm, sizeof nm, "%s_l%d_%d", base, level, o);
        rtl_term r = pp_add(p, (rtl_term){.sig = t[a], .sign = 1}, (rtl_term){.sig = t[a + 1], .sign = 1}, nm);
        t[o++] = r.sig;
      }
      if (m & 1) t[o++] = t[m - 1];
      m = o;
    }
    snprintf(nm, sizeof nm, "%s_acc", base);
    return pp_cast(p, t[0], fx, ta, nm);
  }
  snprintf(nm, sizeof nm, "%s_acc0", base);
  int acc = pp_cast(p, t[0], fx, ta, nm);
  for (int a = 1; a < m && !g->oom; a++) {
    snprintf(nm, sizeof nm, "%s_s%d", base, a);
    rtl_term r = pp_add(p, (rtl_term){.sig = acc, .shift = f - fa, .sign = 1},
                        (rtl_term){.sig = t[a], .shift = f - fx, .sign = 1}, nm);
    int sum = nf_rtl_materialize(g, r, nm);
    pp_set(p, sum, pp_stage(p, r.sig), pp_time(p, r.sig));
    snprintf(nm, sizeof nm, "%s_acc%d", base, a);
    acc = pp_cast(p, sum, f, ta, nm);
  }
  return acc;
}

/* Average pooling: per output, the window's sum, the divider (by the count
 * of the window's cells inside the input; in io_stream a padded frame's
 * count by position), the cast to result_t, in the pipeline above; then the
 * output registers and the valid's shift register. */
static int emit_avgpool(rtl_gen *g, const nf_design_layer *L, const int *sig, int *idx, int *t, int *latency) {
  const nf_fixed_type *tr = &L->result_t;
  /* io_stream, a padded average pooling: its window's cell count by position (stream_units) */
  const int64_t *counts = L->weights;
  int n_pos = counts ? L->filters : 0, pb = 1, nq = 0;
  nf_code cv[64]; /* the counts the windows have, in order of first position */
  int sel[64];    /* per count but the last: a signal that is -1 (bit 1) at the positions of that count */
  while ((1L << pb) < n_pos) pb++;
  pool_pipe p = {.g = g, .t_in = NF_RTL_REG_NS + (g->in_act ? NF_RTL_ACT_NS : 0)};
  int *ys = nf_calloc((size_t)L->n_out, sizeof *ys, g->err);
  if (!ys) return NF_EINTERNAL;
  if (counts) {
    for (int a = 0; a < n_pos; a++) {
      bool seen = false;
      for (int b = 0; b < nq; b++) seen |= cv[b] == counts[a];
      if (seen) continue;
      if (nq == 64) {
        free(ys);
        return nf_fail(g->err, NF_EINPUT, "layer '%s': more than 64 window sizes", L->name);
      }
      cv[nq++] = counts[a];
    }
    fprintf(g->fp, "  // pos: the window's position in the frame (raster order, %d positions); a padded window's\n"
                   "  // cells inside the input, by position, choose the divider: <layer>_cells<count> is high\n"
                   "  // at the positions whose windows have that count (_r<stage>: the same in later stages)\n", n_pos);
    fprintf(g->fp, "  reg [%d:0] pos;\n", pb - 1);
    char next[160];
    snprintf(next, sizeof next, "in_valid ? ((pos == %d'd%d) ? %d'd0 : pos + %d'd1) : pos", pb, n_pos - 1, pb, pb);
    char zero[16];
    snprintf(zero, sizeof zero, "%d'd0", pb);
    nf_rtl_valid_reg(g, "pos", zero, next);
    g->regs += pb;
    if (g->cost) g->cost->ctrl_bits += pb;
    for (int b = 0; b + 1 < nq && !g->oom; b++) { /* the last count is the default: no mask */
      fprintf(g->fp, "  localparam [%d:0] CELLS%lld = %d'b", n_pos - 1, (long long)cv[b], n_pos);
      for (int a = n_pos - 1; a >= 0; a--) fputc(counts[a] == cv[b] ? '1' : '0', g->fp);
      fprintf(g->fp, ";\n");
      sel[b] = nf_rtl_new_sig(g, -1, 0, "%s_cells%lld", g->layer, (long long)cv[b]);
      if (g->oom) break;
      char e[64];
      snprintf(e, sizeof e, "CELLS%lld[pos]", (long long)cv[b]);
      nf_rtl_wire(g, sel[b], e);
      pp_set(&p, sel[b], 0, NF_RTL_REG_NS + NF_RTL_CAST_NS);
    }
  }
  fprintf(g->fp, "  // <layer>_o<j>: the sum of output j's window cells inside the input (<layer>_o<j>_l<level>_<k>:\n"
                 "  // a balanced tree; _s<k>/_acc<k>: hls4ml's chain of casts), in accum_t; divided by the cell\n"
                 "  // count, truncated toward zero: |sum| * m >> s (_d<count>), m = ceil(2^s / count) as CSD\n"
                 "  // shift-adds (exact for every sum the window can give); then the cast to result_t.\n"
                 "  // Pipeline registers <signal>_r<stage> where the delay model's stage budget (%.2f ns) ends\n",
          g->budget_ns);
  int last = 0;
  for (int j = 0; j < L->n_out && !g->oom; j++) {
    int m = pool_cells(L, j, idx);
    for (int a = 0; a < m; a++) t[a] = sig[idx[a]];
    char nm[RTL_NAME], base[RTL_NAME];
    snprintf(base, sizeof base, "%s_o%d", g->layer, j);
    int acc = emit_avg_sum(&p, L, t, m, base), q = acc, mag = -1, neg = -1;
    if (g->oom) break;
    if (g->sigs[acc].lo < 0) { /* the sum's sign, for |sum| and the quotient's sign */
      neg = nf_rtl_new_sig(g, -1, 0, "%s_neg", base);
      if (g->oom) break;
      nf_rtl_bit(g, nm, sizeof nm, acc, g->sigs[acc].width - 1);
      nf_rtl_wire(g, neg, nm);
      pp_set(&p, neg, pp_stage(&p, acc), pp_time(&p, acc));
    }
    if (!counts) {
      q = emit_div(&p, acc, neg, m, base, &mag);
    } else { /* one divider per count the windows have, selected by position */
      int ops[128];
      for (int b = 0; b < nq && !g->oom; b++) ops[b] = emit_div(&p, acc, neg, cv[b], base, &mag);
      for (int b = 0; b + 1 < nq; b++) ops[nq + b] = sel[b];
      if (g->oom) break;
      nf_code lo = g->sigs[ops[0]].lo, hi = g->sigs[ops[0]].hi;
      for (int b = 1; b < nq; b++) {
        if (g->sigs[ops[b]].lo < lo) lo = g->sigs[ops[b]].lo;
        if (g->sigs[ops[b]].hi > hi) hi = g->sigs[ops[b]].hi;
      }
      int st;
      double te = pp_begin(&p, ops, 2 * nq - 1, NF_RTL_CAST_NS, &st);
      snprintf(nm, sizeof nm, "%s_avg", base);
      q = nf_rtl_new_sig(g, lo, hi, "%s", nm);
      if (g->oom) break;
      int wq = g->sigs[q].width;
      size_t cap = (size_t)nq * (5 * RTL_NAME + 160) + 64, len = 0;
      char *e = nf_malloc(cap, g->err);
      if (!e) {
        g->oom = true;
        break;
      }
      for (int b = 0; b < nq; b++) {
        char x[2 * RTL_NAME + 80], sb[RTL_NAME + 16];
        nf_rtl_sext(g, x, sizeof x, ops[b], wq);
        if (b + 1 < nq) {
          nf_rtl_bit(g, sb, sizeof sb, ops[nq + b], 0);
          len += (size_t)snprintf(e + len, cap - len, "%s ? %s : ", sb, x);
        } else {
          len += (size_t)snprintf(e + len, cap - len, "%s", x);
        }
      }
      nf_rtl_wire(g, q, e);
      free(e);
      pp_set(&p, q, st, te);
    }
    snprintf(nm, sizeof nm, "%s_res", base);
    ys[j] = pp_cast(&p, q, nf_fixed_frac_bits(&L->accum_t), tr, nm);
    if (pp_stage(&p, ys[j]) > last) last = pp_stage(&p, ys[j]);
  }
  if (!g->oom) fprintf(g->fp, "  // output registers (every output's value brought to stage %d first)\n", last);
  for (int j = 0; j < L->n_out && !g->oom; j++) {
    int y = pp_at(&p, ys[j], last);
    if (g->oom) break;
    nf_rtl_output_reg(g, j, y, tr);
  }
  int stages = last + 1;
  if (g->cost) g->cost->ctrl_bits += stages;
  if (!g->oom) nf_rtl_valid_pipe(g, stages);
  *latency = stages;
  g->stage_ns = p.worst;
  free(ys), free(p.stage), free(p.t);
  nf_rtl_sink(g, NULL);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static int pool_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  *latency = 0;
  const nf_fixed_type *ti = &L->input_t, *ta = &L->accum_t, *tr = &L->result_t;
  int fi = nf_fixed_frac_bits(ti), fa = nf_fixed_frac_bits(ta);
  int n = window_max(L);
  int *idx = nf_calloc((size_t)n, sizeof *idx, g->err), *sig = nf_calloc((size_t)L->n_in, sizeof *sig, g->err);
  int *t = nf_calloc((size_t)n, sizeof *t, g->err);
  if (!idx || !sig || !t) {
    free(idx), free(sig), free(t);
    return NF_EINTERNAL;
  }
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", L->n_in * ti->width);
  /* every input first: their value ranges are read before outputs overwrite them */
  for (int i = 0; i < L->n_in && !g->oom; i++) sig[i] = nf_rtl_dense_input(g, in, i, ti);
  if (L->pool_op != NF_POOL_MAX) {
    int rc = g->oom ? NF_EINTERNAL : emit_avgpool(g, L, sig, idx, t, latency);
    free(idx), free(sig), free(t);
    return rc;
  }
  /* the comparator tree in the Dense's delay model: a comparison (a carry chain, NF_RTL_ADDER_NS) per level,
   * a register before a level that would end after the stage budget; a tree within one stage stays
   * combinational (latency 0, as before), else the outputs end in the output register */
  pool_pipe p = {.g = g, .t_in = NF_RTL_REG_NS + (g->in_act ? NF_RTL_ACT_NS : 0)};
  int *ys = nf_calloc((size_t)L->n_out, sizeof *ys, g->err);
  if (!ys) {
    free(idx), free(sig), free(t);
    return NF_EINTERNAL;
  }
  fprintf(g->fp, "  // <layer>_o<j>_l<level>_<k>: the larger of two codes, a balanced tree per output j over its\n"
                 "  // window's cells inside the input; then the casts to accum_t and result_t. Pipeline registers\n"
                 "  // <signal>_r<stage> where the delay model's stage budget (%.2f ns) ends\n",
          g->budget_ns);
  int last = 0;
  for (int j = 0; j < L->n_out && !g->oom; j++) {
    int m = pool_cells(L, j, idx);
    for (int a = 0; a < m; a++) t[a] = sig[idx[a]];
    for (int level = 1; m > 1 && !g->oom; level++) {
      int o = 0;
      for (int a = 0; a + 1 < m; a += 2) {
        int ops[2] = {t[a], t[a + 1]}, st;
        double te = pp_begin(&p, ops, 2, NF_RTL_ADDER_NS, &st);
        const rtl_sig *x = &g->sigs[ops[0]], *y = &g->sigs[ops[1]];
        nf_code lo = x->lo > y->lo ? x->lo : y->lo, hi = x->hi > y->hi ? x->hi : y->hi;
        int wc = x->width > y->width ? x->width : y->width;
        int s = nf_rtl_new_sig(g, lo, hi, "%s_o%d_l%d_%d", g->layer, j, level, o);
        if (g->oom) break;
        int ws = g->sigs[s].width;
        char xa[2 * RTL_NAME + 80], ya[2 * RTL_NAME + 80], xr[2 * RTL_NAME + 80], yr[2 * RTL_NAME + 80];
        char e[8 * RTL_NAME + 400];
        nf_rtl_sext(g, xa, sizeof xa, ops[0], wc);
        nf_rtl_sext(g, ya, sizeof ya, ops[1], wc);
        nf_rtl_ext(g, xr, sizeof xr, ops[0], 0, 0, ws);
        nf_rtl_ext(g, yr, sizeof yr, ops[1], 0, 0, ws);
        snprintf(e, sizeof e, "(%s > %s) ? %s : %s", xa, ya, xr, yr);
        nf_rtl_wire(g, s, e);
        pp_set(&p, s, st, te);
        t[o++] = s;
      }
      if (m & 1) t[o++] = t[m - 1];
      m = o;
    }
    char nm[RTL_NAME];
    snprintf(nm, sizeof nm, "%s_o%d_acc", g->layer, j);
    int acc = pp_cast(&p, t[0], fi, ta, nm);
    snprintf(nm, sizeof nm, "%s_o%d_res", g->layer, j);
    ys[j] = pp_cast(&p, acc, fa, tr, nm);
    if (pp_stage(&p, ys[j]) > last) last = pp_stage(&p, ys[j]);
  }
  g->stage_ns = p.worst;
  if (last == 0) { /* one stage: combinational */
    for (int j = 0; j < L->n_out && !g->oom; j++) {
      char ye[2 * RTL_NAME + 80];
      nf_rtl_ext(g, ye, sizeof ye, ys[j], 0, 0, tr->width);
      fprintf(g->fp, "  assign out_data[%d +: %d] = %s;\n", j * tr->width, tr->width, ye);
      rtl_out_range(g, j, ys[j]);
    }
    fprintf(g->fp, "  assign out_valid = in_valid;\n");
    nf_rtl_sink(g, "clk, rst");
  } else {
    if (!g->oom) fprintf(g->fp, "  // output registers (every output's value brought to stage %d first)\n", last);
    for (int j = 0; j < L->n_out && !g->oom; j++) {
      int y = pp_at(&p, ys[j], last);
      if (g->oom) break;
      nf_rtl_output_reg(g, j, y, tr);
    }
    if (g->cost) g->cost->ctrl_bits += last + 1;
    if (!g->oom) nf_rtl_valid_pipe(g, last + 1);
    *latency = last + 1;
    nf_rtl_sink(g, NULL);
  }
  free(ys), free(p.stage), free(p.t);
  free(idx), free(sig), free(t);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

static void pool_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int n = window_max(L), *idx = malloc((size_t)n * sizeof *idx);
  if (!idx) return;
  int fx = nf_fixed_frac_bits(&L->input_t), fa = nf_fixed_frac_bits(&L->accum_t), f = fx > fa ? fx : fa;
  for (int j = 0; j < L->n_out; j++) {
    int m = pool_cells(L, j, idx);
    nf_code acc;
    if (L->pool_op == NF_POOL_MAX) {
      nf_code best = x[idx[0]];
      for (int a = 1; a < m; a++) best = x[idx[a]] > best ? x[idx[a]] : best;
      acc = nf_fixed_cast(&L->accum_t, best, &L->input_t);
    } else { /* acc = (accum_t)(acc + x) per cell, then the code's quotient truncated toward zero */
      acc = 0;
      for (int a = 0; a < m; a++)
        acc = nf_fixed_cast_code(&L->accum_t, acc * ((nf_code)1 << (f - fa)) + x[idx[a]] * ((nf_code)1 << (f - fx)), f);
      acc = trunc_div(acc, m);
    }
    y[j] = nf_fixed_cast(&L->result_t, acc, &L->accum_t);
  }
  free(idx);
}

static const nf_rtl_layer_ops avgpool_ops = {
    .what = "AveragePooling",
    .check = pool_check,
    .emit = pool_emit,
    .reference = pool_reference,
};

static const nf_rtl_layer_ops *pool_resolve(const nf_design_layer *L) {
  return L->pool_op == NF_POOL_MAX ? &nf_rtl_pool_ops : &avgpool_ops;
}

const nf_rtl_layer_ops nf_rtl_pool_ops = {
    .what = "MaxPooling",
    .resolve = pool_resolve,
    .check = pool_check,
    .emit = pool_emit,
    .reference = pool_reference,
};
