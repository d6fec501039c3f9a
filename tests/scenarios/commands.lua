-- commands.lua - the REPL's Mininet-style commands (lua/lunet/commands.lua):
-- which lines are commands and which are Lua, the errors, and what each
-- command prints, run as the REPL runs them: inside a task.
--
-- Topology:
--   h1 10.0.1.1 --+
--                 s1 -- r1 10.0.1.254 | 10.0.2.254 -- h3 10.0.2.1
--   h2 10.0.1.2 --+
local commands = require("lunet.commands")

local function setup(net)
  local h1, h2, h3 = net:host("h1"), net:host("h2"), net:host("h3")
  local r1 = net:router("r1")
  local s1 = net:switch("s1")
  local l1 = net:link(h1, s1, {ip = {"10.0.1.1/24"}, bandwidth = "10Mbps", delay = "1ms"})
  local l2 = net:link(h2, s1, {ip = {"10.0.1.2/24"}, bandwidth = "100Mbps", delay = "1ms",
                               ba = {delay = "3ms", queue = 50}})
  local l3 = net:link(s1, r1, {ip = {nil, "10.0.1.254/24"}, queue = 100})
  local l4 = net:link(r1, h3, {ip = {"10.0.2.254/24", "10.0.2.1/24"}, bandwidth = "10Mbps",
                               delay = "5ms"})
  h1:route("default", "10.0.1.254")
  h2:route("default", "10.0.1.254")
  h3:route("default", "10.0.2.254")
  return {net = net, h1 = h1, h2 = h2, h3 = h3, r1 = r1, s1 = s1, link = l1, l4 = l4}
end

-- Everything print and io.write produce while fn runs, as lines.
local function capture(fn)
  local lines, partial = {}, ""
  local print0, write0 = _G.print, io.write
  _G.print = function(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    lines[#lines + 1] = partial .. table.concat(t, "\t")
    partial = ""
  end
  io.write = function(...)
    for _, s in ipairs({...}) do
      partial = partial .. tostring(s)
      while true do
        local line, rest = partial:match("^(.-)\n(.*)$")
        if not line then break end
        lines[#lines + 1] = line
        partial = rest
      end
    end
    return io.stdout
  end
  local ok, err = pcall(fn)
  _G.print, io.write = print0, write0
  if not ok then error(err, 0) end
  if partial ~= "" then lines[#lines + 1] = partial end
  return lines
end

-- Parse a line as the REPL does and run the command in a task until it
-- ends; its output as lines.
local function run(env, line, limit)
  local fn = commands.parse(line, env)
  expect(fn, "a command: " .. line):truthy()
  local net = env.net
  local t
  local lines = capture(function()
    t = net:spawn(function()
      fn()
      net:stop()
    end)
    net:run(limit or "60s")
  end)
  expect(t:error(), line):is_nil()
  expect(t:status(), line .. " finished"):eq("done")
  return lines
end

local function raises(env, line)
  local ok, err = pcall(commands.parse, line, env)
  expect(ok, line .. " raises"):falsy()
  return err
end

test("commands and Lua: which line is which", function(net)
  local env = setup(net)
  local cmds = {
    "help", "nodes", "net", "links", "dump", "pingall", "ss", "iperf",
    "help ping", "ping h1 h2", "h1 ping h2", "ping h1 10.0.2.1", "ping h1 h2 count=2",
    "ping h1 h2 -c 2", "h1 ping -c2 h3", "  ping   h1 h2  ", "ping h1 h2 &", "h1 ifconfig",
    "ifconfig h1", "ifconfig h1 eth0", "route h1", "h1 route", "arp h1", "maddr h1", "h1 maddr", "ss h1", "h2 ss",
    "netstat h1", "netstat h1 ^Icmp", "h1 netstat Ip%a+", "link h1 s1 down", "link s1 h1 up",
    "iperf h1 h3", "h1 iperf h3 seconds=1", "tcpdump h1", "h1 tcpdump", "tcpdump s1",
    "pingall count=2", "pingall timeout=200ms",
  }
  for _, line in ipairs(cmds) do
    local ok, fn = pcall(commands.parse, line, env)
    expect(ok and type(fn), line):eq("function")
  end
  local lua = {
    "", "   ", "h1", "net:run(\"1s\")", "net:run('1s')", "nodes()", "help()", "net.name",
    "ping = 3", "ping=3", "ping(h1)", "ping or 1", "net .name", "h1:ping(\"10.0.1.2\")",
    "h1.eth0", "h1 nodes", "h1 dump", "x = 1", "print(net)", "link",
    "for i = 1, 3 do print(i) end", "local ping = 1", "return net", "#net:nodes()",
    "-- ping h1 h2", "h9 ping h1", "pingall()", "dump = nil", "ss(h1)",
  }
  for _, line in ipairs(lua) do
    local ok, fn = pcall(commands.parse, line, env)
    expect(ok, line .. " does not raise"):truthy()
    expect(fn, line .. " is Lua"):is_nil()
  end
  -- a command word that needs arguments is a command (a usage error) when
  -- no global has its name, Lua when one has (two_hosts.lua's `link`)
  expect(raises({net = net}, "link")):eq("usage: link A B up|down")
  expect(raises(env, "ping")):matches("^usage: ping SRC DST")
  -- the node word can come from env under another name, or be a node's name
  local env2 = {net = net, client = env.h1}
  expect(type(commands.parse("client ping h2", env2))):eq("function")
  expect(type(commands.parse("ping h1 h2", {net = net}))):eq("function")
end)

test("errors name the command and what is allowed", function(net)
  local env = setup(net)
  expect(raises(env, "ping h9 h1")):eq("ping: no node named h9 (nodes: h1 h2 h3 r1 s1)")
  expect(raises(env, "ping h1")):eq("usage: ping SRC DST [count=3] [interval=1s] [size=56] [timeout=10s]")
  expect(raises(env, "ping h1 h2 h3")):matches("^usage: ping ")
  expect(raises(env, "ping h1 h2 foo=1")):eq('ping: option "foo" unknown (known: count, interval, size, timeout)')
  expect(raises(env, "ping h1 h2 count=x")):eq("ping: count=x: must be an integer in 1..1000000")
  expect(raises(env, "ping h1 h2 interval=3parsecs")):matches("^ping: interval=3parsecs: .*unit")
  expect(raises(env, "ping h1 h2 -x 1")):eq("ping: flag -x unknown (known: -W -c -i -s)")
  expect(raises(env, "ping s1 h1")):eq("ping: s1 is a switch (a host or router is needed here)")
  expect(raises(env, "ping h1 s1")):eq("ping: s1 is a switch: it has no address")
  expect(raises(env, "ping h1 10.0.0.300")):eq("ping: address 10.0.0.300: octet 300 out of range (0..255)")
  expect(raises(env, "nodes h1")):eq("usage: nodes")
  expect(raises(env, "dump count=1")):eq("dump: takes no options (usage: dump)")
  expect(raises(env, "link h1 r1 down")):eq("link: no link between h1 and r1")
  expect(raises(env, "link h1 s1 sideways")):eq("link: sideways unknown (use up or down)")
  expect(raises(env, "ifconfig h1 eth7")):eq("ifconfig: h1 has no interface eth7 (interfaces: eth0)")
  expect(raises(env, "netstat h1 [x")):matches("^netstat: pattern %[x: .*missing")
  expect(raises(env, "help frobnicate")):matches("^help: no command frobnicate %(commands: arp dump ")
  expect(raises(env, "tcpdump h1 tcp prt 80")):matches('^tcpdump: "tcp prt 80": .*syntax error')
end)

test("help and words", function(net)
  local env = setup(net)
  local words = commands.words()
  expect(words):eq({"arp", "dump", "help", "ifconfig", "iperf", "link", "links", "maddr", "net",
                    "netstat", "nodes", "ping", "pingall", "route", "ss", "tcpdump"})
  local text = commands.help_text()
  for _, w in ipairs(words) do
    expect(text, "help mentions " .. w):matches("\n  " .. w .. "[ \n]")
  end
  expect(text):contains("h1:ping(")
  expect(text):contains("docs/lua-api.md")
  for line in text:gmatch("[^\n]+") do expect(#line, line):le(80) end
  local lines = run(env, "help")
  expect(table.concat(lines, "\n") .. "\n"):eq(text)
  expect(run(env, "help ping")):eq({
    "usage: ping SRC DST [count=3] [interval=1s] [size=56] [timeout=10s]",
    "  like iputils ping; DST: a node or an address",
  })
end)

test("nodes, net, dump", function(net)
  local env = setup(net)
  expect(run(env, "nodes")):eq({"available nodes are: h1 h2 h3 r1 s1"})
  local links = {
    "h1-eth0<->s1-p1 (10 Mbit/s, 1 ms, queue 1000, up)",
    "h2-eth0<->s1-p2 (h2->s1: 100 Mbit/s, 1 ms, queue 1000, up; " ..
      "s1->h2: 100 Mbit/s, 3 ms, queue 50, up)",
    "s1-p3<->r1-eth0 (1 Gbit/s, 0 ms, queue 100, up)",
    "r1-eth1<->h3-eth0 (10 Mbit/s, 5 ms, queue 1000, up)",
  }
  expect(run(env, "net")):eq(links)
  expect(run(env, "links")):eq(links)
  env.l4:set{loss = "1%", ab = {jitter = "2ms"}}
  env.l4:down("ba")
  expect(run(env, "net")[4]):eq("r1-eth1<->h3-eth0 (r1->h3: 10 Mbit/s, 5 ms, jitter 2 ms, loss 1%, " ..
                                "queue 1000, up; h3->r1: 10 Mbit/s, 5 ms, loss 1%, queue 1000, down)")
  expect(run(env, "dump")):eq({
    "<Host h1: eth0:10.0.1.1/24 02:00:00:00:00:01>",
    "<Host h2: eth0:10.0.1.2/24 02:00:00:00:00:02>",
    "<Host h3: eth0:10.0.2.1/24 02:00:00:00:00:05>",
    "<Router r1: eth0:10.0.1.254/24 02:00:00:00:00:03, eth1:10.0.2.254/24 02:00:00:00:00:04>",
    "<Switch s1: 3 ports>",
  })
end)

test("ping: from a node to a node or an address, options, Mininet's order", function(net)
  local env = setup(net)
  expect(run(env, "ping h1 h2")):eq({
    "PING 10.0.1.2 (10.0.1.2) 56(84) bytes of data.",
    "64 bytes from 10.0.1.2: icmp_seq=1 ttl=64 time=12.3 ms",   -- ARP first
    "64 bytes from 10.0.1.2: icmp_seq=2 ttl=64 time=6.17 ms",   -- 1 + 3 + 1 + 1 ms, and
    "64 bytes from 10.0.1.2: icmp_seq=3 ttl=64 time=6.17 ms",   -- 98 bytes at 10 Mbit/s
    "",
    "--- 10.0.1.2 ping statistics ---",
    "3 packets transmitted, 3 received, 0% packet loss, time 2000ms",
    "rtt min/avg/max/mdev = 6.172/8.208/12.278/2.878 ms",
  })
  local t0 = net:now()
  local lines = run(env, "h1 ping 10.0.2.1 count=2 interval=200ms size=100")
  expect(lines[1]):eq("PING 10.0.2.1 (10.0.2.1) 100(128) bytes of data.")
  expect(lines[3]):matches("^108 bytes from 10.0.2.1: icmp_seq=2 ttl=63 time=")
  expect(lines[#lines - 1]):matches("^2 packets transmitted, 2 received, 0%% packet loss, time 200ms$")
  expect(net:now() - t0):lt(lunet.time("1s"))
  lines = run(env, "ping h3 h1 -c 1")
  expect(lines[2]):matches("^64 bytes from 10.0.1.1: icmp_seq=1 ttl=63 time=")
end)

test("ifconfig, route, arp, ss, netstat", function(net)
  local env = setup(net)
  run(env, "ping h1 h2 count=1")
  expect(run(env, "ifconfig h1")):eq({
    "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500",
    "        inet 10.0.1.1  netmask 255.255.255.0  broadcast 10.0.1.255",
    "        ether 02:00:00:00:00:01  (Ethernet)",
    "        RX packets 2  bytes 158 (158.0 B)",
    "        RX errors 0  dropped 0",
    "        TX packets 2  bytes 158 (158.0 B)",
    "        TX errors 0  dropped 0",
  })
  local r1 = run(env, "r1 ifconfig")
  expect(#r1):eq(15)                                   -- two interfaces, a blank line
  expect(r1[8]):eq("")
  expect(r1[9]):eq("eth1: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500")
  expect(run(env, "ifconfig r1 eth1")[2])
    :eq("        inet 10.0.2.254  netmask 255.255.255.0  broadcast 10.0.2.255")
  env.h2.eth0:down()
  expect(run(env, "ifconfig h2")[1]):eq("eth0: flags=4098<BROADCAST,MULTICAST>  mtu 1500")
  env.h2.eth0:up()
  env.l4:down()
  expect(run(env, "ifconfig h3")[1]):eq("eth0: flags=4099<UP,BROADCAST,MULTICAST>  mtu 1500")
  env.l4:up()

  env.h1:route("10.9.0.0/16", "10.0.1.2", {metric = 10})
  env.h1:route("10.8.0.0/16", {dev = "eth0"})
  expect(run(env, "route h1")):eq({
    "default via 10.0.1.254 dev eth0",
    "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1",
    "10.8.0.0/16 dev eth0 scope link",
    "10.9.0.0/16 via 10.0.1.2 dev eth0 metric 10",
  })
  env.h1:arp_set("10.0.1.9", "02:00:00:00:00:09", "eth0")
  expect(run(env, "arp h1")):eq({
    "10.0.1.2 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE",
    "10.0.1.9 dev eth0 lladdr 02:00:00:00:00:09 PERMANENT",
  })
  expect(run(env, "h1 netstat ^Icmp")):eq({
    "#kernel",
    "IcmpInEchoReps                  1",
    "IcmpInMsgs                      1",
    "IcmpOutEchos                    1",
    "IcmpOutMsgs                     1",
  })
  local all = run(env, "netstat h1")
  expect(all[1]):eq("#kernel")
  expect(all):contains("IpOutRequests                   1")
  expect(run(env, "maddr h1")):eq({"1:\teth0", "\tlink  01:00:5e:00:00:01", "\tinet  224.0.0.1"})
  local u1, u2 = env.h1:udp(), env.h1:udp()
  expect(u1:join("239.1.2.3")):eq(true)
  expect(u2:join("239.1.2.3")):eq(true)
  expect(run(env, "h1 maddr")):eq({
    "1:\teth0", "\tlink  01:00:5e:00:00:01", "\tlink  01:00:5e:01:02:03",
    "\tinet  224.0.0.1", "\tinet  239.1.2.3 users 2",
  })
  u1:close(); u2:close()

  local srv = env.h2:listen(80)
  expect(run(env, "ss h2")):eq({
    "Netid State      Recv-Q Send-Q Local Address:Port    Peer Address:Port     Timer",
    "tcp   LISTEN          0    128 0.0.0.0:80            0.0.0.0:*",
  })
  expect(run(env, "ss")):eq({
    "Node     Netid State      Recv-Q Send-Q Local Address:Port    Peer Address:Port     Timer",
    "h2       tcp   LISTEN          0    128 0.0.0.0:80            0.0.0.0:*",
  })
  srv:close()
end)

test("link down makes a ping fail, link up makes it work again", function(net)
  local env = setup(net)
  expect(run(env, "link h1 s1 down")):eq({"h1-eth0<->s1-p1 (10 Mbit/s, 1 ms, queue 1000, down)"})
  expect(env.link:is_up()):falsy()
  local lines = run(env, "ping h1 h2 count=1")
  expect(lines[2]):eq("From 10.0.1.1 icmp_seq=1 Destination Host Unreachable")
  expect(lines[5]):matches("^1 packets transmitted, 0 received, %+1 errors, 100%% packet loss")
  expect(run(env, "link s1 h1 up")):eq({"h1-eth0<->s1-p1 (10 Mbit/s, 1 ms, queue 1000, up)"})
  lines = run(env, "h1 ping h2 count=1")
  expect(lines[2]):matches("^64 bytes from 10.0.1.2: icmp_seq=1 ttl=64 time=")
  expect(lines[5]):matches("^1 packets transmitted, 1 received, 0%% packet loss")
end)

test("pingall: every ordered pair of hosts, X for no reply, in about one timeout", function(net)
  local env = setup(net)
  expect(run(env, "pingall")):eq({
    "*** Ping: testing ping reachability",
    "h1 -> h2 h3",
    "h2 -> h1 h3",
    "h3 -> h1 h2",
    "*** Results: 0% dropped (6/6 received)",
  })
  env.l4:down()
  local t0 = net:now()
  expect(run(env, "pingall")):eq({
    "*** Ping: testing ping reachability",
    "h1 -> h2 X",
    "h2 -> h1 X",
    "h3 -> X X",
    "*** Results: 66% dropped (2/6 received)",
  })
  -- all pairs at once: one timeout (1 s), not one per pair
  expect(net:now() - t0):within(lunet.time("1s"), lunet.time("1.1s"))
  t0 = net:now()
  expect(run(env, "pingall timeout=300ms")[5]):eq("*** Results: 66% dropped (2/6 received)")
  expect(net:now() - t0):within(lunet.time("300ms"), lunet.time("400ms"))
  env.l4:up()
  expect(run(env, "pingall count=2")[5]):eq("*** Results: 0% dropped (12/12 received)")
end)

test("iperf: a TCP transfer for a duration, both sides report", function(net)
  local env = setup(net)
  local t0 = net:now()
  local lines = run(env, "iperf h1 h3 seconds=2")
  expect(#lines):eq(4)
  expect(lines[1]):eq("*** Iperf: testing TCP bandwidth between h1 and h3 for 2s (port 5001)")
  expect(lines[2]):matches("^%[client h1%] 10%.0%.1%.1 %-> 10%.0%.2%.1:5001  0%.00%-2%.%d%d sec  " ..
                           "%d+%.%d%d MBytes  %d%.%d%d Mbits/sec  %d+ retrans$")
  expect(lines[3]):matches("^%[server h3%] 10%.0%.2%.1:5001 <%- 10%.0%.1%.1  0%.00%-2%.%d%d sec  " ..
                           "%d+%.%d%d MBytes  %d%.%d%d Mbits/sec$")
  expect(lines[4]):matches("^%*%*%* Results: %['%d%.%d%d Mbits/sec', '%d%.%d%d Mbits/sec'%]$")
  local rate = tonumber(lines[4]:match("'(%d+%.%d+) Mbits/sec'"))
  expect(rate):within(8.5, 10)                    -- a 10 Mbit/s bottleneck
  expect(net:now() - t0):within(lunet.time("2s"), lunet.time("3s"))
  -- the server's listener is closed; the client closed first (TIME_WAIT)
  for _, s in ipairs(env.h3:sockets("tcp")) do expect(s.state):ne("LISTEN") end
  local socks = env.h1:sockets("tcp")
  expect(#socks):eq(1)
  expect(socks[1].state):eq("TIME_WAIT")
  -- again, the other way round, the port free again
  lines = run(env, "h3 iperf h1 seconds=1 port=6000")
  expect(lines[1]):eq("*** Iperf: testing TCP bandwidth between h3 and h1 for 1s (port 6000)")
  expect(lines[2]):matches("^%[client h3%] 10%.0%.2%.1 %-> 10%.0%.1%.1:6000  0%.00%-1%.")
end)

test("iperf to a port nobody can listen on, and to an unreachable host", function(net)
  local env = setup(net)
  local busy = env.h3:listen(5001)
  local lines = run(env, "iperf h1 h3 seconds=1")
  expect(lines[2]):eq("iperf: server h3:5001: in use")
  busy:close()
  env.l4:down()
  lines = run(env, "iperf h1 h3 seconds=1")
  expect(lines[2]):eq("iperf: h1 -> 10.0.2.1:5001: host unreachable")   -- r1's ARP fails
  expect(#env.h3:sockets("tcp")):eq(0)          -- the server task was killed: no listener
end)

test("killing iperf or pingall (Ctrl-C) stops their helpers and frees the port", function(net)
  local env = setup(net)
  local t = net:spawn(commands.parse("iperf h1 h3 seconds=10", env))
  local lines = capture(function() net:run("2s") end)
  expect(lines):eq({"*** Iperf: testing TCP bandwidth between h1 and h3 for 10s (port 5001)"})
  expect(#env.h3:sockets("tcp")):eq(2)          -- the listener and the connection
  t:kill()
  net:run("1s")
  for _, s in ipairs(env.h3:sockets("tcp")) do
    expect(s.state, "h3's sockets after the kill"):ne("LISTEN")
    expect(s.state):ne("ESTABLISHED")
  end
  lines = run(env, "iperf h1 h3 seconds=1")
  expect(lines[4]):matches("^%*%*%* Results: ")

  env.l4:down()
  t = net:spawn(commands.parse("pingall count=3", env))
  capture(function() net:run("500ms") end)
  t:kill()
  local pings = 0
  net:on("tx", function(ev) if ev.proto == "icmp" then pings = pings + 1 end end)
  capture(function() net:run("2s") end)
  expect(pings, "no ping runs on after the kill"):eq(0)
end)

test("tcpdump: a line per frame until its task is killed", function(net)
  local env = setup(net)
  local fn = commands.parse("tcpdump h1", env)
  local t
  local lines = capture(function()
    t = net:spawn(fn)
    net:run("1s")
    env.h1:spawn(function() env.h1:ping("10.0.1.2", {count = 1, quiet = true}) end)
    net:run("1s")
    t:kill()
    env.h1:spawn(function() env.h1:ping("10.0.1.2", {count = 1, quiet = true}) end)
    net:run("1s")
  end)
  expect(t:status()):eq("killed")
  expect(lines):eq({
    "tcpdump: listening on h1 (eth0), link-type EN10MB (Ethernet)",
    "1.000000 eth0 Out ARP, Request who-has 10.0.1.2 tell 10.0.1.1",
    "1.006105 eth0 In  ARP, Reply 10.0.1.2 is-at 02:00:00:00:00:02",
    "1.006105 eth0 Out IP 10.0.1.1 > 10.0.1.2: ICMP echo request, id 1, seq 1, length 64",
    "1.012278 eth0 In  IP 10.0.1.2 > 10.0.1.1: ICMP echo reply, id 1, seq 1, length 64",
    "4 packets captured",
  })
end)

test("tcpdump on a switch, and `h1 tcpdump` typed the other way round", function(net)
  local env = setup(net)
  local t1 = net:spawn(commands.parse("tcpdump s1", env))
  local t2 = net:spawn(commands.parse("h3 tcpdump", env))
  local lines = capture(function()
    env.h1:spawn(function() env.h1:ping("10.0.2.1", {count = 1, quiet = true}) end)
    net:run("1s")
    t1:kill()
    t2:kill()
  end)
  expect(lines[1]):eq("tcpdump: listening on s1 (3 ports), link-type EN10MB (Ethernet)")
  expect(lines[2]):eq("tcpdump: listening on h3 (eth0), link-type EN10MB (Ethernet)")
  expect(lines[3]):eq("0.001048 p1 In  ARP, Request who-has 10.0.1.254 tell 10.0.1.1")
  local s1, h3 = 0, 0
  for _, l in ipairs(lines) do
    if l:match(" p%d ") then s1 = s1 + 1 end
    if l:match(" eth0 ") then h3 = h3 + 1 end
  end
  expect(lines):contains(s1 .. " packets captured")
  expect(lines):contains(h3 .. " packets captured")
  expect(h3):eq(4)                -- ARP request and reply, echo request and reply
end)

test("tcpdump waits without a timer: the network can go idle", function(net)
  local env = setup(net)
  local t = net:spawn(commands.parse("tcpdump h2", env))
  local lines = capture(function()
    env.h1:spawn(function() env.h1:ping("10.0.1.2", {count = 2, quiet = true}) end)
    net:run()                     -- returns: tcpdump is left, and it has no timer
  end)
  expect(t:status()):eq("blocked")
  expect(net:next_event()):is_nil()
  local echoes = 0
  for _, l in ipairs(lines) do if l:match(" ICMP echo ") then echoes = echoes + 1 end end
  expect(echoes):eq(4)
  -- its ICMP socket does not take the identifier a ping of that host gets
  lines = capture(function()
    local p = net:spawn(commands.parse("ping h2 h1 count=1", env))
    net:run()
    expect(p:status()):eq("done")
  end)
  local req
  for _, l in ipairs(lines) do req = req or l:match("Out IP 10%.0%.1%.2 > 10%.0%.1%.1: ICMP echo request, id %d+") end
  expect(req):eq("Out IP 10.0.1.2 > 10.0.1.1: ICMP echo request, id 1")
  capture(function() t:kill() end)
end)

test("tcpdump with a filter: only the frames it matches", function(net)
  local env = setup(net)
  local t = net:spawn(commands.parse("tcpdump h1 icmp[icmptype] == icmp-echoreply", env))
  local lines = capture(function()
    env.h1:spawn(function() env.h1:ping("10.0.1.2", {count = 2, quiet = true}) end)
    net:run("3s")
    t:kill()
  end)
  expect(#lines):eq(4)
  expect(lines[2]):matches("^0%.%d+ eth0 In  IP 10%.0%.1%.2 > 10%.0%.1%.1: ICMP echo reply, id 1, seq 1,")
  expect(lines[3]):matches("ICMP echo reply, id 1, seq 2,")
  expect(lines[4]):eq("2 packets captured")
end)
