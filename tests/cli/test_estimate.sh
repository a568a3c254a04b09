# nnfirm estimate: JSON keys and totals, per-layer table, the estimate
# following the design (wider types, part), and bad input refused with exit 2.
. "$(dirname "$0")/lib.sh"

"$NNFIRM" train --rows 3000 --hidden 8 --epochs 1 --quiet -o "$T/m.nnf" >/dev/null 2>&1 || fail "train a small model"
cfg() { # <file> <precision>
  printf 'Model:\n  Precision: %s\n  ReuseFactor: 1\nClockPeriod: 5\n' "$2" > "$1"
}
cfg "$T/c6.yml" "ap_fixed<6,2>"
cfg "$T/c12.yml" "ap_fixed<12,4>"
"$NNFIRM" convert "$T/m.nnf" --config "$T/c6.yml" -o "$T/p6" >/dev/null 2>&1 || fail "convert 6-bit"
"$NNFIRM" convert "$T/m.nnf" --config "$T/c12.yml" -o "$T/p12" --no-rtl >/dev/null 2>&1 || fail "convert 12-bit (no RTL)"

num() { # <key> <file>: first numeric value of "key"
  sed -n "s/.*\"$1\":[[:space:]]*\([0-9.e+-]*\).*/\1/p" "$2" | head -1
}

expect_status 0 "estimate --json" -- "$NNFIRM" estimate "$T/p6" --json
cp "$T/out" "$T/e6.json"
for key in '"part"' '"lut"' '"ff"' '"dsp"' '"lut_pct"' '"ff_pct"' '"layers"' '"agilex"' '"alm"' '"reg"' '"alm_pct"'; do
  grep -q "$key:" "$T/e6.json" && pass || fail "JSON lacks $key"
done
grep -q '"device":[[:space:]]*"AGFB014R24A2E2V"' "$T/e6.json" && pass || fail "Agilex device missing"
grep -q '"estimate":[[:space:]]*true' "$T/e6.json" && pass || fail "Agilex figures not marked as estimates"
expect_eq "$(grep -c '"kind":' "$T/e6.json")" "3" "one entry per hardware layer (Dense, ReLU, Dense)"
lut6=$(num lut "$T/e6.json")
[ -n "$lut6" ] && [ "$lut6" -gt 0 ] && pass || fail "LUT estimate '$lut6' not positive"

# A project without rtl/ is estimated too (design.json is enough); wider types cost more.
expect_status 0 "estimate without rtl/" -- "$NNFIRM" estimate "$T/p12" --json
lut12=$(num lut "$T/out") ff12=$(num ff "$T/out")
[ "$lut12" -gt "$lut6" ] && pass || fail "12-bit LUT $lut12 not above 6-bit $lut6"
[ "$ff12" -gt "$(num ff "$T/e6.json")" ] && pass || fail "12-bit FF not above 6-bit"

# Same counts on a bigger part, smaller percentage.
expect_status 0 "estimate --part xcvu13p" -- "$NNFIRM" estimate "$T/p6" --json --part xcvu13p
expect_eq "$(num lut "$T/out")" "$lut6" "LUT count does not depend on the part"
awk "BEGIN{exit !($(num lut_pct "$T/out") < $(num lut_pct "$T/e6.json"))}" && pass || fail "VU13P percentage not smaller"

# Human-readable table: every layer, the totals, the Agilex caveat.
expect_status 0 "estimate table" -- "$NNFIRM" estimate "$T/p6"
grep -q '^total' "$T/out" && pass || fail "table lacks the total row"
grep -q 'relu' "$T/out" && pass || fail "table lacks the ReLU layer"
grep -qi 'estimates from a LUT->ALM model' "$T/out" && pass || fail "table does not call Agilex figures estimates"

# Calibration columns: as many values as names.
"$NNFIRM" estimate --features-header > "$T/h"
"$NNFIRM" estimate "$T/p6" --features > "$T/f"
expect_eq "$(awk -F'\t' '{print NF}' "$T/f")" "$(awk -F'\t' '{print NF}' "$T/h")" "features line matches its header"

# Bad input: exit 2 with a message naming the problem.
expect_status 2 "missing project" -- "$NNFIRM" estimate "$T/nope"
expect_err_contains "no such project directory" "missing project message"
mkdir -p "$T/incomplete/rtl"
expect_status 2 "project without design.json" -- "$NNFIRM" estimate "$T/incomplete"
expect_err_contains "not a project written by 'nnfirm convert'" "incomplete project message"
cp -r "$T/p6" "$T/broken" && echo '{"layers": [' > "$T/broken/design.json"
expect_status 2 "corrupt design.json" -- "$NNFIRM" estimate "$T/broken"
expect_err_contains "design.json" "corrupt design.json message"
expect_status 2 "unknown part" -- "$NNFIRM" estimate "$T/p6" --part xc9999
expect_err_contains "unknown part" "unknown part message"
expect_status 2 "no project" -- "$NNFIRM" estimate
expect_status 2 "unknown option" -- "$NNFIRM" estimate "$T/p6" --bogus
expect_status 0 "help" -- "$NNFIRM" estimate --help
finish
