#!/bin/sh
# fuzz/run.sh BINDIR HARNESS SECONDS WORK [libFuzzer options...]
# Runs build's BINDIR/fuzz_HARNESS for SECONDS in WORK (emptied first):
#   WORK/seeds   the seed corpus: fuzz/corpus/HARNESS/, the real files of
#                tests/data listed below, and what BINDIR/nnfirm_fuzz_seeds
#                makes for HARNESS;
#   WORK/corpus  the inputs libFuzzer adds;
#   WORK/crashes every crash, leak, timeout or out-of-memory input;
#   WORK/dict    the dictionary, from the fuzz/dict/ fragments of its formats;
#   WORK/log     libFuzzer's output (one section per run).
#   WORK/triage  each saved input: "ours" or "libhdf5" (see below).
# Exits 1 when any input faults in nnfirm's code (the inputs and their
# reports are named).
set -eu
[ $# -ge 4 ] || { echo "usage: fuzz/run.sh BINDIR HARNESS SECONDS WORK [options]" >&2; exit 2; }
bindir=$1 name=$2 seconds=$3 work=$4
shift 4
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/.." && pwd)
data=$src/../tests/data
bin=$bindir/fuzz_$name
[ -x "$bin" ] || { echo "fuzz/run.sh: no harness $bin" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus" "$work/crashes"
seed() { for f in "$@"; do [ -f "$f" ] && cp "$f" "$work/seeds/"; done; return 0; }
[ -d "$src/corpus/$name" ] && seed "$src/corpus/$name"/*
case $name in
  keras_config)  seed "$data"/models/keras/*.json ;;
  keras_h5)      seed "$data"/models/keras/hgq_jet_classifier.h5 ;;
  keras_weights) seed "$data"/models/keras/*_weights.h5 ;;
  keras_v3)      seed "$data"/models/keras/*.keras ;;
  onnx)          seed "$data"/models/onnx/*.onnx ;;
  config)        seed "$data"/models/keras/*.yml "$data"/projects/v1_tiny/config.json ;;
  matrix)        seed "$data"/refs/*.csv ;;
  nnf)           seed "$data"/projects/*.nnf ;;
  vendor_report) seed "$data"/vendor/* ;;
  netlist)       ;; # fuzz/corpus/netlist: the unit test's netlist in both forms
esac
"$bindir/nnfirm_fuzz_seeds" "$name" "$work/seeds"
# The dictionary: fuzz/dict/ fragments for the formats this input holds.
case $name in
  keras_config)  parts="json keras" ;;
  keras_h5|keras_weights|keras_v3) parts="hdf5 keras json" ;;
  h5data)        parts="hdf5 csv" ;;
  config)        parts="json yaml hls4ml" ;;
  csv|matrix)    parts=csv ;;
  project)       parts="json project" ;;
  *)             parts=$name ;;
esac
dict=
for p in $parts; do
  [ -f "$src/dict/$p.dict" ] && cat "$src/dict/$p.dict" >>"$work/dict" && dict=-dict=$work/dict
done

# Leaks fail as before; the caller's LSAN/UBSAN settings are kept.
# Memory: libFuzzer's own RSS limit prints a heap profile from a
# stop-the-world thread, which can deadlock on the symbolizer's lock (seen:
# a fuzz_h5data job stopped for half an hour in __asan::HeapProfile::Print),
# so its RSS limit is off; a single allocation above 2 GB is caught by
# -malloc_limit_mb, and the whole process by the sanitizer's hard RSS limit.
# A run that hangs anyway is stopped by `timeout` (with its jobs).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:allocator_may_return_null=1:hard_rss_limit_mb=3072
export ASAN_OPTIONS
limits="-timeout=10 -rss_limit_mb=0 -malloc_limit_mb=2048"

# Coverage at the start: the seed corpus alone, executed once.
echo "== seeds" >>"$work/log"
timeout -k 10 600 "$bin" -runs=0 $limits "$work/seeds" >>"$work/log" 2>&1 || true
# Fork mode: a crash, leak, timeout or out-of-memory input is saved and the
# campaign goes on, so one run finds more than one bug.
echo "== fuzz: $seconds s" >>"$work/log"
timeout -k 10 $((seconds + 120)) "$bin" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
  -max_total_time="$seconds" $limits -print_final_stats=1 -artifact_prefix="$work/crashes/" $dict "$@" \
  "$work/corpus" "$work/seeds" >>"$work/log" 2>&1 || true

# Triage: each saved input is run again with full stacks (report in
# WORK/crashes/<input>.txt) and counted as ours, or as libhdf5's when the
# fault lies inside Debian's libhdf5 (1.10.8) itself: of the report's
# frames in libhdf5 or in nnfirm's sources, the first is in libhdf5; or every leaked block was allocated by its
# metadata cache or free lists (H5C_, H5FL_); or as unreproduced when it
# does not fault on its own (fork mode saves some such inputs: an empty
# one when a job dies between inputs, leaks that need the state earlier
# inputs left in libhdf5); or as unattributed when its report has no frame
# in libhdf5 or nnfirm's sources (libFuzzer's timeout and out-of-memory
# reports can come with an empty stack). docs/fuzzing.md lists them.
ours=0 theirs=0 other=0
: >"$work/triage"
for f in "$work"/crashes/*; do
  case $f in *.txt | *'*') continue ;; esac
  ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0 timeout -k 10 120 "$bin" $limits "$f" >"$f.txt" 2>&1 || true
  who=$(awk '
    /ERROR: LeakSanitizer/ { leak = 1 }
    leak && /^(Direct|Indirect) leak/ { if (blk != "" && !internal) mine = 1; blk = $0; internal = 0; next }
    leak && /^    #/ { if ($0 ~ / in H5(FL|C)_/) internal = 1; next }
    # The first frame either in libhdf5 or in a source file of nnfirm.
    !leak && /^    #[0-9]+ / && first == "" && ($0 ~ /libhdf5/ || index($0, " " root "/src/") || index($0, " " root "/fuzz/")) { first = $0 }
    /ERROR|runtime error|SUMMARY/ { seen = 1 }
    END {
      if (!seen) { print "unreproduced"; exit }
      if (leak) { if (blk != "" && !internal) mine = 1; print mine ? "ours" : "libhdf5" }
      else if (first == "") print "unattributed"
      else print (first ~ /libhdf5/ ? "libhdf5" : "ours")
    }' root="$root" "$f.txt")
  echo "$who $(basename "$f")" >>"$work/triage"
  case $who in
    libhdf5) theirs=$((theirs + 1)) ;;
    unreproduced | unattributed) other=$((other + 1)) ;;
    *) ours=$((ours + 1)) ;;
  esac
done
echo "== triage: $ours ours, $theirs libhdf5, $other unreproduced or unattributed" >>"$work/log"
if [ "$theirs" -gt 0 ] || [ "$other" -gt 0 ]; then
  echo "fuzz_$name: $theirs input(s) fault inside libhdf5 itself, $other did not fault again alone or gave no stack (not counted; $work/triage)" >&2
fi
if [ "$ours" -gt 0 ]; then
  echo "fuzz_$name: $ours crash input(s) in $work/crashes (reports beside them):" >&2
  grep '^ours' "$work/triage" >&2
  for f in $(awk '$1 == "ours" { print $2 }' "$work/triage"); do
    grep -E "^(==[0-9]+==ERROR|SUMMARY)|^    #[0-9]+ .* /" "$work/crashes/$f.txt" | head -12 >&2
  done
  exit 1
fi
exit 0
