/* Atomic files and directories: write beside the destination, rename on
 * success, remove on failure. */
#include "nnfirm/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp_name_for(const char *path, nf_error *err) {
  size_t n = strlen(path) + 32;
  char *tmp = nf_malloc(n, err);
  if (tmp) snprintf(tmp, n, "%s.tmp-%ld-XXXXXX", path, (long)getpid());
  return tmp;
}

int nf_outfile_open(nf_outfile *f, const char *path, nf_error *err) {
  memset(f, 0, sizeof *f);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return nf_fail(err, NF_EINPUT, "%s: is a directory, expected a file path", path);
  f->path = nf_strdup(path, err);
  f->tmp_path = tmp_name_for(path, err);
  if (!f->path || !f->tmp_path) {
    nf_outfile_abort(f);
    return NF_EINTERNAL;
  }
  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    int e = errno;
    nf_fail(err, e == ENOENT || e == ENOTDIR || e == EACCES ? NF_EINPUT : NF_EINTERNAL,
            "%s: cannot create output file: %s", path, strerror(e));
    free(f->tmp_path);
    f->tmp_path = NULL;
    nf_outfile_abort(f);
    return err ? err->code : NF_EINPUT;
  }
  fchmod(fd, 0644);
  f->fp = fdopen(fd, "w");
  if (!f->fp) {
    close(fd);
    nf_outfile_abort(f);
    return nf_fail(err, NF_EINTERNAL, "%s: fdopen failed", path);
  }
  return NF_OK;
}

int nf_outfile_commit(nf_outfile *f, nf_error *err) {
  if (!f->fp) return nf_fail(err, NF_EINTERNAL, "output file not open");
  int bad = fflush(f->fp) != 0 || ferror(f->fp);
  if (!bad) fsync(fileno(f->fp));
  bad |= fclose(f->fp) != 0;
  f->fp = NULL;
  if (bad) {
    int e = errno;
    nf_outfile_abort(f);
    return nf_fail(err, NF_EINTERNAL, "%s: write failed: %s", f->path ? f->path : "?", strerror(e));
  }
  if (rename(f->tmp_path, f->path) != 0) {
    int e = errno;
    nf_fail(err, NF_EINTERNAL, "%s: cannot rename into place: %s", f->path, strerror(e));
    nf_outfile_abort(f);
    return NF_EINTERNAL;
  }
  free(f->tmp_path);
  f->tmp_path = NULL;
  free(f->path);
  f->path = NULL;
  return NF_OK;
}

void nf_outfile_abort(nf_outfile *f) {
  if (f->fp) fclose(f->fp);
  f->fp = NULL;
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->path);
  f->tmp_path = f->path = NULL;
}

int nf_write_file_atomic(const char *path, const void *data, size_t n, nf_error *err) {
  nf_outfile f;
  int rc = nf_outfile_open(&f, path, err);
  if (rc) return rc;
  if (n && fwrite(data, 1, n, f.fp) != n) {
    nf_outfile_abort(&f);
    return nf_fail(err, NF_EINTERNAL, "%s: write failed", path);
  }
  return nf_outfile_commit(&f, err);
}

int nf_read_file(const char *path, char **data, size_t *n, nf_error *err) {
  *data = NULL;
  if (n) *n = 0;
  struct stat st;
  if (stat(path, &st) != 0)
    return nf_fail(err, NF_EINPUT, "%s: cannot open: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) return nf_fail(err, NF_EINPUT, "%s: is a directory, expected a file", path);
  FILE *fp = fopen(path, "rb");
  if (!fp) return nf_fail(err, NF_EINPUT, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
  char *buf = nf_malloc(cap, err);
  if (!buf) {
    fclose(fp);
    return NF_EINTERNAL;
  }
  for (;;) {
    if (len + 1 >= cap) {
      char *nb = nf_realloc(buf, cap * 2, err);
      if (!nb) {
        free(buf);
        fclose(fp);
        return NF_EINTERNAL;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len - 1, fp);
    len += got;
    if (got == 0) break;
  }
  int bad = ferror(fp);
  fclose(fp);
  if (bad) {
    free(buf);
    return nf_fail(err, NF_EINPUT, "%s: read error", path);
  }
  buf[len] = '\0';
  *data = buf;
  if (n) *n = len;
  return NF_OK;
}

int nf_mkdir_p(const char *dir, nf_error *err) {
  char *p = nf_strdup(dir, err);
  if (!p) return NF_EINTERNAL;
  for (char *s = p + 1; ; s++) {
    if (*s == '/' || *s == '\0') {
      char c = *s;
      *s = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        nf_fail(err, NF_EINPUT, "%s: cannot create directory: %s", p, strerror(e));
        free(p);
        return NF_EINPUT;
      }
      *s = c;
      if (c == '\0') break;
    }
  }
  free(p);
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return nf_fail(err, NF_EINPUT, "%s: exists and is not a directory", dir);
  return NF_OK;
}

int nf_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) break;
        snprintf(child, n, "%s/%s", path, e->d_name);
        nf_rm_rf(child);
        free(child);
      }
      closedir(d);
    }
    return rmdir(path);
  }
  return unlink(path);
}

int nf_outdir_begin(const char *dir, char **tmp_dir, nf_error *err) {
  *tmp_dir = tmp_name_for(dir, err);
  if (!*tmp_dir) return NF_EINTERNAL;
  /* The parent must exist (or be creatable) before mkdtemp. */
  char *parent = nf_strdup(dir, err);
  if (!parent) return NF_EINTERNAL;
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = '\0';
    int rc = nf_mkdir_p(parent, err);
    if (rc) {
      free(parent);
      free(*tmp_dir);
      *tmp_dir = NULL;
      return rc;
    }
  }
  free(parent);
  if (!mkdtemp(*tmp_dir)) {
    int e = errno;
    free(*tmp_dir);
    *tmp_dir = NULL;
    return nf_fail(err, NF_EINPUT, "%s: cannot create directory: %s", dir, strerror(e));
  }
  chmod(*tmp_dir, 0755);
  return NF_OK;
}

int nf_outdir_commit(const char *tmp_dir, const char *dir, nf_error *err) {
  struct stat st;
  if (lstat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      nf_outdir_abort(tmp_dir);
      return nf_fail(err, NF_EINPUT, "%s: exists and is not a directory", dir);
    }
    /* Replace the old output: move it aside first so the swap is quick. */
    size_t n = strlen(dir) + 32;
    char *old = malloc(n);
    if (!old) return nf_fail_oom(err, "path");
    snprintf(old, n, "%s.old-%ld", dir, (long)getpid());
    if (rename(dir, old) != 0) {
      free(old);
      nf_outdir_abort(tmp_dir);
      return nf_fail(err, NF_EINTERNAL, "%s: cannot replace: %s", dir, strerror(errno));
    }
    int rc = rename(tmp_dir, dir);
    if (rc != 0) rename(old, dir);
    else nf_rm_rf(old);
    free(old);
    if (rc != 0) {
      nf_outdir_abort(tmp_dir);
      return nf_fail(err, NF_EINTERNAL, "%s: cannot rename into place", dir);
    }
    return NF_OK;
  }
  if (rename(tmp_dir, dir) != 0) {
    nf_outdir_abort(tmp_dir);
    return nf_fail(err, NF_EINTERNAL, "%s: cannot rename into place: %s", dir, strerror(errno));
  }
  return NF_OK;
}

void nf_outdir_abort(const char *tmp_dir) {
  if (tmp_dir) nf_rm_rf(tmp_dir);
}
