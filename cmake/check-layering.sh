#!/bin/sh
# check-layering.sh NM STAMP STAGE:LIBRARY:DEP,DEP,... ...
# The symbol half of the layering rule (cmake/stages.cmake has the header
# half). For every stage library: each nf_ symbol it uses must be defined in
# the stage itself or in a stage below it (its DEPs, transitively), and every
# symbol it exports must start with nf_ (NF_ for constant tables). Prints each violation and fails;
# writes STAMP when there is none.
set -eu
NM=$1 STAMP=$2
shift 2
T=$(mktemp -d "${TMPDIR:-/tmp}/nf-layering.XXXXXX")
trap 'rm -rf "$T"' EXIT
for arg in "$@"; do # defined global symbols of every stage
  name=${arg%%:*} rest=${arg#*:} lib=${rest%%:*}
  "$NM" -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBRCVW]/ { print $3 }' | sort -u > "$T/def.$name"
  echo "$lib" > "$T/lib.$name"
done
bad=0
for arg in "$@"; do
  name=${arg%%:*} rest=${arg#*:} deps=${rest#*:}
  cp "$T/def.$name" "$T/allowed"
  for d in $(echo "$deps" | tr ',' ' '); do
    [ -f "$T/def.$d" ] && cat "$T/def.$d" >> "$T/allowed"
  done
  sort -u "$T/allowed" -o "$T/allowed"
  "$NM" -u "$(cat "$T/lib.$name")" 2>/dev/null | awk '{ print $NF }' | grep '^nf_' | sort -u > "$T/used" || true
  for sym in $(comm -23 "$T/used" "$T/allowed"); do
    owner=$(grep -lx "$sym" "$T"/def.* 2>/dev/null | head -n 1 | sed 's/.*def\.//')
    echo "layering: stage '$name' uses $sym from stage '${owner:-nowhere}', which is not below it" >&2
    bad=1
  done
  # (names with a '.' are the compiler's, e.g. clang's ifunc resolvers of
  # target_clones functions: no C identifier has one)
  for sym in $(grep -v '^nf_\|^NF_\|\.' "$T/def.$name" || true); do
    echo "layering: stage '$name' exports '$sym' without the nf_ prefix (make it static or name it nf_...)" >&2
    bad=1
  done
done
[ "$bad" = 0 ] || exit 1
: > "$STAMP"
