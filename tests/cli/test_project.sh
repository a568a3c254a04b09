# The project directory (src/project): what 'nnfirm convert' writes is one
# versioned manifest with a checksum of every file and one network
# description; a project written by nnfirm 0.1 (format version 1, kept in
# tests/data/projects/v1_tiny) is still read by every command; a newer
# version is refused with a message naming it.
. "$SRCDIR/tests/cli/lib.sh"
P=$TESTDATA/projects
X=$TESTDATA/refs/inputs16.csv
json_num() { sed -n "s/.*\"$1\":[[:space:]]*\([-0-9.e]*\).*/\1/p" "$2" | head -1; }

# Version 2, as written now.
expect_status 0 "convert" -- "$NNFIRM" convert "$P/tiny.nnf" -o "$T/v2"
expect_eq "$(json_num version "$T/v2/manifest.json")" "2" "manifest version"
grep -q '"network":[[:space:]]*"design.json"' "$T/v2/manifest.json" && pass || fail "manifest names design.json as the network"
for f in design.json config.json rtl/myproject.v tb/tb_myproject.v; do
  grep -q "\"$f\":[[:space:]]*\"[0-9a-f]\{16\}\"" "$T/v2/manifest.json" && pass || fail "manifest lacks the checksum of $f"
done
[ ! -e "$T/v2/tb/design.json" ] && pass || fail "the network is stored a second time in tb/design.json"

# Version 1 (nnfirm 0.1), read in place of a copy: cosim, estimate, eval.
cp -r "$P/v1_tiny" "$T/v1"
expect_status 0 "cosim of a version-1 project" -- "$NNFIRM" cosim "$T/v1" --input "$X" --simulator iverilog --json --quiet
expect_eq "$(json_num mismatches "$T/out")" "0" "version-1 project: mismatches"
expect_eq "$(json_num latency_cycles "$T/out")" "$(json_num latency_cycles "$T/v1/manifest.json")" "version-1 project: latency"
expect_status 0 "estimate of version 1" -- "$NNFIRM" estimate "$T/v1" --json
cp "$T/out" "$T/e1.json"
# a version-1 design.json names neither ReLUFusion nor LutNeurons: both off, its RTL as it was built
printf '{"ReLUFusion": "off", "LutNeurons": "off"}\n' > "$T/v1like.json"
expect_status 0 "convert as version 1 built" -- "$NNFIRM" convert "$P/tiny.nnf" --config "$T/v1like.json" -o "$T/v2off"
expect_status 0 "estimate of version 2" -- "$NNFIRM" estimate "$T/v2off" --json
expect_eq "$(json_num lut "$T/e1.json")" "$(json_num lut "$T/out")" "the same model in both versions: same LUT estimate"
expect_eq "$(json_num ff "$T/e1.json")" "$(json_num ff "$T/out")" "the same model in both versions: same FF estimate"
expect_status 0 "eval of version 1" -- "$NNFIRM" eval "$T/v1" --rows 2000 --json
grep -q '"accuracy":' "$T/out" && pass || fail "eval of version 1 gives no accuracy"
# Version 1 checksums are still checked.
printf '// edit\n' >> "$T/v1/rtl/myproject_fc1.v"
expect_status 2 "edited version-1 RTL" -- "$NNFIRM" cosim "$T/v1" --input "$X" --quiet
expect_err_contains "myproject_fc1.v: modified since 'nnfirm convert'" "edited version-1 RTL message"

# Checksums of version 2 cover the design too.
cp -r "$T/v2" "$T/v2e"
sed -i 's/"n_inputs":[[:space:]]*16/"n_inputs": 16 /' "$T/v2e/design.json"
expect_status 2 "edited design.json" -- "$NNFIRM" estimate "$T/v2e"
expect_err_contains "design.json: modified since 'nnfirm convert'" "edited design message"

# A newer format is refused by name; nothing is written.
cp -r "$T/v2" "$T/v9"
sed -i 's/"version":[[:space:]]*2/"version": 9/' "$T/v9/manifest.json"
expect_status 2 "version 9" -- "$NNFIRM" cosim "$T/v9" --input "$X" --quiet
expect_err_contains "project format version 9" "newer version message"
expect_no_file "$T/v9/cosim" "refused project: no cosim/"

# An RTL-only project of nnfirm 0.2 (network.json, the generator's own
# record; only bench_rtl_jet wrote them) is refused by name.
cp -r "$T/v2" "$T/v2n"
sed -i 's/"network":[[:space:]]*"design.json"/"network": "network.json"/' "$T/v2n/manifest.json"
expect_status 2 "network.json project" -- "$NNFIRM" estimate "$T/v2n"
expect_err_contains "no longer reads" "network.json refusal names the format"

rm -rf "$T/v2/cosim"
expect_status 0 "cosim of version 2" -- "$NNFIRM" cosim "$T/v2" --input "$X" --simulator iverilog --quiet --rows 50
finish
