-- synflood.lua - one SYN flood at a Linux listener and at a virtual one
-- (issue 14, scenario 6), run by synflood.sh.
--
--   Linux 10.77.0.1 (lt0) ==TAP== sw -- a  10.77.0.2  the attacker
--                                    -- s  10.77.0.3  a virtual listener
--                                    -- c  10.77.0.4  a legitimate client
--
-- The attacker sends RATE spoofed SYNs a second from 10.99.0.0/16 for
-- SECONDS to Linux's listener and, at the same time and the same rate, to
-- s's; both listeners have a backlog of 16 and never accept, and both
-- route 10.99.0.0/16 to the attacker, which drops the SYN-ACKs (it does
-- not forward).  Two phases:
--   1. SYN cookies on (both stacks' default), ports 80: during the flood
--      c connects to Linux and (synflood.sh's client) Linux connects to
--      s: both get in, through cookies;
--   2. SYN cookies off, ports 81 (fresh listeners, empty queues): the
--      queues fill and every further SYN is dropped.
-- This script asserts s's counters against what it sent and prints them
-- as "phase=N v_Counter=value ..." for the driver, which takes Linux's
-- with nstat before and after each phase and compares.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")
local attacks = require "lunet.attacks"

local RATE = it.num("rate", 1000)
local SECONDS = it.num("seconds", 2)
local BACKLOG = 16
local COUNTERS = {"TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed",
                  "TcpExtTCPReqQFullDoCookies", "TcpExtTCPReqQFullDrop", "TcpExtListenDrops",
                  "TcpExtListenOverflows", "TcpPassiveOpens", "TcpActiveOpens"}

local net = lunet.net{}
local sw = net:switch("sw")
it.bridge(net, sw)
local a, s, c = net:host("a"), net:host("s"), net:host("c")
net:link(a, sw, {ip = {"10.77.0.2/24"}})
net:link(s, sw, {ip = {"10.77.0.3/24"}})
net:link(c, sw, {ip = {"10.77.0.4/24"}})
s:route("10.99.0.0/16", "10.77.0.2")

-- What s receives: SYNs of the flood, per phase.
local syn_rx = 0
net:on("rx", function(e)
  if e.node == "s" and e.proto == "tcp" and e.flags == "S" then syn_rx = syn_rx + 1 end
end)

local function counters()
  local n, t = s:netstat(), {}
  for _, k in ipairs(COUNTERS) do t[k] = n[k] end
  return t
end

-- Both floods at once, from two tasks of the attacker; returns the SYNs
-- each sent.
local function floods(port)
  local sent = {}
  local tasks = {}
  for i, dst in ipairs({it.LINUX, "10.77.0.3"}) do
    tasks[i] = a:spawn(function()
      local r = attacks.syn_flood{from = a, to = dst, port = port, rate = RATE,
                                  duration = SECONDS .. "s", spoof = "10.99.0.0/16"}
      sent[i] = r.sent
    end)
  end
  return tasks, sent
end

local function wait_all(tasks)
  for _, t in ipairs(tasks) do
    while not t:done() do lunet.sleep("20ms") end
    expect(t:error(), "a flood's task"):is_nil()
  end
end

local function phase(n, port, cookies)
  s:sysctl("net.ipv4.tcp_syncookies", cookies and 1 or 0)
  local srv = assert(s:listen(port, {backlog = BACKLOG}))
  local before, rx0 = counters(), syn_rx
  it.report("phase", n, "start", 1)
  it.write(it.dir .. "/phase" .. n .. "_flooding", "")
  local tasks, sent = floods(port)
  local legit
  if cookies then
    -- Halfway through the flood, legitimate clients connect: Linux's to
    -- s (synflood.sh waits for dir/legit_now), c to Linux.
    c:spawn(function()
      lunet.sleep(SECONDS / 2)
      it.write(it.dir .. "/legit_now", "")
      local t0 = lunet.now()
      local sock, err = c:connect(it.LINUX, port, {timeout = "3s"})
      legit = {err = err, ms = (lunet.now() - t0) / 1e6}
      if sock then sock:close() end
    end)
  end
  wait_all(tasks)
  lunet.sleep("500ms")                 -- the last SYN-ACKs, the clients
  local after = counters()
  local d = {}
  for _, k in ipairs(COUNTERS) do d[k] = after[k] - before[k] end
  local words = {"phase", n, "v_syn_rx", syn_rx - rx0, "sent_linux", sent[1], "sent_virtual", sent[2]}
  for _, k in ipairs(COUNTERS) do words[#words + 1] = "v_" .. k; words[#words + 1] = d[k] end
  it.report(table.unpack(words))
  expect(sent[1], "SYNs sent to Linux"):eq(RATE * SECONDS)
  expect(sent[2], "SYNs sent to s"):eq(RATE * SECONDS)
  local syns = syn_rx - rx0             -- the flood's, and Linux's client's
  local queued = BACKLOG + 1            -- Linux's and lunet's: full when qlen > backlog
  if cookies then
    expect(legit and legit.err, "c connects to Linux during the flood"):is_nil()
    it.report("phase", n, "legit_connect_ms", string.format("%.1f", legit and legit.ms or -1))
    expect(d.TcpExtSyncookiesSent, "s: SYN cookies sent"):eq(syns - queued)
    expect(d.TcpExtTCPReqQFullDoCookies, "s: TCPReqQFullDoCookies"):eq(d.TcpExtSyncookiesSent)
    expect(d.TcpExtTCPReqQFullDrop, "s: TCPReqQFullDrop"):eq(0)
  else
    expect(d.TcpExtSyncookiesSent, "s: SYN cookies sent"):eq(0)
    expect(d.TcpExtTCPReqQFullDrop, "s: TCPReqQFullDrop"):eq(syns - queued)
    expect(d.TcpExtListenDrops, "s: ListenDrops"):eq(d.TcpExtTCPReqQFullDrop)
  end
  it.report("phase", n, "done", 1)
  return srv
end

a:spawn(function()
  it.ready()
  it.wait_go()                         -- Linux listens on 80 and 81
  -- ARP first, so that no SYN of the flood waits for it.
  expect(a:ping(it.LINUX, {count = 1, quiet = true}).received, "a pings Linux"):eq(1)
  expect(a:ping("10.77.0.3", {count = 1, quiet = true}).received, "a pings s"):eq(1)
  expect(c:ping(it.LINUX, {count = 1, quiet = true}).received, "c pings Linux"):eq(1)
  local l1 = phase(1, 80, true)
  it.wait_file(it.dir .. "/go2", "20s")  -- Linux's counters read, cookies off
  local l2 = phase(2, 81, false)
  it.wait_file(it.dir .. "/go3", "20s")  -- Linux's counters read
  l1:close()
  l2:close()
  net:stop()
end)

it.run(net, "50s")
