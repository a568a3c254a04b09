# hls4ml's binary and ternary example models end to end (BinaryDense /
# TernaryDense): parameter counts, fixed-point predictions, the project's
# Verilog lint-clean; and bad quantizer input refused: exit 2, a message
# naming the file and the layer, nothing written.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; X="$TESTDATA/refs/inputs16.csv"

for m in KERAS_3layer_binary_smaller KERAS_3layer_ternary_small; do
  # 16*64 + 64*32 + 32*32 + 32*5 kernel weights (no biases), 4 per BN feature
  "$NNFIRM" model show "$K/$m.json" > "$T/show" 2>"$T/err"
  grep -q "Total params: 4788\$" "$T/show" && pass || fail "$m: $(grep Total "$T/show") $(cat "$T/err")"
  expect_status 0 "$m convert" -- "$NNFIRM" convert "$K/$m.json" -o "$T/$m"
  expect_eq "$(ls "$T/$m/rtl" | wc -l | tr -d ' ')" 9 "$m: top + 8 layer modules"
  if command -v verilator >/dev/null 2>&1; then
    expect_status 0 "$m lint" -- verilator --lint-only -Wall --top-module myproject "$T/$m"/rtl/*.v
  fi
  # After binary_tanh every input is -1 or +1: fc2 and fc3 read one bit per input
  # (XNOR-popcount); fc1's inputs are the features, read whole.
  if [ $m = KERAS_3layer_binary_smaller ]; then
    grep -q "wire signed \[1:0\] fc2_x0_\(pos\|neg\) = {1'b0, ~\{0,1\}in_data\[1\]};" "$T/$m/rtl/myproject_fc2.v" \
      && pass || fail "$m: fc2 does not read its binary inputs as bits"
    grep -q "fc3_x31_\(pos\|neg\)" "$T/$m/rtl/myproject_fc3.v" && pass || fail "$m: fc3 does not read its binary inputs as bits"
    grep -q "fc1_x0_\(pos\|neg\)" "$T/$m/rtl/myproject_fc1.v" && fail "$m: fc1's feature inputs read as bits" || pass
  fi
  expect_status 0 "$m fixed predict" -- "$NNFIRM" predict "$K/$m.json" --input "$X" --config default -o "$T/$m.csv"
  expect_eq "$(wc -l < "$T/$m.csv" | tr -d ' ')" 200 "$m: one row per input row"
done

# A Dense's quantizer with an argument QKeras does not have, in the string
# and in the dict form; a BinaryDense with H other than 1.
python3 - "$K/qkeras_3layer.json" "$K/KERAS_3layer_binary_smaller.json" "$T" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
for name, fix in (("str", lambda v: "quantized_bits(6, 0, alpha=1, frobnicate=3)"),
                  ("dict", lambda v: dict(v, config=dict(v["config"], frobnicate=3)))):
    c = json.loads(json.dumps(q))
    layers = c["config"]["layers"] if isinstance(c["config"], dict) else c["config"]
    fc2 = [l for l in layers if l["config"].get("name") == "fc2"][0]
    fc2["config"]["kernel_quantizer"] = fix(fc2["config"]["kernel_quantizer"])
    json.dump(c, open("%s/%s.json" % (sys.argv[3], name), "w"))
b = json.load(open(sys.argv[2]))
b["config"][3]["config"]["H"] = 2
json.dump(b, open(sys.argv[3] + "/h2.json", "w"))
PY
for f in str dict; do
  expect_status 2 "$f-form unknown quantizer argument" -- "$NNFIRM" convert "$T/$f.json" --weights "$K/qkeras_3layer_weights.h5" -o "$T/p_$f"
  expect_err_contains "$f.json" "$f: message names the file"
  expect_err_contains "layer 'fc2'" "$f: message names the layer"
  expect_err_contains "unknown quantizer argument 'frobnicate'" "$f: message names the argument"
  expect_no_file "$T/p_$f" "$f: no project after a refused model"
done
expect_status 2 "BinaryDense H=2" -- "$NNFIRM" convert "$T/h2.json" --weights "$K/KERAS_3layer_binary_smaller_weights.h5" -o "$T/p_h2"
expect_err_contains "layer 'fc2'" "H=2: message names the layer"
expect_err_contains "H=2" "H=2: message names the setting"
expect_no_file "$T/p_h2" "H=2: no project"
finish
