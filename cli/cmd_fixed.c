/* nnfirm fixed --type T: quantize stdin numbers, print exact values (SPEC §2). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/fixed.h"

static const char USAGE[] =
    "usage: nnfirm fixed --type T [--code]\n\n"
    "Reads one decimal number per line on stdin, quantizes it to the fixed-point\n"
    "type T exactly as Xilinx ap_fixed does, and prints the result as an exact\n"
    "decimal (all digits). Blank lines are an error like any non-number.\n\n"
    "  -t, --type T   ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<...>, ap_int<W>, ap_uint<W>\n"
    "                 (hls4ml aliases fixed<...>, ufixed<...>, int<W>, uint<W> too)\n"
    "                 Q: AP_TRN AP_TRN_ZERO AP_RND AP_RND_ZERO AP_RND_MIN_INF AP_RND_INF AP_RND_CONV\n"
    "                 O: AP_WRAP AP_SAT AP_SAT_ZERO AP_SAT_SYM\n"
    "  --code         print the integer code k (value = k * 2^-(W-I)) instead\n"
    "  -h, --help     this text\n\n"
    "example: printf '1.375\\n-0.3\\n' | nnfirm fixed --type 'ap_fixed<8,3,AP_RND,AP_SAT>'\n";

int cmd_fixed(int argc, char **argv) {
  static const struct option opts[] = {
      {"type", required_argument, 0, 't'}, {"code", no_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *type_str = NULL;
  bool print_code = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
    switch (c) {
    case 't': type_str = optarg; break;
    case 'c': print_code = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("fixed", "unknown option");
    }
  }
  if (optind < argc) return cli_usage_error("fixed", "unexpected argument '%s'", argv[optind]);
  if (!type_str) return cli_usage_error("fixed", "--type is required");

  nf_error err = {0};
  nf_fixed_type t;
  if (nf_fixed_type_parse(type_str, &t, &err)) return cli_report("fixed", &err);

  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  long lineno = 0;
  int status = 0;
  /* Output is buffered by stdio; on a bad line we stop with what came before
   * already printed, as a line-oriented filter does. */
  while ((len = getline(&line, &cap, stdin)) != -1) {
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    nf_code k;
    if (nf_fixed_from_decimal(&t, line, &k, &err)) {
      fflush(stdout);
      fprintf(stderr, "nnfirm fixed: <stdin>:%ld: %s\n", lineno, err.msg);
      status = 2;
      break;
    }
    char out[1200];
    if (print_code) nf_fixed_format_code(k, 0, out, sizeof out);
    else if (nf_fixed_format_value(&t, k, out, sizeof out) < 0) {
      fprintf(stderr, "nnfirm fixed: <stdin>:%ld: value too long to print\n", lineno);
      status = 1;
      break;
    }
    puts(out);
  }
  free(line);
  if (fflush(stdout) != 0 && status == 0) {
    fprintf(stderr, "nnfirm fixed: cannot write to stdout\n");
    status = 1;
  }
  return status;
}
