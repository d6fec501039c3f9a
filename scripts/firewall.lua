-- firewall.lua - a firewall decides whether the server shakes hands at all.
--
--   client 10.0.1.1 ---- 5 ms ---- router ---- 5 ms ---- server 10.0.2.1
--                                   (firewall)            listens on 80, 22
--
-- Three attempts to connect to the web server on port 80:
--   1. no rule: the three-way handshake goes through the router;
--   2. the router DROPs SYNs to port 80: the client hears nothing and
--      retransmits its SYN, waiting twice as long each time (1 s, 2 s, ...)
--      until it gives up ("timeout");  port 22 still works;
--   3. the router REJECTs them with a TCP reset: the client is told "no"
--      at once ("refused"), one round trip to the router.
--
-- Rules are tcpdump filters, as with iptables' "-m bpf" (router:firewall{}).
-- Run:   lunet run scripts/firewall.lua, then open the pcaps in Wireshark.

local SYN_TO_80 = "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0"
local RETRIES = 3      -- net.ipv4.tcp_syn_retries (Linux: 6, which takes 127 s)

local net = lunet.net{name = "firewall"}
local client, router, server = net:host("client"), net:router("router"), net:host("server")
net:link(client, router, {delay = "5ms", ip = {"10.0.1.1/24", "10.0.1.254/24"}})
net:link(router, server, {delay = "5ms", ip = {"10.0.2.254/24", "10.0.2.1/24"}})
client:gateway("10.0.1.254")
server:gateway("10.0.2.254")
-- Classic exponential backoff (RFC 6298 5.5) without Linux 6.x's linear
-- first retries, and few of them, so the demo gives up in 15 s.
client:sysctl("net.ipv4.tcp_syn_retries", RETRIES)
client:sysctl("net.ipv4.tcp_syn_linear_timeouts", 0)
local caps = net:capture{}
-- (kept in a table: a listening socket nobody holds is closed when the
-- garbage collector finds it, as a process's socket is when its fd goes)
local listeners = {}
for _, p in ipairs{22, 80} do listeners[p] = assert(server:listen(p)) end

-- The times the client sends SYNs, per attempt.
local syns
net:on("tx", function(ev)
  if syns and ev.node == "client" and ev.flags == "S" then syns[#syns + 1] = ev.time end
end)

local function attempt(port)
  syns = {}
  local t0 = lunet.now()
  local s, err = client:connect(server:ip(), port)
  if s then s:close() end
  return {ok = s ~= nil, err = err, took = lunet.now() - t0, syns = syns}
end

local T = lunet.fmt_time
local r = {}
client:spawn(function()
  r.open = attempt(80)
  router:firewall{filter = SYN_TO_80, action = "drop"}
  r.dropped = attempt(80)
  r.ssh = attempt(22)
  router:firewall_flush()
  router:firewall{filter = SYN_TO_80, action = "reject", with = "tcp-reset"}
  r.rejected = attempt(80)
  lunet.sleep("1s")
  net:stop()
end)
net:run()
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function outcome(a) return a.ok and "connected" or a.err end
print("A firewall on the router, client 10.0.1.1 -> server 10.0.2.1:80")
print()
print(string.format("1. no rule:                 connect() -> %s after %s", outcome(r.open),
                    T(r.open.took)))
print("     (SYN, SYN-ACK: a 20 ms round trip, plus ARP on both links the first time)")
print(string.format("2. router drops SYNs to 80: connect() -> %s after %s", outcome(r.dropped),
                    T(r.dropped.took)))
-- seconds to the millisecond: the nanoseconds between a retransmission
-- timer and the frame starting onto the link are not the point here
local function secs(ns) return string.format("%.3fs", ns / 1e9) end
local t0 = r.dropped.syns[1]
for i, t in ipairs(r.dropped.syns) do
  print(string.format("     SYN #%d at +%-7s %s", i, secs(t - t0),
                      i == 1 and "" or "(waited " .. secs(t - r.dropped.syns[i - 1]) .. ")"))
end
print(string.format("     after SYN #%d it waits %s more, then gives up", #r.dropped.syns,
                    secs(r.dropped.took - (r.dropped.syns[#r.dropped.syns] - t0))))
print(string.format("   port 22, same router:     connect() -> %s after %s",
                    outcome(r.ssh), T(r.ssh.took)))
print(string.format("3. router rejects with RST: connect() -> %s after %s (client-router-client)",
                    outcome(r.rejected), T(r.rejected.took)))
print()
print("router:firewall_rules() now:")
for _, rule in ipairs(router:firewall_rules()) do
  print(string.format("  hook=%s action=%s%s filter=\"%s\": %d packets, %d bytes", rule.hook,
                      rule.action, rule.with and " with=" .. rule.with or "", rule.filter,
                      rule.packets, rule.bytes))
end
print(string.format("router drops for reason \"firewall\": %d", router:drops().firewall))
print()
for _, c in ipairs(caps) do
  print(string.format("pcap: %s (%d frames)", c.path, c:count()))
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

local MS, S = lunet.time("1ms"), lunet.time("1s")
expect(r.open.ok, "handshake without a rule"):eq(true)
expect(#r.open.syns, "one SYN"):eq(1)
expect(r.open.took, "ARP on two links + one round trip"):within(40 * MS, 41 * MS)

expect(r.dropped.ok):eq(false)
expect(r.dropped.err):eq("timeout")
expect(#r.dropped.syns, "the SYN and its retries"):eq(RETRIES + 1)
for i = 2, #r.dropped.syns do
  local want = (1 << (i - 2)) * S            -- 1 s, 2 s, 4 s
  expect(r.dropped.syns[i] - r.dropped.syns[i - 1], "wait before SYN #" .. i):within(want - MS, want + MS)
end
expect(r.dropped.took, "1+2+4+8 s"):within(15 * S, 15 * S + 10 * MS)

expect(r.ssh.ok, "port 22 through the same router"):eq(true)

expect(r.rejected.ok):eq(false)
expect(r.rejected.err):eq("refused")
expect(#r.rejected.syns):eq(1)
expect(r.rejected.took, "client to router and back"):within(10 * MS, 11 * MS)

local rules = router:firewall_rules()
expect(#rules):eq(1)
expect(rules[1].action):eq("reject")
expect(rules[1].packets):eq(1)
expect(router:drops().firewall, "dropped SYNs + the rejected one"):eq(RETRIES + 2)
