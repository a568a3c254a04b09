/* Range-tracked Verilog netlist primitives: adders trimmed to the exact range
 * of their result, registers, and the hardware form of an ap_fixed cast. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

int nf_rtl_signed_width(nf_code lo, nf_code hi) {
  int w = 1;
  while (w < 127) {
    nf_code mn = -((nf_code)1 << (w - 1)), mx = ((nf_code)1 << (w - 1)) - 1;
    if (lo >= mn && hi <= mx) break;
    w++;
  }
  return w;
}

/* Verilog literal of v in `width` bits, two's complement, signed. */
void nf_rtl_literal(char *buf, size_t n, nf_code v, int width) {
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

int nf_rtl_new_sig(rtl_gen *g, nf_code lo, nf_code hi, const char *fmt, ...) {
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
  s->width = nf_rtl_signed_width(lo, hi);
  s->used = 0;
  s->reg = -1;
  s->canon = g->n_sigs;
  s->canon_reg = -1;
  s->root = -1;
  s->pass = 0;
  s->src = -1;
  s->sum = false;
  s->nread = 0;
  s->into = -1;
  s->xbits = 0;
  s->rd = s->regd = 0;
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(s->name, sizeof s->name, fmt, ap);
  va_end(ap);
  s->base_len = len < (int)sizeof s->name ? len : (int)sizeof s->name - 1;
  return g->n_sigs++;
}

static void mark(rtl_gen *g, int sig, int hi, int lo) {
  if (g->oom || sig < 0 || sig >= g->n_sigs || hi < lo) return;
  rtl_sig *s = &g->sigs[sig];
  s->nread++;
  if (lo < 0) lo = 0;
  if (hi > s->width - 1) hi = s->width - 1;
  for (int b = lo; b <= hi; b++) s->used |= (unsigned __int128)1 << b, s->rd |= (unsigned __int128)1 << b;
}

const char *nf_rtl_ref(rtl_gen *g, int sig) {
  if (g->oom) return "oom";
  mark(g, sig, g->sigs[sig].width - 1, 0);
  return g->sigs[sig].name;
}

void nf_rtl_bit(rtl_gen *g, char *buf, size_t n, int sig, int bit) {
  if (g->oom) return (void)snprintf(buf, n, "oom");
  mark(g, sig, bit, bit);
  snprintf(buf, n, "%s[%d]", g->sigs[sig].name, bit);
}

void nf_rtl_slice(rtl_gen *g, char *buf, size_t n, int sig, int hi, int lo) {
  if (g->oom) return (void)snprintf(buf, n, "oom");
  mark(g, sig, hi, lo);
  if (hi == lo) snprintf(buf, n, "%s[%d]", g->sigs[sig].name, hi);
  else snprintf(buf, n, "%s[%d:%d]", g->sigs[sig].name, hi, lo);
}

void nf_rtl_ext(rtl_gen *g, char *buf, size_t n, int sig, int drop, int shift, int width) {
  if (g->oom) return (void)snprintf(buf, n, "oom");
  const rtl_sig *s = &g->sigs[sig];
  const char *nm = s->name;
  int w = s->width;
  if (drop >= w) drop = w - 1; /* only sign copies remain */
  int body = width - shift;    /* bits taken from sig >>> drop */
  char zeros[32] = "";
  if (shift > 0) snprintf(zeros, sizeof zeros, ", %d'd0", shift);
  if (body <= 0) {
    snprintf(buf, n, "%d'd0", width);
    return;
  }
  int avail = w - drop; /* bits of sig >>> drop before sign extension */
  if (body <= avail) {
    int hi = drop + body - 1;
    mark(g, sig, hi, drop);
    if (shift == 0 && drop == 0 && body == w) snprintf(buf, n, "%s", nm);
    else if (shift == 0) snprintf(buf, n, "%s[%d:%d]", nm, hi, drop);
    else if (drop == 0 && body == w) snprintf(buf, n, "{%s%s}", nm, zeros);
    else snprintf(buf, n, "{%s[%d:%d]%s}", nm, hi, drop, zeros);
    return;
  }
  int k = body - avail;
  mark(g, sig, w - 1, drop);
  char sign[RTL_NAME + 32], part[RTL_NAME + 32];
  if (k == 1) snprintf(sign, sizeof sign, "%s[%d]", nm, w - 1);
  else snprintf(sign, sizeof sign, "{%d{%s[%d]}}", k, nm, w - 1);
  if (drop == 0) snprintf(part, sizeof part, "%s", nm);
  else if (drop == w - 1) snprintf(part, sizeof part, "%s[%d]", nm, drop);
  else snprintf(part, sizeof part, "%s[%d:%d]", nm, w - 1, drop);
  snprintf(buf, n, "{%s, %s%s}", sign, part, zeros);
}

void nf_rtl_sext(rtl_gen *g, char *buf, size_t n, int sig, int width) {
  char e[2 * RTL_NAME + 80];
  nf_rtl_ext(g, e, sizeof e, sig, 0, 0, width);
  if (e[0] == '{') snprintf(buf, n, "$signed(%s)", e);
  else if (strchr(e, '[')) snprintf(buf, n, "$signed(%s)", e); /* a part-select is unsigned */
  else snprintf(buf, n, "%s", e);
}

void nf_rtl_wire(rtl_gen *g, int sig, const char *expr) {
  if (g->oom) return;
  fprintf(g->fp, "  wire signed [%d:0] %s = %s;\n", g->sigs[sig].width - 1, g->sigs[sig].name, expr);
}

rtl_bus *nf_rtl_bus_new(rtl_gen *g, const char *name, int width) {
  if (g->n_buses == g->cap_buses) {
    int cap = g->cap_buses ? 2 * g->cap_buses : 8;
    rtl_bus **nb = nf_realloc(g->buses, (size_t)cap * sizeof *nb, g->err);
    if (!nb) {
      g->oom = true;
      return NULL;
    }
    g->buses = nb;
    g->cap_buses = cap;
  }
  rtl_bus *b = nf_calloc(1, sizeof *b, g->err);
  bool *used = nf_calloc((size_t)width + 1, sizeof *used, g->err);
  if (!b || !used) {
    free(b), free(used);
    g->oom = true;
    return NULL;
  }
  b->name = name;
  b->width = width;
  b->used = used;
  g->buses[g->n_buses++] = b;
  return b;
}

void nf_rtl_bus_use(rtl_bus *b, int lo, int len) {
  if (!b) return;
  for (int i = lo; i < lo + len && i < b->width; i++)
    if (i >= 0) b->used[i] = true;
}

/* Appends one item of the sink. */
static void sink_item(FILE *fp, int *items, const char *name, int hi, int lo, bool whole) {
  fprintf(fp, "%s", *items % 4 == 0 ? ",\n    " : ", ");
  if (whole) fprintf(fp, "%s", name);
  else if (hi == lo) fprintf(fp, "%s[%d]", name, hi);
  else fprintf(fp, "%s[%d:%d]", name, hi, lo);
  (*items)++;
}

/* Records which bits of in_data were read (g->reads) before the buses go. */
static void record_reads(rtl_gen *g) {
  nf_rtl_reads *r = g->reads;
  if (!r || g->oom) return;
  for (int b = 0; b < g->n_buses; b++) {
    const rtl_bus *u = g->buses[b];
    if (strcmp(u->name, "in_data") || r->width < 0) continue;
    if (r->width == 0) {
      r->bit = nf_calloc((size_t)u->width + 1, sizeof *r->bit, g->err);
      if (!r->bit) {
        g->oom = true;
        return;
      }
      r->width = u->width;
    } else if (r->width != u->width) {
      free(r->bit);
      r->bit = NULL;
      r->width = -1;
      continue;
    }
    /* a bit read only into an input signal that nothing reads is not read */
    for (int m = 0; m < g->n_in_map; m++) {
      const struct rtl_in_map *x = &g->in_map[m];
      for (int k = 0; k < x->bits && k < 128 && x->bit0 + k < u->width; k++)
        u->used[x->bit0 + k] = (g->sigs[x->sig].used >> k) & 1;
    }
    for (int i = 0; i < u->width; i++) r->bit[i] |= u->used[i];
  }
  free(g->in_map);
  g->in_map = NULL;
  g->n_in_map = g->cap_in_map = 0;
}

void nf_rtl_map_input(rtl_gen *g, int sig, int bit0, int bits) {
  if (!g->reads || g->oom) return;
  if (g->n_in_map == g->cap_in_map) {
    int cap = g->cap_in_map ? 2 * g->cap_in_map : 64;
    struct rtl_in_map *t = nf_realloc(g->in_map, (size_t)cap * sizeof *t, g->err);
    if (!t) {
      g->oom = true;
      return;
    }
    g->in_map = t;
    g->cap_in_map = cap;
  }
  g->in_map[g->n_in_map++] = (struct rtl_in_map){.sig = sig, .bit0 = bit0, .bits = bits};
}

void nf_rtl_sink(rtl_gen *g, const char *extra) {
  record_reads(g);
  if (!g->oom) {
    int items = 0;
    for (int b = 0; b < g->n_buses; b++) {
      const rtl_bus *u = g->buses[b];
      for (int i = 0; i < u->width;) {
        if (u->used[i]) {
          i++;
          continue;
        }
        int j = i;
        while (j + 1 < u->width && !u->used[j + 1]) j++;
        if (items == 0)
          fprintf(g->fp, "  // bits nothing reads (below a quantization step, above a value's range, or\n"
                         "  // of inputs no weight uses), gathered so that lint sees them consumed\n"
                         "  wire unused_bits = &{1'b0");
        sink_item(g->fp, &items, u->name, j, i, i == 0 && j == u->width - 1);
        i = j + 1;
      }
    }
    for (int s = 0; s < g->n_sigs; s++) {
      const rtl_sig *x = &g->sigs[s];
      for (int i = 0; i < x->width;) {
        if ((x->used >> i) & 1) {
          i++;
          continue;
        }
        int j = i;
        while (j + 1 < x->width && !((x->used >> (j + 1)) & 1)) j++;
        if (items == 0)
          fprintf(g->fp, "  // bits nothing reads (below a quantization step, above a value's range, or\n"
                         "  // of inputs no weight uses), gathered so that lint sees them consumed\n"
                         "  wire unused_bits = &{1'b0");
        sink_item(g->fp, &items, x->name, j, i, i == 0 && j == x->width - 1);
        i = j + 1;
      }
    }
    if (g->en && !g->en_used) extra = extra ? (strcmp(extra, "clk, rst") ? extra : "clk, rst, en") : "en";
    if (extra) {
      if (items == 0) fprintf(g->fp, "  // inputs this module does not need, gathered so that lint sees them consumed\n"
                                     "  wire unused_bits = &{1'b0");
      fprintf(g->fp, ",\n    %s", extra);
      items++;
    }
    if (items) fprintf(g->fp, ",\n    1'b0};\n");
  }
  for (int b = 0; b < g->n_buses; b++) free(g->buses[b]->used), free(g->buses[b]);
  g->n_buses = 0;
}

const char *nf_rtl_clocked(rtl_gen *g) {
  if (!g->en) return "always @(posedge clk)";
  g->en_used = true;
  return "always @(posedge clk) if (en)";
}

void nf_rtl_valid_reg(rtl_gen *g, const char *lhs, const char *zero, const char *next) {
  if (!g->en) {
    fprintf(g->fp, "  always @(posedge clk) %s <= rst ? %s : %s;\n", lhs, zero, next);
    return;
  }
  g->en_used = true;
  fprintf(g->fp, "  always @(posedge clk) if (rst) %s <= %s; else if (en) %s <= %s;\n", lhs, zero, lhs, next);
}


int nf_rtl_live_bits(const rtl_gen *g, int sig) {
  const rtl_sig *s = &g->sigs[sig];
  if (s->lo == s->hi) return 0;
  /* a value that never changes sign has a constant sign bit */
  return s->width - (s->lo >= 0 || s->hi < 0 ? 1 : 0);
}

void nf_rtl_cost_adder(rtl_gen *g, int sig, int pass, bool constant) {
  if (!g->cost || g->oom) return;
  int bits = nf_rtl_live_bits(g, sig) - pass;
  if (bits < 0) bits = 0;
  g->cost->adders++;
  g->cost->add_bits += bits;
  if (constant) g->cost->const_add_bits += bits;
  else g->cost->xor_bits += bits; /* operands unknown here (accumulators, softmax): every bit */
}

void nf_rtl_cost_adder2(rtl_gen *g, int sig, int pass, bool constant, int a, int b) {
  if (!g->cost || g->oom) return;
  long before = g->cost->add_bits;
  nf_rtl_cost_adder(g, sig, pass, constant);
  if (!constant && !(a >= 0 && g->sigs[a].sum) && !(b >= 0 && g->sigs[b].sum)) g->cost->fresh_add_bits += g->cost->add_bits - before;
}

/* DSP48E2 tiles (27x18 signed) for an a-bit by b-bit multiplier. */
static long dsp_tiles(int a, int b) {
  long ab = (long)((a + 26) / 27) * ((b + 17) / 18), ba = (long)((b + 26) / 27) * ((a + 17) / 18);
  return ab < ba ? ab : ba;
}

void nf_rtl_cost_multiplier(rtl_gen *g, int x, int y) {
  if (!g->cost || g->oom) return;
  g->cost->muls++;
  g->cost->mul_bits += (long)nf_rtl_live_bits(g, x) * nf_rtl_live_bits(g, y);
  g->cost->dsp += dsp_tiles(g->sigs[x].width, g->sigs[y].width);
}

static int trailing_zeros(nf_code c) {
  int n = 0;
  if (c == 0) return 127;
  while (!(c & 1)) c >>= 1, n++;
  return n;
}

void nf_rtl_term_range(const rtl_gen *g, const rtl_term *t, nf_code *lo, nf_code *hi) {
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

/* Operand text of a term's magnitude in exactly `width` bits. */
static void operand(rtl_gen *g, const rtl_term *t, int width, char *buf, size_t n) {
  if (t->sig < 0) nf_rtl_literal(buf, n, t->cval * (t->sign < 0 ? -1 : 1), width);
  else nf_rtl_ext(g, buf, n, t->sig, 0, t->shift, width);
}

/* The signal and bit that bit b of s is a copy of (through the low bits
 * adders pass on, rtl_sig.root); -1 when the bit is constant. */
static int bit_origin(const rtl_gen *g, int s, int *b) {
  for (int depth = 0; depth < 256; depth++) {
    const rtl_sig *x = &g->sigs[g->sigs[s].canon];
    if (*b >= x->pass || x->root == -1) return g->sigs[s].canon;
    if (x->root == -2) return -1;
    s = x->root;
  }
  return g->sigs[s].canon;
}

/* Operand bit i of term t written at an adder's width (nf_rtl_ext: zeros
 * below the shift, sign copies above the signal): the bit it is a copy of as
 * origin * 128 + bit, or -1 when it is a constant. */
static long operand_bit(const rtl_gen *g, const rtl_term *t, int i) {
  if (t->sig < 0 || i < t->shift) return -1;
  const rtl_sig *s = &g->sigs[t->sig];
  if (s->lo == s->hi) return -1;
  int b = i - t->shift;
  if (b >= s->width - 1) b = s->width - 1; /* the sign bit: variable to synthesis even when the range
                                            * says it never changes (a ReLU's or a sum's top bit is
                                            * computed; nothing tells Yosys it is constant) */
  int o = bit_origin(g, t->sig, &b);
  return o < 0 ? -1 : (long)o * 128 + b;
}

/* Records the pair of operand bits a, b of a sum (sub false: the LUT is
 * a ^ b) or a difference (sub: a ^ ~b) (cost pass); false when some carry
 * bit of the layer already has that LUT. */
static bool xor_new(rtl_gen *g, long a, long b, bool sub) {
  uint64_t lo = (uint64_t)(a < b ? a : b), hi = (uint64_t)(a < b ? b : a);
  uint64_t k = ((lo << 32 | hi) << 1 | (sub ? 1u : 0u)) + 1;
  if (2 * (g->n_xors + 1) > g->cap_xors) {
    int cap = g->cap_xors ? 2 * g->cap_xors : 4096;
    uint64_t *t = nf_calloc((size_t)cap, sizeof *t, g->err);
    if (!t) {
      g->oom = true;
      return false;
    }
    for (int i = 0; i < g->cap_xors; i++) {
      if (!g->xors[i]) continue;
      size_t j = (size_t)((g->xors[i] * 0x9e3779b97f4a7c15ull) >> 20) & (size_t)(cap - 1);
      while (t[j]) j = (j + 1) & (size_t)(cap - 1);
      t[j] = g->xors[i];
    }
    free(g->xors);
    g->xors = t;
    g->cap_xors = cap;
  }
  size_t j = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (size_t)(g->cap_xors - 1);
  for (; g->xors[j]; j = (j + 1) & (size_t)(g->cap_xors - 1))
    if (g->xors[j] == k) return false;
  g->xors[j] = k;
  g->n_xors++;
  return true;
}

/* The carry-chain bits [pass, live) of ra + rb (or ra - rb, sub) that need a
 * LUT in front of the carry: both operand bits variable and distinct (a bit
 * against a constant is the other bit or its inverse; a bit against itself, a
 * constant), and a LUT no other carry bit of the layer has: the sign copies
 * above both operands share one. A sum's LUT (a ^ b) and a difference's of
 * the same two bits (a ^ ~b: x + (x << s) against x - (x << s) or
 * (x << s) - x) are two: the carry cell's select input has no inverter, and
 * Yosys' netlists keep both (the 95 %-pruned tagger at ap_fixed<10,4>: 7 such
 * pairs for one input of its last layer). */
static long xor_bits(rtl_gen *g, const rtl_term *ra, const rtl_term *rb, int pass, int live, bool sub) {
  long n = 0;
  for (int i = pass; i < live && i < 128; i++) {
    long a = operand_bit(g, ra, i), b = operand_bit(g, rb, i);
    if (a >= 0 && b >= 0 && a != b && xor_new(g, a, b, sub)) n++;
  }
  return n;
}

/* Identical adders: the same operation on the same signals (or copies of
 * them, rtl_sig.canon) at the same shifts and width. The generator builds
 * each tree's partial products on their own, so e.g. 3x = (x << 2) - x
 * recurs in many products of x; Yosys' opt_merge keeps one of each (and one
 * of the registers behind them), and so does the cost. */
typedef struct rtl_cse {
  int a, b, as, bs, op, width, id;
  nf_code ac, bc;
} rtl_cse;

static uint64_t cse_hash(const rtl_cse *k) {
  uint64_t h = 1469598103934665603ull;
  const int64_t f[] = {k->a, k->b, k->as, k->bs, k->op, k->width, (int64_t)k->ac, (int64_t)k->bc};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) h = (h ^ (uint64_t)f[i]) * 1099511628211ull, h ^= h >> 29;
  return h;
}

static bool cse_same(const rtl_cse *x, const rtl_cse *y) {
  return x->a == y->a && x->b == y->b && x->as == y->as && x->bs == y->bs && x->op == y->op &&
         x->width == y->width && x->ac == y->ac && x->bc == y->bc;
}

/* Looks the adder up (cost pass only): true when an identical one exists,
 * then sig becomes its copy; else it is recorded. op: '+', '-' (a - b), 'n' (-a). */
static bool cse_seen(rtl_gen *g, const rtl_term *ra, const rtl_term *rb, int op, int sig) {
  if (!g->cost || g->oom) return false;
  rtl_cse k = {.op = op, .width = g->sigs[sig].width, .id = sig};
  k.a = ra->sig < 0 ? -1 : g->sigs[ra->sig].canon, k.as = ra->sig < 0 ? 0 : ra->shift, k.ac = ra->sig < 0 ? ra->cval : 0;
  if (rb) k.b = rb->sig < 0 ? -1 : g->sigs[rb->sig].canon, k.bs = rb->sig < 0 ? 0 : rb->shift, k.bc = rb->sig < 0 ? rb->cval : 0;
  else k.b = -2;
  if (op == '+' && (k.b < k.a || (k.b == k.a && (k.bs < k.as || (k.bs == k.as && k.bc < k.ac))))) {
    int t = k.a, ts = k.as;
    nf_code tc = k.ac;
    k.a = k.b, k.as = k.bs, k.ac = k.bc, k.b = t, k.bs = ts, k.bc = tc;
  }
  if (2 * (g->n_cse + 1) > g->cap_cse) {
    int cap = g->cap_cse ? 2 * g->cap_cse : 4096;
    rtl_cse *t = nf_calloc((size_t)cap, sizeof *t, g->err);
    if (!t) {
      g->oom = true;
      return false;
    }
    for (int i = 0; i < g->cap_cse; i++) {
      if (!g->cse[i].width) continue;
      size_t j = cse_hash(&g->cse[i]) & (size_t)(cap - 1);
      while (t[j].width) j = (j + 1) & (size_t)(cap - 1);
      t[j] = g->cse[i];
    }
    free(g->cse);
    g->cse = t;
    g->cap_cse = cap;
  }
  size_t j = cse_hash(&k) & (size_t)(g->cap_cse - 1);
  for (; g->cse[j].width; j = (j + 1) & (size_t)(g->cap_cse - 1))
    if (cse_same(&g->cse[j], &k)) {
      g->sigs[sig].canon = g->sigs[g->cse[j].id].canon;
      return true;
    }
  g->cse[j] = k;
  g->n_cse++;
  return false;
}

/* a + b as one trimmed adder. Signs are carried, not computed: (-a)+(-b) is
 * emitted as a+b with a negative term sign, so negation costs nothing until
 * a value is needed on its own (nf_rtl_materialize). Constants are folded into
 * the term as literals (their sign applied). Both operands are written at the
 * result's width: the sum is exact mod 2^width, and the result fits. */
rtl_term nf_rtl_add(rtl_gen *g, rtl_term a, rtl_term b, const char *name) {
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
  nf_rtl_term_range(g, &ra, &alo, &ahi);
  nf_rtl_term_range(g, &rb, &blo, &bhi);
  nf_code lo, hi;
  bool sub = !both_neg && b.sign < 0;
  if (sub) {
    lo = alo - bhi;
    hi = ahi - blo;
  } else {
    lo = alo + blo;
    hi = ahi + bhi;
  }
  int id = nf_rtl_new_sig(g, lo, hi, "%s", name);
  if (g->oom) return (rtl_term){.sig = -1};
  char oa[2 * RTL_NAME + 80], ob[2 * RTL_NAME + 80], e[5 * RTL_NAME + 200];
  int w = g->sigs[id].width;
  operand(g, &ra, w, oa, sizeof oa);
  operand(g, &rb, w, ob, sizeof ob);
  snprintf(e, sizeof e, "%s %c %s", oa, sub ? '-' : '+', ob);
  nf_rtl_wire(g, id, e);
  g->adders++;
  /* the low bits below the other operand's lowest possibly-nonzero bit pass through, unless the
   * operand that has them is subtracted: a - (b << s) is a's low s bits, but (a << s) - b is
   * -b's, which the carry chain computes (only the bits below both are free: zeros) */
  bool constant = ra.sig < 0 || rb.sig < 0;
  int low_a = ra.sig < 0 ? trailing_zeros(ra.cval) : ra.shift, low_b = rb.sig < 0 ? trailing_zeros(rb.cval) : rb.shift;
  bool negated_low = sub && low_b < low_a;
  int pass = negated_low ? low_b : low_a > low_b ? low_a : low_b;
  if (!cse_seen(g, &ra, &rb, sub ? '-' : '+', id)) {
    long before = g->cost ? g->cost->xor_bits : 0;
    nf_rtl_cost_adder2(g, id, pass, constant, ra.sig, rb.sig);
    if (g->cost && !g->oom) {
      g->sigs[id].xbits = xor_bits(g, &ra, &rb, pass, g->sigs[id].lo == g->sigs[id].hi ? 0 : g->sigs[id].width, sub);
      g->cost->xor_bits = before + g->sigs[id].xbits;
      /* a sum read whole by an adder neither of whose operands is shifted is a summand Yosys'
       * alumacc can fold into that adder (cost_merged) */
      if ((ra.sig < 0 || ra.shift == 0) && (rb.sig < 0 || rb.shift == 0))
        for (int k = 0; k < 2; k++) {
          int o = k ? rb.sig : ra.sig;
          if (o >= 0 && g->sigs[o].sum) g->sigs[o].into = id;
        }
    }
  }
  g->sigs[id].sum = true;
  if (g->cost && !g->oom) { /* whose bits the low ones are (a register of them merges with theirs) */
    const rtl_term *low = low_a <= low_b ? &ra : &rb;
    rtl_sig *r = &g->sigs[id];
    r->pass = pass;
    r->root = negated_low || low->sig < 0 || low->shift != 0 ? -2 : g->sigs[low->sig].canon; /* -2: constant bits */
    if (low_a == low_b) r->pass = 0, r->root = -1;
  }
  return (rtl_term){.sig = id, .shift = base, .sign = both_neg ? -1 : 1};
}

/* A term as a plain signal holding exactly its value (shift and sign applied). */
int nf_rtl_materialize(rtl_gen *g, rtl_term t, const char *name) {
  if (t.sig >= 0 && t.sign > 0 && t.shift == 0) return t.sig;
  nf_code lo, hi;
  nf_rtl_term_range(g, &t, &lo, &hi);
  int id = nf_rtl_new_sig(g, lo, hi, "%s", name);
  if (g->oom) return 0;
  char op[2 * RTL_NAME + 80], e[2 * RTL_NAME + 90];
  int w = g->sigs[id].width;
  if (t.sig < 0) {
    nf_rtl_literal(op, sizeof op, t.cval * t.sign, w);
    nf_rtl_wire(g, id, op);
    return id;
  }
  rtl_term mag = t;
  mag.sign = 1;
  operand(g, &mag, w, op, sizeof op);
  if (t.sign < 0 && (g->adders++, !cse_seen(g, &mag, NULL, 'n', id))) {
    long before = g->cost ? g->cost->xor_bits : 0;
    nf_rtl_cost_adder2(g, id, t.shift, false, t.sig, -1);
    if (g->cost) g->cost->xor_bits = before; /* -x: each bit against a constant (~x + 1) */
  }
  if (t.sign < 0) g->sigs[id].sum = true;
  snprintf(e, sizeof e, "%s%s", t.sign < 0 ? "-" : "", op);
  nf_rtl_wire(g, id, e);
  return id;
}

/* Counts the flip-flops of the pipeline registers (nf_rtl_register) once
 * every reader is known: a bit nothing reads has none (synthesis removes
 * it), and registers of one input bit share one (synthesis merges them: the
 * low bits of x * c are x's own in every product of x, a copy of a
 * signal's register is that register). A register's bits that a later
 * register copies are read when that one's are. */
static void cost_registers(rtl_gen *g) {
  if (!g->cost || g->oom) return;
  for (int r = g->n_sigs - 1; r >= 0; r--) {
    rtl_sig *x = &g->sigs[r];
    if (x->src < 0) continue;
    unsigned __int128 need = x->rd;
    int live = nf_rtl_live_bits(g, r);
    if (g->sigs[x->src].src >= 0) g->sigs[x->src].rd |= need; /* a register of a register */
    for (int b = 0; b < live && b < 128; b++) {
      if (!((need >> b) & 1)) continue;
      int bit = b, o = bit_origin(g, x->src, &bit);
      if (o < 0) continue;
      unsigned __int128 m = (unsigned __int128)1 << bit;
      if (g->sigs[o].regd & m) continue;
      g->sigs[o].regd |= m;
      g->cost->reg_bits++;
    }
  }
}

int nf_rtl_register(rtl_gen *g, int sig, int stage) {
  if (g->sigs[sig].reg >= 0) {
    g->regs += g->sigs[g->sigs[sig].reg].width; /* as before; the cost counts it once */
    return g->sigs[sig].reg;
  }
  char base[RTL_NAME]; /* a copy: nf_rtl_new_sig may move g->sigs */
  snprintf(base, sizeof base, "%.*s", g->sigs[sig].base_len, g->sigs[sig].name);
  int id = nf_rtl_new_sig(g, g->sigs[sig].lo, g->sigs[sig].hi, "%s_r%d", base, stage);
  if (g->oom) return 0;
  g->sigs[id].base_len = g->sigs[sig].base_len;
  g->sigs[sig].reg = id;
  unsigned __int128 rd = g->sigs[sig].rd; /* a register's copy is not a reader of its own (cost_registers) */
  fprintf(g->fp, "  reg signed [%d:0] %s; %s %s <= %s;\n", g->sigs[id].width - 1, g->sigs[id].name,
          nf_rtl_clocked(g), g->sigs[id].name, nf_rtl_ref(g, sig));
  g->sigs[sig].rd = rd;
  g->regs += g->sigs[id].width;
  g->sigs[id].src = sig;
  if (g->cost) { /* the register of a copy is a copy of the register */
    int c = g->sigs[sig].canon;
    if (g->sigs[c].canon_reg >= 0) g->sigs[id].canon = g->sigs[g->sigs[c].canon_reg].canon;
    else g->sigs[c].canon_reg = id;
  }
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
nf_code nf_rtl_quantize(nf_code v, int drop, nf_qmode q) {
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

void nf_rtl_cast_range(nf_code lo, nf_code hi, int frac, const nf_fixed_type *t, bool overflow, nf_code *olo,
                    nf_code *ohi) {
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code qlo = nf_rtl_quantize(lo, drop, t->q), qhi = nf_rtl_quantize(hi, drop, t->q);
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

/* The 1-bit round-up condition of mode q on the `drop` low bits of e (we
 * bits); "1'b0" when the mode never rounds up here. With one dropped bit
 * the remainder is never above half and equals half when that bit is set. */
static void round_expr(rtl_gen *g, char *buf, size_t n, nf_qmode q, int e, int we, int drop) {
  char half[160], rem[RTL_NAME + 32], sign[RTL_NAME + 16], lsb[RTL_NAME + 16], gt[2 * RTL_NAME + 200],
      eq[2 * RTL_NAME + 200];
  int k = snprintf(half, sizeof half, "%d'b1", drop);
  for (int i = 1; i < drop && k + 1 < (int)sizeof half; i++) half[k++] = '0';
  half[k] = '\0';
  switch (q) {
  case NF_Q_TRN: snprintf(buf, n, "1'b0"); return;
  case NF_Q_RND: nf_rtl_bit(g, buf, n, e, drop - 1); return;
  case NF_Q_RND_MIN_INF:
    if (drop == 1) return (void)snprintf(buf, n, "1'b0");
    break;
  default: break;
  }
  nf_rtl_slice(g, rem, sizeof rem, e, drop - 1, 0);
  if (drop > 1) {
    snprintf(gt, sizeof gt, "(%s > %s)", rem, half);
    snprintf(eq, sizeof eq, "(%s == %s)", rem, half);
  }
  if (q == NF_Q_TRN_ZERO || q == NF_Q_RND_ZERO || q == NF_Q_RND_INF) nf_rtl_bit(g, sign, sizeof sign, e, we - 1);
  switch (q) {
  case NF_Q_TRN_ZERO: snprintf(buf, n, "(%s & (|%s))", sign, rem); break;
  case NF_Q_RND_ZERO:
    if (drop > 1) snprintf(buf, n, "(%s | (%s & %s))", gt, eq, sign);
    else snprintf(buf, n, "(%s & %s)", rem, sign);
    break;
  case NF_Q_RND_MIN_INF: snprintf(buf, n, "%s", gt); break;
  case NF_Q_RND_INF:
    if (drop > 1) snprintf(buf, n, "(%s | (%s & ~%s))", gt, eq, sign);
    else snprintf(buf, n, "(%s & ~%s)", rem, sign);
    break;
  case NF_Q_RND_CONV:
    nf_rtl_bit(g, lsb, sizeof lsb, e, drop);
    if (drop > 1) snprintf(buf, n, "(%s | (%s & %s))", gt, eq, lsb);
    else snprintf(buf, n, "(%s & %s)", rem, lsb);
    break;
  default: break;
  }
}

/* LUT6s for an OR (or another tree-shaped function) of n variable bits:
 * the first takes six, every further one five more. */
static long lut6_tree(int n) { return n <= 1 ? 0 : (n - 1 + 4) / 5; }

long nf_rtl_overflow_luts(nf_code mx, nf_code qhi) {
  int k = 0, lq = 0;
  while (k < 62 && ((nf_code)1 << k) <= mx) k++;
  while (lq < 62 && ((nf_code)1 << lq) <= qhi) lq++;
  return lq > k ? lut6_tree(lq - k) : 0;
}

/* Hardware ap_fixed cast. Quantization: keep the high bits (floor) and add
 * the mode's round-up bit; overflow: slice (wrap) or compare-and-select
 * (saturation), only where the value range can actually overflow. */
int nf_rtl_cast(rtl_gen *g, int sig, int frac, const nf_fixed_type *t, bool overflow, const char *name) {
  if (g->oom) return 0;
  int drop = frac - nf_fixed_frac_bits(t);
  nf_code lo = g->sigs[sig].lo, hi = g->sigs[sig].hi;
  nf_code qlo = nf_rtl_quantize(lo, drop, t->q), qhi = nf_rtl_quantize(hi, drop, t->q);
  nf_code tlo = nf_fixed_min_code(t), thi = nf_fixed_max_code(t);
  bool over = overflow && !(qlo >= tlo && qhi <= thi);
  char e1[4 * RTL_NAME + 200], e2[8 * RTL_NAME + 800];
  int q = sig;
  bool relu_rounds = false; /* g->relu_into_reg and a rounding increment: its LUTs are relu_round_bits */
  if (drop < 0) {
    q = nf_rtl_new_sig(g, qlo, qhi, over ? "%s_q" : "%s", name);
    if (g->oom) return 0;
    nf_rtl_ext(g, e1, sizeof e1, sig, 0, -drop, g->sigs[q].width);
    nf_rtl_wire(g, q, e1);
  } else if (drop > 0) {
    /* sign-extend so that at least one bit stays above the dropped ones */
    int e = sig;
    if (t->q != NF_Q_TRN && g->sigs[sig].width < drop + 2) {
      e = nf_rtl_new_sig(g, lo, hi, "%s_ext", name);
      if (g->oom) return 0;
      g->sigs[e].width = drop + 2;
      nf_rtl_ext(g, e1, sizeof e1, sig, 0, 0, drop + 2);
      nf_rtl_wire(g, e, e1);
    }
    int we = g->sigs[e].width;
    q = nf_rtl_new_sig(g, qlo, qhi, over ? "%s_q" : "%s", name);
    if (g->oom) return 0;
    int wq = g->sigs[q].width;
    nf_rtl_ext(g, e1, sizeof e1, e, drop, 0, wq);
    char up[8 * RTL_NAME + 600];
    round_expr(g, up, sizeof up, t->q, e, we, drop);
    if (!strcmp(up, "1'b0")) {
      nf_rtl_wire(g, q, e1); /* floor, or a mode that cannot round up here */
      if (t->q != NF_Q_TRN) { /* counted as the rounding adder it was (the estimator's calibration) */
        g->adders++;
        if (g->cost && !g->oom) g->cost->adders++, g->cost->round_bits += nf_rtl_live_bits(g, q);
      }
    } else {
      /* the round-up bit as a zero-extended wire of the sum's full width:
       * Verilator 5.006 miscomputes narrower forms in some contexts (found by
       * co-simulation against Icarus) */
      int inc = nf_rtl_new_sig(g, 0, 1, "%s_up", name);
      if (g->oom) return 0;
      g->sigs[inc].width = wq < 2 ? 2 : wq;
      int wi = g->sigs[inc].width;
      snprintf(e2, sizeof e2, "{%d'd0, %s}", wi - 1, up);
      nf_rtl_wire(g, inc, e2);
      char ie[2 * RTL_NAME + 80];
      nf_rtl_ext(g, ie, sizeof ie, inc, 0, 0, wq);
      snprintf(e2, sizeof e2, "%s + %s", e1, ie);
      nf_rtl_wire(g, q, e2);
      g->adders++;
      if (g->cost && !g->oom) g->cost->adders++, g->cost->round_bits += nf_rtl_live_bits(g, q);
      if (g->cost && !g->oom && g->relu_into_reg) {
        relu_rounds = true;
        /* the chain's first LUT takes the round-up bit's inputs (the dropped
         * bits, the kept LSB, the sign) while they fit a LUT6 */
        g->cost->relu_round_bits += nf_rtl_live_bits(g, q) + lut6_tree(drop + 2) + (drop + 2 > 6);
      }
    }
  }
  if (!over) return q;

  nf_code olo, ohi;
  nf_rtl_cast_range(lo, hi, frac, t, true, &olo, &ohi);
  int wq = g->sigs[q].width;
  if (t->o == NF_O_WRAP) {
    /* the low W bits of the code; an unsigned type reads them as a positive value */
    int out = nf_rtl_new_sig(g, olo, ohi, "%s", name);
    if (g->oom) return 0;
    int w = t->width, wo = g->sigs[out].width;
    nf_rtl_ext(g, e1, sizeof e1, q, 0, 0, w);
    if (wo == w) nf_rtl_wire(g, out, e1);
    else if (!t->is_signed && wo > w) {
      snprintf(e2, sizeof e2, "{%d'd0, %s}", wo - w, e1);
      nf_rtl_wire(g, out, e2);
    } else {
      nf_fail(g->err, NF_EINTERNAL, "wrap of %s: %d-bit range for a %d-bit type", name, wo, w);
      g->oom = true;
      return 0;
    }
    return out;
  }
  int out = nf_rtl_new_sig(g, olo, ohi, "%s", name);
  if (g->oom) return 0;
  int wo = g->sigs[out].width;
  nf_code mn = tlo, mx = thi;
  if (t->o == NF_O_SAT_SYM && t->is_signed) mn = -thi;
  bool can_over = qhi > mx, can_under = qlo < mn;
  int cw = wq;
  if (nf_rtl_signed_width(mn, mx) > cw) cw = nf_rtl_signed_width(mn, mx);
  char qc[2 * RTL_NAME + 80], lmax[64], lmin[64], cmp_over[3 * RTL_NAME + 120] = "", cmp_under[3 * RTL_NAME + 120] = "";
  nf_rtl_sext(g, qc, sizeof qc, q, cw);
  nf_rtl_literal(lmax, sizeof lmax, mx, cw);
  nf_rtl_literal(lmin, sizeof lmin, mn, cw);
  if (can_over) snprintf(cmp_over, sizeof cmp_over, "(%s > %s)", qc, lmax);
  if (can_under) snprintf(cmp_under, sizeof cmp_under, "(%s < %s)", qc, lmin);
  if (g->cost && relu_rounds && !can_under && qlo >= 0) {
    g->cost->sat_reg_luts += nf_rtl_overflow_luts(mx, qhi);
  } else if (g->cost) {
    g->cost->sat_bits += (long)wq * (can_over + can_under) + nf_rtl_live_bits(g, out);
  }
  char keep[2 * RTL_NAME + 80];
  nf_rtl_ext(g, keep, sizeof keep, q, 0, 0, wo);
  if (t->o == NF_O_SAT_ZERO) {
    char z[32];
    snprintf(z, sizeof z, "%d'd0", wo);
    if (can_over && can_under) snprintf(e2, sizeof e2, "(%s | %s) ? %s : %s", cmp_over, cmp_under, z, keep);
    else snprintf(e2, sizeof e2, "%s ? %s : %s", can_over ? cmp_over : cmp_under, z, keep);
  } else {
    nf_rtl_literal(lmax, sizeof lmax, mx, wo);
    nf_rtl_literal(lmin, sizeof lmin, mn, wo);
    if (can_over && can_under) snprintf(e2, sizeof e2, "%s ? %s : %s ? %s : %s", cmp_over, lmax, cmp_under, lmin, keep);
    else if (can_over) snprintf(e2, sizeof e2, "%s ? %s : %s", cmp_over, lmax, keep);
    else snprintf(e2, sizeof e2, "%s ? %s : %s", cmp_under, lmin, keep);
  }
  nf_rtl_wire(g, out, e2);
  return out;
}

double nf_rtl_stage_budget_ns(const nf_design *d) {
  double clock = d->clock_period_ns > 0 ? d->clock_period_ns : 5.0;
  double b = clock - d->pipeline_derate_ns;
  return b > 0 ? b : 0;
}

bool nf_rtl_registers_activations(double budget_ns) {
  return NF_RTL_REG_NS + NF_RTL_ACT_NS + NF_RTL_ADDER_NS > budget_ns + 1e-9;
}

int nf_rtl_levels_per_stage(double budget_ns) {
  double room = budget_ns - NF_RTL_REG_NS;
  int k = (int)(room / NF_RTL_ADDER_NS + 1e-9);
  return k < 1 ? 1 : k; /* the clock is too fast for any placement: one level, and synth says so */
}

/* Yosys' alumacc folds an adder whose result only one other adder reads,
 * whole and unshifted (an output's sum tree within a pipeline stage), into
 * that adder's multi-operand sum ($macc), which maccmap builds as full-adder
 * rows (a ^ b ^ c and the majority, in LUTs) before one carry chain: the
 * folded adder's carry-chain LUTs become full-adder LUTs, which ABC packs
 * with their neighbours (the 4-bit 16-8-5 model: XOR3 and majority LUTs in
 * its netlist, 50 merges in its log). Those adders' xor bits are
 * merged_xor_bits (the part of xor_bits they are). The rule is looser than
 * alumacc's (which also declines a sum whose width differs from its reader's
 * when the operands might overflow it): on the netlists it takes every merge
 * Yosys makes in 4 of 5 designs checked and some it does not (16-8-5 at 4
 * bits: 68 for Yosys' 50; 16-32-16-5 at 8 bits: 665 for 409), and the fitted
 * LUT per merged bit (.merged, src/synth/estimate.c) averages over both. */
static void cost_merged(rtl_gen *g) {
  if (!g->cost || g->oom) return;
  for (int i = 0; i < g->n_sigs; i++) {
    const rtl_sig *s = &g->sigs[i];
    if (s->sum && s->into >= 0 && s->nread == 1 && s->reg < 0) g->cost->merged_xor_bits += s->xbits;
  }
}

void nf_rtl_free(rtl_gen *g) {
  cost_merged(g);
  cost_registers(g);
  free(g->cse);
  g->cse = NULL;
  g->n_cse = g->cap_cse = 0;
  free(g->xors);
  g->xors = NULL;
  g->n_xors = g->cap_xors = 0;
  record_reads(g);
  free(g->in_map);
  g->in_map = NULL;
  g->n_in_map = g->cap_in_map = 0;
  for (int b = 0; b < g->n_buses; b++) free(g->buses[b]->used), free(g->buses[b]);
  free(g->buses);
  g->buses = NULL;
  g->n_buses = g->cap_buses = 0;
  free(g->sigs);
  g->sigs = NULL;
}

int nf_rtl_csd(nf_code c, int *shift, int *digit) {
  int n = 0;
  for (int s = 0; c > 0; s++, c >>= 1)
    if (c & 1) {
      int d = (c & 3) == 1 ? 1 : -1; /* ...01 -> +1, ...11 -> -1 (and a carry) */
      shift[n] = s, digit[n++] = d;
      c -= d;
    }
  return n;
}

void nf_rtl_output_reg_at(rtl_gen *g, int i, int y, const nf_fixed_type *tr, int shift) {
  char ye[2 * RTL_NAME + 80];
  int w = tr->width - shift; /* the register: the code's bits; the `shift` low zeros are wiring */
  nf_rtl_ext(g, ye, sizeof ye, y, 0, 0, w);
  fprintf(g->fp, "  reg [%d:0] %s_y%d; %s %s_y%d <= %s;\n", w - 1, g->layer, i, nf_rtl_clocked(g), g->layer, i, ye);
  if (shift > 0)
    fprintf(g->fp, "  assign out_data[%d +: %d] = {%s_y%d, %d'd0};\n", i * tr->width, tr->width, g->layer, i, shift);
  else
    fprintf(g->fp, "  assign out_data[%d +: %d] = %s_y%d;\n", i * tr->width, tr->width, g->layer, i);
  g->regs += w;
  /* bits above the value's width copy its sign: synthesis merges their registers */
  if (g->cost) g->cost->reg_bits += nf_rtl_live_bits(g, y) < w ? nf_rtl_live_bits(g, y) : w;
  rtl_out_range(g, i, y);
  if (g->range_lo && shift > 0) g->range_lo[i] *= (nf_code)1 << shift, g->range_hi[i] *= (nf_code)1 << shift;
}

void nf_rtl_output_reg(rtl_gen *g, int i, int y, const nf_fixed_type *tr) { nf_rtl_output_reg_at(g, i, y, tr, 0); }

void nf_rtl_valid_one(rtl_gen *g) {
  if (g->cost) g->cost->ctrl_bits += 1;
  fprintf(g->fp, "  reg valid_r;\n");
  nf_rtl_valid_reg(g, "valid_r", "1'b0", "in_valid");
  fprintf(g->fp, "  assign out_valid = valid_r;\n");
}

void nf_rtl_valid_pipe(rtl_gen *g, int stages) {
  fprintf(g->fp, "  reg [%d:0] valid_pipe;\n", stages - 1);
  if (stages == 1) {
    nf_rtl_valid_reg(g, "valid_pipe", "1'b0", "in_valid");
  } else {
    char zero[32], next[64];
    snprintf(zero, sizeof zero, "%d'd0", stages);
    snprintf(next, sizeof next, "{valid_pipe[%d:0], in_valid}", stages - 2);
    nf_rtl_valid_reg(g, "valid_pipe", zero, next);
  }
  fprintf(g->fp, "  assign out_valid = valid_pipe[%d];\n", stages - 1);
}
