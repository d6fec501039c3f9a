-- dhcp.lua - DHCP (RFC 2131) between h:dhcp_server and h:dhcp: clients on a
-- LAN get distinct addresses and reach each other and the gateway, renew
-- at T1 by unicast, get a NAK for a wrong address, retransmit a lost
-- OFFER's DISCOVER after 4 +- 1 s, find the pool exhausted, lose their
-- address at expiry; the server's leases follow (DECLINE, RELEASE,
-- expiry).  Also the UDP pieces the client needs: a socket bound to an
-- interface without an address sends from 0.0.0.0 with a valid checksum,
-- and hears only its interface.  tshark, when installed, must show the
-- exchange with no malformed frame and no bad checksum.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")
local ip_num = require("lunet.util").ip_num
local SEC = 1000000000

-- A router r1 (10.0.1.1/24, the server) and n hosts without addresses on
-- one switch.
local function lan(net, n, srv_opts)
  local sw = net:switch("sw1")
  local r = net:router("r1")
  local rl = net:link(r, sw, {delay = "1ms"})
  r:addr("10.0.1.1/24")
  local hs, links = {}, {}
  for i = 1, n do
    hs[i] = net:host("h" .. i)
    links[i] = net:link(hs[i], sw, {delay = "1ms"})
  end
  local opts = {pool = "10.0.1.100-10.0.1.199", router = "10.0.1.1", dns = {"10.0.1.53", "10.0.1.54"},
                lease = "1h", domain = "lab.example", quiet = true}
  for k, v in pairs(srv_opts or {}) do opts[k] = v end
  local srv = r:dhcp_server(opts)
  return {r = r, sw = sw, hs = hs, links = links, rl = rl, srv = srv}
end

-- Every DHCP message a node sends or receives (tests/lib/dhcp_log.lua).
local dhcp_log = dofile(here .. "../lib/dhcp_log.lua")

local function of_type(log, t, dir)
  local out = {}
  for _, e in ipairs(log) do
    if e.m.type == t and (not dir or e.dir == dir) then out[#out + 1] = e end
  end
  return out
end

-- The tshark check of pcap_tshark.lua, on one file: nothing flagged, and
-- the DHCP exchange as tshark reads it.
local FILTER = '_ws.malformed or ip.checksum.status == "Bad" or udp.checksum.status == "Bad"'
            .. ' or _ws.expert.severity >= "error"'
local function tshark_dhcp(path)
  local flagged = ts.sh(string.format("tshark -r %s -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -Y %s 2>/dev/null",
                                      ts.q(path), ts.q(FILTER)))
  local types = ts.sh(string.format("tshark -r %s -Y dhcp -T fields -e dhcp.option.dhcp 2>/dev/null", ts.q(path)))
  return flagged, types
end

local function tmpfile(tag)
  local p = os.tmpname()
  os.remove(p)
  return p .. "-" .. tag .. ".pcap"
end

test("a LAN: three clients get distinct addresses, the gateway and DNS, and reach each other", function(net)
  local l = lan(net, 3)
  local path = tmpfile("lan")
  local cap = net:capture{iface = l.r.eth0, file = path}
  local res = {}
  for i, h in ipairs(l.hs) do
    h:spawn(function() res[i] = assert(h:dhcp{quiet = true, hostname = h.name}) end)
  end
  net:run("10s")
  local seen = {}
  for i, h in ipairs(l.hs) do
    local r = res[i]
    expect(r, h.name .. " got a lease"):truthy()
    expect(seen[r.addr], "distinct addresses"):is_nil()
    seen[r.addr] = true
    expect(ip_num(r.addr)):within(ip_num("10.0.1.100"), ip_num("10.0.1.199"))
    expect(r.prefix):eq(24)
    expect(r.router):eq("10.0.1.1")
    expect(r.dns):eq({"10.0.1.53", "10.0.1.54"})
    expect(r.domain):eq("lab.example")
    expect(r.server):eq("10.0.1.1")
    expect(r.lease):eq(3600)
    expect(r.t1):eq(1800)
    expect(r.t2):eq(3150)
    expect(r.state):eq("BOUND")
    expect(h:addr()):eq(r.addr .. "/24")
    expect(h:lookup("192.0.2.1").via):eq("10.0.1.1")      -- the default route
  end
  local leases = l.srv:leases()
  expect(#leases):eq(3)
  for _, x in ipairs(leases) do
    expect(x.state):eq("bound")
    expect(seen[x.addr]):truthy()
  end
  expect(leases[1].hostname):matches("^h%d$")
  expect(l.srv.stats.discover):eq(3)
  expect(l.srv.stats.ack):eq(3)
  local got = run_task(net, l.hs[1], function()
    local a = l.hs[1]:ping("10.0.1.1", {count = 1, quiet = true}).received
    local b = l.hs[1]:ping(res[2].addr, {count = 1, quiet = true}).received
    local c = l.hs[1]:ping(res[3].addr, {count = 1, quiet = true}).received
    return a + b + c
  end)
  expect(got):eq(3)
  cap:close()
  if ts.have() then
    local flagged, types = tshark_dhcp(path)
    expect(flagged, "frames tshark flags"):eq("")
    local n = {}
    for t in types:gmatch("%d+") do n[t] = (n[t] or 0) + 1 end
    expect(n["1"]):eq(3)       -- DISCOVER
    expect(n["2"]):eq(3)       -- OFFER
    expect(n["3"]):eq(3)       -- REQUEST
    expect(n["5"]):eq(3)       -- ACK
  end
  os.remove(path)
end)

test("before its address the client sends from 0.0.0.0 and the server broadcasts (BROADCAST flag)", function(net)
  local l = lan(net, 1)
  local log = dhcp_log(net, l.r)
  l.hs[1]:spawn(function() l.hs[1]:dhcp{quiet = true} end)
  net:run("5s")
  local d = of_type(log, "DISCOVER")[1]
  expect(d.src):eq("0.0.0.0")
  expect(d.dst):eq("255.255.255.255")
  expect(d.m.broadcast):eq(true)
  expect(d.m.chaddr):eq(l.hs[1].eth0.mac)
  expect(d.m.client_id):eq("\1" .. l.hs[1].eth0.mac:gsub("%x%x:?", function(x) return string.char(tonumber(x:sub(1, 2), 16)) end))
  expect(d.m.prl):contains(6)
  local o = of_type(log, "OFFER")[1]
  expect(o.src):eq("10.0.1.1")
  expect(o.dst):eq("255.255.255.255")
  expect(o.m.xid):eq(d.m.xid)
  expect(o.m.server_id):eq("10.0.1.1")
  local q = of_type(log, "REQUEST")[1]
  expect(q.src):eq("0.0.0.0")
  expect(q.m.requested):eq(o.m.yiaddr)
  expect(q.m.server_id):eq("10.0.1.1")
  expect(q.m.ciaddr):eq("0.0.0.0")
  expect(q.m.xid):eq(d.m.xid)
  expect(of_type(log, "ACK")[1].dst):eq("255.255.255.255")
end)

test("renewal at T1: a unicast REQUEST from the client's address; the lease is extended", function(net)
  local l = lan(net, 1, {lease = "2m"})
  local path = tmpfile("renew")
  local cap = net:capture{iface = l.r.eth0, file = path}
  local log = dhcp_log(net, l.r)
  local r
  l.hs[1]:spawn(function() r = l.hs[1]:dhcp{quiet = true} end)
  net:run("10s")
  local bound_at = r.obtained
  expect(r.t1):eq(60)
  net:run("100s")                               -- past T1 (60 s), before T2 (105 s)
  local reqs = of_type(log, "REQUEST", "in")
  expect(#reqs):eq(2)
  local renew = reqs[2]
  expect(renew.src):eq(r.addr)
  expect(renew.dst):eq("10.0.1.1")               -- unicast to the server (RENEWING)
  expect(renew.m.ciaddr):eq(r.addr)
  expect(renew.m.requested):is_nil()
  expect(renew.m.server_id):is_nil()
  expect(renew.m.broadcast):eq(false)
  -- Sent at T1 after the ACK: it arrives 2 ms later (1 ms to the switch,
  -- 1 ms on), after an ARP exchange for the server (4 ms).
  expect(renew.t - bound_at):within(60 * SEC + 6000000, 60 * SEC + 7000000)
  local ack = of_type(log, "ACK", "out")[2]
  expect(ack.dst):eq(r.addr)                     -- to ciaddr
  expect(ack.m.ciaddr):eq(r.addr)
  expect(r.renewals):eq(1)
  expect(r.state):eq("BOUND")
  expect(r.expires):gt(bound_at + 120 * SEC)
  expect(l.srv:leases()[1].expires):gt(bound_at + 120 * SEC)
  cap:close()
  if ts.have() then
    local flagged, types = tshark_dhcp(path)
    expect(flagged):eq("")
    local _, n = types:gsub("3", "")
    expect(n):eq(2)
  end
  os.remove(path)
end)

-- A hand-made client message from h (no address), bound to its interface.
local function raw_client(h)
  local u = h:udp{broadcast = true, bindtodevice = h.eth0}
  assert(u:bind(68))
  return u
end

test("NAK: a wrong network, somebody else's address, an address not offered", function(net)
  local l = lan(net, 3)
  local log = dhcp_log(net, l.r)
  local first
  l.hs[1]:spawn(function() first = l.hs[1]:dhcp{quiet = true} end)
  net:run("5s")
  local naks = run_task(net, l.hs[2], function()
    local u = raw_client(l.hs[2])
    local mac = l.hs[2].eth0.mac
    local out = {}
    local function ask(t)
      t.type, t.chaddr = "REQUEST", mac
      if t.broadcast == nil then t.broadcast = true end
      u:sendto(lunet.dhcp.encode(t), "255.255.255.255", 67)
      local data = u:receivefrom{timeout = "1s"}
      local m = data and lunet.dhcp.decode(data)
      out[#out + 1] = m and m.type .. ":" .. (m.message or "") or "none"
    end
    ask{xid = 1, requested = "10.9.9.9"}                          -- INIT-REBOOT, wrong network
    ask{xid = 2, requested = first.addr}                          -- INIT-REBOOT, h1's address
    ask{xid = 3, requested = "10.0.1.150", server_id = "10.0.1.1"} -- SELECTING, never offered
    ask{xid = 4, requested = "10.0.1.150", server_id = "10.0.1.7"} -- another server's: ignored
    -- REBINDING with somebody else's address: the NAK is broadcast all the
    -- same (RFC 2131 4.1), not sent to ciaddr, and h2 hears it.
    ask{xid = 5, ciaddr = first.addr, broadcast = false}
    u:close()
    return out
  end)
  expect(naks):eq({"NAK:wrong network", "NAK:address not available", "NAK:requested address not offered", "none",
                   "NAK:lease unknown"})
  local nak = of_type(log, "NAK", "out")[1]
  expect(nak.dst):eq("255.255.255.255")         -- RFC 2131 4.1: NAKs are broadcast
  expect(nak.m.yiaddr):eq("0.0.0.0")
  expect(nak.m.lease):is_nil()
  expect(l.srv.stats.nak):eq(4)
  -- h1 keeps its address.
  expect(l.srv:leases()[1].addr):eq(first.addr)
end)

test("a lost OFFER: the client sends DISCOVER again after 4 s +- 1 s, then gets its address", function(net)
  local l = lan(net, 1)
  local log = dhcp_log(net, l.r)
  local ic = net:intercept{on = l.r, dir = "out", filter = "udp port 68", action = "drop", count = 1}
  local r, t0
  l.hs[1]:spawn(function() t0 = lunet.now() r = l.hs[1]:dhcp{quiet = true} end)
  net:run("20s")
  expect(ic.acted):eq(1)
  expect(r.state):eq("BOUND")
  local d = of_type(log, "DISCOVER", "in")
  expect(#d):eq(2)
  local gap = d[2].t - d[1].t
  expect(gap):within(3 * SEC, 5 * SEC)
  expect(gap):ne(4 * SEC)                          -- jittered, from the seeded stream
  expect(d[2].m.xid):eq(d[1].m.xid)                -- the same transaction
  expect(d[2].m.secs):eq(gap // SEC)               -- seconds since it began
  expect(#of_type(log, "OFFER", "out")):eq(2)
end)

test("retransmissions back off 4, 8, 16 s (+- 1 s) with no server", function(net)
  local l = lan(net, 1)
  l.srv:close()
  local sent = {}
  net:intercept{on = l.hs[1], dir = "out", filter = "udp dst port 67", action = "observe",
                fn = function(_, ctx) sent[#sent + 1] = ctx.t end}
  local r, err = run_task(net, l.hs[1], function() return l.hs[1]:dhcp{quiet = true, timeout = "40s"} end)
  expect(r):is_nil()
  expect(err):eq("timeout")
  expect(#sent):eq(4)                              -- at 0, ~4, ~12, ~28 s
  local base = {4, 8, 16}
  for i = 1, 3 do
    expect(sent[i + 1] - sent[i]):within((base[i] - 1) * SEC, (base[i] + 1) * SEC)
  end
  expect(l.hs[1]:addr()):is_nil()
end)

test("pool exhaustion: two addresses, three clients; the third gets none", function(net)
  local l = lan(net, 3, {pool = "10.0.1.100-10.0.1.101"})
  local res = {}
  for i, h in ipairs(l.hs) do
    h:spawn(function() res[i] = table.pack(h:dhcp{quiet = true, timeout = "20s"}) end)
  end
  net:run("30s")
  local got, none = 0, 0
  for i = 1, 3 do
    if res[i][1] then got = got + 1 else none = none + 1 expect(res[i][2]):eq("timeout") end
  end
  expect(got):eq(2)
  expect(none):eq(1)
  expect(#l.srv:leases()):eq(2)
  expect(l.srv.stats.exhausted):gt(0)
end)

test("expiry: a client that cannot renew gives up its address; the server frees it", function(net)
  local l = lan(net, 2, {pool = "10.0.1.100-10.0.1.100", lease = "1m"})
  local log = dhcp_log(net, l.r)
  local r1
  l.hs[1]:spawn(function() r1 = l.hs[1]:dhcp{quiet = true} end)
  net:run("1s")
  expect(r1.addr):eq("10.0.1.100")
  local bound = r1.obtained
  l.links[1]:down()                                  -- h1 can no longer reach the server
  -- h2 finds the pool empty until h1's lease ends, then gets the address.
  local r2
  l.hs[2]:spawn(function() r2 = l.hs[2]:dhcp{quiet = true, timeout = "3m"} end)
  net:run("30s")
  expect(l.srv:leases()[1].mac):eq(l.hs[1].eth0.mac)
  expect(r1.state):eq("RENEWING")
  net:run("40s")                                     -- past 60 s
  expect(r1.state):eq("EXPIRED")
  expect(l.hs[1]:addr()):is_nil()
  expect(l.hs[1]:lookup("192.0.2.1")):is_nil()       -- the default route went with it
  net:run("90s")
  expect(r2 and r2.addr):eq("10.0.1.100")
  expect(l.srv:leases()[1].mac):eq(l.hs[2].eth0.mac)
  -- The client tried: unicast REQUESTs while RENEWING, broadcast ones
  -- after T2, none of which arrived.
  expect(bound + 60 * SEC):le(net:now())
  local acks = {}
  for _, e in ipairs(of_type(log, "ACK", "out")) do acks[e.m.chaddr] = (acks[e.m.chaddr] or 0) + 1 end
  expect(acks[l.hs[1].eth0.mac]):eq(1)              -- h1's first, and no renewal
  expect(#of_type(log, "REQUEST", "in")):eq(1 + acks[l.hs[2].eth0.mac])
end)

test("RELEASE frees the lease and the address; DECLINE takes an address out of the pool", function(net)
  local l = lan(net, 2, {pool = "10.0.1.100-10.0.1.101"})
  local r1
  l.hs[1]:spawn(function() r1 = l.hs[1]:dhcp{quiet = true} end)
  net:run("2s")
  local addr = r1.addr
  expect(#l.srv:leases()):eq(1)
  expect(r1:release()):eq(true)
  net:run("1s")
  expect(r1.state):eq("RELEASED")
  expect(l.hs[1]:addr()):is_nil()
  expect(#l.srv:leases()):eq(0)
  expect(l.srv.stats.release):eq(1)
  expect(r1:release()):eq(false)
  -- h2 declines the address it is given (as after an ARP check): it stays
  -- out of the pool, and h2 gets the other one next time.
  run_task(net, l.hs[2], function()
    local u = raw_client(l.hs[2])
    local mac = l.hs[2].eth0.mac
    u:sendto(lunet.dhcp.encode{type = "DISCOVER", xid = 7, chaddr = mac, broadcast = true}, "255.255.255.255", 67)
    local o = lunet.dhcp.decode((u:receivefrom{timeout = "1s"}))
    u:sendto(lunet.dhcp.encode{type = "DECLINE", xid = 8, chaddr = mac, requested = o.yiaddr,
                               server_id = o.server_id}, "255.255.255.255", 67)
    lunet.sleep("100ms")
    u:close()
    local leases = l.srv:leases()
    expect(#leases):eq(1)
    expect(leases[1].addr):eq(o.yiaddr)
    expect(leases[1].state):eq("declined")
    local r2 = l.hs[2]:dhcp{quiet = true}
    expect(r2.addr):ne(o.yiaddr)
  end)
  expect(l.srv.stats.decline):eq(1)
  expect(addr):matches("^10%.0%.1%.10[01]$")
end)

test("a client without the BROADCAST flag gets its OFFER unicast to yiaddr at its MAC address", function(net)
  local l = lan(net, 1)
  local log = dhcp_log(net, l.r)
  run_task(net, l.hs[1], function()
    local u = raw_client(l.hs[1])
    u:sendto(lunet.dhcp.encode{type = "DISCOVER", xid = 9, chaddr = l.hs[1].eth0.mac}, "255.255.255.255", 67)
    lunet.sleep("1s")
    u:close()
  end)
  local o = of_type(log, "OFFER", "out")[1]
  expect(o.dst):eq(o.m.yiaddr)
  expect(o.eth_dst):eq(l.hs[1].eth0.mac)
  local arp = l.r:arp()
  expect(#arp):eq(1)
  expect(arp[1].ip):eq(o.m.yiaddr)
  expect(arp[1].state):eq("REACHABLE")               -- learnt, not static: it ages
end)

test("static leases, a probe that finds an address in use, INFORM", function(net)
  local l = lan(net, 2, {pool = "10.0.1.100-10.0.1.101", probe = "500ms",
                         static = {[string.upper("02:00:00:00:00:02")] = "10.0.1.50"}})
  expect(l.hs[1].eth0.mac):eq("02:00:00:00:00:02")
  local squat = net:host("squat")
  net:link(squat, l.sw, {delay = "1ms"})
  squat:addr("10.0.1.100/24")
  local r1, r2
  l.hs[1]:spawn(function() r1 = l.hs[1]:dhcp{quiet = true} end)
  l.hs[2]:spawn(function() r2 = l.hs[2]:dhcp{quiet = true, requested = "10.0.1.100"} end)
  net:run("10s")
  expect(r1.addr):eq("10.0.1.50")                    -- its static address
  expect(r2.addr):eq("10.0.1.101")                   -- it asked for .100, which answered the probe
  local states = {}
  for _, x in ipairs(l.srv:leases()) do states[x.addr] = x.state end
  expect(states["10.0.1.100"]):eq("answers ping")
  -- INFORM: configuration for a host that has its address.
  local ack = run_task(net, squat, function()
    local u = squat:udp()
    u:bind(68)
    u:sendto(lunet.dhcp.encode{type = "INFORM", xid = 5, chaddr = squat.eth0.mac, ciaddr = "10.0.1.100"},
             "10.0.1.1", 67)
    local d = u:receivefrom{timeout = "1s"}
    u:close()
    return lunet.dhcp.decode(d)
  end)
  expect(ack.type):eq("ACK")
  expect(ack.yiaddr):eq("0.0.0.0")
  expect(ack.lease):is_nil()
  expect(ack.dns):eq({"10.0.1.53", "10.0.1.54"})
end)

test("malformed messages are dropped and counted with their reason", function(net)
  local l = lan(net, 1)
  run_task(net, l.hs[1], function()
    local u = raw_client(l.hs[1])
    u:sendto(string.rep("\0", 100), "255.255.255.255", 67)
    local m = lunet.dhcp.encode{type = "DISCOVER", xid = 1, chaddr = l.hs[1].eth0.mac}
    u:sendto(m:sub(1, 240) .. "\6\9\10\0\0\1", "255.255.255.255", 67)
    lunet.sleep("100ms")
    u:close()
  end)
  expect(l.srv.stats.malformed):eq(2)
  expect(l.srv.errors["shorter than the BOOTP header and magic cookie (240 bytes)"]):eq(1)
  expect(l.srv.errors["option runs past the end of its field (option 6)"]):eq(1)
  expect(l.srv.stats.offer):eq(0)
end)

test("UDP: a socket bound to an interface without an address sends from 0.0.0.0, checksum valid", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  b:addr("10.0.0.2/24")
  local c = a:add_iface("eth1")
  local x = net:host("x")
  net:link(c, x, {delay = "1ms"})
  a:addr("eth1", "10.9.0.1/24")                       -- a has an address, but not on eth0
  x:addr("10.9.0.2/24")
  local got = {}
  for _, h in ipairs({b, x}) do
    local u = h:udp()
    u:bind(68)
    h:spawn(function()
      local d, ip = u:receivefrom()
      got[h.name] = {d, ip}
    end)
  end
  run_task(net, a, function()
    local u = a:udp{broadcast = true, bindtodevice = "eth0"}
    expect(u:getoption("bindtodevice")):eq("eth0")
    expect(u:bind(68)):eq(true)
    expect(u:sendto("hello", "255.255.255.255", 68)):eq(5)
    lunet.sleep("10ms")
    -- Another interface's socket on the same port: no clash when both are
    -- bound to devices, a clash otherwise.
    local v = a:udp{bindtodevice = "eth1"}
    expect(v:bind(68)):eq(true)
    local w2 = a:udp()
    expect(select(2, w2:bind(68))):eq("in use")
    u:close() v:close() w2:close()
  end)
  -- b got it from 0.0.0.0 (so its checksum, over a zero source, was good:
  -- UDP input verifies it); x, on the other interface, got nothing.
  expect(got.b):eq({"hello", "0.0.0.0"})
  expect(got.x):is_nil()
  expect(b:netstat().UdpInCsumErrors or 0):eq(0)
end)

test("UDP: a device-bound socket hears only its interface", function(net)
  local r = net:router("r")
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, r, {delay = "1ms"})
  net:link(h2, r, {delay = "1ms"})
  r:addr("eth0", "10.0.1.1/24")
  r:addr("eth1", "10.0.2.1/24")
  h1:addr("10.0.1.2/24")
  h2:addr("10.0.2.2/24")
  local heard = {}
  local u = r:udp{bindtodevice = r.eth1}
  u:bind(5000)
  r:spawn(function()
    while true do
      local d = u:receivefrom()
      if not d then return end
      heard[#heard + 1] = d
    end
  end)
  run_task(net, h1, function()
    h1:udp():sendto("from-h1", "10.0.1.1", 5000)      -- arrives on eth0: refused
    h2:spawn(function() h2:udp():sendto("from-h2", "10.0.2.1", 5000) end)
    lunet.sleep("20ms")
  end)
  expect(heard):eq({"from-h2"})
  expect(r:netstat().UdpNoPorts):eq(1)
  u:close()
end)

test("the same seed gives the same exchange, byte for byte", function()
  local function once()
    local net = lunet.net{seed = 7}
    local l = lan(net, 3, {lease = "2m"})
    local path = tmpfile("det")
    local cap = net:capture{iface = l.r.eth0, file = path}
    for _, h in ipairs(l.hs) do h:spawn(function() h:dhcp{quiet = true} end) end
    net:run("3m")
    cap:close()
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    os.remove(path)
    net:close()
    return s
  end
  local a, b = once(), once()
  expect(#a):gt(2000)
  expect(a == b):eq(true)
end)

test("misuse raises, naming the function, the script line and what is allowed", function(net)
  local l = lan(net, 1)
  local h = l.hs[1]
  expect(function() l.r:dhcp_server{pool = "10.0.1.5"} end)
    :raises('node:dhcp_server: option pool: "10.0.1.5" is not a range like "10.0.1.100%-10.0.1.199"')
  expect(function() l.r:dhcp_server{pool = "10.0.2.1-10.0.2.9"} end)
    :raises("scenarios/dhcp.lua:%d+: node:dhcp_server: no interface of r1 is on the pool's network")
  expect(function() l.r:dhcp_server{pool = "10.0.1.9-10.0.1.2"} end):raises("10.0.1.9 comes after 10.0.1.2")
  expect(function()
    l.r:dhcp_server{pool = "10.0.1.2-10.0.1.9", static = {["02:00:00:00:00:0a"] = "10.0.1.50",
                                                           ["02:00:00:00:00:0b"] = "10.0.1.50"}}
  end):raises("02:00:00:00:00:0a and 02:00:00:00:00:0b both given 10.0.1.50")
  expect(function() l.r:dhcp_server{pool = "10.0.1.2-10.0.1.9", lease = "1x"} end):raises("option lease")
  expect(function() l.r:dhcp_server{pool = "10.0.1.2-10.0.1.9", colour = 1} end)
    :raises('option "colour" unknown %(known: .*pool')
  expect(function() l.r:dhcp_server{pool = "10.0.1.2-10.0.1.9"} end)
    :raises("port 67 on .*: in use")
  expect(function() h:dhcp{} end):raises("scenarios/dhcp.lua:%d+: node:dhcp: not inside a task")
  expect(function() h:dhcp("eth7", {}) end):raises("h1 has no interface \"eth7\"")
  expect(function() lunet.dhcp.encode{type = "HELLO"} end):raises("type: HELLO unknown")
  expect(function() lunet.dhcp.encode{yiaddr = "10.0.0.300"} end):raises("lunet.dhcp.encode: yiaddr")
  local m, why = lunet.dhcp.decode("short")
  expect(m):is_nil()
  expect(why):matches("shorter than")
end)
