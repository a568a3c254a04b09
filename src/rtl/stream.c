/* The pixel stream (IOType io_stream): the design's units, the window
 * generator module, the collector, and the stream's cycle-exact schedule.
 * emit.h describes the architecture.
 *
 * Window generator of a frame of h x w pixels, padded to hp x wp (the
 * padding's pixels it makes itself), window kh x kw, stride sh x sw:
 *   position (y, x) in the padded frame, one pixel pushed per enabled cycle
 *   (a padded position pushes pad_code without reading the input; pad_beat
 *   then freezes everything before it);
 *   line buffer k (1 <= k < kh) holds row y-k at column x: kh-1 rows of wp
 *   pixels, written at x as the pixel goes down one row;
 *   window cell (r, q) is row y-(kh-1)+r, column x-(kw-1)+q: columns shift
 *   left as a pixel is pushed, the new column read from the line buffers;
 *   out_valid one cycle after the push that completes a window at a stride
 *   position (y >= kh-1, x >= kw-1, (y-kh+1) % sh == 0, (x-kw+1) % sw == 0).
 * out_data's value i is cell (r, q) channel ch at i = (r*kw + q)*c + ch,
 * the order of a Conv kernel's rows (kernel [kh][kw][c][f]) and of the
 * emulator's window sum. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static bool windowed(const nf_design_layer *L) {
  return L->kind == NF_LAYER_CONV || L->kind == NF_LAYER_POOL || L->kind == NF_LAYER_ZEROPAD;
}

static bool is_stream(const nf_design *d) {
  if (strcmp(d->io_type, "io_stream")) return false;
  for (int l = 0; l < d->n_hw; l++)
    if (windowed(&d->layers[l])) return true;
  return false;
}

static nf_rtl_unit *add_unit(nf_rtl_units *us, const nf_design *d, int l, nf_error *err) {
  nf_rtl_unit *u = realloc(us->u, (size_t)(us->n + 1) * sizeof *u);
  if (!u) {
    nf_fail_oom(err, "RTL units");
    return NULL;
  }
  us->u = u;
  u = &us->u[us->n++];
  memset(u, 0, sizeof *u);
  u->view = d->layers[l];
  u->layer = l;
  snprintf(u->inst, sizeof u->inst, "%s", d->layers[l].name);
  return u;
}

/* The per-pixel view of a stream layer: c values in, c out. */
static void pixel_view(nf_design_layer *v, int c) {
  v->n_in = v->n_out = c;
  v->in_shape = v->out_shape = nf_shape_1d(c);
}

/* The first element of PReLU layer L (pixels of c channels, channels last) whose alpha differs from the
 * same channel's alpha in pixel 0, or -1 where every pixel has the same c alphas. */
static long first_varying_alpha(const nf_design_layer *L, long pixels, int c) {
  for (long e = c; e < pixels * c; e++)
    if (L->weights[e] != L->weights[e % c]) return e;
  return -1;
}

static int stream_units(const nf_design *d, nf_rtl_units *us, nf_error *err) {
  int h, w, c;
  nf_shape_hwc(d->layers[0].in_shape, &h, &w, &c);
  us->in_beats = h * w;
  us->pixel_ii = 1;
  int l = 0;
  for (; l < d->n_hw; l++) {
    const nf_design_layer *L = &d->layers[l];
    int beats = h * w;
    if (L->kind == NF_LAYER_RESHAPE) {
      if (L->out_shape.rank == 1 || l == d->n_hw - 1) break; /* the stream's end: a collector */
      if (l > 0) return nf_fail(err, NF_EINPUT, "layer '%s': a Reshape inside the stream has no io_stream RTL", L->name);
      nf_shape_hwc(L->out_shape, &h, &w, &c); /* a Reshape of the input into an image: the pixels it names */
      us->in_beats = h * w;
      nf_rtl_unit *u = add_unit(us, d, l, err);
      if (!u) return NF_EINTERNAL;
      pixel_view(&u->view, c);
      u->stream = true;
      continue;
    }
    if (!windowed(L) && L->kind != NF_LAYER_ACTIVATION && L->kind != NF_LAYER_BATCHNORM) {
      if (beats == 1) break; /* one pixel per frame (a global pooling): the vector itself */
      return nf_fail(err, NF_EINPUT, "layer '%s': %s after an image in io_stream needs a Flatten before it", L->name,
                     nf_layer_kind_name(L->kind));
    }
    if (L->kind == NF_LAYER_ACTIVATION && L->act == NF_ACT_SOFTMAX)
      return nf_fail(err, NF_EINPUT, "layer '%s': %s has no io_stream RTL", L->name, nf_activation_name(L->act));
    /* PReLU holds one alpha per element of the image; the stream's per-pixel unit applies the first pixel's c
     * alphas to every pixel, so it is built where the alphas repeat each pixel (one per channel: an ONNX
     * slope of shape [C, 1, 1], as PyTorch's nn.PReLU(C) exports it) */
    if (L->kind == NF_LAYER_ACTIVATION && L->act == NF_ACT_PRELU && h * w > 1) {
      long e = first_varying_alpha(L, (long)h * w, c);
      if (e >= 0)
        return nf_fail(err, NF_EINPUT,
                       "layer '%s': PReLU alpha of element %ld (row %ld, column %ld, channel %ld) differs from the first "
                       "pixel's: io_stream builds PReLU with one alpha per channel (io_parallel builds any)",
                       L->name, e, e / c / w, e / c % w, e % c);
    }
    nf_rtl_unit *u = add_unit(us, d, l, err);
    if (!u) return NF_EINTERNAL;
    u->stream = true;
    u->seg = us->n_windows;
    if (!windowed(L)) {
      pixel_view(&u->view, c);
      continue;
    }
    nf_rtl_window *win = &u->win;
    u->has_window = true;
    u->seg = ++us->n_windows;
    win->h = h, win->w = w, win->c = c;
    if (L->kind == NF_LAYER_POOL && L->pool_global) {
      win->kh = win->sh = h, win->kw = win->sw = w;
    } else if (L->kind == NF_LAYER_ZEROPAD) {
      win->kh = win->kw = win->sh = win->sw = 1;
    } else {
      win->kh = L->ksize[0], win->kw = L->ksize[1], win->sh = L->stride[0], win->sw = L->stride[1];
    }
    if (!(L->kind == NF_LAYER_POOL && L->pool_global)) memcpy(win->pad, L->pad, sizeof win->pad);
    win->pad_code = nf_calloc((size_t)c, sizeof *win->pad_code, err);
    if (!win->pad_code) return NF_EINTERNAL;
    int hp = h + win->pad[0] + win->pad[1], wp = w + win->pad[2] + win->pad[3];
    int ho = (hp - win->kh) / win->sh + 1, wo = (wp - win->kw) / win->sw + 1;
    long line_bits = (long)wp * c * L->input_t.width;
    win->bram = win->kh > 1 && wp >= 2 && line_bits >= (d->line_bram_bits > 0 ? d->line_bram_bits : NF_RTL_LINE_BRAM_BITS);
    nf_design_layer *v = &u->view;
    int kk = win->kh * win->kw * c;
    if (L->kind == NF_LAYER_CONV) {
      /* hls4ml's io_stream Conv: the window's Dense with the layer's ReuseFactor R (resource sharing, II R),
       * the pixel loop pipelined at II R; R must divide the window's multiplications kh*kw*c x filters */
      int R = L->reuse_factor;
      if (R < 1 || ((long)kk * L->filters) % R != 0)
        return nf_fail(err, NF_EINPUT, "layer '%s': ReuseFactor %d must divide the window's %d x %d = %ld multiplications",
                       L->name, R, kk, L->filters, (long)kk * L->filters);
      v->kind = NF_LAYER_DENSE; /* the kernel [kh][kw][c][f] is the window's Dense [kh*kw*c][f] */
      v->n_in = kk, v->n_out = L->filters;
      v->in_shape = nf_shape_1d(kk), v->out_shape = nf_shape_1d(L->filters);
      v->reuse_factor = R;
      if (R > us->pixel_ii) us->pixel_ii = R;
      if (!v->bias) {
        v->bias = nf_calloc((size_t)L->filters, sizeof *v->bias, err);
        if (!v->bias) return NF_EINTERNAL;
        u->own_bias = true;
      }
      c = L->filters;
    } else if (L->kind == NF_LAYER_POOL) {
      /* the comparator tree over one window, padded cells holding values no real cell is below; or the sum
       * over it, padded cells 0, and for a padded frame the count of real cells at each window position */
      if (L->pool_op == NF_POOL_MAX)
        for (int ch = 0; ch < c; ch++) win->pad_code[ch] = nf_fixed_min_code(&L->input_t);
      bool padded = win->pad[0] || win->pad[1] || win->pad[2] || win->pad[3];
      if (L->pool_op != NF_POOL_MAX && padded) {
        v->weights = nf_calloc((size_t)ho * wo, sizeof *v->weights, err);
        if (!v->weights) return NF_EINTERNAL;
        u->own_weights = true;
        v->filters = ho * wo;
        for (int oy = 0; oy < ho; oy++)
          for (int ox = 0; ox < wo; ox++) {
            int rows = 0, cols = 0;
            for (int r = 0; r < win->kh; r++) {
              int iy = oy * win->sh + r - win->pad[0];
              rows += iy >= 0 && iy < h;
            }
            for (int q = 0; q < win->kw; q++) {
              int ix = ox * win->sw + q - win->pad[2];
              cols += ix >= 0 && ix < w;
            }
            v->weights[oy * wo + ox] = rows * cols;
          }
      } else {
        v->weights = NULL;
      }
      v->pool_global = false;
      v->in_shape = nf_shape_from_hwc(3, win->kh, win->kw, c), v->out_shape = nf_shape_from_hwc(3, 1, 1, c);
      v->n_in = kk, v->n_out = c;
      v->ksize[0] = win->kh, v->ksize[1] = win->kw, v->stride[0] = v->stride[1] = 1;
      memset(v->pad, 0, sizeof v->pad);
    } else {
      v->kind = NF_LAYER_RESHAPE; /* the pixel passes (padded ones are the generator's zeros) */
      pixel_view(v, c);
    }
    h = ho, w = wo;
  }
  us->stream_end = us->n;
  /* a Flatten, or the design's end inside an image: the collector (a layer after a one-pixel frame, e.g.
   * a Dense after global pooling, reads the pixel itself) */
  if (l < d->n_hw ? d->layers[l].kind == NF_LAYER_RESHAPE : h * w > 1) {
    const nf_design_layer *L = &d->layers[l < d->n_hw ? l : d->n_hw - 1];
    nf_rtl_unit *u = add_unit(us, d, l < d->n_hw ? l : d->n_hw - 1, err);
    if (!u) return NF_EINTERNAL;
    if (l >= d->n_hw) snprintf(u->inst, sizeof u->inst, "%s_collect", L->name);
    u->stream = true, u->collect = true, u->beats = h * w, u->seg = us->n_windows;
    u->view.kind = NF_LAYER_RESHAPE;
    u->view.input_t = u->view.result_t = L->result_t;
    u->view.n_in = c, u->view.n_out = h * w * c;
    u->view.in_shape = nf_shape_1d(c), u->view.out_shape = nf_shape_1d(h * w * c);
    us->stream_end = us->n;
    if (l < d->n_hw) l++;
  }
  for (; l < d->n_hw; l++) {
    const nf_design_layer *L = &d->layers[l];
    if (windowed(L) || (L->kind == NF_LAYER_RESHAPE && L->out_shape.rank > 1))
      return nf_fail(err, NF_EINPUT, "layer '%s': a %s after the stream's Flatten has no io_stream RTL", L->name,
                     nf_layer_kind_name(L->kind));
    if (!add_unit(us, d, l, err)) return NF_EINTERNAL;
  }
  return NF_OK;
}

/* A fused quantizer's elements of width 0 are the constant 0: the unit's
 * view gets its own weights and bias with those outputs' zero, so no sum is
 * built (or costed) for them. */
static int dead_outputs(nf_rtl_unit *u, const nf_design_layer *A, nf_error *err) {
  nf_design_layer *v = &u->view;
  int dead = 0;
  for (int j = 0; j < v->n_out; j++) dead += nf_rtl_fused_dead(A, j);
  if (!dead) return NF_OK;
  size_t nw = (size_t)v->n_in * v->n_out;
  int64_t *w = nf_malloc(nw * sizeof *w, err), *b = v->bias ? nf_malloc((size_t)v->n_out * sizeof *b, err) : NULL;
  if (!w || (v->bias && !b)) {
    free(w), free(b);
    return NF_EINTERNAL;
  }
  for (size_t k = 0; k < nw; k++) w[k] = nf_rtl_fused_dead(A, (int)(k % (size_t)v->n_out)) ? 0 : v->weights[k];
  for (int j = 0; b && j < v->n_out; j++) b[j] = nf_rtl_fused_dead(A, j) ? 0 : v->bias[j];
  v->weights = w, u->own_weights = true;
  if (b) v->bias = b, u->own_bias = true;
  return NF_OK;
}

int nf_rtl_units_build(const nf_design *d, nf_rtl_units *us, nf_error *err) {
  memset(us, 0, sizeof *us);
  us->in_beats = 1, us->pixel_ii = 1;
  int rc = NF_OK;
  if (is_stream(d)) {
    rc = stream_units(d, us, err);
  } else {
    bool after_fused = false;
    for (int l = 0; l < d->n_hw && !rc; l++) {
      nf_rtl_unit *u = add_unit(us, d, l, err);
      bool fuse = false;
      rc = !u ? NF_EINTERNAL : nf_rtl_lut_choose(d, l, &fuse, err);
      if (rc) break;
      u->reads_reg = after_fused;
      if (fuse) u->lut = true; /* the ReLU: in the tables */
      else if (l + 1 < d->n_hw && d->relu_fusion &&
               nf_rtl_relu_fold(&d->layers[l], &d->layers[l + 1], NULL, NULL, NULL))
        u->relu = true; /* the ReLU (or quantizer): its rounding in the sums, its clip before the register */
      u->fused_quant = u->relu && d->layers[l + 1].kind == NF_LAYER_QUANT;
      if (u->relu && (rc = dead_outputs(u, &d->layers[l + 1], err))) break;
      after_fused = u->lut || u->relu;
      if (after_fused) u->view.result_t = d->layers[++l].result_t;
    }
  }
  if (rc) nf_rtl_units_free(us);
  return rc;
}

void nf_rtl_units_free(nf_rtl_units *us) {
  for (int k = 0; k < us->n; k++) {
    free(us->u[k].win.pad_code);
    if (us->u[k].own_bias) free(us->u[k].view.bias);
    if (us->u[k].own_weights) free(us->u[k].view.weights);
  }
  free(us->u);
  memset(us, 0, sizeof *us);
}

void nf_rtl_window_ranges(const nf_rtl_unit *u, nf_code *lo, nf_code *hi) {
  const nf_rtl_window *win = &u->win;
  bool padded = win->pad[0] || win->pad[1] || win->pad[2] || win->pad[3];
  int c = win->c, n = win->kh * win->kw * c;
  for (int ch = 0; ch < c && padded; ch++) {
    if (win->pad_code[ch] < lo[ch]) lo[ch] = win->pad_code[ch];
    if (win->pad_code[ch] > hi[ch]) hi[ch] = win->pad_code[ch];
  }
  for (int i = n - 1; i >= c; i--) lo[i] = lo[i % c], hi[i] = hi[i % c];
}

/* Bits to count 0 .. n-1 (at least 1). */
static int count_bits(int n) {
  int b = 1;
  while ((1L << b) < n) b++;
  return b;
}

/* A constant mask over positions 0 .. n-1: bit p set when a window ends at p. */
static void end_mask(FILE *fp, const char *name, int n, int k, int s) {
  fprintf(fp, "  localparam [%d:0] %s = %d'b", n - 1, name, n);
  for (int p = n - 1; p >= 0; p--) fputc(p >= k - 1 && (p - (k - 1)) % s == 0 ? '1' : '0', fp);
  fprintf(fp, ";\n");
}

/* RAMB18E2 tiles of a memory of `depth` words of `width` bits with one write
 * and one registered read port, as Yosys 0.23's synth_xilinx maps it: a tile
 * is 36 bits wide at up to 512 words (simple dual port), 18 at 1K, 9 at 2K,
 * 4 at 4K, 2 at 8K, 1 at 16K; the word's width is cut into tiles side by side
 * (e.g. 240 bits x 4 words: 7 tiles; 512 x 13: 15). */
static long bram18_tiles(long depth, long width) {
  static const long deep[] = {512, 1024, 2048, 4096, 8192, 16384}, wide[] = {36, 18, 9, 4, 2, 1};
  for (int i = 0; i < 6; i++)
    if (depth <= deep[i]) return (width + wide[i] - 1) / wide[i];
  return (depth + 16383) / 16384 * width;
}

int nf_rtl_write_window(const char *rtl_dir, const char *top, const nf_rtl_unit *u, nf_rtl_cost *cost, nf_error *err) {
  const nf_rtl_window *win = &u->win;
  const nf_fixed_type *t = &u->view.input_t;
  int W = t->width, c = win->c, cw = c * W;
  int hp = win->h + win->pad[0] + win->pad[1], wp = win->w + win->pad[2] + win->pad[3];
  int kh = win->kh, kw = win->kw, yb = count_bits(hp), xb = count_bits(wp);
  bool padded = win->pad[0] || win->pad[1] || win->pad[2] || win->pad[3];
  /* block RAM lines are tiles, not register bits; their read register line_q is the RAM's own */
  if (cost) cost->reg_bits += (win->bram ? 0 : (long)(kh - 1) * wp * cw) + (long)kh * kw * cw,
            cost->ctrl_bits += yb + xb + 1, cost->bram18 += win->bram ? bram18_tiles(wp, (long)(kh - 1) * cw) : 0;
  if (!rtl_dir) return NF_OK;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s_%s_window.v", rtl_dir, top, u->inst);
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  FILE *fp = f.fp;
  char tn[96];
  nf_fixed_type_format(t, tn, sizeof tn);
  fprintf(fp, "// %s_%s_window: the window generator of layer '%s' (io_stream), generated by nnfirm\n", top, u->inst,
          u->view.name);
  fprintf(fp, "//   reads a frame of %d x %d pixels, one per beat (%d values of %s each: value ch at [ch*%d +: %d])\n",
          win->h, win->w, c, tn, W, W);
  fprintf(fp, "//   padding %d/%d/%d/%d (top/bottom/left/right) made here: pad_beat is high while it pushes a padded\n"
              "//   pixel (the input is not read; the modules before this one are frozen)\n",
          win->pad[0], win->pad[1], win->pad[2], win->pad[3]);
  fprintf(fp, "//   window %d x %d, stride %d x %d: %d line buffer%s of %d pixels%s, %d window registers\n", kh, kw,
          win->sh, win->sw, kh - 1, kh - 1 == 1 ? "" : "s", wp, win->bram ? " (one block RAM)" : "", kh * kw);
  fprintf(fp, "//   out_data: cell (r, q), channel ch at value (r*%d + q)*%d + ch; out_valid one cycle after the pixel\n"
              "//   that completes a window at a stride position\n",
          kw, c);
  fprintf(fp, "`timescale 1ns / 1ps\n");
  fprintf(fp, "module %s_%s_window(\n  input clk, input rst, input en, input in_valid, input [%d:0] in_data,\n"
              "  output pad_beat, output out_valid, output [%d:0] out_data\n);\n",
          top, u->inst, cw - 1, kh * kw * cw - 1);
  fprintf(fp, "  // position in the padded frame (%d x %d)\n", hp, wp);
  fprintf(fp, "  reg [%d:0] y;\n  reg [%d:0] x;\n", yb - 1, xb - 1);
  if (padded) {
    char cond[512] = "";
    size_t n = 0;
#define TERM(...) n += (size_t)snprintf(cond + n, sizeof cond - n, __VA_ARGS__)
    if (win->pad[0]) TERM("%s(y < %d'd%d)", n ? " || " : "", yb, win->pad[0]);
    if (win->pad[1]) TERM("%s(y > %d'd%d)", n ? " || " : "", yb, win->pad[0] + win->h - 1);
    if (win->pad[2]) TERM("%s(x < %d'd%d)", n ? " || " : "", xb, win->pad[2]);
    if (win->pad[3]) TERM("%s(x > %d'd%d)", n ? " || " : "", xb, win->pad[2] + win->w - 1);
#undef TERM
    fprintf(fp, "  assign pad_beat = %s;\n", cond);
    fprintf(fp, "  wire [%d:0] pad_pixel = {", cw - 1);
    for (int ch = c - 1; ch >= 0; ch--) {
      char lit[96];
      nf_rtl_literal(lit, sizeof lit, win->pad_code[ch], W);
      fprintf(fp, "%s%s", lit, ch ? ", " : "};\n");
    }
    fprintf(fp, "  wire [%d:0] pixel = pad_beat ? pad_pixel : in_data;\n", cw - 1);
  } else {
    fprintf(fp, "  assign pad_beat = 1'b0;\n  wire [%d:0] pixel = in_data;\n", cw - 1);
  }
  fprintf(fp, "  wire push = en && (pad_beat || in_valid);\n");
  /* line buffers: line<k>[x] holds row y-k at column x */
  if (win->bram) {
    /* one memory, word x = the kh-1 lines at column x, read one push ahead so that its read is registered */
    int lw = (kh - 1) * cw;
    fprintf(fp, "  // line buffers in block RAM (a line of %d bits, at least the design's LineBufferBRAMBits): word x of\n"
                "  // lines holds rows y-1 .. y-%d at column x (row y-k at [(k-1)*%d +: %d]). line_q is word x as it was\n"
                "  // before this push: read at the push before (address x_next), so the memory's read is registered\n",
            wp * cw, kh - 1, cw, cw);
    fprintf(fp, "  (* ram_style = \"block\" *) reg [%d:0] lines [0:%d];\n  reg [%d:0] line_q;\n", lw - 1, wp - 1, lw - 1);
    fprintf(fp, "  wire [%d:0] x_next = (x == %d'd%d) ? %d'd0 : x + %d'd1;\n", xb - 1, xb, wp - 1, xb, xb);
    fprintf(fp, "  always @(posedge clk) if (push) begin\n");
    if (kh > 2) fprintf(fp, "    lines[x] <= {line_q[%d:0], pixel};\n", (kh - 2) * cw - 1);
    else fprintf(fp, "    lines[x] <= pixel;\n");
    fprintf(fp, "    line_q <= lines[x_next];\n  end\n");
  } else {
    for (int k = 1; k < kh; k++) fprintf(fp, "  reg [%d:0] line%d [0:%d];\n", cw - 1, k, wp - 1);
    if (kh > 1) {
      fprintf(fp, "  always @(posedge clk) if (push) begin\n    line1[x] <= pixel;\n");
      for (int k = 2; k < kh; k++) fprintf(fp, "    line%d[x] <= line%d[x];\n", k, k - 1);
      fprintf(fp, "  end\n");
    }
  }
  /* window cells */
  for (int r = 0; r < kh; r++)
    for (int q = 0; q < kw; q++) fprintf(fp, "  reg [%d:0] cell_%d_%d;\n", cw - 1, r, q);
  fprintf(fp, "  always @(posedge clk) if (push) begin\n");
  for (int r = 0; r < kh; r++) {
    for (int q = 0; q + 1 < kw; q++) fprintf(fp, "    cell_%d_%d <= cell_%d_%d;\n", r, q, r, q + 1);
    if (r == kh - 1) fprintf(fp, "    cell_%d_%d <= pixel;\n", r, kw - 1);
    else if (win->bram) fprintf(fp, "    cell_%d_%d <= line_q[%d +: %d];\n", r, kw - 1, (kh - 2 - r) * cw, cw);
    else fprintf(fp, "    cell_%d_%d <= line%d[x];\n", r, kw - 1, kh - 1 - r);
  }
  fprintf(fp, "  end\n");
  end_mask(fp, "ROW_END", hp, kh, win->sh);
  end_mask(fp, "COL_END", wp, kw, win->sw);
  fprintf(fp, "  reg valid_r;\n");
  fprintf(fp, "  always @(posedge clk) if (rst) valid_r <= 1'b0; else if (en) valid_r <= push && ROW_END[y] && COL_END[x];\n");
  fprintf(fp, "  always @(posedge clk)\n    if (rst) begin y <= %d'd0; x <= %d'd0; end\n", yb, xb);
  fprintf(fp, "    else if (push) begin\n      x <= (x == %d'd%d) ? %d'd0 : x + %d'd1;\n", xb, wp - 1, xb, xb);
  if (hp > 1) fprintf(fp, "      if (x == %d'd%d) y <= (y == %d'd%d) ? %d'd0 : y + %d'd1;\n", xb, wp - 1, yb, hp - 1, yb, yb);
  fprintf(fp, "    end\n");
  fprintf(fp, "  assign out_valid = valid_r;\n  assign out_data = {");
  for (int r = kh - 1; r >= 0; r--)
    for (int q = kw - 1; q >= 0; q--) fprintf(fp, "cell_%d_%d%s", r, q, r || q ? ", " : "};\n");
  if (hp == 1) fprintf(fp, "  wire unused_bits = &{1'b0, y, 1'b0};\n");
  fprintf(fp, "endmodule\n");
  return nf_outfile_commit(&f, err);
}

int nf_rtl_emit_collector(rtl_gen *g, const nf_rtl_unit *u, int *latency) {
  const nf_design_layer *v = &u->view;
  int cw = v->n_in * v->input_t.width, n = u->beats, cb = count_bits(n);
  FILE *fp = g->fp;
  fprintf(fp, "  // a frame's %d pixels gathered in arrival (row-major) order: pixel p is out_data[p*%d +: %d],\n"
              "  // registered when its last pixel arrives\n", n, cw, cw);
  for (int p = 0; p + 1 < n; p++) fprintf(fp, "  reg [%d:0] pixel%d;\n", cw - 1, p);
  if (n > 1) {
    fprintf(fp, "  %s if (in_valid) begin\n", nf_rtl_clocked(g));
    for (int p = 0; p + 2 < n; p++) fprintf(fp, "    pixel%d <= pixel%d;\n", p, p + 1);
    fprintf(fp, "    pixel%d <= in_data;\n  end\n", n - 2);
    fprintf(fp, "  reg [%d:0] count;\n", cb - 1);
    fprintf(fp, "  always @(posedge clk) if (rst) count <= %d'd0; else if (en && in_valid) count <= (count == %d'd%d) ? "
                "%d'd0 : count + %d'd1;\n",
            cb, cb, n - 1, cb, cb);
    fprintf(fp, "  wire last = count == %d'd%d;\n", cb, n - 1);
  } else {
    fprintf(fp, "  wire last = 1'b1;\n");
  }
  fprintf(fp, "  reg [%d:0] frame;\n", n * cw - 1);
  fprintf(fp, "  %s if (in_valid && last) frame <= {in_data", nf_rtl_clocked(g));
  for (int p = n - 2; p >= 0; p--) fprintf(fp, ", pixel%d", p);
  fprintf(fp, "};\n  reg valid_r;\n");
  nf_rtl_valid_reg(g, "valid_r", "1'b0", "in_valid && last");
  fprintf(fp, "  assign out_valid = valid_r;\n  assign out_data = frame;\n");
  g->regs += (long)(2 * n - 1) * cw;
  if (g->cost) g->cost->reg_bits += (long)(2 * n - 1) * cw, g->cost->ctrl_bits += cb + 1;
  if (g->range_lo) /* pixel p's channel ch has the channel's range */
    for (int i = n * v->n_in - 1; i >= v->n_in; i--)
      g->range_lo[i] = g->range_lo[i % v->n_in], g->range_hi[i] = g->range_hi[i % v->n_in];
  nf_rtl_sink(g, NULL);
  *latency = 1;
  return g->oom ? NF_EINTERNAL : NF_OK;
}

/* ---- Schedule -------------------------------------------------------------------
 * A cycle-level model of the stream's control (valid bits, enables, window
 * positions, the collector's count), stepped exactly as the RTL's registers
 * are, with rows fed as the testbench feeds them. */
enum { SCHED_FRAMES = 6 };

typedef struct sched_win {
  int y, x, hp, wp;
  bool ov;
} sched_win;

static bool sched_pad(const nf_rtl_window *w, const sched_win *s) {
  return s->y < w->pad[0] || s->y >= w->pad[0] + w->h || s->x < w->pad[2] || s->x >= w->pad[2] + w->w;
}

static bool sched_end(int p, int k, int st) { return p >= k - 1 && (p - (k - 1)) % st == 0; }

int nf_rtl_stream_schedule(const nf_rtl_units *us, const int *lat, int par_latency, int par_ii, int *latency,
                           int *ii, nf_error *err) {
  int ns = us->stream_end, nw = us->n_windows;
  sched_win *sw = nf_calloc((size_t)nw + 1, sizeof *sw, err);
  int *wix = nf_calloc((size_t)ns + 1, sizeof *wix, err);
  long maxlat = 1;
  for (int k = 0; k < ns; k++) maxlat += lat[k] + 1;
  bool *pipe = nf_calloc((size_t)ns * (size_t)maxlat + 1, sizeof *pipe, err);
  bool *pad = nf_calloc((size_t)nw + 1, sizeof *pad, err), *en = nf_calloc((size_t)nw + 2, sizeof *en, err);
  bool *vin = nf_calloc((size_t)ns + 1, sizeof *vin, err), *win_in = nf_calloc((size_t)ns + 1, sizeof *win_in, err);
  if (!sw || !wix || !pipe || !pad || !en || !vin || !win_in) {
    free(sw), free(wix), free(pipe), free(pad), free(en), free(vin), free(win_in);
    return NF_EINTERNAL;
  }
  for (int k = 0, j = 0; k < ns; k++) {
    wix[k] = -1;
    if (us->u[k].has_window) {
      const nf_rtl_window *w = &us->u[k].win;
      wix[k] = j;
      sw[j].hp = w->h + w->pad[0] + w->pad[1], sw[j].wp = w->w + w->pad[2] + w->pad[3];
      j++;
    }
  }
  long start[SCHED_FRAMES], out[SCHED_FRAMES];
  int fed = 0, beat = 0, outs = 0, count = 0;
  long last_start = -(long)par_ii - 1, limit = 1000000000L / (ns + 1);
  int rc = NF_OK;
  for (long cyc = 0; outs < SCHED_FRAMES; cyc++) {
    if (cyc > limit) {
      rc = nf_fail(err, NF_EINTERNAL, "io_stream schedule: no output after %ld cycles", cyc);
      break;
    }
    for (int k = 0; k < ns; k++)
      if (wix[k] >= 0) pad[wix[k]] = sched_pad(&us->u[k].win, &sw[wix[k]]);
    en[nw] = true;
    for (int j = nw - 1; j >= 0; j--) en[j] = en[j + 1] && !pad[j];
    /* the testbench drives a pixel when it has one (a row starts no sooner than par_ii after the last) */
    /* cycle 0 is the testbench's cycle out of reset with no row yet: the window generators push padding */
    bool src = cyc > 0 && fed < SCHED_FRAMES && (beat > 0 || cyc - last_start >= par_ii);
    bool v = src;
    for (int k = 0; k < ns; k++) {
      win_in[k] = v;
      if (wix[k] >= 0) v = sw[wix[k]].ov; /* the unit reads its window generator */
      vin[k] = v;
      if (lat[k] > 0) v = pipe[(size_t)k * maxlat + lat[k] - 1];
    }
    if (v) { /* the stream's end holds a frame during this cycle */
      out[outs++] = cyc;
    }
    /* the clock edge */
    for (int k = ns - 1; k >= 0; k--) {
      const nf_rtl_unit *u = &us->u[k];
      bool e = en[u->seg];
      if (wix[k] >= 0) {
        sched_win *s = &sw[wix[k]];
        if (e) {
          bool push = pad[wix[k]] || win_in[k];
          s->ov = push && sched_end(s->y, u->win.kh, u->win.sh) && sched_end(s->x, u->win.kw, u->win.sw);
          if (push) {
            if (++s->x == s->wp) {
              s->x = 0;
              if (++s->y == s->hp) s->y = 0;
            }
          }
        }
      }
      if (lat[k] > 0 && e) {
        bool *p = &pipe[(size_t)k * maxlat];
        if (u->collect) {
          p[0] = vin[k] && count == u->beats - 1;
          if (vin[k]) count = count == u->beats - 1 ? 0 : count + 1;
        } else {
          for (int q = lat[k] - 1; q > 0; q--) p[q] = p[q - 1];
          p[0] = vin[k];
        }
      }
    }
    if (src && en[0]) {
      if (beat == 0) start[fed] = cyc, last_start = cyc;
      if (++beat == us->in_beats) beat = 0, fed++;
    }
  }
  if (!rc) {
    *latency = 0;
    for (int f = 0; f < SCHED_FRAMES; f++)
      if (out[f] - start[f] + par_latency > *latency) *latency = (int)(out[f] - start[f] + par_latency);
    /* the interval once the first rows have set the window generators' phases (steady state) */
    *ii = (int)(out[SCHED_FRAMES - 1] - out[SCHED_FRAMES - 2]);
    for (int f = SCHED_FRAMES - 3; f < SCHED_FRAMES - 1; f++)
      if (out[f] - out[f - 1] != *ii)
        rc = nf_fail(err, NF_EINTERNAL, "io_stream schedule: rows leave %ld and %d cycles apart", out[f] - out[f - 1],
                     *ii);
  }
  free(sw), free(wix), free(pipe), free(pad), free(en), free(vin), free(win_in);
  return rc;
}
