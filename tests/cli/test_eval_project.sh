# nnfirm eval PROJECT: bit-accurate metrics of a converted design next to its
# float model, with the float-vs-fixed ROC figure.
. "$(dirname "$0")/lib.sh"
"$NNFIRM" data synth -n 20000 --seed 5 -o "$T/jets.h5" || fail "synth"
"$NNFIRM" train --data "$T/jets.h5" --epochs 6 --quiet -o "$T/m.nnf" > /dev/null || fail "train"
"$NNFIRM" convert "$T/m.nnf" -o "$T/prj" --no-rtl > /dev/null || fail "convert"
expect_status 0 "eval project json" -- "$NNFIRM" eval "$T/prj" --data "$T/jets.h5" --split test --json --plots "$T/plots"
fixed=$(sed -n 's/.*"accuracy":\([0-9.]*\).*/\1/p' "$T/out")
flt=$(sed -n 's/.*"float_accuracy":\([0-9.]*\).*/\1/p' "$T/out")
awk -v a="$fixed" -v f="$flt" 'BEGIN { exit !(f > 0.55 && a > f - 0.01 && a < f + 0.01) }' && pass || fail "ap_fixed<16,6> accuracy $fixed not within 1% of float $flt"
for k in '"auc":' '"confusion":' '"rows":' '"float_auc":'; do grep -q "$k" "$T/out" && pass || fail "JSON lacks $k"; done
for f in roc_fixed.png roc_fixed.svg confusion_fixed.png; do [ -s "$T/plots/$f" ] && pass || fail "plot $f missing"; done
# The eval of the same rows through the float model agrees with the project's float figure.
"$NNFIRM" eval "$T/m.nnf" --data "$T/jets.h5" --split test --json > "$T/float.json"
grep -q "\"accuracy\":$flt" "$T/float.json" && pass || fail "float accuracy differs from eval of the model"
mkdir -p "$T/empty"
expect_status 2 "not a project" -- "$NNFIRM" eval "$T/empty" --data "$T/jets.h5"
expect_err_contains "not a project written by 'nnfirm convert'" "not-a-project message"
finish
