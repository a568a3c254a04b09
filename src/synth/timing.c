/* Static timing of a mapped netlist: the longest path between registers
 * (or ports) of Yosys' write_verilog output, with each cell's pin-to-pin
 * delays, clock-to-out and setup times read from the specify blocks of Yosys'
 * own Xilinx cell library, plus a routing delay per net (see nnfirm/synth.h).
 *
 * Yosys' `sta` pass reports the latest-arriving net, which may be a carry
 * output nothing reads; this analysis only ends paths where a value is
 * captured: a register's D/CE/R (+ setup), an input of a cell without timing
 * arcs (block RAM, DSP), or an output port. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"
#include "nnfirm/util.h"

static char *dupstr(const char *s, nf_error *err) {
  size_t n = strlen(s) + 1;
  char *d = nf_malloc(n, err);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---- the cell library -------------------------------------------------------- */
typedef struct arc {
  char in[24], out[24];
  int ps;
} arc;

typedef struct setup {
  char pin[24];
  int ps;
} setup;

typedef struct model {
  char name[40];
  arc *arcs;
  int n_arcs;
  setup *setups;
  int n_setups;
  int clk_q_ps; /* > 0: outputs are register outputs */
  bool timed;   /* has a specify block */
} model;

typedef struct lib {
  model *m;
  int n, cap;
} lib;

static void strip_comments(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '/' && r[1] == '/') {
      while (*r && *r != '\n') r++;
    } else if (r[0] == '/' && r[1] == '*') {
      char *e = strstr(r + 2, "*/");
      r = e ? e + 2 : r + strlen(r);
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

/* A pin name as the library writes it ("S[0]", "CI"), whitespace removed. */
static void pin_copy(char *dst, size_t n, const char *a, const char *b) {
  size_t k = 0;
  for (const char *p = a; p < b && k + 1 < n; p++)
    if (!isspace((unsigned char)*p)) dst[k++] = *p;
  dst[k] = '\0';
}

static int lib_parse(char *text, lib *L, nf_error *err) {
  strip_comments(text);
  for (char *p = text; (p = strstr(p, "module "));) {
    if (p != text && !isspace((unsigned char)p[-1])) {
      p += 7;
      continue;
    }
    p += 7;
    while (isspace((unsigned char)*p)) p++;
    char name[40];
    size_t k = 0;
    if (*p == '\\') p++;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '$') && k + 1 < sizeof name) name[k++] = *p++;
    name[k] = '\0';
    char *end = strstr(p, "endmodule");
    if (!end) break;
    if (L->n == L->cap) {
      int cap = L->cap ? 2 * L->cap : 64;
      model *nm = nf_realloc(L->m, (size_t)cap * sizeof *nm, err);
      if (!nm) return NF_EINTERNAL;
      L->m = nm, L->cap = cap;
    }
    model *m = &L->m[L->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    char *sp = strstr(p, "specify");
    if (sp && sp < end) {
      m->timed = true;
      char *se = strstr(sp, "endspecify");
      if (!se || se > end) se = end;
      for (char *q = sp + 7; q < se;) {
        char *semi = memchr(q, ';', (size_t)(se - q));
        if (!semi) break;
        *semi = '\0';
        char *st = strstr(q, "$setup");
        char *open = strchr(q, '(');
        if (st) {
          /* $setup(PIN , event, ps) */
          char *a = strchr(st, '('), *c1 = a ? strchr(a, ',') : NULL, *c2 = c1 ? strrchr(c1, ',') : NULL;
          if (a && c1 && c2 && c2 > c1) {
            setup *ns = nf_realloc(m->setups, (size_t)(m->n_setups + 1) * sizeof *ns, err);
            if (!ns) return NF_EINTERNAL;
            m->setups = ns;
            pin_copy(ns[m->n_setups].pin, sizeof ns[0].pin, a + 1, c1);
            ns[m->n_setups].ps = atoi(c2 + 1);
            m->n_setups++;
          }
        } else if (open && strstr(q, "=>")) {
          char *arrow = strstr(q, "=>"), *eq = strrchr(q, '=');
          int ps = eq && eq > arrow + 1 ? atoi(eq + 1) : 0;
          if (strstr(q, "posedge") || strstr(q, "negedge")) {
            if (ps > m->clk_q_ps) m->clk_q_ps = ps;
          } else {
            /* "(A => B) = ps", possibly after "if (...)": the last '(' before => */
            char *a = arrow;
            while (a > q && *a != '(') a--;
            char *b = strchr(arrow, ')');
            if (*a == '(' && b) {
              arc *na = nf_realloc(m->arcs, (size_t)(m->n_arcs + 1) * sizeof *na, err);
              if (!na) return NF_EINTERNAL;
              m->arcs = na;
              pin_copy(na[m->n_arcs].in, sizeof na[0].in, a + 1, arrow);
              pin_copy(na[m->n_arcs].out, sizeof na[0].out, arrow + 2, b);
              na[m->n_arcs].ps = ps;
              m->n_arcs++;
            }
          }
        }
        q = semi + 1;
      }
    }
    p = end;
  }
  return NF_OK;
}

static void lib_free(lib *L) {
  for (int i = 0; i < L->n; i++) free(L->m[i].arcs), free(L->m[i].setups);
  free(L->m);
}

static const model *lib_find(const lib *L, const char *name) {
  for (int i = 0; i < L->n; i++)
    if (!strcmp(L->m[i].name, name)) return &L->m[i];
  return NULL;
}

/* ---- the netlist ------------------------------------------------------------- */
typedef struct conn {
  char pin[24];
  int bit, width;
  int node;
} conn;

typedef struct cell {
  const model *m;
  char type[40];
  int first, n; /* its conns */
} cell;

typedef struct tnode {
  int parent;       /* union-find (assign aliases) */
  int drv_cell;     /* driving cell, -1: none */
  int drv_conn;
  bool pin, pout;   /* primary input / output bit */
  char *name;
  /* analysis */
  int arr;          /* ps; INT32_MIN = not yet */
  int pred;         /* node the latest input came from, -1 at a start */
  int pred_route;   /* that input's routing delay (ps) */
  bool busy;
} tnode;

typedef struct hent {
  char *key;
  int val;
} hent;

typedef struct net {
  tnode *nodes;
  int n_nodes, cap_nodes;
  conn *conns;
  int n_conns, cap_conns;
  cell *cells;
  int n_cells, cap_cells;
  hent *h; /* bit name -> node */
  size_t h_cap, h_n;
  hent *ranges; /* wire name -> msb * 65536 + lsb (+ 1 << 30 when scalar) */
  size_t r_cap, r_n;
  nf_error *err;
  bool stop; /* out of memory (rc 0) or bad input (rc set): read no further */
  int rc;
} net;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static bool h_grow(net *N, hent **t, size_t *cap, size_t n) {
  if ((n + 1) * 2 < *cap) return true;
  size_t nc = *cap ? *cap * 2 : 1024;
  hent *nt = nf_calloc(nc, sizeof *nt, N->err);
  if (!nt) return N->stop = true, false;
  for (size_t i = 0; i < *cap; i++)
    if ((*t)[i].key) {
      size_t j = hash_str((*t)[i].key) & (nc - 1);
      while (nt[j].key) j = (j + 1) & (nc - 1);
      nt[j] = (*t)[i];
    }
  free(*t);
  *t = nt, *cap = nc;
  return true;
}

static hent *h_find(hent *t, size_t cap, const char *key) {
  if (!cap) return NULL;
  size_t j = hash_str(key) & (cap - 1);
  while (t[j].key) {
    if (!strcmp(t[j].key, key)) return &t[j];
    j = (j + 1) & (cap - 1);
  }
  return &t[j];
}

static bool h_put(net *N, hent **t, size_t *cap, size_t *n, const char *key, int val) {
  if (!h_grow(N, t, cap, *n)) return false;
  hent *e = h_find(*t, *cap, key);
  if (!e->key) {
    if (!(e->key = dupstr(key, N->err))) return N->stop = true, false;
    (*n)++;
  }
  e->val = val;
  return true;
}

static int new_node(net *N, const char *name) {
  if (N->n_nodes == N->cap_nodes) {
    int cap = N->cap_nodes ? 2 * N->cap_nodes : 4096;
    tnode *nn = nf_realloc(N->nodes, (size_t)cap * sizeof *nn, N->err);
    if (!nn) return N->stop = true, -1;
    N->nodes = nn, N->cap_nodes = cap;
  }
  tnode *x = &N->nodes[N->n_nodes];
  memset(x, 0, sizeof *x);
  x->parent = N->n_nodes;
  x->drv_cell = -1;
  x->name = dupstr(name, N->err);
  if (!x->name) return N->stop = true, -1;
  return N->n_nodes++;
}

/* The node of bit `idx` of wire `name` (idx < 0: a scalar). */
static int bit_node(net *N, const char *name, int idx) {
  char key[600];
  if (idx < 0) snprintf(key, sizeof key, "%s", name);
  else snprintf(key, sizeof key, "%s [%d]", name, idx);
  hent *e = h_find(N->h, N->h_cap, key);
  if (e && e->key) return e->val;
  int id = new_node(N, key);
  if (id < 0 || !h_put(N, &N->h, &N->h_cap, &N->h_n, key, id)) return -1;
  return id;
}

static int find(net *N, int a) {
  while (N->nodes[a].parent != a) a = N->nodes[a].parent = N->nodes[N->nodes[a].parent].parent;
  return a;
}

/* ---- tokenizer ---- */
typedef struct lex {
  const char *p;
  char tok[600];
} lex;

static bool next(lex *x) {
  const char *p = x->p;
  while (*p && isspace((unsigned char)*p)) p++;
  if (!*p) return x->p = p, x->tok[0] = '\0', false;
  size_t k = 0;
  if (*p == '\\') {
    while (*p && !isspace((unsigned char)*p) && k + 1 < sizeof x->tok) x->tok[k++] = *p++;
  } else if (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || *p == '\'') {
    while (*p && (isalnum((unsigned char)*p) || strchr("_$.'", *p)) && k + 1 < sizeof x->tok) x->tok[k++] = *p++;
  } else {
    x->tok[k++] = *p++;
  }
  x->tok[k] = '\0';
  x->p = p;
  return true;
}

static bool is(const lex *x, const char *t) { return !strcmp(x->tok, t); }

/* The widest bus, constant or bit index read, and the deepest nesting of
 * concatenations: Yosys writes far less; more is a broken file. */
#define NET_MAX_BITS 65536
#define NET_MAX_DEPTH 64

static bool too_wide(net *N, long lo, long hi) {
  if (lo >= -NET_MAX_BITS && hi <= NET_MAX_BITS && hi - lo <= NET_MAX_BITS) return false;
  N->rc = nf_fail(N->err, NF_EINPUT, "timing: a bus, constant or bit index [%ld:%ld] in the netlist beyond the %d "
                  "bits it reads", hi, lo, NET_MAX_BITS);
  N->stop = true;
  return true;
}

/* Appends the bits of one expression (MSB first) to *bits (-1 = constant). */
static bool expr_bits(net *N, lex *x, int **bits, int *n, int *cap, int depth) {
#define PUSH(v)                                                                  \
  do {                                                                           \
    if (*n == *cap) {                                                            \
      int c2 = *cap ? 2 * *cap : 64;                                             \
      int *nb = nf_realloc(*bits, (size_t)c2 * sizeof *nb, N->err);              \
      if (!nb) return N->stop = true, false;                                      \
      *bits = nb, *cap = c2;                                                     \
    }                                                                            \
    (*bits)[(*n)++] = (v);                                                       \
  } while (0)
  if (is(x, "{")) {
    if (depth >= NET_MAX_DEPTH) {
      N->rc = nf_fail(N->err, NF_EINPUT, "timing: concatenations nested deeper than %d in the netlist", NET_MAX_DEPTH);
      return N->stop = true, false;
    }
    next(x);
    while (x->tok[0] && !is(x, "}")) {
      if (!expr_bits(N, x, bits, n, cap, depth + 1)) return false;
      if (is(x, ",")) next(x);
    }
    next(x);
    return true;
  }
  if (isdigit((unsigned char)x->tok[0])) { /* sized constant N'hX */
    long w = atol(x->tok);
    if (!strchr(x->tok, '\'')) w = 32;
    if (too_wide(N, 0, w)) return false;
    for (int i = 0; i < w; i++) PUSH(-1);
    next(x);
    return true;
  }
  char name[600];
  snprintf(name, sizeof name, "%s", x->tok);
  next(x);
  hent *r = h_find(N->ranges, N->r_cap, name);
  int msb = 0, lsb = 0;
  bool scalar = true;
  if (r && r->key && !(r->val & (1 << 30))) msb = r->val >> 15, lsb = r->val & 0x7fff, scalar = false;
  if (is(x, "[")) {
    next(x);
    long hi = atol(x->tok), lo = hi;
    next(x);
    if (is(x, ":")) next(x), lo = atol(x->tok), next(x);
    next(x); /* ] */
    if (too_wide(N, hi < lo ? hi : lo, hi < lo ? lo : hi)) return false;
    for (long i = hi; hi >= lo ? i >= lo : i <= lo; i += hi >= lo ? -1 : 1) PUSH(bit_node(N, name, (int)i));
    return !N->stop;
  }
  if (scalar) PUSH(bit_node(N, name, -1));
  else
    for (int i = msb; msb >= lsb ? i >= lsb : i <= lsb; i += msb >= lsb ? -1 : 1) PUSH(bit_node(N, name, i));
  return !N->stop;
#undef PUSH
}

/* A new cell of the given type (its conns follow); NULL when out of memory. */
static cell *new_cell(net *N, const char *type, const lib *L) {
  if (N->n_cells == N->cap_cells) {
    int cap = N->cap_cells ? 2 * N->cap_cells : 1024;
    cell *nc = nf_realloc(N->cells, (size_t)cap * sizeof *nc, N->err);
    if (!nc) return N->stop = true, NULL;
    N->cells = nc, N->cap_cells = cap;
  }
  cell *c = &N->cells[N->n_cells];
  snprintf(c->type, sizeof c->type, "%s", type);
  c->m = lib_find(L, type);
  c->first = N->n_conns;
  c->n = 0;
  return c;
}

/* Connects bit `bit` of pin `pin` (a bus `width` bits wide) of cell c, the
 * cell last made, to node (-1: a constant). */
static bool add_conn(net *N, cell *c, const char *pin, int bit, int width, int node) {
  if (N->n_conns == N->cap_conns) {
    int cap = N->cap_conns ? 2 * N->cap_conns : 4096;
    conn *ncn = nf_realloc(N->conns, (size_t)cap * sizeof *ncn, N->err);
    if (!ncn) return N->stop = true, false;
    N->conns = ncn, N->cap_conns = cap;
  }
  conn *k = &N->conns[N->n_conns++];
  snprintf(k->pin, sizeof k->pin, "%s", pin);
  k->width = width, k->bit = bit, k->node = node;
  c->n++;
  return true;
}

static int parse_netlist(net *N, const char *text, const lib *L) {
  lex x = {.p = text};
  int *bits = NULL, nb = 0, cb = 0, *rbits = NULL, nr = 0, cr = 0;
  next(&x);
  while (x.tok[0] && !N->stop) {
    if (is(&x, "module")) {
      while (x.tok[0] && !is(&x, ";")) next(&x);
      next(&x);
    } else if (is(&x, "endmodule")) {
      break;
    } else if (is(&x, "wire") || is(&x, "input") || is(&x, "output") || is(&x, "inout") || is(&x, "reg")) {
      bool in = is(&x, "input"), out = is(&x, "output");
      next(&x);
      if (is(&x, "signed")) next(&x);
      int msb = 0, lsb = 0;
      bool scalar = true;
      if (is(&x, "[")) {
        next(&x), msb = atoi(x.tok), next(&x), next(&x), lsb = atoi(x.tok), next(&x), next(&x);
        if (msb < 0 || lsb < 0 || msb > 0x7fff || lsb > 0x7fff) { /* packed in 15 bits each below */
          N->rc = nf_fail(N->err, NF_EINPUT, "timing: a wire range [%d:%d] in the netlist outside [0:32767]", msb, lsb);
          break;
        }
        scalar = false;
      }
      char name[600];
      snprintf(name, sizeof name, "%s", x.tok);
      h_put(N, &N->ranges, &N->r_cap, &N->r_n, name, scalar ? 1 << 30 : (msb << 15) | lsb);
      if (in || out) {
        for (int i = scalar ? -1 : (msb < lsb ? msb : lsb); i <= (scalar ? -1 : (msb < lsb ? lsb : msb)); i++) {
          int id = bit_node(N, name, i);
          if (id < 0) break;
          if (in) N->nodes[id].pin = true;
          else N->nodes[id].pout = true;
        }
      }
      while (x.tok[0] && !is(&x, ";")) next(&x);
      next(&x);
    } else if (is(&x, "assign")) {
      next(&x);
      nb = nr = 0;
      if (!expr_bits(N, &x, &bits, &nb, &cb, 0)) break;
      next(&x); /* = */
      if (!expr_bits(N, &x, &rbits, &nr, &cr, 0)) break;
      /* right-aligned: the LSBs correspond */
      for (int i = 0; i < nb && i < nr; i++) {
        int a = bits[nb - 1 - i], b = rbits[nr - 1 - i];
        if (a >= 0 && b >= 0) N->nodes[find(N, a)].parent = find(N, b);
      }
      while (x.tok[0] && !is(&x, ";")) next(&x);
      next(&x);
    } else {
      /* a cell: TYPE [#(...)] NAME ( .PIN(expr), ... ); */
      char type[40];
      snprintf(type, sizeof type, "%s", x.tok[0] == '\\' ? x.tok + 1 : x.tok);
      next(&x);
      if (is(&x, "#")) {
        next(&x);
        int depth = 0;
        do {
          if (is(&x, "(")) depth++;
          else if (is(&x, ")")) depth--;
          next(&x);
        } while (x.tok[0] && depth > 0);
      }
      next(&x); /* instance name */
      if (!is(&x, "(")) {
        while (x.tok[0] && !is(&x, ";")) next(&x);
        next(&x);
        continue;
      }
      next(&x);
      cell *c = new_cell(N, type, L);
      if (!c) break;
      while (x.tok[0] && !is(&x, ")") && !N->stop) {
        if (!is(&x, ".")) {
          next(&x);
          continue;
        }
        next(&x);
        char pin[24];
        snprintf(pin, sizeof pin, "%s", x.tok);
        next(&x), next(&x); /* name, ( */
        nb = 0;
        if (!is(&x, ")") && !expr_bits(N, &x, &bits, &nb, &cb, 0)) break;
        next(&x); /* ) */
        if (is(&x, ",")) next(&x);
        for (int i = 0; i < nb && add_conn(N, c, pin, nb - 1 - i, nb, bits[i]); i++) {
        }
      }
      next(&x); /* ) */
      next(&x); /* ; */
      N->n_cells++;
    }
  }
  free(bits), free(rbits);
  return N->rc ? N->rc : N->stop ? NF_EINTERNAL : NF_OK;
}

/* ---- Yosys' write_blif form --------------------------------------------------
 * Written here: no Debian library reads BLIF. The split synthesis writes its
 * joined netlist this way, as Yosys writes it about 14 times faster than
 * Verilog (2.2 s against 31 s for the 16-64-32-32-5 tagger at ap_fixed<16,6>).
 * What Yosys writes for a mapped netlist: .model, .inputs, .outputs, one
 * .subckt CELL PIN=NET ... per cell (a bus pin as CO[2]=net), a .names A B
 * with the cover "1 1" per connection (B = A), and the constants $false,
 * $true, $undef. Any other .names is logic outside the cell library: refused. */

/* The next word of the current line (a "\" at the end of a line continues
 * it); *got false at the end of the line or at a comment. */
static const char *blif_word(const char *p, char *out, size_t n, bool *got) {
  for (;;) {
    while (*p != '\n' && isspace((unsigned char)*p)) p++;
    if (p[0] == '\\' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n'))) {
      p += p[1] == '\n' ? 2 : 3;
      continue;
    }
    break;
  }
  size_t k = 0;
  *got = false;
  if (!*p || *p == '\n' || *p == '#') return p;
  while (*p && !isspace((unsigned char)*p)) {
    if (k + 1 < n) out[k++] = *p;
    p++;
  }
  out[k] = '\0';
  *got = true;
  return p;
}

static const char *blif_next_line(const char *p, int *line) {
  while (*p && *p != '\n') p++;
  if (*p) p++, (*line)++;
  return p;
}

static int blif_node(net *N, const char *name) {
  if (!strcmp(name, "$false") || !strcmp(name, "$true") || !strcmp(name, "$undef")) return -1;
  return bit_node(N, name, -1);
}

static int parse_blif(net *N, const char *text, const lib *L) {
  char w[600], w2[600];
  bool got;
  int line = 1, models = 0;
  for (const char *p = text; *p && !N->stop; p = blif_next_line(p, &line)) {
    const char *q = blif_word(p, w, sizeof w, &got);
    if (!got) continue;
    if (!strcmp(w, ".model")) {
      if (models++) break; /* the first model is the design */
    } else if (!strcmp(w, ".end")) {
      break;
    } else if (!strcmp(w, ".inputs") || !strcmp(w, ".outputs")) {
      bool in = w[1] == 'i';
      for (q = blif_word(q, w2, sizeof w2, &got); got; q = blif_word(q, w2, sizeof w2, &got)) {
        int id = blif_node(N, w2);
        if (id >= 0) *(in ? &N->nodes[id].pin : &N->nodes[id].pout) = true;
      }
      p = q;
    } else if (!strcmp(w, ".names")) {
      char nets[3][600];
      int n = 0;
      for (q = blif_word(q, w2, sizeof w2, &got); got; q = blif_word(q, w2, sizeof w2, &got))
        if (n < 3) snprintf(nets[n++], sizeof nets[0], "%s", w2);
        else n++;
      int at = line;
      p = blif_next_line(q, &line);
      char c1[8] = "", c2[8] = "";
      const char *r = blif_word(p, c1, sizeof c1, &got);
      if (got && c1[0] != '.') blif_word(r, c2, sizeof c2, &got);
      else p = q, line = at; /* no cover: the next line is a command */
      if (n == 2 && !strcmp(c1, "1") && !strcmp(c2, "1")) {
        int a = blif_node(N, nets[1]), b = blif_node(N, nets[0]);
        if (a >= 0 && b >= 0) N->nodes[find(N, a)].parent = find(N, b);
      } else if (n != 1) {
        return nf_fail(N->err, NF_EINPUT, "timing: netlist line %d: a .names with %d nets is logic outside the cell "
                       "library (only connections, '.names A B' with the cover '1 1', are read)", at, n);
      }
    } else if (!strcmp(w, ".subckt")) {
      q = blif_word(q, w2, sizeof w2, &got);
      cell *c = got ? new_cell(N, w2, L) : NULL;
      if (!c) {
        if (!got) return nf_fail(N->err, NF_EINPUT, "timing: netlist line %d: .subckt without a cell type", line);
        break;
      }
      for (q = blif_word(q, w2, sizeof w2, &got); got && !N->stop; q = blif_word(q, w2, sizeof w2, &got)) {
        char *eq = strchr(w2, '='), *br = strchr(w2, '[');
        if (!eq) return nf_fail(N->err, NF_EINPUT, "timing: netlist line %d: '%s' is not PIN=NET", line, w2);
        *eq = '\0';
        int bit = 0;
        if (br && br < eq) bit = atoi(br + 1), *br = '\0';
        /* a bus pin's width is not written: 0 marks "a bit of a bus" for pin_is */
        add_conn(N, c, w2, bit, br && br < eq ? 0 : 1, blif_node(N, eq + 1));
      }
      p = q;
      N->n_cells++;
    } /* .cname, .attr, .param and the rest carry no connectivity */
  }
  return N->rc ? N->rc : N->stop ? NF_EINTERNAL : NF_OK;
}

/* BLIF when its first command is .model, else Yosys' Verilog. */
static bool is_blif(const char *text) {
  const char *p = text;
  for (;;) {
    while (isspace((unsigned char)*p)) p++;
    if (*p != '#') break;
    while (*p && *p != '\n') p++;
  }
  return !strncmp(p, ".model", 6);
}

/* Does the library pin name `lp` ("S[0]", "I0") denote connection k? */
static bool pin_is(const char *lp, const conn *k) {
  size_t n = strlen(k->pin);
  if (strncmp(lp, k->pin, n)) return false;
  if (lp[n] == '\0') return k->width == 1;
  if (lp[n] != '[') return false;
  return atoi(lp + n + 1) == k->bit;
}

static bool is_output(const cell *c, const conn *k) {
  if (!c->m) return false;
  for (int a = 0; a < c->m->n_arcs; a++)
    if (pin_is(c->m->arcs[a].out, k)) return true;
  return c->m->clk_q_ps > 0 && (!strcmp(k->pin, "Q") || !strcmp(k->pin, "O"));
}

typedef struct ctx {
  net *N;
  int route_ps;
} ctx;

static int route_of(ctx *X, int node, const conn *sink) {
  tnode *nd = &X->N->nodes[node];
  if (nd->drv_cell < 0) return nd->pin ? X->route_ps : 0; /* a port is routed; a constant is not */
  const cell *d = &X->N->cells[nd->drv_cell];
  const conn *dk = &X->N->conns[nd->drv_conn];
  /* the carry chain's dedicated link */
  if (!strncmp(d->type, "CARRY", 5) && !strcmp(dk->pin, "CO") && !strcmp(sink->pin, "CI")) return 0;
  return X->route_ps;
}

static int arrival(ctx *X, int node) {
  net *N = X->N;
  tnode *nd = &N->nodes[node];
  if (nd->arr != INT32_MIN) return nd->arr;
  if (nd->busy) return 0; /* a combinational loop: cut it */
  nd->busy = true;
  int best = 0, pred = -1, proute = 0;
  if (nd->drv_cell >= 0) {
    const cell *c = &N->cells[nd->drv_cell];
    const conn *out = &N->conns[nd->drv_conn];
    if (c->m && c->m->clk_q_ps > 0) {
      best = c->m->clk_q_ps; /* a register output starts a path */
    } else if (c->m) {
      for (int a = 0; a < c->m->n_arcs; a++) {
        const arc *ar = &c->m->arcs[a];
        if (!pin_is(ar->out, out)) continue;
        for (int i = c->first; i < c->first + c->n; i++) {
          const conn *k = &N->conns[i];
          if (k->node < 0 || !pin_is(ar->in, k)) continue;
          int src = find(N, k->node), r = route_of(X, src, k);
          int t = arrival(X, src) + r + ar->ps;
          if (t > best || pred < 0) best = t, pred = src, proute = r;
        }
      }
    }
  }
  nd = &N->nodes[node];
  nd->arr = best, nd->pred = pred, nd->pred_route = proute, nd->busy = false;
  return best;
}

/* A readable register/port name from a node's wire name. */
static void pretty(const char *name, char *out, size_t n) {
  if (name[0] == '\\') name++;
  size_t k = 0;
  for (const char *p = name; *p && k + 1 < n; p++)
    if (*p != ' ') out[k++] = *p;
  out[k] = '\0';
}

static bool auto_name(const char *s) { return s[0] == '_' || s[0] == '$' || (s[0] == '\\' && s[1] == '$'); }

int nf_timing_analyze(const char *netlist, const char *cell_lib, double route_ns_per_net, nf_timing *t, nf_error *err) {
  memset(t, 0, sizeof *t);
  char *libtext = dupstr(cell_lib, err);
  if (!libtext) return NF_EINTERNAL;
  lib L = {0};
  int rc = lib_parse(libtext, &L, err);
  free(libtext);
  net N = {.err = err};
  if (!rc) rc = is_blif(netlist) ? parse_blif(&N, netlist, &L) : parse_netlist(&N, netlist, &L);
  if (!rc && N.n_cells == 0) rc = nf_fail(err, NF_EINPUT, "timing: the netlist has no cells");
  if (!rc) {
    /* aliases: one representative per net, named by its most readable name */
    for (int i = 0; i < N.n_nodes; i++) {
      int r = find(&N, i);
      if (r != i) {
        N.nodes[r].pin |= N.nodes[i].pin;
        N.nodes[r].pout |= N.nodes[i].pout;
        if (auto_name(N.nodes[r].name) && !auto_name(N.nodes[i].name)) {
          char *s = N.nodes[r].name;
          N.nodes[r].name = N.nodes[i].name, N.nodes[i].name = s;
        }
      }
    }
    for (int c = 0; c < N.n_cells; c++)
      for (int i = N.cells[c].first; i < N.cells[c].first + N.cells[c].n; i++) {
        conn *k = &N.conns[i];
        if (k->node < 0) continue;
        k->node = find(&N, k->node);
        if (is_output(&N.cells[c], k)) N.nodes[k->node].drv_cell = c, N.nodes[k->node].drv_conn = i;
      }
    for (int i = 0; i < N.n_nodes; i++) N.nodes[i].arr = INT32_MIN;
    ctx X = {.N = &N, .route_ps = (int)(route_ns_per_net * 1000 + 0.5)};
    /* endpoints: register inputs with a setup time, inputs of cells without
     * timing arcs (RAM, DSP), output ports */
    long best = -1;
    int best_node = -1, best_route = 0, best_setup = 0, best_cell = -1;
    for (int c = 0; c < N.n_cells; c++) {
      const cell *ce = &N.cells[c];
      bool seq = ce->m && ce->m->clk_q_ps > 0, untimed = !ce->m || !ce->m->timed;
      if (!seq && !untimed) continue;
      for (int i = ce->first; i < ce->first + ce->n; i++) {
        const conn *k = &N.conns[i];
        if (k->node < 0 || is_output(ce, k) || !strcmp(k->pin, "C") || !strncmp(k->pin, "CLK", 3)) continue;
        int su = 0;
        bool capt = untimed;
        for (int s = 0; seq && s < ce->m->n_setups; s++)
          if (pin_is(ce->m->setups[s].pin, k)) su = ce->m->setups[s].ps, capt = true;
        if (!capt) continue;
        int r = route_of(&X, k->node, k);
        long a = (long)arrival(&X, k->node) + r + su;
        if (a > best) best = a, best_node = k->node, best_route = r, best_setup = su, best_cell = c;
      }
    }
    for (int i = 0; i < N.n_nodes; i++)
      if (find(&N, i) == i && N.nodes[i].pout && N.nodes[i].drv_cell >= 0) {
        long a = (long)arrival(&X, i) + X.route_ps;
        if (a > best) best = a, best_node = i, best_route = X.route_ps, best_setup = 0, best_cell = -1;
      }
    if (best_node < 0) {
      rc = nf_fail(err, NF_EINPUT, "timing: no register-to-register or port path in the netlist");
    } else {
      t->valid = true;
      t->setup_ns = best_setup / 1000.0;
      int routed = best_route > 0, cells = 0, luts = 0, carries = 0, start = best_node;
      size_t pl = 0;
      /* a combinational loop (cut by arrival()) can close the chain of predecessors: at most n_nodes steps */
      for (int v = best_node, steps = 0; v >= 0 && steps < N.n_nodes; v = N.nodes[v].pred, steps++) {
        tnode *nd = &N.nodes[v];
        start = v;
        char nm[160];
        pretty(nd->name, nm, sizeof nm);
        if (pl + 200 < sizeof t->path)
          pl += (size_t)snprintf(t->path + pl, sizeof t->path - pl, "%8.3f ns  %-8s %s\n", nd->arr / 1000.0,
                                 nd->drv_cell >= 0 ? N.cells[nd->drv_cell].type : nd->pin ? "port" : "-", nm);
        if (nd->drv_cell >= 0) {
          const char *ty = N.cells[nd->drv_cell].type;
          cells++;
          luts += !strncmp(ty, "LUT", 3);
          carries += !strncmp(ty, "CARRY", 5);
        }
        if (nd->pred >= 0 && nd->pred_route > 0) routed++;
        if (nd->pred < 0 && nd->pin) routed++; /* from an input port */
      }
      t->cells = cells, t->luts = luts, t->carries = carries, t->routed_nets = routed;
      t->route_ns = routed * X.route_ps / 1000.0;
      t->critical_path_ns = best / 1000.0;
      t->cell_ns = t->critical_path_ns - t->route_ns - t->setup_ns;
      t->fmax_mhz = t->critical_path_ns > 0 ? 1000.0 / t->critical_path_ns : 0;
      pretty(N.nodes[start].name, t->start, sizeof t->start);
      if (N.nodes[start].pin) strncat(t->start, " (input port)", sizeof t->start - strlen(t->start) - 1);
      if (best_cell >= 0) {
        /* the capturing register, named by its output */
        const cell *ce = &N.cells[best_cell];
        t->end[0] = '\0';
        for (int i = ce->first; i < ce->first + ce->n; i++)
          if (N.conns[i].node >= 0 && is_output(ce, &N.conns[i])) {
            pretty(N.nodes[N.conns[i].node].name, t->end, sizeof t->end);
            break;
          }
        if (!t->end[0]) snprintf(t->end, sizeof t->end, "%s input", ce->type);
      } else {
        pretty(N.nodes[best_node].name, t->end, sizeof t->end);
        strncat(t->end, " (output port)", sizeof t->end - strlen(t->end) - 1);
      }
    }
  }
  for (int i = 0; i < N.n_nodes; i++) free(N.nodes[i].name);
  for (size_t i = 0; i < N.h_cap; i++) free(N.h[i].key);
  for (size_t i = 0; i < N.r_cap; i++) free(N.ranges[i].key);
  free(N.nodes), free(N.conns), free(N.cells), free(N.h), free(N.ranges);
  lib_free(&L);
  return rc;
}
