-- traceroute.lua - how traceroute discovers the routers on a path.
--
--   h1 --- r1 --- r2 --- r3 --- h2        every link 100 Mbit/s, 1 ms
--   10.0.1.0/24  .2.0  .3.0  10.0.4.0/24
--
-- Each probe leaves h1 with a TTL of 1, 2, 3, ...; the router where the
-- TTL reaches 0 drops it and answers "time exceeded", which reveals its
-- address.  The probe with a large enough TTL reaches h2, which answers
-- the echo request itself (mode=udp: a UDP datagram to an unused port,
-- which h2 answers with "port unreachable").  Each hop adds one more link
-- crossing each way to the RTT, and the first probe to each hop waits for
-- one ARP exchange on the newly reached link.
--
-- Run:   lunet run scripts/traceroute.lua            (--help lists the knobs)
--        lunet run --lang zh scripts/traceroute.lua  (in Chinese)
--        lunet run scripts/traceroute.lua mode=udp routers=5

local sc = require("lunet.scenario").new{
  name = "traceroute",
  title = {en = "traceroute: finding the routers on a path with the TTL",
           zh = "traceroute：用生存时间 TTL 找出路径上的路由器"},
  knobs = {
    -- at most 29: h2 is then hop 30, traceroute's default max_hops
    {"routers", default = 3, try = 5, kind = "integer", min = 1, max = 29,
     help = {en = "routers between h1 and h2", zh = "h1 与 h2 之间的路由器数"}},
    {"mode", default = "icmp", try = "udp", values = {"icmp", "udp"},
     help = {en = "probes: ICMP echo requests (traceroute -I) or UDP datagrams (traceroute's default)",
             zh = "探测包：ICMP 回显请求（traceroute -I）或 UDP 数据报（traceroute 的默认方式）"}},
    -- at most 6: Linux sends a burst of 6 ICMP errors to one destination,
    -- then one a second (icmp_ratelimit); lunet does not model that limit
    -- yet, so more probes would show answers Linux would not give.
    {"probes", default = 3, try = 1, kind = "integer", min = 1, max = 6,
     help = {en = "probes per hop, like traceroute -q", zh = "每一跳的探测包数，同 traceroute -q"}},
  },
}
local K = sc.k

local BANDWIDTH, DELAY = "100Mbps", "1ms"
local net = lunet.net{name = "traceroute"}
local lab = lunet.topology("router_chain", net, {n = K.routers,
                                                 link = {bandwidth = BANDWIDTH, delay = DELAY}})
local T = lunet.fmt_time

local hops
lab.h1:spawn(function()
  hops = lab.h1:traceroute(lab.h2_ip, {mode = K.mode, probes = K.probes})
  net:stop()
end)
net:run()

------------------------------------------------------------------------
-- the RTTs, from the links' settings
------------------------------------------------------------------------

-- A probe is 14 Ethernet + 20 IPv4 + 8 (ICMP or UDP header) + 32 data
-- bytes.  A router's "time exceeded" quotes the whole probe (Linux quotes
-- up to 576 bytes of IP), so it is 14 + 20 + 8 + 60 bytes; h2's echo reply
-- is as long as the probe, its "port unreachable" as long as a time exceeded.
local bps, delay = lunet.rate(BANDWIDTH), lunet.time(DELAY)
local function txtime(bytes) return (bytes * 8 * 1000000000 + bps - 1) // bps end
local PROBE, ERR, ARP = 14 + 20 + 8 + 32, 14 + 20 + 8 + (20 + 8 + 32), 60
local ANSWER = K.mode == "icmp" and PROBE or ERR     -- what h2 sends back
-- The probe crosses k links to hop k and the answer comes back over the
-- same k links; store-and-forward, so each crossing is serialization +
-- propagation.  Probes after the first at each hop find every MAC address
-- known already.
local per_link = 2 * delay + txtime(PROBE) + txtime(ERR)
local last_link = 2 * delay + txtime(PROBE) + txtime(ANSWER)
local function predicted_rtt(k)
  if k <= #lab.routers then return k * per_link end
  return k * last_link
end
local arp_exchange = 2 * (delay + txtime(ARP))

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

print()
local chain = {"h1"}
for _, r in ipairs(lab.routers) do chain[#chain + 1] = r.name end
chain[#chain + 1] = "h2"
sc:say({en = "%s        every link %s, %s", zh = "%s        每条链路 %s，%s"},
       table.concat(chain, " --- "), BANDWIDTH, DELAY)
sc:say{en = "traceroute sends probes with a TTL of 1, 2, 3, ...: every router decrements the TTL,",
       zh = "traceroute 依次以生存时间 TTL = 1, 2, 3, … 发送探测包：每台路由器把 TTL 减 1，"}
sc:say{en = "and the one where it reaches 0 drops the probe and answers ICMP \"time exceeded\"",
       zh = "TTL 减到 0 的那台路由器丢弃探测包，并回送 ICMP“超时”（time exceeded，类型 11），"}
sc:say{en = "(type 11), from its address on the link towards h1: that reveals the router.",
       zh = "源地址是它朝向 h1 那条链路上的地址：路由器由此暴露出来。"}
if K.mode == "icmp" then
  sc:say{en = "The probes are ICMP echo requests (traceroute -I): h2 answers the first one whose",
         zh = "探测包是 ICMP 回显请求（traceroute -I）：TTL 足够大、到达 h2 的探测包"}
  sc:say{en = "TTL is large enough with an echo reply.",
         zh = "由 h2 以回显应答作答。"}
else
  sc:say{en = "The probes are UDP datagrams to ports 33434, 33435, ... (traceroute's default): nobody",
         zh = "探测包是发往端口 33434、33435 … 的 UDP 数据报（traceroute 的默认方式）：h2 上"}
  sc:say{en = "listens there on h2, so h2 answers with ICMP \"port unreachable\" (type 3, code 3).",
         zh = "没有进程监听这些端口，所以 h2 回送 ICMP“端口不可达”（port unreachable，类型 3，代码 3）。"}
end
for k, r in ipairs(lab.routers) do
  local n = r:netstat().IcmpOutTimeExcds
  sc:say({en = "[t=%s] %s: TTL hit 0 on %d probe(s) -> %d \"time exceeded\" sent from %s",
          zh = "[t=%s] %s：%d 个探测包的 TTL 减到 0 -> 发出 %d 个“超时”，源地址 %s"},
         T(net:now()), r.name, n, n, lab.hops[k])
end
sc:say({en = "[t=%s] hop %d is h2 itself (%s): destination reached",
        zh = "[t=%s] 第 %d 跳就是 h2 本身（%s）：到达目的地"}, T(net:now()), #hops, lab.h2_ip)
sc:say({en = "Each hop adds one more link each way to the RTT: 2 x %s + the probe's and the answer's",
        zh = "每多一跳，往返时延 RTT 就多出一条链路的往返：2 × %s，加上探测包与应答的"}, DELAY)
sc:say({en = "serialization (%d B and %d B at %s) = %s a hop.",
        zh = "发送时延（%d 字节与 %d 字节，%s）= 每跳 %s。"}, PROBE, ERR, BANDWIDTH, T(per_link))
if ANSWER ~= ERR then
  sc:say({en = "h2's echo reply is only %d B, so the last hop's RTT is %d x %s = %s.",
          zh = "h2 的回显应答只有 %d 字节，所以最后一跳的 RTT 为 %d × %s = %s。"},
         ANSWER, #hops, T(last_link), T(predicted_rtt(#hops)))
end
sc:say({en = "The first probe to each hop takes %s more: one ARP exchange on the newly reached",
        zh = "每一跳的第一个探测包还要多用 %s：在新到达的链路上要先进行一次 ARP 交换"}, T(arp_exchange))
sc:say{en = "link (h1 asks for r1's MAC address, then each router for the next one's).",
       zh = "（h1 询问 r1 的 MAC 地址，之后每台路由器询问下一台的）。"}

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- any number of routers, either mode: one hop per router, then h2
for k, r in ipairs(lab.routers) do
  expect(hops[k].addr, "hop " .. k):eq(lab.hops[k])
  expect(r:netstat().IcmpOutTimeExcds, r.name .. " IcmpOutTimeExcds"):eq(K.probes)
end
expect(#hops, "number of hops"):eq(#lab.routers + 1)
expect(hops[#hops].addr, "last hop"):eq(lab.h2_ip)
expect(hops.reached, "destination reached"):truthy()
local st = lab.h2:netstat()
if K.mode == "icmp" then
  expect(st.IcmpOutEchoReps, "h2's echo replies"):eq(K.probes)
else
  expect(st.IcmpOutDestUnreachs, "h2's port unreachables"):eq(K.probes)
end

-- the RTTs: one more link each way per hop, and one ARP exchange first
for k, hop in ipairs(hops) do
  expect(#hop.rtts, "answers at hop " .. k):eq(K.probes)
  for p = 2, #hop.rtts do
    sc:claim({en = string.format("rtt of probe %d at hop %d", p, k),
              zh = string.format("第 %d 跳第 %d 个探测包的 RTT", k, p)}, hop.rtts[p], predicted_rtt(k))
  end
  sc:claim({en = string.format("rtt of the first probe at hop %d (with ARP)", k),
            zh = string.format("第 %d 跳第一个探测包的 RTT（含 ARP）", k)},
           hop.rtts[1], predicted_rtt(k) + arp_exchange)
end
