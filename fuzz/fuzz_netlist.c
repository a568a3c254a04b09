/* libFuzzer: the netlist timing analysis (src/synth/timing.c) on arbitrary
 * bytes as the netlist, in either form it reads (Yosys' write_blif or
 * write_verilog), against a small fixed cell library in the specify-block
 * form of Yosys' xilinx/cells_sim.v. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"

static const char LIB[] =
    "module LUT2(output O, input I0, I1);\n"
    "  specify\n    (I0 => O) = 200;\n    (I1 => O) = 100;\n  endspecify\nendmodule\n"
    "module CARRY4(output [3:0] CO, output [3:0] O, input CI, input CYINIT, input [3:0] DI, S);\n"
    "  specify\n    (S[0] => CO[3]) = 300;\n    (DI[0] => CO[3]) = 250;\n    (CI => O[1]) = 150;\n"
    "    (CI => CO[3]) = 100;\n  endspecify\nendmodule\n"
    "module FDRE(output reg Q, input C, CE, D, R);\n"
    "  specify\n    $setup(D , posedge C &&& CE, 50);\n    $setup(CE, posedge C, 100);\n"
    "    if (!R && CE) (posedge C => (Q : D)) = 300;\n  endspecify\nendmodule\n"
    "module RAMB18E2(output [15:0] DOUTADOUT, input CLKARDCLK, input [13:0] ADDRARDADDR);\nendmodule\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  nf_timing t;
  nf_error err = {0};
  nf_timing_analyze(text, LIB, 0.16, &t, &err);
  free(text);
  return 0;
}
