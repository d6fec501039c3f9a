#!/bin/bash
# classroom_test.sh LUNET - lunet run's classroom options (issue 10):
#   --step pauses after each packet a host sends, printing it as a ladder
#   row (Enter continues, c runs to the end, end of input too);
#   --speed X plays the run in real time at X virtual seconds per second;
#   bad values are usage errors (exit 2).
# Registered with ctest by tests/extra.cmake as cli.classroom.
set -u
LUNET=${1:?usage: classroom_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
export NO_COLOR=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LUNET_PCAP_DIR=$TMP/pcap
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }

# --step: two Enters, then c
printf '\n\nc\n' | "$LUNET" run --step scripts/handshake.lua >"$TMP/step" 2>&1
rc=$?
prompts=$(grep -o 'Enter: next' "$TMP/step" | wc -l)
if [ $rc -eq 0 ] && [ "$prompts" -eq 3 ] &&
   grep -q '^   0.010096s  client   ──\[S\] seq=1000 win=64240 <mss 1460,sackOK,TS,wscale 10>──▶  server$' "$TMP/step" &&
   grep -q 'server   ──\[S\.\] seq=2000 ack=1001 ' "$TMP/step" &&
   grep -q 'client   ──\[F\.\] seq=1007 ack=2007 ' "$TMP/step"
then pass "--step: rows as they happen, a pause per row until c"
else fail "--step: exit $rc, $prompts pauses" "$(head -12 "$TMP/step")"; fi
# the rows come before the script's own ladder: they are printed live
first_row=$(grep -n 'seq=1000 win' "$TMP/step" | head -1 | cut -d: -f1)
ladder=$(grep -n 'Reading the diagram' "$TMP/step" | head -1 | cut -d: -f1)
if [ -n "$first_row" ] && [ -n "$ladder" ] && [ "$first_row" -lt "$ladder" ]; then pass "--step: rows printed live"
else fail "--step: rows not before the script's output ($first_row, $ladder)"; fi

"$LUNET" run --step scripts/handshake.lua </dev/null >"$TMP/step_eof" 2>&1
rc=$?
prompts=$(grep -o 'Enter: next' "$TMP/step_eof" | wc -l)
if [ $rc -eq 0 ] && [ "$prompts" -eq 1 ]; then pass "--step: end of input runs on"
else fail "--step with no input: exit $rc, $prompts pauses" "$(tail -5 "$TMP/step_eof")"; fi

# --speed: 2 s of virtual time at x4 takes about half a second of wall time
cat >"$TMP/two_seconds.lua" <<'LUA'
local net = lunet.net{}
local h1, h2 = net:host("h1"), net:host("h2")
net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "10ms"})
h1:spawn(function() h1:ping("10.0.0.2", {count = 3, interval = "500ms", quiet = true}) end)
net:run("2s")
print("done at " .. lunet.now())
LUA
start=$(date +%s%N)
"$LUNET" run --speed 4 "$TMP/two_seconds.lua" >"$TMP/speed" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc -eq 0 ] && grep -q '^done at 2000000000$' "$TMP/speed" && [ $ms -ge 450 ] && [ $ms -lt 10000 ]
then pass "--speed 4: 2 s of virtual time in ${ms} ms"
else fail "--speed 4: exit $rc in ${ms} ms" "$(cat "$TMP/speed")"; fi

for bad in 0 x -1 1e9; do
  "$LUNET" run --speed "$bad" "$TMP/two_seconds.lua" >"$TMP/bad" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q -- '--speed needs a factor in 0.000001..1000000' "$TMP/bad"; then pass "--speed $bad: usage error"
  else fail "--speed $bad: exit $rc" "$(cat "$TMP/bad")"; fi
done
"$LUNET" run --lang fr "$TMP/two_seconds.lua" >"$TMP/bad" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q -- '--lang needs en or zh, got fr' "$TMP/bad"; then pass "--lang fr: usage error"
else fail "--lang fr: exit $rc" "$(cat "$TMP/bad")"; fi

# --quiz: the ladder's numbers and states blanked, answers read and marked
printf 'syn_sent\n1000\nSYN-RCVD\n2000\n9\n\n' |
  "$LUNET" run --quiz scripts/handshake.lua isn=1000 >"$TMP/quiz" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q -- '-- SYN seq=\[2\] --' "$TMP/quiz" && ! grep -q 'SYN seq=1000 -' "$TMP/quiz" &&
   [ "$(grep -c '^      right$' "$TMP/quiz")" -eq 4 ] && grep -q '^      no: it is 1001$' "$TMP/quiz" &&
   grep -q '^      it is ESTABLISHED$' "$TMP/quiz" && grep -q '^Score: 4 of 32$' "$TMP/quiz"
then pass "--quiz: blanks, answers marked, score"
else fail "--quiz: exit $rc" "$(grep -A3 -m1 'Quiz' "$TMP/quiz")" "$(grep Score "$TMP/quiz")"; fi
a1=$("$LUNET" run --quiz --seed 1 scripts/handshake.lua </dev/null 2>&1 | grep -m1 "^  \[2\]")
a2=$("$LUNET" run --quiz --seed 2 scripts/handshake.lua </dev/null 2>&1 | grep -m1 "^  \[2\]")
if [ -n "$a1" ] && [ -n "$a2" ] && [ "$a1" != "$a2" ]; then pass "--quiz: another seed, other numbers ($a1 / $a2)"
else fail "--quiz: seeds 1 and 2 gave \"$a1\" and \"$a2\""; fi

# nothing lands in the current directory: a script's captures go to
# $TMPDIR/lunet/<script>/ unless --pcap or $LUNET_PCAP_DIR say otherwise
mkdir -p "$TMP/cwd" "$TMP/tmpdir"
(cd "$TMP/cwd" && env -u LUNET_PCAP_DIR TMPDIR="$TMP/tmpdir" "$LUNET" run "$OLDPWD/scripts/handshake.lua") >"$TMP/cwd.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -z "$(ls -A "$TMP/cwd")" ] && [ -s "$TMP/tmpdir/lunet/handshake/client-eth0.pcap" ] &&
   grep -q "pcap: $TMP/tmpdir/lunet/handshake/client-eth0.pcap" "$TMP/cwd.out"
then pass "run: captures go to \$TMPDIR/lunet/handshake, nothing into the current directory"
else fail "run: captures: exit $rc" "$(ls -A "$TMP/cwd")" "$(grep pcap "$TMP/cwd.out")"; fi

echo
[ $fails -eq 0 ] && echo "all passed" || { echo "$fails check(s) failed"; exit 1; }
