-- dns_edns.lua - EDNS(0) (RFC 6891) and the resolver's search list
-- (glibc's res_search): the server cuts UDP answers at the size the client
-- advertised (512 without OPT, never above its max_udp), answers OPT with
-- OPT and a bad version with BADVERS, refuses misplaced OPT records; the
-- resolver sends OPT with edns0 and falls back without it when a server
-- answers FORMERR or NOTIMP; names with fewer than ndots dots try the
-- search list first, absolute names only themselves; and tshark reads the
-- OPT records cleanly.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")

local BIG, HUGE = {}, {}
for i = 1, 40 do BIG[i] = "10.0.1." .. i end       -- 12 + 12 + 40 x 16 = 664 bytes
for i = 1, 100 do HUGE[i] = "10.0.2." .. i end     -- 1624 bytes

local ZONE = {["server.lab"] = "10.0.0.2", ["big.lab"] = BIG, ["huge.lab"] = HUGE,
              ["db.corp.lab"] = "10.0.0.7", ["v6.lab"] = "2001:db8::2"}

local function lab(net, srv_opts, res_opts)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local so = {zone = ZONE}
  for k, v in pairs(srv_opts or {}) do so[k] = v end
  l.srv = assert(l.h2:dns_server(so))
  l.h1:dns_servers({l.h2_ip}, res_opts)
  return l
end

local function q(name, edns) return lunet.dns.encode{id = 9, rd = true, questions = {{name = name}}, edns = edns} end

test("UDP size: 512 without OPT, the advertised size with it, capped at max_udp", function(net)
  local l = lab(net)
  local a = l.srv.answer
  local function udp(name, edns)
    local r = a(q(name, edns), "udp")
    return #r, assert(lunet.dns.decode(r))
  end
  local n, m = udp("big.lab")
  expect(n <= 512):truthy()
  expect(m.tc):eq(true)
  expect(m.edns):is_nil()                         -- no OPT asked, none given
  n, m = udp("big.lab", {udp_size = 1232})
  expect(m.tc):eq(false)
  expect(#m.answers):eq(40)
  expect(m.edns.udp_size):eq(1232)                -- the server's own size
  expect(m.edns.version):eq(0)
  n, m = udp("big.lab", {udp_size = 600})
  expect(n <= 600 and n > 512):truthy()
  expect(m.tc):eq(true)
  expect(m.edns, "a truncated answer keeps its OPT (RFC 6891 7)"):truthy()
  n, m = udp("huge.lab", {udp_size = 4096})
  expect(n <= 1232 and n > 1100):truthy()         -- capped at max_udp
  expect(m.tc):eq(true)
  n, m = udp("big.lab", {udp_size = 100})         -- below 512 counts as 512 (6.2.5)
  expect(n <= 512 and n > 400):truthy()
  -- DO is echoed (RFC 3225 3); unknown options are ignored
  n, m = udp("server.lab", {dnssec_ok = true, options = {{code = 65001, data = "x"}}})
  expect(m.rcode):eq("NOERROR")
  expect(m.edns.dnssec_ok):eq(true)
  expect(#m.edns.options):eq(0)
  -- max_udp is the server's choice
  local l2 = lunet.topology(TOPO .. "two_hosts.lua", lunet.net{name = "b"}, {})
  local s2 = assert(l2.h2:dns_server{zone = ZONE, max_udp = 700})
  m = lunet.dns.decode(s2.answer(q("huge.lab", {udp_size = 4096}), "udp"))
  expect(m.edns.udp_size):eq(700)
  expect(#s2.answer(q("huge.lab", {udp_size = 4096}), "udp") <= 700):truthy()
end)

test("over the network: edns0 gets 40 records in one UDP answer, without it TC and TCP", function(net)
  local l = lab(net, nil, {edns0 = true})
  local r = run_task(net, l.h1, function()
    local o = {}
    o.a, o.r = l.h1:resolve("big.lab")
    o.tcp1 = l.srv.tcp_queries
    l.h1:dns_servers(nil, {edns0 = false})
    o.b, o.rb = l.h1:resolve("big.lab")
    o.huge = {l.h1:resolve("huge.lab")}
    return o
  end)
  expect(#r.r.answers):eq(40)
  expect(r.tcp1):eq(0)
  expect(#r.rb.answers):eq(40)
  expect(l.srv.tcp_queries):eq(2)                 -- big and huge, without EDNS
  expect(l.srv.edns_queries):eq(1)
  expect(#r.huge[2].answers):eq(100)
  expect(l.h1:dns_config().edns0):eq(false)
end)

test("BADVERS to an EDNS version other than 0; misplaced OPT records are FORMERR", function(net)
  local l = lab(net)
  local a = l.srv.answer
  local m = lunet.dns.decode(a(q("server.lab", {version = 1}), "udp"))
  expect(m.rcode):eq("BADVERS")
  expect(m.edns.version):eq(0)
  expect(#m.answers):eq(0)
  expect(l.srv.rcodes.BADVERS):eq(1)
  -- two OPT records (RFC 6891 6.1.1)
  local two = lunet.dns.encode{id = 3, questions = {{name = "server.lab"}}, edns = {},
                               additional = {{name = ".", type = "OPT", class = 512, data = ""}}}
  m = lunet.dns.decode(a(two, "udp"))
  expect(m.rcode):eq("FORMERR")
  expect(l.srv.dropped["a second OPT record"]):eq(1)
  local ans = lunet.dns.encode{id = 4, questions = {{name = "server.lab"}},
                               answers = {{name = ".", type = "OPT", class = 512, data = ""}}}
  expect(lunet.dns.decode(a(ans)).rcode):eq("FORMERR")
  expect(l.srv.dropped["OPT record outside the additional section"]):eq(1)
  local owner = lunet.dns.encode{id = 5, questions = {{name = "server.lab"}},
                                 additional = {{name = "x.lab", type = "OPT", class = 512, data = ""}}}
  expect(lunet.dns.decode(a(owner)).rcode):eq("FORMERR")
  expect(function() lunet.dns.encode{rcode = "BADVERS"} end):raises("rcode: above 15 needs edns")
end)

for _, mode in ipairs({false, "notimp"}) do
  test(string.format("a server from before EDNS (edns = %s): the resolver asks again without OPT, and remembers",
                     tostring(mode)), function(net)
    local l = lab(net, {edns = mode}, {edns0 = true, attempts = 1})
    local r = run_task(net, l.h1, function()
      local t0 = lunet.now()
      local a = l.h1:resolve("server.lab")
      local t1 = lunet.now() - t0
      local b = l.h1:resolve("db.corp.lab")
      return {a, b, t1}
    end)
    expect(r[1]):eq("10.0.0.2")
    expect(r[2]):eq("10.0.0.7")
    -- one round trip lost, no timeout: ARP (2 ms) + 2 x 2 ms
    expect(r[3] < 10000000):truthy()
    expect(l.srv.edns_queries, "only the first query carried OPT"):eq(1)
    expect(l.srv.rcodes[mode == false and "FORMERR" or "NOTIMP"]):eq(1)
    expect(l.srv.rcodes.NOERROR):eq(2)
  end)
end

-- A server that logs each question and answers by the name's last label:
-- "ok" an A record, "fail" SERVFAIL, "nodata" NOERROR without records,
-- "drop" nothing at all, anything else NXDOMAIN.
local function scripted(h)
  local u = h:udp()
  assert(u:bind(53))
  local seen = {}
  h:spawn(function()
    while true do
      local d, ip, port = u:receivefrom()
      if not d then break end
      local m = lunet.dns.decode(d)
      local name = m.questions[1].name
      seen[#seen + 1] = name
      local tld = name:lower():gsub("%.$", ""):match("([^.]+)$")
      local r = {id = m.id, qr = true, rd = m.rd, questions = m.questions, answers = {}}
      if tld == "ok" then r.answers[1] = {name = name, type = "A", ttl = 60, data = "10.9.9.9"}
      elseif tld == "fail" then r.rcode = "SERVFAIL"
      elseif tld == "nodata" then r.rcode = "NOERROR"
      else r.rcode = "NXDOMAIN" end
      if tld ~= "drop" then u:sendto(lunet.dns.encode(r), ip, port) end
    end
  end)
  return seen
end

test("search list and ndots: glibc's order, what moves on and what stops", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local seen = scripted(l.h2)
  local h = l.h1
  local function resolve(name, search, ndots)
    local first = #seen + 1
    h:dns_servers({l.h2_ip}, {search = search, ndots = ndots or 1, timeout = "1s", attempts = 1})
    local a, r = h:resolve(name)
    return {a = a, r = r, asked = table.concat(seen, " ", first)}
  end
  local o = run_task(net, h, function()
    local o = {}
    -- no dot (fewer than ndots): the list first, then the name as is
    o.short = resolve("www", {"x", "ok"})
    -- one dot, ndots 1: as is first
    o.dotted = resolve("www.y", {"ok"})
    -- ndots 2: a name with one dot tries the list first
    o.ndots2 = resolve("www.ok", {"a", "b"}, 2)
    -- a trailing dot: absolute, asked as is only
    o.abs = resolve("www.", {"ok"})
    -- NODATA and SERVFAIL move on, and are what is reported at the end
    o.nodata = resolve("www", {"nodata", "fail", "x"})
    o.servfail = resolve("www", {"fail", "x"})
    -- a timeout ends the list (glibc's "done"), then the name as is
    o.timeout = resolve("www", {"drop", "ok"})
    -- the root on the list stands for the name as is
    o.root = resolve("www", {"x", "."})
    return o
  end)
  expect(o.short.a):eq("10.9.9.9")
  expect(o.short.asked):eq("www.x www.ok")
  expect(o.short.r.name):eq("www.ok")
  expect(o.dotted.asked):eq("www.y www.y.ok")
  expect(o.dotted.a):eq("10.9.9.9")
  expect(o.ndots2.asked):eq("www.ok.a www.ok.b www.ok")
  expect(o.ndots2.a):eq("10.9.9.9")
  expect(o.abs.asked):eq("www")                   -- once, as is
  expect(o.abs.r):eq("no such name")
  expect(o.nodata.asked):eq("www.nodata www.fail www.x www")
  expect(o.nodata.r):eq("no data")
  expect(o.servfail.asked):eq("www.fail www.x www")
  expect(o.servfail.r):eq("server failure")
  expect(o.timeout.asked):eq("www.drop www")
  expect(o.timeout.r):eq("no such name")
  expect(o.root.asked):eq("www.x www")
  local cfg = h:dns_config()
  expect(table.concat(cfg.search, ",")):eq("x,")
  expect(function() h:dns_servers(nil, {search = "a", domain = "b"}) end):raises("give search or domain, not both")
  expect(function() h:dns_servers(nil, {ndots = -1}) end):raises("ndots: must be an integer >= 0")
  expect(function() h:dns_servers(nil, {search = {"a..b"}}) end):raises('search: "a..b" is not a valid domain')
  expect(function() h:dns_servers(nil, {edns0 = 100}) end):raises("edns0: must be true, false or a UDP payload size")
end)

test("a closed port on every server ends the search at once (glibc's ECONNREFUSED)", function(net)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local sent = 0
  net:intercept{on = l.h1, filter = "udp dst port 53", action = "observe", fn = function(_, ctx)
    if ctx.dir == "out" then sent = sent + 1 end
  end}
  l.h1:dns_servers({l.h2_ip}, {search = {"a", "b", "c"}})
  local r = run_task(net, l.h1, function() return {l.h1:resolve("www")} end)
  expect(r[2]):eq("refused")
  expect(sent):eq(1)
end)

test("lunet's own server through the search list", function(net)
  local l = lab(net, nil, {search = {"corp.lab", "lab"}})
  local r = run_task(net, l.h1, function()
    return {l.h1:resolve("db"), l.h1:resolve("server"), select(2, l.h1:resolve("v6"))}
  end)
  expect(r[1]):eq("10.0.0.7")
  expect(r[2]):eq("10.0.0.2")
  expect(r[3]):eq("no data")
end)

test("tshark reads EDNS: OPT with 1232, BADVERS, no malformed frame", function(net)
  if not ts.have() then skip("tshark not installed") end
  local l = lab(net, nil, {edns0 = true})
  local path = os.tmpname()
  local cap = net:capture{iface = l.h1:iface("eth0"), file = path}
  run_task(net, l.h1, function()
    l.h1:resolve("big.lab")
    l.h1:resolve("huge.lab")
    local u = l.h1:udp()
    u:connect(l.h2_ip, 53)
    u:send((q("server.lab", {version = 1, dnssec_ok = true, options = {{code = 10, data = "12345678"}}})))
    u:receive({timeout = "1s"})
    u:close()
  end)
  cap:close()
  local out = ts.sh(string.format("tshark -r %s -Y 'dns && udp' -T fields -E occurrence=f -e dns.flags.response " ..
                                  "-e dns.rr.udp_payload_size -e dns.resp.edns0_version -e dns.flags.truncated " ..
                                  "-e dns.count.answers -e dns.resp.ext_rcode 2>/dev/null", ts.q(path)))
  expect(out):contains("0\t1232\t0\t0\t0\t")          -- a query with OPT
  expect(out):contains("1\t1232\t0\t0\t40\t")         -- big.lab in one UDP answer
  expect(out):contains("1\t1232\t0\t1\t")             -- huge.lab truncated
  expect(out):contains("0\t1232\t1\t")                -- version 1 asked
  expect(out):contains("1\t1232\t0\t0\t0\t0x01")      -- BADVERS: ext rcode 1
  local flagged = ts.sh(string.format("tshark -r %s -Y %s 2>/dev/null", ts.q(path),
                                      ts.q('_ws.malformed or _ws.expert.severity >= "warning"')))
  expect(flagged):eq("")
  os.remove(path)
end)
