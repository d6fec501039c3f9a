#!/bin/bash
# pcap_stream_test.sh LUNET - a capture to "-" is a pcap stream on
# standard output that a reader follows live (issue 14): tshark reads it
# whole from a pipe, the script's own output goes to stderr instead, a
# FIFO works the same way, and under --realtime each frame is flushed as
# it happens, not when the run ends.
#
# Registered with ctest by tests/extra.cmake as cli.pcap_stream (exit 77:
# skipped, without tshark).
set -u
LUNET=${1:?usage: pcap_stream_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
if ! command -v tshark >/dev/null 2>&1; then
  echo "SKIP: tshark not found (apt-get install tshark; make deps installs it)"
  exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    | $l"; done; fails=$((fails + 1)); }

# FILE: where h1's capture goes; START: when the pings start; the run
# lasts START + 4 s.
cat >"$TMP/ping.lua" <<'LUA'
local file, start = arg[1], tonumber(arg[2])
local net = lunet.net{seed = 1}
local h1, h2 = net:host("h1"), net:host("h2")
net:link(h1, h2, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
net:capture{iface = h1:iface("eth0"), file = file}
print("printed by the script")
h1:spawn(function()
  lunet.sleep(start)
  h1:ping("10.0.0.2", {count = 4, interval = "0.5s", quiet = true})
end)
net:run((start + 4) .. "s")
LUA

# 1. stdout, read whole by tshark from the pipe
"$LUNET" run "$TMP/ping.lua" - 0 2>"$TMP/err" | tshark -r - -T fields -e icmp.type >"$TMP/types" 2>"$TMP/tshark.err"
got=$(grep -c . "$TMP/types")
if [ "$(grep . "$TMP/types" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" = "0x4 8x4 " ]; then
  pass "stdout: tshark reads 4 echo requests and 4 replies from the pipe"
else
  fail "stdout: expected 4 requests and 4 replies, got $got ICMP lines" "$(cat "$TMP/types" "$TMP/tshark.err" | head)"
fi
if grep -q "printed by the script" "$TMP/err"; then
  pass "stdout: the script's print went to stderr, not into the stream"
else
  fail "stdout: the script's print is not on stderr" "$(head -3 "$TMP/err")"
fi

# 2. a FIFO
mkfifo "$TMP/fifo"
tshark -r "$TMP/fifo" -T fields -e icmp.type >"$TMP/ftypes" 2>/dev/null &
reader=$!
"$LUNET" run "$TMP/ping.lua" "$TMP/fifo" 0 >/dev/null 2>"$TMP/ferr"
wait $reader
if [ "$(grep -c . "$TMP/ftypes")" = 8 ]; then pass "FIFO: tshark reads all 8 frames"
else fail "FIFO: expected 8 ICMP frames" "$(cat "$TMP/ftypes" "$TMP/ferr" | head)"; fi

# 3. live: under --realtime the first frame (at 0.5 s of a 4.5 s run) is
# readable long before the run ends.  24 bytes of file header, 16 of
# record header and a 98-byte echo request: 138 bytes within 3 s.
t0=$(date +%s.%N)
"$LUNET" run --realtime "$TMP/ping.lua" - 0.5 2>/dev/null | { timeout 3 head -c 138 >"$TMP/first"; cat >/dev/null; }
size=$(stat -c %s "$TMP/first")
if [ "$size" = 138 ]; then pass "live: the first frame arrived while the run went on"
else fail "live: only $size of 138 bytes within 3 s of a 4.5 s run (not flushed per frame?)"; fi

[ $fails = 0 ] && echo "pcap_stream: all passed" || echo "pcap_stream: $fails failed"
[ $fails = 0 ]
