/* Constant matrix multiplication by common-subexpression elimination: a
 * Dense layer's products and sums as one adder graph shared by all its
 * outputs (distributed arithmetic in the manner of da4ml, arXiv 2507.04535;
 * written from the paper's idea, not its code).
 *
 * The algorithm (nf_rtl_cmm_plan):
 *  1. Every output j is a sum of signed, shifted input digits: each nonzero
 *     weight w_ij is written in canonical signed digits, so that
 *       y_j = bias_j + sum over (i, d) of s_ijd * (x_i << k_ijd)
 *     (the caller gives these terms; dense.c's exact products: all of the
 *     product's bits kept by accum_t).
 *  2. A pattern is two terms of one output, s1 (n1 << k1) + s2 (n2 << k2),
 *     normalized by shift and sign: the pair (n1 << a) + s (n2 << b) with
 *     min(a, b) = 0, s = s1 s2, n1 before n2 (by node, then shift), so
 *     that x3 - (x5 << 2) in one output and -(x3 << 1) + (x5 << 3) in
 *     another are one pattern. Every pair of terms of every output is
 *     counted, in a hash table of patterns and a max-heap of their counts.
 *  3. Greedily, the pattern with the most occurrences becomes one adder
 *     node (a new signal, depth 1 + its operands'), and every occurrence is
 *     replaced by one term (node << min(k1, k2), sign s1): in each output
 *     where it occurs, two terms become one and the new term's pairs are
 *     counted. The pairs the two old terms were in are not uncounted (two
 *     more lookups per term of the output, per substitution): counts are
 *     upper bounds, and the pattern at the top of the heap is counted
 *     exactly (its disjoint occurrences) before it is taken; if it has
 *     fewer, its exact count goes back into the heap. A pattern whose exact
 *     count is the top bound is the most frequent. Nodes are terms like the
 *     inputs, so patterns of patterns follow. This repeats while the most
 *     frequent pattern occurs at least twice: an extraction with k
 *     occurrences costs one adder and saves k (one in each output's tree),
 *     and the shared adder is usually narrower than the tree adders it
 *     replaces (they add it to more). Patterns deeper than the balanced tree
 *     of the layer's largest output are not counted, so that the sharing
 *     does not lengthen the layer's pipeline much (qkeras_3layer: 2 cycles
 *     shorter than the CSD path's).
 *  4. Each output's remaining terms (and its bias) are summed by a tree
 *     balanced by arrival depth: the two shallowest terms first (Huffman
 *     on depths), which gives the shallowest tree for the terms' depths.
 * Whether a layer is built this way or as dense.c's CSD products shared by
 * (input, odd weight) with one balanced tree per output is the generator's
 * cost choice (dense.c, docs/firmware.md).
 *
 * Exactness: every node is an exact integer sum of shifted inputs, so each
 * output's graph sums exactly the integer the CSD path sums; widths come
 * from the exact value ranges (nf_rtl_add) as there. nf_rtl_cmm_eval
 * evaluates the graph on integers (the unit test checks it against the
 * matrix product). */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

enum { NODE_BITS = 24, MAX_DEPTH_CAP = 64 };

/* A term of an output during the extraction. */
typedef struct cterm {
  int node, shift, sign, out;
  bool alive;
} cterm;

/* A pattern: its key and how many pairs of terms of one output match it. */
typedef struct pat {
  uint64_t key;
  int count; /* an upper bound of its disjoint occurrences (exact when last counted, count_pair) */
} pat;

typedef struct heap_e {
  int count, id;
} heap_e;

typedef struct int_list {
  int *v;
  int n, cap;
} int_list;

typedef struct planner {
  nf_error *err;
  bool oom;
  int cap_depth;
  /* graph */
  rtl_cnode *node;
  int n_nodes, cap_nodes;
  /* terms */
  cterm *t;
  int n_t, cap_t;
  int_list *of_out;  /* [n_out]: term indices of each output (dead ones too) */
  int_list *of_node; /* [cap_of_node]: term indices with that node (dead ones too) */
  int cap_of_node;
  int n_out;
  /* (out, node, shift) -> term index (alive ones; stale entries are skipped) */
  struct pos_e {
    uint64_t key;
    int term;
  } *pos;
  size_t cap_pos, n_pos;
  /* patterns */
  pat *p;
  int n_p, cap_p;
  struct tab_e {
    uint64_t key;
    int id; /* pattern id + 1; 0: empty */
  } *p_tab; /* open addressing, the key beside the id (one cache line a probe) */
  size_t cap_tab;
  heap_e *h;
  int n_h, cap_h;
} planner;

static uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  return k ^ (k >> 33);
}

static bool grow(planner *P, void **v, int *cap, int need, size_t size) {
  if (need <= *cap) return true;
  int c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *n = nf_realloc(*v, (size_t)c * size, P->err);
  if (!n) {
    P->oom = true;
    return false;
  }
  *v = n;
  *cap = c;
  return true;
}

static void list_add(planner *P, int_list *l, int x) {
  if (!grow(P, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) return;
  l->v[l->n++] = x;
}

static int add_node(planner *P, rtl_cref a, rtl_cref b, int depth, int out) {
  if (!grow(P, (void **)&P->node, &P->cap_nodes, P->n_nodes + 1, sizeof *P->node)) return -1;
  if (P->cap_nodes > P->cap_of_node) {
    int_list *l = nf_realloc(P->of_node, (size_t)P->cap_nodes * sizeof *l, P->err);
    if (!l) {
      P->oom = true;
      return -1;
    }
    memset(l + P->cap_of_node, 0, (size_t)(P->cap_nodes - P->cap_of_node) * sizeof *l);
    P->of_node = l;
    P->cap_of_node = P->cap_nodes;
  }
  P->node[P->n_nodes] = (rtl_cnode){.a = a, .b = b, .depth = depth, .out = out};
  return P->n_nodes++;
}

static uint64_t pos_key(int out, int node, int shift) {
  return ((uint64_t)(unsigned)out << 40) ^ ((uint64_t)(unsigned)node << 12) ^ (uint64_t)(unsigned)(shift & 0xfff);
}

static void pos_put(planner *P, int term);

static bool pos_rehash(planner *P) {
  size_t cap = P->cap_pos ? 2 * P->cap_pos : 1024;
  struct pos_e *old = P->pos;
  size_t old_cap = P->cap_pos;
  P->pos = nf_calloc(cap, sizeof *P->pos, P->err);
  if (!P->pos) {
    P->pos = old;
    P->oom = true;
    return false;
  }
  P->cap_pos = cap;
  P->n_pos = 0;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].term > 0 && P->t[old[i].term - 1].alive) pos_put(P, old[i].term - 1);
  free(old);
  return true;
}

static void pos_put(planner *P, int term) {
  if (2 * (P->n_pos + 1) > P->cap_pos && !pos_rehash(P)) return;
  const cterm *t = &P->t[term];
  uint64_t k = pos_key(t->out, t->node, t->shift);
  size_t j = mix(k) & (P->cap_pos - 1);
  while (P->pos[j].term > 0) j = (j + 1) & (P->cap_pos - 1);
  P->pos[j] = (struct pos_e){.key = k, .term = term + 1};
  P->n_pos++;
}

/* The alive term of output `out` holding node << shift, or -1. */
static int pos_get(const planner *P, int out, int node, int shift) {
  if (!P->cap_pos) return -1;
  uint64_t k = pos_key(out, node, shift);
  for (size_t j = mix(k) & (P->cap_pos - 1); P->pos[j].term > 0; j = (j + 1) & (P->cap_pos - 1)) {
    const cterm *t = &P->t[P->pos[j].term - 1];
    if (P->pos[j].key == k && t->alive && t->out == out && t->node == node && t->shift == shift) return P->pos[j].term - 1;
  }
  return -1;
}

static int new_term(planner *P, int out, int node, int shift, int sign) {
  if (!grow(P, (void **)&P->t, &P->cap_t, P->n_t + 1, sizeof *P->t)) return -1;
  int k = P->n_t++;
  P->t[k] = (cterm){.node = node, .shift = shift, .sign = sign, .out = out, .alive = true};
  list_add(P, &P->of_out[out], k);
  list_add(P, &P->of_node[node], k);
  pos_put(P, k);
  return P->oom ? -1 : k;
}

/* The normalized pattern of two terms of one output (false: none, or too
 * deep). Key: n1, n2, d = k2 - k1, the sign product. */
static bool pair_key(const planner *P, const cterm *x, const cterm *y, uint64_t *key) {
  const cterm *a = x, *b = y;
  if (b->node < a->node || (b->node == a->node && b->shift < a->shift)) a = y, b = x;
  if (a->node == b->node && a->shift == b->shift) return false;
  int d = b->shift - a->shift;
  if (d < -511 || d > 511) return false;
  int da = P->node[a->node].depth, db = P->node[b->node].depth;
  if (1 + (da > db ? da : db) > P->cap_depth) return false;
  *key = (uint64_t)a->node << 35 | (uint64_t)b->node << 11 | (uint64_t)(d + 512) << 1 | (a->sign * b->sign < 0 ? 1u : 0u);
  return true;
}

static void heap_push(planner *P, int count, int id) {
  if (!grow(P, (void **)&P->h, &P->cap_h, P->n_h + 1, sizeof *P->h)) return;
  int i = P->n_h++;
  heap_e e = {count, id};
  while (i > 0) {
    int up = (i - 1) / 2;
    heap_e u = P->h[up];
    if (u.count > e.count || (u.count == e.count && u.id < e.id)) break;
    P->h[i] = u;
    i = up;
  }
  P->h[i] = e;
}

static heap_e heap_pop(planner *P) {
  heap_e top = P->h[0], e = P->h[--P->n_h];
  int i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= P->n_h) break;
    if (c + 1 < P->n_h &&
        (P->h[c + 1].count > P->h[c].count || (P->h[c + 1].count == P->h[c].count && P->h[c + 1].id < P->h[c].id)))
      c++;
    if (P->h[c].count < e.count || (P->h[c].count == e.count && P->h[c].id > e.id)) break;
    P->h[i] = P->h[c];
    i = c;
  }
  if (P->n_h > 0) P->h[i] = e;
  return top;
}

/* The pattern's id (created with count 0 when `create`), or -1. */
static int pat_find(planner *P, uint64_t key, bool create) {
  if (create && 2 * ((size_t)P->n_p + 1) > P->cap_tab) {
    size_t cap = P->cap_tab ? 2 * P->cap_tab : 4096;
    struct tab_e *tab = nf_calloc(cap, sizeof *tab, P->err);
    if (!tab) {
      P->oom = true;
      return -1;
    }
    for (int i = 0; i < P->n_p; i++) {
      size_t j = mix(P->p[i].key) & (cap - 1);
      while (tab[j].id) j = (j + 1) & (cap - 1);
      tab[j] = (struct tab_e){.key = P->p[i].key, .id = i + 1};
    }
    free(P->p_tab);
    P->p_tab = tab;
    P->cap_tab = cap;
  }
  if (!P->cap_tab) return -1;
  size_t j = mix(key) & (P->cap_tab - 1);
  for (; P->p_tab[j].id; j = (j + 1) & (P->cap_tab - 1))
    if (P->p_tab[j].key == key) return P->p_tab[j].id - 1;
  if (!create || !grow(P, (void **)&P->p, &P->cap_p, P->n_p + 1, sizeof *P->p)) return -1;
  P->p[P->n_p] = (pat){.key = key};
  P->p_tab[j] = (struct tab_e){.key = key, .id = P->n_p + 1};
  return P->n_p++;
}

/* Counts the pair of terms x, y; `push`: the grown count enters the heap.
 * Counts are never decremented when a term goes (that would be two more
 * lookups for every term of the output at each substitution): a count is
 * an upper bound of the pattern's occurrences, made exact when it reaches
 * the top of the heap (see nf_rtl_cmm_plan). */
static void count_pair(planner *P, int x, int y, bool push) {
  uint64_t k;
  if (!pair_key(P, &P->t[x], &P->t[y], &k)) return;
  int id = pat_find(P, k, true);
  if (id < 0) return;
  P->p[id].count++;
  if (push && P->p[id].count >= 2) heap_push(P, P->p[id].count, id);
}

/* Removes dead entries from output j's term list when they are the most. */
static void compact(planner *P, int_list *l) {
  int alive = 0;
  for (int i = 0; i < l->n; i++) alive += P->t[l->v[i]].alive;
  if (2 * alive > l->n) return;
  int m = 0;
  for (int i = 0; i < l->n; i++)
    if (P->t[l->v[i]].alive) l->v[m++] = l->v[i];
  l->n = m;
}

/* Terms u and v of one output become one term of node `node`. */
static void substitute(planner *P, int u, int v, int node, int shift, int sign) {
  int out = P->t[u].out;
  P->t[u].alive = P->t[v].alive = false;
  int w = new_term(P, out, node, shift, sign);
  if (w < 0) return;
  int_list *l = &P->of_out[out];
  for (int i = 0; i < l->n; i++) {
    int z = l->v[i];
    if (P->t[z].alive && z != w) count_pair(P, w, z, true);
  }
  compact(P, l);
}

/* The disjoint occurrences of pattern id, in the order of n1's terms
 * (partner of term k: mate[k]); returns how many, -1 on failure. Two
 * occurrences of one node's pattern can overlap (x, x << 2, x << 4):
 * the first one taken wins. */
static int occurrences(planner *P, int id, int **pairs) {
  uint64_t k = P->p[id].key;
  int n1 = (int)(k >> 35), n2 = (int)((k >> 11) & ((1u << NODE_BITS) - 1)), d = (int)((k >> 1) & 1023) - 512;
  int sg = k & 1 ? -1 : 1;
  int_list *l = &P->of_node[n1];
  int *pr = nf_calloc(2 * (size_t)l->n + 2, sizeof *pr, P->err);
  if (!pr) {
    P->oom = true;
    return -1;
  }
  int n = 0;
  for (int i = 0; i < l->n; i++) {
    int u = l->v[i];
    cterm *tu = &P->t[u];
    if (!tu->alive || tu->node != n1) continue;
    int v = pos_get(P, tu->out, n2, tu->shift + d);
    if (v < 0 || v == u || P->t[v].sign != tu->sign * sg) continue;
    bool taken = false;
    for (int q = 0; q < n && n1 == n2; q++) /* a node with itself: terms may overlap */
      taken |= pr[2 * q] == u || pr[2 * q + 1] == u || pr[2 * q] == v || pr[2 * q + 1] == v;
    if (taken) continue;
    pr[2 * n] = u, pr[2 * n + 1] = v;
    n++;
  }
  *pairs = pr;
  return n;
}

static int tree_depth(int n) {
  int d = 0;
  while ((1 << d) < n) d++;
  return d;
}

/* Output j's remaining terms (and bias) by depth: a min-heap on (depth, order). */
typedef struct leaf {
  rtl_cref r;
  int depth, order;
} leaf;

static bool leaf_less(const leaf *a, const leaf *b) {
  return a->depth < b->depth || (a->depth == b->depth && a->order < b->order);
}

static void leaf_push(leaf *h, int *n, leaf e) {
  int i = (*n)++;
  while (i > 0 && leaf_less(&e, &h[(i - 1) / 2])) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
  h[i] = e;
}

static leaf leaf_pop(leaf *h, int *n) {
  leaf top = h[0], e = h[--*n];
  int i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && leaf_less(&h[c + 1], &h[c])) c++;
    if (!leaf_less(&h[c], &e)) break;
    h[i] = h[c];
    i = c;
  }
  if (*n > 0) h[i] = e;
  return top;
}

static void planner_free(planner *P) {
  for (int j = 0; j < P->n_out; j++) free(P->of_out ? P->of_out[j].v : NULL);
  for (int k = 0; k < P->cap_of_node; k++) free(P->of_node[k].v);
  free(P->of_out), free(P->of_node), free(P->t), free(P->pos), free(P->p), free(P->p_tab), free(P->h);
}

int nf_rtl_cmm_plan(int n_in, int n_out, const rtl_cref *terms, const int *start, const bool *has_bias, rtl_cmm *m,
                    nf_error *err) {
  memset(m, 0, sizeof *m);
  planner P = {.err = err, .n_out = n_out};
  int max_terms = 1;
  for (int j = 0; j < n_out; j++) {
    int n = start[j + 1] - start[j] + (has_bias && has_bias[j]);
    max_terms = n > max_terms ? n : max_terms;
  }
  P.cap_depth = tree_depth(max_terms);
  if (P.cap_depth < 1) P.cap_depth = 1;
  if (P.cap_depth > MAX_DEPTH_CAP) P.cap_depth = MAX_DEPTH_CAP;
  if (n_in + 1 >= (1 << NODE_BITS)) return nf_fail(err, NF_EINTERNAL, "constant matrix: %d inputs are too many", n_in);
  P.of_out = nf_calloc((size_t)n_out + 1, sizeof *P.of_out, err);
  if (!P.of_out) return NF_EINTERNAL;
  const rtl_cref none = {.node = -1, .sign = 1};
  for (int i = 0; i < n_in && !P.oom; i++) add_node(&P, none, none, 0, -1);
  for (int j = 0; j < n_out && !P.oom; j++)
    for (int q = start[j]; q < start[j + 1] && !P.oom; q++) new_term(&P, j, terms[q].node, terms[q].shift, terms[q].sign);
  /* every pair of every output, then the heap */
  for (int j = 0; j < n_out && !P.oom; j++) {
    const int_list *l = &P.of_out[j];
    for (int a = 0; a < l->n && !P.oom; a++)
      for (int b = a + 1; b < l->n && !P.oom; b++) count_pair(&P, l->v[a], l->v[b], false);
  }
  for (int id = 0; id < P.n_p && !P.oom; id++)
    if (P.p[id].count >= 2) heap_push(&P, P.p[id].count, id);
  int shared = 0;
  while (P.n_h > 0 && !P.oom && P.n_nodes + 1 < (1 << NODE_BITS)) {
    heap_e e = heap_pop(&P);
    pat *pt = &P.p[e.id];
    if (e.count != pt->count) {
      if (pt->count < e.count && pt->count >= 2) heap_push(&P, pt->count, e.id); /* stale high: its count now */
      continue;
    }
    if (e.count < 2) break;
    int *pairs = NULL;
    int n = occurrences(&P, e.id, &pairs);
    if (n < 0) break;
    if (n < e.count) { /* the bound was high: the exact count goes back (or the pattern is gone) */
      free(pairs);
      pt = &P.p[e.id];
      pt->count = n;
      if (n >= 2) heap_push(&P, n, e.id);
      continue;
    }
    uint64_t k = P.p[e.id].key;
    int n1 = (int)(k >> 35), n2 = (int)((k >> 11) & ((1u << NODE_BITS) - 1)), d = (int)((k >> 1) & 1023) - 512;
    int sg = k & 1 ? -1 : 1;
    int da = P.node[n1].depth, db = P.node[n2].depth;
    int node = add_node(&P, (rtl_cref){.node = n1, .shift = d < 0 ? -d : 0, .sign = 1},
                        (rtl_cref){.node = n2, .shift = d > 0 ? d : 0, .sign = sg}, 1 + (da > db ? da : db), -1);
    shared++;
    for (int q = 0; q < n && node >= 0 && !P.oom; q++) {
      int u = pairs[2 * q], v = pairs[2 * q + 1];
      int su = P.t[u].shift, sv = P.t[v].shift;
      substitute(&P, u, v, node, su < sv ? su : sv, P.t[u].sign);
    }
    free(pairs);
  }
  /* each output's tree, balanced by arrival depth */
  m->root = nf_calloc((size_t)n_out + 1, sizeof *m->root, err);
  leaf *h = nf_calloc((size_t)max_terms + 2, sizeof *h, err);
  if (!m->root || !h) P.oom = true;
  for (int j = 0; j < n_out && !P.oom; j++) {
    int nh = 0, order = 0;
    if (has_bias && has_bias[j]) {
      int b = add_node(&P, none, none, 0, j);
      if (b < 0) break;
      P.node[b].bias = true;
      leaf_push(h, &nh, (leaf){.r = {.node = b, .shift = 0, .sign = 1}, .depth = 0, .order = order++});
    }
    const int_list *l = &P.of_out[j];
    for (int i = 0; i < l->n; i++) {
      const cterm *t = &P.t[l->v[i]];
      if (t->alive)
        leaf_push(h, &nh, (leaf){.r = {.node = t->node, .shift = t->shift, .sign = t->sign}, .depth = P.node[t->node].depth,
                                 .order = order++});
    }
    if (nh == 0) {
      m->root[j] = none;
      continue;
    }
    while (nh > 1 && !P.oom) {
      leaf a = leaf_pop(h, &nh), b = leaf_pop(h, &nh);
      int depth = 1 + (a.depth > b.depth ? a.depth : b.depth);
      int s = add_node(&P, a.r, b.r, depth, j);
      if (s < 0) break;
      leaf_push(h, &nh, (leaf){.r = {.node = s, .shift = 0, .sign = 1}, .depth = depth, .order = order++});
    }
    m->root[j] = h[0].r;
  }
  free(h);
  int rc = P.oom ? (err && err->msg[0] ? NF_EINTERNAL : nf_fail_oom(err, "constant matrix graph")) : NF_OK;
  if (!rc) {
    m->n_in = n_in, m->n_out = n_out, m->n_nodes = P.n_nodes, m->shared = shared;
    m->node = P.node;
    P.node = NULL;
    for (int k = 0; k < m->n_nodes; k++) m->depth = m->node[k].depth > m->depth ? m->node[k].depth : m->depth;
  } else {
    free(m->root);
    m->root = NULL;
  }
  free(P.node);
  planner_free(&P);
  return rc;
}

void nf_rtl_cmm_free(rtl_cmm *m) {
  free(m->node), free(m->root);
  memset(m, 0, sizeof *m);
}

static nf_code ref_value(const nf_code *v, rtl_cref r) {
  if (r.node < 0) return 0;
  return r.sign * (v[r.node] * ((nf_code)1 << r.shift));
}

int nf_rtl_cmm_eval(const rtl_cmm *m, const nf_code *x, const nf_code *bias, nf_code *y, nf_error *err) {
  nf_code *v = nf_calloc((size_t)m->n_nodes + 1, sizeof *v, err);
  if (!v) return NF_EINTERNAL;
  for (int k = 0; k < m->n_nodes; k++) {
    const rtl_cnode *c = &m->node[k];
    if (k < m->n_in) v[k] = x[k];
    else if (c->bias) v[k] = bias ? bias[c->out] : 0;
    else v[k] = ref_value(v, c->a) + ref_value(v, c->b);
  }
  for (int j = 0; j < m->n_out; j++) y[j] = ref_value(v, m->root[j]);
  free(v);
  return NF_OK;
}

/* The rtl_term of a reference: the node's current term, shifted and signed. */
static rtl_term ref_term(const rtl_term *nt, const nf_code *bias, const rtl_cmm *m, rtl_cref r) {
  if (r.node < 0) return (rtl_term){.sig = -1, .sign = 1, .cval = 0};
  if (m->node[r.node].bias) return (rtl_term){.sig = -1, .sign = r.sign, .cval = bias[m->node[r.node].out] * ((nf_code)1 << r.shift)};
  rtl_term t = nt[r.node];
  t.shift += r.shift;
  t.sign *= r.sign;
  return t;
}

int nf_rtl_cmm_emit(rtl_gen *g, const rtl_cmm *m, const int *xs, const nf_code *bias, rtl_term *out, int *level,
                    int *stages) {
  rtl_term *nt = nf_calloc((size_t)m->n_nodes + 1, sizeof *nt, g->err);
  int *last = nf_calloc((size_t)m->n_nodes + 1, sizeof *last, g->err); /* deepest level reading the node */
  int *name_ix = nf_calloc((size_t)m->n_out + 1, sizeof *name_ix, g->err);
  int *shared_ix = nf_calloc((size_t)m->n_nodes + 1, sizeof *shared_ix, g->err);
  if (!nt || !last || !name_ix || !shared_ix) {
    free(nt), free(last), free(name_ix), free(shared_ix);
    g->oom = true;
    return NF_EINTERNAL;
  }
  int D = m->depth, base = *level;
  for (int k = 0, s = 0; k < m->n_nodes; k++) {
    const rtl_cnode *c = &m->node[k];
    if (k < m->n_in) nt[k] = (rtl_term){.sig = xs[k], .shift = 0, .sign = 1};
    if (k < m->n_in || c->bias) continue;
    if (c->out < 0) shared_ix[k] = s++;
    if (c->a.node >= 0 && last[c->a.node] < c->depth) last[c->a.node] = c->depth;
    if (c->b.node >= 0 && last[c->b.node] < c->depth) last[c->b.node] = c->depth;
  }
  for (int j = 0; j < m->n_out; j++)
    if (m->root[j].node >= 0) last[m->root[j].node] = D + 1;
  if (base + D >= RTL_MAX_LEVELS) {
    free(nt), free(last), free(name_ix), free(shared_ix);
    g->oom = true;
    return nf_fail(g->err, NF_EINTERNAL, "adder graph deeper than %d levels", RTL_MAX_LEVELS);
  }
  for (int l = 1; l <= D && !g->oom; l++) {
    memset(name_ix, 0, (size_t)m->n_out * sizeof *name_ix);
    for (int k = m->n_in; k < m->n_nodes && !g->oom; k++) {
      const rtl_cnode *c = &m->node[k];
      if (c->bias || c->depth != l) continue;
      char name[RTL_NAME];
      if (c->out < 0) snprintf(name, sizeof name, "%s_s%d", g->layer, shared_ix[k]);
      else snprintf(name, sizeof name, "%s_o%d_l%d_%d", g->layer, c->out, base + l, name_ix[c->out]++);
      nt[k] = nf_rtl_add(g, ref_term(nt, bias, m, c->a), ref_term(nt, bias, m, c->b), name);
    }
    /* the values still to be read after this level cross it */
    long bits = 0;
    bool reg = g->reg_at && g->reg_at[base + l] && l < D;
    if (reg) fprintf(g->fp, "  // ---- pipeline registers after adder level %d ----\n", base + l);
    for (int k = 0; k < m->n_nodes && !g->oom; k++) {
      const rtl_cnode *c = &m->node[k];
      if (c->bias || c->depth > l || last[k] <= l || nt[k].sig < 0) continue;
      bits += g->sigs[nt[k].sig].width;
      if (reg) nt[k].sig = nf_rtl_register(g, nt[k].sig, *stages + 1);
    }
    if (g->level_bits) g->level_bits[base + l] = bits;
    if (reg) (*stages)++;
  }
  for (int j = 0; j < m->n_out; j++) out[j] = ref_term(nt, bias, m, m->root[j]);
  *level = base + D;
  free(nt), free(last), free(name_ix), free(shared_ix);
  return g->oom ? NF_EINTERNAL : NF_OK;
}
