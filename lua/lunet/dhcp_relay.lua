-- lunet.dhcp_relay - a DHCP relay agent (RFC 2131 4.1, RFC 1542 4, RFC
-- 3046 for option 82), installed as a Node method by lunet.apps:
--
--   local rel = r:dhcp_relay{iface = "eth1", server = "10.0.9.1"}
--
-- It behaves like ISC dhcrelay: a client's broadcast heard on a LAN
-- interface gets that interface's address as giaddr (unless a relay
-- before us set it), its hop count raised (dropped once it has reached
-- max_hops, dhcrelay's -c, 10), and goes unicast from port 67 to each
-- server.  The server answers to giaddr, port 67; the reply goes out by
-- the interface that owns giaddr: broadcast when the client set the
-- BROADCAST flag, to ciaddr when it has one, else unicast to yiaddr at
-- chaddr (RFC 1542 5.4; dhcrelay writes that frame itself, here the
-- neighbour table is told the MAC address first, as the server does).
--
-- The packet is edited in place, as dhcrelay edits it (hops, giaddr,
-- option 82 before the end option), so options lunet's codec does not
-- know travel untouched.
--
-- Sockets: one per LAN interface, bound to it, for the clients'
-- broadcasts, and one bound to no interface for the servers' replies
-- (which arrive by the uplink); all on port 67, so all SO_REUSEADDR.  A
-- node runs a relay or a DHCP server on an interface, not both.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local util = require("lunet.util")
local check_opts = util.check_opts

local decode = lunet.dhcp.decode

local M = {}

local SERVER_PORT, CLIENT_PORT = 67, 68
local BCAST = "255.255.255.255"

local function is_hops(v)
  -- RFC 1542 4.1.1: at most 16
  if math.type(v) ~= "integer" or v < 1 or v > 16 then return false, "must be an integer in 1..16" end
  return true
end

local RELAY_OPTS = {iface = true, server = true, max_hops = is_hops, agent_info = util.is_bool,
                    quiet = util.is_bool}

-- The option area of a raw message: the offset (1-based) of its end
-- option and of each option code, walking from the cookie as the parser
-- does.  The message decoded already, so the walk cannot run off it.
local function options_of(raw)
  local at, list = 241, {}
  while at <= #raw do
    local code = raw:byte(at)
    if code == 255 then return at, list end
    if code == 0 then
      at = at + 1
    else
      local len = raw:byte(at + 1) or 0
      list[#list + 1] = {code = code, at = at, len = len}
      at = at + 2 + len
    end
  end
  return nil, list                     -- no end option (tolerated, as by the parser)
end

-- raw with option 82 (sub-option 1, the circuit id: the interface's
-- name) put before the end option (RFC 3046 2.1).
local function add_agent(raw, circuit)
  local opt = string.pack("BB", 82, #circuit + 2) .. string.pack("Bs1", 1, circuit)
  local fin = options_of(raw)
  if not fin then return raw .. opt .. "\255" end
  return raw:sub(1, fin - 1) .. opt .. raw:sub(fin)
end

-- raw without option 82 (RFC 3046 2.2: the relay takes it out before the
-- client sees the reply), and its circuit id if it had one.
local function strip_agent(raw)
  local _, list = options_of(raw)
  local circuit
  for i = #list, 1, -1 do
    local o = list[i]
    if o.code == 82 then
      local sub = raw:sub(o.at + 2, o.at + 1 + o.len)
      local p = 1
      while p + 1 <= #sub do
        local c, l = sub:byte(p), sub:byte(p + 1)
        if c == 1 then circuit = sub:sub(p + 2, p + 1 + l) end
        p = p + 2 + l
      end
      raw = raw:sub(1, o.at - 1) .. raw:sub(o.at + 2 + o.len)
    end
  end
  return raw, circuit
end

local function ip_bytes(a)
  local n = util.ip_num(a)
  return string.pack(">I4", n)
end

function M.dhcp_relay(h, opts)
  local F = "node:dhcp_relay"
  opts = check_opts(F, opts, RELAY_OPTS)
  -- the LAN interfaces
  local given = opts.iface
  if given == nil then error(F .. ': iface is needed: the interface the clients are on, like "eth1"', 2) end
  if type(given) ~= "table" or getmetatable(given) then given = {given} end
  local lans = {}
  for i, v in ipairs(given) do
    local ifc = type(v) == "userdata" and v or h:iface(v)
    if not ifc or ifc.node ~= h then
      local names = {}
      for _, x in ipairs(h:ifaces()) do names[#names + 1] = x.name end
      error(string.format("%s: iface %d: %s has no interface %q (it has: %s)", F, i, h.name, tostring(v),
                          table.concat(names, ", ")), 2)
    end
    local a = (ifc:addr() or ""):match("^([%d.]+)/")
    if not a then error(string.format("%s: %s has no address: it becomes giaddr, so it needs one", F, tostring(ifc)), 2) end
    lans[#lans + 1] = {ifc = ifc, addr = a}
  end
  if #lans == 0 then error(F .. ': iface is needed: the interface the clients are on, like "eth1"', 2) end
  -- the servers
  local servers = opts.server
  if type(servers) == "string" then servers = {servers} end
  if type(servers) ~= "table" or #servers == 0 then
    error(F .. ': server is needed: the DHCP server\'s address, like "10.0.9.1" (or a list)', 2)
  end
  for i, a in ipairs(servers) do
    if not util.ip_num(a) then error(string.format('%s: server %d: %q is not an address like "10.0.9.1"', F, i, tostring(a)), 2) end
  end
  local max_hops = opts.max_hops or 10

  local rel = {stats = {requests = 0, replies = 0, dropped = 0}, drops = {}, servers = servers}
  local function log(fmt, ...)
    if not opts.quiet then print(string.format("%s: dhcrelay: " .. fmt, h.name, ...)) end
  end
  local function drop(why)
    rel.stats.dropped = rel.stats.dropped + 1
    rel.drops[why] = (rel.drops[why] or 0) + 1
    log("dropped: %s", why)
  end

  local socks = {}
  local function close_all() for _, s in ipairs(socks) do s:close() end end
  local function open(o, what)
    local s = h:udp(o)
    socks[#socks + 1] = s
    local ok, err = s:bind(SERVER_PORT)
    if not ok then
      close_all()
      error(string.format("%s: port 67 %s: %s (a DHCP server there?)", F, what, err), 3)
    end
    return s
  end
  for _, l in ipairs(lans) do
    l.sock = open({broadcast = true, bindtodevice = l.ifc, reuseaddr = true}, "on " .. tostring(l.ifc))
  end
  local up = open({reuseaddr = true}, "for the servers' replies")

  -- A client's message heard on LAN interface l (RFC 1542 4.1.1).
  local function from_client(l, raw)
    local m, why = decode(raw)
    if not m then return drop("malformed: " .. why) end
    if m.op ~= 1 then return end                 -- our own replies' echo, other servers'
    if m.hops >= max_hops then return drop("hop count exceeded") end
    local first = m.giaddr == "0.0.0.0"
    raw = raw:sub(1, 3) .. string.char(m.hops + 1) .. raw:sub(5)
    if first then raw = raw:sub(1, 24) .. ip_bytes(l.addr) .. raw:sub(29) end
    -- RFC 3046 2.1: only the relay that sets giaddr adds option 82, and
    -- not over one a client forged (dhcrelay's "forward" policy)
    if opts.agent_info and first and not m.agent_info then raw = add_agent(raw, l.ifc.name) end
    rel.stats.requests = rel.stats.requests + 1
    for _, srv in ipairs(servers) do
      log("forwarded BOOTREQUEST (%s) for %s to %s", m.type or "BOOTP", m.chaddr, srv)
      up:sendto(raw, srv, SERVER_PORT)
    end
  end

  -- A server's reply, heard on the uplink socket.
  local function from_server(raw)
    local m, why = decode(raw)
    if not m then return drop("malformed: " .. why) end
    if m.op ~= 2 then return end                 -- a client's broadcast, the LAN sockets' job
    local circuit
    raw, circuit = strip_agent(raw)
    local l
    for _, x in ipairs(lans) do
      if circuit and x.ifc.name == circuit or not circuit and x.addr == m.giaddr then l = x end
    end
    if not l then return drop("giaddr " .. m.giaddr .. " is not one of ours") end
    rel.stats.replies = rel.stats.replies + 1
    local dst
    if m.broadcast then dst = BCAST
    elseif m.ciaddr ~= "0.0.0.0" then dst = m.ciaddr
    elseif m.yiaddr ~= "0.0.0.0" then
      h:arp_set(m.yiaddr, m.chaddr, l.ifc, {temporary = true})
      dst = m.yiaddr
    else dst = BCAST end
    log("forwarded BOOTREPLY (%s) for %s to %s on %s", m.type or "BOOTP", m.chaddr, dst, l.ifc.name)
    l.sock:sendto(raw, dst, CLIENT_PORT)
  end

  rel.tasks = {}
  for _, l in ipairs(lans) do
    rel.tasks[#rel.tasks + 1] = h:spawn(function()
      while true do
        local raw = l.sock:receivefrom()
        if not raw then return end
        from_client(l, raw)
      end
    end)
  end
  rel.tasks[#rel.tasks + 1] = h:spawn(function()
    while true do
      local raw = up:receivefrom()
      if not raw then return end
      from_server(raw)
    end
  end)

  function rel:close()
    close_all()
    for _, t in ipairs(rel.tasks) do if not t:done() then t:kill() end end
  end
  return rel
end

return M
