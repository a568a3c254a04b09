# The generated Verilog is lint-clean and readable, for every kind of design
# the tests use: `verilator --lint-only -Wall` over each project's rtl/ gives
# no warning at all and `iverilog -Wall` prints nothing; every file starts
# with a header comment; signals are named (no anonymous s<N>), output j's
# adder tree is findable by name, and there are no dead mux arms.
. "$(dirname "$0")/lib.sh"
K=$TESTDATA/models/keras

command -v verilator >/dev/null 2>&1 || { fail "verilator not installed (scripts/install-deps.sh installs it)"; finish; exit 1; }
command -v iverilog >/dev/null 2>&1 || { fail "iverilog not installed (scripts/install-deps.sh installs it)"; finish; exit 1; }

convert() { # <name> <dir> <convert args...>
  what=$1 dir=$2
  shift 2
  expect_status 0 "$what: convert" -- "$NNFIRM" convert "$@" -o "$dir"
}

printf 'Model:\n  Precision: ap_fixed<8,3>\n' > "$T/c8.yml"
printf 'Model:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 4\n' > "$T/rf4.yml"
{ cat "$K/qkeras_3layer_config.yml"; printf '\nSoftmax: true\n'; } > "$T/qsm.yml"
printf 'Model:\n  Precision: ap_fixed<6,3>\nSoftmax: true\nLayerName:\n  output_softmax_softmax: {implementation: latency, table_size: 64, exp_table_t: "ap_fixed<8,4>", inv_table_t: "ap_fixed<8,2,AP_RND,AP_SAT>"}\n' > "$T/c6s.yml"

convert "KERAS_3layer <16,6>" "$T/k16" "$K/KERAS_3layer.json"
lint_ok "KERAS_3layer <16,6>" "$T/k16"
# output 3 of the first Dense: its adder tree by name (layer, output, level, index)
grep -qE "wire signed \[[0-9]+:0\] fc1_relu_o3_l[0-9]+_0 = " "$T/k16/rtl/myproject_fc1_relu.v" && pass \
  || fail "output 3's adder tree (fc1_relu_o3_l<level>_0) not found by name"
convert "KERAS_3layer <8,3>" "$T/k8" "$K/KERAS_3layer.json" --config "$T/c8.yml"
lint_ok "KERAS_3layer <8,3>" "$T/k8"
convert "qkeras_3layer" "$T/q" "$K/qkeras_3layer.json" --config "$K/qkeras_3layer_config.yml"
lint_ok "qkeras_3layer" "$T/q"
convert "batch norm" "$T/bn" "$K/KERAS_3layer_batch_norm.json"
lint_ok "batch norm" "$T/bn"
convert "70% pruned" "$T/pr" "$K/KERAS_3layer.json" --weights "$K/KERAS_3layer_70pruned_retrained_weights.h5"
lint_ok "70% pruned" "$T/pr"
convert "ReuseFactor 4" "$T/rf4" "$K/KERAS_3layer.json" --config "$T/rf4.yml"
lint_ok "ReuseFactor 4" "$T/rf4"
convert "qkeras_3layer + softmax" "$T/qsm" "$K/qkeras_3layer.json" --config "$T/qsm.yml"
lint_ok "qkeras_3layer + softmax" "$T/qsm"
[ -f "$T/qsm/rtl/myproject_softmax_exp.v" ] && [ -f "$T/qsm/rtl/myproject_softmax_inv.v" ] && pass \
  || fail "the softmax ROMs are not in files of their own"
convert "6-bit + latency softmax" "$T/c6s" "$K/KERAS_3layer.json" --config "$T/c6s.yml"
lint_ok "6-bit + latency softmax" "$T/c6s"

# Average pooling in io_stream: padded windows (a position counter, constant dividers), global pooling.
convert "average pooling" "$T/avg" "$TESTDATA/models/onnx/nnfirm_avgpool.onnx"
lint_ok "average pooling" "$T/avg"

# A small QAT + pruned design like the search's winners (4-bit, 80% sparse):
# narrow unsigned activations, constant neurons, inputs no weight reads.
"$NNFIRM" data synth -n 4000 --seed 5 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
expect_status 0 "QAT + pruning training" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 24,12 --epochs 3 --bits 4 \
  --prune 0.8 --quiet -o "$T/w.nnf"
convert "QAT 4-bit 80% pruned" "$T/win" "$T/w.nnf" --config default
lint_ok "QAT 4-bit 80% pruned" "$T/win"
finish
