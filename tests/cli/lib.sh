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

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" = 0 ]
}
