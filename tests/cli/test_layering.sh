# The build enforces the stage order of docs/architecture.md: a copy of the
# library sources builds as it is, and each kind of back edge planted in it
# makes the build fail with a message naming it: a header of a stage above
# (compile error), a call of a function of a stage above (symbol check), a
# DEPS entry naming a later stage (configure error), an exported symbol
# without the nf_ prefix (symbol check).
. "$SRCDIR/tests/cli/lib.sh"
S=$T/src-copy
mkdir -p "$S"
cp -r "$SRCDIR/CMakeLists.txt" "$SRCDIR/cmake" "$SRCDIR/src" "$SRCDIR/include" "$S/"
B=$T/build
configure() { cmake -S "$S" -B "$B" -G Ninja -DNNFIRM_LIBRARY_ONLY=ON -DCMAKE_BUILD_TYPE=Debug >"$T/cfg.log" 2>&1; }
build() { cmake --build "$B" -j 2 --target "$@" >"$T/build.log" 2>&1; }
contains() { # <file> <text> <description>
  if grep -qF -- "$2" "$1"; then pass; else fail "$3: '$2' not in $(tail -c 1500 "$1")"; fi
}

# 0. the untouched copy builds, and its layering check passes
configure && pass || fail "configure of the untouched copy: $(tail -c 1500 "$T/cfg.log")"
build nnfirm_layering && pass || fail "untouched copy: $(grep -m5 -E 'error|layering:' "$T/build.log")"

# 1. convert includes the header of rtl, a stage it is not built on
cp "$S/src/convert/design.c" "$T/design.c.orig"
printf '#include "nnfirm/rtl.h"\n' >> "$S/src/convert/design.c"
if build nnfirm_convert; then fail "convert including nnfirm/rtl.h built"; else pass; fi
contains "$T/build.log" "nnfirm/rtl.h" "header back edge"
cp "$T/design.c.orig" "$S/src/convert/design.c"

# 2. convert calls an rtl function through a prototype written by hand
cat > "$S/src/convert/back_edge.c" <<'C'
int nf_rtl_check(const void *net, void *err);
int nf_convert_back_edge_probe(void) { return nf_rtl_check(0, 0); }
C
configure || fail "configure with back_edge.c"
if build nnfirm_layering; then fail "a call from convert into rtl passed the layering check"; else pass; fi
contains "$T/build.log" "stage 'convert' uses nf_rtl_check from stage 'rtl'" "symbol back edge"

# 3. an exported function without the nf_ prefix
cat > "$S/src/convert/back_edge.c" <<'C'
int convert_helper_probe(void) { return 0; }
C
if build nnfirm_layering; then fail "an unprefixed export passed the check"; else pass; fi
contains "$T/build.log" "stage 'convert' exports 'convert_helper_probe' without the nf_ prefix" "prefix rule"
rm -f "$S/src/convert/back_edge.c"

# 4. a stage declared to build on a stage defined after it
sed -i 's/^nf_stage(convert DEPS fixed model /nf_stage(convert DEPS fixed model rtl /' "$S/src/CMakeLists.txt"
grep -q '^nf_stage(convert DEPS fixed model rtl ' "$S/src/CMakeLists.txt" || fail "could not plant the DEPS back edge"
if configure; then fail "configure accepted convert DEPS rtl"; else pass; fi
contains "$T/cfg.log" "stage convert: 'rtl' is not a stage below it" "DEPS back edge"
finish
