-- tcp_synflood.lua - a listener under a SYN flood (reference section 9).
--
--   client 10.0.0.1 --+
--   attacker 10.0.0.66 -- switch -- server 10.0.0.2 (listener :80, backlog 16)
--   (all links 1 Gbit/s, 0.5 ms)
--
-- The attacker sends 10,000 SYNs a second for 3 s from random addresses of
-- 10.99.0.0/16 (random ports and ISNs, an MSS option only, like the
-- reference's raw SYNs), made by lunet.attacks.syn_flood, as
-- scripts/syn_flood.lua makes its flood.  The server
-- routes 10.99.0.0/16 to the attacker, a host that does not forward: the
-- SYN-ACKs go nowhere.
--
-- With SYN cookies (tcp_syncookies=1, the default) the listener answers
-- every SYN once the request queue is full (more than backlog requests)
-- with a cookie and legitimate clients connect at once.  Without cookies
-- the queue keeps the first 17 spoofed requests, every other SYN is
-- dropped (TcpExtTCPReqQFullDrop, TcpExtListenDrops), and a legitimate
-- client cannot connect until those requests are pruned, about 7 s after
-- they came (3 SYN-ACKs: at 0, 1 and 3 s, dropped at the next timeout).
local run_task = require("lunet.test").run_task

local MS, S = lunet.time("1ms"), lunet.time("1s")
local RATE = 10000                 -- SYNs per second
local FLOOD = 3                    -- seconds
local BACKLOG = 16

------------------------------------------------------------------------
-- raw frames
------------------------------------------------------------------------

local attacks = require "lunet.attacks"

------------------------------------------------------------------------
-- the lab
------------------------------------------------------------------------

local function lab(net, syncookies)
  local sw = net:switch("sw")
  local client, attacker, server = net:host("client"), net:host("attacker"), net:host("server")
  local o = {bandwidth = "1Gbps", delay = "0.5ms"}
  local function link(h, ip)
    local t = {ip = {ip, nil}}
    for k, v in pairs(o) do t[k] = v end
    net:link(h, sw, t)
  end
  link(client, "10.0.0.1/24")
  link(attacker, "10.0.0.66/24")
  link(server, "10.0.0.2/24")
  server:route("10.99.0.0/16", "10.0.0.66")
  -- static ARP: no ARP traffic mixes with the flood
  server:arp_set("10.0.0.66", attacker.eth0.mac, "eth0")
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  if syncookies then server:sysctl("net.ipv4.tcp_syncookies", syncookies) end
  -- the reference's listener: backlog 16, accepts and serves what completes
  local srv = server:echo_server(80, {backlog = BACKLOG})
  local t = {client = client, attacker = attacker, server = server, srv = srv}
  -- what the server receives and sends
  t.syn_rx, t.legit_syn_rx = 0, 0
  t.synacks = {}                 -- destination "ip:port" -> list of events
  t.synack_list = {}
  net:on("rx", function(ev)
    if ev.node == "server" and ev.proto == "tcp" and ev.flags == "S" then
      t.syn_rx = t.syn_rx + 1
      if ev.src == "10.0.0.1" then t.legit_syn_rx = t.legit_syn_rx + 1 end
    end
  end)
  net:on("tx", function(ev)
    if ev.node == "server" and ev.proto == "tcp" and ev.flags == "S." then
      local k = ev.dst .. ":" .. ev.dport
      t.synacks[k] = t.synacks[k] or {}
      table.insert(t.synacks[k], ev)
      t.synack_list[#t.synack_list + 1] = ev
    end
  end)
  return t
end

-- The attacker's task: RATE SYNs a second for FLOOD seconds, starting now,
-- from random addresses of 10.99.0.0/16 (lunet.attacks, as scripts/syn_flood.lua).
local function flood(t)
  t.flood_sent = 0
  return t.attacker:spawn(function()
    local r = attacks.syn_flood{from = t.attacker, to = "10.0.0.2", port = 80, rate = RATE,
                                duration = FLOOD .. "s", spoof = "10.99.0.0/16"}
    t.flood_sent = r.sent
  end)
end

-- A legitimate client connecting at `at` (seconds): connect, one echo.
local function legit(t, at, opts)
  local r = {}
  t.client:spawn(function()
    lunet.sleep(at)
    local t0 = lunet.now()
    local s, err = t.client:connect("10.0.0.2", 80, opts)
    r.connect_time = lunet.now() - t0
    r.done_at = lunet.now()
    r.err = err
    if s then
      s:send("ping")
      r.echo = s:receive(4, {timeout = "1s"})
      s:close()
    end
    r.finished = true
  end)
  return r
end

local function distinct_spoofed(t)
  local n, multi, single = 0, 0, 0
  for k, list in pairs(t.synacks) do
    if k:match("^10%.99%.") then
      n = n + 1
      if #list > 1 then multi = multi + 1 else single = single + 1 end
    end
  end
  return n, multi, single
end

------------------------------------------------------------------------
-- tests
------------------------------------------------------------------------

test("SYN cookies on (default): legitimate clients connect at once during the flood", function(net)
  local t = lab(net)
  expect(t.server:sysctl("net.ipv4.tcp_syncookies"), "default tcp_syncookies"):eq(1)
  flood(t)
  local clients = {}
  for i = 1, 5 do clients[i] = legit(t, i * 0.5) end   -- 0.5 .. 2.5 s, all inside the flood
  net:run(string.format("%ds", FLOOD + 2))
  expect(t.flood_sent, "spoofed SYNs sent"):eq(RATE * FLOOD)
  for i, c in ipairs(clients) do
    expect(c.finished, "client " .. i .. " finished"):truthy()
    expect(c.err, "client " .. i .. " connect"):is_nil()
    expect(c.connect_time, "client " .. i .. " connect time (no SYN retransmission)"):lt(50 * MS)
    expect(c.done_at, "client " .. i .. " done during the flood"):lt(FLOOD * S)
    expect(c.echo, "client " .. i .. " echo"):eq("ping")
  end
  local n = t.server:netstat()
  local queued = BACKLOG + 1             -- the queue counts as full when qlen > backlog
  print(string.format("    %d SYNs in, cookies sent %d, recv %d; ReqQFullDoCookies %d, ReqQFullDrop %d, ListenDrops %d",
                      t.syn_rx, n.TcpExtSyncookiesSent, n.TcpExtSyncookiesRecv, n.TcpExtTCPReqQFullDoCookies,
                      n.TcpExtTCPReqQFullDrop, n.TcpExtListenDrops))
  expect(t.syn_rx, "SYNs that reached the server"):eq(RATE * FLOOD + t.legit_syn_rx)
  expect(t.legit_syn_rx, "legitimate SYNs (none retransmitted)"):eq(#clients)
  -- every SYN beyond the first 17 got a cookie, the legitimate ones too
  expect(n.TcpExtSyncookiesSent, "SyncookiesSent"):eq(t.syn_rx - queued)
  expect(n.TcpExtTCPReqQFullDoCookies, "TCPReqQFullDoCookies"):eq(n.TcpExtSyncookiesSent)
  expect(n.TcpExtSyncookiesRecv, "SyncookiesRecv (the clients' ACKs)"):eq(#clients)
  expect(n.TcpExtSyncookiesFailed):eq(0)
  expect(n.TcpExtTCPReqQFullDrop):eq(0)
  expect(n.TcpExtListenDrops):eq(0)
  expect(n.TcpExtListenOverflows):eq(0)
  expect(n.TcpPassiveOpens, "connections from cookies are passive opens"):eq(#clients)
  expect(t.srv.connections, "connections the server accepted"):eq(#clients)
  -- cookie SYN-ACKs are never retransmitted; only the 17 queued requests are
  local spoofed, multi, single = distinct_spoofed(t)
  expect(multi, "spoofed sources whose SYN-ACK was retransmitted (the queued requests)"):eq(queued)
  expect(single, "spoofed sources answered once (cookies)"):eq(spoofed - queued)
  -- a cookie SYN-ACK looks like a normal one: for the flood's MSS-only
  -- SYNs, MSS only and window 64240, IP ID 0; for a full SYN, all options
  local flood_sa, legit_sa
  for _, ev in ipairs(t.synack_list) do
    if ev.dst == "10.0.0.1" then legit_sa = legit_sa or ev
    elseif ev.time > 1 * S then flood_sa = flood_sa or ev end
  end
  expect(flood_sa.win):eq(64240)
  expect(flood_sa.ipid):eq(0)
  expect(flood_sa.summary):matches("options %[mss 1460%]")
  expect(legit_sa.win, "cookie SYN-ACK to a full-option SYN"):eq(65160)
  expect(legit_sa.ipid):eq(0)
  expect(legit_sa.summary):matches("options %[mss 1460,sackOK,TS val %d+ ecr %d+,nop,wscale 10%]")
end)

test("SYN cookies off: the queue fills, a legitimate connect does not succeed during the flood", function(net)
  local t = lab(net, 0)
  flood(t)
  -- one client gives up when the flood ends; another tries with the
  -- default retries and gets through only once the spoofed requests are pruned
  local c1 = legit(t, 0.5, {timeout = string.format("%gs", FLOOD - 0.5)})
  local c2 = legit(t, 1.0)
  net:run("30s")
  expect(c1.err, "connect during the flood"):eq("timeout")
  expect(c2.err, "connect with the default retries (" .. tostring(c2.err) .. ")"):is_nil()
  expect(c2.done_at, "the second client got through after the flood"):gt(FLOOD * S)
  print(string.format("    the second client connected after %.2f s (at %.2f s)",
                      c2.connect_time / S, (c2.done_at) / S))
  local n = t.server:netstat()
  local queued = BACKLOG + 1
  local spoofed = distinct_spoofed(t)
  print(string.format("    %d SYNs in (%d legitimate), ReqQFullDrop %d, ListenDrops %d, SYN-ACK destinations %d",
                      t.syn_rx, t.legit_syn_rx, n.TcpExtTCPReqQFullDrop, n.TcpExtListenDrops, spoofed))
  expect(spoofed, "spoofed requests queued (backlog + 1): nobody else got a SYN-ACK"):eq(queued)
  -- every SYN that found the queue full was dropped, the legitimate ones too
  local dropped = t.syn_rx - queued - 1   -- minus the legitimate SYN that got in at last
  expect(n.TcpExtTCPReqQFullDrop, "TCPReqQFullDrop"):eq(dropped)
  expect(n.TcpExtListenDrops, "ListenDrops (counts the same drops)"):eq(dropped)
  expect(n.TcpExtSyncookiesSent):eq(0)
  expect(n.TcpExtTCPReqQFullDoCookies):eq(0)
  expect(n.TcpExtListenOverflows):eq(0)
  -- Pruning (Linux's reqsk_timer_handler): while the queue is more than
  -- half full (2 x qlen > max(8, backlog)) and its requests are old, the
  -- retry limit drops to 2, so a request dies at its third timeout (about
  -- 7 s) after 3 SYN-ACKs (0, +1 s, +3 s).  The flood is over by then, so
  -- pruning stops once qlen <= 8: 9 of the 17 die, 8 go on with the normal
  -- schedule (+7 s, +15 s).
  local pruned, kept = 0, 0
  for k, list in pairs(t.synacks) do
    if k:match("^10%.99%.") then
      if #list == 3 then pruned = pruned + 1
      else
        kept = kept + 1
        expect(#list, "SYN-ACKs to " .. k .. " (normal schedule until 30 s: 0, 1, 3, 7, 15 s)"):eq(5)
      end
    end
  end
  expect(pruned, "requests pruned after 3 SYN-ACKs"):eq(queued - 8)
  expect(kept, "requests left when the queue was half full"):eq(8)
end)

test("SYN cookies off: the listener recovers once the half-open requests are pruned", function(net)
  local t = lab(net, 0)
  flood(t)
  -- the first spoofed requests came at 0 s: pruned about 7 s later
  local c = legit(t, 9, {timeout = "500ms"})
  net:run("12s")
  expect(c.err, "connect at 9 s"):is_nil()
  expect(c.connect_time, "at once"):lt(50 * MS)
  expect(c.echo):eq("ping")
end)

test("tcp_syncookies=2: every SYN gets a cookie, no request is kept", function(net)
  local t = lab(net, 2)
  flood(t)
  local c = legit(t, 1.5)
  net:run(string.format("%ds", FLOOD + 2))
  expect(c.err):is_nil()
  expect(c.connect_time):lt(50 * MS)
  local n = t.server:netstat()
  expect(n.TcpExtSyncookiesSent, "a cookie for every SYN"):eq(t.syn_rx)
  expect(n.TcpExtTCPReqQFullDoCookies):eq(t.syn_rx)
  expect(n.TcpExtSyncookiesRecv):eq(1)
  expect(n.TcpExtTCPSynRetrans, "no SYN-ACK is ever retransmitted"):eq(0)
  local spoofed, multi = distinct_spoofed(t)
  expect(multi):eq(0)
end)
