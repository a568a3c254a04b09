/* nnfirm — small services every stage and command uses: atomic output
 * files, progress display, path helpers. */
#ifndef NNFIRM_UTIL_H
#define NNFIRM_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include "nnfirm/error.h"

/* ---- Atomic output -------------------------------------------------------
 * Outputs are written to a temporary file beside the destination and renamed
 * into place on commit, so a failed run never leaves a partial file (SPEC §5).
 */
typedef struct nf_outfile {
  FILE *fp;
  char *path;     /* final destination */
  char *tmp_path; /* where the bytes go until commit */
} nf_outfile;

int nf_outfile_open(nf_outfile *f, const char *path, nf_error *err);
/* Flushes, fsyncs and renames; closes in all cases. */
int nf_outfile_commit(nf_outfile *f, nf_error *err);
/* Closes and removes the temporary file. Safe to call twice or after commit. */
void nf_outfile_abort(nf_outfile *f);

/* Writes a whole buffer atomically. */
int nf_write_file_atomic(const char *path, const void *data, size_t n, nf_error *err);
/* Reads a whole file (NUL-terminated for convenience; *n excludes the NUL). */
int nf_read_file(const char *path, char **data, size_t *n, nf_error *err);

/* Output directories that appear whole or not at all: build into
 * "<dir>.tmp-XXXX", then nf_outdir_commit renames it over <dir>. */
int nf_outdir_begin(const char *dir, char **tmp_dir, nf_error *err);
int nf_outdir_commit(const char *tmp_dir, const char *dir, nf_error *err);
void nf_outdir_abort(const char *tmp_dir);
int nf_mkdir_p(const char *dir, nf_error *err);
int nf_rm_rf(const char *path);

/* ---- Progress ------------------------------------------------------------
 * A one-line progress bar on stderr when it is a terminal and not quiet;
 * silent otherwise (piped output, --quiet, CI). */
typedef struct nf_progress {
  bool enabled;
  double start;
  double last_draw;
  long total;
  char label[64];
} nf_progress;

void nf_progress_begin(nf_progress *p, const char *label, long total, bool quiet);
/* `extra` is appended after the bar (e.g. "loss 0.83 acc 0.74"); may be NULL. */
void nf_progress_update(nf_progress *p, long done, const char *extra);
/* A permanent line above the bar (e.g. one per finished epoch); silent when
 * the bar is. */
void nf_progress_note(nf_progress *p, const char *line);
void nf_progress_end(nf_progress *p);

/* Wall-clock seconds since an arbitrary start (monotonic). */
double nf_now(void);

/* ---- Version ---------------------------------------------------------------
 * nf_version: the library's version ("0.1.0"). nf_abi_id: the SHA-256 (64 hex
 * digits) of the public headers (include/nnfirm/) the library was compiled
 * from (cmake/abi-id.cmake says how); a program compiled against other
 * headers may misread the library's structs, so it compares the identity
 * of its own headers with this one before any other call. */
const char *nf_version(void);
const char *nf_abi_id(void);

/* ---- Strings ------------------------------------------------------------- */
/* Strict number parsing: the whole string must be a finite number. */
bool nf_parse_double(const char *s, double *out);
bool nf_parse_long(const char *s, long *out);
/* Case-insensitive suffix test, e.g. nf_has_suffix(path, ".csv"). */
bool nf_has_suffix(const char *s, const char *suffix);
/* A latency with the clock it holds at: "6 cycles at 8.0 ns = 48 ns"
 * (clock_ns <= 0: "6 cycles"). Returns buf. */
const char *nf_format_latency(char *buf, size_t n, double cycles, double clock_ns);

/* ---- JSON and YAML files ---------------------------------------------------
 * A JSON (text starting with '{') or YAML file whose top level is a mapping,
 * as a cJSON tree (caller frees with cJSON_Delete). Errors name the origin and
 * the line. Used for configurations and quantizer files. */
struct cJSON;
struct cJSON *nf_tree_parse(const char *text, size_t len, const char *origin, nf_error *err);
int nf_tree_read(const char *path, struct cJSON **out, nf_error *err);

#endif
