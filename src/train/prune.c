/* Magnitude pruning with TensorFlow Model Optimization's polynomial-decay
 * schedule (tfmot's PolynomialDecay and magnitude mask update, read from
 * its pruning_schedule.py / pruning_impl.py), per layer or global. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/train.h"
#include "nnfirm/util.h"

/* ---- The schedule ---------------------------------------------------------- */

double nf_prune_sparsity(const nf_prune_schedule *s, long step) {
  double p = s->end_step > s->begin_step ? (double)(step - s->begin_step) / (double)(s->end_step - s->begin_step)
                                         : (step >= s->begin_step ? 1.0 : 0.0);
  p = p < 0 ? 0 : p > 1 ? 1 : p;
  return s->final_sparsity + (s->initial_sparsity - s->final_sparsity) * pow(1 - p, s->power);
}

bool nf_prune_updates_at(const nf_prune_schedule *s, long step) {
  return step >= s->begin_step && step <= s->end_step && (step - s->begin_step) % s->frequency == 0;
}

long nf_prune_last_update(const nf_prune_schedule *s) {
  return s->begin_step + (s->end_step - s->begin_step) / s->frequency * s->frequency;
}

int nf_prune_schedule_check(const nf_prune_schedule *s, nf_error *err) {
  if (!(s->initial_sparsity >= 0 && s->initial_sparsity < 1))
    return nf_fail(err, NF_EINPUT, "pruning: initial sparsity %g is outside [0, 1)", s->initial_sparsity);
  if (!(s->final_sparsity >= 0 && s->final_sparsity < 1))
    return nf_fail(err, NF_EINPUT, "pruning: target sparsity %g is outside [0, 1)", s->final_sparsity);
  if (s->begin_step < 0) return nf_fail(err, NF_EINPUT, "pruning: begin step %ld is negative", s->begin_step);
  if (s->end_step < s->begin_step)
    return nf_fail(err, NF_EINPUT, "pruning schedule ends (step %ld) before it begins (step %ld)", s->end_step,
                   s->begin_step);
  if (s->frequency < 1) return nf_fail(err, NF_EINPUT, "pruning: frequency %ld must be at least 1", s->frequency);
  if (!(s->power > 0) || !isfinite(s->power))
    return nf_fail(err, NF_EINPUT, "pruning: power %g must be positive", s->power);
  return NF_OK;
}

static int schedule_value(nf_prune_schedule *s, const char *key, const char *val, const char *text, nf_error *err) {
  double v;
  if (!nf_parse_double(val, &v))
    return nf_fail(err, NF_EINPUT, "--prune-schedule '%s': %s='%s' is not a number", text, key, val);
  bool integral = v == floor(v) && fabs(v) < 1e15;
  long *step = !strcmp(key, "begin") ? &s->begin_step : !strcmp(key, "end") ? &s->end_step
               : !strcmp(key, "freq") || !strcmp(key, "frequency") ? &s->frequency : NULL;
  if (step) {
    if (!integral) return nf_fail(err, NF_EINPUT, "--prune-schedule '%s': %s=%s is not a whole step", text, key, val);
    *step = (long)v;
  } else if (!strcmp(key, "initial")) {
    s->initial_sparsity = v;
  } else if (!strcmp(key, "final")) {
    s->final_sparsity = v;
  } else if (!strcmp(key, "power")) {
    s->power = v;
  } else {
    return nf_fail(err, NF_EINPUT, "--prune-schedule '%s': unknown key '%s' (begin, end, freq, initial, final, power)",
                   text, key);
  }
  return NF_OK;
}

int nf_prune_schedule_parse(const char *text, nf_prune_schedule *s, nf_error *err) {
  char buf[512];
  if (strlen(text) >= sizeof buf) return nf_fail(err, NF_EINPUT, "--prune-schedule: too long");
  snprintf(buf, sizeof buf, "%s", text);
  char *save = NULL;
  int rc = NF_OK;
  for (char *it = strtok_r(buf, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(it, '=');
    if (!eq) return nf_fail(err, NF_EINPUT, "--prune-schedule '%s': '%s' is not key=value", text, it);
    *eq = '\0';
    rc = schedule_value(s, it, eq + 1, text, err);
  }
  return rc;
}

/* ---- Magnitude masks ----------------------------------------------------------- */

static int descending(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x < y) - (x > y);
}

static int ensure_mask(nf_layer *l, nf_error *err) {
  if (l->mask) return NF_OK;
  size_t nk = (size_t)l->n_in * l->n_out;
  if (!(l->mask = nf_malloc(nk, err))) return NF_EINTERNAL;
  memset(l->mask, 1, nk);
  return NF_OK;
}

/* tfmot: k = max(round(n (1 - s)), 1), threshold = the k-th largest |w|,
 * keep |w| >= threshold. Masked weights are already 0 (pruning only grows).
 * scratch holds n floats. */
static void mask_layers(nf_model *m, const int *layers, int n_layers, double sparsity, float *scratch) {
  long n = 0;
  for (int i = 0; i < n_layers; i++) {
    const nf_layer *l = &m->layers[layers[i]];
    long nk = (long)l->n_in * l->n_out;
    for (long k = 0; k < nk; k++) scratch[n++] = l->mask[k] ? fabsf(l->kernel[k]) : 0.0f;
  }
  long keep = (long)nearbyint((double)n * (1 - sparsity));
  if (keep < 1) keep = 1;
  if (keep > n) keep = n;
  qsort(scratch, (size_t)n, sizeof *scratch, descending);
  float threshold = scratch[keep - 1];
  for (int i = 0; i < n_layers; i++) {
    nf_layer *l = &m->layers[layers[i]];
    long nk = (long)l->n_in * l->n_out;
    for (long k = 0; k < nk; k++) {
      float a = l->mask[k] ? fabsf(l->kernel[k]) : 0.0f;
      l->mask[k] = a >= threshold;
      if (!l->mask[k]) l->kernel[k] = 0;
    }
  }
}

static long kernel_size(const nf_model *m, const int *layers, int n_layers) {
  long n = 0;
  for (int i = 0; i < n_layers; i++) n += (long)m->layers[layers[i]].n_in * m->layers[layers[i]].n_out;
  return n;
}

int nf_prune_layers(nf_model *m, const int *layers, int n_layers, double sparsity, nf_error *err) {
  if (!(sparsity >= 0 && sparsity < 1)) return nf_fail(err, NF_EINPUT, "pruning target %g outside [0, 1)", sparsity);
  for (int i = 0; i < n_layers; i++) {
    if (layers[i] < 0 || layers[i] >= m->n_layers || m->layers[layers[i]].kind != NF_LAYER_DENSE)
      return nf_fail(err, NF_EINPUT, "pruning: layer %d is not a Dense layer", layers[i]);
    if (ensure_mask(&m->layers[layers[i]], err)) return NF_EINTERNAL;
  }
  long n = kernel_size(m, layers, n_layers);
  if (n == 0) return NF_OK;
  float *scratch = nf_malloc((size_t)n * sizeof *scratch, err);
  if (!scratch) return NF_EINTERNAL;
  mask_layers(m, layers, n_layers, sparsity, scratch);
  free(scratch);
  return NF_OK;
}

/* ---- Pruning during training ------------------------------------------------------ */

struct nf_pruner {
  nf_prune_schedule s;
  nf_prune_scope scope;
  int n_layers;     /* model layers */
  double *target;   /* [n_layers] final sparsity, NaN = not pruned */
  int *pruned;      /* indices of the pruned Dense layers */
  int n_pruned;
  float *scratch;   /* largest kernel (per layer) or all of them (global) */
  float **before;   /* [n_layers] effective weights before the first update */
  bool started;
  int *fan_in;      /* NULL, or [n_layers]: at most this many inputs per neuron (0: no cap) */
};

void nf_pruner_free(nf_pruner *p) {
  if (!p) return;
  for (int i = 0; p->before && i < p->n_layers; i++) free(p->before[i]);
  free(p->before);
  free(p->target);
  free(p->pruned);
  free(p->scratch);
  free(p->fan_in);
  free(p);
}

static int pruner_layers(nf_pruner *p, nf_model *m, const double *final_per_layer, nf_error *err) {
  long need = 0, total = 0;
  for (int i = 0; i < m->n_layers; i++) {
    nf_layer *l = &m->layers[i];
    p->target[i] = NAN;
    if (l->kind != NF_LAYER_DENSE) continue;
    double t = final_per_layer ? final_per_layer[i] : p->s.final_sparsity;
    if (isnan(t)) continue;
    if (!(t >= 0 && t < 1)) return nf_fail(err, NF_EINPUT, "layer '%s': pruning target %g outside [0, 1)", l->name, t);
    if (ensure_mask(l, err)) return NF_EINTERNAL;
    p->target[i] = t;
    p->pruned[p->n_pruned++] = i;
    long nk = (long)l->n_in * l->n_out;
    need = nk > need ? nk : need;
    total += nk;
  }
  if (p->scope == NF_PRUNE_GLOBAL) need = total;
  p->scratch = nf_malloc((size_t)(need ? need : 1) * sizeof *p->scratch, err);
  return p->scratch ? NF_OK : NF_EINTERNAL;
}

nf_pruner *nf_pruner_new(nf_model *m, const nf_prune_schedule *s, nf_prune_scope scope, const double *final_per_layer,
                         nf_error *err) {
  if (nf_prune_schedule_check(s, err)) return NULL;
  if (scope == NF_PRUNE_GLOBAL && final_per_layer) {
    nf_fail(err, NF_EINPUT, "pruning: per-layer targets need the per-layer scope (global pruning has one target)");
    return NULL;
  }
  nf_pruner *p = nf_calloc(1, sizeof *p, err);
  if (!p) return NULL;
  p->s = *s;
  p->scope = scope;
  p->n_layers = m->n_layers;
  p->target = nf_calloc((size_t)m->n_layers, sizeof *p->target, err);
  p->pruned = nf_calloc((size_t)m->n_layers, sizeof *p->pruned, err);
  p->before = nf_calloc((size_t)m->n_layers, sizeof *p->before, err);
  if (!p->target || !p->pruned || !p->before || pruner_layers(p, m, final_per_layer, err)) {
    nf_pruner_free(p);
    return NULL;
  }
  if (p->n_pruned == 0) {
    nf_fail(err, NF_EINPUT, "pruning: no Dense layer to prune");
    nf_pruner_free(p);
    return NULL;
  }
  return p;
}

/* The weights as the forward pass sees them, kept for the before/after plot.
 * Best effort: without memory the plot just lacks its "before" curve. */
static void snapshot(nf_pruner *p, const nf_model *m) {
  for (int k = 0; k < p->n_pruned; k++) {
    const nf_layer *l = &m->layers[p->pruned[k]];
    long nk = (long)l->n_in * l->n_out;
    float *w = malloc((size_t)nk * sizeof *w);
    for (long j = 0; w && j < nk; j++)
      w[j] = l->mask[j] ? (float)nf_quantizer_apply(&l->kernel_q, l->kernel[j]) : 0.0f;
    p->before[p->pruned[k]] = w;
  }
}

/* A layer's share of the schedule: the schedule's curve scaled to its own target. */
static double layer_sparsity(const nf_pruner *p, int layer, long step) {
  nf_prune_schedule s = p->s;
  s.final_sparsity = p->target[layer];
  return nf_prune_sparsity(&s, step);
}

/* Neuron j keeps its `fan_in` largest |w| (the lowest inputs first among
 * equals); the others are masked. scratch holds n_in floats. */
static void cap_fan_in(nf_layer *l, int fan_in, float *scratch) {
  for (int j = 0; j < l->n_out; j++) {
    int n = 0;
    for (int i = 0; i < l->n_in; i++)
      if (l->mask[(size_t)i * l->n_out + j]) scratch[n++] = fabsf(l->kernel[(size_t)i * l->n_out + j]);
    if (n <= fan_in) continue;
    qsort(scratch, (size_t)n, sizeof *scratch, descending);
    float threshold = scratch[fan_in - 1];
    int above = 0; /* kept strictly above the threshold; then ties in input order up to fan_in */
    for (int q = 0; q < fan_in; q++) above += scratch[q] > threshold;
    int ties = fan_in - above;
    for (int i = 0; i < l->n_in; i++) {
      size_t k = (size_t)i * l->n_out + j;
      if (!l->mask[k]) continue;
      float a = fabsf(l->kernel[k]);
      bool keep = a > threshold || (a == threshold && ties-- > 0);
      l->mask[k] = keep;
      if (!keep) l->kernel[k] = 0;
    }
  }
}

int nf_pruner_set_fan_in(nf_pruner *p, const nf_model *m, const char *text, nf_error *err) {
  free(p->fan_in);
  p->fan_in = NULL;
  if (!text || !*text) return NF_OK;
  int last = -1, n_capped = 0, items = 1; /* the capped layers: every Dense before the last */
  for (int l = 0; l < m->n_layers; l++)
    if (m->layers[l].kind == NF_LAYER_DENSE) last = l;
  for (int l = 0; l < last; l++) n_capped += m->layers[l].kind == NF_LAYER_DENSE;
  for (const char *c = text; *c; c++) items += *c == ',';
  if (items > 1 && items != n_capped)
    return nf_fail(err, NF_EINPUT, "--fan-in '%s': %d values for %d Dense layers before the output one", text, items,
                   n_capped);
  int *f = nf_calloc((size_t)m->n_layers, sizeof *f, err);
  if (!f) return NF_EINTERNAL;
  long v = 0;
  const char *q = text;
  for (int l = 0, k = 0; l < last; l++) {
    if (m->layers[l].kind != NF_LAYER_DENSE) continue;
    if (k++ < items) { /* one value alone stands for every capped layer */
      char *e;
      v = strtol(q, &e, 10);
      if (e == q || v < 0 || v > 1 << 20 || (*e && *e != ',') || (items == 1 && v == 0)) {
        free(f);
        return nf_fail(err, NF_EINPUT, "--fan-in '%s': expected F >= 1 (every Dense but the last) or F,F,... (one per "
                                       "such layer, 0 = no cap)", text);
      }
      q = *e ? e + 1 : e;
    }
    f[l] = (int)v;
  }
  p->fan_in = f;
  return NF_OK;
}

void nf_pruner_on_step(nf_model *m, long step, void *ctx) {
  nf_pruner *p = ctx;
  if (!nf_prune_updates_at(&p->s, step)) return;
  if (!p->started) {
    snapshot(p, m);
    p->started = true;
  }
  if (p->scope == NF_PRUNE_GLOBAL) {
    mask_layers(m, p->pruned, p->n_pruned, nf_prune_sparsity(&p->s, step), p->scratch);
  } else {
    for (int k = 0; k < p->n_pruned; k++)
      mask_layers(m, &p->pruned[k], 1, layer_sparsity(p, p->pruned[k], step), p->scratch);
  }
  for (int k = 0; p->fan_in && k < p->n_pruned; k++)
    if (p->fan_in[p->pruned[k]] > 0) cap_fan_in(&m->layers[p->pruned[k]], p->fan_in[p->pruned[k]], p->scratch);
}

const float *nf_pruner_before(const nf_pruner *p, int layer) {
  return layer >= 0 && layer < p->n_layers ? p->before[layer] : NULL;
}

/* ---- Policy: what --prune and --prune-schedule mean ---------------------------- */
/* "0.75" (every Dense) or "fc1:0.8,output:0.5" (those layers only). */
int nf_prune_targets_parse(const nf_model *m, const char *text, double *uniform, double **per_layer, nf_error *err) {
  *per_layer = NULL;
  if (nf_parse_double(text, uniform)) {
    if (!(*uniform >= 0 && *uniform < 1))
      return nf_fail(err, NF_EINPUT, "--prune %s: the target sparsity must be in [0, 1)", text);
    return NF_OK;
  }
  double *t = nf_malloc((size_t)m->n_layers * sizeof *t, err);
  char buf[1024];
  if (!t) return NF_EINTERNAL;
  for (int i = 0; i < m->n_layers; i++) t[i] = NAN;
  snprintf(buf, sizeof buf, "%s", text);
  char *save = NULL;
  int rc = NF_OK;
  for (char *it = strtok_r(buf, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(it, ':');
    double v;
    if (colon) *colon = '\0';
    int li = colon ? nf_model_find_layer(m, it) : -1;
    if (!colon || !nf_parse_double(colon + 1, &v))
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': expected a sparsity such as 0.75, or LAYER:SPARSITY,... ", text);
    else if (li < 0 || m->layers[li].kind != NF_LAYER_DENSE)
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': '%s' is not a Dense layer of the model", text, it);
    else if (!(v >= 0 && v < 1))
      rc = nf_fail(err, NF_EINPUT, "--prune '%s': target %g for %s is outside [0, 1)", text, v, it);
    else t[li] = v;
  }
  if (rc) {
    free(t);
    return rc;
  }
  *uniform = 0;
  for (int i = 0; i < m->n_layers; i++)
    if (!isnan(t[i]) && t[i] > *uniform) *uniform = t[i];
  *per_layer = t;
  return NF_OK;
}

/* The schedule: tfmot's PolynomialDecay (power 3, from sparsity 0); where
 * the user does not say, pruning runs from 20% to 60% of the training steps
 * in 20 updates, leaving 40% of the steps to recover. */
int nf_prune_schedule_default(const char *text, double target, long total_steps, nf_prune_schedule *s, nf_error *err) {
  const long UNSET = -1;
  *s = (nf_prune_schedule){.initial_sparsity = 0, .final_sparsity = target, .begin_step = UNSET, .end_step = UNSET,
                           .frequency = UNSET, .power = 3};
  if (text) {
    int rc = nf_prune_schedule_parse(text, s, err);
    if (rc) return rc;
  }
  if (s->begin_step == UNSET) s->begin_step = s->end_step != UNSET && s->end_step < total_steps / 5 ? 0 : total_steps / 5;
  bool end_default = s->end_step == UNSET;
  if (end_default) s->end_step = s->begin_step + (long)(0.4 * (double)total_steps);
  if (s->frequency == UNSET) {
    long span = s->end_step - s->begin_step;
    s->frequency = span >= 20 ? span / 20 : 1;
    if (end_default) s->end_step = s->begin_step + s->frequency * (span / s->frequency); /* lands on the target */
  }
  int rc = nf_prune_schedule_check(s, err);
  if (!rc && s->end_step >= total_steps)
    rc = nf_fail(err, NF_EINPUT, "pruning schedule ends at step %ld, but training runs only %ld steps (epochs x "
                                 "batches); lower end= or train longer", s->end_step, total_steps);
  return rc;
}


int nf_prune_setup(nf_model *m, const char *targets, const char *schedule, nf_prune_scope scope, long total,
                   nf_train_opts *o, nf_prune_schedule *s, nf_pruner **out, nf_error *err) {
  double target, *per_layer = NULL;
  int rc = nf_prune_targets_parse(m, targets, &target, &per_layer, err);
  if (!rc) rc = nf_prune_schedule_default(schedule, target, total, s, err);
  if (!rc && per_layer && scope == NF_PRUNE_GLOBAL)
    rc = nf_fail(err, NF_EINPUT, "--prune '%s': per-layer targets need --prune-scope layer", targets);
  if (!rc && !(*out = nf_pruner_new(m, s, scope, per_layer, err))) rc = err->code ? err->code : NF_EINTERNAL;
  free(per_layer);
  if (rc) return rc;
  o->on_step = nf_pruner_on_step;
  o->step_ctx = *out;
  o->settle_steps = nf_prune_last_update(s) + 1;
  return NF_OK;
}
