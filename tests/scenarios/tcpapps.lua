-- tcpapps.lua - the TCP applications (lunet/tcpapps.lua) and the ladder
-- diagram (lunet/ladder.lua): bulk transfer with iperf-like figures and a
-- content hash, echo, HTTP, and a ladder that shows a lost segment and its
-- retransmission.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ladder = require("lunet.ladder")

test("bulk_send to a sink: every byte arrives, in order, near the link rate", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "5ms"})
  local sr
  l.h2:spawn(function() sr = l.h2:sink(5001, {quiet = true}) end)
  local r = run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, 5001, {bytes = 1e6, quiet = true})
  end)
  expect(r.bytes):eq(1000000)
  expect(sr.bytes):eq(1000000)
  expect(sr.hash, "hash of the generated pattern"):eq(lunet.hash(1000000))
  expect(r.retrans):eq(0)
  -- 10 Mbit/s less the headers (54 + 12 bytes per 1448 of data), and slow start
  expect(r.bps):within(8.5e6, 9.6e6)
  expect(sr.bps):within(8.5e6, 9.6e6)
end)

test("bulk_send with loss: retransmissions, and still the exact bytes", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "5ms", loss = "1%"})
  local data = "0123456789abcdef"
  local sr
  l.h2:spawn(function() sr = l.h2:sink(5001, {quiet = true}) end)
  local r = run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, 5001, {bytes = 500000, data = data, quiet = true})
  end)
  expect(r.retrans):gt(0)
  expect(sr.bytes):eq(500000)
  expect(sr.hash):eq(lunet.hash(data:rep(500000 // #data)))
  expect(l.h1:netstat().TcpRetransSegs):eq(r.retrans)
end)

test("echo_server, discard_server, http_server and http_get", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local echo = l.h2:echo_server(7)
  local discard = l.h2:discard_server(9)
  l.h2:http_server(80, {handler = function(req)
    if req.path == "/missing" then return "no such page\n", 404 end
    return "you asked for " .. req.path, 200, {["X-Server"] = "lunet"}
  end})
  local r = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7))
    s:send("ping\n")
    local line = s:receive("*l")
    s:close()
    local d = assert(l.h1:connect(l.h2_ip, 9))
    d:send(string.rep("x", 5000))
    d:close()
    local body, status, headers = l.h1:http_get(l.h2_ip, 80, "/index.html")
    local body404, status404 = l.h1:http_get(l.h2_ip, 80, "/missing")
    local none, err = l.h1:http_get(l.h2_ip, 81, "/")
    lunet.sleep("100ms")
    return {line, body, status, headers, body404, status404, none, err}
  end)
  expect(r[1]):eq("ping")
  expect(echo.connections):eq(1)
  expect(echo.bytes):eq(5)
  expect(discard.bytes):eq(5000)
  expect(r[2]):eq("you asked for /index.html")
  expect(r[3]):eq(200)
  expect(r[4]["x-server"]):eq("lunet")
  expect(r[5]):eq("no such page\n")
  expect(r[6]):eq(404)
  expect(r[7]):is_nil()
  expect(r[8]):eq("refused")
  echo.close()
end)

test("applications check their arguments", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  expect(function() l.h1:echo_server(0) end):raises("echo_server: port must be an integer in 1..65535")
  expect(function() l.h1:echo_server(7, {lingr = "1s"}) end):raises('echo_server: option "lingr" unknown')
  expect(function() l.h1:bulk_send(l.h2_ip, 5001) end):raises("bulk_send: not inside a task")
  expect(function() l.h1:http_get(l.h2_ip, 80, "index.html") end):raises('path must be a string starting with "/"')
end)

test("ladder: a lost segment breaks off with X, its retransmission is marked", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "5ms"})
  l.h1:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  l.h2:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local srv = assert(l.h2:listen(80))
  local lad = ladder.new(net, {hosts = {l.h1, l.h2}, ports = {80}, relative = true})
  l.h2:spawn(function() local c = srv:accept(); c:receive("*a"); c:close() end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    l.link:set{ab = {loss = 1}}
    s:send("lost once")
    lunet.sleep("1ms")
    l.link:set{ab = {loss = 0}}
    lunet.sleep("1s")
    s:close()
    lunet.sleep("1s")
  end)
  local segs = lad:segments()
  local lost, rtx
  for _, s in ipairs(segs) do
    if s.len == 9 and s.lost then lost = s end
    if s.len == 9 and s.retransmission then rtx = s end
  end
  expect(lost, "the lost data segment"):truthy()
  expect(lost.lost):eq("loss")
  expect(lost.label):eq("PSH,ACK seq=1 ack=1 len=9")   -- relative numbers
  expect(rtx, "its retransmission"):truthy()
  expect(rtx.lost):is_nil()
  expect(rtx.time - lost.time):ge(lunet.time("200ms"))  -- the RTO, at least tcp_rto_min
  local text = table.concat(lad:lines(), "\n")
  expect(text):matches("X")
  expect(text):matches("%(loss%)")
  expect(text):matches("%(retransmission%)")
  for _, line in ipairs(lad:lines()) do expect(#line, line):le(80) end
  expect(function() ladder.new(net, {hosts = {l.h1}, colour = true}) end):raises('option "colour" unknown')
end)
