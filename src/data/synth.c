/* Synthetic jets standing in for the hls4ml LHC jet data set (SPEC §4).
 *
 * Each jet draws a few physical latent quantities from its class, and the 16
 * substructure features are functions of those, with resolution smearing:
 *  - groomed (mMDT) mass: W 80.4 and Z 91.2 GeV peaks with ~10% resolution,
 *    top 173 GeV (a fraction groomed down to its W subjet: the W/Z <-> t
 *    confusion), q/g a falling continuum, gluons heavier on average;
 *  - prong structure: a 2-prong and a 3-prong "score" that drive the energy
 *    correlation ratios (c2, d2, m2, n2 are low for 2-prong jets, in between
 *    for 3-prong, high for 1-prong QCD jets);
 *  - radiation: gluons radiate more than quarks (Casimir 9/4), which widens
 *    the jet (c1), raises the multiplicity and lowers sum z log z — the q <-> g
 *    overlap is in this one soft variable, as in the real data.
 * Same seed, same bytes: one RNG stream per block of rows, so the result does
 * not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/data.h"
#include "nnfirm/rng.h"

const char *const NF_JET_FEATURE_NAMES[NF_JET_FEATURES] = {
    "j_zlogz",       "j_c1_b0_mmdt",    "j_c1_b1_mmdt",    "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",  "j_d2_b2_mmdt",    "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",  "j_n2_b2_mmdt",    "j_mass_mmdt",     "j_multiplicity"};
const char *const NF_JET_CLASS_NAMES[NF_JET_CLASSES] = {"g", "q", "w", "z", "t"};

enum { CLASS_G, CLASS_Q, CLASS_W, CLASS_Z, CLASS_T };
enum { BLOCK = 4096 };

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Latent physics of one jet. */
typedef struct {
  double mass;   /* groomed mass, GeV */
  double prong2; /* 0..1: how two-pronged */
  double prong3; /* 0..1: how three-pronged */
  double rad;    /* radiation (gluon-likeness of the soft spray) */
  double pt;     /* jet pT, GeV */
} jet_latent;

static jet_latent draw_latent(nf_rng *r, int cls) {
  jet_latent j;
  j.pt = 1000.0 * exp(0.08 * nf_rng_normal(r));
  double u = nf_rng_uniform(r);
  switch (cls) {
  case CLASS_G:
  case CLASS_Q: {
    /* Falling groomed-mass continuum; gluon jets are wider, hence heavier. */
    double scale = cls == CLASS_G ? 34.0 : 25.0;
    j.mass = 3.0 + scale * -log(1.0 - u) * (0.85 + 0.3 * nf_rng_uniform(r)); /* uncapped tail under the top peak */
    j.rad = (cls == CLASS_G ? 0.66 : 0.38) + 0.15 * nf_rng_normal(r);
    j.prong2 = clampd(0.14 + 0.12 * nf_rng_normal(r) + 0.25 * (j.mass > 60) * nf_rng_uniform(r), 0, 1);
    j.prong3 = clampd(0.08 + 0.08 * nf_rng_normal(r), 0, 1);
    break;
  }
  case CLASS_W:
  case CLASS_Z: {
    double peak = cls == CLASS_W ? 80.4 : 91.2;
    /* Resolution plus a low tail from lost decay products (~10%). */
    j.mass = u < 0.10 ? peak * (0.35 + 0.5 * nf_rng_uniform(r)) : peak * (1 + 0.07 * nf_rng_normal(r));
    j.rad = 0.38 + 0.15 * nf_rng_normal(r);
    j.prong2 = clampd(0.70 + 0.17 * nf_rng_normal(r) - (u < 0.10 ? 0.3 : 0), 0, 1);
    j.prong3 = clampd(0.14 + 0.10 * nf_rng_normal(r), 0, 1);
    break;
  }
  default: { /* top: a fraction is groomed down to the W subjet */
    bool w_only = u < 0.15;
    j.mass = w_only ? 80.4 * (1 + 0.12 * nf_rng_normal(r)) : 173.0 * (1 + 0.11 * nf_rng_normal(r));
    j.rad = 0.50 + 0.16 * nf_rng_normal(r);
    j.prong2 = clampd((w_only ? 0.62 : 0.42) + 0.17 * nf_rng_normal(r), 0, 1);
    j.prong3 = clampd((w_only ? 0.30 : 0.66) + 0.17 * nf_rng_normal(r), 0, 1);
    break;
  }
  }
  j.mass = clampd(j.mass, 0.5, 400.0);
  j.rad = clampd(j.rad, 0.0, 1.2);
  return j;
}

/* The 16 observables of a jet, with detector-like smearing. */
static void observables(nf_rng *r, const jet_latent *j, float *f) {
  double rho = j->mass / j->pt; /* m/pT: the jet's opening */
  double mult = 18.0 + 60.0 * j->rad + 20.0 * j->prong3 + 8.0 * j->prong2 + 9.0 * nf_rng_normal(r);
  mult = fmax(2.0, round(mult));
  double soft = 0.5 * nf_rng_normal(r); /* shared soft-radiation fluctuation */
  /* Energy-correlation ratios: 1-prong high, 2-prong low, 3-prong in between. */
  double prongy = 1.0 - 0.75 * j->prong2 - 0.35 * j->prong3;
  double c1_b0 = 0.12 + 0.30 * j->rad + 0.8 * rho + 0.04 * soft + 0.03 * nf_rng_normal(r);
  double c1_b1 = rho * rho * (0.9 + 0.25 * j->rad) * exp(0.12 * nf_rng_normal(r)) + 0.002 * j->rad;
  double c1_b2 = fmax(1e-6, c1_b1 * rho * (1.1 + 0.3 * nf_rng_normal(r))) + 1e-4 * fabs(nf_rng_normal(r));
  double c2_b1 = clampd(0.08 + 0.28 * prongy + 0.08 * j->rad + 0.035 * soft + 0.03 * nf_rng_normal(r), 0.005, 0.6);
  double c2_b2 = clampd(c2_b1 * (0.55 + 0.25 * prongy) + 0.02 * nf_rng_normal(r), 0.001, 0.5);
  double d2_b1 = exp(log(1.0 + 3.0 * prongy + 0.8 * j->rad) + 0.25 * nf_rng_normal(r) + 0.05 * soft);
  double d2_b2 = d2_b1 * exp(0.2 + 0.3 * nf_rng_normal(r));
  double d2_a1_b1 = 0.9 + 1.6 * prongy + 0.9 * j->prong3 + 0.3 * j->rad + 0.25 * nf_rng_normal(r);
  double d2_a1_b2 = d2_a1_b1 * (0.6 + 0.15 * nf_rng_normal(r)) + 0.3 * j->prong3;
  double m2_b1 = clampd(0.05 + 0.12 * prongy + 0.10 * j->prong3 + 0.03 * nf_rng_normal(r), 0.001, 0.5);
  double m2_b2 = clampd(m2_b1 * (0.7 + 0.2 * nf_rng_normal(r)) + 0.02 * j->rad, 0.0005, 0.5);
  double n2_b1 = clampd(0.10 + 0.30 * prongy + 0.06 * j->prong3 + 0.04 * nf_rng_normal(r), 0.01, 0.7);
  double n2_b2 = clampd(n2_b1 * (0.8 + 0.15 * nf_rng_normal(r)) + 0.02 * soft, 0.005, 0.7);
  double mass = fmax(0.0, j->mass * (1 + 0.04 * nf_rng_normal(r)));
  double zlogz = -(1.1 * log(mult) + 0.6 * j->rad - 0.8 + 0.25 * nf_rng_normal(r));
  double v[NF_JET_FEATURES] = {zlogz, c1_b0, c1_b1, c1_b2, c2_b1, c2_b2, d2_b1, d2_b2, d2_a1_b1, d2_a1_b2,
                               m2_b1, m2_b2, n2_b1, n2_b2, mass,  mult};
  for (int k = 0; k < NF_JET_FEATURES; k++) f[k] = (float)v[k];
}

static int copy_names(nf_dataset *ds, nf_error *err) {
  ds->feature_names = nf_calloc(NF_JET_FEATURES, sizeof(char *), err);
  ds->class_names = nf_calloc(NF_JET_CLASSES, sizeof(char *), err);
  if (!ds->feature_names || !ds->class_names) return NF_EINTERNAL;
  for (int k = 0; k < NF_JET_FEATURES; k++)
    if (!(ds->feature_names[k] = nf_strdup(NF_JET_FEATURE_NAMES[k], err))) return NF_EINTERNAL;
  for (int k = 0; k < NF_JET_CLASSES; k++)
    if (!(ds->class_names[k] = nf_strdup(NF_JET_CLASS_NAMES[k], err))) return NF_EINTERNAL;
  return NF_OK;
}

int nf_data_synth(long n_rows, uint64_t seed, nf_dataset *ds, nf_error *err) {
  memset(ds, 0, sizeof *ds);
  if (n_rows < 1 || n_rows > 100000000L) return nf_fail(err, NF_EINPUT, "row count %ld out of range 1..1e8", n_rows);
  ds->n_rows = n_rows;
  ds->n_features = NF_JET_FEATURES;
  ds->n_classes = NF_JET_CLASSES;
  ds->x = nf_malloc((size_t)n_rows * NF_JET_FEATURES * sizeof(float), err);
  ds->y = nf_malloc((size_t)n_rows * sizeof(int), err);
  if (!ds->x || !ds->y || copy_names(ds, err)) {
    nf_dataset_free(ds);
    return NF_EINTERNAL;
  }
  long n_blocks = (n_rows + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static)
  for (long b = 0; b < n_blocks; b++) {
    nf_rng r;
    nf_rng_seed_stream(&r, seed, (uint64_t)b);
    for (long i = b * BLOCK; i < n_rows && i < (b + 1) * BLOCK; i++) {
      int cls = (int)(i % NF_JET_CLASSES); /* equal shares, interleaved */
      jet_latent j = draw_latent(&r, cls);
      observables(&r, &j, ds->x + (size_t)i * NF_JET_FEATURES);
      ds->y[i] = cls;
    }
  }
  return NF_OK;
}

void nf_dataset_free(nf_dataset *ds) {
  if (!ds) return;
  for (int k = 0; ds->feature_names && k < ds->n_features; k++) free(ds->feature_names[k]);
  for (int k = 0; ds->class_names && k < ds->n_classes; k++) free(ds->class_names[k]);
  free(ds->feature_names);
  free(ds->class_names);
  free(ds->x);
  free(ds->y);
  memset(ds, 0, sizeof *ds);
}
