#!/bin/bash
# trace_test.sh LUNET - the debug trace (core/trace.h) as a user turns it
# on: `lunet run --trace LIST`, $LUNET_TRACE, lunet.net{trace=} and
# net:trace(); one line per decision on stderr, with the virtual time, the
# node and the subsystem; the same lines in every run; nothing when off;
# a bad subsystem name is a usage error that lists the known ones.
# Registered with ctest by tests/extra.cmake as cli.trace.
set -u
LUNET=${1:?usage: trace_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; printf '     | %s\n' "$@"; fails=$((fails + 1)); }
has() { grep -Eq -- "$2" "$TMP/$1"; }

# h1 -- r1 (mtu 600 towards h2) -- h2; h1 pings h2 with a big DF datagram
# (frag needed), then a TTL-1 datagram (time exceeded), on a switch LAN.
cat >lab.lua <<'LUA'
local net = lunet.net{name = "lab"}
local h1, r1, h2 = net:host("h1"), net:router("r1"), net:host("h2")
local sw = net:switch("sw")
net:link(h1, sw, {ip = {"10.0.1.1/24"}})
net:link(sw, r1, {ip = {nil, "10.0.1.254/24"}})
net:link(r1, h2, {ip = {"10.0.2.254/24", "10.0.2.1/24"}, mtu = 600})
h1:route("default", "10.0.1.254")
h2:route("default", "10.0.2.254")
h1:spawn(function()
  h1:ping("10.0.2.1", {count = 1, size = 1000, df = true, timeout = "200ms"})
  h1:ping("10.0.2.1", {count = 1, ttl = 1, timeout = "200ms"})
  local u = h1:udp()
  u:sendto("x", "10.0.2.1", 9)
  lunet.sleep("100ms")
end)
net:run("2s")
LUA

"$LUNET" run --color=never --trace arp,ip,switch lab.lua >out1 2>err1; rc=$?
if [ $rc -eq 0 ] &&
   has err1 '^trace 0\.000000000 h1 arp: eth0: who-has 10\.0\.1\.254 tell 10\.0\.1\.1 \(broadcast, try 1, 1 queued\)$' &&
   has err1 '^trace [0-9]+\.[0-9]{9} sw switch: learned 02:00:00:00:00:01 on port 0$' &&
   has err1 '^trace [0-9.]+ r1 ip: forward 10\.0\.1\.1 > 10\.0\.2\.1: eth0 -> eth1, next hop 10\.0\.2\.1, ttl 64, too big with DF$' &&
   has err1 '^trace [0-9.]+ r1 ip: forward 10\.0\.1\.1 > 10\.0\.2\.1: ttl 1, time exceeded$' &&
   ! has err1 ' (icmp|udp|link):'
then pass "--trace arp,ip,switch: the lines of those subsystems, and only those"
else fail "--trace arp,ip,switch (exit $rc)" "$(head -30 err1)"; fi
if ! grep -v '^trace ' err1 | grep -q . && ! grep -q '^trace' out1
then pass "trace lines go to stderr, nothing else there"
else fail "stderr/stdout" "$(grep -v '^trace ' err1 | head -5)"; fi

"$LUNET" run --color=never --trace=arp,ip,switch lab.lua >/dev/null 2>err2
if cmp -s err1 err2; then pass "--trace=LIST, and the same lines in a second run"
else fail "second run differs" "$(diff err1 err2 | head -10)"; fi

LUNET_TRACE=icmp,udp "$LUNET" run --color=never lab.lua >/dev/null 2>err3
if has err3 'h2 udp: 10\.0\.1\.1\.[0-9]+ > 10\.0\.2\.1\.9: no socket, port unreachable' && ! has err3 ' arp:'
then pass "LUNET_TRACE=icmp,udp"
else fail "LUNET_TRACE" "$(head -10 err3)"; fi

cat >tcp.lua <<'LUA'
local net = lunet.net{}
local a, b = net:host("a"), net:host("b")
net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "5ms"})
local l = b:listen(80)
b:spawn(function() local c = l:accept(); c:receive("*a"); c:close() end)
a:spawn(function()
  local s = assert(a:connect("10.0.0.2", 80))
  s:send("hello")
  s:close()
end)
net:run("2s")
LUA
LUNET_TRACE=tcp "$LUNET" run --color=never tcp.lua >/dev/null 2>errt
if has errt '^trace 0\.000000000 a tcp: 10\.0\.0\.1:[0-9]+>10\.0\.0\.2:80 CLOSED -> SYN_SENT$' &&
   has errt ' a tcp: 10\.0\.0\.1:[0-9]+>10\.0\.0\.2:80 SYN_SENT -> ESTABLISHED$' &&
   has errt ' b tcp: 10\.0\.0\.2:80>10\.0\.0\.1:[0-9]+ LAST_ACK -> CLOSED$' &&
   has errt ' a tcp: .* FIN_WAIT_2 -> TIME_WAIT$'
then pass "tcp: the states each connection goes through, with its endpoints"
else fail "tcp trace" "$(head -20 errt)"; fi

"$LUNET" run --color=never lab.lua >/dev/null 2>err4
if [ ! -s err4 ]; then pass "off by default: stderr empty"
else fail "trace off" "$(head -5 err4)"; fi

"$LUNET" run --trace arpp lab.lua >/dev/null 2>err5; rc=$?
if [ $rc -eq 2 ] && has err5 '^lunet: --trace: trace subsystem "arpp" unknown \(known: link, switch, arp, ip, icmp, igmp, udp, tcp, all\)'
then pass "an unknown subsystem: usage error, exit 2, the known ones listed"
else fail "--trace arpp (exit $rc)" "$(cat err5)"; fi

cat >api.lua <<'LUA'
local net = lunet.net{trace = "arp"}
expect(net:trace()):eq("arp")
expect(net:trace("ip,switch")):eq("switch,ip")
expect(net:trace("all")):eq("link,switch,arp,ip,icmp,igmp,udp,tcp")
expect(net:trace("")):eq("")
expect(function() net:trace("tpc") end):raises('trace subsystem "tpc" unknown')
expect(function() lunet.net{trace = "nope"} end):raises('lunet.net: trace: trace subsystem "nope" unknown')
print("api ok")
LUA
"$LUNET" run --color=never api.lua >out6 2>&1; rc=$?
if [ $rc -eq 0 ] && has out6 '^api ok$'; then pass "lunet.net{trace=} and net:trace()"
else fail "net:trace API (exit $rc)" "$(cat out6)"; fi

echo
if [ $fails -eq 0 ]; then echo "all passed"; exit 0; fi
echo "$fails failed"
exit 1
