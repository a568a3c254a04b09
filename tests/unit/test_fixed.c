/* Fixed-point library: each quantization mode's ties, wrap-around,
 * saturation edges, negative I and I > W, binary casts, products, sums,
 * printing — and the 2,400 reference vectors through the library API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nnfirm/fixed.h"

static nf_fixed_type T(const char *s) {
  nf_fixed_type t;
  nf_error err = {0};
  if (nf_fixed_type_parse(s, &t, &err)) fail_msg("parse %s: %s", s, err.msg);
  return t;
}

/* Quantize a decimal and print it back. */
static const char *Q(const char *type, const char *in) {
  static char buf[1200];
  nf_fixed_type t = T(type);
  nf_code k;
  nf_error err = {0};
  if (nf_fixed_from_decimal(&t, in, &k, &err)) fail_msg("%s <- %s: %s", type, in, err.msg);
  nf_fixed_format_value(&t, k, buf, sizeof buf);
  return buf;
}

static void test_rounding_ties(void **state) {
  /* ap_fixed<8,7>: LSB = 0.5, so x.25 / x.75 are ties at LSB 0.5? no: use <8,8>
   * (integers) with .5 inputs: every mode's tie rule on positives and negatives. */
  const char *in[] = {"2.5", "3.5", "-2.5", "-3.5", "2.4", "-2.6"};
  struct { const char *mode; const char *want[6]; } cases[] = {
      {"AP_TRN", {"2", "3", "-3", "-4", "2", "-3"}},
      {"AP_TRN_ZERO", {"2", "3", "-2", "-3", "2", "-2"}},
      {"AP_RND", {"3", "4", "-2", "-3", "2", "-3"}},
      {"AP_RND_ZERO", {"2", "3", "-2", "-3", "2", "-3"}},
      {"AP_RND_MIN_INF", {"2", "3", "-3", "-4", "2", "-3"}},
      {"AP_RND_INF", {"3", "4", "-3", "-4", "2", "-3"}},
      {"AP_RND_CONV", {"2", "4", "-2", "-4", "2", "-3"}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char type[64];
    snprintf(type, sizeof type, "ap_fixed<8,8,%s>", cases[c].mode);
    for (int i = 0; i < 6; i++) {
      const char *got = Q(type, in[i]);
      if (strcmp(got, cases[c].want[i])) fail_msg("%s(%s) = %s, want %s", type, in[i], got, cases[c].want[i]);
    }
  }
}

static void test_wrap_and_saturate(void **state) {
  /* ap_fixed<4,4>: range -8..7. */
  assert_string_equal(Q("ap_fixed<4,4>", "8"), "-8");
  assert_string_equal(Q("ap_fixed<4,4>", "9"), "-7");
  assert_string_equal(Q("ap_fixed<4,4>", "-9"), "7");
  assert_string_equal(Q("ap_fixed<4,4>", "23"), "7");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT>", "100"), "7");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT>", "-100"), "-8");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT>", "7"), "7");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT>", "-8"), "-8");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT_ZERO>", "8"), "0");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT_ZERO>", "-9"), "0");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT_ZERO>", "-8"), "-8");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>", "-100"), "-7");
  assert_string_equal(Q("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>", "100"), "7");
  /* Rounding can push a value past the maximum: overflow sees the rounded integer. */
  assert_string_equal(Q("ap_fixed<4,2,AP_RND,AP_SAT>", "1.9"), "1.75");
  assert_string_equal(Q("ap_fixed<4,2,AP_RND>", "1.9"), "-2");
  /* Unsigned. */
  assert_string_equal(Q("ap_ufixed<4,4>", "-1"), "15");
  assert_string_equal(Q("ap_ufixed<4,4,AP_TRN,AP_SAT>", "-1"), "0");
  assert_string_equal(Q("ap_ufixed<4,4,AP_TRN,AP_SAT>", "16"), "15");
  assert_string_equal(Q("ap_ufixed<4,4,AP_TRN,AP_SAT_ZERO>", "16"), "0");
  assert_string_equal(Q("ap_uint<8>", "256"), "0");
  assert_string_equal(Q("ap_int<8>", "128"), "-128");
}

static void test_negative_and_large_int_bits(void **state) {
  /* I < 0: ap_fixed<4,-2> has LSB 2^-6 and range [-2^-3, 2^-3 - 2^-6]. */
  assert_string_equal(Q("ap_fixed<4,-2>", "0.015625"), "0.015625");
  assert_string_equal(Q("ap_fixed<4,-2,AP_TRN,AP_SAT>", "1"), "0.109375");
  assert_string_equal(Q("ap_fixed<4,-2>", "0.125"), "-0.125");
  assert_string_equal(Q("ap_fixed<4,-2,AP_RND>", "0.0078125"), "0.015625");
  /* I > W: ap_fixed<4,8> has LSB 16 and range [-128, 112]. */
  assert_string_equal(Q("ap_fixed<4,8>", "40"), "32");
  assert_string_equal(Q("ap_fixed<4,8,AP_RND>", "40"), "48");
  assert_string_equal(Q("ap_fixed<4,8,AP_RND_CONV>", "40"), "32");
  assert_string_equal(Q("ap_fixed<4,8,AP_RND_CONV>", "56"), "64");
  assert_string_equal(Q("ap_fixed<4,8,AP_TRN,AP_SAT>", "1000"), "112");
  assert_string_equal(Q("ap_fixed<4,8>", "128"), "-128");
}

static void test_binary_casts(void **state) {
  nf_fixed_type t16 = T("ap_fixed<16,6>"), t8 = T("ap_fixed<8,3,AP_RND_CONV,AP_SAT>");
  nf_code k;
  assert_int_equal(nf_fixed_from_double(&t16, -1.375, &k, NULL), 0);
  assert_true(k == -1408);
  assert_true(nf_fixed_to_double(&t16, k) == -1.375);
  /* 0.1 as a double is slightly above 0.1: floor at 2^-10 gives 102. */
  assert_int_equal(nf_fixed_from_double(&t16, 0.1, &k, NULL), 0);
  assert_true(k == 102);
  /* Casting between types: 16.10 -> 8.5 with round-half-even and saturation. */
  nf_code c = nf_fixed_cast(&t8, 48, &t16); /* 48/1024 = 1.5 LSB of 8.5 -> even = 2 */
  assert_true(c == 2);
  c = nf_fixed_cast(&t8, 80, &t16); /* 2.5 LSB -> 2 */
  assert_true(c == 2);
  c = nf_fixed_cast(&t8, 30000, &t16); /* 29.3 > max 3.96875 -> 127 */
  assert_true(c == 127);
  assert_true(nf_fixed_from_double(&t16, 1.0 / 0.0, &k, NULL) == NF_EINPUT);
  /* Tiny and huge doubles. */
  assert_int_equal(nf_fixed_from_double(&t16, 1e-300, &k, NULL), 0);
  assert_true(k == 0);
  assert_int_equal(nf_fixed_from_double(&t16, -1e-300, &k, NULL), 0);
  assert_true(k == -1); /* floor of a tiny negative is -LSB */
  assert_int_equal(nf_fixed_from_double(&t8, 1e300, &k, NULL), 0);
  assert_true(k == 127);
}

static void test_products_and_sums(void **state) {
  nf_fixed_type a = T("ap_fixed<16,6>"), b = T("ap_ufixed<8,2>"), p, s;
  assert_int_equal(nf_fixed_mul_type(&a, &b, &p, NULL), 0);
  assert_int_equal(p.width, 24);
  assert_int_equal(p.int_bits, 8);
  assert_true(p.is_signed);
  nf_code x = -1408 /* -1.375 */, y = 200 /* 3.125 */;
  nf_code prod = nf_fixed_mul(x, y);
  char buf[1200];
  nf_fixed_format_value(&p, prod, buf, sizeof buf);
  assert_string_equal(buf, "-4.296875");
  assert_int_equal(nf_fixed_add_type(&a, &b, &s, NULL), 0);
  nf_code sum = nf_fixed_add(x, &a, y, &b, &s);
  nf_fixed_format_value(&s, sum, buf, sizeof buf);
  assert_string_equal(buf, "1.75");
  /* 64x64-bit product stays exact in 128 bits. */
  nf_fixed_type w64 = T("ap_int<64>"), p128;
  assert_int_equal(nf_fixed_mul_type(&w64, &w64, &p128, NULL), 0);
  nf_code big = nf_fixed_min_code(&w64);
  nf_code sq = nf_fixed_mul(big, big);
  nf_fixed_format_value(&p128, sq, buf, sizeof buf);
  assert_string_equal(buf, "85070591730234615865843651857942052864"); /* 2^126 */
  /* Cast of the 128-bit product back to 64 bits with saturation. */
  nf_fixed_type sat64 = T("ap_fixed<64,64,AP_TRN,AP_SAT>");
  assert_true(nf_fixed_cast(&sat64, sq, &p128) == nf_fixed_max_code(&sat64));
  nf_fixed_type wrap64 = T("ap_fixed<64,64>");
  assert_true(nf_fixed_cast(&wrap64, sq, &p128) == 0); /* 2^126 mod 2^64 */
}

static void test_type_strings(void **state) {
  char buf[128];
  const char *roundtrip[] = {"ap_fixed<16,6>", "ap_ufixed<8,3,AP_RND,AP_SAT>", "ap_int<8>", "ap_uint<1>",
                             "ap_fixed<4,-2,AP_RND_CONV>", "ap_fixed<3,9,AP_TRN,AP_SAT_SYM>"};
  for (size_t i = 0; i < sizeof roundtrip / sizeof roundtrip[0]; i++) {
    nf_fixed_type t = T(roundtrip[i]);
    nf_fixed_type_format(&t, buf, sizeof buf);
    assert_string_equal(buf, roundtrip[i]);
  }
  nf_fixed_type t = T("fixed<16, 6, RND_CONV, SAT>");
  nf_fixed_type_format(&t, buf, sizeof buf);
  assert_string_equal(buf, "ap_fixed<16,6,AP_RND_CONV,AP_SAT>");
  t = T("ufixed<8,0>");
  assert_false(t.is_signed);
  t = T("int<5>");
  assert_int_equal(t.int_bits, 5);
  nf_error err = {0};
  const char *bad[] = {"ap_fixed<0,3>", "ap_fixed<8>", "ap_fixed<65,3>", "ap_fixed<8,3,AP_NOPE>",
                       "ap_fixed<8,3,AP_TRN,AP_WRAP,1>", "ap_fixed<8,3,AP_TRN,AP_WRAP_SM>", "float",
                       "ap_fixed<8,3>x", "ap_int<8,3>", "ap_fixed<8,2000>"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err.msg[0] = '\0';
    if (nf_fixed_type_parse(bad[i], &t, &err) != NF_EINPUT) fail_msg("accepted %s", bad[i]);
    assert_true(strlen(err.msg) > 0);
  }
}

static void test_printing(void **state) {
  char buf[1200];
  nf_fixed_format_code(-21, 6, buf, sizeof buf);
  assert_string_equal(buf, "-0.328125");
  nf_fixed_format_code(0, 10, buf, sizeof buf);
  assert_string_equal(buf, "0");
  nf_fixed_format_code(3, -2, buf, sizeof buf);
  assert_string_equal(buf, "12");
  nf_fixed_format_code(1, 1, buf, sizeof buf);
  assert_string_equal(buf, "0.5");
  nf_fixed_format_code(-1, 0, buf, sizeof buf);
  assert_string_equal(buf, "-1");
  assert_int_equal(nf_fixed_format_code(1, 40, buf, 8), -1); /* too small a buffer */
}

/* The independent reference vectors through the library (the CLI test runs
 * them through the binary too). */
static void test_reference_vectors(void **state) {
  const char *shared = getenv("TESTDATA");
  char path[4096];
  snprintf(path, sizeof path, "%s/refs/fixed_vectors.tsv", shared ? shared : "../tests/data");
  FILE *fp = fopen(path, "r");
  if (!fp) fail_msg("cannot open %s", path);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, fp)) {
    if (line[0] == '#') continue;
    line[strcspn(line, "\r\n")] = '\0';
    char *type = strtok(line, "\t"), *in = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
    assert_non_null(want);
    const char *got = Q(type, in);
    if (strcmp(got, want)) fail_msg("%s <- %s: got %s, want %s", type, in, got, want);
    n++;
  }
  fclose(fp);
  assert_int_equal(n, 2400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rounding_ties),      cmocka_unit_test(test_wrap_and_saturate),
      cmocka_unit_test(test_negative_and_large_int_bits), cmocka_unit_test(test_binary_casts),
      cmocka_unit_test(test_products_and_sums),  cmocka_unit_test(test_type_strings),
      cmocka_unit_test(test_printing),           cmocka_unit_test(test_reference_vectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
