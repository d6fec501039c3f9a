-- lunet.util - small argument helpers shared by the Lua application
-- modules (apps, tcpapps).

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

return M
