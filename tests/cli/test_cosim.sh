# nnfirm convert -> nnfirm cosim on the real jet models: every output code of
# the RTL equals the emulator's (0 mismatches), latency and II as the manifest
# states; hand-edited projects and a missing simulator are refused (exit 2)
# without leaving a cosim/ directory. Icarus with a few rows for the 16-bit
# designs (it runs ~30 rows/s on them), Verilator on the 6-bit QKeras design with
# its softmax (a Verilator build costs 30-50 s of CPU here).
. "$(dirname "$0")/lib.sh"
K=$TESTDATA/models/keras
X=$TESTDATA/refs/inputs16.csv
ROWS=20
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=8

cosim_ok() { cosim_expect "$1" "$2" "$X" "$3" "$4"; } # <name> <project> <simulator> <rows>

printf 'Model:\n  Precision: ap_fixed<6,3>\nLayerType:\n  Dense:\n    Precision:\n      weight: ap_fixed<6,1>\n      bias: ap_fixed<6,1>\n      accum: ap_fixed<12,5>\n' > "$T/c6.yml"
printf 'Model:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 4\n' > "$T/rf4.yml"

expect_status 0 "convert default" -- "$NNFIRM" convert "$K/KERAS_3layer.json" -o "$T/p16"
cosim_ok "KERAS_3layer <16,6>" "$T/p16" iverilog "$ROWS"

expect_status 0 "convert 6-bit" -- "$NNFIRM" convert "$K/KERAS_3layer.json" --config "$T/c6.yml" -o "$T/p6"
cosim_ok "KERAS_3layer 6-bit" "$T/p6" iverilog 50

expect_status 0 "convert batch norm" -- "$NNFIRM" convert "$K/KERAS_3layer_batch_norm.json" -o "$T/pbn"
cosim_ok "batch norm" "$T/pbn" iverilog "$ROWS"

expect_status 0 "convert 70% pruned" -- "$NNFIRM" convert "$K/KERAS_3layer.json" \
  --weights "$K/KERAS_3layer_70pruned_retrained_weights.h5" -o "$T/ppr"
cosim_ok "70% pruned" "$T/ppr" iverilog "$ROWS"
full=$(grep -h "adders" "$T/p16/rtl/"*fc2*.v | sed -n 's/.* \([0-9]*\) adders.*/\1/p')
pruned=$(grep -h "adders" "$T/ppr/rtl/"*fc2*.v | sed -n 's/.* \([0-9]*\) adders.*/\1/p')
[ -n "$pruned" ] && [ "$pruned" -lt $((full / 2)) ] && pass || fail "pruned fc2 has $pruned adders, full $full"

expect_status 0 "convert ReuseFactor 4" -- "$NNFIRM" convert "$K/KERAS_3layer.json" --config "$T/rf4.yml" -o "$T/prf"
expect_eq "$(json_num II "$T/prf/manifest.json")" 4 "ReuseFactor 4: II in the manifest"
cosim_ok "ReuseFactor 4" "$T/prf" iverilog "$ROWS"

expect_status 0 "convert qkeras" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$K/qkeras_3layer_config.yml" -o "$T/pq"
cosim_ok "qkeras_3layer" "$T/pq" iverilog 50

# The table softmax in hardware: hls4ml's shipped QKeras settings (stable,
# 1024 entries, a wrapping 18-bit inverse table), and a small "latency"
# variant whose sums wrap and whose table addresses come from 6-bit codes.
{ cat "$K/qkeras_3layer_config.yml"; printf '\nSoftmax: true\n'; } > "$T/qsm.yml"
expect_status 0 "convert qkeras + softmax" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$T/qsm.yml" -o "$T/pqs"
grep -q "module myproject_softmax_exp" "$T/pqs/rtl/myproject_softmax_exp.v" && pass || fail "softmax exp ROM missing"
cosim_ok "qkeras_3layer + softmax" "$T/pqs" verilator 200
{ cat "$T/c6.yml"; printf 'Softmax: true\nLayerName:\n  output_softmax_softmax: {implementation: latency, table_size: 64, exp_table_t: "ap_fixed<8,4>", inv_table_t: "ap_fixed<8,2,AP_RND,AP_SAT>"}\n'; } > "$T/c6s.yml"
expect_status 0 "convert 6-bit + latency softmax" -- "$NNFIRM" convert "$K/KERAS_3layer.json" --config "$T/c6s.yml" -o "$T/p6s"
cosim_ok "6-bit + latency softmax" "$T/p6s" iverilog 50

# Bad input: hand edits, incomplete projects, a missing simulator.
rm -rf "$T/p6/cosim"
f=$(ls "$T/p6/rtl/"*fc1*.v | head -1)
cp "$f" "$T/saved.v"
sed 's/+ /- /' "$T/saved.v" > "$f"
expect_status 2 "hand-edited RTL" -- "$NNFIRM" cosim "$T/p6" --input "$X" --simulator iverilog --quiet
expect_err_contains "modified since 'nnfirm convert'" "hand-edited RTL message"
cp "$T/saved.v" "$f"
tbf=$(ls "$T/p6/tb/"tb_*.v | head -1)
mv "$tbf" "$T/tb.v"
expect_status 2 "incomplete project" -- "$NNFIRM" cosim "$T/p6" --input "$X" --simulator iverilog --quiet
expect_err_contains "tb/$(basename "$tbf"): missing" "incomplete project message"
mv "$T/tb.v" "$tbf"
expect_status 2 "missing simulator" -- env PATH=/nonexistent "$NNFIRM" cosim "$T/p6" --input "$X" --quiet
expect_err_contains "verilator not found" "missing simulator message"
expect_status 2 "unknown simulator" -- "$NNFIRM" cosim "$T/p6" --input "$X" --simulator modelsim
expect_status 2 "missing input" -- "$NNFIRM" cosim "$T/p6" --input "$T/none.csv" --quiet
expect_no_file "$T/p6/cosim" "failed co-simulations leave no cosim/"
expect_status 0 "help" -- "$NNFIRM" cosim --help
finish
