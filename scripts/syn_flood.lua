-- syn_flood.lua - a SYN flood from spoofed addresses fills a server's
-- half-open queue, and SYN cookies let real clients in all the same.
--
--   client   10.0.0.1 --+
--   attacker 10.0.0.66 -+- switch -- server 10.0.0.2 (listener :80, backlog 8)
--   (links 1 Gbit/s, 0.5 ms)
--
-- The attacker sends 1,000 SYNs a second for 4 s, each from a random
-- address of 10.99.0.0/16 with a random port and ISN: raw frames built
-- byte by byte here (Ethernet + IPv4 + TCP, checksums in Lua, as in
-- tests/scenarios/tcp_synflood.lua) and sent with h:send_frame.  The
-- server's route to 10.99.0.0/16 leads to a box that forwards nothing, so
-- its SYN,ACKs go nowhere and no ACK or RST ever comes back: every SYN
-- leaves a half-open connection (SYN_RCVD) until the server gives up on
-- it, seconds later.  At 1 s a real client connects, patient for 2 s.
-- The experiment runs twice: tcp_syncookies = 0, then 1 (Linux's default).
--
-- Run:   lunet run scripts/syn_flood.lua
-- Then open the pcap files it names in Wireshark.

local RATE, FLOOD = 1000, 4              -- SYNs per second, seconds
local GAP = string.format("%dus", 1000000 // RATE)
local BACKLOG = 8
local CLIENT_AT, PATIENCE = 1, 2         -- seconds
local ROWS = {0.004, 0.010, 0.5, 1.5, 2.5, 3.5}   -- when the table looks (seconds)
local S, MS = lunet.time("1s"), lunet.time("1ms")

------------------------------------------------------------------------
-- raw SYNs
------------------------------------------------------------------------

-- built byte by byte by lunet.attacks, sent with h:send_frame
local attacks = require "lunet.attacks"
local mac_bytes, ip_num, raw_syn = attacks.mac_bytes, attacks.ip_num, attacks.tcp_syn

------------------------------------------------------------------------
-- one experiment
------------------------------------------------------------------------

local function experiment(syncookies)
  local net = lunet.net{name = "syn_flood"}
  local sw = net:switch("sw")
  local client, attacker, server = net:host("client"), net:host("attacker"), net:host("server")
  for _, hp in ipairs({{client, "10.0.0.1/24"}, {attacker, "10.0.0.66/24"}, {server, "10.0.0.2/24"}}) do
    net:link(hp[1], sw, {bandwidth = "1Gbps", delay = "0.5ms", ip = {hp[2], nil}})
  end
  -- the spoofed addresses are "somewhere behind 10.0.0.66", which drops all
  server:route("10.99.0.0/16", "10.0.0.66")
  server:arp_set("10.0.0.66", attacker.eth0.mac, "eth0")    -- static ARP: no ARP
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")       -- in the way
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:sysctl("net.ipv4.tcp_syncookies", syncookies)
  local srv = server:echo_server(80, {backlog = BACKLOG})
  local cap = net:capture{iface = server.eth0, file = "syn_flood-cookies" .. syncookies .. ".pcap"}

  local r = {syncookies = syncookies, rows = {}, syns_in = 0, half_open = 0, half_open_max = 0,
             client_syns = {}, client_syn_drops = {}, synacks_lost = 0}
  -- Half-open connections are requests, not sockets (h:sockets() does not
  -- list them): count them from the server's state changes.  A request
  -- is born LISTEN -> SYN_RCVD and ends SYN_RCVD -> anything; a
  -- connection made from a cookie starts at SYN_RCVD without a request.
  local requests = {}
  net:on("tcp", function(ev)
    if ev.node ~= "server" then return end
    if ev.from == "LISTEN" and ev.to == "SYN_RCVD" then
      requests[ev.flow], r.half_open = true, r.half_open + 1
    elseif ev.from == "SYN_RCVD" and requests[ev.flow] then
      requests[ev.flow], r.half_open = nil, r.half_open - 1
    end
    r.half_open_max = math.max(r.half_open_max, r.half_open)
  end)
  net:on("rx", function(ev)
    if ev.node == "server" and ev.proto == "tcp" and ev.flags == "S" then r.syns_in = r.syns_in + 1 end
  end)
  net:on("tx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" and ev.flags == "S" then
      r.client_syns[#r.client_syns + 1] = ev.time
    end
  end)
  net:on("drop", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "server" and ev.src == "10.0.0.1" and ev.flags == "S" then
      r.client_syn_drops[#r.client_syn_drops + 1] = ev.reason
    elseif ev.node == "attacker" and ev.flags == "S." then
      r.synacks_lost = r.synacks_lost + 1
    end
  end)

  -- the attacker
  r.flood_sent = 0
  attacker:spawn(function()
    local smac, dmac = mac_bytes(attacker.eth0.mac), mac_bytes(server.eth0.mac)
    local dst, base = ip_num("10.0.0.2"), ip_num("10.99.0.0")
    local rng = 0x2545F491                            -- xorshift32, fixed seed
    local function rand()
      rng = rng ~ ((rng << 13) & 0xffffffff)
      rng = rng ~ (rng >> 17)
      rng = rng ~ ((rng << 5) & 0xffffffff)
      return rng
    end
    for _ = 1, RATE * FLOOD do
      local x = rand()
      local host = 1 + (x & 0xffff) % 65534            -- 10.99.0.1 .. 10.99.255.254
      local sport = 1024 + (x >> 16) % 64000
      attacker:send_frame(attacker.eth0, raw_syn(smac, dmac, base + host, dst, sport, 80, rand(), x & 0xffff))
      r.flood_sent = r.flood_sent + 1
      lunet.sleep(GAP)
    end
  end)

  -- the real client
  client:spawn(function()
    lunet.sleep(CLIENT_AT)
    local s, err = client:connect(server:ip(), 80, {timeout = PATIENCE})
    r.client_done, r.client_err = lunet.now(), err
    if s then
      s:send("hello\n")
      r.echo = s:receive("*l", {timeout = "1s"})
      s:close()
    end
  end)

  for _, at in ipairs(ROWS) do
    net:run_until(at)
    local n = server:netstat()
    r.rows[#r.rows + 1] = {at = at, syns = r.syns_in, half_open = r.half_open,
                           qfull = n.TcpExtTCPReqQFullDrop, ldrops = n.TcpExtListenDrops,
                           sent = n.TcpExtSyncookiesSent, recv = n.TcpExtSyncookiesRecv}
  end
  net:run_until(FLOOD + 1)
  r.netstat = server:netstat()
  r.sockets = server:sockets("tcp")
  r.accepted = srv.connections
  cap:flush()
  r.pcap, r.frames = cap.path, cap:count()
  srv.close()
  return r
end

------------------------------------------------------------------------
-- both runs, and what they show
------------------------------------------------------------------------

local off, on = experiment(0), experiment(1)

print(string.format("SYN flood: %d SYNs/s for %d s from random (spoofed) 10.99.x.y to", RATE, FLOOD))
print(string.format("server:80 (listen backlog %d); their SYN,ACKs go nowhere. A real client", BACKLOG))
print(string.format("connects at %d s and waits up to %d s.", CLIENT_AT, PATIENCE))

local function tab(r)
  print()
  print(string.format("tcp_syncookies = %d%s", r.syncookies, r.syncookies == 0 and " (no SYN cookies)" or ""))
  print("     time  SYNs in  half-open  ReqQFullDrop  ListenDrops  CookiesSent  CookiesRecv")
  for _, w in ipairs(r.rows) do
    print(string.format("  %.3f s  %7d  %9d  %12d  %11d  %11d  %11d",
                        w.at, w.syns, w.half_open, w.qfull, w.ldrops, w.sent, w.recv))
  end
  local syns = {}
  for _, t in ipairs(r.client_syns) do syns[#syns + 1] = string.format("%.3f", t / S) end
  if r.client_err then
    print(string.format("  client: connect() at %d s -> %q at %.3f s", CLIENT_AT, r.client_err,
                        r.client_done / S))
    print(string.format("          its SYNs at %s s: %s dropped (%s)", table.concat(syns, " and "),
                        #syns == 2 and "both" or "all",
                        r.client_syn_drops[1]))
  else
    print(string.format("  client: connect() at %d s -> connected at %.3f s, echo %q", CLIENT_AT,
                        r.client_done / S, r.echo))
  end
end
tab(off)
tab(on)
print()
print("(ReqQFullDrop, ListenDrops, CookiesSent, CookiesRecv: the TcpExt counters")
print("TCPReqQFullDrop, ListenDrops, SyncookiesSent, SyncookiesRecv of `nstat`.)")
print()
print(string.format("The queue of half-open connections holds backlog + 1 = %d: Linux calls it", BACKLOG + 1))
print(string.format("full only when it holds more than the backlog. The first %d spoofed SYNs", BACKLOG + 1))
print("fill it in 10 ms. None of them will ever complete: the server resends")
print("their SYN,ACKs for seconds before it gives up on them.")
print("Without cookies every later SYN is dropped, the client's too: its SYN and")
print("its retransmission a second later both find the queue full, and it gives up.")
print("With cookies the server answers a SYN that finds the queue full anyway,")
print("but keeps nothing: its ISN (the cookie) encodes the connection, so only")
print("a real ACK (CookiesRecv) creates a socket. The flood costs the server")
print(string.format("%d SYN,ACKs (all lost at 10.0.0.66) but no memory beyond the %d queued", on.synacks_lost, BACKLOG + 1))
print(string.format("requests, and the client is in after one round trip (%.1f ms).",
                    (on.client_done - CLIENT_AT * S) / MS))
print()
for _, r in ipairs({off, on}) do
  print(string.format("pcap: %s — the server's interface (%d frames)", r.pcap, r.frames))
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

local FULL = BACKLOG + 1
for _, r in ipairs({off, on}) do
  local what = "syncookies=" .. r.syncookies
  expect(r.flood_sent, what .. ": SYNs sent"):eq(RATE * FLOOD)
  expect(r.half_open_max, what .. ": the queue holds backlog + 1"):eq(FULL)
  for _, w in ipairs(r.rows) do
    local at = what .. " at " .. w.at .. " s: "
    expect(w.half_open, at .. "half-open"):eq(math.min(w.syns, FULL))
    -- SYNs so far: one per ms of the flood, each 1 ms on the way (two
    -- links of 0.5 ms), plus the client's that have arrived
    local legit = 0
    for _, t in ipairs(r.client_syns) do
      if t + 2 * MS <= w.at * S then legit = legit + 1 end
    end
    expect(w.syns, at .. "SYNs in"):eq(math.floor(w.at * RATE) - 1 + legit)
    if r.syncookies == 0 then
      expect(w.qfull, at .. "every SYN beyond the queue is dropped"):eq(math.max(0, w.syns - FULL))
      expect(w.ldrops, at .. "ListenDrops = ReqQFullDrop"):eq(w.qfull)
      expect(w.sent, at .. "no cookies"):eq(0)
    else
      expect(w.sent, at .. "a cookie for every SYN beyond the queue"):eq(math.max(0, w.syns - FULL))
      expect(w.qfull, at .. "nothing dropped"):eq(0)
      expect(w.ldrops, at .. "nothing dropped"):eq(0)
      expect(w.recv, at .. "the client's ACK"):eq(w.at > CLIENT_AT and 1 or 0)
    end
  end
end

-- without cookies: the client cannot get in
expect(off.client_err, "no cookies: connect"):eq("timeout")
expect(off.client_done, "gives up after its patience"):eq((CLIENT_AT + PATIENCE) * S)
expect(#off.client_syns, "the client's SYN and one retransmission"):eq(2)
expect(off.client_syns[1]):eq(CLIENT_AT * S)
expect(off.client_syns[2] - off.client_syns[1], "retransmitted after 1 s"):eq(S)
expect(off.client_syn_drops, "both dropped at the server"):eq({"backlog full", "backlog full"})
expect(off.accepted, "no cookies: connections accepted"):eq(0)
expect(off.netstat.TcpPassiveOpens):eq(0)
expect(off.netstat.TcpExtTCPReqQFullDoCookies):eq(0)

-- with cookies: the client is in at once, during the flood
expect(on.client_err, "cookies: connect"):is_nil()
expect(#on.client_syns, "one SYN, no retransmission"):eq(1)
expect(on.client_done - CLIENT_AT * S, "connected after one round trip (4 x 0.5 ms)"):within(2 * MS, 2 * MS + lunet.time("10us"))
expect(on.client_done, "during the flood"):lt(FLOOD * S)
expect(on.echo):eq("hello")
expect(on.accepted, "cookies: connections accepted"):eq(1)
expect(on.netstat.TcpPassiveOpens, "the cookie connection"):eq(1)
expect(on.netstat.TcpExtSyncookiesRecv):eq(1)
expect(on.netstat.TcpExtSyncookiesFailed):eq(0)
expect(on.netstat.TcpExtTCPReqQFullDoCookies, "cookie decisions"):eq(on.netstat.TcpExtSyncookiesSent)
-- every SYN of the flood got an answer: FULL from the queue (plus their
-- retransmissions), the rest cookies; all died at 10.0.0.66
expect(on.netstat.TcpExtSyncookiesSent, "cookies: the flood minus the queue, plus the client"):eq(RATE * FLOOD - FULL + 1)
-- the queued requests' SYN,ACKs went out 3 times each by now (0, +1 s, +3 s)
expect(on.netstat.TcpExtTCPSynRetrans, "SYN,ACK retransmissions"):eq(2 * FULL)
expect(on.synacks_lost, "SYN,ACKs that went nowhere"):eq(RATE * FLOOD - FULL + FULL * 3)
-- the sockets: only the listener is left (the client's connection is closed)
for _, r in ipairs({off, on}) do
  local states = {}
  for _, s in ipairs(r.sockets) do states[#states + 1] = s.state end
  expect(states[1], "syncookies=" .. r.syncookies .. ": the listener"):eq("LISTEN")
  expect(r.sockets[1].send_q, "its backlog, as ss shows it"):eq(BACKLOG)
end
