-- udp.lua - lunet.UdpSocket from Lua: datagrams keep their boundaries,
-- receive blocks in virtual time, a closed port answers with ICMP port
-- unreachable (which a connected socket reports as "refused"), broadcast
-- needs the option, the counters move like Linux's, and misuse raises.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function lab(net, opts)
  return lunet.topology(TOPO .. "two_hosts.lua", net, opts or {delay = "1ms"})
end

test("echo: datagrams keep their boundaries and the sender's address", function(net)
  local l = lab(net)
  local srv = l.h2:udp()
  expect(srv:bind(7)):eq(true)
  l.h2:spawn(function()
    for _ = 1, 3 do
      local d, ip, port = srv:receivefrom()
      srv:sendto(d:upper(), ip, port)
    end
  end)
  local got = run_task(net, l.h1, function()
    local u = l.h1:udp()
    expect(u:sendto("one", l.h2_ip, 7)):eq(3)
    expect(u:sendto("", l.h2_ip, 7)):eq(0)
    expect(u:sendto("three", l.h2_ip, 7)):eq(5)
    local ip, port = u:getsockname()
    expect(ip):eq("0.0.0.0")                 -- bound by sendto, to any address
    expect(port):within(32768, 60999)
    local r = {}
    for i = 1, 3 do
      local d, from, fport = u:receivefrom({timeout = "1s"})
      r[i] = d
      expect(from):eq(l.h2_ip)
      expect(fport):eq(7)
    end
    return r
  end)
  expect(got):eq({"ONE", "", "THREE"})
  local ns = l.h2:netstat()
  expect(ns.UdpInDatagrams):eq(3)
  expect(ns.UdpOutDatagrams):eq(3)
  expect(l.h1:netstat().UdpOutDatagrams):eq(3)
end)

test("receive times out in virtual time", function(net)
  local l = lab(net)
  local t0
  local d, err = run_task(net, l.h1, function()
    local u = l.h1:udp()
    u:bind(9000)
    t0 = lunet.now()
    return u:receive({timeout = "250ms"})
  end)
  expect(d):is_nil()
  expect(err):eq("timeout")
  expect(net:now() - t0):eq(lunet.time("250ms"))
end)

test("a closed port: ICMP port unreachable, \"refused\" on a connected socket", function(net)
  local l = lab(net)
  local icmp = {}
  net:on("icmp", function(ev) icmp[#icmp + 1] = ev end)
  local r = run_task(net, l.h1, function()
    local c = l.h1:udp()
    expect(c:connect(l.h2_ip, 9999)):eq(true)
    expect(select(1, c:getpeername())):eq(l.h2_ip)
    expect(c:send("hello?")):eq(6)
    local d, err = c:receive({timeout = "1s"})
    -- an unconnected socket is not told (Linux without IP_RECVERR)
    local u = l.h1:udp()
    u:sendto("hello?", l.h2_ip, 9999)
    local d2, err2 = u:receive({timeout = "100ms"})
    return {d, err, d2, err2}
  end)
  expect(r[1]):is_nil()
  expect(r[2]):eq("refused")
  expect(r[4]):eq("timeout")
  expect(#icmp):eq(2)
  expect(icmp[1].node):eq("h2")
  expect(icmp[1].icmp_type):eq(3)
  expect(icmp[1].icmp_code):eq(3)
  expect(l.h2:netstat().UdpNoPorts):eq(2)
  expect(l.h2:drops()["no listener"]):eq(2)
end)

test("broadcast needs the option to send; every listener gets a copy", function(net)
  local sw = net:switch("sw")
  local hs = {}
  for i = 1, 3 do
    hs[i] = net:host("h" .. i)
    net:link(hs[i], sw, {ip = {"10.0.0." .. i .. "/24"}})
  end
  local got = {}
  for i = 2, 3 do
    local u = hs[i]:udp()
    u:bind(5000)
    hs[i]:spawn(function() got[i] = {u:receivefrom()} end)
  end
  run_task(net, hs[1], function()
    local u = hs[1]:udp()
    expect(function() u:sendto("hi", "10.0.0.255", 5000) end)
      :raises("10.0.0.255 is a broadcast address: set the broadcast option")
    expect(u:setoption("broadcast", true)):eq(true)
    expect(u:getoption("broadcast")):eq(true)
    expect(u:sendto("hi all", "10.0.0.255", 5000)):eq(6)
    lunet.sleep("10ms")
  end)
  expect(got[2][1]):eq("hi all")
  expect(got[2][2]):eq("10.0.0.1")
  expect(got[3][1]):eq("hi all")
  -- h:udp{broadcast = true} sets it at creation
  expect(hs[1]:udp{broadcast = true}:getoption("broadcast")):eq(true)
end)

test("bind conflicts, reuseaddr, bad addresses", function(net)
  local l = lab(net)
  local a, b = l.h1:udp(), l.h1:udp()
  expect(a:bind(53)):eq(true)
  local ok, err = b:bind(53)
  expect(ok):is_nil()
  expect(err):eq("in use")
  expect(select(2, b:bind("10.0.0.2", 54))):eq("address not available")
  expect(function() a:bind(55) end):raises("UdpSocket:bind: the socket is already bound")
  expect(function() b:bind(70000) end):raises("port 70000 out of range")
  local c, d = l.h1:udp{reuseaddr = true}, l.h1:udp{reuseaddr = true}
  expect(c:bind(60)):eq(true)
  expect(d:bind(60)):eq(true)
  expect(d:getoption("reuseaddr")):eq(true)
end)

test("the receive buffer limits what waits; drops are counted", function(net)
  local l = lab(net)
  local srv = l.h2:udp{rcvbuf = 300}
  srv:bind(9)
  expect(srv:getoption("rcvbuf")):eq(300)
  run_task(net, l.h1, function()
    local u = l.h1:udp()
    for _ = 1, 5 do u:sendto(string.rep("x", 100), l.h2_ip, 9) end
    lunet.sleep("10ms")
  end)
  expect(srv:pending()):eq(3)
  expect(l.h2:netstat().UdpRcvbufErrors):eq(2)
  expect(l.h2:drops()["receive buffer full"]):eq(2)
end)

test("a second waiting task gets busy; close wakes the waiter with closed", function(net)
  local l = lab(net)
  local u = l.h1:udp()
  u:bind(4000)
  local first
  l.h1:spawn(function() first = {u:receive()} end)
  local second = run_task(net, l.h1, function()
    lunet.sleep("1ms")
    local r = {u:receive({timeout = "1s"})}
    u:close()
    lunet.sleep("1ms")
    return r
  end)
  expect(second[1]):is_nil()
  expect(second[2]):eq("busy")
  expect(first[1]):is_nil()
  expect(first[2]):eq("closed")
  expect(tostring(u)):eq("lunet.UdpSocket(closed)")
end)

test("sockets listing, names, <close>", function(net)
  local l = lab(net)
  do
    local u <close> = l.h1:udp()
    u:bind("10.0.0.1", 5353)
    u:connect(l.h2_ip, 53)
    local list = l.h1:sockets()
    expect(#list):eq(1)
    expect(list[1]):eq({proto = "udp", state = "ESTAB", ["local"] = "10.0.0.1:5353",
                        remote = "10.0.0.2:53", recv_q = 0, send_q = 0})
    expect(tostring(u)):eq("lunet.UdpSocket(h1, 10.0.0.1:5353 > 10.0.0.2:53)")
    expect(u:connect()):eq(true)            -- dissolve the association
    expect(select(2, u:getpeername())):eq("not connected")
    expect(l.h1:sockets()[1].state):eq("UNCONN")
    expect(l.h1:sockets()[1].remote):eq("0.0.0.0:*")
  end
  expect(#l.h1:sockets()):eq(0)
end)

test("misuse raises, naming the function and what is allowed", function(net)
  local l = lab(net)
  local u = l.h1:udp()
  expect(function() l.h1:udp{broadcst = true} end)
    :raises('node:udp: option "broadcst" unknown %(known: broadcast, reuseaddr, rcvbuf, ttl, '
            .. 'multicast_ttl, multicast_loop, multicast_if, multicast_all, bindtodevice, v6only%)')
  expect(function() u:setoption("nodelay", true) end)
    :raises([[bad argument #1 to 'UdpSocket:setoption' %(option "nodelay" unknown]])
  expect(function() u:setoption("ttl", 300) end):raises("bad argument #2 to 'UdpSocket:setoption' %(ttl: 300 out of range")
  expect(function() u:sendto("x", "10.0.0.300", 5) end):raises("octet 300 out of range")
  expect(function() u:sendto("x", "10.0.0.2", 0) end):raises("port 0 out of range %(1..65535%)")
  expect(function() u:receive() end):raises("UdpSocket:receive: not inside a task")
  expect(function() u:receive({timeout = "soon"}) end):raises("UdpSocket:receive: timeout")
  expect(select(2, u:send("x"))):eq("not connected")
  expect(select(2, u:sendto(string.rep("x", 65508), l.h2_ip, 9))):eq("message too long")
end)
