/* HTML report writer: escaping, tables, embedded figures, atomic output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nnfirm/report.h"
#include "nnfirm/util.h"

static void test_page(void **state) {
  char dir[] = "/tmp/nnfirm-html-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char png[256], page[256];
  snprintf(png, sizeof png, "%s/f.png", dir);
  snprintf(page, sizeof page, "%s/index.html", dir);
  /* Minimal bytes with a PNG signature: "Man" → "TWFu" tests the encoder. */
  static const unsigned char bytes[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 'M', 'a', 'n', 'M', 'a'};
  assert_int_equal(nf_write_file_atomic(png, bytes, sizeof bytes, NULL), 0);

  nf_error err = {0};
  nf_html *h = nf_html_begin("a <b> & c", &err);
  assert_non_null(h);
  nf_html_heading(h, 2, "Part 1");
  nf_html_paragraph(h, "accuracy %.1f%% <ok>", 75.5);
  const char *cells[] = {"design", "LUT", "16,6", "1234"};
  nf_html_table(h, "resources", 2, 2, cells);
  assert_int_equal(nf_html_image(h, png, "ROC", &err), 0);
  assert_int_equal(nf_html_image(h, "/nonexistent.png", "x", &err), NF_EINPUT);
  assert_int_equal(nf_html_write(h, page, &err), 0);
  nf_html_free(h);

  char *text = NULL;
  assert_int_equal(nf_read_file(page, &text, NULL, NULL), 0);
  assert_non_null(strstr(text, "<title>a &lt;b&gt; &amp; c</title>"));
  assert_non_null(strstr(text, "<p>accuracy 75.5% &lt;ok&gt;</p>"));
  assert_non_null(strstr(text, "<th>design</th><th>LUT</th>"));
  assert_non_null(strstr(text, "<td>16,6</td><td>1234</td>"));
  assert_non_null(strstr(text, "data:image/png;base64,iVBORw0KGgpNYW5NYQ==\""));
  assert_non_null(strstr(text, "</body></html>"));
  free(text);
  unlink(png);
  unlink(page);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_page)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
