-- common.lua - what the interop scripts share (issue 14):
--   local it = dofile(here .. "common.lua")
--
-- The drivers (tests/interop/*.sh, through lib.sh) run each script as
--   lunet run --realtime SCRIPT dir=TMP tap=lt0 [key=value...]
-- inside a network namespace of their own.  The script bridges its
-- network to the TAP device (the Linux side, 10.77.0.1/24), writes
-- dir/ready from its first task, may wait for dir/go (the driver has
-- something running on the Linux side: a capture, a server), asserts what
-- lunet sees with expect(), and prints "key=value" lines that the driver
-- reads back.
--
--   it.args                        key=value arguments, as strings
--   it.num(k, default)             one as a number
--   it.bridge(net, target, opts)   net:bridge with the TAP from the args
--   it.ready()                     from a task: tell the driver we run
--   it.wait_go([timeout])          from a task: until the driver says go
--   it.wait_file(path, [timeout])  from a task: until the file exists
--   it.read(path), it.write(path, data)
--   it.report(k, v, ...)           print "k=v k=v ..." on one line
--   it.recv_all(sock, [path])      read to EOF: bytes, lunet.hash, err;
--                                  the bytes go to path when given
--   it.send_file(sock, path)       send a file's bytes: count
--   it.run(net, limit)             run until a task calls net:stop(), or
--                                  `limit` of wall time (an error)
local M = {}

io.stdout:setvbuf("line")              -- the driver reads our output as it comes

M.args = {}
for _, a in ipairs(lunet.args) do
  local k, v = a:match("^([%w_]+)=(.*)$")
  if k then M.args[k] = v end
end
M.dir = assert(M.args.dir, "dir=DIR missing (run by tests/interop/*.sh)")
M.tap = M.args.tap or "lt0"
M.LINUX = "10.77.0.1"                  -- the TAP's address: the namespace's stack

function M.num(k, default)
  local v = M.args[k]
  return v and assert(tonumber(v), k .. "=" .. v .. ": not a number") or default
end

function M.bridge(net, target, opts)
  local o = {tap = M.tap, tap_ip = M.LINUX .. "/24"}
  for k, v in pairs(opts or {}) do o[k] = v end
  return net:bridge(target, o)
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local d = f:read("a")
  f:close()
  return d
end

function M.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

function M.ready() M.write(M.dir .. "/ready", "") end

-- Polled every 20 ms of virtual time, which is wall time here.
function M.wait_file(path, timeout)
  local deadline = lunet.now() + lunet.time(timeout or "20s")
  while lunet.now() < deadline do
    local f = io.open(path, "rb")
    if f then f:close(); return true end
    lunet.sleep("20ms")
  end
  error("no " .. path .. " after " .. tostring(timeout or "20s"), 2)
end

function M.wait_go(timeout) return M.wait_file(M.dir .. "/go", timeout) end

function M.report(...)
  local t = table.pack(...)
  local parts = {}
  for i = 1, t.n, 2 do parts[#parts + 1] = tostring(t[i]) .. "=" .. tostring(t[i + 1]) end
  print(table.concat(parts, " "))
end

-- Everything the peer sends until its FIN: the byte count, the CRC-64
-- hash (lunet.hash) and the error that ended it ("closed" at a clean EOF).
function M.recv_all(sock, path, opts)
  local f = path and assert(io.open(path, "wb"))
  local n, h = 0, nil
  local err
  while true do
    local d, e = sock:receive(opts)
    if not d then err = e; break end
    n = n + #d
    h = lunet.hash(d, h)
    if f then f:write(d) end
  end
  if f then f:close() end
  return n, h, err
end

function M.send_file(sock, path)
  local data = M.read(path)
  local n, err = sock:send(data)
  assert(n, "send: " .. tostring(err))
  return n
end

-- net:run until a task stops it.  A bridged run goes by the wall clock,
-- so `limit` is wall time too: reaching it means something hung.
function M.run(net, limit)
  local t0 = net:now()
  net:run(limit or "40s")
  if net:now() - t0 >= lunet.time(limit or "40s") then
    error("the scenario did not finish within " .. (limit or "40s"), 0)
  end
end

return M
