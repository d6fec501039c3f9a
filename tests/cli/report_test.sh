#!/bin/bash
# report_test.sh LUNET - `lunet run --report DIR`: the page is written,
# well-formed, links to pcaps that exist, is byte-identical from one
# process to the next, is written for a failing script too, and nothing
# lands in the current directory.
#
# Registered with ctest by tests/extra.cmake as cli.report.
set -u
LUNET=${1:?usage: report_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/cwd"
cd "$TMP/cwd"                        # nothing may be written here

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
run() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1; rc=$?; }
show() { sed 's/^/      | /' "$TMP/$1.out" | tail -20; }
check() { "$LUNET" run "$SRC/tests/cli/report/wellformed.lua" "$1" >"$TMP/check.out" 2>&1; }

# --- the handshake demo --------------------------------------------------------
run a "$LUNET" run --report "$TMP/a" "$SRC/scripts/handshake.lua"
if [ $rc -eq 0 ] && [ -s "$TMP/a/index.html" ]; then pass "handshake: exit 0, index.html written"
else fail "handshake: exit $rc" "$(show a)"; fi
if [ "$(tail -n 1 "$TMP/a.out")" = "report: $TMP/a/index.html" ]; then pass "says where the report is"
else fail "last line: $(tail -n 1 "$TMP/a.out")"; fi
if check "$TMP/a/index.html"; then pass "well-formed, and every picture in it"
else fail "not well-formed" "$(cat "$TMP/check.out")"; fi
if grep -q "^ladders 1$" "$TMP/check.out" && grep -q "^svg " "$TMP/check.out"; then
  pass "one ladder ($(grep '^segments' "$TMP/check.out"), $(grep '^svg' "$TMP/check.out" | cut -d' ' -f2) pictures)"
else fail "pictures" "$(cat "$TMP/check.out")"; fi
missing=0; links=0
while read -r _ href; do
  links=$((links + 1))
  [ -f "$TMP/a/$href" ] || { missing=$((missing + 1)); echo "    missing: $href"; }
done < <(grep '^link ' "$TMP/check.out")
if [ $links -ge 2 ] && [ $missing -eq 0 ]; then pass "$links pcap links, each to a file beside the page"
else fail "pcap links: $links, $missing missing"; fi
if grep -q "TCP: three-way handshake" "$TMP/a/index.html"; then pass "the script's output is in the page"
else fail "output missing"; fi
if grep -qE 'src="https?:|href="https?:|@import|url\(' "$TMP/a/index.html"; then
  fail "the page refers to something outside itself"
else pass "self-contained: nothing to fetch"; fi

# --- determinism across processes ---------------------------------------------
# (the same directory each time: the script prints its pcaps' paths)
mv "$TMP/a" "$TMP/a1"
run b "$LUNET" run --report "$TMP/a" "$SRC/scripts/handshake.lua"
if cmp -s "$TMP/a1/index.html" "$TMP/a/index.html"; then pass "a second process writes the same bytes"
else fail "the pages differ" "$(diff "$TMP/a1/index.html" "$TMP/a/index.html" | head -5)"; fi
run c1 "$LUNET" run --report "$TMP/c" "$SRC/scripts/reliability.lua"
mv "$TMP/c" "$TMP/c1"
run c2 "$LUNET" run --report "$TMP/c" "$SRC/scripts/reliability.lua"
if [ $rc -eq 0 ] && cmp -s "$TMP/c1/index.html" "$TMP/c/index.html"; then
  pass "reliability.lua: the same page twice ($(wc -c < "$TMP/c/index.html") bytes)"
else fail "reliability.lua: exit $rc or pages differ" "$(diff "$TMP/c1/index.html" "$TMP/c/index.html" | head -5)"; fi
if check "$TMP/c1/index.html" && grep -q "^ladders 5$" "$TMP/check.out"; then
  pass "reliability.lua: five networks, a ladder each, well-formed"
else fail "reliability.lua page" "$(cat "$TMP/check.out")"; fi
# five networks with the same node names: no capture overwrote another
n=$(ls "$TMP/c1"/*.pcap | wc -l)
if [ "$n" -eq 20 ]; then pass "20 pcaps for 5 networks of 4 interfaces, none overwritten"
else fail "$n pcaps" "$(ls "$TMP/c1")"; fi

# --- every demonstration with --report: the same outcome as without ----------------
# (recording must not change what happens: a script's assertions still hold)
bad=""
for f in "$SRC"/scripts/*.lua; do
  name=$(basename "$f" .lua)
  "$LUNET" run --report "$TMP/demo-$name" "$f" >"$TMP/demo-$name.out" 2>&1 || bad="$bad $name"
  [ -s "$TMP/demo-$name/index.html" ] || bad="$bad $name(no page)"
done
if [ -z "$bad" ]; then pass "every script in scripts/ passes with --report and gets its page"
else fail "scripts failing with --report:$bad" "$(tail -5 "$TMP/demo-${bad%% *}.out" 2>/dev/null)"; fi

# --- a failing script ------------------------------------------------------------
cat > "$TMP/fails.lua" <<'LUA'
local net = lunet.net{}
local a, b = net:host("a"), net:host("b")
net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
print("before the failure")
net:run("1s")
error("scenario went wrong")
LUA
run f "$LUNET" run --report "$TMP/f" "$TMP/fails.lua"
if [ $rc -eq 1 ] && grep -q "scenario went wrong" "$TMP/f.out"; then pass "failing script: exit 1, error on stderr"
else fail "failing script: exit $rc" "$(show f)"; fi
if grep -q 'class="err"' "$TMP/f/index.html" && grep -q "fails.lua:6: scenario went wrong" "$TMP/f/index.html" &&
   grep -q "before the failure" "$TMP/f/index.html"; then
  pass "failing script: the page shows the error with file:line, and the output"
else fail "failing script: page" "$(grep -c err "$TMP/f/index.html")"; fi

# --- usage ------------------------------------------------------------------------
run u "$LUNET" run --report
if [ $rc -eq 2 ] && grep -q -- "--report needs a directory" "$TMP/u.out"; then pass "--report without a directory: exit 2"
else fail "--report without a directory: exit $rc" "$(show u)"; fi

if [ -z "$(ls -A "$TMP/cwd")" ]; then pass "nothing written into the current directory"
else fail "the current directory got: $(ls -A "$TMP/cwd")"; fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
