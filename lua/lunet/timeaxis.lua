-- lunet.timeaxis - a time axis that keeps every event readable and a whole
-- run on one page.
--
-- A ladder diagram has to show two things at once: the few microseconds
-- between a segment leaving and the next one (which need a row each to
-- be read), and the slant of an arrow over a 5 ms link.  A 60 s TIME_WAIT
-- after that would push the end off any page.  So positions grow with
-- time at a fixed scale, but never by less than the room the next item
-- needs, and a gap that would take more than `max_gap` pixels is cut
-- down to a fixed-size break, drawn as such and labelled with the time it
-- stands for.
--
--   local ta = require "lunet.timeaxis"
--   local ax = ta.new(items, {scale = px_per_ns, max_gap = 240, break_size = 34})
--     items: array of {t = ns, room = px}, in any order; `room` is the
--     space the item needs after the previous one
--   ax:pos(item)    -- position of an item given to new
--   ax:at(t)        -- position of any time (interpolated)
--   ax.breaks       -- {{t0=, t1=, p0=, p1=}, ...}: cut gaps, p0..p1 on the axis
--   ax.length       -- position of the last item
--
-- The same code lays out the ladder (downwards) and the state timeline
-- (rightwards).

local M = {}
local Axis = {}
Axis.__index = Axis

function M.new(items, opts)
  opts = opts or {}
  local scale = opts.scale or 1e-6            -- px per ns: 1 px per ms
  local max_gap = opts.max_gap or 240
  local break_size = opts.break_size or 34
  local order = {}
  for i, it in ipairs(items) do order[i] = i end
  -- stable: items at the same time keep the order they were given in
  table.sort(order, function(a, b)
    local ta, tb = items[a].t, items[b].t
    if ta ~= tb then return ta < tb end
    return a < b
  end)
  local self = setmetatable({ts = {}, ps = {}, index = {}, breaks = {}, length = 0}, Axis)
  local p, prev_t = 0, nil
  for k, i in ipairs(order) do
    local it = items[i]
    if prev_t then
      local dt = it.t - prev_t
      local natural = dt * scale
      local room = it.room or 0
      if natural > max_gap then
        local p0 = p + math.max(room, 8) * 0.5
        p = p0 + break_size + math.max(room, 8) * 0.5
        self.breaks[#self.breaks + 1] = {t0 = prev_t, t1 = it.t, p0 = p0, p1 = p0 + break_size}
      else
        p = p + math.max(room, natural)
      end
    end
    self.ts[k], self.ps[k] = it.t, p
    self.index[it] = k
    prev_t = it.t
  end
  self.length = p
  return self
end

function Axis:pos(item)
  local k = self.index[item]
  if not k then error("timeaxis: item was not given to timeaxis.new", 2) end
  return self.ps[k]
end

-- Interpolate between the items around t (inside a break: across it).
function Axis:at(t)
  local ts, ps = self.ts, self.ps
  local n = #ts
  if n == 0 then return 0 end
  if t <= ts[1] then return ps[1] end
  if t >= ts[n] then return ps[n] end
  -- the last item at or before t
  local lo, hi = 1, n
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if ts[mid] <= t then lo = mid else hi = mid - 1 end
  end
  -- among items at that same time, the last one
  local a, b = lo, lo + 1
  if ts[a] == t then return ps[a] end
  local span = ts[b] - ts[a]
  return ps[a] + (ps[b] - ps[a]) * (t - ts[a]) / span
end

return M
