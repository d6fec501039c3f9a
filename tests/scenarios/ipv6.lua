-- ipv6.lua - IPv6 at the network layer: addresses and DAD, neighbour
-- discovery, ping and traceroute across routers, SLAAC from a router's
-- advertisements, Packet Too Big lowering the path MTU, and IPv4-only
-- scripts staying IPv4-only.
--
--   h1 2001:db8:1::1 -- r1 -- 2001:db8:12::/64 -- r2 -- 2001:db8:2::1 h2
local run_task = require("lunet.test").run_task
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local slaac_lan = dofile(here .. "../lib/slaac_lan.lua")

local function chain(net, opts)
  opts = opts or {}
  local t = {}
  t.h1, t.r1, t.r2, t.h2 = net:host("h1"), net:router("r1"), net:router("r2"), net:host("h2")
  t.l1 = net:link(t.h1, t.r1, {delay = "1ms"})
  t.l2 = net:link(t.r1, t.r2, {delay = "1ms"})
  t.l3 = net:link(t.r2, t.h2, {delay = "1ms"})
  t.h1:addr6("2001:db8:1::1/64")
  t.r1:addr6("eth0", "2001:db8:1::ffff/64")
  t.r1:addr6("eth1", "2001:db8:12::1/64")
  t.r2:addr6("eth0", "2001:db8:12::2/64")
  t.r2:addr6("eth1", "2001:db8:2::ffff/64")
  t.h2:addr6("2001:db8:2::1/64")
  t.h1:gateway("2001:db8:1::ffff")
  t.h2:gateway("2001:db8:2::ffff")
  t.r1:route("2001:db8:2::/64", "2001:db8:12::2")
  t.r2:route("2001:db8:1::/64", "2001:db8:12::1")
  if opts.mtu then t.r2.eth0:mtu(opts.mtu); t.r1.eth1:mtu(opts.mtu) end
  return t
end

-- Until every address has passed DAD (at most 1 s of delay + 1 s).
local function settle() lunet.sleep("3s") end

test("an address gets a link-local sibling from the MAC and passes DAD", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  a:addr6("2001:db8::a/64")
  local early = a.eth0:addr6()
  expect(#early):eq(2)
  expect(early[1].addr, "EUI-64 of 02:00:00:00:00:01"):eq("fe80::ff:fe00:1")
  expect(early[2].state, "tentative at first"):eq("tentative")
  net:run("3s")
  for _, x in ipairs(a.eth0:addr6()) do expect(x.state, x.addr):eq("preferred") end
  expect(a:ip6()):eq("2001:db8::a")
  -- b never got an address: IPv6 is off there, a's probes are not for it
  expect(b.eth0:ipv6()):falsy()
  expect(a:netstat().Icmp6OutNeighborSolicits, "one DAD probe per address"):eq(2)
end)

test("a duplicate address fails DAD and is never used", function(net)
  local sw = net:switch("sw")
  local a, b = net:host("a"), net:host("b")
  net:link(a, sw, {delay = "1ms"})
  net:link(b, sw, {delay = "1ms"})
  a:addr6("2001:db8::1/64")
  net:run("3s")
  b:addr6("2001:db8::1/64")
  net:run("3s")
  expect(a.eth0:addr6()[2].state):eq("preferred")
  expect(b.eth0:addr6()[2].state, "b's copy"):eq("duplicate")
  expect(a:netstat().Icmp6OutNeighborAdvertisements, "a defends it"):eq(1)
end)

test("ping6 on a link: neighbour discovery, echo, counters, capture filters", function(net)
  local a, b = net:host("a"), net:host("b")
  local l = net:link(a, b, {delay = "1ms"})
  a:addr6("2001:db8::1/64")
  b:addr6("2001:db8::2/64")
  local f6, ficmp6, fip = lunet.filter("ip6"), lunet.filter("icmp6"), lunet.filter("ip")
  local n6, nicmp6, nip = 0, 0, 0
  net:on("tx", function(e)
    if f6:match(e.bytes) then n6 = n6 + 1 end
    if ficmp6:match(e.bytes) then nicmp6 = nicmp6 + 1 end
    if fip:match(e.bytes) then nip = nip + 1 end
  end)
  local r = run_task(net, a, function()
    settle()
    return a:ping("2001:db8::2", {count = 3, quiet = true})
  end)
  expect(r.received):eq(3)
  expect(r.replies[1].from):eq("2001:db8::2")
  expect(r.replies[1].ttl, "hop limit 64"):eq(64)
  expect(r.min, "2 x 1 ms"):ge(2000000)
  local na = a:netstat()
  expect(na.Icmp6OutEchos):eq(3)
  expect(na.Icmp6InEchoReplies):eq(3)
  expect(b:netstat().Icmp6InEchos):eq(3)
  expect(b:netstat().Icmp6OutEchoReplies):eq(3)
  expect(na.Ip6InReceives, "3 replies and an NA"):ge(4)
  local nb = a:neigh6()
  expect(#nb):eq(1)
  expect(nb[1].ip):eq("2001:db8::2")
  expect(nb[1].mac):eq(b.eth0.mac)
  expect(nb[1].state == "REACHABLE" or nb[1].state == "STALE" or nb[1].state == "DELAY"):truthy()
  expect(n6, "ip6 frames"):gt(0)
  expect(nicmp6, "every IPv6 frame here is ICMPv6"):eq(n6)
  expect(nip, "no IPv4"):eq(0)
end)

test("ping6 to an address nobody has: address unreachable after 3 solicitations", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  a:addr6("2001:db8::1/64")
  b:addr6("2001:db8::2/64")
  local r = run_task(net, a, function()
    settle()
    return a:ping("2001:db8::9", {count = 1, quiet = true})
  end)
  expect(r.received):eq(0)
  expect(#r.errors):eq(1)
  expect(r.errors[1].kind):eq("address unreachable")
  expect(a:drops()["neighbour unreachable"]):eq(1)
end)

test("ping6 and traceroute6 across two routers", function(net)
  local t = chain(net)
  local r, hops, hops_udp = run_task(net, t.h1, function()
    settle()
    return t.h1:ping("2001:db8:2::1", {count = 2, quiet = true}),
           t.h1:traceroute("2001:db8:2::1", {quiet = true}),
           t.h1:traceroute("2001:db8:2::1", {quiet = true, mode = "udp"})
  end)
  expect(r.received):eq(2)
  expect(r.replies[1].ttl, "two routers on the way back"):eq(62)
  for _, h in ipairs({hops, hops_udp}) do
    expect(h.reached):truthy()
    expect(#h):eq(3)
    expect(h[1].addr, "r1's address towards h1"):eq("2001:db8:1::ffff")
    expect(h[2].addr, "r2's address towards r1"):eq("2001:db8:12::2")
    expect(h[3].addr):eq("2001:db8:2::1")
  end
  expect(hops_udp[3].note, "port unreachable ends it plainly"):is_nil()
  expect(t.r1:netstat().Icmp6OutTimeExcds):eq(6)
  expect(t.r2:netstat().Icmp6OutTimeExcds):eq(6)
  expect(t.r1:drops()["ttl expired"]):eq(6)
  expect(t.h2:netstat().Icmp6OutDestUnreachs, "port unreachable per UDP probe"):eq(3)
  expect(t.r1:netstat().Ip6OutForwDatagrams):gt(0)
end)

test("no route: the router says so", function(net)
  local t = chain(net)
  local r = run_task(net, t.h1, function()
    settle()
    return t.h1:ping("2001:db8:99::1", {count = 1, quiet = true})
  end)
  expect(r.errors[1].kind):eq("no route")
  expect(r.errors[1].from):eq("2001:db8:1::ffff")
  expect(t.r1:netstat().Ip6InNoRoutes):eq(1)
end)

test("SLAAC: a host takes a global address and a default route from its router", function(net)
  local _, h = slaac_lan(net, {interval = "10s"})
  net:run("5s")
  local got
  for _, x in ipairs(h.eth0:addr6()) do
    if x.origin == "autoconf" then got = x end
  end
  expect(got, "an autoconfigured address"):truthy()
  expect(got.addr, "prefix + EUI-64 of h's MAC"):eq("2001:db8:a::ff:fe00:1")
  expect(got.state):eq("preferred")
  local def
  for _, x in ipairs(h:routes()) do if x.dst == "::/0" then def = x end end
  expect(def.proto):eq("ra")
  expect(def.via:match("^fe80::"), "via the router's link-local address"):truthy()
  expect(h:netstat().Icmp6InRouterAdvertisements):ge(1)
  local res = run_task(net, h, function() return h:ping("2001:db8:b::2", {count = 1, quiet = true}) end)
  expect(res.received, "through the router"):eq(1)
end)

test("packet too big lowers the path MTU; later pings are fragmented and answered", function(net)
  local t = chain(net, {mtu = 1300})
  local r1, r2 = run_task(net, t.h1, function()
    settle()
    return t.h1:ping("2001:db8:2::1", {count = 1, size = 1400, quiet = true}),
           t.h1:ping("2001:db8:2::1", {count = 3, size = 1400, quiet = true})
  end)
  expect(r1.received, "the first is too big for r1's next hop"):eq(0)
  expect(r1.errors[1].kind):eq("packet too big")
  expect(r1.errors[1].mtu):eq(1300)
  expect(t.r1:netstat().Ip6InTooBigErrors):eq(1)
  expect(t.h1:netstat().Icmp6InPktTooBigs):eq(1)
  -- h1's requests now go in two fragments each; h2's first 1448-byte
  -- reply meets the same narrow link and is lost to its own Packet Too
  -- Big, after which h2 fragments too
  expect(t.h1:netstat().Ip6FragCreates):eq(6)
  expect(t.h2:netstat().Ip6ReasmOKs):eq(3)
  expect(t.h2:netstat().Icmp6InPktTooBigs):eq(1)
  expect(t.h2:netstat().Ip6FragCreates):eq(4)
  expect(r2.received, "seq 2 and 3"):eq(2)
  expect(r2.replies[1].seq):eq(2)
end)

test("an IPv4-only network sends no IPv6 at all", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local f6, n = lunet.filter("ip6"), 0
  net:on("tx", function(e) if f6:match(e.bytes) then n = n + 1 end end)
  local r = run_task(net, a, function() return a:ping("10.0.0.2", {count = 2, quiet = true}) end)
  net:run("20s")
  expect(r.received):eq(2)
  expect(n):eq(0)
  expect(a.eth0:ipv6()):falsy()
  expect(a:netstat().Ip6OutRequests):eq(0)
end)

-- A frame for one of the node's addresses that arrives by an interface
-- where IPv6 is off is dropped there (it once reached the RS/RA handlers,
-- which read that interface's missing IPv6 state), and a link-local
-- address is ours only on its own link (RFC 4007 6).
test("IPv6 off on the arrival interface: dropped, counted, no crash", function(net)
  local r, a, b = net:router("r"), net:host("a"), net:host("b")
  net:link(a, r, {delay = "1ms"})           -- r.eth0
  net:link(b, r, {delay = "1ms"})           -- r.eth1: IPv6 never turned on
  r:addr6("eth0", "2001:db8::ffff/64")
  net:run("3s")
  expect(r.eth1:ipv6()):falsy()
  local function bytes(hex) return (hex:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end
  local function ip6(t)
    local o = {}
    for _, g in ipairs(t) do o[#o + 1] = string.char(g >> 8, g & 0xff) end
    return table.concat(o)
  end
  local function csum(s)
    local sum = 0
    if #s % 2 == 1 then s = s .. "\0" end
    for i = 1, #s, 2 do sum = sum + (s:byte(i) << 8) + s:byte(i + 1) end
    while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
    return (~sum) & 0xffff
  end
  local src = ip6{0xfe80, 0, 0, 0, 0, 0, 0, 1}
  local function rs_to(dst)
    local icmp = string.char(133, 0, 0, 0) .. string.rep("\0", 4)      -- router solicitation
    local c = csum(src .. dst .. string.char(0, 0, 0, #icmp, 0, 0, 0, 58) .. icmp)
    icmp = icmp:sub(1, 2) .. string.char(c >> 8, c & 0xff) .. icmp:sub(5)
    return bytes(r.eth1.mac:gsub(":", "")) .. bytes("020000000099") .. "\x86\xdd" ..
           string.char(0x60, 0, 0, 0, 0, #icmp, 58, 255) .. src .. dst .. icmp
  end
  local before = r:netstat().Icmp6InRouterSolicits or 0
  r:deliver("eth1", rs_to(ip6{0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xffff}))       -- eth0's global
  r:deliver("eth1", rs_to(ip6{0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 2}))         -- a link-local
  net:run("1s")
  expect(r:netstat().Icmp6InRouterSolicits or 0, "solicitations taken in"):eq(before)
end)

test("ra{} refuses what RFC 4861 6.2.1 does not allow, echoing the value", function(net)
  local r, h = net:router("r"), net:host("h")
  net:link(r, h, {})
  r:addr6("eth0", "2001:db8::1/64")
  expect(function() r.eth0:ra{interval = "2s"} end):raises("iface:ra: interval 2s: must be 4s..1800s")
  expect(function() r.eth0:ra{mtu = 1000} end):raises("iface:ra: mtu 1000: must be an integer in 1280..65535")
  expect(function() r.eth0:ra{hop_limit = 300} end):raises("hop_limit 300: must be an integer in 0..255")
  expect(function() r.eth0:ra{lifetime = "10000s"} end):raises("lifetime 10000s: must be 0s..9000s")
  expect(function() r.eth0:ra{interval = "10s", min_interval = "9s"} end)
    :raises("min_interval 9s: must be 3s..0.75 x interval %(7.5s%)")
end)

test("dissection: a UDP checksum of 0 over IPv6 is malformed (RFC 8200 8.1), over IPv4 none", function()
  local function hex(s) return (s:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end
  local udp = string.char(0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0) .. "abcd"
  local f6 = hex("020000000002020000000001") .. "\x86\xdd" .. string.char(0x60, 0, 0, 0, 0, #udp, 17, 64) ..
             hex("20010db8000000000000000000000001") .. hex("20010db8000000000000000000000002") .. udp
  local d6 = lunet.dissect(f6)
  expect(d6.udp.checksum_status):eq("bad")
  expect(d6.malformed):matches("checksum 0 over IPv6")
  local ip4 = string.char(0x45, 0, 0, 20 + #udp, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2)
  local c = 0
  for i = 1, 20, 2 do c = c + (ip4:byte(i) << 8) + ip4:byte(i + 1) end
  while c > 0xffff do c = (c & 0xffff) + (c >> 16) end
  c = ~c & 0xffff
  ip4 = ip4:sub(1, 10) .. string.char(c >> 8, c & 0xff) .. ip4:sub(13)
  local d4 = lunet.dissect(hex("020000000002020000000001") .. "\x08\x00" .. ip4 .. udp)
  expect(d4.udp.checksum_status):eq("none")
  expect(d4.malformed):is_nil()
end)
