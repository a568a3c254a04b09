# nnfirm data: generator determinism and balance, round trips through every
# format, the OpenML ARFF and hls4ml HDF5 layouts, and bad files.
. "$(dirname "$0")/lib.sh"

expect_status 0 "synth csv" -- "$NNFIRM" data synth -n 2000 --seed 7 -o "$T/a.csv"
expect_status 0 "synth again" -- "$NNFIRM" data synth -n 2000 --seed 7 -o "$T/b.csv"
cmp -s "$T/a.csv" "$T/b.csv" && pass || fail "same seed gave different bytes"
"$NNFIRM" data synth -n 2000 --seed 8 -o "$T/c.csv"
cmp -s "$T/a.csv" "$T/c.csv" && fail "different seeds gave the same data" || pass
expect_status 0 "info json" -- "$NNFIRM" data info "$T/a.csv" --json
grep -q '"rows":[[:space:]]*2000' "$T/out" && pass || fail "rows != 2000"
for c in g q w z t; do grep -q "\"$c\":[[:space:]]*400" "$T/out" && pass || fail "class $c not 400 of 2000"; done

# Round trip CSV -> HDF5 -> CSV keeps every value.
expect_status 0 "csv to h5" -- "$NNFIRM" data synth -n 2000 --seed 7 -o "$T/a.h5"
"$NNFIRM" data info "$T/a.h5" --json > "$T/h5.json"
"$NNFIRM" data info "$T/a.csv" --json > "$T/csv.json"
cmp -s "$T/h5.json" "$T/csv.json" && pass || fail "HDF5 and CSV statistics differ"

# OpenML ARFF: quoted names, comments, any keyword case, nominal class last.
{
  echo "% hls4ml_lhc_jets_hlf sample"
  echo "@RELATION 'hls4ml_lhc_jets_hlf'"
  for f in zlogz c1_b0_mmdt c1_b1_mmdt c1_b2_mmdt c2_b1_mmdt c2_b2_mmdt d2_b1_mmdt d2_b2_mmdt d2_a1_b1_mmdt \
           d2_a1_b2_mmdt m2_b1_mmdt m2_b2_mmdt n2_b1_mmdt n2_b2_mmdt mass_mmdt multiplicity; do
    echo "@attribute '$f' numeric"
  done
  echo "@ATTRIBUTE class {g,q,t,w,z}"
  echo "@data"
  echo "-3.1,0.3,0.01,0.001,0.2,0.1,1.5,2,1,1,0.1,0.1,0.2,0.2,80.5,40,w"
  echo "% a comment inside the data"
  echo "-3.5,0.3,0.02,0.002,0.3,0.1,2.5,3,1,1,0.1,0.1,0.3,0.2,170.1,60,'t'"
} > "$T/s.arff"
expect_status 0 "arff" -- "$NNFIRM" data info "$T/s.arff" --json
grep -q '"w":[[:space:]]*1' "$T/out" && grep -q '"t":[[:space:]]*1' "$T/out" && pass || fail "ARFF classes wrong: $(cat "$T/out")"

# Bad input: exit 2, message names file and line.
printf 'a,b\n1,2\n' > "$T/bad1.csv"
expect_status 2 "no label column" -- "$NNFIRM" data info "$T/bad1.csv"
head -3 "$T/a.csv" > "$T/bad2.csv"; echo "1,2,3" >> "$T/bad2.csv"
expect_status 2 "wrong column count" -- "$NNFIRM" data info "$T/bad2.csv"
expect_err_contains "bad2.csv:4:" "column count names line 4"
head -2 "$T/a.csv" > "$T/bad3.csv"; sed -n 3p "$T/a.csv" | sed 's/^[^,]*,/abc,/' >> "$T/bad3.csv"
expect_status 2 "non-numeric cell" -- "$NNFIRM" data info "$T/bad3.csv"
expect_err_contains "bad3.csv:3: column 1" "non-numeric cell position"
head -2 "$T/a.csv" > "$T/bad4.csv"; sed -n 3p "$T/a.csv" | sed 's/,[gqwzt]$/,x/' >> "$T/bad4.csv"
expect_status 2 "unknown class" -- "$NNFIRM" data info "$T/bad4.csv"
expect_err_contains "unknown class label 'x'" "unknown class message"
head -2 "$T/a.csv" > "$T/bad5.csv"; sed -n 3p "$T/a.csv" | sed 's/^[^,]*,/nan,/' >> "$T/bad5.csv"
expect_status 2 "NaN feature" -- "$NNFIRM" data info "$T/bad5.csv"
: > "$T/empty.csv"
expect_status 2 "empty file" -- "$NNFIRM" data info "$T/empty.csv"
expect_status 2 "directory" -- "$NNFIRM" data info "$T"
expect_err_contains "is a directory" "directory message"
head -c 100 "$T/a.h5" > "$T/trunc.h5"
expect_status 2 "truncated h5" -- "$NNFIRM" data info "$T/trunc.h5"
sed '$d' "$T/s.arff" | sed 's/^@data$//' > "$T/nodata.arff"
expect_status 2 "arff without @data" -- "$NNFIRM" data info "$T/nodata.arff"
expect_status 2 "bad -n" -- "$NNFIRM" data synth -n zero -o "$T/x.csv"
expect_status 2 "bad output format" -- "$NNFIRM" data synth -n 10 -o "$T/x.txt"
expect_no_file "$T/x.txt" "no output for a bad format"
# data plot: one valid PNG histogram per feature, written whole.
expect_status 0 "data plot" -- "$NNFIRM" data plot "$T/a.h5" -o "$T/plots"
n=$(ls "$T/plots"/*.png 2>/dev/null | wc -l)
expect_eq "$n" "16" "16 feature histograms"
for f in "$T/plots/j_mass_mmdt.png" "$T/plots/j_multiplicity.png"; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "211PNG" ] && [ "$(wc -c < "$f")" -gt 5000 ] && pass || fail "$f is not a plausible PNG"
done
expect_status 2 "data plot of a bad file" -- "$NNFIRM" data plot "$T/bad1.csv" -o "$T/plots2"
expect_no_file "$T/plots2" "no plot directory after a failure"
# NPY: features + sibling labels, round trip; bad files.
expect_status 0 "synth npy" -- "$NNFIRM" data synth -n 2000 --seed 7 -o "$T/a.npy"
[ -f "$T/a.labels.npy" ] && pass || fail "labels sibling missing"
"$NNFIRM" data info "$T/a.npy" --json > "$T/npy.json"
cmp -s "$T/npy.json" "$T/csv.json" && pass || fail "NPY and CSV statistics differ"
head -c 100 "$T/a.npy" > "$T/cut.npy"; cp "$T/a.labels.npy" "$T/cut.labels.npy"
expect_status 2 "truncated npy" -- "$NNFIRM" data info "$T/cut.npy"
expect_err_contains "truncated" "truncated npy message"
cp "$T/a.npy" "$T/nolabels.npy"
expect_status 2 "npy without labels" -- "$NNFIRM" data info "$T/nolabels.npy"
expect_err_contains "nolabels.labels.npy" "missing labels named"
printf 'not numpy' > "$T/junk.npy"
expect_status 2 "junk npy" -- "$NNFIRM" data info "$T/junk.npy"
finish
