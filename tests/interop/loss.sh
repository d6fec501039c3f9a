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

transfers 40 loss=2% reorder=5% reorder_delay=1ms delay=1ms

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
