-- http.lua - lunet.http's HTTP/1.1: persistent connections, chunked
-- responses, HEAD, Host, the error statuses a request parser with bounds
-- gives, HTTP/1.0, and Wireshark's HTTP dissector reading it all.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")

local function lab(net, opts)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  opts = opts or {}
  if not opts.handler and not opts.routes then
    opts.routes = {
      ["/"] = "index\n",
      ["/big"] = string.rep("0123456789", 1000),
      ["/echo"] = function(req) return req.method .. " " .. req.body, 201, {["X-Len"] = #req.body} end,
    }
  end
  l.srv = assert(l.h2:http_server(80, opts))
  return l
end

-- One raw exchange: send `req` on a new connection, read until the server
-- closes (or 1 s passes), return what came back.
local function raw(l, req)
  local c = assert(l.h1:connect(l.h2_ip, 80))
  c:send(req)
  local got = {}
  while true do
    local d = c:receive({timeout = "1s"})
    if not d then break end
    got[#got + 1] = d
  end
  c:close()
  return table.concat(got)
end

test("keep-alive: three requests on one connection, then the client closes", function(net)
  local l = lab(net)
  local r = run_task(net, l.h1, function()
    local c = assert(l.h1:http_connect(l.h2_ip, 80))
    local o = {}
    o[1] = {c:request("GET", "/")}
    o[2] = {c:request("POST", "/echo", {body = "abc"})}
    o[3] = {c:request("GET", "/missing")}
    c:close()
    lunet.sleep("10ms")
    return o
  end)
  expect(r[1][1]):eq("index\n")
  expect(r[1][3]["connection"]):eq("keep-alive")
  expect(r[1][3]["content-length"]):eq("6")
  expect(r[2][1]):eq("POST abc")
  expect(r[2][2]):eq(201)
  expect(r[2][3]["x-len"]):eq("3")
  expect(r[3][2]):eq(404)
  expect(l.srv.connections):eq(1)
  expect(l.srv.requests):eq(3)
end)

test("an idle persistent connection is closed after keepalive_timeout", function(net)
  local l = lab(net, {keepalive_timeout = "2s", handler = function() return "hello\n" end})
  local r = run_task(net, l.h1, function()
    local c = assert(l.h1:http_connect(l.h2_ip, 80))
    local body = c:request("GET", "/")
    local t0 = lunet.now()
    local d, err = c.sock:receive({timeout = "10s"})
    return {body, d, err, lunet.now() - t0}
  end)
  expect(r[1]):eq("hello\n")
  expect(r[3]):eq("closed")
  -- 2 s from the server's last send; the response and the FIN both take
  -- the link's 1 ms
  expect(r[4]):within(1990000000, 2000000000)
end)

test("chunked responses: a string in chunk_size pieces, a list one chunk each", function(net)
  local l = lab(net, {chunked = true, chunk_size = 4000, routes = {
    ["/big"] = string.rep("x", 10000),
    ["/list"] = function() return {"first,", "second,", "third"} end,
  }})
  local r = run_task(net, l.h1, function()
    local o = {}
    o.big = {l.h1:http_get(l.h2_ip, 80, "/big")}
    o.list = {l.h1:http_get(l.h2_ip, 80, "/list")}
    o.raw = raw(l, "GET /list HTTP/1.1\r\nHost: h2\r\nConnection: close\r\n\r\n")
    -- an HTTP/1.0 client cannot read chunks: Content-Length for it
    o.old = raw(l, "GET /list HTTP/1.0\r\n\r\n")
    return o
  end)
  expect(#r.big[1]):eq(10000)
  expect(r.big[3]["transfer-encoding"]):eq("chunked")
  expect(r.list[1]):eq("first,second,third")
  expect(r.raw:find("\r\n\r\n6\r\nfirst,\r\n7\r\nsecond,\r\n5\r\nthird\r\n0\r\n\r\n$")):truthy()
  expect(r.old:find("^HTTP/1.1 200 OK\r\nContent%-Length: 18\r\nConnection: close\r\n")):truthy()
end)

test("HEAD: the GET's headers, no body", function(net)
  local l = lab(net)
  local r = run_task(net, l.h1, function()
    local o = {l.h1:http_get(l.h2_ip, 80, "/big", {method = "HEAD"})}
    o[4] = raw(l, "HEAD /big HTTP/1.1\r\nHost: h2\r\nConnection: close\r\n\r\n")
    return o
  end)
  expect(r[1]):eq("")
  expect(r[2]):eq(200)
  expect(r[3]["content-length"]):eq("10000")
  expect(r[4]:sub(-4)):eq("\r\n\r\n")         -- nothing after the head
end)

test("bad requests: 400, 414, 431, 505, 501, and the connection closes", function(net)
  local l = lab(net, {max_header = 1024})
  local r = run_task(net, l.h1, function()
    return {
      raw(l, "GARBAGE\r\n\r\n"),
      raw(l, "GET / HTTP/1.1\r\n\r\n"),                             -- no Host
      raw(l, "GET /" .. string.rep("a", 2000) .. " HTTP/1.1\r\n\r\n"),
      raw(l, "GET / HTTP/1.1\r\nHost: h2\r\nX-Big: " .. string.rep("b", 2000) .. "\r\n\r\n"),
      raw(l, "GET / HTTP/2.0\r\nHost: h2\r\n\r\n"),
      raw(l, "POST /echo HTTP/1.1\r\nHost: h2\r\nTransfer-Encoding: gzip\r\n\r\n"),
      raw(l, "GET / HTTP/1.1\r\nHost : h2\r\n\r\n"),                -- space before the colon
      raw(l, "POST /echo HTTP/1.1\r\nHost: h2\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
      raw(l, "POST /echo HTTP/1.1\r\nHost: h2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" ..
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
      raw(l, "POST /echo HTTP/1.1\r\nHost: h2\r\nExpect: 100-continue\r\nContent-Length: 2\r\n" ..
             "Connection: close\r\n\r\nhi"),
      raw(l, "POST /echo HTTP/1.1\r\nHost: h2\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n"),
    }
  end)
  local function status(s) return tonumber(s:match("^HTTP/1%.1 (%d+)")) end
  expect(status(r[1])):eq(400)
  expect(status(r[2])):eq(400)
  expect(r[2]:find("Connection: close", 1, true)):truthy()
  expect(status(r[3])):eq(414)
  expect(status(r[4])):eq(431)
  expect(status(r[5])):eq(505)
  expect(status(r[6])):eq(501)
  expect(status(r[7])):eq(400)
  expect(status(r[8])):eq(400)
  expect(status(r[9])):eq(201)                      -- a chunked request body is read
  expect(r[9]:find("POST abcde$")):truthy()
  expect(r[10]:find("^HTTP/1%.1 100 Continue\r\n\r\nHTTP/1%.1 201 Created\r\n")):truthy()
  expect(status(r[11])):eq(400)                     -- "3 x": not a chunk size
  expect(l.srv.errors["no Host field"]):eq(1)
  expect(l.srv.errors["header section too large"]):eq(1)
end)

test("http_server and http_get check their arguments", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  expect(function() l.h2:http_server(80, {handler = print, routes = {}}) end):raises("not both")
  expect(function() l.h2:http_server(80, {chunk_size = 0}) end):raises("chunk_size: must be an integer >= 1")
  expect(function() l.h1:http_get(l.h2_ip, 80, "/", {method = "PUT"}) end):raises('method must be "GET" or "HEAD"')
  expect(function() l.h1:http_connect(l.h2_ip, 80) end):raises("http_connect: not inside a task")
end)

test("tshark's HTTP dissector: every request and response, nothing malformed", function(net)
  if not ts.have() then skip("tshark not installed") end
  local l = lab(net, {chunked = true, routes = {["/"] = "index\n", ["/big"] = string.rep("y", 9000)}})
  local path = os.tmpname()
  local cap = net:capture{iface = l.h1:iface("eth0"), file = path}
  run_task(net, l.h1, function()
    local c = assert(l.h1:http_connect(l.h2_ip, 80))
    c:request("GET", "/")
    c:request("GET", "/big")
    c:request("HEAD", "/")
    c:request("GET", "/nowhere")
    c:close()
    l.h1:http_get(l.h2_ip, 80, "/big")
    lunet.sleep("100ms")
  end)
  cap:close()
  local out = ts.sh(string.format("tshark -r %s -Y http -T fields -E occurrence=f -e http.request.method " ..
                                  "-e http.response.code -e http.transfer_encoding 2>/dev/null", ts.q(path)))
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
  expect(table.concat(lines, "|")):eq(
    "GET\t\t|\t200\tchunked|GET\t\t|\t200\tchunked|HEAD\t\t|\t200\tchunked|GET\t\t|\t404\tchunked|" ..
    "GET\t\t|\t200\tchunked")
  local flagged = ts.sh(string.format("tshark -r %s -Y %s 2>/dev/null", ts.q(path),
                                      ts.q('_ws.malformed or _ws.expert.severity >= "warning"')))
  expect(flagged):eq("")
  os.remove(path)
end)
