#!/bin/sh
# nnfirm train / eval end to end: the default jet tagger reaches the 74-78%
# band on synthetic jets, same seed gives the same model bytes, eval agrees
# with train, plots and JSON are there, bad input is refused cleanly.
. "$SRCDIR/tests/cli/lib.sh"

# json_num FILE KEY: a top-level number from a one-line JSON object.
json_num() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1" | head -1; }
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }

if [ -n "${NNFIRM_SANITIZED:-}" ]; then
  # ~10x slower under ASan: a smaller run, still asserted (a weaker band;
  # on the recalibrated jets of issue 21 this run measured 0.667, was > 0.70).
  ROWS=40000 EPOCHS=12 LO=0.62 HI=0.79
else
  ROWS=200000 EPOCHS=30 LO=0.74 HI=0.78
fi

expect_status 0 "train --help" -- "$NNFIRM" train --help
expect_status 0 "eval --help" -- "$NNFIRM" eval --help

# The reference model of the tutorial on the embedded default data.
expect_status 0 "train the default model" -- "$NNFIRM" train --rows $ROWS --epochs $EPOCHS --json --plots "$T/plots" -o "$T/jet.nnf"
cp "$T/out" "$T/train.json"
acc=$(json_num "$T/train.json" test_accuracy)
if in_range "$acc" $LO $HI; then pass; else fail "default model test accuracy '$acc' outside [$LO, $HI]"; fi
for f in history_loss.png history_loss.svg history_accuracy.png history_accuracy.svg; do
  [ -s "$T/plots/$f" ] && pass || fail "training history plot $f missing"
done
grep -q '"history":\[{"epoch":1,' "$T/train.json" && pass || fail "train --json has a history"

# eval on the held-out test split finds the same accuracy train reported.
expect_status 0 "eval --json on the test split" -- "$NNFIRM" eval "$T/jet.nnf" --rows $ROWS --split test --json --plots "$T/plots"
cp "$T/out" "$T/eval.json"
eacc=$(json_num "$T/eval.json" accuracy)
if awk -v a="$acc" -v b="$eacc" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'; then pass; else
  fail "eval accuracy $eacc differs from train's test accuracy $acc"; fi
for k in '"auc":{"g":' '"confusion":[[' '"rows":' '"rejection":{'; do
  grep -qF "$k" "$T/eval.json" && pass || fail "eval --json lacks $k"
done
auc_t=$(sed -n 's/.*"t":\([0-9.]*\)[,}].*"rejection".*/\1/p' "$T/eval.json")
if in_range "$auc_t" 0.9 1; then pass; else fail "top AUC '$auc_t' implausible"; fi
for f in roc.png roc.svg confusion.png confusion.svg; do
  [ -s "$T/plots/$f" ] && pass || fail "eval plot $f missing"
done
# Evaluating a data file uses every row unless --split test.
"$NNFIRM" data synth -n 3000 --seed 5 -o "$T/jets.csv" >/dev/null 2>&1
expect_status 0 "eval a data file" -- "$NNFIRM" eval "$T/jet.nnf" --data "$T/jets.csv" --json
expect_eq "$(json_num "$T/out" rows)" 3000 "eval --data evaluates every row"
expect_status 0 "eval a data file, test split" -- "$NNFIRM" eval "$T/jet.nnf" --data "$T/jets.csv" --split test --json
expect_eq "$(json_num "$T/out" rows)" 600 "eval --split test takes the 20% test split"

# Determinism: same seed, same bytes; another seed, other weights.
"$NNFIRM" train --rows 20000 --epochs 3 --batchnorm --seed 3 --quiet -o "$T/a.nnf" >/dev/null 2>&1
"$NNFIRM" train --rows 20000 --epochs 3 --batchnorm --seed 3 --quiet -o "$T/b.nnf" >/dev/null 2>&1
"$NNFIRM" train --rows 20000 --epochs 3 --batchnorm --seed 4 --quiet -o "$T/c.nnf" >/dev/null 2>&1
if [ -s "$T/a.nnf" ] && cmp -s "$T/a.nnf" "$T/b.nnf"; then pass; else fail "same seed gave different model files"; fi
if cmp -s "$T/a.nnf" "$T/c.nnf"; then fail "different seeds gave the same model"; else pass; fi
expect_status 0 "show a trained BN model" -- "$NNFIRM" model show "$T/a.nnf"
grep -q "bn1 (BatchNormalization)" "$T/out" && pass || fail "trained model lists its BN layers"

# Bad input.
expect_status 2 "--hidden garbage" -- "$NNFIRM" train --hidden 64,x,32 -o "$T/h.nnf"
expect_err_contains "--hidden '64,x,32': item 2 'x'" "--hidden error names the item"
expect_no_file "$T/h.nnf" "--hidden garbage writes nothing"
expect_status 2 "--hidden empty item" -- "$NNFIRM" train --hidden 64,,32 -o "$T/h.nnf"
expect_status 2 "no -o" -- "$NNFIRM" train --rows 1000
expect_status 2 "bad --optimizer" -- "$NNFIRM" train --optimizer rmsprop -o "$T/h.nnf"
expect_status 2 "bad --lr" -- "$NNFIRM" train --lr -1 -o "$T/h.nnf"
expect_status 2 "missing data file" -- "$NNFIRM" train --data "$T/none.csv" -o "$T/h.nnf"
expect_no_file "$T/h.nnf" "failed runs write no model"

expect_status 2 "non-finite loss" -- "$NNFIRM" train --rows 3000 --epochs 3 --optimizer sgd --lr 1e30 --quiet -o "$T/nan.nnf"
expect_err_contains "non-finite" "NaN loss is named"
expect_no_file "$T/nan.nnf" "no good epoch: no model written"

# A 3-feature model (fuzz seed) cannot evaluate 16-feature jets.
expect_status 2 "feature count mismatch" -- "$NNFIRM" eval "$SRCDIR/fuzz/corpus/nnf/small.nnf" --data "$T/jets.csv"
expect_err_contains "has 16 features, but model" "mismatch names both counts"
head -c 100 "$T/jet.nnf" > "$T/cut.nnf"
expect_status 2 "truncated model" -- "$NNFIRM" eval "$T/cut.nnf" --data "$T/jets.csv"
expect_err_contains "$T/cut.nnf: truncated" "truncated model file named"
printf 'NNFIRMv\032\011\000\000\000' > "$T/future.nnf"
head -c 200 "$T/jet.nnf" | tail -c +13 >> "$T/future.nnf"
expect_status 2 "future version" -- "$NNFIRM" eval "$T/future.nnf" --data "$T/jets.csv"
expect_err_contains "version 9 is newer" "future version refused"
expect_status 2 "not a model" -- "$NNFIRM" eval "$T/jets.csv" --data "$T/jets.csv"
expect_status 2 "bad --split" -- "$NNFIRM" eval "$T/jet.nnf" --split train
finish
