-- intercept.lua - interception hooks (net:intercept): every action (drop,
-- delay, duplicate, corrupt, observe, rewrite) and every way of choosing
-- which matches act (nth, count, every, from/until), each asserted by an
-- effect that would not happen without it; remove(); hook order; the
-- dissected packets handed to callbacks; determinism; misuse.
--
--   h1 10.0.0.1 ===== 10 Mbit/s, 5 ms each way ===== h2 10.0.0.2
--
-- ARP entries are static, so nothing but the frames under test crosses the
-- wire and every ping RTT is exact (virtual time).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local two_hosts = dofile(here .. "../lib/two_hosts.lua")
local run_task = require("lunet.test").run_task

local MS, S = lunet.time("1ms"), lunet.time("1s")
local ECHO = "icmp[icmptype] == icmp-echo"

local function lab(net) return two_hosts.static_arp(net, {bandwidth = "10Mbps", delay = "5ms"}) end

-- 98-byte echo frames, 5 ms and 78.4 us of serialization each way.
local RTT = 2 * (5 * MS + (98 * 8 * 1000000000 + 9999999) // 10000000)

local function ping(l, n, opts)
  opts = opts or {}
  return run_task(l.h1.net, l.h1, function()
    return l.h1:ping(l.h2_ip, {count = n, interval = opts.interval or "1s", quiet = true,
                               timeout = opts.timeout or "1s"})
  end)
end

-- The sequence numbers answered, and the RTT of each.
local function answered(r)
  local seqs, rtt = {}, {}
  for _, rep in ipairs(r.replies) do
    if not rtt[rep.seq] then seqs[#seqs + 1] = rep.seq end
    rtt[rep.seq] = rep.rtt
  end
  table.sort(seqs)
  return seqs, rtt
end

-- Which of 1..n are missing from an answered list.
local function missing(seqs, n)
  local got, out = {}, {}
  for _, s in ipairs(seqs) do got[s] = true end
  for i = 1, n do if not got[i] then out[#out + 1] = i end end
  return out
end

-- The frames a node received (rx events), as raw bytes, in order.
local function rx_frames(net, node, proto)
  local t = {}
  net:on("rx", function(ev)
    if ev.node == node and (not proto or ev.proto == proto) then t[#t + 1] = ev end
  end)
  return t
end

-- Internet checksum of s (big-endian 16-bit words), for rewrites that fix
-- the header they change.
local function csum(s)
  local sum = 0
  for i = 1, #s - 1, 2 do sum = sum + (s:byte(i) << 8 | s:byte(i + 1)) end
  if #s % 2 == 1 then sum = sum + (s:byte(#s) << 8) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  return (~sum) & 0xffff
end

-- The frame with the IPv4 TTL set (header checksum recomputed when fix).
local function set_ttl(frame, ttl, fix)
  local ip = frame:sub(15, 34)
  ip = ip:sub(1, 8) .. string.char(ttl) .. ip:sub(10)
  if fix then
    ip = ip:sub(1, 10) .. "\0\0" .. ip:sub(13)
    ip = ip:sub(1, 10) .. string.pack(">I2", csum(ip)) .. ip:sub(13)
  end
  return frame:sub(1, 14) .. ip .. frame:sub(35)
end

local function bits_differ(a, b)
  local n = 0
  for i = 1, math.max(#a, #b) do
    local x = (a:byte(i) or 0) ~ (b:byte(i) or 0)
    while x ~= 0 do n = n + (x & 1); x = x >> 1 end
  end
  return n
end

-- ---- actions ------------------------------------------------------------------

test("drop: losing the handshake's third segment makes the server resend its SYN-ACK", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(80))
  local accepted
  l.h2:spawn(function()
    local c = srv:accept()
    accepted = lunet.now()
    c:close()
  end)
  local synacks = {}
  net:on("tx", function(ev)
    if ev.node == "h2" and ev.flags == "S." then synacks[#synacks + 1] = ev end
  end)
  local drops = {}
  -- (the client also discards the second SYN-ACK, after answering it with
  -- the ACK that completes the server's side: "invalid tcp segment")
  net:on("drop", function(ev) if ev.reason == "intercept" then drops[#drops + 1] = ev end end)
  local ic = net:intercept{on = l.link, dir = "ab", filter = "tcp[tcpflags] == tcp-ack",
                           action = "drop", nth = 1}
  local t0 = lunet.now()
  local s = run_task(net, l.h1, function() return assert(l.h1:connect(l.h2_ip, 80)) end)
  expect(s ~= nil, "the client thinks it is connected"):eq(true)
  net:run("3s")
  expect(#synacks, "the SYN-ACK and its retransmission"):eq(2)
  expect(synacks[2].kind):eq("retransmission")
  -- Linux's initial RTO, 1 s, and at most a timer-wheel bucket late (see
  -- tcp_rto.lua)
  expect(synacks[2].time - synacks[1].time, "the SYN-ACK's RTO"):within(S, S + 32 * MS)
  expect(accepted - t0, "accept waits for the second ACK"):gt(S)
  expect(#drops):eq(1)
  expect(drops[1].link):eq(l.link.name)
  expect(drops[1].flags):eq(".")
  expect(net:drops().intercept):eq(1)
  expect(ic.acted):eq(1)
  expect(ic.matched, "the dropped ACK, then the ACK of the second SYN-ACK, ..."):ge(2)
end)

test("delay: a ping's RTT grows by exactly the delay, on a link and on a node", function(net)
  local l = lab(net)
  local r = ping(l, 1)
  expect(r.replies[1].rtt, "the undisturbed RTT"):eq(RTT)
  local ic = net:intercept{on = l.link, dir = "ab", filter = ECHO, action = {delay = "50ms"}, nth = 2}
  r = ping(l, 3)
  local _, rtt = answered(r)
  expect(rtt[1]):eq(RTT)
  expect(rtt[2], "the second echo request held 50 ms"):eq(RTT + 50 * MS)
  expect(rtt[3]):eq(RTT)
  ic:remove()
  -- on h2's input, for the replies' way back: h2's output
  net:intercept{on = l.h2, dir = "out", filter = "icmp", action = {delay = 0.25}}
  r = ping(l, 2)
  _, rtt = answered(r)
  expect(rtt[1]):eq(RTT + 250 * MS)
  expect(rtt[2]):eq(RTT + 250 * MS)
end)

test("duplicate: the receiver counts the copies", function(net)
  local l = lab(net)
  local before = l.h2:netstat().IcmpInEchos
  local ic = net:intercept{on = l.h1, dir = "out", filter = ECHO, action = "duplicate", count = 1}
  local r = ping(l, 2)
  expect(l.h2:netstat().IcmpInEchos - before, "2 requests + 1 copy"):eq(3)
  expect(r.received):eq(2)
  expect(r.duplicates, "ping saw the duplicate reply, as iputils says DUP!"):eq(1)
  expect(ic.acted):eq(1)
  -- three copies, by a hook on the link's both directions that acts on its
  -- first match only: the request is copied, the four replies are not
  ic:remove()
  before = l.h2:netstat().IcmpInEchos
  local echoes = l.h1:netstat().IcmpInEchoReps
  net:intercept{on = l.link, filter = "icmp", action = {duplicate = 3}, nth = 1}
  ping(l, 1)
  net:run("1s")                              -- ping returned at the first reply
  expect(l.h2:netstat().IcmpInEchos - before, "the request and 3 copies"):eq(4)
  expect(l.h1:netstat().IcmpInEchoReps - echoes, "one reply per copy, none copied"):eq(4)
end)

test("corrupt: the receiver drops for a bad checksum; exactly n bits differ", function(net)
  local l = lab(net)
  local sent, got = {}, {}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, action = "observe", raw = true,
                fn = function(p) sent[#sent + 1] = p end}
  local ic = net:intercept{on = l.link, dir = "ab", filter = ECHO, action = "corrupt", nth = 2}
  net:intercept{on = l.h2, dir = "in", filter = "icmp", action = "observe", raw = true,
                fn = function(p) got[#got + 1] = p end}
  local r = ping(l, 3)
  local seqs = answered(r)
  expect(missing(seqs, 3), "only the corrupted request is lost"):eq({2})
  expect(l.h2:drops()["bad checksum"]):eq(1)
  expect(ic.acted):eq(1)
  expect(bits_differ(sent[1], got[1])):eq(0)
  expect(bits_differ(sent[2], got[2]), "one bit by default"):eq(1)
  expect(bits_differ(sent[3], got[3])):eq(0)
  -- {corrupt = 5}: five distinct bits, past the Ethernet header
  ic:remove()
  net:intercept{on = l.link, dir = "ab", filter = ECHO, action = {corrupt = 5}, count = 1}
  ping(l, 1)
  expect(bits_differ(sent[4], got[4])):eq(5)
  expect(sent[4]:sub(1, 14), "the Ethernet header is left alone"):eq(got[4]:sub(1, 14))
  expect(l.h2:drops()["bad checksum"]):eq(2)
end)

test("observe: every match, with where, when and which", function(net)
  local l = lab(net)
  local seen = {}
  local rx = rx_frames(net, "h2", "icmp")
  local ic = net:intercept{on = l.h2, dir = "in", filter = ECHO, action = "observe", raw = true,
                           fn = function(p, ctx) seen[#seen + 1] = {p = p, ctx = ctx} end}
  local r = ping(l, 3)
  expect(r.received, "observing changes nothing"):eq(3)
  expect(#seen):eq(3)
  for i, s in ipairs(seen) do
    expect(s.ctx.match):eq(i)
    expect(s.ctx.where):eq("h2.eth0:in")
    expect(s.ctx.node):eq("h2")
    expect(s.ctx.iface):eq("eth0")
    expect(s.ctx.dir):eq("in")
    expect(s.ctx.t, "at the frame's arrival"):eq(rx[i].time)
    expect(s.p, "the frame as it arrived"):eq(rx[i].bytes)
  end
  expect(ic.matched):eq(3)
  expect(ic.acted):eq(3)
  expect({ic:matches()}):eq({3, 3})
  -- a link hook in both directions sees requests and replies
  local where = {}
  net:intercept{on = l.link, filter = "icmp", action = "observe",
                fn = function(_, ctx) where[#where + 1] = ctx.where end}
  ping(l, 1)
  expect(where):eq({l.link.name .. ":ab", l.link.name .. ":ba"})
end)

test("rewrite: the receiver sees the changed frame; nil drops it", function(net)
  local l = lab(net)
  local rx = rx_frames(net, "h2", "icmp")
  -- TTL 7 with the header checksum fixed: delivered as rewritten
  local ic = net:intercept{on = l.h1, dir = "out", filter = ECHO, raw = true, nth = 1,
                           action = {rewrite = function(p) return set_ttl(p, 7, true) end}}
  local r = ping(l, 2)
  expect(r.received):eq(2)
  expect(rx[1].ttl, "rewritten"):eq(7)
  expect(rx[2].ttl, "only the first"):eq(64)
  ic:remove()
  -- without fixing the checksum: the receiver drops it
  ic = net:intercept{on = l.h1, dir = "out", filter = ECHO, raw = true, count = 1,
                     action = "rewrite", fn = function(p) return set_ttl(p, 9, false) end}
  r = ping(l, 1)
  expect(r.received):eq(0)
  expect(l.h2:drops()["bad checksum"]):eq(1)
  ic:remove()
  -- a UDP payload byte changed (a zero UDP checksum means none, RFC 768)
  local u2 = l.h2:udp()
  assert(u2:bind(5000))
  net:intercept{on = l.link, dir = "ab", filter = "udp dst port 5000", raw = true,
                action = {rewrite = function(p)
                  local udp = 15 + 20
                  p = p:sub(1, udp + 5) .. "\0\0" .. p:sub(udp + 8)   -- checksum 0
                  local data = udp + 8
                  return p:sub(1, data - 1) .. "j" .. p:sub(data + 1)
                end}}
  local got = run_task(net, l.h2, function()
    local u1 = l.h1:udp()
    u1:sendto("hello", l.h2_ip, 5000)
    return u2:receivefrom({timeout = "1s"})
  end)
  expect(got):eq("jello")
  -- nil: dropped with reason "intercept"
  net:intercept{on = l.h2, dir = "in", filter = ECHO, action = {rewrite = function() return nil end}}
  r = ping(l, 1)
  expect(r.received):eq(0)
  expect(l.h2:drops().intercept):eq(1)
end)

-- ---- which matches act ----------------------------------------------------------

-- Six pings one second apart through a dropping hook with opts: the
-- sequence numbers lost.
local function lost_with(net, opts)
  local l = lab(net)
  local o = {on = l.link, dir = "ab", filter = ECHO, action = "drop"}
  for k, v in pairs(opts) do o[k] = v end
  local ic = net:intercept(o)
  local r = ping(l, 6)
  return missing((answered(r)), 6), ic
end

test("nth: only the nth match", function(net)
  local lost, ic = lost_with(net, {nth = 3})
  expect(lost):eq({3})
  expect(ic.matched):eq(6)
  expect(ic.acted):eq(1)
end)

test("count: the next K matches, then no more", function(net)
  local lost, ic = lost_with(net, {count = 2})
  expect(lost):eq({1, 2})
  expect(ic.acted):eq(2)
  expect(ic.matched, "still counted after"):eq(6)
end)

test("every: every Nth match", function(net)
  local lost = lost_with(net, {every = 2})
  expect(lost):eq({2, 4, 6})
end)

test("every with count: the first K of every Nth", function(net)
  local lost = lost_with(net, {every = 2, count = 2})
  expect(lost):eq({2, 4})
end)

test("from/until: a window of virtual time, from <= t < until", function(net)
  -- the requests leave at 0, 1, ..., 5 s
  local lost, ic = lost_with(net, {from = "2s", ["until"] = 4})
  expect(lost):eq({3, 4})
  expect(ic.matched, "matches count only inside the window"):eq(2)
end)

test("nth within a window counts from the window's start", function(net)
  local lost = lost_with(net, {from = "1500ms", nth = 2})
  expect(lost):eq({4})
end)

test("remove: the hook stops at once and is gone from net:intercepts()", function(net)
  local l = lab(net)
  local ic = net:intercept{on = l.link, dir = "ab", filter = ECHO, action = "drop"}
  local keep = net:intercept{on = l.h2, action = "observe", fn = function() end}
  expect(net:intercepts()):eq({ic, keep})
  expect(ping(l, 2).received):eq(0)
  ic:remove()
  expect(ic.removed):eq(true)
  expect(net:intercepts()):eq({keep})
  expect(ping(l, 2).received):eq(2)
  expect(ic.matched, "frozen"):eq(2)
  ic:remove()                                -- twice: nothing
  expect(tostring(ic)):matches("removed")
  -- a hook may remove itself from its own callback
  local calls = 0
  local once
  once = net:intercept{on = l.h1, dir = "out", filter = ECHO, action = "observe",
                       fn = function() calls = calls + 1; once:remove() end}
  ping(l, 3)
  expect(calls):eq(1)
  expect(once.removed):eq(true)
end)

-- ---- order, packets, determinism ----------------------------------------------------

test("hooks run in the order added; a delayed frame resumes at the next hook", function(net)
  local l = lab(net)
  local seen = {}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, raw = true, nth = 1,
                action = {rewrite = function(p) return set_ttl(p, 5, true) end}}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, action = {delay = "20ms"}}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, action = "observe", raw = true,
                fn = function(p, ctx) seen[#seen + 1] = {ttl = p:byte(23), t = ctx.t} end}
  local t0 = lunet.now()
  local r = ping(l, 1)
  expect(#seen):eq(1)
  expect(seen[1].ttl, "the observer sees the rewrite"):eq(5)
  expect(seen[1].t - t0, "and sees it after the delay"):eq(20 * MS)
  expect(r.replies[1].rtt):eq(RTT + 20 * MS)
end)

test("callbacks get lunet.dissect's packet when it exists, and rewrites may return it", function(net)
  if not lunet.dissect or not lunet.packet then skip("lunet.dissect / lunet.packet not built") end
  local l = lab(net)
  local rx = rx_frames(net, "h2", "icmp")
  local kinds = {}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, count = 1, action = {rewrite = function(p)
    kinds[#kinds + 1] = type(p)
    p.ip.ttl = 3                              -- lengths and checksums are recomputed
    return p
  end}}
  local r = ping(l, 1)
  expect(kinds):eq({"table"})
  expect(r.received):eq(1)
  expect(rx[1].ttl):eq(3)
end)

test("what a rewrite may return: a string, anything with bytes(), a table for lunet.packet", function(net)
  local l = lab(net)
  -- stand-ins for lunet.dissect / lunet.packet, so the protocol is tested
  -- whatever those do
  local saved_d, saved_p = lunet.dissect, lunet.packet
  local built = 0
  lunet.dissect = function(bytes) return {raw = bytes} end
  lunet.packet = function(t)
    built = built + 1
    return {bytes = function() return t.raw end}
  end
  local ok, err = pcall(function()
    local rx = rx_frames(net, "h2", "icmp")
    local n = 0
    net:intercept{on = l.h1, dir = "out", filter = ECHO, action = {rewrite = function(p)
      n = n + 1
      local f = set_ttl(p.raw, 10 + n, true)
      if n == 1 then return f end                                       -- a string
      if n == 2 then return {bytes = function() return f end} end       -- bytes()
      p.raw = f
      return p                                                          -- via lunet.packet
    end}}
    expect(ping(l, 3).received):eq(3)
    expect({rx[1].ttl, rx[2].ttl, rx[3].ttl}):eq({11, 12, 13})
    expect(built, "only the plain table went through lunet.packet"):eq(1)
  end)
  lunet.dissect, lunet.packet = saved_d, saved_p
  if not ok then error(err, 0) end
end)

-- One run: a capture of the link under corrupt/duplicate/delay hooks;
-- returns the file's bytes.
local function capture_run(seed, file)
  local net <close> = lunet.net{seed = seed}
  local l = lab(net)
  local cap = net:capture{link = l.link, file = file}
  net:intercept{on = l.link, dir = "ab", filter = ECHO, action = {corrupt = 3}, every = 2}
  net:intercept{on = l.h2, dir = "out", action = "duplicate", nth = 3}
  net:intercept{on = l.h1, dir = "out", filter = ECHO, action = {delay = "7ms"}, every = 3}
  ping(l, 6, {interval = "100ms"})
  cap:close()
  local h = assert(io.open(cap.path, "rb"))
  local s = h:read("a")
  h:close()
  return s
end

test("determinism: the same script and seed give byte-identical pcaps", function()
  local a = capture_run(7, "intercept-a.pcap")
  local b = capture_run(7, "intercept-b.pcap")
  local c = capture_run(8, "intercept-c.pcap")
  expect(#a > 24 + 6 * 98, "frames were captured"):eq(true)
  expect(a == b, "same seed, same bytes"):eq(true)
  expect(a ~= c, "another seed corrupts other bits"):eq(true)
end)

-- ---- errors ---------------------------------------------------------------------------

test("an error in a callback stops the run and names the callback's line", function(net)
  local l = lab(net)
  net:intercept{on = l.h2, dir = "in", action = "observe", fn = function() error("boom") end}
  l.h1:spawn(function() l.h1:ping(l.h2_ip, {count = 1, quiet = true}) end)
  expect(function() net:run("1s") end):raises("intercept%.lua:%d+: boom")
end)

test("a rewrite that returns nonsense is an error naming the function", function(net)
  local l = lab(net)
  net:intercept{on = l.h2, dir = "in", action = {rewrite = function() return 42 end}}
  l.h1:spawn(function() l.h1:ping(l.h2_ip, {count = 1, quiet = true}) end)
  expect(function() net:run("1s") end):raises("rewrite function %(.-intercept%.lua:%d+%) returned number")
end)

test("misuse raises with the script's line and what is allowed", function(net)
  local l = lab(net)
  expect(function() net:intercept{on = l.link, filter = "tcp port", action = "drop"} end)
    :raises('intercept%.lua:%d+: net:intercept: filter "tcp port": .*syntax error.*tcpdump\'s filter syntax')
  expect(function() net:intercept{on = l.link, action = "mangle"} end)
    :raises('action "mangle" unknown %(allowed: drop, duplicate, corrupt, observe, rewrite')
  expect(function() net:intercept{on = l.link, action = "delay"} end):raises("needs a duration")
  expect(function() net:intercept{on = l.link, action = "observe"} end):raises("needs a function")
  expect(function() net:intercept{on = l.link, action = "drop", fn = print} end)
    :raises("fn is for the observe and rewrite actions")
  expect(function() net:intercept{on = l.link, action = {delay = "5ms", corrupt = 1}} end)
    :raises("give one")
  expect(function() net:intercept{on = l.link, dir = "in", action = "drop"} end)
    :raises('dir "in" unknown for a link %(allowed: ab, ba, both%)')
  expect(function() net:intercept{on = l.h1, dir = "ab", action = "drop"} end)
    :raises("allowed: in, out, both")
  expect(function() net:intercept{on = l.link, iface = "eth0", action = "drop"} end)
    :raises("iface is for a hook on a node")
  expect(function() net:intercept{on = l.h1, iface = "eth9", action = "drop"} end):raises("eth9")
  expect(function() net:intercept{on = "h1", action = "drop"} end)
    :raises("on must be a Link or a Node")
  expect(function() net:intercept{action = "drop"} end):raises("on missing")
  expect(function() net:intercept{on = l.link} end):raises("action missing")
  expect(function() net:intercept{on = l.link, action = "drop", nth = 0} end)
    :raises("nth must be a whole number from 1")
  expect(function() net:intercept{on = l.link, action = "drop", from = "2s", ["until"] = "1s"} end)
    :raises("until must come after from")
  expect(function() net:intercept{on = l.link, action = {corrupt = 1000}} end):raises("allowed: 1 to 256")
  expect(function() net:intercept{on = l.link, action = "drop", when = 1} end)
    :raises('option "when" unknown')
  expect(#net:intercepts(), "nothing was added"):eq(0)
  -- adding from inside a hook is refused: the engine is mid-frame there
  local err
  net:intercept{on = l.h2, action = "observe", fn = function()
    if not err then
      err = select(2, pcall(net.intercept, net, {on = l.h2, action = "drop"}))
    end
  end}
  ping(l, 1)
  expect(err):matches("not allowed inside an event hook")
end)
