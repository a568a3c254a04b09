/* nnfirm: the command dispatcher. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/util.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command COMMANDS[] = {
#define CMD(name, summary) {#name, cmd_##name, summary},
#include "commands.def"
#undef CMD
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static void print_help(FILE *out) {
  fprintf(out,
          "nnfirm %s — neural networks to FPGA firmware, bit-exact, open-source flow\n\n"
          "usage: nnfirm <command> [options]   (nnfirm <command> --help for details)\n\n"
          "commands:\n", NNFIRM_VERSION);
  for (int i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(out, "\nexit status: 0 success, 1 internal failure, 2 bad input or usage\n");
}

int cli_report(const char *cmd, const nf_error *err) {
  fprintf(stderr, "nnfirm %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
  return err->code ? err->code : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "nnfirm %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see 'nnfirm %s --help')\n", cmd);
  va_end(ap);
  return 2;
}

bool cli_parse_num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out, int *status) {
  if (!nf_parse_double(s, out) || *out < lo || *out > hi) {
    *status = cli_usage_error(cmd, "%s '%s': expected a number in [%g, %g]", opt, s, lo, hi);
    return false;
  }
  return true;
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
  }
  return false;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
    print_help(stdout);
    return 0;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("nnfirm %s\n", NNFIRM_VERSION);
    return 0;
  }
  for (int i = 0; i < N_COMMANDS; i++)
    if (!strcmp(name, COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
  fprintf(stderr, "nnfirm: unknown command '%s' (see 'nnfirm --help')\n", name);
  return 2;
}
