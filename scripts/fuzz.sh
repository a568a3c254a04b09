#!/bin/sh
# scripts/fuzz.sh MINUTES [HARNESS...]: a fuzzing campaign. Runs every
# libFuzzer harness (fuzz/fuzz_*.c; or the ones named) for MINUTES each
# ("90s" for seconds), two at a time, in the sanitizer + fuzz build of
# scripts/test.sh's second pass (build-asan, configured and built here when
# missing), and prints a table: executions, coverage edges of the seed
# corpus and at the end, the corpus size at the end, and the inputs that
# crashed, leaked, hung or ran out of memory: in nnfirm's code ("crashes"),
# inside Debian's libhdf5 itself ("libhdf5"), or neither ("other": no fault
# when run again alone, or a report without a stack); fuzz/run.sh's triage.
# Each harness's corpus, crash inputs and log stay in build-asan/fuzz-campaign/
# <harness>/ (fuzz/run.sh). Exits 1 when any input crashed nnfirm's code.
#   NNFIRM_FUZZ_JOBS   harnesses at a time (default 2)
#   NNFIRM_FUZZ_WRAP   a command each harness run is started under (e.g. a
#                      CPU-slot wrapper on a shared machine)
#   scripts/fuzz.sh --report [HARNESS...] prints the table of the last
#   campaign's directories again without fuzzing (e.g. after a harness was
#   run again alone with fuzz/run.sh).
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/fuzz.sh MINUTES [HARNESS...] | --report [HARNESS...]" >&2; exit 2; }
report_only=false
case $1 in
  --report) report_only=true; seconds=1 ;;
  *s) seconds=${1%s} ;;
  *) seconds=$(awk -v m="$1" 'BEGIN { printf "%d", m * 60 }') ;;
esac
shift
case $seconds in '' | *[!0-9]* | 0) echo "scripts/fuzz.sh: bad duration" >&2; exit 2 ;; esac
build=build-asan
out=$build/fuzz-campaign
if [ $# -eq 0 ]; then
  set -- $(for f in fuzz/fuzz_*.c; do f=${f#fuzz/fuzz_}; echo "${f%.c}"; done)
fi
if ! $report_only; then
  if [ ! -x $build/fuzz/nnfirm_fuzz_seeds ]; then
    mkdir -p $build
    cmake -S . -B $build -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DNNFIRM_SANITIZE=ON \
      -DNNFIRM_FUZZ=ON >$build.configure.log 2>&1 || { cat $build.configure.log; exit 1; }
  fi
  cmake --build $build -j "${NNFIRM_FUZZ_JOBS:-2}" >/dev/null
  mkdir -p $out
  for h in "$@"; do rm -f $out/$h.rc $out/$h.err; done
  LSAN_OPTIONS=suppressions="$PWD/scripts/lsan.supp":print_suppressions=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS UBSAN_OPTIONS
  echo "fuzzing $# harnesses for $seconds s each, ${NNFIRM_FUZZ_JOBS:-2} at a time" >&2
  for h in "$@"; do echo "$h"; done |
    xargs -P "${NNFIRM_FUZZ_JOBS:-2}" -I{} sh -c \
      "${NNFIRM_FUZZ_WRAP:-} sh fuzz/run.sh $build/fuzz {} $seconds $out/{} 2>$out/{}.err; echo \$? >$out/{}.rc"
fi

printf '%-14s %11s %9s %8s %7s %8s %8s %7s\n' harness executions cov_start cov_end corpus crashes libhdf5 other
failed=0
for h in "$@"; do
  log=$out/$h/log
  ours=$(grep -c '^ours' $out/$h/triage 2>/dev/null || true)
  theirs=$(grep -c '^libhdf5' $out/$h/triage 2>/dev/null || true)
  other=$(grep -cE '^(unreproduced|unattributed)' $out/$h/triage 2>/dev/null || true)
  # fuzz/run.sh's log: the seeds-only run ("INITED cov: N"), then fork-mode
  # status lines "#EXECS: cov: N ft: F corp: C ...".
  awk -v h="$h" -v ours="${ours:-0}" -v theirs="${theirs:-0}" -v other="${other:-0}" '
    /^== seeds/ { sec = "seeds" } /^== fuzz/ { sec = "fuzz" }
    sec == "seeds" && /INITED/ { for (i = 1; i < NF; i++) if ($i == "cov:") start = $(i + 1) }
    sec == "fuzz" && /^#[0-9]+: cov:/ {
      execs = substr($1, 2) + 0
      for (i = 1; i < NF; i++) { if ($i == "cov:") end = $(i + 1); if ($i == "corp:") corp = $(i + 1) }
    }
    END { printf "%-14s %11d %9s %8s %7s %8d %8d %7d\n", h, execs, start == "" ? "-" : start, end == "" ? "-" : end,
          corp == "" ? "-" : corp, ours, theirs, other }
  ' "$log" 2>/dev/null || printf '%-14s (no log: %s)\n' "$h" "$(head -1 $out/$h.err 2>/dev/null)"
  [ "$(cat $out/$h.rc 2>/dev/null || echo 1)" = 0 ] || failed=1
done
[ $failed = 0 ] || echo "crash inputs and reports: $out/<harness>/crashes, $out/<harness>/log" >&2
exit $failed
