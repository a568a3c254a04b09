# Pipeline placement confirmed by the netlist timing, and re-pipelining:
# a small generated design meets the 5 ns clock it was placed for by the
# netlist's own timing (Yosys cell delays + routing model, not Vivado's);
# nnfirm convert --meet-timing checks it and, where the design fails,
# re-pipelines and checks again, and says when no placement can meet.
. "$(dirname "$0")/lib.sh"

num() { sed -n "s/.*\"$1\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$2" | head -1; }

"$NNFIRM" data synth -n 3000 --seed 4 -o "$T/jets.csv" >/dev/null 2>&1 || fail "data synth"
expect_status 0 "train a small QAT model" -- "$NNFIRM" train --data "$T/jets.csv" --hidden 8 --epochs 2 --bits 4 \
  --prune 0.5 --quiet -o "$T/s.nnf"

# Usage: the check needs the RTL; --part and --timeout belong to it.
expect_status 2 "meet timing without RTL" -- "$NNFIRM" convert "$T/s.nnf" --no-rtl --meet-timing -o "$T/x"
expect_err_contains "needs the RTL" "meet timing without RTL message"
expect_status 2 "part without meet timing" -- "$NNFIRM" convert "$T/s.nnf" --part xcvu9p -o "$T/x"
expect_status 2 "unknown part" -- "$NNFIRM" convert "$T/s.nnf" --meet-timing --part xc0 -o "$T/x"
expect_no_file "$T/x" "refused conversions write nothing"

# At 5 ns (hls4ml's examples' clock) the placement alone meets the clock:
# the first round is the last, and the report says so with the latency's clock.
printf 'Model:\n  Precision: ap_fixed<16,6>\nClockPeriod: 5\n' > "$T/c5.yml"
expect_status 0 "meet timing at 5 ns" -- "$NNFIRM" convert "$T/s.nnf" --config "$T/c5.yml" --meet-timing -o "$T/p5"
grep -q "meets the 5 ns clock by the netlist timing" "$T/out" && pass || fail "5 ns: no meets line: $(cat "$T/out")"
grep -q "cycles at 5.0 ns = " "$T/out" && pass || fail "5 ns: latency without its clock: $(cat "$T/out")"
expect_eq "$(grep -c "round [0-9]*:" "$T/err")" "1" "5 ns: one round"
[ -f "$T/p5/synth/netlist.blif" ] && pass || fail "5 ns: no synth/netlist.blif"
grep -q pipeline_derate_ns "$T/p5/design.json" && fail "5 ns: a derate was recorded though round 1 met" || pass
lat5=$(num latency_cycles "$T/p5/manifest.json")
# nnfirm synth on the written project agrees: it meets 5 ns.
expect_status 0 "synth the 5 ns project" -- "$NNFIRM" synth "$T/p5" --json --quiet
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "5 ns project fails its clock: $(num critical_path_ns "$T/out") ns"
cp_net=$(num critical_path_ns "$T/out")
# nnfirm estimate predicts the critical path from the same delay model,
# within the clock, an upper bound of the netlist's within 1 ns.
expect_status 0 "estimate the 5 ns project" -- "$NNFIRM" estimate "$T/p5" --json
cp_est=$(num critical_path_ns "$T/out")
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "estimate: 5 ns design predicted to fail ($cp_est ns)"
awk -v e="$cp_est" -v n="$cp_net" 'BEGIN { exit !(e > 0 && e <= 5 && e >= n - 0.05 && e <= n + 1) }' && pass ||
  fail "estimate's critical path $cp_est ns vs the netlist's $cp_net ns"
expect_eq "$(num latency_cycles "$T/out")" "$lat5" "estimate's latency is the project's"
expect_status 0 "estimate table" -- "$NNFIRM" estimate "$T/p5"
grep -q "critical path [0-9.]* ns predicted, within the 5 ns clock; latency $lat5 cycles at 5.0 ns" "$T/out" && pass ||
  fail "estimate table lacks the predicted path: $(tail -1 "$T/out")"

# Placed for 9 ns a stage (--derate -4, as an optimistic delay model would)
# the 5 ns design fails round 1; --meet-timing re-pipelines until it meets:
# more rounds, a longer latency than round 1's, the final derate recorded.
expect_status 0 "re-pipeline an optimistic placement" -- "$NNFIRM" convert "$T/s.nnf" --config "$T/c5.yml" \
  --derate -4 --meet-timing -o "$T/po"
rounds=$(grep -c "round [0-9]*:" "$T/err")
[ "$rounds" -ge 2 ] && pass || fail "optimistic: $rounds round(s), expected re-pipelining: $(cat "$T/err")"
grep "round 1:" "$T/err" | grep -q "fails" && pass || fail "optimistic: round 1 did not fail: $(cat "$T/err")"
grep -q "meets the 5 ns clock by the netlist timing" "$T/out" && pass || fail "optimistic: never met: $(cat "$T/out")"
lat1=$(sed -n 's/.*round 1:.*latency \([0-9]*\) cycles.*/\1/p' "$T/err")
lato=$(num latency_cycles "$T/po/manifest.json")
[ -n "$lat1" ] && [ "$lato" -gt "$lat1" ] && pass || fail "optimistic: latency $lato not above round 1's '$lat1'"
derate=$(num pipeline_derate_ns "$T/po/design.json")
awk -v d="$derate" 'BEGIN { exit !(d > -4) }' && pass || fail "optimistic: derate '$derate' not raised from -4"
expect_status 0 "synth the re-pipelined project" -- "$NNFIRM" synth "$T/po" --json --quiet
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "re-pipelined project fails: $(num critical_path_ns "$T/out") ns"
expect_status 2 "derate beyond the clock" -- "$NNFIRM" convert "$T/s.nnf" --config "$T/c5.yml" --derate 5 -o "$T/x"
expect_err_contains "smaller than the 5 ns ClockPeriod" "derate beyond the clock message"

# At 2.5 ns no placement of this structure meets (a ReLU's rounding,
# saturating cast alone takes longer): the placement is already one adder
# level a stage with registered activations, and the command says it fails
# by how much (exit 1), leaving the project it checked.
printf 'Model:\n  Precision: ap_fixed<16,6>\nClockPeriod: 2.5\n' > "$T/c25.yml"
expect_status 1 "meet timing at 2.5 ns" -- "$NNFIRM" convert "$T/s.nnf" --config "$T/c25.yml" --meet-timing -o "$T/p25"
grep -q "FAILS the 2.5 ns clock after [0-9]* round" "$T/out" && pass || fail "2.5 ns: no failure line: $(cat "$T/out")"
grep -q "not reachable at this clock" "$T/out" && pass || fail "2.5 ns: latency not marked unreachable"
grep -q "activations registered" "$T/err" && pass || fail "2.5 ns: activations not registered"
lat25=$(num latency_cycles "$T/p25/manifest.json")
[ "$lat25" -gt "$lat5" ] && pass || fail "2.5 ns latency $lat25 not above the 5 ns design's $lat5"
[ -f "$T/p25/synth/netlist.blif" ] && pass || fail "2.5 ns: no synth/ of the last round"
expect_status 0 "estimate the 2.5 ns project" -- "$NNFIRM" estimate "$T/p25" --json
grep -q '"meets_timing":[[:space:]]*false' "$T/out" && pass || fail "estimate: 2.5 ns design predicted to meet"
expect_eq "$(num latency_cycles "$T/out")" "$lat25" "2.5 ns: estimate's latency is the project's"
finish
