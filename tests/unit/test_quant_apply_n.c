/* nf_quantizer_apply_n (the float path's vectorizable quantizer loops)
 * against nf_quantizer_apply, the one-value routine it replaces, bit for bit
 * (the sign of a zero too; NaN for NaN) on many quantizers and values: exact
 * codes, half-way points (ties to even), just inside and outside the clip
 * bounds, +-0, tiny negatives that round to -0, subnormals, huge values and
 * infinities, random values at several scales; in place and not. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nnfirm/model.h"
#include "nnfirm/rng.h"

enum { NV = 4096 };

static long same(const nf_quantizer *q, const double *x, long n) {
  static double y[NV], z[NV];
  nf_quantizer_apply_n(q, x, y, n);
  memcpy(z, x, (size_t)n * sizeof *z);
  nf_quantizer_apply_n(q, z, z, n); /* in place */
  long bad = 0;
  for (long k = 0; k < n; k++) {
    double want = nf_quantizer_apply(q, x[k]);
    bool ok = isnan(want) ? isnan(y[k]) && isnan(z[k]) : !memcmp(&want, &y[k], sizeof want) && !memcmp(&want, &z[k], sizeof want);
    if (!ok && bad++ < 5) {
      char s[128];
      nf_quantizer_format(q, s, sizeof s);
      print_error("%s at %.17g: want %.17g, got %.17g (in place %.17g)\n", s, x[k], want, y[k], z[k]);
    }
  }
  return bad;
}

/* Values around the grid of step 2^e with codes lo..hi. */
static long values_for(nf_rng *r, int e, double lo, double hi, double *x) {
  long n = 0;
  double step = ldexp(1.0, e);
  const double special[] = {0.0, -0.0, 1e-310, -1e-310, 1e300, -1e300, INFINITY, -INFINITY, NAN, 0.33, -0.33, 0.33f, -0.33f, 1, -1};
  for (size_t i = 0; i < sizeof special / sizeof *special; i++) x[n++] = special[i];
  for (double c = lo - 3; c <= hi + 3 && n < NV - 400; c += (hi - lo > 300 ? (hi - lo) / 97 : 1)) {
    x[n++] = c * step;
    x[n++] = (c + 0.5) * step;
    x[n++] = (c - 0.5) * step;
    x[n++] = nextafter(c * step, INFINITY);
    x[n++] = nextafter((c + 0.5) * step, -INFINITY);
    x[n++] = nextafter((c + 0.5) * step, INFINITY);
  }
  x[n++] = -0.3 * step;
  x[n++] = -0.5 * step;
  x[n++] = 0.5 * step;
  while (n < NV) {
    double s = ldexp(1.0, (int)nf_rng_below(r, 40) - 20);
    x[n++] = s * nf_rng_normal(r);
  }
  return n;
}

static void test_same_values(void **st) {
  (void)st;
  static double x[NV];
  nf_rng r;
  nf_rng_seed(&r, 19);
  long bad = 0, tried = 0;
  nf_quantizer q;
  for (int bits = 1; bits <= 32; bits += bits < 12 ? 1 : 5)
    for (int integer = -3; integer <= bits; integer++)
      for (int flags = 0; flags < 4; flags++) {
        memset(&q, 0, sizeof q);
        q.kind = NF_QUANT_BITS;
        q.bits = bits;
        q.integer = integer;
        q.keep_negative = !(flags & 1);
        q.symmetric = (flags & 2) != 0;
        q.alpha = flags == 3 ? 0.75 : 1;
        int u = bits - q.keep_negative;
        double m = ldexp(1.0, u > 0 ? u : 0);
        bad += same(&q, x, values_for(&r, integer - u, q.keep_negative ? -m : 0, m - 1, x));
        tried++;
      }
  for (int bits = 1; bits <= 32; bits += bits < 12 ? 1 : 5)
    for (int integer = -3; integer <= bits; integer++) {
      memset(&q, 0, sizeof q);
      q.kind = NF_QUANT_RELU;
      q.bits = bits;
      q.integer = integer;
      bad += same(&q, x, values_for(&r, integer - bits, 0, ldexp(1.0, bits) - 1, x));
      tried++;
    }
  const char *texts[] = {"binary", "binary(alpha=0.5)", "ternary", "ternary(threshold=0.5)", "ternary(alpha=2)",
                         "quantized_po2(4)", "quantized_relu_po2(4,max_value=2)", "quantized_po2(5,quadratic_approximation=True)"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    nf_error err = {0};
    assert_int_equal(nf_quantizer_parse(texts[i], &q, "test", &err), NF_OK);
    bad += same(&q, x, values_for(&r, -4, -40, 40, x));
    q.dense_class = true;
    bad += same(&q, x, values_for(&r, -2, -10, 10, x));
    tried += 2;
  }
  memset(&q, 0, sizeof q);
  bad += same(&q, x, values_for(&r, 0, -3, 3, x)); /* no quantizer: the values as they are */
  print_message("%ld quantizers x %d values, %ld differences\n", tried + 1, NV, bad);
  assert_int_equal(bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_values)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
