/* Yosys statistics parsing and the device table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nnfirm/synth.h"

static void test_parse_stat(void **state) {
  const char *json =
      "{\"modules\":{},\"design\":{\"num_cells\":99,\"num_cells_by_type\":{"
      "\"LUT2\":10,\"LUT6\":5,\"SRLC32E\":2,\"FDRE\":30,\"FDSE\":2,\"DSP48E2\":3,"
      "\"RAMB18E2\":1,\"RAMB36E2\":2,\"CARRY4\":7,\"MUXF7\":4}}}";
  const nf_device *vu9p = nf_device_find("xcvu9p-flga2104-2L-e");
  assert_non_null(vu9p);
  nf_synth_result r = {0};
  assert_int_equal(nf_synth_parse_stat(json, vu9p, &r, NULL), 0);
  assert_int_equal(r.lut, 17);
  assert_int_equal(r.lut_memory, 2);
  assert_int_equal(r.ff, 32);
  assert_int_equal(r.dsp, 3);
  assert_true(r.bram == 2.5);
  assert_int_equal(r.carry, 7);
  assert_true(r.lut_pct > 0.00143 && r.lut_pct < 0.00144); /* 17 / 1,182,240 */
  nf_error err = {0};
  assert_int_equal(nf_synth_parse_stat("{\"design\":{}}", vu9p, &r, &err), NF_EINPUT);
  assert_int_equal(nf_synth_parse_stat("not json", vu9p, &r, &err), NF_EINPUT);
}

static void test_devices(void **state) {
  assert_non_null(nf_device_find("VU9P"));
  assert_non_null(nf_device_find("xcvu13p"));
  assert_null(nf_device_find("xcvu99p"));
  assert_int_equal(nf_device_find("vu9p")->luts, 1182240);
  for (const nf_device *d = nf_device_table(); d->name; d++) {
    assert_true(d->luts > 0 && d->ffs == 2 * d->luts);
    assert_non_null(d->source);
    assert_non_null(d->vivado_part); /* a full part name for the Vivado script */
    assert_true(strncmp(d->vivado_part, d->name, strlen(d->name)) == 0 && d->vivado_part[strlen(d->name)] == '-');
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse_stat), cmocka_unit_test(test_devices)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
