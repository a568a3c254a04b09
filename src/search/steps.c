/* Running nnfirm's own commands in child processes (the search's candidates,
 * the tutorial's steps): each step is exactly what a user typing it would
 * get, independent steps run side by side, and what they make comes back in
 * files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnfirm/search.h"

int nf_step_self_path(char *buf, size_t n, nf_error *err) {
  ssize_t k = n > 1 ? readlink("/proc/self/exe", buf, n - 1) : -1;
  if (k <= 0 || (size_t)k >= n - 1) return nf_fail(err, NF_EINTERNAL, "cannot find the nnfirm executable (/proc/self/exe)");
  buf[k] = '\0';
  return NF_OK;
}

pid_t nf_step_spawn(const char *exe, const char *const *args, const char *out_path, const char *log_path) {
  const char *argv[64] = {exe};
  int n = 1;
  for (; args[n - 1] && n < 63; n++) argv[n] = args[n - 1];
  if (args[n - 1]) return -1; /* more arguments than fit */
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid != 0) return pid; /* the parent: the child's pid, or -1 */
  int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), fl = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fo < 0 || fl < 0 || dup2(fo, 1) < 0 || dup2(fl, 2) < 0) _exit(127);
  execv(exe, (char *const *)argv);
  _exit(127);
}

int nf_step_wait(pid_t pid, pid_t *which) {
  int status;
  pid_t p;
  while ((p = waitpid(pid, &status, 0)) < 0)
    if (errno != EINTR) return -1;
  if (which) *which = p;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int nf_step_run(const char *exe, const char *const *args, const char *out_path, const char *log_path) {
  pid_t pid = nf_step_spawn(exe, args, out_path, log_path);
  return pid < 0 ? -1 : nf_step_wait(pid, NULL);
}

int nf_step_run_in(const char *exe, const char *const *args, const char *dir, const char *name) {
  char out[4200], log[4200];
  snprintf(out, sizeof out, "%s/%s.out", dir, name);
  snprintf(log, sizeof log, "%s/%s.log", dir, name);
  return nf_step_run(exe, args, out, log);
}
