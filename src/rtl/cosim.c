/* Co-simulation: write the input vectors, build the testbench and RTL with
 * Verilator or Icarus, run it, and compare every output code with the
 * emulator's. Latency and II come from the cycles the testbench logged. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnfirm/rtl.h"
#include "nnfirm/util.h"

extern char **environ;

const char *nf_simulator_name(nf_simulator s) { return s == NF_SIM_VERILATOR ? "verilator" : "iverilog"; }

int nf_simulator_parse(const char *s, nf_simulator *out, nf_error *err) {
  if (!strcmp(s, "verilator")) *out = NF_SIM_VERILATOR;
  else if (!strcmp(s, "iverilog") || !strcmp(s, "icarus")) *out = NF_SIM_IVERILOG;
  else return nf_fail(err, NF_EINPUT, "unknown simulator '%s' (expected verilator or iverilog)", s);
  return NF_OK;
}

static bool in_path(const char *prog) {
  const char *path = getenv("PATH");
  if (!path) return false;
  char buf[4096];
  for (const char *p = path; *p;) {
    size_t len = strcspn(p, ":");
    snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, prog);
    if (access(buf, X_OK) == 0) return true;
    p += len + (p[len] == ':');
  }
  return false;
}

/* Runs argv with stdout+stderr into log; returns the exit status (-1 when it
 * could not start or was killed). */
static int run(char *const argv[], const char *log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st;
  while (waitpid(pid, &st, 0) < 0)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* First line of the log that looks like an error, for the message. */
static void first_error(const char *log, char *out, size_t n) {
  snprintf(out, n, "(see %s)", log);
  FILE *fp = fopen(log, "r");
  if (!fp) return;
  char line[600];
  while (fgets(line, sizeof line, fp))
    if (strstr(line, "rror") || strstr(line, "ERROR")) {
      line[strcspn(line, "\r\n")] = '\0';
      snprintf(out, n, "%s", line);
      break;
    }
  fclose(fp);
}

static int list_rtl(const char *dir, char ***files, int *n, nf_error *err) {
  DIR *d = opendir(dir);
  if (!d) return nf_fail(err, NF_EINPUT, "%s: no such directory", dir);
  struct dirent *e;
  *files = NULL;
  *n = 0;
  while ((e = readdir(d))) {
    if (!nf_has_suffix(e->d_name, ".v")) continue;
    char **nl = nf_realloc(*files, (size_t)(*n + 1) * sizeof *nl, err);
    if (!nl) break;
    *files = nl;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!((*files)[*n] = nf_malloc(len, err))) break;
    snprintf((*files)[*n], len, "%s/%s", dir, e->d_name);
    (*n)++;
  }
  closedir(d);
  if (*n == 0) return nf_fail(err, NF_EINPUT, "%s: no Verilog files", dir);
  return NF_OK;
}

/* One row (or one io_stream pixel): feature k's code in bits [k*wi +: wi],
 * printed as hex, MSB first, in words of NF_RTL_TB_WORD_BITS bits (the
 * most significant first, space-separated) when wider, then `end`. */
static void write_row(FILE *fp, const int64_t *codes, int n, int wi, int end) {
  int bits = n * wi, words = (bits + NF_RTL_TB_WORD_BITS - 1) / NF_RTL_TB_WORD_BITS;
  for (int w = words - 1; w >= 0; w--) {
    int lo = w * NF_RTL_TB_WORD_BITS, top = bits < lo + NF_RTL_TB_WORD_BITS ? bits : lo + NF_RTL_TB_WORD_BITS;
    int nib = (top - lo + 3) / 4;
    for (int d = nib - 1; d >= 0; d--) {
      int v = 0;
      for (int b = 3; b >= 0; b--) {
        int bit = lo + 4 * d + b;
        int k = bit / wi, off = bit % wi;
        int x = bit < top ? (int)(((uint64_t)codes[k] >> off) & 1) : 0;
        v = (v << 1) | x;
      }
      fputc("0123456789abcdef"[v], fp);
    }
    if (w > 0) fputc(' ', fp);
  }
  fputc(end, fp);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1; /* x/z */
}

/* Output codes from a hex word; false on x/z digits. */
static bool parse_out(const char *hex, const nf_rtl_info *info, int64_t *codes) {
  size_t len = strlen(hex);
  for (int k = 0; k < info->n_out; k++) {
    uint64_t u = 0;
    for (int b = info->wo - 1; b >= 0; b--) {
      int bit = k * info->wo + b;
      size_t pos = (size_t)(bit / 4);
      int v = pos < len ? hexval(hex[len - 1 - pos]) : 0;
      if (v < 0) return false;
      u = (u << 1) | (uint64_t)((v >> (bit % 4)) & 1);
    }
    int64_t s = (int64_t)u;
    if (info->out_signed && info->wo < 64 && (u >> (info->wo - 1)) & 1) s = (int64_t)(u | ~((UINT64_C(1) << info->wo) - 1));
    codes[k] = s;
  }
  return true;
}

static int build(const nf_cosim_opts *o, char **rtl, int n_rtl, const char *log, char *exe, size_t exe_n,
                 nf_error *err) {
  const char *tool = o->simulator == NF_SIM_VERILATOR ? "verilator" : "iverilog";
  if (!in_path(tool) || (o->simulator == NF_SIM_IVERILOG && !in_path("vvp")))
    return nf_fail(err, NF_EINPUT, "%s not found in PATH (install the Debian package '%s', or choose --simulator %s)",
                   tool, o->simulator == NF_SIM_VERILATOR ? "verilator" : "iverilog",
                   o->simulator == NF_SIM_VERILATOR ? "iverilog" : "verilator");
  char tb[4096], top[600], mdir[4096];
  snprintf(tb, sizeof tb, "%s/tb_%s.v", o->tb_dir, o->top);
  if (access(tb, R_OK) != 0) return nf_fail(err, NF_EINPUT, "%s: testbench missing", tb);
  snprintf(top, sizeof top, "tb_%s", o->top);
  const char *argv[64 + 4096];
  int a = 0;
  if (o->simulator == NF_SIM_VERILATOR) {
    /* Verilator's own -O3, and the C++ (the model, one big flat function, and
     * Verilator's runtime) compiled at -O0: compile time dominates a
     * co-simulation of a few thousand rows. qkeras_3layer's build: 18 s of CPU
     * against 59 s with -O1 -CFLAGS -O1 (the makefile's OPT_FAST -Os came after
     * CFLAGS), the runtime alone 4.6 s against 8.3 s; measured on this
     * project's 2-core machine, simulation still thousands of rows per second.
     * -Wall with warnings fatal: the generated RTL and testbench are
     * lint-clean, and a warning would mean a generator bug. */
    snprintf(mdir, sizeof mdir, "%s/obj", o->work_dir);
    snprintf(exe, exe_n, "%s/obj/V%s", o->work_dir, top);
    const char *v[] = {"verilator", "--binary", "-O3", "-MAKEFLAGS", "OPT_GLOBAL=-O0", "-MAKEFLAGS", "OPT_FAST=-O0", "-MAKEFLAGS", "OPT_SLOW=-O0", "-Wall",
                       "--x-assign", "fast", "--x-initial", "fast", "--top-module", top, "-Mdir", mdir, "-j", "2", tb};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) argv[a++] = v[i];
  } else {
    snprintf(exe, exe_n, "%s/sim.vvp", o->work_dir);
    const char *v[] = {"iverilog", "-g2012", "-Wall", "-o", exe, "-s", top, tb};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) argv[a++] = v[i];
  }
  for (int i = 0; i < n_rtl && a < (int)(sizeof argv / sizeof *argv) - 1; i++) argv[a++] = rtl[i];
  argv[a] = NULL;
  int st = run((char *const *)argv, log);
  if (st != 0) {
    char line[700];
    first_error(log, line, sizeof line);
    return nf_fail(err, NF_EINPUT, "%s could not build the design: %s", tool, line);
  }
  return NF_OK;
}

static int compare(const nf_cosim_opts *o, const char *out_path, nf_cosim_result *r, nf_error *err) {
  FILE *fp = fopen(out_path, "r");
  if (!fp) return nf_fail(err, NF_EINPUT, "the simulation wrote no output (%s)", out_path);
  const nf_rtl_info *info = o->info;
  int64_t *got = nf_calloc((size_t)info->n_out, sizeof *got, err);
  long *in_cycle = nf_calloc((size_t)o->n_rows + 1, sizeof *in_cycle, err);
  if (!got || !in_cycle) {
    fclose(fp);
    free(got), free(in_cycle);
    return NF_EINTERNAL;
  }
  char line[8192];
  long n_in = 0, n_out = 0, first_out = -1, last_out = -1, half_out = -1;
  int rc = NF_OK;
  r->latency = -1;
  while (fgets(line, sizeof line, fp)) {
    long cyc;
    char hex[8192];
    if (sscanf(line, "I %ld", &cyc) == 1) {
      if (n_in <= o->n_rows) in_cycle[n_in] = cyc;
      n_in++;
    } else if (sscanf(line, "O %ld %8191s", &cyc, hex) == 2) {
      if (n_out >= o->n_rows) {
        rc = nf_fail(err, NF_EINPUT, "the design produced more outputs than the %ld rows given", o->n_rows);
        break;
      }
      int lat = (int)(cyc - in_cycle[n_out]);
      if (n_out == 0) first_out = cyc;
      if (n_out == (o->n_rows < 4 ? 0 : o->n_rows / 2)) half_out = cyc;
      if (lat > r->latency) r->latency = lat; /* the worst row: all should agree */
      last_out = cyc;
      bool ok = parse_out(hex, info, got);
      for (int k = 0; k < info->n_out; k++) {
        int64_t want = o->expected[(size_t)n_out * info->n_out + k];
        if (!ok || got[k] != want) {
          if (r->mismatches == 0) {
            r->first_bad_row = n_out;
            r->first_bad_output = k;
            r->first_bad_got = ok ? got[k] : INT64_MIN;
            r->first_bad_want = want;
          }
          r->mismatches++;
        }
      }
      n_out++;
    }
  }
  fclose(fp);
  r->rows = n_in;
  r->outputs = n_out;
  r->ii = n_out > 1 ? (double)(last_out - first_out) / (double)(n_out - 1) : info->ii;
  if (info->stream && n_out >= 4 && n_out == o->n_rows && half_out >= 0) /* the steady state: the second half of the rows (the first set the phases) */
    r->ii = (double)(last_out - half_out) / (double)(n_out - 1 - n_out / 2);
  if (!rc && n_in != o->n_rows) rc = nf_fail(err, NF_EINPUT, "the testbench applied %ld of %ld rows", n_in, o->n_rows);
  if (!rc && n_out < n_in) {
    /* missing outputs count as mismatches: a silent design must not pass */
    r->mismatches += (n_in - n_out) * info->n_out;
    if (r->first_bad_row < 0) r->first_bad_row = n_out, r->first_bad_output = 0;
  }
  free(got), free(in_cycle);
  return rc;
}

int nf_cosim_run(const nf_cosim_opts *o, nf_cosim_result *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  r->first_bad_row = r->first_bad_output = -1;
  char in_path[4096], out_path[4096], log[4096], exe[4096];
  snprintf(in_path, sizeof in_path, "%s/input.hex", o->work_dir);
  snprintf(out_path, sizeof out_path, "%s/output.txt", o->work_dir);
  snprintf(log, sizeof log, "%s/sim.log", o->work_dir);
  FILE *fp = fopen(in_path, "w");
  if (!fp) return nf_fail(err, NF_EINTERNAL, "%s: cannot write", in_path);
  const nf_rtl_info *info = o->info;
  int beats = info->stream ? info->beats : 1, per = info->n_in / beats; /* io_stream: a row's pixels, one word each */
  for (long i = 0; i < o->n_rows; i++)
    for (int p = 0; p < beats; p++)
      write_row(fp, o->in_codes + (size_t)i * info->n_in + (size_t)p * per, per, info->wi, p + 1 < beats ? ' ' : '\n');
  if (fclose(fp) != 0) return nf_fail(err, NF_EINTERNAL, "%s: write failed", in_path);

  char **rtl = NULL;
  int n_rtl = 0;
  int rc = list_rtl(o->rtl_dir, &rtl, &n_rtl, err);
  double t0 = nf_now();
  if (!rc) rc = build(o, rtl, n_rtl, log, exe, sizeof exe, err);
  for (int i = 0; i < n_rtl; i++) free(rtl[i]);
  free(rtl);
  if (rc) return rc;
  double t1 = nf_now();
  r->build_seconds = t1 - t0;

  char pin[4200], pout[4200];
  snprintf(pin, sizeof pin, "+in=%s", in_path);
  snprintf(pout, sizeof pout, "+out=%s", out_path);
  int st;
  if (o->simulator == NF_SIM_VERILATOR) {
    char *argv[] = {exe, pin, pout, NULL};
    st = run(argv, log);
  } else {
    char *argv[] = {"vvp", "-n", exe, pin, pout, NULL};
    st = run(argv, log);
  }
  r->sim_seconds = nf_now() - t1;
  if (st != 0) {
    char line[700];
    first_error(log, line, sizeof line);
    return nf_fail(err, NF_EINPUT, "the %s simulation failed: %s", nf_simulator_name(o->simulator), line);
  }
  rc = compare(o, out_path, r, err);
  r->rows_per_second = r->sim_seconds > 0 ? (double)r->rows / r->sim_seconds : 0;
  return rc;
}
