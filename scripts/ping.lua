-- ping.lua - a few pings over one link, and where the round-trip time
-- comes from.
--
--   h1 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= h2 10.0.0.2/24
--
-- Each way an echo frame is first serialized onto the wire (its bits at
-- the link's bandwidth), then propagates (the link's delay), so
-- RTT = 2 x (serialization + propagation).  Ping 1 takes one ARP exchange
-- longer: h1 must learn h2's MAC address before the request can leave.
-- An echo larger than the MTU (size=3000) travels as IPv4 fragments, one
-- after the other; a lossy link (loss=25%) loses some of them.
--
-- Run:   lunet run scripts/ping.lua        (`make run` runs it too)
--        lunet run --lang zh scripts/ping.lua            (in Chinese)
--        lunet run scripts/ping.lua size=3000   (a what-if; --help lists them)
-- Then open the pcap files it names in Wireshark.

local sc = require("lunet.scenario").new{
  name = "ping",
  title = {en = "ping: echo requests over one link, and where the round-trip time (RTT) comes from",
           zh = "ping：一条链路上的回显请求，以及往返时延 RTT 从何而来"},
  knobs = {
    {"count", default = 4, try = 1, kind = "integer", min = 1, max = 100,
     help = {en = "echo requests to send, one a second", zh = "发送的回显请求数，每秒一个"}},
    {"delay", default = "5ms", try = "50ms", kind = "time",
     help = {en = "one-way delay of the link (propagation)", zh = "链路单向时延（传播时延）"}},
    {"bandwidth", default = "10Mbps", try = "1Mbps", values = {"1Mbps", "10Mbps", "100Mbps", "1Gbps"},
     help = {en = "bandwidth of the link (serialization)", zh = "链路带宽（决定发送时延）"}},
    {"size", default = 56, try = 3000, kind = "integer", min = 0, max = 65507,
     help = {en = "data bytes per echo request, like ping -s (over 1472: IPv4 fragments)",
             zh = "每个回显请求的数据字节数，同 ping -s（超过 1472：IPv4 分片）"}},
    {"loss", default = "0%", try = "25%", kind = "prob",
     help = {en = "probability that the link loses a frame, each way", zh = "链路每个方向丢失一帧的概率"}},
  },
}
local K = sc.k

local net = lunet.net{name = "ping"}
local lab = lunet.topology("two_hosts", net, {bandwidth = K.bandwidth, delay = K.delay / 1e9,
                                              loss = K.loss})
local h1 = lab.h1
local caps = net:capture{}          -- one pcap per interface, in lunet.pcap_dir

local r
h1:spawn(function()
  r = h1:ping(lab.h2_ip, {count = K.count, size = K.size})
  net:stop()
end)
net:run()
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- the RTT, from the link's settings
------------------------------------------------------------------------

-- The engine rounds serialization up to the nanosecond; so do we.
local bps, delay = lunet.rate(K.bandwidth), K.delay
local function txtime(bytes) return (bytes * 8 * 1000000000 + bps - 1) // bps end
local ETH, IP, ICMP, MTU, MIN_FRAME = 14, 20, 8, 1500, 60
-- The frames of one echo: an IPv4 datagram of 20 + 8 + size bytes, cut
-- into fragments of at most MTU - 20 = 1480 bytes (a multiple of 8, as
-- fragment offsets must be), each padded to Ethernet's 60-byte minimum.
local function frames(size)
  local left, out = ICMP + size, {}
  repeat
    local chunk = math.min(left, MTU - IP)
    out[#out + 1] = math.max(MIN_FRAME, ETH + IP + chunk)
    left = left - chunk
  until left == 0
  return out
end
local echo = frames(K.size)
local bytes, ser = 0, 0
for _, f in ipairs(echo) do bytes, ser = bytes + f, ser + txtime(f) end
local ARP = MIN_FRAME             -- a 42-byte ARP frame, padded to Ethernet's minimum
local rtt = 2 * (ser + delay)
local arp_rtt = 2 * (txtime(ARP) + delay)
local T = lunet.fmt_time

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

print()
sc:say({en = "h1 10.0.0.1  ====  %s, %s  ====  h2 10.0.0.2", zh = "h1 10.0.0.1  ====  %s，%s  ====  h2 10.0.0.2"},
       K.bandwidth, T(delay))
if #echo == 1 then
  sc:say({en = "[t=%s] one echo frame = %d B: 14 Ethernet + 20 IPv4 + 8 ICMP + %d data%s",
          zh = "[t=%s] 一个回显帧 = %d 字节：14 以太网 + 20 IPv4 + 8 ICMP + %d 数据%s"},
         T(net:now()), bytes, K.size, ETH + IP + ICMP + K.size < MIN_FRAME and
           sc:t{en = ", padded to Ethernet's 60-byte minimum", zh = "，填充到以太网最短帧 60 字节"} or "")
else
  local sizes = {}
  for i, f in ipairs(echo) do sizes[i] = tostring(f) end
  sc:say({en = "[t=%s] one echo = %d B of IPv4 = %d fragments (MTU %d: at most %d data bytes each): frames of %s = %d B",
          zh = "[t=%s] 一个回显 = %d 字节的 IPv4 数据报 = %d 个分片（MTU %d：每片最多 %d 字节数据）：帧长 %s = %d 字节"},
         T(net:now()), IP + ICMP + K.size, #echo, MTU, MTU - IP, table.concat(sizes, "+"), bytes)
  sc:say{en = "    The fragments leave back to back; h2 reassembles them and answers with as many.",
         zh = "    分片一个接一个发出；h2 重组后以同样多的分片应答。"}
end
sc:say({en = "[t=%s] RTT = 2 x (serialization + propagation) = 2 x (%d B x 8 / %s + %s) = 2 x (%s + %s) = %s",
        zh = "[t=%s] 往返时延 RTT = 2 ×（发送时延 + 传播时延）= 2 ×（%d 字节 × 8 / %s + %s）= 2 ×（%s + %s）= %s"},
       T(net:now()), bytes, K.bandwidth, T(delay), T(ser), T(delay), T(rtt))
sc:say{en = "    Serialization: putting the frame's bits onto the wire; propagation: the signal crossing the link.",
       zh = "    发送时延：把帧的比特推上线路所需的时间；传播时延：信号在链路上传播所需的时间。"}
local first
for _, rep in ipairs(r.replies) do if rep.seq == 1 then first = rep end end
if first then
  sc:say({en = "[t=%s] ping 1 took %s longer: h1 first asked \"who has %s?\" with ARP, a %d B request and reply:",
          zh = "[t=%s] ping 1 多用了 %s：h1 先用地址解析协议 ARP 询问“谁是 %s？”，%d 字节的请求与应答："},
         T(net:now()), T(first.rtt - rtt), lab.h2_ip, ARP)
  sc:say({en = "    2 x (%d B x 8 / %s + %s) = %s", zh = "    2 ×（%d 字节 × 8 / %s + %s）= %s"},
         ARP, K.bandwidth, T(delay), T(arp_rtt))
  if K.count > 1 then
    sc:say{en = "    The later pings find h2's MAC address in h1's ARP table and go at once.",
           zh = "    之后的 ping 在 h1 的 ARP 表中找到 h2 的 MAC 地址，直接发出。"}
  end
end
if r.received < r.sent then
  local lost = {}
  local got = {}
  for _, rep in ipairs(r.replies) do got[rep.seq] = true end
  for s = 1, r.sent do if not got[s] then lost[#lost + 1] = tostring(s) end end
  sc:say({en = "[t=%s] no reply to ping %s: the link lost the request or the reply (or a fragment of one)",
          zh = "[t=%s] ping %s 没有收到应答：链路丢失了请求或应答（或其中的一个分片）"},
         T(net:now()), table.concat(lost, ", "))
  sc:say{en = "    ping does not send again: it reports the loss and goes on with the next request.",
         zh = "    ping 不会重发：它只报告丢失，然后继续发送下一个请求。"}
end

for _, c in ipairs(caps) do
  sc:say({en = "pcap: %s (%d frames): open it in Wireshark", zh = "pcap：%s（%d 帧），用 Wireshark 打开"},
         c.path, c:count())
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

expect(r.sent, "sent"):eq(K.count)
sc:claim({en = "echo replies received", zh = "收到的回显应答数"}, r.received, K.count)
for _, rep in ipairs(r.replies) do
  -- nothing comes back faster than the wire allows, whatever the knobs
  expect(rep.rtt, "rtt of ping " .. rep.seq .. " at least 2 x (serialization + propagation)"):ge(rtt)
  if rep.seq == 1 then
    sc:claim({en = "rtt of ping 1 (with ARP)", zh = "ping 1 的 RTT（含 ARP）"}, rep.rtt, rtt + arp_rtt)
  else
    sc:claim({en = "rtt of ping " .. rep.seq, zh = "ping " .. rep.seq .. " 的 RTT"}, rep.rtt, rtt)
  end
end
