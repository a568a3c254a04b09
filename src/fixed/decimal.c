/* Exact decimal <-> fixed-point conversion. Decimal text is an exact rational
 * (digits × 10^e), so we do the arithmetic on GMP integers: nothing passes
 * through a double. */
#include <ctype.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixed_internal.h"

enum { MAX_DIGITS = 4000, MAX_DECIMAL_EXPONENT = 1000 };

static void mpz_set_code(mpz_t z, nf_code c) {
  nf_ucode mag = c < 0 ? -(nf_ucode)c : (nf_ucode)c;
  unsigned long long parts[2] = {(unsigned long long)mag, (unsigned long long)(mag >> 64)};
  mpz_import(z, 2, -1, sizeof parts[0], 0, 0, parts);
  if (c < 0) mpz_neg(z, z);
}

/* Low 128 bits of z in two's complement. */
static nf_code mpz_get_code_mod(const mpz_t z) {
  mpz_t low;
  mpz_init(low);
  mpz_fdiv_r_2exp(low, z, 128); /* non-negative residue */
  unsigned long long parts[2] = {0, 0};
  mpz_export(parts, NULL, -1, sizeof parts[0], 0, 0, low);
  mpz_clear(low);
  return (nf_code)(((nf_ucode)parts[1] << 64) | parts[0]);
}

/* A parsed decimal: value = (negative ? -1 : 1) * digits * 10^exp10. */
typedef struct {
  bool negative;
  mpz_t digits;
  long exp10;
} decimal;

static int parse_decimal(const char *s, decimal *d, nf_error *err) {
  const char *p = s;
  while (isspace((unsigned char)*p)) p++;
  d->negative = false;
  if (*p == '+' || *p == '-') d->negative = *p++ == '-';
  const char *int_start = p;
  while (isdigit((unsigned char)*p)) p++;
  size_t int_len = (size_t)(p - int_start);
  const char *frac_start = p;
  size_t frac_len = 0;
  if (*p == '.') {
    frac_start = ++p;
    while (isdigit((unsigned char)*p)) p++;
    frac_len = (size_t)(p - frac_start);
  }
  if (int_len + frac_len == 0) {
    const char *q = int_start;
    if (!strncasecmp(q, "nan", 3) || !strncasecmp(q, "inf", 3))
      return nf_fail(err, NF_EINPUT, "'%s' is not a finite number", s);
    return nf_fail(err, NF_EINPUT, "'%s' is not a number", s);
  }
  if (int_len + frac_len > MAX_DIGITS)
    return nf_fail(err, NF_EINPUT, "'%.40s...' has more than %d digits", s, MAX_DIGITS);
  long exp10 = 0;
  if (*p == 'e' || *p == 'E') {
    p++;
    bool eneg = false;
    if (*p == '+' || *p == '-') eneg = *p++ == '-';
    if (!isdigit((unsigned char)*p)) return nf_fail(err, NF_EINPUT, "'%s': malformed exponent", s);
    while (isdigit((unsigned char)*p)) {
      if (exp10 < 100000000) exp10 = exp10 * 10 + (*p - '0');
      p++;
    }
    if (eneg) exp10 = -exp10;
  }
  while (isspace((unsigned char)*p)) p++;
  if (*p) return nf_fail(err, NF_EINPUT, "'%s' is not a number (unexpected '%c')", s, *p);

  char *buf = malloc(int_len + frac_len + 1);
  if (!buf) return nf_fail_oom(err, "decimal digits");
  memcpy(buf, int_start, int_len);
  memcpy(buf + int_len, frac_start, frac_len);
  buf[int_len + frac_len] = '\0';
  mpz_set_str(d->digits, buf, 10);
  free(buf);
  d->exp10 = exp10 - (long)frac_len;
  /* Bound the magnitude (position of the leading digit) so the exact
   * arithmetic stays small; values past it are beyond any supported type. */
  if (mpz_sgn(d->digits) != 0) {
    long lead = d->exp10 + (long)mpz_sizeinbase(d->digits, 10);
    if (lead > MAX_DECIMAL_EXPONENT || lead < -MAX_DECIMAL_EXPONENT)
      return nf_fail(err, NF_EINPUT, "'%s': exponent out of range (magnitude limit 1e±%d)", s,
                     MAX_DECIMAL_EXPONENT);
  }
  return NF_OK;
}

/* Quantizes |value| * 2^frac exactly: magnitude floor q and the fraction. */
static void quantize_decimal(const decimal *d, int frac, mpz_t q, nf_fraction *f) {
  mpz_t num, den, rem;
  mpz_inits(num, den, rem, NULL);
  mpz_set(num, d->digits);
  mpz_set_ui(den, 1);
  if (d->exp10 >= 0) {
    mpz_ui_pow_ui(rem, 10, (unsigned long)d->exp10);
    mpz_mul(num, num, rem);
  } else {
    mpz_ui_pow_ui(den, 10, (unsigned long)-d->exp10);
  }
  if (frac >= 0) mpz_mul_2exp(num, num, (unsigned long)frac);
  else mpz_mul_2exp(den, den, (unsigned long)-frac);
  mpz_fdiv_qr(q, rem, num, den);
  f->exact = mpz_sgn(rem) == 0;
  mpz_mul_2exp(rem, rem, 1);
  int c = mpz_cmp(rem, den);
  f->cmp_half = f->exact ? -1 : (c < 0 ? -1 : c == 0 ? 0 : 1);
  mpz_clears(num, den, rem, NULL);
}

int nf_fixed_from_decimal(const nf_fixed_type *t, const char *s, nf_code *out, nf_error *err) {
  decimal d;
  mpz_init(d.digits);
  int rc = parse_decimal(s, &d, err);
  if (rc) {
    mpz_clear(d.digits);
    return rc;
  }
  mpz_t q;
  mpz_init(q);
  nf_fraction f;
  quantize_decimal(&d, nf_fixed_frac_bits(t), q, &f);
  bool negative = d.negative && mpz_sgn(d.digits) != 0;
  /* Floor of a negative value: -(|v| floor) - 1 when a fraction remains, and
   * the fraction seen from below is 1 - the magnitude's fraction. */
  if (negative) {
    mpz_neg(q, q);
    if (!f.exact) {
      mpz_sub_ui(q, q, 1);
      f.cmp_half = -f.cmp_half;
    }
  }
  if (nf_round_up(t->q, negative, mpz_odd_p(q), f)) mpz_add_ui(q, q, 1);
  int beyond = 0;
  if (mpz_sizeinbase(q, 2) > 127) beyond = mpz_sgn(q);
  *out = nf_apply_overflow(t, mpz_get_code_mod(q), beyond);
  mpz_clears(q, d.digits, NULL);
  return NF_OK;
}

int nf_fixed_format_code(nf_code code, int frac_bits, char *buf, size_t n) {
  mpz_t z;
  mpz_init(z);
  mpz_set_code(z, code);
  bool negative = code < 0;
  mpz_abs(z, z);
  if (frac_bits <= 0) mpz_mul_2exp(z, z, (unsigned long)-frac_bits);
  else {
    mpz_t p5;
    mpz_init(p5);
    mpz_ui_pow_ui(p5, 5, (unsigned long)frac_bits); /* k / 2^f = k * 5^f / 10^f */
    mpz_mul(z, z, p5);
    mpz_clear(p5);
  }
  char *digits = mpz_get_str(NULL, 10, z);
  mpz_clear(z);
  if (!digits) return -1;
  size_t len = strlen(digits);
  size_t places = frac_bits > 0 ? (size_t)frac_bits : 0;
  /* Build sign, integer part, point and fraction without trailing zeros. */
  size_t int_len = len > places ? len - places : 0;
  size_t need = 1 + (int_len ? int_len : 1) + 1 + places + 1;
  if (need > n) {
    free(digits);
    return -1;
  }
  size_t o = 0;
  if (negative) buf[o++] = '-';
  if (int_len) {
    memcpy(buf + o, digits, int_len);
    o += int_len;
  } else {
    buf[o++] = '0';
  }
  size_t frac_end = places;
  const char *frac_digits = digits + int_len; /* the last min(len, places) digits */
  size_t frac_have = len - int_len;
  size_t lead_zeros = places - frac_have;
  while (frac_end > 0) {
    size_t i = frac_end - 1;
    char c = i < lead_zeros ? '0' : frac_digits[i - lead_zeros];
    if (c != '0') break;
    frac_end--;
  }
  if (frac_end > 0) {
    buf[o++] = '.';
    for (size_t i = 0; i < frac_end; i++) buf[o++] = i < lead_zeros ? '0' : frac_digits[i - lead_zeros];
  }
  buf[o] = '\0';
  free(digits);
  if (o == 2 && negative && buf[1] == '0') { /* never print "-0" */
    buf[0] = '0';
    buf[1] = '\0';
    o = 1;
  }
  return (int)o;
}

int nf_fixed_format_value(const nf_fixed_type *t, nf_code code, char *buf, size_t n) {
  return nf_fixed_format_code(code, nf_fixed_frac_bits(t), buf, n);
}
