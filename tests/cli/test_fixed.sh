# nnfirm fixed: the reference vectors through the real binary, and bad input.
. "$(dirname "$0")/lib.sh"

# Every reference vector, grouped by type so each type is one process.
vec="$TESTDATA/refs/fixed_vectors.tsv"
if [ -f "$vec" ]; then
  tail -n +2 "$vec" | cut -f1 | sort -u > "$T/types"
  while IFS= read -r type; do
    awk -F'\t' -v t="$type" '$1 == t { print $2 > "'"$T"'/in"; print $3 > "'"$T"'/want" }' "$vec"
    "$NNFIRM" fixed --type "$type" < "$T/in" > "$T/got" 2>"$T/err" || fail "$type: exit $?: $(cat "$T/err")"
    if cmp -s "$T/got" "$T/want"; then pass; else
      fail "$type: $(paste "$T/in" "$T/want" "$T/got" | awk -F'\t' '$2 != $3' | head -3)"
    fi
  done < "$T/types"
else
  fail "missing $vec"
fi

# Exact printing and the documented example.
out=$(printf '1.375\n-0.3\n3e-2\n0\n-0\n12\n' | "$NNFIRM" fixed --type 'ap_fixed<8,3,AP_RND,AP_SAT>' | tr '\n' ' ')
expect_eq "$out" "1.375 -0.3125 0.03125 0 0 3.96875 " "ap_fixed<8,3,AP_RND,AP_SAT> sample"
out=$(printf '300\n-1\n' | "$NNFIRM" fixed --type 'ap_uint<8>' | tr '\n' ' ')
expect_eq "$out" "44 255 " "ap_uint<8> wraps"
out=$(printf '0.1\n' | "$NNFIRM" fixed --type 'ap_fixed<64,1>')
expect_eq "$out" "0.0999999999999999999132638262011596452794037759304046630859375" "64-bit exact digits"
out=$(printf '1e400\n' | "$NNFIRM" fixed --type 'ap_fixed<8,3,AP_TRN,AP_SAT>')
expect_eq "$out" "3.96875" "1e400 saturates exactly"

# Bad type strings: clear message, exit 2.
for bad in 'ap_fixed<0,3>' 'ap_fixed<8>' 'ap_fixed<8,3,AP_FOO>' 'ap_fixed<8,3,AP_RND,AP_BAR>' \
           'ap_fixed<65,3>' 'ap_fixed<8,3,AP_RND,AP_SAT,2>' 'ap_fixed<8,3,AP_RND,AP_WRAP_SM>' \
           'bogus<8,3>' 'ap_fixed<a,3>' 'ap_fixed 8,3' 'ap_int<8,2>' ''; do
  expect_status 2 "type '$bad'" -- sh -c "echo 1 | \"\$0\" fixed --type '$bad'" "$NNFIRM"
  expect_err_contains "nnfirm fixed:" "type '$bad' message"
done
expect_status 2 "W>64 message" -- sh -c "echo 1 | \"\$0\" fixed --type 'ap_fixed<65,3>'" "$NNFIRM"
expect_err_contains "width 65 out of range" "W>64 message"

# Bad numbers: the message names the line.
for bad in 'abc' '' 'nan' 'NaN' 'inf' '-inf' '1e999999' '1e-99999' '0x10' '1.2.3' '1e' '--1' '1 2'; do
  expect_status 2 "number '$bad'" -- sh -c "printf '0.5\n%s\n' '$bad' | \"\$0\" fixed --type 'ap_fixed<8,3>'" "$NNFIRM"
  expect_err_contains "<stdin>:2:" "number '$bad' names line 2"
done

# Usage errors and help.
expect_status 2 "missing --type" -- "$NNFIRM" fixed
expect_status 0 "fixed --help" -- "$NNFIRM" fixed --help
expect_status 0 "nnfirm --help" -- "$NNFIRM" --help
expect_status 0 "nnfirm --version" -- "$NNFIRM" --version
expect_status 2 "unknown command" -- "$NNFIRM" frobnicate
finish
