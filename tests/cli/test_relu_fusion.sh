#!/bin/sh
# ReLUFusion (src/rtl/emit.h, nf_rtl_relu_fold): a fully parallel Dense and the
# ReLU after it are one module whose sums carry the ReLU's rounding offset and
# whose register holds the ReLU's result. Every rounding mode of the ReLU's
# result type (half to even, QKeras' and the default; half up; the floors; the
# modes that differ only below zero) and both overflow modes are exact against
# the emulator (co-simulation, 0 mismatches), lint-clean, one module and one
# cycle per Dense + ReLU fewer than with ReLUFusion off; a Dense whose result
# type drops bits of its sum keeps its ReLU apart, and is exact too. Fused is
# cheaper by Yosys than apart on the same design. HGQ's FixedPointQuantizer
# in the ReLU's place (train --hgq-act, RND/SAT: unsigned, saturating, a type
# per neuron, some neurons the constant 0) fuses the same way, exact and
# lint-clean. Bad ReLUFusion values exit 2.
. "$SRCDIR/tests/cli/lib.sh"

"$NNFIRM" data synth -n 6000 --seed 11 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
tail -n +2 "$T/jets.csv" | head -1500 | cut -d, -f1-16 > "$T/x.csv"
expect_status 0 "train" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 16,8 --bits 4 --quant "input:a6i3" \
  --prune 0.5 --epochs 3 --quiet -o "$T/m.nnf"

fused() { # <project> <dense> <relu>: the Dense module holds the ReLU, which has none of its own
  head -1 "$1/rtl/myproject_$2.v" | grep -q "and the ReLU after it" && [ ! -e "$1/rtl/myproject_$3.v" ]
}
relu_cfg() { # <file> <relu result type> [extra JSON members]
  printf '{"LayerName": {"relu1": {"Precision": {"result": "%s"}}, "relu2": {"Precision": {"result": "%s"}}}%s}\n' \
    "$2" "$2" "${3:-}" > "$1"
}

# the default (QKeras' quantized_relu: ap_ufixed<4,0,AP_RND_CONV,AP_SAT>) against ReLUFusion off
printf '{"ReLUFusion": "off"}\n' > "$T/off.json"
expect_status 0 "convert (default)" -- "$NNFIRM" convert "$T/m.nnf" -o "$T/p"
expect_status 0 "convert (off)" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/off.json" -o "$T/off"
fused "$T/p" fc1 relu1 && fused "$T/p" fc2 relu2 && pass || fail "default: fc1/fc2 not fused with their ReLUs"
fused "$T/off" fc1 relu1 && fail "ReLUFusion off fused fc1 and relu1" || pass
grep -q '"relu_fusion":[[:space:]]*true' "$T/p/design.json" && pass || fail "design.json: relu_fusion not recorded"
expect_eq "$(($(json_num latency_cycles "$T/off/manifest.json") - 2))" "$(json_num latency_cycles "$T/p/manifest.json")" \
  "latency: each fused Dense + ReLU one cycle shorter"
lint_ok "default" "$T/p"
cosim_expect "default" "$T/p" "$T/x.csv" verilator 1500
cosim_expect "default" "$T/p" "$T/x.csv" iverilog 300
cosim_expect "off" "$T/off" "$T/x.csv" verilator 1500

# every rounding mode, saturating and wrapping, 3 fraction bits kept of the sum's more
for t in "ap_ufixed<5,2,AP_RND,AP_SAT>" "ap_ufixed<5,2,AP_TRN,AP_SAT>" "ap_ufixed<5,2,AP_RND_ZERO,AP_SAT>" \
  "ap_ufixed<5,2,AP_RND_MIN_INF,AP_SAT>" "ap_ufixed<5,2,AP_RND_INF,AP_SAT>" "ap_ufixed<5,2,AP_TRN_ZERO,AP_SAT>" \
  "ap_ufixed<5,2,AP_RND_CONV,AP_WRAP>" "ap_fixed<6,3,AP_RND_CONV,AP_SAT>" "ap_ufixed<3,1,AP_RND,AP_WRAP>"; do
  pn=$(echo "$t" | tr -c 'a-zA-Z0-9\n' '_')
  relu_cfg "$T/$pn.json" "$t"
  expect_status 0 "convert ($t)" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/$pn.json" -o "$T/$pn"
  fused "$T/$pn" fc1 relu1 && pass || fail "$t: fc1 and relu1 not fused"
  lint_ok "$t" "$T/$pn"
  cosim_expect "$t" "$T/$pn" "$T/x.csv" verilator 1500
done

# fc1's result type drops bits of its sum (a rounding cast before the ReLU): no fusion, still exact
printf '{"LayerName": {"fc1": {"Precision": {"result": "ap_fixed<8,4,AP_RND,AP_SAT>"}}}}\n' > "$T/narrow.json"
expect_status 0 "convert (narrow fc1 result)" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/narrow.json" -o "$T/narrow"
fused "$T/narrow" fc1 relu1 && fail "fc1 fused although its result type drops bits" || pass
fused "$T/narrow" fc2 relu2 && pass || fail "narrow fc1: fc2 and relu2 not fused"
cosim_expect "narrow fc1" "$T/narrow" "$T/x.csv" verilator 1500

# HGQ activations (RND/SAT, the ReLU's range): the quantizers fuse into fc1 and fc2, each neuron clipped to
# its own type, the dead ones (width 0) the constant 0 with no sum
expect_status 0 "train (HGQ activations)" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 16,8 --bits 4 \
  --quant "input:a6i3" --prune 0.5 --epochs 6 --hgq-act 3e-4 --hgq-lr 0.15 --hgq-act-range relu --quiet -o "$T/h.nnf"
expect_status 0 "convert (HGQ activations)" -- "$NNFIRM" convert "$T/h.nnf" -o "$T/ph"
expect_status 0 "convert (HGQ activations, off)" -- "$NNFIRM" convert "$T/h.nnf" --config "$T/off.json" -o "$T/phoff"
tr -d '\n\t ' < "$T/ph/design.json" | grep -o '"elem_t":\[[^]]*\]' > "$T/helem"
expect_eq "$(wc -l < "$T/helem" | tr -d ' ')" 2 "HGQ activations: two quantizers"
grep -q null "$T/helem" && pass || fail "HGQ activations: no neuron of width 0 (the constant-0 path untested): $(cat "$T/helem")"
[ "$(grep -o 'ap_ufixed<[0-9]*,[-0-9]*,AP_RND,AP_SAT>' "$T/helem" | sort -u | wc -l)" -gt 1 ] && pass ||
  fail "HGQ activations: one type for every neuron: $(cat "$T/helem")"
for q in "fc1 relu1_quantizer" "fc2 relu2_quantizer"; do
  set -- $q
  head -1 "$T/ph/rtl/myproject_$1.v" | grep -q "and the FixedPointQuantizer after it" && [ ! -e "$T/ph/rtl/myproject_$2.v" ] &&
    pass || fail "HGQ activations: $1 not fused with $2"
done
expect_eq "$(($(json_num latency_cycles "$T/phoff/manifest.json") - 2))" "$(json_num latency_cycles "$T/ph/manifest.json")" \
  "HGQ activations: each fused Dense + quantizer one cycle shorter"
lint_ok "HGQ activations" "$T/ph"
cosim_expect "HGQ activations" "$T/ph" "$T/x.csv" verilator 1500
cosim_expect "HGQ activations" "$T/ph" "$T/x.csv" iverilog 300
cosim_expect "HGQ activations, off" "$T/phoff" "$T/x.csv" verilator 1500

# Yosys: fused against apart, the same design
lutff() { echo $(($(json_num lut "$1/synth/report.json") + $(json_num ff "$1/synth/report.json"))); }
expect_status 0 "synth (fused)" -- "$NNFIRM" synth "$T/p" --quiet
expect_status 0 "synth (apart)" -- "$NNFIRM" synth "$T/off" --quiet
a=$(lutff "$T/p") o=$(lutff "$T/off")
[ "$a" -lt "$o" ] && pass || fail "Yosys LUT + FF fused $a, not below apart's $o"
expect_status 0 "synth (HGQ activations, fused)" -- "$NNFIRM" synth "$T/ph" --quiet
expect_status 0 "synth (HGQ activations, apart)" -- "$NNFIRM" synth "$T/phoff" --quiet
a=$(lutff "$T/ph") o=$(lutff "$T/phoff")
[ "$a" -lt "$o" ] && pass || fail "HGQ activations: Yosys LUT + FF fused $a, not below apart's $o"

# bad ReLUFusion: exit 2, the key named, no project
for bad in '"yes"' 1 true; do
  printf '{"ReLUFusion": %s}\n' "$bad" > "$T/bad.json"
  expect_status 2 "ReLUFusion $bad" -- "$NNFIRM" convert "$T/m.nnf" --config "$T/bad.json" -o "$T/never"
  expect_err_contains "ReLUFusion" "ReLUFusion $bad: message"
  expect_no_file "$T/never" "ReLUFusion $bad: no project"
done
finish
