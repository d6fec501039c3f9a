-- old_duplicate.lua - an old duplicate segment of an earlier incarnation of
-- a connection (the same four-tuple), and why TIME_WAIT waits 2 MSL.
--
--   client 10.0.0.1:40000 ===== 10 Mbit/s, 5 ms ===== server 10.0.0.2:80
--
-- The client binds its port 40000, so every connection it opens is the
-- same four-tuple 10.0.0.1:40000 <-> 10.0.0.2:80, and both hosts use fixed
-- ISNs (client 1000, server 2000, as in the notes), so every incarnation
-- numbers its bytes the same way.  The client asks "GET /balance"; the
-- server thinks 300 ms and replies "reply #1: balance 100" (22 bytes, seq
-- 2001).  The network duplicates that reply and holds the copy back (a
-- net:intercept duplicate, then a delay of `delay`): an old duplicate.
-- The client reads the reply and closes first, then at once wants the same
-- four-tuple again, for a second exchange ("reply #2: balance 250").
--
--   A. With TIME_WAIT (2 MSL = 60 s): bind(40000) fails "in use" while
--      TIME_WAIT holds the four-tuple.  The old copy arrives in TIME_WAIT:
--      its data is discarded and answered with an ACK that repeats where
--      the connection ended (Linux's tcp_timewait_state_process; RFC 9293
--      3.10.7.4).  The server has forgotten the connection and answers
--      that ACK with a RST at exactly RCV.NXT, which Linux lets end
--      TIME_WAIT early (tcp_rfc1337 = 0: RFC 1337's "TIME-WAIT
--      assassination").  Only then does the second incarnation open; it
--      reads its own reply.
--   B. Without TIME_WAIT (net.ipv4.tcp_max_tw_buckets = 0 on the client:
--      Linux closes at once, TcpExtTCPTimeWaitOverflow): the second
--      incarnation opens at once and the old copy arrives inside it, four
--      times: fixed or random ISNs (RFC 6528), timestamps off or on
--      (RFC 7323 PAWS).  With fixed ISNs and no timestamps it is accepted
--      as the new reply: the application reads "balance 100" and the real
--      reply is discarded as a duplicate.
--
-- Run:   lunet run scripts/old_duplicate.lua          (--lang zh: in Chinese)
--        lunet run scripts/old_duplicate.lua msl=50ms (a what-if; --help lists them)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "old_duplicate",
  title = {en = "Old duplicates of an earlier incarnation, TIME_WAIT and 2 MSL",
           zh = "旧连接的失效报文段（旧的重复报文段）、TIME_WAIT 与 2MSL"},
  knobs = {
    {"msl", default = "30s", try = "50ms", kind = "time",
     help = {en = "MSL in part A (TIME_WAIT lasts 2 MSL); 50ms ends it before the old copy arrives",
             zh = "A 部分的 MSL（TIME_WAIT 持续 2MSL）；50ms 时旧副本到达前 TIME_WAIT 已结束"}},
    {"delay", default = "200ms", try = "2s", kind = "time",
     help = {en = "how long the network holds the copy of the first reply (its age on arrival)",
             zh = "网络扣留第一个应答副本的时间（到达时它的“年龄”）"}},
    {"ts", default = "off", try = "on", values = {"off", "on"},
     help = {en = "TCP timestamps (PAWS) in part A; part B shows both",
             zh = "A 部分是否启用 TCP 时间戳（PAWS）；B 部分两者都演示"}},
  },
}
local K = sc.k

local PORT, CPORT = 80, 40000
local FLOW = "10.0.0.1:40000>10.0.0.2:80"       -- the client's side first, as events name it
local REQ = "GET /balance\n"
local REPLY = {"reply #1: balance 100\n", "reply #2: balance 250\n"}
local THINK = "300ms"                          -- the server application's time to answer
local T = lunet.fmt_time
local MS = lunet.time("1ms")

local function tsval_of(ev)
  return tonumber((ev.summary or ""):match("TS val (%d+)"))
end

local pcaps = {}

-- One run: two incarnations of the same four-tuple, the first reply
-- duplicated and its copy held `delay`.  o = {name=, msl= (ns), ts=,
-- isn = "fixed" | "random", no_tw=, ladder=}.
local function run(o)
  local net = lunet.net{name = o.name}
  local client, server = net:host("client"), net:host("server")
  local link = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                         ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")   -- static ARP: only TCP on the wire
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  for _, h in ipairs({client, server}) do
    h:sysctl("net.ipv4.tcp_msl", o.msl / 1e9)
    h:sysctl("net.ipv4.tcp_timestamps", o.ts)
  end
  if o.isn == "fixed" then
    client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
    server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  end
  if o.no_tw then client:sysctl("net.ipv4.tcp_max_tw_buckets", 0) end
  local cap = net:capture{iface = client.eth0, file = o.name .. ".pcap"}
  pcaps[#pcaps + 1] = cap

  -- The network copies the server's first data segment and delivers the
  -- copy `delay` late (the copy is the second match of the delay hook).
  local DATA = "tcp src port 80 and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0"
  local dup = net:intercept{on = link, dir = "ba", filter = DATA, action = "duplicate", count = 1}
  local held = net:intercept{on = link, dir = "ba", filter = DATA, action = {delay = K.delay / 1e9}, nth = 2}
  local lad = o.ladder and ladder.new(net, {hosts = {client, server}, ports = {PORT}})

  local r = {reads = {}, fails = 0, synacks = {}, drops = {}, tws = {}, o = o}
  local state = "CLOSED"              -- the client's side of the four-tuple, now
  local reply_id, reply_rx, last_tsval = nil, 0, nil
  net:on("tcp", function(ev)
    if ev.node ~= "client" or ev.flow ~= FLOW then return end
    state = ev.to
    -- every TIME_WAIT of the four-tuple: {start=, stop=}
    if ev.to == "TIME_WAIT" then r.tws[#r.tws + 1] = {start = ev.time} end
    if ev.from == "TIME_WAIT" then r.tws[#r.tws].stop = ev.time end
  end)
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "server" then
      if ev.flags == "S." then r.synacks[#r.synacks + 1] = ev.seq end
      if (ev.payload or 0) > 0 and not reply_id then
        reply_id = ev.id
        r.reply = {time = ev.time, seq = ev.seq, len = ev.payload, ack = ev.ack}
      end
      if r.answer and not r.rst and ev.flags:find("R", 1, true) then r.rst = {time = ev.time, seq = ev.seq} end
    elseif ev.node == "client" and r.dup and not r.answer and ev.time == r.dup.time then
      r.answer = {flags = ev.flags, seq = ev.seq, ack = ev.ack}
      for _, so in ipairs(client:sockets("tcp")) do   -- as `ss -tan -o` shows it now
        if so.state == "TIME_WAIT" then r.answer.tw_left = so.timer_left end
      end
    end
  end)
  net:on("rx", function(ev)
    if ev.node ~= "client" or ev.proto ~= "tcp" or ev.sport ~= PORT then return end
    if r.rst and not r.rst_rx and ev.flags:find("R", 1, true) then r.rst_rx = ev.time end
    if ev.id == reply_id then
      reply_rx = reply_rx + 1
      if reply_rx == 2 then        -- the copy (the same packet, the same trace id)
        r.dup = {time = ev.time, state = state, seq = ev.seq, len = ev.payload, ack = ev.ack,
                 tsval = tsval_of(ev), ts_recent = last_tsval, tw = state == "TIME_WAIT" and #r.tws or nil}
        if lad then
          lad:note(sc:t({en = "client: the OLD COPY of seq=%d len=%d arrives (%s in the network), in %s",
                         zh = "客户端：seq=%d len=%d 的旧副本到达（在网络中滞留 %s），此时处于 %s"},
                        ev.seq, ev.payload, T(ev.time - r.reply.time), state))
        end
        return
      end
    end
    if (ev.payload or 0) > 0 and r.dup and not r.second_reply then
      r.second_reply = {time = ev.time, seq = ev.seq}
    end
    last_tsval = tsval_of(ev) or last_tsval
  end)
  net:on("drop", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "client" and ev.sport == PORT and (ev.payload or 0) > 0 then
      r.drops[#r.drops + 1] = {time = ev.time, reason = ev.reason, id = ev.id}
    elseif ev.node == "server" and ev.dport == PORT and r.dup and not r.server_drop then
      r.server_drop = {time = ev.time, reason = ev.reason, ack = ev.ack, flags = ev.flags}
    end
  end)

  local l = assert(server:listen(PORT))
  server:spawn(function()
    for i = 1, 2 do
      local c = l:accept()
      if not c then break end
      c:receive("*l")
      lunet.sleep(THINK)
      c:send(REPLY[i])
      c:receive("*a")                      -- until the client's FIN
      c:close()
    end
    l:close()
  end)
  client:spawn(function()
    local s = client:tcp()
    assert(s:bind(CPORT))
    assert(s:connect(server:ip(), PORT))
    s:send(REQ)
    r.reads[1] = s:receive("*l", {timeout = "5s"})
    s:close()                              -- the client closes first
    while state ~= "TIME_WAIT" and state ~= "CLOSED" do lunet.sleep("1ms") end
    -- the same four-tuple again, as soon as the stack allows it
    local give_up = lunet.now() + 2 * o.msl + lunet.time("1s")
    local s2
    while lunet.now() < give_up do
      s2 = client:tcp()
      local ok, err = s2:bind(CPORT)
      if ok then break end
      s2:close()
      s2 = nil
      r.fails = r.fails + 1
      if r.fails == 1 then
        r.first_err, r.first_fail, r.fail_state = err, lunet.now(), state
        if lad then
          lad:note(sc:t({en = "client app: bind(%d) -> \"%s\"; it retries every 10 ms",
                         zh = "客户端应用：bind(%d) -> \"%s\"；每 10 ms 重试一次"}, CPORT, err))
        end
      end
      lunet.sleep("10ms")
    end
    if not s2 then return end
    r.reopen_at = lunet.now()
    if lad then
      lad:note(sc:t({en = "client app: bind(%d) works: the second incarnation",
                     zh = "客户端应用：bind(%d) 成功：第二个连接实例"}, CPORT))
    end
    local ok, err = s2:connect(server:ip(), PORT)
    if not ok then r.reads[2] = "(connect: " .. err .. ")" return end
    s2:send(REQ)
    r.reads[2] = s2:receive("*l", {timeout = "5s"})
    s2:close()
  end)
  net:run()
  if lad then lad:stop() end
  -- the TIME_WAIT the old copy met, else the first one
  local tw = r.tws[r.dup and r.dup.tw or 1] or {}
  r.tw_start, r.tw_end, r.tw_n = tw.start, tw.stop, r.dup and r.dup.tw
  cap:flush()
  r.netstat = client:netstat()
  r.lad, r.dup_hook, r.held = lad, dup, held
  r.frames, r.pcap = cap:count(), cap.path
  return r
end

------------------------------------------------------------------------
-- A. with TIME_WAIT
------------------------------------------------------------------------

local a = run{name = "old_duplicate-A", msl = K.msl, ts = K.ts == "on", isn = "fixed", ladder = true}

sc:say{en = "A. TIME_WAIT holds the four-tuple when the old duplicate comes",
       zh = "A. 旧的重复报文段到达时，TIME_WAIT 仍占用着这个四元组"}
sc:say{en = "client 10.0.0.1:40000  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80",
       zh = "客户端 10.0.0.1:40000  ====  10 Mbit/s，5 ms  ====  服务器 10.0.0.2:80"}
print()
a.lad:print()
print()

local r1 = a.reply
sc:say({en = "Connection 1: the client (ISN 1000) asks, the server (ISN 2000) replies %q",
        zh = "连接 1：客户端（ISN 1000）发出请求，服务器（ISN 2000）应答 %q，"}, REPLY[1]:sub(1, -2))
sc:say({en = "(seq=%d, %d bytes) at %s. The network delivers it, and keeps a copy for %s:",
        zh = "（seq=%d，%d 字节），时间 %s。网络把它送达，同时把一个副本扣留 %s："},
       r1.seq, r1.len, T(r1.time), T(K.delay))
sc:say{en = "a segment of this connection that will turn up after the connection is gone.",
       zh = "这是本连接的一个报文段，它会在连接结束之后才出现。"}
if a.tws[1] then
  sc:say({en = "The client closed first and is in TIME_WAIT from %s (2 MSL = %s).",
          zh = "客户端先关闭（主动关闭），从 %s 起处于 TIME_WAIT（2MSL = %s）。"},
         T(a.tws[1].start), T(2 * K.msl))
end
if a.fails > 0 then
  sc:say({en = "It wants the same four-tuple again at once: bind(%d) fails \"%s\" %d times,",
          zh = "它想立刻再次使用同一个四元组：bind(%d) 失败（\"%s\"）%d 次，"}, CPORT, a.first_err, a.fails)
  sc:say{en = "because the TIME_WAIT socket still holds 10.0.0.1:40000 <-> 10.0.0.2:80.",
         zh = "因为处于 TIME_WAIT 的套接字仍占用着 10.0.0.1:40000 <-> 10.0.0.2:80。"}
end
local early = a.reopen_at and a.dup and a.reopen_at < a.dup.time
if early then
  sc:say({en = "At %s TIME_WAIT (2 MSL = %s) is over and bind() works: a second incarnation opens.",
          zh = "%s 时 TIME_WAIT（2MSL = %s）已结束，bind() 成功：第二个连接实例建立。"},
         T(a.reopen_at), T(2 * K.msl))
end
if a.dup then
  sc:say({en = "At %s the old copy arrives, the client being in %s.",
          zh = "%s 时旧副本到达，此时客户端处于 %s。"}, T(a.dup.time), a.dup.state)
  if a.tw_n and a.tw_n > 1 then
    sc:say{en = "(It lived longer than 2 MSL, which the MSL rule says cannot happen: this is the",
           zh = "（它的寿命超过了 2MSL，而 MSL 的规定说这不会发生：这是"}
    sc:say{en = "second incarnation's TIME_WAIT; both incarnations ended at the same numbers.)",
           zh = "第二个连接实例的 TIME_WAIT；两个实例结束时的序号相同。）"}
  end
  if a.dup.state ~= "TIME_WAIT" then
    sc:say{en = "TIME_WAIT was over before the old copy came: the four-tuple was free again, and",
           zh = "旧副本到达之前 TIME_WAIT 已经结束：这个四元组已重新可用，"}
    sc:say({en = "the old copy met whatever used it then (part B shows the cases). The second",
            zh = "旧副本遇到的是当时正在使用它的连接（B 部分展示各种情况）。第二个"})
    sc:say({en = "incarnation read %q.", zh = "连接实例读到 %q。"}, tostring(a.reads[2]))
  end
end
if a.dup and a.dup.state == "TIME_WAIT" and a.answer then
  sc:say({en = "Its seq (%d) is behind RCV.NXT (%d): TIME_WAIT discards the data and answers",
          zh = "它的序号（%d）落后于 RCV.NXT（%d）：TIME_WAIT 丢弃其中的数据，并回复"}, a.dup.seq, a.answer.ack)
  sc:say({en = "with an ACK (seq=%d ack=%d) that repeats where the connection ended, as",
          zh = "一个 ACK（seq=%d ack=%d），重申连接结束时的位置，与"}, a.answer.seq, a.answer.ack)
  sc:say{en = "Linux's tcp_timewait_state_process does (RFC 9293 3.10.7.4: an unacceptable",
         zh = "Linux 的 tcp_timewait_state_process 做法相同（RFC 9293 3.10.7.4：对不可接受的"}
  sc:say{en = "segment is answered with an ACK). No application ever sees the old bytes.",
         zh = "报文段回复 ACK）。任何应用都不会看到这些旧数据。"}
  if a.answer.tw_left then
    sc:say({en = "Like Linux, it also restarts the 2 MSL on any segment carrying an ACK: %s left.",
            zh = "与 Linux 一样，收到任何带 ACK 的报文段时它都会重新开始 2MSL 计时：剩余 %s。"},
           T(a.answer.tw_left))
  end
  if a.rst then
    sc:say({en = "The server has forgotten the connection (CLOSED after LAST_ACK): the ACK finds",
            zh = "服务器早已忘记这个连接（LAST_ACK 之后已 CLOSED）：该 ACK 找不到"})
    sc:say({en = "no socket, and the server answers RST seq=%d. That is exactly RCV.NXT, and",
            zh = "套接字，服务器回复 RST seq=%d。它恰好等于 RCV.NXT，而"}, a.rst.seq)
    sc:say{en = "Linux (net.ipv4.tcp_rfc1337 = 0, the default) lets such a RST end TIME_WAIT:",
           zh = "Linux（net.ipv4.tcp_rfc1337 = 0，默认值）允许这样的 RST 结束 TIME_WAIT："}
    if a.tw_end and a.tw_end == a.rst_rx then
      sc:say({en = "RFC 1337 calls it TIME-WAIT assassination. TIME_WAIT ended at %s, after %s",
              zh = "RFC 1337 称之为 TIME-WAIT 暗杀。TIME_WAIT 在 %s 结束，只持续了 %s，"},
             T(a.tw_end), T(a.tw_end - a.tw_start))
      sc:say({en = "instead of %s. No harm here: the old copy had been discarded already.",
              zh = "而不是 %s。这里没有造成危害：旧副本已经被丢弃了。"}, T(2 * K.msl))
    end
  end
end
if a.reopen_at and not early then
  sc:say({en = "Only at %s does bind() work: the second incarnation reads %q.",
          zh = "直到 %s bind() 才成功：第二个连接实例读到 %q。"}, T(a.reopen_at), tostring(a.reads[2]))
end
print()

------------------------------------------------------------------------
-- B. without TIME_WAIT
------------------------------------------------------------------------

local CASES = {{isn = "fixed", ts = false}, {isn = "fixed", ts = true},
               {isn = "random", ts = false}, {isn = "random", ts = true}}
for i, c in ipairs(CASES) do
  c.r = run{name = string.format("old_duplicate-B%d", i), msl = lunet.time("30s"), ts = c.ts,
            isn = c.isn, no_tw = true, ladder = i == 1}
end
local b1 = CASES[1].r

sc:say{en = "B. Without TIME_WAIT: the old copy arrives in the next incarnation",
       zh = "B. 没有 TIME_WAIT：旧副本落入下一个连接实例"}
sc:say{en = "The same exchange, but the client keeps no TIME_WAIT (net.ipv4.tcp_max_tw_buckets",
       zh = "同样的交互，但客户端不保留 TIME_WAIT（net.ipv4.tcp_max_tw_buckets"}
sc:say{en = "= 0: Linux then closes at once and counts TcpExtTCPTimeWaitOverflow). The second",
       zh = "= 0：Linux 此时立即关闭，并计入 TcpExtTCPTimeWaitOverflow）。第二个连接实例"}
if b1.reopen_at and b1.dup then
  sc:say({en = "incarnation opens at %s on the same four-tuple; the old copy arrives at %s,",
          zh = "在 %s 以同一个四元组建立；旧副本在 %s 到达，"}, T(b1.reopen_at), T(b1.dup.time))
  if b1.dup.state == "ESTABLISHED" then
    sc:say{en = "while the client waits for its reply. With fixed ISNs and no timestamps:",
           zh = "此时客户端正在等待应答。初始序号固定、没有时间戳时："}
  else
    sc:say({en = "when the client's side is %s: it outlived the second incarnation too, meets no",
            zh = "此时客户端一侧处于 %s：它比第二个连接实例活得还久，找不到"}, b1.dup.state)
    sc:say{en = "connection and is answered with a RST. Harmless: it came too late to mislead anyone.",
           zh = "连接，收到的回复是 RST。无害：它来得太晚，已无法误导任何连接。"}
  end
end
print()
-- the ladder of the first case, from the second incarnation on
local lines = b1.lad:lines()
local from = (b1.reopen_at or 0) / 1e9 - 1e-6
for i, line in ipairs(lines) do
  local t = tonumber(line:match("^%s*(%d+%.%d+)%s"))
  if i <= 2 or (t and t >= from) then print(line) end
end
print()

-- what the old copy met in each case
local function fate(r)
  if not r.dup then return "none" end
  for _, d in ipairs(r.drops) do
    if d.time == r.dup.time then return d.reason end
  end
  if r.dup.state ~= "ESTABLISHED" then return "closed" end
  return "accepted"
end
local FATE = {
  accepted = {en = "accepted as new data", zh = "被当作新数据接受"},
  paws = {en = "dropped by PAWS", zh = "被 PAWS 丢弃"},
  ["out of window"] = {en = "dropped: out of window", zh = "丢弃：不在窗口内"},
  closed = {en = "no connection", zh = "没有连接"},
  ["no socket"] = {en = "no socket: RST", zh = "无套接字：回复 RST"},
  none = {en = "never arrived", zh = "没有到达"},
}
local function fate_text(f) return sc:t(FATE[f] or {en = f, zh = f}) end

-- columns padded by display width: a Chinese character takes two
local function pad(str, w)
  local _, wide = str:gsub("[\xe0-\xef][\x80-\xbf][\x80-\xbf]", "")
  local width = utf8.len(str) + wide
  return str .. string.rep(" ", math.max(1, w - width))
end
local ON = {[true] = {en = "on", zh = "开"}, [false] = {en = "off", zh = "关"}}
print("  " .. pad("ISN", 8) .. pad(sc:t{en = "timestamps", zh = "时间戳"}, 12) ..
      pad(sc:t{en = "old copy: seq", zh = "旧副本序号"}, 14) .. pad(sc:t{en = "new RCV.NXT", zh = "新 RCV.NXT"}, 13) ..
      pad(sc:t{en = "what TCP did with it", zh = "TCP 如何处理"}, 24) .. sc:t{en = "the client read", zh = "客户端读到"})
for _, c in ipairs(CASES) do
  local r = c.r
  c.fate = fate(r)
  c.rcv_nxt = r.synacks[2] and (r.synacks[2] + 1) & 0xffffffff
  print("  " .. pad(sc:t(c.isn == "fixed" and {en = "fixed", zh = "固定"} or {en = "random", zh = "随机"}), 8) ..
        pad(sc:t(ON[c.ts]), 12) .. pad(r.dup and tostring(r.dup.seq) or "-", 14) ..
        pad(tostring(c.rcv_nxt or "-"), 13) .. pad(fate_text(c.fate), 24) ..
        string.format("%q", tostring(r.reads[2])))
end
print()

local c1, c2, c3 = CASES[1], CASES[2], CASES[3]
if c1.fate == "accepted" then
  sc:say({en = "Fixed ISNs, no timestamps: both incarnations start at the same numbers, so the old",
          zh = "初始序号固定、无时间戳：两个连接实例从相同的序号开始，所以旧副本的"})
  sc:say({en = "copy's seq %d is exactly the new RCV.NXT and its ACK (%d) is acceptable: TCP takes",
          zh = "序号 %d 恰好等于新的 RCV.NXT，它的确认号（%d）也可接受：TCP 把它当作"}, b1.dup.seq, b1.dup.ack)
  sc:say({en = "it as the new reply. The application reads %q: data of the old",
          zh = "新的应答。应用读到 %q：旧连接的数据"}, tostring(b1.reads[2]))
  sc:say{en = "connection inside the new one, and no error anywhere. When the real reply comes",
         zh = "混入了新连接，却没有任何地方报错。真正的应答"}
  if b1.second_reply then
    sc:say({en = "(seq %d, at %s) it looks like a duplicate and is discarded (the client sends a",
            zh = "（序号 %d，%s 到达）看起来像重复报文，被丢弃（客户端发出"}, b1.second_reply.seq,
           T(b1.second_reply.time))
    sc:say({en = "D-SACK: TcpExtTCPDSACKOldSent = %d). The server believes it delivered balance 250.",
            zh = "D-SACK：TcpExtTCPDSACKOldSent = %d）。服务器以为自己送达了 balance 250。"},
           b1.netstat.TcpExtTCPDSACKOldSent)
  end
  if b1.server_drop then
    sc:say({en = "Before that, the client ACKed the old bytes (ack=%d) and closed: an ACK of data the",
            zh = "在此之前，客户端确认了这些旧字节（ack=%d）并关闭：这是对服务器"}, b1.server_drop.ack)
    sc:say{en = "server had not sent yet, which the server discards (Linux drops an ACK beyond",
           zh = "尚未发送的数据的确认，服务器将其丢弃（Linux 丢弃超出 SND.NXT 的 ACK，"}
    sc:say{en = "SND.NXT; the ladder's X), so the client's FIN had to be retransmitted.",
           zh = "即梯形图中的 X），因此客户端的 FIN 不得不重传。"}
  end
end
if c2.r.dup and c2.r.dup.tsval then
  sc:say{en = "Timestamps (RFC 7323) on: every segment carries a TSval from a millisecond clock",
         zh = "启用时间戳（RFC 7323）：每个报文段都带有来自毫秒时钟的 TSval，"}
  sc:say{en = "that Linux keeps per address pair, so it keeps counting from one incarnation to the",
         zh = "Linux 按地址对维护这个时钟，所以它从一个连接实例到下一个一直在递增。"}
  sc:say({en = "next. The old copy's TSval %d is older than TS.Recent %d of the new connection:",
          zh = "旧副本的 TSval %d 比新连接的 TS.Recent %d 更旧："}, c2.r.dup.tsval, c2.r.dup.ts_recent or 0)
  sc:say({en = "PAWS drops it before the sequence check (TcpExtPAWSEstab = %d).",
          zh = "PAWS 在检查序号之前就将其丢弃（TcpExtPAWSEstab = %d）。"}, c2.r.netstat.TcpExtPAWSEstab)
end
if c3.r.dup and c3.rcv_nxt then
  local behind = (c3.rcv_nxt - c3.r.dup.seq) & 0xffffffff
  sc:say{en = "Random ISNs (RFC 6528: a clock ticking every 4 us plus a keyed hash of the",
         zh = "随机初始序号（RFC 6528：每 4 微秒走一格的时钟，加上四元组的"}
  sc:say({en = "four-tuple): %s later the same four-tuple starts %d further on, so the old seq",
          zh = "带密钥哈希）：%s 之后，同一个四元组的起点前移了 %d，所以旧序号"},
         T(c3.r.reopen_at or 0), behind)
  sc:say{en = "lies far behind RCV.NXT: out of window, dropped and answered with an ACK. That",
         zh = "远远落后于 RCV.NXT：不在窗口内，被丢弃并回复 ACK。只要旧连接"}
  sc:say{en = "holds while the old connection sent fewer bytes than the clock advanced (250,000",
         zh = "发送的字节数少于时钟前进的量（每秒 250,000），"}
  sc:say{en = "a second); a faster connection may be overtaken, which is what PAWS is for.",
         zh = "这一点就成立；更快的连接可能被追上，这正是 PAWS 的用途。"}
end
print()
sc:say{en = "TIME_WAIT is the protection that needs nothing from the peer: for 2 MSL the",
       zh = "TIME_WAIT 是不依赖对方的保护：在 2MSL 内，"}
sc:say{en = "four-tuple cannot be used again, so every old segment of the connection has died",
       zh = "这个四元组不能再被使用，所以在新的连接实例出现之前，"}
sc:say{en = "(MSL, its longest life in the network) before a new incarnation exists. Random",
       zh = "本连接的所有旧报文段都已在网络中消失（MSL：报文段的最大生存时间）。随机"}
sc:say{en = "ISNs and PAWS are the second and third line of defence; Linux has both on.",
       zh = "初始序号和 PAWS 是第二、第三道防线；Linux 默认两者都开启。"}
print()
for _, c in ipairs(pcaps) do
  sc:say({en = "pcap: %s (%d frames, the client's interface)", zh = "pcap：%s（%d 帧，客户端接口）"},
         c.path, c:count())
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- any knob
expect(a.reads[1], "A: the first incarnation reads its reply"):eq(REPLY[1]:sub(1, -2))
expect(a.dup_hook.acted, "A: one segment duplicated"):eq(1)
expect(a.held.acted, "A: its copy held"):eq(1)
expect(a.dup, "A: the copy arrived at the client"):truthy()
expect(a.dup.time - r1.time, "A: the copy's age on arrival: the delay and one crossing"):within(
  K.delay + 5 * MS, K.delay + 6 * MS)
expect(r1.seq, "A: the first reply's seq (fixed ISN 2000)"):eq(2001)
expect(r1.len):eq(#REPLY[1])
for _, c in ipairs(CASES) do
  expect(c.r.netstat.TcpExtTW, "B: no timewait socket started"):eq(0)
  expect(c.r.netstat.TcpExtTCPTimeWaitOverflow, "B: both closes found no TIME_WAIT bucket"):eq(2)
  expect(c.r.reads[1]):eq(REPLY[1]:sub(1, -2))
end

-- A, as the textbook has it
sc:claim({en = "A: bind() of the same port fails while TIME_WAIT holds it", zh = "A：TIME_WAIT 占用端口时 bind() 失败"},
         {a.first_err, a.fail_state}, {"in use", "TIME_WAIT"})
sc:claim({en = "A: the old copy arrives in TIME_WAIT", zh = "A：旧副本在 TIME_WAIT 中到达"},
         a.dup.state, "TIME_WAIT")
sc:claim({en = "A: TIME_WAIT answers it with an ACK of where the connection ended",
          zh = "A：TIME_WAIT 以连接结束处的 ACK 回应"},
         a.answer, {flags = ".", seq = 1001 + #REQ + 1, ack = 2001 + #REPLY[1] + 1, tw_left = 2 * K.msl})
sc:claim({en = "A: TIME_WAIT drops the old data, counted as out of window",
          zh = "A：TIME_WAIT 丢弃旧数据，记为不在窗口内"}, fate(a), K.ts == "on" and "paws" or "out of window")
sc:claim({en = "A: the server has no socket and resets at RCV.NXT", zh = "A：服务器没有套接字，在 RCV.NXT 处复位"},
         a.rst and a.rst.seq, 2001 + #REPLY[1] + 1)
sc:claim({en = "A: the RST ends TIME_WAIT (RFC 1337 assassination)", zh = "A：RST 结束了 TIME_WAIT（RFC 1337 暗杀）"},
         a.tw_end ~= nil and a.tw_end == a.rst_rx and a.tw_end - a.tw_start < 2 * K.msl, true)
sc:claim({en = "A: the second incarnation opens only after the old copy died",
          zh = "A：第二个连接实例只在旧副本消失后才建立"},
         a.reopen_at ~= nil and a.reopen_at > a.dup.time, true)
sc:claim({en = "A: the second incarnation reads its own reply", zh = "A：第二个连接实例读到自己的应答"},
         a.reads[2], REPLY[2]:sub(1, -2))
sc:claim({en = "A: PAWS rejections in TIME_WAIT", zh = "A：TIME_WAIT 中的 PAWS 拒绝次数"},
         a.netstat.TcpExtPAWSEstab, 0)

-- B
sc:claim({en = "B: the second incarnation opens at once", zh = "B：第二个连接实例立即建立"},
         b1.fails, 0)
sc:claim({en = "B: the old copy arrives in the new connection", zh = "B：旧副本落入新连接"},
         b1.dup and b1.dup.state, "ESTABLISHED")
sc:claim({en = "B, fixed ISN, no timestamps: the old copy is accepted", zh = "B，固定 ISN、无时间戳：旧副本被接受"},
         c1.fate, "accepted")
sc:claim({en = "B, fixed ISN, no timestamps: the application reads the old reply",
          zh = "B，固定 ISN、无时间戳：应用读到旧的应答"}, b1.reads[2], REPLY[1]:sub(1, -2))
sc:claim({en = "B, fixed ISN, no timestamps: the client's ACK of the old bytes is beyond the server's SND.NXT",
          zh = "B，固定 ISN、无时间戳：客户端对旧字节的 ACK 超出了服务器的 SND.NXT"},
         b1.server_drop and {b1.server_drop.ack, b1.server_drop.reason}, {2001 + #REPLY[1], "out of window"})
sc:claim({en = "B, fixed ISN, no timestamps: the real reply is discarded as a duplicate (D-SACK)",
          zh = "B，固定 ISN、无时间戳：真正的应答被当作重复报文丢弃（D-SACK）"},
         b1.netstat.TcpExtTCPDSACKOldSent, 1)
sc:claim({en = "B, fixed ISN, timestamps: PAWS drops it", zh = "B，固定 ISN、有时间戳：PAWS 丢弃它"},
         {c2.fate, c2.r.netstat.TcpExtPAWSEstab, c2.r.reads[2]}, {"paws", 1, REPLY[2]:sub(1, -2)})
sc:claim({en = "B, random ISN, no timestamps: out of window", zh = "B，随机 ISN、无时间戳：不在窗口内"},
         {c3.fate, c3.r.reads[2]}, {"out of window", REPLY[2]:sub(1, -2)})
sc:claim({en = "B, random ISN, timestamps: PAWS drops it", zh = "B，随机 ISN、有时间戳：PAWS 丢弃它"},
         {CASES[4].fate, CASES[4].r.reads[2]}, {"paws", REPLY[2]:sub(1, -2)})
if c2.r.dup and c2.r.dup.tsval and c2.r.dup.ts_recent then
  sc:claim({en = "B: the old TSval is older than TS.Recent", zh = "B：旧的 TSval 比 TS.Recent 更旧"},
           c2.r.dup.tsval < c2.r.dup.ts_recent, true)
end
