-- lunet.pd_code - the %{ ... }% blocks of packetdrill scripts: the simple
-- Python assertions on tcpi_* fields that TCP test suites write,
--
--   %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
--   %{ assert tcpi_ca_state == TCP_CA_Recovery; assert 100000 <= tcpi_rto <= 300000 }%
--
-- evaluated on the connection's TCP_INFO at the event's time (packetdrill
-- snapshots it there and runs Python at the end; the outcome is the same,
-- and the failure names the block's line).  What is understood: assert,
-- comparisons (chained as in Python), + - * / // %, and, or, not,
-- parentheses, numbers, True/False, tcpi_* names and TCP_CA_* constants.
-- Anything else (imports, loops, other names) is reported as unsupported.

local M = {}

local unsupported = require("lunet.pd_err").unsupported

-- TCP_INFO from TcpSocket:info(), in Linux's units (times in µs).
function M.tcpi(info)
  local ca = {open = 0, disorder = 1, cwr = 2, recovery = 3, loss = 4}
  local st = {ESTABLISHED = 1, SYN_SENT = 2, SYN_RCVD = 3, FIN_WAIT_1 = 4, FIN_WAIT_2 = 5,
              TIME_WAIT = 6, CLOSED = 7, CLOSE_WAIT = 8, LAST_ACK = 9, LISTEN = 10, CLOSING = 11}
  local us = function(ns) return ns and math.floor(ns / 1000) or 0 end
  local ws = info.wscale or {0, 0}
  local opts = (info.ts and 1 or 0) | (info.sack and 2 or 0) | (info.wscale and 4 or 0)
  return {
    tcpi_state = st[info.state] or 0, tcpi_ca_state = ca[info.ca_state] or 0,
    tcpi_retransmits = info.retransmits, tcpi_probes = info.probes, tcpi_backoff = info.backoff,
    tcpi_options = opts, tcpi_snd_wscale = ws[1], tcpi_rcv_wscale = ws[2],
    tcpi_rto = us(info.rto), tcpi_snd_mss = info.mss, tcpi_rcv_mss = info.rcv_mss,
    tcpi_unacked = info.unacked, tcpi_sacked = info.sacked, tcpi_lost = info.lost,
    tcpi_retrans = info.retrans_out, tcpi_rtt = us(info.srtt), tcpi_rttvar = us(info.rttvar),
    tcpi_snd_ssthresh = info.ssthresh, tcpi_snd_cwnd = info.cwnd, tcpi_advmss = info.adv_mss,
    tcpi_total_retrans = info.total_retrans, tcpi_bytes_acked = info.bytes_acked,
    tcpi_bytes_received = info.bytes_received, tcpi_segs_out = info.segs_out,
    tcpi_segs_in = info.segs_in, tcpi_data_segs_in = info.data_segs_in,
    tcpi_data_segs_out = info.data_segs_out, tcpi_min_rtt = us(info.min_rtt),
    tcpi_bytes_sent = info.bytes_sent, tcpi_bytes_retrans = info.bytes_retrans,
    tcpi_snd_wnd = info.snd_wnd, tcpi_rcv_wnd = info.rcv_wnd,
  }
end

-- ---- a tiny Python expression reader ----------------------------------------------

local function tokens(src)
  local t, i = {}, 1
  while i <= #src do
    local c = src:sub(i, i)
    if c:match("%s") then
      i = i + 1
    else
      local num = src:match("^%d+%.?%d*", i) or src:match("^%.%d+", i)
      local id = src:match("^[%a_][%w_]*", i)
      local op = src:match("^//", i) or src:match("^[=!<>]=", i) or src:match("^[%+%-%*/%%<>%(%),;]", i)
      if num then t[#t + 1] = {k = "num", v = tonumber(num)}; i = i + #num
      elseif id then t[#t + 1] = {k = "id", v = id}; i = i + #id
      elseif op then t[#t + 1] = {k = "op", v = op}; i = i + #op
      elseif c == "'" or c == '"' then
        local j = src:find(c, i + 1, true) or #src
        t[#t + 1] = {k = "str", v = src:sub(i + 1, j - 1)}
        i = j + 1
      else
        unsupported("code block: character %q", c)
      end
    end
  end
  return t
end

local Parser = {}
Parser.__index = Parser
function Parser:peek() return self.t[self.i] end
function Parser:take() self.i = self.i + 1; return self.t[self.i - 1] end
function Parser:is(v) local x = self:peek(); return x and x.v == v end

local function truthy(v) return v ~= nil and v ~= false and v ~= 0 end

function Parser:atom()
  local x = self:take()
  if not x then unsupported("code block: expression ends too soon") end
  if x.k == "num" or x.k == "str" then return x.v end
  if x.v == "(" then
    local v = self:expr()
    if not self:is(")") then unsupported("code block: missing )") end
    self:take()
    return v
  end
  if x.v == "-" then return -self:atom() end
  if x.v == "True" then return true end
  if x.v == "False" then return false end
  if x.k == "id" then
    local v = self.env[x.v]
    if v == nil then unsupported("code block: name %s", x.v) end
    return v
  end
  unsupported("code block: unexpected %s", tostring(x.v))
end

local ARITH = {
  ["*"] = function(a, b) return a * b end, ["/"] = function(a, b) return a / b end,
  ["//"] = function(a, b) return a // b end, ["%"] = function(a, b) return a % b end,
  ["+"] = function(a, b) return a + b end, ["-"] = function(a, b) return a - b end,
}

function Parser:term()
  local v = self:atom()
  while self:peek() and (self:is("*") or self:is("/") or self:is("//") or self:is("%")) do
    v = ARITH[self:take().v](v, self:atom())
  end
  return v
end

function Parser:sum()
  local v = self:term()
  while self:peek() and (self:is("+") or self:is("-")) do v = ARITH[self:take().v](v, self:term()) end
  return v
end

local CMP = {
  ["=="] = function(a, b) return a == b end, ["!="] = function(a, b) return a ~= b end,
  ["<"] = function(a, b) return a < b end, ["<="] = function(a, b) return a <= b end,
  [">"] = function(a, b) return a > b end, [">="] = function(a, b) return a >= b end,
}

-- Python's chained comparisons: a < b < c is a < b and b < c.
function Parser:cmp()
  local a = self:sum()
  local result = nil
  while self:peek() and CMP[self:peek().v] do
    local f = CMP[self:take().v]
    local b = self:sum()
    result = (result == nil or result) and f(a, b)
    a = b
  end
  if result == nil then return a end
  return result
end

function Parser:negation()
  if self:is("not") then self:take(); return not truthy(self:negation()) end
  return self:cmp()
end

function Parser:conj()
  local v = self:negation()
  while self:is("and") do self:take(); local b = self:negation(); v = truthy(v) and b or v end
  return v
end

function Parser:expr()
  local v = self:conj()
  while self:is("or") do self:take(); local b = self:conj(); v = truthy(v) and v or b end
  return v
end

-- Run a block; nil when every assertion holds, else the failed one.
function M.run(code, env)
  for stmt in (code .. "\n"):gmatch("([^\n;]*)[\n;]") do
    local s = stmt:gsub("#.*$", ""):match("^%s*(.-)%s*$")
    if s ~= "" then
      local body = s:match("^assert%s+(.*)$") or s:match("^assert(%(.*)$")
      if not body then unsupported("code block statement: %s", s) end
      local p = setmetatable({t = tokens(body), i = 1, env = env}, Parser)
      local v = p:expr()
      local msg
      if p:is(",") then p:take(); msg = p:expr() end
      if p:peek() then unsupported("code block: cannot read %s", s) end
      if not truthy(v) then
        return string.format("assertion failed: %s%s", s, msg ~= nil and (" (" .. tostring(msg) .. ")") or "")
      end
    end
  end
  return nil
end

return M
