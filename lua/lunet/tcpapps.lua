-- lunet.tcpapps - small TCP applications, installed as Node methods by
-- lunet.apps: echo and discard servers, a bulk sender and a sink that
-- report like iperf.  (HTTP is lunet.http's.)
--
-- All of them are plain tasks on the TcpSocket API of docs/lua-api.md; read
-- them as examples of it.  Servers return at once (they spawn their own
-- tasks); clients block, so they run inside a task (host:spawn).
--
--   srv = h:echo_server(port, opts)     -- opts: backlog, reuseaddr, linger,
--                                       -- addr ("::": IPv6 and IPv4)
--   srv = h:discard_server(port, opts)
--     srv = {port=, socket=, task=, connections=, bytes=, close=function}
--     linger = "200ms": wait that long after the peer's FIN before closing
--     (to show the four-segment close; Linux merges the ACK into the FIN
--     when the application closes within the delayed-ACK time)
--   r = h:bulk_send(dst, port, {bytes=1e6, data=nil|string, timeout=,
--                               nodelay=, quiet=})
--     connects, sends `bytes` (the repeated `data`, or the stack's
--     generated pattern: byte i of the stream is i % 256), shuts down its
--     side and waits for the receiver to close.  r = {bytes=, seconds=,
--     bps=, retrans=, info=<final TcpSocket:info()>}
--   r = h:sink(port, {connections=1, timeout=, quiet=, addr=})
--     accepts `connections` connections one after the other, reads each to
--     EOF, closes it.  r = {bytes=, seconds= (first accept to last EOF),
--     bps=, hash= (CRC-64 of every byte, in order: lunet.hash), conns={...}}

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}

local check_opts = require("lunet.util").check_opts

local function check_port(fname, port)
  if math.type(port) ~= "integer" or port < 1 or port > 65535 then
    error(string.format("%s: port must be an integer in 1..65535, got %s", fname, tostring(port)), 3)
  end
end

local dst_string = require("lunet.util").dst_string

local function in_task(fname)
  local _, main = coroutine.running()
  if main or not coroutine.isyieldable() then
    error(fname .. ": not inside a task (use host:spawn)", 3)
  end
end

-- "1.23 MBytes", like iperf (binary prefixes for bytes, decimal for bits).
local function fmt_bytes(n)
  if n >= 1024 * 1024 then return string.format("%.2f MBytes", n / 1048576) end
  if n >= 1024 then return string.format("%.1f KBytes", n / 1024) end
  return string.format("%d Bytes", n)
end
local function fmt_bps(b)
  if b >= 1e9 then return string.format("%.2f Gbits/sec", b / 1e9) end
  if b >= 1e6 then return string.format("%.2f Mbits/sec", b / 1e6) end
  if b >= 1e3 then return string.format("%.2f Kbits/sec", b / 1e3) end
  return string.format("%.0f bits/sec", b)
end
M.fmt_bytes, M.fmt_bps = fmt_bytes, fmt_bps

------------------------------------------------------------------------
-- servers
------------------------------------------------------------------------

local SERVER_OPTS = {backlog = true, reuseaddr = true, linger = true, addr = true}

-- A listening socket and an accept loop; serve(conn, srv) runs in its own
-- task per connection.
local function server(h, fname, port, opts, serve)
  check_port(fname, port)
  opts = check_opts(fname, opts, SERVER_OPTS)
  local lsock, err = h:listen(port, {backlog = opts.backlog, reuseaddr = opts.reuseaddr,
                                     addr = opts.addr})
  if not lsock then return nil, err end
  local srv = {port = port, socket = lsock, connections = 0, bytes = 0}
  function srv.close() lsock:close() end
  srv.task = h:spawn(function()
    while true do
      local c = lsock:accept()
      if not c then break end                      -- listener closed
      srv.connections = srv.connections + 1
      h:spawn(function()
        serve(c, srv)
        if opts.linger then lunet.sleep(opts.linger) end
        c:close()
      end)
    end
  end)
  return srv
end

function M.echo_server(h, port, opts)
  return server(h, "echo_server", port, opts, function(c, srv)
    while true do
      local d = c:receive()
      if not d then break end
      srv.bytes = srv.bytes + #d
      if not c:send(d) then break end
    end
  end)
end

function M.discard_server(h, port, opts)
  return server(h, "discard_server", port, opts, function(c, srv)
    while true do
      local d = c:receive()
      if not d then break end
      srv.bytes = srv.bytes + #d
    end
  end)
end

------------------------------------------------------------------------
-- bulk transfer
------------------------------------------------------------------------

local BULK_OPTS = {bytes = true, data = true, timeout = true, nodelay = true, quiet = true,
                   chunk = true}

function M.bulk_send(h, dst, port, opts)
  local F = "bulk_send"
  dst = dst_string(F, dst)
  check_port(F, port)
  opts = check_opts(F, opts, BULK_OPTS)
  in_task(F)
  local bytes = opts.bytes or 1000000
  bytes = math.tointeger(bytes)
  if not bytes or bytes < 0 then error(F .. ": bytes must be a non-negative integer", 2) end
  if opts.data ~= nil and (type(opts.data) ~= "string" or #opts.data == 0) then
    error(F .. ": data must be a non-empty string", 2)
  end
  local out = opts.quiet and function() end or print
  local s, err = h:connect(dst, port, {timeout = opts.timeout, nodelay = opts.nodelay})
  if not s then return nil, err end
  local t0 = lunet.now()
  local left = bytes
  local chunk = opts.chunk or 65536
  -- the data repeated past a chunk from any phase, so that each chunk is
  -- one substring of it; without data, s:send(n) queues the stack's
  -- generated pattern and no string is made at all
  local d = opts.data
  local reps = d and d:rep((chunk + #d) // #d + 1)
  while left > 0 do
    local n = math.min(left, chunk)
    local piece = n
    if d then
      local off = (bytes - left) % #d
      piece = reps:sub(off + 1, off + n)
    end
    local ok, serr = s:send(piece)
    if not ok then
      s:close()
      return nil, serr
    end
    left = left - n
  end
  s:shutdown("send")
  -- the receiver closes once it has read everything: then it is all there
  s:receive("*a")
  local t1 = lunet.now()
  local info = s:info()
  s:close()
  local secs = (t1 - t0) / 1e9
  local r = {bytes = bytes, seconds = secs, bps = secs > 0 and bytes * 8 / secs or 0,
             retrans = info and info.total_retrans or 0, info = info}
  -- an IPv6 address in brackets, as iperf3 and ss show it
  local ep = dst:find(":", 1, true) and "[" .. dst .. "]" or dst
  out(string.format("[bulk_send] %s:%d  0.00-%.2f sec  %s  %s  %d retrans", ep, port, secs,
                    fmt_bytes(bytes), fmt_bps(r.bps), r.retrans))
  return r
end

local SINK_OPTS = {connections = true, timeout = true, quiet = true, backlog = true, reuseaddr = true,
                   addr = true}

function M.sink(h, port, opts)
  local F = "sink"
  check_port(F, port)
  opts = check_opts(F, opts, SINK_OPTS)
  in_task(F)
  local out = opts.quiet and function() end or print
  local n = opts.connections or 1
  local l, err = h:listen(port, {backlog = opts.backlog, reuseaddr = opts.reuseaddr, addr = opts.addr})
  if not l then return nil, err end
  local r = {bytes = 0, conns = {}}
  local first, last
  local hash
  for i = 1, n do
    local c, aerr = l:accept({timeout = opts.timeout})
    if not c then
      l:close()
      return nil, aerr
    end
    local t0 = lunet.now()
    first = first or t0
    -- to EOF (or a reset: then what came before it), counted and hashed
    -- in C, without a string per segment
    local cb, ch, eb, eh = c:drain()
    if not cb then cb, ch = eb, eh end
    -- the whole stream's hash: this connection's after the ones before
    hash = lunet.hash_combine(hash or 0, ch, cb)
    local t1 = lunet.now()
    last = t1
    c:close()
    local secs = (t1 - t0) / 1e9
    r.conns[i] = {bytes = cb, seconds = secs, bps = secs > 0 and cb * 8 / secs or 0, hash = ch}
    r.bytes = r.bytes + cb
    out(string.format("[sink] :%d  0.00-%.2f sec  %s  %s", port, secs, fmt_bytes(cb),
                      fmt_bps(r.conns[i].bps)))
  end
  l:close()
  r.seconds = ((last or 0) - (first or 0)) / 1e9
  r.bps = r.seconds > 0 and r.bytes * 8 / r.seconds or 0
  r.hash = hash or lunet.hash("")
  return r
end

return M
