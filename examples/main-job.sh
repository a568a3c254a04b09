#!/bin/sh
# The main job on its embedded default: the hls4ml jet-tagging tutorial end to
# end with 'nnfirm tutorial' — synthetic jets (or the real set once
# 'nnfirm data fetch' cached it), float training, ap_fixed<16,6> conversion,
# profiling and bit-width scan, QAT at 6 bits, QAT + 75% pruning, Verilog,
# co-simulation (0 mismatches) and Yosys synthesis — written up as
# $OUT/index.html (default OUT: nnfirm-out). No download, no vendor tools.
set -eu
cd "$(dirname "$0")/.."
N=${NNFIRM:-build/nnfirm}
OUT=${OUT:-nnfirm-out}

printf '== fixed-point arithmetic (ap_fixed semantics, exact decimals)\n'
printf '1.375\n-0.3\n3.999\n' | "$N" fixed --type 'ap_fixed<8,3,AP_RND_CONV,AP_SAT>' | paste -sd' ' -

printf '\n== the tutorial, Parts 1-5 and firmware\n'
"$N" tutorial -o "$OUT" ${TUTORIAL_OPTS:-}
printf '\nDone: open %s/index.html (summary in %s/summary.json, every step in %s/logs/).\n' "$OUT" "$OUT" "$OUT"
