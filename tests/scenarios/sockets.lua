-- sockets.lua - the TcpSocket API from Lua: blocking calls in virtual time,
-- the words of network outcomes (timeout, refused, reset, closed, busy),
-- receive patterns, half-close, <close>, info fields, the sockets listing,
-- sysctl round trips, and the errors raised for misuse.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function lab(net, opts)
  return lunet.topology(TOPO .. "two_hosts.lua", net, opts or {delay = "1ms"})
end

-- Runs connect() as a task on h1: {what it returned, its error word, how
-- long it took}.
local function timed(net, l, connect)
  return run_task(net, l.h1, function()
    local t0 = lunet.now()
    local s, err = connect()
    return {s, err, lunet.now() - t0}
  end)
end

-- r (from timed) says the call failed with `word` after `after` (or, with
-- `upto`, between the two).
local function failed(r, word, after, upto)
  expect(r[1]):is_nil()
  expect(r[2]):eq(word)
  if upto then expect(r[3]):within(lunet.time(after), lunet.time(upto))
  else expect(r[3]):eq(lunet.time(after)) end
end

test("connect, send, receive patterns, close", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7000))
  l.h2:spawn(function()
    local c = srv:accept()
    c:send("line one\r\nline two\nabcdefghij")
    c:send("tail")
    lunet.sleep("10ms")
    c:close()
  end)
  local r = run_task(net, l.h1, function()
    local s = l.h1:tcp()
    expect(s:connect(l.h2_ip, 7000)):eq(true)
    expect(s:state()):eq("ESTABLISHED")
    local out = {}
    out[1] = s:receive("*l")                     -- CR LF: both stripped
    out[2] = s:receive("*l")
    out[3] = s:receive(4)                        -- exactly 4
    out[4] = s:receive(3)
    out[5] = s:receive("*a")                     -- the rest, to EOF
    out[6] = {s:receive()}                       -- at EOF: nil, "closed"
    s:close()
    return out
  end)
  expect(r[1]):eq("line one")
  expect(r[2]):eq("line two")
  expect(r[3]):eq("abcd")
  expect(r[4]):eq("efg")
  expect(r[5]):eq("hijtail")
  expect(r[6]):eq({nil, "closed"})
end)

test("receive(n) at EOF returns what there is, and \"closed\"", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7001))
  l.h2:spawn(function()
    local c = srv:accept()
    c:send("short")
    c:close()
  end)
  local d, err = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7001))
    return s:receive(100)
  end)
  expect(d):eq("short")
  expect(err):eq("closed")
end)

test("host unreachable: nobody answers ARP", function(net)
  local l = lab(net)
  l.link:down("ab")
  local r = timed(net, l, function() return l.h1:tcp():connect(l.h2_ip, 80) end)
  failed(r, "host unreachable", "3s")             -- 3 ARP requests, 1 s apart
end)

test("refused: nobody listens on the port", function(net)
  local l = lab(net)
  local ok, err = run_task(net, l.h1, function()
    return l.h1:tcp():connect(l.h2_ip, 81)
  end)
  expect(ok):is_nil()
  expect(err):eq("refused")
  expect(l.h2:netstat().TcpOutRsts):eq(1)
end)

-- h1 knows h2's MAC (so ARP cannot fail first) but its frames vanish.
local function silence(l)
  l.h1:arp_set(l.h2_ip, l.h2.eth0.mac)
  l.link:down("ab")
end

test("timeouts: connect to a silent host, accept, receive", function(net)
  local l = lab(net)
  silence(l)                                     -- the SYNs vanish
  local r = timed(net, l, function() return l.h1:connect(l.h2_ip, 80, {timeout = "3s"}) end)
  failed(r, "timeout", "3s")
  l.link:up()
  local srv = assert(l.h2:listen(7002))
  local a = run_task(net, l.h2, function() return {srv:accept({timeout = "500ms"})} end)
  expect(a):eq({nil, "timeout"})
  l.h2:spawn(function() local c = srv:accept(); lunet.sleep("5s"); c:close() end)
  local rr = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7002))
    local t0 = lunet.now()
    local d, err = s:receive(1, {timeout = "250ms"})
    return {d, err, lunet.now() - t0}
  end)
  failed(rr, "timeout", "250ms")
end)

test("the stack gives up a connect after tcp_syn_retries", function(net)
  local l = lab(net)
  l.h1:sysctl("net.ipv4.tcp_syn_retries", 2)
  silence(l)
  local r = timed(net, l, function() return l.h1:tcp():connect(l.h2_ip, 80) end)
  -- 1 s + 2 s + 4 s, each rounded up to Linux's timer wheel (reference 6)
  failed(r, "timeout", "7s", "7.32s")
end)

test("reset: the peer aborts", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7003))
  l.h2:spawn(function()
    local c = srv:accept()
    c:receive(1)
    c:abort()
  end)
  local r = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7003))
    s:send("x")
    local d, err = s:receive()
    local n, serr = s:send("more")
    local info = s:info()
    return {d, err, n, serr, info.error, s:state()}
  end)
  expect(r[1]):is_nil()
  expect(r[2]):eq("reset")
  expect(r[3]):is_nil()
  expect(r[4]):eq("reset")
  expect(r[5]):eq("reset")
  expect(r[6]):eq("CLOSED")
end)

test("busy: one reader at a time; closed wakes the waiter", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7004))
  l.h2:spawn(function() local c = srv:accept(); lunet.sleep("1s"); c:close() end)
  local s
  local first
  l.h1:spawn(function()
    s = assert(l.h1:connect(l.h2_ip, 7004))
    first = {s:receive()}
  end)
  local second = run_task(net, l.h1, function()
    lunet.sleep("100ms")
    local r = {s:receive({timeout = "1s"})}
    s:close()
    lunet.sleep("1ms")
    return r
  end)
  expect(second):eq({nil, "busy"})
  expect(first):eq({nil, "closed"})
  expect(tostring(s)):eq("lunet.TcpSocket(closed)")
end)

test("shutdown(\"send\"): a half-close, the other side keeps sending", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7005))
  l.h2:spawn(function()
    local c = srv:accept()
    local req = c:receive("*a")                  -- to the client's FIN
    expect(c:state()):eq("CLOSE_WAIT")
    c:send(req:upper())
    c:send(string.rep("z", 100000))              -- more than one window
    c:close()
  end)
  local r = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 7005))
    s:send("please reply")
    expect(s:shutdown("send")):eq(true)
    local n, err = s:send("too late")
    expect(n):is_nil()
    expect(err):eq("closed")
    local got = s:receive("*a")
    s:close()
    return got
  end)
  expect(r:sub(1, 12)):eq("PLEASE REPLY")
  expect(#r):eq(12 + 100000)
end)

test("<close> closes a socket at the end of its scope", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(7006))
  local server_saw
  l.h2:spawn(function()
    local c = srv:accept()
    server_saw = {c:receive()}
    c:close()
  end)
  run_task(net, l.h1, function()
    do
      local s <close> = assert(l.h1:connect(l.h2_ip, 7006))
      s:send("bye")
    end
    lunet.sleep("100ms")
  end)
  expect(server_saw[1]):eq("bye")
end)

test("info fields like ss -ti; getsockname/getpeername; sockets listing", function(net)
  local l = lab(net)
  l.h1:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  l.h2:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  local srv = assert(l.h2:listen(80))
  l.h2:spawn(function() local c = srv:accept(); c:receive("*a"); c:close() end)
  local info, names, list = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    s:send(string.rep("a", 1000))
    lunet.sleep("100ms")
    local i = s:info()
    local la, lp = s:getsockname()
    local ra, rp = s:getpeername()
    local ls = l.h1:sockets()
    s:close()
    return i, {la, lp, ra, rp}, ls
  end)
  expect(info.state):eq("ESTABLISHED")
  expect(info.iss):eq(1000)
  expect(info.irs):eq(2000)
  expect(info.snd_una):eq(1001 + 1000)          -- the SYN and 1000 bytes, all ACKed
  expect(info.snd_nxt):eq(2001)
  expect(info.rcv_nxt):eq(2001)
  expect(info.unacked):eq(0)
  expect(info.bytes_acked):eq(1000)
  expect(info.mss):eq(1448)                     -- 1460 - 12 for the timestamps
  expect(info.ts):eq(true)
  expect(info.sack):eq(true)
  expect(info.wscale):eq({10, 10})
  expect(info.cwnd):eq(10)
  expect(info.cc):eq("cubic")
  expect(info.srtt):gt(0)
  expect(info.rto):ge(lunet.time("200ms"))
  expect(info["local"]):matches("^10%.0%.0%.1:%d+$")
  expect(info.remote):eq("10.0.0.2:80")
  expect(names[1]):eq("10.0.0.1")
  expect(names[2]):within(32768, 60999)
  expect(names[3]):eq("10.0.0.2")
  expect(names[4]):eq(80)
  expect(#list):eq(1)
  expect(list[1].proto):eq("tcp")
  expect(list[1].state):eq("ESTABLISHED")
  expect(list[1].remote):eq("10.0.0.2:80")
  -- the server lists its listener and the connection, oldest first
  local states = {}
  for _, e in ipairs(l.h2:sockets()) do states[#states + 1] = e.state .. " " .. e["local"] end
  expect(states):eq({"LISTEN 0.0.0.0:80", "ESTABLISHED 10.0.0.2:80"})
end)

test("TIME_WAIT shows in the listing, with its timer, for 2 MSL", function(net)
  local l = lab(net)
  l.h1:sysctl("net.ipv4.tcp_msl", "5s")
  local srv = assert(l.h2:listen(80))
  l.h2:spawn(function() local c = srv:accept(); c:receive("*a"); c:close() end)
  local list = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    s:close()
    lunet.sleep("1s")
    return l.h1:sockets("tcp")
  end)
  expect(#list):eq(1)
  expect(list[1].state):eq("TIME_WAIT")
  expect(list[1].timer):eq("timewait")
  expect(list[1].timer_left):within(lunet.time("8s"), lunet.time("10s"))
  net:run("10s")
  expect(#l.h1:sockets("tcp")):eq(0)
end)

test("options: set, get, through h:tcp{...}; bad ones raise", function(net)
  local l = lab(net)
  local s = l.h1:tcp{nodelay = true, rcvbuf = "64KiB"}
  expect(s:getoption("nodelay")):eq(true)
  expect(s:getoption("rcvbuf")):eq(2 * 65536)     -- doubled, as Linux does
  expect(s:setoption("keepalive", true)):eq(true)
  expect(s:getoption("keepalive")):eq(true)
  expect(s:setoption("keepidle", "10s")):eq(true)
  expect(s:getoption("keepidle")):eq(10)            -- seconds, what setoption takes
  expect(s:setoption("keepidle", s:getoption("keepidle"))):eq(true)
  expect(s:getoption("keepidle")):eq(10)
  expect(s:setoption("congestion", "reno")):eq(true)
  expect(s:getoption("congestion")):eq("reno")
  expect(function() s:setoption("congestion", "bbr") end):raises('congestion: "bbr" unknown %(known: ')
  expect(function() s:setoption("nodelay", 1) end):raises("bad argument #2 to 'TcpSocket:setoption' %(nodelay: expected a boolean")
  expect(function() s:setoption("nagle", true) end)
    :raises([[bad argument #1 to 'TcpSocket:setoption' %(option "nagle" unknown %(known: nodelay, reuseaddr]])
  expect(function() l.h1:tcp{nodely = true} end):raises('node:tcp: option "nodely" unknown')
  s:close()
end)

test("bind: in use, address not available, reuseaddr", function(net)
  local l = lab(net)
  local a = assert(l.h1:listen(8080))
  local b = l.h1:tcp()
  expect(select(2, b:bind(8080))):eq("in use")
  expect(select(2, b:bind("10.0.0.2", 8081))):eq("address not available")
  expect(b:bind("10.0.0.1", 8081)):eq(true)
  expect(function() b:bind(8082) end):raises("TcpSocket:bind: the socket is already bound")
  expect(select(2, l.h1:listen(8080))):eq("in use")
  a:close()
  b:close()
end)

test("misuse raises, naming the function and what is allowed", function(net)
  local l = lab(net)
  local s = l.h1:tcp()
  expect(function() s:receive() end):raises("TcpSocket:receive: not inside a task %(use host:spawn%)")
  expect(function() s:connect("10.0.0.2", 0) end):raises("bad argument #2 to 'TcpSocket:connect' %(port 0 out of range %(1..65535%)%)")
  expect(function() s:connect("10.0.0.2.1", 80) end):raises("bad argument #1 to 'TcpSocket:connect' %(address")
  expect(function() s:receive("*x") end):raises('pattern "%*x" unknown %(use a byte count, "%*l" or "%*a"%)')
  expect(function() s:receive(-1) end):raises("byte count %-1 is negative")
  expect(function() s:send({}) end):raises("bad argument #1 to 'TcpSocket:send' %(expected a string")
  expect(function() s:shutdown("sideways") end):raises([[bad argument #1 to 'TcpSocket:shutdown' %("sideways" unknown %(use "send", "receive" or "both"%)%)]])
  expect(function() s:accept() end):raises("TcpSocket:accept: not inside a task")
  run_task(net, l.h1, function()
    expect(function() s:accept() end):raises("TcpSocket:accept: the socket is not listening")
    expect(function() s:receive(1, {timeout = "1s", retries = 2}) end)
      :raises('TcpSocket:receive: option "retries" unknown %(known: timeout%)')
  end)
  expect(function() net:on("tcp_states", print) end):raises('event type "tcp_states" unknown')
  s:close()
end)

test("sysctl: TCP keys round-trip; bad keys and values raise", function(net)
  local h = net:host("h")
  expect(h:sysctl("net.ipv4.tcp_syn_retries")):eq(6)
  expect(h:sysctl("net.ipv4.tcp_syn_retries", 3)):eq(3)
  -- times read back in seconds, as Linux's tcp_fin_timeout reads
  expect(h:sysctl("net.ipv4.tcp_fin_timeout")):eq(60)
  expect(math.type(h:sysctl("net.ipv4.tcp_fin_timeout"))):eq("integer")
  expect(h:sysctl("net.ipv4.tcp_fin_timeout", "30s")):eq(30)
  expect(h:sysctl("net.ipv4.tcp_msl")):eq(30)
  expect(h:sysctl("net.ipv4.tcp_rto_min")):eq(0.2)
  expect(h:sysctl("net.ipv4.tcp_fixed_isn")):eq(-1)
  expect(h:sysctl("net.ipv4.tcp_fixed_isn", 1000)):eq(1000)
  expect(h:sysctl("net.ipv4.tcp_rmem")):eq({4096, 131072, 33554432})
  expect(h:sysctl("net.ipv4.tcp_rmem", {4096, 65536, 1048576})):eq({4096, 65536, 1048576})
  expect(h:sysctl("net.ipv4.ip_local_port_range")):eq({32768, 60999})
  expect(h:sysctl("net.ipv4.ip_local_port_range", {40000, 40010})):eq({40000, 40010})
  expect(h:sysctl("net.ipv4.tcp_congestion_control")):eq("cubic")
  expect(h:sysctl("net.ipv4.tcp_congestion_control", "reno")):eq("reno")
  expect(h:sysctl("net.ipv4.tcp_sack", false)):eq(0)
  expect(h:sysctl("net.ipv4.tcp_sack")):eq(0)
  expect(h:sysctl("net.core.somaxconn")):eq(4096)
  expect(h:sysctl("net.ipv4.tcp_ehash_entries")):eq(0)
  expect(h:sysctl("net.ipv4.tcp_ehash_entries", 300000)):eq(300000)
  expect(function() h:sysctl("net.ipv4.tcp_ehash_entries", 1 << 25) end)
    :raises("net.ipv4.tcp_ehash_entries: 33554432 out of range %(0..16777216%)")
  expect(h:sysctl()["net.ipv4.tcp_timestamps"]):eq(1)
  expect(function() h:sysctl("net.ipv4.tcp_syn_retry") end)
    :raises([[bad argument #1 to 'node:sysctl' %(unknown key "net.ipv4.tcp_syn_retry" %(known: ]])
  expect(function() h:sysctl("net.ipv4.tcp_syn_retries", 0) end)
    :raises("net.ipv4.tcp_syn_retries: 0 out of range %(1..127%)")
  expect(function() h:sysctl("net.ipv4.tcp_congestion_control", "bbr") end)
    :raises('tcp_congestion_control: "bbr" unknown')
  expect(function() h:sysctl("net.ipv4.tcp_rmem", {1, 2}) end):raises("expected a table of 3 sizes")
  expect(function() h:sysctl("net.ipv4.ip_local_port_range", {5000, 4000}) end)
    :raises("the low port 5000 is above the high port 4000")
  -- the port range is shared with UDP, as on Linux
  local u = h:udp()
  u:bind(0)
  expect(select(2, u:getsockname())):within(40000, 40010)
end)

test("UDP and TCP appear together in h:sockets()", function(net)
  local l = lab(net)
  local srv = assert(l.h1:listen(80))
  local u = l.h1:udp()
  u:bind(53)
  local list = l.h1:sockets()
  expect(#list):eq(2)
  expect(list[1]):eq({proto = "tcp", state = "LISTEN", ["local"] = "0.0.0.0:80",
                      remote = "0.0.0.0:*", recv_q = 0, send_q = 128})
  expect(list[2]):eq({proto = "udp", state = "UNCONN", ["local"] = "0.0.0.0:53",
                      remote = "0.0.0.0:*", recv_q = 0, send_q = 0})
  expect(#l.h1:sockets("udp")):eq(1)
  expect(function() l.h1:sockets("sctp") end):raises('protocol "sctp" unknown')
  srv:close()
  u:close()
end)

test("an open socket nobody holds stays open; hooks may close, not change, sockets", function(net)
  local l = lab(net)
  local srv = assert(l.h2:listen(80))
  local got
  l.h2:spawn(function() local c = srv:accept(); got = {c:receive()}; c:close() end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    s = nil                                          -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    lunet.sleep("100ms")
  end)
  -- Its network holds it, as a process holds a leaked descriptor: a FIN
  -- at collection time would depend on the collector, not on the script.
  expect(got, "no FIN reached the server"):is_nil()
  expect(l.h1:sockets("tcp")[1].state):eq("ESTABLISHED")

  local c2
  l.h2:spawn(function() c2 = srv:accept() end)
  local keep = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    lunet.sleep("10ms")                              -- the server accepts it
    return s
  end)
  local errs = {}
  local id = net:on("tx", function()
    local _, e = pcall(c2.setoption, c2, "nodelay", true)
    errs[#errs + 1] = e
    c2:close()                                       -- deferred to the next event
  end)
  run_task(net, l.h1, function() l.h1:ping(l.h2_ip, {count = 1, quiet = true}) end)
  net:off(id)
  expect(errs[1]):matches("TcpSocket:setoption: not allowed inside an event hook")
  net:run("10ms")
  expect(keep:state()):eq("CLOSE_WAIT")              -- the server's FIN went out
  keep:close()
end)

test("net:on(\"tcp\"), \"cwnd\" and \"timer\" events", function(net)
  local l = lab(net, {delay = "5ms"})
  local states, cwnds, timers = {}, {}, {}
  net:on("tcp", function(ev) states[#states + 1] = ev end)
  net:on("cwnd", function(ev) cwnds[#cwnds + 1] = ev end)
  net:on("timer", function(ev) timers[#timers + 1] = ev end)
  local srv = assert(l.h2:listen(80))
  l.h2:spawn(function() local c = srv:accept(); c:receive("*a"); c:close() end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    l.link:set{ab = {loss = 1}}
    s:send("x")
    lunet.sleep("1ms")
    l.link:set{ab = {loss = 0}}
    lunet.sleep("2s")
    s:close()
    lunet.sleep("1s")
  end)
  local first = states[1]
  expect(first.type):eq("tcp")
  expect(first.node):eq("h2")
  expect(first.from):eq("CLOSED")
  expect(first.to):eq("LISTEN")
  expect(first.flow):eq("0.0.0.0:80>0.0.0.0:0")
  local syn_sent
  for _, ev in ipairs(states) do if ev.to == "SYN_SENT" then syn_sent = ev end end
  expect(syn_sent.node):eq("h1")
  expect(syn_sent.flow):matches("^10%.0%.0%.1:%d+>10%.0%.0%.2:80$")
  -- the lost tail segment is repaired by a tail-loss probe (RFC 8985 7),
  -- before the RTO would fire
  local probe
  for _, ev in ipairs(timers) do if ev.timer == "probe" then probe = ev end end
  expect(probe, "a probe timeout fired for the lost segment"):truthy()
  expect(probe.node):eq("h1")
  expect(#cwnds):gt(0)
  expect(cwnds[#cwnds].cwnd):ge(1)
  expect(cwnds[#cwnds].ssthresh):ge(2)
  expect(type(cwnds[#cwnds].why)):eq("string")
end)

test("half-open requests: listed as SYN_RCVD, counted on the listener", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "5ms"})
  local srv = assert(l.h2:listen(80, {backlog = 4}))
  l.h1:spawn(function() l.h1:connect(l.h2_ip, 80) end)
  -- ARP (10 ms) and the SYN (5 ms) have arrived; the handshake's ACK has not
  net:run("20ms")
  local half
  for _, r in ipairs(l.h2:sockets("tcp")) do
    if r.state == "SYN_RCVD" then half = r end
  end
  expect(half, "a SYN_RCVD row"):truthy()
  expect(half["local"]):eq("10.0.0.2:80")
  expect(half.remote):matches("^10%.0%.0%.1:%d+$")
  expect(half.timer_left):gt(0)
  local info = srv:info()
  expect(info.syn_queue):eq(1)
  expect(info.accept_queue):eq(0)
  expect(info.backlog):eq(4)
  net:run("1s")
  info = srv:info()
  expect(info.syn_queue):eq(0)
  expect(info.accept_queue):eq(1)
end)

test("the handshake gives the first RTT sample, even for a connect at t=0", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "11065us"})
  l.h1:arp_set("10.0.0.2", l.h2.eth0.mac, "eth0")
  l.h2:arp_set("10.0.0.1", l.h1.eth0.mac, "eth0")
  l.h1:sysctl("net.ipv4.tcp_timestamps", 0)     -- only the SYN's send time can tell
  assert(l.h2:listen(80))
  local s
  l.h1:spawn(function() s = l.h1:connect("10.0.0.2", 80) end)
  net:run("1s")
  local info = s:info()
  -- two propagation delays plus two 74 B/66 B frames at 1 Gbit/s
  expect(info.srtt):within(22130000, 22132000)
  expect(info.rto):eq(224000000)                 -- srtt + 200 ms min, rounded up to 4 ms
end)
