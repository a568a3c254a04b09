#!/bin/sh
# The main job on its embedded default: the jet-tagging flow end to end on
# synthetic jets (no download, no vendor tools).
#   data -> float training -> evaluation (ROC, confusion) -> fixed-point
#   conversion -> bit-accurate evaluation and bit-width scan -> Verilog ->
#   co-simulation (0 mismatches) -> Yosys synthesis (LUT / FF on a VU9P)
# Outputs go to $OUT (default nnfirm-out/). Takes a few minutes on 2 cores.
set -eu
cd "$(dirname "$0")/.."
N=${NNFIRM:-build/nnfirm}
OUT=${OUT:-nnfirm-out}
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "fixed-point arithmetic (ap_fixed semantics, exact decimals)"
printf '1.375\n-0.3\n3.999\n' | "$N" fixed --type 'ap_fixed<8,3,AP_RND_CONV,AP_SAT>' | paste -sd' ' -

step "data: 200k synthetic jets (g, q, W, Z, t), 16 substructure features"
"$N" data synth -n 200000 --seed 1 -o "$OUT/jets.h5"
"$N" data info "$OUT/jets.h5" | head -3

step "train the 16-64-32-32-5 float MLP (Adam, L1, early stopping)"
"$N" train --data "$OUT/jets.h5" --epochs 20 --quiet --plots "$OUT/plots" -o "$OUT/jet.nnf"
"$N" model show "$OUT/jet.nnf"

step "evaluate on the held-out test split (ROC curves and confusion matrix in $OUT/plots)"
"$N" eval "$OUT/jet.nnf" --data "$OUT/jets.h5" --split test --plots "$OUT/plots"

step "convert to fixed point (examples/jet_fixed.yml) and write Verilog"
"$N" convert "$OUT/jet.nnf" --config examples/jet_fixed.yml -o "$OUT/project"

step "bit-accurate evaluation of the design next to the float model (ROC float vs fixed in $OUT/plots)"
"$N" eval "$OUT/project" --data "$OUT/jets.h5" --split test --plots "$OUT/plots"

step "bit-width scan: accuracy of ap_fixed<W,I> everywhere ($OUT/scan/scan.png)"
"$N" scan "$OUT/jet.nnf" --data "$OUT/jets.h5" --split test --bits 6:16 -o "$OUT/scan"
"$N" data synth -n 2000 --seed 99 -o "$OUT/sample.csv"
cut -d, -f1-16 "$OUT/sample.csv" > "$OUT/sample_features.csv"

step "co-simulate the RTL against the bit-accurate emulator (Verilator)"
"$N" cosim "$OUT/project" --input "$OUT/sample_features.csv" --rows 500 --quiet

step "synthesize with Yosys (UltraScale+ VU9P, out of context)"
"$N" synth "$OUT/project" --part xcvu9p --quiet --timeout 1200
printf '\nDone. Outputs in %s/ (model, plots, project with rtl/ tb/ synth/).\n' "$OUT"
