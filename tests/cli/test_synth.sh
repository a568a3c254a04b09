# nnfirm synth on small hand-written designs: counts that follow the logic,
# JSON output, and every failure mode leaving the project as it was.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/p/rtl"
cat > "$T/p/rtl/myproject.v" <<'V'
module myproject(input clk, input rst, input [7:0] a, input [7:0] b, output reg [8:0] y);
  always @(posedge clk) if (rst) y <= 0; else y <= a + b;
endmodule
V
expect_status 0 "synth small adder" -- "$NNFIRM" synth "$T/p" --json --quiet --no-abc9
lut=$(sed -n 's/.*"lut":[[:space:]]*\([0-9]*\).*/\1/p' "$T/out")
ff=$(sed -n 's/.*"ff":[[:space:]]*\([0-9]*\).*/\1/p' "$T/out")
expect_eq "$ff" "9" "9 output registers"
[ -n "$lut" ] && [ "$lut" -ge 4 ] && [ "$lut" -le 40 ] && pass || fail "adder LUT count '$lut' implausible"
grep -q '"lut_pct"' "$T/out" && pass || fail "lut_pct missing"
[ -f "$T/p/synth/netlist.v" ] && [ -f "$T/p/synth/report.json" ] && pass || fail "synth outputs missing"

# A wider adder costs more: counts follow the design.
sed 's/\[7:0\]/[23:0]/g; s/\[8:0\]/[24:0]/' "$T/p/rtl/myproject.v" > "$T/wide.v"
mkdir -p "$T/q/rtl" && cp "$T/wide.v" "$T/q/rtl/myproject.v"
expect_status 0 "synth wide adder" -- "$NNFIRM" synth "$T/q" --json --quiet --no-abc9
ff2=$(sed -n 's/.*"ff":[[:space:]]*\([0-9]*\).*/\1/p' "$T/out")
expect_eq "$ff2" "25" "25 output registers"

# Bad input: no rtl, syntax error, unknown part, missing yosys, time-out.
mkdir -p "$T/empty"
expect_status 2 "no rtl dir" -- "$NNFIRM" synth "$T/empty" --quiet
expect_err_contains "no rtl/ directory" "no rtl dir message"
mkdir -p "$T/bad/rtl" && echo "module myproject(input a; endmodule" > "$T/bad/rtl/myproject.v"
expect_status 2 "syntax error" -- "$NNFIRM" synth "$T/bad" --quiet
expect_err_contains "yosys failed" "syntax error message"
expect_no_file "$T/bad/synth" "failed synthesis leaves no synth dir"
expect_status 2 "unknown part" -- "$NNFIRM" synth "$T/p" --part xc9999 --quiet
expect_err_contains "unknown part" "unknown part message"
expect_status 2 "missing yosys" -- env PATH=/nonexistent "$NNFIRM" synth "$T/p" --quiet
expect_err_contains "Yosys not found" "missing yosys message"
cp "$T/p/synth/report.json" "$T/report.before"
expect_status 2 "time limit" -- "$NNFIRM" synth "$T/p" --timeout 0.01 --quiet
expect_err_contains "time limit" "time limit message"
cmp -s "$T/report.before" "$T/p/synth/report.json" && pass || fail "timed-out run changed the old report"
ls -d "$T/p"/synth.tmp-* >/dev/null 2>&1 && fail "temporary synth dir left" || pass
expect_status 2 "no project" -- "$NNFIRM" synth
expect_status 0 "help" -- "$NNFIRM" synth --help
# A relative project path (Yosys runs in its own work directory).
expect_status 0 "relative project path" -- sh -c "cd '$T' && \"\$0\" synth p --quiet --no-abc9" "$NNFIRM"
finish
