# The Dense layers' constant matrices (ConstantMatrix, issue 17): the shared adder graph of src/rtl/cse.c
# (sums shared between outputs), CSD products with a tree per output (csd, the default), or the cheaper by
# the generator's cost (auto). On qkeras_3layer (every product exact) auto builds shared sums and is
# cheaper than csd by the estimate, and the default is csd; forced cse on the search winner (16-24-12-5, 5 bits, 70 % pruned) co-simulates
# with 0 mismatches under Verilator and lints clean; cse where the products drop bits (KERAS_3layer at
# ap_fixed<16,6>) builds the CSD path byte for byte; a bad value is refused with nothing written.
. "$(dirname "$0")/lib.sh"
K=$TESTDATA/models/keras
WIN=$TESTDATA/models/nnfirm/search_winner_h24x12_b5_p70
X=$TESTDATA/refs/inputs16.csv
ROWS=200
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=20

for m in csd cse auto; do
  { cat "$K/qkeras_3layer_config.yml"; printf '\nConstantMatrix: %s\n' "$m"; } > "$T/q_$m.yml"
done
expect_status 0 "qkeras_3layer auto" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$T/q_auto.yml" -o "$T/qa"
expect_status 0 "qkeras_3layer default" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$K/qkeras_3layer_config.yml" -o "$T/qd"
expect_status 0 "qkeras_3layer csd" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$T/q_csd.yml" -o "$T/qc"
expect_status 0 "qkeras_3layer cse" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$T/q_cse.yml" -o "$T/qs"
shared() { grep -cE "^  wire signed \[[0-9]+:0\] fc1_s[0-9]+ = " "$1"/rtl/myproject_fc1.v; }
[ "$(shared "$T/qa")" -gt 10 ] && pass || fail "auto: fc1 has $(shared "$T/qa") shared sums"
expect_eq "$(shared "$T/qc")" 0 "csd: shared sums in fc1"
grep -q 'constant_matrix' "$T/qc/design.json" && fail "csd (the default) written into design.json" || pass
grep -q '"constant_matrix":[[:space:]]*"auto"' "$T/qa/design.json" && pass || fail "auto not in design.json"
grep -q 'constant_matrix' "$T/qd/design.json" && fail "the default written into design.json" || pass
diff -r "$T/qd/rtl" "$T/qc/rtl" >/dev/null && pass || fail "qkeras_3layer: the default is not csd"
for p in qa qc; do
  "$NNFIRM" estimate "$T/$p" --json > "$T/$p.json" || fail "estimate $p"
done
la=$(json_num lut "$T/qa.json") lc=$(json_num lut "$T/qc.json")
awk -v a="$la" -v c="$lc" 'BEGIN { exit !(a < 0.95 * c) }' && pass || fail "auto estimate $la LUT not below csd's $lc"
fa=$(json_num ff "$T/qa.json") fc=$(json_num ff "$T/qc.json")
awk -v a="$fa" -v c="$fc" 'BEGIN { exit !(a <= c) }' && pass || fail "auto estimate $fa FF above csd's $fc"
[ "$(json_num latency_cycles "$T/qa/manifest.json")" -le "$(json_num latency_cycles "$T/qc/manifest.json")" ] && pass ||
  fail "auto's latency above csd's"
# auto is per layer the cheaper of the two: here every Dense of the forced cse design
diff -r "$T/qa/rtl" "$T/qs/rtl" >/dev/null && pass || fail "qkeras_3layer: auto differs from cse"
lint_ok "qkeras_3layer cse" "$T/qs"

sed 's/}$/, "ConstantMatrix": "cse"}/' "$WIN.config.json" > "$T/w.json"
expect_status 0 "winner cse" -- "$NNFIRM" convert "$WIN.nnf" --config "$T/w.json" -o "$T/w"
[ "$(grep -cE "^  wire signed \[[0-9]+:0\] fc1_s[0-9]+ = " "$T/w/rtl/myproject_fc1.v")" -gt 0 ] && pass || fail "winner: no shared sums"
lint_ok "winner cse" "$T/w"
if command -v verilator >/dev/null 2>&1; then
  cosim_expect "winner cse" "$T/w" "$X" verilator "$ROWS"
else
  fail "verilator not installed"
fi

printf 'Model:\n  Precision: ap_fixed<16,6>\nConstantMatrix: %s\n' cse > "$T/k_cse.yml"
printf 'Model:\n  Precision: ap_fixed<16,6>\nConstantMatrix: %s\n' csd > "$T/k_csd.yml"
expect_status 0 "KERAS_3layer cse" -- "$NNFIRM" convert "$K/KERAS_3layer.json" --config "$T/k_cse.yml" -o "$T/ks"
expect_status 0 "KERAS_3layer csd" -- "$NNFIRM" convert "$K/KERAS_3layer.json" --config "$T/k_csd.yml" -o "$T/kc"
diff -r "$T/ks/rtl" "$T/kc/rtl" >/dev/null && pass || fail "KERAS_3layer <16,6>: cse (products drop bits) is not the CSD path"

printf 'ConstantMatrix: shared\n' > "$T/bad.yml"
expect_status 2 "ConstantMatrix shared" -- "$NNFIRM" convert "$K/qkeras_3layer.json" --config "$T/bad.yml" -o "$T/bad"
expect_err_contains 'ConstantMatrix: "shared" is not auto, cse or csd' "bad value message"
expect_no_file "$T/bad" "bad ConstantMatrix"
finish
