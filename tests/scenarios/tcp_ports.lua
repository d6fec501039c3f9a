-- tcp_ports.lua - ephemeral ports as Linux hands them out (issue 15): a
-- port connect() chose is shared by connections to other destinations,
-- a destination's ports run out with "address not available", and a
-- port comes back when its connection is gone.

local function lan(net)
  local sw = net:switch("sw")
  local c, s1, s2 = net:host("c"), net:host("s1"), net:host("s2")
  net:link(c, sw, {ip = {"10.0.0.1/24"}})
  net:link(s1, sw, {ip = {"10.0.0.2/24"}})
  net:link(s2, sw, {ip = {"10.0.0.3/24"}})
  -- 200 ephemeral ports, so that running out takes 200 connections
  c:sysctl("net.ipv4.ip_local_port_range", {40000, 40199})
  for _, s in ipairs{s1, s2} do assert(s:listen(80, {backlog = 4096})) end
  return c, s1, s2
end

local function connect_all(c, dst, n)
  local socks, ports = {}, {}
  for i = 1, n do
    local s = c:tcp()
    local ok, err = s:try_connect(dst, 80)
    if not ok then return socks, ports, err, s end
    socks[i] = s
    ports[select(2, s:getsockname())] = true
  end
  return socks, ports
end

test("one destination's ports run out with 'address not available'", function(net)
  local c = lan(net)
  local socks, ports = connect_all(c, "10.0.0.2", 200)
  expect(#socks):eq(200)
  local distinct = 0
  for p in pairs(ports) do
    expect(p >= 40000 and p <= 40199, "port in range"):eq(true)
    distinct = distinct + 1
  end
  expect(distinct):eq(200)
  local s = c:tcp()
  local ok, err = s:try_connect("10.0.0.2", 80)
  expect(ok):eq(nil)
  expect(err):eq("address not available")
  net:run("1s")
  expect(#c:sockets()):eq(201)                   -- the 200 and the one that failed
  -- a connection gone (reset: no TIME_WAIT) gives its port back
  local freed = select(2, socks[7]:getsockname())
  socks[7]:abort()
  s = c:tcp()
  ok, err = s:try_connect("10.0.0.2", 80)
  expect(ok, err):eq(true)
  expect(select(2, s:getsockname())):eq(freed)
end)

test("ports connect() chose are shared with other destinations", function(net)
  local c = lan(net)
  local a = connect_all(c, "10.0.0.2", 200)
  local b, _, err = connect_all(c, "10.0.0.3", 200)
  expect(err):eq(nil)
  expect(#a + #b):eq(400)
  -- (ARP queues 101 packets per neighbour: the other SYNs go again at 1 s)
  net:run("3s")
  local est = 0
  for _, s in ipairs(a) do est = est + (s:state() == "ESTABLISHED" and 1 or 0) end
  for _, s in ipairs(b) do est = est + (s:state() == "ESTABLISHED" and 1 or 0) end
  expect(est):eq(400)
end)

test("a port bind() took is not shared", function(net)
  local c = lan(net)
  local fixed = c:tcp()
  assert(fixed:bind(40100))
  local socks, ports = connect_all(c, "10.0.0.2", 199)
  expect(#socks):eq(199)
  expect(ports[40100]):eq(nil)
  local _, err = c:tcp():try_connect("10.0.0.2", 80)
  expect(err):eq("address not available")
end)
