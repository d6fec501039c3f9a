-- tcp_timewait.lua - TIME_WAIT as Linux keeps it (reference sections 2, 3
-- and 10): the active closer holds it for exactly 2 MSL, whichever side it
-- is; a retransmitted FIN in TIME_WAIT is ACKed again and restarts the
-- timer; a TIME_WAIT entry blocks rebinding its port unless SO_REUSEADDR
-- is set both on the new socket and on the socket now in TIME_WAIT; the
-- ephemeral port range runs out.
--
--   h1 (client) 10.0.0.1 ===== 10 Mbit/s, 5 ms ===== h2 (server) 10.0.0.2

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local two_hosts = dofile(here .. "../lib/two_hosts.lua")
local run_task = require("lunet.test").run_task

local MS, S = lunet.time("1ms"), lunet.time("1s")
local function secs(ns) return ns / 1e9 end

local function lab(net) return two_hosts.static_arp(net, {bandwidth = "10Mbps", delay = "5ms"}) end

-- State changes of every TCP socket: {time, node, from, to, flow}.
local function transitions(net)
  local t = {}
  net:on("tcp", function(ev)
    t[#t + 1] = {time = ev.time, node = ev.node, from = ev.from, to = ev.to, flow = ev.flow}
  end)
  return t
end

local function find(trans, node, from, to)
  local hits = {}
  for _, e in ipairs(trans) do
    if e.node == node and (not from or e.from == from) and e.to == to then hits[#hits + 1] = e end
  end
  return hits
end

local function tcp_sockets(h, state)
  local n = {}
  for _, s in ipairs(h:sockets("tcp")) do
    if not state or s.state == state then n[#n + 1] = s end
  end
  return n
end

-- One request/response; `first` ("client" or "server") closes first, the
-- other closes when it reads EOF.  Runs until `until_t`.
local function exchange(net, l, first, port)
  local srv = assert(l.h2:listen(port))
  l.h2:spawn(function()
    local c = srv:accept()
    local req = c:receive(5)
    c:send(req:upper())
    if first == "server" then
      c:close()
    else
      c:receive("*a")                     -- to EOF
      c:close()
    end
    srv:close()
  end)
  l.h1:spawn(function()
    local s = assert(l.h1:connect(l.h2_ip, port))
    s:send("hello")
    expect(s:receive(5)):eq("HELLO")
    if first == "client" then
      s:close()
    else
      s:receive("*a")
      s:close()
    end
  end)
end

------------------------------------------------------------------------
-- who holds TIME_WAIT, and for how long
------------------------------------------------------------------------

local function tw_duration(net, first, msl)
  local l = lab(net)
  if msl then
    l.h1:sysctl("net.ipv4.tcp_msl", msl)
    l.h2:sysctl("net.ipv4.tcp_msl", msl)
  end
  local two_msl = 2 * lunet.time(l.h1:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
  local tr = transitions(net)
  exchange(net, l, first, 80)
  net:run("2s")
  local closer, other = l.h1, l.h2
  if first == "server" then closer, other = l.h2, l.h1 end
  -- right after the close: the closer has one TIME_WAIT socket, the other none
  local tw = tcp_sockets(closer, "TIME_WAIT")
  expect(#tw, closer.name .. " sockets in TIME_WAIT"):eq(1)
  expect(tw[1].timer):eq("timewait")
  expect(tw[1].timer_left, "timer left 2 s after the close"):within(two_msl - 2 * S, two_msl)
  expect(#tcp_sockets(other), other.name .. " TCP sockets after the close"):eq(0)
  expect(#tcp_sockets(closer), closer.name .. " TCP sockets after the close (only the TIME_WAIT one)"):eq(1)
  net:run()
  local enter = find(tr, closer.name, nil, "TIME_WAIT")
  local leave = find(tr, closer.name, "TIME_WAIT", "CLOSED")
  expect(#enter, "entries into TIME_WAIT"):eq(1)
  expect(#leave, "TIME_WAIT -> CLOSED"):eq(1)
  expect(#find(tr, other.name, nil, "TIME_WAIT"), other.name .. " never in TIME_WAIT"):eq(0)
  expect(leave[1].time - enter[1].time, "TIME_WAIT lasts 2 MSL"):eq(two_msl)
  expect(#tcp_sockets(closer), "sockets after TIME_WAIT"):eq(0)
  return l
end

test("client closes first: the client holds TIME_WAIT for 2 MSL = 60 s", function(net)
  local l = tw_duration(net, "client")
  expect(l.h1:sysctl("net.ipv4.tcp_msl"), "default MSL (seconds)"):eq(30)
  expect(l.h1:netstat().TcpExtTW, "TcpExtTW (timewait sockets started, counted as each starts as on Linux)"):eq(1)
end)

test("server closes first: the server holds TIME_WAIT, the client has no socket", function(net)
  tw_duration(net, "server")
end)

test("tcp_msl = 5 s: TIME_WAIT lasts 10 s (both variants)", function(net)
  tw_duration(net, "client", "5s")
  tw_duration(lunet.net{}, "server", 5)
end)

------------------------------------------------------------------------
-- a retransmitted FIN in TIME_WAIT
------------------------------------------------------------------------

test("the last ACK is lost: the FIN comes again, is re-ACKed, and TIME_WAIT starts over", function(net)
  local l = lab(net)
  l.h1:sysctl("net.ipv4.tcp_msl", "5s")
  local two_msl = 10 * S
  local tr = transitions(net)
  local acks = {}            -- h1's segments after it entered TIME_WAIT
  local fins = {}            -- h2's FINs
  local lost = {}
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "h2" and ev.flags:find("F") then fins[#fins + 1] = ev end
    if ev.node == "h1" and #find(tr, "h1", nil, "TIME_WAIT") > 0 then acks[#acks + 1] = ev end
  end)
  net:on("drop", function(ev) if ev.proto == "tcp" then lost[#lost + 1] = ev end end)
  -- the client closes first; the server closes 200 ms after EOF (four-way
  -- close, so the client's last ACK is a segment of its own)
  local srv = assert(l.h2:listen(80))
  l.h2:spawn(function()
    local c = srv:accept()
    c:receive("*a")
    lunet.sleep("200ms")
    -- from now on h1 -> h2 loses everything: the client's last ACK vanishes
    l.link:set{ab = {loss = 1}}
    c:close()
    lunet.sleep("20ms")                 -- the ACK has left and is lost
    l.link:set{ab = {loss = 0}}
  end)
  l.h1:spawn(function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    s:send("bye")
    s:close()
  end)
  net:run()
  expect(#fins, "server FINs (the original and a retransmission)"):eq(2)
  expect(fins[2].seq, "the retransmitted FIN"):eq(fins[1].seq)
  expect(#lost, "the lost last ACK"):eq(1)
  expect(lost[1].flags):eq(".")
  -- h1 ACKed both FINs from TIME_WAIT
  expect(#acks, "ACKs from TIME_WAIT"):eq(2)
  for _, a in ipairs(acks) do
    expect(a.flags):eq(".")
    expect(a.ack, "acknowledges the FIN"):eq(fins[1].seq + 1)
  end
  local reack = acks[2]
  -- the server's FIN retransmission came after an RTO (>= 200 ms)
  expect(fins[2].time - fins[1].time, "FIN retransmitted after an RTO"):ge(200 * MS)
  -- TIME_WAIT restarted from the second FIN: 2 MSL after the re-ACK
  local enter = find(tr, "h1", nil, "TIME_WAIT")
  local leave = find(tr, "h1", "TIME_WAIT", "CLOSED")
  expect(#enter):eq(1)
  expect(#leave):eq(1)
  expect(leave[1].time - reack.time, "TIME_WAIT runs 2 MSL from the retransmitted FIN"):eq(two_msl)
  expect(leave[1].time - enter[1].time, "longer than 2 MSL in all"):gt(two_msl)
  -- the server got its ACK at last: LAST_ACK -> CLOSED
  local srv_closed = find(tr, "h2", "LAST_ACK", "CLOSED")
  expect(#srv_closed, "server LAST_ACK -> CLOSED"):eq(1)
  expect(srv_closed[1].time, "the server closes on the re-ACK"):lt(leave[1].time)
end)

------------------------------------------------------------------------
-- rebinding a port held by TIME_WAIT (reference 10)
------------------------------------------------------------------------

-- A server on 0.0.0.0:8080 (SO_REUSEADDR reuse) echoes h1's "hello";
-- `first` ("server" or "client") closes first, the other side when it
-- reads the end of the stream; the listener closes too.  Runs 1 s: the
-- first closer is then in TIME_WAIT, the other side gone.
local function hello(net, l, first, reuse)
  local srv = assert(l.h2:listen(8080, {reuseaddr = reuse}))
  l.h2:spawn(function()
    local c = srv:accept()
    c:send(c:receive(5))
    if first == "client" then c:receive("*a") end
    c:close()
    srv:close()
  end)
  l.h1:spawn(function()
    local s = assert(l.h1:connect(l.h2_ip, 8080))
    s:send("hello")
    if first == "server" then s:receive("*a") else s:receive(5) end
    s:close()
  end)
  net:run("1s")
end

-- An old server (SO_REUSEADDR old_ra) that answered one request and
-- closed first: 10.0.0.2:8080 is in TIME_WAIT.  Returns the lab once that
-- state is reached.
local function old_server(net, old_ra)
  local l = lab(net)
  hello(net, l, "server", old_ra)
  local tw = tcp_sockets(l.h2, "TIME_WAIT")
  expect(#tw, "the old server's TIME_WAIT entry"):eq(1)
  expect(tw[1]["local"]):eq("10.0.0.2:8080")
  expect(#tcp_sockets(l.h2), "nothing else on h2"):eq(1)
  return l
end

-- bind (and listen) a new socket with SO_REUSEADDR new_ra on addr:8080
local function try_bind(l, new_ra, addr)
  local s = l.h2:tcp{reuseaddr = new_ra}
  local ok, err
  if addr then ok, err = s:bind(addr, 8080) else ok, err = s:bind(8080) end
  local lok, lerr
  if ok then lok, lerr = s:listen() end
  s:close()
  return ok, err, lok, lerr
end

local ROWS = {
  {old = false, new = false},
  {old = false, new = true},
  {old = true, new = false},
}
for _, row in ipairs(ROWS) do
  test(string.format("SO_REUSEADDR old=%d new=%d: bind over TIME_WAIT is \"in use\"",
                     row.old and 1 or 0, row.new and 1 or 0), function(net)
    local l = old_server(net, row.old)
    for _, addr in ipairs({false, "10.0.0.2"}) do
      local where = addr and "10.0.0.2:8080" or "0.0.0.0:8080"
      local ok, err = try_bind(l, row.new, addr or nil)
      expect(ok, "bind " .. where):is_nil()
      expect(err, "bind " .. where):eq("in use")
    end
  end)
end

test("SO_REUSEADDR old=1 new=1: bind and listen over TIME_WAIT succeed", function(net)
  local l = old_server(net, true)
  for _, addr in ipairs({false, "10.0.0.2"}) do
    local where = addr and "10.0.0.2:8080" or "0.0.0.0:8080"
    local ok, err, lok, lerr = try_bind(l, true, addr or nil)
    expect(ok, "bind " .. where .. " (" .. tostring(err) .. ")"):eq(true)
    expect(lok, "listen " .. where .. " (" .. tostring(lerr) .. ")"):truthy()
  end
end)

test("after TIME_WAIT ends, a bind without SO_REUSEADDR succeeds", function(net)
  local l = old_server(net, false)
  local ok, err = try_bind(l, false)
  expect(err):eq("in use")
  net:run("58s")                          -- 59 s after the close: still there
  ok, err = try_bind(l, false)
  expect(err, "59 s after the close"):eq("in use")
  net:run()                               -- TIME_WAIT over (60 s)
  expect(#tcp_sockets(l.h2)):eq(0)
  ok, err = try_bind(l, false)
  expect(ok, "bind after TIME_WAIT (" .. tostring(err) .. ")"):eq(true)
end)

test("control: the client closed first, the server can rebind at once", function(net)
  local l = lab(net)
  hello(net, l, "client")
  expect(#tcp_sockets(l.h2), "server sockets"):eq(0)
  expect(#tcp_sockets(l.h1, "TIME_WAIT"), "client TIME_WAIT"):eq(1)
  local ok, err = try_bind(l, false)
  expect(ok, "rebind (" .. tostring(err) .. ")"):eq(true)
end)

------------------------------------------------------------------------
-- the ephemeral port range
------------------------------------------------------------------------

test("ip_local_port_range of 4 ports: the 5th connect is \"address not available\"", function(net)
  local l = lab(net)
  l.h1:sysctl("net.ipv4.ip_local_port_range", {40000, 40003})
  l.h2:echo_server(7)
  local r = run_task(net, l.h1, function()
    local socks, ports = {}, {}
    for i = 1, 4 do
      local s, err = l.h1:connect(l.h2_ip, 7)
      expect(s, "connect " .. i .. " (" .. tostring(err) .. ")"):truthy()
      socks[i] = s
      local _, p = s:getsockname()
      ports[#ports + 1] = p
    end
    local s5, err5 = l.h1:connect(l.h2_ip, 7)
    -- closing one leaves it in TIME_WAIT: its port is still taken
    socks[1]:close()
    lunet.sleep("1s")
    local s6, err6 = l.h1:connect(l.h2_ip, 7)
    -- after TIME_WAIT (60 s) the port is free again
    lunet.sleep("60s")
    local s7, err7 = l.h1:connect(l.h2_ip, 7)
    local p7
    if s7 then p7 = select(2, s7:getsockname()) end
    for i = 2, 4 do socks[i]:close() end
    if s7 then s7:close() end
    return {ports = ports, s5 = s5, err5 = err5, s6 = s6, err6 = err6, s7 = s7, err7 = err7, p7 = p7}
  end)
  table.sort(r.ports)
  expect(r.ports, "the four ports of the range"):eq({40000, 40001, 40002, 40003})
  expect(r.s5):is_nil()
  expect(r.err5, "5th connect"):eq("address not available")
  expect(r.s6):is_nil()
  expect(r.err6, "connect while the freed port is in TIME_WAIT"):eq("address not available")
  expect(r.s7, "connect after TIME_WAIT (" .. tostring(r.err7) .. ")"):truthy()
  expect(r.p7, "the port that TIME_WAIT held"):within(40000, 40003)
end)
