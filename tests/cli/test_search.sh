# nnfirm search: bad options, the cluster job lists, merging finished
# candidates (Pareto front and winner from known figures), and one real
# candidate job (QAT + pruning -> convert -> bit-accurate eval -> estimate).
. "$(dirname "$0")/lib.sh"

expect_status 2 "accuracy floor out of range" -- "$NNFIRM" search --min-accuracy 1.5 -o "$T/s"
expect_err_contains "--min-accuracy" "floor message"
expect_status 2 "bad budget" -- "$NNFIRM" search --budget soon -o "$T/s"
expect_status 2 "bad objective" -- "$NNFIRM" search --objective latency -o "$T/s"
expect_status 2 "bad candidate spec" -- "$NNFIRM" search --candidate "hidden=16;bits=1;prune=0" -o "$T/c"
expect_err_contains "bits=B" "candidate spec message"
expect_status 2 "input bits out of range" -- "$NNFIRM" search --candidate "hidden=16;bits=4;prune=0;in=2" -o "$T/c"
expect_status 2 "unknown spec key" -- "$NNFIRM" search --candidate "hidden=16;bits=4;prune=0;depth=3" -o "$T/c"
expect_status 2 "missing data" -- "$NNFIRM" search --data "$T/none.h5" -o "$T/s"
expect_err_contains "none.h5" "missing data names the file"
mkdir -p "$T/empty/candidates"
expect_status 2 "collect with nothing" -- "$NNFIRM" search --collect "$T/empty" --synth 0
expect_err_contains "no finished candidate" "collect message"

# Cluster job lists: one line per candidate, a Slurm array of the same size.
expect_status 0 "emit slurm" -- "$NNFIRM" search --emit slurm -o "$T/cl"
n=$(wc -l < "$T/cl/jobs.txt")
[ "$n" -ge 50 ] && pass || fail "only $n candidate jobs"
grep -q "#SBATCH --array=1-$n\$" "$T/cl/search.sbatch" && pass || fail "array size differs from the job list"
head -1 "$T/cl/jobs.txt" | grep -q "^/.*nnfirm search --candidate 'hidden=.*;bits=.*;prune=.*;reuse=1;in=[0-9]*' --part xcvu9p -o $T/cl/candidates/" \
  && pass || fail "job line: $(head -1 "$T/cl/jobs.txt")"
# HTCondor: one queued job per line; job P runs line P + 1 (checked with a
# job list whose lines only print their number).
expect_status 0 "emit condor" -- "$NNFIRM" search --emit condor -o "$T/hc"
expect_eq "$(wc -l < "$T/hc/jobs.txt")" "$n" "HTCondor job list"
grep -q "^queue $n\$" "$T/hc/search.sub" && pass || fail "queue count differs from the job list"
grep -q "^executable *= $T/hc/condor_task.sh\$" "$T/hc/search.sub" && pass || fail "submit file's executable"
grep -q '^arguments *= \$(Process)$' "$T/hc/search.sub" && pass || fail "submit file's arguments"
[ -x "$T/hc/condor_task.sh" ] && pass || fail "condor_task.sh not executable"
awk '{ print "echo line " NR }' "$T/hc/jobs.txt" > "$T/hc/jobs.new" && mv "$T/hc/jobs.new" "$T/hc/jobs.txt"
expect_eq "$("$T/hc/condor_task.sh" 0)" "line 1" "job 0 runs line 1"
expect_eq "$("$T/hc/condor_task.sh" $((n - 1)))" "line $n" "the last job runs the last line"
expect_status 2 "emit an unknown engine" -- "$NNFIRM" search --emit lsf -o "$T/x"
expect_status 0 "emit parallel" -- "$NNFIRM" search --emit parallel -o "$T/gp"
expect_eq "$(wc -l < "$T/gp/jobs.parallel")" "$n" "GNU parallel list"

# Merging: figures chosen so that the answer is known. b is cheapest above
# the floor; a is cheaper but below it; c is dominated by b; d is the most
# accurate. Front: a, b, d. Winner (estimates only): b.
cand() { # id validation-acc lut_pct ff_pct
  mkdir -p "$T/m/candidates/$1"
  printf '{"format":2,"id":"%s","spec":"hidden=8;bits=4;prune=0.50;reuse=1;in=16","data":"","accuracy_validation":%s,"validation_rows":1000,"est_lut":100,"est_ff":50,"est_dsp":0,"est_lut_pct":%s,"est_ff_pct":%s,"latency_cycles":3,"sparsity":0.5,"synth":null}\n' \
    "$1" "$2" "$3" "$4" > "$T/m/candidates/$1/result.json"
}
cand a 0.70 0.01 0.01
cand b 0.745 0.05 0.02
cand c 0.742 0.08 0.03
cand d 0.76 0.50 0.10
mkdir -p "$T/m/candidates/broken" && echo '{"id": "broken", "failed": "train"}' > "$T/m/candidates/broken/result.json"
mkdir -p "$T/m/candidates/running"   # a candidate still running: no result.json yet
expect_status 0 "collect" -- "$NNFIRM" search --collect "$T/m" --synth 0 --json --quiet
tr -d ' \n\t' < "$T/out" > "$T/flat"
grep -q '"winner":{"id":"b"' "$T/flat" && pass || fail "winner is not b: $(head -c 300 "$T/flat")"
front=$(grep -o '"pareto":\[.*\],"min_accuracy"' "$T/flat" | grep -o '"id":"[a-z]*"' | tr -d '"' | sed 's/id://' | sort | tr '\n' ' ')
expect_eq "$front" "a b d " "Pareto front"
[ -s "$T/m/pareto.png" ] && pass || fail "no pareto.png"
[ -s "$T/m/search.json" ] && pass || fail "no search.json"
expect_status 0 "collect, floor above all" -- "$NNFIRM" search --collect "$T/m" --synth 0 --min-accuracy 0.9 --json --quiet
grep -q '"winner":[[:space:]]*null' "$T/out" && pass || fail "a winner below the floor"
# The winner of fake candidates has no project: no test accuracy, said so.
expect_status 0 "collect, no projects" -- "$NNFIRM" search --collect "$T/m" --synth 0 --json --quiet
grep -q '"accuracy_test":[[:space:]]*null' "$T/out" && pass || fail "a test accuracy without a project"
grep -q '"accuracy_test_error"' "$T/out" && pass || fail "no reason for the missing test accuracy"

# A directory from an earlier nnfirm (test-split accuracy only) is refused, by name.
mkdir -p "$T/old/candidates/x"
printf '{"id":"x","spec":"hidden=8;bits=4;prune=0.50;reuse=1","accuracy":0.75,"est_lut":100,"est_ff":50,"est_dsp":0,"est_lut_pct":0.01,"est_ff_pct":0.01,"latency_cycles":3,"sparsity":0.5}\n' \
  > "$T/old/candidates/x/result.json"
expect_status 2 "collect an old directory" -- "$NNFIRM" search --collect "$T/old" --synth 0 --quiet
expect_err_contains "old/candidates/x/result.json" "old format names the file"
expect_err_contains "validation" "old format says why"

# One real candidate, as a cluster task runs it.
"$NNFIRM" data synth -n 12000 --seed 5 -o "$T/jets.h5" >/dev/null || fail "data synth"
expect_status 0 "one candidate" -- "$NNFIRM" search --candidate "hidden=8;bits=4;prune=0.5;reuse=1" --data "$T/jets.h5" \
  --epochs 2 -o "$T/one/candidates/h8_b4_p50_r1_i16"
R=$T/one/candidates/h8_b4_p50_r1_i16/result.json
grep -q '"failed"' "$R" && fail "candidate failed: $(cat "$R")" || pass
acc=$(sed -n 's/.*"accuracy_validation":[[:space:]]*\([0-9.]*\).*/\1/p' "$R" | head -1)
awk -v a="$acc" 'BEGIN { exit !(a > 0.3 && a <= 1) }' && pass || fail "candidate accuracy '$acc'"
lut=$(sed -n 's/.*"est_lut":[[:space:]]*\([0-9.]*\).*/\1/p' "$R" | head -1)
awk -v l="$lut" 'BEGIN { exit !(l > 10) }' && pass || fail "candidate LUT estimate '$lut'"
[ -f "$T/one/candidates/h8_b4_p50_r1_i16/project/rtl/myproject.v" ] && pass || fail "candidate project has no RTL"
expect_status 0 "collect the real one" -- "$NNFIRM" search --collect "$T/one" --synth 0 --min-accuracy 0.3 --json --quiet
grep -q '"id":[[:space:]]*"h8_b4_p50_r1_i16"' "$T/out" && pass || fail "real candidate not collected"
tr -d ' \n\t' < "$T/out" > "$T/flat"
# The winner's test figures: accuracy inside its own 95% interval, 2400 test jets (20% of 12000).
ta=$(sed -n 's/.*"accuracy_test":\([0-9.e-]*\).*/\1/p' "$T/flat")
ci=$(sed -n 's/.*"accuracy_test_ci95":\[\([0-9.e-]*\),\([0-9.e-]*\)\].*/\1 \2/p' "$T/flat")
awk -v a="$ta" -v c="$ci" 'BEGIN { split(c, b, " "); exit !(a > 0.3 && b[1] < a && a < b[2] && b[2] - b[1] < 0.1) }' \
  && pass || fail "test accuracy '$ta' and interval '$ci'"
expect_eq "$(sed -n 's/.*"test_rows":\([0-9]*\).*/\1/p' "$T/flat")" "2400" "test rows"
grep -q '"meets_timing":null' "$T/flat" && pass || fail "timing is null without synthesis"
# With synthesis: the winner carries the netlist's timing, the figures 'nnfirm synth'
# reports for its project, and the latency is printed with its clock.
expect_status 0 "collect with synthesis" -- "$NNFIRM" search --collect "$T/one" --synth 1 --min-accuracy 0.3 --quiet
grep -q "latency [0-9]* cycles\{0,1\} at [0-9.]* ns = [0-9.]* ns" "$T/out" && pass || fail "winner latency without its clock: $(cat "$T/out")"
grep -q "^timing (netlist.*critical path [0-9.]* ns" "$T/out" && pass || fail "winner timing not printed: $(cat "$T/out")"
tr -d ' \n\t' < "$T/one/search.json" > "$T/flat"
cp_s=$(sed -n 's/.*"critical_path_ns":\([0-9.e+-]*\).*/\1/p' "$T/flat" | head -1)
grep -q '"meets_timing":\(true\|false\)' "$T/flat" && pass || fail "winner's meets_timing not a boolean"
sed -n 's/.*"fmax_mhz":\([0-9.e+-]*\).*/\1/p' "$T/flat" | grep -q '^[0-9]' && pass || fail "winner's fmax_mhz missing"
# --relax (default 3 ns): the synthesized candidate was converted again with its
# pipeline placed for ClockPeriod + 3 ns a stage and tightened until the netlist
# met the clock; its result carries the latency of the project now on disk, and
# the same candidate synthesized as converted (--relax 0) has no fewer cycles.
W1=$T/one/candidates/h8_b4_p50_r1_i16
ls "$W1"/relax/*/relax.log >/dev/null 2>&1 && grep -q '"pipeline_derate_ns"' "$W1/project/design.json" && pass || fail "no relaxed placement"
lat_m=$(tr -d ' \n\t' < "$W1/project/manifest.json" | sed -n 's/.*"latency_cycles":\([0-9]*\).*/\1/p')
lat_r=$(tr -d ' \n\t' < "$W1/result.json" | sed -n 's/.*"latency_cycles":\([0-9]*\).*/\1/p')
[ -n "$lat_m" ] && [ "$lat_m" = "$lat_r" ] && pass || fail "result latency '$lat_r' is not the project's '$lat_m'"
mkdir -p "$T/norelax/candidates" && cp -r "$T/one/candidates/h8_b4_p50_r1_i16" "$T/norelax/candidates/"
"$NNFIRM" convert "$W1/model.nnf" --config "$W1/config.json" -o "$T/norelax/candidates/h8_b4_p50_r1_i16/project" >/dev/null
rm -rf "$T/norelax/candidates/h8_b4_p50_r1_i16/relax"
expect_status 0 "collect, --relax 0" -- "$NNFIRM" search --collect "$T/norelax" --synth 1 --relax 0 --min-accuracy 0.3 --quiet
lat_0=$(tr -d ' \n\t' < "$T/norelax/candidates/h8_b4_p50_r1_i16/result.json" | sed -n 's/.*"latency_cycles":\([0-9]*\).*/\1/p')
[ ! -d "$T/norelax/candidates/h8_b4_p50_r1_i16/relax" ] && [ -n "$lat_0" ] && [ "$lat_0" -ge "$lat_r" ] && pass ||
  fail "--relax 0: latency '$lat_0' (relaxed '$lat_r') or a relax.log"
expect_status 2 "bad --relax" -- "$NNFIRM" search --collect "$T/norelax" --relax -1 --quiet
expect_status 0 "synth the winner's project" -- "$NNFIRM" synth "$T/one/candidates/h8_b4_p50_r1_i16/project" --json --quiet
cp_y=$(sed -n 's/.*"critical_path_ns":[[:space:]]*\([0-9.e+-]*\).*/\1/p' "$T/out" | head -1)
awk -v a="$cp_s" -v b="$cp_y" 'BEGIN { d = a - b; exit !(a > 0 && d < 1e-6 && d > -1e-6) }' && pass ||
  fail "search's critical path '$cp_s' is not nnfirm synth's '$cp_y'"
# Each step's wall clock is in the candidate's result.json; with --jobs 2 two
# candidates are synthesized side by side, and search.json's profile sums it all.
tr -d ' \n\t' < "$R" | grep -q '"seconds":{"train":[0-9.e+-]*,"convert":[0-9.e+-]*,"score":[0-9.e+-]*,"estimate":[0-9.e+-]*}' \
  && pass || fail "candidate's step times: $(tr -d ' \n\t' < "$R" | grep -o '"seconds":{[^}]*}')"
mkdir -p "$T/two/candidates" && cp -r "$T/one/candidates/h8_b4_p50_r1_i16" "$T/two/candidates/"
rm -rf "$T/two/candidates/h8_b4_p50_r1_i16/project/synth"
expect_status 0 "a second candidate" -- "$NNFIRM" search --candidate "hidden=6;bits=4;prune=0.5;reuse=1" --data "$T/jets.h5" \
  --epochs 2 -o "$T/two/candidates/h6_b4_p50_r1_i16"
expect_status 0 "collect, two synthesized side by side" -- "$NNFIRM" search --collect "$T/two" --synth 2 --jobs 2 \
  --min-accuracy 0.3 --json --quiet
for c in h8_b4_p50_r1_i16 h6_b4_p50_r1_i16; do
  tr -d ' \n\t' < "$T/two/candidates/$c/result.json" | grep -q '"synth":{"part":"xcvu9p","lut":[0-9]*.*"seconds":[0-9.e+-]*' \
    && pass || fail "$c not synthesized: $(tr -d ' \n\t' < "$T/two/candidates/$c/result.json" | grep -o '"synth":.*')"
  [ -f "$T/two/candidates/$c/project/synth/netlist.blif" ] && pass || fail "$c has no netlist"
done
tr -d ' \n\t' < "$T/two/search.json" > "$T/flat"
prof=$(grep -o '"profile":{[^}]*}' "$T/flat")
echo "$prof" | grep -q '"timed_candidates":2,' && echo "$prof" | grep -q '"synthesized":2,' && pass || fail "profile: $prof"
awk -v p="$prof" 'BEGIN { n = split(p, f, /[:,}]/); for (i = 1; i < n; i++) if (f[i] ~ /"(train|synth)_s"/ && !(f[i + 1] > 0)) exit 1 }' \
  && pass || fail "profile without train or Yosys time: $prof"
# After the choice, both synthesized candidates on the test split: their
# accuracies with the Wilson interval recomputed here from accuracy and rows,
# the winner's the same as its report; the published designs beside them.
tf=$(grep -o '"test_front":\[[^]]*\]\]*[^]]*\]' "$T/flat")
expect_eq "$(echo "$tf" | grep -o '"id":' | wc -l | tr -d ' ')" 2 "two test-front points"
echo "$tf" | grep -o '"accuracy_test":[0-9.e+-]*,"test_rows":[0-9]*,"accuracy_test_ci95":\[[0-9.e+-]*,[0-9.e+-]*\]' |
  tr ':,[]' '    ' | awk '{ p = $2; n = $4; lo = $6; hi = $7; z = 1.959963984540054
    c = (p + z * z / (2 * n)) / (1 + z * z / n); h = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    if (n < 1000 || p <= 0 || p > 1 || (c - h - lo) ^ 2 > 1e-12 || (c + h - hi) ^ 2 > 1e-12) bad = 1; k++ }
    END { exit !(k == 2 && !bad) }' && pass || fail "test-front intervals: $tf"
wa=$(grep -o '"winner":{[^}]*}' "$T/flat" | sed -n 's/.*"id":"\([^"]*\)".*"accuracy_test":\([0-9.e+-]*\),.*/\1 \2/p')
echo "$tf" | grep -q "\"id\":\"${wa%% *}\",[^}]*\"accuracy_test\":${wa#* }," && pass || fail "winner '$wa' not in the test front: $tf"
expect_eq "$(grep -o '"published":\[.*' "$T/flat" | grep -o '"name":' | wc -l | tr -d ' ')" 5 "published designs listed"
[ -s "$T/two/pareto_test.png" ] && pass || fail "no pareto_test.png"
# --seeds: the winner retrained with two more seeds, mean and spread reported.
expect_status 0 "collect with --seeds 2" -- "$NNFIRM" search --collect "$T/one" --synth 0 --min-accuracy 0.3 --seeds 2 \
  --data "$T/jets.h5" --epochs 2 --json --quiet
tr -d ' \n\t' < "$T/out" > "$T/flat"
grep -q '"seeds":{"requested":2,"finished":2' "$T/flat" && pass || fail "seeds: $(grep -o '"seeds".*' "$T/flat" | head -c 300)"
[ -f "$T/one/seeds/h8_b4_p50_r1_i16_s43/result.json" ] && [ -f "$T/one/seeds/h8_b4_p50_r1_i16_s44/result.json" ] \
  && pass || fail "retrain directories"
finish
