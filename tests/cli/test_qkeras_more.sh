# Two QKeras models of the hls4ml example collection, as a user brings them:
# qkeras-v3_3layer.keras (QKeras saved by Keras 3: config.json +
# model.weights.h5 in a zip, weight groups named after the layer class) and
# qkeras_mnist_dense (quantized_po2 weights). Float outputs and the
# fixed-point outputs of the generated configuration equal the independent
# references of tests/data/refs/gen/qkeras_po2_refs.py; bad input (a
# truncated archive, a bad quantizer argument) exits 2 naming the file and
# the place, with nothing written.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; R="$TESTDATA/refs"

# floats equal to 1e-12 (both are float64 forward passes of the same quantized weights)
close() { # <a.csv> <b.csv> <columns> <what>
  within "$1" "$2" "$3" 1e-12 && pass || fail "$4: float outputs differ from the reference"
}

# ---- Keras 3 .keras with QKeras layers -------------------------------------------
V3="$K/qkeras-v3_3layer.keras"
"$NNFIRM" model show "$V3" > "$T/show" 2>"$T/err"
grep -q "Total params: 4389\$" "$T/show" && pass || fail "v3: $(grep Total "$T/show") $(cat "$T/err")"
grep -q "fc1 (Dense) *quantized_bits(6,0)" "$T/show" && pass || fail "v3: fc1's quantizer not shown"
grep -q "relu1 (Activation) *quantized_relu(6,0)" "$T/show" && pass || fail "v3: relu1's quantizer not shown"
expect_status 0 "v3 float predict" -- "$NNFIRM" predict "$V3" --input "$R/inputs16.csv" -o "$T/v3f.csv"
close "$T/v3f.csv" "$R/qkeras-v3_3layer.float.csv" 5 "v3"
expect_status 0 "v3 config" -- "$NNFIRM" config "$V3" --granularity name -o "$T/v3cfg.json"
expect_status 0 "v3 fixed predict" -- "$NNFIRM" predict "$V3" --input "$R/inputs16.csv" --config "$T/v3cfg.json" \
  --layer output -o "$T/v3x.csv"
cmp -s "$T/v3x.csv" "$R/qkeras-v3_3layer.fixed.csv" && pass || fail "v3: fixed-point outputs differ from the exact reference"
expect_status 0 "v3 import" -- "$NNFIRM" import "$V3" -o "$T/v3.nnf"
"$NNFIRM" predict "$T/v3.nnf" --input "$R/inputs16.csv" -o "$T/v3n.csv" && cmp -s "$T/v3n.csv" "$T/v3f.csv" && pass ||
  fail "v3: the imported .nnf predicts differently"

# Keras 3 releases that write no "name" on the vars groups: found by the class's
# key in model order (q_dense, q_dense_1, ...); needs Debian's python3-h5py.
if /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  /usr/bin/python3 - "$V3" "$T/noname.keras" <<'PY'
import io, sys, zipfile
import h5py
src, dst = sys.argv[1], sys.argv[2]
zi = zipfile.ZipFile(src)
buf = io.BytesIO(zi.read("model.weights.h5"))
with h5py.File(buf, "r+") as f:
    for key in f["layers"]:
        del f["layers"][key]["vars"].attrs["name"]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
    for info in zi.infolist():
        zo.writestr(info.filename, buf.getvalue() if info.filename == "model.weights.h5" else zi.read(info.filename))
PY
  expect_status 0 "v3 without vars names" -- "$NNFIRM" predict "$T/noname.keras" --input "$R/inputs16.csv" -o "$T/v3u.csv"
  cmp -s "$T/v3u.csv" "$T/v3f.csv" && pass || fail "v3 without vars names: predictions differ"
fi

# a truncated archive (its central directory cut off), and one whose weights member is damaged
head -c 40000 "$V3" > "$T/cut.keras"
expect_status 2 "truncated .keras" -- "$NNFIRM" import "$T/cut.keras" -o "$T/cut.nnf"
expect_err_contains "cut.keras: zip archive without its central directory at the end of the file" "truncated: file and place named"
expect_no_file "$T/cut.nnf" "truncated: no output"
expect_status 2 "truncated .keras convert" -- "$NNFIRM" convert "$T/cut.keras" -o "$T/cutp"
expect_no_file "$T/cutp" "truncated: no project"
/usr/bin/python3 - "$V3" "$T/hole.keras" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
zi = zipfile.ZipFile(src)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
    for info in zi.infolist():
        data = zi.read(info.filename)
        if info.filename == "model.weights.h5":
            data = data[:len(data) // 2]  # the member itself cut in half
        zo.writestr(info.filename, data)
PY
expect_status 2 "half a weights member" -- "$NNFIRM" import "$T/hole.keras" -o "$T/hole.nnf"
expect_err_contains "hole.keras" "half member: file named"
expect_err_contains "model.weights.h5" "half member: member named"
expect_no_file "$T/hole.nnf" "half member: no output"

# ---- quantized_po2: weights become shifts ------------------------------------------
M="$K/qkeras_mnist_dense.json"; X="$R/qkeras_mnist_dense.inputs.csv"
"$NNFIRM" model show "$M" > "$T/show" 2>"$T/err"
grep -q "Total params: 15910\$" "$T/show" && pass || fail "po2: $(grep Total "$T/show") $(cat "$T/err")"
grep -q "q_dense_2 (Dense) *quantized_po2(4,1)" "$T/show" && pass || fail "po2: q_dense_2's quantizer not shown"
expect_status 0 "po2 float predict" -- "$NNFIRM" predict "$M" --input "$X" -o "$T/pf.csv"
close "$T/pf.csv" "$R/qkeras_mnist_dense.float.csv" 10 "po2"
expect_status 0 "po2 import" -- "$NNFIRM" import "$M" -o "$T/po2.nnf"
"$NNFIRM" predict "$T/po2.nnf" --input "$X" -o "$T/pn.csv" && cmp -s "$T/pn.csv" "$T/pf.csv" && pass ||
  fail "po2: the imported .nnf predicts differently"
expect_status 0 "po2 config" -- "$NNFIRM" config "$M" --granularity name -o "$T/pcfg.json"
grep -A3 '"q_dense_2"' "$T/pcfg.json" | grep -q '"weight":[[:space:]]*"ap_fixed<10,2>"' && pass ||
  fail "po2 config: q_dense_2's weights are not ap_fixed<10,2> (2^-8 .. 1, signed)"
expect_status 0 "po2 fixed predict" -- "$NNFIRM" predict "$M" --input "$X" --config "$T/pcfg.json" --layer q_dense_3 -o "$T/px.csv"
cmp -s "$T/px.csv" "$R/qkeras_mnist_dense.fixed.csv" && pass || fail "po2: fixed-point outputs differ from the exact reference"
# the hls4ml configuration that came with the model (Strategy Stable on its softmax; weight ap_int<5>, which
# hls4ml's exponent type of quantized_po2(4) overrides, as here): it converts, and the po2 weights keep their type
expect_status 0 "po2 shipped config" -- "$NNFIRM" convert "$M" --config "$K/qkeras_mnist_dense_config.yml" -o "$T/ps"
grep -q "weight_t ap_fixed<10,2" "$T/ps/rtl/myproject_q_dense_2.v" && pass || fail "po2 shipped config: weight type overridden"
# the RTL of the CSD path (ConstantMatrix csd; the default may build a layer as one shared adder
# graph instead, which has no per-product trees at all): every po2 weight is a shift inside the adder
# tree, no product shift-add tree at all (q_dense_3's 4-bit weights need some); the header's adder
# count is the sum trees' alone
sed '$ s/^}$/, "ConstantMatrix": "csd"}/' "$T/pcfg.json" > "$T/pcsd.json"
expect_status 0 "po2 convert" -- "$NNFIRM" convert "$M" --config "$T/pcsd.json" -o "$T/pp"
ntree=$(grep -c "q_dense_2_x[0-9]*_c[0-9m]*_l" "$T/pp/rtl/myproject_q_dense_2.v")
expect_eq "$ntree" 0 "po2: product trees in q_dense_2"
grep -q "q_dense_3_x[0-9]*_c[0-9m]*_l" "$T/pp/rtl/myproject_q_dense_3.v" && pass || fail "po2: q_dense_3 has no product tree (test blind?)"
nz=$(sed -n 's|^//   \([0-9]*\) of 15680 weights nonzero; \([0-9]*\) adders.*|\1 \2|p' "$T/pp/rtl/myproject_q_dense_2.v")
set -- $nz
# one output's sum of k nonzero terms (plus a nonzero bias) takes k - 1 (k) adders: at most 15680 for all 20
[ -n "${2:-}" ] && [ "$2" -le "$1" ] && pass || fail "po2: adders '$nz' exceed one per nonzero weight"
expect_status 0 "po2 convert (default)" -- "$NNFIRM" convert "$M" --config "$T/pcfg.json" -o "$T/pa"
nz=$(sed -n 's|^//   \([0-9]*\) of 15680 weights nonzero; \([0-9]*\) adders.*|\1 \2|p' "$T/pa/rtl/myproject_q_dense_2.v")
set -- $nz
[ -n "${2:-}" ] && [ "$2" -le "$1" ] && pass || fail "po2 (default): adders '$nz' exceed one per nonzero weight"

# Co-simulation of po2 weights, and of a row wider than the testbench reads at once (4096 bits):
# qkeras_mnist_dense cut to its first 260 inputs and 1 unit of q_dense_2 (4,160 input bits; the
# whole model co-simulates with 0 mismatches too, but its Verilator build takes minutes)
if /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  /usr/bin/python3 - "$M" "$K/qkeras_mnist_dense_weights.h5" "$T" <<'PY'
import json, sys
import h5py
import numpy as np
src, wsrc, t = sys.argv[1:]
m = json.load(open(src))
L = m["config"]["layers"]
L[0]["config"]["batch_input_shape"] = [None, 260]
m["config"]["layers"] = [l for l in L if l["config"]["name"] in ("input_3", "q_activation_2", "q_dense_2")]
m["config"]["layers"][-1]["config"]["units"] = 1
m["config"]["output_layers"] = [["q_dense_2", 0, 0]]
json.dump(m, open(t + "/cut.json", "w"))
with h5py.File(wsrc, "r") as f, h5py.File(t + "/cut_weights.h5", "w") as o:
    g = o.create_group("q_dense_2")
    g.attrs["weight_names"] = [b"q_dense_2/kernel:0", b"q_dense_2/bias:0"]
    g.create_dataset("q_dense_2/kernel:0", data=np.array(f["q_dense_2/q_dense_2/kernel:0"])[:260, :1])
    g.create_dataset("q_dense_2/bias:0", data=np.array(f["q_dense_2/q_dense_2/bias:0"])[:1])
    for name in ("input_3", "q_activation_2"):
        o.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
PY
  cut -d, -f1-260 "$X" | head -20 > "$T/cut_in.csv"
  expect_status 0 "po2 cut convert" -- "$NNFIRM" convert "$T/cut.json" --config default -o "$T/pc"
  grep -q "weight_t ap_fixed<" "$T/pc/rtl/myproject_q_dense_2.v" && pass || fail "po2 cut: no weight type"
  expect_eq "$(grep -c "q_dense_2_x[0-9]*_c[0-9m]*_l" "$T/pc/rtl/myproject_q_dense_2.v")" 0 "po2 cut: product trees"
  grep -q 'row\[4096 +: 64\] = chunk\[63:0\]' "$T/pc/tb/tb_myproject.v" && pass || fail "po2 cut: the testbench does not read the row in two words"
  if command -v iverilog >/dev/null 2>&1; then  # Verilator builds it too (0 mismatches), in ~30 s of CPU
    cosim_expect "po2 cut" "$T/pc" "$T/cut_in.csv" iverilog 20
  fi
fi

# bad quantizer arguments: exit 2, the file, the layer and the argument named, nothing written
for case in "foo:unknown quantized_po2 argument 'foo'" "bits0:0 bits" "bits1:quantized_po2(1) leaves no exponent bit" \
            "log2:log2_rounding=ceil"; do
  name=${case%%:*}; msg=${case#*:}
  /usr/bin/python3 - "$M" "$T/$name.json" "$name" <<'PY' || { fail "$name: could not write the model"; continue; }
import json, sys
src, dst, case = sys.argv[1:]
m = json.load(open(src))
q = [l for l in m["config"]["layers"] if l["config"]["name"] == "q_dense_2"][0]["config"]["kernel_quantizer"]["config"]
if case == "foo": q["foo"] = 3
elif case == "bits0": q["bits"] = 0
elif case == "bits1": q["bits"], q["max_value"] = 1, None
else: q["log2_rounding"] = "ceil"
json.dump(m, open(dst, "w"))
PY
  expect_status 2 "$name" -- "$NNFIRM" convert "$T/$name.json" --weights "$K/qkeras_mnist_dense_weights.h5" -o "$T/p_$name"
  expect_err_contains "$name.json: layer 'q_dense_2' (QDense)" "$name: file and layer named"
  expect_err_contains "$msg" "$name: the argument named"
  expect_no_file "$T/p_$name" "$name: no project"
done
# the text form too
sed 's/"activation": "quantized_relu(2)"/"activation": "quantized_relu_po2(4, max_value=1, colour=2)"/' "$M" > "$T/txt.json"
expect_status 2 "text form, unknown argument" -- "$NNFIRM" import "$T/txt.json" --weights "$K/qkeras_mnist_dense_weights.h5" -o "$T/txt.nnf"
expect_err_contains "unknown quantized_relu_po2 argument 'colour'" "text form: argument named"
expect_no_file "$T/txt.nnf" "text form: no output"
# a quantized_relu_po2 activation: the float model computes it, a design is refused by name
sed 's/"activation": "quantized_relu(2)"/"activation": "quantized_relu_po2(4, max_value=1)"/' "$M" > "$T/rp.json"
expect_status 0 "relu_po2 float" -- "$NNFIRM" predict "$T/rp.json" --weights "$K/qkeras_mnist_dense_weights.h5" --input "$X" -o "$T/rp.csv"
expect_status 2 "relu_po2 design" -- "$NNFIRM" convert "$T/rp.json" --weights "$K/qkeras_mnist_dense_weights.h5" -o "$T/prp"
expect_err_contains "layer 'q_activation_2': a quantized_relu_po2 activation has no fixed-point implementation" "relu_po2 refused by name"
expect_no_file "$T/prp" "relu_po2: no project"

finish
