/* Running Yosys: write the script, spawn it with its output in a log file,
 * show which pass it is in, enforce the time limit, read the counts. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  fprintf(f.fp, "write_verilog -noattr netlist.v\n");
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

static bool yosys_available(const char *yosys) {
  if (strchr(yosys, '/')) return access(yosys, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path) return false;
  char dir[4096];
  for (const char *p = path; *p;) {
    size_t len = strcspn(p, ":");
    snprintf(dir, sizeof dir, "%.*s/%s", (int)len, p, yosys);
    if (access(dir, X_OK) == 0) return true;
    p += len + (p[len] == ':');
  }
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

/* Waits for Yosys, drawing progress; kills it at the time limit. */
static int wait_yosys(pid_t pid, const nf_synth_opts *o, const char *log, int *status, nf_error *err) {
  nf_progress prog;
  nf_progress_begin(&prog, "yosys", 0, o->quiet);
  double start = nf_now();
  for (;;) {
    pid_t w = waitpid(pid, status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      nf_progress_end(&prog);
      return nf_fail(err, NF_EINTERNAL, "waiting for yosys: %s", strerror(errno));
    }
    double elapsed = nf_now() - start;
    if (o->timeout_s > 0 && elapsed > o->timeout_s) {
      kill(-pid, SIGKILL);
      waitpid(pid, status, 0);
      nf_progress_end(&prog);
      return nf_fail(err, NF_EINPUT, "synthesis did not finish within the time limit of %g s; stopped it",
                     o->timeout_s);
    }
    if (prog.enabled) {
      char pass[96];
      current_pass(log, pass, sizeof pass);
      fprintf(stderr, "\r\033[Ksynthesizing %s with yosys: %.0fs  %s", o->top, elapsed, pass);
      fflush(stderr);
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  nf_progress_end(&prog);
  return NF_OK;
}

/* Yosys' Xilinx cell library (with the specify blocks the timing reads):
 * <prefix>/share/yosys/xilinx/cells_sim.v next to the yosys binary. */
static int cell_library(const char *yosys, char **text, nf_error *err) {
  char path[4096], dir[4096] = "";
  if (strchr(yosys, '/')) {
    snprintf(dir, sizeof dir, "%s", yosys);
  } else {
    const char *env = getenv("PATH");
    for (const char *p = env ? env : ""; *p;) {
      size_t len = strcspn(p, ":");
      snprintf(path, sizeof path, "%.*s/%s", (int)len, p, yosys);
      if (access(path, X_OK) == 0) {
        snprintf(dir, sizeof dir, "%s", path);
        break;
      }
      p += len + (p[len] == ':');
    }
  }
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

int nf_synth_run(const nf_synth_opts *o, nf_synth_result *r, nf_error *err) {
  memset(r, 0, sizeof *r);
  const char *part = o->part ? o->part : "xcvu9p";
  const nf_device *dev = nf_device_find(part);
  if (!dev) return nf_fail(err, NF_EINPUT, "unknown part '%s' (known: xcvu9p, xcvu13p, xcvu7p, xcu250, xcku115, xczu9eg)", part);
  const char *yosys = o->yosys ? o->yosys : "yosys";
  if (!yosys_available(yosys))
    return nf_fail(err, NF_EINPUT, "Yosys not found ('%s' is not on PATH): install it with "
                                   "'apt-get install yosys' (scripts/install-deps.sh does)", yosys);
  if (!o->verilog_files || !o->verilog_files[0]) return nf_fail(err, NF_EINPUT, "no Verilog files to synthesize");
  char *script = join_path(o->work_dir, "synth.ys", err);
  char *log = join_path(o->work_dir, "yosys.log", err);
  char *stat_path = join_path(o->work_dir, "stat.json", err);
  int rc = (!script || !log || !stat_path) ? NF_EINTERNAL : NF_OK;
  if (!rc) rc = write_script(o, dev, script, err);
  pid_t pid;
  int status = 0;
  double t0 = nf_now();
  if (!rc) rc = spawn_yosys(yosys, o->work_dir, &pid, err);
  if (!rc) rc = wait_yosys(pid, o, log, &status, err);
  if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    char line[400];
    log_error_line(log, line, sizeof line);
    rc = nf_fail(err, NF_EINPUT, "yosys failed: %s", line[0] ? line : "no ERROR line in its log");
  }
  r->seconds = nf_now() - t0;
  char *json = NULL;
  if (!rc) rc = nf_read_file(stat_path, &json, NULL, err);
  if (!rc) rc = nf_synth_parse_stat(json, dev, r, err);
  free(json);
  if (!rc && !o->no_timing) {
    char *netlist = join_path(o->work_dir, "netlist.v", err);
    rc = netlist ? nf_synth_timing(netlist, yosys, o->clock_ns, r, err) : NF_EINTERNAL;
    free(netlist);
  }
  free(script);
  free(log);
  free(stat_path);
  return rc;
}
