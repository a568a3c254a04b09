# HGQ's proxy jet classifier (FixedPointQuantizer layers with per-element
# types) end to end: parameter counts, float and fixed-point predictions
# equal to the independent references (tests/data/refs/gen/hgq_refs.py), the
# project's Verilog lint-clean; and bad quantizer input refused: exit 2, a
# message naming the file and the layer, nothing written.
. "$(dirname "$0")/lib.sh"
M="$TESTDATA/models/keras/hgq_jet_classifier.h5"; R="$TESTDATA/refs"; X="$R/hgq_jet_classifier.inputs.csv"

"$NNFIRM" model show "$M" > "$T/show" 2>"$T/err"
# kernels and biases 1088 + 2080 + 1056 + 165; the stored types 3 per entry
grep -q "Total params: 4845\$" "$T/show" && pass || fail "$(grep Total "$T/show") $(cat "$T/err")"
grep -q "FixedPointQuantizer" "$T/show" && pass || fail "the quantizers are layers of their own"
expect_status 0 "float predict" -- "$NNFIRM" predict "$M" --input "$X" -o "$T/float.csv"
# numerically equal (the reference prints 2.0 where nnfirm prints 2)
paste -d, "$T/float.csv" "$R/hgq_jet_classifier.float.csv" |
  awk -F, '{for (i = 1; i <= 5; i++) if ($i + 0 != $(i + 5) + 0) bad++} END {exit bad > 0}' && pass ||
  fail "float outputs differ from the reference"
expect_status 0 "fixed predict" -- "$NNFIRM" predict "$M" --input "$X" --config default -o "$T/fixed.csv"
cmp -s "$T/fixed.csv" "$R/hgq_jet_classifier.fixed.csv" && pass || fail "fixed-point outputs differ from the exact reference"
# the generated per-layer configuration: the input takes the first quantizer's type, the
# quantizers no setting; converting with it gives the same outputs
expect_status 0 "config" -- "$NNFIRM" config "$M" --granularity name -o "$T/cfg.json"
grep -A3 '"input_1"' "$T/cfg.json" | grep -q 'ap_fixed<12,5>' && pass || fail "config: input type $(grep -A3 input_1 "$T/cfg.json")"
grep -q '"dense_1_quantizer"' "$T/cfg.json" && fail "config: a setting for a quantizer" || pass
expect_status 0 "predict with the generated config" -- "$NNFIRM" predict "$M" --input "$X" --config "$T/cfg.json" -o "$T/fixed2.csv"
cmp -s "$T/fixed2.csv" "$R/hgq_jet_classifier.fixed.csv" && pass || fail "generated config: outputs differ"
expect_status 0 "convert" -- "$NNFIRM" convert "$M" -o "$T/p"
expect_eq "$(ls "$T/p/rtl" | wc -l | tr -d ' ')" 16 "top + 15 layer modules"
if command -v verilator >/dev/null 2>&1; then
  expect_status 0 "lint" -- verilator --lint-only -Wall --top-module myproject "$T/p"/rtl/*.v
fi

# Bad input (needs Debian's python3-h5py, scripts/install-deps.sh): an
# unknown rounding mode in the config, an unsupported overflow mode, and a
# stored bit width out of range.
PY=/usr/bin/python3
if $PY -c "import h5py" 2>/dev/null; then
  $PY - "$M" "$T" <<'PY'
import json, shutil, sys
import h5py
src, t = sys.argv[1], sys.argv[2]
cfg = json.loads(h5py.File(src, "r").attrs["model_config"])
for name, key, val in (("rnd", "RND", "STOCHASTIC"), ("sat", "SAT", "WRAP_SM")):
    c = json.loads(json.dumps(cfg))
    [l for l in c["config"]["layers"] if l["config"]["name"] == "dense_2_relu_quantizer"][0]["config"][key] = val
    json.dump(c, open("%s/%s.json" % (t, name), "w"))
shutil.copy(src, t + "/bits.h5")
with h5py.File(t + "/bits.h5", "r+") as f:
    f["model_weights/dense_1_relu_quantizer/bits:0"][0, 7] = 40
PY
  for f in rnd sat; do
    expect_status 2 "$f: bad mode" -- "$NNFIRM" convert "$T/$f.json" --weights "$M" -o "$T/p_$f"
    expect_err_contains "$f.json" "$f: message names the file"
    expect_err_contains "layer 'dense_2_relu_quantizer'" "$f: message names the layer"
    expect_no_file "$T/p_$f" "$f: no project after a refused model"
  done
  expect_err_contains "unsupported overflow mode SAT=WRAP_SM" "sat: message names the mode"
  expect_status 2 "bits out of range" -- "$NNFIRM" convert "$T/bits.h5" -o "$T/p_bits"
  expect_err_contains "bits.h5" "bits: message names the file"
  expect_err_contains "layer 'dense_1_relu_quantizer': element 7: bits 40" "bits: message names the layer and element"
  expect_no_file "$T/p_bits" "bits: no project"
fi
finish
