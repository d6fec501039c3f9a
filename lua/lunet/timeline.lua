-- lunet.timeline - the TCP states of one connection as bars over time, a
-- row per side: how long each side sat in SYN_SENT, ESTABLISHED,
-- FIN_WAIT_2, TIME_WAIT...
--
--   local timeline = require "lunet.timeline"
--   local doc = timeline.svg(conn, {title = "...", until_time = t})
--     conn: a connection of a lunet.trace (tr.conns[i])
--
-- Time runs right, on lunet.timeaxis like the ladder: a state too short
-- to see still gets room for its name, and a long idle stretch (TIME_WAIT)
-- is cut to a break that says how long it was.  Each bar's tooltip gives
-- the state, when it began and how long it lasted.

local svg = require "lunet.svg"
local trace = require "lunet.trace"
local timeaxis = require "lunet.timeaxis"
local STATE_FILL = require("lunet.ladder_svg").STATE_FILL

local M = {}

local CSS = table.concat({
  ".lunet-timeline text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:10px;fill:#1d2733}",
  ".lunet-timeline .side{font-size:11px;font-weight:bold}",
  ".lunet-timeline .t{fill:#607080}",
  ".lunet-timeline .brk{fill:#f1f3f5}",
  ".lunet-timeline .brktxt{fill:#607080;font-style:italic}",
  ".lunet-timeline .axis{stroke:#9fb0bf}",
}, "\n")

local ROW, GAP, LEFT, TOP = 24, 12, 220, 30

-- The bars of one side: {state=, t0=, t1=} in order; the state before the
-- first change starts where the connection was first seen.
local function bars(c, side, t_end)
  local out = {}
  local st = c.states[side]
  if #st == 0 then return out end
  out[1] = {state = st[1].from, t0 = math.min(c.first, st[1].time), t1 = st[1].time}
  for i, r in ipairs(st) do
    out[#out + 1] = {state = r.to, t0 = r.time, t1 = st[i + 1] and st[i + 1].time or t_end}
  end
  -- nothing to draw for a zero-length first bar (a socket created in
  -- the state it leaves at once)
  if out[1].t1 <= out[1].t0 then table.remove(out, 1) end
  return out
end
M.bars = bars

function M.svg(c, opts)
  opts = opts or {}
  local t_end = opts.until_time or c.last
  for _, side in ipairs({"a", "b"}) do
    local st = c.states[side]
    if #st > 0 then t_end = math.max(t_end, st[#st].time) end
  end
  local rows = {bars(c, "a", t_end), bars(c, "b", t_end)}
  -- an item at every change; each needs room for the name of the state
  -- that ends there
  local items, seen = {}, {}
  local function item(t, room)
    local key = t
    if seen[key] then
      seen[key].room = math.max(seen[key].room, room)
      return seen[key]
    end
    local it = {t = t, room = room}
    seen[key] = it
    items[#items + 1] = it
    return it
  end
  local t0 = math.huge
  for _, r in ipairs(rows) do
    for _, b in ipairs(r) do t0 = math.min(t0, b.t0) end
  end
  if t0 == math.huge then return nil end
  item(t0, 0)
  for _, r in ipairs(rows) do
    for _, b in ipairs(r) do
      item(b.t0, 0)
      item(b.t1, svg.text_width(b.state, 10) + 10)
    end
  end
  -- scale: the median state lasts about 90 px
  local ds = {}
  for _, r in ipairs(rows) do
    for _, b in ipairs(r) do if b.t1 > b.t0 then ds[#ds + 1] = b.t1 - b.t0 end end
  end
  table.sort(ds)
  local typical = ds[(#ds + 1) // 2] or 1e6
  local ax = timeaxis.new(items, {scale = 90 / typical, max_gap = 260, break_size = 26})
  local function X(t) return LEFT + ax:at(t) end
  local width = LEFT + ax.length + 30
  local height = TOP + 2 * ROW + GAP + 44
  local c2 = svg.canvas()
  if opts.title then c2:text(8, 16, opts.title, 'class="side"') end
  for i, side in ipairs({"a", "b"}) do
    local y = TOP + (i - 1) * (ROW + GAP)
    c2:text(LEFT - 8, y + ROW / 2 + 4, trace.side_label(c, side), 'class="side" text-anchor="end"')
    for _, b in ipairs(rows[i]) do
      local x0, x1 = X(b.t0), X(b.t1)
      local fill = STATE_FILL[b.state] or {"#fafafa", "#9e9e9e"}
      c2:open("g", 'class="bar"')
      c2:title(string.format("%s: %s from %.6f s for %s", trace.side_label(c, side), b.state,
                             b.t0 / 1e9, svg.fmt_dur(b.t1 - b.t0)))
      c2:rect(x0, y, math.max(x1 - x0, 1), ROW, string.format('fill="%s" stroke="%s"', fill[1], fill[2]))
      -- the name goes in the widest part of the bar that no break covers
      local pa, pb = x0, x0
      local from = x0
      for _, br in ipairs(ax.breaks) do
        local ba, bb = LEFT + br.p0, LEFT + br.p1
        if ba < x1 and bb > from then
          if ba - from > pb - pa then pa, pb = from, ba end
          from = math.max(from, bb)
        end
      end
      if x1 - from > pb - pa then pa, pb = from, x1 end
      if pb - pa >= svg.text_width(b.state, 10) + 6 then
        c2:text((pa + pb) / 2, y + ROW / 2 + 3.5, b.state, 'text-anchor="middle"')
      end
      c2:close("g")
    end
  end
  -- breaks over both rows
  local ybot = TOP + 2 * ROW + GAP
  for _, b in ipairs(ax.breaks) do
    local xa, xb = LEFT + b.p0, LEFT + b.p1
    c2:rect(xa, TOP - 6, xb - xa, ybot - TOP + 12, 'class="brk"')
    local pts = {}
    for y = TOP - 6, ybot + 6, 8 do
      pts[#pts + 1] = xa + ((y - TOP) % 16 == 0 and -2 or 2); pts[#pts + 1] = y
    end
    c2:poly("polyline", pts, 'fill="none" stroke="#9fb0bf"')
    c2:text((xa + xb) / 2, ybot + 30, svg.fmt_dur(b.t1 - b.t0), 'class="brktxt" text-anchor="middle"')
  end
  -- the time axis: the time of each change, where it fits
  c2:line(LEFT, ybot + 6, LEFT + ax.length, ybot + 6, 'class="axis"')
  local last = -math.huge
  local ts = {}
  for _, it in ipairs(items) do ts[#ts + 1] = it.t end
  table.sort(ts)
  local function near_break(x)
    for _, b in ipairs(ax.breaks) do
      local mid = LEFT + (b.p0 + b.p1) / 2
      if math.abs(x - mid) < 45 then return true end
    end
    return false
  end
  for _, t in ipairs(ts) do
    local x = X(t)
    if x - last >= 70 and not near_break(x) then
      c2:line(x, ybot + 3, x, ybot + 9, 'class="axis"')
      c2:text(x, ybot + 19, string.format("%.6f", t / 1e9), 'class="t" text-anchor="middle"')
      last = x
    end
  end
  return c2:document(width, height + 4, "lunet-timeline", CSS,
                     opts.title or ("TCP states of " .. trace.side_label(c, "a") .. " and " ..
                                    trace.side_label(c, "b")))
end

return M
