/* Vendor flows for the same RTL: a Vivado non-project synthesis script and a
 * Quartus Prime Pro project for Agilex 7 (nnfirm/synth.h describes them).
 * The files are written for a user who owns the tools; nothing here runs
 * them. Their output is deterministic (no dates), so the same design gives
 * the same bytes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"
#include "nnfirm/util.h"

/* Names go into Tcl and Quartus settings unquoted: letters, digits, _ . - only. */
static bool plain_name(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
          *s == '-'))
      return false;
  return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_list(char **l) {
  for (char **p = l; p && *p; p++) free(*p);
  free(l);
}

/* The Verilog files of dir/rtl (names only), sorted, NULL-terminated. */
static int rtl_files(const char *dir, char ***out, nf_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/rtl", dir);
  DIR *d = opendir(path);
  if (!d) return nf_fail(err, NF_EINPUT, "%s: no rtl/ directory to write vendor scripts for", dir);
  char **list = NULL;
  size_t n = 0;
  int rc = NF_OK;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (!nf_has_suffix(e->d_name, ".v")) continue;
    if (!plain_name(e->d_name)) {
      rc = nf_fail(err, NF_EINPUT, "%s/%s: a file name the vendor scripts cannot quote", path, e->d_name);
      break;
    }
    char **nl = nf_realloc(list, (n + 2) * sizeof *nl, err);
    if (!nl) {
      rc = NF_EINTERNAL;
      break;
    }
    list = nl;
    list[n + 1] = NULL;
    size_t len = strlen(e->d_name) + 1;
    if (!(list[n] = nf_malloc(len, err))) {
      rc = NF_EINTERNAL;
      break;
    }
    memcpy(list[n], e->d_name, len);
    list[++n] = NULL;
  }
  closedir(d);
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "%s: no Verilog files in rtl/", dir);
  if (rc) {
    free_list(list);
    return rc;
  }
  qsort(list, n, sizeof *list, cmp_str);
  *out = list;
  return NF_OK;
}

/* The Vivado -part: the device table's full name when part names a known
 * device without a package, else part as given (Vivado checks it). */
static int vivado_part(const char *part, char *out, size_t n, nf_error *err) {
  if (!part || !*part) part = "xcvu9p";
  if (!plain_name(part)) return nf_fail(err, NF_EINPUT, "part '%s': not a part name Vivado accepts", part);
  const nf_device *d = strchr(part, '-') ? NULL : nf_device_find(part);
  snprintf(out, n, "%s", d && d->vivado_part ? d->vivado_part : part);
  return NF_OK;
}

typedef void (*emit_fn)(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files);

static int emit_file(const char *dir, const char *sub, const char *name, emit_fn fn, const nf_vendor_spec *s,
                     const char *part, char *const *files, nf_error *err) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  int rc = nf_mkdir_p(path, err);
  if (rc) return rc;
  snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
  nf_outfile f;
  rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  fn(f.fp, s, part, files);
  return nf_outfile_commit(&f, err);
}

static double period(const nf_vendor_spec *s) { return s->clock_ns > 0 ? s->clock_ns : 5.0; }

/* ---- Vivado ----------------------------------------------------------------------- */
static void emit_xdc(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files) {
  (void)part, (void)files;
  fprintf(fp,
          "# nnfirm: the clock of %s (its ClockPeriod), read by synth.tcl.\n"
          "create_clock -period %.3f -name clk [get_ports clk]\n",
          s->top, period(s));
}

static void emit_tcl(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files) {
  double p = period(s);
  fprintf(fp,
          "# nnfirm: Vivado synthesis of %s, non-project mode, out of context (the design is a\n"
          "# block inside a larger firmware: no I/O buffers, no pin placement). The Verilog is the\n"
          "# project's rtl/, the same files nnfirm co-simulates and Yosys counts.\n"
          "#\n"
          "#   vivado -mode batch -source vivado/synth.tcl                  synthesis only\n"
          "#   vivado -mode batch -source vivado/synth.tcl -tclargs impl    + place and route\n"
          "#   (or 'set nf_impl 1' before 'source synth.tcl' in a Vivado Tcl shell)\n"
          "#\n"
          "# Reports go to vivado/reports/: utilization_synth.rpt, timing_synth.rpt (and\n"
          "# utilization_route.rpt, timing_route.rpt after routing). Read them back with\n"
          "#   nnfirm synth PROJECT --vendor-report vivado/reports/utilization_synth.rpt \\\n"
          "#       --vendor-timing vivado/reports/timing_synth.rpt\n"
          "\n"
          "set nf_dir [file normalize [file dirname [info script]]]\n"
          "set nf_top %s\n"
          "set nf_part %s\n"
          "set nf_clock_ns %.3f\n"
          "if {![info exists nf_impl]} { set nf_impl 0 }\n"
          "if {[info exists argv] && [lsearch -exact $argv impl] >= 0} { set nf_impl 1 }\n"
          "set nf_reports [file join $nf_dir reports]\n"
          "file mkdir $nf_reports\n"
          "\n",
          s->top, s->top, part, p);
  fprintf(fp, "foreach nf_file {");
  for (char *const *f = files; *f; f++) fprintf(fp, "\n    %s", *f);
  fprintf(fp,
          "\n} {\n"
          "  read_verilog [file join $nf_dir .. rtl $nf_file]\n"
          "}\n"
          "read_xdc [file join $nf_dir %s.xdc]\n"
          "\n"
          "synth_design -top $nf_top -part $nf_part -mode out_of_context\n"
          "report_utilization -file [file join $nf_reports utilization_synth.rpt]\n"
          "report_timing_summary -file [file join $nf_reports timing_synth.rpt]\n"
          "\n"
          "if {$nf_impl} {\n"
          "  opt_design\n"
          "  place_design\n"
          "  route_design\n"
          "  report_utilization -file [file join $nf_reports utilization_route.rpt]\n"
          "  report_timing_summary -file [file join $nf_reports timing_route.rpt]\n"
          "}\n",
          s->top);
}

/* ---- Quartus ------------------------------------------------------------------------ */
static void emit_qpf(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files) {
  (void)part, (void)files;
  fprintf(fp,
          "# nnfirm: Quartus Prime Pro project of %s (Agilex 7). Compile with\n"
          "#   cd quartus && quartus_sh --flow compile %s\n"
          "PROJECT_REVISION = \"%s\"\n",
          s->top, s->top, s->top);
}

static void emit_qsf(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files) {
  (void)part;
  fprintf(fp,
          "# nnfirm: Quartus Prime Pro settings of %s for Agilex 7 (the part of hls4ml's oneAPI\n"
          "# tutorial). Out of context: every port but the clock is a virtual pin, so the design\n"
          "# is placed as a block inside a larger firmware and not on the device's pins.\n"
          "# Results: output_files/%s.fit.summary and %s.sta.summary; read them back with\n"
          "#   nnfirm synth PROJECT --vendor-report quartus/output_files/%s.fit.summary \\\n"
          "#       --vendor-timing quartus/output_files/%s.sta.summary\n"
          "set_global_assignment -name FAMILY \"Agilex 7\"\n"
          "set_global_assignment -name DEVICE %s\n"
          "set_global_assignment -name TOP_LEVEL_ENTITY %s\n"
          "set_global_assignment -name PROJECT_OUTPUT_DIRECTORY output_files\n",
          s->top, s->top, s->top, s->top, s->top, NF_AGILEX_DEVICE, s->top);
  for (char *const *f = files; *f; f++) fprintf(fp, "set_global_assignment -name VERILOG_FILE ../rtl/%s\n", *f);
  fprintf(fp, "set_global_assignment -name SDC_FILE %s.sdc\n", s->top);
  static const char *const PORTS[] = {"rst", "in_valid", "in_data[*]", "out_valid", "out_data[*]"};
  for (size_t i = 0; i < sizeof PORTS / sizeof *PORTS; i++)
    fprintf(fp, "set_instance_assignment -name VIRTUAL_PIN ON -to %s\n", PORTS[i]);
}

static void emit_sdc(FILE *fp, const nf_vendor_spec *s, const char *part, char *const *files) {
  (void)part, (void)files;
  fprintf(fp,
          "# nnfirm: the clock of %s (its ClockPeriod). Quartus Prime Pro adds the clock\n"
          "# uncertainty itself.\n"
          "create_clock -name clk -period %.3f [get_ports clk]\n",
          s->top, period(s));
}

int nf_vendor_write(const nf_vendor_spec *s, const char *dir, nf_error *err) {
  if (!plain_name(s->top)) return nf_fail(err, NF_EINPUT, "top '%s': not a module name the vendor scripts can use", s->top ? s->top : "");
  char part[128], name[300];
  int rc = vivado_part(s->part, part, sizeof part, err);
  char **files = NULL;
  if (!rc) rc = rtl_files(dir, &files, err);
  if (!rc) rc = emit_file(dir, "vivado", "synth.tcl", emit_tcl, s, part, files, err);
  snprintf(name, sizeof name, "%s.xdc", s->top);
  if (!rc) rc = emit_file(dir, "vivado", name, emit_xdc, s, part, files, err);
  snprintf(name, sizeof name, "%s.qpf", s->top);
  if (!rc) rc = emit_file(dir, "quartus", name, emit_qpf, s, part, files, err);
  snprintf(name, sizeof name, "%s.qsf", s->top);
  if (!rc) rc = emit_file(dir, "quartus", name, emit_qsf, s, part, files, err);
  snprintf(name, sizeof name, "%s.sdc", s->top);
  if (!rc) rc = emit_file(dir, "quartus", name, emit_sdc, s, part, files, err);
  free_list(files);
  return rc;
}
