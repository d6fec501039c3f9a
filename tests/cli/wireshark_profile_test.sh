#!/bin/bash
# wireshark_profile_test.sh LUNET - share/wireshark/lunet, installed with
# `make wireshark-profile`, colours what a lesson points at and shows
# absolute sequence numbers (issue 10).  Checked with tshark -C lunet
# --color on a capture holding a retransmission, a RST, a bad checksum and
# a SYN with the textbook's ISN 1000.  Skipped (77) without tshark.
# Registered with ctest by tests/extra.cmake as cli.wireshark_profile.
set -u
LUNET=${1:?usage: wireshark_profile_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
command -v tshark >/dev/null || { echo "skip: tshark not installed"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_CONFIG_HOME=$TMP/config
make -s -C "$SRC" wireshark-profile >"$TMP/make.out" 2>&1 || { cat "$TMP/make.out"; exit 1; }
[ -f "$TMP/config/wireshark/profiles/lunet/colorfilters" ] || { echo "FAIL: profile not installed"; exit 1; }

cat >"$TMP/lesson.lua" <<LUA
local net = lunet.net{}
local c, s = net:host("client"), net:host("server")
net:link(c, s, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "5ms"})
c:sysctl("net.ipv4.tcp_fixed_isn", 1000)
local cap = net:capture{iface = c.eth0, file = "$TMP/lesson.pcap"}
local srv = s:listen(80)
-- the server's ACK of the data is lost once: the client retransmits,
-- and its capture holds the original and the retransmission
net:intercept{on = s, dir = "out", filter = "tcp[tcpflags] == tcp-ack", action = "drop", nth = 1}
c:spawn(function()
  local k = assert(c:connect("10.0.0.2", 80))
  k:send("hello")
  lunet.sleep("1s")
  k:close()
  c:connect("10.0.0.2", 81)                 -- closed: RST
  c:inject{ip = {dst = "10.0.0.2", checksum = 1}, icmp = {ident = 1, seq = 1}}   -- bad checksum
end)
s:spawn(function() local a = srv:accept(); a:receive(5); lunet.sleep("500ms"); a:close() end)
net:run("5s")
cap:close()
LUA
"$LUNET" run "$TMP/lesson.lua" >"$TMP/run.out" 2>&1 || { echo "FAIL: lesson script"; cat "$TMP/run.out"; exit 1; }
tshark --color -C lunet -r "$TMP/lesson.pcap" -T fields -E separator=, -e tcp.seq -e frame.coloring_rule.name \
  >"$TMP/rules" 2>/dev/null
fails=0
for want in "TCP retransmission" "TCP RST" "Bad checksum" "TCP SYN-ACK" "TCP FIN"; do
  if grep -q ",$want" "$TMP/rules"; then echo "ok   coloured: $want"
  else echo "FAIL no frame coloured \"$want\""; fails=$((fails + 1)); fi
done
if grep -q "^1000,TCP SYN" "$TMP/rules"; then echo "ok   absolute sequence numbers: the SYN's seq is 1000"
else echo "FAIL the SYN's sequence number is not shown as 1000"; fails=$((fails + 1)); fi
[ $fails -eq 0 ] || { cat "$TMP/rules"; exit 1; }
echo "all passed"
