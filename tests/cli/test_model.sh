#!/bin/sh
# nnfirm model show: Keras-style summary of imported and native models; bad files.
. "$SRCDIR/tests/cli/lib.sh"

expect_status 0 "help" -- "$NNFIRM" model --help
expect_status 0 "show a Keras model" -- "$NNFIRM" model show "$TESTDATA/models/keras/KERAS_3layer_batch_norm.json"
grep -q "Total params: 4921" "$T/out" && pass || fail "Keras BN model: total params (Keras reports 4,921)"
grep -q "Non-trainable params: 266" "$T/out" && pass || fail "Keras BN model: non-trainable params"
grep -q "bn1 (BatchNormalization)" "$T/out" && pass || fail "layer line with type"

expect_status 0 "show an ONNX model" -- "$NNFIRM" model show "$TESTDATA/models/onnx/three_layer_keras.onnx"
grep -q "(None, 5)" "$T/out" && pass || fail "ONNX output shape"

printf 'not a model at all\n' > "$T/junk.nnf"
expect_status 2 "junk .nnf" -- "$NNFIRM" model show "$T/junk.nnf"
expect_err_contains "$T/junk.nnf" "junk .nnf names the file"
expect_err_contains "not an nnfirm model" "junk .nnf says why"

head -c 30 "$SRCDIR/fuzz/corpus/nnf/small.nnf" > "$T/cut.nnf"
expect_status 2 "truncated .nnf" -- "$NNFIRM" model show "$T/cut.nnf"
expect_err_contains "truncated" "truncated .nnf says so"

expect_status 2 "no subcommand" -- "$NNFIRM" model
expect_status 2 "unknown subcommand" -- "$NNFIRM" model frobnicate x.nnf
expect_status 2 "missing file" -- "$NNFIRM" model show "$T/nope.nnf"
finish
