-- rtt_exact.lua - on a quiet path a ping's RTT is exactly the sum of the
-- serialization and propagation delays, both ways, on every hop.
--
-- Serialization counts the frame as captured (Ethernet header, no FCS), and
-- is rounded up to the nanosecond per frame, as link.h says.  Routers and
-- hosts add no processing time.  The first ping also pays for ARP on every
-- hop of the forward path (each next hop learns the sender from the request
-- addressed to it, so the way back needs no ARP).

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function txtime(bw, bytes)
  local bps = lunet.rate(bw)
  if bps == 0 then return 0 end
  return (bytes * 8 * 1000000000 + bps - 1) // bps
end

local ARP = 60          -- 42-byte ARP frame padded to the Ethernet minimum

local function by_seq(r)
  local t = {}
  for _, rep in ipairs(r.replies) do t[rep.seq] = rep.rtt end
  return t
end

test("one link: rtt = 2 x (txtime(98 B) + delay)", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "5ms"})
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 3, quiet = true})
  end)
  local one_way = txtime("10Mbps", 98) + lunet.time("5ms")
  expect(one_way):eq(5078400)
  local rtt = by_seq(r)
  expect(r.received):eq(3)
  expect(rtt[2], "ping 2"):eq(2 * one_way)
  expect(rtt[3], "ping 3"):eq(2 * one_way)
  expect(rtt[1], "ping 1 (with ARP)"):eq(2 * one_way + 2 * (txtime("10Mbps", ARP) + lunet.time("5ms")))
  expect(r.min):eq(2 * one_way)
  expect(r.max):eq(rtt[1])
end)

test("one link, 1000-byte pings, asymmetric link", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {ab = {bandwidth = "2Mbps", delay = "3ms"},
                                                ba = {bandwidth = "50Mbps", delay = "7ms"}})
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 2, size = 1000, quiet = true})
  end)
  local frame = 14 + 20 + 8 + 1000
  local rtt = by_seq(r)
  expect(rtt[2]):eq(txtime("2Mbps", frame) + lunet.time("3ms") + txtime("50Mbps", frame) + lunet.time("7ms"))
end)

test("across two routers: sum over the three hops, both ways", function(net)
  local links = {
    {bandwidth = "10Mbps", delay = "2ms"},
    {bandwidth = "1Mbps", delay = "10ms"},
    {bandwidth = "100Mbps", delay = "500us"},
  }
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 2, links = links})
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 3, quiet = true})
  end)
  local rtt, arp = 0, 0
  for _, l in ipairs(links) do
    rtt = rtt + 2 * (txtime(l.bandwidth, 98) + lunet.time(l.delay))
    arp = arp + 2 * (txtime(l.bandwidth, ARP) + lunet.time(l.delay))
  end
  local got = by_seq(r)
  expect(r.received):eq(3)
  expect(got[2], "ping 2"):eq(rtt)
  expect(got[3], "ping 3"):eq(rtt)
  expect(got[1], "ping 1 (ARP on each hop)"):eq(rtt + arp)
  -- ttl seen by h1: 64 minus the two routers
  expect(r.replies[1].ttl):eq(62)
end)

test("infinite bandwidth: only propagation", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = 0, delay = "1ms"})
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 2, quiet = true})
  end)
  expect(by_seq(r)[2]):eq(2 * lunet.time("1ms"))
end)
