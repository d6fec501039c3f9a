-- closing.lua - the state list of the notes (point 13): a simultaneous
-- close through CLOSING, a tour of all eleven TCP states, and the RFC 9293
-- state diagram with the path the tour took.
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
--   A. Simultaneous close.  A connection through a listener exchanges a
--      line; at t = 200 ms both applications close at the same instant.
--      The two FINs cross on the wire, so each arrives at a side that is
--      waiting for the ACK of its own FIN: FIN_WAIT_1 -> CLOSING, ACK at
--      once, and CLOSING -> TIME_WAIT when that side's own FIN is ACKed
--      (RFC 9293 3.6, case 3).  Both closed actively: both wait 2 MSL.
--   B. A second connection opened simultaneously (each side connect()s
--      to the other at the same instant: SYN_SENT -> SYN_RCVD on both
--      sides, RFC 9293 3.5) and closed the textbook way (FIN_WAIT_2,
--      CLOSE_WAIT, LAST_ACK).
--   The states both connections went through, taken from the stack's
--   "tcp" events, cover all eleven; the RFC 9293 diagram is drawn with
--   them (solid: taken, dotted: not taken), followed by the names the
--   notes use (SYN_SEND, SYN_RECV) beside RFC 9293's and lunet's.
--
-- Run:   lunet run scripts/closing.lua [knob=value ...]   (--help lists
--        the knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"
local term = require "lunet.term"

local sc = require("lunet.scenario").new{
  name = "closing",
  title = {en = "Simultaneous close (CLOSING) and a tour of all eleven TCP states",
           zh = "同时关闭（CLOSING 状态）与 TCP 全部 11 个状态一览"},
  knobs = {
    {"skew", default = "0ms", try = "100ms", kind = "time",
     help = {en = "A: how much later the server closes than the client (0: the same instant)",
             zh = "A：服务器比客户端晚多久关闭（0 表示同一时刻）"}},
    {"msl", default = "30s", try = "1s", kind = "time",
     help = {en = "the MSL of both hosts (TIME_WAIT lasts 2 MSL)",
             zh = "两台主机的 MSL（TIME_WAIT 持续 2MSL）"}},
    {"lose", default = "none", try = "ack", values = {"none", "ack"},
     help = {en = "A: lose the client's ACK of the server's FIN",
             zh = "A：丢掉客户端对服务器 FIN 的确认"}},
  },
}
local K = sc.k

local PORT, CPORT = 80, 5000     -- B: the client's port is fixed, the server connect()s to it
local LINE = "hello\n"
local T0 = lunet.time("200ms")   -- when the applications close
local T = lunet.fmt_time

local function v(x) if x == nil then return "-" end return x end

-- Sleep until an absolute virtual time (ns).
local function sleep_until(t)
  local now = lunet.now()
  if t > now then lunet.sleep((t - now) / 1e9) end
end

------------------------------------------------------------------------
-- the lab, and the tour's record of states
------------------------------------------------------------------------

-- From every "tcp" event of every network: the states each connection
-- went through (per part, host and flow), the states visited and the
-- transitions taken, with the parts that took them.
local conns, visited, taken = {}, {}, {}

local function lab(part)
  local net = lunet.net{name = "closing_" .. part:lower()}
  local client, server = net:host("client"), net:host("server")
  local link = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                         ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  -- static ARP: only TCP on the wire
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  for _, hi in ipairs({{client, 1000}, {server, 2000}}) do
    hi[1]:sysctl("net.ipv4.tcp_fixed_isn", hi[2])    -- the notes' ISNs
    hi[1]:sysctl("net.ipv4.tcp_msl", K.msl / 1e9)    -- seconds
  end
  net:on("tcp", function(ev)
    local key = part .. " " .. ev.node .. " " .. ev.flow
    local c = conns[key]
    if not c then c = {ev.from}; conns[key] = c end
    c[#c + 1] = ev.to
    visited[ev.from], visited[ev.to] = visited[ev.from] or part, visited[ev.to] or part
    local tr = ev.from .. ">" .. ev.to
    taken[tr] = taken[tr] or {}
    taken[tr][part] = true
  end)
  local L = {net = net, client = client, server = server, link = link, syns = {}}
  L.lad = ladder.new(net, {hosts = {client, server}, ports = {PORT}})
  L.cap = net:capture{iface = client.eth0, file = "closing-" .. part:lower() .. ".pcap"}
  -- the SYN options: each side's MSS and window
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" or not ev.flags:find("S", 1, true) then return end
    local o = {node = ev.node, flags = ev.flags, win = ev.packet.tcp.window}
    for _, opt in ipairs(ev.packet.tcp.options) do
      if type(opt) == "table" and opt.mss then o.mss = opt.mss end
    end
    L.syns[#L.syns + 1] = o
  end)
  return L
end

-- The states of one connection: the host's side of the flow that is not
-- the listener's.
local function states_of(part, node)
  for key, c in pairs(conns) do
    local p, n, flow = key:match("^(%S+) (%S+) (%S+)$")
    if p == part and n == node and not flow:find("0.0.0.0:0", 1, true) then return c end
  end
end

-- When a host entered and left TIME_WAIT.
local function time_wait(lad, host)
  local tin, tout
  for _, r in ipairs(lad:transitions()) do
    if r.host == host and r.to == "TIME_WAIT" then tin = r.time end
    if r.host == host and r.from == "TIME_WAIT" then tout = r.time end
  end
  return tin, tout
end

-- The state a host is in once everything at time t is done.
local function state_at(lad, host, t)
  local st
  for _, r in ipairs(lad:transitions()) do
    if r.host == host and r.time <= t and not r.flow:find("0.0.0.0:0", 1, true) then st = r.to end
  end
  return st
end

------------------------------------------------------------------------
-- A. simultaneous close
------------------------------------------------------------------------

local A = lab("A")
local listener = assert(A.server:listen(PORT))           -- CLOSED -> LISTEN
if K.lose == "ack" then
  -- the client's first bare ACK after the closes: its ACK of the server's FIN
  A.net:intercept{on = A.link, dir = "ab", filter = "tcp[tcpflags] == tcp-ack",
                  from = T0 / 1e9, count = 1, action = "drop"}
end
A.server:spawn(function()
  local c = listener:accept()
  c:send(LINE)
  c:receive("*l")
  sleep_until(T0 + K.skew)
  A.lad:note(sc:t{en = "server app: close()", zh = "服务器应用：close()"})
  c:close()                                              -- our FIN
end)
A.client:spawn(function()
  local s = assert(A.client:connect(A.server:ip(), PORT))
  s:send(LINE)
  s:receive("*l")
  sleep_until(T0)
  A.lad:note(sc:t{en = "client app: close()", zh = "客户端应用：close()"})
  s:close()                                              -- our FIN
end)
A.net:run()                               -- until both TIME_WAITs are over
A.lad:stop()
listener:close()                          -- LISTEN -> CLOSED (after the ladder stopped)
A.cap:flush()

local segs = A.lad:segments()
local cfin, sfin, cack, sack
for _, s in ipairs(segs) do
  if s.fin and s.from == "client" and not cfin then cfin = s end
  if s.fin and s.from == "server" and not sfin then sfin = s end
end
-- each side's first ACK of the other's FIN, and the segments of the close
local close_segs, first_fin = 0, nil
for i, s in ipairs(segs) do
  if s.fin and not first_fin then first_fin = i end
  if first_fin and not s.retransmission then
    local counted = s.fin
    if sfin and s.from == "client" and s.ack == sfin.seq + 1 and not cack then cack, counted = s, true end
    if cfin and s.from == "server" and s.ack == cfin.seq + 1 and not sack then sack, counted = s, true end
    if counted then close_segs = close_segs + 1 end
  end
end
local ctw_in, ctw_out = time_wait(A.lad, "client")
local stw_in, stw_out = time_wait(A.lad, "server")
local crossed = cfin and sfin and cfin.rx_time and sfin.rx_time and
                sfin.time < cfin.rx_time and cfin.time < sfin.rx_time or false

sc:say{en = "A. Simultaneous close: both applications close at the same instant",
       zh = "A. 同时关闭：双方应用在同一时刻关闭"}
print()
A.lad:print()
print()
local syn, synack = A.syns[1], A.syns[2]
sc:say({en = "The SYNs announce MSS %s and window %s (client), MSS %s and window %s (server).",
        zh = "SYN 报文段通告的 MSS 和窗口：客户端 MSS %s、窗口 %s，服务器 MSS %s、窗口 %s。"},
       syn.mss, syn.win, synack.mss, synack.win)
sc:say({en = "At %s the client closes and, %s later, the server: each sends a FIN (client\n" ..
             "seq=%s ack=%s, server seq=%s ack=%s) and enters FIN_WAIT_1. Neither FIN\n" ..
             "acknowledges the other: they cross on the wire, which carries both directions at\n" ..
             "once (full duplex). Each FIN arrives at a side that waits for the ACK of its own\n" ..
             "FIN, not at one in ESTABLISHED. RFC 9293 3.6 (case 3, figure 13): such a side\n" ..
             "goes FIN_WAIT_1 -> CLOSING and ACKs the FIN at once (client ack=%s, server\n" ..
             "ack=%s). When the ACK of its own FIN arrives it goes CLOSING -> TIME_WAIT.\n" ..
             "Four segments again, but two FINs and two ACKs crossing, not a question and an\n" ..
             "answer (%s segments here). Both sides closed actively, so both wait in TIME_WAIT\n" ..
             "for 2 MSL (client %s, server %s); nobody passes CLOSE_WAIT or LAST_ACK.",
        zh = "%s 时客户端关闭，%s 之后服务器也关闭：双方各发出一个 FIN（客户端 seq=%s ack=%s，\n" ..
             "服务器 seq=%s ack=%s），进入 FIN_WAIT_1（终止等待1）。两个 FIN 都没有确认对方：\n" ..
             "它们在线路上交错而过，线路两个方向可以同时传输（全双工）。每个 FIN 到达时，\n" ..
             "对方并不处于 ESTABLISHED，而是在等待自己那个 FIN 的确认。RFC 9293 3.6\n" ..
             "（第 3 种情形，图 13）：此时从 FIN_WAIT_1 进入 CLOSING，并立即确认对方的\n" ..
             "FIN（客户端 ack=%s，服务器 ack=%s）。等到自己 FIN 的确认到达，再从 CLOSING\n" ..
             "进入 TIME_WAIT（时间等待）。同样是四个报文段，但这是两个 FIN 与两个 ACK 交错，\n" ..
             "而不是一问一答（本次 %s 个）。双方都是主动关闭，所以双方都在 TIME_WAIT 等待\n" ..
             "2MSL（客户端 %s，服务器 %s）；谁也没有经过 CLOSE_WAIT 或 LAST_ACK。"},
       T(T0), T(K.skew), v(cfin and cfin.seq), v(cfin and cfin.ack), v(sfin and sfin.seq),
       v(sfin and sfin.ack), v(cack and cack.ack), v(sack and sack.ack), close_segs,
       ctw_in and ctw_out and T(ctw_out - ctw_in) or "-", stw_in and stw_out and T(stw_out - stw_in) or "-")
print()

-- what holds under any knob
expect(syn.mss, "the client's MSS"):eq(1460)
expect(synack.mss, "the server's MSS"):eq(1460)
expect(syn.win, "the client's window"):eq(64240)
expect(synack.win, "the server's window"):eq(65160)
expect(cfin and cfin.seq, "A: the client's FIN: seq = 1001 + the line"):eq(1001 + #LINE)
expect(sfin and sfin.seq, "A: the server's FIN: seq = 2001 + the line"):eq(2001 + #LINE)
expect(cfin.time, "A: the client closes at T0"):eq(T0)
-- the simultaneous close, as told
sc:claim("A: the two FINs cross", crossed, true)
sc:claim("A: neither FIN acknowledges the other's", {cfin.ack, sfin and sfin.ack}, {2001 + #LINE, 1001 + #LINE})
sc:claim("A: client state once the server's FIN arrived",
         sfin and sfin.rx_time and state_at(A.lad, "client", sfin.rx_time), "CLOSING")
sc:claim("A: server state once the client's FIN arrived",
         cfin.rx_time and state_at(A.lad, "server", cfin.rx_time), "CLOSING")
sc:claim("A: the client ACKs the server's FIN at once",
         cack and sfin.rx_time and {cack.seq, cack.ack, T(cack.time - sfin.rx_time)}, {1002 + #LINE, 2002 + #LINE, T(0)})
sc:claim("A: the server ACKs the client's FIN at once",
         sack and cfin.rx_time and {sack.seq, sack.ack, T(sack.time - cfin.rx_time)}, {2002 + #LINE, 1002 + #LINE, T(0)})
sc:claim("A: segments in the close", close_segs, 4)
sc:claim("A: no segment retransmitted", (function()
  for _, s in ipairs(segs) do if s.retransmission then return s.label end end
end)(), nil)
sc:claim("A: client states", states_of("A", "client"),
         {"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT", "CLOSED"})
sc:claim("A: server states (the accepted connection)", states_of("A", "server"),
         {"LISTEN", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT", "CLOSED"})
-- TIME_WAIT: Linux's 60 s, 2 x lunet's default MSL of 30 s
sc:claim("A: the client's TIME_WAIT lasts 2 MSL", ctw_in and ctw_out and T(ctw_out - ctw_in), T(lunet.time("60s")))
sc:claim("A: the server's TIME_WAIT lasts 2 MSL", stw_in and stw_out and T(stw_out - stw_in), T(lunet.time("60s")))

------------------------------------------------------------------------
-- B. simultaneous open, textbook close
------------------------------------------------------------------------

local B = lab("B")
B.server:spawn(function()
  -- no listener: the server's socket connect()s to the client's port
  local c = B.server:tcp()
  assert(c:bind(PORT))
  assert(c:connect(B.client:ip(), CPORT))
  c:send(LINE)
  c:receive("*a")                          -- until the client's FIN
  lunet.sleep("200ms")                     -- the application takes its time:
  c:close()                                -- its stack ACKed the FIN already
end)
B.client:spawn(function()
  local s = B.client:tcp()
  assert(s:bind(CPORT))
  assert(s:connect(B.server:ip(), PORT))
  s:receive("*l")
  sleep_until(T0)
  s:close()
end)
B.net:run()
B.lad:stop()
B.cap:flush()
local bsegs = B.lad:segments()
local function bsyn_of(host)
  for _, s in ipairs(bsegs) do if s.syn and s.from == host then return s.seq end end
end
-- the open: every segment before the first one carrying data
local open_segs = 0
for _, s in ipairs(bsegs) do
  if s.len > 0 then break end
  open_segs = open_segs + 1
end

sc:say{en = "B. Simultaneous open, then the textbook four-way close",
       zh = "B. 同时打开，然后是教科书式的四次挥手"}
print()
B.lad:print()
print()
sc:say({en = "Both sides connect() at t=0, to each other's fixed port: two SYNs (client seq=%s,\n" ..
             "server seq=%s) cross. Each arrives at a side in SYN_SENT, which goes to SYN_RCVD and\n" ..
             "answers SYN,ACK with its own SYN's sequence number again (RFC 9293 3.5, figure 7;\n" ..
             "hence the ladder's \"retransmission\"). The SYN,ACKs complete the open, and each\n" ..
             "side ACKs the SYN,ACK it got (the figure leaves those ACKs out): %s segments, not\n" ..
             "three, and no LISTEN anywhere. The client then closes first:\n" ..
             "FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT on its side, CLOSE_WAIT and LAST_ACK on the\n" ..
             "server's (its application closes 200 ms after reading EOF).",
        zh = "双方在 t=0 时同时 connect() 对方的固定端口：两个 SYN（客户端 seq=%s，服务器 seq=%s）\n" ..
             "交错而过。每个 SYN 到达时对方处于 SYN_SENT（同步已发送），于是进入 SYN_RCVD\n" ..
             "（同步收到），并以自己 SYN 的序号再发一个 SYN,ACK（RFC 9293 3.5，图 7；所以\n" ..
             "梯形图把它标为 retransmission）。两个 SYN,ACK 完成了连接建立，双方还各自确认\n" ..
             "收到的 SYN,ACK（图中没有画出这两个 ACK）：共 %s 个报文段而不是三个，而且没有\n" ..
             "任何一方处于 LISTEN。随后客户端先关闭：它经过 FIN_WAIT_1、\n" ..
             "FIN_WAIT_2 和 TIME_WAIT，服务器经过 CLOSE_WAIT 和 LAST_ACK（它的应用读到\n" ..
             "EOF 200 毫秒后才关闭）。"},
       v(bsyn_of("client")), v(bsyn_of("server")), open_segs)
print()

-- the simultaneous open does not depend on any knob
local bsyn = {}
for _, s in ipairs(bsegs) do
  if s.syn then bsyn[#bsyn + 1] = {from = s.from, flags = s.flags, seq = s.seq, ack = s.ack} end
end
table.sort(bsyn, function(a, b) return #a.flags .. a.from < #b.flags .. b.from end)   -- SYNs first
expect(bsyn, "B: the SYNs and SYN,ACKs of the simultaneous open"):eq({
  {from = "client", flags = "SYN", seq = 1000},
  {from = "server", flags = "SYN", seq = 2000},
  {from = "client", flags = "SYN,ACK", seq = 1000, ack = 2001},
  {from = "server", flags = "SYN,ACK", seq = 2000, ack = 1001},
})
expect(open_segs, "B: segments of the simultaneous open (2 SYN, 2 SYN,ACK, 2 ACK)"):eq(6)
expect(states_of("B", "client"), "B: client states"):eq(
  {"CLOSED", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"})
expect(states_of("B", "server"), "B: server states"):eq(
  {"CLOSED", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"})

------------------------------------------------------------------------
-- the tour, on the RFC 9293 state diagram
------------------------------------------------------------------------

-- The eleven states, lunet's names (as BSD's netstat writes them), and
-- RFC 9293's.
local STATES = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
                "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"}
local RFC = {CLOSED = "CLOSED", LISTEN = "LISTEN", SYN_SENT = "SYN-SENT", SYN_RCVD = "SYN-RECEIVED",
             ESTABLISHED = "ESTABLISHED", FIN_WAIT_1 = "FIN-WAIT-1", FIN_WAIT_2 = "FIN-WAIT-2",
             CLOSE_WAIT = "CLOSE-WAIT", CLOSING = "CLOSING", LAST_ACK = "LAST-ACK", TIME_WAIT = "TIME-WAIT"}

-- The diagram, drawn on a 77 x 39 grid (row, column from 1).  Boxes are
-- 16 wide; the left, middle and right columns of boxes start at 1, 31
-- and 61.  CLOSED is drawn twice, at the top and bottom right, as in the
-- RFC.
local BOX_W = 16
local BOXES = {
  {"CLOSED", 1, 31}, {"LISTEN", 7, 31}, {"SYN_RCVD", 13, 1}, {"SYN_SENT", 13, 61},
  {"ESTABLISHED", 19, 31}, {"FIN_WAIT_1", 25, 1}, {"CLOSE_WAIT", 25, 61},
  {"FIN_WAIT_2", 31, 1}, {"CLOSING", 31, 31}, {"LAST_ACK", 31, 61},
  {"TIME_WAIT", 37, 31}, {"CLOSED", 37, 61},
}
-- The transitions of RFC 9293's figure 5: from, to, the path as corner
-- points (the last one takes the arrowhead), and the event / action.
local EDGES = {
  {"CLOSED", "LISTEN", {{4, 35}, {6, 35}},
   {en = "passive OPEN: listen()", zh = "被动打开：listen()"}},
  {"CLOSED", "SYN_SENT", {{4, 45}, {5, 45}, {5, 66}, {12, 66}},
   {en = "active OPEN: connect(), snd SYN", zh = "主动打开：connect()，发送 SYN"}},
  {"LISTEN", "SYN_RCVD", {{10, 35}, {11, 35}, {11, 12}, {12, 12}},
   {en = "rcv SYN, snd SYN,ACK", zh = "收到 SYN，发送 SYN,ACK"}},
  {"LISTEN", "SYN_SENT", {{8, 47}, {8, 63}, {12, 63}},
   {en = "SEND: snd SYN", zh = "SEND：发送 SYN"}},
  {"LISTEN", "CLOSED", {{6, 41}, {4, 41}},
   {en = "CLOSE: close() the listener", zh = "CLOSE：关闭监听套接字"}},
  {"SYN_SENT", "SYN_RCVD", {{14, 60}, {14, 17}},
   {en = "rcv SYN, snd SYN,ACK (simultaneous open)", zh = "收到 SYN，发送 SYN,ACK（同时打开）"}},
  {"SYN_SENT", "ESTABLISHED", {{16, 66}, {17, 66}, {17, 41}, {18, 41}},
   {en = "rcv SYN,ACK, snd ACK", zh = "收到 SYN,ACK，发送 ACK"}},
  {"SYN_SENT", "CLOSED", {{12, 73}, {2, 73}, {2, 47}},
   {en = "CLOSE, or connect() gives up", zh = "CLOSE，或 connect() 放弃"}},
  {"SYN_RCVD", "ESTABLISHED", {{16, 12}, {17, 12}, {17, 35}, {18, 35}},
   {en = "rcv ACK of SYN", zh = "收到对 SYN 的 ACK"}},
  {"SYN_RCVD", "FIN_WAIT_1", {{16, 5}, {24, 5}},
   {en = "CLOSE, snd FIN", zh = "CLOSE，发送 FIN"}},
  {"SYN_RCVD", "LISTEN", {{12, 5}, {8, 5}, {8, 30}},
   {en = "rcv RST (after a passive open)", zh = "收到 RST（被动打开时）"}},
  {"ESTABLISHED", "FIN_WAIT_1", {{20, 30}, {20, 12}, {24, 12}},
   {en = "CLOSE, snd FIN (active close)", zh = "CLOSE，发送 FIN（主动关闭）"}},
  {"ESTABLISHED", "CLOSE_WAIT", {{20, 47}, {20, 68}, {24, 68}},
   {en = "rcv FIN, snd ACK (passive close)", zh = "收到 FIN，发送 ACK（被动关闭）"}},
  {"FIN_WAIT_1", "FIN_WAIT_2", {{28, 8}, {30, 8}},
   {en = "rcv ACK of FIN", zh = "收到对 FIN 的 ACK"}},
  {"FIN_WAIT_1", "CLOSING", {{26, 17}, {26, 38}, {30, 38}},
   {en = "rcv FIN, snd ACK (simultaneous close)", zh = "收到 FIN，发送 ACK（同时关闭）"}},
  {"FIN_WAIT_2", "TIME_WAIT", {{34, 8}, {38, 8}, {38, 30}},
   {en = "rcv FIN, snd ACK", zh = "收到 FIN，发送 ACK"}},
  {"CLOSING", "TIME_WAIT", {{34, 38}, {36, 38}},
   {en = "rcv ACK of FIN", zh = "收到对 FIN 的 ACK"}},
  {"CLOSE_WAIT", "LAST_ACK", {{28, 68}, {30, 68}},
   {en = "CLOSE, snd FIN", zh = "CLOSE，发送 FIN"}},
  {"LAST_ACK", "CLOSED", {{34, 68}, {36, 68}},
   {en = "rcv ACK of FIN", zh = "收到对 FIN 的 ACK"}},
  {"TIME_WAIT", "CLOSED", {{38, 47}, {38, 60}},
   {en = "timeout 2 MSL", zh = "2MSL 超时"}},
}
local GRID_W, GRID_H = 77, 39

-- A grid of characters, each with a style ("on" for what the tour took,
-- "off" for the rest) used only when colouring.
local function grid()
  local g = {}
  for r = 1, GRID_H do
    g[r] = {st = {}}
    for c = 1, GRID_W do g[r][c] = " " end
  end
  return g
end

local function put(g, r, c, ch, on) g[r][c] = ch; g[r].st[c] = on end

-- A path: solid when taken, dotted when not; the last point an arrowhead.
local function draw_edge(g, pts, on, label)
  local hch, vch, corner = on and "-" or ".", on and "|" or ":", on and "+" or "."
  local long, long_len = nil, -1
  for i = 1, #pts - 1 do
    local a, b = pts[i], pts[i + 1]
    local dr = b[1] == a[1] and 0 or (b[1] > a[1] and 1 or -1)
    local dc = b[2] == a[2] and 0 or (b[2] > a[2] and 1 or -1)
    local r, c = a[1], a[2]
    while true do
      put(g, r, c, dr == 0 and hch or vch, on)
      if r == b[1] and c == b[2] then break end
      r, c = r + dr, c + dc
    end
    if i > 1 then put(g, a[1], a[2], corner, on) end
    local len = math.abs(b[1] - a[1]) + math.abs(b[2] - a[2])
    if len > long_len then long, long_len = i, len end
    if i == #pts - 1 then
      put(g, b[1], b[2], dr > 0 and "v" or dr < 0 and "^" or dc > 0 and ">" or "<", on)
    end
  end
  -- the label, centred on the middle of the longest leg
  local a, b = pts[long], pts[long + 1]
  local r, c = (a[1] + b[1]) // 2, (a[2] + b[2]) // 2
  local col = c - (#label - 1) // 2
  for i = 1, #label do put(g, r, col + i - 1, label:sub(i, i), on) end
end

local function draw_box(g, name, r, c, on)
  local h, side = on and "-" or ".", on and "|" or ":"
  local inner = BOX_W - 2
  local text = RFC[name]
  local left = (inner - #text) // 2
  local mid = string.rep(" ", left) .. text .. string.rep(" ", inner - left - #text)
  local rows = {"+" .. string.rep(h, inner) .. "+", side .. mid .. side, "+" .. string.rep(h, inner) .. "+"}
  if not on then rows[1], rows[3] = "." .. string.rep(h, inner) .. ".", ":" .. string.rep(h, inner) .. ":" end
  for i, line in ipairs(rows) do
    for j = 1, #line do put(g, r + i - 1, c + j - 1, line:sub(j, j), on) end
  end
end

-- Draw the diagram: the untaken parts first, so that where two paths
-- touch the taken one shows.
local function diagram()
  local g = grid()
  for pass = 1, 2 do
    for i, e in ipairs(EDGES) do
      local on = taken[e[1] .. ">" .. e[2]] ~= nil
      if (pass == 2) == on then draw_edge(g, e[3], on, "(" .. i .. ")") end
    end
  end
  for _, b in ipairs(BOXES) do draw_box(g, b[1], b[2], b[3], visited[b[1]] ~= nil) end
  local colour = term.color("stdout")
  local out = {}
  for r = 1, GRID_H do
    local line = g[r]
    local n = GRID_W
    while n > 0 and line[n] == " " do n = n - 1 end
    local parts, c = {}, 1
    while c <= n do
      local st, d = line.st[c], c
      while d < n and line.st[d + 1] == st do d = d + 1 end
      local run = table.concat(line, "", c, d)
      if colour and st ~= nil then run = term.paint("stdout", st and "bold green" or "dim", run) end
      parts[#parts + 1] = run
      c = d + 1
    end
    out[#out + 1] = "  " .. table.concat(parts)
  end
  return out
end

local visited_list, missing = {}, {}
for _, s in ipairs(STATES) do
  if visited[s] then visited_list[#visited_list + 1] = s else missing[#missing + 1] = s end
end
local edge_of, extra = {}, {}
for _, e in ipairs(EDGES) do edge_of[e[1] .. ">" .. e[2]] = true end
for tr in pairs(taken) do
  if not edge_of[tr] then extra[#extra + 1] = tr end
end
table.sort(extra)
local n_taken = 0
for _, e in ipairs(EDGES) do if taken[e[1] .. ">" .. e[2]] then n_taken = n_taken + 1 end end

sc:say{en = "The tour: the RFC 9293 state diagram (its figure 5, redrawn) with what A and B did",
       zh = "状态之旅：RFC 9293 的状态图（图 5，重新绘制），标出 A 和 B 走过的路径"}
sc:say({en = "Solid boxes and lines: states visited and transitions taken (%s of 11 states,\n" ..
             "%s of %s transitions); dotted: not taken. The numbers are listed below the diagram.",
        zh = "实线框和实线：走过的状态和转换（11 个状态中走过 %s 个；转换走过 %s 个，共 %s 个）；\n" ..
             "虚线：没有走过。图中编号的含义列在图下。"},
       #visited_list, n_taken, #EDGES)
print()
for _, l in ipairs(diagram()) do print(l) end
print()
for i, e in ipairs(EDGES) do
  local by = taken[e[1] .. ">" .. e[2]]
  local parts = {}
  for _, p in ipairs({"A", "B"}) do if by and by[p] then parts[#parts + 1] = p end end
  print(string.format("  %s %4s %-12s -> %-12s  %s%s", by and "*" or " ", "(" .. i .. ")", RFC[e[1]], RFC[e[2]],
                      sc:t(e[4]), by and " [" .. table.concat(parts, ",") .. "]" or ""))
end
print()
sc:say({en = "* = taken, [A,B] = by which experiment. States visited (%s of 11):\n  %s.",
        zh = "* = 走过，[A,B] = 由哪个实验走过。走过的状态（11 个中的 %s 个）：\n  %s。"},
       #visited_list, table.concat(visited_list, " "))
if #missing > 0 then
  sc:say({en = "Not visited: %s.", zh = "没有走过：%s。"}, table.concat(missing, " "))
end
if #extra > 0 then
  sc:say({en = "Transitions taken that the figure does not draw: %s.", zh = "图中没有画出、但实际发生的转换：%s。"},
         table.concat(extra, " "))
end
sc:say{en = "The figure leaves out what RFC 9293 only writes in words: FIN_WAIT_1 straight to\n" ..
            "TIME_WAIT on a FIN that also ACKs our FIN (lunet, like Linux, passes FIN_WAIT_2\n" ..
            "in the same instant), and the RSTs that close any state at once.",
       zh = "图中没有画出 RFC 9293 只在正文中描述的转换：FIN_WAIT_1 收到同时确认了自己 FIN\n" ..
            "的 FIN 时直接进入 TIME_WAIT（lunet 与 Linux 一样，在同一时刻经过 FIN_WAIT_2），\n" ..
            "以及在任何状态下收到 RST 立即关闭。"}
print()

-- every state, whatever the knobs; CLOSING only when the FINs cross
for _, s in ipairs(STATES) do
  if s ~= "CLOSING" then expect(visited[s], "state " .. s .. " visited"):truthy() end
end
sc:claim("the tour visits CLOSING (the FINs of A cross)", visited.CLOSING ~= nil, true)
sc:claim("the tour visits all 11 states", visited_list, STATES)
sc:claim("every transition taken is in the figure", extra, {})
sc:claim("transitions of the figure taken", n_taken, 16)

------------------------------------------------------------------------
-- the names
------------------------------------------------------------------------

-- RFC 9293, lunet (and BSD netstat), Linux's netstat and ss, the notes
-- where they differ, and the Chinese names of the notes' textbook.
local NAMES = {
  {"CLOSED", "CLOSED", "CLOSE", "UNCONN", "", "关闭"},
  {"LISTEN", "LISTEN", "LISTEN", "LISTEN", "", "监听"},
  {"SYN-SENT", "SYN_SENT", "SYN_SENT", "SYN-SENT", "SYN_SEND", "同步已发送"},
  {"SYN-RECEIVED", "SYN_RCVD", "SYN_RECV", "SYN-RECV", "SYN_RECV", "同步收到"},
  {"ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTAB", "", "已建立连接"},
  {"FIN-WAIT-1", "FIN_WAIT_1", "FIN_WAIT1", "FIN-WAIT-1", "FIN_WAIT1", "终止等待1"},
  {"FIN-WAIT-2", "FIN_WAIT_2", "FIN_WAIT2", "FIN-WAIT-2", "FIN_WAIT2", "终止等待2"},
  {"CLOSE-WAIT", "CLOSE_WAIT", "CLOSE_WAIT", "CLOSE-WAIT", "", "关闭等待"},
  {"CLOSING", "CLOSING", "CLOSING", "CLOSING", "", "同时关闭"},
  {"LAST-ACK", "LAST_ACK", "LAST_ACK", "LAST-ACK", "", "最后确认"},
  {"TIME-WAIT", "TIME_WAIT", "TIME_WAIT", "TIME-WAIT", "", "时间等待"},
}
sc:say{en = "The names of the states: RFC 9293, lunet, Linux's tools, and the notes",
       zh = "状态的名称：RFC 9293、lunet、Linux 工具与笔记中的写法"}
local head = {sc:t{en = "RFC 9293", zh = "RFC 9293"}, "lunet", "netstat", "ss",
              sc:t{en = "notes", zh = "笔记"}, sc:t{en = "Chinese", zh = "中文"}}
local function pad(text, width)      -- in terminal columns: a Chinese character takes two
  local cols = 0
  for _, cp in utf8.codes(text) do cols = cols + (cp >= 0x1100 and 2 or 1) end
  return text .. string.rep(" ", math.max(0, width - cols))
end
local function row(t)
  print("  " .. pad(t[1], 14) .. pad(t[2], 13) .. pad(t[3], 13) .. pad(t[4], 12) .. pad(t[5], 11) .. t[6])
end
row(head)
for _, n in ipairs(NAMES) do row(n) end
print()
sc:say{en = "The notes' SYN_SEND is a slip for SYN_SENT: no stack spells it that way.\n" ..
            "Their SYN_RECV is Linux's name (netstat; ss writes SYN-RECV) for RFC 9293's\n" ..
            "SYN-RECEIVED, which lunet, like BSD, calls SYN_RCVD (one of the notes writes\n" ..
            "SYN-RCVD, another SYN_REVD: the same state). The events, the ladders and\n" ..
            "h:sockets() use lunet's names. Wireshark shows no states at all, only the\n" ..
            "segments from which each end concluded its own.",
       zh = "笔记中的 SYN_SEND 是 SYN_SENT 的笔误：没有哪个协议栈这样拼写。笔记中的\n" ..
            "SYN_RECV 是 Linux 的叫法（netstat；ss 写作 SYN-RECV），对应 RFC 9293 的\n" ..
            "SYN-RECEIVED，lunet 与 BSD 一样称之为 SYN_RCVD（有的笔记写作 SYN-RCVD，\n" ..
            "还有的写成 SYN_REVD，都是同一个状态）。事件、梯形图和 h:sockets() 使用 lunet\n" ..
            "的名称。Wireshark 不显示状态，只显示报文段，两端各自据此得出自己的状态。"}
print()
-- lunet's names are the table's second column, and they are what the events said
for _, n in ipairs(NAMES) do expect(RFC[n[2]], "lunet name " .. n[2]):eq(n[1]) end
expect(visited.SYN_SENT and visited.SYN_RCVD and true, "SYN_SENT and SYN_RCVD as the events name them"):eq(true)

for _, L in ipairs({A, B}) do
  sc:say({en = "pcap: %s, open it in Wireshark (%s frames)", zh = "pcap：%s，可用 Wireshark 打开（%s 帧）"},
         L.cap.path, L.cap:count())
end
