#!/bin/bash
# synflood.sh LUNET - the same SYN flood at a Linux listener and at a
# virtual one (issue 14, scenario 6; synflood.lua): 1000 spoofed SYNs a
# second for 2 s at each, backlog 16, first with SYN cookies on (both
# stacks' default), then off.  Linux's counters come from nstat in the
# namespace, before and after each phase; the virtual listener's from
# h:netstat() (synflood.lua asserts them against the SYNs it received).
# The same kinds of counters must move on both sides, by the same
# amounts: cookies sent for every SYN beyond a full queue with cookies
# on, drops without; and a legitimate client gets in during the flood
# both ways (Linux to the virtual listener, a virtual client to Linux's).
#
# Registered with ctest by tests/extra.cmake as interop.synflood; skipped
# (77) without root, /dev/net/tun, ip, nstat or python3.  About 8 s.
NAME=synflood
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need_peer
need nstat "apt-get install iproute2"
setup_ns

# 1000 a second at each listener, 2000 frames a second through the bridge
# (the SYNs to Linux, its SYN-ACKs): what a sanitizer build of lunet (make
# sanitize) keeps up with in real time.
RATE=1000 SECONDS_=2
start_bg listen80 "${PEER[@]}" listen 80 16
start_bg listen81 "${PEER[@]}" listen 81 16
wait_until 10 grep -q listening "$TMP/listen80.out" || { fail "Linux listener 80" "$(show listen80)"; finish; }
wait_until 10 grep -q listening "$TMP/listen81.out" || { fail "Linux listener 81" "$(show listen81)"; finish; }

start_lunet synflood.lua rate=$RATE seconds=$SECONDS_
wait_ready
# Linux's SYN-ACKs to the spoofed sources go to the attacker, which drops
# them (as the virtual listener's do).
nsx ip route add 10.99.0.0/16 via 10.77.0.2 dev $TAP
nsx nstat -az >"$TMP/nstat0.out"
# Phase 1: halfway through the flood (when synflood.lua says so), Linux
# connects to the virtual listener.
start_bg legit "${PEER[@]}" connect 10.77.0.3 80 --when "$TMP/legit_now"
LEGIT=${PIDS[-1]}
go
wait_until 30 grep -q "^phase=1 done=1" "$TMP/lunet.out" || { fail "phase 1 ended" "$(show lunet)"; finish; }
wait_pid "$LEGIT" 10
lrc=$rc
nsx nstat -az >"$TMP/nstat1.out"
nsx sysctl -qw net.ipv4.tcp_syncookies=0
touch "$TMP/go2"
wait_until 30 grep -q "^phase=2 done=1" "$TMP/lunet.out" || { fail "phase 2 ended" "$(show lunet)"; finish; }
nsx nstat -az >"$TMP/nstat2.out"
# Frames Linux queued for lunet that the TAP dropped because lunet did not
# read them in time (its queue holds 1000): a lunet that fell behind the
# wall clock, which would explain any counter below that is off by a few.
tap_dropped=$(nsx cat /sys/class/net/$TAP/statistics/tx_dropped)
touch "$TMP/go3"
check_lunet 20
check_eq "frames the TAP dropped on their way to lunet (lunet kept up)" "$tap_dropped" 0

[ $lrc = 0 ] && pass "Linux connects to the virtual listener during the flood ($(grep -o 'ms=[0-9.]*' "$TMP/legit.out"))" ||
  fail "Linux connects to the virtual listener during the flood" "$(show legit)"

# d PHASE COUNTER: Linux's counter moved by that much during the phase
d() {
  local a b
  a=$(awk -v k="$2" '$1 == k { print $2 }' "$TMP/nstat$(($1 - 1)).out"); a=${a:-0}
  b=$(awk -v k="$2" '$1 == k { print $2 }' "$TMP/nstat$1.out"); b=${b:-0}
  echo $((b - a))
}
# v PHASE COUNTER: the virtual listener's, from synflood.lua's line
v() { grep "^phase=$1 v_syn_rx" "$TMP/lunet.out" | grep -o "\bv_$2=[0-9]*" | cut -d= -f2; }
sent=$(grep "^phase=1 v_syn_rx" "$TMP/lunet.out" | grep -o '\bsent_linux=[0-9]*' | cut -d= -f2)

# Phase 1: cookies.  Linux got the flood's SYNs and the virtual client's,
# the virtual listener the flood's and Linux's client's.
check_eq "phase 1: SYNs the virtual listener received" "$(v 1 syn_rx)" $((sent + 1))
syns=$((sent + 1))
check_ge "phase 1 (cookies on): Linux sent SYN cookies" "$(d 1 TcpExtSyncookiesSent)" 1
check_eq "phase 1: Linux: every SYN beyond a full queue got a cookie (queue of backlog + 1 = 17)" \
  "$(( syns - $(d 1 TcpExtSyncookiesSent) ))" 17
check_eq "phase 1: Linux: TCPReqQFullDoCookies = SyncookiesSent" "$(d 1 TcpExtTCPReqQFullDoCookies)" "$(d 1 TcpExtSyncookiesSent)"
check_eq "phase 1: Linux: nothing dropped (TCPReqQFullDrop)" "$(d 1 TcpExtTCPReqQFullDrop)" 0
check_eq "phase 1: the virtual client's cookie came back (Linux's SyncookiesRecv)" "$(d 1 TcpExtSyncookiesRecv)" 1
for k in TcpExtSyncookiesSent TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtListenDrops TcpExtSyncookiesRecv; do
  check_eq "phase 1: $k, the virtual listener = Linux" "$(v 1 $k)" "$(d 1 $k)"
done

# Phase 2: no cookies, drops.
check_eq "phase 2 (cookies off): Linux sent no cookies" "$(d 2 TcpExtSyncookiesSent)" 0
check_eq "phase 2: Linux dropped every SYN beyond a full queue (TCPReqQFullDrop)" \
  "$(d 2 TcpExtTCPReqQFullDrop)" $((sent - 17))
check_eq "phase 2: Linux's ListenDrops count the same drops" "$(d 2 TcpExtListenDrops)" "$(d 2 TcpExtTCPReqQFullDrop)"
for k in TcpExtSyncookiesSent TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtListenDrops TcpExtListenOverflows; do
  check_eq "phase 2: $k, the virtual listener = Linux" "$(v 2 $k)" "$(d 2 $k)"
done

echo "figures (per phase: SYNs in; the counters that moved, virtual listener / Linux):"
for p in 1 2; do
  echo "    phase $p: SYNs to each: $sent (+ one legitimate in phase 1); virtual listener received $(v $p syn_rx)"
  for k in TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop \
           TcpExtListenDrops TcpExtListenOverflows; do
    printf "      %-28s %6s / %s\n" "$k" "$(v $p $k)" "$(d $p $k)"
  done
done
grep -o 'legit_connect_ms=[0-9.]*' "$TMP/lunet.out" | sed 's/^/    virtual client to Linux during the flood: /'
finish
