-- ping.lua - ICMP echo and ARP across the bridge (issue 14, scenario 5),
-- run by ping.sh.
--
--   Linux 10.77.0.1 (lt0) ==TAP== v1 10.77.0.2
--
-- While Linux pings v1 (ping.sh), v1 pings Linux: 5 echoes of 56 bytes,
-- then 3 of 3000 bytes, which go as IP fragments both ways (v1 fragments
-- its requests and reassembles Linux's fragmented replies; Linux the
-- other way round).  Then v1's ARP table must hold the TAP's MAC (the
-- driver writes it to dir/tap_mac), and v1 prints its own MAC, which the
-- driver looks for in Linux's neighbour table.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local net = lunet.net{}
local v1 = net:host("v1")
it.bridge(net, v1, {ip = "10.77.0.2/24"})

v1:spawn(function()
  it.ready()
  it.wait_go()
  it.report("v_mac", v1.eth0.mac)
  local small = v1:ping(it.LINUX, {count = 5, interval = "200ms", timeout = "3s", quiet = true})
  it.report("v_ping_sent", small.sent, "v_ping_received", small.received,
            "v_rtt_min_ms", string.format("%.3f", small.min / 1e6),
            "v_rtt_avg_ms", string.format("%.3f", small.avg / 1e6))
  expect(small.received, "echo replies from Linux (56 bytes)"):eq(5)
  local big = v1:ping(it.LINUX, {count = 3, interval = "200ms", size = 3000, timeout = "3s", quiet = true})
  it.report("v_bigping_received", big.received)
  expect(big.received, "echo replies from Linux (3000 bytes, fragmented)"):eq(3)

  -- ARP: Linux's address with the TAP's MAC.
  local tap_mac = it.read(it.dir .. "/tap_mac"):match("%S+")
  local found
  for _, e in ipairs(v1:arp()) do
    if e.ip == it.LINUX then found = e end
  end
  expect(found and found.mac, "v1's ARP entry for " .. it.LINUX):eq(tap_mac)
  expect(found and found.dev, "its interface"):eq("eth0")
  it.report("v_arp_mac", found and found.mac, "v_arp_state", found and found.state)

  it.wait_file(it.dir .. "/linux_done", "30s")   -- Linux's pings are over
  local ns = v1:netstat()
  it.report("v_IcmpInEchos", ns.IcmpInEchos, "v_IcmpOutEchoReps", ns.IcmpOutEchoReps,
            "v_IcmpInEchoReps", ns.IcmpInEchoReps, "v_IpReasmOKs", ns.IpReasmOKs,
            "v_IpFragCreates", ns.IpFragCreates, "v_IpFragOKs", ns.IpFragOKs)
  -- Linux's requests were all answered: 5 of 56 bytes, 3 of 3000 (in
  -- fragments, reassembled here), 3 of 1472 (full 1500-byte frames, DF).
  expect(ns.IcmpInEchos, "echo requests from Linux"):eq(11)
  expect(ns.IcmpOutEchoReps, "echo replies to Linux"):eq(11)
  expect(ns.IpReasmOKs, "datagrams reassembled (3 requests, 3 replies)"):eq(6)
  net:stop()
end)

it.run(net, "40s")
