-- lunet.repl - the Lua half of `lunet repl`: the helpers the prompt offers
-- (help, nodes, ss, show), taking over what the loaded file built, the dot
-- commands, and the output wrappers that keep the prompt tidy.
--
-- The event plumbing (the libev loop, pacing every network to the wall
-- clock, line editing, Ctrl-C) is in lua/repl.c, which calls:
--   M.install(hide)        once, before the file is loaded
--   M.adopt(path, ...)     after the file ran, with what it returned
--   M.command(line)        for a line like ".help"; "quit" ends the session

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}

M.help_text = [[
lunet repl: every network keeps running in real time while you type.
  nodes()                   the nodes of `net`, their interfaces and links
  h1:spawn(function() h1:ping("10.0.0.2", {count = 3}) end)
                            ping runs as a task: it prints as the network
                            advances, and the prompt stays free
  t = h1:spawn(fn)          t:status(), t:result(), t:kill()
  ss(h1)                    sockets of a host, like ss -tuan (ss() for all)
  show(h1:routes())         print a table; also h1:arp(), h1:netstat(),
                            h1:sockets(), link:stats(), net:drops()
  net:run("2s")             run 2 s of virtual time now (the prompt waits;
                            Ctrl-C stops it)
  net:on("drop", function(ev) print(ev.summary, ev.reason) end)
  net:capture{}             a pcap per interface (or start with --pcap DIR)
  .help  .nodes  .quit      help() and nodes() too; Ctrl-C clears the line,
                            Ctrl-D quits (captures are flushed)
The prompt shows the virtual time of `net`.  The whole API: docs/lua-api.md.
]]

function M.help()
  io.write(M.help_text)
end

local function is_net(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name == "lunet.Net"
end

local function is_node(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name == "lunet.Node"
end

-- The network the helpers work on when none is given: the global `net`,
-- else the newest open one.
local function current_net(net)
  if net ~= nil then
    if not is_net(net) then error("expected a network (lunet.Net), got " .. type(net), 3) end
    return net
  end
  local g = rawget(_G, "net")
  if is_net(g) and not g.closed then return g end
  return lunet.current_net()
end

-- "h2.eth0" for an interface, the switch's name for a switch port.
local function end_name(e)
  if e == nil then return "?" end
  local ok, node = pcall(function() return e.node end)
  if ok and node then return node.name .. "." .. e.name end
  return e.name or tostring(e)
end

local function peer_of(ifc)
  local l = ifc:link()
  if not l then return "(no link)" end
  local other = l.a == ifc and l.b or l.a
  return "-> " .. end_name(other) .. (l:is_up() and "" or " (link down)")
end

-- nodes([net]): one line per node, then its interfaces.
function M.nodes(net)
  net = current_net(net)
  if not net then print("no network (make one: net = lunet.net{})"); return end
  local nodes = net:nodes()
  if #nodes == 0 then print("no nodes in " .. tostring(net)) end
  for _, h in ipairs(nodes) do
    local gw = ""
    for _, r in ipairs(h:routes()) do
      if r.dst == "0.0.0.0/0" and r.via then gw = "  default via " .. r.via end
    end
    print(string.format("%-10s %s%s", h.name, h.is_router and "router" or "host", gw))
    for _, ifc in ipairs(h:ifaces()) do
      print(string.format("  %-6s %-18s %s  %s%s", ifc.name, ifc:addr() or "-", ifc.mac,
                          peer_of(ifc), ifc:is_up() and "" or " (down)"))
    end
  end
  for _, sw in ipairs(net:switches()) do
    print(string.format("%-10s %s, %d ports", sw.name, sw.is_hub and "hub" or "switch", sw:ports()))
  end
end

-- ss([host]): sockets like `ss -tuan`; every host of `net` without one.
function M.ss(h)
  local hosts
  if h == nil then
    local net = current_net()
    if not net then print("no network"); return end
    hosts = net:nodes()
  elseif is_node(h) then
    hosts = { h }
  else
    error("ss: expected a host (lunet.Node), got " .. type(h), 2)
  end
  print(string.format("%-8s %-5s %-11s %6s %6s  %-21s %-21s %s", "Node", "Netid", "State",
                      "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Timer"))
  for _, n in ipairs(hosts) do
    for _, s in ipairs(n:sockets()) do
      local timer = s.timer and string.format("%s (%s)", s.timer,
                                              lunet.fmt_time(s.timer_left or 0)) or ""
      print(string.format("%-8s %-5s %-11s %6d %6d  %-21s %-21s %s", n.name, s.proto, s.state,
                          s.recv_q or 0, s.send_q or 0, s["local"], s.remote, timer))
    end
  end
end

local function is_ident(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- show(v): a table as nested Lua-like text (sorted keys, arrays inline).
local function fmt(v, indent, depth, seen)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if depth > 4 then return "{...}" end
  seen[v] = true
  local n = #v
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local parts, flat = {}, true
  for i = 1, n do
    parts[#parts + 1] = fmt(v[i], indent .. "  ", depth + 1, seen)
  end
  for _, k in ipairs(keys) do
    local kk = is_ident(k) and k or "[" .. fmt(k, indent, depth + 1, seen) .. "]"
    parts[#parts + 1] = kk .. " = " .. fmt(v[k], indent .. "  ", depth + 1, seen)
  end
  seen[v] = nil
  local len = 0
  for _, p in ipairs(parts) do
    len = len + #p + 2
    if p:find("\n") then flat = false end
  end
  if #parts == 0 then return "{}" end
  if flat and len + #indent < 78 then return "{" .. table.concat(parts, ", ") .. "}" end
  return "{\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
end

function M.show(...)
  local n = select("#", ...)
  for i = 1, n do print(fmt((select(i, ...)), "", 1, {})) end
end

-- The file's things become globals: a topology file (one that returns
-- function(net, opts), like topologies/*.lua) is built into a new network
-- `net`, and what it returns (h1, h2, link, ...) is exported; a script's
-- newest network becomes `net` and its nodes are exported by name.  A
-- global the file set itself is never replaced.
function M.adopt(path, first, ...)
  local exported = {}
  local function export(name, v)
    if is_ident(name) and rawget(_G, name) == nil and v ~= nil then
      rawset(_G, name, v)
      exported[#exported + 1] = name
    end
  end
  local things
  if type(first) == "function" then
    local stem = path:match("([^/]+)%.lua$") or path
    local net = lunet.net{ name = stem }
    export("net", net)
    things = first(net, {})
  elseif type(first) == "table" then
    things = first
  end
  if type(things) == "table" then
    local keys = {}
    for k in pairs(things) do if is_ident(k) then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do export(k, things[k]) end
  end
  local net = rawget(_G, "net")
  if not is_net(net) then
    net = lunet.current_net()
    export("net", net)
  end
  if is_net(net) and not net.closed then
    for _, h in ipairs(net:nodes()) do export(h.name, h) end
    for _, sw in ipairs(net:switches()) do export(sw.name, sw) end
  end
  if #exported > 0 then
    print(path .. ": " .. table.concat(exported, ", "))
  end
end

local COMMANDS = {
  help = function() M.help() end,
  nodes = function() M.nodes() end,
  quit = function() return "quit" end,
  exit = function() return "quit" end,
}

function M.command(line)
  local name, rest = line:match("^%.(%a+)%s*(.*)$")
  local fn = name and COMMANDS[name]
  if not fn then
    print(string.format("unknown command %s (known: .help, .nodes, .quit)", line:match("^%S+")))
    return nil
  end
  return fn(rest)
end

-- Wrap the ways Lua code writes to the terminal so that output from a task
-- erases the prompt first (repl.c draws it again afterwards); `hide` does
-- nothing unless a prompt is on screen.  Also installs the helpers as
-- globals.
function M.install(hide)
  local print0, write0 = print, io.write
  _G.print = function(...)
    hide()
    return print0(...)
  end
  io.write = function(...)
    hide()
    return write0(...)
  end
  local methods = getmetatable(io.stdout).__index
  if type(methods) == "table" and type(methods.write) == "function" then
    local fwrite = methods.write
    methods.write = function(f, ...)
      if f == io.stdout or f == io.stderr then hide() end
      return fwrite(f, ...)
    end
  end
  _G.help = M.help
  _G.nodes = M.nodes
  _G.ss = M.ss
  _G.show = M.show
end

return M
