# hls4ml's two-sided activations end to end (issue 15 part 5): a Keras model
# with Activation('elu'), PReLU, ELU(alpha=0.7), 'selu', LeakyReLU,
# 'hard_sigmoid' and ThresholdedReLU (tests/data/refs/gen/lut_act_refs.py)
# imports with Keras' layer names and parameter counts, its float outputs
# equal the generator's independent numpy forward pass, it converts, its
# Verilog co-simulates with 0 mismatches and lints clean; PReLU with
# shared_axes is refused by name with nothing written.
. "$(dirname "$0")/lib.sh"
K="$TESTDATA/models/keras"; R="$TESTDATA/refs"
M="$K/nnfirm_lut_acts.json"

"$NNFIRM" model show "$M" > "$T/show" || fail "model show"
grep -q "^p2 (PReLU) .*(None, 8) *8$" "$T/show" && pass || fail "PReLU row: $(grep '^p2' "$T/show")"
grep -q "^e3 (Activation) *elu " "$T/show" && pass || fail "ELU row: $(grep '^e3' "$T/show")"
grep -q "Total params: 523$" "$T/show" && pass || fail "params: $(grep Total "$T/show")"

expect_status 0 "float" -- "$NNFIRM" predict "$M" --input "$R/nnfirm_lut_acts.inputs.csv" -o "$T/f.csv"
[ "$(wc -l < "$T/f.csv")" -eq 100 ] && pass || fail "row count $(wc -l < "$T/f.csv")"
w=$(worst "$T/f.csv" "$R/nnfirm_lut_acts.float.csv")
awk -v w="$w" 'BEGIN { exit !(w <= 1e-6) }' && pass || fail "float outputs differ from the reference by $w"

# Fixed point: hls4ml's defaults (ap_fixed<16,6>, 1,024-entry tables of ap_fixed<18,8>);
# the fixed-point outputs follow the float ones: on average within 0.02 (0.0083
# measured), a few (8 of 300 measured) further where a value near ThresholdedReLU's
# theta falls on the other side of it.
expect_status 0 "convert" -- "$NNFIRM" convert "$M" -o "$T/p"
expect_status 0 "fixed" -- "$NNFIRM" predict "$M" --input "$R/nnfirm_lut_acts.inputs.csv" --config default -o "$T/x.csv"
paste -d, "$T/x.csv" "$R/nnfirm_lut_acts.float.csv" | awk -F, '{n = NF / 2; for (i = 1; i <= n; i++) { d = $i - $(i + n);
  if (d < 0) d = -d; s += d; c++; if (d > 0.05) big++ } } END { printf "%.4g %d %d\n", s / c, big + 0, c }' > "$T/dev"
read mean big count < "$T/dev"
awk -v m="$mean" -v b="$big" -v c="$count" 'BEGIN { exit !(c == 300 && m <= 0.02 && b <= 15) }' && pass \
  || fail "fixed vs float: mean difference $mean, $big of $count beyond 0.05"
lint_ok "lut activations" "$T/p"
ROWS=40
[ -n "${NNFIRM_SANITIZED:-}" ] && ROWS=10
cosim_expect "lut activations" "$T/p" "$R/nnfirm_lut_acts.inputs.csv" iverilog "$ROWS"
for f in p2 e3 l5 t7 d1_elu_elu d4_selu_selu d6_hs_hard_sigmoid; do
  [ -f "$T/p/rtl/myproject_$f.v" ] && pass || fail "no module for $f"
done
grep -q "1024 entries of table_t ap_fixed<18,8>" "$T/p/rtl/myproject_e3.v" && pass || fail "e3: not hls4ml's default table"

# PReLU with shared_axes: refused by name, nothing written.
sed 's/"shared_axes": null/"shared_axes": [1]/' "$M" > "$T/shared.json"
cp "$K/nnfirm_lut_acts_weights.h5" "$T/shared_weights.h5"
expect_status 2 "shared_axes refused" -- "$NNFIRM" convert "$T/shared.json" -o "$T/no"
expect_err_contains "PReLU with shared_axes is not supported" "shared_axes message"
expect_no_file "$T/no" "shared_axes refused"
finish
