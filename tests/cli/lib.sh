# Helpers for end-to-end CLI tests. Sourced by tests/cli/test_*.sh, which run
# with NNFIRM (the binary), TESTDATA (tests/data) and SRCDIR in the environment.
set -u
: "${NNFIRM:?NNFIRM must name the nnfirm binary}"
FAILS=0
PASSES=0
T=$(mktemp -d "${TMPDIR:-/tmp}/nnfirm-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }

# expect_status <code> <description> -- <command...>: runs the command with
# stdout/stderr captured in $T/out and $T/err.
expect_status() {
  want=$1; what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  if [ "$got" = "$want" ]; then pass; else fail "$what: exit $got, expected $want; stderr: $(head -c 2000 "$T/err")"; fi
}

# expect_err_contains <text> <description>: the last captured stderr mentions text.
expect_err_contains() {
  if grep -qF -- "$1" "$T/err"; then pass; else fail "$2: stderr lacks '$1': $(head -c 400 "$T/err")"; fi
}

expect_eq() { # <got> <want> <description>
  if [ "$1" = "$2" ]; then pass; else fail "$3: got '$1', expected '$2'"; fi
}

expect_no_file() { # <path> <description>
  if [ -e "$1" ]; then fail "$2: $1 exists"; else pass; fi
  leftovers=$(ls -d "$1".tmp-* 2>/dev/null | head -1)
  if [ -n "$leftovers" ]; then fail "$2: temporary $leftovers left behind"; fi
}

# json_num <key> <file>: the first number stored under key (nnfirm's --json output, manifest.json).
json_num() { sed -n "s/.*\"$1\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$2" | head -1; }

# worst <a.csv> <b.csv>: the largest absolute difference between two CSV files of
# equal width, column by column (printed %.3g); their row count goes to $T/rows.
worst() {
  paste -d, "$1" "$2" | awk -F, -v rows="$T/rows" '{n = NF / 2; for (i = 1; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d; if (d > w) w = d } }
    END { printf "%.3g\n", w + 0; print NR > rows }'
}

# within <a.csv> <b.csv> <columns> <tolerance> [rows]: succeeds when both files have
# <columns> columns on every row, every pair of values differs by at most <tolerance>
# (in full precision), and, if given, there are <rows> rows.
within() {
  paste -d, "$1" "$2" | awk -F, -v n="$3" -v tol="$4" -v rows="${5:-}" '
    NF != 2 * n { bad++ } { for (i = 1; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d; if (d > tol) bad++ } }
    END { exit bad > 0 || (rows != "" && NR != rows + 0) }'
}

# cosim_expect <name> <project> <inputs.csv> <simulator> <rows>: co-simulation on
# the emulator's codes with 0 mismatches, the rows asked, the RTL reference
# agreeing, and latency and II equal to the project's manifest.
cosim_expect() {
  expect_status 0 "$1: cosim ($4)" -- "$NNFIRM" cosim "$2" --input "$3" --simulator "$4" --rows "$5" --json --quiet
  expect_eq "$(json_num mismatches "$T/out")" 0 "$1: mismatches ($4)"
  expect_eq "$(json_num rows "$T/out")" "$5" "$1: rows simulated ($4)"
  expect_eq "$(json_num reference_disagreements "$T/out")" 0 "$1: emulator vs RTL reference ($4)"
  grep -q '"expected_from":[[:space:]]*"emulator"' "$T/out" && pass || fail "$1: not compared with the emulator"
  expect_eq "$(json_num latency_cycles "$T/out")" "$(json_num latency_cycles "$2/manifest.json")" "$1: latency ($4)"
  expect_eq "$(json_num ii "$T/out")" "$(json_num II "$2/manifest.json")" "$1: II ($4)"
}

# lint_ok <name> <project>: `verilator --lint-only -Wall` over its rtl/ warns
# about nothing and `iverilog -Wall` prints nothing; every file opens with a
# header comment, no signal is anonymous (s<N>), no mux arm is dead.
lint_ok() {
  verilator --lint-only -Wall --top-module myproject "$2"/rtl/*.v >"$T/lint.log" 2>&1
  st=$?
  n=$(grep -c '^%Warning' "$T/lint.log")
  if [ "$st" = 0 ] && [ "$n" = 0 ]; then pass; else fail "$1: verilator -Wall: exit $st, $n warnings: $(grep '^%' "$T/lint.log" | head -5)"; fi
  iverilog -Wall -o "$T/iv.out" "$2"/rtl/*.v >"$T/iv.log" 2>&1
  st=$?
  if [ "$st" = 0 ] && [ ! -s "$T/iv.log" ]; then pass; else fail "$1: iverilog -Wall: exit $st: $(head -5 "$T/iv.log")"; fi
  for f in "$2"/rtl/*.v; do
    head -1 "$f" | grep -q '^// ' || fail "$1: $(basename "$f") has no header comment"
  done
  grep -nE "(wire|reg) (signed )?\[[0-9]+:0\] s[0-9]+\b" "$2"/rtl/*.v >"$T/anon" && fail "$1: anonymous signals: $(head -2 "$T/anon")" || pass
  grep -nE "1'b[01] \?|\(1'b0 \||\| 1'b0\)" "$2"/rtl/*.v >"$T/dead" && fail "$1: dead mux arms: $(head -2 "$T/dead")" || pass
}

# train_refused <description> <expected text> <train options...>: nnfirm train on
# $T/jets.csv exits 2 with a message containing the text and writes no model.
train_refused() {
  what=$1 text=$2
  shift 2
  expect_status 2 "$what" -- "$NNFIRM" train --data "$T/jets.csv" --epochs 1 --quiet -o "$T/never.nnf" "$@"
  expect_err_contains "$text" "$what: message"
  expect_no_file "$T/never.nnf" "$what: no model"
}

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" = 0 ]
}
