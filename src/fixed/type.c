/* Fixed-point type strings: parsing and canonical printing. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/fixed.h"

static const char *const QMODE_NAMES[] = {"AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO",
                                          "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV"};
static const char *const OMODE_NAMES[] = {"AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM"};

nf_fixed_type nf_fixed_type_make(int width, int int_bits, bool is_signed) {
  nf_fixed_type t = {width, int_bits, is_signed, NF_Q_TRN, NF_O_WRAP};
  return t;
}

bool nf_fixed_type_equal(const nf_fixed_type *a, const nf_fixed_type *b) {
  return a->width == b->width && a->int_bits == b->int_bits && a->is_signed == b->is_signed &&
         a->q == b->q && a->o == b->o;
}

/* Matches a mode name with or without the "AP_" prefix (hls4ml writes both). */
static int lookup_mode(const char *tok, const char *const *names, int count) {
  for (int i = 0; i < count; i++) {
    if (!strcmp(tok, names[i]) || !strcmp(tok, names[i] + 3)) return i;
  }
  return -1;
}

static void list_modes(char *buf, size_t n, const char *const *names, int count) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < count && used < n; i++)
    used += snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

/* Splits "a, b ,c" into trimmed tokens in place. Returns the count, or -1 if
 * there are more than max. */
static int split_args(char *s, char **toks, int max) {
  int n = 0;
  for (char *p = s;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    while (isspace((unsigned char)*p)) p++;
    char *end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1])) *--end = '\0';
    if (n == max) return -1;
    toks[n++] = p;
    if (!comma) break;
    p = comma + 1;
  }
  return n;
}

static bool parse_int_token(const char *tok, long lo, long hi, long *out) {
  if (!*tok) return false;
  char *end;
  errno = 0;
  long v = strtol(tok, &end, 10);
  if (*end || errno || v < lo || v > hi) return false;
  *out = v;
  return true;
}

int nf_fixed_type_parse(const char *s, nf_fixed_type *t, nf_error *err) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return nf_fail(err, NF_EINPUT, "type string too long");
  const char *p = s;
  while (isspace((unsigned char)*p)) p++;
  snprintf(buf, sizeof buf, "%s", p);
  char *lt = strchr(buf, '<');
  char *gt = strrchr(buf, '>');
  if (!lt || !gt || gt < lt)
    return nf_fail(err, NF_EINPUT, "'%s': expected a type like ap_fixed<16,6> (missing <...>)", s);
  for (char *q = gt + 1; *q; q++)
    if (!isspace((unsigned char)*q)) return nf_fail(err, NF_EINPUT, "'%s': unexpected text after '>'", s);
  *gt = '\0';
  *lt = '\0';
  char *name = buf;
  for (char *q = lt - 1; q >= name && isspace((unsigned char)*q); q--) *q = '\0';
  const char *base = strncmp(name, "ap_", 3) == 0 ? name + 3 : name;

  bool is_int;
  bool is_signed;
  if (!strcmp(base, "fixed")) is_int = false, is_signed = true;
  else if (!strcmp(base, "ufixed")) is_int = false, is_signed = false;
  else if (!strcmp(base, "int")) is_int = true, is_signed = true;
  else if (!strcmp(base, "uint")) is_int = true, is_signed = false;
  else
    return nf_fail(err, NF_EINPUT,
                   "'%s': unknown type '%s' (expected ap_fixed, ap_ufixed, ap_int, ap_uint, fixed, "
                   "ufixed, int or uint)", s, name);

  char *toks[6];
  int n = split_args(lt + 1, toks, 5);
  if (n < 0) return nf_fail(err, NF_EINPUT, "'%s': too many parameters", s);
  if (is_int && n != 1) return nf_fail(err, NF_EINPUT, "'%s': %s takes exactly one parameter <W>", s, name);
  if (!is_int && n < 2)
    return nf_fail(err, NF_EINPUT, "'%s': %s needs at least <W,I> (total and integer bits)", s, name);

  long w, i = 0;
  if (!parse_int_token(toks[0], -1000000, 1000000, &w))
    return nf_fail(err, NF_EINPUT, "'%s': width '%s' is not an integer", s, toks[0]);
  if (w < 1 || w > NF_FIXED_MAX_USER_WIDTH)
    return nf_fail(err, NF_EINPUT, "'%s': width %ld out of range (1..%d)", s, w, NF_FIXED_MAX_USER_WIDTH);
  if (is_int) {
    i = w;
  } else if (!parse_int_token(toks[1], -NF_FIXED_MAX_ABS_INT_BITS, NF_FIXED_MAX_ABS_INT_BITS, &i)) {
    return nf_fail(err, NF_EINPUT, "'%s': integer bits '%s' must be an integer in -%d..%d", s, toks[1],
                   NF_FIXED_MAX_ABS_INT_BITS, NF_FIXED_MAX_ABS_INT_BITS);
  }
  *t = nf_fixed_type_make((int)w, (int)i, is_signed);

  if (n >= 3) {
    int q = lookup_mode(toks[2], QMODE_NAMES, 7);
    if (q < 0) {
      char modes[256];
      list_modes(modes, sizeof modes, QMODE_NAMES, 7);
      return nf_fail(err, NF_EINPUT, "'%s': unknown quantization mode '%s' (expected one of %s)", s,
                     toks[2], modes);
    }
    t->q = (nf_qmode)q;
  }
  if (n >= 4) {
    int o = lookup_mode(toks[3], OMODE_NAMES, 4);
    if (o < 0) {
      if (!strcmp(toks[3], "AP_WRAP_SM") || !strcmp(toks[3], "WRAP_SM"))
        return nf_fail(err, NF_EINPUT, "'%s': overflow mode AP_WRAP_SM is not supported", s);
      char modes[256];
      list_modes(modes, sizeof modes, OMODE_NAMES, 4);
      return nf_fail(err, NF_EINPUT, "'%s': unknown overflow mode '%s' (expected one of %s)", s, toks[3],
                     modes);
    }
    t->o = (nf_omode)o;
  }
  if (n >= 5) {
    long nbits;
    if (!parse_int_token(toks[4], 0, 1000000, &nbits))
      return nf_fail(err, NF_EINPUT, "'%s': saturation bits '%s' must be a non-negative integer", s, toks[4]);
    if (nbits != 0)
      return nf_fail(err, NF_EINPUT, "'%s': saturation bits N=%ld are not supported (only N=0)", s, nbits);
  }
  return NF_OK;
}

int nf_fixed_type_format(const nf_fixed_type *t, char *buf, size_t n) {
  bool defaults = t->q == NF_Q_TRN && t->o == NF_O_WRAP;
  if (defaults && t->int_bits == t->width)
    return snprintf(buf, n, "%s<%d>", t->is_signed ? "ap_int" : "ap_uint", t->width);
  const char *name = t->is_signed ? "ap_fixed" : "ap_ufixed";
  if (defaults) return snprintf(buf, n, "%s<%d,%d>", name, t->width, t->int_bits);
  if (t->o == NF_O_WRAP) return snprintf(buf, n, "%s<%d,%d,%s>", name, t->width, t->int_bits, QMODE_NAMES[t->q]);
  return snprintf(buf, n, "%s<%d,%d,%s,%s>", name, t->width, t->int_bits, QMODE_NAMES[t->q], OMODE_NAMES[t->o]);
}
