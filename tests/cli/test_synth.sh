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
[ -f "$T/p/synth/netlist.blif" ] && [ -f "$T/p/synth/report.json" ] && pass || fail "synth outputs missing"

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
# Timing from the netlist: a small generated design meets the clock its
# pipeline was placed for (the generator's delay model, checked by the
# netlist's own timing), and the same netlist fails a 2 ns clock by a stated
# margin; hand-written RTL gets a critical path but no clock to meet.
grep -q '"critical_path_ns"' "$T/p/synth/report.json" && pass || fail "hand-written RTL: no critical path"
grep -q '"meets_timing"' "$T/p/synth/report.json" && fail "hand-written RTL has no clock to meet" || pass
"$NNFIRM" data synth -n 3000 --seed 3 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
expect_status 0 "train a small QAT model" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 8 --epochs 2 --bits 4 \
  --prune 0.5 --quiet -o "$T/s.nnf"
printf 'Model:\n  Precision: ap_fixed<16,6>\nClockPeriod: 8\n' > "$T/c8.yml"
expect_status 0 "convert at 8 ns" -- "$NNFIRM" convert "$T/s.nnf" --config "$T/c8.yml" -o "$T/g"
expect_status 0 "synth the generated design" -- "$NNFIRM" synth "$T/g" --json --quiet
num() { sed -n "s/.*\"$1\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$T/out" | head -1; }
cp_ns=$(num critical_path_ns) flat_lut=$(num lut) flat_ff=$(num ff)
expect_eq "$(num clock_period_ns)" "8" "the project's ClockPeriod is checked"
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "8 ns design does not meet its clock (critical path $cp_ns ns)"
awk -v c="$cp_ns" 'BEGIN { exit !(c > 0 && c <= 8) }' && pass || fail "critical path '$cp_ns' not in (0, 8]"
grep -q '"start":' "$T/out" && grep -q '"end":' "$T/out" && pass || fail "path start/end missing"
expect_eq "$(num latency_cycles)" "$(sed -n 's/.*"latency_cycles":[[:space:]]*\([0-9]*\).*/\1/p' "$T/g/manifest.json")" "latency in the report"
expect_status 0 "synth against a 2 ns clock" -- "$NNFIRM" synth "$T/g" --clock 2 --quiet
grep -q "FAILS the 2 ns clock (500.0 MHz) by" "$T/out" && pass || fail "no failure margin: $(cat "$T/out")"
grep -q "cycles at 2 ns" "$T/out" && pass || fail "latency not printed with its clock"
grep -q '"meets_timing":[[:space:]]*false' "$T/g/synth/report.json" && pass || fail "report.json says it meets 2 ns"
expect_status 2 "bad clock" -- "$NNFIRM" synth "$T/g" --clock 0 --quiet
# Split synthesis (--jobs): each layer module synthesized alone, the mapped
# parts joined. The counts follow the flat run's (optimization does not cross
# the layers' boundaries, so they may differ a little) and the timing is read
# on the joined netlist, across the boundaries.
expect_status 0 "split synth, 2 jobs" -- "$NNFIRM" synth "$T/g" --jobs 2 --json --quiet
parts=$(num parts)
n_mod=$(grep -c '^module' "$T"/g/rtl/*.v | awk -F: '{ s += $2 } END { print s - 1 }')
expect_eq "$parts" "$n_mod" "one part per module the top instantiates"
[ "$(ls "$T/g/synth/parts" | wc -l)" -eq "$n_mod" ] && pass || fail "parts/ does not hold one directory per part"
awk -v a="$(num lut)" -v b="$flat_lut" 'BEGIN { exit !(a >= 0.95 * b && a <= 1.05 * b) }' && pass ||
  fail "split LUT $(num lut) not within 5% of flat $flat_lut"
awk -v a="$(num ff)" -v b="$flat_ff" 'BEGIN { exit !(a >= 0.95 * b && a <= 1.05 * b) }' && pass ||
  fail "split FF $(num ff) not within 5% of flat $flat_ff"
awk -v a="$(num critical_path_ns)" -v b="$cp_ns" 'BEGIN { exit !(a > 0 && a >= 0.8 * b && a <= 1.25 * b) }' && pass ||
  fail "split critical path $(num critical_path_ns) ns far from flat $cp_ns ns"
grep -q "^flatten" "$T/g/synth/synth.ys" && pass || fail "the joining script does not flatten the parts"
expect_eq "$(num parts)" "$(grep -c '^read_rtlil "parts/' "$T/g/synth/synth.ys")" "the joining script reads every part"
expect_status 2 "bad --jobs" -- "$NNFIRM" synth "$T/g" --jobs 0 --quiet
expect_err_contains "--jobs needs" "bad --jobs message"
# A hand-written single module has nothing to split: a flat run.
expect_status 0 "nothing to split" -- "$NNFIRM" synth "$T/p" --jobs 2 --json --quiet --no-abc9
expect_eq "$(num parts)" "0" "single module: flat"
# A relative project path (Yosys runs in its own work directory).
expect_status 0 "relative project path" -- sh -c "cd '$T' && \"\$0\" synth p --quiet --no-abc9" "$NNFIRM"
finish
