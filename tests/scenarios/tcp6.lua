-- tcp6.lua - TCP and UDP over IPv6 with the same sockets: a transfer with
-- loss arriving intact, a listener on :: taking both families and V6ONLY
-- refusing IPv4, UDP echo and port unreachable, Packet Too Big in the
-- middle of a transfer, SYN cookies under a flood, TIME_WAIT, names that
-- resolve to AAAA; every capture read by tshark without a malformed frame
-- or a bad checksum (skipped with a reason without tshark).
--
--   h1 2001:db8:1::1 10.0.1.1 -- r -- 10.0.2.1 2001:db8:2::1 h2
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local ts = dofile(here .. "../lib/tshark.lua")
local q, sh = ts.q, ts.sh

local H1, H2 = "2001:db8:1::1", "2001:db8:2::1"

local function dual(net, opts)
  opts = opts or {}
  local t = {}
  t.h1, t.r, t.h2 = net:host("h1"), net:router("r"), net:host("h2")
  t.l1 = net:link(t.h1, t.r, {delay = "5ms", bandwidth = "100Mbps", loss = opts.loss})
  t.l2 = net:link(t.r, t.h2, {delay = "5ms", bandwidth = "100Mbps"})
  t.h1.eth0:addr("10.0.1.1/24")
  t.r.eth0:addr("10.0.1.254/24")
  t.r.eth1:addr("10.0.2.254/24")
  t.h2.eth0:addr("10.0.2.1/24")
  t.h1:gateway("10.0.1.254")
  t.h2:gateway("10.0.2.254")
  t.h1:addr6(H1 .. "/64")
  t.r:addr6("eth0", "2001:db8:1::ffff/64")
  t.r:addr6("eth1", "2001:db8:2::ffff/64")
  t.h2:addr6(H2 .. "/64")
  t.h1:gateway("2001:db8:1::ffff")
  t.h2:gateway("2001:db8:2::ffff")
  if opts.mtu then t.r.eth1:mtu(opts.mtu); t.h2.eth0:mtu(opts.mtu) end
  return t
end

-- Every address past DAD.
local function settle(net) net:run("3s") end

-- Captures of both hosts, scanned by tshark at the end of the test.
local FILTER_FIELDS = {"frame.number", "_ws.malformed", "tcp.checksum.status", "udp.checksum.status",
                       "icmpv6.checksum.status", "icmpv6.type"}
local PREFS = "-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"

local function captures(net, t, tag)
  if not ts.have() then return nil end
  local base = os.tmpname()
  os.remove(base)
  local dir = lunet.pcap_dir .. "/tcp6-" .. base:match("[^/]+$")
  assert(os.execute("mkdir -p " .. q(dir)))
  local caps = {}
  for _, h in ipairs({t.h1, t.h2}) do
    caps[#caps + 1] = net:capture{iface = h.eth0, file = string.format("%s/%s-%s.pcap", dir, tag, h.name)}
  end
  return {dir = dir, caps = caps}
end

-- tshark reads every frame and flags none (malformed, bad checksum).
local function expect_clean(c, want)
  if not c then return end
  local seen = {}
  for _, cap in ipairs(c.caps) do
    cap:close()
    local args = {}
    for _, f in ipairs(FILTER_FIELDS) do args[#args + 1] = "-e " .. f end
    local out, ok = sh(string.format("tshark -r %s %s -T fields -E separator=/t -E occurrence=a %s 2>/dev/null",
                                     q(cap.path), PREFS, table.concat(args, " ")))
    expect(ok, "tshark on " .. cap.path):truthy()
    local n, bad = 0, {}
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      local v = {}
      for x in (line .. "\t"):gmatch("([^\t]*)\t") do v[#v + 1] = x end
      if v[2] ~= "" then bad[#bad + 1] = "frame " .. v[1] .. " malformed" end
      -- An ICMPv6 error quotes the start of a segment: tshark sums the
      -- quoted part as if it were the whole one and calls that bad; the
      -- ICMPv6 checksum covers the quote, and that one must be right.
      local first = (v[6] or "") ~= "" and 5 or 3
      for i = first, 5 do
        if (v[i] or ""):match("^0") or (v[i] or ""):match(",0") then
          bad[#bad + 1] = "frame " .. v[1] .. " bad " .. FILTER_FIELDS[i]
        end
      end
    end
    expect(n, cap.path .. ": frames tshark read"):eq(cap:count())
    expect(table.concat(bad, "; "), cap.path .. ": frames tshark flags"):eq("")
    -- what tshark calls the frames, to check the capture shows what the test says
    local proto = sh(string.format("tshark -r %s -T fields -e _ws.col.Protocol 2>/dev/null", q(cap.path)))
    for p in proto:gmatch("[^\n]+") do seen[p] = true end
    os.remove(cap.path)
  end
  os.remove(c.dir)
  for _, p in ipairs(want or {}) do expect(seen[p], "tshark shows " .. p):truthy() end
end

test("a TCP transfer over IPv6 with loss arrives intact, MSS 1440 at MTU 1500", function(net)
  local t = dual(net, {loss = 0.02})
  settle(net)
  local c = captures(net, t, "loss")
  local BYTES = 300000
  local sr, serr
  t.h2:spawn(function() sr, serr = t.h2:sink(80, {quiet = true, addr = "::"}) end)
  local r, err
  t.h1:spawn(function()
    lunet.sleep("1ms")
    r, err = t.h1:bulk_send(H2, 80, {bytes = BYTES, quiet = true})
  end)
  net:run("60s")
  expect(err, "bulk_send error"):is_nil()
  expect(serr, "sink error"):is_nil()
  expect(sr.bytes):eq(BYTES)
  -- the stack's generated pattern: byte i is i % 256
  local pat = {}
  for i = 0, 255 do pat[#pat + 1] = string.char(i) end
  pat = table.concat(pat)
  local want = lunet.hash(pat:rep(BYTES // 256) .. pat:sub(1, BYTES % 256))
  expect(sr.hash, "hash of what arrived"):eq(want)
  expect(r.retrans, "the loss cost retransmissions"):gt(0)
  expect(r.info.family):eq("inet6")
  -- 1500 - 40 (IPv6) - 20 (TCP) = 1440 announced, less the 12 bytes of
  -- timestamps on every segment (tp->advmss)
  expect(r.info.adv_mss, "ip6_default_advmss: MTU - 60, less TS"):eq(1428)
  expect(r.info.mss, "payload per segment with TS"):eq(1428)
  expect(r.info["local"]:match("^%[2001:db8:1::1%]:%d+$"), r.info["local"]):truthy()
  expect(r.info.remote, "ss form"):eq("[2001:db8:2::1]:80")
  expect_clean(c, {"TCP"})
end)

test("a listener on :: takes IPv4 and IPv6; V6ONLY refuses IPv4", function(net)
  local t = dual(net)
  settle(net)
  local c = captures(net, t, "dual")
  local peers = {}
  local l = t.h2:listen(7, {addr = "::"})
  expect(tostring(l)):eq("lunet.TcpSocket(h2, [::]:7, LISTEN)")
  local l6 = t.h2:listen(9, {addr = "::", v6only = true})
  t.h2:spawn(function()
    for _ = 1, 2 do
      local s = l:accept()
      peers[#peers + 1] = (s:getpeername())
      s:send(s:info().family)
      s:close()
    end
  end)
  local got = {}
  t.h1:spawn(function()
    for _, dst in ipairs({H2, "10.0.2.1"}) do
      local s, err = t.h1:connect(dst, 7)
      expect(err, "connect to " .. dst):is_nil()
      got[#got + 1] = s:receive("*a")
      s:close()
    end
    local s6, e6 = t.h1:connect(H2, 9)
    expect(e6, "IPv6 to the V6ONLY listener"):is_nil()
    if s6 then s6:close() end
    local s4, e4 = t.h1:connect("10.0.2.1", 9)
    expect(s4, "IPv4 to the V6ONLY listener"):is_nil()
    expect(e4):eq("refused")
  end)
  net:run("5s")
  expect(got[1], "an IPv6 child"):eq("inet6")
  expect(got[2], "an IPv4 child of the :: listener"):eq("inet")
  expect(peers[1]):eq(H1)
  expect(peers[2], "IPv4 peers show as IPv4"):eq("10.0.1.1")
  l:close()
  l6:close()
  expect_clean(c, {"TCP"})
end)

test("bind rules across the families, as Linux's inet_bind_conflict", function(net)
  local t = dual(net)
  settle(net)
  local h = t.h2
  local function bind(addr, port, opts)
    local s = h:tcp(opts)
    local ok, err = s:bind(addr, port)
    return ok and s or nil, err
  end
  local a = assert(bind("::", 100))
  expect(select(2, bind("0.0.0.0", 100)), ":: without V6ONLY holds IPv4 too"):eq("in use")
  expect(select(2, bind("10.0.2.1", 100)), "... every IPv4 address"):eq("in use")
  expect(select(2, bind(H2, 100)), "... and every IPv6 one"):eq("in use")
  a:close()
  local b = assert(bind("::", 101, {v6only = true}))
  expect(bind("0.0.0.0", 101), "V6ONLY leaves IPv4 free"):truthy()
  b:close()
  assert(bind(H2, 102))
  expect(bind("10.0.2.1", 102), "a specific IPv6 address and an IPv4 one"):truthy()
  assert(bind("10.0.2.1", 103))
  expect(bind(H2, 103), "the reverse too"):truthy()
  assert(bind(H2, 104))
  expect(select(2, bind("0.0.0.0", 104)), "but 0.0.0.0 overlaps a specific IPv6 address (Linux's asymmetry)")
    :eq("in use")
  expect(select(2, bind("2001:db8:9::1", 105)), "not ours"):eq("address not available")
  local ok, msg = pcall(function() return h:tcp():bind("::ffff:10.0.2.1", 106) end)
  expect(ok, "a mapped address is its IPv4 address"):truthy()
  expect(msg):truthy()
end)

test("UDP echo over IPv6, and a closed port's ICMPv6 error on a connected socket", function(net)
  local t = dual(net)
  settle(net)
  local c = captures(net, t, "udp")
  local srv = t.h2:udp()
  assert(srv:bind("::", 7777))
  t.h2:spawn(function()
    for _ = 1, 2 do
      local data, ip, port = srv:receivefrom()
      srv:sendto(data:gsub("ping", "PONG"), ip, port)
    end
  end)
  local replies, froms = {}, {}
  t.h1:spawn(function()
    local u = t.h1:udp()
    for _, dst in ipairs({H2, "10.0.2.1"}) do
      assert(u:sendto("ping " .. dst, dst, 7777))
      local d, ip = u:receivefrom({timeout = "1s"})
      replies[#replies + 1], froms[#froms + 1] = d, ip
    end
    local v = t.h1:udp()
    assert(v:connect(H2, 4444))
    expect(select(1, v:getpeername())):eq(H2)
    assert(v:send("anyone?"))
    lunet.sleep("100ms")
    local d, err = v:receive({timeout = "1s"})
    expect(d, "a connected socket gets the port unreachable"):is_nil()
    expect(err):eq("refused")
  end)
  net:run("5s")
  expect(replies[1]):eq("PONG " .. H2)
  expect(froms[1]):eq(H2)
  expect(replies[2], "the :: socket answers IPv4 too"):eq("PONG 10.0.2.1")
  expect(froms[2]):eq("10.0.2.1")
  expect(t.h2:netstat().UdpNoPorts):eq(1)
  expect(t.h2:netstat().Icmp6OutDestUnreachs, "an ICMPv6 port unreachable"):eq(1)
  srv:close()
  expect_clean(c, {"UDP", "ICMPv6"})
end)

test("Packet Too Big in the middle of a transfer lowers the MSS and the transfer completes", function(net)
  local t = dual(net)
  settle(net)
  local c = captures(net, t, "ptb")
  local BYTES = 200000
  local sr
  t.h2:spawn(function() sr = t.h2:sink(80, {quiet = true, addr = "::"}) end)
  local r, err
  local mss0
  t.h1:spawn(function()
    lunet.sleep("1ms")
    r, err = t.h1:bulk_send(H2, 80, {bytes = BYTES, quiet = true})
  end)
  -- the router's far link shrinks to IPv6's minimum once data flows
  t.h1:spawn(function()
    lunet.sleep("60ms")
    for _, x in ipairs(t.h1:sockets{proto = "tcp"}) do
      if x.state == "ESTABLISHED" then mss0 = true end
    end
    t.r.eth1:mtu(1280)
  end)
  net:run("30s")
  expect(mss0, "the connection was up before the MTU fell"):truthy()
  expect(err):is_nil()
  expect(sr.bytes):eq(BYTES)
  -- the minimum IPv6 MTU, 1280, less 60, less the timestamps
  expect(r.info.mss, "mss after Packet Too Big"):eq(1280 - 60 - 12)
  expect(t.h1:netstat().Icmp6InPktTooBigs, "Packet Too Big arrived"):gt(0)
  expect_clean(c, {"TCP", "ICMPv6"})
end)

test("the MSS from a 1280-byte IPv6 MTU is 1220", function(net)
  local t = dual(net, {mtu = 1280})
  settle(net)
  -- without timestamps tp->advmss is the announced MSS itself
  t.h2:sysctl("net.ipv4.tcp_timestamps", 0)
  local info, cinfo
  local l = t.h2:listen(22, {addr = "::"})
  t.h2:spawn(function()
    local s = l:accept()
    info = s:info()
  end)
  t.h1:spawn(function()
    local s = t.h1:connect(H2, 22)
    cinfo = s:info()
  end)
  net:run("2s")
  expect(info.adv_mss, "h2 over its 1280-byte link"):eq(1220)
  expect(cinfo.mss, "what h1 sends: the peer's 1220"):eq(1220)
end)

test("SYN cookies over IPv6 under a SYN flood", function(net)
  local t = dual(net)
  settle(net)
  -- h1 floods: its SYN-ACKs are lost on the way back, so 20 requests pile
  -- up in a SYN queue made for 4, and then h2 answers with cookies
  local ic = net:intercept{on = t.h1, dir = "in", filter = "ip6 and src port 80", action = "drop"}
  local l = t.h2:listen(80, {addr = "::", backlog = 4})
  for _ = 1, 20 do t.h1:spawn(function() t.h1:connect(H2, 80, {timeout = "2s"}) end) end
  net:run("500ms")
  expect(t.h2:netstat().TcpExtSyncookiesSent, "cookies sent under the flood"):gt(0)
  local halfopen = 0
  for _, x in ipairs(t.h2:sockets{proto = "tcp"}) do
    if x.state == "SYN_RCVD" and x.family == "inet6" then halfopen = halfopen + 1 end
  end
  expect(halfopen, "the SYN queue holds backlog + 1"):eq(5)
  ic:remove()
  local got
  t.h2:spawn(function()
    local s = l:accept()
    got = s:receive("*a")
    s:close()
  end)
  t.h1:spawn(function()
    local s, err = t.h1:connect(H2, 80)
    expect(err):is_nil()
    s:send("through a cookie")
    s:close()
  end)
  net:run("3s")
  expect(got):eq("through a cookie")
  expect(t.h2:netstat().TcpExtSyncookiesSent, "cookies sent"):gt(0)
  expect(t.h2:netstat().TcpExtSyncookiesRecv, "a cookie came back"):gt(0)
end)

test("TIME_WAIT over IPv6 holds the 4-tuple for 60 s", function(net)
  local t = dual(net)
  settle(net)
  local l = t.h2:listen(80, {addr = "::"})
  t.h2:spawn(function()
    local s = l:accept()
    s:receive("*a")
    s:close()
  end)
  t.h1:spawn(function()
    local s = t.h1:connect(H2, 80)
    s:close()
  end)
  net:run("2s")
  local tw = {}
  for _, x in ipairs(t.h1:sockets{proto = "tcp"}) do
    if x.state == "TIME_WAIT" then tw[#tw + 1] = x end
  end
  expect(#tw, "the active closer waits"):eq(1)
  expect(tw[1].proto, "ss's Netid"):eq("tcp")
  expect(tw[1].family):eq("inet6")
  expect(tw[1].remote):eq("[2001:db8:2::1]:80")
  net:run("61s")
  local left = 0
  for _, x in ipairs(t.h1:sockets{proto = "tcp"}) do
    if x.state == "TIME_WAIT" then left = left + 1 end
  end
  expect(left, "gone after 2 MSL"):eq(0)
end)

test("a name with only AAAA records resolves for h:connect", function(net)
  local t = dual(net)
  settle(net)
  t.h1:hosts{["web.example"] = {H2}}
  t.h2:echo_server(80, {addr = "::"})
  local got
  t.h1:spawn(function()
    local s, err = t.h1:connect("web.example", 80)
    expect(err):is_nil()
    s:send("hi")
    got = s:receive(2)
    s:close()
  end)
  net:run("2s")
  expect(got):eq("hi")
end)

test("HTTP and DNS over IPv6: a server on :: and a resolver asking an IPv6 nameserver", function(net)
  local t = dual(net)
  settle(net)
  local c = captures(net, t, "apps")
  t.h2:http_server(80, {addr = "::", routes = {["/"] = "hello over IPv6\n"}})
  t.h2:dns_server{addr = "::", zone = {["www.six"] = H2, ["www.four"] = "10.0.2.1"}}
  t.h1:dns_servers{H2}
  local r = {}
  t.h1:spawn(function()
    r.body, r.status = t.h1:http_get(H2, 80, "/")
    r.a6 = t.h1:resolve("www.six", {type = "AAAA"})
    r.body2 = t.h1:http_get("www.six", 80, "/")
    r.body4 = t.h1:http_get("www.four", 80, "/")
  end)
  net:run("5s")
  expect(r.status):eq(200)
  expect(r.body):eq("hello over IPv6\n")
  expect(r.a6, "AAAA from a nameserver reached over IPv6"):eq(H2)
  expect(r.body2, "a name with AAAA"):eq("hello over IPv6\n")
  expect(r.body4, "the same server over IPv4"):eq("hello over IPv6\n")
  expect_clean(c, {"HTTP", "DNS"})
end)
