/* The netlist timing analysis on a hand-made netlist in Yosys' write_verilog
 * form and a small cell library in its specify-block form: the critical path
 * (cells, routing per net, the carry chain's dedicated link free, setup), its
 * start and end registers, and that a carry output nothing reads does not end
 * a path (Yosys' own sta reports such a net). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nnfirm/synth.h"

static const char LIB[] =
    "module LUT2(output O, input I0, I1);\n"
    "  parameter [3:0] INIT = 0;\n"
    "  assign O = INIT[{I1, I0}];\n"
    "  specify\n    (I0 => O) = 200;\n    (I1 => O) = 100; // a comment\n  endspecify\nendmodule\n"
    "module CARRY4(output [3:0] CO, output [3:0] O, input CI, input CYINIT, input [3:0] DI, S);\n"
    "  specify\n"
    "    (S[0] => CO[3]) = 300;\n    (DI[0] => CO[3]) = 250;\n"
    "    (CI => O[1]) = 150;\n    (CI => O[3]) = 400;\n"
    "  endspecify\nendmodule\n"
    "module FDRE(output reg Q, input C, CE, D, R);\n"
    "  specify\n"
    "    $setup(D , posedge C &&& CE, /*-46*/ 50);\n"
    "    $setup(CE, posedge C, 100);\n    $setup(R , posedge C, 400);\n"
    "    if (!R && CE) (posedge C => (Q : D)) = 300;\n"
    "  endspecify\nendmodule\n";

static const char NETLIST[] =
    "module top(clk, a, y);\n"
    "  wire _0_;\n  wire [3:0] _1_;\n  wire [3:0] _2_;\n  wire [3:0] _3_;\n  wire _4_;\n  wire _6_;\n  wire _7_;\n"
    "  input clk;\n  wire clk;\n  input a;\n  wire a;\n  output y;\n  wire y;\n  wire [1:0] \\u.q ;\n"
    "  FDRE #(\n    .INIT(1'hx)\n  ) _10_ (\n    .C(clk),\n    .CE(1'h1),\n    .D(a),\n    .Q(\\u.q [0]),\n"
    "    .R(1'h0)\n  );\n"
    "  LUT2 #(\n    .INIT(4'h6)\n  ) _11_ (\n    .I0(\\u.q [0]),\n    .I1(a),\n    .O(_0_)\n  );\n"
    "  CARRY4 _12_ (\n    .CI(1'h0),\n    .CO(_1_),\n    .CYINIT(1'h0),\n    .DI({ 3'h0, _0_ }),\n    .O(_2_),\n"
    "    .S({ 3'h0, _0_ })\n  );\n"
    "  CARRY4 _13_ (\n    .CI(_1_[3]),\n    .CO(_3_),\n    .CYINIT(1'h0),\n    .DI(4'h0),\n"
    "    .O({ _4_, _6_, \\u.q [1], _7_ }),\n    .S(4'h0)\n  );\n"
    "  FDRE #(\n    .INIT(1'hx)\n  ) _14_ (\n    .C(clk),\n    .CE(1'h1),\n    .D(\\u.q [1]),\n    .Q(y),\n"
    "    .R(1'h0)\n  );\n"
    "endmodule\n";

static void test_critical_path(void **state) {
  nf_timing t;
  nf_error err = {0};
  assert_int_equal(nf_timing_analyze(NETLIST, LIB, 0.16, &t, &err), 0);
  assert_true(t.valid);
  /* clk->Q 300 + route 160 + LUT2 I0 200 + route 160 + CARRY4 S0->CO3 300 +
   * dedicated CI (0) + CI->O1 150 + route 160 + setup 50 = 1480 ps; the
   * dangling O[3] (1520 ps) ends nothing */
  assert_true(t.critical_path_ns > 1.4799 && t.critical_path_ns < 1.4801);
  assert_int_equal(t.routed_nets, 3);
  assert_true(t.route_ns > 0.4799 && t.route_ns < 0.4801);
  assert_true(t.setup_ns > 0.0499 && t.setup_ns < 0.0501);
  assert_true(t.cell_ns > 0.9499 && t.cell_ns < 0.9501);
  assert_int_equal(t.cells, 4);
  assert_int_equal(t.luts, 1);
  assert_int_equal(t.carries, 2);
  assert_string_equal(t.start, "u.q[0]");
  assert_string_equal(t.end, "y");
  assert_true(t.fmax_mhz > 675.6 && t.fmax_mhz < 675.8);
  assert_non_null(strstr(t.path, "CARRY4"));

  /* no routing: the cells and the setup alone */
  assert_int_equal(nf_timing_analyze(NETLIST, LIB, 0, &t, &err), 0);
  assert_true(t.critical_path_ns > 0.9999 && t.critical_path_ns < 1.0001);
}

static void test_bad_netlists(void **state) {
  nf_timing t;
  nf_error err = {0};
  assert_int_equal(nf_timing_analyze("module top(a);\n  input a;\nendmodule\n", LIB, 0.16, &t, &err), NF_EINPUT);
  assert_non_null(strstr(err.msg, "no cells"));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_critical_path), cmocka_unit_test(test_bad_netlists)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
