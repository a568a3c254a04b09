# nnfirm tutorial: the whole flow on a small data set (quick mode: estimates,
# Icarus co-simulation), the report and summary it writes, and what a failing
# step leaves behind (the output untouched, the steps that ran in DIR.failed).
. "$(dirname "$0")/lib.sh"

expect_status 2 "too few rows" -- "$NNFIRM" tutorial --rows 5 -o "$T/t0"
expect_status 2 "missing data" -- "$NNFIRM" tutorial --data "$T/none.csv" -o "$T/t0"
expect_err_contains "none.csv" "missing data names the file"
expect_no_file "$T/t0" "no report after bad options"

expect_status 0 "tutorial --quick" -- "$NNFIRM" tutorial --quick --rows 8000 --epochs 3 -o "$T/tut" --json --quiet
[ -s "$T/tut/index.html" ] && pass || fail "no index.html"
imgs=$(grep -o '<img' "$T/tut/index.html" | wc -l)
[ "$imgs" -ge 15 ] && pass || fail "only $imgs figures in the report"
for part in "Part 1" "Part 2" "Part 3" "Parts 4 and 5" "Firmware" "not Vivado"; do
  grep -q "$part" "$T/tut/index.html" && pass || fail "report lacks '$part'"
done
tr -d ' \n\t' < "$T/tut/summary.json" > "$T/flat"
n=$(grep -o '"resources_from"' "$T/flat" | wc -l)
expect_eq "$n" 3 "three designs in the summary"
# Every design carries its critical path and whether it meets its clock (quick: the estimate's delay model).
expect_eq "$(grep -o '"critical_path_ns":[0-9][0-9.]*,"meets_timing":\(true\|false\)' "$T/flat" | wc -l)" 3 \
  "critical path and meets_timing for the three designs"
grep -q '"timing_from":"estimate(delaymodel)"' "$T/flat" && pass || fail "summary does not say where the timing comes from"
grep -q '<th>critical path</th>' "$T/tut/index.html" && pass || fail "the table has no critical path column"
grep -q '"cosim_mismatches":0,' "$T/flat" && pass || fail "co-simulation mismatches: $(grep -o '"cosim_mismatches":[^,]*' "$T/flat")"
# The fixed-point designs are evaluated bit for bit: QAT designs equal their own model's accuracy.
for d in qat6 qat6_pruned; do
  a=$(grep -o "\"name\":\"$d\",[^}]*" "$T/flat" | sed -n 's/.*"accuracy":\([0-9.]*\),"model_accuracy":\([0-9.]*\).*/\1 \2/p')
  set -- $a
  expect_eq "${1:-none}" "${2:-other}" "$d: design accuracy equals the QAT model's"
done
grep -q '"sparsity":0.75' "$T/flat" && pass || fail "pruned design is not 75% sparse"
# Validation and test accuracies per design, scored by the library: the test accuracy is the
# one eval reports, inside its 95% interval, on 20% of the jets.
for d in fixed16_6 qat6 qat6_pruned; do
  a=$(grep -o "\"name\":\"$d\",[^}]*" "$T/flat" | sed -n 's/.*"accuracy":\([0-9.]*\),.*"accuracy_validation":\([0-9.]*\),"accuracy_test":\([0-9.]*\),"accuracy_test_ci95":\[\([0-9.e-]*\),\([0-9.e-]*\)\],"test_rows":\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p')
  set -- $a
  expect_eq "${3:-none}" "${1:-other}" "$d: test accuracy is eval's"
  awk -v v="${2:-0}" -v t="${3:-0}" -v lo="${4:-1}" -v hi="${5:-0}" -v n="${6:-0}" \
    'BEGIN { exit !(v > 0.1 && lo < t && t < hi && n == 1600) }' && pass || fail "$d: validation/test/interval '$a'"
done
grep -q '"float_accuracy_validation":0\.[0-9]' "$T/flat" && pass || fail "no float validation accuracy"
grep -q 'accuracy (test) \[95% interval\]' "$T/tut/index.html" && pass || fail "the table has no test interval column"
[ "$(tr -d ' \n\t' < "$T/out")" = "$(cat "$T/flat")" ] && pass || fail "--json output differs from summary.json"
[ -f "$T/tut/projects/qat6_pruned/rtl/myproject.v" ] && pass || fail "no RTL in the report directory"

# A step that fails (labels missing) names itself; the old report stays.
printf '1,2,3\n4,5,6\n' > "$T/bad.csv"
expect_status 2 "failing step" -- "$NNFIRM" tutorial --quick --data "$T/bad.csv" -o "$T/tut" --quiet
expect_err_contains "tutorial step" "failure names the step"
[ -s "$T/tut/index.html" ] && pass || fail "the earlier report was lost"
[ -d "$T/tut.failed/logs" ] && pass || fail "no logs kept of the failed run"
finish
