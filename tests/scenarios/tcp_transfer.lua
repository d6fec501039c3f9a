-- tcp_transfer.lua - 1 MB bulk transfers arrive intact over bad links.
--
-- Every test sends 1,000,000 bytes from h1 to a sink on h2 and compares a
-- hash of what the sender sent with the hash of what the sink read, over a
-- link that loses, reorders, duplicates or corrupts frames (or does all of
-- it at once), with SACK off (NewReno recovery) and with timestamps off.
-- The counters must show that the stack had work to do: retransmissions
-- for loss (TcpRetransSegs), checksum drops for corruption (every
-- corrupted frame is dropped and counted: IpInHdrErrors for a bad IP
-- header, TcpInErrs for a bad TCP segment), out-of-order queueing for
-- reordering, and D-SACKs (RFC 2883, Linux's tcp_dsack=1) for duplicates.
--
--   h1 10.0.0.1 ===== 10 Mbit/s, 5 ms each way (impaired) ===== h2 10.0.0.2

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local two_hosts = dofile(here .. "../lib/two_hosts.lua")
local run_task = require("lunet.test").run_task

local BYTES = 1000000
local PORT = 5001

-- Data that is not the generated pattern, so that a wrong byte anywhere
-- (an offset error, a duplicate spliced in, a corrupted segment accepted)
-- changes the hash: 1021 bytes (a prime, so chunk and segment boundaries
-- never line up with it) from a fixed LCG.
local function noise(n)
  local t, x = {}, 12345
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char((x >> 16) & 0xff)
  end
  return table.concat(t)
end
local NOISE = noise(1021)

local function expected_hash(data)
  if not data then return lunet.hash(BYTES) end
  local h
  local full = BYTES // #data
  for _ = 1, full do h = lunet.hash(data, h) end
  local rest = BYTES - full * #data
  if rest > 0 then h = lunet.hash(data:sub(1, rest), h) end
  return h
end

-- Run one transfer over a two_hosts link with `opts`; sysctls = {key=value}
-- for both hosts.  Returns the sender's and the sink's results, the
-- topology and the per-host counters.
local function transfer(net, opts, sysctls, data, max_seconds)
  local link = {bandwidth = "10Mbps", delay = "5ms"}
  for k, v in pairs(opts or {}) do link[k] = v end
  -- static ARP: nothing but TCP on the wire, so every impairment hits TCP
  local l = two_hosts.static_arp(net, link)
  for k, v in pairs(sysctls or {}) do
    l.h1:sysctl(k, v)
    l.h2:sysctl(k, v)
  end
  local sr, serr
  l.h2:spawn(function() sr, serr = l.h2:sink(PORT, {quiet = true}) end)
  local r, err = run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, PORT, {bytes = BYTES, data = data, quiet = true,
                                          timeout = "60s"})
  end)
  net:run("1s")                       -- let the sink finish
  expect(err, "bulk_send error"):is_nil()
  expect(serr, "sink error"):is_nil()
  expect(r.bytes, "bytes sent"):eq(BYTES)
  expect(sr, "sink result"):truthy()
  expect(sr.bytes, "bytes the sink read"):eq(BYTES)
  expect(sr.hash, "hash of what the sink read vs what was sent"):eq(expected_hash(data))
  -- a 1 MB transfer at 10 Mbit/s takes 0.85 s on a clean link; repairing
  -- a few per cent of independent losses must not stall it for seconds
  expect(r.seconds, "transfer time (s)"):lt(max_seconds or 5)
  return r, sr, l, l.h1:netstat(), l.h2:netstat()
end

local function total(st, field) return st.ab[field] + st.ba[field] end

test("clean link: the bytes arrive, nothing is retransmitted", function(net)
  local r, sr, l, n1 = transfer(net, {})
  expect(n1.TcpRetransSegs):eq(0)
  expect(r.retrans):eq(0)
  expect(total(l.link:stats(), "dropped_queue")):eq(0)
end)

test("1% loss: intact, repaired by retransmission", function(net)
  local r, sr, l, n1 = transfer(net, {loss = "1%"}, nil, NOISE)
  expect(l.link:stats().ab.dropped_loss, "data frames lost"):gt(0)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
  expect(r.info.total_retrans, "the socket's total_retrans"):eq(n1.TcpRetransSegs)
end)

test("2% loss: intact, repaired by retransmission", function(net)
  local r, sr, l, n1 = transfer(net, {loss = "2%"})
  expect(l.link:stats().ab.dropped_loss, "data frames lost"):gt(0)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
  expect(n1.TcpExtTCPSackRecovery, "SACK recovery episodes"):gt(0)
end)

test("2% loss on several seeds", function(net)
  for seed = 2, 6 do
    local n = lunet.net{seed = seed}
    local r, sr, l, n1 = transfer(n, {loss = "2%"}, nil, NOISE)
    expect(n1.TcpRetransSegs, "TcpRetransSegs, seed " .. seed):gt(0)
    n:close()
  end
end)

-- No time bound here: the Gilbert-Elliott chain moves on per frame, so
-- while the sender waits for its RTO the link stays in the bad state and
-- each retransmission is lost with probability 0.7; a run of them costs
-- the exponential backoff (seed 3: 9 in a row, 222 s), as it would Linux.
test("bursty loss (Gilbert-Elliott): intact", function(net)
  local r, sr, l, n1 = transfer(net, {ab = {loss = {model = "gilbert", p = 0.01, r = 0.3}}}, nil, NOISE,
                                math.huge)
  expect(l.link:stats().ab.dropped_loss, "data frames lost"):gt(0)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
end)

test("reordering: intact, the receiver queues out-of-order data", function(net)
  local r, sr, l, n1, n2 = transfer(net, {reorder = "5%", reorder_delay = "3ms"}, nil, NOISE)
  expect(l.link:stats().ab.reordered, "data frames reordered"):gt(0)
  expect(n2.TcpExtTCPOFOQueue, "receiver TCPOFOQueue"):gt(0)
end)

test("duplication: intact, the receiver D-SACKs the duplicates", function(net)
  local r, sr, l, n1, n2 = transfer(net, {duplicate = "2%"}, nil, NOISE)
  expect(l.link:stats().ab.duplicated, "data frames duplicated"):gt(0)
  -- Linux answers a duplicate segment with a D-SACK (tcp_dsack=1)
  expect(n2.TcpExtTCPDSACKOldSent, "receiver TCPDSACKOldSent"):gt(0)
  expect(n1.TcpExtTCPDSACKRecv, "sender TCPDSACKRecv"):gt(0)
  expect(n1.TcpRetransSegs, "nothing was lost: no retransmission"):eq(0)
end)

test("corruption: every corrupted frame is dropped by a checksum, the data is intact", function(net)
  local r, sr, l, n1, n2 = transfer(net, {corrupt = "1%"}, nil, NOISE)
  local st = l.link:stats()
  local corrupted = total(st, "corrupted")
  expect(st.ab.corrupted, "data frames corrupted"):gt(0)
  local csum = n1.TcpInCsumErrors + n2.TcpInCsumErrors + n1.IpExtInCsumErrors + n2.IpExtInCsumErrors
  expect(csum, "TcpInCsumErrors + IpExtInCsumErrors"):gt(0)
  local dropped = n1.IpInHdrErrors + n2.IpInHdrErrors + n1.TcpInErrs + n2.TcpInErrs
  expect(dropped, "IpInHdrErrors + TcpInErrs, both hosts (one per corrupted frame)"):eq(corrupted)
  -- the corrupted data segments were lost to the receiver: resent
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
end)

local ALL = {loss = "1%", reorder = "5%", reorder_delay = "3ms", duplicate = "1%", corrupt = "1%"}

local function check_all(r, sr, l, n1, n2)
  local st = l.link:stats()
  expect(st.ab.dropped_loss + st.ab.corrupted + st.ab.reordered + st.ab.duplicated,
         "impairments applied"):gt(0)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
  expect(n1.TcpInCsumErrors + n2.TcpInCsumErrors + n1.IpExtInCsumErrors + n2.IpExtInCsumErrors,
         "checksum errors"):gt(0)
  expect(n1.IpInHdrErrors + n2.IpInHdrErrors + n1.TcpInErrs + n2.TcpInErrs,
         "every corrupted frame dropped"):eq(total(st, "corrupted"))
end

test("loss, reordering, duplication and corruption at once", function(net)
  check_all(transfer(net, ALL, nil, NOISE))
end)

test("everything at once, on several seeds", function(net)
  for seed = 11, 14 do
    local n = lunet.net{seed = seed}
    local r, sr, l, n1, n2 = transfer(n, ALL)
    check_all(r, sr, l, n1, n2)
    n:close()
  end
end)

test("SACK off: NewReno recovery repairs the losses", function(net)
  local r, sr, l, n1 = transfer(net, {loss = "2%"}, {["net.ipv4.tcp_sack"] = 0}, NOISE)
  expect(r.info.sack, "SACK negotiated"):eq(false)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
  expect(n1.TcpExtTCPRenoRecovery, "TCPRenoRecovery"):gt(0)
  expect(n1.TcpExtTCPSackRecovery, "TCPSackRecovery"):eq(0)
end)

test("SACK off, Reno congestion control, everything at once", function(net)
  local r, sr, l, n1, n2 = transfer(net, ALL, {["net.ipv4.tcp_sack"] = 0,
                                                ["net.ipv4.tcp_congestion_control"] = "reno"}, NOISE)
  expect(r.info.sack, "SACK negotiated"):eq(false)
  expect(r.info.cc):eq("reno")
  check_all(r, sr, l, n1, n2)
end)

test("timestamps off: intact, MSS 1460", function(net)
  local r, sr, l, n1 = transfer(net, {loss = "2%"}, {["net.ipv4.tcp_timestamps"] = 0}, NOISE)
  expect(r.info.ts, "timestamps negotiated"):eq(false)
  expect(r.info.mss, "MSS without the 12 bytes of timestamps"):eq(1460)
  expect(n1.TcpRetransSegs, "TcpRetransSegs"):gt(0)
end)

test("timestamps and SACK off, everything at once", function(net)
  local r, sr, l, n1, n2 = transfer(net, ALL, {["net.ipv4.tcp_timestamps"] = 0,
                                                ["net.ipv4.tcp_sack"] = 0}, NOISE)
  expect(r.info.ts):eq(false)
  expect(r.info.sack):eq(false)
  check_all(r, sr, l, n1, n2)
end)
