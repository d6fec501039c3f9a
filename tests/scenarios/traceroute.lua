-- traceroute.lua - every router of a chain is listed, in order, by
-- traceroute in ICMP and UDP mode, and the routers' ICMP counters agree.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function trace(net, lab, opts)
  return run_task(net, lab.h1, function()
    return lab.h1:traceroute(lab.h2_ip, opts)
  end)
end

local function check_path(lab, hops, probes)
  expect(hops.reached, "destination reached"):truthy()
  expect(#hops, "hops"):eq(#lab.routers + 1)
  for k = 1, #lab.routers do
    expect(hops[k].ttl):eq(k)
    expect(hops[k].addr, "hop " .. k):eq(lab.hops[k])
    expect(#hops[k].rtts, "answers at hop " .. k):eq(probes)
    expect(hops[k].reached):falsy()
  end
  local last = hops[#hops]
  expect(last.addr, "last hop"):eq(lab.h2_ip)
  expect(last.reached):truthy()
  -- RTTs grow with the distance (each link adds 2 x 1 ms at least)
  for k = 2, #hops do
    expect(hops[k].rtts[#hops[k].rtts], "rtt at hop " .. k):gt(hops[k - 1].rtts[#hops[k - 1].rtts])
  end
end

local function check_counters(lab, probes)
  for k, r in ipairs(lab.routers) do
    local ns = r:netstat()
    expect(ns.IcmpOutTimeExcds, r.name .. " IcmpOutTimeExcds"):eq(probes)
    expect(r:drops()["ttl expired"], r.name .. " ttl expired drops"):eq(probes)
    -- router k forwarded the probes meant for hops k+1 and beyond, and the
    -- time exceeded messages of the routers behind it, and h2's answers
    local n = #lab.routers
    local fwd = (n + 1 - k) * probes + (n - k) * probes + probes
    expect(ns.IpForwDatagrams, r.name .. " IpForwDatagrams"):eq(fwd)
  end
end

test("icmp mode: every router in order", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 4, link = {delay = "1ms"}})
  local hops = trace(net, lab, {quiet = true})
  check_path(lab, hops, 3)
  check_counters(lab, 3)
  expect(lab.h2:netstat().IcmpOutEchoReps, "h2 echo replies"):eq(3)
  expect(lab.h1:netstat().IcmpInTimeExcds, "h1 time exceeded in"):eq(3 * #lab.routers)
end)

test("udp mode: every router in order, port unreachable at the end", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 4, link = {delay = "1ms"}})
  local hops = trace(net, lab, {mode = "udp", quiet = true})
  -- h2 has no UDP socket on 33434+: it must say "port unreachable" (a
  -- plain end of the trace), not !P or !H
  expect(hops[#hops].note, "annotation of the last hop"):is_nil()
  check_path(lab, hops, 3)
  check_counters(lab, 3)
  expect(lab.h2:netstat().IcmpOutDestUnreachs, "h2 port unreachables"):eq(3)
  expect(lab.h2:netstat().IcmpOutEchoReps):eq(0)
end)

test("one probe per hop, first_ttl", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 3, link = {delay = "1ms"}})
  local hops = trace(net, lab, {probes = 1, first_ttl = 2, quiet = true})
  expect(hops[1].ttl):eq(2)
  expect(hops[1].addr):eq(lab.hops[2])
  expect(#hops):eq(3)
  expect(hops.reached):truthy()
end)

test("max_hops stops a trace short of the destination", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 3, link = {delay = "1ms"}})
  local hops = trace(net, lab, {max_hops = 2, quiet = true})
  expect(#hops):eq(2)
  expect(hops.reached):falsy()
  expect(hops[2].addr):eq(lab.hops[2])
end)

test("no route at a router: !N and the trace stops", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 3, link = {delay = "1ms"}})
  local hops = run_task(net, lab.h1, function()
    return lab.h1:traceroute("10.0.99.1", {quiet = true})
  end)
  expect(#hops):eq(1)
  expect(hops[1].addr):eq(lab.hops[1])
  expect(hops[1].note):eq("!N")
  expect(hops.reached):falsy()
  expect(lab.r1:drops()["no route"]):eq(3)
end)

test("bad options are refused with the known ones listed", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  expect(function() lab.h1:traceroute("10.0.0.2", {hops = 3}) end):raises("known: first_ttl, max_hops")
  expect(function() lab.h1:traceroute("10.0.0.2", {mode = "tcp"}) end):raises('must be "icmp" or "udp"')
  expect(function() lab.h1:ping("10.0.0.2", {cout = 3}) end):raises('option "cout" unknown %(known: count, df')
  expect(function() lab.h1:ping("10.0.0.2", {interval = "1 parsec"}) end):raises("interval")
  expect(function() lab.h1:ping("10.0.0.2") end):raises("not inside a task")
end)
