# ONNX activations (issue 15): Elu, Selu, HardSigmoid, LeakyRelu,
# ThresholdedRelu and PRelu (one slope per feature; per channel on a
# channels-first Conv output) import onto nnfirm's activations; the float
# outputs of one small graph per operator equal the independent numpy pass of
# tests/data/refs/gen/onnx_acts.py within 1e-5; the dense graphs convert and
# co-simulate with 0 mismatches. The hls4ml collection's conv2d_small_mp_keras
# (three Selu) imports, equals its numpy reference and co-simulates. PRelu
# after a Conv co-simulates in io_stream (one slope per channel) and in
# io_parallel (one per element; io_stream refuses that by name). Bad
# input (a PRelu slope that does not broadcast, Selu / HardSigmoid constants
# other than hls4ml's): exit 2, the node named, nothing written.
. "$(dirname "$0")/lib.sh"
O="$TESTDATA/models/onnx"; R="$TESTDATA/refs"; H="$TESTDATA/hostile/onnx"
X="$R/nnfirm_onnx_acts.inputs.csv"

close_to() { # <name> <model> <inputs> <reference> <rows>
  expect_status 0 "$1: float predict" -- "$NNFIRM" predict "$2" --input "$3" -o "$T/$1.csv"
  w=$(worst "$T/$1.csv" "$4")
  expect_eq "$(cat "$T/rows")" "$5" "$1: rows"
  awk -v w="$w" 'BEGIN { exit !(w <= 1e-5) }' && pass || fail "$1: float outputs differ from the reference by $w"
}

# the layer each operator becomes (model show: name, class, activation)
show_row() { # <model> <layer> <pattern>
  "$NNFIRM" model show "$O/nnfirm_onnx_$1.onnx" > "$T/show" 2>&1
  grep -q "^$2 $3" "$T/show" && pass || fail "$1: layer row '$2 $3': $(grep "^$2 " "$T/show") $(tail -1 "$T/show")"
}
show_row elu elu "(Activation) *elu "
show_row selu selu "(Activation) *selu "
show_row hard_sigmoid hard_sigmoid "(Activation) *hard_sigmoid "
show_row leaky_relu leaky_relu "(Activation) *leaky_relu "
show_row thresholded_relu thresholded_relu "(Activation) *thresholded_relu "
show_row prelu prelu "(PReLU) .*(None, 6) *6\$"
show_row prelu_conv prelu_c "(PReLU) .*(None, 4, 4, 3) *48\$"

for a in elu selu hard_sigmoid leaky_relu thresholded_relu prelu; do
  close_to "$a" "$O/nnfirm_onnx_$a.onnx" "$X" "$R/nnfirm_onnx_$a.float.csv" 40
done
close_to prelu_conv "$O/nnfirm_onnx_prelu_conv.onnx" "$R/nnfirm_onnx_prelu_conv.inputs.csv" \
  "$R/nnfirm_onnx_prelu_conv.float.csv" 20

# fixed point: the dense graphs convert; the RTL equals the emulator (hls4ml's tables and constants)
ROWS=40
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=10
for a in elu selu hard_sigmoid leaky_relu thresholded_relu prelu; do
  expect_status 0 "$a: convert" -- "$NNFIRM" convert "$O/nnfirm_onnx_$a.onnx" -o "$T/p_$a"
  if command -v iverilog >/dev/null 2>&1; then cosim_expect "onnx $a" "$T/p_$a" "$X" iverilog "$ROWS"; fi
done
if command -v verilator >/dev/null 2>&1; then lint_ok "onnx prelu" "$T/p_prelu"; lint_ok "onnx selu" "$T/p_selu"; fi

# PRelu after a Conv: io_stream (nnfirm convert's default for an image) builds one alpha per channel; a
# slope that differs from pixel to pixel is refused there by name, and io_parallel builds it
close_to prelu_pixels "$O/nnfirm_onnx_prelu_pixels.onnx" "$R/nnfirm_onnx_prelu_pixels.inputs.csv" \
  "$R/nnfirm_onnx_prelu_pixels.float.csv" 20
expect_status 0 "prelu_conv: io_stream convert" -- "$NNFIRM" convert "$O/nnfirm_onnx_prelu_conv.onnx" -o "$T/p_pc"
grep -q '"io_type":[[:space:]]*"io_stream"' "$T/p_pc/manifest.json" && pass || fail "prelu_conv: not io_stream"
expect_status 2 "prelu_pixels: io_stream convert" -- "$NNFIRM" convert "$O/nnfirm_onnx_prelu_pixels.onnx" -o "$T/p_pp"
expect_err_contains "layer 'prelu_c': PReLU alpha of element 3 (row 0, column 1, channel 0) differs" \
  "prelu_pixels: io_stream names the layer and the element"
expect_no_file "$T/p_pp" "prelu_pixels: io_stream convert wrote nothing"
printf 'IOType: io_parallel\n' > "$T/par.yml"
expect_status 0 "prelu_pixels: io_parallel convert" -- "$NNFIRM" convert "$O/nnfirm_onnx_prelu_pixels.onnx" \
  --config "$T/par.yml" -o "$T/p_pp"
if command -v iverilog >/dev/null 2>&1; then
  cosim_expect "prelu_conv io_stream" "$T/p_pc" "$R/nnfirm_onnx_prelu_conv.inputs.csv" iverilog 20
  cosim_expect "prelu_pixels io_parallel" "$T/p_pp" "$R/nnfirm_onnx_prelu_pixels.inputs.csv" iverilog 20
fi
if command -v verilator >/dev/null 2>&1; then lint_ok "prelu_conv io_stream" "$T/p_pc"; fi

# The collection's conv2d_small_mp_keras.onnx: Conv -> Selu -> BatchNormalization -> Conv -> Selu ->
# MaxPool -> Flatten -> Gemm -> Selu -> Gemm -> Softmax (it was refused: unsupported operator Selu)
MP="$O/conv2d_small_mp_keras.onnx"
"$NNFIRM" model show "$MP" > "$T/show" 2>&1
expect_eq "$(grep -c '(Activation) *selu ' "$T/show")" 3 "conv2d_small_mp: three selu layers"
close_to conv2d_small_mp "$MP" "$R/cnn_conv2d_small_mp_keras.inputs.csv" "$R/cnn_conv2d_small_mp_keras.float.csv" 20
expect_status 0 "conv2d_small_mp: convert" -- "$NNFIRM" convert "$MP" -o "$T/pmp"
if command -v iverilog >/dev/null 2>&1; then
  cosim_expect "conv2d_small_mp" "$T/pmp" "$R/cnn_conv2d_small_mp_keras.inputs.csv" iverilog 3
fi

# bad input: exit 2, the file and node named, nothing written
refused() { # <file> <text>
  for cmd in import convert; do
    expect_status 2 "$1: $cmd" -- "$NNFIRM" $cmd "$H/$1.onnx" -o "$T/out_$cmd"
    expect_err_contains "$1.onnx" "$1: the message names the file"
    expect_err_contains "$2" "$1: the message names the node and what is wrong"
    expect_no_file "$T/out_$cmd" "$1: $cmd wrote nothing"
  done
}
refused onnx_prelu_bad_slope "node 'prelu_bad': PRelu slope of shape [4] does not broadcast to the input's shape [1, 6]"
refused onnx_selu_alpha "node 'selu_2': Selu with alpha 2,"
refused onnx_hard_sigmoid_alpha "node 'hsig': HardSigmoid with alpha 0.166666672"
finish
