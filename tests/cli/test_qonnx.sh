# QONNX models (Quant on weights and activations, issue 15 part 3): the QKeras
# jet tagger of the QONNX model zoo imports with exact types (6-bit weights
# ap_fixed<6,1>, activations ap_ufixed<6,0> rounded half to even and
# saturated); float outputs equal the independent numpy evaluation of the
# graph and fixed-point logits the exact (rational) one
# (tests/data/refs/gen/qonnx_refs.py); the Verilog co-simulates with 0
# mismatches; graphs whose Quant has a scale that is not a power of two or a
# nonzero zero point are refused: exit 2, the file, node and value named,
# nothing written.
. "$(dirname "$0")/lib.sh"
O="$TESTDATA/models/onnx"; R="$TESTDATA/refs"; H="$TESTDATA/hostile/onnx"
M="$O/qonnx_jettagging.onnx"; X="$R/qonnx_jettagging.inputs.csv"

"$NNFIRM" model show "$M" > "$T/show" 2>"$T/err"
# kernels and biases 1088 + 2080 + 1056 + 165, three quantizers of 3 stored values each
grep -q "Total params: 4398\$" "$T/show" && pass || fail "$(grep Total "$T/show") $(cat "$T/err")"
expect_eq "$(grep -c 'FixedPointQuantizer' "$T/show")" 3 "the activation Quant nodes are quantizer layers"
expect_eq "$(grep -c '(Dense) *quantized_bits(6,0) ' "$T/show")" 4 "every Dense has the 6-bit weight type"
grep -q "Relu" "$T/show" && fail "the ReLU before each unsigned Quant is absorbed" || pass

# float: the softmax outputs equal numpy's float64 evaluation of the graph
expect_status 0 "float predict" -- "$NNFIRM" predict "$M" --input "$R/inputs16.csv" -o "$T/float.csv"
expect_eq "$(wc -l < "$T/float.csv" | tr -d ' ')" 200 "float: rows"
within "$T/float.csv" "$R/qonnx_jettagging.float.csv" 5 1e-12 && pass || fail "float outputs differ from the reference by more than 1e-12"
# fixed point: the logits (the last Dense, before the softmax) equal the exact reference
expect_status 0 "fixed predict" -- "$NNFIRM" predict "$M" --input "$X" --config default --layer MatMul_3 -o "$T/fixed.csv"
cmp -s "$T/fixed.csv" "$R/qonnx_jettagging.fixed.csv" && pass || fail "fixed-point logits differ from the exact reference"

# the design: the declared types, and the RTL equal to the emulator
expect_status 0 "convert" -- "$NNFIRM" convert "$M" -o "$T/p"
design_t() { grep -A8 "\"name\":[[:space:]]*\"$1\"" "$T/p/design.json" | sed -n "s/.*\"$2\":[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -1; }
expect_eq "$(design_t Quant_8 result_t)" "ap_ufixed<6,0>" "Quant_8's type"
expect_eq "$(design_t MatMul_1 input_t)" "ap_ufixed<6,0>" "MatMul_1's input type"
grep -A12 '"name":[[:space:]]*"MatMul_1"' "$T/p/design.json" | grep -q '"weight_t":[[:space:]]*"ap_fixed<6,1,' && pass ||
  fail "MatMul_1's weight type is not ap_fixed<6,1>"
# the quantizers round and saturate: at 5 ns each is registered (a stage of its own) and the delay
# model counts it (before, the netlist's path through one into the next Dense failed 5 ns)
# (the Dense layers' CSD path, ConstantMatrix csd: 16 cycles; the default's shared sums make them shallower)
# (ReLUFusion off: with it, the three unsigned saturating quantizers fuse into their Dense layers, a cycle
# less each but for MatMul_1, whose clip after its sums takes the stage back: 17 cycles)
printf 'Model:\n  Precision: ap_fixed<16,6>\nConstantMatrix: csd\nReLUFusion: off\n' > "$T/csd.yml"
expect_status 0 "convert csd" -- "$NNFIRM" convert "$M" --config "$T/csd.yml" -o "$T/pc"
expect_eq "$(json_num latency_cycles "$T/pc/manifest.json")" 19 "latency: 16 + 3 registered quantizers"
printf 'Model:\n  Precision: ap_fixed<16,6>\nConstantMatrix: csd\n' > "$T/csdf.yml"
expect_status 0 "convert csd, fused" -- "$NNFIRM" convert "$M" --config "$T/csdf.yml" -o "$T/pcf"
expect_eq "$(json_num latency_cycles "$T/pcf/manifest.json")" 17 "latency: three quantizers fused into their Dense"
expect_eq "$(grep -l 'and the FixedPointQuantizer after it' "$T/pcf"/rtl/*.v | wc -l | tr -d ' ')" 3 "fused modules"
[ "$(json_num latency_cycles "$T/p/manifest.json")" -le 19 ] && pass || fail "default latency above the CSD path's"
expect_status 0 "estimate" -- "$NNFIRM" estimate "$T/p" --json
grep -q '"critical_path_partial":[[:space:]]*false' "$T/out" && pass || fail "the delay model leaves out a quantizer"
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "the predicted critical path fails 5 ns"
ROWS=30
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=10
if command -v iverilog >/dev/null 2>&1; then cosim_expect "qonnx_jettagging" "$T/p" "$X" iverilog "$ROWS"; fi
if command -v iverilog >/dev/null 2>&1; then cosim_expect "qonnx_jettagging csd" "$T/pcf" "$X" iverilog "$ROWS"; fi
if command -v verilator >/dev/null 2>&1; then lint_ok "qonnx_jettagging" "$T/p"; fi

# nnfirm_qonnx_modes.onnx (written for these tests): the rounding modes HALF_UP, FLOOR, ROUND,
# UP, CEIL, DOWN, narrow ranges, per-channel weight scales (before a Transpose), per-feature
# activation scales, BipolarQuant biases, unsigned weights, Gemm, Trunc, a ReLU before a signed
# Quant; float model and emulator both give the exact reference's values, the RTL the emulator's
MM="$O/nnfirm_qonnx_modes.onnx"; XM="$R/nnfirm_qonnx_modes.inputs.csv"
"$NNFIRM" model show "$MM" > "$T/show" 2>"$T/err"
grep -q "Total params: 106\$" "$T/show" && pass || fail "modes: $(grep Total "$T/show") $(cat "$T/err")"
grep -q "Gemm_2 (Dense) *quantized_bits(3,1,unsigned)" "$T/show" && pass || fail "modes: Gemm_2's unsigned weight type"
grep -q "MatMul_1 (Dense) *quantized_bits(5,0)" "$T/show" && pass || fail "modes: per-channel weights' narrowest type"
expect_status 0 "modes: float predict" -- "$NNFIRM" predict "$MM" --input "$XM" -o "$T/mf.csv"
paste -d, "$T/mf.csv" "$R/nnfirm_qonnx_modes.fixed.csv" |
  awk -F, '{for (i = 1; i <= 4; i++) if ($i + 0 != $(i + 4) + 0) bad++} END {exit bad > 0 || NR != 200}' && pass ||
  fail "modes: float outputs differ from the exact reference"
expect_status 0 "modes: fixed predict" -- "$NNFIRM" predict "$MM" --input "$XM" --config default -o "$T/mx.csv"
cmp -s "$T/mx.csv" "$R/nnfirm_qonnx_modes.fixed.csv" && pass || fail "modes: fixed-point outputs differ from the exact reference"
expect_status 0 "modes: convert" -- "$NNFIRM" convert "$MM" -o "$T/pm"
if command -v iverilog >/dev/null 2>&1; then cosim_expect "qonnx modes" "$T/pm" "$XM" iverilog 200; fi
if command -v verilator >/dev/null 2>&1; then lint_ok "qonnx modes" "$T/pm"; fi

# The Brevitas MNIST TFC_2W2A of the QONNX model zoo (PyTorch export: Shape arithmetic before the
# Reshape, the input scaled by Mul and Sub, ternary weights through Transpose, BatchNormalization,
# a final affine by Sub, Div by Pow(variance, 0.5), Mul, Add): imports; float outputs equal the
# reference within 1e-6 (the final affine's composed factors are float32)
MT="$O/qonnx_tfc_2w2a.onnx"
"$NNFIRM" model show "$MT" > "$T/show" 2>"$T/err"
grep -q "Total params: 63166\$" "$T/show" && pass || fail "tfc: $(grep Total "$T/show") $(cat "$T/err")"
expect_eq "$(grep -c 'FixedPointQuantizer' "$T/show")" 4 "tfc: four activation quantizers"
expect_eq "$(grep -c '(Dense) *quantized_bits(2,1,symmetric) ' "$T/show")" 4 "tfc: ternary weights, 2-bit narrow"
expect_status 0 "tfc: float predict" -- "$NNFIRM" predict "$MT" --input "$R/qonnx_tfc_2w2a.inputs.csv" -o "$T/tf.csv"
within "$T/tf.csv" "$R/qonnx_tfc_2w2a.float.csv" 10 1e-6 50 && pass || fail "tfc: float outputs differ from the reference by more than 1e-6"
# In fixed point each normalization and its ternary Quant (2 bits, narrow, scale 1: -1, 0, +1,
# round half to even) become exact thresholds on the codes before them (the input's 2 x - 1,
# each MatMul's whole sums; gammas < 0 flipped at import): the last hidden layer's ternary
# values, the last MatMul's whole sums and the outputs (the reference's hls4ml affine in
# ap_fixed<16,6>) equal the reference digit for digit, by --config default and by the
# configuration nnfirm writes; the RTL equals the emulator.
XT="$R/qonnx_tfc_2w2a.inputs.csv"
expect_status 0 "tfc: fixed hidden" -- "$NNFIRM" predict "$MT" --input "$XT" --config default --layer BatchNormalization_45 -o "$T/tfh.csv"
cmp -s "$T/tfh.csv" "$R/qonnx_tfc_2w2a.hidden.csv" && pass || fail "tfc: the last hidden layer's ternary values differ from the reference"
expect_status 0 "tfc: fixed sums" -- "$NNFIRM" predict "$MT" --input "$XT" --config default --layer MatMul_56 -o "$T/tfs.csv"
cmp -s "$T/tfs.csv" "$R/qonnx_tfc_2w2a.sums.csv" && pass || fail "tfc: MatMul_56's sums differ from the reference"
expect_status 0 "tfc: fixed predict" -- "$NNFIRM" predict "$MT" --input "$XT" --config default -o "$T/tfx.csv"
cmp -s "$T/tfx.csv" "$R/qonnx_tfc_2w2a.fixed.csv" && pass || fail "tfc: fixed-point outputs differ from the exact reference"
expect_status 0 "tfc: config" -- "$NNFIRM" config "$MT" -o "$T/tf.json"
expect_status 0 "tfc: predict by the written config" -- "$NNFIRM" predict "$MT" --input "$XT" --config "$T/tf.json" -o "$T/tfc.csv"
cmp -s "$T/tfc.csv" "$R/qonnx_tfc_2w2a.fixed.csv" && pass || fail "tfc: outputs by the written configuration differ from the exact reference"
# its RTL (Verilator build about 40 s of one core: not in the sanitizer pass, as for tfc1 below)
if [ -z "${NNFIRM_SANITIZED:-}" ] && command -v verilator >/dev/null 2>&1; then
  expect_status 0 "tfc: convert" -- "$NNFIRM" convert "$MT" -o "$T/pt2"
  cosim_expect "tfc" "$T/pt2" "$XT" verilator 50
  lint_ok "tfc" "$T/pt2"
fi
# The Brevitas MNIST TFC_1W1A: BipolarQuant on the weights and on every activation (+1 at 0: the
# input quantizer sees 2 x - 1 = 0 at x = 0.5), BatchNormalization before each hidden BipolarQuant.
# Float outputs equal the reference within 1e-6; in fixed point each normalization and its
# bipolar become exact thresholds on the Dense's whole sums (gammas < 0 flipped at import):
# the last hidden layer's 64 +-1 values equal the reference on every row, the last MatMul's
# whole-number sums too (its normalization kept apart, not folded into its +-1 weights), and the
# outputs the reference's hls4ml affine in ap_fixed<16,6>, digit for digit; the RTL the emulator.
M1="$O/qonnx_tfc_1w1a.onnx"; X1="$R/qonnx_tfc_1w1a.inputs.csv"
"$NNFIRM" model show "$M1" > "$T/show" 2>"$T/err"
grep -q "Total params: 63154\$" "$T/show" && pass || fail "tfc1: $(grep Total "$T/show") $(cat "$T/err")"
expect_eq "$(grep -c '(Activation) *bipolar ' "$T/show")" 4 "tfc1: four bipolar activations"
expect_eq "$(grep -c '(Dense) *quantized_bits(2,1) ' "$T/show")" 4 "tfc1: +-1 weights"
expect_status 0 "tfc1: float predict" -- "$NNFIRM" predict "$M1" --input "$X1" -o "$T/t1.csv"
within "$T/t1.csv" "$R/qonnx_tfc_1w1a.float.csv" 10 1e-6 50 && pass || fail "tfc1: float outputs differ from the reference by more than 1e-6"
expect_status 0 "tfc1: fixed hidden" -- "$NNFIRM" predict "$M1" --input "$X1" --config default --layer BatchNormalization_33 -o "$T/t1h.csv"
cmp -s "$T/t1h.csv" "$R/qonnx_tfc_1w1a.hidden.csv" && pass || fail "tfc1: the last hidden layer's +-1 values differ from the reference"
expect_status 0 "tfc1: fixed predict" -- "$NNFIRM" predict "$M1" --input "$X1" --config default -o "$T/t1x.csv"
cmp -s "$T/t1x.csv" "$R/qonnx_tfc_1w1a.fixed.csv" && pass || fail "tfc1: fixed-point outputs differ from the exact reference"
expect_status 0 "tfc1: fixed sums" -- "$NNFIRM" predict "$M1" --input "$X1" --config default --layer MatMul_40 -o "$T/t1s.csv"
cmp -s "$T/t1s.csv" "$R/qonnx_tfc_1w1a.sums.csv" && pass || fail "tfc1: MatMul_40's sums differ from the reference"
# the configuration nnfirm writes (a type per layer: each MatMul's exact sum) gives the same
expect_status 0 "tfc1: config" -- "$NNFIRM" config "$M1" -o "$T/t1.json"
grep -A7 '"MatMul_16"' "$T/t1.json" | grep -q '"accum":.*"ap_fixed<11,11>"' && pass || fail "tfc1: MatMul_16's accumulator is not the exact ap_fixed<11,11>"
expect_status 0 "tfc1: predict by the written config" -- "$NNFIRM" predict "$M1" --input "$X1" --config "$T/t1.json" -o "$T/t1c.csv"
cmp -s "$T/t1c.csv" "$R/qonnx_tfc_1w1a.fixed.csv" && pass || fail "tfc1: outputs by the written configuration differ from the exact reference"
paste -d, "$T/t1x.csv" "$R/qonnx_tfc_1w1a.float.csv" | awk -F, '{a = 1; b = 11; for (i = 2; i <= 10; i++) {if ($i > $a) a = i;
  if ($(i + 10) > $b) b = i + 10} if (a + 10 == b) ok++} END {exit ok != 50}' && pass || fail "tfc1: fixed-point argmax differs"
expect_status 0 "tfc1: convert" -- "$NNFIRM" convert "$M1" -o "$T/pt1"
# after a threshold node or a bipolar: one bit per input (XNOR-popcount), MatMul_40 too (its
# final affine is a node of its own)
for l in MatMul_16 MatMul_24 MatMul_32 MatMul_40; do
  grep -q "${l}_x63_\(pos\|neg\)" "$T/pt1/rtl/myproject_$l.v" && pass || fail "tfc1: $l does not read its bipolar inputs as bits"
done
# co-simulation on Verilator (its build takes about two minutes of one core: not in the sanitizer
# pass, whose nnfirm is what it checks, not the simulator; Icarus needs 30 s a row here)
if [ -z "${NNFIRM_SANITIZED:-}" ] && command -v verilator >/dev/null 2>&1; then
  cosim_expect "tfc1" "$T/pt1" "$X1" verilator 50
  lint_ok "tfc1" "$T/pt1"
fi

# nnfirm_qonnx_bipolar.onnx (written for these tests): a bipolar activation alone after a Gemm
# (sums exactly 0 in 133 places: +1 there, where binary_tanh gives -1) and after a normalization
# with gammas of both signs and thresholds the sums reach; outputs whole numbers, exactly
MB="$O/nnfirm_qonnx_bipolar.onnx"; XB="$R/nnfirm_qonnx_bipolar.inputs.csv"
expect_status 0 "bipolar: float predict" -- "$NNFIRM" predict "$MB" --input "$XB" -o "$T/bf.csv"
cmp -s "$T/bf.csv" "$R/nnfirm_qonnx_bipolar.fixed.csv" && pass || fail "bipolar: float outputs differ from the exact reference"
expect_status 0 "bipolar: fixed predict" -- "$NNFIRM" predict "$MB" --input "$XB" --config default -o "$T/bx.csv"
cmp -s "$T/bx.csv" "$R/nnfirm_qonnx_bipolar.fixed.csv" && pass || fail "bipolar: fixed-point outputs differ from the exact reference"
expect_status 0 "bipolar: convert" -- "$NNFIRM" convert "$MB" -o "$T/pb"
for l in MatMul_2 MatMul_3; do
  grep -q "${l}_x0_\(pos\|neg\)" "$T/pb/rtl/myproject_$l.v" && pass || fail "bipolar: $l does not read its bipolar inputs as bits"
done
if command -v iverilog >/dev/null 2>&1; then cosim_expect "qonnx bipolar" "$T/pb" "$XB" iverilog 200; fi
if command -v verilator >/dev/null 2>&1; then lint_ok "qonnx bipolar" "$T/pb"; fi
# nnfirm_qonnx_bipolar_scaled.onnx (written for these tests): bipolar activations of power-of-two
# scales, one per feature (2, 0.5, 4) and one for the tensor (0.25), each an affine node after the
# bipolar; outputs short binary fractions, exact in float and in fixed point, and in the RTL
MS="$O/nnfirm_qonnx_bipolar_scaled.onnx"; XS="$R/nnfirm_qonnx_bipolar_scaled.inputs.csv"
"$NNFIRM" model show "$MS" > "$T/ss"
expect_eq "$(grep -c '_scale (BatchNormalization)' "$T/ss")" 2 "scaled bipolar: two scale nodes"
expect_status 0 "scaled bipolar: float predict" -- "$NNFIRM" predict "$MS" --input "$XS" -o "$T/sf.csv"
cmp -s "$T/sf.csv" "$R/nnfirm_qonnx_bipolar_scaled.fixed.csv" && pass || fail "scaled bipolar: float outputs differ from the exact reference"
expect_status 0 "scaled bipolar: fixed predict" -- "$NNFIRM" predict "$MS" --input "$XS" --config default -o "$T/sx.csv"
cmp -s "$T/sx.csv" "$R/nnfirm_qonnx_bipolar_scaled.fixed.csv" && pass || fail "scaled bipolar: fixed-point outputs differ from the exact reference"
expect_status 0 "scaled bipolar: convert" -- "$NNFIRM" convert "$MS" -o "$T/ps"
if command -v iverilog >/dev/null 2>&1; then cosim_expect "scaled bipolar" "$T/ps" "$XS" iverilog 100; fi
if command -v verilator >/dev/null 2>&1; then lint_ok "scaled bipolar" "$T/ps"; fi
# a scale that is not a power of two is refused by name
expect_status 2 "bipolar scale 3" -- "$NNFIRM" import "$H/qonnx_bipolar_scale3.onnx" -o "$T/bs.nnf"
expect_err_contains "node 'BipolarQuant_act': scale 3 (element 0) is not a power of two" "bipolar scale named"
expect_no_file "$T/bs.nnf" "bipolar scale: nothing written"

# an affine step nnfirm does not take: a constant minus the activation
expect_status 2 "constant minus activation" -- "$NNFIRM" import "$H/qonnx_const_minus_act.onnx" -o "$T/cm.nnf"
expect_err_contains "node 'Sub_0': Sub is supported only as the activation minus a constant" "constant minus activation named"
expect_no_file "$T/cm.nnf" "constant minus activation: nothing written"

# bad input: exit 2, the file, node and offending value named, nothing written
refused() { # <file> <node> <text>
  for cmd in import convert; do
    expect_status 2 "$1: $cmd" -- "$NNFIRM" $cmd "$H/$1.onnx" -o "$T/out_$cmd"
    expect_err_contains "$1.onnx" "$1: the message names the file"
    expect_err_contains "node '$2'" "$1: the message names the node"
    expect_err_contains "$3" "$1: the message names the value"
    expect_no_file "$T/out_$cmd" "$1: $cmd wrote nothing"
  done
}
refused qonnx_act_scale_not_pow2 Quant_act "scale 0.300000012 (element 0) is not a power of two"
refused qonnx_weight_scale_not_pow2 Quant_w "scale 0.100000001 (element 0) is not a power of two"
refused qonnx_zero_point Quant_act "zero point 1 (element 0) is not 0"
finish
