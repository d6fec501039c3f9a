#!/bin/bash
# pcap.sh LUNET - a bridge through libpcap (issue 14): lunet attaches to
# one end of a veth pair it did not create (net:bridge{device = "lv1"}),
# Linux holds the other (10.78.0.1).  Linux pings the virtual host and
# fetches a page from it with curl; the virtual host pings Linux; the
# bridge reads only what Linux sent.
#
# A veth hands its peer frames with the checksum left to the hardware and
# TCP segments of up to 64 KB (checksum offload, TSO): a real NIC would
# finish them, libpcap sees them as they are.  So lv0's offloads go off
# (ethtool -K), as docs/bridge.md tells users to do.
#
# Registered with ctest by tests/extra.cmake as interop.pcap; skipped (77)
# without root, ip, ping, curl or ethtool.  About 3 s.
NAME=pcap
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need ping "apt-get install iputils-ping"
need curl "apt-get install curl"
need ethtool "apt-get install ethtool"
setup_ns

if ! err=$(nsx ip link add lv0 type veth peer name lv1 2>&1); then
  skip "cannot create a veth pair in the namespace (ip link add: $err)"
fi
nsx ip addr add 10.78.0.1/24 dev lv0
nsx ip link set lv0 up
nsx ip link set lv1 up
nsx ethtool -K lv0 tx off tso off gso off >/dev/null 2>&1 ||
  fail "ethtool -K lv0 tx off tso off gso off"

start_lunet pcap.lua dev=lv1
wait_ready
go

nsx ping -n -c 5 -i 0.2 -W 2 10.78.0.2 >"$TMP/ping.out" 2>&1
line=$(grep "packets transmitted" "$TMP/ping.out")
if [ "$(echo "$line" | awk '{ print $4 }')" = 5 ]; then pass "Linux pings the virtual host: $line"
else fail "Linux pings the virtual host" "$(show ping)"; fi

body=$(nsx curl -s -m 5 http://10.78.0.2/ 2>"$TMP/curl.err")
check_eq "curl fetches the virtual host's page" "$body" "served through libpcap"

touch "$TMP/linux_done"
check_lunet 30
echo "figures:"
grep -E '^(v_|b_)' "$TMP/lunet.out" | sed 's/^/    lunet /'
finish
