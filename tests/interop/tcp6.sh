#!/bin/bash
# tcp6.sh LUNET - TCP over IPv6 between lunet and the Linux kernel (issue
# 16; tcp6.lua): curl -6 fetches a page from lunet's HTTP server on [::],
# and a Linux server on [2001:db8:77::1]:9000 receives 200000 bytes from
# lunet's bulk_send and checks them; both directions over the TAP, with
# neighbour discovery between the two stacks.
#
# Registered with ctest by tests/extra.cmake as interop.tcp6; skipped (77)
# without root, /dev/net/tun, ip, curl or python3.  About 5 s.
NAME=tcp6
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need curl "apt-get install curl"
need python3 "apt-get install python3"
setup_ns
# setup_ns turns IPv6 off in the namespace: this test needs it on lt0.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 2>/dev/null

start_lunet tcp6.lua
wait_ready
nsx sysctl -qw net.ipv6.conf.lt0.disable_ipv6=0 2>/dev/null
nsx ip -6 addr add 2001:db8:77::1/64 dev lt0 nodad || { fail "ip -6 addr add" "$(nsx ip -6 addr 2>&1)"; finish; }

# A Linux server that takes one connection, reads to EOF, compares the
# bytes with lunet's pattern (byte i is i % 256) and closes.
cat >"$TMP/srv.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("2001:db8:77::1", 9000))
s.listen(1)
s.settimeout(30)
c, peer = s.accept()
data = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    data += d
want = bytes(i % 256 for i in range(len(data)))
print("peer=%s len=%d same=%d" % (peer[0], len(data), data == want))
c.close()
PY
start_bg srv python3 "$TMP/srv.py"
SRVPID=${PIDS[-1]}
wait_until 5 nsx sh -c "ss -ltn | grep -q 9000"

body=$(nsx curl -6 -s --max-time 10 "http://[2001:db8:77::2]/")
check_eq "curl -6: the page from lunet over IPv6" "$body" "hello over IPv6"

go
wait_pid "$SRVPID" 30
check_eq "Linux server: bytes from lunet over IPv6, in order" "$(grep -o 'len=[0-9]* same=[01]' "$TMP/srv.out")" "len=200000 same=1"
check_eq "Linux server: the peer's IPv6 address" "$(grep -o 'peer=[^ ]*' "$TMP/srv.out")" "peer=2001:db8:77::2"

wait_pid "$LPID" 20
check_eq "lunet: exit status" "$rc" 0
check_eq "lunet: bytes sent" "$(value v_sent "$TMP/lunet.out")" 200000
check_eq "lunet: HTTP requests served" "$(value v_http_requests "$TMP/lunet.out")" 1
check_eq "lunet: MSS over Ethernet, IPv6 (1500 - 60 - 12)" "$(value v_mss "$TMP/lunet.out")" 1428
finish
