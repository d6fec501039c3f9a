-- pictures.lua - the SVG ladder, the state timeline, the plots and the
-- HTML report: well-formed, drawing what the events say, the same bytes
-- for the same seed.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local xml = dofile(here .. "../lib/xml.lua")
local conv = dofile(here .. "../lib/conversation.lua")
local ladder = require "lunet.ladder"
local trace = require "lunet.trace"
local tp = require "lunet.tcpplots"
local timeline = require "lunet.timeline"
local report = require "lunet.report"
local svg = require "lunet.svg"

local function parse(doc, what)
  local root, err = xml.parse(doc)
  if not root then error(what .. " is not well-formed: " .. err, 2) end
  return root
end

-- client --- server over 10 Mbit/s, 5 ms, fixed ISNs; the client sends
-- `bytes`, the server reads it all and both close.
local function pair(net, opts)
  opts = opts or {}
  local client, server = net:host("client"), net:host("server")
  local l = net:link(client, server, {bandwidth = opts.bandwidth or "10Mbps", delay = "5ms",
                                      queue = opts.queue, ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local listener = assert(server:listen(80))
  server:spawn(function()
    conv.sink(listener)
    listener:close()
  end)
  client:spawn(function() conv.send(client, "10.0.0.2", opts.bytes or "hello\n") end)
  return client, server, l
end

-- the polyline points of the series `name` in a parsed plot, as a set
local function vertices(root, name)
  local g = xml.find_all(root, function(el) return el.attrs["data-name"] == name end)[1]
  if not g then error("no series " .. name, 2) end
  local set, n = {}, 0
  for _, el in ipairs(g.kids) do
    for pt in (el.attrs.points or ""):gmatch("%S+") do set[pt] = true; n = n + 1 end
  end
  return set, n
end

-- where an arrow ends: its line's x2, or its polyline's last point
local function end_x(g)
  for _, el in ipairs(g.kids) do
    if el.name == "line" and el.attrs.class ~= "x" then return tonumber(el.attrs.x2) end
    if el.name == "polyline" then return tonumber(el.attrs.points:match("([%d.]+),[%d.]+$")) end
  end
end

local function point(p, x, y) return svg.num(p:px(x)) .. "," .. svg.num(p:py(y)) end

test("ladder svg: an arrow per segment, slanted, states marked, TIME_WAIT cut short", function(net)
  local client, server = pair(net)
  local lad = ladder.new(net, {hosts = {client, server}})
  net:run()
  local segs = lad:segments()
  local doc = lad:svg()
  local root = parse(doc, "the ladder")
  expect(root.name):eq("svg")
  expect(root.attrs.class):eq("lunet-ladder")
  local arrows = xml.by_class(root, "seg")
  expect(#segs, "segments"):eq(8)
  expect(#arrows, "an arrow per segment"):eq(#segs)
  -- slanted: each line ends lower (later) than it starts, and the ones
  -- that cross the 5 ms link all take the same drop
  for _, g in ipairs(arrows) do
    local line = xml.find_all(g, function(el) return el.name == "line" end)[1]
    expect(tonumber(line.attrs.y2) > tonumber(line.attrs.y1), "slanted down"):eq(true)
  end
  -- a labelled box per state change, plus the first state of each column
  local boxes = xml.by_class(root, "st")
  expect(#boxes):eq(#lad:transitions() + 2)
  -- the SYN shows its options
  local opt = xml.by_class(root, "opt")
  expect(#opt, "SYN and SYN,ACK options"):eq(2)
  expect(opt[1].text):matches("^MSS=1460 SACK_PERM TSval=%d+ TSecr=0 WS=%d+$")
  -- the 60 s of TIME_WAIT are a break that says so, and the whole run fits
  local found
  for _, t in ipairs(xml.by_class(root, "brktxt")) do
    if t.text:match("^59%.9%d* s later$") then found = t.text end
  end
  expect(found, "a break for TIME_WAIT"):truthy()
  expect(tonumber(root.attrs.height), "page height"):lt(1400)
  -- the tooltip is tcpdump's line for the segment
  local first = xml.find_all(arrows[1], function(el) return el.name == "title" end)[1]
  expect(first.text):matches("^10%.0%.0%.1%.%d+ > 10%.0%.0%.2%.80: Flags %[S%], seq 1000")
end)

test("ladder svg: a lost segment ends where it died, its retransmission is styled apart", function(net)
  local client, server, l = pair(net, {bytes = 3000})
  conv.lose_first_data(net, l, "client")
  local lad = ladder.new(net, {hosts = {client, server}, relative = true})
  net:run()
  local root = parse(lad:svg(), "the ladder")
  local dead = xml.by_class(root, "seg lost")
  expect(#dead, "one lost segment"):eq(1)
  local why = xml.by_class(dead[1], "why")[1]
  expect(why.text):eq("loss")
  -- two short crossing strokes instead of an arrowhead, half way over
  expect(#xml.by_class(dead[1], "x")):eq(2)
  local line = xml.find_all(dead[1], function(el) return el.name == "line" end)[1]
  local xs = {}
  for _, g in ipairs(xml.by_class(root, "host")) do xs[#xs + 1] = tonumber(g.attrs.x) end
  local mid = (xs[1] + xs[2]) / 2
  expect(tonumber(line.attrs.x2), "dies half way along the link"):near(mid, 1)
  local rtx = xml.by_class(root, "seg rtx")
  expect(#rtx, "its retransmission"):ge(1)
  local lbl = xml.by_class(rtx[1], "lbl")[1]
  expect(lbl.text):matches("%(retransmission%)$")
end)

test("ladder svg: a router as a column, queue drops drawn at its lifeline", function(net)
  local client, r1, server = net:host("client"), net:router("r1"), net:host("server")
  net:link(client, r1, {bandwidth = "100Mbps", delay = "1ms", ip = {"10.0.1.1/24", "10.0.1.254/24"}})
  net:link(r1, server, {bandwidth = "2Mbps", delay = "5ms", queue = 4,
                        ip = {"10.0.2.254/24", "10.0.2.1/24"}})
  client:route("default", "10.0.1.254")
  server:route("default", "10.0.2.254")
  local listener = assert(server:listen(80))
  server:spawn(function() conv.sink(listener) end)
  client:spawn(function() conv.send(client, "10.0.2.1", 60000) end)
  local lad = ladder.new(net, {hosts = {client, r1, server}})
  net:run()
  listener:close()
  local root = parse(lad:svg(), "the ladder")
  local xs = {}
  for _, t in ipairs(xml.by_class(root, "host")) do xs[t.text] = tonumber(t.attrs.x) end
  local dead = xml.by_class(root, "seg lost")
  local full, at_r1, at_server = 0, 0, 0
  for _, g in ipairs(dead) do
    local why = xml.by_class(g, "why")[1].text
    local x2 = end_x(g)
    if why == "queue full" then
      full = full + 1
      if x2 == xs.r1 then at_r1 = at_r1 + 1 end
    elseif why == "out of window" then
      -- a needless retransmission, discarded by the receiver
      if x2 == xs.server then at_server = at_server + 1 end
    end
  end
  expect(full, "segments lost in r1's queue"):ge(1)
  expect(at_r1, "each ends on r1's lifeline"):eq(full)
  expect(full + at_server, "the others end at the server"):eq(#dead)
  -- forwarded copies are not segments of their own
  expect(#xml.by_class(root, "seg")):eq(#lad:segments())
  -- a delivered segment bends at r1: it arrives there, waits in r1's
  -- queue, leaves, arrives at the server
  local bent, waited = 0, 0
  for _, g in ipairs(xml.by_class(root, "seg")) do
    local pl = xml.find_all(g, function(el) return el.name == "polyline" end)[1]
    if pl and not g.attrs.class:find("lost", 1, true) then
      local ys = {}
      for x, y in pl.attrs.points:gmatch("([%d.]+),([%d.]+)") do
        if tonumber(x) == xs.r1 then ys[#ys + 1] = tonumber(y) end
      end
      if #ys == 2 then
        bent = bent + 1
        expect(ys[2] >= ys[1], "leaves r1 after it arrived"):eq(true)
        if ys[2] > ys[1] + 1 then waited = waited + 1 end
      end
    end
  end
  expect(bent, "segments drawn through r1"):ge(20)
  expect(waited, "some waited in r1's queue"):ge(5)
end)

test("ladder svg: zero-window probes styled apart; a bad checksum dies at the receiver", function(net)
  local client, server = net:host("client"), net:host("server")
  local l = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                      ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  for _, h in ipairs{client, server} do h:sysctl("net.ipv4.tcp_window_scaling", false) end
  local listener = assert(server:listen(80, {rcvbuf = 4096}))
  server:spawn(function()
    local c = listener:accept()
    lunet.sleep("2s")                  -- the window closes, the client probes
    while c:receive() do end
    c:close()
  end)
  local damaged = false
  net:on("tx", function(ev)
    -- one data segment after the window opened again has a bit flipped
    if ev.link ~= l.name or ev.node ~= "client" then return end
    local flip = not damaged and ev.time > 2e9 and (ev.payload or 0) > 0
    damaged = damaged or flip
    l:set{ab = {corrupt = flip and 1 or 0}}
  end)
  client:spawn(function()
    local s = assert(client:connect("10.0.0.2", 80))
    s:send(20000)
    s:close()
  end)
  local lad = ladder.new(net, {hosts = {client, server}, relative = true, win = true})
  net:run()
  listener:close()
  local root = parse(lad:svg(), "the ladder")
  local xs = {}
  for _, t in ipairs(xml.by_class(root, "host")) do xs[t.text] = tonumber(t.attrs.x) end
  local probes = xml.by_class(root, "seg probe")
  expect(#probes, "zero-window probes"):ge(2)
  for _, g in ipairs(probes) do
    expect(xml.by_class(g, "lbl")[1].text):matches("%(zero window probe%)$")
  end
  local bad = 0
  for _, g in ipairs(xml.by_class(root, "seg lost")) do
    if xml.by_class(g, "why")[1].text == "bad checksum" then
      bad = bad + 1
      expect(end_x(g), "dies at the server's lifeline"):eq(xs.server)
    end
  end
  expect(bad, "the damaged segment"):eq(1)
end)

test("state timeline: a bar per state of each side", function(net)
  pair(net)
  local tr = trace.new(net)
  net:run()
  local c = tr.conns[1]
  local root = parse(timeline.svg(c), "the timeline")
  local bars = xml.by_class(root, "bar")
  expect(#bars):eq(#timeline.bars(c, "a", c.last) + #timeline.bars(c, "b", c.last))
  local names = {}
  for _, b in ipairs(timeline.bars(c, "a", c.last)) do names[#names + 1] = b.state end
  -- (the client's socket is made in CLOSED and leaves it at once: no bar)
  expect(names):eq({"SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"})
end)

-- A bulk transfer through a small queue: losses, fast retransmits, RTOs.
local function lossy(net)
  local client, server, l = pair(net, {bytes = 300000, bandwidth = "2Mbps", queue = 8})
  return client, server, l
end

test("cwnd plot: its points are the cwnd events of that connection", function(net)
  local client = lossy(net)
  local evs = {}
  net:on("cwnd", function(ev) if ev.node == "client" then evs[#evs + 1] = ev end end)
  local tr = trace.new(net)
  net:run()
  local c = tr.conns[1]
  expect(tp.sender(c)):eq("a")
  local p = tp.cwnd(c, "a")
  local root = parse(p:svg(), "the cwnd plot")
  local set = vertices(root, "cwnd")
  expect(#p.series[1].x, "one point per event"):eq(#evs)
  local recoveries, rtos = 0, 0
  for _, e in ipairs(evs) do
    if not set[point(p, e.time, e.cwnd)] then
      error(string.format("cwnd event at %d (%d segments) is not a vertex of the plot", e.time, e.cwnd))
    end
    if e.why == "recovery" then recoveries = recoveries + 1 end
    if e.why == "rto" then rtos = rtos + 1 end
  end
  expect(recoveries, "the transfer saw fast retransmits"):ge(1)
  expect(#p.marks, "a mark per fast retransmit and RTO"):eq(recoveries + rtos)
  local _ = client
end)

test("rtt plot: a point per RTT sample; queue plot: a step per queue change", function(net)
  local _, _, l = lossy(net)
  local rtts, queue, drops = {}, {}, 0
  net:on("rtt", function(ev) if ev.node == "client" then rtts[#rtts + 1] = ev end end)
  net:on("queue", function(ev) if ev.link == l.name and ev.dir == 0 then queue[#queue + 1] = ev end end)
  net:on("drop", function(ev) if ev.link == l.name and ev.dir == 0 then drops = drops + 1 end end)
  local tr = trace.new(net, {queues = true})
  net:run()
  local p = tp.rtt(tr.conns[1], "a")
  local root = parse(p:svg(), "the rtt plot")
  local srtt = vertices(root, "SRTT")
  expect(#p.series[3].x, "samples"):eq(#rtts)
  for _, e in ipairs(rtts) do
    expect(srtt[point(p, e.time, e.srtt)], "SRTT vertex"):eq(true)
  end
  local q
  for _, x in ipairs(tr:queues()) do if x.link == l.name and x.dir == 0 then q = x end end
  local qp = tp.queue(q)
  local qroot = parse(qp:svg(), "the queue plot")
  local qset = vertices(qroot, "queue length")
  expect(#q.t):eq(#queue)
  for _, e in ipairs(queue) do
    expect(qset[point(qp, e.time, e.qlen)], "queue vertex"):eq(true)
  end
  expect(#q.drops, "drops on that link direction"):eq(drops)
  expect(drops, "the small queue overflowed"):ge(1)
end)

test("time-sequence graph: a bar per data segment, retransmissions apart", function(net)
  lossy(net)
  local tr = trace.new(net)
  net:run()
  local c = tr.conns[1]
  local data, rtx = 0, 0
  for _, s in ipairs(c.segs) do
    if s.side == "a" and (s.len > 0 or s.syn or s.fin) then
      if s.retransmission then rtx = rtx + 1 else data = data + 1 end
    end
  end
  local p = tp.tsg(c, "a")
  parse(p:svg(), "the time-sequence graph")
  local by = {}
  for _, s in ipairs(p.series) do by[s.name] = s end
  expect(#by.data.x):eq(data)
  expect(#by.retransmission.x):eq(rtx)
  expect(rtx):ge(1)
  expect(#by.SACK.x, "SACK blocks seen"):ge(1)
end)

test("report: one well-formed page; the same seed gives the same bytes", function()
  local function once()
    local net = lunet.net{seed = 5, name = "lab"}
    local rep = report.new{title = "pictures test"}
    rep:watch(net)
    lossy(net)
    net:run()
    rep:output("hello <world> & friends\n")
    local html = rep:html(nil)
    net:close()
    return html
  end
  local a, b = once(), once()
  expect(#a):gt(10000)
  expect(a == b, "byte-identical"):eq(true)
  local root = parse(a, "the report")
  expect(root.name):eq("html")
  expect(#xml.find_all(root, function(el) return el.name == "svg" end), "pictures"):ge(6)
  expect(#xml.by_class(root, "lunet-ladder")):eq(1)
  expect(#xml.by_class(root, "lunet-timeline")):eq(1)
  expect(a:find("hello &lt;world&gt; &amp; friends", 1, true) ~= nil, "output escaped"):eq(true)
  -- nothing fetched: no external references
  expect(a:find('src="http', 1, true)):is_nil()
  expect(a:find('href="http', 1, true)):is_nil()
end)

test("trace: copies a hub repeats or a link duplicates are not losses", function(net)
  local a, b, c = net:host("a"), net:host("b"), net:host("c")
  local hub = net:hub("hub")
  net:link(a, hub, {ip = {"10.0.0.1/24"}})
  net:link(b, hub, {ip = {"10.0.0.2/24"}})
  net:link(c, hub, {ip = {"10.0.0.3/24"}, duplicate = 1})
  local listener = assert(b:listen(80))
  local l3 = assert(c:listen(80))
  b:spawn(function() local s = listener:accept(); s:receive(); s:close() end)
  c:spawn(function() local s = l3:accept(); s:receive(); s:close() end)
  a:spawn(function()
    for _, dst in ipairs{"10.0.0.2", "10.0.0.3"} do
      local s = assert(a:connect(dst, 80))
      s:send("x")
      s:close()
    end
  end)
  local tr = trace.new(net)
  net:run()
  -- (c's SYN,ACK went twice, since a duplicated SYN asks again: that
  -- retransmission does reach a, which discards it; a true death)
  local seen, lost = 0, {}
  for _, s in ipairs(tr.segs) do
    seen = seen + 1
    if s.lost and not s.retransmission then lost[#lost + 1] = s.flags .. " to " .. s.dst .. ": " .. s.lost end
  end
  expect(seen):ge(16)
  expect(lost, "no segment that arrived is counted lost"):eq({})
  listener:close()
  l3:close()
end)

test("trace: the same four-tuple used again is a new connection", function(net)
  local client, server = net:host("client"), net:host("server")
  net:link(client, server, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local listener = assert(server:listen(80))
  server:spawn(function()
    for _ = 1, 2 do local s = listener:accept(); s:receive(); s:close() end
  end)
  client:spawn(function()
    for _ = 1, 2 do
      local s = client:tcp{reuseaddr = true}
      assert(s:bind(5000))
      assert(s:connect("10.0.0.2", 80))
      s:send("x")
      s:close()
      lunet.sleep("70s")              -- past TIME_WAIT
    end
  end)
  local tr = trace.new(net)
  net:run()
  listener:close()
  expect(#tr.conns, "two incarnations"):eq(2)
  for _, c in ipairs(tr.conns) do
    expect(c.rtx.a + c.rtx.b, "no retransmissions"):eq(0)
    expect(c.isn.a):eq(1000)
  end
end)

test("trace: started mid-transfer, numbers are relative to the first seen", function(net)
  local client, server = net:host("client"), net:host("server")
  net:link(client, server, {bandwidth = "10Mbps", delay = "5ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local listener = assert(server:listen(80))
  server:spawn(function() local s = listener:accept(); while s:receive() do end; s:close() end)
  client:spawn(function() local s = assert(client:connect("10.0.0.2", 80)); s:send(200000); s:close() end)
  net:run("60ms")
  local tr = trace.new(net)
  net:run()
  listener:close()
  local c = tr.conns[1]
  expect(c.isn.a):is_nil()
  local p = tp.tsg(c, "a")
  local lo, hi = math.huge, 0
  for _, s in ipairs(p.series) do
    if s.name == "data" then
      for i = 1, #s.y do lo = math.min(lo, s.y[i]); hi = math.max(hi, s.y2[i]) end
    end
  end
  expect(lo, "starts at 0"):eq(0)
  expect(hi, "ends within what was left to send"):le(200001)
end)

test("rtt plot: the RTO line doubles where the timer fired", function(net)
  local client, server = net:host("client"), net:host("server")
  local l = net:link(client, server, {delay = "5ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local listener = assert(server:listen(80))
  server:spawn(function() local s = listener:accept(); while s:receive() do end; s:close() end)
  client:spawn(function()
    local s = assert(client:connect("10.0.0.2", 80))
    l:set{ab = {loss = 1}}           -- every data segment lost for a while
    s:send("hello")
    lunet.sleep("2s")
    l:set{ab = {loss = 0}}
    s:close()
  end)
  local tr = trace.new(net)
  local fired = {}
  net:on("timer", function(ev) if ev.node == "client" and ev.timer == "rto" then fired[#fired + 1] = ev end end)
  net:run()
  listener:close()
  local p = tp.rtt(tr.conns[1], "a")
  local rto = p.series[1]
  expect(rto.name):eq("RTO")
  expect(#fired, "RTOs"):ge(2)
  for _, ev in ipairs(fired) do
    local found = false
    for i = 1, #rto.x do if rto.x[i] == ev.time and rto.y[i] == ev.rto then found = true end end
    expect(found, "the timeout armed at each expiry is a point of the RTO line"):eq(true)
  end
  expect(fired[2].rto, "doubled"):eq(2 * fired[1].rto)
end)
