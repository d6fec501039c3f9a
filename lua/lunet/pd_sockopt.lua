-- lunet.pd_sockopt - setsockopt(2) and getsockopt(2) of a packetdrill
-- script, on TcpSocket options, with Linux's units and answers: buffer
-- sizes are doubled on set and read back doubled (sock_setsockopt),
-- keepalive times are seconds, TCP_USER_TIMEOUT milliseconds, TCP_MAXSEG
-- reads the current MSS once connected.

local M = {}

local SYM
local function sym() SYM = SYM or require("lunet.pd_sys").SYM; return SYM end

local function fail(name) return {ret = -1, errno = name} end
local function ok(n) return {ret = n or 0} end
local unsupported, bad = require("lunet.pd_err").unsupported, require("lunet.pd_err").bad

local function int(v, name)
  if math.type(v) ~= "integer" then bad("%s takes an integer value like [1]", name) end
  return v
end

-- name -> {level, option, set(sock, v) -> ok, err, get(sock) -> value}
local function bool_opt(o)
  return {
    set = function(s, v) return s:setoption(o, int(v, o) ~= 0) end,
    get = function(s) return s:getoption(o) and 1 or 0 end,
  }
end
local function int_opt(o, scale)
  scale = scale or 1
  return {
    set = function(s, v) return s:setoption(o, int(v, o) * scale) end,
    get = function(s) return math.floor(s:getoption(o) / scale) end,
  }
end
local function secs_opt(o)
  return {
    set = function(s, v)
      v = int(v, o)
      if v < 1 or v > 32767 then return nil, "invalid argument" end
      return s:setoption(o, v)
    end,
    get = function(s) return math.floor(s:getoption(o) + 0.5) end,
  }
end

local function build()
  local S = sym()
  local t = {}
  local function add(level, opt, name, h) h.name = name; t[level .. ":" .. opt] = h end
  add(S.SOL_SOCKET, S.SO_REUSEADDR, "SO_REUSEADDR", bool_opt("reuseaddr"))
  add(S.SOL_SOCKET, S.SO_KEEPALIVE, "SO_KEEPALIVE", bool_opt("keepalive"))
  add(S.SOL_SOCKET, S.SO_SNDBUF, "SO_SNDBUF", {
    set = function(s, v) return s:setoption("sndbuf", math.max(0, int(v, "SO_SNDBUF"))) end,
    get = function(s) return s:getoption("sndbuf") end,
  })
  add(S.SOL_SOCKET, S.SO_RCVBUF, "SO_RCVBUF", {
    set = function(s, v) return s:setoption("rcvbuf", math.max(0, int(v, "SO_RCVBUF"))) end,
    get = function(s) return s:getoption("rcvbuf") end,
  })
  add(S.SOL_SOCKET, S.SO_LINGER, "SO_LINGER", {
    set = function(s, v)
      if type(v) ~= "table" then bad("SO_LINGER takes {l_onoff=, l_linger=}") end
      local on = (v.l_onoff or 0) ~= 0
      if on and (v.l_linger or 0) ~= 0 then
        unsupported("SO_LINGER with a timeout (only {l_onoff=1, l_linger=0}, the RST on close)")
      end
      return s:setoption("linger0", on)
    end,
    get = function(s) return {l_onoff = s:getoption("linger0") and 1 or 0, l_linger = 0} end,
  })
  add(S.SOL_TCP, S.TCP_NODELAY, "TCP_NODELAY", bool_opt("nodelay"))
  add(S.SOL_TCP, S.TCP_QUICKACK, "TCP_QUICKACK", bool_opt("quickack"))
  add(S.SOL_TCP, S.TCP_MAXSEG, "TCP_MAXSEG", int_opt("maxseg"))
  add(S.SOL_TCP, S.TCP_KEEPIDLE, "TCP_KEEPIDLE", secs_opt("keepidle"))
  add(S.SOL_TCP, S.TCP_KEEPINTVL, "TCP_KEEPINTVL", secs_opt("keepintvl"))
  add(S.SOL_TCP, S.TCP_KEEPCNT, "TCP_KEEPCNT", int_opt("keepcnt"))
  add(S.SOL_TCP, S.TCP_CORK, "TCP_CORK", bool_opt("cork"))
  -- Milliseconds, as Linux keeps it; negative is EINVAL.
  add(S.SOL_TCP, S.TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", {
    set = function(s, v)
      v = int(v, "TCP_USER_TIMEOUT")
      if v < 0 then return nil, "invalid argument" end
      return s:setoption("user_timeout", v / 1000)
    end,
    get = function(s) return math.floor(s:getoption("user_timeout") * 1000 + 0.5) end,
  })
  add(S.SOL_TCP, S.TCP_CONGESTION, "TCP_CONGESTION", {
    set = function(s, v)
      if type(v) ~= "string" then bad('TCP_CONGESTION takes a name like "cubic"') end
      local okk = pcall(s.setoption, s, "congestion", v)
      if not okk then return nil, "not found" end
      return true
    end,
    get = function(s) return s:getoption("congestion") end,
  })
  return t
end

local TABLE
local function find(level, opt)
  TABLE = TABLE or build()
  return TABLE[level .. ":" .. opt]
end

local NAMES = {}
local function name_of(level, opt)
  local S = sym()
  if not next(NAMES) then
    for k, v in pairs(S) do
      if k:match("^SO_") then NAMES[S.SOL_SOCKET .. ":" .. v] = k end
      if k:match("^TCP_") and not k:match("^TCP_CA_") then NAMES[S.SOL_TCP .. ":" .. v] = k end
    end
  end
  return NAMES[level .. ":" .. opt] or string.format("level %d option %d", level, opt)
end

local WORD_ERRNO = function(w) return require("lunet.pd_sys").errno_of(w) end

function M.set(f, level, opt, v, call)
  local S = sym()
  if level == S.IPPROTO_TCP then level = S.SOL_TCP end
  local h = find(level, opt)
  if not h then unsupported("setsockopt %s", name_of(level, opt)) end
  if v == nil then bad("setsockopt %s needs a value", h.name) end
  local r, err = h.set(f.sock, v)
  if not r then return fail(WORD_ERRNO(err)) end
  return ok()
end

-- getsockopt(fd, level, opt, [expected], [len]): the value read must be
-- the one the script writes.
function M.get(f, level, opt, call, take_error)
  local S = sym()
  if level == S.IPPROTO_TCP then level = S.SOL_TCP end
  local want = call.args[4] and require("lunet.pd_sys").value(call.args[4])
  if type(want) == "table" and #want == 1 then want = want[1] end
  local got
  if level == S.SOL_SOCKET and opt == S.SO_ERROR then
    local e = take_error(f)
    got = e and require("lunet.pd_sys").ERRNO[e] or 0
  elseif level == S.SOL_SOCKET and opt == S.SO_TYPE then
    got = f.kind == "udp" and S.SOCK_DGRAM or S.SOCK_STREAM
  else
    local h = find(level, opt)
    if not h then unsupported("getsockopt %s", name_of(level, opt)) end
    got = h.get(f.sock)
  end
  if want ~= nil then
    local same = got == want
    if type(want) == "table" and type(got) == "table" then
      same = true
      for k, v in pairs(want) do if got[k] ~= v then same = false end end
    end
    if not same then
      local function fmt(v)
        if type(v) ~= "table" then return tostring(v) end
        local ks = {}
        for k in pairs(v) do ks[#ks + 1] = k end
        table.sort(ks)
        for i, k in ipairs(ks) do ks[i] = k .. "=" .. tostring(v[k]) end
        return "{" .. table.concat(ks, ", ") .. "}"
      end
      return {ret = 0, mismatch = string.format("getsockopt %s: expected %s, got %s",
        name_of(level, opt), fmt(want), fmt(got))}
    end
  end
  return ok()
end

return M
