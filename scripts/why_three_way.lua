-- why_three_way.lua - why TCP opens with three segments, not two: a
-- delayed, old duplicate SYN reaches the server after the client gave up,
-- and the third segment (here a RST) keeps it from becoming a connection.
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- The client's SYN is held back on the way (a congested router; here the
-- link's client->server delay is 3 s while it travels).  The client's
-- application stops waiting after 500 ms and the path recovers.  When the
-- stale SYN finally arrives, the server answers it like any SYN; the
-- client's stack has no socket for the SYN,ACK and answers RST, and the
-- server forgets the half-open connection.  RFC 9293 3.5 (figure 8) tells
-- the same story.
--
-- Run:   lunet run scripts/why_three_way.lua
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local PORT = 80
local HELD = "3s"                 -- how long the router sits on the SYN
local PATIENCE = "500ms"          -- the client application's connect timeout

local net = lunet.net{name = "why_three_way"}
local client, server = net:host("client"), net:host("server")
local link = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                       ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- Static ARP: the ARP request would crawl over the slow path too.
client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
-- Fixed ISNs, as in the notes: x = 1000 (client), y = 2000 (server).
client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
local caps = net:capture{dir = "why_three_way"}   -- one pcap per interface

local listener = assert(server:listen(PORT))
local lad = ladder.new(net, {hosts = {client, server}, ports = {PORT}})

-- Half-open connections (requests in SYN_RCVD) are not sockets, so
-- h:sockets() does not list them; count them from the state changes.
local half_open, half_open_max, half_open_log = 0, 0, {}
net:on("tcp", function(ev)
  if ev.node ~= "server" then return end
  if ev.to == "SYN_RCVD" then half_open = half_open + 1
  elseif ev.from == "SYN_RCVD" then half_open = half_open - 1 end
  half_open_max = math.max(half_open_max, half_open)
  half_open_log[#half_open_log + 1] = {time = ev.time, n = half_open}
end)
net:on("rx", function(ev)
  if ev.node == "server" and ev.flags == "S" then
    lad:note("the old SYN reaches the server, 3 s late")
  end
end)

link:set{ab = {delay = HELD}}          -- client -> server: the slow path

local connect_err, gave_up_at
client:spawn(function()
  local s, err = client:connect(server:ip(), PORT, {timeout = PATIENCE})
  connect_err, gave_up_at = err, lunet.now()
  lad:note("client app: connect() gave up (" .. tostring(err) .. ")")
  link:set{ab = {delay = "5ms"}}       -- the path is fast again
end)

local accepted, accept_err
server:spawn(function()
  accepted, accept_err = listener:accept({timeout = "5s"})
end)

net:run()                              -- until the accept gives up, at 5 s
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function T(ns) return string.format("%.3f s", ns / 1e9) end
local segs = lad:segments()
local syn, synack, rst = segs[1], segs[2], segs[3]
local c, s = client:netstat(), server:netstat()

print("Why three segments? A delayed, old duplicate SYN")
print("client 10.0.0.1  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80")
print()
lad:print()
print()
print(string.format("1. At %s the client sends SYN seq=%d. A router holds it back: it", T(syn.time), syn.seq))
print(string.format("   arrives after %s instead of 5 ms.", T(syn.rx_time - syn.time)))
print(string.format("2. At %s the client's application gives up (connect: %s).", T(gave_up_at), connect_err))
print("   Its socket is gone: no state at all remains for this connection.")
print(string.format("3. At %s the stale SYN arrives. The server cannot tell it from a new", T(syn.rx_time)))
print(string.format("   one: a half-open request (SYN_RCVD) and SYN,ACK seq=%d ack=%d.", synack.seq, synack.ack))
print("4. The client's stack has no socket for that SYN,ACK (X: no socket). It")
print(string.format("   answers RST seq=%d: the SYN,ACK's own ack, so the server accepts it.", rst.seq))
print(string.format("5. At %s the server drops the request: SYN_RCVD -> CLOSED.", T(rst.rx_time)))
print(string.format("   accept() never returns a connection (%s after 5 s).", accept_err))
print()
print("With a two-way handshake, SYN and SYN,ACK would be all: at step 3 the")
print("server would call the connection ESTABLISHED, give it buffers and hand it")
print("to accept(), and its application would wait for a request that never comes.")
print("Nor would the server ever learn whether its own ISN (y=2000) arrived: two")
print("segments confirm only the client's ISN.  The third segment is the client")
print("saying \"yes, that is my connection\" (ACK) -- or, here, \"no\" (RST).")
print()
print("                       client  server")
local function row(name, a, b) print(string.format("  %-20s %6s  %6s", name, a, b)) end
row("TcpActiveOpens", c.TcpActiveOpens, "-")
row("TcpPassiveOpens", "-", s.TcpPassiveOpens)
row("TcpAttemptFails", c.TcpAttemptFails, s.TcpAttemptFails)
row("TcpOutRsts", c.TcpOutRsts, s.TcpOutRsts)
row("TcpExtEmbryonicRsts", "-", s.TcpExtEmbryonicRsts)
row("TcpCurrEstab", c.TcpCurrEstab, s.TcpCurrEstab)
row("half-open, most", "-", half_open_max)
row("half-open, now", "-", half_open)
print("(EmbryonicRsts: a RST killed a half-open connection; the client's")
print("AttemptFails is its own abandoned SYN_SENT.)")
print()
for _, cap in ipairs(caps) do
  print(string.format("pcap: %s — open it in Wireshark (%d frames)", cap.path, cap:count()))
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

local NS = lunet.time
expect(connect_err, "the client gives up"):eq("timeout")
expect(gave_up_at, "after its patience"):eq(NS(PATIENCE))
expect(#segs, "segments in all"):eq(3)

expect(syn.from):eq("client")
expect(syn.flags):eq("SYN")
expect(syn.seq, "old SYN seq"):eq(1000)
expect(syn.time, "the SYN leaves at once"):eq(0)
expect(syn.lost, "the SYN is late, not lost"):is_nil()
expect(syn.rx_time, "it arrives after the client gave up"):gt(gave_up_at)
expect(syn.rx_time - syn.time, "held for HELD (+ serialization)"):within(NS(HELD), NS(HELD) + NS("1ms"))

expect(synack.from):eq("server")
expect(synack.flags):eq("SYN,ACK")
expect(synack.seq, "server ISN"):eq(2000)
expect(synack.ack, "acknowledges the old SYN"):eq(1001)
expect(synack.time, "answered on arrival"):eq(syn.rx_time)
expect(synack.lost, "no socket at the client"):eq("no socket")
expect(synack.rx_time):truthy()

expect(rst.from):eq("client")
expect(rst.flags, "a bare RST"):eq("RST")
expect(rst.seq, "RST seq = the SYN,ACK's ack"):eq(synack.ack)
expect(rst.ack):is_nil()
expect(rst.time, "the RST answers the SYN,ACK at once"):eq(synack.rx_time)
expect(rst.lost):is_nil()

expect(lad:states(client)):eq({"CLOSED", "SYN_SENT", "CLOSED"})
expect(lad:states(server)):eq({"LISTEN", "SYN_RCVD", "CLOSED"})
local closed_at
for _, tr in ipairs(lad:transitions()) do
  if tr.host == "server" and tr.from == "SYN_RCVD" then closed_at = tr.time end
end
expect(closed_at, "the request dies when the RST arrives"):eq(rst.rx_time)
expect(half_open_max, "one half-open connection"):eq(1)
expect(half_open, "none left"):eq(0)
expect(#half_open_log):eq(2)
expect(half_open_log[1].time):eq(syn.rx_time)
expect(half_open_log[2].time):eq(rst.rx_time)

expect(accepted, "nothing to accept"):is_nil()
expect(accept_err):eq("timeout")
local socks = server:sockets("tcp")
expect(#socks, "the server has only its listener"):eq(1)
expect(socks[1].state):eq("LISTEN")
expect(socks[1].recv_q, "accept queue"):eq(0)
expect(#client:sockets("tcp"), "client sockets"):eq(0)

expect(c.TcpActiveOpens):eq(1)
expect(c.TcpAttemptFails, "the client's abandoned SYN_SENT"):eq(1)
expect(c.TcpOutRsts, "the client's RST"):eq(1)
expect(s.TcpPassiveOpens, "no connection on the server"):eq(0)
expect(s.TcpAttemptFails, "the request reset"):eq(1)
expect(s.TcpExtEmbryonicRsts):eq(1)
expect(s.TcpOutRsts):eq(0)
expect(s.TcpCurrEstab):eq(0)
expect(c.TcpCurrEstab):eq(0)
listener:close()
