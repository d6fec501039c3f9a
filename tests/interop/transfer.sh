#!/bin/bash
# transfer.sh LUNET - 10 MB each way between Linux and a virtual host,
# through a TAP bridge (issue 14, scenario 1): a Linux client (python3) to
# a virtual server, then a virtual client to a Linux server, both full
# duplex; every file arrives intact (sha256 on both sides).
#
# Registered with ctest by tests/extra.cmake as interop.transfer; skipped
# (77) without root, /dev/net/tun, ip or python3.  About 4 s.
NAME=transfer
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need_peer
setup_ns

SIZE=$((10 * 1024 * 1024))
head -c $SIZE /dev/urandom >"$TMP/linux.bin"       # what Linux sends
head -c $SIZE /dev/urandom >"$TMP/virt.bin"        # what the virtual host sends

# The Linux server of part 2 listens before the virtual client connects.
start_bg server "${PEER[@]}" server 5002 --send "$TMP/linux.bin" --recv "$TMP/l_recv_b.bin"
SPID=${PIDS[-1]}
wait_until 10 grep -q listening "$TMP/server.out" || { fail "Linux server started" "$(show server)"; finish; }

start_lunet transfer.lua size=$SIZE
wait_ready

# Part 1: the Linux client.
nsx "${PEER[@]}" client 10.77.0.2 5001 --send "$TMP/linux.bin" --recv "$TMP/l_recv_a.bin" \
  >"$TMP/client.out" 2>&1
crc=$?
[ $crc = 0 ] && pass "Linux client to the virtual server" || fail "Linux client (exit $crc)" "$(show client)"
wait_pid "$SPID" 30
[ $rc = 0 ] && pass "Linux server for the virtual client" || fail "Linux server (exit $rc)" "$(show server)"
check_lunet 30

want_l=$(sha "$TMP/linux.bin")
want_v=$(sha "$TMP/virt.bin")
check_eq "Linux -> virtual server: sha256" "$(sha "$TMP/v_recv_a.bin")" "$want_l"
check_eq "virtual server -> Linux: sha256" "$(sha "$TMP/l_recv_a.bin")" "$want_v"
check_eq "Linux server -> virtual client: sha256" "$(sha "$TMP/v_recv_b.bin")" "$want_l"
check_eq "virtual client -> Linux server: sha256" "$(sha "$TMP/l_recv_b.bin")" "$want_v"

echo "figures:"
grep -E '^(a_|b_|v_|link_|bridge_)' "$TMP/lunet.out" | sed 's/^/    /'
finish
