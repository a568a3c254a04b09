/* Synthetic jets standing in for the hls4ml LHC jet data set (SPEC §4,
 * docs/data.md).
 *
 * Each jet draws a few latent quantities from its class (groomed mass, a
 * two-prong and a three-prong score, its radiation, pT) and the 16
 * substructure features are noisy functions of those. Every class is a
 * mixture of the ways real jets of that kind look:
 *  - g, q: a falling groomed-mass continuum (gluons heavier), radiation by
 *    colour charge (gluons more: wider, more particles, lower sum z log z),
 *    some radiating like the other kind; a two-prong-ish tail above 60 GeV
 *    under the W/Z peaks; a heavy, three-prong-like fraction (a hard
 *    wide-angle splitting) under the top peak;
 *  - W, Z: two-prong peaks at 80.4 / 91.2 GeV with a ~3% resolution that
 *    keeps them apart; a fraction that lost a quark outside the groomed jet
 *    and looks like a light-quark jet; Z -> b bbar with neutrinos: a low
 *    shoulder under the W;
 *  - t: a three-prong peak at 173 GeV; a fraction groomed down to the W
 *    subjet; a fraction where grooming kept one hard subjet with its
 *    radiation, which looks like a gluon jet.
 * The mixture fractions and widths (PARAMS below) were fitted so that the
 * hls4ml tutorial's float model confuses the classes as it does on the real
 * data (bench/data_realism). Same seed, same bytes: every jet has its own RNG
 * streams (seed, row), so nothing depends on the thread count or row count. */
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

/* The generator's parameters: fractions, peaks and widths (relative for
 * masses), fitted with bench/data_realism's measure on seeds 1 and 2. */
#define PARAMS(X)                                                                                                      \
  /* q/g radiation: centres, spread (flat share of it), fraction radiating like the other kind */                      \
  X(rad_g, 0.72) X(rad_q, 0.356) X(rad_sd, 0.146) X(rad_flat, 0.3) X(swap_g, 0.07) X(swap_q, 0.0918)                   \
  /* q/g groomed-mass continuum scale (GeV); 2-prong score, its boost above 60 GeV; 3-prong score */                   \
  X(mscale_g, 34.0) X(mscale_q, 25) X(qcd_p2, 0.14) X(qcd_p2_sd, 0.12) X(qcd_p2_hi, 0.402) X(qcd_p3, 0.08)            \
  /* heavy three-prong-like QCD jets: fraction (g, q), mass and its width, prong scores */                              \
  X(heavy_g, 0.11) X(heavy_q, 0.101) X(heavy_m, 165) X(heavy_msd, 0.20) X(heavy_p3, 0.55) X(heavy_p2, 0.42)            \
  /* W/Z core: mass resolution, prong scores, radiation */                                                              \
  X(v_sd, 0.0266) X(v_p2, 0.70) X(v_p2_sd, 0.17) X(v_p3, 0.14) X(v_rad, 0.409)                                        \
  /* W/Z that lost a prong: fraction, mass scale (GeV), 2-prong score; Z low shoulder: fraction, width, offset */     \
  X(w_tail, 0.237) X(z_tail, 0.213) X(tail_scale, 25.0) X(tail_p2, 0.215) X(z_shoulder, 0.046) X(z_sh_sd, 0.06)       \
  X(z_sh_off, 0.10)                                                                                                    \
  /* top: W-subjet-only fraction and width; gluon-like fraction, its mass scale, radiation, 3-prong score */          \
  X(t_w, 0.106) X(t_w_sd, 0.1) X(t_soft, 0.0944) X(t_soft_m, 60.0) X(t_soft_rad, 0.61) X(t_soft_p3, 0.353)            \
  /* top core: mass resolution, prong scores, radiation; prong-score spread; measured-mass smearing */                 \
  X(t_sd, 0.08) X(t_p3, 0.66) X(t_p2, 0.42) X(t_rad, 0.5) X(p_sd, 0.17) X(obs_msd, 0.015)
#define X_ENUM(n, v) P_##n,
#define X_VAL(n, v) v,
enum { PARAMS(X_ENUM) P_COUNT };
#ifndef NF_SYNTH_TUNING
static const double P[P_COUNT] = {PARAMS(X_VAL)};
static void tune_from_env(void) {}
#else
/* Recalibration builds only (cmake -DCMAKE_C_FLAGS=-DNF_SYNTH_TUNING): the
 * environment variable NF_SYNTH_TUNE="name=value,..." overrides parameters,
 * so that a tuner can steer the generator without recompiling. */
#define X_NAME(n, v) #n,
static double P[P_COUNT] = {PARAMS(X_VAL)};
static const char *const P_NAMES[P_COUNT] = {PARAMS(X_NAME)};
static void tune_from_env(void) {
  const char *s = getenv("NF_SYNTH_TUNE");
  if (!s) return;
  char buf[4096];
  strncpy(buf, s, sizeof buf - 1);
  buf[sizeof buf - 1] = 0;
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) continue;
    *eq = 0;
    for (int k = 0; k < P_COUNT; k++)
      if (!strcmp(tok, P_NAMES[k])) P[k] = atof(eq + 1);
  }
}
#endif
#define p(n) P[P_##n]

/* The random numbers of one jet's latent physics, drawn up front in a fixed
 * count so that every branch leaves the next jet's draws unchanged. */
typedef struct {
  double n[5]; /* standard normals: pt, radiation, mass, prong2, prong3 */
  double u[6]; /* uniforms: mode, swap, flat radiation noise, mass (two), prong2 boost */
} latent_draws;

static double qcd_mass(double scale, const latent_draws *d) {
  return 3.0 + scale * -log(1.0 - d->u[3]) * (0.85 + 0.3 * d->u[4]);
}

static jet_latent draw_latent(nf_rng *r, int cls) {
  latent_draws d;
  for (int k = 0; k < 5; k++) d.n[k] = nf_rng_normal(r);
  for (int k = 0; k < 6; k++) d.u[k] = nf_rng_uniform(r);
  const double u = d.u[0];
  /* radiation noise: a mix of flat (no tails) and normal, unit variance */
  const double radn = p(rad_sd) * (p(rad_flat) * 1.7320508 * (2 * d.u[2] - 1) + (1 - p(rad_flat)) * d.n[1]);
  jet_latent j;
  j.pt = 1000.0 * exp(0.08 * d.n[0]);
  switch (cls) {
  case CLASS_G:
  case CLASS_Q: {
    bool g = cls == CLASS_G;
    /* A fraction radiates like the other kind (an early g -> q qbar splitting, a hard q -> q g emission). */
    bool swap = d.u[1] < (g ? p(swap_g) : p(swap_q));
    j.rad = (g != swap ? p(rad_g) : p(rad_q)) + radn;
    if (u < (g ? p(heavy_g) : p(heavy_q))) { /* hard wide-angle splitting: a heavy, three-prong-like QCD jet */
      j.mass = p(heavy_m) * (1 + p(heavy_msd) * d.n[2]);
      j.prong2 = clampd(p(heavy_p2) + p(p_sd) * d.n[3], 0, 1);
      j.prong3 = clampd(p(heavy_p3) + p(p_sd) * d.n[4], 0, 1);
    } else {
      j.mass = qcd_mass(g ? p(mscale_g) : p(mscale_q), &d);
      j.prong2 = clampd(p(qcd_p2) + p(qcd_p2_sd) * d.n[3] + p(qcd_p2_hi) * (j.mass > 60) * d.u[5], 0, 1);
      j.prong3 = clampd(p(qcd_p3) + 0.08 * d.n[4], 0, 1);
    }
    break;
  }
  case CLASS_W:
  case CLASS_Z: {
    double peak = cls == CLASS_W ? 80.4 : 91.2;
    double tail = cls == CLASS_W ? p(w_tail) : p(z_tail);
    j.rad = p(v_rad) + radn;
    j.prong3 = clampd(p(v_p3) + 0.10 * d.n[4], 0, 1);
    if (u < tail) { /* one quark outside the groomed jet: a light, one-prong jet */
      j.mass = qcd_mass(p(tail_scale), &d);
      j.prong2 = clampd(p(tail_p2) + p(qcd_p2_sd) * d.n[3], 0, 1);
    } else {
      if (cls == CLASS_Z && u < tail + p(z_shoulder)) /* Z -> b bbar with neutrinos: low shoulder */
        j.mass = peak * (1 - p(z_sh_off) + p(z_sh_sd) * d.n[2]);
      else
        j.mass = peak * (1 + p(v_sd) * d.n[2]);
      j.prong2 = clampd(p(v_p2) + p(v_p2_sd) * d.n[3], 0, 1);
    }
    break;
  }
  default: {
    if (u < p(t_w)) { /* b outside the groomed jet: only the W subjet is left */
      j.mass = 80.4 * (1 + p(t_w_sd) * d.n[2]);
      j.prong2 = clampd(0.62 + p(p_sd) * d.n[3], 0, 1);
      j.prong3 = clampd(0.30 + p(p_sd) * d.n[4], 0, 1);
      j.rad = p(t_rad) + radn;
    } else if (u < p(t_w) + p(t_soft)) { /* grooming kept one hard subjet plus radiation: QCD-like */
      j.mass = 10 + p(t_soft_m) * -log(1.0 - d.u[3]);
      j.prong2 = clampd(0.2 + p(p_sd) * d.n[3], 0, 1);
      j.prong3 = clampd(p(t_soft_p3) + p(p_sd) * d.n[4], 0, 1);
      j.rad = p(t_soft_rad) + radn;
    } else {
      j.mass = 173.0 * (1 + p(t_sd) * d.n[2]);
      j.prong2 = clampd(p(t_p2) + p(p_sd) * d.n[3], 0, 1);
      j.prong3 = clampd(p(t_p3) + p(p_sd) * d.n[4], 0, 1);
      j.rad = p(t_rad) + radn;
    }
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
  double mass = fmax(0.0, j->mass * (1 + p(obs_msd) * nf_rng_normal(r)));
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
  tune_from_env();
  long n_blocks = (n_rows + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static)
  for (long b = 0; b < n_blocks; b++) {
    for (long i = b * BLOCK; i < n_rows && i < (b + 1) * BLOCK; i++) {
      int cls = (int)(i % NF_JET_CLASSES); /* equal shares, interleaved */
      nf_rng r; /* two streams per jet: the latent physics, the measurement */
      nf_rng_seed_stream(&r, seed, 2 * (uint64_t)i);
      jet_latent j = draw_latent(&r, cls);
      nf_rng_seed_stream(&r, seed, 2 * (uint64_t)i + 1);
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
