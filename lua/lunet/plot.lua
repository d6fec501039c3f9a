-- lunet.plot - x/y plots as SVG, with axes, ticks, units and a legend; no
-- plotting program needed, the same bytes from the same data.
--
--   local plot = require "lunet.plot"
--   local p = plot.new{title = "cwnd", x = {label = "time", time = true},
--                      y = {label = "cwnd", unit = "segments"}}
--   p:add{name = "cwnd", kind = "step", x = {...}, y = {...}, color = "#1f77b4"}
--   p:mark{x = t, label = "RTO", color = "#c62828"}
--   local doc = p:svg()
--   p:px(x), p:py(y)       -- where a data point was drawn (after p:svg())
--
-- Axes: {label=, unit=, time = true (values in ns, shown in s, ms or µs
-- by the range), si = true (k, M, G prefixes on the unit), min=, max=,
-- zero = true (include 0, the default for y), integer = true (ticks on
-- whole numbers: counts)}.
--
-- Series kinds: "line" (through the points), "step" (each value holds
-- until the next; extend = true carries the last one to the right edge),
-- "points" (marker = "dot" or "x"), "bars" (vertical bars from y to y2:
-- sequence ranges in a time-sequence graph).  A series with far more
-- points than the plot has pixels is thinned per pixel column, keeping
-- each column's first, lowest, highest and last point, so its shape
-- survives; p.thinned says whether that happened.

local svg = require "lunet.svg"
local num = svg.num

local M = {}
local Plot = {}
Plot.__index = Plot

local PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"}

local CSS = table.concat({
  ".lunet-plot text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:11px;fill:#1d2733}",
  ".lunet-plot .ttl{font-size:13px;font-weight:bold}",
  ".lunet-plot .frame{fill:none;stroke:#8a99a8}",
  ".lunet-plot .grid{stroke:#e6eaee}",
  ".lunet-plot .tick{fill:#5a6b7b;font-size:10px}",
  ".lunet-plot .axl{fill:#3b4b5b}",
  ".lunet-plot .mark{stroke-dasharray:4 3;stroke-width:1.2}",
  ".lunet-plot .mlbl{font-size:10px}",
  ".lunet-plot .note{fill:#8a99a8;font-size:10px;font-style:italic}",
}, "\n")

local NEW_OPTS = {title = true, x = true, y = true, width = true, height = true, note = true}

function M.new(opts)
  opts = require("lunet.util").check_opts("plot.new", opts, NEW_OPTS)
  return setmetatable({
    title = opts.title, note = opts.note, xa = opts.x or {}, ya = opts.y or {},
    width = opts.width or 720, height = opts.height or 300,
    series = {}, marks = {}, thinned = false,
  }, Plot)
end

local KINDS = {line = true, step = true, points = true, bars = true}

function Plot:add(s)
  if type(s) ~= "table" or type(s.x) ~= "table" or type(s.y) ~= "table" then
    error("plot:add: expected {name=, kind=, x = {...}, y = {...}}", 2)
  end
  s.kind = s.kind or "line"
  if not KINDS[s.kind] then
    error('plot:add: kind "' .. tostring(s.kind) .. '" unknown (known: bars, line, points, step)', 2)
  end
  if #s.x ~= #s.y or (s.y2 and #s.y2 ~= #s.x) then
    error("plot:add: x, y (and y2) must have the same length", 2)
  end
  s.color = s.color or PALETTE[(#self.series % #PALETTE) + 1]
  self.series[#self.series + 1] = s
  return s
end

-- A vertical marker: an event at time x (an RTO, a fast retransmit).
function Plot:mark(m)
  if type(m) ~= "table" or type(m.x) ~= "number" then error("plot:mark: expected {x=, label=}", 2) end
  m.color = m.color or "#888"
  self.marks[#self.marks + 1] = m
  return m
end

-- "Nice" tick spacing: 1, 2, 2.5 or 5 times a power of ten, about n
-- ticks; for counts, whole numbers only (no 2.5).
local function nice_step(span, n, integer)
  if span <= 0 then return 1 end
  local raw = span / n
  if integer and raw < 1 then return 1 end
  local p = 10 ^ math.floor(math.log(raw, 10))
  for _, m in ipairs(integer and p < 10 and {1, 2, 5, 10} or {1, 2, 2.5, 5, 10}) do
    if raw <= m * p * 1.0000001 then return m * p end
  end
  return 10 * p
end

-- The unit an axis is shown in: a divisor and its name.
local TIME_UNITS = {{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
local SI = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}}

local function axis_unit(a, lo, hi)
  local big = math.max(math.abs(lo), math.abs(hi))
  if a.time then
    for _, u in ipairs(TIME_UNITS) do
      if big >= 2 * u[1] or u[1] == 1 then return u[1], u[2] end
    end
  elseif a.si then
    for _, u in ipairs(SI) do
      if big >= u[1] or u[1] == 1 then return u[1], u[2] .. (a.unit or "") end
    end
  end
  return 1, a.unit
end

-- Format a tick value with as many decimals as the step needs.
local function tick_label(v, step)
  local dec = 0
  while dec < 6 and math.abs(step * 10 ^ dec - math.floor(step * 10 ^ dec + 0.5)) > 1e-9 do
    dec = dec + 1
  end
  local s = string.format("%." .. dec .. "f", v)
  if s:match("^%-0%.?0*$") then s = s:sub(2) end
  return s
end

function Plot:_range(a, key, marks)
  local lo, hi = math.huge, -math.huge
  for _, s in ipairs(self.series) do
    for _, v in ipairs(s[key]) do
      if v < lo then lo = v end
      if v > hi then hi = v end
    end
    if key == "y" and s.y2 then
      for _, v in ipairs(s.y2) do
        if v < lo then lo = v end
        if v > hi then hi = v end
      end
    end
    if key == "x" and s.x_end then hi = math.max(hi, s.x_end) end
  end
  if marks then
    for _, m in ipairs(self.marks) do
      if m.x < lo then lo = m.x end
      if m.x > hi then hi = m.x end
    end
  end
  if lo == math.huge then lo, hi = 0, 1 end
  if a.zero ~= false and key == "y" then lo = math.min(lo, 0) end
  if a.min then lo = a.min end
  if a.max then hi = a.max end
  if hi <= lo then hi = lo + (lo == 0 and 1 or math.abs(lo) * 0.1) end
  return lo, hi
end

-- Keep each pixel column's first, lowest, highest and last point.
local function thin(xs, ys, y2s, px)
  local ox, oy, oy2 = {}, {}, y2s and {} or nil
  local i, n = 1, #xs
  while i <= n do
    local col = math.floor(px(xs[i]))
    local j = i
    while j < n and math.floor(px(xs[j + 1])) == col do j = j + 1 end
    local keep = {[i] = true, [j] = true}
    local lo, hi = i, i
    for k = i, j do
      if ys[k] < ys[lo] then lo = k end
      local top = y2s and y2s[k] or ys[k]
      if top > (y2s and y2s[hi] or ys[hi]) then hi = k end
    end
    keep[lo], keep[hi] = true, true
    for k = i, j do
      if keep[k] then
        ox[#ox + 1], oy[#oy + 1] = xs[k], ys[k]
        if oy2 then oy2[#oy2 + 1] = y2s[k] end
      end
    end
    i = j + 1
  end
  return ox, oy, oy2
end

function Plot:svg()
  local W, H = self.width, self.height
  local L, R, T, B = 70, 20, 30, 46
  if self.title then T = T + 8 end
  -- legend entries: series and kinds of marks
  local legend = {}
  for _, s in ipairs(self.series) do
    if s.name and not s.no_legend then legend[#legend + 1] = {s.name, s.color, s.kind} end
  end
  local seen = {}
  for _, m in ipairs(self.marks) do
    local key = m.legend or m.label
    if key and not seen[key] then
      seen[key] = true
      legend[#legend + 1] = {key, m.color, "mark"}
    end
  end
  if #legend > 0 then T = T + 18 end
  local pw, ph = W - L - R, H - T - B
  local x0, x1 = self:_range(self.xa, "x", true)
  local y0, y1 = self:_range(self.ya, "y", false)
  -- a little room on both sides, so that nothing is drawn on the frame
  local pad = (x1 - x0) * 0.015
  if not self.xa.min then x0 = x0 - pad end
  if not self.xa.max then x1 = x1 + pad end
  local xdiv, xunit = axis_unit(self.xa, x0, x1)
  local ydiv, yunit = axis_unit(self.ya, y0, y1)
  -- a little headroom, then round the y range out to whole ticks
  if not self.ya.max then y1 = y1 + (y1 - y0) * 0.04 end
  local ystep = nice_step((y1 - y0) / ydiv, 5, self.ya.integer) * ydiv
  y0 = math.floor(y0 / ystep + 1e-9) * ystep
  y1 = math.ceil(y1 / ystep - 1e-9) * ystep
  if y1 <= y0 then y1 = y0 + ystep end
  local xstep = nice_step((x1 - x0) / xdiv, 8) * xdiv
  local function px(x) return L + (x - x0) / (x1 - x0) * pw end
  -- values outside a range set by the caller run along the frame's edge
  local function py(y)
    if y > y1 then y = y1 elseif y < y0 then y = y0 end
    return T + ph - (y - y0) / (y1 - y0) * ph
  end
  self.px, self.py = function(_, x) return px(x) end, function(_, y) return py(y) end

  local c = svg.canvas()
  if self.title then c:text(L, 18, self.title, 'class="ttl"') end
  -- legend
  local lx, ly = L, (self.title and 38 or 22)
  for _, e in ipairs(legend) do
    if e[3] == "points" then
      c:circle(lx + 8, ly - 4, 3, string.format('fill="%s"', e[2]))
    elseif e[3] == "mark" then
      c:line(lx, ly - 4, lx + 16, ly - 4, string.format('class="mark" stroke="%s"', e[2]))
    else
      c:line(lx, ly - 4, lx + 16, ly - 4, string.format('stroke="%s" stroke-width="%s"', e[2],
                                                        e[3] == "bars" and 4 or 2))
    end
    c:text(lx + 20, ly, e[1])
    lx = lx + 20 + svg.text_width(e[1], 11) * 0.95 + 16
  end
  -- grid and ticks
  local t = math.ceil(y0 / ystep - 1e-9) * ystep
  while t <= y1 + ystep * 1e-6 do
    local y = py(t)
    c:line(L, y, L + pw, y, 'class="grid"')
    c:text(L - 6, y + 3.5, tick_label(t / ydiv, ystep / ydiv), 'class="tick" text-anchor="end"')
    t = t + ystep
  end
  t = math.ceil(x0 / xstep - 1e-9) * xstep
  while t <= x1 + xstep * 1e-6 do
    local x = px(t)
    c:line(x, T, x, T + ph, 'class="grid"')
    c:text(x, T + ph + 14, tick_label(t / xdiv, xstep / xdiv), 'class="tick" text-anchor="middle"')
    t = t + xstep
  end
  c:rect(L, T, pw, ph, 'class="frame"')
  local function axis_title(a, unit)
    local s = a.label or ""
    if unit and unit ~= "" then s = s .. " (" .. unit .. ")" end
    return s
  end
  c:text(L + pw / 2, H - 10, axis_title(self.xa, xunit), 'class="axl" text-anchor="middle"')
  c:text(14, T + ph / 2, axis_title(self.ya, yunit),
         string.format('class="axl" text-anchor="middle" transform="rotate(-90 14 %s)"', num(T + ph / 2)))
  -- marks under the data, labelled where there is room
  local last_lbl = -math.huge
  for _, m in ipairs(self.marks) do
    local x = px(m.x)
    c:line(x, T, x, T + ph, string.format('class="mark" stroke="%s"', m.color))
    local tw = svg.text_width(m.label or "", 10)
    if m.label and x - last_lbl > tw + 6 then
      -- right of the line, or left of it at the right edge
      local right = x + 3 + tw <= L + pw
      c:text(right and x + 3 or x - 3, T + 11, m.label,
             string.format('class="mlbl" fill="%s" text-anchor="%s"', m.color, right and "start" or "end"))
      last_lbl = right and x or x + tw
    end
  end
  -- the data
  for _, s in ipairs(self.series) do
    local xs, ys, y2s = s.x, s.y, s.y2
    if #xs > 4 * pw then
      xs, ys, y2s = thin(xs, ys, y2s, px)
      self.thinned = true
    end
    c:open("g", string.format('class="series" data-name="%s"', svg.esc(s.name or "")))
    if s.kind == "line" or s.kind == "step" then
      local pts = {}
      for i = 1, #xs do
        if s.kind == "step" and i > 1 then
          pts[#pts + 1] = px(xs[i]); pts[#pts + 1] = py(ys[i - 1])
        end
        pts[#pts + 1] = px(xs[i]); pts[#pts + 1] = py(ys[i])
      end
      if s.kind == "step" and s.extend and #xs > 0 then
        pts[#pts + 1] = px(math.max(x1, xs[#xs])); pts[#pts + 1] = py(ys[#ys])
      end
      if #pts >= 2 then
        c:poly("polyline", pts, string.format('fill="none" stroke="%s" stroke-width="%s"%s', s.color,
               s.width or 1.8, s.dash and (' stroke-dasharray="' .. s.dash .. '"') or ""))
      end
    elseif s.kind == "points" then
      local d = {}
      for i = 1, #xs do
        local x, y = px(xs[i]), py(ys[i])
        if s.marker == "x" then
          d[#d + 1] = string.format("M%s %sl6 6M%s %sl-6 6", num(x - 3), num(y - 3), num(x + 3), num(y - 3))
        else
          d[#d + 1] = string.format("M%s %sh0", num(x), num(y))
        end
      end
      if #d > 0 then
        c:add('<path d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linecap="round"/>',
              table.concat(d), s.color, s.marker == "x" and 1.6 or 5)
      end
    else
      local d = {}
      for i = 1, #xs do
        local ya, yb = py(ys[i]), py(y2s and y2s[i] or ys[i])
        if math.abs(ya - yb) < 1.5 then ya, yb = (ya + yb) / 2 + 0.75, (ya + yb) / 2 - 0.75 end
        d[#d + 1] = string.format("M%s %sV%s", num(px(xs[i])), num(ya), num(yb))
      end
      if #d > 0 then
        c:add('<path d="%s" fill="none" stroke="%s" stroke-width="%s"/>', table.concat(d), s.color,
              s.width or 1.6)
      end
    end
    c:close("g")
  end
  if self.note or self.thinned then
    local n = self.note or ""
    if self.thinned then n = (n ~= "" and n .. "; " or "") .. "dense series thinned to the pixel" end
    c:text(L + pw, H - 10, n, 'class="note" text-anchor="end"')
  end
  return c:document(W, H, "lunet-plot", CSS, self.title or "plot")
end

function Plot:write_svg(path)
  return svg.write_file(path, self:svg(), "plot:write_svg")
end

M.nice_step = nice_step
return M
