-- time_wait.lua - TIME_WAIT and 2 MSL: why the side that closes first
-- waits, and what the waiting costs.
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- Three short experiments, each on a fresh network:
--   A. The last ACK of the close is lost.  The server, in LAST_ACK,
--      retransmits its FIN; the client, in TIME_WAIT, still knows the
--      connection, ACKs the FIN again and starts its 2 MSL over.
--   B. A busy web server closes every connection itself (HTTP with
--      "Connection: close"): the TIME_WAIT sockets pile up on the server.
--   C. The server crashes with connections open and is restarted at once:
--      bind(80) fails with "in use" while its old connections sit in
--      TIME_WAIT, unless SO_REUSEADDR was set on the old socket and on the
--      new one (Linux's rule); after 2 MSL it works without.
-- MSL is lunet's net.ipv4.tcp_msl (30 s), so TIME_WAIT lasts 60 s, as on
-- Linux.
--
-- Run:   lunet run scripts/time_wait.lua
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local S = lunet.time("1s")
local function T(ns) return string.format("%.3f s", ns / 1e9) end

local function lab(name)
  local net = lunet.net{name = name}
  local client, server = net:host("client"), net:host("server")
  local link = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                         ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  -- static ARP: only TCP on the wire
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  return net, client, server, link
end

local function count(h, state)
  local n = 0
  for _, s in ipairs(h:sockets("tcp")) do
    if s.state == state then n = n + 1 end
  end
  return n
end

local function timewait_left(h)
  for _, s in ipairs(h:sockets("tcp")) do
    if s.state == "TIME_WAIT" then return s.timer_left end
  end
end

local pcaps = {}

------------------------------------------------------------------------
-- A. the last ACK is lost
------------------------------------------------------------------------

do
  local net, client, server, link = lab("time_wait_lost_ack")
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local two_msl = 2 * lunet.time(client:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
  for _, c in ipairs(net:capture{dir = "time_wait"}) do pcaps[#pcaps + 1] = c end
  local listener = assert(server:listen(80))
  local lad = ladder.new(net, {hosts = {client, server}, ports = {80}})

  -- TIME_WAIT's timer as `ss -tan -o` would show it, just before and just
  -- after the client handles the second FIN
  local fins_in, left_before, left_after = 0, nil, nil
  net:on("rx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" and ev.flags:find("F", 1, true) then
      fins_in = fins_in + 1
      if fins_in == 2 then
        left_before = timewait_left(client)
        lad:note("client: FIN again, in TIME_WAIT with " .. T(left_before) .. " to go")
      end
    end
  end)
  net:on("tx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" and fins_in == 2 and not left_after then
      left_after = timewait_left(client)
      lad:note("client: ACKs it again; TIME_WAIT restarts at " .. T(left_after))
    end
  end)

  server:spawn(function()
    local c = listener:accept()
    c:receive("*a")                      -- until the client's FIN
    lunet.sleep("200ms")                 -- the server application takes its time
    link:set{ab = {loss = 1}}            -- client -> server loses everything ...
    c:close()                            -- our FIN: LAST_ACK
    lunet.sleep("20ms")                  -- ... until the client's last ACK is gone
    link:set{ab = {loss = 0}}
  end)
  client:spawn(function()
    local s = assert(client:connect(server:ip(), 80))
    s:close()                            -- the client closes first
  end)
  net:run()                              -- until the client's TIME_WAIT is over
  lad:stop()
  listener:close()

  local segs = lad:segments()
  local fins, lost_ack, reack = {}, nil, nil
  for i, s in ipairs(segs) do
    if s.fin and s.from == "server" then fins[#fins + 1] = s end
    if s.from == "client" and s.flags == "ACK" and s.lost then lost_ack = s end
    if s.from == "client" and s.flags == "ACK" and #fins == 2 then reack = reack or s end
  end
  local tw_in, tw_out, srv_closed
  for _, r in ipairs(lad:transitions()) do
    if r.host == "client" and r.to == "TIME_WAIT" then tw_in = r.time end
    if r.host == "client" and r.from == "TIME_WAIT" then tw_out = r.time end
    if r.host == "server" and r.from == "LAST_ACK" then srv_closed = r.time end
  end

  print("A. TIME_WAIT: the last ACK is lost")
  print("client 10.0.0.1  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80")
  print()
  lad:print()
  print()
  local w = fins[1].seq
  print(string.format("The client closed first; after the server's FIN (seq=w=%d) it is in", w))
  print(string.format("TIME_WAIT and sends the last ACK (ack=w+1=%d). That ACK is lost.", lost_ack.ack))
  print(string.format("The server, in LAST_ACK, hears nothing and resends its FIN %s later", T(fins[2].time - fins[1].time)))
  print("(its retransmission timeout). The client still has the connection, in")
  print(string.format("TIME_WAIT: it ACKs the FIN again and starts 2 MSL over (%s left before,",
                      T(left_before)))
  print(string.format("%s after). The server closes on that ACK. TIME_WAIT ends at %s:",
                      T(left_after), T(tw_out)))
  print(string.format("2 MSL after the re-ACK, %s after it began.", T(tw_out - tw_in)))
  print("Had the client forgotten the connection at once, the second FIN would")
  print("have found no socket and been answered with RST: a clean close turned")
  print("into an error. Waiting 2 MSL also lets stray old segments of this")
  print("connection die out before the same four-tuple is used again.")
  print()

  expect(#fins, "server FINs: the original and one retransmission"):eq(2)
  expect(fins[2].seq, "the same FIN"):eq(fins[1].seq)
  expect(fins[2].retransmission):eq(true)
  expect(fins[1].seq, "w (the server sent no data)"):eq(2001)
  expect(lost_ack, "the client's last ACK"):truthy()
  expect(lost_ack.lost):eq("loss")
  expect(lost_ack.ack, "last ACK = w + 1"):eq(w + 1)
  expect(lost_ack.time, "sent on entering TIME_WAIT"):eq(tw_in)
  expect(reack.ack, "the re-ACK = w + 1"):eq(w + 1)
  expect(reack.lost):is_nil()
  expect(reack.time, "re-ACK when the second FIN arrives"):eq(fins[2].rx_time)
  expect(fins[2].time - fins[1].time, "an RTO later (200 ms + a little)"):within(lunet.time("200ms"),
                                                                              lunet.time("250ms"))
  expect(left_before, "timer before"):eq(two_msl - (fins[2].rx_time - tw_in))
  expect(left_after, "timer restarted"):eq(two_msl)
  expect(tw_out - reack.time, "TIME_WAIT ends 2 MSL after the re-ACK"):eq(two_msl)
  expect(tw_out - tw_in, "longer than 2 MSL in all"):gt(two_msl)
  expect(srv_closed, "server LAST_ACK -> CLOSED on the re-ACK"):eq(reack.rx_time)
  expect(lad:states(client)):eq({"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                 "TIME_WAIT", "CLOSED"})
  expect(lad:states(server)):eq({"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
                                 "CLOSED"})
  local n = client:netstat()
  expect(n.TcpExtTW, "TIME_WAIT ended by its timer"):eq(1)
end

------------------------------------------------------------------------
-- B. a busy server that closes first
------------------------------------------------------------------------

do
  local N, EVERY = 100, 0.1                 -- 10 requests a second for 10 s
  local net, client, server = lab("time_wait_busy")
  local two_msl = 2 * lunet.time(server:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
  server:http_server(80, {handler = function() return "hi\n" end})
  local ok = 0
  for i = 0, N - 1 do
    client:spawn(function()
      lunet.sleep(i * EVERY)
      -- an HTTP/1.0-style client: ask, then read until the server closes
      local c = assert(client:connect(server:ip(), 80))
      c:send("GET / HTTP/1.1\r\nHost: server\r\nConnection: close\r\n\r\n")
      local reply = c:receive("*a")
      c:close()
      if reply:match("\r\n\r\nhi\n$") then ok = ok + 1 end
    end)
  end
  local rows, listing = {}, nil
  for _, at in ipairs({5, 10, 30, 65, 75}) do
    net:run_until(at)
    if at == 10 then listing = server:sockets("tcp") end
    rows[#rows + 1] = {at = at, server = count(server, "TIME_WAIT"), client = count(client, "TIME_WAIT")}
  end

  print("B. A busy server that closes first keeps the TIME_WAIT sockets")
  print(string.format("%d HTTP requests, one every %d ms (\"Connection: close\": the server", N, math.floor(EVERY * 1000)))
  print("closes each connection after its response).")
  print()
  print("   time    TIME_WAIT on the server   TIME_WAIT on the client")
  for _, r in ipairs(rows) do
    print(string.format("  %4d s    %10d                %10d", r.at, r.server, r.client))
  end
  print()
  print("`ss -tan -o` on the server at 10 s (first lines):")
  local shown = 0
  for _, s in ipairs(listing) do
    if s.state == "TIME_WAIT" and shown < 3 then
      shown = shown + 1
      print(string.format("  %-10s %-15s %-17s timer:(timewait,%.1fs)", s.state, s["local"], s.remote,
                          s.timer_left / S))
    end
  end
  print(string.format("  ... %d TIME_WAIT in all, beside the listener", rows[2].server))
  print("Each one stays 60 s: memory, an entry in the connection table, a")
  print("four-tuple that cannot be used again. The count settles at rate x 60 s:")
  print("1,000 connections a second keep 60,000 sockets in TIME_WAIT. The clients,")
  print("which closed second, keep none.")
  print()

  expect(ok, "all requests answered"):eq(N)
  expect(rows[1].server, "after 5 s: the 50 requests so far"):eq(50)
  expect(rows[2].server, "after 10 s: all of them"):eq(N)
  expect(rows[3].server, "after 30 s: still all"):eq(N)
  expect(rows[4].server, "after 65 s: those of the last 5 s (60 s each)"):eq(50)
  expect(rows[5].server, "after 75 s: none"):eq(0)
  for _, r in ipairs(rows) do expect(r.client, "client TIME_WAIT at " .. r.at .. " s"):eq(0) end
  expect(#listing, "the listener and the TIME_WAIT sockets"):eq(N + 1)
  for _, s in ipairs(listing) do
    if s.state == "TIME_WAIT" then
      expect(s["local"]):eq("10.0.0.2:80")
      expect(s.timer):eq("timewait")
      expect(s.timer_left):within(two_msl - 10 * S, two_msl)
    end
  end
  expect(server:netstat().TcpExtTW, "all ended by their timer"):eq(N)
  expect(client:netstat().TcpExtTW):eq(0)
end

------------------------------------------------------------------------
-- C. the server crashes and restarts on port 80
------------------------------------------------------------------------

-- A server (listener with SO_REUSEADDR old_ra) with three open
-- connections crashes at 1 s: the kernel closes its sockets, the clients
-- close theirs on EOF, and the server's connections end in TIME_WAIT.
-- At 2 s a new server tries bind(80) with SO_REUSEADDR new_ra.
local function restart(old_ra, new_ra)
  local net, client, server = lab("time_wait_restart")
  local two_msl = 2 * lunet.time(server:sysctl("net.ipv4.tcp_msl"))   -- ns, as event times
  local listener = assert(server:listen(80, {reuseaddr = old_ra}))
  local conns = {}
  server:spawn(function()
    while true do
      local c = listener:accept()
      if not c then return end
      conns[#conns + 1] = c
    end
  end)
  for _ = 1, 3 do
    client:spawn(function()
      local s = assert(client:connect(server:ip(), 80))
      s:receive("*a")                      -- idle until the server goes away
      s:close()
    end)
  end
  net:run_until(1)
  -- the crash: the process dies, the kernel closes everything it had open
  for _, c in ipairs(conns) do c:close() end
  listener:close()
  net:run_until(2)
  local r = {tw = count(server, "TIME_WAIT"), others = #server:sockets("tcp") - count(server, "TIME_WAIT")}
  local s = server:tcp{reuseaddr = new_ra}
  r.ok, r.err = s:bind(80)
  if r.ok then
    -- the new server works: listen and serve a client
    assert(s:listen())
    local got
    server:spawn(function()
      local c = s:accept()
      c:send("back\n")
      c:receive("*a")                    -- this time the client closes first
      c:close()
    end)
    client:spawn(function()
      local c = assert(client:connect(server:ip(), 80))
      got = c:receive("*l")
      c:close()
    end)
    net:run_until(3)
    r.served = got
  end
  s:close()
  -- without SO_REUSEADDR, once TIME_WAIT is over
  net:run_until(2 + two_msl / S)         -- 62 s
  r.tw_later = count(server, "TIME_WAIT")
  local s2 = server:tcp()
  r.later_ok, r.later_err = s2:bind(80)
  s2:close()
  return r
end

do
  local cases = {}
  for _, old in ipairs({false, true}) do
    for _, new in ipairs({false, true}) do
      cases[#cases + 1] = {old = old, new = new, r = restart(old, new)}
    end
  end
  local yn = function(b) return b and "yes" or "no" end

  print("C. The server crashes and is restarted at once on port 80")
  print(string.format("It had 3 connections; at 1 s it dies and the kernel closes them. A"))
  print(string.format("second later it has %d sockets in TIME_WAIT on 10.0.0.2:80 and is", cases[1].r.tw))
  print("started again: socket(), setsockopt(SO_REUSEADDR)?, bind(80).")
  print()
  print("  SO_REUSEADDR on the    SO_REUSEADDR on    bind(80) at 2 s     bind(80) at 62 s,")
  print("  crashed listener       the new socket                         no SO_REUSEADDR")
  for _, c in ipairs(cases) do
    local now = c.r.ok and "ok" or ('"' .. c.r.err .. '"')
    local later = c.r.later_ok and "ok" or ('"' .. tostring(c.r.later_err) .. '"')
    print(string.format("  %-22s %-18s %-19s %s", yn(c.old), yn(c.new), now, later))
  end
  print()
  print("The TIME_WAIT sockets hold 10.0.0.2:80. Linux lets a new socket bind")
  print("over them only if both had SO_REUSEADDR: the old listener (its")
  print("connections inherit the option) and the new socket. That is why servers")
  print("set it before bind(). Then the restarted server answers at once")
  print(string.format("(a client read %q). Without it the port is free 2 MSL = 60 s after", cases[4].r.served))
  print("the crash.")
  print()

  for _, c in ipairs(cases) do
    local what = string.format("old SO_REUSEADDR=%s new=%s", yn(c.old), yn(c.new))
    expect(c.r.tw, what .. ": TIME_WAIT sockets after the crash"):eq(3)
    expect(c.r.others, what .. ": nothing else on the server"):eq(0)
    if c.old and c.new then
      expect(c.r.ok, what .. ": bind (" .. tostring(c.r.err) .. ")"):eq(true)
      expect(c.r.served, what .. ": the new server answers"):eq("back")
    else
      expect(c.r.ok, what .. ": bind"):is_nil()
      expect(c.r.err, what .. ": bind"):eq("in use")
    end
    expect(c.r.tw_later, what .. ": TIME_WAIT after 2 MSL"):eq(0)
    expect(c.r.later_ok, what .. ": bind after 2 MSL (" .. tostring(c.r.later_err) .. ")"):eq(true)
  end
end

for _, c in ipairs(pcaps) do
  c:flush()
  print(string.format("pcap: %s — experiment A, open it in Wireshark (%d frames)", c.path, c:count()))
end
