/* Reading the vendors' reports into Yosys' keys: Vivado's report_utilization
 * and report_timing_summary, Quartus' fit and timing summaries. The layouts
 * (documented by the tools and seen in their published reports):
 *
 *   Vivado utilization: a header block of "| Key : value" lines (Design,
 *   Device, Design State), then tables of "| name | Used | Fixed | ... |
 *   Available | Util% |" rows under a "| Site Type | Used | ..." header (the
 *   columns are found by name: Vivado 2020 and later add "Prohibited").
 *   Rows read: CLB LUTs / Slice LUTs (7-series), LUT as Logic, LUT as Memory,
 *   CLB Registers / Slice Registers, CARRY8 / CARRY4, Block RAM Tile, URAM,
 *   DSPs; the first row of each name counts.
 *   Vivado timing summary: under "WNS(ns) TNS(ns) ..." and a dashed line, the
 *   figures, the first being WNS; the Clock Summary table gives
 *   "name {rise fall} period frequency".
 *   Quartus fit summary: "Key : value" lines, counts with thousands
 *   separators, "used / available ( p % )".
 *   Quartus timing summary: "Type : <corner> Setup '<clock>'" followed by
 *   "Slack : <ns>"; the worst setup slack over all corners counts. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"
#include "nnfirm/util.h"

/* ---- Lines ------------------------------------------------------------------------ */
typedef struct lines {
  const char *p;
  int no;
  char buf[4096];
} lines;

static bool next_line(lines *l) {
  if (!l->p || !*l->p) return false;
  const char *e = strchr(l->p, '\n');
  size_t n = e ? (size_t)(e - l->p) : strlen(l->p);
  if (n && l->p[n - 1] == '\r') n--;
  if (n >= sizeof l->buf) n = sizeof l->buf - 1;
  memcpy(l->buf, l->p, n);
  l->buf[n] = '\0';
  l->p = e ? e + 1 : l->p + strlen(l->p);
  l->no++;
  return true;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  return s;
}

/* A count as the tools print it: "1,234", "1.5", "0". */
static bool parse_count(const char *s, double *v) {
  char tmp[64];
  size_t n = 0;
  for (; *s && n + 1 < sizeof tmp; s++)
    if (*s != ',') tmp[n++] = *s;
  tmp[n] = '\0';
  char *t = trim(tmp), *end;
  if (!*t) return false;
  *v = strtod(t, &end);
  return end != t && *end == '\0' && isfinite(*v) && fabs(*v) < 1e15; /* a count, not an overflow of long */
}

static double pct(double used, double avail) { return avail > 0 ? 100.0 * used / avail : -1; }

static void init_report(nf_vendor_report *rep) {
  memset(rep, 0, sizeof *rep);
  nf_synth_result *r = &rep->r;
  r->lut = r->lut_logic = r->lut_memory = r->ff = r->dsp = r->carry = -1;
  r->bram = -1;
  r->lut_pct = r->ff_pct = r->dsp_pct = r->bram_pct = -1;
  rep->alm = rep->uram = -1;
  rep->alm_pct = -1;
}

/* ---- Vivado utilization -------------------------------------------------------------- */
#define MAX_CELLS 16

static int split_cells(char *line, char **cells) {
  int n = 0;
  char *p = strchr(line, '|');
  while (p && n < MAX_CELLS) {
    char *q = strchr(p + 1, '|');
    if (!q) break;
    *q = '\0';
    cells[n++] = trim(p + 1);
    p = q;
  }
  return n;
}

typedef struct vrow {
  const char *names[3];
  double used, avail;
  bool seen;
} vrow;

enum { V_LUT, V_LUT_LOGIC, V_LUT_MEM, V_FF, V_CARRY, V_BRAM, V_URAM, V_DSP, V_N };

static int parse_vivado_util(const char *text, const char *name, nf_vendor_report *rep, nf_error *err) {
  vrow rows[V_N] = {
      [V_LUT] = {{"CLB LUTs", "Slice LUTs", NULL}, 0, 0, false},
      [V_LUT_LOGIC] = {{"LUT as Logic", NULL, NULL}, 0, 0, false},
      [V_LUT_MEM] = {{"LUT as Memory", NULL, NULL}, 0, 0, false},
      [V_FF] = {{"CLB Registers", "Slice Registers", NULL}, 0, 0, false},
      [V_CARRY] = {{"CARRY8", "CARRY4", NULL}, 0, 0, false},
      [V_BRAM] = {{"Block RAM Tile", NULL, NULL}, 0, 0, false},
      [V_URAM] = {{"URAM", NULL, NULL}, 0, 0, false},
      [V_DSP] = {{"DSPs", NULL, NULL}, 0, 0, false},
  };
  lines l = {.p = text};
  int used_col = -1, avail_col = -1;
  bool site_table = false;
  while (next_line(&l)) {
    char *s = trim(l.buf);
    if (s[0] != '|') continue;
    char *cells[MAX_CELLS];
    /* header block: "| Device : xcvu9p..." (one cell, a colon) */
    if (!strchr(s + 1, '|')) {
      char *c = strchr(s, ':');
      if (!c) continue;
      *c = '\0';
      char *k = trim(s + 1), *v = trim(c + 1);
      if (!strcmp(k, "Device") && !rep->device[0]) snprintf(rep->device, sizeof rep->device, "%s", v);
      else if (!strcmp(k, "Design") && !rep->design[0]) snprintf(rep->design, sizeof rep->design, "%s", v);
      else if (!strcmp(k, "Design State") && !rep->state[0]) snprintf(rep->state, sizeof rep->state, "%s", v);
      continue;
    }
    int n = split_cells(s, cells);
    int u = -1, a = -1;
    for (int i = 0; i < n; i++) {
      if (!strcmp(cells[i], "Used")) u = i;
      if (!strcmp(cells[i], "Available")) a = i;
    }
    if (u >= 0) { /* a table's header row */
      site_table = n > 0 && !strcmp(cells[0], "Site Type");
      used_col = u, avail_col = a;
      continue;
    }
    if (!site_table || n <= used_col) continue;
    char *rname = cells[0];
    size_t rl = strlen(rname);
    if (rl && rname[rl - 1] == '*') rname[rl - 1] = '\0';
    rname = trim(rname);
    for (int k = 0; k < V_N; k++) {
      bool match = false;
      for (int j = 0; j < 3 && rows[k].names[j]; j++) match |= !strcmp(rname, rows[k].names[j]);
      if (!match || rows[k].seen) continue;
      if (!parse_count(cells[used_col], &rows[k].used))
        return nf_fail(err, NF_EINPUT, "%s:%d: '%s': the Used column '%s' is not a number", name, l.no, rname,
                       cells[used_col]);
      if (avail_col < 0 || avail_col >= n || !parse_count(cells[avail_col], &rows[k].avail)) rows[k].avail = 0;
      rows[k].seen = true;
    }
  }
  if (!rows[V_LUT].seen || !rows[V_FF].seen)
    return nf_fail(err, NF_EINPUT,
                   "%s: no '%s' row in a Site Type table: not a Vivado utilization report (report_utilization)", name,
                   rows[V_LUT].seen ? "CLB Registers" : "CLB LUTs");
  snprintf(rep->tool, sizeof rep->tool, "vivado");
  nf_synth_result *r = &rep->r;
  snprintf(r->part, sizeof r->part, "%s", rep->device);
  r->lut = (long)rows[V_LUT].used;
  r->lut_pct = pct(rows[V_LUT].used, rows[V_LUT].avail);
  if (rows[V_LUT_LOGIC].seen) r->lut_logic = (long)rows[V_LUT_LOGIC].used;
  if (rows[V_LUT_MEM].seen) r->lut_memory = (long)rows[V_LUT_MEM].used;
  r->ff = (long)rows[V_FF].used;
  r->ff_pct = pct(rows[V_FF].used, rows[V_FF].avail);
  if (rows[V_CARRY].seen) r->carry = (long)rows[V_CARRY].used;
  if (rows[V_BRAM].seen) r->bram = rows[V_BRAM].used, r->bram_pct = pct(rows[V_BRAM].used, rows[V_BRAM].avail);
  if (rows[V_URAM].seen) rep->uram = (long)rows[V_URAM].used;
  if (rows[V_DSP].seen) r->dsp = (long)rows[V_DSP].used, r->dsp_pct = pct(rows[V_DSP].used, rows[V_DSP].avail);
  return NF_OK;
}

/* ---- Quartus fit summary -------------------------------------------------------------- */
/* "1,234 / 487,200 ( < 1 % )" or "2345" */
static bool parse_used_of(const char *v, double *used, double *avail) {
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s", v);
  char *paren = strchr(tmp, '(');
  if (paren) *paren = '\0';
  char *slash = strchr(tmp, '/');
  *avail = 0;
  if (slash) {
    *slash = '\0';
    if (!parse_count(slash + 1, avail)) return false;
  }
  return parse_count(tmp, used);
}

static int parse_quartus_fit(const char *text, const char *name, nf_vendor_report *rep, nf_error *err) {
  lines l = {.p = text};
  bool alms = false;
  nf_synth_result *r = &rep->r;
  while (next_line(&l)) {
    char *c = strchr(l.buf, ':');
    if (!c) continue;
    *c = '\0';
    char *k = trim(l.buf), *v = trim(c + 1);
    double used, avail;
    bool count = !strcmp(k, "Logic utilization (in ALMs)") || !strcmp(k, "Total registers") ||
                 !strcmp(k, "Total dedicated logic registers") || !strcmp(k, "Total DSP Blocks") ||
                 !strcmp(k, "Total RAM Blocks");
    if (count && !parse_used_of(v, &used, &avail))
      return nf_fail(err, NF_EINPUT, "%s:%d: '%s': '%s' is not a count", name, l.no, k, v);
    if (!strcmp(k, "Fitter Status")) snprintf(rep->state, sizeof rep->state, "%s", v);
    else if (!strcmp(k, "Device")) snprintf(rep->device, sizeof rep->device, "%s", v);
    else if (!strcmp(k, "Top-level Entity Name")) snprintf(rep->design, sizeof rep->design, "%s", v);
    else if (!strcmp(k, "Logic utilization (in ALMs)")) {
      alms = true;
      rep->alm = (long)used, rep->alm_pct = pct(used, avail);
    } else if (count && strstr(k, "registers")) {
      r->ff = (long)used;
      r->ff_pct = avail > 0 ? pct(used, avail) : pct(used, (double)NF_AGILEX_REGS);
    } else if (!strcmp(k, "Total DSP Blocks")) {
      r->dsp = (long)used, r->dsp_pct = pct(used, avail);
    } else if (!strcmp(k, "Total RAM Blocks")) {
      r->bram = used, r->bram_pct = pct(used, avail);
    }
  }
  if (!alms)
    return nf_fail(err, NF_EINPUT, "%s: no 'Logic utilization (in ALMs)' line: not a Quartus fit summary", name);
  snprintf(rep->tool, sizeof rep->tool, "quartus");
  snprintf(r->part, sizeof r->part, "%s", rep->device);
  return NF_OK;
}

/* ---- Timing ------------------------------------------------------------------------- */
static int parse_vivado_timing(const char *text, const char *name, nf_vendor_report *rep, nf_error *err) {
  lines l = {.p = text};
  bool wns = false, clock = false;
  enum { NONE, WNS_HEAD, WNS_DASH, CLK_HEAD, CLK_DASH } state = NONE;
  while (next_line(&l)) {
    char *s = trim(l.buf);
    if (state == NONE && !wns && strstr(s, "WNS(ns)") && strstr(s, "TNS(ns)")) {
      state = WNS_HEAD;
    } else if (state == NONE && !clock && !strncmp(s, "Clock", 5) && strstr(s, "Period(ns)")) {
      state = CLK_HEAD;
    } else if ((state == WNS_HEAD || state == CLK_HEAD) && s[0] == '-') {
      state = state == WNS_HEAD ? WNS_DASH : CLK_DASH;
    } else if (state == WNS_DASH && *s) {
      char *end;
      rep->wns_ns = strtod(s, &end);
      if (end == s || !isfinite(rep->wns_ns) || fabs(rep->wns_ns) > 1e6)
        return nf_fail(err, NF_EINPUT, "%s:%d: WNS '%.20s' is not a number (no constrained paths?)", name, l.no, s);
      wns = true, state = NONE;
    } else if (state == CLK_DASH && *s) {
      char *b = strchr(s, '}'), *end;
      double p = b ? strtod(b + 1, &end) : 0;
      if (!b || end == b + 1 || !(p > 0 && p < 1e6))
        return nf_fail(err, NF_EINPUT, "%s:%d: Clock Summary row without a period: '%.60s'", name, l.no, s);
      rep->clock_ns = p;
      clock = true, state = NONE;
    }
  }
  if (!wns)
    return nf_fail(err, NF_EINPUT, "%s: no 'WNS(ns)' figures: not a Vivado timing summary (report_timing_summary)", name);
  return NF_OK;
}

static int parse_quartus_timing(const char *text, const char *name, nf_vendor_report *rep, nf_error *err) {
  lines l = {.p = text};
  bool setup = false, found = false;
  while (next_line(&l)) {
    char *c = strchr(l.buf, ':');
    if (!c) continue;
    *c = '\0';
    char *k = trim(l.buf), *v = trim(c + 1);
    if (!strcmp(k, "Type")) {
      setup = strstr(v, "Setup") != NULL;
    } else if (!strcmp(k, "Slack") && setup) {
      double x;
      if (!parse_count(v, &x)) return nf_fail(err, NF_EINPUT, "%s:%d: setup slack '%s' is not a number", name, l.no, v);
      if (!found || x < rep->wns_ns) rep->wns_ns = x;
      found = true;
    }
  }
  if (!found) return nf_fail(err, NF_EINPUT, "%s: no setup slack ('Type : ... Setup' and 'Slack :'): not a Quartus timing summary", name);
  return NF_OK;
}

int nf_vendor_report_parse(const char *util_text, const char *util_name, const char *timing_text,
                           const char *timing_name, double clock_ns, nf_vendor_report *rep, nf_error *err) {
  init_report(rep);
  int rc;
  if (strstr(util_text, "Logic utilization (in ALMs)") || strstr(util_text, "Fitter Status"))
    rc = parse_quartus_fit(util_text, util_name, rep, err);
  else if (strstr(util_text, "Site Type"))
    rc = parse_vivado_util(util_text, util_name, rep, err);
  else
    rc = nf_fail(err, NF_EINPUT,
                 "%s: neither a Vivado utilization report (no 'Site Type' table) nor a Quartus fit summary (no "
                 "'Logic utilization (in ALMs)')", util_name);
  if (rc || !timing_text) return rc;
  if (strstr(timing_text, "WNS(ns)")) {
    if (!strcmp(rep->tool, "quartus"))
      return nf_fail(err, NF_EINPUT, "%s: a Vivado timing summary beside a Quartus fit summary (%s)", timing_name, util_name);
    rc = parse_vivado_timing(timing_text, timing_name, rep, err);
  } else {
    if (!strcmp(rep->tool, "vivado"))
      return nf_fail(err, NF_EINPUT, "%s: no 'WNS(ns)' figures: not a Vivado timing summary (report_timing_summary)",
                     timing_name);
    rc = parse_quartus_timing(timing_text, timing_name, rep, err);
  }
  if (rc) return rc;
  rep->has_timing = true;
  if (!(rep->clock_ns > 0)) rep->clock_ns = clock_ns > 0 ? clock_ns : 0;
  rep->meets_timing = rep->wns_ns >= 0;
  if (rep->clock_ns > 0 && rep->clock_ns - rep->wns_ns > 0) {
    rep->critical_path_ns = rep->clock_ns - rep->wns_ns;
    rep->fmax_mhz = 1000.0 / rep->critical_path_ns;
  }
  return NF_OK;
}

int nf_vendor_report_read(const char *util_path, const char *timing_path, double clock_ns, nf_vendor_report *rep,
                          nf_error *err) {
  char *u = NULL, *t = NULL;
  int rc = nf_read_file(util_path, &u, NULL, err);
  if (!rc && timing_path) rc = nf_read_file(timing_path, &t, NULL, err);
  if (!rc) rc = nf_vendor_report_parse(u, util_path, t, timing_path, clock_ns, rep, err);
  free(u);
  free(t);
  return rc;
}

/* ---- JSON ---------------------------------------------------------------------------- */
static bool add_count(cJSON *o, const char *key, double v) {
  return v >= 0 ? cJSON_AddNumberToObject(o, key, v) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

char *nf_vendor_report_json(const nf_vendor_report *rep, int latency) {
  const nf_synth_result *r = &rep->r;
  bool quartus = !strcmp(rep->tool, "quartus");
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "top", rep->design) && cJSON_AddStringToObject(o, "part", rep->device) &&
            add_count(o, "lut", (double)r->lut) && add_count(o, "lut_logic", (double)r->lut_logic) &&
            add_count(o, "lut_memory", (double)r->lut_memory) && add_count(o, "ff", (double)r->ff) &&
            add_count(o, "dsp", (double)r->dsp) && add_count(o, "bram", r->bram) &&
            add_count(o, "carry", (double)r->carry) && add_count(o, "lut_pct", r->lut_pct) &&
            add_count(o, "ff_pct", r->ff_pct) && add_count(o, "dsp_pct", r->dsp_pct) &&
            add_count(o, "bram_pct", r->bram_pct) && add_count(o, "alm", (double)rep->alm) &&
            add_count(o, "alm_pct", rep->alm_pct) && add_count(o, "uram", (double)rep->uram) &&
            cJSON_AddStringToObject(o, "bram_unit", quartus ? "RAM block (M20K)" : "36 Kb block RAM tile") &&
            cJSON_AddStringToObject(o, "design_state", rep->state);
  if (ok && rep->has_timing) {
    ok = add_count(o, "critical_path_ns", rep->critical_path_ns > 0 ? rep->critical_path_ns : -1) &&
         add_count(o, "fmax_mhz", rep->fmax_mhz > 0 ? rep->fmax_mhz : -1) &&
         add_count(o, "clock_period_ns", rep->clock_ns > 0 ? rep->clock_ns : -1) &&
         cJSON_AddBoolToObject(o, "meets_timing", rep->meets_timing) &&
         cJSON_AddNumberToObject(o, "slack_ns", rep->wns_ns);
  }
  if (ok && latency > 0) ok = cJSON_AddNumberToObject(o, "latency_cycles", latency) != NULL;
  if (ok)
    ok = cJSON_AddStringToObject(o, "tool", quartus ? "quartus (fit summary; the vendor's figures)"
                                                    : "vivado (report_utilization; the vendor's figures)") != NULL;
  char *s = ok ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  return s;
}
