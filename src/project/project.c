/* The project directory: its only writer (nf_project_write) and reader
 * (nf_project_open). nnfirm/project.h describes the layout and versions. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnfirm/project.h"
#include "nnfirm/util.h"

static const char FORMAT_NAME[] = "nnfirm project";

/* ---- Checksums ------------------------------------------------------------------
 * FNV-1a, 64 bits: detects edits and truncation, not attacks (version 1 used
 * the same, so its checksums are checked too). */
static uint64_t fnv1a(const char *data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
  return h;
}

static int hash_file(const char *path, char out[17], nf_error *err) {
  char *text;
  size_t n;
  int rc = nf_read_file(path, &text, &n, err);
  if (rc) return rc;
  snprintf(out, 17, "%016" PRIx64, fnv1a(text, n));
  free(text);
  return NF_OK;
}

static int add_hash(cJSON *files, const char *root, const char *rel, nf_error *err) {
  char path[8300], h[17];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  int rc = hash_file(path, h, err);
  if (!rc && !cJSON_AddStringToObject(files, rel, h)) rc = nf_fail_oom(err, "manifest");
  return rc;
}

/* Every file of root/sub (one level), by its path relative to root. */
static int add_dir_hashes(cJSON *files, const char *root, const char *sub, nf_error *err) {
  char dir[8300];
  snprintf(dir, sizeof dir, "%s/%s", root, sub);
  DIR *d = opendir(dir);
  if (!d) return nf_fail(err, NF_EINTERNAL, "%s: cannot list", dir);
  struct dirent *e;
  int rc = NF_OK;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char rel[600];
    snprintf(rel, sizeof rel, "%s/%s", sub, e->d_name);
    rc = add_hash(files, root, rel, err);
  }
  closedir(d);
  return rc;
}

/* ---- Writing ----------------------------------------------------------------------- */
static int write_text(const char *dir, const char *name, const char *text, nf_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return nf_write_file_atomic(path, text, strlen(text), err);
}

static bool add_type(cJSON *m, const char *key, const nf_fixed_type *t) {
  char buf[96];
  nf_fixed_type_format(t, buf, sizeof buf);
  return cJSON_AddStringToObject(m, key, buf) != NULL;
}

/* The manifest's figures. Version 1's keys keep their names and meaning. */
static bool manifest_figures(cJSON *m, const nf_project_spec *s, const nf_rtl_info *info) {
  const nf_design *d = s->design;
  bool ok = cJSON_AddStringToObject(m, "format", FORMAT_NAME) && cJSON_AddNumberToObject(m, "version", NF_PROJECT_VERSION) &&
            cJSON_AddStringToObject(m, "network", "design.json") &&
            cJSON_AddStringToObject(m, "project_name", d->project) &&
            cJSON_AddStringToObject(m, "model", s->model_path ? s->model_path : "") &&
            cJSON_AddStringToObject(m, "part", d->part) &&
            cJSON_AddNumberToObject(m, "clock_period_ns", d->clock_period_ns > 0 ? d->clock_period_ns : 5.0) &&
            cJSON_AddStringToObject(m, "strategy", d->strategy) && cJSON_AddStringToObject(m, "io_type", d->io_type) &&
            add_type(m, "input_t", &d->input_t) && cJSON_AddNumberToObject(m, "layers", d->n_layers) &&
            add_type(m, "output_t", &d->layers[d->n_hw - 1].result_t);
  ok = ok && cJSON_AddBoolToObject(m, "rtl", info != NULL);
  if (ok && info)
    ok = cJSON_AddNumberToObject(m, "Wi", info->wi) && cJSON_AddNumberToObject(m, "Wo", info->wo) &&
         cJSON_AddNumberToObject(m, "latency_cycles", info->latency) && cJSON_AddNumberToObject(m, "II", info->ii) &&
         cJSON_AddNumberToObject(m, "n_inputs", info->n_in) && cJSON_AddNumberToObject(m, "n_outputs", info->n_out) &&
         cJSON_AddNumberToObject(m, "input_beats", info->beats) && /* io_stream: pixels per row (else 1) */
         (!info->stream || cJSON_AddNumberToObject(m, "pixel_interval", info->pixel_ii)); /* io_stream: cycles per pixel */
  return ok && cJSON_AddStringToObject(m, "top", d->project);
}

/* The vendors' flows for the same RTL (vivado/, quartus/; nnfirm/synth.h). */
static int write_vendor(cJSON *files, const char *dir, const nf_design *d, nf_error *err) {
  nf_vendor_spec v = {.top = d->project, .part = d->part, .clock_ns = d->clock_period_ns > 0 ? d->clock_period_ns : 5.0};
  int rc = nf_vendor_write(&v, dir, err);
  if (!rc) rc = add_dir_hashes(files, dir, "vivado", err);
  if (!rc) rc = add_dir_hashes(files, dir, "quartus", err);
  return rc;
}

static int write_into(const nf_project_spec *s, const char *dir, nf_rtl_info *info, nf_error *err) {
  const nf_design *d = s->design;
  if (!d || d->n_hw < 1) return nf_fail(err, NF_EINTERNAL, "project: no design with layers in hardware to write");
  cJSON *m = cJSON_CreateObject(), *files = cJSON_CreateObject();
  int rc = m && files ? NF_OK : nf_fail_oom(err, "manifest");
  if (!rc) rc = nf_design_save(d, dir, err);
  if (!rc) rc = add_hash(files, dir, "design.json", err);
  if (!rc && s->config_text) rc = write_text(dir, "config.json", s->config_text, err);
  if (!rc && s->config_text) rc = add_hash(files, dir, "config.json", err);
  if (!rc && s->rtl) rc = nf_rtl_write_project(d, dir, info, err);
  if (!rc && s->rtl) rc = add_dir_hashes(files, dir, "rtl", err);
  if (!rc && s->rtl) rc = add_dir_hashes(files, dir, "tb", err);
  if (!rc && s->rtl) rc = write_vendor(files, dir, d, err);
  if (!rc && !manifest_figures(m, s, s->rtl ? info : NULL)) rc = nf_fail_oom(err, "manifest");
  if (!rc) {
    cJSON_AddItemToObject(m, "files", files);
    files = NULL;
  }
  char *text = rc ? NULL : cJSON_Print(m);
  if (!rc && !text) rc = nf_fail_oom(err, "manifest");
  if (!rc) rc = write_text(dir, "manifest.json", text, err);
  free(text);
  cJSON_Delete(files);
  cJSON_Delete(m);
  return rc;
}

int nf_project_write(const nf_project_spec *s, const char *dir, nf_rtl_info *info, nf_error *err) {
  nf_rtl_info local;
  char *tmp = NULL;
  int rc = nf_outdir_begin(dir, &tmp, err);
  if (!rc) rc = write_into(s, tmp, info ? info : &local, err);
  if (!rc) rc = nf_outdir_commit(tmp, dir, err);
  else if (tmp) nf_outdir_abort(tmp);
  free(tmp);
  return rc;
}

/* ---- Opening ------------------------------------------------------------------------ */
static cJSON *read_json(const char *path, nf_error *err) {
  char *text = NULL;
  if (nf_read_file(path, &text, NULL, err)) return NULL;
  cJSON *o = cJSON_Parse(text);
  free(text);
  if (!o) nf_fail(err, NF_EINPUT, "%s: not valid JSON (edited by hand?)", path);
  return o;
}

static const char *str_field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Every listed file is present and unchanged. In version 1 the list names
 * rtl/ files only, relative to rtl/ (prefix "rtl/"). */
static int verify_files(const cJSON *files, const char *dir, const char *prefix, const char *listed_in, nf_error *err) {
  if (!cJSON_IsObject(files) || !files->child) return nf_fail(err, NF_EINPUT, "%s: no file checksums", listed_in);
  for (const cJSON *f = files->child; f; f = f->next) {
    /* The vendors' project files are the user's to run and edit (Quartus
     * itself appends to the .qsf); nothing nnfirm reads depends on them. */
    if (f->string && (!strncmp(f->string, "vivado/", 7) || !strncmp(f->string, "quartus/", 8))) continue;
    char path[8400], h[17];
    snprintf(path, sizeof path, "%s/%s%s", dir, prefix, f->string);
    if (access(path, R_OK) != 0)
      return nf_fail(err, NF_EINPUT, "%s: missing (the project is incomplete; run 'nnfirm convert' again)", path);
    int rc = hash_file(path, h, err);
    if (rc) return rc;
    if (!cJSON_IsString(f) || strcmp(h, f->valuestring))
      return nf_fail(err, NF_EINPUT, "%s: modified since 'nnfirm convert' wrote it; co-simulation checks only generated RTL (run 'nnfirm convert' again)", path);
  }
  return NF_OK;
}

/* rtl/ holds no Verilog the generator did not write. */
static int verify_no_extra(const cJSON *files, const char *dir, const char *prefix, nf_error *err) {
  char rtl[4200];
  snprintf(rtl, sizeof rtl, "%s/rtl", dir);
  DIR *d = opendir(rtl);
  if (!d) return nf_fail(err, NF_EINPUT, "%s: no rtl/ directory", dir);
  struct dirent *e;
  int rc = NF_OK;
  while (!rc && (e = readdir(d))) {
    char rel[600];
    snprintf(rel, sizeof rel, "%s%s", prefix, e->d_name);
    if ((nf_has_suffix(e->d_name, ".v") || nf_has_suffix(e->d_name, ".sv")) && !cJSON_GetObjectItemCaseSensitive(files, rel))
      rc = nf_fail(err, NF_EINPUT, "%s/%s: not part of the generated design (added by hand?)", rtl, e->d_name);
  }
  closedir(d);
  return rc;
}

static int not_a_project(const char *dir, nf_error *err) {
  return nf_fail(err, NF_EINPUT, "%s: not a project written by 'nnfirm convert' (no manifest.json)", dir);
}

/* Version 2: the manifest lists every file with its checksum. */
static int open_v2(nf_project *p, const cJSON *m, const char *mpath, nf_error *err) {
  const char *network = str_field(m, "network"), *top = str_field(m, "top");
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
  if (!network || (strcmp(network, "design.json") && strcmp(network, "network.json")) || !top || strlen(top) >= sizeof p->top)
    return nf_fail(err, NF_EINPUT, "%s: lacks a valid network or top", mpath);
  snprintf(p->top, sizeof p->top, "%s", top);
  p->has_rtl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "rtl"));
  int rc = verify_files(files, p->dir, "", mpath, err);
  if (!rc && p->has_rtl) rc = verify_no_extra(files, p->dir, "rtl/", err);
  if (rc) return rc;
  if (!strcmp(network, "design.json")) return nf_design_load(p->dir, &p->design, err);
  return nf_fail(err, NF_EINPUT, "%s/network.json: an RTL-only project of format version 2 with the generator's own "
                 "network record (written by bench_rtl_jet of nnfirm 0.2), which this nnfirm no longer reads; "
                 "generate it again", p->dir);
}

/* Version 1: design.json (when converted from a model) and, with RTL, the
 * network again in tb/design.json with the rtl/ checksums. */
static int open_v1(nf_project *p, const cJSON *m, nf_error *err) {
  char path[4200], dpath[4200];
  snprintf(path, sizeof path, "%s/tb/design.json", p->dir);
  snprintf(dpath, sizeof dpath, "%s/design.json", p->dir);
  p->has_rtl = access(path, F_OK) == 0;
  bool has_design = access(dpath, F_OK) == 0;
  if (!has_design && !p->has_rtl) return not_a_project(p->dir, err);
  int rc = NF_OK;
  if (p->has_rtl) {
    cJSON *tb = read_json(path, err);
    if (!tb) return err->code;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(tb, "rtl_files");
    rc = verify_files(files, p->dir, "rtl/", path, err);
    if (!rc) rc = verify_no_extra(files, p->dir, "", err);
    cJSON_Delete(tb);
    if (!rc && !has_design)
      rc = nf_fail(err, NF_EINPUT, "%s: an RTL-only project of format version 1 (its network only in tb/design.json), "
                   "which this nnfirm no longer reads; generate it again", p->dir);
  }
  if (!rc && has_design) rc = nf_design_load(p->dir, &p->design, err);
  const char *top = m ? str_field(m, "top") : NULL;
  if (!top) top = p->design ? p->design->project : "myproject";
  snprintf(p->top, sizeof p->top, "%s", top);
  return rc;
}

int nf_project_open(const char *dir, nf_project **out, nf_error *err) {
  *out = NULL;
  if (access(dir, F_OK) != 0) return nf_fail(err, NF_EINPUT, "%s: no such project directory", dir);
  nf_project *p = nf_calloc(1, sizeof *p, err);
  if (!p) return NF_EINTERNAL;
  snprintf(p->dir, sizeof p->dir, "%s", dir);
  char mpath[4200];
  snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
  cJSON *m = NULL;
  int rc = NF_OK;
  if (access(mpath, F_OK) != 0) {
    rc = not_a_project(dir, err);
  } else if (!(m = read_json(mpath, err))) {
    rc = err->code;
  } else {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "version");
    /* a number beyond int's range is undefined to cast: any such version is unknown (-1) */
    p->version = !cJSON_IsNumber(v) ? 1 : v->valuedouble >= 1 && v->valuedouble <= NF_PROJECT_VERSION ? (int)v->valuedouble : -1;
    const char *format = str_field(m, "format");
    if (p->version < 1 || p->version > NF_PROJECT_VERSION || (p->version > 1 && (!format || strcmp(format, FORMAT_NAME))))
      rc = nf_fail(err, NF_EINPUT, "%s: project format version %g, this nnfirm reads versions 1 to %d (written by a "
                   "newer nnfirm? convert the model again)", mpath, cJSON_IsNumber(v) ? v->valuedouble : 1.0, NF_PROJECT_VERSION);
    else
      rc = p->version == 1 ? open_v1(p, m, err) : open_v2(p, m, mpath, err);
    const char *model = str_field(m, "model");
    snprintf(p->model, sizeof p->model, "%s", model ? model : "");
  }
  if (!rc && p->has_rtl) {
    char tb[4400];
    snprintf(tb, sizeof tb, "%s/tb/tb_%s.v", dir, p->top);
    if (access(tb, R_OK) != 0) rc = nf_fail(err, NF_EINPUT, "%s: missing (the project is incomplete)", tb);
  }
  if (!rc && p->has_rtl) {
    rc = nf_rtl_plan(p->design, &p->info, err);
    if (rc) nf_fail_context(err, "%s", dir);
  }
  cJSON_Delete(m);
  if (rc) {
    nf_project_free(p);
    return rc;
  }
  *out = p;
  return NF_OK;
}

void nf_project_free(nf_project *p) {
  if (!p) return;
  nf_design_free(p->design);
  free(p);
}

/* ---- Sources for synthesis -------------------------------------------------------- */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void nf_project_sources_free(char **files) {
  for (char **f = files; f && *f; f++) free(*f);
  free(files);
}

int nf_project_sources(const char *dir, char ***files, char *top, size_t top_size, nf_error *err) {
  *files = NULL;
  snprintf(top, top_size, "myproject");
  char path[4200];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  cJSON *m = access(path, F_OK) == 0 ? read_json(path, NULL) : NULL;
  const char *keys[] = {"top", "project_name", "project"};
  for (int i = 0; i < 3 && m; i++) {
    const char *v = str_field(m, keys[i]);
    if (v && v[0]) {
      snprintf(top, top_size, "%s", v);
      break;
    }
  }
  cJSON_Delete(m);
  snprintf(path, sizeof path, "%s/rtl", dir);
  DIR *d = opendir(path);
  if (!d) return nf_fail(err, NF_EINPUT, "%s: no rtl/ directory (is this a project written by 'nnfirm convert'?)", dir);
  char **list = NULL;
  int n = 0, rc = NF_OK;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (!nf_has_suffix(e->d_name, ".v") && !nf_has_suffix(e->d_name, ".sv")) continue;
    char **nl = nf_realloc(list, (size_t)(n + 2) * sizeof *nl, err);
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    if (!nl) {
      rc = NF_EINTERNAL;
      break;
    }
    list = nl;
    list[n + 1] = NULL;
    if (!(list[n] = nf_malloc(len, err))) {
      rc = NF_EINTERNAL;
      break;
    }
    snprintf(list[n], len, "%s/%s", path, e->d_name);
    list[++n] = NULL;
  }
  closedir(d);
  if (!rc && n == 0) rc = nf_fail(err, NF_EINPUT, "%s: no Verilog files in rtl/", dir);
  if (rc) {
    nf_project_sources_free(list);
    return rc;
  }
  qsort(list, (size_t)n, sizeof *list, cmp_str);
  *files = list;
  return NF_OK;
}
