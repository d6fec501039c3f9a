-- lunet.util - small argument helpers shared by the Lua modules (the
-- applications, the pictures).

local M = {}

-- A destination given as "10.0.0.2", a Node or an Iface (its first
-- address); raises at the caller's caller otherwise.
function M.dst_string(fname, dst)
  if type(dst) == "string" then return dst end
  if type(dst) == "userdata" then
    local ok, ip = pcall(function() return dst:ip() end)
    if ok and type(ip) == "string" then return ip end
  end
  error(fname .. ': destination must be an address string like "10.0.0.2"', 3)
end

-- Check an options table against the known names (a set: name -> true):
-- nil gives {}; an unknown name raises, listing the known ones, at the
-- level of the caller's caller (the user's line).
function M.check_opts(fname, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(fname .. ": options must be a table, got " .. type(opts), 3)
  end
  for k in pairs(opts) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = tostring(n) end
      table.sort(names)
      error(string.format('%s: option "%s" unknown (known: %s)', fname, tostring(k),
                          table.concat(names, ", ")), 3)
    end
  end
  return opts
end

return M
