-- lunet.commands - the Mininet-style command layer of `lunet repl`:
-- `nodes`, `net`, `dump`, `ping h1 h2`, `h1 ifconfig`, `pingall`, `iperf`,
-- `tcpdump h1`, ... typed at the prompt instead of Lua.
--
-- lua/repl.c and lunet/repl.lua call, for every line typed:
--
--   local fn = commands.parse(line, env)
--     nil            the line is not a command: it is Lua
--     a function     runs the command; the REPL calls it inside a task, so
--                    it may block (ping, pingall, iperf wait in virtual
--                    time; tcpdump waits until its task is killed)
--     raises         the line is a command but a wrong one; the message
--                    names the command and says what is allowed
--   commands.words()       the command words, sorted (Tab completion)
--   commands.help_text()   what `help` prints (with commands.extra_help
--                          after it: the REPL's own helpers)
--
-- What is a command (Mininet's CLI is the model): the first word is a
-- command word (`ping h1 h2`), or the first word names a node and the
-- second is a command that takes a node first (`h1 ping h2` is
-- `ping h1 h2`).  Only plain words and key=value options make a command:
-- a line that is Lua (`ping = 3`, `net:run("1s")`, `nodes()`, `net.name`,
-- `ping or 1`) stays Lua.  A command word alone is a command when the
-- command needs nothing more (`net`, `nodes`, `help`, ...) even if a Lua
-- global has that name; one that needs arguments (`ping`, `link`) alone is
-- Lua when a global has that name (`link` shows the Link of two_hosts.lua)
-- and a usage error otherwise.
--
-- Names: a word is looked up in env first (so `client` works when the
-- script said client = net:node("h1")), then among the nodes and switches
-- of the network by name.  The network is env.net, else lunet's newest.
--
-- Everything is checked when the line is parsed (nodes exist, options are
-- known and their values parse), so a mistake is reported before anything
-- runs.  Output goes through the global print, looked up at each call, so
-- the REPL's wrapper (and a test's capture) sees it.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local tcpapps = require("lunet.tcpapps")
local util = require("lunet.util")

local M = {}

local S = 1000000000              -- ns per second

local function out(...)
  return print(...)               -- the global print of the moment
end

local function printf(fmt, ...)
  out(string.format(fmt, ...))
end

------------------------------------------------------------------------
-- what things are
------------------------------------------------------------------------

local function type_name(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__name") or nil
end

local function is_net(v) return type(v) == "userdata" and type_name(v) == "lunet.Net" end
local function is_node(v) return type(v) == "userdata" and type_name(v) == "lunet.Node" end
local function is_switch(v) return type(v) == "userdata" and type_name(v) == "lunet.Switch" end
local function is_iface(v) return type(v) == "userdata" and type_name(v) == "lunet.Iface" end

local function kind_of(x)
  if is_switch(x) then return x.is_hub and "Hub" or "Switch" end
  return x.is_router and "Router" or "Host"
end

-- env[k] without tripping over a strict metatable.
local function env_get(env, k)
  if type(env) ~= "table" then return nil end
  local v = rawget(env, k)
  if v ~= nil then return v end
  local ok, w = pcall(function() return env[k] end)
  return ok and w or nil
end

local function net_of(env)
  local n = env_get(env, "net")
  if is_net(n) and not n.closed then return n end
  n = lunet.current_net and lunet.current_net()
  if is_net(n) and not n.closed then return n end
  return nil
end

-- "h2" < "h10": runs of digits compare as numbers.
local function natural_less(a, b)
  local ia, ib = 1, 1
  while ia <= #a and ib <= #b do
    local da, db = a:match("^%d+", ia), b:match("^%d+", ib)
    if da and db then
      local na, nb = tonumber(da), tonumber(db)
      if na ~= nb then return na < nb end
      ia, ib = ia + #da, ib + #db
    else
      local ca, cb = a:sub(ia, ia), b:sub(ib, ib)
      if ca ~= cb then return ca < cb end
      ia, ib = ia + 1, ib + 1
    end
  end
  local ra, rb = #a - ia, #b - ib
  if ra ~= rb then return ra < rb end
  return a < b
end

local function by_name(list)
  table.sort(list, function(x, y) return natural_less(x.name, y.name) end)
  return list
end

-- Nodes and switches of the network, by name (natural order).
local function all_nodes(net)
  if not net then return {} end
  local t = {}
  for _, n in ipairs(net:nodes()) do t[#t + 1] = n end
  for _, sw in ipairs(net:switches()) do t[#t + 1] = sw end
  return by_name(t)
end

local function hosts_of(net)
  local t = {}
  for _, n in ipairs(net and net:nodes() or {}) do
    if not n.is_router then t[#t + 1] = n end
  end
  return by_name(t)
end

local function names_of(list)
  local t = {}
  for i, x in ipairs(list) do t[i] = x.name end
  return table.concat(t, " ")
end

------------------------------------------------------------------------
-- errors
------------------------------------------------------------------------

-- Errors carry no file:line: they are about what was typed.
local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

------------------------------------------------------------------------
-- the commands: usage, what they take, what they do
------------------------------------------------------------------------

-- Each command: usage (one line), help (one line), more (lines `help CMD`
-- adds), opts (the option names it takes, each parsed by PARSERS[name]),
-- flags (Mininet/Linux single-letter aliases: -c 3), host_first
-- (can be typed `h1 CMD ...`), bare (alone it is a command even when a Lua
-- global has the name), build(ctx) -> the function to run.
local CMDS = {}

local function cmd_list()
  local t = {}
  for w in pairs(CMDS) do t[#t + 1] = w end
  table.sort(t)
  return t
end

function M.words()
  return cmd_list()
end

local function usage(name)
  return "usage: " .. CMDS[name].usage
end

------------------------------------------------------------------------
-- option values
------------------------------------------------------------------------

-- An error without its position, and without the "bad argument #1 to
-- 'lunet.time' (...)" wrapper: the command says itself what was wrong.
local function strip_msg(e)
  local m = tostring(e):gsub("^[^\n]-:%d+: ", "")
  return m:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or m
end

-- A time: "200ms", "1.5s", or a plain number of seconds -> ns.
local function parse_time(v)
  local x = tonumber(v) or v
  local ok, r = pcall(lunet.time, x)
  if not ok then return nil, strip_msg(r) end
  if r < 0 then return nil, "must not be negative" end
  return r
end

local function parse_size(v)
  local x = tonumber(v) or v
  local ok, r = pcall(lunet.size, x)
  if not ok then return nil, strip_msg(r) end
  return math.tointeger(r) or r
end

local function parse_int(lo, hi)
  return function(v)
    local n = math.tointeger(tonumber(v))
    if not n or n < lo or n > hi then
      return nil, string.format("must be an integer in %d..%d", lo, hi)
    end
    return n
  end
end

local PARSERS = {
  count = parse_int(1, 1000000),
  interval = parse_time,
  timeout = parse_time,
  seconds = parse_time,
  size = function(v)
    local n, e = parse_size(v)
    if not n then return nil, e end
    if math.type(n) ~= "integer" or n < 0 or n > 65507 then
      return nil, "must be a size in 0..65507 bytes"
    end
    return n
  end,
  port = parse_int(1, 65535),
}

------------------------------------------------------------------------
-- tokens
------------------------------------------------------------------------

local WORD = "^[%w_][%w_%.%-/:]*$"            -- h1, 10.0.0.2, eth0, 1.5s
local KV = "^([%a_][%w_]*)=([%w_%.%-/:%%]+)$"  -- count=3, interval=200ms
local FLAG = "^%-(%a)(.*)$"                    -- -c 3, -c3

local function split(line)
  local t = {}
  for w in line:gmatch("%S+") do t[#t + 1] = w end
  return t
end

local function is_lua(line)
  return load("return " .. line, "=line", "t", {}) ~= nil or load(line, "=line", "t", {}) ~= nil
end

------------------------------------------------------------------------
-- looking nodes up
------------------------------------------------------------------------

-- Resolve a word to a Node or Switch: env first, then the network by name.
local function find(env, net, word)
  local v = env_get(env, word)
  if is_node(v) or is_switch(v) then return v end
  if net then
    local n = net:node(word)
    if n then return n end
    for _, sw in ipairs(net:switches()) do
      if sw.name == word then return sw end
    end
  end
  return nil
end

local function no_node(cname, word, net)
  fail("%s: no node named %s (nodes: %s)", cname, word, names_of(all_nodes(net)))
end

-- A node argument: kinds = "node" (host or router) or "any" (also switches).
local function node_arg(ctx, word, kinds)
  local x = find(ctx.env, ctx.net, word)
  if not x then no_node(ctx.name, word, ctx.net) end
  if kinds == "node" and is_switch(x) then
    fail("%s: %s is a %s (a host or router is needed here)", ctx.name, x.name,
         x.is_hub and "hub" or "switch")
  end
  return x
end

-- An address to send to: a dotted quad as is, or a node's first address.
local function dst_arg(ctx, word)
  if word:match("^%d+%.%d+%.%d+%.%d+$") then
    for o in word:gmatch("%d+") do
      if tonumber(o) > 255 then fail("%s: address %s: octet %s out of range (0..255)", ctx.name, word, o) end
    end
    return word, word
  end
  local x = node_arg(ctx, word, "any")
  if is_switch(x) then fail("%s: %s is a switch: it has no address", ctx.name, x.name) end
  local ip = x:ip()
  if not ip then fail("%s: %s has no address", ctx.name, x.name) end
  return ip, x.name
end

local function want_args(ctx, lo, hi)
  local n = #ctx.args
  if n < lo or n > hi then fail("%s", usage(ctx.name)) end
end

local function need_net(ctx)
  if not ctx.net then fail("%s: no network (make one: net = lunet.net{})", ctx.name) end
  return ctx.net
end

------------------------------------------------------------------------
-- formatting
------------------------------------------------------------------------

-- 10 Mbit/s, 1 Gbit/s, 64 kbit/s
local function fmt_rate(bps)
  if bps == 0 then return "unlimited" end
  local units = { { 1e12, "Tbit/s" }, { 1e9, "Gbit/s" }, { 1e6, "Mbit/s" }, { 1e3, "kbit/s" } }
  for _, u in ipairs(units) do
    if bps >= u[1] then return string.format("%g %s", bps / u[1], u[2]) end
  end
  return string.format("%d bit/s", bps)
end

-- 5 ms, 250 us, 1.5 s
local function fmt_dur(ns)
  if ns == 0 then return "0 ms" end
  if ns >= S then return string.format("%g s", ns / S) end
  if ns >= 1000000 then return string.format("%g ms", ns / 1e6) end
  if ns >= 1000 then return string.format("%g us", ns / 1e3) end
  return string.format("%d ns", ns)
end

local function fmt_pct(p)
  return string.format("%g%%", p * 100)
end

-- link:get's times are seconds (what a number means in link:set)
local function fmt_secs(s)
  return fmt_dur(math.floor(s * S + 0.5))
end

-- One direction's settings: "10 Mbit/s, 5 ms, loss 1%, queue 100".
local function fmt_cfg(c)
  local t = { fmt_rate(c.bandwidth), fmt_secs(c.delay) }
  if c.jitter ~= 0 then t[#t + 1] = "jitter " .. fmt_secs(c.jitter) end
  if type(c.loss) == "table" then
    t[#t + 1] = string.format("loss gilbert(p=%g, r=%g, bad %s, good %s)", c.loss.p, c.loss.r,
                              fmt_pct(c.loss.loss_bad), fmt_pct(c.loss.loss_good))
  elseif c.loss ~= 0 then
    t[#t + 1] = "loss " .. fmt_pct(c.loss)
  end
  if c.corrupt ~= 0 then t[#t + 1] = "corrupt " .. fmt_pct(c.corrupt) end
  if c.duplicate ~= 0 then t[#t + 1] = "duplicate " .. fmt_pct(c.duplicate) end
  if c.reorder ~= 0 then
    t[#t + 1] = string.format("reorder %s (%s)", fmt_pct(c.reorder), fmt_secs(c.reorder_delay))
  end
  if c.queue and c.queue ~= 0 then t[#t + 1] = "queue " .. c.queue end   -- 0: no limit
  if c.queue_bytes then t[#t + 1] = "queue " .. c.queue_bytes .. " B" end
  if c.mtu and c.mtu ~= 0 then t[#t + 1] = "mtu " .. c.mtu end
  t[#t + 1] = c.up and "up" or "down"
  return table.concat(t, ", ")
end

local function cfg_equal(a, b)
  return fmt_cfg(a) == fmt_cfg(b)
end

-- The node (or switch) an end of a link belongs to.
local function owner(e)
  if is_iface(e) then return e.node end
  return e
end

-- "h1-eth0", or "s1-p3" for a switch port (the port's name is in the
-- link's name: "h1.eth0<->s1.p3").
local function end_names(l)
  local na, nb = l.name:match("^(.-)<%->(.*)$")
  local function name(e, half)
    if is_iface(e) then return e.node.name .. "-" .. e.name end
    local port = half and half:sub(#e.name + 2) or "?"
    return e.name .. "-" .. port
  end
  return name(l.a, na), name(l.b, nb)
end

-- h1-eth0<->s1-p1 (10 Mbit/s, 5 ms, queue 1000, up), each direction's
-- settings when they differ.
local function fmt_link(l)
  local a, b = end_names(l)
  local ab, ba = l:get("ab"), l:get("ba")
  if cfg_equal(ab, ba) then
    return string.format("%s<->%s (%s)", a, b, fmt_cfg(ab))
  end
  return string.format("%s<->%s (%s->%s: %s; %s->%s: %s)", a, b, owner(l.a).name,
                       owner(l.b).name, fmt_cfg(ab), owner(l.b).name, owner(l.a).name, fmt_cfg(ba))
end

------------------------------------------------------------------------
-- help, nodes, net, dump
------------------------------------------------------------------------

local LUA_HELP = [[
Lua: any other line is Lua, run as a task, so blocking calls work directly:
  r = h1:ping("10.0.0.2", {count = 3})  ping from Lua: r.received, r.avg, ...
  lunet.sleep("2s")                     wait 2 s of virtual time
  s = h1:connect("10.0.0.2", 80)        sockets: s:send(x), s:receive("*l")
  show(h1:routes())                     print a table; also h1:arp(),
                                        h1:netstat(), h1:sockets(), net:drops()
  net:links()[1]:set{delay = "20ms"}    change a link while the network runs
  net:on("drop", function(ev) print(ev.summary, ev.reason) end)
  net:capture{}                         a pcap per interface (or --pcap DIR)
  net:run("2s")                         run 2 s now, the prompt waiting
A line ending in & runs in the background; Ctrl-C stops the running line
(or clears the one being typed); Ctrl-D or .quit quits (captures are flushed).
The prompt shows the virtual time of `net`.  The whole API: docs/lua-api.md.
]]

function M.help_text()
  local lines = { "Commands, as in Mininet (`h1 ping h2` is `ping h1 h2`):" }
  for _, w in ipairs(cmd_list()) do
    local c = CMDS[w]
    if #c.usage <= 30 then
      lines[#lines + 1] = string.format("  %-30s %s", c.usage, c.help)
    else
      lines[#lines + 1] = "  " .. c.usage
      lines[#lines + 1] = string.format("  %-30s %s", "", c.help)
    end
  end
  lines[#lines + 1] = "Options are key=value (ping also takes -c N, -i T, -s B, -W T); times"
  lines[#lines + 1] = "take units (200ms, 1.5s; a plain number is seconds), sizes too (1KB)."
  lines[#lines + 1] = ""
  return table.concat(lines, "\n") .. "\n" .. LUA_HELP .. (M.extra_help or "")
end

CMDS.help = {
  usage = "help [COMMAND]", help = "this text, or one command's", bare = true,
  build = function(ctx)
    want_args(ctx, 0, 1)
    local w = ctx.args[1]
    if w then
      local c = CMDS[w]
      if not c then fail("help: no command %s (commands: %s)", w, table.concat(cmd_list(), " ")) end
      return function()
        out("usage: " .. c.usage)
        out("  " .. c.help)
        if c.more then out(c.more) end
      end
    end
    return function()
      for line in M.help_text():gmatch("([^\n]*)\n") do out(line) end
    end
  end,
}

CMDS.nodes = {
  usage = "nodes", help = "the names of the hosts, routers and switches", bare = true,
  build = function(ctx)
    want_args(ctx, 0, 0)
    local net = need_net(ctx)
    return function()
      out("available nodes are: " .. names_of(all_nodes(net)))
    end
  end,
}

local function build_links(ctx)
  want_args(ctx, 0, 0)
  local net = need_net(ctx)
  return function()
    local ls = net:links()
    if #ls == 0 then out("no links") end
    for _, l in ipairs(ls) do out(fmt_link(l)) end
  end
end

CMDS.net = {
  usage = "net", help = "every link: its ends, settings, up or down",
  bare = true, build = build_links,
}
CMDS.links = {
  usage = "links", help = "the same as net", bare = true, build = build_links,
}

local function fmt_ifaces(n)
  local t = {}
  for _, ifc in ipairs(n:ifaces()) do
    t[#t + 1] = string.format("%s:%s %s%s", ifc.name, ifc:addr() or "-", ifc.mac,
                              ifc:is_up() and "" or " down")
  end
  return table.concat(t, ", ")
end

CMDS.dump = {
  usage = "dump", help = "every node: interfaces, addresses, MACs", bare = true,
  build = function(ctx)
    want_args(ctx, 0, 0)
    local net = need_net(ctx)
    return function()
      for _, x in ipairs(all_nodes(net)) do
        if is_switch(x) then
          printf("<%s %s: %d ports>", kind_of(x), x.name, x:ports())
        else
          printf("<%s %s: %s>", kind_of(x), x.name, fmt_ifaces(x))
        end
      end
    end
  end,
}

------------------------------------------------------------------------
-- link A B up|down
------------------------------------------------------------------------

CMDS.link = {
  usage = "link A B up|down", help = "take the link between A and B up or down",
  build = function(ctx)
    want_args(ctx, 3, 3)
    local net = need_net(ctx)
    local a = node_arg(ctx, ctx.args[1], "any")
    local b = node_arg(ctx, ctx.args[2], "any")
    local what = ctx.args[3]
    if what ~= "up" and what ~= "down" then fail("link: %s unknown (use up or down)", what) end
    local found = {}
    for _, l in ipairs(net:links()) do
      local oa, ob = owner(l.a), owner(l.b)
      if (oa == a and ob == b) or (oa == b and ob == a) then found[#found + 1] = l end
    end
    if #found == 0 then
      fail("link: no link between %s and %s", a.name, b.name)
    elseif #found > 1 then
      local t = {}
      for i, l in ipairs(found) do t[i] = l.name end
      fail("link: %d links between %s and %s (%s): use Lua, e.g. net:links()[i]:%s()", #found,
           a.name, b.name, table.concat(t, ", "), what)
    end
    local l = found[1]
    return function()
      if what == "up" then l:up() else l:down() end
      out(fmt_link(l))
    end
  end,
}

------------------------------------------------------------------------
-- ifconfig, route, arp, ss, netstat
------------------------------------------------------------------------

local function mask_of(plen)
  return plen == 0 and 0 or (0xffffffff << (32 - plen)) & 0xffffffff
end

local ip_num, ip_str = util.ip_num, util.ip_str

-- net-tools' "(1.2 KB)": decimal units, one decimal.
local function fmt_human(n)
  if n >= 1e9 then return string.format("%.1f GB", n / 1e9) end
  if n >= 1e6 then return string.format("%.1f MB", n / 1e6) end
  if n >= 1e3 then return string.format("%.1f KB", n / 1e3) end
  return string.format("%.1f B", n)
end

-- One interface as `ifconfig` (net-tools 2.x) shows it.
local function ifconfig_lines(ifc)
  local up = ifc:is_up()
  local l = ifc:link()
  local running = up and l ~= nil and l:is_up()
  local flags, names = 0x2 | 0x1000, { "BROADCAST", "MULTICAST" }
  if up then flags = flags | 0x1; table.insert(names, 1, "UP") end
  if running then flags = flags | 0x40; table.insert(names, #names, "RUNNING") end
  local t = {}
  t[#t + 1] = string.format("%s: flags=%d<%s>  mtu %d", ifc.name, flags, table.concat(names, ","),
                            ifc:mtu())
  local addr = ifc:addr()
  if addr then
    local ip, plen = addr:match("^([%d%.]+)/(%d+)$")
    plen = tonumber(plen)
    local m = mask_of(plen)
    local bc = (ip_num(ip) & m) | (~m & 0xffffffff)
    t[#t + 1] = string.format("        inet %s  netmask %s  broadcast %s", ip, ip_str(m), ip_str(bc))
  end
  t[#t + 1] = string.format("        ether %s  (Ethernet)", ifc.mac)
  local s = ifc:stats()
  t[#t + 1] = string.format("        RX packets %d  bytes %d (%s)", s.rx_packets, s.rx_bytes,
                            fmt_human(s.rx_bytes))
  t[#t + 1] = string.format("        RX errors %d  dropped %d", s.rx_errors, s.rx_dropped)
  t[#t + 1] = string.format("        TX packets %d  bytes %d (%s)", s.tx_packets, s.tx_bytes,
                            fmt_human(s.tx_bytes))
  t[#t + 1] = string.format("        TX errors 0  dropped %d", s.tx_dropped)
  return t
end

CMDS.ifconfig = {
  usage = "ifconfig NODE [IFACE]", help = "interfaces, like ifconfig",
  host_first = true,
  build = function(ctx)
    want_args(ctx, 1, 2)
    local n = node_arg(ctx, ctx.args[1], "node")
    local ifcs = n:ifaces()
    if ctx.args[2] then
      local ifc = n:iface(ctx.args[2])
      if not ifc then
        fail("ifconfig: %s has no interface %s (interfaces: %s)", n.name, ctx.args[2], names_of(ifcs))
      end
      ifcs = { ifc }
    end
    return function()
      for i, ifc in ipairs(ifcs) do
        if i > 1 then out("") end
        for _, line in ipairs(ifconfig_lines(ifc)) do out(line) end
      end
    end
  end,
}

-- ip route's order: by destination address, then prefix length (so
-- default comes first).
local function sorted_routes(n)
  local rs = n:routes()
  local function key(r)
    local ip, plen = r.dst:match("^([%d%.]+)/(%d+)$")
    return ip_num(ip), tonumber(plen), r.metric or 0
  end
  table.sort(rs, function(x, y)
    local a1, a2, a3 = key(x)
    local b1, b2, b3 = key(y)
    if a1 ~= b1 then return a1 < b1 end
    if a2 ~= b2 then return a2 < b2 end
    return a3 < b3
  end)
  return rs
end

-- A command that shows one table of a host or router, the way an ip
-- subcommand does: "NAME NODE", show(n) printing it when the command runs.
local function node_table(name, help, show)
  return {
    usage = name .. " NODE", help = help, host_first = true,
    build = function(ctx)
      want_args(ctx, 1, 1)
      local n = node_arg(ctx, ctx.args[1], "node")
      return function() show(n) end
    end,
  }
end

CMDS.route = node_table("route", "the routing table, like ip route", function(n)
  for _, r in ipairs(sorted_routes(n)) do
    local t = { r.dst == "0.0.0.0/0" and "default" or r.dst }
    if r.via then t[#t + 1] = "via " .. r.via end
    t[#t + 1] = "dev " .. r.dev
    if r.proto == "kernel" then
      t[#t + 1] = "proto kernel scope link"
      local ifc = n:iface(r.dev)
      local src = ifc and ifc:ip()
      if src then t[#t + 1] = "src " .. src end
    elseif not r.via then
      t[#t + 1] = "scope link"
    end
    if r.metric and r.metric ~= 0 then t[#t + 1] = "metric " .. r.metric end
    out(table.concat(t, " "))
  end
end)

CMDS.maddr = node_table("maddr", "multicast groups joined, like ip maddr", function(n)
  for i, ifc in ipairs(n:ifaces()) do
    out(string.format("%d:\t%s", i, ifc.name))
    local gs = ifc:groups()
    for _, g in ipairs(gs) do out("\tlink  " .. g.mac) end
    for _, g in ipairs(gs) do
      out("\tinet  " .. g.group .. (g.users > 1 and " users " .. g.users or ""))
    end
  end
end)

CMDS.arp = node_table("arp", "the ARP cache, like ip neigh", function(n)
  for _, e in ipairs(n:arp()) do
    local t = { e.ip }
    if e.dev then t[#t + 1] = "dev " .. e.dev end
    if e.mac then t[#t + 1] = "lladdr " .. e.mac end
    t[#t + 1] = e.state
    out(table.concat(t, " "))
  end
end)

-- ss's names for TCP states.
local SS_STATE = {
  ESTABLISHED = "ESTAB", SYN_SENT = "SYN-SENT", SYN_RCVD = "SYN-RECV",
  FIN_WAIT_1 = "FIN-WAIT-1", FIN_WAIT_2 = "FIN-WAIT-2", CLOSE_WAIT = "CLOSE-WAIT",
  LAST_ACK = "LAST-ACK", TIME_WAIT = "TIME-WAIT", CLOSED = "CLOSE",
}

CMDS.ss = {
  usage = "ss [NODE]", help = "sockets, like ss -tuan (without NODE: all)",
  host_first = true, bare = true,
  build = function(ctx)
    want_args(ctx, 0, 1)
    local nodes, col
    if ctx.args[1] then
      nodes = { node_arg(ctx, ctx.args[1], "node") }
    else
      local t = {}
      for _, x in ipairs(all_nodes(need_net(ctx))) do
        if is_node(x) then t[#t + 1] = x end
      end
      nodes, col = t, true
    end
    local F = "%-5s %-10s %6s %6s %-21s %-21s %s"
    return function()
      local head = string.format(F, "Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port",
                                 "Peer Address:Port", "Timer")
      out((((col and string.format("%-8s ", "Node") or "") .. head):gsub("%s+$", "")))
      for _, n in ipairs(nodes) do
        for _, s in ipairs(n:sockets()) do
          local timer = s.timer and string.format("timer:(%s,%s)", s.timer,
                                                  lunet.fmt_time(s.timer_left or 0)) or ""
          local line = string.format(F, s.proto, SS_STATE[s.state] or s.state, s.recv_q or 0,
                                     s.send_q or 0, s["local"], s.remote, timer)
          out((((col and string.format("%-8s ", n.name) or "") .. line):gsub("%s+$", "")))
        end
      end
    end
  end,
}

CMDS.netstat = {
  usage = "netstat NODE [PATTERN]",
  help = "non-zero counters, like nstat (PATTERN: Lua's)",
  host_first = true, raw_tail = true,
  build = function(ctx)
    want_args(ctx, 1, 2)
    local n = node_arg(ctx, ctx.args[1], "node")
    local pat = ctx.args[2]
    if pat then
      local ok, e = pcall(string.find, "", pat)
      if not ok then fail("netstat: pattern %s: %s", pat, strip_msg(e)) end
    end
    return function()
      local names, c = {}, n:netstat()
      for k, v in pairs(c) do
        if v ~= 0 and (not pat or k:find(pat)) then names[#names + 1] = k end
      end
      table.sort(names)
      out("#kernel")
      for _, k in ipairs(names) do printf("%-31s %d", k, c[k]) end
    end
  end,
}

------------------------------------------------------------------------
-- tasks a command starts
------------------------------------------------------------------------

-- Wait (polling every millisecond of virtual time) until every task is
-- done.  There is no way to block on another task's end, so poll.
local function join(tasks)
  while true do
    local all = true
    for _, t in ipairs(tasks) do
      if not t:done() then all = false; break end
    end
    if all then return end
    lunet.sleep("1ms")
  end
end

-- A to-be-closed value that kills the tasks still running: a command
-- killed (Ctrl-C) takes its helpers with it (Task:kill runs the killed
-- coroutine's pending __close handlers).
local function killer(tasks)
  return setmetatable({}, { __close = function()
    for _, t in ipairs(tasks) do
      if not t:done() then t:kill() end
    end
  end })
end

local function in_task(name)
  if not lunet.current_task() then
    fail("%s: not inside a task (the REPL runs commands as tasks; elsewhere use net:spawn)", name)
  end
end

------------------------------------------------------------------------
-- ping, pingall
------------------------------------------------------------------------

CMDS.ping = {
  usage = "ping SRC DST [count=3] [interval=1s] [size=56] [timeout=10s]",
  help = "like iputils ping; DST: a node or an address", host_first = true,
  opts = { "count", "interval", "size", "timeout" },
  flags = { c = "count", i = "interval", s = "size", W = "timeout" },
  build = function(ctx)
    want_args(ctx, 2, 2)
    local src = node_arg(ctx, ctx.args[1], "node")
    local dst = dst_arg(ctx, ctx.args[2])
    local o = ctx.opts
    local popts = { count = o.count or 3, size = o.size }
    if o.interval then popts.interval = o.interval .. "ns" end
    if o.timeout then popts.timeout = o.timeout .. "ns" end
    return function()
      in_task("ping")
      src:ping(dst, popts)
    end
  end,
}

CMDS.pingall = {
  usage = "pingall [count=1] [timeout=1s]",
  help = "all host pairs at once; X: no reply in 1 s",
  more = "  Routers and switches are left out.  All pings run at the same time, so an\n" ..
         "  unreachable host costs one timeout (1 s by default), not one per pair.",
  bare = true, opts = { "count", "timeout" }, flags = { c = "count", W = "timeout" },
  build = function(ctx)
    want_args(ctx, 0, 0)
    local net = need_net(ctx)
    local count = ctx.opts.count or 1
    local timeout = (ctx.opts.timeout or S) .. "ns"
    return function()
      in_task("pingall")
      out("*** Ping: testing ping reachability")
      local hosts = hosts_of(net)
      local res, tasks = {}, {}
      local _ <close> = killer(tasks)
      for _, a in ipairs(hosts) do
        res[a] = {}
        for _, b in ipairs(hosts) do
          if a ~= b then
            local dst = b:ip()
            if dst then
              tasks[#tasks + 1] = a:spawn(function()
                local ok, r = pcall(a.ping, a, dst, { count = count, quiet = true,
                                                     timeout = timeout })
                res[a][b] = ok and r.received or 0
              end)
            end
          end
        end
      end
      join(tasks)
      local sent, got = 0, 0
      for _, a in ipairs(hosts) do
        local t = {}
        for _, b in ipairs(hosts) do
          if a ~= b then
            local n = res[a][b] or 0
            sent, got = sent + count, got + n
            t[#t + 1] = n > 0 and b.name or "X"
          end
        end
        out(a.name .. " -> " .. table.concat(t, " "))
      end
      local lost = sent > 0 and 100 * (sent - got) // sent or 0
      printf("*** Results: %d%% dropped (%d/%d received)", lost, got, sent)
    end
  end,
}

------------------------------------------------------------------------
-- iperf
------------------------------------------------------------------------

-- The server half: accept one connection on the listener, read it to
-- EOF.  The accepted socket is to-be-closed, so killing the task closes it.
local function iperf_server(l)
  local c, err = l:accept({ timeout = "30s" })
  if not c then return nil, err end
  local _ <close> = c
  local t0 = lunet.now()
  local n = 0
  while true do
    local d = c:receive()
    if not d then break end
    n = n + #d
  end
  local sec = (lunet.now() - t0) / S
  return { bytes = n, seconds = sec, bps = sec > 0 and n * 8 / sec or 0 }
end

-- The client half: connect, send the generated pattern for `secs` ns,
-- half-close, wait for the server to close (everything arrived).  Like
-- tcpapps' bulk_send, but for a duration instead of a byte count.
local function iperf_client(h, dst, port, secs)
  local s, err = h:connect(dst, port, { timeout = "10s" })
  if not s then return nil, err end
  local _ <close> = s
  local t0 = lunet.now()
  local sent = 0
  local chunk = 16384
  while lunet.now() - t0 < secs do
    local ok, serr = s:send(chunk)
    if not ok then return nil, serr end
    sent = sent + chunk
  end
  s:shutdown("send")
  s:receive("*a", { timeout = "30s" })
  local sec = (lunet.now() - t0) / S
  local info = s:info() or {}
  return { bytes = sent, seconds = sec, bps = sec > 0 and sent * 8 / sec or 0,
           retrans = info.total_retrans or 0, src = (s:getsockname()) }
end

CMDS.iperf = {
  usage = "iperf [CLIENT SERVER] [seconds=5] [port=5001]",
  help = "TCP throughput (default: first and last host)",
  more = "  SERVER listens on port, CLIENT sends to it for `seconds`, then both report\n" ..
         "  like iperf; Results lists the server's rate, then the client's.",
  host_first = true, bare = true, opts = { "seconds", "port" }, flags = { t = "seconds", p = "port" },
  build = function(ctx)
    local a, b
    if #ctx.args == 0 then
      local hosts = hosts_of(need_net(ctx))
      if #hosts < 2 then fail("iperf: needs two hosts (hosts: %s)", names_of(hosts)) end
      a, b = hosts[1], hosts[#hosts]
    else
      want_args(ctx, 2, 2)
      a = node_arg(ctx, ctx.args[1], "node")
      b = node_arg(ctx, ctx.args[2], "node")
    end
    local dst = b:ip()
    if not dst then fail("iperf: %s has no address", b.name) end
    local secs = ctx.opts.seconds or 5 * S
    if secs <= 0 then fail("iperf: seconds must be more than 0") end
    local port = ctx.opts.port or 5001
    return function()
      in_task("iperf")
      printf("*** Iperf: testing TCP bandwidth between %s and %s for %s (port %d)", a.name, b.name,
             (fmt_dur(secs):gsub(" ", "")), port)
      local l, lerr = b:listen(port)
      if not l then
        printf("iperf: server %s:%d: %s", b.name, port, lerr)
        return
      end
      local _l <close> = l              -- closed when the command ends or is killed
      local sres, serr
      local st = b:spawn(function() sres, serr = iperf_server(l) end)
      local _k <close> = killer({ st })
      local c, cerr = iperf_client(a, dst, port, secs)
      if not c then
        printf("iperf: %s -> %s:%d: %s", a.name, dst, port, cerr)
        return
      end
      join({ st })
      if not sres then
        printf("iperf: server %s:%d: %s", b.name, port, serr or st:error() or "failed")
        return
      end
      printf("[client %s] %s -> %s:%d  0.00-%.2f sec  %s  %s  %d retrans", a.name, c.src or "?",
             dst, port, c.seconds, tcpapps.fmt_bytes(c.bytes), tcpapps.fmt_bps(c.bps), c.retrans)
      printf("[server %s] %s:%d <- %s  0.00-%.2f sec  %s  %s", b.name, dst, port, c.src or "?",
             sres.seconds, tcpapps.fmt_bytes(sres.bytes), tcpapps.fmt_bps(sres.bps))
      printf("*** Results: ['%s', '%s']", tcpapps.fmt_bps(sres.bps), tcpapps.fmt_bps(c.bps))
    end
  end,
}

------------------------------------------------------------------------
-- tcpdump
------------------------------------------------------------------------

-- "12.345678": virtual ns as tcpdump's seconds with microseconds.
local function fmt_ts(ns)
  return string.format("%d.%06d", ns // S, (ns % S) // 1000)
end

CMDS.tcpdump = {
  usage = "tcpdump NODE [FILTER]", help = "what NODE sends and receives, until Ctrl-C",
  more = "  One line per frame: time, interface, In/Out, tcpdump's text.  NODE may\n" ..
         "  be a switch (its ports).  FILTER is tcpdump's: tcpdump h1 tcp port 80.",
  host_first = true, raw_tail = true,
  build = function(ctx)
    if #ctx.args < 1 then fail("%s", usage("tcpdump")) end
    local x = node_arg(ctx, ctx.args[1], "any")
    local filter
    if #ctx.args > 1 then
      local ok, f = pcall(lunet.filter, table.concat(ctx.args, " ", 2))
      if not ok then fail("tcpdump: %s", strip_msg(f)) end
      filter = f
    end
    local net = x.net or need_net(ctx)
    local sw = is_switch(x)
    local prefix = x.name .. "."
    return function()
      in_task("tcpdump")
      local me = lunet.current_task()
      local what
      if sw then
        what = string.format("%s (%d ports)", x.name, x:ports())
      else
        local t = {}
        for i, ifc in ipairs(x:ifaces()) do t[i] = ifc.name end
        what = string.format("%s (%s)", x.name, table.concat(t, ", "))
      end
      printf("tcpdump: listening on %s, link-type EN10MB (Ethernet)", what)
      local count = 0
      local ids = {}
      local function off()
        for _, id in ipairs(ids) do net:off(id) end
        ids = {}
      end
      local function hook(ev)
        -- A task that died without closing (an error) unsubscribes here.
        if me:done() then off(); return end
        local ifname
        if sw then
          if ev.node or not ev.port or ev.port:sub(1, #prefix) ~= prefix then return end
          ifname = ev.port:sub(#prefix + 1)
        else
          if ev.node ~= x.name or not ev.iface then return end
          ifname = ev.iface
        end
        if filter and not (ev.bytes and filter:match(ev.bytes)) then return end
        local text = ev.summary or string.format("%d bytes", ev.len or 0)
        if ev.src and not text:match("^IP ") then text = "IP " .. text end
        count = count + 1
        printf("%s %s %-3s %s", fmt_ts(ev.time), ifname, ev.type == "tx" and "Out" or "In", text)
      end
      ids[1] = net:on("tx", hook)
      ids[2] = net:on("rx", hook)
      local _ <close> = setmetatable({}, { __close = function()
        off()
        printf("%d packet%s captured", count, count == 1 and "" or "s")
      end })
      lunet.sleep()                    -- until Ctrl-C kills this task
    end
  end,
}

------------------------------------------------------------------------
-- parse
------------------------------------------------------------------------

-- Split the words after the command into positional arguments and
-- options (key=value, or -c N for commands with flags).
local function parse_args(cname, c, words)
  local args, opts = {}, {}
  local known = {}
  for _, k in ipairs(c.opts or {}) do known[k] = true end
  local function set(k, v)
    if not known[k] then
      if #(c.opts or {}) == 0 then fail("%s: takes no options (%s)", cname, usage(cname)) end
      fail('%s: option "%s" unknown (known: %s)', cname, k, table.concat(c.opts, ", "))
    end
    local val, why = PARSERS[k](v)
    if val == nil then fail("%s: %s=%s: %s", cname, k, v, why) end
    opts[k] = val
  end
  local i = 1
  while i <= #words do
    local w = words[i]
    local k, v = w:match(KV)
    local f, rest = w:match(FLAG)
    if k then
      set(k, v)
    elseif f and c.flags and not w:match("^%-%d") then
      local k2 = c.flags[f]
      if not k2 then
        local t = {}
        for fl in pairs(c.flags) do t[#t + 1] = "-" .. fl end
        table.sort(t)
        fail("%s: flag -%s unknown (known: %s)", cname, f, table.concat(t, " "))
      end
      if rest == "" then
        i = i + 1
        rest = words[i]
        if not rest then fail("%s: -%s needs a value", cname, f) end
      end
      set(k2, rest)
    else
      args[#args + 1] = w
    end
    i = i + 1
  end
  return args, opts
end

-- The words of a command line are plain words, key=value or -flag.
local function plain(words, from, to)
  for i = from, to do
    local w = words[i]
    if not (w:match(WORD) or w:match(KV) or w:match("^%-%a[%w_%.]*$")) then return false end
  end
  return true
end

function M.parse(line, env)
  if type(line) ~= "string" then return nil end
  line = line:gsub("^%s+", ""):gsub("%s+$", "")
  local words = split(line)
  if #words > 1 and words[#words] == "&" then table.remove(words) end   -- the REPL's
  if #words == 0 then return nil end
  local net = net_of(env)
  local name, rest_from
  local first = words[1]
  if CMDS[first] and first:match("^[%a_][%w_]*$") then
    name, rest_from = first, 2
  elseif #words >= 2 and CMDS[words[2]] and CMDS[words[2]].host_first and first:match(WORD)
         and find(env, net, first) then
    name, rest_from = words[2], 1
  else
    return nil
  end
  local c = CMDS[name]
  if #words == 1 then
    -- A bare word: a command when it needs nothing more, else Lua when a
    -- global has that name (`link` of two_hosts.lua).
    if not c.bare and env_get(env, name) ~= nil then return nil end
  else
    local last = c.raw_tail and 2 or #words      -- tcpdump: only its node word
    if rest_from == 1 then
      -- `h1 ping h2`: the second word is the command
      if not plain(words, 3, last) then return nil end
    elseif not plain(words, 2, last) then
      return nil
    end
    if is_lua(line) then return nil end
  end
  local rest = {}
  if rest_from == 1 then
    rest[1] = words[1]
    for i = 3, #words do rest[#rest + 1] = words[i] end
  else
    for i = 2, #words do rest[#rest + 1] = words[i] end
  end
  local ctx = { name = name, env = env, net = net }
  if c.raw_tail then
    ctx.args, ctx.opts = rest, {}
  else
    ctx.args, ctx.opts = parse_args(name, c, rest)
  end
  return c.build(ctx)
end

return M
