-- api_roundtrip.lua - the Lua API's conventions (issue 8): a value read
-- back can be written back unchanged (a number read is in the unit a
-- number means when set: seconds, bit/s, bytes, 0..1), every socket takes
-- its timeout as {timeout = t}, and a bad argument is named the way
-- lauxlib's luaL_argerror names it, with lunet's name for the function.

local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function lab(net, opts)
  return lunet.topology(TOPO .. "two_hosts.lua", net, opts or {delay = "1ms"})
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

------------------------------------------------------------------------
-- a value read back can be written back
------------------------------------------------------------------------

-- Link configurations that between them give every option of link:get a
-- value other than its default, times that are not whole seconds
-- included, and each form of the queue limit.
local LINK_CFGS = {
  {name = "defaults", opts = {}},
  {name = "everything set", opts = {
    bandwidth = "10 Mbit/s", delay = "1.234567891s", jitter = "250us", loss = "1.5%",
    corrupt = "0.1%", duplicate = 0.02, reorder = "5%", reorder_delay = "3ms",
    queue = 50, mtu = 1400, up = false}},
  {name = "gilbert loss, byte queue", opts = {
    bandwidth = "64kbps", delay = 0.0205, loss = {model = "gilbert", p = 0.01, r = 0.3,
    loss_bad = 0.9, loss_good = 0.001}, queue = "64KB"}},
  {name = "no queue limit, per direction", opts = {
    queue = 0, ab = {delay = "7ms"}, ba = {delay = "11.5ms", bandwidth = 0}}},
  {name = "a byte limit by its own name", opts = {queue_bytes = 30000}},
}

test("link:get -> link:set, one option at a time, changes nothing", function(net)
  for i, c in ipairs(LINK_CFGS) do
    local a, b = net:host("a" .. i), net:host("b" .. i)
    local l = net:link(a, b, c.opts)
    for _, d in ipairs{"ab", "ba"} do
      local before = l:get(d)
      for _, k in ipairs(sorted_keys(before)) do
        l:set{[d] = {[k] = before[k]}}
        expect(l:get(d), c.name .. ": " .. d .. "." .. k .. " written back"):eq(before)
      end
    end
  end
end)

test("link:set(link:get()) changes nothing, for each direction", function(net)
  for i, c in ipairs(LINK_CFGS) do
    local a, b = net:host("a" .. i), net:host("b" .. i)
    local l = net:link(a, b, c.opts)
    local ab, ba = l:get("ab"), l:get("ba")
    l:set{ab = l:get("ab"), ba = l:get("ba")}
    expect(l:get("ab"), c.name .. ": ab"):eq(ab)
    expect(l:get("ba"), c.name .. ": ba"):eq(ba)
    l:set(l:get("ba"))                      -- both directions as ba
    expect(l:get("ab"), c.name .. ": ab as ba"):eq(ba)
  end
end)

test("link:get reads numbers in the units link:set takes them", function(net)
  local l = net:link(net:host("a"), net:host("b"),
                     {bandwidth = "10Mbit", delay = "5ms", jitter = "1s", loss = "1%",
                      reorder = "5%", reorder_delay = "2ms", queue = "64KB"})
  local c = l:get("ab")
  expect(c.bandwidth, "bit/s"):eq(10000000)
  expect(c.delay, "seconds"):eq(0.005)
  expect(c.jitter, "whole seconds"):eq(1)
  expect(math.type(c.jitter)):eq("integer")
  expect(c.reorder_delay):eq(0.002)
  expect(c.loss, "0..1"):near(0.01, 1e-12)
  expect(c.queue_bytes, "bytes"):eq(64000)
  expect(c.queue, "no packet limit with a byte limit"):is_nil()
  -- and they mean the same thing written back as numbers
  l:set{delay = c.delay * 2}
  expect(l:get("ab").delay):eq(0.01)
end)

-- Times that are not whole seconds, for the time-valued sysctl keys.
local ODD_TIME = "1.234567891s"

test("h:sysctl(k, h:sysctl(k)) changes nothing, for every key", function(net)
  local h = net:host("h")
  local r = net:router("r")
  for _, nd in ipairs{h, r} do
    local all = nd:sysctl()
    local keys = sorted_keys(all)
    expect(#keys > 40, "keys listed by h:sysctl()"):truthy()
    for _, k in ipairs(keys) do
      local v = nd:sysctl(k)
      expect(v, k .. ": h:sysctl(k) is h:sysctl()[k]"):eq(all[k])
      expect(nd:sysctl(k, v), k .. " written back"):eq(v)
    end
    expect(nd:sysctl(), nd.name .. ": all keys after writing each back"):eq(all)
    -- time keys, set to a time that is not whole seconds, read as a float
    -- number of seconds that writes back exactly
    for _, k in ipairs{"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_rto_min", "net.ipv4.tcp_msl",
                       "net.ipv4.neigh.default.retrans_time", "net.ipv4.ipfrag_time"} do
      local v = nd:sysctl(k, ODD_TIME)
      expect(v, k):eq(1.234567891)
      expect(lunet.time(v), k .. " in ns"):eq(1234567891)
      expect(nd:sysctl(k, v), k .. " written back"):eq(v)
      expect(lunet.time(nd:sysctl(k)), k .. " still exact"):eq(1234567891)
    end
  end
end)

test("sysctl times read in seconds: whole ones as integers, as Linux shows them", function(net)
  local h = net:host("h")
  for k, want in pairs{["net.ipv4.tcp_fin_timeout"] = 60, ["net.ipv4.tcp_keepalive_time"] = 7200,
                       ["net.ipv4.tcp_keepalive_intvl"] = 75, ["net.ipv4.tcp_msl"] = 30} do
    expect(h:sysctl(k), k):eq(want)
    expect(math.type(h:sysctl(k)), k):eq("integer")
  end
  expect(h:sysctl("net.ipv4.tcp_rto_min"), "200 ms"):eq(0.2)
  h:sysctl("net.ipv4.tcp_fin_timeout", 30)         -- a number is seconds
  expect(h:sysctl("net.ipv4.tcp_fin_timeout")):eq(30)
end)

test("socket options and switch aging read back what they take", function(net)
  local l = lab(net)
  local s = l.h1:tcp{keepidle = "90s", keepintvl = "2.5s", keepcnt = 4, nodelay = true}
  -- rcvbuf and sndbuf are left out: they read back doubled, as on Linux
  for _, k in ipairs{"nodelay", "reuseaddr", "keepalive", "keepidle", "keepintvl", "keepcnt",
                     "maxseg", "quickack", "linger0", "congestion"} do
    local v = s:getoption(k)
    expect(s:setoption(k, v), k):eq(true)
    expect(s:getoption(k), k .. " written back"):eq(v)
  end
  expect(s:getoption("keepidle"), "seconds"):eq(90)
  expect(s:getoption("keepintvl")):eq(2.5)
  s:close()
  local u = l.h1:udp{rcvbuf = 10000, ttl = 9}
  for _, k in ipairs{"broadcast", "reuseaddr", "rcvbuf", "ttl"} do
    local v = u:getoption(k)
    expect(u:setoption(k, v), k):eq(true)
    expect(u:getoption(k), k .. " written back"):eq(v)
  end
  u:close()
  local sw = net:switch("sw", {aging = "1.5s"})
  expect(sw:aging(), "seconds"):eq(1.5)
  expect(sw:aging(sw:aging())):eq(1.5)
  expect(sw:aging(300)):eq(300)
end)

------------------------------------------------------------------------
-- timeouts: {timeout = t} on every socket type
------------------------------------------------------------------------

test("every blocking socket call takes {timeout = t}", function(net)
  local l = lab(net, {delay = "1ms", loss = 1})   -- nothing gets through
  local got = run_task(net, l.h1, function()
    local out = {}
    local function timed(name, fn)
      local t0 = lunet.now()
      local r = table.pack(fn())
      out[#out + 1] = {name = name, err = r[2], took = lunet.now() - t0}
    end
    local srv = assert(l.h1:listen(9000))
    timed("TcpSocket:accept", function() return srv:accept({timeout = "1s"}) end)
    timed("TcpSocket:connect", function() return l.h1:tcp():connect(l.h2_ip, 80, {timeout = "1s"}) end)
    timed("node:connect", function() return l.h1:connect(l.h2_ip, 80, {timeout = "1s"}) end)
    local u = l.h1:udp()
    assert(u:bind(5000))
    timed("UdpSocket:receive", function() return u:receive({timeout = "1s"}) end)
    timed("UdpSocket:receivefrom", function() return u:receivefrom({timeout = 1}) end)
    local ic = l.h1:icmp_socket()
    timed("IcmpSocket:receive", function() return ic:receive({timeout = "1s"}) end)
    timed("IcmpSocket:receive (a bare time, as before)", function() return ic:receive("1s") end)
    -- a UDP send never waits, but takes the same table
    expect(u:sendto("x", l.h2_ip, 9, {timeout = "1s"})):eq(1)
    expect(function() u:sendto("x", l.h2_ip, 9, {timeout = "soon"}) end)
      :raises('UdpSocket:sendto: timeout "soon"')
    expect(function() u:sendto("x", l.h2_ip, 9, {timout = 1}) end)
      :raises('UdpSocket:sendto: option "timout" unknown %(known: timeout%)')
    srv:close()
    u:close()
    ic:close()
    return out
  end)
  for _, r in ipairs(got) do
    expect(r.err, r.name):eq("timeout")
    expect(r.took, r.name .. ": waited 1 s of virtual time"):eq(lunet.time("1s"))
  end
  expect(#got):eq(7)
end)

test("TcpSocket:send and :receive take {timeout = t} on a connection", function(net)
  local l = lab(net, {delay = "1ms", bandwidth = "1Mbps"})
  local srv = assert(l.h2:listen(9001, {rcvbuf = 4096}))
  l.h2:spawn(function() local c = srv:accept(); lunet.sleep("1h"); c:close() end)
  local r = run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 9001, {sndbuf = 4096}))
    local t0 = lunet.now()
    local _, rerr = s:receive(10, {timeout = "500ms"})
    local t1 = lunet.now()
    local _, serr = s:send(string.rep("x", 1000000), {timeout = "2s"})
    local t2 = lunet.now()
    s:abort()
    return {rerr, t1 - t0, serr, t2 - t1}
  end)
  expect(r[1]):eq("timeout")
  expect(r[2]):eq(lunet.time("500ms"))
  expect(r[3]):eq("timeout")
  expect(r[4]):eq(lunet.time("2s"))
end)

------------------------------------------------------------------------
-- argument errors: one helper, worded like luaL_argerror
------------------------------------------------------------------------

local function err_of(fn)
  local ok, e = pcall(fn)
  expect(ok, "should raise"):falsy()
  return (tostring(e):gsub("^[^:]*:%d+: ", ""))
end

test("bad arguments name the function and count as h:x(a) reads", function(net)
  local l = lab(net)
  local link, h = l.link, l.h1
  expect(err_of(function() link:get("xy") end))
    :eq([[bad argument #1 to 'link:get' (direction "xy" unknown (use "ab" or "ba"))]])
  expect(err_of(function() link:set(5) end))
    :eq("bad argument #1 to 'link:set' (table of options expected, got number)")
  -- called as a plain function, self is argument #1, as lauxlib counts
  local get = link.get
  expect(err_of(function() get(42) end))
    :eq("bad argument #1 to 'link:get' (lunet.Link expected, got number)")
  local fake = {get = link.get}
  expect(err_of(function() fake:get() end))
    :eq("calling 'link:get' on bad self (lunet.Link expected, got table)")
  expect(err_of(function() h:sysctl("net.ipv4.tcp_fin_timeout", -5) end))
    :eq("bad argument #2 to 'node:sysctl' (net.ipv4.tcp_fin_timeout -5: must not be negative " ..
        "(a number is taken in seconds))")
  expect(err_of(function() net:run("5 parsecs") end))
    :eq([[bad argument #1 to 'net:run' ("5 parsecs": unknown unit (use ns, us, ms, s, m, h))]])
  expect(err_of(function() h:spawn(5) end))
    :eq("bad argument #1 to 'node:spawn' (function expected, got number)")
  expect(err_of(function() net:link(h, 5) end))
    :eq("bad argument #2 to 'net:link' (B must be a Node, an Iface or a Switch, got number)")
  expect(err_of(function() h:tcp():bind(70000) end))
    :eq("bad argument #1 to 'TcpSocket:bind' (port 70000 out of range (0..65535))")
  expect(err_of(function() h:lookup("10.0.0.300") end))
    :matches([[^bad argument #1 to 'node:lookup' %(address "10.0.0.300": octet 300 out of range]])
  expect(err_of(function() lunet.rate("10Mbs") end)):matches("^bad argument #1 to 'lunet.rate'")
end)

test("a bad field of an options table names the field, not an argument", function(net)
  local l = lab(net)
  expect(err_of(function() l.link:set{delay = -5} end))
    :eq("link:set: delay -5: must not be negative (a number is taken in seconds)")
  expect(err_of(function() l.link:set{ab = {jitter = "2 fortnights"}} end))
    :matches('^link:set: ab: jitter "2 fortnights": unknown unit')
  expect(err_of(function() l.h1:tcp{keepidle = "5x"} end))
    :matches('^node:tcp: keepidle "5x": unknown unit')
  expect(err_of(function() l.h1:route("10.9.0.0/16", {dev = "eth9"}) end))
    :eq('node:route: dev: h1 has no interface "eth9" (has: eth0)')
  -- state errors stay what they are
  local closed = lunet.net{}
  local x = closed:host("x")
  closed:close()
  expect(err_of(function() x:sysctl("net.ipv4.tcp_msl") end)):eq("node:sysctl: the network is closed")
end)

test("units people write, and a number says which unit it was taken in", function(net)
  local a, b = net:host("a"), net:host("b")
  for _, bw in ipairs{"10Mbit", "10 Mbit/s", "10mbps", "10Mbps", "10mbit", 10000000} do
    local l = net:link(a, b, {bandwidth = bw})
    expect(l:get("ab").bandwidth, tostring(bw)):eq(10000000)
  end
  -- ns where seconds are meant: the range error shows the unit
  expect(err_of(function() net:link(a, b, {delay = 5000000}) end))
    :matches("delay 5000000s out of range")
  expect(err_of(function() net:link(a, b, {queue = 20, queue_bytes = 30000}) end))
    :matches("give queue or queue_bytes, not both")
  expect(err_of(function() net:link(a, b, {bandwidth = -1}) end))
    :matches("%(a number is taken in bit/s%)")
  expect(err_of(function() net:link(a, b, {queue = -1}) end))
    :matches("%(a number is taken in packets%)")
  expect(err_of(function() lunet.size(-1) end)):matches("%(a number is taken in bytes%)")
end)

test("every options table may be left out, lunet.net's included", function()
  -- lunet.net() once read its own new userdata as the options table
  local bare = lunet.net()
  local h = bare:host("h")
  expect(h.name):eq("h")
  expect(bare:now()):eq(0)
  bare:close()
  local named = lunet.net(nil)
  named:close()
end)
