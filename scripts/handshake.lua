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
--        lunet run --lang zh scripts/handshake.lua       (in Chinese)
--        lunet run scripts/handshake.lua server_pause=0ms  (a what-if; --help lists them)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "handshake",
  title = {en = "TCP: three-way handshake, a little data, four-way close",
           zh = "TCP：三次握手、少量数据、四次挥手"},
  knobs = {
    {"server_pause", default = "200ms", try = "0ms", kind = "time",
     help = {en = "how long the server application waits after EOF before close() (0ms: FIN and ACK merge)",
             zh = "服务器应用读到 EOF 后等多久才 close()（0ms：FIN 与 ACK 合并）"}},
    {"isn", default = 1000, try = 5000, kind = "integer", min = 0, max = 4294967295,
     help = {en = "the client's initial sequence number x (the server's is x + 1000)",
             zh = "客户端的初始序号 x（服务器的为 x + 1000）"}},
    {"delay", default = "5ms", try = "50ms", kind = "time",
     help = {en = "one-way delay of the link", zh = "链路单向时延"}},
  },
}
local K = sc.k

local PORT, LINE = 80, "hello\n"
local T = lunet.fmt_time
local PAUSE = T(K.server_pause)

local net = lunet.net{name = "handshake"}
local client, server = net:host("client"), net:host("server")
net:link(client, server, {bandwidth = "10Mbps", delay = K.delay / 1e9,
                          ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- Fixed initial sequence numbers, as in the notes (real stacks pick them
-- at random, RFC 6528, so that nobody can guess them).
local X = K.isn
if rawget(lunet, "quiz") and sc.textbook then
  -- a quiz: each --seed gives each student other numbers to work out
  X = net:rng("quiz"):int(0, 0xfffff000)
end
local Y = (X + 1000) & 0xffffffff
client:sysctl("net.ipv4.tcp_fixed_isn", X)
server:sysctl("net.ipv4.tcp_fixed_isn", Y)
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
  lad:note(sc:t({en = "server app: read EOF, closes %s later", zh = "服务器应用：读到 EOF，%s 后关闭"}, PAUSE))
  lunet.sleep(K.server_pause / 1e9)
  c:close()                                      -- our FIN: LAST_ACK
end)

client:spawn(function()
  local s = assert(client:connect(server:ip(), PORT))   -- active open
  lad:note(sc:t{en = "client app: connect() returned", zh = "客户端应用：connect() 返回"})
  s:send(LINE)
  echoed = s:receive("*l")
  lad:note(sc:t{en = "client app: got the echo, close()", zh = "客户端应用：收到回显，close()"})
  s:close()                                      -- our FIN: FIN_WAIT_1
  lunet.sleep("1s")
  tw_listing = client:sockets("tcp")             -- what `ss -tan` would show now
end)

net:run()                                        -- until TIME_WAIT is over
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

sc:say({en = "client 10.0.0.1  ====  10 Mbit/s, %s  ====  server 10.0.0.2:80",
        zh = "客户端 10.0.0.1  ====  10 Mbit/s，%s  ====  服务器 10.0.0.2:80"}, T(K.delay))
print()
lad:print()
print()

local segs = lad:segments()
local function seg(i) return segs[i] end

local fins = {}
for i, s in ipairs(segs) do if s.fin then fins[#fins + 1] = i end end
local cfin, sfin = segs[fins[1]], segs[fins[2]]
local after_fin = segs[fins[1] + 1]
local merged = after_fin == sfin                 -- the server's ACK rode on its FIN

sc:say{en = "Reading the diagram (virtual time in seconds on the left):",
       zh = "读图（左侧为虚拟时间，单位秒）："}
sc:say({en = "  The SYN leaves at %s, not at 0: the client first asked \"who has 10.0.0.2?\" (ARP).",
        zh = "  SYN 在 %s 发出而不是 0：客户端先用 ARP 询问“谁是 10.0.0.2？”。"}, T(seg(1).time))
sc:say({en = "  Each crossing of the link then takes %s.", zh = "  之后每次穿越链路用时 %s。"}, T(K.delay))
sc:say({en = "  1. SYN seq=%d: the client's ISN x. A SYN carries no data but uses one",
        zh = "  1. SYN seq=%d：客户端的初始序号 x。SYN 不携带数据，但占用一个序号，"}, seg(1).seq)
sc:say{en = "     sequence number, so the server acknowledges x+1.",
       zh = "     所以服务器确认 x+1。"}
sc:say({en = "  2. SYN,ACK seq=%d ack=%d: the server's own ISN y, and \"I got x\".",
        zh = "  2. SYN,ACK seq=%d ack=%d：服务器自己的初始序号 y，以及“我收到了 x”。"}, seg(2).seq, seg(2).ack)
sc:say({en = "  3. ACK seq=%d ack=%d: \"I got y\". Now both ISNs are confirmed; after",
        zh = "  3. ACK seq=%d ack=%d：“我收到了 y”。至此双方的初始序号都已确认；"}, seg(3).seq, seg(3).ack)
sc:say{en = "     two segments the server could not know that its SYN,ACK arrived.",
       zh = "     若只有两次握手，服务器无法知道自己的 SYN,ACK 是否到达。"}
sc:say({en = "  Then %d bytes each way: seq counts bytes, ack is the next byte expected.",
        zh = "  然后双向各 %d 字节：seq 按字节计数，ack 是期望收到的下一个字节。"}, #LINE)
sc:say({en = "  The close: the client's FIN seq=%d puts it in FIN_WAIT_1.",
        zh = "  关闭：客户端发出 FIN seq=%d，进入 FIN_WAIT_1。"}, cfin.seq)
if not merged then
  sc:say({en = "  The server's stack ACKs it (ack=%d) by itself, %s after it arrived (delayed ACK).",
          zh = "  服务器协议栈自行确认（ack=%d），在 FIN 到达 %s 后（延迟确认）。"},
         after_fin.ack, T(after_fin.time - cfin.rx_time))
  sc:say{en = "  The server is in CLOSE_WAIT, half-closed: its application could still send data.",
         zh = "  服务器处于 CLOSE_WAIT，半关闭：它的应用仍然可以发送数据。"}
  sc:say({en = "  It closes %s after reading EOF: FIN seq=%d, LAST_ACK. The client's last",
          zh = "  它读到 EOF %s 后关闭：FIN seq=%d，进入 LAST_ACK。客户端的最后一个"}, PAUSE, sfin.seq)
  sc:say({en = "  ACK (ack=%d) closes the server. Four segments, because the server's FIN",
          zh = "  ACK（ack=%d）使服务器关闭。四个报文段（四次挥手），因为服务器的 FIN"}, segs[#segs].ack)
  sc:say{en = "  waits for its application; SYN and ACK could be merged, these could not.",
         zh = "  要等它的应用；SYN 和 ACK 可以合并，而这两个不能。"}
else
  sc:say({en = "  The server closed %s after EOF, before its delayed ACK was due: its ACK",
          zh = "  服务器在 EOF 后 %s 就关闭了，早于延迟确认的时刻：它的 ACK"}, PAUSE)
  sc:say({en = "  rides on its FIN (seq=%d, ack=%d). Three segments: FIN and ACK merge when",
          zh = "  搭载在 FIN 上（seq=%d，ack=%d）。三个报文段：当服务器"}, sfin.seq, sfin.ack)
  sc:say{en = "  the server has nothing left to send, as SYN and ACK do in the handshake.",
         zh = "  没有剩余数据要发送时，FIN 与 ACK 可以合并，就像握手中的 SYN 与 ACK。"}
end

-- the client stays in TIME_WAIT for 2 MSL after its last ACK
local tw_start, tw_end
for _, r in ipairs(lad:transitions()) do
  if r.host == "client" and r.to == "TIME_WAIT" then tw_start = r.time end
  if r.host == "client" and r.from == "TIME_WAIT" and r.to == "CLOSED" then tw_end = r.time end
end
local msl = lunet.time(client:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
sc:say({en = "  TIME_WAIT: the client, which closed first, waits 2 MSL = %s before",
        zh = "  TIME_WAIT：先关闭的客户端要等待 2MSL = %s 才进入"}, T(2 * msl))
sc:say{en = "  CLOSED, in case its last ACK is lost and the server's FIN comes again.",
       zh = "  CLOSED，以防最后的 ACK 丢失、服务器重发 FIN。"}
sc:say{en = "  One second after its close, `ss -tan` on the client shows:",
       zh = "  关闭一秒后，客户端上 `ss -tan` 显示："}
for _, s in ipairs(tw_listing or {}) do
  print(string.format("    %-10s %-18s %-18s timer:(%s,%s)", s.state, s["local"], s.remote,
                      s.timer or "-", s.timer_left and T(s.timer_left) or "-"))
end
print()
for _, c in ipairs(caps) do
  sc:say({en = "pcap: %s (%d frames): open it in Wireshark", zh = "pcap：%s（%d 帧），用 Wireshark 打开"},
         c.path, c:count())
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

expect(echoed, "echo"):eq("hello")

-- the handshake (any knob: the ISNs are the knob's)
expect(seg(1).from, "segment 1 sender"):eq("client")
expect(seg(1).flags, "segment 1 flags"):eq("SYN")
expect(seg(1).seq, "SYN seq"):eq(X)
expect(seg(1).len, "SYN length"):eq(0)
expect(seg(2).from, "segment 2 sender"):eq("server")
expect(seg(2).flags, "segment 2 flags"):eq("SYN,ACK")
expect(seg(2).seq, "SYN,ACK seq"):eq(Y)
expect(seg(2).ack, "SYN,ACK ack"):eq((X + 1) & 0xffffffff)
expect(seg(3).from, "segment 3 sender"):eq("client")
expect(seg(3).flags, "segment 3 flags"):eq("ACK")
expect(seg(3).seq, "ACK seq"):eq((X + 1) & 0xffffffff)
expect(seg(3).ack, "ACK ack"):eq((Y + 1) & 0xffffffff)

-- the close: FIN (seq=u), ACK (ack=u+1), FIN (seq=w, ack=u+1), ACK (ack=w+1)
expect(#fins, "FIN segments"):eq(2)
expect(cfin.from, "first FIN"):eq("client")
expect(sfin.from, "second FIN"):eq("server")
local u, w = cfin.seq, sfin.seq
expect(u, "client FIN seq"):eq((X + 1 + #LINE) & 0xffffffff)
expect(sfin.ack, "server FIN ack"):eq((u + 1) & 0xffffffff)
expect(w, "server FIN seq"):eq((Y + 1 + #LINE) & 0xffffffff)
sc:claim({en = "the server's ACK of the FIN goes alone (a four-segment close)",
          zh = "服务器对 FIN 的 ACK 单独发送（四次挥手）"}, not merged, true)
if not merged then
  expect(after_fin.from, "segment after the client's FIN"):eq("server")
  expect(after_fin.flags, "the server's ACK of the FIN, alone"):eq("ACK")
  expect(after_fin.ack):eq((u + 1) & 0xffffffff)
end
local last = segs[#segs]
expect(last.from, "last segment"):eq("client")
expect(last.flags):eq("ACK")
expect(last.ack, "last ACK"):eq((w + 1) & 0xffffffff)
expect(#segs, "segments in all"):eq(fins[2] + 1)
for _, s in ipairs(segs) do expect(s.lost, "lost segment"):is_nil() end

-- the states, in order
expect(lad:states(client)):eq({"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                               "TIME_WAIT", "CLOSED"})
sc:claim({en = "the server's states", zh = "服务器的状态"}, lad:states(server),
         {"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"})
expect(tw_end - tw_start, "TIME_WAIT lasts 2 MSL"):eq(2 * msl)
expect(#tw_listing, "client sockets in TIME_WAIT"):eq(1)
expect(tw_listing[1].state):eq("TIME_WAIT")
listener:close()
