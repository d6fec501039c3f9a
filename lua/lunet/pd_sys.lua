-- lunet.pd_sys - the system calls of a packetdrill script, on a virtual
-- host's TCP sockets, with the file descriptors, errno values and
-- blocking rules a Linux process sees.
--
-- A call is tried at its event's time.  One that cannot finish at once on
-- a blocking descriptor returns WAIT; the runner tries it again after
-- every event of the simulation until it finishes, and the time it
-- finished is the call's end time (the "..." form of a script says when
-- that must be).  Each call returns {ret = n, errno = "EAGAIN"} or WAIT.
--
-- Linux's answers are kept where the RFCs leave them open: a second
-- connect() after a non-blocking one completed returns 0 once, then
-- EISCONN (inet_stream_connect); write() before the connection is up waits
-- for it, and fails with EPIPE on a socket that is not connecting
-- (sk_stream_wait_connect); a pending error (SO_ERROR) is returned once,
-- by the next call that reports errors, and then cleared (sock_error).

local M = {}

M.WAIT = setmetatable({}, {__tostring = function() return "WAIT" end})
local WAIT = M.WAIT

-- Linux's numbers for the symbols scripts use.
local SYM = {
  AF_INET = 2, AF_INET6 = 10, AF_UNSPEC = 0, PF_INET = 2,
  SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000,
  IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMP = 1, IPPROTO_IPV6 = 41,
  SOL_SOCKET = 1, SOL_TCP = 6, SOL_IP = 0, SOL_UDP = 17,
  SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5, SO_BROADCAST = 6,
  SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_LINGER = 13,
  SO_REUSEPORT = 15, SO_RCVLOWAT = 18, SO_SNDLOWAT = 19, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21,
  SO_TIMESTAMP = 29, SO_MAX_PACING_RATE = 47, SO_ZEROCOPY = 60, SO_TIMESTAMPING = 37,
  TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_CORK = 3, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5,
  TCP_KEEPCNT = 6, TCP_SYNCNT = 7, TCP_LINGER2 = 8, TCP_DEFER_ACCEPT = 9, TCP_WINDOW_CLAMP = 10,
  TCP_INFO = 11, TCP_QUICKACK = 12, TCP_CONGESTION = 13, TCP_MD5SIG = 14, TCP_THIN_LINEAR_TIMEOUTS = 16,
  TCP_USER_TIMEOUT = 18, TCP_REPAIR = 19, TCP_FASTOPEN = 23, TCP_TIMESTAMP = 24,
  TCP_NOTSENT_LOWAT = 25, TCP_SAVE_SYN = 27, TCP_FASTOPEN_CONNECT = 30, TCP_ZEROCOPY_RECEIVE = 35,
  TCP_INQ = 36, TCP_TX_DELAY = 37,
  SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2,
  F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4,
  O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0x800,
  POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20,
  POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000,
  MSG_OOB = 1, MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000,
  MSG_MORE = 0x8000, MSG_ZEROCOPY = 0x4000000, MSG_FASTOPEN = 0x20000000, MSG_ERRQUEUE = 0x2000,
  TCP_CA_Open = 0, TCP_CA_Disorder = 1, TCP_CA_CWR = 2, TCP_CA_Recovery = 3, TCP_CA_Loss = 4,
  INADDR_ANY = 0,
}
M.SYM = SYM

-- Linux's errno numbers, and the engine's words (ln_strerror) mapped on them.
local ERRNO = {
  EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, EWOULDBLOCK = 11, ENOMEM = 12,
  EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, EPIPE = 32,
  ENOPROTOOPT = 92, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRINUSE = 98,
  EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101, ECONNABORTED = 103, ECONNRESET = 104,
  ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111,
  EHOSTUNREACH = 113, EALREADY = 114, EINPROGRESS = 115, EMSGSIZE = 90, EPROTO = 71,
  EDESTADDRREQ = 89, ENOTSOCK = 88,
}
M.ERRNO = ERRNO

local WORD = {
  ["would block"] = "EAGAIN", refused = "ECONNREFUSED", timeout = "ETIMEDOUT",
  reset = "ECONNRESET", ["not connected"] = "ENOTCONN", ["host unreachable"] = "EHOSTUNREACH",
  unreachable = "ENETUNREACH", ["in use"] = "EADDRINUSE", ["address not available"] = "EADDRNOTAVAIL",
  ["invalid argument"] = "EINVAL", ["message too long"] = "EMSGSIZE", ["no buffer space"] = "ENOBUFS",
  closed = "EPIPE", ["network down"] = "ENETDOWN", ["protocol error"] = "EPROTO",
  ["not found"] = "ENOENT", ["out of memory"] = "ENOMEM", busy = "EBUSY", exists = "EEXIST",
  ["no such device"] = "ENODEV",
}
local function errno_of(word) return WORD[word] or "EIO" end
M.errno_of = errno_of

local function fail(name) return {ret = -1, errno = name} end
local function ok(n) return {ret = n or 0} end
M.fail, M.ok = fail, ok

-- What lunet does not model skips the script; every other error in a
-- call is the script's (lunet.pd_err).
local unsupported, bad = require("lunet.pd_err").unsupported, require("lunet.pd_err").bad
M.unsupported, M.bad = unsupported, bad

-- ---- values of expressions -------------------------------------------------------

local function value(e)
  if e.k == "num" or e.k == "str" then return e.v end
  if e.k == "sym" then
    local v = SYM[e.v] or ERRNO[e.v]
    if v == nil then unsupported("symbol %s", e.v) end
    return v
  end
  if e.k == "or" then return value(e.a) | value(e.b) end
  if e.k == "call" then
    if (e.name == "htons" or e.name == "htonl" or e.name == "ntohs") and #e.args == 1 then
      return value(e.args[1])
    end
    if e.name == "inet_addr" and #e.args == 1 then return value(e.args[1]) end
    unsupported("function %s() in an argument", e.name)
  end
  if e.k == "ellipsis" then return nil end
  if e.k == "list" then
    local t = {}
    for i, x in ipairs(e.v) do t[i] = value(x) end
    return t
  end
  if e.k == "struct" then
    local t = {}
    for _, f in ipairs(e.v) do
      if f.value.k ~= "ellipsis" or type(f.name) == "string" then t[f.name] = value(f.value) end
    end
    return t
  end
  bad("cannot use this value here")
end
M.value = value

local function int_arg(call, i, what)
  return M.int_arg(call, i, what)
end

function M.int_arg(call, i, what)
  local e = call.args[i]
  if not e then bad("%s() needs %s as argument %d", call.name, what, i) end
  local v = value(e)
  if math.type(v) ~= "integer" then bad("%s(): argument %d (%s) must be an integer", call.name, i, what) end
  return v
end

-- The single integer inside [N] (setsockopt's optval), or a plain N.
local function optval(call, i)
  local e = call.args[i]
  local v = e and value(e)
  if type(v) == "table" and #v == 1 then v = v[1] end
  return v
end

-- ---- the process: its descriptors ---------------------------------------------------

local Proc = {}
Proc.__index = Proc

-- cfg: {host =, local_ip =, remote_ip =, bind_port =, connect_port =}
function M.new(cfg)
  return setmetatable({cfg = cfg, fds = {}}, Proc)
end

function Proc:fd(call, i)
  local n = int_arg(call, i or 1, "a file descriptor")
  local f = self.fds[n]
  return f, n
end

-- The descriptor number for a new socket: the one the script expects (as
-- packetdrill maps script descriptors to live ones), else the lowest free.
function Proc:alloc(want)
  if math.type(want) == "integer" and want >= 0 and not self.fds[want] then return want end
  local n = 3
  while self.fds[n] do n = n + 1 end
  return n
end

-- Take the socket's pending error, once (SO_ERROR, sock_error).
local function take_error(f)
  local p = f.sock:poll()
  if p.error and p.error ~= f.err_taken then
    f.err_taken = p.error
    return errno_of(p.error)
  end
end

-- The address argument: ... means the script's usual peer (connect) or
-- the host's own address (bind); a sockaddr struct says it.
function Proc:sockaddr(call, i, default_ip, default_port)
  local e = call.args[i]
  if not e or e.k == "ellipsis" then return default_ip, default_port end
  local sa = value(e)
  if type(sa) ~= "table" then bad("%s(): argument %d must be ... or a sockaddr", call.name, i) end
  if sa.sa_family and sa.sa_family ~= SYM.AF_INET then unsupported("address family %s", tostring(sa.sa_family)) end
  local ip = sa.sin_addr or default_ip
  if type(ip) == "number" then ip = string.format("%d.%d.%d.%d", ip >> 24 & 255, ip >> 16 & 255, ip >> 8 & 255, ip & 255) end
  return ip, sa.sin_port or default_port
end

-- ---- the calls ------------------------------------------------------------------

local calls = {}

-- A call on a descriptor: EBADF unless it is open.
local function on_fd(fn)
  return function(p, call, want)
    local f, n = p:fd(call)
    if not f then return fail("EBADF") end
    return fn(p, call, f, n, want)
  end
end

function calls.socket(p, call, want)
  local domain = call.args[1] and value(call.args[1])
  local ty = int_arg(call, 2, "a socket type")
  if domain == SYM.AF_INET6 then unsupported("IPv6 sockets (AF_INET6)") end
  if domain ~= nil and domain ~= SYM.AF_INET then return fail("EAFNOSUPPORT") end
  local base = ty & ~(SYM.SOCK_NONBLOCK | SYM.SOCK_CLOEXEC)
  if base ~= SYM.SOCK_STREAM and base ~= SYM.SOCK_DGRAM then unsupported("socket type %d", base) end
  local n = p:alloc(want)
  local udp = base == SYM.SOCK_DGRAM
  p.fds[n] = {sock = udp and p.cfg.host:udp() or p.cfg.host:tcp(), kind = udp and "udp" or "tcp",
              nonblock = (ty & SYM.SOCK_NONBLOCK) ~= 0, n = n}
  return ok(n)
end

calls.bind = on_fd(function(p, call, f, n)
  local ip, port = p:sockaddr(call, 2, p.cfg.local_ip, p.cfg.bind_port)
  local r, err = f.sock:bind(ip, port)
  if not r then return fail(errno_of(err)) end
  return ok()
end)

calls.listen = on_fd(function(p, call, f, n)
  local backlog = int_arg(call, 2, "the backlog")
  local st = f.sock:state()
  if st ~= "CLOSED" and st ~= "LISTEN" then return fail("EINVAL") end
  local r, err = f.sock:listen(math.max(0, backlog))
  if not r then return fail(errno_of(err)) end
  f.listening = true
  p.on_listen(f)
  return ok()
end)

calls.accept = on_fd(function(p, call, f, _, want)
  if not f.listening then return fail("EINVAL") end
  local c, err = f.sock:try_accept()
  if not c then
    if err == "would block" and not f.nonblock then return WAIT end
    return fail(errno_of(err))
  end
  local n = p:alloc(want)
  p.fds[n] = {sock = c, nonblock = false, n = n, connected = true}
  p.on_accept(p.fds[n])
  return ok(n)
end)
calls.accept4 = calls.accept

local SYNCED = {ESTABLISHED = true, FIN_WAIT_1 = true, FIN_WAIT_2 = true, CLOSE_WAIT = true,
                CLOSING = true, LAST_ACK = true, TIME_WAIT = true}
M.SYNCED = SYNCED

calls.connect = on_fd(function(p, call, f, n)
  local st = f.sock:state()
  if f.connecting then
    if st == "SYN_SENT" or st == "SYN_RCVD" then
      if f.nonblock then return fail("EALREADY") end
      return WAIT
    end
    f.connecting = false
    if SYNCED[st] then f.connected = true; return ok() end
    return fail(take_error(f) or "ECONNABORTED")
  end
  if f.connected or SYNCED[st] then return fail("EISCONN") end
  if f.listening then return fail("EISCONN") end
  local ip, port = p:sockaddr(call, 2, p.cfg.remote_ip, p.cfg.connect_port)
  p.on_connect(f)
  local r, err = f.sock:try_connect(ip, port)
  if not r then return fail(errno_of(err)) end
  f.connecting = true
  if f.nonblock then return fail("EINPROGRESS") end
  return WAIT
end)

-- Bytes of the buffer argument: ... is zeros (as packetdrill's buffers
-- are), a string is itself.
local function payload(call, bi, li)
  local e = call.args[bi]
  local len = int_arg(call, li, "a length")
  if e and e.k == "str" then return e.v:sub(1, len) .. string.rep("\0", len - #e.v) end
  return string.rep("\0", len)
end

-- write/send/sendto: queue it all (blocking) or what fits (non-blocking).
local function send(f, call, bi, li, flags_i)
  local flags = flags_i and call.args[flags_i] and value(call.args[flags_i]) or 0
  if flags & SYM.MSG_ZEROCOPY ~= 0 then unsupported("MSG_ZEROCOPY") end
  if flags & SYM.MSG_FASTOPEN ~= 0 then unsupported("TCP Fast Open (MSG_FASTOPEN)") end
  local nonblock = f.nonblock or (flags & SYM.MSG_DONTWAIT) ~= 0
  local data = f.pending_data or payload(call, bi, li)
  local done = f.pending_done or 0
  while true do
    local e = take_error(f)
    if e then f.pending_data, f.pending_done = nil, nil; return done > 0 and ok(done) or fail(e) end
    local pl = f.sock:poll()
    if f.shut_wr then f.pending_data, f.pending_done = nil, nil; return fail("EPIPE") end
    if pl.state ~= "ESTABLISHED" and pl.state ~= "CLOSE_WAIT" then
      f.pending_data, f.pending_done = nil, nil
      if pl.state ~= "SYN_SENT" and pl.state ~= "SYN_RCVD" then return fail("EPIPE") end
      if nonblock then return fail("EAGAIN") end
      f.pending_data, f.pending_done = data, done
      return WAIT
    end
    if done >= #data then f.pending_data, f.pending_done = nil, nil; return ok(done) end
    local n, err = f.sock:try_send(data:sub(done + 1))
    if not n then
      if err ~= "would block" then f.pending_data, f.pending_done = nil, nil; return fail(errno_of(err)) end
      if nonblock then
        f.pending_data, f.pending_done = nil, nil
        return done > 0 and ok(done) or fail("EAGAIN")
      end
      f.pending_data, f.pending_done = data, done
      return WAIT
    end
    done = done + n
  end
end

calls.write = on_fd(function(_, call, f) return send(f, call, 2, 3) end)
calls.send = on_fd(function(_, call, f) return send(f, call, 2, 3, 4) end)
calls.sendto = on_fd(function(_, call, f) return send(f, call, 2, 3, 4) end)

-- read/recv/recvfrom: what is there, up to the length; 0 at EOF.
local function recv(f, call, li, flags_i)
  local len = int_arg(call, li, "a length")
  local flags = flags_i and call.args[flags_i] and value(call.args[flags_i]) or 0
  if flags & (SYM.MSG_PEEK | SYM.MSG_OOB | SYM.MSG_ERRQUEUE) ~= 0 then
    unsupported("recv flags MSG_PEEK, MSG_OOB and MSG_ERRQUEUE")
  end
  local nonblock = f.nonblock or (flags & SYM.MSG_DONTWAIT) ~= 0
  if f.listening then return fail("ENOTCONN") end
  local pl = f.sock:poll()
  if pl.readable > 0 then
    local data = f.sock:try_receive(len)
    return ok(#data)
  end
  local e = take_error(f)
  if e then return fail(e) end
  if pl.eof or f.shut_rd then return ok(0) end
  if pl.state == "CLOSED" then
    if f.connected then return ok(0) end
    return fail("ENOTCONN")
  end
  if nonblock then return fail("EAGAIN") end
  return WAIT
end

calls.read = on_fd(function(_, call, f) return recv(f, call, 3) end)
calls.recv = on_fd(function(_, call, f) return recv(f, call, 3, 4) end)
calls.recvfrom = on_fd(function(_, call, f) return recv(f, call, 3, 4) end)

calls.close = on_fd(function(p, call, f, n)
  p.fds[n] = nil
  f.sock:close()
  return ok()
end)

calls.shutdown = on_fd(function(p, call, f, n)
  local how = int_arg(call, 2, "SHUT_RD, SHUT_WR or SHUT_RDWR")
  local st = f.sock:state()
  if not SYNCED[st] and st ~= "SYN_SENT" and st ~= "SYN_RCVD" and not f.listening then
    return fail("ENOTCONN")
  end
  local word = ({[0] = "receive", [1] = "send", [2] = "both"})[how]
  if not word then return fail("EINVAL") end
  f.sock:shutdown(word)
  if how ~= 1 then f.shut_rd = true end
  if how ~= 0 then f.shut_wr = true end
  return ok()
end)

-- fcntl: O_NONBLOCK is the flag that matters.
calls.fcntl = on_fd(function(p, call, f, n)
  local cmd = int_arg(call, 2, "a command")
  if cmd == SYM.F_GETFL then return ok(SYM.O_RDWR | (f.nonblock and SYM.O_NONBLOCK or 0)) end
  if cmd == SYM.F_SETFL then
    f.nonblock = (int_arg(call, 3, "the flags") & SYM.O_NONBLOCK) ~= 0
    return ok()
  end
  if cmd == SYM.F_GETFD or cmd == SYM.F_SETFD then return ok(0) end
  unsupported("fcntl command %d", cmd)
end)

local sockopt = require("lunet.pd_sockopt")
calls.setsockopt = on_fd(function(p, call, f, n)
  return sockopt.set(f, int_arg(call, 2, "a level"), int_arg(call, 3, "an option"), optval(call, 4), call)
end)

calls.getsockopt = on_fd(function(p, call, f, n)
  return sockopt.get(f, int_arg(call, 2, "a level"), int_arg(call, 3, "an option"), call, take_error)
end)

-- poll(2) as tcp_poll computes the mask (net/ipv4/tcp.c).
local function poll_mask(f)
  local pl = f.sock:poll()
  local st = pl.state
  if st == "LISTEN" then
    return (pl.accept or 0) > 0 and (SYM.POLLIN | SYM.POLLRDNORM) or 0
  end
  local rcv_shut = pl.eof or f.shut_rd or (st == "CLOSED" and f.connected)
  local snd_shut = f.shut_wr or (st == "CLOSED" and f.connected)
  local m = 0
  if (rcv_shut and snd_shut) or st == "CLOSED" then m = m | SYM.POLLHUP end
  if rcv_shut then m = m | SYM.POLLIN | SYM.POLLRDNORM | SYM.POLLRDHUP end
  if st ~= "SYN_SENT" and st ~= "SYN_RCVD" then
    if pl.readable > 0 then m = m | SYM.POLLIN | SYM.POLLRDNORM end
    if snd_shut or (pl.writable or 0) > 0 then m = m | SYM.POLLOUT | SYM.POLLWRNORM end
  end
  if pl.error and pl.error ~= f.err_taken then m = m | SYM.POLLERR end
  return m
end

function calls.poll(p, call)
  local list = call.args[1]
  if not list or list.k ~= "list" then bad("poll() needs a list of {fd=, events=, revents=}") end
  local timeout = int_arg(call, 3, "the timeout in ms")
  local count, got = 0, {}
  for i, e in ipairs(list.v) do
    local t = value(e)
    local f = p.fds[t.fd]
    local m = f and (f.kind == "udp" and require("lunet.pd_udp").poll_mask(f) or poll_mask(f)) or SYM.POLLNVAL
    m = m & ((t.events or 0) | SYM.POLLERR | SYM.POLLHUP | SYM.POLLNVAL)
    got[i] = m
    if m ~= 0 then count = count + 1 end
  end
  if count == 0 and timeout ~= 0 then
    if timeout > 0 then
      p.wake_at = p.wake_at or (p.now() + timeout * 1000000)
      if p.now() >= p.wake_at then p.wake_at = nil; return ok(0) end
    end
    return WAIT
  end
  p.wake_at = nil
  for i, e in ipairs(list.v) do
    local want = value(e).revents
    if want and want ~= got[i] then
      return {ret = count, mismatch = string.format("poll revents of fd %d: expected 0x%x, got 0x%x",
        value(e).fd, want, got[i])}
    end
  end
  return ok(count)
end

-- sendmsg/recvmsg without ancillary data: the iovec lengths add up to a
-- send or recv of that many bytes.
local function msg_call(call, as)
  local m = call.args[2] and value(call.args[2])
  if type(m) ~= "table" then bad("%s() needs a msghdr like {msg_iov(1)=[{..., 1000}], msg_flags=0}", call.name) end
  for _, f in ipairs(call.args[2].v) do
    if f.name == "msg_control" and f.value.k ~= "ellipsis" and not (f.value.k == "list" and #f.value.v == 0) then
      unsupported("%s() with ancillary data (msg_control)", call.name)
    end
  end
  local total = 0
  for _, iov in ipairs(m.msg_iov or {}) do
    local len = type(iov) == "table" and (iov.iov_len or iov[2]) or nil
    if math.type(len) ~= "integer" then bad("%s(): an iovec needs a length, like {..., 1000}", call.name) end
    total = total + len
  end
  return {name = as, args = {call.args[1], {k = "ellipsis"}, {k = "num", v = total}, call.args[3] or {k = "num", v = 0}},
          ret = call.ret}
end

local UNSUPPORTED_CALLS = {
  epoll_create = "epoll", epoll_ctl = "epoll", epoll_wait = "epoll", sendfile = "sendfile",
  splice = "splice", open = "files", pipe = "pipes",
  getsockname = "getsockname", getpeername = "getpeername", ioctl = "ioctl",
  socketpair = "socketpair", select = "select",
}

-- Run (or retry) one call.  want: the descriptor the script expects (for
-- calls that make one).
-- A call on a UDP descriptor: lunet.pd_udp's, or the common ones.
function Proc:udp_call(call, f, n)
  local udp = require "lunet.pd_udp"
  local name = call.name
  if udp[name] and name ~= "poll_mask" and name ~= "take_error" and name ~= "setsockopt" then
    return udp[name](self, call, f, n)
  end
  if name == "setsockopt" then
    return udp.setsockopt(self, call, f, int_arg(call, 2, "a level"), int_arg(call, 3, "an option"), optval(call, 4))
  end
  if name == "getsockopt" then
    local level, opt = int_arg(call, 2, "a level"), int_arg(call, 3, "an option")
    if level ~= SYM.SOL_SOCKET or (opt ~= SYM.SO_ERROR and opt ~= SYM.SO_TYPE) then
      unsupported("getsockopt level %d option %d on a UDP socket", level, opt)
    end
    return sockopt.get(f, level, opt, call, udp.take_error)
  end
  if name == "listen" or name == "accept" or name == "accept4" then return fail("EOPNOTSUPP") end
  if name == "fcntl" then return calls.fcntl(self, call) end
  unsupported("%s on a UDP socket", name)
end

function Proc:call(call)
  if call.name == "sendmsg" then return self:call(msg_call(call, "send")) end
  if call.name == "recvmsg" then return self:call(msg_call(call, "recv")) end
  local fn = calls[call.name]
  if not fn then
    if UNSUPPORTED_CALLS[call.name] then unsupported("system call %s (%s)", call.name, UNSUPPORTED_CALLS[call.name]) end
    unsupported("system call %s", call.name)
  end
  local want = call.ret and call.ret.k == "num" and call.ret.v or nil
  local a1 = call.args[1]
  local f = call.name ~= "poll" and a1 and a1.k == "num" and self.fds[a1.v]
  if f and f.kind == "udp" then return self:udp_call(call, f, a1.v) end
  return fn(self, call, want)
end

M.take_error, M.payload = take_error, payload

return M
