-- multicast.lua - UDP multicast from Lua: u:join / u:leave / u:groups, the
-- multicast socket options, Iface:groups, what reaches whom on a LAN, the
-- IGMPv3 reports tshark sees, and the errors misuse gets.
--
--   h1 10.0.0.1 --+
--   h2 10.0.0.2 --+-- sw
--   h3 10.0.0.3 --+
--   r1 10.0.0.254 | 10.0.1.254 -- far 10.0.1.1
local util = require("lunet.util")
local run_task = require("lunet.test").run_task

local function lan(net)
  local sw = net:switch("sw")
  local l = {sw = sw}
  for i = 1, 3 do
    l["h" .. i] = net:host("h" .. i)
    net:link(l["h" .. i], sw, {delay = "1ms", ip = {"10.0.0." .. i .. "/24"}})
  end
  l.r1, l.far = net:router("r1"), net:host("far")
  net:link(l.r1, sw, {delay = "1ms", ip = {"10.0.0.254/24"}})
  net:link(l.r1, l.far, {delay = "1ms", ip = {"10.0.1.254/24", "10.0.1.1/24"}})
  l.far:route("default", "10.0.1.254")
  return l
end

-- A task on h that reads port until the socket closes; returns the list.
local function reader(h, u)
  local got = {}
  h:spawn(function()
    while true do
      local d, from = u:receivefrom()
      if not d then break end
      got[#got + 1] = d .. "@" .. from
    end
  end)
  return got
end

test("only the hosts that joined read a group's datagrams", function(net)
  local l = lan(net)
  local u2, u3 = l.h2:udp(), l.h3:udp()
  expect(u2:bind(5000)):eq(true)
  expect(u3:bind(5000)):eq(true)
  expect(u2:join("239.1.2.3")):eq(true)
  local got2, got3 = reader(l.h2, u2), reader(l.h3, u3)
  local filtered = 0
  net:on("drop", function(ev)
    if ev.node == "h3" and ev.proto == "udp" and ev.reason == "not for this host" then
      filtered = filtered + 1
    end
  end)
  run_task(net, l.h1, function()
    local u = l.h1:udp()
    expect(u:sendto("a", "239.1.2.3", 5000)):eq(1)
    expect(u:sendto("b", "239.1.2.3", 5000)):eq(1)
    lunet.sleep("10ms")
  end)
  expect(got2):eq({"a@10.0.0.1", "b@10.0.0.1"})
  expect(got3):eq({})
  expect(filtered, "h3's card filtered them"):eq(2)
  expect(l.h3:netstat().EthInOtherHost):ge(2)
  expect(l.h2:netstat().IpExtInMcastPkts):eq(2)
  expect(l.h1:netstat().IpExtOutMcastPkts):eq(2)
  -- after leaving, h2 hears nothing more
  expect(u2:leave("239.1.2.3")):eq(true)
  run_task(net, l.h1, function()
    l.h1:udp():sendto("c", "239.1.2.3", 5000)
    lunet.sleep("10ms")
  end)
  expect(#got2):eq(2)
  u2:close(); u3:close()
end)

test("groups: per socket, per interface with users, 224.0.0.1 always", function(net)
  local l = lan(net)
  expect(l.h1.eth0:groups()):eq({{group = "224.0.0.1", mac = "01:00:5e:00:00:01", users = 0}})
  local a, b = l.h1:udp(), l.h1:udp()
  expect(a:join("239.1.2.3")):eq(true)
  expect(a:join("224.0.1.5", "eth0")):eq(true)
  expect(b:join("239.1.2.3", "10.0.0.1")):eq(true)     -- the interface by its address
  expect(a:groups()):eq({{group = "239.1.2.3", iface = "eth0"}, {group = "224.0.1.5", iface = "eth0"}})
  expect(l.h1.eth0:groups()):eq({
    {group = "224.0.0.1", mac = "01:00:5e:00:00:01", users = 0},
    {group = "224.0.1.5", mac = "01:00:5e:00:01:05", users = 1},
    {group = "239.1.2.3", mac = "01:00:5e:01:02:03", users = 2},
  })
  -- errors: joined twice, left twice, not a group, no such interface
  local ok, err = a:join("239.1.2.3")
  expect(ok):is_nil()
  expect(err):eq("in use")
  a:close()            -- leaves its two groups
  expect(l.h1.eth0:groups()):eq({
    {group = "224.0.0.1", mac = "01:00:5e:00:00:01", users = 0},
    {group = "239.1.2.3", mac = "01:00:5e:01:02:03", users = 1},
  })
  expect(b:leave("239.1.2.3")):eq(true)
  ok, err = b:leave("239.1.2.3")
  expect(ok):is_nil()
  expect(err):eq("address not available")
  expect(function() b:join("10.0.0.9") end):raises("10.0.0.9 is not a multicast group %(224.0.0.0 to 239.255.255.255%)")
  expect(function() b:join("239.1.1.1", "eth7") end):raises("h1 has no interface \"eth7\"")
  expect(function() b:join("239.1.1.1", "10.0.0.2") end):raises("h1 has no interface with address 10.0.0.2")
  expect(function() b:join("nonsense") end):raises("UdpSocket:join")
  local c = l.h1:udp()
  for i = 1, 20 do expect(c:join("239.0.0." .. i)):eq(true) end
  expect(function() c:join("239.0.0.21") end):raises("at most 20 groups")
end)

test("options: TTL 1 by default, loop, multicast_if, multicast_all", function(net)
  local l = lan(net)
  local ttls = {}
  net:on("tx", function(ev)
    if ev.node == "h1" and ev.proto == "udp" then ttls[#ttls + 1] = ev.packet.ip.ttl end
  end)
  local u = l.h1:udp()
  expect(u:getoption("multicast_ttl")):eq(1)
  expect(u:getoption("multicast_loop")):eq(true)
  expect(u:getoption("multicast_all")):eq(true)
  expect(u:getoption("multicast_if")):is_nil()
  expect(u:bind(6000)):eq(true)
  expect(u:join("239.9.9.9")):eq(true)
  local own = reader(l.h1, u)
  run_task(net, l.h1, function()
    local s = l.h1:udp()
    s:sendto("looped", "239.9.9.9", 6000)           -- the sending host is a member
    s:setoption("multicast_loop", false)
    s:setoption("multicast_ttl", 7)
    s:setoption("multicast_if", "eth0")
    expect(s:getoption("multicast_if")):eq("eth0")
    s:sendto("not looped", "239.9.9.9", 6000)
    s:setoption("multicast_if", nil)
    expect(s:getoption("multicast_if")):is_nil()
    lunet.sleep("10ms")
  end)
  expect(own):eq({"looped@10.0.0.1"})
  expect(ttls):eq({1, 7})
  -- multicast_all off: a socket hears only the groups it joined itself
  local joined, other = l.h2:udp{multicast_all = false}, l.h2:udp{multicast_all = false, reuseaddr = true}
  joined:setoption("reuseaddr", true)
  expect(joined:bind(6000)):eq(true)
  expect(other:bind(6000)):eq(true)
  expect(joined:join("239.9.9.9")):eq(true)
  local gj, go = reader(l.h2, joined), reader(l.h2, other)
  run_task(net, l.h1, function()
    l.h1:udp():sendto("x", "239.9.9.9", 6000)
    lunet.sleep("10ms")
  end)
  expect(gj):eq({"x@10.0.0.1"})
  expect(go):eq({})
  expect(function() u:setoption("multicast_ttl", 256) end):raises("multicast_ttl: 256 out of range %(0..255%)")
  expect(function() u:setoption("multicast_if", "10.9.9.9") end):raises("h1 has no interface with address 10.9.9.9")
  expect(function() u:setoption("multicast_loop", 1) end):raises("expected a boolean")
end)

test("a group stays on its LAN: TTL 1, and the router does not forward it", function(net)
  local l = lan(net)
  local uf = l.far:udp()
  expect(uf:bind(7000)):eq(true)
  expect(uf:join("239.5.5.5")):eq(true)
  local got = reader(l.far, uf)
  run_task(net, l.h1, function()
    local s = l.h1:udp{multicast_ttl = 64}
    s:sendto("far away?", "239.5.5.5", 7000)
    lunet.sleep("20ms")
  end)
  expect(got):eq({})
  expect(l.r1:netstat().IpForwDatagrams):eq(0)
end)

test("no ICMP error for a group datagram nobody reads", function(net)
  local l = lan(net)
  local u = l.h2:udp()
  expect(u:join("239.1.2.3")):eq(true)          -- joined, but bound to no port
  run_task(net, l.h1, function()
    l.h1:udp():sendto("anyone?", "239.1.2.3", 4444)
    lunet.sleep("10ms")
  end)
  local ns = l.h2:netstat()
  expect(ns.UdpIgnoredMulti):eq(1)
  expect(ns.UdpNoPorts):eq(0)
  expect(ns.IcmpOutDestUnreachs):eq(0)
end)

test("IGMPv3 reports on join and leave, as tshark reads them", function(net)
  local l = lan(net)
  local path = os.tmpname()
  local cap = net:capture{iface = l.h3.eth0, file = path}
  local u = l.h2:udp()
  run_task(net, l.h2, function()
    expect(u:join("239.1.2.3")):eq(true)
    lunet.sleep("2s")
    expect(u:leave("239.1.2.3")):eq(true)
    lunet.sleep("2s")
  end)
  cap:close()
  expect(#util.pcap_frames(path)):eq(4)
  if os.execute("command -v tshark >/dev/null 2>&1") ~= true then
    os.remove(path)
    return skip("tshark is not installed (apt-get install tshark)")
  end
  local p = io.popen("tshark -r " .. path .. " -T fields -e ip.src -e ip.dst -e ip.ttl -e ip.opt.type"
                     .. " -e igmp.type -e igmp.record_type -e igmp.maddr -e igmp.checksum.status 2>/dev/null")
  local lines = {}
  for line in p:lines() do lines[#lines + 1] = line end
  p:close()
  os.remove(path)
  local join = "10.0.0.2\t224.0.0.22\t1\t148\t0x22\t4\t239.1.2.3\t1"
  local leave = "10.0.0.2\t224.0.0.22\t1\t148\t0x22\t3\t239.1.2.3\t1"
  expect(lines):eq({join, join, leave, leave})
end)
