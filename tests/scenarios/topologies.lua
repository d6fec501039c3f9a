-- topologies.lua - the shipped topologies build, and connect what they say:
-- every node reaches every address.  lunet.topology reports where it
-- looked when a name is unknown.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

-- Ping every address of every node from every host and router; returns
-- a list of "src -> dst" pairs that got no reply.
local function unreachable(net)
  local addrs = {}
  for _, n in ipairs(net:nodes()) do
    for _, ifc in ipairs(n:ifaces()) do
      local a = ifc:ip()
      if a then addrs[#addrs + 1] = a end
    end
  end
  local bad = {}
  for _, n in ipairs(net:nodes()) do
    local r = run_task(net, n, function()
      local missed = {}
      for _, a in ipairs(addrs) do
        local res = n:ping(a, {count = 1, quiet = true, timeout = "1s"})
        if res.received ~= 1 then missed[#missed + 1] = n.name .. " -> " .. a end
      end
      return missed
    end)
    for _, m in ipairs(r) do bad[#bad + 1] = m end
  end
  return bad
end

test("two_hosts", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms", bandwidth = "10Mbps"})
  expect(lab.h1:ip()):eq("10.0.0.1")
  expect(lab.h2:ip()):eq("10.0.0.2")
  expect(lab.link:get("ab").delay):eq(0.001)                  -- seconds
  expect(lab.link:get("ba").bandwidth):eq(10000000)
  expect(unreachable(net)):eq({})
end)

test("router_chain: everything reaches everything, n = 1..4", function(net)
  for n = 1, 4 do
    local sub = lunet.net{}
    local lab = lunet.topology(TOPO .. "router_chain.lua", sub, {n = n, link = {delay = "1ms"}})
    expect(#lab.routers):eq(n)
    expect(#lab.links):eq(n + 1)
    expect(#lab.hops):eq(n + 1)
    expect(lab.h2_ip):eq("10.0." .. (n + 1) .. ".1")
    expect(unreachable(sub), "n = " .. n):eq({})
    sub:close()
  end
end)

test("router_chain: per-link knobs override the common ones", function(net)
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 2, link = {delay = "1ms"}, links = {[3] = {delay = "7ms"}}})
  expect(lab.links[1]:get("ab").delay):eq(0.001)
  expect(lab.links[3]:get("ab").delay):eq(0.007)
  expect(function() lunet.topology(TOPO .. "router_chain.lua", lunet.net{}, {routers = 2}) end)
    :raises('option "routers" unknown %(known: link, links, n%)')
end)

test("lan_router", function(net)
  local lab = lunet.topology(TOPO .. "lan_router.lua", net, {hosts = 4, wan = {delay = "5ms"}})
  expect(#lab.hosts):eq(4)
  expect(lab.h4:ip()):eq("10.0.1.4")
  expect(lab.remote:ip()):eq(lab.remote_ip)
  expect(lab.sw:ports()):eq(5)
  expect(unreachable(net)):eq({})
end)

test("unknown topology: the error lists where it looked", function(net)
  expect(function() lunet.topology("no_such_topology", net) end)
    :raises('"no_such_topology" not found %(searched: .*/topologies/no_such_topology%.lua, .*%./topologies/no_such_topology%.lua')
end)

test("a path works as a name", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  expect(lab.h1.name):eq("h1")
end)
