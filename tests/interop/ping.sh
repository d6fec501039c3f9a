#!/bin/bash
# ping.sh LUNET - ping and ARP across the bridge (issue 14, scenario 5):
# Linux pings the virtual host (56 bytes, 3000 bytes in fragments, 1472
# bytes with DF: a full 1500-byte frame) while the virtual host pings
# Linux (ping.lua); every echo is answered.  Linux's neighbour table holds
# the virtual host's MAC, the virtual host's ARP table the TAP's.
#
# Registered with ctest by tests/extra.cmake as interop.ping; skipped (77)
# without root, /dev/net/tun, ip or ping (apt-get install iputils-ping).
# About 3 s.
NAME=ping
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need ping "apt-get install iputils-ping"
need nstat "apt-get install iproute2"
setup_ns

start_lunet ping.lua
wait_ready
nsx cat /sys/class/net/$TAP/address >"$TMP/tap_mac"
go

# ping_check NAME OUT: all of its echoes answered
ping_check() {
  local line
  line=$(grep "packets transmitted" "$TMP/$2.out")
  local tx rx
  tx=$(echo "$line" | awk '{ print $1 }')
  rx=$(echo "$line" | awk '{ print $4 }')
  if [ -n "$tx" ] && [ "$tx" = "$rx" ] && [ "$tx" -gt 0 ]; then
    pass "$1: $line"
  else
    fail "$1" "$(show $2)"
  fi
}
nsx ping -n -c 5 -i 0.2 -W 2 10.77.0.2 >"$TMP/ping.out" 2>&1
ping_check "Linux pings the virtual host" ping
nsx ping -n -c 3 -i 0.2 -W 2 -s 3000 10.77.0.2 >"$TMP/ping_frag.out" 2>&1
ping_check "Linux pings with 3000 bytes (fragments both ways)" ping_frag
nsx ping -n -c 3 -i 0.2 -W 2 -s 1472 -M do 10.77.0.2 >"$TMP/ping_df.out" 2>&1
ping_check "Linux pings with 1472 bytes, DF (1500-byte packets)" ping_df

# Linux's neighbour entry for the virtual host, while it is there.
neigh=$(nsx ip neigh show 10.77.0.2 dev $TAP)
nsx nstat -az >"$TMP/nstat.out" 2>&1
touch "$TMP/linux_done"
check_lunet 30

vmac=$(grep -o '\bv_mac=[^ ]*' "$TMP/lunet.out" | cut -d= -f2)
check_eq "Linux's neighbour entry for 10.77.0.2: the virtual MAC" "$(echo "$neigh" | awk '{ print $3 }')" "$vmac"
case "$vmac" in 02:00:00:*) pass "the virtual MAC is lunet's ($vmac)" ;;
                *) fail "the virtual MAC ($vmac) is not lunet's 02:00:00:..." ;; esac
case "$neigh" in *REACHABLE*|*STALE*|*DELAY*|*PROBE*) pass "its state: $neigh" ;;
                 *) fail "Linux's neighbour entry for 10.77.0.2" "$neigh" ;; esac
n() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/nstat.out"; }
check_eq "Linux answered the virtual host's echoes (IcmpOutEchoReps)" "$(n IcmpOutEchoReps)" 8
check_eq "Linux reassembled (IpReasmOKs: 3 requests, 3 replies)" "$(n IpReasmOKs)" 6

echo "figures:"
for f in ping ping_frag ping_df; do echo "    Linux $f: $(grep '^rtt' "$TMP/$f.out")"; done
grep -E '^v_' "$TMP/lunet.out" | sed 's/^/    lunet /'
echo "    TAP MAC $(cat "$TMP/tap_mac"), Linux's entry: $neigh"
finish
