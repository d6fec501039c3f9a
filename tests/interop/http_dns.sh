#!/bin/bash
# http_dns.sh LUNET - Linux's resolver and curl against lunet's DNS and
# HTTP servers (issue 16; http_dns.lua): glibc resolves www.lab (a CNAME)
# and big.lab (40 addresses: a truncated UDP answer, then TCP) through the
# virtual host; curl fetches two pages by name on one connection
# (keep-alive), a chunked page, HEAD and HTTP/1.0; tshark finds nothing
# malformed in the capture of the TAP.
#
# The namespace's resolv.conf is /etc/netns/<namespace>/resolv.conf, which
# `ip netns exec` mounts over /etc/resolv.conf; this driver creates it and
# removes it with the namespace.
#
# Registered with ctest by tests/extra.cmake as interop.http_dns; skipped
# (77) without root, /dev/net/tun, ip, curl, getent or tshark.  About 3 s.
NAME=http_dns
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need curl "apt-get install curl"
need getent "libc-bin"
need tshark "apt-get install tshark"
setup_ns
# /etc/netns too, when this driver makes it (rmdir leaves it if not empty)
[ -d /etc/netns ] && made_netns= || made_netns=1
trap 'rm -rf "/etc/netns/$NS"; [ -n "$made_netns" ] && rmdir /etc/netns 2>/dev/null; cleanup' EXIT
mkdir -p "/etc/netns/$NS" || skip "cannot create /etc/netns/$NS"
printf 'nameserver 10.77.0.2\noptions timeout:1 attempts:2\n' >"/etc/netns/$NS/resolv.conf"

start_lunet http_dns.lua
wait_ready
start_bg tshark tshark -i "$TAP" -w "$TMP/tap.pcap"
TSPID=${PIDS[-1]}
wait_until 5 test -s "$TMP/tap.pcap"

check_eq "glibc: www.lab" "$(nsx getent ahostsv4 www.lab | awk 'NR == 1 { print $1, $3 }')" "10.77.0.2 server.lab"
check_eq "glibc: big.lab over TCP after TC (40 addresses)" \
  "$(nsx getent ahostsv4 big.lab | awk '$2 == "STREAM"' | wc -l)" 40
nsx getent hosts nosuch.lab >/dev/null
check_eq "glibc: nosuch.lab is not found (exit 2)" "$?" 2

nsx curl -sv http://www.lab/ http://www.lab/ >"$TMP/curl.out" 2>&1
check_eq "curl: two pages by name" "$(grep -c '^served by name$' "$TMP/curl.out")" 2
if grep -qi "re-using existing connection\|reusing existing connection\|reusing connection" "$TMP/curl.out"; then
  pass "curl reused the connection (keep-alive)"
else fail "curl reused the connection (keep-alive)" "$(show curl)"; fi
body=$(nsx curl -s --raw http://server.lab/chunks)
check_eq "curl --raw: the chunks on the wire" "$(printf '%s' "$body" | tr -d '\r' | tr '\n' '|')" "4|one,|4|two,|6|three||0|"
check_eq "curl: the chunked page decoded" "$(nsx curl -s http://server.lab/chunks)" "one,two,three"
check_eq "curl -I: HEAD" "$(nsx curl -sI http://server.lab/ | head -1 | tr -d '\r')" "HTTP/1.1 200 OK"
check_eq "curl -0: HTTP/1.0 gets Content-Length" \
  "$(nsx curl -s0 -D - -o /dev/null http://server.lab/chunks | grep -i '^content-length' | tr -d '\r')" "Content-Length: 14"
check_eq "curl: 404" "$(nsx curl -s -o /dev/null -w '%{http_code}' http://server.lab/missing)" 404

# Stop the capture before lunet ends: the TAP goes with lunet, and frames
# tshark has not read from it yet by then are lost ("the network adapter
# is no longer attached").  tshark writes what it captured a while later on
# a busy machine, so first wait (10 s at most) for the last HTTP message to
# be in the file.
http_in_pcap() { [ "$(tshark -r "$TMP/tap.pcap" -Y http 2>/dev/null | wc -l)" -ge 12 ]; }
wait_until 10 http_in_pcap
kill -INT "$TSPID" 2>/dev/null
wait_pid "$TSPID" 10
touch "$TMP/linux_done"
check_lunet 30
flagged=$(tshark -r "$TMP/tap.pcap" -Y '_ws.malformed or _ws.expert.severity >= "warning"' 2>/dev/null)
check_eq "tshark: nothing malformed, no warnings" "$flagged" ""
check_ge "tshark: DNS messages" "$(tshark -r "$TMP/tap.pcap" -Y dns 2>/dev/null | wc -l)" 8
check_ge "tshark: HTTP messages" "$(tshark -r "$TMP/tap.pcap" -Y http 2>/dev/null | wc -l)" 12
echo "figures:"
grep -E '^v_' "$TMP/lunet.out" | sed 's/^/    lunet /'
finish
