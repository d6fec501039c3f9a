-- event_queries.lua - record(net) and its queries, and expect(sock):state
-- (issue 9, "Assertions over events").

local function pair(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms"})
  return h1, h2
end

test("the flags between two hosts, in order, and counts by field", function(net)
  local h1, h2 = pair(net)
  local log = record(net)
  local srv = h2:listen(80)
  local c, s
  h1:spawn(function() c = h1:connect("10.0.0.2", 80); c:send("x"); c:close() end)
  h2:spawn(function() s = srv:accept(); s:receive(1); lunet.sleep("10ms"); s:close() end)
  net:run("8ms")
  expect(s):state("CLOSE_WAIT")
  expect(function() expect(s):state("CLOSED") end):raises('to be in state "CLOSED" %(it is CLOSE_WAIT%)')
  net:run("1s")
  expect(log:flags(h1, h2)):eq{"S", "S.", ".", "P.", "F.", ".", "F.", "."}
  expect(log:flags("h1", "h2", {arrows = true})[2]):eq("h2 > h1 S.")
  expect(log:count{type = "tx", node = h2, flags = "F."}):eq(1)
  expect(log:count{type = "tx", proto = "tcp", where = function(e) return e.flags:find("R") end}):eq(0)
  expect(h1:sockets("tcp")[1].state):eq("TIME_WAIT")
  expect(function() expect(c):state("TIME_WAIT") end):raises("closed by the script")
  expect(function() expect(42):state("CLOSED") end):raises("to be a socket")
end)

test("frames dropped with reason backlog full, RSTs from a host", function(net)
  local h1, h2 = pair(net)
  h2:sysctl("net.ipv4.tcp_syncookies", 0)
  local srv = h2:listen(80, {backlog = 1})
  local log = record(net, "drop")
  local rsts = record(net, "tx")
  for i = 1, 4 do h1:spawn(function() h1:connect("10.0.0.2", 80, {timeout = "500ms"}) end) end
  h1:spawn(function() h1:connect("10.0.0.2", 81, {timeout = "500ms"}) end)     -- closed: RST
  net:run("2s")
  expect(log:count{reason = "backlog full"}):gt(0)
  expect(log:count{type = "tx"}, "a drop log holds drops only"):eq(0)
  expect(rsts:count{node = "h2", where = function(e) return e.flags and e.flags:find("R") ~= nil end}):eq(1)
  rsts:stop()
  local n = #rsts.events
  h1:spawn(function() h1:ping("10.0.0.2", {count = 1, quiet = true}) end)
  net:run("3s")
  expect(#rsts.events, "stopped logs keep what they had"):eq(n)
  srv:close()
end)
