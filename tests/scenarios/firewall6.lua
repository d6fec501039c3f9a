-- firewall6.lua - the packet filter on IPv6 traffic, as ip6tables: tcpdump
-- filters (ip6, icmp6, ip6[40]) select the frames; DROP, REJECT with an
-- ICMPv6 Destination Unreachable of the matching code, and REJECT with a
-- TCP reset over IPv6.  Neighbour discovery goes on while echo requests are
-- dropped.
--
--   a 2001:db8::1 -- b 2001:db8::2
local A, B = "2001:db8::1", "2001:db8::2"

local function pair(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  a:addr6(A .. "/64")
  b:addr6(B .. "/64")
  net:run("3s")                      -- past DAD
  return a, b
end

test("dropping echo requests by an icmp6 filter leaves neighbour discovery alone", function(net)
  local a, b = pair(net)
  b:firewall{filter = "icmp6 and ip6[40] == 128", action = "drop"}
  local r
  a:spawn(function() r = a:ping(B, {count = 2, quiet = true, timeout = "1s"}) end)
  net:run("5s")
  expect(r.received, "no reply: the requests were dropped"):eq(0)
  expect(b:firewall_rules()[1].packets):eq(2)
  local found
  for _, e in ipairs(a:neigh6()) do if e.ip == B then found = e end end
  expect(found, "b answered a's neighbour solicitation"):truthy()
  expect(b:netstat().Icmp6InEchos, "none reached ICMPv6"):eq(0)
end)

test("REJECT answers IPv6 with ICMPv6 Destination Unreachable, with the code asked for", function(net)
  local a, b = pair(net)
  b:firewall{filter = "ip6 and udp dst port 9", action = "reject"}
  b:firewall{filter = "ip6 and udp dst port 10", action = "reject", with = "admin-prohibited"}
  local errs = {}
  a:spawn(function()
    for _, port in ipairs({9, 10}) do
      local u = a:udp()
      assert(u:connect(B, port))
      assert(u:send("x"))
      local d, err = u:receive({timeout = "500ms"})
      errs[#errs + 1] = d == nil and err or "got data"
      u:close()
    end
  end)
  net:run("3s")
  expect(errs[1], "port unreachable (ip6tables' default)"):eq("refused")
  expect(errs[2], "administratively prohibited"):ne("got data")
  expect(b:netstat().Icmp6OutDestUnreachs):eq(2)
  expect(a:netstat().Icmp6InDestUnreachs):eq(2)
end)

test("REJECT with tcp-reset refuses an IPv6 connection at once", function(net)
  local a, b = pair(net)
  local l = b:listen(80, {addr = "::"})
  b:firewall{filter = "ip6 and tcp dst port 80", action = "reject", with = "tcp-reset"}
  local err, took
  a:spawn(function()
    local t0 = lunet.now()
    local s
    s, err = a:connect(B, 80)
    took = lunet.now() - t0
    if s then s:close() end
  end)
  net:run("3s")
  expect(err):eq("refused")
  expect(took, "one round trip, no SYN retries"):lt(lunet.time("10ms"))
  expect(b:firewall_rules()[1].packets):eq(1)
  l:close()
end)

test("a node with IPv6 off drops what REJECT would answer over IPv6", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  a:addr6(A .. "/64")
  b.eth0:addr("10.0.0.2/24")          -- b has no IPv6 at all
  b:firewall{filter = "ip6", action = "reject"}
  net:run("3s")
  -- a UDP datagram straight to b's MAC: b's filter sees it, and has no
  -- IPv6 to answer with
  assert(a:inject({eth = {dst = b.eth0.mac}, ipv6 = {dst = B}, udp = {srcport = 1, dstport = 9}}, a.eth0))
  net:run("1s")
  expect(b:firewall_rules()[1].packets, "the frame was matched"):eq(1)
  expect(a:netstat().Icmp6InDestUnreachs or 0, "and nothing came back"):eq(0)
end)
