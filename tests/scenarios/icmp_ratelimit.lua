-- icmp_ratelimit.lua - how fast a node sends ICMP errors, as Linux: a
-- token bucket per destination (net.ipv4.icmp_ratelimit, one a second,
-- six deep; net.ipv6.icmp.ratelimit, its interval shortened for wider
-- routes), the node's budget (net.ipv4.icmp_msgs_per_sec), the types the
-- ratemask names only.  It is why a UDP port scan of a Linux host crawls.
--
--   a 10.0.0.1 2001:db8::1 -- b 10.0.0.2 2001:db8::2 -- c 10.0.0.3
local function lan(net, v6)
  local sw = net:switch("sw")
  local a, b, c = net:host("a"), net:host("b"), net:host("c")
  for _, h in ipairs({a, b, c}) do net:link(h, sw, {delay = "1ms"}) end
  a.eth0:addr("10.0.0.1/24")
  b.eth0:addr("10.0.0.2/24")
  c.eth0:addr("10.0.0.3/24")
  if v6 then
    a:addr6("2001:db8::1/64")
    b:addr6("2001:db8::2/64")
    net:run("3s")
  end
  return a, b, c
end

-- n datagrams to closed ports of dst, 1 ms apart, from h.
local function probe(h, dst, n)
  h:spawn(function()
    local u = h:udp()
    for i = 1, n do
      assert(u:sendto("x", dst, 30000 + i))
      lunet.sleep("1ms")
    end
    u:close()
  end)
end

test("six port unreachables at once to one destination, then one a second", function(net)
  local a, b, c = lan(net)
  probe(a, "10.0.0.2", 20)
  probe(c, "10.0.0.2", 3)
  net:run("100ms")
  expect(b:netstat().UdpNoPorts, "every datagram found no socket"):eq(23)
  expect(a:netstat().IcmpInDestUnreachs, "a's burst of six"):eq(6)
  expect(b:netstat().IcmpOutRateLimitHost, "the rest held back"):eq(14)
  expect(c:netstat().IcmpInDestUnreachs, "c has a bucket of its own"):eq(3)
  -- a second later a has one token again
  net:run("1s")
  probe(a, "10.0.0.2", 3)
  net:run("100ms")
  expect(a:netstat().IcmpInDestUnreachs, "one more"):eq(7)
end)

test("echo replies are not limited, and a ratemask of 0 limits nothing", function(net)
  local a, b = lan(net)
  local r
  a:spawn(function() r = a:ping("10.0.0.2", {count = 20, interval = "1ms", quiet = true}) end)
  net:run("1s")
  expect(r.received):eq(20)
  b:sysctl("net.ipv4.icmp_ratemask", 0)
  probe(a, "10.0.0.2", 20)
  net:run("100ms")
  expect(a:netstat().IcmpInDestUnreachs):eq(20)
  expect(b:netstat().IcmpOutRateLimitHost):eq(0)
end)

test("the node's budget: icmp_msgs_burst errors, whatever the destinations", function(net)
  local a, b, c = lan(net)
  b:sysctl("net.ipv4.icmp_msgs_burst", 4)
  b:sysctl("net.ipv4.icmp_ratelimit", 0)          -- no per-destination limit
  probe(a, "10.0.0.2", 40)
  probe(c, "10.0.0.2", 40)
  net:run("15ms")                                 -- within the first 20 ms
  local st = b:netstat()
  -- each error takes 0, 1 or 2 credits (a draw, as Linux 6.x), so 4
  -- credits let a few out before the budget waits to refill
  expect(st.IcmpOutDestUnreachs):ge(2)
  expect(st.IcmpOutDestUnreachs):lt(st.UdpNoPorts)
  expect(st.IcmpOutRateLimitGlobal, "every other one held back"):eq(st.UdpNoPorts - st.IcmpOutDestUnreachs)
  expect(st.IcmpOutRateLimitHost):eq(0)
  net:run("1s")
  expect(b:netstat().UdpNoPorts):eq(80)
  expect(b:netstat().IcmpOutDestUnreachs, "refills every 20 ms let more out"):gt(st.IcmpOutDestUnreachs)
  expect(b:netstat().IcmpOutDestUnreachs):lt(80)
end)

test("ICMPv6: the bucket's interval shrinks for a /64 (Linux: 250 ms)", function(net)
  local a, b = lan(net, true)
  probe(a, "2001:db8::2", 20)
  net:run("100ms")
  expect(a:netstat().Icmp6InDestUnreachs, "the burst of six"):eq(6)
  expect(b:netstat().Icmp6OutRateLimitHost):eq(14)
  -- a second later: four tokens of 250 ms (IPv4's interval would give one)
  net:run("1s")
  probe(a, "2001:db8::2", 10)
  net:run("100ms")
  expect(a:netstat().Icmp6InDestUnreachs):eq(10)
end)
