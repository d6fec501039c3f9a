-- layers.lua - one HTTP request through a hub, a switch and a router: the
-- layers of a frame, and which device works at which layer.
--
--   client 10.0.1.1 --+
--                     hub1 --- sw1 --- r1 --- server 10.0.2.2
--   h3     10.0.1.3 --+         |      10.0.1.254 | 10.0.2.254
--                              h4 10.0.1.4
--
-- The client asks the server for /index.html.  We read the request back
-- from the capture files, byte by byte, as Wireshark would: once as it
-- left the client, once as it reached the server.  h3 and h4 only listen.
--
-- Run:   lunet run scripts/layers.lua
-- Then open the pcap files it names in Wireshark.

local net = lunet.net{name = "layers"}
local client, h3 = net:host("client"), net:host("h3")
local h4, server = net:host("h4"), net:host("server")
local hub, sw, r1 = net:hub("hub1"), net:switch("sw1"), net:router("r1")
local LAN = {bandwidth = "100Mbps", delay = "1ms"}
local function link(a, b, ip)
  return net:link(a, b, {bandwidth = LAN.bandwidth, delay = LAN.delay, ip = ip})
end
link(client, hub, {"10.0.1.1/24"})
link(h3, hub, {"10.0.1.3/24"})
link(hub, sw)
link(h4, sw, {"10.0.1.4/24"})
link(sw, r1, {nil, "10.0.1.254/24"})
link(r1, server, {"10.0.2.254/24", "10.0.2.2/24"})
for _, h in ipairs{client, h3, h4} do h:route("default", "10.0.1.254") end
server:route("default", "10.0.2.254")
local caps = net:capture{dir = "layers"}   -- one pcap per interface

local REQUEST = "GET /index.html HTTP/1.1\r\nHost: 10.0.2.2\r\n\r\n"
local BODY = "<h1>hello</h1>\n"

-- Every frame the bystanders' network cards receive.
local heard = {h3 = {tcp = 0, arp = 0}, h4 = {tcp = 0, arp = 0}}
net:on("rx", function(ev)
  local h = heard[ev.node]
  if not h then return end
  if ev.proto == "tcp" then h.tcp = h.tcp + 1
  elseif (ev.summary or ""):match("^ARP") then h.arp = h.arp + 1 end
end)

-- The server: HTTP on TCP port 80, and, to make a point, a UDP socket on
-- port 80 too.
local listener = assert(server:listen(80))
local udp80 = server:udp()
assert(udp80:bind(80))
server:spawn(function()
  local c = listener:accept()
  repeat local line = c:receive("*l") until line == ""
  c:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #BODY .. "\r\n\r\n" .. BODY)
  c:receive()                      -- nil, "closed": the client is done
  c:close()
end)

local reply, ss_client, ss_server, wscale
client:spawn(function()
  local s = assert(client:connect("10.0.2.2", 80))
  wscale = s:info().wscale[2]      -- our window is sent divided by 2^wscale
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

-- A pcap file: a 24-byte header, then a 16-byte header before each frame.
local function frames(file)
  local f = assert(io.open(file, "rb"))
  local data = f:read("a")
  f:close()
  local out, pos = {}, 25
  while pos + 16 <= #data do
    local len = string.unpack("<I4", data, pos + 8)
    out[#out + 1] = data:sub(pos + 16, pos + 15 + len)
    pos = pos + 16 + len
  end
  return out
end

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

local function find_request(file)
  for n, fr in ipairs(frames(file)) do
    if fr:find("GET /index.html", 1, true) then return decode(fr), n end
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

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function show(str) return (str:gsub("\r", "\\r"):gsub("\n", "\\n")) end
local client_tcp = client:netstat().TcpInSegs + client:netstat().TcpOutSegs
local E, I, S, D = before.eth, before.ip, before.tcp, before.data
print(string.format("The client sent \"%s\"", show(REQUEST)))
print(string.format("and got \"%s\" with \"%s\".", reply.status, show(reply.body)))
print()
print(string.format("The request, frame %d of client-eth0.pcap (%d bytes), layer by layer:",
                    nb, before.len))
print()
local w = {E.hlen, I.hlen, S.hlen, #D}
-- the encapsulation, drawn to the boxes' edges
local cells = {string.format(" Ethernet %2dB ", w[1]), string.format(" IP hdr %3dB  ", w[2]),
               string.format(" TCP hdr %3dB ", w[3]),
               string.format(" HTTP data %3dB           ", w[4])}
local rule, boxes, edge = "  +", "  |", {3}
for k, c in ipairs(cells) do
  rule, boxes = rule .. ("-"):rep(#c) .. "+", boxes .. c .. "|"
  edge[k + 1] = #rule
end
local function span(k, label)           -- |<--- label --->| from box k to the end
  local width = edge[5] - edge[k] - 1
  local dashes = width - #label - 4
  local l = dashes // 2
  return (" "):rep(edge[k] - 1) .. "|<" .. ("-"):rep(l) .. " " .. label .. " " ..
         ("-"):rep(dashes - l) .. ">|"
end
print(rule); print(boxes); print(rule)
print(span(1, "frame: layer 2, link"))
print(span(2, "packet: layer 3, network"))
print(span(3, "segment: layer 4, transport"))
print(span(4, "data: application"))
print()
print(string.format("  Ethernet  dst %s (%s)  src %s (%s)", E.dst, owner[E.dst], E.src,
                    owner[E.src]))
print(string.format("            type 0x%04x: an IPv4 packet follows", E.type))
print(string.format("  IPv4      version %d, header %d B, total %d B, id %d, ttl %d,",
                    I.version, I.hlen, I.total, I.id, I.ttl))
print(string.format("            protocol %d (TCP), checksum 0x%04x, %s -> %s", I.proto,
                    I.csum, I.src, I.dst))
print(string.format("  TCP       port %d -> %d, seq %d, ack %d, flags %s,", S.sport, S.dport,
                    S.seq, S.ack, flag_str(S.flags)))
print(string.format("            header %d B (20 + %d of options), checksum 0x%04x,",
                    S.hlen, S.hlen - 20, S.csum))
print(string.format("            window %d (x 2^%d = %d B: window scaling)", S.win, wscale,
                    S.win << wscale))
print(string.format("  data      \"%s\"", show(D)))
local bits = before.len * 8
print(string.format("  bits      %d bytes x 8 = %d bits: %s on the wire at %s", before.len,
                    bits, lunet.fmt_time(bits * 1000000000 // lunet.rate(LAN.bandwidth)),
                    LAN.bandwidth))
print()
print("  OSI model        TCP/IP model  PDU       devices (here)")
print("  7 application  \\")
print("  6 presentation  > application  data      hosts (client, server)")
print("  5 session      /")
print("  4 transport      transport     segment   hosts (client, server)")
print("  3 network        network       packet    router, firewall (r1)")
print("  2 data link      link          frame     switch, bridge, NIC (sw1)")
print("  1 physical       physical      bits      hub, repeater (hub1)")
print()

-- layer 3: the router
local A = after
print(string.format("The same request as it reached the server (frame %d of server-eth0.pcap):",
                    na))
local row = "  %-16s %-28s %s"
print(string.format(row, "", "before r1 (client-eth0)", "after r1 (server-eth0)"))
print(string.format(row, "Ethernet dst", owner[E.dst], owner[A.eth.dst]))
print(string.format(row, "Ethernet src", owner[E.src], owner[A.eth.src]))
print(string.format(row, "IP ttl", I.ttl, A.ip.ttl))
print(string.format(row, "IP checksum", string.format("0x%04x", I.csum),
                    string.format("0x%04x", A.ip.csum)))
print(string.format(row, "IP src -> dst", I.src .. " -> " .. I.dst,
                    A.ip.src .. " -> " .. A.ip.dst))
print(string.format(row, "TCP segment", #S.bytes .. " bytes",
                    S.bytes == A.tcp.bytes and "the same bytes" or "CHANGED"))
print("  r1 works at the network layer: it takes the packet out of the frame,")
print("  decrements the TTL (and so fixes the header checksum), looks up 10.0.2.2")
print("  in its routing table and puts the packet in a new frame for the next")
print("  link. The IP addresses and everything above them stay as they were.")
print()

-- layers 1 and 2: the hub and the switch
local st, fdb = sw:stats(), sw:fdb()
local n3 = h3:netstat()
print("hub1 (physical layer) knows nothing of addresses: it repeats every frame")
print(string.format("  to every other port. h3's card received all %d TCP frames of the",
                    heard.h3.tcp))
print(string.format("  conversation and threw them away, as not addressed to it (its counter",
                    heard.h3.tcp))
print(string.format("  EthInOtherHost = %d: those and the ARP reply to the client).",
                    n3.EthInOtherHost))
print(string.format("sw1 (link layer) learned %d MAC addresses from the source fields of the",
                    #fdb))
print("  frames it saw, and forwards a frame only to the port of its destination:")
print(string.format("  h4 received %d TCP frames; it heard only the ARP broadcast \"who has",
                    heard.h4.tcp))
print("  10.0.1.254?\", as a broadcast goes to every port.")
for _, e in ipairs(fdb) do
  print(string.format("    sw1 fdb: %s on port %d (%s)", e.mac, e.port, owner[e.mac]))
end
print()

-- sockets
print("A socket is (IP address, protocol, port): `ss -tuan` with the connection open:")
local function ss(name, list)
  for _, s in ipairs(list) do
    print(string.format("  %-7s %-4s %-12s %-16s %s", name, s.proto, s.state, s["local"],
                        s.remote))
  end
end
ss("client", ss_client)
ss("server", ss_server)
print("  TCP port 80 and UDP port 80 on the server are two different sockets;")
print("  the connection is told apart from the listener by the remote end.")
print()
for _, c in ipairs(caps) do
  if c:count() > 0 then
    print(string.format("pcap: %s (%d frames)", c.path, c:count()))
  end
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

expect(reply.status):eq("HTTP/1.1 200 OK")
expect(reply.body):eq(BODY)
expect(D, "the HTTP data in the frame"):eq(REQUEST)
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
expect(heard.h3.tcp, "TCP frames h3 heard"):eq(client_tcp)
expect(client_tcp, "TCP frames of the conversation"):ge(8)
expect(heard.h3.arp, "ARP frames h3 heard"):eq(2)
expect(n3.EthInOtherHost, "h3 dropped them"):eq(heard.h3.tcp + 1)
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
