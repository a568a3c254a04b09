#!/bin/sh
# LUT-native neurons (src/rtl/lut.c; nnfirm train --fan-in, LutNeurons): a
# 16-16-8-5 model trained with 2-bit weights and activations and at most 3
# inputs per hidden neuron; every hidden neuron keeps at most 3 weights. fc2's
# neurons read 3 x 2 = 6 bits, so LutNeurons auto (the default) builds fc2
# and its ReLU as truth tables (fc1's read 3 x 4 = 12 bits: adders stay). The
# tables are exact (co-simulation against the emulator, 0 mismatches, two
# simulators), lint-clean, one cycle shorter than adders and a ReLU, and
# cheaper by Yosys than the same model with LutNeurons off; the estimate's
# table layer bounds Yosys' LUTs of that module from above and counts its
# flip-flops exactly. Bad LutNeurons values and --fan-in 0 exit 2.
. "$SRCDIR/tests/cli/lib.sh"

"$NNFIRM" data synth -n 20000 --seed 5 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
tail -n +2 "$T/jets.csv" | head -2000 | cut -d, -f1-16 > "$T/x.csv"

train_refused "fan-in 0" "--fan-in" --bits 2 --fan-in 0
train_refused "fan-in list too long" "--fan-in" --hidden 16,8 --bits 2 --fan-in 2,2,2
train_refused "fan-in not a number" "--fan-in" --hidden 16,8 --bits 2 --fan-in two
expect_status 0 "train" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 16,8 --bits 2 --quant "input:a4i3" \
  --fan-in 3 --prune 0.5 --epochs 6 --quiet -o "$T/m.nnf"

# one cap per hidden layer: fc1 uncapped (0), fc2 at most 2 inputs a neuron
expect_status 0 "train (per-layer fan-in)" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 16,8 --bits 2 \
  --fan-in 0,2 --epochs 2 --quiet -o "$T/m02.nnf"
expect_status 0 "convert (per-layer fan-in)" -- "$NNFIRM" convert "$T/m02.nnf" -o "$T/p02"

printf '{"LutNeurons": "off"}\n' > "$T/off.json"
expect_status 0 "convert (auto)" -- "$NNFIRM" convert "$T/m.nnf" -o "$T/p"
expect_status 0 "convert (off)" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/off.json" -o "$T/off"

# at most 3 nonzero weights per neuron of fc1 and fc2 (design.json: weights [n_in][n_out], row-major)
fanin() { # <design.json> <layer>: the largest count of nonzero weights of one neuron
  tr -d '\n\t' < "$1" | sed 's/{"name"/\n&/g' | grep "\"name\":[[:space:]]*\"$2\"" |
    sed -n 's/.*"n_out":\([0-9]*\).*"weights":"\([^"]*\)".*/\1 \2/p' |
    awk '{ n = $1; for (k = 2; k <= NF; k++) if ($k != 0) c[(k - 2) % n]++; for (j = 0; j < n; j++) if (c[j] > m) m = c[j]; print m + 0 }'
}
for l in fc1 fc2; do
  got=$(fanin "$T/p/design.json" $l)
  [ -n "$got" ] && [ "$got" -ge 1 ] && [ "$got" -le 3 ] && pass || fail "$l: a neuron reads '$got' inputs, at most 3 asked"
done

got=$(fanin "$T/p02/design.json" fc2)
[ -n "$got" ] && [ "$got" -ge 1 ] && [ "$got" -le 2 ] && pass || fail "fc2 (fan-in 0,2): a neuron reads '$got' inputs"
got=$(fanin "$T/p02/design.json" fc1)
[ -n "$got" ] && [ "$got" -gt 3 ] && pass || fail "fc1 (fan-in 0,2: uncapped): its widest neuron reads only '$got' inputs"

head -1 "$T/p/rtl/myproject_fc2.v" | grep -q "truth tables" && pass || fail "fc2 is not built as truth tables: $(head -1 "$T/p/rtl/myproject_fc2.v")"
grep -q "localparam \[63:0\] fc2_o[0-9]*_tt" "$T/p/rtl/myproject_fc2.v" && pass || fail "fc2: no 64-entry table"
[ ! -e "$T/p/rtl/myproject_relu2.v" ] && pass || fail "relu2 has a module of its own beside fc2's tables"
head -1 "$T/p/rtl/myproject_fc1.v" | grep -q "truth tables" && fail "fc1 (12 index bits) was built as tables" || pass
grep -q "truth tables" "$T/off/rtl/"*.v && fail "LutNeurons off built tables" || pass

lint_ok "auto" "$T/p"
cosim_expect "auto" "$T/p" "$T/x.csv" verilator 2000
cosim_expect "auto" "$T/p" "$T/x.csv" iverilog 300
expect_eq "$(($(json_num latency_cycles "$T/off/manifest.json") - 1))" "$(json_num latency_cycles "$T/p/manifest.json")" \
  "latency: the tables take one cycle where adders and a registered ReLU take two"

# Yosys: the whole design cheaper than with adders; the table module against the estimate
lutff() { json_num "$1" "$2/synth/report.json"; }
expect_status 0 "synth (auto)" -- "$NNFIRM" synth "$T/p" --quiet
expect_status 0 "synth (off)" -- "$NNFIRM" synth "$T/off" --quiet
a=$(($(lutff lut "$T/p") + $(lutff ff "$T/p"))) o=$(($(lutff lut "$T/off") + $(lutff ff "$T/off")))
[ "$a" -lt "$o" ] && pass || fail "Yosys LUT + FF with tables $a, not below adders' $o"
yosys -q -p "read_verilog $T/p/rtl/myproject_fc2.v; synth_xilinx -family xcup -top myproject_fc2 -flatten -abc9 -nodsp -noiopad; tee -o $T/fc2.stat stat" >/dev/null 2>&1 ||
  fail "yosys on myproject_fc2"
ylut=$(awk '$1 ~ /^LUT[1-6]$/ { s += $2 } END { print s + 0 }' "$T/fc2.stat")
yff=$(awk '$1 ~ /^FD[RS]E$/ { s += $2 } END { print s + 0 }' "$T/fc2.stat")
expect_status 0 "estimate" -- "$NNFIRM" estimate "$T/p"
elut=$(awk '$1 == "fc2" { print $5 }' "$T/out") eff=$(awk '$1 == "fc2" { print $6 }' "$T/out")
[ "$ylut" -ge 1 ] && [ "$ylut" -le "$elut" ] && pass || fail "fc2 tables: Yosys $ylut LUT, estimated $elut (an upper bound)"
expect_eq "$yff" "$eff" "fc2 tables: flip-flops, Yosys against the estimate"

# bad LutNeurons: exit 2, the key named, no project
for bad in '"on"' 13 0 '2.5'; do
  printf '{"LutNeurons": %s}\n' "$bad" > "$T/bad.json"
  expect_status 2 "LutNeurons $bad" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/bad.json" -o "$T/never"
  expect_err_contains "LutNeurons" "LutNeurons $bad: message"
  expect_no_file "$T/never" "LutNeurons $bad: no project"
done
finish
