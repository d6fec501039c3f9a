-- lunet.util - small argument helpers shared by the Lua modules (the
-- applications, the pictures).

local M = {}

-- A destination given as "10.0.0.2", a Node or an Iface (its first
-- address); raises at the caller's caller otherwise (or at `level`).
-- Names are lunet.dns.dst_addr's business: it resolves them, then calls
-- this for everything else.
function M.dst_string(fname, dst, level)
  if type(dst) == "string" then return dst end
  if type(dst) == "userdata" then
    local ok, ip = pcall(function() return dst:ip() end)
    if ok and type(ip) == "string" then return ip end
  end
  error(fname .. ': destination must be an address like "10.0.0.2", a host name, a Node or an Iface',
        level or 3)
end

-- Check an options table against the known names: a set (name -> true),
-- or name -> checker(value) returning true or false, why.  nil gives {};
-- an unknown name raises, listing the known ones, at the level of the
-- caller's caller (the user's line), or `level` when a helper stands in
-- between.  Options are checked in name order, so that of two bad ones the
-- same is always reported (pairs' order changes from run to run).
-- The keys of t in a fixed order (by tostring): what reaches the wire, a
-- file or the output must not follow pairs' order, which changes from run
-- to run.
function M.sorted_keys(t)
  local k = {}
  for n in pairs(t) do k[#k + 1] = n end
  table.sort(k, function(a, b) return tostring(a) < tostring(b) end)
  return k
end

-- Option checkers for check_opts: a time lunet.time takes, not negative
-- (the why is lunet.time's own, without its position); a boolean.
function M.is_time(v)
  local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
  local ok, r = pcall(lunet.time, v)
  if not ok then
    local m = tostring(r):gsub("^.-:%d+: ", "")
    return false, m:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or m
  end
  if r < 0 then return false, "must not be negative" end
  return true
end
function M.is_bool(v)
  if type(v) ~= "boolean" then return false, "must be a boolean" end
  return true
end

function M.check_opts(fname, opts, known, level)
  level = level or 3
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(fname .. ": options must be a table, got " .. type(opts), level)
  end
  for _, k in ipairs(M.sorted_keys(opts)) do
    local chk = known[k]
    if not chk then
      local names = {}
      for n in pairs(known) do names[#names + 1] = tostring(n) end
      table.sort(names)
      error(string.format('%s: option "%s" unknown (known: %s)', fname, tostring(k),
                          table.concat(names, ", ")), level)
    end
    if type(chk) == "function" then
      local ok, why = chk(opts[k])
      if not ok then error(string.format("%s: option %s: %s", fname, k, why), level) end
    end
  end
  return opts
end

-- Dotted-quad addresses and their 32-bit numbers (nil for a bad string).
-- "10.0.0.1:80", "[2001:db8::1]:80": an address and port as ss and the
-- flows of events write them.
function M.endpoint(addr, port)
  if addr:find(":", 1, true) then return "[" .. addr .. "]:" .. port end
  return addr .. ":" .. port
end

function M.ip_num(ip)
  local a, b, c, d = tostring(ip):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

function M.ip_str(n)
  return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

-- The frames of a classic pcap file (as lunet writes them), as strings.
function M.pcap_frames(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  local out, pos = {}, 25                   -- after the 24-byte file header
  while pos + 16 <= #data do
    local len = string.unpack("<I4", data, pos + 8)
    out[#out + 1] = data:sub(pos + 16, pos + 15 + len)
    pos = pos + 16 + len
  end
  return out
end

return M
