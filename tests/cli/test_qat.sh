#!/bin/sh
# Quantization-aware training and pruning end to end: a 6-bit QAT model
# converted with the default configuration gives the bit-accurate design the
# model's own accuracy, row for row (argmax of every row); pruning reaches its
# target, eval reports it, the weight plots are written; bad quantizer specs,
# pruning targets and schedules are refused with exit 2 and nothing written.
. "$SRCDIR/tests/cli/lib.sh"

json_num() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1" | head -1; }
argmax='{m=1; for(i=2;i<=NF;i++) if ($i+0 > $m+0) m=i; print m}'

"$NNFIRM" data synth -n 20000 --seed 11 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
tail -n +2 "$T/jets.csv" | cut -d, -f1-16 > "$T/x.csv" # features only, every row

# ---- Bad input: exit 2, a message naming the problem, no model written ----
train_refused "integer bits > bits" "7 integer bits plus the sign bit exceed the 6 bits" --quant "fc1:w6i7"
train_refused "activation integer bits > bits" "exceed the 4 bits" --quant "fc2:w6i0,a4i5"
train_refused "zero bits in a spec" "0 bits" --quant "fc1:w0"
train_refused "zero bits" "--bits" --bits 0
train_refused "unknown layer" "fc9" --quant "fc9:w6i0"
train_refused "quantizer on the softmax" "softmax" --bits 6 --quant "output:a6i0"
train_refused "QAT with batchnorm" "BatchNormalization" --bits 6 --batchnorm
train_refused "pruning target 1" "[0, 1)" --prune 1
train_refused "negative pruning target" "[0, 1)" --prune -0.25
train_refused "per-layer pruning target out of range" "outside [0, 1)" --prune "fc1:1.5"
train_refused "schedule ends before it begins" "before it begins" --prune 0.5 --prune-schedule "begin=50,end=10"
train_refused "schedule beyond the training" "only 12 steps" --prune 0.5 --prune-schedule "begin=0,end=500"
train_refused "unknown schedule key" "speed" --prune 0.5 --prune-schedule "speed=3"
train_refused "zero frequency" "frequency" --prune 0.5 --prune-schedule "begin=0,end=10,freq=0"
train_refused "bad scope" "--prune-scope" --prune 0.5 --prune-scope everything
printf 'fc1: {kernel_quantizer: "quantized_bits(4,6)"}\n' > "$T/badq.yml"
train_refused "inconsistent quantizer in a config file" "fc1.kernel_quantizer" --quant-config "$T/badq.yml"

# ---- 6-bit QAT: the design computes exactly what the model computes ----
expect_status 0 "QAT 6-bit training" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 3 --bits 6 --quiet -o "$T/q6.nnf"
expect_status 0 "model show" -- "$NNFIRM" model show "$T/q6.nnf"
grep -q "input_quant.*quantized_bits(16,5)" "$T/out" && pass || fail "QAT model lacks its input quantizer"
grep -q "relu1.*quantized_relu(6,0)" "$T/out" && pass || fail "QAT model lacks its activation quantizer"
expect_status 0 "convert the QAT model (default config)" -- "$NNFIRM" convert "$T/q6.nnf" --config default -o "$T/p6"
grep -q '"weight_t":[[:space:]]*"ap_fixed<6,1,AP_RND_CONV,AP_SAT>"' "$T/p6/design.json" && pass || fail "weights not the quantizer's type"
grep -q '"result_t":[[:space:]]*"ap_ufixed<6,0,AP_RND_CONV,AP_SAT>"' "$T/p6/design.json" && pass || fail "ReLU not the quantizer's type"
expect_status 0 "eval the model" -- "$NNFIRM" eval "$T/q6.nnf" --data "$T/jets.csv" --split test --json
macc=$(json_num "$T/out" accuracy)
expect_status 0 "eval the project" -- "$NNFIRM" eval "$T/p6" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" accuracy)" "$macc" "bit-accurate accuracy equals the QAT model's"
expect_eq "$(json_num "$T/out" float_accuracy)" "$macc" "eval PROJECT's float accuracy is the model's"
# A configuration written by 'nnfirm config --granularity name' keeps the exactness.
expect_status 0 "config by name" -- "$NNFIRM" config "$T/q6.nnf" --granularity name -o "$T/q6c.json"
expect_status 0 "convert with it" -- "$NNFIRM" convert "$T/q6.nnf" --config "$T/q6c.json" -o "$T/p6c"
expect_status 0 "eval that project" -- "$NNFIRM" eval "$T/p6c" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" accuracy)" "$macc" "generated-config design accuracy equals the model's"
# Row for row: the float model's argmax and the design's argmax on every row.
expect_status 0 "predict (model)" -- "$NNFIRM" predict "$T/q6.nnf" --input "$T/x.csv" -o "$T/pf.csv"
expect_status 0 "predict (design)" -- "$NNFIRM" predict "$T/q6.nnf" --config default --input "$T/x.csv" -o "$T/pq.csv"
awk -F, "$argmax" "$T/pf.csv" > "$T/af"
awk -F, "$argmax" "$T/pq.csv" > "$T/aq"
expect_eq "$(wc -l < "$T/aq" | tr -d ' ')" 20000 "a prediction per row"
expect_eq "$(paste "$T/af" "$T/aq" | awk '$1 != $2' | wc -l | tr -d ' ')" 0 "rows whose argmax differs"
# The hidden activations agree too, not just the decision (relu1 on the 6-bit grid).
"$NNFIRM" predict "$T/q6.nnf" --input "$T/x.csv" --layer relu1 > "$T/hf.csv" 2>/dev/null
"$NNFIRM" predict "$T/q6.nnf" --input "$T/x.csv" --layer relu1 --config default > "$T/hq.csv" 2>/dev/null
same=$(paste -d, "$T/hf.csv" "$T/hq.csv" | awk -F, '{n=NF/2; for(i=1;i<=n;i++) if ($i+0 != $(i+n)+0) d++} END {print d+0}')
expect_eq "$same" 0 "relu1 values differing between the model and the design"

# ---- QAT + pruning ----
expect_status 0 "QAT + pruning" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 4 --bits 6 --prune 0.75 \
  --plot-weights "$T/wplots" --json -o "$T/qp.nnf"
sp=$(json_num "$T/out" sparsity)
awk -v s="$sp" 'BEGIN { exit !(s >= 0.75 && s < 0.8) }' && pass || fail "train sparsity $sp, expected 0.75 (+ quantized zeros)"
for l in fc1 fc2 fc3 output; do
  [ -s "$T/wplots/weights_$l.png" ] && [ -s "$T/wplots/weights_$l.svg" ] && pass || fail "weight plot of $l missing"
done
expect_status 0 "eval the pruned model" -- "$NNFIRM" eval "$T/qp.nnf" --data "$T/jets.csv" --split test --json
cp "$T/out" "$T/qp_eval.json"
grep -q '"sparsity_per_layer":{"fc1":' "$T/qp_eval.json" && pass || fail "eval --json lacks sparsity_per_layer"
expect_eq "$(json_num "$T/qp_eval.json" sparsity)" "$sp" "eval sparsity equals train's"
expect_status 0 "convert the pruned model" -- "$NNFIRM" convert "$T/qp.nnf" --config default -o "$T/pp"
expect_status 0 "eval the pruned project" -- "$NNFIRM" eval "$T/pp" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" accuracy)" "$(json_num "$T/qp_eval.json" accuracy)" "pruned design accuracy equals the model's"
expect_eq "$(json_num "$T/out" sparsity)" "$sp" "the design's zero weights are the model's"
# Global scope and per-layer targets
expect_status 0 "global pruning" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 3 --prune 0.6 --prune-scope global \
  --json --quiet -o "$T/g.nnf"
sg=$(json_num "$T/out" sparsity)
awk -v s="$sg" 'BEGIN { exit !(s > 0.595 && s < 0.605) }' && pass || fail "global sparsity $sg, expected 0.6"
expect_status 0 "per-layer targets" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 3 --prune "fc1:0.5,fc2:0.9" \
  --json --quiet -o "$T/pl.nnf"
# fc2 keeps round(2048 * 0.1) = 205 weights: 1843/2048 zero; fc3 and output untouched
per=$(grep -o '"sparsity_per_layer":{[^}]*}' "$T/out")
expect_eq "$per" '"sparsity_per_layer":{"fc1":0.5,"fc2":0.89990234375,"fc3":0,"output":0}' "per-layer targets"
# ---- Per-weight bits (HGQ) ----
train_refused "HGQ without quantized kernels" "HGQ needs quantized_bits kernels" --hgq 1e-5
train_refused "--hgq-lr alone" "--hgq-lr goes with --hgq" --hgq-lr 0.1
train_refused "--hgq-penalty alone" "--hgq-penalty goes with --hgq," --hgq-penalty ops
train_refused "unknown --hgq-penalty" "expected bits or ops" --bits 8 --hgq 1e-5 --hgq-penalty luts
expect_status 0 "HGQ training" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 3 --bits 8 --hgq 1e-4 --hgq-lr 0.1 --json --quiet \
  -o "$T/h.nnf"
b1=$(sed -n 's/.*"weight_bits_per_layer":{"fc1":\([0-9.]*\).*/\1/p' "$T/out")
awk -v b="$b1" 'BEGIN { exit !(b > 1 && b < 6) }' && pass || fail "HGQ fc1 mean bits '$b1' not well below the 8 bits"
expect_status 0 "model show (HGQ)" -- "$NNFIRM" model show "$T/h.nnf"
grep -q "Mean bits of nonzero weights" "$T/out" && pass || fail "model show lacks the mean weight bits"
expect_status 0 "convert the HGQ model" -- "$NNFIRM" convert "$T/h.nnf" --config default -o "$T/ph"
expect_status 0 "eval the HGQ model" -- "$NNFIRM" eval "$T/h.nnf" --data "$T/jets.csv" --split test --json
hacc=$(json_num "$T/out" accuracy)
expect_status 0 "eval the HGQ project" -- "$NNFIRM" eval "$T/ph" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" accuracy)" "$hacc" "HGQ design accuracy equals the model's"
# the penalty per bit operation the RTL builds (input bits x nonzero signed digits)
expect_status 0 "HGQ training, ops penalty" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 3 --bits 8 --hgq 3e-5 \
  --hgq-penalty ops --hgq-lr 0.1 --json --quiet -o "$T/ho.nnf"
b1=$(sed -n 's/.*"weight_bits_per_layer":{"fc1":\([0-9.]*\).*/\1/p' "$T/out")
awk -v b="$b1" 'BEGIN { exit !(b > 1 && b < 6) }' && pass || fail "HGQ (ops) fc1 mean bits '$b1' not well below the 8 bits"
expect_status 0 "convert the HGQ (ops) model" -- "$NNFIRM" convert "$T/ho.nnf" --config default -o "$T/pho"
expect_status 0 "eval the HGQ (ops) model" -- "$NNFIRM" eval "$T/ho.nnf" --data "$T/jets.csv" --split test --json
hacc=$(json_num "$T/out" accuracy)
expect_status 0 "eval the HGQ (ops) project" -- "$NNFIRM" eval "$T/pho" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" accuracy)" "$hacc" "HGQ (ops) design accuracy equals the model's"
finish
