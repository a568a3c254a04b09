# Convolutional models of hls4ml's example collection (issue 14): import,
# Keras-summary shapes, float outputs against an independent numpy forward
# pass, ap_fixed<16,6> logits against an independent exact reference digit
# for digit (tests/data/refs/gen/cnn_refs.py), the .nnf round trip, and bad
# input refused by name with nothing written.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; R="$TESTDATA/refs"

# Shapes and parameter counts as Keras' summary prints them.
"$NNFIRM" model show "$K/jetTagger_Conv2D_Small.json" > "$T/show" || fail "model show jetTagger"
grep -q "Total params: 891$" "$T/show" && pass || fail "jetTagger params: $(grep Total "$T/show")"
grep -q "^cnn2D_1_relu (Conv2D) .*(None, 9, 9, 5) *50$" "$T/show" && pass || fail "conv shape row: $(grep cnn2D_1 "$T/show" | head -1)"
grep -q "^input_1 (InputLayer) .*(None, 25, 25, 1)" "$T/show" && pass || fail "input shape row"
"$NNFIRM" model show "$K/qkeras_mnist_cnn.json" > "$T/show2" || fail "model show qkeras_mnist_cnn"
grep -q "^max_pooling2d_1 (MaxPooling2D) .*(None, 5, 5, 16)" "$T/show2" && pass || fail "pool shape row"
grep -q "Total params: 6490$" "$T/show2" && pass || fail "qkeras_mnist_cnn params"

for m in jetTagger_Conv2D_Small jetTagger_Conv2D_Small_NoBatchNorm KERAS_conv1d_small KERAS_conv2d_model qkeras_mnist_cnn; do
  expect_status 0 "$m float" -- "$NNFIRM" predict "$K/$m.json" --input "$R/cnn_$m.inputs.csv" -o "$T/f.csv"
  [ "$(wc -l < "$T/f.csv")" -eq "$(wc -l < "$R/cnn_$m.float.csv")" ] && pass || fail "$m: row count"
  w=$(worst "$T/f.csv" "$R/cnn_$m.float.csv")
  awk -v w="$w" 'BEGIN { exit !(w <= 1e-5) }' && pass || fail "$m: float outputs differ from the reference by $w"
done

# ONNX: the Keras exports of two of these models (conv1d_small_keras and
# conv2d_small_keras hold the same weights) give the Keras model's reference
# outputs, float and exact; two graphs written for these tests flatten a
# channels-first tensor (the Dense rows are permuted), pool with padding and
# pad SAME_UPPER (refs/gen/onnx_layouts.py, numpy computing channels-first).
O="$TESTDATA/models/onnx"
for ml in conv1d_small_keras:KERAS_conv1d_small:Gemm_11 conv2d_small_keras:KERAS_conv2d_model:Gemm_6; do
  o=${ml%%:*}; rest=${ml#*:}; k=${rest%%:*}; l=${rest#*:}
  expect_status 0 "$o float" -- "$NNFIRM" predict "$O/$o.onnx" --input "$R/cnn_$k.inputs.csv" -o "$T/f.csv"
  w=$(worst "$T/f.csv" "$R/cnn_$k.float.csv")
  awk -v w="$w" 'BEGIN { exit !(w <= 1e-5) }' && pass || fail "$o: float outputs differ from the Keras reference by $w"
  expect_status 0 "$o fixed" -- "$NNFIRM" predict "$O/$o.onnx" --input "$R/cnn_$k.inputs.csv" --config default --layer "$l" -o "$T/x.csv"
  cmp -s "$T/x.csv" "$R/cnn_$k.fixed16_6.logits.csv" && pass || fail "$o: logits differ: $(diff "$T/x.csv" "$R/cnn_$k.fixed16_6.logits.csv" | head -3)"
done
# The collection's conv2d_small_mp_keras.onnx (Conv, Selu tables, a standalone
# BatchNormalization, MaxPool): exact ap_fixed<16,6> logits of its last Gemm
# against refs/gen/conv2d_mp_fixed.py (its float outputs: test_onnx_acts).
MP=cnn_conv2d_small_mp_keras
expect_status 0 "conv2d_small_mp fixed" -- "$NNFIRM" predict "$O/conv2d_small_mp_keras.onnx" --input "$R/$MP.inputs.csv" --config default --layer Gemm_11 -o "$T/x.csv"
cmp -s "$T/x.csv" "$R/$MP.fixed16_6.logits.csv" && pass || fail "conv2d_small_mp: logits differ: $(diff "$T/x.csv" "$R/$MP.fixed16_6.logits.csv" | head -3)"
NNFIRM_EMULATE_EXACT=1 "$NNFIRM" predict "$O/conv2d_small_mp_keras.onnx" --input "$R/$MP.inputs.csv" --config default --layer Gemm_11 > "$T/xe.csv"
cmp -s "$T/xe.csv" "$T/x.csv" && pass || fail "conv2d_small_mp: exact and fast emulator paths differ"
for o in nnfirm_cf_conv2d nnfirm_cf_conv1d nnfirm_avgpool; do
  expect_status 0 "$o float" -- "$NNFIRM" predict "$O/$o.onnx" --input "$R/$o.inputs.csv" -o "$T/f.csv"
  w=$(worst "$T/f.csv" "$R/$o.float.csv")
  awk -v w="$w" 'BEGIN { exit !(w <= 1e-5) }' && pass || fail "$o: float outputs differ from the reference by $w"
done

# Exact ap_fixed<16,6> logits of the last Dense, both emulator paths.
for ml in jetTagger_Conv2D_Small:output_softmax jetTagger_Conv2D_Small_NoBatchNorm:output_softmax \
          KERAS_conv1d_small:output_softmax KERAS_conv2d_model:dense_1; do
  m=${ml%%:*}; l=${ml#*:}
  expect_status 0 "$m fixed" -- "$NNFIRM" predict "$K/$m.json" --input "$R/cnn_$m.inputs.csv" --config default --layer "$l" -o "$T/x.csv"
  cmp -s "$T/x.csv" "$R/cnn_$m.fixed16_6.logits.csv" && pass || fail "$m: logits differ: $(diff "$T/x.csv" "$R/cnn_$m.fixed16_6.logits.csv" | head -3)"
  NNFIRM_EMULATE_EXACT=1 "$NNFIRM" predict "$K/$m.json" --input "$R/cnn_$m.inputs.csv" --config default --layer "$l" > "$T/xe.csv"
  cmp -s "$T/xe.csv" "$T/x.csv" && pass || fail "$m: exact and fast emulator paths differ"
done

# The QKeras CNN with the types nnfirm config gives it (its quantizers'):
# the last QDense's outputs equal gen/qkeras_cnn_refs.py's exact reference
# digit for digit, on both emulator paths.
expect_status 0 "qkeras_mnist_cnn config" -- "$NNFIRM" config "$K/qkeras_mnist_cnn.json" -o "$T/qcnn.json"
expect_status 0 "qkeras_mnist_cnn generated config" -- "$NNFIRM" predict "$K/qkeras_mnist_cnn.json" \
  --input "$R/cnn_qkeras_mnist_cnn.inputs.csv" --config "$T/qcnn.json" --layer q_dense -o "$T/qg.csv"
cmp -s "$T/qg.csv" "$R/cnn_qkeras_mnist_cnn.generated.fixed.csv" && pass \
  || fail "qkeras_mnist_cnn q_dense differs from the exact reference: $(diff "$T/qg.csv" "$R/cnn_qkeras_mnist_cnn.generated.fixed.csv" | head -3)"
NNFIRM_EMULATE_EXACT=1 "$NNFIRM" predict "$K/qkeras_mnist_cnn.json" --input "$R/cnn_qkeras_mnist_cnn.inputs.csv" \
  --config "$T/qcnn.json" --layer q_dense > "$T/qge.csv"
cmp -s "$T/qge.csv" "$R/cnn_qkeras_mnist_cnn.generated.fixed.csv" && pass || fail "qkeras_mnist_cnn: exact emulator path differs"

# The QKeras CNN with the hls4ml configuration that came with it (io_stream,
# 7-bit activations): its argmax agrees with QKeras' float forward pass.
argmax='{m=1; for(i=2;i<=NF;i++) if ($i+0 > $m+0) m=i; print m}'
expect_status 0 "qkeras_mnist_cnn shipped config" -- "$NNFIRM" predict "$K/qkeras_mnist_cnn.json" \
  --input "$R/cnn_qkeras_mnist_cnn.inputs.csv" --config "$K/qkeras_mnist_cnn_config.yml" -o "$T/q.csv"
awk -F, "$argmax" "$T/q.csv" > "$T/qa"; awk -F, "$argmax" "$R/cnn_qkeras_mnist_cnn.float.csv" > "$T/ra"
agree=$(paste "$T/qa" "$T/ra" | awk '$1 == $2' | wc -l)
[ "$agree" -ge 19 ] && pass || fail "qkeras_mnist_cnn argmax agreement $agree/20"

# .nnf keeps shapes and window geometry: the same predictions, bit for bit.
expect_status 0 "import CNN" -- "$NNFIRM" import "$K/jetTagger_Conv2D_Small.json" -o "$T/cnn.nnf"
"$NNFIRM" predict "$T/cnn.nnf" --input "$R/cnn_jetTagger_Conv2D_Small.inputs.csv" -o "$T/n.csv" || fail "predict .nnf"
"$NNFIRM" predict "$K/jetTagger_Conv2D_Small.json" --input "$R/cnn_jetTagger_Conv2D_Small.inputs.csv" -o "$T/j.csv"
cmp -s "$T/n.csv" "$T/j.csv" && pass || fail ".nnf CNN predictions differ"
"$NNFIRM" model show "$T/cnn.nnf" | grep -q "(None, 5, 5, 2)" && pass || fail ".nnf lost the shapes"

# Bad input: exit 2, the place named, no output file.
cut -d, -f1-39 "$R/cnn_KERAS_conv1d_small.inputs.csv" > "$T/short.csv"
expect_status 2 "row of the wrong length" -- "$NNFIRM" predict "$K/KERAS_conv1d_small.json" --input "$T/short.csv" -o "$T/none.csv"
grep -q "short.csv: line 1: 39 columns, but the model takes 40 values (input shape (10, 4)" "$T/err" && pass || fail "wrong-length message: $(cat "$T/err")"
[ ! -e "$T/none.csv" ] && pass || fail "output written for a bad input"
mutate() { # <model> <layer name> <key> <json value> <out>
  python3 - "$K/$1.json" "$2" "$3" "$4" "$5" <<'PY'
import json, sys
src, name, key, value, out = sys.argv[1:]
m = json.load(open(src))
layers = m["config"]["layers"] if isinstance(m["config"], dict) else m["config"]
for l in layers:
    if l["config"]["name"] == name:
        l["config"][key] = json.loads(value)
json.dump(m, open(out, "w"))
PY
  cp "$K/${1}_weights.h5" "${5%.json}_weights.h5"
}
for case in "dilation_rate:[2]:dilation_rate other than 1" "padding:\"causal\":padding 'causal' is not supported" \
            "groups:3:groups = 3 is not supported" "data_format:\"channels_first\":channels_last only"; do
  key=${case%%:*}; rest=${case#*:}; val=${rest%%:*}; msg=${rest#*:}
  mutate KERAS_conv1d_small conv1_relu "$key" "$val" "$T/bad.json"
  expect_status 2 "conv $key" -- "$NNFIRM" predict "$T/bad.json" --input "$R/cnn_KERAS_conv1d_small.inputs.csv" -o "$T/none.csv"
  grep -q "layer 'conv1_relu' (Conv1D): .*$msg" "$T/err" && pass || fail "$key message: $(cat "$T/err")"
  [ ! -e "$T/none.csv" ] && pass || fail "output written for $key"
done
mutate qkeras_mnist_cnn max_pooling2d_1 pool_size "[12, 12]" "$T/bigpool.json"
expect_status 2 "pool larger than input" -- "$NNFIRM" model show "$T/bigpool.json"
grep -q "max_pooling2d_1.*pool window 12x12 is larger than its input (11, 11, 16)" "$T/err" && pass || fail "pool message: $(cat "$T/err")"
finish
