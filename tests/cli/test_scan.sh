# nnfirm scan: the bit-width study on a small freshly trained tagger.
. "$(dirname "$0")/lib.sh"
"$NNFIRM" data synth -n 20000 --seed 5 -o "$T/jets.h5" || fail "synth"
"$NNFIRM" train --data "$T/jets.h5" --epochs 6 --quiet -o "$T/m.nnf" > /dev/null || fail "train"
expect_status 0 "scan json" -- "$NNFIRM" scan "$T/m.nnf" --data "$T/jets.h5" --split test --bits 4:16 --json -o "$T/plots"
num() { sed -n "s/.*$1\([0-9.]*\).*/\1/p" "$T/out" | head -1; }
float_acc=$(num '"float_accuracy":')
acc16=$(sed 's/},{/}\n{/g' "$T/out" | grep '"bits":16,' | sed -n 's/.*"accuracy":\([0-9.]*\).*/\1/p')
acc4=$(sed 's/},{/}\n{/g' "$T/out" | grep '"bits":4,' | sed -n 's/.*"accuracy":\([0-9.]*\).*/\1/p')
awk -v f="$float_acc" -v a="$acc16" 'BEGIN { exit !(f > 0.55 && a > f - 0.01 && a < f + 0.01) }' && pass || fail "16-bit accuracy $acc16 not within 1% of float $float_acc"
awk -v f="$float_acc" -v a="$acc4" 'BEGIN { exit !(a < f - 0.1) }' && pass || fail "4-bit accuracy $acc4 not clearly below float $float_acc"
[ "$(head -c 4 "$T/plots/scan.png" | od -An -c | tr -d ' ')" = "211PNG" ] && pass || fail "scan.png is not a PNG"
expect_status 0 "scan table, fixed integer bits" -- "$NNFIRM" scan "$T/m.nnf" --data "$T/jets.h5" --bits 8:10 --int-bits 6
grep -q "^ *10 *6 " "$T/out" && pass || fail "table row for 10 bits with 6 integer bits"
expect_status 2 "bad range" -- "$NNFIRM" scan "$T/m.nnf" --data "$T/jets.h5" --bits 9
expect_status 2 "range too wide" -- "$NNFIRM" scan "$T/m.nnf" --data "$T/jets.h5" --bits 1:40
expect_status 2 "no data" -- "$NNFIRM" scan "$T/m.nnf"
# profile: weight and activation box plots against the configured types.
expect_status 0 "profile" -- "$NNFIRM" profile "$T/m.nnf" --data "$T/jets.h5" --config default -o "$T/prof"
expect_status 0 "profile with a config" -- sh -c "printf 'Model:\n  Precision: ap_fixed<10,4>\n' > '$T/c.yml' && \"\$0\" profile '$T/m.nnf' --data '$T/jets.h5' --config '$T/c.yml' -o '$T/prof'" "$NNFIRM"
for f in weights.png activations.png weights.svg; do [ -s "$T/prof/$f" ] && pass || fail "profile $f missing"; done
grep -q "8 weight rows, 7 activation rows" "$T/out" && pass || fail "profile rows: $(cat "$T/out")"
expect_status 2 "profile without data" -- "$NNFIRM" profile "$T/m.nnf" -o "$T/prof2"
expect_no_file "$T/prof2" "no profile output after a usage error"
finish
