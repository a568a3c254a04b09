/* LUT-native neurons (LogicNets / PolyLUT style; issue 17): a fully
 * parallel Dense layer followed by a ReLU whose neurons each read few input
 * bits is built as one truth table per neuron instead of adders.
 *
 * Neuron j reads the inputs with a nonzero weight w_ij. Input i's value
 * range [lo_i, hi_i] (the codes the layer before can produce) takes b_i index
 * bits: the bits of hi_i when lo_i >= 0, else its two's-complement width
 * (b_i = 0: a constant input, left out). The table's index is the inputs'
 * low b_i bits side by side, input order from the lowest index bit; its
 * entry is the neuron's code after the ReLU,
 *   T_j[x] = relu_t( dense_t(x) )_j,
 * computed by the generator's own reference semantics of the two layers (the
 * Dense reference over the neuron's inputs, then the ReLU reference: each
 * is the SPEC §3 arithmetic on codes, the same the emulator runs), so the
 * table is exact by construction; an index pattern outside the ranges
 * (never seen) takes the entry of its inputs clamped into range. Each output
 * bit of T_j is a constant (no logic) or a localparam of 2^k bits indexed by
 * the k-bit index, which synthesis maps to LUTs. Then the output register:
 * latency 1, II 1.
 *
 * Cost (counted into nf_rtl_cost.table_luts, added to the estimate as
 * counted, not fitted): an output bit that depends on s of the index bits
 * (its support, found by flipping each bit) is one LUT6 for s <= 6 and
 * 2^(s-6) LUT6 for 7 <= s <= 8 (the MUXF7/MUXF8 that join them are not LUTs
 * in Yosys' count); above 8 the 2^(s-6) LUT6 plus a LUT per four of them for
 * the mux tree. An upper bound: synthesis minimizes the function further.
 * Delay model: NF_RTL_REG_NS plus NF_RTL_ADDER_NS per LUT level (1 for
 * s <= 6, 2 up to 8, 3 above), plus NF_RTL_ACT_NS behind an unregistered
 * activation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

typedef struct lut_neuron {
  int n;          /* inputs in the index */
  int *in;        /* [n] their input numbers, the lowest index bits first */
  int *bits;      /* [n] their index bits */
  int k;          /* index bits in all */
  nf_code *table; /* [1 << k] the ReLU's output codes */
  nf_code lo, hi; /* the range of the entries */
  int w;          /* their two's-complement width (the output signal's) */
  int *support;   /* [w] the index bits output bit b depends on; 0: a constant bit */
} lut_neuron;

static void lut_free(lut_neuron *t) {
  free(t->in), free(t->bits), free(t->table), free(t->support);
  memset(t, 0, sizeof *t);
}

/* Index bits of an input with codes in [lo, hi]. */
static int index_bits(nf_code lo, nf_code hi) {
  if (lo == hi) return 0;
  if (lo < 0) return nf_rtl_signed_width(lo, hi);
  int b = 0;
  while (b < 62 && ((nf_code)1 << b) <= hi) b++;
  return b;
}

/* The index bits neuron j of D would need with input ranges lo/hi (NULL:
 * the input type's), without building the table. */
static int neuron_bits(const nf_design_layer *D, int j, const nf_code *lo, const nf_code *hi) {
  int k = 0;
  for (int i = 0; i < D->n_in; i++)
    if (D->weights[(size_t)i * D->n_out + j])
      k += index_bits(lo ? lo[i] : nf_fixed_min_code(&D->input_t), hi ? hi[i] : nf_fixed_max_code(&D->input_t));
  return k;
}

/* Bit `bit` of entry p, as a two's-complement code. */
static int entry_bit(const lut_neuron *t, long p, int bit) { return (int)(((uint64_t)t->table[p] >> bit) & 1); }

/* The index bits output bit `bit` depends on (its support); 0: a constant. */
static int support(const lut_neuron *t, int bit) {
  int s = 0;
  for (int q = 0; q < t->k; q++) {
    bool dep = false;
    for (long p = 0; p < (1L << t->k) && !dep; p++)
      if (!(p >> q & 1)) dep = entry_bit(t, p, bit) != entry_bit(t, p | (1L << q), bit);
    s += dep;
  }
  return s;
}

/* Builds neuron j's table (at most max_bits index bits, else NF_EINPUT). */
static int lut_build(const nf_design_layer *D, const nf_design_layer *A, int j, const nf_code *lo, const nf_code *hi,
                     int max_bits, lut_neuron *t, nf_error *err) {
  memset(t, 0, sizeof *t);
  int k = neuron_bits(D, j, lo, hi);
  if (k > max_bits) return NF_EINPUT;
  int n = 0;
  for (int i = 0; i < D->n_in; i++) n += D->weights[(size_t)i * D->n_out + j] != 0;
  t->in = nf_calloc((size_t)n + 1, sizeof *t->in, err);
  t->bits = nf_calloc((size_t)n + 1, sizeof *t->bits, err);
  t->table = nf_calloc((size_t)1 << k, sizeof *t->table, err);
  int64_t *w = nf_calloc((size_t)n + 1, sizeof *w, err);
  nf_code *x = nf_calloc((size_t)n + 1, sizeof *x, err), *xlo = nf_calloc((size_t)n + 1, sizeof *xlo, err),
          *xhi = nf_calloc((size_t)n + 1, sizeof *xhi, err);
  int rc = !t->in || !t->bits || !t->table || !w || !x || !xlo || !xhi ? NF_EINTERNAL : NF_OK;
  /* the index inputs first (lowest index bits first), then the constant ones: the sum's order does not
   * matter, it cannot saturate midway (nf_rtl_check) */
  int m = 0;
  for (int pass = 0; pass < 2 && !rc; pass++)
    for (int i = 0; i < D->n_in; i++) {
      int64_t wij = D->weights[(size_t)i * D->n_out + j];
      nf_code l = lo ? lo[i] : nf_fixed_min_code(&D->input_t), h = hi ? hi[i] : nf_fixed_max_code(&D->input_t);
      int b = index_bits(l, h);
      if (!wij || (pass == 0) != (b > 0)) continue;
      if (b > 0) t->in[t->n] = i, t->bits[t->n] = b, t->n++;
      w[m] = wij, xlo[m] = l, xhi[m] = h, m++;
    }
  t->k = k;
  /* one neuron as a Dense of n inputs and one output, then a ReLU of one value */
  nf_design_layer d1 = *D, a1 = *A;
  d1.n_in = n, d1.n_out = 1, d1.weights = w, d1.bias = D->bias ? &D->bias[j] : NULL;
  a1.n_in = a1.n_out = 1;
  for (long p = 0; !rc && p < (1L << k); p++) {
    int off = 0;
    for (int s = 0; s < m; s++) {
      nf_code v = xlo[s];
      if (s < t->n) {
        int b = t->bits[s];
        nf_code raw = (nf_code)((p >> off) & ((1L << b) - 1));
        off += b;
        v = xlo[s] < 0 && (raw >> (b - 1)) ? raw - ((nf_code)1 << b) : raw;
        v = v < xlo[s] ? xlo[s] : v > xhi[s] ? xhi[s] : v;
      }
      x[s] = v;
    }
    nf_code yd, ya;
    nf_rtl_dense_ops.reference(&d1, x, &yd);
    nf_rtl_act_relu.reference(&a1, &yd, &ya);
    t->table[p] = ya;
    if (p == 0 || ya < t->lo) t->lo = ya;
    if (p == 0 || ya > t->hi) t->hi = ya;
  }
  free(w), free(x), free(xlo), free(xhi);
  if (!rc) {
    t->w = nf_rtl_signed_width(t->lo, t->hi);
    if (!(t->support = nf_calloc((size_t)t->w, sizeof *t->support, err))) rc = NF_EINTERNAL;
    for (int b = 0; !rc && b < t->w; b++) t->support[b] = support(t, b);
  }
  if (rc) lut_free(t);
  return rc;
}

static long luts_of_support(int s) {
  if (s == 0) return 0;
  if (s <= 6) return 1;
  long l6 = 1L << (s - 6);
  return s <= 8 ? l6 : l6 + (l6 + 3) / 4;
}

static int levels_of_support(int s) { return s <= 6 ? 1 : s <= 8 ? 2 : 3; }

/* The LUTs of a neuron's output bits and its LUT levels. */
static long lut_luts(const lut_neuron *t, int *levels) {
  long luts = 0;
  *levels = 0;
  for (int b = 0; b < t->w; b++) {
    int s = t->support[b];
    luts += luts_of_support(s);
    if (s && levels_of_support(s) > *levels) *levels = levels_of_support(s);
  }
  return luts;
}

/* Layer l may be built as tables: nf_rtl_lut_choose's first condition. */
static bool lut_candidate(const nf_design *d, int l) {
  if (d->lut_bits <= 0 || l + 1 >= d->n_hw) return false;
  const nf_design_layer *D = &d->layers[l], *A = &d->layers[l + 1];
  if (D->kind != NF_LAYER_DENSE || D->reuse_factor > 1 || !D->weights) return false;
  if (A->kind != NF_LAYER_ACTIVATION || A->act != NF_ACT_RELU || A->n_in != D->n_out) return false;
  for (int j = 0; j < D->n_out; j++)
    if (neuron_bits(D, j, NULL, NULL) > d->lut_bits) return false;
  return true;
}

/* The generator's cost of the two layers built with adders (one fused module
 * where ReLUFusion takes them), in quarter LUTs (as dense.c's trial weighs
 * its counts: a carry-chain xor bit or a register bit one, a folded xor bit
 * 3/4), with the input types' ranges. */
static int arithmetic_score(const nf_design *d, int l, long *score, nf_error *err) {
  const nf_design_layer *D = &d->layers[l], *A = &d->layers[l + 1];
  int width = D->n_in > D->n_out ? D->n_in : D->n_out;
  nf_code *lo = nf_calloc((size_t)width, sizeof *lo, err), *hi = nf_calloc((size_t)width, sizeof *hi, err);
  FILE *null = fopen("/dev/null", "w");
  int rc = !lo || !hi ? NF_EINTERNAL : !null ? nf_fail(err, NF_EINTERNAL, "/dev/null: cannot open") : NF_OK;
  double budget = nf_rtl_stage_budget_ns(d);
  bool reg_act = nf_rtl_registers_activations(budget);
  for (int i = 0; i < D->n_in && !rc; i++) lo[i] = nf_fixed_min_code(&D->input_t), hi[i] = nf_fixed_max_code(&D->input_t);
  nf_code *offset = rc ? NULL : nf_calloc((size_t)D->n_out, sizeof *offset, err);
  if (!rc && !offset) rc = NF_EINTERNAL;
  bool fused = !rc && d->relu_fusion && nf_rtl_relu_fold(D, A, NULL, NULL, offset);
  nf_rtl_cost c = {0};
  for (int s = 0; s < (fused ? 1 : 2) && !rc; s++) {
    const nf_design_layer *L = s ? A : D;
    rtl_gen g = {.fp = null, .err = err, .range_lo = lo, .range_hi = hi, .style = d->rtl_style, .cost = &c,
                 .layer = L->name, .reg_act = reg_act, .budget_ns = budget};
    if (fused) g.fused_relu = A, g.relu_offset = offset, g.tail_ns = NF_RTL_CLIP_NS;
    int lat;
    rc = nf_rtl_ops_of(L)->emit(&g, d->project, L, nf_rtl_levels_per_stage(budget), &lat);
    if (g.oom && !rc) rc = NF_EINTERNAL;
    nf_rtl_free(&g);
  }
  if (null) fclose(null);
  *score = 4 * (c.xor_bits + c.reg_bits + c.sat_bits + c.relu_round_bits + c.sat_reg_luts) - c.merged_xor_bits;
  free(lo), free(hi), free(offset);
  return rc;
}

int nf_rtl_lut_choose(const nf_design *d, int l, bool *fuse, nf_error *err) {
  *fuse = false;
  if (!lut_candidate(d, l)) return NF_OK;
  const nf_design_layer *D = &d->layers[l], *A = &d->layers[l + 1];
  long tables = 0; /* with the input types' ranges: the units are chosen before the ranges are known */
  for (int j = 0; j < D->n_out; j++) {
    lut_neuron t;
    int rc = lut_build(D, A, j, NULL, NULL, d->lut_bits, &t, err);
    if (rc) return rc == NF_EINPUT ? NF_OK : rc;
    int levels; /* the table's LUTs and its register's live bits */
    tables += 4 * (lut_luts(&t, &levels) + (t.lo == t.hi ? 0 : t.w - (t.lo >= 0 ? 1 : 0)));
    lut_free(&t);
  }
  long arith = 0;
  int rc = arithmetic_score(d, l, &arith, err);
  if (!rc) *fuse = tables < arith;
  return rc;
}

/* "<layer>_o<j>_tt<b>": a localparam of the 2^k entries' bit b, entry 0 lowest. */
static void write_table_bit(rtl_gen *g, const lut_neuron *t, int j, int bit) {
  long n = 1L << t->k;
  int digits = (int)((n + 3) / 4);
  fprintf(g->fp, "  localparam [%ld:0] %s_o%d_tt%d = %ld'h", n - 1, g->layer, j, bit, n);
  for (int h = digits - 1; h >= 0; h--) {
    int v = 0;
    for (int q = 3; q >= 0; q--) {
      long p = 4L * h + q;
      v = 2 * v + (p < n ? entry_bit(t, p, bit) : 0);
    }
    fputc("0123456789abcdef"[v], g->fp);
  }
  fputs(";\n", g->fp);
}

int nf_rtl_emit_lut(rtl_gen *g, const nf_design *d, const nf_design_layer *D, const nf_design_layer *A, int *latency) {
  const nf_fixed_type *ti = &D->input_t, *tr = &A->result_t;
  /* the inputs' ranges, copied: the output registers overwrite g->range_lo/hi as they go */
  int *xsig = nf_calloc((size_t)D->n_in, sizeof *xsig, g->err);
  nf_code *lo = nf_calloc((size_t)D->n_in, sizeof *lo, g->err), *hi = nf_calloc((size_t)D->n_in, sizeof *hi, g->err);
  if (!xsig || !lo || !hi) {
    free(xsig), free(lo), free(hi);
    return NF_EINTERNAL;
  }
  for (int i = 0; i < D->n_in; i++) lo[i] = rtl_in_lo(g, i, ti), hi[i] = rtl_in_hi(g, i, ti);
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", D->n_in * ti->width);
  fprintf(g->fp, "  // <layer>_x<i>: input i (read by some neuron); neuron j = relu(dense) as a truth table:\n"
                 "  // <layer>_o<j>_idx its inputs' bits, <layer>_o<j>_tt<b> bit b of its 2^k entries, <layer>_o<j>\n");
  for (int i = 0; i < D->n_in && !g->oom; i++) {
    xsig[i] = -1;
    bool read = false;
    for (int j = 0; j < D->n_out && !read; j++) read = D->weights[(size_t)i * D->n_out + j] != 0;
    if (read) xsig[i] = nf_rtl_dense_input(g, in, i, ti);
  }
  int rc = NF_OK, worst = 0;
  for (int j = 0; j < D->n_out && !rc && !g->oom; j++) {
    lut_neuron t;
    rc = lut_build(D, A, j, lo, hi, d->lut_bits > 0 ? d->lut_bits : NF_LUT_BITS_MAX, &t, g->err);
    if (rc == NF_EINPUT)
      rc = nf_fail(g->err, NF_EINPUT, "layer %s: neuron %d reads more than %d index bits; it cannot be a table", D->name,
                   j, d->lut_bits);
    if (rc) break;
    int y = nf_rtl_new_sig(g, t.lo, t.hi, "%s_o%d", g->layer, j);
    if (g->oom) {
      lut_free(&t);
      break;
    }
    int w = t.w, levels = 0; /* = g->sigs[y].width */
    long luts = lut_luts(&t, &levels);
    if (g->cost) g->cost->table_luts += luts;
    worst = levels > worst ? levels : worst;
    char idx[RTL_NAME + 8];
    snprintf(idx, sizeof idx, "%s_o%d_idx", g->layer, j);
    bool varies = luts > 0; /* some output bit is not a constant: the index is read */
    if (varies) {
      fprintf(g->fp, "  wire [%d:0] %s = {", t.k - 1, idx);
      for (int s = t.n - 1; s >= 0; s--) {
        char sl[RTL_NAME + 32];
        nf_rtl_slice(g, sl, sizeof sl, xsig[t.in[s]], t.bits[s] - 1, 0);
        fprintf(g->fp, "%s%s", sl, s ? ", " : "};\n");
      }
    }
    size_t cap = (size_t)w * (RTL_NAME + 48) + 8;
    char *e = nf_malloc(cap, g->err);
    if (!e) {
      lut_free(&t);
      rc = NF_EINTERNAL;
      break;
    }
    size_t len = 0;
    if (!varies) {
      nf_rtl_literal(e, cap, t.lo, w);
    } else {
      len += (size_t)snprintf(e + len, cap - len, "{");
      for (int b = w - 1; b >= 0; b--) {
        int s = t.support[b];
        if (s) write_table_bit(g, &t, j, b);
        if (s) len += (size_t)snprintf(e + len, cap - len, "%s_o%d_tt%d[%s]", g->layer, j, b, idx);
        else len += (size_t)snprintf(e + len, cap - len, "1'b%d", entry_bit(&t, 0, b));
        len += (size_t)snprintf(e + len, cap - len, "%s", b ? ", " : "}");
      }
    }
    nf_rtl_wire(g, y, e);
    free(e);
    lut_free(&t);
    nf_rtl_output_reg(g, j, y, tr);
  }
  free(xsig), free(lo), free(hi);
  if (rc) return rc;
  g->stage_ns = NF_RTL_REG_NS + (g->in_act ? NF_RTL_ACT_NS : 0) + worst * NF_RTL_ADDER_NS;
  *latency = 1;
  nf_rtl_valid_one(g);
  nf_rtl_sink(g, NULL);
  return g->oom ? NF_EINTERNAL : NF_OK;
}
