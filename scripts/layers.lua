-- layers.lua - one HTTP request through a hub, a switch and a router: the
-- layers of a frame, and which device works at which layer (point 11 of
-- the notes; point 12's socket = IP address + protocol + port at the end).
--
--   client 10.0.1.1 --+
--                     hub1 --- sw1 --- r1 --- server 10.0.2.2
--   h3     10.0.1.3 --+         |      10.0.1.254 | 10.0.2.254
--                              h4 10.0.1.4
--   (every link 100 Mbit/s, 1 ms)
--
-- The client asks the server for /index.html.  We read the request back
-- from the capture files, byte by byte, as Wireshark would: once as it
-- left the client, once as it reached the server.  h3 and h4 only listen.
-- What-ifs: device=switch puts a second switch (sw0) where hub1 is, so h3
-- hears nothing of the conversation; payload=3000 makes the request a
-- POST with a 3000-byte body, more than one segment carries.
--
-- Run:   lunet run scripts/layers.lua [knob=value ...]   (--help lists the
--        knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark.

local hd = require "lunet.headerdiagram"

local sc = require("lunet.scenario").new{
  name = "layers",
  title = {en = "Layers: a frame taken apart, and the device that works at each layer",
           zh = "分层：拆开一个帧，看每一层由哪种设备处理"},
  knobs = {
    {"device", default = "hub", try = "switch", values = {"hub", "switch"},
     help = {en = "what the client and h3 share: a hub (layer 1) or a switch (layer 2)",
             zh = "客户端和 h3 共用的设备：集线器（第 1 层）还是交换机（第 2 层）"}},
    {"payload", default = 0, try = 3000, kind = "integer", min = 0, max = 100000,
     help = {en = "bytes the client uploads with its request (0: a plain GET; more: a POST)",
             zh = "客户端随请求上传的字节数（0：普通的 GET；大于 0：POST）"}},
  },
}
local K = sc.k
local HUB = K.device == "hub"

local net = lunet.net{name = "layers"}
local client, h3 = net:host("client"), net:host("h3")
local h4, server = net:host("h4"), net:host("server")
local first = HUB and net:hub("hub1") or net:switch("sw0")   -- the client's and h3's device
local sw, r1 = net:switch("sw1"), net:router("r1")
local LAN = {bandwidth = "100Mbps", delay = "1ms"}
local function link(a, b, ip)
  return net:link(a, b, {bandwidth = LAN.bandwidth, delay = LAN.delay, ip = ip})
end
link(client, first, {"10.0.1.1/24"})
link(h3, first, {"10.0.1.3/24"})
link(first, sw)
link(h4, sw, {"10.0.1.4/24"})
link(sw, r1, {nil, "10.0.1.254/24"})
link(r1, server, {"10.0.2.254/24", "10.0.2.2/24"})
for _, h in ipairs{client, h3, h4} do h:route("default", "10.0.1.254") end
server:route("default", "10.0.2.254")
local caps = net:capture{dir = "layers"}   -- one pcap per interface

local METHOD = K.payload > 0 and "POST" or "GET"
local UPLOAD = ("x"):rep(K.payload)
local REQUEST = METHOD .. " /index.html HTTP/1.1\r\nHost: 10.0.2.2\r\n" ..
                (K.payload > 0 and "Content-Length: " .. K.payload .. "\r\n" or "") .. "\r\n" .. UPLOAD
local BODY = "<h1>hello</h1>\n"

-- Every frame the bystanders' network cards receive, and the client's
-- data segments.
local heard = {h3 = {tcp = 0, arp = 0}, h4 = {tcp = 0, arp = 0}}
local data_segs = 0
net:on("rx", function(ev)
  local h = heard[ev.node]
  if not h then return end
  if ev.proto == "tcp" then h.tcp = h.tcp + 1
  elseif (ev.summary or ""):match("^ARP") then h.arp = h.arp + 1 end
end)
net:on("tx", function(ev)
  if ev.node == "client" and ev.proto == "tcp" and ev.payload > 0 then data_segs = data_segs + 1 end
end)

-- The server: HTTP on TCP port 80, and, to make a point, a UDP socket on
-- port 80 too.
local listener = assert(server:listen(80))
local udp80 = server:udp()
assert(udp80:bind(80))
local uploaded
server:spawn(function()
  local c = listener:accept()
  local len = 0
  repeat
    local line = c:receive("*l")
    len = tonumber(line:match("^Content%-Length: (%d+)")) or len
  until line == ""
  uploaded = len > 0 and c:receive(len) or ""
  c:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #BODY .. "\r\n\r\n" .. BODY)
  c:receive()                      -- nil, "closed": the client is done
  c:close()
end)

local reply, ss_client, ss_server, wscale, mss
client:spawn(function()
  local s = assert(client:connect("10.0.2.2", 80))
  wscale = s:info().wscale[2]      -- our window is sent divided by 2^wscale
  mss = s:info().mss
  s:send(REQUEST)
  local status = s:receive("*l")
  repeat local line = s:receive("*l") until line == ""
  reply = {status = status, body = s:receive(#BODY)}
  ss_client, ss_server = client:sockets(), server:sockets()
  s:close()
  lunet.sleep("100ms")             -- the close is done: stop here
  net:stop()
end)
net:run()
listener:close()
udp80:close()

------------------------------------------------------------------------
-- read the request back from the pcaps
------------------------------------------------------------------------

local path = {}
for _, c in ipairs(caps) do c:flush(); path[c.path:match("([^/]+)%.pcap$")] = c.path end

local frames = require("lunet.util").pcap_frames

local function mac(b, i)
  return string.format("%02x:%02x:%02x:%02x:%02x:%02x", b:byte(i, i + 5))
end
local function ip(b, i) return string.format("%d.%d.%d.%d", b:byte(i, i + 3)) end

-- Split a frame into its layers (offsets are 1-based, as in Lua).
local function decode(fr)
  local e = {dst = mac(fr, 1), src = mac(fr, 7), type = string.unpack(">I2", fr, 13),
             hlen = 14}
  local p = fr:sub(15)
  local vhl, _, tot, id, _, ttl, proto, csum = string.unpack(">BBI2I2I2BBI2", p)
  local i = {version = vhl >> 4, hlen = (vhl & 15) * 4, total = tot, id = id, ttl = ttl,
             proto = proto, csum = csum, src = ip(p, 13), dst = ip(p, 17)}
  local s = p:sub(i.hlen + 1, tot)
  local sport, dport, seq, ack, off, flags, win, tcsum = string.unpack(">I2I2I4I4BBI2I2", s)
  local t = {sport = sport, dport = dport, seq = seq, ack = ack, hlen = (off >> 4) * 4,
             flags = flags, win = win, csum = tcsum, bytes = s}
  return {eth = e, ip = i, tcp = t, data = s:sub(t.hlen + 1), len = #fr}
end

local FIRST_LINE = METHOD .. " /index.html"
local function find_request(file)
  for n, fr in ipairs(frames(file)) do
    if fr:find(FIRST_LINE, 1, true) then return decode(fr), n end
  end
end
local before, nb = find_request(path["client-eth0"])
local after, na = find_request(path["server-eth0"])

local owner = {}
for _, node in ipairs(net:nodes()) do
  for _, ifc in ipairs(node:ifaces()) do owner[ifc.mac] = node.name .. "." .. ifc.name end
end
local function flag_str(f)
  local s = ""
  for _, fl in ipairs{{2, "SYN"}, {1, "FIN"}, {4, "RST"}, {8, "PSH"}, {16, "ACK"}} do
    if f & fl[1] ~= 0 then s = s .. (s == "" and "" or ",") .. fl[2] end
  end
  return s
end

-- Pad to a width in terminal columns: a Chinese character takes two.
local function pad(text, width)
  return text .. (" "):rep(math.max(0, width - hd.width(text)))
end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function show(str, max)
  local cut = max and #str > max
  if cut then str = str:sub(1, max) end
  return (str:gsub("\r", "\\r"):gsub("\n", "\\n")) .. (cut and "..." or "")
end
local client_tcp = client:netstat().TcpInSegs + client:netstat().TcpOutSegs
local E, I, S, D = before.eth, before.ip, before.tcp, before.data
local SHOW = 80                         -- bytes of data shown on one line
sc:say({en = "The client sent \"%s\"", zh = "客户端发送了 \"%s\""}, show(REQUEST, SHOW))
sc:say({en = "and got \"%s\" with \"%s\".", zh = "收到 \"%s\" 和 \"%s\"。"}, reply.status, show(reply.body))
if #D < #REQUEST then
  sc:say({en = "The request is %d bytes, more than one segment carries (MSS %d): TCP cut it",
          zh = "请求有 %d 字节，超过一个报文段能装下的（MSS %d）：TCP 把它切成"}, #REQUEST, mss)
  sc:say({en = "into %d segments, and the frame below holds only its first %d bytes.",
          zh = "%d 个报文段，下面这个帧只装着它的前 %d 字节。"}, data_segs, #D)
end
print()
sc:say({en = "The request, frame %d of client-eth0.pcap (%d bytes), layer by layer:",
        zh = "请求在 client-eth0.pcap 的第 %d 帧（%d 字节），逐层拆开："}, nb, before.len)
print()
-- the encapsulation: each layer's header in front of the layer above
local cells = {sc:t({en = "Ethernet %d B", zh = "以太网首部 %d B"}, E.hlen),
               sc:t({en = "IP hdr %d B", zh = "IP 首部 %d B"}, I.hlen),
               sc:t({en = "TCP hdr %d B", zh = "TCP 首部 %d B"}, S.hlen),
               sc:t({en = "HTTP data %d B", zh = "HTTP 数据 %d B"}, #D)}
local spans = {{1, 4, sc:t{en = "frame: layer 2, link", zh = "帧：第 2 层，数据链路层"}},
               {2, 4, sc:t{en = "packet: layer 3, network", zh = "分组（包）：第 3 层，网络层"}},
               {3, 4, sc:t{en = "segment: layer 4, transport", zh = "报文段：第 4 层，运输层"}},
               {4, 4, sc:t{en = "data: application", zh = "数据：应用层"}}}
for _, l in ipairs(hd.boxes(cells, spans)) do print(l) end
print()
sc:say({en = "  Ethernet  dst %s (%s)  src %s (%s)", zh = "  以太网    目的 %s（%s）  源 %s（%s）"},
       E.dst, owner[E.dst], E.src, owner[E.src])
sc:say({en = "            type 0x%04x: an IPv4 packet follows", zh = "            类型 0x%04x：后面是一个 IPv4 分组"},
       E.type)
sc:say({en = "  IPv4      version %d, header %d B, total %d B, id %d, ttl %d,",
        zh = "  IPv4      版本 %d，首部 %d B，总长度 %d B，标识 %d，TTL %d，"},
       I.version, I.hlen, I.total, I.id, I.ttl)
sc:say({en = "            protocol %d (TCP), checksum 0x%04x, %s -> %s",
        zh = "            协议 %d（TCP），首部检验和 0x%04x，%s -> %s"}, I.proto, I.csum, I.src, I.dst)
sc:say({en = "  TCP       port %d -> %d, seq %d, ack %d, flags %s,",
        zh = "  TCP       端口 %d -> %d，序号 seq %d，确认号 ack %d，标志 %s，"},
       S.sport, S.dport, S.seq, S.ack, flag_str(S.flags))
sc:say({en = "            header %d B (20 + %d of options), checksum 0x%04x,",
        zh = "            首部 %d B（20 + %d 字节选项），检验和 0x%04x，"}, S.hlen, S.hlen - 20, S.csum)
sc:say({en = "            window %d (x 2^%d = %d B: window scaling)",
        zh = "            窗口 %d（x 2^%d = %d B：窗口扩大选项）"}, S.win, wscale, S.win << wscale)
sc:say({en = "  data      \"%s\"", zh = "  数据      \"%s\""}, show(D, SHOW))
local bits = before.len * 8
sc:say({en = "  bits      %d bytes x 8 = %d bits: %s on the wire at %s",
        zh = "  比特      %d 字节 x 8 = %d 比特：在线路上发送需 %s（速率 %s）"}, before.len, bits,
       lunet.fmt_time(bits * 1000000000 // lunet.rate(LAN.bandwidth)), LAN.bandwidth)
print()

-- the OSI model, the TCP/IP model, the PDUs and the devices of this lab
local L1 = HUB and "hub1" or sc:t{en = "none here", zh = "本例没有"}
local L2 = HUB and "sw1" or "sw0, sw1"
local function osi(a, b, c, d) print("  " .. pad(a, 17) .. pad(b, 14) .. pad(c, 12) .. d) end
osi(sc:t{en = "OSI model", zh = "OSI 七层模型"}, sc:t{en = "TCP/IP model", zh = "TCP/IP 模型"},
    "PDU", sc:t{en = "devices (here)", zh = "设备（本例）"})
local hosts = sc:t{en = "hosts (client, server)", zh = "主机（client、server）"}
print("  " .. pad(sc:t{en = "7 application", zh = "7 应用层"}, 15) .. "\\")
osi(pad(sc:t{en = "6 presentation", zh = "6 表示层"}, 15) .. ">", sc:t{en = "application", zh = "应用层"},
    sc:t{en = "data", zh = "数据"}, hosts)
print("  " .. pad(sc:t{en = "5 session", zh = "5 会话层"}, 15) .. "/")
osi(sc:t{en = "4 transport", zh = "4 运输层"}, sc:t{en = "transport", zh = "运输层"},
    sc:t{en = "segment", zh = "报文段"}, hosts)
osi(sc:t{en = "3 network", zh = "3 网络层"}, sc:t{en = "network", zh = "网络层"},
    sc:t{en = "packet", zh = "分组（包）"}, sc:t({en = "router, firewall (%s)", zh = "路由器、防火墙（%s）"}, "r1"))
osi(sc:t{en = "2 data link", zh = "2 数据链路层"}, sc:t{en = "link", zh = "数据链路层"},
    sc:t{en = "frame", zh = "帧"}, sc:t({en = "switch, bridge, NIC (%s)", zh = "交换机、网桥、网卡（%s）"}, L2))
osi(sc:t{en = "1 physical", zh = "1 物理层"}, sc:t{en = "physical", zh = "物理层"},
    sc:t{en = "bits", zh = "比特"}, sc:t({en = "hub, repeater (%s)", zh = "集线器、中继器（%s）"}, L1))
sc:say{en = "  (The four-layer TCP/IP model counts link and physical as one network",
       zh = "  （四层的 TCP/IP 模型把数据链路层和物理层合称为网络接口层，"}
sc:say{en = "  interface layer, and calls the network layer the internet layer.)",
       zh = "  把网络层称为网际层。）"}
print()

-- layer 3: the router
local A = after
sc:say({en = "The same request as it reached the server (frame %d of server-eth0.pcap):",
        zh = "同一个请求到达服务器时的样子（server-eth0.pcap 的第 %d 帧）："}, na)
local function row(a, b, c) print("  " .. pad(a, 17) .. pad(b, 29) .. c) end
row("", sc:t{en = "before r1 (client-eth0)", zh = "经过 r1 之前（client-eth0）"},
    sc:t{en = "after r1 (server-eth0)", zh = "经过 r1 之后（server-eth0）"})
row(sc:t{en = "Ethernet dst", zh = "以太网目的地址"}, owner[E.dst], owner[A.eth.dst])
row(sc:t{en = "Ethernet src", zh = "以太网源地址"}, owner[E.src], owner[A.eth.src])
row("IP TTL", tostring(I.ttl), tostring(A.ip.ttl))
row(sc:t{en = "IP checksum", zh = "IP 首部检验和"}, string.format("0x%04x", I.csum),
    string.format("0x%04x", A.ip.csum))
row(sc:t{en = "IP src -> dst", zh = "IP 源 -> 目的"}, I.src .. " -> " .. I.dst, A.ip.src .. " -> " .. A.ip.dst)
row(sc:t{en = "TCP segment", zh = "TCP 报文段"}, sc:t({en = "%d bytes", zh = "%d 字节"}, #S.bytes),
    S.bytes == A.tcp.bytes and sc:t{en = "the same bytes", zh = "字节完全相同"} or sc:t{en = "CHANGED", zh = "已改变"})
sc:say{en = "  r1 works at the network layer: it takes the packet out of the frame,",
       zh = "  r1 工作在网络层：它从帧中取出分组，"}
sc:say{en = "  decrements the TTL (and so fixes the header checksum), looks up 10.0.2.2",
       zh = "  把 TTL 减一（因此要重新计算首部检验和），在路由表中查找 10.0.2.2，"}
sc:say{en = "  in its routing table and puts the packet in a new frame for the next",
       zh = "  再把分组装进下一段链路的新帧里。"}
sc:say{en = "  link. The IP addresses and everything above them stay as they were.",
       zh = "  IP 地址以及它之上的一切都保持不变。"}
print()

-- layers 1 and 2: the hub (or first switch) and the switch
local st, fdb = sw:stats(), sw:fdb()
local n3 = h3:netstat()
if HUB then
  sc:say{en = "hub1 (physical layer) knows nothing of addresses: it repeats every frame",
         zh = "hub1（物理层）不认识任何地址：它把每一帧重复发到其他所有端口。"}
  sc:say({en = "  to every other port. h3's card received all %d TCP frames of the",
          zh = "  h3 的网卡收到了这次会话的全部 %d 个 TCP 帧，"}, heard.h3.tcp)
  sc:say{en = "  conversation and threw them away, as not addressed to it (its counter",
         zh = "  因为不是发给它的，又把它们丢弃了（它的计数器"}
  sc:say({en = "  EthInOtherHost = %d: those and the ARP reply to the client).",
          zh = "  EthInOtherHost = %d：这些帧加上发给客户端的 ARP 应答）。"}, n3.EthInOtherHost)
else
  sc:say{en = "sw0 (link layer) takes hub1's place: it learns addresses as sw1 does,",
         zh = "sw0（数据链路层）取代了 hub1 的位置：它像 sw1 一样学习地址，"}
  sc:say({en = "  so h3's card received %d TCP frames of the conversation (EthInOtherHost",
          zh = "  所以 h3 的网卡只收到这次会话的 %d 个 TCP 帧（EthInOtherHost"}, heard.h3.tcp)
  sc:say({en = "  = %d), and %d ARP frame: the broadcast \"who has 10.0.1.254?\".",
          zh = "  = %d），以及 %d 个 ARP 帧：广播 “谁是 10.0.1.254？”。"}, n3.EthInOtherHost, heard.h3.arp)
end
sc:say({en = "sw1 (link layer) learned %d MAC addresses from the source fields of the",
        zh = "sw1（数据链路层）从它看到的帧的源地址字段学到了 %d 个 MAC 地址，"}, #fdb)
sc:say{en = "  frames it saw, and forwards a frame only to the port of its destination:",
       zh = "  它只把帧转发到目的地址所在的端口："}
sc:say({en = "  h4 received %d TCP frames; it heard only the ARP broadcast \"who has",
        zh = "  h4 收到 %d 个 TCP 帧；它只听到了 ARP 广播 “谁是"}, heard.h4.tcp)
sc:say{en = "  10.0.1.254?\", as a broadcast goes to every port.",
       zh = "  10.0.1.254？”，因为广播会发到每个端口。"}
for _, e in ipairs(fdb) do
  sc:say({en = "    sw1 fdb: %s on port %d (%s)", zh = "    sw1 转发表：%s 在端口 %d（%s）"},
         e.mac, e.port, owner[e.mac])
end
print()

-- sockets
sc:say{en = "A socket is (IP address, protocol, port): `ss -tuan` with the connection open:",
       zh = "套接字 = IP 地址 + 运输层协议（TCP/UDP）+ 端口。连接打开时的 `ss -tuan`："}
local function ss(name, list)
  for _, s in ipairs(list) do
    print(string.format("  %-7s %-4s %-12s %-16s %s", name, s.proto, s.state, s["local"],
                        s.remote))
  end
end
ss("client", ss_client)
ss("server", ss_server)
sc:say{en = "  TCP port 80 and UDP port 80 on the server are two different sockets;",
       zh = "  服务器上的 TCP 80 端口和 UDP 80 端口是两个不同的套接字；"}
sc:say{en = "  the connection is told apart from the listener by the remote end.",
       zh = "  连接与监听套接字靠远端的地址和端口区分。"}
print()
local used = {}
for _, c in ipairs(caps) do
  if c:count() > 0 then used[#used + 1] = c end
end
sc:pcaps(used)

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

expect(reply.status):eq("HTTP/1.1 200 OK")
expect(reply.body):eq(BODY)
expect(uploaded, "the server got the upload"):eq(UPLOAD)
sc:claim({en = "the whole HTTP request in one frame", zh = "整个 HTTP 请求装在一个帧里"}, D == REQUEST, true)
expect(REQUEST:sub(1, #D), "the frame holds the request's beginning"):eq(D)
expect(E.hlen + I.hlen + S.hlen + #D, "headers + data = frame"):eq(before.len)
expect(E.type, "ethertype"):eq(0x0800)
expect(I.hlen):eq(20)
expect(I.total, "IP total length"):eq(before.len - 14)
expect(I.proto):eq(6)
expect(S.hlen, "TCP header with timestamps"):eq(32)
expect(S.dport):eq(80)
-- the router: new MACs, TTL - 1, same IPs, same TCP segment
expect(owner[E.src]):eq("client.eth0")
expect(owner[E.dst]):eq("r1.eth0")
expect(owner[A.eth.src]):eq("r1.eth1")
expect(owner[A.eth.dst]):eq("server.eth0")
expect(I.ttl, "TTL sent"):eq(client:sysctl("net.ipv4.ip_default_ttl"))
expect(A.ip.ttl, "TTL after r1"):eq(I.ttl - 1)
expect(A.ip.csum, "IP checksum changes with the TTL"):ne(I.csum)
expect(A.ip.src):eq(I.src)
expect(A.ip.dst):eq(I.dst)
expect(A.tcp.bytes, "TCP segment untouched"):eq(S.bytes)
expect(r1:netstat().IpForwDatagrams, "r1 forwarded"):gt(0)
-- the hub copied everything to h3, the switch nothing to h4
sc:claim({en = "TCP frames h3 heard (through hub1: all of the conversation)",
          zh = "h3 听到的 TCP 帧（经过 hub1：整个会话）"}, heard.h3.tcp, client_tcp)
expect(client_tcp, "TCP frames of the conversation"):ge(8)
sc:claim({en = "ARP frames h3 heard (the request and the reply)", zh = "h3 听到的 ARP 帧（请求和应答）"},
         heard.h3.arp, 2)
expect(n3.EthInOtherHost, "h3 dropped all it heard but the broadcast"):eq(heard.h3.tcp + heard.h3.arp - 1)
expect(heard.h4.tcp, "TCP frames h4 heard"):eq(0)
expect(heard.h4.arp, "ARP frames h4 heard"):eq(1)
expect(h3:netstat().TcpInSegs, "h3's TCP saw nothing"):eq(0)
expect(#fdb, "MACs learned by sw1"):eq(2)
expect(st.flooded, "frames sw1 flooded"):eq(1)
-- the sockets
local function has(list, proto, state, loc, rem)
  for _, s in ipairs(list) do
    if s.proto == proto and s.state == state and s["local"] == loc and
       (rem == nil or s.remote == rem) then return true end
  end
  return false
end
local cport = S.sport
expect(has(ss_server, "tcp", "LISTEN", "0.0.0.0:80"), "listener"):truthy()
expect(has(ss_server, "tcp", "ESTABLISHED", "10.0.2.2:80", "10.0.1.1:" .. cport), "conn"):truthy()
expect(has(ss_server, "udp", "UNCONN", "0.0.0.0:80"), "udp 80"):truthy()
expect(has(ss_client, "tcp", "ESTABLISHED", "10.0.1.1:" .. cport, "10.0.2.2:80"), "client"):truthy()
