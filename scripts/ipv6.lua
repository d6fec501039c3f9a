-- ipv6.lua - IPv4 and IPv6 side by side on one dual-stack network: how a
-- host finds a neighbour's MAC address (ARP's broadcast against neighbour
-- discovery's multicast), what the headers cost, and who fragments a
-- datagram too big for a link (IPv4 routers do; IPv6 routers never do).
--
--   h1 --+                                   (link MTU 1280)
--        +-- sw1 -- r1 --------------------------------------- h2
--   h3 --+    10.0.1.0/24, 2001:db8:1::/64     10.0.2.0/24, 2001:db8:2::/64
--
-- 1. h1 pings r1 at 10.0.1.254 and at 2001:db8:1::ffff.  For IPv4 it asks
--    "who has 10.0.1.254?" by ARP to ff:ff:ff:ff:ff:ff: every host on the
--    switch takes it in.  For IPv6 it sends a neighbour solicitation, an
--    ICMPv6 message, to r1's solicited-node group ff02::1:ff00:ffff, whose
--    MAC address 33:33:ff:00:ff:ff only r1 listens to: the switch floods it
--    to h3 too, but h3's interface drops it unread.
-- 2. The same 56 bytes of ping data: 98-byte frames over IPv4 (a 20-byte
--    header), 118-byte frames over IPv6 (a fixed 40-byte header).
-- 3. h1 pings h2 with `size` bytes of data (1400: too big for the 1280-byte
--    link).  IPv4 without DF: r1 cuts each datagram in two and h2 puts
--    them together.  IPv6: r1 drops the first one and answers "Packet Too
--    Big, MTU 1280"; h1 records that MTU for h2 and cuts the next ones
--    itself.
--
-- What-ifs: size=1200 fits the link (nobody fragments, no Packet Too Big);
-- hosts=5 puts more bystanders on the switch (each takes in every ARP
-- broadcast, none the solicitation).
--
-- Run:   lunet run scripts/ipv6.lua            (--help lists the knobs)
--        lunet run --lang zh scripts/ipv6.lua  (in Chinese)

local sc = require("lunet.scenario").new{
  name = "ipv6",
  title = {en = "IPv4 and IPv6 side by side: ARP vs neighbour discovery, headers, fragmentation",
           zh = "IPv4 与 IPv6 对照：ARP 与邻居发现、首部大小、分片"},
  knobs = {
    {"size", default = 1400, try = 1200, kind = "integer", min = 0, max = 8000,
     help = {en = "bytes of ping data h1 sends to h2 across the 1280-byte link (part 3)",
             zh = "第 3 部分中 h1 经 MTU 为 1280 字节的链路发给 h2 的 ping 数据字节数"}},
    {"hosts", default = 3, try = 5, kind = "integer", min = 2, max = 20,
     help = {en = "hosts on the switch: h1, h3 .. hN (h2 is behind r1)",
             zh = "交换机上的主机数：h1、h3 .. hN（h2 在 r1 后面）"}},
  },
}
local K = sc.k
local T = lunet.fmt_time
local LINK_MTU = 1280

local net = lunet.net{name = "ipv6"}
local sw1 = net:switch("sw1")
local r1 = net:router("r1")
local h1, h2 = net:host("h1"), net:host("h2")
net:link(r1, sw1, {delay = "1ms", ip = {"10.0.1.254/24"}})
net:link(r1, h2, {delay = "1ms", mtu = LINK_MTU, ip = {"10.0.2.254/24", "10.0.2.2/24"}})
net:link(h1, sw1, {delay = "1ms", ip = {"10.0.1.1/24"}})
local lan = {h1}
for i = 3, K.hosts + 1 do
  local h = net:host("h" .. i)
  net:link(h, sw1, {delay = "1ms", ip = {"10.0.1." .. i .. "/24"}})
  lan[#lan + 1] = h
end
r1:addr6("eth0", "2001:db8:1::ffff/64")
r1:addr6("eth1", "2001:db8:2::ffff/64")
h2:addr6("2001:db8:2::2/64")
for i, h in ipairs(lan) do h:addr6(string.format("2001:db8:1::%x/64", i == 1 and 1 or i + 1)) end
for _, h in ipairs(lan) do h:gateway("10.0.1.254"); h:gateway("2001:db8:1::ffff") end
h2:gateway("10.0.2.254")
h2:gateway("2001:db8:2::ffff")
local caps = net:capture{}

-- Frames, by who took them in: the interface's own filter passes a frame
-- for its MAC, broadcast, or a multicast group it listens to.
local function etype(b) return b and #b >= 14 and (b:byte(13) << 8 | b:byte(14)) or 0 end
local function l3_proto(b)
  local t = etype(b)
  if t == 0x0800 then return b:byte(24) end
  if t == 0x86dd then return b:byte(21) end
end
local seen = {}                        -- what each node's stack received: list of frames
local sent = {}                        -- what h1 sent
net:on("rx", function(ev)
  if ev.node then
    seen[ev.node] = seen[ev.node] or {}
    table.insert(seen[ev.node], {time = ev.time, bytes = ev.bytes, summary = ev.summary})
  end
end)
net:on("tx", function(ev)
  if ev.node == "h1" then sent[#sent + 1] = {time = ev.time, bytes = ev.bytes, summary = ev.summary} end
end)
local function count(list, pred)
  local n = 0
  for _, f in ipairs(list or {}) do if pred(f.bytes) then n = n + 1 end end
  return n
end
local function is_arp(b) return etype(b) == 0x0806 end
local function is_ns(b) return l3_proto(b) == 58 and #b > 54 and b:byte(55) == 135 end
local function is_ptb(b) return l3_proto(b) == 58 and #b > 54 and b:byte(55) == 2 end
local function is_frag4(b)
  return etype(b) == 0x0800 and ((b:byte(21) & 0x3f) << 8 | b:byte(22)) ~= 0
end
local function is_frag6(b) return l3_proto(b) == 44 end

-- What the hosts on the switch other than h1 took in (counted by their
-- stacks, so after their interfaces' filters), between two moments.
local bystanders = {}
for i = 2, #lan do bystanders[#bystanders + 1] = lan[i] end
local function taken()
  local arp, ns = 0, 0
  for _, h in ipairs(bystanders) do
    arp = arp + h:netstat().ArpInRequests
    ns = ns + h:netstat().Icmp6InNeighborSolicits
  end
  return arp, ns
end

local res = {}
h1:spawn(function()
  lunet.sleep("3s")                    -- duplicate address detection (docs/lua-api.md, IPv6)
  local t0 = #sent
  local arp0, ns0 = taken()
  res.v4 = h1:ping("10.0.1.254", {count = 1, quiet = true})
  res.arp_frames = {table.unpack(sent, t0 + 1)}
  t0 = #sent
  res.v6 = h1:ping("2001:db8:1::ffff", {count = 1, quiet = true})
  res.nd_frames = {table.unpack(sent, t0 + 1)}
  local arp1, ns1 = taken()
  res.arp_taken, res.ns_taken = arp1 - arp0, ns1 - ns0
  lunet.sleep("100ms")
  res.h2_before = #(seen.h2 or {})
  res.big4 = h1:ping("10.0.2.2", {count = 3, size = K.size, df = false, quiet = true})
  res.h2_mid = #(seen.h2 or {})
  res.big6 = h1:ping("2001:db8:2::2", {count = 3, size = K.size, quiet = true})
end)
net:run("20s")

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function first(list, pred)
  for _, f in ipairs(list or {}) do if pred(f.bytes) then return f end end
end
local arp = first(res.arp_frames, is_arp)
local ns = first(res.nd_frames, is_ns)
local mac = function(b, o) return string.format("%02x:%02x:%02x:%02x:%02x:%02x", b:byte(o, o + 5)) end
sc:say{en = "1. Finding r1's MAC address", zh = "1. 找到 r1 的 MAC 地址"}
if arp then
  sc:say({en = "   IPv4: %s  (to %s)", zh = "   IPv4：%s（发往 %s）"}, arp.summary, mac(arp.bytes, 1))
end
if ns then
  sc:say({en = "   IPv6: %s  (to %s)", zh = "   IPv6：%s（发往 %s）"}, ns.summary, mac(ns.bytes, 1))
end
local arp_taken, ns_taken = res.arp_taken or 0, res.ns_taken or 0
sc:say({en = "   The %d other host(s) on sw1 took in %d ARP request(s) and %d neighbour solicitation(s):",
        zh = "   sw1 上另外 %d 台主机收下了 %d 个 ARP 请求、%d 个邻居请求："}, #bystanders, arp_taken, ns_taken)
sc:say{en = "   a broadcast interrupts every host; a solicited-node group only its owner (the switch",
       zh = "   广播打扰每一台主机；被请求节点组播只到达它的主人（交换机照样泛洪，"}
sc:say{en = "   floods both, but an interface drops multicast frames for groups it has not joined).",
       zh = "   但网卡会丢掉自己没有加入的组播组的帧）。"}

local echo4 = first(res.arp_frames, function(b) return l3_proto(b) == 1 end)
local echo6 = first(res.nd_frames, function(b) return l3_proto(b) == 58 and b:byte(55) == 128 end)
sc:say{en = "2. The same 56 bytes of ping data", zh = "2. 同样 56 字节的 ping 数据"}
if echo4 and echo6 then
  sc:say({en = "   IPv4 echo request: %d-byte frame = 14 Ethernet + 20 IPv4 + 8 ICMP + 56",
          zh = "   IPv4 回显请求：%d 字节的帧 = 14 以太网 + 20 IPv4 + 8 ICMP + 56"}, #echo4.bytes)
  sc:say({en = "   IPv6 echo request: %d-byte frame = 14 Ethernet + 40 IPv6 + 8 ICMPv6 + 56",
          zh = "   IPv6 回显请求：%d 字节的帧 = 14 以太网 + 40 IPv6 + 8 ICMPv6 + 56"}, #echo6.bytes)
  sc:say{en = "   IPv6's header is twice as long (two 16-byte addresses) but fixed: no options inside, no",
         zh = "   IPv6 首部长一倍（两个 16 字节地址），但长度固定：没有内嵌选项，没有首部校验和，"}
  sc:say{en = "   header checksum, no fragment fields (those moved to extension headers).",
         zh = "   没有分片字段（它们移到了扩展首部）。"}
end

local h2_frames = seen.h2 or {}
local v4_part = {table.unpack(h2_frames, res.h2_before + 1, res.h2_mid)}
local v6_part = {table.unpack(h2_frames, res.h2_mid + 1)}
local frag4 = count(v4_part, is_frag4)
local frag6 = count(v6_part, is_frag6)
local ptb = count(seen.h1, is_ptb)
sc:say({en = "3. %d bytes of ping data to h2, across r1's %d-byte link",
        zh = "3. 向 h2 发送 %d 字节的 ping 数据，经过 r1 的 %d 字节链路"}, K.size, LINK_MTU)
sc:say({en = "   IPv4: %d of 3 answered; h2 received %d fragment(s), cut by r1.",
        zh = "   IPv4：3 个中有 %d 个得到应答；h2 收到 %d 个分片，是 r1 切的。"},
       res.big4 and res.big4.received or 0, frag4)
sc:say({en = "   IPv6: %d of 3 answered; r1 sent h1 %d Packet Too Big; h2 received %d fragment(s), cut by h1.",
        zh = "   IPv6：3 个中有 %d 个得到应答；r1 给 h1 发了 %d 个“分组过大”；h2 收到 %d 个分片，是 h1 切的。"},
       res.big6 and res.big6.received or 0, ptb, frag6)
if ptb > 0 then
  sc:say{en = "   IPv6 routers never fragment: the first datagram was dropped, h1 learnt the path MTU",
         zh = "   IPv6 路由器从不分片：第一个数据报被丢弃，h1 从“分组过大”学到了路径 MTU，"}
  sc:say{en = "   from the Packet Too Big and fragmented the next ones itself (RFC 8200 5).",
         zh = "   之后的数据报由它自己分片（RFC 8200 第 5 节）。"}
else
  sc:say{en = "   Nothing exceeded the link's MTU: nobody fragmented.", zh = "   没有超过链路 MTU 的数据报：没有人分片。"}
end
sc:pcaps(caps)

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

sc:claim({en = "ARP request's destination", zh = "ARP 请求的目的地址"}, arp and mac(arp.bytes, 1),
         "ff:ff:ff:ff:ff:ff")
sc:claim({en = "neighbour solicitation's destination", zh = "邻居请求的目的地址"}, ns and mac(ns.bytes, 1),
         "33:33:ff:00:ff:ff")
sc:claim({en = "ARP requests the bystanders took in", zh = "旁观主机收下的 ARP 请求"}, arp_taken, #bystanders)
sc:claim({en = "solicitations the bystanders took in", zh = "旁观主机收下的邻居请求"}, ns_taken, 0)
sc:claim({en = "frame sizes, IPv4 and IPv6", zh = "IPv4 与 IPv6 的帧长"},
         {echo4 and #echo4.bytes, echo6 and #echo6.bytes}, {98, 118})
sc:claim({en = "IPv4 fragments h2 received", zh = "h2 收到的 IPv4 分片"}, frag4, 6)
sc:claim({en = "Packet Too Big messages to h1", zh = "发给 h1 的“分组过大”"}, ptb, 1)
sc:claim({en = "IPv6 fragments h2 received (from h1)", zh = "h2 收到的 IPv6 分片（来自 h1）"}, frag6, 4)
sc:claim({en = "IPv6 echo replies", zh = "IPv6 回显应答"}, res.big6 and res.big6.received, 2)

-- whatever the knobs: both small pings answered, the headers are what they
-- are, an IPv6 router never fragments, and an IPv4 router fragments only
-- what exceeds the link
expect(res.v4 and res.v4.received, "IPv4 ping of r1"):eq(1)
expect(res.v6 and res.v6.received, "IPv6 ping of r1"):eq(1)
expect(echo6 and echo4 and #echo6.bytes - #echo4.bytes, "IPv6's extra header bytes"):eq(20)
expect(r1:netstat().Ip6FragCreates or 0, "fragments r1 made for IPv6"):eq(0)
expect(ns_taken, "solicitations the bystanders took in"):eq(0)
local fits4 = 20 + 8 + K.size <= LINK_MTU
local fits6 = 40 + 8 + K.size <= LINK_MTU
expect(frag4 > 0, "IPv4 datagrams fragmented"):eq(not fits4)
expect(ptb > 0, "Packet Too Big sent"):eq(not fits6)
expect(res.big4 and res.big4.received, "IPv4 big pings answered"):eq(3)
