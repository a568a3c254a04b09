/* Running Yosys: write the script, spawn it with its output in a log file,
 * show which pass it is in, enforce the time limit, read the counts. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnfirm/synth.h"
#include "nnfirm/util.h"

extern char **environ;

static long cell_count(const cJSON *cells, const char *type) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(cells, type);
  return cJSON_IsNumber(c) ? (long)c->valuedouble : 0;
}

static long sum_cells(const cJSON *cells, const char *const *types) {
  long n = 0;
  for (; *types; types++) n += cell_count(cells, *types);
  return n;
}

static double pct(double used, long total) { return total > 0 ? 100.0 * used / total : 0; }

int nf_synth_parse_stat(const char *json, const nf_device *dev, nf_synth_result *r, nf_error *err) {
  static const char *const LUTS[] = {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", NULL};
  static const char *const LUTMEM[] = {"SRL16E", "SRLC16E", "SRLC32E", "RAM32X1D", "RAM32M", "RAM32M16",
                                       "RAM64X1D", "RAM64M", "RAM64M8", "RAM128X1D", "RAM256X1D", NULL};
  static const char *const FFS[] = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE", NULL};
  static const char *const DSPS[] = {"DSP48E2", "DSP48E1", NULL};
  static const char *const CARRIES[] = {"CARRY4", "CARRY8", NULL};

  cJSON *root = cJSON_Parse(json);
  if (!root) return nf_fail(err, NF_EINPUT, "Yosys statistics are not valid JSON");
  const cJSON *design = cJSON_GetObjectItemCaseSensitive(root, "design");
  const cJSON *cells = cJSON_GetObjectItemCaseSensitive(design, "num_cells_by_type");
  if (!cJSON_IsObject(cells)) {
    cJSON_Delete(root);
    return nf_fail(err, NF_EINPUT, "Yosys statistics lack design.num_cells_by_type");
  }
  r->lut_logic = sum_cells(cells, LUTS);
  r->lut_memory = sum_cells(cells, LUTMEM);
  r->lut = r->lut_logic + r->lut_memory;
  r->ff = sum_cells(cells, FFS);
  r->dsp = sum_cells(cells, DSPS);
  r->bram = cell_count(cells, "RAMB36E2") + cell_count(cells, "RAMB36E1") +
            0.5 * (cell_count(cells, "RAMB18E2") + cell_count(cells, "RAMB18E1"));
  r->carry = sum_cells(cells, CARRIES);
  cJSON_Delete(root);
  if (dev) {
    snprintf(r->part, sizeof r->part, "%s", dev->name);
    r->lut_pct = pct((double)r->lut, dev->luts);
    r->ff_pct = pct((double)r->ff, dev->ffs);
    r->dsp_pct = pct((double)r->dsp, dev->dsps);
    r->bram_pct = pct(r->bram, dev->brams);
  }
  return NF_OK;
}

static char *join_path(const char *dir, const char *name, nf_error *err) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = nf_malloc(n, err);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static int write_script(const nf_synth_opts *o, const nf_device *dev, const char *path, nf_error *err) {
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  fprintf(f.fp, "# nnfirm synthesis script for %s on %s (Yosys synth_xilinx, out of context)\n", o->top,
          dev->name);
  /* Yosys runs inside the work directory, so relative paths are made absolute. */
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
  for (const char *const *v = o->verilog_files; *v; v++)
    fprintf(f.fp, "read_verilog -sv \"%s%s%s\"\n", (*v)[0] == '/' ? "" : cwd, (*v)[0] == '/' ? "" : "/", *v);
  fprintf(f.fp, "synth_xilinx -family %s -top %s -flatten -noiopad -noclkbuf%s%s\n", dev->family, o->top,
          o->use_dsp ? "" : " -nodsp", o->abc9 ? " -abc9" : "");
  fprintf(f.fp, "tee -q -o stat.json stat -json\n");
  fprintf(f.fp, "write_blif netlist.blif\n"); /* the timing reads it; see timing.c on BLIF */
  return nf_outfile_commit(&f, err);
}

/* The last "N.M. Executing X pass" line of the log, for the progress display. */
static void current_pass(const char *log_path, char *out, size_t n) {
  out[0] = '\0';
  FILE *fp = fopen(log_path, "r");
  if (!fp) return;
  if (fseek(fp, -4096, SEEK_END) != 0) rewind(fp);
  char line[512];
  while (fgets(line, sizeof line, fp)) {
    char *ex = strstr(line, "Executing ");
    if (ex) {
      ex[strcspn(ex, "\r\n")] = '\0';
      snprintf(out, n, "%.60s", ex + 10);
    }
  }
  fclose(fp);
}

/* Last lines of the log mentioning an error, for the message. */
static void log_error_line(const char *log_path, char *out, size_t n) {
  out[0] = '\0';
  FILE *fp = fopen(log_path, "r");
  if (!fp) return;
  char line[512];
  while (fgets(line, sizeof line, fp))
    if (strstr(line, "ERROR")) {
      line[strcspn(line, "\r\n")] = '\0';
      snprintf(out, n, "%s", line);
    }
  fclose(fp);
}

/* The executable `prog` names: itself when it holds a '/', else the first
 * match on PATH; written to out (n bytes). False when there is none. */
static bool find_on_path(const char *prog, char *out, size_t n) {
  if (strchr(prog, '/')) {
    snprintf(out, n, "%s", prog);
    return access(prog, X_OK) == 0;
  }
  const char *path = getenv("PATH");
  for (const char *p = path ? path : ""; *p;) {
    size_t len = strcspn(p, ":");
    snprintf(out, n, "%.*s/%s", (int)len, p, prog);
    if (access(out, X_OK) == 0) return true;
    p += len + (p[len] == ':');
  }
  out[0] = '\0';
  return false;
}

static int spawn_yosys(const char *yosys, const char *work_dir, pid_t *pid, nf_error *err) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  /* Own process group, so a time-out can stop Yosys and its abc children. */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  char *log = join_path(work_dir, "yosys.log", err), *script = join_path(work_dir, "synth.ys", err);
  int rc = NF_OK;
  if (!log || !script) rc = NF_EINTERNAL;
  if (!rc) {
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    /* Yosys resolves the script's relative outputs against its cwd, so it
     * starts inside the work directory. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd \"%s\" && exec \"%s\" -s synth.ys", work_dir, yosys);
    char *shargv[] = {"sh", "-c", cmd, NULL};
    int e = posix_spawnp(pid, "sh", &fa, &attr, shargv, environ);
    if (e) rc = nf_fail(err, NF_EINTERNAL, "cannot start %s: %s", yosys, strerror(e));
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(log);
  free(script);
  return rc;
}

/* CPU seconds (user + system) of a finished child and the children it waited for. */
static double cpu_of(const struct rusage *ru) {
  return (double)ru->ru_utime.tv_sec + 1e-6 * (double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_sec +
         1e-6 * (double)ru->ru_stime.tv_usec;
}

/* Yosys' Xilinx cell library (with the specify blocks the timing reads):
 * <prefix>/share/yosys/xilinx/cells_sim.v next to the yosys binary. */
static int cell_library(const char *yosys, char **text, nf_error *err) {
  char path[4096], dir[4096];
  find_on_path(yosys, dir, sizeof dir);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  const char *cands[] = {dir, "/usr", "/usr/local"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/share/yosys/xilinx/cells_sim.v", cands[i]);
    if (access(path, R_OK) == 0) return nf_read_file(path, text, NULL, err);
  }
  return nf_fail(err, NF_EINPUT, "Yosys' Xilinx cell library (share/yosys/xilinx/cells_sim.v) not found next to %s", yosys);
}

int nf_synth_timing(const char *netlist_path, const char *yosys, double clock_ns, nf_synth_result *r, nf_error *err) {
  char *net = NULL, *cells = NULL;
  int rc = nf_read_file(netlist_path, &net, NULL, err);
  if (!rc) rc = cell_library(yosys ? yosys : "yosys", &cells, err);
  if (!rc) rc = nf_timing_analyze(net, cells, NF_ROUTE_NS_PER_NET, &r->timing, err);
  free(net), free(cells);
  r->clock_ns = clock_ns;
  if (!rc && clock_ns > 0) {
    r->slack_ns = clock_ns - r->timing.critical_path_ns;
    r->meets_timing = r->slack_ns >= 0;
  }
  return rc;
}

/* ---- Split synthesis (opts.jobs > 1) ------------------------------------------
 * A generated design's top module only wires its layer modules together. Each
 * module the top instantiates is synthesized as its own top, out of context and
 * flattened inside, in parts/<module>/, up to `jobs` Yosys processes at once.
 * A last Yosys run reads the mapped parts (the library cells as black boxes)
 * and the top, flattens them into one netlist, drops cells nothing reads (as a
 * flat run would) and counts that netlist; the timing analysis reads it as it
 * reads a flat run's, so paths that cross module boundaries are seen whole.
 * Optimization does not cross the boundaries (a constant output bit of one
 * layer stays a variable input of the next), so the counts can differ a little
 * from a flat run's: bench/synth_jets measures both. */

/* The scan of module declarations and instances below is written here, for
 * generated Verilog (no preprocessor, no generate blocks around instances):
 * asking Yosys for the hierarchy would cost one more run that reads every file. */
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* The identifier at s (NULL if none); *len its length. */
static const char *ident_at(const char *s, size_t *len) {
  if (!(isalpha((unsigned char)*s) || *s == '_')) return NULL;
  size_t n = 0;
  while (ident_char(s[n])) n++;
  *len = n;
  return s;
}

static const char *skip_space(const char *s) {
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (s[0] == '/' && s[1] == '/') {
      while (*s && *s != '\n') s++;
    } else if (s[0] == '/' && s[1] == '*') {
      const char *e = strstr(s + 2, "*/");
      s = e ? e + 2 : s + strlen(s);
    } else {
      return s;
    }
  }
}

/* Where "module NAME" begins in text (at a token boundary), or NULL. */
static const char *find_module(const char *text, const char *name) {
  for (const char *p = strstr(text, "module"); p; p = strstr(p + 6, "module")) {
    if (p > text && ident_char(p[-1])) continue;
    if (ident_char(p[6])) continue;
    size_t n;
    const char *id = ident_at(skip_space(p + 6), &n);
    if (!id) continue;
    if (strlen(name) == n && !strncmp(id, name, n)) return p;
  }
  return NULL;
}

typedef struct part {
  char module[128];
  size_t size; /* characters of its module's source: the longest parts start first */
  bool *need;  /* the Verilog files its script reads (its module's and its submodules') */
  char *dir;
  pid_t pid;
  int state; /* 0 waiting, 1 running, 2 done */
} part;

/* The file index (or -1) and body (module ... endmodule) of module `name`. */
static int module_body(char **texts, int n_texts, const char *name, const char **body, size_t *len) {
  for (int t = 0; t < n_texts; t++) {
    const char *m = find_module(texts[t], name);
    if (!m) continue;
    const char *e = strstr(m, "endmodule");
    *body = m, *len = e ? (size_t)(e - m) : strlen(m);
    return t;
  }
  return -1;
}

/* The modules a module body instantiates (each once, in order of first use):
 * a name some file defines as a module, followed by an instance name and "("
 * (or by "#("). Appended to names[*n] (at most cap, 128 characters each). */
static void child_modules(char **texts, int n_texts, const char *body, size_t len, char (*names)[128], int *n,
                          int cap) {
  for (const char *p = body + 6; p < body + len;) {
    size_t k;
    const char *id = !ident_char(p[-1]) ? ident_at(p, &k) : NULL;
    if (!id) {
      p++;
      continue;
    }
    const char *after = skip_space(id + k);
    size_t k2;
    bool inst = *after == '#' || (ident_at(after, &k2) && *skip_space(after + k2) == '(');
    char name[128];
    const char *b;
    size_t bl;
    if (inst && k < sizeof name) {
      snprintf(name, sizeof name, "%.*s", (int)k, id);
      bool seen = false;
      for (int i = 0; i < *n; i++) seen |= !strcmp(names[i], name);
      if (!seen && *n < cap && module_body(texts, n_texts, name, &b, &bl) >= 0) snprintf(names[(*n)++], 128, "%s", name);
    }
    p = id + k;
  }
}

/* Marks in need[] the files that define module `name` and, transitively,
 * every module it instantiates (depth-limited against cycles). */
static void files_needed(char **texts, int n_texts, const char *name, bool *need, int depth) {
  const char *body;
  size_t len;
  int t = module_body(texts, n_texts, name, &body, &len);
  if (t < 0 || depth > 16) return;
  need[t] = true;
  char kids[64][128];
  int n = 0;
  child_modules(texts, n_texts, body, len, kids, &n, 64);
  for (int i = 0; i < n; i++) files_needed(texts, n_texts, kids[i], need, depth + 1);
}

static void abs_path(const char *path, char *out, size_t n) {
  char cwd[4096];
  if (path[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(out, n, "%s", path);
  else snprintf(out, n, "%s/%s", cwd, path);
}

static int write_part_script(const nf_synth_opts *o, const nf_device *dev, const part *q, nf_error *err) {
  char *path = join_path(q->dir, "synth.ys", err);
  if (!path) return NF_EINTERNAL;
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  free(path);
  if (rc) return rc;
  fprintf(f.fp, "# nnfirm synthesis script: part %s of %s on %s (Yosys synth_xilinx, out of context)\n", q->module,
          o->top, dev->name);
  char abs[4200];
  for (int i = 0; o->verilog_files[i]; i++)
    if (q->need[i]) {
      abs_path(o->verilog_files[i], abs, sizeof abs);
      fprintf(f.fp, "read_verilog -sv \"%s\"\n", abs);
    }
  fprintf(f.fp, "synth_xilinx -family %s -top %s -flatten -noiopad -noclkbuf%s%s\n", dev->family, q->module,
          o->use_dsp ? "" : " -nodsp", o->abc9 ? " -abc9" : "");
  /* RTLIL, not Verilog: the joining run reads it several times faster */
  fprintf(f.fp, "write_rtlil netlist.il\n");
  return nf_outfile_commit(&f, err);
}

/* The stitching script: mapped parts + the top, flattened and counted. */
static int write_stitch_script(const nf_synth_opts *o, const part *parts, int n_parts, const char *top_text,
                               size_t top_len, nf_error *err) {
  char *top_path = join_path(o->work_dir, "top.v", err), *path = join_path(o->work_dir, "synth.ys", err);
  int rc = (!top_path || !path) ? NF_EINTERNAL : nf_write_file_atomic(top_path, top_text, top_len, err);
  nf_outfile f;
  if (!rc) rc = nf_outfile_open(&f, path, err);
  if (!rc) {
    fprintf(f.fp, "# nnfirm: the %d parts of %s, each synthesized alone (parts/*/), joined and counted\n", n_parts,
            o->top);
    fprintf(f.fp, "read_verilog -lib +/xilinx/cells_sim.v\n");
    /* relative: Yosys runs in the work directory, which is renamed when done */
    for (int i = 0; i < n_parts; i++) fprintf(f.fp, "read_rtlil \"parts/%s/netlist.il\"\n", parts[i].module);
    fprintf(f.fp, "read_verilog -sv top.v\nhierarchy -top %s\nflatten\nopt_clean\nhierarchy -top %s\n", o->top,
            o->top);
    fprintf(f.fp, "tee -q -o stat.json stat -json\nwrite_blif netlist.blif\n");
    rc = nf_outfile_commit(&f, err);
  }
  free(top_path), free(path);
  return rc;
}

static void kill_parts(part *parts, int n) {
  for (int i = 0; i < n; i++)
    if (parts[i].state == 1) {
      int st;
      kill(-parts[i].pid, SIGKILL);
      waitpid(parts[i].pid, &st, 0);
      parts[i].state = 2;
    }
}

/* Runs Yosys once in each part's directory (its synth.ys), at most `jobs`
 * at once, adding their CPU seconds to *cpu_s; draws progress on a TTY and
 * stops every run at the first failure or at the time limit. `flat`: the one
 * run of the whole design (progress names Yosys' current pass, messages no
 * part). */
static int run_yosys(const nf_synth_opts *o, const char *yosys, part *parts, int n, int jobs, bool flat,
                     double *cpu_s, nf_error *err) {
  nf_progress prog;
  nf_progress_begin(&prog, "yosys", 0, o->quiet);
  double t0 = nf_now();
  int next = 0, running = 0, done = 0, rc = NF_OK;
  while (!rc && done < n) {
    while (!rc && running < jobs && next < n) {
      rc = spawn_yosys(yosys, parts[next].dir, &parts[next].pid, err);
      if (!rc) parts[next++].state = 1, running++;
    }
    for (int i = 0; i < n && !rc; i++) {
      if (parts[i].state != 1) continue;
      int status;
      struct rusage ru;
      pid_t w = wait4(parts[i].pid, &status, WNOHANG, &ru);
      if (w < 0 && errno != EINTR) rc = nf_fail(err, NF_EINTERNAL, "waiting for yosys: %s", strerror(errno));
      if (w != parts[i].pid) continue;
      *cpu_s += cpu_of(&ru);
      parts[i].state = 2, running--, done++;
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        char *log = join_path(parts[i].dir, "yosys.log", err), line[400] = "";
        if (log) log_error_line(log, line, sizeof line);
        free(log);
        const char *why = line[0] ? line : "no ERROR line in its log";
        rc = flat ? nf_fail(err, NF_EINPUT, "yosys failed: %s", why)
                  : nf_fail(err, NF_EINPUT, "yosys failed on part %s: %s", parts[i].module, why);
      }
    }
    double elapsed = nf_now() - t0;
    if (!rc && o->timeout_s > 0 && elapsed > o->timeout_s)
      rc = nf_fail(err, NF_EINPUT, "synthesis did not finish within the time limit of %g s; stopped it", o->timeout_s);
    if (!rc && prog.enabled) {
      if (flat) {
        char pass[96] = "", *log = join_path(parts[0].dir, "yosys.log", NULL);
        if (log) current_pass(log, pass, sizeof pass);
        free(log);
        fprintf(stderr, "\r\033[Ksynthesizing %s with yosys: %.0fs  %s", o->top, elapsed, pass);
      } else {
        fprintf(stderr, "\r\033[Ksynthesizing %s with yosys in %d parts, %d at a time: %d done  %.0fs", o->top, n,
                jobs, done, elapsed);
      }
      fflush(stderr);
    }
    if (!rc && done < n) {
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  if (rc) kill_parts(parts, n);
  nf_progress_end(&prog);
  return rc;
}

static int larger_first(const void *a, const void *b) {
  size_t x = ((const part *)a)->size, y = ((const part *)b)->size;
  return (x < y) - (x > y);
}

/* Split synthesis: synthesizes the parts and writes the stitching script as
 * work_dir/synth.ys (which nf_synth_run then runs as it runs a flat script);
 * *split = false (and nothing done) when the top has fewer than two modules. */
static int synth_split(const nf_synth_opts *o, const nf_device *dev, const char *yosys, nf_synth_result *r,
                       bool *split, nf_error *err) {
  *split = false;
  int n_files = 0;
  while (o->verilog_files[n_files]) n_files++;
  char **texts = calloc((size_t)n_files, sizeof *texts);
  if (!texts) return nf_fail_oom(err, "the design's sources");
  int rc = NF_OK;
  for (int i = 0; i < n_files && !rc; i++) rc = nf_read_file(o->verilog_files[i], &texts[i], NULL, err);
  const char *top_start = NULL, *top_end = NULL;
  for (int i = 0; i < n_files && !rc && !top_start; i++) {
    top_start = find_module(texts[i], o->top);
    if (top_start) {
      top_end = strstr(top_start, "endmodule");
      if (!top_end) rc = nf_fail(err, NF_EINPUT, "%s: module %s has no endmodule", o->verilog_files[i], o->top);
      else top_end += strlen("endmodule");
    }
  }
  if (!rc && !top_start) rc = nf_fail(err, NF_EINPUT, "no module %s in the Verilog files", o->top);
  char (*kids)[128] = rc ? NULL : malloc(256 * sizeof *kids);
  if (!rc && !kids) rc = nf_fail_oom(err, "the design's modules");
  int n_parts = 0;
  if (!rc) child_modules(texts, n_files, top_start, (size_t)(top_end - top_start), kids, &n_parts, 256);
  part *parts = n_parts ? calloc((size_t)n_parts, sizeof *parts) : NULL;
  if (n_parts && !parts) rc = nf_fail_oom(err, "the design's modules");
  for (int i = 0; i < n_parts && !rc; i++) {
    part *q = &parts[i];
    snprintf(q->module, sizeof q->module, "%s", kids[i]);
    const char *body;
    module_body(texts, n_files, q->module, &body, &q->size);
    q->need = calloc((size_t)n_files, sizeof *q->need);
    if (!q->need) rc = nf_fail_oom(err, "the design's modules");
    else files_needed(texts, n_files, q->module, q->need, 0);
  }
  free(kids);
  if (!rc && parts) qsort(parts, (size_t)n_parts, sizeof *parts, larger_first);
  if (!rc && n_parts >= 2) {
    *split = true;
    char *parts_dir = join_path(o->work_dir, "parts", err);
    rc = parts_dir ? NF_OK : NF_EINTERNAL;
    for (int i = 0; i < n_parts && !rc; i++) {
      parts[i].dir = join_path(parts_dir, parts[i].module, err);
      rc = parts[i].dir ? nf_mkdir_p(parts[i].dir, err) : NF_EINTERNAL;
      if (!rc) rc = write_part_script(o, dev, &parts[i], err);
    }
    free(parts_dir);
    if (!rc) rc = run_yosys(o, yosys, parts, n_parts, o->jobs, false, &r->parts_cpu_seconds, err);
    if (!rc) rc = write_stitch_script(o, parts, n_parts, top_start, (size_t)(top_end - top_start), err);
  }
  for (int i = 0; parts && i < n_parts; i++) free(parts[i].dir), free(parts[i].need);
  free(parts);
  for (int i = 0; i < n_files; i++) free(texts[i]);
  free(texts);
  r->parts = *split ? n_parts : 0;
  return rc;
}

int nf_synth_run(const nf_synth_opts *o, nf_synth_result *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  const char *part_name = o->part ? o->part : "xcvu9p";
  const nf_device *dev = nf_device_find(part_name);
  if (!dev)
    return nf_fail(err, NF_EINPUT, "unknown part '%s' (known: xcvu9p, xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)",
                   part_name);
  const char *yosys = o->yosys ? o->yosys : "yosys";
  char found[4096];
  if (!find_on_path(yosys, found, sizeof found))
    return nf_fail(err, NF_EINPUT, "Yosys not found ('%s' is not on PATH): install it with "
                                   "'apt-get install yosys' (scripts/install-deps.sh does)", yosys);
  if (!o->verilog_files || !o->verilog_files[0]) return nf_fail(err, NF_EINPUT, "no Verilog files to synthesize");
  char *script = join_path(o->work_dir, "synth.ys", err);
  char *stat_path = join_path(o->work_dir, "stat.json", err);
  int rc = (!script || !stat_path) ? NF_EINTERNAL : NF_OK;
  double t0 = nf_now();
  bool split = false;
  if (!rc && o->jobs > 1) rc = synth_split(o, dev, yosys, r, &split, err);
  if (!rc && !split) rc = write_script(o, dev, script, err);
  part whole = {.dir = rc ? NULL : nf_strdup(o->work_dir, err)};
  snprintf(whole.module, sizeof whole.module, "%s", o->top);
  if (!rc && !whole.dir) rc = NF_EINTERNAL;
  if (!rc) rc = run_yosys(o, yosys, &whole, 1, 1, true, &r->cpu_seconds, err);
  free(whole.dir);
  r->cpu_seconds += r->parts_cpu_seconds;
  r->seconds = nf_now() - t0;
  char *json = NULL;
  if (!rc) rc = nf_read_file(stat_path, &json, NULL, err);
  if (!rc) rc = nf_synth_parse_stat(json, dev, r, err);
  free(json);
  if (!rc && !o->no_timing) {
    char *netlist = join_path(o->work_dir, "netlist.blif", err);
    rc = netlist ? nf_synth_timing(netlist, yosys, o->clock_ns, r, err) : NF_EINTERNAL;
    free(netlist);
  }
  free(script);
  free(stat_path);
  return rc;
}
