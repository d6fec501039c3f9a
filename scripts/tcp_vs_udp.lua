-- tcp_vs_udp.lua - the same 100 messages over the same bad link, once as
-- UDP datagrams and once over a TCP connection.
--
--   client 10.0.0.1 ===== 10 Mbit/s, 5 ms ===== server 10.0.0.2
--          the link loses 10% of the frames, duplicates 3% and delays
--          5% by 2 ms (so they arrive out of order), in both directions
--
-- At t=0 the client sends the messages to UDP port 7000, one sendto() each;
-- at t=2s it connects to TCP port 80 and sends them again, one send() each.
-- The server reads whatever comes.  Each message says its number and is
-- 500 to 999 bytes long: "message 001: bbbb...".
--
-- Run:   lunet run scripts/tcp_vs_udp.lua
-- Then open the pcap files it names in Wireshark.

local net = lunet.net{name = "tcp_vs_udp"}
local client, server = net:host("client"), net:host("server")
local link = net:link(client, server, {
  bandwidth = "10Mbps", delay = "5ms", loss = "10%", duplicate = "3%",
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
local T = lunet.fmt_time

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

------------------------------------------------------------------------
-- UDP
------------------------------------------------------------------------

local udp = {got = {}}
local usock = server:udp()
assert(usock:bind(7000))
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
  for i = 1, N do s:sendto(msgs[i], "10.0.0.2", 7000) end
  s:close()
end)
net:run("2s")
local ust = link:stats().ab

------------------------------------------------------------------------
-- TCP
------------------------------------------------------------------------

local tcp = {chunks = {}}
local listener = assert(server:listen(80))
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
  local s = assert(client:connect("10.0.0.2", 80))
  for i = 1, N do s:send(msgs[i]) end
  s:close()
end)
net:run()
listener:close()

------------------------------------------------------------------------
-- what arrived
------------------------------------------------------------------------

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

print(string.format("%d messages, %d bytes, over a link that loses, duplicates and reorders:",
                    N, #stream))
print()
local row = "  %-26s %-20s %s"
print(string.format(row, "", "UDP", "TCP"))
print(string.format(row, "connection setup", "none", "SYN, SYN-ACK, ACK"))
print(string.format(row, "teardown", "none", "FIN, ACK each way"))
print(string.format(row, "packets client -> server", wire.udp.c, wire.tcp.c))
print(string.format(row, "packets server -> client", wire.udp.s, wire.tcp.s .. " (mostly ACKs)"))
print(string.format(row, "transport header", uh[1] .. " B",
                    string.format("20 B + options: %d-%d B", th[1], th[#th])))
print(string.format(row, "messages delivered", delivered .. " of " .. N, N .. " of " .. N))
print(string.format(row, "  arrived out of order", late, 0))
print(string.format(row, "  arrived twice", dups, 0))
print(string.format(row, "retransmitted packets", 0, cn.TcpRetransSegs))
print(string.format(row, "reads by the server", #udp.got, #tcp.chunks))
print(string.format(row, "one read returns", "one whole datagram",
                    "any number of bytes"))
print(string.format(row, "last byte read after", T(udp.last), T(tcp.last - tcp.start)))
print()
print("UDP is best effort: the datagrams that made it are whole, one per read,")
print("but " .. #lost .. " are missing (" .. table.concat(lost, " ") .. "),")
print("and the arrival order began " .. table.concat(order, " ", 1, 12) .. " ...")
print("Nobody acknowledges anything, so nobody notices; a voice or video call")
print("would rather skip a lost message than wait for it.")
print()
print("TCP delivered every byte once and in order (a byte stream: the receiver")
print("cannot tell where one send() ended). The first reads returned:")
do
  local off = 0
  for i = 1, 4 do
    local a, pa = msg_at(off + 1)
    local b, pb = msg_at(off + sizes[i])
    print(string.format("  read %d: %5d bytes, from byte %d of message %d to byte %d of message %d",
                        i, sizes[i], pa, a, pb, b))
    off = off + sizes[i]
  end
end
print(string.format("%d of the %d reads ended in the middle of a message. To find messages",
                    cuts, #tcp.chunks))
print("in a stream the application must mark them itself (lengths, newlines...).")
print(string.format("It cost %d retransmissions and %d packets back, and a lost segment holds",
                    cn.TcpRetransSegs, wire.tcp.s))
print("back everything behind it until its copy arrives.")
print("Not shown: UDP can also send to many hosts at once (broadcast, multicast)")
print("and has no congestion control; TCP is one-to-one (see reliability.lua).")
print()
for _, c in ipairs(caps) do
  c:flush()
  print(string.format("pcap: %s (%d frames)", c.path, c:count()))
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- UDP: no connection, no replies, an 8-byte header, whole datagrams
expect(wire.udp.c, "UDP packets sent"):eq(N)
expect(wire.udp.s, "UDP packets back"):eq(0)
expect(uh, "UDP header sizes"):eq({8})
expect(whole, "every datagram whole"):truthy()
-- what the link did to the datagrams is exactly what the server saw
expect(#lost, "UDP messages lost"):eq(ust.dropped_loss)
expect(dups, "UDP duplicates"):eq(ust.duplicated)
expect(late, "UDP datagrams overtaken"):le(ust.reordered)
expect(#udp.got, "datagrams read"):eq(N - ust.dropped_loss + ust.duplicated)
expect(#lost, "some lost"):gt(0)
expect(sn.UdpInDatagrams, "UdpInDatagrams"):eq(#udp.got)
-- TCP: handshake first, headers of 20 bytes or more, everything in order
expect(tcp_first.c, "client's first segment"):eq("S")
expect(tcp_first.s, "server's first segment"):eq("S.")
expect(fin.c and fin.s, "a FIN each way"):truthy()
expect(th[1], "smallest TCP header"):ge(20)
expect(th[1], "TCP data segments: 20 + 12 (timestamps)"):eq(32)
expect(table.concat(tcp.chunks), "the TCP stream"):eq(stream)
expect(lunet.hash(table.concat(tcp.chunks)), "hash"):eq(lunet.hash(stream))
expect(cn.TcpRetransSegs, "TCP retransmitted"):gt(0)
expect(#tcp.chunks, "reads"):ne(N)
expect(cuts, "reads that cut a message"):gt(0)
expect(cn.TcpActiveOpens):eq(1)
expect(sn.TcpPassiveOpens):eq(1)
expect(wire.tcp.c + wire.tcp.s, "TCP packets in all"):eq(link:stats().ab.tx_packets - N +
                                                          link:stats().ba.tx_packets)
