-- half_close.lua - the four-way close up close (points 4 and 5 of the
-- notes): a half-closed connection that still carries data, and why the
-- server's ACK and FIN are two segments, except when they are one.
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- Three short experiments, each on a fresh network, ISNs fixed at 1000
-- (client) and 2000 (server) as in the notes:
--   A. Half-close with data.  The client sends a request and calls
--      shutdown(SHUT_WR): its FIN says "nothing more from me", not "stop
--      talking".  The server, in CLOSE_WAIT, streams its answer in several
--      segments; the client, in FIN_WAIT_2, receives and ACKs each one.
--      Then the server closes (LAST_ACK), the client ends in TIME_WAIT.
--   B. Nothing left to say.  The client uploads a line and half-closes;
--      the server reads to EOF and closes at once.  Its stack holds the
--      ACK of the FIN back (Linux's delayed ACK, 40 ms here), so the
--      server's FIN leaves first and carries that ACK: three segments.
--   C. A reply still pending.  The same, but the server needs 100 ms to
--      compute a reply after reading EOF.  The delayed ACK does not wait
--      that long: the ACK goes alone, then the data, then the FIN.  That
--      is why the textbook close takes four segments; a SYN,ACK can merge
--      because nothing has to happen between its two halves.
--
-- Run:   lunet run scripts/half_close.lua [knob=value ...]   (--help lists
--        the knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark (one per experiment,
-- captured at the client).

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "half_close",
  title = {en = "Half-close and the four-way close: data in CLOSE_WAIT; when ACK and FIN merge",
           zh = "半关闭与四次挥手：CLOSE_WAIT 状态下继续发送数据；ACK 与 FIN 何时可以合并"},
  knobs = {
    {"data", default = 3, try = 0, kind = "integer", min = 0, max = 20,
     help = {en = "A: data segments the server sends while in CLOSE_WAIT",
             zh = "A：服务器在 CLOSE_WAIT 状态下发送的数据报文段数"}},
    {"client", default = "shutdown", try = "close", values = {"shutdown", "close"},
     help = {en = "A: the client ends its sending with shutdown(SHUT_WR) or close()",
             zh = "A：客户端用 shutdown(SHUT_WR) 还是 close() 结束发送"}},
    {"pause", default = "0ms", try = "100ms", kind = "time",
     help = {en = "B: how long the server waits after reading EOF before close()",
             zh = "B：服务器读到 EOF 后等待多久才调用 close()"}},
    {"work", default = "100ms", try = "10ms", kind = "time",
     help = {en = "C: how long the server computes its reply after reading EOF",
             zh = "C：服务器读到 EOF 后计算回复所需的时间"}},
  },
}
local K = sc.k

local PORT = 80
local CHUNK = 100                 -- bytes per data segment the server sends in A and C
local GAP = "50ms"                -- A: one segment every 50 ms, like a log being tailed
local DELACK = lunet.time("40ms") -- Linux's delayed ACK (TCP_DELACK_MIN) on a young connection
local T = lunet.fmt_time

-- With knobs changed a segment the text refers to may not exist: print
-- "-" for it rather than failing in string.format.
local function v(x) if x == nil then return "-" end return x end

local function chunk(text) return string.format("%-" .. (CHUNK - 1) .. "s\n", text) end

------------------------------------------------------------------------
-- the lab, the same for every experiment
------------------------------------------------------------------------

local function lab(name)
  local net = lunet.net{name = "half_close_" .. name}
  local client, server = net:host("client"), net:host("server")
  net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                            ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  -- static ARP: only TCP on the wire, so the times below are TCP's own
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  -- the notes' ISNs (real stacks pick them at random, RFC 6528)
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local L = {net = net, client = client, server = server, syns = {}}
  L.listener = assert(server:listen(PORT))           -- passive open: LISTEN
  L.lad = ladder.new(net, {hosts = {client, server}, ports = {PORT}})
  L.cap = net:capture{iface = client.eth0, file = "half_close-" .. name .. ".pcap"}
  -- the options of the SYN and the SYN,ACK: what each side announces
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" or not ev.flags:find("S", 1, true) then return end
    local tcp = ev.packet.tcp
    local o = {node = ev.node, win = tcp.window}
    for _, opt in ipairs(tcp.options) do
      if type(opt) == "table" then
        o.mss, o.ws, o.ts = opt.mss or o.mss, opt.ws or o.ws, o.ts or opt.ts ~= nil
      elseif opt == "sack_perm" then
        o.sack = true
      end
    end
    L.syns[#L.syns + 1] = o
  end)
  return L
end

-- After the run: the segments, each with the state its sender was in
-- when it left (the ladder's rows are in event order), and the facts of
-- the close.
local function analyse(L)
  L.lad:stop()
  L.listener:close()
  L.cap:flush()
  local segs = L.lad:segments()
  local r = {segs = segs, trans = L.lad:transitions(),
             cstates = L.lad:states(L.client), sstates = L.lad:states(L.server)}
  local now, i = {}, 0
  for _, row in ipairs(L.lad:rows()) do
    if row.kind == "state" and not row.state.flow:find("0.0.0.0:0", 1, true) then  -- not the listener
      now[row.state.host] = row.state.to
    elseif row.kind == "seg" then
      i = i + 1
      segs[i].state = now[segs[i].from]
    end
  end
  for j, s in ipairs(segs) do
    if s.fin and s.from == "client" and not r.cfin then r.cfin, r.cfin_i = s, j end
    if s.fin and s.from == "server" and not r.sfin then r.sfin = s end
    if s.rst and not r.rst then r.rst = s end
  end
  if not r.cfin then return r end
  -- The close: the client's segments from its FIN on, the server's from
  -- the moment that FIN reached it.  (The server's ACK of the request,
  -- sent just before, is not part of it.)
  r.close = {}
  for j = r.cfin_i, #segs do
    local s = segs[j]
    if s.from == "client" or (r.cfin.rx_time and s.time >= r.cfin.rx_time) then r.close[#r.close + 1] = s end
  end
  -- the first server segment that acknowledges the client's FIN
  for _, s in ipairs(r.close) do
    if s.from == "server" and s.ack == r.cfin.seq + 1 then r.fin_ack = s; break end
  end
  -- The close proper: the FINs and the first ACK of each (data, and the
  -- ACKs of data, in between are not part of it).
  r.close_segs = 0
  local acked = {}
  for _, s in ipairs(r.close) do
    local counted = s.fin
    for _, f in ipairs({r.cfin, r.sfin}) do
      if s.from ~= f.from and s.ack == f.seq + 1 and not acked[f] then acked[f], counted = true, true end
    end
    if counted then r.close_segs = r.close_segs + 1 end
  end
  return r
end

-- The state a host is in once everything that happened at time t is done.
local function state_at(r, host, t)
  local st
  for _, tr in ipairs(r.trans) do
    if tr.host == host and tr.time <= t and not tr.flow:find("0.0.0.0:0", 1, true) then st = tr.to end
  end
  return st
end

local function show(L)
  print()
  L.lad:print()
  print()
end

------------------------------------------------------------------------
-- A. half-close with data
------------------------------------------------------------------------

local REQUEST = "GET /log\n"

local A = lab("a")
local a_got = {}                          -- what the client read, piece by piece
A.server:spawn(function()
  local c = A.listener:accept()
  c:receive("*l")                         -- the request ...
  local more, why = c:receive()           -- ... then nil, "closed": the client's FIN
  assert(more == nil and why == "closed")
  A.lad:note(sc:t{en = "server app: read EOF, keeps sending", zh = "服务器应用：读到 EOF，继续发送"})
  for i = 1, K.data do
    lunet.sleep(GAP)
    if not c:send(chunk("line " .. i)) then break end   -- nil, "reset" (client=close)
  end
  c:close()                               -- our FIN: LAST_ACK
end)
A.client:spawn(function()
  local s = assert(A.client:connect(A.server:ip(), PORT))
  s:send(REQUEST)
  if K.client == "shutdown" then
    s:shutdown("send")                    -- FIN: half-close, still reading
    A.lad:note(sc:t{en = "client app: shutdown(SHUT_WR)", zh = "客户端应用：shutdown(SHUT_WR)"})
    while true do
      local d = s:receive()
      if not d then break end             -- nil, "closed": the server's FIN
      a_got[#a_got + 1] = d
    end
  else
    A.lad:note(sc:t{en = "client app: close()", zh = "客户端应用：close()"})
  end
  s:close()                               -- (client=close: the FIN, and no more reading)
end)
A.net:run()                               -- until the client's TIME_WAIT is over
local ra = analyse(A)

sc:say{en = "A. Half-close: the server keeps sending after the client's FIN",
       zh = "A. 半关闭：客户端发出 FIN 之后，服务器继续发送数据"}
show(A)

local syn, synack = A.syns[1], A.syns[2]
local segs = ra.segs
local u, w = ra.cfin and ra.cfin.seq, ra.sfin and ra.sfin.seq
-- the server's data after the client's FIN, and the client's ACK of each
local data, data_acked, data_in_fw2, data_from_cw = {}, 0, 0, 0
for _, s in ipairs(ra.close or {}) do
  if s.from == "server" and s.len > 0 then data[#data + 1] = s end
end
for _, d in ipairs(data) do
  if d.state == "CLOSE_WAIT" then data_from_cw = data_from_cw + 1 end
  if d.rx_time and state_at(ra, "client", d.rx_time) == "FIN_WAIT_2" then data_in_fw2 = data_in_fw2 + 1 end
  for _, s in ipairs(segs) do
    if s.from == "client" and s.flags == "ACK" and s.ack == d.seq + d.len then
      data_acked = data_acked + 1
      break
    end
  end
end
local last = segs[#segs]

sc:say({en = "The handshake also tells each side the other's MSS and window (SYN options):\n" ..
             "  SYN      from the client: MSS %s, window %s, window scale %s, SACK, timestamps\n" ..
             "  SYN,ACK  from the server: MSS %s, window %s, window scale %s, SACK, timestamps\n" ..
             "  With timestamps (12 bytes of options in every segment) a data segment carries\n" ..
             "  at most %s bytes.",
        zh = "三次握手同时让双方得知对方的 MSS 和窗口（SYN 报文段的选项）：\n" ..
             "  客户端的 SYN：    MSS %s，窗口 %s，窗口扩大因子 %s，SACK，时间戳\n" ..
             "  服务器的 SYN,ACK：MSS %s，窗口 %s，窗口扩大因子 %s，SACK，时间戳\n" ..
             "  启用时间戳后每个报文段多出 12 字节选项，一个数据报文段最多携带\n" ..
             "  %s 字节。"},
       syn.mss, syn.win, syn.ws, synack.mss, synack.win, synack.ws, synack.mss - 12)
print()
sc:say({en = "TCP is full duplex: each direction is closed by its own FIN.\n" ..
             "1. The client sends its request (%s bytes) and calls %s at once:\n" ..
             "   FIN seq=u=%s. It is in FIN_WAIT_1: it will send nothing more, but still reads.\n" ..
             "2. The server enters CLOSE_WAIT as the FIN arrives. Its stack ACKs the FIN by\n" ..
             "   itself (ack=u+1=%s), %s later (delayed ACK); that ACK puts the client in\n" ..
             "   FIN_WAIT_2. The connection is half-closed: client to server is shut, server\n" ..
             "   to client still open.\n" ..
             "3. In CLOSE_WAIT the server's application goes on sending: %s segments of %s\n" ..
             "   bytes, one every %s. The client, in FIN_WAIT_2, takes each and ACKs it (%s ACKs).\n" ..
             "4. Then the server closes: FIN seq=w=%s ack=u+1=%s, LAST_ACK. The client ACKs it\n" ..
             "   (ack=w+1=%s) and enters TIME_WAIT; the server is CLOSED on that ACK.\n" ..
             "The close itself is four segments (FIN, ACK, FIN, ACK); with the data and its\n" ..
             "ACKs in between, %s segments went from the client's FIN to the last ACK.\n" ..
             "Why shutdown() and not close(): after close() the client can read nothing more,\n" ..
             "and Linux answers data that arrives for such a socket with RST (client=close).",
        zh = "TCP 是全双工的：每个方向各由自己的 FIN 关闭。\n" ..
             "1. 客户端发出请求（%s 字节）后立即调用 %s：\n" ..
             "   FIN seq=u=%s，进入 FIN_WAIT_1（终止等待1）：它不再发送，但仍然接收。\n" ..
             "2. FIN 一到，服务器就进入 CLOSE_WAIT（关闭等待）。它的协议栈自行确认这个 FIN\n" ..
             "   （ack=u+1=%s），在 %s 后发出（延迟确认）；客户端收到这个 ACK 后进入\n" ..
             "   FIN_WAIT_2（终止等待2）。连接处于半关闭状态：客户端到服务器的方向已关闭，\n" ..
             "   服务器到客户端的方向仍然畅通。\n" ..
             "3. 服务器应用在 CLOSE_WAIT 状态下继续发送：%s 个数据报文段，每个 %s 字节，\n" ..
             "   每 %s 一个。处于 FIN_WAIT_2 的客户端照常接收并逐一确认（%s 个 ACK）。\n" ..
             "4. 然后服务器关闭：FIN seq=w=%s ack=u+1=%s，进入 LAST_ACK（最后确认）。客户端确认它\n" ..
             "   （ack=w+1=%s）并进入 TIME_WAIT（时间等待）；服务器收到这个 ACK 后进入 CLOSED。\n" ..
             "挥手本身是四个报文段（FIN、ACK、FIN、ACK）；连同其间的数据和对数据的确认，\n" ..
             "从客户端的 FIN 到最后一个 ACK 共 %s 个报文段。\n" ..
             "为什么用 shutdown() 而不用 close()：close() 之后客户端什么也读不到了，\n" ..
             "Linux 对发给这种套接字的数据回以 RST（试试 client=close）。"},
       #REQUEST, K.client == "shutdown" and "shutdown(SHUT_WR)" or "close()", v(u), v(ra.fin_ack and ra.fin_ack.ack),
       ra.fin_ack and ra.cfin.rx_time and T(ra.fin_ack.time - ra.cfin.rx_time) or "-",
       #data, CHUNK, GAP, data_acked, v(w), v(ra.sfin and ra.sfin.ack), v(last.ack),
       #(ra.close or {}))
print()

-- the handshake and its options hold under any knob
expect(segs[1].flags, "segment 1"):eq("SYN")
expect(segs[1].seq, "SYN seq = the client's ISN"):eq(1000)
expect(segs[2].flags, "segment 2"):eq("SYN,ACK")
expect(segs[2].seq, "SYN,ACK seq = the server's ISN"):eq(2000)
expect(segs[2].ack, "SYN,ACK ack = x+1"):eq(1001)
expect(segs[3].seq, "ACK seq"):eq(1001)
expect(segs[3].ack, "ACK ack = y+1"):eq(2001)
expect(syn.node, "the SYN's sender"):eq("client")
expect(syn.mss, "the client's MSS"):eq(1460)
expect(synack.mss, "the server's MSS"):eq(1460)
expect(syn.win, "the client's window in its SYN"):eq(64240)
expect(synack.win, "the server's window in its SYN,ACK"):eq(65160)
expect(syn.ts and synack.ts and syn.sack and synack.sack, "timestamps and SACK"):eq(true)
expect(segs[4].len, "the request"):eq(#REQUEST)
expect(u, "the client's FIN: u = 1001 + the request"):eq(1001 + #REQUEST)
-- the half-close, as the text tells it
sc:claim("A: the server's first answer to the FIN is a bare ACK, ack = u+1",
         ra.fin_ack and {flags = ra.fin_ack.flags, len = ra.fin_ack.len, ack = ra.fin_ack.ack},
         {flags = "ACK", len = 0, ack = u + 1})
sc:claim("A: the ACK of the FIN waits for the delayed-ACK timer",
         ra.fin_ack and T(ra.fin_ack.time - ra.cfin.rx_time), T(DELACK))
sc:claim("A: client state once that ACK arrived",
         ra.fin_ack and ra.fin_ack.rx_time and state_at(ra, "client", ra.fin_ack.rx_time), "FIN_WAIT_2")
sc:claim("A: data segments the server sent in CLOSE_WAIT", data_from_cw, K.data)
sc:claim("A: data segments the client received in FIN_WAIT_2", data_in_fw2, K.data)
sc:claim("A: data segments the client ACKed", data_acked, K.data)
sc:claim("A: bytes the client read after its FIN", #table.concat(a_got), K.data * CHUNK)
sc:claim("A: the server's FIN: w = 2001 + the data", w, 2001 + K.data * CHUNK)
sc:claim("A: the server's FIN acknowledges u+1 too", ra.sfin and ra.sfin.ack, u + 1)
sc:claim("A: the last segment: the client's ACK, ack = w+1",
         {from = last.from, flags = last.flags, ack = last.ack},
         {from = "client", flags = "ACK", ack = 2001 + K.data * CHUNK + 1})
sc:claim("A: segments in the close proper", ra.close_segs, 4)
sc:claim("A: segments from the client's FIN to the last ACK", #ra.close, 4 + 2 * K.data)
sc:claim("A: no RST", ra.rst and ra.rst.label, nil)
sc:claim("A: client states", ra.cstates,
         {"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"})
sc:claim("A: server states", ra.sstates,
         {"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"})

------------------------------------------------------------------------
-- B and C: the same client; a server with nothing to add, or with a reply
------------------------------------------------------------------------

-- The client sends a line and half-closes, then reads until the server
-- closes.  The server reads to EOF; with a `reply`, it computes it for
-- `work` and sends it; it waits `pause` and closes.
local function close_case(name, line, reply, work, pause)
  local L = lab(name)
  L.server:spawn(function()
    local c = L.listener:accept()
    c:receive("*a")                       -- everything, up to the client's FIN
    L.lad:note(sc:t{en = "server app: read EOF", zh = "服务器应用：读到 EOF"})
    if reply then
      lunet.sleep(work / 1e9)             -- knob times are ns; sleep takes seconds
      c:send(reply)
    end
    if pause > 0 then lunet.sleep(pause / 1e9) end
    c:close()
  end)
  L.client:spawn(function()
    local s = assert(L.client:connect(L.server:ip(), PORT))
    s:send(line)
    s:shutdown("send")
    L.got = s:receive("*a")
    s:close()
  end)
  L.net:run()
  return L, analyse(L)
end

local LOGLINE, QUERY, REPLY = "log: user 42 logged in\n", "SUM 1 2 3\n", chunk("6")
local B, rb = close_case("b", LOGLINE, nil, 0, K.pause)
local C, rc = close_case("c", QUERY, REPLY, K.work, 0)

print()
sc:say{en = "B. Nothing left to say: the server closes as soon as it reads EOF",
       zh = "B. 无话可说：服务器一读到 EOF 就关闭"}
show(B)
local bu = rb.cfin and rb.cfin.seq
sc:say({en = "The client uploads %s bytes and half-closes: FIN seq=u=%s. The server's stack\n" ..
             "would ACK that FIN when its delayed-ACK timer fires (%s), but the application\n" ..
             "reads EOF and closes first, %s after the FIN arrived: the ACK rides on the\n" ..
             "server's own FIN, FIN,ACK seq=w=%s ack=u+1=%s. The client's ACK (ack=w+1=%s)\n" ..
             "ends it: %s segments, the three-segment close. The client passes FIN_WAIT_2\n" ..
             "and reaches TIME_WAIT in the same instant: like Linux, it takes the segment's\n" ..
             "ACK first (its FIN is acknowledged), then the segment's FIN.",
        zh = "客户端上传 %s 字节后半关闭：FIN seq=u=%s。服务器的协议栈要等延迟确认\n" ..
             "定时器到期（%s）才会确认这个 FIN，但应用读到 EOF 后抢先关闭了（FIN 到达后\n" ..
             "%s）：确认搭载在服务器自己的 FIN 上，FIN,ACK seq=w=%s ack=u+1=%s。客户端的\n" ..
             "ACK（ack=w+1=%s）结束连接：共 %s 个报文段，即“三次挥手”。客户端在同一时刻\n" ..
             "经过 FIN_WAIT_2 进入 TIME_WAIT：与 Linux 一样，它先处理报文段中的 ACK\n" ..
             "（自己的 FIN 已被确认），再处理其中的 FIN。"},
       #LOGLINE, v(bu), T(DELACK), rb.sfin and rb.cfin.rx_time and T(rb.sfin.time - rb.cfin.rx_time) or "-",
       v(rb.sfin and rb.sfin.seq), v(rb.sfin and rb.sfin.ack), v(rb.segs[#rb.segs].ack), v(rb.close_segs))
print()

sc:say{en = "C. A reply still pending: the ACK goes first, then the data, then the FIN",
       zh = "C. 还有回复要发：先发 ACK，再发数据，最后发 FIN"}
show(C)
local cu = rc.cfin and rc.cfin.seq
local cdata
for _, s in ipairs(rc.close or {}) do
  if s.from == "server" and s.len > 0 then cdata = s; break end
end
sc:say({en = "The client sends a query and half-closes: FIN seq=u=%s. The server needs %s\n" ..
             "after reading EOF to compute the reply. Its stack does not leave the FIN\n" ..
             "unanswered that long: the delayed ACK goes %s after the FIN, a bare ACK\n" ..
             "(ack=u+1=%s). The reply follows (seq=%s len=%s), then the FIN (seq=w=%s): the\n" ..
             "server still had data to send when the FIN came, so its ACK and its FIN could\n" ..
             "not be one segment. The close takes %s segments (%s with the reply and its ACK).",
        zh = "客户端发出查询后半关闭：FIN seq=u=%s。服务器读到 EOF 后还需要 %s 来计算\n" ..
             "回复。协议栈不会让 FIN 这么久得不到确认：FIN 到达 %s 后，延迟确认发出一个\n" ..
             "单独的 ACK（ack=u+1=%s）。随后是回复（seq=%s len=%s），然后是 FIN（seq=w=%s）：\n" ..
             "服务器收到 FIN 时还有数据要发，所以它的 ACK 和 FIN 不能合并成一个报文段。\n" ..
             "挥手用了 %s 个报文段（连同回复和对它的确认共 %s 个）。"},
       v(cu), T(K.work), rc.fin_ack and rc.cfin.rx_time and T(rc.fin_ack.time - rc.cfin.rx_time) or "-",
       v(rc.fin_ack and rc.fin_ack.ack), v(cdata and cdata.seq), v(cdata and cdata.len),
       v(rc.sfin and rc.sfin.seq), v(rc.close_segs), #(rc.close or {}))
print()

-- B and C side by side: the close of each, segment by segment
local function close_list(r)
  local out = {}
  for _, s in ipairs(r.close or {}) do
    out[#out + 1] = (s.from == "client" and "c->s " or "s->c ") .. s.label
  end
  return out
end
sc:say{en = "B and C side by side, from the client's FIN to the last ACK:",
       zh = "B 与 C 对照（从客户端的 FIN 到最后一个 ACK）："}
local lb, lc = close_list(rb), close_list(rc)
-- pad to a width in terminal columns: a Chinese character takes two
local function pad(text, width)
  local cols = 0
  for _, cp in utf8.codes(text) do cols = cols + (cp >= 0x1100 and 2 or 1) end
  return text .. string.rep(" ", width - cols)
end
local function row(a, b) print("  " .. pad(a, 38) .. " " .. b) end
row(sc:t{en = "B: nothing left to send", zh = "B：没有数据要发"}, sc:t{en = "C: a reply pending", zh = "C：还有回复要发"})
for i = 1, math.max(#lb, #lc) do row(lb[i] or "", lc[i] or "") end
local function segs_word(n) return sc:t({en = "close: %s segments", zh = "挥手：%s 个报文段"}, v(n)) end
row(segs_word(rb.close_segs), segs_word(rc.close_segs))
print()
sc:say{en = "A SYN,ACK can always merge: the server answers a SYN at once, nothing has to\n" ..
            "happen between the two halves. Between the ACK and the FIN of a close lies all\n" ..
            "that the server's application still has to send: hence four segments, and three\n" ..
            "only when the application closes before the delayed ACK is due.",
       zh = "SYN,ACK 总能合并：服务器立即回应 SYN，两半之间没有别的事要做。而挥手时\n" ..
            "ACK 与 FIN 之间，是服务器应用还要发送的全部数据：所以是四次挥手；只有当应用\n" ..
            "在延迟确认到期之前就关闭时，才只需三个报文段。"}
print()

-- B: FIN, FIN,ACK, ACK
expect(bu, "B: the client's FIN: u = 1001 + the line"):eq(1001 + #LOGLINE)
sc:claim("B: segments in the close", rb.close_segs, 3)
sc:claim("B: the server's first answer to the client's FIN is its own FIN",
         rb.fin_ack and rb.fin_ack.flags, "FIN,ACK")
sc:claim("B: the server's FIN: w = 2001, ack = u+1", rb.sfin and {rb.sfin.seq, rb.sfin.ack}, {2001, bu + 1})
sc:claim("B: the server's FIN leaves as the client's arrives", rb.sfin and T(rb.sfin.time - rb.cfin.rx_time), T(0))
sc:claim("B: the last segment: the client's ACK, ack = w+1",
         {rb.segs[#rb.segs].from, rb.segs[#rb.segs].flags, rb.segs[#rb.segs].ack}, {"client", "ACK", 2002})
sc:claim("B: client states", rb.cstates,
         {"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"})
sc:claim("B: client in TIME_WAIT as soon as the server's FIN arrived",
         rb.sfin and rb.sfin.rx_time and state_at(rb, "client", rb.sfin.rx_time), "TIME_WAIT")
sc:claim("B: server states", rb.sstates,
         {"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"})
-- C: FIN, ACK, data, FIN, ACK (and the client's ACK of the data)
expect(cu, "C: the client's FIN: u = 1001 + the query"):eq(1001 + #QUERY)
expect(C.got, "C: the reply reached the client"):eq(REPLY)
sc:claim("C: the server's first answer to the FIN is a bare ACK",
         rc.fin_ack and {flags = rc.fin_ack.flags, len = rc.fin_ack.len, ack = rc.fin_ack.ack},
         {flags = "ACK", len = 0, ack = cu + 1})
sc:claim("C: that ACK waits for the delayed-ACK timer", rc.fin_ack and T(rc.fin_ack.time - rc.cfin.rx_time), T(DELACK))
sc:claim("C: the reply: seq 2001, after that ACK",
         cdata and {cdata.seq, cdata.len, cdata ~= rc.fin_ack}, {2001, #REPLY, true})
sc:claim("C: then the FIN: w = 2001 + the reply, ack = u+1", rc.sfin and {rc.sfin.seq, rc.sfin.ack},
         {2001 + #REPLY, cu + 1})
sc:claim("C: segments in the close", rc.close_segs, 4)
sc:claim("C: segments from the client's FIN to the last ACK", #rc.close, 6)
sc:claim("C: client states", rc.cstates,
         {"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"})
sc:claim("C: server states", rc.sstates,
         {"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"})

for _, L in ipairs({A, B, C}) do
  sc:say({en = "pcap: %s, open it in Wireshark (%s frames)", zh = "pcap：%s，可用 Wireshark 打开（%s 帧）"},
         L.cap.path, L.cap:count())
end
