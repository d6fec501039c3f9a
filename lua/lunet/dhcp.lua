-- lunet.dhcp - a DHCP server and client (RFC 2131), installed as Node
-- methods by lunet.apps: h:dhcp_server{...} and h:dhcp([iface,] {...}).
--
-- Both are plain tasks on UdpSocket and lunet.dhcp.encode/decode (the C
-- codec of core/dhcp.c, lua/l_dhcp.c): read them as examples of those.
--
-- How a client without an address talks (RFC 2131 4.1).  Real clients
-- (dhclient, systemd-networkd) send and receive through packet sockets.
-- Here the client's socket is bound to its interface (the "bindtodevice"
-- option, SO_BINDTODEVICE): while the interface has no address, its
-- datagrams to 255.255.255.255 leave from 0.0.0.0 (core/udp.c).  To hear
-- the answer before it has an address, it sets the BROADCAST flag, as RFC
-- 2131 4.1 tells a client that cannot receive unicast datagrams yet to do;
-- the server then broadcasts its OFFER and ACK.  Once bound, the client
-- renews by unicast (RENEWING) and rebinds by broadcast (REBINDING) from
-- its address, without the flag, and the server answers to ciaddr.
--
-- The server keeps a pool for its own network and, with subnets, one per
-- network behind a relay (lunet/dhcp_relay.lua), picked by giaddr as ISC
-- dhcpd picks its subnet.  It follows RFC 2131 4.1 on where replies go:
-- to the relay (giaddr) when there is one, a NAK broadcast, to ciaddr when the client
-- has one, broadcast when the client asks for it; a client that set
-- neither gets its OFFER/ACK unicast to yiaddr, its MAC address entered in
-- the server's neighbour table first, as dnsmasq does.
--
-- Determinism: the client's xids and retransmission jitter come from
-- net:rng("dhcp:<host>:<iface>"), addresses are chosen from a hash of the
-- client's identity, and no Lua table order reaches the wire or a report.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local check_opts = require("lunet.util").check_opts

local encode, decode = lunet.dhcp.encode, lunet.dhcp.decode

local M = {}

local SERVER_PORT, CLIENT_PORT = 67, 68
local BCAST = "255.255.255.255"
local SEC = 1000000000

------------------------------------------------------------------------
-- helpers
------------------------------------------------------------------------

-- "a.b.c.d" -> 32-bit number, nil when not an address.
local function num(s)
  if type(s) ~= "string" then return nil end
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  if a > 255 or b > 255 or c > 255 or d > 255 then return nil end
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function str(n)
  return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

local function mask_of(plen) return plen == 0 and 0 or (0xffffffff << (32 - plen)) & 0xffffffff end

local function plen_of(mask)
  local p = 0
  while p < 32 and (mask >> (31 - p)) & 1 == 1 do p = p + 1 end
  return p
end

-- "10.0.1.1/24" -> 10.0.1.1 as a number, 24
local function prefix(s)
  if not s then return nil end
  local a, p = s:match("^([%d.]+)/(%d+)$")
  return num(a), tonumber(p)
end

local function nsarg(n) return string.format("%dns", n) end

local function in_task(fname)
  local _, main = coroutine.running()
  if main or not coroutine.isyieldable() then
    error(fname .. ": not inside a task (use host:spawn)", 3)
  end
end

local is_time, is_bool = require("lunet.util").is_time, require("lunet.util").is_bool
local function is_addr(v)
  if not num(v) then return false, string.format("%q is not an address like \"10.0.1.1\"", tostring(v)) end
  return true
end
local function is_addrs(v)
  if type(v) == "string" then return is_addr(v) end
  if type(v) ~= "table" then return false, "must be an address or an array of addresses" end
  if #v > 16 then return false, "at most 16 addresses" end
  for _, a in ipairs(v) do
    local ok, why = is_addr(a)
    if not ok then return false, why end
  end
  return true
end
local function is_name(v)
  if type(v) ~= "string" or #v < 1 or #v > 255 then return false, "must be a string of 1 to 255 bytes" end
  return true
end
local function is_iface(v)
  if type(v) == "string" or type(v) == "userdata" then return true end
  return false, "must be an Iface or an interface name"
end

local function addr_list(v)
  if v == nil then return {} end
  if type(v) == "string" then return {v} end
  local t = {}
  for i, a in ipairs(v) do t[i] = a end
  return t
end

-- The interface named by v (an Iface or a name) on h, or raise.
local function iface_of(h, v, fname, level)
  if type(v) == "userdata" then
    if v.node ~= h then error(string.format("%s: %s is not an interface of %s", fname, tostring(v), h.name), level) end
    return v
  end
  local ifc = h:iface(v)
  if not ifc then
    local names = {}
    for _, i in ipairs(h:ifaces()) do names[#names + 1] = i.name end
    error(string.format("%s: %s has no interface %q (it has: %s)", fname, h.name, tostring(v),
                        table.concat(names, ", ")), level)
  end
  return ifc
end

-- FNV-1a of a string, 32 bits: where the server starts looking for a free
-- address for a client (dnsmasq hashes the MAC address the same way, so a
-- client tends to get the same address again).
local function hash32(s)
  local h = 0x811c9dc5
  for i = 1, #s do h = ((h ~ s:byte(i)) * 0x01000193) & 0xffffffff end
  return h
end

------------------------------------------------------------------------
-- server
------------------------------------------------------------------------

local function is_search(v)
  if type(v) == "string" then v = {v} end
  if type(v) ~= "table" then return false, 'must be a domain or a list of domains like {"corp.lab", "lab"}' end
  if #v > 16 then return false, "at most 16 domains" end
  for _, d in ipairs(v) do
    if type(d) ~= "string" or not pcall(encode, {search = d}) then
      return false, string.format("%q is not a domain", tostring(d))
    end
  end
  return true
end

-- What a pool hands out; the same keys at the top level (the pool on the
-- server's own network) and in each entry of subnets (pools for the
-- networks behind relays, ISC dhcpd's "subnet" blocks).
local POOL_OPTS = {pool = true, first = is_addr, last = is_addr, router = is_addr, dns = is_addrs,
                   lease = is_time, domain = is_name, search = is_search, static = true}
local SERVER_OPTS = {
  iface = is_iface, probe = true, quiet = is_bool, offer_hold = is_time, decline_hold = is_time,
  subnets = true,
}
for k, v in pairs(POOL_OPTS) do SERVER_OPTS[k] = v end

-- How long an OFFER keeps its address for the client, and how long an
-- address a client DECLINEd (or a probe found in use) stays out of the
-- pool: dnsmasq's DECLINE_BACKOFF is 600 s; ISC's offer hold is about
-- a minute.
local OFFER_HOLD, DECLINE_HOLD = 60 * SEC, 600 * SEC

-- pool= or first=/last=: the range, or nil when neither is given.
local function range_of(opts, fname, lvl)
  local first, last
  if opts.pool ~= nil then
    if opts.first or opts.last then error(fname .. ": give pool or first/last, not both", lvl) end
    if type(opts.pool) ~= "string" then error(fname .. ': option pool: must be a string like "10.0.1.100-10.0.1.199"', lvl) end
    local a, b = opts.pool:match("^%s*([%d.]+)%s*%-%s*([%d.]+)%s*$")
    first, last = num(a), num(b)
    if not first or not last then
      error(string.format('%s: option pool: %q is not a range like "10.0.1.100-10.0.1.199"', fname, opts.pool), lvl)
    end
  elseif opts.first or opts.last then
    first, last = num(opts.first), num(opts.last)
    if not first or not last then error(fname .. ": give both first= and last=", lvl) end
  else
    return nil
  end
  if first > last then error(string.format("%s: pool: %s comes after %s", fname, str(first), str(last)), lvl) end
  return first, last
end

-- One pool on net/plen: the range, the static leases, the options.
local function make_pool(opts, first, last, net, plen, fname, lvl)
  local mask = mask_of(plen)
  net = net & mask
  if first & mask ~= net or last & mask ~= net then
    error(string.format("%s: pool %s-%s is not inside %s/%d", fname, str(first), str(last), str(net), plen), lvl)
  end
  local static = {}
  if opts.static ~= nil then
    if type(opts.static) ~= "table" then error(fname .. ': option static: must be a table {["02:00:00:00:00:09"] = "10.0.1.9"}', lvl) end
    local macs = require("lunet.util").sorted_keys(opts.static)
    local owner = {}                  -- address -> the MAC given it first
    for _, mac in ipairs(macs) do
      local a = num(opts.static[mac])
      local m = type(mac) == "string" and mac:lower()
      if not m or not m:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") then
        error(string.format("%s: option static: %q is not a MAC address like 02:00:00:00:00:09", fname, tostring(mac)), lvl)
      end
      if not a or a & mask ~= net then
        error(string.format("%s: option static: %s: %s is not an address on %s/%d", fname, mac,
                            tostring(opts.static[mac]), str(net), plen), lvl)
      end
      if owner[a] then
        error(string.format("%s: option static: %s and %s both given %s (one address, one client)",
                            fname, owner[a], m, str(a)), lvl)
      end
      owner[a] = m
      static[m] = a
    end
  end
  local lease = opts.lease and lunet.time(opts.lease) or 3600 * SEC
  if lease < SEC then error(fname .. ": option lease: at least 1s", lvl) end
  local search = opts.search
  if type(search) == "string" then search = {search} end
  return {
    plen = plen, mask = mask, net = net, bcast = net | (~mask & 0xffffffff),
    first = first, last = last, router = opts.router, dns = addr_list(opts.dns), domain = opts.domain,
    search = search, lease = lease // SEC, static = static,
  }
end

-- Errors name the line that called h:dhcp_server (level 3 from here).
local function server_config(h, opts, fname)
  local lvl = 3
  local first, last = range_of(opts, fname, lvl)
  local subnets = opts.subnets
  if subnets ~= nil and (type(subnets) ~= "table" or #subnets == 0) then
    error(fname .. ': option subnets: must be a list like {{net = "10.0.2.0/24", pool = "10.0.2.100-10.0.2.199", router = "10.0.2.1"}}', lvl)
  end
  if not first and not subnets then
    error(fname .. ": a pool is needed: pool = \"10.0.1.100-10.0.1.199\" (or first= and last=, or subnets=)", lvl)
  end
  local ifc
  if opts.iface ~= nil then
    ifc = iface_of(h, opts.iface, fname, lvl + 1)
  else
    for _, i in ipairs(h:ifaces()) do
      local a, p = prefix(i:addr())
      if a and (not first or first & mask_of(p) == a & mask_of(p)) then ifc = i break end
    end
    if not ifc then
      error(string.format("%s: no interface of %s is on the pool's network (%s): give the server's interface an "
                          .. "address there, or iface=", fname, h.name, first and str(first) or "any"), lvl)
    end
  end
  local addr, plen = prefix(ifc:addr())
  if not addr then error(string.format("%s: %s has no address: the server needs one on it", fname, tostring(ifc)), lvl) end
  local pools, here = {}, nil
  if first then
    local mask = mask_of(plen)
    if first & mask ~= addr & mask or last & mask ~= addr & mask then
      error(string.format("%s: pool %s-%s is not inside %s/%d, the network of %s", fname, str(first), str(last),
                          str(addr & mask), plen, tostring(ifc)), lvl)
    end
    here = make_pool(opts, first, last, addr, plen, fname, lvl + 1)
    pools[1] = here
  end
  for i, sub in ipairs(subnets or {}) do
    local sf = string.format("%s: subnets[%d]", fname, i)
    if type(sub) ~= "table" then error(sf .. ": must be a table {net =, pool =, router =, ...}", lvl) end
    local known = {net = true}
    for k, v in pairs(POOL_OPTS) do known[k] = v end
    check_opts(sf, sub, known, lvl + 1)
    local na, np = prefix(sub.net)
    if not na or np > 30 then error(sf .. ': net must be a network like "10.0.2.0/24" (/30 or larger)', lvl) end
    local sa, sb = range_of(sub, sf, lvl + 1)
    if not sa then error(sf .. ": a pool is needed: pool = \"10.0.2.100-10.0.2.199\"", lvl) end
    local p = make_pool(sub, sa, sb, na, np, sf, lvl + 1)
    for _, q in ipairs(pools) do
      if p.net & q.mask == q.net or q.net & p.mask == p.net then
        error(string.format("%s: %s/%d overlaps %s/%d", sf, str(p.net), p.plen, str(q.net), q.plen), lvl)
      end
    end
    pools[#pools + 1] = p
  end
  local probe = false
  if opts.probe == true then probe = SEC
  elseif opts.probe and opts.probe ~= false then
    local ok, why = is_time(opts.probe)
    if not ok then error(fname .. ": option probe: " .. why .. " (true, false or a time)", lvl) end
    probe = lunet.time(opts.probe)
  end
  return {
    iface = ifc, addr = addr, ifmask = mask_of(plen), here = here, pools = pools, relayed = subnets ~= nil,
    probe = probe, quiet = opts.quiet,
    offer_hold = opts.offer_hold and lunet.time(opts.offer_hold) or OFFER_HOLD,
    decline_hold = opts.decline_hold and lunet.time(opts.decline_hold) or DECLINE_HOLD,
  }
end

local function client_key(m)
  if m.client_id then
    return "id:" .. m.client_id:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  end
  return "hw:" .. m.chaddr
end

function M.dhcp_server(h, opts)
  local F = "node:dhcp_server"
  opts = check_opts(F, opts, SERVER_OPTS)
  local cfg = server_config(h, opts, F)
  -- With subnets, relayed requests (and renewals from behind the relays)
  -- may arrive by any interface: a second socket, not bound to one, hears
  -- them (both on port 67, so both SO_REUSEADDR).
  local sock = h:udp{broadcast = true, bindtodevice = cfg.iface, reuseaddr = cfg.relayed}
  local ok, err = sock:bind(SERVER_PORT)
  if not ok then
    sock:close()
    error(string.format("%s: port 67 on %s: %s (another server there?)", F, tostring(cfg.iface), err), 2)
  end
  local rsock
  if cfg.relayed then
    rsock = h:udp{reuseaddr = true}
    ok, err = rsock:bind(SERVER_PORT)
    if not ok then
      sock:close()
      rsock:close()
      error(string.format("%s: port 67: %s (another server there?)", F, err), 2)
    end
  end

  local srv = {iface = cfg.iface.name, addr = str(cfg.addr), socket = sock,
               stats = {discover = 0, offer = 0, request = 0, ack = 0, nak = 0, decline = 0,
                        release = 0, inform = 0, ignored = 0, malformed = 0, exhausted = 0,
                        relayed = 0, no_pool = 0},
               errors = {}}
  local by_addr, by_key = {}, {}     -- address -> lease, client key -> lease
  local reserved = {[cfg.addr] = true}
  local static_of = {}               -- address -> MAC it is kept for
  for _, p in ipairs(cfg.pools) do
    reserved[p.net], reserved[p.bcast] = true, true
    if p.router then reserved[num(p.router)] = true end
    for _, d in ipairs(p.dns) do reserved[num(d)] = true end
    for mac, a in pairs(p.static) do static_of[a] = mac end
  end
  local function on(p, a) return a & p.mask == p.net end

  -- The pool a message is about (ISC dhcpd's subnet lookup): the relay's
  -- network (giaddr), else the client's address's (a renewal reaching us
  -- straight from behind a relay, RFC 2131 4.4.5), else our own network.
  local function pool_for(m)
    local gi, ci = num(m.giaddr), num(m.ciaddr)
    if gi ~= 0 then
      for _, p in ipairs(cfg.pools) do if on(p, gi) then return p end end
      return nil
    end
    if ci ~= 0 then
      for _, p in ipairs(cfg.pools) do if on(p, ci) then return p end end
    end
    return cfg.here
  end

  local function log(fmt, ...)
    if not cfg.quiet then print(string.format("%s: dhcp: " .. fmt, h.name, ...)) end
  end

  local function drop(l)
    if by_addr[l.addr] == l then by_addr[l.addr] = nil end
    if l.key and by_key[l.key] == l then by_key[l.key] = nil end
  end

  -- Leases past their time are free again (looked at lazily: nothing on
  -- the wire depends on when).
  local function live(l)
    if l and l.expires <= lunet.now() then drop(l) return nil end
    return l
  end

  local function usable(a, key, p)
    if not on(p, a) then return false end
    if a < p.first and not static_of[a] or a > p.last and not static_of[a] then return false end
    if reserved[a] then return false end
    if static_of[a] and "hw:" .. static_of[a] ~= key then return false end
    local l = live(by_addr[a])
    return not l or l.key == key
  end

  -- Is somebody already using a? (ICMP echo, as dnsmasq and ISC dhcpd's
  -- ping-check do; this blocks the server for up to cfg.probe.)
  local function in_use(a)
    if not cfg.probe then return false end
    local s = h:icmp_socket()
    s:echo(str(a), {seq = 1})
    local deadline = lunet.now() + cfg.probe
    local busy = false
    while lunet.now() < deadline do
      local r = s:receive{timeout = nsarg(deadline - lunet.now())}
      if not r then break end
      if r.kind == "echo reply" and r.from == str(a) then busy = true break end
    end
    s:close()
    return busy
  end

  local function hold(a, why)
    by_addr[a] = {addr = a, state = why, expires = lunet.now() + cfg.decline_hold}
    log("%s is in use (%s): out of the pool for %ds", str(a), why, cfg.decline_hold // SEC)
  end

  -- RFC 2131 4.3.1: the client's current binding, else the address it
  -- asks for if free, else a free one (from a hash of the client, then
  -- upwards, as dnsmasq does).
  local function choose(m, key, p)
    local mac = m.chaddr
    if p.static[mac] then return p.static[mac] end
    local l = live(by_key[key])
    -- a client that moved to another network gets an address there
    if l and on(p, l.addr) then return l.addr end
    local function free(a)
      if not usable(a, key, p) or live(by_addr[a]) then return false end
      if in_use(a) then hold(a, "answers ping") return false end
      return true
    end
    local want = num(m.requested)
    if want and free(want) then return want end
    local size = p.last - p.first + 1
    local start = hash32(key) % size
    for i = 0, size - 1 do
      local a = p.first + (start + i) % size
      if free(a) then return a end
    end
    return nil
  end

  local function bind(a, key, m, state, secs)
    local old = live(by_key[key])
    if old and old.addr ~= a then drop(old) end
    local l = {addr = a, key = key, mac = m.chaddr, hostname = m.hostname, state = state,
               expires = lunet.now() + secs * SEC}
    by_addr[a], by_key[key] = l, l
    return l
  end

  -- Where a reply goes, RFC 2131 4.1.
  local function destination(m, rtype, yiaddr)
    if m.giaddr ~= "0.0.0.0" then return m.giaddr, SERVER_PORT end
    if rtype == "NAK" then return BCAST, CLIENT_PORT end
    if m.ciaddr ~= "0.0.0.0" then return m.ciaddr, CLIENT_PORT end
    if m.broadcast or not yiaddr then return BCAST, CLIENT_PORT end
    -- Unicast to a client that has no address yet: tell our neighbour
    -- table its MAC first (dnsmasq does; ISC dhcpd writes the frame
    -- itself), since it cannot answer ARP.
    h:arp_set(yiaddr, m.chaddr, cfg.iface, {temporary = true})
    return yiaddr, CLIENT_PORT
  end

  local function send(m, rtype, yiaddr, extra, p)
    local r = {op = 2, type = rtype, xid = m.xid, flags = m.flags, giaddr = m.giaddr, htype = m.htype,
               hlen = m.hlen, chaddr = m.chaddr, server_id = srv.addr, client_id = m.client_id,
               yiaddr = yiaddr or "0.0.0.0"}
    -- RFC 2131 table 3: ciaddr echoed in an ACK, zero in OFFER and NAK.
    if rtype == "ACK" then r.ciaddr = m.ciaddr end
    if rtype ~= "NAK" then
      r.mask = str(p.mask)
      r.router = p.router
      if #p.dns > 0 then r.dns = p.dns end
      r.domain = p.domain
      r.search = p.search
    elseif m.giaddr ~= "0.0.0.0" then
      -- RFC 2131 4.3.2: a NAK through a relay asks it to broadcast
      r.broadcast = true
    end
    for k, v in pairs(extra or {}) do r[k] = v end
    -- RFC 3046 2.2: the relay agent option comes back as it came
    r.agent_info = m.agent_info
    local dst, port = destination(m, rtype, yiaddr)
    -- off our own network, by the socket that is not tied to its interface
    local out = sock
    if rsock and dst ~= BCAST and num(dst) & cfg.ifmask ~= cfg.addr & cfg.ifmask then out = rsock end
    local ok, err = out:sendto(encode(r), dst, port)
    if not ok then log("DHCP%s to %s: %s", rtype, dst, err) end
    srv.stats[rtype:lower()] = srv.stats[rtype:lower()] + 1
  end

  local function lease_opts(secs)
    -- RFC 2131 4.4.5: T1 = 0.5 and T2 = 0.875 of the lease by default.
    return {lease = secs, t1 = secs // 2, t2 = secs * 7 // 8}
  end

  local function nak(m, why, p)
    log("DHCPNAK(%s) %s %s %s", srv.iface, m.requested or m.ciaddr, m.chaddr, why)
    send(m, "NAK", nil, {message = why}, p)
  end

  local function on_discover(m, key, p)
    srv.stats.discover = srv.stats.discover + 1
    log("DHCPDISCOVER(%s) %s", srv.iface, m.chaddr)
    local a = choose(m, key, p)
    if not a then
      srv.stats.exhausted = srv.stats.exhausted + 1
      log("DHCPDISCOVER(%s) %s: no address available", srv.iface, m.chaddr)
      return
    end
    local cur = live(by_key[key])
    if not (cur and cur.addr == a and cur.state == "bound") then
      bind(a, key, m, "offered", cfg.offer_hold // SEC)
    end
    log("DHCPOFFER(%s) %s %s", srv.iface, str(a), m.chaddr)
    send(m, "OFFER", str(a), lease_opts(p.lease), p)
  end

  local function ack(m, key, a, p)
    local l = bind(a, key, m, "bound", p.lease)
    log("DHCPACK(%s) %s %s%s", srv.iface, str(a), m.chaddr, m.hostname and (" " .. m.hostname) or "")
    send(m, "ACK", str(a), lease_opts(p.lease), p)
    return l
  end

  -- RFC 2131 4.3.2: the client's state shows in which fields it fills.
  local function on_request(m, key, p)
    srv.stats.request = srv.stats.request + 1
    local sid, want, ci = m.server_id, num(m.requested), num(m.ciaddr)
    log("DHCPREQUEST(%s) %s %s", srv.iface, m.requested or m.ciaddr, m.chaddr)
    local cur = live(by_key[key])
    if sid then
      -- SELECTING: an answer to some server's OFFER.
      if sid ~= srv.addr then
        -- It chose another server: our offer is free again.
        if cur and cur.state == "offered" then drop(cur) end
        srv.stats.ignored = srv.stats.ignored + 1
        return
      end
      if want and cur and cur.addr == want then return ack(m, key, want, p) end
      if want and p.static[m.chaddr] == want then return ack(m, key, want, p) end
      return nak(m, "requested address not offered", p)
    end
    if want and ci == 0 then
      -- INIT-REBOOT: the client checks the address it had.  Wrong network,
      -- or somebody else's: NAK.  Free in the pool: this server is
      -- authoritative for its network (dnsmasq --dhcp-authoritative) and
      -- gives it back.
      if not on(p, want) then return nak(m, "wrong network", p) end
      if cur and cur.addr == want then return ack(m, key, want, p) end
      if usable(want, key, p) and not live(by_addr[want]) then return ack(m, key, want, p) end
      return nak(m, "address not available", p)
    end
    if ci and ci ~= 0 then
      -- RENEWING (unicast) or REBINDING (broadcast): extend the lease.
      if cur and cur.addr == ci and on(p, ci) then return ack(m, key, ci, p) end
      if usable(ci, key, p) and not live(by_addr[ci]) then return ack(m, key, ci, p) end
      return nak(m, "lease unknown", p)
    end
    srv.stats.ignored = srv.stats.ignored + 1
  end

  local function on_decline(m, key)
    srv.stats.decline = srv.stats.decline + 1
    local a = num(m.requested)
    if m.server_id ~= srv.addr or not a then return end
    log("DHCPDECLINE(%s) %s %s", srv.iface, str(a), m.chaddr)
    local cur = live(by_key[key])
    if cur and cur.addr == a then drop(cur) end
    hold(a, "declined")
  end

  local function on_release(m, key)
    srv.stats.release = srv.stats.release + 1
    local cur = live(by_key[key])
    log("DHCPRELEASE(%s) %s %s", srv.iface, m.ciaddr, m.chaddr)
    if m.server_id == srv.addr and cur and str(cur.addr) == m.ciaddr then drop(cur) end
  end

  local function on_inform(m, _, p)
    -- RFC 2131 3.4: configuration only, no address and no lease.
    srv.stats.inform = srv.stats.inform + 1
    log("DHCPINFORM(%s) %s %s", srv.iface, m.ciaddr, m.chaddr)
    local mm = setmetatable({broadcast = false}, {__index = m})
    send(mm, "ACK", nil, {ciaddr = m.ciaddr}, p)
  end

  local handlers = {DISCOVER = on_discover, REQUEST = on_request, DECLINE = on_decline,
                    RELEASE = on_release, INFORM = on_inform}

  -- relayed: the socket not tied to our interface, which hears every
  -- broadcast too; it takes only what came through a relay or from a
  -- client off our network (the other socket has the rest).
  local function serve(from, relayed)
    while true do
      local data = from:receivefrom()
      if not data then return end          -- closed
      local m, why = decode(data)
      if not m then
        if not relayed then
          srv.stats.malformed = srv.stats.malformed + 1
          srv.errors[why] = (srv.errors[why] or 0) + 1
          log("malformed message dropped: %s", why)
        end
      elseif relayed and m.giaddr == "0.0.0.0" and (m.ciaddr == "0.0.0.0" or cfg.here and on(cfg.here, num(m.ciaddr))) then
        -- the other socket's
      elseif m.op ~= 1 or not handlers[m.type] then
        srv.stats.ignored = srv.stats.ignored + 1
      else
        local p = pool_for(m)
        if m.giaddr ~= "0.0.0.0" then srv.stats.relayed = srv.stats.relayed + 1 end
        if p then
          handlers[m.type](m, client_key(m), p)
        else
          -- ISC dhcpd: "unknown network segment"
          srv.stats.no_pool = srv.stats.no_pool + 1
          log("DHCP%s(%s) %s via %s: no pool for that network", m.type, srv.iface, m.chaddr, m.giaddr)
        end
      end
    end
  end

  srv.task = h:spawn(serve, sock, false)
  if rsock then srv.relay_task = h:spawn(serve, rsock, true) end

  -- Leases by address: {addr=, mac=, state="offered"|"bound"|"declined"|
  -- "answers ping", expires= (virtual ns), hostname=}.
  function srv:leases()
    local addrs = {}
    for a in pairs(by_addr) do addrs[#addrs + 1] = a end
    table.sort(addrs)
    local out = {}
    for _, a in ipairs(addrs) do
      local l = live(by_addr[a])
      if l then
        out[#out + 1] = {addr = str(a), mac = l.mac, state = l.state, expires = l.expires,
                         hostname = l.hostname}
      end
    end
    return out
  end

  function srv:close()
    sock:close()
    if rsock then rsock:close() end
    if not srv.task:done() then srv.task:kill() end
    if srv.relay_task and not srv.relay_task:done() then srv.relay_task:kill() end
  end

  return srv
end

------------------------------------------------------------------------
-- client
------------------------------------------------------------------------

local CLIENT_OPTS = {timeout = is_time, hostname = is_name, requested = is_addr, quiet = is_bool,
                     client_id = is_name}

-- RFC 2132 9.8: what the client asks for (dhclient's list, short; 119
-- the domain search list, RFC 3397).
local PRL = {1, 3, 6, 12, 15, 51, 58, 59, 119}

-- RFC 2131 4.1: 4 s, then 8, 16, 32, 64 (at most), each +-1 s at random.
local function backoff(c, n)
  local base = math.min(4 << (n - 1), 64) * SEC
  return base + c.rng:int(-SEC, SEC)
end

local function configure(c, m)
  local mask = num(m.mask)
  local plen
  if mask then plen = plen_of(mask)
  else
    -- No subnet mask: the address's class (RFC 2131 does not say; Linux's
    -- dhclient-script leaves it to ip(8), which takes /32 ... the classful
    -- mask is what every other client does).
    local a = num(m.yiaddr) >> 24
    plen = a < 128 and 8 or a < 192 and 16 or 24
  end
  c.ifc:addr(string.format("%s/%d", m.yiaddr, plen))
  local router = m.router and m.router[1]
  if router then
    -- The default route is replaced, as dhclient-script does.
    pcall(c.h.unroute, c.h, "default")
    c.h:route("default", router)
  end
  -- The name servers go where the resolver reads them, as dhclient-script
  -- writes /etc/resolv.conf (h:dns_servers keeps at most 3, as glibc).
  -- The search list too, as dhclient-script writes resolv.conf's
  -- "search": the domain search option (119) if the server sent one,
  -- else the domain name (15; several, separated by spaces, are each a
  -- domain, and one that is not a valid name is left out).
  local search = m.search
  if not search and m.domain then
    search = {}
    for d in m.domain:gmatch("%S+") do
      if pcall(lunet.dns.encode, {questions = {{name = d}}}) then search[#search + 1] = d end
    end
    if #search == 0 then search = nil end
  end
  if c.h.dns_servers and ((m.dns and #m.dns > 0) or search) then
    local list
    if m.dns and #m.dns > 0 then
      list = {}
      for i = 1, math.min(#m.dns, 3) do list[i] = m.dns[i] end
    end
    c.h:dns_servers(list, {search = search})
  end
  return plen, router
end

local function unconfigure(c)
  if c.r.router then pcall(c.h.unroute, c.h, "default") end
  c.ifc:addr(false)
end

local function apply_ack(c, m)
  local r = c.r
  local lease = m.lease or 3600
  r.lease = lease
  r.t1 = m.t1 or lease // 2
  r.t2 = m.t2 or lease * 7 // 8
  r.dns = addr_list(m.dns)
  r.domain = m.domain
  r.search = m.search
  r.server = m.server_id or r.server
  r.obtained = lunet.now()
  r.renew_at = r.obtained + r.t1 * SEC
  r.rebind_at = r.obtained + r.t2 * SEC
  r.expires = r.obtained + lease * SEC
  r.state = "BOUND"
end

-- A client message; fields the state does not use stay out.
local function message(c, mtype, extra)
  local t = {type = mtype, xid = c.xid, chaddr = c.ifc.mac, client_id = c.client_id,
             secs = math.min((lunet.now() - c.started) // SEC, 0xffff), hostname = c.hostname}
  if mtype ~= "RELEASE" and mtype ~= "DECLINE" then t.prl = PRL end
  for k, v in pairs(extra or {}) do t[k] = v end
  return encode(t)
end

-- Send `build()` to dst, retransmitting after wait(n) (n = 1, 2, ...),
-- until accept(m) takes a reply, `tries` sends were unanswered or the
-- deadline passes.  Returns the reply or nil.
local function exchange(c, build, dst, accept, wait, deadline, tries)
  for n = 1, tries or math.huge do
    local ok, err = c.sock:sendto(build(), dst, SERVER_PORT)
    if not ok and not c.quiet then print(string.format("%s: dhcp: send to %s: %s", c.h.name, dst, err)) end
    local until_ = math.min(lunet.now() + wait(n), deadline)
    while lunet.now() < until_ do
      local data = c.sock:receivefrom{timeout = nsarg(until_ - lunet.now())}
      -- Every client on the LAN hears every broadcast reply: a look at
      -- the xid first spares decoding the others' (N clients would decode
      -- N^2 messages; with 50 it was half the run's instructions).
      if data and #data >= 8 and string.unpack(">I4", data, 5) == c.xid then
        local m = decode(data)
        if m and m.op == 2 and m.xid == c.xid and m.chaddr == c.ifc.mac and accept(m) then return m end
      end
    end
    if lunet.now() >= deadline then return nil end
  end
  return nil
end

local function log(c, fmt, ...)
  if not c.quiet then print(string.format("%s: " .. fmt, c.h.name, ...)) end
end

local function new_xid(c) c.xid = c.rng:int(0, 0xffffffff) end

-- INIT -> SELECTING -> REQUESTING -> BOUND (RFC 2131 4.4.1, figure 5).
-- dhclient sends its first DISCOVER at once rather than after RFC 2131's
-- random 1 to 10 s; so does this client.
local function acquire(c, deadline)
  while lunet.now() < deadline do
    new_xid(c)
    c.started = lunet.now()
    c.r.state = "SELECTING"
    local offer = exchange(c, function()
        log(c, "DHCPDISCOVER on %s to %s port 67", c.ifc.name, BCAST)
        return message(c, "DISCOVER", {broadcast = true, requested = c.requested})
      end, BCAST, function(m) return m.type == "OFFER" and m.server_id end,
      function(n) return backoff(c, n) end, deadline)
    if not offer then return nil end
    log(c, "DHCPOFFER of %s from %s", offer.yiaddr, offer.server_id)
    c.r.state = "REQUESTING"
    -- RFC 2131 3.1 step 5: without an answer after the retransmissions,
    -- back to INIT (four sends: 4 + 8 + 16 + 32 s, about a minute).
    local reply = exchange(c, function()
        log(c, "DHCPREQUEST for %s on %s to %s port 67", offer.yiaddr, c.ifc.name, BCAST)
        return message(c, "REQUEST", {broadcast = true, requested = offer.yiaddr, server_id = offer.server_id})
      end, BCAST, function(m)
        return (m.type == "ACK" or m.type == "NAK") and (m.server_id == nil or m.server_id == offer.server_id)
      end, function(n) return backoff(c, n) end, deadline, 4)
    if reply and reply.type == "ACK" then
      log(c, "DHCPACK of %s from %s", reply.yiaddr, reply.server_id or offer.server_id)
      c.r.server = reply.server_id or offer.server_id
      return reply
    end
    if reply then
      log(c, "DHCPNAK from %s%s", reply.server_id or "?", reply.message and (": " .. reply.message) or "")
      c.r.naks = c.r.naks + 1
    end
  end
  return nil
end

-- BOUND -> RENEWING at T1 -> REBINDING at T2 -> expiry (RFC 2131 4.4.5).
-- Retransmissions wait half the time left to T2 (or to the expiry), at
-- least 60 s, as the RFC says.
local function maintain(c)
  local r = c.r
  while true do
    lunet.sleep(nsarg(math.max(r.renew_at - lunet.now(), 0)))
    new_xid(c)
    c.started = lunet.now()
    local reply
    for _, phase in ipairs({"RENEWING", "REBINDING"}) do
      r.state = phase
      local dst = phase == "RENEWING" and r.server or BCAST
      local limit = phase == "RENEWING" and r.rebind_at or r.expires
      if phase == "REBINDING" then lunet.sleep(nsarg(math.max(r.rebind_at - lunet.now(), 0))) end
      reply = exchange(c, function()
          log(c, "DHCPREQUEST for %s on %s to %s port 67 (%s)", r.addr, c.ifc.name, dst, phase:lower())
          return message(c, "REQUEST", {ciaddr = r.addr})
        end, dst, function(m) return m.type == "ACK" or m.type == "NAK" end,
        function() return math.max((limit - lunet.now()) // 2, 60 * SEC) end, limit)
      if reply then break end
    end
    if reply and reply.type == "ACK" and reply.yiaddr == r.addr then
      apply_ack(c, reply)
      r.renewals = r.renewals + 1
      log(c, "DHCPACK of %s from %s: bound, renewal in %d seconds", r.addr, reply.server_id or r.server, r.t1)
    else
      -- A NAK, or the lease ran out: the address is given up (RFC 2131
      -- 4.4.5: "the client MUST immediately stop any other network
      -- processing and requests network parameters as if ... uninitialized").
      r.state = reply and "NAK" or "EXPIRED"
      log(c, "%s: giving up %s on %s", reply and "DHCPNAK" or "lease expired", r.addr, c.ifc.name)
      unconfigure(c)
      c.sock:close()
      return
    end
  end
end

function M.dhcp(h, a, b)
  local F = "node:dhcp"
  local ifc_arg, opts = nil, a
  if type(a) == "string" or type(a) == "userdata" then ifc_arg, opts = a, b end
  opts = check_opts(F, opts, CLIENT_OPTS)
  local ifc
  if ifc_arg ~= nil then ifc = iface_of(h, ifc_arg, F, 3)
  else
    ifc = h:ifaces()[1]
    if not ifc then error(F .. ": " .. h.name .. " has no interface", 2) end
  end
  in_task(F)
  local cid = opts.client_id
  if not cid then
    -- RFC 2132 9.14: type 1 (Ethernet) and the MAC address, as dhcpcd
    -- and Windows send it.
    local bytes = {string.char(1)}
    for x in ifc.mac:gmatch("%x%x") do bytes[#bytes + 1] = string.char(tonumber(x, 16)) end
    cid = table.concat(bytes)
  end
  local sock = h:udp{broadcast = true, bindtodevice = ifc}
  local ok, err = sock:bind(CLIENT_PORT)
  if not ok then
    sock:close()
    return nil, err
  end
  local c = {h = h, ifc = ifc, sock = sock, quiet = opts.quiet, hostname = opts.hostname,
             requested = opts.requested, client_id = cid,
             rng = h.net:rng("dhcp:" .. h.name .. ":" .. ifc.name)}
  local r = {iface = ifc.name, state = "INIT", renewals = 0, naks = 0}
  c.r = r
  local deadline = lunet.now() + lunet.time(opts.timeout or "60s")
  local ackm = acquire(c, deadline)
  if not ackm then
    sock:close()
    r.state = "INIT"
    log(c, "no DHCPOFFERS received." )
    return nil, "timeout"
  end
  r.addr = ackm.yiaddr
  apply_ack(c, ackm)
  r.prefix, r.router = configure(c, ackm)
  log(c, "bound to %s/%d -- renewal in %d seconds.", r.addr, r.prefix, r.t1)
  r.task = h:spawn(maintain, c)

  -- Give the address back (RFC 2131 4.4.6): a RELEASE to the server, the
  -- background task stopped, the address and default route removed.  The
  -- RELEASE may wait for the server's MAC address in the neighbour table,
  -- which removing the address would flush (Linux's queue outlives `ip
  -- addr del`); so the address goes once the next hop is resolved, or
  -- has failed (3 s), looked at every 10 ms.
  function r.release()
    if r.state == "RELEASED" or r.state == "EXPIRED" or r.state == "NAK" then return false end
    if r.task and not r.task:done() then r.task:kill() end
    new_xid(c)
    c.started = lunet.now()
    sock:sendto(message(c, "RELEASE", {ciaddr = r.addr, server_id = r.server}), r.server, SERVER_PORT)
    log(c, "DHCPRELEASE of %s on %s to %s port 67", r.addr, ifc.name, r.server)
    r.state = "RELEASED"
    local rt = h:lookup(r.server)
    local nh = rt and rt.via or r.server
    h:spawn(function()
      for _ = 1, 300 do
        local waiting = false
        for _, e in ipairs(h:arp()) do
          if e.ip == nh and e.state == "INCOMPLETE" then waiting = true end
        end
        if not waiting then break end
        lunet.sleep("10ms")
      end
      unconfigure(c)
      sock:close()
    end)
    return true
  end
  return r
end

return M
