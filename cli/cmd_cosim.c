/* nnfirm cosim PROJECT --input X.csv: runs the generated RTL on every row and
 * compares every output code with the bit-accurate model of SPEC §3. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nnfirm/data.h"
#include "nnfirm/project.h"
#include "nnfirm/util.h"

static const char USAGE[] =
    "usage: nnfirm cosim PROJECT --input X.csv [--simulator verilator|iverilog] [--rows N] [--json] [--quiet]\n\n"
    "Co-simulates PROJECT/rtl with the testbench in PROJECT/tb: every row of X.csv (the first\n"
    "n_inputs columns; a header line is skipped) goes through the emulator's input path\n"
    "(the model's scaler, then the input type), is applied back to back at the design's\n"
    "initiation interval, and every output code is compared with the bit-accurate emulator\n"
    "(nnfirm predict's). Reports mismatches (0 required), latency and II measured in the\n"
    "simulation, and simulation speed. Writes PROJECT/cosim/ (report.json, logs) whole.\n\n"
    "  --input X.csv     input rows (required)\n"
    "  --simulator S     verilator (default) or iverilog\n"
    "  --rows N          use only the first N rows\n"
    "  --json            print the result as JSON\n"
    "  --quiet           no progress display\n"
    "\nExit status: 0 when every output matches, 1 on mismatches, 2 on bad input.\n";

int cmd_cosim(int argc, char **argv) {
  static const struct option opts[] = {{"input", required_argument, 0, 'i'}, {"simulator", required_argument, 0, 's'},
                                       {"rows", required_argument, 0, 'n'}, {"json", no_argument, 0, 'j'},
                                       {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *input = NULL;
  nf_simulator sim = NF_SIM_VERILATOR;
  long max_rows = 0;
  bool json = false, quiet = false;
  nf_error err = {0};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "i:s:n:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'i': input = optarg; break;
    case 's':
      if (nf_simulator_parse(optarg, &sim, &err)) return cli_report("cosim", &err);
      break;
    case 'n':
      if (!nf_parse_long(optarg, &max_rows) || max_rows <= 0)
        return cli_usage_error("cosim", "--rows needs a positive integer, got '%s'", optarg);
      break;
    case 'j': json = true; break;
    case 'q': quiet = true; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: return cli_usage_error("cosim", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("cosim", "expected one PROJECT directory");
  if (!input) return cli_usage_error("cosim", "--input X.csv is required");
  const char *project = argv[optind];

  nf_project *p = NULL;
  nf_project_cosim r = {0};
  int rc = nf_project_open(project, &p, &err);
  if (!rc && !quiet) fprintf(stderr, "cosim: building and running %s on the rows of %s...\n", nf_simulator_name(sim), input);
  nf_project_cosim_opts o = {.simulator = sim, .input = input, .max_rows = max_rows, .quiet = quiet};
  if (!rc) rc = nf_project_cosim_run(p, &o, &r, &err);
  if (rc) {
    nf_project_free(p);
    return cli_report("cosim", &err);
  }
  const nf_cosim_result *s = &r.sim;
  if (json) puts(r.report_json);
  else {
    printf("%s (%s): %ld rows, %ld outputs compared with the %s, %ld mismatches\n", p->top, nf_simulator_name(sim),
           s->rows, s->outputs * p->info.n_out, strncmp(r.expected_from, "emulator", 8) ? "reference" : "emulator",
           s->mismatches);
    char lat[96];
    nf_format_latency(lat, sizeof lat, s->latency, p->design->clock_period_ns > 0 ? p->design->clock_period_ns : 5.0);
    printf("latency %s (generator: %d), II %.2f (generator: %d); build %.1f s, simulation %.2f s (%.0f rows/s)\n",
           lat, p->info.latency, s->ii, p->info.ii, s->build_seconds, s->sim_seconds, s->rows_per_second);
  }
  if (r.reference_disagreements)
    fprintf(stderr, "nnfirm cosim: warning: the emulator and the RTL generator's SPEC 3 reference disagree on %ld "
                    "output codes\n", r.reference_disagreements);
  if (s->mismatches)
    fprintf(stderr, "nnfirm cosim: %ld mismatches; first at row %ld, output %ld: RTL %lld, expected %lld\n",
            s->mismatches, s->first_bad_row, s->first_bad_output, (long long)s->first_bad_got,
            (long long)s->first_bad_want);
  long mismatches = s->mismatches;
  free(r.report_json);
  nf_project_free(p);
  return mismatches ? 1 : 0;
}
