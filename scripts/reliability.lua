-- reliability.lua - how TCP makes a reliable byte stream out of a network
-- that corrupts, loses and overflows, in four acts (point 9 of the notes):
--   1. checksums: a corrupted segment is thrown away, never acknowledged
--   2. retransmission on timeout: a lost segment is sent again after RTO
--      (or at once on three duplicate ACKs: fast retransmit, drop=3)
--   3. flow control: a slow reader shrinks the window to 0, the sender waits
--   4. congestion control: cwnd over time through a small router queue
--
--   client 10.0.1.1 ==100 Mbit/s, 1 ms== r1 ==10 Mbit/s, 10 ms== server
--                                                                10.0.2.2
-- Each act builds this network afresh; r1's queue toward the server holds
-- 1000 packets, except in act 4 (20).  ARP entries are static, so only TCP
-- crosses the links.
--
-- Run:   lunet run scripts/reliability.lua [knob=value ...]   (--help
--        lists the knobs: corrupt=, drop=, rcvbuf=, cc=, loss=; --lang zh
--        explains in Chinese)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "reliability",
  title = {en = "How TCP is reliable: checksums, retransmission, flow control, congestion control",
           zh = "TCP 如何实现可靠传输：校验和、超时重传、流量控制、拥塞控制"},
  knobs = {
    {"corrupt", default = "5%", try = "10%", kind = "prob",
     help = {en = "act 1: share of frames on the r1-server link with one bit flipped",
             zh = "第一幕：r1-服务器链路上被翻转一个比特的帧所占比例"}},
    {"drop", default = 6, try = 3, kind = "integer", min = 0, max = 6,
     help = {en = "act 2: which of the 6 data segments the network drops (0: none)",
             zh = "第二幕：网络丢掉 6 个数据报文段中的第几个（0：不丢）"}},
    {"rcvbuf", default = 8192, try = 4096, kind = "integer", min = 2048, max = 1048576,
     help = {en = "act 3: the slow reader's SO_RCVBUF in bytes",
             zh = "第三幕：慢速接收方的 SO_RCVBUF（字节）"}},
    {"cc", default = "reno", try = "cubic", values = {"reno", "newreno", "cubic"},
     help = {en = "act 4: the congestion control drawn first and explained (the other of reno/cubic follows)",
             zh = "第四幕：先画出并讲解的拥塞控制算法（随后是 reno/cubic 中的另一个）"}},
    {"loss", default = "0%", try = "5%", kind = "prob",
     help = {en = "act 4: random loss of data segments on the bottleneck, besides the queue's drops",
             zh = "第四幕：瓶颈链路上数据报文段的随机丢包率（队列溢出丢包之外）"}},
  },
}
local K = sc.k

local T = lunet.fmt_time
local MS = lunet.time("1ms")
local function ms(t)                   -- "224 ms", "22.1 ms"
  if t % MS == 0 then return string.format("%d ms", t // MS) end
  return string.format("%.1f ms", t / MS)
end
local function pct(p) return string.format("%g%%", p * 100) end
-- With knobs changed a segment the text refers to may not exist: print
-- "-" for it rather than failing in string.format.
local function v(x) if x == nil then return "-" end return x end
local pcaps = {}

local function lab(name, queue)
  local net = lunet.net{name = name}
  local client, r1, server = net:host("client"), net:router("r1"), net:host("server")
  local access = net:link(client, r1, {bandwidth = "100Mbps", delay = "1ms",
                                       ip = {"10.0.1.1/24", "10.0.1.254/24"}})
  local bottleneck = net:link(r1, server, {bandwidth = "10Mbps", delay = "10ms",
                                           queue = queue or 1000,
                                           ip = {"10.0.2.254/24", "10.0.2.2/24"}})
  client:route("default", "10.0.1.254")
  server:route("default", "10.0.2.254")
  client:arp_set("10.0.1.254", r1.eth0.mac, "eth0")
  r1:arp_set("10.0.1.1", client.eth0.mac, "eth0")
  r1:arp_set("10.0.2.2", server.eth0.mac, "eth1")
  server:arp_set("10.0.2.254", r1.eth1.mac, "eth0")
  for _, h in ipairs{client, server} do
    pcaps[#pcaps + 1] = net:capture{iface = h.eth0,
                                    file = name .. "-" .. h.name .. ".pcap"}
  end
  return {net = net, client = client, r1 = r1, server = server, access = access,
          bottleneck = bottleneck}
end

-- A server task that reads one connection to EOF (or `upto` bytes), then
-- closes it.  Returns a table that fills in: bytes, hash (of everything
-- read, in order).
local function reader(l, port, opts)
  opts = opts or {}
  local got = {bytes = 0}
  local listener = assert(l.server:listen(port, {rcvbuf = opts.rcvbuf}))
  l.server:spawn(function()
    local c = listener:accept()
    if opts.first_sleep then lunet.sleep(opts.first_sleep) end
    if opts.on_wake then opts.on_wake() end
    while got.bytes < (opts.upto or math.huge) do
      local want = opts.chunk and math.min(opts.chunk, (opts.upto or math.huge) - got.bytes)
      local d = c:receive(want)
      if not d then break end
      got.bytes, got.hash = got.bytes + #d, lunet.hash(d, got.hash)
      if opts.on_read then opts.on_read(#d) end
      if opts.pause then lunet.sleep(opts.pause) end
    end
    c:close()
  end)
  got.listener = listener
  return got
end

-- Sequence numbers relative to the client's ISN (the SYN's seq).
local function rel_seq(net)
  local r = {isn = nil}
  net:on("tx", function(ev)
    if ev.node == "client" and ev.flags == "S" then r.isn = ev.seq end
  end)
  function r.of(seq) return (seq - r.isn) & 0xffffffff end
  return r
end

-- Aligned in terminal columns (a Chinese character takes two).
local function columns(text)
  local cols = 0
  for _, cp in utf8.codes(text) do cols = cols + (cp >= 0x1100 and 2 or 1) end
  return cols
end
local function rjust(text, width)
  text = tostring(text)
  return string.rep(" ", width - columns(text)) .. text
end
local function ljust(text, width)
  text = tostring(text)
  return text .. string.rep(" ", width - columns(text))
end

------------------------------------------------------------------------
sc:say{en = "== Act 1: checksums ==", zh = "== 第一幕：校验和 =="}
------------------------------------------------------------------------
do
  local l = lab("reliability-1")
  local net, client, server, r1 = l.net, l.client, l.server, l.r1
  local BYTES, CORRUPT = 200000, K.corrupt
  local rs = rel_seq(net)
  -- data segments the client sent, ACKs the server sent and those the
  -- client received, frames dropped by a check
  local sent, by_id, acks, heard, drops = {}, {}, {}, {}, {}
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "client" and ev.payload > 0 then
      sent[#sent + 1] = {seq = rs.of(ev.seq), len = ev.payload, time = ev.time}
      by_id[ev.id] = sent[#sent]
    elseif ev.node == "server" then
      acks[#acks + 1] = {ack = rs.of(ev.ack), time = ev.time}
    end
  end)
  net:on("rx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" then
      heard[#heard + 1] = {id = ev.id, ack = rs.of(ev.ack), time = ev.time}
    end
  end)
  local CHECKS = {["bad checksum"] = true, malformed = true, truncated = true}
  local dropped = {}
  net:on("drop", function(ev)
    if not CHECKS[ev.reason] then return end
    dropped[ev.id] = true
    drops[#drops + 1] = {node = ev.node, reason = ev.reason, seg = by_id[ev.id],
                         time = ev.time}
  end)
  local got = reader(l, 5001)
  client:spawn(function()
    local s = assert(client:connect("10.0.2.2", 5001))
    -- from now on the r1-server link flips one bit in `corrupt` of the frames
    l.bottleneck:set{corrupt = CORRUPT}
    s:send(BYTES)
    s:close()
  end)
  net:run()
  got.listener:close()

  local st = l.bottleneck:stats()
  local cn, sn, rn = client:netstat(), server:netstat(), r1:netstat()
  local bad = st.ab.corrupted + st.ba.corrupted
  sc:say({en = "The client sends %d bytes. Once it is connected, the r1-server link\n" ..
               "flips one bit in %s of the frames, both ways: %d data frames and %d ACKs\n" ..
               "were damaged. Who noticed, and how:",
          zh = "客户端发送 %d 字节。连接建立后，r1-服务器链路在两个方向上把 %s 的帧\n" ..
               "翻转一个比特：%d 个数据帧和 %d 个 ACK 被损坏。谁发现了，怎么发现的："},
         BYTES, pct(CORRUPT), st.ab.corrupted, st.ba.corrupted)
  -- IpInHdrErrors and TcpInErrs count every header error, checksums
  -- included; a flip in, say, the IP version field fails another check first
  local function other(n) return n.IpInHdrErrors - n.IpExtInCsumErrors +
                                 n.TcpInErrs - n.TcpInCsumErrors end
  local function row(a, b, c, d) print("  " .. ljust(a, 8) .. rjust(b, 13) .. rjust(c, 15) .. rjust(d, 15)) end
  row("", sc:t{en = "IP checksum", zh = "IP 校验和"}, sc:t{en = "TCP checksum", zh = "TCP 校验和"},
      sc:t{en = "other checks", zh = "其他检查"})
  row(sc:t{en = "server", zh = "服务器"}, sn.IpExtInCsumErrors, sn.TcpInCsumErrors, other(sn))
  row("r1", rn.IpExtInCsumErrors, "-", other(rn))
  row(sc:t{en = "client", zh = "客户端"}, cn.IpExtInCsumErrors, cn.TcpInCsumErrors, other(cn))
  sc:say{en = "The IP checksum covers the IP header only, and every hop checks it; the\n" ..
              "TCP checksum covers the whole segment (and the addresses), and only the\n" ..
              "receiving host checks it. A frame that fails either is dropped in silence.",
         zh = "IP 校验和只覆盖 IP 首部，每一跳都要检查；TCP 校验和覆盖整个报文段\n" ..
              "（还有地址，即伪首部），只有接收主机才检查。任何一项校验失败的帧\n" ..
              "都被悄悄丢弃。"}
  local first
  for _, d in ipairs(drops) do
    if d.node == "server" and d.seg then first = d; break end
  end
  local seg = first and first.seg
  local dups, cover, resent, trigger = 0, nil, nil, nil
  if seg then
    for _, a in ipairs(acks) do
      if a.time > first.time and not cover then
        if a.ack > seg.seq then cover = a elseif a.ack == seg.seq then dups = dups + 1 end
      end
    end
    for _, x in ipairs(sent) do
      if x.seq == seg.seq and x.time > seg.time then resent = x; break end
    end
    for _, h in ipairs(heard) do          -- the duplicate ACK that triggered it
      if resent and h.time == resent.time and h.ack == seg.seq and not dropped[h.id] then trigger = h end
    end
    sc:say({en = "The first victim, seq=%d (%d bytes), reached the server at %s:\n" ..
                 "dropped (%s), never acknowledged. The server's next %d ACKs\n" ..
                 "all said ack=%d, \"I still need seq %d\".",
            zh = "第一个受害者 seq=%d（%d 字节）在 %s 到达服务器：\n" ..
                 "被丢弃（%s），从未被确认。服务器随后的 %d 个 ACK\n" ..
                 "都是 ack=%d，即“我还需要 seq %d”。"},
           seg.seq, seg.len, ms(first.time), first.reason, dups, seg.seq, seg.seq)
    if trigger then
      sc:say({en = "On these duplicate ACKs the client sent it again at %s (fast retransmit,\n" ..
                   "act 4), and at %s an ACK finally went past it (ack=%s).",
              zh = "收到这些重复 ACK 后，客户端在 %s 重发了它（快重传，见第四幕），\n" ..
                   "到 %s 终于有一个 ACK 越过了它（ack=%s）。"},
             ms(resent.time), cover and ms(cover.time) or "-", v(cover and cover.ack))
    else
      sc:say({en = "The client sent it again at %s, when its retransmission timer fired\n" ..
                   "(act 2), and at %s an ACK finally went past it (ack=%s).",
              zh = "客户端在 %s 重发了它，这时它的重传定时器超时了（超时重传，见第二幕），\n" ..
                   "到 %s 终于有一个 ACK 越过了它（ack=%s）。"},
             resent and ms(resent.time) or "-", cover and ms(cover.time) or "-", v(cover and cover.ack))
    end
  else
    sc:say{en = "No data segment was damaged in this run.", zh = "这次运行中没有数据报文段被损坏。"}
  end
  if got.bytes == BYTES then
    sc:say({en = "Received %d bytes, hash %016x: the same as sent.",
            zh = "收到 %d 字节，哈希 %016x：与发送的完全相同。"}, got.bytes, got.hash)
  else
    sc:say({en = "Received only %d of %d bytes, hash %016x: the same as the first %d bytes\n" ..
                 "sent, but no more: so many segments and ACKs were damaged that the\n" ..
                 "client's retransmission timeout grew to its maximum and its TCP gave up\n" ..
                 "(%d timeouts) and aborted the connection.",
            zh = "只收到 %d 字节（共 %d 字节），哈希 %016x：与发送的前 %d 字节相同，但\n" ..
                 "仅此而已：被损坏的报文段和 ACK 太多，客户端的重传超时增长到上限，\n" ..
                 "它的 TCP 放弃了（超时 %d 次）并中止了连接。"},
           got.bytes, BYTES, got.hash or 0, got.bytes, cn.TcpExtTCPTimeouts)
  end
  print()

  -- what arrived is what was sent, in order (lunet.hash(n): the first n
  -- bytes of the pattern the client sends)
  expect(got.hash, "hash of the received bytes"):eq(lunet.hash(got.bytes))
  sc:claim({en = "act 1: every byte arrives", zh = "第一幕：所有字节都到达"}, got.bytes, BYTES)
  -- every corrupted frame was caught, where the table says
  expect(#drops, "frames dropped by the checks"):eq(bad)
  expect(sn.IpInHdrErrors + sn.TcpInErrs, "caught at the server"):eq(st.ab.corrupted)
  expect(rn.IpInHdrErrors + cn.IpInHdrErrors + cn.TcpInErrs, "ACKs caught"):eq(st.ba.corrupted)
  expect(rn.TcpInErrs, "r1 does not check TCP"):eq(0)
  -- never acknowledged: for every damaged data segment, no ACK covered it
  -- before a good copy had been sent
  local damaged = 0
  for _, d in ipairs(drops) do
    if d.node == "server" and d.seg then
      damaged = damaged + 1
      local again, acked
      for _, x in ipairs(sent) do
        if x.seq == d.seg.seq and x.time > d.seg.time then again = again or x end
      end
      for _, a in ipairs(acks) do
        if a.ack > d.seg.seq and a.time > d.seg.time then acked = acked or a end
      end
      if acked then                     -- (unless the connection was aborted)
        expect(again, "a second copy of seq " .. d.seg.seq):truthy()
        expect(acked.time, "ACK after the second copy"):gt(again.time)
      end
    end
  end
  expect(cn.TcpRetransSegs, "a retransmission per damaged segment"):ge(damaged)
  sc:claim({en = "act 1: data frames damaged", zh = "第一幕：有数据帧被损坏"}, st.ab.corrupted > 0, true)
  sc:claim({en = "act 1: the first victim fails the TCP checksum", zh = "第一幕：第一个受害者未通过 TCP 校验和"},
           first and first.reason, "bad checksum")
  sc:claim({en = "act 1: at least three duplicate ACKs for it", zh = "第一幕：对它至少有三个重复 ACK"}, dups >= 3, true)
  sc:claim({en = "act 1: resent as a duplicate ACK arrived (fast retransmit)",
            zh = "第一幕：在一个重复 ACK 到达时重发（快重传）"}, trigger ~= nil, true)
end

------------------------------------------------------------------------
sc:say{en = "== Act 2: retransmission on timeout ==", zh = "== 第二幕：超时重传 =="}
------------------------------------------------------------------------
do
  local l = lab("reliability-2")
  local net, client, server = l.net, l.client, l.server
  local SEGS, MSS = 6, 1448            -- 1460 - 12 bytes of timestamps
  local BYTES = SEGS * MSS
  -- Linux would repair a lost tail with a tail-loss probe (RFC 8985 7)
  -- before the RTO; this act is about the RTO, so the probe is off, as
  -- net.ipv4.tcp_early_retrans = 0 does on Linux.
  client:sysctl("net.ipv4.tcp_early_retrans", 0)
  -- r1 drops the Nth segment that carries data on its way to the server:
  -- a fault put into the network by net:intercept, as netem would on a
  -- router.  (The filter: IP total length - IP header - TCP header > 0.)
  if K.drop > 0 then
    net:intercept{on = l.bottleneck, dir = "ab", action = "drop", nth = K.drop,
                  filter = "tcp and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0"}
  end
  local timers, rtts = {}, {}
  local lad = ladder.new(net, {hosts = {client, server}, relative = true})
  net:on("timer", function(ev)
    if ev.node == "client" and ev.timer == "rto" then
      timers[#timers + 1] = ev
      lad:note(sc:t({en = "client: the RTO timer fires (backoff %d)", zh = "客户端：重传定时器超时（退避 %d）"},
                    ev.backoff))
    end
  end)
  net:on("rtt", function(ev) if ev.node == "client" then rtts[#rtts + 1] = ev end end)
  local listener = assert(server:listen(80))
  server:spawn(function()
    local c = listener:accept()
    local d = c:receive(BYTES)
    c:send(string.format("got %d bytes\n", #d))
    c:receive()
    c:close()
  end)
  local answer, answered
  client:spawn(function()
    local s = assert(client:connect("10.0.2.2", 80))
    s:send(BYTES)
    answer, answered = s:receive("*l"), lunet.now()
    lad:stop()
    s:close()
  end)
  net:run()
  listener:close()

  if K.drop > 0 then
    sc:say({en = "The client uploads %d bytes: %d segments of %d bytes, sent at once (the\n" ..
                 "initial window holds 10). The network drops segment #%d at r1.",
            zh = "客户端上传 %d 字节：%d 个 %d 字节的报文段，一次发出（初始窗口可容纳\n" ..
                 "10 个）。网络在 r1 丢掉了第 %d 个报文段。"}, BYTES, SEGS, MSS, K.drop)
  else
    sc:say({en = "The client uploads %d bytes: %d segments of %d bytes, sent at once (the\n" ..
                 "initial window holds 10). This time the network drops nothing.",
            zh = "客户端上传 %d 字节：%d 个 %d 字节的报文段，一次发出（初始窗口可容纳\n" ..
                 "10 个）。这次网络什么也不丢。"}, BYTES, SEGS, MSS)
  end
  lad:print()
  local segs = lad:segments()
  local function rel(seq) return (seq - segs[1].seq) & 0xffffffff end   -- as the ladder shows it
  local orig, again
  for _, s in ipairs(segs) do
    if s.from == "client" and s.len > 0 then
      if s.lost and not orig then orig = s
      elseif orig and not again and s.seq == orig.seq then again = s end
    end
  end
  -- the server's ACKs before the copy went: duplicates of ack = the lost
  -- seq, and the last that acknowledged new data (it restarts the timer)
  local dupacks, prev, top, last_new = 0, nil, nil, nil
  for _, s in ipairs(segs) do
    if s.from == "server" and s.ack and (not again or s.rx_time and s.rx_time <= again.time) then
      if orig and s.ack == orig.seq and prev == s.ack and s.len == 0 then dupacks = dupacks + 1 end
      if not s.syn and (not top or s.ack > top) then top, last_new = s.ack, s end
      prev = s.ack
    end
  end
  local armed                           -- the RTT sample (srtt, rto) of that ACK
  for _, e in ipairs(rtts) do
    if last_new and e.time == last_new.rx_time then armed = e end
  end
  local how = again and ((timers[1] and again.time == timers[1].time) and "timeout" or "fast") or nil
  if how == "timeout" then
    if dupacks == 0 then
      sc:say({en = "No segment came after #%d, so no duplicate ACK could tell the client\n" ..
                   "that it is missing: only the retransmission timer can help.",
              zh = "第 %d 个之后再没有报文段，所以没有重复 ACK 能告诉客户端它丢了：\n" ..
                   "只有重传定时器能解决。"}, K.drop)
    else
      sc:say({en = "After #%d came %d segment(s): %d duplicate ACK(s), fewer than the three\n" ..
                   "that fast retransmit needs: only the retransmission timer can help.",
              zh = "第 %d 个之后还有 %d 个报文段：%d 个重复 ACK，不到快重传所需的三个：\n" ..
                   "只有重传定时器能解决。"}, K.drop, SEGS - K.drop, dupacks)
    end
    sc:say({en = "RTO = SRTT + max(4 x RTTVAR, 200 ms) = %s + 200 ms, rounded up to\n" ..
                 "4 ms ticks: %s (SRTT, the smoothed round-trip time, comes from the\n" ..
                 "handshake and the ACKs so far). The timer restarts with every ACK that\n" ..
                 "acknowledges new data (RFC 6298 5.3); the last came at %s, and RTO\n" ..
                 "later, at %s, the timer fired (event \"rto\", backoff %d) and the segment\n" ..
                 "went again, %s after its first copy.\n" ..
                 "The answer \"%s\" came back. Had the copy been lost too, the next wait\n" ..
                 "would have been 2 x RTO (exponential backoff).",
            zh = "RTO = SRTT + max(4 x RTTVAR, 200 ms) = %s + 200 ms，向上取整到 4 ms：\n" ..
                 "%s（SRTT 是平滑往返时间，来自三次握手和此前的 ACK）。每个确认了新数据\n" ..
                 "的 ACK 都会让定时器重新计时（RFC 6298 5.3）；最后一个在 %s 到达，\n" ..
                 "RTO 之后，即 %s，定时器超时（事件 \"rto\"，退避 %d），这个报文段被重传，\n" ..
                 "距第一次发送 %s。回答 \"%s\" 随后到来。如果重传的副本也丢了，\n" ..
                 "下一次要等 2 x RTO（指数退避）。"},
           armed and ms(armed.srtt) or "-", armed and ms(armed.rto) or "-",
           last_new and last_new.rx_time and ms(last_new.rx_time) or "-", ms(timers[1].time),
           timers[1].backoff, ms(again.time - orig.time), v(answer))
  elseif how == "fast" then
    sc:say({en = "After #%d came %d segments; each made the server repeat its ACK (ack=%d,\n" ..
                 "\"I still need seq %d\"): %d duplicate ACKs. On the third the client resent\n" ..
                 "the segment at once (fast retransmit), %s after its first copy, without\n" ..
                 "waiting for its RTO (%s). The answer \"%s\" came back.",
            zh = "第 %d 个之后还有 %d 个报文段；每一个都让服务器重复它的 ACK（ack=%d，\n" ..
                 "“我还需要 seq %d”）：共 %d 个重复 ACK。收到第三个时，客户端立即重发\n" ..
                 "这个报文段（快重传），距第一次发送 %s，不必等 RTO（%s）超时。\n" ..
                 "回答 \"%s\" 随后到来。"},
           K.drop, SEGS - K.drop, rel(orig.seq), rel(orig.seq), dupacks, ms(again.time - orig.time),
           armed and ms(armed.rto) or "-", v(answer))
  else
    sc:say({en = "Nothing lost, nothing resent: the answer \"%s\" came back at %s.",
            zh = "没有丢失，也没有重传：回答 \"%s\" 在 %s 到来。"}, v(answer), ms(answered))
  end
  print()

  local cn = client:netstat()
  expect(answer, "the server's answer"):eq("got " .. BYTES .. " bytes")
  if orig then
    expect(orig.lost, "the first copy"):eq("intercept")
    expect(orig.retransmission):falsy()
    expect(again, "the second copy"):truthy()
    expect(again.retransmission, "the second copy"):truthy()
    expect(again.lost):is_nil()
  end
  if how == "timeout" then
    expect(#timers, "RTO timer events"):eq(1)
    expect(timers[1].backoff):eq(0)
    expect(again.time, "retransmitted when the timer fired"):eq(timers[1].time)
    expect(armed, "an RTT sample with the last ACK of new data"):truthy()
    expect(timers[1].time - last_new.rx_time, "the timer fires RTO after the last ACK of new data"):eq(armed.rto)
    expect(armed.rto, "RTO = SRTT + 200 ms, rounded up to 4 ms"):eq(
      (armed.srtt + 200 * MS + 4 * MS - 1) // (4 * MS) * (4 * MS))
    expect(dupacks, "fewer than three duplicate ACKs"):lt(3)
  elseif how == "fast" then
    expect(dupacks, "three duplicate ACKs at least"):ge(3)
    expect(#timers, "no RTO"):eq(0)
  end
  sc:claim({en = "act 2: the lost segment", zh = "第二幕：丢失的报文段"}, orig and rel(orig.seq), 5 * MSS + 1)
  sc:claim({en = "act 2: duplicate ACKs", zh = "第二幕：重复 ACK 的个数"}, dupacks, 0)
  sc:claim({en = "act 2: resent by the retransmission timer", zh = "第二幕：由重传定时器重发"}, how, "timeout")
  sc:claim({en = "act 2: TcpRetransSegs", zh = "第二幕：TcpRetransSegs"}, cn.TcpRetransSegs, 1)
  sc:claim({en = "act 2: TCPTimeouts", zh = "第二幕：TCPTimeouts"}, cn.TcpExtTCPTimeouts, 1)
end

------------------------------------------------------------------------
sc:say{en = "== Act 3: flow control ==", zh = "== 第三幕：流量控制（滑动窗口） =="}
------------------------------------------------------------------------
do
  local l = lab("reliability-3")
  local net, client, server = l.net, l.client, l.server
  local BYTES, RCVBUF, SLEEP, CHUNK, PAUSE = 30000, K.rcvbuf, "1s", 4000, "200ms"
  -- No window scaling here, so the windows read as plain byte counts.
  for _, h in ipairs{client, server} do h:sysctl("net.ipv4.tcp_window_scaling", false) end
  local lad = ladder.new(net, {hosts = {client, server}, relative = true, win = true})
  local timers = {}
  net:on("timer", function(ev)
    if ev.node == "client" and ev.timer == "persist" then
      timers[#timers + 1] = ev
      lad:note(sc:t{en = "client: persist timer", zh = "客户端：坚持定时器"})
    end
  end)
  local READ = {en = "server app reads %d bytes", zh = "服务器应用读取 %d 字节"}
  local reads, woke = {}, nil        -- when the reader wakes and calls receive
  local got = reader(l, 5001, {rcvbuf = RCVBUF, first_sleep = SLEEP, chunk = CHUNK, upto = BYTES,
                               pause = PAUSE, on_wake = function() woke = lunet.now() end,
                               on_read = function(n)
                                 reads[#reads + 1] = lunet.now()
                                 lad:note(sc:t(READ, n))
                               end})
  client:spawn(function()
    local s = assert(client:connect("10.0.2.2", 5001))
    s:send(BYTES)
    s:receive()                        -- nil, "closed": the server is done
    s:close()
  end)
  net:run()
  got.listener:close()

  sc:say({en = "The server's socket has a small receive buffer (SO_RCVBUF %d), and its\n" ..
               "application sleeps %s, then reads %d bytes every %s. The client\n" ..
               "sends %d bytes at once. Each ACK says in win= how much more it may\n" ..
               "send: the free space left in the buffer.",
          zh = "服务器的套接字接收缓冲区很小（SO_RCVBUF %d），它的应用先睡眠 %s，\n" ..
               "然后每次读取 %d 字节，每 %s 读一次。客户端一次发送 %d 字节。每个 ACK\n" ..
               "的 win= 告诉客户端还能再发多少：即缓冲区剩余的空间（接收窗口）。"},
         RCVBUF, SLEEP, CHUNK, PAUSE, BYTES)
  -- the ladder, from its start to the second read
  local lines, stop = lad:lines(), nil
  local mark = sc:t(READ, 0):match("^(.-)0") or ""
  local seen = 0
  for i, line in ipairs(lines) do
    if line:find(mark, 1, true) then
      seen = seen + 1
      if seen == 2 then stop = i; break end
    end
  end
  for i = 1, stop or #lines do print(lines[i]) end
  if stop then print("  ...") end
  local segs = lad:segments()
  local wins, zero, probes, update = {}, nil, {}, nil
  for _, s in ipairs(segs) do
    if s.from == "server" and not s.syn then
      if not zero then
        if s.time < woke then wins[#wins + 1] = s.win end
        if s.win == 0 then zero = s end
      elseif s.time >= woke and s.win > 0 and not update then
        update = s
      end
    elseif s.from == "client" and zero and s.len == 0 and s.time < woke then
      probes[#probes + 1] = s
    end
  end
  local answer
  for _, s in ipairs(segs) do
    if probes[1] and s.from == "server" and s.time > probes[1].time then answer = s; break end
  end
  local gap1 = probes[1] and probes[1].time - zero.rx_time
  local gap2 = probes[2] and answer and probes[2].time - answer.rx_time
  -- "65535 x10 -> 65160 -> ...": repeated windows counted, not listed
  local function wins_text()
    local out, i = {}, 1
    while i <= #wins do
      local j = i
      while j < #wins and wins[j + 1] == wins[i] do j = j + 1 end
      out[#out + 1] = j > i and string.format("%d x%d", wins[i], j - i + 1) or tostring(wins[i])
      i = j + 1
    end
    return table.concat(out, " -> ")
  end
  if zero then
    sc:say({en = "The window went %s: the buffer filled up and the\n" ..
                 "client had to stop.",
            zh = "窗口依次为 %s：缓冲区满了，客户端只能停下来。"}, wins_text())
    if gap2 then
      sc:say({en = "While the window is 0 its persist timer sends zero-window probes:\n" ..
                   "%s after the 0 arrived, then %s after the answer (the interval\n" ..
                   "doubles). A probe carries an old sequence number, so the server drops\n" ..
                   "it (X) but answers with its window; Linux answers such segments at most\n" ..
                   "every 500 ms, so the second probe gets no answer. (Wireshark labels these\n" ..
                   "probes \"TCP Keep-Alive\": keepalives use the same old-byte trick.)",
              zh = "窗口为 0 时，客户端的坚持定时器发送零窗口探测报文：0 窗口到达后 %s\n" ..
                   "发第一个，收到回答后 %s 发第二个（间隔加倍）。探测报文携带一个旧的序号，\n" ..
                   "所以服务器丢弃它（X），但会回答自己的窗口；Linux 对这类报文段最多每\n" ..
                   "500 ms 回答一次，所以第二个探测没有得到回答。（Wireshark 把这些探测标为\n" ..
                   "\"TCP Keep-Alive\"：保活报文用的也是这种发送旧字节的办法。）"},
             ms(gap1), ms(gap2))
    end
    if update then
      sc:say({en = "When the reader wakes, the server sends a window update (win=%d) at\n" ..
                   "once and the client sends again, until the window closes again: the\n" ..
                   "receiver sets the pace.",
              zh = "接收方应用醒来读取后，服务器立即发送窗口更新（win=%d），客户端\n" ..
                   "继续发送，直到窗口再次关闭：发送的快慢由接收方决定。"}, update.win)
    end
  else
    sc:say({en = "The window went %s\nand never reached 0: the buffer held everything the client sent\n" ..
                 "before the reader woke.",
            zh = "窗口依次为 %s，\n从未降到 0：在接收方应用醒来之前，\n" ..
                 "缓冲区容纳了客户端发送的全部数据。"}, wins_text())
  end
  sc:say({en = "Received %d bytes, hash %016x: the same as sent.",
          zh = "收到 %d 字节，哈希 %016x：与发送的完全相同。"}, got.bytes, got.hash)
  print()

  local cn, sn = client:netstat(), server:netstat()
  expect(got.bytes):eq(BYTES)
  expect(got.hash):eq(lunet.hash(BYTES))
  expect(cn.TcpRetransSegs, "nothing lost, nothing resent"):eq(0)
  -- the reader sleeps: until it reads, the window only shrinks
  for i = 2, #wins do expect(wins[i], "window " .. i .. " does not grow"):le(wins[i - 1]) end
  sc:claim({en = "act 3: each window smaller than the one before", zh = "第三幕：每个窗口都比前一个小"},
           (function() for i = 2, #wins do if wins[i] >= wins[i - 1] then return false end end return true end)(),
           true)
  sc:claim({en = "act 3: the window reaches 0", zh = "第三幕：窗口降到 0"}, zero and zero.win, 0)
  sc:claim({en = "act 3: windows before the first 0, at least 3", zh = "第三幕：第一个 0 之前至少有 3 个窗口值"},
           #wins >= 3, true)
  sc:claim({en = "act 3: zero-window probes, at least 2", zh = "第三幕：零窗口探测至少 2 个"}, #probes >= 2, true)
  if zero then
    expect(#probes, "zero-window probes"):eq(#timers)
    expect(cn.TcpExtTCPWinProbe, "TCPWinProbe"):eq(#probes)
    expect(sn.TcpExtTCPToZeroWindowAdv, "TCPToZeroWindowAdv"):ge(1)
    expect(sn.TcpExtTCPFromZeroWindowAdv, "TCPFromZeroWindowAdv"):ge(1)
    for _, p in ipairs(probes) do expect(p.seq, "a probe is a byte already sent"):eq(zero.ack - 1) end
    expect(update, "a window update"):truthy()
    expect(update.time, "window update when the reader wakes"):eq(woke)
    expect(update.ack, "the update acknowledges nothing new"):eq(zero.ack)
  end
  if answer then
    expect(answer.win, "the answer to probe 1"):eq(0)
    expect(answer.time - probes[1].rx_time, "answered at once"):lt(MS)
  end
  if gap2 then
    expect(gap2, "the interval doubles"):eq(2 * gap1)
    local after2
    for _, s in ipairs(segs) do
      if s.from == "server" and s.time > probes[2].time then after2 = s; break end
    end
    sc:claim({en = "act 3: the second probe gets no answer (the next server segment is the update)",
              zh = "第三幕：第二个探测没有回答（服务器的下一个报文段是窗口更新）"}, after2 == update, true)
  end
end

------------------------------------------------------------------------
sc:say{en = "== Act 4: congestion control ==", zh = "== 第四幕：拥塞控制 =="}
------------------------------------------------------------------------

-- cwnd over time, as a text chart: one column per time slice, the
-- largest cwnd in it as "*", ssthresh as "-", and below the axis F where
-- fast retransmit starts a fast recovery, T where an RTO fired.  Labels
-- {t=, y=, text=} are written at (time, cwnd) where they fit.
local function chart(evs, t_end, height, width, labels)
  local top = 0
  for _, e in ipairs(evs) do top = math.max(top, e.cwnd) end
  local step = (top + height - 1) // height
  local dt = t_end / width
  local function row_of(y) return (y + step - 1) // step end
  local function col_of(t) return math.min(width, t // dt + 1) end
  local grid, mark = {}, {}
  for r = 1, height do grid[r] = {} for c = 1, width do grid[r][c] = " " end end
  for c = 1, width do mark[c] = " " end
  local cur, cur_ss, k = evs[1].cwnd, nil, 1
  for c = 1, width do
    local m = cur
    while k <= #evs and evs[k].time < c * dt do
      local e = evs[k]
      cur, cur_ss = e.cwnd, e.ssthresh < 1e9 and e.ssthresh or nil
      m = math.max(m, cur)
      if e.why == "recovery" then mark[c] = "F" end
      if e.why == "rto" then mark[c] = "T" end
      k = k + 1
    end
    if cur_ss then grid[row_of(cur_ss)][c] = "-" end
    grid[row_of(m)][c] = "*"
  end
  for _, lb in ipairs(labels or {}) do
    -- one cell per terminal column: a Chinese character fills two, the
    -- second left empty, so the columns after it stay in place
    local cells = {}
    for _, cp in utf8.codes(lb.text) do
      cells[#cells + 1] = utf8.char(cp)
      if cp >= 0x1100 then cells[#cells + 1] = "" end
    end
    local c0 = col_of(lb.t)
    for _, dr in ipairs{0, 1, -1, 2, -2, 3} do
      local r, fits = row_of(lb.y) + dr, true
      if r < 1 or r > height or c0 + #cells - 1 > width then fits = false end
      for i = 0, #cells - 1 do
        if fits and grid[r][c0 + i] ~= " " then fits = false end
      end
      if fits then
        for i = 1, #cells do grid[r][c0 + i - 1] = cells[i] end
        break
      end
    end
  end
  local out = {}
  for r = height, 1, -1 do
    local label = (r % 4 == 0) and string.format("%4d", r * step) or "    "
    out[#out + 1] = (label .. " |" .. table.concat(grid[r])):gsub("%s+$", "")
  end
  out[#out + 1] = "     +" .. ("-"):rep(width)
  out[#out + 1] = ("      " .. table.concat(mark)):gsub("%s+$", "")
  local ticks, pos = "      ", 0
  for t = 0, t_end, lunet.time("0.5s") do
    local c, txt = t // dt, string.format("%gs", t / 1e9)
    if c >= pos + (pos > 0 and 1 or 0) and c + #txt <= width then
      ticks, pos = ticks .. (" "):rep(c - pos) .. txt, c + #txt
    end
  end
  out[#out + 1] = ticks
  return out
end

local function transfer(cc)
  local l = lab("reliability-4-" .. cc, 20)
  local net, client = l.net, l.client
  client:sysctl("net.ipv4.tcp_congestion_control", cc)
  -- loss=: the bottleneck also loses data segments at random (r1 -> server)
  if K.loss > 0 then l.bottleneck:set{ab = {loss = K.loss}} end
  local evs = {}
  net:on("cwnd", function(ev) if ev.node == "client" then evs[#evs + 1] = ev end end)
  local got = reader(l, 5001)
  local r
  client:spawn(function()
    r = client:bulk_send("10.0.2.2", 5001, {bytes = 3000000, quiet = true})
  end)
  net:run()
  got.listener:close()
  local t0 = evs[1].time
  for _, e in ipairs(evs) do e.time = e.time - t0 end
  local st = l.bottleneck:stats().ab
  return {name = cc, evs = evs, got = got, r = r, l = l, netstat = client:netstat(), queue = st}
end

local function episodes(evs)
  -- each loss episode: cwnd just before it, ssthresh it set, how it began
  local out, prev = {}, nil
  for _, e in ipairs(evs) do
    if e.why == "recovery" or e.why == "rto" then
      out[#out + 1] = {time = e.time, before = prev.cwnd, ssthresh = e.ssthresh, why = e.why}
    end
    if e.why == "recovered" and #out > 0 then out[#out].done = e.time end
    prev = e
  end
  return out
end
-- the last event of slow start (ssthresh still unset) and the one that
-- ended it (a loss, or cubic's HyStart on an ACK)
local function slow_start_end(evs)
  for i, e in ipairs(evs) do
    if e.ssthresh < 1e9 then return evs[i - 1], e end
  end
  return evs[#evs]
end

-- the algorithm explained (the knob), and the other of reno and cubic
local OTHER = K.cc == "cubic" and "reno" or "cubic"
local main, other = transfer(K.cc), transfer(OTHER)
local me, oe = episodes(main.evs), episodes(other.evs)
local BETA = {reno = 1 / 2, newreno = 1 / 2, cubic = 717 / 1024}

local W = 72
local t_end = math.max(main.evs[#main.evs].time, other.evs[#other.evs].time)
local dt = t_end // W
local ss_top, ss_end = slow_start_end(main.evs)
local labels = {{t = ss_top.time + 2 * dt, y = ss_top.cwnd,
                 text = sc:t{en = "<- slow start", zh = "<- 慢启动"}}}
-- the longest congestion avoidance: between two loss episodes
local ca, ca_next
for i = 1, #me - 1 do
  if me[i].done and (not ca or me[i + 1].time - me[i].done > ca_next.time - ca.done) then
    ca, ca_next = me[i], me[i + 1]
  end
end
if ca then
  labels[2] = {t = ca.done + (ca_next.time - ca.done) // 8, y = ca_next.before + 5,
               text = sc:t{en = "congestion avoidance", zh = "拥塞避免"}}
  labels[3] = {t = ca.done + 4 * dt, y = ca.ssthresh - 6, text = "ssthresh"}
end
local LEGEND = sc:t{en = "      * cwnd   - ssthresh   F fast retransmit + fast recovery   T RTO",
                    zh = "      * cwnd   - ssthresh   F 快重传 + 快恢复   T 超时重传（RTO）"}
if K.loss > 0 then
  sc:say({en = "3 MB through r1's 20-packet queue, over a 10 Mbit/s link that also loses\n" ..
               "%s of the data segments at random. cwnd (in segments) of %s:",
          zh = "3 MB 数据经过 r1 容量为 20 个包的队列，10 Mbit/s 的链路还随机丢掉\n" ..
               "%s 的数据报文段。%s 的 cwnd（拥塞窗口，单位：报文段）："},
         pct(K.loss), K.cc)
else
  sc:say({en = "3 MB through r1's 20-packet queue: the 10 Mbit/s link fills up, the\n" ..
               "queue overflows, segments are dropped. cwnd (in segments) of %s:",
          zh = "3 MB 数据经过 r1 容量为 20 个包的队列：10 Mbit/s 的链路被填满，队列溢出，\n" ..
               "报文段被丢弃。%s 的 cwnd（拥塞窗口，单位：报文段）："}, K.cc)
end
for _, line in ipairs(chart(main.evs, t_end, 16, W, labels)) do print(line) end
print(LEGEND)
local by_loss = ss_end and (ss_end.why == "recovery" or ss_end.why == "rto")
sc:say({en = "Slow start: cwnd from %d to %d in %s, doubling every round trip,",
        zh = "慢启动：cwnd 从 %d 增长到 %d，用时 %s，每个往返时间翻一番，"},
       main.evs[1].cwnd, ss_top.cwnd, ms(ss_top.time))
if by_loss and K.loss > 0 then
  sc:say{en = "until the first loss.", zh = "直到第一次丢包。"}
elseif by_loss then
  sc:say{en = "until the queue overflowed.", zh = "直到队列溢出。"}
else
  sc:say{en = "until HyStart saw the round trip grow and ended it before any loss.",
         zh = "直到 HyStart 发现往返时间变长，在丢包之前就结束了慢启动。"}
end
local first = me[1]
local fast = 0                          -- the F marks: loss episodes that began with fast retransmit
for _, e in ipairs(me) do if e.why == "recovery" then fast = fast + 1 end end
if first and first.why == "recovery" then
  local rule = BETA[K.cc] == 1 / 2 and string.format("cwnd / 2 = %d / 2 = %d", first.before, first.ssthresh)
                                   or string.format("cwnd x 0.7 = %d x 0.7 = %d", first.before, first.ssthresh)
  sc:say({en = "F at %s: three duplicate ACKs, fast retransmit;\nssthresh = %s; " ..
               "fast recovery brings cwnd down to ssthresh\nand ends at %s.",
          zh = "%s 处的 F：三个重复 ACK，快重传；\nssthresh = %s；" ..
               "快恢复把 cwnd 降到 ssthresh，在 %s 结束。"},
         ms(first.time), rule, first.done and ms(first.done) or "-")
elseif first then
  sc:say({en = "T at %s: the retransmission timer fired; ssthresh = %d and cwnd starts\n" ..
               "again from 1 in slow start.",
          zh = "%s 处的 T：重传定时器超时；ssthresh = %d，cwnd 从 1 开始重新慢启动。"},
         ms(first.time), first.ssthresh)
end
if K.cc == "cubic" then
  sc:say({en = "Then cubic grows cwnd back along a cubic curve: fast, flat near the old\n" ..
               "maximum, then probing beyond it (%d F in all, %d RTOs).",
          zh = "之后 cubic 沿三次曲线让 cwnd 回升：先快，在旧的最大值附近变平，\n" ..
               "然后越过它继续试探（共 %d 个 F，%d 次 RTO）。"}, fast, main.netstat.TcpExtTCPTimeouts)
else
  sc:say({en = "Then congestion avoidance: +1 segment per round trip, a slow climb,\n" ..
               "until the next loss halves it again (%d F in all, %d RTOs): the sawtooth\n" ..
               "of AIMD (additive increase, multiplicative decrease).",
          zh = "然后是拥塞避免：每个往返时间 +1 个报文段，缓慢爬升，直到下一次丢包\n" ..
               "再次减半（共 %d 个 F，%d 次 RTO）：这就是 AIMD（加法增大、乘法减小）\n" ..
               "的锯齿形。"}, fast, main.netstat.TcpExtTCPTimeouts)
end
print()
local os_top, os_end = slow_start_end(other.evs)
if OTHER == "cubic" then
  sc:say{en = "The same with cubic, Linux's default:", zh = "同样的传输换成 cubic（Linux 的默认算法）："}
else
  sc:say{en = "The same with reno, the notes' algorithm:", zh = "同样的传输换成 reno（笔记中讲的算法）："}
end
for _, line in ipairs(chart(other.evs, t_end, 10, W)) do print(line) end
print(LEGEND)
if OTHER == "cubic" then
  local left = (os_end and os_end.why == "ack")
    and sc:t({en = "Cubic leaves slow start early, at cwnd %d, when the round trip starts\n" ..
                   "to grow (HyStart)",
              zh = "cubic 在 cwnd 为 %d 时就提前离开慢启动，因为往返时间开始变长\n" ..
                   "（HyStart）"}, os_top.cwnd)
    or sc:t({en = "Cubic leaves slow start at its first loss, at cwnd %d",
             zh = "cubic 在第一次丢包时离开慢启动，此时 cwnd 为 %d"}, os_top.cwnd)
  sc:say({en = "%s; it cuts cwnd to 0.7 x, not half (%s -> %s), and\n" ..
               "grows back along a cubic curve: fast, flat near the old maximum, then\n" ..
               "probing beyond it.",
          zh = "%s；它把 cwnd 降到 0.7 倍而不是一半（%s -> %s），\n" ..
               "然后沿三次曲线回升：先快，在旧的最大值附近变平，然后越过它继续试探。"},
         left, v(oe[1] and oe[1].before), v(oe[1] and oe[1].ssthresh))
else
  sc:say{en = "Reno runs slow start until the queue overflows, halves cwnd at each loss\n" ..
              "and climbs back by one segment per round trip: the sawtooth.",
         zh = "reno 一直慢启动到队列溢出，每次丢包把 cwnd 减半，再每个往返时间\n" ..
              "增加一个报文段慢慢爬升：锯齿形。"}
end
print()
local reno = K.cc == "cubic" and other or main
local cubic = K.cc == "cubic" and main or other
sc:say({en = "  %-8s %14s %14s %12s %16s", zh = "  %-8s %14s %14s %12s %16s"}, "",
       rjust(sc:t{en = "loss episodes", zh = "丢包事件"}, 14), rjust(sc:t{en = "retransmitted", zh = "重传"}, 14),
       rjust(sc:t{en = "queue drops", zh = "队列丢弃"}, 12), rjust(sc:t{en = "throughput", zh = "吞吐量"}, 16))
for _, x in ipairs{main, other} do
  print(string.format("  %-8s %14d %14d %12d %9.2f Mbit/s", x.name, #episodes(x.evs), x.r.retrans,
                      x.queue.dropped_queue, x.r.bps / 1e6))
end
local busy = reno.r.bps > 9e6 and cubic.r.bps > 9e6
local fewer = cubic.r.retrans < reno.r.retrans
if busy and fewer then
  sc:say{en = "Both keep the 10 Mbit/s link busy; cubic, backing off less and probing\n" ..
              "gently near its old maximum, loses far fewer segments.",
         zh = "两者都让 10 Mbit/s 的链路保持繁忙；cubic 退让得少，在旧的最大值附近\n" ..
              "小心试探，丢失的报文段少得多。"}
elseif not busy then
  sc:say{en = "The 10 Mbit/s link is not kept busy: a loss-based congestion control\n" ..
              "takes every loss for congestion and backs off, so with losses that are\n" ..
              "not congestion cwnd stays small and the link idles.",
         zh = "10 Mbit/s 的链路没有被充分利用：基于丢包的拥塞控制把每次丢包都当作\n" ..
              "拥塞而退让，所以当丢包并非由拥塞引起时，cwnd 始终很小，链路空闲。"}
else
  sc:say{en = "Both keep the 10 Mbit/s link busy.", zh = "两者都让 10 Mbit/s 的链路保持繁忙。"}
end
print()

for _, run in ipairs{main, other} do
  local name, eps, beta = run.name, episodes(run.evs), BETA[run.name]
  expect(run.got.bytes, name .. " bytes"):eq(3000000)
  expect(run.got.hash, name .. " hash"):eq(lunet.hash(3000000))
  expect(#eps, name .. " loss episodes"):ge(2)
  for _, e in ipairs(eps) do
    if e.why == "recovery" then
      expect(e.ssthresh, name .. " ssthresh at " .. T(e.time)):eq(
        math.max(math.floor(e.before * beta), 2))
    end
  end
  expect(run.evs[1].why):eq("init")
  expect(run.evs[1].cwnd, name .. " initial cwnd"):eq(10)
  expect(run.r.retrans, name .. " retransmissions"):eq(run.netstat.TcpRetransSegs)
  expect(run.r.retrans, name .. " a retransmission per drop"):ge(run.queue.dropped_queue)
  sc:claim({en = name .. ": the queue overflowed", zh = name .. "：队列溢出"}, run.queue.dropped_queue > 0, true)
end
expect(ss_top.ssthresh, "slow start: ssthresh not set yet"):eq(2147483647)
expect(fast, "the F marks of the first chart are its SACK recoveries"):eq(main.netstat.TcpExtTCPSackRecovery)
sc:claim({en = "no RTO in the first chart", zh = "第一张图中没有超时重传"}, #me - fast, 0)
sc:claim({en = "the first chart's slow start ends at a loss", zh = "第一张图的慢启动因丢包而结束"}, by_loss, true)
sc:claim({en = "cubic: HyStart ends slow start before the first loss", zh = "cubic：HyStart 在第一次丢包之前结束慢启动"},
         (K.cc == "cubic" and ss_end or os_end or {}).why, "ack")
sc:claim({en = "both keep the link busy (over 9 Mbit/s)", zh = "两者都让链路保持繁忙（超过 9 Mbit/s）"}, busy, true)
sc:claim({en = "cubic retransmits fewer segments than reno", zh = "cubic 重传的报文段比 reno 少"}, fewer, true)

sc:pcaps(pcaps)
