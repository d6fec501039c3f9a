#!/bin/bash
# knobs_test.sh LUNET - the classroom scenarios (scripts/*.lua built on
# lunet.scenario), as a teacher would drive them (issue 10):
#   * SCRIPT --help lists the what-if knobs, each with a default and a try
#     value;
#   * SCRIPT key=TRY runs to the end for every knob (exit 0, no traceback):
#     a changed prediction is explained, not crashed on;
#   * --lang zh prints every explanation in Chinese: LUNET_STRICT_LANG makes
#     a missing translation an error, and no printed line may read as an
#     English sentence;
#   * a bad knob is one line and exit 2.
# Registered with ctest by tests/extra.cmake as cli.knobs.
set -u
LUNET=${1:?usage: knobs_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
export NO_COLOR=1 LUNET_STRICT_LANG=1
unset LUNET_LANG
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LUNET_PCAP_DIR=$TMP/pcap

fails=0 scenarios=0 knobs=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
clean() {   # exit 0 and no traceback
  [ "$1" -eq 0 ] && ! grep -q "stack traceback" "$2"
}

for s in scripts/*.lua; do
  grep -q 'require("lunet.scenario")\|require "lunet.scenario"' "$s" || continue
  scenarios=$((scenarios + 1))
  name=$(basename "$s" .lua)
  "$LUNET" run "$s" --help >"$TMP/help" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || ! grep -q "try:" "$TMP/help"; then
    fail "$name --help" "exit $rc" "$(head -20 "$TMP/help")"
    continue
  fi
  n=0
  while read -r key try; do
    n=$((n + 1)); knobs=$((knobs + 1))
    timeout 120 "$LUNET" run "$s" "$key=$try" >"$TMP/out" 2>&1
    rc=$?
    if clean $rc "$TMP/out"; then pass "$name $key=$try"
    else fail "$name $key=$try: exit $rc" "$(tail -15 "$TMP/out")"; fi
  done < <(sed -n 's/^  \([a-z_][a-z0-9_]*\)= .*; try: \([^]]*\)\]$/\1 \2/p' "$TMP/help")
  [ $n -gt 0 ] || fail "$name: --help lists no knob" "$(cat "$TMP/help")"

  timeout 120 "$LUNET" run --lang zh "$s" >"$TMP/zh" 2>&1
  rc=$?
  # an English sentence: five or more lower-case words in a row
  english=$(grep -nE '[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+ [a-z]{2,}' "$TMP/zh" | head -5)
  if clean $rc "$TMP/zh" && [ -z "$english" ]; then pass "$name --lang zh: Chinese throughout"
  else fail "$name --lang zh: exit $rc" "$english" "$(grep -m3 -A3 'traceback\|no zh text' "$TMP/zh")"; fi

  "$LUNET" run "$s" no_such_knob=1 >"$TMP/bad" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad")" -eq 1 ] && grep -q 'knob "no_such_knob" unknown (known: ' "$TMP/bad"
  then pass "$name: an unknown knob is one line, exit 2"
  else fail "$name: unknown knob: exit $rc" "$(cat "$TMP/bad")"; fi
done

echo
if [ $scenarios -eq 0 ]; then echo "no scenario uses lunet.scenario"; exit 1; fi
echo "$scenarios scenarios, $knobs knobs"
[ $fails -eq 0 ] && echo "all passed" || { echo "$fails check(s) failed"; exit 1; }
