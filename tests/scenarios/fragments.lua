-- fragments.lua - IPv4 fragmentation and reassembly: at the source, in
-- transit at a router with a smaller MTU, and "fragmentation needed" when
-- DF forbids it.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function txtime(bw, bytes)
  local bps = lunet.rate(bw)
  return (bytes * 8 * 1000000000 + bps - 1) // bps
end

local function ping(net, h, dst, opts)
  opts.quiet = true
  return run_task(net, h, function() return h:ping(dst, opts) end)
end

local function delta(a, b, k) return (a[k] or 0) - (b[k] or 0) end

test("4000-byte pings over MTU 1500: 3 fragments each way, reassembled", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "1ms"})
  local r = ping(net, lab.h1, lab.h2_ip, {count = 2, size = 4000})
  expect(r.received):eq(2)
  expect(r.replies[1].len, "reply ICMP data bytes"):eq(4000)
  local n1, n2 = lab.h1:netstat(), lab.h2:netstat()
  -- 4008 bytes of ICMP in 1480-byte pieces: 1480 + 1480 + 1048
  expect(n1.IpFragOKs, "h1 IpFragOKs"):eq(2)
  expect(n1.IpFragCreates, "h1 IpFragCreates"):eq(6)
  expect(n2.IpReasmReqds, "h2 IpReasmReqds"):eq(6)
  expect(n2.IpReasmOKs, "h2 IpReasmOKs"):eq(2)
  expect(n2.IpFragCreates, "h2 IpFragCreates (replies)"):eq(6)
  expect(n1.IpReasmOKs, "h1 IpReasmOKs"):eq(2)
  expect(n2.IpReasmFails):eq(0)
  -- the datagram is complete when its last fragment has arrived
  local one_way = 2 * txtime("10Mbps", 14 + 20 + 1480) + txtime("10Mbps", 14 + 20 + 1048) + lunet.time("1ms")
  for _, rep in ipairs(r.replies) do
    if rep.seq == 2 then expect(rep.rtt, "rtt of ping 2"):eq(2 * one_way) end
  end
end)

test("DF and too big for the first hop: local 'frag needed'", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local r = ping(net, lab.h1, lab.h2_ip, {count = 1, size = 4000, df = true})
  expect(r.received):eq(0)
  expect(#r.errors):eq(1)
  expect(r.errors[1].kind):eq("frag needed")
  expect(r.errors[1].mtu):eq(1500)
  expect(r.errors[1]["local"]):truthy()
  expect(lab.h1:netstat().IpFragCreates):eq(0)
  expect(lab.h2:netstat().IpInReceives, "nothing reached h2"):eq(0)
end)

test("a router fragments onto a link with a smaller MTU", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 1, link = {delay = "1ms"}, links = {[2] = {mtu = 1000}}})
  expect(lab.r1.eth1:mtu()):eq(1000)
  expect(lab.h2.eth0:mtu()):eq(1000)
  local r = ping(net, lab.h1, lab.h2_ip, {count = 2, size = 1400})
  expect(r.received):eq(2)
  local nr, n1, n2 = lab.r1:netstat(), lab.h1:netstat(), lab.h2:netstat()
  -- 1408 bytes of ICMP: 976 + 432 behind a 1000-byte MTU
  expect(n1.IpFragCreates, "h1 does not fragment"):eq(0)
  expect(nr.IpFragOKs, "r1 IpFragOKs"):eq(2)
  expect(nr.IpFragCreates, "r1 IpFragCreates"):eq(4)
  expect(n2.IpReasmOKs, "h2 IpReasmOKs"):eq(2)
  -- h2's own interface has MTU 1000: it fragments its replies itself
  expect(n2.IpFragCreates, "h2 IpFragCreates"):eq(4)
  expect(n1.IpReasmOKs, "h1 IpReasmOKs"):eq(2)
  expect(lab.links[2]:stats().ab.dropped_mtu):eq(0)
end)

test("DF through a router with a smaller MTU: frag needed from the router", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 1, link = {delay = "1ms"}, links = {[2] = {mtu = 1000}}})
  local r = ping(net, lab.h1, lab.h2_ip, {count = 1, size = 1400, df = true})
  expect(r.received):eq(0)
  expect(#r.errors):eq(1)
  local e = r.errors[1]
  expect(e.kind):eq("frag needed")
  expect(e.from):eq(lab.hops[1])
  expect(e.mtu):eq(1000)
  expect(e["local"]):falsy()
  local nr = lab.r1:netstat()
  expect(nr.IcmpOutDestUnreachs, "r1 IcmpOutDestUnreachs"):eq(1)
  expect(nr.IpFragFails, "r1 IpFragFails"):eq(1)
  expect(lab.r1:drops()["fragmentation needed"]):eq(1)
  expect(lab.h2:netstat().IpInReceives, "nothing reached h2"):eq(0)
  -- a size that fits goes through with DF
  local r2 = ping(net, lab.h1, lab.h2_ip, {count = 1, size = 1000 - 28, df = true})
  expect(r2.received):eq(1)
end)
