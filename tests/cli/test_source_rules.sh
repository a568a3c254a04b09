# Rules of the code base that a reader should be able to rely on, checked
# over the source tree: no nf_ function is declared by hand in a .c file (a
# prototype belongs in the header of the stage that owns it), and the
# front-ends in cli/ stay thin (at most 250 lines a file).
. "$SRCDIR/tests/cli/lib.sh"
cd "$SRCDIR" || exit 1

# A file-scope declaration: starts in column 0, names an nf_ function, and its
# parameter list closes with ';' instead of a body (spans several lines too).
hand_decls() {
  awk 'FNR == 1 { decl = "" }
       decl == "" && /^[A-Za-z_].*[^A-Za-z0-9_]nf_[A-Za-z0-9_]+\(/ && !/^static/ && !/^#/ { decl = $0; start = FNR }
       decl == "" && /^nf_[A-Za-z0-9_]+\(/ { decl = $0; start = FNR }
       decl != "" {
         if (FNR != start) decl = decl " " $0
         if (decl ~ /\{/) { decl = ""; next }
         if (decl ~ /\)[ \t]*;[ \t]*$/) { print FILENAME ":" start ": " decl; decl = "" }
       }' "$@"
}
files=$(find src cli tests bench fuzz examples -name '*.c' 2>/dev/null | sort)
hand_decls $files > "$T/decls"
if [ -s "$T/decls" ]; then fail "nf_ functions declared by hand in .c files: $(head -5 "$T/decls")"; else pass; fi

# The rule can fail: a planted declaration is found.
printf 'int nf_probe_function(int x,\n                      int y);\nint main(void) { return 0; }\n' > "$T/probe.c"
hand_decls "$T/probe.c" > "$T/probe"
expect_eq "$(cut -d: -f2 "$T/probe")" "1" "a planted hand declaration is found"
# cli/ is option parsing, one library call, printing: no file over 250 lines.
long=$(wc -l cli/*.c | awk '$2 != "total" && $1 > 250 { print $2 " (" $1 " lines)" }')
if [ -n "$long" ]; then fail "cli files over 250 lines: $long"; else pass; fi
finish
