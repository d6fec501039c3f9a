-- tcp_linux.lua - what a Linux connection looks like on the wire
-- (reference sections 1-5 and 8), observed through TX events:
--   SYN and SYN-ACK options and windows, the first windows after the
--   handshake, MSS 1448, IP ID and TTL, the initial window of 10 segments,
--   quickack of the first data, the delayed ACK of a FIN and the
--   three-segment close (server closes at once) against the four-segment
--   close (server waits 200 ms), the server closing first, a half-close,
--   RST,ACK seq 0 from a closed port, and zero-window probes with the
--   window update when the reader wakes up.
--
--   h1 (client) 10.0.0.1 ===== 100 Mbit/s, 5 ms ===== h2 (server) 10.0.0.2

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local two_hosts = dofile(here .. "../lib/two_hosts.lua")
local run_task = require("lunet.test").run_task

local US, MS, S = lunet.time("1us"), lunet.time("1ms"), lunet.time("1s")

local function lab(net, opts)
  return two_hosts.static_arp(net, opts or {bandwidth = "100Mbps", delay = "5ms"})
end

-- Every TCP segment sent, with who sent it ("C" for h1, "S" for h2), and
-- every TCP state change.
local function recorder(net)
  local rec = {segs = {}, states = {}}
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" then return end
    rec.segs[#rec.segs + 1] = {time = ev.time, from = ev.node == "h1" and "C" or "S", flags = ev.flags,
                               seq = ev.seq, ack = ev.ack, len = ev.payload, win = ev.win,
                               ipid = ev.ipid, ttl = ev.ttl, summary = ev.summary}
  end)
  net:on("tcp", function(ev)
    rec.states[#rec.states + 1] = {time = ev.time, node = ev.node, from = ev.from, to = ev.to}
  end)
  return rec
end

local function state_time(rec, node, to)
  for _, e in ipairs(rec.states) do
    if e.node == node and e.to == to then return e.time end
  end
end

-- "C S 0", "S S. 0", ... : one line per segment, relative sequence numbers
local function shape(rec, iss_c, iss_s)
  local out = {}
  for _, s in ipairs(rec.segs) do
    local mine, theirs = iss_c, iss_s
    if s.from == "S" then mine, theirs = iss_s, iss_c end
    local line = string.format("%s %s seq=%d", s.from, s.flags, (s.seq - mine) % 2^32)
    if s.ack then line = line .. string.format(" ack=%d", (s.ack - theirs) % 2^32) end
    if s.len > 0 then line = line .. " len=" .. s.len end
    out[#out + 1] = line
  end
  return out
end

local function tsval(summary) return tonumber(summary:match("TS val (%d+)")) end
local function tsecr(summary) return tonumber(summary:match("ecr (%d+)")) end

-- h2 listens on 5001 (with `opts`) and runs serve(c, listener) on the
-- first connection it accepts.  Returns the listener.
local function serve_once(l, serve, opts)
  local srv = assert(l.h2:listen(5001, opts))
  l.h2:spawn(function() serve(srv:accept(), srv) end)
  return srv
end

-- The client of sections 2 to 4: it connects to 5001, sends 100 bytes,
-- reads back what talk(s) reads, closes, and 100 ms later lists both
-- hosts' sockets.  Returns {info=, got=, c_list=, s_list=}.
local function ask(net, l, talk)
  return run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 5001))
    local info = s:info()
    s:send(string.rep("q", 100))
    local got = talk(s)
    s:close()
    lunet.sleep("100ms")
    return {info = info, got = got, c_list = l.h1:sockets("tcp"), s_list = l.h2:sockets("tcp")}
  end)
end

-- a new array: the elements of a, then those of b
local function concat(a, b)
  local t = table.move(a, 1, #a, 1, {})
  return table.move(b, 1, #b, #t + 1, t)
end

------------------------------------------------------------------------
-- 2. handshake_close: the client closes first, the server at once
------------------------------------------------------------------------

-- client: connect, send 100 B, read the echo, close; server: echo, and on
-- EOF close after `pause` (nil: at once)
local function echo_once(net, l, pause)
  local rec = recorder(net)
  local server_state
  serve_once(l, function(c)
    c:send(c:receive(100))
    local d, err = c:receive()
    assert(d == nil and err == "closed")
    if pause then
      lunet.sleep(pause)
      server_state = c:state()
    end
    c:close()
  end)
  local r = ask(net, l, function(s) return s:receive(100) end)
  net:run("1s")
  r.rec, r.server_state = rec, server_state
  r.iss_c, r.iss_s = r.info.iss, r.info.irs
  r.shape = shape(rec, r.iss_c, r.iss_s)
  return r
end

-- What the echo connection sends up to the client's FIN, whichever way
-- the server closes.
local ECHO_TO_CLIENT_FIN = {
  "C S seq=0",
  "S S. seq=0 ack=1",
  "C . seq=1 ack=1",
  "C P. seq=1 ack=1 len=100",
  "S . seq=1 ack=101",                      -- quickack: the data is ACKed at once...
  "S P. seq=1 ack=101 len=100",             -- ...then the echo
  "C . seq=101 ack=101",                    -- the client ACKs the echo at once
  "C F. seq=101 ack=101",
}

test("handshake and close: SYN, SYN-ACK, first windows, quickack, three-segment close", function(net)
  local l = lab(net)
  local r = echo_once(net, l)
  local segs = r.rec.segs
  expect(r.got):eq(string.rep("q", 100))
  -- the ten segments of handshake_close.pcap
  expect(r.shape):eq(concat(ECHO_TO_CLIENT_FIN, {
    "S F. seq=101 ack=102",                 -- the ACK of the client's FIN rides on the server's FIN
    "C . seq=102 ack=102",
  }))
  local syn, synack, ack = segs[1], segs[2], segs[3]
  -- SYN: window 64240, options in Linux's order
  expect(syn.win, "SYN window"):eq(64240)
  expect(syn.summary, "SYN options"):matches("options %[mss 1460,sackOK,TS val %d+ ecr 0,nop,wscale 10%]")
  -- SYN-ACK: window 65160, options mirror the SYN, TSecr echoes the SYN's TSval, IP ID 0
  expect(synack.win, "SYN-ACK window"):eq(65160)
  expect(synack.summary, "SYN-ACK options"):matches("options %[mss 1460,sackOK,TS val %d+ ecr %d+,nop,wscale 10%]")
  expect(tsecr(synack.summary), "SYN-ACK TSecr"):eq(tsval(syn.summary))
  expect(synack.ipid, "SYN-ACK IP ID"):eq(0)
  -- first windows after the handshake: client 63 (x 1024), server 64
  expect(ack.win, "client's window after the handshake (x 1024 = 64512)"):eq(63)
  expect(segs[5].win, "server's first window (x 1024 = 65536)"):eq(64)
  -- every segment after the SYNs: NOP, NOP, TS
  for i = 3, #segs do
    expect(segs[i].summary, "options of segment " .. i):matches("options %[nop,nop,TS val %d+ ecr %d+%]")
  end
  -- TTL 64 on everything; the client's IP ID goes up by one per segment
  local last_c
  for i, s in ipairs(segs) do
    expect(s.ttl, "TTL of segment " .. i):eq(64)
    if s.from == "C" then
      if last_c then expect((s.ipid - last_c) % 65536, "client IP ID step at segment " .. i):eq(1) end
      last_c = s.ipid
    end
  end
  -- MSS in use: 1460 - 12 bytes of timestamps
  expect(r.info.mss, "MSS in use"):eq(1448)
  expect(r.info.wscale, "window scale both ways"):eq({10, 10})
  expect(r.info.cwnd, "initial cwnd"):eq(10)
  -- quickack: the server's pure ACK leaves as soon as the data is in
  -- (one-way 5 ms + serialization), not after the 40 ms delayed-ACK timer
  expect(segs[5].time - segs[4].time, "data -> ACK"):lt(5 * MS + 100 * US)
  -- three-segment close: the server's FIN comes at once, carrying the ACK
  expect(segs[9].time - segs[8].time, "client FIN -> server FIN,ACK"):lt(5 * MS + 100 * US)
  -- the client holds TIME_WAIT; the server socket is gone
  expect(#r.c_list):eq(1)
  expect(r.c_list[1].state):eq("TIME_WAIT")
  expect(r.c_list[1].timer):eq("timewait")
  expect(#r.s_list, "server sockets (the listener only)"):eq(1)
  expect(r.s_list[1].state):eq("LISTEN")
end)

test("four-segment close: the server waits 200 ms, its stack ACKs the FIN after 40 ms", function(net)
  local l = lab(net)
  local r = echo_once(net, l, "200ms")
  local segs = r.rec.segs
  expect(r.shape):eq(concat(ECHO_TO_CLIENT_FIN, {
    "S . seq=101 ack=102",                  -- the delayed ACK of the FIN, alone
    "S F. seq=101 ack=102",                 -- 200 ms after EOF
    "C . seq=102 ack=102",
  }))
  local fin_rx = state_time(r.rec, "h2", "CLOSE_WAIT")     -- the FIN arrived
  expect(segs[9].time - fin_rx, "delayed ACK of the FIN (40 ms, Linux 40.4-43.5 ms)"):within(40 * MS, 44 * MS)
  expect(segs[10].time - fin_rx, "the server's FIN, 200 ms after EOF"):near(200 * MS, MS)
  -- the last ACK comes from the orphaned FIN_WAIT_2 socket: IP ID 0
  expect(segs[11].ipid, "IP ID of the last ACK"):eq(0)
  expect(r.server_state, "server state while it waits"):eq("CLOSE_WAIT")
  expect(l.h2:netstat().TcpExtDelayedACKs, "server TcpExtDelayedACKs"):ge(1)
end)

test("the client in FIN_WAIT_2 shows a timewait timer, the server CLOSE_WAIT", function(net)
  local l = lab(net)
  serve_once(l, function(c)
    c:receive("*a")
    lunet.sleep("1s")
    c:close()
  end)
  local lists = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 5001))
    s:close()
    lunet.sleep("500ms")
    return {c = l.h1:sockets("tcp"), s = l.h2:sockets("tcp")}
  end)
  expect(#lists.c):eq(1)
  expect(lists.c[1].state):eq("FIN_WAIT_2")
  expect(lists.c[1].timer, "an orphaned FIN_WAIT_2 (tcp_fin_timeout 60 s)"):eq("timewait")
  expect(lists.c[1].timer_left):within(59 * S, 60 * S)
  local states = {}
  for _, e in ipairs(lists.s) do states[#states + 1] = e.state end
  expect(states):eq({"LISTEN", "CLOSE_WAIT"})
end)

------------------------------------------------------------------------
-- 3. the server closes first
------------------------------------------------------------------------

test("server closes first: its FIN follows the data, the client's FIN,ACK ACKs it, the server holds TIME_WAIT", function(net)
  local l = lab(net)
  local rec = recorder(net)
  serve_once(l, function(c, srv)
    c:receive(100)
    c:send(string.rep("r", 1000))
    c:close()
    srv:close()
  end)
  local r = ask(net, l, function(s) return s:receive("*a") end)
  expect(#r.got):eq(1000)
  local sh = shape(rec, r.info.iss, r.info.irs)
  expect(sh):eq({
    "C S seq=0",
    "S S. seq=0 ack=1",
    "C . seq=1 ack=1",
    "C P. seq=1 ack=1 len=100",
    "S . seq=1 ack=101",
    "S P. seq=1 ack=101 len=1000",
    "S F. seq=1001 ack=101",                -- the FIN in its own segment
    "C . seq=101 ack=1001",                 -- the data ACKed at once
    "C F. seq=101 ack=1002",                -- the client's FIN ACKs the server's
    "S . seq=1002 ack=102",
  })
  -- the server's FIN was ACKed together with the client's FIN: the server
  -- goes FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT on that segment and its
  -- last ACK still comes from the full socket (IP ID + 1, not the 0 of a
  -- timewait sock)
  expect((rec.segs[10].ipid - rec.segs[7].ipid) % 65536, "IP ID of the server's last ACK"):eq(1)
  expect(#r.s_list):eq(1)
  expect(r.s_list[1].state, "the server holds TIME_WAIT"):eq("TIME_WAIT")
  expect(r.s_list[1]["local"]):eq("10.0.0.2:5001")
  expect(#r.c_list, "the client has no socket"):eq(0)
end)

------------------------------------------------------------------------
-- 4. half-close
------------------------------------------------------------------------

test("half-close: the ACK of the client's FIN rides on the server's data", function(net)
  local l = lab(net)
  local rec = recorder(net)
  serve_once(l, function(c)
    local req = c:receive("*a")           -- the 100 bytes and the FIN
    assert(#req == 100)
    c:send(51200)
    c:close()
  end)
  local r = ask(net, l, function(s)
    s:shutdown("send")
    return s:receive("*a")
  end)
  expect(#r.got, "bytes the client read after its FIN"):eq(51200)
  expect(lunet.hash(r.got)):eq(lunet.hash(51200))
  local sh = shape(rec, r.info.iss, r.info.irs)
  expect(sh[4]):eq("C P. seq=1 ack=1 len=100")
  expect(sh[5]):eq("C F. seq=101 ack=1")
  expect(sh[6], "the data ACKed at once, before the FIN"):eq("S . seq=1 ack=101")
  -- the server does not ACK the FIN on its own: its first segment that
  -- acknowledges it (ack 102) carries data
  local first
  for i, s in ipairs(rec.segs) do
    if s.from == "S" and s.ack and (s.ack - r.info.iss) % 2^32 == 102 then first = s; break end
  end
  expect(first, "a server segment ACKing the FIN"):truthy()
  expect(first.len, "the first segment ACKing the FIN carries data"):gt(0)
  -- The client's window grows as the data arrives, two segments per full
  -- segment from the 63 x 1024 it offered (tcp_grow_window after
  -- tcp_set_window_clamp lifts rcv_ssthresh to rcv_wnd).  half_close.pcap,
  -- frames 14-18: 66 69 72 75, then 77; loss_recovery.pcap's first five
  -- ACKs: 66 69 72 75 78.  The same kernel offered two fifths for the same
  -- five segments: on the veth they were taken in 1.5 us apart and the
  -- reader lagged (77 rather than 78 means 4.9-6.5 KB of skbs unread, at
  -- ratio 160), while lunet's reader, like loss_recovery's 35-100 us
  -- apart, has read all but the segment being ACKed.
  local wins = {}
  for _, s in ipairs(rec.segs) do
    if s.from == "C" and s.ack and s.len == 0 and (s.ack - r.info.irs) % 2^32 > 1 and #wins < 5 then
      wins[#wins + 1] = s.win
    end
  end
  expect(wins, "the client's windows on its first five ACKs of data (x 1024)"):eq({66, 69, 72, 75, 78})
  expect(#r.c_list):eq(1)
  expect(r.c_list[1].state, "the client ends in TIME_WAIT"):eq("TIME_WAIT")
end)

------------------------------------------------------------------------
-- 1. the initial window
------------------------------------------------------------------------

test("initial window: the first flight of a bulk sender is 10 segments (14480 bytes)", function(net)
  local l = lab(net)
  local rec = recorder(net)
  l.h2:discard_server(5001)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 5001))
    s:send(200000)
    s:close()
    lunet.sleep("1s")
  end)
  local first_data_ack
  for _, s in ipairs(rec.segs) do
    if s.from == "S" and s.flags == "." and s.time > rec.segs[3].time then first_data_ack = s; break end
  end
  local flight, bytes = 0, 0
  for _, s in ipairs(rec.segs) do
    -- segments the client sent before the first ACK of data could arrive
    if s.from == "C" and s.len > 0 and s.time < first_data_ack.time + 5 * MS then
      flight = flight + 1
      bytes = bytes + s.len
      expect(s.len, "a full-sized segment"):eq(1448)
    end
  end
  expect(flight, "segments in the first flight"):eq(10)
  expect(bytes):eq(14480)
end)

------------------------------------------------------------------------
-- 5. RST from a closed port
------------------------------------------------------------------------

test("connect to a closed port: RST,ACK seq 0, \"refused\", TcpOutRsts +1, nothing retransmitted", function(net)
  local l = lab(net)
  local rec = recorder(net)
  local before = l.h2:netstat().TcpOutRsts
  local ok, err = run_task(net, l.h1, function()
    return l.h1:tcp():connect(l.h2_ip, 5009)
  end)
  net:run("5s")
  expect(ok):is_nil()
  expect(err, "connect to a closed port"):eq("refused")
  local segs = rec.segs
  expect(#segs, "a SYN and the RST, nothing else"):eq(2)
  local syn, rst = segs[1], segs[2]
  expect(syn.flags):eq("S")
  expect(rst.from):eq("S")
  expect(rst.flags, "RST,ACK"):eq("R.")
  expect(rst.seq, "RST seq"):eq(0)
  expect(rst.ack, "RST ack = ISN + 1"):eq((syn.seq + 1) % 2^32)
  expect(rst.win, "RST window"):eq(0)
  expect(rst.summary, "RST options"):ne(nil)
  expect(rst.summary:find("options", 1, true), "no options on the RST"):is_nil()
  expect(rst.ipid, "RST IP ID"):eq(0)
  expect(rst.time - syn.time, "the RST answers at once"):lt(5 * MS + 100 * US)
  expect(l.h2:netstat().TcpOutRsts - before, "TcpOutRsts"):eq(1)
  local n1 = l.h1:netstat()
  expect(n1.TcpRetransSegs, "nothing retransmitted"):eq(0)
  expect(n1.TcpAttemptFails):eq(1)
end)

------------------------------------------------------------------------
-- 8. zero window
------------------------------------------------------------------------

test("zero window: SO_RCVBUF 4096, reader asleep 3 s: window 0, probes, window update", function(net)
  local l = lab(net, {bandwidth = "100Mbps", delay = "1ms"})
  local rec = recorder(net)
  local got, read_at
  local srv = serve_once(l, function(c)
    lunet.sleep("3s")
    read_at = lunet.now()
    got = c:receive("*a")
    c:close()
  end, {rcvbuf = 4096})
  expect(srv:getoption("rcvbuf"), "SO_RCVBUF 4096 reads back doubled"):eq(8192)
  local info
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 5001))
    info = s:info()
    s:send(200 * 1024)
    s:close()
    lunet.sleep("1s")
  end)
  local n1, n2 = l.h1:netstat(), l.h2:netstat()
  expect(#got, "all of it arrived"):eq(200 * 1024)
  expect(lunet.hash(got)):eq(lunet.hash(200 * 1024))
  local segs = rec.segs
  -- SYN-ACK of a listener with a small locked buffer: window 2896, WS 0
  expect(segs[2].flags):eq("S.")
  expect(segs[2].win, "SYN-ACK window (2 x MSS)"):eq(2896)
  expect(segs[2].summary):matches("wscale 0%]")
  expect(segs[1].summary, "the client still offers WS 10"):matches("wscale 10%]")
  expect(info.wscale, "client's wscale {snd, rcv}"):eq({0, 10})
  -- the receiver's first zero window
  local zw
  for _, s in ipairs(segs) do
    if s.from == "S" and s.flags == "." and s.win == 0 then zw = s; break end
  end
  expect(zw, "an ACK with window 0"):truthy()
  expect(n2.TcpExtTCPToZeroWindowAdv, "TCPToZeroWindowAdv"):ge(1)
  -- zero-window probes: pure ACKs with seq = SND.UNA - 1, no data
  local probes, answers = {}, {}
  for _, s in ipairs(segs) do
    if s.time > zw.time and s.time < read_at then
      if s.from == "C" then
        expect(s.len, "a probe carries no data"):eq(0)
        expect(s.flags):eq(".")
        expect(s.seq, "probe seq = SND.UNA - 1"):eq((zw.ack - 1) % 2^32)
        probes[#probes + 1] = s
      else
        expect(s.win, "answers keep the window at 0"):eq(0)
        expect(s.ack):eq(zw.ack)
        answers[#answers + 1] = s
      end
    end
  end
  print(string.format("    probes at +%s after the zero window; %d answered",
        table.concat((function() local t = {} for i, p in ipairs(probes) do t[i] = lunet.fmt_time(p.time - zw.time) end return t end)(), ", +"),
        #answers))
  expect(#probes, "probes in the 3 s"):ge(3)
  expect(n1.TcpExtTCPWinProbe, "TCPWinProbe"):ge(#probes)
  -- the first one RTO after the zero-window ACK (RTO about 200 ms + RTT),
  -- then doubling
  expect(probes[1].time - zw.time, "first probe"):within(200 * MS, 240 * MS)
  for i = 2, #probes do
    local d, prev = probes[i].time - probes[i - 1].time, (i > 2) and (probes[i - 1].time - probes[i - 2].time)
                                                               or (probes[1].time - zw.time)
    expect(d, "probe interval " .. i .. " (doubling)"):within(2 * prev - 10 * MS, 2 * prev + 40 * MS)
  end
  -- answers to out-of-window segments are limited to one per
  -- tcp_invalid_ratelimit (500 ms): the 1st and 3rd probes are answered,
  -- the 2nd (about 420 ms after the 1st) is not
  local function answered(p)
    for _, a in ipairs(answers) do
      if a.time >= p.time and a.time < p.time + 10 * MS then return true end
    end
    return false
  end
  expect(answered(probes[1]), "probe 1 answered"):truthy()
  expect(answered(probes[2]), "probe 2 answered (rate limit)"):falsy()
  expect(answered(probes[3]), "probe 3 answered"):truthy()
  -- the reader wakes up: a window update at once, ack unchanged
  local upd
  for _, s in ipairs(segs) do
    if s.from == "S" and s.time >= read_at and s.win > 0 then upd = s; break end
  end
  expect(upd, "a window update"):truthy()
  expect(upd.time - read_at, "window update when the reader wakes"):lt(MS)
  expect(upd.ack, "the update does not ACK anything new"):eq(zw.ack)
  expect(upd.len):eq(0)
  expect(n2.TcpExtTCPFromZeroWindowAdv, "TCPFromZeroWindowAdv"):ge(1)
  -- the sender resumes at once: new data within one RTT of the update
  local resumed
  for _, s in ipairs(segs) do
    if s.from == "C" and s.time > upd.time and s.len > 0 then resumed = s; break end
  end
  expect(resumed.time - upd.time, "sender resumes"):lt(3 * MS)
  expect(resumed.seq, "with the next new byte"):eq(zw.ack)
end)
