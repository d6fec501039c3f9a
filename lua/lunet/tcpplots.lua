-- lunet.tcpplots - the plots a TCP engineer reads, drawn from a
-- lunet.trace: cwnd and ssthresh, the time-sequence graph (Wireshark's
-- tcptrace / Stevens graph), throughput, RTT and RTO, and link queues.
--
--   local tp = require "lunet.tcpplots"
--   local tr = trace.new(net, {queues = true})  ... run ...
--   local c = tr.conns[1]
--   local side = tp.sender(c)          -- "a" or "b": the side that sent most data
--   tp.cwnd(c, side)       -> lunet.plot or nil when there is nothing to draw
--   tp.tsg(c, side)        -> time-sequence graph of the data side sends
--   tp.throughput(c, side)
--   tp.rtt(c, side)
--   tp.queue(q)            -- q from tr:queues()
--   plot:svg() for the picture.
--
-- Every figure is an event the engine reported ("cwnd", "rtt", "queue",
-- "tx", "rx", "drop"), placed at the time it was reported: a plot's points
-- are the events, nothing is resampled except in the throughput bins.

local plot = require "lunet.plot"
local trace = require "lunet.trace"

local M = {}

local BLUE, RED, GREEN, ORANGE, PURPLE, GREY = "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                               "#9467bd", "#7f8c8d"

-- Linux's TCP_INFINITE_SSTHRESH: ssthresh before the first loss.
local INFINITE = 0x7fffffff

local function side_name(c, side) return trace.side_label(c, side) end

-- The side that sent the most payload (ties: the opener).
function M.sender(c)
  if c.bytes.b > c.bytes.a then return "b" end
  return "a"
end

-- When the conversation was busy: from its first segment or sample to
-- its last segment (a TIME_WAIT after it is idle, not plotted).
local function active_range(c)
  local lo, hi = math.huge, -math.huge
  for _, s in ipairs(c.segs) do
    lo = math.min(lo, s.time)
    hi = math.max(hi, s.rx_time or s.lost_time or s.time)
  end
  for _, side in ipairs({"a", "b"}) do
    for _, e in ipairs(c.cwnd[side]) do lo = math.min(lo, e.time) end
  end
  if lo == math.huge then return nil end
  return lo, hi
end
M.active_range = active_range

function M.cwnd(c, side, opts)
  opts = opts or {}
  local evs = c.cwnd[side]
  if #evs == 0 then return nil end
  local _, hi = active_range(c)
  local p = plot.new{title = opts.title or ("cwnd and ssthresh of " .. side_name(c, side)),
                     x = {label = "time", time = true},
                     y = {label = "window", unit = "segments", integer = true},
                     width = opts.width, height = opts.height}
  local xs, ys, sx, sy = {}, {}, {}, {}
  for i, e in ipairs(evs) do
    xs[i], ys[i] = e.time, e.cwnd
    if e.ssthresh < INFINITE and e.ssthresh < 1e6 then
      sx[#sx + 1], sy[#sy + 1] = e.time, e.ssthresh
    end
  end
  local s = p:add{name = "cwnd", kind = "step", x = xs, y = ys, color = BLUE, extend = true}
  s.x_end = hi
  if #sx > 0 then
    local t = p:add{name = "ssthresh", kind = "step", x = sx, y = sy, color = ORANGE, dash = "6 3",
                    extend = true}
    t.x_end = hi
  end
  for _, e in ipairs(evs) do
    if e.why == "recovery" then
      p:mark{x = e.time, label = "fast retransmit", color = PURPLE}
    elseif e.why == "rto" then
      p:mark{x = e.time, label = "RTO", color = RED}
    end
  end
  return p
end

-- Wireshark's tcptrace graph of what `side` sends: each data segment a
-- vertical bar over the sequence numbers it carries (retransmissions in
-- red) at the time it left; the peer's cumulative ACK and ACK + its
-- receive window (scaled as both SYNs agreed) as steps at the time each
-- ACK arrived back; SACK blocks as green bars at the same times.
-- Sequence numbers are relative to side's ISN.
--
-- opts.t0, opts.t1 (ns) zoom into a time window.  When the receive window
-- reaches far above the data (a large buffer and a short transfer), the
-- plot is cut a little above the data and the window line runs along its
-- top edge, so the data stays readable.
function M.tsg(c, side, opts)
  opts = opts or {}
  local t0, t1 = opts.t0 or -math.huge, opts.t1 or math.huge
  local function inside(t) return t >= t0 and t <= t1 end
  local dx, dy, dy2, rx, ry, ry2 = {}, {}, {}, {}, {}, {}
  local ax, ay, wx, wy, sx, sy, sy2 = {}, {}, {}, {}, {}, {}, {}
  local px, py = {}, {}
  local any = false
  for _, s in ipairs(c.segs) do
    if s.side == side and inside(s.time) then
      local span = s.len + (s.syn and 1 or 0) + (s.fin and 1 or 0)
      local lo = trace.rel(c, side, s.seq)
      if lo and span > 0 then
        any = any or s.len > 0
        if s.retransmission then
          rx[#rx + 1], ry[#ry + 1], ry2[#ry2 + 1] = s.time, lo, lo + span
        else
          dx[#dx + 1], dy[#dy + 1], dy2[#dy2 + 1] = s.time, lo, lo + span
        end
      elseif lo and s.kind == "zero window probe" then
        px[#px + 1], py[#py + 1] = s.time, lo
      end
    elseif s.side ~= side and s.ack and s.rx_time and not s.lost and inside(s.rx_time) then
      local a = trace.rel(c, side, s.ack)
      if a then
        ax[#ax + 1], ay[#ay + 1] = s.rx_time, a
        wx[#wx + 1], wy[#wy + 1] = s.rx_time, a + trace.window(s)
        for _, b in ipairs(s.sack or {}) do
          local l, r = trace.rel(c, side, b[1]), trace.rel(c, side, b[2])
          -- a D-SACK below the ACK is drawn too: it is what the peer said
          sx[#sx + 1], sy[#sy + 1], sy2[#sy2 + 1] = s.rx_time, l, r
        end
      end
    end
  end
  if not any then return nil end
  local top, wtop = 0, 0
  for _, v in ipairs(dy2) do top = math.max(top, v) end
  for _, v in ipairs(ry2) do top = math.max(top, v) end
  for _, v in ipairs(ay) do top = math.max(top, v) end
  for _, v in ipairs(wy) do wtop = math.max(wtop, v) end
  local ymax, note
  if wtop > 1.5 * top then
    ymax = math.floor(top * 1.15) + 1
    note = "receive window above the top: drawn along the edge"
  end
  local p = plot.new{title = opts.title or ("time-sequence graph (tcptrace) of " .. side_name(c, side)),
                     x = {label = "time", time = true, min = opts.t0, max = opts.t1},
                     y = {label = "relative sequence number", unit = "B", si = true, max = ymax},
                     width = opts.width, height = opts.height or 360, note = note}
  if #wx > 0 then p:add{name = "receive window", kind = "step", x = wx, y = wy, color = GREEN, width = 1.2} end
  if #ax > 0 then p:add{name = "ACK", kind = "step", x = ax, y = ay, color = GREY, width = 1.4} end
  p:add{name = "data", kind = "bars", x = dx, y = dy, y2 = dy2, color = BLUE}
  if #rx > 0 then p:add{name = "retransmission", kind = "bars", x = rx, y = ry, y2 = ry2, color = RED, width = 2.4} end
  if #sx > 0 then p:add{name = "SACK", kind = "bars", x = sx, y = sy, y2 = sy2, color = "#00a86b", width = 2.4} end
  if #px > 0 then p:add{name = "zero window probe", kind = "points", x = px, y = py, color = PURPLE} end
  return p
end

-- Bits per second in equal time bins over the busy part of the
-- connection: what side put on the wire (retransmissions included), and
-- what the peer acknowledged as new (the goodput).
function M.throughput(c, side, opts)
  opts = opts or {}
  local lo, hi = active_range(c)
  if not lo or hi <= lo then return nil end
  local bins = opts.bins or 50
  local w = (hi - lo) / bins
  local sent, good = {}, {}
  for i = 1, bins do sent[i], good[i] = 0, 0 end
  local function bin(t)
    local i = math.floor((t - lo) / w) + 1
    if i < 1 then i = 1 elseif i > bins then i = bins end
    return i
  end
  local any, acked = false, nil
  -- where side's data ends (relative): the FIN's number is past it
  local data_end = 1
  for _, s in ipairs(c.segs) do
    if s.side == side and s.len > 0 then
      data_end = math.max(data_end, trace.rel(c, side, s.seq) + s.len)
    end
  end
  for _, s in ipairs(c.segs) do
    if s.side == side and s.len > 0 then
      local i = bin(s.time)
      sent[i] = sent[i] + s.len
      any = true
    elseif s.side ~= side and s.ack and s.rx_time and (c.isn[side] or c.base[side]) then
      -- new data acknowledged, when the ACK came back; not the SYN's or
      -- the FIN's sequence number, which carry no data
      local a = math.min(trace.rel(c, side, s.ack), data_end)
      if acked and a > acked then
        local i = bin(s.rx_time)
        good[i] = good[i] + (a - acked)
      end
      if not acked or a > acked then acked = a end
    end
  end
  if not any then return nil end
  local xs, ys, gs = {}, {}, {}
  for i = 1, bins do
    xs[i] = lo + (i - 1) * w
    ys[i] = sent[i] * 8 / (w / 1e9)
    gs[i] = good[i] * 8 / (w / 1e9)
  end
  local p = plot.new{title = opts.title or ("throughput of " .. side_name(c, side)),
                     x = {label = "time", time = true},
                     y = {label = "throughput", unit = "bit/s", si = true},
                     width = opts.width, height = opts.height,
                     note = string.format("bins of %s", require("lunet.svg").fmt_dur(math.floor(w)))}
  local s1 = p:add{name = "sent (with retransmissions)", kind = "step", x = xs, y = ys, color = BLUE, extend = true}
  s1.x_end = hi
  local s2 = p:add{name = "acknowledged (goodput)", kind = "step", x = xs, y = gs, color = GREEN, extend = true}
  s2.x_end = hi
  return p
end

-- RTT samples as the stack took them, SRTT and the RTO it derived
-- (RFC 6298), and each RTO expiry with the timeout armed after backoff
-- (the RTO line doubles there).
function M.rtt(c, side, opts)
  opts = opts or {}
  local evs = c.rtt[side]
  if #evs == 0 then return nil end
  local xs, rs, ss = {}, {}, {}
  for i, e in ipairs(evs) do xs[i], rs[i], ss[i] = e.time, e.rtt, e.srtt end
  -- the RTO: set by each sample, doubled by each expiry (the timer event
  -- tells the timeout armed next), in time order
  local ox, oy = {}, {}
  local ri, ti, timers = 1, 1, c.timers[side]
  while ri <= #evs or ti <= #timers do
    local r, t = evs[ri], timers[ti]
    if t and (t.timer ~= "rto" or not t.rto) then
      ti = ti + 1
    elseif t and (not r or t.time < r.time) then
      ox[#ox + 1], oy[#oy + 1] = t.time, t.rto
      ti = ti + 1
    else
      ox[#ox + 1], oy[#oy + 1] = r.time, r.rto
      ri = ri + 1
    end
  end
  local p = plot.new{title = opts.title or ("RTT, SRTT and RTO of " .. side_name(c, side)),
                     x = {label = "time", time = true}, y = {label = "time", time = true},
                     width = opts.width, height = opts.height}
  local _, hi = active_range(c)
  local o = p:add{name = "RTO", kind = "step", x = ox, y = oy, color = RED, extend = true}
  o.x_end = hi
  local s = p:add{name = "SRTT", kind = "step", x = xs, y = ss, color = BLUE, extend = true}
  s.x_end = hi
  p:add{name = "RTT sample", kind = "points", x = xs, y = rs, color = "#333333"}
  for _, e in ipairs(c.timers[side]) do
    if e.timer == "rto" then p:mark{x = e.time, label = "RTO fired", color = RED} end
  end
  return p
end

-- A link direction's queue: frames waiting for the transmitter, and the
-- frames it dropped (queue full and the rest) as crosses.
function M.queue(q, opts)
  opts = opts or {}
  local xs, ys = q.t, q.qlen
  local p = plot.new{title = opts.title or ("queue of " .. q.link .. (q.dir == 0 and " (a→b)" or " (b→a)")),
                     x = {label = "time", time = true}, y = {label = "frames waiting", integer = true},
                     width = opts.width, height = opts.height or 240}
  if #xs > 0 then p:add{name = "queue length", kind = "step", x = xs, y = ys, color = BLUE} end
  if #q.drops > 0 then
    -- each drop at the queue length it met
    local dx, dy, k, cur = {}, {}, 1, 0
    for i, d in ipairs(q.drops) do
      while k <= #q.t and q.t[k] <= d.time do cur = q.qlen[k]; k = k + 1 end
      dx[i], dy[i] = d.time, cur
    end
    p:add{name = "drops", kind = "points", marker = "x", x = dx, y = dy, color = RED}
  end
  return p
end

return M
