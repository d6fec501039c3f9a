-- lunet.pd_udp - the system calls of a packetdrill script on UDP sockets
-- (SOCK_DGRAM), with Linux's answers: a datagram is read whole or cut to
-- the buffer (recvfrom), send() without a peer is EDESTADDRREQ, an ICMP
-- error for a connected socket is reported once (ECONNREFUSED), and poll
-- always finds room to write.  Calls return what lunet.pd_sys's do.

local M = {}

local function sys() return require "lunet.pd_sys" end

local function fail(name) return sys().fail(name) end
local function ok(n) return sys().ok(n) end
local function payload(call, bi, li) return sys().payload(call, bi, li) end

function M.bind(p, call, f)
  local ip, port = p:sockaddr(call, 2, p.cfg.local_ip, p.cfg.bind_port)
  local r, err = f.sock:bind(ip, port)
  if not r then return fail(sys().errno_of(err)) end
  p.on_udp(f)
  return ok()
end

function M.connect(p, call, f)
  local ip, port = p:sockaddr(call, 2, p.cfg.remote_ip, p.cfg.connect_port)
  local r, err = f.sock:connect(ip, port)
  if not r then return fail(sys().errno_of(err)) end
  f.peer = {ip, port}
  p.on_udp(f)
  return ok()
end

-- The engine reports a pending ICMP error through the send itself (and
-- clears it), as Linux's udp_sendmsg does with sk_err.
local function send_to(p, f, data, ip, port)
  local n, err
  if ip then n, err = f.sock:sendto(data, ip, port)
  else
    if not f.peer then return fail("EDESTADDRREQ") end
    n, err = f.sock:send(data)
  end
  if not n then return fail(sys().errno_of(err)) end
  p.on_udp(f)
  return ok(n)
end

function M.write(p, call, f) return send_to(p, f, payload(call, 2, 3)) end
function M.send(p, call, f) return send_to(p, f, payload(call, 2, 3)) end

function M.sendto(p, call, f)
  local data = payload(call, 2, 3)
  if not call.args[5] or call.args[5].k == "ellipsis" then
    if f.peer then return send_to(p, f, data) end
    return send_to(p, f, data, p.cfg.remote_ip, p.cfg.connect_port)
  end
  local ip, port = p:sockaddr(call, 5, p.cfg.remote_ip, p.cfg.connect_port)
  return send_to(p, f, data, ip, port)
end

local function recv(p, call, f, li)
  local len = sys().int_arg(call, li, "a length")
  local data, err = f.sock:try_receive(len)
  if data then return ok(#data) end
  if err == "would block" then
    if f.nonblock then return fail("EAGAIN") end
    return sys().WAIT
  end
  f.err_taken = err
  return fail(sys().errno_of(err))
end

function M.read(p, call, f) return recv(p, call, f, 3) end
function M.recv(p, call, f) return recv(p, call, f, 3) end
function M.recvfrom(p, call, f) return recv(p, call, f, 3) end

function M.close(p, call, f, n)
  p.fds[n] = nil
  f.sock:close()
  return ok()
end

-- poll(2)'s mask for a UDP socket (udp_poll, datagram_poll).
function M.poll_mask(f)
  local S = sys().SYM
  local pl = f.sock:poll()
  local m = S.POLLOUT | S.POLLWRNORM
  if pl.readable > 0 then m = m | S.POLLIN | S.POLLRDNORM end
  if pl.error and pl.error ~= f.err_taken then m = m | S.POLLERR end
  return m
end

function M.setsockopt(p, call, f, level, opt, v)
  local S = sys().SYM
  local names = {[S.SO_REUSEADDR] = "reuseaddr", [S.SO_BROADCAST] = "broadcast"}
  if level ~= S.SOL_SOCKET or not names[opt] then
    sys().unsupported("setsockopt level %d option %d on a UDP socket", level, opt)
  end
  if math.type(v) ~= "integer" then sys().bad("the option takes an integer value like [1]") end
  f.sock:setoption(names[opt], v ~= 0)
  return ok()
end

function M.take_error(f) return sys().take_error(f) end

return M
