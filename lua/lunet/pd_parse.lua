-- lunet.pd_parse - the packetdrill script language, read into a list of
-- events for lunet.packetdrill to run.
--
-- Written here from packetdrill's documented syntax (the USENIX ATC 2013
-- paper and its README): a script is a sequence of events, each a time
-- and one of
--   a packet        0.100 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop>
--                   +0 > S. 0:0(0) ack 1 <...>
--                   +0 < udp (100)      +0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]
--   a system call   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
--                   +0...0.2 accept(3, ..., ...) = 4      (blocking: returns at 0.2)
--   a shell command +0 `sysctl -q net.ipv4.tcp_timestamps=0`
--   a code block    +0 %{ assert tcpi_snd_cwnd == 10 }%
-- Times: absolute (0.1), relative to the previous event (+0.1), a range
-- (0.1~0.2, +0.1~+0.2), or * (any time).  Comments are // and /* */.
-- Option lines (--tolerance_usecs=10000) may open a script.
--
-- Every error names the script's file and line: "x.pkt:7: ...".

local M = {}

local function perr(src, line, fmt, ...)
  error(string.format("%s:%d: " .. fmt, src, line, ...), 0)
end

-- ---- the scanner -------------------------------------------------------------

-- Tokens: {k = kind, v = value, line = n}; kinds: num, id, str, op (one
-- of the punctuation strings), raw (the text of `...` or %{...}%), eol.
local Lexer = {}
Lexer.__index = Lexer

local function new_lexer(text, src)
  return setmetatable({s = text, i = 1, line = 1, src = src}, Lexer)
end

function Lexer:err(fmt, ...) perr(self.src, self.line, fmt, ...) end

-- Skip blanks and comments, but not newlines (events end at one).
function Lexer:skip()
  local s = self.s
  while true do
    local c = s:sub(self.i, self.i)
    if c == " " or c == "\t" or c == "\r" then
      self.i = self.i + 1
    elseif s:sub(self.i, self.i + 1) == "//" then
      local j = s:find("\n", self.i, true) or #s + 1
      self.i = j
    elseif s:sub(self.i, self.i + 1) == "/*" then
      local j = s:find("*/", self.i + 2, true)
      if not j then self:err("comment /* is never closed") end
      for _ in s:sub(self.i, j):gmatch("\n") do self.line = self.line + 1 end
      self.i = j + 2
    else
      return
    end
  end
end

local OPS = {"...", "<...>", "%{", "}%", "==", "!=", "<=", ">=", "&&", "||"}

function Lexer:next()
  self:skip()
  local s, i = self.s, self.i
  local c = s:sub(i, i)
  local tok = {line = self.line}
  if c == "" then tok.k = "eof"; return tok end
  if c == "\n" then
    self.i = i + 1
    self.line = self.line + 1
    tok.k = "eol"
    return tok
  end
  local raw = c == "`" and {"`", "`", "cmd", "command ` is never closed"}
    or s:sub(i, i + 1) == "%{" and {"%{", "}%", "code", "code block %%{ is never closed with }%%"}
  if raw then
    local j = s:find(raw[2], i + #raw[1], true)
    if not j then self:err(raw[4]) end
    tok.k, tok.v = raw[3], s:sub(i + #raw[1], j - 1)
    for _ in tok.v:gmatch("\n") do self.line = self.line + 1 end
    self.i = j + #raw[2]
    return tok
  end
  if c == '"' then
    local j = i + 1
    local buf = {}
    while true do
      local d = s:sub(j, j)
      if d == "" or d == "\n" then self:err("string is never closed") end
      if d == '"' then break end
      if d == "\\" then
        local e = s:sub(j + 1, j + 1)
        buf[#buf + 1] = ({n = "\n", t = "\t", ["0"] = "\0"})[e] or e
        j = j + 2
      else
        buf[#buf + 1] = d
        j = j + 1
      end
    end
    tok.k, tok.v = "str", table.concat(buf)
    self.i = j + 1
    return tok
  end
  -- Numbers: 12, 0x1f, 1.5, .25 (times); a leading sign is an op.
  local hex = s:match("^0[xX]%x+", i)
  if hex then
    tok.k, tok.v, tok.text = "num", tonumber(hex:sub(3), 16), hex
    self.i = i + #hex
    return tok
  end
  local num = s:match("^%d*%.?%d+", i) or s:match("^%d+%.?", i)
  if num and num ~= "." and not s:match("^%.%.%.", i) then
    -- "1...2" is a number, "...", a number; "1." is a number only if no ".." follows
    if num:sub(-1) == "." and s:sub(i + #num, i + #num + 1) == ".." then num = num:sub(1, -2) end
    tok.k, tok.v, tok.text = "num", tonumber(num), num
    self.i = i + #num
    return tok
  end
  local id = s:match("^[%a_][%w_]*", i)
  if id then
    tok.k, tok.v = "id", id
    self.i = i + #id
    return tok
  end
  for _, op in ipairs(OPS) do
    if s:sub(i, i + #op - 1) == op then
      tok.k, tok.v = "op", op
      self.i = i + #op
      return tok
    end
  end
  tok.k, tok.v = "op", c
  self.i = i + 1
  return tok
end

-- Text up to the matching ")" (an errno's explanation), raw.
function Lexer:paren_text()
  local depth, j = 1, self.i
  while depth > 0 do
    local c = self.s:sub(j, j)
    if c == "" or c == "\n" then self:err("unbalanced ( in an error's explanation") end
    if c == "(" then depth = depth + 1 elseif c == ")" then depth = depth - 1 end
    j = j + 1
  end
  local text = self.s:sub(self.i, j - 2)
  self.i = j
  return text
end

-- ---- the token stream of one event --------------------------------------------

local Stream = {}
Stream.__index = Stream

function Stream:peek() return self.toks[self.pos] end
function Stream:take() local t = self.toks[self.pos]; self.pos = self.pos + 1; return t end
function Stream:err(fmt, ...)
  local t = self:peek() or self.toks[#self.toks]
  perr(self.src, t and t.line or self.line, fmt, ...)
end
function Stream:is(k, v)
  local t = self:peek()
  return t and t.k == k and (v == nil or t.v == v)
end
function Stream:accept(k, v)
  if self:is(k, v) then return self:take() end
end
local function show(t)
  if not t then return "the end of the line" end
  if t.k == "num" then return t.text or tostring(t.v) end
  if t.k == "str" then return '"' .. t.v .. '"' end
  return "'" .. tostring(t.v) .. "'"
end
function Stream:expect(k, v, what)
  local t = self:take()
  if not t or t.k ~= k or (v ~= nil and t.v ~= v) then
    self.pos = self.pos - 1
    self:err("expected %s, found %s", what or ("'" .. tostring(v) .. "'"), show(t))
  end
  return t
end
function Stream:done() return self.pos > #self.toks end

-- A whole number in 0..max (2^32 - 1 unless given): sequence numbers,
-- windows, lengths and option values are integers on the wire.
function Stream:int(what, max)
  max = max or 4294967295
  local t = self:expect("num", nil, what)
  local v = math.tointeger(t.v)
  if not v or v < 0 or v > max then
    self.pos = self.pos - 1
    self:err("%s must be a whole number in 0..%d, found %s", what, max, t.text or tostring(t.v))
  end
  return v
end

-- ---- times --------------------------------------------------------------------

local function usecs(t, s)
  local v = t.v
  if not v then s:err("expected a time in seconds, found %s", show(t)) end
  return math.floor(v * 1e6 + 0.5)
end

-- One time value: {rel = bool, us = n}.
local function time_value(s)
  local rel = s:accept("op", "+") ~= nil
  local t = s:take()
  if not t or t.k ~= "num" then
    s.pos = s.pos - 1
    s:err("expected a time like 0.100 or +0.1, found %s", show(t))
  end
  return {rel = rel, us = usecs(t, s)}
end

-- The time at the start of an event: {kind = "abs"|"rel"|"any", us,
-- us_end (a range), block_end = {rel, us} (a blocking system call)}.
local function event_time(s)
  if s:accept("op", "*") then return {kind = "any", us = 0} end
  local a = time_value(s)
  local t = {kind = a.rel and "rel" or "abs", us = a.us}
  if s:accept("op", "~") then
    local b = time_value(s)
    t.us_end = b.us
    if b.rel ~= a.rel then s:err("both ends of a time range must be absolute, or both relative") end
    if b.us < a.us then s:err("time range %s~%s ends before it starts", a.us / 1e6, b.us / 1e6) end
  elseif s:accept("op", "...") then
    t.block_end = time_value(s)
  end
  return t
end

-- ---- expressions (system call arguments) -----------------------------------------

local expr

local function expr_list(s, close)
  local list = {}
  if s:accept("op", close) then return list end
  repeat
    list[#list + 1] = expr(s)
  until not s:accept("op", ",")
  s:expect("op", close, "',' or '" .. close .. "'")
  return list
end

local function term(s)
  local t = s:take()
  if not t then s:err("expected a value, found the end of the line") end
  if t.k == "num" then return {k = "num", v = math.tointeger(t.v) or t.v} end
  if t.k == "str" then return {k = "str", v = t.v} end
  if t.k == "op" and t.v == "..." then return {k = "ellipsis"} end
  if t.k == "op" and t.v == "-" then
    local n = s:expect("num", nil, "a number after '-'")
    return {k = "num", v = -(math.tointeger(n.v) or n.v)}
  end
  if t.k == "op" and t.v == "[" then return {k = "list", v = expr_list(s, "]")} end
  if t.k == "op" and t.v == "{" then
    local fields = {}
    if not s:accept("op", "}") then
      repeat
        local nxt = s.toks[s.pos + 1]
        if not (s:is("id") and nxt and nxt.k == "op" and (nxt.v == "=" or nxt.v == "(")) then
          -- a positional member, as in msg_iov(1)=[{..., 1000}]
          fields[#fields + 1] = {name = #fields + 1, value = expr(s)}
        else
          local name = s:expect("id", nil, "a field name").v
          local arg
          if s:accept("op", "(") then arg = expr(s); s:expect("op", ")") end
          s:expect("op", "=", "'=' after field " .. name)
          fields[#fields + 1] = {name = name, arg = arg, value = expr(s)}
        end
      until not s:accept("op", ",")
      s:expect("op", "}", "',' or '}'")
    end
    return {k = "struct", v = fields}
  end
  if t.k == "id" then
    if s:accept("op", "(") then return {k = "call", name = t.v, args = expr_list(s, ")")} end
    return {k = "sym", v = t.v}
  end
  s.pos = s.pos - 1
  s:err("expected a value, found %s", show(t))
end

expr = function(s)
  local e = term(s)
  while s:accept("op", "|") do e = {k = "or", a = e, b = term(s)} end
  return e
end

-- ---- packets ----------------------------------------------------------------------

local TCP_FLAG_CHARS = "[SFRP%.EWU]"

-- <mss 1000,sackOK,nop,TS val 100 ecr 0,wscale 7,sack 1:100 200:300,eol>
local function tcp_options(s)
  if s:accept("op", "<...>") then return "any" end
  s:expect("op", "<")
  local opts = {}
  if s:accept("op", ">") then return opts end
  repeat
    local name = s:expect("id", nil, "a TCP option (mss, sackOK, sack, TS, nop, wscale, eol)").v
    if name == "nop" or name == "eol" or name == "sackOK" then
      opts[#opts + 1] = {name}
    elseif name == "mss" or name == "wscale" then
      opts[#opts + 1] = {name, s:int("the " .. name, 65535)}
    elseif name == "TS" then
      s:expect("id", "val", "'val'")
      local val = s:int("the TS val")
      s:expect("id", "ecr", "'ecr'")
      local ecr = s:int("the TS ecr")
      opts[#opts + 1] = {"TS", val, ecr}
    elseif name == "sack" then
      local blocks = {}
      while s:is("num") do
        local l = s:int("a SACK block's start")
        s:expect("op", ":", "':' in a SACK block like 1:1001")
        local r = s:int("a SACK block's end")
        blocks[#blocks + 1] = {l, r}
      end
      if #blocks == 0 then s:err("sack needs blocks like 1:1001") end
      opts[#opts + 1] = {"sack", blocks}
    elseif name == "md5" or name == "FO" or name == "FOEXP" or name == "exp" or name == "tfo"
        or name:match("^mp") or name:match("^dss") or name == "add_address" then
      s:err("unsupported: TCP option %s (TCP Fast Open, MD5 and MPTCP are not modelled)", name)
    else
      s:err("unknown TCP option %s (known: mss, sackOK, sack, TS, nop, wscale, eol)", name)
    end
  until not s:accept("op", ",")
  s:expect("op", ">", "',' or '>' closing the options")
  return opts
end

-- seq:end(len): the segment's sequence space, relative to the ISN.
local function seq_range(s)
  local a = s:int("a sequence range like 1:1001(1000)")
  s:expect("op", ":", "':' in a sequence range like 1:1001(1000)")
  local b = s:int("the end of the sequence range", 8589934591)   -- may wrap past 2^32
  s:expect("op", "(", "'(' and the length")
  local len = s:int("the segment's length", 65535)
  s:expect("op", ")")
  if (b - a) % 4294967296 ~= len then
    s:err("sequence range %d:%d does not hold %d bytes", a, b, len)
  end
  return a, b, len
end

-- TCP flags: the letters packetdrill writes; the lexer splits "S." in an
-- id and an op, so gather adjacent pieces.
local function tcp_flags(s)
  local flags = ""
  while true do
    local t = s:peek()
    if t and t.k == "op" and t.v == "." then
      flags = flags .. "."
    elseif t and t.k == "id" and t.v:match("^" .. TCP_FLAG_CHARS .. "+$") then
      flags = flags .. t.v
    else
      break
    end
    s:take()
    if not s:is("op", ".") and not (s:is("id") and s:peek().v:match("^" .. TCP_FLAG_CHARS .. "+$")) then break end
  end
  return flags
end

local ICMP_TYPES = {
  unreachable = 3, echo_reply = 0, echo_request = 8, time_exceeded = 11,
  source_quench = 4, parameter_problem = 12,
}
local ICMP_CODES = {
  net_unreachable = 0, host_unreachable = 1, protocol_unreachable = 2, port_unreachable = 3,
  frag_needed = 4, source_route_failed = 5, net_unknown = 6, host_unknown = 7,
  host_isolated = 8, net_prohibited = 9, host_prohibited = 10, net_tos = 11, host_tos = 12,
  packet_filtered = 13, precedence_violation = 14, precedence_cutoff = 15,
}
M.ICMP_TYPES, M.ICMP_CODES = ICMP_TYPES, ICMP_CODES

local function icmp_packet(s, p)
  p.proto = "icmp"
  local ty = s:expect("id", nil, "an ICMP type (unreachable, time_exceeded, echo_request, ...)").v
  if not ICMP_TYPES[ty] then s:err("unknown ICMP type %s", ty) end
  p.icmp_type = ICMP_TYPES[ty]
  p.icmp_code = 0
  if s:is("id") and ICMP_CODES[s:peek().v] then p.icmp_code = ICMP_CODES[s:take().v] end
  if s:accept("id", "mtu") then p.mtu = s:int("the MTU", 65535) end
  if s:accept("op", "[") then
    if s:accept("id", "udp") then
      s:expect("op", "(")
      p.quote = {proto = "udp", len = s:int("the UDP payload length", 65507)}
      s:expect("op", ")")
    else
      local a, b, len = seq_range(s)
      p.quote = {proto = "tcp", seq = a, end_seq = b, len = len}
    end
    s:expect("op", "]")
  end
end

local function packet(s, dir)
  local p = {dir = dir}
  if s:accept("op", "[") then            -- [noecn] [ect0] [ect1] [ce] [ect01]
    p.ecn = s:expect("id", nil, "an ECN codepoint").v
    s:expect("op", "]")
  end
  if s:accept("id", "udp") then
    p.proto = "udp"
    s:expect("op", "(", "'(' and the UDP payload length")
    p.len = s:int("the UDP payload length", 65507)
    s:expect("op", ")")
    return p
  end
  if s:accept("id", "icmp") then icmp_packet(s, p); return p end
  if s:is("id", "ipv6") or s:is("id", "icmp6") or s:is("id", "gre") or s:is("id", "mpls") then
    s:err("unsupported: %s packets (lunet speaks IPv4 for now)", s:peek().v)
  end
  p.proto = "tcp"
  p.flags = tcp_flags(s)
  if p.flags == "" then s:err("expected TCP flags (S, ., P, F, R, E, W), udp or icmp, found %s", show(s:peek())) end
  p.seq, p.end_seq, p.len = seq_range(s)
  while not s:done() do
    if s:accept("id", "ack") then
      p.ack = s:int("the ACK number")
    elseif s:accept("id", "win") then
      p.win = s:int("the window", 65535)
    elseif s:accept("id", "urg") then
      p.urg = s:int("the urgent pointer", 65535)
    elseif s:is("op", "<") or s:is("op", "<...>") then
      p.options = tcp_options(s)
    else
      s:err("unexpected %s in a TCP packet (after the range: ack N, win N, <options>)", show(s:peek()))
    end
  end
  return p
end

-- ---- system calls -----------------------------------------------------------------

local function syscall(s, lexer_paren_text)
  local name = s:take().v
  s:expect("op", "(")
  local call = {name = name, args = expr_list(s, ")")}
  s:expect("op", "=", "'=' and the expected result")
  call.ret = expr(s)
  if s:is("id") then call.errno = s:take().v end
  if s:is("op", "(") and s:peek().raw then
    call.errtext = lexer_paren_text(s:peek())
    s:take()
  end
  if not s:done() then s:err("unexpected %s after the system call", show(s:peek())) end
  return call
end

-- ---- the script ---------------------------------------------------------------------

-- Substitute -D definitions: whole identifiers only.
local function define(text, defs)
  if not defs or not next(defs) then return text end
  return (text:gsub("[%a_][%w_]*", function(w)
    local v = defs[w]
    if v ~= nil then return v end
  end))
end

-- Read one event's tokens (up to the end of the line).  Errno
-- explanations are raw text: the stream asks for them by token.
local function read_line(lx)
  local toks = {}
  local seen_eq = false
  while true do
    local t = lx:next()
    if t.k == "eol" or t.k == "eof" then return toks, t.k == "eof" end
    toks[#toks + 1] = t
    local n = #toks
    if t.k == "op" and t.v == "=" then seen_eq = true end
    -- "= -1 EFOO (text)" or "= 0x2 (text)": the note is taken raw, so
    -- any words go.
    if seen_eq and t.k == "op" and t.v == "(" and n >= 2 and (toks[n - 1].k == "num"
        or (toks[n - 1].k == "id" and toks[n - 1].v:match("^E[A-Z0-9]+$"))) then
      t.raw = lx:paren_text()
    end
  end
end

-- Parse a script.  Returns {options = {"--name=value", ...}, events = {...}}.
function M.parse(text, src, defs)
  text = define(text, defs)
  local lx = new_lexer(text, src)
  local script = {options = {}, events = {}}
  local started, started_events = false, false
  while true do
    -- option lines before the first event
    lx:skip()
    if not started and lx.s:sub(lx.i, lx.i + 1) == "--" then
      local j = lx.s:find("\n", lx.i, true) or #lx.s + 1
      script.options[#script.options + 1] = lx.s:sub(lx.i, j - 1):gsub("%s+$", "")
      lx.i = j
    else
      local line = lx.line
      local toks, eof = read_line(lx)
      if #toks > 0 then
        started = true
        local s = setmetatable({toks = toks, pos = 1, src = src, line = line}, Stream)
        local ev = {line = toks[1].line}
        if not started_events and #toks == 1 and toks[1].k == "cmd" then
          -- packetdrill's init command: a `command` before the first
          -- event, without a time, run before the script starts.
          script.init = script.init or {}
          script.init[#script.init + 1] = {line = ev.line, command = toks[1].v}
          goto next_line
        end
        started_events = true
        ev.time = event_time(s)
        local t = s:peek()
        if not t then s:err("an event needs something after its time") end
        if t.k == "op" and (t.v == "<" or t.v == ">") then
          s:take()
          ev.type = "packet"
          ev.packet = packet(s, t.v)
        elseif t.k == "op" and t.v == "<...>" then
          s:err("expected '<' or '>' and a packet")
        elseif t.k == "cmd" then
          s:take()
          ev.type, ev.command = "command", t.v
        elseif t.k == "code" then
          s:take()
          ev.type, ev.code = "code", t.v
        elseif t.k == "id" and s.toks[s.pos + 1] and s.toks[s.pos + 1].v == "(" then
          ev.type = "syscall"
          ev.syscall = syscall(s, function(tok) return tok.raw end)
        else
          s:err("expected a packet (< or >), a system call, a `command` or %%{ code }%%, found %s", show(t))
        end
        if not s:done() then s:err("unexpected %s at the end of the event", show(s:peek())) end
        if ev.time.block_end and ev.type ~= "syscall" then
          s:err("only a system call can block (the ... form)")
        end
        script.events[#script.events + 1] = ev
      end
      ::next_line::
      if eof then break end
    end
  end
  return script
end

return M
