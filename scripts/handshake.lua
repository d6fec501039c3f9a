-- handshake.lua - TCP's three-way handshake and four-way close, drawn as a
-- ladder diagram with the numbers of the textbook (ISNs 1000 and 2000).
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- The client connects to port 80, sends one line, reads the echo and
-- closes.  The server echoes the line, waits for the client's FIN and,
-- like an application that takes its time, closes 200 ms later: its stack
-- has acknowledged the FIN on its own by then (delayed ACK, 40 ms), so the
-- close takes the textbook's four segments.  (A server that closes at once
-- merges that ACK into its own FIN: a three-segment close.)
--
-- Run:   lunet run scripts/handshake.lua        (`make run` runs it too)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local PORT, LINE = 80, "hello\n"
local SERVER_PAUSE = "200ms"

local net = lunet.net{name = "handshake"}
local client, server = net:host("client"), net:host("server")
net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                          ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- Fixed initial sequence numbers, as in the notes (real stacks pick them
-- at random, RFC 6528, so that nobody can guess them).
client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
local caps = net:capture{}          -- one pcap per interface, in lunet.pcap_dir

local listener = assert(server:listen(PORT))     -- passive open: LISTEN
local lad = ladder.new(net, {hosts = {client, server}, ports = {PORT}})

local echoed, tw_listing
server:spawn(function()
  local c = listener:accept()                    -- returns once ESTABLISHED
  local line = c:receive("*l")
  c:send(line .. "\n")
  local more, why = c:receive()                  -- nil, "closed": the client's FIN
  assert(more == nil and why == "closed")
  lad:note("server app: read EOF, closes " .. SERVER_PAUSE .. " later")
  lunet.sleep(SERVER_PAUSE)
  c:close()                                      -- our FIN: LAST_ACK
end)

client:spawn(function()
  local s = assert(client:connect(server:ip(), PORT))   -- active open
  lad:note("client app: connect() returned")
  s:send(LINE)
  echoed = s:receive("*l")
  lad:note("client app: got the echo, close()")
  s:close()                                      -- our FIN: FIN_WAIT_1
  lunet.sleep("1s")
  tw_listing = client:sockets("tcp")             -- what `ss -tan` would show now
end)

net:run()                                        -- until TIME_WAIT is over
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

print("TCP: three-way handshake, a little data, four-way close")
print("client 10.0.0.1  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80")
print()
lad:print()
print()

local segs = lad:segments()
local function seg(i) return segs[i] end
local T = lunet.fmt_time

local fins = {}
for i, s in ipairs(segs) do if s.fin then fins[#fins + 1] = i end end
local cfin, sfin = segs[fins[1]], segs[fins[2]]
local fin_ack = segs[fins[1] + 1]

print("Reading the diagram (virtual time in seconds on the left):")
print(string.format("  The SYN leaves at %s, not at 0: the client first asked \"who has",
                    T(seg(1).time)))
print("  10.0.0.2?\" (ARP). Each crossing of the link then takes 5 ms.")
print(string.format("  1. SYN seq=%d: the client's ISN x. A SYN carries no data but uses one",
                    seg(1).seq))
print("     sequence number, so the server acknowledges x+1.")
print(string.format("  2. SYN,ACK seq=%d ack=%d: the server's own ISN y, and \"I got x\".",
                    seg(2).seq, seg(2).ack))
print(string.format("  3. ACK seq=%d ack=%d: \"I got y\". Now both ISNs are confirmed; after",
                    seg(3).seq, seg(3).ack))
print("     two segments the server could not know that its SYN,ACK arrived.")
print(string.format("  Then %d bytes each way: seq counts bytes, ack is the next byte expected.",
                    #LINE))
print(string.format("  The close: the client's FIN seq=%d puts it in FIN_WAIT_1. The server's",
                    cfin.seq))
print(string.format("  stack ACKs it (ack=%d) by itself, %s after it arrived (delayed ACK).",
                    fin_ack.ack, T(fin_ack.time - cfin.rx_time)))
print("  The server is in CLOSE_WAIT, half-closed: its application could still")
print("  send data.")
print(string.format("  It closes %s after reading EOF: FIN seq=%d, LAST_ACK. The client's last",
                    SERVER_PAUSE, sfin.seq))
print(string.format("  ACK (ack=%d) closes the server. Four segments, because the server's FIN",
                    segs[#segs].ack))
print("  waits for its application; SYN and ACK could be merged, these could not.")

-- the client stays in TIME_WAIT for 2 MSL after its last ACK
local tw_start, tw_end
for _, r in ipairs(lad:transitions()) do
  if r.host == "client" and r.to == "TIME_WAIT" then tw_start = r.time end
  if r.host == "client" and r.from == "TIME_WAIT" and r.to == "CLOSED" then tw_end = r.time end
end
local msl = lunet.time(client:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
print(string.format("  TIME_WAIT: the client, which closed first, waits 2 MSL = %s before", T(2 * msl)))
print("  CLOSED, in case its last ACK is lost and the server's FIN comes again.")
print("  One second after its close, `ss -tan` on the client shows:")
for _, s in ipairs(tw_listing or {}) do
  print(string.format("    %-10s %-18s %-18s timer:(%s,%s)", s.state, s["local"], s.remote,
                      s.timer or "-", s.timer_left and T(s.timer_left) or "-"))
end
print()
for _, c in ipairs(caps) do
  print(string.format("pcap: %s — open it in Wireshark (%d frames)", c.path, c:count()))
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

expect(echoed, "echo"):eq("hello")

-- the handshake
expect(seg(1).from, "segment 1 sender"):eq("client")
expect(seg(1).flags, "segment 1 flags"):eq("SYN")
expect(seg(1).seq, "SYN seq"):eq(1000)
expect(seg(1).len, "SYN length"):eq(0)
expect(seg(2).from, "segment 2 sender"):eq("server")
expect(seg(2).flags, "segment 2 flags"):eq("SYN,ACK")
expect(seg(2).seq, "SYN,ACK seq"):eq(2000)
expect(seg(2).ack, "SYN,ACK ack"):eq(1001)
expect(seg(3).from, "segment 3 sender"):eq("client")
expect(seg(3).flags, "segment 3 flags"):eq("ACK")
expect(seg(3).seq, "ACK seq"):eq(1001)
expect(seg(3).ack, "ACK ack"):eq(2001)

-- the close: FIN (seq=u), ACK (ack=u+1), FIN (seq=w, ack=u+1), ACK (ack=w+1)
expect(#fins, "FIN segments"):eq(2)
expect(cfin.from, "first FIN"):eq("client")
expect(sfin.from, "second FIN"):eq("server")
local u, w = cfin.seq, sfin.seq
expect(u, "client FIN seq"):eq(1001 + #LINE)
local between = segs[fins[1] + 1]
expect(between.from, "segment after the client's FIN"):eq("server")
expect(between.flags, "the server's ACK of the FIN, alone"):eq("ACK")
expect(between.ack):eq(u + 1)
expect(sfin.ack, "server FIN ack"):eq(u + 1)
expect(w, "server FIN seq"):eq(2001 + #LINE)
local last = segs[#segs]
expect(last.from, "last segment"):eq("client")
expect(last.flags):eq("ACK")
expect(last.ack, "last ACK"):eq(w + 1)
expect(#segs, "segments in all"):eq(fins[2] + 1)
for _, s in ipairs(segs) do expect(s.lost, "lost segment"):is_nil() end

-- the states, in order
expect(lad:states(client)):eq({"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                               "TIME_WAIT", "CLOSED"})
expect(lad:states(server)):eq({"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
                               "CLOSED"})
expect(tw_end - tw_start, "TIME_WAIT lasts 2 MSL"):eq(2 * msl)
expect(#tw_listing, "client sockets in TIME_WAIT"):eq(1)
expect(tw_listing[1].state):eq("TIME_WAIT")
listener:close()
