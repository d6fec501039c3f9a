-- tcp_drain.lua - TcpSocket:drain (read to EOF keeping a count and a
-- hash, what h:sink runs) and the blocking calls that retry in C without
-- resuming their task (send, receive, drain: lnl_task_block_poll): the
-- bytes and hashes they report, their timeouts and errors, and h:sink
-- over several connections on a link that loses and reorders.
--
--   h1 10.0.0.1 ===== 10 Mbit/s, 5 ms each way ===== h2 10.0.0.2

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local two_hosts = dofile(here .. "../lib/two_hosts.lua")
local run_task = require("lunet.test").run_task

local function lab(net, link)
  local o = {bandwidth = "10Mbps", delay = "5ms"}
  for k, v in pairs(link or {}) do o[k] = v end
  return two_hosts.static_arp(net, o)
end

-- n bytes from a fixed LCG (not the pattern: an offset error shows)
local function noise(n, seed)
  local t, x = {}, seed
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char((x >> 16) & 0xff)
  end
  return table.concat(t)
end

test("drain: every byte counted and hashed, from the read-ahead on", function(net)
  local l = lab(net)
  local data = noise(300000, 5)
  local got = {}
  local srv = assert(l.h2:listen(7000))
  l.h2:spawn(function()
    local c = srv:accept()
    -- a line first: receive("*l") leaves what follows it in the read-ahead
    got.line = c:receive("*l")
    got.n, got.h = c:drain(lunet.hash(got.line .. "\n"))
    got.again = {c:drain()}
    c:close()
  end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7000))
    assert(s:send("header\n" .. data))
    s:close()
  end)
  net:run("2s")
  expect(got.line):eq("header")
  expect(got.n, "bytes after the line"):eq(#data)
  expect(got.h, "the hash of everything, line included"):eq(lunet.hash("header\n" .. data))
  -- at EOF already: nothing more, and the hash of nothing
  expect(got.again[1]):eq(0)
  expect(got.again[2]):eq(0)
end)

test("drain: a reset ends it with what came before; a timeout keeps the count", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7000))
  local res, tres
  l.h2:spawn(function()
    local c = srv:accept()
    tres = {c:drain(nil, {timeout = "50ms"})}       -- the sender pauses 200 ms
    res = {c:drain(tres[4])}
    c:close()
  end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7000))
    s:send(5000)
    lunet.sleep("200ms")
    s:send(3000)
    lunet.sleep("200ms")
    s:abort()
  end)
  net:run("1s")
  expect(tres[1]):is_nil()
  expect(tres[2]):eq("timeout")
  expect(tres[3], "bytes before the timeout"):eq(5000)
  expect(tres[4]):eq(lunet.hash(5000))
  expect(res[1]):is_nil()
  expect(res[2]):eq("reset")
  expect(res[3], "bytes after the timeout, before the reset"):eq(3000)
  -- continued from the first call's hash: the whole 8000 bytes
  expect(res[4]):eq(lunet.hash(8000))
end)

test("drain checks its arguments and the reader slot", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7000))
  local busy
  l.h2:spawn(function()
    local c = srv:accept()
    l.h2:spawn(function() busy = {c:drain()} end)
    c:drain()
    c:close()
  end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7000))
    expect(function() s:drain("x") end):raises("TcpSocket:drain")
    expect(function() s:drain(nil, {timeot = "1s"}) end):raises("timeot")
    s:send(100)
    s:close()
  end)
  net:run("1s")
  expect(busy[1]):is_nil()
  expect(busy[2]):eq("busy")
end)

test("send and receive of many segments: one call, exact bytes, timeouts", function(net)
  local l = lab(net)
  local data = noise(200000, 9)
  local srv = assert(l.h2:listen(7000))
  local r = {}
  l.h2:spawn(function()
    local c = srv:accept()
    -- 150,000 bytes take many segments: one call returns them all
    r.first = c:receive(150000)
    -- the rest is 50,000 bytes: asking for more times out, consuming nothing
    r.short, r.short_err = c:receive(60000, {timeout = "300ms"})
    r.rest = c:receive(50000)
    r.eof = {c:receive()}
    c:close()
  end)
  local sres = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7000, {sndbuf = 16384}))
    -- 200,000 bytes through a 16 KB buffer: one call, blocked many times
    local out = {n = s:send(data)}
    lunet.sleep("1s")                 -- open while the receiver times out
    s:close()
    return out
  end)
  net:run("3s")
  expect(sres.n):eq(#data)
  expect(#r.first):eq(150000)
  expect(r.short):is_nil()
  expect(r.short_err):eq("timeout")
  expect(r.rest):eq(data:sub(150001))
  expect(r.first .. r.rest == data, "the bytes, in order"):truthy()
  expect(r.eof[1]):is_nil()
  expect(r.eof[2]):eq("closed")
end)

test("send: a timeout tells how much was queued", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7000, {rcvbuf = 8192}))
  local c
  l.h2:spawn(function() c = srv:accept() end)      -- and never reads
  local res = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7000, {sndbuf = 8192}))
    local res = {s:send(1000000, {timeout = "500ms"})}
    s:abort()
    return res
  end)
  expect(res[1]):is_nil()
  expect(res[2]):eq("timeout")
  expect(res[3]):gt(0)
  expect(res[3]):lt(100000)
  expect(math.type(res[3])):eq("integer")
end)

test("sink over several connections, with loss and reordering: bytes and hashes", function(net)
  local l = lab(net, {loss = "2%", reorder = "5%", reorder_delay = "2ms"})
  local a, b = noise(120000, 21), noise(90001, 22)
  local sr, serr
  l.h2:spawn(function() sr, serr = l.h2:sink(5001, {connections = 3, quiet = true}) end)
  run_task(net, l.h1, function()
    assert(l.h1:bulk_send(l.h2_ip, 5001, {bytes = #a, data = a, quiet = true}))
    assert(l.h1:bulk_send(l.h2_ip, 5001, {bytes = 70000, quiet = true}))
    -- data longer than a chunk, and a chunk that is not a multiple of it
    assert(l.h1:bulk_send(l.h2_ip, 5001, {bytes = 2 * #b + 7, data = b, chunk = 40000,
                                          quiet = true}))
  end)
  net:run("5s")
  expect(serr):is_nil()
  local third = (b .. b .. b):sub(1, 2 * #b + 7)
  expect(sr.conns[1].bytes):eq(#a)
  expect(sr.conns[1].hash):eq(lunet.hash(a))
  expect(sr.conns[2].bytes):eq(70000)
  expect(sr.conns[2].hash):eq(lunet.hash(70000))
  expect(sr.conns[3].bytes):eq(#third)
  expect(sr.conns[3].hash):eq(lunet.hash(third))
  expect(sr.bytes):eq(#a + 70000 + #third)
  -- the stream: the three connections one after the other
  expect(sr.hash):eq(lunet.hash(third, lunet.hash(70000, lunet.hash(a))))
  expect(l.h1:netstat().TcpRetransSegs, "the link lost segments"):gt(0)
  expect(l.h2:netstat().TcpExtTCPOFOQueue, "and reordered them"):gt(0)
end)

test("a hook that kills a task while its send goes on in C frees the writer slot", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7000))
  l.h2:spawn(function() local c = srv:accept(); c:drain(); c:close() end)
  local s = assert(run_task(net, l.h1, function()
    return assert(l.h1:connect(l.h2_ip, 7000, {sndbuf = 8192}))
  end))
  local writer, killed_in, segs = nil, nil, 0
  -- data segments go out from inside the blocked send's retries (the
  -- ACKs open the buffer): kill the writer from the 20th on
  net:on("tx", function(ev)
    if ev.node == "h1" and (ev.len or 0) > 1000 and ev.layer == "l2" then
      segs = segs + 1
      if segs == 20 and writer then
        killed_in = writer:status()
        writer:kill()
      end
    end
  end)
  writer = l.h1:spawn(function() s:send(100000000) end)   -- more than 1 s holds
  net:run("1s")
  expect(killed_in, "the writer was blocked when the hook killed it"):eq("running")
  expect(writer:status()):eq("killed")
  -- its slot is free: another task writes on the socket, no "busy"
  local res = run_task(net, l.h1, function() return {s:send(10)} end)
  expect(res[1]):eq(10)
  s:close()
end)
