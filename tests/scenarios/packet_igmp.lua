-- packet_igmp.lua - the IGMP layer of lunet.packet / lunet.dissect: v1, v2
-- and v3 messages come back field for field, checksums and counts are
-- computed unless given, cut or lying messages dissect without an error and
-- say what is wrong, a crafted v3 query draws a member's report on a LAN,
-- and tshark reads the crafted frames as the dissection does.
--
--   h1 10.0.0.1 --+
--   h2 10.0.0.2 --+-- sw      (h2 joins 239.1.2.3)
--   h3 10.0.0.3 --+
local util = require("lunet.util")
local run_task = require("lunet.test").run_task

local MAC1 = "02:00:00:00:00:01"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local RT = dofile(here .. "../lib/roundtrip.lua")
local function roundtrip(name, t)
  local d = RT.check(name, t)
  expect(d.malformed, name):is_nil()
  return d
end

local CASES = {
  v3_general_query = {
    eth = {src = MAC1, dst = "01:00:5e:00:00:01"},
    ip = {src = "10.0.0.1", dst = "224.0.0.1", ttl = 1},
    igmp = {type = 0x11, max_resp = 100, maddr = "0.0.0.0", s = false, qrv = 2, qqic = 125, sources = {}},
  },
  v3_specific_query = {
    ip = {src = "10.0.0.1", dst = "239.1.2.3", ttl = 1},
    igmp = {type = 0x11, version = 3, max_resp = 224, maddr = "239.1.2.3", s = true, qrv = 7, qqic = 200,
            sources = {"10.0.0.7", "10.0.0.8", "10.0.0.9"}},
  },
  v3_report = {
    eth = {src = MAC1, dst = "01:00:5e:00:00:16"},
    ip = {src = "10.0.0.2", dst = "224.0.0.22", ttl = 1, dsfield = 0xc0, options = "\148\4\0\0"},
    igmp = {type = 0x22, version = 3, records = {
      {record_type = 1, aux_data_len = 0, maddr = "239.1.2.3", sources = {"192.0.2.1", "192.0.2.2"}},
      {record_type = 6, maddr = "239.1.2.4", sources = {"192.0.2.9"}, aux_data = "auxdata!"},
    }},
  },
  v2_report = {
    eth = {src = MAC1, dst = "01:00:5e:01:02:03"},
    ip = {src = "10.0.0.2", dst = "239.1.2.3", ttl = 1},
    igmp = {type = 0x16, version = 2, max_resp = 0, maddr = "239.1.2.3"},
  },
  v2_leave = {
    ip = {src = "10.0.0.2", dst = "224.0.0.2", ttl = 1},
    igmp = {type = 0x17, maddr = "239.1.2.3"},
  },
  v2_query = { ip = {src = "10.0.0.1", dst = "224.0.0.1"}, igmp = {type = 0x11, version = 2, max_resp = 25} },
  v1_query = { ip = {src = "10.0.0.1", dst = "224.0.0.1"}, igmp = {type = 0x11, version = 1, max_resp = 0} },
  v1_report = { ip = {src = "10.0.0.2", dst = "239.9.9.9"}, igmp = {type = 0x12, version = 1, maddr = "239.9.9.9"} },
  other_type = { ip = {src = "10.0.0.1", dst = "224.0.0.4"}, igmp = {type = 0x13, code = 3}, payload = "dvmrp..." },
}

local NAMES = {}
for k in pairs(CASES) do NAMES[#NAMES + 1] = k end
table.sort(NAMES)

test("dissect(packet(t)) gives back every IGMP field t set", function()
  for _, name in ipairs(NAMES) do
    local d = roundtrip(name, CASES[name])
    expect(d.layers[#d.layers], name):eq("igmp")
    expect(d.ip.proto, name .. ": ip.proto from the igmp layer"):eq(2)
    expect(d.igmp.checksum_status, name):eq("good")
  end
end)

test("defaults: type 0x11 alone is a v3 general query; counts and lengths computed", function()
  local d = lunet.dissect(lunet.packet{ip = {src = "10.0.0.1", dst = "224.0.0.1"}, igmp = {type = 0x11}})
  expect(d.igmp.version):eq(3)
  expect({d.igmp.max_resp, d.igmp.maddr, d.igmp.s, d.igmp.qrv, d.igmp.qqic, d.igmp.num_src})
    :eq({100, "0.0.0.0", false, 2, 125, 0})
  expect(d.igmp.sources):eq({})
  expect(d.ip.len):eq(20 + 12)
  expect(d.ip.ttl, "the builder's IP default, not IGMP's 1"):eq(64)
  expect(lunet.dissect(lunet.packet{ip = {src = "10.0.0.1", dst = "224.0.0.1"}, igmp = {}}).igmp.type):eq(0x11)
  local q = roundtrip("specific", CASES.v3_specific_query)
  expect(q.igmp.num_src):eq(3)
  expect(q.ip.len):eq(20 + 12 + 12)
  -- max_resp is Wireshark's igmp.max_resp: tenths of a second, coded
  -- (16 + mant) << (exp + 3) from 128 on; 224 is code 0x8c
  expect(lunet.packet(CASES.v3_specific_query):bytes():byte(22)):eq(0x8c)
  local r = roundtrip("report", CASES.v3_report)
  expect(r.igmp.num_grp_recs):eq(2)
  expect(r.igmp.records[1].num_src):eq(2)
  expect(r.igmp.records[2].aux_data_len):eq(2)
  expect(r.ip.len):eq(24 + 8 + (8 + 8) + (8 + 4 + 8))
  expect(roundtrip("v2", CASES.v2_query).igmp.max_resp):eq(25)
  expect(#lunet.packet(CASES.v2_leave), "an 8-byte message"):eq(20 + 8)
  -- an aux_data that is not whole words is padded with zeros
  local a = lunet.dissect(lunet.packet{ip = {src = "10.0.0.2", dst = "224.0.0.22"},
                                       igmp = {type = 0x22, records = {{record_type = 2, maddr = "239.0.0.1", aux_data = "abcde"}}}})
  expect(a.igmp.records[1].aux_data):eq("abcde\0\0\0")
  expect(a.igmp.records[1].aux_data_len):eq(2)
end)

test("a changed dissection is rebuilt with its checksum and counts right", function()
  local d = lunet.dissect(lunet.packet(CASES.v3_report))
  table.insert(d.igmp.records[1].sources, "192.0.2.3")
  d.igmp.records[2] = nil
  local again = lunet.dissect(lunet.packet(d))
  expect(again.igmp.checksum_status):eq("good")
  expect(again.igmp.num_grp_recs):eq(1)
  expect(again.igmp.records[1].num_src):eq(3)
  expect(again.igmp.records[1].sources[3]):eq("192.0.2.3")
  -- a count set by the script goes as given, and the dissection says so
  d.igmp.records[1].num_src = 5
  local lie = lunet.dissect(lunet.packet(d))
  expect(lie.igmp.records[1].num_src):eq(5)
  expect(#lie.igmp.records[1].sources):eq(3)
  expect(lie.malformed):matches("igmp: group record 1 runs past the 28 bytes present")
end)

test("a wrong checksum is sent as given: dissect calls it bad, the stack drops it", function(net)
  local t = {eth = {src = MAC1, dst = "01:00:5e:00:00:01"}, ip = {src = "10.0.0.1", dst = "224.0.0.1", ttl = 1},
             igmp = {type = 0x11, checksum = 0x1234}}
  local d = lunet.dissect(lunet.packet(t))
  expect(d.igmp.checksum):eq(0x1234)
  expect(d.igmp.checksum_status):eq("bad")
  expect(d.malformed):is_nil()
  expect(tostring(d)):matches("L3  IGMP      v3 Membership Query, general, .*checksum 0x1234 %[bad%]")
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local u = h2:udp()
  expect(u:join("239.1.2.3")):eq(true)
  net:run("2s")                                   -- the join's own reports
  local reports = 0
  net:on("tx", function(ev)
    if ev.node == "h2" and ev.layer == "l2" and ev.packet.igmp then reports = reports + 1 end
  end)
  h2:deliver("eth0", t)
  net:run("11s")
  expect(h2:drops()["bad checksum"]):eq(1)
  expect(reports, "no answer to a query with a bad checksum"):eq(0)
  t.igmp.checksum = nil
  h2:deliver("eth0", t)
  net:run("11s")
  expect(reports, "the same query, checksum right, is answered"):eq(1)
end)

test("cut and lying messages dissect, keep what can be read, and say what is wrong", function()
  local ip = {src = "10.0.0.1", dst = "224.0.0.1"}
  -- every prefix of every frame, from eth or from ip: no error, and a
  -- cut inside the IGMP message leaves its checksum unverified
  for _, name in ipairs(NAMES) do
    local p = lunet.packet(CASES[name])
    local b, full = p:bytes(), lunet.dissect(p)
    local at = CASES[name].eth and "eth" or "ip"
    local igmp_at = (at == "eth" and 14 or 0) + full.ip.hdr_len
    local pad = full.eth and full.eth.padding and #full.eth.padding or 0
    for n = 0, #b - pad - 1 do
      local ok, d = pcall(lunet.dissect, b:sub(1, n), at)
      expect(ok, name .. " cut to " .. n .. ": " .. tostring(d)):truthy()
      expect(#tostring(d) > 0):truthy()
      expect(d.malformed, name .. " cut to " .. n):truthy()
      if n >= igmp_at + 4 then
        expect(d.igmp.checksum_status, name .. " cut to " .. n):eq("unverified")
      else
        expect(d.igmp, name .. " cut to " .. n):is_nil()
      end
    end
  end
  -- a v3 query cut after 10 of its 12 bytes: still v3 (the IP length says
  -- so), with the fields that arrived
  local q = lunet.packet{ip = ip, igmp = {type = 0x11, maddr = "239.1.2.3", qqic = 60}}:bytes()
  local d = lunet.dissect(q:sub(1, 30), "ip")
  expect(d.igmp.version):eq(3)
  expect({d.igmp.maddr, d.igmp.qqic, d.igmp.num_src}):eq({"239.1.2.3", 60, nil})
  expect(d.malformed):matches("ip: total length 32, but only 30 bytes are present")
  expect(d.malformed):matches("igmp: 10 bytes, shorter than the 12%-byte v3 query")
  expect(d.payload):eq(nil)
  -- 3 bytes: no layer, the bytes as payload
  d = lunet.dissect(q:sub(1, 23), "ip")
  expect(d.igmp):is_nil()
  expect(d.payload):eq(q:sub(21, 23))
  expect(d.malformed):matches("igmp: 3 bytes, shorter than the 8%-byte header")
  -- a 10-byte query, whole: neither v1/v2 nor v3 (RFC 3376 7.1)
  d = lunet.dissect(lunet.packet{ip = ip, igmp = {type = 0x11, version = 2}, payload = "xy"})
  expect(d.igmp.version):eq(2)
  expect(d.malformed):matches("igmp: a 10%-byte query, neither v1/v2 %(8 bytes%) nor v3")
  expect(d.payload):eq("xy")
  -- counts that lie: what fits is read, the rest named
  d = lunet.dissect(lunet.packet{ip = ip, igmp = {type = 0x11, num_src = 4, sources = {"10.0.0.9"}}})
  expect(d.igmp.num_src):eq(4)
  expect(d.igmp.sources):eq({"10.0.0.9"})
  expect(d.igmp.checksum_status):eq("good")
  expect(d.malformed):matches("igmp: num_src 4, but only 1 source addresses are present")
  d = lunet.dissect(lunet.packet{ip = ip, igmp = {type = 0x22, num_grp_recs = 3, records = {{record_type = 2, maddr = "239.0.0.1"}}}})
  expect(#d.igmp.records):eq(1)
  expect(d.malformed):matches("igmp: num_grp_recs 3, but only 1 group records are present")
  d = lunet.dissect(lunet.packet{ip = ip, igmp = {type = 0x22, records = {{record_type = 2, maddr = "239.0.0.1", aux_data_len = 9}}}})
  expect(d.igmp.records[1].aux_data):is_nil()
  expect(d.malformed):matches("igmp: group record 1 runs past the 16 bytes present")
  -- extra bytes after a v3 message are its payload (RFC 3376 4.1.10), not an error
  d = lunet.dissect(lunet.packet{ip = ip, igmp = {type = 0x11}, payload = "more"})
  expect(d.malformed):is_nil()
  expect(d.payload):eq("more")
  expect(d.igmp.checksum_status):eq("good")
  -- inside an ICMP error the quote is cut on purpose: no complaint
  local report = lunet.packet{ip = {src = "10.0.0.2", dst = "10.0.0.1"},
                              igmp = {type = 0x22, records = {{record_type = 4, maddr = "239.1.2.3"}}}}
  d = lunet.dissect(lunet.packet{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, icmp = {type = 3, code = 2},
                                 payload = report:bytes():sub(1, 28)})
  expect(d.icmp.quote.igmp.num_grp_recs):eq(1)
  expect(d.icmp.quote.igmp.records):eq({})
  expect(d.malformed):is_nil()
end)

test("mutated IGMP frames dissect, print and rebuild; well-formed ones to the same bytes", function()
  -- A fixed xorshift, so that a failure reproduces.
  local x = 0x2545f4914f6cdd1d
  local function rnd(n)
    x = x ~ (x << 13); x = x ~ (x >> 7); x = x ~ (x << 17)
    return (x >> 1) % n
  end
  local runs, same = 0, 0
  for _, name in ipairs(NAMES) do
    local t = CASES[name]
    local at = t.eth and "eth" or "ip"
    local base = lunet.packet(t):bytes()
    for _ = 1, 300 do
      local b = {base:byte(1, -1)}
      for _ = 1, 1 + rnd(3) do
        local i = 1 + rnd(#b)
        local how = rnd(4)
        if how == 0 then b[i] = rnd(256)
        elseif how == 1 then b[i] = b[i] ~ (1 << rnd(8))
        elseif how == 2 then for k = #b, i + 1, -1 do b[k] = nil end
        else b[i] = ({0, 1, 0x11, 0x22, 0xff})[1 + rnd(5)] end
      end
      local s = string.char(table.unpack(b))
      local d = lunet.dissect(s, at)
      expect(#tostring(d) > 0):truthy()
      local ok, p = pcall(lunet.packet, d)
      if ok then
        lunet.dissect(p)
        -- (a frame cut under 60 bytes comes back padded, as a NIC sends it)
        if d.igmp and not d.malformed and (at == "ip" or #s >= 60) then
          expect(p:bytes(), name .. " mutated: " .. tostring(d)):eq(s)
          same = same + 1
        end
      end
      runs = runs + 1
    end
  end
  expect(runs):eq(#NAMES * 300)
  expect(same, "well-formed mutants rebuilt"):gt(100)
end)

test("tostring: one IGMP line, OSI layer 3", function()
  local function line(t)
    local s = tostring(lunet.packet(t))
    return s:match("L3  IGMP      ([^\n]*)")
  end
  expect(line(CASES.v3_general_query)):matches("^v3 Membership Query, general, max resp 10%.0s, qrv 2, qqic 125, checksum 0x%x+ %[good%]$")
  expect(line(CASES.v3_specific_query))
    :matches("^v3 Membership Query, specific for group 239%.1%.2%.3 {10%.0%.0%.7, 10%.0%.0%.8, 10%.0%.0%.9}, max resp 22%.4s, qrv 7, qqic 200, suppress, ")
  expect(line{ip = {src = "10.0.0.2", dst = "224.0.0.22"}, igmp = {type = 0x22, records = {{record_type = 4, maddr = "239.1.2.3"}}}})
    :matches("^v3 Membership Report, 1 group record: 239%.1%.2%.3 change to exclude, checksum")
  expect(line(CASES.v3_report))
    :matches("^v3 Membership Report, 2 group records: 239%.1%.2%.3 mode is include {192%.0%.2%.1, 192%.0%.2%.2}, 239%.1%.2%.4 block old sources {192%.0%.2%.9}, ")
  expect(line(CASES.v2_report)):matches("^v2 Membership Report 239%.1%.2%.3, checksum")
  expect(line(CASES.v2_leave)):matches("^v2 Leave Group 239%.1%.2%.3, checksum")
  expect(line(CASES.v2_query)):matches("^v2 Membership Query, general, max resp 2%.5s, checksum")
  expect(line(CASES.other_type)):matches("^DVMRP, code 3, checksum")
  expect(tostring(lunet.packet(CASES.v2_leave))):matches("proto 2 %(IGMP%)")
end)

test("bad IGMP tables are refused, naming the field and what is allowed", function()
  local ip = {src = "10.0.0.1", dst = "224.0.0.1"}
  local function err(igmp) local ok, e = pcall(lunet.packet, {ip = ip, igmp = igmp}); expect(ok):eq(false); return e end
  expect(err{type = 0x11, qvr = 2}):matches("igmp: field qvr unknown %(known: version, type, max_resp,")
  expect(err{type = 0x16, qrv = 2}):matches("igmp%.qrv is not a field of a v2 Membership Report %(type 0x16%) %(its fields: version, type, max_resp, checksum, maddr%)")
  expect(err{type = 0x11, version = 2, sources = {}}):matches("igmp%.sources is not a field of a v2 Membership Query")
  expect(err{type = 0x22, version = 2}):matches("igmp%.version 2 does not go with type 0x22, a version 3 message")
  expect(err{type = 0x16}):matches("igmp%.maddr missing")
  expect(err{type = 0x11, max_resp = 130}):matches("igmp%.max_resp 130 %(tenths of a second%) cannot be coded.*the nearest are 128 and 136")
  expect(err{type = 0x11, max_resp = 40000}):matches("igmp%.max_resp 40000 out of range %(0%.%.31744%)")
  expect(err{type = 0x11, version = 1, max_resp = 10}):matches("0 makes a query version 1")
  expect(err{type = 0x11, qrv = 8}):matches("igmp%.qrv 8 out of range %(0%.%.7%)")
  expect(err{type = 0x11, sources = {"10.0.0.300"}}):matches('igmp%.sources%[1%] must be an IPv4 address like "10%.0%.0%.1", got "10%.0%.0%.300"')
  expect(err{type = 0x22, records = {{maddr = "239.1.1.1"}}}):matches("igmp%.records%[1%]%.record_type missing %(1 MODE_IS_INCLUDE")
  expect(err{type = 0x22, records = {{record_type = 2, maddr = "239.1.1.1", srcs = {}}}}):matches("igmp%.records%[1%]: field srcs unknown")
  expect(err{type = 0x22, records = {"239.1.1.1"}}):matches("igmp%.records%[1%] must be a table")
  expect(err{type = 0x13, maddr = "239.1.1.1"}):matches("igmp%.maddr is not a field of type 0x13")
  local ok, e = pcall(lunet.packet, {ip = ip, igmp = {}, udp = {srcport = 1, dstport = 2}})
  expect(ok):eq(false)
  expect(e):matches("both igmp and udp")
  ok, e = pcall(lunet.packet, {eth = {src = MAC1, dst = MAC1}, arp = {src_proto_ipv4 = "10.0.0.1", dst_proto_ipv4 = "10.0.0.2"}, igmp = {}})
  expect(ok):eq(false)
  expect(e):matches("igmp needs an ip layer")
end)

local function lan(net)
  local sw = net:switch("sw")
  local l = {}
  for i = 1, 3 do
    l["h" .. i] = net:host("h" .. i)
    net:link(l["h" .. i], sw, {delay = "1ms", ip = {"10.0.0." .. i .. "/24"}})
  end
  return l
end

-- Who sent which IGMP message when, from the tx events' dissections.
local function igmp_log(net)
  local log = {}
  net:on("tx", function(ev)
    if ev.layer ~= "l2" or not ev.node then return end      -- hosts' frames, not the switch's
    local d = ev.packet
    if d.igmp then log[#log + 1] = {node = ev.node, time = ev.time, d = d} end
  end)
  return log
end

test("a crafted v3 query from h1 draws h2's current-state report within max_resp", function(net)
  local l = lan(net)
  local u = l.h2:udp()
  expect(u:bind(5000)):eq(true)
  expect(u:join("239.1.2.3")):eq(true)
  net:run("2s")                                   -- the join's state-change reports go first
  local log = igmp_log(net)
  local sent
  run_task(net, l.h1, function()
    -- no eth layer: routed as the stack sends to a group, to its MAC
    sent = net:now()
    expect(l.h1:inject{ip = {dst = "224.0.0.1", ttl = 1}, igmp = {type = 0x11, max_resp = 20}}):eq(true)
    lunet.sleep("3s")
  end)
  local query = log[1]
  expect(query.node):eq("h1")
  expect(query.d.eth.dst):eq("01:00:5e:00:00:01")
  expect(query.d.igmp.version):eq(3)
  local reports = {}
  for _, e in ipairs(log) do if e.node ~= "h1" then reports[#reports + 1] = e end end
  expect(#reports, "one answer, from the member only"):eq(1)
  local r = reports[1]
  expect(r.node):eq("h2")
  expect(r.d.ip.dst):eq("224.0.0.22")
  expect(r.d.ip.ttl):eq(1)
  expect(r.d.igmp.type):eq(0x22)
  expect(r.d.igmp.checksum_status):eq("good")
  expect(r.d.igmp.records):eq({{record_type = 2, aux_data_len = 0, num_src = 0, maddr = "239.1.2.3", sources = {}}})
  expect(r.time - sent, "within the query's 2.0 s"):within(0, lunet.time("2s"))
  -- a group-specific query for another group is not answered; one for
  -- 239.1.2.3 is, with eth given and its dst left to h1
  log = igmp_log(net)
  run_task(net, l.h1, function()
    l.h1:inject{eth = {}, ip = {dst = "239.9.9.9", ttl = 1}, igmp = {type = 0x11, max_resp = 10, maddr = "239.9.9.9"}}
    lunet.sleep("2s")
    sent = net:now()
    l.h1:inject{eth = {}, ip = {dst = "239.1.2.3", ttl = 1}, igmp = {type = 0x11, max_resp = 10, maddr = "239.1.2.3"}}
    lunet.sleep("2s")
  end)
  local seen = {}
  for _, e in ipairs(log) do
    seen[#seen + 1] = e.node .. " " .. (e.d.igmp.maddr or e.d.igmp.records[1].maddr)
    if e.node == "h2" then expect(e.time - sent):within(0, lunet.time("1s")) end
  end
  expect(seen):eq({"h1 239.9.9.9", "h1 239.1.2.3", "h2 239.1.2.3"})
  expect(log[1].d.eth.dst):eq("01:00:5e:09:09:09")
  u:close()
end)

-- Wireshark hands type 0x13 to its DVMRP dissector, with no igmp.* fields.
local TSHARK = {}
for _, name in ipairs(NAMES) do if name ~= "other_type" then TSHARK[#TSHARK + 1] = name end end

test("tshark reads crafted IGMP frames and a member's answer as lunet.dissect does", function(net)
  if os.execute("command -v tshark >/dev/null 2>&1") ~= true then
    return skip("tshark is not installed (apt-get install tshark)")
  end
  local l = lan(net)
  local u = l.h2:udp()
  expect(u:join("239.1.2.3")):eq(true)
  net:run("2s")
  local path = os.tmpname()
  local cap = net:capture{iface = l.h3.eth0, file = path}
  run_task(net, l.h1, function()
    for _, name in ipairs(TSHARK) do
      local t = {}
      for k, v in pairs(CASES[name]) do t[k] = v end
      t.eth = {}                                   -- h1's MAC to the group's
      l.h1:inject(t, "eth0")
    end
    l.h1:inject({eth = {}, ip = {dst = "224.0.0.1", ttl = 1}, igmp = {type = 0x11, max_resp = 5, checksum = 0xbad}}, "eth0")
    l.h1:inject({eth = {}, ip = {dst = "224.0.0.1", ttl = 1}, igmp = {type = 0x11, max_resp = 5}}, "eth0")
    lunet.sleep("1s")
  end)
  cap:close()
  local frames = util.pcap_frames(path)
  expect(#frames, "the crafted frames and h2's report"):eq(#TSHARK + 3)
  local fields = {"igmp.version", "igmp.type", "igmp.max_resp", "igmp.checksum", "igmp.checksum.status",
                  "igmp.maddr", "igmp.s", "igmp.qrv", "igmp.qqic", "igmp.num_src", "igmp.saddr",
                  "igmp.num_grp_recs", "igmp.record_type", "igmp.aux_data_len"}
  local p = io.popen("tshark -r " .. path .. " -T fields -E separator=\";\" -E aggregator=, -e " ..
                     table.concat(fields, " -e ") .. " 2>/dev/null")
  local lines = {}
  for line in p:lines() do lines[#lines + 1] = line end
  p:close()
  os.remove(path)
  expect(#lines):eq(#frames)
  -- The same line from the dissection.  tshark's differences of form: hex
  -- for type and checksum, 1/0 for the S flag and a good/bad checksum, and
  -- a repeated field (one per record or source) joined by commas.
  local function join(list) return table.concat(list, ",") end
  for i, f in ipairs(frames) do
    local g = lunet.dissect(f).igmp
    local maddrs, saddrs, nsrc, rtypes, auxl = {g.maddr}, {}, {g.num_src}, {}, {}
    for _, s in ipairs(g.sources or {}) do saddrs[#saddrs + 1] = s end
    for _, r in ipairs(g.records or {}) do
      maddrs[#maddrs + 1] = r.maddr
      nsrc[#nsrc + 1] = r.num_src
      rtypes[#rtypes + 1] = r.record_type
      auxl[#auxl + 1] = r.aux_data_len
      for _, s in ipairs(r.sources) do saddrs[#saddrs + 1] = s end
    end
    local want = table.concat({
      g.version or "", string.format("0x%02x", g.type),
      -- Wireshark prints no max_resp for v1 (the byte is unused) or a v3 report
      (g.version == 1 or g.type == 0x22) and "" or g.max_resp or "",
      string.format("0x%04x", g.checksum), g.checksum_status == "good" and 1 or 0,
      join(maddrs), g.s == nil and "" or (g.s and 1 or 0), g.qrv or "", g.qqic or "", join(nsrc),
      join(saddrs), g.num_grp_recs or "", join(rtypes), join(auxl),
    }, ";")
    expect(lines[i], "frame " .. i .. ": " .. tostring(lunet.dissect(f))):eq(want)
  end
  expect(lines[#lines], "h2's answer"):matches("^3;0x22;")
end)
