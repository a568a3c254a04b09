/* Running nnfirm's own commands in child processes (tutorial, search): each
 * step is exactly what a user typing it would get, and independent steps
 * can run side by side; their results come back as JSON files. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdlib.h>

#include "cli.h"
#include "nnfirm/util.h"

int cli_self_path(char *buf, size_t n) {
  ssize_t k = readlink("/proc/self/exe", buf, n - 1);
  if (k <= 0) return -1;
  buf[k] = '\0';
  return 0;
}

pid_t cli_spawn(const char *exe, const char *const *args, const char *out_path, const char *log_path) {
  const char *argv[64] = {exe};
  int n = 1;
  for (; args[n - 1] && n < 63; n++) argv[n] = args[n - 1];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid != 0) return pid; /* the parent: the child's pid, or -1 */
  int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), fl = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fo < 0 || fl < 0 || dup2(fo, 1) < 0 || dup2(fl, 2) < 0) _exit(127);
  execv(exe, (char *const *)argv);
  _exit(127);
}

int cli_wait(pid_t pid, pid_t *which) {
  int status;
  pid_t p;
  while ((p = waitpid(pid, &status, 0)) < 0)
    if (errno != EINTR) return -1;
  if (which) *which = p;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

cJSON *cli_read_json(const char *dir, const char *name) {
  char path[4200], *text = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (nf_read_file(path, &text, NULL, NULL)) return NULL;
  cJSON *o = cJSON_Parse(text);
  free(text);
  return o;
}

double cli_json_num(const cJSON *o, const char *key, double missing) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : missing;
}

int cli_run(const char *exe, const char *const *args, const char *out_path, const char *log_path) {
  pid_t pid = cli_spawn(exe, args, out_path, log_path);
  return pid < 0 ? -1 : cli_wait(pid, NULL);
}

int cli_run_step(const char *exe, const char *const *args, const char *dir, const char *name) {
  char out[4200], log[4200];
  snprintf(out, sizeof out, "%s/%s.out", dir, name);
  snprintf(log, sizeof log, "%s/%s.log", dir, name);
  return cli_run(exe, args, out, log);
}
