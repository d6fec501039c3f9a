-- tests/golden/cases.lua - small pictures whose exact bytes are kept in
-- tests/golden/*.svg: a change in drawing shows up as a diff to review.
-- tests/scenarios/golden.lua compares; `make gallery` draws the README's
-- pictures (docs/gallery) from the same cases.
--
-- Returns an array of {name=, draw=function() return svg_string end,
-- gallery = path under the repository root, for the README's pictures}.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local conv = dofile(here .. "../lib/conversation.lua")
local ladder = require "lunet.ladder"
local trace = require "lunet.trace"
local tp = require "lunet.tcpplots"
local timeline = require "lunet.timeline"

-- A network of its own (seed 1): client 10.0.0.1 and server 10.0.0.2 on
-- one link with the options `link`.  Returns net, client, server, link.
local function pair(name, link)
  local net = lunet.net{seed = 1, name = name}
  local client, server = net:host("client"), net:host("server")
  link.ip = {"10.0.0.1/24", "10.0.0.2/24"}
  return net, client, server, net:link(client, server, link)
end

-- The client of the echo pictures: a line out, its echo back, close;
-- connected() runs as soon as connect returns.
local function hello(client, connected)
  local s = assert(client:connect("10.0.0.2", 80))
  if connected then connected() end
  s:send("hello\n")
  s:receive("*l")
  s:close()
end

-- The textbook conversation of scripts/handshake.lua: ISNs 1000 and 2000,
-- one line echoed, the server closing 200 ms after the client.
local function handshake()
  local net, client, server = pair("handshake", {bandwidth = "10Mbps", delay = "5ms"})
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local listener = assert(server:listen(80))
  local lad = ladder.new(net, {hosts = {client, server}, ports = {80}})
  local tr = trace.new(net, {ports = {80}})
  server:spawn(function()
    local c = listener:accept()
    c:send(c:receive("*l") .. "\n")
    c:receive()
    lad:note("server app: read EOF, closes 200ms later")
    lunet.sleep("200ms")
    c:close()
  end)
  client:spawn(function()
    hello(client, function() lad:note("client app: connect() returned") end)
  end)
  net:run()
  listener:close()
  return lad, tr, net
end

-- 300 kB through a 2 Mbit/s link with an 8-frame queue: slow start,
-- overflow, SACK recovery.
local function bulk()
  local net, client, server = pair("bulk", {bandwidth = "2Mbps", delay = "5ms", queue = 8})
  local listener = assert(server:listen(80))
  local tr = trace.new(net, {queues = true})
  server:spawn(function() conv.sink(listener) end)
  client:spawn(function() conv.send(client, "10.0.0.2", 300000) end)
  net:run()
  listener:close()
  return tr, net
end

-- One data segment lost on the wire, repaired by the RTO.
local function loss()
  local net, client, server, l = pair("loss", {bandwidth = "10Mbps", delay = "5ms"})
  conv.lose_first_data(net, l, "client")
  local listener = assert(server:listen(80))
  local lad = ladder.new(net, {hosts = {client, server}, relative = true, win = true})
  server:spawn(function()
    local c = listener:accept()
    c:send(c:receive("*l"):upper() .. "\n")
    c:receive()
    c:close()
  end)
  client:spawn(function() hello(client) end)
  net:run()
  listener:close()
  return lad, net
end

return {
  {name = "ladder_handshake", gallery = "docs/gallery/handshake-ladder.svg", draw = function()
    local lad, _, net = handshake()
    local doc = lad:svg({title = "TCP: three-way handshake, data, four-way close"})
    net:close()
    return doc
  end},
  {name = "timeline_handshake", draw = function()
    local _, tr, net = handshake()
    local doc = timeline.svg(tr.conns[1])
    net:close()
    return doc
  end},
  {name = "ladder_loss", draw = function()
    local lad, net = loss()
    local doc = lad:svg()
    net:close()
    return doc
  end},
  {name = "plot_cwnd", gallery = "docs/gallery/cwnd.svg", draw = function()
    local tr, net = bulk()
    local doc = tp.cwnd(tr.conns[1], "a"):svg()
    net:close()
    return doc
  end},
  {name = "plot_tsg", gallery = "docs/gallery/tcptrace.svg", draw = function()
    local tr, net = bulk()
    -- the first 350 ms: slow start, the queue overflowing, SACK recovery
    local doc = tp.tsg(tr.conns[1], "a", {t1 = 350000000}):svg()
    net:close()
    return doc
  end},
}
