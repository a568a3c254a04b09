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
close() { # <a.csv> <b.csv> <what>
  paste -d, "$1" "$2" | awk -F, '{n = NF / 2; for (i = 1; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d; if (d > 1e-12) bad++ } }
    END {exit bad > 0}' && pass || fail "$3: float outputs differ from the reference"
}

# ---- Keras 3 .keras with QKeras layers -------------------------------------------
V3="$K/qkeras-v3_3layer.keras"
"$NNFIRM" model show "$V3" > "$T/show" 2>"$T/err"
grep -q "Total params: 4389\$" "$T/show" && pass || fail "v3: $(grep Total "$T/show") $(cat "$T/err")"
grep -q "fc1 (Dense) *quantized_bits(6,0)" "$T/show" && pass || fail "v3: fc1's quantizer not shown"
grep -q "relu1 (Activation) *quantized_relu(6,0)" "$T/show" && pass || fail "v3: relu1's quantizer not shown"
expect_status 0 "v3 float predict" -- "$NNFIRM" predict "$V3" --input "$R/inputs16.csv" -o "$T/v3f.csv"
close "$T/v3f.csv" "$R/qkeras-v3_3layer.float.csv" "v3"
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

finish
