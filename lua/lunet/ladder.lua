-- lunet.ladder - ladder (sequence) diagrams of TCP conversations, drawn from
-- the event stream: as text on the terminal, or as SVG.
--
--   local ladder = require "lunet.ladder"
--   local lad = ladder.new(net, {hosts = {client, server}, ports = {80}})
--   ... run ...
--   lad:print()            -- or lad:lines() for the text
--   lad:svg()              -- the same as an SVG picture (a string)
--   lad:write_svg(path)    -- ... written to a file
--   lad:segments()         -- what was recorded, for assertions
--   lad:states(host)       -- the TCP states a host went through, in order
--   lad:note("text")       -- a comment row at the current virtual time
--   lad:stop()             -- stop recording
--   ladder.from_trace(tr, {conn = c})   -- one connection of a lunet.trace
--
-- One column per host; a row per segment, drawn when the segment starts
-- onto the wire, as an arrow from the sender's column to the receiver's
-- labelled with its flags, seq, ack and length ("SYN,ACK seq=2000
-- ack=1001"); a row per TCP state change, the new state written in the
-- host's column; virtual time in the left margin.  Segments that never
-- arrive end in "X" with the reason of the drop; a segment whose sequence
-- range was sent before is marked "(retransmission)".
--
-- The recording is lunet.trace's: segments come from "tx" events (the
-- sending host's interface), their fate from "rx" and "drop" events
-- carrying the same packet id, states from "tcp" events.  The SVG drawing
-- is in lunet.ladder_svg.
--
-- Options of ladder.new:
--   hosts    = {Node|Switch|name, ...}   the columns, left to right
--                                (required); a router or switch among them
--                                shows each segment's arrival and departure
--   ports    = {80, ...}          only connections with one of these ports
--   relative = false              seq/ack relative to each side's ISN
--   win      = false              show the advertised window
--   width    = 80                 total width of the text drawing

local trace = require "lunet.trace"

local M = {}
local Ladder = {}
Ladder.__index = Ladder

M.flag_words = trace.flag_words

local check_opts = require("lunet.util").check_opts

local OPTIONS = {hosts = true, ports = true, relative = true, win = true, width = true}

local function new_ladder(tr, opts)
  return setmetatable({
    tr = tr, cols = {}, col_of = {}, col_of_addr = {},
    relative = opts.relative or false, win = opts.win or false, width = opts.width or 80,
  }, Ladder)
end

function M.new(net, opts)
  if type(opts) ~= "table" or type(opts.hosts) ~= "table" or #opts.hosts == 0 then
    error("ladder.new: expected {hosts = {h1, h2, ...}} (the columns, left to right)", 2)
  end
  check_opts("ladder.new", opts, OPTIONS)
  -- columns: hosts, and routers and switches a segment passes through
  local cols, relays = {}, false
  for i, h in ipairs(opts.hosts) do
    local name = trace.host_name(h, "ladder.new")
    local node = net:node(name)
    local switch
    if not node then
      for _, sw in ipairs(net:switches()) do if sw.name == name then switch = sw end end
      if not switch then error("ladder.new: no host, router or switch named " .. name, 2) end
    end
    cols[i] = {name = name, node = node, relay = switch ~= nil or node.is_router}
    relays = relays or cols[i].relay
  end
  local self = new_ladder(trace.new(net, {hosts = opts.hosts, ports = opts.ports, paths = relays}), opts)
  for i, col in ipairs(cols) do
    self.cols[i] = {name = col.name, addrs = {}, relay = col.relay}
    self.col_of[col.name] = i
    for _, ifc in ipairs(col.node and col.node:ifaces() or {}) do
      local ip = ifc:ip()
      if ip then
        self.cols[i].addrs[#self.cols[i].addrs + 1] = ip
        self.col_of_addr[ip] = i
      end
    end
  end
  return self
end

-- A ladder of one connection of a trace: a column per endpoint, named
-- after the host that owns its address (or the address alone, for a
-- spoofed one).
function M.from_trace(tr, opts)
  opts = opts or {}
  check_opts("ladder.from_trace", opts, {conn = true, relative = true, win = true, width = true})
  local c = opts.conn
  if type(c) ~= "table" or not c.a then
    error("ladder.from_trace: expected {conn = a connection of the trace (tr.conns[i])}", 2)
  end
  local self = new_ladder(tr, opts)
  self.conn = c
  for i, side in ipairs({"a", "b"}) do
    local e = c[side]
    self.cols[i] = {name = e.node or e.addr, addrs = {e.addr}, port = e.port, side = side}
  end
  return self
end

function Ladder:stop() self.tr:stop() end
function Ladder:note(text) self.tr:note(text) end

-- Columns of a segment's sender and receiver (the receiver may be nil:
-- a host without a column).
function Ladder:seg_cols(s)
  if self.conn then
    if s.conn ~= self.conn then return nil end
    return s.side == "a" and 1 or 2, s.side == "a" and 2 or 1
  end
  local a = self.col_of[s.from]
  return a, s.to and self.col_of[s.to] or self.col_of_addr[s.dst]
end

-- Column of a state change, or nil.
function Ladder:state_col(r)
  if self.conn then
    if r.conn ~= self.conn then return nil end
    return r.side == "a" and 1 or 2
  end
  return self.col_of[r.host]
end

-- The rows to draw: segments, state changes and notes, in event order.
-- Each row is {kind = "seg"|"state"|"note", time=, seg=|state=|note=}.
function Ladder:rows()
  local out = {}
  for _, r in ipairs(self.tr.log) do
    local what = r.what
    if what == "seg" then
      if self:seg_cols(r) then out[#out + 1] = {kind = what, time = r.time, seg = r} end
    elseif what == "state" then
      if self:state_col(r) then out[#out + 1] = {kind = what, time = r.time, state = r} end
    else
      out[#out + 1] = {kind = what, time = r.time, note = r}
    end
  end
  return out
end

function Ladder:_segs()
  local out = {}
  for _, row in ipairs(self:rows()) do
    if row.kind == "seg" then out[#out + 1] = row.seg end
  end
  return out
end

-- The recorded segments, in send order: {time=, from=, to=, flags="SYN,ACK",
-- seq=, ack=|nil, len=, win=, lost=reason|nil, rx_time=|nil,
-- retransmission=bool, kind=, label="SYN,ACK seq=2000 ack=1001", ...}.
function Ladder:segments()
  local out = {}
  for i, s in ipairs(self:_segs()) do
    local c = {}
    for k, v in pairs(s) do c[k] = v end
    for k in pairs(trace.DERIVED) do c[k] = s[k] end
    c.label = self:label(s)
    out[i] = c
  end
  return out
end

-- State changes as recorded: {time=, host=, from=, to=, flow=}.
function Ladder:transitions()
  local out = {}
  for _, row in ipairs(self:rows()) do
    if row.kind == "state" then out[#out + 1] = row.state end
  end
  return out
end

-- States a host went through: the state before its first change, then
-- each new state (repeats in a row collapsed, so a listener closing after
-- its connection does not add a second CLOSED).
function Ladder:states(host)
  local name = trace.host_name(host, "ladder:states")
  local out = {}
  for _, r in ipairs(self:transitions()) do
    if r.host == name then
      if #out == 0 then out[1] = r.from end
      if out[#out] ~= r.to then out[#out + 1] = r.to end
    end
  end
  return out
end

-- seq or ack as shown: raw, or relative to the ISN of that direction.
function Ladder:num(s, v, of_sender)
  if not self.relative or v == nil or not s.conn then return v end
  local side = of_sender and s.side or trace.other(s.side)
  return trace.rel(s.conn, side, v) or v
end

-- In a quiz (self.quiz, a list being filled by lines()), a number or a
-- state is replaced by [n] and its answer noted, to be asked afterwards.
function Ladder:blank(value, what)
  local q = self.quiz
  if not q then return value end
  q[#q + 1] = {answer = tostring(value), what = what}
  return "[" .. #q .. "]"
end

function Ladder:label(s)
  local when = string.format("%.6f", (s.time or 0) / 1e9)
  local flags = s.flags ~= "" and s.flags or "none"
  local parts = {flags, "seq=" .. self:blank(self:num(s, s.seq, true),
                                             string.format("seq of %s's %s at %s", s.from, flags, when))}
  if s.ack then
    parts[#parts + 1] = "ack=" .. self:blank(self:num(s, s.ack, false),
                                             string.format("ack of %s's %s at %s", s.from, flags, when))
  end
  if s.len > 0 then parts[#parts + 1] = "len=" .. s.len end
  -- the window as the peer reads it: scaled once both SYNs agreed on it
  if self.win then parts[#parts + 1] = "win=" .. trace.window(s) end
  return table.concat(parts, " ")
end

------------------------------------------------------------------------
-- text
------------------------------------------------------------------------

local MARGIN = 11            -- "%10.6f" and a space

-- A line is an array of characters plus the style of each; styles become
-- colours only when printing to a terminal.
local function blank(width)
  local t = {st = {}}
  for i = 1, width do t[i] = " " end
  return t
end

local function put(line, x, text, style)
  for i = 1, #text do
    local c = x + i - 1
    if c >= 1 then line[c] = text:sub(i, i); line.st[c] = style end
  end
end

-- The line as a string, trailing blanks cut; paint(style, text) colours
-- runs of one style.
local function render(line, paint)
  local n = #line
  while n > 0 and line[n] == " " do n = n - 1 end
  if not paint then return table.concat(line, "", 1, n) end
  local out, i = {}, 1
  while i <= n do
    local st, j = line.st[i], i
    while j < n and line.st[j + 1] == st do j = j + 1 end
    local run = table.concat(line, "", i, j)
    out[#out + 1] = st and paint(st, run) or run
    i = j + 1
  end
  return table.concat(out)
end

function Ladder:_layout()
  local n = #self.cols
  local width = self.width
  -- columns evenly spaced; the outer ones leave room for a centred state
  -- name (11 characters: "ESTABLISHED")
  local first, last = MARGIN + 7, width - 7
  local xs = {}
  if n == 1 then
    xs[1] = first
  else
    for i = 1, n do xs[i] = math.floor(first + (last - first) * (i - 1) / (n - 1) + 0.5) end
  end
  return xs
end

local function fmt_t(ns)
  return string.format("%10.6f ", ns / 1e9)
end

-- The style of a segment's arrow: what a reader should notice first.
function M.seg_style(s)
  if s.lost then return "red" end
  if s.retransmission then return "yellow" end
  if s.kind then return "magenta" end
  if s.rst then return "bold red" end
  if s.syn or s.fin then return "green" end
  return nil
end

-- Lines of the text drawing.  opts.paint(style, text), when given,
-- colours arrows by fate and states in bold.
function Ladder:lines(opts)
  local paint = opts and opts.paint
  local xs = self:_layout()
  local width = self.width
  local out = {}
  local function emit(l) out[#out + 1] = render(l, paint) end
  local function rails()
    local l = blank(width)
    for _, x in ipairs(xs) do l[x] = "|" end
    return l
  end
  local function centred(l, x, text, style)
    put(l, x - (#text - 1) // 2, text, style)
  end
  -- header: names, addresses, initial states
  local h1, h2, h3 = blank(width), blank(width), blank(width)
  put(h1, 1, "  time (s)")
  local initial = {}
  local rows = self:rows()
  for _, row in ipairs(rows) do
    if row.kind == "state" then
      local i = self:state_col(row.state)
      if not initial[i] then initial[i] = row.state.from end
    end
  end
  for i, c in ipairs(self.cols) do
    centred(h1, xs[i], c.name, "bold")
    centred(h2, xs[i], c.addrs[1] or "")
    centred(h3, xs[i], initial[i] or "CLOSED", "cyan")
  end
  emit(h1); emit(h2); emit(h3)
  for _, row in ipairs(rows) do
    local l = rails()
    put(l, 1, fmt_t(row.time), "dim")
    if row.kind == "state" then
      local st = row.state
      centred(l, xs[self:state_col(st)],
              self:blank(st.to, string.format("state of %s at %.6f", st.host, (row.time or 0) / 1e9)), "cyan")
      emit(l)
    elseif row.kind == "note" then
      -- a note runs across the rails, like a comment in the margin
      put(l, MARGIN + 1, string.rep(" ", width - MARGIN))
      put(l, MARGIN + 2, "-- " .. row.note.text, "dim")
      emit(l)
    else
      self:_text_seg(row.seg, xs, l, rails, emit)
    end
  end
  return out
end

function Ladder:_text_seg(s, xs, l, rails, emit)
  local width = self.width
  local a, b = self:seg_cols(s)
  local style = M.seg_style(s)
  local label = self:label(s)
  if s.retransmission then label = label .. " (retransmission)"
  elseif s.kind then label = label .. " (" .. s.kind .. ")" end
  if not b then
    -- to a host without a column: a stub arrow off the side
    local x = xs[a]
    local right = a < #xs or x + 20 <= width
    local text = right and ("|--" .. label .. "-->") or ("<--" .. label .. "--|")
    put(l, right and x or (x - #text + 1), text, style)
    emit(l)
    return
  end
  local x1, x2 = xs[a], xs[b]
  local lo, hi = math.min(x1, x2), math.max(x1, x2)
  local span = hi - lo - 1                    -- characters between the rails
  local shaft = {}
  for i = 1, span do shaft[i] = "-" end
  if x2 > x1 then shaft[span] = ">" else shaft[1] = "<" end
  local text = " " .. label .. " "
  local lost_at
  if s.lost then
    -- the arrow breaks off two thirds of the way, or just after its
    -- label when that is longer
    local cut = math.max(2, math.floor(span * 2 / 3), #text + 6)
    if cut > span - 1 then cut = math.max(2, math.floor(span * 2 / 3)) end
    if x2 > x1 then
      lost_at = cut
      for i = cut + 1, span do shaft[i] = " " end
    else
      lost_at = span - cut + 1
      for i = 1, lost_at - 1 do shaft[i] = " " end
    end
    shaft[lost_at] = "X"
  end
  -- the part of the shaft that is drawn, without its two ends
  local from_i, to_i = 2, span - 1
  if lost_at then
    if x2 > x1 then to_i = lost_at - 1 else from_i = lost_at + 1 end
  end
  local room = to_i - from_i + 1
  if #text <= room then
    -- centred in it
    local start = from_i + (room - #text) // 2
    for i = 1, #text do shaft[start + i - 1] = text:sub(i, i) end
  else
    -- too long for the gap: the label goes on its own line above
    local l0 = rails()
    put(l0, lo + 2, label, style)
    emit(l0)
  end
  if s.lost then
    -- say why in the blank part of the shaft, next to the X
    local why = "(" .. s.lost .. ")"
    if x2 > x1 and span - lost_at - 1 >= #why then
      for i = 1, #why do shaft[lost_at + 1 + i] = why:sub(i, i) end
    elseif x2 < x1 and lost_at - 2 >= #why then
      local start = lost_at - 1 - #why
      for i = 1, #why do shaft[start + i - 1] = why:sub(i, i) end
    end
  end
  put(l, lo + 1, table.concat(shaft), style)
  emit(l)
end

-- Print the text drawing; on a terminal (lunet.term's rules: NO_COLOR,
-- --color) arrows are coloured by fate.  out: a print-like function.
function Ladder:print(out)
  local paint
  if not out then
    local ok, term = pcall(require, "lunet.term")
    if ok and term.color("stdout") then
      paint = function(style, text) return term.paint("stdout", style, text) end
    end
  end
  out = out or print
  if rawget(lunet, "quiz") then return self:quiz_print(out) end
  for _, l in ipairs(self:lines({paint = paint})) do out(l) end
end

-- lunet run --quiz: the ladder with its sequence numbers, acknowledgement
-- numbers and states blanked, then a question per blank on standard input
-- (an empty line reveals the answer; the end of input reveals the rest),
-- and the score.  Answers are compared as numbers, or as state names with
-- case, '-' and '_' ignored (SYN-SENT is SYN_SENT).
local function normal(s)
  s = (s or ""):gsub("^%s+", ""):gsub("%s+$", "")
  local n = tonumber(s)
  if n then return tostring(math.tointeger(n) or n) end
  return (s:upper():gsub("[-_ ]", ""))
end

function Ladder:quiz_print(out, input)
  input = input or io.stdin
  self.quiz = {}
  local lines = self:lines({})
  local q = self.quiz
  self.quiz = nil
  for _, l in ipairs(lines) do out(l) end
  out("")
  out(string.format("Quiz: %d blanks. Type each answer and Enter (Enter alone shows it).", #q))
  local right, eof = 0, false
  local echo = not lunet.isatty("stdin")      -- a terminal shows the Enter itself
  for i, b in ipairs(q) do
    local got
    if not eof then
      io.stdout:write(string.format("  [%d] %s = ", i, b.what))
      io.stdout:flush()
      got = input:read("l")
      if got == nil then eof = true end
      if got == nil or echo then io.stdout:write((got or "") .. "\n") end
    end
    if eof then
      out(string.format("  [%d] %s = %s", i, b.what, b.answer))
    elseif normal(got) == "" then
      out(string.format("      it is %s", b.answer))
    elseif normal(got) == normal(b.answer) then
      right = right + 1
      out("      right")
    else
      out(string.format("      no: it is %s", b.answer))
    end
  end
  out(string.format("Score: %d of %d", right, #q))
  out("")
  return right, #q
end

------------------------------------------------------------------------
-- SVG (lunet.ladder_svg)
------------------------------------------------------------------------

function Ladder:svg(opts)
  return require("lunet.ladder_svg").draw(self, opts or {})
end

function Ladder:write_svg(path, opts)
  if type(path) ~= "string" then error("ladder:write_svg: expected a file path", 2) end
  return require("lunet.svg").write_file(path, self:svg(opts), "ladder:write_svg")
end

return M
