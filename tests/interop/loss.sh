#!/bin/bash
# loss.sh LUNET - transfer.sh's transfers over an impaired bridge link
# (issue 14, scenario 3): the link between the virtual host and the TAP
# loses 2% of the frames and reorders 5% each way, with 1 ms of delay, so
# real Linux traffic is lost and reordered too.  Every file still arrives
# intact (sha256), and both stacks show that they recovered: lunet's
# h:netstat() (transfer.lua asserts retransmissions there) and Linux's
# nstat in the namespace (TcpRetransSegs, SACK recoveries, ...).
#
# Registered with ctest by tests/extra.cmake as interop.loss; skipped (77)
# without root, /dev/net/tun, ip, nstat or python3.  About 10 s.
NAME=loss
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need_peer
need nstat "apt-get install iproute2"
setup_ns

SIZE=$((10 * 1024 * 1024))
head -c $SIZE /dev/urandom >"$TMP/linux.bin"
head -c $SIZE /dev/urandom >"$TMP/virt.bin"

start_bg server "${PEER[@]}" server 5002 --send "$TMP/linux.bin" --recv "$TMP/l_recv_b.bin"
SPID=${PIDS[-1]}
wait_until 10 grep -q listening "$TMP/server.out" || { fail "Linux server started" "$(show server)"; finish; }

start_lunet transfer.lua size=$SIZE loss=2% reorder=5% reorder_delay=1ms delay=1ms
wait_ready

nsx "${PEER[@]}" client 10.77.0.2 5001 --send "$TMP/linux.bin" --recv "$TMP/l_recv_a.bin" \
  >"$TMP/client.out" 2>&1
crc=$?
[ $crc = 0 ] && pass "Linux client to the virtual server" || fail "Linux client (exit $crc)" "$(show client)"
wait_pid "$SPID" 40
[ $rc = 0 ] && pass "Linux server for the virtual client" || fail "Linux server (exit $rc)" "$(show server)"
check_lunet 40

want_l=$(sha "$TMP/linux.bin")
want_v=$(sha "$TMP/virt.bin")
check_eq "Linux -> virtual server: sha256" "$(sha "$TMP/v_recv_a.bin")" "$want_l"
check_eq "virtual server -> Linux: sha256" "$(sha "$TMP/l_recv_a.bin")" "$want_v"
check_eq "Linux server -> virtual client: sha256" "$(sha "$TMP/v_recv_b.bin")" "$want_l"
check_eq "virtual client -> Linux server: sha256" "$(sha "$TMP/l_recv_b.bin")" "$want_v"

# Linux's side of the recovery: the namespace's own counters (they start
# at zero with the namespace, so absolute values are this test's).
nsx nstat -az >"$TMP/nstat.out" 2>&1
n() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/nstat.out"; }
check_ge "Linux retransmitted (TcpRetransSegs)" "$(n TcpRetransSegs)" 1
check_ge "Linux recovered with SACK (TcpExtTCPSackRecovery)" "$(n TcpExtTCPSackRecovery)" 1
check_ge "Linux queued out-of-order segments (TcpExtTCPOFOQueue)" "$(n TcpExtTCPOFOQueue)" 1
check_ge "lunet lost frames on the link" "$(( $(value link_lost_to_linux "$TMP/lunet.out") + $(value link_lost_to_virtual "$TMP/lunet.out") ))" 1
check_ge "lunet reordered frames on the link" "$(value link_reordered "$TMP/lunet.out")" 1
check_ge "lunet retransmitted (TcpRetransSegs)" "$(value v_TcpRetransSegs "$TMP/lunet.out")" 1
check_ge "lunet recovered with SACK (TcpExtTCPSackRecovery)" "$(value v_TcpExtTCPSackRecovery "$TMP/lunet.out")" 1

echo "figures (lunet):"
grep -E '^(a_|b_|v_|link_|bridge_)' "$TMP/lunet.out" | sed 's/^/    /'
echo "figures (Linux, nstat in the namespace):"
grep -E '^(TcpRetransSegs|TcpExtTCPSackRecovery|TcpExtTCPFastRetrans|TcpExtTCPTimeouts|TcpExtTCPLossProbes|TcpExtTCPSACKReorder|TcpExtTCPOFOQueue|TcpExtTCPDSACKRecv|TcpExtTCPDSACKOldSent|TcpExtTCPSpuriousRTOs|TcpExtTCPLostRetransmit) ' \
  "$TMP/nstat.out" | awk '{ printf "    %s=%s\n", $1, $2 }'
finish
