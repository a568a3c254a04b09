#!/bin/sh
# Every regression input of tests/data/hostile/ (inputs the fuzz harnesses
# found crashing, leaking or hanging nnfirm; README.md there says what each
# one is) is refused by the command that reads its kind of file: exit 2, a
# message naming the file, and no output written.
. "$SRCDIR/tests/cli/lib.sh"
H=$TESTDATA/hostile
K=$TESTDATA/models/keras
n=0

# refuse <input> <name shown> <output that must not appear> -- command...
refuse() {
  input=$1 shown=$2 out=$3; shift 4
  expect_status 2 "$input" -- "$@"
  expect_err_contains "$shown" "$input: the message names the file"
  expect_no_file "$out" "$input: nothing written"
  n=$((n + 1))
}

for f in "$H"/*/*; do
  [ -f "$f" ] || continue
  kind=$(basename "$(dirname "$f")")
  base=$(basename "$f")
  rm -rf "$T/out.nnf" "$T/out.csv" "$T/proj"
  case $kind in
    keras_config)
      refuse "$f" "$base" "$T/out.nnf" -- "$NNFIRM" import "$f" --weights "$K/KERAS_3layer_weights.h5" -o "$T/out.nnf" ;;
    keras_weights)
      for cfg in KERAS_3layer KERAS_3layer_batch_norm qkeras_3layer; do
        refuse "$f" "$base" "$T/out.nnf" -- "$NNFIRM" import "$K/$cfg.json" --weights "$f" -o "$T/out.nnf"
      done ;;
    keras_h5 | keras_v3 | onnx | nnf)
      refuse "$f" "$base" "$T/out.nnf" -- "$NNFIRM" import "$f" -o "$T/out.nnf" ;;
    config)
      refuse "$f" "$base" "$T/proj" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --config "$f" -o "$T/proj" --no-rtl ;;
    csv | arff | npy | h5data)
      refuse "$f" "$base" "$T/out.nnf" -- "$NNFIRM" train --data "$f" -o "$T/out.nnf" ;;
    matrix)
      refuse "$f" "$base" "$T/out.csv" -- "$NNFIRM" predict "$TESTDATA/projects/tiny.nnf" --input "$f" -o "$T/out.csv" ;;
    project)
      # The packed form the project harness reads: manifest, a "@@@" line,
      # then the network description (design.json and network.json).
      mkdir -p "$T/proj/rtl" "$T/proj/tb"
      awk -v d="$T/proj" '$0 == "@@@" && !sep { sep = 1; next } { print > (sep ? d "/design.json" : d "/manifest.json") }' "$f"
      [ -f "$T/proj/design.json" ] && cp "$T/proj/design.json" "$T/proj/network.json"
      echo '{}' >"$T/proj/config.json"
      ls -R "$T/proj" >"$T/before"
      expect_status 2 "$f" -- "$NNFIRM" estimate "$T/proj"
      expect_err_contains "$T/proj" "$f: the message names the project's file"
      ls -R "$T/proj" >"$T/after"
      cmp -s "$T/before" "$T/after" && pass || fail "$f: estimate changed the project directory"
      n=$((n + 1)) ;;
    *) fail "$f: no command for inputs of kind '$kind' (a new harness? add it here)" ;;
  esac
done
[ "$n" -gt 0 ] || fail "no regression inputs found in $H"
finish
