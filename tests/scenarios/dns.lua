-- dns.lua - the DNS server and resolver of lunet.dns: answers over UDP and
-- TCP, the TC fallback, NXDOMAIN / NODATA / REFUSED / FORMERR, CNAME and
-- PTR, glibc's retry timing against dead servers, the hosts table and the
-- cache, names in place of addresses, and what tshark makes of it all.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")

local BIG = {}
for i = 1, 40 do BIG[i] = "10.0.1." .. i end

local ZONE = {
  ["server.lab"] = "10.0.0.2",
  ["www.lab"] = {cname = "server.lab"},
  ["web.lab"] = {cname = "www.lab"},
  ["multi.lab"] = {"10.0.0.5", "10.0.0.3", "10.0.0.4"},
  ["v6.lab"] = "2001:db8::2",
  ["both.lab"] = {"10.0.0.7", "2001:db8::7"},
  ["big.lab"] = BIG,
  ["out.lab"] = {cname = "elsewhere.example"},
  ["a.deep.lab"] = {a = "10.0.0.8", ttl = 10},
  ["t.lab"] = {txt = "hello"},
}

local function lab(net, opts)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  l.srv = assert(l.h2:dns_server{zone = ZONE, reverse = true, ttl = (opts or {}).ttl})
  l.h1:dns_servers({l.h2_ip}, (opts or {}).resolver)
  return l
end

test("resolve over UDP: A in zone order, AAAA, CNAME chains, PTR, TXT", function(net)
  local l = lab(net)
  local r = run_task(net, l.h1, function()
    local out = {}
    out.a, out.ra = l.h1:resolve("server.lab")
    out.m, out.rm = l.h1:resolve("MULTI.lab.")
    out.v6 = l.h1:resolve("v6.lab", {type = "AAAA"})
    out.both6 = l.h1:resolve("both.lab", {type = "AAAA"})
    out.web, out.rweb = l.h1:resolve("web.lab")
    out.ptr = l.h1:resolve("10.0.0.2", {type = "PTR"})
    out.ptr6, out.rptr6 = l.h1:resolve("2001:db8::2", {type = "PTR"})
    out.txt = l.h1:resolve("t.lab", {type = "TXT"})
    out.lit = l.h1:resolve("10.9.9.9")
    return out
  end)
  expect(r.a):eq("10.0.0.2")
  expect(r.ra.via):eq("dns")
  expect(r.ra.server):eq("10.0.0.2")
  expect(r.ra.ttl):eq(300)
  expect(r.m):eq("10.0.0.5")
  expect(table.concat(r.rm.answers, " ")):eq("10.0.0.5 10.0.0.3 10.0.0.4")
  expect(r.v6):eq("2001:db8::2")
  expect(r.both6):eq("2001:db8::7")
  expect(r.web):eq("10.0.0.2")
  expect(r.rweb.cname):eq("server.lab")
  expect(r.ptr):eq("server.lab")
  expect(r.ptr6):eq("v6.lab")
  expect(r.rptr6.name):eq("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
  expect(r.txt[1]):eq("hello")
  expect(r.lit):eq("10.9.9.9")
  expect(l.srv.rcodes.NOERROR):eq(8)
end)

test("NXDOMAIN, NODATA, REFUSED, an empty non-terminal, a CNAME out of the zone", function(net)
  local l = lab(net)
  local r = run_task(net, l.h1, function()
    local o = {}
    o.nx = {l.h1:resolve("nosuch.lab")}
    o.nodata = {l.h1:resolve("v6.lab")}
    o.ent = {l.h1:resolve("deep.lab")}
    o.refused = {l.h1:resolve("example.com", {attempts = 1})}
    o.out = {l.h1:resolve("out.lab", {attempts = 1})}
    return o
  end)
  expect(r.nx[2]):eq("no such name")
  expect(r.nodata[2]):eq("no data")
  expect(r.ent[2]):eq("no data")            -- RFC 8020: it exists, without data
  expect(r.refused[2]):eq("refused")
  -- the chain leaves the zone: the resolver asks for the target, which
  -- the server refuses
  expect(r.out[2]):eq("refused")
  expect(l.srv.rcodes.NXDOMAIN):eq(1)
  expect(l.srv.rcodes.REFUSED):eq(2)
  -- the negative answers carry the zone's SOA (RFC 2308 3)
  local q = lunet.dns.encode{id = 9, questions = {{name = "nosuch.lab", type = "A"}}}
  local m = lunet.dns.decode(l.srv.answer(q))
  expect(m.rcode):eq("NXDOMAIN")
  expect(m.aa):eq(true)
  expect(m.authority[1].type):eq("SOA")
  expect(m.authority[1].data.mname):eq("h2.lab")
  expect(m.authority[1].data.minimum):eq(300)
end)

test("more than 512 bytes: TC over UDP, then the same question over TCP", function(net)
  local l = lab(net)
  local r = run_task(net, l.h1, function()
    local a, info = l.h1:resolve("big.lab")
    return {a, info}
  end)
  expect(r[1]):eq("10.0.1.1")
  expect(#r[2].answers):eq(40)
  expect(l.srv.truncated):eq(1)
  expect(l.srv.tcp_queries):eq(1)
  -- what went over UDP was cut at a record boundary, within 512 bytes
  local q = lunet.dns.encode{id = 1, questions = {{name = "big.lab"}}}
  local udp = l.srv.answer(q, 512)
  local m = lunet.dns.decode(udp)
  expect(#udp <= 512):truthy()
  expect(m.tc):eq(true)
  expect(#m.answers):eq(30)
  local whole = lunet.dns.decode(l.srv.answer(q))
  expect(whole.tc):eq(false)
  expect(#whole.answers):eq(40)
end)

-- A server that reads queries and never answers, counting them.
local function black_hole(h)
  local u = h:udp()
  assert(u:bind(53))
  local seen = {}
  h:spawn(function()
    while true do
      local d = u:receivefrom()
      if not d then break end
      seen[#seen + 1] = lunet.now()
    end
  end)
  return seen
end

test("one dead server: 5 s + 10 s, two queries, \"timeout\"", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local seen = black_hole(l.h2)
  l.h1:dns_servers{l.h2_ip}
  local r = run_task(net, l.h1, function()
    local t0 = lunet.now()
    local a, err = l.h1:resolve("server.lab")
    return {a, err, lunet.now() - t0}
  end)
  expect(r[1]):is_nil()
  expect(r[2]):eq("timeout")
  expect(r[3]):eq(15 * 1000000000)
  expect(#seen):eq(2)
  -- the first query waited 2 ms for ARP; the timer runs from the send call
  expect(seen[2] - seen[1]):within(4990000000, 5000000000)
end)

test("two servers, the first dead: the second answers after 5 s; both dead: 20 s", function(net)
  local h1, h2, h3 = net:host("h1"), net:host("h2"), net:host("h3")
  local sw = net:switch("sw")
  net:link(h1, sw, {ip = {"10.0.0.1/24"}, delay = "1ms"})
  net:link(h2, sw, {ip = {"10.0.0.2/24"}, delay = "1ms"})
  net:link(h3, sw, {ip = {"10.0.0.3/24"}, delay = "1ms"})
  local seen = black_hole(h2)
  local srv = assert(h3:dns_server{zone = ZONE})
  h1:dns_servers{"10.0.0.2", "10.0.0.3"}
  local r = run_task(net, h1, function()
    local t0 = lunet.now()
    local a, info = h1:resolve("server.lab")
    local t1 = lunet.now()
    srv.close()
    local b, err = h1:resolve("www.lab", {timeout = "2s"})
    return {a, info, t1 - t0, b, err, lunet.now() - t1}
  end)
  expect(r[1]):eq("10.0.0.2")
  expect(r[2].server):eq("10.0.0.3")
  -- 5 s on the first, then ARP for the second (4 ms: two links each
  -- way through the switch) and the exchange (4 ms)
  expect(r[3] // 1000000):eq(5008)
  expect(r[4]):is_nil()
  -- the second server's port is closed now: ICMP port unreachable drops
  -- it at once, the first is tried twice: 2 s, then max(4 s / 2, 1 s)
  expect(r[5]):eq("timeout")
  expect(r[6] // 1000000000):eq(4)
  expect(#seen):eq(3)
end)

test("a closed port: \"refused\" at once, not after the timeout", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  l.h1:dns_servers{l.h2_ip}
  local r = run_task(net, l.h1, function()
    local t0 = lunet.now()
    local a, err = l.h1:resolve("server.lab")
    return {a, err, lunet.now() - t0}
  end)
  expect(r[2]):eq("refused")
  expect(r[3] < 10000000):truthy()
end)

test("the hosts table comes first; the cache keeps an answer for its TTL", function(net)
  local l = lab(net, {resolver = {cache = true}})
  l.h1:hosts{["server.lab"] = "10.0.0.42", ["alias.lab"] = {"10.0.0.43", "2001:db8::43"}}
  -- a name in hosts resolves outside a task too
  expect(l.h1:resolve("server.lab")):eq("10.0.0.42")
  expect(l.h1:resolve("alias.lab", {type = "AAAA"})):eq("2001:db8::43")
  expect(l.h1:hosts()["alias.lab"][1]):eq("10.0.0.43")
  expect(l.h1:resolve("localhost")):eq("127.0.0.1")   -- RFC 6761 6.3
  expect(l.h1:resolve("db.localhost", {type = "AAAA"})):eq("::1")
  expect(function() l.h1:resolve("www.lab") end):raises("resolve: not inside a task")
  local r = run_task(net, l.h1, function()
    local o = {}
    o[1] = select(2, l.h1:resolve("a.deep.lab")).via
    o[2] = select(2, l.h1:resolve("a.deep.lab")).via
    lunet.sleep("11s")                    -- its TTL is 10 s
    o[3] = select(2, l.h1:resolve("a.deep.lab")).via
    o[4] = l.h1:resolve("10.0.0.43", {type = "PTR"})
    o[5] = l.h1:resolve("2001:db8::43", {type = "PTR"})
    return o
  end)
  expect(r[1]):eq("dns")
  expect(r[2]):eq("cache")
  expect(r[3]):eq("dns")
  expect(r[4]):eq("alias.lab")
  expect(r[5]):eq("alias.lab")
  expect(l.srv.queries):eq(2)
end)

test("names wherever addresses go: ping, traceroute, connect, UDP, http_get, bulk_send", function(net)
  local l = lab(net)
  l.h2:http_server(80)
  local sink = l.h2:udp()
  assert(sink:bind(9))
  l.h2:spawn(function() l.h2:sink(5001, {quiet = true}) end)
  l.h1:hosts{["h2.local"] = "10.0.0.2"}
  local r = run_task(net, l.h1, function()
    local o = {}
    o.ping = l.h1:ping("www.lab", {count = 1, quiet = true})
    o.trace = l.h1:traceroute("server.lab", {quiet = true})
    local s = assert(l.h1:connect("web.lab", 80))
    o.peer = s:getpeername()
    s:close()
    local t = l.h1:tcp()
    o.sconn = t:connect("server.lab", 80)
    t:close()
    local u = l.h1:udp()
    o.sent = u:sendto("hello", "server.lab", 9)
    o.uconn = u:connect("h2.local", 9)
    u:close()
    o.body, o.status = l.h1:http_get("www.lab", 80, "/")
    o.bulk = l.h1:bulk_send("server.lab", 5001, {bytes = 1000, quiet = true})
    o.nx = {l.h1:connect("nosuch.lab", 80)}
    o.nxping = {l.h1:ping("nosuch.lab", {quiet = true})}
    o.nxhttp = {l.h1:http_get("nosuch.lab", 80)}
    return o
  end)
  expect(r.ping.received):eq(1)
  expect(r.trace.reached):eq(true)
  expect(r.peer):eq("10.0.0.2")
  expect(r.sconn):eq(true)
  expect(r.sent):eq(5)
  expect(r.uconn):eq(true)
  expect(r.status):eq(200)
  expect(r.body):eq("hello from h2\n")
  expect(r.bulk.bytes):eq(1000)
  expect(r.nx[2]):eq("no such name")
  expect(r.nxping[2]):eq("no such name")
  expect(r.nxhttp[2]):eq("no such name")
  -- outside a task: a name in hosts works where nothing blocks ...
  local u = l.h1:udp()
  expect(u:sendto("x", "h2.local", 9)):eq(1)
  -- ... and one that needs DNS says why it cannot
  expect(function() u:sendto("x", "server.lab", 9) end)
    :raises('UdpSocket:sendto: resolving "server.lab" waits for a DNS answer')
  expect(function() l.h1:ping("server.lab") end):raises("ping: not inside a task")
  u:close()
end)

test("ping, traceroute and connect take a name with only an AAAA record", function(net)
  local l = lab(net)
  l.h1.eth0:addr6("2001:db8::1/64")
  l.h2.eth0:addr6("2001:db8::2/64")
  l.h1:hosts{["h2.six"] = "2001:db8::2"}
  local r = run_task(net, l.h1, function()
    lunet.sleep("3s")                  -- duplicate address detection
    local o = {}
    o.ping = l.h1:ping("v6.lab", {count = 1, quiet = true})
    o.hosts = l.h1:ping("h2.six", {count = 1, quiet = true})
    o.trace = l.h1:traceroute("v6.lab", {quiet = true})
    o.both = l.h1:ping("both.lab", {count = 1, quiet = true})
    o.tcp = {l.h1:connect("v6.lab", 80)}
    return o
  end)
  expect(r.ping.received, "ping v6.lab (AAAA from DNS)"):eq(1)
  expect(r.ping.dst):eq("2001:db8::2")
  expect(r.hosts.received, "ping h2.six (AAAA from hosts)"):eq(1)
  expect(r.trace.reached):eq(true)
  -- RFC 6724 as glibc sorts: h1 has a global IPv6 address, so AAAA first
  expect(r.both.dst, "AAAA first on a host with a global IPv6 address"):eq("2001:db8::7")
  expect(r.tcp[2], "TCP over IPv6 to the AAAA address: nothing listens on port 80"):eq("refused")
end)

test("the server's answers to malformed queries: FORMERR, NOTIMP, silence, counted", function(net)
  local l = lab(net)
  local a = l.srv.answer
  expect(a("short")):is_nil()
  expect(l.srv.dropped["header: shorter than 12 bytes"]):eq(1)
  -- a header that promises a question the message lacks
  local m = lunet.dns.decode(a(string.pack(">I2I2I2I2I2I2", 77, 0x0100, 1, 0, 0, 0)))
  expect(m.rcode):eq("FORMERR")
  expect(m.id):eq(77)
  expect(#m.questions):eq(0)
  expect(l.srv.dropped["name: runs past the end of the message"]):eq(1)
  -- a response is never answered
  expect(a(lunet.dns.encode{id = 1, qr = true, questions = {{name = "server.lab"}}})):is_nil()
  expect(l.srv.dropped["not a query"]):eq(1)
  m = lunet.dns.decode(a(lunet.dns.encode{id = 2, opcode = 2, questions = {{name = "server.lab"}}}))
  expect(m.rcode):eq("NOTIMP")
  m = lunet.dns.decode(a(lunet.dns.encode{id = 3, questions = {{name = "server.lab"}, {name = "www.lab"}}}))
  expect(m.rcode):eq("FORMERR")
  -- a pointer loop in the question
  local loop = string.pack(">I2I2I2I2I2I2", 4, 0, 1, 0, 0, 0) .. "\xc0\x0c\0\1\0\1"
  m = lunet.dns.decode(a(loop))
  expect(m.rcode):eq("FORMERR")
  expect(l.srv.dropped["name: compression pointer does not point backwards"]):eq(1)
  -- ANY and the zone's SOA
  m = lunet.dns.decode(a(lunet.dns.encode{id = 5, questions = {{name = "lab", type = "SOA"}}}))
  expect(m.answers[1].type):eq("SOA")
end)

test("lunet.dns.encode and decode: the message table, and misuse", function()
  local msg = {id = 513, qr = true, aa = true, rd = true, rcode = "NXDOMAIN",
               questions = {{name = "x.lab", type = "MX"}},
               answers = {{name = "x.lab", type = "MX", ttl = 60, data = {preference = 10, exchange = "mail.x.lab"}},
                          {name = "x.lab", type = 99, ttl = 1, data = "\1\2\3"}},
               additional = {{name = "mail.x.lab", type = "A", ttl = 5, data = "10.1.2.3"}}}
  local b = lunet.dns.encode(msg)
  local m = lunet.dns.decode(b)
  expect(m.id):eq(513)
  expect(m.rcode):eq("NXDOMAIN")
  expect(m.answers[1].data.exchange):eq("mail.x.lab")
  expect(m.answers[2].type):eq(99)
  expect(m.answers[2].data):eq("\1\2\3")
  expect(m.additional[1].data):eq("10.1.2.3")
  local t = lunet.dns.encode(msg, {tcp = true})
  expect(string.unpack(">I2", t)):eq(#b)
  expect(t:sub(3)):eq(b)
  expect(select(2, lunet.dns.decode("\0\0"))):eq("header: shorter than 12 bytes")
  expect(function() lunet.dns.encode{answers = {{name = "a", type = "A", data = "10.0.0"}}} end)
    :raises('lunet.dns.encode: answers%[1%]%.data: must be an IPv4 address like "10%.0%.0%.2"')
  expect(function() lunet.dns.encode{questions = {{name = "a..b"}}} end)
    :raises("lunet.dns.encode: questions%[1%]%.name: empty label")
  expect(function() lunet.dns.encode{answers = {{name = "a", type = "WKS"}}} end)
    :raises('answers%[1%]%.type: "WKS" unknown')
  expect(function() lunet.dns.encode({}, {max = 100}) end):raises("max must be an integer in 512..65535")
end)

test("dns_server, dns_servers and hosts check their arguments", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  expect(function() l.h2:dns_server{zone = {["x.lab"] = "10.0.0"}} end)
    :raises('dns_server: zone%["x.lab"%]: "10.0.0" is not an address')
  expect(function() l.h2:dns_server{zone = {["x.lab"] = {cname = "y.lab", a = "10.0.0.1"}}} end)
    :raises("a CNAME cannot have other data")
  expect(function() l.h2:dns_server{zone = {["x.lab"] = {mx = 1}}} end)
    :raises('"mx" unknown %(use a, aaaa, cname, ptr, txt, ttl%)')
  expect(function() l.h2:dns_server{zone = {}, tll = 5} end):raises('dns_server: option "tll" unknown')
  expect(function() l.h1:dns_servers("10.0.0.2") end):raises("dns_servers: servers must be a list")
  expect(function() l.h1:dns_servers{"server.lab"} end):raises('"server.lab" is not an address like')
  expect(function() l.h1:dns_servers({"10.0.0.2"}, {attempts = 9}) end):raises("attempts: must be an integer in 1..5")
  expect(function() l.h1:hosts{["x.lab"] = "nope"} end):raises('hosts: x.lab: "nope" is not an address')
  expect(function() l.h1:resolve("x.lab", {type = "WKS"}) end):raises("resolve: option type: must be one of")
  -- glibc reads three nameservers at most
  l.h1:dns_servers{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}
  expect(#l.h1:dns_servers()):eq(3)
end)

test("tshark reads the DNS over UDP and TCP: no malformed frame, one truncated answer", function(net)
  if not ts.have() then skip("tshark not installed") end
  local l = lab(net)
  local path = os.tmpname()
  local cap = net:capture{iface = l.h1:iface("eth0"), file = path}
  run_task(net, l.h1, function()
    l.h1:resolve("www.lab")
    l.h1:resolve("nosuch.lab")
    l.h1:resolve("big.lab")
    l.h1:resolve("v6.lab", {type = "AAAA"})
    l.h1:resolve("10.0.0.2", {type = "PTR"})
  end)
  cap:close()
  -- one tshark run: a line per DNS message, its fields tab-separated
  local out = ts.sh(string.format("tshark -r %s -Y dns -T fields -E occurrence=f -e dns.flags.response " ..
                                  "-e tcp.srcport -e dns.flags.truncated -e dns.flags.rcode -e dns.cname " ..
                                  "-e dns.aaaa -e dns.ptr.domain_name 2>/dev/null", ts.q(path)))
  local rows = {}
  for line in out:gmatch("[^\n]+") do
    local f = {}
    for v in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = v end
    rows[#rows + 1] = f
  end
  local function count(i, want)
    local n = 0
    for _, f in ipairs(rows) do if f[i] == want then n = n + 1 end end
    return n
  end
  expect(#rows):eq(12)                   -- 6 questions, 6 answers (one over TCP)
  expect(count(2, "53")):eq(1)           -- the answer over TCP
  expect(count(3, "1")):eq(1)            -- truncated
  expect(count(4, "3")):eq(1)            -- NXDOMAIN
  expect(count(5, "server.lab")):eq(1)
  expect(count(6, "2001:db8::2")):eq(1)
  expect(count(7, "server.lab")):eq(1)
  local flagged = ts.sh(string.format("tshark -r %s -Y %s 2>/dev/null", ts.q(path),
                                      ts.q('_ws.malformed or _ws.expert.severity >= "warning"')))
  expect(flagged):eq("")
  os.remove(path)
end)
