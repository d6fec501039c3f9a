-- reliability.lua - how TCP makes a reliable byte stream out of a network
-- that corrupts, loses and overflows, in four acts:
--   1. checksums: a corrupted segment is thrown away, never acknowledged
--   2. retransmission on timeout: a lost segment is sent again after RTO
--   3. flow control: a slow reader shrinks the window to 0, the sender waits
--   4. congestion control: cwnd over time through a small router queue
--
--   client 10.0.1.1 ==100 Mbit/s, 1 ms== r1 ==10 Mbit/s, 10 ms== server
--                                                                10.0.2.2
-- Each act builds this network afresh; r1's queue toward the server holds
-- 1000 packets, except in act 4 (20).  ARP entries are static, so only TCP
-- crosses the links.
--
-- Run:   lunet run scripts/reliability.lua
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"
local T = lunet.fmt_time
local MS = lunet.time("1ms")
local function ms(t)                   -- "224 ms", "22.1 ms"
  if t % MS == 0 then return string.format("%d ms", t // MS) end
  return string.format("%.1f ms", t / MS)
end
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

------------------------------------------------------------------------
print("== Act 1: checksums ==")
------------------------------------------------------------------------
do
  local l = lab("reliability-1")
  local net, client, server, r1 = l.net, l.client, l.server, l.r1
  local BYTES, CORRUPT = 200000, "5%"
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
    -- from now on the r1-server link flips one bit in 5% of the frames
    l.bottleneck:set{corrupt = CORRUPT}
    s:send(BYTES)
    s:close()
  end)
  net:run()
  got.listener:close()

  local st = l.bottleneck:stats()
  local cn, sn, rn = client:netstat(), server:netstat(), r1:netstat()
  local bad = st.ab.corrupted + st.ba.corrupted
  print(string.format("The client sends %d bytes. Once it is connected, the r1-server link",
                      BYTES))
  print(string.format("flips one bit in %s of the frames, both ways: %d data frames and %d ACKs",
                      CORRUPT, st.ab.corrupted, st.ba.corrupted))
  print("were damaged. Who noticed, and how:")
  -- IpInHdrErrors and TcpInErrs count every header error, checksums
  -- included; a flip in, say, the IP version field fails another check first
  local function other(n) return n.IpInHdrErrors - n.IpExtInCsumErrors +
                                 n.TcpInErrs - n.TcpInCsumErrors end
  local row = "  %-8s %12s %14s %14s"
  print(string.format(row, "", "IP checksum", "TCP checksum", "other checks"))
  print(string.format(row, "server", sn.IpExtInCsumErrors, sn.TcpInCsumErrors, other(sn)))
  print(string.format(row, "r1", rn.IpExtInCsumErrors, "-", other(rn)))
  print(string.format(row, "client", cn.IpExtInCsumErrors, cn.TcpInCsumErrors, other(cn)))
  print("The IP checksum covers the IP header only, and every hop checks it; the")
  print("TCP checksum covers the whole segment (and the addresses), and only the")
  print("receiving host checks it. A frame that fails either is dropped in silence.")
  local first
  for _, d in ipairs(drops) do
    if d.node == "server" and d.seg then first = d; break end
  end
  local seg = first.seg
  local dups, cover, resent, trigger = 0, nil, nil, nil
  for _, a in ipairs(acks) do
    if a.time > first.time and not cover then
      if a.ack > seg.seq then cover = a elseif a.ack == seg.seq then dups = dups + 1 end
    end
  end
  for _, x in ipairs(sent) do
    if x.seq == seg.seq and x.time > seg.time then resent = x; break end
  end
  for _, h in ipairs(heard) do          -- the duplicate ACK that triggered it
    if h.time == resent.time and h.ack == seg.seq and not dropped[h.id] then trigger = h end
  end
  print(string.format("The first victim, seq=%d (%d bytes), reached the server at %s:",
                      seg.seq, seg.len, ms(first.time)))
  print(string.format("dropped (%s), never acknowledged. The server's next %d ACKs",
                      first.reason, dups))
  print(string.format("all said ack=%d, \"I still need seq %d\". On these duplicate ACKs",
                      seg.seq, seg.seq))
  print(string.format("the client sent it again at %s (fast retransmit, act 4), and at",
                      ms(resent.time)))
  print(string.format("%s an ACK finally went past it (ack=%d).", ms(cover.time), cover.ack))
  print(string.format("Received %d bytes, hash %016x: the same as sent.", got.bytes, got.hash))
  print()

  expect(got.bytes, "bytes received"):eq(BYTES)
  expect(got.hash, "hash of the received bytes"):eq(lunet.hash(BYTES))
  expect(st.ab.corrupted, "corrupted data frames"):gt(0)
  -- every corrupted frame was caught, where the table says
  expect(#drops, "frames dropped by the checks"):eq(bad)
  expect(sn.IpInHdrErrors + sn.TcpInErrs, "caught at the server"):eq(st.ab.corrupted)
  expect(rn.IpInHdrErrors + cn.IpInHdrErrors + cn.TcpInErrs, "ACKs caught"):eq(st.ba.corrupted)
  expect(rn.TcpInErrs, "r1 does not check TCP"):eq(0)
  expect(first.reason):eq("bad checksum")
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
      expect(again, "a second copy of seq " .. d.seg.seq):truthy()
      expect(acked.time, "ACK after the second copy"):gt(again.time)
    end
  end
  expect(dups, "duplicate ACKs"):ge(3)
  expect(trigger, "resent as a duplicate ACK arrived"):truthy()
  expect(cn.TcpRetransSegs, "a retransmission per damaged segment"):ge(damaged)
end

------------------------------------------------------------------------
print("== Act 2: retransmission on timeout ==")
------------------------------------------------------------------------
do
  local l = lab("reliability-2")
  local net, client, server = l.net, l.client, l.server
  local MSG = "hello\n"
  -- The access link loses exactly one frame: the first that carries data.
  -- (lunet has no "drop that packet" knob: a hook sets the loss to 100%
  -- as that frame starts onto the wire, and back to 0 for the next one.)
  local lost_one = false
  net:on("tx", function(ev)
    if ev.link ~= l.access.name or ev.node ~= "client" then return end
    local drop = not lost_one and (ev.payload or 0) > 0
    lost_one = lost_one or drop
    l.access:set{ab = {loss = drop and 1 or 0}}
  end)
  local timers = {}
  local lad = ladder.new(net, {hosts = {client, server}, relative = true})
  net:on("timer", function(ev)
    if ev.node == "client" and ev.timer == "rto" then
      timers[#timers + 1] = ev
      lad:note(string.format("client: the RTO timer fires (backoff %d)", ev.backoff))
    end
  end)
  local listener = assert(server:listen(80))
  server:spawn(function()
    local c = listener:accept()
    c:send(c:receive("*l"):upper() .. "\n")
    c:receive()
    c:close()
  end)
  local sent_at, info, answer
  client:spawn(function()
    local s = assert(client:connect("10.0.2.2", 80))
    s:send(MSG)
    sent_at, info = lunet.now(), s:info()
    lad:note(string.format("client: RTO = %s", ms(info.rto)))
    answer = s:receive("*l")
    lad:stop()
    s:close()
  end)
  net:run()
  listener:close()

  print("The client sends \"hello\\n\"; the link loses it. No ACK comes back, and")
  print("no later data could cause duplicate ACKs: only the retransmission timer")
  print("can help.")
  lad:print()
  local segs = lad:segments()
  local orig, again
  for _, s in ipairs(segs) do
    if s.from == "client" and s.len > 0 then
      if not orig then orig = s elseif not again then again = s end
    end
  end
  print(string.format("RTO = SRTT + max(4 x RTTVAR, 200 ms) = %s + 200 ms, rounded up to",
                      ms(info.srtt)))
  print(string.format("4 ms ticks: %s (SRTT, the smoothed round-trip time, comes from the",
                      ms(info.rto)))
  print(string.format("handshake). At +%s the timer fired (event \"rto\", backoff %d) and the",
                      ms(timers[1].time - sent_at), timers[1].backoff))
  print(string.format("segment went again; the answer \"%s\" came back. Had the copy been lost",
                      answer))
  print("too, the next wait would have been 2 x RTO (exponential backoff).")
  print()

  expect(answer, "the server's answer"):eq("HELLO")
  expect(orig.lost, "the first copy"):eq("loss")
  expect(orig.retransmission):falsy()
  expect(again.retransmission, "the second copy"):truthy()
  expect(again.lost):is_nil()
  expect(again.seq):eq(orig.seq)
  expect(#timers, "RTO timer events"):eq(1)
  expect(timers[1].time - sent_at, "the timer fires RTO after the send"):eq(info.rto)
  expect(again.time, "retransmitted when the timer fired"):eq(timers[1].time)
  expect(timers[1].backoff):eq(0)
  expect(info.rto, "RTO = SRTT + 200 ms, rounded up to 4 ms"):eq(
    (info.srtt + 200 * MS + 4 * MS - 1) // (4 * MS) * (4 * MS))
  local cn = client:netstat()
  expect(cn.TcpRetransSegs, "TcpRetransSegs"):eq(1)
  expect(cn.TcpExtTCPTimeouts, "TCPTimeouts"):eq(1)
end

------------------------------------------------------------------------
print("== Act 3: flow control ==")
------------------------------------------------------------------------
do
  local l = lab("reliability-3")
  local net, client, server = l.net, l.client, l.server
  local BYTES, RCVBUF, SLEEP, CHUNK, PAUSE = 30000, 8192, "1s", 4000, "200ms"
  -- No window scaling here, so the windows read as plain byte counts.
  for _, h in ipairs{client, server} do h:sysctl("net.ipv4.tcp_window_scaling", false) end
  local lad = ladder.new(net, {hosts = {client, server}, relative = true, win = true})
  local timers = {}
  net:on("timer", function(ev)
    if ev.node == "client" and ev.timer == "persist" then
      timers[#timers + 1] = ev
      lad:note("client: persist timer")
    end
  end)
  local reads = {}
  local got = reader(l, 5001, {rcvbuf = RCVBUF, first_sleep = SLEEP, chunk = CHUNK, upto = BYTES,
                               pause = PAUSE, on_read = function(n)
                                 reads[#reads + 1] = lunet.now()
                                 lad:note("server app reads " .. n .. " bytes")
                               end})
  client:spawn(function()
    local s = assert(client:connect("10.0.2.2", 5001))
    s:send(BYTES)
    s:receive()                        -- nil, "closed": the server is done
    s:close()
  end)
  net:run()
  got.listener:close()

  print(string.format("The server's socket has a small receive buffer (SO_RCVBUF %d), and its",
                      RCVBUF))
  print(string.format("application sleeps %s, then reads %d bytes every %s. The client",
                      SLEEP, CHUNK, PAUSE))
  print(string.format("sends %d bytes at once. Each ACK says in win= how much more it may",
                      BYTES))
  print("send: the free space left in the buffer.")
  -- the ladder, from its start to the second read
  local lines, stop = lad:lines(), nil
  local seen = 0
  for i, line in ipairs(lines) do
    if line:find("server app reads") then
      seen = seen + 1
      if seen == 2 then stop = i; break end
    end
  end
  for i = 1, stop do print(lines[i]) end
  print("  ...")
  local segs = lad:segments()
  local wins, zero, probes, update = {}, nil, {}, nil
  for _, s in ipairs(segs) do
    if s.from == "server" and not s.syn then
      if not zero then
        wins[#wins + 1] = s.win
        if s.win == 0 then zero = s end
      elseif s.time >= reads[1] and s.win > 0 and not update then
        update = s
      end
    elseif s.from == "client" and zero and s.len == 0 and s.time < reads[1] then
      probes[#probes + 1] = s
    end
  end
  local answer
  for _, s in ipairs(segs) do
    if s.from == "server" and s.time > probes[1].time then answer = s; break end
  end
  local gap1 = probes[1].time - zero.rx_time
  local gap2 = probes[2].time - answer.rx_time
  print(string.format("The window went %s: the buffer filled up and the",
                      table.concat(wins, " -> ")))
  print("client had to stop. While the window is 0 its persist timer sends")
  print(string.format("zero-window probes: %s after the 0 arrived, then %s after the",
                      ms(gap1), ms(gap2)))
  print("answer (the interval doubles). A probe carries an old sequence number, so")
  print("the server drops it (X) but answers with its window; Linux answers such")
  print("segments at most every 500 ms, so the second probe gets no answer.")
  print("(Wireshark labels these probes \"TCP Keep-Alive\": keepalives use the same")
  print("old-byte trick.)")
  print(string.format("When the reader wakes, the server sends a window update (win=%d) at",
                      update.win))
  print("once and the client sends again, until the window closes again: the")
  print("receiver sets the pace.")
  print(string.format("Received %d bytes, hash %016x: the same as sent.", got.bytes, got.hash))
  print()

  local cn, sn = client:netstat(), server:netstat()
  expect(got.bytes):eq(BYTES)
  expect(got.hash):eq(lunet.hash(BYTES))
  expect(#wins, "windows before the first 0"):ge(3)
  for i = 2, #wins do expect(wins[i], "window " .. i .. " shrinks"):lt(wins[i - 1]) end
  expect(zero.win):eq(0)
  expect(#probes, "zero-window probes"):eq(#timers)
  expect(#probes):ge(2)
  expect(gap2, "the interval doubles"):eq(2 * gap1)
  expect(answer.win, "the answer to probe 1"):eq(0)
  expect(answer.time - probes[1].rx_time, "answered at once"):lt(MS)
  for _, s in ipairs(segs) do
    if s.from == "server" and s.time > probes[2].time then
      expect(s, "the first server segment after probe 2"):eq(update)
      break
    end
  end
  for _, p in ipairs(probes) do expect(p.seq, "a probe is a byte already sent"):eq(zero.ack - 1) end
  expect(cn.TcpExtTCPWinProbe, "TCPWinProbe"):eq(#probes)
  expect(sn.TcpExtTCPToZeroWindowAdv, "TCPToZeroWindowAdv"):ge(1)
  expect(sn.TcpExtTCPFromZeroWindowAdv, "TCPFromZeroWindowAdv"):ge(1)
  expect(update.time, "window update when the reader reads"):eq(reads[1])
  expect(update.ack, "the update acknowledges nothing new"):eq(zero.ack)
  expect(cn.TcpRetransSegs, "nothing lost, nothing resent"):eq(0)
end

------------------------------------------------------------------------
print("== Act 4: congestion control ==")
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
    local c0 = col_of(lb.t)
    for _, dr in ipairs{0, 1, -1, 2, -2, 3} do
      local r, fits = row_of(lb.y) + dr, true
      if r < 1 or r > height or c0 + #lb.text - 1 > width then fits = false end
      for i = 0, #lb.text - 1 do
        if fits and grid[r][c0 + i] ~= " " then fits = false end
      end
      if fits then
        for i = 1, #lb.text do grid[r][c0 + i - 1] = lb.text:sub(i, i) end
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
    if c >= pos and c + #txt <= width then
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
  return {evs = evs, got = got, r = r, l = l, netstat = client:netstat(),
          queue = l.bottleneck:stats().ab}
end

local reno, cubic = transfer("reno"), transfer("cubic")
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
local re, ce = episodes(reno.evs), episodes(cubic.evs)
local function slow_start_end(evs)
  for i, e in ipairs(evs) do
    if e.ssthresh < 1e9 then return evs[i - 1] end
  end
end

local W = 72
local t_end = math.max(reno.evs[#reno.evs].time, cubic.evs[#cubic.evs].time)
local dt = t_end // W
local ss_top = slow_start_end(reno.evs)
local ca, ca_next = re[1], re[2]       -- the longest congestion avoidance
for i = 2, #re - 1 do
  if re[i + 1].time - re[i].done > ca_next.time - ca.done then ca, ca_next = re[i], re[i + 1] end
end
local LEGEND = "      * cwnd   - ssthresh   F fast retransmit + fast recovery   T RTO"
print("3 MB through r1's 20-packet queue: the 10 Mbit/s link fills up, the")
print("queue overflows, segments are dropped. cwnd (in segments) of reno:")
for _, line in ipairs(chart(reno.evs, t_end, 16, W, {
  {t = ss_top.time + 2 * dt, y = ss_top.cwnd, text = "<- slow start"},
  {t = ca.done + (ca_next.time - ca.done) // 8, y = ca_next.before + 5,
   text = "congestion avoidance"},
  {t = ca.done + 4 * dt, y = ca.ssthresh - 6, text = "ssthresh"},
})) do print(line) end
print(LEGEND)
print(string.format("Slow start: cwnd from %d to %d in %s, doubling every round trip,",
                    reno.evs[1].cwnd, ss_top.cwnd, ms(ss_top.time)))
print(string.format("until the queue overflowed. F at %s: three duplicate ACKs, fast",
                    ms(re[1].time)))
print(string.format("retransmit; ssthresh = cwnd / 2 = %d / 2 = %d; fast recovery brings",
                    re[1].before, re[1].ssthresh))
print(string.format("cwnd down to ssthresh and ends at %s. Then congestion avoidance:",
                    ms(re[1].done)))
print("+1 segment per round trip, a slow climb, until the next loss halves it")
print(string.format("again (%d F in all, %d RTOs): the sawtooth of AIMD.", #re,
                    reno.netstat.TcpExtTCPTimeouts))
print()
print("The same with cubic, Linux's default:")
local cs_top = slow_start_end(cubic.evs)
for _, line in ipairs(chart(cubic.evs, t_end, 10, W)) do print(line) end
print(LEGEND)
print(string.format("Cubic leaves slow start early, at cwnd %d, when the round trip starts",
                    cs_top.cwnd))
print(string.format("to grow (HyStart); it cuts cwnd to 0.7 x, not half (%d -> %d), and",
                    ce[1].before, ce[1].ssthresh))
print("grows back along a cubic curve: fast, flat near the old maximum, then")
print("probing beyond it.")
print()
print(string.format("  %-6s %14s %14s %12s %16s", "", "loss episodes", "retransmitted",
                    "queue drops", "throughput"))
for _, x in ipairs{{"reno", reno, re}, {"cubic", cubic, ce}} do
  print(string.format("  %-6s %14d %14d %12d %9.2f Mbit/s", x[1], #x[3], x[2].r.retrans,
                      x[2].queue.dropped_queue, x[2].r.bps / 1e6))
end
print("Both keep the 10 Mbit/s link busy; cubic, backing off less and probing")
print("gently near its old maximum, loses far fewer segments.")
print()

for _, x in ipairs{{"reno", reno, re, 1 / 2}, {"cubic", cubic, ce, 717 / 1024}} do
  local name, run, eps, beta = x[1], x[2], x[3], x[4]
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
  expect(run.queue.dropped_queue, name .. " queue drops"):gt(0)
  expect(run.r.retrans, name .. " retransmissions"):eq(run.netstat.TcpRetransSegs)
  expect(run.r.retrans, name .. " a retransmission per drop"):ge(run.queue.dropped_queue)
end
expect(#re, "reno's F marks"):eq(reno.netstat.TcpExtTCPSackRecovery)
expect(ss_top.ssthresh, "slow start: ssthresh not set yet"):eq(2147483647)
expect(cs_top.cwnd, "HyStart before the first loss"):lt(ce[1].before + 1)

for _, c in ipairs(pcaps) do
  c:flush()
  print(string.format("pcap: %s (%d frames)", c.path, c:count()))
end
