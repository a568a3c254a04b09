/* nnfirm — error reporting shared by every stage.
 *
 * Library functions never print and never exit: they return an int status
 * and fill an nf_error. The status doubles as the process exit code the CLI
 * uses (SPEC §5): 0 success, 1 internal failure, 2 bad input or usage.
 */
#ifndef NNFIRM_ERROR_H
#define NNFIRM_ERROR_H

#include <stddef.h>

enum {
  NF_OK = 0,        /* success */
  NF_EINTERNAL = 1, /* our fault or the system's: out of memory, I/O failure */
  NF_EINPUT = 2,    /* the user's input is wrong: file, option, value */
};

typedef struct nf_error {
  int code;
  char msg[1024];
} nf_error;

/* Records an error (printf-style message) and returns its code, so callers
 * can write `return nf_fail(err, NF_EINPUT, "%s:%d: ...", path, line);`.
 * err may be NULL. */
int nf_fail(nf_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with context ("while reading X: ..."). */
int nf_fail_context(nf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Out-of-memory shorthand: NF_EINTERNAL with what was being allocated. */
int nf_fail_oom(nf_error *err, const char *what);

/* Checked allocation helpers: return NULL and fill err on failure. */
void *nf_malloc(size_t n, nf_error *err);
void *nf_calloc(size_t count, size_t size, nf_error *err);
void *nf_realloc(void *p, size_t n, nf_error *err);
char *nf_strdup(const char *s, nf_error *err);

#endif
