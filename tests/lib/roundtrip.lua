-- roundtrip.lua - the check the packet tests share: lunet.dissect of
-- lunet.packet(t) gives back every field t set.
--   local roundtrip = dofile(here .. "../lib/roundtrip.lua")
--   roundtrip.covers(t, d, "pkt")  -> nil, or the first difference
--   roundtrip.check(name, t)       -> the dissection (an expect() fails on a
--                                     field that did not come back)
local M = {}

-- Every field t sets, compared with what dissect gave back (d), recursing
-- into layer tables and option lists; keys in sorted order, so the same
-- difference is reported every run.
function M.covers(t, d, path)
  if type(t) == "userdata" then t = t:bytes() end
  if type(t) ~= "table" then
    if t ~= d then return string.format("%s: set %q, dissected %q", path, tostring(t), tostring(d)) end
    return nil
  end
  if type(d) ~= "table" then return path .. ": missing from the dissection" end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, ks in ipairs(keys) do
    local k = tonumber(ks) or ks
    local diff = M.covers(t[k], d[k], path .. "." .. ks)
    if diff then return diff end
  end
end

function M.check(name, t)
  local d = lunet.dissect(lunet.packet(t))
  expect(M.covers(t, d, "pkt"), name .. ": a field that did not come back"):eq(nil)
  return d
end

return M
