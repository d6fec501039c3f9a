-- lunet.topo - lunet.topology(name, net, opts): reusable topologies.
--
-- A topology is a file <name>.lua that returns function(net, opts); the
-- function builds hosts, routers, switches and links in `net` and returns a
-- table of the named things (h1, h2, r1, links, ...).  Files are looked up,
-- in order, in:
--   <dir of the calling script>/../topologies
--   <dir of the calling script>/topologies
--   ./topologies
--   each directory of $LUNET_TOPOLOGY_PATH (separated by ":")
-- A name containing "/" or ending in ".lua" is taken as a path.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}

local SELF = debug.getinfo(1, "S").source

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close(); return true end
  return false
end

-- Directory of the first Lua file on the stack outside this module.
local function caller_dir()
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info then break end
    if info.source ~= SELF and info.source:sub(1, 1) == "@" then
      local path = info.source:sub(2)
      return path:match("^(.*)/[^/]*$") or "."
    end
    level = level + 1
  end
  local a = rawget(_G, "arg")
  if type(a) == "table" and type(a[0]) == "string" then
    return a[0]:match("^(.*)/[^/]*$") or "."
  end
  return nil
end

function M.search_path()
  local dirs = {}
  local d = caller_dir()
  if d then
    dirs[#dirs + 1] = d .. "/../topologies"
    dirs[#dirs + 1] = d .. "/topologies"
  end
  dirs[#dirs + 1] = "./topologies"
  local env = os.getenv("LUNET_TOPOLOGY_PATH")
  if env then
    for e in env:gmatch("[^:]+") do dirs[#dirs + 1] = e end
  end
  return dirs
end

function M.find(name)
  if name:find("/") or name:match("%.lua$") then
    if exists(name) then return name end
    return nil, { name }
  end
  local tried = {}
  for _, dir in ipairs(M.search_path()) do
    local p = dir .. "/" .. name .. ".lua"
    tried[#tried + 1] = p
    if exists(p) then return p end
  end
  return nil, tried
end

function M.topology(name, net, opts)
  if type(name) ~= "string" then
    error("lunet.topology: name must be a string", 2)
  end
  if net == nil then
    error("lunet.topology: second argument must be a network (lunet.net{})", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("lunet.topology: options must be a table", 2)
  end
  local path, tried = M.find(name)
  if not path then
    error(string.format('lunet.topology: "%s" not found (searched: %s)',
                        name, table.concat(tried, ", ")), 2)
  end
  local chunk, err = loadfile(path)
  if not chunk then error("lunet.topology: " .. err, 2) end
  local build = chunk()
  if type(build) ~= "function" then
    error("lunet.topology: " .. path .. " must return function(net, opts)", 2)
  end
  local t = build(net, opts or {})
  if type(t) ~= "table" then
    error("lunet.topology: " .. path .. " returned " .. type(t) .. ", not a table", 2)
  end
  return t
end

lunet.topology = M.topology

return M
