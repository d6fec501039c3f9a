-- packet_ipv6.lua - the ipv6 and icmpv6 layers of lunet.packet, and TCP
-- and UDP over them: every message comes back from lunet.dissect field
-- for field, with payload lengths, next-header chains and checksums over
-- the IPv6 pseudo-header computed unless given; h:inject sends them: an
-- echo request draws a reply, a Packet Too Big lowers the path MTU, and
-- neighbour advertisements change a cache entry as RFC 4861 7.2.5 says;
-- tshark finds nothing wrong in the captures.
--
--   a 2001:db8::1 ---- b 2001:db8::2
local run_task = require("lunet.test").run_task

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local RT = dofile(here .. "../lib/roundtrip.lua")
local ts = dofile(here .. "../lib/tshark.lua")

local MAC1, MAC2, EVIL = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:66"
local A, B = "2001:db8::1", "2001:db8::2"

local function roundtrip(name, t)
  local d = RT.check(name, t)
  expect(d.malformed, name):is_nil()
  return d
end

-- A datagram a sent to b, as an error quotes it.
local QUOTED = lunet.packet{ipv6 = {src = A, dst = B}, udp = {srcport = 5000, dstport = 53}, payload = ("q"):rep(40)}

local CASES = {
  echo_request = {
    eth = {src = MAC1, dst = MAC2},
    ipv6 = {src = A, dst = B, hlim = 64, tclass = 0x10, flow = 0xabcde},
    icmpv6 = {type = 128, code = 0, ident = 0x1234, seq = 7}, payload = "ping data",
  },
  echo_reply = { ipv6 = {src = B, dst = A}, icmpv6 = {type = 129, ident = 1, seq = 65535} },
  dest_unreach = { ipv6 = {src = B, dst = A}, icmpv6 = {type = 1, code = 4}, payload = QUOTED },
  packet_too_big = { ipv6 = {src = B, dst = A}, icmpv6 = {type = 2, mtu = 1280}, payload = QUOTED },
  time_exceeded = { ipv6 = {src = B, dst = A}, icmpv6 = {type = 3, code = 1}, payload = QUOTED },
  param_problem = { ipv6 = {src = B, dst = A}, icmpv6 = {type = 4, code = 1, pointer = 6}, payload = QUOTED },
  router_solicit = {
    ipv6 = {src = "fe80::1", dst = "ff02::2", hlim = 255},
    icmpv6 = {type = 133, options = {{name = "src_lladdr", type = 1, length = 1, lladdr = MAC1}}},
  },
  router_advert = {
    eth = {src = MAC2, dst = "33:33:00:00:00:01"},
    ipv6 = {src = "fe80::2", dst = "ff02::1", hlim = 255},
    icmpv6 = {type = 134, cur_hop_limit = 64, flag_m = true, flag_o = false, router_lifetime = 1800,
              reachable_time = 30000, retrans_timer = 1000, options = {
                {name = "src_lladdr", lladdr = MAC2},
                {name = "mtu", mtu = 1500},
                {name = "prefix", prefix = "2001:db8::", prefix_len = 64, onlink = true, auto = false,
                 valid_lifetime = 86400, preferred_lifetime = 14400},
                {type = 31, name = "unknown", data = "abcdef"},
              }},
  },
  neighbor_solicit = {
    ipv6 = {src = A, dst = "ff02::1:ff00:2", hlim = 255},
    icmpv6 = {type = 135, target = B, options = {{name = "src_lladdr", lladdr = MAC1}}},
  },
  neighbor_advert = {
    ipv6 = {src = B, dst = A, hlim = 255},
    icmpv6 = {type = 136, flag_r = true, flag_s = true, flag_o = false, target = B,
              options = {{name = "target_lladdr", lladdr = MAC2}}},
  },
  udp6 = {
    eth = {src = MAC1, dst = MAC2},
    ipv6 = {src = A, dst = B}, udp = {srcport = 40000, dstport = 7777}, payload = "datagram",
  },
  tcp6 = {
    ipv6 = {src = A, dst = B},
    tcp = {srcport = 40000, dstport = 80, seq = 1000, ack = 0, flags = "S", window = 64800,
           options = {{mss = 1440}, "sack_perm", {ts = {val = 1, ecr = 0}}, "nop", {ws = 7}}},
  },
  ext_chain = {
    ipv6 = {src = A, dst = B, ext = {
      {type = "hopopts", nxt = 60, data = "\5\2\0\0\1\0"},        -- router alert, PadN
      {type = "dstopts", data = "\1\4\0\0\0\0"},
      {type = "routing", routing_type = 0, segleft = 0},
      {type = "fragment", offset = 0, more = false, id = 0x42},
    }},
    icmpv6 = {type = 128, ident = 9, seq = 9},
  },
  later_fragment = {
    ipv6 = {src = A, dst = B, nxt = 44, ext = {{type = "fragment", nxt = 17, offset = 1232, more = true, id = 5}}},
    payload = ("f"):rep(16),
  },
}

local NAMES = {}
for k in pairs(CASES) do NAMES[#NAMES + 1] = k end
table.sort(NAMES)

test("dissect(packet(t)) gives back every ipv6, icmpv6, udp and tcp field t set", function()
  for _, name in ipairs(NAMES) do
    local d = roundtrip(name, CASES[name])
    expect(d.ipv6.version, name):eq(6)
    local l4 = d.icmpv6 or d.udp or d.tcp
    if l4 then expect(l4.checksum_status, name .. ": checksum over the pseudo-header"):eq("good") end
  end
end)

test("defaults: version 6, hop limit 64, lengths and the next-header chain computed", function()
  local d = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, icmpv6 = {}})
  expect({d.ipv6.version, d.ipv6.hlim, d.ipv6.nxt, d.ipv6.plen, d.ipv6.tclass, d.ipv6.flow})
    :eq({6, 64, 58, 8, 0, 0})
  expect({d.icmpv6.type, d.icmpv6.code, d.icmpv6.ident, d.icmpv6.seq}, "an echo request"):eq({128, 0, 0, 0})
  d = roundtrip("chain", CASES.ext_chain)
  local nx = {}
  for _, x in ipairs(d.ipv6.ext) do nx[#nx + 1] = x.nxt end
  expect(d.ipv6.nxt, "the first header's"):eq(0)
  expect(nx, "hop-by-hop says 60 as given, then 43, 44, 58"):eq({60, 43, 44, 58})
  expect(d.ipv6.plen):eq(8 + 8 + 8 + 8 + 8)
  expect({d.ipv6.ext[1].len, d.ipv6.ext[3].data}):eq({0, "\0\0\0\0\0\0"})
  local u = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, udp = {srcport = 1, dstport = 2}, payload = "xy"})
  expect({u.udp.length, u.ipv6.plen, u.ipv6.nxt}):eq({10, 10, 17})
  local n = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, payload = "raw"})
  expect(n.ipv6.nxt, "nothing on top: No Next Header"):eq(59)
  local e = lunet.dissect(lunet.packet{eth = {src = MAC1, dst = MAC2}, ipv6 = {src = A, dst = B}, icmpv6 = {}})
  expect(e.eth.type):eq(0x86dd)
  -- RFC 8200 8.1: the checksum covers the final destination of a routing header
  local r = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = "2001:db8::99", ext = {
    {type = "routing", routing_type = 0, segleft = 1, data = "\0\1\0\0\0\0" .. ("\0"):rep(8) .. string.char(
      0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2)}}}, udp = {srcport = 1, dstport = 2}})
  local plain = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, udp = {srcport = 1, dstport = 2}})
  expect(r.udp.checksum, "summed with the last address, b"):eq(plain.udp.checksum)
end)

test("checksums and lengths given are written as given; dissected ones are recomputed after a change", function()
  local d = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B, plen = 99}, icmpv6 = {checksum = 0xdead}})
  expect({d.ipv6.plen, d.icmpv6.checksum, d.icmpv6.checksum_status}):eq({99, 0xdead, "unverified"})
  expect(d.malformed):matches("payload length 99")
  local bad = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, icmpv6 = {checksum = 0xdead}})
  expect(bad.icmpv6.checksum_status):eq("bad")
  local u0 = lunet.dissect(lunet.packet{ipv6 = {src = A, dst = B}, udp = {srcport = 1, dstport = 2, checksum = 0}})
  expect(u0.udp.checksum_status, "0 is not allowed over IPv6"):eq("bad")
  local again = lunet.dissect(lunet.packet(CASES.echo_request))
  again.icmpv6.seq = 8
  again.payload = "longer ping data"
  local re = lunet.dissect(lunet.packet(again))
  expect({re.icmpv6.seq, re.icmpv6.checksum_status, re.ipv6.plen}):eq({8, "good", 8 + 16})
end)

test("bad tables name the function, the field and what is allowed", function()
  local function err(t) return function() lunet.packet(t) end end
  local function raw(m) return (m:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end
  local ip = {src = A, dst = B}
  expect(err{ipv6 = ip, icmp = {}}):raises(raw("lunet.packet: icmp goes over ip (IPv4); over ipv6 use icmpv6"))
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, icmpv6 = {}})
    :raises(raw("lunet.packet: icmpv6 goes over ipv6, not ip (IPv4)"))
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, ipv6 = ip}):raises(raw("both ip and ipv6"))
  expect(err{ipv6 = {src = A, dst = "10.0.0.2"}}):raises(raw('ipv6.dst must be an IPv6 address like "2001:db8::1", got "10.0.0.2"'))
  expect(err{ipv6 = {dst = B}}):raises(raw("lunet.packet: ipv6.src missing"))
  expect(err{ipv6 = {src = A, dst = B, flow = 0x100000}}):raises(raw("ipv6.flow 1048576 out of range (0..1048575)"))
  expect(err{ipv6 = {src = A, dst = B, hop = 1}}):raises(raw("ipv6: field hop unknown"))
  expect(err{ipv6 = ip, icmpv6 = {type = 128, mtu = 1280}})
    :raises(raw("icmpv6.mtu is not a field of an Echo Request (type 128) (its fields: type, code, checksum, ident, seq)"))
  expect(err{ipv6 = ip, icmpv6 = {type = 2}}):raises(raw("icmpv6.mtu missing"))
  expect(err{ipv6 = ip, icmpv6 = {type = 135}}):raises(raw("icmpv6.target missing"))
  expect(err{ipv6 = ip, icmpv6 = {type = 135, target = B, options = {{name = "lladdr"}}}})
    :raises(raw('icmpv6.options[1].name "lladdr" unknown'))
  expect(err{ipv6 = ip, icmpv6 = {type = 135, target = B, options = {{name = "src_lladdr", mtu = 1}}}})
    :raises(raw("icmpv6.options[1].mtu is not a field of a link-layer address option"))
  expect(err{ipv6 = ip, icmpv6 = {type = 135, target = B, options = {{name = "src_lladdr", type = 2, lladdr = MAC1}}}})
    :raises(raw('icmpv6.options[1].name "src_lladdr" is type 1, but type is 2'))
  expect(err{ipv6 = {src = A, dst = B, ext = {{type = "hop"}}}}):raises(raw('ipv6.ext[1].type "hop" unknown'))
  expect(err{ipv6 = {src = A, dst = B, ext = {{type = "hopopts", data = "abc"}}}})
    :raises(raw("ipv6.ext[1].data: 3 bytes; with its 2-byte start an extension header is a multiple of 8 bytes"))
  expect(err{ipv6 = {src = A, dst = B, ext = {{type = "fragment", offset = 3}}}})
    :raises(raw("ipv6.ext[1].offset 3 is not a multiple of 8"))
  expect(err{ipv6 = {src = A, dst = B, ext = {{type = "fragment", data = "x"}}}})
    :raises(raw("ipv6.ext[1].data is not a field of a fragment header"))
end)

-- a and b on one wire, addresses past DAD; captures of both ends.
local function pair(net, dir)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms"})
  a:addr6(A .. "/64")
  b:addr6(B .. "/64")
  local caps = dir and ts.capture_all(net, dir, "v6") or {}
  net:run("3s")
  return a, b, caps
end

local function entry(h, ip)
  for _, e in ipairs(h:neigh6()) do if e.ip == ip then return e end end
end

test("an injected echo request draws a reply", function(net)
  local a, b = pair(net)
  local before = b:netstat().Icmp6InEchoReplies or 0
  run_task(net, b, function()
    expect(b:inject{ipv6 = {dst = A}, icmpv6 = {type = 128, ident = 77, seq = 3}, payload = "hello"}):eq(true)
    lunet.sleep("100ms")
  end)
  expect(a:netstat().Icmp6InEchos):eq(1)
  expect(a:netstat().Icmp6OutEchoReplies):eq(1)
  expect(b:netstat().Icmp6InEchoReplies, "the reply came back to b"):eq(before + 1)
  -- as an IP-level packet too (no eth: b's stack resolves and frames it)
  run_task(net, b, function()
    local p = lunet.packet{ipv6 = {src = B, dst = A}, icmpv6 = {type = 128, ident = 78, seq = 1}}
    expect(b:inject(p)):eq(true)
    lunet.sleep("100ms")
  end)
  expect(a:netstat().Icmp6OutEchoReplies):eq(2)
  expect({b:inject{ipv6 = {dst = "2001:db8:9::1"}, icmpv6 = {}}}, "no route"):eq({nil, "unreachable"})
  local c = net:host("c")
  net:link(c, a, {delay = "1ms"})
  expect(function() c:inject({ipv6 = {src = A, dst = B}, icmpv6 = {}}, c.eth0) end)
    :raises("node:inject: c has IPv6 off, so nothing resolves an IPv6 next hop")
end)

test("an injected Packet Too Big lowers the path MTU: a's next big ping goes in fragments", function(net)
  local a, b = pair(net)
  run_task(net, b, function()
    local quoted = lunet.packet{ipv6 = {src = A, dst = B}, icmpv6 = {type = 128}, payload = ("x"):rep(1300)}
    -- RFC 4443 2.4 (c): the quote is cut so the error fits the minimum MTU
    expect(b:inject{ipv6 = {dst = A}, icmpv6 = {type = 2, mtu = 1280}, payload = quoted:bytes():sub(1, 1232)})
      :eq(true)
    lunet.sleep("100ms")
  end)
  expect(a:netstat().Icmp6InPktTooBigs):eq(1)
  local res = run_task(net, a, function() return a:ping(B, {count = 1, size = 1400, quiet = true}) end)
  expect(res.received):eq(1)
  expect(a:netstat().Ip6FragCreates, "1280 bytes a fragment: two"):eq(2)
  expect(b:netstat().Ip6ReasmOKs):eq(1)
end)

test("a crafted NA changes a STALE entry as RFC 4861 7.2.5 says", function(net)
  local a, b = pair(net)
  local function na(flags)
    local icmp = {type = 136, target = B, options = {{name = "target_lladdr", lladdr = EVIL}}}
    for k, v in pairs(flags) do icmp[k] = v end
    run_task(net, b, function()
      expect(b:inject{ipv6 = {dst = A, hlim = 255}, icmpv6 = icmp}):eq(true)
      lunet.sleep("10ms")
    end)
  end
  run_task(net, a, function() a:ping(B, {count = 1, quiet = true}) end)
  expect(entry(a, B).state):eq("REACHABLE")
  net:run("40s")                              -- past reachable_time
  expect({entry(a, B).state, entry(a, B).mac}):eq({"STALE", MAC2})
  -- override clear, another address: a STALE entry is left as it is
  na{flag_o = false, flag_s = false}
  expect({entry(a, B).state, entry(a, B).mac}):eq({"STALE", MAC2})
  -- override set: the address is taken, the entry stays STALE (unsolicited)
  na{flag_o = true, flag_s = false}
  expect({entry(a, B).state, entry(a, B).mac}):eq({"STALE", EVIL})
  -- solicited and override with the true address: REACHABLE again
  run_task(net, b, function()
    b:inject{ipv6 = {dst = A, hlim = 255}, icmpv6 = {type = 136, flag_s = true, flag_o = true, target = B,
             options = {{name = "target_lladdr", lladdr = MAC2}}}}
    lunet.sleep("10ms")
  end)
  expect({entry(a, B).state, entry(a, B).mac}):eq({"REACHABLE", MAC2})
  -- override clear, another address, REACHABLE: STALE, address kept
  na{flag_o = false, flag_s = true}
  expect({entry(a, B).state, entry(a, B).mac}):eq({"STALE", MAC2})
  -- a hop limit under 255 is not from the link (7.1.2): ignored
  run_task(net, b, function()
    b:inject{ipv6 = {dst = A, hlim = 64}, icmpv6 = {type = 136, flag_o = true, target = B,
             options = {{name = "target_lladdr", lladdr = EVIL}}}}
    lunet.sleep("10ms")
  end)
  expect(entry(a, B).mac):eq(MAC2)
end)

test("tshark reads the injected frames as sent: nothing malformed, no bad checksum", function(net)
  if not ts.have() then skip("tshark not installed") end
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. ts.q(p)))
  local a, b, caps = pair(net, p)
  run_task(net, b, function()
    for _, name in ipairs(NAMES) do
      local t = CASES[name]
      if t.ipv6.dst == A or t.ipv6.dst == B then
        local c = {ipv6 = {}, payload = t.payload}
        for k, v in pairs(t.ipv6) do c.ipv6[k] = v end
        c.ipv6.src, c.ipv6.dst = B, A
        for _, l in ipairs{"icmpv6", "udp", "tcp"} do c[l] = t[l] end
        b:inject(c)
      end
    end
    b:inject(lunet.packet(CASES.router_advert))
    lunet.sleep("100ms")
  end)
  local FILTER = '_ws.malformed or icmpv6.checksum.status == "Bad" or udp.checksum.status == "Bad"'
              .. ' or tcp.checksum.status == "Bad"'
  local PREFS = "-o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
  local total = 0
  for _, c in ipairs(caps) do
    c:close()
    local flagged, ok = ts.sh(string.format("tshark -r %s %s -Y %s 2>/dev/null", ts.q(c.path), PREFS, ts.q(FILTER)))
    expect(ok, c.path):truthy()
    expect(flagged, c.path .. ": frames tshark flags"):eq("")
    local all = ts.sh(string.format("tshark -r %s -Y icmpv6 2>/dev/null", ts.q(c.path)))
    for _ in all:gmatch("[^\n]+") do total = total + 1 end
    os.remove(c.path)
  end
  os.remove(p)
  expect(total, "ICMPv6 frames tshark read"):gt(20)
end)
