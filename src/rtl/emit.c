/* Range-tracked Verilog netlist primitives: adders trimmed to the exact range
 * of their result, registers, and the hardware form of an ap_fixed cast. */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

int rtl_signed_width(nf_code lo, nf_code hi) {
  int w = 1;
  while (w < 127) {
    nf_code mn = -((nf_code)1 << (w - 1)), mx = ((nf_code)1 << (w - 1)) - 1;
    if (lo >= mn && hi <= mx) break;
    w++;
  }
  return w;
}

/* Verilog literal of v in `width` bits, two's complement, signed. */
void rtl_literal(char *buf, size_t n, nf_code v, int width) {
  unsigned __int128 u = (unsigned __int128)v;
  if (width < 128) u &= (((unsigned __int128)1 << width) - 1);
  char hex[40];
  int k = 0;
  do {
    hex[k++] = "0123456789abcdef"[(int)(u & 15)];
    u >>= 4;
  } while (u);
  int off = snprintf(buf, n, "%d'sh", width);
  for (int i = k - 1; i >= 0 && off + 1 < (int)n; i--) buf[off++] = hex[i];
  buf[off] = '\0';
}

int rtl_new_sig(rtl_gen *g, nf_code lo, nf_code hi) {
  if (g->n_sigs == g->cap_sigs) {
    int cap = g->cap_sigs ? 2 * g->cap_sigs : 1024;
    rtl_sig *s = nf_realloc(g->sigs, (size_t)cap * sizeof *s, g->err);
    if (!s) {
      g->oom = true;
      return 0;
    }
    g->sigs = s;
    g->cap_sigs = cap;
  }
  rtl_sig *s = &g->sigs[g->n_sigs];
  s->lo = lo;
  s->hi = hi;
  s->width = rtl_signed_width(lo, hi);
  return g->n_sigs++;
}

int rtl_live_bits(const rtl_gen *g, int sig) {
  const rtl_sig *s = &g->sigs[sig];
  if (s->lo == s->hi) return 0;
  /* a value that never changes sign has a constant sign bit */
  return s->width - (s->lo >= 0 || s->hi < 0 ? 1 : 0);
}

void rtl_cost_adder(rtl_gen *g, int sig, int pass, bool constant) {
  if (!g->cost || g->oom) return;
  int bits = rtl_live_bits(g, sig) - pass;
  if (bits < 0) bits = 0;
  g->cost->adders++;
  g->cost->add_bits += bits;
  if (constant) g->cost->const_add_bits += bits;
}

/* DSP48E2 tiles (27x18 signed) for an a-bit by b-bit multiplier. */
static long dsp_tiles(int a, int b) {
  long ab = (long)((a + 26) / 27) * ((b + 17) / 18), ba = (long)((b + 26) / 27) * ((a + 17) / 18);
  return ab < ba ? ab : ba;
}

void rtl_cost_multiplier(rtl_gen *g, int x, int y) {
  if (!g->cost || g->oom) return;
  g->cost->muls++;
  g->cost->mul_bits += (long)rtl_live_bits(g, x) * rtl_live_bits(g, y);
  g->cost->dsp += dsp_tiles(g->sigs[x].width, g->sigs[y].width);
}

static int trailing_zeros(nf_code c) {
  int n = 0;
  if (c == 0) return 127;
  while (!(c & 1)) c >>= 1, n++;
  return n;
}

void rtl_term_range(const rtl_gen *g, const rtl_term *t, nf_code *lo, nf_code *hi) {
  nf_code a, b;
  if (t->sig < 0) {
    a = b = t->cval;
  } else {
    a = g->sigs[t->sig].lo * ((nf_code)1 << t->shift);
    b = g->sigs[t->sig].hi * ((nf_code)1 << t->shift);
  }
  if (t->sign < 0) {
    nf_code na = -b;
    b = -a;
    a = na;
  }
  *lo = a;
  *hi = b;
}

/* Operand text of a term's magnitude, aligned to `base` shift. */
static void operand(const rtl_gen *g, const rtl_term *t, int base, char *buf, size_t n) {
  int sh = t->shift - base;
  if (t->sig < 0) {
    nf_code c = t->cval * (t->sign < 0 ? -1 : 1);
    rtl_literal(buf, n, c, rtl_signed_width(c, c));
  } else if (sh == 0) {
    snprintf(buf, n, "s%d", t->sig);
  } else {
    snprintf(buf, n, "$signed({s%d, %d'd0})", t->sig, sh);
  }
}

/* a + b as one trimmed adder. Signs are carried, not computed: (-a)+(-b) is
 * emitted as a+b with a negative term sign, so negation costs nothing until
 * a value is needed on its own (rtl_materialize). Constants are folded into
 * the term as literals (their sign applied). */
rtl_term rtl_add(rtl_gen *g, rtl_term a, rtl_term b) {
  if (a.sig < 0 && b.sig < 0) {
    nf_code va = a.sign * a.cval, vb = b.sign * b.cval;
    return (rtl_term){.sig = -1, .sign = 1, .cval = va + vb};
  }
  /* constant: treat as a positive term at shift 0 holding its signed value */
  if (a.sig < 0) {
    a.cval *= a.sign;
    a.sign = 1;
  }
  if (b.sig < 0) {
    b.cval *= b.sign;
    b.sign = 1;
  }
  if (a.sign < 0 && b.sign > 0) {
    rtl_term t = a;
    a = b;
    b = t;
  }
  /* shifts are never negative; constants live at shift 0 */
  int base = a.shift < b.shift ? a.shift : b.shift;
  if (a.sig < 0 || b.sig < 0) base = 0;
  bool both_neg = a.sign < 0 && b.sign < 0;
  rtl_term ma = a, mb = b;
  ma.sign = 1;
  mb.sign = both_neg ? 1 : b.sign;
  ma.shift -= base;
  mb.shift -= base;
  if (ma.sig < 0) ma.shift = 0;
  if (mb.sig < 0) mb.shift = 0;
  nf_code alo, ahi, blo, bhi;
  rtl_term ra = ma, rb = mb;
  rb.sign = 1;
  rtl_term_range(g, &ra, &alo, &ahi);
  rtl_term_range(g, &rb, &blo, &bhi);
  nf_code lo, hi;
  bool sub = !both_neg && b.sign < 0;
  if (sub) {
    lo = alo - bhi;
    hi = ahi - blo;
  } else {
    lo = alo + blo;
    hi = ahi + bhi;
  }
  int id = rtl_new_sig(g, lo, hi);
  if (g->oom) return (rtl_term){.sig = -1};
  char oa[128], ob[128];
  ra.shift = ma.shift;
  rb.shift = mb.shift;
  operand(g, &ra, 0, oa, sizeof oa);
  operand(g, &rb, 0, ob, sizeof ob);
  fprintf(g->fp, "  wire signed [%d:0] s%d = %s %c %s;\n", g->sigs[id].width - 1, id, oa, sub ? '-' : '+', ob);
  g->adders++;
  /* the low bits below the other operand's lowest possibly-nonzero bit pass through */
  bool constant = ra.sig < 0 || rb.sig < 0;
  int low_a = ra.sig < 0 ? trailing_zeros(ra.cval) : ra.shift, low_b = rb.sig < 0 ? trailing_zeros(rb.cval) : rb.shift;
  rtl_cost_adder(g, id, low_a > low_b ? low_a : low_b, constant);
  return (rtl_term){.sig = id, .shift = base, .sign = both_neg ? -1 : 1};
}

/* A term as a plain signal holding exactly its value (shift and sign applied). */
int rtl_materialize(rtl_gen *g, rtl_term t) {
  if (t.sig >= 0 && t.sign > 0 && t.shift == 0) return t.sig;
  nf_code lo, hi;
  rtl_term_range(g, &t, &lo, &hi);
  int id = rtl_new_sig(g, lo, hi);
  if (g->oom) return 0;
  char op[128];
  rtl_term mag = t;
  mag.sign = 1;
  if (t.sig < 0) {
    rtl_literal(op, sizeof op, t.cval * t.sign, g->sigs[id].width);
    fprintf(g->fp, "  wire signed [%d:0] s%d = %s;\n", g->sigs[id].width - 1, id, op);
    return id;
  }
  operand(g, &mag, 0, op, sizeof op);
  if (t.sign < 0) g->adders++, rtl_cost_adder(g, id, t.shift, false);
  fprintf(g->fp, "  wire signed [%d:0] s%d = %s%s;\n", g->sigs[id].width - 1, id, t.sign < 0 ? "-" : "", op);
  return id;
}

int rtl_register(rtl_gen *g, int sig) {
  int id = rtl_new_sig(g, g->sigs[sig].lo, g->sigs[sig].hi);
  if (g->oom) return 0;
  fprintf(g->fp, "  reg signed [%d:0] s%d; always @(posedge clk) s%d <= s%d;\n", g->sigs[id].width - 1, id, id, sig);
  g->regs += g->sigs[id].width;
  if (g->cost) g->cost->reg_bits += rtl_live_bits(g, id);
  return id;
}

static bool round_up(nf_qmode q, bool neg, bool odd, int cmp_half, bool exact) {
  if (exact) return false;
  switch (q) {
  case NF_Q_TRN: return false;
  case NF_Q_TRN_ZERO: return neg;
  case NF_Q_RND: return cmp_half >= 0;
  case NF_Q_RND_ZERO: return cmp_half > 0 || (cmp_half == 0 && neg);
  case NF_Q_RND_MIN_INF: return cmp_half > 0;
  case NF_Q_RND_INF: return cmp_half > 0 || (cmp_half == 0 && !neg);
  case NF_Q_RND_CONV: return cmp_half > 0 || (cmp_half == 0 && odd);
  }
  return false;
}

/* v * 2^-drop quantized with mode q (drop > 0), as an integer. */
nf_code rtl_quantize(nf_code v, int drop, nf_qmode q) {
  if (drop <= 0) return v * ((nf_code)1 << -drop);
  if (drop > 120) drop = 120; /* ranges here never come near: keeps the shifts defined */
  nf_code fl = v >> drop;
  unsigned __int128 rem = (unsigned __int128)v & (((unsigned __int128)1 << drop) - 1);
  unsigned __int128 half = (unsigned __int128)1 << (drop - 1);
  int cmp = rem < half ? -1 : rem == half ? 0 : 1;
  return fl + round_up(q, v < 0, fl & 1, cmp, rem == 0);
}

static void type_range(const nf_fixed_type *t, nf_code *lo, nf_code *hi, bool sym) {
  *lo = nf_fixed_min_code(t);
  *hi = nf_fixed_max_code(t);
  if (sym && t->is_signed) *lo = -*hi;
}

void rtl_cast_range(nf_code lo, nf_code hi, int frac, const nf_fixed_type *t, bool overflow, nf_code *olo,
                    nf_code *ohi) {
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code qlo = rtl_quantize(lo, drop, t->q), qhi = rtl_quantize(hi, drop, t->q);
  nf_code tlo, thi;
  type_range(t, &tlo, &thi, false);
  if (!overflow || (qlo >= tlo && qhi <= thi)) {
    *olo = qlo;
    *ohi = qhi;
    return;
  }
  switch (t->o) {
  case NF_O_WRAP: *olo = tlo; *ohi = thi; return;
  case NF_O_SAT_ZERO:
    *olo = qlo < tlo ? tlo : qlo; *ohi = qhi > thi ? thi : qhi;
    if (*olo > 0) *olo = 0;
    if (*ohi < 0) *ohi = 0;
    return;
  case NF_O_SAT:
  case NF_O_SAT_SYM:
    type_range(t, &tlo, &thi, t->o == NF_O_SAT_SYM);
    *olo = qlo < tlo ? tlo : qlo > thi ? thi : qlo;
    *ohi = qhi > thi ? thi : qhi < tlo ? tlo : qhi;
    return;
  }
}

/* The 1-bit round-up condition of mode q on the `drop` low bits of e. */
static void round_expr(char *buf, size_t n, nf_qmode q, int e, int we, int drop) {
  char half[160], rem[64];
  int k = snprintf(half, sizeof half, "%d'b1", drop);
  for (int i = 1; i < drop && k + 1 < (int)sizeof half; i++) half[k++] = '0';
  half[k] = '\0';
  snprintf(rem, sizeof rem, "s%d[%d:0]", e, drop - 1);
  switch (q) {
  case NF_Q_TRN: snprintf(buf, n, "1'b0"); break;
  case NF_Q_TRN_ZERO: snprintf(buf, n, "(s%d[%d] & (|%s))", e, we - 1, rem); break;
  case NF_Q_RND: snprintf(buf, n, "s%d[%d]", e, drop - 1); break;
  case NF_Q_RND_ZERO: snprintf(buf, n, "((%s > %s) | ((%s == %s) & s%d[%d]))", rem, half, rem, half, e, we - 1); break;
  case NF_Q_RND_MIN_INF: snprintf(buf, n, "(%s > %s)", rem, half); break;
  case NF_Q_RND_INF: snprintf(buf, n, "((%s > %s) | ((%s == %s) & ~s%d[%d]))", rem, half, rem, half, e, we - 1); break;
  case NF_Q_RND_CONV: snprintf(buf, n, "((%s > %s) | ((%s == %s) & s%d[%d]))", rem, half, rem, half, e, drop); break;
  }
}

/* Hardware ap_fixed cast. Quantization: keep the high bits (floor) and add
 * the mode's round-up bit; overflow: slice (wrap) or compare-and-select
 * (saturation), only where the value range can actually overflow. */
int rtl_cast(rtl_gen *g, int sig, int frac, const nf_fixed_type *t, bool overflow) {
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code lo = g->sigs[sig].lo, hi = g->sigs[sig].hi;
  nf_code qlo = rtl_quantize(lo, drop, t->q), qhi = rtl_quantize(hi, drop, t->q);
  int q = sig;
  if (drop < 0) {
    q = rtl_new_sig(g, qlo, qhi);
    if (g->oom) return 0;
    fprintf(g->fp, "  wire signed [%d:0] s%d = $signed({s%d, %d'd0});\n", g->sigs[q].width - 1, q, sig, -drop);
  } else if (drop > 0) {
    /* sign-extend so that at least one bit stays above the dropped ones */
    int e = sig;
    if (g->sigs[sig].width < drop + 2) {
      e = rtl_new_sig(g, lo, hi);
      if (g->oom) return 0;
      g->sigs[e].width = drop + 2;
      fprintf(g->fp, "  wire signed [%d:0] s%d = s%d;\n", drop + 1, e, sig);
    }
    int we = g->sigs[e].width;
    q = rtl_new_sig(g, qlo, qhi);
    if (g->oom) return 0;
    if (t->q == NF_Q_TRN) {
      fprintf(g->fp, "  wire signed [%d:0] s%d = $signed(s%d[%d:%d]);\n", g->sigs[q].width - 1, q, e, we - 1, drop);
    } else {
      char up[600];
      round_expr(up, sizeof up, t->q, e, we, drop);
      /* the round-up bit as a zero-extended wire of the sum's full width:
       * Verilator 5.006 miscomputes narrower forms in some contexts (found by
       * co-simulation against Icarus) */
      int inc = rtl_new_sig(g, 0, 1);
      if (g->oom) return 0;
      g->sigs[inc].width = g->sigs[q].width < 2 ? 2 : g->sigs[q].width;
      fprintf(g->fp, "  wire signed [%d:0] s%d = {%d'd0, %s};\n", g->sigs[inc].width - 1, inc, g->sigs[inc].width - 1, up);
      fprintf(g->fp, "  wire signed [%d:0] s%d = $signed(s%d[%d:%d]) + s%d;\n", g->sigs[q].width - 1, q, e, we - 1,
              drop, inc);
      g->adders++;
      if (g->cost && !g->oom) g->cost->adders++, g->cost->round_bits += rtl_live_bits(g, q);
    }
  }
  nf_code tlo = nf_fixed_min_code(t), thi = nf_fixed_max_code(t);
  if (!overflow || (qlo >= tlo && qhi <= thi)) return q;

  nf_code olo, ohi;
  rtl_cast_range(lo, hi, frac, t, true, &olo, &ohi);
  int out = rtl_new_sig(g, olo, ohi);
  if (g->oom) return 0;
  int wq = g->sigs[q].width, wo = g->sigs[out].width;
  if (t->o == NF_O_WRAP) {
    int src = q;
    if (wq < t->width) {
      src = rtl_new_sig(g, qlo, qhi);
      if (g->oom) return 0;
      g->sigs[src].width = t->width;
      fprintf(g->fp, "  wire signed [%d:0] s%d = s%d;\n", t->width - 1, src, q);
    }
    if (t->is_signed)
      fprintf(g->fp, "  wire signed [%d:0] s%d = $signed(s%d[%d:0]);\n", wo - 1, out, src, t->width - 1);
    else
      fprintf(g->fp, "  wire signed [%d:0] s%d = {1'b0, s%d[%d:0]};\n", wo - 1, out, src, t->width - 1);
    return out;
  }
  nf_code mn = tlo, mx = thi;
  if (t->o == NF_O_SAT_SYM && t->is_signed) mn = -thi;
  char lmax[64], lmin[64];
  rtl_literal(lmax, sizeof lmax, mx, wq + 1);
  rtl_literal(lmin, sizeof lmin, mn, wq + 1);
  char over[200] = "1'b0", under[200] = "1'b0";
  if (qhi > mx) snprintf(over, sizeof over, "(s%d > %s)", q, lmax);
  if (qlo < mn) snprintf(under, sizeof under, "(s%d < %s)", q, lmin);
  if (g->cost) g->cost->sat_bits += (long)wq * ((qhi > mx) + (qlo < mn)) + rtl_live_bits(g, out);
  if (t->o == NF_O_SAT_ZERO)
    fprintf(g->fp, "  wire signed [%d:0] s%d = (%s | %s) ? %d'sd0 : s%d;\n", wo - 1, out, over, under, wo, q);
  else
    fprintf(g->fp, "  wire signed [%d:0] s%d = %s ? %s : %s ? %s : s%d;\n", wo - 1, out, over, lmax, under, lmin, q);
  return out;
}

int rtl_levels_per_stage(double clock_ns) {
  if (clock_ns <= 0) clock_ns = 5.0;
  int k = (int)((clock_ns - NF_RTL_MARGIN_NS) / NF_RTL_ADDER_NS);
  return k < 1 ? 1 : k;
}
