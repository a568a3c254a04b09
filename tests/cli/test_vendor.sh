# Vendor flows for the same RTL, without the vendors' tools: the Vivado script
# and the Quartus project that 'nnfirm convert' writes are run by Debian's
# tclsh with the vendor commands stubbed as procs that record their calls,
# and 'nnfirm synth --vendor-report' reads sample reports written to the
# tools' documented layouts (tests/data/vendor, see tests/data/README.md).
. "$(dirname "$0")/lib.sh"
command -v tclsh >/dev/null 2>&1 || { fail "tclsh not found (scripts/install-deps.sh installs tcl)"; finish; exit 1; }
V="$TESTDATA/vendor"

printf 'Model:\n  Precision: ap_fixed<16,6>\nClockPeriod: 8\nPart: xcvu13p\n' > "$T/c.yml"
expect_status 0 "convert" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --config "$T/c.yml" -o "$T/p"
P="$T/p"
for f in vivado/synth.tcl vivado/myproject.xdc quartus/myproject.qpf quartus/myproject.qsf quartus/myproject.sdc; do
  [ -f "$P/$f" ] && pass || fail "$f not written"
  grep -q "\"$f\":[[:space:]]*\"[0-9a-f]\{16\}\"" "$P/manifest.json" && pass || fail "$f has no checksum in the manifest"
done
rtl=$(cd "$P/rtl" && ls *.v | sort | tr '\n' ' ')

# ---- Vivado: run synth.tcl with the commands recorded --------------------------------
cat > "$T/vivado_stub.tcl" <<'TCL'
# Stand-ins for Vivado's commands: each appends "name args" to calls.log.
set log [open [lindex $argv 0] w]
proc rec {args} { puts $::log [join $args " "] }
foreach c {synth_design report_utilization report_timing_summary opt_design place_design route_design} {
  proc $c {args} "rec $c {*}\$args"
}
proc read_verilog {f} {
  if {![file exists $f]} { error "read_verilog: no such file $f" }
  rec read_verilog [file tail $f]
}
proc get_ports {p} { return "port:$p" }
proc create_clock {args} { rec create_clock {*}$args }
proc read_xdc {f} {
  if {![file exists $f]} { error "read_xdc: no such file $f" }
  rec read_xdc [file tail $f]
  source $f
}
set argv [lrange $argv 2 end]
source [lindex $::script 0]
close $log
TCL
# tclsh runs the stub with the script path in ::script (set through a wrapper).
cat > "$T/run.tcl" <<TCL
set ::script [list "$P/vivado/synth.tcl"]
set argv [lrange \$argv 0 end]
source "$T/vivado_stub.tcl"
TCL
(cd / && tclsh "$T/run.tcl" "$T/calls.log" x) 2>"$T/tcl.err" && pass || fail "synth.tcl does not run: $(cat "$T/tcl.err")"
want_rv=$(for f in $rtl; do echo "read_verilog $f"; done)
expect_eq "$(grep '^read_verilog' "$T/calls.log")" "$want_rv" "read_verilog of every rtl/ file, sorted"
grep -qx 'read_xdc myproject.xdc' "$T/calls.log" && pass || fail "the clock constraints are not read"
grep -qx 'create_clock -period 8.000 -name clk port:clk' "$T/calls.log" && pass || fail "clock: $(grep create_clock "$T/calls.log")"
grep -qx 'synth_design -top myproject -part xcvu13p-flga2577-2-e -mode out_of_context' "$T/calls.log" && pass ||
  fail "synth_design: $(grep synth_design "$T/calls.log")"
expect_eq "$(sed -n 's/^\(report_[a-z_]*\) -file .*\/\(vivado\/reports\/[a-z_]*\.rpt\)$/\1 \2/p' "$T/calls.log" | tr '\n' ';')" \
  "report_utilization vivado/reports/utilization_synth.rpt;report_timing_summary vivado/reports/timing_synth.rpt;" "synthesis reports"
[ -d "$P/vivado/reports" ] && pass || fail "reports directory not made"
grep -q 'place_design\|route_design' "$T/calls.log" && fail "place and route run without being asked for" || pass
# order: constraints and sources before synthesis, reports after
expect_eq "$(awk '{print $1}' "$T/calls.log" | uniq | tr '\n' ' ')" \
  "read_verilog read_xdc create_clock synth_design report_utilization report_timing_summary " "synthesis call order"
(cd / && tclsh "$T/run.tcl" "$T/calls_impl.log" x impl) 2>"$T/tcl.err" && pass || fail "synth.tcl impl does not run: $(cat "$T/tcl.err")"
expect_eq "$(awk '{print $1}' "$T/calls_impl.log" | uniq | sed -n '4,$p' | tr '\n' ' ')" \
  "synth_design report_utilization report_timing_summary opt_design place_design route_design report_utilization report_timing_summary " \
  "place and route with -tclargs impl"
grep -q 'report_timing_summary -file .*/timing_route.rpt' "$T/calls_impl.log" && pass || fail "no timing report after routing"

# ---- Quartus: the settings file read with the assignment commands recorded ----------------
cat > "$T/quartus_stub.tcl" <<'TCL'
set log [open [lindex $argv 0] w]
proc set_global_assignment {args} { puts $::log "global [join $args { }]" }
proc set_instance_assignment {args} { puts $::log "instance [join $args { }]" }
proc get_ports {p} { return "port:$p" }
proc create_clock {args} { puts $::log "clock [join $args { }]" }
# Quartus reads bus names such as in_data[*] literally; in plain Tcl the
# brackets call a command named "*".
proc * {} { return {[*]} }
cd [lindex $argv 1]
source [lindex $argv 2]
foreach {k v} [list SDC [lindex $argv 3]] { source $v }
close $log
TCL
Q="$P/quartus"
tclsh "$T/quartus_stub.tcl" "$T/q.log" "$Q" "$Q/myproject.qsf" "$Q/myproject.sdc" 2>"$T/tcl.err" && pass ||
  fail "the .qsf/.sdc do not parse: $(cat "$T/tcl.err")"
grep -qx 'global -name FAMILY Agilex 7' "$T/q.log" && pass || fail "family"
grep -qx 'global -name DEVICE AGFB014R24A2E2V' "$T/q.log" && pass || fail "device"
grep -qx 'global -name TOP_LEVEL_ENTITY myproject' "$T/q.log" && pass || fail "top"
expect_eq "$(sed -n 's/^global -name VERILOG_FILE \.\.\/rtl\///p' "$T/q.log" | tr '\n' ' ')" "$rtl" "every rtl/ file in the .qsf"
for f in $(sed -n 's/^global -name VERILOG_FILE //p' "$T/q.log"); do [ -f "$Q/$f" ] && pass || fail "$f: not found from quartus/"; done
sdc=$(sed -n 's/^global -name SDC_FILE //p' "$T/q.log")
[ -f "$Q/$sdc" ] && pass || fail "SDC_FILE '$sdc' not found"
grep -qx 'clock -name clk -period 8.000 port:clk' "$T/q.log" && pass || fail "sdc clock: $(grep '^clock' "$T/q.log")"
grep -qx 'instance -name VIRTUAL_PIN ON -to in_data\[\*\]' "$T/q.log" && pass || fail "data inputs not virtual pins"
grep -q 'VIRTUAL_PIN ON -to clk' "$T/q.log" && fail "the clock must stay a real pin" || pass
grep -qx 'PROJECT_REVISION = "myproject"' "$Q/myproject.qpf" && pass || fail "qpf revision"

# The user's tools may rewrite their own files (Quartus appends to the .qsf):
# the project still opens; the RTL is still checked.
echo 'set_global_assignment -name LAST_QUARTUS_VERSION "23.4.0 Pro Edition"' >> "$Q/myproject.qsf"
mkdir -p "$Q/output_files" && cp "$V/quartus_fit.summary" "$Q/output_files/myproject.fit.summary"
expect_status 0 "project opens after a Quartus run" -- "$NNFIRM" estimate "$P"
echo "// edited" >> "$P/rtl/myproject.v"
expect_status 2 "edited RTL still refused" -- "$NNFIRM" estimate "$P"
expect_status 0 "convert again" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --config "$T/c.yml" -o "$T/p"
# Same design, same bytes (no dates in the vendor files).
expect_status 0 "convert a second time" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --config "$T/c.yml" -o "$T/p2"
for f in vivado/synth.tcl quartus/myproject.qsf; do cmp -s "$P/$f" "$T/p2/$f" && pass || fail "$f differs between two conversions"; done
# A part named with its package goes to Vivado as it is.
printf 'Part: xcku115-flvb2104-2-i\n' > "$T/ku.yml"
expect_status 0 "convert for a full part" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --config "$T/ku.yml" -o "$T/ku"
grep -qx 'set nf_part xcku115-flvb2104-2-i' "$T/ku/vivado/synth.tcl" && pass || fail "full part name not kept"
grep -qx 'set nf_clock_ns 5.000' "$T/ku/vivado/synth.tcl" && pass || fail "default clock not 5 ns"
expect_status 0 "convert --no-rtl" -- "$NNFIRM" convert "$TESTDATA/projects/tiny.nnf" --no-rtl -o "$T/norl"
expect_no_file "$T/norl/vivado" "no vendor scripts without RTL"

# ---- Reports: the vendors' figures in Yosys' keys ------------------------------------------
num() { sed -n "s/.*\"$1\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$T/out" | head -1; }
expect_status 0 "Vivado utilization + timing" -- "$NNFIRM" synth --vendor-report "$V/vivado_utilization_synth.rpt" \
  --vendor-timing "$V/vivado_timing_synth.rpt" --json
expect_eq "$(num lut) $(num lut_logic) $(num lut_memory) $(num ff) $(num carry) $(num dsp) $(num bram)" \
  "1412 1398 14 587 61 3 1.5" "Vivado UltraScale+ counts (DSPs from the ARITHMETIC table, not the primitives)"
awk -v p="$(num lut_pct)" 'BEGIN { exit !(p > 0.1194 && p < 0.1195) }' && pass || fail "lut_pct $(num lut_pct): 1412 / 1182240"
expect_eq "$(num clock_period_ns) $(num slack_ns) $(num critical_path_ns)" "8 2.315 5.685" "Vivado timing (period from the Clock Summary)"
grep -q '"meets_timing":[[:space:]]*true' "$T/out" && pass || fail "positive WNS does not meet"
grep -q '"part":[[:space:]]*"xcvu9p-flga2104-2L-e"' "$T/out" && pass || fail "device"
grep -q '"design_state":[[:space:]]*"Synthesized"' "$T/out" && pass || fail "design state"
expect_status 0 "Vivado 7-series, failing timing" -- "$NNFIRM" synth --vendor-report "$V/vivado_utilization_7series.rpt" \
  --vendor-timing "$V/vivado_timing_failing.rpt" --json
expect_eq "$(num lut) $(num ff) $(num dsp) $(num slack_ns) $(num critical_path_ns)" "2048 901 0 -0.412 5.412" "7-series layout (no Prohibited column)"
grep -q '"meets_timing":[[:space:]]*false' "$T/out" && pass || fail "negative WNS meets"
grep -q '"carry":[[:space:]]*null' "$T/out" && pass || fail "a count the report lacks must be null"
expect_status 0 "Quartus fit + timing, clock from the project" -- "$NNFIRM" synth "$P" \
  --vendor-report "$V/quartus_fit.summary" --vendor-timing "$V/quartus_sta.summary" --json
expect_eq "$(num alm) $(num ff) $(num dsp) $(num bram)" "1031 1204 0 2" "Quartus counts"
expect_eq "$(num clock_period_ns) $(num slack_ns)" "8 0.874" "worst setup slack over the corners (hold ignored)"
expect_eq "$(num latency_cycles)" "$(sed -n 's/.*"latency_cycles":[[:space:]]*\([0-9]*\).*/\1/p' "$P/manifest.json")" "latency from the project"
grep -q '"lut":[[:space:]]*null' "$T/out" && pass || fail "Quartus has no LUT count"
expect_status 0 "text output" -- "$NNFIRM" synth "$P" --vendor-report "$V/quartus_fit.summary" --vendor-timing "$V/quartus_sta.summary"
grep -q "meets the 8 ns clock by the vendor's timing" "$T/out" && grep -q "cycles at 8 ns = " "$T/out" && pass ||
  fail "text: $(cat "$T/out")"
expect_status 0 "--clock overrides the project" -- "$NNFIRM" synth --vendor-report "$V/quartus_fit.summary" \
  --vendor-timing "$V/quartus_sta.summary" --clock 4 --json
expect_eq "$(num critical_path_ns)" "3.126" "critical path = 4 - 0.874"

# Bad input: exit 2, the file (and line) named.
expect_status 2 "not a report" -- "$NNFIRM" synth --vendor-report "$V/quartus_sta.summary"
expect_err_contains "quartus_sta.summary: neither a Vivado utilization report" "not a report message"
sed 's/| CLB LUTs\*                  | 1412 |/| CLB LUTs*                  | 14x2 |/' "$V/vivado_utilization_synth.rpt" > "$T/bad.rpt"
expect_status 2 "bad number" -- "$NNFIRM" synth --vendor-report "$T/bad.rpt"
expect_err_contains "bad.rpt:35: 'CLB LUTs': the Used column '14x2' is not a number" "bad number names the line"
expect_status 2 "Vivado timing beside Quartus" -- "$NNFIRM" synth --vendor-report "$V/quartus_fit.summary" \
  --vendor-timing "$V/vivado_timing_synth.rpt"
expect_status 2 "Quartus timing beside Vivado" -- "$NNFIRM" synth --vendor-report "$V/vivado_utilization_synth.rpt" \
  --vendor-timing "$V/quartus_sta.summary"
expect_err_contains "not a Vivado timing summary" "wrong timing report message"
expect_status 2 "missing report" -- "$NNFIRM" synth --vendor-report "$T/none.rpt"
expect_err_contains "none.rpt" "missing file named"
expect_status 2 "timing without report" -- "$NNFIRM" synth --vendor-timing "$V/quartus_sta.summary"
expect_status 2 "two projects" -- "$NNFIRM" synth "$P" "$P" --vendor-report "$V/quartus_fit.summary"
finish
