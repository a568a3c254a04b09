/* Running candidates: side by side on this machine (child processes), or as
 * job files for a cluster's own engine (Slurm array, HTCondor, GNU parallel). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnfirm/search.h"
#include "nnfirm/util.h"
#include "search_internal.h"

/* The child's arguments: search --candidate SPEC -o DIR --part P [--data D] [--epochs E]. */
static void candidate_args(const nf_search_job *j, const char *spec, const char *dir, char *epochs, size_t epochs_len,
                           const char **a) {
  int n = 0;
  a[n++] = "search", a[n++] = "--candidate", a[n++] = spec, a[n++] = "-o", a[n++] = dir;
  a[n++] = "--part", a[n++] = j->part;
  if (j->data) a[n++] = "--data", a[n++] = j->data;
  if (j->epochs != NF_SEARCH_DEFAULT_EPOCHS) {
    snprintf(epochs, epochs_len, "%d", j->epochs);
    a[n++] = "--epochs", a[n++] = epochs;
  }
  a[n] = NULL;
}

int nf_search_run_children(const nf_search_opts *o, const char *sub, const nf_search_candidate *c, int n,
                           double until_s, nf_search_phase phase, nf_error *err) {
  /* The children are this process's only ones while they run, so a count is
   * all the bookkeeping needed (each child got its own copy of its
   * arguments when it forked). */
  int next = 0, running = 0, done = 0;
  while (next < n || running > 0) {
    while (running < o->jobs && next < n && nf_now() - o->t0 < until_s) {
      const nf_search_candidate *k = &c[next++];
      char spec[160], dir[4300], out[4400], log[4400], epochs[16];
      const char *a[16];
      nf_search_format_spec(k, spec, sizeof spec);
      snprintf(dir, sizeof dir, "%s/%s/%s", o->dir, sub, k->id);
      candidate_args(&o->job, spec, dir, epochs, sizeof epochs, a);
      if (nf_mkdir_p(dir, err)) return err->code;
      snprintf(out, sizeof out, "%s/job.out", dir);
      snprintf(log, sizeof log, "%s/job.log", dir);
      if (nf_step_spawn(o->job.exe, a, out, log) > 0) running++;
    }
    if (running == 0) break;
    if (nf_step_wait(-1, NULL) < 0) break; /* no child left to wait for */
    running--, done++;
    if (o->progress)
      o->progress(&(nf_search_progress){.phase = phase, .done = done, .running = running, .total = n,
                                        .elapsed_s = nf_now() - o->t0, .budget_s = o->budget_s},
                  o->ctx);
  }
  return NF_OK;
}

/* DIR/explore.json: when each phase ended against its share of the budget and why the evolutionary loop
 * stopped ("budget", or "no child": every parent's neighbours tried), so a search that ends early says why. */
static int write_explore(const nf_search_opts *o, int grid, double grid_end_s, int generations, int children,
                         double end_s, const char *stopped, nf_error *err) {
  char text[1024], path[4200];
  int k = snprintf(text, sizeof text,
                   "{\"budget_s\": %.1f, \"grid\": {\"size\": %d, \"ended_s\": %.1f, \"until_s\": %.1f},\n"
                   " \"evolve\": {\"generations\": %d, \"children\": %d, \"ended_s\": %.1f, \"until_s\": %.1f, "
                   "\"stopped\": \"%s\"}}\n",
                   o->budget_s, grid, grid_end_s, o->budget_s * (o->grid_only ? 2.0 : 1.0) / 3, generations, children,
                   end_s, o->budget_s * 2 / 3, stopped);
  snprintf(path, sizeof path, "%s/explore.json", o->dir);
  return nf_write_file_atomic(path, text, (size_t)k, err);
}

/* The grid for the first third of the budget (or two thirds with
 * o->grid_only), then the evolutionary loop until two thirds: each
 * generation mutates the front found so far (nf_search_mutate: 2 jobs' worth
 * of children from max(2, jobs) parents each side of the floor, more parents
 * when those have none left) and runs the children; it stops early only when
 * no parent has a new child. */
int nf_search_explore(const nf_search_opts *o, const nf_search_candidate *c, int n, nf_error *err) {
  int rc = nf_mkdir_p(o->dir, err);
  double grid_until = o->budget_s * (o->grid_only ? 2.0 : 1.0) / 3, until = o->budget_s * 2 / 3;
  if (!rc) rc = nf_search_run_children(o, "candidates", c, n, grid_until, NF_SEARCH_EXPLORING, err);
  double grid_end = nf_now() - o->t0;
  if (rc) return rc;
  if (o->grid_only) return write_explore(o, n, grid_end, 0, 0, grid_end, "grid only", err);
  int cap = n + 256, n_tried = n, width = o->jobs > 1 ? o->jobs : 1, gen = 0;
  const char *stopped = "budget";
  nf_search_candidate *tried = nf_calloc((size_t)cap, sizeof *tried, err);
  if (!tried) return NF_EINTERNAL;
  memcpy(tried, c, (size_t)n * sizeof *c);
  for (; !rc && nf_now() - o->t0 < until; gen++) {
    if (n_tried + 2 * width > cap) { /* a long budget outgrows any fixed count of children */
      nf_search_candidate *t = nf_realloc(tried, (size_t)cap * 2 * sizeof *tried, err);
      if (!t) {
        rc = NF_EINTERNAL;
        break;
      }
      tried = t, cap *= 2;
    }
    nf_search_result *r = NULL;
    int nr = 0;
    nf_error e = {0};
    if (nf_search_load(o->dir, &r, &nr, &e)) nr = 0; /* nothing finished yet */
    int m = nf_search_mutate(r, nr, o->min_accuracy, width < 2 ? 2 : width, tried, n_tried,
                             (uint64_t)gen * 0x9E3779B97F4A7C15u + 1, tried + n_tried, 2 * width);
    free(r);
    if (m == 0) {
      stopped = "no child";
      break;
    }
    rc = nf_search_run_children(o, "candidates", tried + n_tried, m, until, NF_SEARCH_EXPLORING, err);
    n_tried += m;
  }
  free(tried);
  if (!rc) rc = write_explore(o, n, grid_end, gen, n_tried - n, nf_now() - o->t0, stopped, err);
  return rc;
}

/* HTCondor (the CERN batch service's engine): DIR/search.sub queues one job
 * per line of DIR/jobs.txt; job $(Process) (0-based) runs line $(Process)+1
 * through DIR/condor_task.sh. The file system is shared (every job writes its
 * own DIR/candidates/<id>), so no files are transferred; +JobFlavour is
 * CERN's wall-time class ("microcentury": one hour). */
static int write_condor(const char *dir, int n, char *path, size_t path_len, nf_error *err) {
  char task[2048], sub[4096], tp[4200], sp[4200];
  int k = snprintf(task, sizeof task,
                   "#!/bin/sh\n# HTCondor task: runs line $1 + 1 of %s/jobs.txt (written by nnfirm search --emit condor).\n"
                   "set -eu\nsed -n \"$(($1 + 1))p\" '%s/jobs.txt' | sh\n",
                   dir, dir);
  if (k < 0 || (size_t)k >= sizeof task) return nf_fail(err, NF_EINPUT, "%s: directory name too long for the job script", dir);
  int m = snprintf(sub, sizeof sub,
                   "# HTCondor submit file: one job per candidate of %s/jobs.txt; every job writes its own\n"
                   "# directory under %s/candidates (a shared file system). Submit with\n"
                   "#   condor_submit %s/search.sub\n# and afterwards: nnfirm search --collect %s\n"
                   "universe              = vanilla\nexecutable            = %s/condor_task.sh\n"
                   "arguments             = $(Process)\ngetenv                = True\n"
                   "should_transfer_files = NO\nrequest_cpus          = 1\nrequest_memory        = 2 GB\n"
                   "+JobFlavour           = \"microcentury\"\n"
                   "output                = %s/condor-$(Cluster)_$(Process).out\n"
                   "error                 = %s/condor-$(Cluster)_$(Process).err\n"
                   "log                   = %s/condor.log\nqueue %d\n",
                   dir, dir, dir, dir, dir, dir, dir, dir, n);
  if (m < 0 || (size_t)m >= sizeof sub) return nf_fail(err, NF_EINPUT, "%s: directory name too long for the submit file", dir);
  snprintf(tp, sizeof tp, "%s/condor_task.sh", dir);
  snprintf(sp, sizeof sp, "%s/search.sub", dir);
  int rc = nf_write_file_atomic(tp, task, (size_t)k, err);
  if (!rc && chmod(tp, 0755) != 0) rc = nf_fail(err, NF_EINPUT, "%s: cannot make it executable: %s", tp, strerror(errno));
  if (!rc) rc = nf_write_file_atomic(sp, sub, (size_t)m, err);
  if (!rc) snprintf(path, path_len, "%s", sp);
  return rc;
}

int nf_search_write_jobs(const nf_search_opts *o, const nf_search_candidate *c, int n, const char *kind, char *path,
                         size_t path_len, nf_error *err) {
  bool parallel = !strcmp(kind, "parallel"), condor = !strcmp(kind, "condor");
  if (!parallel && !condor && strcmp(kind, "slurm"))
    return nf_fail(err, NF_EINPUT, "job files: slurm, condor or parallel, not '%s'", kind);
  const nf_search_job *j = &o->job;
  size_t line = strlen(j->exe) + strlen(j->part) + strlen(o->dir) + (j->data ? strlen(j->data) : 0) + 400;
  size_t cap = (size_t)n * line + 1, len = 0; /* every line fits: no truncation */
  char *jobs = nf_malloc(cap, err);
  if (!jobs) return NF_EINTERNAL;
  jobs[0] = '\0';
  for (int i = 0; i < n; i++) {
    char spec[160], epochs[32] = "";
    nf_search_format_spec(&c[i], spec, sizeof spec);
    if (j->epochs != NF_SEARCH_DEFAULT_EPOCHS) snprintf(epochs, sizeof epochs, " --epochs %d", j->epochs);
    len += (size_t)snprintf(jobs + len, cap - len, "%s search --candidate '%s' --part %s%s%s%s -o %s/candidates/%s\n",
                            j->exe, spec, j->part, j->data ? " --data " : "", j->data ? j->data : "", epochs, o->dir,
                            c[i].id);
  }
  int rc = nf_mkdir_p(o->dir, err);
  snprintf(path, path_len, "%s/%s", o->dir, parallel ? "jobs.parallel" : "jobs.txt");
  if (!rc) rc = nf_write_file_atomic(path, jobs, len, err);
  free(jobs);
  if (!rc && condor) rc = write_condor(o->dir, n, path, path_len, err);
  if (!rc && !parallel && !condor) {
    char sb[2048], sp[4200];
    int k = snprintf(sb, sizeof sb,
                     "#!/bin/sh\n# One array task per candidate; every task writes its own directory under\n"
                     "# %s/candidates (a shared file system). Afterwards: nnfirm search --collect %s\n"
                     "#SBATCH --job-name=nnfirm-search\n#SBATCH --array=1-%d\n#SBATCH --cpus-per-task=1\n"
                     "#SBATCH --time=00:30:00\n#SBATCH --output=%s/slurm-%%A_%%a.log\n"
                     "sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s/jobs.txt | sh\n",
                     o->dir, o->dir, n, o->dir, o->dir);
    if (k < 0 || (size_t)k >= sizeof sb) return nf_fail(err, NF_EINPUT, "%s: directory name too long for the job script", o->dir);
    snprintf(sp, sizeof sp, "%s/search.sbatch", o->dir);
    rc = nf_write_file_atomic(sp, sb, (size_t)k, err);
    snprintf(path, path_len, "%s", sp);
  }
  return rc;
}
