#!/bin/sh
# Builds nnfirm and runs the whole test suite twice: an optimized gcc build,
# then a clang AddressSanitizer + UndefinedBehaviorSanitizer build that also
# runs each libFuzzer harness for a bounded time. Any sanitizer report fails;
# only third-party library leaks are suppressed, by name, in
# scripts/lsan.supp. Ends with CTest's summary line.
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

run_suite() { # <build dir> <cmake args...>
  dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$JOBS"
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS"
}

mkdir -p build build-asan
echo "== pass 1: release build ==" >&2
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== pass 2: clang, ASan + UBSan, with the libFuzzer harnesses ==" >&2
# intercept_tls_get_addr=0: clang 14's runtime guesses from a block's address
# alone whether a dynamic TLS block carries a pre-glibc-2.25 header and then
# reads two words before it; a block that lands on that offset by chance
# (PLplot's dlopen'ed cairo/pango driver allocates dynamic TLS) makes LSan's
# stop-the-world tracer crash at exit ("Tracer caught signal 11", no leak
# report): seen once in CI in the tutorial's scan step, not reproduced in 150
# runs here. Runtimes after LLVM 16 no longer guess (GitHub Mudlet/Mudlet#9809).
ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:intercept_tls_get_addr=0 LSAN_OPTIONS=suppressions="$PWD/scripts/lsan.supp":print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  NNFIRM_SANITIZED=1 run_suite build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DNNFIRM_SANITIZE=ON -DNNFIRM_FUZZ=ON
