/* The search stage through its API: candidate specs, the default space, the
 * Pareto front and the winner on known figures (chosen on validation
 * accuracy, synthesized counts before estimates), result.json round trips
 * and the refusal of an older format, and the cluster job files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnfirm/search.h"
#include "nnfirm/util.h"

static void test_spec_round_trip(void **state) {
  (void)state;
  nf_error err = {0};
  nf_search_candidate c, d;
  assert_int_equal(nf_search_parse_spec("hidden=32,16;bits=4;prune=0.75;in=8;hgq=1e-05", &c, &err), 0);
  assert_string_equal(c.hidden, "32,16");
  assert_int_equal(c.bits, 4);
  assert_int_equal(c.reuse, 1);
  assert_int_equal(c.in_bits, 8);
  assert_int_equal(c.seed, NF_SEARCH_DEFAULT_SEED);
  assert_string_equal(c.id, "h32x16_b4_p75_r1_i8_q1e-05");
  char spec[160];
  nf_search_format_spec(&c, spec, sizeof spec);
  assert_string_equal(spec, "hidden=32,16;bits=4;prune=0.75;reuse=1;in=8;hgq=1e-05");
  assert_int_equal(nf_search_parse_spec(spec, &d, &err), 0);
  assert_string_equal(d.id, c.id);
  /* per-neuron activation bits: their penalty in the id and the spec */
  assert_int_equal(nf_search_parse_spec("hidden=24,12;bits=5;prune=0.70;reuse=1;in=6;hgqa=3e-05", &c, &err), 0);
  assert_true(c.hgq_act == 3e-5 && c.hgq == 0);
  assert_string_equal(c.id, "h24x12_b5_p70_r1_i6_a3e-05");
  nf_search_format_spec(&c, spec, sizeof spec);
  assert_string_equal(spec, "hidden=24,12;bits=5;prune=0.70;reuse=1;in=6;hgqa=3e-05");
  /* another training seed: its own id and spec item */
  assert_int_equal(nf_search_parse_spec("hidden=8;bits=3;prune=0;seed=43", &c, &err), 0);
  assert_string_equal(c.id, "h8_b3_p00_r1_i16_s43");
  nf_search_format_spec(&c, spec, sizeof spec);
  assert_non_null(strstr(spec, ";seed=43"));
  const char *bad[] = {"hidden=16;bits=1;prune=0", "hidden=16;bits=4;prune=1", "hidden=16;bits=4", "bits=4;prune=0",
                       "hidden=16;bits=4;prune=0;in=2", "hidden=16;bits=4;prune=0;depth=3", "hidden=a;bits=4;prune=0",
                       "hidden=16;bits=4;prune=0;reuse=0", "hidden=16;bits=4;prune=0;hgq=2", "hidden=16;bits=4;prune=0;hgqa=-1", "hidden"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    nf_error e = {0};
    assert_int_equal(nf_search_parse_spec(bad[i], &c, &e), NF_EINPUT);
    assert_non_null(strstr(e.msg, bad[i]));
  }
}

/* Per-layer bits: one per Dense with the output, in the id and the spec. */
static void test_layer_bits_spec(void **state) {
  (void)state;
  nf_error err = {0};
  nf_search_candidate c, d;
  assert_int_equal(nf_search_parse_spec("hidden=24,12;bits=4;prune=0.7;lbits=4,3,5;in=6", &c, &err), 0);
  assert_string_equal(c.lbits, "4,3,5");
  assert_string_equal(c.id, "h24x12_b4_p70_r1_i6_l4x3x5");
  char spec[160];
  nf_search_format_spec(&c, spec, sizeof spec);
  assert_int_equal(nf_search_parse_spec(spec, &d, &err), 0);
  assert_string_equal(d.id, c.id);
  /* fan-in caps: one for every hidden layer, or one per hidden layer (0 = none) */
  assert_int_equal(nf_search_parse_spec("hidden=32,16;bits=3;prune=0;in=6;fanin=0,2", &c, &err), 0);
  assert_string_equal(c.fan_in, "0,2");
  assert_string_equal(c.id, "h32x16_b3_p00_r1_i6_f0x2");
  nf_search_format_spec(&c, spec, sizeof spec);
  assert_non_null(strstr(spec, ";fanin=0,2"));
  assert_int_equal(nf_search_parse_spec(spec, &d, &err), 0);
  assert_string_equal(d.id, c.id);
  const char *bad_fan[] = {"hidden=32,16;bits=3;prune=0;fanin=0", "hidden=32,16;bits=3;prune=0;fanin=2,2,2",
                           "hidden=32,16;bits=3;prune=0;fanin=65", "hidden=32,16;bits=3;prune=0;fanin=x"};
  for (size_t i = 0; i < sizeof bad_fan / sizeof *bad_fan; i++) {
    nf_error e = {0};
    assert_int_equal(nf_search_parse_spec(bad_fan[i], &c, &e), NF_EINPUT);
  }
  const char *bad[] = {"hidden=24,12;bits=4;prune=0.7;lbits=4,3", "hidden=24,12;bits=4;prune=0.7;lbits=4,3,1",
                       "hidden=24;bits=4;prune=0.7;lbits=4,x", "hidden=24;bits=4;prune=0.7;lbits=4,,3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    nf_error e = {0};
    assert_int_equal(nf_search_parse_spec(bad[i], &c, &e), NF_EINPUT);
    assert_non_null(strstr(e.msg, bad[i]));
  }
}

static nf_search_result fake_spec(const char *spec, double acc, double cost) {
  nf_search_result r;
  memset(&r, 0, sizeof r);
  nf_search_candidate c;
  nf_error e = {0};
  assert_int_equal(nf_search_parse_spec(spec, &c, &e), 0);
  snprintf(r.id, sizeof r.id, "%s", c.id);
  nf_search_format_spec(&c, r.spec, sizeof r.spec);
  r.accuracy_validation = acc;
  r.est_lut_pct = cost / 2, r.est_ff_pct = cost / 2;
  return r;
}

/* The evolutionary loop's children: one change each, from the cheapest
 * parents above the floor (and the best cheaper ones below it), never a
 * candidate already tried, the same for the same seed. */
static void test_mutations(void **state) {
  (void)state;
  nf_search_result r[4] = {fake_spec("hidden=24,12;bits=4;prune=0.70;in=8", 0.745, 0.20),   /* cheapest above */
                           fake_spec("hidden=32,16;bits=4;prune=0.70;in=8", 0.750, 0.40),   /* second above */
                           fake_spec("hidden=16,8;bits=3;prune=0.80;in=6", 0.730, 0.05),    /* below, cheaper */
                           fake_spec("hidden=64,32;bits=5;prune=0.50;in=8", 0.700, 0.90)}; /* below, dearer */
  nf_search_candidate tried[1], out[64], again[64];
  nf_error e = {0};
  assert_int_equal(nf_search_parse_spec("hidden=18,9;bits=4;prune=0.70;in=8", &tried[0], &e), 0);
  int m = nf_search_mutate(r, 4, 0.74, 1, tried, 1, 7, out, 64);
  /* parent 0: seven moves that cut cost, its narrower child tried; parent 2 (a point short, no reseed): wider,
   * bits up, less sparse */
  assert_int_equal(m, 6 + 3);
  assert_int_equal(nf_search_mutate(r, 4, 0.74, 1, tried, 1, 7, again, 64), m);
  int from0 = 0, from2 = 0, up = 0, down = 0, hgq = 0, hgqa = 0, fan = 0;
  for (int i = 0; i < m; i++) {
    assert_string_equal(out[i].id, again[i].id);
    for (int j = 0; j < i; j++) assert_true(strcmp(out[i].id, out[j].id) != 0);
    for (int k = 0; k < 4; k++) assert_true(strcmp(out[i].id, r[k].id) != 0);
    assert_true(strcmp(out[i].id, tried[0].id) != 0);
    assert_true(strcmp(out[i].hidden, "64,32") != 0);
    assert_int_equal(out[i].seed, NF_SEARCH_DEFAULT_SEED);
    bool p0 = !strcmp(out[i].hidden, "24,12") || !strcmp(out[i].hidden, "18,9");
    from0 += p0, from2 += !p0;
    if (!p0) { /* below the floor: nothing that costs accuracy */
      assert_true(!strcmp(out[i].hidden, "16,8") || !strcmp(out[i].hidden, "21,11"));
      assert_true(out[i].prune <= 0.80 + 1e-9 && out[i].in_bits == 6 && out[i].hgq == 0 && !out[i].fan_in[0]);
    }
    if (out[i].lbits[0]) { /* one layer's bits moved by one: down above the floor, up below */
      int a[3];
      assert_int_equal(sscanf(out[i].lbits, "%d,%d,%d", &a[0], &a[1], &a[2]), 3);
      int base = p0 ? 4 : 3, moved = 0;
      for (int k = 0; k < 3; k++) moved += a[k] != base, up += a[k] == base + 1, down += a[k] == base - 1;
      assert_int_equal(moved, 1);
    }
    hgq += out[i].hgq > 0;
    hgqa += out[i].hgq_act > 0;
    fan += out[i].fan_in[0] != 0;
    if (out[i].fan_in[0]) assert_string_equal(out[i].fan_in, "4"), assert_non_null(strstr(out[i].id, "_f4"));
    if (out[i].hgq_act > 0) assert_non_null(strstr(out[i].id, "_a1e-05"));
    char spec[160];
    nf_search_candidate back;
    nf_search_format_spec(&out[i], spec, sizeof spec);
    assert_int_equal(nf_search_parse_spec(spec, &back, &e), 0); /* a valid candidate */
    assert_string_equal(back.id, out[i].id);
  }
  assert_int_equal(from0, 6);
  assert_int_equal(from2, 3);
  assert_int_equal(fan, 1); /* the fan-in cap on, for the parent above the floor */
  assert_int_equal(up, 1);
  assert_int_equal(down, 1);
  assert_int_equal(hgq, 1);
  assert_int_equal(hgqa, 1); /* the activation penalty switched on, above the floor */
  /* a capped parent: every capped layer one fewer, and the first hidden layer uncapped */
  nf_search_result capped = fake_spec("hidden=32,16;bits=3;prune=0;in=6;fanin=3", 0.745, 0.10);
  m = nf_search_mutate(&capped, 1, 0.74, 1, NULL, 0, 7, out, 64);
  bool fewer = false, first_free = false;
  for (int i = 0; i < m; i++) {
    fewer |= !strcmp(out[i].fan_in, "2") && !strcmp(out[i].hidden, "32,16");
    first_free |= !strcmp(out[i].fan_in, "0,3");
  }
  assert_true(fewer && first_free);
  /* nothing above the floor: the most accurate below it is the parent (32-16), it gets the moves that buy
   * accuracy: wider, bits up, less sparse */
  m = nf_search_mutate(r, 4, 0.99, 1, NULL, 0, 7, out, 64);
  assert_int_equal(m, 3);
  bool wider = false, denser = false;
  for (int i = 0; i < m; i++) {
    assert_true(!strcmp(out[i].hidden, "32,16") || !strcmp(out[i].hidden, "43,21"));
    if (out[i].lbits[0]) assert_non_null(strstr(out[i].lbits, "5"));
    wider |= !strcmp(out[i].hidden, "43,21");
    denser |= fabs(out[i].prune - 0.65) < 1e-9;
  }
  assert_true(wider && denser);
  /* no finished candidate: no child */
  assert_int_equal(nf_search_mutate(r, 0, 0.74, 2, NULL, 0, 7, out, 64), 0);
}

/* A parent below the floor (cheaper than any above it) gets the moves that buy accuracy back and none that
 * cost it: wider, bits up, less sparse, weaker HGQ penalties, one more fan-in, the first layer uncapped and,
 * 0.2 points short, two more training seeds; a parent above the floor gets none of those. */
static void test_mutations_below_floor(void **state) {
  (void)state;
  nf_search_result r[2] = {fake_spec("hidden=24,12;bits=4;prune=0.75;in=6;hgq=3e-06;hgqa=1e-05;fanin=3", 0.738, 0.05),
                           fake_spec("hidden=64,32;bits=5;prune=0.50;in=8", 0.750, 0.90)};
  nf_search_candidate out[64];
  int m = nf_search_mutate(r, 2, 0.74, 1, NULL, 0, 3, out, 64);
  int from_below = 0, seeds = 0, seen = 0;
  for (int i = 0; i < m; i++) {
    const nf_search_candidate *c = &out[i];
    if (!strcmp(c->hidden, "64,32") || !strcmp(c->hidden, "48,24")) { /* the feasible parent's: cheaper only */
      assert_true(c->prune >= 0.50 - 1e-9 && c->in_bits <= 8 && c->seed == NF_SEARCH_DEFAULT_SEED);
      continue;
    }
    from_below++;
    assert_true(c->in_bits == 6 && c->prune <= 0.75 + 1e-9 && c->hgq <= 3e-6 * 1.0001 && c->hgq_act <= 1e-5);
    seen |= !strcmp(c->hidden, "32,16") << 0;                                /* x4/3 */
    seen |= (fabs(c->prune - 0.70) < 1e-9) << 1;                             /* 0.05 less sparse */
    seen |= (fabs(c->hgq - 1e-6) < 1e-12) << 2;                              /* a third */
    seen |= (c->hgq_act == 0 && c->hgq > 0) << 3;                            /* off under 1e-5 */
    seen |= !strcmp(c->fan_in, "4") << 4;                                    /* one more */
    seen |= !strcmp(c->fan_in, "0,3") << 5;                                  /* first layer uncapped */
    seen |= (c->lbits[0] && strstr(c->lbits, "5") != NULL) << 6;             /* bits up */
    if (c->seed != NF_SEARCH_DEFAULT_SEED) {
      seeds++;
      assert_true(c->seed == NF_SEARCH_DEFAULT_SEED + 1 || c->seed == NF_SEARCH_DEFAULT_SEED + 2);
      assert_string_equal(c->hidden, "24,12");
      assert_non_null(strstr(c->id, "_s"));
    }
  }
  assert_int_equal(seen, 0x7f);
  assert_int_equal(seeds, 2);
  assert_int_equal(from_below, 7 + 2);
  /* the seeds once tried are known: none again */
  nf_search_candidate tried[64];
  memcpy(tried, out, (size_t)m * sizeof *out);
  assert_int_equal(nf_search_mutate(r, 2, 0.74, 1, tried, m, 3, out, 64), 0);
  /* a cap of 4 raised is no cap; no sparsity to take away */
  nf_search_result lut = fake_spec("hidden=32,16;bits=3;prune=0;in=6;fanin=0,4", 0.70, 0.05);
  m = nf_search_mutate(&lut, 1, 0.74, 1, NULL, 0, 3, out, 64);
  assert_int_equal(m, 3); /* wider, bits up, uncapped */
  bool uncapped = false;
  for (int i = 0; i < m; i++) {
    assert_true(out[i].prune == 0 && out[i].seed == NF_SEARCH_DEFAULT_SEED);
    uncapped |= !out[i].fan_in[0] && !strcmp(out[i].hidden, "32,16") && !out[i].lbits[0];
  }
  assert_true(uncapped);
}

/* The nearest parents' neighbours all tried: the next ones down both lists are taken, not nothing. */
static void test_mutations_widen(void **state) {
  (void)state;
  nf_search_result r[4] = {fake_spec("hidden=24,12;bits=4;prune=0.70;in=8", 0.745, 0.20),   /* A: cheapest above */
                           fake_spec("hidden=40,20;bits=4;prune=0.70;in=8", 0.750, 0.40),   /* B: second above */
                           fake_spec("hidden=16,8;bits=3;prune=0.80;in=6", 0.735, 0.05),    /* X: best below */
                           fake_spec("hidden=10,5;bits=3;prune=0.80;in=6", 0.720, 0.08)};  /* Y: second below */
  nf_search_result first[2] = {r[0], r[2]};
  nf_search_candidate tried[128], out[64];
  /* with one parent each side A and X are the parents: their children, drawn with the same seed, all tried */
  int nt = nf_search_mutate(first, 2, 0.74, 1, NULL, 0, 5, tried, 64);
  assert_true(nt > 6);
  int m = nf_search_mutate(r, 4, 0.74, 1, tried, nt, 5, out, 64);
  assert_true(m > 0);
  bool from_b = false, from_y = false;
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < nt; j++) assert_true(strcmp(out[i].id, tried[j].id) != 0);
    bool b = !strcmp(out[i].hidden, "40,20") || !strcmp(out[i].hidden, "30,15");
    bool y = !strcmp(out[i].hidden, "10,5") || !strcmp(out[i].hidden, "13,7");
    assert_true(b || y);
    from_b |= b, from_y |= y;
  }
  assert_true(from_b && from_y);
  /* B's and Y's tried too: nothing is left anywhere */
  memcpy(tried + nt, out, (size_t)m * sizeof *out);
  assert_int_equal(nf_search_mutate(r, 4, 0.74, 1, tried, nt + m, 5, out, 64), 0);
}

/* 0 only when truly exhausted: one result whose every child (any seed's draw of the layer whose bits move)
 * is tried gives none, and leaving any one of them out gives exactly that one back. */
static void test_mutations_exhausted(void **state) {
  (void)state;
  nf_search_result one = fake_spec("hidden=16;bits=4;prune=0.50;in=8;fanin=3", 0.75, 0.10);
  nf_search_candidate all[64], out[64];
  int n = 0;
  for (uint64_t seed = 1; seed <= 32; seed++) { /* the union over seeds: both layers' bits */
    int m = nf_search_mutate(&one, 1, 0.74, 2, all, n, seed, all + n, 64 - n);
    n += m;
  }
  assert_int_equal(n, 8); /* narrower, bits down in fc1 or the output, sparser, inputs, HGQ, HGQ act, fan-in 2 */
  for (uint64_t seed = 1; seed <= 32; seed++) assert_int_equal(nf_search_mutate(&one, 1, 0.74, 2, all, n, seed, out, 64), 0);
  for (int k = 0; k < n; k++) {
    nf_search_candidate rest[64];
    int nr = 0;
    for (int i = 0; i < n; i++)
      if (i != k) rest[nr++] = all[i];
    int found = 0;
    for (uint64_t seed = 1; seed <= 32 && !found; seed++)
      if (nf_search_mutate(&one, 1, 0.74, 2, rest, nr, seed, out, 64) == 1) found = !strcmp(out[0].id, all[k].id);
    assert_true(found);
  }
}

static void test_default_space(void **state) {
  (void)state;
  nf_search_candidate a[256], b[256];
  int n = nf_search_default_space(a, 256, 1);
  assert_int_equal(n, 7 * 3 * 4 * 2 + 3 * 2); /* the grid and the LUT-neuron family */
  int capped = 0;
  for (int i = 0; i < n; i++) capped += a[i].fan_in[0] != 0;
  assert_int_equal(capped, 3 * 2);
  assert_int_equal(nf_search_default_space(b, 256, 1), n);
  int moved = 0;
  for (int i = 0; i < n; i++) {
    assert_string_equal(a[i].id, b[i].id); /* same seed, same order */
    for (int j = 0; j < i; j++) assert_true(strcmp(a[i].id, a[j].id) != 0);
  }
  nf_search_default_space(b, 256, 2);
  for (int i = 0; i < n; i++) moved += strcmp(a[i].id, b[i].id) != 0;
  assert_true(moved > n / 2);
  assert_int_equal(nf_search_default_space(b, 10, 1), 10);
}

static nf_search_result fake(const char *id, double acc, double lut_pct, double ff_pct) {
  nf_search_result r;
  memset(&r, 0, sizeof r);
  snprintf(r.id, sizeof r.id, "%s", id);
  snprintf(r.spec, sizeof r.spec, "hidden=8;bits=4;prune=0.50;reuse=1;in=16");
  r.accuracy_validation = acc;
  r.validation_rows = 1000;
  r.validation_correct = (long)lround(acc * 1000);
  r.est_lut_pct = lut_pct, r.est_ff_pct = ff_pct, r.est_lut = 100, r.est_ff = 50;
  r.latency_cycles = 3, r.clock_period_ns = 5, r.sparsity = 0.5, r.model_accuracy_validation = acc;
  r.synth.meets_timing = -1;
  r.synth.critical_path_ns = r.synth.fmax_mhz = NAN;
  return r;
}

/* b is the cheapest above the 0.74 floor; a is cheaper but below it; c is
 * dominated by b; d is the most accurate. Front a, b, d; winner b. */
static void test_front_and_winner(void **state) {
  (void)state;
  nf_search_result r[4] = {fake("a", 0.70, 0.01, 0.01), fake("b", 0.745, 0.05, 0.02), fake("c", 0.742, 0.08, 0.03),
                           fake("d", 0.76, 0.50, 0.10)};
  nf_search_mark_pareto(r, 4);
  assert_true(r[0].pareto && r[1].pareto && !r[2].pareto && r[3].pareto);
  assert_int_equal(nf_search_winner(r, 4, 0.74), 1);
  assert_int_equal(nf_search_winner(r, 4, 0.75), 3);
  assert_int_equal(nf_search_winner(r, 4, 0.9), -1);
  /* Yosys' counts come first: c synthesized beats b's smaller estimate... */
  r[2].synth.done = true, r[2].synth.lut_pct = 0.06, r[2].synth.ff_pct = 0.03;
  assert_int_equal(nf_search_winner(r, 4, 0.74), 2);
  assert_true(fabs(nf_search_cost(&r[2]) - 0.09) < 1e-12);
  /* ...and a synthesized candidate below the floor never wins. */
  r[0].synth.done = true, r[0].synth.lut_pct = 0.001, r[0].synth.ff_pct = 0.001;
  assert_int_equal(nf_search_winner(r, 4, 0.74), 2);
  /* equal accuracy, equal cost: neither dominates */
  nf_search_result t[2] = {fake("x", 0.75, 0.1, 0.1), fake("y", 0.75, 0.1, 0.1)};
  nf_search_mark_pareto(t, 2);
  assert_true(t[0].pareto && t[1].pareto);
}

/* A synthesized candidate that fails its clock never wins, however small:
 * the smallest that meets it does, and the failing cheaper ones are listed
 * as passed over; a failing one is passed over also when nothing else is left. */
static void test_winner_meets_timing(void **state) {
  (void)state;
  nf_search_result r[4] = {fake("small", 0.75, 0.01, 0.01), fake("mid", 0.75, 0.02, 0.01), fake("big", 0.75, 0.05, 0.02),
                           fake("low", 0.70, 0.001, 0.001)};
  double cp[4] = {5.185, 4.9, 4.2, 4.0};
  for (int i = 0; i < 4; i++) {
    r[i].synth.done = true, r[i].synth.lut_pct = r[i].est_lut_pct, r[i].synth.ff_pct = r[i].est_ff_pct;
    r[i].synth.critical_path_ns = cp[i], r[i].synth.meets_timing = cp[i] <= r[i].clock_period_ns;
  }
  assert_true(nf_search_fails_timing(&r[0]) && !nf_search_fails_timing(&r[1]));
  int w = nf_search_winner(r, 4, 0.74);
  assert_int_equal(w, 1);
  assert_true(nf_search_passed_over(r, 4, 0.74, w, 0));
  for (int i = 1; i < 4; i++) assert_false(nf_search_passed_over(r, 4, 0.74, w, i)); /* winner, costlier, below floor */
  /* mid fails too: big wins, both cheaper ones are passed over */
  r[1].synth.critical_path_ns = 5.3, r[1].synth.meets_timing = 0;
  w = nf_search_winner(r, 4, 0.74);
  assert_int_equal(w, 2);
  assert_true(nf_search_passed_over(r, 4, 0.74, w, 0) && nf_search_passed_over(r, 4, 0.74, w, 1));
  /* a candidate estimated only (not checked) beats none, never one that meets */
  nf_search_result e[2] = {fake("est", 0.75, 0.001, 0.001), r[0]};
  assert_int_equal(nf_search_winner(e, 2, 0.74), 0);
  e[0].accuracy_validation = 0.70; /* nothing qualifies: no winner, the failing one passed over */
  assert_int_equal(nf_search_winner(e, 2, 0.74), -1);
  assert_true(nf_search_passed_over(e, 2, 0.74, -1, 1));
}

static char *tmpdir(void) {
  char *d = strdup("/tmp/nnfirm-search-test.XXXXXX");
  assert_non_null(d);
  assert_non_null(mkdtemp(d));
  return d;
}

static void test_result_files(void **state) {
  (void)state;
  char *dir = tmpdir();
  nf_error err = {0};
  nf_search_result r = fake("h8_b4_p50_r1_i16", 0.7431, 0.05, 0.02), back;
  r.synth.done = true, r.synth.lut = 1923, r.synth.lut_pct = 0.16, r.synth.ff_pct = 0.02, r.synth.meets_timing = 1;
  r.synth.critical_path_ns = 4.2;
  snprintf(r.synth.part, sizeof r.synth.part, "xcvu9p");
  assert_int_equal(nf_search_result_write(dir, &r, &err), 0);
  assert_int_equal(nf_search_result_read(dir, &back, &err), 0);
  assert_string_equal(back.id, r.id);
  assert_string_equal(back.spec, r.spec);
  assert_true(back.accuracy_validation == r.accuracy_validation);
  assert_int_equal(back.validation_rows, 1000);
  assert_true(back.synth.done && back.synth.lut == 1923 && back.synth.meets_timing == 1);
  assert_true(back.synth.critical_path_ns == 4.2 && isnan(back.synth.fmax_mhz));
  assert_true(back.est_lut_pct == 0.05);
  /* format 1 (test accuracy only) is refused, naming the file */
  char path[4200];
  snprintf(path, sizeof path, "%s/result.json", dir);
  const char *old = "{\"id\":\"x\",\"spec\":\"hidden=8;bits=4;prune=0.50;reuse=1\",\"accuracy\":0.75,"
                    "\"est_lut_pct\":0.01,\"est_ff_pct\":0.01}";
  assert_int_equal(nf_write_file_atomic(path, old, strlen(old), &err), 0);
  nf_error e = {0};
  assert_int_equal(nf_search_result_read(dir, &back, &e), NF_EINPUT);
  assert_non_null(strstr(e.msg, path));
  assert_non_null(strstr(e.msg, "validation"));
  /* a failed candidate reads (to be skipped) whatever its format */
  const char *failed = "{\"id\":\"x\",\"failed\":\"train\"}";
  assert_int_equal(nf_write_file_atomic(path, failed, strlen(failed), &err), 0);
  assert_int_equal(nf_search_result_read(dir, &back, &err), 0);
  assert_string_equal(back.failed, "train");
  /* a finished one without its figures is refused */
  const char *bare = "{\"format\":2,\"id\":\"x\",\"spec\":\"s\"}";
  assert_int_equal(nf_write_file_atomic(path, bare, strlen(bare), &err), 0);
  assert_int_equal(nf_search_result_read(dir, &back, &e), NF_EINPUT);
  nf_rm_rf(dir);
  free(dir);
}

static long count_lines(const char *text) {
  long n = 0;
  for (const char *p = text; *p; p++) n += *p == '\n';
  return n;
}

static void test_job_files(void **state) {
  (void)state;
  char *dir = tmpdir();
  nf_error err = {0};
  nf_search_candidate c[3];
  assert_int_equal(nf_search_default_space(c, 3, 1), 3);
  nf_search_opts o = {.dir = dir, .job = {.exe = "/opt/nnfirm", .part = "xcvu9p", .epochs = NF_SEARCH_DEFAULT_EPOCHS}};
  char path[4200], *text = NULL, want[4400], spec[160];
  assert_int_equal(nf_search_write_jobs(&o, c, 3, "slurm", path, sizeof path, &err), 0);
  snprintf(want, sizeof want, "%s/search.sbatch", dir);
  assert_string_equal(path, want);
  assert_int_equal(nf_read_file(path, &text, NULL, &err), 0);
  assert_non_null(strstr(text, "#SBATCH --array=1-3\n"));
  free(text);
  snprintf(want, sizeof want, "%s/jobs.txt", dir);
  assert_int_equal(nf_read_file(want, &text, NULL, &err), 0);
  assert_int_equal(count_lines(text), 3);
  nf_search_format_spec(&c[0], spec, sizeof spec);
  snprintf(want, sizeof want, "/opt/nnfirm search --candidate '%s' --part xcvu9p -o %s/candidates/%s\n", spec, dir, c[0].id);
  assert_memory_equal(text, want, strlen(want));
  free(text);
  /* GNU parallel: the same lines, with the data file and non-default epochs */
  o.job.data = "/data/jets.h5", o.job.epochs = 5;
  assert_int_equal(nf_search_write_jobs(&o, c, 3, "parallel", path, sizeof path, &err), 0);
  assert_int_equal(nf_read_file(path, &text, NULL, &err), 0);
  assert_int_equal(count_lines(text), 3);
  snprintf(want, sizeof want, "/opt/nnfirm search --candidate '%s' --part xcvu9p --data /data/jets.h5 --epochs 5 -o %s/candidates/%s\n",
           spec, dir, c[0].id);
  assert_memory_equal(text, want, strlen(want));
  free(text);
  assert_int_equal(nf_search_write_jobs(&o, c, 3, "pbs", path, sizeof path, &err), NF_EINPUT);
  nf_rm_rf(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_round_trip), cmocka_unit_test(test_layer_bits_spec),
      cmocka_unit_test(test_mutations),       cmocka_unit_test(test_mutations_below_floor),
      cmocka_unit_test(test_mutations_widen), cmocka_unit_test(test_mutations_exhausted),
      cmocka_unit_test(test_default_space),
      cmocka_unit_test(test_front_and_winner), cmocka_unit_test(test_winner_meets_timing),
      cmocka_unit_test(test_result_files),
      cmocka_unit_test(test_job_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
