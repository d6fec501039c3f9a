-- headers.lua - the headers of a frame (point 11 of the notes, and point
-- 10's "TCP header >= 20 bytes, UDP header 8"): the IPv4, TCP and UDP
-- header formats drawn as the RFCs draw them, 32 bits to a row, each box
-- filled with the value from a real frame of this run.
--
--   client 10.0.0.1/24 ======= 100 Mbit/s, 1 ms ======= server 10.0.0.2/24
--
-- The client opens a TCP connection to port 7 (echo: a port Wireshark
-- will not take for HTTP), sends one short line and closes; then it sends
-- the same line once more as a UDP datagram to port 7.  ISNs are fixed at
-- 1000 (client) and 2000 (server), as in the notes, so the sequence
-- numbers in the boxes read easily.  Three frames are taken apart, as they
-- left the client: the SYN (a TCP header with options), the data segment,
-- and the UDP datagram.  Each is first shown as encapsulation: frame =
-- Ethernet header + IP header + TCP/UDP header + data, with the PDU name of
-- every layer (frame, packet, segment or datagram, data).
--
-- The diagrams come from lunet.headerdiagram, which reads dissections
-- (lunet.dissect, field names as Wireshark's); the frames come from the
-- "tx" events, so the picture only reads what the events carried.
--
-- Run:   lunet run scripts/headers.lua [knob=value ...]   (--help lists the
--        knobs, --lang zh explains in Chinese)
-- Then open the pcap file it names in Wireshark and compare field by field.

local hd = require "lunet.headerdiagram"

local sc = require("lunet.scenario").new{
  name = "headers",
  title = {en = "Headers: IPv4, TCP and UDP, drawn as the RFCs draw them, with this run's values",
           zh = "首部：按 RFC 的画法画出 IPv4、TCP 和 UDP 首部，填入本次运行中的实际值"},
  knobs = {
    {"proto", default = "both", try = "udp", values = {"tcp", "udp", "both"},
     help = {en = "which transport to send the line with", zh = "用哪种运输层协议发送这一行数据"}},
    {"payload", default = "hello", try = "abcdefghijklmnopqrstuvwxyz0123456789",
     help = {en = "the application data sent", zh = "发送的应用层数据"}},
    {"options", default = true, try = "off", kind = "boolean",
     help = {en = "TCP timestamps, SACK and window scaling (off: only MSS in the SYN)",
             zh = "TCP 时间戳、SACK 与窗口扩大选项（off：SYN 中只剩 MSS）"}},
  },
}
local K = sc.k
-- One frame each: a line longer than one segment would be split (TCP) or
-- fragmented (UDP), and this scenario is about one frame's headers.
local MAX_PAYLOAD = 1400
if #K.payload > MAX_PAYLOAD then
  sc:say({en = "(payload cut to its first %d bytes, so that it fits in one frame)",
          zh = "（数据截取前 %d 字节，使之能放进一个帧）"}, MAX_PAYLOAD)
  K.payload = K.payload:sub(1, MAX_PAYLOAD)
end

local PORT = 7
local ETH = 14                       -- Ethernet header: two MACs and the type
local MIN_FRAME = 60                 -- Ethernet's least frame without its FCS
local use_tcp, use_udp = K.proto ~= "udp", K.proto ~= "tcp"

------------------------------------------------------------------------
-- the run
------------------------------------------------------------------------

local net = lunet.net{name = "headers"}
local client, server = net:host("client"), net:host("server")
net:link(client, server, {bandwidth = "100Mbps", delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- static ARP: the capture holds only the frames the text talks about
client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
-- the notes' ISNs (real stacks pick them at random, RFC 6528)
client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
for _, h in ipairs{client, server} do
  h:sysctl("net.ipv4.tcp_timestamps", K.options)
  h:sysctl("net.ipv4.tcp_sack", K.options)
  h:sysctl("net.ipv4.tcp_window_scaling", K.options)
end
local cap = net:capture{iface = client.eth0, file = "headers.pcap"}

-- Every frame either host sent, dissected; the first SYN, data segment and
-- UDP datagram of the client's.
local frames, F = {}, {}
net:on("tx", function(ev)
  if ev.node ~= "client" and ev.node ~= "server" then return end
  local d = ev.packet
  frames[#frames + 1] = {node = ev.node, len = ev.len, d = d, time = ev.time}
  if ev.node ~= "client" then return end
  if d.tcp and d.tcp.flags == "S" then F.syn = F.syn or d
  elseif d.tcp and d.payload and #d.payload > 0 then F.data = F.data or d
  elseif d.udp then F.udp = F.udp or d end
end)

local got_tcp, got_udp
local listener = use_tcp and assert(server:listen(PORT))
local u = server:udp()
assert(u:bind(PORT))
if use_tcp then
  server:spawn(function()
    local c = listener:accept()
    got_tcp = c:receive("*a")
    c:close()
  end)
end
if use_udp then
  server:spawn(function() got_udp = u:receivefrom({timeout = "1s"}) end)
end
client:spawn(function()
  if use_tcp then
    local s = assert(client:connect("10.0.0.2", PORT))
    if #K.payload > 0 then assert(s:send(K.payload)) end
    s:close()
    lunet.sleep("100ms")                 -- the close is done before the datagram
  end
  if use_udp then
    local c = client:udp()
    assert(c:sendto(K.payload, "10.0.0.2", PORT))
    c:close()
  end
end)
net:run()
if listener then listener:close() end
u:close()
cap:flush()

------------------------------------------------------------------------
-- what the frames hold
------------------------------------------------------------------------

local S = hd.sizes
local function show_lines(lines) for _, l in ipairs(lines) do print(l) end end
local NAMES = {
  en = {eth = "Ethernet %d B", ip = "IP header %d B", tcp = "TCP header %d B", udp = "UDP header %d B",
        data_cell = "data %d B", pad = "padding %d B", frame = "frame: %d B", packet = "IP packet: %d B",
        segment = "TCP segment: %d B", datagram = "UDP datagram: %d B", data = "data: %d B"},
  zh = {eth = "以太网首部 %d", ip = "IP 首部 %d", tcp = "TCP 首部 %d", udp = "UDP 首部 %d",
        data_cell = "数据 %d", pad = "填充 %d", frame = "帧：%d 字节", packet = "IP 分组：%d 字节",
        segment = "TCP 报文段：%d 字节", datagram = "UDP 用户数据报：%d 字节", data = "数据：%d 字节"},
}
local names = NAMES[sc.lang] or NAMES.en

sc:say{en = "Each layer puts its own header in front of what the layer above handed it",
       zh = "每一层都在上层交来的内容前面加上自己的首部（封装），接收方再按相反的顺序"}
sc:say{en = "(encapsulation); the receiver takes them off again in the reverse order.",
       zh = "逐层去掉这些首部。"}
sc:say{en = "Captures show the frame from the destination MAC on; the 8-byte preamble before it",
       zh = "抓包看到的帧从目的 MAC 地址开始；帧前的 8 字节前导码和帧尾的 4 字节"}
sc:say{en = "and the 4-byte FCS (frame check sequence) after it are the network card's business.",
       zh = "帧检验序列（FCS）由网卡处理，不出现在抓包中。"}

-- The PDU names, layer by layer, with the sizes of this frame.
local function pdus(d)
  local s = S(d)
  local l4 = s.l4name == "TCP" and sc:t{en = "TCP segment", zh = "TCP 报文段"}
                                or sc:t{en = "UDP datagram", zh = "UDP 用户数据报"}
  sc:say{en = "  layer (TCP/IP model)   PDU                 bytes in this frame",
         zh = "  层（TCP/IP 模型）      协议数据单元        本帧中的字节数"}
  local function row(layer, pdu, n)
    print("  " .. layer .. (" "):rep(math.max(1, 23 - hd.width(layer))) .. pdu ..
          (" "):rep(math.max(1, 20 - hd.width(pdu))) .. n)
  end
  row(sc:t{en = "application", zh = "应用层"}, sc:t{en = "data (message)", zh = "数据（报文）"}, s.data)
  row(sc:t{en = "transport", zh = "运输层"}, l4, s.l4 + s.data)
  row(sc:t{en = "network", zh = "网络层"}, sc:t{en = "IP packet", zh = "IP 分组（数据报）"},
      s.ip + s.l4 + s.data)
  row(sc:t{en = "link", zh = "数据链路层"}, sc:t{en = "frame", zh = "帧"}, s.frame)
  row(sc:t{en = "physical", zh = "物理层"}, sc:t{en = "bits", zh = "比特流"},
      sc:t({en = "%d x 8 = %d bits", zh = "%d x 8 = %d 比特"}, s.frame, s.frame * 8))
  return s
end

local function encap(d)
  local lines = hd.encapsulation(d, names)
  show_lines(lines)
end

-- One line per field: its name in the diagram, the word for it, what it says.
local function legend(rows)
  for _, r in ipairs(rows) do
    sc:say({en = "    %-22s %s", zh = "    %-22s %s"}, r[1], sc:t(r[2], table.unpack(r, 3)))
  end
end

local function optnames(list)
  local t = {}
  for _, o in ipairs(list or {}) do
    if type(o) == "string" then t[#t + 1] = ({nop = "NOP", eol = "EOL", sack_perm = "SACK-OK"})[o] or o
    elseif o.mss then t[#t + 1] = "MSS"
    elseif o.ws then t[#t + 1] = "WScale"
    elseif o.ts then t[#t + 1] = "TS"
    elseif o.sack then t[#t + 1] = "SACK"
    else t[#t + 1] = "kind " .. tostring(o.kind) end
  end
  return t
end

------------------------------------------------------------------------
-- TCP
------------------------------------------------------------------------

if use_tcp then
  local syn, dat = F.syn, F.data
  print()
  sc:say{en = "1. TCP. The client's SYN, as it left the client. A TCP header is 20 bytes of fixed",
         zh = "1. TCP。客户端发出的 SYN 报文段。TCP 首部由 20 字节的固定部分和最多 40 字节"}
  sc:say{en = "   fields and up to 40 bytes of options (RFC 9293 3.1):",
         zh = "   的选项组成（RFC 9293 3.1）："}
  show_lines(hd.render(hd.tcp(syn.tcp, syn.payload, {empty = sc:t{en = "(none: a SYN carries no data)", zh = "（无：SYN 不携带数据）"}})))
  local t = syn.tcp
  legend{
    {"Source Port", {en = "the client's ephemeral port, %d", zh = "源端口：客户端的临时端口 %d"}, t.srcport},
    {"Destination Port", {en = "the service's port, %d (echo)", zh = "目的端口：服务的端口 %d（echo）"}, t.dstport},
    {"Sequence Number", {en = "the ISN, %d: a SYN carries no data but uses up one number",
                         zh = "序号：初始序号 ISN = %d；SYN 不携带数据，但要消耗一个序号"}, t.seq},
    {"Acknowledgment Number", {en = "the next byte expected; void while ACK=0",
                               zh = "确认号：期望收到的下一个字节的序号；ACK=0 时无效"}},
    {"Data Offset", {en = "header length in 32-bit words: %d x 4 = %d bytes (20..60)",
                     zh = "数据偏移（首部长度），以 4 字节为单位：%d x 4 = %d 字节（20..60）"},
     t.hdr_len // 4, t.hdr_len},
    {"Rsrvd", {en = "reserved, 0", zh = "保留，为 0"}},
    {"CWR ... FIN", {en = "control bits (flags): here only SYN is set", zh = "控制位（标志）：这里只有 SYN=1"}},
    {"Window", {en = "receive window, %d bytes (a SYN's is never scaled)",
                zh = "窗口：接收窗口 %d 字节（SYN 中的窗口不做扩大）"}, t.window},
    {"Checksum", {en = "over a pseudo-header (addresses, protocol, length), header, data",
                  zh = "检验和：覆盖伪首部（地址、协议、长度）、首部和数据"}},
    {"Urgent Pointer", {en = "only meaningful with URG=1",
                        zh = "紧急指针：仅在 URG=1 时有意义"}},
    {"Options", {en = "%d bytes here: %s", zh = "选项，这里共 %d 字节：%s"},
     t.hdr_len - 20, table.concat(optnames(t.options), ", ")},
  }
  sc:claim({en = "the SYN's TCP header is 40 bytes", zh = "SYN 的 TCP 首部为 40 字节"}, t.hdr_len, 40)
  sc:claim({en = "its options: MSS, SACK-OK, TS, NOP, WScale", zh = "其选项：MSS、SACK-OK、TS、NOP、WScale"},
           optnames(t.options), {"MSS", "SACK-OK", "TS", "NOP", "WScale"})
  expect(t.seq, "the SYN's seq is the fixed ISN"):eq(1000)
  expect(t.flags, "the SYN's flags"):eq("S")
  expect(t.checksum_status, "the SYN's TCP checksum"):eq("good")

  if dat then
    print()
    sc:say({en = "2. The data segment, %d bytes of data; first as encapsulation:",
            zh = "2. 携带 %d 字节数据的报文段；先看封装："}, #dat.payload)
    encap(dat)
    local s = pdus(dat)
    print()
    sc:say{en = "   Its IPv4 header (RFC 791 3.1): 20 bytes, no options.",
           zh = "   它的 IPv4 首部（RFC 791 3.1）：20 字节，没有选项。"}
    show_lines(hd.render(hd.ipv4(dat.ip)))
    local ip = dat.ip
    legend{
      {"Version", {en = "version: 4", zh = "版本：4"}},
      {"IHL", {en = "header length in 32-bit words: %d x 4 = %d bytes",
               zh = "首部长度，以 4 字节为单位：%d x 4 = %d 字节"}, ip.hdr_len // 4, ip.hdr_len},
      {"DSCP, ECN", {en = "differentiated services, congestion notification: 0",
                     zh = "区分服务与显式拥塞通知，为 0"}},
      {"Total Length", {en = "of the whole packet: %d = %d + %d + %d",
                        zh = "总长度：%d = %d + %d + %d"}, ip.len, s.ip, s.l4, s.data},
      {"Identification", {en = "ties the fragments of one packet together",
                          zh = "标识：同一分组的各个分片用它对应起来"}},
      {"RB, DF, MF", {en = "flags: DF=%d (TCP forbids fragmenting), MF=0",
                      zh = "标志：DF=%d（TCP 禁止分片），MF=0"}, ip.flags_df and 1 or 0},
      {"Fragment Offset", {en = "where a fragment goes, in units of 8 bytes: 0", zh = "片偏移，以 8 字节为单位：0"}},
      {"Time to Live", {en = "TTL: %d, less one at every router", zh = "生存时间 TTL：%d，每经过一个路由器减 1"}, ip.ttl},
      {"Protocol", {en = "what the data is: 6 = TCP, 17 = UDP", zh = "协议：数据部分的协议，6 = TCP，17 = UDP"}},
      {"Header Checksum", {en = "over the IP header only", zh = "首部检验和：只检验 IP 首部"}},
      {"Source, Destination", {en = "the addresses: %s > %s", zh = "源地址与目的地址：%s > %s"}, ip.src, ip.dst},
    }
    print()
    if dat.tcp.hdr_len > 20 then
      sc:say{en = "   Its TCP header: the same 20 bytes of fields; of the options only the timestamps",
             zh = "   它的 TCP 首部：同样是 20 字节的固定部分；选项只剩下时间戳"}
      sc:say{en = "   are left (two NOPs pad them to 12), and the data follows the header.",
             zh = "   （用两个 NOP 补齐到 12 字节），数据紧跟在首部之后。"}
    else
      sc:say{en = "   Its TCP header: the 20 bytes of fields and no options, the least a TCP header",
             zh = "   它的 TCP 首部：只有 20 字节的固定部分，没有选项，这是 TCP 首部的最小长度；"}
      sc:say{en = "   can be; the data follows the header.",
             zh = "   数据紧跟在首部之后。"}
    end
    show_lines(hd.render(hd.tcp(dat.tcp, dat.payload)))
    sc:say({en = "   seq %d = ISN + 1 (the SYN used %d); ack %d = the server's ISN + 1; PSH and ACK set;",
            zh = "   序号 %d = ISN + 1（SYN 用掉了 %d）；确认号 %d = 服务器的 ISN + 1；PSH 与 ACK 置 1；"},
           dat.tcp.seq, syn.tcp.seq, dat.tcp.ack)
    local shift = 0
    for _, o in ipairs(syn.tcp.options) do if type(o) == "table" and o.ws then shift = o.ws end end
    if shift > 0 then
      -- scaled by the shift the client announced in its own SYN (RFC 7323 2.3)
      sc:say({en = "   window %d, scaled now that the handshake is over: %d x 2^%d = %d bytes.",
              zh = "   窗口 %d，握手结束后要按扩大因子换算：%d x 2^%d = %d 字节。"},
             dat.tcp.window, dat.tcp.window, shift, dat.tcp.window << shift)
    else
      sc:say({en = "   window %d bytes: without window scaling it is never multiplied.",
              zh = "   窗口 %d 字节：没有窗口扩大选项，窗口值不需换算。"}, dat.tcp.window)
    end

    sc:claim({en = "the data segment's TCP header is 32 bytes (20 + 12 of timestamps)",
              zh = "数据报文段的 TCP 首部为 32 字节（20 + 12 字节时间戳）"}, dat.tcp.hdr_len, 32)
    sc:claim({en = "the data frame is 14 + 20 + 32 + 5 = 71 bytes", zh = "数据帧为 14 + 20 + 32 + 5 = 71 字节"},
             s.frame, 71)
    sc:claim({en = "the IP packet's total length is 57", zh = "IP 分组总长度为 57"}, ip.len, 57)
    expect({dat.tcp.seq, dat.tcp.ack, dat.tcp.flags}, "the data segment's seq, ack, flags"):eq({1001, 2001, "P."})
    expect(ip.proto, "protocol 6 = TCP"):eq(6)
    expect(ip.hdr_len, "the IP header"):eq(20)
    expect(dat.payload, "the data in the segment"):eq(K.payload:sub(1, #dat.payload))
    expect(dat.tcp.checksum_status, "the data segment's TCP checksum"):eq("good")
    expect(ip.checksum_status, "its IP header checksum"):eq("good")
  else
    sc:say{en = "   (The payload is empty: the client sent no data segment.)",
           zh = "   （数据为空：客户端没有发送数据报文段。）"}
  end
  expect(got_tcp, "what the server's TCP read"):eq(K.payload)
end

------------------------------------------------------------------------
-- UDP
------------------------------------------------------------------------

if use_udp then
  local d = F.udp
  print()
  sc:say({en = "%d. UDP. The same %d bytes as one UDP datagram; as encapsulation:",
          zh = "%d. UDP。同样的 %d 字节，作为一个 UDP 用户数据报发送；先看封装："},
         use_tcp and 3 or 1, #(d.payload or ""))
  encap(d)
  local s = pdus(d)
  if s.pad > 0 then
    sc:say({en = "   The frame would be %d bytes; Ethernet needs at least %d (64 with the FCS), so",
            zh = "   这个帧本来只有 %d 字节；以太网帧至少要 %d 字节（加上 FCS 为 64），所以"},
           s.frame - s.pad, MIN_FRAME)
    sc:say({en = "   %d bytes of zeros pad it. IP's total length and UDP's length leave them out.",
            zh = "   补了 %d 个字节的 0。IP 的总长度和 UDP 的长度都不包括这些填充。"}, s.pad)
  end
  if not use_tcp then
    print()
    sc:say{en = "   Its IPv4 header (RFC 791 3.1): 20 bytes, no options.",
           zh = "   它的 IPv4 首部（RFC 791 3.1）：20 字节，没有选项。"}
    show_lines(hd.render(hd.ipv4(d.ip)))
  end
  print()
  sc:say{en = "   The UDP header (RFC 768): 8 bytes, four fields, nothing else.",
         zh = "   UDP 首部（RFC 768）：8 字节，只有四个字段。"}
  show_lines(hd.render(hd.udp(d.udp, d.payload)))
  legend{
    {"Source Port", {en = "the client's ephemeral port, %d", zh = "源端口：客户端的临时端口 %d"}, d.udp.srcport},
    {"Destination Port", {en = "the service's port, %d", zh = "目的端口：服务的端口 %d"}, d.udp.dstport},
    {"Length", {en = "header and data: 8 + %d = %d bytes", zh = "长度：首部加数据，8 + %d = %d 字节"},
     #(d.payload or ""), d.udp.length},
    {"Checksum", {en = "over pseudo-header, header, data; 0: none (IPv4 only)",
                  zh = "检验和：覆盖伪首部、首部和数据；为 0 表示不检验（仅限 IPv4）"}},
  }
  sc:say{en = "   No sequence numbers, no acknowledgements, no window, no connection: what UDP",
         zh = "   没有序号，没有确认，没有窗口，也没有连接：UDP 不提供的，"}
  sc:say{en = "   does not offer it needs no field for.",
         zh = "   首部里也就不需要相应的字段。"}
  sc:claim({en = "the UDP datagram is 8 + 5 = 13 bytes", zh = "UDP 用户数据报为 8 + 5 = 13 字节"}, d.udp.length, 13)
  sc:claim({en = "the frame is padded from 47 to 60 bytes", zh = "帧从 47 字节填充到 60 字节"},
           {s.frame - s.pad, s.frame}, {47, 60})
  expect(d.ip.proto, "protocol 17 = UDP"):eq(17)
  expect(d.udp.length, "UDP length = 8 + data"):eq(8 + #K.payload)
  expect(d.udp.checksum_status, "the UDP checksum"):eq("good")
  expect(got_udp, "what the server's UDP socket read"):eq(K.payload)
end

------------------------------------------------------------------------
-- TCP against UDP: what the headers cost
------------------------------------------------------------------------

print()
sc:say{en = "Every frame of the run, headers and data (bytes):",
       zh = "本次运行的每一个帧，首部与数据（字节）："}
sc:say{en = "  from    what                  Ethernet  IP  TCP/UDP  data  padding  frame",
       zh = "  发送方  内容                  以太网    IP  TCP/UDP  数据  填充     帧"}
local cost = {tcp = {frames = 0, bytes = 0}, udp = {frames = 0, bytes = 0}}
for _, f in ipairs(frames) do
  local d, s = f.d, S(f.d)
  local what = d.tcp and ("TCP [" .. d.tcp.flags .. "]") or (d.udp and "UDP") or "?"
  print(string.format("  %-7s %-21s %8d %3d %8d %5d %8d %6d", f.node, what, s.eth, s.ip, s.l4, s.data,
                      s.pad, f.len))
  local c = cost[d.tcp and "tcp" or "udp"]
  c.frames, c.bytes = c.frames + 1, c.bytes + f.len
  -- true of every frame, whatever the knobs: the layers add up
  expect(s.frame, "frame = Ethernet + IP header + transport header + data + padding"):eq(f.len)
  expect(f.len, "no frame is shorter than Ethernet's minimum"):ge(MIN_FRAME)
  expect(d.ip.len, "IP total length = IP header + transport header + data"):eq(s.ip + s.l4 + s.data)
  if d.tcp then
    expect(d.tcp.hdr_len, "a TCP header is at least 20 bytes"):ge(20)
    expect(d.tcp.hdr_len % 4, "and a whole number of 32-bit words"):eq(0)
  end
  if d.udp then expect(s.l4, "a UDP header is 8 bytes"):eq(8) end
end
if use_tcp then
  sc:say({en = "TCP took %d frames, %d bytes, both ways, to deliver %d bytes of data: handshake,",
          zh = "TCP 双向共用了 %d 个帧、%d 字节，才送达 %d 字节数据：握手、"},
         cost.tcp.frames, cost.tcp.bytes, #K.payload)
  sc:say{en = "  data, acknowledgements and close, each with a header of 20 bytes or more.",
         zh = "  数据、确认和挥手，每个帧都带着至少 20 字节的 TCP 首部。"}
end
if use_udp then
  sc:say({en = "UDP took %d frame, %d bytes: an 8-byte header and no conversation at all.",
          zh = "UDP 只用了 %d 个帧、%d 字节：8 字节的首部，没有任何握手与确认。"},
         cost.udp.frames, cost.udp.bytes)
end
if use_tcp and use_udp then
  -- the server's delayed ACK of the data is overtaken by the client's FIN,
  -- so one ACK acknowledges both
  sc:claim({en = "TCP: 8 frames (3 handshake, 1 data, 4 close; one ACK covers data and FIN)",
            zh = "TCP：8 个帧（握手 3 个、数据 1 个、挥手 4 个；一个 ACK 同时确认数据和 FIN）"},
           cost.tcp.frames, 8)
end
print()
sc:say({en = "pcap: %s (%d frames) - open it in Wireshark and compare field by field",
        zh = "pcap：%s（%d 帧）——用 Wireshark 打开，逐个字段对照"}, cap.path, cap:count())
