-- errors.lua - what a split run refuses, with what to do instead; run on
-- 2 ranks by tests/mpi/errors.sh.  Prints "ok ..." per check, on rank 0.
local function raises(what, f, want)
  local ok, err = pcall(f)
  assert(not ok, what .. ": no error")
  assert(tostring(err):find(want, 1, true), what .. ": got " .. tostring(err))
  return err
end
local rank = 0

-- a link between ranks with no min_delay
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms"})
  rank = net:rank()
  raises("parts beyond the ranks", function() net:partition{{a}, {b}, {}} end, "3 parts for 2 ranks")
  raises("a node placed twice", function() net:partition{{a, b}, {b}} end, "b is in parts 1 and 2")
  raises("a node left out", function() net:partition{{a}} end, "node b is in no part")
  net:partition{{a}, {b}}
  raises("cut without min_delay", function() net:run("1s") end,
         "joins ranks 0 and 1 but its a->b direction declares no min_delay")
  if rank == 0 then print("ok   a cut link without min_delay is refused, naming it") end
end

-- a capture of a link between ranks; net:step
do
  local net = lunet.net{seed = 1, }
  local a, b = net:host("a"), net:host("b")
  local l = net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  local dir = os.tmpname()
  os.remove(dir)
  net:capture{link = l, file = dir .. ".pcap"}
  raises("cut link capture", function() net:run("10ms") end,
         "joins two ranks of this split run, and neither sees both directions")
  os.remove(dir .. ".pcap.rank0.part")
  os.remove(dir .. ".pcap.rank1.part")
  raises("net:step", function() net:step() end, "not in a ranked run")
  if rank == 0 then print("ok   a link between ranks cannot be captured whole; net:step says to use net:run") end
end

-- a topology that grows after the split
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  net:run("10ms")
  local c = net:host("c")
  net:link(b, c, {ip = {"10.0.1.1/24", "10.0.1.2/24"}, delay = "1ms", min_delay = "1ms"})
  raises("grown topology", function() net:run("10ms") end, "added after the network was split")
  if rank == 0 then print("ok   nodes added after the split are refused") end
end

-- a network task (it runs on every rank) driving a host of another rank
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  local err
  net:spawn(function()
    local ok, e = pcall(function() return b:netstat() end)
    if not ok then err = e end
  end)
  net:run("10ms")
  if net:owns(b) then
    assert(not err, "b's own rank drives it: " .. tostring(err))
  else
    assert(err and tostring(err):find("b runs on rank 1, this is rank 0", 1, true), tostring(err))
  end
  if rank == 0 then print("ok   a network task cannot drive another rank's host") end
end

-- Handles of another rank's actors between runs (the network split): a
-- stale read raises, naming the host, its rank and the guard; what
-- describes the topology works on every rank.  Each rank checks its
-- peer's host: mine is this rank's, theirs the other's.
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  local s = net:switch("s")
  local l = net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  net:link(b, s, {ip = {"10.0.1.2/24"}, delay = "1ms", min_delay = "1ms"})
  net:link(a, net:host("c"), {ip = {"10.0.2.1/24", "10.0.2.2/24"}, delay = "1ms"})
  net:partition{{a, net:node("c")}, {b, s}}
  -- made at the top level before the split, on every rank: sockets and tasks
  local u = b:udp()
  assert(u:bind(5000))
  local t = b:tcp()
  local ic = b:icmp_socket()
  local tb = b:spawn(function() lunet.sleep("5ms"); return 7 end)
  a:spawn(function() a:ping("10.0.0.2", {count = 3, interval = "10ms", quiet = true}) end)
  net:run("100ms")
  local mine, theirs = a, b
  if not net:owns(a) then mine, theirs = b, a end
  local other = 1 - rank
  local where = ("%s runs on rank %d, this is rank %d"):format(theirs.name, other, rank)
  local guard = ("net:owns(%s)"):format(theirs.name)
  for what, f in pairs{
    ["n:netstat"] = function() return theirs:netstat() end,
    ["n:drops"] = function() return theirs:drops() end,
    ["n:arp"] = function() return theirs:arp() end,
    ["n:routes"] = function() return theirs:routes() end,
    ["n:sysctl"] = function() return theirs:sysctl("net.ipv4.tcp_sack") end,
    ["n:sockets"] = function() return theirs:sockets() end,
    ["n:firewall_rules"] = function() return theirs:firewall_rules() end,
    ["n:inject"] = function() return theirs:inject({ip = {dst = "10.0.0.9"}, udp = {dstport = 9}}) end,
    ["iface:stats"] = function() return theirs.eth0:stats() end,
    ["iface:is_up"] = function() return theirs.eth0:is_up() end,
  } do
    local err = raises(what, f, where)
    assert(tostring(err):find(guard, 1, true), what .. ": no guard in " .. tostring(err))
  end
  -- ... and on this rank's own host, the same reads work
  assert(mine:netstat().IcmpInEchoReps or mine:netstat().IcmpInEchos)
  assert(mine.eth0:stats().rx_packets > 0)
  if rank == 0 then print("ok   another rank's host: its state raises between runs, naming the guard") end

  -- the topology reads the same everywhere
  assert(theirs.name and theirs.eth0.mac and theirs.eth0.name == "eth0")
  assert(theirs:addr() and theirs:ip() and theirs.eth0:addr() and theirs.eth0:mtu() == 1500)
  assert(#theirs:ifaces() >= 2 and theirs:iface("eth0") == theirs.eth0)
  assert(theirs.is_router == false and theirs:forwarding() == false)
  assert(theirs:sysctl("net.ipv4.ip_forward") == 0)
  assert(tostring(theirs):find(theirs.name, 1, true))
  assert(theirs.eth0:link() == l and s:ports() == 1 and s.name == "s" and tostring(s))
  if rank == 0 then print("ok   another rank's host: what describes the topology works on every rank") end

  -- sockets, tasks and switches of another rank's actor
  if net:owns(b) then
    assert(u:getsockname() == "0.0.0.0" and t:state() == "CLOSED" and tb:result() == 7)
    assert(s:stats().rx == 0 and #s:fdb() == 0)
  else
    raises("UdpSocket:getsockname", function() return u:getsockname() end, "b runs on rank 1, this is rank 0")
    raises("UdpSocket:sendto", function() return u:sendto("x", "10.0.0.1", 9) end, "b runs on rank 1")
    raises("TcpSocket:state", function() return t:state() end, "b runs on rank 1, this is rank 0")
    raises("TcpSocket:info", function() return t:info() end, "b runs on rank 1")
    raises("IcmpSocket:echo", function() return ic:echo("10.0.0.1") end, "b runs on rank 1")
    raises("IcmpSocket.pending", function() return ic.pending end, "b runs on rank 1")
    raises("node:icmp_socket", function() return b:icmp_socket() end, "b runs on rank 1")
    raises("Task:done", function() return tb:done() end, "b runs on rank 1, this is rank 0")
    raises("switch:stats", function() return s:stats() end, "s runs on rank 1, this is rank 0")
    raises("switch:fdb", function() return s:fdb() end, "net:owns(s)")
    assert(tostring(u) == "lunet.UdpSocket(b, on rank 1)", tostring(u))
    assert(tostring(t) == "lunet.TcpSocket(b, on rank 1)", tostring(t))
    assert(tostring(tb) == "lunet.Task(b, on rank 1)", tostring(tb))
    assert(ic.id and tb:node() == b)
  end
  -- closing, and what the script changes, stay every rank's at the top level
  u:close(); t:close(); ic:close()
  theirs:route("10.9.0.0/16", theirs == a and "10.0.0.2" or "10.0.0.1")
  theirs:sysctl("net.ipv4.tcp_sack", 0)
  theirs.eth0:promisc(true)
  if rank == 0 then print("ok   sockets, tasks and switches of another rank raise; closing and settings work") end

  -- in a task (it runs on one rank): the topology reads, a cut link can be
  -- neither read nor changed, and an address or an MTU changes only from
  -- the top level, even on the host's own rank
  local errs = {}
  mine:spawn(function()
    local ok, e = pcall(function() return l:stats() end)
    errs.stats = not ok and e
    ok, e = pcall(function() return l:set{loss = 0.1} end)
    errs.set = not ok and e
    ok, e = pcall(function() return l:down("ab") end)
    errs.down = not ok and e
    ok, e = pcall(function() return mine:addr("eth0", "10.0.0.7/24") end)
    errs.addr = not ok and e
    ok, e = pcall(function() return mine.eth0:mtu(1400) end)
    errs.mtu = not ok and e
    ok, e = pcall(function() return theirs:route("10.8.0.0/16", "10.0.0.9") end)
    errs.route = not ok and e
    errs.desc = theirs:addr() and theirs.eth0:mtu() and tostring(l)
  end)
  -- the script changes the cut link between runs, on every rank
  l:set{loss = 0.01}
  l:down("ba")
  l:up("ba")
  net:run("10ms")
  assert(errs.desc, "describing works in a task")
  for k, want in pairs{stats = "joins ranks 0 and 1: while the network runs each rank has only the halves",
                       set = "joins ranks 0 and 1: while the network runs a link changes only on a rank that runs both",
                       down = "joins ranks 0 and 1", addr = "change only from the script's top level",
                       mtu = "change only from the script's top level", route = where} do
    assert(errs[k] and tostring(errs[k]):find(want, 1, true), k .. ": " .. tostring(errs[k]))
  end
  assert(l:get("ab").loss == 0.01 and l:is_up("ba"), "the settings of the cut link agree")
  if rank == 0 then print("ok   in a task a cut link, an address, an MTU raise; the top level changes the link") end
end

-- a link cut between the ranks reads the same on both between runs: each
-- writes its view, and the next run is the barrier before rank 0 reads both
do
  local dir = assert(arg[1], "usage: errors.lua TMPDIR")
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  local l = net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms",
                            loss = 0.2})
  net:partition{{a}, {b}}
  a:spawn(function() a:ping("10.0.0.2", {count = 20, interval = "5ms", quiet = true}) end)
  net:run("150ms")
  local st = l:stats()
  assert(st.ab.delivered > 0 and st.ba.delivered > 0 and st.ab.dropped_loss > 0, "both halves counted")
  local f = assert(io.open(("%s/link.rank%d"):format(dir, rank), "w"))
  for _, d in ipairs({"ab", "ba"}) do
    local ks = {}
    for k in pairs(st[d]) do ks[#ks + 1] = k end
    table.sort(ks)
    for _, k in ipairs(ks) do f:write(d, ".", k, " ", tostring(st[d][k]), "\n") end
  end
  f:close()
  net:run("1ms")
  local function slurp(p) local h = assert(io.open(p)); local x = h:read("a"); h:close(); return x end
  local r0, r1 = slurp(dir .. "/link.rank0"), slurp(dir .. "/link.rank1")
  assert(r0 == r1, "the cut link reads otherwise on the two ranks:\n" .. r0 .. "\n--\n" .. r1)
  if rank == 0 then print("ok   a cut link reads the same on both ranks between runs") end
end

-- a link between ranks made after the split has no lookahead
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  net:partition{{a}, {b}}
  net:run("1ms")
  raises("late cut link", function() net:link(a, b, {delay = "1ms", min_delay = "1ms"}) end,
         "its ends run on ranks 0 and 1, and the network is split already")
  if rank == 0 then print("ok   a link between ranks made after the split is refused") end
end
