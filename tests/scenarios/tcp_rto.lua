-- tcp_rto.lua - retransmission timeouts: the RTO backoff of an established
-- connection whose path dies, giving up after tcp_retries2; the SYN retry
-- schedule of connect() (tcp_syn_retries with tcp_syn_linear_timeouts,
-- reference section 6); the SYN-ACK retry schedule of a listener.
--
--   h1 10.0.0.1 ===== 1 Gbit/s, 1 ms each way ===== h2 10.0.0.2
--
-- "The path dies" is a link that loses every frame (loss = 1), so the
-- transmissions still show as TX events (a link that is down refuses
-- frames before they are sent).  ARP entries are static, so nothing but
-- TCP is on the wire and no ARP timeout interferes.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local MS, S = lunet.time("1ms"), lunet.time("1s")

-- seconds, for lunet.sleep (a number there is seconds)
local function secs(ns) return ns / 1e9 end

-- Linux's timers fire late by up to a timer-wheel bucket (reference 0,
-- "timer slack", HZ = 250): 4 ms under 256 ms, 32 ms under 2.048 s,
-- 256 ms under 16.4 s, 2.048 s under 131 s.  An interval is checked to be
-- at least its nominal value and at most one bucket more, so both an
-- exact emulation and one of the wheel pass.
local function slack(nominal)
  if nominal < 256 * MS then return 4 * MS end
  if nominal < 2048 * MS then return 32 * MS end
  if nominal < 16384 * MS then return 256 * MS end
  return 2048 * MS
end
local function expect_interval(got, nominal, label)
  expect(got, label .. " (nominal " .. lunet.fmt_time(nominal) .. ")"):within(nominal - MS, nominal + slack(nominal) + MS)
end

local function lab(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  l.h1:arp_set(l.h2_ip, l.h2.eth0.mac, "eth0")
  l.h2:arp_set(l.h1_ip, l.h1.eth0.mac, "eth0")
  return l
end

-- TCP TX events of one node, in order.
local function tx_log(net, node)
  local log = {}
  net:on("tx", function(ev)
    if ev.node == node and ev.proto == "tcp" then
      log[#log + 1] = {time = ev.time, flags = ev.flags, seq = ev.seq, ack = ev.ack,
                       len = ev.payload, win = ev.win, ipid = ev.ipid, summary = ev.summary}
    end
  end)
  return log
end

local function times_of(log, pred)
  local t = {}
  for _, e in ipairs(log) do if pred(e) then t[#t + 1] = e.time end end
  return t
end

local function diffs(t)
  local d = {}
  for i = 2, #t do d[#d + 1] = t[i] - t[i - 1] end
  return d
end

local function fmt_list(t, unit)
  local s = {}
  for i, v in ipairs(t) do s[i] = string.format("%.3f", v / (unit or S)) end
  return "{" .. table.concat(s, ", ") .. "}"
end

------------------------------------------------------------------------
-- established connection, dead path
------------------------------------------------------------------------

-- Connect, exchange a little (so the RTT estimator has samples), then kill
-- the path and send 100 bytes; the sender waits for an answer that never
-- comes.  Returns everything the checks need.
local function dead_path(net, sysctls)
  local l = lab(net)
  for k, v in pairs(sysctls) do l.h1:sysctl(k, v) end
  local srv = assert(l.h2:listen(7))
  l.h2:spawn(function()
    local c = srv:accept()
    while true do
      local d = c:receive()
      if not d then break end
      c:send(d)
    end
  end)
  local log = tx_log(net, "h1")
  local timers = {}
  net:on("timer", function(ev)
    if ev.node == "h1" and ev.timer == "rto" then timers[#timers + 1] = {time = ev.time, backoff = ev.backoff} end
  end)
  local r = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7))
    for _ = 1, 5 do
      s:send("hello")
      assert(s:receive(5) == "hello")
    end
    lunet.sleep("100ms")                    -- every ACK delivered, nothing in flight
    local before = s:info()
    l.link:set{loss = 1}
    local t0 = lunet.now()
    s:send(string.rep("x", 100))
    -- a little after the first timeout: backed off once
    local at_first
    l.h1:spawn(function()
      lunet.sleep(secs(before.rto + 10 * MS))
      at_first = s:info()
    end)
    local d, err = s:receive(5)
    return {before = before, t0 = t0, t_end = lunet.now(), d = d, err = err,
            state = s:state(), at_first = at_first, seq = before.snd_nxt}
  end)
  r.log, r.timers, r.l = log, timers, l
  r.n1 = l.h1:netstat()
  r.sends = times_of(log, function(e) return e.len == 100 and e.seq == r.seq end)
  return r
end

test("RTO: 200 ms minimum at a 2 ms RTT, doubling, then \"timeout\" after tcp_retries2 (SACK off)", function(net)
  -- Without SACK Linux sends no tail-loss probe: every retransmission is an RTO.
  local r = dead_path(net, {["net.ipv4.tcp_retries2"] = 3, ["net.ipv4.tcp_sack"] = 0})
  local R = r.before.rto
  expect(r.before.sack):eq(false)
  expect(R, "RTO before the loss: tcp_rto_min + a little (srtt 2 ms)"):within(200 * MS, 210 * MS)
  expect(r.before.backoff):eq(0)
  print("    RTO " .. lunet.fmt_time(R) .. ", sends at " .. fmt_list(r.sends) .. " s, gave up at " ..
        string.format("%.3f s", r.t_end / S))
  -- the original and tcp_retries2 = 3 retransmissions: R, 2R, 4R apart
  expect(#r.sends, "transmissions of the lost segment (1 + tcp_retries2)"):eq(4)
  expect(r.sends[1], "the original leaves at once"):near(r.t0, MS)
  local d = diffs(r.sends)
  expect_interval(d[1], R, "first RTO")
  expect_interval(d[2], 2 * R, "second RTO (doubled)")
  expect_interval(d[3], 4 * R, "third RTO (doubled)")
  -- killed at the (N+1)th RTO: 8R after the last retransmission, 15R in all
  expect(r.err, "receive() after the connection gave up"):eq("timeout")
  expect(r.d):is_nil()
  expect(r.state):eq("CLOSED")
  expect_interval(r.t_end - r.sends[#r.sends], 8 * R, "the last RTO")
  expect(r.t_end - r.t0, "time to give up: (2^(N+1) - 1) x RTO"):within(15 * R - MS, 15 * R + 4 * MS + 3 * 32 * MS + MS)
  -- backoff as ss shows it, after the first timeout
  expect(r.at_first.backoff, "backoff after one timeout"):eq(1)
  expect(r.at_first.rto, "RTO after one timeout"):eq(2 * R)
  -- the timer events: backoff 0, 1, 2, 3
  expect(#r.timers, "RTO timer expiries"):eq(4)
  for i, t in ipairs(r.timers) do expect(t.backoff, "backoff at RTO " .. i):eq(i - 1) end
  -- Linux gives up silently (tcp_write_err: no RST)
  for _, e in ipairs(r.log) do
    if e.time > r.t0 then expect(e.flags, "segments after the loss"):ne("R.") end
  end
  expect(r.n1.TcpRetransSegs):eq(3)
  expect(r.n1.TcpExtTCPTimeouts, "TCPTimeouts (3 retransmissions + the last)"):eq(4)
  expect(r.n1.TcpExtTCPAbortOnTimeout):eq(1)
  expect(r.n1.TcpEstabResets, "an established connection died"):eq(1)
end)

test("RTO with SACK on (default): the timeouts double and the connection gives up", function(net)
  -- Linux would also send a tail-loss probe here (tcp_early_retrans=3);
  -- the checks hold with or without it: the RTO expiries double.
  local r = dead_path(net, {["net.ipv4.tcp_retries2"] = 5})
  local R = r.before.rto
  expect(R):within(200 * MS, 210 * MS)
  expect(r.err):eq("timeout")
  expect(#r.timers, "RTO expiries (tcp_retries2 + the last)"):eq(6)
  local t = {}
  for i, e in ipairs(r.timers) do t[i] = e.time end
  local d = diffs(t)
  for i = 2, #d do expect_interval(d[i], d[1] << (i - 1), "interval between RTO expiries " .. i) end
  -- each expiry retransmits the lost segment, except the last one
  for i = 1, #t - 1 do
    local found = false
    for _, s in ipairs(r.sends) do if s == t[i] then found = true end end
    expect(found, "retransmission at RTO expiry " .. i):truthy()
  end
  expect(r.t_end, "gave up at the last RTO expiry"):eq(t[#t])
  -- from the original: 63 x 200 ms as documented for tcp_retries2 = 5 (6.3 s),
  -- plus the probe's RTO if a tail-loss probe went first
  expect(r.t_end - r.t0, "time to give up"):within(63 * R - 2 * MS, 64 * R + 2 * MS)
  expect(r.n1.TcpExtTCPAbortOnTimeout):eq(1)
end)

test("tcp_retries2 = 15 (default): the backoff stops at tcp_rto_max (120 s), about 924.6 s in all", function(net)
  local r = dead_path(net, {})
  local R = r.before.rto
  expect(r.err):eq("timeout")
  local d = diffs(r.sends)
  print("    retransmission intervals " .. fmt_list(d) .. " s, gave up after " ..
        string.format("%.1f s", (r.t_end - r.t0) / S))
  -- a tail-loss probe first (RFC 8985 7, Linux's default), then the RTOs
  expect(#r.sends, "the original, the tail-loss probe and 15 retransmissions"):eq(17)
  -- the largest interval is tcp_rto_max, reached and kept
  local capped = 0
  for _, x in ipairs(d) do
    expect(x, "no interval above tcp_rto_max"):le(120 * S)
    if x == 120 * S then capped = capped + 1 end
  end
  expect(capped, "intervals of exactly 120 s"):ge(5)
  -- tcp_retries2 = 15 is documented as 924.6 s (with RTO 200 ms at the start)
  expect(r.t_end - r.t0, "time to give up"):within(924.6 * S, (924.6 + 120) * S)
end)

------------------------------------------------------------------------
-- SYN retries (reference section 6)
------------------------------------------------------------------------

-- connect() to a host whose SYNs vanish; returns SYN TX times (relative to
-- the first), when connect failed and with what, and h1's counters.
local function syn_schedule(net, sysctls, probe_at)
  local l = lab(net)
  for k, v in pairs(sysctls) do l.h1:sysctl(k, v) end
  l.link:set{ab = {loss = 1}}
  local log = tx_log(net, "h1")
  local infos = {}
  local s = l.h1:tcp()
  for _, t in ipairs(probe_at or {}) do
    l.h1:spawn(function()
      lunet.sleep(secs(t))
      infos[t] = s:info()
    end)
  end
  local r = run_task(net, l.h1, function()
    local t0 = lunet.now()
    local ok, err = s:connect(l.h2_ip, 80)
    return {ok = ok, err = err, elapsed = lunet.now() - t0, t0 = t0}
  end)
  local syns = {}
  for _, e in ipairs(log) do
    if e.flags == "S" then syns[#syns + 1] = e end
  end
  r.syns, r.infos, r.n1 = syns, infos, l.h1:netstat()
  expect(#syns, "SYNs sent"):ge(1)
  expect(syns[1].time, "the first SYN leaves at connect()"):eq(r.t0)
  r.rel = {}
  for i, e in ipairs(syns) do r.rel[i] = e.time - syns[1].time end
  return r
end

-- got: times relative to the first; want: nominal seconds.  Checked
-- interval by interval, each against its nominal value (with timer slack).
local function expect_times(got, want, label)
  expect(#got, label .. ": how many (got " .. fmt_list(got) .. ")"):eq(#want)
  for i = 2, #want do
    expect_interval(got[i] - got[i - 1], (want[i] - want[i - 1]) * S,
                    label .. " " .. i .. " after " .. label .. " " .. (i - 1))
  end
end

test("SYN retries: tcp_syn_retries=3 with 4 linear timeouts: 0,1,2,3,4,5,7,11 s, \"timeout\" at 19 s", function(net)
  local r = syn_schedule(net, {["net.ipv4.tcp_syn_retries"] = 3},
                         {lunet.time("0.5s"), lunet.time("1.5s"), lunet.time("4.5s"),
                          lunet.time("5.5s"), lunet.time("8s"), lunet.time("12s")})
  expect(r.ok):is_nil()
  expect(r.err, "connect"):eq("timeout")
  expect_times(r.rel, {0, 1, 2, 3, 4, 5, 7, 11}, "SYN")
  expect_interval(r.elapsed - r.rel[#r.rel], 8 * S, "connect fails after the last SYN")
  -- the same ISN and options every time; TSval advances by the elapsed ms,
  -- the IP ID by one
  local first = r.syns[1]
  local strip = function(sum) return (sum:gsub("TS val %d+", "TS val _")) end
  for i, e in ipairs(r.syns) do
    expect(e.seq, "ISN of SYN " .. i):eq(first.seq)
    expect(strip(e.summary), "SYN " .. i):eq(strip(first.summary))
    expect((e.ipid - first.ipid) % 65536, "IP ID of SYN " .. i):eq(i - 1)
    local tsv = tonumber(e.summary:match("TS val (%d+)"))
    local tsv1 = tonumber(first.summary:match("TS val (%d+)"))
    expect((tsv - tsv1) % 2^32, "TSval of SYN " .. i .. " (ms since the first)"):near((e.time - first.time) / MS, 1)
  end
  -- ss during SYN_SENT: rto 1 s and backoff 0 while linear, then 2 s, 4 s, 8 s
  local i = r.infos
  expect(i[lunet.time("0.5s")].rto):eq(S)
  expect(i[lunet.time("0.5s")].backoff):eq(0)
  expect(i[lunet.time("4.5s")].rto):eq(S)
  expect(i[lunet.time("4.5s")].backoff):eq(0)
  expect(i[lunet.time("5.5s")].rto):eq(2 * S)
  expect(i[lunet.time("5.5s")].backoff):eq(1)
  expect(i[lunet.time("8s")].rto):eq(4 * S)
  expect(i[lunet.time("8s")].backoff):eq(2)
  expect(i[lunet.time("12s")].rto):eq(8 * S)
  expect(i[lunet.time("12s")].backoff):eq(3)
  expect(i[lunet.time("0.5s")].cwnd, "cwnd before a timeout"):eq(10)
  expect(i[lunet.time("1.5s")].cwnd, "cwnd after the first timeout"):eq(1)
  -- the counters of the reference run
  local n = r.n1
  expect(n.TcpActiveOpens):eq(1)
  expect(n.TcpAttemptFails):eq(1)
  expect(n.TcpExtTCPAbortOnTimeout):eq(1)
  expect(n.TcpExtTCPSynRetrans):eq(7)
  expect(n.TcpRetransSegs):eq(7)
  expect(n.TcpExtTCPTimeouts):eq(8)
  expect(n.TcpExtTcpTimeoutRehash):eq(7)
  expect(n.TcpOutRsts, "no RST when giving up"):eq(0)
end)

test("SYN retries: tcp_syn_linear_timeouts=0 (pre-6.7): 0,1,3,7 s, \"timeout\" at 15 s", function(net)
  local r = syn_schedule(net, {["net.ipv4.tcp_syn_retries"] = 3,
                               ["net.ipv4.tcp_syn_linear_timeouts"] = 0})
  expect(r.err, "connect"):eq("timeout")
  expect_times(r.rel, {0, 1, 3, 7}, "SYN")
  expect_interval(r.elapsed - r.rel[#r.rel], 8 * S, "connect fails after the last SYN")
  expect(r.n1.TcpExtTCPSynRetrans):eq(3)
  expect(r.n1.TcpRetransSegs):eq(3)
  expect(r.n1.TcpExtTCPTimeouts):eq(4)
  expect(r.n1.TcpAttemptFails):eq(1)
end)

test("SYN retries: the defaults (6 retries, 4 linear): 11 SYNs, \"timeout\" at 131 s", function(net)
  local r = syn_schedule(net, {})
  expect(r.err, "connect"):eq("timeout")
  expect_times(r.rel, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}, "SYN")
  expect_interval(r.elapsed - r.rel[#r.rel], 64 * S, "connect fails after the last SYN")
  expect(r.n1.TcpExtTCPSynRetrans):eq(10)
end)

------------------------------------------------------------------------
-- SYN-ACK retries (reference section 6)
------------------------------------------------------------------------

test("SYN-ACK retries: 5 retransmissions at 1, 2, 4, 8, 16 s intervals, then the request is dropped", function(net)
  local l = lab(net)
  local SPOOF = "10.0.0.77"
  -- h2 answers the spoofed source through h1's MAC; h1 drops what is not
  -- addressed to it, silently
  l.h2:arp_set(SPOOF, l.h1.eth0.mac, "eth0")
  local srv = assert(l.h2:listen(80))
  local log = tx_log(net, "h2")
  -- a SYN with only an MSS option, like the reference flood's raw SYNs
  l.h1:inject{eth = {dst = l.h2.eth0.mac}, ip = {src = SPOOF, dst = l.h2_ip, id = 1},
              tcp = {srcport = 40000, dstport = 80, seq = 12345, flags = "S", window = 64240,
                     options = {{mss = 1460}}}}
  net:run("120s")
  local sa = {}
  for _, e in ipairs(log) do if e.flags == "S." then sa[#sa + 1] = e end end
  local rel = {}
  for i, e in ipairs(sa) do rel[i] = e.time - sa[1].time end
  expect_times(rel, {0, 1, 3, 7, 15, 31}, "SYN-ACK")
  for i, e in ipairs(sa) do
    expect(e.seq, "ISN of SYN-ACK " .. i):eq(sa[1].seq)
    expect(e.ack, "ack of SYN-ACK " .. i):eq(12346)
    expect(e.ipid, "IP ID of SYN-ACK " .. i):eq(0)
    expect(e.win, "window answering an MSS-only SYN"):eq(64240)
    expect(e.summary, "options mirror the SYN (MSS only)"):matches("options %[mss 1460%]")
  end
  expect(#log, "nothing else from h2: no RST when the request is dropped"):eq(#sa)
  local n2 = l.h2:netstat()
  expect(n2.TcpExtTCPSynRetrans, "SYN-ACK retransmissions"):eq(5)
  expect(n2.TcpPassiveOpens):eq(0)
  srv:close()
end)
