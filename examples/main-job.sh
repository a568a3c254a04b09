#!/bin/sh
# The main job on its embedded default. It grows with the pipeline: today it
# demonstrates exact fixed-point quantization on a few values, in several
# rounding and overflow modes.
set -eu
cd "$(dirname "$0")/.."
NNFIRM=${NNFIRM:-build/nnfirm}
values="1.375
-0.3
0.0625
3.999
-4.2
1e-3"
for type in 'ap_fixed<8,3>' 'ap_fixed<8,3,AP_RND_CONV,AP_SAT>' 'ap_ufixed<6,2,AP_RND,AP_SAT_ZERO>'; do
  echo "== $type"
  echo "$values" | "$NNFIRM" fixed --type "$type" | paste -d' ' - - - - - -
done
