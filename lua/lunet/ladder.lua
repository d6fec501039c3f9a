-- lunet.ladder - ladder (sequence) diagrams of TCP conversations, drawn from
-- the event stream.
--
--   local ladder = require "lunet.ladder"
--   local lad = ladder.new(net, {hosts = {client, server}, ports = {80}})
--   ... run ...
--   lad:print()            -- or lad:lines() for the text
--   lad:segments()         -- what was recorded, for assertions
--   lad:states(host)       -- the TCP states a host went through, in order
--   lad:note("text")       -- a comment row at the current virtual time
--   lad:stop()             -- stop recording
--
-- One column per host; a row per segment, drawn when the segment starts
-- onto the wire, as an arrow from the sender's column to the receiver's
-- labelled with its flags, seq, ack and length ("SYN,ACK seq=2000
-- ack=1001"); a row per TCP state change, the new state written in the
-- host's column; virtual time in the left margin.  Segments that never
-- arrive end in "X" with the reason of the drop; a segment whose sequence
-- range was sent before is marked "(retransmission)".
--
-- Nothing here re-derives what the engine knows: segments come from "tx"
-- events (the sending host's interface), their fate from "rx" and "drop"
-- events carrying the same packet id, states from "tcp" events.
--
-- Options of ladder.new:
--   hosts    = {Node|name, ...}   the columns, left to right (required)
--   ports    = {80, ...}          only connections with one of these ports
--   relative = false              seq/ack relative to each side's ISN
--   win      = false              show the advertised window
--   width    = 80                 total width of the drawing

local M = {}
local Ladder = {}
Ladder.__index = Ladder

local FLAG_WORDS = {   -- tcpdump letter -> the word textbooks use, in order
  {"S", "SYN"}, {"F", "FIN"}, {"R", "RST"}, {"P", "PSH"}, {"U", "URG"},
  {"E", "ECE"}, {"W", "CWR"}, {".", "ACK"},
}

local function flag_words(letters)
  local w = {}
  for _, fw in ipairs(FLAG_WORDS) do
    if letters:find(fw[1], 1, true) then w[#w + 1] = fw[2] end
  end
  return table.concat(w, ",")
end
M.flag_words = flag_words

local function host_name(h, fname)
  if type(h) == "string" then return h end
  local ok, name = pcall(function() return h.name end)
  if ok and type(name) == "string" then return name end
  error(fname .. ": expected a host (Node or name), got " .. type(h), 3)
end

local function port_of(endpoint)
  return tonumber(endpoint:match(":(%d+)$"))
end

function M.new(net, opts)
  if type(opts) ~= "table" or type(opts.hosts) ~= "table" or #opts.hosts == 0 then
    error("ladder.new: expected {hosts = {h1, h2, ...}} (the columns, left to right)", 2)
  end
  local known = {hosts = true, ports = true, relative = true, win = true, width = true}
  for k in pairs(opts) do
    if not known[k] then
      error(string.format('ladder.new: option "%s" unknown (known: hosts, ports, relative, win, width)',
                          tostring(k)), 2)
    end
  end
  local self = setmetatable({
    net = net, rows = {}, segs = {}, by_id = {}, st = {}, cols = {}, col_of = {},
    owner = {}, ports = nil, relative = opts.relative or false, win = opts.win or false,
    width = opts.width or 80, sent = {}, isn = {}, ids = {},
  }, Ladder)
  for i, h in ipairs(opts.hosts) do
    local name = host_name(h, "ladder.new")
    local node = type(h) == "string" and net:node(h) or h
    if not node then error("ladder.new: no host named " .. name, 2) end
    self.cols[i] = {name = name, addrs = {}}
    self.col_of[name] = i
    for _, ifc in ipairs(node:ifaces()) do
      local ip = ifc:ip()
      if ip then
        self.cols[i].addrs[#self.cols[i].addrs + 1] = ip
        self.owner[ip] = name
      end
    end
  end
  if opts.ports then
    self.ports = {}
    for _, p in ipairs(opts.ports) do self.ports[p] = true end
  end
  local function wanted(sport, dport)
    return not self.ports or self.ports[sport] or self.ports[dport]
  end
  self.ids[#self.ids + 1] = net:on("tx", function(ev)
    if ev.proto ~= "tcp" or not ev.sport or not self.col_of[ev.node or ""] then return end
    if self.owner[ev.src] ~= ev.node then return end        -- forwarded, not sent
    if not wanted(ev.sport, ev.dport) then return end
    self:_segment(ev)
  end)
  self.ids[#self.ids + 1] = net:on("rx", function(ev)
    local s = self.by_id[ev.id or -1]
    if s and ev.node == s.to then s.rx_time = ev.time end
  end)
  self.ids[#self.ids + 1] = net:on("drop", function(ev)
    -- on the way, or by the receiver (a bad checksum, out of window): the
    -- segment did not do its job either way
    local s = self.by_id[ev.id or -1]
    if s and not s.lost then s.lost = ev.reason or "dropped" end
  end)
  self.ids[#self.ids + 1] = net:on("tcp", function(ev)
    if not self.col_of[ev.node or ""] or not ev.flow then return end
    local a, b = ev.flow:match("^(.-)>(.*)$")
    if not wanted(port_of(a or "") or -1, port_of(b or "") or -1) then return end
    local rec = {time = ev.time, host = ev.node, from = ev.from, to = ev.to, flow = ev.flow}
    self.st[#self.st + 1] = rec
    self.rows[#self.rows + 1] = {kind = "state", time = ev.time, rec = rec}
  end)
  return self
end

function Ladder:_segment(ev)
  local to = self.owner[ev.dst]
  local flags = flag_words(ev.flags or "")
  local s = {
    time = ev.time, from = ev.node, to = to, src = ev.src, dst = ev.dst,
    sport = ev.sport, dport = ev.dport, flags = flags, letters = ev.flags,
    seq = ev.seq, ack = ev.ack, len = ev.payload or 0, win = ev.win, id = ev.id,
    syn = ev.flags:find("S", 1, true) ~= nil, fin = ev.flags:find("F", 1, true) ~= nil,
    rst = ev.flags:find("R", 1, true) ~= nil,
  }
  -- each direction's ISN, for relative numbers
  local dir = ev.src .. ":" .. ev.sport .. ">" .. ev.dst .. ":" .. ev.dport
  if s.syn then self.isn[dir] = s.seq end
  -- a segment covering sequence space already sent is a retransmission
  local span = s.len + (s.syn and 1 or 0) + (s.fin and 1 or 0)
  if span > 0 then
    local key = dir .. "#" .. s.seq .. "#" .. span
    if self.sent[key] then s.retransmission = true end
    self.sent[key] = true
  end
  s.dir = dir
  self.segs[#self.segs + 1] = s
  if ev.id then self.by_id[ev.id] = s end
  self.rows[#self.rows + 1] = {kind = "seg", time = ev.time, seg = s}
end

function Ladder:stop()
  for _, id in ipairs(self.ids) do self.net:off(id) end
  self.ids = {}
end

function Ladder:note(text)
  self.rows[#self.rows + 1] = {kind = "note", time = self.net:now(), text = tostring(text)}
end

-- The recorded segments, in send order: {time=, from=, to=, flags="SYN,ACK",
-- seq=, ack=|nil, len=, win=, lost=reason|nil, rx_time=|nil,
-- retransmission=bool, label="SYN,ACK seq=2000 ack=1001", ...}.
function Ladder:segments()
  local out = {}
  for i, s in ipairs(self.segs) do
    local c = {}
    for k, v in pairs(s) do c[k] = v end
    c.label = self:label(s)
    out[i] = c
  end
  return out
end

-- States a host went through: the state before its first change, then
-- each new state (repeats in a row collapsed, so a listener closing after
-- its connection does not add a second CLOSED).
function Ladder:states(host)
  local name = host_name(host, "ladder:states")
  local out = {}
  for _, r in ipairs(self.st) do
    if r.host == name then
      if #out == 0 then out[1] = r.from end
      if out[#out] ~= r.to then out[#out + 1] = r.to end
    end
  end
  return out
end

-- The state changes as recorded: {time=, host=, from=, to=, flow=}.
function Ladder:transitions()
  local out = {}
  for i, r in ipairs(self.st) do out[i] = r end
  return out
end

function Ladder:label(s)
  local function rel(v, dir)
    if not self.relative or v == nil then return v end
    local isn = self.isn[dir]
    if not isn then return v end
    return (v - isn) % 4294967296
  end
  local back = s.dst .. ":" .. s.dport .. ">" .. s.src .. ":" .. s.sport
  local parts = {s.flags ~= "" and s.flags or "none", "seq=" .. rel(s.seq, s.dir)}
  if s.ack then parts[#parts + 1] = "ack=" .. rel(s.ack, back) end
  if s.len > 0 then parts[#parts + 1] = "len=" .. s.len end
  if self.win then parts[#parts + 1] = "win=" .. s.win end
  return table.concat(parts, " ")
end

------------------------------------------------------------------------
-- drawing
------------------------------------------------------------------------

local MARGIN = 11            -- "%10.6f" and a space

local function put(line, x, text)
  -- write text into the char array `line` at 1-based column x
  for i = 1, #text do
    local c = x + i - 1
    if c >= 1 then line[c] = text:sub(i, i) end
  end
end

local function blank(width)
  local t = {}
  for i = 1, width do t[i] = " " end
  return t
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

local function trim(line)
  return (table.concat(line):gsub("%s+$", ""))
end

function Ladder:lines()
  local xs = self:_layout()
  local width = self.width
  local out = {}
  local function rails()
    local l = blank(width)
    for _, x in ipairs(xs) do l[x] = "|" end
    return l
  end
  local function centred(l, x, text)
    put(l, x - (#text - 1) // 2, text)
  end
  -- header: names, addresses, initial states
  local h1, h2, h3 = blank(width), blank(width), blank(width)
  put(h1, 1, "  time (s)")
  local initial = {}
  for _, r in ipairs(self.st) do
    if not initial[r.host] then initial[r.host] = r.from end
  end
  for i, c in ipairs(self.cols) do
    centred(h1, xs[i], c.name)
    centred(h2, xs[i], c.addrs[1] or "")
    centred(h3, xs[i], initial[c.name] or "CLOSED")
  end
  out[#out + 1] = trim(h1)
  out[#out + 1] = trim(h2)
  out[#out + 1] = trim(h3)
  for _, row in ipairs(self.rows) do
    local l = rails()
    put(l, 1, fmt_t(row.time))
    if row.kind == "state" then
      local i = self.col_of[row.rec.host]
      centred(l, xs[i], row.rec.to)
      out[#out + 1] = trim(l)
    elseif row.kind == "note" then
      local text = "-- " .. row.text
      local l2 = rails()
      put(l2, 1, fmt_t(row.time))
      -- a note runs across the rails, like a comment in the margin
      put(l2, MARGIN + 1, string.rep(" ", width - MARGIN))
      put(l2, MARGIN + 2, text)
      out[#out + 1] = trim(l2)
    else
      local s = row.seg
      local a, b = self.col_of[s.from], s.to and self.col_of[s.to]
      local label = self:label(s)
      if s.retransmission then label = label .. " (retransmission)" end
      if not b then
        -- to a host without a column: a stub arrow off the side
        local x = xs[a]
        local right = a < #xs or x + 20 <= width
        local text = right and ("|--" .. label .. "-->") or ("<--" .. label .. "--|")
        put(l, right and x or (x - #text + 1), text)
        out[#out + 1] = trim(l)
      else
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
          put(l0, lo + 2, label)
          out[#out + 1] = trim(l0)
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
        put(l, lo + 1, table.concat(shaft))
        out[#out + 1] = trim(l)
      end
    end
  end
  return out
end

function Ladder:print(out)
  out = out or print
  for _, l in ipairs(self:lines()) do out(l) end
end

return M
