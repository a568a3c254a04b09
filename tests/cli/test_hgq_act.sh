#!/bin/sh
# Per-neuron activation bits (HGQ activations, nnfirm train --hgq-act): a
# 16-8-5 model trained on synthetic jets gets a FixedPointQuantizer after its
# ReLU with a type per neuron (the bits differ across neurons), stored in the
# .nnf; the bit-accurate emulator computes the model's own quantized values
# (the quantizer's outputs and the logits) exactly on every row; co-simulation
# of the generated project has 0 mismatches; the modes are the ones trained
# (TRN/WRAP, or RND/SAT); bad options exit 2 with no model written.
. "$SRCDIR/tests/cli/lib.sh"

"$NNFIRM" data synth -n 6000 --seed 5 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
tail -n +2 "$T/jets.csv" | cut -d, -f1-16 > "$T/x.csv" # features only, every row (the test rows among them)
head -40 "$T/x.csv" > "$T/x40.csv"

# ---- Bad input: exit 2, a message, no model ----
train_refused "per-neuron bits without quantized kernels" "quantized_bits Dense kernels" --hgq-act 1e-5
train_refused "unknown mode" "--hgq-act-mode" --bits 6 --hgq-act 1e-5 --hgq-act-mode round
train_refused "mode without --hgq-act" "goes with --hgq-act" --bits 6 --hgq-act-mode rnd-sat
train_refused "negative penalty" "--hgq-act" --bits 6 --hgq-act -1
train_refused "range without --hgq-act" "goes with --hgq-act" --bits 6 --hgq-act-range relu
train_refused "unknown range" "expected seen or relu" --bits 6 --hgq-act 1e-5 --hgq-act-range all
train_refused "the ReLU's range under a wrap" "needs --hgq-act-mode rnd-sat" --bits 6 --hgq-act 1e-5 \
  --hgq-act-mode trn-wrap --hgq-act-range relu

# check <name> <mode> <type pattern> <modes as model show prints them> [train options]: train, store,
# emulate, co-simulate
check() {
  name=$1 mode=$2 pattern=$3 shown=$4
  shift 4
  expect_status 0 "$name: train" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 8 --bits 6 --hgq-act 2e-4 \
    --hgq-act-mode "$mode" --epochs 6 --json -o "$T/$name.nnf" "$@"
  nbits=$(json_num activation_bits "$T/out")
  [ -n "$nbits" ] && [ "$nbits" -gt 0 ] && [ "$nbits" -lt $((8 * 6 + 8 * 8)) ] && pass ||
    fail "$name: activation_bits '$nbits' (8 neurons, starting at 6 fraction bits)"
  expect_status 0 "$name: model show" -- "$NNFIRM" model show "$T/$name.nnf"
  grep -qE "relu1_quantizer \(FixedPointQuantizer\) +$shown [0-9.]+ bits" "$T/out" && pass ||
    fail "$name: no $shown quantizer after relu1: $(grep relu1 "$T/out")"
  expect_status 0 "$name: convert" -- "$NNFIRM" convert "$T/$name.nnf" --config default -o "$T/p_$name"
  # relu1_quantizer's element types: one a neuron, not all the same, in the trained modes
  tr -d '\n\t ' < "$T/p_$name/design.json" | sed 's/"elem_t":\[/\n&/g' | sed -n 2p | sed 's/\].*//' |
    grep -oE '"ap_u?fixed<[^>]*>"|null' > "$T/elem" # one type a line
  expect_eq "$(wc -l < "$T/elem" | tr -d ' ')" 8 "$name: element types of relu1_quantizer"
  [ -n "${one_type_ok:-}" ] || [ "$(sort -u "$T/elem" | wc -l)" -gt 1 ] && pass ||
    fail "$name: every neuron has the same type: $(cat "$T/elem")"
  expect_eq "$(grep -cE "$pattern" "$T/elem")" 8 "$name: element types in the trained modes ($pattern): $(cat "$T/elem")"
  # the emulator equals the model's own quantized forward, value for value
  for layer in relu1_quantizer output; do
    "$NNFIRM" predict "$T/$name.nnf" --input "$T/x.csv" --layer $layer > "$T/f.csv" 2>/dev/null
    "$NNFIRM" predict "$T/$name.nnf" --input "$T/x.csv" --layer $layer --config default > "$T/q.csv" 2>/dev/null
    d=$(paste -d, "$T/f.csv" "$T/q.csv" | awk -F, '{n=NF/2; for(i=1;i<=n;i++) if ($i+0 != $(i+n)+0) d++} END {print d+0 "/" NR}')
    expect_eq "$d" "0/6000" "$name: $layer values differing between the model and the emulator / rows"
  done
  expect_status 0 "$name: eval the model" -- "$NNFIRM" eval "$T/$name.nnf" --data "$T/jets.csv" --split test --json
  macc=$(json_num accuracy "$T/out")
  expect_status 0 "$name: eval the project" -- "$NNFIRM" eval "$T/p_$name" --data "$T/jets.csv" --split test --json
  expect_eq "$(json_num accuracy "$T/out")" "$macc" "$name: bit-accurate test accuracy equals the model's"
  cosim_expect "$name" "$T/p_$name" "$T/x40.csv" iverilog 40
}
check trn trn-wrap '^"ap_ufixed<[0-9]+,-?[0-9]+>"$|^null$' TRN/WRAP # ap_fixed's defaults: AP_TRN, AP_WRAP
check rnd rnd-sat '^"ap_ufixed<[0-9]+,-?[0-9]+,AP_RND,AP_SAT>"$|^null$' RND/SAT
# the ReLU's range: quantized_relu(6,0) saturates at 63/64, so no neuron has an integer bit (the range
# seen in training gives the ones above 1 some: the check has something to tell apart)
grep -qE '"ap_ufixed<[0-9]+,[1-9][0-9]*,' "$T/elem" && pass || fail "rnd: no neuron above 1 to cap: $(cat "$T/elem")"
# (in 6 epochs the fraction bits move alike: one type for all is fine here)
one_type_ok=1
check relu rnd-sat '^"ap_ufixed<[0-9]+,(0|-[0-9]+),AP_RND,AP_SAT>"$|^null$' RND/SAT --hgq-act-range relu
one_type_ok=
if command -v verilator >/dev/null 2>&1; then
  head -400 "$T/x.csv" > "$T/x400.csv"
  cosim_expect trn "$T/p_trn" "$T/x400.csv" verilator 400
  lint_ok trn "$T/p_trn"
fi
finish
