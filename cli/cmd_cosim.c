/* nnfirm cosim PROJECT --input X.csv: runs the generated RTL on every row and
 * compares every output code with the bit-accurate model of SPEC §3. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nnfirm/convert.h"
#include "nnfirm/emulate.h"
#include "nnfirm/rtl.h"
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

/* Splits a CSV line in place; returns the field count. */
static int split_csv(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    fields[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = '\0';
    p = c + 1;
  }
  for (int i = 0; i < n; i++) {
    while (*fields[i] == ' ' || *fields[i] == '"') fields[i]++;
    size_t len = strlen(fields[i]);
    while (len && strchr(" \t\r\n\"", fields[i][len - 1])) fields[i][--len] = '\0';
  }
  return n;
}

/* Reads rows of at least n_in numbers: raw values (for the emulator's input
 * path) and, parsed as double, their codes of type t (SPEC §3, no scaler). */
static int read_inputs(const char *path, const nf_fixed_type *t, int n_in, long max_rows, int64_t **codes,
                       float **raw, long *rows, nf_error *err) {
  char *text;
  int rc = nf_read_file(path, &text, NULL, err);
  if (rc) return nf_fail(err, NF_EINPUT, "%s: cannot read the input rows", path);
  long cap = 1024, n = 0, line_no = 0;
  int64_t *v = nf_malloc((size_t)cap * n_in * sizeof *v, err);
  float *x = nf_malloc((size_t)cap * n_in * sizeof *x, err);
  char **fields = nf_malloc(4096 * sizeof *fields, err);
  for (char *line = text, *next; !rc && v && x && fields && line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    line_no++;
    if (strspn(line, " \t\r") == strlen(line) || line[0] == '#') continue;
    if (max_rows > 0 && n >= max_rows) break;
    int nf = split_csv(line, fields, 4096);
    double d;
    if (line_no == 1 && !nf_parse_double(fields[0], &d)) continue; /* header */
    if (nf < n_in) {
      rc = nf_fail(err, NF_EINPUT, "%s:%ld: %d columns, the design has %d inputs", path, line_no, nf, n_in);
      break;
    }
    if (n == cap) {
      cap *= 2;
      int64_t *nv = nf_realloc(v, (size_t)cap * n_in * sizeof *v, err);
      if (nv) v = nv;
      float *nx = nv ? nf_realloc(x, (size_t)cap * n_in * sizeof *x, err) : NULL;
      if (nx) x = nx;
      if (!nv || !nx) {
        rc = NF_EINTERNAL;
        break;
      }
    }
    for (int k = 0; k < n_in && !rc; k++) {
      nf_code c;
      if (!nf_parse_double(fields[k], &d) || nf_fixed_from_double(t, d, &c, err))
        rc = nf_fail(err, NF_EINPUT, "%s:%ld: column %d: '%s' is not a finite number", path, line_no, k + 1, fields[k]);
      else
        v[(size_t)n * n_in + k] = (int64_t)c, x[(size_t)n * n_in + k] = (float)d;
    }
    n++;
  }
  free(text);
  free(fields);
  if (!rc && (!v || !x)) rc = NF_EINTERNAL;
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "%s: no input rows", path);
  if (rc) {
    free(v), free(x);
    return rc;
  }
  *codes = v;
  *raw = x;
  *rows = n;
  return NF_OK;
}

static char *result_json(const nf_rtl_project *p, nf_simulator sim, const nf_cosim_result *r, const char *against,
                         long ref_disagree) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "top", p->top);
  cJSON_AddStringToObject(o, "simulator", nf_simulator_name(sim));
  cJSON_AddNumberToObject(o, "rows", (double)r->rows);
  cJSON_AddNumberToObject(o, "outputs_compared", (double)r->outputs * p->info.n_out);
  cJSON_AddNumberToObject(o, "mismatches", (double)r->mismatches);
  cJSON_AddStringToObject(o, "expected_from", against);
  cJSON_AddNumberToObject(o, "reference_disagreements", (double)ref_disagree);
  if (r->mismatches) {
    cJSON_AddNumberToObject(o, "first_mismatch_row", (double)r->first_bad_row);
    cJSON_AddNumberToObject(o, "first_mismatch_output", (double)r->first_bad_output);
  }
  cJSON_AddNumberToObject(o, "latency_cycles", r->latency);
  cJSON_AddNumberToObject(o, "ii", r->ii);
  cJSON_AddNumberToObject(o, "expected_latency_cycles", p->info.latency);
  cJSON_AddNumberToObject(o, "expected_ii", p->info.ii);
  cJSON_AddNumberToObject(o, "build_seconds", r->build_seconds);
  cJSON_AddNumberToObject(o, "sim_seconds", r->sim_seconds);
  cJSON_AddNumberToObject(o, "rows_per_second", r->rows_per_second);
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

/* The expected output codes. In a converted project (PROJECT/design.json)
 * they come from the emulator, with the emulator's input path (scaler, input
 * type) giving the input codes too; the RTL generator's own SPEC §3
 * reference is computed alongside as a cross-check. Projects written by the
 * RTL stage alone (bench) use that reference. */
static int expected_outputs(const char *project, const nf_rtl_project *p, const float *raw, long rows, int64_t *in,
                            int64_t *want, const char **against, long *ref_disagree, bool quiet, nf_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/design.json", project);
  nf_design *d = NULL;
  int rc = NF_OK;
  if (access(path, F_OK) == 0) {
    rc = nf_design_load(project, &d, err);
    if (!rc && (d->n_inputs != p->info.n_in || d->n_hw < 1 || d->layers[d->n_hw - 1].n_out != p->info.n_out))
      rc = nf_fail(err, NF_EINPUT, "%s: design.json and tb/design.json describe different networks (edited by hand?)",
                   project);
    if (!rc) rc = nf_emulate_inputs(d, raw, rows, in, err);
    if (!rc) rc = nf_emulate(d, in, rows, d->n_hw - 1, want, err);
    if (!rc) *against = "emulator";
  }
  int64_t *ref = rc ? NULL : nf_malloc((size_t)p->info.n_out * sizeof *ref, err);
  if (!rc && !ref) rc = NF_EINTERNAL;
  nf_progress bar;
  nf_progress_begin(&bar, "reference", rows, quiet);
  for (long i = 0; i < rows && !rc; i++) {
    int64_t *dst = d ? ref : want + (size_t)i * p->info.n_out;
    rc = nf_rtl_reference(&p->net, in + (size_t)i * p->info.n_in, dst, err);
    if (d)
      for (int k = 0; k < p->info.n_out; k++) *ref_disagree += ref[k] != want[(size_t)i * p->info.n_out + k];
    if (i % 256 == 0) nf_progress_update(&bar, i, NULL);
  }
  nf_progress_end(&bar);
  free(ref);
  nf_design_free(d);
  return rc;
}

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

  nf_rtl_project p;
  int rc = nf_rtl_load_project(project, &p, &err);
  if (rc) return cli_report("cosim", &err);
  int64_t *in = NULL, *want = NULL;
  float *raw = NULL;
  long rows = 0, ref_disagree = 0;
  const char *against = "SPEC 3 reference (no converted design in the project)";
  rc = read_inputs(input, &p.layers[0].input_t, p.info.n_in, max_rows, &in, &raw, &rows, &err);
  if (!rc && !(want = nf_malloc((size_t)rows * p.info.n_out * sizeof *want, &err))) rc = NF_EINTERNAL;
  if (!rc) rc = expected_outputs(project, &p, raw, rows, in, want, &against, &ref_disagree, quiet, &err);
  free(raw);

  char out_dir[4096], *tmp = NULL, *text = NULL;
  snprintf(out_dir, sizeof out_dir, "%s/cosim", project);
  if (!rc) rc = nf_outdir_begin(out_dir, &tmp, &err);
  nf_cosim_result r;
  if (!rc) {
    char rtl[4096], tb[4096];
    snprintf(rtl, sizeof rtl, "%s/rtl", project);
    snprintf(tb, sizeof tb, "%s/tb", project);
    if (!quiet) fprintf(stderr, "cosim: building and running %s on %ld rows...\n", nf_simulator_name(sim), rows);
    nf_cosim_opts o = {.rtl_dir = rtl, .tb_dir = tb, .top = p.top, .work_dir = tmp, .simulator = sim,
                       .info = &p.info, .n_rows = rows, .in_codes = in, .expected = want, .quiet = quiet};
    rc = nf_cosim_run(&o, &r, &err);
  }
  if (!rc && !(text = result_json(&p, sim, &r, against, ref_disagree))) rc = nf_fail_oom(&err, "report");
  if (!rc) {
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", tmp);
    rc = nf_write_file_atomic(path, text, strlen(text), &err);
    /* the simulator's build tree is large and of no use afterwards */
    snprintf(path, sizeof path, "%s/obj", tmp);
    nf_rm_rf(path);
  }
  if (!rc) rc = nf_outdir_commit(tmp, out_dir, &err);
  else if (tmp) nf_outdir_abort(tmp);
  free(tmp), free(in), free(want);
  if (rc) {
    nf_rtl_project_free(&p);
    free(text);
    return cli_report("cosim", &err);
  }
  if (json) puts(text);
  else {
    printf("%s (%s): %ld rows, %ld outputs compared with the %s, %ld mismatches\n", p.top, nf_simulator_name(sim),
           r.rows, r.outputs * p.info.n_out, strncmp(against, "emulator", 8) ? "reference" : "emulator", r.mismatches);
    printf("latency %d cycles (generator: %d), II %.2f (generator: %d); build %.1f s, simulation %.2f s (%.0f rows/s)\n",
           r.latency, p.info.latency, r.ii, p.info.ii, r.build_seconds, r.sim_seconds, r.rows_per_second);
  }
  if (ref_disagree)
    fprintf(stderr, "nnfirm cosim: warning: the emulator and the RTL generator's SPEC 3 reference disagree on %ld "
                    "output codes\n", ref_disagree);
  if (r.mismatches)
    fprintf(stderr, "nnfirm cosim: %ld mismatches; first at row %ld, output %ld: RTL %lld, expected %lld\n",
            r.mismatches, r.first_bad_row, r.first_bad_output, (long long)r.first_bad_got, (long long)r.first_bad_want);
  nf_rtl_project_free(&p);
  free(text);
  return r.mismatches ? 1 : 0;
}
