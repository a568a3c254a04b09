# Convolutional networks in firmware (issue 14): io_stream RTL (one pixel
# per beat, line-buffer window generators, the kernel's Dense over each
# window, max and average pooling in the stream, a collector at the Flatten) and
# io_parallel RTL (the whole image at once) equal the emulator on every
# output code (co-simulation, Verilator and Icarus), with the latency and II
# the manifest states; the Verilog is lint-clean; what has no RTL is refused
# by name with no project written.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; R="$TESTDATA/refs"
ROWS=12
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=6

printf 'IOType: io_stream\nModel:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 1\n' > "$T/stream.yml"
printf 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 1\n' > "$T/par.yml"

# nnfirm config writes IOType io_stream for a CNN (hls4ml's CNN examples run so), io_parallel for an MLP.
"$NNFIRM" config "$K/jetTagger_Conv2D_Small.json" > "$T/jet.json" || fail "config jetTagger"
grep -q '"IOType":[[:space:]]*"io_stream"' "$T/jet.json" && pass || fail "config of a CNN: $(grep IOType "$T/jet.json")"
"$NNFIRM" config "$K/KERAS_3layer.json" > "$T/mlp.json" || fail "config KERAS_3layer"
grep -q '"IOType":[[:space:]]*"io_parallel"' "$T/mlp.json" && pass || fail "config of an MLP: $(grep IOType "$T/mlp.json")"

# Conv1D with 'same' padding (the window generators pad), three in a row, then Flatten and Dense.
expect_status 0 "conv1d io_stream convert" -- "$NNFIRM" convert "$K/KERAS_conv1d_small.json" --config "$T/stream.yml" -o "$T/s1"
grep -q '"io_type":[[:space:]]*"io_stream"' "$T/s1/manifest.json" && pass || fail "conv1d: manifest io_type"
[ -f "$T/s1/rtl/myproject_conv1_relu_window.v" ] && pass || fail "conv1d: no window generator"
grep -q "output in_ready" "$T/s1/rtl/myproject.v" && pass || fail "conv1d: the stream's top has no in_ready"
lint_ok "conv1d io_stream" "$T/s1"
cosim_expect "conv1d io_stream" "$T/s1" "$R/cnn_KERAS_conv1d_small.inputs.csv" verilator 30
cosim_expect "conv1d io_stream" "$T/s1" "$R/cnn_KERAS_conv1d_small.inputs.csv" iverilog 8
# a frame of 10 pixels at one pixel per beat: the row interval is at least the frame
expect_eq "$(json_num input_beats "$T/s1/manifest.json")" 10 "conv1d: input beats per row (manifest)"
ii=$(json_num II "$T/s1/manifest.json")
[ "${ii:-0}" -ge 10 ] && pass || fail "conv1d: II $ii below the frame's 10 pixels"

# Conv2D + max pooling (QKeras, 28 x 28 images, two convolutions and two poolings).
expect_status 0 "qkeras_mnist_cnn io_stream convert" -- "$NNFIRM" convert "$K/qkeras_mnist_cnn.json" --config "$T/stream.yml" -o "$T/s2"
lint_ok "qkeras_mnist_cnn io_stream" "$T/s2"
cosim_expect "qkeras_mnist_cnn io_stream" "$T/s2" "$R/cnn_qkeras_mnist_cnn.inputs.csv" verilator "$ROWS"
# line buffers: a line of at least 2,048 bits (the default LineBufferBRAMBits) is one block RAM, read a push
# ahead: the pooling's 26 pixels x 96 bits (one line) and the second convolution's 13 x 256 (two lines in
# one word); the first convolution's 28 x 16 bits stay an array Yosys maps to LUT RAM
grep -q '(\* ram_style = "block" \*) reg \[95:0\] lines \[0:25\]' "$T/s2/rtl/myproject_max_pooling2d_window.v" && pass \
  || fail "pooling: the 26-pixel row of 2,496 bits is not a block RAM"
grep -q 'reg \[511:0\] lines \[0:12\]' "$T/s2/rtl/myproject_q_conv2d_1_window.v" && pass || fail "q_conv2d_1: its two lines not one block RAM"
# the estimate: 96 bits x 26 words = 3 RAMB18E2, 512 x 13 = 15 (Yosys 0.23 on the two window modules: 3 and 15)
expect_status 0 "qkeras_mnist_cnn estimate" -- "$NNFIRM" estimate "$T/s2" --json
expect_eq "$(json_num bram "$T/out")" 9 "qkeras_mnist_cnn: estimated 36 Kb blocks (18 RAMB18E2)"
grep -q "reg \[15:0\] line1 \[0:27\]" "$T/s2/rtl/myproject_q_conv2d_window.v" && ! grep -q ram_style "$T/s2/rtl/myproject_q_conv2d_window.v" \
  && pass || fail "q_conv2d: the 448-bit line is not a register array"

# The jet-image CNN: BatchNormalization on the input pixels, strided 'same' convolutions.
expect_status 0 "jetTagger io_stream convert" -- "$NNFIRM" convert "$K/jetTagger_Conv2D_Small.json" --config "$T/stream.yml" -o "$T/s3"
lint_ok "jetTagger io_stream" "$T/s3"
cosim_expect "jetTagger io_stream" "$T/s3" "$R/cnn_jetTagger_Conv2D_Small.inputs.csv" verilator "$ROWS"

# io_parallel: the image at once (the convolution as one Dense over the whole input).
expect_status 0 "conv1d io_parallel convert" -- "$NNFIRM" convert "$K/KERAS_conv1d_small.json" --config "$T/par.yml" -o "$T/p1"
! grep -q "in_ready" "$T/p1/rtl/myproject.v" && pass || fail "io_parallel top has in_ready"
lint_ok "conv1d io_parallel" "$T/p1"
cosim_expect "conv1d io_parallel" "$T/p1" "$R/cnn_KERAS_conv1d_small.inputs.csv" verilator 30
expect_eq "$(json_num II "$T/p1/manifest.json")" 1 "conv1d io_parallel: II"
expect_eq "$(json_num input_beats "$T/p1/manifest.json")" 1 "conv1d io_parallel: input beats per row"
expect_status 0 "conv2d io_parallel convert" -- "$NNFIRM" convert "$K/KERAS_conv2d_model.json" --config "$T/par.yml" -o "$T/p2"
lint_ok "conv2d io_parallel" "$T/p2"
cosim_expect "conv2d io_parallel" "$T/p2" "$R/cnn_KERAS_conv2d_model.inputs.csv" iverilog 4

# Average pooling (gen/avgpool_onnx.py): a padded 3x3 AveragePool (windows of 4, 6 and 9 cells: a
# position counter picks the divider in io_stream) and a GlobalAveragePool (24 cells) feeding the Dense
# in io_stream without a collector; 20 of the 40 rows overflow ap_fixed<16,6> (negative, wrapped sums).
O="$TESTDATA/models/onnx"; A="$O/nnfirm_avgpool.onnx"; AR="$R/nnfirm_avgpool.inputs.csv"
AROWS=40
[ -n "${NNFIRM_SANITIZED:-}" ] && AROWS=12
"$NNFIRM" config "$A" -o "$T/avg.json" || fail "config nnfirm_avgpool"
grep -q '"IOType":[[:space:]]*"io_stream"' "$T/avg.json" && pass || fail "config of an average-pooling CNN: not io_stream"
expect_status 0 "avgpool io_stream convert" -- "$NNFIRM" convert "$A" --config "$T/avg.json" -o "$T/a1"
lint_ok "avgpool io_stream" "$T/a1"
grep -q "localparam \[23:0\] CELLS4 = " "$T/a1/rtl/myproject_AveragePool_2.v" && pass || fail "avgpool: no position mask of the 4-cell windows"
grep -q "_d9_q = " "$T/a1/rtl/myproject_AveragePool_2.v" && grep -q "_d24_q = " "$T/a1/rtl/myproject_GlobalAveragePool_3.v" \
  && pass || fail "avgpool: no divider by 9 or by 24"
ls "$T/a1/rtl" | grep -q collect && fail "avgpool: a collector before the Dense after global pooling" || pass
# pipelined by the Dense's delay model at ClockPeriod 5 ns: registers inside the window's sum and the
# divider (<signal>_r<stage>), more than one cycle per pooling, the model's longest stage within the clock
for m in AveragePool_2 GlobalAveragePool_3; do
  f="$T/a1/rtl/myproject_$m.v"
  lat=$(sed -n 's|^//   latency \([0-9]*\) cycles.*|\1|p' "$f")
  [ "${lat:-0}" -ge 2 ] && grep -q "_r1 <= " "$f" && grep -q "_y0 <= " "$f" && pass || fail "avgpool: $m not pipelined (latency ${lat:-?})"
done
expect_status 0 "avgpool estimate" -- "$NNFIRM" estimate "$T/a1" --json
cp=$(json_num critical_path_ns "$T/out")
awk -v c="${cp:-99}" 'BEGIN { exit !(c > 0 && c <= 5) }' && pass || fail "avgpool: the delay model's longest stage ${cp:-?} ns, not within 5 ns"
cosim_expect "avgpool io_stream" "$T/a1" "$AR" verilator "$AROWS"
cosim_expect "avgpool io_stream" "$T/a1" "$AR" iverilog 12
# accum_t wide enough that no partial sum wraps: the sums are adder trees
python3 - "$T/avg.json" "$T/avgw.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for n in ("AveragePool_2", "GlobalAveragePool_3"):
    c["LayerName"][n]["Precision"]["accum"] = "ap_fixed<24,12>"
json.dump(c, open(sys.argv[2], "w"))
PY
expect_status 0 "avgpool wide accum convert" -- "$NNFIRM" convert "$A" --config "$T/avgw.json" -o "$T/a2"
G3="$T/a2/rtl/myproject_GlobalAveragePool_3.v"
grep -q "GlobalAveragePool_3_o0_l1_0 = " "$G3" && ! grep -q "GlobalAveragePool_3_o0_s1 = " "$G3" && pass \
  || fail "avgpool wide accum: not an adder tree"
G1="$T/a1/rtl/myproject_GlobalAveragePool_3.v" # a wrapping accum_t: a tree too (wrapping is addition mod 2^W)
grep -q "GlobalAveragePool_3_o0_l1_0 = " "$G1" && ! grep -q "GlobalAveragePool_3_o0_s1 = " "$G1" && pass \
  || fail "avgpool, wrapping accum: not an adder tree"
# a saturating, rounding accum_t: hls4ml's chain of casts, one per cell
python3 - "$T/avg.json" "$T/avgs.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for n in ("AveragePool_2", "GlobalAveragePool_3"):
    c["LayerName"][n]["Precision"]["accum"] = "ap_fixed<15,6,AP_RND,AP_SAT>"
json.dump(c, open(sys.argv[2], "w"))
PY
expect_status 0 "avgpool saturating accum convert" -- "$NNFIRM" convert "$A" --config "$T/avgs.json" -o "$T/a4"
grep -q "GlobalAveragePool_3_o0_s1 = " "$T/a4/rtl/myproject_GlobalAveragePool_3.v" && pass || fail "avgpool saturating accum: not the chain"
# LineBufferBRAMBits 1: every line buffer of the design in block RAM (one of 2 lines: the 3x3 pool; five:
# the global pool); Yosys 0.23 infers it (RAMB18E2/RAMB36E2 in synth_xilinx's counts)
python3 - "$T/avg.json" "$T/avgb.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["LineBufferBRAMBits"] = 1
json.dump(c, open(sys.argv[2], "w"))
PY
expect_status 0 "avgpool BRAM lines convert" -- "$NNFIRM" convert "$A" --config "$T/avgb.json" -o "$T/a5"
lint_ok "avgpool BRAM lines" "$T/a5"
[ "$(grep -l 'ram_style = "block"' "$T/a5"/rtl/*_window.v | wc -l)" = 3 ] && pass || fail "avgpool LineBufferBRAMBits 1: not 3 block RAMs"
cosim_expect "avgpool BRAM lines" "$T/a5" "$AR" iverilog 12
W="$T/a5/rtl/myproject_GlobalAveragePool_3_window.v"
yosys -q -p "read_verilog $W; synth_xilinx -family xcup -top myproject_GlobalAveragePool_3_window; tee -o $T/ystat.txt stat" \
  >"$T/yosys.log" 2>&1 || fail "yosys on the BRAM window generator: $(tail -3 "$T/yosys.log")"
grep -q -E "RAMB(18|36)E2 +[1-9]" "$T/ystat.txt" && pass || fail "yosys: no block RAM for the line buffers: $(grep -E 'RAM|LUT' "$T/ystat.txt")"
# the estimate counts those block RAMs as Yosys maps them (RAMB18E2: 36 bits x 512 words, tiles side by
# side; 36 Kb blocks, a RAMB18 half of one): the global pool's 240-bit line as Yosys' count of its window,
# the design's 96-, 32- and 240-bit lines 3 + 1 + 7 = 11 RAMB18E2 (Yosys 0.23, whole design) = 5.5 blocks
ys18=$(awk '/RAMB18E2/ {n += $2} /RAMB36E2/ {n += 2 * $2} END {print n + 0}' "$T/ystat.txt")
expect_status 0 "avgpool BRAM lines estimate" -- "$NNFIRM" estimate "$T/a5" --json
expect_eq "$(json_num bram "$T/out")" 5.5 "avgpool LineBufferBRAMBits 1: estimated 36 Kb blocks"
gap=$(python3 -c 'import json,sys; print(round(2 * [l for l in json.load(open(sys.argv[1]))["layers"] if l["name"] == "GlobalAveragePool_3"][0]["bram"]))' "$T/out")
expect_eq "$gap" "$ys18" "avgpool: the global pool's estimated RAMB18 tiles against Yosys'"
printf 'IOType: io_stream\nLineBufferBRAMBits: 0\nModel:\n  Precision: ap_fixed<16,6>\n' > "$T/lb0.yml"
expect_status 2 "LineBufferBRAMBits 0" -- "$NNFIRM" convert "$A" --config "$T/lb0.yml" -o "$T/none2"
expect_err_contains "LineBufferBRAMBits: 0 is not a whole number of bits" "LineBufferBRAMBits 0"
[ ! -e "$T/none2" ] && pass || fail "a half project was written (LineBufferBRAMBits 0)"
lint_ok "avgpool saturating accum" "$T/a4"
cosim_expect "avgpool saturating accum" "$T/a4" "$AR" iverilog 12
lint_ok "avgpool wide accum" "$T/a2"
cosim_expect "avgpool wide accum" "$T/a2" "$AR" iverilog 12
sed 's/"io_stream"/"io_parallel"/' "$T/avg.json" > "$T/avgp.json"
expect_status 0 "avgpool io_parallel convert" -- "$NNFIRM" convert "$A" --config "$T/avgp.json" -o "$T/a3"
lint_ok "avgpool io_parallel" "$T/a3"
cosim_expect "avgpool io_parallel" "$T/a3" "$AR" iverilog 6
# the ONNX layout graphs: padded 2x2 AveragePool after MaxPool (Conv2D), GlobalAveragePool -> Gemm (Conv1D)
for o in nnfirm_cf_conv2d nnfirm_cf_conv1d; do
  expect_status 0 "$o io_stream convert" -- "$NNFIRM" convert "$O/$o.onnx" --config "$T/stream.yml" -o "$T/$o"
  lint_ok "$o io_stream" "$T/$o"
  cosim_expect "$o io_stream" "$T/$o" "$R/$o.inputs.csv" iverilog 12
done
cosim_expect "nnfirm_cf_conv1d io_stream" "$T/nnfirm_cf_conv1d" "$R/nnfirm_cf_conv1d.inputs.csv" verilator 12

# A large max-pooling window (gen/maxpool_onnx.py: 4x4, 16 cells, four comparator levels): its comparator
# trees are pipelined by the Dense's delay model (a comparison costs an adder level), so the model's longest
# stage fits the 5 ns clock; a 2x2 window (two levels) stays combinational (latency 0)
MP="$O/nnfirm_maxpool.onnx"
"$NNFIRM" config "$MP" -o "$T/mp.json" || fail "config nnfirm_maxpool"
expect_status 0 "maxpool 4x4 io_stream convert" -- "$NNFIRM" convert "$MP" --config "$T/mp.json" -o "$T/mp"
f="$T/mp/rtl/myproject_MaxPool_2.v"
lat=$(sed -n 's|^//   latency \([0-9]*\) cycles.*|\1|p' "$f")
[ "${lat:-0}" -ge 2 ] && grep -q "_r1 <= " "$f" && grep -q "_y0 <= " "$f" && pass || fail "maxpool 4x4: not pipelined (latency ${lat:-?})"
grep -q "^//   latency 0 cycles" "$T/nnfirm_cf_conv2d/rtl/myproject_MaxPool_3.v" && pass || fail "maxpool 2x2: no longer combinational"
expect_status 0 "maxpool 4x4 estimate" -- "$NNFIRM" estimate "$T/mp" --json
cp=$(json_num critical_path_ns "$T/out")
awk -v c="${cp:-99}" 'BEGIN { exit !(c > 0 && c <= 5) }' && pass || fail "maxpool 4x4: the delay model's longest stage ${cp:-?} ns, not within 5 ns"
lint_ok "maxpool 4x4 io_stream" "$T/mp"
cosim_expect "maxpool 4x4 io_stream" "$T/mp" "$R/nnfirm_maxpool.inputs.csv" verilator 20
cosim_expect "maxpool 4x4 io_stream" "$T/mp" "$R/nnfirm_maxpool.inputs.csv" iverilog 12

# ReuseFactor > 1 on io_stream Convs, as hls4ml builds them (the pixel loop pipelined at II = ReuseFactor,
# the window's Dense sharing its multipliers): conv1 4, conv2 3, conv3 2 -> the stream takes a pixel every 4
# cycles (its largest ReuseFactor), so its II is 4x the ReuseFactor-1 stream's; the Convs' Dense modules are
# the resource-sharing Dense (chunk selectors _xsel, II = their ReuseFactor)
printf 'IOType: io_stream\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv1_relu:\n    ReuseFactor: 4\n  conv2_relu:\n    ReuseFactor: 3\n  conv3_relu:\n    ReuseFactor: 2\n' > "$T/rf.yml"
expect_status 0 "stream conv ReuseFactor 4/3/2 convert" -- "$NNFIRM" convert "$K/KERAS_conv1d_small.json" --config "$T/rf.yml" -o "$T/rf1"
expect_eq "$(json_num pixel_interval "$T/rf1/manifest.json")" 4 "conv1d ReuseFactor 4/3/2: pixel interval (manifest)"
expect_eq "$(json_num pixel_interval "$T/s1/manifest.json")" 1 "conv1d ReuseFactor 1: pixel interval (manifest)"
expect_eq "$(json_num II "$T/rf1/manifest.json")" "$(( 4 * $(json_num II "$T/s1/manifest.json") ))" "conv1d ReuseFactor 4/3/2: II"
for m in conv1_relu:4 conv2_relu:3 conv3_relu:2; do
  f="$T/rf1/rtl/myproject_${m%%:*}.v"
  grep -q "_xsel0 <= " "$f" && grep -q "^//   latency [0-9]* cycles, initiation interval ${m#*:}\$" "$f" && pass \
    || fail "conv1d: ${m%%:*} is not the resource-sharing Dense of II ${m#*:}"
done
grep -q "wire step = phase == " "$T/rf1/rtl/myproject.v" && grep -q "assign in_ready = st_seg0;" "$T/rf1/rtl/myproject.v" \
  && pass || fail "conv1d ReuseFactor 4: the top does not pace the stream"
lint_ok "conv1d ReuseFactor 4/3/2" "$T/rf1"
# the reuse Dense is in the delay model: selections registered, a multiplier wider than a stage's adder
# levels split into partial products by 4-bit weight digits (_p<m>), every stage within the 5 ns clock
grep -q "conv2_relu_o0_ch0_p0 = " "$T/rf1/rtl/myproject_conv2_relu.v" && grep -q "_xsel0 <= " "$T/rf1/rtl/myproject_conv2_relu.v" \
  && pass || fail "conv1d ReuseFactor 3: the multiplier is not split, or the selection not registered"
expect_status 0 "conv1d ReuseFactor 4/3/2 estimate" -- "$NNFIRM" estimate "$T/rf1" --json
grep -q '"critical_path_partial":[[:space:]]*false' "$T/out" && pass || fail "conv1d ReuseFactor 4/3/2: the delay model leaves the reuse Dense out"
cp=$(json_num critical_path_ns "$T/out")
awk -v c="${cp:-99}" 'BEGIN { exit !(c > 0 && c <= 5) }' && pass || fail "conv1d ReuseFactor 4/3/2: the delay model's longest stage ${cp:-?} ns"
cosim_expect "conv1d ReuseFactor 4/3/2" "$T/rf1" "$R/cnn_KERAS_conv1d_small.inputs.csv" verilator 30
cosim_expect "conv1d ReuseFactor 4/3/2" "$T/rf1" "$R/cnn_KERAS_conv1d_small.inputs.csv" iverilog 8
# Conv2D ('same' padding: the window generator pads at the steps) + ReLU + max and padded average pooling
printf 'IOType: io_stream\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  Conv_1:\n    ReuseFactor: 6\n' > "$T/rf2.yml"
expect_status 0 "cf_conv2d ReuseFactor 6 convert" -- "$NNFIRM" convert "$O/nnfirm_cf_conv2d.onnx" --config "$T/rf2.yml" -o "$T/rf2"
expect_eq "$(json_num pixel_interval "$T/rf2/manifest.json")" 6 "cf_conv2d ReuseFactor 6: pixel interval (manifest)"
expect_eq "$(json_num II "$T/rf2/manifest.json")" "$(( 6 * $(json_num II "$T/nnfirm_cf_conv2d/manifest.json") ))" "cf_conv2d ReuseFactor 6: II"
lint_ok "cf_conv2d ReuseFactor 6" "$T/rf2"
# the netlist's own static timing (Yosys 0.23 synth_xilinx, flat): the design meets its 5 ns clock
expect_status 0 "cf_conv2d ReuseFactor 6 synth" -- "$NNFIRM" synth "$T/rf2" --json --quiet
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass \
  || fail "cf_conv2d ReuseFactor 6: misses 5 ns, $(json_num critical_path_ns "$T/out") ns ($(grep -A2 '"critical_path"' "$T/out" | tr -d '\n\t'))"
cosim_expect "cf_conv2d ReuseFactor 6" "$T/rf2" "$R/nnfirm_cf_conv2d.inputs.csv" iverilog 12
cosim_expect "cf_conv2d ReuseFactor 6" "$T/rf2" "$R/nnfirm_cf_conv2d.inputs.csv" verilator 12

# Refused by name, no project: a ReuseFactor that does not divide the window's multiplications (hls4ml's
# rule for a Dense: n_in * n_out, here kh*kw*c x filters = 16 x 3), or is not a positive integer.
for rf in 5 0 -2; do
  printf 'IOType: io_stream\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv1_relu:\n    ReuseFactor: %s\n' "$rf" > "$T/rfbad.yml"
  expect_status 2 "stream conv ReuseFactor $rf" -- "$NNFIRM" convert "$K/KERAS_conv1d_small.json" --config "$T/rfbad.yml" -o "$T/none1"
  grep -q "conv1_relu.*ReuseFactor" "$T/err" && pass || fail "ReuseFactor $rf message: $(cat "$T/err")"
  [ ! -e "$T/none1" ] && pass || fail "a half project was written (ReuseFactor $rf)"
done
grep -q "ReuseFactor: -2 is not an integer in 1..4096" "$T/err" && pass || fail "ReuseFactor -2 message: $(cat "$T/err")"
# ParallelizationFactor P on io_parallel Convs (hls4ml's partitions: P output pixels a step, out_pixels / P
# steps): conv1 P 5 (2 partitions), conv2 P 2 (5), conv3 P 1 (10 of one pixel), 10 pixels each. The layer's
# II is its partitions (the design's II the largest, 10), its module a counter over the partitions, a
# selection of their windows, one Dense over P windows (P x filters outputs) and a register per partition.
# pf_check <label> <model> <configuration> <inputs> <II> <layer:R:partitions:P:filters>...: converts <model>
# with <configuration> (printf's escapes) into $T/pfc; the design's II; each layer's II
# (partitions x R), its partition registers (P x filters codes of 16 bits each) and window selections, or with
# one partition its windows wired to the input; with R > 1 the resource-sharing Dense (_xsel chunk
# selections); lint; co-simulation on Verilator (8 rows) and Icarus (4)
pf_check() {
  lbl=$1 dir="$T/pfc" csv=$4
  printf '%b' "$3" > "$T/pfc.yml"
  rm -rf "$dir"
  expect_status 0 "$lbl convert" -- "$NNFIRM" convert "$2" --config "$T/pfc.yml" -o "$dir"
  expect_eq "$(json_num II "$dir/manifest.json")" "$5" "$lbl: II (manifest)"
  shift 5
  for m in "$@"; do
    IFS=: read -r n rf np pf nf <<EOF2
$m
EOF2
    f="$dir/rtl/myproject_$n.v"
    grep -q "^//   latency [0-9]* cycles, initiation interval $(( np * rf ))\$" "$f" && pass || fail "$lbl: $n's II is not $np partitions x $rf"
    [ "$rf" = 1 ] || { grep -q "_xsel0 <= " "$f" && pass || fail "$lbl: $n is not the resource-sharing Dense"; }
    if [ "$np" = 1 ]; then
      grep -q "assign pf_xv = in_valid;" "$f" && pass || fail "$lbl: $n's one partition is not wired"
    else
      [ "$(grep -c "^  reg \[$(( pf * nf * 16 - 1 )):0\] pf_o[0-9]*; " "$f")" = "$np" ] && pass \
        || fail "$lbl: $n has not $np partition registers of $pf pixels x $nf filters"
      [ "$(grep -c "^    [0-9]*'d[0-9]*: begin\$" "$f")" = "$np" ] && pass || fail "$lbl: $n does not select windows by partition"
    fi
  done
  lint_ok "$lbl" "$dir"
  for sim in verilator:8 iverilog:4; do cosim_expect "$lbl" "$dir" "$csv" "${sim%%:*}" "${sim#*:}"; done
}
pf_check "conv1d ParallelizationFactor 5/2/1" "$K/KERAS_conv1d_small.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv1_relu:\n    ParallelizationFactor: 5\n  conv2_relu:\n    ParallelizationFactor: 2\n  conv3_relu:\n    ParallelizationFactor: 1\n' \
  "$R/cnn_KERAS_conv1d_small.inputs.csv" 10 conv1_relu:1:2:5:3 conv2_relu:1:5:2:2 conv3_relu:1:10:1:1
# Conv2D (3x3 'same', 8 x 8 output pixels): P 16, 4 partitions
pf_check "conv2d ParallelizationFactor 16" "$K/KERAS_conv2d_model.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv2d_1:\n    ParallelizationFactor: 16\n' \
  "$R/cnn_KERAS_conv2d_model.inputs.csv" 4 conv2d_1:1:4:16:2
# refused <label> <model> <configuration> <message>: convert exits 2, its message contains <message>, and no
# project is written
refused() {
  printf '%b' "$3" > "$T/refused.yml"
  rm -rf "$T/none4"
  expect_status 2 "$1" -- "$NNFIRM" convert "$2" --config "$T/refused.yml" -o "$T/none4"
  expect_err_contains "$4" "$1"
  [ ! -e "$T/none4" ] && pass || fail "a half project was written ($1)"
}
# refused by name, no project: a P that does not divide the output pixels (hls4ml would substitute the
# closest divisor with a warning), P on an io_stream Conv (not built), P other than 1 on a layer without pixels
refused "conv2d ParallelizationFactor 7" "$K/KERAS_conv2d_model.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv2d_1:\n    ParallelizationFactor: 7\n' "layer 'conv2d_1': ParallelizationFactor 7 does not divide the 64 output pixels (8 x 8;"
refused "io_stream ParallelizationFactor 2" "$K/KERAS_conv1d_small.json" 'IOType: io_stream\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv2_relu:\n    ParallelizationFactor: 2\n' "layer 'conv2_relu': ParallelizationFactor 2 is not built for an io_stream Conv"
refused "Dense ParallelizationFactor 2" "$K/KERAS_conv1d_small.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  fc1_relu:\n    ParallelizationFactor: 2\n' "LayerName.fc1_relu.ParallelizationFactor: 2 is not built for layer 'fc1_relu'"
printf 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\n  ParallelizationFactor: 1\n' > "$T/pf1.yml"
expect_status 0 "ParallelizationFactor 1" -- "$NNFIRM" convert "$K/KERAS_conv1d_small.json" --config "$T/pf1.yml" -o "$T/pf1" --no-rtl

# ReuseFactor R on io_parallel Convs (hls4ml's partition loop, a partition every R cycles, its multiplications
# shared over them): each partition's P windows through the resource-sharing Dense (_xsel chunk selections),
# a layer's II partitions x R. conv1 R 4 P 5 (2 partitions, II 8), conv2 R 8 P 2 (5, II 40; 12 inputs in
# 8 cycles: 2 a cycle, zeros past the window), conv3 R 2 without P (one partition: the windows are wires,
# II 2). Model Strategy Resource, conv2 Strategy Latency (Resource would refuse R 8: below).
pf_check "conv1d io_parallel ReuseFactor 4/8/2" "$K/KERAS_conv1d_small.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\n  Strategy: Resource\nLayerName:\n  conv1_relu:\n    ReuseFactor: 4\n    ParallelizationFactor: 5\n  conv2_relu:\n    ReuseFactor: 8\n    ParallelizationFactor: 2\n    Strategy: Latency\n  conv3_relu:\n    ReuseFactor: 2\n' \
  "$R/cnn_KERAS_conv1d_small.inputs.csv" 40 conv1_relu:4:2:5:3 conv2_relu:8:5:2:2 conv3_relu:2:1:10:1
# Conv2D 3x3 'same' (8 x 8 pixels, 9 inputs a window): R 3 P 16, 4 partitions, II 12
pf_check "conv2d io_parallel ReuseFactor 3" "$K/KERAS_conv2d_model.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv2d_1:\n    ReuseFactor: 3\n    ParallelizationFactor: 16\n' \
  "$R/cnn_KERAS_conv2d_model.inputs.csv" 12 conv2d_1:3:4:16:2
# refused by name, no project: an R that does not divide the window's multiplications (12 x 2), and with
# Strategy Resource one that does not divide its 12 inputs (hls4ml's valid values; it would substitute one)
refused "io_parallel conv ReuseFactor 5" "$K/KERAS_conv1d_small.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\nLayerName:\n  conv2_relu:\n    ReuseFactor: 5\n' "layer 'conv2_relu': ReuseFactor 5 must divide the window's 12 x 2 = 24 multiplications"
refused "io_parallel conv Resource ReuseFactor 8" "$K/KERAS_conv1d_small.json" 'IOType: io_parallel\nModel:\n  Precision: ap_fixed<16,6>\n  Strategy: Resource\nLayerName:\n  conv2_relu:\n    ReuseFactor: 8\n' "layer 'conv2_relu': ReuseFactor 8 is not valid for Strategy Resource on an io_parallel Conv: it must divide the window's 12 inputs (hls4ml's valid values for it: 1, 2, 3, 4, 6, 12)"
finish
