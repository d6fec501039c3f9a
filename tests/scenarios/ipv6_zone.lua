-- ipv6_zone.lua - zones of link-local addresses (RFC 4007 11, Linux's
-- sin6_scope_id): fe80::5 is the neighbour on eth0 and another neighbour
-- on eth1, and only the zone tells them apart.
--
--   n0 fe80::5 -- eth0 r eth1 -- fe80::5 n1
local run_task = require("lunet.test").run_task

local function topo(net)
  local t = {}
  t.r, t.n0, t.n1 = net:router("r"), net:host("n0"), net:host("n1")
  net:link(t.r, t.n0, {delay = "1ms"})
  net:link(t.r, t.n1, {delay = "1ms"})
  t.r.eth0:ipv6(true)
  t.r.eth1:ipv6(true)
  -- The same link-local address on both links: legal, and why zones exist.
  t.n0:addr6("fe80::5/64")
  t.n1:addr6("fe80::5/64")
  return t
end

local function settle() lunet.sleep("3s") end

test("ping fe80::5%eth0 and %eth1 reach the neighbour on that link", function(net)
  local t = topo(net)
  local r0, r1 = run_task(net, t.r, function()
    settle()
    return t.r:ping("fe80::5%eth0", {count = 2, quiet = true}),
           t.r:ping("fe80::5%eth1", {count = 2, quiet = true})
  end)
  expect(r0.received):eq(2)
  expect(r1.received):eq(2)
  expect(r0.replies[1].from, "ping prints the zone"):eq("fe80::5%eth0")
  expect(r1.replies[1].from):eq("fe80::5%eth1")
  expect(t.n0:netstat().Icmp6InEchos, "n0 answered %eth0's"):eq(2)
  expect(t.n1:netstat().Icmp6InEchos, "n1 answered %eth1's"):eq(2)
end)

test("traceroute to a zoned link-local address", function(net)
  local t = topo(net)
  local hops = run_task(net, t.r, function()
    settle()
    return t.r:traceroute("fe80::5%eth1", {quiet = true, max_hops = 3, mode = "udp"})
  end)
  expect(hops.reached, "reached in one hop"):truthy()
  expect(hops[1].addr):eq("fe80::5%eth1")
  expect(t.n0:netstat().Udp6InDatagrams or 0, "nothing went to n0"):eq(0)
end)

test("TCP to fe80::5%eth1: every segment on eth1, data both ways", function(net)
  local t = topo(net)
  local seen = {}
  for _, h in ipairs({t.n0, t.n1}) do
    local l = h:listen(7, {addr = "::"})
    h:spawn(function()
      local s = l:accept()
      seen[h.name] = (s:getpeername())
      local line = s:receive("*l")
      s:send(h.name .. " got " .. line .. "\n")
      s:receive("*a")
      s:close()
    end)
  end
  local got, peer, me = run_task(net, t.r, function()
    settle()
    local s, err = t.r:connect("fe80::5%eth1", 7)
    expect(err):is_nil()
    s:send("hello\n")
    local line = s:receive("*l")
    local p, l = s:getpeername(), s:getsockname()
    s:close()
    lunet.sleep("1s")
    return line, p, l
  end)
  expect(got):eq("n1 got hello")
  expect(peer, "getpeername keeps the zone"):eq("fe80::5%eth1")
  expect(me:match("^fe80::.*%%eth1$"), "our own eth1 link-local: " .. tostring(me)):truthy()
  expect(seen.n0, "n0 never saw the connection"):is_nil()
  -- the child of a link-local peer answers out of the SYN's interface
  expect(seen.n1:match("^fe80::.*%%eth0$"), "n1 sees its peer on its eth0: " .. tostring(seen.n1)):truthy()
end)

test("UDP echo over a zone: sendto, connect, receivefrom", function(net)
  local t = topo(net)
  for _, h in ipairs({t.n0, t.n1}) do
    local u = h:udp()
    -- bound to fe80::5 so that replies come from it (a connected peer
    -- filters on it), with the zone a link-local bind needs on Linux
    h:spawn(function()
      settle()                                    -- past DAD: then it is ours
      expect(u:bind("fe80::5%eth0", 9)):truthy()
      while true do
        local d, ip, port = u:receivefrom()
        if not d then return end
        u:sendto(h.name .. ":" .. d, ip, port)    -- back to the zone it came from
      end
    end)
  end
  local a, afrom, b, bpeer = run_task(net, t.r, function()
    settle()
    lunet.sleep("1ms")
    local u = t.r:udp()
    u:sendto("x", "fe80::5%eth1", 9)
    local d, ip = u:receivefrom({timeout = "1s"})
    local c = t.r:udp()
    c:connect("fe80::5%eth0", 9)
    c:send("y")
    local d2 = c:receive({timeout = "1s"})
    return d, ip, d2, (c:getpeername())
  end)
  expect(a):eq("n1:x")
  expect(afrom):eq("fe80::5%eth1")
  expect(b):eq("n0:y")
  expect(bpeer):eq("fe80::5%eth0")
end)

test("bad zones are errors naming the address and the interfaces", function(net)
  local t = topo(net)
  run_task(net, t.r, function()
    local u = t.r:udp()
    expect(function() u:sendto("x", "fe80::5%eth7", 9) end)
      :raises('r has no interface "eth7" %(its interfaces: eth0, eth1%)')
    expect(function() u:sendto("x", "2001:db8::5%eth0", 9) end)
      :raises("only a link.local address")
    expect(function() t.r:connect("fe80::5%", 7) end):raises('no interface ""')
    expect(function() t.r:tcp():bind("fe80::5%eth0", 7) end):raises("is not taken here")
  end)
end)
