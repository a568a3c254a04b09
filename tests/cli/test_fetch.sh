# nnfirm data fetch against a local HTTP server on 127.0.0.1 that this test
# starts and stops: download, cache with checksum, resume from a partial
# file, wrong checksum, corrupt cache, unreachable server.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/srv"
{
  echo "@relation hls4ml_lhc_jets_hlf"
  for f in zlogz c1_b0_mmdt c1_b1_mmdt c1_b2_mmdt c2_b1_mmdt c2_b2_mmdt d2_b1_mmdt d2_b2_mmdt d2_a1_b1_mmdt \
           d2_a1_b2_mmdt m2_b1_mmdt m2_b2_mmdt n2_b1_mmdt n2_b2_mmdt mass_mmdt multiplicity; do echo "@attribute $f numeric"; done
  echo "@attribute class {g,q,t,w,z}"
  echo "@data"
  i=0; while [ $i -lt 200 ]; do echo "-3.$i,0.3,0.01,0.001,0.2,0.1,1.5,2,1,1,0.1,0.1,0.2,0.2,8$i.5,40,w"; i=$((i + 1)); done
} > "$T/srv/jets.arff"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$T/srv" > "$T/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
# Up to 30 s for the server to listen: CI machines can be slow to start python.
i=0
while [ $i -lt 120 ]; do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break; sleep 0.25
  i=$((i + 1))
done
URL="http://127.0.0.1:$PORT/jets.arff"
F="$T/cache/hls4ml_lhc_jets_hlf.arff"

expect_status 0 "fetch" -- "$NNFIRM" data fetch -o "$T/cache" --url "$URL" --quiet
cmp -s "$F" "$T/srv/jets.arff" && pass || fail "fetched file differs from the served one"
digest=$(sha256sum "$T/srv/jets.arff" | cut -d' ' -f1)
expect_eq "$(cat "$F.sha256")" "$digest" "checksum file holds the SHA-256"
expect_status 0 "fetched file loads" -- "$NNFIRM" data info "$F" --json
grep -q '"w":[[:space:]]*200' "$T/out" && pass || fail "fetched ARFF rows"
# Cached: a second run does not download (the server's file changes, the cache does not).
echo "% changed" >> "$T/srv/jets.arff"
expect_status 0 "cached" -- "$NNFIRM" data fetch -o "$T/cache" --url "$URL" --quiet
expect_eq "$(sha256sum "$F" | cut -d' ' -f1)" "$digest" "cache kept"
# Resume from a partial download.
mkdir -p "$T/cache2"
head -c 700 "$T/srv/jets.arff" > "$T/cache2/hls4ml_lhc_jets_hlf.arff.part"
expect_status 0 "resume" -- "$NNFIRM" data fetch -o "$T/cache2" --url "$URL" --quiet
cmp -s "$T/cache2/hls4ml_lhc_jets_hlf.arff" "$T/srv/jets.arff" && pass || fail "resumed file differs"
expect_no_file "$T/cache2/hls4ml_lhc_jets_hlf.arff.part" "part file gone after completion"
# A wrong expected checksum: refused, nothing cached.
expect_status 2 "wrong sha256" -- "$NNFIRM" data fetch -o "$T/cache3" --url "$URL" --sha256 0000 --quiet
expect_err_contains "SHA-256" "checksum message"
expect_no_file "$T/cache3/hls4ml_lhc_jets_hlf.arff" "nothing cached after a bad checksum"
# A corrupt cache is detected.
echo "x" >> "$F"
expect_status 2 "corrupt cache" -- "$NNFIRM" data fetch -o "$T/cache" --url "$URL" --quiet
expect_err_contains "checksum differs" "corrupt cache message"
# Unreachable server: fails fast with the hand-placement hint; a 404 is an error too.
expect_status 2 "unreachable" -- "$NNFIRM" data fetch -o "$T/cache4" --url "http://127.0.0.1:1/jets.arff" --timeout 3 --quiet
expect_err_contains "place it at" "hand-placement hint"
expect_status 2 "404" -- "$NNFIRM" data fetch -o "$T/cache5" --url "http://127.0.0.1:$PORT/missing.arff" --quiet
finish
