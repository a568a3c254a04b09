# nnfirm import / model show on every shared model: parameter counts, the
# .nnf round trip giving the same predictions, unsupported models refused.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; O="$TESTDATA/models/onnx"; X="$TESTDATA/refs/inputs16.csv"

check_params() { # <model> <expected total> [weights]
  if [ -n "${3:-}" ]; then "$NNFIRM" model show "$1" --weights "$3" > "$T/show" 2>"$T/err"; else "$NNFIRM" model show "$1" > "$T/show" 2>"$T/err"; fi
  grep -q "Total params: $2\$" "$T/show" && pass || fail "$1: expected $2 params: $(grep Total "$T/show") $(cat "$T/err")"
}
check_params "$K/KERAS_3layer.json" 4389
check_params "$K/KERAS_3layer_batch_norm.json" 4921
check_params "$K/qkeras_3layer.json" 4389
check_params "$O/three_layer_keras.onnx" 4389
check_params "$O/three_layer_pytorch.onnx" 4389

# Import to .nnf: same float predictions, bit for bit (float32 weights kept).
for m in "$K/KERAS_3layer.json" "$K/qkeras_3layer.json" "$O/three_layer_bn_pytorch.onnx"; do
  expect_status 0 "import $m" -- "$NNFIRM" import "$m" -o "$T/m.nnf"
  "$NNFIRM" predict "$m" --input "$X" -o "$T/a.csv" && "$NNFIRM" predict "$T/m.nnf" --input "$X" -o "$T/b.csv" || fail "predict $m"
  cmp -s "$T/a.csv" "$T/b.csv" && pass || fail "$m: .nnf predictions differ from the source model's"
done
# QKeras quantizers in their string form ("quantized_bits(6,0,alpha=1)") import
# as the dict form does; settings nnfirm cannot honour are refused by name.
python3 - "$K/qkeras_3layer.json" "$T" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
def text(q):
    c = q["config"]
    if q["class_name"] == "quantized_bits":
        return "quantized_bits(%d, %d, alpha=%g)" % (c["bits"], c["integer"], c.get("alpha") or 1)
    return "%s(%d,%d)" % (q["class_name"], c["bits"], c["integer"])
def walk(o, fix):
    if isinstance(o, dict):
        for k, v in o.items():
            if k.endswith("quantizer") and isinstance(v, dict) and "class_name" in v: o[k] = fix(text(v))
            else: walk(v, fix)
    elif isinstance(o, list):
        for v in o: walk(v, fix)
for name, fix in (("str.json", lambda t: t), ("stoch.json", lambda t: t[:-1] + ", use_stochastic_rounding=True)")):
    c = json.loads(json.dumps(m)); walk(c, fix); json.dump(c, open(sys.argv[2] + "/" + name, "w"))
PY
"$NNFIRM" predict "$T/str.json" --weights "$K/qkeras_3layer_weights.h5" --input "$X" -o "$T/s.csv" || fail "predict string-form QKeras"
"$NNFIRM" predict "$K/qkeras_3layer.json" --input "$X" -o "$T/d.csv" || fail "predict qkeras_3layer"
cmp -s "$T/s.csv" "$T/d.csv" && pass || fail "string-form quantizers predict differently from the dict form"
expect_status 2 "stochastic rounding" -- "$NNFIRM" import "$T/stoch.json" --weights "$K/qkeras_3layer_weights.h5" -o "$T/st.nnf"
expect_err_contains "use_stochastic_rounding=True is not supported" "stochastic rounding named"
expect_no_file "$T/st.nnf" "no output for a refused quantizer"

# The pruned weights through --weights.
expect_status 0 "import with --weights" -- "$NNFIRM" import "$K/KERAS_3layer.json" --weights "$K/KERAS_3layer_70pruned_retrained_weights.h5" -o "$T/p.nnf"
expect_status 0 "show pruned" -- "$NNFIRM" model show "$T/p.nnf"
grep -q "sparsity" "$T/out" && pass || fail "pruned model shows no sparsity line"

# Unsupported or broken models: exit 2, the layer and class named, no output.
sed 's/"class_name": "Conv2D"/"class_name": "SeparableConv2D"/' "$K/jetTagger_Conv2D_Small.json" > "$T/sep.json"
cp "$K/jetTagger_Conv2D_Small_weights.h5" "$T/sep_weights.h5"
expect_status 2 "SeparableConv2D model" -- "$NNFIRM" import "$T/sep.json" -o "$T/c.nnf"
expect_err_contains "unsupported layer class 'SeparableConv2D'" "SeparableConv2D named"
expect_no_file "$T/c.nnf" "no output for an unsupported model"
expect_status 2 "Selu onnx, alpha 2" -- "$NNFIRM" import "$TESTDATA/hostile/onnx/onnx_selu_alpha.onnx" -o "$T/c.nnf"
expect_err_contains "node 'selu_2': Selu with alpha 2," "ONNX node named"
expect_no_file "$T/c.nnf" "no output for an unsupported ONNX node"
sed 's/"units": 64/"units": 65/' "$K/KERAS_3layer.json" > "$T/wrong.json"
expect_status 2 "wrong shape" -- "$NNFIRM" import "$T/wrong.json" --weights "$K/KERAS_3layer_weights.h5" -o "$T/w.nnf"
expect_err_contains "fc1_relu" "wrong shape names the layer"
sed 's/"fc2_relu"/"fc9"/g' "$K/KERAS_3layer.json" > "$T/missing.json"
expect_status 2 "missing weights" -- "$NNFIRM" import "$T/missing.json" --weights "$K/KERAS_3layer_weights.h5" -o "$T/w.nnf"
expect_err_contains "fc9" "missing weights name the layer"
head -c 1000 "$O/three_layer_keras.onnx" > "$T/cut.onnx"
expect_status 2 "truncated onnx" -- "$NNFIRM" import "$T/cut.onnx" -o "$T/w.nnf"
head -c 3000 "$K/KERAS_3layer_weights.h5" > "$T/cut.h5"
expect_status 2 "truncated h5" -- "$NNFIRM" import "$K/KERAS_3layer.json" --weights "$T/cut.h5" -o "$T/w.nnf"
printf '{"class_name": "Sequential", "config": {"layers": [' > "$T/bad.json"
expect_status 2 "malformed json" -- "$NNFIRM" import "$T/bad.json" --weights "$K/KERAS_3layer_weights.h5" -o "$T/w.nnf"
expect_no_file "$T/w.nnf" "no output after failures"
expect_status 2 "no -o" -- "$NNFIRM" import "$K/KERAS_3layer.json"
finish
