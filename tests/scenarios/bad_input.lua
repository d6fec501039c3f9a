-- bad_input.lua - malformed frames never crash a host: each one is dropped
-- once, with a reason, counted like Linux counts it, and the host still
-- answers pings afterwards.
--
-- Frames are handed to h2's receive path with h2:deliver("eth0", bytes), as
-- if they came off the wire.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

---- building frames ------------------------------------------------------

local function u16(n) return string.char((n >> 8) & 0xff, n & 0xff) end
local function mac(s) return (s:gsub("(%x%x):?", function(h) return string.char(tonumber(h, 16)) end)) end
local function ip(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

-- RFC 1071 Internet checksum.
local function csum(s)
  local sum = 0
  for i = 1, #s - 1, 2 do sum = sum + (s:byte(i) << 8) + s:byte(i + 1) end
  if #s % 2 == 1 then sum = sum + (s:byte(#s) << 8) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  return (~sum) & 0xffff
end

-- ICMP echo request with `n` data bytes (checksum optionally wrong).
local function echo(n, bad)
  local data = string.rep("x", n)
  local body = "\8\0" .. u16(0) .. u16(0x4242) .. u16(1) .. data
  local c = csum(body)
  if bad then c = c ~ 0x5555 end
  return "\8\0" .. u16(c) .. u16(0x4242) .. u16(1) .. data
end

-- IPv4 datagram; o = {src, dst, proto, payload, ihl, tot, ver, ttl, badsum}
local function ipv4(o)
  local ihl = o.ihl or 5
  local hlen = math.max(ihl, 5) * 4
  local tot = o.tot or (hlen + #o.payload)
  local function hdr(sum)
    return string.char(((o.ver or 4) << 4) | ihl, 0) .. u16(tot) .. u16(7) .. u16(0)
        .. string.char(o.ttl or 64, o.proto or 1) .. u16(sum) .. ip(o.src) .. ip(o.dst)
        .. string.rep("\0", hlen - 20)        -- option 0: end of options
  end
  local sum = csum(hdr(0))
  if o.badsum then sum = sum ~ 0x00ff end
  return hdr(sum) .. o.payload
end

local function eth(dst, src, etype, payload)
  return mac(dst) .. mac(src) .. u16(etype) .. payload
end

-- ARP packet with adjustable hardware/protocol lengths.
local function arp(o)
  local hlen, plen = o.hlen or 6, o.plen or 4
  return u16(1) .. u16(0x0800) .. string.char(hlen, plen) .. u16(o.op or 1)
      .. mac(o.sha) .. ip(o.spa) .. string.rep("\0", 6) .. ip(o.tpa)
end

-- Deterministic PRNG (xorshift32), independent of math.random's seed.
local function rng(seed)
  local x = seed
  return function(n)
    x = x ~ ((x << 13) & 0xffffffff)
    x = x ~ (x >> 17)
    x = x ~ ((x << 5) & 0xffffffff)
    return x % n
  end
end

---- the lab --------------------------------------------------------------

local function lab_for(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local drops = {}
  net:on("drop", function(ev)
    if ev.node == "h2" then drops[#drops + 1] = ev.reason end
  end)
  lab.drops = drops
  lab.m1, lab.m2 = lab.h1.eth0.mac, lab.h2.eth0.mac
  -- the frame h1 would send to ping h2: 14 + 20 + 8 + 56 = 98 bytes
  lab.good = eth(lab.m2, lab.m1, 0x0800, ipv4{src = lab.h1_ip, dst = lab.h2_ip, payload = echo(56)})
  return lab
end

-- Inject one frame into h2, let it settle; return the drop reasons it caused.
local function inject(net, lab, bytes)
  local before = #lab.drops
  lab.h2:deliver("eth0", bytes)
  net:run("1ms")
  local out = {}
  for i = before + 1, #lab.drops do out[#out + 1] = lab.drops[i] end
  return out
end

local function delta(after, before, key) return (after[key] or 0) - (before[key] or 0) end

local function still_answers(net, lab)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 2, interval = "100ms", quiet = true})
  end)
  expect(r.received, "pings answered afterwards"):eq(2)
end

---- tests ----------------------------------------------------------------

test("a well-formed injected echo request is answered", function(net)
  local lab = lab_for(net)
  expect(#lab.good):eq(98)
  local before = lab.h2:netstat()
  expect(inject(net, lab, lab.good)):eq({})
  net:run("10ms")
  local after = lab.h2:netstat()
  expect(delta(after, before, "IcmpInEchos")):eq(1)
  expect(delta(after, before, "IcmpOutEchoReps")):eq(1)
end)

test("Ethernet padding after the IP total length is ignored", function(net)
  local lab = lab_for(net)
  local f = eth(lab.m2, lab.m1, 0x0800, ipv4{src = lab.h1_ip, dst = lab.h2_ip, payload = echo(0)})
  expect(#f):eq(42)
  f = f .. string.rep("\0", 18)           -- padded to 60 like on the wire
  local before = lab.h2:netstat()
  expect(inject(net, lab, f)):eq({})
  expect(delta(lab.h2:netstat(), before, "IcmpInEchos")):eq(1)
end)

test("truncated frames of every length 0..60", function(net)
  local lab = lab_for(net)
  local before = lab.h2:netstat()
  local before_drops = lab.h2:drops()
  for len = 0, 60 do
    local reasons = inject(net, lab, lab.good:sub(1, len))
    expect(#reasons, "drops for a " .. len .. "-byte frame"):eq(1)
    if len < 14 or len >= 34 then
      expect(reasons[1], "reason for " .. len .. " bytes"):eq("truncated")
    else
      expect(reasons[1] == "truncated" or reasons[1] == "malformed", "reason " .. reasons[1]):truthy()
    end
  end
  local after = lab.h2:netstat()
  -- like Linux: no full IP header -> IpInHdrErrors; header but fewer bytes
  -- than its total length -> IpExtInTruncatedPkts
  expect(delta(after, before, "IpInHdrErrors"), "IpInHdrErrors"):eq(34 - 14)
  expect(delta(after, before, "IpExtInTruncatedPkts"), "IpExtInTruncatedPkts"):eq(61 - 34)
  expect(delta(after, before, "EthInErrors"), "EthInErrors"):eq(14)
  expect(delta(after, before, "IcmpInEchos")):eq(0)
  local d = lab.h2:drops()
  local n = 0
  for k, v in pairs(d) do n = n + v - (before_drops[k] or 0) end
  expect(n, "drops counted on h2"):eq(61)
  still_answers(net, lab)
end)

test("random garbage", function(net)
  local lab = lab_for(net)
  local rand = rng(12345)
  local total = 0
  for i = 1, 400 do
    local len = rand(201)
    local t = {}
    for j = 1, len do t[j] = string.char(rand(256)) end
    local f = table.concat(t)
    if i % 2 == 0 and len >= 14 then
      -- aimed at h2, as IPv4 or ARP, so the deeper parsers see garbage too
      local etype = (i % 4 == 0) and "\8\0" or "\8\6"
      f = mac(lab.m2) .. f:sub(7, 12) .. etype .. f:sub(15)
    end
    local reasons = inject(net, lab, f)
    expect(#reasons, "drops for garbage frame " .. i .. " (" .. len .. " bytes)"):eq(1)
    total = total + 1
  end
  expect(total):eq(400)
  still_answers(net, lab)
end)

test("IPv4 header errors", function(net)
  local lab = lab_for(net)
  local function frame(o)
    o.src, o.dst = o.src or lab.h1_ip, o.dst or lab.h2_ip
    o.payload = o.payload or echo(56)
    return eth(lab.m2, lab.m1, 0x0800, ipv4(o))
  end
  local cases = {
    {name = "bad header checksum", f = frame{badsum = true}, reason = "bad checksum",
     counters = {IpExtInCsumErrors = 1, IpInHdrErrors = 1}},
    {name = "IHL 4", f = frame{ihl = 4}, reason = "malformed", counters = {IpInHdrErrors = 1}},
    {name = "IHL 15 > total length", f = frame{ihl = 15, tot = 40}, reason = "malformed",
     counters = {IpInHdrErrors = 1}},
    {name = "version 6", f = frame{ver = 6}, reason = "malformed", counters = {IpInHdrErrors = 1}},
    {name = "total length 10", f = frame{tot = 10}, reason = "malformed", counters = {IpInHdrErrors = 1}},
    {name = "total length beyond the frame", f = frame{tot = 1500}, reason = "truncated",
     counters = {IpExtInTruncatedPkts = 1}},
    {name = "ICMP checksum", f = frame{payload = echo(56, true)}, reason = "bad checksum",
     counters = {IcmpInCsumErrors = 1, IcmpInErrors = 1}},
    {name = "unknown protocol 253", f = frame{proto = 253}, reason = "unknown protocol",
     counters = {IpInUnknownProtos = 1}},
    {name = "unknown ethertype", f = eth(lab.m2, lab.m1, 0x88b5, string.rep("\0", 46)),
     reason = "unknown ethertype", counters = {EthInUnknownType = 1}},
    {name = "another host's MAC", f = eth("02:99:99:99:99:99", lab.m1, 0x0800, ipv4{src = lab.h1_ip, dst = lab.h2_ip, payload = echo(56)}),
     reason = "not for this host", counters = {EthInOtherHost = 1}},
  }
  for _, c in ipairs(cases) do
    local before = lab.h2:netstat()
    local reasons = inject(net, lab, c.f)
    expect(reasons, c.name .. ": drop reasons"):eq({c.reason})
    local after = lab.h2:netstat()
    for k, v in pairs(c.counters) do
      expect(delta(after, before, k), c.name .. ": " .. k):eq(v)
    end
    expect(delta(after, before, "IcmpInEchos"), c.name .. ": IcmpInEchos"):eq(0)
  end
  still_answers(net, lab)
end)

test("ARP with wrong lengths", function(net)
  local lab = lab_for(net)
  local base = {sha = lab.m1, spa = lab.h1_ip, tpa = lab.h2_ip}
  local function frame(o)
    local a = {}
    for k, v in pairs(base) do a[k] = v end
    for k, v in pairs(o) do a[k] = v end
    return eth("ff:ff:ff:ff:ff:ff", lab.m1, 0x0806, arp(a))
  end
  local cases = {
    {name = "hlen 5", f = frame{hlen = 5}},
    {name = "plen 16", f = frame{plen = 16}},
    {name = "opcode 9", f = frame{op = 9}, not_an_error = true},
    {name = "cut to 20 bytes", f = frame{}:sub(1, 14 + 20)},
  }
  for _, c in ipairs(cases) do
    local before = lab.h2:netstat()
    local reasons = inject(net, lab, c.f)
    expect(#reasons, c.name .. ": drops"):eq(1)
    if not c.not_an_error then
      expect(delta(lab.h2:netstat(), before, "ArpInErrors"), c.name .. ": ArpInErrors"):eq(1)
    end
    expect(delta(lab.h2:netstat(), before, "ArpOutReplies"), c.name .. ": ArpOutReplies"):eq(0)
  end
  -- h2 learnt nothing from them
  expect(#lab.h2:arp(), "h2's ARP table"):eq(0)
  still_answers(net, lab)
end)
