-- attacks.lua - every attack of lunet.attacks does what it says, and the
-- target survives it (issue 9, "Attacks").

local attacks = require "lunet.attacks"
local run_task = require("lunet.test").run_task

-- attacker, client and server on one switch (or hub), 1 ms links
local function lan(net, o)
  o = o or {}
  local sw = o.hub and net:hub("hub1") or net:switch("sw1")
  local hosts = {}
  for i, name in ipairs{"attacker", "client", "server"} do
    local h = net:host(name)
    net:link(h, sw, {ip = {string.format("10.0.0.%d/24", i)}, delay = "1ms"})
    hosts[name] = h
  end
  return hosts.attacker, hosts.client, hosts.server
end

-- Does a connect from the client get through while the flood runs?
local function flood_then_connect(net, flood)
  local a, c, s = lan(net)
  -- SYN-ACKs to spoofed sources need a route to leave by (without one,
  -- Linux drops the request at once): a default route, as on the Internet
  s:route("0.0.0.0/0", "10.0.0.1")
  s:sysctl("net.ipv4.tcp_max_syn_backlog", 64)
  s:sysctl("net.core.somaxconn", 64)
  s:sysctl("net.ipv4.tcp_syncookies", flood.cookies and 1 or 0)
  local srv = s:listen(80, {backlog = 64})
  local r, conn, err
  a:spawn(function()
    r = attacks.syn_flood{from = a, to = s, port = 80, rate = "2000/s", duration = "3s", spoof = flood.spoof,
                          ignore_synacks = flood.ignore}
  end)
  c:spawn(function()
    lunet.sleep("500ms")
    conn, err = c:connect(s:ip(), 80, {timeout = "2s"})
  end)
  net:run("5s")
  srv:close()
  return r, conn, err, s
end

test("SYN flood, spoofed from a prefix: the queue fills and a real client times out", function(net)
  local r, conn, err, s = flood_then_connect(net, {spoof = "10.99.0.0/16"})
  expect(r.sent):eq(6000)
  expect(conn):eq(nil)
  expect(err):eq("timeout")
  expect(s:netstat().TcpExtListenDrops):gt(1000)
end)

test("SYN flood, spoofed, against SYN cookies: the client gets through", function(net)
  local r, conn, err, s = flood_then_connect(net, {spoof = "10.99.0.0/16", cookies = true})
  expect(r.sent):eq(6000)
  expect(err):eq(nil)
  expect(conn):truthy()
  expect(s:netstat().TcpExtSyncookiesSent):gt(1000)
end)

test("SYN flood from the attacker's own address: its own RSTs empty the queue", function(net)
  local r, conn, err = flood_then_connect(net, {})
  expect(r.synacks):gt(1000)
  expect(err):eq(nil)
  expect(conn):truthy()
end)

test("SYN flood, not spoofed, ignoring the SYN-ACKs: the queue fills again", function(net)
  local r, conn, err = flood_then_connect(net, {ignore = true})
  expect(r.synacks):gt(0)
  expect(conn):eq(nil)
  expect(err):eq("timeout")
end)

test("ACK, UDP and ICMP floods at a rate: counted at the target, which survives", function(net)
  local a, c, s = lan(net)
  local results = {}
  a:spawn(function()
    results.ack = attacks.flood{kind = "ack", from = a, to = s, port = 80, rate = 1000, count = 500, wait = "10ms"}
    results.udp = attacks.flood{kind = "udp", from = a, to = s, port = 9999, rate = "1k/s", count = 500, size = 100}
    results.icmp = attacks.flood{kind = "icmp", from = a, to = s, rate = "500/s", duration = "1s", spoof = "random"}
  end)
  net:run("5s")
  expect(results.ack.sent):eq(500)
  expect(results.ack.rsts, "a stray ACK draws a RST (RFC 9293 3.10.7.1)"):eq(500)
  expect(results.udp.sent):eq(500)
  expect(results.icmp.sent):eq(500)
  expect(results.ack.last - results.ack.first, "500 packets at 1000/s"):eq(499 * 1000000)
  local n = s:netstat()
  expect(n.UdpNoPorts):eq(500)
  expect(n.IcmpInEchos):eq(500)
  run_task(net, c, function() expect(c:ping(s:ip(), {count = 1, quiet = true}).received):eq(1) end)
end)

test("port scan, SYN and connect: open, closed and filtered as nmap says", function(net)
  local a, c, s = lan(net)
  s:listen(22)
  s:listen(80)
  s:firewall{filter = "tcp dst port 443", action = "drop"}
  s:firewall{filter = "tcp dst port 8080", action = "reject", with = "admin-prohibited"}
  local ports = {21, 22, 23, 80, 443, 8080}
  local syn, conn
  run_task(net, a, function()
    syn = attacks.port_scan{from = a, to = s, ports = ports, timeout = "200ms"}
    conn = attacks.port_scan{from = a, to = s, ports = ports, mode = "connect", timeout = "300ms"}
  end)
  for _, r in ipairs{syn, conn} do
    expect(r.open):eq{22, 80}
    expect(r.closed):eq{21, 23}
    expect(r.filtered):eq{443, 8080}
  end
  expect(syn.probes, "one retry for the silent port 443"):eq(7)
  -- a range: {first, last}
  local range
  run_task(net, a, function() range = attacks.port_scan{from = a, to = s, ports = {20, 30}, timeout = "100ms"} end)
  expect(#range.closed + #range.open):eq(11)
end)

-- A connection client -> server:80 with some data exchanged; returns the
-- client socket and the server's accepted one.
local function connection(net, c, s)
  local srv = s:listen(80)
  local cs, ss
  run_task(net, c, function()
    cs = assert(c:connect(s:ip(), 80))
    ss = srv:accept()
    cs:send("hello")
    ss:receive(5)
  end)
  return cs, ss
end

test("blind RST injection: in-window guesses draw challenge ACKs, the connection lives", function(net)
  local a, c, s = lan(net)
  local cs, ss = connection(net, c, s)
  local info = ss:info()
  -- a guess inside the server's window but not exactly rcv_nxt
  run_task(net, a, function()
    local cport = tonumber(cs:info()["local"]:match(":(%d+)$"))
    attacks.rst_blind{from = a, victim = s, vport = 80, peer = c, pport = cport,
                      start = (info.rcv_nxt + 100) & 0xffffffff, step = 1000, count = 5, rate = 100}
  end)
  expect(s:netstat().TcpExtTCPChallengeACK):ge(1)
  expect(ss:info().state):eq("ESTABLISHED")
  run_task(net, c, function()
    cs:send("still here")
    expect(ss:receive(10, {timeout = "1s"})):eq("still here")
  end)
end)

test("on-path RST injection: the exact sequence number resets the connection", function(net)
  local a, c, s = lan(net, {hub = true})       -- a hub: the attacker sees every frame
  local cs, ss = connection(net, c, s)
  local r
  a:spawn(function() r = attacks.rst_onpath{from = a, victim = s, peer = c, port = 80} end)
  run_task(net, c, function()
    lunet.sleep("10ms")
    cs:send("one more")                         -- the segment the attacker learns from
    lunet.sleep("100ms")
  end)
  expect(r and r.sent):eq(1)
  expect(ss:info().state, "reset by the forged RST"):eq("CLOSED")
end)

test("ARP spoofing: the victim's traffic for the server goes through the attacker", function(net)
  local a, c, s = lan(net)
  run_task(net, c, function() c:ping(s:ip(), {count = 1, quiet = true}) end)   -- c knows s's MAC
  local before
  for _, e in ipairs(c:arp()) do if e.ip == s:ip() then before = e.mac end end
  expect(before):eq(s.eth0.mac)
  local dir = os.tmpname()
  os.remove(dir)
  lunet.mkdir(dir)
  local cap = net:capture{iface = a.eth0, file = dir .. "/attacker.pcap", filter = "icmp"}
  a:forwarding(true)                            -- the man in the middle passes them on
  run_task(net, a, function()
    -- the first reply comes within locktime (1 s) of the entry's last
    -- update and is ignored, as Linux does; the second is taken
    attacks.arp_spoof{from = a, victim = c, impersonate = s, count = 2, interval = "1s"}
    lunet.sleep("10ms")                         -- the last reply arrives
  end)
  local after
  for _, e in ipairs(c:arp()) do if e.ip == s:ip() then after = e.mac end end
  expect(after):eq(a.eth0.mac)
  local res
  run_task(net, c, function() res = c:ping(s:ip(), {count = 3, interval = "10ms", quiet = true}) end)
  expect(res.received, "forwarded by the attacker"):eq(3)
  cap:close()
  -- the pcap at the attacker: each request arrives from c addressed to the
  -- attacker's MAC, and leaves again towards s's
  local into, onward = 0, 0
  for _, f in ipairs(require("lunet.util").pcap_frames(dir .. "/attacker.pcap")) do
    local d = lunet.dissect(f)
    if d.icmp and d.icmp.type == 8 and d.ip.dst == s:ip() then
      if d.eth.src == c.eth0.mac and d.eth.dst == a.eth0.mac then into = into + 1 end
      if d.eth.src == a.eth0.mac and d.eth.dst == s.eth0.mac then onward = onward + 1 end
    end
  end
  os.remove(dir .. "/attacker.pcap")
  os.remove(dir)
  expect(into):eq(3)
  expect(onward):eq(3)
  -- and in the middle it can drop them too: interception on its input
  net:intercept{on = a, dir = "in", filter = "icmp[icmptype] == icmp-echo", action = "drop"}
  run_task(net, c, function() res = c:ping(s:ip(), {count = 2, interval = "10ms", quiet = true}) end)
  expect(res.received, "dropped by the man in the middle"):eq(0)
end)

test("ARP spoofing, gratuitous: a broadcast claim overrides at once", function(net)
  local a, c, s = lan(net)
  run_task(net, c, function() c:ping(s:ip(), {count = 1, quiet = true}) end)
  run_task(net, a, function()
    -- a gratuitous ARP is taken even within locktime (Linux's is_garp)
    attacks.arp_spoof{from = a, victim = c, impersonate = s, mode = "gratuitous", count = 1}
    lunet.sleep("10ms")
  end)
  local mac
  for _, e in ipairs(c:arp()) do if e.ip == s:ip() then mac = e.mac end end
  expect(mac):eq(a.eth0.mac)
  expect(function() attacks.arp_spoof{from = a, victim = c, impersonate = s, mode = "storm"} end)
    :raises('mode "storm" unknown %(reply, gratuitous%)')
end)

-- What each malformed packet costs the target: the drop reason and the
-- counter Linux bumps (to closed port 81; an open port 80 exists).
local MALFORMED_EFFECT = {
  bad_ip_hdr_len = {reason = "malformed", n = 1, counter = "IpInHdrErrors"},
  bad_tcp_hdr_len = {reason = "truncated", n = 1, counter = "TcpInErrs"},
  xmas = {reason = "no socket", n = 1, counter = "TcpOutRsts"},           -- RFC 9293: RST
  null = {reason = "no socket", n = 1, counter = "TcpOutRsts"},
  zero_length_option = {reason = "no socket", n = 1, counter = "TcpOutRsts"},  -- parsing stops there
  ping_of_death = {reason = "invalid fragment", n = 45, counter = "IpReasmFails"},
  teardrop = {reason = "invalid fragment", n = 2, counter = "IpReasmFails"},
}

for _, kind in ipairs(attacks.MALFORMED_KINDS) do
  test("malformed packets, " .. kind .. ": dropped, counted, and the target still answers", function(net)
    local want = MALFORMED_EFFECT[kind]
    expect(want, "an expectation for every kind"):truthy()
    local a, c, s = lan(net)
    s:listen(80)
    local r
    run_task(net, a, function()
      r = attacks.malformed{from = a, to = s, kind = kind, port = 81}
      lunet.sleep("10ms")
    end)
    expect(r.sent):eq(want.n)
    expect(s:drops()[want.reason]):eq(want.n)
    expect(s:netstat()[want.counter]):eq(1)
    run_task(net, c, function() expect(c:ping(s:ip(), {count = 1, quiet = true}).received):eq(1) end)
  end)
end

test("an unknown malformed kind lists the known ones", function(net)
  local a, _, s = lan(net)
  expect(function() attacks.malformed{from = a, to = s, kind = "nope"} end)
    :raises('kind "nope" unknown %(bad_ip_hdr_len, bad_tcp_hdr_len, null, ping_of_death')
end)

test("options are checked, naming what is allowed", function(net)
  local a, _, s = lan(net)
  local ok, e = pcall(attacks.syn_flood, {from = a, to = s, rat = 5})
  expect(e):matches('attacks%.syn_flood: option "rat" unknown %(known: .*rate')
  ok, e = pcall(attacks.flood, {from = a, to = s, kind = "xmas"})
  expect(e):matches('kind "xmas" unknown %(syn, ack, udp, icmp%)')
  ok, e = pcall(attacks.flood, {from = a, to = s, rate = "fast"})
  expect(e):matches('rate "fast": packets per second')
  ok, e = pcall(attacks.syn_flood, {from = a, to = s, spoof = "10.0.0.0"})
  expect(e):matches("spoof \"10%.0%.0%.0\": false, \"random\", a prefix")
  expect(ok):eq(false)
end)
