-- tcp_vs_udp.lua - TCP against UDP (point 10 of the notes), in four
-- experiments, each on its own network:
--
--   A/B. The same 100 messages over the same bad link, once as UDP
--        datagrams (A) and once over a TCP connection (B):
--          client 10.0.0.1 ===== 10 Mbit/s, 5 ms ===== server 10.0.0.2
--        the link loses 10% of the frames (knob loss), duplicates 3% and
--        delays 5% by 2 ms (so they arrive out of order), in both
--        directions.  At t=0 the client sends the messages with one
--        sendto() each; at t=2s it connects and sends them again, one
--        send() each.  The server reads whatever comes.  Each message says
--        its number and is 500 to 999 bytes long: "message 001: bbbb...".
--        Connection or none, reliable or best effort, a byte stream or
--        datagrams with boundaries, header 20+ or 8 bytes.
--   C.   One-to-many: a speaker and 3 receivers (knob receivers) and a
--        bystander on one switch (100 Mbit/s, 1 ms links).  The speaker
--        sends 5 short datagrams once, to the subnet's broadcast address
--        (at 0 s); then once more to the multicast group 239.1.2.3, which
--        the receivers joined at 0.5 s (IGMPv3 reports) and the bystander
--        did not (at 0.6 s); then the same 5 to every receiver over TCP, one
--        connection each (from 1.5 s).  The switch does no IGMP snooping,
--        so it floods group frames like broadcasts; the bystander's card
--        filters them by MAC address.
--   D.   Congestion control or none: a TCP sender and a UDP sender share
--        one router link of 10 Mbit/s, 10 ms (queue 30 frames) towards one
--        receiver.  TCP sends as fast as it may from 0 to 6 s; UDP sends a
--        constant 6 Mbit/s (knob udp_rate) from 2 s to 4 s.  Throughput is
--        counted as the frames reach the receiver (headers included, so
--        the two add up to at most the link's 10 Mbit/s).
--
-- Ports: everything goes to port 9998, UDP and TCP.  Wireshark picks a
-- dissector by port, so a port it knows would show these bytes as
-- something they are not: 80 and 8080 as HTTP, 7000 (this script's old
-- UDP port) as RX (AFS), 9999 as TP-Link Smart Home, 53 as DNS, 5353 as
-- mDNS, 3478 as STUN.  `tshark -G decodes` (Wireshark 4.0) lists no
-- dissector for 9998, on TCP or UDP, and tshark shows every frame of these
-- pcaps as plain TCP or UDP.
--
-- Run:   lunet run scripts/tcp_vs_udp.lua [knob=value ...]   (--help lists
--        the knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark.

local sc = require("lunet.scenario").new{
  name = "tcp_vs_udp",
  title = {en = "TCP vs UDP: connection, reliability, boundaries, headers, one-to-many, congestion control",
           zh = "TCP 与 UDP 的区别：连接、可靠性、报文边界、首部开销、一对多、拥塞控制"},
  knobs = {
    {"loss", default = "10%", try = "0%", kind = "prob",
     help = {en = "A/B: share of the frames the bad link loses, each direction",
             zh = "A/B：坏链路每个方向丢失的帧的比例"}},
    {"receivers", default = 3, try = 6, kind = "integer", min = 1, max = 20,
     help = {en = "C: receivers on the switch that want the speaker's messages",
             zh = "C：交换机上想收到发言者消息的接收方数目"}},
    {"udp_rate", default = "6Mbps", try = "12Mbps",
     help = {en = "D: the constant rate of the UDP sender on the 10 Mbit/s bottleneck (0 to 50Mbps)",
             zh = "D：UDP 发送方在 10 Mbit/s 瓶颈链路上的恒定发送速率（0 到 50Mbps）"}},
  },
}
local K = sc.k

-- udp_rate is a rate as lunet writes them ("6Mbps", "500kbps"); a bad one
-- is a usage error like any bad knob: one line, exit 2.
local ok_rate, UDP_RATE = pcall(lunet.rate, K.udp_rate)
if not ok_rate or UDP_RATE < 0 or UDP_RATE > 50e6 then
  io.stdout:flush()
  io.stderr:write(string.format("lunet: udp_rate=%s: a rate from 0 to 50Mbps, like 6Mbps, is needed\n",
                                K.udp_rate))
  os.exit(2)
end

local PORT = 9998          -- no Wireshark dissector claims it (see the header)
local T = lunet.fmt_time
local S = lunet.time("1s")

-- Pad to a width in terminal columns: a Chinese character takes two.
local function pad(text, width)
  local cols = 0
  for _, cp in utf8.codes(text) do cols = cols + (cp >= 0x1100 and 2 or 1) end
  return text .. string.rep(" ", math.max(0, width - cols))
end
local function mbit(bits, ns) return bits / (ns / 1e9) / 1e6 end

------------------------------------------------------------------------
-- A and B: the same messages over the same bad link
------------------------------------------------------------------------

local net = lunet.net{name = "tcp_vs_udp"}
local client, server = net:host("client"), net:host("server")
local link = net:link(client, server, {
  bandwidth = "10Mbps", delay = "5ms", loss = K.loss, duplicate = "3%",
  reorder = "5%", reorder_delay = "2ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- Static ARP entries: only our messages (and TCP's segments) cross the link.
client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
local caps = net:capture{dir = "tcp_vs_udp"}     -- one pcap per interface

local N = 100
local msgs, ends = {}, {}
for i = 1, N do
  local head = string.format("message %03d: ", i)
  local len = 500 + (i * 137) % 500
  msgs[i] = head .. string.char(97 + i % 26):rep(len - #head)
end
local stream = table.concat(msgs)
do local e = 0; for i = 1, N do e = e + #msgs[i]; ends[i] = e end end

-- What each protocol put on the wire: packets per direction, header sizes.
local wire = {udp = {c = 0, s = 0, hdr = {}}, tcp = {c = 0, s = 0, hdr = {}}}
local tcp_first, fin = {}, {}          -- each side's first segment, its FIN
net:on("tx", function(ev)
  local w = wire[ev.proto]
  if not w then return end
  local side = ev.node == "client" and "c" or "s"
  w[side] = w[side] + 1
  -- header = frame - Ethernet - IP - data (frames under 60 bytes are padded)
  if ev.len > 60 then w.hdr[ev.len - 14 - 20 - ev.payload] = true end
  if ev.proto == "tcp" then
    tcp_first[side] = tcp_first[side] or ev.flags
    if ev.flags:find("F") then fin[side] = true end
  end
end)

-- A: UDP
local udp = {got = {}}
local usock = server:udp()
assert(usock:bind(PORT))
server:spawn(function()
  while true do
    local d = usock:receivefrom({timeout = "1s"})
    if not d then break end
    udp.got[#udp.got + 1] = d
    udp.last = lunet.now()
  end
end)
client:spawn(function()
  local s = client:udp()
  for i = 1, N do s:sendto(msgs[i], "10.0.0.2", PORT) end
  s:close()
end)
net:run("2s")
local ust = link:stats().ab

-- B: TCP
local tcp = {chunks = {}}
local listener = assert(server:listen(PORT))
server:spawn(function()
  local c = listener:accept()
  while true do
    local d = c:receive()            -- whatever has arrived, in order
    if not d then break end
    tcp.chunks[#tcp.chunks + 1] = d
    tcp.last = lunet.now()
  end
  c:close()
end)
client:spawn(function()
  tcp.start = lunet.now()
  -- on a link bad enough (loss=50%) TCP may give up: say so, do not crash
  local s, err = client:connect("10.0.0.2", PORT)
  if not s then tcp.err = err; return end
  for i = 1, N do
    local ok, e = s:send(msgs[i])
    if not ok then tcp.err = e; break end
  end
  s:close()
end)
net:run()
listener:close()
usock:close()

-- UDP: which messages, in which order, how many times
local seen, order, lost, whole = {}, {}, {}, true
local late, dups = 0, 0
local highest = 0
for _, d in ipairs(udp.got) do
  local n = tonumber(d:match("^message (%d+): "))
  whole = whole and n ~= nil and d == msgs[n]
  order[#order + 1] = n
  if seen[n] then dups = dups + 1
  elseif n < highest then late = late + 1 end      -- overtaken on the way
  seen[n] = true
  highest = math.max(highest, n)
end
for i = 1, N do if not seen[i] then lost[#lost + 1] = i end end
local delivered = N - #lost

-- TCP: the chunks the reads returned, and where they cut the messages
local sizes = {}
for i, c in ipairs(tcp.chunks) do sizes[i] = #c end
local tcp_got = table.concat(tcp.chunks)
local tcp_whole = tcp_got == stream
local tcp_msgs = 0                    -- messages whose every byte arrived
for i = 1, N do if ends[i] <= #tcp_got then tcp_msgs = i end end
local function msg_at(off)             -- the message holding byte `off`
  for i = 1, N do if off <= ends[i] then return i, off - (ends[i] - #msgs[i]) end end
end
local cuts = 0                        -- chunks that end inside a message
do
  local off = 0
  for _, sz in ipairs(sizes) do
    off = off + sz
    local m, pos = msg_at(off)
    if off < #stream and pos < #msgs[m] then cuts = cuts + 1 end
  end
end
local cn, sn = client:netstat(), server:netstat()
local function hdrs(w)
  local t = {}
  for h in pairs(w.hdr) do t[#t + 1] = h end
  table.sort(t)
  return t
end
local uh, th = hdrs(wire.udp), hdrs(wire.tcp)

sc:say({en = "A/B. %d messages, %d bytes, to port %d over a link that loses %g%% of the frames,",
        zh = "A/B. %d 条消息共 %d 字节，发往端口 %d，链路丢失 %g%% 的帧，"},
       N, #stream, PORT, K.loss * 100)
sc:say{en = "duplicates 3% and reorders 5% (first as UDP datagrams, then over one TCP connection).",
       zh = "重复 3%、乱序 5%（先用 UDP 数据报发送，再通过一条 TCP 连接发送）。"}
sc:say({en = "(Port %d: no Wireshark dissector claims it, so the pcaps show plain UDP and TCP;",
        zh = "（端口 %d：Wireshark 没有按这个端口解析的协议，所以 pcap 里显示的就是 UDP 和 TCP；"}, PORT)
sc:say{en = "port 80 would be shown as HTTP, 7000 as RX (AFS), 9999 as TP-Link Smart Home.)",
       zh = "若用 80 端口会被显示为 HTTP，7000 为 RX（AFS），9999 为 TP-Link Smart Home。）"}
print()
local function row(a, b, c) print("  " .. pad(a, 28) .. " " .. pad(tostring(b), 22) .. " " .. tostring(c)) end
local function L(en, zh) return sc:t{en = en, zh = zh} end
row("", "UDP", "TCP")
row(L("connection setup", "建立连接"), L("none", "无（发了就走）"),
    L("SYN, SYN-ACK, ACK", "三次握手：SYN, SYN-ACK, ACK"))
row(L("teardown", "释放连接"), L("none", "无"), L("FIN, ACK each way", "四次挥手：每个方向 FIN、ACK"))
row(L("packets client -> server", "分组 客户端 -> 服务器"), wire.udp.c, wire.tcp.c)
row(L("packets server -> client", "分组 服务器 -> 客户端"), wire.udp.s,
    sc:t({en = "%d (mostly ACKs)", zh = "%d（大多是 ACK）"}, wire.tcp.s))
row(L("transport header", "运输层首部"), uh[1] and uh[1] .. " B" or "-",
    th[1] and sc:t({en = "20 B + options: %d-%d B", zh = "20 B + 选项：%d-%d B"}, th[1], th[#th]) or "-")
row(L("messages delivered", "交付的消息"), delivered .. " / " .. N, tcp_msgs .. " / " .. N)
row(L("  arrived out of order", "  乱序到达"), late, 0)
row(L("  arrived twice", "  重复到达"), dups, 0)
row(L("retransmitted packets", "重传的分组"), 0, cn.TcpRetransSegs)
row(L("reads by the server", "服务器的读取次数"), #udp.got, #tcp.chunks)
row(L("one read returns", "一次读取得到"), L("one whole datagram", "一个完整的数据报"),
    L("any number of bytes", "任意数量的字节"))
row(L("last byte read after", "读到最后一个字节用时"), udp.last and T(udp.last) or "-",
    tcp.last and T(tcp.last - tcp.start) or "-")
print()
sc:say{en = "UDP is best effort: the datagrams that made it are whole, one per read,",
       zh = "UDP 尽最大努力交付：到达的数据报都是完整的，一次读取一个（面向报文，有边界），"}
if #lost > 0 then
  sc:say({en = "but %d are missing (%s%s),", zh = "但丢了 %d 个（%s%s），"}, #lost,
         table.concat(lost, " ", 1, math.min(#lost, 20)), #lost > 20 and " ..." or "")
else
  sc:say{en = "and this time none was lost (the link lost no frame),",
         zh = "这次一个也没丢（链路没有丢帧），"}
end
sc:say({en = "and the arrival order began %s ...", zh = "到达的顺序开头是 %s ……"},
       table.concat(order, " ", 1, math.min(12, #order)))
sc:say{en = "Nobody acknowledges anything, so nobody notices; a voice or video call",
       zh = "没有谁确认任何东西，所以没有谁发现；IP 电话、视频会议、直播"}
sc:say{en = "would rather skip a lost message than wait for it.",
       zh = "宁可跳过丢失的消息，也不愿等它重传。"}
print()
if tcp_whole then
  sc:say{en = "TCP delivered every byte once and in order (a byte stream: the receiver",
         zh = "TCP 把每个字节都按序交付，且只交付一次（面向字节流：接收方"}
else
  sc:say({en = "TCP gave up (%s) with %d of %d bytes delivered, in order and once each;",
          zh = "TCP 放弃了（%s），已交付 %d / %d 字节，按序且不重复；"},
         tcp.err or sc:t{en = "its retransmissions ran out after close()", zh = "close() 之后重传次数用尽"},
         #tcp_got, #stream)
  sc:say{en = "it is reliable only while the network lets some segments through (a byte",
         zh = "只有网络还能让部分报文段通过时它才可靠（面向字节流："}
  sc:say{en = "stream all the same: the receiver", zh = "同样地，接收方"}
end
sc:say{en = "cannot tell where one send() ended). The first reads returned:",
       zh = "看不出一次 send() 在哪里结束，没有边界）。前几次读取得到："}
do
  local off = 0
  for i = 1, math.min(4, #sizes) do
    local a, pa = msg_at(off + 1)
    local b, pb = msg_at(off + sizes[i])
    sc:say({en = "  read %d: %5d bytes, from byte %d of message %d to byte %d of message %d",
            zh = "  第 %d 次读取：%5d 字节，从第 %d 字节（消息 %d）到第 %d 字节（消息 %d）"},
           i, sizes[i], pa, a, pb, b)
    off = off + sizes[i]
  end
end
sc:say({en = "%d of the %d reads ended in the middle of a message. To find messages",
        zh = "有 %d 次读取（共 %d 次）在一条消息的中间结束。要在字节流中找出消息，"}, cuts, #tcp.chunks)
sc:say{en = "in a stream the application must mark them itself (lengths, newlines...).",
       zh = "应用必须自己标出它们（长度、换行符……）。"}
if cn.TcpRetransSegs > 0 then
  sc:say({en = "It cost %d retransmissions and %d packets back, and a lost segment holds",
          zh = "这用了 %d 次重传和 %d 个回程分组，而一个丢失的报文段会挡住"}, cn.TcpRetransSegs, wire.tcp.s)
  sc:say{en = "back everything behind it until its copy arrives.",
         zh = "它后面的所有数据，直到它的重传副本到达。"}
else
  sc:say({en = "Nothing was lost, so nothing was resent; the ACKs still cost %d packets back.",
          zh = "这次没有丢失，所以没有重传；但确认仍然用了 %d 个回程分组。"}, wire.tcp.s)
end
print()
sc:pcaps(caps)
print()

-- A: no connection, no replies, an 8-byte header, whole datagrams
expect(wire.udp.c, "UDP packets sent"):eq(N)
expect(wire.udp.s, "UDP packets back"):eq(0)
expect(uh, "UDP header sizes"):eq({8})
expect(whole, "every datagram whole"):truthy()
-- what the link did to the datagrams is exactly what the server saw
expect(#lost, "UDP messages lost"):eq(ust.dropped_loss)
expect(dups, "UDP duplicates"):eq(ust.duplicated)
expect(late, "UDP datagrams overtaken"):le(ust.reordered)
expect(#udp.got, "datagrams read"):eq(N - ust.dropped_loss + ust.duplicated)
sc:claim({en = "A: some UDP messages are lost, and nobody resends them",
          zh = "A：有 UDP 消息丢失，而且没有谁重传"}, #lost > 0, true)
expect(sn.UdpInDatagrams, "UdpInDatagrams"):eq(#udp.got)
-- B: handshake first, headers of 20 bytes or more, everything in order
expect(tcp_first.c, "client's first segment"):eq("S")
expect(stream:sub(1, #tcp_got), "what TCP delivered is the stream's beginning"):eq(tcp_got)
if sc:claim({en = "B: TCP delivered the whole stream", zh = "B：TCP 交付了整个字节流"}, tcp_whole, true) then
  expect(tcp_first.s, "server's first segment"):eq("S.")
  expect(fin.c and fin.s, "a FIN each way"):truthy()
  expect(th[1], "smallest TCP header"):ge(20)
  expect(th[1], "TCP data segments: 20 + 12 (timestamps)"):eq(32)
  expect(lunet.hash(tcp_got), "hash"):eq(lunet.hash(stream))
  expect(sn.TcpPassiveOpens):eq(1)
end
sc:claim({en = "B: TCP retransmitted what the link lost", zh = "B：TCP 重传了链路丢失的数据"},
         cn.TcpRetransSegs > 0, true)
sc:claim({en = "B: the reads do not follow the sends", zh = "B：读取次数与 send() 次数不一致"},
         #tcp.chunks ~= N, true)
sc:claim({en = "B: some reads end inside a message", zh = "B：有的读取在一条消息中间结束"}, cuts > 0, true)
expect(cn.TcpActiveOpens):eq(1)
expect(wire.tcp.c + wire.tcp.s, "TCP packets in all"):eq(link:stats().ab.tx_packets - N +
                                                          link:stats().ba.tx_packets)

------------------------------------------------------------------------
-- C: one to many
------------------------------------------------------------------------

local NEWS = 5                                   -- datagrams the speaker sends
local news = {}
for j = 1, NEWS do news[j] = string.format("news %d: the lab closes at %d pm\n", j, j) end
local NEWS_BYTES = #table.concat(news)
local BCAST = "10.0.1.255"
local GROUP = "239.1.2.3"                        -- administratively scoped (RFC 2365)

local many = lunet.net{name = "tcp_vs_udp_many"}
local sw = many:switch("sw")
local LAN = {bandwidth = "100Mbps", delay = "1ms"}
local function on_lan(name, ip)
  local h = many:host(name)
  many:link(h, sw, {bandwidth = LAN.bandwidth, delay = LAN.delay, ip = {ip}})
  return h
end
local speaker = on_lan("speaker", "10.0.1.10/24")
local rx = {}
for i = 1, K.receivers do
  rx[i] = {host = on_lan("rx" .. i, "10.0.1." .. (20 + i) .. "/24"), got = {}}
end
local quiet = on_lan("quiet", "10.0.1.99/24")     -- on the LAN, no socket on the port
-- static ARP: the frames counted below are the messages' own
for _, r in ipairs(rx) do
  local h = r.host
  speaker:arp_set(h:ip(), h.eth0.mac, "eth0")
  h:arp_set(speaker:ip(), speaker.eth0.mac, "eth0")
end
local mcaps = {many:capture{iface = speaker.eth0, file = "tcp_vs_udp/many-speaker-eth0.pcap"},
               many:capture{iface = quiet.eth0, file = "tcp_vs_udp/many-quiet-eth0.pcap"}}

-- What the speaker sends, and what the bystander does with it, by phase.
local phase = "bcast"
local sent = {bcast = {frames = 0, bytes = 0}, mcast = {frames = 0, bytes = 0},
              tcp = {frames = 0, bytes = 0}}
local quiet_heard = {bcast = 0, mcast = 0}     -- at its card
local quiet_dropped = {bcast = 0, mcast = 0}   -- by its UDP: no socket on the port
local quiet_filtered = {bcast = 0, mcast = 0}  -- by its card: not its MAC address
many:on("tx", function(ev)
  if ev.node ~= "speaker" then return end
  local s = ev.proto == "tcp" and sent.tcp or ev.proto == "udp" and sent[phase]
  if s then s.frames, s.bytes = s.frames + 1, s.bytes + ev.payload end
end)
many:on("rx", function(ev)
  if ev.node == "quiet" and ev.proto == "udp" then quiet_heard[phase] = quiet_heard[phase] + 1 end
end)
many:on("drop", function(ev)
  if ev.node ~= "quiet" or ev.proto ~= "udp" then return end
  if ev.reason == "no listener" then quiet_dropped[phase] = quiet_dropped[phase] + 1 end
  if ev.reason == "not for this host" then quiet_filtered[phase] = quiet_filtered[phase] + 1 end
end)

for _, r in ipairs(rx) do
  local h = r.host
  local u = h:udp()
  assert(u:bind(PORT))
  r.udp = u
  r.got = {bcast = {}, mcast = {}}
  h:spawn(function()
    while true do                  -- until the socket closes
      local d, from = u:receivefrom()
      if not d then break end
      table.insert(r.got[phase], d)
      r.from = from
    end
  end)
  local l = assert(h:listen(PORT))
  r.listener = l
  h:spawn(function()
    local c = l:accept()
    r.stream = c:receive("*a")
    c:close()
  end)
end

-- 0 s: once, to everybody (SO_BROADCAST, as Linux needs for a broadcast address)
speaker:spawn(function()
  local u = speaker:udp{broadcast = true}
  for j = 1, NEWS do assert(u:sendto(news[j], BCAST, PORT)) end
  u:close()
end)
many:run("500ms")
local flooded = sw:stats().flooded
local quiet_ns = quiet:netstat()

-- 0.5 s: the receivers join the group (IP_ADD_MEMBERSHIP); each tells the
-- routers with an IGMPv3 report, sent twice.  0.6 s: the news, to the group.
phase = "mcast"
for _, r in ipairs(rx) do assert(r.udp:join(GROUP)) end
speaker:spawn(function()
  lunet.sleep("100ms")
  local u = speaker:udp()          -- no option needed to send to a group
  for j = 1, NEWS do assert(u:sendto(news[j], GROUP, PORT)) end
  u:close()
end)
many:run("1.5s")
local quiet_mcast_ns = quiet:netstat()
local groups = rx[1].host.eth0:groups()

-- 1.5 s: the same news over TCP: one connection per receiver
phase = "tcp"
local tcp_ok = 0
for _, r in ipairs(rx) do
  speaker:spawn(function()
    local s = assert(speaker:connect(r.host:ip(), PORT))
    for j = 1, NEWS do s:send(news[j]) end
    s:close()
    tcp_ok = tcp_ok + 1
  end)
end
many:run()
for _, r in ipairs(rx) do r.listener:close(); r.udp:close() end
local spk = speaker:netstat()

sc:say({en = "C. One to many: the speaker 10.0.1.10, %d receivers and a bystander (quiet)",
        zh = "C. 一对多：发言者 10.0.1.10、%d 个接收方和一个旁观者（quiet）"}, K.receivers)
sc:say({en = "on one switch. It sends %d short messages (%d bytes) to all receivers.",
        zh = "接在同一台交换机上。它要把 %d 条短消息（%d 字节）发给所有接收方。"}, NEWS, NEWS_BYTES)
print()
local function row3(a, b, c, d)
  print("  " .. pad(a, 30) .. " " .. pad(tostring(b), 14) .. " " .. pad(tostring(c), 14) .. " " .. tostring(d))
end
row3("", L("UDP broadcast", "UDP 广播"), L("UDP multicast", "UDP 多播"),
     sc:t({en = "TCP, %d connections", zh = "TCP，%d 条连接"}, K.receivers))
row3(L("frames the speaker sent", "发言者发出的帧"), sent.bcast.frames, sent.mcast.frames, sent.tcp.frames)
row3(L("data bytes the speaker sent", "发言者发出的数据字节"), sent.bcast.bytes, sent.mcast.bytes,
     sent.tcp.bytes)
local got_b, got_m = {}, {}
for i, r in ipairs(rx) do got_b[i], got_m[i] = #r.got.bcast, #r.got.mcast end
row3(L("messages each receiver got", "每个接收方收到的消息"), table.concat(got_b, " "),
     table.concat(got_m, " "), L("all, as a stream", "全部（作为字节流）"))
row3(L("frames at the bystander's card", "到达旁观者网卡的帧"), quiet_heard.bcast, quiet_heard.mcast, 0)
row3(L("of them, up to its UDP", "其中送到其 UDP 的"), quiet_dropped.bcast, quiet_dropped.mcast, 0)
print()
sc:say({en = "UDP can send one datagram to a broadcast address (%s:%d): the switch",
        zh = "UDP 可以把一个数据报发往广播地址（%s:%d）：交换机把"}, BCAST, PORT)
sc:say({en = "floods each frame to every port (%d frames flooded), and every host bound to",
        zh = "每一帧泛洪到所有端口（泛洪了 %d 帧），绑定了该端口的每台主机"}, flooded)
sc:say({en = "the port reads its copy: %d frames on the speaker's link reach %d receivers.",
        zh = "都读到自己的一份：发言者链路上的 %d 帧到达了 %d 个接收方。"}, sent.bcast.frames, K.receivers)
sc:say({en = "A broadcast reaches everybody, wanted or not: quiet's card took all %d and its",
        zh = "广播到达每一台主机，无论它想不想要：quiet 的网卡收下了全部 %d 帧，"}, quiet_heard.bcast)
sc:say({en = "stack dropped them, %d with no socket on the port, and answered none: no ICMP",
        zh = "协议栈又把它们丢弃了（%d 个，该端口上没有套接字），且一个也没有回应："}, quiet_dropped.bcast)
sc:say{en = "port unreachable for a broadcast (Linux counts them as UdpIgnoredMulti).",
       zh = "不会用 ICMP 端口不可达回应广播（Linux 把它们计入 UdpIgnoredMulti）。"}
print()
sc:say({en = "Multicast sends to a group (%s) instead: only hosts that joined it take it.",
        zh = "多播（组播）则发往一个组（%s）：只有加入了该组的主机才会收下。"}, GROUP)
sc:say{en = "Joining (IP_ADD_MEMBERSHIP) does two things: the card now accepts the group's",
       zh = "加入组（IP_ADD_MEMBERSHIP）做两件事：网卡从此接收该组的"}
sc:say({en = "MAC address %s (01:00:5e + the group's low 23 bits), and the host",
        zh = "MAC 地址 %s（01:00:5e 加上组地址的低 23 位），并且主机"}, groups[#groups].mac)
sc:say{en = "sends an IGMPv3 report to 224.0.0.22 so that routers learn of it (twice,",
       zh = "向 224.0.0.22 发送 IGMPv3 报告，让路由器知道（发两次，"}
sc:say{en = "as Linux does: IGMP has no acknowledgment).",
       zh = "和 Linux 一样：IGMP 没有确认）。"}
sc:say({en = "This switch does no IGMP snooping, so it still floods the group's frames; but",
        zh = "这台交换机不做 IGMP 侦听，所以仍然泛洪该组的帧；但"})
sc:say({en = "quiet's card filtered all %d (EthInOtherHost): its stack never saw them.",
        zh = "quiet 的网卡把 %d 帧全部过滤掉了（EthInOtherHost）：它的协议栈根本没看见。"},
       quiet_filtered.mcast)
sc:say{en = "The group datagrams leave with TTL 1 (IP_MULTICAST_TTL): they stay on the LAN.",
       zh = "组播数据报的 TTL 为 1（IP_MULTICAST_TTL）：它们不会离开本局域网。"}
print()
sc:say{en = "TCP is point to point only: one connection per receiver, each with its",
       zh = "TCP 只能点到点：每个接收方一条连接，每条都有自己的"}
sc:say({en = "handshake, ACKs and close; the speaker sends the data %d times (%d frames).",
        zh = "握手、确认和挥手；发言者把数据发送了 %d 遍（%d 帧）。"}, K.receivers, sent.tcp.frames)
print()
sc:pcaps(mcaps)
print()

expect(sent.bcast.frames, "C: one frame per broadcast datagram"):eq(NEWS)
expect(sent.bcast.bytes, "C: the news once"):eq(NEWS_BYTES)
expect(flooded, "C: the switch flooded each broadcast frame"):eq(NEWS)
expect(sent.mcast.frames, "C: one frame per multicast datagram"):eq(NEWS)
expect(sent.mcast.bytes, "C: the news once more"):eq(NEWS_BYTES)
for i, r in ipairs(rx) do
  expect(#r.got.bcast, "C: broadcast datagrams receiver " .. i .. " read"):eq(NEWS)
  expect(table.concat(r.got.bcast), "C: receiver " .. i .. "'s broadcast datagrams"):eq(table.concat(news))
  expect(table.concat(r.got.mcast), "C: receiver " .. i .. "'s group datagrams"):eq(table.concat(news))
  expect(r.from, "C: receiver " .. i .. " heard the speaker"):eq("10.0.1.10")
  expect(r.stream, "C: receiver " .. i .. "'s TCP stream"):eq(table.concat(news))
end
expect(groups[#groups].group, "C: the receivers' card joined the group"):eq(GROUP)
expect(groups[#groups].mac, "C: at the group's MAC address"):eq("01:00:5e:01:02:03")
expect(quiet_heard.bcast, "C: the bystander's card got every broadcast"):eq(NEWS)
expect(quiet_dropped.bcast, "C: and its stack dropped them"):eq(NEWS)
expect(quiet_ns.UdpNoPorts, "C: not as a port without a socket"):eq(0)
expect(quiet_ns.IcmpOutDestUnreachs, "C: no port unreachable for a broadcast"):eq(0)
expect(quiet_heard.mcast, "C: the switch flooded the group's frames to the bystander"):eq(NEWS)
expect(quiet_filtered.mcast, "C: its card filtered every one"):eq(NEWS)
expect(quiet_dropped.mcast, "C: none went up to its UDP"):eq(0)
expect(quiet_mcast_ns.UdpIgnoredMulti, "C: so UDP never saw them"):eq(quiet_ns.UdpIgnoredMulti)
expect(tcp_ok, "C: TCP connections that delivered"):eq(K.receivers)
expect(spk.TcpActiveOpens, "C: one connection per receiver"):eq(K.receivers)
expect(sent.tcp.bytes, "C: TCP carried the news once per receiver"):eq(K.receivers * NEWS_BYTES)
expect(sent.tcp.frames, "C: handshake, data, close: at least 4 frames a connection"):ge(4 * K.receivers)
sc:claim({en = "C: TCP needed more frames than the broadcast", zh = "C：TCP 需要的帧比广播多"},
         sent.tcp.frames > sent.bcast.frames, true)

------------------------------------------------------------------------
-- D: a shared bottleneck
------------------------------------------------------------------------

local BOTTLENECK = lunet.rate("10Mbps")
local STEP = lunet.time("500ms")                  -- one table row
local END = lunet.time("6s")                      -- TCP sends from 0 to 6 s
local U0, U1 = lunet.time("2s"), lunet.time("4s") -- UDP sends from 2 s to 4 s
local PAYLOAD = 1200                              -- bytes of each UDP datagram
local FRAME = 14 + 20 + 8 + PAYLOAD               -- as the link serializes it

local shared = lunet.net{name = "tcp_vs_udp_shared"}
local tsrc, usrc = shared:host("tcp_sender"), shared:host("udp_sender")
local r1, sink = shared:router("r1"), shared:host("receiver")
shared:link(tsrc, r1, {bandwidth = "100Mbps", delay = "1ms", ip = {"10.0.2.1/24", "10.0.2.254/24"}})
shared:link(usrc, r1, {bandwidth = "100Mbps", delay = "1ms", ip = {"10.0.3.1/24", "10.0.3.254/24"}})
local bottleneck = shared:link(r1, sink, {bandwidth = BOTTLENECK, delay = "10ms", queue = 30,
                                          ip = {"10.0.4.254/24", "10.0.4.1/24"}})
tsrc:gateway("10.0.2.254")
usrc:gateway("10.0.3.254")
sink:gateway("10.0.4.254")
local dcap = shared:capture{link = bottleneck, file = "tcp_vs_udp/bottleneck.pcap"}

local bins = {}                                   -- bits that reached the receiver
local qdrops = {tcp = 0, udp = 0}                 -- frames the full queue dropped
local cuts_cw = {}                                -- TCP's cwnd reductions
shared:on("rx", function(ev)
  if ev.node ~= "receiver" or (ev.proto ~= "tcp" and ev.proto ~= "udp") then return end
  local b = ev.time // STEP + 1
  bins[b] = bins[b] or {tcp = 0, udp = 0}
  bins[b][ev.proto] = bins[b][ev.proto] + ev.len * 8
end)
shared:on("drop", function(ev)
  if ev.reason == "queue full" and qdrops[ev.proto] then qdrops[ev.proto] = qdrops[ev.proto] + 1 end
end)
shared:on("cwnd", function(ev)
  if ev.node == "tcp_sender" and (ev.why == "recovery" or ev.why == "rto") then
    cuts_cw[#cuts_cw + 1] = {time = ev.time, why = ev.why, cwnd = ev.cwnd, ssthresh = ev.ssthresh}
  end
end)

local lst = assert(sink:listen(PORT))
sink:spawn(function()
  local c = lst:accept()
  while c:receive() do end
end)
local usink = sink:udp()
assert(usink:bind(PORT))
local udp_in = 0
sink:spawn(function()
  while usink:receivefrom() do udp_in = udp_in + 1 end
end)

tsrc:spawn(function()
  local s = assert(tsrc:connect("10.0.4.1", PORT))
  while lunet.now() < END do s:send(100000) end   -- never short of data
end)
local udp_out = 0
if UDP_RATE > 0 then
  usrc:spawn(function()
    lunet.sleep(U0 / 1e9)
    local s = usrc:udp()
    local gap = FRAME * 8 * S // UDP_RATE            -- ns between datagrams: the rate, always
    local payload = ("u"):rep(PAYLOAD)
    local t = U0
    while t < U1 do
      s:sendto(payload, "10.0.4.1", PORT)
      udp_out = udp_out + 1
      t = t + gap
      lunet.sleep(gap / 1e9)
    end
  end)
end
shared:run_until(END)
dcap:flush()

-- average Mbit/s of one protocol over [from, to)
local function avg(proto, from, to)
  local bits = 0
  for b = from // STEP + 1, to // STEP do bits = bits + ((bins[b] or {})[proto] or 0) end
  return mbit(bits, to - from)
end
local tcp_before = avg("tcp", S, U0)
local tcp_during, udp_during = avg("tcp", U0 + STEP, U1), avg("udp", U0 + STEP, U1)
local tcp_after = avg("tcp", END - S, END)
local udp_rate_mbit = UDP_RATE / 1e6
-- how far TCP backed off: ssthresh at its last cut before UDP came, and
-- the lowest it fell to while UDP was sending
local ss_before, ss_during = math.huge, math.huge
for _, c in ipairs(cuts_cw) do
  if c.time < U0 then ss_before = c.ssthresh
  elseif c.time < U1 + STEP then ss_during = math.min(ss_during, c.ssthresh) end
end

sc:say{en = "D. Congestion control or none: a TCP sender and a UDP sender share one link",
       zh = "D. 有拥塞控制与没有拥塞控制：一个 TCP 发送方和一个 UDP 发送方共用一条链路"}
sc:say({en = "r1 -> receiver of %g Mbit/s, 10 ms (queue 30 frames). TCP sends all the time,",
        zh = "r1 -> 接收方，%g Mbit/s，10 ms（队列 30 帧）。TCP 一直在发送，"}, BOTTLENECK / 1e6)
sc:say({en = "UDP a constant %g Mbit/s from %g to %g s. Mbit/s at the receiver, headers included:",
        zh = "UDP 以恒定的 %g Mbit/s 从 %g 秒发到 %g 秒。接收方收到的 Mbit/s（含首部）："},
       udp_rate_mbit, U0 / S, U1 / S)
print()
print("  " .. pad(L("time (s)", "时间（秒）"), 12) .. "   TCP     UDP   " ..
      L("(T = TCP, U = UDP, one mark = 0.5 Mbit/s)", "（T = TCP，U = UDP，每格 0.5 Mbit/s）"))
for b = 1, END // STEP do
  local x = bins[b] or {tcp = 0, udp = 0}
  local t_, u_ = mbit(x.tcp, STEP), mbit(x.udp, STEP)
  print(string.format("  %4.1f-%4.1f    %5.2f   %5.2f   %s%s", (b - 1) * STEP / S, b * STEP / S, t_, u_,
                      ("T"):rep(math.floor(t_ * 2 + 0.5)), ("U"):rep(math.floor(u_ * 2 + 0.5))))
end
print()
sc:say({en = "Alone, TCP fills the link (%.2f Mbit/s from 1 to 2 s).",
        zh = "单独时 TCP 占满链路（1 到 2 秒为 %.2f Mbit/s）。"}, tcp_before)
if udp_out > 0 then
  sc:say({en = "When UDP starts it sends %d datagrams at its %g Mbit/s whatever happens: UDP has",
          zh = "UDP 开始后，它不管发生什么都发出 %d 个数据报，保持 %g Mbit/s：UDP"}, udp_out, udp_rate_mbit)
  sc:say{en = "no congestion control, so congestion in the network does not slow its source down.",
         zh = "没有拥塞控制，因此网络出现拥塞不会使源主机的发送速率降低。"}
else
  sc:say{en = "This time the UDP sender sends nothing (udp_rate=0): TCP keeps the link.",
         zh = "这次 UDP 发送方什么也不发（udp_rate=0）：链路归 TCP 独占。"}
end
sc:say({en = "The queue overflowed: it dropped %d UDP datagrams (%d of %d arrived, never resent)",
        zh = "队列溢出：丢弃了 %d 个 UDP 数据报（%d / %d 到达，丢了也不重传）"}, qdrops.udp, udp_in, udp_out)
sc:say({en = "and %d TCP segments. TCP takes each loss as a sign of congestion and backs off:",
        zh = "和 %d 个 TCP 报文段。TCP 把每次丢包当作拥塞的信号而退让："}, qdrops.tcp)
local function at(ns) return string.format("%6.3f s", ns / S) end
for _, c in ipairs(cuts_cw) do
  local alone = c.time < U0 or UDP_RATE == 0 or c.time > U1 + STEP
  if c.why == "recovery" then
    sc:say({en = "  %s  fast retransmit and fast recovery: ssthresh %d segments%s",
            zh = "  %s  快重传、快恢复：ssthresh 降为 %d 个报文段%s"}, at(c.time), c.ssthresh,
           alone and sc:t{en = " (UDP silent: TCP's own probing filled the queue)",
                          zh = "（UDP 未发送：是 TCP 自己的试探填满了队列）"} or "")
  else
    sc:say({en = "  %s  retransmission timeout: cwnd 1, ssthresh %d, slow start again",
            zh = "  %s  超时重传：cwnd 降为 1，ssthresh %d，重新慢开始"}, at(c.time), c.ssthresh)
  end
end
local rtos = 0
for _, c in ipairs(cuts_cw) do if c.why == "rto" then rtos = rtos + 1 end end
if rtos > 0 then
  sc:say{en = "  (Linux would often repair such losses without a timeout, by RACK and tail-loss",
         zh = "  （Linux 常能不等超时就修复这类丢失，靠 RACK 和尾部丢失探测（TLP）；"}
  sc:say{en = "  probes; lunet implements neither and waits for the retransmission timer.)",
         zh = "  lunet 没有实现这两者，只能等重传定时器超时。）"}
end
sc:say({en = "From 2.5 to 4 s TCP gets %.2f Mbit/s and UDP %.2f: UDP takes what it sends,",
        zh = "2.5 到 4 秒 TCP 得到 %.2f Mbit/s，UDP 得到 %.2f：UDP 发多少就占多少，"}, tcp_during, udp_during)
sc:say{en = "TCP what is left. When UDP stops, TCP's congestion avoidance grows its window",
       zh = "TCP 得到剩下的。UDP 停止后，TCP 的拥塞避免让窗口重新增长，"}
sc:say({en = "back and it fills the link again (%.2f Mbit/s from 5 to 6 s). That is why",
        zh = "再次占满链路（5 到 6 秒为 %.2f Mbit/s）。所以"}, tcp_after)
sc:say{en = "TCP suits file transfer (every byte, as fast as the network allows) and UDP",
       zh = "TCP 适合文件传输（每个字节都要，网络允许多快就多快），UDP 适合"}
sc:say{en = "voice and video (on time, at its own rate): a UDP application must add its own",
       zh = "IP 电话和视频（准时、按自己的速率）：UDP 应用若想对网络友好，"}
sc:say{en = "congestion control if it wants to be fair to the others.",
       zh = "必须在上层自己实现拥塞控制。"}
print()
sc:say({en = "pcap: %s (%d frames, the bottleneck link)", zh = "pcap：%s（%d 帧，瓶颈链路）"},
       dcap.path, dcap:count())

local gap = UDP_RATE > 0 and FRAME * 8 * S // UDP_RATE or 0
expect(udp_out, "D: UDP sent at its rate, losses or not"):eq(UDP_RATE > 0 and (U1 - U0 + gap - 1) // gap or 0)
expect(udp_in + qdrops.udp, "D: every UDP datagram arrived or died in the queue"):eq(udp_out)
for b = 1, END // STEP do
  local x = bins[b] or {tcp = 0, udp = 0}
  -- (plus one full-sized frame that may straddle the bin's edge)
  expect(mbit(x.tcp + x.udp, STEP), "D: no more than the link carries"):le(BOTTLENECK / 1e6 + 1514 * 8 * S / STEP / 1e6)
end
sc:claim({en = "D: TCP alone fills the bottleneck (>= 9.5 Mbit/s, 1-2 s)",
          zh = "D：TCP 单独时占满瓶颈链路（1-2 秒 >= 9.5 Mbit/s）"}, tcp_before >= 9.5, true)
sc:claim({en = "D: UDP gets nearly all it sends (>= 90%, 2.5-4 s)",
          zh = "D：UDP 几乎得到它发送的全部（2.5-4 秒 >= 90%）"}, udp_during >= 0.9 * udp_rate_mbit, true)
sc:claim({en = "D: TCP gets what is left (<= link - 90% of UDP's rate, 2.5-4 s)",
          zh = "D：TCP 得到剩下的（2.5-4 秒 <= 链路速率 - UDP 速率的 90%）"},
         tcp_during <= BOTTLENECK / 1e6 - 0.9 * udp_rate_mbit, true)
sc:claim({en = "D: together they keep the link busy (>= 9 Mbit/s, 2.5-4 s)",
          zh = "D：两者一起让链路保持繁忙（2.5-4 秒 >= 9 Mbit/s）"}, tcp_during + udp_during >= 9, true)
sc:claim({en = "D: the full queue dropped UDP datagrams", zh = "D：满的队列丢弃了 UDP 数据报"},
         qdrops.udp > 0, true)
sc:claim({en = "D: while UDP sends, TCP's ssthresh falls below half of what it was alone",
          zh = "D：UDP 发送期间，TCP 的 ssthresh 降到单独时的一半以下"}, ss_during < ss_before / 2, true)
sc:claim({en = "D: TCP fills the link again after UDP stops (>= 9.5 Mbit/s, 5-6 s)",
          zh = "D：UDP 停止后 TCP 再次占满链路（5-6 秒 >= 9.5 Mbit/s）"}, tcp_after >= 9.5, true)
lst:close()
usink:close()
