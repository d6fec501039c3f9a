-- firewall.lua - per-node packet filter rules (h:firewall): a router that
-- drops SYNs to port 80 (connect times out) but forwards port 22; REJECT
-- with tcp-reset (connect is refused at once) and with ICMP; a host-level
-- rule and the out hook; policies; counters; the errors raised for misuse.
--
--   h1 10.0.1.1 ---- r1 ---- h2 10.0.2.1     (router_chain, n = 1, 1 ms links)

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local SYN80 = "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0"

local function lab(net)
  local l = lunet.topology(TOPO .. "router_chain.lua", net, {n = 1, link = {delay = "1ms"}})
  -- two SYN retries with the classic doubling (no linear timeouts):
  -- 1 s + 2 s + the last 4 s wait = 7 s to "timeout", each wait rounded
  -- up to Linux's timer wheel (32 ms buckets up to 2 s, 256 ms to 16 s)
  l.h1:sysctl("net.ipv4.tcp_syn_retries", 2)
  l.h1:sysctl("net.ipv4.tcp_syn_linear_timeouts", 0)
  for _, p in ipairs{22, 80} do assert(l.h2:listen(p)) end
  return l
end

local function try(l, port)
  return run_task(l.h1.net, l.h1, function()
    local t0 = lunet.now()
    local s, err = l.h1:connect(l.h2_ip, port)
    if s then s:close() end
    return s ~= nil, err, lunet.now() - t0
  end)
end

test("router drops SYNs to port 80; port 22 still connects", function(net)
  local l = lab(net)
  expect(l.r1:firewall{filter = SYN80, action = "drop"}):eq(1)
  local ok, err, took = try(l, 80)
  expect(ok, "port 80"):eq(false)
  expect(err):eq("timeout")
  expect(took, "3 SYNs, 1+2+4 s"):within(lunet.time("7s"), lunet.time("7.32s"))
  local ok22 = try(l, 22)
  expect(ok22, "port 22"):eq(true)
  local rules = l.r1:firewall_rules()
  expect(#rules):eq(1)
  expect(rules[1].hook):eq("in")
  expect(rules[1].action):eq("drop")
  expect(rules[1].filter):eq(SYN80)
  expect(rules[1].packets, "SYN and its 2 retries"):eq(3)
  expect(rules[1].bytes):eq(3 * 74)          -- 14 + 20 + 40 (Linux SYN options)
  expect(l.r1:drops().firewall):eq(3)
end)

test("REJECT with tcp-reset: refused at once", function(net)
  local l = lab(net)
  l.r1:firewall{filter = SYN80, action = "reject", with = "tcp-reset"}
  local ok, err, took = try(l, 80)
  expect(ok):eq(false)
  expect(err):eq("refused")
  expect(took, "one round trip to the router"):lt(lunet.time("10ms"))
  expect(l.r1:firewall_rules()[1].with):eq("tcp-reset")
  expect(l.r1:firewall_rules()[1].packets):eq(1)
end)

test("REJECT with ICMP port unreachable: refused, ICMP seen by the client", function(net)
  local l = lab(net)
  l.r1:firewall{filter = SYN80, action = "reject"}
  local ok, err = try(l, 80)
  expect(ok):eq(false)
  expect(err):eq("refused")
  expect(l.r1:netstat().IcmpOutDestUnreachs):eq(1)
  expect(l.h1:netstat().IcmpInDestUnreachs):eq(1)
  expect(l.r1:firewall_rules()[1].with):eq("port-unreachable")
end)

test("host-level rule, accept before drop, policy and flush", function(net)
  local l = lab(net)
  -- on the server itself: accept port 22, drop every other TCP
  expect(l.h2:firewall{filter = "tcp dst port 22", action = "accept"}):eq(1)
  expect(l.h2:firewall{filter = "tcp", action = "drop", iface = "eth0"}):eq(2)
  expect((try(l, 22))):eq(true)
  local _, err = try(l, 80)
  expect(err):eq("timeout")
  local r = l.h2:firewall_rules("in")
  expect(r[1].packets > 0):eq(true)
  expect(r[2].packets):eq(3)
  expect(r[2].iface):eq("eth0")
  l.h2:firewall_flush("in")
  expect(#l.h2:firewall_rules()):eq(0)
  expect((try(l, 80))):eq(true)

  -- policy drop on h1's out hook: nothing leaves, not even ARP
  expect(l.h1:firewall_policy("out")):eq("accept")
  expect(l.h1:firewall_policy("out", "drop")):eq("drop")
  local s = run_task(net, l.h1, function() return l.h1:ping(l.h2_ip, {count = 1, timeout = "1s", quiet = true}) end)
  expect(s.received):eq(0)
  l.h1:firewall_policy("out", "accept")
  -- out hook rule: drop our own pings
  l.h1:firewall{hook = "out", filter = "icmp[icmptype] == icmp-echo", action = "drop"}
  s = run_task(net, l.h1, function() return l.h1:ping(l.h2_ip, {count = 2, timeout = "1s", quiet = true}) end)
  expect(s.received):eq(0)
  expect(l.h1:firewall_rules("out")[1].packets):eq(2)
  l.h1:firewall_flush()
  s = run_task(net, l.h1, function() return l.h1:ping(l.h2_ip, {count = 1, timeout = "1s", quiet = true}) end)
  expect(s.received):eq(1)
end)

test("misuse raises with what is allowed", function(net)
  local h = net:host("h")
  net:link(h, net:host("g"), {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  expect(function() h:firewall{filter = "tcp port", action = "drop"} end):raises("syntax error")
  expect(function() h:firewall{action = "deny"} end):raises('action "deny" unknown %(allowed: accept, drop, reject%)')
  expect(function() h:firewall{hook = "forward", action = "drop"} end):raises("allowed: in, out")
  expect(function() h:firewall{action = "drop", port = 80} end):raises('option "port" unknown')
  expect(function() h:firewall{action = "drop", with = "tcp-reset"} end):raises('with is for action "reject"')
  expect(function() h:firewall{action = "reject", with = "bogus"} end):raises("tcp%-reset")
  expect(function() h:firewall{action = "drop", iface = "eth9"} end):raises('no interface "eth9"')
  expect(function() h:firewall{filter = "tcp"} end):raises("action missing")
  expect(function() h:firewall_policy("in", "reject") end):raises("allowed: accept, drop")
  expect(h:firewall{action = "reject", with = "icmp-admin-prohibited"}):eq(1)
  expect(h:firewall_rules()[1].with):eq("admin-prohibited")
  expect(#h:firewall_rules()):eq(1)
end)
