/* Dense layer, fully parallel (II = 1): constant products as CSD shift-add
 * trees shared between outputs, balanced adder trees, pipeline registers
 * every `k` adder levels, then the accum_t and result_t casts. */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

typedef struct group {
  rtl_term *t;
  int n;
  char name[RTL_NAME / 2]; /* its adders are <name>_l<level>_<index> */
} group;

/* Reduces every group to one term, level by level, so that all groups cross
 * a pipeline register at the same level and stay aligned in time. Registers
 * go where g->reg_at says; the first pass (reg_at all false) records the
 * live bits after each level in g->level_bits. */
static void reduce(rtl_gen *g, group *gs, int ng, int *level, int *stages) {
  for (;;) {
    bool any = false;
    for (int q = 0; q < ng; q++) any |= gs[q].n > 1;
    if (!any || g->oom) return;
    for (int q = 0; q < ng; q++) {
      group *gr = &gs[q];
      if (gr->n < 2) continue;
      int m = 0;
      char name[RTL_NAME];
      for (int i = 0; i + 1 < gr->n; i += 2) {
        snprintf(name, sizeof name, "%s_l%d_%d", gr->name, *level + 1, m);
        gr->t[m++] = nf_rtl_add(g, gr->t[i], gr->t[i + 1], name);
      }
      if (gr->n & 1) gr->t[m++] = gr->t[gr->n - 1];
      gr->n = m;
    }
    (*level)++;
    if (*level >= RTL_MAX_LEVELS) {
      nf_fail(g->err, NF_EINTERNAL, "adder tree deeper than %d levels", RTL_MAX_LEVELS);
      g->oom = true;
      return;
    }
    if (g->level_bits) {
      long bits = 0;
      for (int q = 0; q < ng; q++)
        for (int i = 0; i < gs[q].n; i++)
          if (gs[q].t[i].sig >= 0) bits += g->sigs[gs[q].t[i].sig].width;
      g->level_bits[*level] = bits;
    }
    if (g->reg_at && g->reg_at[*level]) {
      fprintf(g->fp, "  // ---- pipeline registers after adder level %d ----\n", *level);
      for (int q = 0; q < ng; q++)
        for (int i = 0; i < gs[q].n; i++)
          if (gs[q].t[i].sig >= 0) gs[q].t[i].sig = nf_rtl_register(g, gs[q].t[i].sig, *stages + 1);
      (*stages)++;
    }
  }
}

/* A product key: input i times the signed constant c. */
typedef struct pkey {
  int i;
  nf_code c;
  rtl_term root;
  int alias; /* key of x*(-c) whose negation this is, else -1 */
  int mat;   /* signal holding x*c exactly once needed, else -1 */
} pkey;

typedef struct wplan {
  int key;      /* index into keys; BIT_TERM: a two-valued input's bit (below) */
  int shift;    /* exact path: term shift; -1: materialized path */
  int sign;     /* exact path: sign of the weight */
  int frac;     /* mat path: frac bits of x*c */
  nf_code cst;  /* bit path: the constant part of the product */
} wplan;

/* XNOR-popcount (a binary input times a +-1 weight): input i takes only
 * lo < 0 <= hi with hi - lo = 2^m, so x = lo + 2^m * b, b = (x >= 0) = the
 * inverted sign bit, and an exact product term sign * (x << s) is
 *   sign > 0:  (lo << s) + (b << (m + s))
 *   sign < 0:  (-lo << s) - (1 << (m + s)) + (~b << (m + s))
 * since -b = ~b - 1: one bit of the input, or of its inverse (the XNOR of
 * input and weight sign), in place of the 2-bit signed value; the constants
 * join the bias. Each output's adder tree then sums single bits: a popcount,
 * 2 * popcount(xnor) - n in the +-1 case. Only when every product of the
 * input is exact and its weight's odd part is 1. */
enum { BIT_TERM = -2 };

static bool pow2(nf_code v, int *m) {
  if (v <= 0 || (v & (v - 1))) return false;
  for (*m = 0; ((nf_code)1 << *m) < v; (*m)++) {}
  return true;
}

/* The bit of input i that is 1 where x = hi (pos) or x = lo (neg): the
 * sign bit of its code, inverted or not; [0, 1]. */
static int input_bit(rtl_gen *g, rtl_bus *in, int i, const nf_fixed_type *ti, bool pos) {
  int b = nf_rtl_new_sig(g, 0, 1, "%s_x%d_%s", g->layer, i, pos ? "pos" : "neg");
  if (g->oom) return 0;
  char e[96];
  int msb = i * ti->width + ti->width - 1;
  snprintf(e, sizeof e, pos ? "{1'b0, ~in_data[%d]}" : "{1'b0, in_data[%d]}", msb);
  nf_rtl_bus_use(in, msb, 1);
  nf_rtl_wire(g, b, e);
  return b;
}

static int find_key(pkey *keys, int nk, int first_of_input, int i, nf_code c) {
  for (int q = first_of_input; q < nk; q++)
    if (keys[q].i == i && keys[q].c == c) return q;
  return -1;
}

/* "c5" / "cm5": a constant in a signal name. */
static void const_name(char *buf, size_t n, char letter, nf_code c) {
  snprintf(buf, n, "%c%s%lld", letter, c < 0 ? "m" : "", (long long)(c < 0 ? -c : c));
}

int nf_rtl_dense_input(rtl_gen *g, rtl_bus *in, int i, const nf_fixed_type *ti) {
  int x = nf_rtl_new_sig(g, rtl_in_lo(g, i, ti), rtl_in_hi(g, i, ti), "%s_x%d", g->layer, i);
  if (g->oom) return 0;
  int w = g->sigs[x].width, W = ti->width;
  char e[128];
  /* a signed code's top bits beyond the range are copies of its sign; an
   * unsigned code gains a zero sign bit */
  if (ti->is_signed || w <= W) {
    int take = w < W ? w : W;
    if (!ti->is_signed) take = w - 1 < W ? w - 1 : W;
    if (take == 0) snprintf(e, sizeof e, "1'd0"); /* the constant 0 */
    else if (!ti->is_signed) snprintf(e, sizeof e, "{%d'd0, in_data[%d +: %d]}", w - take, i * W, take);
    else snprintf(e, sizeof e, "in_data[%d +: %d]", i * W, take);
    nf_rtl_bus_use(in, i * W, take);
    nf_rtl_map_input(g, x, i * W, take);
  } else {
    snprintf(e, sizeof e, "{%d'd0, in_data[%d +: %d]}", w - W, i * W, W);
    nf_rtl_bus_use(in, i * W, W);
    nf_rtl_map_input(g, x, i * W, W);
  }
  nf_rtl_wire(g, x, e);
  return x;
}

/* The layer's outputs as signed, shifted input digits (every product exact:
 * x_i * w_ij = sign * (x_i * o) << shift, o's CSD digits), planned as one
 * adder graph. bias_acc: [n_out], the outputs' biases as accum_t codes. */
static int plan_cmm(rtl_gen *g, const nf_design_layer *L, const pkey *keys, const wplan *plan, const int *xs,
                    nf_code *bias_acc, rtl_cmm *cmm) {
  const int n_in = L->n_in, n_out = L->n_out;
  size_t n_terms = 0;
  for (size_t q = 0; q < (size_t)n_in * n_out; q++) {
    int sh[132], dg[132];
    if (plan[q].key >= 0) n_terms += (size_t)nf_rtl_csd(keys[plan[q].key].c, sh, dg);
  }
  rtl_cref *terms = nf_calloc(n_terms + 1, sizeof *terms, g->err);
  int *start = nf_calloc((size_t)n_out + 1, sizeof *start, g->err);
  bool *has_bias = nf_calloc((size_t)n_out + 1, sizeof *has_bias, g->err);
  int rc = terms && start && has_bias ? NF_OK : NF_EINTERNAL;
  size_t nt = 0;
  for (int j = 0; j < n_out && !rc; j++) {
    start[j] = (int)nt;
    has_bias[j] = bias_acc[j] != 0;
    for (int i = 0; i < n_in; i++) {
      const wplan *p = &plan[(size_t)i * n_out + j];
      if (p->key < 0 || xs[i] < 0) continue;
      int sh[132], dg[132], nd = nf_rtl_csd(keys[p->key].c, sh, dg);
      for (int d = 0; d < nd; d++) terms[nt++] = (rtl_cref){.node = i, .shift = p->shift + sh[d], .sign = p->sign * dg[d]};
    }
  }
  if (!rc) start[n_out] = (int)nt;
  if (!rc) rc = nf_rtl_cmm_plan(n_in, n_out, terms, start, has_bias, cmm, g->err);
  free(terms), free(start), free(has_bias);
  return rc;
}

/* cmm: NULL, the CSD products and one balanced tree per output; else the
 * layer as one shared adder graph (cse.c), planned into *cmm on the first
 * call (the plan depends on the layer and its input ranges only) when every
 * product is exact; *cse_ok says whether it was (else the CSD path is built). */
static int emit_dense(rtl_gen *g, const nf_design_layer *L, rtl_cmm *cmm, bool *cse_ok, int *latency) {
  const int n_in = L->n_in, n_out = L->n_out;
  const nf_fixed_type *ti = &L->input_t, *ta = &L->accum_t;
  const int fi = nf_fixed_frac_bits(ti), fw = nf_fixed_frac_bits(&L->weight_t), fp = fi + fw;
  const int fa = nf_fixed_frac_bits(ta);
  const bool acc_wraps = ta->o == NF_O_WRAP;
  nf_code alo = nf_fixed_min_code(ta), ahi = nf_fixed_max_code(ta);

  int *xs = nf_calloc((size_t)n_in, sizeof *xs, g->err);
  pkey *keys = nf_calloc((size_t)n_in * n_out + 1, sizeof *keys, g->err);
  wplan *plan = nf_calloc((size_t)n_in * n_out + 1, sizeof *plan, g->err);
  /* phase 1 needs one leaf per CSD digit of each weight (at most; shared
   * products need fewer), phase 2 one per product plus the bias */
  size_t n_leaves = (size_t)n_out + 1 + 2 * (size_t)n_in; /* + a phase-1 leaf per input bit (XNOR path) */
  for (size_t q = 0; q < (size_t)n_in * n_out; q++) {
    int sh[132], dg[132];
    nf_code w = L->weights[q];
    n_leaves += 1 + (w ? (size_t)nf_rtl_csd(w < 0 ? -w : w, sh, dg) : 0);
  }
  rtl_term *leaves = nf_calloc(n_leaves, sizeof *leaves, g->err);
  group *gs = nf_calloc((size_t)n_in * n_out + (size_t)n_out + 2 * (size_t)n_in + 1, sizeof *gs, g->err);
  int *cast_sig = nf_calloc((size_t)n_in * n_out + 1, sizeof *cast_sig, g->err);
  if (!xs || !keys || !plan || !leaves || !gs || !cast_sig) {
    free(xs), free(keys), free(plan), free(leaves), free(gs), free(cast_sig);
    return NF_EINTERNAL;
  }

  /* inputs read as one bit each (XNOR-popcount, above) */
  bool *bit_in = nf_calloc((size_t)n_in + 1, sizeof *bit_in, g->err);
  int *bits = nf_calloc(2 * (size_t)n_in + 1, sizeof *bits, g->err); /* pos, neg signal per input; 0 = none yet */
  if (!bit_in || !bits) {
    free(xs), free(keys), free(plan), free(leaves), free(gs), free(cast_sig), free(bit_in), free(bits);
    return NF_EINTERNAL;
  }
  int n_bit_in = 0;
  for (int i = 0; g->in_binary && ti->is_signed && !(g->style & NF_RTL_STYLE_MUL) && i < n_in; i++) {
    nf_code ilo = rtl_in_lo(g, i, ti), ihi = rtl_in_hi(g, i, ti);
    int m;
    bool ok = ilo < 0 && ihi >= 0 && pow2(ihi - ilo, &m);
    for (int j = 0; ok && j < n_out; j++) {
      nf_code w = L->weights[(size_t)i * n_out + j];
      if (w == 0) continue;
      int e = 0;
      nf_code o = w < 0 ? -w : w;
      while (!(o & 1)) o >>= 1, e++;
      nf_code plo = w > 0 ? ilo * w : ihi * w, phi = w > 0 ? ihi * w : ilo * w, clo, chi;
      nf_rtl_cast_range(plo, phi, fp, ta, false, &clo, &chi);
      ok = o == 1 && fp - e - fa <= 0 && (acc_wraps || (clo >= alo && chi <= ahi));
    }
    bit_in[i] = ok;
    n_bit_in += ok;
  }

  fprintf(g->fp, "  // inputs x_i (codes of input_t; widths from the values they can take)%s\n",
          n_bit_in ? "; binary inputs as one bit, <layer>_x<i>_pos (x = +1) or _neg (x = -1)" : "");
  rtl_bus *in = nf_rtl_bus_new(g, "in_data", n_in * ti->width);
  for (int i = 0; i < n_in && !g->oom; i++) xs[i] = bit_in[i] ? -1 : nf_rtl_dense_input(g, in, i, ti);

  /* Plan every nonzero product: exact (a shifted, signed share of x*o) or
   * materialized (x*c computed, then quantized as accum_t says). */
  int nk = 0;
  for (int i = 0; i < n_in; i++) {
    int first = nk;
    for (int j = 0; j < n_out; j++) {
      nf_code w = L->weights[(size_t)i * n_out + j];
      wplan *p = &plan[(size_t)i * n_out + j];
      p->key = -1;
      if (w == 0) continue;
      if (g->cost) g->cost->nnz_weights++;
      int e = 0;
      nf_code o = w < 0 ? -w : w;
      while (!(o & 1)) o >>= 1, e++;
      int drop = fp - e - fa; /* bits accum_t drops from x*(+-o) at frac fp-e */
      if (bit_in[i]) {
        nf_code ilo = rtl_in_lo(g, i, ti), ihi = rtl_in_hi(g, i, ti);
        int m = 0;
        pow2(ihi - ilo, &m);
        p->key = BIT_TERM;
        p->sign = w < 0 ? -1 : 1;
        p->shift = m - drop;
        p->cst = w > 0 ? ilo * ((nf_code)1 << -drop) : -ilo * ((nf_code)1 << -drop) - ((nf_code)1 << p->shift);
        int *slot = &bits[2 * i + (w > 0 ? 0 : 1)];
        if (!*slot) *slot = input_bit(g, in, i, ti, w > 0) + 1;
        continue;
      }
      nf_code ilo = g->sigs[xs[i]].lo, ihi = g->sigs[xs[i]].hi;
      nf_code plo = w > 0 ? ilo * w : ihi * w, phi = w > 0 ? ihi * w : ilo * w;
      nf_code clo, chi;
      nf_rtl_cast_range(plo, phi, fp, ta, false, &clo, &chi);
      bool exact = drop <= 0 && (acc_wraps || (clo >= alo && chi <= ahi));
      nf_code c = exact ? o : (w < 0 ? -o : o);
      int q = g->style & NF_RTL_STYLE_NO_SHARE ? -1 : find_key(keys, nk, first, i, c);
      if (q < 0) {
        q = nk++;
        keys[q].i = i;
        keys[q].c = c;
        keys[q].alias = keys[q].mat = -1;
      }
      p->key = q;
      p->shift = exact ? -drop : -1;
      p->sign = w < 0 ? -1 : 1;
      p->frac = fp - e;
    }
  }

  bool use_cse = cmm && n_bit_in == 0 && !(g->style & (NF_RTL_STYLE_MUL | NF_RTL_STYLE_NO_SHARE));
  for (size_t q = 0; use_cse && q < (size_t)n_in * n_out; q++) use_cse = plan[q].key < 0 || plan[q].shift >= 0;
  if (cse_ok) *cse_ok = use_cse;
  nf_code *bias_acc = use_cse ? nf_calloc((size_t)n_out + 1, sizeof *bias_acc, g->err) : NULL;
  for (int j = 0; bias_acc && j < n_out; j++)
    bias_acc[j] = nf_fixed_cast_code(ta, L->bias ? L->bias[j] : 0, nf_fixed_frac_bits(&L->bias_t)) +
                  (g->relu_offset ? g->relu_offset[j] : 0);
  if (use_cse && (!bias_acc || (!cmm->node && plan_cmm(g, L, keys, plan, xs, bias_acc, cmm)))) g->oom = true;

  /* x*(-c) when x*c is built anyway: one negation instead of a second tree
   * (keys are grouped by input, in input order: search only the group) */
  for (int q = 0, first = 0; q < nk; q++) {
    if (q > 0 && keys[q].i != keys[q - 1].i) first = q;
    if (keys[q].c < 0 && !(g->style & NF_RTL_STYLE_NO_SHARE))
      for (int p = first; p < nk && keys[p].i == keys[q].i; p++)
        if (keys[p].c == -keys[q].c) keys[q].alias = p;
  }

  int level = 0, stages = 0, nl = 0;
  rtl_term *bit_root = NULL;
  if (use_cse) {
    fprintf(g->fp, "  // the products and sums as one adder graph: sums shared by several outputs <layer>_s<k>,\n"
                   "  // then per output j a tree balanced by arrival depth <layer>_o<j>_l<level>_<k> (accum_t bias + terms)\n");
    rtl_term *roots = bias_acc ? nf_calloc((size_t)n_out + 1, sizeof *roots, g->err) : NULL;
    if (!roots) g->oom = true;
    for (int q = 0; q < nk && g->cost && keys[q].alias < 0; q++) {
      int sh[132], dg[132];
      g->cost->csd_digits += nf_rtl_csd(keys[q].c, sh, dg);
    }
    if (!g->oom) nf_rtl_cmm_emit(g, cmm, xs, bias_acc, roots, &level, &stages);
    for (int j = 0; j < n_out && !g->oom; j++) {
      gs[j].t = &leaves[j];
      leaves[j] = roots[j];
      gs[j].n = 1;
    }
    free(roots);
    goto casts;
  }

  /* Phase 1: the distinct products, each a CSD shift-add tree of x_i. */
  fprintf(g->fp, "  // products x_i * c: canonical-signed-digit shift-add trees <layer>_x<i>_c<c>_l<level>_<k>,\n"
                 "  // one per input and odd |c| (cm<c>: -c), shared by every output that uses them\n");
  for (int q = 0; q < nk && !g->oom; q++) {
    char cn[48];
    const_name(cn, sizeof cn, 'c', keys[q].c);
    snprintf(gs[q].name, sizeof gs[q].name, "%s_x%d_%s", g->layer, keys[q].i, cn);
    if (keys[q].alias >= 0) {
      gs[q].n = 0;
      continue;
    }
    int sh[132], dg[132];
    nf_code c = keys[q].c;
    if (g->style & NF_RTL_STYLE_MUL) {
      const rtl_sig *x = &g->sigs[xs[keys[q].i]];
      nf_code lo = c > 0 ? x->lo * c : x->hi * c, hi = c > 0 ? x->hi * c : x->lo * c;
      int p = nf_rtl_new_sig(g, lo, hi, "%s_mul", gs[q].name);
      if (g->oom) break;
      char lit[64], xe[2 * RTL_NAME + 80], e[3 * RTL_NAME + 160];
      int w = g->sigs[p].width;
      nf_rtl_literal(lit, sizeof lit, c, w);
      nf_rtl_sext(g, xe, sizeof xe, xs[keys[q].i], w);
      snprintf(e, sizeof e, "%s * %s", xe, lit);
      nf_rtl_wire(g, p, e);
      gs[q].t = &leaves[nl];
      leaves[nl++] = (rtl_term){.sig = p, .shift = 0, .sign = 1};
      gs[q].n = 1;
      continue;
    }
    int nd = nf_rtl_csd(c < 0 ? -c : c, sh, dg);
    if (g->cost) g->cost->csd_digits += nd;
    gs[q].t = &leaves[nl];
    for (int d = 0; d < nd; d++)
      leaves[nl++] = (rtl_term){.sig = xs[keys[q].i], .shift = sh[d], .sign = c < 0 ? -dg[d] : dg[d]};
    gs[q].n = nd;
  }
  /* The input bits go through phase 1 as one-leaf groups, so that they are
   * registered where its trees are (and phase 2 starts from one level). */
  int nb = 0;
  for (int k = 0; k < 2 * n_in && !g->oom; k++) {
    if (!bits[k]) continue;
    group *b = &gs[nk + nb++];
    snprintf(b->name, sizeof b->name, "%s_x%d_%s", g->layer, k / 2, k % 2 ? "neg" : "pos");
    b->t = &leaves[nl];
    leaves[nl++] = (rtl_term){.sig = bits[k] - 1, .shift = 0, .sign = 1};
    b->n = 1;
  }
  reduce(g, gs, nk + nb, &level, &stages);
  bit_root = nf_calloc(2 * (size_t)n_in + 1, sizeof *bit_root, g->err);
  if (!bit_root) g->oom = true;
  for (int k = 0, q = nk; k < 2 * n_in && bit_root; k++)
    if (bits[k]) bit_root[k] = gs[q++].t[0];
  for (int q = 0; q < nk; q++)
    if (keys[q].alias < 0) keys[q].root = gs[q].t[0];
  for (int q = 0; q < nk; q++)
    if (keys[q].alias >= 0) {
      keys[q].root = keys[keys[q].alias].root;
      keys[q].root.sign = -keys[q].root.sign;
    }

  /* Phase 2: per output, bias plus the (cast) products, one balanced tree. */
  nl = 0;
  fprintf(g->fp, "  // one balanced adder tree per output j, <layer>_o<j>_l<level>_<k>: accum_t bias + products%s\n",
          fp > fa ? " (each first quantized to accum_t, which drops bits)" : " (exact in accum_t)");
  for (int j = 0; j < n_out && !g->oom; j++) {
    gs[j].t = &leaves[nl];
    gs[j].n = 0;
    snprintf(gs[j].name, sizeof gs[j].name, "%s_o%d", g->layer, j);
    nf_code b = L->bias ? L->bias[j] : 0;
    nf_code bacc = nf_fixed_cast_code(ta, b, nf_fixed_frac_bits(&L->bias_t)) + (g->relu_offset ? g->relu_offset[j] : 0);
    for (int i = 0; i < n_in; i++)
      if (plan[(size_t)i * n_out + j].key == BIT_TERM) bacc += plan[(size_t)i * n_out + j].cst;
    if (bacc != 0) leaves[nl++] = (rtl_term){.sig = -1, .sign = 1, .cval = bacc}, gs[j].n++;
    for (int i = 0; i < n_in; i++) {
      size_t ij = (size_t)i * n_out + j;
      wplan *p = &plan[ij];
      if (p->key == BIT_TERM && bit_root) {
        rtl_term t = bit_root[2 * i + (p->sign > 0 ? 0 : 1)];
        t.shift += p->shift;
        leaves[nl++] = t;
        gs[j].n++;
        continue;
      }
      if (p->key < 0) continue;
      rtl_term t = keys[p->key].root;
      if (p->shift >= 0) {
        t.sign *= p->sign;
        t.shift += p->shift;
      } else {
        /* identical weights of one input share the cast product */
        int s = -1;
        for (int jj = 0; jj < j && s < 0; jj++)
          if (L->weights[(size_t)i * n_out + jj] == L->weights[ij] && plan[(size_t)i * n_out + jj].shift < 0)
            s = cast_sig[(size_t)i * n_out + jj];
        if (s < 0) {
          char nm[RTL_NAME], wn[48];
          if (keys[p->key].mat < 0) {
            snprintf(nm, sizeof nm, "%s_x%d_p", g->layer, i);
            const_name(wn, sizeof wn, 'c', keys[p->key].c);
            strncat(nm, wn + 1, sizeof nm - strlen(nm) - 1);
            keys[p->key].mat = nf_rtl_materialize(g, t, nm);
          }
          const_name(wn, sizeof wn, 'w', L->weights[ij]);
          snprintf(nm, sizeof nm, "%s_x%d_%s_acc", g->layer, i, wn);
          s = nf_rtl_cast(g, keys[p->key].mat, p->frac, ta, !acc_wraps, nm);
        }
        cast_sig[ij] = s;
        t = (rtl_term){.sig = s, .shift = 0, .sign = 1};
      }
      leaves[nl++] = t;
      gs[j].n++;
    }
    if (gs[j].n == 0) leaves[nl++] = (rtl_term){.sig = -1, .sign = 1, .cval = 0}, gs[j].n = 1;
  }
  reduce(g, gs, n_out, &level, &stages);
casts:
  g->levels = level;

  /* Casts to accum_t (wrap, or nothing when it cannot overflow) and result_t,
   * [the fused ReLU's clip,] then the output register. */
  const nf_design_layer *A = g->fused_relu;
  const nf_fixed_type *tr = A ? &A->input_t : &L->result_t;
  fprintf(g->fp, "  // casts to accum_t (<layer>_o<j>_acc) and result_t (<layer>_o<j>_res), %soutput registers\n",
          !A ? "" : A->kind == NF_LAYER_QUANT ? "the quantizer's clip to each element's type (<layer>_o<j>_relu: the sum holds "
                                                "its rounding offset; placed in the quantizer's result_t), "
                                              : "the ReLU's clip (<layer>_o<j>_relu: the sum holds its rounding offset), ");
  for (int j = 0; j < n_out && !g->oom; j++) {
    char nm[RTL_NAME];
    if (A && nf_rtl_fused_dead(A, j)) { /* the constant 0 (its weights and bias are zero in the unit's view) */
      fprintf(g->fp, "  assign out_data[%d +: %d] = %d'd0;\n", j * A->result_t.width, A->result_t.width,
              A->result_t.width);
      if (g->range_lo) g->range_lo[j] = g->range_hi[j] = 0;
      continue;
    }
    snprintf(nm, sizeof nm, "%s_o%d_sum", g->layer, j);
    int v = nf_rtl_materialize(g, gs[j].t[0], nm);
    snprintf(nm, sizeof nm, "%s_o%d_acc", g->layer, j);
    int acc = nf_rtl_cast(g, v, fa, ta, true, nm);
    snprintf(nm, sizeof nm, "%s_o%d_res", g->layer, j);
    int y = nf_rtl_cast(g, acc, fa, tr, true, nm);
    int shift = 0; /* a quantizer's element: its code at result_t's scale */
    if (A && !g->oom) {
      const nf_fixed_type *ty = nf_rtl_fused_type(A, j);
      snprintf(nm, sizeof nm, "%s_o%d_relu", g->layer, j);
      bool tie_even = ty->q == NF_Q_RND_CONV && g->relu_offset && g->relu_offset[j] > 0;
      y = nf_rtl_relu_clip(g, y, nf_fixed_frac_bits(tr), ty, tie_even, nm);
      shift = nf_fixed_frac_bits(&A->result_t) - nf_fixed_frac_bits(ty);
    }
    if (g->oom) break;
    nf_rtl_output_reg_at(g, j, y, A ? &A->result_t : tr, shift);
  }
  stages++;
  if (g->cost) g->cost->ctrl_bits += stages;
  *latency = stages;
  nf_rtl_valid_pipe(g, stages);
  nf_rtl_sink(g, NULL);
  free(xs), free(keys), free(plan), free(leaves), free(gs), free(cast_sig), free(bit_in), free(bits), free(bit_root);
  free(bias_acc);
  return g->oom ? NF_EINTERNAL : NF_OK;
}

/* The delay model's cost of a stage from after level p to after level l of
 * a tree of depth levels (nnfirm/rtl.h). */
static double stage_ns(const rtl_gen *g, int p, int l, int depth) {
  return NF_RTL_REG_NS + (p == 0 && g->in_act ? NF_RTL_ACT_NS : 0) + (l - p) * NF_RTL_ADDER_NS +
         (l == depth ? NF_RTL_CAST_NS + g->tail_ns : 0);
}

/* Chooses the register levels: every stage within g->budget_ns by the delay
 * model (the previous layer's output register at level 0, this layer's at
 * level D; a stage of one level is allowed where none fits); among such
 * placements, the fewest stages (latency), then the one registering the
 * fewest bits. Trees narrow as they go, so this usually means registering
 * late. Dynamic programming over the levels: best[L] = cheapest placement
 * ending with a register after level L. *worst_ns: the longest stage by the
 * delay model. */
static void place_registers(const rtl_gen *g, const long *bits, int depth, bool *reg_at, double *worst_ns) {
  long best[RTL_MAX_LEVELS];
  int from[RTL_MAX_LEVELS];
  best[0] = 0;
  from[0] = -1;
  for (int l = 1; l <= depth; l++) {
    best[l] = -1;
    for (int p = 0; p < l; p++)
      if (best[p] >= 0 && (p == l - 1 || stage_ns(g, p, l, depth) <= g->budget_ns + 1e-9) &&
          (best[l] < 0 || best[p] < best[l]))
        best[l] = best[p], from[l] = p;
    /* fewest stages first (latency), then fewest bits */
    if (best[l] >= 0 && l < depth) best[l] += bits[l] + ((long)1 << 40);
  }
  memset(reg_at, 0, RTL_MAX_LEVELS * sizeof *reg_at);
  double worst = stage_ns(g, 0, 0, 0); /* no adder: the output casts alone */
  for (int l = depth; l > 0; l = from[l]) {
    if (from[l] > 0) reg_at[from[l]] = true;
    double t = stage_ns(g, from[l], l, depth);
    worst = t > worst ? t : worst;
  }
  *worst_ns = worst;
}

/* One way of building the layer (cmm NULL: CSD products and a tree per
 * output; else the shared adder graph) run into nowhere: pass 1 records the
 * adder levels and the bits alive after each, place_registers chooses the
 * registers (reg_at, *worst_ns); with `score`, a second pass with those
 * registers counts the resources and *score is the generator's cost of
 * them: LUT + FF as the estimate weighs its counts (a carry-chain xor bit
 * one LUT, one folded into a multi-operand sum 3/4, a register bit one FF),
 * in quarters. *cse_ok: whether the graph could be built (every product exact). */
static int dense_trial(rtl_gen *g, const nf_design_layer *L, rtl_cmm *cmm, bool *cse_ok, bool *reg_at, double *worst_ns,
                       long *score) {
  size_t n_ranges = (size_t)(L->n_in > L->n_out ? L->n_in : L->n_out);
  nf_code *lo = nf_calloc(n_ranges, sizeof *lo, g->err), *hi = nf_calloc(n_ranges, sizeof *hi, g->err);
  long *bits = nf_calloc(RTL_MAX_LEVELS, sizeof *bits, g->err);
  bool *none = nf_calloc(RTL_MAX_LEVELS, sizeof *none, g->err);
  FILE *null = fopen("/dev/null", "w");
  int rc = !lo || !hi || !bits || !none ? NF_EINTERNAL : !null ? nf_fail(g->err, NF_EINTERNAL, "/dev/null: cannot open") : NF_OK;
  for (int pass = 0; pass < (score ? 2 : 1) && !rc; pass++) {
    if (g->range_lo) memcpy(lo, g->range_lo, n_ranges * sizeof *lo), memcpy(hi, g->range_hi, n_ranges * sizeof *hi);
    nf_rtl_cost c = {0};
    rtl_gen g1 = {.fp = null, .err = g->err, .range_lo = g->range_lo ? lo : NULL, .range_hi = g->range_hi ? hi : NULL,
                  .style = g->style, .level_bits = pass ? NULL : bits, .reg_at = pass ? reg_at : none, .layer = g->layer,
                  .cost = pass ? &c : NULL, .in_act = g->in_act, .budget_ns = g->budget_ns,
                  .fused_relu = g->fused_relu, .relu_offset = g->relu_offset, .tail_ns = g->tail_ns};
    int lat;
    rc = emit_dense(&g1, L, cmm, cse_ok, &lat);
    int levels = g1.levels;
    nf_rtl_free(&g1);
    if (!rc && !pass) place_registers(g, bits, levels, reg_at, worst_ns);
    if (!rc && pass) *score = 4 * (c.xor_bits + c.reg_bits) - c.merged_xor_bits;
    if (cmm && cse_ok && !*cse_ok) break;
  }
  if (null) fclose(null);
  free(lo), free(hi), free(bits), free(none);
  return rc;
}

/* Fully parallel (ReuseFactor 1): the CSD products with a tree per output,
 * or the shared adder graph of cse.c, whichever the generator's cost says is
 * cheaper (NF_RTL_STYLE_CSD / _CSE force one), each with the registers
 * place_registers chooses for it. */
static int emit_dense_parallel(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  (void)top, (void)k;
  bool *reg_csd = nf_calloc(RTL_MAX_LEVELS, sizeof *reg_csd, g->err), *reg_cse = nf_calloc(RTL_MAX_LEVELS, sizeof *reg_cse, g->err);
  if (!reg_csd || !reg_cse) {
    free(reg_csd), free(reg_cse);
    return NF_EINTERNAL;
  }
  rtl_cmm cmm = {0};
  bool want_cse = !(g->style & NF_RTL_STYLE_CSD), want_csd = !(g->style & NF_RTL_STYLE_CSE), cse_ok = false;
  double ns_csd = 0, ns_cse = 0;
  long score_csd = 0, score_cse = 0;
  int rc = NF_OK;
  if (want_cse) rc = dense_trial(g, L, &cmm, &cse_ok, reg_cse, &ns_cse, want_csd ? &score_cse : NULL);
  bool use_cse = want_cse && cse_ok;
  if (!rc && (want_csd || !use_cse)) {
    rc = dense_trial(g, L, NULL, NULL, reg_csd, &ns_csd, use_cse ? &score_csd : NULL);
    use_cse = use_cse && score_cse < score_csd;
  }
  if (!rc) {
    g->reg_at = use_cse ? reg_cse : reg_csd;
    g->stage_ns = use_cse ? ns_cse : ns_csd;
    rc = emit_dense(g, L, use_cse ? &cmm : NULL, NULL, latency);
    g->reg_at = NULL;
  }
  nf_rtl_cmm_free(&cmm);
  free(reg_csd), free(reg_cse);
  return rc;
}

/* The range of input i's product with weight w as accum_t codes (the
 * product's own cast), the input in [xlo, xhi]. */
static void product_range(const nf_design_layer *L, nf_code w, nf_code xlo, nf_code xhi, nf_code *lo, nf_code *hi) {
  int fp = nf_fixed_frac_bits(&L->input_t) + nf_fixed_frac_bits(&L->weight_t);
  nf_code plo = w > 0 ? xlo * w : xhi * w, phi = w > 0 ? xhi * w : xlo * w;
  nf_rtl_cast_range(plo, phi, fp, &L->accum_t, true, lo, hi);
}

/* The offset of rounding mode q dropping d bits of a value x >= 0 (the sum
 * of the fused ReLU's emit.h comment); -1: a mode not fused. */
static nf_code fold_offset(nf_qmode q, int d) {
  if (d <= 0) return 0; /* nothing dropped: every mode is exact */
  nf_code h = (nf_code)1 << (d - 1);
  switch (q) {
  case NF_Q_TRN:
  case NF_Q_TRN_ZERO: return 0;
  case NF_Q_RND:
  case NF_Q_RND_INF:
  case NF_Q_RND_CONV: return h;
  case NF_Q_RND_ZERO:
  case NF_Q_RND_MIN_INF: return h - 1;
  }
  return -1;
}

const nf_fixed_type *nf_rtl_fused_type(const nf_design_layer *A, int j) {
  return A->kind == NF_LAYER_QUANT ? &A->elem_t[j] : &A->result_t;
}

bool nf_rtl_fused_dead(const nf_design_layer *A, int j) { return A->kind == NF_LAYER_QUANT && !A->elem_t[j].width; }

/* A may be fused: a ReLU, or a FixedPointQuantizer whose every element is
 * unsigned and saturating (the constant 0 of width 0 too): its clip at 0 is
 * the ReLU, at the top the saturation. */
static bool fusable_after(const nf_design_layer *A) {
  if (A->kind == NF_LAYER_ACTIVATION) return A->act == NF_ACT_RELU;
  if (A->kind != NF_LAYER_QUANT || !A->elem_t) return false;
  for (int j = 0; j < A->n_out; j++) {
    const nf_fixed_type *t = &A->elem_t[j];
    if (t->width && (t->is_signed || t->o != NF_O_SAT)) return false;
  }
  return true;
}

bool nf_rtl_relu_fold(const nf_design_layer *D, const nf_design_layer *A, const nf_code *in_lo, const nf_code *in_hi,
                      nf_code *offset) {
  const nf_fixed_type *ta = &D->accum_t, *tr = &D->result_t;
  int fa = nf_fixed_frac_bits(ta), fr = nf_fixed_frac_bits(tr);
  if (D->kind != NF_LAYER_DENSE || !D->weights || D->reuse_factor > 1 || !fusable_after(A) || A->n_in != D->n_out ||
      !nf_fixed_type_equal(&A->input_t, tr) || fr < fa || fr - fa > 16)
    return false;
  nf_code alo = nf_fixed_min_code(ta), ahi = nf_fixed_max_code(ta), rlo = nf_fixed_min_code(tr), rhi = nf_fixed_max_code(tr);
  for (int j = 0; j < D->n_out; j++) {
    if (nf_rtl_fused_dead(A, j)) { /* the constant 0: no sum is built */
      if (offset) offset[j] = 0;
      continue;
    }
    const nf_fixed_type *ty = nf_rtl_fused_type(A, j);
    nf_code off = fold_offset(ty->q, fa - nf_fixed_frac_bits(ty));
    if (off < 0) return false;
    nf_code b = D->bias ? D->bias[j] : 0;
    nf_code lo = nf_fixed_cast_code(ta, b, nf_fixed_frac_bits(&D->bias_t)) + off, hi = lo;
    for (int i = 0; i < D->n_in; i++) {
      nf_code w = D->weights[(size_t)i * D->n_out + j], clo, chi;
      if (w == 0) continue;
      product_range(D, w, in_lo ? in_lo[i] : nf_fixed_min_code(&D->input_t), in_hi ? in_hi[i] : nf_fixed_max_code(&D->input_t),
                    &clo, &chi);
      lo += clo, hi += chi;
    }
    /* the casts to accum_t and result_t change nothing: no bit dropped, no overflow */
    nf_code slo = lo * ((nf_code)1 << (fr - fa)), shi = hi * ((nf_code)1 << (fr - fa));
    if (lo < alo || hi > ahi || slo < rlo || shi > rhi) return false;
    if (offset) offset[j] = off;
  }
  return true;
}

/* With a saturating accumulator, the tree is exact only if no partial sum
 * of the sequential order (bias first, then inputs 0..n-1) can leave the
 * accum_t range; then saturation never acts and the order is irrelevant. */
static int check_saturation(const nf_design_layer *L, nf_error *err) {
  const nf_fixed_type *ta = &L->accum_t;
  if (ta->o == NF_O_WRAP) return NF_OK;
  nf_code alo = nf_fixed_min_code(ta), ahi = nf_fixed_max_code(ta);
  nf_code xlo = nf_fixed_min_code(&L->input_t), xhi = nf_fixed_max_code(&L->input_t);
  for (int j = 0; j < L->n_out; j++) {
    nf_code b = L->bias ? L->bias[j] : 0;
    nf_code lo = nf_fixed_cast_code(ta, b, nf_fixed_frac_bits(&L->bias_t)), hi = lo;
    for (int i = 0; i < L->n_in; i++) {
      nf_code w = L->weights[(size_t)i * L->n_out + j], clo, chi;
      if (w == 0) continue;
      product_range(L, w, xlo, xhi, &clo, &chi);
      lo += clo;
      hi += chi;
      if (lo < alo || hi > ahi) {
        char ts[96];
        nf_fixed_type_format(ta, ts, sizeof ts);
        return nf_fail(err, NF_EINPUT,
                       "layer %s: the saturating accumulator %s may saturate in the middle of the sum (output %d, "
                       "input %d), which a parallel adder tree cannot reproduce; use a wider accum type or AP_WRAP",
                       L->name, ts, j, i);
      }
    }
  }
  return NF_OK;
}

static int dense_check(const nf_design_layer *L, nf_error *err) {
  if (!L->weights) return nf_fail(err, NF_EINPUT, "layer %s: no weights", L->name);
  if (L->reuse_factor > 4096) return nf_fail(err, NF_EINPUT, "layer %s: ReuseFactor %d is too large", L->name, L->reuse_factor);
  int bits = L->input_t.width + L->weight_t.width + 2;
  for (int n = L->n_in; n > 1; n >>= 1) bits++;
  if (bits > 110 || L->accum_t.width > 110)
    return nf_fail(err, NF_EINPUT, "layer %s: products and sums would exceed 110 bits", L->name);
  return check_saturation(L, err);
}

static int dense_emit(rtl_gen *g, const char *top, const nf_design_layer *L, int k, int *latency) {
  return L->reuse_factor > 1 ? nf_rtl_emit_dense_reuse(g, top, L, k, latency) : emit_dense_parallel(g, top, L, k, latency);
}

static void dense_describe(FILE *fp, const nf_design_layer *L, long adders) {
  char tw[96], tb[96], ta[96];
  nf_fixed_type_format(&L->weight_t, tw, sizeof tw);
  nf_fixed_type_format(&L->bias_t, tb, sizeof tb);
  nf_fixed_type_format(&L->accum_t, ta, sizeof ta);
  long nnz = 0;
  for (long i = 0; i < (long)L->n_in * L->n_out; i++) nnz += L->weights[i] != 0;
  fprintf(fp, "//   weight_t %s, bias_t %s, accum_t %s\n", tw, tb, ta);
  fprintf(fp, "//   %ld of %ld weights nonzero; %ld adders; ReuseFactor %d\n", nnz, (long)L->n_in * L->n_out, adders,
          L->reuse_factor > 1 ? L->reuse_factor : 1);
}

/* acc = (accum_t) b; acc = (accum_t)(acc + (accum_t)(x_i w_ij)) in input order; y = (result_t) acc */
static void dense_reference(const nf_design_layer *L, const nf_code *x, nf_code *y) {
  int fp = nf_fixed_frac_bits(&L->input_t) + nf_fixed_frac_bits(&L->weight_t), fa = nf_fixed_frac_bits(&L->accum_t);
  for (int j = 0; j < L->n_out; j++) {
    nf_code acc = nf_fixed_cast_code(&L->accum_t, L->bias ? L->bias[j] : 0, nf_fixed_frac_bits(&L->bias_t));
    for (int i = 0; i < L->n_in; i++) {
      nf_code p = nf_fixed_cast_code(&L->accum_t, x[i] * L->weights[(size_t)i * L->n_out + j], fp);
      acc = nf_fixed_cast_code(&L->accum_t, acc + p, fa);
    }
    y[j] = nf_fixed_cast_code(&L->result_t, acc, fa);
  }
}

static int dense_interval(const nf_design_layer *L) { return L->reuse_factor > 1 ? L->reuse_factor : 1; }

const nf_rtl_layer_ops nf_rtl_dense_ops = {
    .what = "Dense",
    .check = dense_check,
    .emit = dense_emit,
    .describe = dense_describe,
    .reference = dense_reference,
    .interval = dense_interval,
};
