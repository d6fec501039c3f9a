-- units.lua - the unit parsers of the binding (lunet.time, rate, size,
-- prob, fmt_time) and the errors they give: what was wrong, and what is
-- allowed, with the script's file:line in front.

-- plain-text search: error messages are full of pattern characters
local function raises_plain(fn, text, label)
  local ok, err = pcall(fn)
  expect(ok, label or text):falsy()
  expect(tostring(err):find(text, 1, true) ~= nil,
         (label or text) .. ": got " .. tostring(err)):truthy()
end

-- parser(input) == want for each {input, want} of cases, in order; a
-- failure names the parser and the input.
local function parses(name, parser, cases)
  for _, c in ipairs(cases) do
    local arg = type(c[1]) == "string" and '"' .. c[1] .. '"' or tostring(c[1])
    expect(parser(c[1]), name .. "(" .. arg .. ")"):eq(c[2])
  end
end

test("time: units and numbers", function()
  parses("lunet.time", lunet.time, {
    {"1.2ms", 1200000}, {"20ns", 20}, {"250us", 250000}, {"1.5s", 1500000000},
    {"2m", 120 * 1000000000}, {"1h", 3600 * 1000000000}, {" 10 ms ", 10000000},
    {0.25, 250000000},                       -- a number is seconds
    {0, 0},
  })
  expect(math.type(lunet.time("1ms"))):eq("integer")
end)

test("time: errors say what is allowed", function()
  raises_plain(function() lunet.time("10xs") end,
               [[bad argument #1 to 'lunet.time' ("10xs": unknown unit (use ns, us, ms, s, m, h))]])
  raises_plain(function() lunet.time("10") end, [[to 'lunet.time' ("10": missing unit]])
  raises_plain(function() lunet.time("-1ms") end, "must not be negative")
  raises_plain(function() lunet.time(-1) end, "must not be negative")
  raises_plain(function() lunet.time("ms") end, "expected a number followed by a unit")
  raises_plain(function() lunet.time(true) end, "expected a time")
  raises_plain(function() lunet.time("1e30h") end, "too large")
end)

test("rate: prefix case is free, bps is required", function()
  parses("lunet.rate", lunet.rate, {
    {"10Mbps", 10000000}, {"10mbps", 10000000}, {"1Gbps", 1000000000}, {"64kbps", 64000},
    {"64Kbps", 64000}, {"9600bps", 9600}, {"1.5Tbps", 1500000000000}, {2400, 2400},
  })
  raises_plain(function() lunet.rate("10Mbs") end,
               [[to 'lunet.rate' ("10Mbs": unknown unit (use bps, kbps, Mbps, Gbps, Tbps, or Mbit, Mbit/s, ...))]])
  raises_plain(function() lunet.rate("10MBps") end, "unknown unit")
end)

test("rate: as tc writes it and as lunet prints it", function()
  parses("lunet.rate", lunet.rate, {
    {"10Mbit", 10000000}, {"10mbit", 10000000}, {"10 Mbit/s", 10000000},
    {"956.39 Mbit/s", 956390000}, {"64kbit", 64000}, {"1 Gbit/s", 1000000000}, {"9600bit", 9600},
  })
end)

test("a number where a unit is expected: errors say which unit it was taken in", function()
  raises_plain(function() lunet.time(-5) end, "must not be negative (a number is taken in seconds)")
  raises_plain(function() lunet.time(1e12) end, "too large (a number is taken in seconds)")
  raises_plain(function() lunet.rate(-1) end, "(a number is taken in bit/s)")
  raises_plain(function() lunet.size(-1) end, "(a number is taken in bytes)")
end)

test("size: decimal, binary, and packets only where packets make sense", function()
  parses("lunet.size", lunet.size, {
    {"1500B", 1500}, {"64KB", 64000}, {"1MiB", 1048576}, {"2GiB", 2 * 1024 * 1024 * 1024},
    {100, 100},
  })
  raises_plain(function() lunet.size("100p") end, "a packet count is not a size in bytes")
  raises_plain(function() lunet.size("1Kb") end,
               [[to 'lunet.size' ("1Kb": unknown unit (use B, KB, MB, GB, KiB, MiB, GiB))]])
end)

test("probability: percent or 0..1", function()
  expect(lunet.prob("1%")):near(0.01, 1e-12)
  expect(lunet.prob("0.5%")):near(0.005, 1e-12)
  expect(lunet.prob(0.25)):eq(0.25)
  raises_plain(function() lunet.prob(1.5) end, "out of range")
  raises_plain(function() lunet.prob("150%") end, "out of range")
  raises_plain(function() lunet.prob("0.1") end, 'expected a percentage like "1%"')
end)

test("fmt_time", function()
  parses("lunet.fmt_time", lunet.fmt_time, {
    {0, "0s"}, {20, "20ns"}, {1200000, "1.200ms"}, {3000200000, "3.000s"},
    {lunet.time("250us"), "250.000us"},
  })
end)

test("errors carry the script's position", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  local ok, err = pcall(function() net:link(h1, h2, { delay = "5 parsecs" }) end)
  expect(ok):falsy()
  expect(err):matches("^[^:]*units%.lua:%d+: link: delay")
end)

test("link options: unknown ones are named, with the known ones", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  raises_plain(function() net:link(h1, h2, { bandwith = "1Mbps" }) end,
    'link: option "bandwith" unknown (known: bandwidth, delay, jitter, loss, corrupt, ' ..
    'duplicate, reorder, reorder_delay, queue, queue_bytes, mtu, min_delay, up, ab, ba, ip)')
  raises_plain(function() net:link(h1, h2, { bandwidth = "10Mbs" }) end,
    'link: bandwidth "10Mbs": unknown unit (use bps, kbps, Mbps, Gbps, Tbps, or Mbit, Mbit/s, ...)')
  raises_plain(function() net:link(h1, h2, { ab = { delya = "1ms" } }) end,
    'link: ab: option "delya" unknown')
  raises_plain(function() net:link(h1, h2, { loss = "2" }) end, 'link: loss "2"')
  -- nothing was half-built by the failed calls
  expect(#h1:ifaces()):eq(0)
  local l = net:link(h1, h2, { bandwidth = "10Mbps", delay = "1.5ms", loss = "1%",
                               queue = "64KB", ba = { delay = "2ms" } })
  local ab, ba = l:get("ab"), l:get("ba")
  expect(ab.bandwidth):eq(10000000)
  expect(ab.delay):eq(0.0015)            -- seconds: what a number means in l:set
  expect(ba.delay):eq(0.002)
  expect(ab.loss):near(0.01, 1e-12)
  expect(ab.queue_bytes):eq(64000)
  l:set{ queue = 50 }
  expect(l:get("ab").queue):eq(50)
  expect(l:get("ab").queue_bytes):is_nil()
end)

test("addresses: why they are wrong", function(net)
  local h = net:host("h1")
  h:add_iface("eth0")
  raises_plain(function() h:addr("10.0.0.256/24") end,
               'address "10.0.0.256/24": octet 256 out of range (0..255)')
  raises_plain(function() h:addr("10.0.0.1/33") end, "prefix length must be 0..32")
  raises_plain(function() h:addr("10.0.0.1") end, "missing prefix length")
  raises_plain(function() h:addr("ten/8") end, "expected a dotted quad")
  h:addr("10.0.0.1/24")
  expect(h:addr()):eq("10.0.0.1/24")
  expect(h:ip()):eq("10.0.0.1")
end)

test("sysctl: unknown keys list the known ones", function(net)
  local h = net:host("h1")
  expect(h:sysctl("net.ipv4.ip_default_ttl")):eq(64)
  h:sysctl("net.ipv4.ip_default_ttl", 32)
  expect(h:sysctl("net.ipv4.ip_default_ttl")):eq(32)
  raises_plain(function() h:sysctl("net.ipv4.ip_default_ttl", 0) end, "out of range (1..255)")
  raises_plain(function() h:sysctl("net.ipv4.tcp_nope") end,
               'unknown key "net.ipv4.tcp_nope" (known: net.ipv4.ip_default_ttl')
end)

test("blocking outside a task", function(net)
  raises_plain(function() lunet.sleep("1s") end, "lunet.sleep: not inside a task (use host:spawn)")
  local s = net:host("h1"):icmp_socket()
  raises_plain(function() s:receive("1s") end, "IcmpSocket:receive: not inside a task")
end)
