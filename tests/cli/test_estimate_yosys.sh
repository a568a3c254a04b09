# The resource estimate against Yosys, without synthesizing: tests/data/estimate/yosys_counts.tsv
# holds Yosys 0.23 synth_xilinx counts (open-source flow, not Vivado's) of the calibration designs
# and the generator's counts they were made with (bench/calibrate_estimate). Every design of that
# file whose model is in tests/data (the hls4ml jet tagger KERAS_3layer dense, 70 % and 95 % pruned
# at several ap_fixed widths; qkeras_3layer with its shipped configuration) is converted again here:
#  - its generator counts must be the stored ones; when they differ the generator has changed since
#    the file was made, and the stored Yosys counts are of other RTL (rerun bench/calibrate_estimate);
#  - `nnfirm estimate` must be within 10 % of Yosys for LUT and FF on every design: from 2k LUT
#    (qkeras_3layer, KERAS_3layer at ap_fixed<16,6>, ...) and below (the 95 %-pruned tagger, 82 to
#    1,429 LUT; docs/firmware.md: -6.8 % at 114 LUT its worst, -13.4 % before the cost pass counted the
#    adders Yosys folds into multi-operand sums). The two limits stay apart in name (MIN_LUT).
# The default search's winner (16-24-12-5, QAT 5 bits, 70 % pruned, synthetic jets; model vendored in
# tests/data/models/nnfirm) is one of them: its registered ReLUs' rounding and saturation were +15.3 %
# (2,367 estimated against 2,053 Yosys LUT) before the cost pass counted them as the netlist builds them.
# The cmm column says how a row's Dense layers were built (ConstantMatrix): csd for the designs synthesized
# before the shared adder graph of src/rtl/cse.c, auto (the default) for qk3_cse and win_cse. Every row's
# Dense layers are adders (LutNeurons off) and its ReLUs modules of their own (ReLUFusion off): the stored
# counts are of that RTL; the truth tables' and the fused ReLUs' clip LUTs are counted, not fitted
# (src/rtl/lut.c, src/rtl/activation.c).
. "$(dirname "$0")/lib.sh"

TSV=$TESTDATA/estimate/yosys_counts.tsv
K=$TESTDATA/models/keras
WIN=$TESTDATA/models/nnfirm/search_winner_h24x12_b5_p70
LIMIT_FF=0.10 LIMIT_LUT=0.10 MIN_LUT=2000 SMALL_FF=0.10 SMALL_LUT=0.10
[ -f "$TSV" ] || { fail "no $TSV"; finish; }

header=$(grep -v '^#' "$TSV" | head -1)
col() { # <name>: 1-based column of the header
  printf '%s\n' "$header" | tr '\t' '\n' | grep -nx "$1" | cut -d: -f1
}
cd_=$(col design) cm=$(col model) cp_=$(col precision) cr=$(col reuse) cc=$(col cmm) cl=$(col yosys_lut) cf=$(col yosys_ff)
[ -n "$cd_" ] && [ -n "$cm" ] && [ -n "$cp_" ] && [ -n "$cr" ] && [ -n "$cc" ] && [ -n "$cl" ] && [ -n "$cf" ] || {
  fail "$TSV lacks a design/model/precision/reuse/cmm/yosys_lut/yosys_ff column"
  finish
}
features_header=$("$NNFIRM" estimate --features-header)
# the stored generator counts, in the order of --features-header
fcols=$(printf '%s\n' "$features_header" | tr '\t' '\n' | while read -r f; do col "$f"; done | tr '\n' ',' | sed 's/,$//')
[ "$(printf '%s' "$fcols" | tr ',' '\n' | grep -c .)" = "$(printf '%s\n' "$features_header" | tr '\t' '\n' | grep -c .)" ] ||
  fail "$TSV lacks some of the estimator's feature columns ($features_header)"

checked=0
grep -v '^#' "$TSV" | tail -n +2 > "$T/rows"
while IFS= read -r line; do
  f() { printf '%s\n' "$line" | cut -f"$1"; }
  name=$(f "$cd_") model=$(f "$cm") prec=$(f "$cp_") reuse=$(f "$cr") cmm=$(f "$cc")
  case $model in
  k) src="$K/KERAS_3layer.json" w= ;;
  k70) src="$K/KERAS_3layer.json" w="$K/KERAS_3layer_70pruned_retrained_weights.h5" ;;
  k95) src="$K/KERAS_3layer.json" w="$K/KERAS_3layer_95pruned_retrained_weights.h5" ;;
  qk3) src="$K/qkeras_3layer.json" w= ;;
  cand) src="$WIN.nnf" w= ;; # the default search's winner, its own configuration
  *) continue ;; # a model trained by bench/calibrate_estimate: not in tests/data
  esac
  # the row's RTL: its Dense layers built as the cmm column says (ConstantMatrix)
  case $prec in
  h24x12_b5_p70) cfg="$T/$name.json"; sed "s/}\$/, \"ConstantMatrix\": \"$cmm\", \"LutNeurons\": \"off\", \"ReLUFusion\": \"off\"}/" "$WIN.config.json" > "$cfg" ;;
  shipped) cfg="$T/$name.yml"; { cat "$K/qkeras_3layer_config.yml"; printf '\nConstantMatrix: %s\nLutNeurons: off\nReLUFusion: off\n' "$cmm"; } > "$cfg" ;;
  ap_fixed*)
    cfg="$T/$name.yml"
    printf 'Model:\n  Precision: %s\n  ReuseFactor: %s\n  Strategy: Latency\nClockPeriod: 5\nPart: xcvu9p\nConstantMatrix: %s\nLutNeurons: off\nReLUFusion: off\n' "$prec" "$reuse" "$cmm" > "$cfg"
    ;;
  *) fail "$name: precision '$prec' unknown to this test"; continue ;;
  esac
  if [ -n "$w" ]; then
    "$NNFIRM" convert "$src" --weights "$w" --config "$cfg" -o "$T/$name" --no-rtl >/dev/null 2>"$T/err"
  else
    "$NNFIRM" convert "$src" --config "$cfg" -o "$T/$name" --no-rtl >/dev/null 2>"$T/err"
  fi || { fail "$name: convert failed: $(cat "$T/err")"; continue; }
  got=$("$NNFIRM" estimate "$T/$name" --features)
  want=$(f "$fcols")
  if [ "$got" != "$want" ]; then
    fail "$name: the generator's counts differ from the stored ones (the stored Yosys counts are of other RTL; rerun bench/calibrate_estimate): got '$got', stored '$want'"
    continue
  fi
  pass
  "$NNFIRM" estimate "$T/$name" --json > "$T/e.json" || { fail "$name: estimate failed"; continue; }
  lut=$(sed -n 's/^\t"lut":[[:space:]]*\([0-9.e+-]*\).*/\1/p' "$T/e.json" | head -1)
  ff=$(sed -n 's/^\t"ff":[[:space:]]*\([0-9.e+-]*\).*/\1/p' "$T/e.json" | head -1)
  ylut=$(f "$cl") yff=$(f "$cf")
  if [ "$ylut" -ge "$MIN_LUT" ]; then llut=$LIMIT_LUT lff=$LIMIT_FF; else llut=$SMALL_LUT lff=$SMALL_FF; fi
  for what in "LUT $lut $ylut $llut" "FF $ff $yff $lff"; do
    set -- $what
    if [ -n "$2" ] && awk -v e="$2" -v y="$3" -v l="$4" 'BEGIN { d = e / y - 1; if (d < 0) d = -d; exit !(d <= l) }'; then
      pass
    else
      fail "$name: $1 estimate '$2' against Yosys $3: more than $(awk -v l="$4" 'BEGIN{print 100*l}') % off"
    fi
  done
  if [ "$ylut" -ge "$MIN_LUT" ]; then checked=$((checked + 1)); fi
done < "$T/rows"
# the designs issue 16 names, and enough of the file, were checked
for must in qk3 k_w16 win qk3_cse win_cse; do
  grep -q "^$must	" "$T/rows" && pass || fail "$TSV has no row '$must'"
done
[ "$checked" -ge 5 ] && pass || fail "only $checked designs of 2k LUT or more checked"
finish
